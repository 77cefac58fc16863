/*
 * test-mock-faults.c - llmio-mock: scripted faults, pacing, scenario files.
 */
#include "support/http.h"
#include "test.h"

#define AUTH "Authorization: Bearer sk-test\r\n"

static const char *stream_body(const char *text)
{
    static char b[512];
    snprintf(b, sizeof b,
             "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":"
             "\"user\",\"content\":\"%s\"}]}",
             text);
    return b;
}

static const char *plain_body =
    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

static void start(struct test_mock *m)
{
    const char *args[] = {"--scenario-dir", "tests/scenarios", NULL};
    test_mock_start(m, args);
}

/* Sends a chat request with scenario SCN on a new connection H. */
static void send_scn(struct test_mock *m, struct test_http *h, const char *scn,
                     const char *body)
{
    char hdrs[1024];
    snprintf(hdrs, sizeof hdrs, "X-Mock-Scenario: %s\r\n" AUTH, scn);
    test_http_open(h, m->port);
    ASSERT(test_http_post(h, "/v1/chat/completions", hdrs, body));
}

TEST(mock_fault_stall_after_events)
{
    struct test_mock m;
    start(&m);
    struct test_http h;
    send_scn(&m, &h, "stall-after-events=2", stream_body("a b c d"));
    struct test_http_resp r;
    ASSERT(!test_http_read(&h, &r, 400));
    ASSERT(!h.eof && !h.reset);
    ASSERT_EQ(r.status, 200);
    /* The role chunk and two content events, then nothing. */
    ASSERT_CONTAINS(r.body, "\"content\":\"a\"");
    ASSERT_CONTAINS(r.body, "\"content\":\" b\"");
    ASSERT(strstr(r.body, "\" c\"") == NULL);
    ASSERT_EQ(test_count(r.body, "data: "), 3);
    ASSERT_EQ(test_http_recv_more(&h, 300), -1);
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_fault_reset_before_headers)
{
    struct test_mock m;
    start(&m);
    struct test_http h;
    send_scn(&m, &h, "reset", plain_body);
    struct test_http_resp r;
    ASSERT(!test_http_read(&h, &r, 2000));
    ASSERT(h.reset);
    ASSERT_EQ(h.nreads, 0);
    ASSERT_EQ(r.raw_len, 0);
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_fault_one_byte_writes)
{
    struct test_mock m;
    start(&m);
    struct test_http h;
    send_scn(&m, &h, "one-byte;text=ok", stream_body("x"));
    struct test_http_resp r;
    ASSERT(test_http_read(&h, &r, 5000));
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"content\":\"ok\"");
    /* Every write is one byte with a 1 ms gap: the client sees many small
     * reads (scheduling may merge a few). */
    ASSERT_CMP(h.nreads, >=, (int)(r.raw_len / 8));
    ASSERT_EQ(h.min_read, 1);
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_fault_close_after_bytes)
{
    struct test_mock m;
    start(&m);
    struct test_http h;
    send_scn(&m, &h, "close-after-bytes=10", stream_body("a b c"));
    struct test_http_resp r;
    ASSERT(!test_http_read(&h, &r, 2000));
    ASSERT(h.eof);
    ASSERT_EQ(r.status, 200);
    const char *body = strstr(r.raw, "\r\n\r\n");
    ASSERT_NOT_NULL(body);
    ASSERT_EQ(r.raw_len - (size_t)(body + 4 - r.raw), 10);
    char *conn = test_http_header(&r, "connection");
    ASSERT_STR_EQ(conn, "close");
    free(conn);
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_fault_close_after_events)
{
    struct test_mock m;
    start(&m);
    struct test_http h;
    send_scn(&m, &h, "close-after-events=1", stream_body("a b c"));
    struct test_http_resp r;
    ASSERT(!test_http_read(&h, &r, 2000));
    ASSERT(h.eof);
    ASSERT_CONTAINS(r.body, "\"content\":\"a\"");
    ASSERT(strstr(r.body, "\" b\"") == NULL);
    ASSERT(!r.complete);
    test_http_resp_free(&r);
    test_http_close(&h);
    /* With rst the close is an RST. */
    send_scn(&m, &h, "close-after-events=1;rst", stream_body("a b c"));
    ASSERT(!test_http_read(&h, &r, 2000));
    ASSERT(h.reset);
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_fault_fail_first_by_key)
{
    struct test_mock m;
    start(&m);
    const char *hk1 = "X-Mock-Scenario: fail-first=2;status=503;retry-after=1"
                      "\r\nX-Mock-Key: k1\r\n" AUTH;
    const char *hk2 = "X-Mock-Scenario: fail-first=2;status=503;retry-after=1"
                      "\r\nX-Mock-Key: k2\r\n" AUTH;
    int want[4] = {503, 503, 200, 200};
    struct test_http h;
    test_http_open(&h, m.port);
    for (int i = 0; i < 4; i++) {
        struct test_http_resp r;
        ASSERT(test_http_post(&h, "/v1/chat/completions", hk1, plain_body));
        ASSERT(test_http_read(&h, &r, 2000));
        ASSERT_EQ(r.status, want[i]);
        char *att = test_http_header(&r, "x-mock-attempt");
        ASSERT_EQ(atoi(att), i + 1);
        free(att);
        char *ra = test_http_header(&r, "retry-after");
        if (i < 2) {
            ASSERT_STR_EQ(ra, "1");
            ASSERT_CONTAINS(r.body, "\"type\":\"service_unavailable_error\"");
        } else {
            ASSERT_NULL(ra);
        }
        free(ra);
        test_http_resp_free(&r);
    }
    /* Another key has its own counter. */
    struct test_http_resp r;
    ASSERT(test_http_post(&h, "/v1/chat/completions", hk2, plain_body));
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 503);
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_fault_rate_limit_headers)
{
    struct test_mock m;
    start(&m);
    struct test_http h;
    send_scn(&m, &h,
             "status=429;retry-after=2;retry-after-ms=1500;ratelimit=60,0,1;"
             "ratelimit-tokens=1000,10,6m0s;should-retry=true;"
             "header=X-Extra: yes",
             plain_body);
    struct test_http_resp r;
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 429);
    const char *want[][2] = {{"retry-after", "2"},
                             {"retry-after-ms", "1500"},
                             {"x-ratelimit-limit-requests", "60"},
                             {"x-ratelimit-remaining-requests", "0"},
                             {"x-ratelimit-reset-requests", "1s"},
                             {"x-ratelimit-limit-tokens", "1000"},
                             {"x-ratelimit-remaining-tokens", "10"},
                             {"x-ratelimit-reset-tokens", "6m0s"},
                             {"x-should-retry", "true"},
                             {"x-extra", "yes"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char *v = test_http_header(&r, want[i][0]);
        ASSERT_STR_EQ(v, want[i][1]);
        free(v);
    }
    ASSERT_CONTAINS(r.body, "\"code\":\"rate_limit_exceeded\"");
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_fault_split_utf8)
{
    struct test_mock m;
    start(&m);
    struct test_http h;
    send_scn(&m, &h, "split-utf8;write-gap=40;text=caf%C3%A9 na%C3%AFve",
             stream_body("x"));
    /* Record the read boundaries until the stream ends. */
    size_t bounds[4096];
    int nb = 0;
    int64_t deadline = test_now_ms() + 3000;
    while (test_now_ms() < deadline && nb < 4096 &&
           (h.buf == NULL || strstr(h.buf, "0\r\n\r\n") == NULL)) {
        if (test_http_recv_more(&h, 200) > 0) {
            bounds[nb++] = h.len;
        }
    }
    ASSERT_NOT_NULL(h.buf);
    const char *e1 = strstr(h.buf, "caf\xC3\xA9");
    const char *e2 = strstr(h.buf, "na\xC3\xAFve");
    ASSERT(e1 && e2);
    bool split1 = false, split2 = false;
    for (int i = 0; i < nb; i++) {
        split1 = split1 || bounds[i] == (size_t)(e1 - h.buf) + 4;
        split2 = split2 || bounds[i] == (size_t)(e2 - h.buf) + 3;
    }
    ASSERT(split1);
    ASSERT(split2);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_fault_error_event_mid_stream)
{
    struct test_mock m;
    start(&m);
    struct test_http h;
    send_scn(&m, &h, "error-after-events=1", stream_body("a b c"));
    struct test_http_resp r;
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"content\":\"a\"");
    const char *err = strstr(r.body, "data: {\"error\":{\"message\":");
    ASSERT_NOT_NULL(err);
    ASSERT_CONTAINS(err, "\"type\":\"server_error\"");
    ASSERT(strstr(r.body, "\" b\"") == NULL);
    ASSERT(strstr(r.body, "[DONE]") == NULL);
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_fault_malformed_and_big_event)
{
    struct test_mock m;
    start(&m);
    struct test_http h;
    send_scn(&m, &h, "malformed-event=2", stream_body("a b c"));
    struct test_http_resp r;
    ASSERT(test_http_read(&h, &r, 2000));
    /* Every data line of a good stream ends with '}' (or [DONE]); exactly
     * one line is cut short here. */
    int bad = 0;
    for (char *line = strstr(r.body, "data: "); line;
         line = strstr(line + 1, "data: ")) {
        char *nl = strchr(line, '\n');
        ASSERT_NOT_NULL(nl);
        if (nl[-1] != '}' && nl[-1] != ']') {
            bad++;
        }
    }
    ASSERT_EQ(bad, 1);
    ASSERT_CONTAINS(r.body, "[DONE]");
    test_http_resp_free(&r);
    test_http_close(&h);

    send_scn(&m, &h, "big-event=200000", stream_body("a"));
    ASSERT(test_http_read(&h, &r, 3000));
    ASSERT_CMP(r.body_len, >, 200000);
    const char *x = strstr(r.body, "\"content\":\"xxxx");
    ASSERT_NOT_NULL(x);
    ASSERT_CMP(strchr(x + 11, '"') - (x + 11), ==, 200000);
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_fault_html_error_body)
{
    struct test_mock m;
    start(&m);
    struct test_http h;
    send_scn(&m, &h, "status=502;html", plain_body);
    struct test_http_resp r;
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 502);
    char *ct = test_http_header(&r, "content-type");
    ASSERT_STR_EQ(ct, "text/html");
    free(ct);
    ASSERT_CONTAINS(r.body, "<h1>502 Bad Gateway</h1>");
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_fault_slow_headers_and_pacing)
{
    struct test_mock m;
    start(&m);
    struct test_http h;
    int64_t t0 = test_now_ms();
    send_scn(&m, &h, "header-delay=250", plain_body);
    struct test_http_resp r;
    ASSERT(test_http_read(&h, &r, 3000));
    ASSERT_CMP(h.first_byte_ms - t0, >=, 240);
    test_http_resp_free(&r);
    test_http_close(&h);

    send_scn(&m, &h, "slow-headers=1", plain_body);
    ASSERT(test_http_read(&h, &r, 3000));
    ASSERT_EQ(r.status, 200);
    /* The head arrives a byte at a time. */
    ASSERT_CMP(h.nreads, >, 20);
    test_http_resp_free(&r);
    test_http_close(&h);

    /* ttft=200, then 50 tokens/s: five words take >= 200 + 4 * 20 ms. */
    t0 = test_now_ms();
    send_scn(&m, &h, "ttft=200;tps=50", stream_body("a b c d e"));
    ASSERT(test_http_read(&h, &r, 3000));
    int64_t took = test_now_ms() - t0;
    ASSERT_CMP(took, >=, 270);
    ASSERT_CMP(took, <, 2000);
    ASSERT_CONTAINS(r.body, "\"content\":\" e\"");
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_scenario_files_and_models)
{
    struct test_mock m;
    start(&m);
    struct test_http h;
    /* A scenario file by name. */
    send_scn(&m, &h, "@mock-rate-limited", plain_body);
    struct test_http_resp r;
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 429);
    char *ra = test_http_header(&r, "retry-after-ms");
    ASSERT_STR_EQ(ra, "250");
    free(ra);
    test_http_resp_free(&r);
    test_http_close(&h);

    /* A raw scripted stream from a file, chosen by model name. */
    test_http_open(&h, m.port);
    ASSERT(test_http_post(&h, "/v1/chat/completions", AUTH,
                          "{\"model\":\"mock-scenario-mock-raw-sse\","
                          "\"messages\":[{\"role\":\"user\",\"content\":"
                          "\"x\"}]}"));
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, ": keep-alive\n\n");
    ASSERT_CONTAINS(r.body, "data: {\"raw\":1}\n\n");
    ASSERT_CONTAINS(r.body, "data: [DONE]\n\n");
    test_http_resp_free(&r);
    test_http_close(&h);

    /* mock-NNN models fail with that status; model@directives works. */
    test_http_open(&h, m.port);
    ASSERT(test_http_post(&h, "/v1/chat/completions", AUTH,
                          "{\"model\":\"mock-429\",\"messages\":[{\"role\":"
                          "\"user\",\"content\":\"x\"}]}"));
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 429);
    test_http_resp_free(&r);
    ASSERT(test_http_post(&h, "/v1/chat/completions", AUTH,
                          "{\"model\":\"gpt-4o@text=from%20model\","
                          "\"messages\":[{\"role\":\"user\",\"content\":"
                          "\"x\"}]}"));
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_CONTAINS(r.body, "\"content\":\"from model\"");
    test_http_resp_free(&r);
    /* A bad directive is a 400 naming it. */
    ASSERT(test_http_post(&h, "/v1/chat/completions",
                          "X-Mock-Scenario: bogus=1\r\n" AUTH, plain_body));
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 400);
    ASSERT_CONTAINS(r.body, "unknown scenario directive 'bogus'");
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_fault_fail_seq)
{
    struct test_mock m;
    start(&m);
    const char *hdrs = "X-Mock-Scenario: fail-seq=429,503,reset;"
                       "retry-after=1\r\nX-Mock-Key: seq\r\n" AUTH;
    int want[5] = {429, 503, 0, 200, 200};
    for (int i = 0; i < 5; i++) {
        struct test_http h;
        test_http_open(&h, m.port);
        ASSERT(test_http_post(&h, "/v1/chat/completions", hdrs, plain_body));
        struct test_http_resp r;
        bool ok = test_http_read(&h, &r, 2000);
        if (want[i] == 0) {
            ASSERT(!ok);
            ASSERT(h.reset);
        } else {
            ASSERT(ok);
            ASSERT_EQ(r.status, want[i]);
        }
        test_http_resp_free(&r);
        test_http_close(&h);
    }
    /* A bare fail-first implies 500; fail-first with only pacing is slow
     * first, then fast, never an error. */
    struct test_http h;
    test_http_open(&h, m.port);
    struct test_http_resp r;
    ASSERT(test_http_post(&h, "/v1/chat/completions",
                          "X-Mock-Scenario: fail-first=1;key=bare\r\n" AUTH,
                          plain_body));
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 500);
    test_http_resp_free(&r);
    ASSERT(test_http_post(&h, "/v1/chat/completions",
                          "X-Mock-Scenario: fail-first=1;key=slow;"
                          "header-delay=50\r\n" AUTH,
                          plain_body));
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 200);
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_fault_rate_limit_window)
{
    struct test_mock m;
    start(&m);
    /* 2 requests per hour-long window for key "rl": 200, 200, 429. */
    const char *hdrs =
        "X-Mock-Scenario: limit=2/3600\r\nX-Mock-Key: rl\r\n" AUTH;
    struct test_http h;
    test_http_open(&h, m.port);
    const char *remaining[3] = {"1", "0", "0"};
    for (int i = 0; i < 3; i++) {
        struct test_http_resp r;
        ASSERT(test_http_post(&h, "/v1/chat/completions", hdrs, plain_body));
        ASSERT(test_http_read(&h, &r, 2000));
        ASSERT_EQ(r.status, i < 2 ? 200 : 429);
        /* Two an hour has no whole per-minute figure: no limit header,
         * the remaining count and the window's end say it all. */
        char *v = test_http_header(&r, "x-ratelimit-limit-requests");
        ASSERT_NULL(v);
        v = test_http_header(&r, "x-ratelimit-reset-requests");
        ASSERT_NOT_NULL(v);
        ASSERT(atof(v) > 0.0 && atof(v) <= 3600.0); /* wall-clock window */
        free(v);
        v = test_http_header(&r, "x-ratelimit-remaining-requests");
        ASSERT_STR_EQ(v, remaining[i]);
        free(v);
        v = test_http_header(&r, "retry-after");
        if (i < 2) {
            ASSERT_NULL(v);
        } else {
            ASSERT_NOT_NULL(v);
            ASSERT_CMP(atoi(v), >=, 1);
            ASSERT_CMP(atoi(v), <=, 3600);
            ASSERT_CONTAINS(r.body, "\"code\":\"rate_limit_exceeded\"");
        }
        free(v);
        test_http_resp_free(&r);
    }
    /* Another key has its own window. */
    struct test_http_resp r;
    ASSERT(test_http_post(
        &h, "/v1/chat/completions",
        "X-Mock-Scenario: limit=2/3600\r\nX-Mock-Key: rl2\r\n" AUTH,
        plain_body));
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 200);
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

/* The limit header counts requests per minute, as OpenAI's and
 * Anthropic's do (clients adopt it as their RPM): limit=N/S sends N * 60 /
 * S rounded down, never more than the mock serves. */
TEST(mock_fault_rate_limit_per_minute)
{
    struct test_mock m;
    start(&m);
    static const struct {
        const char *scn, *path, *header, *want;
    } cases[] = {
        {"limit=5;key=a", "/v1/chat/completions", "x-ratelimit-limit-requests",
         "300"},
        {"limit=3/2;key=b", "/v1/chat/completions",
         "x-ratelimit-limit-requests", "90"},
        {"limit=1/7;key=c", "/v1/chat/completions",
         "x-ratelimit-limit-requests", "8"},
        {"limit=120/120;key=d", "/v1/messages",
         "anthropic-ratelimit-requests-limit", "60"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hdrs[256];
        bool anthropic = strcmp(cases[i].path, "/v1/messages") == 0;
        snprintf(hdrs, sizeof hdrs, "X-Mock-Scenario: %s\r\n%s", cases[i].scn,
                 anthropic ? "x-api-key: k\r\nanthropic-version: "
                             "2023-06-01\r\n"
                           : AUTH);
        struct test_http h;
        test_http_open(&h, m.port);
        ASSERT(test_http_post(
            &h, cases[i].path, hdrs,
            anthropic ? "{\"model\":\"claude-x\",\"max_tokens\":8,"
                        "\"messages\":[{\"role\":\"user\",\"content\":"
                        "\"hi\"}]}"
                      : plain_body));
        struct test_http_resp r;
        ASSERT(test_http_read(&h, &r, 2000));
        ASSERT_EQ(r.status, 200);
        char *v = test_http_header(&r, cases[i].header);
        ASSERT_STR_EQ(v, cases[i].want);
        free(v);
        test_http_resp_free(&r);
        test_http_close(&h);
    }
    test_mock_stop(&m);
}

/* Sends BODY to PATH with scenario SCN and extra headers EXTRA, returns
 * the whole response in R. */
static void post_read(struct test_mock *m, const char *path, const char *scn,
                      const char *extra, const char *body,
                      struct test_http_resp *r)
{
    char hdrs[1024];
    snprintf(hdrs, sizeof hdrs, "X-Mock-Scenario: %s\r\n%s", scn, extra);
    struct test_http h;
    test_http_open(&h, m->port);
    ASSERT(test_http_post(&h, path, hdrs, body));
    ASSERT(test_http_read(&h, r, 2000));
    test_http_close(&h);
}

TEST(mock_fault_max_context)
{
    struct test_mock m;
    start(&m);
    struct test_http_resp r;
    /* "one two three" is 3 prompt tokens: over 2, the real error shapes. */
    const char *oa = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                     "\"content\":\"one two three\"}]}";
    post_read(&m, "/v1/chat/completions", "max-context=2", AUTH, oa, &r);
    ASSERT_EQ(r.status, 400);
    ASSERT_CONTAINS(r.body, "\"code\":\"context_length_exceeded\"");
    ASSERT_CONTAINS(r.body, "maximum context length is 2 tokens. However, "
                            "your messages resulted in 3 tokens");
    test_http_resp_free(&r);
    /* At the limit it is served. */
    post_read(&m, "/v1/chat/completions", "max-context=3", AUTH, oa, &r);
    ASSERT_EQ(r.status, 200);
    test_http_resp_free(&r);

    const char *an = "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{"
                     "\"role\":\"user\",\"content\":\"one two three\"}]}";
    post_read(&m, "/v1/messages", "max-context=2",
              "x-api-key: k\r\nanthropic-version: 2023-06-01\r\n", an, &r);
    ASSERT_EQ(r.status, 400);
    ASSERT_CONTAINS(r.body, "\"type\":\"invalid_request_error\"");
    ASSERT_CONTAINS(r.body, "prompt is too long: 3 tokens > 2 maximum");
    test_http_resp_free(&r);

    const char *ge = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":"
                     "\"one two three\"}]}]}";
    post_read(&m, "/v1beta/models/g:generateContent", "max-context=1",
              "x-goog-api-key: k\r\n", ge, &r);
    ASSERT_EQ(r.status, 400);
    ASSERT_CONTAINS(r.body, "\"status\":\"INVALID_ARGUMENT\"");
    ASSERT_CONTAINS(r.body, "The input token count (3) exceeds the maximum "
                            "number of tokens allowed (1).");
    test_http_resp_free(&r);
    test_mock_stop(&m);
}
