/*
 * gemini.c - the Gemini (Generative Language API) endpoints:
 * models/{model}:generateContent, :streamGenerateContent (?alt=sse gives
 * CRLF-framed SSE; without it a streamed JSON array, as the real API),
 * :embedContent, :batchEmbedContents, and GET /v1beta/models.
 *
 * Errors use the Google RPC shape {"error":{code,message,status,details}}.
 * Both camelCase and snake_case request field names are accepted, output is
 * camelCase.
 */
#include "mock.h"

#include <string.h>

/* The thoughtSignature the mock puts on the first call of a turn. */
#define MOCK_GEMINI_SIG "bW9jay10aG91Z2h0LXNpZ25hdHVyZQ=="

#define BAD(c, ...)                                                            \
    do {                                                                       \
        mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL, __VA_ARGS__);       \
        return false;                                                          \
    } while (0)

/* Member NAME, or its snake_case twin SNAKE. */
static const struct mock_json *get2(const struct mock_json *o, const char *name,
                                    const char *snake)
{
    const struct mock_json *v = mock_json_get(o, name);
    return v ? v : mock_json_get(o, snake);
}

static const char *const top_fields[] = {"contents",
                                         "systemInstruction",
                                         "system_instruction",
                                         "tools",
                                         "toolConfig",
                                         "tool_config",
                                         "safetySettings",
                                         "safety_settings",
                                         "generationConfig",
                                         "generation_config",
                                         "cachedContent",
                                         "cached_content",
                                         "serviceTier",
                                         "service_tier",
                                         "labels",
                                         "model"};

static const char *const part_fields[] = {"text",
                                          "inlineData",
                                          "inline_data",
                                          "fileData",
                                          "file_data",
                                          "functionCall",
                                          "function_call",
                                          "functionResponse",
                                          "function_response",
                                          "executableCode",
                                          "executable_code",
                                          "codeExecutionResult",
                                          "code_execution_result"};

static bool key_in(const struct mock_json *m, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strlen(list[i]) == m->keylen &&
            memcmp(list[i], m->key, m->keylen) == 0) {
            return true;
        }
    }
    return false;
}

/* Gemini 3 models validate the thoughtSignature of the calls in the
 * history; earlier ones accept a history without it. */
static bool signs_calls(const char *model, size_t len)
{
    return len >= 8 && memcmp(model, "gemini-3", 8) == 0;
}

static bool parse(struct mock_call *c, struct mock_conv *conv,
                  bool needs_signature)
{
    const struct mock_json *b = c->body;
    memset(conv, 0, sizeof *conv);
    conv->max_tokens = -1;
    conv->n = 1;
    if (b == NULL || b->type != MOCK_JSON_OBJECT) {
        BAD(c, "Invalid JSON payload received. Expected an object.");
    }
    for (const struct mock_json *m = b->child; m; m = m->next) {
        if (!key_in(m, top_fields, sizeof top_fields / sizeof *top_fields)) {
            BAD(c,
                "Invalid JSON payload received. Unknown name \"%.*s\": "
                "Cannot find field.",
                (int)(m->keylen > 64 ? 64 : m->keylen), m->key);
        }
    }
    const struct mock_json *contents = mock_json_get(b, "contents");
    if (contents == NULL ||
        (contents->type == MOCK_JSON_ARRAY && contents->count == 0)) {
        BAD(c, "* GenerateContentRequest.contents: contents is not "
               "specified\n");
    }
    if (contents->type != MOCK_JSON_ARRAY) {
        BAD(c, "Invalid JSON payload received. Unknown name \"contents\": "
               "Proto field is not repeating, cannot start list.");
    }
    const struct mock_json *sys =
        get2(b, "systemInstruction", "system_instruction");
    const struct mock_json *sparts = mock_json_get(sys, "parts");
    for (const struct mock_json *p = sparts ? sparts->child : NULL; p;
         p = p->next) {
        const struct mock_json *t = mock_json_get(p, "text");
        if (t && t->type == MOCK_JSON_STRING) {
            conv->prompt_tokens += mock_count_tokens(t->str, t->len);
        }
    }
    struct mock_buf text, tmp;
    mock_buf_init(&text);
    mock_buf_init(&tmp);
    int i = 0;
    bool ok = true;
    for (const struct mock_json *ct = contents->child; ct && ok;
         ct = ct->next, i++) {
        if (ct->type != MOCK_JSON_OBJECT) {
            mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL,
                       "Invalid value at 'contents[%d]' (type.googleapis.com/"
                       "google.ai.generativelanguage.v1beta.Content)",
                       i);
            ok = false;
            break;
        }
        const struct mock_json *role = mock_json_get(ct, "role");
        bool model_role = mock_json_streq(role, "model");
        if (role && !model_role && !mock_json_streq(role, "user") &&
            !mock_json_streq(role, "function") &&
            !mock_json_streq(role, "tool") &&
            !(role->type == MOCK_JSON_STRING && role->len == 0)) {
            mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL,
                       "Please use a valid role: user, model.");
            ok = false;
            break;
        }
        const struct mock_json *parts = mock_json_get(ct, "parts");
        if (parts == NULL || parts->type != MOCK_JSON_ARRAY ||
            parts->count == 0) {
            mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL,
                       "* GenerateContentRequest.contents[%d].parts: "
                       "contents.parts must not be empty.\n",
                       i);
            ok = false;
            break;
        }
        mock_buf_reset(&text);
        int j = 0;
        bool first_call = true;
        for (const struct mock_json *p = parts->child; p; p = p->next, j++) {
            if (model_role && needs_signature &&
                get2(p, "functionCall", "function_call") != NULL) {
                const struct mock_json *sig =
                    get2(p, "thoughtSignature", "thought_signature");
                if (first_call &&
                    (sig == NULL || sig->type != MOCK_JSON_STRING ||
                     sig->len == 0)) {
                    mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL,
                               "Function call is missing a thought_signature "
                               "in functionCall parts. This is required for "
                               "tools to work correctly. Additional data, "
                               "function call position %d.",
                               j);
                    ok = false;
                    break;
                }
                first_call = false;
            }
            int ndata = 0;
            for (const struct mock_json *m =
                     p->type == MOCK_JSON_OBJECT ? p->child : NULL;
                 m; m = m->next) {
                ndata += key_in(m, part_fields,
                                sizeof part_fields / sizeof *part_fields);
            }
            if (ndata != 1) {
                mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL,
                           "* GenerateContentRequest.contents[%d].parts[%d]."
                           "data: required oneof field 'data' must have one "
                           "initialized field\n",
                           i, j);
                ok = false;
                break;
            }
            const struct mock_json *t = mock_json_get(p, "text");
            const struct mock_json *fr =
                get2(p, "functionResponse", "function_response");
            if (t) {
                if (t->type != MOCK_JSON_STRING) {
                    mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL,
                               "Invalid value at 'contents[%d].parts[%d]."
                               "text' (TYPE_STRING)",
                               i, j);
                    ok = false;
                    break;
                }
                if (text.len) {
                    mock_buf_putc(&text, ' ');
                }
                mock_buf_append(&text, t->str, t->len);
            } else if (fr) {
                const struct mock_json *resp = mock_json_get(fr, "response");
                if (resp == NULL || resp->type != MOCK_JSON_OBJECT) {
                    mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL,
                               "Invalid value at 'contents[%d].parts[%d]."
                               "function_response.response' "
                               "(type.googleapis.com/google.protobuf.Struct)",
                               i, j);
                    ok = false;
                    break;
                }
                conv->has_tool_result = true;
                mock_buf_reset(&tmp);
                mock_json_write(&tmp, resp);
                if (text.len) {
                    mock_buf_putc(&text, ' ');
                }
                mock_buf_append(&text, tmp.data, tmp.len);
            }
        }
        if (!ok) {
            break;
        }
        conv->prompt_tokens += mock_count_tokens(text.data, text.len);
        if (!model_role) {
            conv->echo = mock_arena_strndup(
                c->arena, text.data ? text.data : "", text.len);
            conv->echo_len = text.len;
        }
    }
    mock_buf_free(&text);
    mock_buf_free(&tmp);
    if (!ok) {
        return false;
    }
    const struct mock_json *gc =
        get2(b, "generationConfig", "generation_config");
    if (gc && gc->type == MOCK_JSON_OBJECT) {
        const struct mock_json *mo =
            get2(gc, "maxOutputTokens", "max_output_tokens");
        int64_t v;
        if (mo && !mock_json_int(mo, &v)) {
            BAD(c, "Invalid value at 'generation_config.max_output_tokens' "
                   "(TYPE_INT32)");
        }
        if (mo) {
            conv->max_tokens = v < 0 ? 0 : v;
        }
        const struct mock_json *cc =
            get2(gc, "candidateCount", "candidate_count");
        if (cc && mock_json_int(cc, &v)) {
            if (v < 1 || v > 8) {
                BAD(c, "* GenerateContentRequest.generation_config."
                       "candidate_count: must be between 1 and 8\n");
            }
            conv->n = (int)v;
        }
        const struct mock_json *ss =
            get2(gc, "stopSequences", "stop_sequences");
        if (ss && ss->type != MOCK_JSON_ARRAY) {
            BAD(c, "Invalid JSON payload received. Unknown name "
                   "\"stopSequences\": Proto field is not repeating, cannot "
                   "start list.");
        }
        mock_conv_stops(conv, ss);
        const struct mock_json *temp = mock_json_get(gc, "temperature");
        if (temp && (temp->type != MOCK_JSON_NUMBER || temp->num < 0 ||
                     temp->num > 2)) {
            BAD(c, "* GenerateContentRequest.generation_config.temperature: "
                   "temperature must be in the range [0.0, 2.0]\n");
        }
    } else if (gc && gc->type != MOCK_JSON_NULL) {
        BAD(c, "Invalid JSON payload received. Unknown name "
               "\"generationConfig\": Proto field is not a message.");
    }
    return true;
}

static const char *finish(enum mock_finish f)
{
    return f == MOCK_FIN_LENGTH ? "MAX_TOKENS" : "STOP";
}

/* Appends the thought-summary part of the reply (thinking models with
 * includeThoughts), followed by SEP. */
static void thought_part(struct mock_buf *b, const struct mock_reply *r,
                         const char *sep)
{
    mock_buf_puts(b, "{\"text\":");
    mock_buf_json_str(b, r->reasoning, r->reasoning_len);
    mock_buf_puts(b, ",\"thought\":true}");
    mock_buf_puts(b, sep);
}

/* Appends the parts array content for the reply (text and/or calls). */
static void parts_json(struct mock_call *c, struct mock_buf *b,
                       const char *text, size_t len, const struct mock_reply *r,
                       bool calls)
{
    bool any = false;
    if (len > 0 || !calls || r->ntools == 0) {
        mock_buf_puts(b, "{\"text\":");
        mock_buf_json_str(b, text, len);
        mock_buf_putc(b, '}');
        any = true;
    }
    if (calls) {
        for (int t = 0; t < r->ntools; t++) {
            mock_buf_puts(b, any ? ",{\"functionCall\":{\"name\":"
                                 : "{\"functionCall\":{\"name\":");
            mock_buf_json_cstr(b, r->tools[t].name);
            mock_buf_puts(b, ",\"args\":");
            mock_tool_args_object(c, r->tools[t].args, b);
            /* Thinking models sign the first call of a turn; the client
             * must send the signature back (checked for gemini-3). */
            mock_buf_puts(
                b, t == 0 ? "},\"thoughtSignature\":\"" MOCK_GEMINI_SIG "\"}"
                          : "}}");
            any = true;
        }
    }
}

static void usage_json(struct mock_buf *b, long p, long cpl)
{
    mock_buf_printf(b,
                    "\"usageMetadata\":{\"promptTokenCount\":%ld,"
                    "\"candidatesTokenCount\":%ld,\"totalTokenCount\":%ld,"
                    "\"promptTokensDetails\":[{\"modality\":\"TEXT\","
                    "\"tokenCount\":%ld}]}",
                    p, cpl, p + cpl, p);
}

static void tail_json(struct mock_call *c, struct mock_buf *b,
                      const struct mock_conv *conv)
{
    mock_buf_puts(b, ",\"modelVersion\":");
    mock_buf_json_str(b, conv->model, conv->model_len);
    mock_buf_printf(b, ",\"responseId\":\"mock%llu\"}",
                    (unsigned long long)c->id);
}

static bool g_sse; /* framing of the stream being built */
static bool g_first;

static void emit(struct mock_call *c, struct mock_buf *obj, bool content)
{
    struct mock_buf ev;
    mock_buf_init(&ev);
    if (g_sse) {
        mock_buf_puts(&ev, "data: ");
        mock_buf_append(&ev, obj->data, obj->len);
        mock_buf_puts(&ev, "\r\n\r\n");
    } else {
        mock_buf_puts(&ev, g_first ? "[" : ",\r\n");
        mock_buf_append(&ev, obj->data, obj->len);
    }
    g_first = false;
    mock_plan_event(c, ev.data, ev.len, content);
    mock_buf_free(&ev);
}

static void stream_error(struct mock_call *c)
{
    struct mock_buf b;
    mock_buf_init(&b);
    mock_buf_puts(&b, g_sse ? "data: " : (g_first ? "[" : ",\r\n"));
    mock_buf_puts(&b, "{\"error\":{\"code\":500,\"message\":");
    mock_buf_json_cstr(&b, c->scn.error_message
                               ? c->scn.error_message
                               : "An internal error has occurred.");
    mock_buf_puts(&b, ",\"status\":");
    mock_buf_json_cstr(&b, c->scn.error_type ? c->scn.error_type : "INTERNAL");
    mock_buf_puts(&b, g_sse ? "}}\r\n\r\n" : "}}]");
    g_first = false;
    mock_plan_error_event(c, b.data, b.len);
    mock_buf_free(&b);
}

static void stream(struct mock_call *c, const struct mock_conv *conv,
                   const struct mock_reply *r)
{
    size_t alt_len = 0;
    const char *alt = mock_http_query(c->req, "alt", &alt_len);
    g_sse = alt && alt_len == 3 && memcmp(alt, "sse", 3) == 0;
    g_first = true;
    mock_set_stream_error(c, stream_error);
    mock_plan_head(c, 200,
                   g_sse ? "text/event-stream"
                         : "application/json; "
                           "charset=UTF-8",
                   NULL, 0, true);
    struct mock_buf o;
    mock_buf_init(&o);
    size_t pos = 0;
    const char *piece;
    size_t plen;
    long done = 0;
    if (r->reasoning) {
        mock_buf_reset(&o);
        mock_buf_puts(&o, "{\"candidates\":[");
        for (int i = 0; i < conv->n; i++) {
            mock_buf_puts(&o, i ? ",{\"content\":{\"parts\":["
                                : "{\"content\":{\"parts\":[");
            thought_part(&o, r, "");
            mock_buf_printf(&o, "],\"role\":\"model\"},\"index\":%d}", i);
        }
        mock_buf_puts(&o, "]");
        tail_json(c, &o, conv);
        emit(c, &o, true);
    }
    while (mock_next_piece(r->text, r->len, &pos, &piece, &plen)) {
        done++;
        mock_buf_reset(&o);
        mock_buf_puts(&o, "{\"candidates\":[");
        for (int i = 0; i < conv->n; i++) {
            mock_buf_puts(&o, i ? ",{\"content\":{\"parts\":["
                                : "{\"content\":{\"parts\":[");
            parts_json(c, &o, piece, plen, r, false);
            mock_buf_printf(&o, "],\"role\":\"model\"},\"index\":%d}", i);
        }
        mock_buf_printf(&o,
                        "],\"usageMetadata\":{\"promptTokenCount\":%ld,"
                        "\"totalTokenCount\":%ld}",
                        conv->prompt_tokens, conv->prompt_tokens);
        tail_json(c, &o, conv);
        emit(c, &o, true);
    }
    mock_buf_reset(&o);
    mock_buf_puts(&o, "{\"candidates\":[");
    for (int i = 0; i < conv->n; i++) {
        mock_buf_puts(&o, i ? ",{\"content\":{\"parts\":["
                            : "{\"content\":{\"parts\":[");
        parts_json(c, &o, "", 0, r, true);
        mock_buf_printf(&o,
                        "],\"role\":\"model\"},\"finishReason\":\"%s\","
                        "\"index\":%d}",
                        finish(r->finish), i);
    }
    mock_buf_puts(&o, "],");
    usage_json(&o, conv->prompt_tokens, r->completion_tokens * conv->n);
    tail_json(c, &o, conv);
    emit(c, &o, r->ntools > 0);
    if (!g_sse) {
        mock_plan_event(c, "]", 1, false);
    }
    mock_plan_end(c);
    mock_buf_free(&o);
    (void)done;
}

void mock_gemini_generate(struct mock_call *c, const char *model,
                          size_t model_len, bool streaming)
{
    struct mock_conv conv;
    if (!parse(c, &conv, signs_calls(model, model_len)) ||
        mock_context_exceeded(c, &conv)) {
        return;
    }
    conv.model = model;
    conv.model_len = model_len;
    struct mock_reply r;
    mock_make_reply(c, &conv, &r);
    if (streaming) {
        stream(c, &conv, &r);
        return;
    }
    mock_set_gen_tokens(c, r.completion_tokens);
    struct mock_buf *b = c->scratch;
    mock_buf_reset(b);
    mock_buf_puts(b, "{\"candidates\":[");
    for (int i = 0; i < conv.n; i++) {
        mock_buf_puts(b, i ? ",{\"content\":{\"parts\":["
                           : "{\"content\":{\"parts\":[");
        if (r.reasoning) {
            thought_part(b, &r, ",");
        }
        parts_json(c, b, r.text, r.len, &r, true);
        mock_buf_printf(b,
                        "],\"role\":\"model\"},\"finishReason\":\"%s\","
                        "\"index\":%d}",
                        finish(r.finish), i);
    }
    mock_buf_puts(b, "],");
    usage_json(b, conv.prompt_tokens, r.completion_tokens * conv.n);
    tail_json(c, b, &conv);
    mock_respond(c, 200, "application/json; charset=UTF-8", b->data, b->len);
}

/* Text of a Content object for embedding. */
static bool content_text(const struct mock_json *content, struct mock_buf *t)
{
    const struct mock_json *parts = mock_json_get(content, "parts");
    if (parts == NULL || parts->type != MOCK_JSON_ARRAY || parts->count == 0) {
        return false;
    }
    for (const struct mock_json *p = parts->child; p; p = p->next) {
        const struct mock_json *tx = mock_json_get(p, "text");
        if (tx == NULL || tx->type != MOCK_JSON_STRING) {
            return false;
        }
        if (t->len) {
            mock_buf_putc(t, ' ');
        }
        mock_buf_append(t, tx->str, tx->len);
    }
    return true;
}

static bool dims_of(struct mock_call *c, const struct mock_json *req,
                    long *dims)
{
    const struct mock_json *d =
        get2(req, "outputDimensionality", "output_dimensionality");
    int64_t v;
    *dims = 768;
    if (d == NULL) {
        return true;
    }
    if (!mock_json_int(d, &v) || v < 1 || v > 8192) {
        mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL,
                   "* EmbedContentRequest.output_dimensionality: must be "
                   "between 1 and 8192\n");
        return false;
    }
    *dims = (long)v;
    return true;
}

void mock_gemini_embed(struct mock_call *c, const char *model, size_t model_len,
                       bool batch)
{
    (void)model;
    (void)model_len;
    const struct mock_json *b = c->body;
    struct mock_buf *o = c->scratch;
    struct mock_buf t;
    mock_buf_init(&t);
    long dims;
    if (b == NULL || b->type != MOCK_JSON_OBJECT) {
        mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL,
                   "Invalid JSON payload received. Expected an object.");
        return;
    }
    if (!batch) {
        if (!content_text(mock_json_get(b, "content"), &t)) {
            mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL,
                       "* EmbedContentRequest.content: contents is not "
                       "specified\n");
            mock_buf_free(&t);
            return;
        }
        if (!dims_of(c, b, &dims)) {
            mock_buf_free(&t);
            return;
        }
        mock_buf_reset(o);
        mock_buf_puts(o, "{\"embedding\":{\"values\":");
        mock_vector_json(o, t.data, t.len, dims);
        mock_buf_puts(o, "}}");
        mock_buf_free(&t);
        mock_respond(c, 200, "application/json; charset=UTF-8", o->data,
                     o->len);
        return;
    }
    const struct mock_json *reqs = mock_json_get(b, "requests");
    if (reqs == NULL || reqs->type != MOCK_JSON_ARRAY || reqs->count == 0) {
        mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL,
                   "* BatchEmbedContentsRequest.requests: requests is not "
                   "specified\n");
        return;
    }
    if (reqs->count > 100) {
        /* The real API's cap and message. */
        mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL,
                   "* BatchEmbedContentsRequest.requests: at most 100 "
                   "requests can be in one batch\n");
        return;
    }
    /* Validate everything before writing into the shared scratch buffer,
     * which mock_error also uses. */
    int i = 0;
    for (const struct mock_json *r = reqs->child; r; r = r->next, i++) {
        mock_buf_reset(&t);
        if (!content_text(mock_json_get(r, "content"), &t)) {
            mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL,
                       "* BatchEmbedContentsRequest.requests[%d].content: "
                       "contents is not specified\n",
                       i);
            mock_buf_free(&t);
            return;
        }
        if (!dims_of(c, r, &dims)) {
            mock_buf_free(&t);
            return;
        }
    }
    mock_buf_reset(o);
    mock_buf_puts(o, "{\"embeddings\":[");
    i = 0;
    for (const struct mock_json *r = reqs->child; r; r = r->next, i++) {
        mock_buf_reset(&t);
        content_text(mock_json_get(r, "content"), &t);
        const struct mock_json *d =
            get2(r, "outputDimensionality", "output_dimensionality");
        int64_t v = 768;
        if (d) {
            mock_json_int(d, &v);
        }
        mock_buf_puts(o, i ? ",{\"values\":" : "{\"values\":");
        mock_vector_json(o, t.data, t.len, (long)v);
        mock_buf_putc(o, '}');
    }
    mock_buf_puts(o, "]}");
    mock_buf_free(&t);
    mock_respond(c, 200, "application/json; charset=UTF-8", o->data, o->len);
}

void mock_gemini_count_tokens(struct mock_call *c)
{
    struct mock_conv conv;
    if (!parse(c, &conv, false)) {
        return;
    }
    struct mock_buf *b = c->scratch;
    mock_buf_reset(b);
    mock_buf_printf(b,
                    "{\"totalTokens\":%ld,\"promptTokensDetails\":[{"
                    "\"modality\":\"TEXT\",\"tokenCount\":%ld}]}",
                    conv.prompt_tokens, conv.prompt_tokens);
    mock_respond(c, 200, "application/json; charset=UTF-8", b->data, b->len);
}

void mock_gemini_models(struct mock_call *c)
{
    static const char *const ids[][2] = {
        {"gemini-2.5-flash", "Gemini 2.5 Flash"},
        {"gemini-2.5-pro", "Gemini 2.5 Pro"},
        {"gemini-embedding-001", "Gemini Embedding 001"}};
    struct mock_buf *b = c->scratch;
    mock_buf_reset(b);
    mock_buf_puts(b, "{\"models\":[");
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        mock_buf_printf(b,
                        "%s{\"name\":\"models/%s\",\"version\":\"001\","
                        "\"displayName\":\"%s\",\"inputTokenLimit\":1048576,"
                        "\"outputTokenLimit\":65536,"
                        "\"supportedGenerationMethods\":[\"%s\","
                        "\"countTokens\"]}",
                        i ? "," : "", ids[i][0], ids[i][1],
                        i == 2 ? "embedContent" : "generateContent");
    }
    mock_buf_puts(b, "]}");
    mock_respond(c, 200, "application/json; charset=UTF-8", b->data, b->len);
}
