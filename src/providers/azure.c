/*
 * azure.c - Azure OpenAI's addressing: the deployment and v1 URL forms and
 * the "api-key" header, in front of OpenAI's body builder and parsers.
 *
 * Invariants: the wire protocol is OpenAI's, so everything but the target
 * (URL and auth header) is openai.c's, reached through
 * llmio__openai_build_with; the deployment name and api-version go into
 * the URL only after a character check, so neither can add a path
 * segment or a query parameter.
 * Owns: nothing allocated.
 */
#include "common.h"
#include "provider.h"

#include <string.h>

/* The newest GA data-plane version when this was written
 * (compat-providers.md); OPENAI_API_VERSION or the client option
 * "api_version" picks another, and "v1" selects the v1 URL form. */
#define AZURE_DEFAULT_API_VERSION "2024-10-21"

/* Deployment names are letters, digits, '-', '_' and '.'; api-versions
 * are dates with an optional "-preview". Anything else (a '/', '?', '&',
 * '%' or space) would change the URL's meaning. */
static bool url_safe(const char *s)
{
    if (s == NULL || s[0] == '\0') {
        return false;
    }
    for (const char *p = s; *p != '\0'; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
            return false;
        }
    }
    return true;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/*
 * The URL: "<endpoint>/openai/v1/<PATH>" when the api-version is "v1" (or
 * the endpoint already ends in /openai/v1), else
 * "<endpoint>/openai/deployments/<MODEL>/<PATH>?api-version=<v>". An
 * endpoint given with a trailing "/openai" (as some portals show it) is
 * not doubled.
 */
static llmio_status azure_url(const char *model, const char *path,
                              const struct llmio__provider_cfg *cfg,
                              struct llmio__buf *url, llmio_error *err)
{
    const char *base = cfg != NULL ? cfg->base_url : NULL;
    if (base == NULL || base[0] == '\0') {
        llmio__prov_errf(err, LLMIO_E_INVALID,
                         "base_url: azure needs the resource endpoint "
                         "(AZURE_OPENAI_ENDPOINT or "
                         "llmio_client_set_base_url(c, \"azure\", ...))");
        return LLMIO_E_INVALID;
    }
    const char *version = cfg->api_version != NULL && cfg->api_version[0]
                              ? cfg->api_version
                              : AZURE_DEFAULT_API_VERSION;
    if (!url_safe(version)) {
        llmio__prov_errf(err, LLMIO_E_INVALID,
                         "api_version: only letters, digits, '-', '_' and "
                         "'.' are allowed");
        return LLMIO_E_INVALID;
    }
    if (!url_safe(model)) {
        llmio__prov_errf(err, LLMIO_E_INVALID,
                         "model: an azure deployment name has only letters, "
                         "digits, '-', '_' and '.'");
        return LLMIO_E_INVALID;
    }
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/') {
        blen--;
    }
    bool v1 = strcmp(version, "v1") == 0 || ends_with(base, blen, "/openai/v1");
    if (ends_with(base, blen, "/openai/v1")) {
        blen -= strlen("/openai/v1");
    } else if (ends_with(base, blen, "/openai")) {
        blen -= strlen("/openai");
    }
    llmio_status st = llmio__buf_append(url, base, blen);
    if (st == LLMIO_OK && v1) {
        st = llmio__buf_appends(url, "/openai/v1/");
        if (st == LLMIO_OK) {
            st = llmio__buf_appends(url, path);
        }
    } else if (st == LLMIO_OK) {
        const char *parts[] = {"/openai/deployments/", model,  "/", path,
                               "?api-version=",        version};
        for (size_t i = 0; i < 6 && st == LLMIO_OK; i++) {
            st = llmio__buf_appends(url, parts[i]);
        }
    }
    if (st != LLMIO_OK) {
        llmio__prov_errf(err, st, "url: %s", llmio_status_str(st));
    }
    return st;
}

/* Azure's llmio__openai_target_fn: its URL, and the key in "api-key"
 * (no header without a key, so a caller using an Entra ID token adds
 * "Authorization: Bearer ..." with llmio_client_add_header). */
static llmio_status azure_target(const struct llmio_request *r,
                                 const char *model, const char *path,
                                 const struct llmio__provider_cfg *cfg,
                                 struct llmio__http_req *out, llmio_error *err)
{
    llmio_status st = azure_url(model, path, cfg, &out->url, err);
    if (st != LLMIO_OK) {
        return st;
    }
    return llmio__openai_headers(r, cfg->api_key, "api-key", NULL, out, err);
}

static llmio_status azure_build_embed(const struct llmio_request *r,
                                      const char *model,
                                      const struct llmio__provider_cfg *cfg,
                                      struct llmio__http_req *out,
                                      llmio_error *err)
{
    return llmio__openai_embed_with(azure_target, r, model, cfg, out, err);
}

static llmio_status azure_build_request(const struct llmio_request *r,
                                        const char *model,
                                        const struct llmio__provider_cfg *cfg,
                                        struct llmio__http_req *out,
                                        llmio_error *err)
{
    return llmio__openai_build_with(azure_target, r, model, cfg, out, err);
}

const struct llmio__provider llmio__provider_azure = {
    .name = "azure",
    .default_base_url = NULL, /* every resource has its own endpoint */
    .api_key_env = "AZURE_OPENAI_API_KEY",
    .base_url_env = "AZURE_OPENAI_ENDPOINT",
    .api_version_env = "OPENAI_API_VERSION",
    .framing = LLMIO__FRAMING_SSE,
    .state_size = LLMIO__OPENAI_STATE_SIZE,
    .build_request = azure_build_request,
    .parse_body = llmio__openai_parse_body,
    .parse_event = llmio__openai_parse_event,
    .parse_error = llmio__openai_parse_error,
    .build_embed = azure_build_embed,
    .parse_embed = llmio__openai_parse_embed,
    .stream_cleanup = llmio__openai_stream_cleanup,
};
