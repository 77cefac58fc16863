/* test-gemini.c (integration) - the Gemini provider through the public
 * API against llmio-mock: non-streaming, streaming (alt=sse, CRLF),
 * function calls in both, Google error bodies, in-band stream errors. */
#include "native-util.h"

#define RUN(scn, tools, stream, out)                                           \
    native_run(&m, "gemini", "/v1beta", "gemini/gemini-2.5-flash", scn,      \
               tools, stream, out)

TEST(gemini_mock_text)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct native_result r, s;
    RUN(NULL, false, false, &r);
    native_expect_hello(&r, "gemini");
    ASSERT_STR_EQ(r.finish_raw, "STOP");

    RUN(NULL, false, true, &s);
    native_expect_same(&s, &r);
    ASSERT_EQ(s.usage.total_tokens, r.usage.total_tokens);

    RUN("finish=length", false, true, &s);
    ASSERT_EQ(s.finish, LLMIO_FINISH_LENGTH);
    ASSERT_STR_EQ(s.finish_raw, "MAX_TOKENS");

    /* A scenario in the model path: '@', '=' and ';' are path
     * characters the URL builder lets through. */
    native_run(&m, "gemini", "/v1beta",
               "gemini/gemini-2.5-flash@text=hi;finish=length", NULL, false,
               false, &r);
    ASSERT_OK(r.status);
    ASSERT_STR_EQ(r.text, "hi");
    ASSERT_EQ(r.finish, LLMIO_FINISH_LENGTH);
    test_mock_stop(&m);
}

TEST(gemini_mock_tool_calls)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    const char *scn = "tool=lookup:{\"city\":\"Lisbon\"};"
                      "tool=lookup:{\"city\":\"Porto\"}";
    for (int stream = 0; stream < 2; stream++) {
        struct native_result r;
        RUN(scn, true, stream == 1, &r);
        native_expect_lookups(&r);
        ASSERT_STR_EQ(r.tool_name[1], "lookup");
        ASSERT(r.tool_id[0][0] != '\0');
    }
    test_mock_stop(&m);
}

TEST(gemini_mock_errors)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct native_result r;
    RUN("status=429;retry-after=27", false, false, &r);
    ASSERT_EQ(r.status, LLMIO_E_RATE_LIMIT);
    ASSERT_STR_EQ(r.err.provider_type, "RESOURCE_EXHAUSTED");
    ASSERT_EQ(r.err.retry_after_ms, 27000);
    RUN("status=503", false, true, &r);
    ASSERT_EQ(r.status, LLMIO_E_OVERLOADED);
    ASSERT_STR_EQ(r.err.provider_type, "UNAVAILABLE");
    RUN("status=404", false, false, &r);
    ASSERT_EQ(r.status, LLMIO_E_BAD_REQUEST);
    ASSERT_STR_EQ(r.err.provider_type, "NOT_FOUND");
    RUN("status=500", false, false, &r);
    ASSERT_EQ(r.status, LLMIO_E_SERVER);
    ASSERT_STR_EQ(r.err.provider_type, "INTERNAL");

    RUN("lorem=6;error-after-events=2", false, true, &r);
    ASSERT_EQ(r.status, LLMIO_E_SERVER);
    ASSERT_EQ(r.nerror_deltas, 1);
    ASSERT_STR_EQ(r.streamed, "Lorem ipsum");
    test_mock_stop(&m);
}

/* GEMINI_API_KEY wins; GOOGLE_API_KEY is read when it is unset, as Google's
 * SDKs do. Without either the mock answers 403 PERMISSION_DENIED, as the
 * real API does for a missing key. */
static llmio_status gemini_env_call(struct test_mock *m, llmio_error *err)
{
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    char url[128];
    snprintf(url, sizeof url, "%s/v1beta", m->url);
    ASSERT_OK(llmio_client_set_base_url(c, "gemini", url));
    llmio_request *r = llmio_request_new("gemini/gemini-2.5-flash");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "hello"));
    llmio_future *f = NULL;
    llmio_status st = llmio_chat(c, r, &f, err);
    llmio_future_free(f);
    llmio_request_free(r);
    llmio_client_free(c);
    return st;
}

TEST(gemini_env_google_api_key_fallback)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_error err;
    unsetenv("GEMINI_API_KEY");
    unsetenv("GOOGLE_API_KEY");
    ASSERT_EQ(gemini_env_call(&m, &err), LLMIO_E_AUTH);
    ASSERT_EQ(err.http_status, 403);

    setenv("GOOGLE_API_KEY", "google-env-key", 1);
    ASSERT_OK(gemini_env_call(&m, &err));

    setenv("GEMINI_API_KEY", "bad-gemini-key", 1);
    ASSERT_EQ(gemini_env_call(&m, &err), LLMIO_E_AUTH);
    ASSERT_EQ(err.http_status, 400);
    test_mock_stop(&m);
}
