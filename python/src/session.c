/* session.c - llmio._llmio.Session: a thin binding over llmio_session (the
 * history lives in C; llmio.Session in _extras.py adds Python tools). */
#include "module.h"

typedef struct {
    PyObject_HEAD llmio_session *s;
    PyLlmioClient *client; /* strong ref: the C client outlives the session */
} PyLlmioSession;

static PyObject *session_raise(llmio_status st, const llmio_error *err)
{
    llmio_error e = *err;
    if (e.code == LLMIO_OK) {
        e.code = st;
    }
    return llmiopy_raise(&e);
}

/* The client is open; else a Python exception is set. */
static int session_usable(PyLlmioSession *self)
{
    if (!self->s || !self->client->c) {
        llmiopy_raise_status(LLMIO_E_STATE, "the client is closed");
        return -1;
    }
    return 0;
}

static int session_init(PyLlmioSession *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"client", "model", NULL};
    PyObject *client;
    const char *model;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!s:Session", kwlist,
                                     &PyLlmioClient_Type, &client, &model)) {
        return -1;
    }
    PyLlmioClient *c = (PyLlmioClient *)client;
    if (self->s || !c->c) {
        llmiopy_raise_status(LLMIO_E_STATE, self->s ? "already initialised"
                                                    : "the client is closed");
        return -1;
    }
    llmio_status st = llmio_session_new(c->c, model, &self->s);
    if (st != LLMIO_OK) {
        llmiopy_raise_status(st, "model: required, UTF-8");
        return -1;
    }
    self->client = (PyLlmioClient *)Py_NewRef(client);
    return 0;
}

static void session_dealloc(PyLlmioSession *self)
{
    llmio_session_free(self->s);
    Py_XDECREF(self->client);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* add(messages): append a list of message dicts (any role; a first system
 * message sets the system prompt), parsed by the binding's own reader. */
static PyObject *session_add(PyLlmioSession *self, PyObject *messages)
{
    if (session_usable(self)) {
        return NULL;
    }
    llmio_request *r = llmiopy_build_request(Py_None, messages, NULL);
    if (!r) {
        return NULL;
    }
    llmio_error err;
    llmio_status st = llmio_session_add_messages(self->s, r, &err);
    llmio_request_free(r);
    if (st != LLMIO_OK) {
        return session_raise(st, &err);
    }
    Py_RETURN_NONE;
}

static PyObject *session_add_tool_result(PyLlmioSession *self,
                                         PyObject *args)
{
    const char *id, *content;
    if (!PyArg_ParseTuple(args, "ss:add_tool_result", &id, &content) ||
        session_usable(self)) {
        return NULL;
    }
    llmio_error err;
    llmio_status st = llmio_session_add_tool_result(self->s, id, content, &err);
    if (st != LLMIO_OK) {
        return session_raise(st, &err);
    }
    Py_RETURN_NONE;
}

static PyObject *session_set_system(PyLlmioSession *self, PyObject *text)
{
    const char *t = NULL;
    if (text != Py_None && !(t = PyUnicode_AsUTF8(text))) {
        return NULL;
    }
    llmio_error err;
    llmio_status st = llmio_session_set_system(self->s, t, &err);
    if (st != LLMIO_OK) {
        return session_raise(st, &err);
    }
    Py_RETURN_NONE;
}

/* submit(stream=None, **options): the next turn, with OPTIONS (as for
 * Client.submit) as the session's options. */
static PyObject *session_submit(PyLlmioSession *self, PyObject *args,
                                PyObject *kw)
{
    if (PyTuple_GET_SIZE(args) != 0) {
        PyErr_SetString(PyExc_TypeError, "submit() takes keywords only");
        return NULL;
    }
    if (session_usable(self)) {
        return NULL;
    }
    PyObject *kwc = kw ? PyDict_Copy(kw) : PyDict_New();
    if (!kwc) {
        return NULL;
    }
    PyObject *stream = PyDict_GetItemString(kwc, "stream");
    Py_XINCREF(stream);
    if (stream) {
        PyDict_DelItemString(kwc, "stream");
    }
    llmio_request *req = llmiopy_build_request(Py_None, Py_None, kwc);
    Py_DECREF(kwc);
    PyObject *f = NULL;
    if (req) {
        f = llmiopy_future_submit_session(self->client, self->s, req,
                                          stream ? stream : Py_None);
        llmio_request_free(req);
    }
    Py_XDECREF(stream);
    return f;
}

/* The history as message dicts, in the shape Response.message() gives. */
static PyObject *message_dict(const llmio_session *s, size_t i)
{
    static const char *const roles[] = {"system", "developer", "user",
                                        "assistant", "tool"};
    const char *text = llmio_session_text(s, i, NULL);
    PyObject *d = Py_BuildValue("{s:s,s:z}", "role",
                                roles[llmio_session_role(s, i)], "content",
                                text);
    const char *id = llmio_session_tool_call_id(s, i);
    if (d && id) {
        PyObject *v = PyUnicode_FromString(id);
        if (!v || PyDict_SetItemString(d, "tool_call_id", v)) {
            Py_CLEAR(d);
        }
        Py_XDECREF(v);
    }
    size_t n = llmio_session_tool_calls(s, i);
    PyObject *l = d && n > 0 ? PyList_New(0) : NULL;
    for (size_t j = 0; l && j < n; j++) {
        llmio_tool_call tc;
        llmio_session_tool_call(s, i, j, &tc);
        PyObject *x = Py_BuildValue("{s:s,s:s,s:{s:s,s:s}}", "id", tc.id,
                                    "type", "function", "function", "name",
                                    tc.name, "arguments", tc.arguments);
        if (x && tc.signature) {
            PyObject *sig = PyUnicode_FromString(tc.signature);
            if (!sig || PyDict_SetItemString(x, "signature", sig)) {
                Py_CLEAR(x);
            }
            Py_XDECREF(sig);
        }
        if (!x || PyList_Append(l, x)) {
            Py_CLEAR(l);
        }
        Py_XDECREF(x);
    }
    if (d && n > 0 && (!l || PyDict_SetItemString(d, "tool_calls", l))) {
        Py_CLEAR(d);
    }
    Py_XDECREF(l);
    return d;
}

static PyObject *session_messages(PyLlmioSession *self, PyObject *unused)
{
    (void)unused;
    size_t n = llmio_session_messages(self->s);
    PyObject *l = PyList_New(0);
    for (size_t i = 0; l && i < n; i++) {
        PyObject *d = message_dict(self->s, i);
        if (!d || PyList_Append(l, d)) {
            Py_CLEAR(l);
        }
        Py_XDECREF(d);
    }
    return l;
}

static PyObject *session_truncate(PyLlmioSession *self, PyObject *arg)
{
    Py_ssize_t n = PyNumber_AsSsize_t(arg, PyExc_OverflowError);
    if (n == -1 && PyErr_Occurred()) {
        return NULL;
    }
    llmio_status st = n < 0 ? LLMIO_E_INVALID
                            : llmio_session_truncate(self->s, (size_t)n);
    if (st != LLMIO_OK) {
        return llmiopy_raise_status(st, "truncate: N above the history, or "
                                        "a turn is in flight");
    }
    Py_RETURN_NONE;
}

static PyObject *session_get_system(PyLlmioSession *self, void *unused)
{
    (void)unused;
    const char *t = llmio_session_system(self->s);
    if (!t) {
        Py_RETURN_NONE;
    }
    return PyUnicode_FromString(t);
}

static PyObject *session_get_busy(PyLlmioSession *self, void *unused)
{
    (void)unused;
    return PyBool_FromLong(llmio_session_busy(self->s));
}

static PyMethodDef session_methods[] = {
    {"add", (PyCFunction)session_add, METH_O,
     "add(messages): append message dicts (a first system message sets the "
     "system prompt)"},
    {"add_tool_result", (PyCFunction)session_add_tool_result, METH_VARARGS,
     "add_tool_result(tool_call_id, content): answer a call of the last "
     "assistant message"},
    {"set_system", (PyCFunction)session_set_system, METH_O,
     "set_system(text or None)"},
    {"submit", (PyCFunction)session_submit, METH_VARARGS | METH_KEYWORDS,
     "submit(stream=None, **options) -> Future: the next turn; its reply "
     "joins the history when it succeeds"},
    {"messages", (PyCFunction)session_messages, METH_NOARGS,
     "the history as a list of message dicts (system prompt apart)"},
    {"truncate", (PyCFunction)session_truncate, METH_O,
     "truncate(n): keep the first n messages"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef session_getset[] = {
    {"system", (getter)session_get_system, NULL, "the system prompt", NULL},
    {"busy", (getter)session_get_busy, NULL, "a turn is in flight", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject PyLlmioSession_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "llmio._llmio.Session",
    .tp_basicsize = sizeof(PyLlmioSession),
    .tp_dealloc = (destructor)session_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Session(client, model): a conversation kept by the C library "
              "(llmio_session)",
    .tp_methods = session_methods,
    .tp_getset = session_getset,
    .tp_init = (initproc)session_init,
    .tp_new = PyType_GenericNew,
};
