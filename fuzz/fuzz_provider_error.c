/*
 * fuzz_provider_error.c - every provider's error-body parsing (parse_error
 * of openai.c, anthropic.c, gemini.c, ollama.c; the compatible rows and
 * Azure share OpenAI's). Byte 0 picks the provider (bits 4-5) and the HTTP
 * status (bits 0-3); the rest is the body. Checks, for each provider, that
 * every llmio_error string comes back NUL-terminated inside its field,
 * that the message is never empty, that the status stays in the table,
 * and that nothing shaped like an API key ("sk-" and six key characters)
 * survives in any field. The stream fuzzers (fuzz_<name>_stream.c) also
 * reach parse_error, without these checks.
 */
#include "providers/provider.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const char *f, size_t cap)
{
    if (memchr(f, '\0', cap) == NULL) {
        abort();
    }
}

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static void check_no_key(const char *s)
{
    for (const char *p = strstr(s, "sk-"); p != NULL;
         p = strstr(p + 1, "sk-")) {
        if (p > s && key_char(p[-1])) {
            continue;
        }
        size_t n = 0;
        while (key_char(p[3 + n])) {
            n++;
        }
        if (n >= 6) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int statuses[] = {400, 401, 403, 404, 409, 413, 418, 422,
                                   429, 500, 502, 503, 504, 529, 302, 0};
    static const struct llmio__provider *const providers[] = {
        &llmio__provider_openai, &llmio__provider_anthropic,
        &llmio__provider_gemini, &llmio__provider_ollama};
    if (size < 1) {
        return 0;
    }
    int status = statuses[data[0] & 15];
    const struct llmio__provider *p = providers[(data[0] >> 4) & 3];
    llmio_error err;
    /* Garbage in every field the provider fills: parse_error must not
     * rely on zeroed input beyond what the engine sets (code, status, an
     * empty or header-given request id, no retry hint). */
    memset(&err, 0xA5, sizeof err);
    err.code = LLMIO_E_HTTP;
    err.http_status = status;
    err.retry_after_ms = -1;
    err.request_id[0] = '\0';
    p->parse_error(status, (const char *)data + 1, size - 1, &err);
    check_field(err.message, sizeof err.message);
    check_field(err.provider_type, sizeof err.provider_type);
    check_field(err.provider_code, sizeof err.provider_code);
    check_field(err.request_id, sizeof err.request_id);
    if (err.message[0] == '\0') {
        abort();
    }
    check_no_key(err.message);
    check_no_key(err.provider_type);
    check_no_key(err.provider_code);
    check_no_key(err.request_id);
    if ((int)err.code < 0 || err.code >= LLMIO_STATUS_COUNT_) {
        abort();
    }
    return 0;
}
