/*
 * openai.c - translates between the unified request/delta model and the
 * OpenAI Chat Completions wire protocol (reference/openai-chat.md).
 *
 * Also serves every OpenAI-compatible row of the registry. No I/O: requests
 * become URL + headers + body bytes; bodies and SSE events become deltas.
 *
 * Invariants: the request body is written in one fixed field order (golden
 * tests depend on it); a raw field replaces the modelled field of the same
 * key; delta strings point into the per-event scratch arena (stream) or a
 * per-body arena (non-streaming) and are valid only during the sink call,
 * which copies what it keeps; no API key text reaches a message.
 * Owns: the stream state's scratch arena (released by stream_cleanup).
 */
#include "provider.h"

#include "common.h"
#include "json.h"
#include "memo.h"
#include "request.h"
#include "response.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Per-request stream state inside ctx->state (zeroed by the engine). */
struct openai_state {
    struct llmio__arena scratch; /* one event's parse tree, reset per event */
    bool ready;                  /* scratch and memo initialised */
    bool exact;                  /* no fast path (llmio__openai_stream_exact) */
    uint64_t started[2];         /* choices that got their START delta */
    /* The repeat-shape fast path (memo.c): the template, and what
     * emit_root found in the event being translated: its content node
     * when that was all it delivered (TEXT), and the choice. */
    struct llmio__memo memo;
    const struct llmio__json *text;
    int text_choice;
};

_Static_assert(sizeof(struct openai_state) <= LLMIO__OPENAI_STATE_SIZE,
               "LLMIO__OPENAI_STATE_SIZE too small");

/* Caps one event's scratch arena: an SSE event is bounded by the SSE
 * parser, and its tree costs a small multiple of its size. */
#define SCRATCH_LIMIT ((size_t)256 << 20)

static void set_error(llmio_error *err, llmio_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(llmio_error *err, llmio_status code, const char *fmt, ...)
{
    if (err == NULL) {
        return;
    }
    va_list ap;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

/* Drops a UTF-8 sequence cut short at the end of S[0..LEN). */
static size_t trim_partial_utf8(const char *s, size_t len)
{
    size_t i = len;
    size_t back = 0;
    while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        back++;
    }
    if (i == 0) {
        return back > 0 ? 0 : len;
    }
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (need > 1 && back + 1 < need) {
        return i - 1;
    }
    return len;
}

/* Copies S[0..LEN) into the fixed field DST[CAP] truncated at a character
 * boundary, control characters as spaces, NUL-terminated. */
static void copy_field(char *dst, size_t cap, const char *s, size_t len)
{
    if (cap == 0) {
        return;
    }
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(dst, s, n);
    n = trim_partial_utf8(dst, n);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)dst[i] < 0x20) {
            dst[i] = ' ';
        }
    }
    dst[n] = '\0';
}

/* ------------------------------------------------------------------ */
/* build_request                                                       */
/* ------------------------------------------------------------------ */

static const char *role_name(llmio_role role)
{
    switch (role) {
    case LLMIO_ROLE_SYSTEM:
        return "system";
    case LLMIO_ROLE_DEVELOPER:
        return "developer";
    case LLMIO_ROLE_USER:
        return "user";
    case LLMIO_ROLE_ASSISTANT:
        return "assistant";
    case LLMIO_ROLE_TOOL:
        return "tool";
    }
    return NULL;
}

static bool has_crlf(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

/* Whether the modelled field KEY is written (a raw field replaces it). */
static bool want(const struct llmio_request *r, const char *key)
{
    return !llmio__request_has_raw(r, key);
}

static void write_parts(struct llmio__jw *w, const struct llmio__message *m)
{
    llmio__jw_arr_begin(w);
    for (size_t i = 0; i < m->nparts; i++) {
        const struct llmio__part *p = &m->parts[i];
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "type");
        if (p->type == LLMIO__PART_TEXT) {
            llmio__jw_strs(w, "text");
            llmio__jw_keys(w, "text");
            llmio__jw_strs(w, p->text);
        } else {
            llmio__jw_strs(w, "image_url");
            llmio__jw_keys(w, "image_url");
            llmio__jw_obj_begin(w);
            llmio__jw_keys(w, "url");
            llmio__jw_strs(w, p->url);
            if (p->detail != NULL) {
                llmio__jw_keys(w, "detail");
                llmio__jw_strs(w, p->detail);
            }
            llmio__jw_obj_end(w);
        }
        llmio__jw_obj_end(w);
    }
    llmio__jw_arr_end(w);
}

static void write_message(struct llmio__jw *w, const struct llmio__message *m)
{
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "role");
    llmio__jw_strs(w, role_name(m->role));
    llmio__jw_keys(w, "content");
    if (m->nparts > 0) {
        write_parts(w, m);
    } else if (m->content != NULL) {
        llmio__jw_strs(w, m->content);
    } else {
        /* An assistant message carrying only tool calls: the API wants an
         * explicit null (openai-chat.md section 9, case 10). */
        llmio__jw_null(w);
    }
    if (m->name != NULL) {
        llmio__jw_keys(w, "name");
        llmio__jw_strs(w, m->name);
    }
    if (m->tool_call_id != NULL) {
        llmio__jw_keys(w, "tool_call_id");
        llmio__jw_strs(w, m->tool_call_id);
    }
    if (m->ntool_calls > 0) {
        llmio__jw_keys(w, "tool_calls");
        llmio__jw_arr_begin(w);
        for (size_t i = 0; i < m->ntool_calls; i++) {
            const struct llmio__tool_call_in *t = &m->tool_calls[i];
            llmio__jw_obj_begin(w);
            llmio__jw_keys(w, "id");
            llmio__jw_strs(w, t->id);
            llmio__jw_keys(w, "type");
            llmio__jw_strs(w, "function");
            llmio__jw_keys(w, "function");
            llmio__jw_obj_begin(w);
            llmio__jw_keys(w, "name");
            llmio__jw_strs(w, t->name);
            /* The API takes the arguments as a JSON-encoded string. */
            llmio__jw_keys(w, "arguments");
            llmio__jw_strs(w, t->arguments);
            llmio__jw_obj_end(w);
            llmio__jw_obj_end(w);
        }
        llmio__jw_arr_end(w);
    }
    llmio__jw_obj_end(w);
}

static void write_tools(struct llmio__jw *w, const struct llmio_request *r)
{
    llmio__jw_keys(w, "tools");
    llmio__jw_arr_begin(w);
    for (size_t i = 0; i < r->ntools; i++) {
        const struct llmio__tool_def *t = &r->tools[i];
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "type");
        llmio__jw_strs(w, "function");
        llmio__jw_keys(w, "function");
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "name");
        llmio__jw_strs(w, t->name);
        if (t->description != NULL) {
            llmio__jw_keys(w, "description");
            llmio__jw_strs(w, t->description);
        }
        if (t->parameters != NULL) {
            llmio__jw_keys(w, "parameters");
            llmio__jw_raw(w, t->parameters, strlen(t->parameters));
        }
        llmio__jw_obj_end(w);
        llmio__jw_obj_end(w);
    }
    llmio__jw_arr_end(w);
}

static bool is_choice_keyword(const char *c)
{
    return strcmp(c, "auto") == 0 || strcmp(c, "none") == 0 ||
           strcmp(c, "required") == 0;
}

static void write_tool_choice(struct llmio__jw *w, const char *choice)
{
    llmio__jw_keys(w, "tool_choice");
    if (is_choice_keyword(choice)) {
        llmio__jw_strs(w, choice);
        return;
    }
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "type");
    llmio__jw_strs(w, "function");
    llmio__jw_keys(w, "function");
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "name");
    llmio__jw_strs(w, choice);
    llmio__jw_obj_end(w);
    llmio__jw_obj_end(w);
}

static void write_response_format(struct llmio__jw *w,
                                  const struct llmio_request *r)
{
    llmio__jw_keys(w, "response_format");
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "type");
    llmio__jw_strs(w, r->response_format_type);
    if (strcmp(r->response_format_type, "json_schema") == 0) {
        llmio__jw_keys(w, "json_schema");
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "name");
        llmio__jw_strs(w, r->response_format_name);
        if (r->response_format_schema != NULL) {
            llmio__jw_keys(w, "schema");
            llmio__jw_raw(w, r->response_format_schema,
                          strlen(r->response_format_schema));
        }
        llmio__jw_keys(w, "strict");
        llmio__jw_bool(w, r->response_format_strict);
        llmio__jw_obj_end(w);
    }
    llmio__jw_obj_end(w);
}

static void write_body(struct llmio__jw *w, const struct llmio_request *r,
                       const char *model)
{
    llmio__jw_obj_begin(w);
    if (want(r, "model")) {
        llmio__jw_keys(w, "model");
        llmio__jw_strs(w, model);
    }
    if (want(r, "messages")) {
        llmio__jw_keys(w, "messages");
        llmio__jw_arr_begin(w);
        for (size_t i = 0; i < r->nmessages; i++) {
            write_message(w, &r->messages[i]);
        }
        llmio__jw_arr_end(w);
    }
    /* OpenAI sends max_tokens and max_completion_tokens apart and n after
     * them, so the shared writer covers the parameters around them. */
    static const struct llmio__prov_sampling_keys head = {
        .temperature = "temperature", .top_p = "top_p", .raw_wins = true};
    static const struct llmio__prov_sampling_keys tail = {
        .stop = "stop", .seed = "seed", .raw_wins = true};
    llmio__prov_write_sampling(w, r, &head);
    if (r->has_max_tokens && want(r, "max_tokens")) {
        llmio__jw_keys(w, "max_tokens");
        llmio__jw_int(w, r->max_tokens);
    }
    if (r->has_max_completion_tokens && want(r, "max_completion_tokens")) {
        llmio__jw_keys(w, "max_completion_tokens");
        llmio__jw_int(w, r->max_completion_tokens);
    }
    if (r->has_n && want(r, "n")) {
        llmio__jw_keys(w, "n");
        llmio__jw_int(w, r->n);
    }
    llmio__prov_write_sampling(w, r, &tail);
    if (r->user != NULL && want(r, "user")) {
        llmio__jw_keys(w, "user");
        llmio__jw_strs(w, r->user);
    }
    if (r->has_logprobs && want(r, "logprobs")) {
        llmio__jw_keys(w, "logprobs");
        llmio__jw_bool(w, r->logprobs);
    }
    if (r->has_logprobs && r->logprobs && r->top_logprobs > 0 &&
        want(r, "top_logprobs")) {
        llmio__jw_keys(w, "top_logprobs");
        llmio__jw_int(w, r->top_logprobs);
    }
    if (r->ntools > 0 && want(r, "tools")) {
        write_tools(w, r);
    }
    if (r->tool_choice != NULL && want(r, "tool_choice")) {
        write_tool_choice(w, r->tool_choice);
    }
    if (r->response_format_type != NULL && want(r, "response_format")) {
        write_response_format(w, r);
    }
    if (r->stream && want(r, "stream")) {
        llmio__jw_keys(w, "stream");
        llmio__jw_bool(w, true);
    }
    if (r->stream && r->include_usage && want(r, "stream_options")) {
        llmio__jw_keys(w, "stream_options");
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "include_usage");
        llmio__jw_bool(w, true);
        llmio__jw_obj_end(w);
    }
    llmio__prov_write_raw(w, r);
    llmio__jw_obj_end(w);
}

/* Checks what only the whole request can tell (the builder checks each
 * call); names the field in ERR. */
static llmio_status check_request(const struct llmio_request *r,
                                  const char *model, llmio_error *err)
{
    if (model == NULL || model[0] == '\0') {
        set_error(err, LLMIO_E_INVALID, "model: required");
        return LLMIO_E_INVALID;
    }
    if (r->nmessages == 0 && want(r, "messages")) {
        set_error(err, LLMIO_E_INVALID,
                  "messages: at least one message is required");
        return LLMIO_E_INVALID;
    }
    for (size_t i = 0; i < r->nmessages; i++) {
        const struct llmio__message *m = &r->messages[i];
        if (role_name(m->role) == NULL) {
            set_error(err, LLMIO_E_INVALID, "messages[%zu].role: invalid", i);
            return LLMIO_E_INVALID;
        }
        if (m->role != LLMIO_ROLE_ASSISTANT && m->content == NULL &&
            m->nparts == 0) {
            set_error(err, LLMIO_E_INVALID,
                      "messages[%zu].content: required for role %s", i,
                      role_name(m->role));
            return LLMIO_E_INVALID;
        }
        if (m->role == LLMIO_ROLE_TOOL && m->tool_call_id == NULL) {
            set_error(err, LLMIO_E_INVALID,
                      "messages[%zu].tool_call_id: required for role tool", i);
            return LLMIO_E_INVALID;
        }
    }
    if (r->tool_choice != NULL && !is_choice_keyword(r->tool_choice) &&
        want(r, "tools")) {
        bool found = false;
        for (size_t i = 0; i < r->ntools && !found; i++) {
            found = strcmp(r->tools[i].name, r->tool_choice) == 0;
        }
        if (!found) {
            set_error(err, LLMIO_E_INVALID,
                      "tool_choice: no tool named \"%.64s\"", r->tool_choice);
            return LLMIO_E_INVALID;
        }
    }
    if (r->logprobs && r->top_logprobs > 0 && !r->has_logprobs) {
        set_error(err, LLMIO_E_INVALID, "top_logprobs: needs logprobs");
        return LLMIO_E_INVALID;
    }
    return LLMIO_OK;
}

llmio_status llmio__openai_headers(const struct llmio_request *r,
                                   const char *key, const char *key_header,
                                   const char *key_prefix,
                                   struct llmio__http_req *out,
                                   llmio_error *err)
{
    /* A line break would let a setting inject headers; the key itself is
     * never quoted in the message. */
    if (key != NULL && has_crlf(key)) {
        set_error(err, LLMIO_E_INVALID, "api_key: contains a line break");
        return LLMIO_E_INVALID;
    }
    llmio_status st =
        llmio__prov_header(out, "Content-Type", "application/json");
    if (st == LLMIO_OK && r->stream) {
        st = llmio__prov_header(out, "Accept", "text/event-stream");
    }
    if (st == LLMIO_OK && key != NULL && key[0] != '\0') {
        st = llmio__prov_header_pre(out, key_header, key_prefix, key);
    }
    if (st != LLMIO_OK) {
        set_error(err, st, "headers: %s", llmio_status_str(st));
    }
    return st;
}

/*
 * OpenAI's addressing: URL <base>/<PATH> and the headers. The key goes
 * in "Authorization: Bearer"; Azure has its own target (azure.c) and
 * shares everything else through llmio__openai_build_with.
 */
llmio_status llmio__openai_target(const struct llmio_request *r,
                                  const char *model, const char *path,
                                  const struct llmio__provider_cfg *cfg,
                                  struct llmio__http_req *out,
                                  llmio_error *err)
{
    (void)model;
    const char *base = cfg != NULL && cfg->base_url != NULL
                           ? cfg->base_url
                           : llmio__provider_openai.default_base_url;
    size_t blen = strlen(base);
    /* Joining keeps any path prefix (/openai/v1, /api) and never doubles
     * the slash (compat-providers.md, tricky case 4). */
    while (blen > 0 && base[blen - 1] == '/') {
        blen--;
    }
    llmio_status st = llmio__buf_append(&out->url, base, blen);
    if (st == LLMIO_OK) {
        st = llmio__buf_appends(&out->url, "/");
    }
    if (st == LLMIO_OK) {
        st = llmio__buf_appends(&out->url, path);
    }
    if (st != LLMIO_OK) {
        set_error(err, st, "url: %s", llmio_status_str(st));
        return st;
    }

    const char *org = cfg != NULL ? cfg->organization : NULL;
    const char *project = cfg != NULL ? cfg->project : NULL;
    /* Local servers (llama.cpp, LM Studio, vLLM) run without keys: then no
     * Authorization header at all, which they all accept. */
    st = llmio__openai_headers(r, cfg != NULL ? cfg->api_key : NULL,
                               "Authorization", "Bearer ", out, err);
    if (st != LLMIO_OK) {
        return st;
    }
    if ((org != NULL && has_crlf(org)) ||
        (project != NULL && has_crlf(project))) {
        set_error(err, LLMIO_E_INVALID, "%s: contains a line break",
                  org != NULL && has_crlf(org) ? "organization" : "project");
        return LLMIO_E_INVALID;
    }
    if (org != NULL && org[0] != '\0') {
        st = llmio__prov_header(out, "OpenAI-Organization", org);
    }
    if (st == LLMIO_OK && project != NULL && project[0] != '\0') {
        st = llmio__prov_header(out, "OpenAI-Project", project);
    }
    if (st != LLMIO_OK) {
        set_error(err, st, "headers: %s", llmio_status_str(st));
        return st;
    }
    return LLMIO_OK;
}

llmio_status llmio__openai_build_with(llmio__openai_target_fn *target,
                                      const struct llmio_request *r,
                                      const char *model,
                                      const struct llmio__provider_cfg *cfg,
                                      struct llmio__http_req *out,
                                      llmio_error *err)
{
    llmio_status st;
    if (r == NULL || out == NULL) {
        set_error(err, LLMIO_E_INVALID, "request: NULL");
        return LLMIO_E_INVALID;
    }
    if (r->error != LLMIO_OK) {
        set_error(err, r->error, "%s", r->error_msg);
        return r->error;
    }
    st = check_request(r, model, err);
    if (st != LLMIO_OK) {
        return st;
    }
    st = target(r, model, "chat/completions", cfg, out, err);
    if (st != LLMIO_OK) {
        return st;
    }

    struct llmio__jw w;
    llmio__jw_init(&w, &out->body);
    write_body(&w, r, model);
    st = llmio__jw_finish(&w);
    if (st != LLMIO_OK) {
        set_error(err, st, "body: %s",
                  st == LLMIO_E_INVALID ? "a string is not valid UTF-8"
                                        : llmio_status_str(st));
        return st;
    }
    return LLMIO_OK;
}

llmio_status llmio__openai_build_request(const struct llmio_request *r,
                                         const char *model,
                                         const struct llmio__provider_cfg *cfg,
                                         struct llmio__http_req *out,
                                         llmio_error *err)
{
    return llmio__openai_build_with(llmio__openai_target, r, model, cfg, out,
                                    err);
}

/* ------------------------------------------------------------------ */
/* Responses: JSON -> deltas                                           */
/* ------------------------------------------------------------------ */

static llmio_status emit(struct llmio__stream_ctx *ctx, const llmio_delta *d)
{
    return ctx->sink(ctx->sink_ctx, d);
}

static llmio_finish_reason map_finish(const char *s)
{
    if (strcmp(s, "stop") == 0) {
        return LLMIO_FINISH_STOP;
    }
    if (strcmp(s, "length") == 0) {
        return LLMIO_FINISH_LENGTH;
    }
    /* function_call is the deprecated form of tool_calls. */
    if (strcmp(s, "tool_calls") == 0 || strcmp(s, "function_call") == 0) {
        return LLMIO_FINISH_TOOL_CALLS;
    }
    if (strcmp(s, "content_filter") == 0) {
        return LLMIO_FINISH_CONTENT_FILTER;
    }
    return LLMIO_FINISH_OTHER;
}

/*
 * Where a value sits, for error messages ("choices[0].delta.tool_calls[1]
 * .function"). Formatted only when an error is reported: building the
 * string for every chunk cost a fifth of the stream path.
 */
struct path {
    long choice;     /* -1: the root ("$") */
    const char *msg; /* "message" / "delta", or NULL */
    long tool;       /* -1: none */
    const char *sub; /* "function", or NULL */
};

static const char *fmt_path(const struct path *p, char *out, size_t cap)
{
    if (p->choice < 0) {
        snprintf(out, cap, "$");
        return out;
    }
    int n = snprintf(out, cap, "choices[%ld]", p->choice);
    if (p->msg != NULL && n >= 0 && (size_t)n < cap) {
        n += snprintf(out + n, cap - (size_t)n, ".%s", p->msg);
    }
    if (p->tool >= 0 && n >= 0 && (size_t)n < cap) {
        n += snprintf(out + n, cap - (size_t)n, ".tool_calls[%ld]", p->tool);
    }
    if (p->sub != NULL && n >= 0 && (size_t)n < cap) {
        snprintf(out + n, cap - (size_t)n, ".%s", p->sub);
    }
    return out;
}

/* Sets ERR to "<path>[.<key>]: <what>" as LLMIO_E_PROTOCOL. */
static llmio_status shape_error(llmio_error *err, const struct path *p,
                                const char *key, const char *what)
{
    char buf[96];
    fmt_path(p, buf, sizeof buf);
    set_error(err, LLMIO_E_PROTOCOL, "%s%s%s: %s", buf, key ? "." : "",
              key ? key : "", what);
    return LLMIO_E_PROTOCOL;
}

/* One wanted member's key (static tables, so nothing is built per call). */
struct want {
    const char *key;
    size_t len;
};

#define WANT(k)                                                                \
    {                                                                          \
        (k), sizeof(k) - 1                                                     \
    }

/* A[0..N) == B[0..N) for keys of a few bytes, without a memcmp call: two
 * overlapping word loads (first and last bytes) cover 2..16 bytes. */
static inline bool key_eq(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        uint64_t x, y;
        for (size_t i = 0; i + 8 < n; i += 8) {
            __builtin_memcpy(&x, a + i, 8);
            __builtin_memcpy(&y, b + i, 8);
            if (x != y) {
                return false;
            }
        }
        __builtin_memcpy(&x, a + n - 8, 8);
        __builtin_memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t x0, y0, x1, y1;
        __builtin_memcpy(&x0, a, 4);
        __builtin_memcpy(&y0, b, 4);
        __builtin_memcpy(&x1, a + n - 4, 4);
        __builtin_memcpy(&y1, b + n - 4, 4);
        return x0 == y0 && x1 == y1;
    }
    if (n >= 2) {
        uint16_t x0, y0, x1, y1;
        __builtin_memcpy(&x0, a, 2);
        __builtin_memcpy(&y0, b, 2);
        __builtin_memcpy(&x1, a + n - 2, 2);
        __builtin_memcpy(&y1, b + n - 2, 2);
        return x0 == y0 && x1 == y1;
    }
    return n == 0 || a[0] == b[0];
}

/*
 * Sets OUT[k] to the value of member W[k] of OBJ (NULL when absent), in
 * one pass over OBJ (the last of duplicated keys wins, as llmio__json_get).
 * A chunk has a handful of members and a handful are wanted; one pass with
 * length-first compares costs a quarter of what a lookup per member did.
 */
static void pick(const struct llmio__json *obj, const struct want *w,
                 size_t nw, const struct llmio__json **out)
{
    for (size_t k = 0; k < nw; k++) {
        out[k] = NULL;
    }
    size_t n =
        llmio__json_type(obj) == LLMIO__JSON_OBJECT ? llmio__json_len(obj) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *key;
        size_t klen;
        const struct llmio__json *v = llmio__json_member(obj, i, &key, &klen);
        for (size_t k = 0; k < nw; k++) {
            if (w[k].len == klen && key_eq(w[k].key, key, klen)) {
                out[k] = v;
                break;
            }
        }
    }
}

/* A value V (of member KEY) that must be a string or null/absent. *S is
 * NULL unless it is a string; returns false (and sets ERR naming
 * PATH.KEY) on another type. */
static bool val_str(const struct llmio__json *v, const char *key,
                    const struct path *path, const char **s, size_t *len,
                    llmio_error *err)
{
    enum llmio__json_type t = llmio__json_type(v);
    *s = NULL;
    *len = 0;
    if (t == LLMIO__JSON_NONE || t == LLMIO__JSON_NULL) {
        return true;
    }
    if (t != LLMIO__JSON_STRING) {
        shape_error(err, path, key, "expected a string");
        return false;
    }
    *s = llmio__json_str(v, len);
    return true;
}

/* val_str for member KEY of OBJ. */
static bool opt_str(const struct llmio__json *obj, const char *key,
                    const struct path *path, const char **s, size_t *len,
                    llmio_error *err)
{
    return val_str(llmio__json_get(obj, key), key, path, s, len, err);
}

static int64_t usage_field(const struct llmio__json *obj, const char *key)
{
    int64_t v;
    if (llmio__json_int(llmio__json_get(obj, key), &v) && v >= 0) {
        return v;
    }
    return -1;
}

static llmio_status emit_usage(struct llmio__stream_ctx *ctx,
                               const struct llmio__json *u)
{
    if (llmio__json_type(u) != LLMIO__JSON_OBJECT) {
        return LLMIO_OK;
    }
    llmio_usage usage;
    memset(&usage, 0, sizeof usage);
    usage.prompt_tokens = usage_field(u, "prompt_tokens");
    usage.completion_tokens = usage_field(u, "completion_tokens");
    usage.total_tokens = usage_field(u, "total_tokens");
    usage.cached_tokens = usage_field(
        llmio__json_get(u, "prompt_tokens_details"), "cached_tokens");
    usage.reasoning_tokens = usage_field(
        llmio__json_get(u, "completion_tokens_details"), "reasoning_tokens");
    llmio_delta d;
    memset(&d, 0, sizeof d);
    d.kind = LLMIO_DELTA_USAGE;
    d.usage = &usage;
    return emit(ctx, &d);
}

static llmio_status emit_text(struct llmio__stream_ctx *ctx,
                              llmio_delta_kind kind, int choice, const char *s,
                              size_t len)
{
    /* Empty fragments ("content":"" in a first chunk) carry nothing; not
     * emitting them keeps "no content" meaning NULL text in both paths. */
    if (s == NULL || len == 0) {
        return LLMIO_OK;
    }
    llmio_delta d;
    memset(&d, 0, sizeof d);
    d.kind = kind;
    d.choice = choice;
    d.text = s;
    d.text_len = len;
    return emit(ctx, &d);
}

/* The arguments of a tool call: a JSON string as the API defines it; some
 * compatible servers send an object, which is passed on as its JSON text. */
static bool tool_args(const struct llmio__json *fn, const char **s, size_t *len)
{
    const struct llmio__json *a = llmio__json_get(fn, "arguments");
    enum llmio__json_type t = llmio__json_type(a);
    *s = NULL;
    *len = 0;
    if (t == LLMIO__JSON_STRING) {
        *s = llmio__json_str(a, len);
    } else if (t == LLMIO__JSON_OBJECT || t == LLMIO__JSON_ARRAY) {
        *s = llmio__json_raw(a, len);
    } else if (t != LLMIO__JSON_NONE && t != LLMIO__JSON_NULL) {
        return false;
    }
    return true;
}

static llmio_status emit_tool_calls(struct llmio__stream_ctx *ctx, int choice,
                                    const struct llmio__json *calls,
                                    bool stream, const struct path *mpath,
                                    llmio_error *err)
{
    enum llmio__json_type t = llmio__json_type(calls);
    if (t == LLMIO__JSON_NONE || t == LLMIO__JSON_NULL) {
        return LLMIO_OK;
    }
    if (t != LLMIO__JSON_ARRAY) {
        return shape_error(err, mpath, "tool_calls", "expected an array");
    }
    size_t n = llmio__json_len(calls);
    for (size_t i = 0; i < n; i++) {
        struct path tp = *mpath;
        tp.tool = (long)i;
        const struct llmio__json *c = llmio__json_at(calls, i);
        if (llmio__json_type(c) != LLMIO__JSON_OBJECT) {
            return shape_error(err, &tp, NULL, "expected an object");
        }
        llmio_delta d;
        memset(&d, 0, sizeof d);
        d.kind = LLMIO_DELTA_TOOL_CALL;
        d.choice = choice;
        int64_t idx;
        if (!stream) {
            d.tool_index = (int)i;
        } else if (llmio__json_int(llmio__json_get(c, "index"), &idx)) {
            if (idx < 0 || idx >= LLMIO__MAX_TOOL_CALLS) {
                return shape_error(err, &tp, "index", "out of range");
            }
            d.tool_index = (int)idx;
        } else {
            /* No index (a few compatible servers): the accumulator keys
             * the call by its id instead. */
            d.tool_index = -1;
        }
        size_t len;
        const struct llmio__json *fn = llmio__json_get(c, "function");
        struct path fp = tp;
        fp.sub = "function";
        if (!opt_str(c, "id", &tp, &d.tool_id, &len, err) ||
            !opt_str(fn, "name", &fp, &d.tool_name, &len, err)) {
            return LLMIO_E_PROTOCOL;
        }
        if (!tool_args(fn, &d.text, &d.text_len)) {
            return shape_error(err, &fp, "arguments", "expected a string");
        }
        llmio_status st = emit(ctx, &d);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    return LLMIO_OK;
}

static llmio_status emit_logprobs(struct llmio__stream_ctx *ctx, int choice,
                                  const struct llmio__json *lp)
{
    const struct llmio__json *content = llmio__json_get(lp, "content");
    size_t n = llmio__json_len(content);
    for (size_t i = 0; i < n; i++) {
        const struct llmio__json *e = llmio__json_at(content, i);
        llmio_delta d;
        memset(&d, 0, sizeof d);
        d.kind = LLMIO_DELTA_LOGPROB;
        d.choice = choice;
        d.text = llmio__json_str(llmio__json_get(e, "token"), &d.text_len);
        if (d.text == NULL) {
            continue;
        }
        if (!llmio__json_double(llmio__json_get(e, "logprob"), &d.logprob)) {
            d.logprob = 0;
        }
        llmio_status st = emit(ctx, &d);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    return LLMIO_OK;
}

/* Absent or null. */
static bool is_absent(const struct llmio__json *v)
{
    enum llmio__json_type t = llmio__json_type(v);
    return t == LLMIO__JSON_NONE || t == LLMIO__JSON_NULL;
}

/* Common identity of a completion or chunk, for START deltas. */
struct ident {
    const char *id;
    const char *model;
    int64_t created;
};

/*
 * Translates one choice (a chat.completion choice with "message", or a
 * chunk choice with "delta") into deltas, in a fixed order: START (when
 * NEED_START), REASONING, TEXT, REFUSAL, TOOL_CALL..., LOGPROB...,
 * FINISH. The finish comes last so a server that sends it with the last
 * content fragment (section 9, case 7) still delivers the content first.
 */
static llmio_status emit_choice(struct llmio__stream_ctx *ctx,
                                const struct llmio__json *ch, size_t pos,
                                bool stream, struct openai_state *state,
                                const struct ident *ident, llmio_error *err)
{
    struct path path = {(long)pos, NULL, -1, NULL};
    if (llmio__json_type(ch) != LLMIO__JSON_OBJECT) {
        return shape_error(err, &path, NULL, "expected an object");
    }
    static const struct want cw[2][4] = {
        {WANT("index"), WANT("message"), WANT("logprobs"),
         WANT("finish_reason")},
        {WANT("index"), WANT("delta"), WANT("logprobs"), WANT("finish_reason")},
    };
    const char *mkey = cw[stream][1].key;
    const struct llmio__json *cv[4];
    pick(ch, cw[stream], 4, cv);
    const struct llmio__json *iv = cv[0], *msg = cv[1], *lp = cv[2],
                             *fr = cv[3];
    int64_t idx = (int64_t)pos;
    if (iv != NULL && !llmio__json_int(iv, &idx)) {
        return shape_error(err, &path, "index", "expected an integer");
    }
    if (idx < 0 || idx >= LLMIO__MAX_CHOICES) {
        return shape_error(err, &path, "index", "out of range");
    }
    int choice = (int)idx;
    enum llmio__json_type mt = llmio__json_type(msg);
    if (mt != LLMIO__JSON_OBJECT && mt != LLMIO__JSON_NONE &&
        mt != LLMIO__JSON_NULL) {
        return shape_error(err, &path, mkey, "expected an object");
    }
    struct path mp = {(long)pos, mkey, -1, NULL};
    const struct path *mpath = &mp;
    llmio_status st;
    llmio_delta d;

    bool need_start = true;
    if (state != NULL) {
        uint64_t bit = (uint64_t)1 << (choice & 63);
        need_start = (state->started[choice >> 6] & bit) == 0;
        state->started[choice >> 6] |= bit;
    }
    if (need_start) {
        memset(&d, 0, sizeof d);
        d.kind = LLMIO_DELTA_START;
        d.choice = choice;
        d.id = ident->id;
        d.model = ident->model;
        d.created = ident->created;
        st = emit(ctx, &d);
        if (st != LLMIO_OK) {
            return st;
        }
    }

    const char *s;
    size_t len;
    static const struct want mw[] = {
        WANT("content"), WANT("reasoning_content"), WANT("reasoning"),
        WANT("refusal"), WANT("tool_calls"),
    };
    const struct llmio__json *mv[5];
    pick(msg, mw, 5, mv);
    const struct llmio__json *content = mv[0], *rc = mv[1], *rs = mv[2],
                             *refusal = mv[3], *calls = mv[4];
    /* DeepSeek and most compatible servers say reasoning_content;
     * OpenRouter says reasoning. */
    if (!val_str(rc, "reasoning_content", mpath, &s, &len, err)) {
        return LLMIO_E_PROTOCOL;
    }
    if (s == NULL && !val_str(rs, "reasoning", mpath, &s, &len, err)) {
        return LLMIO_E_PROTOCOL;
    }
    /* Whether this choice delivers nothing but its content string (START
     * aside): then the event can be the fast path's template. */
    bool only_text =
        len == 0 && llmio__json_type(content) == LLMIO__JSON_STRING;
    st = emit_text(ctx, LLMIO_DELTA_REASONING, choice, s, len);
    if (st != LLMIO_OK) {
        return st;
    }
    if (llmio__json_type(content) == LLMIO__JSON_ARRAY) {
        /* Content as parts (some compatible servers): the text parts. */
        size_t n = llmio__json_len(content);
        for (size_t i = 0; i < n; i++) {
            const struct llmio__json *p = llmio__json_at(content, i);
            s = llmio__json_str(llmio__json_get(p, "text"), &len);
            st = emit_text(ctx, LLMIO_DELTA_TEXT, choice, s, len);
            if (st != LLMIO_OK) {
                return st;
            }
        }
    } else {
        if (!val_str(content, "content", mpath, &s, &len, err)) {
            return LLMIO_E_PROTOCOL;
        }
        st = emit_text(ctx, LLMIO_DELTA_TEXT, choice, s, len);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    if (!val_str(refusal, "refusal", mpath, &s, &len, err)) {
        return LLMIO_E_PROTOCOL;
    }
    only_text = only_text && len == 0;
    st = emit_text(ctx, LLMIO_DELTA_REFUSAL, choice, s, len);
    if (st != LLMIO_OK) {
        return st;
    }
    st = emit_tool_calls(ctx, choice, calls, stream, mpath, err);
    if (st != LLMIO_OK) {
        return st;
    }
    st = emit_logprobs(ctx, choice, lp);
    if (st != LLMIO_OK) {
        return st;
    }
    if (!val_str(fr, "finish_reason", &path, &s, &len, err)) {
        return LLMIO_E_PROTOCOL;
    }
    if (s != NULL && len > 0) {
        memset(&d, 0, sizeof d);
        d.kind = LLMIO_DELTA_FINISH;
        d.choice = choice;
        d.finish = map_finish(s);
        d.finish_raw = s;
        st = emit(ctx, &d);
    } else if (state != NULL && only_text && is_absent(calls) &&
               is_absent(lp)) {
        state->text = content;
        state->text_choice = choice;
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* Error bodies and in-band errors                                     */
/* ------------------------------------------------------------------ */

/*
 * Maps an OpenAI error type/code to a status, for in-band errors (which
 * arrive with HTTP 200) and to refine HTTP errors. FALLBACK is returned
 * when neither says anything known.
 */
static llmio_status map_error_kind(const char *type, const char *code,
                                   llmio_status fallback)
{
    static const struct {
        const char *name;
        llmio_status st;
    } kinds[] = {
        {"context_length_exceeded", LLMIO_E_CONTEXT_LENGTH},
        {"invalid_request_error", LLMIO_E_BAD_REQUEST},
        {"invalid_api_key", LLMIO_E_AUTH},
        {"authentication_error", LLMIO_E_AUTH},
        {"permission_error", LLMIO_E_AUTH},
        {"insufficient_quota", LLMIO_E_RATE_LIMIT},
        {"rate_limit_exceeded", LLMIO_E_RATE_LIMIT},
        {"rate_limit_error", LLMIO_E_RATE_LIMIT},
        {"tokens", LLMIO_E_RATE_LIMIT},
        {"requests", LLMIO_E_RATE_LIMIT},
        {"server_is_overloaded", LLMIO_E_OVERLOADED},
        {"service_unavailable_error", LLMIO_E_OVERLOADED},
        {"overloaded_error", LLMIO_E_OVERLOADED},
        {"server_error", LLMIO_E_SERVER},
        {"api_error", LLMIO_E_SERVER},
    };
    /* The code is more specific than the type, so it is tried first. */
    const char *names[2] = {code, type};
    for (int k = 0; k < 2; k++) {
        if (names[k] == NULL || names[k][0] == '\0') {
            continue;
        }
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
            if (strcmp(names[k], kinds[i].name) == 0) {
                return kinds[i].st;
            }
        }
    }
    /* Azure and OpenRouter put an HTTP status in code ("429", 502). */
    if (code != NULL && code[0] >= '1' && code[0] <= '5' && strlen(code) == 3 &&
        code[1] >= '0' && code[1] <= '9' && code[2] >= '0' && code[2] <= '9') {
        int hs = (code[0] - '0') * 100 + (code[1] - '0') * 10 + code[2] - '0';
        if (hs == 401 || hs == 403) {
            return LLMIO_E_AUTH;
        }
        if (hs == 429) {
            return LLMIO_E_RATE_LIMIT;
        }
        if (hs == 503 || hs == 529) {
            return LLMIO_E_OVERLOADED;
        }
        if (hs >= 500) {
            return LLMIO_E_SERVER;
        }
        if (hs >= 400) {
            return LLMIO_E_BAD_REQUEST;
        }
    }
    return fallback;
}

/* An in-band {"error": ...} object: ERROR delta, ERR filled, status. */
static llmio_status emit_error(struct llmio__stream_ctx *ctx,
                               struct llmio__arena *a,
                               const struct llmio__json *e, llmio_error *err)
{
    const char *msg = NULL, *type = NULL, *code = NULL;
    size_t mlen = 0, tlen = 0, clen = 0;
    if (llmio__json_type(e) == LLMIO__JSON_STRING) {
        msg = llmio__json_str(e, &mlen);
    } else {
        msg = llmio__json_str(llmio__json_get(e, "message"), &mlen);
        type = llmio__json_str(llmio__json_get(e, "type"), &tlen);
        const struct llmio__json *cv = llmio__json_get(e, "code");
        code = llmio__json_str(cv, &clen);
        if (code == NULL && llmio__json_type(cv) == LLMIO__JSON_NUMBER) {
            const char *t = llmio__json_number_text(cv, &clen);
            code = llmio__arena_strndup(a, t, clen);
        }
    }
    char *m = NULL;
    if (msg != NULL) {
        m = llmio__arena_strndup(a, msg, mlen);
        if (m != NULL) {
            mlen = llmio__prov_scrub_n(m, mlen);
        }
    }
    if (m == NULL) {
        m = (char *)"the server reported an error in the stream";
        mlen = strlen(m);
    }
    llmio_status st = map_error_kind(type, code, LLMIO_E_SERVER);
    if (err != NULL) {
        err->code = st;
        if (type != NULL) {
            copy_field(err->provider_type, sizeof err->provider_type, type,
                       tlen);
            llmio__prov_scrub_n(err->provider_type, strlen(err->provider_type));
        }
        if (code != NULL) {
            copy_field(err->provider_code, sizeof err->provider_code, code,
                       clen);
            llmio__prov_scrub_n(err->provider_code, strlen(err->provider_code));
        }
        copy_field(err->message, sizeof err->message, m, mlen);
    }
    llmio_delta d;
    memset(&d, 0, sizeof d);
    d.kind = LLMIO_DELTA_ERROR;
    d.text = m;
    d.text_len = mlen;
    d.error_type = type;
    llmio_status sst = emit(ctx, &d);
    return sst != LLMIO_OK ? sst : st;
}

static llmio_status parse_status(llmio_status st, const char *what,
                                 const struct llmio__json_error *je,
                                 llmio_error *err)
{
    if (st == LLMIO_E_NOMEM) {
        set_error(err, st, "%s: out of memory", what);
    } else if (st == LLMIO_E_TOO_BIG) {
        set_error(err, st, "%s: too large or too deeply nested", what);
    } else {
        st = LLMIO_E_PROTOCOL;
        set_error(err, st, "%s: invalid JSON at offset %zu: %s", what,
                  je->offset, je->message);
    }
    return st;
}

/* Translates a parsed completion or chunk ROOT. */
static llmio_status emit_root(struct llmio__stream_ctx *ctx,
                              struct llmio__arena *a,
                              const struct llmio__json *root, bool stream,
                              struct openai_state *state, llmio_error *err)
{
    if (llmio__json_type(root) != LLMIO__JSON_OBJECT) {
        set_error(err, LLMIO_E_PROTOCOL, "%s: expected a JSON object",
                  stream ? "stream event" : "body");
        return LLMIO_E_PROTOCOL;
    }
    static const struct want rw[] = {
        WANT("id"),      WANT("created"), WANT("model"),
        WANT("choices"), WANT("usage"),   WANT("error"),
    };
    const struct llmio__json *rv[6];
    pick(root, rw, 6, rv);
    const struct llmio__json *idv = rv[0], *cv = rv[1], *mv = rv[2],
                             *choices = rv[3], *usage = rv[4], *e = rv[5];
    if (e != NULL && !llmio__json_is_null(e)) {
        return emit_error(ctx, a, e, err);
    }
    struct ident ident;
    size_t len;
    memset(&ident, 0, sizeof ident);
    static const struct path root_path = {-1, NULL, -1, NULL};
    if (!val_str(idv, "id", &root_path, &ident.id, &len, err) ||
        !val_str(mv, "model", &root_path, &ident.model, &len, err)) {
        return LLMIO_E_PROTOCOL;
    }
    if (cv != NULL && !llmio__json_is_null(cv)) {
        double dv;
        if (!llmio__json_int(cv, &ident.created)) {
            /* A float timestamp from a loose server: keep the seconds. */
            if (llmio__json_double(cv, &dv) && dv >= 0 && dv < 9e15) {
                ident.created = (int64_t)dv;
            } else {
                set_error(err, LLMIO_E_PROTOCOL, "created: expected a number");
                return LLMIO_E_PROTOCOL;
            }
        }
    }
    enum llmio__json_type ct = llmio__json_type(choices);
    if (ct == LLMIO__JSON_NONE || ct == LLMIO__JSON_NULL) {
        /* A chunk may have no choices (usage, Azure filter results); a
         * completion must have them. */
        if (!stream) {
            set_error(err, LLMIO_E_PROTOCOL, "choices: missing");
            return LLMIO_E_PROTOCOL;
        }
    } else if (ct != LLMIO__JSON_ARRAY) {
        set_error(err, LLMIO_E_PROTOCOL, "choices: expected an array");
        return LLMIO_E_PROTOCOL;
    }
    size_t n = llmio__json_len(choices);
    for (size_t i = 0; i < n; i++) {
        llmio_status st = emit_choice(ctx, llmio__json_at(choices, i), i,
                                      stream, state, &ident, err);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    if (state != NULL && (n != 1 || !is_absent(usage))) {
        state->text = NULL; /* more than one choice's text, or usage */
    }
    return emit_usage(ctx, usage);
}

llmio_status llmio__openai_parse_body(struct llmio__stream_ctx *ctx,
                                      const char *body, size_t len,
                                      llmio_error *err)
{
    struct llmio__arena a;
    const struct llmio__json *root = NULL;
    struct llmio__json_error je;
    memset(&je, 0, sizeof je);
    llmio__arena_init(&a, ctx->arena != NULL ? ctx->arena->alloc : NULL, 0);
    llmio_status st = llmio__json_parse(&a, body, len, NULL, &root, &je);
    if (st != LLMIO_OK) {
        st = parse_status(st, "body", &je, err);
    } else {
        st = emit_root(ctx, &a, root, false, NULL, err);
    }
    llmio__arena_cleanup(&a);
    return st;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

llmio_status llmio__openai_parse_event(struct llmio__stream_ctx *ctx,
                                       const char *type, size_t type_len,
                                       const char *data, size_t data_len,
                                       llmio_error *err)
{
    struct openai_state *state = ctx->state;
    (void)type;
    (void)type_len;
    while (data_len > 0 && is_space(data[0])) {
        data++;
        data_len--;
    }
    while (data_len > 0 && is_space(data[data_len - 1])) {
        data_len--;
    }
    if (data_len == 0) {
        return LLMIO_OK;
    }
    /* The sentinel is checked before any JSON parsing, as openai-python
     * does (data.startswith("[DONE]")). */
    if (data_len >= 6 && memcmp(data, "[DONE]", 6) == 0) {
        ctx->done = true;
        return LLMIO_OK;
    }
    if (!state->ready) {
        const llmio_allocator *alloc =
            ctx->arena != NULL ? ctx->arena->alloc : NULL;
        llmio__arena_init(&state->scratch, alloc, SCRATCH_LIMIT);
        llmio__memo_init(&state->memo, alloc);
        state->ready = true;
    } else {
        /* The previous event's strings were borrowed only during its sink
         * calls, so its memory is reused now: once warm, no allocation. */
        llmio__arena_reset(&state->scratch);
    }
    /* A chunk shaped like the template differs in its text only: the text
     * delta without a parse (memo.c says why that is the same result). */
    const char *text;
    size_t text_len;
    if (llmio__memo_match(&state->memo, &state->scratch, data, data_len, &text,
                          &text_len)) {
        return emit_text(ctx, LLMIO_DELTA_TEXT, state->text_choice, text,
                         text_len);
    }
    const struct llmio__json *root = NULL;
    struct llmio__json_error je;
    llmio_status st =
        llmio__json_parse(&state->scratch, data, data_len, NULL, &root, &je);
    if (st != LLMIO_OK) {
        return parse_status(st, "stream event", &je, err);
    }
    state->text = NULL;
    st = emit_root(ctx, &state->scratch, root, true, state, err);
    if (st == LLMIO_OK && state->text != NULL && !state->exact) {
        /* Nothing reads "obfuscation" (random padding in every chunk), so
         * it may differ too. */
        llmio__memo_record(&state->memo, root, state->text,
                           llmio__json_get(root, "obfuscation"));
    }
    return st;
}

void llmio__openai_stream_exact(struct llmio__stream_ctx *ctx)
{
    struct openai_state *state = ctx->state;
    state->exact = true;
    if (state->ready) {
        llmio__memo_forget(&state->memo);
    }
}

void llmio__openai_stream_cleanup(struct llmio__stream_ctx *ctx)
{
    if (ctx == NULL || ctx->state == NULL) {
        return;
    }
    struct openai_state *state = ctx->state;
    if (state->ready) {
        llmio__arena_cleanup(&state->scratch);
        llmio__memo_cleanup(&state->memo);
        state->ready = false;
    }
}

/* ------------------------------------------------------------------ */
/* parse_error: a bounded scanner that never allocates                 */
/* ------------------------------------------------------------------ */

/*
 * Error bodies are read with a small scanner instead of the JSON parser:
 * parse_error has no allocator (llmio_error must be fillable when memory
 * is short), bodies may be truncated or HTML, and only three strings are
 * wanted. Whatever was read before a syntax error is kept.
 */
struct scan {
    const char *p;
    const char *end;
    int depth;
};

#define SCAN_MAX_DEPTH 64

static void scan_ws(struct scan *s)
{
    while (s->p < s->end && is_space(*s->p)) {
        s->p++;
    }
}

static bool scan_lit(struct scan *s, char c)
{
    scan_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return true;
    }
    return false;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static bool scan_hex4(struct scan *s, unsigned *out)
{
    if (s->end - s->p < 4) {
        return false;
    }
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(s->p[i]);
        if (h < 0) {
            return false;
        }
        v = v << 4 | (unsigned)h;
    }
    s->p += 4;
    *out = v;
    return true;
}

/* Appends code point CP as UTF-8 when it fits whole in OUT[CAP]. */
static void put_cp(char *out, size_t cap, size_t *n, unsigned cp)
{
    char tmp[4];
    size_t k;
    if (cp < 0x80) {
        tmp[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        tmp[0] = (char)(0xC0 | cp >> 6);
        tmp[1] = (char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        tmp[0] = (char)(0xE0 | cp >> 12);
        tmp[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        tmp[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        tmp[0] = (char)(0xF0 | cp >> 18);
        tmp[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        tmp[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        tmp[3] = (char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    if (out != NULL && *n + k < cap) {
        memcpy(out + *n, tmp, k);
        *n += k;
    }
}

/*
 * Reads a string at S (after whitespace), decoding it into OUT[CAP]
 * (truncated, NUL-terminated; OUT may be NULL to skip). Returns false on a
 * syntax error or truncation; OUT then holds what was decoded.
 */
static bool scan_str(struct scan *s, char *out, size_t cap, size_t *outlen)
{
    size_t n = 0;
    bool ok = false;
    if (!scan_lit(s, '"')) {
        goto done;
    }
    while (s->p < s->end) {
        char c = *s->p++;
        if (c == '"') {
            ok = true;
            break;
        }
        if (c != '\\') {
            if (out != NULL && n + 1 < cap) {
                out[n++] = c;
            }
            continue;
        }
        if (s->p >= s->end) {
            break;
        }
        c = *s->p++;
        unsigned cp;
        switch (c) {
        case 'n':
        case 'r':
        case 't':
        case 'b':
        case 'f':
            cp = ' ';
            break;
        case 'u':
            if (!scan_hex4(s, &cp)) {
                goto done;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF && s->end - s->p >= 6 &&
                s->p[0] == '\\' && s->p[1] == 'u') {
                unsigned lo;
                s->p += 2;
                if (!scan_hex4(s, &lo)) {
                    goto done;
                }
                cp = lo >= 0xDC00 && lo <= 0xDFFF
                         ? 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                         : 0xFFFD;
            } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            break;
        default:
            cp = (unsigned char)c;
            break;
        }
        put_cp(out, cap, &n, cp == 0 ? ' ' : cp);
    }
done:
    if (out != NULL && cap > 0) {
        n = trim_partial_utf8(out, n);
        out[n] = '\0';
    }
    if (outlen != NULL) {
        *outlen = n;
    }
    return ok;
}

static bool scan_value(struct scan *s);

static bool scan_container(struct scan *s, char open, char close)
{
    if (++s->depth > SCAN_MAX_DEPTH) {
        return false;
    }
    s->p++;
    if (scan_lit(s, close)) {
        s->depth--;
        return true;
    }
    for (;;) {
        if (open == '{') {
            if (!scan_str(s, NULL, 0, NULL) || !scan_lit(s, ':')) {
                return false;
            }
        }
        if (!scan_value(s)) {
            return false;
        }
        if (scan_lit(s, close)) {
            s->depth--;
            return true;
        }
        if (!scan_lit(s, ',')) {
            return false;
        }
    }
}

/* Skips one value (syntax checked loosely: enough to find members). */

/* Characters of an unquoted scalar (number, literal) and of the junk a
 * lenient scan steps over with it. */
static bool scalar_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*' ||
           c == '.' || c == '+';
}

static bool scan_value(struct scan *s)
{
    scan_ws(s);
    if (s->p >= s->end) {
        return false;
    }
    char c = *s->p;
    if (c == '"') {
        return scan_str(s, NULL, 0, NULL);
    }
    if (c == '{') {
        return scan_container(s, '{', '}');
    }
    if (c == '[') {
        return scan_container(s, '[', ']');
    }
    const char *start = s->p;
    while (s->p < s->end && scalar_char((unsigned char)*s->p)) {
        s->p++;
    }
    return s->p > start;
}

/* Reads a scalar into OUT: a string decoded, a number or literal as its
 * text; containers are skipped (OUT left empty). */
static bool scan_scalar(struct scan *s, char *out, size_t cap)
{
    scan_ws(s);
    if (s->p < s->end && *s->p == '"') {
        return scan_str(s, out, cap, NULL);
    }
    const char *start = s->p;
    if (!scan_value(s)) {
        return false;
    }
    if (s->p > start && *start != '{' && *start != '[' &&
        !(s->p - start == 4 && memcmp(start, "null", 4) == 0)) {
        copy_field(out, cap, start, (size_t)(s->p - start));
    }
    return true;
}

/* The members of the "error" object. */
static bool scan_error_obj(struct scan *s, llmio_error *err)
{
    if (++s->depth > SCAN_MAX_DEPTH) {
        return false;
    }
    s->p++;
    if (scan_lit(s, '}')) {
        return true;
    }
    for (;;) {
        char key[16];
        if (!scan_str(s, key, sizeof key, NULL) || !scan_lit(s, ':')) {
            return false;
        }
        bool ok;
        if (strcmp(key, "message") == 0) {
            ok = scan_scalar(s, err->message, sizeof err->message);
        } else if (strcmp(key, "type") == 0) {
            ok = scan_scalar(s, err->provider_type, sizeof err->provider_type);
        } else if (strcmp(key, "code") == 0) {
            ok = scan_scalar(s, err->provider_code, sizeof err->provider_code);
        } else {
            ok = scan_value(s);
        }
        if (!ok) {
            return false;
        }
        if (scan_lit(s, '}')) {
            return true;
        }
        if (!scan_lit(s, ',')) {
            return false;
        }
    }
}

/* Reads the body's error fields into ERR as far as the body is valid. */
static void scan_error_body(const char *body, size_t len, llmio_error *err)
{
    struct scan s = {body, body + len, 0};
    if (!scan_lit(&s, '{') || scan_lit(&s, '}')) {
        return;
    }
    s.depth = 1;
    char fallback[sizeof err->message];
    fallback[0] = '\0';
    for (;;) {
        char key[16];
        if (!scan_str(&s, key, sizeof key, NULL) || !scan_lit(&s, ':')) {
            break;
        }
        scan_ws(&s);
        bool ok;
        if (strcmp(key, "error") == 0 && s.p < s.end && *s.p == '{') {
            ok = scan_error_obj(&s, err);
        } else if (strcmp(key, "error") == 0 || strcmp(key, "message") == 0 ||
                   strcmp(key, "detail") == 0) {
            /* {"error":"text"} and FastAPI's {"detail":"text"} from
             * compatible servers. */
            ok = scan_scalar(&s, fallback, sizeof fallback);
        } else {
            ok = scan_value(&s);
        }
        if (!ok || !scan_lit(&s, ',')) {
            break;
        }
    }
    if (err->message[0] == '\0' && fallback[0] != '\0') {
        memcpy(err->message, fallback, sizeof fallback);
    }
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return NULL;
    }
}

void llmio__openai_parse_error(int http_status, const char *body, size_t len,
                               llmio_error *err)
{
    if (err == NULL) {
        return;
    }
    err->provider_type[0] = '\0';
    err->provider_code[0] = '\0';
    err->message[0] = '\0';
    if (body != NULL && len > 0) {
        scan_error_body(body, len, err);
    }
    size_t mlen = strlen(err->message);
    while (mlen > 0 && is_space(err->message[mlen - 1])) {
        err->message[--mlen] = '\0';
    }
    for (size_t i = 0; i < mlen; i++) {
        if ((unsigned char)err->message[i] < 0x20) {
            err->message[i] = ' ';
        }
    }
    llmio__prov_scrub_n(err->message, mlen);
    llmio__prov_scrub_n(err->provider_type, strlen(err->provider_type));
    llmio__prov_scrub_n(err->provider_code, strlen(err->provider_code));
    if (err->message[0] == '\0') {
        /* HTML from a proxy, an empty body, or JSON without a message:
         * the status says what there is to say. */
        const char *phrase = reason_phrase(http_status);
        const char *what =
            body == NULL || len == 0 ? "empty body" : "no error message";
        if (phrase != NULL) {
            snprintf(err->message, sizeof err->message, "HTTP %d %s (%s)",
                     http_status, phrase, what);
        } else {
            snprintf(err->message, sizeof err->message, "HTTP %d: %s (%s)",
                     http_status, llmio_status_str(err->code), what);
        }
    }
    /* A prompt too long for the model is the caller's to fix (or a
     * bigger model's: fallbacks) whatever the status was; compatible
     * servers without the code (vLLM, DeepSeek, OpenRouter) say it in the
     * message. insufficient_quota stays LLMIO_E_RATE_LIMIT (a 429, as the
     * SDK treats it); provider_code lets a caller stop retrying. */
    if (strcmp(err->provider_code, "context_length_exceeded") == 0) {
        err->code = LLMIO_E_CONTEXT_LENGTH;
    } else {
        llmio__prov_mark_context(err, http_status, "maximum context length");
    }
}

const struct llmio__provider llmio__provider_openai = {
    .name = "openai",
    .default_base_url = "https://api.openai.com/v1",
    .api_key_env = "OPENAI_API_KEY",
    .base_url_env = "OPENAI_BASE_URL",
    .framing = LLMIO__FRAMING_SSE,
    .state_size = LLMIO__OPENAI_STATE_SIZE,
    .build_request = llmio__openai_build_request,
    .parse_body = llmio__openai_parse_body,
    .parse_event = llmio__openai_parse_event,
    .parse_error = llmio__openai_parse_error,
    .build_embed = llmio__openai_build_embed,
    .parse_embed = llmio__openai_parse_embed,
    .stream_cleanup = llmio__openai_stream_cleanup,
};
