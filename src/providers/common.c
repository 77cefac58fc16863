/*
 * common.c - helpers shared by the provider translation modules.
 *
 * Each helper is the single code path for a concept several providers
 * need (data-URL splitting, error filling, header lines, tool-name lookup
 * by call id), so the providers cannot drift apart on them.
 *
 * Invariants: nothing here does I/O or keeps state between calls; error
 * messages are built from provider text and fixed strings only, never from
 * configuration (an API key can never reach a message).
 * Owns: nothing; outputs go to caller-provided storage.
 */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

void llmio__prov_usage_init(llmio_usage *u)
{
    memset(u, 0, sizeof(*u));
    u->prompt_tokens = -1;
    u->completion_tokens = -1;
    u->total_tokens = -1;
    u->cached_tokens = -1;
    u->reasoning_tokens = -1;
}

void llmio__prov_copy(char *dst, size_t cap, const char *s, size_t len)
{
    if (cap == 0) {
        return;
    }
    if (s == NULL) {
        len = 0;
    }
    if (len >= cap) {
        /* Cut before a continuation byte so the message stays valid
         * UTF-8 for callers that print or re-encode it. */
        len = cap - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) {
            len--;
        }
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    dst[len] = '\0';
}

static bool ident_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Key characters include '*' so a masked key ("sk-abc***xyz") is masked
 * whole; a word boundary does not, so "**sk-...**" is still found. */
static bool key_char(unsigned char c)
{
    return ident_char(c) || c == '*';
}

size_t llmio__prov_scrub_n(char *s, size_t len)
{
    static const char *const prefixes[] = {
        "sk-",    "sk_", "gsk_", "xai-", "pplx-", "AIza",
        "nvapi-", "r8_", "hf_",  "fw_",  "key-",  "Bearer "};
    size_t o = 0;
    size_t i = 0;
    while (i < len) {
        bool word_start = i == 0 || !ident_char((unsigned char)s[i - 1]);
        size_t plen = 0;
        if (word_start) {
            for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
                size_t n = strlen(prefixes[k]);
                if (n <= len - i && memcmp(s + i, prefixes[k], n) == 0) {
                    plen = n;
                    break;
                }
            }
        }
        if (plen > 0) {
            size_t j = i + plen;
            while (j < len && key_char((unsigned char)s[j])) {
                j++;
            }
            if (j - (i + plen) >= 6) {
                memmove(s + o, s + i, plen);
                o += plen;
                memcpy(s + o, "***", 3);
                o += 3;
                i = j;
                continue;
            }
        }
        s[o++] = s[i++];
    }
    if (o < len) {
        s[o] = '\0';
    }
    return o;
}

void llmio__prov_scrub(char *s)
{
    llmio__prov_scrub_n(s, strlen(s));
}

void llmio__prov_error_finish(llmio_error *err, int http_status,
                              bool empty_body)
{
    llmio__prov_scrub(err->message);
    llmio__prov_scrub(err->provider_type);
    llmio__prov_scrub(err->provider_code);
    if (err->message[0] == '\0') {
        snprintf(err->message, sizeof(err->message), "HTTP %d: %s (%s)",
                 http_status, llmio_status_str(err->code),
                 empty_body ? "empty body" : "no error message");
    }
}

void llmio__prov_mark_context(llmio_error *err, int http_status,
                              const char *marker)
{
    /* Only a rejection of the request itself: a 5xx that mentions the
     * context (Gemini's INTERNAL sometimes does) is an outage, not a
     * prompt the caller must shorten. */
    if ((http_status == 400 || http_status == 413 || http_status == 200) &&
        strcasestr(err->message, marker) != NULL) {
        err->code = LLMIO_E_CONTEXT_LENGTH;
    }
}

static void *sh_malloc(size_t n, void *user)
{
    struct llmio__prov_stack_heap *h = user;
    /* A 16-byte header keeps the size (for realloc) and the alignment. */
    size_t need = ((n + 15) & ~(size_t)15) + 16;
    if (need < n || need > h->cap - h->used) {
        return NULL;
    }
    char *p = h->base + h->used;
    h->used += need;
    memcpy(p, &n, sizeof(n));
    return p + 16;
}

static void *sh_realloc(void *ptr, size_t n, void *user)
{
    if (ptr == NULL) {
        return sh_malloc(n, user);
    }
    size_t old;
    memcpy(&old, (char *)ptr - 16, sizeof(old));
    void *q = sh_malloc(n, user);
    if (q != NULL) {
        memcpy(q, ptr, old < n ? old : n);
    }
    return q;
}

static void sh_free(void *ptr, void *user)
{
    (void)ptr;
    (void)user;
}

llmio_allocator llmio__prov_stack_alloc(struct llmio__prov_stack_heap *h,
                                        void *mem, size_t cap)
{
    /* Align the start so every block is 16-byte aligned. */
    uintptr_t a = ((uintptr_t)mem + 15) & ~(uintptr_t)15;
    size_t skip = (size_t)(a - (uintptr_t)mem);
    h->base = (char *)a;
    h->cap = cap > skip ? cap - skip : 0;
    h->used = 0;
    llmio_allocator al;
    memset(&al, 0, sizeof(al));
    al.malloc = sh_malloc;
    al.realloc = sh_realloc;
    al.free = sh_free;
    al.user = h;
    return al;
}

const struct llmio__json *llmio__prov_parse_quiet(struct llmio__arena *a,
                                                  const char *body, size_t len)
{
    const struct llmio__json *v = NULL;
    if (body == NULL || len == 0 ||
        llmio__json_parse(a, body, len, NULL, &v, NULL) != LLMIO_OK) {
        return NULL;
    }
    return v;
}

void llmio__prov_parse_error(int http_status, const char *body, size_t len,
                             llmio_error *err, llmio__prov_fill_error_fn *fill)
{
    if (err == NULL) {
        return;
    }
    err->provider_type[0] = '\0';
    err->provider_code[0] = '\0';
    err->message[0] = '\0';
    /* Error bodies are small; one that does not fit is reported by its
     * raw text, which is what a truncated or foreign body gets anyway. */
    _Alignas(16) char mem[48 * 1024];
    struct llmio__prov_stack_heap h;
    llmio_allocator sa = llmio__prov_stack_alloc(&h, mem, sizeof(mem));
    struct llmio__arena a;
    llmio__arena_init(&a, &sa, 0);
    const struct llmio__json *root = llmio__prov_parse_quiet(&a, body, len);
    if (!fill(root, err->code, err)) {
        llmio__prov_body_message(err, body, len);
    }
    llmio__arena_cleanup(&a);
    llmio__prov_error_finish(err, http_status, body == NULL || len == 0);
}

struct llmio__arena *llmio__prov_scratch_next(struct llmio__prov_scratch *sc,
                                              struct llmio__stream_ctx *ctx)
{
    if (!sc->ready) {
        llmio__arena_init(&sc->arena, ctx->arena->alloc, 0);
        sc->ready = true;
    }
    llmio__arena_reset(&sc->arena);
    return &sc->arena;
}

void llmio__prov_stream_cleanup(struct llmio__stream_ctx *ctx)
{
    /* A pointer to a struct, converted, points to its first member. */
    struct llmio__prov_scratch *sc = ctx->state;
    if (sc != NULL && sc->ready) {
        llmio__arena_cleanup(&sc->arena);
        sc->ready = false;
    }
}

llmio_status llmio__prov_doc_body(struct llmio__stream_ctx *ctx,
                                  const char *body, size_t len, void *state,
                                  llmio__prov_doc_fn *fn, llmio_error *err)
{
    struct llmio__arena a;
    llmio__arena_init(&a, ctx->arena->alloc, 0);
    const struct llmio__json *root = NULL;
    llmio_status st =
        llmio__prov_parse(&a, body, len, "response body", &root, err);
    if (st == LLMIO_OK) {
        st = fn(ctx, state, root, err);
    }
    llmio__arena_cleanup(&a);
    return st;
}

llmio_status llmio__prov_doc_event(struct llmio__stream_ctx *ctx,
                                   const char *data, size_t len,
                                   const char *what, llmio__prov_doc_fn *fn,
                                   llmio_error *err)
{
    /* The scratch arena is the state's first member (see common.h). */
    struct llmio__arena *scratch = llmio__prov_scratch_next(ctx->state, ctx);
    const struct llmio__json *root = NULL;
    llmio_status st = llmio__prov_parse(scratch, data, len, what, &root, err);
    if (st == LLMIO_OK) {
        st = fn(ctx, ctx->state, root, err);
    }
    return st;
}

/* Whether K names a key for a parameter REQ sets (and no raw field
 * replaces it). */
static bool sampling_key(const struct llmio_request *req,
                         const struct llmio__prov_sampling_keys *k,
                         const char *key, bool set)
{
    return set && key != NULL &&
           !(k->raw_wins && llmio__request_has_raw(req, key));
}

bool llmio__prov_sampling_any(const struct llmio_request *req,
                              const struct llmio__prov_sampling_keys *k)
{
    return (req->has_temperature && k->temperature != NULL) ||
           (req->has_top_p && k->top_p != NULL) ||
           (req->has_n && k->n != NULL) ||
           ((req->has_max_completion_tokens || req->has_max_tokens) &&
            k->max_tokens != NULL) ||
           (req->nstop > 0 && k->stop != NULL) ||
           (req->has_seed && k->seed != NULL);
}

void llmio__prov_write_sampling(struct llmio__jw *w,
                                const struct llmio_request *req,
                                const struct llmio__prov_sampling_keys *k)
{
    if (sampling_key(req, k, k->temperature, req->has_temperature)) {
        llmio__jw_keys(w, k->temperature);
        llmio__jw_dbl(w, req->temperature);
    }
    if (sampling_key(req, k, k->top_p, req->has_top_p)) {
        llmio__jw_keys(w, k->top_p);
        llmio__jw_dbl(w, req->top_p);
    }
    if (sampling_key(req, k, k->n, req->has_n)) {
        llmio__jw_keys(w, k->n);
        llmio__jw_int(w, req->n);
    }
    if (sampling_key(req, k, k->max_tokens,
                     req->has_max_completion_tokens || req->has_max_tokens)) {
        llmio__jw_keys(w, k->max_tokens);
        llmio__jw_int(w, req->has_max_completion_tokens
                             ? req->max_completion_tokens
                             : req->max_tokens);
    }
    if (sampling_key(req, k, k->stop, req->nstop > 0)) {
        llmio__jw_keys(w, k->stop);
        llmio__jw_arr_begin(w);
        for (size_t i = 0; i < req->nstop; i++) {
            llmio__jw_strs(w, req->stop[i]);
        }
        llmio__jw_arr_end(w);
    }
    if (sampling_key(req, k, k->seed, req->has_seed)) {
        llmio__jw_keys(w, k->seed);
        llmio__jw_int(w, req->seed);
    }
}

llmio_status llmio__prov_tool_schema(struct llmio__arena *scratch,
                                     const struct llmio_request *req, size_t i,
                                     const struct llmio__json **schema,
                                     llmio_error *err)
{
    const struct llmio__tool_def *t = &req->tools[i];
    llmio_status st = llmio__prov_try_json(scratch, t->parameters, schema);
    if (st != LLMIO_OK) {
        return st;
    }
    if (t->parameters != NULL &&
        llmio__json_type(*schema) != LLMIO__JSON_OBJECT) {
        llmio__prov_errf(err, LLMIO_E_INVALID,
                         "tools[%zu].parameters: not a JSON object", i);
        return LLMIO_E_INVALID;
    }
    return LLMIO_OK;
}

void llmio__prov_write_tool_name(struct llmio__jw *w,
                                 const struct llmio__tool_def *t)
{
    llmio__jw_keys(w, "name");
    llmio__jw_strs(w, t->name != NULL ? t->name : "");
    if (t->description != NULL) {
        llmio__jw_keys(w, "description");
        llmio__jw_strs(w, t->description);
    }
}

void llmio__prov_write_schema(struct llmio__jw *w,
                              const struct llmio__json *schema)
{
    if (schema != NULL) {
        llmio__json_write(w, schema);
    } else {
        static const char empty[] = "{\"type\":\"object\",\"properties\":{}}";
        llmio__jw_raw(w, empty, sizeof(empty) - 1);
    }
}

llmio_status llmio__prov_format_schema(struct llmio__arena *scratch,
                                       const struct llmio_request *req,
                                       const struct llmio__json **schema,
                                       llmio_error *err)
{
    llmio_status st =
        llmio__prov_try_json(scratch, req->response_format_schema, schema);
    if (st != LLMIO_OK) {
        return st;
    }
    if (llmio__json_type(*schema) != LLMIO__JSON_OBJECT) {
        llmio__prov_errf(err, LLMIO_E_INVALID,
                         "response_format.schema: not a JSON object");
        return LLMIO_E_INVALID;
    }
    return LLMIO_OK;
}

llmio_status llmio__prov_stream_error(struct llmio__stream_ctx *ctx,
                                      llmio_error *err, bool null_if_untyped)
{
    llmio__prov_error_finish(err, 200, false);
    llmio_delta d = {.kind = LLMIO_DELTA_ERROR,
                     .text = err->message,
                     .text_len = strlen(err->message),
                     .error_type =
                         null_if_untyped && err->provider_type[0] == '\0'
                             ? NULL
                             : err->provider_type};
    llmio_status st = llmio__prov_emit(ctx, &d);
    return st != LLMIO_OK ? st : err->code;
}

llmio_status llmio__prov_check_request(const struct llmio_request *req,
                                       const char *model, llmio_error *err)
{
    if (req->error != LLMIO_OK) {
        llmio__prov_errf(err, req->error, "%s", req->error_msg);
        return req->error;
    }
    if (model == NULL || model[0] == '\0') {
        llmio__prov_errf(err, LLMIO_E_INVALID, "model: required");
        return LLMIO_E_INVALID;
    }
    return LLMIO_OK;
}

llmio_status llmio__prov_check_native(const struct llmio_request *req,
                                      const char *model, const char *name,
                                      int max_n, llmio_error *err)
{
    llmio_status st = llmio__prov_check_request(req, model, err);
    if (st != LLMIO_OK) {
        return st;
    }
    if (req->has_n && max_n == 1 && req->n > 1) {
        llmio__prov_errf(err, LLMIO_E_UNSUPPORTED,
                         "n: %s returns one choice per request", name);
        return LLMIO_E_UNSUPPORTED;
    }
    if (req->has_n && (req->n < 1 || req->n > max_n)) {
        llmio__prov_errf(err, LLMIO_E_INVALID,
                         "n: %s accepts 1 to %d candidates", name, max_n);
        return LLMIO_E_INVALID;
    }
    if (req->has_logprobs && req->logprobs) {
        llmio__prov_errf(err, LLMIO_E_UNSUPPORTED,
                         "logprobs: not translated for %s", name);
        return LLMIO_E_UNSUPPORTED;
    }
    return LLMIO_OK;
}

void llmio__prov_write_raw(struct llmio__jw *w, const struct llmio_request *req)
{
    for (size_t i = 0; i < req->nraw; i++) {
        llmio__jw_keys(w, req->raw[i].key);
        llmio__jw_raw(w, req->raw[i].json, strlen(req->raw[i].json));
    }
}

llmio_status llmio__prov_append_text(struct llmio__buf *b,
                                     const struct llmio__message *m)
{
    llmio_status st = LLMIO_OK;
    if (m->content != NULL) {
        st = llmio__buf_appends(b, m->content);
    }
    for (size_t i = 0; st == LLMIO_OK && i < m->nparts; i++) {
        if (m->parts[i].type == LLMIO__PART_TEXT && m->parts[i].text) {
            st = llmio__buf_appends(b, m->parts[i].text);
        }
    }
    return st;
}

void llmio__prov_errf(llmio_error *err, llmio_status code, const char *fmt, ...)
{
    if (err == NULL) {
        return;
    }
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
}

void llmio__prov_body_message(llmio_error *err, const char *body, size_t len)
{
    if (err == NULL || body == NULL || len == 0) {
        return;
    }
    if (len > 200) {
        len = 200;
    }
    llmio__prov_copy(err->message, sizeof(err->message), body, len);
}

llmio_status llmio__prov_header(struct llmio__http_req *out, const char *name,
                                const char *value)
{
    return llmio__prov_header_pre(out, name, NULL, value);
}

llmio_status llmio__prov_header_pre(struct llmio__http_req *out,
                                    const char *name, const char *prefix,
                                    const char *value)
{
    if (strpbrk(value, "\r\n") != NULL) {
        return LLMIO_E_INVALID;
    }
    struct llmio__buf *b = &out->headers;
    size_t mark = b->len;
    llmio_status st = llmio__buf_appends(b, name);
    if (st == LLMIO_OK) {
        st = llmio__buf_append(b, ": ", 2);
    }
    if (st == LLMIO_OK && prefix != NULL) {
        st = llmio__buf_appends(b, prefix);
    }
    if (st == LLMIO_OK) {
        st = llmio__buf_appends(b, value);
    }
    if (st == LLMIO_OK) {
        st = llmio__buf_appendc(b, '\0');
    }
    if (st != LLMIO_OK) {
        /* Keep the list well formed: drop the partial line. */
        b->len = mark;
        if (b->data != NULL) {
            b->data[mark] = '\0';
        }
        return st;
    }
    out->nheaders++;
    return LLMIO_OK;
}

bool llmio__prov_data_url(const char *url, const char **mime, size_t *mime_len,
                          const char **data, size_t *data_len)
{
    if (url == NULL || strncmp(url, "data:", 5) != 0) {
        return false;
    }
    const char *m = url + 5;
    const char *comma = strchr(m, ',');
    if (comma == NULL) {
        return false;
    }
    /* The media type ends at the first ';' (parameters such as charset may
     * follow); the URL must be base64-encoded since every API here takes
     * base64 payloads. */
    const char *semi = memchr(m, ';', (size_t)(comma - m));
    if (semi == NULL || semi == m) {
        return false;
    }
    static const char b64[] = ";base64";
    size_t blen = sizeof(b64) - 1;
    if ((size_t)(comma - m) < blen || memcmp(comma - blen, b64, blen) != 0) {
        return false;
    }
    *mime = m;
    *mime_len = (size_t)(semi - m);
    *data = comma + 1;
    *data_len = strlen(comma + 1);
    return true;
}

llmio_status llmio__prov_parse(struct llmio__arena *a, const char *p,
                               size_t len, const char *what,
                               const struct llmio__json **out, llmio_error *err)
{
    struct llmio__json_error je;
    llmio_status st = llmio__json_parse(a, p, len, NULL, out, &je);
    if (st == LLMIO_E_NOMEM) {
        llmio__prov_errf(err, st, "out of memory parsing the %s", what);
    } else if (st != LLMIO_OK) {
        llmio__prov_errf(err, st, "malformed %s at byte %zu: %s", what,
                         je.offset, je.message);
    }
    return st;
}

llmio_status llmio__prov_try_json(struct llmio__arena *a, const char *text,
                                  const struct llmio__json **out)
{
    *out = NULL;
    if (text == NULL || text[0] == '\0') {
        return LLMIO_OK;
    }
    const struct llmio__json *v = NULL;
    llmio_status st = llmio__json_parse(a, text, strlen(text), NULL, &v, NULL);
    if (st == LLMIO_E_NOMEM) {
        return st;
    }
    *out = st == LLMIO_OK ? v : NULL;
    return LLMIO_OK;
}

const char *llmio__prov_tool_name(const struct llmio_request *req,
                                  size_t nbefore, const char *id)
{
    if (id == NULL) {
        return NULL;
    }
    for (size_t i = nbefore; i-- > 0;) {
        const struct llmio__message *m = &req->messages[i];
        for (size_t j = 0; j < m->ntool_calls; j++) {
            const struct llmio__tool_call_in *tc = &m->tool_calls[j];
            if (tc->id != NULL && strcmp(tc->id, id) == 0) {
                return tc->name;
            }
        }
    }
    return NULL;
}

const char *llmio__prov_gets(const struct llmio__json *obj, const char *key,
                             size_t *len)
{
    return llmio__json_str(llmio__json_get(obj, key), len);
}

int64_t llmio__prov_geti(const struct llmio__json *obj, const char *key)
{
    int64_t v;
    if (!llmio__json_int(llmio__json_get(obj, key), &v) || v < 0) {
        return -1;
    }
    return v;
}

static bool model_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || strchr("._:/@+-=;,~", c) != NULL;
}

llmio_status llmio__prov_url(struct llmio__http_req *out, const char *base,
                             const char *path, const char *model,
                             const char *suffix, llmio_error *err)
{
    if (model != NULL) {
        if (model[0] == '\0') {
            llmio__prov_errf(err, LLMIO_E_INVALID, "model: empty name");
            return LLMIO_E_INVALID;
        }
        for (const char *c = model; *c != '\0'; c++) {
            if (!model_char_ok(*c)) {
                llmio__prov_errf(err, LLMIO_E_INVALID,
                                 "model: character 0x%02x not allowed in "
                                 "a model name",
                                 (unsigned)(unsigned char)*c);
                return LLMIO_E_INVALID;
            }
        }
    }
    llmio_status st = llmio__buf_appends(&out->url, base);
    if (st == LLMIO_OK) {
        st = llmio__buf_appends(&out->url, path);
    }
    if (st == LLMIO_OK && model != NULL) {
        st = llmio__buf_appends(&out->url, model);
    }
    if (st == LLMIO_OK && suffix != NULL) {
        st = llmio__buf_appends(&out->url, suffix);
    }
    if (st != LLMIO_OK) {
        llmio__prov_errf(err, st, "building the request URL");
    }
    return st;
}
