/* limits.c - Client concurrency caps and rate limits: thin setters over
 * llmio_client_set_max_concurrency / _max_queued / _set_rate_limit /
 * _set_shared_rate_limit. Waiting happens inside the C engine. */
#include "module.h"

#include <stdio.h>

static int size_arg(PyObject *v, size_t *out, const char *field)
{
    *out = PyLong_AsSize_t(v);
    if (*out == (size_t)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        char msg[96];
        snprintf(msg, sizeof msg, "%s: expected an integer >= 0", field);
        llmiopy_raise_status(LLMIO_E_INVALID, msg);
        return -1;
    }
    return 0;
}

int llmiopy_client_caps(PyLlmioClient *c, PyObject *max_concurrency,
                        PyObject *max_queued)
{
    if (!c->c) {
        llmiopy_raise_status(LLMIO_E_STATE, "the client is closed");
        return -1;
    }
    size_t n;
    if (max_concurrency && max_concurrency != Py_None) {
        if (size_arg(max_concurrency, &n, "max_concurrency")) {
            return -1;
        }
        llmio_client_set_max_concurrency(c->c, n);
    }
    if (max_queued && max_queued != Py_None) {
        if (size_arg(max_queued, &n, "max_queued")) {
            return -1;
        }
        llmio_client_set_max_queued(c->c, n);
    }
    return 0;
}

/* (rpm, tpm) from a dict {"rpm": n, "tpm": n} or a 2-sequence. */
static int rpm_tpm(PyObject *v, long long *rpm, long long *tpm,
                   const char *scope)
{
    PyObject *r = NULL, *t = NULL;
    if (PyDict_Check(v)) {
        r = PyDict_GetItemString(v, "rpm");
        t = PyDict_GetItemString(v, "tpm");
        Py_XINCREF(r);
        Py_XINCREF(t);
    } else if (PySequence_Check(v) && PySequence_Size(v) == 2) {
        r = PySequence_GetItem(v, 0);
        t = PySequence_GetItem(v, 1);
    }
    PyErr_Clear();
    *rpm = r && r != Py_None ? PyLong_AsLongLong(r) : 0;
    *tpm = t && t != Py_None ? PyLong_AsLongLong(t) : 0;
    int bad = (!r && !t) || PyErr_Occurred();
    Py_XDECREF(r);
    Py_XDECREF(t);
    if (bad) {
        PyErr_Clear();
        char msg[200];
        snprintf(msg, sizeof msg,
                 "rate_limits[%s]: expected {'rpm': n, 'tpm': n} or "
                 "(rpm, tpm)",
                 scope);
        llmiopy_raise_status(LLMIO_E_INVALID, msg);
        return -1;
    }
    return 0;
}

int llmiopy_client_rate_limit(PyLlmioClient *c, const char *scope,
                              long long rpm, long long tpm, const char *name)
{
    if (!c->c) {
        llmiopy_raise_status(LLMIO_E_STATE, "the client is closed");
        return -1;
    }
    if (llmiopy_client_enter(c)) {
        return -1;
    }
    llmio_status st =
        name ? llmio_client_set_shared_rate_limit(c->c, scope, name, rpm, tpm)
             : llmio_client_set_rate_limit(c->c, scope, rpm, tpm);
    llmiopy_client_leave(c);
    if (st != LLMIO_OK) {
        char msg[300];
        snprintf(msg, sizeof msg,
                 "%s rate limit for scope '%s'%s%s: rejected (scope "
                 "'', 'provider' or 'provider/model'; rpm and tpm >= 0%s)",
                 name ? "shared" : "the", scope ? scope : "",
                 name ? ", name " : "", name ? name : "",
                 name ? ", not both 0; name [A-Za-z0-9._-]{1,190}" : "");
        llmiopy_raise_status(st, msg);
        return -1;
    }
    return 0;
}

int llmiopy_client_rate_limits(PyLlmioClient *c, PyObject *limits)
{
    if (!limits || limits == Py_None) {
        return 0;
    }
    if (!PyDict_Check(limits)) {
        llmiopy_raise_status(LLMIO_E_INVALID,
                             "rate_limits: expected {scope: {'rpm': n, "
                             "'tpm': n}}");
        return -1;
    }
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(limits, &pos, &k, &v)) {
        const char *scope = k == Py_None         ? NULL
                            : PyUnicode_Check(k) ? PyUnicode_AsUTF8(k)
                                                 : NULL;
        if (k != Py_None && !scope) {
            PyErr_Clear();
            llmiopy_raise_status(LLMIO_E_INVALID,
                                 "rate_limits: scopes are str or None");
            return -1;
        }
        long long rpm, tpm;
        if (rpm_tpm(v, &rpm, &tpm, scope ? scope : "") ||
            llmiopy_client_rate_limit(c, scope, rpm, tpm, NULL)) {
            return -1;
        }
    }
    return 0;
}
