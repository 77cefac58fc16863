/*
 * retry.c - decides whether a failed attempt is tried again and after how
 * long, from the outcome, the server's hints and a seeded jitter source.
 *
 * Invariants: no I/O, no clock, no sleeping (STYLE section 9): time comes
 * in as arguments, randomness from the caller's llmio__rng. A decision is
 * a pure function of (policy, input, rng state). Every delay is in
 * [0, max(max_delay_ms, max_retry_after_ms)] and never ends at or past the
 * request's deadline. Header values are parsed elsewhere (http.c), so
 * Retry-After has one parser in the library.
 * Ownership: nothing is allocated; decisions point at static strings.
 */
#include "retry.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* Policy and random numbers                                           */
/* ------------------------------------------------------------------ */

struct llmio__retry_policy llmio__retry_policy_default(void)
{
    struct llmio__retry_policy p;
    p.max_attempts = 3;
    p.base_delay_ms = 500;
    p.max_delay_ms = 8000;
    p.max_retry_after_ms = 120000;
    p.retry_after_stream_data = false;
    return p;
}

struct llmio__retry_override llmio__retry_override_none(void)
{
    struct llmio__retry_override o = {-1, -1, -1, -1, -1};
    return o;
}

struct llmio__retry_policy
llmio__retry_policy_apply(const struct llmio__retry_policy *client,
                          const struct llmio__retry_override *o)
{
    struct llmio__retry_policy p = *client;
    if (o->max_attempts >= 0) {
        p.max_attempts = o->max_attempts;
    }
    if (o->base_delay_ms >= 0) {
        p.base_delay_ms = o->base_delay_ms;
    }
    if (o->max_delay_ms >= 0) {
        p.max_delay_ms = o->max_delay_ms;
    }
    if (o->max_retry_after_ms >= 0) {
        p.max_retry_after_ms = o->max_retry_after_ms;
    }
    if (o->stream_restart >= 0) {
        p.retry_after_stream_data = o->stream_restart != 0;
    }
    return p;
}

void llmio__rng_seed(struct llmio__rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t llmio__rng_next(struct llmio__rng *r)
{
    /* splitmix64 (Steele, Lea, Flood 2014), the generator Java's
     * SplittableRandom and xoshiro's seeding use. */
    uint64_t z = (r->state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int64_t llmio__rng_upto(struct llmio__rng *r, int64_t bound)
{
    if (bound <= 0) {
        return 0;
    }
    /* Rejection sampling: a plain modulo would favour small delays. The
     * accepted range is the largest multiple of N below 2^64, so at most
     * half the draws are rejected and usually none. */
    uint64_t n = (uint64_t)bound + 1;
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t x;
    do {
        x = llmio__rng_next(r);
    } while (x >= limit);
    return (int64_t)(x % n);
}

/* ------------------------------------------------------------------ */
/* Decision                                                            */
/* ------------------------------------------------------------------ */

int64_t llmio__retry_backoff(const struct llmio__retry_policy *p, int attempt,
                             struct llmio__rng *rng)
{
    int64_t cap = p->max_delay_ms > 0 ? p->max_delay_ms : 0;
    int64_t ceiling = p->base_delay_ms > 0 ? p->base_delay_ms : 0;
    if (attempt < 1) {
        attempt = 1;
    }
    /* Double one step at a time and stop at the cap, so a large attempt
     * number cannot overflow the shift. */
    for (int i = 1; i < attempt && ceiling < cap; i++) {
        ceiling = ceiling > cap / 2 ? cap : ceiling * 2;
    }
    if (ceiling > cap) {
        ceiling = cap;
    }
    /* Full jitter (AWS Architecture Blog, "Exponential Backoff and
     * Jitter"): spreading retries over the whole interval is what keeps a
     * fleet of clients that failed together from retrying together. */
    return llmio__rng_upto(rng, ceiling);
}

/* Whether the outcome is one llmio produced locally or that a retry cannot
 * change: these end the request whatever the server hinted. */
static bool is_final_local(llmio_status st)
{
    switch (st) {
    case LLMIO_OK:
    case LLMIO_E_INVALID:
    case LLMIO_E_STATE:
    case LLMIO_E_NOMEM:
    case LLMIO_E_UNSUPPORTED:
    case LLMIO_E_TLS:
    case LLMIO_E_CANCELLED:
    case LLMIO_E_ABORTED:
    case LLMIO_E_PROTOCOL:
    case LLMIO_E_TOO_BIG:
    case LLMIO_E_CONTEXT_LENGTH: /* the same prompt is as long next time */
        return true;
    default:
        return false;
    }
}

/* The HTTP statuses that say "try again later" rather than "this request
 * is wrong". 501 and 505 are 5xx but describe the request, so a retry gets
 * the same answer. */
static bool http_status_retryable(int code)
{
    if (code == 408 || code == 409 || code == 429) {
        return true;
    }
    return code >= 500 && code <= 599 && code != 501 && code != 505;
}

static struct llmio__retry_decision no_retry(const char *why, int64_t delay)
{
    struct llmio__retry_decision d;
    d.retry = false;
    d.restart = false;
    d.delay_ms = delay;
    d.why = why;
    return d;
}

struct llmio__retry_decision
llmio__retry_decide(const struct llmio__retry_policy *p,
                    const struct llmio__retry_input *in, struct llmio__rng *rng)
{
    if (in->status == LLMIO_OK) {
        return no_retry(LLMIO__WHY_OK, -1);
    }
    if (is_final_local(in->status)) {
        return no_retry(LLMIO__WHY_NOT_RETRYABLE, -1);
    }

    /* A transport failure is retried whatever status line came before it:
     * a reset after "200 OK" is still a reset. Whether data reached the
     * user is checked below. */
    bool transport = in->status == LLMIO_E_CONNECT ||
                     in->status == LLMIO_E_NETWORK ||
                     in->status == LLMIO_E_TIMEOUT;
    /* A 2xx status line is not the cause: a failure after it (an error
     * event inside a 200 stream) follows the status table below. */
    if (!transport && in->http_status >= 300) {
        if (in->http_status == 429 && in->provider_code != NULL &&
            strcmp(in->provider_code, "insufficient_quota") == 0) {
            return no_retry(LLMIO__WHY_QUOTA, -1);
        }
        if (in->should_retry == 0) {
            return no_retry(LLMIO__WHY_SHOULD_RETRY_FALSE, -1);
        }
        if (in->should_retry != 1 && !http_status_retryable(in->http_status)) {
            return no_retry(LLMIO__WHY_NOT_RETRYABLE, -1);
        }
    } else if (!transport && !llmio_status_retryable(in->status)) {
        /* No status line: an HTTP-class status then comes from a stream's
         * error event (SERVER, OVERLOADED) and follows the status table. */
        return no_retry(LLMIO__WHY_NOT_RETRYABLE, -1);
    }

    if (in->delivered_data && !p->retry_after_stream_data) {
        return no_retry(LLMIO__WHY_STREAM_DATA, -1);
    }
    if (in->attempt >= p->max_attempts) {
        return no_retry(LLMIO__WHY_MAX_ATTEMPTS, -1);
    }

    /* Server hints first: the server knows when its window reopens, and a
     * computed backoff that ignores it just collects another 429. A zero
     * hint (a date already past) falls back to backoff so a rate-limited
     * key is not hit again at once, as openai-python does. */
    int64_t delay;
    const char *why;
    int64_t hint = -1;
    const char *hint_why = NULL;
    if (in->retry_after_ms_header > 0) {
        hint = in->retry_after_ms_header;
        hint_why = LLMIO__WHY_RETRY_AFTER_MS;
    } else if (in->retry_after_ms > 0) {
        hint = in->retry_after_ms;
        hint_why = LLMIO__WHY_RETRY_AFTER;
    }
    if (hint > 0) {
        if (hint > p->max_retry_after_ms) {
            return no_retry(LLMIO__WHY_RETRY_AFTER_TOO_LONG, hint);
        }
        delay = hint;
        why = hint_why;
    } else {
        delay = llmio__retry_backoff(p, in->attempt, rng);
        why = LLMIO__WHY_BACKOFF;
    }

    /* A retry that cannot finish before the deadline only adds load and
     * turns a clear error into a later timeout. Equal counts as past: the
     * attempt would get no time at all. */
    if (in->deadline_ms >= 0 && (in->now_ms >= in->deadline_ms ||
                                 delay >= in->deadline_ms - in->now_ms)) {
        return no_retry(LLMIO__WHY_DEADLINE, delay);
    }

    struct llmio__retry_decision d;
    d.retry = true;
    d.restart = in->delivered_data;
    d.delay_ms = delay;
    d.why = why;
    return d;
}
