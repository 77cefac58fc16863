/*
 * fuzz_openai_error.c - OpenAI error bodies (parse_error in
 * src/providers/openai.c): byte 0 picks the HTTP status, the rest is the
 * body. Checks that every llmio_error string comes back NUL-terminated
 * inside its field, that the message is never empty, and that nothing
 * shaped like an API key ("sk-" and six key characters) survives.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int statuses[] = {400, 401, 403, 404, 409, 413, 418, 422,
                                   429, 500, 502, 503, 504, 529, 302, 0};
    if (size < 1) {
        return 0;
    }
    int status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
    llmio_error err;
    /* Garbage in every field: parse_error must not rely on zeroed input
     * beyond what the engine sets. */
    memset(&err, 0xA5, sizeof err);
    err.code = LLMIO_E_HTTP;
    err.http_status = status;
    llmio__provider_openai.parse_error(status, (const char *)data + 1, size - 1,
                                       &err);
    check_field(err.message, sizeof err.message);
    check_field(err.provider_type, sizeof err.provider_type);
    check_field(err.provider_code, sizeof err.provider_code);
    if (err.message[0] == '\0') {
        abort();
    }
    const char *fields[] = {err.message, err.provider_type, err.provider_code};
    for (int k = 0; k < 3; k++) {
        for (const char *p = strstr(fields[k], "sk-"); p != NULL;
             p = strstr(p + 1, "sk-")) {
            if (p > fields[k] && key_char(p[-1])) {
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
    if ((int)err.code < 0 || err.code >= LLMIO_STATUS_COUNT_) {
        abort();
    }
    return 0;
}
