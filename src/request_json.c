/*
 * request_json.c - fills a request builder from JSON text: an OpenAI Chat
 * Completions body (llmio_request_set_json) and one line of a JSONL batch
 * file (llmio_request_from_jsonl).
 *
 * Invariants:
 *  - Every field goes through the public setters, so JSON input is
 *    validated exactly as C calls are, and the first error stays sticky in
 *    the builder, naming the field by its JSON path ("messages[1].role").
 *  - Fields the builder does not model go to llmio_request_set_raw
 *    verbatim, so nothing in a body is silently dropped, except "stream"
 *    and "stream_options": how to receive a reply is the caller's choice
 *    (llmio_request_set_stream), not the file's.
 *  - No I/O: bytes in, builder state out. The parse tree lives in a
 *    temporary arena freed before returning.
 * Owns: nothing beyond the call.
 */
#include "json.h"
#include "request.h"

#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef const struct llmio__json jv;

/* The builder's sticky first error, formatted (request.h). */
#define failf llmio__request_fail

/* V's string, or NULL after recording an error naming PATH. A string with
 * an embedded NUL cannot pass through the C setters unchanged: refused. */
static const char *want_str(llmio_request *r, jv *v, const char *path)
{
    size_t len = 0;
    const char *s = llmio__json_str(v, &len);
    if (s == NULL) {
        failf(r, LLMIO_E_INVALID, "%s: must be a string", path);
        return NULL;
    }
    if (strlen(s) != len) {
        failf(r, LLMIO_E_INVALID, "%s: contains a NUL character", path);
        return NULL;
    }
    return s;
}

/* V's source text as a NUL-terminated copy in A (for JSON passed on). */
static const char *raw_copy(llmio_request *r, struct llmio__arena *a, jv *v,
                            const char *path)
{
    size_t len = 0;
    const char *raw = llmio__json_raw(v, &len);
    char *s = llmio__arena_strndup(a, raw, len);
    if (s == NULL) {
        failf(r, LLMIO_E_NOMEM, "%s: out of memory", path);
    }
    return s;
}

static bool role_of(const char *s, llmio_role *out)
{
    static const struct {
        const char *name;
        llmio_role role;
    } roles[] = {{"system", LLMIO_ROLE_SYSTEM},
                 {"developer", LLMIO_ROLE_DEVELOPER},
                 {"user", LLMIO_ROLE_USER},
                 {"assistant", LLMIO_ROLE_ASSISTANT},
                 {"tool", LLMIO_ROLE_TOOL}};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (strcmp(s, roles[i].name) == 0) {
            *out = roles[i].role;
            return true;
        }
    }
    return false;
}

/* Content parts: [{"type":"text","text":...}, {"type":"image_url",
 * "image_url":{"url":...,"detail":...} or "..."}]. */
static llmio_status add_parts(llmio_request *r, jv *parts, const char *path)
{
    char p[160];
    for (size_t i = 0; i < llmio__json_len(parts); i++) {
        jv *part = llmio__json_at(parts, i);
        snprintf(p, sizeof p, "%.100s[%zu].type", path, i);
        const char *type = want_str(r, llmio__json_get(part, "type"), p);
        if (type == NULL) {
            return r->error;
        }
        if (strcmp(type, "text") == 0) {
            snprintf(p, sizeof p, "%.100s[%zu].text", path, i);
            const char *text = want_str(r, llmio__json_get(part, "text"), p);
            if (text == NULL || llmio_request_add_text(r, text) != LLMIO_OK) {
                return r->error;
            }
        } else if (strcmp(type, "image_url") == 0) {
            jv *img = llmio__json_get(part, "image_url");
            jv *url = llmio__json_type(img) == LLMIO__JSON_OBJECT
                          ? llmio__json_get(img, "url")
                          : img;
            snprintf(p, sizeof p, "%.100s[%zu].image_url.url", path, i);
            const char *u = want_str(r, url, p);
            jv *d = llmio__json_get(img, "detail");
            const char *detail = NULL;
            if (u == NULL) {
                return r->error;
            }
            if (d != NULL && !llmio__json_is_null(d)) {
                snprintf(p, sizeof p, "%.100s[%zu].image_url.detail", path, i);
                detail = want_str(r, d, p);
                if (detail == NULL) {
                    return r->error;
                }
            }
            if (llmio_request_add_image_url(r, u, detail) != LLMIO_OK) {
                return r->error;
            }
        } else {
            return failf(r, LLMIO_E_INVALID,
                         "%s: unsupported part type '%.40s' (text, image_url)",
                         p, type);
        }
    }
    return LLMIO_OK;
}

static llmio_status add_tool_calls(llmio_request *r, struct llmio__arena *a,
                                   jv *calls, const char *path)
{
    char p[160];
    for (size_t i = 0; i < llmio__json_len(calls); i++) {
        jv *call = llmio__json_at(calls, i);
        jv *fn = llmio__json_get(call, "function");
        snprintf(p, sizeof p, "%.100s[%zu].id", path, i);
        const char *id = want_str(r, llmio__json_get(call, "id"), p);
        snprintf(p, sizeof p, "%.100s[%zu].function.name", path, i);
        const char *name =
            id != NULL ? want_str(r, llmio__json_get(fn, "name"), p) : NULL;
        if (name == NULL) {
            return r->error;
        }
        /* The API sends arguments as a JSON string; an object is taken
         * as the arguments themselves. */
        jv *args = llmio__json_get(fn, "arguments");
        const char *text = NULL;
        snprintf(p, sizeof p, "%.100s[%zu].function.arguments", path, i);
        if (llmio__json_type(args) == LLMIO__JSON_STRING) {
            text = want_str(r, args, p);
        } else if (llmio__json_type(args) == LLMIO__JSON_OBJECT) {
            text = raw_copy(r, a, args, p);
        } else if (args != NULL) {
            return failf(r, LLMIO_E_INVALID,
                         "%s: must be a string or an object", p);
        }
        if (r->error != LLMIO_OK ||
            llmio_request_add_tool_call(r, id, name, text) != LLMIO_OK) {
            return r->error;
        }
    }
    return LLMIO_OK;
}

/* One element of "messages". */
static llmio_status add_message(llmio_request *r, struct llmio__arena *a, jv *m,
                                size_t i)
{
    char p[96];
    snprintf(p, sizeof p, "messages[%zu]", i);
    if (llmio__json_type(m) != LLMIO__JSON_OBJECT) {
        return failf(r, LLMIO_E_INVALID, "%s: must be an object", p);
    }
    snprintf(p, sizeof p, "messages[%zu].role", i);
    const char *rs = want_str(r, llmio__json_get(m, "role"), p);
    llmio_role role;
    if (rs == NULL) {
        return r->error;
    }
    if (!role_of(rs, &role)) {
        return failf(r, LLMIO_E_INVALID, "%s: unknown role '%.40s'", p, rs);
    }
    jv *content = llmio__json_get(m, "content");
    enum llmio__json_type ct = llmio__json_type(content);
    snprintf(p, sizeof p, "messages[%zu].content", i);
    if (ct != LLMIO__JSON_STRING && ct != LLMIO__JSON_ARRAY &&
        ct != LLMIO__JSON_NULL && ct != LLMIO__JSON_NONE) {
        return failf(r, LLMIO_E_INVALID,
                     "%s: must be a string, an array of parts or null", p);
    }
    const char *text = NULL;
    if (ct == LLMIO__JSON_STRING && (text = want_str(r, content, p)) == NULL) {
        return r->error;
    }
    if (role == LLMIO_ROLE_TOOL) {
        snprintf(p, sizeof p, "messages[%zu].tool_call_id", i);
        const char *id = want_str(r, llmio__json_get(m, "tool_call_id"), p);
        if (id == NULL) {
            return r->error;
        }
        if (ct == LLMIO__JSON_ARRAY) {
            snprintf(p, sizeof p, "messages[%zu].content", i);
            return failf(r, LLMIO_E_INVALID,
                         "%s: a tool result must be a string", p);
        }
        return llmio_request_add_tool_result(r, id, text);
    }
    if (llmio_request_add_message(r, role, text) != LLMIO_OK) {
        return r->error;
    }
    if (ct == LLMIO__JSON_ARRAY && add_parts(r, content, p) != LLMIO_OK) {
        return r->error;
    }
    for (size_t k = 0; k < llmio__json_len(m); k++) {
        const char *key;
        size_t klen;
        jv *v = llmio__json_member(m, k, &key, &klen);
        snprintf(p, sizeof p, "messages[%zu].%.*s", i,
                 (int)(klen > 40 ? 40 : klen), key);
        if (strcmp(key, "role") == 0 || strcmp(key, "content") == 0) {
            continue;
        }
        if (strcmp(key, "name") == 0) {
            const char *name = want_str(r, v, p);
            if (name == NULL || llmio_request_set_name(r, name) != LLMIO_OK) {
                return r->error;
            }
        } else if (strcmp(key, "tool_calls") == 0 &&
                   llmio__json_type(v) == LLMIO__JSON_ARRAY) {
            if (add_tool_calls(r, a, v, p) != LLMIO_OK) {
                return r->error;
            }
        } else if (!llmio__json_is_null(v) &&
                   !(strcmp(key, "tool_calls") == 0 &&
                     llmio__json_len(v) == 0)) {
            /* Null fields (refusal: null, as copied from a response) carry
             * nothing; anything else would be dropped: refuse it. */
            return failf(r, LLMIO_E_INVALID, "%s: not supported in a message",
                         p);
        }
    }
    return LLMIO_OK;
}

static llmio_status set_number(llmio_request *r, const char *key, jv *v)
{
    double d;
    int64_t n;
    bool is_int = llmio__json_int(v, &n);
    if (strcmp(key, "temperature") == 0 || strcmp(key, "top_p") == 0) {
        if (!llmio__json_double(v, &d)) {
            return failf(r, LLMIO_E_INVALID, "%s: must be a number", key);
        }
        return key[0] == 't' && key[1] == 'e'
                   ? llmio_request_set_temperature(r, d)
                   : llmio_request_set_top_p(r, d);
    }
    if (!is_int) {
        return failf(r, LLMIO_E_INVALID, "%s: must be an integer", key);
    }
    if (strcmp(key, "max_tokens") == 0) {
        return llmio_request_set_max_tokens(r, n);
    }
    if (strcmp(key, "max_completion_tokens") == 0) {
        return llmio_request_set_max_completion_tokens(r, n);
    }
    if (strcmp(key, "seed") == 0) {
        return llmio_request_set_seed(r, n);
    }
    /* "n" */
    if (n < 1 || n > 128) {
        return failf(r, LLMIO_E_INVALID, "n: must be 1..128");
    }
    return llmio_request_set_n(r, (int)n);
}

static llmio_status set_tools(llmio_request *r, struct llmio__arena *a, jv *v)
{
    char p[64];
    for (size_t i = 0; i < llmio__json_len(v); i++) {
        jv *fn = llmio__json_get(llmio__json_at(v, i), "function");
        snprintf(p, sizeof p, "tools[%zu].function.name", i);
        const char *name = want_str(r, llmio__json_get(fn, "name"), p);
        if (name == NULL) {
            return r->error;
        }
        jv *d = llmio__json_get(fn, "description");
        jv *params = llmio__json_get(fn, "parameters");
        snprintf(p, sizeof p, "tools[%zu].function.description", i);
        const char *desc = d != NULL ? want_str(r, d, p) : NULL;
        snprintf(p, sizeof p, "tools[%zu].function.parameters", i);
        const char *ps = params != NULL ? raw_copy(r, a, params, p) : NULL;
        if (r->error != LLMIO_OK ||
            llmio_request_add_tool(r, name, desc, ps) != LLMIO_OK) {
            return r->error;
        }
    }
    return LLMIO_OK;
}

static llmio_status set_response_format(llmio_request *r,
                                        struct llmio__arena *a, jv *v)
{
    const char *type =
        want_str(r, llmio__json_get(v, "type"), "response_format.type");
    if (type == NULL) {
        return r->error;
    }
    if (strcmp(type, "json_schema") != 0) {
        return llmio_request_set_response_format(r, type, NULL, NULL, false);
    }
    jv *js = llmio__json_get(v, "json_schema");
    const char *name = want_str(r, llmio__json_get(js, "name"),
                                "response_format.json_schema.name");
    jv *schema = llmio__json_get(js, "schema");
    const char *s =
        schema != NULL
            ? raw_copy(r, a, schema, "response_format.json_schema.schema")
            : NULL;
    bool strict = false;
    llmio__json_bool(llmio__json_get(js, "strict"), &strict);
    if (name == NULL || r->error != LLMIO_OK) {
        return r->error;
    }
    return llmio_request_set_response_format(r, type, name, s, strict);
}

/* One top-level member of a body. */
static llmio_status apply_member(llmio_request *r, struct llmio__arena *a,
                                 const char *key, jv *v)
{
    enum llmio__json_type t = llmio__json_type(v);
    if (strcmp(key, "model") == 0) {
        const char *m = want_str(r, v, "model");
        return m == NULL ? r->error : llmio_request_set_model(r, m);
    }
    if (strcmp(key, "messages") == 0) {
        if (t != LLMIO__JSON_ARRAY) {
            return failf(r, LLMIO_E_INVALID, "messages: must be an array");
        }
        for (size_t i = 0; i < llmio__json_len(v); i++) {
            if (add_message(r, a, llmio__json_at(v, i), i) != LLMIO_OK) {
                return r->error;
            }
        }
        return LLMIO_OK;
    }
    if (strcmp(key, "prompt") == 0) {
        const char *p = want_str(r, v, "prompt");
        return p == NULL ? r->error
                         : llmio_request_add_message(r, LLMIO_ROLE_USER, p);
    }
    if (strcmp(key, "stream") == 0 || strcmp(key, "stream_options") == 0) {
        return LLMIO_OK;
    }
    if (t == LLMIO__JSON_NUMBER &&
        (strcmp(key, "temperature") == 0 || strcmp(key, "top_p") == 0 ||
         strcmp(key, "max_tokens") == 0 ||
         strcmp(key, "max_completion_tokens") == 0 ||
         strcmp(key, "seed") == 0 || strcmp(key, "n") == 0)) {
        return set_number(r, key, v);
    }
    if (strcmp(key, "stop") == 0 && t == LLMIO__JSON_STRING) {
        const char *s = want_str(r, v, "stop");
        return s == NULL ? r->error : llmio_request_add_stop(r, s);
    }
    if (strcmp(key, "stop") == 0 && t == LLMIO__JSON_ARRAY) {
        for (size_t i = 0; i < llmio__json_len(v); i++) {
            const char *s = want_str(r, llmio__json_at(v, i), "stop[]");
            if (s == NULL || llmio_request_add_stop(r, s) != LLMIO_OK) {
                return r->error;
            }
        }
        return LLMIO_OK;
    }
    if (strcmp(key, "user") == 0 && t == LLMIO__JSON_STRING) {
        const char *s = want_str(r, v, "user");
        return s == NULL ? r->error : llmio_request_set_user(r, s);
    }
    if (strcmp(key, "tools") == 0 && t == LLMIO__JSON_ARRAY) {
        return set_tools(r, a, v);
    }
    if (strcmp(key, "tool_choice") == 0 && t == LLMIO__JSON_STRING) {
        const char *s = want_str(r, v, "tool_choice");
        return s == NULL ? r->error : llmio_request_set_tool_choice(r, s);
    }
    if (strcmp(key, "tool_choice") == 0 && t == LLMIO__JSON_OBJECT) {
        const char *s =
            want_str(r, llmio__json_get(llmio__json_get(v, "function"), "name"),
                     "tool_choice.function.name");
        return s == NULL ? r->error : llmio_request_set_tool_choice(r, s);
    }
    if (strcmp(key, "response_format") == 0 && t == LLMIO__JSON_OBJECT) {
        return set_response_format(r, a, v);
    }
    /* Everything else, as written ("logprobs", "reasoning_effort",
     * provider extensions...). */
    const char *k = llmio__arena_strndup(a, key, strlen(key));
    const char *raw = raw_copy(r, a, v, key);
    if (k == NULL || raw == NULL) {
        return failf(r, LLMIO_E_NOMEM, "%s: out of memory", key);
    }
    return llmio_request_set_raw(r, k, raw);
}

static llmio_status apply_body(llmio_request *r, struct llmio__arena *a,
                               jv *body, const char *const *skip)
{
    if (llmio__json_type(body) != LLMIO__JSON_OBJECT) {
        return failf(r, LLMIO_E_INVALID, "json: the request must be an object");
    }
    for (size_t i = 0; i < llmio__json_len(body); i++) {
        const char *key;
        size_t klen;
        jv *v = llmio__json_member(body, i, &key, &klen);
        if (strlen(key) != klen) {
            return failf(r, LLMIO_E_INVALID, "json: a key contains NUL");
        }
        bool skipped = false;
        for (size_t s = 0; skip != NULL && skip[s] != NULL; s++) {
            skipped |= strcmp(key, skip[s]) == 0;
        }
        if (!skipped && apply_member(r, a, key, v) != LLMIO_OK) {
            return r->error;
        }
    }
    return LLMIO_OK;
}

/* Parses JSON[0..LEN) into A; on failure records where in R. */
static jv *parse(llmio_request *r, struct llmio__arena *a, const char *json,
                 size_t len)
{
    jv *root = NULL;
    struct llmio__json_error je;
    memset(&je, 0, sizeof je);
    llmio_status st = llmio__json_parse(a, json, len, NULL, &root, &je);
    if (st == LLMIO_E_NOMEM) {
        failf(r, st, "json: out of memory");
    } else if (st != LLMIO_OK) {
        failf(r, LLMIO_E_INVALID, "json: column %zu: %s", je.column,
              je.message);
    }
    return root;
}

LLMIO_API llmio_status llmio_request_set_json(llmio_request *r,
                                              const char *json, size_t len)
{
    if (r == NULL) {
        return LLMIO_E_INVALID;
    }
    if (r->error != LLMIO_OK) {
        return r->error;
    }
    if (json == NULL) {
        return failf(r, LLMIO_E_INVALID, "json: NULL");
    }
    struct llmio__arena a;
    llmio__arena_init(&a, r->alloc, 0);
    jv *root = parse(r, &a, json, len);
    if (root != NULL) {
        apply_body(r, &a, root, NULL);
    }
    llmio__arena_cleanup(&a);
    return r->error;
}

/* Copies the line's label into ID (truncated); "" when absent. */
static void copy_id(jv *v, char *id, size_t id_cap)
{
    if (id == NULL || id_cap == 0) {
        return;
    }
    id[0] = '\0';
    size_t len = 0;
    const char *s = llmio__json_str(v, &len);
    if (s != NULL) {
        snprintf(id, id_cap, "%s", s);
    }
}

/* Turns the builder's sticky error into ERR and frees R. */
static llmio_status give_up(llmio_request *r, llmio_error *err)
{
    llmio_status st = llmio_request_error(r, err);
    llmio_request_free(r);
    return st;
}

LLMIO_API llmio_status llmio_request_from_jsonl(const char *line, size_t len,
                                                const char *default_model,
                                                llmio_request **out, char *id,
                                                size_t id_cap, llmio_error *err)
{
    if (out != NULL) {
        *out = NULL;
    }
    copy_id(NULL, id, id_cap);
    if (err != NULL) {
        memset(err, 0, sizeof *err);
        err->retry_after_ms = -1;
    }
    llmio_request *r = llmio_request_new(NULL);
    if (r == NULL) {
        if (err != NULL) {
            err->code = LLMIO_E_NOMEM;
            snprintf(err->message, sizeof err->message, "out of memory");
        }
        return LLMIO_E_NOMEM;
    }
    if (out == NULL || line == NULL) {
        failf(r, LLMIO_E_INVALID, "line and out are required");
        return give_up(r, err);
    }
    struct llmio__arena a;
    llmio__arena_init(&a, r->alloc, 0);
    jv *root = parse(r, &a, line, len);
    if (root != NULL && llmio__json_type(root) != LLMIO__JSON_OBJECT) {
        failf(r, LLMIO_E_INVALID, "json: a line must hold one object");
    }
    jv *body = root;
    jv *wrapped = llmio__json_get(root, "body");
    if (r->error == LLMIO_OK) {
        copy_id(llmio__json_get(root, "custom_id"), id, id_cap);
    }
    if (r->error == LLMIO_OK && wrapped != NULL) {
        /* An OpenAI Batch API line: {"custom_id", "method", "url",
         * "body"}. Only chat completions are a request this builds. */
        jv *url = llmio__json_get(root, "url");
        jv *method = llmio__json_get(root, "method");
        if (url != NULL &&
            !llmio__json_str_eq(url, "/v1/chat/completions", 20)) {
            failf(r, LLMIO_E_UNSUPPORTED,
                  "url: only /v1/chat/completions is supported");
        } else if (method != NULL && !llmio__json_str_eq(method, "POST", 4)) {
            failf(r, LLMIO_E_UNSUPPORTED, "method: only POST is supported");
        }
        body = wrapped;
    }
    static const char *const skip_top[] = {"custom_id", NULL};
    if (r->error == LLMIO_OK) {
        apply_body(r, &a, body, body == root ? skip_top : NULL);
    }
    if (r->error == LLMIO_OK && r->model == NULL) {
        if (default_model != NULL && default_model[0] != '\0') {
            llmio_request_set_model(r, default_model);
        } else {
            failf(r, LLMIO_E_INVALID,
                  "model: not set (no \"model\" field "
                  "and no default model)");
        }
    }
    if (r->error == LLMIO_OK && r->nmessages == 0) {
        failf(r, LLMIO_E_INVALID,
              "messages: none (give \"messages\" or \"prompt\")");
    }
    llmio__arena_cleanup(&a);
    if (r->error != LLMIO_OK) {
        return give_up(r, err);
    }
    *out = r;
    return LLMIO_OK;
}
