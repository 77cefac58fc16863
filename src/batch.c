/*
 * batch.c - llmio_batch: many requests on one client under a concurrency
 * cap of the batch's own, fed lazily, each item reported exactly once.
 *
 * Invariants:
 *  - Everything happens in done callbacks of the batch's own futures (the
 *    items, and one internal "kick" future that starts the feeding), so a
 *    batch runs under every drive mode and never has a loop of its own;
 *    nothing user-visible runs inside llmio_batch_start* or _cancel.
 *  - Every item taken gets a future: the submitted request's, or, when
 *    the request never reached the engine (a refused submit, an error
 *    from the source, a cancel before sending), one completed at once
 *    with that error. So each item is reported exactly once, through the
 *    same done callback, whatever happened to it.
 *  - At most CAP items are in flight. Slots are the only per-item memory:
 *    CAP of them as completed items are reported at once, or a ring of
 *    WINDOW (>= CAP) with LLMIO_BATCH_ORDERED, where a finished item waits
 *    in its slot for the ones before it and item I always uses slot
 *    I % WINDOW (no item starts while the slot of I - WINDOW is held).
 *  - LIVE counts the batch's futures whose done callback has not
 *    finished; the batch's memory goes when the caller freed it and LIVE
 *    is 0, never from under one of its own callbacks.
 * Owns: the slots, the kept futures (LLMIO_BATCH_KEEP) and, between the
 * source handing one over and the submit, each source's request. An item
 * future detached inside its item callback is the caller's from then on.
 */
#include "client.h"

#include "alloc.h"

#include <stdio.h>
#include <string.h>

#define MAX_CONCURRENCY ((size_t)1000000)
/* How far ordered results may run ahead of the oldest unfinished item:
 * enough to ride out a slow request without stalling the cap. */
#define ORDERED_FACTOR ((size_t)16)
#define ORDERED_MAX_EXTRA ((size_t)100000)

struct slot {
    struct llmio_batch *b;
    llmio_future *f; /* NULL: the slot is free */
    size_t index;
    bool finished;    /* its done callback ran; ORDERED: waiting its turn */
    size_t next_free; /* free-list link (unordered) */
};

struct llmio_batch {
    llmio_allocator alloc; /* a copy: the batch may outlive its client */
    struct llmio_client *client;
    size_t cap;
    unsigned flags;
    llmio_batch_item_cb item_cb;
    llmio_batch_done_cb done_cb;
    void *user;

    llmio_batch_source_cb source;
    void *source_user;
    const llmio_request *const *reqs; /* array mode; borrowed */
    size_t nreqs;
    bool is_array;

    bool started;
    bool exhausted; /* no item will be taken any more */
    bool cancelled;
    bool done;    /* done_cb ran (or is running) */
    bool freed;   /* llmio_batch_free was called */
    bool feeding; /* inside feed(): no re-entry */
    bool kick_pending;

    size_t taken, reported, ok, failed, in_flight;
    size_t next_emit; /* ORDERED: the next index to report */

    struct slot *slots;
    size_t nslots;
    size_t free_head; /* unordered free list; nslots: empty */

    llmio_future **kept; /* KEEP: item futures by index, NULL until reported */
    size_t cap_kept;

    int live; /* the batch's futures whose done callback has not ended */

    llmio_future *reporting; /* the item future inside item_cb, else NULL */
    bool detached;           /* item_cb took REPORTING (llmio_batch_detach) */
};

static void destroy(struct llmio_batch *b)
{
    if (b->kept != NULL) {
        for (size_t i = 0; i < b->taken; i++) {
            llmio_future_free(b->kept[i]);
        }
        llmio__free(&b->alloc, b->kept);
        b->kept = NULL;
    }
    llmio__free(&b->alloc, b->slots);
    b->slots = NULL;
    llmio_allocator a = b->alloc;
    llmio__free(&a, b);
}

/* Releases B when the caller has let go and no callback of it is left. */
static void maybe_destroy(struct llmio_batch *b)
{
    if (b->freed && b->live == 0) {
        destroy(b);
    }
}

static bool has_free_slot(const struct llmio_batch *b)
{
    if (b->flags & LLMIO_BATCH_ORDERED) {
        return b->taken - b->next_emit < b->nslots;
    }
    return b->free_head < b->nslots;
}

static struct slot *take_slot(struct llmio_batch *b, size_t index)
{
    struct slot *s;
    if (b->flags & LLMIO_BATCH_ORDERED) {
        s = &b->slots[index % b->nslots];
    } else {
        s = &b->slots[b->free_head];
        b->free_head = s->next_free;
    }
    s->b = b;
    s->index = index;
    s->finished = false;
    s->f = NULL;
    return s;
}

static void put_slot(struct llmio_batch *b, struct slot *s)
{
    s->f = NULL;
    if (!(b->flags & LLMIO_BATCH_ORDERED)) {
        s->next_free = b->free_head;
        b->free_head = (size_t)(s - b->slots);
    }
}

/* Makes room in KEPT for item INDEX before it is taken, so reporting it
 * never needs memory. */
static llmio_status reserve_kept(struct llmio_batch *b, size_t index)
{
    if (!(b->flags & LLMIO_BATCH_KEEP) || index < b->cap_kept) {
        return LLMIO_OK;
    }
    size_t cap = b->cap_kept != 0 ? b->cap_kept : 64;
    while (cap <= index) {
        if (cap > SIZE_MAX / 2 / sizeof *b->kept) {
            return LLMIO_E_NOMEM;
        }
        cap *= 2;
    }
    llmio_future **p =
        llmio__realloc(&b->alloc, b->kept, cap * sizeof *b->kept);
    if (p == NULL) {
        return LLMIO_E_NOMEM;
    }
    memset(p + b->cap_kept, 0, (cap - b->cap_kept) * sizeof *p);
    b->kept = p;
    b->cap_kept = cap;
    return LLMIO_OK;
}

static void fill_err(llmio_error *err, llmio_status st, const char *msg)
{
    memset(err, 0, sizeof *err);
    err->code = st;
    err->retry_after_ms = -1;
    snprintf(err->message, sizeof err->message, "%s", msg);
}

static void on_item_done(llmio_future *f, void *user);
static void maybe_finish(struct llmio_batch *b);

/*
 * next_item - get item INDEX: a request to send (*REQ, *OWNED when the
 * batch must free it) or, with *REQ NULL, the error in ERR it ends with.
 * Returns false when no item is left (the batch is then exhausted).
 */
static bool next_item(struct llmio_batch *b, size_t index,
                      const llmio_request **req, bool *owned, llmio_error *err)
{
    *req = NULL;
    *owned = false;
    fill_err(err, LLMIO_OK, "");
    if (b->is_array) {
        if (index >= b->nreqs) {
            return false;
        }
        if (b->cancelled) {
            fill_err(err, LLMIO_E_CANCELLED,
                     "batch cancelled before this request was sent");
        } else {
            *req = b->reqs[index];
        }
        return true;
    }
    if (b->cancelled) {
        return false; /* a source's items exist only once pulled */
    }
    llmio_request *r = NULL;
    llmio_status st = b->source(b->source_user, index, &r, err);
    if (st == LLMIO_OK && r == NULL) {
        return false;
    }
    if (st != LLMIO_OK) {
        llmio_request_free(r);
        err->code = st;
        if (err->message[0] == '\0') {
            snprintf(err->message, sizeof err->message, "%s",
                     llmio_status_str(st));
        }
        return true;
    }
    if (b->cancelled) {
        /* The source cancelled the batch while handing this item over:
         * it was taken, so it is reported, unsent. */
        llmio_request_free(r);
        fill_err(err, LLMIO_E_CANCELLED,
                 "batch cancelled before this request was sent");
        return true;
    }
    *req = r;
    *owned = true;
    return true;
}

/* Takes items while the cap and the window allow. Runs only from done
 * callbacks of the batch's futures, where submitting is allowed. */
static void feed(struct llmio_batch *b)
{
    struct llmio_client *c = b->client;
    if (b->feeding) {
        return;
    }
    b->feeding = true;
    while (!b->exhausted && b->in_flight < b->cap && has_free_slot(b)) {
        if ((c->freeing || c->free_pending) && !b->cancelled) {
            /* The client is going: pull nothing more from a source; the
             * rest of an array is reported cancelled. */
            llmio_batch_cancel(b);
        }
        size_t index = b->taken;
        if (reserve_kept(b, index) != LLMIO_OK) {
            break; /* retried at the next completion; see finish below */
        }
        const llmio_request *req;
        bool owned;
        llmio_error err;
        if (!next_item(b, index, &req, &owned, &err)) {
            b->exhausted = true;
            break;
        }
        llmio_future *f = NULL;
        if (req != NULL) {
            llmio_status st =
                llmio_submit(c, req, on_item_done, b->user, &f, &err);
            if (owned) {
                llmio_request_free((llmio_request *)req);
            }
            if (st != LLMIO_OK && err.code == LLMIO_OK) {
                err.code = st;
            }
        }
        if (f == NULL) {
            f = llmio__future_failed(c, on_item_done, b->user, &err);
        }
        if (f == NULL) {
            /* Not even a failed future could be made: the item cannot be
             * reported, so the batch stops taking items rather than lose
             * one silently; it ends with what it has. */
            b->exhausted = true;
            break;
        }
        struct slot *s = take_slot(b, index);
        s->f = f;
        f->batch_item = s;
        f->batch_index = index;
        f->in_batch = true;
        b->taken++;
        b->in_flight++;
        b->live++;
    }
    if (!b->exhausted && b->in_flight == 0 && b->taken == b->reported) {
        /* Nothing in flight will call feed again (a failed reservation):
         * end rather than hang. */
        b->exhausted = true;
    }
    b->feeding = false;
}

/* Reports the finished item in slot S: counters, the item callback, then
 * the future goes to KEPT or is released. */
static void report(struct llmio_batch *b, struct slot *s)
{
    llmio_future *f = s->f;
    size_t index = s->index;
    put_slot(b, s);
    b->reported++;
    if (llmio_future_status(f) == LLMIO_OK) {
        b->ok++;
    } else {
        b->failed++;
    }
    if (b->item_cb != NULL) {
        b->reporting = f;
        b->detached = false;
        b->item_cb(b, index, f, b->user);
        b->reporting = NULL;
    }
    if (b->detached) {
        b->detached = false; /* the caller's now (llmio_batch_detach) */
    } else if ((b->flags & LLMIO_BATCH_KEEP) && !b->freed) {
        b->kept[index] = f;
    } else {
        llmio_future_free(f);
    }
}

/* Runs the done callback once nothing more can happen. */
static void maybe_finish(struct llmio_batch *b)
{
    if (b->done || !b->exhausted || b->kick_pending || b->in_flight != 0 ||
        b->reported != b->taken) {
        return;
    }
    b->done = true;
    if (b->done_cb != NULL) {
        b->done_cb(b, b->user);
    }
}

static void on_item_done(llmio_future *f, void *user)
{
    (void)user;
    struct slot *s = f->batch_item;
    struct llmio_batch *b = s->b;
    b->in_flight--;
    s->finished = true;
    if (b->flags & LLMIO_BATCH_ORDERED) {
        /* Report every finished item from the oldest on, in order. */
        while (b->next_emit < b->taken) {
            struct slot *head = &b->slots[b->next_emit % b->nslots];
            if (head->f == NULL || !head->finished) {
                break;
            }
            b->next_emit++;
            report(b, head);
        }
    } else {
        report(b, s);
    }
    feed(b);
    maybe_finish(b);
    b->live--;
    maybe_destroy(b);
}

/* The kick: the first feed, from the loop rather than from start. */
static void on_kick(llmio_future *f, void *user)
{
    struct llmio_batch *b = user;
    b->kick_pending = false;
    llmio_future_free(f);
    feed(b);
    maybe_finish(b);
    b->live--;
    maybe_destroy(b);
}

/* ---- public ------------------------------------------------------------ */

LLMIO_API llmio_status llmio_batch_new(llmio_client *c, size_t max_concurrency,
                                       unsigned flags, llmio_batch **out)
{
    if (out != NULL) {
        *out = NULL;
    }
    if (c == NULL || out == NULL || max_concurrency == 0 ||
        max_concurrency > MAX_CONCURRENCY ||
        (flags & ~(unsigned)(LLMIO_BATCH_ORDERED | LLMIO_BATCH_KEEP)) != 0) {
        return LLMIO_E_INVALID;
    }
    struct llmio_batch *b = llmio__calloc(&c->alloc, 1, sizeof *b);
    if (b == NULL) {
        return LLMIO_E_NOMEM;
    }
    b->alloc = c->alloc;
    b->client = c;
    b->cap = max_concurrency;
    b->flags = flags;
    b->nslots = max_concurrency;
    if (flags & LLMIO_BATCH_ORDERED) {
        size_t extra = max_concurrency * (ORDERED_FACTOR - 1);
        b->nslots += extra < ORDERED_MAX_EXTRA ? extra : ORDERED_MAX_EXTRA;
    }
    b->slots = llmio__calloc(&b->alloc, b->nslots, sizeof *b->slots);
    if (b->slots == NULL) {
        llmio__free(&b->alloc, b);
        return LLMIO_E_NOMEM;
    }
    for (size_t i = 0; i < b->nslots; i++) {
        b->slots[i].next_free = i + 1;
    }
    b->free_head = 0;
    *out = b;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_batch_set_callbacks(llmio_batch *b,
                                                 llmio_batch_item_cb item,
                                                 llmio_batch_done_cb done,
                                                 void *user)
{
    if (b == NULL) {
        return LLMIO_E_INVALID;
    }
    if (b->started) {
        return LLMIO_E_STATE;
    }
    b->item_cb = item;
    b->done_cb = done;
    b->user = user;
    return LLMIO_OK;
}

/* Common tail of the two starts: the kick future that feeds from the
 * loop. */
static llmio_status start(struct llmio_batch *b)
{
    struct llmio_client *c = b->client;
    if (b->started || c->freeing || c->free_pending) {
        return LLMIO_E_STATE;
    }
    llmio_error ok;
    fill_err(&ok, LLMIO_OK, "");
    llmio_future *kick = llmio__future_failed(c, on_kick, b, &ok);
    if (kick == NULL) {
        return LLMIO_E_NOMEM;
    }
    b->started = true;
    b->kick_pending = true;
    b->live++;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_batch_start(llmio_batch *b,
                                         llmio_batch_source_cb source,
                                         void *source_user)
{
    if (b == NULL || source == NULL) {
        return LLMIO_E_INVALID;
    }
    if (b->started) {
        return LLMIO_E_STATE;
    }
    b->source = source;
    b->source_user = source_user;
    b->is_array = false;
    return start(b);
}

LLMIO_API llmio_status llmio_batch_start_array(llmio_batch *b,
                                               const llmio_request *const *reqs,
                                               size_t n)
{
    if (b == NULL || (reqs == NULL && n != 0)) {
        return LLMIO_E_INVALID;
    }
    if (b->started) {
        return LLMIO_E_STATE;
    }
    b->reqs = reqs;
    b->nreqs = n;
    b->is_array = true;
    return start(b);
}

static bool batch_is_done(void *arg)
{
    return ((struct llmio_batch *)arg)->done;
}

LLMIO_API llmio_status llmio_batch_wait(llmio_batch *b, int timeout_ms)
{
    if (b == NULL) {
        return LLMIO_E_INVALID;
    }
    if (b->done) {
        return LLMIO_OK; /* the client may be gone: do not touch it */
    }
    if (!b->started) {
        return LLMIO_E_STATE;
    }
    return llmio__client_wait(b->client, timeout_ms, batch_is_done, b);
}

LLMIO_API void llmio_batch_cancel(llmio_batch *b)
{
    if (b == NULL || b->done || b->cancelled) {
        return;
    }
    b->cancelled = true;
    for (size_t i = 0; i < b->nslots; i++) {
        struct slot *s = &b->slots[i];
        if (s->f != NULL && !s->finished) {
            llmio_future_cancel(s->f);
        }
    }
}

LLMIO_API void llmio_batch_free(llmio_batch *b)
{
    if (b == NULL || b->freed) {
        return;
    }
    llmio_batch_cancel(b);
    b->freed = true;
    maybe_destroy(b);
}

LLMIO_API bool llmio_batch_done(const llmio_batch *b)
{
    return b != NULL && b->done;
}

LLMIO_API llmio_future *llmio_batch_future(const llmio_batch *b, size_t index)
{
    if (b == NULL || b->kept == NULL || index >= b->taken) {
        return NULL;
    }
    return b->kept[index];
}

LLMIO_API llmio_status llmio_batch_detach(llmio_batch *b, llmio_future *f)
{
    if (b == NULL || f == NULL) {
        return LLMIO_E_INVALID;
    }
    if (b->reporting != f) {
        return LLMIO_E_STATE;
    }
    b->detached = true;
    return LLMIO_OK;
}

LLMIO_API bool llmio_batch_index(const llmio_future *f, size_t *index)
{
    if (f == NULL || !f->in_batch) {
        return false;
    }
    if (index != NULL) {
        *index = f->batch_index;
    }
    return true;
}

LLMIO_API void llmio_batch_progress(const llmio_batch *b,
                                    llmio_batch_stats *out)
{
    if (out == NULL) {
        return;
    }
    memset(out, 0, sizeof *out);
    if (b == NULL) {
        return;
    }
    out->taken = b->taken;
    out->reported = b->reported;
    out->ok = b->ok;
    out->failed = b->failed;
    out->in_flight = b->in_flight;
}
