/* test-engine.c - request outcomes against llmio-mock, each streamed and
 * not: success, every HTTP error class, malformed bodies, resets, and the
 * exact request bytes. */
#include "engine-util.h"

/* Runs one request to completion with built-in wait. */
static llmio_future *run_one(llmio_client *c, const char *scenario, int stream,
                             struct engine_rec *rec)
{
    llmio_request *r = engine_request(scenario, stream);
    llmio_future *f = NULL;
    llmio_error err;
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, rec, &f, &err));
    llmio_request_free(r);    /* the submit took a snapshot */
    ASSERT_EQ(rec->ndone, 0); /* never inside the submit */
    ASSERT_OK(llmio_future_wait(f, 10000));
    ASSERT_EQ(rec->ndone, 1);
    ASSERT_EQ(rec->deltas_after_done, 0);
    return f;
}

TEST(engine_success_both_modes)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    for (int stream = 0; stream <= 1; stream++) {
        struct engine_rec rec = {0};
        llmio_future *f = run_one(c, "text=Hi there, engine.", stream, &rec);
        ASSERT_OK(llmio_future_status(f));
        const llmio_response *resp = llmio_future_response(f);
        ASSERT_NOT_NULL(resp);
        ASSERT_STR_EQ(llmio_response_text(resp, 0, NULL), "Hi there, engine.");
        ASSERT_EQ(llmio_response_finish(resp, 0), LLMIO_FINISH_STOP);
        const llmio_error *e = llmio_future_error(f);
        ASSERT_EQ(e->code, LLMIO_OK);
        ASSERT_EQ(e->http_status, 200);
        ASSERT(e->request_id[0] != '\0');
        if (stream) {
            ASSERT_CMP(rec.ndeltas, >=, 3);
            ASSERT_STR_EQ(rec.text, "Hi there, engine.");
        } else {
            ASSERT_EQ(rec.ndeltas, 0);
        }
        llmio_future_free(f);
    }
    ASSERT_EQ(llmio_client_pending(c), 0);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_pull_iteration)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    llmio_request *r = engine_request("text=one two three;tps=200", 2);
    llmio_future *f = NULL;
    ASSERT_OK(llmio_submit(c, r, NULL, NULL, &f, NULL));
    llmio_request_free(r);
    char text[256] = "";
    size_t len = 0;
    int kinds[16] = {0};
    const llmio_delta *d;
    llmio_status st;
    while ((st = llmio_future_next(f, &d, 5000)) == LLMIO_OK) {
        ASSERT((int)d->kind >= 0 && (int)d->kind < 16);
        kinds[d->kind]++;
        if (d->kind == LLMIO_DELTA_TEXT) {
            ASSERT(len + d->text_len < sizeof text);
            memcpy(text + len, d->text, d->text_len);
            len += d->text_len;
            text[len] = '\0';
        }
        if (d->kind == LLMIO_DELTA_USAGE) {
            ASSERT_NOT_NULL(d->usage);
            ASSERT_CMP(d->usage->total_tokens, >, 0);
        }
    }
    ASSERT_EQ(st, LLMIO_E_STATE); /* over, normally */
    ASSERT_NULL(d);
    ASSERT_STR_EQ(text, "one two three");
    ASSERT_EQ(kinds[LLMIO_DELTA_START], 1);
    ASSERT_EQ(kinds[LLMIO_DELTA_FINISH], 1);
    ASSERT_EQ(kinds[LLMIO_DELTA_USAGE], 1);
    ASSERT_OK(llmio_future_status(f));
    ASSERT_STR_EQ(llmio_response_text(llmio_future_response(f), 0, NULL),
                  "one two three");
    /* Still over on a second call. */
    ASSERT_EQ(llmio_future_next(f, &d, 0), LLMIO_E_STATE);
    llmio_future_free(f);

    /* A failed stream ends the iteration with the error. */
    r = engine_request("status=500", 2);
    ASSERT_OK(llmio_submit(c, r, NULL, NULL, &f, NULL));
    llmio_request_free(r);
    ASSERT_EQ(llmio_future_next(f, &d, 5000), LLMIO_E_SERVER);
    ASSERT_NULL(d);
    llmio_future_free(f);

    /* Pull on a callback-mode or non-stream future is misuse. */
    r = engine_request(NULL, 0);
    ASSERT_OK(llmio_submit(c, r, NULL, NULL, &f, NULL));
    llmio_request_free(r);
    ASSERT_EQ(llmio_future_next(f, &d, 0), LLMIO_E_INVALID);
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

struct http_case {
    int status;
    llmio_status code;
};

TEST(engine_http_error_classes)
{
    static const struct http_case cases[] = {
        {400, LLMIO_E_BAD_REQUEST}, {401, LLMIO_E_AUTH},
        {403, LLMIO_E_AUTH},        {404, LLMIO_E_BAD_REQUEST},
        {409, LLMIO_E_BAD_REQUEST}, {413, LLMIO_E_BAD_REQUEST},
        {422, LLMIO_E_BAD_REQUEST}, {429, LLMIO_E_RATE_LIMIT},
        {500, LLMIO_E_SERVER},      {502, LLMIO_E_SERVER},
        {503, LLMIO_E_OVERLOADED},  {529, LLMIO_E_OVERLOADED},
        {418, LLMIO_E_HTTP},        {408, LLMIO_E_HTTP},
    };
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    /* Each case's retry-after would hold the key for the next case. */
    ASSERT_EQ(llmio_client_set_rate_pause(c, false), LLMIO_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int stream = 0; stream <= 1; stream++) {
            char scn[256];
            snprintf(scn, sizeof scn,
                     "status=%d;retry-after=2;message=Boom %d "
                     "for " ENGINE_TEST_KEY ";error-type=mock_type",
                     cases[i].status, cases[i].status);
            struct engine_rec rec = {0};
            llmio_future *f = run_one(c, scn, stream, &rec);
            const llmio_error *e = llmio_future_error(f);
            if (e->code != cases[i].code) {
                test_fail_(__FILE__, __LINE__, "HTTP %d stream %d: %s (%s)",
                           cases[i].status, stream, llmio_status_name(e->code),
                           e->message);
            }
            ASSERT_EQ(rec.status, cases[i].code);
            ASSERT_EQ(e->http_status, cases[i].status);
            ASSERT_EQ(e->retry_after_ms, 2000);
            ASSERT_EQ(e->attempts, 1);
            ASSERT_STR_EQ(e->provider_type, "mock_type");
            ASSERT_CONTAINS(e->message, "Boom");
            ASSERT(e->request_id[0] != '\0');
            engine_assert_no_key(e);
            ASSERT_CONTAINS(e->message, "***");
            ASSERT_NULL(llmio_future_response(f));
            ASSERT_EQ(rec.ndeltas, 0);
            llmio_future_free(f);
        }
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_error_body_not_json)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    for (int stream = 0; stream <= 1; stream++) {
        struct engine_rec rec = {0};
        llmio_future *f = run_one(c, "status=502;html", stream, &rec);
        const llmio_error *e = llmio_future_error(f);
        ASSERT_EQ(e->code, LLMIO_E_SERVER);
        ASSERT_EQ(e->http_status, 502);
        ASSERT(e->message[0] != '\0');
        ASSERT_EQ(e->retry_after_ms, -1);
        llmio_future_free(f);
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_malformed_body)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    struct engine_rec rec = {0};
    /* A 200 JSON body cut short: {"id":"x","choices":[{ */
    llmio_future *f = run_one(c,
                              "raw=%7B%22id%22:%22x%22,%22choices%22:%5B%7B;"
                              "content-type=application/json",
                              0, &rec);
    ASSERT_EQ(llmio_future_status(f), LLMIO_E_PROTOCOL);
    ASSERT_EQ(llmio_future_error(f)->http_status, 200);
    llmio_future_free(f);

    struct engine_rec rec2 = {0};
    f = run_one(c, "text=a b c d e f;malformed-event=2", 1, &rec2);
    ASSERT_EQ(llmio_future_status(f), LLMIO_E_PROTOCOL);
    ASSERT_EQ(rec2.status, LLMIO_E_PROTOCOL);
    ASSERT(llmio_future_error(f)->message[0] != '\0');
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_reset_mid_stream)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    /* Events exist only in streams; byte budgets cut either. */
    const char *scns[] = {
        "lorem=50;close-after-events=3", "lorem=50;close-after-events=3;rst",
        "lorem=50;close-after-bytes=100", "lorem=50;close-after-bytes=100;rst"};
    for (size_t i = 0; i < 4; i++) {
        for (int stream = i < 2 ? 1 : 0; stream <= 1; stream++) {
            struct engine_rec rec = {0};
            llmio_future *f = run_one(c, scns[i], stream, &rec);
            llmio_status st = llmio_future_status(f);
            if (st != LLMIO_E_NETWORK) {
                test_fail_(__FILE__, __LINE__, "%s stream %d: %s (%s)", scns[i],
                           stream, llmio_status_name(st),
                           llmio_future_error(f)->message);
            }
            ASSERT_NULL(llmio_future_response(f));
            llmio_future_free(f);
        }
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_in_band_stream_error)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    struct engine_rec rec = {0};
    llmio_future *f = run_one(c, "lorem=20;error-after-events=2", 1, &rec);
    llmio_status st = llmio_future_status(f);
    ASSERT(st != LLMIO_OK);
    ASSERT(llmio_future_error(f)->message[0] != '\0');
    ASSERT_EQ(rec.ndone, 1);
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_stream_callback_abort)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    struct engine_rec rec = {.stop_after = 2};
    llmio_future *f = run_one(c, "lorem=200;tps=1000", 1, &rec);
    ASSERT_EQ(llmio_future_status(f), LLMIO_E_ABORTED);
    ASSERT_EQ(rec.ndeltas, 2);
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_request_bytes)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_add_header(c, "X-Client-Default: one"));
    ASSERT_OK(llmio_client_add_header(c, "X-Overridden: client"));
    ASSERT_EQ(llmio_client_add_header(c, "Bad\r\nHeader: x"), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_client_add_header(c, "NoColon"), LLMIO_E_INVALID);
    ASSERT_OK(llmio_client_set_option(c, NULL, "organization", "org-42"));
    llmio_request *r = engine_request(NULL, 0);
    ASSERT_OK(llmio_request_set_temperature(r, 0.5));
    ASSERT_OK(llmio_request_add_header(r, "X-Overridden: request"));
    llmio_future *f = NULL;
    llmio_error err;
    ASSERT_EQ(llmio_chat(c, r, &f, &err), LLMIO_OK);
    ASSERT_NOT_NULL(f);
    llmio_future_free(f);
    llmio_request_free(r);

    size_t len;
    char *log = test_mock_log(&m, &len);
    ASSERT_CONTAINS(log, "\"method\":\"POST\"");
    ASSERT_CONTAINS(log, "\"path\":\"/v1/chat/completions\"");
    ASSERT_CONTAINS(log, "\"content-type\":\"application/json\"");
    ASSERT_CONTAINS(log, "\"authorization\":\"Bearer ***\"");
    ASSERT_CONTAINS(log, "\"openai-organization\":\"org-42\"");
    ASSERT_CONTAINS(log, "\"x-client-default\":\"one\"");
    ASSERT_CONTAINS(log, "\"x-overridden\":\"request\"");
    ASSERT(strstr(log, "\"x-overridden\":\"client\"") == NULL);
    ASSERT(strstr(log, "expect") == NULL);
    /* libcurl's "Accept: any type" is suppressed (engine.c build_slist). */
    ASSERT(strstr(log, "\"accept\"") == NULL);
    ASSERT(strstr(log, ENGINE_TEST_KEY) == NULL);
    ASSERT_CONTAINS(log, "\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":"
                         "[{\"role\":\"user\",\"content\":\"hello\"}],"
                         "\"temperature\":0.5}");
    free(log);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_submit_refusals)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    llmio_future *f = (llmio_future *)&m; /* must be reset to NULL */
    llmio_error err;
    llmio_request *r = llmio_request_new("nosuchprovider/model");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "x"));
    ASSERT_EQ(llmio_submit(c, r, engine_done_cb, NULL, &f, &err),
              LLMIO_E_UNSUPPORTED);
    ASSERT_NULL(f);
    ASSERT_EQ(err.code, LLMIO_E_UNSUPPORTED);
    llmio_request_free(r);

    r = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_EQ(llmio_request_set_temperature(r, 7.0), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_submit(c, r, engine_done_cb, NULL, &f, &err),
              LLMIO_E_INVALID);
    ASSERT_NULL(f);
    ASSERT_CONTAINS(err.message, "temperature");
    llmio_request_free(r);

    ASSERT_EQ(llmio_submit(c, NULL, NULL, NULL, &f, NULL), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_client_pending(c), 0);
    ASSERT_EQ(llmio_client_set_base_url(c, NULL, "ftp://x"), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_client_set_api_key(c, "nosuch", "k"), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_client_set_timeout(c, LLMIO_TIMEOUT_IDLE, 0),
              LLMIO_E_INVALID);
    ASSERT_EQ(llmio_client_set_option(c, NULL, "colour", "x"), LLMIO_E_INVALID);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_connect_refused)
{
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    /* Port 1 on loopback: nothing listens there. */
    ASSERT_OK(llmio_client_set_base_url(c, NULL, "http://127.0.0.1:1/v1"));
    ASSERT_OK(llmio_client_set_retry(c, 1, 0, 0, 0));
    for (int stream = 0; stream <= 1; stream++) {
        llmio_request *r = engine_request(NULL, stream);
        llmio_future *f = NULL;
        llmio_error err;
        ASSERT_EQ(llmio_chat(c, r, &f, &err), LLMIO_E_CONNECT);
        ASSERT_EQ(err.code, LLMIO_E_CONNECT);
        ASSERT_EQ(err.http_status, 0);
        ASSERT_NE(err.transport_code, 0);
        ASSERT(err.message[0] != '\0');
        llmio_future_free(f);
        llmio_request_free(r);
    }
    llmio_client_free(c);
}

TEST(engine_env_settings)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    char url[128];
    snprintf(url, sizeof url, "%s/v1/", m.url);
    setenv("OPENAI_BASE_URL", url, 1);
    setenv("OPENAI_API_KEY", "sk-env-key-0001", 1);
    setenv("OPENAI_PROJECT_ID", "proj_env", 1);
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    llmio_request *r = engine_request(NULL, 0);
    llmio_future *f = NULL;
    ASSERT_EQ(llmio_chat(c, r, &f, NULL), LLMIO_OK);
    llmio_future_free(f);
    llmio_request_free(r);
    char *log = test_mock_log(&m, NULL);
    ASSERT_CONTAINS(log, "\"path\":\"/v1/chat/completions\"");
    ASSERT_CONTAINS(log, "\"openai-project\":\"proj_env\"");
    ASSERT_CONTAINS(log, "\"authorization\":\"Bearer ***\"");
    free(log);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_ndjson_stream)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    ASSERT_OK(llmio_client_set_base_url(c, "ollama", m.url));
    for (int stream = 0; stream <= 2; stream++) {
        llmio_request *r = llmio_request_new("ollama/llama3.2");
        ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "hello"));
        ASSERT_OK(llmio_request_add_header(r, "X-Mock-Scenario: text=ndjson "
                                              "framed reply"));
        struct engine_rec rec = {0};
        if (stream == 1) {
            ASSERT_OK(llmio_request_set_stream(r, engine_stream_cb, true));
        } else if (stream == 2) {
            ASSERT_OK(llmio_request_set_stream(r, NULL, true));
        }
        llmio_future *f = NULL;
        ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
        llmio_request_free(r);
        if (stream == 2) {
            const llmio_delta *d;
            int n = 0;
            while (llmio_future_next(f, &d, 5000) == LLMIO_OK) {
                n++;
            }
            ASSERT_CMP(n, >=, 3);
        }
        ASSERT_OK(llmio_future_wait(f, 10000));
        if (llmio_future_status(f) != LLMIO_OK) {
            test_fail_(__FILE__, __LINE__, "stream %d: %s: %s", stream,
                       llmio_status_name(llmio_future_status(f)),
                       llmio_future_error(f)->message);
        }
        ASSERT_STR_EQ(llmio_response_text(llmio_future_response(f), 0, NULL),
                      "ndjson framed reply");
        if (stream == 1) {
            ASSERT_STR_EQ(rec.text, "ndjson framed reply");
        }
        llmio_future_free(f);
    }
    /* A stream cut mid-way is an error, not a short success. */
    llmio_request *r = llmio_request_new("ollama/llama3.2");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "hello"));
    ASSERT_OK(llmio_request_add_header(
        r, "X-Mock-Scenario: lorem=50;close-after-events=3"));
    ASSERT_OK(llmio_request_set_stream(r, NULL, true));
    llmio_future *f = NULL;
    ASSERT_EQ(llmio_chat(c, r, &f, NULL), LLMIO_E_NETWORK);
    llmio_future_free(f);
    llmio_request_free(r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_connection_reuse)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    for (int i = 0; i < 10; i++) {
        /* Streams and plain replies alternate on the same connection. */
        llmio_request *r = engine_request(NULL, i % 2 ? 2 : 0);
        llmio_future *f = NULL;
        ASSERT_EQ(llmio_chat(c, r, &f, NULL), LLMIO_OK);
        llmio_future_free(f);
        llmio_request_free(r);
    }
    /* One connection for the ten requests, one for this stats read. */
    ASSERT_EQ(engine_mock_accepted(&m), 2);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* The pooled easy handle keeps its parsed URL while requests reuse it
 * (engine.c set_url); a request to another base URL must re-parse, not
 * go to the previous server. Sequential requests reuse one handle. (Both
 * mocks share one request log, so their stats tell them apart.) */
TEST(engine_url_change_reparses)
{
    struct test_mock a, b;
    test_mock_start(&a, NULL);
    test_mock_start(&b, NULL);
    llmio_client *c = engine_client(&a);
    for (int i = 0; i < 6; i++) {
        char url[128];
        snprintf(url, sizeof url, "%s/v1", i % 3 == 2 ? b.url : a.url);
        ASSERT_OK(llmio_client_set_base_url(c, NULL, url));
        llmio_request *r = engine_request(NULL, 0);
        llmio_future *f = NULL;
        ASSERT_EQ(llmio_chat(c, r, &f, NULL), LLMIO_OK);
        llmio_future_free(f);
        llmio_request_free(r);
    }
    /* "requests" counts chat requests (the stats read is not one). */
    ASSERT_EQ(engine_mock_stat(&a, "requests"), 4);
    ASSERT_EQ(engine_mock_stat(&b, "requests"), 2);
    llmio_client_free(c);
    test_mock_stop(&a);
    test_mock_stop(&b);
}

/* With no proxy variable set when the client is created, the engine tells
 * libcurl "no proxy" once per pooled handle (engine.c xfer_new); with one
 * set, libcurl's own environment handling stays: http_proxy is used (the
 * mock answers absolute-form requests, so a host that does not resolve is
 * reached through it) and no_proxy is honoured. */
TEST(engine_proxy_environment)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    char proxy[128];
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", m.port);
    ASSERT_EQ(setenv("http_proxy", proxy, 1), 0);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_base_url(
        c, NULL, "http://llmio-no-such-host.invalid/v1"));
    llmio_request *r = engine_request(NULL, 0);
    llmio_future *f = NULL;
    ASSERT_EQ(llmio_chat(c, r, &f, NULL), LLMIO_OK);
    llmio_future_free(f);
    llmio_client_free(c);
    /* A proxy that refuses connections, bypassed for the mock's host. */
    ASSERT_EQ(setenv("http_proxy", "http://127.0.0.1:1", 1), 0);
    ASSERT_EQ(setenv("no_proxy", "127.0.0.1", 1), 0);
    c = engine_client(&m);
    ASSERT_EQ(llmio_chat(c, r, &f, NULL), LLMIO_OK);
    llmio_future_free(f);
    llmio_client_free(c);
    ASSERT_EQ(engine_mock_stat(&m, "requests"), 2);
    llmio_request_free(r);
    unsetenv("http_proxy");
    unsetenv("no_proxy");
    test_mock_stop(&m);
}

/* The "Expect:" entry is only in the header list of bodies large enough
 * for libcurl to add "Expect: 100-continue" itself (engine.c EXPECT_MIN):
 * such a body goes out without it, and a stream keeps its own Accept. */
TEST(engine_large_body_no_expect)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    size_t n = (size_t)1200 * 1024;
    char *text = malloc(n + 1);
    ASSERT_NOT_NULL(text);
    memset(text, 'a', n);
    text[n] = '\0';
    for (int stream = 0; stream <= 1; stream++) {
        llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
        ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, text));
        /* A short reply: by default the mock echoes the prompt. */
        ASSERT_OK(llmio_request_add_header(r, "X-Mock-Scenario: text=ok"));
        if (stream) {
            ASSERT_OK(llmio_request_set_stream(r, NULL, false));
        }
        llmio_future *f = NULL;
        ASSERT_EQ(llmio_chat(c, r, &f, NULL), LLMIO_OK);
        llmio_future_free(f);
        llmio_request_free(r);
    }
    free(text);
    size_t len;
    char *log = test_mock_log(&m, &len);
    ASSERT(strstr(log, "\"expect\"") == NULL);
    ASSERT_CONTAINS(log, "\"accept\":\"text/event-stream\"");
    ASSERT_EQ(engine_mock_stat(&m, "requests"), 2);
    free(log);
    llmio_client_free(c);
    test_mock_stop(&m);
}
