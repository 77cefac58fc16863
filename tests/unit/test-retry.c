/* test-retry.c - the retry policy (src/retry.c), with explicit times. */
#include "test.h"

#include "http.h"
#include "retry.h"

/* A failed attempt with nothing special about it: a 500 on attempt 1. */
static struct llmio__retry_input input(llmio_status st, int http_status)
{
    struct llmio__retry_input in;
    memset(&in, 0, sizeof in);
    in.status = st;
    in.http_status = http_status;
    in.attempt = 1;
    in.retry_after_ms = -1;
    in.retry_after_ms_header = -1;
    in.should_retry = -1;
    in.delivered_data = false;
    in.now_ms = 1000000;
    in.deadline_ms = -1;
    in.provider_code = NULL;
    return in;
}

static struct llmio__retry_decision decide(const struct llmio__retry_input *in)
{
    struct llmio__retry_policy p = llmio__retry_policy_default();
    struct llmio__rng rng;
    llmio__rng_seed(&rng, 42);
    return llmio__retry_decide(&p, in, &rng);
}

TEST(retry_policy_defaults)
{
    struct llmio__retry_policy p = llmio__retry_policy_default();
    ASSERT_EQ(p.max_attempts, 3);
    ASSERT_EQ(p.base_delay_ms, 500);
    ASSERT_EQ(p.max_delay_ms, 8000);
    ASSERT_EQ(p.max_retry_after_ms, 120000);
    ASSERT(!p.retry_after_stream_data);
}

TEST(retry_rng_deterministic)
{
    struct llmio__rng a, b;
    llmio__rng_seed(&a, 0);
    /* splitmix64's published first output for state 0. */
    ASSERT(llmio__rng_next(&a) == UINT64_C(0xe220a8397b1dcdaf));
    llmio__rng_seed(&a, 12345);
    llmio__rng_seed(&b, 12345);
    for (int i = 0; i < 1000; i++) {
        ASSERT(llmio__rng_next(&a) == llmio__rng_next(&b));
    }
    llmio__rng_seed(&b, 12346);
    int same = 0;
    for (int i = 0; i < 100; i++) {
        same += llmio__rng_next(&a) == llmio__rng_next(&b);
    }
    ASSERT_EQ(same, 0);

    /* The same seed gives the same decisions, delay for delay. */
    struct llmio__retry_policy p = llmio__retry_policy_default();
    p.max_attempts = 100;
    struct llmio__retry_input in = input(LLMIO_E_SERVER, 500);
    llmio__rng_seed(&a, 7);
    llmio__rng_seed(&b, 7);
    for (int n = 1; n < 50; n++) {
        in.attempt = n;
        struct llmio__retry_decision da = llmio__retry_decide(&p, &in, &a);
        struct llmio__retry_decision db = llmio__retry_decide(&p, &in, &b);
        ASSERT(da.retry && db.retry);
        ASSERT_EQ(da.delay_ms, db.delay_ms);
    }
}

TEST(retry_rng_upto_bounds)
{
    struct llmio__rng r;
    llmio__rng_seed(&r, 1);
    ASSERT_EQ(llmio__rng_upto(&r, 0), 0);
    ASSERT_EQ(llmio__rng_upto(&r, -5), 0);
    /* [0, 3] inclusive: every value appears, nothing outside. */
    int seen[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4000; i++) {
        int64_t v = llmio__rng_upto(&r, 3);
        ASSERT_CMP(v, >=, 0);
        ASSERT_CMP(v, <=, 3);
        seen[v]++;
    }
    for (int i = 0; i < 4; i++) {
        ASSERT_CMP(seen[i], >, 800); /* ~1000 each */
    }
    int64_t big = INT64_MAX;
    ASSERT_CMP(llmio__rng_upto(&r, big), >=, 0);
}

TEST(retry_backoff_bounds_many_seeds)
{
    struct llmio__retry_policy p = llmio__retry_policy_default();
    for (int n = 1; n <= 12; n++) {
        int64_t ceiling = p.base_delay_ms;
        for (int i = 1; i < n; i++) {
            ceiling *= 2;
        }
        if (ceiling > p.max_delay_ms) {
            ceiling = p.max_delay_ms;
        }
        int64_t lo = INT64_MAX, hi = -1;
        for (uint64_t seed = 0; seed < 2000; seed++) {
            struct llmio__rng r;
            llmio__rng_seed(&r, seed);
            int64_t d = llmio__retry_backoff(&p, n, &r);
            ASSERT_CMP(d, >=, 0);
            ASSERT_CMP(d, <=, ceiling);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
        /* Full jitter uses the whole interval, not 75-100% of it. */
        ASSERT_CMP(lo, <, ceiling / 20 + 1);
        ASSERT_CMP(hi, >, ceiling - ceiling / 20 - 1);
    }
    /* Huge attempt numbers do not overflow; attempt 0 acts as 1. */
    struct llmio__rng r;
    llmio__rng_seed(&r, 3);
    ASSERT_CMP(llmio__retry_backoff(&p, 1000000, &r), <=, p.max_delay_ms);
    ASSERT_CMP(llmio__retry_backoff(&p, 0, &r), <=, p.base_delay_ms);
    p.base_delay_ms = 0;
    ASSERT_EQ(llmio__retry_backoff(&p, 5, &r), 0);
    /* Extreme policies: no overflow on the way to the cap. */
    p.base_delay_ms = INT64_MAX / 3;
    p.max_delay_ms = INT64_MAX;
    for (int n = 1; n < 70; n++) {
        ASSERT_CMP(llmio__retry_backoff(&p, n, &r), >=, 0);
    }
}

TEST(retry_backoff_through_decide)
{
    struct llmio__retry_policy p = llmio__retry_policy_default();
    p.max_attempts = 10;
    struct llmio__retry_input in = input(LLMIO_E_OVERLOADED, 529);
    for (uint64_t seed = 0; seed < 500; seed++) {
        struct llmio__rng r;
        llmio__rng_seed(&r, seed);
        for (int n = 1; n < 10; n++) {
            in.attempt = n;
            struct llmio__retry_decision d = llmio__retry_decide(&p, &in, &r);
            ASSERT(d.retry);
            ASSERT(!d.restart);
            ASSERT_STR_EQ(d.why, LLMIO__WHY_BACKOFF);
            int64_t ceiling = n >= 5 ? 8000 : (int64_t)500 << (n - 1);
            ASSERT_CMP(d.delay_ms, >=, 0);
            ASSERT_CMP(d.delay_ms, <=, ceiling);
        }
    }
}

TEST(retry_hint_priority)
{
    /* retry-after-ms beats Retry-After beats backoff. */
    struct llmio__retry_input in = input(LLMIO_E_RATE_LIMIT, 429);
    in.retry_after_ms_header = 250;
    in.retry_after_ms = 2000;
    struct llmio__retry_decision d = decide(&in);
    ASSERT(d.retry);
    ASSERT_EQ(d.delay_ms, 250);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_RETRY_AFTER_MS);

    in.retry_after_ms_header = -1;
    d = decide(&in);
    ASSERT(d.retry);
    ASSERT_EQ(d.delay_ms, 2000);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_RETRY_AFTER);

    in.retry_after_ms = -1;
    d = decide(&in);
    ASSERT(d.retry);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_BACKOFF);
    ASSERT_CMP(d.delay_ms, <=, 500);

    /* A zero hint (a date already past) is not "retry at once": backoff. */
    in.retry_after_ms = 0;
    d = decide(&in);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_BACKOFF);
    in.retry_after_ms_header = 0;
    in.retry_after_ms = 1500;
    d = decide(&in);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_RETRY_AFTER);
    ASSERT_EQ(d.delay_ms, 1500);

    /* The hint is used as given, beyond the backoff cap (8 s). */
    in.retry_after_ms_header = -1;
    in.retry_after_ms = 60000;
    d = decide(&in);
    ASSERT(d.retry);
    ASSERT_EQ(d.delay_ms, 60000);
}

TEST(retry_http_date_retry_after)
{
    /* The engine parses the header with http.c and passes milliseconds:
     * a date 30 s after the wall clock means a 30 s delay. */
    const int64_t now_unix_ms = INT64_C(784111747000); /* 1994-11-06 08:49:07 */
    const char *v = "Sun, 06 Nov 1994 08:49:37 GMT";
    struct llmio__retry_input in = input(LLMIO_E_RATE_LIMIT, 429);
    in.retry_after_ms =
        llmio__http_parse_retry_after(v, strlen(v), now_unix_ms);
    ASSERT_EQ(in.retry_after_ms, 30000);
    struct llmio__retry_decision d = decide(&in);
    ASSERT(d.retry);
    ASSERT_EQ(d.delay_ms, 30000);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_RETRY_AFTER);

    /* RFC 850 and asctime forms of the same instant. */
    v = "Sunday, 06-Nov-94 08:49:37 GMT";
    ASSERT_EQ(llmio__http_parse_retry_after(v, strlen(v), now_unix_ms), 30000);
    v = "Sun Nov  6 08:49:37 1994";
    ASSERT_EQ(llmio__http_parse_retry_after(v, strlen(v), now_unix_ms), 30000);

    /* Garbage gives no hint, so backoff decides. */
    v = "soon";
    in.retry_after_ms =
        llmio__http_parse_retry_after(v, strlen(v), now_unix_ms);
    ASSERT_EQ(in.retry_after_ms, -1);
    d = decide(&in);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_BACKOFF);

    /* Fractional seconds, as openai-python tolerates. */
    v = "1.5";
    ASSERT_EQ(llmio__http_parse_retry_after(v, strlen(v), now_unix_ms), 1500);
}

TEST(retry_headers_through_http)
{
    /* The full path: header lines -> llmio__http_hdrs -> decision. */
    struct llmio__http_hdrs h;
    llmio__http_hdrs_init(&h);
    const char *lines[] = {"HTTP/1.1 429 Too Many Requests\r\n",
                           "retry-after: 3\r\n", "retry-after-ms: 2500\r\n",
                           "x-should-retry: true\r\n"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        llmio__http_header(&h, lines[i], strlen(lines[i]), 0);
    }
    struct llmio__retry_input in = input(LLMIO_E_RATE_LIMIT, h.status);
    in.retry_after_ms = h.retry_after_ms;
    in.retry_after_ms_header = h.retry_after_ms_ms;
    in.should_retry = h.should_retry;
    struct llmio__retry_decision d = decide(&in);
    ASSERT(d.retry);
    ASSERT_EQ(d.delay_ms, 2500);
}

TEST(retry_should_retry_overrides)
{
    /* x-should-retry: false on a 500: no retry. */
    struct llmio__retry_input in = input(LLMIO_E_SERVER, 500);
    in.should_retry = 0;
    struct llmio__retry_decision d = decide(&in);
    ASSERT(!d.retry);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_SHOULD_RETRY_FALSE);
    ASSERT_EQ(d.delay_ms, -1);

    /* x-should-retry: true on a 400: retry. */
    in = input(LLMIO_E_BAD_REQUEST, 400);
    in.should_retry = 1;
    d = decide(&in);
    ASSERT(d.retry);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_BACKOFF);

    /* ... and on a 401. */
    in = input(LLMIO_E_AUTH, 401);
    in.should_retry = 1;
    ASSERT(decide(&in).retry);

    /* It speaks for the status only: not for a reset after the status
     * line, nor for a local failure. */
    in = input(LLMIO_E_NETWORK, 200);
    in.should_retry = 0;
    ASSERT(decide(&in).retry);
    in = input(LLMIO_E_CANCELLED, 500);
    in.should_retry = 1;
    ASSERT(!decide(&in).retry);

    /* Still bounded by attempts and the deadline. */
    in = input(LLMIO_E_BAD_REQUEST, 400);
    in.should_retry = 1;
    in.attempt = 3;
    ASSERT(!decide(&in).retry);
}

TEST(retry_insufficient_quota_never)
{
    struct llmio__retry_input in = input(LLMIO_E_RATE_LIMIT, 429);
    in.provider_code = "insufficient_quota";
    struct llmio__retry_decision d = decide(&in);
    ASSERT(!d.retry);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_QUOTA);
    in.should_retry = 1;
    in.retry_after_ms = 1000;
    ASSERT(!decide(&in).retry);
    /* An ordinary rate limit is retried. */
    in.provider_code = "rate_limit_exceeded";
    ASSERT(decide(&in).retry);
}

TEST(retry_deadline_cut)
{
    struct llmio__retry_input in = input(LLMIO_E_RATE_LIMIT, 429);
    in.now_ms = 10000;
    in.retry_after_ms = 2000;

    in.deadline_ms = 12001; /* the retry would start 1 ms before it */
    struct llmio__retry_decision d = decide(&in);
    ASSERT(d.retry);
    ASSERT_EQ(d.delay_ms, 2000);

    in.deadline_ms = 12000; /* exactly at the deadline: no time left */
    d = decide(&in);
    ASSERT(!d.retry);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_DEADLINE);
    ASSERT_EQ(d.delay_ms, 2000);

    in.deadline_ms = 11000;
    d = decide(&in);
    ASSERT(!d.retry);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_DEADLINE);

    in.deadline_ms = 9000; /* already past */
    in.retry_after_ms = -1;
    d = decide(&in);
    ASSERT(!d.retry);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_DEADLINE);

    /* Backoff delays are cut the same way, for every seed. */
    in.deadline_ms = in.now_ms + 300;
    struct llmio__retry_policy p = llmio__retry_policy_default();
    int cut = 0, kept = 0;
    for (uint64_t seed = 0; seed < 1000; seed++) {
        struct llmio__rng r;
        llmio__rng_seed(&r, seed);
        d = llmio__retry_decide(&p, &in, &r);
        if (d.retry) {
            ASSERT_CMP(in.now_ms + d.delay_ms, <, in.deadline_ms);
            kept++;
        } else {
            ASSERT_STR_EQ(d.why, LLMIO__WHY_DEADLINE);
            ASSERT_CMP(in.now_ms + d.delay_ms, >=, in.deadline_ms);
            cut++;
        }
    }
    ASSERT_CMP(cut, >, 0);
    ASSERT_CMP(kept, >, 0);
}

TEST(retry_max_retry_after_exceeded)
{
    struct llmio__retry_input in = input(LLMIO_E_RATE_LIMIT, 429);
    in.retry_after_ms = 300000; /* "retry-after: 300" */
    struct llmio__retry_decision d = decide(&in);
    ASSERT(!d.retry);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_RETRY_AFTER_TOO_LONG);
    ASSERT_EQ(d.delay_ms, 300000); /* reported, for llmio_error */

    in.retry_after_ms = 120000; /* the limit itself is waited out */
    d = decide(&in);
    ASSERT(d.retry);
    ASSERT_EQ(d.delay_ms, 120000);

    /* Gemini's daily quota: retryDelay "52758s". */
    in.retry_after_ms = -1;
    in.retry_after_ms_header = 52758000;
    d = decide(&in);
    ASSERT(!d.retry);
    ASSERT_EQ(d.delay_ms, 52758000);

    /* A stricter policy (the Anthropic SDK honours up to 60 s). */
    struct llmio__retry_policy p = llmio__retry_policy_default();
    p.max_retry_after_ms = 60000;
    struct llmio__rng r;
    llmio__rng_seed(&r, 1);
    in.retry_after_ms_header = -1;
    in.retry_after_ms = 90000;
    d = llmio__retry_decide(&p, &in, &r);
    ASSERT(!d.retry);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_RETRY_AFTER_TOO_LONG);
}

TEST(retry_stream_data_delivered)
{
    struct llmio__retry_input in = input(LLMIO_E_NETWORK, 200);
    in.delivered_data = true;
    struct llmio__retry_decision d = decide(&in);
    ASSERT(!d.retry);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_STREAM_DATA);

    /* An error event mid-stream (no status line of its own). */
    in = input(LLMIO_E_OVERLOADED, 0);
    in.delivered_data = true;
    ASSERT(!decide(&in).retry);
    in.delivered_data = false;
    ASSERT(decide(&in).retry);

    /* Opted in: retried, flagged as a restart. */
    struct llmio__retry_policy p = llmio__retry_policy_default();
    p.retry_after_stream_data = true;
    struct llmio__rng r;
    llmio__rng_seed(&r, 9);
    in = input(LLMIO_E_TIMEOUT, 200);
    in.delivered_data = true;
    d = llmio__retry_decide(&p, &in, &r);
    ASSERT(d.retry);
    ASSERT(d.restart);
    /* Not delivered: a retry, not a restart. */
    in.delivered_data = false;
    d = llmio__retry_decide(&p, &in, &r);
    ASSERT(d.retry);
    ASSERT(!d.restart);
}

TEST(retry_max_attempts)
{
    struct llmio__retry_input in = input(LLMIO_E_SERVER, 503);
    in.attempt = 1;
    ASSERT(decide(&in).retry);
    in.attempt = 2;
    ASSERT(decide(&in).retry);
    in.attempt = 3;
    struct llmio__retry_decision d = decide(&in);
    ASSERT(!d.retry);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_MAX_ATTEMPTS);

    struct llmio__retry_policy p = llmio__retry_policy_default();
    p.max_attempts = 1; /* retries off */
    struct llmio__rng r;
    llmio__rng_seed(&r, 1);
    in.attempt = 1;
    ASSERT(!llmio__retry_decide(&p, &in, &r).retry);
}

TEST(retry_every_status_class)
{
    /* Transport failures without a response. */
    struct {
        llmio_status st;
        bool retry;
    } local[] = {
        {LLMIO_OK, false},
        {LLMIO_E_INVALID, false},
        {LLMIO_E_STATE, false},
        {LLMIO_E_NOMEM, false},
        {LLMIO_E_UNSUPPORTED, false},
        {LLMIO_E_CONNECT, true},
        {LLMIO_E_TLS, false},
        {LLMIO_E_NETWORK, true},
        {LLMIO_E_TIMEOUT, true},
        {LLMIO_E_CANCELLED, false},
        {LLMIO_E_ABORTED, false},
        {LLMIO_E_AUTH, false},
        {LLMIO_E_BAD_REQUEST, false},
        {LLMIO_E_RATE_LIMIT, true},
        {LLMIO_E_OVERLOADED, true},
        {LLMIO_E_SERVER, true},
        {LLMIO_E_HTTP, false},
        {LLMIO_E_PROTOCOL, false},
        {LLMIO_E_TOO_BIG, false},
        {LLMIO_E_CONTEXT_LENGTH, false},
    };
    ASSERT_EQ(sizeof local / sizeof local[0], LLMIO_STATUS_COUNT_);
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        struct llmio__retry_input in = input(local[i].st, 0);
        struct llmio__retry_decision d = decide(&in);
        if (d.retry != local[i].retry) {
            test_fail_(__FILE__, __LINE__, "%s: retry %d",
                       llmio_status_name(local[i].st), (int)d.retry);
        }
    }
    struct llmio__retry_input ok = input(LLMIO_OK, 200);
    ASSERT_STR_EQ(decide(&ok).why, LLMIO__WHY_OK);

    /* HTTP statuses, with the status http.c maps each one to. */
    struct {
        int code;
        bool retry;
    } http[] = {
        {400, false}, {401, false}, {403, false}, {404, false}, {408, true},
        {409, true},  {413, false}, {422, false}, {429, true},  {500, true},
        {501, false}, {502, true},  {503, true},  {504, true},  {505, false},
        {520, true},  {529, true},  {302, false}, {418, false},
    };
    for (size_t i = 0; i < sizeof http / sizeof http[0]; i++) {
        llmio_status st = llmio__http_status_code(http[i].code);
        struct llmio__retry_input in = input(st, http[i].code);
        struct llmio__retry_decision d = decide(&in);
        if (d.retry != http[i].retry) {
            test_fail_(__FILE__, __LINE__, "HTTP %d (%s): retry %d, why %s",
                       http[i].code, llmio_status_name(st), (int)d.retry,
                       d.why);
        }
        if (!d.retry) {
            ASSERT_STR_EQ(d.why, LLMIO__WHY_NOT_RETRYABLE);
        }
    }

    /* A connect failure and a reset before the first byte. */
    struct llmio__retry_input in = input(LLMIO_E_CONNECT, 0);
    ASSERT(decide(&in).retry);
    in = input(LLMIO_E_NETWORK, 0);
    ASSERT(decide(&in).retry);
}

/* An error event inside a 200 stream: the 200 is not the cause, so the
 * status table decides (SERVER, OVERLOADED retried; PROTOCOL not). */
TEST(retry_error_event_in_200_stream)
{
    struct llmio__retry_input in = input(LLMIO_E_SERVER, 200);
    ASSERT(decide(&in).retry);
    in = input(LLMIO_E_OVERLOADED, 200);
    ASSERT(decide(&in).retry);
    in = input(LLMIO_E_PROTOCOL, 200);
    ASSERT(!decide(&in).retry);
    in = input(LLMIO_E_SERVER, 200);
    in.delivered_data = true;
    struct llmio__retry_decision d = decide(&in);
    ASSERT(!d.retry);
    ASSERT_STR_EQ(d.why, LLMIO__WHY_STREAM_DATA);
}

/* A request's overrides: fields < 0 keep the client's values. */
TEST(retry_policy_apply_override)
{
    struct llmio__retry_policy client = llmio__retry_policy_default();
    client.max_attempts = 7;
    struct llmio__retry_override o = llmio__retry_override_none();
    struct llmio__retry_policy p = llmio__retry_policy_apply(&client, &o);
    ASSERT_EQ(p.max_attempts, 7);
    ASSERT_EQ(p.base_delay_ms, 500);
    ASSERT_EQ(p.max_delay_ms, 8000);
    ASSERT_EQ(p.max_retry_after_ms, 120000);
    ASSERT(!p.retry_after_stream_data);

    o.max_attempts = 1;
    o.base_delay_ms = 0;
    o.max_delay_ms = 0;
    o.max_retry_after_ms = 0;
    o.stream_restart = 1;
    p = llmio__retry_policy_apply(&client, &o);
    ASSERT_EQ(p.max_attempts, 1);
    ASSERT_EQ(p.base_delay_ms, 0);
    ASSERT_EQ(p.max_delay_ms, 0);
    ASSERT_EQ(p.max_retry_after_ms, 0);
    ASSERT(p.retry_after_stream_data);

    /* Off per request wins over on per client. */
    client.retry_after_stream_data = true;
    o = llmio__retry_override_none();
    o.stream_restart = 0;
    ASSERT(!llmio__retry_policy_apply(&client, &o).retry_after_stream_data);
    o.stream_restart = -1;
    ASSERT(llmio__retry_policy_apply(&client, &o).retry_after_stream_data);

    /* A base above the client's cap: backoff stays within the cap. */
    o = llmio__retry_override_none();
    o.base_delay_ms = 50000;
    p = llmio__retry_policy_apply(&client, &o);
    struct llmio__rng rng;
    llmio__rng_seed(&rng, 1);
    for (int i = 0; i < 100; i++) {
        ASSERT_CMP(llmio__retry_backoff(&p, 1, &rng), <=, 8000);
    }
}
