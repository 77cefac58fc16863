/*
 * fuzz_ratelimit.c - libFuzzer target for the pure reliability policies:
 * llmio__parse_rfc3339, the token bucket and llmio__retry_decide.
 *
 * The input is a program. Its first line is parsed as an RFC 3339 time;
 * the rest is read as operations on one bucket (reserve, adjust, pause,
 * sync, set_limit, time steps) and as retry inputs. After every step the
 * invariants are checked and any violation aborts:
 *   - a bucket never holds more than its burst; a wait is never negative;
 *   - a refused reservation's wait is exact: at now + wait the same
 *     reservation succeeds, and 1 ms earlier it does not;
 *   - a retry decision's delay respects the policy caps and the deadline.
 */
#include "ratelimit.h"
#include "retry.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct reader {
    const uint8_t *p;
    size_t n;
};

static uint64_t take(struct reader *r, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) {
        v <<= 8;
        if (r->n > 0) {
            v |= *r->p++;
            r->n--;
        }
    }
    return v;
}

static void check_bucket(const struct llmio__bucket *b)
{
    if (b->tokens > b->capacity || b->capacity < 0 || b->refill_per_ms < 0) {
        abort();
    }
}

static void check_exact_wait(const struct llmio__bucket *b, int64_t now,
                             int64_t cost)
{
    struct llmio__bucket copy = *b;
    int64_t w = llmio__bucket_wait(&copy, now, cost);
    if (w < 0) {
        abort();
    }
    if (w == 0) {
        return;
    }
    struct llmio__bucket later = copy;
    if (llmio__bucket_wait(&later, now + w, cost) != 0) {
        abort();
    }
    struct llmio__bucket early = copy;
    if (w > 0 && llmio__bucket_wait(&early, now + w - 1, cost) == 0) {
        abort();
    }
}

static void fuzz_retry(struct reader *r, struct llmio__rng *rng)
{
    struct llmio__retry_policy p = llmio__retry_policy_default();
    p.max_attempts = (int)take(r, 1) % 8;
    p.base_delay_ms = (int64_t)take(r, 2);
    p.max_delay_ms = (int64_t)take(r, 3);
    p.max_retry_after_ms = (int64_t)take(r, 3);
    p.retry_after_stream_data = take(r, 1) & 1;
    struct llmio__retry_input in;
    memset(&in, 0, sizeof in);
    in.status = (llmio_status)(take(r, 1) % (LLMIO_STATUS_COUNT_ + 1));
    in.http_status = (int)take(r, 2) % 700;
    in.attempt = (int)take(r, 1) % 10;
    in.retry_after_ms = (int64_t)take(r, 4) - 1000;
    in.retry_after_ms_header = (int64_t)take(r, 3) - 1000;
    in.should_retry = (int)take(r, 1) % 3 - 1;
    in.delivered_data = take(r, 1) & 1;
    in.now_ms = (int64_t)take(r, 4);
    in.deadline_ms = (int64_t)take(r, 4) - 1;
    in.provider_code = (take(r, 1) & 1) ? "insufficient_quota" : NULL;
    struct llmio__retry_decision d = llmio__retry_decide(&p, &in, rng);
    if (d.why == NULL) {
        abort();
    }
    if (d.retry) {
        int64_t cap = p.max_delay_ms > p.max_retry_after_ms
                          ? p.max_delay_ms
                          : p.max_retry_after_ms;
        if (d.delay_ms < 0 || d.delay_ms > cap) {
            abort();
        }
        if (in.deadline_ms >= 0 && in.now_ms + d.delay_ms >= in.deadline_ms) {
            abort();
        }
        if (in.attempt >= p.max_attempts) {
            abort();
        }
        if (in.delivered_data && !p.retry_after_stream_data) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t first = nl != NULL ? (size_t)(nl - data) : size;
    int64_t when;
    bool ok = llmio__parse_rfc3339((const char *)data, first, &when);
    /* "YYYY-MM-DDTHH:MM:SSZ" is the shortest timestamp; a refusal always
     * leaves -1. */
    if ((ok && first < 20) || (!ok && when != -1)) {
        abort();
    }

    struct reader r = {data + first, size - first};
    struct llmio__bucket b;
    int64_t now = (int64_t)take(&r, 2);
    llmio__bucket_init(&b, (int64_t)take(&r, 3), now);
    struct llmio__rng rng;
    llmio__rng_seed(&rng, take(&r, 2));
    int steps = 0;
    while (r.n > 0 && steps++ < 4096) {
        int64_t v = (int64_t)take(&r, 3);
        switch (take(&r, 1) % 8) {
        case 0:
            now += v % 100000;
            break;
        case 1: {
            int64_t cost = v % 5000;
            check_exact_wait(&b, now, cost);
            int64_t w = llmio__bucket_reserve(&b, now, cost);
            if (w < 0) {
                abort();
            }
            break;
        }
        case 2:
            llmio__bucket_adjust(&b, now, v - (1 << 23));
            break;
        case 3:
            llmio__bucket_pause_until(&b, now + v % 200000);
            break;
        case 4:
            llmio__bucket_sync(&b, now, v % 3000 - 1, (int64_t)take(&r, 3));
            break;
        case 5:
            llmio__bucket_set_limit(&b, now, v, (int64_t)take(&r, 2));
            break;
        case 6:
            now -= v % 1000; /* a clock read behind the bucket's */
            break;
        default:
            fuzz_retry(&r, &rng);
            break;
        }
        check_bucket(&b);
    }
    return 0;
}
