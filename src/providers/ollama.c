/*
 * ollama.c - translation between the unified request/delta model and
 * Ollama's native chat API (POST <host>/api/chat, NDJSON streams).
 *
 * Request: content is a plain string (text parts joined with a newline);
 * images go in "images" as bare base64 (only data: URLs can be sent, Ollama
 * fetches nothing); tool-call arguments become objects; tool results carry
 * "tool_name", looked up from the earlier assistant call with the same id;
 * parameters go in "options" (num_predict is the token limit); "stream" is
 * always written, because Ollama streams when it is absent.
 *
 * Responses and streams: each NDJSON line (or the one body) is a chat
 * object: message.content -> TEXT, message.thinking -> REASONING, each
 * whole message.tool_calls entry -> one TOOL_CALL (arguments object as raw
 * JSON text; id from the call, else call_<index>), the done:true object ->
 * FINISH (done_reason stop -> STOP, or TOOL_CALLS after a tool call;
 * length -> LENGTH) and USAGE (prompt_eval_count, eval_count), and sets
 * ctx->done. {"error": "..."} mid-stream is an in-band error.
 *
 * Invariants: no I/O; each line parses into a scratch arena reset per line.
 * Owns: the scratch arena in the stream state (released by stream_cleanup).
 */
#include "common.h"

#include "alloc.h"
#include "buf.h"
#include "json.h"

#include <stdio.h>
#include <stddef.h>
#include <string.h>

struct oll_state {
    struct llmio__prov_scratch scratch; /* first: see below */
    bool started;
    bool has_tools;
    bool finished;
    int ntools;
};
/* llmio__prov_stream_cleanup finds the scratch arena at ctx->state. */
_Static_assert(offsetof(struct oll_state, scratch) == 0,
               "scratch must come first");

/* ------------------------------------------------------------------ */
/* Request                                                              */
/* ------------------------------------------------------------------ */

static const char *role_name(llmio_role r)
{
    switch (r) {
    case LLMIO_ROLE_SYSTEM:
    case LLMIO_ROLE_DEVELOPER:
        return "system"; /* Ollama has no developer role */
    case LLMIO_ROLE_USER:
        return "user";
    case LLMIO_ROLE_ASSISTANT:
        return "assistant";
    case LLMIO_ROLE_TOOL:
        return "tool";
    }
    return NULL;
}

static llmio_status write_message(const struct llmio__prov_writer *pw,
                                  size_t mi, llmio_error *err)
{
    const struct llmio_request *req = pw->req;
    struct llmio__jw *w = pw->w;
    struct llmio__buf *tmp = pw->tmp;
    const struct llmio__message *m = &req->messages[mi];
    const char *role = role_name(m->role);
    if (role == NULL) {
        llmio__prov_errf(err, LLMIO_E_INVALID, "messages[%zu].role: invalid",
                         mi);
        return LLMIO_E_INVALID;
    }
    llmio__buf_reset(tmp);
    llmio_status st = LLMIO_OK;
    bool has_image = false;
    if (m->content != NULL) {
        st = llmio__buf_appends(tmp, m->content);
    }
    for (size_t i = 0; st == LLMIO_OK && i < m->nparts; i++) {
        const struct llmio__part *p = &m->parts[i];
        if (p->type == LLMIO__PART_TEXT && p->text != NULL) {
            if (tmp->len > 0) {
                st = llmio__buf_appendc(tmp, '\n');
            }
            if (st == LLMIO_OK) {
                st = llmio__buf_appends(tmp, p->text);
            }
        } else if (p->type == LLMIO__PART_IMAGE_URL) {
            has_image = true;
        }
    }
    if (st != LLMIO_OK) {
        return st;
    }
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "role");
    llmio__jw_strs(w, role);
    llmio__jw_keys(w, "content");
    llmio__jw_str(w, llmio__buf_cstr(tmp), tmp->len);
    if (has_image) {
        llmio__jw_keys(w, "images");
        llmio__jw_arr_begin(w);
        for (size_t i = 0; i < m->nparts; i++) {
            const struct llmio__part *p = &m->parts[i];
            const char *mime, *data;
            size_t mime_len, data_len;
            if (p->type != LLMIO__PART_IMAGE_URL) {
                continue;
            }
            if (!llmio__prov_data_url(p->url, &mime, &mime_len, &data,
                                      &data_len)) {
                llmio__prov_errf(err, LLMIO_E_UNSUPPORTED,
                                 "messages[%zu].parts[%zu]: ollama takes "
                                 "only base64 images (data: URLs)",
                                 mi, i);
                return LLMIO_E_UNSUPPORTED;
            }
            llmio__jw_str(w, data, data_len);
        }
        llmio__jw_arr_end(w);
    }
    if (m->ntool_calls > 0) {
        llmio__jw_keys(w, "tool_calls");
        llmio__jw_arr_begin(w);
        for (size_t i = 0; i < m->ntool_calls; i++) {
            const struct llmio__tool_call_in *tc = &m->tool_calls[i];
            const struct llmio__json *args;
            st = llmio__prov_call_args(pw, mi, i, &args, err);
            if (st != LLMIO_OK) {
                return st;
            }
            llmio__jw_obj_begin(w);
            llmio__jw_keys(w, "function");
            llmio__jw_obj_begin(w);
            llmio__jw_keys(w, "name");
            llmio__jw_strs(w, tc->name != NULL ? tc->name : "");
            llmio__jw_keys(w, "arguments");
            llmio__prov_write_args(w, args);
            llmio__jw_obj_end(w);
            llmio__jw_obj_end(w);
        }
        llmio__jw_arr_end(w);
    }
    if (m->role == LLMIO_ROLE_TOOL) {
        const char *name = llmio__prov_tool_name(req, mi, m->tool_call_id);
        if (name == NULL) {
            name = m->name;
        }
        /* Older servers match results by order; without a known name the
         * field is left out rather than guessed. */
        if (name != NULL) {
            llmio__jw_keys(w, "tool_name");
            llmio__jw_strs(w, name);
        }
    }
    llmio__jw_obj_end(w);
    return LLMIO_OK;
}

static llmio_status write_tools(const struct llmio_request *req,
                                struct llmio__jw *w,
                                struct llmio__arena *scratch, llmio_error *err)
{
    bool none =
        req->tool_choice != NULL && strcmp(req->tool_choice, "none") == 0;
    /* Ollama has no tool_choice: "none" is honoured by not offering the
     * tools at all. */
    if (req->ntools == 0 || none || llmio__request_has_raw(req, "tools")) {
        return LLMIO_OK;
    }
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
        llmio__jw_keys(w, "type");
        llmio__jw_strs(w, "function");
        llmio__jw_keys(w, "function");
        llmio__jw_obj_begin(w);
        llmio__prov_write_tool_name(w, t);
        llmio__jw_keys(w, "parameters");
        llmio__prov_write_schema(w, schema);
        llmio__jw_obj_end(w);
        llmio__jw_obj_end(w);
    }
    llmio__jw_arr_end(w);
    return LLMIO_OK;
}

static llmio_status write_format(const struct llmio_request *req,
                                 struct llmio__jw *w,
                                 struct llmio__arena *scratch, llmio_error *err)
{
    const char *rf = req->response_format_type;
    if (rf == NULL || strcmp(rf, "text") == 0 ||
        llmio__request_has_raw(req, "format")) {
        return LLMIO_OK;
    }
    if (strcmp(rf, "json_object") == 0) {
        llmio__jw_keys(w, "format");
        llmio__jw_strs(w, "json");
        return LLMIO_OK;
    }
    const struct llmio__json *schema = NULL;
    llmio_status st = llmio__prov_format_schema(scratch, req, &schema, err);
    if (st != LLMIO_OK) {
        return st;
    }
    llmio__jw_keys(w, "format");
    llmio__json_write(w, schema);
    return LLMIO_OK;
}

static void write_options(const struct llmio_request *req, struct llmio__jw *w)
{
    /* Ollama has no candidate count (n > 1 is rejected earlier). */
    static const struct llmio__prov_sampling_keys keys = {
        .temperature = "temperature",
        .top_p = "top_p",
        .max_tokens = "num_predict",
        .stop = "stop",
        .seed = "seed"};
    if (llmio__request_has_raw(req, "options") ||
        !llmio__prov_sampling_any(req, &keys)) {
        return;
    }
    llmio__jw_keys(w, "options");
    llmio__jw_obj_begin(w);
    llmio__prov_write_sampling(w, req, &keys);
    llmio__jw_obj_end(w);
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
    llmio_status st = LLMIO_OK;
    if (!llmio__request_has_raw(req, "messages")) {
        llmio__jw_keys(w, "messages");
        llmio__jw_arr_begin(w);
        for (size_t i = 0; st == LLMIO_OK && i < req->nmessages; i++) {
            st = write_message(pw, i, err);
        }
        llmio__jw_arr_end(w);
    }
    if (st == LLMIO_OK) {
        st = write_tools(req, w, pw->scratch, err);
    }
    if (st == LLMIO_OK) {
        st = write_format(req, w, pw->scratch, err);
    }
    if (st != LLMIO_OK) {
        return st;
    }
    write_options(req, w);
    if (!llmio__request_has_raw(req, "stream")) {
        llmio__jw_keys(w, "stream");
        llmio__jw_bool(w, req->stream);
    }
    llmio__prov_write_raw(w, req);
    llmio__jw_obj_end(w);
    return LLMIO_OK;
}

static llmio_status check_params(const struct llmio_request *req,
                                 const char *model, llmio_error *err)
{
    llmio_status st = llmio__prov_check_native(req, model, "ollama", 1, err);
    if (st != LLMIO_OK) {
        return st;
    }
    const char *c = req->tool_choice;
    if (c != NULL && strcmp(c, "auto") != 0 && strcmp(c, "none") != 0) {
        /* Forcing a call cannot be expressed; failing beats a request
         * that silently means something else. */
        llmio__prov_errf(err, LLMIO_E_UNSUPPORTED,
                         "tool_choice: ollama supports only auto and none");
        return LLMIO_E_UNSUPPORTED;
    }
    return LLMIO_OK;
}

llmio_status llmio__ollama_target(const struct llmio_request *req,
                                  const char *path,
                                  const struct llmio__provider_cfg *cfg,
                                  struct llmio__http_req *out, llmio_error *err)
{
    /* OLLAMA_HOST is often a bare "host:port" (Ollama's own default is
     * 127.0.0.1:11434); a URL needs the scheme. */
    const char *base = cfg->base_url;
    llmio_status st = LLMIO_OK;
    if (strstr(base, "://") == NULL) {
        st = llmio__buf_appends(&out->url, "http://");
    }
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/') {
        blen--;
    }
    if (st == LLMIO_OK) {
        st = llmio__buf_append(&out->url, base, blen);
    }
    if (st == LLMIO_OK) {
        st = llmio__buf_appends(&out->url, path);
    }
    if (st != LLMIO_OK) {
        llmio__prov_errf(err, st, "building the request URL");
        return st;
    }
    st = llmio__prov_header(out, "content-type", "application/json");
    if (st == LLMIO_OK) {
        st = llmio__prov_header(out, "accept",
                                req->stream ? "application/x-ndjson"
                                            : "application/json");
    }
    /* A local server needs no key; ollama.com takes a bearer token. */
    if (st == LLMIO_OK && cfg->api_key != NULL && cfg->api_key[0] != '\0') {
        st = llmio__prov_header_pre(out, "authorization", "Bearer ",
                                    cfg->api_key);
    }
    if (st != LLMIO_OK) {
        llmio__prov_errf(err, st,
                         st == LLMIO_E_INVALID
                             ? "api_key: contains a line break"
                             : "building the request headers");
    }
    return st;
}

static llmio_status oll_build_request(const struct llmio_request *req,
                                      const char *model,
                                      const struct llmio__provider_cfg *cfg,
                                      struct llmio__http_req *out,
                                      llmio_error *err)
{
    llmio_status st = check_params(req, model, err);
    if (st != LLMIO_OK) {
        return st;
    }
    st = llmio__ollama_target(req, "/api/chat", cfg, out, err);
    if (st != LLMIO_OK) {
        return st;
    }
    return llmio__prov_build_body(req, model, out, write_body, err);
}

/* ------------------------------------------------------------------ */
/* Responses and streams                                                */
/* ------------------------------------------------------------------ */

static llmio_status emit_text(struct llmio__stream_ctx *ctx,
                              llmio_delta_kind kind,
                              const struct llmio__json *msg, const char *key)
{
    size_t n = 0;
    const char *t = llmio__prov_gets(msg, key, &n);
    if (t == NULL || n == 0) {
        return LLMIO_OK; /* the final object often has empty content */
    }
    llmio_delta d = {.kind = kind, .text = t, .text_len = n};
    return llmio__prov_emit(ctx, &d);
}

static llmio_status emit_calls(struct llmio__stream_ctx *ctx,
                               struct oll_state *s,
                               const struct llmio__json *calls,
                               llmio_error *err)
{
    llmio_status st = LLMIO_OK;
    for (size_t i = 0; st == LLMIO_OK && i < llmio__json_len(calls); i++) {
        const struct llmio__json *c = llmio__json_at(calls, i);
        const struct llmio__json *fn = llmio__json_get(c, "function");
        if (s->ntools >= 4096) {
            llmio__prov_errf(err, LLMIO_E_TOO_BIG, "too many tool calls");
            return LLMIO_E_TOO_BIG;
        }
        char idbuf[32];
        int k = s->ntools++;
        s->has_tools = true;
        llmio_delta d = {.kind = LLMIO_DELTA_TOOL_CALL, .tool_index = k};
        d.tool_name = llmio__prov_gets(fn, "name", NULL);
        d.tool_id = llmio__prov_gets(c, "id", NULL);
        if (d.tool_id == NULL || d.tool_id[0] == '\0') {
            /* Older servers send no id; a deterministic one keeps a
             * stream and a body identical and lets results refer back. */
            snprintf(idbuf, sizeof(idbuf), "call_%d", k);
            d.tool_id = idbuf;
        }
        const struct llmio__json *args = llmio__json_get(fn, "arguments");
        if (llmio__json_type(args) == LLMIO__JSON_STRING) {
            d.text = llmio__json_str(args, &d.text_len); /* /v1-style */
        } else {
            d.text = llmio__json_raw(args, &d.text_len);
        }
        if (d.text == NULL) {
            d.text = "{}";
            d.text_len = 2;
        }
        st = llmio__prov_emit(ctx, &d);
    }
    return st;
}

static llmio_finish_reason map_done(const char *r, bool has_tools)
{
    if (r == NULL || strcmp(r, "stop") == 0 || strcmp(r, "load") == 0 ||
        strcmp(r, "unload") == 0) {
        return has_tools ? LLMIO_FINISH_TOOL_CALLS : LLMIO_FINISH_STOP;
    }
    if (strcmp(r, "length") == 0) {
        return LLMIO_FINISH_LENGTH;
    }
    return LLMIO_FINISH_OTHER;
}

/* Fills ERR from {"error": "text"} (native) or {"error": {"message",
 * "type"}} (the /v1 shape some proxies use); true when ROOT had one.
 * Ollama's errors carry no type to map, so FALLBACK is unused (the
 * signature is llmio__prov_fill_error_fn). */
static bool fill_error(const struct llmio__json *root, llmio_status fallback,
                       llmio_error *err)
{
    (void)fallback;
    const struct llmio__json *e = llmio__json_get(root, "error");
    size_t len = 0;
    const char *msg = llmio__json_str(e, &len);
    if (msg == NULL && llmio__json_type(e) == LLMIO__JSON_OBJECT) {
        msg = llmio__prov_gets(e, "message", &len);
        size_t tl = 0;
        const char *type = llmio__prov_gets(e, "type", &tl);
        llmio__prov_copy(err->provider_type, sizeof(err->provider_type), type,
                         tl);
    }
    if (e == NULL) {
        return false;
    }
    llmio__prov_copy(err->message, sizeof(err->message), msg, len);
    return true;
}

static llmio_status on_object(struct llmio__stream_ctx *ctx, void *state,
                              const struct llmio__json *root, llmio_error *err)
{
    struct oll_state *s = state;
    if (llmio__json_get(root, "error") != NULL) {
        err->provider_type[0] = '\0';
        err->provider_code[0] = '\0';
        err->message[0] = '\0';
        fill_error(root, LLMIO_E_SERVER, err);
        err->code = LLMIO_E_SERVER;
        return llmio__prov_stream_error(ctx, err, true);
    }
    if (llmio__json_type(root) != LLMIO__JSON_OBJECT) {
        llmio__prov_errf(err, LLMIO_E_PROTOCOL,
                         "response is not a JSON object");
        return LLMIO_E_PROTOCOL;
    }
    llmio_status st = LLMIO_OK;
    if (!s->started) {
        s->started = true;
        llmio_delta d = {.kind = LLMIO_DELTA_START};
        d.model = llmio__prov_gets(root, "model", NULL);
        st = llmio__prov_emit(ctx, &d);
    }
    const struct llmio__json *msg = llmio__json_get(root, "message");
    if (st == LLMIO_OK) {
        st = emit_text(ctx, LLMIO_DELTA_REASONING, msg, "thinking");
    }
    if (st == LLMIO_OK) {
        st = emit_text(ctx, LLMIO_DELTA_TEXT, msg, "content");
    }
    if (st == LLMIO_OK) {
        st = emit_calls(ctx, s, llmio__json_get(msg, "tool_calls"), err);
    }
    bool done = false;
    llmio__json_bool(llmio__json_get(root, "done"), &done);
    if (st != LLMIO_OK || !done || s->finished) {
        return st;
    }
    s->finished = true;
    const char *reason = llmio__prov_gets(root, "done_reason", NULL);
    llmio_delta fd = {.kind = LLMIO_DELTA_FINISH,
                      .finish = map_done(reason, s->has_tools),
                      .finish_raw = reason};
    st = llmio__prov_emit(ctx, &fd);
    if (st == LLMIO_OK) {
        llmio_usage u;
        llmio__prov_usage_init(&u);
        /* Ollama omits counts that are zero (e.g. a fully cached
         * prompt), so absent means 0 on the final object. */
        int64_t p = llmio__prov_geti(root, "prompt_eval_count");
        int64_t c = llmio__prov_geti(root, "eval_count");
        u.prompt_tokens = p >= 0 ? p : 0;
        u.completion_tokens = c >= 0 ? c : 0;
        u.total_tokens = u.prompt_tokens + u.completion_tokens;
        llmio_delta ud = {.kind = LLMIO_DELTA_USAGE, .usage = &u};
        st = llmio__prov_emit(ctx, &ud);
    }
    return st;
}

static llmio_status oll_parse_body(struct llmio__stream_ctx *ctx,
                                   const char *body, size_t len,
                                   llmio_error *err)
{
    struct oll_state s;
    memset(&s, 0, sizeof(s));
    return llmio__prov_doc_body(ctx, body, len, &s, on_object, err);
}

static llmio_status oll_parse_event(struct llmio__stream_ctx *ctx,
                                    const char *type, size_t type_len,
                                    const char *data, size_t data_len,
                                    llmio_error *err)
{
    llmio_status st = llmio__prov_doc_event(ctx, data, data_len, "stream line",
                                            on_object, err);
    const struct oll_state *s = ctx->state;
    if (st == LLMIO_OK && s->finished) {
        ctx->done = true;
    }
    return st;
}

static void oll_parse_error(int http_status, const char *body, size_t len,
                            llmio_error *err)
{
    llmio__prov_parse_error(http_status, body, len, err, fill_error);
}

const struct llmio__provider llmio__provider_ollama = {
    .name = "ollama",
    .default_base_url = "http://127.0.0.1:11434",
    .api_key_env = "OLLAMA_API_KEY",
    .base_url_env = "OLLAMA_HOST",
    .framing = LLMIO__FRAMING_NDJSON,
    .state_size = sizeof(struct oll_state),
    .build_request = oll_build_request,
    .parse_body = oll_parse_body,
    .parse_event = oll_parse_event,
    .parse_error = oll_parse_error,
    .build_embed = llmio__ollama_build_embed,
    .parse_embed = llmio__ollama_parse_embed,
    .stream_cleanup = llmio__prov_stream_cleanup,
};
