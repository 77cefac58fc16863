/* test-embed.c (integration) - embeddings through the public API against
 * llmio-mock: OpenAI float and base64, a compatible row, Azure, Gemini
 * (embedContent and batchEmbedContents) and Ollama (/api/embed) give the
 * mock's vectors (the same unit vector per text on every endpoint), the
 * exact request bodies are logged, errors and retries go through the same
 * engine paths as chat. */
#include "test.h"

#include "llmio.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DIM 8
/* Every client configures it; it must reach no error and no log. */
#define NATIVE_KEY "sk-embed-SECRET-0a1b2c3d4e"

struct embed_result {
    llmio_status status;
    llmio_error err;
    size_t n, dim;
    float v[4][DIM];
    char model[64];
    llmio_usage usage;
    int attempts;
};

/* Embeds INPUTS[0..N) with MODEL at the mock (PROVIDER's base URL is the
 * mock's URL + BASE_PATH), DIM dimensions, ENCODING (nullable), SCENARIO
 * (nullable) as X-Mock-Scenario, RETRIES attempts in all. */
static void embed_run(const struct test_mock *m, const char *provider,
                      const char *base_path, const char *model,
                      const char *const *inputs, size_t n, const char *encoding,
                      const char *scenario, int attempts,
                      struct embed_result *out)
{
    memset(out, 0, sizeof *out);
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    char url[160];
    snprintf(url, sizeof url, "%s%s", m->url, base_path);
    ASSERT_OK(llmio_client_set_base_url(c, provider, url));
    ASSERT_OK(llmio_client_set_api_key(c, provider, NATIVE_KEY));
    ASSERT_OK(llmio_client_set_retry(c, attempts, 0, 0, 0));
    llmio_request *r = llmio_request_new(model);
    for (size_t i = 0; i < n; i++) {
        ASSERT_OK(llmio_request_add_input(r, inputs[i]));
    }
    ASSERT_OK(llmio_request_set_dimensions(r, DIM));
    if (encoding != NULL) {
        ASSERT_OK(llmio_request_set_encoding_format(r, encoding));
    }
    if (scenario != NULL) {
        char h[256];
        snprintf(h, sizeof h, "X-Mock-Scenario: %s", scenario);
        ASSERT_OK(llmio_request_add_header(r, h));
    }
    llmio_future *f = NULL;
    llmio_error serr;
    llmio_status st = llmio_submit(c, r, NULL, NULL, &f, &serr);
    if (st != LLMIO_OK) {
        test_fail_(__FILE__, __LINE__, "submit: %s", serr.message);
    }
    llmio_request_free(r); /* submit took a snapshot */
    ASSERT_OK(llmio_future_wait(f, 10000));
    out->status = llmio_future_status(f);
    out->err = *llmio_future_error(f);
    out->attempts = out->err.attempts;
    ASSERT(strstr(out->err.message, NATIVE_KEY) == NULL);
    const llmio_response *resp = llmio_future_response(f);
    if (resp != NULL) {
        out->n = llmio_response_embeddings(resp);
        out->dim = llmio_response_embedding_dim(resp);
        ASSERT_CMP(out->n, <=, 4);
        ASSERT_EQ(out->dim, DIM);
        for (size_t i = 0; i < out->n; i++) {
            memcpy(out->v[i], llmio_response_embedding(resp, i),
                   sizeof out->v[i]);
        }
        const char *model_name = llmio_response_model(resp);
        snprintf(out->model, sizeof out->model, "%s",
                 model_name != NULL ? model_name : "");
        out->usage = llmio_response_usage(resp);
        /* A chat accessor on an embedding response: no choices. */
        ASSERT_EQ(llmio_response_choices(resp), 0);
    }
    llmio_future_free(f);
    llmio_client_free(c);
}

static const char *const two[] = {"hello world", "olá mundo"};

/* The mock's vectors are unit vectors, the same for a text everywhere. */
static void expect_unit(const struct embed_result *r, size_t n)
{
    ASSERT_OK(r->status);
    ASSERT_EQ(r->n, n);
    for (size_t i = 0; i < n; i++) {
        double sum = 0;
        for (size_t k = 0; k < DIM; k++) {
            sum += (double)r->v[i][k] * r->v[i][k];
        }
        ASSERT(fabs(sum - 1.0) < 1e-5);
    }
}

static void expect_same(const struct embed_result *a, size_t ia,
                        const struct embed_result *b, size_t ib)
{
    for (size_t k = 0; k < DIM; k++) {
        ASSERT(fabs(a->v[ia][k] - b->v[ib][k]) < 1e-6);
    }
}

/* The last logged request contains every string of WANT. */
static void expect_logged(struct test_mock *m, const char *const *want)
{
    size_t len;
    char *log = test_mock_log(m, &len);
    ASSERT(len > 0);
    log[len - 1] = '\0';
    char *last = strrchr(log, '\n');
    last = last != NULL ? last + 1 : log;
    for (size_t i = 0; want[i] != NULL; i++) {
        ASSERT_CONTAINS(last, want[i]);
    }
    ASSERT(strstr(log, NATIVE_KEY) == NULL);
    free(log);
}

TEST(embed_mock_openai_float_and_base64)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct embed_result f, b;
    embed_run(&m, "openai", "/v1", "openai/text-embedding-3-small", two, 2,
              NULL, NULL, 1, &f);
    expect_unit(&f, 2);
    ASSERT_STR_EQ(f.model, "text-embedding-3-small");
    ASSERT_EQ(f.usage.prompt_tokens, 4);
    ASSERT_EQ(f.usage.total_tokens, 4);
    ASSERT_EQ(f.usage.completion_tokens, -1);
    const char *want[] = {
        "\"path\":\"/v1/embeddings\"",
        "\"raw_body\":\"{\\\"model\\\":\\\"text-embedding-3-small\\\","
        "\\\"input\\\":[\\\"hello world\\\",\\\"olá mundo\\\"],"
        "\\\"dimensions\\\":8}\"",
        NULL};
    expect_logged(&m, want);
    /* base64 on the wire, the same floats for the caller. */
    embed_run(&m, "openai", "/v1", "openai/text-embedding-3-small", two, 2,
              "base64", NULL, 1, &b);
    expect_unit(&b, 2);
    expect_same(&f, 0, &b, 0);
    expect_same(&f, 1, &b, 1);
    const char *want_b64[] = {"\\\"encoding_format\\\":\\\"base64\\\"", NULL};
    expect_logged(&m, want_b64);
    test_mock_stop(&m);
}

TEST(embed_mock_every_provider)
{
    /* One text, one vector, whichever API carries it. */
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct embed_result o, g1, g2, ol, az, compat;
    embed_run(&m, "openai", "/v1", "openai/text-embedding-3-small", two, 2,
              "base64", NULL, 1, &o);
    expect_unit(&o, 2);

    embed_run(&m, "gemini", "/v1beta", "gemini/gemini-embedding-001", two, 1,
              NULL, NULL, 1, &g1);
    expect_unit(&g1, 1);
    expect_same(&o, 0, &g1, 0);
    const char *want_one[] = {
        "\"path\":\"/v1beta/models/gemini-embedding-001:embedContent\"",
        "\"outputDimensionality\":8", NULL};
    expect_logged(&m, want_one);
    embed_run(&m, "gemini", "/v1beta", "gemini/gemini-embedding-001", two, 2,
              NULL, NULL, 1, &g2);
    expect_unit(&g2, 2);
    expect_same(&o, 1, &g2, 1);
    const char *want_batch[] = {
        "\"path\":\"/v1beta/models/gemini-embedding-001:batchEmbedContents\"",
        "\"model\":\"models/gemini-embedding-001\"", NULL};
    expect_logged(&m, want_batch);

    embed_run(&m, "ollama", "", "ollama/nomic-embed-text", two, 2, NULL, NULL,
              1, &ol);
    expect_unit(&ol, 2);
    expect_same(&o, 0, &ol, 0);
    expect_same(&o, 1, &ol, 1);
    ASSERT_STR_EQ(ol.model, "nomic-embed-text");
    const char *want_oll[] = {"\"path\":\"/api/embed\"", NULL};
    expect_logged(&m, want_oll);

    embed_run(&m, "azure", "", "azure/embed-prod", two, 2, NULL, NULL, 1, &az);
    expect_unit(&az, 2);
    expect_same(&o, 1, &az, 1);
    const char *want_az[] = {
        "\"path\":\"/openai/deployments/embed-prod/embeddings\"",
        "\"api-key\":\"***\"", NULL};
    expect_logged(&m, want_az);

    embed_run(&m, "together", "/v1", "together/BAAI/bge-base-en-v1.5", two, 2,
              NULL, NULL, 1, &compat);
    expect_unit(&compat, 2);
    expect_same(&o, 0, &compat, 0);
    ASSERT_STR_EQ(compat.model, "BAAI/bge-base-en-v1.5");
    test_mock_stop(&m);
}

TEST(embed_mock_errors_and_retry)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct embed_result r;
    embed_run(&m, "openai", "/v1", "openai/text-embedding-3-small", two, 2,
              NULL, "status=429", 1, &r);
    ASSERT_EQ(r.status, LLMIO_E_RATE_LIMIT);
    ASSERT_EQ(r.err.http_status, 429);
    embed_run(&m, "gemini", "/v1beta", "gemini/gemini-embedding-001", two, 2,
              NULL, "status=503", 1, &r);
    ASSERT_EQ(r.status, LLMIO_E_OVERLOADED);
    ASSERT_STR_EQ(r.err.provider_type, "UNAVAILABLE");
    /* A transient failure is retried like a chat. */
    embed_run(&m, "ollama", "", "ollama/nomic-embed-text", two, 2, NULL,
              "fail-first=1;key=embed-retry", 2, &r);
    expect_unit(&r, 2);
    ASSERT_EQ(r.attempts, 2);
    test_mock_stop(&m);
}

TEST(embed_submit_refusals)
{
    /* Refused before anything is sent: no future, the field named. */
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    llmio_future *f = NULL;
    llmio_error err;

    llmio_request *r = llmio_request_new("anthropic/claude-sonnet-4-5");
    ASSERT_OK(llmio_request_add_input(r, "x"));
    ASSERT_EQ(llmio_submit(c, r, NULL, NULL, &f, &err), LLMIO_E_UNSUPPORTED);
    ASSERT_NULL(f);
    ASSERT_CONTAINS(err.message, "input: anthropic has no embeddings API");
    llmio_request_free(r);

    r = llmio_request_new("openai/text-embedding-3-small");
    ASSERT_OK(llmio_request_set_dimensions(r, 8));
    ASSERT_EQ(llmio_submit(c, r, NULL, NULL, &f, &err), LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "input: at least one input is required");
    ASSERT_OK(llmio_request_add_input(r, "x"));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "hi"));
    ASSERT_EQ(llmio_submit(c, r, NULL, NULL, &f, &err), LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "messages:");
    llmio_request_free(r);

    r = llmio_request_new("openai/text-embedding-3-small");
    ASSERT_OK(llmio_request_add_input(r, "x"));
    ASSERT_OK(llmio_request_set_stream(r, NULL, true));
    ASSERT_EQ(llmio_submit(c, r, NULL, NULL, &f, &err), LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "stream:");
    llmio_request_free(r);

    r = llmio_request_new("openai/text-embedding-3-small");
    ASSERT_EQ(llmio_request_add_input(r, ""), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_submit(c, r, NULL, NULL, &f, &err), LLMIO_E_INVALID);
    ASSERT_CONTAINS(err.message, "input[0]: empty");
    llmio_request_free(r);
    ASSERT_EQ(llmio_client_pending(c), 0);
    llmio_client_free(c);
}

TEST(embed_mock_fallback_and_hedge)
{
    /* An embedding request runs through the routing layer like a chat:
     * a failing model falls back to another provider's embeddings, a slow
     * one is hedged, and freeing it mid-flight cancels cleanly. */
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    char url[160];
    snprintf(url, sizeof url, "%s/v1", m.url);
    ASSERT_OK(llmio_client_set_base_url(c, "openai", url));
    ASSERT_OK(llmio_client_set_base_url(c, "ollama", m.url));
    ASSERT_OK(llmio_client_set_api_key(c, "openai", NATIVE_KEY));
    ASSERT_OK(llmio_client_set_retry(c, 1, 0, 0, 0));

    llmio_request *r = llmio_request_new("openai/mock-500");
    ASSERT_OK(llmio_request_add_input(r, "hello world"));
    ASSERT_OK(llmio_request_set_dimensions(r, DIM));
    ASSERT_OK(llmio_request_add_fallback(r, "ollama/nomic-embed-text",
                                         LLMIO_FALLBACK_OUTAGE));
    llmio_future *f = NULL;
    ASSERT_OK(llmio_chat(c, r, &f, NULL));
    const llmio_response *resp = llmio_future_response(f);
    ASSERT_STR_EQ(llmio_response_provider(resp), "ollama");
    ASSERT_EQ(llmio_response_embeddings(resp), 1);
    ASSERT_EQ(llmio_response_embedding_dim(resp), DIM);
    llmio_future_free(f);
    llmio_request_free(r);

    /* Hedged: the first request stalls, the hedge answers. */
    r = llmio_request_new("openai/text-embedding-3-small");
    ASSERT_OK(llmio_request_add_input(r, "hello world"));
    ASSERT_OK(llmio_request_set_dimensions(r, DIM));
    ASSERT_OK(llmio_request_add_header(
        r, "X-Mock-Scenario: fail-first=1;ttft=5000;key=embed-hedge"));
    ASSERT_OK(llmio_request_set_hedge(r, LLMIO_HEDGE_FIXED, 100));
    int64_t t0 = test_now_ms();
    ASSERT_OK(llmio_chat(c, r, &f, NULL));
    ASSERT_CMP(test_now_ms() - t0, <, test_is_valgrind() ? 4500 : 2500);
    resp = llmio_future_response(f);
    ASSERT_EQ(llmio_response_embeddings(resp), 1);
    ASSERT_EQ(llmio_response_hedges(resp), 1);
    llmio_future_free(f);

    /* Freed while both requests are in flight: cancelled, no leak, no
     * use after free (the ASan and valgrind runs check). */
    ASSERT_OK(llmio_request_set_hedge(r, LLMIO_HEDGE_FIXED, 10));
    ASSERT_OK(llmio_submit(c, r, NULL, NULL, &f, NULL));
    llmio_future_wait(f, 200);
    llmio_future_free(f);
    llmio_request_free(r);
    llmio_client_free(c);
    test_mock_stop(&m);
}
