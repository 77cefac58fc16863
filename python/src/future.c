/* future.c - llmio.Future: one submitted request. */
#include "module.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

struct pyfut_ctx {
    PyLlmioFuture *owner; /* NULL once the Python future is gone */
};

PyObject *llmiopy_future_owner(llmio_future *f)
{
    if (llmio_batch_index(f, NULL)) {
        /* A batch item: its user pointer is the batch's context, and its
         * Python Future exists only once it is reported. */
        return NULL;
    }
    pyfut_ctx *ctx = llmio_future_user(f);
    return ctx ? (PyObject *)ctx->owner : NULL;
}

static void done_cb(llmio_future *f, void *user)
{
    (void)f;
    pyfut_ctx *ctx = user;
    PyGILState_STATE g = PyGILState_Ensure();
    PyLlmioFuture *self = ctx->owner;
    PyMem_RawFree(ctx);
    if (!self) {
        PyGILState_Release(g);
        return;
    }
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    Py_INCREF(self);
    self->ctx = NULL;
    self->completed = 1;
    PyObject *cbs = self->callbacks;
    self->callbacks = NULL;
    if (cbs) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(cbs); i++) {
            PyObject *cb = PyList_GET_ITEM(cbs, i);
            PyObject *r = PyObject_CallOneArg(cb, (PyObject *)self);
            if (!r) {
                PyErr_WriteUnraisable(cb);
            }
            Py_XDECREF(r);
        }
        Py_DECREF(cbs);
    }
    Py_DECREF(self);
    PyErr_Restore(et, ev, tb);
    PyGILState_Release(g);
}

static int stream_cb(llmio_future *f, const llmio_delta *d, void *user)
{
    (void)f;
    pyfut_ctx *ctx = user;
    int stop = 0;
    PyGILState_STATE g = PyGILState_Ensure();
    PyLlmioFuture *self = ctx->owner;
    if (!self) {
        stop = 1;
    } else if (self->on_delta && !self->stream_exc) {
        Py_INCREF(self);
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        PyObject *delta = llmiopy_delta_new(d);
        PyObject *r = delta ? PyObject_CallOneArg(self->on_delta, delta) : NULL;
        Py_XDECREF(delta);
        if (!r) {
            /* Stop the stream; wait()/result() raises this again. */
            PyObject *t2, *v2, *tb2;
            PyErr_Fetch(&t2, &v2, &tb2);
            PyErr_NormalizeException(&t2, &v2, &tb2);
            if (tb2 && v2) {
                PyException_SetTraceback(v2, tb2);
            }
            self->stream_exc = v2 ? v2 : Py_NewRef(Py_None);
            Py_XDECREF(t2);
            Py_XDECREF(tb2);
            stop = 1;
        }
        Py_XDECREF(r);
        PyErr_Restore(et, ev, tb);
        Py_DECREF(self);
    } else if (self->stream_exc) {
        stop = 1;
    }
    PyGILState_Release(g);
    return stop;
}

static void future_init(PyLlmioFuture *self, PyLlmioClient *c)
{
    self->f = NULL;
    self->client = (PyLlmioClient *)Py_NewRef((PyObject *)c);
    self->ctx = NULL;
    self->on_delta = NULL;
    self->callbacks = NULL;
    self->stream_exc = NULL;
    self->response = NULL;
    self->pull = 0;
    self->completed = 0;
    self->weakrefs = NULL;
    PyObject_GC_Track((PyObject *)self);
}

PyObject *llmiopy_future_adopt(PyLlmioClient *c, llmio_future *f)
{
    PyLlmioFuture *self = PyObject_GC_New(PyLlmioFuture, &PyLlmioFuture_Type);
    if (!self) {
        llmio_future_free(f);
        return NULL;
    }
    future_init(self, c);
    self->f = f;
    self->completed = 1;
    return (PyObject *)self;
}

PyObject *llmiopy_future_submit(PyLlmioClient *c, llmio_request *req,
                                PyObject *stream)
{
    return llmiopy_future_submit_session(c, NULL, req, stream);
}

PyObject *llmiopy_future_submit_session(PyLlmioClient *c, llmio_session *s,
                                        llmio_request *req, PyObject *stream)
{
    if (stream == Py_None || stream == Py_False) {
        stream = NULL;
    }
    PyLlmioFuture *self = PyObject_GC_New(PyLlmioFuture, &PyLlmioFuture_Type);
    if (!self) {
        return NULL;
    }
    future_init(self, c);
    if (stream) {
        if (stream == Py_True) {
            self->pull = 1;
            llmio_request_set_stream(req, NULL, true);
        } else if (PyCallable_Check(stream)) {
            self->on_delta = Py_NewRef(stream);
            llmio_request_set_stream(req, stream_cb, true);
        } else {
            Py_DECREF(self);
            PyErr_SetString(PyExc_TypeError,
                            "stream must be None, True or a callable");
            return NULL;
        }
    }
    self->ctx = PyMem_RawMalloc(sizeof *self->ctx);
    if (!self->ctx) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->ctx->owner = self;
    if (llmiopy_client_enter(c)) {
        Py_DECREF(self);
        return NULL;
    }
    llmio_error err;
    llmio_status st;
    if (s != NULL) {
        /* A session turn: REQ holds the options, the session the rest. */
        st = llmio_session_set_options(s, req, &err);
        if (st == LLMIO_OK) {
            st = llmio_session_submit(s, done_cb, self->ctx, &self->f, &err);
        }
    } else {
        st = llmio_submit(c->c, req, done_cb, self->ctx, &self->f, &err);
    }
    llmiopy_client_leave(c);
    if (st != LLMIO_OK) {
        /* No callback will ever run: the context is ours to free. */
        Py_DECREF(self);
        if (err.code == LLMIO_OK) {
            err.code = st;
        }
        return llmiopy_raise(&err);
    }
    return (PyObject *)self;
}

static int future_traverse(PyLlmioFuture *self, visitproc visit, void *arg)
{
    Py_VISIT(self->client);
    Py_VISIT(self->on_delta);
    Py_VISIT(self->callbacks);
    Py_VISIT(self->stream_exc);
    Py_VISIT(self->response);
    return 0;
}

static int future_clear(PyLlmioFuture *self)
{
    /* The client reference stays until dealloc: the C future needs it. */
    Py_CLEAR(self->on_delta);
    Py_CLEAR(self->callbacks);
    Py_CLEAR(self->stream_exc);
    Py_CLEAR(self->response);
    return 0;
}

static void future_dealloc(PyLlmioFuture *self)
{
    PyObject_GC_UnTrack((PyObject *)self);
    if (self->weakrefs) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    if (self->f) {
        if (self->ctx) {
            self->ctx->owner = NULL; /* done_cb frees it later */
        }
        /* Pending: cancelled, done_cb runs once from the loop. Done
         * (or a detached batch item): released. */
        llmiopy_client_free_future(self->client, self->f);
        self->f = NULL;
    } else if (self->ctx) {
        PyMem_RawFree(self->ctx); /* submit refused */
    }
    self->ctx = NULL;
    future_clear(self);
    Py_CLEAR(self->client);
    PyObject_GC_Del(self);
}

static int is_done(PyLlmioFuture *self)
{
    return !self->f || self->completed || llmio_future_done(self->f);
}

/* Wait up to TIMEOUT seconds (<0 forever). 1 done, 0 timed out, -1 error. */
static int wait_done(PyLlmioFuture *self, double timeout)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!is_done(self)) {
        if (!self->client->c) {
            return 1; /* closed: every future completed */
        }
        int slice = 200;
        if (timeout >= 0) {
            struct timespec t1;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double left = timeout - ((double)(t1.tv_sec - t0.tv_sec) +
                                     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
            if (left <= 0) {
                return 0;
            }
            if (left * 1000 < slice) {
                slice = (int)ceil(left * 1000);
            }
        }
        if (llmiopy_client_enter(self->client)) {
            return -1;
        }
        llmio_status st;
        Py_BEGIN_ALLOW_THREADS st = llmio_future_wait(self->f, slice);
        Py_END_ALLOW_THREADS llmiopy_client_leave(self->client);
        if (st != LLMIO_OK && st != LLMIO_E_TIMEOUT) {
            llmiopy_raise_status(st, "llmio_future_wait (inside a callback "
                                     "or an asyncio-driven client?)");
            return -1;
        }
        if (PyErr_CheckSignals()) {
            return -1;
        }
    }
    return 1;
}

static int parse_timeout(PyObject *o, double *out)
{
    *out = -1;
    if (o && o != Py_None) {
        *out = PyFloat_AsDouble(o);
        if (*out == -1.0 && PyErr_Occurred()) {
            return -1;
        }
        if (*out < 0) {
            *out = 0;
        }
    }
    return 0;
}

/* Build the outcome: Response, or set the exception. */
PyObject *llmiopy_future_outcome(PyLlmioFuture *self, int raise)
{
    if (self->stream_exc) {
        if (!raise) {
            return Py_NewRef(self->stream_exc);
        }
        PyErr_SetObject((PyObject *)Py_TYPE(self->stream_exc),
                        self->stream_exc);
        return NULL;
    }
    llmio_status st = llmio_future_status(self->f);
    if (st == LLMIO_OK) {
        if (!raise) {
            Py_RETURN_NONE;
        }
        /* Not cached on the future: Response -> Future would make an
         * uncollectable cycle (Response is not a GC type). */
        return llmiopy_response_new(self);
    }
    llmiopy_raise(llmio_future_error(self->f));
    if (raise) {
        return NULL;
    }
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    Py_XDECREF(t);
    Py_XDECREF(tb);
    return v;
}

/* result(timeout=None) and exception(timeout=None): wait up to TIMEOUT,
 * then the outcome (RESULT 1: the response or raise; 0: the exception or
 * None). FMT is the argument format naming the method for errors. */
static PyObject *wait_outcome(PyLlmioFuture *self, PyObject *args,
                              PyObject *kw, const char *fmt, int result)
{
    static char *kwlist[] = {"timeout", NULL};
    PyObject *to = NULL;
    double timeout;
    if (!PyArg_ParseTupleAndKeywords(args, kw, fmt, kwlist, &to) ||
        parse_timeout(to, &timeout)) {
        return NULL;
    }
    int r = wait_done(self, timeout);
    if (r < 0) {
        return NULL;
    }
    if (r == 0) {
        PyErr_Format(PyExc_TimeoutError, "%s(): the request is still pending",
                     fmt + 3);
        return NULL;
    }
    return llmiopy_future_outcome(self, result);
}

static PyObject *future_result(PyLlmioFuture *self, PyObject *args,
                               PyObject *kw)
{
    return wait_outcome(self, args, kw, "|O:result", 1);
}

static PyObject *future_exception(PyLlmioFuture *self, PyObject *args,
                                  PyObject *kw)
{
    return wait_outcome(self, args, kw, "|O:exception", 0);
}

static PyObject *future_wait(PyLlmioFuture *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"timeout", NULL};
    PyObject *to = NULL;
    double timeout;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:wait", kwlist, &to) ||
        parse_timeout(to, &timeout)) {
        return NULL;
    }
    int r = wait_done(self, timeout);
    if (r < 0) {
        return NULL;
    }
    return PyBool_FromLong(r);
}

static PyObject *future_done(PyLlmioFuture *self, PyObject *unused)
{
    (void)unused;
    return PyBool_FromLong(is_done(self));
}

static PyObject *future_cancel(PyLlmioFuture *self, PyObject *unused)
{
    (void)unused;
    if (is_done(self) || !self->client->c) {
        Py_RETURN_FALSE;
    }
    if (llmiopy_client_enter(self->client)) {
        return NULL;
    }
    llmio_future_cancel(self->f);
    llmiopy_client_leave(self->client);
    Py_RETURN_TRUE;
}

static PyObject *future_cancelled(PyLlmioFuture *self, PyObject *unused)
{
    (void)unused;
    return PyBool_FromLong(self->f && llmio_future_done(self->f) &&
                           llmio_future_status(self->f) == LLMIO_E_CANCELLED);
}

static PyObject *future_add_done_callback(PyLlmioFuture *self, PyObject *fn)
{
    if (!PyCallable_Check(fn)) {
        PyErr_SetString(PyExc_TypeError, "expected a callable");
        return NULL;
    }
    if (self->completed || !self->ctx) {
        PyObject *r = PyObject_CallOneArg(fn, (PyObject *)self);
        if (!r) {
            return NULL;
        }
        Py_DECREF(r);
        Py_RETURN_NONE;
    }
    if (!self->callbacks && !(self->callbacks = PyList_New(0))) {
        return NULL;
    }
    if (PyList_Append(self->callbacks, fn)) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *future_next(PyLlmioFuture *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"timeout", NULL};
    PyObject *to = NULL;
    double timeout;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:next", kwlist, &to) ||
        parse_timeout(to, &timeout)) {
        return NULL;
    }
    if (!self->pull) {
        return llmiopy_raise_status(LLMIO_E_INVALID,
                                    "next(): submitted without stream=True");
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (!self->client->c) {
            Py_RETURN_NONE;
        }
        int slice = 200;
        if (timeout >= 0) {
            struct timespec t1;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double left = timeout - ((double)(t1.tv_sec - t0.tv_sec) +
                                     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
            slice = left <= 0             ? 0
                    : left * 1000 < slice ? (int)ceil(left * 1000)
                                          : slice;
        }
        if (llmiopy_client_enter(self->client)) {
            return NULL;
        }
        const llmio_delta *d = NULL;
        llmio_status st;
        Py_BEGIN_ALLOW_THREADS st = llmio_future_next(self->f, &d, slice);
        Py_END_ALLOW_THREADS llmiopy_client_leave(self->client);
        if (st == LLMIO_OK && d) {
            return llmiopy_delta_new(d);
        }
        if (st != LLMIO_E_TIMEOUT || llmio_future_done(self->f)) {
            /* Over (E_TIMEOUT may be the request's own outcome):
             * result() gives the outcome. */
            Py_RETURN_NONE;
        }
        if (PyErr_CheckSignals()) {
            return NULL;
        }
        if (timeout >= 0 && slice == 0) {
            PyErr_SetString(PyExc_TimeoutError, "next(): no delta in time");
            return NULL;
        }
    }
}

static PyObject *future_get_status(PyLlmioFuture *self, void *unused)
{
    (void)unused;
    if (!self->f) {
        return PyUnicode_FromString("E_STATE");
    }
    if (!is_done(self)) {
        return PyUnicode_FromString("PENDING");
    }
    return PyUnicode_FromString(
        llmio_status_name(llmio_future_status(self->f)));
}

static PyObject *future_get_client(PyLlmioFuture *self, void *unused)
{
    (void)unused;
    return Py_NewRef((PyObject *)self->client);
}

static PyObject *future_repr(PyLlmioFuture *self)
{
    PyObject *st = future_get_status(self, NULL);
    if (!st) {
        return NULL;
    }
    PyObject *r = PyUnicode_FromFormat("<llmio.Future %U%s>", st,
                                       self->pull ? " stream" : "");
    Py_DECREF(st);
    return r;
}

static PyMethodDef future_methods[] = {
    {"result", (PyCFunction)(void (*)(void))future_result,
     METH_VARARGS | METH_KEYWORDS,
     "result(timeout=None) -> Response; raises the request's llmio.Error "
     "(or the exception a stream callback raised)."},
    {"exception", (PyCFunction)(void (*)(void))future_exception,
     METH_VARARGS | METH_KEYWORDS, "exception(timeout=None) -> exc or None"},
    {"wait", (PyCFunction)(void (*)(void))future_wait,
     METH_VARARGS | METH_KEYWORDS,
     "wait(timeout=None) -> bool: drive the client until done."},
    {"done", (PyCFunction)future_done, METH_NOARGS, NULL},
    {"cancel", (PyCFunction)future_cancel, METH_NOARGS,
     "Stop the request now (it completes with CancelledError)."},
    {"cancelled", (PyCFunction)future_cancelled, METH_NOARGS, NULL},
    {"add_done_callback", (PyCFunction)future_add_done_callback, METH_O,
     "fn(future) runs once when the request completes (from the loop)."},
    {"next", (PyCFunction)(void (*)(void))future_next,
     METH_VARARGS | METH_KEYWORDS,
     "next(timeout=None) -> Delta or None at the end (stream=True only)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef future_getset[] = {
    {"status", (getter)future_get_status, NULL,
     "'PENDING', 'OK' or the error status name.", NULL},
    {"client", (getter)future_get_client, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject PyLlmioFuture_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "llmio.Future",
    .tp_basicsize = sizeof(PyLlmioFuture),
    .tp_dealloc = (destructor)future_dealloc,
    .tp_repr = (reprfunc)future_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A submitted request; completes exactly once. Dropping a "
              "pending future cancels it.",
    .tp_traverse = (traverseproc)future_traverse,
    .tp_clear = (inquiry)future_clear,
    .tp_weaklistoffset = offsetof(PyLlmioFuture, weakrefs),
    .tp_methods = future_methods,
    .tp_getset = future_getset,
};
