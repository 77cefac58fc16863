/*
 * engine.c - drives libcurl's multi interface for one client: pooled easy
 * handles, socket and timer callbacks, the engine's own deadlines
 * (first byte, idle, total), and turning finished transfers into future
 * outcomes.
 *
 * Invariants:
 *  - Only this file includes curl/curl.h.
 *  - Easy handles are never added to or removed from a multi handle
 *    while libcurl is running (C->in_curl > 0): starts and stops requested
 *    from callbacks go to START_Q / STOP_Q and are applied by
 *    llmio__engine_harvest once libcurl has returned (STYLE 6.2 rule 6).
 *    A stop takes effect at once for delivery: the write callback of a
 *    stopped transfer refuses further bytes.
 *  - Every attached transfer is in the deadline heap exactly once. Keys
 *    may be early (stale) but never late: idle deadlines only move later
 *    and are fixed up lazily when the key comes due, so bytes arriving on
 *    a stream cost no heap operation (see docs/internals/engine.md).
 *  - Each attempt ends exactly once, in finish() (libcurl said done),
 *    expire() (our deadline) or stop_now() (cancel, client free); then
 *    retry_or_end() either parks the transfer for a retry (PHASE_BACKOFF,
 *    in the heap, no slot) or the future completes. A future keeps one
 *    transfer from submit to completion, queued, attempting or waiting.
 *  - A slot (max_concurrency) is held exactly while an attempt is on the
 *    wire; detach() gives it back and pump() hands it to the FIFO.
 *  - Secrets: the request headers (with the API key) stay in the future's
 *    snapshot; error text is scrubbed of the key before it is stored.
 * Owns: the multi handles (shards) and their share, the pool of easy
 * handles and their buffers, the deadline heap.
 */
#include "client.h"

#include "alloc.h"
#include "http.h"
#include "json.h"
#include "route.h"
#include "sse.h"

#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Idle easy handles kept for reuse; more are cleaned up on release. */
#define POOL_MAX 1024
/* Transfers per multi handle before another shard is used, and the most
 * shards a client creates (past that, shards just get fuller). */
#define SHARD_TARGET 64
#define SHARD_MAX 64
/* A body buffer above this is released rather than kept in the pool. */
#define KEEP_BUF_MAX ((size_t)256 * 1024)
/* Bytes of a non-2xx body kept for the provider's parse_error. */
#define ERROR_BODY_MAX ((size_t)64 * 1024)

enum phase {
    PHASE_CONNECT = 0, /* until the request is about to be sent */
    PHASE_WAIT = 1,    /* request sent, no response byte yet */
    PHASE_RECV = 2,    /* response bytes flowing */
    PHASE_QUEUED = 3,  /* waiting in the FIFO for a concurrency slot */
    PHASE_BACKOFF = 4, /* detached, waiting until RETRY_DUE to retry */
    PHASE_RATE = 5     /* waiting for the rate limiter until RETRY_DUE */
};

struct llmio__xfer {
    CURL *easy;
    struct llmio_client *c;
    struct llmio_future *f; /* NULL while pooled */
    struct llmio__xfer *pool_next;
    struct llmio__xfer *start_next, *stop_next;
    bool attached; /* in its shard's multi handle */
    struct llmio__shard *shard;
    bool in_stop_q;

    size_t heap_idx; /* position in the deadline heap; SIZE_MAX: none */
    int64_t heap_key;
    int64_t start_ms, sent_ms, last_ms;
    enum phase phase;
    int64_t retry_due; /* PHASE_BACKOFF, PHASE_RATE: when the next attempt
                          starts (or asks the rate limiter again) */
    bool has_slot;     /* counted in the engine's NSLOTS */
    struct llmio__xfer *q_prev, *q_next; /* PHASE_QUEUED: the FIFO */

    bool classified; /* status known, 2xx/stream decided */
    bool ok2xx;
    bool streaming;
    bool stream_init;

    struct llmio__http_hdrs hdrs;
    struct llmio__buf body; /* non-stream body or error body */
    struct llmio__stream_ctx sctx;
    struct llmio__sse_parser sse;
    bool sse_init;
    struct llmio__json_reader nd; /* NDJSON framing */
    struct llmio__arena nd_arena; /* scratch for one NDJSON value */
    bool nd_init;

    struct curl_slist *slist; /* nodes point into the future's headers */
    size_t slist_cap;
    CURLU *uh;                /* parsed URL, kept while requests reuse it */
    struct llmio__buf uh_url; /* the URL UH holds */
    bool uh_set;              /* CURLOPT_CURLU points at UH */
    unsigned tls_gen;         /* the client's tls.gen when EASY was made */
    char errbuf[CURL_ERROR_SIZE];
};

/*
 * One libcurl multi handle and its connection cache. libcurl 7.88 finds a
 * reusable connection by walking every connection to the host in its
 * cache, so one multi handle with C connections costs O(C) per transfer
 * (about 48 us at C = 1024, 400 us at 10k). Transfers are therefore spread
 * over shards of at most SHARD_TARGET transfers each, which keeps every
 * walk short; see docs/internals/engine.md.
 */
struct llmio__shard {
    CURLM *multi;
    struct llmio_client *c;
    int64_t curl_due; /* absolute ms of this multi's timer; -1 none */
    size_t nactive;   /* transfers attached */
    int idx;          /* position in the engine's array */
    bool dirty;       /* libcurl ran: messages may wait */
};

struct llmio__engine {
    struct llmio__shard **shards;
    size_t nshards;
    CURLSH *share; /* DNS and TLS sessions shared by the shards */
    int *fd_shard; /* socket -> shard index, -1 when unknown */
    size_t nfd_shard;
    struct llmio__xfer *pool;
    size_t npool;
    struct llmio__xfer **heap;
    size_t nheap, cap_heap;
    struct llmio__xfer *start_head, *start_tail;
    struct llmio__xfer *stop_head;
    /* Concurrency: attempts holding a slot, and the FIFO of futures
     * waiting for one (each with its transfer in PHASE_QUEUED). */
    size_t nslots;
    struct llmio__xfer *q_head, *q_tail;
    size_t nqueued;
    bool no_env_proxy; /* no proxy variable was set at client creation */
};

/* ---- framing (SSE / NDJSON) -------------------------------------------- */

/*
 * The stream's framing: SSE events, or NDJSON values (Ollama) split by the
 * JSON reader, go to the provider one at a time. Events after the
 * provider's end marker are ignored (a server may send trailing comments
 * or keep-alives before closing).
 */
static llmio_status frame_drain_ndjson(struct llmio__xfer *t)
{
    struct llmio_future *f = t->f;
    const struct llmio__json *v;
    int r;
    while ((r = llmio__json_reader_next(&t->nd, &t->nd_arena, &v)) == 1) {
        size_t n;
        const char *raw = llmio__json_raw(v, &n);
        llmio_status st = LLMIO_OK;
        if (!t->sctx.done) {
            st = f->provider->parse_event(&t->sctx, NULL, 0, raw, n, &f->err);
        }
        llmio__arena_reset(&t->nd_arena);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    return r < 0 ? llmio__json_reader_status(&t->nd, NULL) : LLMIO_OK;
}

static llmio_status frame_feed(struct llmio__xfer *t, const char *p, size_t len)
{
    struct llmio_future *f = t->f;
    llmio_status st;
    if (f->provider->framing == LLMIO__FRAMING_NDJSON) {
        if (!t->nd_init) {
            struct llmio__json_limits lim = {0, 1 << 20};
            llmio__json_reader_init(&t->nd, &t->c->alloc, &lim);
            llmio__arena_init(&t->nd_arena, &t->c->alloc, 0);
            t->nd_init = true;
        }
        st = llmio__json_reader_feed(&t->nd, p, len);
        return st != LLMIO_OK ? st : frame_drain_ndjson(t);
    }
    if (!t->sse_init) {
        llmio__sse_init(&t->sse, &t->c->alloc, 0);
        t->sse_init = true;
    }
    st = llmio__sse_feed(&t->sse, p, len);
    if (st != LLMIO_OK) {
        return st;
    }
    struct llmio__sse_event ev;
    int r;
    while ((r = llmio__sse_next(&t->sse, &ev)) == 1) {
        if (t->sctx.done) {
            continue;
        }
        st = f->provider->parse_event(&t->sctx, ev.type, ev.type_len, ev.data,
                                      ev.data_len, &f->err);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    if (r < 0) {
        st = llmio__sse_status(&t->sse);
        if (st == LLMIO_E_TOO_BIG) {
            snprintf(f->err.message, sizeof f->err.message,
                     "stream event exceeded the size limit");
        }
        return st;
    }
    return LLMIO_OK;
}

/* End of the body. SSE: an unterminated event is dropped, as the SSE
 * specification says. NDJSON: a last line without its newline still
 * counts; a cut-off value is LLMIO_E_PROTOCOL. */
static llmio_status frame_end(struct llmio__xfer *t)
{
    if (t->nd_init) {
        llmio__json_reader_finish(&t->nd);
        return frame_drain_ndjson(t);
    }
    return t->sse_init ? llmio__sse_status(&t->sse) : LLMIO_OK;
}

static void frame_reset(struct llmio__xfer *t)
{
    if (t->sse_init) {
        llmio__sse_cleanup(&t->sse);
        t->sse_init = false;
    }
    if (t->nd_init) {
        llmio__json_reader_cleanup(&t->nd);
        llmio__arena_cleanup(&t->nd_arena);
        t->nd_init = false;
    }
}

/* ---- deadline heap ------------------------------------------------------ */

static void heap_swap(struct llmio__engine *e, size_t a, size_t b)
{
    struct llmio__xfer *t = e->heap[a];
    e->heap[a] = e->heap[b];
    e->heap[b] = t;
    e->heap[a]->heap_idx = a;
    e->heap[b]->heap_idx = b;
}

static void heap_up(struct llmio__engine *e, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (e->heap[p]->heap_key <= e->heap[i]->heap_key) {
            break;
        }
        heap_swap(e, i, p);
        i = p;
    }
}

static void heap_down(struct llmio__engine *e, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < e->nheap && e->heap[l]->heap_key < e->heap[m]->heap_key) {
            m = l;
        }
        if (r < e->nheap && e->heap[r]->heap_key < e->heap[m]->heap_key) {
            m = r;
        }
        if (m == i) {
            return;
        }
        heap_swap(e, i, m);
        i = m;
    }
}

static llmio_status heap_push(struct llmio_client *c, struct llmio__xfer *t,
                              int64_t key)
{
    struct llmio__engine *e = c->engine;
    if (e->nheap == e->cap_heap) {
        size_t cap = e->cap_heap ? e->cap_heap * 2 : 64;
        size_t bytes;
        if (llmio__mul_overflows(cap, sizeof *e->heap, &bytes)) {
            return LLMIO_E_NOMEM;
        }
        struct llmio__xfer **h = llmio__realloc(&c->alloc, e->heap, bytes);
        if (h == NULL) {
            return LLMIO_E_NOMEM;
        }
        e->heap = h;
        e->cap_heap = cap;
    }
    t->heap_key = key;
    t->heap_idx = e->nheap;
    e->heap[e->nheap++] = t;
    heap_up(e, t->heap_idx);
    return LLMIO_OK;
}

static void heap_remove(struct llmio__engine *e, struct llmio__xfer *t)
{
    size_t i = t->heap_idx;
    if (i == SIZE_MAX) {
        return;
    }
    t->heap_idx = SIZE_MAX;
    e->nheap--;
    if (i == e->nheap) {
        return;
    }
    e->heap[i] = e->heap[e->nheap];
    e->heap[i]->heap_idx = i;
    heap_up(e, i);
    heap_down(e, e->heap[i]->heap_idx);
}

/* Moves T's key earlier when its real deadline moved earlier; later
 * deadlines are left for the lazy fix-up in check_deadlines. */
static void heap_lower(struct llmio__engine *e, struct llmio__xfer *t,
                       int64_t key)
{
    if (t->heap_idx != SIZE_MAX && key < t->heap_key) {
        t->heap_key = key;
        heap_up(e, t->heap_idx);
    }
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* T's real deadline and which timeout it is. */
static int64_t deadline_of(const struct llmio__xfer *t, llmio_timeout_kind *k)
{
    const int64_t *to = t->f->timeouts_ms;
    int64_t total = t->f->t0_ms + to[LLMIO_TIMEOUT_TOTAL];
    int64_t d = total;
    *k = LLMIO_TIMEOUT_TOTAL;
    if (t->phase == PHASE_BACKOFF || t->phase == PHASE_RATE) {
        /* The retry policy refuses waits that end past the total
         * deadline, so RETRY_DUE comes first; the key is the wake-up. A
         * rate wait past it is refused by rate_gate. */
        d = min64(d, t->retry_due);
    } else if (t->phase == PHASE_WAIT) {
        int64_t fb = t->sent_ms + to[LLMIO_TIMEOUT_FIRST_BYTE];
        if (fb < d) {
            d = fb;
            *k = LLMIO_TIMEOUT_FIRST_BYTE;
        }
    } else if (t->phase == PHASE_RECV) {
        int64_t idle = t->last_ms + to[LLMIO_TIMEOUT_IDLE];
        if (idle < d) {
            d = idle;
            *k = LLMIO_TIMEOUT_IDLE;
        }
    }
    return d;
}

/* ---- libcurl callbacks --------------------------------------------------- */

/* Queues T to be stopped with ST once libcurl returns (callback context). */
static void stop_later(struct llmio_client *c, struct llmio__xfer *t,
                       llmio_status st)
{
    if (t == NULL || t->f == NULL) {
        return;
    }
    /* A cancel wins over a failure found earlier in this callback round,
     * which could otherwise be retried. */
    if (t->f->stop_status == LLMIO_OK || st == LLMIO_E_CANCELLED) {
        t->f->stop_status = st;
    }
    if (!t->in_stop_q) {
        t->in_stop_q = true;
        t->stop_next = c->engine->stop_head;
        c->engine->stop_head = t;
    }
}

/*
 * libcurl's socket callback. It never returns -1: libcurl 7.88 marks the
 * whole multi handle dead on that, hanging every transfer of the shard.
 * A socket that cannot be watched fails its own transfer instead, and a
 * descriptor whose shard cannot be recorded is dispatched to every shard.
 */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp,
                     void *socketp)
{
    struct llmio__shard *sh = userp;
    struct llmio_client *c = sh->c;
    struct llmio__engine *e = c->engine;
    int ev = LLMIO_POLL_NONE;
    switch (what) {
    case CURL_POLL_IN:
        ev = LLMIO_POLL_IN;
        break;
    case CURL_POLL_OUT:
        ev = LLMIO_POLL_OUT;
        break;
    case CURL_POLL_INOUT:
        ev = LLMIO_POLL_INOUT;
        break;
    default:
        break;
    }
    if (s < 0) {
        return 0;
    }
    if (ev != LLMIO_POLL_NONE && (size_t)s >= e->nfd_shard) {
        size_t n = e->nfd_shard ? e->nfd_shard : 256;
        while (n <= (size_t)s) {
            n *= 2;
        }
        int *m = llmio__realloc(&c->alloc, e->fd_shard, n * sizeof *m);
        if (m != NULL) {
            for (size_t i = e->nfd_shard; i < n; i++) {
                m[i] = -1;
            }
            e->fd_shard = m;
            e->nfd_shard = n;
        }
    }
    if ((size_t)s < e->nfd_shard) {
        e->fd_shard[s] = ev == LLMIO_POLL_NONE ? -1 : sh->idx;
    }
    if (llmio__loop_watch(c, (int)s, ev, socketp != NULL) != 0) {
        if (easy != NULL) {
            struct llmio__xfer *t = NULL;
            curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
            stop_later(c, t, LLMIO_E_NOMEM);
        }
    } else if (ev != LLMIO_POLL_NONE && socketp == NULL) {
        /* Remembered by libcurl until it removes the socket. */
        static char watched;
        curl_multi_assign(sh->multi, s, &watched);
    }
    return 0;
}

static int on_curl_timer(CURLM *m, long timeout_ms, void *userp)
{
    (void)m;
    struct llmio__shard *sh = userp;
    struct llmio_client *c = sh->c;
    sh->curl_due = timeout_ms < 0 ? -1 : llmio__mono_ms() + (int64_t)timeout_ms;
    if (c->driving == 0) {
        llmio__loop_update_timer(c); /* e.g. a submit between dispatches */
    }
    return 0;
}

/* Records a failure decided inside a callback: the future completes with
 * ST when libcurl reports the transfer done, and no byte is delivered in
 * between. */
static void fail_in_cb(struct llmio__xfer *t, llmio_status st, const char *msg)
{
    struct llmio_future *f = t->f;
    if (f->stop_status == LLMIO_OK) {
        f->stop_status = st;
        if (msg != NULL && f->err.message[0] == '\0') {
            snprintf(f->err.message, sizeof f->err.message, "%s", msg);
        }
    }
}

static void classify(struct llmio__xfer *t)
{
    struct llmio_future *f = t->f;
    t->classified = true;
    int status = t->hdrs.status;
    if (status == 0) {
        long code = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
        status = (int)code;
    }
    t->ok2xx = status >= 200 && status <= 299;
    /* A server that answers a stream request with a plain JSON body (some
     * compatible servers ignore "stream") is parsed as a body; its deltas
     * still reach the stream callback. */
    t->streaming = f->stream && t->ok2xx &&
                   !(f->provider->framing == LLMIO__FRAMING_SSE &&
                     strcmp(t->hdrs.content_type, "application/json") == 0);
    llmio__buf_reset(&t->body);
    t->body.max = t->ok2xx ? f->client->max_response : ERROR_BODY_MAX;
    if (t->ok2xx && f->parent != NULL) {
        llmio__route_answered(f); /* hedging: the first to answer wins */
    }
    if (f->rl.on) { /* the headers are complete: learn them now */
        llmio__limiter_learn(&t->c->limiter, &f->rl, &t->hdrs,
                             llmio__mono_ms());
    }
}

static llmio_status stream_ctx_init(struct llmio__xfer *t)
{
    struct llmio_future *f = t->f;
    if (t->stream_init) {
        return LLMIO_OK;
    }
    memset(&t->sctx, 0, sizeof t->sctx);
    t->sctx.arena = &f->arena;
    t->sctx.sink = llmio__future_sink;
    t->sctx.sink_ctx = f;
    t->sctx.resp = &f->resp;
    if (f->provider->state_size > 0) {
        t->sctx.state = llmio__arena_calloc(&f->arena, f->provider->state_size);
        if (t->sctx.state == NULL) {
            return LLMIO_E_NOMEM;
        }
    }
    t->stream_init = true;
    return LLMIO_OK;
}

static void mark_recv(struct llmio__xfer *t)
{
    int64_t now = t->c->now_ms;
    t->last_ms = now;
    if (t->phase != PHASE_RECV) {
        t->phase = PHASE_RECV;
        llmio_timeout_kind k;
        heap_lower(t->c->engine, t, deadline_of(t, &k));
    }
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct llmio__xfer *t = ud;
    size_t len = size * n;
    if (t->f->stop_status != LLMIO_OK) {
        return 0;
    }
    mark_recv(t);
    llmio__http_header(&t->hdrs, p, len, t->c->wall_ms);
    return len;
}

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    struct llmio__xfer *t = ud;
    struct llmio_future *f = t->f;
    size_t len = size * n;
    if (f->stop_status != LLMIO_OK) {
        return 0;
    }
    mark_recv(t);
    if (!t->classified) {
        classify(t);
    }
    if (!t->ok2xx) {
        /* Only the head of an error body matters; the rest is dropped. */
        size_t room = t->body.max - t->body.len;
        llmio__buf_append(&t->body, p, len < room ? len : room);
        return len;
    }
    llmio_status st;
    if (!t->streaming) {
        st = llmio__buf_append(&t->body, p, len);
        if (st != LLMIO_OK) {
            fail_in_cb(t, st,
                       st == LLMIO_E_TOO_BIG
                           ? "response body exceeded the configured maximum"
                           : NULL);
            return 0;
        }
        return len;
    }
    st = stream_ctx_init(t);
    if (st == LLMIO_OK) {
        st = frame_feed(t, p, len);
    }
    if (st != LLMIO_OK) {
        fail_in_cb(t, st, NULL);
        return 0;
    }
    return len;
}

#if LIBCURL_VERSION_NUM >= 0x075000
/* Called once the connection is ready and the request is about to go out:
 * the start of the time-to-first-byte clock. */
static int on_prereq(void *ud, char *conn_primary_ip, char *conn_local_ip,
                     int conn_primary_port, int conn_local_port)
{
    (void)conn_primary_ip;
    (void)conn_local_ip;
    (void)conn_primary_port;
    (void)conn_local_port;
    struct llmio__xfer *t = ud;
    if (t->phase == PHASE_CONNECT) {
        t->phase = PHASE_WAIT;
        t->sent_ms = llmio__mono_ms();
        llmio_timeout_kind k;
        heap_lower(t->c->engine, t, deadline_of(t, &k));
    }
    return CURL_PREREQFUNC_OK;
}
#endif

/* ---- the pool ------------------------------------------------------------ */

static void xfer_destroy(struct llmio_client *c, struct llmio__xfer *t)
{
    if (t->easy != NULL) {
        curl_easy_cleanup(t->easy);
    }
    frame_reset(t);
    llmio__buf_cleanup(&t->body);
#if LIBCURL_VERSION_NUM >= 0x073f00
    curl_url_cleanup(t->uh);
#endif
    llmio__buf_cleanup(&t->uh_url);
    llmio__free(&c->alloc, t->slist);
    llmio__free(&c->alloc, t);
}

static struct llmio__xfer *xfer_new(struct llmio_client *c)
{
    const char *ca_file, *ca_path;
    if (llmio__tls_resolve(c, &ca_file, &ca_path) != LLMIO_OK) {
        return NULL;
    }
    struct llmio__xfer *t = llmio__calloc(&c->alloc, 1, sizeof *t);
    if (t == NULL) {
        return NULL;
    }
    t->c = c;
    t->heap_idx = SIZE_MAX;
    llmio__buf_init(&t->body, &c->alloc, 0);
    llmio__buf_init(&t->uh_url, &c->alloc, 0);
    t->easy = curl_easy_init();
    if (t->easy == NULL) {
        llmio__free(&c->alloc, t);
        return NULL;
    }
    CURL *h = t->easy;
    /* Set once per handle: every request of the pool shares them. libcurl
     * keeps its defaults for proxies (environment). */
    curl_easy_setopt(h, CURLOPT_PRIVATE, t);
    curl_easy_setopt(h, CURLOPT_SHARE, c->engine->share);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS,
                     (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
#if LIBCURL_VERSION_NUM >= 0x075000
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, t);
#endif
    /* Trust (tls.c): only which CAs verify the peer; verification of the
     * peer and host name stays libcurl's default, on. */
    t->tls_gen = c->tls.gen;
    if (ca_file != NULL) {
        curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
    }
    if (ca_path != NULL) {
        curl_easy_setopt(h, CURLOPT_CAPATH, ca_path);
    }
    if (c->engine->no_env_proxy) {
        /* libcurl 7.88 reads five proxy variables on every transfer
         * (~1.5k instructions with a typical environment); with none set
         * at client creation, "no proxy" is said once instead. */
        curl_easy_setopt(h, CURLOPT_PROXY, "");
        curl_easy_setopt(h, CURLOPT_NOPROXY, "");
    }
    return t;
}

static struct llmio__xfer *xfer_acquire(struct llmio_client *c)
{
    struct llmio__engine *e = c->engine;
    struct llmio__xfer *t;
    while ((t = e->pool) != NULL) {
        e->pool = t->pool_next;
        e->npool--;
        t->pool_next = NULL;
        if (t->tls_gen == c->tls.gen) {
            return t;
        }
        xfer_destroy(c, t); /* made before llmio_client_set_ca */
    }
    return xfer_new(c);
}

/* Returns T to the pool; it must be detached. */
static void xfer_release(struct llmio_client *c, struct llmio__xfer *t)
{
    struct llmio__engine *e = c->engine;
    struct llmio_future *f = t->f;
    if (t->stream_init && f->provider->stream_cleanup != NULL) {
        f->provider->stream_cleanup(&t->sctx);
    }
    t->stream_init = false;
    if (f != NULL) {
        f->xfer = NULL;
    }
    t->f = NULL;
    if (t->body.cap > KEEP_BUF_MAX) {
        llmio__buf_cleanup(&t->body);
    }
    frame_reset(t);
    if (e->npool >= POOL_MAX || c->freeing) {
        xfer_destroy(c, t);
        return;
    }
    t->pool_next = e->pool;
    e->pool = t;
    e->npool++;
}

/* libcurl adds "Expect: 100-continue" (a round trip before the body) to
 * bodies above a size of its own: 1 MiB since 7.69, 1 KiB before. */
#if LIBCURL_VERSION_NUM >= 0x074500
#define EXPECT_MIN ((size_t)1024 * 1024)
#else
#define EXPECT_MIN ((size_t)1024)
#endif

/* Builds the header list for F without copying: slist nodes point at the
 * NUL-separated lines of the snapshot. libcurl 7.88 scans the whole list
 * ~8 times per request and prints every entry byte by byte, so entries
 * are added only where they change what is sent. */
static llmio_status build_slist(struct llmio_client *c, struct llmio__xfer *t,
                                struct llmio_future *f)
{
    size_t n = f->http.nheaders + 2;
    if (n > t->slist_cap) {
        size_t bytes;
        if (llmio__mul_overflows(n, sizeof *t->slist, &bytes)) {
            return LLMIO_E_NOMEM;
        }
        struct curl_slist *s = llmio__realloc(&c->alloc, t->slist, bytes);
        if (s == NULL) {
            return LLMIO_E_NOMEM;
        }
        t->slist = s;
        t->slist_cap = n;
    }
    const char *p = llmio__buf_cstr(&f->http.headers);
    const char *end = p + f->http.headers.len;
    size_t i = 0;
    bool accept = false;
    while (i < f->http.nheaders && p < end) {
        accept = accept || strncasecmp(p, "Accept:", 7) == 0;
        t->slist[i++].data = (char *)p;
        p += strlen(p) + 1;
    }
    /* An empty header stops libcurl's own: its Accept (any type) says
     * nothing that no Accept at all does not (RFC 9110 12.5.1), and an
     * empty Expect stops the 100-continue round trip. */
    static char no_accept[] = "Accept:";
    static char no_expect[] = "Expect:";
    if (!accept) {
        t->slist[i++].data = no_accept;
    }
    if (f->http.body.len >= EXPECT_MIN) {
        t->slist[i++].data = no_expect;
    }
    for (size_t k = 0; k < i; k++) {
        t->slist[k].next = k + 1 < i ? &t->slist[k + 1] : NULL;
    }
    return LLMIO_OK;
}

/*
 * Points T's handle at F's URL. Given a URL string, libcurl 7.88 parses it
 * on every transfer and re-assembles it through its printf (~7k
 * instructions, 9 % of a small request); a parsed CURLU handle kept with
 * the pooled easy handle, re-parsed only when the URL changes, skips that
 * (libcurl reads the handle and never changes it). A URL the parser
 * rejects goes to libcurl as a string, so the transfer fails as before.
 */
static void set_url(struct llmio__xfer *t, const struct llmio_future *f)
{
    const char *url = llmio__buf_cstr(&f->http.url);
#if LIBCURL_VERSION_NUM >= 0x073f00
    size_t len = f->http.url.len;
    if (t->uh_set && t->uh_url.len == len &&
        memcmp(t->uh_url.data, url, len) == 0) {
        return;
    }
    t->uh_set = false;
    if (t->uh == NULL) {
        t->uh = curl_url();
    }
    llmio__buf_reset(&t->uh_url);
    /* The flags libcurl itself parses a CURLOPT_URL string with. */
    if (t->uh != NULL &&
        curl_url_set(t->uh, CURLUPART_URL, url,
                     CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) ==
            CURLUE_OK &&
        llmio__buf_append(&t->uh_url, url, len) == LLMIO_OK) {
        curl_easy_setopt(t->easy, CURLOPT_CURLU, t->uh);
        t->uh_set = true;
        return;
    }
    curl_easy_setopt(t->easy, CURLOPT_CURLU, NULL);
#endif
    curl_easy_setopt(t->easy, CURLOPT_URL, url);
}

/* ---- engine lifecycle -----------------------------------------------------
 */

/* Creates shard number E->nshards. */
static struct llmio__shard *shard_new(struct llmio_client *c)
{
    struct llmio__engine *e = c->engine;
    size_t bytes;
    if (e->nshards >= SHARD_MAX ||
        llmio__mul_overflows(e->nshards + 1, sizeof *e->shards, &bytes)) {
        return NULL;
    }
    struct llmio__shard **arr = llmio__realloc(&c->alloc, e->shards, bytes);
    if (arr == NULL) {
        return NULL;
    }
    e->shards = arr;
    struct llmio__shard *sh = llmio__calloc(&c->alloc, 1, sizeof *sh);
    if (sh == NULL) {
        return NULL;
    }
    sh->c = c;
    sh->curl_due = -1;
    sh->idx = (int)e->nshards;
    sh->multi = curl_multi_init();
    if (sh->multi == NULL) {
        llmio__free(&c->alloc, sh);
        return NULL;
    }
    CURLM *m = sh->multi;
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, sh);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(m, CURLMOPT_TIMERDATA, sh);
    curl_multi_setopt(m, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    e->shards[e->nshards++] = sh;
    return sh;
}

/* The shard for a new transfer: the first with room, so connections are
 * reused from the lowest shards first; a new one while under SHARD_MAX;
 * else the least loaded. NULL only when none exists and none can be made. */
static struct llmio__shard *shard_pick(struct llmio_client *c)
{
    struct llmio__engine *e = c->engine;
    struct llmio__shard *least = NULL;
    for (size_t i = 0; i < e->nshards; i++) {
        struct llmio__shard *sh = e->shards[i];
        if (sh->nactive < SHARD_TARGET) {
            return sh;
        }
        if (least == NULL || sh->nactive < least->nactive) {
            least = sh;
        }
    }
    struct llmio__shard *sh = shard_new(c);
    return sh != NULL ? sh : least;
}

llmio_status llmio__engine_new(struct llmio_client *c)
{
    struct llmio__engine *e = llmio__calloc(&c->alloc, 1, sizeof *e);
    if (e == NULL) {
        return LLMIO_E_NOMEM;
    }
    c->engine = e;
    /* The variables libcurl would consult for an http or https URL (it
     * ignores HTTP_PROXY; checking it too only keeps libcurl's default). */
    static const char *const proxy_vars[] = {"http_proxy",  "HTTP_PROXY",
                                             "https_proxy", "HTTPS_PROXY",
                                             "all_proxy",   "ALL_PROXY"};
    e->no_env_proxy = true;
    for (size_t i = 0; i < sizeof proxy_vars / sizeof proxy_vars[0]; i++) {
        if (getenv(proxy_vars[i]) != NULL) {
            e->no_env_proxy = false;
        }
    }
    /* One client is driven by one thread at a time, so the share needs
     * no lock callbacks. Connections are not shared: that would undo the
     * sharding. */
    e->share = curl_share_init();
    if (e->share != NULL) {
        curl_share_setopt(e->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(e->share, CURLSHOPT_SHARE,
                          CURL_LOCK_DATA_SSL_SESSION);
    }
    if (e->share == NULL || shard_new(c) == NULL) {
        llmio__engine_free(c);
        return LLMIO_E_NOMEM;
    }
    return LLMIO_OK;
}

void llmio__engine_free(struct llmio_client *c)
{
    struct llmio__engine *e = c->engine;
    if (e == NULL) {
        return;
    }
    struct llmio__xfer *t;
    while ((t = e->pool) != NULL) {
        e->pool = t->pool_next;
        xfer_destroy(c, t);
    }
    for (size_t i = 0; i < e->nshards; i++) {
        curl_multi_cleanup(e->shards[i]->multi);
        llmio__free(&c->alloc, e->shards[i]);
    }
    if (e->share != NULL) {
        curl_share_cleanup(e->share);
    }
    llmio__free(&c->alloc, e->shards);
    llmio__free(&c->alloc, e->fd_shard);
    llmio__free(&c->alloc, e->heap);
    llmio__free(&c->alloc, e);
    c->engine = NULL;
}

static llmio_status attach(struct llmio_client *c, struct llmio__xfer *t)
{
    struct llmio__shard *sh = shard_pick(c);
    if (sh == NULL) {
        return LLMIO_E_NOMEM;
    }
    CURLMcode mc = curl_multi_add_handle(sh->multi, t->easy);
    if (mc != CURLM_OK) {
        return LLMIO_E_NOMEM;
    }
    t->attached = true;
    t->shard = sh;
    sh->nactive++;
    return LLMIO_OK;
}

static void queue_unlink(struct llmio__engine *e, struct llmio__xfer *t)
{
    if (t->q_prev != NULL) {
        t->q_prev->q_next = t->q_next;
    } else {
        e->q_head = t->q_next;
    }
    if (t->q_next != NULL) {
        t->q_next->q_prev = t->q_prev;
    } else {
        e->q_tail = t->q_prev;
    }
    t->q_prev = t->q_next = NULL;
    e->nqueued--;
}

/* Puts T in the FIFO (at the head for a retry, which has had its turn
 * already), watched by the heap for its total deadline. */
static llmio_status queue_push(struct llmio_client *c, struct llmio__xfer *t,
                               bool front)
{
    struct llmio__engine *e = c->engine;
    t->phase = PHASE_QUEUED;
    llmio_timeout_kind k;
    llmio_status st = heap_push(c, t, deadline_of(t, &k));
    if (st != LLMIO_OK) {
        return st;
    }
    if (front) {
        t->q_prev = NULL;
        t->q_next = e->q_head;
        if (e->q_head != NULL) {
            e->q_head->q_prev = t;
        } else {
            e->q_tail = t;
        }
        e->q_head = t;
    } else {
        t->q_next = NULL;
        t->q_prev = e->q_tail;
        if (e->q_tail != NULL) {
            e->q_tail->q_next = t;
        } else {
            e->q_head = t;
        }
        e->q_tail = t;
    }
    e->nqueued++;
    return LLMIO_OK;
}

static bool slot_free(struct llmio_client *c)
{
    return c->max_concurrency == 0 || c->engine->nslots < c->max_concurrency;
}

bool llmio__engine_queue_full(struct llmio_client *c)
{
    return !slot_free(c) && c->max_queued > 0 &&
           c->engine->nqueued >= c->max_queued;
}

/* Takes T out of the multi handle, the heap, the FIFO and its slot:
 * whatever it was doing, it is doing nothing afterwards. */
static void detach(struct llmio_client *c, struct llmio__xfer *t)
{
    struct llmio__engine *e = c->engine;
    heap_remove(e, t);
    if (t->phase == PHASE_QUEUED && (t->q_prev != NULL || e->q_head == t)) {
        queue_unlink(e, t);
    }
    if (t->has_slot) {
        t->has_slot = false;
        e->nslots--;
    }
    if (t->attached) {
        curl_multi_remove_handle(t->shard->multi, t->easy);
        t->attached = false;
        t->shard->nactive--;
        t->shard = NULL;
    }
}

/* Starts one attempt of T's future: fresh per-attempt state, a slot, the
 * heap, and the multi handle (or the start queue inside libcurl). On
 * failure T holds nothing and the caller ends the future. */
static llmio_status attempt_begin(struct llmio_client *c, struct llmio__xfer *t)
{
    struct llmio__engine *e = c->engine;
    struct llmio_future *f = t->f;
    f->attempts++;
    t->errbuf[0] = '\0';
    t->classified = t->ok2xx = t->streaming = false;
    t->in_stop_q = false;
    llmio__http_hdrs_init(&t->hdrs);
    t->hdrs.rl_skip = !f->rl.on; /* 429s are parsed all the same */
    llmio__buf_reset(&t->body);
    int64_t now = llmio__mono_ms();
    t->start_ms = t->sent_ms = t->last_ms = now;
#if LIBCURL_VERSION_NUM >= 0x075000
    t->phase = PHASE_CONNECT;
#else
    t->phase = PHASE_WAIT; /* no prereq callback: count from the start */
#endif
    llmio_timeout_kind k;
    llmio_status st = heap_push(c, t, deadline_of(t, &k));
    if (st != LLMIO_OK) {
        return st;
    }
    t->has_slot = true;
    e->nslots++;
    if (c->in_curl > 0) {
        t->start_next = NULL;
        if (e->start_tail != NULL) {
            e->start_tail->start_next = t;
        } else {
            e->start_head = t;
        }
        e->start_tail = t;
        return LLMIO_OK;
    }
    st = attach(c, t);
    if (st != LLMIO_OK) {
        detach(c, t);
    }
    return st;
}

static llmio_status rate_gate(struct llmio_client *c, struct llmio__xfer *t,
                              bool may_end);

llmio_status llmio__engine_start(struct llmio_client *c, struct llmio_future *f)
{
    struct llmio__engine *e = c->engine;
    struct llmio__xfer *t = xfer_acquire(c);
    if (t == NULL) {
        return LLMIO_E_NOMEM;
    }
    t->f = f;
    f->t0_ms = llmio__mono_ms();
    llmio_status st = build_slist(c, t, f);
    if (st != LLMIO_OK) {
        goto fail;
    }
    /* Options that stay for every attempt: a retry re-sends the same
     * serialised bytes from the future's snapshot. */
    CURL *h = t->easy;
    set_url(t, f);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, llmio__buf_cstr(&f->http.body));
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)f->http.body.len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->slist);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)f->timeouts_ms[LLMIO_TIMEOUT_CONNECT]);
    /* https: wait for a connection being set up to learn (ALPN) whether it
     * multiplexes, rather than open one connection per request of a burst
     * (docs/internals/engine.md, "HTTP/2 over TLS"). http:// is HTTP/1.1
     * here, where waiting would only delay. */
    curl_easy_setopt(
        h, CURLOPT_PIPEWAIT,
        (long)(strncasecmp(llmio__buf_cstr(&f->http.url), "https:", 6) == 0));
    st = slot_free(c) && e->q_head == NULL ? rate_gate(c, t, false)
                                           : queue_push(c, t, false);
    if (st != LLMIO_OK) {
        f->attempts = 0;
        goto fail;
    }
    f->xfer = t;
    return LLMIO_OK;
fail:
    t->f = NULL;
    t->pool_next = e->pool;
    e->pool = t;
    e->npool++;
    return st;
}

/* ---- ending transfers -----------------------------------------------------
 */

static llmio_status map_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        return LLMIO_E_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return LLMIO_E_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
        return LLMIO_E_TLS;
    case CURLE_OUT_OF_MEMORY:
        return LLMIO_E_NOMEM;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_TOO_MANY_REDIRECTS:
        return LLMIO_E_PROTOCOL;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return LLMIO_E_INVALID;
    default:
        return LLMIO_E_NETWORK;
    }
}

/* Replaces every occurrence of SECRET (LEN bytes) in S with "***". */
static void scrub_one(char *s, const char *secret, size_t len)
{
    char *p;
    while ((p = memmem(s, strlen(s), secret, len)) != NULL) {
        size_t tail = strlen(p + len);
        memcpy(p, "***", 3);
        memmove(p + 3, p + len, tail + 1);
    }
}

/*
 * Removes the request's credentials from F's error text: a server (or a
 * proxy) may echo the key back in its error body, and the error must never
 * carry it. The credentials are the values of the auth headers in the
 * snapshot (Authorization's token after the scheme).
 */
static void scrub_secrets(struct llmio_future *f)
{
    const char *p = llmio__buf_cstr(&f->http.headers);
    const char *end = p + f->http.headers.len;
    for (size_t i = 0; i < f->http.nheaders && p < end; i++) {
        size_t l = strlen(p);
        const char *colon = memchr(p, ':', l);
        if (colon != NULL) {
            size_t nl = (size_t)(colon - p);
            bool auth =
                (nl == 13 && strncasecmp(p, "authorization", 13) == 0) ||
                (nl == 9 && strncasecmp(p, "x-api-key", 9) == 0) ||
                (nl == 7 && strncasecmp(p, "api-key", 7) == 0) ||
                (nl == 14 && strncasecmp(p, "x-goog-api-key", 14) == 0);
            if (auth) {
                const char *v = colon + 1;
                while (*v == ' ') {
                    v++;
                }
                const char *sp = strrchr(v, ' ');
                if (sp != NULL) {
                    v = sp + 1; /* "Bearer <token>" */
                }
                size_t vl = strlen(v);
                if (vl >= 4) {
                    scrub_one(f->err.message, v, vl);
                    scrub_one(f->err.provider_type, v, vl);
                    scrub_one(f->err.provider_code, v, vl);
                    scrub_one(f->err.request_id, v, vl);
                }
            }
        }
        p += l + 1;
    }
}

/* Fills the HTTP-derived error fields from T's headers. */
static void fill_http(struct llmio__xfer *t, int status)
{
    llmio_error *err = &t->f->err;
    err->http_status = status;
    err->retry_after_ms = llmio__http_retry_after(&t->hdrs);
    /* A plain bounded copy: snprintf("%s") costs ~500 instructions on
     * every request that reaches here. */
    size_t n = strnlen(t->hdrs.request_id, sizeof err->request_id - 1);
    memcpy(err->request_id, t->hdrs.request_id, n);
    err->request_id[n] = '\0';
}

/* Tells the attempt hook how T's attempt ended. */
static void report_attempt(struct llmio_client *c, struct llmio_future *f,
                           llmio_status st,
                           const struct llmio__retry_decision *d)
{
    if (c->attempt_cb == NULL || c->freeing) {
        return;
    }
    llmio_attempt_info info = {.attempt = f->attempts,
                               .status = st,
                               .http_status = f->err.http_status,
                               .delay_ms = d->retry ? d->delay_ms : -1,
                               .why = d->why};
    /* A routed request's child reports as the caller's future. */
    struct llmio_future *uf = llmio__route_attempt(f, &info);
    if (uf == NULL) {
        return;
    }
    c->in_callback++;
    c->attempt_cb(uf, &info, c->attempt_user);
    c->in_callback--;
}

static void stop_now(struct llmio_client *c, struct llmio__xfer *t,
                     llmio_status st, const char *msg);

/*
 * The opted-in restart of a stream the user has been reading (T is
 * parked for its retry): one RESTARTED delta saying how much of the
 * failed attempt they had received, so they can discard it. The
 * callback may cancel (the future is then complete) or return non-zero
 * (the future ends with LLMIO_E_ABORTED, as for any delta).
 */
static void announce_restart(struct llmio_client *c, struct llmio__xfer *t,
                             llmio_status st, int64_t delay_ms)
{
    struct llmio_future *f = t->f;
    /* What was shown is counted on the future the user reads: the
     * caller's, when F is a routed request's child (route.c). */
    struct llmio_future *uf = f->parent != NULL ? f->parent : f;
    llmio_restart info = uf->shown;
    info.attempt = f->attempts;
    info.status = st;
    info.delay_ms = delay_ms;
    llmio_delta d = {.kind = LLMIO_DELTA_RESTARTED, .restart = &info};
    llmio_status rc = llmio__future_sink(f, &d);
    /* The next attempt starts with nothing shown. */
    f->delivered = uf->delivered = false;
    memset(&uf->shown, 0, sizeof uf->shown);
    if (rc != LLMIO_OK && f->state == LLMIO__F_RUNNING) {
        stop_now(c, t, rc, NULL);
    }
}

/*
 * T's attempt ended with ST and T is detached. Asks the retry policy;
 * on a retry, clears the attempt's state (response, stream parser,
 * error) and parks T in the heap until the backoff is over, holding no
 * slot. Returns true when the future is taken care of (retry armed, or
 * cancelled from the hook, which released T), false when the caller
 * completes it with ST.
 */
static bool retry_or_end(struct llmio_client *c, struct llmio__xfer *t,
                         llmio_status st)
{
    struct llmio_future *f = t->f;
    int64_t now = llmio__mono_ms();
    struct llmio__retry_input in = {
        .status = st,
        .http_status = f->err.http_status,
        .attempt = f->attempts,
        .retry_after_ms = t->hdrs.retry_after_ms,
        .retry_after_ms_header = t->hdrs.retry_after_ms_ms,
        .should_retry = t->hdrs.should_retry,
        .delivered_data = f->delivered,
        .now_ms = now,
        .deadline_ms = f->t0_ms + f->timeouts_ms[LLMIO_TIMEOUT_TOTAL],
        .provider_code =
            f->err.provider_code[0] != '\0' ? f->err.provider_code : NULL,
    };
    struct llmio__retry_decision d = {false, false, -1, LLMIO__WHY_OK};
    if (st != LLMIO_OK && !c->freeing) {
        struct llmio__retry_policy p =
            llmio__retry_policy_apply(&c->retry, &f->retry);
        d = llmio__retry_decide(&p, &in, &c->rng);
    }
    if (f->err.retry_after_ms >= 0) {
        f->last_retry_after_ms = f->err.retry_after_ms;
    }
    report_attempt(c, f, st, &d);
    if (f->state != LLMIO__F_RUNNING) {
        return true; /* cancelled from the hook: stop_now released T */
    }
    f->err.attempts = f->attempts;
    if (!d.retry) {
        if (f->err.retry_after_ms < 0) {
            f->err.retry_after_ms = f->last_retry_after_ms;
        }
        return false;
    }
    t->phase = PHASE_BACKOFF;
    t->retry_due = now + d.delay_ms;
    llmio_timeout_kind k;
    if (heap_push(c, t, deadline_of(t, &k)) != LLMIO_OK) {
        return false; /* no room to wait: end with this attempt's error */
    }
    if (t->stream_init && f->provider->stream_cleanup != NULL) {
        f->provider->stream_cleanup(&t->sctx);
    }
    t->stream_init = false;
    frame_reset(t);
    /* The failed attempt's partial response lives on in the arena until
     * the future goes (bounded by max_attempts); the accumulator starts
     * over. */
    llmio__response_cleanup(&f->resp);
    llmio__response_init(&f->resp, &f->alloc, &f->arena, f->provider->name,
                         c->max_response);
    memset(&f->err, 0, sizeof f->err);
    f->err.retry_after_ms = -1;
    f->stop_status = LLMIO_OK;
    if (d.restart) {
        announce_restart(c, t, st, d.delay_ms);
    }
    return true;
}

/* F, waiting for the rate limiter, asks it again now. */
static void rate_wake(struct llmio_client *c, struct llmio_future *f,
                      int64_t now)
{
    if (f != NULL && f->xfer != NULL && f->xfer->phase == PHASE_RATE) {
        f->xfer->retry_due = now;
        heap_lower(c->engine, f->xfer, now);
    }
}

/* Takes F out of its rate-limit lane; the lane's next request asks the
 * limiter at once (it had no timer of its own). */
static void rate_leave(struct llmio_client *c, struct llmio_future *f)
{
    rate_wake(c, llmio__limiter_leave(&c->limiter, &f->rl), llmio__mono_ms());
}

/* Every lane head asks the limiter again now (tokens came back). */
static void rate_wake_heads(struct llmio_client *c)
{
    int64_t now = llmio__mono_ms();
    for (struct llmio__rl_ticket *h = c->limiter.heads; h != NULL;
         h = h->hnext) {
        rate_wake(c, h->owner, now);
    }
}

/* After a hold, a key's requests go spread over the first retry's
 * backoff ceiling, as the retry policy would spread them. */
static int64_t hold_spread(struct llmio_client *c, struct llmio_future *f)
{
    return llmio__retry_policy_apply(&c->retry, &f->retry).base_delay_ms;
}

/*
 * libcurl 7.88 fails a transfer with CURLE_HTTP2_STREAM when the server
 * closed the stream after answering in full but before it read the whole
 * request body (RST_STREAM NO_ERROR, which RFC 9113 8.1 allows; nginx's
 * "return" does it). A 2xx reply complete by its own framing (every
 * Content-Length byte, or a stream's end marker) is the server's answer.
 * Any other stream reset stays a failure, retried like a connection reset.
 */
static bool h2_answered(struct llmio__xfer *t, int status)
{
    if (status < 200 || status > 299) {
        return false;
    }
    if (t->streaming) {
        return t->sctx.done;
    }
    curl_off_t want = -1, got = -1;
    curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &want);
    curl_easy_getinfo(t->easy, CURLINFO_SIZE_DOWNLOAD_T, &got);
    return want >= 0 && got == want;
}

/* libcurl finished T with RC: decide the outcome, complete the future. */
static void finish(struct llmio_client *c, struct llmio__xfer *t, CURLcode rc)
{
    struct llmio_future *f = t->f;
    llmio_error *err = &f->err;
    detach(c, t);
    long code = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    int status = (int)code;
    llmio_status st;
    if (status != 0) {
        fill_http(t, status);
    }
    if (rc == CURLE_HTTP2_STREAM && h2_answered(t, status)) {
        rc = CURLE_OK;
    }
    if (f->stop_status != LLMIO_OK) {
        st = f->stop_status;
    } else if (rc != CURLE_OK) {
        st = map_curl(rc);
        err->transport_code = (int)rc;
        if (rc == CURLE_OPERATION_TIMEDOUT && status == 0) {
            snprintf(err->message, sizeof err->message,
                     "connect timeout after %lld ms",
                     (long long)f->timeouts_ms[LLMIO_TIMEOUT_CONNECT]);
        } else {
            snprintf(err->message, sizeof err->message, "%s",
                     t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
        }
        if (t->streaming && st == LLMIO_E_NETWORK) {
            size_t l = strlen(err->message);
            snprintf(err->message + l, sizeof err->message - l,
                     " (stream truncated)");
        }
    } else {
        if (!t->classified) {
            classify(t);
        }
        if (!t->ok2xx) {
            st = llmio__http_status_code(status);
            err->code = st;
            f->provider->parse_error(status, llmio__buf_cstr(&t->body),
                                     t->body.len, err);
            st = err->code;
            if (llmio__http_retry_after(&t->hdrs) < 0 &&
                err->retry_after_ms > 0) {
                /* A body's hint (Gemini's RetryInfo) is the Retry-After
                 * of the retry policy and the rate limiter. */
                t->hdrs.retry_after_ms = err->retry_after_ms;
            }
            if (err->message[0] == '\0') {
                snprintf(err->message, sizeof err->message, "HTTP %d: %s",
                         status, llmio_status_str(st));
            }
        } else if (t->streaming) {
            st = frame_end(t);
            if (st == LLMIO_OK && !t->sctx.done) {
                st = LLMIO_E_NETWORK;
                snprintf(err->message, sizeof err->message,
                         "stream ended before the provider's end marker "
                         "(truncated)");
            }
            if (st == LLMIO_OK) {
                st = llmio__response_finish(&f->resp, NULL, 0);
            }
        } else {
            st = stream_ctx_init(t);
            if (st == LLMIO_OK) {
                st = f->provider->parse_body(
                    &t->sctx, llmio__buf_cstr(&t->body), t->body.len, err);
            }
            if (st == LLMIO_OK) {
                st = llmio__response_finish(&f->resp, llmio__buf_cstr(&t->body),
                                            t->body.len);
            }
        }
    }
    if (f->rl.on &&
        llmio__limiter_on_response(&c->limiter, &f->rl, &t->hdrs, status,
                                   st == LLMIO_OK ? &f->resp.usage : NULL,
                                   llmio__mono_ms())) {
        rate_wake_heads(c);
    } else if (!f->rl.on && status >= 429) {
        /* No limit set: a 429 still holds the key (limiter.c). */
        llmio__limiter_hold(
            &c->limiter, &f->rl, f->provider->name, f->model, llmio__mono_ms(),
            llmio__limiter_pause_for(&t->hdrs, status), hold_spread(c, f));
    }
    /* A cancel or a stream callback's stop ends the request; a failure
     * found inside a callback (an in-band error event) is the attempt's
     * own outcome, for the retry policy to judge. */
    bool stopped = f->stop_status == LLMIO_E_CANCELLED ||
                   f->stop_status == LLMIO_E_ABORTED;
    if (!stopped && retry_or_end(c, t, st)) {
        return;
    }
    err->attempts = f->attempts;
    if (st != LLMIO_OK) {
        scrub_secrets(f);
    }
    xfer_release(c, t);
    llmio__future_complete(f, st, NULL);
}

/* Ends T's attempt now with ST (outside libcurl). MAY_RETRY: a failure
 * of the attempt itself (a timeout), which the retry policy may retry;
 * else the future ends (cancel, client free). */
static void end_now(struct llmio_client *c, struct llmio__xfer *t,
                    llmio_status st, const char *msg, bool may_retry)
{
    struct llmio_future *f = t->f;
    bool on_wire = t->phase <= PHASE_RECV;
    rate_leave(c, f);
    detach(c, t);
    if (on_wire && t->hdrs.status != 0) {
        fill_http(t, t->hdrs.status);
    }
    if (msg != NULL) {
        snprintf(f->err.message, sizeof f->err.message, "%s", msg);
    }
    if (may_retry && on_wire && retry_or_end(c, t, st)) {
        return;
    }
    if (f->attempts > 0) {
        f->err.attempts = f->attempts;
    }
    if (f->err.retry_after_ms < 0) {
        f->err.retry_after_ms = f->last_retry_after_ms;
    }
    xfer_release(c, t);
    llmio__future_complete(f, st, NULL);
}

static void stop_now(struct llmio_client *c, struct llmio__xfer *t,
                     llmio_status st, const char *msg)
{
    end_now(c, t, st, msg, false);
}

/*
 * T may start an attempt as far as concurrency goes; the rate limiter
 * (limiter.c) has the last word. Granted: the attempt starts. Told to
 * wait: T parks (PHASE_RATE) until then, or without a timer behind the
 * head of its key's lane. A wait ending past the total deadline fails
 * the future at once with LLMIO_E_RATE_LIMIT when MAY_END (outside
 * libcurl, not in submit), else T wakes at once to be failed then.
 */
static llmio_status rate_gate(struct llmio_client *c, struct llmio__xfer *t,
                              bool may_end)
{
    struct llmio_future *f = t->f;
    if (!f->rl.on && !llmio__limiter_holding(&c->limiter)) {
        return attempt_begin(c, t);
    }
    int64_t now = llmio__mono_ms();
    int64_t end = f->t0_ms + f->timeouts_ms[LLMIO_TIMEOUT_TOTAL];
    int64_t w = f->rl.on ? llmio__limiter_admit(&c->limiter, &f->rl, now)
                         : llmio__limiter_held(&c->limiter, &f->rl,
                                               f->provider->name, f->model, now,
                                               hold_spread(c, f), end, &c->rng);
    if (w == 0) {
        rate_leave(c, f);
        return attempt_begin(c, t);
    }
    if (w > 0 && now + w >= end) {
        if (may_end) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "rate limit: the key's next send is %lld ms away, "
                     "past the total timeout",
                     (long long)w);
            f->err.retry_after_ms = w;
            end_now(c, t, LLMIO_E_RATE_LIMIT, msg, false);
            return LLMIO_OK;
        }
        w = 0;
    }
    t->phase = PHASE_RATE;
    t->retry_due = w < 0 ? INT64_MAX : now + w;
    llmio_timeout_kind k;
    llmio_status st = heap_push(c, t, deadline_of(t, &k));
    if (st != LLMIO_OK) {
        rate_leave(c, f);
    }
    return st;
}

/* Starts queued futures while slots are free (outside libcurl). */
static void pump(struct llmio_client *c)
{
    struct llmio__engine *e = c->engine;
    while (e->q_head != NULL && slot_free(c) && !c->freeing) {
        struct llmio__xfer *t = e->q_head;
        detach(c, t);
        if (rate_gate(c, t, true) != LLMIO_OK) {
            stop_now(c, t, LLMIO_E_NOMEM, NULL);
        }
    }
}

void llmio__engine_stop(struct llmio_client *c, struct llmio_future *f,
                        llmio_status st)
{
    struct llmio__xfer *t = f->xfer;
    if (t == NULL) {
        llmio__future_complete(f, st, NULL);
        llmio__loop_kick(c);
        return;
    }
    if (c->in_curl > 0) {
        stop_later(c, t, st);
        return;
    }
    stop_now(c, t, st, NULL);
    pump(c); /* a cancelled request may have freed a slot */
    llmio__loop_kick(c);
}

/* ---- driving ----------------------------------------------------------------
 */

void llmio__engine_on_socket(struct llmio_client *c, int fd, int events)
{
    struct llmio__engine *e = c->engine;
    if (fd < 0) {
        return;
    }
    int ev = 0;
    if (events & LLMIO_POLL_IN) {
        ev |= CURL_CSELECT_IN;
    }
    if (events & LLMIO_POLL_OUT) {
        ev |= CURL_CSELECT_OUT;
    }
    if (ev == 0) {
        ev = CURL_CSELECT_ERR;
    }
    int running;
    c->in_curl++;
    if ((size_t)fd < e->nfd_shard && e->fd_shard[fd] >= 0) {
        struct llmio__shard *sh = e->shards[e->fd_shard[fd]];
        sh->dirty = true;
        curl_multi_socket_action(sh->multi, (curl_socket_t)fd, ev, &running);
    } else {
        /* Unknown here (stale, or its shard could not be recorded): a
         * multi handle ignores a socket it does not own. */
        for (size_t i = 0; i < e->nshards; i++) {
            e->shards[i]->dirty = true;
            curl_multi_socket_action(e->shards[i]->multi, (curl_socket_t)fd, ev,
                                     &running);
        }
    }
    c->in_curl--;
}

static void expire(struct llmio_client *c, struct llmio__xfer *t,
                   llmio_timeout_kind k)
{
    static const char *const names[] = {"connect", "total", "first-byte",
                                        "idle"};
    char msg[128];
    snprintf(msg, sizeof msg, "%s timeout after %lld ms", names[k],
             (long long)t->f->timeouts_ms[k]);
    end_now(c, t, LLMIO_E_TIMEOUT, msg, true);
}

/* T's backoff or rate wait is over: the next attempt, now or behind the
 * queue (rate_gate asks the limiter first). */
static void retry_now(struct llmio_client *c, struct llmio__xfer *t)
{
    detach(c, t);
    llmio_status st = slot_free(c) && c->engine->q_head == NULL
                          ? rate_gate(c, t, true)
                          : queue_push(c, t, true);
    if (st != LLMIO_OK) {
        stop_now(c, t, st, NULL);
    }
}

static void check_deadlines(struct llmio_client *c)
{
    struct llmio__engine *e = c->engine;
    int64_t now = llmio__mono_ms();
    while (e->nheap > 0 && e->heap[0]->heap_key <= now) {
        struct llmio__xfer *t = e->heap[0];
        llmio_timeout_kind k;
        int64_t d = deadline_of(t, &k);
        if ((t->phase == PHASE_BACKOFF || t->phase == PHASE_RATE) &&
            t->retry_due <= now) {
            retry_now(c, t);
        } else if (d <= now) {
            expire(c, t, k);
        } else {
            t->heap_key = d;
            heap_down(e, 0);
        }
    }
}

void llmio__engine_on_timer(struct llmio_client *c)
{
    struct llmio__engine *e = c->engine;
    int64_t now = llmio__mono_ms();
    for (size_t i = 0; i < e->nshards; i++) {
        struct llmio__shard *sh = e->shards[i];
        if (sh->curl_due >= 0 && sh->curl_due <= now) {
            sh->curl_due = -1;
            sh->dirty = true;
            int running;
            c->in_curl++;
            curl_multi_socket_action(sh->multi, CURL_SOCKET_TIMEOUT, 0,
                                     &running);
            c->in_curl--;
        }
    }
    check_deadlines(c);
    pump(c);
}

void llmio__engine_harvest(struct llmio_client *c)
{
    struct llmio__engine *e = c->engine;
    for (size_t i = 0; i < e->nshards; i++) {
        struct llmio__shard *sh = e->shards[i];
        if (!sh->dirty) {
            continue;
        }
        sh->dirty = false;
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(sh->multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE) {
                continue;
            }
            struct llmio__xfer *t = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            if (t != NULL && t->f != NULL && t->attached) {
                finish(c, t, msg->data.result);
            }
        }
    }
    /* Stops requested from inside libcurl. A transfer libcurl finished
     * meanwhile was released above (t->f == NULL) and is skipped. */
    struct llmio__xfer *t = e->stop_head;
    e->stop_head = NULL;
    while (t != NULL) {
        struct llmio__xfer *next = t->stop_next;
        t->in_stop_q = false;
        if (t->f != NULL && t->f->state == LLMIO__F_RUNNING) {
            stop_now(c, t, t->f->stop_status, NULL);
        }
        t = next;
    }
    /* Starts requested from inside libcurl. */
    t = e->start_head;
    e->start_head = e->start_tail = NULL;
    while (t != NULL) {
        struct llmio__xfer *next = t->start_next;
        t->start_next = NULL;
        if (t->f != NULL && t->f->state == LLMIO__F_RUNNING) {
            if (c->freeing) {
                stop_now(c, t, LLMIO_E_CANCELLED, NULL);
            } else if (attach(c, t) != LLMIO_OK) {
                stop_now(c, t, LLMIO_E_NOMEM, NULL);
            }
        }
        t = next;
    }
    /* Slots freed by the transfers that ended above. */
    pump(c);
}

int64_t llmio__engine_next_due(struct llmio_client *c)
{
    struct llmio__engine *e = c->engine;
    int64_t due = -1;
    for (size_t i = 0; i < e->nshards; i++) {
        int64_t d = e->shards[i]->curl_due;
        if (d >= 0 && (due < 0 || d < due)) {
            due = d;
        }
    }
    if (e->nheap > 0) {
        due = due < 0 ? e->heap[0]->heap_key : min64(due, e->heap[0]->heap_key);
    }
    return due;
}

bool llmio__engine_has_deferred(struct llmio_client *c)
{
    struct llmio__engine *e = c->engine;
    return e->start_head != NULL || e->stop_head != NULL ||
           (e->q_head != NULL && slot_free(c) && !c->freeing);
}

void llmio__engine_rate_changed(struct llmio_client *c)
{
    rate_wake_heads(c);
    llmio__loop_kick(c);
}

/* ---- global init ------------------------------------------------------------
 */

static bool global_done;

LLMIO_API llmio_status llmio_global_init(void)
{
    if (global_done) {
        return LLMIO_OK;
    }
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        return rc == CURLE_OUT_OF_MEMORY ? LLMIO_E_NOMEM : LLMIO_E_UNSUPPORTED;
    }
    global_done = true;
    return LLMIO_OK;
}

LLMIO_API void llmio_global_cleanup(void)
{
    if (global_done) {
        curl_global_cleanup();
        global_done = false;
    }
}
