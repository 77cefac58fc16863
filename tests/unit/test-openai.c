/*
 * test-openai.c - the OpenAI provider: golden request bytes, non-streaming
 * bodies, stream events, error bodies, registry, allocation torture.
 */
#include "openai-harness.h"

#include "alloc.h"
#include "llmio.h"

#include <stdlib.h>

#define KEY "sk-test-0123456789abcdef"

static const struct llmio__provider *P = &llmio__provider_openai;

/* Builds R and returns "url\nheaders...\n\nbody" with the key masked. */
static char *build(const llmio_request *r, const char *base, const char *key,
                   llmio_status *st, llmio_error *err)
{
    struct llmio__http_req out;
    struct llmio__provider_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.api_key = key;
    cfg.base_url = base;
    llmio__buf_init(&out.url, NULL, 0);
    llmio__buf_init(&out.headers, NULL, 0);
    llmio__buf_init(&out.body, NULL, 0);
    out.nheaders = 0;
    const char *model = NULL;
    const struct llmio__provider *p =
        llmio__provider_for_model(r->model, &model, err);
    ASSERT(p == P);
    *st = p->build_request(r, model, &cfg, &out, err);
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    llmio__buf_appendf(&b, "%s\n", llmio__buf_cstr(&out.url));
    const char *h = out.headers.data;
    for (size_t i = 0; i < out.nheaders; i++) {
        size_t n = strlen(h);
        const char *k = key != NULL && key[0] ? strstr(h, key) : NULL;
        if (k != NULL) {
            llmio__buf_appendf(&b, "%.*s<KEY>%s\n", (int)(k - h), h,
                               k + strlen(key));
        } else {
            llmio__buf_appendf(&b, "%s\n", h);
        }
        h += n + 1;
    }
    llmio__buf_appendf(&b, "\n%s\n", llmio__buf_cstr(&out.body));
    char *s = strdup(llmio__buf_cstr(&b));
    if (key != NULL && key[0] != '\0') {
        ASSERT_NULL(strstr(llmio__buf_cstr(&out.body), key));
    }
    llmio__buf_cleanup(&b);
    llmio__buf_cleanup(&out.url);
    llmio__buf_cleanup(&out.headers);
    llmio__buf_cleanup(&out.body);
    return s;
}

/* Compares the build of R with tests/data/providers/openai/CASE/expected. */
static void golden(const llmio_request *r, const char *name)
{
    llmio_status st;
    llmio_error err;
    memset(&err, 0, sizeof err);
    char *got = build(r, NULL, KEY, &st, &err);
    if (st != LLMIO_OK) {
        test_fail_(__FILE__, __LINE__, "%s: build failed: %s: %s", name,
                   llmio_status_name(st), err.message);
    }
    char path[256];
    snprintf(path, sizeof path, "tests/data/providers/openai/%s/expected",
             name);
    oh_expect_file(path, got);
    free(got);
}

TEST(openai_build_basic)
{
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_SYSTEM, "Be brief."));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "Hi \"there\""));
    golden(r, "basic");
    llmio_request_free(r);
}

TEST(openai_build_url_join_and_no_key)
{
    llmio_request *r = llmio_request_new("gpt-4o-mini");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "x"));
    llmio_status st;
    llmio_error err;
    char *got = build(r, "http://127.0.0.1:9/openai/v1//", NULL, &st, &err);
    ASSERT_OK(st);
    ASSERT(strncmp(got,
                   "http://127.0.0.1:9/openai/v1/chat/completions\n"
                   "Content-Type: application/json\n\n",
                   78) == 0);
    ASSERT_NULL(strstr(got, "Authorization"));
    free(got);
    llmio_request_free(r);
}

TEST(openai_build_errors_name_fields)
{
    llmio_status st;
    llmio_error err;
    llmio_request *r = llmio_request_new("openai/gpt-4o");
    char *got = build(r, NULL, KEY, &st, &err);
    ASSERT_EQ(st, LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "messages: at least one message");
    free(got);
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "x"));
    ASSERT_OK(llmio_request_set_tool_choice(r, "nope"));
    got = build(r, NULL, KEY, &st, &err);
    ASSERT_EQ(st, LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "tool_choice: no tool named \"nope\"");
    free(got);
    llmio_request_free(r);

    r = llmio_request_new("openai/gpt-4o");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "x"));
    got = build(r, NULL, "sk-abc\r\nX-Evil: 1", &st, &err);
    ASSERT_EQ(st, LLMIO_E_INVALID);
    ASSERT_STR_EQ(err.message, "api_key: contains a line break");
    free(got);
    ASSERT_EQ(llmio_request_set_temperature(r, 3), LLMIO_E_INVALID);
    got = build(r, NULL, KEY, &st, &err);
    ASSERT_EQ(st, LLMIO_E_INVALID);
    ASSERT_STR_EQ(err.message, "temperature: must be within 0..2");
    free(got);
    llmio_request_free(r);
}

/* ------------------------------------------------------------------ */
/* Non-streaming bodies                                                */
/* ------------------------------------------------------------------ */

static void body_case(const char *name)
{
    char path[256];
    size_t len;
    snprintf(path, sizeof path, "tests/data/providers/openai/%s/input", name);
    char *in = test_read_file(path, &len);
    llmio_status st;
    char *got = oh_body(P, in, len, NULL, &st);
    snprintf(path, sizeof path, "tests/data/providers/openai/%s/expected",
             name);
    oh_expect_file(path, got);
    free(got);
    free(in);
}

TEST(openai_body_text)
{
    body_case("body-text");
}

TEST(openai_body_tool_calls)
{
    body_case("body-tool-calls");
}

TEST(openai_body_n2_logprobs_reasoning)
{
    body_case("body-n2-logprobs");
}

TEST(openai_body_bad_shapes)
{
    static const struct {
        const char *body;
        const char *msg;
    } cases[] = {
        {"[1]", "body: expected a JSON object"},
        {"{\"id\":\"x\"}", "choices: missing"},
        {"{\"choices\":{}}", "choices: expected an array"},
        {"{\"choices\":[1]}", "choices[0]: expected an object"},
        {"{\"choices\":[{\"message\":{\"content\":5}}]}",
         "choices[0].message.content: expected a string"},
        {"{\"choices\":[{\"index\":\"a\"}]}",
         "choices[0].index: expected an integer"},
        {"{\"choices\":[{\"index\":500}]}", "choices[0].index: out of range"},
        {"{\"choices\":[{\"message\":{\"tool_calls\":{}}}]}",
         "choices[0].message.tool_calls: expected an array"},
        {"{\"id\":1,\"choices\":[]}", "$.id: expected a string"},
        {"{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":"
         "{\"name\":5}}]}}]}",
         "choices[0].message.tool_calls[0].function.name: expected a "
         "string"},
        {"{\"choices\":[{\"message\":{\"tool_calls\":[{\"id\":[],"
         "\"function\":{}}]}}]}",
         "choices[0].message.tool_calls[0].id: expected a string"},
        {"{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":"
         "{\"arguments\":true}}]}}]}",
         "choices[0].message.tool_calls[0].function.arguments: expected a "
         "string"},
        {"{\"choices\":[{\"message\":[]}]}",
         "choices[0].message: expected an object"},
        {"{\"choices\":[{\"finish_reason\":1}]}",
         "choices[0].finish_reason: expected a string"},
        {"{\"choices\":[]", "body: invalid JSON at offset"},
        {"", "body: invalid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmio_status st;
        char *got = oh_body(P, cases[i].body, strlen(cases[i].body), NULL, &st);
        ASSERT_EQ(st, LLMIO_E_PROTOCOL);
        ASSERT_CONTAINS(got, cases[i].msg);
        free(got);
    }
}

TEST(openai_body_leading_blank_lines)
{
    const char *body = "\n\n  \r\n{\"id\":\"a\",\"choices\":[{\"index\":0,"
                       "\"message\":{\"role\":\"assistant\",\"content\":"
                       "\"ok\"},\"finish_reason\":\"stop\"}]}\n";
    llmio_status st;
    char *got = oh_body(P, body, strlen(body), NULL, &st);
    ASSERT_OK(st);
    ASSERT_CONTAINS(got, "  text \"ok\"");
    free(got);
    /* The kept JSON starts at the value. */
    struct oh_run r;
    oh_run_init(&r, NULL);
    ASSERT_OK(P->parse_body(&r.ctx, body, strlen(body), &r.err));
    ASSERT_OK(llmio__response_finish(&r.resp, body, strlen(body)));
    size_t len;
    const char *j = llmio_response_json(&r.resp, &len);
    ASSERT_EQ(j[0], '{');
    ASSERT_EQ(j[len - 1], '}');
    oh_run_cleanup(&r);
}

/* ------------------------------------------------------------------ */
/* Error bodies                                                        */
/* ------------------------------------------------------------------ */

struct err_case {
    int status;
    llmio_status code_in;
    const char *body;
    llmio_status code;
    const char *type;
    const char *pcode;
    const char *message;
};

TEST(openai_error_bodies)
{
    static const struct err_case cases[] = {
        {400, LLMIO_E_BAD_REQUEST,
         "{\"error\":{\"message\":\"Unsupported parameter: 'max_tokens' is "
         "not supported with this model. Use 'max_completion_tokens' "
         "instead.\",\"type\":\"invalid_request_error\",\"param\":\"max_"
         "tokens\",\"code\":\"unsupported_parameter\"}}",
         LLMIO_E_BAD_REQUEST, "invalid_request_error", "unsupported_parameter",
         "Unsupported parameter: 'max_tokens' is not supported with this "
         "model. Use 'max_completion_tokens' instead."},
        {400, LLMIO_E_BAD_REQUEST,
         "{\"error\":{\"message\":\"This model's maximum context length is "
         "128000 tokens.\",\"type\":\"invalid_request_error\",\"param\":"
         "\"messages\",\"code\":\"context_length_exceeded\"}}",
         LLMIO_E_CONTEXT_LENGTH, "invalid_request_error",
         "context_length_exceeded",
         "This model's maximum context length is 128000 tokens."},
        /* DeepSeek (and vLLM): no such code, the message says it. */
        {400, LLMIO_E_BAD_REQUEST,
         "{\"error\":{\"message\":\"This model's maximum context length "
         "is 65536 tokens. However, you requested 70000 tokens.\",\"type\":"
         "\"invalid_request_error\",\"param\":null,\"code\":"
         "\"invalid_request_error\"}}",
         LLMIO_E_CONTEXT_LENGTH, "invalid_request_error",
         "invalid_request_error",
         "This model's maximum context length is 65536 tokens. However, you "
         "requested 70000 tokens."},
        {401, LLMIO_E_AUTH,
         "{\"error\": {\"message\": \"Incorrect API key provided: "
         "sk-abc***xyz. You can find your API key at "
         "https://platform.openai.com/account/api-keys.\", \"type\": "
         "\"invalid_request_error\", \"param\": null, \"code\": "
         "\"invalid_api_key\"}}",
         LLMIO_E_AUTH, "invalid_request_error", "invalid_api_key",
         "Incorrect API key provided: sk-***. You can find your API key at "
         "https://platform.openai.com/account/api-keys."},
        {401, LLMIO_E_AUTH,
         "{\"error\":{\"message\":\"Bad key sk-proj-AAAAbbbbCCCCdddd1234 "
         "given\",\"type\":\"invalid_request_error\",\"code\":null}}",
         LLMIO_E_AUTH, "invalid_request_error", "", "Bad key sk-*** given"},
        {403, LLMIO_E_AUTH,
         "{\"error\":{\"message\":\"Country, region, or territory not "
         "supported\",\"type\":\"request_forbidden\",\"param\":null,"
         "\"code\":\"unsupported_country_region_territory\"}}",
         LLMIO_E_AUTH, "request_forbidden",
         "unsupported_country_region_territory",
         "Country, region, or territory not supported"},
        {404, LLMIO_E_BAD_REQUEST,
         "{\"error\":{\"message\":\"The model `gpt-9` does not exist or you "
         "do not have access to it.\",\"type\":\"invalid_request_error\","
         "\"param\":null,\"code\":\"model_not_found\"}}",
         LLMIO_E_BAD_REQUEST, "invalid_request_error", "model_not_found",
         "The model `gpt-9` does not exist or you do not have access to "
         "it."},
        {409, LLMIO_E_BAD_REQUEST,
         "{\"error\":{\"message\":\"Conflict\",\"type\":\"conflict\"}}",
         LLMIO_E_BAD_REQUEST, "conflict", "", "Conflict"},
        {422, LLMIO_E_BAD_REQUEST, "{\"detail\":\"Unprocessable: bad n\"}",
         LLMIO_E_BAD_REQUEST, "", "", "Unprocessable: bad n"},
        {429, LLMIO_E_RATE_LIMIT,
         "{\"error\":{\"message\":\"Rate limit reached for gpt-4o in "
         "organization org-XYZ on tokens per min (TPM): Limit 30000, Used "
         "29100, Requested 1400. Please try again in 1.2s.\",\"type\":"
         "\"tokens\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}",
         LLMIO_E_RATE_LIMIT, "tokens", "rate_limit_exceeded",
         "Rate limit reached for gpt-4o in organization org-XYZ on tokens "
         "per min (TPM): Limit 30000, Used 29100, Requested 1400. Please try "
         "again in 1.2s."},
        {429, LLMIO_E_RATE_LIMIT,
         "{\"error\":{\"message\":\"You exceeded your current quota, please "
         "check your plan and billing details.\",\"type\":\"insufficient_"
         "quota\",\"param\":null,\"code\":\"insufficient_quota\"}}",
         LLMIO_E_RATE_LIMIT, "insufficient_quota", "insufficient_quota",
         "You exceeded your current quota, please check your plan and "
         "billing details."},
        {500, LLMIO_E_SERVER,
         "{\"error\":{\"message\":\"The server had an error while processing "
         "your request. Sorry about that!\",\"type\":\"server_error\","
         "\"param\":null,\"code\":null}}",
         LLMIO_E_SERVER, "server_error", "",
         "The server had an error while processing your request. Sorry about "
         "that!"},
        {503, LLMIO_E_OVERLOADED,
         "{\"error\":{\"message\":\"The engine is currently overloaded, "
         "please try again later\",\"type\":\"service_unavailable_error\","
         "\"code\":\"server_is_overloaded\"}}",
         LLMIO_E_OVERLOADED, "service_unavailable_error",
         "server_is_overloaded",
         "The engine is currently overloaded, please try again later"},
        {502, LLMIO_E_SERVER,
         "<html><head><title>502 Bad Gateway</title></head><body>"
         "cloudflare</body></html>",
         LLMIO_E_SERVER, "", "", "HTTP 502 Bad Gateway (no error message)"},
        {500, LLMIO_E_SERVER, "", LLMIO_E_SERVER, "", "",
         "HTTP 500 Internal Server Error (empty body)"},
        {418, LLMIO_E_HTTP, "", LLMIO_E_HTTP, "", "",
         "HTTP 418: unexpected HTTP status (empty body)"},
        {400, LLMIO_E_BAD_REQUEST,
         "{\"error\":{\"message\":\"line\\none \\u00e9\\ud83d\\ude00 "
         "\\\"q\\\"\",\"type\":\"t\",\"code\":400}}",
         LLMIO_E_BAD_REQUEST, "t", "400",
         "line one \xc3\xa9\xf0\x9f\x98\x80 \"q\""},
        {400, LLMIO_E_BAD_REQUEST, "{\"error\":\"plain string error\"}",
         LLMIO_E_BAD_REQUEST, "", "", "plain string error"},
        {400, LLMIO_E_BAD_REQUEST, "{\"error\":{\"message\":\"cut off here",
         LLMIO_E_BAD_REQUEST, "", "", "cut off here"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct err_case *c = &cases[i];
        llmio_error err;
        memset(&err, 0, sizeof err);
        err.code = c->code_in;
        err.http_status = c->status;
        P->parse_error(c->status, c->body, strlen(c->body), &err);
        ASSERT_EQ(err.code, c->code);
        ASSERT_STR_EQ(err.provider_type, c->type);
        ASSERT_STR_EQ(err.provider_code, c->pcode);
        ASSERT_STR_EQ(err.message, c->message);
    }
}

TEST(openai_error_message_bounded)
{
    /* A huge message is truncated at a character boundary. */
    static char body[4096];
    char *p = body;
    p += snprintf(p, 64, "{\"error\":{\"message\":\"");
    for (int i = 0; i < 1000; i++) {
        memcpy(p, "\xc3\xa9", 2);
        p += 2;
    }
    strcpy(p, "\"}}");
    llmio_error err;
    memset(&err, 0x55, sizeof err);
    err.code = LLMIO_E_BAD_REQUEST;
    P->parse_error(400, body, strlen(body), &err);
    size_t n = strlen(err.message);
    ASSERT_CMP(n, <, sizeof err.message);
    ASSERT_EQ(n % 2, 0);
    ASSERT_STR_EQ(err.provider_type, "");
}

/* ------------------------------------------------------------------ */
/* Registry                                                            */
/* ------------------------------------------------------------------ */

TEST(openai_registry_split)
{
    const char *rest;
    llmio_error err;
    memset(&err, 0, sizeof err);
    ASSERT(llmio__provider_for_model("gpt-4o", &rest, &err) == P);
    ASSERT_STR_EQ(rest, "gpt-4o");
    ASSERT(llmio__provider_for_model("openai/gpt-4o", &rest, &err) == P);
    ASSERT_STR_EQ(rest, "gpt-4o");
    const struct llmio__provider *o = llmio__provider_for_model(
        "openrouter/anthropic/claude-3.5-sonnet", &rest, &err);
    ASSERT_NOT_NULL(o);
    ASSERT_STR_EQ(o->name, "openrouter");
    ASSERT_STR_EQ(rest, "anthropic/claude-3.5-sonnet");
    ASSERT(o->parse_event == P->parse_event);
    o = llmio__provider_for_model("together_ai/meta-llama/Llama-3", &rest,
                                  &err);
    ASSERT_STR_EQ(o->name, "together");
    ASSERT_STR_EQ(rest, "meta-llama/Llama-3");
    ASSERT_NULL(llmio__provider_for_model("nope/x", &rest, &err));
    ASSERT_EQ(err.code, LLMIO_E_UNSUPPORTED);
    ASSERT_CONTAINS(err.message, "unknown provider \"nope\"");
    ASSERT_NULL(rest);
    ASSERT_NULL(llmio__provider_for_model("openai/", &rest, &err));
    ASSERT_EQ(err.code, LLMIO_E_INVALID);
    ASSERT_NULL(llmio__provider_for_model("", &rest, &err));
    ASSERT_NULL(llmio__provider_for_model(NULL, &rest, &err));
    ASSERT(llmio__provider_find("openai", 6) == P);
    ASSERT_NULL(llmio__provider_find("openai", 5));
    /* Every row resolves to itself by name, and names are unique. */
    for (size_t i = 0; i < llmio__provider_count(); i++) {
        const char *name;
        const struct llmio__provider *p = llmio__provider_at(i, &name);
        ASSERT_NOT_NULL(p);
        ASSERT(llmio__provider_find(name, strlen(name)) == p);
        /* Azure alone has no default: every resource has its own
         * endpoint. */
        ASSERT(p->default_base_url != NULL || p == &llmio__provider_azure);
        ASSERT_NOT_NULL(p->api_key_env);
        for (size_t j = i + 1; j < llmio__provider_count(); j++) {
            const char *other;
            llmio__provider_at(j, &other);
            ASSERT(strcmp(name, other) != 0);
        }
    }
    ASSERT_NULL(llmio__provider_at(llmio__provider_count(), NULL));
}

/* ------------------------------------------------------------------ */
/* Golden requests, one feature each                                   */
/* ------------------------------------------------------------------ */

TEST(openai_build_roles)
{
    llmio_request *r = llmio_request_new("gpt-5.4");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_SYSTEM, "sys"));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_DEVELOPER, "dev"));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "hi"));
    ASSERT_OK(llmio_request_set_name(r, "ana"));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_ASSISTANT, "hello"));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "bye"));
    golden(r, "roles");
    llmio_request_free(r);
}

TEST(openai_build_content_parts)
{
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER,
                                        "What is in this picture?"));
    ASSERT_OK(
        llmio_request_add_image_url(r, "https://example.com/cat.jpg", "auto"));
    ASSERT_OK(llmio_request_add_image_url(
        r, "data:image/png;base64,iVBORw0KGgo=", NULL));
    ASSERT_OK(llmio_request_add_text(r, "Answer in one word."));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_SYSTEM, NULL));
    ASSERT_OK(llmio_request_add_text(r, "part one"));
    ASSERT_OK(llmio_request_add_text(r, "part two"));
    golden(r, "content-parts");
    llmio_request_free(r);
}

TEST(openai_build_tool_calls_and_results)
{
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_OK(
        llmio_request_add_message(r, LLMIO_ROLE_USER, "Weather in Lisbon?"));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_ASSISTANT, NULL));
    ASSERT_OK(llmio_request_add_tool_call(r, "call_7Qx1", "lookup_weather",
                                          "{\"city\": \"Lisbon\"}"));
    ASSERT_OK(llmio_request_add_tool_call(r, "call_0", "noargs", NULL));
    ASSERT_OK(llmio_request_add_tool_result(
        r, "call_7Qx1", "{\"temp_c\":21,\"sky\":\"clear\"}"));
    ASSERT_OK(llmio_request_add_tool_result(r, "call_0", NULL));
    golden(r, "tool-calls-and-results");
    llmio_request_free(r);
}

TEST(openai_build_every_parameter)
{
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "x"));
    ASSERT_OK(llmio_request_set_temperature(r, 0.2));
    ASSERT_OK(llmio_request_set_top_p(r, 0.9));
    ASSERT_OK(llmio_request_set_max_tokens(r, 300));
    ASSERT_OK(llmio_request_set_max_completion_tokens(r, 400));
    ASSERT_OK(llmio_request_set_n(r, 2));
    ASSERT_OK(llmio_request_add_stop(r, "\nEND"));
    ASSERT_OK(llmio_request_set_seed(r, -7));
    ASSERT_OK(llmio_request_set_user(r, "user-42"));
    ASSERT_OK(llmio_request_set_logprobs(r, true, 3));
    golden(r, "every-parameter");
    llmio_request_free(r);
}

TEST(openai_build_stop_list)
{
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "x"));
    ASSERT_OK(llmio_request_add_stop(r, "a"));
    ASSERT_OK(llmio_request_add_stop(r, "b\"c"));
    ASSERT_OK(llmio_request_add_stop(r, "\n\n"));
    ASSERT_OK(llmio_request_add_stop(r, "END"));
    ASSERT_OK(llmio_request_set_logprobs(r, false, 0));
    golden(r, "stop-list");
    llmio_request_free(r);
}

static llmio_request *tools_request(const char *choice)
{
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "x"));
    ASSERT_OK(llmio_request_add_tool(
        r, "lookup_weather", "Current weather for a city",
        "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}"
        "},\"required\":[\"city\"],\"additionalProperties\":false}"));
    ASSERT_OK(llmio_request_add_tool(r, "no_params", NULL, NULL));
    if (choice != NULL) {
        ASSERT_OK(llmio_request_set_tool_choice(r, choice));
    }
    return r;
}

TEST(openai_build_tool_choice_forms)
{
    static const char *const forms[] = {"auto", "none", "required",
                                        "lookup_weather"};
    static const char *const cases[] = {"tool-choice-auto", "tool-choice-none",
                                        "tool-choice-required",
                                        "tool-choice-function"};
    for (int i = 0; i < 4; i++) {
        llmio_request *r = tools_request(forms[i]);
        golden(r, cases[i]);
        llmio_request_free(r);
    }
    llmio_request *r = tools_request(NULL);
    golden(r, "tools");
    llmio_request_free(r);
}

TEST(openai_build_response_format)
{
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "x"));
    ASSERT_OK(llmio_request_set_response_format(
        r, "json_schema", "city_fact",
        "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": "
        "\"string\"}, \"population\": {\"type\": \"integer\"}},\n"
        " \"required\": [\"city\", \"population\"], "
        "\"additionalProperties\": false}",
        true));
    golden(r, "response-format-json-schema");
    ASSERT_OK(
        llmio_request_set_response_format(r, "json_object", NULL, NULL, true));
    golden(r, "response-format-json-object");
    llmio_request_free(r);
}

TEST(openai_build_raw_override)
{
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "x"));
    ASSERT_OK(llmio_request_set_temperature(r, 1));
    ASSERT_OK(llmio_request_set_max_tokens(r, 10));
    ASSERT_OK(llmio_request_set_raw(r, "reasoning_effort", "\"low\""));
    ASSERT_OK(llmio_request_set_raw(r, "temperature", "0.5"));
    ASSERT_OK(llmio_request_set_raw(r, "metadata", "{\"k\": [1, 2]}"));
    ASSERT_OK(llmio_request_set_raw(r, "max_tokens", "null"));
    ASSERT_OK(llmio_request_set_raw(r, "max_tokens", NULL));
    ASSERT_OK(llmio_request_set_raw(r, "reasoning_effort", "\"high\""));
    golden(r, "raw-override");
    llmio_request_free(r);
}

TEST(openai_build_stream_include_usage)
{
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "x"));
    ASSERT_OK(llmio_request_set_stream(r, NULL, true));
    golden(r, "streaming-request-usage");
    ASSERT_OK(llmio_request_set_stream(r, NULL, false));
    golden(r, "streaming-request-no-usage");
    llmio_request_free(r);
}

TEST(openai_build_org_project_headers)
{
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "x"));
    struct llmio__http_req out;
    struct llmio__provider_cfg cfg = {KEY, "https://example.test/v1", "org-1",
                                      "proj_2", NULL};
    llmio__buf_init(&out.url, NULL, 0);
    llmio__buf_init(&out.headers, NULL, 0);
    llmio__buf_init(&out.body, NULL, 0);
    out.nheaders = 0;
    llmio_error err;
    ASSERT_OK(P->build_request(r, "gpt-4o-mini", &cfg, &out, &err));
    ASSERT_EQ(out.nheaders, 4);
    const char *h = out.headers.data;
    h += strlen(h) + 1;
    h += strlen(h) + 1;
    ASSERT_STR_EQ(h, "OpenAI-Organization: org-1");
    h += strlen(h) + 1;
    ASSERT_STR_EQ(h, "OpenAI-Project: proj_2");
    llmio__buf_cleanup(&out.url);
    llmio__buf_cleanup(&out.headers);
    llmio__buf_cleanup(&out.body);
    llmio_request_free(r);
}

TEST(openai_build_torture)
{
    /* Fails allocation N of build_request (the builder itself runs with
     * libc) until it succeeds: each step is NOMEM or success, no leak. */
    llmio_request *r = llmio_request_new("openai/gpt-4o");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_SYSTEM, "s"));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "u"));
    ASSERT_OK(llmio_request_add_image_url(r, "https://x.test/a.png", NULL));
    ASSERT_OK(llmio_request_add_tool(r, "f", "d", "{\"type\":\"object\"}"));
    ASSERT_OK(llmio_request_set_stream(r, NULL, true));
    for (long n = 1;; n++) {
        struct fail_alloc fa;
        fail_alloc_init(&fa, n);
        struct llmio__http_req out;
        struct llmio__provider_cfg cfg = {KEY, NULL, NULL, NULL, NULL};
        llmio__buf_init(&out.url, &fa.a, 0);
        llmio__buf_init(&out.headers, &fa.a, 0);
        llmio__buf_init(&out.body, &fa.a, 0);
        out.nheaders = 0;
        llmio_error err;
        llmio_status st = P->build_request(r, "gpt-4o", &cfg, &out, &err);
        llmio__buf_cleanup(&out.url);
        llmio__buf_cleanup(&out.headers);
        llmio__buf_cleanup(&out.body);
        ASSERT_EQ(fa.live, 0);
        if (!fa.failed) {
            ASSERT_OK(st);
            break;
        }
        ASSERT(st == LLMIO_E_NOMEM || st == LLMIO_OK);
        ASSERT_CMP(n, <, 1000);
    }
    llmio_request_free(r);
}

/* ------------------------------------------------------------------ */
/* Streams: data cases, every split                                    */
/* ------------------------------------------------------------------ */

#include "sse.h"

#include <dirent.h>

/* The response part of a dump (from "== response" to before "json "). */
static char *response_part(const char *dump)
{
    const char *s = strstr(dump, "== response");
    ASSERT_NOT_NULL(s);
    const char *e = strstr(s, "\njson ");
    size_t n = e != NULL ? (size_t)(e - s) + 1 : strlen(s);
    return strndup(s, n);
}

static void stream_case(const char *name)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "tests/data/providers/openai/%s/input", name);
    char *in = test_read_file(path, &len);
    llmio_status st;
    char *whole = oh_stream(P, in, len, 0, 0, NULL, &st);
    snprintf(path, sizeof path, "tests/data/providers/openai/%s/expected",
             name);
    oh_expect_file(path, whole);
    char *bytes = oh_stream(P, in, len, 1, 0, NULL, &st);
    if (strcmp(bytes, whole) != 0) {
        test_fail_(__FILE__, __LINE__, "%s: byte-at-a-time differs:\n%s", name,
                   bytes);
    }
    free(bytes);
    /* Valgrind is slow; every 7th offset still covers each event's
     * boundaries and insides across the cases. */
    size_t step = test_is_valgrind() ? 7 : 1;
    for (size_t k = 1; k < len; k += step) {
        char *split = oh_stream(P, in, len, 0, k, NULL, &st);
        if (strcmp(split, whole) != 0) {
            test_fail_(__FILE__, __LINE__, "%s: split at %zu differs:\n%s",
                       name, k, split);
        }
        free(split);
    }
    /* With an equivalent non-streaming body, the accessors agree. */
    snprintf(path, sizeof path, "%s/tests/data/providers/openai/%s/body",
             test_srcdir(), name);
    FILE *f = fopen(path, "rb");
    if (f != NULL) {
        fclose(f);
        size_t blen;
        char *body = test_read_file(path, &blen);
        char *nb = oh_body(P, body, blen, NULL, &st);
        ASSERT_OK(st);
        char *a = response_part(whole), *b = response_part(nb);
        ASSERT_STR_EQ(a, b);
        free(a);
        free(b);
        free(nb);
        free(body);
    }
    free(whole);
    free(in);
}

/* Calls FN with the name of every tests/data/providers/openai/stream-*
 * case; returns how many there are. */
static int each_stream_case(void (*fn)(const char *name))
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/tests/data/providers/openai", test_srcdir());
    DIR *d = opendir(dir);
    ASSERT_NOT_NULL(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "stream-", 7) == 0) {
            fn(e->d_name);
            n++;
        }
    }
    closedir(d);
    return n;
}

TEST(openai_stream_cases)
{
    int n = each_stream_case(stream_case);
    ASSERT_CMP(n, >=, 10);
}

/* Runs IN with and without the repeat-shape fast path (memo.c), whole and
 * fed in pieces, and fails unless every run gives the same dump (deltas,
 * errors and response). */
static void same_as_full(const char *what, const char *in, size_t len)
{
    llmio_status st;
    oh_exact = true;
    char *full = oh_stream(P, in, len, 0, 0, NULL, &st);
    oh_exact = false;
    static const size_t pieces[] = {0, 1, 5, 64};
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        char *fast = oh_stream(P, in, len, pieces[i], 0, NULL, &st);
        if (strcmp(fast, full) != 0) {
            test_fail_(__FILE__, __LINE__,
                       "%s, %zu-byte feeds: fast path differs:\n%s\nfull "
                       "parse:\n%s",
                       what, pieces[i], fast, full);
        }
        free(fast);
    }
    free(full);
}

/* One content chunk: ID, the delta object's JSON, and OBF (a JSON value
 * for "obfuscation", or NULL for none). */
static void chunk(struct llmio__buf *b, const char *id, const char *delta,
                  const char *obf)
{
    llmio__buf_appendf(
        b,
        "data: {\"id\":\"%s\",\"object\":\"chat.completion.chunk\","
        "\"created\":7,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":%s,"
        "\"logprobs\":null,\"finish_reason\":null}]%s%s}\n\n",
        id, delta, obf != NULL ? ",\"obfuscation\":" : "",
        obf != NULL ? obf : "");
}

/* A golden stream case through same_as_full. */
static void fast_case(const char *name)
{
    char path[600];
    size_t len;
    snprintf(path, sizeof path, "tests/data/providers/openai/%s/input", name);
    char *in = test_read_file(path, &len);
    same_as_full(name, in, len);
    free(in);
}

TEST(openai_stream_fast_path_equals_full)
{
    /* Every golden stream. */
    ASSERT_CMP(each_stream_case(fast_case), >=, 10);

    /* Shapes that come and go: escapes and UTF-8 in the text, the
     * obfuscation padding, a changed id, null and non-text deltas, tool
     * calls, duplicated keys. */
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    chunk(&b, "c1", "{\"role\":\"assistant\",\"content\":\"\"}", "\"a\"");
    chunk(&b, "c1", "{\"content\":\"Hello\"}", "\"bb\"");
    chunk(&b, "c1", "{\"content\":\"Hello\"}", "\"bb\"");
    chunk(&b, "c1", "{\"content\":\" w\\u00f6rld \\ud83d\\ude00\"}",
          "\"c\\\"d\"");
    chunk(&b, "c1", "{\"content\":\"tab\\there\\nnew \\\" \\\\ \\/\"}", "\"\"");
    chunk(&b, "c1", "{\"content\":\"caf\xc3\xa9 \xe2\x82\xac\"}", NULL);
    chunk(&b, "c1", "{\"content\":\"x\"}", NULL);
    chunk(&b, "c1", "{\"content\":\"\"}", NULL);
    chunk(&b, "c1", "{\"content\":null}", NULL);
    chunk(&b, "c1", "{\"content\":\"after null\"}", NULL);
    chunk(&b, "other", "{\"content\":\"y\"}", NULL);
    chunk(&b, "other", "{\"content\":\"z\"}", NULL);
    chunk(&b, "other", "{\"reasoning_content\":\"think\"}", NULL);
    chunk(&b, "other", "{\"content\":\"q\",\"reasoning_content\":\"r\"}", NULL);
    chunk(&b, "other", "{\"content\":\"q2\"}", NULL);
    chunk(&b, "other", "{\"content\":\"q3\",\"refusal\":\"no\"}", NULL);
    chunk(&b, "other",
          "{\"tool_calls\":[{\"index\":0,\"id\":\"t\",\"type\":\"function\","
          "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}",
          NULL);
    chunk(&b, "other", "{\"content\":\"after tool\"}", NULL);
    chunk(&b, "other", "{\"content\":\"d1\",\"content\":\"d2\"}", NULL);
    chunk(&b, "other", "{\"content\":\"d1\",\"content\":\"X\"}", NULL);
    chunk(&b, "other", "{\"content\":\"Y\",\"content\":\"d2\"}", NULL);
    chunk(&b, "other", "{\"content\" : \"spaced\"}", NULL);
    chunk(&b, "other", "{\"content\":\"w\"}", "{\"not\":\"a string\"}");
    chunk(&b, "other", "{\"content\":\"w2\"}", "{\"not\":\"a string\"}");
    llmio__buf_appends(
        &b, "data: {\"id\":\"other\",\"object\":\"chat.completion.chunk\","
            "\"created\":7,\"model\":\"m\",\"choices\":[{\"index\":0,"
            "\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n"
            "data: [DONE]\n\n");
    same_as_full("shapes", b.data, b.len);

    /* A bad text after the template was set: the same error either way. */
    static const char *const bad[] = {
        "\"bad\\x\"",
        "\"ctl\x01\"",
        "\"\\ud800\"",
        "\"\\udc00x\"",
        "\"\\u12\"",
        "\"open",
        "5",
        "\"a\" \"b\"",
        "\"a\"}",
        "\"\xed\xa0\x80\"",
        "\"\xc0\xaf\"",
        "\"\\u0000\"",
        "\"a\\\"",
        "\"\\",
        "\"\\\\\"\"",
        "[\"x\"]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        llmio__buf_reset(&b);
        char delta[64];
        chunk(&b, "c1", "{\"content\":\"one\"}", "\"o\"");
        chunk(&b, "c1", "{\"content\":\"two\"}", "\"pp\"");
        snprintf(delta, sizeof delta, "{\"content\":%s}", bad[i]);
        chunk(&b, "c1", delta, "\"q\"");
        chunk(&b, "c1", "{\"content\":\"four\"}", "\"r\"");
        llmio__buf_appends(&b, "data: [DONE]\n\n");
        char what[32];
        snprintf(what, sizeof what, "bad text %zu", i);
        same_as_full(what, b.data, b.len);
    }
    llmio__buf_cleanup(&b);
}

TEST(openai_stream_json_equals_body_shape)
{
    /* The assembled JSON of a stream parses back into the same accessors
     * (it is a chat.completion body). */
    size_t len;
    char *in = test_read_file(
        "tests/data/providers/openai/stream-tool-calls/input", &len);
    struct oh_run r;
    struct llmio__sse_parser sp;
    oh_run_init(&r, NULL);
    llmio__sse_init(&sp, NULL, 0);
    ASSERT_OK(llmio__sse_feed(&sp, in, len));
    struct llmio__sse_event ev;
    while (llmio__sse_next(&sp, &ev) == 1) {
        ASSERT_OK(P->parse_event(&r.ctx, ev.type, ev.type_len, ev.data,
                                 ev.data_len, &r.err));
    }
    ASSERT(r.ctx.done);
    ASSERT_OK(llmio__response_finish(&r.resp, NULL, 0));
    size_t jlen;
    const char *j = llmio_response_json(&r.resp, &jlen);
    llmio_status st;
    char *again = oh_body(P, j, jlen, NULL, &st);
    ASSERT_OK(st);
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    oh_dump_response(&r.resp, &b);
    char *part = response_part(again);
    ASSERT_STR_EQ(llmio__buf_cstr(&b), part);
    free(part);
    free(again);
    llmio__buf_cleanup(&b);
    llmio__sse_cleanup(&sp);
    oh_run_cleanup(&r);
    free(in);
}

TEST(openai_build_compat_rows)
{
    /* A compatible row is OpenAI's operations with its own base URL; the
     * model sent is everything after the first '/'. */
    static const struct {
        const char *model;
        const char *url;
        const char *body_model;
    } cases[] = {
        {"groq/llama-3.3-70b-versatile",
         "https://api.groq.com/openai/v1/chat/completions",
         "\"model\":\"llama-3.3-70b-versatile\""},
        {"openrouter/anthropic/claude-3.5-sonnet",
         "https://openrouter.ai/api/v1/chat/completions",
         "\"model\":\"anthropic/claude-3.5-sonnet\""},
        {"perplexity/sonar", "https://api.perplexity.ai/chat/completions",
         "\"model\":\"sonar\""},
        {"fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct",
         "https://api.fireworks.ai/inference/v1/chat/completions",
         "\"model\":\"accounts/fireworks/models/llama-v3p1-8b-instruct\""},
        {"lmstudio/qwen2.5-7b", "http://localhost:1234/v1/chat/completions",
         "\"model\":\"qwen2.5-7b\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmio_request *r = llmio_request_new(cases[i].model);
        ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "x"));
        const char *rest;
        llmio_error err;
        const struct llmio__provider *p =
            llmio__provider_for_model(r->model, &rest, &err);
        ASSERT_NOT_NULL(p);
        struct llmio__http_req out;
        struct llmio__provider_cfg cfg = {NULL, p->default_base_url, NULL, NULL,
                                          NULL};
        llmio__buf_init(&out.url, NULL, 0);
        llmio__buf_init(&out.headers, NULL, 0);
        llmio__buf_init(&out.body, NULL, 0);
        out.nheaders = 0;
        ASSERT_OK(p->build_request(r, rest, &cfg, &out, &err));
        ASSERT_STR_EQ(llmio__buf_cstr(&out.url), cases[i].url);
        ASSERT_CONTAINS(llmio__buf_cstr(&out.body), cases[i].body_model);
        /* No key configured: no Authorization header at all. */
        ASSERT_EQ(out.nheaders, 1);
        llmio__buf_cleanup(&out.url);
        llmio__buf_cleanup(&out.headers);
        llmio__buf_cleanup(&out.body);
        llmio_request_free(r);
    }
}

TEST(openai_inband_error_mapping)
{
    static const struct {
        const char *data;
        llmio_status st;
        const char *type;
        const char *code;
    } cases[] = {
        {"{\"error\":{\"message\":\"m\",\"type\":\"server_error\"}}",
         LLMIO_E_SERVER, "server_error", ""},
        {"{\"error\":{\"message\":\"m\",\"type\":\"tokens\",\"code\":"
         "\"rate_limit_exceeded\"}}",
         LLMIO_E_RATE_LIMIT, "tokens", "rate_limit_exceeded"},
        {"{\"error\":{\"message\":\"m\",\"code\":\"429\"}}", LLMIO_E_RATE_LIMIT,
         "", "429"},
        {"{\"error\":{\"message\":\"m\",\"code\":503}}", LLMIO_E_OVERLOADED, "",
         "503"},
        {"{\"error\":{\"message\":\"m\",\"code\":400}}", LLMIO_E_BAD_REQUEST,
         "", "400"},
        {"{\"error\":{\"message\":\"m\",\"type\":\"invalid_request_error\","
         "\"code\":\"context_length_exceeded\"}}",
         LLMIO_E_CONTEXT_LENGTH, "invalid_request_error",
         "context_length_exceeded"},
        {"{\"error\":{\"message\":\"m\",\"type\":\"weird\"}}", LLMIO_E_SERVER,
         "weird", ""},
        {"{\"error\":\"just text\"}", LLMIO_E_SERVER, "", ""},
        {"{\"error\":true}", LLMIO_E_SERVER, "", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct oh_run r;
        oh_run_init(&r, NULL);
        llmio_status st = P->parse_event(&r.ctx, NULL, 0, cases[i].data,
                                         strlen(cases[i].data), &r.err);
        ASSERT_EQ(st, cases[i].st);
        ASSERT_EQ(r.err.code, cases[i].st);
        ASSERT_STR_EQ(r.err.provider_type, cases[i].type);
        ASSERT_STR_EQ(r.err.provider_code, cases[i].code);
        ASSERT(r.err.message[0] != '\0');
        ASSERT_CONTAINS(llmio__buf_cstr(&r.dump), "ERROR type=");
        oh_run_cleanup(&r);
    }
    /* The same object in a 2xx non-streaming body is the same error. */
    struct oh_run r;
    oh_run_init(&r, NULL);
    const char *b = "{\"error\":{\"message\":\"overloaded\",\"type\":"
                    "\"server_is_overloaded\"}}";
    ASSERT_EQ(P->parse_body(&r.ctx, b, strlen(b), &r.err), LLMIO_E_OVERLOADED);
    ASSERT_STR_EQ(r.err.message, "overloaded");
    oh_run_cleanup(&r);
}
