/*
 * test-mock-openai.c - llmio-mock: OpenAI endpoints, validation, log, stats.
 */
#include "support/http.h"
#include "test.h"

#define AUTH "Authorization: Bearer sk-test\r\n"

static const char *chat_body =
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\","
    "\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hello "
    "mock world\"}]}";

/* Sends one POST on a fresh connection and reads the answer. */
static void post1(struct test_mock *m, const char *path, const char *hdrs,
                  const char *body, struct test_http_resp *r)
{
    struct test_http h;
    test_http_open(&h, m->port);
    ASSERT(test_http_post(&h, path, hdrs, body));
    ASSERT(test_http_read(&h, r, 3000));
    test_http_close(&h);
}

TEST(mock_openai_chat_basic)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http_resp r;
    post1(&m, "/v1/chat/completions", AUTH, chat_body, &r);
    ASSERT_EQ(r.status, 200);
    char *ct = test_http_header(&r, "content-type");
    ASSERT_STR_EQ(ct, "application/json");
    free(ct);
    char *rid = test_http_header(&r, "x-request-id");
    ASSERT_NOT_NULL(rid);
    free(rid);
    ASSERT_CONTAINS(r.body, "\"object\":\"chat.completion\"");
    ASSERT_CONTAINS(r.body, "\"model\":\"gpt-4o-mini\"");
    /* Echo rule: the reply is the last user message. */
    ASSERT_CONTAINS(r.body, "\"content\":\"Hello mock world\"");
    ASSERT_CONTAINS(r.body, "\"finish_reason\":\"stop\"");
    /* Tokens are words: prompt 2 + 3, completion 3. */
    ASSERT_CONTAINS(r.body, "\"prompt_tokens\":5,\"completion_tokens\":3,"
                            "\"total_tokens\":8");
    test_http_resp_free(&r);
    test_mock_stop(&m);
}

TEST(mock_openai_chat_stream)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http_resp r;
    post1(&m, "/v1/chat/completions", AUTH,
          "{\"model\":\"m\",\"stream\":true,\"stream_options\":"
          "{\"include_usage\":true},\"messages\":[{\"role\":\"user\","
          "\"content\":\"one two three\"}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT(r.chunked);
    char *ct = test_http_header(&r, "content-type");
    ASSERT_CONTAINS(ct, "text/event-stream");
    free(ct);
    /* role, 3 content, finish, usage, [DONE] */
    ASSERT_EQ(test_count(r.body, "data: "), 7);
    ASSERT_EQ(r.nchunks, 7);
    const char *role = strstr(r.body, "\"role\":\"assistant\"");
    const char *c1 = strstr(r.body, "\"content\":\"one\"");
    const char *c2 = strstr(r.body, "\"content\":\" two\"");
    const char *c3 = strstr(r.body, "\"content\":\" three\"");
    const char *fin = strstr(r.body, "\"delta\":{},\"logprobs\":null,"
                                     "\"finish_reason\":\"stop\"");
    const char *usage = strstr(r.body, "\"choices\":[],\"usage\":{"
                                       "\"prompt_tokens\":3,"
                                       "\"completion_tokens\":3");
    const char *done = strstr(r.body, "data: [DONE]\n\n");
    ASSERT(role && c1 && c2 && c3 && fin && usage && done);
    ASSERT(role < c1 && c1 < c2 && c2 < c3 && c3 < fin && fin < usage &&
           usage < done);
    /* Every chunk but the last usage chunk carries "usage":null. */
    ASSERT_EQ(test_count(r.body, "\"usage\":null"), 5);
    test_http_resp_free(&r);
    test_mock_stop(&m);
}

TEST(mock_openai_stream_without_usage)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http_resp r;
    post1(&m, "/v1/chat/completions", AUTH,
          "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\","
          "\"content\":\"hi\"}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(test_count(r.body, "\"usage\""), 0);
    ASSERT_EQ(test_count(r.body, "data: "), 4);
    test_http_resp_free(&r);
    test_mock_stop(&m);
}

TEST(mock_openai_tool_calls_then_answer)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    const char *scn = "X-Mock-Scenario: tool=lookup_weather:{\"city\":"
                      "\"Lisbon\"};tool=lookup_weather:{\"city\":\"Porto\"}"
                      "\r\n" AUTH;
    struct test_http_resp r;
    post1(&m, "/v1/chat/completions", scn,
          "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
          "\"weather?\"}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"finish_reason\":\"tool_calls\"");
    ASSERT_CONTAINS(r.body, "\"content\":null");
    ASSERT_CONTAINS(r.body, "\"name\":\"lookup_weather\",\"arguments\":"
                            "\"{\\\"city\\\":\\\"Lisbon\\\"}\"");
    ASSERT_CONTAINS(r.body, "{\\\"city\\\":\\\"Porto\\\"}");
    test_http_resp_free(&r);

    /* Streamed: fragments keyed by index, first one carries id and name. */
    post1(&m, "/v1/chat/completions", scn,
          "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\","
          "\"content\":\"weather?\"}]}",
          &r);
    ASSERT_CONTAINS(r.body, "\"tool_calls\":[{\"index\":0,\"id\":\"call_");
    ASSERT_CONTAINS(r.body, "\"tool_calls\":[{\"index\":1,\"id\":\"call_");
    ASSERT_CONTAINS(r.body, "{\"index\":0,\"function\":{\"arguments\":");
    ASSERT_CONTAINS(r.body, "\"finish_reason\":\"tool_calls\"");
    test_http_resp_free(&r);

    /* With the tool result present the same scenario answers normally. */
    post1(&m, "/v1/chat/completions", scn,
          "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
          "\"weather?\"},{\"role\":\"assistant\",\"content\":null,"
          "\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
          "\"function\":{\"name\":\"lookup_weather\",\"arguments\":\"{}\"}}]},"
          "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":"
          "\"21C sunny\"}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"content\":\"21C sunny\"");
    ASSERT_CONTAINS(r.body, "\"finish_reason\":\"stop\"");
    test_http_resp_free(&r);
    test_mock_stop(&m);
}

TEST(mock_openai_max_tokens_and_n)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http_resp r;
    post1(&m, "/v1/chat/completions", AUTH,
          "{\"model\":\"m\",\"n\":2,\"max_completion_tokens\":2,\"messages\":"
          "[{\"role\":\"user\",\"content\":\"a b c d\"}]}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(test_count(r.body, "\"content\":\"a b\""), 2);
    ASSERT_EQ(test_count(r.body, "\"finish_reason\":\"length\""), 2);
    ASSERT_CONTAINS(r.body, "\"index\":1,");
    ASSERT_CONTAINS(r.body, "\"completion_tokens\":4,");
    test_http_resp_free(&r);
    test_mock_stop(&m);
}

TEST(mock_openai_lorem_and_utf8)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http_resp r;
    post1(&m, "/v1/chat/completions",
          "X-Mock-Scenario: lorem=5;seed=1\r\n" AUTH,
          "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
          "\"x\"}]}",
          &r);
    ASSERT_CONTAINS(r.body, "\"content\":\"ipsum dolor sit amet, "
                            "consectetur\"");
    ASSERT_CONTAINS(r.body, "\"completion_tokens\":5");
    test_http_resp_free(&r);
    post1(&m, "/v1/chat/completions",
          "X-Mock-Scenario: text=caf%C3%A9 €\r\n" AUTH,
          "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
          "\"x\"}]}",
          &r);
    ASSERT_CONTAINS(r.body, "\"content\":\"caf\xC3\xA9 \xE2\x82\xAC\"");
    test_http_resp_free(&r);
    test_mock_stop(&m);
}

TEST(mock_openai_auth_errors)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http_resp r;
    post1(&m, "/v1/chat/completions", NULL, chat_body, &r);
    ASSERT_EQ(r.status, 401);
    ASSERT_CONTAINS(r.body, "\"type\":\"invalid_request_error\"");
    test_http_resp_free(&r);
    post1(&m, "/v1/chat/completions", "Authorization: Bearer bad-key\r\n",
          chat_body, &r);
    ASSERT_EQ(r.status, 401);
    ASSERT_CONTAINS(r.body, "\"code\":\"invalid_api_key\"");
    ASSERT(strstr(r.body, "bad-key") == NULL);
    test_http_resp_free(&r);
    test_mock_stop(&m);

    /* --api-key makes only that key valid. */
    const char *args[] = {"--api-key", "sk-only", NULL};
    test_mock_start(&m, args);
    post1(&m, "/v1/chat/completions", AUTH, chat_body, &r);
    ASSERT_EQ(r.status, 401);
    test_http_resp_free(&r);
    post1(&m, "/v1/chat/completions", "Authorization: Bearer sk-only\r\n",
          chat_body, &r);
    ASSERT_EQ(r.status, 200);
    test_http_resp_free(&r);
    test_mock_stop(&m);
}

TEST(mock_openai_validation_errors)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    static const struct {
        const char *body;
        const char *param;
    } cases[] = {
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "model"},
        {"{\"model\":\"m\"}", "\"param\":\"messages\""},
        {"{\"model\":\"m\",\"messages\":[]}", "\"code\":\"empty_array\""},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"bot\",\"content\":\"x\"}"
         "]}",
         "\"param\":\"messages[0].role\""},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
         "\"x\"},{\"role\":\"user\",\"content\":5}]}",
         "\"param\":\"messages[1].content\""},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{"
         "\"type\":\"video\"}]}]}",
         "\"param\":\"messages[0].content[0].type\""},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"content\":"
         "\"x\"}]}",
         "\"param\":\"messages[0].tool_call_id\""},
        {"{\"model\":\"m\",\"temperature\":3,\"messages\":[{\"role\":\"user\","
         "\"content\":\"x\"}]}",
         "\"param\":\"temperature\""},
        {"{\"model\":\"m\",\"stream_options\":{\"include_usage\":true},"
         "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
         "\"param\":\"stream_options\""},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\"", "parse the JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct test_http_resp r;
        post1(&m, "/v1/chat/completions", AUTH, cases[i].body, &r);
        ASSERT_EQ(r.status, 400);
        ASSERT_CONTAINS(r.body, "\"type\":\"invalid_request_error\"");
        ASSERT_CONTAINS(r.body, cases[i].param);
        test_http_resp_free(&r);
    }
    test_mock_stop(&m);
}

TEST(mock_http_404_405)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http h;
    test_http_open(&h, m.port);
    struct test_http_resp r;
    test_http_get(&h, "/v1/nothing", AUTH);
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 404);
    ASSERT_CONTAINS(r.body, "Invalid URL (GET /v1/nothing)");
    test_http_resp_free(&r);
    test_http_get(&h, "/v1/chat/completions", AUTH);
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 405);
    char *allow = test_http_header(&r, "allow");
    ASSERT_STR_EQ(allow, "POST");
    free(allow);
    test_http_resp_free(&r);
    test_http_get(&h, "/v1/models", AUTH);
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"object\":\"list\"");
    ASSERT_CONTAINS(r.body, "\"object\":\"model\"");
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_openai_embeddings)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http_resp r;
    post1(&m, "/v1/embeddings", AUTH,
          "{\"model\":\"text-embedding-3-small\",\"input\":[\"a b\",\"c\"],"
          "\"dimensions\":4}",
          &r);
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"object\":\"list\"");
    ASSERT_CONTAINS(r.body, "\"index\":1");
    ASSERT_CONTAINS(r.body, "\"prompt_tokens\":3");
    /* 4 dimensions: 3 commas inside each vector. */
    const char *v = strstr(r.body, "\"embedding\":[");
    ASSERT_NOT_NULL(v);
    const char *e = strchr(v, ']');
    int commas = 0;
    for (const char *p = v; p < e; p++) {
        commas += *p == ',';
    }
    ASSERT_EQ(commas, 3);
    test_http_resp_free(&r);
    post1(&m, "/v1/embeddings", AUTH,
          "{\"model\":\"e\",\"input\":\"x\",\"dimensions\":2,"
          "\"encoding_format\":\"base64\"}",
          &r);
    ASSERT_EQ(r.status, 200);
    /* 2 float32 = 8 bytes = 12 base64 characters. */
    const char *s = strstr(r.body, "\"embedding\":\"");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(strchr(s + 13, '"') - (s + 13), 12);
    test_http_resp_free(&r);
    post1(&m, "/v1/embeddings", AUTH, "{\"model\":\"e\",\"input\":\"\"}", &r);
    ASSERT_EQ(r.status, 400);
    test_http_resp_free(&r);
    post1(&m, "/v1/embeddings", AUTH,
          "{\"model\":\"e\",\"input\":\"x\",\"bogus\":1}", &r);
    ASSERT_EQ(r.status, 400);
    ASSERT_CONTAINS(r.body, "bogus");
    test_http_resp_free(&r);
    test_mock_stop(&m);
}

TEST(mock_http_keepalive_pipelining)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http h;
    test_http_open(&h, m.port);
    /* Several requests one after the other on one connection. */
    for (int i = 0; i < 3; i++) {
        struct test_http_resp r;
        ASSERT(test_http_post(&h, "/v1/chat/completions", AUTH, chat_body));
        ASSERT(test_http_read(&h, &r, 2000));
        ASSERT_EQ(r.status, 200);
        test_http_resp_free(&r);
    }
    /* Three pipelined requests in one write, including a stream. */
    char one[1024], all[4096];
    const char *sb = "{\"model\":\"m\",\"stream\":true,\"messages\":[{"
                     "\"role\":\"user\",\"content\":\"p2\"}]}";
    all[0] = '\0';
    const char *bodies[3] = {"{\"model\":\"m\",\"messages\":[{\"role\":"
                             "\"user\",\"content\":\"p1\"}]}",
                             sb,
                             "{\"model\":\"m\",\"messages\":[{\"role\":"
                             "\"user\",\"content\":\"p3\"}]}"};
    for (int i = 0; i < 3; i++) {
        snprintf(one, sizeof one,
                 "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" AUTH
                 "Content-Length: %zu\r\n\r\n%s",
                 strlen(bodies[i]), bodies[i]);
        strcat(all, one);
    }
    ASSERT(test_http_write_str(&h, all));
    const char *want[3] = {"\"content\":\"p1\"", "\"content\":\"p2\"",
                           "\"content\":\"p3\""};
    for (int i = 0; i < 3; i++) {
        struct test_http_resp r;
        ASSERT(test_http_read(&h, &r, 2000));
        ASSERT_EQ(r.status, 200);
        ASSERT_CONTAINS(r.body, want[i]);
        test_http_resp_free(&r);
    }
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_http_chunked_request_and_limits)
{
    struct test_mock m;
    const char *args[] = {"--max-body", "1000", NULL};
    test_mock_start(&m, args);
    struct test_http h;
    test_http_open(&h, m.port);
    const char *body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                       "\"content\":\"chunky body\"}]}";
    char req[2048];
    size_t bl = strlen(body);
    /* Split the body into two chunks with an extension and a trailer. */
    snprintf(req, sizeof req,
             "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" AUTH
             "Transfer-Encoding: chunked\r\n\r\n%zx;ext=1\r\n%.*s\r\n%zx\r\n"
             "%s\r\n0\r\nX-Trailer: t\r\n\r\n",
             (size_t)10, 10, body, bl - 10, body + 10);
    /* Send it one byte at a time to exercise the incremental parser. */
    for (size_t i = 0; req[i]; i++) {
        ASSERT(test_http_write(&h, req + i, 1));
    }
    struct test_http_resp r;
    ASSERT(test_http_read(&h, &r, 3000));
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"content\":\"chunky body\"");
    test_http_resp_free(&r);
    /* A body over --max-body is refused with 413 before it is read. */
    ASSERT(test_http_write_str(&h, "POST /v1/chat/completions HTTP/1.1\r\n"
                                   "Host: x\r\nContent-Length: 5000\r\n\r\n"));
    ASSERT(test_http_read(&h, &r, 3000));
    ASSERT_EQ(r.status, 413);
    test_http_resp_free(&r);
    test_http_close(&h);
    /* The 413 survives a client that keeps uploading (lingering close:
     * no RST while unread input is pending). */
    test_http_open(&h, m.port);
    ASSERT(test_http_write_str(&h, "POST /v1/chat/completions HTTP/1.1\r\n"
                                   "Host: x\r\nContent-Length: 90000\r\n"
                                   "\r\n"));
    char junk[30000];
    memset(junk, 'j', sizeof junk);
    for (int i = 0; i < 3; i++) {
        test_http_write(&h, junk, sizeof junk);
    }
    ASSERT(test_http_read(&h, &r, 3000));
    ASSERT_EQ(r.status, 413);
    ASSERT(!h.reset);
    test_http_resp_free(&r);
    test_http_close(&h);
    /* Garbage is a 400 and a close, never a crash. */
    test_http_open(&h, m.port);
    ASSERT(test_http_write_str(&h, "BLAH\r\n\r\n"));
    ASSERT(test_http_read(&h, &r, 3000));
    ASSERT_EQ(r.status, 400);
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}

TEST(mock_log_masks_keys)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http_resp r;
    post1(&m, "/v1/chat/completions",
          "Authorization: Bearer sk-secret-123\r\nX-Mock-Scenario: "
          "lorem=2\r\n",
          chat_body, &r);
    ASSERT_EQ(r.status, 200);
    test_http_resp_free(&r);
    size_t len;
    char *log = test_mock_log(&m, &len);
    ASSERT_EQ(test_count(log, "\n"), 1);
    ASSERT_CONTAINS(log, "\"method\":\"POST\"");
    ASSERT_CONTAINS(log, "\"path\":\"/v1/chat/completions\"");
    ASSERT_CONTAINS(log, "\"authorization\":\"Bearer ***\"");
    ASSERT_CONTAINS(log, "\"body\":{\"model\":\"gpt-4o-mini\"");
    ASSERT_CONTAINS(log, "\"scenario\":\"lorem=2\"");
    ASSERT_CONTAINS(log, "\"status\":200");
    ASSERT_CONTAINS(log, "\"ts\":\"");
    ASSERT(strstr(log, "secret") == NULL);
    ASSERT(strstr(log, "123") == NULL);
    free(log);
    test_mock_stop(&m);
}

TEST(mock_stats_and_reset)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct test_http h;
    test_http_open(&h, m.port);
    struct test_http_resp r;
    for (int i = 0; i < 3; i++) {
        test_http_post(&h, "/v1/chat/completions", AUTH, chat_body);
        ASSERT(test_http_read(&h, &r, 2000));
        test_http_resp_free(&r);
    }
    test_http_post(&h, "/v1/chat/completions", NULL, chat_body);
    ASSERT(test_http_read(&h, &r, 2000));
    test_http_resp_free(&r);
    test_http_get(&h, "/mock/stats", NULL);
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_EQ(r.status, 200);
    ASSERT_CONTAINS(r.body, "\"requests\":4");
    ASSERT_CONTAINS(r.body, "\"openai.chat\":4");
    ASSERT_CONTAINS(r.body, "\"200\":3");
    ASSERT_CONTAINS(r.body, "\"401\":1");
    ASSERT_CONTAINS(r.body, "\"connections\":1");
    ASSERT_CONTAINS(r.body, "\"this_minute\":");
    test_http_resp_free(&r);
    ASSERT(test_http_post(&h, "/mock/reset", NULL, ""));
    ASSERT(test_http_read(&h, &r, 2000));
    test_http_resp_free(&r);
    test_http_get(&h, "/mock/stats", NULL);
    ASSERT(test_http_read(&h, &r, 2000));
    ASSERT_CONTAINS(r.body, "\"requests\":0");
    test_http_resp_free(&r);
    test_http_close(&h);
    test_mock_stop(&m);
}
