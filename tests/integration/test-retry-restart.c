/* test-retry-restart.c - per-request retry settings, Retry-After hints
 * above the configured maximum, and the opt-in restart of a stream whose
 * data already reached the user (LLMIO_DELTA_RESTARTED), against
 * llmio-mock's close/stall/error-after-events faults. */
#include "engine-util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What a stream callback saw, with restarts: TEXT holds only what came
 * after the last RESTARTED delta, as a consumer that honours it keeps. */
struct restart_rec {
    int ndone;
    llmio_status status;
    int ndeltas;
    int nrestarts;
    llmio_restart last; /* the last RESTARTED delta's counts */
    bool saw_error_delta;
    char text[4096];
    size_t text_len;
    char args[1024]; /* tool-call argument fragments, same rule */
    size_t args_len;
    int stop_on_restart; /* 1: return 1 on RESTARTED; 2: cancel */
    bool pull;           /* read with llmio_future_next, maybe after done_cb */
};

static void restart_done_cb(llmio_future *f, void *user)
{
    struct restart_rec *rec = user;
    rec->ndone++;
    rec->status = llmio_future_status(f);
}

static void append(char *buf, size_t cap, size_t *len, const char *p, size_t n)
{
    ASSERT(*len + n < cap);
    memcpy(buf + *len, p, n);
    *len += n;
    buf[*len] = '\0';
}

static int rec_delta(struct restart_rec *rec, llmio_future *f,
                     const llmio_delta *d)
{
    if (!rec->pull) {
        ASSERT_EQ(rec->ndone, 0);
    }
    rec->ndeltas++;
    switch (d->kind) {
    case LLMIO_DELTA_RESTARTED:
        ASSERT_NOT_NULL(d->restart);
        rec->nrestarts++;
        rec->last = *d->restart;
        rec->text_len = rec->args_len = 0;
        rec->text[0] = rec->args[0] = '\0';
        if (rec->stop_on_restart == 1) {
            return 1;
        }
        if (rec->stop_on_restart == 2) {
            llmio_future_cancel(f);
        }
        break;
    case LLMIO_DELTA_TEXT:
        append(rec->text, sizeof rec->text, &rec->text_len, d->text,
               d->text_len);
        break;
    case LLMIO_DELTA_TOOL_CALL:
        if (d->text != NULL) {
            append(rec->args, sizeof rec->args, &rec->args_len, d->text,
                   d->text_len);
        }
        break;
    case LLMIO_DELTA_ERROR:
        rec->saw_error_delta = true;
        break;
    default:
        break;
    }
    return 0;
}

static int restart_stream_cb(llmio_future *f, const llmio_delta *d, void *user)
{
    return rec_delta(user, f, d);
}

/* A streamed request with SCENARIO recording into REC (pull mode when
 * PULL), driven to completion. */
static llmio_future *run_stream(llmio_client *c, llmio_request *r,
                                struct restart_rec *rec, bool pull)
{
    ASSERT_OK(
        llmio_request_set_stream(r, pull ? NULL : restart_stream_cb, true));
    llmio_future *f = NULL;
    rec->pull = pull;
    ASSERT_OK(llmio_submit(c, r, restart_done_cb, rec, &f, NULL));
    if (pull) {
        const llmio_delta *d;
        llmio_status st;
        int64_t end = test_now_ms() + engine_slack_ms(10000);
        while ((st = llmio_future_next(f, &d, 1000)) == LLMIO_OK ||
               st == LLMIO_E_TIMEOUT) {
            ASSERT_CMP(test_now_ms(), <, end);
            if (st == LLMIO_OK) {
                ASSERT_EQ(rec_delta(rec, f, d), 0);
            }
        }
    }
    ASSERT_OK(llmio_future_wait(f, (int)engine_slack_ms(10000)));
    ASSERT_EQ(rec->ndone, 1);
    return f;
}

static llmio_request *scn_request(const char *scenario)
{
    return engine_request(scenario, 0);
}

/* ---- per-request settings ------------------------------------------------ */

TEST(retry_request_overrides_client)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_retry_client(&m); /* 3 attempts */
    struct engine_rec rec = {0};
    llmio_future *f = NULL;

    /* One attempt for this request only. */
    llmio_request *r = scn_request("fail-first=1;status=503;key=ov1");
    ASSERT_OK(llmio_request_set_retry(r, 1, -1, -1, -1));
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
    llmio_request_free(r);
    ASSERT_OK(llmio_future_wait(f, (int)engine_slack_ms(5000)));
    ASSERT_EQ(llmio_future_error(f)->code, LLMIO_E_OVERLOADED);
    ASSERT_EQ(llmio_future_error(f)->attempts, 1);
    llmio_future_free(f);

    /* More attempts than the client allows, with no backoff. */
    r = scn_request("fail-first=4;status=500;key=ov2");
    ASSERT_OK(llmio_request_set_retry(r, 5, 0, 0, -1));
    memset(&rec, 0, sizeof rec);
    int64_t t0 = test_now_ms();
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
    llmio_request_free(r);
    ASSERT_OK(llmio_future_wait(f, (int)engine_slack_ms(5000)));
    ASSERT_OK(llmio_future_status(f));
    ASSERT_EQ(llmio_future_error(f)->attempts, 5);
    ASSERT_CMP(test_now_ms() - t0, <, engine_slack_ms(2000));
    llmio_future_free(f);
    ASSERT_EQ(engine_log_lines(&m, "key=ov2", NULL, 0), 5);

    /* The same scenario without the override stops at the client's 3. */
    r = scn_request("fail-first=4;status=500;key=ov3");
    memset(&rec, 0, sizeof rec);
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
    llmio_request_free(r);
    ASSERT_OK(llmio_future_wait(f, (int)engine_slack_ms(5000)));
    ASSERT_EQ(llmio_future_error(f)->code, LLMIO_E_SERVER);
    ASSERT_EQ(llmio_future_error(f)->attempts, 3);
    llmio_future_free(f);

    /* Fields left at -1 follow the client, read when the attempt ends:
     * a client change after submit still applies. */
    r = scn_request("fail-first=1;status=503;retry-after=1;key=ov4");
    ASSERT_OK(llmio_request_set_retry(r, 4, -1, -1, -1));
    memset(&rec, 0, sizeof rec);
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
    llmio_request_free(r);
    ASSERT_OK(llmio_client_set_retry(c, 3, 20, 100, 500));
    t0 = test_now_ms();
    ASSERT_OK(llmio_future_wait(f, (int)engine_slack_ms(5000)));
    ASSERT_EQ(llmio_future_error(f)->code, LLMIO_E_OVERLOADED);
    ASSERT_EQ(llmio_future_error(f)->attempts, 1);
    ASSERT_EQ(llmio_future_error(f)->retry_after_ms, 1000);
    ASSERT_CMP(test_now_ms() - t0, <, engine_slack_ms(900));
    llmio_future_free(f);

    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(retry_request_set_retry_invalid)
{
    static const struct {
        int max_attempts;
        int64_t base, max, max_ra;
        const char *field;
    } cases[] = {
        {0, -1, -1, -1, "retry.max_attempts"},
        {101, -1, -1, -1, "retry.max_attempts"},
        {-2, -1, -1, -1, "retry.max_attempts"},
        {3, -2, -1, -1, "retry:"},
        {3, -1, -5, -1, "retry:"},
        {3, -1, -1, -7, "retry:"},
        {3, 200, 100, -1, "retry.max_delay_ms"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
        ASSERT_EQ(llmio_request_set_retry(r, cases[i].max_attempts,
                                          cases[i].base, cases[i].max,
                                          cases[i].max_ra),
                  LLMIO_E_INVALID);
        llmio_error e;
        ASSERT_EQ(llmio_request_error(r, &e), LLMIO_E_INVALID);
        ASSERT_CONTAINS(e.message, cases[i].field);
        llmio_request_free(r);
    }
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_OK(llmio_request_set_retry(r, 1, 0, 0, 0));
    ASSERT_OK(llmio_request_set_retry(r, -1, -1, -1, -1));
    ASSERT_OK(llmio_request_set_retry(r, 100, 100, -1, -1));
    ASSERT_OK(llmio_request_set_stream_restart(r, true));
    llmio_request_free(r);
    ASSERT_EQ(llmio_request_set_retry(NULL, 1, 0, 0, 0), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_request_set_stream_restart(NULL, true), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_client_set_stream_restart(NULL, true), LLMIO_E_INVALID);
}

/* ---- Retry-After above the maximum --------------------------------------- */

struct hook_last {
    int n;
    int64_t delay_ms;
    char why[32];
};

static void hook_last_cb(llmio_future *f, const llmio_attempt_info *info,
                         void *user)
{
    (void)f;
    struct hook_last *h = user;
    h->n++;
    h->delay_ms = info->delay_ms;
    snprintf(h->why, sizeof h->why, "%s", info->why);
}

/* A hint above max_retry_after_ms is not waited out, whichever header
 * carries it, streamed or not: the request fails at once and the caller
 * gets the hint (to schedule the work itself) and the attempt count. */
TEST(retry_after_above_max_fails_at_once)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_retry_client(&m);
    ASSERT_OK(llmio_client_set_retry(c, 3, 20, 100, 2000));
    /* Each case's long hint would hold the key for the next one
     * (ratelimit_pause_*); here only the request's own retry matters. */
    ASSERT_OK(llmio_client_set_rate_pause(c, false));
    struct hook_last h = {0};
    llmio_client_set_attempt_cb(c, hook_last_cb, &h);

    /* An HTTP date an hour ahead. */
    char date[64], scn_date[160];
    time_t later = time(NULL) + 3600;
    struct tm tm;
    gmtime_r(&later, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    snprintf(scn_date, sizeof scn_date, "status=429;retry-after=%s", date);
    const char *const scns[] = {"status=429;retry-after-ms=5000",
                                "status=503;retry-after=30", scn_date};
    static const int64_t want[] = {5000, 30000, 3600000};
    for (size_t i = 0; i < 3; i++) {
        for (int stream = 0; stream <= 1; stream++) {
            char scn[256], key[32];
            snprintf(key, sizeof key, "key=ra%zu-%d", i, stream);
            snprintf(scn, sizeof scn, "fail-first=1;%s;%s", scns[i], key);
            struct engine_rec rec = {0};
            llmio_request *r = engine_request(scn, stream);
            llmio_future *f = NULL;
            h.n = 0;
            int64_t t0 = test_now_ms();
            ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
            llmio_request_free(r);
            ASSERT_OK(llmio_future_wait(f, (int)engine_slack_ms(5000)));
            ASSERT_CMP(test_now_ms() - t0, <, engine_slack_ms(1500));
            const llmio_error *e = llmio_future_error(f);
            ASSERT(e->code == LLMIO_E_RATE_LIMIT ||
                   e->code == LLMIO_E_OVERLOADED);
            ASSERT_EQ(e->attempts, 1);
            /* The date is whole seconds, read a moment (a slow run:
             * several) later. */
            ASSERT_CMP(e->retry_after_ms, <=, want[i]);
            ASSERT_CMP(e->retry_after_ms, >, want[i] - engine_slack_ms(3000));
            ASSERT_EQ(h.n, 1);
            ASSERT_EQ(h.delay_ms, -1);
            ASSERT_STR_EQ(h.why, "retry-after too long");
            ASSERT_EQ(rec.ndeltas, 0);
            llmio_future_free(f);
            /* Never a second attempt. */
            ASSERT_EQ(engine_log_lines(&m, key, NULL, 0), 1);
        }
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* ---- stream restarts ----------------------------------------------------- */

/* What the mock answers once fail-first is used up: the scenario no
 * longer applies, so the reply echoes the user message; different from the
 * failed attempt's text, so a splice of the two would show. */
static const char echo[] = "hello";

static llmio_client *restart_client(struct test_mock *m)
{
    llmio_client *c = engine_retry_client(m);
    ASSERT_OK(llmio_client_set_stream_restart(c, true));
    return c;
}

/* Checks a finished restart run: success after ATTEMPTS, the consumer's
 * text (reset at each RESTARTED) equal to the final response's, which is
 * the last attempt's reply alone. */
static void check_restarted(llmio_future *f, const struct restart_rec *rec,
                            int attempts, const char *want)
{
    ASSERT_OK(llmio_future_status(f));
    ASSERT_EQ(llmio_future_error(f)->attempts, attempts);
    ASSERT_EQ(rec->nrestarts, attempts - 1);
    size_t len = 0;
    const char *text = llmio_response_text(llmio_future_response(f), 0, &len);
    ASSERT_NOT_NULL(text);
    ASSERT_STR_EQ(text, want);
    ASSERT_STR_EQ(rec->text, want);
}

/* A connection closed after three words: the user is told the three words
 * (17 bytes) are void, and the final response holds only the next
 * attempt's reply. Push and pull mode. */
TEST(retry_restart_close_after_events)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = restart_client(&m);
    for (int pull = 0; pull <= 1; pull++) {
        char scn[128], key[32];
        snprintf(key, sizeof key, "key=rc%d", pull);
        snprintf(scn, sizeof scn,
                 "fail-first=1;close-after-events=3;lorem=10;%s", key);
        struct restart_rec rec = {0};
        llmio_request *r = scn_request(scn);
        llmio_future *f = run_stream(c, r, &rec, pull == 1);
        llmio_request_free(r);
        check_restarted(f, &rec, 2, echo);
        ASSERT_EQ(rec.last.attempt, 1);
        ASSERT_EQ(rec.last.status, LLMIO_E_NETWORK);
        ASSERT_EQ(rec.last.text_bytes, strlen("Lorem ipsum dolor"));
        ASSERT_EQ(rec.last.text_chars, strlen("Lorem ipsum dolor"));
        ASSERT_EQ(rec.last.tool_fragments, 0);
        ASSERT_CMP(rec.last.deltas, >=, 3);
        ASSERT_CMP(rec.last.delay_ms, >=, 0);
        ASSERT_CMP(rec.last.delay_ms, <=, 100);
        llmio_future_free(f);
        ASSERT_EQ(engine_log_lines(&m, key, NULL, 0), 2);
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* A stream that stalls after two words ends its attempt with the idle
 * timeout; the restart reports TIMEOUT. Multi-byte text is counted in
 * characters too. */
TEST(retry_restart_stall_idle_timeout)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = restart_client(&m);
    ASSERT_OK(
        llmio_client_set_timeout(c, LLMIO_TIMEOUT_IDLE, engine_slack_ms(300)));
    struct restart_rec rec = {0};
    llmio_request *r = scn_request(
        "fail-first=1;stall-after-events=2;text=caf%C3%A9 na%C3%AFve "
        "d%C3%A9j%C3%A0 vu;key=st");
    llmio_future *f = run_stream(c, r, &rec, false);
    llmio_request_free(r);
    check_restarted(f, &rec, 2, echo);
    ASSERT_EQ(rec.last.status, LLMIO_E_TIMEOUT);
    ASSERT_EQ(rec.last.text_bytes, strlen("caf\xc3\xa9 na\xc3\xafve"));
    ASSERT_EQ(rec.last.text_chars, strlen("cafe naive"));
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* An in-band error event after two words (a 200 stream, so no error
 * status line): retried by the status table's column, with a restart. */
TEST(retry_restart_error_event)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = restart_client(&m);
    struct restart_rec rec = {0};
    llmio_request *r =
        scn_request("fail-first=1;error-after-events=2;lorem=10;key=ee");
    llmio_future *f = run_stream(c, r, &rec, false);
    llmio_request_free(r);
    check_restarted(f, &rec, 2, echo);
    ASSERT(rec.saw_error_delta);
    ASSERT(llmio_status_retryable(rec.last.status));
    ASSERT_EQ(rec.last.text_bytes, strlen("Lorem ipsum"));
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Tool-call fragments are counted, and dropped from the response. */
TEST(retry_restart_tool_call)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = restart_client(&m);
    struct restart_rec rec = {0};
    llmio_request *r = scn_request(
        "fail-first=1;close-after-events=2;"
        "tool=get_weather:{\"city\":\"Lisbon\",\"unit\":\"celsius\"};key=tc");
    llmio_future *f = run_stream(c, r, &rec, false);
    llmio_request_free(r);
    check_restarted(f, &rec, 2, echo);
    ASSERT_EQ(rec.last.tool_fragments, 2);
    ASSERT_EQ(rec.last.text_bytes, 0);
    /* The half-received call is gone from the response and the consumer's
     * view: the answer that succeeded had none. */
    ASSERT_EQ(llmio_response_tool_calls(llmio_future_response(f), 0), 0);
    ASSERT_EQ(rec.args_len, 0);
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* The switch: off by default, on per client, off or on per request. */
TEST(retry_restart_opt_in)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_retry_client(&m);
    static const struct {
        int client, request; /* -1: not set */
        int attempts;
    } cases[] = {{-1, -1, 1}, {1, -1, 2}, {1, 0, 1}, {-1, 1, 2}, {0, 1, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].client >= 0) {
            ASSERT_OK(llmio_client_set_stream_restart(c, cases[i].client));
        }
        char scn[128];
        snprintf(scn, sizeof scn,
                 "fail-first=1;close-after-events=2;lorem=10;key=oi%zu", i);
        llmio_request *r = scn_request(scn);
        if (cases[i].request >= 0) {
            ASSERT_OK(llmio_request_set_stream_restart(r, cases[i].request));
        }
        struct restart_rec rec = {0};
        llmio_future *f = run_stream(c, r, &rec, false);
        llmio_request_free(r);
        ASSERT_EQ(llmio_future_error(f)->attempts, cases[i].attempts);
        ASSERT_EQ(rec.nrestarts, cases[i].attempts - 1);
        if (cases[i].attempts == 1) {
            ASSERT_EQ(llmio_future_error(f)->code, LLMIO_E_NETWORK);
        } else {
            check_restarted(f, &rec, 2, echo);
        }
        llmio_future_free(f);
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Restarts spend the attempt budget: three failures, two RESTARTED
 * deltas, then the error. */
TEST(retry_restart_budget)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = restart_client(&m);
    struct restart_rec rec = {0};
    llmio_request *r =
        scn_request("fail-first=3;close-after-events=2;lorem=10;key=bu");
    llmio_future *f = run_stream(c, r, &rec, false);
    llmio_request_free(r);
    ASSERT_EQ(llmio_future_error(f)->code, LLMIO_E_NETWORK);
    ASSERT_EQ(llmio_future_error(f)->attempts, 3);
    ASSERT_EQ(rec.nrestarts, 2);
    ASSERT_EQ(rec.last.attempt, 2);
    ASSERT_STR_EQ(rec.text, "Lorem ipsum");
    llmio_future_free(f);
    ASSERT_EQ(engine_log_lines(&m, "key=bu", NULL, 0), 3);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* The callback may stop at the RESTARTED delta: returning non-zero ends
 * the request with ABORTED, cancelling with CANCELLED; either way no
 * second attempt is sent and done_cb runs once. */
TEST(retry_restart_stopped_by_callback)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = restart_client(&m);
    for (int how = 1; how <= 2; how++) {
        char scn[128], key[32];
        snprintf(key, sizeof key, "key=sb%d", how);
        snprintf(scn, sizeof scn,
                 "fail-first=1;close-after-events=2;lorem=10;%s", key);
        struct restart_rec rec = {0};
        rec.stop_on_restart = how;
        llmio_request *r = scn_request(scn);
        llmio_future *f = run_stream(c, r, &rec, false);
        llmio_request_free(r);
        ASSERT_EQ(rec.status, how == 1 ? LLMIO_E_ABORTED : LLMIO_E_CANCELLED);
        ASSERT_EQ(rec.nrestarts, 1);
        ASSERT_EQ(llmio_future_error(f)->attempts, 1);
        llmio_future_free(f);
        ASSERT_EQ(engine_log_lines(&m, key, NULL, 0), 1);
    }
    ASSERT_EQ(llmio_client_pending(c), 0);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* A request with a fallback list runs as an internal child future; its
 * restart still reports what the caller saw, and the caller's view
 * starts over. */
TEST(retry_restart_routed_request)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = restart_client(&m);
    struct restart_rec rec = {0};
    llmio_request *r =
        scn_request("fail-first=1;close-after-events=3;lorem=10;key=rt");
    ASSERT_OK(
        llmio_request_add_fallback(r, "openai/gpt-4.1", LLMIO_FALLBACK_OUTAGE));
    llmio_future *f = run_stream(c, r, &rec, false);
    llmio_request_free(r);
    ASSERT_OK(llmio_future_status(f));
    ASSERT_EQ(rec.nrestarts, 1);
    ASSERT_EQ(rec.last.attempt, 1);
    ASSERT_EQ(rec.last.text_bytes, strlen("Lorem ipsum dolor"));
    ASSERT_STR_EQ(rec.text, echo);
    ASSERT_STR_EQ(llmio_response_text(llmio_future_response(f), 0, NULL), echo);
    ASSERT_STR_EQ(llmio_response_served_by(llmio_future_response(f), NULL),
                  "openai/gpt-4o-mini");
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}
