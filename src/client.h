/*
 * client.h - the client and future objects shared by client.c, future.c,
 * engine.c and loop.c (the async core), and the calls between them.
 *
 * No libcurl type appears here: engine.c keeps its state behind the opaque
 * struct llmio__engine, so only engine.c includes curl/curl.h.
 *
 * Life of a future (future.c owns the state machine):
 *   RUNNING     accepted; a transfer may be attached (engine.c)
 *   COMPLETING  the outcome is fixed and the future sits in the client's
 *               ready queue; its done_cb has not run yet
 *   DONE        done_cb ran (or is running); the future never touches its
 *               client again
 * References: the caller's (dropped by llmio_future_free) and the engine's
 * (dropped right after done_cb returns). Memory goes with the last one.
 */
#ifndef LLMIO_CLIENT_H
#define LLMIO_CLIENT_H

#include "llmio.h"

#include "arena.h"
#include "buf.h"
#include "limiter.h"
#include "providers/provider.h"
#include "response.h"
#include "retry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct llmio__engine;
struct llmio__xfer;

enum llmio__fstate {
    LLMIO__F_RUNNING = 0,
    LLMIO__F_COMPLETING = 1,
    LLMIO__F_DONE = 2
};

/* One queued delta of a pull-mode stream; lives in the future's queue
 * arena. */
struct llmio__qdelta {
    struct llmio__qdelta *next;
    llmio_delta d;
    llmio_usage usage;
    llmio_restart restart;
};

struct llmio_future {
    /* A copy, not a pointer: a completed future outlives its client. */
    llmio_allocator alloc;
    struct llmio_client *client; /* NULL once DONE */
    int refs;                    /* caller + engine */
    enum llmio__fstate state;
    bool in_done_cb;

    llmio_done_cb done;
    void *user;
    bool stream;               /* the request asked for a stream */
    llmio_stream_cb stream_cb; /* NULL with stream: pull mode */

    llmio_status status;
    llmio_error err;
    llmio_status stop_status; /* set when stopped from inside libcurl */

    const struct llmio__provider *provider;
    struct llmio__http_req http; /* the request snapshot (secrets inside) */
    int64_t timeouts_ms[4];      /* resolved: request, else client */

    struct llmio__arena arena; /* response strings, provider state */
    struct llmio_response resp;

    struct llmio__xfer *xfer;    /* from submit until the outcome is fixed:
                                    queued, attempting or waiting to retry */
    int64_t t0_ms;               /* submit time: the TOTAL timeout counts from
                                    here, across queueing and retries */
    int attempts;                /* HTTP attempts started */
    bool delivered;              /* a stream delta reached the user: a later
                                    failure is not retried */
    int64_t last_retry_after_ms; /* the last server hint seen; -1 none */
    struct llmio__rl_ticket rl;  /* rate limits (limiter.c) */
    struct llmio__retry_override retry; /* the request's own settings */
    llmio_restart shown; /* what this attempt's stream showed the user:
                            reported by a RESTARTED delta if it restarts */

    /* Pull queue (stream with no callback). */
    struct llmio__arena qarena;
    struct llmio__qdelta *qhead, *qtail;
    bool qcurrent; /* a delta was handed out and is still borrowed */

    /* Fallbacks and hedging (route.c). A routed request's own future
     * runs no transfer: ROUTE drives internal child futures (one per model
     * tried, plus a hedge), each with PARENT pointing back. */
    const char *model;           /* the model string as requested (arena) */
    struct llmio__route *route;  /* the caller's future of a routed request */
    struct llmio_future *parent; /* a child: the caller's future */
    bool internal;               /* a child: not counted in npending */
    int route_slot;              /* a child: 0 the model's request, 1 hedge */
    int route_step;              /* a child: 0 the request's model, i its
                                    i-th fallback */

    /* Client lists: every not-yet-DONE future, and the ready queue. */
    struct llmio_future *prev, *next;
    struct llmio_future *ready_next;
    bool in_ready;

    void *batch_item;   /* batch.c: its slot, until the item is reported */
    size_t batch_index; /* batch.c: the item's index */
    bool in_batch;      /* this future is a batch item */

    /* session.c: records a turn's reply just before done_cb runs (and may
     * turn the outcome into an error); cleared if the session goes first. */
    void (*observer)(struct llmio_future *f, void *arg);
    void *observer_arg;
};

/* Per-provider settings. Explicit values win; environment values are read
 * once, when a request first needs them. */
struct llmio__psettings {
    const struct llmio__provider *p;
    char *api_key, *base_url, *organization, *project; /* explicit */
    bool env_loaded;
    char *env_api_key, *env_base_url, *env_organization, *env_project;
    char *api_version, *env_api_version; /* azure, anthropic-version */
    uint64_t key_hash; /* provider + API key for the rate limiter's holds
                          (limiter.c), hashed once; 0: not yet */
};

/* TLS trust (tls.c): explicit CA file/directory, else the environment's. */
struct llmio__tls {
    char *ca_file, *ca_path; /* llmio_client_set_ca; NULL: not set */
    bool env_loaded;
    char *env_file, *env_path; /* SSL_CERT_FILE or CURL_CA_BUNDLE; _DIR */
    unsigned gen;              /* bumped by each set: pooled handles made
                                  before it are rebuilt (engine.c) */
};

enum llmio__mode {
    LLMIO__MODE_NONE = 0,  /* not driven yet */
    LLMIO__MODE_EPOLL = 1, /* built-in wait/run, or fd + step */
    LLMIO__MODE_HOOKS = 2  /* llmio_client_attach */
};

struct llmio__loop {
    enum llmio__mode mode;
    int epfd;     /* epoll set: transfer sockets, timerfd, eventfd */
    int evfd;     /* eventfd for llmio_client_wakeup (and deferred work) */
    int tfd;      /* timerfd armed to the next deadline in fd mode */
    bool fd_mode; /* llmio_client_fd was handed out: keep tfd armed */
    int64_t tfd_due_ms; /* absolute deadline tfd is armed for; -1 none */
    llmio_loop_hooks hooks;
    void *hooks_user;
    int64_t hooks_due_ms; /* absolute deadline last given to set_timer */
};

struct llmio_client {
    llmio_allocator alloc;

    struct llmio__psettings *settings;
    size_t nsettings;
    char **headers; /* default "Name: value" headers */
    size_t nheaders;
    int64_t timeouts_ms[4];
    size_t max_response;
    void *user;
    void (*user_dtor)(void *user);

    size_t npending;                 /* futures not yet DONE */
    struct llmio_future *pending;    /* list of them */
    struct llmio_future *ready_head; /* COMPLETING, done_cb to run */
    struct llmio_future *ready_tail;

    int in_callback;   /* depth of user callbacks running */
    int in_curl;       /* inside a libcurl call: defer add/remove */
    int driving;       /* depth of drive calls (step, wait, on_fd...) */
    bool freeing;      /* llmio_client_free has started */
    bool free_pending; /* free requested inside a callback */

    int64_t now_ms;  /* monotonic clock, refreshed per dispatch */
    int64_t wall_ms; /* unix wall clock, same instant */

    struct llmio__engine *engine;
    struct llmio__loop loop;

    /* Retries (engine.c applies them; retry.c decides). */
    struct llmio__retry_policy retry;
    struct llmio__rng rng; /* jitter; one per client, no locking */
    llmio_attempt_cb attempt_cb;
    void *attempt_user;
    /* Concurrency: attempts on the wire at once (0: no limit), and
     * futures allowed to wait for a slot (0: no limit). */
    size_t max_concurrency;
    size_t max_queued;
    /* Rate limits: scopes, buckets, lanes of waiting requests (limiter.c;
     * engine.c parks and wakes the requests). */
    struct llmio__limiter limiter;
    /* Hedging default, hedge timers and latency samples (route.c). */
    llmio_hedge_mode hedge_mode;
    int64_t hedge_delay_ms;
    struct llmio__routes *routes; /* NULL until a request is routed */
    struct llmio__tls tls;        /* CA trust (tls.c) */
};

/* ---- clock (loop.c) ---------------------------------------------------- */

/* Refreshes C->now_ms and C->wall_ms and returns now_ms. */
int64_t llmio__clock_update(struct llmio_client *c);
int64_t llmio__mono_ms(void);

/* ---- future.c ---------------------------------------------------------- */

/* A new future with both references, linked into C's pending list.
 * Returns NULL on allocation failure. */
struct llmio_future *llmio__future_new(struct llmio_client *c);
/* Undoes llmio__future_new for a submit that failed: no callback runs. */
void llmio__future_discard(struct llmio_future *f);
/* llmio__future_new with what the caller set on R: DONE(F, USER), the
 * stream mode and callback, the retry override, and R's timeouts (else
 * C's). The future of llmio_submit, and a routed request's own. */
struct llmio_future *llmio__future_for_request(struct llmio_client *c,
                                               const struct llmio_request *r,
                                               llmio_done_cb done, void *user);
/* Hands F, whose http snapshot and rate-limit ticket the caller filled, to
 * the engine as served by P for MODEL (copied into F's arena; the
 * response names both), the ticket now F's own. One path for a submitted
 * future and a route's child. LLMIO_OK, or the error with F not started
 * (the caller discards it). */
llmio_status llmio__future_start(struct llmio_client *c, struct llmio_future *f,
                                 const struct llmio__provider *p,
                                 const char *model);
/* Fixes F's outcome (ERR may be NULL for OK or a plain status; its code is
 * overwritten with ST) and queues its done_cb. Only the first call counts.
 * Any attached transfer must already be detached. */
void llmio__future_complete(struct llmio_future *f, llmio_status st,
                            const llmio_error *err);
/* A future that never reaches the engine, already COMPLETING with ERR
 * (its code is the outcome, LLMIO_OK included): DONE(F, USER) runs from
 * the loop like any other's. For work that must run from the loop, and
 * batch items refused before they were sent. NULL when out of memory. */
struct llmio_future *llmio__future_failed(struct llmio_client *c,
                                          llmio_done_cb done, void *user,
                                          const llmio_error *err);
/* Runs C's built-in loop until READY(ARG) holds or TIMEOUT_MS passes (-1:
 * no limit): the driver behind every blocking wait. Returns LLMIO_OK,
 * LLMIO_E_TIMEOUT, or LLMIO_E_STATE (inside a callback, or attached). */
llmio_status llmio__client_wait(struct llmio_client *c, int timeout_ms,
                                bool (*ready)(void *arg), void *arg);
/* Runs every queued done_cb (and any queued by those). A client free
 * requested by one of them is left to llmio__loop_leave. */
void llmio__client_run_ready(struct llmio_client *c);
/* Drops one reference; the last one releases F. */
void llmio__future_unref(struct llmio_future *f);
/* Cancels F (not yet COMPLETING): closes its transfer now, or as soon as
 * libcurl returns when called from inside it, and queues CANCELLED. */
void llmio__future_cancel_internal(struct llmio_future *f);
/* The stream sink given to providers: CTX is the future. */
llmio_status llmio__future_sink(void *ctx, const llmio_delta *d);
/* Hands D to F's user: its stream callback or its pull queue (F's
 * response is not touched). Returns what the sink returns. */
llmio_status llmio__future_deliver(struct llmio_future *f,
                                   const llmio_delta *d);
/* A deep copy of D in A, or NULL (allocation failed). */
struct llmio__qdelta *llmio__delta_copy(struct llmio__arena *a,
                                        const llmio_delta *d);
/* Request snapshot buffers, bounded as a future's are; _cleanup zeroes
 * the headers (they hold the API key) before releasing them. */
void llmio__http_req_init(struct llmio__http_req *h,
                          const llmio_allocator *alloc);
void llmio__http_req_cleanup(struct llmio__http_req *h);

/* ---- client.c ---------------------------------------------------------- */

/* Serialises R for MODEL (the request's model or a fallback) into OUT
 * (initialised by llmio__http_req_init): provider lookup, settings,
 * the provider's build_request, client and request headers merged in,
 * and RL prepared for the rate limiter (owner unset). *P gets the
 * provider (an embedding request's operations live in ARENA). On failure
 * ERR names the problem. */
llmio_status llmio__client_build(struct llmio_client *c,
                                 const struct llmio_request *r,
                                 const char *model, struct llmio__arena *arena,
                                 const struct llmio__provider **p,
                                 struct llmio__http_req *out,
                                 struct llmio__rl_ticket *rl, llmio_error *err);

/* ---- engine.c ---------------------------------------------------------- */

/* Creates the libcurl multi handle. LLMIO_OK or LLMIO_E_NOMEM. */
llmio_status llmio__engine_new(struct llmio_client *c);
/* Detaches every transfer and releases the pool and the multi handle.
 * Futures must have been completed already. */
void llmio__engine_free(struct llmio_client *c);
/* Starts F's transfer (attaching it now, or after libcurl returns when
 * called from inside a libcurl callback). LLMIO_OK or LLMIO_E_NOMEM with
 * nothing started. */
llmio_status llmio__engine_start(struct llmio_client *c,
                                 struct llmio_future *f);
/* Stops F's transfer with status ST (CANCELLED...). Outside libcurl the
 * handle is removed at once and F completed; inside, both happen as soon
 * as libcurl returns. */
void llmio__engine_stop(struct llmio_client *c, struct llmio_future *f,
                        llmio_status st);
/* The loop reports FD ready (LLMIO_POLL_* events; 0 = error/hangup). */
void llmio__engine_on_socket(struct llmio_client *c, int fd, int events);
/* Runs due libcurl timers and the engine's own deadlines. */
void llmio__engine_on_timer(struct llmio_client *c);
/* Collects finished transfers and applies deferred work (starts, stops). */
void llmio__engine_harvest(struct llmio_client *c);
/* Absolute monotonic ms of the engine's next deadline, or -1. */
int64_t llmio__engine_next_due(struct llmio_client *c);
/* Whether a new submit would exceed the queue bound (all slots busy and
 * max_queued futures already waiting). */
bool llmio__engine_queue_full(struct llmio_client *c);
/* Whether work is queued that needs a step without waiting. */
bool llmio__engine_has_deferred(struct llmio_client *c);
/* The rate limits changed: requests waiting for them ask again now. */
void llmio__engine_rate_changed(struct llmio_client *c);

/* ---- tls.c ------------------------------------------------------------- */

/* The CA file and directory transfers verify with (NULL: libcurl's
 * built-in default): explicit, else the environment, read on first use.
 * LLMIO_OK or LLMIO_E_NOMEM. */
llmio_status llmio__tls_resolve(struct llmio_client *c, const char **ca_file,
                                const char **ca_path);
void llmio__tls_cleanup(struct llmio_client *c);

/* ---- embed.c ----------------------------------------------------------- */

/* The operations an embedding request runs with: a copy of P's table (in
 * ARENA, so it lives as long as the future) whose build_request and
 * parse_body are P's build_embed and parse_embed; name and parse_error
 * stay P's. LLMIO_E_UNSUPPORTED naming "input" when P has none. */
llmio_status llmio__embed_provider(const struct llmio__provider *p,
                                   struct llmio__arena *arena,
                                   const struct llmio__provider **out,
                                   llmio_error *err);

/* ---- loop.c ------------------------------------------------------------ */

llmio_status llmio__loop_init(struct llmio_client *c);
void llmio__loop_cleanup(struct llmio_client *c);
/* From the engine's socket callback: watch FD for EVENTS (LLMIO_POLL_*).
 * KNOWN says FD was watched already since libcurl last removed it.
 * Returns 0, or -1 when the descriptor could not be watched. */
int llmio__loop_watch(struct llmio_client *c, int fd, int events, bool known);
/* The next deadline may have changed: re-arm the hooks' timer or the
 * timerfd when they are in use (cheap when nothing changed). */
void llmio__loop_update_timer(struct llmio_client *c);
/* Work became ready outside a dispatch (a cancel's done_cb): make the
 * loop come round soon. */
void llmio__loop_kick(struct llmio_client *c);
/* Enters a drive call: LLMIO_E_STATE inside a callback, or when the
 * client is attached and HOOKS is false (or vice versa). */
llmio_status llmio__loop_enter(struct llmio_client *c, bool hooks);
/* Leaves a drive call; at the outermost level runs a deferred client
 * free. Returns true when the client is gone. */
bool llmio__loop_leave(struct llmio_client *c);
/* One round of the built-in loop: wait up to TIMEOUT_MS for events,
 * handle them, run callbacks. Returns true when a callback asked to free
 * the client: the caller must then stop and call llmio__loop_leave. */
bool llmio__loop_run_once(struct llmio_client *c, int timeout_ms);
/* The real free, once no callback is running. */
void llmio__client_destroy(struct llmio_client *c);

#endif
