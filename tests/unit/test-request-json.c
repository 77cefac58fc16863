/*
 * test-request-json.c - llmio_request_set_json and llmio_request_from_jsonl:
 * a JSON body builds the same request as the C setters (compared through
 * the OpenAI provider's serialised body), errors name the JSON path, the
 * JSONL line forms (body, prompt, Batch API wrapper, custom_id, default
 * model), and allocation torture.
 */
#include "openai-harness.h"

#include "llmio.h"

/* R serialised by the OpenAI provider: the body text (malloc'd). */
static char *body_of(const llmio_request *r)
{
    struct llmio__http_req out;
    struct llmio__provider_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.api_key = "k";
    cfg.base_url = "http://h/v1";
    llmio__buf_init(&out.url, NULL, 0);
    llmio__buf_init(&out.headers, NULL, 0);
    llmio__buf_init(&out.body, NULL, 0);
    out.nheaders = 0;
    const char *model = NULL;
    llmio_error err;
    const struct llmio__provider *p =
        llmio__provider_for_model(r->model, &model, &err);
    ASSERT_NOT_NULL(p);
    ASSERT_OK(p->build_request(r, model, &cfg, &out, &err));
    char *s = strdup(llmio__buf_cstr(&out.body));
    llmio__buf_cleanup(&out.url);
    llmio__buf_cleanup(&out.headers);
    llmio__buf_cleanup(&out.body);
    return s;
}

static const char full_json[] =
    "{\"model\":\"openai/gpt-4o\",\"messages\":["
    "{\"role\":\"system\",\"content\":\"sys\"},"
    "{\"role\":\"user\",\"name\":\"n\",\"content\":[{\"type\":\"text\","
    "\"text\":\"look\"},{\"type\":\"image_url\",\"image_url\":{\"url\":"
    "\"https://a.test/x.png\",\"detail\":\"low\"}}]},"
    "{\"role\":\"assistant\",\"content\":null,\"refusal\":null,"
    "\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":"
    "{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}}]},"
    "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"r1\"}],"
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\","
    "\"description\":\"desc\",\"parameters\":{\"type\":\"object\"}}}],"
    "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}},"
    "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":"
    "\"s\",\"schema\":{\"type\":\"object\"},\"strict\":true}},"
    "\"temperature\":0.5,\"top_p\":0.9,\"max_tokens\":7,\"seed\":3,\"n\":2,"
    "\"stop\":[\"x\",\"y\"],\"user\":\"u\",\"stream\":true,"
    "\"reasoning_effort\":\"low\",\"metadata\":{\"k\":[1,2]}}";

static llmio_request *full_c(void)
{
    llmio_request *r = llmio_request_new("openai/gpt-4o");
    llmio_request_add_message(r, LLMIO_ROLE_SYSTEM, "sys");
    llmio_request_add_message(r, LLMIO_ROLE_USER, NULL);
    llmio_request_set_name(r, "n");
    llmio_request_add_text(r, "look");
    llmio_request_add_image_url(r, "https://a.test/x.png", "low");
    llmio_request_add_message(r, LLMIO_ROLE_ASSISTANT, NULL);
    llmio_request_add_tool_call(r, "c1", "f", "{\"a\":1}");
    llmio_request_add_tool_result(r, "c1", "r1");
    llmio_request_add_tool(r, "f", "desc", "{\"type\":\"object\"}");
    llmio_request_set_tool_choice(r, "f");
    llmio_request_set_response_format(r, "json_schema", "s",
                                      "{\"type\":\"object\"}", true);
    llmio_request_set_temperature(r, 0.5);
    llmio_request_set_top_p(r, 0.9);
    llmio_request_set_max_tokens(r, 7);
    llmio_request_set_seed(r, 3);
    llmio_request_set_n(r, 2);
    llmio_request_add_stop(r, "x");
    llmio_request_add_stop(r, "y");
    llmio_request_set_user(r, "u");
    llmio_request_set_raw(r, "reasoning_effort", "\"low\"");
    llmio_request_set_raw(r, "metadata", "{\"k\":[1,2]}");
    ASSERT_OK(llmio_request_error(r, NULL));
    return r;
}

TEST(request_json_same_body_as_setters)
{
    llmio_request *c = full_c();
    llmio_request *j = llmio_request_new(NULL);
    ASSERT_OK(llmio_request_set_json(j, full_json, strlen(full_json)));
    ASSERT(!j->stream); /* "stream" in a body is not the file's choice */
    char *bc = body_of(c);
    char *bj = body_of(j);
    ASSERT_STR_EQ(bj, bc);
    ASSERT_CONTAINS(bj, "\"reasoning_effort\":\"low\"");
    free(bc);
    free(bj);
    llmio_request_free(c);
    llmio_request_free(j);
}

static void expect_json_error(const char *json, llmio_status st,
                              const char *msg)
{
    llmio_request *r = llmio_request_new("gpt-4o");
    ASSERT_EQ(llmio_request_set_json(r, json, strlen(json)), st);
    llmio_error err;
    ASSERT_EQ(llmio_request_error(r, &err), st);
    if (strncmp(err.message, msg, strlen(msg)) != 0) {
        ASSERT_STR_EQ(err.message, msg);
    }
    llmio_request_free(r);
}

TEST(request_json_errors_name_the_field)
{
    expect_json_error("{\"model\":", LLMIO_E_INVALID, "json: column 10: ");
    expect_json_error("[1]", LLMIO_E_INVALID,
                      "json: the request must be an object");
    expect_json_error("{\"messages\":{}}", LLMIO_E_INVALID,
                      "messages: must be an array");
    expect_json_error("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
                      "{\"role\":\"robot\",\"content\":\"b\"}]}",
                      LLMIO_E_INVALID,
                      "messages[1].role: unknown role 'robot'");
    expect_json_error("{\"messages\":[{\"role\":\"user\",\"content\":5}]}",
                      LLMIO_E_INVALID,
                      "messages[0].content: must be a string, an array of "
                      "parts or null");
    expect_json_error("{\"messages\":[{\"role\":\"user\",\"content\":[{"
                      "\"type\":\"audio\"}]}]}",
                      LLMIO_E_INVALID,
                      "messages[0].content[0].type: unsupported part type "
                      "'audio'");
    expect_json_error("{\"messages\":[{\"role\":\"user\",\"content\":\"a\","
                      "\"audio\":{}}]}",
                      LLMIO_E_INVALID,
                      "messages[0].audio: not supported in a message");
    expect_json_error("{\"messages\":[{\"role\":\"tool\",\"content\":\"a\"}]}",
                      LLMIO_E_INVALID,
                      "messages[0].tool_call_id: must be a string");
    /* The setters' own validation, reached through JSON. */
    expect_json_error("{\"temperature\":5}", LLMIO_E_INVALID,
                      "temperature: must be within 0..2");
    expect_json_error("{\"max_tokens\":1.5}", LLMIO_E_INVALID,
                      "max_tokens: must be an integer");
    expect_json_error("{\"model\":7}", LLMIO_E_INVALID,
                      "model: must be a string");
    expect_json_error("{\"prompt\":\"a\\u0000b\"}", LLMIO_E_INVALID,
                      "prompt: contains a NUL character");
    /* Sticky: a second call reports the first error. */
    llmio_request *r = llmio_request_new("gpt-4o");
    ASSERT_EQ(llmio_request_set_json(r, "{\"n\":0}", 7), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_request_set_json(r, "{}", 2), LLMIO_E_INVALID);
    llmio_request_free(r);
    ASSERT_EQ(llmio_request_set_json(NULL, "{}", 2), LLMIO_E_INVALID);
}

static llmio_request *line(const char *text, const char *model, char *id,
                           llmio_status want, const char *msg)
{
    llmio_request *r = (llmio_request *)1;
    llmio_error err;
    llmio_status st =
        llmio_request_from_jsonl(text, strlen(text), model, &r, id, 64, &err);
    ASSERT_EQ(st, want);
    ASSERT_EQ(err.code, want);
    if (msg != NULL) {
        ASSERT_STR_EQ(err.message, msg);
    }
    if (want != LLMIO_OK) {
        ASSERT_NULL(r);
    }
    return r;
}

TEST(request_jsonl_line_forms)
{
    char id[64];
    /* {"prompt"} with the default model. */
    llmio_request *r =
        line("{\"prompt\":\"hi\"}", "openai/gpt-4o", id, LLMIO_OK, NULL);
    ASSERT_STR_EQ(id, "");
    ASSERT_STR_EQ(r->model, "openai/gpt-4o");
    ASSERT_EQ(r->nmessages, 1);
    ASSERT_STR_EQ(r->messages[0].content, "hi");
    llmio_request_free(r);
    /* The line's model wins; custom_id is a label, not a body field. */
    r = line("{\"custom_id\":\"q-1\",\"model\":\"gpt-4o-mini\",\"messages\":"
             "[{\"role\":\"user\",\"content\":\"x\"}]}",
             "openai/gpt-4o", id, LLMIO_OK, NULL);
    ASSERT_STR_EQ(id, "q-1");
    ASSERT_STR_EQ(r->model, "gpt-4o-mini");
    ASSERT_EQ(r->nraw, 0);
    llmio_request_free(r);
    /* The OpenAI Batch API form. */
    r = line("{\"custom_id\":\"req-7\",\"method\":\"POST\",\"url\":"
             "\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o\","
             "\"messages\":[{\"role\":\"user\",\"content\":\"y\"}],"
             "\"max_tokens\":5}}",
             NULL, id, LLMIO_OK, NULL);
    ASSERT_STR_EQ(id, "req-7");
    ASSERT_EQ(r->max_tokens, 5);
    llmio_request_free(r);
    line("{\"custom_id\":\"e\",\"url\":\"/v1/embeddings\",\"body\":{}}", NULL,
         id, LLMIO_E_UNSUPPORTED,
         "url: only /v1/chat/completions is supported");
    ASSERT_STR_EQ(id, "e"); /* the label is known even for a failed line */
    line("{\"prompt\":\"hi\"}", NULL, id, LLMIO_E_INVALID,
         "model: not set (no \"model\" field and no default model)");
    line("{\"model\":\"m\"}", NULL, id, LLMIO_E_INVALID,
         "messages: none (give \"messages\" or \"prompt\")");
    line("not json", "m", id, LLMIO_E_INVALID, NULL);
    line("[]", "m", id, LLMIO_E_INVALID, "json: a line must hold one object");
    line("", "m", NULL, LLMIO_E_INVALID, NULL);
    ASSERT_EQ(llmio_request_from_jsonl("{}", 2, "m", NULL, NULL, 0, NULL),
              LLMIO_E_INVALID);
}

TEST(request_json_torture)
{
    for (long n = 1;; n++) {
        struct fail_alloc fa;
        fail_alloc_init(&fa, n);
        llmio_request *r = llmio__request_new_with(&fa.a, NULL);
        llmio_status st =
            r == NULL ? LLMIO_E_NOMEM
                      : llmio_request_set_json(r, full_json, strlen(full_json));
        if (fa.failed) {
            if (st != LLMIO_E_NOMEM && st != LLMIO_OK) {
                test_fail_(__FILE__, __LINE__, "n=%ld: %s: %s", n,
                           llmio_status_name(st), r ? r->error_msg : "");
            }
        } else {
            ASSERT_OK(st);
        }
        llmio_request_free(r);
        ASSERT_EQ(fa.live, 0);
        if (!fa.failed) {
            break;
        }
        ASSERT_CMP(n, <, 5000);
    }
}
