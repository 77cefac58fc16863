/*
 * common.h - small helpers shared by the provider translation modules
 * (anthropic.c, gemini.c, ollama.c; open to openai.c): error filling,
 * header lines, data URLs, JSON parsing of bodies and events, usage.
 */
#ifndef LLMIO_PROVIDERS_COMMON_H
#define LLMIO_PROVIDERS_COMMON_H

#include "llmio.h"

#include "arena.h"
#include "json.h"
#include "provider.h"
#include "request.h"

#include <stdbool.h>
#include <stddef.h>

/* All usage fields "not reported" (-1). */
void llmio__prov_usage_init(llmio_usage *u);

/* Copies LEN bytes of S into DST[CAP] NUL-terminated, cutting at a UTF-8
 * character boundary when it does not fit and turning control characters
 * into spaces (the fields are printed on one line). S may be NULL. */
void llmio__prov_copy(char *dst, size_t cap, const char *s, size_t len);

/* Sets ERR->code = CODE and formats ERR->message (truncated). ERR may be
 * NULL. Callers never pass secrets in the arguments. */
void llmio__prov_errf(llmio_error *err, llmio_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends the header line "NAME: VALUE" ('\0'-terminated) to OUT and
 * counts it. LLMIO_OK, LLMIO_E_NOMEM or LLMIO_E_TOO_BIG; LLMIO_E_INVALID
 * when VALUE holds CR or LF (a setting must not inject headers). */
llmio_status llmio__prov_header(struct llmio__http_req *out, const char *name,
                                const char *value);

/* llmio__prov_header with "NAME: PREFIX VALUE" (PREFIX nullable, not
 * checked: a constant such as "Bearer "). */
llmio_status llmio__prov_header_pre(struct llmio__http_req *out,
                                    const char *name, const char *prefix,
                                    const char *value);

/* Splits a "data:<mime>;base64,<payload>" URL. True and the four outputs
 * (pointing into URL) when URL has that shape with a non-empty mime type;
 * false otherwise (an http(s) URL, or a non-base64 data URL). */
bool llmio__prov_data_url(const char *url, const char **mime, size_t *mime_len,
                          const char **data, size_t *data_len);

/* Parses one JSON document from P[0..LEN) into A. A malformed or
 * oversized document is LLMIO_E_PROTOCOL / LLMIO_E_TOO_BIG with ERR
 * naming WHAT ("response body", "stream event"); NOMEM passes through. */
llmio_status llmio__prov_parse(struct llmio__arena *a, const char *p,
                               size_t len, const char *what,
                               const struct llmio__json **out,
                               llmio_error *err);

/* Parses TEXT (nullable) as JSON into A for re-serialisation; *OUT is NULL
 * when TEXT is NULL, empty or not valid JSON. Returns LLMIO_OK or
 * LLMIO_E_NOMEM (the only failure that must stop a builder). */
llmio_status llmio__prov_try_json(struct llmio__arena *a, const char *text,
                                  const struct llmio__json **out);

/* The function name of the assistant tool call with id ID among the first
 * NBEFORE messages of REQ (the latest such call wins), or NULL. Gemini and
 * Ollama key tool results by function name, OpenAI-style requests by id. */
const char *llmio__prov_tool_name(const struct llmio_request *req,
                                  size_t nbefore, const char *id);

/* A string member's value as a NUL-terminated string, or NULL when KEY is
 * absent or not a string. */
const char *llmio__prov_gets(const struct llmio__json *obj, const char *key,
                             size_t *len);

/* An integer member, or -1 when absent, not an integer, or negative. */
int64_t llmio__prov_geti(const struct llmio__json *obj, const char *key);

/* Fills ERR->message from a body that is not the provider's JSON error
 * shape (HTML from a proxy, plain text, truncated JSON): up to 200 bytes,
 * control characters turned into spaces. An empty body leaves the
 * message unchanged. */
void llmio__prov_body_message(llmio_error *err, const char *body, size_t len);

/* Masks API-key-looking tokens in S[0..LEN) in place and returns the new
 * length (never longer; a shorter text is NUL-terminated there). A token
 * is a known key prefix ("sk-", "AIza", "Bearer " ...) at a word start
 * (after any non-identifier character, '*' included) followed by 6+ key
 * characters ('*' included, so a half-masked "sk-abc***xyz" goes whole);
 * it becomes "<prefix>***". Providers and proxies sometimes echo the key. */
size_t llmio__prov_scrub_n(char *s, size_t len);

/* llmio__prov_scrub_n over the NUL-terminated S. */
void llmio__prov_scrub(char *s);

/* Last step of every parse_error: scrubs the text fields and, when no
 * message was found, writes "HTTP <status>: <status text> (WHY)". */
void llmio__prov_error_finish(llmio_error *err, int http_status,
                              bool empty_body);

/* Sets ERR->code to LLMIO_E_CONTEXT_LENGTH when a 400/413 (or an
 * in-band, HTTP 200) error's message contains MARKER, ignoring case: the
 * providers with no machine code for "the prompt is longer than the
 * model's context window" say it only in the message (Anthropic "prompt
 * is too long: N tokens > M maximum", Gemini "The input token count (N)
 * exceeds the maximum number of tokens allowed (M)", vLLM and DeepSeek
 * "This model's maximum context length is N tokens"). Fallbacks to a
 * bigger model key on this status. */
void llmio__prov_mark_context(llmio_error *err, int http_status,
                              const char *marker);

/* An allocator over caller storage (bump, free is a no-op): parse_error
 * runs without the client's allocator and must not touch the heap
 * (llmio_error is filled without allocating). */
struct llmio__prov_stack_heap {
    char *base;
    size_t cap, used;
};
llmio_allocator llmio__prov_stack_alloc(struct llmio__prov_stack_heap *h,
                                        void *mem, size_t cap);

/* Parses an error BODY into A (see llmio__prov_stack_alloc); NULL when it
 * is empty, not JSON or too big for the arena. */
const struct llmio__json *llmio__prov_parse_quiet(struct llmio__arena *a,
                                                  const char *body, size_t len);

/* Fills ERR's provider fields from a parsed error body ROOT (nullable);
 * true when ROOT had the provider's error shape. FALLBACK is the code for
 * an error whose type the provider does not map. */
typedef bool llmio__prov_fill_error_fn(const struct llmio__json *root,
                                       llmio_status fallback, llmio_error *err);

/* The whole parse_error of a JSON provider: clears the provider fields,
 * parses BODY on a stack arena (no heap, see llmio__prov_stack_alloc),
 * lets FILL read it (ERR->code is the fallback), falls back to the raw
 * body text, then llmio__prov_error_finish. ERR may be NULL. */
void llmio__prov_parse_error(int http_status, const char *body, size_t len,
                             llmio_error *err, llmio__prov_fill_error_fn *fill);

/* The per-event parse arena of a streaming provider's state. The state is
 * zeroed by the engine and the client's allocator is reachable only
 * through the stream context, so the arena is set up on the first event.
 * It must be the state's first member: llmio__prov_stream_cleanup finds
 * it at CTX->state. */
struct llmio__prov_scratch {
    struct llmio__arena arena;
    bool ready;
};

/* The scratch arena of SC, initialised on CTX's allocator on first use and
 * emptied: one event's parse tree never outlives the event. */
struct llmio__arena *llmio__prov_scratch_next(struct llmio__prov_scratch *sc,
                                              struct llmio__stream_ctx *ctx);

/* stream_cleanup for a state whose first member is a llmio__prov_scratch. */
void llmio__prov_stream_cleanup(struct llmio__stream_ctx *ctx);

/* Translates one parsed JSON document ROOT (a body, a stream event or
 * line) into deltas, with the provider's stream STATE. */
typedef llmio_status llmio__prov_doc_fn(struct llmio__stream_ctx *ctx,
                                        void *state,
                                        const struct llmio__json *root,
                                        llmio_error *err);

/* parse_body as a document: BODY parsed ("response body" in errors) into
 * an arena of its own, then FN with STATE (the caller's fresh, zeroed
 * state: a body is translated like a one-event stream). */
llmio_status llmio__prov_doc_body(struct llmio__stream_ctx *ctx,
                                  const char *body, size_t len, void *state,
                                  llmio__prov_doc_fn *fn, llmio_error *err);

/* parse_event as a document: DATA parsed (WHAT names it in errors) into
 * the scratch arena at the start of CTX->state, then FN with that state.
 * For APIs whose stream chunks have the shape of a body (Gemini, Ollama)
 * the two share FN. */
llmio_status llmio__prov_doc_event(struct llmio__stream_ctx *ctx,
                                   const char *data, size_t len,
                                   const char *what, llmio__prov_doc_fn *fn,
                                   llmio_error *err);

/* The sampling parameters' key names in one API; a NULL key is a
 * parameter that API does not take here (not written, not counted).
 * RAW_WINS: a raw field with the key's name replaces it (top-level keys;
 * nested ones such as Gemini's generationConfig are never raw). */
struct llmio__prov_sampling_keys {
    const char *temperature, *top_p, *n, *max_tokens, *stop, *seed;
    bool raw_wins;
};

/* Whether REQ sets any parameter K has a key for (an empty object would
 * otherwise be written for a nested group). */
bool llmio__prov_sampling_any(const struct llmio_request *req,
                              const struct llmio__prov_sampling_keys *k);

/* Writes REQ's sampling parameters under K's names, in this order:
 * temperature, top_p, n, max_tokens (max_completion_tokens wins), stop
 * (an array of strings), seed. Request golden files pin the order. */
void llmio__prov_write_sampling(struct llmio__jw *w,
                                const struct llmio_request *req,
                                const struct llmio__prov_sampling_keys *k);

/* Parses tool I's parameters into SCRATCH: *SCHEMA is the object, or NULL
 * when the tool has none. LLMIO_E_INVALID ("tools[I].parameters: not a
 * JSON object") when they are not an object; NOMEM passes through. */
llmio_status llmio__prov_tool_schema(struct llmio__arena *scratch,
                                     const struct llmio_request *req, size_t i,
                                     const struct llmio__json **schema,
                                     llmio_error *err);

/* Writes tool T's "name" and, when set, "description" into the open
 * object W (every API here names them so). */
void llmio__prov_write_tool_name(struct llmio__jw *w,
                                 const struct llmio__tool_def *t);

/* Writes SCHEMA, or an empty object schema when NULL (for APIs whose
 * schema key is required). */
void llmio__prov_write_schema(struct llmio__jw *w,
                              const struct llmio__json *schema);

/* Parses REQ's response_format schema (json_schema mode) into SCRATCH;
 * LLMIO_E_INVALID ("response_format.schema: not a JSON object") when it
 * is missing or not an object; NOMEM passes through. */
llmio_status llmio__prov_format_schema(struct llmio__arena *scratch,
                                       const struct llmio_request *req,
                                       const struct llmio__json **schema,
                                       llmio_error *err);

/* The checks every native build_request starts with: an error the
 * request builder recorded (its message as is), then a model name. */
llmio_status llmio__prov_check_request(const struct llmio_request *req,
                                       const char *model, llmio_error *err);

/* The checks of a native API after llmio__prov_check_request: NAME
 * returns at most MAX_N choices (n > 1 where MAX_N is 1 is
 * LLMIO_E_UNSUPPORTED, "n: NAME returns one choice per request"; n outside
 * 1..MAX_N otherwise LLMIO_E_INVALID) and logprobs are not translated
 * (LLMIO_E_UNSUPPORTED): failing beats a request that silently means
 * something else. */
llmio_status llmio__prov_check_native(const struct llmio_request *req,
                                      const char *model, const char *name,
                                      int max_n, llmio_error *err);

/* Writes REQ's raw fields (caller JSON, key by key) into the open object
 * W: last, so they sit beside the modelled keys they replace. */
void llmio__prov_write_raw(struct llmio__jw *w,
                           const struct llmio_request *req);

/* System and developer messages: APIs with a separate system field lift
 * them out of the turns. */
static inline bool llmio__prov_is_system(const struct llmio__message *m)
{
    return m->role == LLMIO_ROLE_SYSTEM || m->role == LLMIO_ROLE_DEVELOPER;
}

/* Messages sent on the user's side of a turn: tool results are user
 * content in the APIs that alternate user and assistant/model turns. */
static inline bool llmio__prov_is_user_turn(const struct llmio__message *m)
{
    return m->role == LLMIO_ROLE_USER || m->role == LLMIO_ROLE_TOOL;
}

/* What the request writers of one build share (turns.c): the request,
 * the body writer, a scratch arena for parsed JSON (tool arguments and
 * results) and a reusable text buffer. */
struct llmio__prov_writer {
    const struct llmio_request *req;
    struct llmio__jw *w;
    struct llmio__arena *scratch;
    struct llmio__buf *tmp;
};

/* Writes the items of message MI into the open array of its turn. */
typedef llmio_status llmio__prov_message_fn(const struct llmio__prov_writer *pw,
                                            size_t mi, llmio_error *err);

/* How an API names its turns: LIST_KEY ("messages", "contents") holds
 * objects {"role": USER or ASSISTANT, ITEMS_KEY: [...]}; with SHORTHAND a
 * turn of one plain-text message is written as its string (Anthropic). */
struct llmio__prov_turns {
    const char *list_key, *user, *assistant, *items_key;
    bool shorthand;
    llmio__prov_message_fn *message;
};

/* Writes LIST_KEY and the turns of PW->req: each run of non-system
 * messages on one side (user and tool results, or assistant) is one turn,
 * system and developer messages skipped without ending a run (the APIs
 * lift them out). The first failure of T->message is returned. */
llmio_status llmio__prov_write_turns(const struct llmio__prov_writer *pw,
                                     const struct llmio__prov_turns *t,
                                     llmio_error *err);

/* Writes the body of REQ for MODEL into OUT->body with FN (a provider's
 * body writer), giving it a scratch arena and a text buffer on REQ's
 * allocator, released before returning. Finishing the JSON fails on
 * invalid UTF-8 or a non-finite number (LLMIO_E_INVALID); ERR names the
 * body on NOMEM; FN's own errors pass through as it set them. */
typedef llmio_status llmio__prov_body_fn(const struct llmio__prov_writer *pw,
                                         const char *model, llmio_error *err);
llmio_status llmio__prov_build_body(const struct llmio_request *req,
                                    const char *model,
                                    struct llmio__http_req *out,
                                    llmio__prov_body_fn *fn, llmio_error *err);

/* Tool call TI of message MI parsed for an API that sends arguments as an
 * object: *ARGS is the object (in PW->scratch), or NULL for empty
 * arguments (write "{}"). LLMIO_E_INVALID naming
 * "messages[MI].tool_calls[TI].arguments" when they are not an object;
 * NOMEM passes through. */
llmio_status llmio__prov_call_args(const struct llmio__prov_writer *pw,
                                   size_t mi, size_t ti,
                                   const struct llmio__json **args,
                                   llmio_error *err);

/* Writes ARGS from llmio__prov_call_args ("{}" when NULL). */
void llmio__prov_write_args(struct llmio__jw *w,
                            const struct llmio__json *args);

/* A provider's writers for the items of a message: non-empty TEXT, an
 * image URL (data: or http), and a tool call with its parsed ARGS
 * (nullable: empty). */
struct llmio__prov_items {
    void (*text)(struct llmio__jw *w, const char *text);
    void (*image)(struct llmio__jw *w, const char *url);
    void (*call)(struct llmio__jw *w, const struct llmio__tool_call_in *tc,
                 const struct llmio__json *args);
};

/* Writes message MI's content, then its parts in order, then its tool
 * calls through IT (empty text skipped: the APIs reject it). */
llmio_status llmio__prov_write_items(const struct llmio__prov_writer *pw,
                                     size_t mi,
                                     const struct llmio__prov_items *it,
                                     llmio_error *err);

/* Appends the text of M (its content, then its text parts, nothing
 * between them) to B. */
llmio_status llmio__prov_append_text(struct llmio__buf *b,
                                     const struct llmio__message *m);

/* Emits D through CTX's sink. */
static inline llmio_status llmio__prov_emit(struct llmio__stream_ctx *ctx,
                                            const llmio_delta *d)
{
    return ctx->sink(ctx->sink_ctx, d);
}

/* Ends a stream on an in-band error event whose fields the provider has
 * filled into ERR: finishes ERR as parse_error would (status 200, so the
 * text is scrubbed), emits it as an ERROR delta and returns ERR->code, or
 * the sink's failure. The delta's error_type is ERR->provider_type, or
 * NULL when that is empty and NULL_IF_UNTYPED. */
llmio_status llmio__prov_stream_error(struct llmio__stream_ctx *ctx,
                                      llmio_error *err, bool null_if_untyped);

/* Writes BASE_URL + PATH (+ MODEL + SUFFIX, both nullable) into OUT->url.
 * MODEL is inserted as is: model names are path-safe in every API here,
 * and a name with characters outside [A-Za-z0-9._:/@+-=;,~] (RFC 3986
 * path characters without '%') is LLMIO_E_INVALID, so a crafted model
 * cannot add a query, a fragment or an escape. */
llmio_status llmio__prov_url(struct llmio__http_req *out, const char *base,
                             const char *path, const char *model,
                             const char *suffix, llmio_error *err);

#endif
