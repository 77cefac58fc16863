/* fuzz_embed.c - the embedding response parsers (src/providers/embed.c):
 * the first input byte picks OpenAI's (every compatible row and Azure),
 * Gemini's or Ollama's; the rest is the response body. Every float of a
 * parsed response is read, so ASan catches a vector that is shorter than
 * count x dimension, and a success must leave a consistent response. */
#include "providers/provider.h"
#include "response.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile float fuzz_sink_value;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    static const struct llmio__provider *const ps[3] = {
        &llmio__provider_openai, &llmio__provider_gemini,
        &llmio__provider_ollama};
    const struct llmio__provider *p = ps[data[0] % 3];
    struct llmio__arena arena;
    llmio__arena_init(&arena, NULL, 0);
    struct llmio_response resp;
    llmio__response_init(&resp, NULL, &arena, p->name, 1 << 20);
    struct llmio__stream_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.arena = &arena;
    ctx.resp = &resp;
    llmio_error err;
    memset(&err, 0, sizeof err);
    llmio_status st =
        p->parse_embed(&ctx, (const char *)data + 1, size - 1, &err);
    if (st == LLMIO_OK) {
        size_t n = llmio_response_embeddings(&resp);
        size_t dim = llmio_response_embedding_dim(&resp);
        if (n == 0 || dim == 0) {
            abort();
        }
        float sum = 0;
        for (size_t i = 0; i < n; i++) {
            const float *v = llmio_response_embedding(&resp, i);
            for (size_t k = 0; k < dim; k++) {
                sum += v[k];
            }
        }
        fuzz_sink_value = sum;
    } else if (memchr(err.message, '\0', sizeof err.message) == NULL ||
               err.code != st) {
        abort();
    }
    llmio__response_cleanup(&resp);
    llmio__arena_cleanup(&arena);
    return 0;
}
