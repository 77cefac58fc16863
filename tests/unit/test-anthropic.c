/* test-anthropic.c - Anthropic Messages translation (src/providers/
 * anthropic.c): golden requests, recorded bodies and streams (split at
 * every offset), error bodies, allocation torture. Data in
 * tests/data/providers/anthropic/<case>/. */
#include "provider-harness.h"

#define P (&llmio__provider_anthropic)

static const char *const weather_schema =
    "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
    "\"required\":[\"city\"]}";

TEST(anthropic_build_basic_defaults)
{
    /* No max_tokens set: the documented default (4096) is sent. */
    struct llmio_request *r = ph_req_new("anthropic/claude-haiku-4-5");
    ph_msg(r, LLMIO_ROLE_USER, "Hello");
    r->has_temperature = true;
    r->temperature = 0.3;
    r->stop[0] = (char *)"###";
    r->nstop = 1;
    ph_check_build(P, r, "http://127.0.0.1:9999", "basic");
    ph_req_free(r);
}

TEST(anthropic_build_stream_params)
{
    /* Streaming, max_completion_tokens over max_tokens, top_p, user ->
     * metadata, "required" -> any, a tool without parameters, a developer
     * message in the middle of the history (hoisted and joined), two
     * consecutive user messages merged into one turn, an assistant
     * prefill with an empty-argument tool call. */
    struct llmio_request *r = ph_req_new("anthropic/claude-opus-4-1");
    ph_msg(r, LLMIO_ROLE_SYSTEM, "Be brief.");
    ph_msg(r, LLMIO_ROLE_USER, "First question.");
    ph_msg(r, LLMIO_ROLE_DEVELOPER, "Answer in Portuguese.");
    ph_msg(r, LLMIO_ROLE_USER, "Second question.");
    struct llmio__message *a = ph_msg(r, LLMIO_ROLE_ASSISTANT, NULL);
    ph_tool_call(a, "toolu_9", "now", "");
    struct llmio__message *t = ph_msg(r, LLMIO_ROLE_TOOL, NULL);
    t->tool_call_id = (char *)"toolu_9";
    ph_part_text(t, "12:00");
    ph_msg(r, LLMIO_ROLE_USER, "Thanks.");
    ph_tool(r, "now", NULL, NULL);
    r->tool_choice = (char *)"required";
    r->stream = true;
    r->has_max_tokens = true;
    r->max_tokens = 100;
    r->has_max_completion_tokens = true;
    r->max_completion_tokens = 256;
    r->has_top_p = true;
    r->top_p = 0.9;
    r->user = (char *)"user-42";
    ph_check_build(P, r, NULL, "stream-params");
    ph_req_free(r);
}

TEST(anthropic_build_named_tool_and_raw)
{
    /* A named tool_choice; raw fields replace modelled ones and add
     * others (thinking). */
    struct llmio_request *r = ph_req_new("anthropic/claude-sonnet-4-5");
    ph_msg(r, LLMIO_ROLE_USER, "Weather?");
    ph_tool(r, "lookup_weather", "Current weather", weather_schema);
    r->tool_choice = (char *)"lookup_weather";
    ph_raw(r, "max_tokens", "8000");
    ph_raw(r, "thinking", "{\"type\":\"enabled\",\"budget_tokens\":2048}");
    ph_check_build(P, r, NULL, "named-tool-raw");
    ph_req_free(r);
}

TEST(anthropic_build_errors)
{
    struct llmio_request *r = ph_req_new("anthropic/claude");
    ph_msg(r, LLMIO_ROLE_USER, "x");
    r->has_n = true;
    r->n = 2;
    ph_check_build_error(P, r, LLMIO_E_UNSUPPORTED, "n:");
    r->has_n = false;
    r->has_temperature = true;
    r->temperature = 1.5;
    ph_check_build_error(P, r, LLMIO_E_INVALID, "temperature");
    r->has_temperature = false;
    r->response_format_type = (char *)"json_schema";
    ph_check_build_error(P, r, LLMIO_E_UNSUPPORTED, "response_format");
    r->response_format_type = NULL;
    struct llmio__message *a = ph_msg(r, LLMIO_ROLE_ASSISTANT, NULL);
    ph_tool_call(a, "t1", "f", "[1,2]");
    ph_check_build_error(P, r, LLMIO_E_INVALID,
                         "messages[1].tool_calls[0].arguments");
    a->tool_calls[0].arguments = (char *)"{\"a\":1}";
    ph_msg(r, LLMIO_ROLE_TOOL, "result");
    ph_check_build_error(P, r, LLMIO_E_INVALID, "messages[2].tool_call_id");
    ph_req_free(r);

    r = ph_req_new("anthropic/claude");
    ph_msg(r, LLMIO_ROLE_USER, "x");
    ph_tool(r, "f", NULL, "not json");
    ph_check_build_error(P, r, LLMIO_E_INVALID, "tools[0].parameters");
    ph_req_free(r);

    /* A sticky builder error is reported as it is. */
    r = ph_req_new("anthropic/claude");
    r->error = LLMIO_E_INVALID;
    snprintf(r->error_msg, sizeof(r->error_msg), "temperature: NaN");
    ph_check_build_error(P, r, LLMIO_E_INVALID, "temperature: NaN");
    ph_req_free(r);
}

TEST(anthropic_build_key_line_break)
{
    struct llmio_request *r = ph_req_new("anthropic/claude");
    ph_msg(r, LLMIO_ROLE_USER, "x");
    struct llmio__http_req out;
    memset(&out, 0, sizeof(out));
    llmio__buf_init(&out.url, NULL, 0);
    llmio__buf_init(&out.headers, NULL, 0);
    llmio__buf_init(&out.body, NULL, 0);
    struct llmio__provider_cfg cfg = {.api_key = "sk-ant-abc\r\nX-Evil: 1",
                                      .base_url = P->default_base_url};
    llmio_error err;
    memset(&err, 0, sizeof(err));
    ASSERT_EQ(P->build_request(r, "claude", &cfg, &out, &err), LLMIO_E_INVALID);
    ASSERT(strstr(err.message, "sk-ant") == NULL);
    ASSERT(strstr(llmio__buf_cstr(&out.headers), "X-Evil") == NULL);
    llmio__buf_cleanup(&out.url);
    llmio__buf_cleanup(&out.headers);
    llmio__buf_cleanup(&out.body);
    ph_req_free(r);
}

TEST(anthropic_response_tool_calls)
{
    ph_check_body_and_stream(P, "resp-tools");
}

TEST(anthropic_response_thinking_cache)
{
    /* thinking blocks -> REASONING, stop_sequence -> STOP, cache tokens
     * counted into the prompt; the stream has CRLF line ends, pings, an
     * unknown event, signature and citation deltas, a tool without
     * arguments, and usage repeated in message_delta. */
    ph_check_body_and_stream(P, "resp-thinking");
}

TEST(anthropic_response_finish_reasons)
{
    static const struct {
        const char *raw;
        const char *want;
    } cases[] = {
        {"end_turn", "STOP"},       {"stop_sequence", "STOP"},
        {"max_tokens", "LENGTH"},   {"model_context_window_exceeded", "LENGTH"},
        {"tool_use", "TOOL_CALLS"}, {"refusal", "CONTENT_FILTER"},
        {"pause_turn", "OTHER"},    {"something_new", "OTHER"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ph_check_finish(
            P,
            "event: message_delta\ndata: {\"type\":\"message_delta\","
            "\"delta\":{\"stop_reason\":\"%s\"}}\n\n",
            cases[i].raw, cases[i].want);
    }
}

TEST(anthropic_stream_error_event)
{
    char *log, *view;
    bool done;
    llmio_error err;
    llmio_status st =
        ph_run_stream(P, "stream-error", &log, &view, &done, &err);
    ASSERT_EQ(st, LLMIO_E_OVERLOADED);
    ASSERT(!done);
    ASSERT_EQ(err.code, LLMIO_E_OVERLOADED);
    ASSERT_STR_EQ(err.provider_type, "overloaded_error");
    ASSERT_STR_EQ(err.message, "Overloaded");
    ph_expect_file(P, "stream-error", "expected-stream-deltas", log);
    free(log);
    free(view);
}

TEST(anthropic_stream_truncated)
{
    /* A stream cut before message_stop is not done: the engine reports it
     * as truncated. */
    const char *s = "event: message_start\ndata: {\"type\":\"message_start\","
                    "\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{"
                    "\"input_tokens\":1,\"output_tokens\":1}}}\n\n";
    ASSERT_OK(ph_feed_bytes(P, s, strlen(s)));
}

TEST(anthropic_stream_malformed)
{
    const char *s = "event: content_block_delta\ndata: {\"type\":\n\n";
    ASSERT_EQ(ph_feed_bytes(P, s, strlen(s)), LLMIO_E_PROTOCOL);
    s = "event: content_block_start\ndata: {\"type\":\"content_block_start\","
        "\"index\":100000,\"content_block\":{\"type\":\"text\"}}\n\n";
    ASSERT_EQ(ph_feed_bytes(P, s, strlen(s)), LLMIO_E_TOO_BIG);
}

TEST(anthropic_body_malformed)
{
    char *log, *view;
    llmio_error err;
    ASSERT_EQ(ph_run_body(P, "body-bad", &log, &view, &err), LLMIO_E_PROTOCOL);
    ASSERT_CONTAINS(err.message, "content");
    free(log);
    free(view);
}

TEST(anthropic_stream_torture)
{
    ph_torture_stream(P, "resp-tools");
    ph_torture_stream(P, "resp-thinking");
    ph_torture_stream(P, "stream-error");
}

TEST(anthropic_error_bodies)
{
    llmio_error e;
    ph_parse_error(P, 400,
                   "{\"type\":\"error\",\"error\":{\"type\":"
                   "\"invalid_request_error\",\"message\":\"max_tokens: "
                   "Field required\"},\"request_id\":\"req_011CSHo\"}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_BAD_REQUEST);
    ASSERT_STR_EQ(e.provider_type, "invalid_request_error");
    ASSERT_STR_EQ(e.message, "max_tokens: Field required");
    ASSERT_STR_EQ(e.request_id, "req_011CSHo");

    /* The context window exceeded is said only in words. */
    ph_parse_error(P, 400,
                   "{\"type\":\"error\",\"error\":{\"type\":"
                   "\"invalid_request_error\",\"message\":\"prompt is too "
                   "long: 215000 tokens > 200000 maximum\"}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_CONTEXT_LENGTH);
    ASSERT_STR_EQ(e.provider_type, "invalid_request_error");

    ph_parse_error(P, 401,
                   "{\"type\":\"error\",\"error\":{\"type\":"
                   "\"authentication_error\",\"message\":\"invalid x-api-key"
                   " sk-ant-api03-abcdefghijkl\"}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_AUTH);
    ASSERT_STR_EQ(e.message, "invalid x-api-key sk-***");

    ph_parse_error(P, 429,
                   "{\"type\":\"error\",\"error\":{\"type\":"
                   "\"rate_limit_error\",\"message\":\"slow down\"}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_RATE_LIMIT);

    ph_parse_error(P, 529,
                   "{\"type\":\"error\",\"error\":{\"type\":"
                   "\"overloaded_error\",\"message\":\"Overloaded\"}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_OVERLOADED);
    ASSERT_STR_EQ(e.provider_type, "overloaded_error");

    /* Overloaded said in the body refines a plain 500. */
    ph_parse_error(P, 500,
                   "{\"type\":\"error\",\"error\":{\"type\":"
                   "\"overloaded_error\",\"message\":\"Overloaded\"}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_OVERLOADED);

    ph_parse_error(P, 500,
                   "{\"type\":\"error\",\"error\":{\"type\":\"api_error\","
                   "\"message\":\"Internal server error\"}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_SERVER);
    ASSERT_STR_EQ(e.provider_type, "api_error");

    ph_parse_error(P, 413,
                   "{\"type\":\"error\",\"error\":{\"type\":"
                   "\"request_too_large\",\"message\":\"big\"}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_BAD_REQUEST);

    /* Not the JSON shape: HTML from a proxy, empty, truncated. */
    ph_parse_error(P, 502, "<html>\n<b>Bad gateway</b></html>", &e);
    ASSERT_EQ(e.code, LLMIO_E_SERVER);
    ASSERT_STR_EQ(e.message, "<html> <b>Bad gateway</b></html>");
    ASSERT_STR_EQ(e.provider_type, "");
    ph_parse_error(P, 503, "", &e);
    ASSERT_EQ(e.code, LLMIO_E_OVERLOADED);
    ASSERT_CONTAINS(e.message, "HTTP 503");
    ph_parse_error(P, 400, "{\"type\":\"error\",\"error\":{\"type\":\"inv", &e);
    ASSERT_EQ(e.code, LLMIO_E_BAD_REQUEST);
    ASSERT_CONTAINS(e.message, "{\"type\"");
    ph_parse_error(P, 400, NULL, &e);
    ASSERT_CONTAINS(e.message, "empty body");
}

TEST(anthropic_registry_row)
{
    const char *rest = NULL;
    llmio_error err;
    memset(&err, 0, sizeof(err));
    ASSERT(llmio__provider_for_model("anthropic/claude-sonnet-4-5", &rest,
                                     &err) == P);
    ASSERT_STR_EQ(rest, "claude-sonnet-4-5");
    ASSERT(llmio__provider_find("anthropic", strlen("anthropic")) == P);
    ASSERT_STR_EQ(P->name, "anthropic");
}

TEST(anthropic_response_recorded_mock)
{
    /* Bytes recorded from llmio-mock (text, then two parallel calls; the
     * stream's ids set to the body's, as if one response):
     * the body and the stream, whole, byte by byte and split at every
     * offset, assemble to the same response. */
    ph_check_body_and_stream(P, "mock-tools");
}
