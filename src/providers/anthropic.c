/*
 * anthropic.c - translation between the unified request/delta model and
 * the Anthropic Messages API (POST <base>/v1/messages, SSE streams).
 *
 * Request: system and developer messages are lifted to the top-level
 * "system" string (joined with a blank line, position lost, as the API
 * has no system role); consecutive turns of the same Anthropic role are
 * merged into one turn of content blocks (the API wants user and assistant
 * to alternate), so parallel tool results become one user turn of
 * tool_result blocks; tool-call arguments (JSON text) become the tool_use
 * "input" object; max_tokens, which the API requires, defaults to
 * ANTH_DEFAULT_MAX_TOKENS.
 *
 * Responses and streams become deltas: text blocks -> TEXT, thinking ->
 * REASONING, tool_use -> TOOL_CALL (tool indexes count tool_use blocks
 * from 0, not content-block indexes), stop_reason -> FINISH, usage ->
 * USAGE with prompt = input + cache creation + cache read (reference
 * anthropic-messages.md section 7).
 *
 * Invariants: no I/O; every event is parsed into a scratch arena reset per
 * event, so a long stream uses bounded memory; the stream state records,
 * per content-block index, what the block is, so deltas are routed by the
 * block's index whatever order the events come in.
 * Owns: the scratch arena in the stream state (released by
 * stream_cleanup). Deltas point into it only for the sink call.
 */
#include "common.h"

#include "alloc.h"
#include "buf.h"
#include "json.h"

#include <stddef.h>
#include <string.h>

/* The API rejects a request without max_tokens; 4096 is what LiteLLM and
 * most gateways default to and every current Claude model accepts. */
#define ANTH_DEFAULT_MAX_TOKENS 4096
#define ANTH_VERSION "2023-06-01"
/* Content blocks tracked per stream; a response with more is cut with
 * LLMIO_E_TOO_BIG rather than growing state without bound. */
#define ANTH_MAX_BLOCKS 512

enum block_kind {
    BLOCK_UNKNOWN = 0, /* not started (state is zeroed) */
    BLOCK_TEXT,
    BLOCK_THINKING,
    BLOCK_TOOL,
    BLOCK_OTHER /* redacted thinking, server tools: skipped */
};

struct anth_state {
    struct llmio__prov_scratch scratch; /* first: see below */
    bool started;
    bool finished;
    int ntools;
    /* Usage so far: message_start reports input and cache counts,
     * message_delta the cumulative output (and sometimes input again). */
    int64_t input, cache_create, cache_read, output;
    bool has_input, has_cache_create, has_cache_read, has_output;
    unsigned char kind[ANTH_MAX_BLOCKS];
    bool has_args[ANTH_MAX_BLOCKS];
    short tool[ANTH_MAX_BLOCKS];
};
/* llmio__prov_stream_cleanup finds the scratch arena at ctx->state. */
_Static_assert(offsetof(struct anth_state, scratch) == 0,
               "scratch must come first");

/* ------------------------------------------------------------------ */
/* Request                                                              */
/* ------------------------------------------------------------------ */

static void write_text_block(struct llmio__jw *w, const char *text)
{
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "type");
    llmio__jw_strs(w, "text");
    llmio__jw_keys(w, "text");
    llmio__jw_strs(w, text);
    llmio__jw_obj_end(w);
}

static void write_image_block(struct llmio__jw *w, const char *url)
{
    const char *mime, *data;
    size_t mime_len, data_len;
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "type");
    llmio__jw_strs(w, "image");
    llmio__jw_keys(w, "source");
    llmio__jw_obj_begin(w);
    if (llmio__prov_data_url(url, &mime, &mime_len, &data, &data_len)) {
        llmio__jw_keys(w, "type");
        llmio__jw_strs(w, "base64");
        llmio__jw_keys(w, "media_type");
        llmio__jw_str(w, mime, mime_len);
        llmio__jw_keys(w, "data");
        llmio__jw_str(w, data, data_len);
    } else {
        llmio__jw_keys(w, "type");
        llmio__jw_strs(w, "url");
        llmio__jw_keys(w, "url");
        llmio__jw_strs(w, url);
    }
    llmio__jw_obj_end(w);
    llmio__jw_obj_end(w);
}

static void write_tool_use(struct llmio__jw *w,
                           const struct llmio__tool_call_in *tc,
                           const struct llmio__json *args)
{
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "type");
    llmio__jw_strs(w, "tool_use");
    llmio__jw_keys(w, "id");
    llmio__jw_strs(w, tc->id != NULL ? tc->id : "");
    llmio__jw_keys(w, "name");
    llmio__jw_strs(w, tc->name != NULL ? tc->name : "");
    llmio__jw_keys(w, "input");
    llmio__prov_write_args(w, args);
    llmio__jw_obj_end(w);
}

/* Writes the content blocks of message MI: a tool result as one
 * tool_result block, anything else as text, image and tool_use blocks. */
static llmio_status write_blocks(const struct llmio__prov_writer *pw, size_t mi,
                                 llmio_error *err)
{
    static const struct llmio__prov_items items = {.text = write_text_block,
                                                   .image = write_image_block,
                                                   .call = write_tool_use};
    const struct llmio__message *m = &pw->req->messages[mi];
    if (m->role != LLMIO_ROLE_TOOL) {
        return llmio__prov_write_items(pw, mi, &items, err);
    }
    if (m->tool_call_id == NULL) {
        llmio__prov_errf(err, LLMIO_E_INVALID,
                         "messages[%zu].tool_call_id: required for a tool "
                         "result",
                         mi);
        return LLMIO_E_INVALID;
    }
    llmio__buf_reset(pw->tmp);
    llmio_status st = llmio__prov_append_text(pw->tmp, m);
    if (st != LLMIO_OK) {
        return st;
    }
    struct llmio__jw *w = pw->w;
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "type");
    llmio__jw_strs(w, "tool_result");
    llmio__jw_keys(w, "tool_use_id");
    llmio__jw_strs(w, m->tool_call_id);
    llmio__jw_keys(w, "content");
    llmio__jw_str(w, llmio__buf_cstr(pw->tmp), pw->tmp->len);
    llmio__jw_obj_end(w);
    return LLMIO_OK;
}

static llmio_status write_tools(const struct llmio_request *req,
                                struct llmio__jw *w,
                                struct llmio__arena *scratch, llmio_error *err)
{
    if (req->ntools > 0 && !llmio__request_has_raw(req, "tools")) {
        llmio__jw_keys(w, "tools");
        llmio__jw_arr_begin(w);
        for (size_t i = 0; i < req->ntools; i++) {
            const struct llmio__tool_def *t = &req->tools[i];
            const struct llmio__json *schema = NULL;
            llmio_status st =
                llmio__prov_tool_schema(scratch, req, i, &schema, err);
            if (st != LLMIO_OK) {
                return st;
            }
            llmio__jw_obj_begin(w);
            llmio__prov_write_tool_name(w, t);
            /* input_schema is required; a tool without parameters takes
             * an empty object. */
            llmio__jw_keys(w, "input_schema");
            llmio__prov_write_schema(w, schema);
            llmio__jw_obj_end(w);
        }
        llmio__jw_arr_end(w);
    }
    if (req->tool_choice != NULL &&
        !llmio__request_has_raw(req, "tool_choice")) {
        const char *c = req->tool_choice;
        llmio__jw_keys(w, "tool_choice");
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "type");
        if (strcmp(c, "auto") == 0 || strcmp(c, "none") == 0) {
            llmio__jw_strs(w, c);
        } else if (strcmp(c, "required") == 0) {
            llmio__jw_strs(w, "any");
        } else {
            llmio__jw_strs(w, "tool");
            llmio__jw_keys(w, "name");
            llmio__jw_strs(w, c);
        }
        llmio__jw_obj_end(w);
    }
    return LLMIO_OK;
}

/* Rejects parameters the Messages API cannot express, so a caller learns
 * at once instead of getting a silently different request. */
static llmio_status check_params(const struct llmio_request *req,
                                 const char *model, llmio_error *err)
{
    llmio_status st = llmio__prov_check_native(req, model, "anthropic", 1, err);
    if (st != LLMIO_OK) {
        return st;
    }
    if (req->has_temperature &&
        (req->temperature < 0.0 || req->temperature > 1.0)) {
        llmio__prov_errf(err, LLMIO_E_INVALID,
                         "temperature: anthropic accepts 0 to 1");
        return LLMIO_E_INVALID;
    }
    if (req->response_format_type != NULL &&
        strcmp(req->response_format_type, "text") != 0) {
        llmio__prov_errf(err, LLMIO_E_UNSUPPORTED,
                         "response_format: anthropic has no JSON mode");
        return LLMIO_E_UNSUPPORTED;
    }
    return LLMIO_OK;
}

static llmio_status write_body(const struct llmio__prov_writer *pw,
                               const char *model, llmio_error *err)
{
    const struct llmio_request *req = pw->req;
    struct llmio__jw *w = pw->w;
    llmio__jw_obj_begin(w);
    if (!llmio__request_has_raw(req, "model")) {
        llmio__jw_keys(w, "model");
        llmio__jw_strs(w, model);
    }
    if (!llmio__request_has_raw(req, "max_tokens")) {
        int64_t max = ANTH_DEFAULT_MAX_TOKENS;
        if (req->has_max_completion_tokens) {
            max = req->max_completion_tokens;
        } else if (req->has_max_tokens) {
            max = req->max_tokens;
        }
        llmio__jw_keys(w, "max_tokens");
        llmio__jw_int(w, max);
    }
    llmio__buf_reset(pw->tmp);
    bool has_system = false;
    for (size_t i = 0; i < req->nmessages; i++) {
        const struct llmio__message *m = &req->messages[i];
        if (!llmio__prov_is_system(m)) {
            continue;
        }
        llmio_status st = LLMIO_OK;
        if (has_system) {
            st = llmio__buf_append(pw->tmp, "\n\n", 2);
        }
        if (st == LLMIO_OK) {
            st = llmio__prov_append_text(pw->tmp, m);
        }
        if (st != LLMIO_OK) {
            return st;
        }
        has_system = true;
    }
    if (has_system && !llmio__request_has_raw(req, "system")) {
        llmio__jw_keys(w, "system");
        llmio__jw_str(w, llmio__buf_cstr(pw->tmp), pw->tmp->len);
    }
    /* Runs of one side become one turn (the API wants user and assistant
     * to alternate); a turn of one plain-text message keeps the string
     * shorthand. */
    static const struct llmio__prov_turns turns = {.list_key = "messages",
                                                   .user = "user",
                                                   .assistant = "assistant",
                                                   .items_key = "content",
                                                   .shorthand = true,
                                                   .message = write_blocks};
    llmio_status st = LLMIO_OK;
    if (!llmio__request_has_raw(req, "messages")) {
        st = llmio__prov_write_turns(pw, &turns, err);
    }
    if (st == LLMIO_OK) {
        st = write_tools(req, w, pw->scratch, err);
    }
    if (st != LLMIO_OK) {
        return st;
    }
    /* max_tokens went first (it has a default); n and seed do not exist. */
    static const struct llmio__prov_sampling_keys keys = {
        .temperature = "temperature",
        .top_p = "top_p",
        .stop = "stop_sequences",
        .raw_wins = true};
    llmio__prov_write_sampling(w, req, &keys);
    if (req->user != NULL && !llmio__request_has_raw(req, "metadata")) {
        llmio__jw_keys(w, "metadata");
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "user_id");
        llmio__jw_strs(w, req->user);
        llmio__jw_obj_end(w);
    }
    if (req->stream && !llmio__request_has_raw(req, "stream")) {
        llmio__jw_keys(w, "stream");
        llmio__jw_bool(w, true);
    }
    llmio__prov_write_raw(w, req);
    llmio__jw_obj_end(w);
    return LLMIO_OK;
}

static llmio_status anth_build_request(const struct llmio_request *req,
                                       const char *model,
                                       const struct llmio__provider_cfg *cfg,
                                       struct llmio__http_req *out,
                                       llmio_error *err)
{
    llmio_status st = check_params(req, model, err);
    if (st != LLMIO_OK) {
        return st;
    }
    st = llmio__prov_url(out, cfg->base_url, "/v1/messages", NULL, NULL, err);
    if (st != LLMIO_OK) {
        return st;
    }
    if (cfg->api_key != NULL && cfg->api_key[0] != '\0') {
        st = llmio__prov_header(out, "x-api-key", cfg->api_key);
    }
    if (st == LLMIO_OK) {
        st = llmio__prov_header(out, "anthropic-version",
                                cfg->api_version != NULL ? cfg->api_version
                                                         : ANTH_VERSION);
    }
    if (st == LLMIO_OK) {
        st = llmio__prov_header(out, "content-type", "application/json");
    }
    if (st == LLMIO_OK) {
        st = llmio__prov_header(out, "accept",
                                req->stream ? "text/event-stream"
                                            : "application/json");
    }
    if (st != LLMIO_OK) {
        /* Never quote the values: one of them is the key. */
        llmio__prov_errf(err, st,
                         st == LLMIO_E_INVALID
                             ? "api_key or api_version: contains a line "
                               "break"
                             : "building the request headers");
        return st;
    }
    return llmio__prov_build_body(req, model, out, write_body, err);
}

/* ------------------------------------------------------------------ */
/* Responses and streams                                                */
/* ------------------------------------------------------------------ */

static llmio_finish_reason map_stop(const char *s)
{
    if (strcmp(s, "end_turn") == 0 || strcmp(s, "stop_sequence") == 0) {
        return LLMIO_FINISH_STOP;
    }
    if (strcmp(s, "max_tokens") == 0 ||
        strcmp(s, "model_context_window_exceeded") == 0) {
        return LLMIO_FINISH_LENGTH;
    }
    if (strcmp(s, "tool_use") == 0) {
        return LLMIO_FINISH_TOOL_CALLS;
    }
    if (strcmp(s, "refusal") == 0) {
        return LLMIO_FINISH_CONTENT_FILTER;
    }
    return LLMIO_FINISH_OTHER;
}

/* The status an Anthropic error type means, or FALLBACK for types that do
 * not refine the HTTP status (invalid_request_error is also sent for
 * other 4xx statuses). */
static llmio_status map_error_type(const char *t, llmio_status fallback)
{
    if (t == NULL) {
        return fallback;
    }
    if (strcmp(t, "overloaded_error") == 0) {
        return LLMIO_E_OVERLOADED;
    }
    if (strcmp(t, "rate_limit_error") == 0) {
        return LLMIO_E_RATE_LIMIT;
    }
    if (strcmp(t, "authentication_error") == 0 ||
        strcmp(t, "permission_error") == 0) {
        return LLMIO_E_AUTH;
    }
    if (strcmp(t, "api_error") == 0 || strcmp(t, "timeout_error") == 0) {
        return LLMIO_E_SERVER;
    }
    if (strcmp(t, "invalid_request_error") == 0 ||
        strcmp(t, "not_found_error") == 0 ||
        strcmp(t, "request_too_large") == 0) {
        return fallback == LLMIO_E_SERVER ? LLMIO_E_BAD_REQUEST : fallback;
    }
    return fallback;
}

/* Fills ERR from an {"type":"error","error":{...},"request_id"} object;
 * true when ROOT had that shape. */
static bool fill_error(const struct llmio__json *root, llmio_status fallback,
                       llmio_error *err)
{
    const struct llmio__json *e = llmio__json_get(root, "error");
    if (llmio__json_type(e) != LLMIO__JSON_OBJECT) {
        return false;
    }
    size_t len = 0;
    const char *type = llmio__prov_gets(e, "type", &len);
    llmio__prov_copy(err->provider_type, sizeof(err->provider_type), type, len);
    const char *msg = llmio__prov_gets(e, "message", &len);
    if (msg != NULL) {
        llmio__prov_copy(err->message, sizeof(err->message), msg, len);
    }
    const char *rid = llmio__prov_gets(root, "request_id", &len);
    if (rid != NULL && err->request_id[0] == '\0') {
        llmio__prov_copy(err->request_id, sizeof(err->request_id), rid, len);
    }
    err->code = map_error_type(type, fallback);
    return true;
}

static void usage_from(struct anth_state *s, const struct llmio__json *u)
{
    int64_t v;
    if ((v = llmio__prov_geti(u, "input_tokens")) >= 0) {
        s->input = v;
        s->has_input = true;
    }
    if ((v = llmio__prov_geti(u, "cache_creation_input_tokens")) >= 0) {
        s->cache_create = v;
        s->has_cache_create = true;
    }
    if ((v = llmio__prov_geti(u, "cache_read_input_tokens")) >= 0) {
        s->cache_read = v;
        s->has_cache_read = true;
    }
    if ((v = llmio__prov_geti(u, "output_tokens")) >= 0) {
        s->output = v;
        s->has_output = true;
    }
}

static llmio_status emit_usage(struct llmio__stream_ctx *ctx,
                               const struct anth_state *s)
{
    llmio_usage u;
    llmio__prov_usage_init(&u);
    if (s->has_input) {
        u.prompt_tokens = s->input +
                          (s->has_cache_create ? s->cache_create : 0) +
                          (s->has_cache_read ? s->cache_read : 0);
    }
    if (s->has_cache_read) {
        u.cached_tokens = s->cache_read;
    }
    if (s->has_output) {
        u.completion_tokens = s->output;
    }
    if (s->has_input && s->has_output) {
        u.total_tokens = u.prompt_tokens + u.completion_tokens;
    }
    llmio_delta d = {.kind = LLMIO_DELTA_USAGE, .usage = &u};
    return llmio__prov_emit(ctx, &d);
}

static llmio_status emit_start(struct llmio__stream_ctx *ctx,
                               struct anth_state *s,
                               const struct llmio__json *msg)
{
    if (s->started) {
        return LLMIO_OK;
    }
    s->started = true;
    llmio_delta d = {.kind = LLMIO_DELTA_START};
    d.id = llmio__prov_gets(msg, "id", NULL);
    d.model = llmio__prov_gets(msg, "model", NULL);
    return llmio__prov_emit(ctx, &d);
}

static llmio_status emit_text(struct llmio__stream_ctx *ctx,
                              llmio_delta_kind kind, const char *text,
                              size_t len)
{
    if (text == NULL || len == 0) {
        return LLMIO_OK;
    }
    llmio_delta d = {.kind = kind, .text = text, .text_len = len};
    return llmio__prov_emit(ctx, &d);
}

static llmio_status emit_finish(struct llmio__stream_ctx *ctx,
                                struct anth_state *s, const char *reason)
{
    if (reason == NULL || s->finished) {
        return LLMIO_OK;
    }
    s->finished = true;
    llmio_delta d = {.kind = LLMIO_DELTA_FINISH,
                     .finish = map_stop(reason),
                     .finish_raw = reason};
    return llmio__prov_emit(ctx, &d);
}

/* Translates a whole Messages response ROOT with the fresh state S. */
static llmio_status on_body(struct llmio__stream_ctx *ctx, void *state,
                            const struct llmio__json *root, llmio_error *err)
{
    struct anth_state *s = state;
    const struct llmio__json *content = llmio__json_get(root, "content");
    if (llmio__json_type(content) != LLMIO__JSON_ARRAY) {
        llmio__prov_errf(err, LLMIO_E_PROTOCOL,
                         "response body: no content array");
        return LLMIO_E_PROTOCOL;
    }
    llmio_status st = emit_start(ctx, s, root);
    for (size_t i = 0; st == LLMIO_OK && i < llmio__json_len(content); i++) {
        const struct llmio__json *b = llmio__json_at(content, i);
        const char *type = llmio__prov_gets(b, "type", NULL);
        size_t n = 0;
        const char *t;
        if (type == NULL) {
            continue;
        }
        if (strcmp(type, "text") == 0) {
            t = llmio__prov_gets(b, "text", &n);
            st = emit_text(ctx, LLMIO_DELTA_TEXT, t, n);
        } else if (strcmp(type, "thinking") == 0) {
            t = llmio__prov_gets(b, "thinking", &n);
            st = emit_text(ctx, LLMIO_DELTA_REASONING, t, n);
        } else if (strcmp(type, "tool_use") == 0) {
            llmio_delta d = {.kind = LLMIO_DELTA_TOOL_CALL};
            d.tool_index = s->ntools++;
            d.tool_id = llmio__prov_gets(b, "id", NULL);
            d.tool_name = llmio__prov_gets(b, "name", NULL);
            d.text = llmio__json_raw(llmio__json_get(b, "input"), &d.text_len);
            if (d.text == NULL) {
                d.text = "{}";
                d.text_len = 2;
            }
            st = llmio__prov_emit(ctx, &d);
        }
    }
    if (st == LLMIO_OK) {
        st = emit_finish(ctx, s, llmio__prov_gets(root, "stop_reason", NULL));
    }
    const struct llmio__json *u = llmio__json_get(root, "usage");
    if (st == LLMIO_OK && u != NULL) {
        usage_from(s, u);
        st = emit_usage(ctx, s);
    }
    return st;
}

static llmio_status anth_parse_body(struct llmio__stream_ctx *ctx,
                                    const char *body, size_t len,
                                    llmio_error *err)
{
    struct anth_state s;
    memset(&s, 0, sizeof(s));
    return llmio__prov_doc_body(ctx, body, len, &s, on_body, err);
}

/* The state slot of content block INDEX, or -1 when INDEX is absent or out
 * of the tracked range. */
static int block_slot(const struct llmio__json *data)
{
    int64_t i = llmio__prov_geti(data, "index");
    if (i < 0 || i >= ANTH_MAX_BLOCKS) {
        return -1;
    }
    return (int)i;
}

static llmio_status on_block_start(struct llmio__stream_ctx *ctx,
                                   struct anth_state *s,
                                   const struct llmio__json *data,
                                   llmio_error *err)
{
    int i = block_slot(data);
    if (i < 0) {
        llmio__prov_errf(err, LLMIO_E_TOO_BIG,
                         "stream event: content block index out of range");
        return LLMIO_E_TOO_BIG;
    }
    const struct llmio__json *b = llmio__json_get(data, "content_block");
    const char *type = llmio__prov_gets(b, "type", NULL);
    size_t n = 0;
    const char *t;
    if (type != NULL && strcmp(type, "text") == 0) {
        s->kind[i] = BLOCK_TEXT;
        t = llmio__prov_gets(b, "text", &n);
        return emit_text(ctx, LLMIO_DELTA_TEXT, t, n);
    }
    if (type != NULL && strcmp(type, "thinking") == 0) {
        s->kind[i] = BLOCK_THINKING;
        t = llmio__prov_gets(b, "thinking", &n);
        return emit_text(ctx, LLMIO_DELTA_REASONING, t, n);
    }
    if (type != NULL && strcmp(type, "tool_use") == 0) {
        if (s->kind[i] == BLOCK_TOOL) {
            return LLMIO_OK; /* a repeated start must not add a call */
        }
        if (s->ntools >= ANTH_MAX_BLOCKS) {
            llmio__prov_errf(err, LLMIO_E_TOO_BIG,
                             "stream event: too many tool calls");
            return LLMIO_E_TOO_BIG;
        }
        s->kind[i] = BLOCK_TOOL;
        s->tool[i] = (short)s->ntools++;
        llmio_delta d = {.kind = LLMIO_DELTA_TOOL_CALL,
                         .tool_index = s->tool[i],
                         .text = "",
                         .text_len = 0};
        d.tool_id = llmio__prov_gets(b, "id", NULL);
        d.tool_name = llmio__prov_gets(b, "name", NULL);
        return llmio__prov_emit(ctx, &d);
    }
    s->kind[i] = BLOCK_OTHER;
    return LLMIO_OK;
}

static llmio_status on_block_delta(struct llmio__stream_ctx *ctx,
                                   struct anth_state *s,
                                   const struct llmio__json *data)
{
    int i = block_slot(data);
    const struct llmio__json *d = llmio__json_get(data, "delta");
    const char *type = llmio__prov_gets(d, "type", NULL);
    size_t n = 0;
    const char *t;
    if (i < 0 || type == NULL) {
        return LLMIO_OK;
    }
    if (strcmp(type, "text_delta") == 0) {
        t = llmio__prov_gets(d, "text", &n);
        return emit_text(ctx, LLMIO_DELTA_TEXT, t, n);
    }
    if (strcmp(type, "thinking_delta") == 0) {
        t = llmio__prov_gets(d, "thinking", &n);
        return emit_text(ctx, LLMIO_DELTA_REASONING, t, n);
    }
    if (strcmp(type, "input_json_delta") == 0 && s->kind[i] == BLOCK_TOOL) {
        t = llmio__prov_gets(d, "partial_json", &n);
        if (t == NULL || n == 0) {
            return LLMIO_OK;
        }
        s->has_args[i] = true;
        llmio_delta td = {.kind = LLMIO_DELTA_TOOL_CALL,
                          .tool_index = s->tool[i],
                          .text = t,
                          .text_len = n};
        return llmio__prov_emit(ctx, &td);
    }
    return LLMIO_OK; /* signature, citations, future delta types */
}

static llmio_status on_block_stop(struct llmio__stream_ctx *ctx,
                                  struct anth_state *s,
                                  const struct llmio__json *data)
{
    int i = block_slot(data);
    if (i < 0 || s->kind[i] != BLOCK_TOOL || s->has_args[i]) {
        return LLMIO_OK;
    }
    /* A call without arguments streams only empty fragments; its input is
     * {} as in a non-streaming response. */
    s->has_args[i] = true;
    llmio_delta d = {.kind = LLMIO_DELTA_TOOL_CALL,
                     .tool_index = s->tool[i],
                     .text = "{}",
                     .text_len = 2};
    return llmio__prov_emit(ctx, &d);
}

static llmio_status anth_parse_event(struct llmio__stream_ctx *ctx,
                                     const char *type, size_t type_len,
                                     const char *data, size_t data_len,
                                     llmio_error *err)
{
    struct anth_state *s = ctx->state;
    struct llmio__arena *scratch = llmio__prov_scratch_next(&s->scratch, ctx);
    const struct llmio__json *root = NULL;
    llmio_status st =
        llmio__prov_parse(scratch, data, data_len, "stream event", &root, err);
    if (st != LLMIO_OK) {
        return st;
    }
    /* Dispatch on data.type (the SDKs do; the event name is the fallback
     * when a proxy dropped the field). */
    size_t tlen = 0;
    const char *t = llmio__prov_gets(root, "type", &tlen);
    if (t == NULL) {
        t = type;
        tlen = type != NULL ? type_len : 0;
    }
    if (t == NULL) {
        return LLMIO_OK;
    }
#define IS(lit) (tlen == sizeof(lit) - 1 && memcmp(t, lit, tlen) == 0)
    if (IS("message_start")) {
        const struct llmio__json *msg = llmio__json_get(root, "message");
        usage_from(s, llmio__json_get(msg, "usage"));
        return emit_start(ctx, s, msg);
    }
    if (IS("error")) {
        err->provider_type[0] = '\0';
        err->message[0] = '\0';
        if (!fill_error(root, LLMIO_E_SERVER, err)) {
            err->code = LLMIO_E_SERVER;
        }
        return llmio__prov_stream_error(ctx, err, false);
    }
    if (IS("ping")) {
        return LLMIO_OK;
    }
    st = emit_start(ctx, s, NULL);
    if (st != LLMIO_OK) {
        return st;
    }
    if (IS("content_block_start")) {
        return on_block_start(ctx, s, root, err);
    }
    if (IS("content_block_delta")) {
        return on_block_delta(ctx, s, root);
    }
    if (IS("content_block_stop")) {
        return on_block_stop(ctx, s, root);
    }
    if (IS("message_delta")) {
        const struct llmio__json *d = llmio__json_get(root, "delta");
        st = emit_finish(ctx, s, llmio__prov_gets(d, "stop_reason", NULL));
        const struct llmio__json *u = llmio__json_get(root, "usage");
        if (st == LLMIO_OK && u != NULL) {
            usage_from(s, u);
            st = emit_usage(ctx, s);
        }
        return st;
    }
    if (IS("message_stop")) {
        ctx->done = true;
    }
#undef IS
    return LLMIO_OK; /* unknown events are ignored, as the API asks */
}

static void anth_parse_error(int http_status, const char *body, size_t len,
                             llmio_error *err)
{
    llmio__prov_parse_error(http_status, body, len, err, fill_error);
    llmio__prov_mark_context(err, http_status, "prompt is too long");
}

const struct llmio__provider llmio__provider_anthropic = {
    .name = "anthropic",
    .default_base_url = "https://api.anthropic.com",
    .api_key_env = "ANTHROPIC_API_KEY",
    .base_url_env = "ANTHROPIC_BASE_URL",
    .framing = LLMIO__FRAMING_SSE,
    .state_size = sizeof(struct anth_state),
    .build_request = anth_build_request,
    .parse_body = anth_parse_body,
    .parse_event = anth_parse_event,
    .parse_error = anth_parse_error,
    .stream_cleanup = llmio__prov_stream_cleanup,
};
