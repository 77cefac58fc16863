/* retry.c - Client retry policy and per-attempt hook: thin setters over
 * llmio_client_set_retry / _retry_seed / _attempt_cb / _stream_restart.
 * The policy itself is the C engine's. */
#include "module.h"

#include <limits.h>

static PyTypeObject AttemptInfo_Type;

static PyStructSequence_Field attempt_fields[] = {
    {"attempt", "1 for the first attempt"},
    {"status", "how the attempt ended: 'OK', 'E_RATE_LIMIT', ..."},
    {"http_status", "HTTP status, or None when no status line came"},
    {"delay", "seconds before the next attempt, or None: no retry"},
    {"why", "the retry decision: 'ok', 'backoff', 'retry-after', ..."},
    {"future", "the request's llmio.Future, or None once dropped"},
    {"model", "the model string this attempt used (a fallback's too)"},
    {"fallback", "0: the request's model; i: its i-th fallback"},
    {"hedge", "whether the attempt was a hedge (second request)"},
    {NULL, NULL},
};

static PyStructSequence_Desc attempt_desc = {
    "llmio.AttemptInfo",
    "One ended attempt of a request, as given to Client(on_attempt=fn).",
    attempt_fields,
    9,
};

static void attempt_cb(llmio_future *f, const llmio_attempt_info *info,
                       void *user)
{
    PyLlmioClient *c = user;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *fn = c->on_attempt;
    if (fn) {
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        Py_INCREF(fn);
        PyObject *o = PyStructSequence_New(&AttemptInfo_Type);
        PyObject *owner = llmiopy_future_owner(f);
        PyObject *items[9] = {
            PyLong_FromLong(info->attempt),
            PyUnicode_FromString(llmio_status_name(info->status)),
            info->http_status > 0 ? PyLong_FromLong(info->http_status)
                                  : Py_NewRef(Py_None),
            info->delay_ms >= 0
                ? PyFloat_FromDouble((double)info->delay_ms / 1000.0)
                : Py_NewRef(Py_None),
            PyUnicode_FromString(info->why ? info->why : ""),
            Py_NewRef(owner ? owner : Py_None),
            info->model ? PyUnicode_FromString(info->model)
                        : Py_NewRef(Py_None),
            PyLong_FromLong(info->fallback),
            PyBool_FromLong(info->hedge),
        };
        int ok = o != NULL;
        for (int i = 0; i < 9; i++) {
            ok = ok && items[i];
            if (o && items[i]) {
                PyStructSequence_SET_ITEM(o, i, items[i]);
            } else {
                Py_XDECREF(items[i]);
            }
        }
        PyObject *r = ok ? PyObject_CallOneArg(fn, o) : NULL;
        if (!r) {
            /* A hook cannot fail the request: report and go on. */
            PyErr_WriteUnraisable(fn);
        }
        Py_XDECREF(r);
        Py_XDECREF(o);
        Py_DECREF(fn);
        PyErr_Restore(et, ev, tb);
    }
    PyGILState_Release(g);
}

int llmiopy_client_on_attempt(PyLlmioClient *c, PyObject *fn)
{
    if (fn == Py_None) {
        fn = NULL;
    }
    if (fn && !PyCallable_Check(fn)) {
        llmiopy_raise_status(LLMIO_E_INVALID,
                             "on_attempt: expected a callable or None");
        return -1;
    }
    Py_XINCREF(fn);
    Py_XSETREF(c->on_attempt, fn);
    if (c->c) {
        llmio_client_set_attempt_cb(c->c, fn ? attempt_cb : NULL, c);
    }
    return 0;
}

/* Seconds (a number) -> ms into *OUT; None keeps *OUT. */
static int seconds_ms(PyObject *v, int64_t *out, const char *field)
{
    if (!v || v == Py_None) {
        return 0;
    }
    double s = PyFloat_AsDouble(v);
    if (s == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        char msg[96];
        snprintf(msg, sizeof msg, "%s: expected seconds as a number", field);
        llmiopy_raise_status(LLMIO_E_INVALID, msg);
        return -1;
    }
    *out = (int64_t)(s * 1000.0 + (s < 0 ? -0.5 : 0.5));
    return 0;
}

int llmiopy_client_retry(PyLlmioClient *c, PyObject *max_attempts,
                         PyObject *base_delay, PyObject *max_delay,
                         PyObject *max_retry_after, PyObject *seed)
{
    if (!c->c) {
        llmiopy_raise_status(LLMIO_E_STATE, "the client is closed");
        return -1;
    }
    int n = c->retry_attempts;
    int64_t base = c->retry_base_ms, maxd = c->retry_max_ms,
            maxra = c->retry_after_max_ms;
    if (max_attempts && max_attempts != Py_None) {
        long v = PyLong_AsLong(max_attempts);
        if (v == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            llmiopy_raise_status(LLMIO_E_INVALID,
                                 "max_attempts: expected an integer");
            return -1;
        }
        /* Out of int range: 0, which the C setter rejects by name. */
        n = v < INT_MIN || v > INT_MAX ? 0 : (int)v;
    }
    if (seconds_ms(base_delay, &base, "retry_base_delay") ||
        seconds_ms(max_delay, &maxd, "retry_max_delay") ||
        seconds_ms(max_retry_after, &maxra, "max_retry_after")) {
        return -1;
    }
    if (llmio_client_set_retry(c->c, n, base, maxd, maxra) != LLMIO_OK) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "retry: max_attempts %d (1..100), retry_base_delay %lld ms "
                 "(>= 0), retry_max_delay %lld ms (>= base), "
                 "max_retry_after %lld ms (>= 0)",
                 n, (long long)base, (long long)maxd, (long long)maxra);
        llmiopy_raise_status(LLMIO_E_INVALID, msg);
        return -1;
    }
    c->retry_attempts = n;
    c->retry_base_ms = base;
    c->retry_max_ms = maxd;
    c->retry_after_max_ms = maxra;
    if (seed && seed != Py_None) {
        unsigned long long s = PyLong_AsUnsignedLongLongMask(seed);
        if (s == (unsigned long long)-1 && PyErr_Occurred()) {
            PyErr_Clear();
            llmiopy_raise_status(LLMIO_E_INVALID,
                                 "retry_seed: expected an integer");
            return -1;
        }
        llmio_client_set_retry_seed(c->c, (uint64_t)s);
    }
    return 0;
}

int llmiopy_client_stream_restart(PyLlmioClient *c, PyObject *on)
{
    if (!on || on == Py_None) {
        return 0;
    }
    int v = PyObject_IsTrue(on);
    if (v < 0) {
        return -1;
    }
    if (!c->c) {
        llmiopy_raise_status(LLMIO_E_STATE, "the client is closed");
        return -1;
    }
    llmio_client_set_stream_restart(c->c, v != 0);
    return 0;
}

int llmiopy_client_hedge(PyLlmioClient *c, PyObject *v)
{
    if (!v || v == Py_None) {
        return 0;
    }
    int mode;
    long long ms;
    if (llmiopy_hedge_arg(v, &mode, &ms)) {
        return -1;
    }
    if (!c->c) {
        llmiopy_raise_status(LLMIO_E_STATE, "the client is closed");
        return -1;
    }
    if (llmio_client_set_hedge(c->c, (llmio_hedge_mode)mode, ms) != LLMIO_OK) {
        llmiopy_raise_status(LLMIO_E_INVALID,
                             "hedge: a delay > 0 is needed with hedging on");
        return -1;
    }
    return 0;
}

int llmiopy_retry_types_init(PyObject *m)
{
    if (PyStructSequence_InitType2(&AttemptInfo_Type, &attempt_desc)) {
        return -1;
    }
    return PyModule_AddObjectRef(m, "AttemptInfo",
                                 (PyObject *)&AttemptInfo_Type);
}
