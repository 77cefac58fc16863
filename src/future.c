/*
 * future.c - the llmio_future state machine: references, exactly-once
 * completion, the ready queue of done callbacks, the pull queue, and the
 * wait functions.
 *
 * Invariants:
 *  - llmio__future_complete acts once per future (RUNNING -> COMPLETING);
 *    done_cb runs once, from llmio__client_run_ready, never from inside
 *    the call that started or cancelled the operation (STYLE 6.2).
 *  - Two references: the caller's and the engine's. The engine's is
 *    dropped right after done_cb returns, so a future freed inside its own
 *    callback is released only after the callback (hiredis' deferred
 *    free, by reference count instead of a flag).
 *  - A DONE future has client == NULL and never touches its client again,
 *    so it may outlive the client (it carries its own allocator copy).
 *  - Pull-mode deltas are deep-copied into QARENA, which is reset whenever
 *    the queue is empty and nothing is on loan, so a consumer that keeps up
 *    uses constant memory; the arena's limit bounds a consumer that
 *    does not (LLMIO_E_TOO_BIG).
 * Owns: each future's arenas, its request snapshot (zeroed before release:
 * it holds the API key) and its response.
 */
#include "client.h"

#include "alloc.h"
#include "request.h"
#include "route.h"

#include <stdio.h>
#include <string.h>

/* Bound on request snapshot parts, and on the pull queue's memory. */
#define URL_MAX ((size_t)8192)
#define HEADERS_MAX ((size_t)256 * 1024)
#define BODY_MAX ((size_t)256 * 1024 * 1024)
#define QUEUE_MAX ((size_t)64 * 1024 * 1024)

struct llmio_future *llmio__future_new(struct llmio_client *c)
{
    struct llmio_future *f = llmio__calloc(&c->alloc, 1, sizeof *f);
    if (f == NULL) {
        return NULL;
    }
    f->alloc = c->alloc;
    f->client = c;
    f->refs = 2;
    f->state = LLMIO__F_RUNNING;
    f->status = LLMIO_E_STATE;
    f->err.retry_after_ms = -1;
    f->last_retry_after_ms = -1;
    /* The arena holds the response's strings; the accumulator bounds each
     * text buffer by max_response, this bounds the rest. */
    llmio__arena_init(&f->arena, &f->alloc, 0);
    llmio__arena_init(&f->qarena, &f->alloc, QUEUE_MAX);
    llmio__http_req_init(&f->http, &f->alloc);
    llmio__response_init(&f->resp, &f->alloc, &f->arena, NULL, c->max_response);
    f->next = c->pending;
    if (c->pending != NULL) {
        c->pending->prev = f;
    }
    c->pending = f;
    c->npending++;
    return f;
}

static void unlink_pending(struct llmio_client *c, struct llmio_future *f)
{
    if (f->prev != NULL) {
        f->prev->next = f->next;
    } else {
        c->pending = f->next;
    }
    if (f->next != NULL) {
        f->next->prev = f->prev;
    }
    f->prev = NULL;
    f->next = NULL;
    if (!f->internal) {
        c->npending--;
    }
}

void llmio__http_req_init(struct llmio__http_req *h,
                          const llmio_allocator *alloc)
{
    llmio__buf_init(&h->url, alloc, URL_MAX);
    llmio__buf_init(&h->headers, alloc, HEADERS_MAX);
    llmio__buf_init(&h->body, alloc, BODY_MAX);
    h->nheaders = 0;
}

void llmio__http_req_cleanup(struct llmio__http_req *h)
{
    llmio__buf_cleanup(&h->url);
    /* The headers carry the API key. */
    if (h->headers.data != NULL) {
        llmio__secure_zero(h->headers.data, h->headers.cap);
    }
    llmio__buf_cleanup(&h->headers);
    llmio__buf_cleanup(&h->body);
    h->nheaders = 0;
}

static void release(struct llmio_future *f)
{
    if (f->route != NULL) {
        llmio__route_free(f);
    }
    llmio__response_cleanup(&f->resp);
    llmio__arena_cleanup(&f->arena);
    llmio__arena_cleanup(&f->qarena);
    llmio__http_req_cleanup(&f->http);
    llmio_allocator a = f->alloc;
    llmio__free(&a, f);
}

void llmio__future_unref(struct llmio_future *f)
{
    if (--f->refs == 0) {
        release(f);
    }
}

void llmio__future_discard(struct llmio_future *f)
{
    unlink_pending(f->client, f);
    release(f);
}

void llmio__future_complete(struct llmio_future *f, llmio_status st,
                            const llmio_error *err)
{
    if (f->state != LLMIO__F_RUNNING) {
        return;
    }
    struct llmio_client *c = f->client;
    if (err != NULL) {
        f->err = *err;
    }
    f->err.code = st;
    if (st != LLMIO_OK && f->err.message[0] == '\0') {
        snprintf(f->err.message, sizeof f->err.message, "%s",
                 llmio_status_str(st));
    }
    if (f->err.attempts == 0 && f->err.http_status != 0) {
        f->err.attempts = 1;
    }
    if (st == LLMIO_OK) {
        f->resp.served_by = f->model;
        f->resp.served_index = f->route_step;
    }
    f->status = st;
    f->state = LLMIO__F_COMPLETING;
    f->in_ready = true;
    f->ready_next = NULL;
    if (c->ready_tail != NULL) {
        c->ready_tail->ready_next = f;
    } else {
        c->ready_head = f;
    }
    c->ready_tail = f;
}

void llmio__client_run_ready(struct llmio_client *c)
{
    struct llmio_future *f;
    while ((f = c->ready_head) != NULL) {
        c->ready_head = f->ready_next;
        if (c->ready_head == NULL) {
            c->ready_tail = NULL;
        }
        f->ready_next = NULL;
        f->in_ready = false;
        unlink_pending(c, f);
        f->state = LLMIO__F_DONE;
        f->client = NULL;
        if (f->observer != NULL) {
            f->observer(f, f->observer_arg);
        }
        if (f->done != NULL) {
            c->in_callback++;
            f->in_done_cb = true;
            f->done(f, f->user);
            f->in_done_cb = false;
            c->in_callback--;
        }
        /* Nothing is sent any more: drop the request snapshot (the body,
         * the headers with the key) now, so a future kept for its
         * response (a LLMIO_BATCH_KEEP item, a binding's Response) does
         * not also keep its whole request. */
        llmio__http_req_cleanup(&f->http);
        llmio__future_unref(f);
    }
}

struct llmio_future *llmio__future_for_request(struct llmio_client *c,
                                               const struct llmio_request *r,
                                               llmio_done_cb done, void *user)
{
    struct llmio_future *f = llmio__future_new(c);
    if (f == NULL) {
        return NULL;
    }
    f->done = done;
    f->user = user;
    f->stream = r->stream;
    f->stream_cb = r->stream_cb;
    for (int k = 0; k < 4; k++) {
        f->timeouts_ms[k] =
            r->timeouts_ms[k] > 0 ? r->timeouts_ms[k] : c->timeouts_ms[k];
    }
    f->retry = r->retry;
    return f;
}

llmio_status llmio__future_start(struct llmio_client *c, struct llmio_future *f,
                                 const struct llmio__provider *p,
                                 const char *model)
{
    f->provider = p;
    f->resp.provider = p->name;
    /* The response names it (llmio_response_served_by). */
    f->model = llmio__arena_strndup(&f->arena, model, strlen(model));
    if (f->model == NULL) {
        return LLMIO_E_NOMEM;
    }
    /* Each future is a request of its own to the rate limiter (a route's
     * hedge takes a request and its tokens from the budget too). */
    f->rl.owner = f;
    return llmio__engine_start(c, f);
}

struct llmio_future *llmio__future_failed(struct llmio_client *c,
                                          llmio_done_cb done, void *user,
                                          const llmio_error *err)
{
    struct llmio_future *f = llmio__future_new(c);
    if (f == NULL) {
        return NULL;
    }
    f->done = done;
    f->user = user;
    llmio__future_complete(f, err->code, err);
    /* Its done_cb runs from the loop like any other (STYLE 6.2 rule 3);
     * outside a dispatch the loop must be told there is work. */
    llmio__loop_kick(c);
    return f;
}

void llmio__future_cancel_internal(struct llmio_future *f)
{
    /* A failure already recorded for this attempt (an in-band error) may
     * still be retried, so the cancel is not redundant then. */
    if (f->state != LLMIO__F_RUNNING || f->stop_status == LLMIO_E_CANCELLED ||
        f->stop_status == LLMIO_E_ABORTED) {
        return;
    }
    if (f->route != NULL) {
        llmio__route_cancel(f); /* its children, then itself */
        return;
    }
    llmio__engine_stop(f->client, f, LLMIO_E_CANCELLED);
}

struct llmio__qdelta *llmio__delta_copy(struct llmio__arena *a,
                                        const llmio_delta *d)
{
    struct llmio__qdelta *q = llmio__arena_calloc(a, sizeof *q);
    if (q == NULL) {
        return NULL;
    }
    q->d = *d;
#define COPY_(field)                                                           \
    if (d->field != NULL) {                                                    \
        q->d.field = llmio__arena_strndup(a, d->field, strlen(d->field));      \
        if (q->d.field == NULL) {                                              \
            return NULL;                                                       \
        }                                                                      \
    }
    COPY_(tool_id)
    COPY_(tool_name)
    COPY_(finish_raw)
    COPY_(id)
    COPY_(model)
    COPY_(error_type)
    COPY_(signature)
#undef COPY_
    if (d->text != NULL) {
        q->d.text = llmio__arena_strndup(a, d->text, d->text_len);
        if (q->d.text == NULL) {
            return NULL;
        }
    }
    if (d->usage != NULL) {
        q->usage = *d->usage;
        q->d.usage = &q->usage;
    }
    if (d->restart != NULL) {
        q->restart = *d->restart;
        q->d.restart = &q->restart;
    }
    return q;
}

/* Deep-copies D into the pull queue. */
static llmio_status queue_push(struct llmio_future *f, const llmio_delta *d)
{
    struct llmio__arena *a = &f->qarena;
    struct llmio__qdelta *q = llmio__delta_copy(a, d);
    if (q == NULL) {
        goto fail;
    }
    if (f->qhead != NULL) {
        f->qtail->next = q;
    } else {
        f->qhead = q;
    }
    f->qtail = q;
    return LLMIO_OK;
fail:
    /* The limit (not the allocator) is the likely cause when the arena
     * already holds that much: a consumer that stopped pulling. */
    return llmio__arena_used(a) + 65536 >= QUEUE_MAX ? LLMIO_E_TOO_BIG
                                                     : LLMIO_E_NOMEM;
}

/* Adds D to what the user has seen of the current attempt. */
static void count_shown(llmio_restart *s, const llmio_delta *d)
{
    s->deltas++;
    switch (d->kind) {
    case LLMIO_DELTA_TEXT:
    case LLMIO_DELTA_REASONING:
    case LLMIO_DELTA_REFUSAL:
        s->text_bytes += d->text_len;
        for (size_t i = 0; i < d->text_len; i++) {
            /* Every byte but a UTF-8 continuation byte starts a character. */
            s->text_chars += ((unsigned char)d->text[i] & 0xC0) != 0x80;
        }
        break;
    case LLMIO_DELTA_TOOL_CALL:
        s->tool_fragments++;
        break;
    default:
        break;
    }
}

llmio_status llmio__future_sink(void *ctx, const llmio_delta *d)
{
    struct llmio_future *f = ctx;
    if (f->stop_status != LLMIO_OK) {
        return f->stop_status;
    }
    llmio_status st = llmio__response_add(&f->resp, d);
    if (st != LLMIO_OK) {
        return st;
    }
    if (!f->stream) {
        return LLMIO_OK;
    }
    if (f->parent != NULL) {
        /* A routed request's child: the route picks whose deltas the
         * caller sees (hedging). */
        return llmio__route_deliver(f, d);
    }
    return llmio__future_deliver(f, d);
}

llmio_status llmio__future_deliver(struct llmio_future *f, const llmio_delta *d)
{
    /* From here the user can see the delta: a later failure of this
     * attempt must not be retried, or the text would appear twice, unless
     * the caller opted in to a restart, which reports these counts. */
    f->delivered = true;
    count_shown(&f->shown, d);
    if (f->stream_cb == NULL) {
        return queue_push(f, d);
    }
    struct llmio_client *c = f->client;
    c->in_callback++;
    int rc = f->stream_cb(f, d, f->user);
    c->in_callback--;
    if (f->stop_status != LLMIO_OK) {
        return f->stop_status; /* cancelled or freed from the callback */
    }
    if (f->state != LLMIO__F_RUNNING) {
        return LLMIO_E_CANCELLED; /* a routed future, cancelled */
    }
    return rc != 0 ? LLMIO_E_ABORTED : LLMIO_OK;
}

/* ---- public: state ----------------------------------------------------- */

LLMIO_API bool llmio_future_done(const llmio_future *f)
{
    return f != NULL && f->state == LLMIO__F_DONE;
}

LLMIO_API llmio_status llmio_future_status(const llmio_future *f)
{
    if (f == NULL) {
        return LLMIO_E_INVALID;
    }
    return f->state == LLMIO__F_DONE ? f->status : LLMIO_E_STATE;
}

LLMIO_API const llmio_response *llmio_future_response(const llmio_future *f)
{
    if (f == NULL || f->state != LLMIO__F_DONE || f->status != LLMIO_OK) {
        return NULL;
    }
    if (f->route != NULL) {
        return llmio__route_response(f);
    }
    return &f->resp;
}

LLMIO_API const llmio_error *llmio_future_error(const llmio_future *f)
{
    static const llmio_error pending = {.code = LLMIO_E_STATE,
                                        .retry_after_ms = -1,
                                        .message = "operation pending"};
    if (f == NULL) {
        return NULL;
    }
    return f->state == LLMIO__F_DONE ? &f->err : &pending;
}

LLMIO_API void *llmio_future_user(const llmio_future *f)
{
    return f != NULL ? f->user : NULL;
}

LLMIO_API void llmio_future_cancel(llmio_future *f)
{
    if (f != NULL) {
        llmio__future_cancel_internal(f);
    }
}

LLMIO_API void llmio_future_free(llmio_future *f)
{
    if (f == NULL) {
        return;
    }
    if (f->state == LLMIO__F_RUNNING) {
        llmio__future_cancel_internal(f);
    }
    llmio__future_unref(f);
}

/* ---- public: waiting --------------------------------------------------- */

/* Milliseconds left before DEADLINE (-1: none), for one loop round. */
static int remaining(int64_t deadline)
{
    if (deadline < 0) {
        return -1;
    }
    int64_t left = deadline - llmio__mono_ms();
    if (left <= 0) {
        return 0;
    }
    return left > 1000000 ? 1000000 : (int)left;
}

llmio_status llmio__client_wait(struct llmio_client *c, int timeout_ms,
                                bool (*ready)(void *arg), void *arg)
{
    if (ready(arg)) {
        return LLMIO_OK;
    }
    llmio_status st = llmio__loop_enter(c, false);
    if (st != LLMIO_OK) {
        return st;
    }
    int64_t deadline =
        timeout_ms < 0 ? -1 : llmio__mono_ms() + (int64_t)timeout_ms;
    for (;;) {
        int ms = remaining(deadline);
        if (llmio__loop_run_once(c, ms)) {
            /* A callback freed the client: leaving runs the free, which
             * completes every future, so the wait is over either way. */
            llmio__loop_leave(c);
            return ready(arg) ? LLMIO_OK : LLMIO_E_STATE;
        }
        if (ready(arg)) {
            break;
        }
        if (ms == 0) {
            st = LLMIO_E_TIMEOUT;
            break;
        }
    }
    llmio__loop_leave(c);
    return st;
}

/* The futures a wait function watches, and its readiness test. */
struct wait_set {
    llmio_future *const *fs;
    size_t n;
    size_t *index;
    bool (*ready)(llmio_future *const *, size_t, size_t *);
};

static bool wait_set_ready(void *arg)
{
    struct wait_set *w = arg;
    return w->ready(w->fs, w->n, w->index);
}

/* Common driver of the wait functions: runs the futures' client until
 * READY(FS, N, INDEX) holds or TIMEOUT_MS passes. */
static llmio_status
wait_until(llmio_future *const *fs, size_t n, int timeout_ms,
           bool (*ready)(llmio_future *const *, size_t, size_t *),
           size_t *index)
{
    if (fs == NULL || n == 0) {
        return LLMIO_E_INVALID;
    }
    struct llmio_client *c = NULL;
    for (size_t i = 0; i < n; i++) {
        if (fs[i] == NULL) {
            return LLMIO_E_INVALID;
        }
        if (fs[i]->client != NULL) {
            if (c != NULL && fs[i]->client != c) {
                return LLMIO_E_INVALID;
            }
            c = fs[i]->client;
        }
    }
    struct wait_set w = {fs, n, index, ready};
    if (wait_set_ready(&w)) {
        return LLMIO_OK;
    }
    if (c == NULL) {
        return LLMIO_E_STATE; /* cannot happen: not ready means a client */
    }
    return llmio__client_wait(c, timeout_ms, wait_set_ready, &w);
}

static bool all_done(llmio_future *const *fs, size_t n, size_t *index)
{
    (void)index;
    for (size_t i = 0; i < n; i++) {
        if (fs[i]->state != LLMIO__F_DONE) {
            return false;
        }
    }
    return true;
}

static bool any_done(llmio_future *const *fs, size_t n, size_t *index)
{
    for (size_t i = 0; i < n; i++) {
        if (fs[i]->state == LLMIO__F_DONE) {
            if (index != NULL) {
                *index = i;
            }
            return true;
        }
    }
    return false;
}

LLMIO_API llmio_status llmio_future_wait(llmio_future *f, int timeout_ms)
{
    return wait_until(&f, 1, timeout_ms, all_done, NULL);
}

LLMIO_API llmio_status llmio_future_wait_all(llmio_future *const *fs, size_t n,
                                             int timeout_ms)
{
    return wait_until(fs, n, timeout_ms, all_done, NULL);
}

LLMIO_API llmio_status llmio_future_wait_any(llmio_future *const *fs, size_t n,
                                             int timeout_ms, size_t *index)
{
    return wait_until(fs, n, timeout_ms, any_done, index);
}

/* Ready when a delta is queued or the future is DONE. */
static bool has_delta(llmio_future *const *fs, size_t n, size_t *index)
{
    (void)n;
    (void)index;
    return fs[0]->qhead != NULL || fs[0]->state == LLMIO__F_DONE;
}

LLMIO_API llmio_status llmio_future_next(llmio_future *f, const llmio_delta **d,
                                         int timeout_ms)
{
    if (d != NULL) {
        *d = NULL;
    }
    if (f == NULL || d == NULL || !f->stream || f->stream_cb != NULL) {
        return LLMIO_E_INVALID;
    }
    /* The delta handed out last time is no longer borrowed. */
    if (f->qcurrent) {
        f->qcurrent = false;
        if (f->qhead == NULL) {
            llmio__arena_reset(&f->qarena);
        }
    }
    if (f->qhead == NULL && f->state != LLMIO__F_DONE) {
        llmio_status st = wait_until(&f, 1, timeout_ms, has_delta, NULL);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    if (f->qhead != NULL) {
        struct llmio__qdelta *q = f->qhead;
        f->qhead = q->next;
        if (f->qhead == NULL) {
            f->qtail = NULL;
        }
        f->qcurrent = true;
        *d = &q->d;
        return LLMIO_OK;
    }
    return f->status == LLMIO_OK ? LLMIO_E_STATE : f->status;
}
