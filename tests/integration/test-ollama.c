/* test-ollama.c (integration) - the Ollama native provider through the
 * public API against llmio-mock: non-streaming text, tool calls and error
 * bodies. Streaming waits for the engine's NDJSON framing (TODO(#3) in
 * engine.c); the stream translation itself is covered by the unit tests. */
#include "native-util.h"

#define RUN(scn, tools, stream, out)                                           \
    native_run(&m, "ollama", "", "ollama/llama3.2", scn, tools, stream, out)

TEST(ollama_mock_text)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct native_result r;
    RUN(NULL, false, false, &r);
    native_expect_hello(&r, "ollama");
    RUN("finish=length", false, false, &r);
    ASSERT_EQ(r.finish, LLMIO_FINISH_LENGTH);
    test_mock_stop(&m);
}

TEST(ollama_mock_tool_calls)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct native_result r;
    RUN("tool=lookup:{\"city\":\"Lisbon\"};tool=lookup:{\"city\":\"Porto\"}",
        true, false, &r);
    native_expect_lookups(&r);
    ASSERT_STR_EQ(r.tool_name[0], "lookup");
    test_mock_stop(&m);
}

TEST(ollama_mock_errors)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct native_result r;
    RUN("status=404;message=model 'llama9' not found", false, false, &r);
    ASSERT_EQ(r.status, LLMIO_E_BAD_REQUEST);
    ASSERT_STR_EQ(r.err.message, "model 'llama9' not found");
    RUN("status=500", false, false, &r);
    ASSERT_EQ(r.status, LLMIO_E_SERVER);
    RUN("status=429", false, false, &r);
    ASSERT_EQ(r.status, LLMIO_E_RATE_LIMIT);
    test_mock_stop(&m);
}
