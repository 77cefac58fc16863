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

/* What the attempt hook saw: the time of the first 429. */
struct pause_rec {
    int64_t first_429_ms;
};

static void pause_hook(llmio_future *f, const llmio_attempt_info *info,
                       void *user)
{
    (void)f;
    struct pause_rec *p = user;
    if (info->http_status == 429 && p->first_429_ms == 0) {
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
     * was read, so the pause started earlier: allow 50 ms). */
    ASSERT_CMP(rb.done_ms - pr.first_429_ms, >=, 650);
    ASSERT_CMP(ra.done_ms - pr.first_429_ms, >=, 650);
    /* Another key: not paused. */
    ASSERT_CMP(rc.done_ms - pr.first_429_ms, <, slack_ms(400));
    llmio_future_free(fa);
    llmio_future_free(fb);
    llmio_future_free(fc);
    llmio_client_free(c);
    test_mock_stop(&m);
}
