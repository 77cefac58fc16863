/*
 * registry.c - maps a model-string prefix ("openai", "groq", ...) to the
 * provider that speaks its wire protocol.
 *
 * Invariants: the table is static and read-only (safe from any thread);
 * prefixes are unique; an OpenAI-compatible service is a row whose
 * operations are OpenAI's and whose name, base URL and environment
 * variables are its own (reference/compat-providers.md), so adding one
 * touches nothing but this file. Aliases (LiteLLM's spellings such as
 * "together_ai") are extra rows pointing at the same provider.
 * Owns: nothing allocated.
 */
#include "provider.h"

#include <stdio.h>
#include <string.h>

/* An OpenAI-protocol provider: only the data differs from OpenAI's row. */
#define OPENAI_COMPAT(name_, url_, key_env_, url_env_)                         \
    {                                                                          \
        .name = (name_), .default_base_url = (url_),                           \
        .api_key_env = (key_env_), .base_url_env = (url_env_),                 \
        .framing = LLMIO__FRAMING_SSE, .state_size = LLMIO__OPENAI_STATE_SIZE, \
        .build_request = llmio__openai_build_request,                          \
        .parse_body = llmio__openai_parse_body,                                \
        .parse_event = llmio__openai_parse_event,                              \
        .parse_error = llmio__openai_parse_error,                              \
        .build_embed = llmio__openai_build_embed,                              \
        .parse_embed = llmio__openai_parse_embed,                              \
        .stream_cleanup = llmio__openai_stream_cleanup,                        \
    }

static const struct llmio__provider groq = OPENAI_COMPAT(
    "groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", "GROQ_BASE_URL");
static const struct llmio__provider together =
    OPENAI_COMPAT("together", "https://api.together.xyz/v1", "TOGETHER_API_KEY",
                  "TOGETHER_BASE_URL");
static const struct llmio__provider mistral =
    OPENAI_COMPAT("mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY",
                  "MISTRAL_BASE_URL");
static const struct llmio__provider deepseek =
    OPENAI_COMPAT("deepseek", "https://api.deepseek.com", "DEEPSEEK_API_KEY",
                  "DEEPSEEK_BASE_URL");
static const struct llmio__provider openrouter =
    OPENAI_COMPAT("openrouter", "https://openrouter.ai/api/v1",
                  "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL");
static const struct llmio__provider fireworks =
    OPENAI_COMPAT("fireworks", "https://api.fireworks.ai/inference/v1",
                  "FIREWORKS_API_KEY", "FIREWORKS_BASE_URL");
static const struct llmio__provider xai =
    OPENAI_COMPAT("xai", "https://api.x.ai/v1", "XAI_API_KEY", "XAI_BASE_URL");
/* Perplexity's base has no /v1 (compat-providers.md, tricky case 5). */
static const struct llmio__provider perplexity =
    OPENAI_COMPAT("perplexity", "https://api.perplexity.ai",
                  "PERPLEXITY_API_KEY", "PERPLEXITY_BASE_URL");
static const struct llmio__provider maritaca =
    OPENAI_COMPAT("maritaca", "https://chat.maritaca.ai/api",
                  "MARITACA_API_KEY", "MARITACA_BASE_URL");
/* Local servers: a key is optional, and without one no Authorization
 * header is sent at all. */
static const struct llmio__provider vllm = OPENAI_COMPAT(
    "vllm", "http://localhost:8000/v1", "VLLM_API_KEY", "VLLM_BASE_URL");
static const struct llmio__provider llamacpp =
    OPENAI_COMPAT("llamacpp", "http://localhost:8080/v1", "LLAMA_API_KEY",
                  "LLAMACPP_BASE_URL");
static const struct llmio__provider lmstudio =
    OPENAI_COMPAT("lmstudio", "http://localhost:1234/v1", "LM_STUDIO_API_KEY",
                  "LM_STUDIO_BASE_URL");

struct row {
    const char *name; /* the model prefix */
    const struct llmio__provider *p;
};

static const struct row rows[] = {
    {"openai", &llmio__provider_openai},
    {"anthropic", &llmio__provider_anthropic},
    {"gemini", &llmio__provider_gemini},
    {"ollama", &llmio__provider_ollama},
    {"azure", &llmio__provider_azure},
    {"groq", &groq},
    {"together", &together},
    {"together_ai", &together},
    {"mistral", &mistral},
    {"deepseek", &deepseek},
    {"openrouter", &openrouter},
    {"fireworks", &fireworks},
    {"fireworks_ai", &fireworks},
    {"xai", &xai},
    {"perplexity", &perplexity},
    {"maritaca", &maritaca},
    {"vllm", &vllm},
    {"hosted_vllm", &vllm},
    {"llamacpp", &llamacpp},
    {"lmstudio", &lmstudio},
    {"lm_studio", &lmstudio},
};

#define NROWS (sizeof rows / sizeof rows[0])

size_t llmio__provider_count(void)
{
    return NROWS;
}

const struct llmio__provider *llmio__provider_at(size_t i, const char **name)
{
    if (i >= NROWS) {
        if (name != NULL) {
            *name = NULL;
        }
        return NULL;
    }
    if (name != NULL) {
        *name = rows[i].name;
    }
    return rows[i].p;
}

const struct llmio__provider *llmio__provider_find(const char *name, size_t len)
{
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < NROWS; i++) {
        if (strlen(rows[i].name) == len &&
            memcmp(rows[i].name, name, len) == 0) {
            return rows[i].p;
        }
    }
    return NULL;
}

static void set_err(llmio_error *err, llmio_status code, const char *msg,
                    const char *prefix, size_t prefix_len)
{
    if (err == NULL) {
        return;
    }
    err->code = code;
    /* The prefix is user text: bound it so the message stays readable. */
    int n = prefix_len > 64 ? 64 : (int)prefix_len;
    snprintf(err->message, sizeof err->message, msg, n,
             prefix != NULL ? prefix : "");
}

const struct llmio__provider *llmio__provider_for_model(const char *model,
                                                        const char **rest,
                                                        llmio_error *err)
{
    if (rest != NULL) {
        *rest = NULL;
    }
    if (model == NULL || model[0] == '\0') {
        set_err(err, LLMIO_E_INVALID, "model: required%.*s", "", 0);
        return NULL;
    }
    const char *slash = strchr(model, '/');
    if (slash == NULL) {
        /* A bare model name is OpenAI's (and of any server reached through
         * OPENAI_BASE_URL). */
        if (rest != NULL) {
            *rest = model;
        }
        return &llmio__provider_openai;
    }
    size_t plen = (size_t)(slash - model);
    const struct llmio__provider *p = llmio__provider_find(model, plen);
    if (p == NULL) {
        set_err(err, LLMIO_E_UNSUPPORTED,
                "model: unknown provider \"%.*s\" (the part before the "
                "first '/'; use openai/<model> for other OpenAI-compatible "
                "servers)",
                model, plen);
        return NULL;
    }
    if (slash[1] == '\0') {
        set_err(err, LLMIO_E_INVALID, "model: no model name after \"%.*s/\"",
                model, plen);
        return NULL;
    }
    if (rest != NULL) {
        *rest = slash + 1;
    }
    return p;
}
