/*
 * limiter.h - a client's rate limits: the configured scopes, the keyed
 * token buckets they draw on, shared-memory budgets, and the per-key
 * lanes of requests waiting for a grant (see limiter.c and
 * docs/internals/ratelimit.md).
 *
 * No clock and no sleeping: every call takes NOW_MS, and a refusal is a
 * wait in milliseconds that engine.c turns into a heap timer.
 */
#ifndef LLMIO_LIMITER_H
#define LLMIO_LIMITER_H

#include "llmio.h"

#include "http.h"
#include "ratelimit.h"
#include "retry.h"
#include "shmbucket.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Scopes a request can match: every request, its provider, its model. */
#define LLMIO__RL_SCOPES 3

/* One configured scope. Rules are never removed (only changed), so a
 * request keeps indexes into the rule array. */
struct llmio__rl_rule {
    char *provider;             /* NULL: every request */
    char *model;                /* NULL: every model of PROVIDER */
    int64_t rpm, tpm;           /* local limits; 0 = none of that kind */
    struct llmio__shmbucket shm_req; /* shared budget; state NULL: none */
    struct llmio__shmbucket shm_tok;
};

/*
 * What the limiter keeps for one request (embedded in its future). Keys
 * are hashes: no API key is stored. A ticket in a lane waits behind the
 * requests of the same key that came first; only a lane's head has a
 * timer (engine.c), so N waiters on one key cost one wake-up per grant.
 */
struct llmio__rl_ticket {
    bool on;              /* the client limits this request */
    uint64_t key;         /* provider + model + API key (the lane); not ON:
                             0 until a hold needs it (llmio__limiter_hold) */
    uint64_t provider_key; /* provider + API key (not ON: the client's
                              cached hash, set by its caller) */
    int64_t hold_end;     /* not ON: the hold RELEASE_AT was drawn for */
    int64_t release_at;   /* not ON: when it may go after that hold */
    int rules[LLMIO__RL_SCOPES]; /* matching rules, -1 none */
    int64_t est_tokens;   /* tokens reserved per attempt */
    int64_t granted;      /* tokens the running attempt reserved; -1 none */
    bool learnt;          /* the running attempt's headers were applied */
    void *owner;          /* the future */
    bool in_lane, is_head;
    struct llmio__rl_ticket *prev, *next; /* within the lane */
    struct llmio__rl_ticket *tail;        /* head only */
    struct llmio__rl_ticket *hprev, *hnext; /* head only: list of heads */
};

struct llmio__limiter {
    const llmio_allocator *alloc;
    struct llmio__rl_rule *rules; /* NULL: no limits, the limiter is off */
    size_t nrules;
    struct llmio__ratelimiter rl; /* local buckets, per key */
    struct llmio__rl_ticket *heads; /* one per key with waiters */
    /* Holds: the default 429 pause of keys no rule limits. */
    bool holds_off;      /* llmio_client_set_rate_pause(c, false) */
    int64_t holds_until; /* the last hold's end plus its spread; 0: no
                            key is held, the fast path */
};

/* Zero L (off): nothing allocated until the first rule. */
void llmio__limiter_init(struct llmio__limiter *l,
                         const llmio_allocator *alloc);
/* Closes shared budgets and frees everything. No ticket may be waiting. */
void llmio__limiter_cleanup(struct llmio__limiter *l);

/*
 * llmio__limiter_set - configure SCOPE (NULL or "": every request;
 * "provider"; "provider/model"). Local limits: SHARED_NAME NULL, RPM and
 * TPM >= 0 (0: none of that kind, but the scope's requests still follow
 * the provider's rate-limit headers and 429 pauses). Shared budget:
 * SHARED_NAME names the segments NAME.req / NAME.tok (ratelimit.md).
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (scope, name, limits),
 *           LLMIO_E_NOMEM, or shmbucket's errors.
 */
llmio_status llmio__limiter_set(struct llmio__limiter *l, const char *scope,
                                const char *shared_name, int64_t rpm,
                                int64_t tpm);

/* Remove the shared segments of NAME (both kinds). */
llmio_status llmio__limiter_unlink(const char *name);

/*
 * llmio__limiter_prepare - fill T for a new request to PROVIDER/MODEL
 * with API_KEY (may be NULL) and a serialised body of BODY_LEN bytes
 * asking for up to MAX_TOKENS output tokens (0: unknown). T->on is false
 * when no rule matches: the request is never limited, at no cost.
 */
void llmio__limiter_prepare(struct llmio__limiter *l,
                            struct llmio__rl_ticket *t, void *owner,
                            const char *provider, const char *model,
                            const char *api_key, size_t body_len,
                            int64_t max_tokens);

/*
 * llmio__limiter_admit - may T's next attempt be sent now?
 * Returns:  0 granted (its buckets charged; the caller sends at once
 *           and then calls llmio__limiter_leave);
 *           > 0 the ms to wait: T is now its lane's head;
 *           -1 T was queued behind its lane's head (no timer of its own:
 *           llmio__limiter_leave of the head promotes it).
 */
int64_t llmio__limiter_admit(struct llmio__limiter *l,
                             struct llmio__rl_ticket *t, int64_t now_ms);

/* Takes T out of its lane (granted, cancelled, failed). Returns the
 * owner of the lane's new head, which the caller must wake, or NULL. */
void *llmio__limiter_leave(struct llmio__limiter *l,
                           struct llmio__rl_ticket *t);

/*
 * llmio__limiter_on_response - what an attempt's response says: H's
 * rate-limit headers adapt the key's buckets, a 429 (HTTP_STATUS; a
 * 503/529 with a hint: llmio__limiter_pause_for) pauses the key (and T's
 * shared budgets) until the server's hint, and USAGE
 * (NULL or total -1: unknown) corrects the tokens T reserved.
 * Returns:  true when the correction gave tokens back while requests
 *           wait: their lanes' heads should ask again now rather than at
 *           the time computed before.
 */
bool llmio__limiter_on_response(struct llmio__limiter *l,
                                struct llmio__rl_ticket *t,
                                const struct llmio__http_hdrs *h,
                                int http_status, const llmio_usage *usage,
                                int64_t now_ms);

/*
 * llmio__limiter_learn - H, the complete headers of T's running attempt,
 * adapt T's key's buckets (once per attempt: the engine calls it when
 * the body starts, so a long stream teaches the limiter at its start, and
 * llmio__limiter_on_response does not apply them twice). No-op unless
 * T->on.
 */
void llmio__limiter_learn(struct llmio__limiter *l,
                          struct llmio__rl_ticket *t,
                          const struct llmio__http_hdrs *h, int64_t now_ms);

/* H's OpenAI-style and Anthropic rate-limit headers as the buckets take
 * them (pure; see limiter.c for how Anthropic's four kinds map to two). */
void llmio__limiter_headers(const struct llmio__http_hdrs *h,
                            struct llmio__ratelimit_headers *out);

/* How long a 429 pauses its key: the server's hint, else the reset of an
 * exhausted budget, else LLMIO__RL_PAUSE_DEFAULT_MS. */
#define LLMIO__RL_PAUSE_DEFAULT_MS 1000
int64_t llmio__limiter_pause_ms(const struct llmio__http_hdrs *h);

/*
 * llmio__limiter_pause_for - how long a response with HTTP_STATUS and
 * headers H makes its whole key wait: a 429, llmio__limiter_pause_ms; a
 * 503 or 529 only when it carries retry-after-ms / Retry-After (the
 * server said when to come back; without a hint an overload is
 * transient and the retry policy's jittered backoff spreads the
 * retries); anything else 0.
 */
int64_t llmio__limiter_pause_for(const struct llmio__http_hdrs *h,
                                 int http_status);

/* ---- holds: the default for requests no rule limits (T->on false) ----
 * Without any configured limit a 429 still pauses its key (provider +
 * model + API key) for every request of the client: those waiting and
 * those submitted later wait instead of each collecting its own 429, and
 * after the pause they go spread over SPREAD_MS rather than at once. */

/* Whether any key may be held: false is the no-cost path. */
static inline bool llmio__limiter_holding(const struct llmio__limiter *l)
{
    return l->holds_until != 0;
}

/*
 * llmio__limiter_hold - T's request to PROVIDER/MODEL (the future's
 * model string, with or without "provider/") got a response that pauses
 * its key for PAUSE_MS (llmio__limiter_pause_for; <= 0: nothing). Does
 * nothing when holds are off, or when the key table cannot be allocated
 * (the request's own retry still waits out the hint).
 */
void llmio__limiter_hold(struct llmio__limiter *l, struct llmio__rl_ticket *t,
                         const char *provider, const char *model,
                         int64_t now_ms, int64_t pause_ms, int64_t spread_ms);

/*
 * llmio__limiter_held - may T (not ON) start an attempt now?
 * Returns:  0 yes; else the ms to wait. A held key's requests go at
 *           the hold's end plus a jitter uniform in [0, SPREAD_MS]
 *           (drawn from RNG once per hold and request; a request whose
 *           DEADLINE_MS comes first is given the end), so a burst
 *           waiting on one 429 does not return as one burst.
 */
int64_t llmio__limiter_held(struct llmio__limiter *l,
                            struct llmio__rl_ticket *t, const char *provider,
                            const char *model, int64_t now_ms,
                            int64_t spread_ms, int64_t deadline_ms,
                            struct llmio__rng *rng);

#endif
