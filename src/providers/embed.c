/*
 * embed.c - embedding requests and responses on the wire: OpenAI's
 * /embeddings (every compatible row, Azure through its target), Gemini's
 * embedContent / batchEmbedContents and Ollama's /api/embed.
 *
 * Invariants: the builders share one set of checks (an embedding request
 * has inputs, no messages and no stream) and write fields in a fixed order
 * (golden tests pin it); a raw field replaces the modelled field of the
 * same name. The parsers accept a vector as a JSON array of numbers or as
 * a base64 string of little-endian float32 (whatever encoding was asked
 * for, since servers differ), require one dimension for the whole batch,
 * and put the vectors, contiguous and in input order, into the response
 * in the future's arena. No I/O.
 * Owns: nothing beyond one call (parse trees go to a scratch arena).
 */
#include "common.h"
#include "provider.h"

#include "alloc.h"
#include "response.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Requests                                                             */
/* ------------------------------------------------------------------ */

/* batchEmbedContents' bound on requests per call. */
#define GEM_MAX_BATCH 100

/* What every embedding builder checks first; names the field. */
static llmio_status check_embed(const struct llmio_request *req,
                                const char *model, llmio_error *err)
{
    llmio_status st = llmio__prov_check_request(req, model, err);
    if (st != LLMIO_OK) {
        return st;
    }
    if (req->ninputs == 0) {
        llmio__prov_errf(err, LLMIO_E_INVALID,
                         "input: at least one input is required");
        return LLMIO_E_INVALID;
    }
    if (req->nmessages > 0) {
        llmio__prov_errf(err, LLMIO_E_INVALID,
                         "messages: an embedding request has inputs, not "
                         "messages");
        return LLMIO_E_INVALID;
    }
    if (req->stream) {
        llmio__prov_errf(err, LLMIO_E_INVALID,
                         "stream: embeddings are not streamed");
        return LLMIO_E_INVALID;
    }
    return LLMIO_OK;
}

static bool want(const struct llmio_request *req, const char *key)
{
    return !llmio__request_has_raw(req, key);
}

static void write_inputs(struct llmio__jw *w, const struct llmio_request *req)
{
    llmio__jw_arr_begin(w);
    for (size_t i = 0; i < req->ninputs; i++) {
        llmio__jw_strs(w, req->inputs[i]);
    }
    llmio__jw_arr_end(w);
}

/* Ends a body: the writer's status, with the body named. */
static llmio_status finish_body(struct llmio__jw *w, llmio_error *err)
{
    llmio_status st = llmio__jw_finish(w);
    if (st != LLMIO_OK) {
        llmio__prov_errf(err, st, "body: %s",
                         st == LLMIO_E_INVALID ? "a string is not valid UTF-8"
                                               : llmio_status_str(st));
    }
    return st;
}

/*
 * The body OpenAI's /embeddings and Ollama's /api/embed share: model,
 * input (always an array: one form for one or many), then for OpenAI
 * encoding_format, dimensions, user (Ollama: dimensions only; it has no
 * user or encoding, and task_type exists only at Gemini), then raw fields.
 */
static llmio_status write_flat_body(struct llmio__buf *body,
                                    const struct llmio_request *req,
                                    const char *model, bool openai,
                                    llmio_error *err)
{
    struct llmio__jw w;
    llmio__jw_init(&w, body);
    llmio__jw_obj_begin(&w);
    if (want(req, "model")) {
        llmio__jw_keys(&w, "model");
        llmio__jw_strs(&w, model);
    }
    if (want(req, "input")) {
        llmio__jw_keys(&w, "input");
        write_inputs(&w, req);
    }
    if (openai && req->encoding_format != NULL &&
        want(req, "encoding_format")) {
        llmio__jw_keys(&w, "encoding_format");
        llmio__jw_strs(&w, req->encoding_format);
    }
    if (req->dimensions > 0 && want(req, "dimensions")) {
        llmio__jw_keys(&w, "dimensions");
        llmio__jw_int(&w, req->dimensions);
    }
    if (openai && req->user != NULL && want(req, "user")) {
        llmio__jw_keys(&w, "user");
        llmio__jw_strs(&w, req->user);
    }
    llmio__prov_write_raw(&w, req);
    llmio__jw_obj_end(&w);
    return finish_body(&w, err);
}

llmio_status llmio__openai_embed_with(llmio__openai_target_fn *target,
                                      const struct llmio_request *req,
                                      const char *model,
                                      const struct llmio__provider_cfg *cfg,
                                      struct llmio__http_req *out,
                                      llmio_error *err)
{
    llmio_status st = check_embed(req, model, err);
    if (st == LLMIO_OK) {
        st = target(req, model, "embeddings", cfg, out, err);
    }
    if (st != LLMIO_OK) {
        return st;
    }
    return write_flat_body(&out->body, req, model, true, err);
}

llmio_status llmio__openai_build_embed(const struct llmio_request *req,
                                       const char *model,
                                       const struct llmio__provider_cfg *cfg,
                                       struct llmio__http_req *out,
                                       llmio_error *err)
{
    return llmio__openai_embed_with(llmio__openai_target, req, model, cfg, out,
                                    err);
}

/* One Gemini EmbedContentRequest for input I, left open for the caller to
 * end: MODEL_RES (the resource name, which batchEmbedContents requires in
 * every request; NULL leaves it out), content, taskType,
 * outputDimensionality. */
static void gem_embed_request(struct llmio__jw *w,
                              const struct llmio_request *req, size_t i,
                              const struct llmio__buf *model_res)
{
    llmio__jw_obj_begin(w);
    if (model_res != NULL) {
        llmio__jw_keys(w, "model");
        llmio__jw_str(w, llmio__buf_cstr(model_res), model_res->len);
    }
    llmio__jw_keys(w, "content");
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "parts");
    llmio__jw_arr_begin(w);
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "text");
    llmio__jw_strs(w, req->inputs[i]);
    llmio__jw_obj_end(w);
    llmio__jw_arr_end(w);
    llmio__jw_obj_end(w);
    if (req->task_type != NULL) {
        llmio__jw_keys(w, "taskType");
        llmio__jw_strs(w, req->task_type);
    }
    if (req->dimensions > 0) {
        llmio__jw_keys(w, "outputDimensionality");
        llmio__jw_int(w, req->dimensions);
    }
}

llmio_status llmio__gemini_build_embed(const struct llmio_request *req,
                                       const char *model,
                                       const struct llmio__provider_cfg *cfg,
                                       struct llmio__http_req *out,
                                       llmio_error *err)
{
    llmio_status st = check_embed(req, model, err);
    if (st != LLMIO_OK) {
        return st;
    }
    /* One input: embedContent; several: batchEmbedContents, one request
     * each (encoding_format and user have no Gemini field: vectors come
     * as numbers), at most GEM_MAX_BATCH of them: the API answers 400 "at
     * most 100 requests can be in one batch" past that, so say it here,
     * before anything is sent. */
    if (req->ninputs > GEM_MAX_BATCH) {
        llmio__prov_errf(err, LLMIO_E_INVALID,
                         "input: gemini embeds at most %d inputs per request "
                         "(got %zu); split them",
                         GEM_MAX_BATCH, req->ninputs);
        return LLMIO_E_INVALID;
    }
    bool batch = req->ninputs > 1;
    st = llmio__gemini_target(req, model,
                              batch ? ":batchEmbedContents" : ":embedContent",
                              cfg, out, err);
    if (st != LLMIO_OK) {
        return st;
    }
    struct llmio__jw w;
    llmio__jw_init(&w, &out->body);
    if (!batch) {
        gem_embed_request(&w, req, 0, NULL);
        llmio__prov_write_raw(&w, req);
        llmio__jw_obj_end(&w);
        return finish_body(&w, err);
    }
    /* "models/<id>" unless the model is a resource name already. */
    struct llmio__buf res;
    llmio__buf_init(&res, req->alloc, 0);
    if (!llmio__gemini_is_resource(model)) {
        st = llmio__buf_appends(&res, "models/");
    }
    if (st == LLMIO_OK) {
        st = llmio__buf_appends(&res, model);
    }
    if (st != LLMIO_OK) {
        llmio__buf_cleanup(&res);
        llmio__prov_errf(err, st, "model: %s", llmio_status_str(st));
        return st;
    }
    llmio__jw_obj_begin(&w);
    llmio__jw_keys(&w, "requests");
    llmio__jw_arr_begin(&w);
    for (size_t i = 0; i < req->ninputs; i++) {
        gem_embed_request(&w, req, i, &res);
        llmio__jw_obj_end(&w);
    }
    llmio__jw_arr_end(&w);
    llmio__prov_write_raw(&w, req);
    llmio__jw_obj_end(&w);
    llmio__buf_cleanup(&res);
    return finish_body(&w, err);
}

llmio_status llmio__ollama_build_embed(const struct llmio_request *req,
                                       const char *model,
                                       const struct llmio__provider_cfg *cfg,
                                       struct llmio__http_req *out,
                                       llmio_error *err)
{
    llmio_status st = check_embed(req, model, err);
    if (st == LLMIO_OK) {
        st = llmio__ollama_target(req, "/api/embed", cfg, out, err);
    }
    if (st != LLMIO_OK) {
        return st;
    }
    return write_flat_body(&out->body, req, model, false, err);
}

/* ------------------------------------------------------------------ */
/* Responses                                                            */
/* ------------------------------------------------------------------ */

/* PATH_FMT names vector I in messages ("data[%zu].embedding"). */
static llmio_status shape(llmio_error *err, const char *path_fmt, size_t i,
                          const char *what)
{
    char path[96];
    /* The format is one of this file's literals, with one %zu. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(path, sizeof path, path_fmt, i);
#pragma GCC diagnostic pop
    llmio__prov_errf(err, LLMIO_E_PROTOCOL, "%s: %s", path, what);
    return LLMIO_E_PROTOCOL;
}

/* The value of each base64 character, or -1: a table, since the decode
 * loop runs once per character of every vector (about 8 KiB per 1536
 * dimensions). */
#define B64_ROW(c0)                                                            \
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
static const signed char b64_table[256] = {
    B64_ROW(0), B64_ROW(16),
    /* 32: ' ' .. '/': '+' is 62, '/' is 63 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
    /* 48: '0' .. '?' */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
    /* 64: '@' 'A' .. 'O' */
    -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    /* 80: 'P' .. '_' */
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
    /* 96: '`' 'a' .. 'o' */
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    /* 112: 'p' .. DEL */
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
    B64_ROW(128), B64_ROW(144), B64_ROW(160), B64_ROW(176), B64_ROW(192),
    B64_ROW(208), B64_ROW(224), B64_ROW(240)};
#undef B64_ROW

/* S[0..LEN) without its '=' padding: the length to decode. */
static size_t b64_unpadded(const char *s, size_t len)
{
    size_t n = len;
    while (n > 0 && len - n < 2 && s[n - 1] == '=') {
        n--;
    }
    return n;
}

/*
 * Decodes standard base64 S[0..LEN) (padding optional) into OUT, which
 * holds b64_unpadded(S, LEN) * 3 / 4 bytes. Returns false for a
 * character outside the alphabet (a misplaced '=' included).
 */
static bool b64_decode(const char *s, size_t len, unsigned char *out)
{
    len = b64_unpadded(s, len);
    const unsigned char *in = (const unsigned char *)s;
    int bad = 0;
    size_t i = 0;
    /* Four characters, three bytes at a time; BAD collects the sign bits
     * of the lookups, so the loop has no branch but its own. */
    for (; i + 4 <= len; i += 4) {
        int a = b64_table[in[i]], b = b64_table[in[i + 1]];
        int c = b64_table[in[i + 2]], d = b64_table[in[i + 3]];
        bad |= a | b | c | d;
        uint32_t w = (uint32_t)(a & 63) << 18 | (uint32_t)(b & 63) << 12 |
                     (uint32_t)(c & 63) << 6 | (uint32_t)(d & 63);
        *out++ = (unsigned char)(w >> 16);
        *out++ = (unsigned char)(w >> 8);
        *out++ = (unsigned char)w;
    }
    /* The last 2 or 3 characters carry 1 or 2 bytes. */
    uint32_t w = 0;
    size_t rest = len - i;
    for (size_t k = 0; k < rest; k++) {
        int v = b64_table[in[i + k]];
        bad |= v;
        w |= (uint32_t)(v & 63) << (18 - 6 * k);
    }
    if (rest >= 2) {
        *out++ = (unsigned char)(w >> 16);
    }
    if (rest == 3) {
        *out++ = (unsigned char)(w >> 8);
    }
    return bad >= 0;
}

/* The dimension of vector V (an array of numbers, or base64 of float32),
 * or an error naming it. */
static llmio_status vec_dim(const struct llmio__json *v, const char *path_fmt,
                            size_t i, size_t *dim, llmio_error *err)
{
    enum llmio__json_type t = llmio__json_type(v);
    if (t == LLMIO__JSON_ARRAY) {
        *dim = llmio__json_len(v);
        return LLMIO_OK;
    }
    if (t == LLMIO__JSON_STRING) {
        /* From the length alone (the characters are checked while
         * decoding): 4 characters carry 3 bytes, and a float is 4 bytes. */
        size_t len;
        const char *s = llmio__json_str(v, &len);
        size_t chars = b64_unpadded(s, len);
        if (chars % 4 == 1) {
            return shape(err, path_fmt, i, "not valid base64");
        }
        size_t bytes = chars / 4 * 3 + (chars % 4 == 0 ? 0 : chars % 4 - 1);
        if (bytes % 4 != 0) {
            return shape(err, path_fmt, i,
                         "base64 length is not a multiple of 4 bytes");
        }
        *dim = bytes / 4;
        return LLMIO_OK;
    }
    return shape(err, path_fmt, i,
                 t == LLMIO__JSON_NONE ? "missing"
                                       : "expected an array or a base64 "
                                         "string");
}

/* Writes vector V (DIM values, checked by vec_dim) into DST. */
static llmio_status vec_fill(const struct llmio__json *v, float *dst,
                             size_t dim, const char *path_fmt, size_t i,
                             llmio_error *err)
{
    if (llmio__json_type(v) == LLMIO__JSON_STRING) {
        size_t len;
        const char *s = llmio__json_str(v, &len);
        /* Little-endian float32 (reference/openai-embeddings.md), read
         * byte by byte so the host's byte order does not matter. */
        unsigned char *bytes = (unsigned char *)dst;
        if (!b64_decode(s, len, bytes)) {
            return shape(err, path_fmt, i, "not valid base64");
        }
        for (size_t k = 0; k < dim; k++) {
            const unsigned char *b = bytes + 4 * k;
            uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                         (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
            memcpy(&dst[k], &u, sizeof u);
        }
        return LLMIO_OK;
    }
    for (size_t k = 0; k < dim; k++) {
        double d;
        if (!llmio__json_double(llmio__json_at(v, k), &d)) {
            return shape(err, path_fmt, i, "expected numbers only");
        }
        float f = (float)d;
        if (!isfinite(f)) {
            return shape(err, path_fmt, i, "a value is out of float range");
        }
        dst[k] = f;
    }
    return LLMIO_OK;
}

/*
 * Puts the N vectors VECS (in input order) into CTX->resp: one dimension
 * for all (a batch from one model has one), at least one value, floats
 * contiguous in the future's arena. PATH_FMT names vector i in errors.
 */
static llmio_status store_vectors(struct llmio__stream_ctx *ctx,
                                  const struct llmio__json *const *vecs,
                                  size_t n, const char *path_fmt,
                                  llmio_error *err)
{
    size_t dim = 0;
    llmio_status st = vec_dim(vecs[0], path_fmt, 0, &dim, err);
    if (st != LLMIO_OK) {
        return st;
    }
    if (dim == 0) {
        return shape(err, path_fmt, 0, "empty vector");
    }
    size_t count, bytes;
    if (llmio__mul_overflows(n, dim, &count) ||
        llmio__mul_overflows(count, sizeof(float), &bytes)) {
        llmio__prov_errf(err, LLMIO_E_TOO_BIG, "embeddings: too many values");
        return LLMIO_E_TOO_BIG;
    }
    float *all = llmio__arena_alloc(ctx->arena, bytes);
    if (all == NULL) {
        llmio__prov_errf(err, LLMIO_E_NOMEM, "embeddings: out of memory");
        return LLMIO_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        size_t d = 0;
        st = vec_dim(vecs[i], path_fmt, i, &d, err);
        if (st == LLMIO_OK && d != dim) {
            char what[96];
            snprintf(what, sizeof what, "%zu values where the first had %zu", d,
                     dim);
            st = shape(err, path_fmt, i, what);
        }
        if (st == LLMIO_OK) {
            st = vec_fill(vecs[i], all + i * dim, dim, path_fmt, i, err);
        }
        if (st != LLMIO_OK) {
            return st;
        }
    }
    ctx->resp->emb = all;
    ctx->resp->nemb = n;
    ctx->resp->emb_dim = dim;
    return LLMIO_OK;
}

/* The model string of ROOT's KEY into the response (absent: left NULL). */
static llmio_status store_model(struct llmio__stream_ctx *ctx,
                                const struct llmio__json *root,
                                llmio_error *err)
{
    size_t len;
    const char *m = llmio__prov_gets(root, "model", &len);
    if (m == NULL) {
        return LLMIO_OK;
    }
    ctx->resp->model = llmio__arena_strndup(ctx->arena, m, len);
    if (ctx->resp->model == NULL) {
        llmio__prov_errf(err, LLMIO_E_NOMEM, "model: out of memory");
        return LLMIO_E_NOMEM;
    }
    return LLMIO_OK;
}

typedef llmio_status embed_reader(struct llmio__stream_ctx *ctx,
                                  struct llmio__arena *scratch,
                                  const struct llmio__json *root,
                                  llmio_error *err);

/* Parses BODY into a scratch arena on the client's allocator and lets READ
 * take what it needs into the response; the tree is dropped after. */
static llmio_status parse_with(struct llmio__stream_ctx *ctx, const char *body,
                               size_t len, embed_reader *read, llmio_error *err)
{
    if (ctx->resp == NULL) {
        llmio__prov_errf(err, LLMIO_E_STATE, "embeddings: no response");
        return LLMIO_E_STATE;
    }
    struct llmio__arena scratch;
    llmio__arena_init(&scratch, ctx->arena->alloc, 0);
    const struct llmio__json *root = NULL;
    llmio_status st =
        llmio__prov_parse(&scratch, body, len, "response body", &root, err);
    if (st == LLMIO_OK && llmio__json_type(root) != LLMIO__JSON_OBJECT) {
        llmio__prov_errf(err, LLMIO_E_PROTOCOL,
                         "response body: expected an object");
        st = LLMIO_E_PROTOCOL;
    }
    if (st == LLMIO_OK) {
        st = read(ctx, &scratch, root, err);
    }
    llmio__arena_cleanup(&scratch);
    return st;
}

/* ROOT's KEY as a non-empty array (*LIST, *N) and a zeroed array of N
 * vector pointers in SCRATCH (*VECS), or an error naming KEY. */
static llmio_status vec_list(struct llmio__arena *scratch,
                             const struct llmio__json *root, const char *key,
                             const struct llmio__json **list,
                             const struct llmio__json ***vecs, size_t *n,
                             llmio_error *err)
{
    *list = llmio__json_get(root, key);
    *n = llmio__json_len(*list);
    if (llmio__json_type(*list) != LLMIO__JSON_ARRAY || *n == 0) {
        llmio__prov_errf(err, LLMIO_E_PROTOCOL, "%s: %s", key,
                         *list == NULL ? "missing"
                                       : "expected a non-empty array");
        return LLMIO_E_PROTOCOL;
    }
    *vecs = llmio__arena_calloc(scratch, *n * sizeof **vecs);
    if (*vecs == NULL) {
        llmio__prov_errf(err, LLMIO_E_NOMEM, "%s: out of memory", key);
        return LLMIO_E_NOMEM;
    }
    return LLMIO_OK;
}

/* OpenAI: data[] ordered by index, model, usage {prompt, total}. */
static llmio_status read_openai(struct llmio__stream_ctx *ctx,
                                struct llmio__arena *scratch,
                                const struct llmio__json *root,
                                llmio_error *err)
{
    const struct llmio__json *data, **vecs;
    size_t n;
    llmio_status st = vec_list(scratch, root, "data", &data, &vecs, &n, err);
    if (st != LLMIO_OK) {
        return st;
    }
    /* Items may come in any order (reference, tricky case 4): each goes
     * to its index; a missing index means its position. */
    for (size_t i = 0; i < n; i++) {
        const struct llmio__json *item = llmio__json_at(data, i);
        const struct llmio__json *ix = llmio__json_get(item, "index");
        int64_t k = (int64_t)i;
        if (ix != NULL &&
            (!llmio__json_int(ix, &k) || k < 0 || (uint64_t)k >= (uint64_t)n)) {
            return shape(err, "data[%zu].index", i, "out of range");
        }
        if (vecs[k] != NULL) {
            return shape(err, "data[%zu].index", i, "repeated");
        }
        vecs[k] = llmio__json_get(item, "embedding");
        if (vecs[k] == NULL) {
            return shape(err, "data[%zu].embedding", i, "missing");
        }
    }
    st = store_vectors(ctx, vecs, n, "data[index %zu].embedding", err);
    if (st == LLMIO_OK) {
        st = store_model(ctx, root, err);
    }
    const struct llmio__json *u = llmio__json_get(root, "usage");
    if (st == LLMIO_OK && u != NULL) {
        ctx->resp->usage.prompt_tokens = llmio__prov_geti(u, "prompt_tokens");
        ctx->resp->usage.total_tokens = llmio__prov_geti(u, "total_tokens");
    }
    return st;
}

llmio_status llmio__openai_parse_embed(struct llmio__stream_ctx *ctx,
                                       const char *body, size_t len,
                                       llmio_error *err)
{
    return parse_with(ctx, body, len, read_openai, err);
}

/* Gemini: {"embedding": {"values"}} (embedContent) or {"embeddings":
 * [{"values"}]} (batchEmbedContents); no model, no usage. */
static llmio_status read_gemini(struct llmio__stream_ctx *ctx,
                                struct llmio__arena *scratch,
                                const struct llmio__json *root,
                                llmio_error *err)
{
    const struct llmio__json *one = llmio__json_get(root, "embedding");
    if (one != NULL) {
        const struct llmio__json *v = llmio__json_get(one, "values");
        /* "%.0zu" prints nothing for 0: the path has no index. */
        return store_vectors(ctx, &v, 1, "embedding.values%.0zu", err);
    }
    const struct llmio__json *list, **vecs;
    size_t n;
    llmio_status st =
        vec_list(scratch, root, "embeddings", &list, &vecs, &n, err);
    if (st != LLMIO_OK) {
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        vecs[i] = llmio__json_get(llmio__json_at(list, i), "values");
    }
    return store_vectors(ctx, vecs, n, "embeddings[%zu].values", err);
}

llmio_status llmio__gemini_parse_embed(struct llmio__stream_ctx *ctx,
                                       const char *body, size_t len,
                                       llmio_error *err)
{
    return parse_with(ctx, body, len, read_gemini, err);
}

/* Ollama: {"model", "embeddings": [[...]], "prompt_eval_count"}. */
static llmio_status read_ollama(struct llmio__stream_ctx *ctx,
                                struct llmio__arena *scratch,
                                const struct llmio__json *root,
                                llmio_error *err)
{
    const struct llmio__json *list, **vecs;
    size_t n;
    llmio_status st =
        vec_list(scratch, root, "embeddings", &list, &vecs, &n, err);
    if (st != LLMIO_OK) {
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        vecs[i] = llmio__json_at(list, i);
    }
    st = store_vectors(ctx, vecs, n, "embeddings[%zu]", err);
    if (st == LLMIO_OK) {
        st = store_model(ctx, root, err);
    }
    int64_t prompt = llmio__prov_geti(root, "prompt_eval_count");
    if (st == LLMIO_OK && prompt >= 0) {
        ctx->resp->usage.prompt_tokens = prompt;
        ctx->resp->usage.total_tokens = prompt;
    }
    return st;
}

llmio_status llmio__ollama_parse_embed(struct llmio__stream_ctx *ctx,
                                       const char *body, size_t len,
                                       llmio_error *err)
{
    return parse_with(ctx, body, len, read_ollama, err);
}
