/*
 * embed.c - the embedding request kind: its builder setters, the response's
 * vector accessors, and the operations table an embedding request runs
 * with.
 *
 * Invariants: an embedding request is an llmio_request whose is_embedding
 * flag any setter here sets; it shares the builder's sticky first error,
 * headers, timeouts, user and raw fields, and is submitted like a chat
 * (llmio_submit), so retries, limits and cancellation need no second path.
 * Its vectors live in the future's arena (src/providers/embed.c puts them
 * there) and are read back as const float *.
 * Owns: the request's input strings, encoding format and task type
 * (released by llmio__request_embed_free).
 */
#include "client.h"

#include "alloc.h"
#include "request.h"

#include <stdio.h>
#include <string.h>

/* Inputs per request: OpenAI's bound (reference/openai-embeddings.md);
 * the other APIs take fewer or as many, and a caller with more splits
 * them into several requests. */
#define EMBED_MAX_INPUTS 2048
/* Above every model's output size; a typo such as 15360 still passes and
 * the provider names it. */
#define EMBED_MAX_DIMENSIONS 65536

#define ENTER(r) LLMIO__REQUEST_ENTER(r)

void llmio__request_embed_free(struct llmio_request *r)
{
    for (size_t i = 0; i < r->ninputs; i++) {
        llmio__free(r->alloc, r->inputs[i]);
    }
    llmio__free(r->alloc, r->inputs);
    r->inputs = NULL;
    r->ninputs = 0;
    r->cap_inputs = 0;
    llmio__free(r->alloc, r->encoding_format);
    r->encoding_format = NULL;
    llmio__free(r->alloc, r->task_type);
    r->task_type = NULL;
}

LLMIO_API llmio_status llmio_request_add_input(llmio_request *r,
                                               const char *text)
{
    ENTER(r);
    char field[32];
    snprintf(field, sizeof field, "input[%zu]", r->ninputs);
    if (text != NULL && text[0] == '\0') {
        /* Every API rejects an empty input; naming it here beats a 400
         * that does not say which one. */
        return llmio__request_fail(r, LLMIO_E_INVALID, "%s: empty", field);
    }
    if (r->ninputs >= EMBED_MAX_INPUTS) {
        return llmio__request_fail(r, LLMIO_E_INVALID,
                                   "input: at most %d inputs per request",
                                   EMBED_MAX_INPUTS);
    }
    if (r->ninputs == r->cap_inputs) {
        size_t ncap = r->cap_inputs != 0 ? r->cap_inputs * 2 : 8;
        size_t bytes;
        if (llmio__mul_overflows(ncap, sizeof *r->inputs, &bytes)) {
            return llmio__request_fail(r, LLMIO_E_NOMEM, "input: too many");
        }
        char **n = llmio__realloc(r->alloc, r->inputs, bytes);
        if (n == NULL) {
            return llmio__request_fail(r, LLMIO_E_NOMEM,
                                       "input: out of memory");
        }
        r->inputs = n;
        r->cap_inputs = ncap;
    }
    char *copy;
    llmio_status st = llmio__request_copy_str(r, field, text, true, &copy);
    if (st != LLMIO_OK) {
        return st;
    }
    r->inputs[r->ninputs++] = copy;
    r->is_embedding = true;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_dimensions(llmio_request *r, int64_t n)
{
    ENTER(r);
    if (n < 1 || n > EMBED_MAX_DIMENSIONS) {
        return llmio__request_fail(r, LLMIO_E_INVALID,
                                   "dimensions: must be 1 to %d",
                                   EMBED_MAX_DIMENSIONS);
    }
    r->dimensions = n;
    r->is_embedding = true;
    return LLMIO_OK;
}

/* Replaces *SLOT with a copy of V for FIELD (the builder's error rules). */
static llmio_status set_str(llmio_request *r, const char *field, const char *v,
                            char **slot)
{
    char *copy;
    llmio_status st = llmio__request_copy_str(r, field, v, true, &copy);
    if (st != LLMIO_OK) {
        return st;
    }
    llmio__free(r->alloc, *slot);
    *slot = copy;
    r->is_embedding = true;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_encoding_format(llmio_request *r,
                                                         const char *format)
{
    ENTER(r);
    if (format == NULL ||
        (strcmp(format, "float") != 0 && strcmp(format, "base64") != 0)) {
        return llmio__request_fail(r, LLMIO_E_INVALID,
                                   "encoding_format: \"float\" or \"base64\"");
    }
    return set_str(r, "encoding_format", format, &r->encoding_format);
}

LLMIO_API llmio_status llmio_request_set_task_type(llmio_request *r,
                                                   const char *task)
{
    ENTER(r);
    /* Gemini's TaskType names (RETRIEVAL_QUERY, CLUSTERING, ...): checked
     * for shape, not against a list, so new ones need no release. */
    bool ok = task != NULL && task[0] != '\0' && strlen(task) <= 64;
    for (const char *p = task; ok && *p != '\0'; p++) {
        ok = (*p >= 'A' && *p <= 'Z') || *p == '_';
    }
    if (!ok) {
        return llmio__request_fail(r, LLMIO_E_INVALID,
                                   "task_type: upper-case letters and '_', "
                                   "e.g. RETRIEVAL_QUERY");
    }
    return set_str(r, "task_type", task, &r->task_type);
}

/* ---- response accessors ------------------------------------------------ */

LLMIO_API size_t llmio_response_embeddings(const llmio_response *r)
{
    return r != NULL ? r->nemb : 0;
}

LLMIO_API size_t llmio_response_embedding_dim(const llmio_response *r)
{
    return r != NULL ? r->emb_dim : 0;
}

LLMIO_API const float *llmio_response_embedding(const llmio_response *r,
                                                size_t i)
{
    if (r == NULL || r->emb == NULL || i >= r->nemb) {
        return NULL;
    }
    return r->emb + i * r->emb_dim;
}

/* ---- the operations of an embedding request ---------------------------- */

llmio_status llmio__embed_provider(const struct llmio__provider *p,
                                   struct llmio__arena *arena,
                                   const struct llmio__provider **out,
                                   llmio_error *err)
{
    if (p->build_embed == NULL || p->parse_embed == NULL) {
        if (err != NULL) {
            err->code = LLMIO_E_UNSUPPORTED;
            snprintf(err->message, sizeof err->message,
                     "input: %s has no embeddings API", p->name);
        }
        return LLMIO_E_UNSUPPORTED;
    }
    struct llmio__provider *ops = llmio__arena_alloc(arena, sizeof *ops);
    if (ops == NULL) {
        if (err != NULL) {
            err->code = LLMIO_E_NOMEM;
            snprintf(err->message, sizeof err->message, "out of memory");
        }
        return LLMIO_E_NOMEM;
    }
    *ops = *p;
    ops->build_request = p->build_embed;
    ops->parse_body = p->parse_embed;
    /* Embeddings never stream (the builders refuse), so no stream state
     * and no event parser are ever needed. */
    ops->parse_event = NULL;
    ops->stream_cleanup = NULL;
    ops->state_size = 0;
    *out = ops;
    return LLMIO_OK;
}
