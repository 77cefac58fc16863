/* test-route.c - fallbacks and hedged requests against llmio-mock: each
 * fallback trigger (context window to a bigger model, outage to another
 * provider), no fallback on auth or bad-request errors, every model
 * failing, and hedging (a slow first request loses to its hedge and its
 * connection is closed; a fast one sends no hedge; p95 mode; cancel).
 * Scenarios ride on the model name ("gpt-4o-mini@status=503"), so each
 * model of a fallback list gets its own. */
#include "engine-util.h"

#include "support/http.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int64_t slack_ms(int64_t ms)
{
    return test_is_valgrind() ? ms * 10 : ms;
}

/* A client with the mock as openai (/v1) and anthropic; one attempt per
 * model unless a test says otherwise. */
static llmio_client *route_client(const struct test_mock *m)
{
    llmio_client *c = engine_client(m);
    ASSERT_OK(llmio_client_set_base_url(c, "anthropic", m->url));
    ASSERT_OK(llmio_client_set_api_key(c, "anthropic", ENGINE_TEST_KEY));
    return c;
}

static llmio_request *route_request(const char *model, int stream,
                                    const char *prompt)
{
    llmio_request *r = llmio_request_new(model);
    ASSERT_NOT_NULL(r);
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, prompt));
    ASSERT_OK(llmio_request_set_max_tokens(r, 100));
    if (stream == 1) {
        ASSERT_OK(llmio_request_set_stream(r, engine_stream_cb, true));
    }
    return r;
}

/* What the attempt hook saw. */
struct hook_rec {
    int n;
    llmio_status status[16];
    int fallback[16];
    bool hedge[16];
    char model[16][64];
    llmio_future *f[16];
};

static void hook_cb(llmio_future *f, const llmio_attempt_info *info, void *user)
{
    struct hook_rec *h = user;
    if (h->n < 16) {
        h->status[h->n] = info->status;
        h->fallback[h->n] = info->fallback;
        h->hedge[h->n] = info->hedge;
        h->f[h->n] = f;
        snprintf(h->model[h->n], sizeof h->model[h->n], "%s", info->model);
    }
    h->n++;
}

/* Submits R, waits for it, checks the exactly-once contract. */
static llmio_future *run(llmio_client *c, llmio_request *r,
                         struct engine_rec *rec)
{
    llmio_future *f = NULL;
    llmio_error err;
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, rec, &f, &err));
    ASSERT_EQ(llmio_client_pending(c), 1); /* children are not counted */
    ASSERT_OK(llmio_future_wait(f, (int)slack_ms(10000)));
    ASSERT_EQ(rec->ndone, 1);
    ASSERT_EQ(rec->deltas_after_done, 0);
    ASSERT_EQ(llmio_client_pending(c), 0);
    return f;
}

/* Requests the mock logged to PATH. */
static int logged(struct test_mock *m, const char *path)
{
    size_t len;
    char *log = test_mock_log(m, &len);
    char needle[128];
    snprintf(needle, sizeof needle, "\"path\":\"%s\"", path);
    int n = test_count(log, needle);
    free(log);
    return n;
}

/* Waits until the mock has N connections open (the client's included). */
static int wait_connections(const struct test_mock *m, int n)
{
    int conns = -1;
    for (int i = 0; i < 400 && conns != n; i++) {
        conns = engine_mock_connections(m);
        if (conns != n) {
            usleep(5000);
        }
    }
    return conns;
}

/* ---- fallbacks -------------------------------------------------------- */

static void context_to_bigger_model(int stream)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = route_client(&m);
    struct hook_rec h = {0};
    llmio_client_set_attempt_cb(c, hook_cb, &h);
    /* Four prompt tokens: over the small model's window of 2. The outage
     * fallback comes first in the list but is not for this failure. */
    llmio_request *r = route_request("openai/small@max-context=2", stream,
                                     "one two three four");
    ASSERT_OK(llmio_request_add_fallback(r, "anthropic/claude-sonnet-4-5",
                                         LLMIO_FALLBACK_OUTAGE));
    ASSERT_OK(llmio_request_add_fallback(r, "openai/big",
                                         LLMIO_FALLBACK_CONTEXT_LENGTH));
    struct engine_rec rec = {0};
    llmio_future *f = run(c, r, &rec);
    llmio_request_free(r);
    ASSERT_OK(llmio_future_status(f));
    const llmio_response *resp = llmio_future_response(f);
    ASSERT_NOT_NULL(resp);
    int idx = -1;
    ASSERT_STR_EQ(llmio_response_served_by(resp, &idx), "openai/big");
    ASSERT_EQ(idx, 2);
    ASSERT_STR_EQ(llmio_response_model(resp), "big");
    ASSERT_STR_EQ(llmio_response_provider(resp), "openai");
    ASSERT_STR_EQ(llmio_response_text(resp, 0, NULL), "one two three four");
    ASSERT_EQ(llmio_response_hedges(resp), 0);
    if (stream) {
        ASSERT_STR_EQ(rec.text, "one two three four");
    }
    /* The hook saw both models, as the caller's future. */
    ASSERT_EQ(h.n, 2);
    ASSERT_EQ(h.status[0], LLMIO_E_CONTEXT_LENGTH);
    ASSERT_STR_EQ(h.model[0], "openai/small@max-context=2");
    ASSERT_EQ(h.fallback[0], 0);
    ASSERT_EQ(h.status[1], LLMIO_OK);
    ASSERT_STR_EQ(h.model[1], "openai/big");
    ASSERT_EQ(h.fallback[1], 2);
    ASSERT(h.f[0] == f && h.f[1] == f);
    ASSERT_EQ(llmio_future_error(f)->attempts, 2);
    /* Anthropic was skipped: two OpenAI requests, the second for "big". */
    ASSERT_EQ(logged(&m, "/v1/chat/completions"), 2);
    ASSERT_EQ(logged(&m, "/v1/messages"), 0);
    size_t len;
    char *log = test_mock_log(&m, &len);
    ASSERT_CONTAINS(log, "\"model\":\"big\"");
    free(log);
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(route_fallback_context_length)
{
    context_to_bigger_model(0);
}

TEST(route_fallback_context_length_stream)
{
    context_to_bigger_model(1);
}

/* An outage of one provider (after its retries) moves to another. */
static void outage_to_other_provider(const char *primary, const char *backup,
                                     const char *backup_path,
                                     llmio_status want_first, int stream)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = route_client(&m);
    ASSERT_OK(llmio_client_set_retry(c, 2, 10, 20, 1000));
    struct hook_rec h = {0};
    llmio_client_set_attempt_cb(c, hook_cb, &h);
    int base = logged(&m, backup_path); /* the log outlives a mock */
    llmio_request *r = route_request(primary, stream, "hello there");
    ASSERT_OK(llmio_request_add_fallback(r, backup, LLMIO_FALLBACK_DEFAULT));
    struct engine_rec rec = {0};
    llmio_future *f = run(c, r, &rec);
    llmio_request_free(r);
    ASSERT_OK(llmio_future_status(f));
    const llmio_response *resp = llmio_future_response(f);
    int idx = -1;
    ASSERT_STR_EQ(llmio_response_served_by(resp, &idx), backup);
    ASSERT_EQ(idx, 1);
    ASSERT_STR_EQ(llmio_response_text(resp, 0, NULL), "hello there");
    if (stream) {
        ASSERT_STR_EQ(rec.text, "hello there");
    }
    /* Two attempts at the primary (its retries), then the backup. */
    ASSERT_EQ(h.n, 3);
    ASSERT_EQ(h.status[0], want_first);
    ASSERT_EQ(h.status[1], want_first);
    ASSERT_EQ(h.fallback[1], 0);
    ASSERT_EQ(h.status[2], LLMIO_OK);
    ASSERT_EQ(h.fallback[2], 1);
    ASSERT_EQ(llmio_future_error(f)->attempts, 3);
    ASSERT_EQ(logged(&m, backup_path) - base, 1);
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(route_fallback_outage_openai_to_anthropic)
{
    outage_to_other_provider("openai/gpt-4o-mini@status=503",
                             "anthropic/claude-sonnet-4-5", "/v1/messages",
                             LLMIO_E_OVERLOADED, 0);
    outage_to_other_provider("openai/gpt-4o-mini@status=503",
                             "anthropic/claude-sonnet-4-5", "/v1/messages",
                             LLMIO_E_OVERLOADED, 1);
}

TEST(route_fallback_outage_anthropic_529_to_openai)
{
    outage_to_other_provider("anthropic/claude-sonnet-4-5@status=529",
                             "openai/gpt-4o-mini", "/v1/chat/completions",
                             LLMIO_E_OVERLOADED, 0);
    outage_to_other_provider("anthropic/claude-sonnet-4-5@status=529",
                             "openai/gpt-4o-mini", "/v1/chat/completions",
                             LLMIO_E_OVERLOADED, 1);
    /* A connection refused is an outage too (nothing listens on port 1). */
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = route_client(&m);
    ASSERT_OK(llmio_client_set_base_url(c, "anthropic", "http://127.0.0.1:1"));
    llmio_request *r =
        route_request("anthropic/claude-sonnet-4-5", 0, "still here");
    ASSERT_OK(llmio_request_add_fallback(r, "openai/gpt-4o-mini",
                                         LLMIO_FALLBACK_OUTAGE));
    struct engine_rec rec = {0};
    llmio_future *f = run(c, r, &rec);
    llmio_request_free(r);
    ASSERT_OK(llmio_future_status(f));
    ASSERT_STR_EQ(llmio_response_text(llmio_future_response(f), 0, NULL),
                  "still here");
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Auth and bad-request failures end the request unless configured. */
static void no_fallback_on(const char *primary, unsigned on, llmio_status want,
                           int want_requests)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = route_client(&m);
    int base = logged(&m, "/v1/chat/completions");
    llmio_request *r = route_request(primary, 0, "hi");
    ASSERT_OK(llmio_request_add_fallback(r, "openai/backup", on));
    struct engine_rec rec = {0};
    llmio_future *f = run(c, r, &rec);
    llmio_request_free(r);
    ASSERT_EQ(llmio_future_status(f), want);
    ASSERT_EQ(logged(&m, "/v1/chat/completions") - base, want_requests);
    if (want != LLMIO_OK) {
        const llmio_error *e = llmio_future_error(f);
        ASSERT(strstr(e->message, "models failed") == NULL);
        engine_assert_no_key(e);
    }
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(route_no_fallback_on_auth_or_bad_request)
{
    no_fallback_on("openai/gpt-4o-mini@status=401", LLMIO_FALLBACK_DEFAULT,
                   LLMIO_E_AUTH, 1);
    no_fallback_on("openai/gpt-4o-mini@status=400", LLMIO_FALLBACK_DEFAULT,
                   LLMIO_E_BAD_REQUEST, 1);
    /* Unless asked for. */
    no_fallback_on("openai/gpt-4o-mini@status=401",
                   LLMIO_FALLBACK_DEFAULT | LLMIO_FALLBACK_AUTH, LLMIO_OK, 2);
    no_fallback_on("openai/gpt-4o-mini@status=400", LLMIO_FALLBACK_BAD_REQUEST,
                   LLMIO_OK, 2);
}

static void all_fail(int stream)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = route_client(&m);
    llmio_request *r =
        route_request("openai/a@max-context=1", stream, "far too long");
    ASSERT_OK(llmio_request_add_fallback(r, "openai/b@status=503",
                                         LLMIO_FALLBACK_DEFAULT));
    ASSERT_OK(llmio_request_add_fallback(r, "anthropic/c@status=529",
                                         LLMIO_FALLBACK_OUTAGE));
    struct engine_rec rec = {0};
    llmio_future *f = run(c, r, &rec);
    llmio_request_free(r);
    ASSERT_EQ(llmio_future_status(f), LLMIO_E_OVERLOADED);
    ASSERT_NULL(llmio_future_response(f));
    const llmio_error *e = llmio_future_error(f);
    ASSERT_EQ(e->http_status, 529);
    ASSERT_EQ(e->attempts, 3);
    ASSERT_STR_EQ(e->provider_type, "overloaded_error");
    ASSERT_CONTAINS(e->message, "all 3 models failed: ");
    ASSERT_CONTAINS(e->message,
                    "openai/a@max-context=1: E_CONTEXT_LENGTH (HTTP 400); "
                    "openai/b@status=503: E_OVERLOADED (HTTP 503); "
                    "anthropic/c@status=529: E_OVERLOADED (HTTP 529); "
                    "last error: Overloaded");
    engine_assert_no_key(e);
    ASSERT_EQ(rec.ndeltas, 0);
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(route_fallback_all_fail_lists_models)
{
    all_fail(0);
    all_fail(1);
}

TEST(route_fallback_submit_errors)
{
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    llmio_request *r = route_request("openai/a", 0, "x");
    ASSERT_OK(
        llmio_request_add_fallback(r, "nosuch/model", LLMIO_FALLBACK_DEFAULT));
    llmio_future *f = NULL;
    llmio_error err;
    ASSERT_EQ(llmio_submit(c, r, NULL, NULL, &f, &err), LLMIO_E_UNSUPPORTED);
    ASSERT_NULL(f);
    ASSERT_CONTAINS(err.message, "fallbacks[0].model: unknown provider");
    ASSERT_EQ(llmio_client_pending(c), 0);
    llmio_request_free(r);

    r = route_request("openai/a", 0, "x");
    ASSERT_EQ(llmio_request_add_fallback(r, "openai/b", 0), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_request_error(r, &err), LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "fallbacks[0].on");
    llmio_request_free(r);

    r = route_request("openai/a", 0, "x");
    for (int i = 0; i < 8; i++) {
        ASSERT_OK(llmio_request_add_fallback(r, "openai/b", 1));
    }
    ASSERT_EQ(llmio_request_add_fallback(r, "openai/b", 1), LLMIO_E_INVALID);
    llmio_request_free(r);
    r = route_request("openai/a", 0, "x");
    ASSERT_EQ(llmio_request_add_fallback(r, NULL, 1), LLMIO_E_INVALID);
    llmio_request_free(r);
    r = route_request("openai/a", 0, "x");
    ASSERT_EQ(llmio_request_set_hedge(r, LLMIO_HEDGE_FIXED, 0),
              LLMIO_E_INVALID);
    llmio_request_free(r);
    ASSERT_EQ(llmio_client_set_hedge(c, (llmio_hedge_mode)7, 10),
              LLMIO_E_INVALID);
    llmio_client_free(c);
}

TEST(route_cancel_and_client_free)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = route_client(&m);
    /* Cancelled while the first model is answering slowly. */
    llmio_request *r = route_request("openai/slow@ttft=5000", 0, "x");
    ASSERT_OK(llmio_request_add_fallback(r, "openai/b", LLMIO_FALLBACK_ANY));
    struct engine_rec rec = {0};
    llmio_future *f = NULL;
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
    for (int i = 0; i < 40 && engine_mock_connections(&m) < 1; i++) {
        ASSERT_OK(llmio_client_step(c));
        usleep(5000);
    }
    llmio_future_cancel(f);
    ASSERT_EQ(rec.ndone, 0);
    ASSERT_OK(llmio_future_wait(f, 1000));
    ASSERT_EQ(rec.ndone, 1);
    ASSERT_EQ(rec.status, LLMIO_E_CANCELLED);
    ASSERT_EQ(wait_connections(&m, 0), 0); /* its transfer was closed */
    llmio_future_free(f);

    /* Freed with routed requests pending: each completes once. */
    struct engine_rec recs[3] = {{0}};
    llmio_future *fs[3];
    for (int i = 0; i < 3; i++) {
        recs[i].free_in_done = i == 2;
        ASSERT_OK(llmio_submit(c, r, engine_done_cb, &recs[i], &fs[i], NULL));
    }
    ASSERT_EQ(llmio_client_pending(c), 3);
    llmio_client_free(c);
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(recs[i].ndone, 1);
        ASSERT_EQ(recs[i].status, LLMIO_E_CANCELLED);
    }
    llmio_future_free(fs[0]);
    llmio_future_free(fs[1]);
    llmio_request_free(r);
    test_mock_stop(&m);
}

/* ---- hedging ---------------------------------------------------------- */

/* A request whose first copy is slow (the mock key's first attempt
 * waits 10 s) and whose second is fast; the scenario rides in a header,
 * so the model string (the latency key) is the plain one. */
static llmio_request *slow_first(const char *key, int stream)
{
    llmio_request *r =
        route_request("openai/gpt-4o-mini", stream, "quick answer");
    char h[128];
    snprintf(h, sizeof h, "X-Mock-Scenario: fail-first=1;ttft=10000;key=%s",
             key);
    ASSERT_OK(llmio_request_add_header(r, h));
    return r;
}

static void hedge_wins(int stream)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = route_client(&m);
    struct hook_rec h = {0};
    llmio_client_set_attempt_cb(c, hook_cb, &h);
    llmio_request *r = slow_first(stream ? "s" : "n", stream);
    ASSERT_OK(llmio_request_set_hedge(r, LLMIO_HEDGE_FIXED, 100));
    struct engine_rec rec = {0};
    int64_t t0 = test_now_ms();
    llmio_future *f = run(c, r, &rec);
    int64_t took = test_now_ms() - t0;
    llmio_request_free(r);
    ASSERT_OK(llmio_future_status(f));
    ASSERT_CMP(took, >=, 100);
    ASSERT_CMP(took, <, slack_ms(2500)); /* not the 10 s of the first */
    const llmio_response *resp = llmio_future_response(f);
    ASSERT_STR_EQ(llmio_response_text(resp, 0, NULL), "quick answer");
    ASSERT_EQ(llmio_response_hedges(resp), 1);
    int idx = -1;
    ASSERT_STR_EQ(llmio_response_served_by(resp, &idx), "openai/gpt-4o-mini");
    ASSERT_EQ(idx, 0);
    if (stream) {
        /* Only the winner's deltas: the text once, one START. */
        ASSERT_STR_EQ(rec.text, "quick answer");
    }
    /* The hook saw the hedge's attempt; the loser was cancelled, which
     * is no attempt of its own. */
    ASSERT_EQ(h.n, 1);
    ASSERT(h.hedge[0]);
    ASSERT_EQ(h.status[0], LLMIO_OK);
    /* Two requests reached the mock; the loser's connection was closed
     * at once (the winner's stays in the pool). */
    ASSERT_EQ(logged(&m, "/v1/chat/completions"), 2);
    ASSERT_EQ(engine_mock_accepted(&m) - 1, 2); /* + our stats reads */
    ASSERT_EQ(wait_connections(&m, 1), 1);
    llmio_future_free(f);
    llmio_client_free(c);
    ASSERT_EQ(wait_connections(&m, 0), 0);
    test_mock_stop(&m);
}

TEST(route_hedge_slow_first_loses)
{
    hedge_wins(0);
}

TEST(route_hedge_slow_first_loses_stream)
{
    hedge_wins(1);
}

TEST(route_hedge_fast_first_sends_none)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = route_client(&m);
    /* The client default, for every request. */
    ASSERT_OK(llmio_client_set_hedge(c, LLMIO_HEDGE_FIXED, slack_ms(300)));
    for (int stream = 0; stream < 2; stream++) {
        llmio_request *r = route_request("openai/gpt-4o-mini", stream, "fast");
        struct engine_rec rec = {0};
        llmio_future *f = run(c, r, &rec);
        llmio_request_free(r);
        ASSERT_OK(llmio_future_status(f));
        ASSERT_EQ(llmio_response_hedges(llmio_future_response(f)), 0);
        llmio_future_free(f);
    }
    /* Past the hedge delay nothing more is sent: the timers went with
     * the answers. */
    ASSERT_EQ(llmio_client_timeout_ms(c), -1);
    usleep((useconds_t)slack_ms(400) * 1000);
    ASSERT_OK(llmio_client_run(c, 50));
    ASSERT_EQ(logged(&m, "/v1/chat/completions"), 2);
    /* A request that opts out sends one even when slow. */
    llmio_request *r = route_request("openai/gpt-4o-mini@ttft=500", 0, "x");
    ASSERT_OK(llmio_request_set_hedge(r, LLMIO_HEDGE_OFF, 0));
    struct engine_rec rec = {0};
    llmio_future *f = NULL;
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
    ASSERT_OK(llmio_future_wait(f, (int)slack_ms(5000)));
    ASSERT_OK(llmio_future_status(f));
    ASSERT_EQ(logged(&m, "/v1/chat/completions"), 3);
    llmio_future_free(f);
    llmio_request_free(r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(route_hedge_p95)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = route_client(&m);
    int64_t until_timed = test_is_valgrind() ? 3000 : 1000;
    ASSERT_OK(llmio_client_set_hedge(c, LLMIO_HEDGE_P95, until_timed));
    /* Fewer than 20 answers timed: the hedge waits the given delay. */
    llmio_request *r = slow_first("p1", 0);
    struct engine_rec rec = {0};
    int64_t t0 = test_now_ms();
    llmio_future *f = run(c, r, &rec);
    int64_t took = test_now_ms() - t0;
    llmio_request_free(r);
    ASSERT_OK(llmio_future_status(f));
    ASSERT_EQ(llmio_response_hedges(llmio_future_response(f)), 1);
    ASSERT_CMP(took, >=, until_timed);
    llmio_future_free(f);
    /* Twenty fast answers of the same model: p95 is a few ms now. */
    for (int i = 0; i < 20; i++) {
        r = route_request("openai/gpt-4o-mini", i % 2, "warm");
        struct engine_rec w = {0};
        llmio_future *g = run(c, r, &w);
        ASSERT_OK(llmio_future_status(g));
        /* Once 20 answers are timed a slower one may be hedged: fine. */
        llmio_future_free(g);
        llmio_request_free(r);
    }
    r = slow_first("p2", 0);
    struct engine_rec rec2 = {0};
    t0 = test_now_ms();
    f = run(c, r, &rec2);
    took = test_now_ms() - t0;
    llmio_request_free(r);
    ASSERT_OK(llmio_future_status(f));
    ASSERT_EQ(llmio_response_hedges(llmio_future_response(f)), 1);
    ASSERT_CMP(took, <, until_timed); /* hedged after the p95, not 1 s */
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(route_hedge_cancel_cancels_both)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = route_client(&m);
    /* Both copies slow. */
    llmio_request *r = route_request("openai/gpt-4o-mini@ttft=5000", 1, "x");
    ASSERT_OK(llmio_request_set_hedge(r, LLMIO_HEDGE_FIXED, 50));
    struct engine_rec rec = {0};
    llmio_future *f = NULL;
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
    llmio_request_free(r);
    for (int i = 0; i < 400 && logged(&m, "/v1/chat/completions") < 2; i++) {
        ASSERT_OK(llmio_client_step(c));
        usleep(5000);
    }
    ASSERT_EQ(logged(&m, "/v1/chat/completions"), 2);
    ASSERT_EQ(wait_connections(&m, 2), 2);
    llmio_future_cancel(f);
    ASSERT_OK(llmio_future_wait(f, 1000));
    ASSERT_EQ(rec.ndone, 1);
    ASSERT_EQ(rec.status, LLMIO_E_CANCELLED);
    ASSERT_EQ(rec.ndeltas, 0);
    ASSERT_EQ(wait_connections(&m, 0), 0); /* both closed */
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* ---- combinations ----------------------------------------------------- */

TEST(route_fallback_rate_limit_and_gemini_context)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = route_client(&m);
    char url[128];
    snprintf(url, sizeof url, "%s/v1beta", m.url);
    ASSERT_OK(llmio_client_set_base_url(c, "gemini", url));
    ASSERT_OK(llmio_client_set_api_key(c, "gemini", ENGINE_TEST_KEY));
    /* A key out of requests (429, retries spent) moves on... */
    llmio_request *r =
        route_request("openai/gpt-4o-mini@status=429", 0, "one two three");
    ASSERT_OK(llmio_request_add_fallback(r,
                                         "gemini/gemini-2.5-flash@max-"
                                         "context=2",
                                         LLMIO_FALLBACK_RATE_LIMIT));
    /* ...and Gemini's context-window error, said only in words, moves on
     * to a bigger model. */
    ASSERT_OK(llmio_request_add_fallback(r, "anthropic/claude-sonnet-4-5",
                                         LLMIO_FALLBACK_CONTEXT_LENGTH));
    struct hook_rec h = {0};
    llmio_client_set_attempt_cb(c, hook_cb, &h);
    struct engine_rec rec = {0};
    llmio_future *f = run(c, r, &rec);
    llmio_request_free(r);
    ASSERT_OK(llmio_future_status(f));
    int idx = -1;
    ASSERT_STR_EQ(llmio_response_served_by(llmio_future_response(f), &idx),
                  "anthropic/claude-sonnet-4-5");
    ASSERT_EQ(idx, 2);
    ASSERT_EQ(h.n, 3);
    ASSERT_EQ(h.status[0], LLMIO_E_RATE_LIMIT);
    ASSERT_EQ(h.status[1], LLMIO_E_CONTEXT_LENGTH);
    ASSERT_EQ(h.fallback[1], 1);
    ASSERT_EQ(h.status[2], LLMIO_OK);
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* A fallback model hedges too: the first model fails at once, the second
 * is slow on its first copy, and its hedge answers. */
TEST(route_fallback_then_hedge)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = route_client(&m);
    struct hook_rec h = {0};
    llmio_client_set_attempt_cb(c, hook_cb, &h);
    llmio_request *r = route_request("openai/a@max-context=1", 1, "a b c");
    ASSERT_OK(llmio_request_add_fallback(
        r, "openai/b@fail-first=1;ttft=10000;key=fh", LLMIO_FALLBACK_DEFAULT));
    /* Long enough that the first model's quick failure is never hedged. */
    ASSERT_OK(llmio_request_set_hedge(r, LLMIO_HEDGE_FIXED,
                                      test_is_valgrind() ? 3000 : 100));
    struct engine_rec rec = {0};
    llmio_future *f = run(c, r, &rec);
    llmio_request_free(r);
    ASSERT_OK(llmio_future_status(f));
    const llmio_response *resp = llmio_future_response(f);
    int idx = -1;
    ASSERT_STR_EQ(llmio_response_served_by(resp, &idx),
                  "openai/b@fail-first=1;ttft=10000;key=fh");
    ASSERT_EQ(idx, 1);
    ASSERT_EQ(llmio_response_hedges(resp), 1);
    ASSERT_STR_EQ(rec.text, "a b c");
    ASSERT_EQ(h.n, 2);
    ASSERT_EQ(h.status[0], LLMIO_E_CONTEXT_LENGTH);
    ASSERT(!h.hedge[0]);
    ASSERT_EQ(h.status[1], LLMIO_OK);
    ASSERT(h.hedge[1]);
    ASSERT_EQ(h.fallback[1], 1);
    ASSERT_EQ(wait_connections(&m, 1), 1); /* the slow copy is gone */
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Pull mode: the caller's queue gets the winner's deltas only. */
TEST(route_hedge_pull_mode)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = route_client(&m);
    llmio_request *r = slow_first("pull", 0);
    ASSERT_OK(llmio_request_set_stream(r, NULL, true));
    ASSERT_OK(llmio_request_set_hedge(r, LLMIO_HEDGE_FIXED, 100));
    llmio_future *f = NULL;
    ASSERT_OK(llmio_submit(c, r, NULL, NULL, &f, NULL));
    llmio_request_free(r);
    char text[256] = "";
    int starts = 0, finishes = 0;
    const llmio_delta *d;
    llmio_status st;
    while ((st = llmio_future_next(f, &d, (int)slack_ms(5000))) == LLMIO_OK) {
        if (d->kind == LLMIO_DELTA_START) {
            starts++;
        } else if (d->kind == LLMIO_DELTA_FINISH) {
            finishes++;
        } else if (d->kind == LLMIO_DELTA_TEXT) {
            strncat(text, d->text, d->text_len);
        }
    }
    ASSERT_EQ(st, LLMIO_E_STATE); /* the stream is over, normally */
    ASSERT_OK(llmio_future_status(f));
    ASSERT_STR_EQ(text, "quick answer");
    ASSERT_EQ(starts, 1);
    ASSERT_EQ(finishes, 1);
    ASSERT_EQ(llmio_response_hedges(llmio_future_response(f)), 1);
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

static bool restarted;
static size_t restart_bytes;

static int restart_cb(llmio_future *f, const llmio_delta *d, void *user)
{
    if (d->kind == LLMIO_DELTA_RESTARTED && d->restart != NULL) {
        restarted = true;
        restart_bytes = d->restart->text_bytes;
    }
    return engine_stream_cb(f, d, user);
}

/* A routed stream restarted by the retry policy reports what the caller
 * had seen of the failed attempt. */
TEST(route_stream_restart_counts)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = route_client(&m);
    ASSERT_OK(llmio_client_set_retry(c, 2, 10, 20, 1000));
    llmio_request *r = route_request(
        "openai/gpt-4o-mini@fail-first=1;error-after-events=2;key=rs", 0,
        "alpha beta gamma");
    ASSERT_OK(llmio_request_set_stream(r, restart_cb, true));
    ASSERT_OK(llmio_request_set_stream_restart(r, true));
    ASSERT_OK(
        llmio_request_add_fallback(r, "openai/other", LLMIO_FALLBACK_ANY));
    struct engine_rec rec = {0};
    llmio_future *f = run(c, r, &rec);
    llmio_request_free(r);
    ASSERT_OK(llmio_future_status(f));
    ASSERT(restarted);
    ASSERT_EQ(restart_bytes, strlen("alpha beta"));
    ASSERT_STR_EQ(llmio_response_text(llmio_future_response(f), 0, NULL),
                  "alpha beta gamma");
    ASSERT_STR_EQ(llmio_response_served_by(llmio_future_response(f), NULL),
                  "openai/gpt-4o-mini@fail-first=1;error-after-events=2;"
                  "key=rs");
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}
