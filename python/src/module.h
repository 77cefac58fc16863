/* module.h - shared declarations of the llmio CPython extension. */
#ifndef LLMIO_PY_MODULE_H
#define LLMIO_PY_MODULE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "llmio.h"

/* Client (client.c) */
typedef struct {
    PyObject_HEAD llmio_client *c;
    unsigned long owner_thread;    /* thread driving the client, 0 if none */
    int depth;                     /* nesting of driving calls on that thread */
    /* Futures and batches dropped by other threads while this client was
     * driven: freed by the driving thread when it leaves (one of the two
     * pointers is set per entry). */
    struct llmiopy_deferred {
        llmio_future *f;
        llmio_batch *b;
    } *deferred;
    size_t ndeferred, capdeferred;
    PyObject *weakrefs;
    PyObject *on_attempt; /* callable(AttemptInfo) or NULL */
    /* The retry policy as last set: llmio_client_set_retry takes all four
     * values, so set_retry(max_attempts=5) keeps the other three. */
    int retry_attempts;
    int64_t retry_base_ms, retry_max_ms, retry_after_max_ms;
} PyLlmioClient;

/* future.c: the Python future of a C future (borrowed), or NULL once
 * the Python future was dropped, or for a batch item not yet reported. */
PyObject *llmiopy_future_owner(llmio_future *f);

/* retry.c: the client's retry policy and attempt hook. Each returns 0,
 * or -1 with a Python exception set (None arguments keep the current
 * value). */
int llmiopy_client_retry(PyLlmioClient *c, PyObject *max_attempts,
                         PyObject *base_delay, PyObject *max_delay,
                         PyObject *max_retry_after, PyObject *seed);
int llmiopy_client_on_attempt(PyLlmioClient *c, PyObject *fn);
/* Opt in (true) or out of restarting streams that already delivered data. */
int llmiopy_client_stream_restart(PyLlmioClient *c, PyObject *on);
/* The client's hedging default (hedge=... as for a request). */
int llmiopy_client_hedge(PyLlmioClient *c, PyObject *v);

/* limits.c: concurrency caps and rate limits; same conventions. */
int llmiopy_client_caps(PyLlmioClient *c, PyObject *max_concurrency,
                        PyObject *max_queued);
/* RPM/TPM for SCOPE (NULL: the whole client); NAME: a shared budget. */
int llmiopy_client_rate_limit(PyLlmioClient *c, const char *scope,
                              long long rpm, long long tpm, const char *name);
/* {scope: {"rpm": n, "tpm": n} or (rpm, tpm)} */
int llmiopy_client_rate_limits(PyLlmioClient *c, PyObject *limits);
int llmiopy_retry_types_init(PyObject *m);

/* Per-submit context: the C future's user pointer. It outlives the Python
 * future when that is dropped while pending (the done callback frees it). */
typedef struct pyfut_ctx pyfut_ctx;

/* Future (future.c) */
typedef struct {
    PyObject_HEAD llmio_future *f;
    PyLlmioClient *client; /* strong ref: the client outlives us */
    pyfut_ctx *ctx;
    PyObject *on_delta;   /* push-mode stream callable or NULL */
    PyObject *callbacks;  /* list of done callables or NULL */
    PyObject *stream_exc; /* exception raised by on_delta (a value) */
    PyObject *response;   /* cached Response */
    int pull;             /* submitted in pull mode */
    int completed;        /* done callback ran */
    PyObject *weakrefs;
} PyLlmioFuture;

extern PyTypeObject PyLlmioClient_Type;
extern PyTypeObject PyLlmioFuture_Type;
extern PyTypeObject PyLlmioResponse_Type;
extern PyTypeObject PyLlmioToolCall_Type;
extern PyTypeObject PyLlmioDelta_Type;
extern PyTypeObject PyLlmioUsage_Type;
extern PyTypeObject PyLlmioBatch_Type;
extern PyTypeObject PyLlmioSession_Type; /* session.c */

/* batch.c: Client._batch(jobs, concurrency, ordered, on_item, on_done). */
PyObject *llmiopy_batch_start(PyLlmioClient *c, PyObject *args);

/* errors.c */
extern PyObject *llmiopy_Error;
int llmiopy_errors_init(PyObject *m);
/* Set the Python exception for ERR (code != OK). Returns NULL. */
PyObject *llmiopy_raise(const llmio_error *err);
/* Raise for a bare status without details. */
PyObject *llmiopy_raise_status(llmio_status st, const char *msg);

/* request.c: build a request from chat() arguments. Returns NULL with a
 * Python exception set. */
llmio_request *llmiopy_build_request(PyObject *model, PyObject *messages,
                                     PyObject *kwargs);
/* hedge=... (False, seconds, ("p95"|"fixed", seconds)) -> mode, delay. */
int llmiopy_hedge_arg(PyObject *v, int *mode, long long *delay_ms);

/* client.c: thread guard around driving calls. */
int llmiopy_client_enter(PyLlmioClient *c);
void llmiopy_client_leave(PyLlmioClient *c);
/* Release F (or B) now, or later when another thread is driving C. */
void llmiopy_client_free_future(PyLlmioClient *c, llmio_future *f);
void llmiopy_client_free_batch(PyLlmioClient *c, llmio_batch *b);

/* future.c */
PyObject *llmiopy_future_submit(PyLlmioClient *c, llmio_request *req,
                                PyObject *stream);
/* The same for the next turn of session S (REQ: the turn's options). */
PyObject *llmiopy_future_submit_session(PyLlmioClient *c, llmio_session *s,
                                        llmio_request *req, PyObject *stream);
/* A completed Future owning F (a detached batch item: its user pointer
 * is not a pyfut_ctx). On failure F is freed. */
PyObject *llmiopy_future_adopt(PyLlmioClient *c, llmio_future *f);
/* The outcome of a completed future. RAISE 1: its Response, or NULL with
 * the exception set. RAISE 0: the exception object, or None on success. */
PyObject *llmiopy_future_outcome(PyLlmioFuture *self, int raise);

/* response.c */
PyObject *llmiopy_response_new(PyLlmioFuture *owner);
PyObject *llmiopy_delta_new(const llmio_delta *d);
PyObject *llmiopy_usage_new(const llmio_usage *u);
int llmiopy_response_types_init(PyObject *m);
const char *llmiopy_finish_name(llmio_finish_reason f);

#endif
