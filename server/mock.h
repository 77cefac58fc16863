/*
 * mock.h - internal declarations shared by the llmio-mock source files.
 *
 * llmio-mock is a fake LLM provider server. It shares no code with the
 * library in src/ on purpose: the two must not be able to hide each other's
 * parsing bugs. Everything here is prefixed mock_. The pure parts (buffers,
 * JSON, the HTTP request parser, scenario directives and the request
 * handlers that turn a request into a response plan) do no socket I/O, so
 * the fuzz target fuzz/fuzz_mock_http.c can drive them directly; server.c
 * owns the sockets, the epoll loop and the timers.
 */
#ifndef MOCK_H
#define MOCK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- memory ------------------------------------------------------------ */

/* Allocation wrappers: an allocation failure ends the process with a
 * message (a test server has no better recovery and must not limp on). */
void *mock_xmalloc(size_t n);
void *mock_xrealloc(void *p, size_t n);
char *mock_xstrdup(const char *s);

/* A growable byte buffer. DATA is always NUL-terminated when non-NULL (the
 * NUL is not counted in LEN) so text helpers can use it directly. */
struct mock_buf {
    char *data;
    size_t len;
    size_t cap;
};

void mock_buf_init(struct mock_buf *b);
void mock_buf_free(struct mock_buf *b);
void mock_buf_reserve(struct mock_buf *b, size_t extra);
void mock_buf_append(struct mock_buf *b, const void *p, size_t n);
void mock_buf_puts(struct mock_buf *b, const char *s);
void mock_buf_putc(struct mock_buf *b, char c);
void mock_buf_printf(struct mock_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void mock_buf_vprintf(struct mock_buf *b, const char *fmt, va_list ap);
/* Removes the first N bytes. */
void mock_buf_consume(struct mock_buf *b, size_t n);
void mock_buf_reset(struct mock_buf *b);
/* Appends S (N bytes) as a quoted JSON string; invalid UTF-8 bytes become
 * U+FFFD so the output is always valid JSON. */
void mock_buf_json_str(struct mock_buf *b, const char *s, size_t n);
/* The same without the quotes, for building one string from pieces. */
void mock_buf_json_esc(struct mock_buf *b, const char *s, size_t n);
/* Appends a NUL-terminated string as a quoted JSON string. */
void mock_buf_json_cstr(struct mock_buf *b, const char *s);
/* Length (1..4) of the valid UTF-8 sequence at S (N >= 1 bytes left), or
 * 0: RFC 3629, no overlongs, surrogates or values above U+10FFFF. One
 * rule for the JSON reader and the JSON writer. */
size_t mock_utf8_len(const unsigned char *s, size_t n);
/* The value of hex digit C, or -1 (JSON \u escapes, %XX in scenarios). */
int mock_hexval(char c);

/* A bump allocator reset once per request: parsed JSON trees, scenario
 * strings and other per-request data live here, so serving a request does
 * not call malloc once the first block is warm. */
struct mock_arena_block;
struct mock_arena {
    struct mock_arena_block *head;
    size_t total;
};

void mock_arena_init(struct mock_arena *a);
void *mock_arena_alloc(struct mock_arena *a, size_t n);
char *mock_arena_strndup(struct mock_arena *a, const char *s, size_t n);
/* Frees all but the first block and rewinds it. */
void mock_arena_reset(struct mock_arena *a);
void mock_arena_free(struct mock_arena *a);

/* ---- JSON --------------------------------------------------------------- */

enum mock_json_type {
    MOCK_JSON_NULL,
    MOCK_JSON_FALSE,
    MOCK_JSON_TRUE,
    MOCK_JSON_NUMBER,
    MOCK_JSON_STRING,
    MOCK_JSON_ARRAY,
    MOCK_JSON_OBJECT
};

/* One value of a parsed tree. Strings are decoded (escapes resolved) and
 * carry a length because they may hold NUL. A number keeps its source text
 * in STR/LEN and its value in NUM. Containers link their members through
 * CHILD and NEXT, and COUNT holds the member count. Object members carry
 * KEY/KEYLEN. */
struct mock_json {
    enum mock_json_type type;
    const char *key;
    size_t keylen;
    const char *str;
    size_t len;
    double num;
    size_t count;
    struct mock_json *child;
    struct mock_json *next;
};

struct mock_json_error {
    size_t offset;
    char msg[96];
};

/*
 * mock_json_parse - parse S (N bytes) as one JSON text into arena A.
 *
 * Strict RFC 8259: no trailing commas, no comments, UTF-8 validated,
 * surrogate pairs checked. Nesting deeper than MAX_DEPTH is an error.
 * Returns the root, or NULL with ERR filled in.
 */
struct mock_json *mock_json_parse(struct mock_arena *a, const char *s, size_t n,
                                  int max_depth, struct mock_json_error *err);
/* Member KEY of object O (last one wins on duplicates), or NULL. */
const struct mock_json *mock_json_get(const struct mock_json *o,
                                      const char *key);
/* True if V is a number with an exact int64 value (no fraction). */
bool mock_json_int(const struct mock_json *v, int64_t *out);
/* Writes V compactly (one line) to B. */
void mock_json_write(struct mock_buf *b, const struct mock_json *v);
/* "string", "integer", "number", "boolean", "array", "object", "null". */
const char *mock_json_kind(const struct mock_json *v);
/* True if V is a string equal to S. */
bool mock_json_streq(const struct mock_json *v, const char *s);

/* ---- HTTP request parser ------------------------------------------------ */

#define MOCK_HTTP_MAX_HEADERS 100

struct mock_http_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* A complete request. Pointers refer into the connection's input buffer
 * (and the parser's body buffer for chunked bodies) and stay valid until
 * the caller feeds the parser again or resets it. */
struct mock_http_req {
    const char *method;
    size_t method_len;
    const char *target; /* path + query as sent */
    size_t target_len;
    const char *path;
    size_t path_len;
    const char *query; /* without '?', may be empty */
    size_t query_len;
    int minor; /* HTTP/1.MINOR */
    struct mock_http_header headers[MOCK_HTTP_MAX_HEADERS];
    size_t nheaders;
    const char *body;
    size_t body_len;
    bool keep_alive;
    bool chunked;
};

enum mock_http_result { MOCK_HTTP_MORE, MOCK_HTTP_DONE, MOCK_HTTP_ERROR };

/* Incremental parser state for one request at a time. The caller passes the
 * bytes buffered since the start of the request on every call (a growing
 * prefix); the parser resumes where it stopped, so a request trickled in
 * one byte at a time costs O(n) overall. */
struct mock_http_parser {
    size_t max_head; /* header block limit (431 beyond) */
    size_t max_body; /* body limit (413 beyond) */
    int state;       /* internal */
    size_t scan;     /* internal: next byte to look at */
    size_t head_len; /* bytes of request line + headers incl. CRLFCRLF */
    size_t content_length;
    size_t chunk_left;    /* internal */
    size_t consumed;      /* set on DONE: bytes this request used */
    bool expect_continue; /* client sent Expect: 100-continue */
    int error_status;     /* set on ERROR: 400, 413, 431, 501, 505 */
    const char *error_msg;
    struct mock_http_req req; /* filled progressively */
    struct mock_buf body;     /* decoded chunked body */
};

void mock_http_parser_init(struct mock_http_parser *p, size_t max_head,
                           size_t max_body);
/* Forgets the current request (keeps buffers) so the next one can start. */
void mock_http_parser_reset(struct mock_http_parser *p);
void mock_http_parser_free(struct mock_http_parser *p);
/*
 * mock_http_feed - continue parsing the request held in BUF[0..LEN).
 *
 * BUF must start at the first byte of the request and hold everything
 * received since (it may move between calls; the parser keeps offsets).
 * Returns MOCK_HTTP_MORE, MOCK_HTTP_DONE (p->req complete, p->consumed set)
 * or MOCK_HTTP_ERROR (p->error_status and p->error_msg set; the connection
 * must be answered and closed).
 */
enum mock_http_result mock_http_feed(struct mock_http_parser *p,
                                     const char *buf, size_t len);
/* Case-insensitive header lookup; NULL if absent. */
const struct mock_http_header *mock_http_header(const struct mock_http_req *r,
                                                const char *name);
/* Value of query parameter NAME (not decoded) or NULL. */
const char *mock_http_query(const struct mock_http_req *r, const char *name,
                            size_t *len);
const char *mock_http_reason(int status);

/* ---- scenarios ---------------------------------------------------------- */

#define MOCK_MAX_TOOLS 16
#define MOCK_MAX_RAW 256

struct mock_tool_call {
    const char *name;
    const char *args; /* JSON object text */
};

struct mock_raw_event {
    const char *data;
    size_t len;
    int delay_ms;
};

/* Everything a request's X-Mock-Scenario / scenario file / model name asked
 * for. -1 means "not set" for the numeric fields. Strings live in the
 * request arena. See server/README.md for the directive language. */
struct mock_scenario {
    const char *spec; /* the directive text applied, for the log */
    int status;
    int fail_first;
    int fail_seq[16]; /* fail-seq: status per attempt, -1 = reset */
    long limit_n;     /* limit=N/S: N requests per S seconds per key */
    long limit_s;
    int nfail_seq;
    const char *key;
    const char *retry_after;
    long retry_after_ms;
    const char *ratelimit_requests; /* "LIMIT,REMAINING,RESET_S" */
    const char *ratelimit_tokens;
    int should_retry; /* -1, 0, 1 */
    const char *extra_headers;
    size_t extra_headers_len;
    const char *body;
    size_t body_len;
    const char *content_type;
    const char *error_message;
    const char *error_type;
    bool html;
    long ttft_ms;
    long tps;
    long header_delay_ms;
    long slow_headers_ms;
    long close_after_events;
    long close_after_bytes;
    long stall_after_events;
    long error_after_events;
    long malformed_event;
    bool rst;
    bool reset;
    long write_size;
    long write_gap_ms;
    bool split_utf8;
    long big_event;
    long max_context; /* max-context=N: prompts over N tokens get the
                         provider's context-window error */
    const char *text;
    size_t text_len;
    const char *reasoning; /* reasoning=: thinking text before the reply */
    size_t reasoning_len;
    long lorem;
    long seed;
    const char *finish;
    struct mock_tool_call tools[MOCK_MAX_TOOLS];
    int ntools;
    struct mock_raw_event raw[MOCK_MAX_RAW];
    int nraw;
    bool has_raw;
    char error[160]; /* set when the directives did not parse */
};

void mock_scenario_init(struct mock_scenario *s);
/*
 * mock_scenario_parse - apply the directives in SPEC (LEN bytes) to S.
 *
 * Directives are separated by ';' or newlines outside quotes and brackets.
 * Strings are copied into A. SCENARIO_DIR (may be NULL) is where "@name"
 * and "file=name" look for NAME.scn. DEPTH guards include loops.
 * Returns false with S->error set on an unknown or malformed directive.
 */
bool mock_scenario_parse(struct mock_scenario *s, struct mock_arena *a,
                         const char *spec, size_t len, const char *scenario_dir,
                         int depth);

/* ---- counters and log --------------------------------------------------- */

#define MOCK_STAT_ENDPOINTS 24
#define MOCK_STAT_WINDOW 60

struct mock_keycount;

struct mock_stats {
    uint64_t total;
    uint64_t by_endpoint[MOCK_STAT_ENDPOINTS];
    uint64_t by_status[600];
    /* Ring buffers of per-second and per-minute request counts; slot is
     * time % MOCK_STAT_WINDOW, tagged with the time it counts. */
    int64_t sec_tag[MOCK_STAT_WINDOW];
    uint64_t sec_count[MOCK_STAT_WINDOW];
    int64_t min_tag[MOCK_STAT_WINDOW];
    uint64_t min_count[MOCK_STAT_WINDOW];
    uint64_t connections;
    uint64_t peak_connections;
    uint64_t accepted;
};

/* Shared state of one server (sockets excluded, so tests and the fuzz
 * target can build one without listening). */
struct mock_ctx {
    const char *api_key;          /* --api-key: only this key is valid */
    const char *scenario_dir;     /* --scenario-dir */
    const char *default_scenario; /* --scenario: applied when none given */
    FILE *log;                    /* --log, or NULL */
    bool quiet;
    size_t max_body;
    uint64_t seq; /* request counter for ids */
    struct mock_stats stats;
    struct mock_keycount **keys; /* fail-first counters, hashed */
    size_t nkeys;
    int64_t (*now_ms)(void); /* wall clock in ms, overridable */
};

void mock_ctx_init(struct mock_ctx *c);
void mock_ctx_cleanup(struct mock_ctx *c);
/* Increments and returns the attempt number for KEY (1 for the first). */
long mock_ctx_attempt(struct mock_ctx *c, const char *key, size_t len);
/* Counts a request for KEY in fixed window number WINDOW and returns the
 * count so far in that window (1 for the first). */
long mock_ctx_window(struct mock_ctx *c, const char *key, size_t len,
                     int64_t window);
void mock_ctx_reset_counters(struct mock_ctx *c);
void mock_stats_count(struct mock_ctx *c, int endpoint, int status);
void mock_stats_json(struct mock_ctx *c, struct mock_buf *b);
const char *mock_endpoint_name(int endpoint);
int64_t mock_wall_ms(void);

/* ---- response plans ----------------------------------------------------- */

enum mock_seg_kind { MOCK_SEG_HEAD, MOCK_SEG_BODY, MOCK_SEG_EVENT };

/* One piece of a response, written once the previous one is fully sent and
 * DELAY_MS has passed. Events are already framed as HTTP chunks. */
struct mock_seg {
    size_t off;
    size_t len;
    long delay_ms;
    enum mock_seg_kind kind;
    bool content; /* a content event (text delta, tool-call fragment) */
};

/* What the server must send for one request, built by mock_handle without
 * any I/O. */
struct mock_plan {
    int status;
    struct mock_buf data;
    struct mock_seg *segs;
    size_t nsegs;
    size_t cap;
    bool close;     /* close the connection after this response */
    bool reset;     /* send an RST instead of any response */
    bool is_stream; /* chunked */
    bool simple;    /* no delays or faults: may be coalesced */
    bool rst_on_close;
    long close_after_events;
    long close_after_bytes;
    long stall_after_events;
    long write_size;
    long write_gap_ms;
    long slow_headers_ms;
    bool split_utf8;
    /* pacing state while building */
    long ttft_ms;
    long interval_ms;
    int ncontent;
    long pending_delay;
};

void mock_plan_init(struct mock_plan *p);
void mock_plan_clear(struct mock_plan *p);
void mock_plan_free(struct mock_plan *p);

/* Request-scoped state handed to the handlers. */
struct mock_call {
    struct mock_ctx *ctx;
    struct mock_arena *arena;
    const struct mock_http_req *req;
    struct mock_plan *plan;
    struct mock_scenario scn;
    const struct mock_json *body; /* parsed body or NULL */
    int endpoint;
    int provider;
    long attempt;
    int64_t now_ms;
    uint64_t id;
    bool scenario_applied;
    bool is_stream;
    bool azure; /* an Azure OpenAI path: api-key auth, OpenAI wire */
    /* response body scratch (arena-free, reused per connection) */
    struct mock_buf *scratch;
    void *scratch_ext; /* handler.c private per-call state */
};

/*
 * mock_handle - turn one parsed request into a response plan.
 *
 * Validates the request as the matching provider would, applies the
 * scenario, fills PLAN, counts the request and writes the log line.
 * SCRATCH is a reusable buffer. Never fails: any problem becomes an HTTP
 * error response in the provider's shape.
 */
void mock_handle(struct mock_ctx *ctx, struct mock_arena *arena,
                 const struct mock_http_req *req, struct mock_plan *plan,
                 struct mock_buf *scratch);
/* Answer for a request the HTTP parser rejected (STATUS, MSG). */
void mock_handle_bad_http(struct mock_ctx *ctx, int status, const char *msg,
                          struct mock_plan *plan);

/* ---- internals shared between handler files ----------------------------- */

enum mock_provider {
    MOCK_P_OPENAI,
    MOCK_P_ANTHROPIC,
    MOCK_P_GEMINI,
    MOCK_P_OLLAMA,
    MOCK_P_MOCK
};

enum mock_endpoint {
    MOCK_EP_OTHER,
    MOCK_EP_OPENAI_CHAT,
    MOCK_EP_OPENAI_EMBED,
    MOCK_EP_OPENAI_MODELS,
    MOCK_EP_ANTHROPIC_MESSAGES,
    MOCK_EP_ANTHROPIC_MODELS,
    MOCK_EP_GEMINI_GENERATE,
    MOCK_EP_GEMINI_STREAM,
    MOCK_EP_GEMINI_EMBED,
    MOCK_EP_GEMINI_BATCH_EMBED,
    MOCK_EP_GEMINI_MODELS,
    MOCK_EP_OLLAMA_CHAT,
    MOCK_EP_OLLAMA_EMBED,
    MOCK_EP_OLLAMA_TAGS,
    MOCK_EP_MOCK,
    MOCK_EP_ANTHROPIC_COUNT,
    MOCK_EP_GEMINI_COUNT
};

enum mock_finish { MOCK_FIN_STOP, MOCK_FIN_LENGTH, MOCK_FIN_TOOLS };

/* The provider-neutral view of a chat request the reply rules use. */
struct mock_conv {
    const char *model;
    size_t model_len;
    const char *echo; /* text of the last user-side message */
    size_t echo_len;
    bool has_tool_result;
    long prompt_tokens;
    long max_tokens; /* -1: none */
    bool stream;
    int n;
    bool include_usage;
    const struct mock_json *stops[8]; /* stop sequences (strings) */
    int nstops;
};

/* The reply every provider then serialises. */
struct mock_reply {
    const char *text;
    size_t len;
    const char *reasoning; /* nullable: thinking text sent before TEXT */
    size_t reasoning_len;
    long completion_tokens;
    enum mock_finish finish;
    const struct mock_tool_call *tools;
    int ntools;
    const char *stop_seq; /* the stop sequence that ended the text */
    size_t stop_seq_len;
};

/* Collects stop sequences from V (a string or an array of strings) into
 * CONV; other values are ignored (validation is the provider's). */
void mock_conv_stops(struct mock_conv *conv, const struct mock_json *v);

/* max-context=N: when the prompt has more than N tokens, sends the
 * provider's "context window exceeded" error and returns true. */
bool mock_context_exceeded(struct mock_call *c, const struct mock_conv *conv);

void mock_make_reply(struct mock_call *c, const struct mock_conv *conv,
                     struct mock_reply *r);
/* Counts whitespace-separated words (the mock's token unit). */
long mock_count_tokens(const char *s, size_t len);
/* Next streaming piece of TEXT from *POS: leading whitespace plus one
 * word. Returns false at the end. */
bool mock_next_piece(const char *text, size_t len, size_t *pos,
                     const char **piece, size_t *plen);

/* Writes tool-call ARGS as a compact JSON object (providers whose wire
 * format carries an object); text that is not an object is wrapped as
 * {"_invalid_arguments": "..."}. */
void mock_tool_args_object(struct mock_call *c, const char *args,
                           struct mock_buf *out);
/* Splits S into fragments of at most MAX bytes, never inside a UTF-8
 * sequence; *FLEN is the fragment ending at the new *POS. */
bool mock_next_fragment(const char *s, size_t len, size_t *pos, size_t max,
                        size_t *flen);

/* Plan building helpers. */
void mock_plan_head(struct mock_call *c, int status, const char *ctype,
                    const char *extra, size_t body_len, bool chunked);
void mock_plan_body(struct mock_call *c, const char *body, size_t len);
/* Appends one streamed event as a chunk; IS_CONTENT events get pacing. */
void mock_plan_event(struct mock_call *c, const char *data, size_t len,
                     bool is_content);
void mock_plan_end(struct mock_call *c);
/* Appends an in-band error event (bypasses pacing and event faults). */
void mock_plan_error_event(struct mock_call *c, const char *data, size_t len);
/* Registers the provider's in-band error writer for error-after-events. */
void mock_set_stream_error(struct mock_call *c,
                           void (*fn)(struct mock_call *c));
/* Tokens a non-streamed reply "generates" (for tps pacing). */
void mock_set_gen_tokens(struct mock_call *c, long n);
/* Sends BODY as a complete non-streamed response with the scenario's
 * faults and extra headers. */
void mock_respond(struct mock_call *c, int status, const char *ctype,
                  const char *body, size_t len);
/* Error response in the provider's shape. PARAM may be NULL. */
void mock_error(struct mock_call *c, int status, const char *type,
                const char *code, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Extra headers for the response: ids, rate-limit, retry-after, scenario
 * headers; appended to B as "Name: value\r\n" lines. */
void mock_extra_headers(struct mock_call *c, struct mock_buf *b, int status);
/* Streams: true once the stream must end early because of an in-band error
 * event (error-after-events); the provider writes its error event. */
bool mock_stream_error_due(struct mock_call *c);

/* Provider handlers (one file each). */
void mock_openai_chat(struct mock_call *c);
void mock_openai_embeddings(struct mock_call *c);
void mock_openai_models(struct mock_call *c);
void mock_anthropic_messages(struct mock_call *c);
void mock_anthropic_models(struct mock_call *c);
void mock_anthropic_count_tokens(struct mock_call *c);
void mock_gemini_count_tokens(struct mock_call *c);
void mock_gemini_generate(struct mock_call *c, const char *model,
                          size_t model_len, bool stream);
void mock_gemini_embed(struct mock_call *c, const char *model, size_t model_len,
                       bool batch);
void mock_gemini_models(struct mock_call *c);
void mock_ollama_chat(struct mock_call *c);
void mock_ollama_embed(struct mock_call *c);
void mock_ollama_tags(struct mock_call *c);

/* Deterministic embedding vector for TEXT: DIMS floats of unit length. */
void mock_embedding(const char *text, size_t len, long dims, float *out);
/* Appends the embedding of TEXT as a JSON array of DIMS floats. */
void mock_vector_json(struct mock_buf *b, const char *text, size_t len,
                      long dims);
void mock_base64(struct mock_buf *b, const unsigned char *p, size_t n);
/* Time helpers for payloads: RFC 3339 UTC with milliseconds. */
void mock_rfc3339(struct mock_buf *b, int64_t wall_ms);

/* ---- the server --------------------------------------------------------- */

struct mock_server_opts {
    const char *host;
    int port;
    const char *log_path;
    const char *api_key;
    const char *scenario_dir;
    const char *default_scenario;
    size_t max_body;
    bool quiet;
};

/* Runs the server until SIGTERM/SIGINT. Prints the port on stdout. Returns
 * the process exit code. */
int mock_server_run(const struct mock_server_opts *o);

#endif
