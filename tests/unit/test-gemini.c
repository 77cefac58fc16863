/* test-gemini.c - Gemini generateContent translation (src/providers/
 * gemini.c): golden requests, recorded bodies and SSE chunks (split at
 * every offset), Google error bodies with RetryInfo, allocation torture.
 * Data in tests/data/providers/gemini/<case>/. */
#include "provider-harness.h"

#define P (&llmio__provider_gemini)

TEST(gemini_build_basic)
{
    /* No parameters: no generationConfig at all; a base URL override;
     * consecutive user messages merged into one turn. */
    struct llmio_request *r = ph_req_new("gemini/gemini-2.5-pro");
    ph_msg(r, LLMIO_ROLE_USER, "Hello");
    ph_msg(r, LLMIO_ROLE_USER, "Are you there?");
    ph_check_build(P, r, "http://127.0.0.1:9999/v1beta", "basic");
    ph_req_free(r);
}

TEST(gemini_build_stream_params)
{
    /* Stream URL with alt=sse; every generationConfig field; json_schema
     * -> responseMimeType + responseJsonSchema; a named tool choice ->
     * ANY + allowedFunctionNames; a developer message joins
     * systemInstruction; a tool without parameters; a tool result whose
     * call id is unknown but which names its function. */
    struct llmio_request *r = ph_req_new("gemini/models/gemini-2.5-flash");
    ph_msg(r, LLMIO_ROLE_SYSTEM, "Be brief.");
    ph_msg(r, LLMIO_ROLE_USER, "Summarise.");
    ph_msg(r, LLMIO_ROLE_DEVELOPER, "Use JSON.");
    struct llmio__message *a = ph_msg(r, LLMIO_ROLE_ASSISTANT, NULL);
    ph_tool_call(a, "c1", "now", "");
    struct llmio__message *t = ph_msg(r, LLMIO_ROLE_TOOL, "\"12:00\"");
    t->tool_call_id = (char *)"elsewhere";
    t->name = (char *)"now";
    ph_tool(r, "now", "The time", NULL);
    r->tool_choice = (char *)"now";
    r->stream = true;
    r->has_temperature = true;
    r->temperature = 0.25;
    r->has_top_p = true;
    r->top_p = 0.95;
    r->has_max_tokens = true;
    r->max_tokens = 512;
    r->stop[0] = (char *)"###";
    r->stop[1] = (char *)"END";
    r->nstop = 2;
    r->has_n = true;
    r->n = 2;
    r->has_seed = true;
    r->seed = 7;
    r->response_format_type = (char *)"json_schema";
    r->response_format_schema =
        (char *)"{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":"
                "\"string\"}}}";
    ph_check_build(P, r, NULL, "stream-params");
    ph_req_free(r);
}

TEST(gemini_build_thought_signature)
{
    /* A signed call (Gemini 3 thinking models) goes back with its
     * thoughtSignature on the same part; an unsigned one without. */
    llmio_request *r = llmio_request_new("gemini/gemini-3-pro-preview");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "Weather?"));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_ASSISTANT, NULL));
    ASSERT_OK(llmio_request_add_tool_call(r, "call_0_0", "lookup_weather",
                                          "{\"city\":\"Lisbon\"}"));
    ASSERT_OK(llmio_request_set_tool_call_signature(r, "CqQBAb+/="));
    ASSERT_OK(llmio_request_add_tool_call(r, "call_0_1", "lookup_weather",
                                          "{\"city\":\"Porto\"}"));
    ASSERT_OK(llmio_request_add_tool_result(r, "call_0_0", "21C"));
    ASSERT_OK(llmio_request_add_tool_result(r, "call_0_1", "18C"));
    ph_check_build(P, r, NULL, "thought-signature");
    llmio_request_free(r);

    /* Misuse names the field and sticks, as every builder error does. */
    r = llmio_request_new("gemini/gemini-3-pro-preview");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_ASSISTANT, "x"));
    ASSERT_EQ(llmio_request_set_tool_call_signature(r, "sig"), LLMIO_E_INVALID);
    llmio_error err;
    ASSERT_EQ(llmio_request_error(r, &err), LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "messages[0].tool_calls");
    llmio_request_free(r);
    r = llmio_request_new("gemini/gemini-3-pro-preview");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_ASSISTANT, NULL));
    ASSERT_OK(llmio_request_add_tool_call(r, "c", "f", NULL));
    ASSERT_EQ(llmio_request_set_tool_call_signature(r, ""), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_request_error(r, &err), LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "messages[0].tool_calls[0].signature");
    llmio_request_free(r);
}

TEST(gemini_build_json_mode_raw)
{
    /* json_object -> responseMimeType only; tool_choice none; a raw field
     * adds safetySettings; required -> ANY. */
    struct llmio_request *r = ph_req_new("gemini/tunedModels/my-model-42");
    ph_msg(r, LLMIO_ROLE_USER, "List three colours as JSON.");
    r->response_format_type = (char *)"json_object";
    r->tool_choice = (char *)"none";
    ph_raw(r, "safetySettings",
           "[{\"category\":\"HARM_CATEGORY_HARASSMENT\",\"threshold\":"
           "\"BLOCK_ONLY_HIGH\"}]");
    ph_check_build(P, r, NULL, "json-mode-raw");
    r->tool_choice = (char *)"required";
    r->response_format_type = NULL;
    r->nraw = 0;
    ph_check_build(P, r, NULL, "tool-choice-required");
    ph_req_free(r);
}

/* One rule for the chat URL and the embedding batch's "model" field:
 * a model id gets "models/", a resource name (case-sensitive prefix with
 * its slash) is used as is. */
TEST(gemini_is_resource)
{
    ASSERT(llmio__gemini_is_resource("models/gemini-2.5-flash"));
    ASSERT(llmio__gemini_is_resource("tunedModels/my-model-42"));
    ASSERT(!llmio__gemini_is_resource("gemini-2.5-flash"));
    ASSERT(!llmio__gemini_is_resource("models"));
    ASSERT(!llmio__gemini_is_resource("modelsx/y"));
    ASSERT(!llmio__gemini_is_resource("tunedModels"));
    ASSERT(!llmio__gemini_is_resource("Models/x"));
    ASSERT(!llmio__gemini_is_resource(""));
}

TEST(gemini_build_errors)
{
    struct llmio_request *r = ph_req_new("gemini/gemini-2.5-flash");
    ph_msg(r, LLMIO_ROLE_USER, "x");
    r->has_n = true;
    r->n = 9;
    ph_check_build_error(P, r, LLMIO_E_INVALID, "n:");
    r->has_n = false;
    r->has_logprobs = true;
    r->logprobs = true;
    ph_check_build_error(P, r, LLMIO_E_UNSUPPORTED, "logprobs");
    r->has_logprobs = false;
    r->response_format_type = (char *)"json_schema";
    r->response_format_schema = (char *)"[";
    ph_check_build_error(P, r, LLMIO_E_INVALID, "response_format.schema");
    r->response_format_type = NULL;
    struct llmio__message *t = ph_msg(r, LLMIO_ROLE_TOOL, "result");
    t->tool_call_id = (char *)"call_unknown";
    ph_check_build_error(P, r, LLMIO_E_INVALID, "messages[1].tool_call_id");
    ph_req_free(r);

    r = ph_req_new("gemini/gemini?key=x");
    ph_msg(r, LLMIO_ROLE_USER, "x");
    ph_check_build_error(P, r, LLMIO_E_INVALID, "model");
    ph_req_free(r);

    r = ph_req_new("gemini/gemini-2.5-flash");
    struct llmio__message *a = ph_msg(r, LLMIO_ROLE_ASSISTANT, NULL);
    ph_tool_call(a, "c", "f", "\"text\"");
    ph_check_build_error(P, r, LLMIO_E_INVALID, "arguments");
    ph_req_free(r);
}

TEST(gemini_response_text)
{
    /* The reference stream (CRLF framing), usage from the last chunk. */
    ph_check_body_and_stream(P, "resp-text");
}

TEST(gemini_response_tools)
{
    /* Thought text -> REASONING, parallel function calls with synthesized
     * ids (one with its own id, one without args), STOP -> TOOL_CALLS,
     * usage with thoughts and cache. */
    ph_check_body_and_stream(P, "resp-tools");
}

TEST(gemini_response_blocked_prompt)
{
    ph_check_body_and_stream(P, "resp-blocked");
}

TEST(gemini_response_safety_stop)
{
    ph_check_body_and_stream(P, "resp-safety");
}

TEST(gemini_response_two_candidates)
{
    /* candidateCount 2: the stream is done only when both finished. */
    ph_check_body_and_stream(P, "resp-multi");
}

TEST(gemini_response_finish_reasons)
{
    static const struct {
        const char *raw;
        const char *want;
    } cases[] = {
        {"STOP", "STOP"},
        {"MAX_TOKENS", "LENGTH"},
        {"SAFETY", "CONTENT_FILTER"},
        {"RECITATION", "CONTENT_FILTER"},
        {"BLOCKLIST", "CONTENT_FILTER"},
        {"PROHIBITED_CONTENT", "CONTENT_FILTER"},
        {"SPII", "CONTENT_FILTER"},
        {"IMAGE_SAFETY", "CONTENT_FILTER"},
        {"MALFORMED_FUNCTION_CALL", "OTHER"},
        {"LANGUAGE", "OTHER"},
        {"OTHER", "OTHER"},
        {"FINISH_REASON_UNSPECIFIED", "OTHER"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ph_check_finish(P,
                        "data: {\"candidates\":[{\"finishReason\":\"%s\","
                        "\"index\":0}]}\r\n\r\n",
                        cases[i].raw, cases[i].want);
    }
}

TEST(gemini_stream_error_chunk)
{
    char *log, *view;
    bool done;
    llmio_error err;
    llmio_status st =
        ph_run_stream(P, "stream-error", &log, &view, &done, &err);
    ASSERT_EQ(st, LLMIO_E_OVERLOADED);
    ASSERT(!done);
    ASSERT_STR_EQ(err.provider_type, "UNAVAILABLE");
    ASSERT_STR_EQ(err.message, "The model is overloaded. Please try again "
                               "later.");
    ph_expect_file(P, "stream-error", "expected-stream-deltas", log);
    free(log);
    free(view);
}

TEST(gemini_stream_edges)
{
    /* No finishReason yet: not done. A [DONE] from a proxy ends it. A
     * chunk without candidates but with usage is fine. Malformed JSON and
     * a candidate index out of range are protocol errors. */
    const char *s = "data: {\"candidates\":[{\"content\":{\"parts\":[{"
                    "\"text\":\"Hi\"}]}}]}\n\n"
                    "data: {\"usageMetadata\":{\"promptTokenCount\":3}}\n\n";
    char *log;
    ASSERT_OK(ph_feed_log(P, s, strlen(s), &log));
    ASSERT_CONTAINS(log, "TEXT choice=0 \"Hi\"");
    ASSERT_CONTAINS(log, "USAGE prompt=3 completion=-1");
    free(log);
    ASSERT_OK(ph_feed_bytes(P, "data: [DONE]\n\n", 14));
    s = "data: {\"candidates\":[\n\n";
    ASSERT_EQ(ph_feed_bytes(P, s, strlen(s)), LLMIO_E_PROTOCOL);
    s = "data: {\"candidates\":[{\"index\":8}]}\n\n";
    ASSERT_EQ(ph_feed_bytes(P, s, strlen(s)), LLMIO_E_PROTOCOL);
    s = "data: [1,2]\n\n";
    ASSERT_EQ(ph_feed_bytes(P, s, strlen(s)), LLMIO_E_PROTOCOL);
}

TEST(gemini_stream_torture)
{
    ph_torture_stream(P, "resp-text");
    ph_torture_stream(P, "resp-tools");
    ph_torture_stream(P, "resp-multi");
    ph_torture_stream(P, "stream-error");
}

TEST(gemini_error_bodies)
{
    llmio_error e;
    ph_parse_error(P, 400,
                   "{\"error\":{\"code\":400,\"message\":\"API key not valid."
                   " Please pass a valid API key.\",\"status\":"
                   "\"INVALID_ARGUMENT\",\"details\":[{\"@type\":\"type."
                   "googleapis.com/google.rpc.ErrorInfo\",\"reason\":"
                   "\"API_KEY_INVALID\",\"domain\":\"googleapis.com\"}]}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_AUTH);
    ASSERT_STR_EQ(e.provider_type, "INVALID_ARGUMENT");
    ASSERT_STR_EQ(e.provider_code, "API_KEY_INVALID");
    ASSERT_STR_EQ(e.message, "API key not valid. Please pass a valid API key.");

    const char *quota =
        "{\"error\": {\"code\": 429, \"message\": \"You exceeded your "
        "current quota.\",\n  \"status\": \"RESOURCE_EXHAUSTED\",\n  "
        "\"details\": [\n    {\"@type\": \"type.googleapis.com/google.rpc."
        "QuotaFailure\", \"violations\": [{\"quotaId\": \"PerMinute\"}]},\n"
        "    {\"@type\": \"type.googleapis.com/google.rpc.RetryInfo\", "
        "\"retryDelay\": \"27s\"}\n  ]}}";
    ph_parse_error(P, 429, quota, &e);
    ASSERT_EQ(e.code, LLMIO_E_RATE_LIMIT);
    ASSERT_STR_EQ(e.provider_type, "RESOURCE_EXHAUSTED");
    ASSERT_STR_EQ(e.provider_code, "429");
    ASSERT_EQ(e.retry_after_ms, 27000);

    /* A Retry-After header (already in the error) wins over the body. */
    memset(&e, 0, sizeof(e));
    e.code = LLMIO_E_RATE_LIMIT;
    e.retry_after_ms = 5000;
    P->parse_error(429, quota, strlen(quota), &e);
    ASSERT_EQ(e.retry_after_ms, 5000);

    ph_parse_error(P, 429,
                   "{\"error\":{\"code\":429,\"message\":\"q\",\"status\":"
                   "\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type."
                   "googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":"
                   "\"12.5s\"}]}}",
                   &e);
    ASSERT_EQ(e.retry_after_ms, 12500);

    ph_parse_error(P, 404,
                   "{\"error\":{\"code\":404,\"message\":\"models/x is not "
                   "found for API version v1beta\",\"status\":\"NOT_FOUND\"}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_BAD_REQUEST);
    ASSERT_STR_EQ(e.provider_type, "NOT_FOUND");
    ASSERT_EQ(e.retry_after_ms, -1);

    ph_parse_error(P, 403,
                   "{\"error\":{\"code\":403,\"message\":\"denied\","
                   "\"status\":\"PERMISSION_DENIED\"}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_AUTH);
    ph_parse_error(P, 503,
                   "{\"error\":{\"code\":503,\"message\":\"overloaded\","
                   "\"status\":\"UNAVAILABLE\"}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_OVERLOADED);
    ph_parse_error(P, 500,
                   "{\"error\":{\"code\":500,\"message\":\"internal\","
                   "\"status\":\"INTERNAL\"}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_SERVER);
    ph_parse_error(P, 504,
                   "{\"error\":{\"code\":504,\"message\":\"slow\","
                   "\"status\":\"DEADLINE_EXCEEDED\"}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_SERVER);

    ph_parse_error(P, 400,
                   "{\"error\":{\"code\":400,\"message\":\"The input token "
                   "count (1200000) exceeds the maximum number of tokens "
                   "allowed (1048576).\",\"status\":\"INVALID_ARGUMENT\"}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_CONTEXT_LENGTH);
    ASSERT_STR_EQ(e.provider_type, "INVALID_ARGUMENT");
    /* An outage that mentions the length stays an outage. */
    ph_parse_error(P, 500,
                   "{\"error\":{\"code\":500,\"message\":\"The input token "
                   "count exceeds the maximum number of tokens allowed.\","
                   "\"status\":\"INTERNAL\"}}",
                   &e);
    ASSERT_EQ(e.code, LLMIO_E_SERVER);

    /* A stream request without alt=sse answers errors as an array. */
    ph_parse_error(P, 400,
                   "[{\"error\":{\"code\":400,\"message\":\"bad\",\"status\":"
                   "\"INVALID_ARGUMENT\"}}]",
                   &e);
    ASSERT_STR_EQ(e.message, "bad");
    ASSERT_EQ(e.code, LLMIO_E_BAD_REQUEST);

    /* A key echoed by a proxy is masked. */
    ph_parse_error(P, 400,
                   "{\"error\":{\"message\":\"bad key AIzaSyA-0123456789abc"
                   "\",\"status\":\"INVALID_ARGUMENT\"}}",
                   &e);
    ASSERT_STR_EQ(e.message, "bad key AIza***");

    ph_parse_error(P, 502, "<html><title>502</title></html>", &e);
    ASSERT_EQ(e.code, LLMIO_E_SERVER);
    ASSERT_STR_EQ(e.message, "<html><title>502</title></html>");
    ph_parse_error(P, 500, "", &e);
    ASSERT_CONTAINS(e.message, "empty body");
}

TEST(gemini_registry_row)
{
    const char *rest = NULL;
    llmio_error err;
    memset(&err, 0, sizeof(err));
    ASSERT(llmio__provider_for_model("gemini/gemini-2.5-flash", &rest, &err) ==
           P);
    ASSERT_STR_EQ(rest, "gemini-2.5-flash");
    ASSERT(llmio__provider_find("gemini", strlen("gemini")) == P);
    ASSERT_STR_EQ(P->name, "gemini");
}

TEST(gemini_response_recorded_mock)
{
    /* Bytes recorded from llmio-mock (text, then two parallel calls; the
     * stream's ids set to the body's, as if one response):
     * the body and the stream, whole, byte by byte and split at every
     * offset, assemble to the same response. */
    ph_check_body_and_stream(P, "mock-tools");
}
