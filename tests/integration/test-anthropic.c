/* test-anthropic.c (integration) - the Anthropic provider through the
 * public API against llmio-mock: non-streaming, streaming, tool calls in
 * both, error bodies per status, in-band stream errors. */
#include "native-util.h"

#define RUN(scn, tools, stream, out)                                           \
    native_run(&m, "anthropic", "", "anthropic/claude-sonnet-4-5", scn,      \
               tools, stream, out)

TEST(anthropic_mock_text)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct native_result r, s;
    RUN(NULL, false, false, &r);
    native_expect_hello(&r, "anthropic");
    ASSERT_STR_EQ(r.finish_raw, "end_turn");
    ASSERT_EQ(r.usage.total_tokens,
              r.usage.prompt_tokens + r.usage.completion_tokens);

    /* Streaming gives the same response, deltas included. */
    RUN(NULL, false, true, &s);
    native_expect_same(&s, &r);

    /* max tokens reached -> LENGTH, both ways. */
    RUN("finish=length", false, false, &r);
    ASSERT_EQ(r.finish, LLMIO_FINISH_LENGTH);
    RUN("finish=length", false, true, &s);
    ASSERT_EQ(s.finish, LLMIO_FINISH_LENGTH);
    test_mock_stop(&m);
}

TEST(anthropic_mock_tool_calls)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    const char *scn = "text=Checking.;tool=lookup:{\"city\":\"Lisbon\"};"
                      "tool=lookup:{\"city\":\"Porto\"}";
    for (int stream = 0; stream < 2; stream++) {
        struct native_result r;
        RUN(scn, true, stream == 1, &r);
        native_expect_lookups(&r);
        ASSERT_STR_EQ(r.tool_name[0], "lookup");
        ASSERT_CONTAINS(r.tool_id[0], "toolu_");
        ASSERT_STR_EQ(r.text, "Checking.");
    }
    test_mock_stop(&m);
}

TEST(anthropic_mock_errors)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct native_result r;
    RUN("status=529", false, false, &r);
    ASSERT_EQ(r.status, LLMIO_E_OVERLOADED);
    ASSERT_EQ(r.err.http_status, 529);
    ASSERT_STR_EQ(r.err.provider_type, "overloaded_error");
    RUN("status=400;message=max_tokens: Field required", false, false, &r);
    ASSERT_EQ(r.status, LLMIO_E_BAD_REQUEST);
    ASSERT_STR_EQ(r.err.provider_type, "invalid_request_error");
    ASSERT_STR_EQ(r.err.message, "max_tokens: Field required");
    ASSERT_NE(r.err.request_id[0], '\0');
    RUN("status=429;retry-after=2", false, true, &r);
    ASSERT_EQ(r.status, LLMIO_E_RATE_LIMIT);
    ASSERT_STR_EQ(r.err.provider_type, "rate_limit_error");
    RUN("status=401", false, false, &r);
    ASSERT_EQ(r.status, LLMIO_E_AUTH);
    RUN("html;status=502", false, false, &r);
    ASSERT_EQ(r.status, LLMIO_E_SERVER);
    ASSERT_STR_EQ(r.err.provider_type, "");

    /* An in-band error event after partial output. */
    RUN("lorem=6;error-after-events=2", false, true, &r);
    ASSERT_EQ(r.status, LLMIO_E_OVERLOADED);
    ASSERT_EQ(r.nerror_deltas, 1);
    ASSERT_STR_EQ(r.err.provider_type, "overloaded_error");
    ASSERT_STR_EQ(r.streamed, "Lorem ipsum");
    test_mock_stop(&m);
}
