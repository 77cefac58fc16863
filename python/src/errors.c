/* errors.c - exception classes generated from the llmio status table. */
#include "module.h"

#include <string.h>

PyObject *llmiopy_Error;
static PyObject *classes[LLMIO_STATUS_COUNT_];

/* "E_RATE_LIMIT" -> "RateLimitError"; a few names get Python spellings. */
static void class_name(const char *st, char *out, size_t cap)
{
    static const struct {
        const char *st, *name;
    } fixed[] = {
        {"E_HTTP", "HTTPError"},
        {"E_TLS", "TLSError"},
        {"E_NOMEM", "NoMemoryError"},
        {"E_STATE", "StateError"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (strcmp(st, fixed[i].st) == 0) {
            snprintf(out, cap, "%s", fixed[i].name);
            return;
        }
    }
    size_t o = 0;
    int up = 1;
    for (const char *p = st + 2; *p && o + 6 < cap; p++) {
        if (*p == '_') {
            up = 1;
            continue;
        }
        out[o++] = up ? *p : (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        up = 0;
    }
    snprintf(out + o, cap - o, "Error");
}

int llmiopy_errors_init(PyObject *m)
{
    PyObject *dict = PyDict_New();
    if (!dict) {
        return -1;
    }
    const char *attrs[] = {"status",         "code",          "http_status",
                           "transport_code", "attempts",      "retry_after",
                           "retry_after_ms", "provider_type", "provider_code",
                           "request_id",     "message",       "retryable"};
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        PyDict_SetItemString(dict, attrs[i], Py_None);
    }
    PyObject *doc = PyUnicode_FromString(
        "Base class of every llmio error. Attributes: status (e.g. "
        "'E_RATE_LIMIT'), code, http_status, provider_type, provider_code, "
        "retry_after (seconds or None), retry_after_ms, request_id, message, "
        "attempts, transport_code, retryable.");
    PyDict_SetItemString(dict, "__doc__", doc);
    Py_XDECREF(doc);
    llmiopy_Error = PyErr_NewException("llmio.Error", PyExc_Exception, dict);
    Py_DECREF(dict);
    if (!llmiopy_Error || PyModule_AddObjectRef(m, "Error", llmiopy_Error)) {
        return -1;
    }
    for (int st = 1; st < LLMIO_STATUS_COUNT_; st++) {
        char name[64], full[80];
        const char *sn = llmio_status_name((llmio_status)st);
        class_name(sn, name, sizeof name);
        snprintf(full, sizeof full, "llmio.%s", name);
        PyObject *extra = NULL;
        if (st == LLMIO_E_INVALID) {
            extra = PyExc_ValueError;
        } else if (st == LLMIO_E_TIMEOUT) {
            extra = PyExc_TimeoutError;
        } else if (st == LLMIO_E_CONNECT || st == LLMIO_E_NETWORK) {
            extra = PyExc_ConnectionError;
        } else if (st == LLMIO_E_NOMEM) {
            extra = PyExc_MemoryError;
        }
        PyObject *bases;
        if (st == LLMIO_E_CONTEXT_LENGTH && classes[LLMIO_E_BAD_REQUEST]) {
            /* A request the provider rejected, as openai-python has it:
             * `except BadRequestError` keeps catching it. */
            bases = PyTuple_Pack(1, classes[LLMIO_E_BAD_REQUEST]);
        } else {
            bases = extra ? PyTuple_Pack(2, llmiopy_Error, extra)
                          : PyTuple_Pack(1, llmiopy_Error);
        }
        PyObject *d = PyDict_New();
        PyObject *sv = PyUnicode_FromString(sn);
        PyObject *cv = PyLong_FromLong(st);
        if (!bases || !d || !sv || !cv ||
            PyDict_SetItemString(d, "status", sv) ||
            PyDict_SetItemString(d, "code", cv) ||
            PyDict_SetItemString(d, "retryable",
                                 llmio_status_retryable((llmio_status)st)
                                     ? Py_True
                                     : Py_False)) {
            Py_XDECREF(bases);
            Py_XDECREF(d);
            Py_XDECREF(sv);
            Py_XDECREF(cv);
            return -1;
        }
        Py_DECREF(sv);
        Py_DECREF(cv);
        PyObject *doc2 = PyUnicode_FromFormat(
            "llmio status %s: %s.", sn, llmio_status_str((llmio_status)st));
        PyDict_SetItemString(d, "__doc__", doc2);
        Py_XDECREF(doc2);
        classes[st] = PyErr_NewException(full, bases, d);
        Py_DECREF(bases);
        Py_DECREF(d);
        if (!classes[st] || PyModule_AddObjectRef(m, name, classes[st])) {
            return -1;
        }
    }
    /* Unambiguous alias next to llmio.TimeoutError (which is also a
     * builtins.TimeoutError). */
    if (PyModule_AddObjectRef(m, "LLMIOTimeoutError",
                              classes[LLMIO_E_TIMEOUT])) {
        return -1;
    }
    /* status name -> class mapping for users and tests */
    PyObject *map = PyDict_New();
    if (!map) {
        return -1;
    }
    for (int st = 1; st < LLMIO_STATUS_COUNT_; st++) {
        PyDict_SetItemString(map, llmio_status_name((llmio_status)st),
                             classes[st]);
    }
    int r = PyModule_AddObjectRef(m, "ERRORS", map);
    Py_DECREF(map);
    return r;
}

static int set_attr_str(PyObject *e, const char *k, const char *v)
{
    if (!v || !*v) {
        return PyObject_SetAttrString(e, k, Py_None);
    }
    PyObject *s = PyUnicode_DecodeUTF8(v, (Py_ssize_t)strlen(v), "replace");
    if (!s) {
        return -1;
    }
    int r = PyObject_SetAttrString(e, k, s);
    Py_DECREF(s);
    return r;
}

static int set_attr_long(PyObject *e, const char *k, long long v, int none0)
{
    if (none0 && v <= 0) {
        return PyObject_SetAttrString(e, k, Py_None);
    }
    PyObject *o = PyLong_FromLongLong(v);
    if (!o) {
        return -1;
    }
    int r = PyObject_SetAttrString(e, k, o);
    Py_DECREF(o);
    return r;
}

PyObject *llmiopy_raise(const llmio_error *err)
{
    llmio_status st = err->code;
    PyObject *cls = (st > 0 && st < LLMIO_STATUS_COUNT_ && classes[st])
                        ? classes[st]
                        : llmiopy_Error;
    const char *msg = err->message[0] ? err->message : llmio_status_str(st);
    PyObject *text;
    if (err->http_status > 0 && err->provider_type[0]) {
        text =
            PyUnicode_FromFormat("%s: %s (HTTP %d, %s)", llmio_status_name(st),
                                 msg, err->http_status, err->provider_type);
    } else if (err->http_status > 0) {
        text = PyUnicode_FromFormat("%s: %s (HTTP %d)", llmio_status_name(st),
                                    msg, err->http_status);
    } else {
        text = PyUnicode_FromFormat("%s: %s", llmio_status_name(st), msg);
    }
    if (!text) {
        return NULL;
    }
    PyObject *e = PyObject_CallOneArg(cls, text);
    Py_DECREF(text);
    if (!e) {
        return NULL;
    }
    PyObject *ra = NULL;
    if (err->retry_after_ms >= 0) {
        ra = PyFloat_FromDouble((double)err->retry_after_ms / 1000.0);
    } else {
        ra = Py_NewRef(Py_None);
    }
    if (!ra || PyObject_SetAttrString(e, "retry_after", ra) ||
        set_attr_long(e, "retry_after_ms", err->retry_after_ms,
                      err->retry_after_ms < 0) ||
        set_attr_long(e, "http_status", err->http_status, 1) ||
        set_attr_long(e, "transport_code", err->transport_code, 1) ||
        set_attr_long(e, "attempts", err->attempts, 0) ||
        set_attr_str(e, "provider_type", err->provider_type) ||
        set_attr_str(e, "provider_code", err->provider_code) ||
        set_attr_str(e, "request_id", err->request_id) ||
        set_attr_str(e, "message", msg)) {
        Py_XDECREF(ra);
        Py_DECREF(e);
        return NULL;
    }
    Py_DECREF(ra);
    PyErr_SetObject(cls, e);
    Py_DECREF(e);
    return NULL;
}

PyObject *llmiopy_raise_status(llmio_status st, const char *msg)
{
    llmio_error err;
    memset(&err, 0, sizeof err);
    err.code = st;
    err.retry_after_ms = -1;
    if (msg) {
        snprintf(err.message, sizeof err.message, "%s", msg);
    }
    return llmiopy_raise(&err);
}
