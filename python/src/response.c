/* response.c - llmio.Response (borrowing the C response from its future),
 * llmio.ToolCall, llmio.Delta, llmio.Usage and llmio.Choice. */
#include "module.h"

#include <stddef.h>
#include <structmember.h>
#include <string.h>

static PyObject *str_or_none(const char *s, Py_ssize_t len)
{
    if (!s) {
        Py_RETURN_NONE;
    }
    return PyUnicode_DecodeUTF8(s, len < 0 ? (Py_ssize_t)strlen(s) : len,
                                "replace");
}

const char *llmiopy_finish_name(llmio_finish_reason f)
{
    switch (f) {
    case LLMIO_FINISH_STOP:
        return "stop";
    case LLMIO_FINISH_LENGTH:
        return "length";
    case LLMIO_FINISH_TOOL_CALLS:
        return "tool_calls";
    case LLMIO_FINISH_CONTENT_FILTER:
        return "content_filter";
    case LLMIO_FINISH_OTHER:
        return "other";
    default:
        return NULL;
    }
}

static PyObject *json_loads(PyObject *s)
{
    static PyObject *loads;
    if (!loads) {
        PyObject *json = PyImport_ImportModule("json");
        if (!json) {
            return NULL;
        }
        loads = PyObject_GetAttrString(json, "loads");
        Py_DECREF(json);
        if (!loads) {
            return NULL;
        }
    }
    return PyObject_CallOneArg(loads, s);
}

/* ---- Usage: a struct sequence ---- */

static PyStructSequence_Field usage_fields[] = {
    {"prompt_tokens", NULL},    {"completion_tokens", NULL},
    {"total_tokens", NULL},     {"cached_tokens", NULL},
    {"reasoning_tokens", NULL}, {NULL, NULL},
};
static PyStructSequence_Desc usage_desc = {
    "llmio.Usage",
    "Token usage; None where the provider reported none.",
    usage_fields,
    5,
};
PyTypeObject PyLlmioUsage_Type;

PyObject *llmiopy_usage_new(const llmio_usage *u)
{
    PyObject *o = PyStructSequence_New(&PyLlmioUsage_Type);
    if (!o) {
        return NULL;
    }
    int64_t v[5] = {u->prompt_tokens, u->completion_tokens, u->total_tokens,
                    u->cached_tokens, u->reasoning_tokens};
    for (int i = 0; i < 5; i++) {
        PyObject *x = v[i] < 0 ? Py_NewRef(Py_None) : PyLong_FromLongLong(v[i]);
        if (!x) {
            Py_DECREF(o);
            return NULL;
        }
        PyStructSequence_SET_ITEM(o, i, x);
    }
    return o;
}

/* ---- Choice: a struct sequence ---- */

static PyStructSequence_Field choice_fields[] = {
    {"index", NULL},
    {"text", "message content or None"},
    {"finish_reason", "'stop', 'length', 'tool_calls', ... or None"},
    {"finish_raw", "the provider's own finish string"},
    {"tool_calls", "tuple of ToolCall"},
    {"refusal", NULL},
    {"reasoning", NULL},
    {"logprobs", "tuple of (token, logprob)"},
    {NULL, NULL},
};
static PyStructSequence_Desc choice_desc = {
    "llmio.Choice",
    "One choice of a response.",
    choice_fields,
    8,
};
static PyTypeObject PyLlmioChoice_Type;

/* ---- ToolCall ---- */

typedef struct {
    PyObject_HEAD PyObject *index, *id, *name, *arguments, *signature;
} PyLlmioToolCall;

static PyMemberDef toolcall_members[] = {
    {"index", T_OBJECT, offsetof(PyLlmioToolCall, index), READONLY, NULL},
    {"id", T_OBJECT, offsetof(PyLlmioToolCall, id), READONLY, NULL},
    {"name", T_OBJECT, offsetof(PyLlmioToolCall, name), READONLY, NULL},
    {"arguments", T_OBJECT, offsetof(PyLlmioToolCall, arguments), READONLY,
     "JSON text as the model produced it"},
    {"signature", T_OBJECT, offsetof(PyLlmioToolCall, signature), READONLY,
     "the provider's opaque signature of the call (Gemini "
     "thoughtSignature) or None; to_dict() carries it back"},
    {NULL, 0, 0, 0, NULL},
};

static void toolcall_dealloc(PyLlmioToolCall *self)
{
    Py_XDECREF(self->index);
    Py_XDECREF(self->id);
    Py_XDECREF(self->name);
    Py_XDECREF(self->arguments);
    Py_XDECREF(self->signature);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *toolcall_json(PyLlmioToolCall *self, PyObject *unused)
{
    (void)unused;
    return json_loads(self->arguments);
}

static PyObject *toolcall_to_dict(PyLlmioToolCall *self, PyObject *unused)
{
    (void)unused;
    PyObject *d = Py_BuildValue("{s:O,s:s,s:{s:O,s:O}}", "id", self->id, "type",
                                "function", "function", "name", self->name,
                                "arguments", self->arguments);
    if (d && self->signature != Py_None &&
        PyDict_SetItemString(d, "signature", self->signature)) {
        Py_CLEAR(d);
    }
    return d;
}

static PyObject *toolcall_repr(PyLlmioToolCall *self)
{
    return PyUnicode_FromFormat("ToolCall(id=%R, name=%R, arguments=%R)",
                                self->id, self->name, self->arguments);
}

static PyMethodDef toolcall_methods[] = {
    {"json", (PyCFunction)toolcall_json, METH_NOARGS,
     "The arguments parsed with json.loads."},
    {"to_dict", (PyCFunction)toolcall_to_dict, METH_NOARGS,
     "OpenAI-style dict, usable in an assistant message's tool_calls."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject PyLlmioToolCall_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "llmio.ToolCall",
    .tp_basicsize = sizeof(PyLlmioToolCall),
    .tp_dealloc = (destructor)toolcall_dealloc,
    .tp_repr = (reprfunc)toolcall_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A tool call: id, name, arguments (JSON text), json().",
    .tp_members = toolcall_members,
    .tp_methods = toolcall_methods,
};

static PyObject *toolcall_new(const llmio_tool_call *tc, size_t i)
{
    PyLlmioToolCall *o = PyObject_New(PyLlmioToolCall, &PyLlmioToolCall_Type);
    if (!o) {
        return NULL;
    }
    o->index = PyLong_FromSize_t(i);
    o->id = str_or_none(tc->id, -1);
    o->name = str_or_none(tc->name, -1);
    o->arguments = tc->arguments ? str_or_none(tc->arguments,
                                               (Py_ssize_t)tc->arguments_len)
                                 : PyUnicode_FromString("{}");
    o->signature = str_or_none(tc->signature, -1);
    if (!o->index || !o->id || !o->name || !o->arguments || !o->signature) {
        Py_DECREF(o);
        return NULL;
    }
    return (PyObject *)o;
}

/* ---- Delta ---- */

typedef struct {
    PyObject_HEAD PyObject *kind, *choice, *text, *tool_index, *tool_id,
        *tool_name, *finish_reason, *finish_raw, *usage, *logprob, *id, *model,
        *created, *error_type, *restart, *signature;
} PyLlmioDelta;

/* Number of PyObject fields of a Delta, from kind to signature. */
#define DELTA_FIELDS 16

#define DM(n, doc)                                                             \
    {                                                                          \
#n, T_OBJECT, offsetof(PyLlmioDelta, n), READONLY, doc                 \
    }
static PyMemberDef delta_members[] = {
    DM(kind, "'start', 'text', 'reasoning', 'refusal', 'tool_call', "
             "'finish', 'usage', 'logprob', 'error' or 'restarted'"),
    DM(choice, NULL),
    DM(text, "fragment (tool_call: argument fragment)"),
    DM(tool_index, NULL),
    DM(tool_id, NULL),
    DM(tool_name, NULL),
    DM(finish_reason, NULL),
    DM(finish_raw, NULL),
    DM(usage, NULL),
    DM(logprob, NULL),
    DM(id, NULL),
    DM(model, NULL),
    DM(created, NULL),
    DM(error_type, NULL),
    DM(restart, "'restarted': {'attempt', 'status', 'delay', 'deltas', "
                "'text_bytes', 'text_chars', 'tool_fragments'}: what the "
                "failed attempt had delivered (all void now)"),
    DM(signature, "tool_call: the call's opaque signature (Gemini), on one "
                  "of its fragments"),
    {NULL, 0, 0, 0, NULL},
};
#undef DM

static void delta_dealloc(PyLlmioDelta *self)
{
    PyObject **p = &self->kind;
    for (int i = 0; i < DELTA_FIELDS; i++) {
        Py_XDECREF(p[i]);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *delta_repr(PyLlmioDelta *self)
{
    return PyUnicode_FromFormat("Delta(kind=%R, choice=%R, text=%R)",
                                self->kind, self->choice, self->text);
}

PyTypeObject PyLlmioDelta_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "llmio.Delta",
    .tp_basicsize = sizeof(PyLlmioDelta),
    .tp_dealloc = (destructor)delta_dealloc,
    .tp_repr = (reprfunc)delta_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One streamed event, normalised across providers.",
    .tp_members = delta_members,
};

static const char *kind_names[] = {
    "start",  "text",  "reasoning", "refusal", "tool_call",
    "finish", "usage", "logprob",   "error",   "restarted"};

PyObject *llmiopy_delta_new(const llmio_delta *d)
{
    PyLlmioDelta *o = PyObject_New(PyLlmioDelta, &PyLlmioDelta_Type);
    if (!o) {
        return NULL;
    }
    PyObject **p = &o->kind;
    for (int i = 0; i < DELTA_FIELDS; i++) {
        p[i] = NULL;
    }
    unsigned k = (unsigned)d->kind;
    o->kind = PyUnicode_FromString(k < 10 ? kind_names[k] : "unknown");
    o->choice = PyLong_FromLong(d->choice);
    o->text = str_or_none(d->text, d->text ? (Py_ssize_t)d->text_len : 0);
    o->tool_index = d->kind == LLMIO_DELTA_TOOL_CALL
                        ? PyLong_FromLong(d->tool_index)
                        : Py_NewRef(Py_None);
    o->tool_id = str_or_none(d->tool_id, -1);
    o->tool_name = str_or_none(d->tool_name, -1);
    const char *fn =
        d->kind == LLMIO_DELTA_FINISH ? llmiopy_finish_name(d->finish) : NULL;
    o->finish_reason = str_or_none(fn, -1);
    o->finish_raw = str_or_none(d->finish_raw, -1);
    o->usage = d->usage ? llmiopy_usage_new(d->usage) : Py_NewRef(Py_None);
    o->logprob = d->kind == LLMIO_DELTA_LOGPROB ? PyFloat_FromDouble(d->logprob)
                                                : Py_NewRef(Py_None);
    o->id = str_or_none(d->id, -1);
    o->model = str_or_none(d->model, -1);
    o->created = d->kind == LLMIO_DELTA_START ? PyLong_FromLongLong(d->created)
                                              : Py_NewRef(Py_None);
    o->error_type = str_or_none(d->error_type, -1);
    const llmio_restart *rs =
        d->kind == LLMIO_DELTA_RESTARTED ? d->restart : NULL;
    o->restart =
        rs ? Py_BuildValue("{s:i,s:s,s:d,s:n,s:n,s:n,s:n}", "attempt",
                           rs->attempt, "status", llmio_status_name(rs->status),
                           "delay", (double)rs->delay_ms / 1000.0, "deltas",
                           (Py_ssize_t)rs->deltas, "text_bytes",
                           (Py_ssize_t)rs->text_bytes, "text_chars",
                           (Py_ssize_t)rs->text_chars, "tool_fragments",
                           (Py_ssize_t)rs->tool_fragments)
           : Py_NewRef(Py_None);
    o->signature = str_or_none(d->signature, -1);
    for (int i = 0; i < DELTA_FIELDS; i++) {
        if (!p[i]) {
            Py_DECREF(o);
            return NULL;
        }
    }
    return (PyObject *)o;
}

/* ---- Response ---- */

typedef struct {
    PyObject_HEAD PyLlmioFuture *owner; /* keeps the C response alive */
    const llmio_response *r;
    PyObject *choices; /* cached tuple */
} PyLlmioResponse;

PyObject *llmiopy_response_new(PyLlmioFuture *owner)
{
    PyLlmioResponse *o = PyObject_New(PyLlmioResponse, &PyLlmioResponse_Type);
    if (!o) {
        return NULL;
    }
    o->owner = (PyLlmioFuture *)Py_NewRef((PyObject *)owner);
    o->r = llmio_future_response(owner->f);
    o->choices = NULL;
    return (PyObject *)o;
}

static void response_dealloc(PyLlmioResponse *self)
{
    Py_XDECREF(self->choices);
    Py_XDECREF(self->owner);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *tool_calls_of(const llmio_response *r, size_t c)
{
    size_t n = llmio_response_tool_calls(r, c);
    PyObject *t = PyTuple_New((Py_ssize_t)n);
    for (size_t i = 0; t && i < n; i++) {
        PyObject *tc = toolcall_new(llmio_response_tool_call(r, c, i), i);
        if (!tc) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, (Py_ssize_t)i, tc);
    }
    return t;
}

static PyObject *choice_new(const llmio_response *r, size_t c)
{
    PyObject *o = PyStructSequence_New(&PyLlmioChoice_Type);
    if (!o) {
        return NULL;
    }
    size_t len = 0, rlen = 0;
    const char *text = llmio_response_text(r, c, &len);
    const char *reas = llmio_response_reasoning(r, c, &rlen);
    size_t nlp = llmio_response_logprobs(r, c);
    PyObject *lps = PyTuple_New((Py_ssize_t)nlp);
    for (size_t i = 0; lps && i < nlp; i++) {
        double lp = 0;
        const char *tok = llmio_response_logprob(r, c, i, &lp);
        PyObject *pair = Py_BuildValue("(Nd)", str_or_none(tok, -1), lp);
        if (!pair) {
            Py_CLEAR(lps);
            break;
        }
        PyTuple_SET_ITEM(lps, (Py_ssize_t)i, pair);
    }
    PyObject *items[8] = {
        PyLong_FromSize_t(c),
        str_or_none(text, (Py_ssize_t)len),
        str_or_none(llmiopy_finish_name(llmio_response_finish(r, c)), -1),
        str_or_none(llmio_response_finish_raw(r, c), -1),
        tool_calls_of(r, c),
        str_or_none(llmio_response_refusal(r, c), -1),
        str_or_none(reas, (Py_ssize_t)rlen),
        lps,
    };
    int bad = 0;
    for (int i = 0; i < 8; i++) {
        if (!items[i]) {
            bad = 1;
            items[i] = Py_NewRef(Py_None);
        }
        PyStructSequence_SET_ITEM(o, i, items[i]);
    }
    if (bad) {
        Py_DECREF(o);
        return NULL;
    }
    return o;
}

static PyObject *response_choices(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    if (!self->choices) {
        size_t n = llmio_response_choices(self->r);
        PyObject *t = PyTuple_New((Py_ssize_t)n);
        for (size_t i = 0; t && i < n; i++) {
            PyObject *c = choice_new(self->r, i);
            if (!c) {
                Py_CLEAR(t);
                break;
            }
            PyTuple_SET_ITEM(t, (Py_ssize_t)i, c);
        }
        if (!t) {
            return NULL;
        }
        self->choices = t;
    }
    return Py_NewRef(self->choices);
}

static PyObject *response_text(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    size_t len = 0;
    const char *t = llmio_response_text(self->r, 0, &len);
    return str_or_none(t, (Py_ssize_t)len);
}

static PyObject *response_reasoning(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    size_t len = 0;
    const char *t = llmio_response_reasoning(self->r, 0, &len);
    return str_or_none(t, (Py_ssize_t)len);
}

static PyObject *response_refusal(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    return str_or_none(llmio_response_refusal(self->r, 0), -1);
}

static PyObject *response_tool_calls(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    return tool_calls_of(self->r, 0);
}

static PyObject *response_finish(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    return str_or_none(llmiopy_finish_name(llmio_response_finish(self->r, 0)),
                       -1);
}

static PyObject *response_usage(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    llmio_usage u = llmio_response_usage(self->r);
    return llmiopy_usage_new(&u);
}

static PyObject *response_id(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    return str_or_none(llmio_response_id(self->r), -1);
}

static PyObject *response_model(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    return str_or_none(llmio_response_model(self->r), -1);
}

static PyObject *response_provider(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    return str_or_none(llmio_response_provider(self->r), -1);
}

static PyObject *response_created(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    return PyLong_FromLongLong(llmio_response_created(self->r));
}

static PyObject *response_json(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    size_t len = 0;
    const char *j = llmio_response_json(self->r, &len);
    return str_or_none(j, (Py_ssize_t)len);
}

static PyObject *response_embeddings(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    size_t n = llmio_response_embeddings(self->r);
    size_t dim = llmio_response_embedding_dim(self->r);
    PyObject *out = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; out && i < n; i++) {
        const float *v = llmio_response_embedding(self->r, i);
        PyObject *row = PyList_New((Py_ssize_t)dim);
        for (size_t j = 0; row && j < dim; j++) {
            PyObject *x = PyFloat_FromDouble((double)v[j]);
            if (!x) {
                Py_CLEAR(row);
                break;
            }
            PyList_SET_ITEM(row, (Py_ssize_t)j, x);
        }
        if (!row) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)i, row);
    }
    return out;
}

static PyObject *response_embedding_dim(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    return PyLong_FromSize_t(llmio_response_embedding_dim(self->r));
}

static PyObject *response_served_by(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    return str_or_none(llmio_response_served_by(self->r, NULL), -1);
}

static PyObject *response_fallback_index(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    int i = 0;
    llmio_response_served_by(self->r, &i);
    return PyLong_FromLong(i);
}

static PyObject *response_hedges(PyLlmioResponse *self, void *unused)
{
    (void)unused;
    return PyLong_FromLong(llmio_response_hedges(self->r));
}

static PyObject *response_to_dict(PyLlmioResponse *self, PyObject *unused)
{
    (void)unused;
    PyObject *j = response_json(self, NULL);
    if (!j || j == Py_None) {
        return j;
    }
    PyObject *d = json_loads(j);
    Py_DECREF(j);
    return d;
}

static PyObject *response_message(PyLlmioResponse *self, PyObject *unused)
{
    (void)unused;
    /* The assistant message to append to a conversation. */
    PyObject *text = response_text(self, NULL);
    PyObject *tcs = response_tool_calls(self, NULL);
    if (!text || !tcs) {
        Py_XDECREF(text);
        Py_XDECREF(tcs);
        return NULL;
    }
    PyObject *d =
        Py_BuildValue("{s:s,s:O}", "role", "assistant", "content", text);
    Py_DECREF(text);
    if (d && PyTuple_GET_SIZE(tcs) > 0) {
        PyObject *l = PyList_New(0);
        for (Py_ssize_t i = 0; l && i < PyTuple_GET_SIZE(tcs); i++) {
            PyObject *x = toolcall_to_dict(
                (PyLlmioToolCall *)PyTuple_GET_ITEM(tcs, i), NULL);
            if (!x || PyList_Append(l, x)) {
                Py_XDECREF(x);
                Py_CLEAR(l);
                break;
            }
            Py_DECREF(x);
        }
        if (!l || PyDict_SetItemString(d, "tool_calls", l)) {
            Py_CLEAR(d);
        }
        Py_XDECREF(l);
    }
    Py_DECREF(tcs);
    return d;
}

static PyObject *response_repr(PyLlmioResponse *self)
{
    PyObject *t = response_text(self, NULL);
    if (!t) {
        return NULL;
    }
    PyObject *r = PyUnicode_FromFormat(
        "<llmio.Response id=%s model=%s finish=%s text=%.60R>",
        llmio_response_id(self->r) ? llmio_response_id(self->r) : "-",
        llmio_response_model(self->r) ? llmio_response_model(self->r) : "-",
        llmiopy_finish_name(llmio_response_finish(self->r, 0))
            ? llmiopy_finish_name(llmio_response_finish(self->r, 0))
            : "-",
        t);
    Py_DECREF(t);
    return r;
}

static PyGetSetDef response_getset[] = {
    {"text", (getter)response_text, NULL, "content of choice 0", NULL},
    {"choices", (getter)response_choices, NULL, "tuple of Choice", NULL},
    {"tool_calls", (getter)response_tool_calls, NULL,
     "tool calls of choice 0 (tuple of ToolCall)", NULL},
    {"finish_reason", (getter)response_finish, NULL, NULL, NULL},
    {"reasoning", (getter)response_reasoning, NULL, NULL, NULL},
    {"refusal", (getter)response_refusal, NULL, NULL, NULL},
    {"usage", (getter)response_usage, NULL, "llmio.Usage", NULL},
    {"embeddings", (getter)response_embeddings, NULL,
     "list of vectors (lists of float), one per input, in input order; "
     "[] for a chat response",
     NULL},
    {"embedding_dim", (getter)response_embedding_dim, NULL,
     "floats per vector (0 for a chat response)", NULL},
    {"served_by", (getter)response_served_by, NULL,
     "the model string that served the request (a fallback's when one "
     "did)",
     NULL},
    {"fallback_index", (getter)response_fallback_index, NULL,
     "0: the request's own model; i: its i-th fallback", NULL},
    {"hedges", (getter)response_hedges, NULL,
     "hedge requests sent that lost and were cancelled", NULL},
    {"id", (getter)response_id, NULL, NULL, NULL},
    {"model", (getter)response_model, NULL, NULL, NULL},
    {"provider", (getter)response_provider, NULL, NULL, NULL},
    {"created", (getter)response_created, NULL, NULL, NULL},
    {"json", (getter)response_json, NULL,
     "raw JSON (the provider body, or the assembled chat.completion)", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* r["choices"][0]["message"]["content"]: dict-style access for code
 * written against litellm-like clients (parses json each time). */
static PyObject *response_getitem(PyLlmioResponse *self, PyObject *key)
{
    PyObject *d = response_to_dict(self, NULL);
    if (!d || d == Py_None) {
        Py_XDECREF(d);
        PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    PyObject *v = PyObject_GetItem(d, key);
    Py_DECREF(d);
    return v;
}

static PyMappingMethods response_as_mapping = {
    .mp_subscript = (binaryfunc)response_getitem,
};

static PyMethodDef response_methods[] = {
    {"to_dict", (PyCFunction)response_to_dict, METH_NOARGS,
     "json parsed into a dict"},
    {"message", (PyCFunction)response_message, METH_NOARGS,
     "the assistant message dict (content + tool_calls) for the next turn"},
    {NULL, NULL, 0, NULL},
};

PyTypeObject PyLlmioResponse_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "llmio.Response",
    .tp_basicsize = sizeof(PyLlmioResponse),
    .tp_dealloc = (destructor)response_dealloc,
    .tp_repr = (reprfunc)response_repr,
    .tp_as_mapping = &response_as_mapping,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A completed chat response. r[key] reads its JSON (the "
              "provider's body; for openai/ r['choices'][0]['message']"
              "['content']).",
    .tp_getset = response_getset,
    .tp_methods = response_methods,
};

int llmiopy_response_types_init(PyObject *m)
{
    if (PyStructSequence_InitType2(&PyLlmioUsage_Type, &usage_desc) ||
        PyStructSequence_InitType2(&PyLlmioChoice_Type, &choice_desc)) {
        return -1;
    }
    if (PyType_Ready(&PyLlmioToolCall_Type) ||
        PyType_Ready(&PyLlmioDelta_Type) ||
        PyType_Ready(&PyLlmioResponse_Type)) {
        return -1;
    }
    if (PyModule_AddObjectRef(m, "Usage", (PyObject *)&PyLlmioUsage_Type) ||
        PyModule_AddObjectRef(m, "Choice", (PyObject *)&PyLlmioChoice_Type) ||
        PyModule_AddObjectRef(m, "ToolCall",
                              (PyObject *)&PyLlmioToolCall_Type) ||
        PyModule_AddObjectRef(m, "Delta", (PyObject *)&PyLlmioDelta_Type) ||
        PyModule_AddObjectRef(m, "Response",
                              (PyObject *)&PyLlmioResponse_Type)) {
        return -1;
    }
    return 0;
}
