/*
 * anthropic.c - the Anthropic endpoints: POST /v1/messages (JSON and the
 * full SSE event sequence) and GET /v1/models.
 *
 * Errors use {"type":"error","error":{type,message},"request_id"} with the
 * pydantic-style "path: problem" messages of the real API
 * ("max_tokens: Field required", "messages.0.role: Input should be 'user'
 * or 'assistant'").
 */
#include "mock.h"

/* The signature the mock gives its thinking blocks. */
#define MOCK_THINKING_SIG "bW9jay10aGlua2luZw=="

#include <string.h>

#define BAD(c, ...)                                                            \
    do {                                                                       \
        mock_error(c, 400, "invalid_request_error", NULL, NULL, __VA_ARGS__);  \
        return false;                                                          \
    } while (0)

static const char *const block_types[] = {"text",
                                          "image",
                                          "document",
                                          "search_result",
                                          "thinking",
                                          "redacted_thinking",
                                          "tool_use",
                                          "tool_result",
                                          "server_tool_use",
                                          "web_search_tool_result"};

/* Appends the text of a tool_result content (string or blocks). */
static void tool_result_text(const struct mock_json *content,
                             struct mock_buf *out)
{
    if (content == NULL) {
        return;
    }
    if (content->type == MOCK_JSON_STRING) {
        mock_buf_append(out, content->str, content->len);
        return;
    }
    if (content->type == MOCK_JSON_ARRAY) {
        for (const struct mock_json *b = content->child; b; b = b->next) {
            const struct mock_json *t = mock_json_get(b, "text");
            if (mock_json_streq(mock_json_get(b, "type"), "text") && t &&
                t->type == MOCK_JSON_STRING) {
                if (out->len) {
                    mock_buf_putc(out, ' ');
                }
                mock_buf_append(out, t->str, t->len);
            }
        }
    }
}

/* Validates content blocks of message I and collects their text. */
static bool blocks(struct mock_call *c, const struct mock_json *content, int i,
                   struct mock_buf *text, bool *tool_result)
{
    int j = 0;
    for (const struct mock_json *b = content->child; b; b = b->next, j++) {
        if (b->type != MOCK_JSON_OBJECT) {
            BAD(c,
                "messages.%d.content.%d: Input should be a valid "
                "dictionary or object to extract fields from",
                i, j);
        }
        const struct mock_json *t = mock_json_get(b, "type");
        if (t == NULL) {
            BAD(c,
                "messages.%d.content.%d: Unable to extract tag using "
                "discriminator 'type'",
                i, j);
        }
        bool known = false;
        for (size_t k = 0; k < sizeof block_types / sizeof *block_types; k++) {
            known = known || mock_json_streq(t, block_types[k]);
        }
        if (!known) {
            BAD(c,
                "messages.%d.content.%d: Input tag '%.*s' found using "
                "'type' does not match any of the expected tags: 'text', "
                "'image', 'document', 'search_result', 'thinking', "
                "'redacted_thinking', 'tool_use', 'tool_result', "
                "'server_tool_use', 'web_search_tool_result'",
                i, j,
                t->type == MOCK_JSON_STRING ? (int)(t->len > 64 ? 64 : t->len)
                                            : 1,
                t->type == MOCK_JSON_STRING ? t->str : "?");
        }
        if (mock_json_streq(t, "text")) {
            const struct mock_json *tx = mock_json_get(b, "text");
            if (tx == NULL) {
                BAD(c, "messages.%d.content.%d.text: Field required", i, j);
            }
            if (tx->type != MOCK_JSON_STRING) {
                BAD(c,
                    "messages.%d.content.%d.text: Input should be a valid "
                    "string",
                    i, j);
            }
            if (text->len) {
                mock_buf_putc(text, ' ');
            }
            mock_buf_append(text, tx->str, tx->len);
        } else if (mock_json_streq(t, "tool_result")) {
            const struct mock_json *id = mock_json_get(b, "tool_use_id");
            if (id == NULL || id->type != MOCK_JSON_STRING) {
                BAD(c, "messages.%d.content.%d.tool_use_id: Field required", i,
                    j);
            }
            *tool_result = true;
            size_t before = text->len;
            if (before) {
                mock_buf_putc(text, ' ');
            }
            tool_result_text(mock_json_get(b, "content"), text);
            if (text->len == before + (before ? 1 : 0)) {
                text->len = before;
                if (text->data) {
                    text->data[before] = '\0';
                }
            }
        } else if (mock_json_streq(t, "tool_use")) {
            const struct mock_json *in = mock_json_get(b, "input");
            if (mock_json_get(b, "id") == NULL) {
                BAD(c, "messages.%d.content.%d.id: Field required", i, j);
            }
            if (mock_json_get(b, "name") == NULL) {
                BAD(c, "messages.%d.content.%d.name: Field required", i, j);
            }
            if (in == NULL || in->type != MOCK_JSON_OBJECT) {
                BAD(c, "messages.%d.content.%d.input: %s", i, j,
                    in ? "Input should be a valid dictionary"
                       : "Field required");
            }
        }
    }
    return true;
}

static bool parse(struct mock_call *c, struct mock_conv *conv, bool count_only)
{
    const struct mock_json *b = c->body;
    memset(conv, 0, sizeof *conv);
    conv->max_tokens = -1;
    conv->n = 1;
    if (b == NULL || b->type != MOCK_JSON_OBJECT) {
        BAD(c, "Input should be a valid dictionary or object to extract "
               "fields from");
    }
    const struct mock_json *model = mock_json_get(b, "model");
    if (model == NULL) {
        BAD(c, "model: Field required");
    }
    if (model->type != MOCK_JSON_STRING) {
        BAD(c, "model: Input should be a valid string");
    }
    conv->model = model->str;
    conv->model_len = model->len;
    const struct mock_json *mt = mock_json_get(b, "max_tokens");
    int64_t v = -1;
    if (mt == NULL && count_only) {
        /* count_tokens takes no max_tokens. */
    } else if (mt == NULL) {
        BAD(c, "max_tokens: Field required");
    }
    if (mt && !mock_json_int(mt, &v)) {
        BAD(c, "max_tokens: Input should be a valid integer");
    }
    if (mt && v < 1) {
        BAD(c, "max_tokens: Input should be greater than or equal to 1");
    }
    conv->max_tokens = v;
    const struct mock_json *msgs = mock_json_get(b, "messages");
    if (msgs == NULL) {
        BAD(c, "messages: Field required");
    }
    if (msgs->type != MOCK_JSON_ARRAY) {
        BAD(c, "messages: Input should be a valid list");
    }
    if (msgs->count == 0) {
        BAD(c, "messages: at least one message is required");
    }
    const struct mock_json *sys = mock_json_get(b, "system");
    if (sys && sys->type == MOCK_JSON_STRING) {
        conv->prompt_tokens += mock_count_tokens(sys->str, sys->len);
    } else if (sys && sys->type == MOCK_JSON_ARRAY) {
        for (const struct mock_json *s = sys->child; s; s = s->next) {
            const struct mock_json *t = mock_json_get(s, "text");
            if (!mock_json_streq(mock_json_get(s, "type"), "text") ||
                t == NULL || t->type != MOCK_JSON_STRING) {
                BAD(c, "system: Input should be a valid string or a list of "
                       "text blocks");
            }
            conv->prompt_tokens += mock_count_tokens(t->str, t->len);
        }
    } else if (sys && sys->type != MOCK_JSON_NULL) {
        BAD(c, "system: Input should be a valid string");
    }
    struct mock_buf text;
    mock_buf_init(&text);
    int i = 0;
    for (const struct mock_json *m = msgs->child; m; m = m->next, i++) {
        if (m->type != MOCK_JSON_OBJECT) {
            mock_buf_free(&text);
            BAD(c, "messages.%d: Input should be a valid dictionary", i);
        }
        const struct mock_json *role = mock_json_get(m, "role");
        if (role == NULL) {
            mock_buf_free(&text);
            BAD(c, "messages.%d.role: Field required", i);
        }
        bool user = mock_json_streq(role, "user");
        if (!user && !mock_json_streq(role, "assistant")) {
            mock_buf_free(&text);
            BAD(c, "messages.%d.role: Input should be 'user' or 'assistant'",
                i);
        }
        const struct mock_json *content = mock_json_get(m, "content");
        if (content == NULL) {
            mock_buf_free(&text);
            BAD(c, "messages.%d.content: Field required", i);
        }
        mock_buf_reset(&text);
        bool tr = false;
        if (content->type == MOCK_JSON_STRING) {
            mock_buf_append(&text, content->str, content->len);
        } else if (content->type == MOCK_JSON_ARRAY) {
            if (!blocks(c, content, i, &text, &tr)) {
                mock_buf_free(&text);
                return false;
            }
        } else {
            mock_buf_free(&text);
            BAD(c, "messages.%d.content: Input should be a valid list", i);
        }
        conv->has_tool_result = conv->has_tool_result || tr;
        conv->prompt_tokens += mock_count_tokens(text.data, text.len);
        if (user) {
            conv->echo = mock_arena_strndup(
                c->arena, text.data ? text.data : "", text.len);
            conv->echo_len = text.len;
        }
    }
    mock_buf_free(&text);
    const struct mock_json *st = mock_json_get(b, "stream");
    if (st && st->type != MOCK_JSON_TRUE && st->type != MOCK_JSON_FALSE &&
        st->type != MOCK_JSON_NULL) {
        BAD(c, "stream: Input should be a valid boolean");
    }
    conv->stream = st && st->type == MOCK_JSON_TRUE;
    const struct mock_json *temp = mock_json_get(b, "temperature");
    if (temp && temp->type != MOCK_JSON_NULL &&
        (temp->type != MOCK_JSON_NUMBER || temp->num < 0 || temp->num > 1)) {
        BAD(c, "temperature: Input should be less than or equal to 1");
    }
    const struct mock_json *ss = mock_json_get(b, "stop_sequences");
    if (ss && ss->type != MOCK_JSON_NULL) {
        bool ok = ss->type == MOCK_JSON_ARRAY;
        for (const struct mock_json *e = ok ? ss->child : NULL; e && ok;
             e = e->next) {
            ok = e->type == MOCK_JSON_STRING;
        }
        if (!ok) {
            BAD(c, "stop_sequences: Input should be a valid list of strings");
        }
        mock_conv_stops(conv, ss);
    }
    const struct mock_json *tools = mock_json_get(b, "tools");
    if (tools && tools->type != MOCK_JSON_NULL) {
        if (tools->type != MOCK_JSON_ARRAY) {
            BAD(c, "tools: Input should be a valid list");
        }
        int k = 0;
        for (const struct mock_json *t = tools->child; t; t = t->next, k++) {
            const struct mock_json *name = mock_json_get(t, "name");
            if (name == NULL || name->type != MOCK_JSON_STRING) {
                BAD(c, "tools.%d.name: Field required", k);
            }
            /* Client tools need input_schema; typed server tools carry a
             * "type" instead. */
            const struct mock_json *schema = mock_json_get(t, "input_schema");
            if (mock_json_get(t, "type") == NULL &&
                (schema == NULL || schema->type != MOCK_JSON_OBJECT)) {
                BAD(c, "tools.%d.input_schema: Field required", k);
            }
        }
    }
    return true;
}

static const char *stop_reason(const struct mock_reply *r)
{
    if (r->stop_seq && r->finish == MOCK_FIN_STOP) {
        return "stop_sequence";
    }
    switch (r->finish) {
    case MOCK_FIN_LENGTH:
        return "max_tokens";
    case MOCK_FIN_TOOLS:
        return "tool_use";
    default:
        return "end_turn";
    }
}

static void stop_seq_json(struct mock_buf *b, const struct mock_reply *r)
{
    if (r->stop_seq && r->finish == MOCK_FIN_STOP) {
        mock_buf_json_str(b, r->stop_seq, r->stop_seq_len);
    } else {
        mock_buf_puts(b, "null");
    }
}

static void sse(struct mock_call *c, const char *name, struct mock_buf *data,
                bool content)
{
    struct mock_buf ev;
    mock_buf_init(&ev);
    mock_buf_printf(&ev, "event: %s\ndata: ", name);
    mock_buf_append(&ev, data->data, data->len);
    mock_buf_puts(&ev, "\n\n");
    mock_plan_event(c, ev.data, ev.len, content);
    mock_buf_free(&ev);
}

static void stream_error(struct mock_call *c)
{
    struct mock_buf b;
    mock_buf_init(&b);
    mock_buf_puts(&b, "event: error\ndata: {\"type\":\"error\",\"error\":"
                      "{\"type\":");
    mock_buf_json_cstr(&b, c->scn.error_type ? c->scn.error_type
                                             : "overloaded_error");
    mock_buf_puts(&b, ",\"message\":");
    mock_buf_json_cstr(&b, c->scn.error_message ? c->scn.error_message
                                                : "Overloaded");
    mock_buf_puts(&b, "}}\n\n");
    mock_plan_error_event(c, b.data, b.len);
    mock_buf_free(&b);
}

static void stream(struct mock_call *c, const struct mock_conv *conv,
                   const struct mock_reply *r)
{
    mock_set_stream_error(c, stream_error);
    mock_plan_head(c, 200, "text/event-stream; charset=utf-8", NULL, 0, true);
    struct mock_buf d;
    mock_buf_init(&d);
    mock_buf_printf(&d,
                    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_"
                    "mock%llu\",\"type\":\"message\",\"role\":\"assistant\","
                    "\"model\":",
                    (unsigned long long)c->id);
    mock_buf_json_str(&d, conv->model, conv->model_len);
    mock_buf_printf(&d,
                    ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":"
                    "null,\"usage\":{\"input_tokens\":%ld,"
                    "\"cache_creation_input_tokens\":0,"
                    "\"cache_read_input_tokens\":0,\"output_tokens\":1}}}",
                    conv->prompt_tokens);
    sse(c, "message_start", &d, false);
    int index = 0;
    bool pinged = false;
    if (r->reasoning) {
        mock_buf_reset(&d);
        mock_buf_puts(&d, "{\"type\":\"content_block_start\",\"index\":0,"
                          "\"content_block\":{\"type\":\"thinking\","
                          "\"thinking\":\"\",\"signature\":\"\"}}");
        sse(c, "content_block_start", &d, false);
        mock_buf_reset(&d);
        mock_buf_puts(&d, "{\"type\":\"content_block_delta\",\"index\":0,"
                          "\"delta\":{\"type\":\"thinking_delta\","
                          "\"thinking\":");
        mock_buf_json_str(&d, r->reasoning, r->reasoning_len);
        mock_buf_puts(&d, "}}");
        sse(c, "content_block_delta", &d, true);
        mock_buf_reset(&d);
        mock_buf_puts(&d, "{\"type\":\"content_block_delta\",\"index\":0,"
                          "\"delta\":{\"type\":\"signature_delta\","
                          "\"signature\":\"" MOCK_THINKING_SIG "\"}}");
        sse(c, "content_block_delta", &d, false);
        mock_buf_reset(&d);
        mock_buf_puts(&d, "{\"type\":\"content_block_stop\",\"index\":0}");
        sse(c, "content_block_stop", &d, false);
        index = 1;
    }
    if (r->len > 0 || r->ntools == 0) {
        mock_buf_reset(&d);
        mock_buf_printf(&d,
                        "{\"type\":\"content_block_start\",\"index\":%d,"
                        "\"content_block\":{\"type\":\"text\",\"text\":"
                        "\"\"}}",
                        index);
        sse(c, "content_block_start", &d, false);
        mock_buf_reset(&d);
        mock_buf_puts(&d, "{\"type\":\"ping\"}");
        sse(c, "ping", &d, false);
        pinged = true;
        size_t pos = 0;
        const char *piece;
        size_t plen;
        while (mock_next_piece(r->text, r->len, &pos, &piece, &plen)) {
            mock_buf_reset(&d);
            mock_buf_printf(&d,
                            "{\"type\":\"content_block_delta\",\"index\":%d,"
                            "\"delta\":{\"type\":\"text_delta\",\"text\":",
                            index);
            mock_buf_json_str(&d, piece, plen);
            mock_buf_puts(&d, "}}");
            sse(c, "content_block_delta", &d, true);
        }
        mock_buf_reset(&d);
        mock_buf_printf(&d, "{\"type\":\"content_block_stop\",\"index\":%d}",
                        index);
        sse(c, "content_block_stop", &d, false);
        index++;
    }
    struct mock_buf args;
    mock_buf_init(&args);
    for (int t = 0; t < r->ntools; t++, index++) {
        mock_buf_reset(&d);
        mock_buf_printf(&d,
                        "{\"type\":\"content_block_start\",\"index\":%d,"
                        "\"content_block\":{\"type\":\"tool_use\",\"id\":"
                        "\"toolu_mock%llu_%d\",\"name\":",
                        index, (unsigned long long)c->id, t);
        mock_buf_json_cstr(&d, r->tools[t].name);
        mock_buf_puts(&d, ",\"input\":{}}}");
        sse(c, "content_block_start", &d, false);
        if (!pinged) {
            mock_buf_reset(&d);
            mock_buf_puts(&d, "{\"type\":\"ping\"}");
            sse(c, "ping", &d, false);
            pinged = true;
        }
        mock_buf_reset(&args);
        mock_tool_args_object(c, r->tools[t].args, &args);
        size_t ap = 0, fl = 0;
        bool first = true;
        do {
            mock_buf_reset(&d);
            mock_buf_printf(&d,
                            "{\"type\":\"content_block_delta\",\"index\":%d,"
                            "\"delta\":{\"type\":\"input_json_delta\","
                            "\"partial_json\":",
                            index);
            mock_buf_json_str(&d, first ? "" : args.data + ap - fl,
                              first ? 0 : fl);
            mock_buf_puts(&d, "}}");
            sse(c, "content_block_delta", &d, true);
            first = false;
        } while (mock_next_fragment(args.data, args.len, &ap, 8, &fl));
        mock_buf_reset(&d);
        mock_buf_printf(&d, "{\"type\":\"content_block_stop\",\"index\":%d}",
                        index);
        sse(c, "content_block_stop", &d, false);
    }
    mock_buf_free(&args);
    mock_buf_reset(&d);
    mock_buf_printf(&d,
                    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
                    "\"%s\",\"stop_sequence\":",
                    stop_reason(r));
    stop_seq_json(&d, r);
    mock_buf_printf(&d, "},\"usage\":{\"output_tokens\":%ld}}",
                    r->completion_tokens > 0 ? r->completion_tokens : 1);
    sse(c, "message_delta", &d, false);
    mock_buf_reset(&d);
    mock_buf_puts(&d, "{\"type\":\"message_stop\"}");
    sse(c, "message_stop", &d, false);
    mock_plan_end(c);
    mock_buf_free(&d);
}

void mock_anthropic_messages(struct mock_call *c)
{
    struct mock_conv conv;
    if (!parse(c, &conv, false) || mock_context_exceeded(c, &conv)) {
        return;
    }
    struct mock_reply r;
    mock_make_reply(c, &conv, &r);
    if (conv.stream) {
        stream(c, &conv, &r);
        return;
    }
    mock_set_gen_tokens(c, r.completion_tokens);
    struct mock_buf *b = c->scratch;
    mock_buf_reset(b);
    mock_buf_printf(b,
                    "{\"id\":\"msg_mock%llu\",\"type\":\"message\",\"role\":"
                    "\"assistant\",\"model\":",
                    (unsigned long long)c->id);
    mock_buf_json_str(b, conv.model, conv.model_len);
    mock_buf_puts(b, ",\"content\":[");
    bool any = false;
    if (r.reasoning) {
        mock_buf_puts(b, "{\"type\":\"thinking\",\"thinking\":");
        mock_buf_json_str(b, r.reasoning, r.reasoning_len);
        mock_buf_puts(b, ",\"signature\":\"" MOCK_THINKING_SIG "\"}");
        any = true;
    }
    if (r.len > 0 || r.ntools == 0) {
        if (any) {
            mock_buf_putc(b, ',');
        }
        mock_buf_puts(b, "{\"type\":\"text\",\"text\":");
        mock_buf_json_str(b, r.text, r.len);
        mock_buf_putc(b, '}');
        any = true;
    }
    for (int t = 0; t < r.ntools; t++) {
        mock_buf_printf(b,
                        "%s{\"type\":\"tool_use\",\"id\":\"toolu_mock%llu_%d\","
                        "\"name\":",
                        any ? "," : "", (unsigned long long)c->id, t);
        mock_buf_json_cstr(b, r.tools[t].name);
        mock_buf_puts(b, ",\"input\":");
        mock_tool_args_object(c, r.tools[t].args, b);
        mock_buf_putc(b, '}');
        any = true;
    }
    mock_buf_printf(
        b, "],\"stop_reason\":\"%s\",\"stop_sequence\":", stop_reason(&r));
    stop_seq_json(b, &r);
    mock_buf_printf(b,
                    ",\"usage\":{\"input_tokens\":%ld,"
                    "\"cache_creation_input_tokens\":0,"
                    "\"cache_read_input_tokens\":0,\"output_tokens\":%ld,"
                    "\"service_tier\":\"standard\"}}",
                    conv.prompt_tokens,
                    r.completion_tokens > 0 ? r.completion_tokens : 1);
    mock_respond(c, 200, "application/json", b->data, b->len);
}

void mock_anthropic_count_tokens(struct mock_call *c)
{
    struct mock_conv conv;
    if (!parse(c, &conv, true)) {
        return;
    }
    struct mock_buf *b = c->scratch;
    mock_buf_reset(b);
    mock_buf_printf(b, "{\"input_tokens\":%ld}", conv.prompt_tokens);
    mock_respond(c, 200, "application/json", b->data, b->len);
}

void mock_anthropic_models(struct mock_call *c)
{
    static const char *const ids[][2] = {
        {"claude-sonnet-4-5", "Claude Sonnet 4.5"},
        {"claude-opus-4-1", "Claude Opus 4.1"},
        {"claude-haiku-4-5", "Claude Haiku 4.5"}};
    struct mock_buf *b = c->scratch;
    mock_buf_reset(b);
    mock_buf_puts(b, "{\"data\":[");
    size_t n = sizeof ids / sizeof ids[0];
    for (size_t i = 0; i < n; i++) {
        mock_buf_printf(b,
                        "%s{\"type\":\"model\",\"id\":\"%s\",\"display_name\":"
                        "\"%s\",\"created_at\":\"2025-09-29T00:00:00Z\"}",
                        i ? "," : "", ids[i][0], ids[i][1]);
    }
    mock_buf_printf(b,
                    "],\"has_more\":false,\"first_id\":\"%s\",\"last_id\":"
                    "\"%s\"}",
                    ids[0][0], ids[n - 1][0]);
    mock_respond(c, 200, "application/json", b->data, b->len);
}
