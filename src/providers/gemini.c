/*
 * gemini.c - translation between the unified request/delta model and the
 * Gemini API's generateContent / streamGenerateContent?alt=sse.
 *
 * Request: system and developer messages become systemInstruction parts;
 * the assistant role is "model" and tool results go in user turns, with
 * consecutive turns of one role merged (the API wants alternation); tool
 * results are functionResponse parts named by the function of the earlier
 * assistant call with that id (Gemini matches results by name), their text
 * as the response object when it is a JSON object, else wrapped as
 * {"result": text}; tools use parametersJsonSchema and json_schema output
 * responseJsonSchema, since OpenAI-style schemas are JSON Schema (the older
 * parameters / responseSchema fields take only an OpenAPI subset and reject
 * keywords such as additionalProperties).
 *
 * Responses and streams: every SSE event is a whole GenerateContentResponse
 * chunk, translated like a body. Text parts -> TEXT (thought parts ->
 * REASONING), functionCall parts -> one whole TOOL_CALL each (id from the
 * part, else synthesized as call_<choice>_<index>, so a stream and a body
 * give the same ids; the part's thoughtSignature rides along, and a
 * signed call in the history is written back with it), finishReason -> FINISH
 * (STOP with a function call is TOOL_CALLS; safety-type reasons are
 * CONTENT_FILTER), usageMetadata -> USAGE, a blocked prompt -> FINISH
 * CONTENT_FILTER with the block reason. The stream has no end marker: ctx->done
 * is set once every started candidate has a finishReason.
 *
 * Invariants: no I/O; events parse into a scratch arena reset per event;
 * candidates beyond GEM_MAX_CHOICES are a protocol error, not growth.
 * Owns: the scratch arena in the stream state (released by stream_cleanup).
 */
#include "common.h"

#include "alloc.h"
#include "buf.h"
#include "http.h"
#include "json.h"

#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* candidateCount is at most 8 in the API. */
#define GEM_MAX_CHOICES 8

struct gem_state {
    struct llmio__prov_scratch scratch; /* first: see below */
    bool started[GEM_MAX_CHOICES];
    bool finished[GEM_MAX_CHOICES];
    bool has_tools[GEM_MAX_CHOICES];
    int ntools[GEM_MAX_CHOICES];
};
/* llmio__prov_stream_cleanup finds the scratch arena at ctx->state. */
_Static_assert(offsetof(struct gem_state, scratch) == 0,
               "scratch must come first");

/* ------------------------------------------------------------------ */
/* Request                                                              */
/* ------------------------------------------------------------------ */

static void write_text_part(struct llmio__jw *w, const char *text)
{
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "text");
    llmio__jw_strs(w, text);
    llmio__jw_obj_end(w);
}

/* The media type implied by a URL's extension, or NULL. fileData works
 * without one for most URIs, but images are recognised more reliably
 * with it. */
static const char *mime_from_url(const char *url)
{
    static const struct {
        const char *ext, *mime;
    } map[] = {{".png", "image/png"},   {".jpg", "image/jpeg"},
               {".jpeg", "image/jpeg"}, {".gif", "image/gif"},
               {".webp", "image/webp"}, {".pdf", "application/pdf"}};
    size_t n = strcspn(url, "?#");
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        size_t e = strlen(map[i].ext);
        if (n >= e && strncasecmp(url + n - e, map[i].ext, e) == 0) {
            return map[i].mime;
        }
    }
    return NULL;
}

static void write_image_part(struct llmio__jw *w, const char *url)
{
    const char *mime, *data;
    size_t mime_len, data_len;
    llmio__jw_obj_begin(w);
    if (llmio__prov_data_url(url, &mime, &mime_len, &data, &data_len)) {
        llmio__jw_keys(w, "inlineData");
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "mimeType");
        llmio__jw_str(w, mime, mime_len);
        llmio__jw_keys(w, "data");
        llmio__jw_str(w, data, data_len);
        llmio__jw_obj_end(w);
    } else {
        llmio__jw_keys(w, "fileData");
        llmio__jw_obj_begin(w);
        const char *m = mime_from_url(url);
        if (m != NULL) {
            llmio__jw_keys(w, "mimeType");
            llmio__jw_strs(w, m);
        }
        llmio__jw_keys(w, "fileUri");
        llmio__jw_strs(w, url);
        llmio__jw_obj_end(w);
    }
    llmio__jw_obj_end(w);
}

static llmio_status write_tool_result(const struct llmio__prov_writer *pw,
                                      size_t mi, llmio_error *err)
{
    const struct llmio_request *req = pw->req;
    struct llmio__jw *w = pw->w;
    struct llmio__buf *tmp = pw->tmp;
    const struct llmio__message *m = &req->messages[mi];
    const char *name = llmio__prov_tool_name(req, mi, m->tool_call_id);
    if (name == NULL) {
        name = m->name;
    }
    if (name == NULL) {
        llmio__prov_errf(err, LLMIO_E_INVALID,
                         "messages[%zu].tool_call_id: no earlier assistant "
                         "tool call has this id (gemini needs the function "
                         "name)",
                         mi);
        return LLMIO_E_INVALID;
    }
    llmio__buf_reset(tmp);
    llmio_status st = llmio__prov_append_text(tmp, m);
    const struct llmio__json *v = NULL;
    if (st == LLMIO_OK) {
        st = llmio__prov_try_json(pw->scratch, llmio__buf_cstr(tmp), &v);
    }
    if (st != LLMIO_OK) {
        return st;
    }
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "functionResponse");
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "name");
    llmio__jw_strs(w, name);
    llmio__jw_keys(w, "response");
    if (llmio__json_type(v) == LLMIO__JSON_OBJECT) {
        llmio__json_write(w, v);
    } else {
        /* The API wants an object; wrap anything else as the SDK does:
         * other JSON values as they are, plain text as a string. */
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "result");
        if (v != NULL) {
            llmio__json_write(w, v);
        } else {
            llmio__jw_str(w, llmio__buf_cstr(tmp), tmp->len);
        }
        llmio__jw_obj_end(w);
    }
    llmio__jw_obj_end(w);
    llmio__jw_obj_end(w);
    return LLMIO_OK;
}

static void write_call_part(struct llmio__jw *w,
                            const struct llmio__tool_call_in *tc,
                            const struct llmio__json *args)
{
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "functionCall");
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "name");
    llmio__jw_strs(w, tc->name != NULL ? tc->name : "");
    llmio__jw_keys(w, "args");
    llmio__prov_write_args(w, args);
    llmio__jw_obj_end(w);
    if (tc->signature != NULL) {
        /* Thinking models sign their calls and want the signature back
         * unchanged on the same part (reference gemini.md 2). */
        llmio__jw_keys(w, "thoughtSignature");
        llmio__jw_strs(w, tc->signature);
    }
    llmio__jw_obj_end(w);
}

/* Writes the parts of message MI: a tool result as a functionResponse,
 * anything else as text, inlineData/fileData and functionCall parts. */
static llmio_status write_parts(const struct llmio__prov_writer *pw, size_t mi,
                                llmio_error *err)
{
    static const struct llmio__prov_items items = {.text = write_text_part,
                                                   .image = write_image_part,
                                                   .call = write_call_part};
    if (pw->req->messages[mi].role == LLMIO_ROLE_TOOL) {
        return write_tool_result(pw, mi, err);
    }
    return llmio__prov_write_items(pw, mi, &items, err);
}

static llmio_status write_tools(const struct llmio_request *req,
                                struct llmio__jw *w,
                                struct llmio__arena *scratch, llmio_error *err)
{
    if (req->ntools > 0 && !llmio__request_has_raw(req, "tools")) {
        llmio__jw_keys(w, "tools");
        llmio__jw_arr_begin(w);
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "functionDeclarations");
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
            if (schema != NULL) {
                llmio__jw_keys(w, "parametersJsonSchema");
                llmio__json_write(w, schema);
            }
            llmio__jw_obj_end(w);
        }
        llmio__jw_arr_end(w);
        llmio__jw_obj_end(w);
        llmio__jw_arr_end(w);
    }
    if (req->tool_choice != NULL &&
        !llmio__request_has_raw(req, "toolConfig")) {
        const char *c = req->tool_choice;
        bool named = strcmp(c, "auto") != 0 && strcmp(c, "none") != 0 &&
                     strcmp(c, "required") != 0;
        llmio__jw_keys(w, "toolConfig");
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "functionCallingConfig");
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "mode");
        llmio__jw_strs(w, strcmp(c, "auto") == 0   ? "AUTO"
                          : strcmp(c, "none") == 0 ? "NONE"
                                                   : "ANY");
        if (named) {
            llmio__jw_keys(w, "allowedFunctionNames");
            llmio__jw_arr_begin(w);
            llmio__jw_strs(w, c);
            llmio__jw_arr_end(w);
        }
        llmio__jw_obj_end(w);
        llmio__jw_obj_end(w);
    }
    return LLMIO_OK;
}

static llmio_status write_generation_config(const struct llmio_request *req,
                                            struct llmio__jw *w,
                                            struct llmio__arena *scratch,
                                            llmio_error *err)
{
    if (llmio__request_has_raw(req, "generationConfig")) {
        return LLMIO_OK;
    }
    const struct llmio__json *schema = NULL;
    const char *rf = req->response_format_type;
    bool json_mode = rf != NULL && (strcmp(rf, "json_object") == 0 ||
                                    strcmp(rf, "json_schema") == 0);
    if (rf != NULL && strcmp(rf, "json_schema") == 0) {
        llmio_status st = llmio__prov_format_schema(scratch, req, &schema, err);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    static const struct llmio__prov_sampling_keys keys = {
        .temperature = "temperature",
        .top_p = "topP",
        .n = "candidateCount",
        .max_tokens = "maxOutputTokens",
        .stop = "stopSequences",
        .seed = "seed"};
    if (!llmio__prov_sampling_any(req, &keys) && !json_mode) {
        return LLMIO_OK;
    }
    llmio__jw_keys(w, "generationConfig");
    llmio__jw_obj_begin(w);
    llmio__prov_write_sampling(w, req, &keys);
    if (json_mode) {
        llmio__jw_keys(w, "responseMimeType");
        llmio__jw_strs(w, "application/json");
    }
    if (schema != NULL) {
        llmio__jw_keys(w, "responseJsonSchema");
        llmio__json_write(w, schema);
    }
    llmio__jw_obj_end(w);
    return LLMIO_OK;
}

static llmio_status write_body(const struct llmio__prov_writer *pw,
                               const char *model, llmio_error *err)
{
    const struct llmio_request *req = pw->req;
    struct llmio__jw *w = pw->w;
    (void)model; /* the model is in the URL */
    llmio__jw_obj_begin(w);
    bool has_system = false;
    for (size_t i = 0; i < req->nmessages; i++) {
        has_system = has_system || llmio__prov_is_system(&req->messages[i]);
    }
    if (has_system && !llmio__request_has_raw(req, "systemInstruction")) {
        llmio__jw_keys(w, "systemInstruction");
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "parts");
        llmio__jw_arr_begin(w);
        for (size_t i = 0; i < req->nmessages; i++) {
            const struct llmio__message *m = &req->messages[i];
            if (!llmio__prov_is_system(m)) {
                continue;
            }
            llmio__buf_reset(pw->tmp);
            llmio_status st = llmio__prov_append_text(pw->tmp, m);
            if (st != LLMIO_OK) {
                return st;
            }
            llmio__jw_obj_begin(w);
            llmio__jw_keys(w, "text");
            llmio__jw_str(w, llmio__buf_cstr(pw->tmp), pw->tmp->len);
            llmio__jw_obj_end(w);
        }
        llmio__jw_arr_end(w);
        llmio__jw_obj_end(w);
    }
    /* The assistant is "model"; runs of one side become one Content (the
     * API wants alternation). */
    static const struct llmio__prov_turns turns = {.list_key = "contents",
                                                   .user = "user",
                                                   .assistant = "model",
                                                   .items_key = "parts",
                                                   .message = write_parts};
    llmio_status st = LLMIO_OK;
    if (!llmio__request_has_raw(req, "contents")) {
        st = llmio__prov_write_turns(pw, &turns, err);
    }
    if (st == LLMIO_OK) {
        st = write_tools(req, w, pw->scratch, err);
    }
    if (st == LLMIO_OK) {
        st = write_generation_config(req, w, pw->scratch, err);
    }
    if (st != LLMIO_OK) {
        return st;
    }
    llmio__prov_write_raw(w, req);
    llmio__jw_obj_end(w);
    return LLMIO_OK;
}

bool llmio__gemini_is_resource(const char *model)
{
    /* "gemini-2.5-flash" is a model id; "models/..." and "tunedModels/..."
     * are already resource names. */
    return strncmp(model, "models/", 7) == 0 ||
           strncmp(model, "tunedModels/", 12) == 0;
}

llmio_status llmio__gemini_target(const struct llmio_request *req,
                                  const char *model, const char *suffix,
                                  const struct llmio__provider_cfg *cfg,
                                  struct llmio__http_req *out, llmio_error *err)
{
    llmio_status st = llmio__prov_url(
        out, cfg->base_url, llmio__gemini_is_resource(model) ? "/" : "/models/",
        model, suffix, err);
    if (st != LLMIO_OK) {
        return st;
    }
    if (cfg->api_key != NULL && cfg->api_key[0] != '\0') {
        st = llmio__prov_header(out, "x-goog-api-key", cfg->api_key);
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
        llmio__prov_errf(err, st,
                         st == LLMIO_E_INVALID
                             ? "api_key: contains a line break"
                             : "building the request headers");
    }
    return st;
}

static llmio_status gem_build_request(const struct llmio_request *req,
                                      const char *model,
                                      const struct llmio__provider_cfg *cfg,
                                      struct llmio__http_req *out,
                                      llmio_error *err)
{
    llmio_status st =
        llmio__prov_check_native(req, model, "gemini", GEM_MAX_CHOICES, err);
    if (st != LLMIO_OK) {
        return st;
    }
    st = llmio__gemini_target(req, model,
                              req->stream ? ":streamGenerateContent?alt=sse"
                                          : ":generateContent",
                              cfg, out, err);
    if (st != LLMIO_OK) {
        return st;
    }
    return llmio__prov_build_body(req, model, out, write_body, err);
}

/* ------------------------------------------------------------------ */
/* Responses and streams                                                */
/* ------------------------------------------------------------------ */

static llmio_finish_reason map_finish(const char *s, bool has_tools)
{
    static const char *const filtered[] = {"SAFETY",
                                           "RECITATION",
                                           "BLOCKLIST",
                                           "PROHIBITED_CONTENT",
                                           "SPII",
                                           "IMAGE_SAFETY",
                                           "IMAGE_PROHIBITED_CONTENT",
                                           "IMAGE_RECITATION"};
    if (strcmp(s, "STOP") == 0) {
        /* A function call also ends with STOP; there is no tool reason. */
        return has_tools ? LLMIO_FINISH_TOOL_CALLS : LLMIO_FINISH_STOP;
    }
    if (strcmp(s, "MAX_TOKENS") == 0) {
        return LLMIO_FINISH_LENGTH;
    }
    for (size_t i = 0; i < sizeof(filtered) / sizeof(filtered[0]); i++) {
        if (strcmp(s, filtered[i]) == 0) {
            return LLMIO_FINISH_CONTENT_FILTER;
        }
    }
    return LLMIO_FINISH_OTHER;
}

/* The status a google.rpc status name means, or FALLBACK. */
static llmio_status map_status(const char *s, const char *reason,
                               llmio_status fallback)
{
    if (reason != NULL && (strcmp(reason, "API_KEY_INVALID") == 0 ||
                           strcmp(reason, "API_KEY_SERVICE_BLOCKED") == 0)) {
        /* An invalid key is a 400 INVALID_ARGUMENT here, not a 401. */
        return LLMIO_E_AUTH;
    }
    if (s == NULL) {
        return fallback;
    }
    if (strcmp(s, "RESOURCE_EXHAUSTED") == 0) {
        return LLMIO_E_RATE_LIMIT;
    }
    if (strcmp(s, "UNAVAILABLE") == 0) {
        return LLMIO_E_OVERLOADED;
    }
    if (strcmp(s, "UNAUTHENTICATED") == 0 ||
        strcmp(s, "PERMISSION_DENIED") == 0) {
        return LLMIO_E_AUTH;
    }
    if (strcmp(s, "INTERNAL") == 0 || strcmp(s, "DEADLINE_EXCEEDED") == 0 ||
        strcmp(s, "UNKNOWN") == 0) {
        return LLMIO_E_SERVER;
    }
    if (strcmp(s, "INVALID_ARGUMENT") == 0 || strcmp(s, "NOT_FOUND") == 0 ||
        strcmp(s, "FAILED_PRECONDITION") == 0 ||
        strcmp(s, "OUT_OF_RANGE") == 0) {
        return LLMIO_E_BAD_REQUEST;
    }
    return fallback;
}

/* Fills ERR from {"error":{"code","message","status","details"}} (or an
 * array holding one, which a stream request without alt=sse returns); true
 * when ROOT had that shape. */
static bool fill_error(const struct llmio__json *root, llmio_status fallback,
                       llmio_error *err)
{
    if (llmio__json_type(root) == LLMIO__JSON_ARRAY) {
        root = llmio__json_at(root, 0);
    }
    const struct llmio__json *e = llmio__json_get(root, "error");
    if (llmio__json_type(e) != LLMIO__JSON_OBJECT) {
        return false;
    }
    size_t len = 0;
    const char *status = llmio__prov_gets(e, "status", &len);
    llmio__prov_copy(err->provider_type, sizeof(err->provider_type), status,
                     len);
    const char *msg = llmio__prov_gets(e, "message", &len);
    if (msg != NULL) {
        llmio__prov_copy(err->message, sizeof(err->message), msg, len);
    }
    const char *reason = NULL;
    const struct llmio__json *details = llmio__json_get(e, "details");
    for (size_t i = 0; i < llmio__json_len(details); i++) {
        const struct llmio__json *d = llmio__json_at(details, i);
        const char *type = llmio__prov_gets(d, "@type", NULL);
        if (type == NULL) {
            continue;
        }
        if (strstr(type, "google.rpc.ErrorInfo") != NULL && reason == NULL) {
            reason = llmio__prov_gets(d, "reason", &len);
            llmio__prov_copy(err->provider_code, sizeof(err->provider_code),
                             reason, len);
        } else if (strstr(type, "google.rpc.RetryInfo") != NULL &&
                   err->retry_after_ms < 0) {
            /* A header wins; the body's hint is used only without one. */
            const char *delay = llmio__prov_gets(d, "retryDelay", &len);
            if (delay != NULL) {
                err->retry_after_ms = llmio__http_parse_duration(delay, len);
            }
        }
    }
    int64_t code;
    if (err->provider_code[0] == '\0' &&
        llmio__json_int(llmio__json_get(e, "code"), &code)) {
        snprintf(err->provider_code, sizeof(err->provider_code), "%lld",
                 (long long)code);
    }
    err->code = map_status(status, reason, fallback);
    return true;
}

static llmio_status emit_usage(struct llmio__stream_ctx *ctx,
                               const struct llmio__json *um)
{
    llmio_usage u;
    llmio__prov_usage_init(&u);
    int64_t prompt = llmio__prov_geti(um, "promptTokenCount");
    int64_t cand = llmio__prov_geti(um, "candidatesTokenCount");
    int64_t thoughts = llmio__prov_geti(um, "thoughtsTokenCount");
    int64_t tool = llmio__prov_geti(um, "toolUsePromptTokenCount");
    if (prompt >= 0) {
        /* Tool-use prompt tokens are input the model read; counting them
         * keeps prompt + completion = total. */
        u.prompt_tokens = prompt + (tool > 0 ? tool : 0);
    }
    if (cand >= 0 || thoughts >= 0) {
        u.completion_tokens =
            (cand > 0 ? cand : 0) + (thoughts > 0 ? thoughts : 0);
    }
    u.total_tokens = llmio__prov_geti(um, "totalTokenCount");
    u.cached_tokens = llmio__prov_geti(um, "cachedContentTokenCount");
    u.reasoning_tokens = thoughts;
    llmio_delta d = {.kind = LLMIO_DELTA_USAGE, .usage = &u};
    return llmio__prov_emit(ctx, &d);
}

static llmio_status emit_start(struct llmio__stream_ctx *ctx,
                               struct gem_state *s, int choice,
                               const struct llmio__json *root)
{
    if (s->started[choice]) {
        return LLMIO_OK;
    }
    s->started[choice] = true;
    llmio_delta d = {.kind = LLMIO_DELTA_START, .choice = choice};
    d.id = llmio__prov_gets(root, "responseId", NULL);
    d.model = llmio__prov_gets(root, "modelVersion", NULL);
    return llmio__prov_emit(ctx, &d);
}

/* One TOOL_CALL for the functionCall part P (its thoughtSignature, a
 * sibling of functionCall, rides along for the caller to echo back). */
static llmio_status emit_call(struct llmio__stream_ctx *ctx,
                              struct gem_state *s, int choice,
                              const struct llmio__json *p)
{
    const struct llmio__json *fc = llmio__json_get(p, "functionCall");
    char idbuf[48];
    int k = s->ntools[choice]++;
    s->has_tools[choice] = true;
    llmio_delta d = {
        .kind = LLMIO_DELTA_TOOL_CALL, .choice = choice, .tool_index = k};
    d.tool_name = llmio__prov_gets(fc, "name", NULL);
    d.tool_id = llmio__prov_gets(fc, "id", NULL);
    d.signature = llmio__prov_gets(p, "thoughtSignature", NULL);
    if (d.tool_id == NULL || d.tool_id[0] == '\0') {
        /* Deterministic, so a stream and a body give the same ids and a
         * later tool result can refer to the call. */
        snprintf(idbuf, sizeof(idbuf), "call_%d_%d", choice, k);
        d.tool_id = idbuf;
    }
    d.text = llmio__json_raw(llmio__json_get(fc, "args"), &d.text_len);
    if (d.text == NULL) {
        d.text = "{}"; /* a call without arguments may omit args */
        d.text_len = 2;
    }
    return llmio__prov_emit(ctx, &d);
}

static llmio_status on_candidate(struct llmio__stream_ctx *ctx,
                                 struct gem_state *s, size_t pos,
                                 const struct llmio__json *cand,
                                 const struct llmio__json *root,
                                 llmio_error *err)
{
    int64_t idx = llmio__prov_geti(cand, "index");
    if (idx < 0) {
        idx = (int64_t)pos;
    }
    if (idx >= GEM_MAX_CHOICES) {
        llmio__prov_errf(err, LLMIO_E_PROTOCOL,
                         "candidate index %lld out of range", (long long)idx);
        return LLMIO_E_PROTOCOL;
    }
    int choice = (int)idx;
    llmio_status st = emit_start(ctx, s, choice, root);
    const struct llmio__json *parts =
        llmio__json_get(llmio__json_get(cand, "content"), "parts");
    for (size_t i = 0; st == LLMIO_OK && i < llmio__json_len(parts); i++) {
        const struct llmio__json *p = llmio__json_at(parts, i);
        const struct llmio__json *fc = llmio__json_get(p, "functionCall");
        size_t n = 0;
        const char *t = llmio__prov_gets(p, "text", &n);
        if (fc != NULL) {
            if (s->ntools[choice] >= 4096) {
                llmio__prov_errf(err, LLMIO_E_TOO_BIG, "too many calls");
                return LLMIO_E_TOO_BIG;
            }
            st = emit_call(ctx, s, choice, p);
        } else if (t != NULL && n > 0) {
            bool thought = false;
            llmio__json_bool(llmio__json_get(p, "thought"), &thought);
            llmio_delta d = {.kind = thought ? LLMIO_DELTA_REASONING
                                             : LLMIO_DELTA_TEXT,
                             .choice = choice,
                             .text = t,
                             .text_len = n};
            st = llmio__prov_emit(ctx, &d);
        }
    }
    const char *reason = llmio__prov_gets(cand, "finishReason", NULL);
    if (st == LLMIO_OK && reason != NULL && !s->finished[choice]) {
        s->finished[choice] = true;
        llmio_delta d = {.kind = LLMIO_DELTA_FINISH,
                         .choice = choice,
                         .finish = map_finish(reason, s->has_tools[choice]),
                         .finish_raw = reason};
        st = llmio__prov_emit(ctx, &d);
    }
    return st;
}

/* Translates one GenerateContentResponse (a body or a stream chunk). */
static llmio_status on_chunk(struct llmio__stream_ctx *ctx, void *state,
                             const struct llmio__json *root, llmio_error *err)
{
    struct gem_state *s = state;
    if (llmio__json_get(root, "error") != NULL) {
        err->provider_type[0] = '\0';
        err->provider_code[0] = '\0';
        err->message[0] = '\0';
        if (!fill_error(root, LLMIO_E_SERVER, err)) {
            err->code = LLMIO_E_SERVER;
        }
        return llmio__prov_stream_error(ctx, err, false);
    }
    if (llmio__json_type(root) != LLMIO__JSON_OBJECT) {
        llmio__prov_errf(err, LLMIO_E_PROTOCOL,
                         "response is not a JSON object");
        return LLMIO_E_PROTOCOL;
    }
    llmio_status st = LLMIO_OK;
    const struct llmio__json *cands = llmio__json_get(root, "candidates");
    size_t n = llmio__json_len(cands);
    for (size_t i = 0; st == LLMIO_OK && i < n; i++) {
        st = on_candidate(ctx, s, i, llmio__json_at(cands, i), root, err);
    }
    const char *block = llmio__prov_gets(
        llmio__json_get(root, "promptFeedback"), "blockReason", NULL);
    if (st == LLMIO_OK && n == 0 && block != NULL && !s->finished[0]) {
        /* A blocked prompt: 200 with no candidates. */
        st = emit_start(ctx, s, 0, root);
        s->finished[0] = true;
        llmio_delta d = {.kind = LLMIO_DELTA_FINISH,
                         .finish = LLMIO_FINISH_CONTENT_FILTER,
                         .finish_raw = block};
        if (st == LLMIO_OK) {
            st = llmio__prov_emit(ctx, &d);
        }
    }
    const struct llmio__json *um = llmio__json_get(root, "usageMetadata");
    if (st == LLMIO_OK && um != NULL) {
        if (n == 0) {
            st = emit_start(ctx, s, 0, root);
        }
        if (st == LLMIO_OK) {
            st = emit_usage(ctx, um);
        }
    }
    return st;
}

static bool all_finished(const struct gem_state *s)
{
    bool any = false;
    for (int i = 0; i < GEM_MAX_CHOICES; i++) {
        if (s->started[i] && !s->finished[i]) {
            return false;
        }
        any = any || s->finished[i];
    }
    return any;
}

static llmio_status gem_parse_body(struct llmio__stream_ctx *ctx,
                                   const char *body, size_t len,
                                   llmio_error *err)
{
    struct gem_state s;
    memset(&s, 0, sizeof(s));
    return llmio__prov_doc_body(ctx, body, len, &s, on_chunk, err);
}

static llmio_status gem_parse_event(struct llmio__stream_ctx *ctx,
                                    const char *type, size_t type_len,
                                    const char *data, size_t data_len,
                                    llmio_error *err)
{
    if (data_len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        /* Gemini sends no sentinel, but proxies in front of it may. */
        ctx->done = true;
        return LLMIO_OK;
    }
    llmio_status st = llmio__prov_doc_event(ctx, data, data_len, "stream event",
                                            on_chunk, err);
    if (st == LLMIO_OK && all_finished(ctx->state)) {
        ctx->done = true;
    }
    return st;
}

static void gem_parse_error(int http_status, const char *body, size_t len,
                            llmio_error *err)
{
    llmio__prov_parse_error(http_status, body, len, err, fill_error);
    llmio__prov_mark_context(err, http_status,
                             "exceeds the maximum number of tokens");
}

const struct llmio__provider llmio__provider_gemini = {
    .name = "gemini",
    .default_base_url = "https://generativelanguage.googleapis.com/v1beta",
    .api_key_env = "GEMINI_API_KEY",
    /* Google's own SDKs accept either variable. */
    .api_key_env_alt = "GOOGLE_API_KEY",
    .base_url_env = "GEMINI_BASE_URL",
    .framing = LLMIO__FRAMING_SSE,
    .state_size = sizeof(struct gem_state),
    .build_request = gem_build_request,
    .parse_body = gem_parse_body,
    .parse_event = gem_parse_event,
    .parse_error = gem_parse_error,
    .build_embed = llmio__gemini_build_embed,
    .parse_embed = llmio__gemini_parse_embed,
    .stream_cleanup = llmio__prov_stream_cleanup,
};
