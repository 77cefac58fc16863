/* test-azure.c (integration) - Azure OpenAI through the public API against
 * llmio-mock's Azure routes: the deployment URL form with api-version
 * (default, environment, client option), the v1 form, the api-key header,
 * streaming, tool calls and error bodies (key scrubbed). */
#include "native-util.h"

#include <stdlib.h>
#include <string.h>

#define RUN(scn, tools, stream, out)                                           \
    native_run(&m, "azure", "", "azure/gpt4o-prod", scn, tools, stream, out)

/* The request log's last line must contain every string of WANT. */
static void expect_logged(struct test_mock *m, const char *const *want)
{
    size_t len;
    char *log = test_mock_log(m, &len);
    ASSERT(len > 0);
    log[len - 1] = '\0'; /* drop the last newline */
    char *last = strrchr(log, '\n');
    last = last != NULL ? last + 1 : log;
    for (size_t i = 0; want[i] != NULL; i++) {
        ASSERT_CONTAINS(last, want[i]);
    }
    ASSERT(strstr(log, NATIVE_KEY) == NULL);
    ASSERT(strstr(last, "\"authorization\"") == NULL);
    free(log);
}

TEST(azure_mock_deployment_form)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct native_result r, s;
    RUN(NULL, false, false, &r);
    native_expect_hello(&r, "azure");
    const char *want[] = {
        "\"path\":\"/openai/deployments/gpt4o-prod/chat/completions\"",
        "\"query\":\"api-version=2024-10-21\"", "\"api-key\":\"***\"",
        "\"model\":\"gpt4o-prod\"", NULL};
    expect_logged(&m, want);
    RUN(NULL, false, true, &s);
    native_expect_same(&s, &r);
    const char *want_stream[] = {"\"stream\":true", "\"include_usage\":true",
                                 NULL};
    expect_logged(&m, want_stream);
    test_mock_stop(&m);
}

TEST(azure_mock_v1_form_from_env)
{
    /* OPENAI_API_VERSION=v1 selects the v1 form; the endpoint comes from
     * AZURE_OPENAI_ENDPOINT and the key from AZURE_OPENAI_API_KEY. */
    struct test_mock m;
    test_mock_start(&m, NULL);
    setenv("OPENAI_API_VERSION", "v1", 1);
    setenv("AZURE_OPENAI_ENDPOINT", m.url, 1);
    setenv("AZURE_OPENAI_API_KEY", NATIVE_KEY, 1);
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    llmio_request *r = llmio_request_new("azure/gpt4o-prod");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "hello there"));
    llmio_future *f = NULL;
    ASSERT_OK(llmio_chat(c, r, &f, NULL));
    ASSERT_STR_EQ(llmio_response_text(llmio_future_response(f), 0, NULL),
                  "hello there");
    llmio_future_free(f);
    const char *want[] = {"\"path\":\"/openai/v1/chat/completions\"",
                          "\"query\":\"\"", "\"api-key\":\"***\"", NULL};
    expect_logged(&m, want);

    /* The client option wins over the environment. */
    ASSERT_OK(llmio_client_set_option(c, "azure", "api_version",
                                      "2025-01-01-preview"));
    ASSERT_OK(llmio_chat(c, r, &f, NULL));
    llmio_future_free(f);
    const char *want2[] = {
        "\"path\":\"/openai/deployments/gpt4o-prod/chat/completions\"",
        "\"query\":\"api-version=2025-01-01-preview\"", NULL};
    expect_logged(&m, want2);
    llmio_request_free(r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(azure_mock_tool_calls)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct native_result r;
    const char *scn =
        "tool=lookup:{\"city\":\"Lisbon\"};tool=lookup:{\"city\":\"Porto\"}";
    RUN(scn, true, false, &r);
    native_expect_lookups(&r);
    RUN(scn, true, true, &r);
    native_expect_lookups(&r);
    test_mock_stop(&m);
}

TEST(azure_mock_errors)
{
    const char *const args[] = {"--api-key", NATIVE_KEY, NULL};
    struct test_mock m;
    test_mock_start(&m, args);
    struct native_result r;
    RUN("status=429", false, false, &r);
    ASSERT_EQ(r.status, LLMIO_E_RATE_LIMIT);
    /* A server echoing the key: the error never carries it (native_run
     * checks the message). */
    RUN("status=400;message=bad key " NATIVE_KEY, false, false, &r);
    ASSERT_EQ(r.status, LLMIO_E_BAD_REQUEST);
    ASSERT_CONTAINS(r.err.message, "bad key");
    test_mock_stop(&m);

    /* A wrong key: Azure's 401. */
    const char *const other[] = {"--api-key", "another-key", NULL};
    test_mock_start(&m, other);
    RUN(NULL, false, false, &r);
    ASSERT_EQ(r.status, LLMIO_E_AUTH);
    ASSERT_EQ(r.err.http_status, 401);
    ASSERT_STR_EQ(r.err.provider_code, "401");
    ASSERT_CONTAINS(r.err.message, "Access denied");
    test_mock_stop(&m);
}

TEST(azure_mock_no_endpoint)
{
    /* No endpoint anywhere: refused at submit, naming the setting. */
    unsetenv("AZURE_OPENAI_ENDPOINT");
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    llmio_request *r = llmio_request_new("azure/gpt4o-prod");
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "hi"));
    llmio_future *f = NULL;
    llmio_error err;
    ASSERT_EQ(llmio_submit(c, r, NULL, NULL, &f, &err), LLMIO_E_INVALID);
    ASSERT_NULL(f);
    ASSERT_CONTAINS(err.message, "AZURE_OPENAI_ENDPOINT");
    llmio_request_free(r);
    llmio_client_free(c);
}
