/*
 * response.h - llmio_response storage and the delta accumulator.
 *
 * Every response, streamed or not, is built by feeding deltas to
 * llmio__response_add (providers translate non-streaming bodies into deltas
 * too), then llmio__response_finish. All memory comes from the response's
 * arena, released in one step with the owning future.
 */
#ifndef LLMIO_RESPONSE_H
#define LLMIO_RESPONSE_H

#include "llmio.h"

#include "arena.h"
#include "buf.h"

struct llmio__tool_call_acc {
    llmio_tool_call pub; /* what llmio_response_tool_call returns */
    struct llmio__buf args;
    int index; /* the provider's tool index */
};

struct llmio__logprob {
    const char *token;
    double logprob;
};

struct llmio__choice {
    bool started;
    struct llmio__buf text;
    bool has_text;
    struct llmio__buf reasoning;
    bool has_reasoning;
    struct llmio__buf refusal;
    bool has_refusal;
    struct llmio__tool_call_acc *tools;
    size_t ntools, cap_tools;
    struct llmio__logprob *logprobs;
    size_t nlogprobs, cap_logprobs;
    llmio_finish_reason finish;
    const char *finish_raw;
};

struct llmio_response {
    const llmio_allocator *alloc;
    struct llmio__arena *arena; /* borrowed: the future's arena */
    size_t max_bytes;           /* bound on accumulated text per buffer */
    const char *provider;       /* static string */
    const char *id;
    const char *model;
    int64_t created;
    struct llmio__choice *choices;
    size_t nchoices, cap_choices;
    llmio_usage usage;
    const char *json; /* raw body, or assembled JSON after finish */
    size_t json_len;
    struct llmio__buf json_buf; /* holds the assembled JSON of a stream */
    bool finished;

    /* An embedding response (embed.c): NEMB vectors of EMB_DIM floats
     * each, contiguous, in the arena. */
    const float *emb;
    size_t nemb, emb_dim;
    /* Set when the future completes (future.c, route.c): the model string
     * as requested, its place in the fallback list, hedges that lost. */
    const char *served_by;
    int served_index;
    int hedges;
};

/* Bounds on what a (possibly hostile) server can make the accumulator
 * keep: choice indexes (the API's n is 1..128) and tool-call indexes per
 * choice. A delta past them is LLMIO_E_PROTOCOL. */
#define LLMIO__MAX_CHOICES 128
#define LLMIO__MAX_TOOL_CALLS 1024

/* Initialises R with its arena and provider name. MAX_BYTES bounds each
 * accumulated buffer (LLMIO_E_TOO_BIG past it). */
void llmio__response_init(struct llmio_response *r,
                          const llmio_allocator *alloc,
                          struct llmio__arena *arena, const char *provider,
                          size_t max_bytes);

/* Folds one delta into R. Strings the delta points to are copied.
 * TOOL_CALL deltas are keyed by tool_index; a tool_index of -1 (a
 * compatible server that sent no index) starts a new call when tool_id is
 * set and continues the last call otherwise. ERROR deltas are ignored (the
 * engine completes the future with the error). RESTARTED drops everything
 * gathered so far. Returns LLMIO_OK, LLMIO_E_NOMEM, LLMIO_E_TOO_BIG (a
 * buffer passed MAX_BYTES) or LLMIO_E_PROTOCOL (an index out of bounds);
 * after a failure R stays valid and may be cleaned up. */
llmio_status llmio__response_add(struct llmio_response *r,
                                 const llmio_delta *d);

/* Ends accumulation. BODY (nullable) is the non-streaming body kept as the
 * raw JSON (copied into the arena, surrounding whitespace trimmed); without
 * it the chat.completion JSON is assembled from R. Tool calls are ordered
 * by tool_index. A second call does nothing. */
llmio_status llmio__response_finish(struct llmio_response *r, const char *body,
                                    size_t len);

/* Releases buffers not in the arena. */
void llmio__response_cleanup(struct llmio_response *r);

#endif
