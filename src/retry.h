/*
 * retry.h - the retry policy: whether a failed attempt is tried again, and
 * after how long (see retry.c and docs/internals/retry.md).
 *
 * Everything here is pure: no I/O, no clock, no sleeping. The engine passes
 * the time, the server's hints and a seeded random generator, and gets a
 * decision back; it then arms a timer (STYLE sections 6.4 and 9). The
 * hints are parsed by http.c (llmio__http_parse_retry_after, the one
 * Retry-After parser), not here.
 */
#ifndef LLMIO_RETRY_H
#define LLMIO_RETRY_H

#include "llmio.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Policy                                                              */
/* ------------------------------------------------------------------ */

struct llmio__retry_policy {
    int max_attempts;             /* attempts in all, the first included */
    int64_t base_delay_ms;        /* backoff before the first retry (cap) */
    int64_t max_delay_ms;         /* backoff cap for any retry */
    int64_t max_retry_after_ms;   /* longer server hints fail the request */
    bool retry_after_stream_data; /* restart a stream the user has seen */
};

/* A request's own settings (llmio_request_set_retry,
 * llmio_request_set_stream_restart): a field < 0 keeps the client's value,
 * so a client setting changed later still reaches requests that did not
 * override it. */
struct llmio__retry_override {
    int max_attempts;
    int64_t base_delay_ms, max_delay_ms, max_retry_after_ms;
    int stream_restart; /* -1 client's, 0 no, 1 yes */
};

/* Every field "keep the client's". */
struct llmio__retry_override llmio__retry_override_none(void);

/* The policy for one request: CLIENT with O's fields >= 0 applied. */
struct llmio__retry_policy
llmio__retry_policy_apply(const struct llmio__retry_policy *client,
                          const struct llmio__retry_override *o);

/*
 * llmio__retry_policy_default - 3 attempts, backoff 500 ms doubling to an
 * 8 s cap, server hints honoured up to 120 s, no stream restarts: the
 * numbers openai-python 3.x uses (reference/openai-chat.md section 8), so
 * llmio is no more aggressive toward a provider than its own SDK.
 */
struct llmio__retry_policy llmio__retry_policy_default(void);

/* ------------------------------------------------------------------ */
/* Random numbers                                                      */
/* ------------------------------------------------------------------ */

/* splitmix64: one word of state, every seed (0 included) is good, and the
 * same seed gives the same sequence on every platform, which is what makes
 * the jitter testable. Not for secrets. */
struct llmio__rng {
    uint64_t state;
};

void llmio__rng_seed(struct llmio__rng *r, uint64_t seed);
uint64_t llmio__rng_next(struct llmio__rng *r);
/* A uniform value in [0, BOUND]; BOUND <= 0 gives 0. Unbiased (rejection
 * sampling), so the jitter bounds hold exactly. */
int64_t llmio__rng_upto(struct llmio__rng *r, int64_t bound);

/* ------------------------------------------------------------------ */
/* Decision                                                            */
/* ------------------------------------------------------------------ */

/* What the engine knows when an attempt has failed. */
struct llmio__retry_input {
    llmio_status status;    /* how the attempt ended */
    int http_status;        /* 0 when no response status line was received */
    int attempt;            /* attempts made so far, this one included (>=1) */
    int64_t retry_after_ms; /* Retry-After in ms (http.h's
                               llmio__http_hdrs.retry_after_ms), or a
                               provider's delay such as Gemini's
                               RetryInfo; -1 none */
    int64_t retry_after_ms_header; /* retry-after-ms (http.h's
                                      retry_after_ms_ms); -1 none. Wins
                                      over retry_after_ms. */
    int should_retry;    /* x-should-retry: -1 absent, 0 false, 1 true */
    bool delivered_data; /* stream data already reached the user */
    int64_t now_ms;      /* monotonic now */
    int64_t deadline_ms; /* the request's absolute total deadline; -1 none */
    const char *provider_code; /* provider error code (error.code); NULL */
};

struct llmio__retry_decision {
    bool retry;       /* try again after DELAY_MS */
    bool restart;     /* RETRY, and the user has seen stream data: the
                         engine emits a "restarted" event first */
    int64_t delay_ms; /* when RETRY: the wait. When not: the wait that was
                         refused ("retry-after too long", "deadline"),
                         else -1. */
    const char *why;  /* [borrowed] static text, one of the LLMIO__WHY_* */
};

/* The WHY texts, fixed so hooks and tests can compare them. */
#define LLMIO__WHY_OK "ok"
#define LLMIO__WHY_NOT_RETRYABLE "not retryable"
#define LLMIO__WHY_SHOULD_RETRY_FALSE "x-should-retry: false"
#define LLMIO__WHY_QUOTA "insufficient quota"
#define LLMIO__WHY_STREAM_DATA "stream data delivered"
#define LLMIO__WHY_MAX_ATTEMPTS "max attempts"
#define LLMIO__WHY_RETRY_AFTER_TOO_LONG "retry-after too long"
#define LLMIO__WHY_DEADLINE "deadline"
#define LLMIO__WHY_RETRY_AFTER_MS "retry-after-ms"
#define LLMIO__WHY_RETRY_AFTER "retry-after"
#define LLMIO__WHY_BACKOFF "backoff"

/*
 * llmio__retry_decide - decide whether the attempt described by IN is
 * retried, and after how long.
 *
 * Rules, in order (docs/internals/retry.md gives the reasons):
 *  1. LLMIO_OK, and local outcomes (CANCELLED, ABORTED, INVALID, STATE,
 *     NOMEM, UNSUPPORTED, TLS, PROTOCOL, TOO_BIG): never retried.
 *  2. With an HTTP error response (>= 300): x-should-retry true/false
 *     decides; else 408, 409, 429 and 5xx other than 501/505 are retried.
 *     A 429 whose provider code is "insufficient_quota" is never retried
 *     (billing does not recover in seconds), whatever x-should-retry says.
 *     CONNECT, NETWORK and TIMEOUT are retried whatever the status line
 *     (x-should-retry speaks for the status, not for a later reset); an
 *     HTTP-class status without an error status line (an error event in
 *     a 200 stream) follows the status table.
 *  3. Stream data delivered: no retry unless the policy allows restarts.
 *  4. IN->attempt >= max_attempts: no retry.
 *  5. Delay: retry-after-ms, else Retry-After, when > 0; a hint above
 *     max_retry_after_ms is not waited out (no retry). Else full-jitter
 *     backoff: uniform in [0, min(max_delay, base * 2^(attempt-1))].
 *  6. now + delay >= deadline: no retry ("deadline").
 *
 * Params:   p    [borrowed] policy.
 *           in   [borrowed] the failed attempt.
 *           rng  [borrowed] advanced only when backoff is computed.
 * Returns:  the decision; never fails.
 */
struct llmio__retry_decision
llmio__retry_decide(const struct llmio__retry_policy *p,
                    const struct llmio__retry_input *in,
                    struct llmio__rng *rng);

/* The full-jitter backoff alone: uniform in
 * [0, min(max_delay_ms, base_delay_ms * 2^(attempt-1))]. ATTEMPT < 1 is
 * treated as 1. */
int64_t llmio__retry_backoff(const struct llmio__retry_policy *p, int attempt,
                             struct llmio__rng *rng);

#endif
