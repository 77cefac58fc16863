/* batch.c - llmio._llmio.Batch: one llmio_batch (many requests, a cap of
 * their own, every item reported exactly once). Jobs are pulled from a
 * Python iterator and built into requests lazily, in the batch's source
 * callback, so only the requests in flight exist (a generator of a
 * million prompts is never materialised). An exception the iterator
 * raises ends and cancels the batch and is kept as Batch.error. */
#include "module.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The callbacks' user pointer. It outlives the Python Batch when that is
 * dropped while running (the batch is then cancelled, and its done
 * callback, which always comes last, frees this). */
typedef struct {
    PyObject *owner; /* the Batch, borrowed; NULL once it is gone */
    PyObject *jobs;  /* iterator of (model, messages, options) or an
                        exception (a bad item), owned; NULL once ended */
    llmio_batch *b;  /* to cancel it when the iterator raises */
} batch_ctx;

typedef struct {
    PyObject_HEAD llmio_batch *b;
    PyLlmioClient *client; /* strong: the batch needs its client */
    batch_ctx *ctx;        /* NULL before start and once done */
    PyObject *on_item;     /* on_item(index, Response or Error) */
    PyObject *on_done;     /* on_done() once every item was reported */
    Py_ssize_t n;     /* items, once the iterator ended; -1 before */
    PyObject *error;  /* the exception the iterator raised, or NULL */
    int done;
    PyObject *weakrefs;
} PyLlmioBatch;

static void report_unraisable(PyObject *where)
{
    if (PyErr_Occurred()) {
        PyErr_WriteUnraisable(where);
    }
}

/* Exception V (a failed build, or a bad item's error) as a C error for
 * that item: an llmio.Error keeps its status, anything else is
 * E_INVALID. */
static llmio_status error_from_exception(PyObject *v, llmio_error *err)
{
    llmio_status st = LLMIO_E_INVALID;
    PyObject *code = v ? PyObject_GetAttrString(v, "code") : NULL;
    if (code && PyLong_Check(code)) {
        long c = PyLong_AsLong(code);
        if (c > 0 && c < LLMIO_STATUS_COUNT_) {
            st = (llmio_status)c;
        }
    }
    Py_XDECREF(code);
    PyErr_Clear();
    PyObject *s = v ? PyObject_Str(v) : NULL;
    const char *msg = s ? PyUnicode_AsUTF8(s) : NULL;
    if (msg) {
        /* "E_INVALID: messages[0]..." -> the part after the status */
        const char *p = strstr(msg, ": ");
        snprintf(err->message, sizeof err->message, "%s",
                 p && strncmp(msg, "E_", 2) == 0 ? p + 2 : msg);
    }
    PyErr_Clear();
    Py_XDECREF(s);
    return st;
}

/* The pending Python exception, normalised and with its traceback. */
static PyObject *fetch_exception(void)
{
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    if (v && tb) {
        PyException_SetTraceback(v, tb);
    }
    Py_XDECREF(t);
    Py_XDECREF(tb);
    return v;
}

/* The iterator ended (ERROR NULL) or raised ERROR [taken]: no more items;
 * on an error the items in flight are cancelled too. */
static void source_ended(batch_ctx *ctx, size_t count, PyObject *error)
{
    PyLlmioBatch *self = (PyLlmioBatch *)ctx->owner;
    Py_CLEAR(ctx->jobs);
    if (self) {
        self->n = (Py_ssize_t)count;
        if (error && !self->error) {
            self->error = Py_NewRef(error);
        }
    }
    if (error) {
        llmio_batch_cancel(ctx->b);
        Py_DECREF(error);
    }
}

static llmio_status source_cb(void *user, size_t index, llmio_request **req,
                              llmio_error *err)
{
    batch_ctx *ctx = user;
    llmio_status st = LLMIO_OK;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *et, *ev, *etb;
    PyErr_Fetch(&et, &ev, &etb);
    PyObject *job = ctx->jobs ? PyIter_Next(ctx->jobs) : NULL;
    PyObject *model, *messages, *opts;
    if (!job) {
        source_ended(ctx, index, PyErr_Occurred() ? fetch_exception() : NULL);
    } else if (PyExceptionInstance_Check(job)) {
        st = error_from_exception(job, err);
    } else if (!PyTuple_Check(job) ||
               !PyArg_ParseTuple(job, "OOO", &model, &messages, &opts) ||
               !PyDict_Check(opts)) {
        PyErr_Clear();
        snprintf(err->message, sizeof err->message,
                 "batch item %zu: expected (model, messages, options)", index);
        st = LLMIO_E_INVALID;
    } else {
        PyObject *kw = PyDict_Copy(opts);
        *req = kw ? llmiopy_build_request(model, messages, kw) : NULL;
        Py_XDECREF(kw);
        if (!*req) {
            PyObject *v = fetch_exception();
            st = error_from_exception(v, err);
            Py_XDECREF(v);
        }
    }
    Py_XDECREF(job);
    PyErr_Restore(et, ev, etb);
    PyGILState_Release(g);
    return st;
}

/* Item INDEX ended: its future is detached from the batch into a Python
 * Future of its own, so the Response (or error) lives as long as Python
 * holds it, and the batch keeps nothing per item. */
static void item_cb(llmio_batch *b, size_t index, llmio_future *f, void *user)
{
    batch_ctx *ctx = user;
    PyGILState_STATE g = PyGILState_Ensure();
    PyLlmioBatch *self = (PyLlmioBatch *)ctx->owner;
    if (self && self->on_item && llmio_batch_detach(b, f) == LLMIO_OK) {
        PyObject *et, *ev, *etb;
        PyErr_Fetch(&et, &ev, &etb);
        Py_INCREF(self);
        PyObject *fut = llmiopy_future_adopt(self->client, f);
        /* The Response, or the exception object (not raised). */
        int ok = llmio_future_status(f) == LLMIO_OK;
        PyObject *res =
            fut ? llmiopy_future_outcome((PyLlmioFuture *)fut, ok) : NULL;
        PyObject *r = res ? PyObject_CallFunction(self->on_item, "nO",
                                                  (Py_ssize_t)index, res)
                          : NULL;
        if (!r) {
            report_unraisable(self->on_item);
        }
        Py_XDECREF(r);
        Py_XDECREF(res);
        Py_XDECREF(fut);
        Py_DECREF(self);
        PyErr_Restore(et, ev, etb);
    }
    PyGILState_Release(g);
}

static void done_cb(llmio_batch *b, void *user)
{
    (void)b;
    batch_ctx *ctx = user;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *et, *ev, *etb;
    PyErr_Fetch(&et, &ev, &etb);
    PyLlmioBatch *self = (PyLlmioBatch *)ctx->owner;
    Py_CLEAR(ctx->jobs);
    PyMem_RawFree(ctx);
    if (self) {
        Py_INCREF(self);
        self->ctx = NULL;
        self->done = 1;
        /* No item comes any more: drop what the callbacks hold. */
        Py_CLEAR(self->on_item);
        PyObject *fn = self->on_done;
        self->on_done = NULL;
        if (fn) {
            PyObject *r = PyObject_CallNoArgs(fn);
            if (!r) {
                report_unraisable(fn);
            }
            Py_XDECREF(r);
            Py_DECREF(fn);
        }
        Py_DECREF(self);
    }
    PyErr_Restore(et, ev, etb);
    PyGILState_Release(g);
}

/* Client._batch(jobs, concurrency, ordered, on_item, on_done) -> Batch;
 * JOBS: any iterable of (model, messages, options) or exception objects
 * (bad items), pulled one at a time as slots free up. */
PyObject *llmiopy_batch_start(PyLlmioClient *c, PyObject *args)
{
    PyObject *jobs, *on_item, *on_done;
    Py_ssize_t conc;
    int ordered;
    if (!PyArg_ParseTuple(args, "OnpOO:_batch", &jobs, &conc, &ordered,
                          &on_item, &on_done)) {
        return NULL;
    }
    if (!c->c) {
        return llmiopy_raise_status(LLMIO_E_STATE, "the client is closed");
    }
    PyLlmioBatch *self = PyObject_GC_New(PyLlmioBatch, &PyLlmioBatch_Type);
    if (!self) {
        return NULL;
    }
    self->b = NULL;
    self->client = (PyLlmioClient *)Py_NewRef((PyObject *)c);
    self->ctx = NULL;
    self->on_item = on_item == Py_None ? NULL : Py_NewRef(on_item);
    self->on_done = on_done == Py_None ? NULL : Py_NewRef(on_done);
    self->n = -1;
    self->error = NULL;
    self->done = 0;
    self->weakrefs = NULL;
    PyObject_GC_Track((PyObject *)self);
    batch_ctx *ctx = PyMem_RawMalloc(sizeof *ctx);
    if (!ctx) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    ctx->owner = (PyObject *)self;
    ctx->b = NULL;
    ctx->jobs = PyObject_GetIter(jobs);
    if (!ctx->jobs || llmiopy_client_enter(c)) {
        Py_XDECREF(ctx->jobs);
        PyMem_RawFree(ctx);
        Py_DECREF(self);
        return NULL;
    }
    char msg[96] = "llmio_batch_new";
    llmio_status st = llmio_batch_new(
        c->c, conc < 1 ? 1 : (size_t)conc,
        ordered ? LLMIO_BATCH_ORDERED : 0, &self->b);
    if (st == LLMIO_OK) {
        ctx->b = self->b;
        llmio_batch_set_callbacks(self->b, item_cb, done_cb, ctx);
        st = llmio_batch_start(self->b, source_cb, ctx);
        snprintf(msg, sizeof msg, "llmio_batch_start");
    } else if (st == LLMIO_E_INVALID) {
        snprintf(msg, sizeof msg, "concurrency: 1..1000000, got %zd", conc);
    }
    llmiopy_client_leave(c);
    if (st != LLMIO_OK) {
        /* No callback will run: the context is ours. */
        Py_XDECREF(ctx->jobs);
        PyMem_RawFree(ctx);
        Py_DECREF(self);
        return llmiopy_raise_status(st, msg);
    }
    self->ctx = ctx;
    return (PyObject *)self;
}

static int batch_traverse(PyLlmioBatch *self, visitproc visit, void *arg)
{
    Py_VISIT(self->client);
    Py_VISIT(self->on_item);
    Py_VISIT(self->on_done);
    Py_VISIT(self->error);
    return 0;
}

static int batch_clear(PyLlmioBatch *self)
{
    Py_CLEAR(self->on_item);
    Py_CLEAR(self->on_done);
    Py_CLEAR(self->error);
    return 0;
}

static void batch_dealloc(PyLlmioBatch *self)
{
    PyObject_GC_UnTrack((PyObject *)self);
    if (self->weakrefs) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    if (self->ctx) {
        self->ctx->owner = NULL; /* running: done_cb frees the context */
    }
    if (self->b) {
        /* Cancels a running batch; the C side keeps its memory until the
         * last callback. Deferred when another thread drives the client;
         * also fine after the client was freed. */
        llmiopy_client_free_batch(self->client, self->b);
        self->b = NULL;
    }
    batch_clear(self);
    Py_CLEAR(self->client);
    PyObject_GC_Del(self);
}

static PyObject *batch_cancel(PyLlmioBatch *self, PyObject *unused)
{
    (void)unused;
    if (self->done || !self->b || !self->client->c) {
        Py_RETURN_FALSE;
    }
    if (llmiopy_client_enter(self->client)) {
        return NULL;
    }
    llmio_batch_cancel(self->b);
    llmiopy_client_leave(self->client);
    Py_RETURN_TRUE;
}

static PyObject *batch_wait(PyLlmioBatch *self, PyObject *args)
{
    double timeout = -1;
    if (!PyArg_ParseTuple(args, "|d:wait", &timeout)) {
        return NULL;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!self->done && self->client->c) {
        int slice = 200;
        if (timeout >= 0) {
            struct timespec t1;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double left = timeout - ((double)(t1.tv_sec - t0.tv_sec) +
                                     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
            if (left <= 0) {
                Py_RETURN_FALSE;
            }
            if (left * 1000 < slice) {
                slice = (int)(left * 1000) + 1;
            }
        }
        if (llmiopy_client_enter(self->client)) {
            return NULL;
        }
        llmio_status st;
        Py_BEGIN_ALLOW_THREADS st = llmio_batch_wait(self->b, slice);
        Py_END_ALLOW_THREADS llmiopy_client_leave(self->client);
        if (st != LLMIO_OK && st != LLMIO_E_TIMEOUT) {
            return llmiopy_raise_status(st, "llmio_batch_wait (inside a "
                                            "callback or an asyncio-driven "
                                            "client?)");
        }
        if (PyErr_CheckSignals()) {
            return NULL;
        }
    }
    Py_RETURN_TRUE;
}

static PyObject *batch_progress(PyLlmioBatch *self, PyObject *unused)
{
    (void)unused;
    llmio_batch_stats s;
    llmio_batch_progress(self->b, &s);
    PyObject *total =
        self->n < 0 ? Py_NewRef(Py_None) : PyLong_FromSsize_t(self->n);
    return Py_BuildValue("{s:N,s:n,s:n,s:n,s:n,s:n}", "total", total, "taken",
                         (Py_ssize_t)s.taken, "reported",
                         (Py_ssize_t)s.reported, "ok", (Py_ssize_t)s.ok,
                         "failed", (Py_ssize_t)s.failed, "in_flight",
                         (Py_ssize_t)s.in_flight);
}

static PyObject *batch_get_done(PyLlmioBatch *self, void *unused)
{
    (void)unused;
    return PyBool_FromLong(self->done);
}

static PyMethodDef batch_methods[] = {
    {"cancel", (PyCFunction)batch_cancel, METH_NOARGS,
     "Cancel every item not yet finished (each is still reported)."},
    {"wait", (PyCFunction)batch_wait, METH_VARARGS,
     "wait(timeout=-1) -> bool: drive the client until the batch is done."},
    {"progress", (PyCFunction)batch_progress, METH_NOARGS,
     "{'total' (None until the jobs ran out), 'taken', 'reported', 'ok', "
     "'failed', 'in_flight'}"},
    {NULL, NULL, 0, NULL},
};

static PyObject *batch_get_error(PyLlmioBatch *self, void *unused)
{
    (void)unused;
    return Py_NewRef(self->error ? self->error : Py_None);
}

static PyGetSetDef batch_getset[] = {
    {"done", (getter)batch_get_done, NULL, "Every item was reported.", NULL},
    {"error", (getter)batch_get_error, NULL,
     "The exception the jobs iterator raised (it ended and cancelled the "
     "batch), or None.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject PyLlmioBatch_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "llmio._llmio.Batch",
    .tp_basicsize = sizeof(PyLlmioBatch),
    .tp_dealloc = (destructor)batch_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A running llmio_batch (see Client.abatch/batch/as_completed). "
              "Dropping it cancels what is left.",
    .tp_traverse = (traverseproc)batch_traverse,
    .tp_clear = (inquiry)batch_clear,
    .tp_weaklistoffset = offsetof(PyLlmioBatch, weakrefs),
    .tp_methods = batch_methods,
    .tp_getset = batch_getset,
};
