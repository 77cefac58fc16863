/*
 * request.c - the llmio_request builder: copies, validates and stores every
 * part of a chat request for the providers to serialise.
 *
 * Invariants: the first failing call sets r->error and r->error_msg (which
 * names the field, e.g. "messages[1].tool_calls[0].arguments: not valid
 * JSON") and every later setter returns that error and changes nothing
 * (sticky, as sqlite3_str); a failed call leaves the stored request as it
 * was before the call; every stored string is valid UTF-8 and every stored
 * JSON text (tool parameters and arguments, schema, raw fields) parsed.
 * Owns: every string and array reachable from the struct, allocated with
 * r->alloc and released by llmio_request_free.
 */
#include "request.h"

#include "alloc.h"
#include "arena.h"
#include "json.h"
#include "utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Records the first error; the message names the field. */
#define fail llmio__request_fail


static llmio_status nomem(struct llmio_request *r, const char *field)
{
    return fail(r, LLMIO_E_NOMEM, "%s: out of memory", field);
}

#define ENTER(r) LLMIO__REQUEST_ENTER(r)

static bool utf8_ok(const char *s)
{
    return llmio__utf8_valid((const unsigned char *)s, strlen(s));
}

/*
 * Copies the string S for FIELD into *OUT. S NULL is an error when
 * REQUIRED (else *OUT = NULL). Checks UTF-8, since a body with invalid
 * UTF-8 could only fail later without naming the field.
 */
static llmio_status copy_str(struct llmio_request *r, const char *field,
                             const char *s, bool required, char **out)
{
    *out = NULL;
    if (s == NULL) {
        if (required) {
            return fail(r, LLMIO_E_INVALID, "%s: required", field);
        }
        return LLMIO_OK;
    }
    if (!utf8_ok(s)) {
        return fail(r, LLMIO_E_INVALID, "%s: not valid UTF-8", field);
    }
    *out = llmio__strdup(r->alloc, s);
    if (*out == NULL) {
        return nomem(r, field);
    }
    return LLMIO_OK;
}

llmio_status llmio__request_fail(struct llmio_request *r, llmio_status st,
                                 const char *fmt, ...)
{
    if (r->error != LLMIO_OK) {
        return r->error;
    }
    va_list ap;
    r->error = st;
    va_start(ap, fmt);
    vsnprintf(r->error_msg, sizeof r->error_msg, fmt, ap);
    va_end(ap);
    return st;
}

llmio_status llmio__request_copy_str(struct llmio_request *r,
                                     const char *field, const char *s,
                                     bool required, char **out)
{
    return copy_str(r, field, s, required, out);
}

/*
 * Checks that TEXT is one JSON value (of type object when WANT_OBJECT),
 * parsing into a scratch arena dropped at once. With CANON, *CANON gets
 * the value re-serialised compactly (the same value; whitespace gone), so
 * bodies are compact and stable whatever spacing the caller used. A parse
 * that runs out of memory is NOMEM, not "invalid".
 */
static llmio_status check_json(struct llmio_request *r, const char *field,
                               const char *text, bool want_object, char **canon)
{
    struct llmio__arena a;
    const struct llmio__json *v = NULL;
    struct llmio__json_error je;
    llmio_status st;
    memset(&je, 0, sizeof je);
    if (canon != NULL) {
        *canon = NULL;
    }
    llmio__arena_init(&a, r->alloc, 0);
    st = llmio__json_parse(&a, text, strlen(text), NULL, &v, &je);
    if (st == LLMIO_E_NOMEM) {
        st = nomem(r, field);
    } else if (st != LLMIO_OK) {
        st = fail(r, LLMIO_E_INVALID, "%s: not valid JSON (%s at offset %zu)",
                  field, je.message, je.offset);
    } else if (want_object && llmio__json_type(v) != LLMIO__JSON_OBJECT) {
        st = fail(r, LLMIO_E_INVALID, "%s: must be a JSON object", field);
    } else if (canon != NULL) {
        struct llmio__buf b;
        struct llmio__jw w;
        llmio__buf_init(&b, r->alloc, 0);
        llmio__jw_init(&w, &b);
        llmio__json_write(&w, v);
        st = llmio__jw_finish(&w);
        if (st == LLMIO_OK) {
            /* Hand the buffer's memory over as the stored string. */
            *canon = llmio__strndup(r->alloc, b.data, b.len);
            if (*canon == NULL) {
                st = LLMIO_E_NOMEM;
            }
        }
        llmio__buf_cleanup(&b);
        if (st != LLMIO_OK) {
            st = st == LLMIO_E_NOMEM
                     ? nomem(r, field)
                     : fail(r, st, "%s: cannot re-serialise", field);
        }
    }
    llmio__arena_cleanup(&a);
    return st;
}

/* [a-zA-Z0-9_-]{1,64}: OpenAI's rule for function and schema names. */
static bool valid_name(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            return false;
        }
    }
    return n >= 1 && n <= 64;
}

/* Grows *P (of *CAP elements of ELEM bytes) to hold NEED. */
static bool grow(const llmio_allocator *a, void **p, size_t *cap, size_t need,
                 size_t elem)
{
    if (need <= *cap) {
        return true;
    }
    size_t ncap = *cap != 0 ? *cap * 2 : 4;
    if (ncap < need) {
        ncap = need;
    }
    size_t bytes;
    if (llmio__mul_overflows(ncap, elem, &bytes)) {
        return false;
    }
    void *np = llmio__realloc(a, *p, bytes);
    if (np == NULL) {
        return false;
    }
    *p = np;
    *cap = ncap;
    return true;
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */
/* ------------------------------------------------------------------ */

static void free_message(const llmio_allocator *a, struct llmio__message *m)
{
    llmio__free(a, m->content);
    for (size_t i = 0; i < m->nparts; i++) {
        llmio__free(a, m->parts[i].text);
        llmio__free(a, m->parts[i].url);
        llmio__free(a, m->parts[i].detail);
    }
    llmio__free(a, m->parts);
    llmio__free(a, m->name);
    for (size_t i = 0; i < m->ntool_calls; i++) {
        llmio__free(a, m->tool_calls[i].id);
        llmio__free(a, m->tool_calls[i].name);
        llmio__free(a, m->tool_calls[i].arguments);
        llmio__free(a, m->tool_calls[i].signature);
    }
    llmio__free(a, m->tool_calls);
    llmio__free(a, m->tool_call_id);
}

void llmio__request_truncate(struct llmio_request *r, size_t n)
{
    while (r->nmessages > n) {
        free_message(r->alloc, &r->messages[--r->nmessages]);
    }
}

llmio_request *llmio__request_new_with(const llmio_allocator *alloc,
                                       const char *model)
{
    struct llmio_request *r = llmio__calloc(alloc, 1, sizeof *r);
    if (r == NULL) {
        return NULL;
    }
    r->alloc = alloc;
    /* OpenAI's default; llmio_request_set_stream() sets it explicitly. */
    r->include_usage = true;
    r->retry = llmio__retry_override_none();
    if (model != NULL && llmio_request_set_model(r, model) == LLMIO_E_NOMEM) {
        llmio_request_free(r);
        return NULL;
    }
    return r;
}

LLMIO_API llmio_request *llmio_request_new(const char *model)
{
    return llmio__request_new_with(NULL, model);
}

LLMIO_API void llmio_request_free(llmio_request *r)
{
    if (r == NULL) {
        return;
    }
    const llmio_allocator *a = r->alloc;
    llmio__free(a, r->model);
    for (size_t i = 0; i < r->nmessages; i++) {
        free_message(a, &r->messages[i]);
    }
    llmio__free(a, r->messages);
    for (size_t i = 0; i < r->nstop; i++) {
        llmio__free(a, r->stop[i]);
    }
    llmio__free(a, r->user);
    for (size_t i = 0; i < r->ntools; i++) {
        llmio__free(a, r->tools[i].name);
        llmio__free(a, r->tools[i].description);
        llmio__free(a, r->tools[i].parameters);
    }
    llmio__free(a, r->tools);
    llmio__free(a, r->tool_choice);
    llmio__free(a, r->response_format_type);
    llmio__free(a, r->response_format_name);
    llmio__free(a, r->response_format_schema);
    for (size_t i = 0; i < r->nraw; i++) {
        llmio__free(a, r->raw[i].key);
        llmio__free(a, r->raw[i].json);
    }
    llmio__free(a, r->raw);
    for (size_t i = 0; i < r->nheaders; i++) {
        llmio__free(a, r->headers[i]);
    }
    llmio__free(a, r->headers);
    llmio__request_embed_free(r);
    for (size_t i = 0; i < r->nfallbacks; i++) {
        llmio__free(a, r->fallbacks[i].model);
    }
    llmio__free(a, r);
}

LLMIO_API llmio_status llmio_request_error(const llmio_request *r,
                                           llmio_error *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof *err);
        err->retry_after_ms = -1;
    }
    if (r == NULL) {
        if (err != NULL) {
            err->code = LLMIO_E_INVALID;
            snprintf(err->message, sizeof err->message, "request: NULL");
        }
        return LLMIO_E_INVALID;
    }
    if (err != NULL) {
        err->code = r->error;
        if (r->error != LLMIO_OK) {
            snprintf(err->message, sizeof err->message, "%s", r->error_msg);
        }
    }
    return r->error;
}

LLMIO_API llmio_status llmio_request_set_model(llmio_request *r,
                                               const char *model)
{
    ENTER(r);
    if (model == NULL || model[0] == '\0') {
        return fail(r, LLMIO_E_INVALID, "model: required");
    }
    char *m;
    llmio_status st = copy_str(r, "model", model, true, &m);
    if (st != LLMIO_OK) {
        return st;
    }
    llmio__free(r->alloc, r->model);
    r->model = m;
    return LLMIO_OK;
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

LLMIO_API llmio_status llmio_request_add_message(llmio_request *r,
                                                 llmio_role role,
                                                 const char *content)
{
    ENTER(r);
    size_t i = r->nmessages;
    char field[64];
    if ((int)role < LLMIO_ROLE_SYSTEM || role > LLMIO_ROLE_TOOL) {
        return fail(r, LLMIO_E_INVALID, "messages[%zu].role: invalid (%d)", i,
                    (int)role);
    }
    snprintf(field, sizeof field, "messages[%zu].content", i);
    char *c;
    llmio_status st = copy_str(r, field, content, false, &c);
    if (st != LLMIO_OK) {
        return st;
    }
    void *p = r->messages;
    if (!grow(r->alloc, &p, &r->cap_messages, i + 1, sizeof *r->messages)) {
        llmio__free(r->alloc, c);
        return nomem(r, "messages");
    }
    r->messages = p;
    struct llmio__message *m = &r->messages[i];
    memset(m, 0, sizeof *m);
    m->role = role;
    m->content = c;
    r->nmessages++;
    return LLMIO_OK;
}

/* The last message, or NULL after recording the error for WHAT. */
static struct llmio__message *last_message(struct llmio_request *r,
                                           const char *what)
{
    if (r->nmessages == 0) {
        fail(r, LLMIO_E_INVALID, "messages: no message to add %s to", what);
        return NULL;
    }
    return &r->messages[r->nmessages - 1];
}

/* Appends a zeroed part to M; converts plain content into a first text
 * part, since the message now sends its content as an array. */
static struct llmio__part *new_part(struct llmio_request *r,
                                    struct llmio__message *m, size_t mi)
{
    size_t need = m->nparts + 1 + (m->content != NULL ? 1 : 0);
    size_t cap = m->nparts;
    void *p = m->parts;
    /* Parts arrays are small; grow them exactly. */
    if (!grow(r->alloc, &p, &cap, need, sizeof *m->parts)) {
        nomem(r, "messages[].content");
        return NULL;
    }
    (void)mi;
    m->parts = p;
    if (m->content != NULL) {
        struct llmio__part *first = &m->parts[m->nparts++];
        memset(first, 0, sizeof *first);
        first->type = LLMIO__PART_TEXT;
        first->text = m->content;
        m->content = NULL;
    }
    struct llmio__part *part = &m->parts[m->nparts];
    memset(part, 0, sizeof *part);
    return part;
}

LLMIO_API llmio_status llmio_request_add_text(llmio_request *r,
                                              const char *text)
{
    ENTER(r);
    struct llmio__message *m = last_message(r, "a text part");
    if (m == NULL) {
        return r->error;
    }
    size_t mi = r->nmessages - 1;
    char field[80];
    snprintf(field, sizeof field, "messages[%zu].content[%zu].text", mi,
             m->nparts + (m->content != NULL ? 1 : 0));
    char *t;
    llmio_status st = copy_str(r, field, text, true, &t);
    if (st != LLMIO_OK) {
        return st;
    }
    struct llmio__part *part = new_part(r, m, mi);
    if (part == NULL) {
        llmio__free(r->alloc, t);
        return r->error;
    }
    part->type = LLMIO__PART_TEXT;
    part->text = t;
    m->nparts++;
    return LLMIO_OK;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

LLMIO_API llmio_status llmio_request_add_image_url(llmio_request *r,
                                                   const char *url,
                                                   const char *detail)
{
    ENTER(r);
    struct llmio__message *m = last_message(r, "an image");
    if (m == NULL) {
        return r->error;
    }
    size_t mi = r->nmessages - 1;
    size_t pi = m->nparts + (m->content != NULL ? 1 : 0);
    if (m->role != LLMIO_ROLE_USER) {
        return fail(r, LLMIO_E_INVALID,
                    "messages[%zu].content[%zu]: images are only allowed in "
                    "user messages",
                    mi, pi);
    }
    if (url == NULL ||
        !(has_prefix(url, "http://") || has_prefix(url, "https://") ||
          has_prefix(url, "data:"))) {
        return fail(r, LLMIO_E_INVALID,
                    "messages[%zu].content[%zu].image_url.url: must be an "
                    "http(s) or data: URL",
                    mi, pi);
    }
    if (detail != NULL && strcmp(detail, "auto") != 0 &&
        strcmp(detail, "low") != 0 && strcmp(detail, "high") != 0) {
        return fail(r, LLMIO_E_INVALID,
                    "messages[%zu].content[%zu].image_url.detail: must be "
                    "auto, low or high",
                    mi, pi);
    }
    char field[80];
    snprintf(field, sizeof field, "messages[%zu].content[%zu].image_url.url",
             mi, pi);
    char *u, *d = NULL;
    llmio_status st = copy_str(r, field, url, true, &u);
    if (st != LLMIO_OK) {
        return st;
    }
    if (detail != NULL) {
        d = llmio__strdup(r->alloc, detail);
        if (d == NULL) {
            llmio__free(r->alloc, u);
            return nomem(r, field);
        }
    }
    struct llmio__part *part = new_part(r, m, mi);
    if (part == NULL) {
        llmio__free(r->alloc, u);
        llmio__free(r->alloc, d);
        return r->error;
    }
    part->type = LLMIO__PART_IMAGE_URL;
    part->url = u;
    part->detail = d;
    m->nparts++;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_name(llmio_request *r,
                                              const char *name)
{
    ENTER(r);
    struct llmio__message *m = last_message(r, "a name");
    if (m == NULL) {
        return r->error;
    }
    char field[48];
    snprintf(field, sizeof field, "messages[%zu].name", r->nmessages - 1);
    if (name == NULL || name[0] == '\0') {
        return fail(r, LLMIO_E_INVALID, "%s: must not be empty", field);
    }
    char *n;
    llmio_status st = copy_str(r, field, name, true, &n);
    if (st != LLMIO_OK) {
        return st;
    }
    llmio__free(r->alloc, m->name);
    m->name = n;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_add_tool_call(llmio_request *r,
                                                   const char *id,
                                                   const char *name,
                                                   const char *arguments)
{
    ENTER(r);
    struct llmio__message *m = last_message(r, "a tool call");
    if (m == NULL) {
        return r->error;
    }
    size_t mi = r->nmessages - 1;
    size_t ti = m->ntool_calls;
    if (m->role != LLMIO_ROLE_ASSISTANT) {
        return fail(r, LLMIO_E_INVALID,
                    "messages[%zu].tool_calls: only assistant messages carry "
                    "tool calls",
                    mi);
    }
    if (id == NULL || id[0] == '\0') {
        return fail(r, LLMIO_E_INVALID,
                    "messages[%zu].tool_calls[%zu].id: required", mi, ti);
    }
    if (name == NULL || name[0] == '\0') {
        return fail(r, LLMIO_E_INVALID,
                    "messages[%zu].tool_calls[%zu].name: required", mi, ti);
    }
    if (arguments == NULL) {
        arguments = "{}";
    }
    char field[80];
    snprintf(field, sizeof field, "messages[%zu].tool_calls[%zu].arguments", mi,
             ti);
    llmio_status st = check_json(r, field, arguments, false, NULL);
    if (st != LLMIO_OK) {
        return st;
    }
    struct llmio__tool_call_in tc = {NULL, NULL, NULL, NULL};
    snprintf(field, sizeof field, "messages[%zu].tool_calls[%zu].id", mi, ti);
    st = copy_str(r, field, id, true, &tc.id);
    if (st == LLMIO_OK) {
        snprintf(field, sizeof field, "messages[%zu].tool_calls[%zu].name", mi,
                 ti);
        st = copy_str(r, field, name, true, &tc.name);
    }
    if (st == LLMIO_OK) {
        tc.arguments = llmio__strdup(r->alloc, arguments);
        if (tc.arguments == NULL) {
            st = nomem(r, "messages[].tool_calls[].arguments");
        }
    }
    size_t cap = m->ntool_calls;
    void *p = m->tool_calls;
    if (st == LLMIO_OK &&
        !grow(r->alloc, &p, &cap, ti + 1, sizeof *m->tool_calls)) {
        st = nomem(r, "messages[].tool_calls");
    }
    if (st != LLMIO_OK) {
        llmio__free(r->alloc, tc.id);
        llmio__free(r->alloc, tc.name);
        llmio__free(r->alloc, tc.arguments);
        return st;
    }
    m->tool_calls = p;
    m->tool_calls[m->ntool_calls++] = tc;
    return LLMIO_OK;
}

LLMIO_API llmio_status
llmio_request_set_tool_call_signature(llmio_request *r, const char *signature)
{
    ENTER(r);
    struct llmio__message *m = last_message(r, "a tool call signature");
    if (m == NULL) {
        return r->error;
    }
    size_t mi = r->nmessages - 1;
    if (m->ntool_calls == 0) {
        return fail(r, LLMIO_E_INVALID,
                    "messages[%zu].tool_calls: no tool call to sign", mi);
    }
    char field[80];
    snprintf(field, sizeof field, "messages[%zu].tool_calls[%zu].signature", mi,
             m->ntool_calls - 1);
    if (signature == NULL || signature[0] == '\0') {
        return fail(r, LLMIO_E_INVALID, "%s: must not be empty", field);
    }
    char *sig;
    llmio_status st = copy_str(r, field, signature, true, &sig);
    if (st != LLMIO_OK) {
        return st;
    }
    struct llmio__tool_call_in *tc = &m->tool_calls[m->ntool_calls - 1];
    llmio__free(r->alloc, tc->signature);
    tc->signature = sig;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_add_tool_result(llmio_request *r,
                                                     const char *tool_call_id,
                                                     const char *content)
{
    ENTER(r);
    size_t mi = r->nmessages;
    if (tool_call_id == NULL || tool_call_id[0] == '\0') {
        return fail(r, LLMIO_E_INVALID, "messages[%zu].tool_call_id: required",
                    mi);
    }
    char field[48];
    snprintf(field, sizeof field, "messages[%zu].tool_call_id", mi);
    char *id;
    llmio_status st = copy_str(r, field, tool_call_id, true, &id);
    if (st != LLMIO_OK) {
        return st;
    }
    /* A tool message must have string content; NULL means empty. */
    st = llmio_request_add_message(r, LLMIO_ROLE_TOOL,
                                   content != NULL ? content : "");
    if (st != LLMIO_OK) {
        llmio__free(r->alloc, id);
        return st;
    }
    r->messages[mi].tool_call_id = id;
    return LLMIO_OK;
}

/* ------------------------------------------------------------------ */
/* Tools and output format                                             */
/* ------------------------------------------------------------------ */

LLMIO_API llmio_status llmio_request_add_tool(llmio_request *r,
                                              const char *name,
                                              const char *description,
                                              const char *parameters)
{
    ENTER(r);
    size_t i = r->ntools;
    char field[48];
    if (name == NULL || !valid_name(name)) {
        return fail(r, LLMIO_E_INVALID,
                    "tools[%zu].name: must match [a-zA-Z0-9_-]{1,64}", i);
    }
    for (size_t k = 0; k < r->ntools; k++) {
        if (strcmp(r->tools[k].name, name) == 0) {
            return fail(r, LLMIO_E_INVALID,
                        "tools[%zu].name: duplicate of tools[%zu]", i, k);
        }
    }
    struct llmio__tool_def t = {NULL, NULL, NULL};
    if (parameters != NULL) {
        snprintf(field, sizeof field, "tools[%zu].parameters", i);
        llmio_status st = check_json(r, field, parameters, true, &t.parameters);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    llmio_status st = LLMIO_OK;
    t.name = llmio__strdup(r->alloc, name);
    if (t.name == NULL) {
        st = nomem(r, "tools[].name");
    }
    if (st == LLMIO_OK) {
        snprintf(field, sizeof field, "tools[%zu].description", i);
        st = copy_str(r, field, description, false, &t.description);
    }
    void *p = r->tools;
    if (st == LLMIO_OK &&
        !grow(r->alloc, &p, &r->cap_tools, i + 1, sizeof *r->tools)) {
        st = nomem(r, "tools");
    }
    if (st != LLMIO_OK) {
        llmio__free(r->alloc, t.name);
        llmio__free(r->alloc, t.description);
        llmio__free(r->alloc, t.parameters);
        return st;
    }
    r->tools = p;
    r->tools[r->ntools++] = t;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_tool_choice(llmio_request *r,
                                                     const char *choice)
{
    ENTER(r);
    char *c = NULL;
    if (choice != NULL) {
        /* A function name is checked against the offered tools when the
         * request is built, since tools may be added after this call. */
        if (strcmp(choice, "auto") != 0 && strcmp(choice, "none") != 0 &&
            strcmp(choice, "required") != 0 && !valid_name(choice)) {
            return fail(r, LLMIO_E_INVALID,
                        "tool_choice: must be auto, none, required or a "
                        "function name");
        }
        c = llmio__strdup(r->alloc, choice);
        if (c == NULL) {
            return nomem(r, "tool_choice");
        }
    }
    llmio__free(r->alloc, r->tool_choice);
    r->tool_choice = c;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_response_format(llmio_request *r,
                                                         const char *type,
                                                         const char *name,
                                                         const char *schema,
                                                         bool strict)
{
    ENTER(r);
    if (type == NULL ||
        (strcmp(type, "text") != 0 && strcmp(type, "json_object") != 0 &&
         strcmp(type, "json_schema") != 0)) {
        return fail(r, LLMIO_E_INVALID,
                    "response_format.type: must be text, json_object or "
                    "json_schema");
    }
    bool is_schema = strcmp(type, "json_schema") == 0;
    char *t = NULL, *n = NULL, *s = NULL;
    if (is_schema) {
        if (name == NULL || !valid_name(name)) {
            return fail(r, LLMIO_E_INVALID,
                        "response_format.json_schema.name: must match "
                        "[a-zA-Z0-9_-]{1,64}");
        }
        if (schema != NULL) {
            llmio_status st = check_json(
                r, "response_format.json_schema.schema", schema, true, &s);
            if (st != LLMIO_OK) {
                return st;
            }
        }
    }
    t = llmio__strdup(r->alloc, type);
    if (t != NULL && is_schema) {
        n = llmio__strdup(r->alloc, name);
    }
    if (t == NULL || (is_schema && n == NULL)) {
        llmio__free(r->alloc, t);
        llmio__free(r->alloc, n);
        llmio__free(r->alloc, s);
        return nomem(r, "response_format");
    }
    llmio__free(r->alloc, r->response_format_type);
    llmio__free(r->alloc, r->response_format_name);
    llmio__free(r->alloc, r->response_format_schema);
    r->response_format_type = t;
    r->response_format_name = n;
    r->response_format_schema = s;
    r->response_format_strict = is_schema && strict;
    return LLMIO_OK;
}

/* ------------------------------------------------------------------ */
/* Sampling and limits                                                 */
/* ------------------------------------------------------------------ */

LLMIO_API llmio_status llmio_request_set_temperature(llmio_request *r, double t)
{
    ENTER(r);
    /* Written as !(in range) so NaN fails too. */
    if (!(t >= 0.0 && t <= 2.0)) {
        return fail(r, LLMIO_E_INVALID, "temperature: must be within 0..2");
    }
    r->temperature = t;
    r->has_temperature = true;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_top_p(llmio_request *r, double p)
{
    ENTER(r);
    if (!(p >= 0.0 && p <= 1.0)) {
        return fail(r, LLMIO_E_INVALID, "top_p: must be within 0..1");
    }
    r->top_p = p;
    r->has_top_p = true;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_max_tokens(llmio_request *r, int64_t n)
{
    ENTER(r);
    if (n < 1) {
        return fail(r, LLMIO_E_INVALID, "max_tokens: must be >= 1");
    }
    r->max_tokens = n;
    r->has_max_tokens = true;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_max_completion_tokens(llmio_request *r,
                                                               int64_t n)
{
    ENTER(r);
    if (n < 1) {
        return fail(r, LLMIO_E_INVALID, "max_completion_tokens: must be >= 1");
    }
    r->max_completion_tokens = n;
    r->has_max_completion_tokens = true;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_add_stop(llmio_request *r,
                                              const char *stop)
{
    ENTER(r);
    size_t max = sizeof r->stop / sizeof r->stop[0];
    if (r->nstop >= max) {
        return fail(r, LLMIO_E_INVALID, "stop: at most %zu sequences", max);
    }
    char field[16];
    snprintf(field, sizeof field, "stop[%zu]", r->nstop);
    if (stop == NULL || stop[0] == '\0') {
        return fail(r, LLMIO_E_INVALID, "%s: must not be empty", field);
    }
    char *s;
    llmio_status st = copy_str(r, field, stop, true, &s);
    if (st != LLMIO_OK) {
        return st;
    }
    r->stop[r->nstop++] = s;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_n(llmio_request *r, int n)
{
    ENTER(r);
    if (n < 1 || n > 128) {
        return fail(r, LLMIO_E_INVALID, "n: must be within 1..128");
    }
    r->n = n;
    r->has_n = true;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_seed(llmio_request *r, int64_t seed)
{
    ENTER(r);
    r->seed = seed;
    r->has_seed = true;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_user(llmio_request *r,
                                              const char *user)
{
    ENTER(r);
    char *u;
    llmio_status st = copy_str(r, "user", user, false, &u);
    if (st != LLMIO_OK) {
        return st;
    }
    llmio__free(r->alloc, r->user);
    r->user = u;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_logprobs(llmio_request *r, bool on,
                                                  int top)
{
    ENTER(r);
    if (top < 0 || top > 20) {
        return fail(r, LLMIO_E_INVALID, "top_logprobs: must be within 0..20");
    }
    if (!on && top > 0) {
        return fail(r, LLMIO_E_INVALID, "top_logprobs: needs logprobs on");
    }
    r->logprobs = on;
    r->top_logprobs = top;
    r->has_logprobs = true;
    return LLMIO_OK;
}

/* ------------------------------------------------------------------ */
/* Escape hatch, transport, streaming                                  */
/* ------------------------------------------------------------------ */

bool llmio__request_has_raw(const struct llmio_request *r, const char *key)
{
    if (r == NULL || key == NULL) {
        return false;
    }
    for (size_t i = 0; i < r->nraw; i++) {
        if (strcmp(r->raw[i].key, key) == 0) {
            return true;
        }
    }
    return false;
}

LLMIO_API llmio_status llmio_request_set_raw(llmio_request *r, const char *key,
                                             const char *value_json)
{
    ENTER(r);
    if (key == NULL || key[0] == '\0') {
        return fail(r, LLMIO_E_INVALID, "raw: key required");
    }
    if (!utf8_ok(key)) {
        return fail(r, LLMIO_E_INVALID, "raw: key not valid UTF-8");
    }
    size_t at = r->nraw;
    for (size_t i = 0; i < r->nraw; i++) {
        if (strcmp(r->raw[i].key, key) == 0) {
            at = i;
            break;
        }
    }
    if (value_json == NULL) {
        /* NULL removes the field (the modelled value, if any, is sent
         * again). */
        if (at < r->nraw) {
            llmio__free(r->alloc, r->raw[at].key);
            llmio__free(r->alloc, r->raw[at].json);
            memmove(&r->raw[at], &r->raw[at + 1],
                    (r->nraw - at - 1) * sizeof *r->raw);
            r->nraw--;
        }
        return LLMIO_OK;
    }
    char field[96];
    snprintf(field, sizeof field, "raw[\"%.64s\"]", key);
    char *v;
    llmio_status st = check_json(r, field, value_json, false, &v);
    if (st != LLMIO_OK) {
        return st;
    }
    if (at < r->nraw) {
        llmio__free(r->alloc, r->raw[at].json);
        r->raw[at].json = v;
        return LLMIO_OK;
    }
    char *k = llmio__strdup(r->alloc, key);
    void *p = r->raw;
    if (k == NULL ||
        !grow(r->alloc, &p, &r->cap_raw, r->nraw + 1, sizeof *r->raw)) {
        llmio__free(r->alloc, k);
        llmio__free(r->alloc, v);
        return nomem(r, field);
    }
    r->raw = p;
    r->raw[r->nraw].key = k;
    r->raw[r->nraw].json = v;
    r->nraw++;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_add_header(llmio_request *r,
                                                const char *header)
{
    ENTER(r);
    size_t i = r->nheaders;
    if (header == NULL) {
        return fail(r, LLMIO_E_INVALID, "headers[%zu]: required", i);
    }
    const char *colon = strchr(header, ':');
    if (colon == NULL || colon == header) {
        return fail(r, LLMIO_E_INVALID, "headers[%zu]: must be \"Name: value\"",
                    i);
    }
    for (const char *c = header; c < colon; c++) {
        /* RFC 9110 token characters, roughly: no spaces or separators. */
        if (*c <= ' ' || *c >= 127 || strchr("()<>@,;\\\"/[]?={}", *c)) {
            return fail(r, LLMIO_E_INVALID,
                        "headers[%zu]: invalid character in the name", i);
        }
    }
    if (strpbrk(header, "\r\n") != NULL) {
        return fail(r, LLMIO_E_INVALID,
                    "headers[%zu]: must not contain CR or LF", i);
    }
    char *h = llmio__strdup(r->alloc, header);
    void *p = r->headers;
    if (h == NULL ||
        !grow(r->alloc, &p, &r->cap_headers, i + 1, sizeof *r->headers)) {
        llmio__free(r->alloc, h);
        return nomem(r, "headers");
    }
    r->headers = p;
    r->headers[r->nheaders++] = h;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_timeout(llmio_request *r,
                                                 llmio_timeout_kind kind,
                                                 int64_t ms)
{
    ENTER(r);
    if ((int)kind < 0 || (int)kind > LLMIO_TIMEOUT_IDLE) {
        return fail(r, LLMIO_E_INVALID, "timeout: unknown kind %d", (int)kind);
    }
    if (ms <= 0) {
        return fail(r, LLMIO_E_INVALID, "timeout: must be > 0 ms");
    }
    r->timeouts_ms[kind] = ms;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_retry(llmio_request *r,
                                               int max_attempts,
                                               int64_t base_delay_ms,
                                               int64_t max_delay_ms,
                                               int64_t max_retry_after_ms)
{
    ENTER(r);
    /* -1 keeps the client's value; the ranges are the client's
     * (llmio_client_set_retry). */
    if (max_attempts != -1 && (max_attempts < 1 || max_attempts > 100)) {
        return fail(r, LLMIO_E_INVALID,
                    "retry.max_attempts: must be 1..100 or -1");
    }
    if (base_delay_ms < -1 || max_delay_ms < -1 || max_retry_after_ms < -1) {
        return fail(r, LLMIO_E_INVALID, "retry: delays must be >= 0 ms, or -1");
    }
    if (base_delay_ms >= 0 && max_delay_ms >= 0 &&
        max_delay_ms < base_delay_ms) {
        return fail(r, LLMIO_E_INVALID,
                    "retry.max_delay_ms: must be >= base_delay_ms");
    }
    r->retry.max_attempts = max_attempts;
    r->retry.base_delay_ms = base_delay_ms;
    r->retry.max_delay_ms = max_delay_ms;
    r->retry.max_retry_after_ms = max_retry_after_ms;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_stream_restart(llmio_request *r,
                                                        bool on)
{
    ENTER(r);
    r->retry.stream_restart = on ? 1 : 0;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_stream(llmio_request *r,
                                                llmio_stream_cb cb,
                                                bool include_usage)
{
    ENTER(r);
    r->stream = true;
    r->stream_cb = cb;
    r->include_usage = include_usage;
    return LLMIO_OK;
}

/* ---- fallbacks and hedging (applied by route.c) ------------------------ */

LLMIO_API llmio_status llmio_request_add_fallback(llmio_request *r,
                                                  const char *model,
                                                  unsigned on)
{
    ENTER(r);
    size_t i = r->nfallbacks;
    if (i >= LLMIO__MAX_FALLBACKS) {
        return fail(r, LLMIO_E_INVALID, "fallbacks: at most %d",
                    LLMIO__MAX_FALLBACKS);
    }
    if (on == 0 || (on & ~(unsigned)LLMIO_FALLBACK_ANY) != 0) {
        return fail(r, LLMIO_E_INVALID,
                    "fallbacks[%zu].on: not a set of LLMIO_FALLBACK_* bits", i);
    }
    if (model == NULL || model[0] == '\0') {
        return fail(r, LLMIO_E_INVALID, "fallbacks[%zu].model: required", i);
    }
    char field[32];
    snprintf(field, sizeof field, "fallbacks[%zu].model", i);
    llmio_status st = copy_str(r, field, model, true, &r->fallbacks[i].model);
    if (st != LLMIO_OK) {
        return st;
    }
    r->fallbacks[i].on = on;
    r->nfallbacks++;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_request_set_hedge(llmio_request *r,
                                               llmio_hedge_mode mode,
                                               int64_t delay_ms)
{
    ENTER(r);
    if ((int)mode < LLMIO_HEDGE_OFF || (int)mode > LLMIO_HEDGE_P95) {
        return fail(r, LLMIO_E_INVALID, "hedge: unknown mode %d", (int)mode);
    }
    if (mode != LLMIO_HEDGE_OFF && delay_ms <= 0) {
        return fail(r, LLMIO_E_INVALID, "hedge: delay must be > 0 ms");
    }
    r->has_hedge = true;
    r->hedge_mode = mode;
    r->hedge_delay_ms = delay_ms;
    return LLMIO_OK;
}
