/*
 * openai.c - the OpenAI endpoints: POST /v1/chat/completions (JSON and SSE),
 * POST /v1/embeddings, GET /v1/models.
 *
 * Validation follows the real API's messages and error shape
 * ({"error":{message,type,param,code}}, param naming the field path such as
 * "messages[1].role"). Replies follow the rules in server/README.md.
 */
#include "mock.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const openai_roles[] = {
    "system", "developer", "user", "assistant", "tool", "function"};

#define BAD(c, param, code, ...)                                               \
    do {                                                                       \
        mock_error(c, 400, "invalid_request_error", code, param, __VA_ARGS__); \
        return false;                                                          \
    } while (0)

static const char *an(const struct mock_json *v)
{
    const char *k = mock_json_kind(v);
    return (k[0] == 'a' || k[0] == 'i' || k[0] == 'o') ? "an" : "a";
}

/* Text of a content value (string or array of parts), joined with single
 * spaces; validates parts. PATH is the field path for errors. */
static bool content_text(struct mock_call *c, const struct mock_json *content,
                         const char *path, bool assistant, struct mock_buf *out)
{
    if (content == NULL || content->type == MOCK_JSON_NULL) {
        return true;
    }
    if (content->type == MOCK_JSON_STRING) {
        mock_buf_append(out, content->str, content->len);
        return true;
    }
    if (content->type != MOCK_JSON_ARRAY) {
        BAD(c, path, "invalid_type",
            "Invalid type for '%s': expected one of a string or array of "
            "objects, but got %s %s instead.",
            path, an(content), mock_json_kind(content));
    }
    if (content->count == 0 && !assistant) {
        BAD(c, path, "empty_array",
            "Invalid '%s': empty array. Expected an array with minimum "
            "length 1, but got an empty array instead.",
            path);
    }
    int j = 0;
    for (const struct mock_json *p = content->child; p; p = p->next, j++) {
        char pp[128];
        snprintf(pp, sizeof pp, "%s[%d]", path, j);
        if (p->type != MOCK_JSON_OBJECT) {
            BAD(c, pp, "invalid_type",
                "Invalid type for '%s': expected an object, but got %s %s "
                "instead.",
                pp, an(p), mock_json_kind(p));
        }
        const struct mock_json *t = mock_json_get(p, "type");
        char tp[160];
        snprintf(tp, sizeof tp, "%s.type", pp);
        if (t == NULL) {
            BAD(c, tp, "missing_required_parameter",
                "Missing required parameter: '%s'.", tp);
        }
        if (mock_json_streq(t, "text")) {
            const struct mock_json *tx = mock_json_get(p, "text");
            if (tx == NULL || tx->type != MOCK_JSON_STRING) {
                char xp[170];
                snprintf(xp, sizeof xp, "%s.text", pp);
                BAD(c, xp, tx ? "invalid_type" : "missing_required_parameter",
                    "%s '%s'%s",
                    tx ? "Invalid type for"
                       : "Missing required "
                         "parameter:",
                    xp, tx ? ": expected a string." : ".");
            }
            if (out->len) {
                mock_buf_putc(out, ' ');
            }
            mock_buf_append(out, tx->str, tx->len);
        } else if (mock_json_streq(t, "image_url") ||
                   mock_json_streq(t, "input_audio") ||
                   mock_json_streq(t, "file") ||
                   (assistant && mock_json_streq(t, "refusal"))) {
            continue;
        } else {
            BAD(c, tp, "invalid_value",
                "Invalid value: '%.*s'. Supported values are: 'text', "
                "'image_url', 'input_audio', 'refusal', 'audio', and 'file'.",
                t->type == MOCK_JSON_STRING ? (int)(t->len > 64 ? 64 : t->len)
                                            : 1,
                t->type == MOCK_JSON_STRING ? t->str : "?");
        }
    }
    return true;
}

static bool check_number(struct mock_call *c, const struct mock_json *b,
                         const char *name, double min, double max, bool integer)
{
    const struct mock_json *v = mock_json_get(b, name);
    if (v == NULL || v->type == MOCK_JSON_NULL) {
        return true;
    }
    int64_t i;
    if (v->type != MOCK_JSON_NUMBER || (integer && !mock_json_int(v, &i))) {
        BAD(c, name, "invalid_type",
            "Invalid type for '%s': expected %s, but got %s %s instead.", name,
            integer ? "an integer" : "a decimal", an(v), mock_json_kind(v));
    }
    if (v->num < min || v->num > max) {
        BAD(c, name,
            integer ? "integer_below_min_value" : "decimal_out_of_range",
            "Invalid '%s': %s %s. Expected a value between %g and %g.", name,
            v->num < min ? "value below minimum" : "value above maximum",
            v->str, min, max);
    }
    return true;
}

static bool check_bool(struct mock_call *c, const struct mock_json *b,
                       const char *name)
{
    const struct mock_json *v = mock_json_get(b, name);
    if (v && v->type != MOCK_JSON_NULL && v->type != MOCK_JSON_TRUE &&
        v->type != MOCK_JSON_FALSE) {
        BAD(c, name, "invalid_type",
            "Invalid type for '%s': expected a boolean, but got %s %s "
            "instead.",
            name, an(v), mock_json_kind(v));
    }
    return true;
}

static bool check_model(struct mock_call *c, const struct mock_json *b)
{
    const struct mock_json *m = mock_json_get(b, "model");
    if (m == NULL) {
        BAD(c, "model", NULL, "you must provide a model parameter");
    }
    if (m->type != MOCK_JSON_STRING) {
        BAD(c, "model", "invalid_type",
            "Invalid type for 'model': expected a string, but got %s %s "
            "instead.",
            an(m), mock_json_kind(m));
    }
    if (m->len == 0) {
        BAD(c, "model", NULL, "you must provide a model parameter");
    }
    return true;
}

static bool check_tools(struct mock_call *c, const struct mock_json *b)
{
    const struct mock_json *tools = mock_json_get(b, "tools");
    if (tools == NULL || tools->type == MOCK_JSON_NULL) {
        return true;
    }
    if (tools->type != MOCK_JSON_ARRAY) {
        BAD(c, "tools", "invalid_type",
            "Invalid type for 'tools': expected an array, but got %s %s "
            "instead.",
            an(tools), mock_json_kind(tools));
    }
    int i = 0;
    for (const struct mock_json *t = tools->child; t; t = t->next, i++) {
        char p[64];
        snprintf(p, sizeof p, "tools[%d]", i);
        if (t->type != MOCK_JSON_OBJECT) {
            BAD(c, p, "invalid_type",
                "Invalid type for '%s': expected an object, but got %s %s "
                "instead.",
                p, an(t), mock_json_kind(t));
        }
        const struct mock_json *ty = mock_json_get(t, "type");
        if (!mock_json_streq(ty, "function") &&
            !mock_json_streq(ty, "custom")) {
            snprintf(p, sizeof p, "tools[%d].type", i);
            BAD(c, p, ty ? "invalid_value" : "missing_required_parameter",
                "%s '%s'%s",
                ty ? "Invalid value for"
                   : "Missing required "
                     "parameter:",
                p,
                ty ? ": supported values are 'function' and 'custom'." : ".");
        }
        if (mock_json_streq(ty, "custom")) {
            continue;
        }
        const struct mock_json *f = mock_json_get(t, "function");
        const struct mock_json *name = mock_json_get(f, "name");
        if (name == NULL || name->type != MOCK_JSON_STRING) {
            snprintf(p, sizeof p, "tools[%d].function.name", i);
            BAD(c, p, "missing_required_parameter",
                "Missing required parameter: '%s'.", p);
        }
        bool ok = name->len > 0 && name->len <= 64;
        for (size_t k = 0; ok && k < name->len; k++) {
            char ch = name->str[k];
            ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        }
        if (!ok) {
            snprintf(p, sizeof p, "tools[%d].function.name", i);
            BAD(c, p, "invalid_value",
                "Invalid '%s': string does not match pattern. Expected a "
                "string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'.",
                p);
        }
    }
    return true;
}

/* Validates the chat request and extracts the conversation. */
static bool chat_parse(struct mock_call *c, struct mock_conv *conv)
{
    const struct mock_json *b = c->body;
    memset(conv, 0, sizeof *conv);
    conv->max_tokens = -1;
    conv->n = 1;
    if (b == NULL || b->type != MOCK_JSON_OBJECT) {
        if (b == NULL) {
            BAD(c, NULL, NULL, "you must provide a model parameter");
        }
        BAD(c, NULL, "invalid_type",
            "Invalid type for request body: expected an object, but got %s "
            "%s instead.",
            an(b), mock_json_kind(b));
    }
    if (!check_model(c, b)) {
        return false;
    }
    const struct mock_json *m = mock_json_get(b, "model");
    conv->model = m->str;
    conv->model_len = m->len;
    const struct mock_json *msgs = mock_json_get(b, "messages");
    if (msgs == NULL) {
        BAD(c, "messages", "missing_required_parameter",
            "Missing required parameter: 'messages'.");
    }
    if (msgs->type != MOCK_JSON_ARRAY) {
        BAD(c, "messages", "invalid_type",
            "Invalid type for 'messages': expected an array, but got %s %s "
            "instead.",
            an(msgs), mock_json_kind(msgs));
    }
    if (msgs->count == 0) {
        BAD(c, "messages", "empty_array",
            "Invalid 'messages': empty array. Expected an array with minimum "
            "length 1, but got an empty array instead.");
    }
    struct mock_buf text;
    mock_buf_init(&text);
    int i = 0;
    for (const struct mock_json *msg = msgs->child; msg; msg = msg->next, i++) {
        char p[96];
        snprintf(p, sizeof p, "messages[%d]", i);
        if (msg->type != MOCK_JSON_OBJECT) {
            mock_buf_free(&text);
            BAD(c, p, "invalid_type",
                "Invalid type for '%s': expected an object, but got %s %s "
                "instead.",
                p, an(msg), mock_json_kind(msg));
        }
        const struct mock_json *role = mock_json_get(msg, "role");
        snprintf(p, sizeof p, "messages[%d].role", i);
        if (role == NULL) {
            mock_buf_free(&text);
            BAD(c, p, "missing_required_parameter",
                "Missing required parameter: '%s'.", p);
        }
        bool known = false;
        for (size_t k = 0; k < sizeof openai_roles / sizeof *openai_roles;
             k++) {
            known = known || mock_json_streq(role, openai_roles[k]);
        }
        if (!known) {
            mock_buf_free(&text);
            if (role->type != MOCK_JSON_STRING) {
                BAD(c, p, "invalid_type",
                    "Invalid type for '%s': expected a string, but got %s %s "
                    "instead.",
                    p, an(role), mock_json_kind(role));
            }
            BAD(c, p, "invalid_value",
                "Invalid value: '%.*s'. Supported values are: 'system', "
                "'assistant', 'user', 'function', 'tool', and 'developer'.",
                (int)(role->len > 64 ? 64 : role->len), role->str);
        }
        bool assistant = mock_json_streq(role, "assistant");
        bool tool = mock_json_streq(role, "tool");
        bool user = mock_json_streq(role, "user");
        const struct mock_json *content = mock_json_get(msg, "content");
        snprintf(p, sizeof p, "messages[%d].content", i);
        if (content == NULL && !assistant) {
            mock_buf_free(&text);
            BAD(c, p, "missing_required_parameter",
                "Missing required parameter: '%s'.", p);
        }
        if (content && content->type == MOCK_JSON_NULL && !assistant) {
            mock_buf_free(&text);
            BAD(c, p, "invalid_type",
                "Invalid type for '%s': expected one of a string or array of "
                "objects, but got null instead.",
                p);
        }
        if (assistant && (content == NULL || content->type == MOCK_JSON_NULL) &&
            mock_json_get(msg, "tool_calls") == NULL &&
            mock_json_get(msg, "function_call") == NULL) {
            mock_buf_free(&text);
            BAD(c, p, "missing_required_parameter",
                "Missing required parameter: '%s'.", p);
        }
        if (tool) {
            const struct mock_json *id = mock_json_get(msg, "tool_call_id");
            if (id == NULL || id->type != MOCK_JSON_STRING) {
                char ip[96];
                snprintf(ip, sizeof ip, "messages[%d].tool_call_id", i);
                mock_buf_free(&text);
                BAD(c, ip, "missing_required_parameter",
                    "Missing parameter 'tool_call_id': messages with role "
                    "'tool' must have a 'tool_call_id'.");
            }
            conv->has_tool_result = true;
        }
        mock_buf_reset(&text);
        if (!content_text(c, content, p, assistant, &text)) {
            mock_buf_free(&text);
            return false;
        }
        conv->prompt_tokens += mock_count_tokens(text.data, text.len);
        if (user || tool) {
            conv->echo = mock_arena_strndup(
                c->arena, text.data ? text.data : "", text.len);
            conv->echo_len = text.len;
        }
    }
    mock_buf_free(&text);
    if (!check_bool(c, b, "stream") || !check_number(c, b, "n", 1, 128, true) ||
        !check_number(c, b, "max_tokens", 1, 1e9, true) ||
        !check_number(c, b, "max_completion_tokens", 1, 1e9, true) ||
        !check_number(c, b, "temperature", 0, 2, false) ||
        !check_number(c, b, "top_p", 0, 1, false) ||
        !check_number(c, b, "presence_penalty", -2, 2, false) ||
        !check_number(c, b, "frequency_penalty", -2, 2, false) ||
        !check_tools(c, b)) {
        return false;
    }
    conv->stream = mock_json_get(b, "stream") &&
                   mock_json_get(b, "stream")->type == MOCK_JSON_TRUE;
    const struct mock_json *so = mock_json_get(b, "stream_options");
    if (so && so->type != MOCK_JSON_NULL) {
        if (!conv->stream) {
            BAD(c, "stream_options", "invalid_value",
                "The 'stream_options' parameter is only allowed when 'stream' "
                "is enabled.");
        }
        if (so->type != MOCK_JSON_OBJECT) {
            BAD(c, "stream_options", "invalid_type",
                "Invalid type for 'stream_options': expected an object, but "
                "got %s %s instead.",
                an(so), mock_json_kind(so));
        }
        const struct mock_json *iu = mock_json_get(so, "include_usage");
        conv->include_usage = iu && iu->type == MOCK_JSON_TRUE;
    }
    const struct mock_json *stop = mock_json_get(b, "stop");
    if (stop && stop->type != MOCK_JSON_NULL) {
        bool ok = stop->type == MOCK_JSON_STRING ||
                  (stop->type == MOCK_JSON_ARRAY && stop->count <= 4);
        for (const struct mock_json *e =
                 stop->type == MOCK_JSON_ARRAY ? stop->child : NULL;
             e && ok; e = e->next) {
            ok = e->type == MOCK_JSON_STRING;
        }
        if (!ok) {
            BAD(c, "stop", "invalid_type",
                "Invalid type for 'stop': expected a string or an array of "
                "at most 4 strings.");
        }
        mock_conv_stops(conv, stop);
    }
    int64_t v;
    if (mock_json_int(mock_json_get(b, "n"), &v)) {
        conv->n = (int)v;
    }
    if (mock_json_int(mock_json_get(b, "max_completion_tokens"), &v) ||
        mock_json_int(mock_json_get(b, "max_tokens"), &v)) {
        conv->max_tokens = v;
    }
    return true;
}

static const char *finish_str(enum mock_finish f)
{
    switch (f) {
    case MOCK_FIN_LENGTH:
        return "length";
    case MOCK_FIN_TOOLS:
        return "tool_calls";
    default:
        return "stop";
    }
}

static void usage_json(struct mock_buf *b, long p, long cpl)
{
    mock_buf_printf(b,
                    "{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,"
                    "\"total_tokens\":%ld,\"prompt_tokens_details\":"
                    "{\"cached_tokens\":0,\"audio_tokens\":0},"
                    "\"completion_tokens_details\":{\"reasoning_tokens\":0,"
                    "\"audio_tokens\":0,\"accepted_prediction_tokens\":0,"
                    "\"rejected_prediction_tokens\":0}}",
                    p, cpl, p + cpl);
}

/* The in-band error event for error-after-events. */
static void chat_stream_error(struct mock_call *c)
{
    struct mock_buf b;
    mock_buf_init(&b);
    mock_buf_puts(&b, "data: {\"error\":{\"message\":");
    mock_buf_json_cstr(&b, c->scn.error_message
                               ? c->scn.error_message
                               : "The server had an error while processing "
                                 "your request. Sorry about that!");
    mock_buf_puts(&b, ",\"type\":");
    mock_buf_json_cstr(&b,
                       c->scn.error_type ? c->scn.error_type : "server_error");
    mock_buf_puts(&b, ",\"param\":null,\"code\":null}}\n\n");
    mock_plan_error_event(c, b.data, b.len);
    mock_buf_free(&b);
}

static void chat_stream(struct mock_call *c, const struct mock_conv *conv,
                        const struct mock_reply *r)
{
    mock_set_stream_error(c, chat_stream_error);
    mock_plan_head(c, 200, "text/event-stream; charset=utf-8", NULL, 0, true);
    struct mock_buf pre, ev;
    mock_buf_init(&pre);
    mock_buf_init(&ev);
    mock_buf_printf(&pre,
                    "data: {\"id\":\"chatcmpl-mock%llu\",\"object\":\"chat."
                    "completion.chunk\",\"created\":%lld,\"model\":",
                    (unsigned long long)c->id, (long long)(c->now_ms / 1000));
    mock_buf_json_str(&pre, conv->model, conv->model_len);
    mock_buf_puts(&pre, ",\"system_fingerprint\":\"fp_mock\",\"choices\":[");
    const char *post = conv->include_usage ? "],\"usage\":null}\n\n" : "]}\n\n";
    bool text_content = r->len > 0 || r->ntools == 0;

#define EMIT(is_content)                                                       \
    do {                                                                       \
        mock_buf_puts(&ev, post);                                              \
        mock_plan_event(c, ev.data, ev.len, is_content);                       \
    } while (0)
#define START()                                                                \
    do {                                                                       \
        mock_buf_reset(&ev);                                                   \
        mock_buf_append(&ev, pre.data, pre.len);                               \
    } while (0)

    for (int i = 0; i < conv->n; i++) {
        START();
        mock_buf_printf(&ev,
                        "{\"index\":%d,\"delta\":{\"role\":\"assistant\","
                        "\"content\":%s,\"refusal\":null},\"logprobs\":null,"
                        "\"finish_reason\":null}",
                        i, text_content ? "\"\"" : "null");
        EMIT(false);
    }
    for (int i = 0; r->reasoning && i < conv->n; i++) {
        START();
        mock_buf_printf(&ev,
                        "{\"index\":%d,\"delta\":{\"reasoning_content\":", i);
        mock_buf_json_str(&ev, r->reasoning, r->reasoning_len);
        mock_buf_puts(&ev, "},\"logprobs\":null,\"finish_reason\":null}");
        EMIT(true);
    }
    size_t pos = 0;
    const char *piece;
    size_t plen;
    while (mock_next_piece(r->text, r->len, &pos, &piece, &plen)) {
        for (int i = 0; i < conv->n; i++) {
            START();
            mock_buf_printf(&ev, "{\"index\":%d,\"delta\":{\"content\":", i);
            mock_buf_json_str(&ev, piece, plen);
            mock_buf_puts(&ev, "},\"logprobs\":null,\"finish_reason\":null}");
            EMIT(true);
        }
    }
    for (int t = 0; t < r->ntools; t++) {
        for (int i = 0; i < conv->n; i++) {
            START();
            mock_buf_printf(&ev,
                            "{\"index\":%d,\"delta\":{\"tool_calls\":[{"
                            "\"index\":%d,\"id\":\"call_mock%llu_%d\",\"type\":"
                            "\"function\",\"function\":{\"name\":",
                            i, t, (unsigned long long)c->id, t);
            mock_buf_json_cstr(&ev, r->tools[t].name);
            mock_buf_puts(&ev, ",\"arguments\":\"\"}}]},\"logprobs\":null,"
                               "\"finish_reason\":null}");
            EMIT(true);
        }
        const char *args = r->tools[t].args;
        size_t alen = strlen(args);
        size_t ap = 0, fl;
        while (mock_next_fragment(args, alen, &ap, 8, &fl)) {
            for (int i = 0; i < conv->n; i++) {
                START();
                mock_buf_printf(&ev,
                                "{\"index\":%d,\"delta\":{\"tool_calls\":[{"
                                "\"index\":%d,\"function\":{\"arguments\":",
                                i, t);
                mock_buf_json_str(&ev, args + ap - fl, fl);
                mock_buf_puts(&ev, "}}]},\"logprobs\":null,"
                                   "\"finish_reason\":null}");
                EMIT(true);
            }
        }
    }
    for (int i = 0; i < conv->n; i++) {
        START();
        mock_buf_printf(&ev,
                        "{\"index\":%d,\"delta\":{},\"logprobs\":null,"
                        "\"finish_reason\":\"%s\"}",
                        i, finish_str(r->finish));
        EMIT(false);
    }
    if (conv->include_usage) {
        START();
        mock_buf_puts(&ev, "],\"usage\":");
        usage_json(&ev, conv->prompt_tokens, r->completion_tokens * conv->n);
        mock_buf_puts(&ev, "}\n\n");
        mock_plan_event(c, ev.data, ev.len, false);
    }
    mock_plan_event(c, "data: [DONE]\n\n", 14, false);
    mock_plan_end(c);
#undef EMIT
#undef START
    mock_buf_free(&pre);
    mock_buf_free(&ev);
}

void mock_openai_chat(struct mock_call *c)
{
    struct mock_conv conv;
    if (!chat_parse(c, &conv) || mock_context_exceeded(c, &conv)) {
        return;
    }
    struct mock_reply r;
    mock_make_reply(c, &conv, &r);
    if (conv.stream) {
        chat_stream(c, &conv, &r);
        return;
    }
    mock_set_gen_tokens(c, r.completion_tokens);
    struct mock_buf *b = c->scratch;
    mock_buf_reset(b);
    mock_buf_printf(b,
                    "{\"id\":\"chatcmpl-mock%llu\",\"object\":\"chat."
                    "completion\",\"created\":%lld,\"model\":",
                    (unsigned long long)c->id, (long long)(c->now_ms / 1000));
    mock_buf_json_str(b, conv.model, conv.model_len);
    mock_buf_puts(b, ",\"system_fingerprint\":\"fp_mock\",\"choices\":[");
    for (int i = 0; i < conv.n; i++) {
        mock_buf_printf(b,
                        "%s{\"index\":%d,\"message\":{\"role\":\"assistant\","
                        "\"content\":",
                        i ? "," : "", i);
        if (r.ntools > 0 && r.len == 0) {
            mock_buf_puts(b, "null");
        } else {
            mock_buf_json_str(b, r.text, r.len);
        }
        if (r.reasoning) {
            /* DeepSeek's field, which most compatible servers use. */
            mock_buf_puts(b, ",\"reasoning_content\":");
            mock_buf_json_str(b, r.reasoning, r.reasoning_len);
        }
        mock_buf_puts(b, ",\"refusal\":null,\"annotations\":[]");
        if (r.ntools > 0) {
            mock_buf_puts(b, ",\"tool_calls\":[");
            for (int t = 0; t < r.ntools; t++) {
                mock_buf_printf(b,
                                "%s{\"id\":\"call_mock%llu_%d\",\"type\":"
                                "\"function\",\"function\":{\"name\":",
                                t ? "," : "", (unsigned long long)c->id, t);
                mock_buf_json_cstr(b, r.tools[t].name);
                mock_buf_puts(b, ",\"arguments\":");
                mock_buf_json_cstr(b, r.tools[t].args);
                mock_buf_puts(b, "}}");
            }
            mock_buf_putc(b, ']');
        }
        mock_buf_printf(b, "},\"logprobs\":null,\"finish_reason\":\"%s\"}",
                        finish_str(r.finish));
    }
    mock_buf_puts(b, "],\"usage\":");
    usage_json(b, conv.prompt_tokens, r.completion_tokens * conv.n);
    mock_buf_puts(b, ",\"service_tier\":\"default\"}");
    mock_respond(c, 200, "application/json", b->data, b->len);
}

/* ---- embeddings ------------------------------------------------------------
 */

void mock_embedding(const char *text, size_t len, long dims, float *out)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= 1099511628211ull;
    }
    uint64_t x = h ? h : 0x9E3779B97F4A7C15ull;
    double sum = 0;
    for (long i = 0; i < dims; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint64_t r = x * 2685821657736338717ull;
        double v = (double)(r >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
        out[i] = (float)v;
        sum += v * v;
    }
    double norm = sqrt(sum);
    if (norm > 0) {
        for (long i = 0; i < dims; i++) {
            out[i] = (float)(out[i] / norm);
        }
    }
}

/* Appends one vector as a JSON array or base64 string. */
static void vector_json(struct mock_buf *b, const char *text, size_t len,
                        long dims, bool base64)
{
    float stackv[256];
    float *v = dims <= 256 ? stackv : mock_xmalloc((size_t)dims * sizeof *v);
    mock_embedding(text, len, dims, v);
    if (base64) {
        /* Raw little-endian float32, as the real API sends. */
        unsigned char *raw = mock_xmalloc((size_t)dims * 4);
        for (long i = 0; i < dims; i++) {
            uint32_t u;
            memcpy(&u, &v[i], 4);
            raw[i * 4] = (unsigned char)u;
            raw[i * 4 + 1] = (unsigned char)(u >> 8);
            raw[i * 4 + 2] = (unsigned char)(u >> 16);
            raw[i * 4 + 3] = (unsigned char)(u >> 24);
        }
        mock_buf_putc(b, '"');
        mock_base64(b, raw, (size_t)dims * 4);
        mock_buf_putc(b, '"');
        free(raw);
    } else {
        mock_buf_putc(b, '[');
        for (long i = 0; i < dims; i++) {
            mock_buf_printf(b, "%s%.9g", i ? "," : "", (double)v[i]);
        }
        mock_buf_putc(b, ']');
    }
    if (v != stackv) {
        free(v);
    }
}

void mock_openai_embeddings(struct mock_call *c)
{
    const struct mock_json *b = c->body;
    if (b == NULL || b->type != MOCK_JSON_OBJECT) {
        mock_error(c, 400, "invalid_request_error", NULL, NULL,
                   "Invalid request body: expected a JSON object.");
        return;
    }
    static const char *const known[] = {"model", "input", "encoding_format",
                                        "dimensions", "user"};
    for (const struct mock_json *m = b->child; m; m = m->next) {
        bool ok = false;
        for (size_t k = 0; k < sizeof known / sizeof *known; k++) {
            ok = ok || (strlen(known[k]) == m->keylen &&
                        memcmp(known[k], m->key, m->keylen) == 0);
        }
        if (!ok) {
            mock_error(c, 400, "invalid_request_error", NULL, NULL,
                       "Unrecognized request argument supplied: %.*s",
                       (int)(m->keylen > 64 ? 64 : m->keylen), m->key);
            return;
        }
    }
    if (!check_model(c, b)) {
        return;
    }
    const struct mock_json *model = mock_json_get(b, "model");
    const struct mock_json *in = mock_json_get(b, "input");
    if (in == NULL) {
        mock_error(c, 400, "invalid_request_error",
                   "missing_required_parameter", "input",
                   "Missing required parameter: 'input'.");
        return;
    }
    const struct mock_json *fmt = mock_json_get(b, "encoding_format");
    bool base64 = false;
    if (fmt && fmt->type != MOCK_JSON_NULL) {
        if (mock_json_streq(fmt, "base64")) {
            base64 = true;
        } else if (!mock_json_streq(fmt, "float")) {
            mock_error(c, 400, "invalid_request_error", "invalid_value",
                       "encoding_format",
                       "Invalid value for 'encoding_format': expected 'float' "
                       "or 'base64'.");
            return;
        }
    }
    long dims = 1536;
    const struct mock_json *d = mock_json_get(b, "dimensions");
    if (d && d->type != MOCK_JSON_NULL) {
        int64_t v;
        if (!mock_json_int(d, &v) || v < 1 || v > 8192) {
            mock_error(c, 400, "invalid_request_error", "invalid_value",
                       "dimensions",
                       "Invalid 'dimensions': expected an integer between 1 "
                       "and 8192.");
            return;
        }
        dims = (long)v;
    }
    /* Collect inputs: a string, strings, a token array, token arrays. */
    const struct mock_json *items[2048];
    size_t nitems = 0;
    bool tokens = false;
    if (in->type == MOCK_JSON_STRING) {
        items[nitems++] = in;
    } else if (in->type == MOCK_JSON_ARRAY && in->count > 0 &&
               in->count <= 2048) {
        if (in->child->type == MOCK_JSON_NUMBER) {
            tokens = true;
            items[nitems++] = in;
        } else {
            for (const struct mock_json *e = in->child; e; e = e->next) {
                items[nitems++] = e;
            }
        }
    } else {
        mock_error(c, 400, "invalid_request_error", "invalid_value", "input",
                   "'$.input' is invalid. Please check the API reference: "
                   "https://platform.openai.com/docs/api-reference.");
        return;
    }
    long prompt = 0;
    for (size_t i = 0; i < nitems; i++) {
        const struct mock_json *e = items[i];
        bool ok;
        if (tokens || e->type == MOCK_JSON_ARRAY) {
            ok = e->type == MOCK_JSON_ARRAY && e->count > 0;
            for (const struct mock_json *t = ok ? e->child : NULL; t && ok;
                 t = t->next) {
                int64_t v;
                ok = mock_json_int(t, &v) && v >= 0;
            }
            prompt += (long)e->count;
        } else {
            ok = e->type == MOCK_JSON_STRING && e->len > 0;
            prompt += ok ? mock_count_tokens(e->str, e->len) : 0;
        }
        if (!ok) {
            char p[32];
            snprintf(p, sizeof p, "input[%zu]", i);
            mock_error(c, 400, "invalid_request_error", "invalid_value",
                       tokens ? "input" : p,
                       "'$.input' is invalid. Please check the API reference: "
                       "https://platform.openai.com/docs/api-reference.");
            return;
        }
    }
    struct mock_buf *o = c->scratch;
    mock_buf_reset(o);
    mock_buf_puts(o, "{\"object\":\"list\",\"data\":[");
    struct mock_buf tmp;
    mock_buf_init(&tmp);
    for (size_t i = 0; i < nitems; i++) {
        mock_buf_printf(o,
                        "%s{\"object\":\"embedding\",\"index\":%zu,"
                        "\"embedding\":",
                        i ? "," : "", i);
        const char *t;
        size_t tl;
        if (items[i]->type == MOCK_JSON_STRING) {
            t = items[i]->str;
            tl = items[i]->len;
        } else {
            mock_buf_reset(&tmp);
            mock_json_write(&tmp, items[i]);
            t = tmp.data;
            tl = tmp.len;
        }
        vector_json(o, t, tl, dims, base64);
        mock_buf_putc(o, '}');
    }
    mock_buf_free(&tmp);
    mock_buf_puts(o, "],\"model\":");
    mock_buf_json_str(o, model->str, model->len);
    mock_buf_printf(o,
                    ",\"usage\":{\"prompt_tokens\":%ld,\"total_tokens\":%ld}}",
                    prompt, prompt);
    mock_respond(c, 200, "application/json", o->data, o->len);
}

void mock_vector_json(struct mock_buf *b, const char *text, size_t len,
                      long dims)
{
    vector_json(b, text, len, dims, false);
}

void mock_openai_models(struct mock_call *c)
{
    static const char *const ids[] = {"gpt-4o-mini",
                                      "gpt-4o",
                                      "gpt-5-mini",
                                      "text-embedding-3-small",
                                      "text-embedding-3-large",
                                      "mock-model"};
    struct mock_buf *b = c->scratch;
    mock_buf_reset(b);
    const struct mock_http_req *r = c->req;
    if (r->path_len > 11) {
        /* GET /v1/models/{id}: every id exists. */
        const char *id = r->path + 11;
        size_t il = r->path_len - 11;
        mock_buf_puts(b, "{\"id\":");
        mock_buf_json_str(b, id, il);
        mock_buf_puts(b, ",\"object\":\"model\",\"created\":1700000000,"
                         "\"owned_by\":\"llmio-mock\"}");
        mock_respond(c, 200, "application/json", b->data, b->len);
        return;
    }
    mock_buf_puts(b, "{\"object\":\"list\",\"data\":[");
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        mock_buf_printf(b,
                        "%s{\"id\":\"%s\",\"object\":\"model\",\"created\":"
                        "1700000000,\"owned_by\":\"llmio-mock\"}",
                        i ? "," : "", ids[i]);
    }
    mock_buf_puts(b, "]}");
    mock_respond(c, 200, "application/json", b->data, b->len);
}
