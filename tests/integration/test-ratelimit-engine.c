/* test-ratelimit-engine.c - rate limits wired into the engine, against
 * llmio-mock: an RPM limit over a burst (checked on the mock's request
 * log), a 429 pausing its whole key, the server's headers slowing the
 * client, TPM with usage correction, cancel and the deadline while
 * waiting, and two processes sharing one named budget. */
#include "engine-util.h"

#include "ratelimit.h"
#include "support/http.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int64_t slack_ms(int64_t ms)
{
    return test_is_valgrind() ? ms * 10 : ms;
}

/* A request to MODEL with SCENARIO (nullable) and MAX_TOKENS (0: none). */
static llmio_request *rl_request(const char *model, const char *scenario,
                                 int64_t max_tokens)
{
    llmio_request *r = llmio_request_new(model);
    ASSERT_NOT_NULL(r);
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "hello"));
    if (scenario != NULL) {
        char h[512];
        snprintf(h, sizeof h, "X-Mock-Scenario: %s", scenario);
        ASSERT_OK(llmio_request_add_header(r, h));
    }
    if (max_tokens > 0) {
        ASSERT_OK(llmio_request_set_max_tokens(r, max_tokens));
    }
    return r;
}

static llmio_future *submit(llmio_client *c, const char *model,
                            const char *scenario, struct engine_rec *rec)
{
    llmio_request *r = rl_request(model, scenario, 0);
    llmio_future *f = NULL;
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, rec, &f, NULL));
    llmio_request_free(r);
    return f;
}

/* The wall-clock ms at which the mock received each logged request whose
 * line contains NEEDLE, in log order (which is arrival order). */
static int log_times(struct test_mock *m, const char *needle, int64_t *ts,
                     int max)
{
    size_t len;
    char *log = test_mock_log(m, &len);
    ASSERT_NOT_NULL(log);
    int n = 0;
    for (char *line = log; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        const char *p = strstr(line, "\"ts\":\"");
        if (p != NULL && strstr(line, needle) != NULL && n < max) {
            p += 6;
            const char *e = strchr(p, '"');
            ASSERT_NOT_NULL(e);
            ASSERT(llmio__parse_rfc3339(p, (size_t)(e - p), &ts[n]));
            n++;
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    free(log);
    return n;
}

/* The most requests among TS (sorted) within any window of WINDOW_MS. */
static int max_in_window(const int64_t *ts, int n, int64_t window_ms)
{
    int best = 0;
    for (int i = 0, j = 0; i < n; i++) {
        while (ts[i] - ts[j] >= window_ms) {
            j++;
        }
        best = i - j + 1 > best ? i - j + 1 : best;
    }
    return best;
}

static void wait_all(llmio_future **fs, int n, int64_t ms)
{
    ASSERT_OK(llmio_future_wait_all(fs, (size_t)n, (int)slack_ms(ms)));
}

/* 600 RPM: a burst of 60 at once, then 540 a minute (one every 111 ms).
 * 75 requests submitted together: the last 15 are paced, and no second
 * of the mock's log holds more than the burst plus a second's refill. */
TEST(ratelimit_engine_rpm_holds_over_burst)
{
    enum { N = 75 };
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_rate_limit(c, NULL, 600, 0));
    llmio_future *fs[N];
    struct engine_rec recs[N];
    memset(recs, 0, sizeof recs);
    int64_t t0 = test_now_ms();
    for (int i = 0; i < N; i++) {
        fs[i] = submit(c, "openai/gpt-4o-mini", "key=burst", &recs[i]);
    }
    wait_all(fs, N, 20000);
    int64_t took = test_now_ms() - t0;
    for (int i = 0; i < N; i++) {
        ASSERT_EQ(recs[i].ndone, 1);
        ASSERT_OK(recs[i].status);
        llmio_future_free(fs[i]);
    }
    /* 15 past the burst at 9 a second: 15 * 111 ms. */
    ASSERT_CMP(took, >=, 1600);
    int64_t ts[N];
    ASSERT_EQ(log_times(&m, "key=burst", ts, N), N);
    /* 60 + 9 in one second; one more for the mock's ms rounding. Under
     * valgrind the burst's connections take most of a second to open, so
     * its requests arrive as late as the paced ones: only the pacing
     * (TOOK) is checked there. */
    ASSERT_CMP(max_in_window(ts, N, 1000), <=, test_is_valgrind() ? N : 70);
    ASSERT_CMP(max_in_window(ts, N, 1), <=, 60);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* What the attempt hook saw: the time of the first 429 (or 503/529). */
struct pause_rec {
    int64_t first_429_ms;
};

static void pause_hook(llmio_future *f, const llmio_attempt_info *info,
                       void *user)
{
    (void)f;
    struct pause_rec *p = user;
    bool paused = info->http_status == 429 || info->http_status == 503 ||
                  info->http_status == 529;
    if (paused && p->first_429_ms == 0) {
        p->first_429_ms = test_now_ms();
    }
}

/* A 429 with retry-after-ms=700 on one key: a request submitted on the
 * same key afterwards waits out the pause; one on another model (another
 * key) goes at once. The 429'd request is retried after the pause. */
TEST(ratelimit_engine_429_pauses_key)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_retry(c, 3, 10, 20, 60000));
    ASSERT_OK(llmio_client_set_rate_limit(c, NULL, 0, 0));
    struct pause_rec pr = {0};
    llmio_client_set_attempt_cb(c, pause_hook, &pr);
    struct engine_rec ra = {0}, rb = {0}, rc = {0};
    llmio_future *fa = submit(
        c, "openai/gpt-4o-mini",
        "fail-first=1;status=429;retry-after-ms=700;key=p429", &ra);
    int64_t t0 = test_now_ms();
    while (pr.first_429_ms == 0 && test_now_ms() - t0 < slack_ms(5000)) {
        (void)llmio_client_run(c, 10); /* LLMIO_E_TIMEOUT: time is up */
    }
    ASSERT_CMP(pr.first_429_ms, >, 0);
    llmio_future *fb = submit(c, "openai/gpt-4o-mini", NULL, &rb);
    llmio_future *fc = submit(c, "openai/gpt-4o", NULL, &rc);
    llmio_future *all[3] = {fa, fb, fc};
    wait_all(all, 3, 10000);
    ASSERT_OK(ra.status);
    ASSERT_OK(rb.status);
    ASSERT_OK(rc.status);
    ASSERT_EQ(llmio_future_error(fa)->attempts, 2);
    /* Same key: not before the pause ends (the hook ran after the 429
     * was read, so the pause started earlier: allow 50 ms, more under
     * valgrind, which translates each new code path on first use). */
    int64_t min_ms = test_is_valgrind() ? 450 : 650;
    ASSERT_CMP(rb.done_ms - pr.first_429_ms, >=, min_ms);
    ASSERT_CMP(ra.done_ms - pr.first_429_ms, >=, min_ms);
    /* Another key: not paused. */
    ASSERT_CMP(rc.done_ms - pr.first_429_ms, <, slack_ms(400));
    llmio_future_free(fa);
    llmio_future_free(fb);
    llmio_future_free(fc);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Runs N requests to MODEL one after another, all with SCENARIO; returns
 * the ms they took. */
static int64_t run_sequence(llmio_client *c, const char *model,
                            const char *scenario, int n)
{
    int64_t t0 = test_now_ms();
    for (int i = 0; i < n; i++) {
        llmio_future *f;
        struct engine_rec rec = {0};
        f = submit(c, model, scenario, &rec);
        wait_all(&f, 1, 5000);
        ASSERT_OK(rec.status);
        llmio_future_free(f);
    }
    return test_now_ms() - t0;
}

/* The server says: limit 600 a minute, none remaining, reset in 1 s. The
 * first response teaches the key's bucket that limit and empties it, so
 * every later request waits for the refill (540 a minute sustained: one
 * per 111 ms), where without the headers ten take a few ms. OpenAI's
 * x-ratelimit-* and Anthropic's anthropic-ratelimit-* (RFC 3339 reset)
 * alike. */
TEST(ratelimit_engine_headers_slow_the_client)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    static const struct {
        const char *provider, *model;
    } cases[] = {{NULL, "openai/gpt-4o-mini"},
                 {"anthropic", "anthropic/claude-sonnet-4-5"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmio_client *c = engine_client(&m);
        if (cases[i].provider != NULL) {
            ASSERT_OK(llmio_client_set_base_url(c, cases[i].provider, m.url));
            ASSERT_OK(llmio_client_set_api_key(c, cases[i].provider,
                                               ENGINE_TEST_KEY));
        }
        /* Unlimited without headers: the same ten go at once. */
        int64_t free_ms = run_sequence(c, cases[i].model, NULL, 11);
        ASSERT_OK(llmio_client_set_rate_limit(c, NULL, 0, 0));
        int64_t paced_ms =
            run_sequence(c, cases[i].model, "ratelimit=600,0,1", 11);
        ASSERT_CMP(paced_ms, >=, 10 * 111 - 20);
        ASSERT_CMP(free_ms, <, slack_ms(600));
        llmio_client_free(c);
    }
    test_mock_stop(&m);
}

/* Headers are learnt when the body starts, not when the attempt ends: a
 * 2 s stream whose headers say "60 a minute, none left" makes a request
 * submitted during it wait for the refill (54 a minute sustained: 1.1 s),
 * while the stream is still running. */
TEST(ratelimit_engine_headers_learnt_at_stream_start)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_rate_limit(c, NULL, 0, 0));
    struct engine_rec ra = {0}, rb = {0};
    llmio_request *r = rl_request("openai/gpt-4o-mini",
                                  "ratelimit=60,0,1;lorem=20;tps=10", 0);
    ASSERT_OK(llmio_request_set_stream(r, engine_stream_cb, true));
    llmio_future *fa = NULL;
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &ra, &fa, NULL));
    llmio_request_free(r);
    int64_t t0 = test_now_ms();
    while (ra.ndeltas == 0 && test_now_ms() - t0 < slack_ms(5000)) {
        (void)llmio_client_run(c, 10); /* LLMIO_E_TIMEOUT: time is up */
    }
    ASSERT_CMP(ra.ndeltas, >, 0);
    ASSERT_EQ(ra.ndone, 0);
    int64_t tb = test_now_ms();
    llmio_future *fb = submit(c, "openai/gpt-4o-mini", NULL, &rb);
    llmio_future *both[2] = {fa, fb};
    wait_all(both, 2, 10000);
    ASSERT_OK(ra.status);
    ASSERT_OK(rb.status);
    ASSERT_CMP(rb.done_ms - tb, >=, 1000);
    llmio_future_free(fa);
    llmio_future_free(fb);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* 3000 tokens a minute: a burst of 300, then 45 a second. A request is
 * estimated at about 22 tokens (its body / 4 + 4) but the reply
 * (lorem=100) makes its usage 101: the correction charges the rest, so
 * by the fourth grant 3 * 101 + 22 tokens were taken and at least
 * (325 - 300) / 45 s must have passed, however slow the run; the
 * estimates alone would let all four go at once. */
TEST(ratelimit_engine_tpm_corrected_by_usage)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_rate_limit(c, "openai", 0, 3000));
    int64_t took = run_sequence(c, "openai/gpt-4o-mini", "lorem=100", 4);
    ASSERT_CMP(took, >=, 450);
    llmio_client_free(c);

    /* A short reply (usage 2) gives most of each estimate back: the
     * same three go at once. */
    c = engine_client(&m);
    ASSERT_OK(llmio_client_set_rate_limit(c, "openai", 0, 3000));
    took = run_sequence(c, "openai/gpt-4o-mini", "text=hi", 4);
    ASSERT_CMP(took, <, slack_ms(400));
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* A request whose estimate alone exceeds the budget's burst (max_tokens
 * counted) waits for a full bucket; one that fits goes at once. */
TEST(ratelimit_engine_tpm_counts_max_tokens)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    /* 6000 a minute: burst 600, 90 a second. */
    ASSERT_OK(llmio_client_set_rate_limit(c, "openai/gpt-4o-mini", 0, 6000));
    llmio_future *fs[2];
    struct engine_rec recs[2] = {{0}, {0}};
    for (int i = 0; i < 2; i++) {
        llmio_request *r =
            rl_request("openai/gpt-4o-mini", "text=hi;key=mt", 500);
        ASSERT_OK(llmio_submit(c, r, engine_done_cb, &recs[i], &fs[i], NULL));
        llmio_request_free(r);
    }
    int64_t t0 = test_now_ms();
    wait_all(fs, 2, 20000);
    /* The second (about 525 tokens) waits until the first one's usage
     * (3 tokens) gives its estimate back: at once, not 5 s later. */
    ASSERT_OK(recs[0].status);
    ASSERT_OK(recs[1].status);
    ASSERT_CMP(recs[1].done_ms - t0, <, slack_ms(1000));
    ASSERT_CMP(recs[1].done_ms, >=, recs[0].done_ms);
    llmio_future_free(fs[0]);
    llmio_future_free(fs[1]);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* 60 RPM: a burst of 6, then one every 1.11 s. Of eight requests, the
 * seventh heads the key's lane and the eighth waits behind it (decided at
 * submit); cancelling both completes each at once, exactly once, spends
 * nothing, and the lane still works. */
TEST(ratelimit_engine_cancel_while_waiting)
{
    enum { N = 8 };
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_rate_limit(c, NULL, 60, 0));
    llmio_future *fs[N];
    struct engine_rec recs[N];
    memset(recs, 0, sizeof recs);
    int64_t t_burst = test_now_ms();
    for (int i = 0; i < N; i++) {
        fs[i] = submit(c, "openai/gpt-4o-mini", "key=cw", &recs[i]);
    }
    int64_t t0 = test_now_ms();
    llmio_future_cancel(fs[7]); /* behind the head */
    llmio_future_cancel(fs[6]); /* the head */
    wait_all(fs + 6, 2, 1000);
    ASSERT_CMP(test_now_ms() - t0, <, slack_ms(200));
    wait_all(fs, 6, 10000);
    for (int i = 0; i < N; i++) {
        ASSERT_EQ(recs[i].ndone, 1);
        ASSERT_EQ(recs[i].status, i < 6 ? LLMIO_OK : LLMIO_E_CANCELLED);
    }
    ASSERT_EQ(llmio_future_error(fs[6])->attempts, 0);
    ASSERT_EQ(llmio_client_pending(c), 0);
    /* The next one is the seventh grant: 1.11 s after the burst, not
     * 3.3 s (the cancelled ones took nothing). */
    struct engine_rec rec = {0};
    llmio_future *f = submit(c, "openai/gpt-4o-mini", "key=cw", &rec);
    wait_all(&f, 1, 10000);
    ASSERT_OK(rec.status);
    ASSERT_CMP(rec.done_ms - t_burst, >=, 1100);
    ASSERT_CMP(rec.done_ms - t_burst, <, slack_ms(2200));
    llmio_future_free(f);
    int64_t ts[16];
    ASSERT_EQ(log_times(&m, "key=cw", ts, 16), 7);
    for (int i = 0; i < N; i++) {
        llmio_future_free(fs[i]);
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Raising the limit helps the requests already waiting at once: they
 * do not sleep out the wait computed under the old limit. */
TEST(ratelimit_engine_raised_limit_wakes_waiters)
{
    enum { N = 8 };
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_rate_limit(c, NULL, 60, 0));
    llmio_future *fs[N];
    struct engine_rec recs[N];
    memset(recs, 0, sizeof recs);
    int64_t t0 = test_now_ms();
    for (int i = 0; i < N; i++) {
        fs[i] = submit(c, "openai/gpt-4o-mini", "key=raise", &recs[i]);
    }
    /* The last two wait 1.1 and 2.2 s at 60 a minute; 6000 a minute
     * refills one every 11 ms. */
    ASSERT_OK(llmio_client_set_rate_limit(c, NULL, 6000, 0));
    wait_all(fs, N, 10000);
    for (int i = 0; i < N; i++) {
        ASSERT_OK(recs[i].status);
        ASSERT_CMP(recs[i].done_ms - t0, <, slack_ms(700));
        llmio_future_free(fs[i]);
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* A wait that would end past the TOTAL timeout is not started: the head
 * of the lane and the request behind it fail at once with
 * LLMIO_E_RATE_LIMIT and the wait in retry_after_ms. */
TEST(ratelimit_engine_wait_past_deadline_fails_fast)
{
    enum { N = 8 };
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_rate_limit(c, NULL, 60, 0));
    llmio_future *fs[N];
    struct engine_rec recs[N];
    memset(recs, 0, sizeof recs);
    int64_t t0 = test_now_ms();
    for (int i = 0; i < N; i++) {
        llmio_request *r = rl_request("openai/gpt-4o-mini", "key=dl", 0);
        if (i >= 6) {
            /* Shorter than the 1.11 s the limiter would ask for. */
            ASSERT_OK(llmio_request_set_timeout(r, LLMIO_TIMEOUT_TOTAL, 700));
        }
        ASSERT_OK(llmio_submit(c, r, engine_done_cb, &recs[i], &fs[i], NULL));
        llmio_request_free(r);
    }
    wait_all(fs, N, 10000);
    for (int i = 0; i < N; i++) {
        ASSERT_EQ(recs[i].ndone, 1);
        if (i < 6) {
            ASSERT_OK(recs[i].status);
            continue;
        }
        const llmio_error *e = llmio_future_error(fs[i]);
        if (i == 7 && test_is_valgrind() && recs[i].status == LLMIO_E_TIMEOUT) {
            continue; /* its 700 ms ran out before it headed the lane */
        }
        ASSERT_EQ(recs[i].status, LLMIO_E_RATE_LIMIT);
        /* The wait that did not fit in what was left of the 700 ms
         * (all of it for the head at submit, unless valgrind's pace
         * used some up first). */
        ASSERT_CMP(e->retry_after_ms, >, i == 6 && !test_is_valgrind() ? 700 : 0);
        ASSERT_CMP(e->retry_after_ms, <=, 1112);
        ASSERT_CONTAINS(e->message, "rate limit");
        ASSERT_CMP(recs[i].done_ms - t0, <, slack_ms(500));
    }
    int64_t ts[16];
    ASSERT_EQ(log_times(&m, "key=dl", ts, 16), 6);
    for (int i = 0; i < N; i++) {
        llmio_future_free(fs[i]);
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Rate and concurrency together: at most 2 on the wire, 600 a minute.
 * A lane head that finds no free slot waits in the FIFO (keeping its
 * place in the lane); every request still ends once, in order per key,
 * and the pace holds. A second key is not held up by the first one's
 * lane beyond the shared slots. */
TEST(ratelimit_engine_with_concurrency_cap)
{
    enum { N = 81 };
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_max_concurrency(c, 2));
    ASSERT_OK(llmio_client_set_rate_limit(c, "openai/gpt-4o-mini", 600, 0));
    llmio_future *fs[N];
    struct engine_rec recs[N];
    memset(recs, 0, sizeof recs);
    int64_t t0 = test_now_ms();
    for (int i = 0; i < N; i++) {
        /* Every ninth goes to another (unlimited) model. */
        fs[i] = submit(c, i % 9 == 8 ? "openai/gpt-4o" : "openai/gpt-4o-mini",
                       "key=cc;ttft=5", &recs[i]);
    }
    wait_all(fs, N, 30000);
    int64_t took = test_now_ms() - t0;
    for (int i = 0; i < N; i++) {
        ASSERT_EQ(recs[i].ndone, 1);
        ASSERT_OK(recs[i].status);
        llmio_future_free(fs[i]);
    }
    /* 72 on the limited model: 12 past its burst of 60, at 9 a second. */
    ASSERT_CMP(took, >=, 12 * 111 - 20);
    int64_t ts[N];
    ASSERT_EQ(log_times(&m, "key=cc", ts, N), N);
    ASSERT_EQ(llmio_client_pending(c), 0);
    ASSERT_EQ(engine_mock_connections(&m), 2);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* One worker process: joins the shared budget NAME and sends N requests
 * at once. Exit 0 when all succeeded. */
static int share_worker(const struct test_mock *m, const char *name, int n)
{
    llmio_client *c = NULL;
    char url[128];
    snprintf(url, sizeof url, "%s/v1", m->url);
    if (llmio_client_new(NULL, &c) != LLMIO_OK ||
        llmio_client_set_base_url(c, NULL, url) != LLMIO_OK ||
        llmio_client_set_api_key(c, NULL, ENGINE_TEST_KEY) != LLMIO_OK ||
        llmio_client_set_shared_rate_limit(c, "openai", name, 600, 0) !=
            LLMIO_OK) {
        return 2;
    }
    llmio_future *fs[64];
    int bad = 0;
    for (int i = 0; i < n; i++) {
        llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
        llmio_request_add_message(r, LLMIO_ROLE_USER, "hello");
        llmio_request_add_header(r, "X-Mock-Scenario: key=share");
        if (llmio_submit(c, r, NULL, NULL, &fs[i], NULL) != LLMIO_OK) {
            return 3;
        }
        llmio_request_free(r);
    }
    if (llmio_future_wait_all(fs, (size_t)n, 60000) != LLMIO_OK) {
        return 4;
    }
    for (int i = 0; i < n; i++) {
        bad += llmio_future_status(fs[i]) != LLMIO_OK;
        llmio_future_free(fs[i]);
    }
    llmio_client_free(c);
    return bad == 0 ? 0 : 5;
}

/* Two processes, 40 requests each, one shared budget of 600 a minute
 * (burst 60, then 9 a second): together they are paced as one client
 * would be, where two private limits would let all 80 go at once. */
TEST(ratelimit_engine_two_processes_share_budget)
{
    enum { PER = 40 };
    struct test_mock m;
    test_mock_start(&m, NULL);
    char name[64];
    snprintf(name, sizeof name, "llmio-test-share-%d", (int)getpid());
    int64_t t0 = test_now_ms();
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        ASSERT(pids[i] >= 0);
        if (pids[i] == 0) {
            _exit(share_worker(&m, name, PER));
        }
    }
    for (int i = 0; i < 2; i++) {
        int status = 0;
        ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
        ASSERT(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
    }
    int64_t took = test_now_ms() - t0;
    ASSERT_OK(llmio_shared_rate_limit_unlink(name));
    ASSERT_EQ(llmio_shared_rate_limit_unlink(name), LLMIO_E_STATE);
    /* 20 past the shared burst at 9 a second. */
    ASSERT_CMP(took, >=, 2100);
    int64_t ts[2 * PER];
    ASSERT_EQ(log_times(&m, "key=share", ts, 2 * PER), 2 * PER);
    ASSERT_CMP(max_in_window(ts, 2 * PER, 1000), <=,
               test_is_valgrind() ? 2 * PER : 70);
    test_mock_stop(&m);
}

TEST(ratelimit_engine_bad_arguments)
{
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    ASSERT_EQ(llmio_client_set_rate_limit(NULL, NULL, 1, 1), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_client_set_rate_limit(c, NULL, -1, 0), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_client_set_rate_limit(c, NULL, 0, -5), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_client_set_rate_limit(c, "nosuch", 10, 0),
              LLMIO_E_INVALID);
    ASSERT_EQ(llmio_client_set_rate_limit(c, "openai/", 10, 0),
              LLMIO_E_INVALID);
    ASSERT_OK(llmio_client_set_rate_limit(c, "openai", 10, 0));
    ASSERT_OK(llmio_client_set_rate_limit(c, "openai/gpt-4o", 10, 100));
    ASSERT_OK(llmio_client_set_rate_limit(c, "anthropic/claude/x", 10, 0));
    ASSERT_OK(llmio_client_set_rate_limit(c, "", 0, 0));
    ASSERT_EQ(llmio_client_set_shared_rate_limit(c, NULL, "a/b", 10, 0),
              LLMIO_E_INVALID);
    ASSERT_EQ(llmio_client_set_shared_rate_limit(c, NULL, "", 10, 0),
              LLMIO_E_INVALID);
    ASSERT_EQ(llmio_client_set_shared_rate_limit(c, NULL, NULL, 10, 0),
              LLMIO_E_INVALID);
    ASSERT_EQ(llmio_client_set_shared_rate_limit(c, NULL, "ok-name", 0, 0),
              LLMIO_E_INVALID);
    ASSERT_EQ(llmio_shared_rate_limit_unlink("bad name"), LLMIO_E_INVALID);
    llmio_client_free(c);
}

/* ---- holds: the default with no limit set (llmio_client_set_rate_pause) --- */

/* Drives C until the attempt hook has seen a 429. */
static void drive_until_429(llmio_client *c, struct pause_rec *pr)
{
    int64_t t0 = test_now_ms();
    while (pr->first_429_ms == 0 && test_now_ms() - t0 < slack_ms(5000)) {
        (void)llmio_client_run(c, 10); /* LLMIO_E_TIMEOUT: time is up */
    }
    ASSERT_CMP(pr->first_429_ms, >, 0);
}

/* No limit set. The first request on a key gets a 429 with Retry-After:
 * 1; ten requests submitted to that key during the pause wait it out:
 * the mock's log shows nothing on the key for the next second, then the
 * ten and the 429'd request's retry, spread over the retry policy's first
 * backoff (300 ms here) rather than at one instant. Each of the ten is
 * sent once; all succeed. */
TEST(ratelimit_pause_holds_key_then_spreads)
{
    enum { N = 10 };
    static const char scn[] = "fail-first=1;status=429;retry-after=1;key=hold";
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_retry(c, 3, 300, 1000, 60000));
    llmio_client_set_retry_seed(c, 42);
    struct pause_rec pr = {0};
    llmio_client_set_attempt_cb(c, pause_hook, &pr);
    struct engine_rec recs[N + 1];
    memset(recs, 0, sizeof recs);
    llmio_future *fs[N + 1];
    fs[0] = submit(c, "openai/gpt-4o-mini", scn, &recs[0]);
    drive_until_429(c, &pr);
    for (int i = 1; i <= N; i++) {
        fs[i] = submit(c, "openai/gpt-4o-mini", scn, &recs[i]);
    }
    wait_all(fs, N + 1, 10000);
    for (int i = 0; i <= N; i++) {
        ASSERT_EQ(recs[i].ndone, 1);
        ASSERT_OK(recs[i].status);
        ASSERT_EQ(llmio_future_error(fs[i])->attempts, i == 0 ? 2 : 1);
        llmio_future_free(fs[i]);
    }
    int64_t ts[N + 2];
    ASSERT_EQ(log_times(&m, "key=hold", ts, N + 2), N + 2);
    int64_t first = INT64_MAX, last = 0;
    for (int i = 1; i < N + 2; i++) {
        /* The pause started when the client read the 429, after the
         * mock logged it; 5 ms for the log's ms rounding. */
        ASSERT_CMP(ts[i] - ts[0], >=, 995);
        first = ts[i] < first ? ts[i] : first;
        last = ts[i] > last ? ts[i] : last;
    }
    if (!test_is_valgrind()) {
        /* Within the pause plus the 300 ms spread (and this machine's
         * scheduling), and spread: eleven draws over 300 ms from seed 42,
         * not one burst. */
        ASSERT_CMP(last - ts[0], <=, 1000 + 300 + 400);
        ASSERT_CMP(last - first, >=, 100);
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Requests queued behind a concurrency cap of one are held too: when the
 * 429 frees the slot, the next ones wait for the pause instead of being
 * sent into it. */
TEST(ratelimit_pause_holds_queued)
{
    enum { N = 6 };
    static const char scn[] = "fail-first=1;status=429;retry-after=1;key=q1";
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_retry(c, 3, 100, 1000, 60000));
    ASSERT_OK(llmio_client_set_max_concurrency(c, 1));
    struct engine_rec recs[N];
    memset(recs, 0, sizeof recs);
    llmio_future *fs[N];
    for (int i = 0; i < N; i++) {
        fs[i] = submit(c, "openai/gpt-4o-mini", scn, &recs[i]);
    }
    wait_all(fs, N, 10000);
    for (int i = 0; i < N; i++) {
        ASSERT_EQ(recs[i].ndone, 1);
        ASSERT_OK(recs[i].status);
        ASSERT_EQ(llmio_future_error(fs[i])->attempts, i == 0 ? 2 : 1);
        llmio_future_free(fs[i]);
    }
    int64_t ts[N + 1];
    ASSERT_EQ(log_times(&m, "key=q1", ts, N + 1), N + 1);
    for (int i = 1; i <= N; i++) {
        ASSERT_CMP(ts[i] - ts[0], >=, 995);
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* The hold is per provider + model + API key: during it, another model,
 * another provider and the same model under another API key go at once;
 * the held key's request goes after it. */
TEST(ratelimit_pause_other_keys_go)
{
    int pause_s = test_is_valgrind() ? 6 : 2;
    char scn[128];
    snprintf(scn, sizeof scn, "fail-first=1;status=429;retry-after=%d;key=k3",
             pause_s);
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_retry(c, 3, 10, 20, 60000));
    ASSERT_OK(llmio_client_set_base_url(c, "anthropic", m.url));
    ASSERT_OK(llmio_client_set_api_key(c, "anthropic", ENGINE_TEST_KEY));
    struct pause_rec pr = {0};
    llmio_client_set_attempt_cb(c, pause_hook, &pr);
    struct engine_rec ra = {0}, rb = {0}, rc = {0}, rd = {0}, re = {0};
    llmio_future *fa = submit(c, "openai/gpt-4o-mini", scn, &ra);
    drive_until_429(c, &pr);
    llmio_future *fb = submit(c, "openai/gpt-4o-mini", NULL, &rb);
    llmio_future *fc = submit(c, "openai/gpt-4o", NULL, &rc);
    llmio_future *fd = submit(c, "anthropic/claude-sonnet-4-5", NULL, &rd);
    ASSERT_OK(llmio_client_set_api_key(c, NULL, "sk-test-another-key-0123"));
    llmio_future *fe = submit(c, "openai/gpt-4o-mini", NULL, &re);
    llmio_future *all[5] = {fa, fb, fc, fd, fe};
    wait_all(all, 5, 20000);
    struct engine_rec *recs[5] = {&ra, &rb, &rc, &rd, &re};
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(recs[i]->ndone, 1);
        ASSERT_OK(recs[i]->status);
        llmio_future_free(all[i]);
    }
    int64_t held = pause_s * 1000 - 50;
    ASSERT_CMP(ra.done_ms - pr.first_429_ms, >=, held);
    ASSERT_CMP(rb.done_ms - pr.first_429_ms, >=, held);
    ASSERT_CMP(rc.done_ms - pr.first_429_ms, <, held - 500);
    ASSERT_CMP(rd.done_ms - pr.first_429_ms, <, held - 500);
    ASSERT_CMP(re.done_ms - pr.first_429_ms, <, held - 500);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Turned off: the old behaviour. Only the 429'd request waits (its own
 * retry); the others on its key are sent during the pause. */
TEST(ratelimit_pause_off)
{
    enum { N = 3 };
    int pause_s = test_is_valgrind() ? 5 : 1;
    char scn[128];
    snprintf(scn, sizeof scn, "fail-first=1;status=429;retry-after=%d;key=off",
             pause_s);
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_retry(c, 3, 10, 20, 60000));
    ASSERT_EQ(llmio_client_set_rate_pause(NULL, false), LLMIO_E_INVALID);
    ASSERT_OK(llmio_client_set_rate_pause(c, false));
    struct pause_rec pr = {0};
    llmio_client_set_attempt_cb(c, pause_hook, &pr);
    struct engine_rec recs[N + 1];
    memset(recs, 0, sizeof recs);
    llmio_future *fs[N + 1];
    fs[0] = submit(c, "openai/gpt-4o-mini", scn, &recs[0]);
    drive_until_429(c, &pr);
    for (int i = 1; i <= N; i++) {
        fs[i] = submit(c, "openai/gpt-4o-mini", scn, &recs[i]);
    }
    wait_all(fs, N + 1, 20000);
    for (int i = 0; i <= N; i++) {
        ASSERT_OK(recs[i].status);
        int64_t after = recs[i].done_ms - pr.first_429_ms;
        if (i == 0) {
            ASSERT_CMP(after, >=, pause_s * 1000 - 50);
        } else {
            ASSERT_CMP(after, <, pause_s * 1000 - 300);
        }
        llmio_future_free(fs[i]);
    }
    int64_t ts[N + 2];
    ASSERT_EQ(log_times(&m, "key=off", ts, N + 2), N + 2);
    ASSERT_CMP(ts[1] - ts[0], <, pause_s * 1000 - 300); /* into the pause */
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* During a hold: a request whose TOTAL timeout ends first fails at once
 * with LLMIO_E_RATE_LIMIT and the wait in retry_after_ms, never sent; a
 * cancelled one completes once, at once, never sent; the 429'd request
 * still succeeds after the pause. */
TEST(ratelimit_pause_deadline_and_cancel)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_retry(c, 3, 10, 20, 60000));
    struct pause_rec pr = {0};
    llmio_client_set_attempt_cb(c, pause_hook, &pr);
    struct engine_rec ra = {0}, rb = {0}, rc = {0};
    llmio_future *fa = submit(
        c, "openai/gpt-4o-mini",
        "fail-first=1;status=429;retry-after=2;key=dl", &ra);
    drive_until_429(c, &pr);

    llmio_request *r = rl_request("openai/gpt-4o-mini", "text=never-sent-b", 0);
    ASSERT_OK(llmio_request_set_timeout(r, LLMIO_TIMEOUT_TOTAL, 500));
    llmio_future *fb = NULL;
    int64_t t0 = test_now_ms();
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rb, &fb, NULL));
    llmio_request_free(r);
    ASSERT_OK(llmio_future_wait(fb, (int)slack_ms(1000)));
    ASSERT_CMP(rb.done_ms - t0, <, slack_ms(300));
    ASSERT_EQ(rb.ndone, 1);
    ASSERT_EQ(rb.status, LLMIO_E_RATE_LIMIT);
    const llmio_error *e = llmio_future_error(fb);
    ASSERT_CMP(e->retry_after_ms, >, 1000);
    ASSERT_CMP(e->retry_after_ms, <=, 2000);
    ASSERT_EQ(e->attempts, 0);
    ASSERT_CONTAINS(e->message, "rate limit");

    llmio_future *fc = submit(c, "openai/gpt-4o-mini", "text=never-sent-c", &rc);
    t0 = test_now_ms();
    llmio_future_cancel(fc);
    ASSERT_OK(llmio_future_wait(fc, 1000));
    ASSERT_CMP(test_now_ms() - t0, <, slack_ms(300));
    ASSERT_EQ(rc.ndone, 1);
    ASSERT_EQ(rc.status, LLMIO_E_CANCELLED);

    ASSERT_OK(llmio_future_wait(fa, (int)slack_ms(5000)));
    ASSERT_EQ(ra.ndone, 1);
    ASSERT_OK(ra.status);
    ASSERT_EQ(rb.ndone, 1);
    ASSERT_EQ(rc.ndone, 1);
    ASSERT_EQ(engine_log_lines(&m, "never-sent", NULL, 0), 0);
    llmio_future_free(fa);
    llmio_future_free(fb);
    llmio_future_free(fc);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* A 529 with Retry-After holds the key like a 429 (Anthropic; the server
 * said when to come back); a 503 without a hint holds nothing (the
 * retry's jittered backoff is enough). */
TEST(ratelimit_pause_overload_with_hint)
{
    static const struct {
        const char *model, *scn;
        bool holds;
    } cases[] = {
        {"openai/gpt-4o-mini", "fail-first=1;status=503;key=o1", false},
        {"anthropic/claude-sonnet-4-5",
         "fail-first=1;status=529;retry-after=1;key=o2", true},
    };
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_retry(c, 3, 10, 20, 60000));
    ASSERT_OK(llmio_client_set_base_url(c, "anthropic", m.url));
    ASSERT_OK(llmio_client_set_api_key(c, "anthropic", ENGINE_TEST_KEY));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pause_rec pr = {0};
        llmio_client_set_attempt_cb(c, pause_hook, &pr);
        struct engine_rec r1 = {0}, r2 = {0};
        llmio_future *f1 = submit(c, cases[i].model, cases[i].scn, &r1);
        drive_until_429(c, &pr);
        llmio_future *f2 = submit(c, cases[i].model, NULL, &r2);
        llmio_future *both[2] = {f1, f2};
        wait_all(both, 2, 10000);
        ASSERT_OK(r1.status);
        ASSERT_OK(r2.status);
        ASSERT_EQ(llmio_future_error(f1)->attempts, 2);
        ASSERT_EQ(llmio_future_error(f2)->attempts, 1);
        int64_t after = r2.done_ms - pr.first_429_ms;
        if (cases[i].holds) {
            ASSERT_CMP(after, >=, 950);
        } else {
            ASSERT_CMP(after, <, slack_ms(500));
        }
        llmio_future_free(f1);
        llmio_future_free(f2);
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Gemini puts its hint in the body (RetryInfo.retryDelay, 2 s here), with
 * no Retry-After header: it holds the key and times the retry all the
 * same. */
TEST(ratelimit_pause_gemini_retry_info)
{
    static const char scn[] =
        "fail-first=1;status=429;content-type=application/json;key=g1;body="
        "{\"error\":{\"code\":429,\"message\":\"quota\",\"status\":"
        "\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis."
        "com/google.rpc.RetryInfo\",\"retryDelay\":\"2s\"}]}}";
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_retry(c, 3, 10, 20, 60000));
    char url[128];
    snprintf(url, sizeof url, "%s/v1beta", m.url);
    ASSERT_OK(llmio_client_set_base_url(c, "gemini", url));
    ASSERT_OK(llmio_client_set_api_key(c, "gemini", ENGINE_TEST_KEY));
    struct pause_rec pr = {0};
    llmio_client_set_attempt_cb(c, pause_hook, &pr);
    struct engine_rec ra = {0}, rb = {0};
    llmio_future *fa = submit(c, "gemini/gemini-2.5-flash", scn, &ra);
    drive_until_429(c, &pr);
    llmio_future *fb = submit(c, "gemini/gemini-2.5-flash", NULL, &rb);
    llmio_future *both[2] = {fa, fb};
    wait_all(both, 2, 10000);
    ASSERT_OK(ra.status);
    ASSERT_OK(rb.status);
    ASSERT_EQ(llmio_future_error(fa)->attempts, 2);
    /* 2 s: not the 1 s a 429 without any hint holds. */
    ASSERT_CMP(ra.done_ms - pr.first_429_ms, >=, 1950);
    ASSERT_CMP(rb.done_ms - pr.first_429_ms, >=, 1950);
    llmio_future_free(fa);
    llmio_future_free(fb);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Freeing the client while requests are held completes each of them
 * once, at once, with LLMIO_E_CANCELLED (none is sent). */
TEST(ratelimit_pause_client_free_while_held)
{
    enum { N = 4 };
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    struct pause_rec pr = {0};
    llmio_client_set_attempt_cb(c, pause_hook, &pr);
    struct engine_rec ra = {0}, recs[N];
    memset(recs, 0, sizeof recs);
    llmio_future *fs[N];
    llmio_future *fa = submit(c, "openai/gpt-4o-mini",
                              "status=429;retry-after=30;key=free", &ra);
    drive_until_429(c, &pr);
    ASSERT_EQ(ra.ndone, 1); /* retries off: it ended with its 429 */
    ASSERT_EQ(ra.status, LLMIO_E_RATE_LIMIT);
    for (int i = 0; i < N; i++) {
        llmio_request *r =
            rl_request("openai/gpt-4o-mini", "text=held-never-sent", 0);
        ASSERT_OK(llmio_submit(c, r, engine_done_cb, &recs[i], &fs[i], NULL));
        llmio_request_free(r);
    }
    (void)llmio_client_run(c, 50); /* they stay held */
    for (int i = 0; i < N; i++) {
        ASSERT_EQ(recs[i].ndone, 0);
    }
    int64_t t0 = test_now_ms();
    llmio_client_free(c);
    ASSERT_CMP(test_now_ms() - t0, <, slack_ms(500));
    for (int i = 0; i < N; i++) {
        ASSERT_EQ(recs[i].ndone, 1);
        ASSERT_EQ(recs[i].status, LLMIO_E_CANCELLED);
        llmio_future_free(fs[i]);
    }
    ASSERT_EQ(engine_log_lines(&m, "held-never-sent", NULL, 0), 0);
    llmio_future_free(fa);
    test_mock_stop(&m);
}
