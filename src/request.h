/*
 * request.h - the request builder's storage, read by providers and engine.
 *
 * The builder (request.c) validates as it goes and keeps the first error
 * (sticky). Providers serialise it (build_request); the engine reads the
 * transport settings below. Everything is owned by the builder and freed
 * with it; llmio_submit() serialises the request at once, which is the
 * snapshot the STYLE guide asks for (the builder may change afterwards).
 */
#ifndef LLMIO_REQUEST_H
#define LLMIO_REQUEST_H

#include "llmio.h"

#include "retry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum llmio__part_type { LLMIO__PART_TEXT = 0, LLMIO__PART_IMAGE_URL = 1 };

struct llmio__part {
    enum llmio__part_type type;
    char *text;   /* TEXT */
    char *url;    /* IMAGE_URL */
    char *detail; /* IMAGE_URL, nullable */
};

struct llmio__tool_call_in {
    char *id;
    char *name;
    char *arguments; /* JSON text */
    char *signature; /* the provider's opaque signature, nullable */
};

struct llmio__message {
    llmio_role role;
    char *content; /* plain text content; NULL when parts or null content */
    struct llmio__part *parts;
    size_t nparts;
    char *name;
    struct llmio__tool_call_in *tool_calls; /* assistant */
    size_t ntool_calls;
    char *tool_call_id; /* tool */
};

struct llmio__tool_def {
    char *name;
    char *description; /* nullable */
    char *parameters;  /* JSON text, nullable */
};

struct llmio__raw_field {
    char *key;
    char *json;
};

/* Fallback models a request may name (llmio_request_add_fallback). */
#define LLMIO__MAX_FALLBACKS 8

struct llmio_request {
    const llmio_allocator *alloc;
    llmio_status error;  /* sticky first error */
    char error_msg[256]; /* names the field */

    char *model; /* full model string, "provider/model" */

    struct llmio__message *messages;
    size_t nmessages, cap_messages;

    /* Parameters: sent only when the has_ flag is set. */
    bool has_temperature, has_top_p, has_max_tokens, has_max_completion_tokens,
        has_n, has_seed, has_logprobs;
    double temperature, top_p;
    int64_t max_tokens, max_completion_tokens, seed;
    int n;
    bool logprobs;
    int top_logprobs;
    char *stop[4];
    size_t nstop;
    char *user;

    struct llmio__tool_def *tools;
    size_t ntools, cap_tools;
    char *tool_choice; /* "auto" | "none" | "required" | function name */

    char *response_format_type; /* NULL when unset */
    char *response_format_name;
    char *response_format_schema;
    bool response_format_strict;

    struct llmio__raw_field *raw;
    size_t nraw, cap_raw;

    /* Transport settings read by the engine. */
    char **headers; /* "Name: value" */
    size_t nheaders, cap_headers;
    int64_t timeouts_ms[4]; /* by llmio_timeout_kind; 0 = client default */
    struct llmio__retry_override retry; /* fields < 0: the client's */

    bool stream;
    bool include_usage;
    llmio_stream_cb stream_cb; /* NULL with stream: pull mode */

    /* The embedding kind (src/embed.c): set by any embedding setter;
     * INPUTS replace the messages. */
    bool is_embedding;
    char **inputs;
    size_t ninputs, cap_inputs;
    int64_t dimensions;    /* 0: not set */
    char *encoding_format; /* "float" | "base64"; NULL: not sent */
    char *task_type;       /* Gemini taskType; NULL: not sent */

    /* Fallbacks and hedging (route.c applies them at submit). */
    struct llmio__fallback {
        char *model;
        unsigned on; /* llmio_fallback_on bits */
    } fallbacks[LLMIO__MAX_FALLBACKS];
    size_t nfallbacks;
    bool has_hedge; /* else the client's default */
    llmio_hedge_mode hedge_mode;
    int64_t hedge_delay_ms;
};

/* llmio_request_new with an explicit allocator (NULL: libc): lets a client
 * or a test (allocation torture) choose where the builder's memory comes
 * from. */
llmio_request *llmio__request_new_with(const llmio_allocator *alloc,
                                       const char *model);

/* Every setter starts here: a NULL builder or an earlier error stops it. */
#define LLMIO__REQUEST_ENTER(r)                                                \
    do {                                                                       \
        if ((r) == NULL) {                                                     \
            return LLMIO_E_INVALID;                                            \
        }                                                                      \
        if ((r)->error != LLMIO_OK) {                                          \
            return (r)->error;                                                 \
        }                                                                      \
    } while (0)

/* The builder's sticky-error helpers, for builders outside request.c
 * (embed.c, request_json.c): record ST with a message naming the field as
 * R's first error, unless R already has one (returns R's error); copy a
 * string (UTF-8 checked, NULL an error when REQUIRED). */
llmio_status llmio__request_fail(struct llmio_request *r, llmio_status st,
                                 const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
llmio_status llmio__request_copy_str(struct llmio_request *r,
                                     const char *field, const char *s,
                                     bool required, char **out);
/* Releases the embedding fields (embed.c), from llmio_request_free. */
void llmio__request_embed_free(struct llmio_request *r);

/* Session support (request_copy.c, session.c). Copy into DST, through
 * the public setters, every setting of SRC but its model and messages
 * (an embedding SRC is refused), or one message M; either returns DST's
 * sticky error. Truncate drops R's messages from N on (no-op when N is
 * not below the count); it leaves R's error as it is. */
llmio_status llmio__request_copy_settings(struct llmio_request *dst,
                                          const struct llmio_request *src);
llmio_status llmio__request_copy_message(struct llmio_request *dst,
                                         const struct llmio__message *m);
void llmio__request_truncate(struct llmio_request *r, size_t n);

/* Whether the JSON text has a top-level field KEY overridden by
 * llmio_request_set_raw() (providers skip their own field then). */
bool llmio__request_has_raw(const struct llmio_request *r, const char *key);


#endif
