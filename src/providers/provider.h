/*
 * provider.h - the operations table every provider implements.
 *
 * A provider translates between the unified request/delta model and one
 * wire protocol. It does no I/O and knows nothing about libcurl: it turns a
 * request into HTTP bytes (URL, headers, body) and turns response bytes into
 * llmio_delta values pushed to a sink. The engine frames streams (SSE or
 * NDJSON) and hands each event to the provider. Adding a provider means a new
 * file with one exported `const struct llmio__provider` and a row in the
 * registry (providers/registry.c); engine.c does not change.
 *
 * Non-streaming bodies are also translated into deltas and assembled by the
 * same accumulator (response.c), so a streamed request and a non-streamed
 * one produce the same llmio_response by construction.
 */
#ifndef LLMIO_PROVIDER_H
#define LLMIO_PROVIDER_H

#include "llmio.h"

#include "arena.h"
#include "buf.h"

/* Settings resolved for one request: explicit client settings first, then
 * the environment, then the provider's defaults. Strings are borrowed for
 * the duration of build_request. API_KEY may be NULL (no key configured). */
struct llmio__provider_cfg {
    const char *api_key;
    const char *base_url;     /* without trailing slash */
    const char *organization; /* openai: OpenAI-Organization */
    const char *project;      /* openai: OpenAI-Project */
    const char *api_version;  /* azure, anthropic-version, ... */
};

/* What build_request produces. The engine owns the buffers (initialised
 * before the call, bounded) and sends them as they are. HEADERS holds
 * "Name: value" lines each terminated by '\0'; NHEADERS counts them. */
struct llmio__http_req {
    struct llmio__buf url;
    struct llmio__buf headers;
    size_t nheaders;
    struct llmio__buf body;
};

enum llmio__framing {
    LLMIO__FRAMING_SSE = 0,   /* text/event-stream */
    LLMIO__FRAMING_NDJSON = 1 /* one JSON value per line (Ollama) */
};

/* Receives each delta a provider produces. Returns LLMIO_OK to continue;
 * anything else (e.g. LLMIO_E_ABORTED when a user callback said stop) must
 * make the provider stop and return that status. */
typedef llmio_status (*llmio__delta_sink)(void *ctx, const llmio_delta *d);

/* Per-request stream state: STATE_SIZE bytes, zeroed by the engine before
 * the first event. ARENA is the future's arena, for strings that deltas
 * point to. */
struct llmio__stream_ctx {
    void *state;
    struct llmio__arena *arena;
    llmio__delta_sink sink;
    void *sink_ctx;
    bool done; /* set by the provider when its end-of-stream marker came */
    /* The response being built: embedding parsers store their vectors in
     * it (they have no delta kind). NULL outside the engine. */
    struct llmio_response *resp;
};

struct llmio__provider {
    const char *name;             /* "openai": the model-string prefix */
    const char *default_base_url; /* "https://api.openai.com/v1" */
    const char *api_key_env;      /* "OPENAI_API_KEY" */
    const char *api_key_env_alt;  /* read when API_KEY_ENV is unset or
                                     empty ("GOOGLE_API_KEY"); nullable */
    const char *base_url_env;     /* "OPENAI_BASE_URL" */
    const char *api_version_env;  /* "OPENAI_API_VERSION" (azure); nullable */
    enum llmio__framing framing;
    size_t state_size;

    /* Builds URL, headers (auth included) and body for REQ with MODEL (the
     * part after "provider/"). On a bad request returns LLMIO_E_INVALID and
     * names the field in ERR->message. */
    llmio_status (*build_request)(const struct llmio_request *req,
                                  const char *model,
                                  const struct llmio__provider_cfg *cfg,
                                  struct llmio__http_req *out,
                                  llmio_error *err);

    /* Translates a complete 2xx non-streaming BODY into deltas. A body
     * that is not the expected shape is LLMIO_E_PROTOCOL with ERR set. */
    llmio_status (*parse_body)(struct llmio__stream_ctx *ctx, const char *body,
                               size_t len, llmio_error *err);

    /* Translates one stream event (SSE: TYPE is the event type, DATA the
     * data; NDJSON: TYPE is NULL, DATA one line) into deltas. Sets
     * CTX->done at the provider's end marker. An in-band error event
     * emits LLMIO_DELTA_ERROR and returns the mapped status with ERR set. */
    llmio_status (*parse_event)(struct llmio__stream_ctx *ctx, const char *type,
                                size_t type_len, const char *data,
                                size_t data_len, llmio_error *err);

    /* Fills ERR's provider_type, provider_code and message from an error
     * BODY (which may be empty, HTML or truncated). ERR->code and
     * http_status are already set by the engine; the provider may refine
     * code (e.g. a 400 whose type says context length). */
    void (*parse_error)(int http_status, const char *body, size_t len,
                        llmio_error *err);

    /* Embeddings (both NULL: the provider has none, LLMIO_E_UNSUPPORTED).
     * build_embed builds an embedding request (REQ->is_embedding) as
     * build_request does a chat; parse_embed translates its 2xx body into
     * CTX->resp's vectors, model and usage (embed.c). */
    llmio_status (*build_embed)(const struct llmio_request *req,
                                const char *model,
                                const struct llmio__provider_cfg *cfg,
                                struct llmio__http_req *out, llmio_error *err);
    llmio_status (*parse_embed)(struct llmio__stream_ctx *ctx,
                                const char *body, size_t len,
                                llmio_error *err);

    /* Nullable. Releases what parse_event/parse_body kept in CTX->state
     * (OpenAI: a per-event scratch arena reused across events). The engine
     * calls it once when the request ends, however it ends, if the state
     * was allocated; a zeroed state (no event parsed yet) is fine. */
    void (*stream_cleanup)(struct llmio__stream_ctx *ctx);
};

/* The registry: looks up a provider by name (length-delimited). NULL when
 * unknown. */
const struct llmio__provider *llmio__provider_find(const char *name,
                                                   size_t len);

/* Splits MODEL at the first '/': a known provider prefix selects that
 * provider and *REST points after the slash; a model without '/' is openai.
 * Returns NULL (and names the problem in ERR) for an unknown prefix. */
const struct llmio__provider *llmio__provider_for_model(const char *model,
                                                        const char **rest,
                                                        llmio_error *err);

/* Each provider's table. */
extern const struct llmio__provider llmio__provider_openai;
extern const struct llmio__provider llmio__provider_anthropic;
extern const struct llmio__provider llmio__provider_gemini;
extern const struct llmio__provider llmio__provider_ollama;

/* OpenAI's operations, shared by the OpenAI-compatible rows of the
 * registry (groq, together, ...), which differ only in name, base URL and
 * environment variables. */
llmio_status llmio__openai_build_request(const struct llmio_request *req,
                                         const char *model,
                                         const struct llmio__provider_cfg *cfg,
                                         struct llmio__http_req *out,
                                         llmio_error *err);
llmio_status llmio__openai_parse_body(struct llmio__stream_ctx *ctx,
                                      const char *body, size_t len,
                                      llmio_error *err);
llmio_status llmio__openai_parse_event(struct llmio__stream_ctx *ctx,
                                       const char *type, size_t type_len,
                                       const char *data, size_t data_len,
                                       llmio_error *err);
void llmio__openai_parse_error(int http_status, const char *body, size_t len,
                               llmio_error *err);
void llmio__openai_stream_cleanup(struct llmio__stream_ctx *ctx);
/* Makes CTX's stream parse every event in full, without the repeat-shape
 * fast path (memo.c): the tests and the fuzz target compare the two. */
void llmio__openai_stream_exact(struct llmio__stream_ctx *ctx);
/* An OpenAI-protocol service's addressing: writes OUT's URL for the
 * endpoint PATH ("chat/completions", "embeddings") and the headers
 * (content type, accept, auth). OpenAI's puts the key in "Authorization:
 * Bearer" under <base>/; Azure's (azure.c) in "api-key" under its
 * deployment or v1 URL. LLMIO_E_INVALID naming the setting. */
typedef llmio_status llmio__openai_target_fn(
    const struct llmio_request *req, const char *model, const char *path,
    const struct llmio__provider_cfg *cfg, struct llmio__http_req *out,
    llmio_error *err);
llmio__openai_target_fn llmio__openai_target;
/* The headers every OpenAI-protocol target sends: Content-Type, Accept
 * for a stream, and KEY (nullable; none when empty) as "KEY_HEADER:
 * KEY_PREFIX KEY" (prefix nullable). A key with a line break is
 * LLMIO_E_INVALID naming api_key, never quoting it. */
llmio_status llmio__openai_headers(const struct llmio_request *req,
                                   const char *key, const char *key_header,
                                   const char *key_prefix,
                                   struct llmio__http_req *out,
                                   llmio_error *err);
/* OpenAI's build_request with TARGET's addressing: the same checks and
 * the same body for every OpenAI-protocol service. */
llmio_status llmio__openai_build_with(llmio__openai_target_fn *target,
                                      const struct llmio_request *req,
                                      const char *model,
                                      const struct llmio__provider_cfg *cfg,
                                      struct llmio__http_req *out,
                                      llmio_error *err);
extern const struct llmio__provider llmio__provider_azure;

/* Embeddings (src/providers/embed.c): OpenAI's protocol (every compatible
 * row; Azure through its target), Gemini's embedContent /
 * batchEmbedContents and Ollama's /api/embed. */
llmio_status llmio__openai_build_embed(const struct llmio_request *req,
                                       const char *model,
                                       const struct llmio__provider_cfg *cfg,
                                       struct llmio__http_req *out,
                                       llmio_error *err);
llmio_status llmio__openai_embed_with(llmio__openai_target_fn *target,
                                      const struct llmio_request *req,
                                      const char *model,
                                      const struct llmio__provider_cfg *cfg,
                                      struct llmio__http_req *out,
                                      llmio_error *err);
llmio_status llmio__openai_parse_embed(struct llmio__stream_ctx *ctx,
                                       const char *body, size_t len,
                                       llmio_error *err);
llmio_status llmio__gemini_build_embed(const struct llmio_request *req,
                                       const char *model,
                                       const struct llmio__provider_cfg *cfg,
                                       struct llmio__http_req *out,
                                       llmio_error *err);
llmio_status llmio__gemini_parse_embed(struct llmio__stream_ctx *ctx,
                                       const char *body, size_t len,
                                       llmio_error *err);
llmio_status llmio__ollama_build_embed(const struct llmio_request *req,
                                       const char *model,
                                       const struct llmio__provider_cfg *cfg,
                                       struct llmio__http_req *out,
                                       llmio_error *err);
llmio_status llmio__ollama_parse_embed(struct llmio__stream_ctx *ctx,
                                       const char *body, size_t len,
                                       llmio_error *err);

/* Gemini's and Ollama's addressing (URL for SUFFIX / PATH, auth and
 * content headers), shared by their chat and embedding builders. Gemini:
 * <base>/models/<model><SUFFIX> (a "models/..." or "tunedModels/..."
 * model is a resource name already). Ollama: <host><PATH>, a bare
 * host:port getting http://. */
llmio_status llmio__gemini_target(const struct llmio_request *req,
                                  const char *model, const char *suffix,
                                  const struct llmio__provider_cfg *cfg,
                                  struct llmio__http_req *out,
                                  llmio_error *err);
/* Whether a Gemini MODEL is a resource name already ("models/...",
 * "tunedModels/..."), not an id that needs "models/" in front. */
bool llmio__gemini_is_resource(const char *model);
llmio_status llmio__ollama_target(const struct llmio_request *req,
                                  const char *path,
                                  const struct llmio__provider_cfg *cfg,
                                  struct llmio__http_req *out,
                                  llmio_error *err);
/* Bytes of OpenAI's stream state (checked against its struct in
 * openai.c); a constant so registry rows can be static initialisers. */
#define LLMIO__OPENAI_STATE_SIZE 256

/* Number of registry rows and row I (for tests and the CLI's listing):
 * NAME is the model prefix, which may be an alias of the provider's own
 * name (e.g. "together_ai" for "together"). */
size_t llmio__provider_count(void);
const struct llmio__provider *llmio__provider_at(size_t i, const char **name);

#endif
