/*
 * ollama.c - the Ollama native endpoints: POST /api/chat (NDJSON stream by
 * default, one object with "stream": false), POST /api/embed, GET /api/tags.
 *
 * Errors are {"error":"message"} (a string, unlike /v1). No auth.
 */
#include "mock.h"

#include <string.h>

#define BAD(c, ...)                                                            \
    do {                                                                       \
        mock_error(c, 400, NULL, NULL, NULL, __VA_ARGS__);                     \
        return false;                                                          \
    } while (0)

static bool parse(struct mock_call *c, struct mock_conv *conv)
{
    const struct mock_json *b = c->body;
    memset(conv, 0, sizeof *conv);
    conv->max_tokens = -1;
    conv->n = 1;
    conv->stream = true;
    if (b == NULL || b->type != MOCK_JSON_OBJECT) {
        BAD(c, "json: cannot unmarshal into Go value of type api.ChatRequest");
    }
    const struct mock_json *model = mock_json_get(b, "model");
    if (model == NULL || model->type != MOCK_JSON_STRING || model->len == 0) {
        BAD(c, "model is required");
    }
    conv->model = model->str;
    conv->model_len = model->len;
    const struct mock_json *st = mock_json_get(b, "stream");
    if (st && st->type == MOCK_JSON_FALSE) {
        conv->stream = false;
    } else if (st && st->type != MOCK_JSON_TRUE && st->type != MOCK_JSON_NULL) {
        BAD(c,
            "json: cannot unmarshal %s into Go struct field "
            "ChatRequest.stream of type bool",
            mock_json_kind(st));
    }
    const struct mock_json *msgs = mock_json_get(b, "messages");
    if (msgs && msgs->type != MOCK_JSON_ARRAY && msgs->type != MOCK_JSON_NULL) {
        BAD(c,
            "json: cannot unmarshal %s into Go struct field "
            "ChatRequest.messages of type []api.Message",
            mock_json_kind(msgs));
    }
    int i = 0;
    for (const struct mock_json *m =
             msgs && msgs->type == MOCK_JSON_ARRAY ? msgs->child : NULL;
         m; m = m->next, i++) {
        if (m->type != MOCK_JSON_OBJECT) {
            BAD(c,
                "json: cannot unmarshal %s into Go struct field "
                "ChatRequest.messages of type api.Message",
                mock_json_kind(m));
        }
        const struct mock_json *role = mock_json_get(m, "role");
        bool user = mock_json_streq(role, "user");
        bool tool = mock_json_streq(role, "tool");
        if (!user && !tool && !mock_json_streq(role, "system") &&
            !mock_json_streq(role, "assistant")) {
            BAD(c,
                "messages[%d].role: invalid role \"%.*s\"; must be one of "
                "system, user, assistant, tool",
                i,
                role && role->type == MOCK_JSON_STRING
                    ? (int)(role->len > 64 ? 64 : role->len)
                    : 0,
                role && role->type == MOCK_JSON_STRING ? role->str : "");
        }
        const struct mock_json *content = mock_json_get(m, "content");
        if (content && content->type != MOCK_JSON_STRING &&
            content->type != MOCK_JSON_NULL) {
            BAD(c,
                "json: cannot unmarshal %s into Go struct field "
                "Message.messages.content of type string",
                mock_json_kind(content));
        }
        const char *t =
            content && content->type == MOCK_JSON_STRING ? content->str : "";
        size_t tl =
            content && content->type == MOCK_JSON_STRING ? content->len : 0;
        conv->prompt_tokens += mock_count_tokens(t, tl);
        if (tool) {
            conv->has_tool_result = true;
        }
        if (user || tool) {
            conv->echo = t;
            conv->echo_len = tl;
        }
    }
    const struct mock_json *opts = mock_json_get(b, "options");
    if (opts && opts->type != MOCK_JSON_OBJECT &&
        opts->type != MOCK_JSON_NULL) {
        BAD(c,
            "json: cannot unmarshal %s into Go struct field "
            "ChatRequest.options of type map[string]interface {}",
            mock_json_kind(opts));
    }
    mock_conv_stops(conv, mock_json_get(opts, "stop"));
    int64_t v;
    const struct mock_json *np = mock_json_get(opts, "num_predict");
    if (np && mock_json_int(np, &v) && v >= 0) {
        conv->max_tokens = v;
    }
    return true;
}

static void head_json(struct mock_call *c, struct mock_buf *b,
                      const struct mock_conv *conv)
{
    mock_buf_puts(b, "{\"model\":");
    mock_buf_json_str(b, conv->model, conv->model_len);
    mock_buf_puts(b, ",\"created_at\":\"");
    mock_rfc3339(b, c->now_ms);
    mock_buf_puts(b, "\",\"message\":{\"role\":\"assistant\",\"content\":");
}

static void tool_calls_json(struct mock_call *c, struct mock_buf *b,
                            const struct mock_reply *r)
{
    mock_buf_puts(b, ",\"tool_calls\":[");
    for (int t = 0; t < r->ntools; t++) {
        mock_buf_printf(b,
                        "%s{\"id\":\"call_mock%llu_%d\",\"function\":{"
                        "\"index\":%d,\"name\":",
                        t ? "," : "", (unsigned long long)c->id, t, t);
        mock_buf_json_cstr(b, r->tools[t].name);
        mock_buf_puts(b, ",\"arguments\":");
        mock_tool_args_object(c, r->tools[t].args, b);
        mock_buf_puts(b, "}}");
    }
    mock_buf_putc(b, ']');
}

static void done_json(struct mock_buf *b, const struct mock_conv *conv,
                      const struct mock_reply *r)
{
    /* Durations in nanoseconds, derived from the token counts so they are
     * deterministic: 1 ms per prompt token, 10 ms per output token. */
    long long pe = (long long)conv->prompt_tokens * 1000000LL;
    long long ev = (long long)r->completion_tokens * 10000000LL;
    mock_buf_printf(b,
                    ",\"done_reason\":\"%s\",\"done\":true,"
                    "\"total_duration\":%lld,\"load_duration\":1000000,"
                    "\"prompt_eval_count\":%ld,\"prompt_eval_duration\":%lld,"
                    "\"eval_count\":%ld,\"eval_duration\":%lld}",
                    r->finish == MOCK_FIN_LENGTH ? "length" : "stop",
                    pe + ev + 1000000LL, conv->prompt_tokens, pe,
                    r->completion_tokens, ev);
}

static void stream_error(struct mock_call *c)
{
    struct mock_buf b;
    mock_buf_init(&b);
    mock_buf_puts(&b, "{\"error\":");
    mock_buf_json_cstr(&b, c->scn.error_message
                               ? c->scn.error_message
                               : "an error was encountered while running "
                                 "the model");
    mock_buf_puts(&b, "}\n");
    mock_plan_error_event(c, b.data, b.len);
    mock_buf_free(&b);
}

void mock_ollama_chat(struct mock_call *c)
{
    struct mock_conv conv;
    if (!parse(c, &conv)) {
        return;
    }
    const struct mock_json *msgs = mock_json_get(c->body, "messages");
    if (msgs == NULL || msgs->type != MOCK_JSON_ARRAY || msgs->count == 0) {
        /* No messages: Ollama just loads the model. */
        struct mock_buf *b = c->scratch;
        mock_buf_reset(b);
        head_json(c, b, &conv);
        mock_buf_puts(b, "\"\"},\"done_reason\":\"load\",\"done\":true}");
        mock_respond(c, 200, "application/json; charset=utf-8", b->data,
                     b->len);
        return;
    }
    struct mock_reply r;
    mock_make_reply(c, &conv, &r);
    if (!conv.stream) {
        mock_set_gen_tokens(c, r.completion_tokens);
        struct mock_buf *b = c->scratch;
        mock_buf_reset(b);
        head_json(c, b, &conv);
        mock_buf_json_str(b, r.text, r.len);
        if (r.reasoning) {
            mock_buf_puts(b, ",\"thinking\":");
            mock_buf_json_str(b, r.reasoning, r.reasoning_len);
        }
        if (r.ntools) {
            tool_calls_json(c, b, &r);
        }
        mock_buf_putc(b, '}');
        done_json(b, &conv, &r);
        mock_respond(c, 200, "application/json; charset=utf-8", b->data,
                     b->len);
        return;
    }
    mock_set_stream_error(c, stream_error);
    mock_plan_head(c, 200, "application/x-ndjson", NULL, 0, true);
    struct mock_buf l;
    mock_buf_init(&l);
    if (r.reasoning) {
        mock_buf_reset(&l);
        head_json(c, &l, &conv);
        mock_buf_puts(&l, "\"\",\"thinking\":");
        mock_buf_json_str(&l, r.reasoning, r.reasoning_len);
        mock_buf_puts(&l, "},\"done\":false}\n");
        mock_plan_event(c, l.data, l.len, true);
    }
    size_t pos = 0;
    const char *piece;
    size_t plen;
    while (mock_next_piece(r.text, r.len, &pos, &piece, &plen)) {
        mock_buf_reset(&l);
        head_json(c, &l, &conv);
        mock_buf_json_str(&l, piece, plen);
        mock_buf_puts(&l, "},\"done\":false}\n");
        mock_plan_event(c, l.data, l.len, true);
    }
    if (r.ntools) {
        mock_buf_reset(&l);
        head_json(c, &l, &conv);
        mock_buf_puts(&l, "\"\"");
        tool_calls_json(c, &l, &r);
        mock_buf_puts(&l, "},\"done\":false}\n");
        mock_plan_event(c, l.data, l.len, true);
    }
    mock_buf_reset(&l);
    head_json(c, &l, &conv);
    mock_buf_puts(&l, "\"\"}");
    done_json(&l, &conv, &r);
    mock_buf_putc(&l, '\n');
    mock_plan_event(c, l.data, l.len, false);
    mock_plan_end(c);
    mock_buf_free(&l);
}

void mock_ollama_embed(struct mock_call *c)
{
    const struct mock_json *b = c->body;
    if (b == NULL || b->type != MOCK_JSON_OBJECT) {
        mock_error(c, 400, NULL, NULL, NULL,
                   "json: cannot unmarshal into Go value of type "
                   "api.EmbedRequest");
        return;
    }
    const struct mock_json *model = mock_json_get(b, "model");
    if (model == NULL || model->type != MOCK_JSON_STRING || model->len == 0) {
        mock_error(c, 400, NULL, NULL, NULL, "model is required");
        return;
    }
    const struct mock_json *in = mock_json_get(b, "input");
    const struct mock_json *items[2048];
    size_t n = 0;
    if (in && in->type == MOCK_JSON_STRING) {
        items[n++] = in;
    } else if (in && in->type == MOCK_JSON_ARRAY && in->count <= 2048) {
        for (const struct mock_json *e = in->child; e; e = e->next) {
            if (e->type != MOCK_JSON_STRING) {
                mock_error(c, 400, NULL, NULL, NULL, "invalid input type: %s",
                           mock_json_kind(e));
                return;
            }
            items[n++] = e;
        }
    } else {
        mock_error(c, 400, NULL, NULL, NULL, "invalid input type");
        return;
    }
    long dims = 768;
    int64_t v;
    const struct mock_json *d = mock_json_get(b, "dimensions");
    if (d) {
        if (!mock_json_int(d, &v) || v < 1 || v > 8192) {
            mock_error(c, 400, NULL, NULL, NULL,
                       "dimensions must be between 1 and 8192");
            return;
        }
        dims = (long)v;
    }
    long prompt = 0;
    struct mock_buf *o = c->scratch;
    mock_buf_reset(o);
    mock_buf_puts(o, "{\"model\":");
    mock_buf_json_str(o, model->str, model->len);
    mock_buf_puts(o, ",\"embeddings\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) {
            mock_buf_putc(o, ',');
        }
        mock_vector_json(o, items[i]->str, items[i]->len, dims);
        prompt += mock_count_tokens(items[i]->str, items[i]->len);
    }
    mock_buf_printf(o,
                    "],\"total_duration\":%lld,\"load_duration\":1000000,"
                    "\"prompt_eval_count\":%ld}",
                    (long long)prompt * 1000000LL + 1000000LL, prompt);
    mock_respond(c, 200, "application/json; charset=utf-8", o->data, o->len);
}

void mock_ollama_tags(struct mock_call *c)
{
    static const char *const names[] = {"llama3.2:latest", "qwen3:8b",
                                        "nomic-embed-text:latest"};
    struct mock_buf *b = c->scratch;
    mock_buf_reset(b);
    mock_buf_puts(b, "{\"models\":[");
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        mock_buf_printf(b,
                        "%s{\"name\":\"%s\",\"model\":\"%s\",\"modified_at\":"
                        "\"2026-01-01T00:00:00Z\",\"size\":2019393189,"
                        "\"digest\":\"mock%zu\",\"details\":{\"format\":"
                        "\"gguf\",\"family\":\"llama\"}}",
                        i ? "," : "", names[i], names[i], i);
    }
    mock_buf_puts(b, "]}");
    mock_respond(c, 200, "application/json; charset=utf-8", b->data, b->len);
}
