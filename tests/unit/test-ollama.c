/* test-ollama.c - Ollama native /api/chat translation (src/providers/
 * ollama.c): golden requests, recorded bodies and NDJSON streams (split at
 * every offset), error bodies, allocation torture. Data in
 * tests/data/providers/ollama/<case>/. */
#include "provider-harness.h"

#define P (&llmio__provider_ollama)

TEST(ollama_build_stream_options)
{
    /* OLLAMA_HOST as a bare host:port with a trailing slash; stream true;
     * every option; json_schema -> format object; developer -> system; a
     * namespaced, tagged model; a tool result with an unknown id (no
     * tool_name); a tool without parameters. */
    struct llmio_request *r =
        ph_req_new("ollama/library/llama3.2:3b-instruct-q4_K_M");
    ph_msg(r, LLMIO_ROLE_DEVELOPER, "Answer in JSON.");
    ph_msg(r, LLMIO_ROLE_USER, "Summarise.");
    struct llmio__message *t = ph_msg(r, LLMIO_ROLE_TOOL, "done");
    t->tool_call_id = (char *)"unknown";
    ph_tool(r, "now", NULL, NULL);
    r->stream = true;
    r->has_temperature = true;
    r->temperature = 0.2;
    r->has_top_p = true;
    r->top_p = 0.9;
    r->has_max_tokens = true;
    r->max_tokens = 128;
    r->stop[0] = (char *)"###";
    r->nstop = 1;
    r->has_seed = true;
    r->seed = 42;
    r->response_format_type = (char *)"json_schema";
    r->response_format_schema =
        (char *)"{\"type\":\"object\",\"properties\":{\"s\":{\"type\":"
                "\"string\"}}}";
    ph_check_build(P, r, "localhost:11434/", "stream-options");
    ph_req_free(r);
}

TEST(ollama_build_json_none_raw)
{
    /* json_object -> "json"; tool_choice none drops the tools; a raw field
     * (keep_alive); stream false is written explicitly. */
    struct llmio_request *r = ph_req_new("ollama/qwen3");
    ph_msg(r, LLMIO_ROLE_USER, "Three colours as JSON.");
    ph_tool(r, "now", NULL, NULL);
    r->tool_choice = (char *)"none";
    r->response_format_type = (char *)"json_object";
    ph_raw(r, "keep_alive", "\"10m\"");
    ph_check_build(P, r, "http://gpu-box:11434", "json-none-raw");
    ph_req_free(r);
}

TEST(ollama_build_errors)
{
    struct llmio_request *r = ph_req_new("ollama/llama3.2");
    struct llmio__message *u = ph_msg(r, LLMIO_ROLE_USER, "x");
    r->has_n = true;
    r->n = 2;
    ph_check_build_error(P, r, LLMIO_E_UNSUPPORTED, "n:");
    r->has_n = false;
    r->tool_choice = (char *)"required";
    ph_check_build_error(P, r, LLMIO_E_UNSUPPORTED, "tool_choice");
    r->tool_choice = NULL;
    r->response_format_type = (char *)"json_schema";
    r->response_format_schema = NULL;
    ph_check_build_error(P, r, LLMIO_E_INVALID, "response_format.schema");
    r->response_format_type = NULL;
    ph_part_image(u, "https://example.com/cat.jpg");
    ph_check_build_error(P, r, LLMIO_E_UNSUPPORTED, "base64");
    u->nparts = 0;
    struct llmio__message *a = ph_msg(r, LLMIO_ROLE_ASSISTANT, NULL);
    ph_tool_call(a, "c", "f", "not json");
    ph_check_build_error(P, r, LLMIO_E_INVALID, "arguments");
    ph_req_free(r);
}

TEST(ollama_response_text)
{
    ph_check_body_and_stream(P, "resp-text");
}

TEST(ollama_response_tools)
{
    /* Thinking, whole tool calls (one without an id, one with), stop ->
     * TOOL_CALLS. */
    ph_check_body_and_stream(P, "resp-tools");
}

TEST(ollama_response_length)
{
    /* done_reason length; CRLF lines, a blank line, and a last line
     * without its newline; prompt_eval_count omitted (fully cached). */
    ph_check_body_and_stream(P, "resp-length");
}

TEST(ollama_stream_error_line)
{
    char *log, *view;
    bool done;
    llmio_error err;
    llmio_status st =
        ph_run_stream(P, "stream-error", &log, &view, &done, &err);
    ASSERT_EQ(st, LLMIO_E_SERVER);
    ASSERT(!done);
    ASSERT_STR_EQ(err.message,
                  "an error was encountered while running the model");
    ph_expect_file(P, "stream-error", "expected-stream-deltas", log);
    free(log);
    free(view);
}

TEST(ollama_stream_edges)
{
    const char *s = "{\"model\":\"m\",\"message\":{\"content\":\"a\"},"
                    "\"done\":false}\n";
    ASSERT_OK(ph_feed_bytes(P, s, strlen(s)));
    s = "{\"model\":\"m\",\"message\":{\"content\":\"a\"\n";
    ASSERT_EQ(ph_feed_bytes(P, s, strlen(s)), LLMIO_E_PROTOCOL);
    s = "[1]\n";
    ASSERT_EQ(ph_feed_bytes(P, s, strlen(s)), LLMIO_E_PROTOCOL);
    /* /v1-style string arguments are passed through as text. */
    char *log;
    s = "{\"message\":{\"tool_calls\":[{\"function\":{\"name\":\"f\","
        "\"arguments\":\"{\\\"a\\\":1}\"}}]},\"done\":true}\n";
    ASSERT_OK(ph_feed_log(P, s, strlen(s), &log));
    ASSERT_CONTAINS(log, "TOOL_CALL choice=0 index=0 id=call_0 name=f "
                         "\"{\\\"a\\\":1}\"");
    ASSERT_CONTAINS(log, "FINISH choice=0 TOOL_CALLS raw=-");
    free(log);
}

TEST(ollama_stream_torture)
{
    ph_torture_stream(P, "resp-text");
    ph_torture_stream(P, "resp-tools");
    ph_torture_stream(P, "stream-error");
}

TEST(ollama_error_bodies)
{
    llmio_error e;
    ph_parse_error(P, 404, "{\"error\":\"model 'llama9' not found\"}", &e);
    ASSERT_EQ(e.code, LLMIO_E_BAD_REQUEST);
    ASSERT_STR_EQ(e.message, "model 'llama9' not found");
    ASSERT_STR_EQ(e.provider_type, "");
    ph_parse_error(P, 400, "{\"error\":\"invalid options: num_ctx\"}", &e);
    ASSERT_STR_EQ(e.message, "invalid options: num_ctx");
    ph_parse_error(P, 500,
                   "{\"error\":{\"message\":\"boom\",\"type\":\"api_error\","
                   "\"param\":null,\"code\":null}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_SERVER);
    ASSERT_STR_EQ(e.message, "boom");
    ASSERT_STR_EQ(e.provider_type, "api_error");
    ph_parse_error(P, 502, "Bad Gateway\n", &e);
    ASSERT_STR_EQ(e.message, "Bad Gateway ");
    ph_parse_error(P, 429, "", &e);
    ASSERT_EQ(e.code, LLMIO_E_RATE_LIMIT);
    ASSERT_CONTAINS(e.message, "HTTP 429");
    ph_parse_error(P, 401, "{\"error\":\"unauthorized: key sk-abcdefgh12\"}",
                   &e);
    ASSERT_STR_EQ(e.message, "unauthorized: key sk-***");
}

TEST(ollama_registry_row)
{
    const char *rest = NULL;
    llmio_error err;
    memset(&err, 0, sizeof(err));
    ASSERT(llmio__provider_for_model("ollama/llama3.2", &rest, &err) == P);
    ASSERT_STR_EQ(rest, "llama3.2");
    ASSERT(llmio__provider_find("ollama", strlen("ollama")) == P);
    ASSERT_STR_EQ(P->name, "ollama");
}

TEST(ollama_response_recorded_mock)
{
    /* Bytes recorded from llmio-mock (text, then two parallel calls; the
     * stream's ids set to the body's, as if one response):
     * the body and the stream, whole, byte by byte and split at every
     * offset, assemble to the same response. */
    ph_check_body_and_stream(P, "mock-tools");
}
