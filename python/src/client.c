/* client.c - llmio.Client: one llmio_client (connection pool + engine). */
#include "module.h"

#include <string.h>

static PyObject *state_error(const char *msg)
{
    return llmiopy_raise_status(LLMIO_E_STATE, msg);
}

int llmiopy_client_enter(PyLlmioClient *c)
{
    if (!c->c) {
        state_error("the client is closed");
        return -1;
    }
    unsigned long me = PyThread_get_thread_ident();
    if (c->depth > 0 && c->owner_thread != me) {
        state_error("the client is being driven by another thread; "
                    "use one client per thread");
        return -1;
    }
    c->owner_thread = me;
    c->depth++;
    return 0;
}

static void drain_deferred(PyLlmioClient *c)
{
    while (c->ndeferred > 0) {
        struct llmiopy_deferred *d = &c->deferred[--c->ndeferred];
        llmio_future_free(d->f);
        llmio_batch_free(d->b);
    }
}

void llmiopy_client_leave(PyLlmioClient *c)
{
    if (--c->depth == 0) {
        c->owner_thread = 0;
        drain_deferred(c);
    }
}

/* Free F or B now, or hand it to the thread driving C: that thread is
 * inside a wait with the GIL released, and the client is not
 * thread-safe. A batch freed late keeps its items running until then
 * (it is cancelled when freed). */
static void free_or_defer(PyLlmioClient *c, llmio_future *f, llmio_batch *b)
{
    if (c->c && c->depth > 0 &&
        c->owner_thread != PyThread_get_thread_ident()) {
        if (c->ndeferred == c->capdeferred) {
            size_t cap = c->capdeferred ? c->capdeferred * 2 : 8;
            struct llmiopy_deferred *n =
                PyMem_RawRealloc(c->deferred, cap * sizeof *n);
            if (!n) {
                return; /* leak it rather than race */
            }
            c->deferred = n;
            c->capdeferred = cap;
        }
        c->deferred[c->ndeferred].f = f;
        c->deferred[c->ndeferred].b = b;
        c->ndeferred++;
        llmio_client_wakeup(c->c);
        return;
    }
    llmio_future_free(f);
    llmio_batch_free(b);
}

void llmiopy_client_free_future(PyLlmioClient *c, llmio_future *f)
{
    free_or_defer(c, f, NULL);
}

void llmiopy_client_free_batch(PyLlmioClient *c, llmio_batch *b)
{
    free_or_defer(c, NULL, b);
}

static int set_per_provider(PyLlmioClient *self, PyObject *v, const char *what)
{
    llmio_status (*setter)(llmio_client *, const char *, const char *) =
        strcmp(what, "api_key") == 0 ? llmio_client_set_api_key
                                     : llmio_client_set_base_url;
    if (!v || v == Py_None) {
        return 0;
    }
    if (PyUnicode_Check(v)) {
        if (setter(self->c, NULL, PyUnicode_AsUTF8(v)) != LLMIO_OK) {
            llmiopy_raise_status(LLMIO_E_INVALID, what);
            return -1;
        }
        return 0;
    }
    if (!PyDict_Check(v)) {
        llmiopy_raise_status(LLMIO_E_INVALID, "expected str or dict");
        return -1;
    }
    PyObject *k, *val;
    Py_ssize_t pos = 0;
    while (PyDict_Next(v, &pos, &k, &val)) {
        if (!PyUnicode_Check(k) || !PyUnicode_Check(val) ||
            setter(self->c, PyUnicode_AsUTF8(k), PyUnicode_AsUTF8(val)) !=
                LLMIO_OK) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "%s[%s]: rejected (unknown provider "
                     "or bad value)",
                     what, PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : "?");
            llmiopy_raise_status(LLMIO_E_INVALID, msg);
            return -1;
        }
    }
    return 0;
}

static int set_timeout(PyLlmioClient *self, llmio_timeout_kind kind,
                       PyObject *v, const char *name)
{
    if (!v || v == Py_None) {
        return 0;
    }
    double s = PyFloat_AsDouble(v);
    if (s == -1.0 && PyErr_Occurred()) {
        return -1;
    }
    int64_t ms = (int64_t)(s * 1000.0 + 0.5);
    if (llmio_client_set_timeout(self->c, kind, ms < 1 ? 1 : ms) != LLMIO_OK) {
        llmiopy_raise_status(LLMIO_E_INVALID, name);
        return -1;
    }
    return 0;
}

/* ca_file / ca_path (str or os.PathLike; None: the environment's
 * SSL_CERT_FILE / SSL_CERT_DIR, else the system store): checked by
 * llmio_client_set_ca, whose message names the field. */
static int set_ca(PyLlmioClient *self, PyObject *file, PyObject *dir)
{
    PyObject *fb = NULL, *db = NULL;
    int rc = -1;
    if ((file == NULL || file == Py_None) && (dir == NULL || dir == Py_None)) {
        return 0;
    }
    if ((file != NULL && file != Py_None &&
         !PyUnicode_FSConverter(file, &fb)) ||
        (dir != NULL && dir != Py_None && !PyUnicode_FSConverter(dir, &db))) {
        goto out;
    }
    llmio_error e;
    llmio_status st =
        llmio_client_set_ca(self->c, fb ? PyBytes_AS_STRING(fb) : NULL,
                            db ? PyBytes_AS_STRING(db) : NULL, &e);
    if (st != LLMIO_OK) {
        llmiopy_raise_status(st, e.message);
        goto out;
    }
    rc = 0;
out:
    Py_XDECREF(fb);
    Py_XDECREF(db);
    return rc;
}

static int client_init(PyLlmioClient *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"api_key",
                             "base_url",
                             "provider_options",
                             "headers",
                             "timeout",
                             "connect_timeout",
                             "idle_timeout",
                             "first_byte_timeout",
                             "max_response_bytes",
                             "max_attempts",
                             "retry_base_delay",
                             "retry_max_delay",
                             "max_retry_after",
                             "retry_seed",
                             "on_attempt",
                             "max_concurrency",
                             "max_queued",
                             "rate_limits",
                             "stream_restart",
                             "hedge",
                             "rate_pause",
                             "ca_file",
                             "ca_path",
                             NULL};
    PyObject *api_key = NULL, *base_url = NULL, *popts = NULL, *headers = NULL,
             *timeout = NULL, *ct = NULL, *it = NULL, *fbt = NULL, *maxr = NULL,
             *ra = NULL, *rb = NULL, *rm = NULL, *rx = NULL, *rs = NULL,
             *hook = NULL, *mc = NULL, *mq = NULL, *rl = NULL, *sr = NULL,
             *hg = NULL, *rp = NULL, *caf = NULL, *cap = NULL;
    if (!PyArg_ParseTupleAndKeywords(
            args, kw, "|OOOOOOOOOOOOOOOOOOOOOOO:Client", kwlist, &api_key,
            &base_url, &popts, &headers, &timeout, &ct, &it, &fbt, &maxr, &ra,
            &rb, &rm, &rx, &rs, &hook, &mc, &mq, &rl, &sr, &hg, &rp, &caf,
            &cap)) {
        return -1;
    }
    if (self->c) {
        PyErr_SetString(PyExc_RuntimeError, "Client already initialised");
        return -1;
    }
    llmio_status st = llmio_client_new(NULL, &self->c);
    if (st != LLMIO_OK) {
        llmiopy_raise_status(st, "llmio_client_new failed");
        return -1;
    }
    /* llmio_client_set_retry's documented defaults (include/llmio.h). */
    self->retry_attempts = 3;
    self->retry_base_ms = 500;
    self->retry_max_ms = 8000;
    self->retry_after_max_ms = 120000;
    if (llmiopy_client_retry(self, ra, rb, rm, rx, rs) ||
        llmiopy_client_on_attempt(self, hook ? hook : Py_None) ||
        llmiopy_client_caps(self, mc, mq) ||
        llmiopy_client_rate_limits(self, rl) ||
        llmiopy_client_stream_restart(self, sr) ||
        llmiopy_client_hedge(self, hg)) {
        return -1;
    }
    if (rp && rp != Py_None) {
        /* llmio_client_set_rate_pause: on (the C default) a 429 holds its
         * key for every request of the client. */
        int on = PyObject_IsTrue(rp);
        if (on < 0) {
            return -1;
        }
        llmio_client_set_rate_pause(self->c, on != 0);
    }
    if (set_ca(self, caf, cap) || set_per_provider(self, api_key, "api_key") ||
        set_per_provider(self, base_url, "base_url") ||
        set_timeout(self, LLMIO_TIMEOUT_TOTAL, timeout, "timeout") ||
        set_timeout(self, LLMIO_TIMEOUT_CONNECT, ct, "connect_timeout") ||
        set_timeout(self, LLMIO_TIMEOUT_IDLE, it, "idle_timeout") ||
        set_timeout(self, LLMIO_TIMEOUT_FIRST_BYTE, fbt,
                    "first_byte_timeout")) {
        return -1;
    }
    if (maxr && maxr != Py_None) {
        size_t n = PyLong_AsSize_t(maxr);
        if (PyErr_Occurred() ||
            llmio_client_set_max_response(self->c, n) != LLMIO_OK) {
            PyErr_Clear();
            llmiopy_raise_status(LLMIO_E_INVALID, "max_response_bytes");
            return -1;
        }
    }
    if (popts && popts != Py_None) {
        if (!PyDict_Check(popts)) {
            llmiopy_raise_status(LLMIO_E_INVALID,
                                 "provider_options: expected a dict");
            return -1;
        }
        PyObject *prov, *opts;
        Py_ssize_t pos = 0;
        while (PyDict_Next(popts, &pos, &prov, &opts)) {
            if (!PyUnicode_Check(prov) || !PyDict_Check(opts)) {
                llmiopy_raise_status(LLMIO_E_INVALID,
                                     "provider_options: {provider: {name: "
                                     "value}} expected");
                return -1;
            }
            const char *p = PyUnicode_AsUTF8(prov);
            PyObject *name, *val;
            Py_ssize_t pos2 = 0;
            while (PyDict_Next(opts, &pos2, &name, &val)) {
                if (!PyUnicode_Check(name) ||
                    (val != Py_None && !PyUnicode_Check(val))) {
                    llmiopy_raise_status(LLMIO_E_INVALID,
                                         "provider_options: string values");
                    return -1;
                }
                const char *n = PyUnicode_AsUTF8(name);
                const char *v = val == Py_None ? NULL : PyUnicode_AsUTF8(val);
                if (strcmp(n, "api_key") == 0) {
                    st = llmio_client_set_api_key(self->c, p, v);
                } else if (strcmp(n, "base_url") == 0) {
                    st = llmio_client_set_base_url(self->c, p, v);
                } else {
                    st = llmio_client_set_option(self->c, p, n, v);
                }
                if (st != LLMIO_OK) {
                    char msg[200];
                    snprintf(msg, sizeof msg,
                             "provider_options[%s][%s]: rejected", p, n);
                    llmiopy_raise_status(st, msg);
                    return -1;
                }
            }
        }
    }
    if (headers && headers != Py_None) {
        PyObject *items = PyDict_Check(headers) ? PyDict_Items(headers)
                                                : PySequence_List(headers);
        if (!items) {
            return -1;
        }
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
            PyObject *h = PyList_GET_ITEM(items, i);
            PyObject *s =
                PyTuple_Check(h)
                    ? PyUnicode_FromFormat("%S: %S", PyTuple_GET_ITEM(h, 0),
                                           PyTuple_GET_ITEM(h, 1))
                    : PyObject_Str(h);
            if (!s) {
                Py_DECREF(items);
                return -1;
            }
            st = llmio_client_add_header(self->c, PyUnicode_AsUTF8(s));
            Py_DECREF(s);
            if (st != LLMIO_OK) {
                Py_DECREF(items);
                llmiopy_raise_status(st, "headers: bad header");
                return -1;
            }
        }
        Py_DECREF(items);
    }
    return 0;
}

static void client_close_c(PyLlmioClient *self)
{
    drain_deferred(self);
    if (self->c) {
        llmio_client *c = self->c;
        self->c = NULL;
        /* Runs the done callbacks of pending futures (cancelled); they
         * take the GIL themselves. */
        llmio_client_free(c);
    }
}

static int client_traverse(PyLlmioClient *self, visitproc visit, void *arg)
{
    Py_VISIT(self->on_attempt);
    return 0;
}

static int client_clear(PyLlmioClient *self)
{
    if (self->c) {
        llmio_client_set_attempt_cb(self->c, NULL, NULL);
    }
    Py_CLEAR(self->on_attempt);
    return 0;
}

static void client_dealloc(PyLlmioClient *self)
{
    PyObject_GC_UnTrack((PyObject *)self);
    if (self->weakrefs) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    client_close_c(self);
    drain_deferred(self);
    PyMem_RawFree(self->deferred);
    Py_CLEAR(self->on_attempt);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *client_close(PyLlmioClient *self, PyObject *unused)
{
    (void)unused;
    if (self->depth > 0) {
        return state_error("close() from inside a callback of this client");
    }
    client_close_c(self);
    Py_RETURN_NONE;
}

static PyObject *client_enter(PyObject *self, PyObject *unused)
{
    (void)unused;
    return Py_NewRef(self);
}

static PyObject *client_exit(PyLlmioClient *self, PyObject *args)
{
    (void)args;
    return client_close(self, NULL);
}

static PyObject *client_submit(PyLlmioClient *self, PyObject *args,
                               PyObject *kw)
{
    PyObject *model, *messages, *stream = NULL;
    if (!PyArg_ParseTuple(args, "OO:submit", &model, &messages)) {
        return NULL;
    }
    PyObject *kwc = NULL;
    if (kw) {
        kwc = PyDict_Copy(kw);
        if (!kwc) {
            return NULL;
        }
        stream = PyDict_GetItemString(kwc, "stream");
        Py_XINCREF(stream);
        if (stream) {
            PyDict_DelItemString(kwc, "stream");
        }
    }
    if (!self->c) {
        Py_XDECREF(kwc);
        Py_XDECREF(stream);
        return state_error("the client is closed");
    }
    llmio_request *req = llmiopy_build_request(model, messages, kwc);
    Py_XDECREF(kwc);
    if (!req) {
        Py_XDECREF(stream);
        return NULL;
    }
    PyObject *f = llmiopy_future_submit(self, req, stream);
    llmio_request_free(req);
    Py_XDECREF(stream);
    return f;
}

static PyObject *client_chat(PyLlmioClient *self, PyObject *args, PyObject *kw)
{
    PyObject *f = client_submit(self, args, kw);
    if (!f) {
        return NULL;
    }
    PyObject *r = PyObject_CallMethod(f, "result", NULL);
    Py_DECREF(f);
    return r;
}

static PyObject *client_fileno(PyLlmioClient *self, PyObject *unused)
{
    (void)unused;
    if (!self->c) {
        return state_error("the client is closed");
    }
    return PyLong_FromLong(llmio_client_fd(self->c));
}

static PyObject *client_timeout_ms(PyLlmioClient *self, PyObject *unused)
{
    (void)unused;
    if (!self->c) {
        return PyLong_FromLong(-1);
    }
    return PyLong_FromLong(llmio_client_timeout_ms(self->c));
}

static PyObject *client_step(PyLlmioClient *self, PyObject *unused)
{
    (void)unused;
    if (!self->c) {
        Py_RETURN_NONE; /* closed: nothing left to drive */
    }
    if (llmiopy_client_enter(self)) {
        return NULL;
    }
    /* Non-blocking: keep the GIL (callbacks re-take it cheaply). */
    llmio_status st = llmio_client_step(self->c);
    llmiopy_client_leave(self);
    if (st != LLMIO_OK) {
        return llmiopy_raise_status(st, "llmio_client_step");
    }
    Py_RETURN_NONE;
}

static PyObject *client_run(PyLlmioClient *self, PyObject *args)
{
    double timeout = -1;
    if (!PyArg_ParseTuple(args, "|d:run", &timeout)) {
        return NULL;
    }
    if (llmiopy_client_enter(self)) {
        return NULL;
    }
    llmio_status st;
    Py_BEGIN_ALLOW_THREADS st =
        llmio_client_run(self->c, timeout < 0 ? -1 : (int)(timeout * 1000));
    Py_END_ALLOW_THREADS llmiopy_client_leave(self);
    if (st == LLMIO_E_TIMEOUT) {
        Py_RETURN_FALSE;
    }
    if (st != LLMIO_OK) {
        return llmiopy_raise_status(st, "llmio_client_run");
    }
    Py_RETURN_TRUE;
}

static PyObject *client_wakeup(PyLlmioClient *self, PyObject *unused)
{
    (void)unused;
    if (self->c) {
        llmio_client_wakeup(self->c);
    }
    Py_RETURN_NONE;
}

static PyObject *client_set_retry(PyLlmioClient *self, PyObject *args,
                                  PyObject *kw)
{
    static char *kwlist[] = {"max_attempts",    "base_delay", "max_delay",
                             "max_retry_after", "seed",       NULL};
    PyObject *a = NULL, *b = NULL, *m = NULL, *x = NULL, *s = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$OOOOO:set_retry", kwlist, &a,
                                     &b, &m, &x, &s) ||
        llmiopy_client_retry(self, a, b, m, x, s)) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *client_set_limits(PyLlmioClient *self, PyObject *args,
                                   PyObject *kw)
{
    static char *kwlist[] = {"max_concurrency", "max_queued", NULL};
    PyObject *mc = NULL, *mq = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$OO:set_limits", kwlist, &mc,
                                     &mq) ||
        llmiopy_client_caps(self, mc, mq)) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *client_set_stream_restart(PyLlmioClient *self, PyObject *on)
{
    if (llmiopy_client_stream_restart(self, on)) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *client_set_rate_limit(PyLlmioClient *self, PyObject *args,
                                       PyObject *kw)
{
    static char *kwlist[] = {"scope", "rpm", "tpm", NULL};
    const char *scope = NULL;
    long long rpm = 0, tpm = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|z$LL:set_rate_limit", kwlist,
                                     &scope, &rpm, &tpm) ||
        llmiopy_client_rate_limit(self, scope, rpm, tpm, NULL)) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *client_set_shared_rate_limit(PyLlmioClient *self,
                                              PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"name", "scope", "rpm", "tpm", NULL};
    const char *name = NULL, *scope = NULL;
    long long rpm = 0, tpm = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|z$LL:set_shared_rate_limit",
                                     kwlist, &name, &scope, &rpm, &tpm) ||
        llmiopy_client_rate_limit(self, scope, rpm, tpm, name)) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *client_batch(PyLlmioClient *self, PyObject *args)
{
    return llmiopy_batch_start(self, args);
}

static PyObject *client_get_retry(PyLlmioClient *self, void *unused)
{
    (void)unused;
    return Py_BuildValue("{s:i,s:d,s:d,s:d}", "max_attempts",
                         self->retry_attempts, "base_delay",
                         (double)self->retry_base_ms / 1000.0, "max_delay",
                         (double)self->retry_max_ms / 1000.0, "max_retry_after",
                         (double)self->retry_after_max_ms / 1000.0);
}

static PyObject *client_get_on_attempt(PyLlmioClient *self, void *unused)
{
    (void)unused;
    return Py_NewRef(self->on_attempt ? self->on_attempt : Py_None);
}

static int client_set_on_attempt(PyLlmioClient *self, PyObject *v, void *unused)
{
    (void)unused;
    return llmiopy_client_on_attempt(self, v ? v : Py_None);
}

static PyObject *client_pending(PyLlmioClient *self, void *unused)
{
    (void)unused;
    return PyLong_FromSize_t(self->c ? llmio_client_pending(self->c) : 0);
}

static PyObject *client_closed(PyLlmioClient *self, void *unused)
{
    (void)unused;
    return PyBool_FromLong(self->c == NULL);
}

static PyObject *client_repr(PyLlmioClient *self)
{
    if (!self->c) {
        return PyUnicode_FromFormat("<llmio.%s closed>",
                                    _PyType_Name(Py_TYPE(self)));
    }
    return PyUnicode_FromFormat("<llmio.%s pending=%zu>",
                                _PyType_Name(Py_TYPE(self)),
                                llmio_client_pending(self->c));
}

static PyMethodDef client_methods[] = {
    {"submit", (PyCFunction)(void (*)(void))client_submit,
     METH_VARARGS | METH_KEYWORDS,
     "submit(model, messages, *, stream=None, **options) -> Future\n"
     "Start a request. stream=True: pull deltas with Future.next(); "
     "stream=callable: called with each Delta (raising stops the stream)."},
    {"chat", (PyCFunction)(void (*)(void))client_chat,
     METH_VARARGS | METH_KEYWORDS,
     "chat(model, messages, **options) -> Response (blocking)."},
    {"fileno", (PyCFunction)client_fileno, METH_NOARGS,
     "The descriptor that becomes readable when step() has work."},
    {"timeout_ms", (PyCFunction)client_timeout_ms, METH_NOARGS,
     "Longest wait before step() must be called; -1 when idle."},
    {"step", (PyCFunction)client_step, METH_NOARGS,
     "Make progress without blocking; runs callbacks."},
    {"run", (PyCFunction)client_run, METH_VARARGS,
     "run(timeout=-1) -> bool: drive until idle (True) or timeout (False)."},
    {"wakeup", (PyCFunction)client_wakeup, METH_NOARGS,
     "Make a blocked wait return soon (any thread)."},
    {"set_retry", (PyCFunction)(void (*)(void))client_set_retry,
     METH_VARARGS | METH_KEYWORDS,
     "set_retry(*, max_attempts=None, base_delay=None, max_delay=None, "
     "max_retry_after=None, seed=None): the retry policy (seconds; None "
     "keeps a value). Applies to retry decisions made from now on."},
    {"set_limits", (PyCFunction)(void (*)(void))client_set_limits,
     METH_VARARGS | METH_KEYWORDS,
     "set_limits(*, max_concurrency=None, max_queued=None): cap attempts "
     "on the wire (0: no cap) and the queue waiting for a slot (0: no "
     "bound; past it submit raises StateError 'request queue full')."},
    {"set_stream_restart", (PyCFunction)client_set_stream_restart, METH_O,
     "set_stream_restart(on): retry a failed stream even after its data "
     "reached you; the stream then yields a 'restarted' Delta and starts "
     "over (per request: stream_restart=...)."},
    {"set_rate_limit", (PyCFunction)(void (*)(void))client_set_rate_limit,
     METH_VARARGS | METH_KEYWORDS,
     "set_rate_limit(scope=None, *, rpm=0, tpm=0): requests/tokens per "
     "minute for scope None (the client), 'provider' or 'provider/model' "
     "(per API key). Requests over budget wait inside the engine; 0 = no "
     "limit of that kind (the server's headers and 429s still apply)."},
    {"set_shared_rate_limit",
     (PyCFunction)(void (*)(void))client_set_shared_rate_limit,
     METH_VARARGS | METH_KEYWORDS,
     "set_shared_rate_limit(name, scope=None, *, rpm=0, tpm=0): a budget "
     "shared by every process on this machine that joins NAME "
     "(llmio.shared_rate_limit_unlink(name) removes it)."},
    {"_batch", (PyCFunction)client_batch, METH_VARARGS,
     "_batch(jobs, concurrency, ordered, on_item, on_done) -> Batch: start "
     "an llmio_batch over [(model, messages, options), ...]; "
     "on_item(index, Response or Error) per item, on_done() at the end."},
    {"close", (PyCFunction)client_close, METH_NOARGS,
     "Cancel every pending request and release the client."},
    {"__enter__", (PyCFunction)client_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)client_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef client_getset[] = {
    {"pending", (getter)client_pending, NULL,
     "Number of requests not yet completed.", NULL},
    {"closed", (getter)client_closed, NULL, "Whether close() ran.", NULL},
    {"retry", (getter)client_get_retry, NULL,
     "The retry policy as a dict (seconds).", NULL},
    {"on_attempt", (getter)client_get_on_attempt, (setter)client_set_on_attempt,
     "fn(llmio.AttemptInfo) after each attempt that ended on its own, or "
     "None. Runs on the driving thread; it must not block.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject PyLlmioClient_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "llmio._llmio.Client",
    .tp_basicsize = sizeof(PyLlmioClient),
    .tp_dealloc = (destructor)client_dealloc,
    .tp_repr = (reprfunc)client_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Client(api_key=None, base_url=None, provider_options=None, "
              "headers=None, timeout=None, connect_timeout=None, "
              "idle_timeout=None, first_byte_timeout=None, "
              "max_response_bytes=None, max_attempts=None, "
              "retry_base_delay=None, retry_max_delay=None, "
              "max_retry_after=None, retry_seed=None, on_attempt=None, "
              "max_concurrency=None, max_queued=None, rate_limits=None, "
              "stream_restart=None, hedge=None, rate_pause=None, "
              "ca_file=None, ca_path=None)\n\nOne "
              "llmio client: "
              "a connection pool and every request in flight. api_key and "
              "base_url are a str (openai) or a dict {provider: value}; unset "
              "values come from the environment (OPENAI_API_KEY, ...). "
              "ca_file/ca_path: the CAs that verify https servers (else "
              "SSL_CERT_FILE/SSL_CERT_DIR, else the system's). "
              "Timeouts and delays are seconds.",
    .tp_traverse = (traverseproc)client_traverse,
    .tp_clear = (inquiry)client_clear,
    .tp_weaklistoffset = offsetof(PyLlmioClient, weakrefs),
    .tp_methods = client_methods,
    .tp_getset = client_getset,
    .tp_init = (initproc)client_init,
    .tp_new = PyType_GenericNew,
};
