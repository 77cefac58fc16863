/*
 * route.c - fallbacks and hedged requests: runs a request as internal
 * child futures behind the caller's future, picking the model (fallback
 * list) and the request whose answer the caller sees (hedging).
 *
 * Invariants:
 *  - The caller's future P of a routed request never has a transfer. Its
 *    route owns every child: kids[0] is the current model's request,
 *    kids[1] its hedge. A child is an ordinary future to the engine (its
 *    own snapshot, transfer, retries, deadlines), marked internal (not
 *    counted in llmio_client_pending) with PARENT = P.
 *  - P completes exactly once, here: when a child succeeds, when the
 *    last child of the last usable model fails, or on cancel. A child's
 *    done callback is the route's, never the caller's.
 *  - The winner is the first child to answer (first 2xx body byte, or
 *    first content delta of a stream); the other is cancelled at once, and
 *    only the winner's deltas reach the caller. A child's deltas before
 *    it answers (START) are held and replayed when it wins.
 *  - Each model's snapshot is built at submit (the builder may be freed
 *    right away); the first child of a model takes it over, a hedge gets
 *    a copy of its sibling's.
 *  - A child that is DONE may outlive P's route only as a dropped
 *    reference: route_free detaches every child still pending.
 * Owns: the route (P's allocator), the prepared snapshots, the held
 * deltas, one reference on each child it started, the client's hedge
 * timer list and latency tracker (struct llmio__routes).
 */
#include "route.h"

#include "alloc.h"
#include "latency.h"
#include "request.h"

#include <stdio.h>
#include <string.h>

/* p95 hedging waits for this many timed answers before trusting them. */
#define P95_MIN_SAMPLES 20
/* Hedge delays are clamped to a day (see hedge_delay). */
#define HEDGE_DELAY_MAX_MS (INT64_C(24) * 3600 * 1000)

struct step {
    char *model; /* "provider/model" as given */
    unsigned on; /* failure classes that move here (step 0: none) */
    const struct llmio__provider *p;
    struct llmio__http_req http; /* until the step's first child takes it */
    struct llmio__rl_ticket rl;  /* prepared at submit; each child a copy */
};

struct held {
    struct llmio__arena arena;
    struct llmio__qdelta *head, *tail;
    int attempt; /* the child's attempt the deltas belong to */
};

struct llmio__route {
    struct llmio_future *f; /* the caller's future */
    struct step steps[1 + LLMIO__MAX_FALLBACKS];
    size_t nsteps, cur;
    struct llmio_future *kids[2]; /* current model: request, hedge */
    int64_t kid_start[2];
    struct held held[2];
    struct llmio_future *winner; /* answered first; kept for its response */
    llmio_hedge_mode hedge_mode;
    int64_t hedge_delay_ms;
    bool hedged;                        /* the current model's hedge was sent */
    int hedges;                         /* hedges sent, all models */
    int attempts;                       /* HTTP attempts of finished children */
    int ntried;                         /* models that failed for good */
    int64_t hedge_due;                  /* -1: no timer armed */
    struct llmio__route *tprev, *tnext; /* the client's timer list */
    struct llmio__buf tried;            /* "model: STATUS (HTTP n); ..." */
};

struct llmio__routes {
    struct llmio__route *head, *tail; /* armed hedge timers, by due time */
    struct llmio__latency lat;
};

/* ---- hedge timers ---------------------------------------------------------
 */

static void timer_disarm(struct llmio_client *c, struct llmio__route *rt)
{
    if (rt->hedge_due < 0 || c == NULL || c->routes == NULL) {
        return;
    }
    struct llmio__routes *rs = c->routes;
    if (rt->tprev != NULL) {
        rt->tprev->tnext = rt->tnext;
    } else {
        rs->head = rt->tnext;
    }
    if (rt->tnext != NULL) {
        rt->tnext->tprev = rt->tprev;
    } else {
        rs->tail = rt->tprev;
    }
    rt->tprev = rt->tnext = NULL;
    rt->hedge_due = -1;
}

/* Inserts RT at DUE, scanning from the tail: with one delay per model
 * most timers go last, so this is O(1) in practice. */
static void timer_arm(struct llmio_client *c, struct llmio__route *rt,
                      int64_t due)
{
    struct llmio__routes *rs = c->routes;
    timer_disarm(c, rt);
    struct llmio__route *after = rs->tail;
    while (after != NULL && after->hedge_due > due) {
        after = after->tprev;
    }
    rt->hedge_due = due;
    rt->tprev = after;
    rt->tnext = after != NULL ? after->tnext : rs->head;
    if (rt->tnext != NULL) {
        rt->tnext->tprev = rt;
    } else {
        rs->tail = rt;
    }
    if (after != NULL) {
        after->tnext = rt;
    } else {
        rs->head = rt;
    }
    if (c->driving == 0) {
        llmio__loop_update_timer(c); /* armed between dispatches */
    }
}

int64_t llmio__route_next_due(const struct llmio_client *c)
{
    return c->routes != NULL && c->routes->head != NULL
               ? c->routes->head->hedge_due
               : -1;
}

/* ---- children ----------------------------------------------------------- */

static void held_reset(struct llmio__route *rt, int slot)
{
    struct held *h = &rt->held[slot];
    llmio__arena_reset(&h->arena);
    h->head = h->tail = NULL;
    h->attempt = 0;
}

/* Copies the bytes of SRC into DST (initialised, empty). */
static llmio_status http_copy(struct llmio__http_req *dst,
                              const struct llmio__http_req *src)
{
    llmio_status st = llmio__buf_append(&dst->url, src->url.data, src->url.len);
    if (st == LLMIO_OK) {
        st = llmio__buf_append(&dst->headers, src->headers.data,
                               src->headers.len);
    }
    if (st == LLMIO_OK) {
        st = llmio__buf_append(&dst->body, src->body.data, src->body.len);
    }
    dst->nheaders = src->nheaders;
    return st;
}

/* Moves SRC's buffers into DST (which holds none); SRC is left empty. */
static void http_move(struct llmio__http_req *dst, struct llmio__http_req *src,
                      const llmio_allocator *alloc)
{
    const llmio_allocator *src_alloc = src->url.alloc;
    *dst = *src;
    dst->url.alloc = dst->headers.alloc = dst->body.alloc = alloc;
    llmio__http_req_init(src, src_alloc);
}

static void kid_done(llmio_future *k, void *user);

/* Where the hedge timer of the current model is set to fire. */
static int64_t hedge_delay(struct llmio_client *c, struct llmio__route *rt)
{
    int64_t ms = rt->hedge_delay_ms;
    if (rt->hedge_mode == LLMIO_HEDGE_P95) {
        llmio__latency_quantile(&c->routes->lat, rt->steps[rt->cur].model, 0.95,
                                P95_MIN_SAMPLES, &ms);
    }
    /* A p95 of 0 ms (answers faster than the clock) would hedge every
     * request at once; a caller's huge delay must not overflow NOW + MS
     * (a day is past any finite total timeout worth hedging). */
    if (ms < 1) {
        ms = 1;
    }
    if (ms > HEDGE_DELAY_MAX_MS) {
        ms = HEDGE_DELAY_MAX_MS;
    }
    return ms;
}

/* Starts child SLOT (0: the current model's request, 1: its hedge). */
static llmio_status spawn(struct llmio__route *rt, int slot, llmio_error *e)
{
    struct llmio_future *pf = rt->f;
    struct llmio_client *c = pf->client;
    struct step *s = &rt->steps[rt->cur];
    struct llmio_future *k = llmio__future_new(c);
    if (k == NULL) {
        return LLMIO_E_NOMEM;
    }
    /* Not the caller's: llmio_client_pending counts what was submitted. */
    k->internal = true;
    c->npending--;
    k->parent = pf;
    k->route_slot = slot;
    k->route_step = (int)rt->cur;
    k->provider = s->p;
    k->done = kid_done;
    k->user = rt;
    k->stream = pf->stream;
    k->retry = pf->retry;
    k->rl = s->rl; /* the step's estimate; llmio__future_start makes it k's */
    int64_t now = llmio__mono_ms();
    memcpy(k->timeouts_ms, pf->timeouts_ms, sizeof k->timeouts_ms);
    /* TOTAL counts from the caller's submit, across every model. */
    int64_t left = pf->t0_ms + pf->timeouts_ms[LLMIO_TIMEOUT_TOTAL] - now;
    k->timeouts_ms[LLMIO_TIMEOUT_TOTAL] = left > 1 ? left : 1;
    llmio_status st = LLMIO_OK;
    if (slot == 0) {
        http_move(&k->http, &s->http, &k->alloc);
    } else {
        st = http_copy(&k->http, &rt->kids[0]->http);
    }
    if (st == LLMIO_OK) {
        st = llmio__future_start(c, k, s->p, s->model);
    }
    if (st != LLMIO_OK) {
        if (e != NULL) {
            e->code = st;
            snprintf(e->message, sizeof e->message, "%s", llmio_status_str(st));
        }
        llmio__future_discard(k);
        return st;
    }
    rt->kids[slot] = k;
    rt->kid_start[slot] = now;
    held_reset(rt, slot);
    if (slot == 0) {
        rt->hedged = false;
        if (rt->hedge_mode != LLMIO_HEDGE_OFF) {
            timer_arm(c, rt, now + hedge_delay(c, rt));
        }
    } else {
        rt->hedged = true;
        rt->hedges++;
    }
    return LLMIO_OK;
}

/* Drops the route's reference on child K (not the winner's: its
 * response is the caller's). */
static void drop(struct llmio__route *rt, struct llmio_future *k)
{
    for (int i = 0; i < 2; i++) {
        if (rt->kids[i] == k) {
            rt->kids[i] = NULL;
        }
    }
    if (k != rt->winner) {
        llmio__future_unref(k);
    }
}

/* K answered first: it wins, its sibling is cancelled (its connection
 * closed now, or as soon as libcurl returns), no hedge is sent any more,
 * and the time to the answer is a latency sample for the model. */
static void win(struct llmio__route *rt, struct llmio_future *k)
{
    struct llmio_client *c = rt->f->client;
    rt->winner = k;
    timer_disarm(c, rt);
    llmio__latency_add(&c->routes->lat, k->model,
                       llmio__mono_ms() - rt->kid_start[k->route_slot]);
    struct llmio_future *other = rt->kids[1 - k->route_slot];
    if (other != NULL && other->state == LLMIO__F_RUNNING) {
        llmio__future_cancel_internal(other);
    }
}

void llmio__route_answered(struct llmio_future *k)
{
    struct llmio_future *pf = k->parent;
    if (pf == NULL || k->stream || pf->route->winner != NULL ||
        pf->state != LLMIO__F_RUNNING) {
        return;
    }
    win(pf->route, k);
}

/* Whether D shows the model answering (not just a stream's preamble). */
static bool is_answer(const llmio_delta *d)
{
    return d->kind != LLMIO_DELTA_START && d->kind != LLMIO_DELTA_USAGE &&
           d->kind != LLMIO_DELTA_ERROR && d->kind != LLMIO_DELTA_RESTARTED;
}

llmio_status llmio__route_deliver(struct llmio_future *k, const llmio_delta *d)
{
    struct llmio_future *pf = k->parent;
    if (k->stop_status != LLMIO_OK) {
        return k->stop_status;
    }
    if (pf == NULL || pf->state != LLMIO__F_RUNNING) {
        return LLMIO_E_CANCELLED;
    }
    struct llmio__route *rt = pf->route;
    struct held *h = &rt->held[k->route_slot];
    if (rt->winner == NULL && !is_answer(d)) {
        /* Held until K answers; a new attempt (a retry) starts over. */
        if (h->attempt != k->attempts) {
            held_reset(rt, k->route_slot);
            h->attempt = k->attempts;
        }
        struct llmio__qdelta *q = llmio__delta_copy(&h->arena, d);
        if (q == NULL) {
            return LLMIO_E_NOMEM;
        }
        if (h->tail != NULL) {
            h->tail->next = q;
        } else {
            h->head = q;
        }
        h->tail = q;
        return LLMIO_OK;
    }
    if (rt->winner == NULL) {
        win(rt, k);
    } else if (rt->winner != k) {
        return LLMIO_E_CANCELLED; /* the loser: stopped already */
    }
    /* From here the caller sees K's data: K is not retried any more. */
    k->delivered = true;
    llmio_status st = LLMIO_OK;
    if (h->head != NULL && h->attempt == k->attempts) {
        for (struct llmio__qdelta *q = h->head; q != NULL && st == LLMIO_OK;
             q = q->next) {
            st = llmio__future_deliver(pf, &q->d);
        }
    }
    if (h->head != NULL) {
        held_reset(rt, k->route_slot);
    }
    if (st == LLMIO_OK) {
        st = llmio__future_deliver(pf, d);
    }
    return st;
}

/* ---- outcomes ------------------------------------------------------------ */

/* The failure classes of llmio_fallback_on that status ST belongs to. */
static unsigned fallback_class(llmio_status st)
{
    switch (st) {
    case LLMIO_E_CONTEXT_LENGTH:
        return LLMIO_FALLBACK_CONTEXT_LENGTH;
    case LLMIO_E_OVERLOADED:
    case LLMIO_E_SERVER:
    case LLMIO_E_CONNECT:
    case LLMIO_E_TLS:
    case LLMIO_E_NETWORK:
    case LLMIO_E_TIMEOUT:
        return LLMIO_FALLBACK_OUTAGE;
    case LLMIO_E_RATE_LIMIT:
        return LLMIO_FALLBACK_RATE_LIMIT;
    case LLMIO_E_AUTH:
        return LLMIO_FALLBACK_AUTH;
    case LLMIO_E_BAD_REQUEST:
    case LLMIO_E_HTTP:
        return LLMIO_FALLBACK_BAD_REQUEST;
    default:
        return 0; /* cancels, aborts, local and protocol errors */
    }
}

/* Appends "model: STATUS (HTTP n, k attempts)" for K's failed model. */
static void note_tried(struct llmio__route *rt, const struct llmio_future *k)
{
    const llmio_error *e = &k->err;
    rt->ntried++;
    if (rt->tried.len > 0) {
        llmio__buf_appends(&rt->tried, "; ");
    }
    llmio__buf_appendf(&rt->tried, "%s: %s", k->model,
                       llmio_status_name(k->status));
    if (e->http_status != 0) {
        llmio__buf_appendf(&rt->tried, " (HTTP %d)", e->http_status);
    }
}

/* Puts PREFIX before E's message, cutting the end to fit. */
static void prefix_message(llmio_error *e, const char *prefix)
{
    char msg[sizeof e->message];
    memcpy(msg, e->message, sizeof msg);
    msg[sizeof msg - 1] = '\0';
    size_t cap = sizeof e->message - 1;
    size_t pl = strlen(prefix);
    pl = pl < cap ? pl : cap;
    size_t ml = strlen(msg);
    ml = ml < cap - pl ? ml : cap - pl;
    memcpy(e->message, prefix, pl);
    memcpy(e->message + pl, msg, ml);
    e->message[pl + ml] = '\0';
}

/* Completes the caller's future with K's failure; with more than one
 * model tried the message lists them all before K's own message. */
static void fail(struct llmio__route *rt, const struct llmio_future *k)
{
    struct llmio_future *pf = rt->f;
    llmio_error e = k->err;
    e.attempts = rt->attempts;
    if (rt->ntried > 1) {
        char head[sizeof e.message];
        llmio__buf_appends(&rt->tried, "; last error: ");
        snprintf(head, sizeof head, "all %d models failed: %s", rt->ntried,
                 llmio__buf_cstr(&rt->tried));
        prefix_message(&e, head);
    }
    timer_disarm(pf->client, rt);
    llmio__future_complete(pf, k->status, &e);
}

/* The first fallback after the current model that ST moves to, or 0. */
static size_t next_step(const struct llmio__route *rt, llmio_status st)
{
    unsigned cls = fallback_class(st);
    for (size_t i = rt->cur + 1; cls != 0 && i < rt->nsteps; i++) {
        if ((rt->steps[i].on & cls) != 0) {
            return i;
        }
    }
    return 0;
}

static void kid_done(llmio_future *k, void *user)
{
    struct llmio__route *rt = user;
    struct llmio_future *pf = rt->f;
    rt->attempts += k->err.attempts;
    if (pf->state != LLMIO__F_RUNNING) {
        drop(rt, k);
        return;
    }
    struct llmio_client *c = pf->client;
    if (k->status == LLMIO_OK) {
        if (rt->winner == NULL) {
            win(rt, k);
        }
        k->resp.hedges = rt->hedges;
        pf->err.attempts = rt->attempts;
        timer_disarm(c, rt);
        drop(rt, k);
        llmio__future_complete(pf, LLMIO_OK, NULL);
        return;
    }
    struct llmio_future *other = rt->kids[1 - k->route_slot];
    bool other_runs = other != NULL && other->state == LLMIO__F_RUNNING;
    if (rt->winner != k && other_runs) {
        drop(rt, k); /* its sibling carries on alone */
        return;
    }
    if (rt->winner == k) {
        rt->winner = NULL; /* its response is not the caller's */
    }
    note_tried(rt, k);
    size_t next = next_step(rt, k->status);
    int64_t left =
        pf->t0_ms + pf->timeouts_ms[LLMIO_TIMEOUT_TOTAL] - llmio__mono_ms();
    if (next > 0 && !pf->delivered && !c->freeing && left > 0) {
        timer_disarm(c, rt);
        rt->cur = next;
        llmio_error e;
        memset(&e, 0, sizeof e);
        if (spawn(rt, 0, &e) == LLMIO_OK) {
            drop(rt, k);
            return;
        }
        e.retry_after_ms = -1;
        e.attempts = rt->attempts;
        timer_disarm(c, rt);
        drop(rt, k);
        llmio__future_complete(pf, e.code, &e);
        return;
    }
    fail(rt, k);
    drop(rt, k);
}

/* ---- the caller's future ----------------------------------------------- */

void llmio__route_cancel(struct llmio_future *f)
{
    struct llmio__route *rt = f->route;
    struct llmio_client *c = f->client;
    timer_disarm(c, rt);
    for (int i = 0; i < 2; i++) {
        struct llmio_future *k = rt->kids[i];
        if (k != NULL && k->state == LLMIO__F_RUNNING) {
            llmio__future_cancel_internal(k);
        }
    }
    f->err.attempts = rt->attempts;
    llmio__future_complete(f, LLMIO_E_CANCELLED, NULL);
    llmio__loop_kick(c);
}

const llmio_response *llmio__route_response(const struct llmio_future *f)
{
    const struct llmio__route *rt = f->route;
    return rt->winner != NULL ? &rt->winner->resp : &f->resp;
}

struct llmio_future *llmio__route_attempt(struct llmio_future *f,
                                          llmio_attempt_info *info)
{
    info->model = f->model;
    if (!f->internal) {
        return f;
    }
    info->fallback = f->route_step;
    info->hedge = f->route_slot == 1;
    return f->parent;
}

static void route_release(struct llmio__route *rt, const llmio_allocator *a)
{
    for (size_t i = 0; i < rt->nsteps; i++) {
        llmio__free(a, rt->steps[i].model);
        llmio__http_req_cleanup(&rt->steps[i].http);
    }
    for (int i = 0; i < 2; i++) {
        llmio__arena_cleanup(&rt->held[i].arena);
    }
    llmio__buf_cleanup(&rt->tried);
    llmio__free(a, rt);
}

void llmio__route_free(struct llmio_future *f)
{
    struct llmio__route *rt = f->route;
    f->route = NULL;
    if (f->state == LLMIO__F_RUNNING) {
        timer_disarm(f->client, rt); /* a submit that failed */
    }
    for (int i = 0; i < 2; i++) {
        struct llmio_future *k = rt->kids[i];
        if (k == NULL) {
            continue;
        }
        /* A child not yet DONE must not call back into this route. */
        k->done = NULL;
        k->user = NULL;
        k->parent = NULL;
        rt->kids[i] = NULL;
        if (k != rt->winner) {
            llmio__future_unref(k);
        }
    }
    if (rt->winner != NULL) {
        llmio__future_unref(rt->winner);
    }
    route_release(rt, &f->alloc);
}

/* ---- submit -------------------------------------------------------------- */

bool llmio__route_wanted(const struct llmio_client *c,
                         const struct llmio_request *r)
{
    llmio_hedge_mode m = r->has_hedge ? r->hedge_mode : c->hedge_mode;
    return r->nfallbacks > 0 || m != LLMIO_HEDGE_OFF;
}

static llmio_status routes_ready(struct llmio_client *c)
{
    if (c->routes == NULL) {
        c->routes = llmio__calloc(&c->alloc, 1, sizeof *c->routes);
        if (c->routes == NULL) {
            return LLMIO_E_NOMEM;
        }
        llmio__latency_init(&c->routes->lat);
    }
    return LLMIO_OK;
}

/* Names the fallback in a build error ("fallbacks[1].model: ..."). */
static void name_step(llmio_error *e, size_t i)
{
    if (i == 0) {
        return;
    }
    char prefix[64];
    snprintf(prefix, sizeof prefix,
             strncmp(e->message, "model:", 6) == 0 ? "fallbacks[%zu]."
                                                   : "fallbacks[%zu].model: ",
             i - 1);
    prefix_message(e, prefix);
}

llmio_status llmio__route_submit(struct llmio_client *c,
                                 const struct llmio_request *r,
                                 llmio_done_cb done, void *user,
                                 struct llmio_future **out, llmio_error *e)
{
    *out = NULL;
    llmio_status st = routes_ready(c);
    if (st != LLMIO_OK) {
        e->code = st;
        return st;
    }
    struct llmio_future *f = llmio__future_for_request(c, r, done, user);
    if (f == NULL) {
        e->code = LLMIO_E_NOMEM;
        return LLMIO_E_NOMEM;
    }
    f->t0_ms = llmio__mono_ms();
    struct llmio__route *rt = llmio__calloc(&f->alloc, 1, sizeof *rt);
    if (rt == NULL) {
        llmio__future_discard(f);
        e->code = LLMIO_E_NOMEM;
        return LLMIO_E_NOMEM;
    }
    f->route = rt;
    rt->f = f;
    rt->hedge_due = -1;
    rt->hedge_mode = r->has_hedge ? r->hedge_mode : c->hedge_mode;
    rt->hedge_delay_ms = r->has_hedge ? r->hedge_delay_ms : c->hedge_delay_ms;
    llmio__buf_init(&rt->tried, &f->alloc, 4096);
    for (int i = 0; i < 2; i++) {
        llmio__arena_init(&rt->held[i].arena, &f->alloc, 0);
    }
    rt->nsteps = 1 + r->nfallbacks;
    for (size_t i = 0; i < rt->nsteps && st == LLMIO_OK; i++) {
        struct step *s = &rt->steps[i];
        const char *model = i == 0 ? r->model : r->fallbacks[i - 1].model;
        s->on = i == 0 ? 0 : r->fallbacks[i - 1].on;
        llmio__http_req_init(&s->http, &f->alloc);
        s->model = llmio__strdup(&f->alloc, model);
        if (s->model == NULL) {
            st = LLMIO_E_NOMEM;
            e->code = st;
            break;
        }
        st = llmio__client_build(c, r, model, &f->arena, &s->p, &s->http,
                                 &s->rl, e);
        if (st != LLMIO_OK) {
            name_step(e, i);
        }
    }
    if (st == LLMIO_OK) {
        f->provider = rt->steps[0].p;
        f->resp.provider = f->provider->name;
        f->model = rt->steps[0].model;
        st = spawn(rt, 0, e);
    }
    if (st != LLMIO_OK) {
        e->code = st;
        llmio__future_discard(f); /* releases the route */
        return st;
    }
    *out = f;
    return LLMIO_OK;
}

/* ---- hedges due, client teardown ------------------------------------------
 */

void llmio__route_on_timer(struct llmio_client *c)
{
    struct llmio__routes *rs = c->routes;
    if (rs == NULL) {
        return;
    }
    int64_t now = llmio__mono_ms();
    struct llmio__route *rt;
    while ((rt = rs->head) != NULL && rt->hedge_due <= now) {
        timer_disarm(c, rt);
        struct llmio_future *first = rt->kids[0];
        /* Only while the model's first request is still out and nobody
         * answered: a hedge is a second chance, not a retry. */
        if (rt->f->state == LLMIO__F_RUNNING && rt->winner == NULL &&
            !rt->hedged && first != NULL && first->state == LLMIO__F_RUNNING &&
            rt->kids[1] == NULL && !c->freeing) {
            (void)spawn(rt, 1, NULL); /* on failure the first goes on */
        }
    }
}

void llmio__route_client_free(struct llmio_client *c)
{
    llmio__free(&c->alloc, c->routes);
    c->routes = NULL;
}
