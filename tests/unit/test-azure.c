/* test-azure.c - Azure OpenAI's addressing (src/providers/azure.c): golden
 * requests in the deployment and v1 URL forms, endpoint spellings, the
 * api-key header, bad settings. The body and the parsers are OpenAI's
 * (test-openai.c covers them). Data in tests/data/providers/azure/. */
#include "provider-harness.h"

#include <stdlib.h>
#include <string.h>

#define P (&llmio__provider_azure)
#define ENDPOINT "https://contoso-ai.openai.azure.com/"

/* The reference conversation: system prompt, an image, a parallel tool
 * call and its results (issue 5, "done when"). */
static struct llmio_request *conversation(void)
{
    struct llmio_request *r = ph_req_new("azure/gpt4o-prod");
    ph_msg(r, LLMIO_ROLE_SYSTEM, "Be brief.");
    struct llmio__message *u = ph_msg(r, LLMIO_ROLE_USER, NULL);
    ph_part_text(u, "Weather in Tokyo and Osaka?");
    ph_part_image(u, "data:image/png;base64,iVBORw0KGgo=");
    struct llmio__message *a = ph_msg(r, LLMIO_ROLE_ASSISTANT, NULL);
    ph_tool_call(a, "call_0", "get_weather", "{\"city\":\"Tokyo\"}");
    ph_tool_call(a, "call_1", "get_weather", "{\"city\":\"Osaka\"}");
    struct llmio__message *t1 = ph_msg(r, LLMIO_ROLE_TOOL, "11C");
    t1->tool_call_id = (char *)"call_0";
    struct llmio__message *t2 = ph_msg(r, LLMIO_ROLE_TOOL, "14C");
    t2->tool_call_id = (char *)"call_1";
    ph_tool(r, "get_weather", "Weather for a city",
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":"
            "\"string\"}}}");
    return r;
}

TEST(azure_build_deployment_form)
{
    /* Default api-version, the endpoint with a trailing slash, a stream:
     * api-key (no Authorization), Accept, the deployment in the URL and
     * as the body's model. */
    struct llmio_request *r = conversation();
    r->stream = true;
    r->include_usage = true;
    struct ph_build b = {.base_url = ENDPOINT};
    ph_check_build_with(P, r, &b, "deployment");
    ph_req_free(r);
}

TEST(azure_build_v1_form)
{
    struct llmio_request *r = conversation();
    struct ph_build b = {.base_url = ENDPOINT, .api_version = "v1"};
    ph_check_build_with(P, r, &b, "v1");
    ph_req_free(r);
}

/* Builds "hi" for MODEL with CFG: the status, *ERR, and (malloc'd) the
 * URL, or with HEADERS the header lines joined by '\n'. */
static char *build_of(const char *model, const struct llmio__provider_cfg *cfg,
                      bool headers, llmio_status *st, llmio_error *err)
{
    struct llmio_request *r = ph_req_new(model);
    ph_msg(r, LLMIO_ROLE_USER, "hi");
    struct llmio__http_req out;
    memset(&out, 0, sizeof out);
    llmio__buf_init(&out.url, NULL, 0);
    llmio__buf_init(&out.headers, NULL, 0);
    llmio__buf_init(&out.body, NULL, 0);
    memset(err, 0, sizeof *err);
    *st = P->build_request(r, strchr(model, '/') + 1, cfg, &out, err);
    struct llmio__buf *b = headers ? &out.headers : &out.url;
    char *got = malloc(b->len + 1);
    ASSERT_NOT_NULL(got);
    for (size_t i = 0; i < b->len; i++) {
        got[i] = b->data[i] == '\0' ? '\n' : b->data[i];
    }
    got[b->len] = '\0';
    llmio__buf_cleanup(&out.url);
    llmio__buf_cleanup(&out.headers);
    llmio__buf_cleanup(&out.body);
    ph_req_free(r);
    return got;
}

/* The URL built for MODEL with BASE and VERSION (malloc'd). */
static char *url_of(const char *model, const char *base, const char *version)
{
    struct llmio__provider_cfg cfg = {
        .api_key = PH_KEY, .base_url = base, .api_version = version};
    llmio_status st;
    llmio_error err;
    char *url = build_of(model, &cfg, false, &st, &err);
    ASSERT_OK(st);
    return url;
}

/* The key goes in api-key through OpenAI's header checks: a line break is
 * refused naming api_key (never quoting it); OpenAI's organization and
 * project headers are not Azure's. */
TEST(azure_build_key_header)
{
    struct llmio__provider_cfg cfg = {.api_key = "az-key-1",
                                      .base_url = ENDPOINT,
                                      .organization = "org-1",
                                      .project = "proj-1"};
    llmio_status st;
    llmio_error err;
    char *h = build_of("azure/dep-1", &cfg, true, &st, &err);
    ASSERT_OK(st);
    ASSERT_STR_EQ(h, "Content-Type: application/json\napi-key: az-key-1\n");
    free(h);
    cfg.api_key = "az-key-1\r\nX-Evil: 1";
    h = build_of("azure/dep-1", &cfg, true, &st, &err);
    ASSERT_EQ(st, LLMIO_E_INVALID);
    ASSERT_STR_EQ(err.message, "api_key: contains a line break");
    free(h);
    cfg.api_key = ""; /* no key: no header (an Entra ID caller adds its own) */
    h = build_of("azure/dep-1", &cfg, true, &st, &err);
    ASSERT_OK(st);
    ASSERT_STR_EQ(h, "Content-Type: application/json\n");
    free(h);
}

TEST(azure_build_endpoint_spellings)
{
    /* An endpoint copied with "/openai" or "/openai/v1" on the end is not
     * doubled; "/openai/v1" implies the v1 form; a preview version is
     * passed through; the path prefix of a proxy is kept. */
    static const struct {
        const char *base, *version, *want;
    } cases[] = {
        {"https://r.openai.azure.com", NULL,
         "https://r.openai.azure.com/openai/deployments/dep-1/chat/"
         "completions?api-version=2024-10-21"},
        {"https://r.openai.azure.com/openai/", "2025-01-01-preview",
         "https://r.openai.azure.com/openai/deployments/dep-1/chat/"
         "completions?api-version=2025-01-01-preview"},
        {"https://r.openai.azure.com/openai/v1", NULL,
         "https://r.openai.azure.com/openai/v1/chat/completions"},
        {"https://r.openai.azure.com//", "v1",
         "https://r.openai.azure.com/openai/v1/chat/completions"},
        {"http://127.0.0.1:8080/proxy/azure", "2024-06-01",
         "http://127.0.0.1:8080/proxy/azure/openai/deployments/dep-1/chat/"
         "completions?api-version=2024-06-01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *url = url_of("azure/dep-1", cases[i].base, cases[i].version);
        ASSERT_STR_EQ(url, cases[i].want);
        free(url);
    }
}

TEST(azure_build_errors)
{
    struct llmio_request *r = ph_req_new("azure/gpt4o-prod");
    ph_msg(r, LLMIO_ROLE_USER, "hi");
    /* No endpoint: there is no default resource. */
    struct ph_build none = {.no_base_url = true};
    ph_check_build_error_with(P, r, &none, LLMIO_E_INVALID,
                              "base_url: azure needs the resource endpoint");
    /* A version or deployment that would change the URL's meaning. */
    struct ph_build bad_version = {.base_url = ENDPOINT,
                                   .api_version = "2024-10-21&x=1"};
    ph_check_build_error_with(P, r, &bad_version, LLMIO_E_INVALID,
                              "api_version:");
    struct ph_build ok = {.base_url = ENDPOINT};
    r->model = (char *)"azure/dep/../other";
    ph_check_build_error_with(P, r, &ok, LLMIO_E_INVALID, "model: an azure");
    r->model = (char *)"azure/dep?x=1";
    ph_check_build_error_with(P, r, &ok, LLMIO_E_INVALID, "model: an azure");
    /* The OpenAI checks still apply. */
    r->model = (char *)"azure/gpt4o-prod";
    r->nmessages = 0;
    ph_check_build_error_with(P, r, &ok, LLMIO_E_INVALID, "messages:");
    ph_req_free(r);
}

TEST(azure_build_torture)
{
    struct llmio_request *r = conversation();
    struct ph_build b = {.base_url = ENDPOINT};
    ph_torture_build_with(P, r, &b);
    ph_req_free(r);
}

TEST(azure_registry_row)
{
    const char *rest = NULL;
    llmio_error err;
    memset(&err, 0, sizeof err);
    ASSERT(llmio__provider_for_model("azure/gpt4o-prod", &rest, &err) == P);
    ASSERT_STR_EQ(rest, "gpt4o-prod");
    ASSERT_STR_EQ(P->api_key_env, "AZURE_OPENAI_API_KEY");
    ASSERT_STR_EQ(P->base_url_env, "AZURE_OPENAI_ENDPOINT");
    ASSERT_STR_EQ(P->api_version_env, "OPENAI_API_VERSION");
    ASSERT_NULL(P->default_base_url);
    /* The wire protocol is OpenAI's: the same parsers. */
    ASSERT(P->parse_body == llmio__openai_parse_body);
    ASSERT(P->parse_event == llmio__openai_parse_event);
    ASSERT(P->parse_error == llmio__openai_parse_error);
}
