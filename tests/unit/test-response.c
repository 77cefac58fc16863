/*
 * test-response.c - the delta accumulator and the public response
 * accessors: NULL and range safety, tool-call keying by index, bounds,
 * restarts, usage merging, and allocation torture of the whole stream
 * path (SSE -> parse_event -> accumulator -> finish).
 */
#include "openai-harness.h"

#include "llmio.h"

static llmio_delta delta(llmio_delta_kind kind, int choice)
{
    llmio_delta d;
    memset(&d, 0, sizeof d);
    d.kind = kind;
    d.choice = choice;
    return d;
}

TEST(response_null_and_range_safe)
{
    ASSERT_NULL(llmio_response_id(NULL));
    ASSERT_NULL(llmio_response_model(NULL));
    ASSERT_NULL(llmio_response_provider(NULL));
    ASSERT_EQ(llmio_response_created(NULL), 0);
    ASSERT_EQ(llmio_response_choices(NULL), 0);
    size_t len = 99;
    ASSERT_NULL(llmio_response_text(NULL, 0, &len));
    ASSERT_EQ(len, 0);
    ASSERT_NULL(llmio_response_refusal(NULL, 0));
    ASSERT_NULL(llmio_response_reasoning(NULL, 0, NULL));
    ASSERT_EQ(llmio_response_finish(NULL, 0), LLMIO_FINISH_NONE);
    ASSERT_NULL(llmio_response_finish_raw(NULL, 0));
    ASSERT_EQ(llmio_response_tool_calls(NULL, 0), 0);
    ASSERT_NULL(llmio_response_tool_call(NULL, 0, 0));
    ASSERT_EQ(llmio_response_logprobs(NULL, 0), 0);
    double lp = 5;
    ASSERT_NULL(llmio_response_logprob(NULL, 0, 0, &lp));
    ASSERT(lp == 0);
    llmio_usage u = llmio_response_usage(NULL);
    ASSERT_EQ(u.prompt_tokens, -1);
    ASSERT_EQ(u.reasoning_tokens, -1);
    ASSERT_NULL(llmio_response_json(NULL, &len));

    struct oh_run r;
    oh_run_init(&r, NULL);
    llmio_delta d = delta(LLMIO_DELTA_TEXT, 0);
    d.text = "hi";
    d.text_len = 2;
    ASSERT_OK(llmio__response_add(&r.resp, &d));
    ASSERT_OK(llmio__response_finish(&r.resp, NULL, 0));
    ASSERT_EQ(llmio_response_choices(&r.resp), 1);
    ASSERT_NULL(llmio_response_text(&r.resp, 1, &len));
    ASSERT_NULL(llmio_response_text(&r.resp, (size_t)-1, NULL));
    ASSERT_STR_EQ(llmio_response_text(&r.resp, 0, &len), "hi");
    ASSERT_NULL(llmio_response_tool_call(&r.resp, 0, 0));
    ASSERT_NULL(llmio_response_logprob(&r.resp, 0, 0, NULL));
    ASSERT_NULL(llmio_response_refusal(&r.resp, 0));
    ASSERT_STR_EQ(llmio_response_provider(&r.resp), "openai");
    /* A second finish changes nothing; adding after finish is refused. */
    ASSERT_OK(llmio__response_finish(&r.resp, NULL, 0));
    ASSERT_EQ(llmio__response_add(&r.resp, &d), LLMIO_E_STATE);
    oh_run_cleanup(&r);
}

TEST(response_tool_calls_keyed_by_index)
{
    struct oh_run r;
    oh_run_init(&r, NULL);
    /* Index 1 arrives first, fragments interleave, id/name only once;
     * a later fragment repeating the id changes nothing. */
    llmio_delta d = delta(LLMIO_DELTA_TOOL_CALL, 0);
    d.tool_index = 1;
    d.tool_id = "call_b";
    d.tool_name = "g";
    d.text = "{\"y\":";
    d.text_len = 5;
    ASSERT_OK(llmio__response_add(&r.resp, &d));
    d = delta(LLMIO_DELTA_TOOL_CALL, 0);
    d.tool_index = 0;
    d.tool_id = "call_a";
    d.tool_name = "f";
    ASSERT_OK(llmio__response_add(&r.resp, &d));
    d = delta(LLMIO_DELTA_TOOL_CALL, 0);
    d.tool_index = 1;
    d.tool_id = "call_b";
    d.text = "2}";
    d.text_len = 2;
    ASSERT_OK(llmio__response_add(&r.resp, &d));
    d = delta(LLMIO_DELTA_TOOL_CALL, 0);
    d.tool_index = 0;
    d.text = "{}";
    d.text_len = 2;
    ASSERT_OK(llmio__response_add(&r.resp, &d));
    ASSERT_OK(llmio__response_finish(&r.resp, NULL, 0));
    ASSERT_EQ(llmio_response_tool_calls(&r.resp, 0), 2);
    const llmio_tool_call *t = llmio_response_tool_call(&r.resp, 0, 0);
    ASSERT_STR_EQ(t->id, "call_a");
    ASSERT_STR_EQ(t->name, "f");
    ASSERT_STR_EQ(t->arguments, "{}");
    ASSERT_EQ(t->arguments_len, 2);
    t = llmio_response_tool_call(&r.resp, 0, 1);
    ASSERT_STR_EQ(t->id, "call_b");
    ASSERT_STR_EQ(t->arguments, "{\"y\":2}");
    /* No content: text is NULL (only tool calls). */
    ASSERT_NULL(llmio_response_text(&r.resp, 0, NULL));
    ASSERT_CONTAINS(llmio_response_json(&r.resp, NULL),
                    "\"content\":null,\"refusal\":null,\"tool_calls\"");
    oh_run_cleanup(&r);
}

TEST(response_bounds)
{
    struct oh_run r;
    oh_run_init(&r, NULL);
    llmio_delta d = delta(LLMIO_DELTA_TEXT, LLMIO__MAX_CHOICES);
    d.text = "x";
    d.text_len = 1;
    ASSERT_EQ(llmio__response_add(&r.resp, &d), LLMIO_E_PROTOCOL);
    d.choice = -1;
    ASSERT_EQ(llmio__response_add(&r.resp, &d), LLMIO_E_PROTOCOL);
    d = delta(LLMIO_DELTA_TOOL_CALL, 0);
    d.tool_index = LLMIO__MAX_TOOL_CALLS;
    ASSERT_EQ(llmio__response_add(&r.resp, &d), LLMIO_E_PROTOCOL);
    d.tool_index = -2;
    ASSERT_EQ(llmio__response_add(&r.resp, &d), LLMIO_E_PROTOCOL);
    oh_run_cleanup(&r);

    /* Each buffer is bounded by max_bytes. */
    struct llmio__arena a;
    struct llmio_response resp;
    llmio__arena_init(&a, NULL, 0);
    llmio__response_init(&resp, NULL, &a, "openai", 8);
    d = delta(LLMIO_DELTA_TEXT, 0);
    d.text = "12345";
    d.text_len = 5;
    ASSERT_OK(llmio__response_add(&resp, &d));
    ASSERT_EQ(llmio__response_add(&resp, &d), LLMIO_E_TOO_BIG);
    d.kind = LLMIO_DELTA_REASONING;
    ASSERT_OK(llmio__response_add(&resp, &d));
    d = delta(LLMIO_DELTA_LOGPROB, 0);
    d.text = "t";
    d.text_len = 1;
    ASSERT_EQ(llmio__response_add(&resp, &d), LLMIO_E_TOO_BIG);
    llmio__response_cleanup(&resp);
    llmio__arena_cleanup(&a);
}

TEST(response_usage_merge_and_restart)
{
    struct oh_run r;
    oh_run_init(&r, NULL);
    llmio_usage u = {10, -1, -1, 4, -1, {0, 0, 0, 0}};
    llmio_delta d = delta(LLMIO_DELTA_USAGE, 0);
    d.usage = &u;
    ASSERT_OK(llmio__response_add(&r.resp, &d));
    llmio_usage v = {-1, 5, 15, -1, 2, {0, 0, 0, 0}};
    d.usage = &v;
    ASSERT_OK(llmio__response_add(&r.resp, &d));
    llmio_usage got = r.resp.usage;
    ASSERT_EQ(got.prompt_tokens, 10);
    ASSERT_EQ(got.completion_tokens, 5);
    ASSERT_EQ(got.total_tokens, 15);
    ASSERT_EQ(got.cached_tokens, 4);
    ASSERT_EQ(got.reasoning_tokens, 2);

    d = delta(LLMIO_DELTA_START, 0);
    d.id = "first";
    d.model = "m1";
    d.created = 5;
    ASSERT_OK(llmio__response_add(&r.resp, &d));
    d = delta(LLMIO_DELTA_TEXT, 2);
    d.text = "x";
    d.text_len = 1;
    ASSERT_OK(llmio__response_add(&r.resp, &d));
    ASSERT_EQ(r.resp.nchoices, 3);
    /* A restart (a retried stream) drops everything gathered. */
    d = delta(LLMIO_DELTA_RESTARTED, 0);
    ASSERT_OK(llmio__response_add(&r.resp, &d));
    d = delta(LLMIO_DELTA_START, 0);
    d.id = "second";
    d.model = "m2";
    d.created = 6;
    ASSERT_OK(llmio__response_add(&r.resp, &d));
    d = delta(LLMIO_DELTA_ERROR, 0);
    d.text = "ignored";
    d.text_len = 7;
    ASSERT_OK(llmio__response_add(&r.resp, &d));
    ASSERT_OK(llmio__response_finish(&r.resp, NULL, 0));
    ASSERT_STR_EQ(llmio_response_id(&r.resp), "second");
    ASSERT_STR_EQ(llmio_response_model(&r.resp), "m2");
    ASSERT_EQ(llmio_response_created(&r.resp), 6);
    ASSERT_EQ(llmio_response_choices(&r.resp), 1);
    ASSERT_EQ(llmio_response_usage(&r.resp).prompt_tokens, -1);
    ASSERT_STR_EQ(llmio_response_json(&r.resp, NULL),
                  "{\"id\":\"second\",\"object\":\"chat.completion\","
                  "\"created\":6,\"model\":\"m2\",\"choices\":[{\"index\":0,"
                  "\"message\":{\"role\":\"assistant\",\"content\":null,"
                  "\"refusal\":null},\"logprobs\":null,\"finish_reason\":"
                  "null}]}");
    oh_run_cleanup(&r);
}

TEST(response_abort_from_sink)
{
    /* A sink that says stop makes parse_event stop with that status. */
    size_t len;
    char *in =
        test_read_file("tests/data/providers/openai/stream-n2/input", &len);
    struct oh_run r;
    oh_run_init(&r, NULL);
    r.stop_after = 3;
    const char *p = strstr(in, "data: ");
    int events = 0;
    llmio_status st = LLMIO_OK;
    while (p != NULL && st == LLMIO_OK) {
        const char *e = strstr(p, "\n\n");
        st = llmio__provider_openai.parse_event(&r.ctx, NULL, 0, p + 6,
                                                (size_t)(e - p - 6), &r.err);
        events++;
        p = strstr(e, "data: ");
    }
    ASSERT_EQ(st, LLMIO_E_ABORTED);
    ASSERT_EQ(r.ndeltas, 3);
    oh_run_cleanup(&r);
    free(in);
}

static void torture_stream(const char *name)
{
    char path[256];
    size_t len;
    snprintf(path, sizeof path, "tests/data/providers/openai/%s/input", name);
    char *in = test_read_file(path, &len);
    llmio_status st;
    char *want = oh_stream(&llmio__provider_openai, in, len, 0, 0, NULL, &st);
    ASSERT_OK(st);
    for (long n = 1;; n++) {
        struct fail_alloc fa;
        fail_alloc_init(&fa, n);
        char *got =
            oh_stream(&llmio__provider_openai, in, len, 0, 0, &fa.a, &st);
        ASSERT_EQ(fa.live, 0);
        if (st == LLMIO_OK) {
            ASSERT_STR_EQ(got, want);
        } else if (st != LLMIO_E_NOMEM) {
            test_fail_(__FILE__, __LINE__, "%s n=%ld: %s\n%s", name, n,
                       llmio_status_name(st), got);
        }
        free(got);
        if (!fa.failed) {
            ASSERT_OK(st);
            break;
        }
        ASSERT_CMP(n, <, 5000);
    }
    free(want);
    free(in);
}

TEST(response_torture_stream)
{
    torture_stream("stream-tool-calls");
    torture_stream("stream-n2");
    torture_stream("stream-logprobs");
}

TEST(response_torture_body)
{
    size_t len;
    char *in = test_read_file(
        "tests/data/providers/openai/body-n2-logprobs/input", &len);
    for (long n = 1;; n++) {
        struct fail_alloc fa;
        fail_alloc_init(&fa, n);
        llmio_status st;
        char *got = oh_body(&llmio__provider_openai, in, len, &fa.a, &st);
        free(got);
        ASSERT_EQ(fa.live, 0);
        ASSERT(st == LLMIO_OK || st == LLMIO_E_NOMEM);
        if (!fa.failed) {
            ASSERT_OK(st);
            break;
        }
        ASSERT_CMP(n, <, 5000);
    }
    free(in);
}
