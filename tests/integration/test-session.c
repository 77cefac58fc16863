/*
 * test-session.c - llmio_session against llmio-mock: multi-turn history
 * with every provider kind the mock serves, streamed and pulled turns, the
 * three drive modes, tool round trips (Gemini's signatures included),
 * failures and cancels that leave the history as it was, a session or a
 * client freed with a turn in flight, bad input, and allocation torture.
 * The mock echoes the last user-side message, so a reply is predictable,
 * and its request log shows the whole history each turn sent.
 */
#include "engine-util.h"

#include <poll.h>

#define SS_KEY "sk-session-SECRET-0a1b2c3d"

/* A client with every provider the mock serves aimed at it. */
static llmio_client *ss_client(const struct test_mock *m,
                               const llmio_allocator *alloc)
{
    static const struct {
        const char *provider, *path;
    } rows[] = {{"openai", "/v1"},
                {"anthropic", ""},
                {"gemini", "/v1beta"},
                {"ollama", ""}};
    llmio_client *c = NULL;
    llmio_status st = llmio_client_new(alloc, &c);
    if (st != LLMIO_OK) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char url[160];
        snprintf(url, sizeof url, "%s%s", m->url, rows[i].path);
        if (llmio_client_set_base_url(c, rows[i].provider, url) != LLMIO_OK ||
            llmio_client_set_api_key(c, rows[i].provider, SS_KEY) != LLMIO_OK ||
            llmio_client_set_retry(c, 1, 0, 0, 0) != LLMIO_OK) {
            llmio_client_free(c);
            return NULL;
        }
    }
    return c;
}

/* Submits the session's next turn and waits for it; returns its status
 * and leaves the future in *OUT (the caller frees it). */
static llmio_status turn(llmio_session *s, struct engine_rec *rec,
                         llmio_future **out)
{
    llmio_error err;
    llmio_status st = llmio_session_submit(s, engine_done_cb, rec, out, &err);
    if (st != LLMIO_OK) {
        return st;
    }
    ASSERT_OK(llmio_future_wait(*out, (int)engine_slack_ms(10000)));
    ASSERT_EQ(rec->ndone, 1);
    return llmio_future_status(*out);
}

static const char *reply_text(llmio_future *f)
{
    return llmio_response_text(llmio_future_response(f), 0, NULL);
}

/* Two turns with MODEL: the second request carries the system prompt,
 * the first question, the first reply and the second question, in order
 * (checked in the log body by NEEDLES in order). */
static void multi_turn(const char *model)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = ss_client(&m, NULL);
    ASSERT_NOT_NULL(c);
    llmio_session *s = NULL;
    ASSERT_OK(llmio_session_new(c, model, &s));
    ASSERT_OK(llmio_session_set_system(s, "Be brief.", NULL));
    ASSERT_OK(llmio_session_add_user(s, "first question", NULL));

    struct engine_rec rec = {0};
    llmio_future *f = NULL;
    ASSERT_OK(turn(s, &rec, &f));
    ASSERT_STR_EQ(reply_text(f), "first question");
    llmio_future_free(f);
    ASSERT_EQ(llmio_session_messages(s), 2);
    ASSERT_EQ(llmio_session_role(s, 0), LLMIO_ROLE_USER);
    ASSERT_EQ(llmio_session_role(s, 1), LLMIO_ROLE_ASSISTANT);
    ASSERT_STR_EQ(llmio_session_text(s, 1, NULL), "first question");

    ASSERT_OK(llmio_session_add_user(s, "second one", NULL));
    struct engine_rec rec2 = {0};
    ASSERT_OK(turn(s, &rec2, &f));
    ASSERT_STR_EQ(reply_text(f), "second one");
    llmio_future_free(f);
    ASSERT_EQ(llmio_session_messages(s), 4);

    char *bodies[2] = {NULL, NULL};
    ASSERT_EQ(engine_log_lines(&m, "first question", bodies, 2), 2);
    /* The second request holds the whole conversation, in order. */
    const char *b = bodies[1];
    const char *sys = strstr(b, "Be brief.");
    const char *q1 = strstr(b, "first question");
    const char *a1 = q1 != NULL ? strstr(q1 + 1, "first question") : NULL;
    const char *q2 = strstr(b, "second one");
    ASSERT_NOT_NULL(sys);
    ASSERT_NOT_NULL(q1);
    ASSERT_NOT_NULL(a1);
    ASSERT_NOT_NULL(q2);
    ASSERT(sys < q1 && q1 < a1 && a1 < q2);
    /* The first request had only the first question. */
    ASSERT_NULL(strstr(bodies[0], "second one"));
    free(bodies[0]);
    free(bodies[1]);
    llmio_session_free(s);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(session_multi_turn_openai)
{
    multi_turn("openai/gpt-4o-mini");
}
TEST(session_multi_turn_anthropic)
{
    multi_turn("anthropic/claude-sonnet-4-5");
}
TEST(session_multi_turn_gemini)
{
    multi_turn("gemini/gemini-2.5-flash");
}
TEST(session_multi_turn_ollama)
{
    multi_turn("ollama/llama3.2");
}

/* Streamed turns: the deltas reach the template's stream callback with
 * the submit's USER, and the assembled reply joins the history once. */
TEST(session_streamed_turns)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = ss_client(&m, NULL);
    llmio_session *s = NULL;
    ASSERT_OK(llmio_session_new(c, "anthropic/claude-sonnet-4-5", &s));
    llmio_request *t = llmio_request_new(NULL);
    ASSERT_OK(llmio_request_set_stream(t, engine_stream_cb, true));
    ASSERT_OK(llmio_session_set_options(s, t, NULL));
    llmio_request_free(t);
    const char *qs[] = {"one two three", "four five"};
    for (size_t i = 0; i < 2; i++) {
        ASSERT_OK(llmio_session_add_user(s, qs[i], NULL));
        struct engine_rec rec = {0};
        llmio_future *f = NULL;
        ASSERT_OK(turn(s, &rec, &f));
        ASSERT_CMP(rec.ndeltas, >=, 2);
        ASSERT_STR_EQ(rec.text, qs[i]);
        ASSERT_EQ(rec.deltas_after_done, 0);
        llmio_future_free(f);
        ASSERT_EQ(llmio_session_messages(s), 2 * (i + 1));
        ASSERT_STR_EQ(llmio_session_text(s, 2 * i + 1, NULL), qs[i]);
    }
    llmio_session_free(s);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* A pulled stream (llmio_future_next) records the reply too. */
TEST(session_pull_mode_turn)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = ss_client(&m, NULL);
    llmio_session *s = NULL;
    ASSERT_OK(llmio_session_new(c, "gemini/gemini-2.5-flash", &s));
    llmio_request *t = llmio_request_new(NULL);
    ASSERT_OK(llmio_request_set_stream(t, NULL, true));
    ASSERT_OK(llmio_session_set_options(s, t, NULL));
    llmio_request_free(t);
    ASSERT_OK(llmio_session_add_user(s, "pulled words here", NULL));
    llmio_future *f = NULL;
    ASSERT_OK(llmio_session_submit(s, NULL, NULL, &f, NULL));
    char text[256] = "";
    const llmio_delta *d;
    llmio_status st;
    while ((st = llmio_future_next(f, &d, (int)engine_slack_ms(10000))) ==
           LLMIO_OK) {
        if (d->kind == LLMIO_DELTA_TEXT) {
            strncat(text, d->text, d->text_len);
        }
    }
    ASSERT_EQ(st, LLMIO_E_STATE);
    ASSERT_OK(llmio_future_status(f));
    ASSERT_STR_EQ(text, "pulled words here");
    ASSERT(!llmio_session_busy(s));
    ASSERT_EQ(llmio_session_messages(s), 2);
    ASSERT_STR_EQ(llmio_session_text(s, 1, NULL), "pulled words here");
    llmio_future_free(f);
    llmio_session_free(s);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* The done callback already sees the reply in the history. */
static void done_sees_history(llmio_future *f, void *user)
{
    llmio_session *s = user;
    ASSERT_OK(llmio_future_status(f));
    ASSERT(!llmio_session_busy(s));
    ASSERT_EQ(llmio_session_messages(s), 2);
    ASSERT_STR_EQ(llmio_session_text(s, 1, NULL), "stepped");
}

/* The descriptor + step drive mode: nothing blocks inside the library. */
TEST(session_fd_step_mode)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = ss_client(&m, NULL);
    llmio_session *s = NULL;
    ASSERT_OK(llmio_session_new(c, "ollama/llama3.2", &s));
    ASSERT_OK(llmio_session_add_user(s, "stepped", NULL));
    llmio_future *f = NULL;
    ASSERT_OK(llmio_session_submit(s, done_sees_history, s, &f, NULL));
    ASSERT(llmio_session_busy(s));
    int fd = llmio_client_fd(c);
    ASSERT_CMP(fd, >=, 0);
    int64_t deadline = test_now_ms() + engine_slack_ms(10000);
    while (!llmio_future_done(f) && test_now_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int t = llmio_client_timeout_ms(c);
        (void)poll(&p, 1, t < 0 || t > 100 ? 100 : t);
        ASSERT_OK(llmio_client_step(c));
    }
    ASSERT(llmio_future_done(f));
    ASSERT_EQ(llmio_session_messages(s), 2);
    llmio_future_free(f);
    llmio_session_free(s);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* A tool round trip: the call (with its id and, for Gemini 3, its
 * thought signature) is recorded, the result answers it, and the next
 * turn is accepted by the mock, which refuses a gemini-3 history whose
 * call lost its signature. */
static void tool_round_trip(const char *model, bool want_signature)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = ss_client(&m, NULL);
    llmio_session *s = NULL;
    ASSERT_OK(llmio_session_new(c, model, &s));
    llmio_request *t = llmio_request_new(NULL);
    ASSERT_OK(llmio_request_add_tool(
        t, "lookup", "Look a word up.",
        "{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}"));
    ASSERT_OK(llmio_request_add_header(
        t, "X-Mock-Scenario: tool=lookup:{\"q\":\"llama\"}"));
    ASSERT_OK(llmio_session_set_options(s, t, NULL));
    llmio_request_free(t);
    ASSERT_OK(llmio_session_add_user(s, "what is a llama?", NULL));

    struct engine_rec rec = {0};
    llmio_future *f = NULL;
    ASSERT_OK(turn(s, &rec, &f));
    ASSERT_EQ(llmio_response_finish(llmio_future_response(f), 0),
              LLMIO_FINISH_TOOL_CALLS);
    llmio_future_free(f);
    ASSERT_EQ(llmio_session_messages(s), 2);
    ASSERT_EQ(llmio_session_tool_calls(s, 1), 1);
    llmio_tool_call tc;
    ASSERT(llmio_session_tool_call(s, 1, 0, &tc));
    ASSERT_STR_EQ(tc.name, "lookup");
    ASSERT_STR_EQ(tc.arguments, "{\"q\":\"llama\"}");
    ASSERT_NOT_NULL(tc.id);
    if (want_signature) {
        ASSERT_NOT_NULL(tc.signature);
    }
    ASSERT(!llmio_session_tool_call(s, 1, 1, &tc));
    ASSERT_NULL(tc.id);

    /* Only a call of the last assistant message can be answered. */
    llmio_error err;
    ASSERT_EQ(llmio_session_add_tool_result(s, "call_nope", "x", &err),
              LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "tool_call_id");
    ASSERT_EQ(llmio_session_messages(s), 2);

    char id[128];
    ASSERT(llmio_session_tool_call(s, 1, 0, &tc));
    snprintf(id, sizeof id, "%s", tc.id);
    ASSERT_OK(
        llmio_session_add_tool_result(s, id, "a South American camelid", &err));
    ASSERT_EQ(llmio_session_role(s, 2), LLMIO_ROLE_TOOL);
    ASSERT_STR_EQ(llmio_session_tool_call_id(s, 2), id);
    struct engine_rec rec2 = {0};
    ASSERT_OK(turn(s, &rec2, &f));
    ASSERT_CONTAINS(reply_text(f), "South American camelid");
    llmio_future_free(f);
    ASSERT_EQ(llmio_session_messages(s), 4);
    ASSERT_EQ(llmio_session_tool_calls(s, 3), 0);
    llmio_session_free(s);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(session_tool_round_trip_openai)
{
    tool_round_trip("openai/gpt-4o-mini", false);
}
TEST(session_tool_round_trip_anthropic)
{
    tool_round_trip("anthropic/claude-sonnet-4-5", false);
}
TEST(session_tool_round_trip_gemini3_signature)
{
    tool_round_trip("gemini/gemini-3-pro-preview", true);
}
TEST(session_tool_round_trip_ollama)
{
    tool_round_trip("ollama/llama3.2", false);
}

/* A failed turn leaves the history as it was; the same turn then
 * succeeds. */
TEST(session_failure_keeps_history)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = ss_client(&m, NULL);
    llmio_session *s = NULL;
    ASSERT_OK(llmio_session_new(c, "openai/gpt-4o-mini", &s));
    llmio_request *t = llmio_request_new(NULL);
    ASSERT_OK(llmio_request_add_header(t, "X-Mock-Scenario: status=500"));
    ASSERT_OK(llmio_session_set_options(s, t, NULL));
    llmio_request_free(t);
    ASSERT_OK(llmio_session_add_user(s, "try me", NULL));
    struct engine_rec rec = {0};
    llmio_future *f = NULL;
    ASSERT_EQ(turn(s, &rec, &f), LLMIO_E_SERVER);
    engine_assert_no_key(llmio_future_error(f));
    llmio_future_free(f);
    ASSERT_EQ(llmio_session_messages(s), 1);
    ASSERT(!llmio_session_busy(s));

    ASSERT_OK(llmio_session_set_options(s, NULL, NULL));
    struct engine_rec rec2 = {0};
    ASSERT_OK(turn(s, &rec2, &f));
    ASSERT_STR_EQ(reply_text(f), "try me");
    llmio_future_free(f);
    ASSERT_EQ(llmio_session_messages(s), 2);
    llmio_session_free(s);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Cancelling a streamed turn mid-way records nothing. */
TEST(session_cancel_keeps_history)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = ss_client(&m, NULL);
    llmio_session *s = NULL;
    ASSERT_OK(llmio_session_new(c, "openai/gpt-4o-mini", &s));
    llmio_request *t = llmio_request_new(NULL);
    ASSERT_OK(llmio_request_set_stream(t, engine_stream_cb, true));
    ASSERT_OK(llmio_request_add_header(t, "X-Mock-Scenario: lorem=40;tps=50"));
    ASSERT_OK(llmio_session_set_options(s, t, NULL));
    llmio_request_free(t);
    ASSERT_OK(llmio_session_add_user(s, "go on", NULL));
    struct engine_rec rec = {.cancel_after = 3};
    llmio_future *f = NULL;
    ASSERT_EQ(turn(s, &rec, &f), LLMIO_E_CANCELLED);
    llmio_future_free(f);
    ASSERT_EQ(llmio_session_messages(s), 1);
    ASSERT(!llmio_session_busy(s));
    llmio_session_free(s);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Freeing the session with a turn in flight: the future still completes
 * for its holder, and nothing writes into the freed session. */
TEST(session_free_with_turn_pending)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = ss_client(&m, NULL);
    llmio_session *s = NULL;
    ASSERT_OK(llmio_session_new(c, "openai/gpt-4o-mini", &s));
    ASSERT_OK(llmio_session_add_user(s, "orphan", NULL));
    struct engine_rec rec = {0};
    llmio_future *f = NULL;
    ASSERT_OK(llmio_session_submit(s, engine_done_cb, &rec, &f, NULL));
    llmio_session_free(s);
    ASSERT_OK(llmio_future_wait(f, (int)engine_slack_ms(10000)));
    ASSERT_EQ(rec.ndone, 1);
    ASSERT_OK(llmio_future_status(f));
    ASSERT_STR_EQ(reply_text(f), "orphan");
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Freeing the client completes the turn with LLMIO_E_CANCELLED; the
 * session is idle again with its history intact, and the future freed
 * by its holder before that still completes exactly once. */
TEST(session_client_free_with_turn_pending)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = ss_client(&m, NULL);
    llmio_session *s = NULL;
    ASSERT_OK(llmio_session_new(c, "openai/gpt-4o-mini", &s));
    llmio_request *t = llmio_request_new(NULL);
    ASSERT_OK(llmio_request_add_header(t, "X-Mock-Scenario: ttft=5000"));
    ASSERT_OK(llmio_session_set_options(s, t, NULL));
    llmio_request_free(t);
    ASSERT_OK(llmio_session_add_user(s, "never answered", NULL));
    struct engine_rec rec = {0};
    llmio_future *f = NULL;
    ASSERT_OK(llmio_session_submit(s, engine_done_cb, &rec, &f, NULL));
    ASSERT_EQ(llmio_future_wait(f, 100), LLMIO_E_TIMEOUT);
    llmio_future_free(f);
    ASSERT(llmio_session_busy(s));
    llmio_client_free(c);
    ASSERT_EQ(rec.ndone, 1);
    ASSERT_EQ(rec.status, LLMIO_E_CANCELLED);
    ASSERT(!llmio_session_busy(s));
    ASSERT_EQ(llmio_session_messages(s), 1);
    llmio_session_free(s);
    test_mock_stop(&m);
}

/* Bad input: typed errors naming the field, and the session goes on. */
TEST(session_bad_input)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = ss_client(&m, NULL);
    llmio_session *s = NULL;
    llmio_error err;
    ASSERT_EQ(llmio_session_new(NULL, "openai/x", &s), LLMIO_E_INVALID);
    ASSERT_NULL(s);
    ASSERT_EQ(llmio_session_new(c, NULL, &s), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_session_new(c, "", &s), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_session_new(c, "openai/x", NULL), LLMIO_E_INVALID);
    ASSERT_OK(llmio_session_new(c, "openai/gpt-4o-mini", &s));

    ASSERT_EQ(llmio_session_set_model(s, "", &err), LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "model");
    ASSERT_EQ(llmio_session_set_system(s, "\xff\xfe", &err), LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "system");
    ASSERT_EQ(llmio_session_add_user(s, NULL, &err), LLMIO_E_INVALID);
    ASSERT_STR_EQ(err.message, "messages[0].content: required");
    ASSERT_EQ(llmio_session_add_user(s, "bad \xc3", &err), LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "messages[0].content");
    ASSERT_EQ(llmio_session_add_image_url(s, "https://x/y.png", NULL, &err),
              LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "messages");
    ASSERT_EQ(llmio_session_messages(s), 0);
    ASSERT_EQ(llmio_session_truncate(s, 1), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_session_role(s, 0), LLMIO_ROLE_SYSTEM);
    ASSERT_NULL(llmio_session_text(s, 0, NULL));
    ASSERT_EQ(llmio_session_tool_calls(s, 9), 0);
    ASSERT_NULL(llmio_session_tool_call_id(s, 0));

    /* A template with a sticky error, or an embedding request, is
     * refused and the earlier options stay. */
    llmio_request *t = llmio_request_new(NULL);
    ASSERT_EQ(llmio_request_set_temperature(t, 9), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_session_set_options(s, t, &err), LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "temperature");
    llmio_request_free(t);
    t = llmio_request_new(NULL);
    ASSERT_OK(llmio_request_add_input(t, "embed me"));
    ASSERT_EQ(llmio_session_set_options(s, t, &err), LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "options");
    llmio_request_free(t);

    /* The history still works after the failures (no sticky error). */
    ASSERT_OK(llmio_session_add_user(s, "look", &err));
    ASSERT_OK(llmio_session_add_image_url(s, "https://example.com/a.png", "low",
                                          &err));
    ASSERT_STR_EQ(llmio_session_text(s, 0, NULL), "look");
    ASSERT_EQ(llmio_session_submit(s, NULL, NULL, NULL, &err), LLMIO_E_INVALID);

    /* One turn at a time; the history is frozen while it runs. */
    llmio_future *f = NULL;
    struct engine_rec rec = {0};
    ASSERT_OK(llmio_session_submit(s, engine_done_cb, &rec, &f, &err));
    llmio_future *f2 = (llmio_future *)&err;
    ASSERT_EQ(llmio_session_submit(s, NULL, NULL, &f2, &err), LLMIO_E_STATE);
    ASSERT_NULL(f2);
    ASSERT_CONTAINS(err.message, "in flight");
    ASSERT_EQ(llmio_session_add_user(s, "more", &err), LLMIO_E_STATE);
    ASSERT_EQ(llmio_session_truncate(s, 0), LLMIO_E_STATE);
    ASSERT_OK(llmio_future_wait(f, (int)engine_slack_ms(10000)));
    ASSERT_OK(llmio_future_status(f));
    llmio_future_free(f);
    ASSERT_EQ(llmio_session_messages(s), 2);
    ASSERT_OK(llmio_session_truncate(s, 0));
    ASSERT_EQ(llmio_session_messages(s), 0);

    /* A refused submit (the provider is unknown) runs no callback. */
    ASSERT_OK(llmio_session_add_user(s, "again", NULL));
    ASSERT_OK(llmio_session_set_model(s, "nosuch/model", NULL));
    struct engine_rec rec3 = {0};
    ASSERT_NE(llmio_session_submit(s, engine_done_cb, &rec3, &f, &err),
              LLMIO_OK);
    ASSERT_NULL(f);
    ASSERT(!llmio_session_busy(s));
    ASSERT_EQ(rec3.ndone, 0);
    llmio_session_free(NULL);
    llmio_session_free(s);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* A turn's body is exactly the body of the same request built by hand:
 * the template's settings and preamble are copied through the setters,
 * with nothing lost or added. */
TEST(session_body_matches_request)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = ss_client(&m, NULL);

    llmio_request *t = llmio_request_new(NULL);
    ASSERT_OK(llmio_request_set_temperature(t, 0.25));
    ASSERT_OK(llmio_request_set_top_p(t, 0.5));
    ASSERT_OK(llmio_request_set_max_tokens(t, 77));
    ASSERT_OK(llmio_request_set_seed(t, 7));
    ASSERT_OK(llmio_request_add_stop(t, "STOP"));
    ASSERT_OK(llmio_request_set_user(t, "u-1"));
    ASSERT_OK(
        llmio_request_add_tool(t, "lookup", "d", "{\"type\":\"object\"}"));
    ASSERT_OK(llmio_request_set_tool_choice(t, "auto"));
    ASSERT_OK(
        llmio_request_set_response_format(t, "json_object", NULL, NULL, false));
    ASSERT_OK(llmio_request_set_raw(t, "presence_penalty", "0.5"));
    ASSERT_OK(llmio_request_add_header(t, "X-Mock-Key: body-check"));
    ASSERT_OK(llmio_request_add_message(t, LLMIO_ROLE_USER, "example q"));
    ASSERT_OK(llmio_request_add_message(t, LLMIO_ROLE_ASSISTANT, "example a"));

    llmio_session *s = NULL;
    ASSERT_OK(llmio_session_new(c, "openai/gpt-4o-mini", &s));
    ASSERT_OK(llmio_session_set_options(s, t, NULL));
    ASSERT_OK(llmio_session_set_system(s, "sys", NULL));
    ASSERT_OK(llmio_session_add_user(s, "real question", NULL));
    struct engine_rec rec = {0};
    llmio_future *f = NULL;
    ASSERT_OK(turn(s, &rec, &f));
    llmio_future_free(f);

    /* The same by hand: system first, then preamble, then the turn. */
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_SYSTEM, "sys"));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "example q"));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_ASSISTANT, "example a"));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "real question"));
    ASSERT_OK(llmio_request_set_temperature(r, 0.25));
    ASSERT_OK(llmio_request_set_top_p(r, 0.5));
    ASSERT_OK(llmio_request_set_max_tokens(r, 77));
    ASSERT_OK(llmio_request_set_seed(r, 7));
    ASSERT_OK(llmio_request_add_stop(r, "STOP"));
    ASSERT_OK(llmio_request_set_user(r, "u-1"));
    ASSERT_OK(
        llmio_request_add_tool(r, "lookup", "d", "{\"type\":\"object\"}"));
    ASSERT_OK(llmio_request_set_tool_choice(r, "auto"));
    ASSERT_OK(
        llmio_request_set_response_format(r, "json_object", NULL, NULL, false));
    ASSERT_OK(llmio_request_set_raw(r, "presence_penalty", "0.5"));
    ASSERT_OK(llmio_request_add_header(r, "X-Mock-Key: body-check"));
    struct engine_rec rec2 = {0};
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec2, &f, NULL));
    ASSERT_OK(llmio_future_wait(f, (int)engine_slack_ms(10000)));
    ASSERT_OK(llmio_future_status(f));
    llmio_future_free(f);
    llmio_request_free(r);
    llmio_request_free(t);

    char *bodies[2] = {NULL, NULL};
    ASSERT_EQ(engine_log_lines(&m, "real question", bodies, 2), 2);
    ASSERT_STR_EQ(bodies[0], bodies[1]);
    free(bodies[0]);
    free(bodies[1]);
    llmio_session_free(s);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Allocation torture: a session built and a turn run with the Nth
 * allocation failing, for N from 1 until it all succeeds; each run ends
 * in LLMIO_E_NOMEM or success, with the history unchanged on failure and
 * nothing leaked. */
static bool torture_run(const struct test_mock *m, long fail_at)
{
    struct engine_chaos ch;
    llmio_allocator a = engine_chaos_init(&ch, fail_at);
    llmio_client *c = ss_client(m, &a);
    llmio_status st = c != NULL ? LLMIO_OK : LLMIO_E_NOMEM;
    llmio_session *s = NULL;
    llmio_future *f = NULL;
    size_t before = 0;
    if (st == LLMIO_OK) {
        st = llmio_session_new(c, "anthropic/claude-sonnet-4-5", &s);
    }
    if (st == LLMIO_OK) {
        st = llmio_session_set_system(s, "torture", NULL);
    }
    if (st == LLMIO_OK) {
        st = llmio_session_add_user(s, "survive this", NULL);
    }
    if (st == LLMIO_OK) {
        before = llmio_session_messages(s);
        ASSERT_EQ(before, 1);
        st = llmio_session_submit(s, NULL, NULL, &f, NULL);
    }
    if (st == LLMIO_OK) {
        ASSERT_OK(llmio_future_wait(f, 10000));
        st = llmio_future_status(f);
        ASSERT_EQ(llmio_session_messages(s), st == LLMIO_OK ? 2 : 1);
        if (st == LLMIO_OK) {
            ASSERT_STR_EQ(llmio_session_text(s, 1, NULL), "survive this");
        }
    }
    if (st != LLMIO_OK && st != LLMIO_E_NOMEM) {
        test_fail_(__FILE__, __LINE__, "allocation %ld failed: %s (%s)",
                   fail_at, llmio_status_name(st),
                   f ? llmio_future_error(f)->message : "setup");
    }
    llmio_future_free(f);
    llmio_session_free(s);
    llmio_client_free(c);
    ASSERT_EQ(ch.live, 0);
    bool reached = ch.fail_at != 0 && ch.n >= ch.fail_at;
    if (!reached) {
        ASSERT_OK(st);
    }
    return !reached;
}

TEST(session_alloc_torture)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    long step = test_is_valgrind() ? 7 : 1;
    long n = 1;
    while (!torture_run(&m, n)) {

        n += step;
        ASSERT_CMP(n, <, 100000);
    }
    test_mock_stop(&m);
}

/* A saved conversation is loaded (system prompt, an assistant tool call,
 * its result, the answer) and the next turn sends it all; bad bodies are
 * refused, naming the field, with the history and prompt unchanged. */
TEST(session_load_json)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = ss_client(&m, NULL);
    llmio_session *s = NULL;
    ASSERT_OK(llmio_session_new(c, "openai/gpt-4o-mini", &s));
    ASSERT_STR_EQ(llmio_session_model(s), "openai/gpt-4o-mini");
    ASSERT_NULL(llmio_session_system(s));
    static const char saved[] =
        "{\"model\":\"ignored\",\"temperature\":1,\"messages\":["
        "{\"role\":\"system\",\"content\":\"Use tools.\"},"
        "{\"role\":\"user\",\"content\":\"weather?\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":"
        "\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"wx\","
        "\"arguments\":\"{\\\"city\\\":\\\"Porto\\\"}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"rain\"},"
        "{\"role\":\"assistant\",\"content\":\"It rains.\"}]}";
    llmio_error err;
    ASSERT_OK(llmio_session_load_json(s, saved, sizeof saved - 1, &err));
    ASSERT_STR_EQ(llmio_session_system(s), "Use tools.");
    ASSERT_STR_EQ(llmio_session_model(s), "openai/gpt-4o-mini");
    ASSERT_EQ(llmio_session_messages(s), 4);
    ASSERT_EQ(llmio_session_role(s, 1), LLMIO_ROLE_ASSISTANT);
    llmio_tool_call tc;
    ASSERT(llmio_session_tool_call(s, 1, 0, &tc));
    ASSERT_STR_EQ(tc.arguments, "{\"city\":\"Porto\"}");
    ASSERT_STR_EQ(llmio_session_tool_call_id(s, 2), "call_1");

    /* Refused, history and prompt untouched. */
    static const char late_system[] =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
        "{\"role\":\"system\",\"content\":\"b\"}]}";
    ASSERT_EQ(
        llmio_session_load_json(s, late_system, sizeof late_system - 1, &err),
        LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "messages[1].role");
    static const char robot[] = "{\"messages\":[{\"role\":\"robot\"}]}";
    ASSERT_EQ(llmio_session_load_json(s, robot, sizeof robot - 1, &err),
              LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "messages[0].role");
    ASSERT_EQ(llmio_session_load_json(s, "{nope", 5, &err), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_session_load_json(s, NULL, 0, &err), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_session_messages(s), 4);
    ASSERT_STR_EQ(llmio_session_system(s), "Use tools.");

    ASSERT_OK(llmio_session_add_user(s, "and tomorrow?", NULL));
    struct engine_rec rec = {0};
    llmio_future *f = NULL;
    ASSERT_OK(turn(s, &rec, &f));
    ASSERT_STR_EQ(reply_text(f), "and tomorrow?");
    llmio_future_free(f);
    char *bodies[1] = {NULL};
    ASSERT_EQ(engine_log_lines(&m, "and tomorrow?", bodies, 1), 1);
    ASSERT_CONTAINS(bodies[0], "Use tools.");
    ASSERT_CONTAINS(bodies[0], "call_1");
    ASSERT_CONTAINS(bodies[0], "It rains.");
    ASSERT_NULL(strstr(bodies[0], "ignored"));
    free(bodies[0]);
    llmio_session_free(s);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Messages of a request builder join the history, parts and signatures
 * included; a builder's sticky error or a late system message is
 * refused and nothing changes. */
TEST(session_add_messages)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = ss_client(&m, NULL);
    llmio_session *s = NULL;
    ASSERT_OK(llmio_session_new(c, "openai/gpt-4o-mini", &s));
    llmio_request *r = llmio_request_new(NULL);
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_SYSTEM, "sys"));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "see"));
    ASSERT_OK(llmio_request_add_image_url(r, "https://e.com/a.png", NULL));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_ASSISTANT, NULL));
    ASSERT_OK(llmio_request_add_tool_call(r, "c1", "f", "{}"));
    ASSERT_OK(llmio_request_set_tool_call_signature(r, "sig=="));
    ASSERT_OK(llmio_request_add_tool_result(r, "c1", "ok"));
    llmio_error err;
    ASSERT_OK(llmio_session_add_messages(s, r, &err));
    ASSERT_EQ(llmio_session_messages(s), 3);
    ASSERT_STR_EQ(llmio_session_system(s), "sys");
    ASSERT_STR_EQ(llmio_session_text(s, 0, NULL), "see");
    llmio_tool_call tc;
    ASSERT(llmio_session_tool_call(s, 1, 0, &tc));
    ASSERT_STR_EQ(tc.signature, "sig==");
    ASSERT_NULL(llmio_session_text(s, 1, NULL));

    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_DEVELOPER, "late"));
    ASSERT_EQ(llmio_session_add_messages(s, r, &err), LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "messages[4].role");
    ASSERT_EQ(llmio_request_set_temperature(r, -1), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_session_add_messages(s, r, &err), LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "temperature");
    ASSERT_EQ(llmio_session_add_messages(s, NULL, &err), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_session_messages(s), 3);
    llmio_request_free(r);
    llmio_session_free(s);
    llmio_client_free(c);
    test_mock_stop(&m);
}
