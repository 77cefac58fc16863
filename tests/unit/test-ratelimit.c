/* test-ratelimit.c - token buckets and the per-key limiter
 * (src/ratelimit.c), with explicit times: nothing here sleeps. */
#include "test.h"

#include "http.h"
#include "ratelimit.h"
#include "retry.h"

/* A full bucket of BURST tokens refilling PER_MINUTE - BURST a minute. */
static void full_bucket(struct llmio__bucket *b, int64_t per_minute,
                        int64_t burst, int64_t now_ms)
{
    llmio__bucket_init(b, per_minute, now_ms);
    llmio__bucket_set_limit(b, now_ms, per_minute, burst);
    b->tokens = b->capacity;
}

TEST(ratelimit_bucket_exact_wait)
{
    struct llmio__bucket b;
    /* 70/min with a burst of 10: 60 a minute sustained, one per second. */
    full_bucket(&b, 70, 10, 0);
    for (int i = 0; i < 10; i++) {
        ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 0);
    }
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 1000);
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 1000); /* nothing taken */
    ASSERT_EQ(llmio__bucket_reserve(&b, 999, 1), 1);
    ASSERT_EQ(llmio__bucket_reserve(&b, 1000, 1), 0); /* caller retried */
    ASSERT_EQ(llmio__bucket_reserve(&b, 1000, 1), 1000);
    ASSERT_EQ(llmio__bucket_reserve(&b, 1000, 3), 3000);
    ASSERT_EQ(llmio__bucket_reserve(&b, 1500, 1), 500);
    ASSERT_EQ(llmio__bucket_reserve(&b, 1500, 0), 0);
    ASSERT_EQ(llmio__bucket_wait(&b, 1500, 1), 500);

    /* The default burst: 60/min -> burst 6, 54/min sustained, so the
     * seventh request waits ceil(60000 / 54) ms. */
    llmio__bucket_init(&b, 60, 0);
    for (int i = 0; i < 6; i++) {
        ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 0);
    }
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 1112);
    ASSERT_EQ(llmio__bucket_reserve(&b, 1111, 1), 1);
    ASSERT_EQ(llmio__bucket_reserve(&b, 1112, 1), 0);

    /* Time that goes backwards refills nothing and is not counted twice. */
    full_bucket(&b, 70, 10, 0);
    for (int i = 0; i < 10; i++) {
        ASSERT_EQ(llmio__bucket_reserve(&b, 5000, 1), 0);
    }
    ASSERT_EQ(llmio__bucket_reserve(&b, 4000, 1), 2000); /* from 4000 */
    ASSERT_EQ(llmio__bucket_reserve(&b, 5999, 1), 1);
    ASSERT_EQ(llmio__bucket_reserve(&b, 6000, 1), 0);
}

TEST(ratelimit_bucket_refill_cap)
{
    struct llmio__bucket b;
    llmio__bucket_init(&b, 70, 0); /* burst 7 */
    ASSERT_EQ(b.capacity, 7 * LLMIO__BUCKET_SCALE);
    for (int i = 0; i < 7; i++) {
        ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 0);
    }
    /* A day idle: still only the burst, not a day's worth. */
    int64_t t = INT64_C(86400000);
    int n = 0;
    while (llmio__bucket_reserve(&b, t, 1) == 0) {
        n++;
    }
    ASSERT_EQ(n, 7);
    ASSERT_CMP(b.tokens, <=, b.capacity);
    /* A year later, with the largest limit: no overflow. */
    llmio__bucket_init(&b, LLMIO__BUCKET_MAX_PER_MINUTE * 10, 0);
    ASSERT_EQ(b.per_minute, LLMIO__BUCKET_MAX_PER_MINUTE);
    ASSERT_EQ(llmio__bucket_reserve(&b, 1, LLMIO__BUCKET_MAX_PER_MINUTE / 10),
              0);
    ASSERT_EQ(llmio__bucket_reserve(&b, INT64_C(31536000000), 1), 0);
    ASSERT_EQ(b.tokens, b.capacity - LLMIO__BUCKET_SCALE);
}

TEST(ratelimit_bucket_no_burst_above_capacity)
{
    /* Whatever the history, no instant grants more than the burst. */
    struct llmio__rng r;
    llmio__rng_seed(&r, 5);
    struct llmio__bucket b;
    llmio__bucket_init(&b, 600, 0); /* burst 60 */
    int64_t t = 0;
    for (int round = 0; round < 200; round++) {
        t += llmio__rng_upto(&r, 20000);
        int n = 0;
        while (llmio__bucket_reserve(&b, t, 1) == 0) {
            n++;
            ASSERT_CMP(n, <=, 60);
        }
        ASSERT_CMP(b.tokens, <=, b.capacity);
    }
}

TEST(ratelimit_bucket_oversized_and_unlimited)
{
    struct llmio__bucket b;
    full_bucket(&b, 70, 10, 0);
    /* 20 tokens from a burst of 10: granted when full, leaving a debt. */
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 20), 0);
    ASSERT_EQ(b.tokens, -10 * LLMIO__BUCKET_SCALE);
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 11000);
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 20), 20000); /* waits for full */
    ASSERT_EQ(llmio__bucket_reserve(&b, 20000, 20), 0);

    /* Unlimited: always granted, nothing counted, but a pause holds. */
    llmio__bucket_init(&b, 0, 0);
    for (int i = 0; i < 1000; i++) {
        ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1000000), 0);
    }
    llmio__bucket_pause_until(&b, 700);
    ASSERT_EQ(llmio__bucket_reserve(&b, 200, 1), 500);
    ASSERT_EQ(llmio__bucket_reserve(&b, 700, 1), 0);

    /* A limit of 1 a minute still refills. */
    llmio__bucket_init(&b, 1, 0);
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 0);
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 60000);
    ASSERT_EQ(llmio__bucket_reserve(&b, 60000, 1), 0);
}

TEST(ratelimit_bucket_pause)
{
    struct llmio__bucket b;
    full_bucket(&b, 70, 10, 0);
    llmio__bucket_pause_until(&b, 5000);
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 5000);
    ASSERT_EQ(llmio__bucket_reserve(&b, 4999, 1), 1);
    llmio__bucket_pause_until(&b, 3000); /* shorter: does not cut it */
    ASSERT_EQ(llmio__bucket_reserve(&b, 4000, 1), 1000);
    ASSERT_EQ(llmio__bucket_reserve(&b, 5000, 1), 0);

    /* During a pause the bucket keeps refilling (the server's does); the
     * wait is the longer of the pause and the refill. */
    for (int i = 0; i < 9; i++) {
        ASSERT_EQ(llmio__bucket_reserve(&b, 5000, 1), 0);
    }
    ASSERT_EQ(llmio__bucket_reserve(&b, 5000, 1), 1000);
    llmio__bucket_pause_until(&b, 5500);
    ASSERT_EQ(llmio__bucket_reserve(&b, 5000, 1), 1000);
    llmio__bucket_pause_until(&b, 8000);
    ASSERT_EQ(llmio__bucket_reserve(&b, 5000, 1), 3000);
    ASSERT_EQ(llmio__bucket_reserve(&b, 8000, 3), 0);
}

TEST(ratelimit_bucket_sync_with_reset_headers)
{
    struct llmio__bucket b;
    full_bucket(&b, 70, 10, 0);
    /* The server says 3 remain: lowered to 3. */
    llmio__bucket_sync(&b, 0, 3, 7000);
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 0);
    }
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 1000);
    /* 50 remain: never raised above our own count. */
    llmio__bucket_sync(&b, 0, 50, 1000);
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 1000);
    /* Unknown values change nothing. */
    llmio__bucket_sync(&b, 0, -1, -1);
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 1000);

    /* Exhausted with a reset inside a minute: our refill models it. */
    full_bucket(&b, 70, 10, 0);
    llmio__bucket_sync(&b, 0, 0, 30000);
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 1000);
    /* Exhausted with an hour to go (a longer window): wait it out. */
    llmio__bucket_sync(&b, 0, 0, 3600000);
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 3600000);
    ASSERT_EQ(llmio__bucket_reserve(&b, 3600000, 1), 0);
}

TEST(ratelimit_bucket_correction_with_usage)
{
    struct llmio__bucket b;
    full_bucket(&b, 700, 100, 0); /* 600/min sustained: 10 per second */
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 40), 0); /* estimate 40 */
    llmio__bucket_adjust(&b, 0, 40 - 90);           /* usage said 90 */
    ASSERT_EQ(b.tokens, 10 * LLMIO__BUCKET_SCALE);
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 30), 2000);
    llmio__bucket_adjust(&b, 0, -60); /* into debt: -50 */
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 5100);
    /* An over-estimate is given back, but never above the burst. */
    llmio__bucket_adjust(&b, 0, 1000);
    ASSERT_EQ(b.tokens, b.capacity);
    /* Absurd usage figures saturate instead of overflowing. */
    llmio__bucket_adjust(&b, 0, INT64_MIN);
    llmio__bucket_adjust(&b, 0, INT64_MIN);
    ASSERT_CMP(b.tokens, <, 0);
    ASSERT_CMP(llmio__bucket_wait(&b, 0, 1), >, 0);
    llmio__bucket_adjust(&b, 0, INT64_MAX);
    ASSERT_CMP(b.tokens, <=, b.capacity);
}

/* Greatest number of grant times within any closed window of WINDOW ms. */
static int64_t max_in_window(const int64_t *t, const int64_t *cost, size_t n,
                             int64_t window)
{
    int64_t best = 0, sum = 0;
    size_t lo = 0;
    for (size_t hi = 0; hi < n; hi++) {
        sum += cost[hi];
        while (t[hi] - t[lo] > window) {
            sum -= cost[lo];
            lo++;
        }
        best = sum > best ? sum : best;
    }
    return best;
}

/* Greedy traffic (with IDLE: and random pauses) against one bucket for
 * MINUTES simulated minutes; returns the most tokens granted in any
 * closed 60 s window and the total in *TOTAL. */
static int64_t simulate(int64_t per_minute, int64_t burst, int64_t max_cost,
                        int minutes, uint64_t seed, bool idle, int64_t *total)
{
    size_t cap = 1 << 20;
    int64_t *times = malloc(cap * sizeof *times);
    int64_t *costs = malloc(cap * sizeof *costs);
    ASSERT(times != NULL && costs != NULL);
    struct llmio__rng r;
    llmio__rng_seed(&r, seed);
    struct llmio__bucket b;
    llmio__bucket_init(&b, per_minute, 0);
    if (burst > 0) {
        llmio__bucket_set_limit(&b, 0, per_minute, burst);
        b.tokens = b.capacity;
    }
    size_t n = 0;
    *total = 0;
    int64_t end = (int64_t)minutes * 60000;
    int64_t t = 0;
    while (t < end && n < cap) {
        int64_t cost = max_cost > 1 ? 1 + llmio__rng_upto(&r, max_cost - 1) : 1;
        int64_t w = llmio__bucket_reserve(&b, t, cost);
        if (w == 0) {
            times[n] = t;
            costs[n] = cost;
            n++;
            *total += cost;
            continue;
        }
        /* Sometimes come back exactly when told, sometimes later, and
         * sometimes go idle for a while, so bursts refill. */
        int64_t mode = idle ? llmio__rng_upto(&r, 9) : 0;
        t += w + (mode < 6   ? 0
                  : mode < 9 ? llmio__rng_upto(&r, 500)
                             : llmio__rng_upto(&r, 90000));
    }
    int64_t best = max_in_window(times, costs, n, 60000);
    free(times);
    free(costs);
    return best;
}

TEST(ratelimit_minute_of_traffic_never_exceeds_rpm)
{
    int64_t total;
    /* The default burst, and extremes of it (60 is clamped to 59). */
    int64_t bursts[] = {0, 1, 30, 59, 60};
    for (size_t i = 0; i < sizeof bursts / sizeof bursts[0]; i++) {
        for (uint64_t seed = 0; seed < 20; seed++) {
            int64_t best = simulate(60, bursts[i], 1, 1, seed, true, &total);
            ASSERT_CMP(best, <=, 60);
            best = simulate(60, bursts[i], 1, 5, seed, true, &total);
            ASSERT_CMP(best, <=, 60);
        }
    }
    /* Greedy traffic gets the whole limit, not a fraction of it: burst 6
     * + 54 sustained = 60 in the first minute, and 54 a minute after. */
    int64_t best = simulate(60, 0, 1, 1, 99, false, &total);
    ASSERT_EQ(total, 59); /* the 60th falls due at 60000, just outside */
    ASSERT_EQ(best, 59);
    best = simulate(60, 0, 1, 10, 99, false, &total);
    ASSERT_EQ(best, 60);
    ASSERT_CMP(total, >=, 6 + 54 * 10 - 1);
    /* Other limits, and tokens per minute with requests up to the burst. */
    int64_t limits[] = {2, 3, 7, 500, 10000};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        ASSERT_CMP(simulate(limits[i], 0, 1, 3, i, true, &total), <=,
                   limits[i]);
        ASSERT_CMP(simulate(limits[i], 0, 1, 3, i, false, &total), <=,
                   limits[i]);
    }
    ASSERT_CMP(simulate(30000, 0, 3000, 4, 7, true, &total), <=, 30000);
    ASSERT_CMP(simulate(30000, 0, 3000, 4, 7, false, &total), <=, 30000);
    ASSERT_CMP(total, >=, 27000 * 4);
}

TEST(ratelimit_limiter_reserve_both_or_neither)
{
    struct llmio__ratelimiter rl;
    ASSERT_OK(llmio__ratelimit_init(&rl, NULL, 0, 100, 1000));
    uint64_t k = llmio__ratelimit_key("openai", "gpt-4o", "sk-test");
    /* RPM burst 10, TPM burst 100 (900/min sustained = 0.015/ms). */
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 0, 60), 0);
    int64_t w = llmio__ratelimit_reserve(&rl, k, 0, 60);
    ASSERT_EQ(w, 1334); /* 20 tokens at 900/min: ceil(20 * 60000 / 900) */
    /* The refused reservation took no request slot: 9 remain. */
    for (int i = 0; i < 9; i++) {
        ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 0, 0), 0);
    }
    ASSERT_CMP(llmio__ratelimit_reserve(&rl, k, 0, 0), >, 0);
    /* A refund gives both back. */
    llmio__ratelimit_refund(&rl, k, 0, 60);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 0, 100), 0);
    /* Other keys are independent. */
    uint64_t k2 = llmio__ratelimit_key("openai", "gpt-4o-mini", "sk-test");
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k2, 0, 100), 0);
    llmio__ratelimit_cleanup(&rl);
}

TEST(ratelimit_limiter_pause_whole_key)
{
    struct llmio__ratelimiter rl;
    ASSERT_OK(llmio__ratelimit_init(&rl, NULL, 8, 600, 0));
    uint64_t k = llmio__ratelimit_key("anthropic", "claude", "key-a");
    uint64_t other = llmio__ratelimit_key("anthropic", "claude", "key-b");
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 0, 10), 0);
    /* One request got a 429 with Retry-After: 20 s: every request on the
     * key waits, not just that one; other API keys do not. */
    llmio__ratelimit_pause(&rl, k, 100, 20100);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 100, 10), 20000);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 20000, 10), 100);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, other, 100, 10), 0);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 20100, 10), 0);
    llmio__ratelimit_cleanup(&rl);
}

TEST(ratelimit_limiter_correct_with_usage)
{
    struct llmio__ratelimiter rl;
    ASSERT_OK(llmio__ratelimit_init(&rl, NULL, 0, 0, 7000));
    /* TPM 7000: burst 700, 6300/min sustained = 105 per second. */
    uint64_t k = llmio__ratelimit_key("openai", "gpt-4o", NULL);
    int64_t est = llmio__estimate_tokens("hello", 5) + 400; /* + max_tokens */
    ASSERT_EQ(est, 406);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 0, est), 0);
    /* Usage: 900 tokens in all. The 494 missing become a debt. */
    llmio__ratelimit_correct(&rl, k, 0, est, 900);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 0, 1), 1915); /* 201 short */
    /* An over-estimate comes back. */
    llmio__ratelimit_correct(&rl, k, 1915, 500, 0);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 1915, 500), 0);
    /* Unknown keys and negative usage are ignored. */
    llmio__ratelimit_correct(&rl, 12345, 0, 10, 1000000);
    ASSERT(!llmio__ratelimit_has_key(&rl, 12345));
    llmio__ratelimit_correct(&rl, k, 1915, 10, -1);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 1915, 1), 0);
    llmio__ratelimit_cleanup(&rl);
}

TEST(ratelimit_limiter_observe_openai_headers)
{
    struct llmio__ratelimiter rl;
    ASSERT_OK(llmio__ratelimit_init(&rl, NULL, 0, 0, 0));
    uint64_t k = llmio__ratelimit_key("openai", "gpt-4o", "sk-x");
    /* Nothing configured: unlimited until the server says. */
    for (int i = 0; i < 100; i++) {
        ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 0, 1000), 0);
    }
    /* The response headers, through http.c's parser. */
    const char *lines[] = {
        "HTTP/1.1 200 OK\r\n",
        "x-ratelimit-limit-requests: 60\r\n",
        "x-ratelimit-limit-tokens: 150000\r\n",
        "x-ratelimit-remaining-requests: 2\r\n",
        "x-ratelimit-remaining-tokens: 149984\r\n",
        "x-ratelimit-reset-requests: 57s\r\n",
        "x-ratelimit-reset-tokens: 6m0s\r\n",
    };
    struct llmio__http_hdrs hh;
    llmio__http_hdrs_init(&hh);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        llmio__http_header(&hh, lines[i], strlen(lines[i]), 0);
    }
    ASSERT_EQ(hh.rl_reset_tokens_ms, 360000);
    struct llmio__ratelimit_headers h;
    llmio__ratelimit_headers_init(&h);
    h.limit_requests = hh.rl_limit_requests;
    h.limit_tokens = hh.rl_limit_tokens;
    h.remaining_requests = hh.rl_remaining_requests;
    h.remaining_tokens = hh.rl_remaining_tokens;
    h.reset_requests_ms = hh.rl_reset_requests_ms;
    h.reset_tokens_ms = hh.rl_reset_tokens_ms;
    llmio__ratelimit_observe_headers(&rl, k, 0, &h);
    /* 60 RPM learned, 2 remaining: two now, then 54/min. A 6m0s token
     * reset with tokens left is not a pause. */
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 0, 10), 0);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 0, 10), 0);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 0, 10), 1112);

    /* A configured limit below the server's stays; one above is lowered. */
    llmio__ratelimit_set_limits(&rl, k, 2000, 20, 0); /* burst 2 */
    llmio__ratelimit_observe_headers(&rl, k, 2000, &h);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 100000, 1), 0);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 100000, 1), 0);
    ASSERT_CMP(llmio__ratelimit_reserve(&rl, k, 100000, 1), >, 0);
    llmio__ratelimit_set_limits(&rl, k, 100000, 1000, 0); /* burst 100 */
    h.remaining_requests = -1;
    llmio__ratelimit_observe_headers(&rl, k, 100000, &h); /* limit 60 */
    int n = 0;
    while (llmio__ratelimit_reserve(&rl, k, 1000000, 1) == 0) {
        n++;
    }
    ASSERT_EQ(n, 6); /* burst of a 60/min limit */
    /* Azure's 0 and -1 are "unknown", not a zero budget. */
    h.limit_requests = 0;
    h.remaining_requests = -1;
    llmio__ratelimit_observe_headers(&rl, k, 2000000, &h);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 2000000, 1), 0);
    llmio__ratelimit_cleanup(&rl);
}

TEST(ratelimit_limiter_observe_anthropic_reset)
{
    /* anthropic-ratelimit-*-reset are RFC 3339 times: the engine turns
     * them into relative resets with the wall clock. */
    const int64_t now_unix_ms = INT64_C(1795318754000); /* 03:39:14Z */
    int64_t at;
    const char *v = "2026-11-22T05:39:14Z";
    ASSERT(llmio__parse_rfc3339(v, strlen(v), &at));
    struct llmio__ratelimit_headers h;
    llmio__ratelimit_headers_init(&h);
    h.limit_tokens = 40000;
    h.remaining_tokens = 0;
    h.reset_tokens_ms = at - now_unix_ms;
    ASSERT_EQ(h.reset_tokens_ms, 7200000);

    struct llmio__ratelimiter rl;
    ASSERT_OK(llmio__ratelimit_init(&rl, NULL, 0, 50, 0));
    uint64_t k = llmio__ratelimit_key("anthropic", "claude-sonnet-4-5", "k");
    llmio__ratelimit_observe_headers(&rl, k, 500, &h);
    /* Nothing left until a reset two hours away: wait for it. */
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 500, 100), 7200000);
    ASSERT_EQ(llmio__ratelimit_reserve(&rl, k, 7200500, 100), 0);
    llmio__ratelimit_cleanup(&rl);
}

TEST(ratelimit_rfc3339)
{
    struct {
        const char *v;
        int64_t want; /* -1: rejected */
    } cases[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2026-11-22T03:39:14Z", INT64_C(1795318754000)},
        {"  2026-11-22T03:39:14Z\t", INT64_C(1795318754000)},
        {"2026-11-22t03:39:14z", INT64_C(1795318754000)},
        {"2026-11-22 03:39:14Z", INT64_C(1795318754000)},
        {"2026-11-22T03:39:14.5Z", INT64_C(1795318754500)},
        {"2026-11-22T03:39:14.123456Z", INT64_C(1795318754124)},
        {"2026-11-22T03:39:14.000000Z", INT64_C(1795318754000)},
        {"2026-11-22T03:39:14.0001Z", INT64_C(1795318754001)},
        {"2026-11-22T04:39:14+01:00", INT64_C(1795318754000)},
        {"2026-11-21T22:09:14-05:30", INT64_C(1795318754000)},
        {"2024-02-29T00:00:00Z", INT64_C(1709164800000)},
        {"1999-12-31T23:59:59Z", INT64_C(946684799000)},
        {"1999-12-31T23:59:60Z", INT64_C(946684800000)},
        {"2023-02-29T00:00:00Z", -1},
        {"2026-02-30T00:00:00Z", -1},
        {"2026-13-01T00:00:00Z", -1},
        {"2026-11-22T24:00:00Z", -1},
        {"2026-11-22T03:60:00Z", -1},
        {"2026-11-22", -1},
        {"2026-11-22T03:39:14", -1},
        {"2026-11-22T03:39:14.Z", -1},
        {"2026-11-22T03:39:14+0100", -1},
        {"2026-11-22T03:39:14Zjunk", -1},
        {"26-11-22T03:39:14Z", -1},
        {"garbage", -1},
        {"", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t out = 0;
        bool ok = llmio__parse_rfc3339(cases[i].v, strlen(cases[i].v), &out);
        if (ok != (cases[i].want >= 0) || out != cases[i].want) {
            test_fail_(__FILE__, __LINE__,
                       "\"%s\": ok %d, %" PRId64 " (want %" PRId64 ")",
                       cases[i].v, (int)ok, out, cases[i].want);
        }
    }
    int64_t out;
    ASSERT(!llmio__parse_rfc3339(NULL, 0, &out));
    ASSERT_EQ(out, -1);
    /* The length bounds the parse: no NUL needed. */
    const char *v = "2026-11-22T03:39:14Z trailing";
    ASSERT(llmio__parse_rfc3339(v, 20, &out));
    ASSERT_EQ(out, INT64_C(1795318754000));
}

TEST(ratelimit_many_keys)
{
    struct llmio__ratelimiter rl;
    ASSERT_OK(llmio__ratelimit_init(&rl, NULL, 64, 60, 0));
    char model[32];
    uint64_t keys[1000];
    /* Each key is paused until far away as it is used at time i: a key
     * still tracked answers with that pause, a forgotten one starts over. */
    for (int i = 0; i < 1000; i++) {
        snprintf(model, sizeof model, "model-%d", i);
        keys[i] = llmio__ratelimit_key("p", model, "k");
        ASSERT_EQ(llmio__ratelimit_reserve(&rl, keys[i], i, 1), 0);
        llmio__ratelimit_pause(&rl, keys[i], i, INT64_C(1) << 40);
        ASSERT_CMP(rl.nkeys, <=, 64);
        /* Exactly the 64 most recently used keys are tracked. */
        if (i % 97 == 0 || i >= 990) {
            for (int j = 0; j <= i; j++) {
                bool want = j > i - 64;
                if (llmio__ratelimit_has_key(&rl, keys[j]) != want) {
                    test_fail_(__FILE__, __LINE__, "i %d key %d: tracked %d", i,
                               j, (int)!want);
                }
            }
        }
    }
    ASSERT_EQ(rl.nkeys, 64);
    for (int j = 1000 - 64; j < 1000; j++) {
        ASSERT_CMP(llmio__ratelimit_reserve(&rl, keys[j], 2000, 1), >, 0);
    }
    /* Keys are distinct per field and never 0; no API key is stored. */
    ASSERT(llmio__ratelimit_key("ab", "c", NULL) !=
           llmio__ratelimit_key("a", "bc", NULL));
    ASSERT(llmio__ratelimit_key("a", "b", NULL) !=
           llmio__ratelimit_key("a", "b", ""));
    ASSERT(llmio__ratelimit_key("a", "b", "k1") !=
           llmio__ratelimit_key("a", "b", "k2"));
    ASSERT(llmio__ratelimit_key(NULL, NULL, NULL) != 0);
    llmio__ratelimit_cleanup(&rl);
    llmio__ratelimit_cleanup(&rl); /* twice is harmless */
}

TEST(ratelimit_hash_table_churn)
{
    /* Random inserts and LRU evictions against a model of what should be
     * tracked: exercises backward-shift deletion across wrapped probe
     * runs (16 slots for 8 keys). */
    struct llmio__ratelimiter rl;
    ASSERT_OK(llmio__ratelimit_init(&rl, NULL, 8, 60, 0));
    ASSERT_EQ(rl.nslots, 16);
    struct llmio__rng r;
    llmio__rng_seed(&r, 11);
    uint64_t universe[40];
    int64_t last_used[40];
    for (int i = 0; i < 40; i++) {
        universe[i] = llmio__rng_next(&r) | 1;
        last_used[i] = -1;
    }
    for (int64_t t = 1; t < 20000; t++) {
        int i = (int)llmio__rng_upto(&r, 39);
        llmio__ratelimit_reserve(&rl, universe[i], t, 0);
        last_used[i] = t;
        /* Tracked: the 8 most recently used. */
        int64_t times[40];
        int n = 0;
        for (int j = 0; j < 40; j++) {
            if (last_used[j] >= 0) {
                times[n++] = last_used[j];
            }
        }
        int64_t cutoff = -1; /* the 8th largest time */
        if (n > 8) {
            for (int a = 0; a < 8; a++) {
                int best = a;
                for (int b = a + 1; b < n; b++) {
                    if (times[b] > times[best]) {
                        best = b;
                    }
                }
                int64_t tmp = times[a];
                times[a] = times[best];
                times[best] = tmp;
            }
            cutoff = times[7];
        }
        for (int j = 0; j < 40; j++) {
            bool want = last_used[j] >= 0 && last_used[j] >= cutoff;
            ASSERT_EQ(llmio__ratelimit_has_key(&rl, universe[j]), want);
        }
    }
    llmio__ratelimit_cleanup(&rl);
}

TEST(ratelimit_estimate_tokens)
{
    ASSERT_EQ(llmio__estimate_tokens("", 0), LLMIO__TOKENS_PER_MESSAGE);
    ASSERT_EQ(llmio__estimate_tokens("a", 1), 1 + LLMIO__TOKENS_PER_MESSAGE);
    ASSERT_EQ(llmio__estimate_tokens("abcd", 4), 1 + LLMIO__TOKENS_PER_MESSAGE);
    ASSERT_EQ(llmio__estimate_tokens("abcde", 5),
              2 + LLMIO__TOKENS_PER_MESSAGE);
    ASSERT_EQ(llmio__estimate_tokens(NULL, 400),
              100 + LLMIO__TOKENS_PER_MESSAGE);
}

static void *failing_malloc(size_t n, void *user)
{
    (void)n;
    (void)user;
    return NULL;
}

static void *failing_realloc(void *p, size_t n, void *user)
{
    (void)p;
    (void)n;
    (void)user;
    return NULL;
}

static void never_free(void *p, void *user)
{
    (void)p;
    (void)user;
}

TEST(ratelimit_init_bounds_and_nomem)
{
    struct llmio__ratelimiter rl;
    ASSERT_OK(llmio__ratelimit_init(&rl, NULL, 1000000, 1, 1));
    ASSERT_EQ(rl.max_keys, 65536); /* bounded */
    llmio__ratelimit_cleanup(&rl);
    llmio_allocator failing;
    memset(&failing, 0, sizeof failing);
    failing.malloc = failing_malloc;
    failing.realloc = failing_realloc;
    failing.free = never_free;
    ASSERT_EQ(llmio__ratelimit_init(&rl, &failing, 4, 1, 1), LLMIO_E_NOMEM);
    llmio__ratelimit_cleanup(&rl); /* safe after a failed init */
}

TEST(ratelimit_reset_go_durations)
{
    /* OpenAI's x-ratelimit-reset-* and Gemini's retryDelay are parsed by
     * http.c (one parser per format); these are the values the limiter
     * and the retry policy receive. */
    struct {
        const char *v;
        int64_t ms;
    } cases[] = {
        {"6m0s", 360000}, {"17.4s", 17400},
        {"12ms", 12},     {"1h2m3s", 3723000},
        {"1s", 1000},     {"27s", 27000},
        {"3.700s", 3700}, {"0.5ms", 1},
        {"soon", -1},     {"", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got =
            llmio__http_parse_duration(cases[i].v, strlen(cases[i].v));
        if (got != cases[i].ms) {
            test_fail_(__FILE__, __LINE__, "\"%s\": %" PRId64 " != %" PRId64,
                       cases[i].v, got, cases[i].ms);
        }
    }
    /* A 17.4 s reset with nothing left, inside a minute: the bucket's own
     * refill paces requests; no pause. */
    struct llmio__bucket b;
    llmio__bucket_init(&b, 60, 0);
    llmio__bucket_sync(&b, 0, 0, llmio__http_parse_duration("17.4s", 5));
    ASSERT_EQ(llmio__bucket_reserve(&b, 0, 1), 1112);
}
