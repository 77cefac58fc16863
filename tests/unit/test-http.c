/* test-http.c - HTTP status classification and response-header parsing
 * (src/http.c), with a fixed wall clock. */
#include "test.h"

#include "http.h"

/* 2026-11-22 03:00:00 UTC in unix milliseconds. */
#define NOW_MS ((int64_t)1795316400000)

static void feed(struct llmio__http_hdrs *h, const char *line)
{
    llmio__http_header(h, line, strlen(line), NOW_MS);
}

static int64_t ra(const char *v)
{
    return llmio__http_parse_retry_after(v, strlen(v), NOW_MS);
}

static int64_t dur(const char *v)
{
    return llmio__http_parse_duration(v, strlen(v));
}

TEST(http_status_classes)
{
    ASSERT_EQ(llmio__http_status_code(200), LLMIO_OK);
    ASSERT_EQ(llmio__http_status_code(204), LLMIO_OK);
    ASSERT_EQ(llmio__http_status_code(401), LLMIO_E_AUTH);
    ASSERT_EQ(llmio__http_status_code(403), LLMIO_E_AUTH);
    ASSERT_EQ(llmio__http_status_code(400), LLMIO_E_BAD_REQUEST);
    ASSERT_EQ(llmio__http_status_code(404), LLMIO_E_BAD_REQUEST);
    ASSERT_EQ(llmio__http_status_code(409), LLMIO_E_BAD_REQUEST);
    ASSERT_EQ(llmio__http_status_code(413), LLMIO_E_BAD_REQUEST);
    ASSERT_EQ(llmio__http_status_code(422), LLMIO_E_BAD_REQUEST);
    ASSERT_EQ(llmio__http_status_code(429), LLMIO_E_RATE_LIMIT);
    ASSERT_EQ(llmio__http_status_code(503), LLMIO_E_OVERLOADED);
    ASSERT_EQ(llmio__http_status_code(529), LLMIO_E_OVERLOADED);
    ASSERT_EQ(llmio__http_status_code(500), LLMIO_E_SERVER);
    ASSERT_EQ(llmio__http_status_code(502), LLMIO_E_SERVER);
    ASSERT_EQ(llmio__http_status_code(504), LLMIO_E_SERVER);
    ASSERT_EQ(llmio__http_status_code(599), LLMIO_E_SERVER);
    ASSERT_EQ(llmio__http_status_code(408), LLMIO_E_HTTP);
    ASSERT_EQ(llmio__http_status_code(418), LLMIO_E_HTTP);
    ASSERT_EQ(llmio__http_status_code(301), LLMIO_E_HTTP);
    ASSERT_EQ(llmio__http_status_code(100), LLMIO_E_HTTP);
    ASSERT_EQ(llmio__http_status_code(0), LLMIO_E_HTTP);
    ASSERT_EQ(llmio__http_status_code(600), LLMIO_E_HTTP);
}

TEST(http_retry_after_seconds)
{
    ASSERT_EQ(ra("2"), 2000);
    ASSERT_EQ(ra(" 2 \r\n"), 2000);
    ASSERT_EQ(ra("0"), 0);
    ASSERT_EQ(ra("1.5"), 1500);
    ASSERT_EQ(ra("0.3"), 300);
    ASSERT_EQ(ra(".25"), 250);
    ASSERT_EQ(ra("0.0001"), 1); /* rounded up: never earlier than asked */
    ASSERT_EQ(ra("120"), 120000);
    ASSERT_EQ(ra("99999999999999999999999"), 86400000); /* capped */
    ASSERT_EQ(ra(""), -1);
    ASSERT_EQ(ra("-1"), -1);
    ASSERT_EQ(ra("2s"), -1);
    ASSERT_EQ(ra("1.2.3"), -1);
    ASSERT_EQ(ra("abc"), -1);
    ASSERT_EQ(llmio__http_parse_retry_after(NULL, 0, NOW_MS), -1);
}

TEST(http_retry_after_dates)
{
    /* The three HTTP-date forms, all 90 s after NOW_MS. */
    ASSERT_EQ(ra("Sun, 22 Nov 2026 03:01:30 GMT"), 90000);
    ASSERT_EQ(ra("Sunday, 22-Nov-26 03:01:30 GMT"), 90000);
    ASSERT_EQ(ra("Sun Nov 22 03:01:30 2026"), 90000);
    ASSERT_EQ(ra("Sun Nov  2 03:00:00 2026"), 0); /* past: retry now */
    ASSERT_EQ(ra("Mon, 01 Jan 1990 00:00:00 GMT"), 0);
    ASSERT_EQ(ra("Tue, 01 Dec 2026 03:00:00 GMT"), 86400000); /* capped */
    ASSERT_EQ(ra("Sun, 29 Feb 2028 00:00:00 GMT"), 86400000);
    ASSERT_EQ(ra("Sun, 22 Foo 2026 03:01:30 GMT"), -1);
    ASSERT_EQ(ra("Sun, 22 Nov 2026 25:01:30 GMT"), -1);
    ASSERT_EQ(ra("Sun, 22 Nov 2026"), -1);
    ASSERT_EQ(ra("Sun, 22 Nov 2026 03:01:30 GMT trailing words"), -1);
}

TEST(http_durations)
{
    ASSERT_EQ(dur("12ms"), 12);
    ASSERT_EQ(dur("1s"), 1000);
    ASSERT_EQ(dur("6m0s"), 360000);
    ASSERT_EQ(dur("1h2m3s"), 3723000);
    ASSERT_EQ(dur("17.4s"), 17400);
    ASSERT_EQ(dur("250us"), 1);
    ASSERT_EQ(dur("0s"), 0);
    ASSERT_EQ(dur("100000000000ns"), 100000);
    ASSERT_EQ(dur("48h"), 86400000);
    ASSERT_EQ(dur(""), -1);
    ASSERT_EQ(dur("12"), -1);
    ASSERT_EQ(dur("5d"), -1);
    ASSERT_EQ(dur("-1s"), -1);
}

TEST(http_headers_openai)
{
    struct llmio__http_hdrs h;
    llmio__http_hdrs_init(&h);
    ASSERT_EQ(h.status, 0);
    ASSERT_EQ(llmio__http_retry_after(&h), -1);
    feed(&h, "HTTP/1.1 429 Too Many Requests\r\n");
    feed(&h, "Content-Type: application/json; charset=utf-8\r\n");
    feed(&h, "x-request-id: req_9f2c\r\n");
    feed(&h, "Retry-After: 2\r\n");
    feed(&h, "x-ratelimit-limit-requests: 60\r\n");
    feed(&h, "x-ratelimit-limit-tokens: 150000\r\n");
    feed(&h, "x-ratelimit-remaining-requests: 59\r\n");
    feed(&h, "x-ratelimit-remaining-tokens: 149984\r\n");
    feed(&h, "x-ratelimit-reset-requests: 1s\r\n");
    feed(&h, "x-ratelimit-reset-tokens: 6m0s\r\n");
    feed(&h, "X-Should-Retry: false\r\n");
    feed(&h, "\r\n");
    ASSERT_EQ(h.status, 429);
    ASSERT_STR_EQ(h.content_type, "application/json");
    ASSERT_STR_EQ(h.request_id, "req_9f2c");
    ASSERT_EQ(llmio__http_retry_after(&h), 2000);
    ASSERT_EQ(h.rl_limit_requests, 60);
    ASSERT_EQ(h.rl_limit_tokens, 150000);
    ASSERT_EQ(h.rl_remaining_requests, 59);
    ASSERT_EQ(h.rl_remaining_tokens, 149984);
    ASSERT_EQ(h.rl_reset_requests_ms, 1000);
    ASSERT_EQ(h.rl_reset_tokens_ms, 360000);
    ASSERT_EQ(h.should_retry, 0);

    /* retry-after-ms wins over Retry-After, in either order. */
    feed(&h, "retry-after-ms: 1500\r\n");
    ASSERT_EQ(llmio__http_retry_after(&h), 1500);
    feed(&h, "retry-after: 9\r\n");
    ASSERT_EQ(llmio__http_retry_after(&h), 1500);
    feed(&h, "x-should-retry: TRUE\r\n");
    ASSERT_EQ(h.should_retry, 1);
    feed(&h, "x-should-retry: maybe\r\n");
    ASSERT_EQ(h.should_retry, -1);
}

/* Anthropic's rate-limit headers with the wall clock fixed at NOW_MS
 * (03:00:00Z): RFC 3339 resets become ms from now, rounded up, 0 when
 * past; requests and tokens land where OpenAI's do, input and output
 * tokens apart. */
TEST(http_headers_anthropic_ratelimit)
{
    struct llmio__http_hdrs h;
    llmio__http_hdrs_init(&h);
    feed(&h, "HTTP/1.1 200 OK\r\n");
    feed(&h, "anthropic-ratelimit-requests-limit: 50\r\n");
    feed(&h, "anthropic-ratelimit-requests-remaining: 49\r\n");
    feed(&h, "anthropic-ratelimit-requests-reset: 2026-11-22T03:00:01Z\r\n");
    feed(&h, "Anthropic-RateLimit-Tokens-Limit: 90000\r\n");
    feed(&h, "anthropic-ratelimit-tokens-remaining: 89000\r\n");
    feed(&h, "anthropic-ratelimit-tokens-reset: 2026-11-22T03:00:14.0001Z\r\n");
    feed(&h, "anthropic-ratelimit-input-tokens-limit: 80000\r\n");
    feed(&h, "anthropic-ratelimit-input-tokens-remaining: 79500\r\n");
    feed(&h, "anthropic-ratelimit-input-tokens-reset: "
             "2026-11-22T04:00:30+01:00\r\n");
    feed(&h, "anthropic-ratelimit-output-tokens-limit: 16000\r\n");
    feed(&h, "anthropic-ratelimit-output-tokens-remaining: 15800\r\n");
    feed(&h, "anthropic-ratelimit-output-tokens-reset: "
             "2026-11-22T02:59:00Z\r\n");
    feed(&h, "anthropic-ratelimit-requests-bogus: 7\r\n");
    ASSERT_EQ(h.rl_limit_requests, 50);
    ASSERT_EQ(h.rl_remaining_requests, 49);
    ASSERT_EQ(h.rl_reset_requests_ms, 1000);
    ASSERT_EQ(h.rl_limit_tokens, 90000);
    ASSERT_EQ(h.rl_remaining_tokens, 89000);
    ASSERT_EQ(h.rl_reset_tokens_ms, 14001); /* 14.0001 s, rounded up */
    ASSERT_EQ(h.rl_in_limit, 80000);
    ASSERT_EQ(h.rl_in_remaining, 79500);
    ASSERT_EQ(h.rl_in_reset_ms, 30000); /* +01:00 is an hour ahead */
    ASSERT_EQ(h.rl_out_limit, 16000);
    ASSERT_EQ(h.rl_out_remaining, 15800);
    ASSERT_EQ(h.rl_out_reset_ms, 0); /* already past */
    /* Unparsable values stay unknown. */
    feed(&h, "anthropic-ratelimit-requests-reset: tomorrow\r\n");
    feed(&h, "anthropic-ratelimit-requests-limit: 5x\r\n");
    ASSERT_EQ(h.rl_reset_requests_ms, -1);
    ASSERT_EQ(h.rl_limit_requests, -1);
    /* A new status line forgets them all. */
    feed(&h, "HTTP/1.1 429 Too Many Requests\r\n");
    ASSERT_EQ(h.rl_in_limit, -1);
    ASSERT_EQ(h.rl_remaining_tokens, -1);
}

/* RL_SKIP (no limit configured): the rate-limit headers stay unknown on
 * a 200, are read on a 429, and the flag outlives each status line; the
 * other headers are read either way. */
TEST(http_headers_ratelimit_skipped_unless_429)
{
    struct llmio__http_hdrs h;
    llmio__http_hdrs_init(&h);
    h.rl_skip = true;
    feed(&h, "HTTP/1.1 200 OK\r\n");
    feed(&h, "x-ratelimit-remaining-requests: 0\r\n");
    feed(&h, "x-ratelimit-reset-requests: 1s\r\n");
    feed(&h, "anthropic-ratelimit-requests-remaining: 0\r\n");
    feed(&h, "retry-after: 2\r\n");
    feed(&h, "x-request-id: req_1\r\n");
    ASSERT(h.rl_skip);
    ASSERT_EQ(h.rl_remaining_requests, -1);
    ASSERT_EQ(h.rl_reset_requests_ms, -1);
    ASSERT_EQ(h.retry_after_ms, 2000);
    ASSERT_STR_EQ(h.request_id, "req_1");
    feed(&h, "HTTP/1.1 429 Too Many Requests\r\n");
    ASSERT(h.rl_skip);
    feed(&h, "x-ratelimit-remaining-requests: 0\r\n");
    feed(&h, "x-ratelimit-reset-requests: 1s\r\n");
    ASSERT_EQ(h.rl_remaining_requests, 0);
    ASSERT_EQ(h.rl_reset_requests_ms, 1000);
}

TEST(http_headers_status_line_resets)
{
    struct llmio__http_hdrs h;
    llmio__http_hdrs_init(&h);
    feed(&h, "HTTP/1.1 100 Continue\r\n");
    ASSERT_EQ(h.status, 100);
    feed(&h, "Retry-After: 3\r\n");
    feed(&h, "HTTP/2 200\r\n");
    ASSERT_EQ(h.status, 200);
    ASSERT_EQ(llmio__http_retry_after(&h), -1);
    feed(&h, "content-type: TEXT/Event-Stream\r\n");
    ASSERT_STR_EQ(h.content_type, "text/event-stream");
    feed(&h, "HTTP/1.1 abc\r\n");
    ASSERT_EQ(h.status, 0);
    feed(&h, "HTTP/1.1 2000 x\r\n");
    ASSERT_EQ(h.status, 0);
}

TEST(http_headers_request_id_variants)
{
    struct llmio__http_hdrs h;
    llmio__http_hdrs_init(&h);
    /* Anthropic's request-id, then x-request-id overrides it, and a later
     * request-id does not take it back. */
    feed(&h, "request-id: req_anthropic\r\n");
    ASSERT_STR_EQ(h.request_id, "req_anthropic");
    feed(&h, "X-Request-ID: req_x\r\n");
    ASSERT_STR_EQ(h.request_id, "req_x");
    feed(&h, "request-id: other\r\n");
    ASSERT_STR_EQ(h.request_id, "req_x");

    /* Control bytes are dropped and long ids truncated to fit. */
    llmio__http_hdrs_init(&h);
    feed(&h, "x-request-id: a\x01"
             "b\x7f"
             "c\r\n");
    ASSERT_STR_EQ(h.request_id, "abc");
    char line[400];
    memcpy(line, "x-request-id: ", 14);
    memset(line + 14, 'z', 300);
    line[314] = '\0';
    feed(&h, line);
    ASSERT_EQ(strlen(h.request_id), sizeof h.request_id - 1);
}

TEST(http_headers_malformed_ignored)
{
    struct llmio__http_hdrs h;
    llmio__http_hdrs_init(&h);
    feed(&h, "no colon here\r\n");
    feed(&h, ": empty name\r\n");
    feed(&h, "x-ratelimit-limit-requests: -1\r\n");
    feed(&h, "x-ratelimit-remaining-tokens: lots\r\n");
    feed(&h, "x-ratelimit-reset-tokens: soon\r\n");
    feed(&h, "retry-after: later\r\n");
    feed(&h, "retry-after-ms: x\r\n");
    ASSERT_EQ(h.rl_limit_requests, -1);
    ASSERT_EQ(h.rl_remaining_tokens, -1);
    ASSERT_EQ(h.rl_reset_tokens_ms, -1);
    ASSERT_EQ(llmio__http_retry_after(&h), -1);
    /* Lengths are honoured: nothing past LEN is read. */
    llmio__http_header(&h, "retry-after: 12345", 14, NOW_MS);
    ASSERT_EQ(llmio__http_retry_after(&h), 1000);
    llmio__http_header(&h, NULL, 0, NOW_MS);
}
