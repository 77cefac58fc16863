/* test-embed.c - embedding requests and responses on the wire (src/
 * providers/embed.c) and the builder's embedding setters (src/embed.c):
 * golden requests per provider (OpenAI, a compatible row, Azure, Gemini
 * one and batch, Ollama), recorded bodies -> vectors (float, base64
 * little-endian, out of order), wrong shapes named, allocation torture.
 * Data in tests/data/providers/<name>/embed-<case>/. */
#include "provider-harness.h"

#include "arena.h"
#include "response.h"

#include <stdlib.h>
#include <string.h>

static char *two_inputs[] = {(char *)"olá mundo", (char *)"hello world"};

static struct llmio_request *embed_req(const char *model, size_t n)
{
    struct llmio_request *r = ph_req_new(model);
    r->is_embedding = true;
    r->inputs = two_inputs;
    r->ninputs = n;
    return r;
}

TEST(embed_build_openai)
{
    /* Every field: input as an array, encoding_format, dimensions, user,
     * then a raw field. */
    struct llmio_request *r = embed_req("openai/text-embedding-3-small", 2);
    r->dimensions = 4;
    r->encoding_format = (char *)"base64";
    r->user = (char *)"user-7";
    r->task_type = (char *)"RETRIEVAL_QUERY"; /* no OpenAI field */
    ph_raw(r, "extra", "{\"a\":1}");
    struct ph_build b = {.build = llmio__openai_build_embed};
    ph_check_build_with(&llmio__provider_openai, r, &b, "embed-basic");
    ph_torture_build_with(&llmio__provider_openai, r, &b);
    ph_req_free(r);
}

TEST(embed_build_compat_and_azure)
{
    /* A compatible row: its own base URL (Mistral), OpenAI's body. */
    const char *rest;
    const struct llmio__provider *mistral =
        llmio__provider_for_model("mistral/mistral-embed", &rest, NULL);
    ASSERT_NOT_NULL(mistral);
    ASSERT(mistral->build_embed == llmio__openai_build_embed);
    ASSERT(mistral->parse_embed == llmio__openai_parse_embed);
    struct llmio_request *r = embed_req("mistral/mistral-embed", 1);
    struct ph_build b = {.build = mistral->build_embed};
    ph_check_build_with(mistral, r, &b, "embed-one");
    ph_req_free(r);

    /* Azure: the deployment's /embeddings with api-version, api-key. */
    r = embed_req("azure/embed-prod", 2);
    r->dimensions = 256;
    struct ph_build az = {.base_url = "https://contoso-ai.openai.azure.com",
                          .build = llmio__provider_azure.build_embed};
    ph_check_build_with(&llmio__provider_azure, r, &az, "embed");
    ASSERT(llmio__provider_azure.parse_embed == llmio__openai_parse_embed);
    ph_req_free(r);
}

TEST(embed_build_gemini)
{
    /* One input: embedContent without a model in the body. */
    struct llmio_request *r = embed_req("gemini/gemini-embedding-001", 1);
    r->task_type = (char *)"RETRIEVAL_DOCUMENT";
    r->dimensions = 768;
    r->encoding_format = (char *)"base64"; /* no Gemini field */
    r->user = (char *)"u";                 /* no Gemini field */
    struct ph_build b = {.build = llmio__gemini_build_embed};
    ph_check_build_with(&llmio__provider_gemini, r, &b, "embed-one");
    /* Several: batchEmbedContents, each request naming the model. */
    r->ninputs = 2;
    ph_check_build_with(&llmio__provider_gemini, r, &b, "embed-batch");
    ph_torture_build_with(&llmio__provider_gemini, r, &b);
    /* A resource name is used as is. */
    r->model = (char *)"gemini/models/text-embedding-004";
    r->task_type = NULL;
    r->dimensions = 0;
    ph_check_build_with(&llmio__provider_gemini, r, &b, "embed-resource");
    ph_req_free(r);
}

TEST(embed_build_ollama)
{
    struct llmio_request *r = embed_req("ollama/nomic-embed-text", 2);
    r->dimensions = 512;
    r->user = (char *)"u"; /* no Ollama field */
    struct ph_build b = {.base_url = "localhost:11434",
                         .build = llmio__ollama_build_embed};
    ph_check_build_with(&llmio__provider_ollama, r, &b, "embed");
    ph_req_free(r);
}

TEST(embed_build_errors)
{
    struct ph_build b = {.build = llmio__openai_build_embed};
    struct llmio_request *r = embed_req("openai/text-embedding-3-small", 0);
    ph_check_build_error_with(&llmio__provider_openai, r, &b, LLMIO_E_INVALID,
                              "input: at least one input is required");
    r->ninputs = 1;
    ph_msg(r, LLMIO_ROLE_USER, "hi");
    ph_check_build_error_with(&llmio__provider_openai, r, &b, LLMIO_E_INVALID,
                              "messages: an embedding request");
    r->nmessages = 0;
    r->stream = true;
    ph_check_build_error_with(&llmio__provider_openai, r, &b, LLMIO_E_INVALID,
                              "stream: embeddings are not streamed");
    r->stream = false;
    struct ph_build g = {.build = llmio__gemini_build_embed};
    static char *many[101];
    for (size_t i = 0; i < 101; i++) {
        many[i] = (char *)"x";
    }
    r->inputs = many;
    r->ninputs = 101;
    r->model = (char *)"gemini/gemini-embedding-001";
    ph_check_build_error_with(&llmio__provider_gemini, r, &g, LLMIO_E_INVALID,
                              "input: gemini embeds at most 100 inputs per "
                              "request (got 101)");
    r->inputs = two_inputs;
    r->ninputs = 1;
    r->model = (char *)"gemini/bad?model";
    ph_check_build_error_with(&llmio__provider_gemini, r, &g, LLMIO_E_INVALID,
                              "model");
    ph_req_free(r);
    /* Anthropic has no embeddings API. */
    ASSERT_NULL(llmio__provider_anthropic.build_embed);
    ASSERT_NULL(llmio__provider_anthropic.parse_embed);
}

TEST(embed_builder_setters)
{
    /* Each bad value is a sticky LLMIO_E_INVALID naming its field. */
    static const struct {
        int which;
        const char *arg;
        int64_t n;
        const char *field;
    } cases[] = {
        {0, "", 0, "input[1]: empty"},
        {0, NULL, 0, "input[1]: required"},
        {0, "\xff\xfe", 0, "input[1]: not valid UTF-8"},
        {1, NULL, 0, "dimensions: must be 1 to 65536"},
        {1, NULL, 65537, "dimensions:"},
        {1, NULL, -3, "dimensions:"},
        {2, "int8", 0, "encoding_format:"},
        {2, NULL, 0, "encoding_format:"},
        {3, "retrieval_query", 0, "task_type:"},
        {3, "", 0, "task_type:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmio_request *r = llmio_request_new("openai/text-embedding-3-small");
        ASSERT_OK(llmio_request_add_input(r, "first"));
        llmio_status st = LLMIO_OK;
        switch (cases[i].which) {
        case 0:
            st = llmio_request_add_input(r, cases[i].arg);
            break;
        case 1:
            st = llmio_request_set_dimensions(r, cases[i].n);
            break;
        case 2:
            st = llmio_request_set_encoding_format(r, cases[i].arg);
            break;
        default:
            st = llmio_request_set_task_type(r, cases[i].arg);
            break;
        }
        ASSERT_EQ(st, LLMIO_E_INVALID);
        llmio_error err;
        ASSERT_EQ(llmio_request_error(r, &err), LLMIO_E_INVALID);
        ASSERT_CONTAINS(err.message, cases[i].field);
        /* Sticky: a good call now reports the first error. */
        ASSERT_EQ(llmio_request_add_input(r, "x"), LLMIO_E_INVALID);
        llmio_request_free(r);
    }
    llmio_request *r = llmio_request_new("openai/x");
    ASSERT_OK(llmio_request_set_dimensions(r, 1));
    ASSERT_OK(llmio_request_set_dimensions(r, 65536));
    ASSERT_OK(llmio_request_set_encoding_format(r, "float"));
    ASSERT_OK(llmio_request_set_encoding_format(r, "base64"));
    ASSERT_OK(llmio_request_set_task_type(r, "CODE_RETRIEVAL_QUERY"));
    for (int i = 0; i < 2048; i++) {
        ASSERT_OK(llmio_request_add_input(r, "x"));
    }
    ASSERT_EQ(llmio_request_add_input(r, "x"), LLMIO_E_INVALID);
    llmio_error err;
    llmio_request_error(r, &err);
    ASSERT_CONTAINS(err.message, "input: at most 2048 inputs");
    llmio_request_free(r);
}

/* ------------------------------------------------------------------ */
/* Responses                                                            */
/* ------------------------------------------------------------------ */

/* Runs P's parse_embed on BODY into a fresh response; returns the status
 * and a dump ("n=2 dim=4 model=M prompt=6 total=6" then one line per
 * vector, %.9g values) in *DUMP (malloc'd) on success. */
static llmio_status run_parse(const struct llmio__provider *p,
                              const llmio_allocator *alloc, const char *body,
                              size_t len, char **dump, llmio_error *err)
{
    struct llmio__arena arena;
    llmio__arena_init(&arena, alloc, 0);
    struct llmio_response resp;
    llmio__response_init(&resp, alloc, &arena, p->name, 1 << 20);
    struct llmio__stream_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.arena = &arena;
    ctx.resp = &resp;
    memset(err, 0, sizeof *err);
    llmio_status st = p->parse_embed(&ctx, body, len, err);
    if (dump != NULL) {
        *dump = NULL;
    }
    if (st == LLMIO_OK && dump != NULL) {
        struct llmio__buf b;
        llmio__buf_init(&b, NULL, 0);
        char line[128];
        llmio_usage u = llmio_response_usage(&resp);
        snprintf(line, sizeof line,
                 "n=%zu dim=%zu model=%s prompt=%lld "
                 "total=%lld\n",
                 llmio_response_embeddings(&resp),
                 llmio_response_embedding_dim(&resp),
                 llmio_response_model(&resp) ? llmio_response_model(&resp)
                                             : "(none)",
                 (long long)u.prompt_tokens, (long long)u.total_tokens);
        ASSERT_OK(llmio__buf_appends(&b, line));
        for (size_t i = 0; i < llmio_response_embeddings(&resp); i++) {
            const float *v = llmio_response_embedding(&resp, i);
            ASSERT_NOT_NULL(v);
            for (size_t k = 0; k < llmio_response_embedding_dim(&resp); k++) {
                snprintf(line, sizeof line, "%s%.9g", k ? " " : "",
                         (double)v[k]);
                ASSERT_OK(llmio__buf_appends(&b, line));
            }
            ASSERT_OK(llmio__buf_appendc(&b, '\n'));
        }
        ASSERT_NULL(
            llmio_response_embedding(&resp, llmio_response_embeddings(&resp)));
        *dump = strdup(llmio__buf_cstr(&b));
        llmio__buf_cleanup(&b);
    }
    llmio__response_cleanup(&resp);
    llmio__arena_cleanup(&arena);
    return st;
}

/* CASE's body.json parsed by P must give expected-vectors. */
static void check_case(const struct llmio__provider *p, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/data/providers/%s/%s/body.json", p->name,
             name);
    size_t len;
    char *body = test_read_file(path, &len);
    char *dump;
    llmio_error err;
    llmio_status st = run_parse(p, NULL, body, len, &dump, &err);
    if (st != LLMIO_OK) {
        test_fail_(__FILE__, __LINE__, "%s: %s", name, err.message);
    }
    ph_expect_file(p, name, "expected-vectors", dump);
    free(dump);
    free(body);
}

TEST(embed_parse_openai_cases)
{
    /* Floats (with exponents), base64, items out of index order, and a
     * server that sends base64 for one item and numbers for another. */
    check_case(&llmio__provider_openai, "embed-resp-float");
    check_case(&llmio__provider_openai, "embed-resp-base64");
    check_case(&llmio__provider_openai, "embed-resp-unordered");
    check_case(&llmio__provider_openai, "embed-resp-mixed");
}

TEST(embed_parse_gemini_ollama_cases)
{
    check_case(&llmio__provider_gemini, "embed-resp-one");
    check_case(&llmio__provider_gemini, "embed-resp-batch");
    check_case(&llmio__provider_ollama, "embed-resp");
}

TEST(embed_parse_base64_little_endian)
{
    /* [1.0, -2.0] is 00 00 80 3F 00 00 00 C0 (the reference's example),
     * with and without padding. */
    static const char *const bodies[] = {
        "{\"data\":[{\"index\":0,\"embedding\":\"AACAPwAAAMA=\"}]}",
        "{\"data\":[{\"index\":0,\"embedding\":\"AACAPwAAAMA\"}]}",
    };
    for (size_t i = 0; i < 2; i++) {
        char *dump;
        llmio_error err;
        ASSERT_OK(run_parse(&llmio__provider_openai, NULL, bodies[i],
                            strlen(bodies[i]), &dump, &err));
        ASSERT_STR_EQ(dump, "n=1 dim=2 model=(none) prompt=-1 total=-1\n"
                            "1 -2\n");
        free(dump);
    }
}

TEST(embed_parse_errors)
{
    static const struct {
        const struct llmio__provider *p;
        const char *body, *want;
    } cases[] = {
        {&llmio__provider_openai, "[]", "response body: expected an object"},
        {&llmio__provider_openai, "{\"data\":", "response body"},
        {&llmio__provider_openai, "{}", "data: missing"},
        {&llmio__provider_openai, "{\"data\":{}}",
         "data: expected a non-empty array"},
        {&llmio__provider_openai, "{\"data\":[]}",
         "data: expected a non-empty"},
        {&llmio__provider_openai,
         "{\"data\":[{\"index\":1,\"embedding\":[1]}]}",
         "data[0].index: out of range"},
        {&llmio__provider_openai,
         "{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":0,"
         "\"embedding\":[2]}]}",
         "data[1].index: repeated"},
        {&llmio__provider_openai, "{\"data\":[{\"index\":0}]}",
         "data[0].embedding: missing"},
        {&llmio__provider_openai,
         "{\"data\":[{\"embedding\":[1,2]},{\"embedding\":[1]}]}",
         "data[index 1].embedding: 1 values where the first had 2"},
        {&llmio__provider_openai, "{\"data\":[{\"embedding\":[]}]}",
         "data[index 0].embedding: empty vector"},
        {&llmio__provider_openai, "{\"data\":[{\"embedding\":[1,\"x\"]}]}",
         "data[index 0].embedding: expected numbers only"},
        {&llmio__provider_openai, "{\"data\":[{\"embedding\":[1e999]}]}",
         "out of float range"},
        {&llmio__provider_openai, "{\"data\":[{\"embedding\":\"AAAA*A==\"}]}",
         "not valid base64"},
        {&llmio__provider_openai, "{\"data\":[{\"embedding\":\"AAAA\"}]}",
         "not a multiple of 4 bytes"},
        {&llmio__provider_openai, "{\"data\":[{\"embedding\":7}]}",
         "expected an array or a base64 string"},
        {&llmio__provider_gemini, "{}", "embeddings: missing"},
        {&llmio__provider_gemini, "{\"embedding\":{}}",
         "embedding.values: missing"},
        {&llmio__provider_gemini, "{\"embeddings\":[{\"values\":[1]},{}]}",
         "embeddings[1].values: missing"},
        {&llmio__provider_ollama, "{\"embeddings\":[]}",
         "embeddings: expected a non-empty array"},
        {&llmio__provider_ollama, "{\"embeddings\":[[1],[1,2]]}",
         "embeddings[1]: 2 values where the first had 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmio_error err;
        llmio_status st = run_parse(cases[i].p, NULL, cases[i].body,
                                    strlen(cases[i].body), NULL, &err);
        ASSERT_EQ(st, LLMIO_E_PROTOCOL);
        ASSERT_EQ(err.code, LLMIO_E_PROTOCOL);
        ASSERT_CONTAINS(err.message, cases[i].want);
    }
}

struct fail_after {
    long left;
    bool failed;
};

static void *fa_malloc(size_t n, void *u)
{
    struct fail_after *f = u;
    if (f->left-- <= 0) {
        f->failed = true;
        return NULL;
    }
    return malloc(n);
}

static void *fa_realloc(void *p, size_t n, void *u)
{
    struct fail_after *f = u;
    if (f->left-- <= 0) {
        f->failed = true;
        return NULL;
    }
    return realloc(p, n);
}

static void fa_free(void *p, void *u)
{
    (void)u;
    free(p);
}

TEST(embed_parse_torture)
{
    /* Allocation N fails for N = 0, 1, ...: each step NOMEM or the full
     * result, never a crash or a leak (valgrind / ASan runs check). */
    size_t len;
    char *body = test_read_file(
        "tests/data/providers/openai/embed-resp-unordered/body.json", &len);
    char *want;
    llmio_error err;
    ASSERT_OK(run_parse(&llmio__provider_openai, NULL, body, len, &want, &err));
    for (long n = 0;; n++) {
        struct fail_after f = {n, false};
        llmio_allocator a = {fa_malloc, fa_realloc, fa_free, &f, {0}};
        char *got = NULL;
        llmio_status st =
            run_parse(&llmio__provider_openai, &a, body, len, &got, &err);
        if (!f.failed) {
            ASSERT_OK(st);
            ASSERT_STR_EQ(got, want);
            free(got);
            break;
        }
        ASSERT(st == LLMIO_OK || st == LLMIO_E_NOMEM);
        free(got);
        ASSERT_CMP(n, <, 10000);
    }
    free(want);
    free(body);
}
