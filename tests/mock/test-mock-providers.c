/*
 * test-mock-providers.c - llmio-mock: Anthropic, Gemini and Ollama
 * endpoints (success, streaming, tools, validation and auth errors).
 */
#include "support/http.h"
#include "test.h"

#define ANT "x-api-key: sk-ant-test\r\nanthropic-version: 2023-06-01\r\n"
#define GEM "x-goog-api-key: gem-test\r\n"

static void post1(struct test_mock *m, const char *path, const char *hdrs,
                  const char *body, struct test_http_resp *r)
{
    struct test_http h;
    test_http_open(&h, m->port);
    ASSERT(test_http_post(&h, path, hdrs, body));
    ASSERT(test_http_read(&h, r, 3000));
    test_http_close(&h);
}

/* Checks that the SSE event names in BODY appear in the order given. */
static void assert_event_order(const char *body, const char *const *names,
                               size_t n)
{
    const char *p = body;
    for (size_t i = 0; i < n; i++) {
        char want[96];
        snprintf(want, sizeof want, "event: %s\ndata: {\"type\":\"%s\"",
                 names[i], names[i]);
        const char *q = strstr(p, want);
        if (q == NULL) {
            test_fail_(__FILE__, __LINE__, "event %zu (%s) missing after:\n%s",
                       i, names[i], p);
        }
        p = q + 1;
    }
}

TEST(mock_anthropic_messages_basic)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http_resp r;
    post1(&m, "/v1/messages", ANT,
          "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,\"system\":"
          "\"Be terse.\",\"messages\":[{\"role\":\"user\",\"content\":[{"
          "\"type\":\"text\",\"text\":\"hello claude\"}]}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    char *rid = test_http_header(&r, "request-id");
    ASSERT_NOT_NULL(rid);
    free(rid);
    ASSERT_CONTAINS(r.body, "\"type\":\"message\",\"role\":\"assistant\"");
    ASSERT_CONTAINS(r.body, "\"content\":[{\"type\":\"text\",\"text\":"
                            "\"hello claude\"}]");
    ASSERT_CONTAINS(r.body, "\"stop_reason\":\"end_turn\"");
    ASSERT_CONTAINS(r.body, "\"input_tokens\":4,");
    ASSERT_CONTAINS(r.body, "\"output_tokens\":2,");
    test_http_resp_free(&r);
    /* max_tokens caps the reply. */
    post1(&m, "/v1/messages", ANT,
          "{\"model\":\"c\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\","
          "\"content\":\"one two\"}]}",
          &r);
    ASSERT_CONTAINS(r.body, "\"text\":\"one\"");
    ASSERT_CONTAINS(r.body, "\"stop_reason\":\"max_tokens\"");
    test_http_resp_free(&r);
    test_mock_stop(&m);
}

TEST(mock_anthropic_stream_with_tools)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http_resp r;
    post1(&m, "/v1/messages",
          ANT "X-Mock-Scenario: text=Checking now.;tool=lookup:{\"city\":"
              "\"Lisbon\"};tool=lookup:{\"city\":\"Porto\"}\r\n",
          "{\"model\":\"c\",\"max_tokens\":100,\"stream\":true,\"messages\":"
          "[{\"role\":\"user\",\"content\":\"weather?\"}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    static const char *const order[] = {
        "message_start",       "content_block_start", "ping",
        "content_block_delta", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_stop",
        "message_delta",       "message_stop"};
    assert_event_order(r.body, order, sizeof order / sizeof *order);
    ASSERT_CONTAINS(r.body, "\"delta\":{\"type\":\"text_delta\",\"text\":"
                            "\" now.\"}");
    ASSERT_CONTAINS(r.body, "\"index\":1,\"content_block\":{\"type\":"
                            "\"tool_use\",\"id\":\"toolu_");
    ASSERT_CONTAINS(r.body, "\"index\":2,\"content_block\":{\"type\":"
                            "\"tool_use\"");
    ASSERT_CONTAINS(r.body, "\"partial_json\":\"\"");
    ASSERT_CONTAINS(r.body, "\"stop_reason\":\"tool_use\"");
    ASSERT_CONTAINS(r.body, "\"stop_reason\":null");
    /* The concatenated partial_json of block 1 is the arguments. */
    char args[256] = "";
    for (const char *p = strstr(r.body, "\"index\":1,\"delta\":{\"type\":"
                                        "\"input_json_delta\","
                                        "\"partial_json\":\"");
         p; p = strstr(p + 1, "\"index\":1,\"delta\":{\"type\":"
                              "\"input_json_delta\",\"partial_json\":\"")) {
        const char *s = strstr(p, "\"partial_json\":\"") + 16;
        /* Unescape \" only; the fixture has no other escapes. */
        size_t k = strlen(args);
        for (; *s && !(s[0] == '"' && s[1] == '}'); s++) {
            if (s[0] == '\\' && s[1] == '"') {
                s++;
            }
            args[k++] = *s;
        }
        args[k] = '\0';
    }
    ASSERT_STR_EQ(args, "{\"city\":\"Lisbon\"}");
    test_http_resp_free(&r);

    /* tool_result present: normal answer echoing the result. */
    post1(&m, "/v1/messages",
          ANT "X-Mock-Scenario: tool=lookup:{\"city\":\"Lisbon\"}\r\n",
          "{\"model\":\"c\",\"max_tokens\":100,\"messages\":[{\"role\":"
          "\"user\",\"content\":\"weather?\"},{\"role\":\"assistant\","
          "\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":"
          "\"lookup\",\"input\":{}}]},{\"role\":\"user\",\"content\":[{"
          "\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":"
          "\"21C clear\"}]}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"text\":\"21C clear\"");
    ASSERT_CONTAINS(r.body, "\"stop_reason\":\"end_turn\"");
    test_http_resp_free(&r);
    test_mock_stop(&m);
}

TEST(mock_anthropic_errors)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    const char *ok = "{\"model\":\"c\",\"max_tokens\":5,\"messages\":[{"
                     "\"role\":\"user\",\"content\":\"x\"}]}";
    struct test_http_resp r;
    post1(&m, "/v1/messages", "anthropic-version: 2023-06-01\r\n", ok, &r);
    ASSERT_EQ(r.status, 401);
    ASSERT_CONTAINS(r.body, "{\"type\":\"error\",\"error\":{\"type\":"
                            "\"authentication_error\"");
    ASSERT_CONTAINS(r.body, "\"request_id\":\"req_");
    test_http_resp_free(&r);
    post1(&m, "/v1/messages", "x-api-key: k\r\n", ok, &r);
    ASSERT_EQ(r.status, 400);
    ASSERT_CONTAINS(r.body, "anthropic-version");
    test_http_resp_free(&r);
    static const struct {
        const char *body;
        const char *msg;
    } cases[] = {
        {"{\"model\":\"c\",\"messages\":[{\"role\":\"user\",\"content\":"
         "\"x\"}]}",
         "max_tokens: Field required"},
        {"{\"max_tokens\":5,\"messages\":[]}", "model: Field required"},
        {"{\"model\":\"c\",\"max_tokens\":5,\"messages\":[{\"role\":"
         "\"system\",\"content\":\"x\"}]}",
         "messages.0.role: Input should be 'user' or 'assistant'"},
        {"{\"model\":\"c\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
         "\"content\":[{\"type\":\"video\"}]}]}",
         "messages.0.content.0: Input tag 'video'"},
        {"{\"model\":\"c\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
         "\"content\":[{\"type\":\"text\"}]}]}",
         "messages.0.content.0.text: Field required"},
        {"{\"model\":\"c\",", "formatting or parsing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        post1(&m, "/v1/messages", ANT, cases[i].body, &r);
        ASSERT_EQ(r.status, 400);
        ASSERT_CONTAINS(r.body, "\"type\":\"invalid_request_error\"");
        ASSERT_CONTAINS(r.body, cases[i].msg);
        test_http_resp_free(&r);
    }
    /* 529 overloaded with Anthropic's headers. */
    post1(&m, "/v1/messages",
          ANT "X-Mock-Scenario: status=529;should-retry=true;"
              "ratelimit=50,0,2\r\n",
          ok, &r);
    ASSERT_EQ(r.status, 529);
    ASSERT_CONTAINS(r.body, "\"type\":\"overloaded_error\"");
    char *v = test_http_header(&r, "x-should-retry");
    ASSERT_STR_EQ(v, "true");
    free(v);
    v = test_http_header(&r, "anthropic-ratelimit-requests-remaining");
    ASSERT_STR_EQ(v, "0");
    free(v);
    v = test_http_header(&r, "anthropic-ratelimit-requests-reset");
    ASSERT_NOT_NULL(v);
    ASSERT_EQ(strlen(v), 20); /* 2026-01-01T00:00:00Z */
    ASSERT_EQ(v[19], 'Z');
    free(v);
    test_http_resp_free(&r);
    /* In-band error event mid-stream. */
    post1(&m, "/v1/messages", ANT "X-Mock-Scenario: error-after-events=1\r\n",
          "{\"model\":\"c\",\"max_tokens\":5,\"stream\":true,\"messages\":[{"
          "\"role\":\"user\",\"content\":\"a b c\"}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "event: error\ndata: {\"type\":\"error\","
                            "\"error\":{\"type\":\"overloaded_error\"");
    ASSERT(strstr(r.body, "message_stop") == NULL);
    test_http_resp_free(&r);
    test_mock_stop(&m);
}

TEST(mock_gemini_generate_and_stream)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    const char *body = "{\"systemInstruction\":{\"parts\":[{\"text\":\"Be "
                       "brief\"}]},\"contents\":[{\"role\":\"user\",\"parts\":"
                       "[{\"text\":\"hello gemini\"}]}],\"generationConfig\":"
                       "{\"maxOutputTokens\":50}}";
    struct test_http_resp r;
    post1(&m, "/v1beta/models/gemini-2.5-flash:generateContent", GEM, body, &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"content\":{\"parts\":[{\"text\":\"hello "
                            "gemini\"}],\"role\":\"model\"}");
    ASSERT_CONTAINS(r.body, "\"finishReason\":\"STOP\"");
    ASSERT_CONTAINS(r.body, "\"promptTokenCount\":4,\"candidatesTokenCount\":"
                            "2,\"totalTokenCount\":6");
    ASSERT_CONTAINS(r.body, "\"modelVersion\":\"gemini-2.5-flash\"");
    test_http_resp_free(&r);
    /* SSE with CRLF framing; key in the query. */
    post1(&m,
          "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&"
          "key=gem-test",
          NULL, body, &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(test_count(r.body, "data: {"), 3);
    ASSERT_EQ(test_count(r.body, "}\r\n\r\n"), 3);
    ASSERT_EQ(test_count(r.body, "\n\n"), 0);
    ASSERT_CONTAINS(r.body, "{\"text\":\" gemini\"}");
    ASSERT_CONTAINS(r.body, "\"finishReason\":\"STOP\"");
    ASSERT(strstr(r.body, "[DONE]") == NULL);
    test_http_resp_free(&r);
    /* Without alt=sse the stream is one JSON array, sent incrementally. */
    post1(&m, "/v1beta/models/gemini-2.5-flash:streamGenerateContent", GEM,
          body, &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.body[0], '[');
    ASSERT_EQ(r.body[r.body_len - 1], ']');
    ASSERT_EQ(test_count(r.body, "\r\n,{\"candidates\""), 0);
    ASSERT_EQ(test_count(r.body, ",\r\n{\"candidates\""), 2);
    ASSERT_CMP(r.nchunks, >=, 3);
    test_http_resp_free(&r);
    /* Function calls arrive whole; MAX_TOKENS when capped. */
    post1(&m, "/v1beta/models/g:generateContent",
          GEM "X-Mock-Scenario: tool=get_weather:{\"city\":\"Lisbon\"};"
              "tool=get_time:{}\r\n",
          body, &r);
    /* The first call of the turn is signed (thinking models). */
    ASSERT_CONTAINS(r.body, "{\"functionCall\":{\"name\":\"get_weather\","
                            "\"args\":{\"city\":\"Lisbon\"}},"
                            "\"thoughtSignature\":\"bW9jay10aG91Z2h0LXNp"
                            "Z25hdHVyZQ==\"},{"
                            "\"functionCall\":{\"name\":\"get_time\","
                            "\"args\":{}}}");
    test_http_resp_free(&r);
    /* Gemini 3 rejects a history whose call lost its signature. */
    const char *unsigned_history =
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"w?\"}]},"
        "{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":"
        "\"get_weather\",\"args\":{}}}]},{\"role\":\"user\",\"parts\":[{"
        "\"functionResponse\":{\"name\":\"get_weather\",\"response\":{"
        "\"temp\":21}}}]}]}";
    post1(&m, "/v1beta/models/gemini-3-pro-preview:generateContent", GEM,
          unsigned_history, &r);
    ASSERT_EQ(r.status, 400);
    ASSERT_CONTAINS(r.body, "thought_signature");
    test_http_resp_free(&r);
    post1(&m, "/v1beta/models/gemini-3-pro-preview:generateContent", GEM,
          "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"w?\"}]},"
          "{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":"
          "\"get_weather\",\"args\":{}},\"thoughtSignature\":\"c2ln\"}]},"
          "{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":"
          "\"get_weather\",\"response\":{\"temp\":21}}}]}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    test_http_resp_free(&r);
    post1(&m, "/v1beta/models/g:generateContent", GEM,
          "{\"contents\":[{\"parts\":[{\"text\":\"a b c\"}]}],"
          "\"generation_config\":{\"max_output_tokens\":2}}",
          &r);
    ASSERT_CONTAINS(r.body, "\"text\":\"a b\"");
    ASSERT_CONTAINS(r.body, "\"finishReason\":\"MAX_TOKENS\"");
    test_http_resp_free(&r);
    /* functionResponse present: answer with its JSON. */
    post1(&m, "/v1beta/models/g:generateContent",
          GEM "X-Mock-Scenario: tool=get_weather\r\n",
          "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"w?\"}]},"
          "{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":"
          "\"get_weather\",\"args\":{}}}]},{\"role\":\"user\",\"parts\":[{"
          "\"functionResponse\":{\"name\":\"get_weather\",\"response\":{"
          "\"temp\":21}}}]}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"text\":\"{\\\"temp\\\":21}\"");
    test_http_resp_free(&r);
    /* Embeddings. */
    post1(&m, "/v1beta/models/gemini-embedding-001:embedContent", GEM,
          "{\"content\":{\"parts\":[{\"text\":\"x\"}]},"
          "\"outputDimensionality\":3}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "{\"embedding\":{\"values\":[");
    test_http_resp_free(&r);
    post1(&m, "/v1beta/models/gemini-embedding-001:batchEmbedContents", GEM,
          "{\"requests\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]}},"
          "{\"content\":{\"parts\":[{\"text\":\"y\"}]}}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(test_count(r.body, "{\"values\":["), 2);
    test_http_resp_free(&r);
    /* More than 100 requests in one batch: the real API's 400. */
    char big[8192];
    size_t n = (size_t)snprintf(big, sizeof big, "{\"requests\":[");
    for (int i = 0; i < 101; i++) {
        n += (size_t)snprintf(big + n, sizeof big - n,
                              "%s{\"content\":{\"parts\":[{\"text\":\"x\"}]}}",
                              i ? "," : "");
    }
    ASSERT_CMP(n + 3, <, sizeof big);
    snprintf(big + n, sizeof big - n, "]}");
    post1(&m, "/v1beta/models/gemini-embedding-001:batchEmbedContents", GEM,
          big, &r);
    ASSERT_EQ(r.status, 400);
    ASSERT_CONTAINS(r.body, "at most 100 requests can be in one batch");
    test_http_resp_free(&r);
    test_mock_stop(&m);
}

TEST(mock_gemini_errors)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    const char *ok = "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}]}";
    struct test_http_resp r;
    post1(&m, "/v1beta/models/g:generateContent", NULL, ok, &r);
    ASSERT_EQ(r.status, 403);
    ASSERT_CONTAINS(r.body, "\"status\":\"PERMISSION_DENIED\"");
    test_http_resp_free(&r);
    post1(&m, "/v1beta/models/g:generateContent", "x-goog-api-key: bad\r\n", ok,
          &r);
    ASSERT_EQ(r.status, 400);
    ASSERT_CONTAINS(r.body, "\"reason\":\"API_KEY_INVALID\"");
    test_http_resp_free(&r);
    static const struct {
        const char *body;
        const char *msg;
    } cases[] = {
        {"{}", "contents is not specified"},
        {"{\"contents\":[{\"role\":\"bot\",\"parts\":[{\"text\":\"x\"}]}]}",
         "Please use a valid role: user, model."},
        {"{\"contents\":[{\"parts\":[{}]}]}",
         "contents[0].parts[0].data: required oneof field 'data'"},
        {"{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"foo\":1}",
         "Unknown name \\\"foo\\\""},
        {"{\"contents\":[{\"parts\":[{\"functionResponse\":{\"name\":\"f\","
         "\"response\":\"21C\"}}]}]}",
         "function_response.response"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        post1(&m, "/v1beta/models/g:generateContent", GEM, cases[i].body, &r);
        ASSERT_EQ(r.status, 400);
        ASSERT_CONTAINS(r.body, "\"code\":400");
        ASSERT_CONTAINS(r.body, "\"status\":\"INVALID_ARGUMENT\"");
        ASSERT_CONTAINS(r.body, cases[i].msg);
        test_http_resp_free(&r);
    }
    post1(&m, "/v1beta/models/g:generateContent",
          GEM "X-Mock-Scenario: status=429;retry-after=27\r\n", ok, &r);
    ASSERT_EQ(r.status, 429);
    ASSERT_CONTAINS(r.body, "\"status\":\"RESOURCE_EXHAUSTED\"");
    ASSERT_CONTAINS(r.body, "\"retryDelay\":\"27s\"");
    test_http_resp_free(&r);
    post1(&m, "/v1beta/models/g:unknownVerb", GEM, ok, &r);
    ASSERT_EQ(r.status, 404);
    ASSERT_CONTAINS(r.body, "\"status\":\"NOT_FOUND\"");
    test_http_resp_free(&r);
    test_mock_stop(&m);
}

TEST(mock_ollama_chat_and_embed)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http_resp r;
    /* Streams by default: NDJSON, one object per line. */
    post1(&m, "/api/chat", NULL,
          "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\","
          "\"content\":\"hi there you\"}],\"options\":{\"num_predict\":2}}",
          &r);
    ASSERT_EQ(r.status, 200);
    char *ct = test_http_header(&r, "content-type");
    ASSERT_STR_EQ(ct, "application/x-ndjson");
    free(ct);
    ASSERT_EQ(test_count(r.body, "\n"), 3);
    ASSERT_EQ(test_count(r.body, "\"done\":false}\n"), 2);
    ASSERT_CONTAINS(r.body, "\"content\":\" there\"");
    ASSERT_CONTAINS(r.body, "\"done_reason\":\"length\",\"done\":true");
    ASSERT_CONTAINS(r.body, "\"prompt_eval_count\":3");
    ASSERT_CONTAINS(r.body, "\"eval_count\":2");
    test_http_resp_free(&r);
    /* stream:false gives one object; tool calls carry object arguments. */
    post1(&m, "/api/chat",
          "X-Mock-Scenario: tool=get_weather:{\"city\":"
          "\"Tokyo\"}\r\n",
          "{\"model\":\"llama3.2\",\"stream\":false,\"messages\":[{\"role\":"
          "\"user\",\"content\":\"w?\"}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"tool_calls\":[{\"id\":\"call_");
    ASSERT_CONTAINS(r.body, "\"name\":\"get_weather\",\"arguments\":{\"city\":"
                            "\"Tokyo\"}");
    ASSERT_CONTAINS(r.body, "\"done\":true");
    ASSERT_EQ(test_count(r.body, "\n"), 0);
    test_http_resp_free(&r);
    post1(&m, "/api/chat", NULL, "{\"messages\":[]}", &r);
    ASSERT_EQ(r.status, 400);
    ASSERT_STR_EQ(r.body, "{\"error\":\"model is required\"}");
    test_http_resp_free(&r);
    post1(&m, "/api/chat", NULL,
          "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":7}]}",
          &r);
    ASSERT_EQ(r.status, 400);
    ASSERT_CONTAINS(r.body, "Message.messages.content of type string");
    test_http_resp_free(&r);
    /* In-band error line mid-stream. */
    post1(&m, "/api/chat", "X-Mock-Scenario: error-after-events=1\r\n",
          "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":"
          "\"a b c\"}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "{\"error\":\"an error was encountered while "
                            "running the model\"}\n");
    ASSERT(strstr(r.body, "\"done\":true") == NULL);
    test_http_resp_free(&r);
    post1(&m, "/api/embed", NULL,
          "{\"model\":\"nomic\",\"input\":[\"a\",\"b c\"],\"dimensions\":2}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"embeddings\":[[");
    ASSERT_CONTAINS(r.body, "\"prompt_eval_count\":3");
    test_http_resp_free(&r);
    struct test_http h;
    test_http_open(&h, m.port);
    test_http_get(&h, "/api/nothing", NULL);
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 404);
    ASSERT_STR_EQ(r.body, "404 page not found");
    test_http_resp_free(&r);
    test_http_get(&h, "/api/tags", NULL);
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"models\":[");
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_curl_client)
{
    /* A real client (curl) against the mock: streaming with
     * --no-buffer, keep-alive reuse across two URLs. */
    struct test_mock m;
    test_mock_start(&m, NULL);
    char url[128], url2[128];
    snprintf(url, sizeof url, "%s/v1/chat/completions", m.url);
    snprintf(url2, sizeof url2, "%s/v1/models", m.url);
    const char *argv[] = {"/usr/bin/curl",
                          "-sS",
                          "-N",
                          "-H",
                          "Authorization: Bearer sk-x",
                          "-H",
                          "Content-Type: application/json",
                          "-d",
                          "{\"model\":\"m\",\"stream\":true,\"messages\":[{"
                          "\"role\":\"user\",\"content\":\"via curl\"}]}",
                          url,
                          "--next",
                          "-H",
                          "Authorization: Bearer sk-x",
                          url2,
                          NULL};
    char *out = NULL, *err = NULL;
    int rc = test_run_cmd(argv, NULL, &out, &err);
    ASSERT_EQ(rc, 0);
    ASSERT_CONTAINS(out, "\"content\":\" curl\"");
    ASSERT_CONTAINS(out, "data: [DONE]");
    ASSERT_CONTAINS(out, "\"object\":\"list\"");
    free(out);
    free(err);
    /* Both requests used one connection. */
    struct test_http h;
    test_http_open(&h, m.port);
    test_http_get(&h, "/mock/stats", NULL);
    struct test_http_resp r;
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_CONTAINS(r.body, "\"accepted\":2");
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_stop_sequences)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http_resp r;
    post1(&m, "/v1/chat/completions", "Authorization: Bearer k\r\n",
          "{\"model\":\"m\",\"stop\":[\"###\",\"zz\"],\"messages\":[{\"role\":"
          "\"user\",\"content\":\"one two###three\"}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"content\":\"one two\"");
    ASSERT_CONTAINS(r.body, "\"finish_reason\":\"stop\"");
    ASSERT_CONTAINS(r.body, "\"completion_tokens\":2");
    test_http_resp_free(&r);
    post1(&m, "/v1/messages", ANT,
          "{\"model\":\"c\",\"max_tokens\":50,\"stop_sequences\":[\"END\"],"
          "\"messages\":[{\"role\":\"user\",\"content\":\"a b END c\"}]}",
          &r);
    ASSERT_CONTAINS(r.body, "\"text\":\"a b \"");
    ASSERT_CONTAINS(r.body, "\"stop_reason\":\"stop_sequence\","
                            "\"stop_sequence\":\"END\"");
    test_http_resp_free(&r);
    post1(&m, "/v1/messages", ANT,
          "{\"model\":\"c\",\"max_tokens\":50,\"stream\":true,"
          "\"stop_sequences\":[\"END\"],\"messages\":[{\"role\":\"user\","
          "\"content\":\"a b END c\"}]}",
          &r);
    ASSERT_CONTAINS(r.body, "\"stop_reason\":\"stop_sequence\","
                            "\"stop_sequence\":\"END\"");
    test_http_resp_free(&r);
    post1(&m, "/v1beta/models/g:generateContent", GEM,
          "{\"contents\":[{\"parts\":[{\"text\":\"x y. z\"}]}],"
          "\"generationConfig\":{\"stopSequences\":[\".\"]}}",
          &r);
    ASSERT_CONTAINS(r.body, "\"text\":\"x y\"");
    ASSERT_CONTAINS(r.body, "\"finishReason\":\"STOP\"");
    test_http_resp_free(&r);
    post1(&m, "/api/chat", NULL,
          "{\"model\":\"l\",\"stream\":false,\"options\":{\"stop\":[\"!\"]},"
          "\"messages\":[{\"role\":\"user\",\"content\":\"hey! you\"}]}",
          &r);
    ASSERT_CONTAINS(r.body, "\"content\":\"hey\"");
    ASSERT_CONTAINS(r.body, "\"done_reason\":\"stop\"");
    test_http_resp_free(&r);
    test_mock_stop(&m);
}

TEST(mock_count_tokens_and_model_get)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http_resp r;
    post1(&m, "/v1/messages/count_tokens", ANT,
          "{\"model\":\"c\",\"system\":\"be nice\",\"messages\":[{\"role\":"
          "\"user\",\"content\":\"one two three\"}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_STR_EQ(r.body, "{\"input_tokens\":5}");
    test_http_resp_free(&r);
    post1(&m, "/v1beta/models/g:countTokens", GEM,
          "{\"contents\":[{\"parts\":[{\"text\":\"a b c d\"}]}]}", &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "{\"totalTokens\":4,");
    test_http_resp_free(&r);
    struct test_http h;
    test_http_open(&h, m.port);
    test_http_get(&h, "/v1/models/gpt-4o-mini", "Authorization: Bearer k\r\n");
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "{\"id\":\"gpt-4o-mini\",\"object\":\"model\"");
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}
