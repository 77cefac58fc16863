/*
 * test-request.c - the request builder: validation naming the field, the
 * sticky first error, ownership (copies), and allocation torture.
 */
#include "openai-harness.h"

#include "llmio.h"

static void expect_error(llmio_request *r, llmio_status st, const char *msg)
{
    llmio_error err;
    ASSERT_EQ(llmio_request_error(r, &err), st);
    ASSERT_EQ(err.code, st);
    /* A JSON error goes on with the parser's reason: compare the head. */
    if (strncmp(err.message, msg, strlen(msg)) != 0) {
        ASSERT_STR_EQ(err.message, msg);
    }
}

TEST(request_sticky_first_error)
{
    llmio_request *r = llmio_request_new("openai/gpt-4o");
    ASSERT_NOT_NULL(r);
    ASSERT_OK(llmio_request_error(r, NULL));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "x"));
    ASSERT_EQ(llmio_request_set_top_p(r, 1.5), LLMIO_E_INVALID);
    /* Later calls, valid or not, return the first error and do nothing. */
    ASSERT_EQ(llmio_request_set_temperature(r, 5), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_request_add_message(r, LLMIO_ROLE_USER, "y"),
              LLMIO_E_INVALID);
    ASSERT_EQ(r->nmessages, 1);
    expect_error(r, LLMIO_E_INVALID, "top_p: must be within 0..1");
    llmio_request_free(r);
}

TEST(request_validation_messages)
{
    static const char *const want[] = {
        "temperature: must be within 0..2",
        "top_p: must be within 0..1",
        "max_tokens: must be >= 1",
        "max_completion_tokens: must be >= 1",
        "n: must be within 1..128",
        "top_logprobs: must be within 0..20",
        "top_logprobs: needs logprobs on",
        "stop: at most 4 sequences",
        "stop[0]: must not be empty",
        "messages[1].role: invalid (9)",
        "messages: no message to add a text part to",
        "messages[0].content[1]: images are only allowed in user messages",
        ("messages[0].content[0].image_url.url: must be an http(s) or "
         "data: URL"),
        "messages[0].content[0].image_url.detail: must be auto, low or high",
        "messages[0].tool_calls: only assistant messages carry tool calls",
        "messages[0].tool_calls[0].arguments: not valid JSON",
        "messages[0].tool_calls[0].id: required",
        "tools[0].name: must match [a-zA-Z0-9_-]{1,64}",
        "tools[0].parameters: not valid JSON",
        "tools[0].parameters: must be a JSON object",
        "tools[1].name: duplicate of tools[0]",
        "tool_choice: must be auto, none, required or a function name",
        "response_format.type: must be text, json_object or json_schema",
        "response_format.json_schema.name: must match [a-zA-Z0-9_-]{1,64}",
        "response_format.json_schema.schema: must be a JSON object",
        "raw[\"x\"]: not valid JSON",
        "raw: key required",
        "headers[0]: must be \"Name: value\"",
        "headers[0]: must not contain CR or LF",
        "timeout: must be > 0 ms",
        "messages[1].content: not valid UTF-8",
        "messages[1].tool_call_id: required",
        "model: required",
        "messages[0].name: must not be empty",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        llmio_request *r = llmio_request_new("gpt-4o");
        llmio_status st = LLMIO_OK;
        switch (i) {
        case 0:
            st = llmio_request_set_temperature(r, 2.0001);
            break;
        case 1:
            st = llmio_request_set_top_p(r, -0.1);
            break;
        case 2:
            st = llmio_request_set_max_tokens(r, 0);
            break;
        case 3:
            st = llmio_request_set_max_completion_tokens(r, -1);
            break;
        case 4:
            st = llmio_request_set_n(r, 129);
            break;
        case 5:
            st = llmio_request_set_logprobs(r, true, 21);
            break;
        case 6:
            st = llmio_request_set_logprobs(r, false, 2);
            break;
        case 7:
            for (int k = 0; k < 4; k++) {
                ASSERT_OK(llmio_request_add_stop(r, "s"));
            }
            st = llmio_request_add_stop(r, "s");
            break;
        case 8:
            st = llmio_request_add_stop(r, "");
            break;
        case 9:
            ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "u"));
            st = llmio_request_add_message(r, (llmio_role)9, "u");
            break;
        case 10:
            st = llmio_request_add_text(r, "t");
            break;
        case 11:
            ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_SYSTEM, "s"));
            st = llmio_request_add_image_url(r, "https://a.test/x.png", NULL);
            break;
        case 12:
            ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, NULL));
            st = llmio_request_add_image_url(r, "ftp://a.test/x.png", NULL);
            break;
        case 13:
            ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, NULL));
            st = llmio_request_add_image_url(r, "https://a.test/x.png",
                                             "medium");
            break;
        case 14:
            ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "u"));
            st = llmio_request_add_tool_call(r, "c", "f", "{}");
            break;
        case 15:
            ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_ASSISTANT, NULL));
            st = llmio_request_add_tool_call(r, "c", "f", "{\"a\":");
            break;
        case 16:
            ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_ASSISTANT, NULL));
            st = llmio_request_add_tool_call(r, NULL, "f", "{}");
            break;
        case 17:
            st = llmio_request_add_tool(r, "bad name", NULL, NULL);
            break;
        case 18:
            st = llmio_request_add_tool(r, "f", NULL, "{");
            break;
        case 19:
            st = llmio_request_add_tool(r, "f", NULL, "[1]");
            break;
        case 20:
            ASSERT_OK(llmio_request_add_tool(r, "f", NULL, NULL));
            st = llmio_request_add_tool(r, "f", NULL, NULL);
            break;
        case 21:
            st = llmio_request_set_tool_choice(r, "any thing");
            break;
        case 22:
            st =
                llmio_request_set_response_format(r, "yaml", NULL, NULL, false);
            break;
        case 23:
            st = llmio_request_set_response_format(r, "json_schema", NULL, "{}",
                                                   false);
            break;
        case 24:
            st = llmio_request_set_response_format(r, "json_schema", "n",
                                                   "true", false);
            break;
        case 25:
            st = llmio_request_set_raw(r, "x", "{nope}");
            break;
        case 26:
            st = llmio_request_set_raw(r, "", "1");
            break;
        case 27:
            st = llmio_request_add_header(r, "NoColon");
            break;
        case 28:
            st = llmio_request_add_header(r, "X-A: b\r\nX-Evil: 1");
            break;
        case 29:
            st = llmio_request_set_timeout(r, LLMIO_TIMEOUT_IDLE, 0);
            break;
        case 30:
            ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "u"));
            st = llmio_request_add_message(r, LLMIO_ROLE_USER, "\xff\xfe");
            break;
        case 31:
            ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "u"));
            st = llmio_request_add_tool_result(r, "", "x");
            break;
        case 32:
            st = llmio_request_set_model(r, "");
            break;
        case 33:
            ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "u"));
            st = llmio_request_set_name(r, "");
            break;
        }
        if (st != LLMIO_E_INVALID) {
            test_fail_(__FILE__, __LINE__, "case %zu: status %s", i,
                       llmio_status_name(st));
        }
        expect_error(r, LLMIO_E_INVALID, want[i]);
        llmio_request_free(r);
    }
}

TEST(request_null_safety)
{
    ASSERT_EQ(llmio_request_add_message(NULL, LLMIO_ROLE_USER, "x"),
              LLMIO_E_INVALID);
    ASSERT_EQ(llmio_request_set_stream(NULL, NULL, true), LLMIO_E_INVALID);
    llmio_error err;
    ASSERT_EQ(llmio_request_error(NULL, &err), LLMIO_E_INVALID);
    llmio_request_free(NULL);
    /* A builder without a model is fine until it is built. */
    llmio_request *r = llmio_request_new(NULL);
    ASSERT_NOT_NULL(r);
    ASSERT_OK(llmio_request_error(r, NULL));
    ASSERT_NULL(r->model);
    llmio_request_free(r);
}

TEST(request_copies_inputs)
{
    char content[] = "hello";
    char model[] = "openai/gpt-4o";
    llmio_request *r = llmio_request_new(model);
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, content));
    content[0] = 'J';
    model[0] = 'X';
    ASSERT_STR_EQ(r->messages[0].content, "hello");
    ASSERT_STR_EQ(r->model, "openai/gpt-4o");
    ASSERT_OK(llmio_request_set_model(r, "groq/llama"));
    ASSERT_STR_EQ(r->model, "groq/llama");
    llmio_request_free(r);
}

TEST(request_stream_and_transport)
{
    llmio_request *r = llmio_request_new("gpt-4o");
    ASSERT(!r->stream);
    ASSERT_OK(llmio_request_set_stream(r, NULL, false));
    ASSERT(r->stream);
    ASSERT(!r->include_usage);
    ASSERT_NULL(r->stream_cb);
    ASSERT_OK(llmio_request_add_header(r, "X-Trace: 1"));
    ASSERT_OK(llmio_request_set_timeout(r, LLMIO_TIMEOUT_IDLE, 5000));
    ASSERT_EQ(r->timeouts_ms[LLMIO_TIMEOUT_IDLE], 5000);
    ASSERT_EQ(r->nheaders, 1);
    ASSERT_STR_EQ(r->headers[0], "X-Trace: 1");
    ASSERT(!llmio__request_has_raw(r, "x"));
    ASSERT_OK(llmio_request_set_raw(r, "x", " [1, 2] "));
    ASSERT(llmio__request_has_raw(r, "x"));
    ASSERT_OK(llmio_request_set_raw(r, "x", NULL));
    ASSERT(!llmio__request_has_raw(r, "x"));
    ASSERT(!llmio__request_has_raw(NULL, "x"));
    llmio_request_free(r);
}

TEST(request_text_converts_content)
{
    llmio_request *r = llmio_request_new("gpt-4o");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "first"));
    ASSERT_OK(llmio_request_add_text(r, "second"));
    ASSERT_NULL(r->messages[0].content);
    ASSERT_EQ(r->messages[0].nparts, 2);
    ASSERT_STR_EQ(r->messages[0].parts[0].text, "first");
    ASSERT_STR_EQ(r->messages[0].parts[1].text, "second");
    llmio_request_free(r);
}

/* Builds a request touching every setter with allocator A; returns the
 * first non-OK status. */
static llmio_status build_all(const llmio_allocator *a, llmio_request **out)
{
    llmio_request *r = llmio__request_new_with(a, "openai/gpt-4o");
    *out = r;
    if (r == NULL) {
        return LLMIO_E_NOMEM;
    }
    llmio_request_add_message(r, LLMIO_ROLE_SYSTEM, "sys");
    llmio_request_add_message(r, LLMIO_ROLE_USER, "look");
    llmio_request_add_text(r, "more");
    llmio_request_add_image_url(r, "https://a.test/x.png", "low");
    llmio_request_set_name(r, "n");
    llmio_request_add_message(r, LLMIO_ROLE_ASSISTANT, NULL);
    llmio_request_add_tool_call(r, "c1", "f", "{\"a\":[1,2,{\"b\":null}]}");
    llmio_request_add_tool_call(r, "c2", "f", NULL);
    llmio_request_add_tool_result(r, "c1", "r1");
    llmio_request_add_tool_result(r, "c2", "r2");
    llmio_request_add_tool(r, "f", "desc", "{\"type\":\"object\"}");
    llmio_request_add_tool(r, "g", NULL, NULL);
    llmio_request_set_tool_choice(r, "f");
    llmio_request_set_response_format(r, "json_schema", "s",
                                      "{\"type\":\"object\"}", true);
    llmio_request_set_temperature(r, 0.5);
    llmio_request_add_stop(r, "x");
    llmio_request_add_stop(r, "y");
    llmio_request_set_user(r, "u");
    llmio_request_set_raw(r, "k", "{\"v\":1}");
    llmio_request_set_raw(r, "k2", "2");
    llmio_request_add_header(r, "X-A: 1");
    llmio_request_set_model(r, "openai/gpt-4o-mini");
    return llmio_request_set_stream(r, NULL, true);
}

TEST(request_torture)
{
    for (long n = 1;; n++) {
        struct fail_alloc fa;
        fail_alloc_init(&fa, n);
        llmio_request *r;
        llmio_status st = build_all(&fa.a, &r);
        if (fa.failed) {
            /* A failure may also be absorbed (the arena retries with a
             * smaller block): NOMEM or success, nothing else. */
            if (st != LLMIO_E_NOMEM && st != LLMIO_OK) {
                test_fail_(__FILE__, __LINE__, "n=%ld: %s: %s", n,
                           llmio_status_name(st),
                           r != NULL ? r->error_msg : "");
            }
            if (r != NULL && st != LLMIO_OK) {
                llmio_error err;
                ASSERT_EQ(llmio_request_error(r, &err), LLMIO_E_NOMEM);
                ASSERT_CONTAINS(err.message, "out of memory");
            }
        } else {
            ASSERT_OK(st);
        }
        llmio_request_free(r);
        ASSERT_EQ(fa.live, 0);
        if (!fa.failed) {
            break;
        }
        ASSERT_CMP(n, <, 2000);
    }
}
