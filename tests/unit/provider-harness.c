/*
 * provider-harness.c - see provider-harness.h.
 *
 * The stream driver frames bytes with the library's SSE parser and its
 * JSON reader (NDJSON) without the engine itself; the split runs
 * prove that the provider's output depends only on the events, never on
 * how the bytes arrived.
 */
#include "provider-harness.h"

#include "openai-harness.h"

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "sse.h"

#include <stdarg.h>

/* ------------------------------------------------------------------ */
/* Requests                                                             */
/* ------------------------------------------------------------------ */

struct llmio_request *ph_req_new(const char *model)
{
    struct llmio_request *r = calloc(1, sizeof(*r));
    ASSERT_NOT_NULL(r);
    r->model = (char *)model;
    return r;
}

void ph_req_free(struct llmio_request *r)
{
    for (size_t i = 0; i < r->nmessages; i++) {
        free(r->messages[i].parts);
        free(r->messages[i].tool_calls);
    }
    free(r->messages);
    free(r->tools);
    free(r->raw);
    free(r);
}

struct llmio__message *ph_msg(struct llmio_request *r, llmio_role role,
                              const char *content)
{
    r->messages =
        realloc(r->messages, (r->nmessages + 1) * sizeof(*r->messages));
    ASSERT_NOT_NULL(r->messages);
    struct llmio__message *m = &r->messages[r->nmessages++];
    memset(m, 0, sizeof(*m));
    m->role = role;
    m->content = (char *)content;
    return m;
}

static struct llmio__part *add_part(struct llmio__message *m)
{
    m->parts = realloc(m->parts, (m->nparts + 1) * sizeof(*m->parts));
    ASSERT_NOT_NULL(m->parts);
    struct llmio__part *p = &m->parts[m->nparts++];
    memset(p, 0, sizeof(*p));
    return p;
}

void ph_part_text(struct llmio__message *m, const char *text)
{
    struct llmio__part *p = add_part(m);
    p->type = LLMIO__PART_TEXT;
    p->text = (char *)text;
}

void ph_part_image(struct llmio__message *m, const char *url)
{
    struct llmio__part *p = add_part(m);
    p->type = LLMIO__PART_IMAGE_URL;
    p->url = (char *)url;
}

void ph_tool_call(struct llmio__message *m, const char *id, const char *name,
                  const char *args)
{
    m->tool_calls =
        realloc(m->tool_calls, (m->ntool_calls + 1) * sizeof(*m->tool_calls));
    ASSERT_NOT_NULL(m->tool_calls);
    struct llmio__tool_call_in *tc = &m->tool_calls[m->ntool_calls++];
    tc->id = (char *)id;
    tc->name = (char *)name;
    tc->arguments = (char *)args;
    tc->signature = NULL;
}

void ph_tool(struct llmio_request *r, const char *name, const char *desc,
             const char *params)
{
    r->tools = realloc(r->tools, (r->ntools + 1) * sizeof(*r->tools));
    ASSERT_NOT_NULL(r->tools);
    struct llmio__tool_def *t = &r->tools[r->ntools++];
    t->name = (char *)name;
    t->description = (char *)desc;
    t->parameters = (char *)params;
}

void ph_raw(struct llmio_request *r, const char *key, const char *json)
{
    r->raw = realloc(r->raw, (r->nraw + 1) * sizeof(*r->raw));
    ASSERT_NOT_NULL(r->raw);
    r->raw[r->nraw].key = (char *)key;
    r->raw[r->nraw].json = (char *)json;
    r->nraw++;
}

static char *case_path(const struct llmio__provider *p, const char *case_name,
                       const char *file)
{
    static char path[512];
    snprintf(path, sizeof(path), "tests/data/providers/%s/%s/%s", p->name,
             case_name, file);
    return path;
}

static char *case_read(const struct llmio__provider *p, const char *case_name,
                       const char *file, size_t *len)
{
    return test_read_file(case_path(p, case_name, file), len);
}

void ph_expect_file(const struct llmio__provider *p, const char *case_name,
                    const char *file, const char *s)
{
    oh_expect_file(case_path(p, case_name, file), s);
}

/* The canonical compact form of the JSON text P (the golden files are
 * pretty-printed for review). */
static char *canonical(const char *p, size_t len)
{
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v = NULL;
    struct llmio__json_error je;
    llmio_status st = llmio__json_parse(&a, p, len, NULL, &v, &je);
    if (st != LLMIO_OK) {
        test_fail_(__FILE__, __LINE__, "invalid JSON at %zu: %s\n%.*s",
                   je.offset, je.message, (int)len, p);
    }
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    struct llmio__jw w;
    llmio__jw_init(&w, &b);
    llmio__json_write(&w, v);
    ASSERT_OK(llmio__jw_finish(&w));
    char *s = strdup(llmio__buf_cstr(&b));
    llmio__buf_cleanup(&b);
    llmio__arena_cleanup(&a);
    return s;
}

static void out_init(struct llmio__http_req *out, const llmio_allocator *a)
{
    memset(out, 0, sizeof(*out));
    llmio__buf_init(&out->url, a, 8192);
    llmio__buf_init(&out->headers, a, 65536);
    llmio__buf_init(&out->body, a, 64 << 20);
}

static void out_cleanup(struct llmio__http_req *out)
{
    llmio__buf_cleanup(&out->url);
    llmio__buf_cleanup(&out->headers);
    llmio__buf_cleanup(&out->body);
}

static void cfg_init(struct llmio__provider_cfg *cfg,
                     const struct llmio__provider *p, const char *base_url)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->api_key = PH_KEY;
    cfg->base_url = base_url != NULL ? base_url : p->default_base_url;
}

static const char *model_of(const struct llmio_request *req)
{
    const char *slash = strchr(req->model, '/');
    return slash != NULL ? slash + 1 : req->model;
}

/* The build operation B selects (the provider's build_request unless B
 * names another, e.g. build_embed) with B's settings in CFG. */
static llmio_status build_with(const struct llmio__provider *p,
                               const struct llmio_request *req,
                               const struct ph_build *b,
                               struct llmio__provider_cfg *cfg,
                               struct llmio__http_req *out, llmio_error *err)
{
    cfg_init(cfg, p, b != NULL ? b->base_url : NULL);
    if (b != NULL && b->api_version != NULL) {
        cfg->api_version = b->api_version;
    }
    if (b != NULL && b->no_base_url) {
        cfg->base_url = NULL;
    }
    ph_build_fn *build =
        b != NULL && b->build != NULL ? b->build : p->build_request;
    return build(req, model_of(req), cfg, out, err);
}

void ph_check_build(const struct llmio__provider *p,
                    const struct llmio_request *req, const char *base_url,
                    const char *case_name)
{
    struct ph_build b = {.base_url = base_url};
    ph_check_build_with(p, req, &b, case_name);
}

void ph_check_build_with(const struct llmio__provider *p,
                         const struct llmio_request *req,
                         const struct ph_build *b, const char *case_name)
{
    struct llmio__http_req out;
    struct llmio__provider_cfg cfg;
    llmio_error err;
    memset(&err, 0, sizeof(err));
    out_init(&out, NULL);
    llmio_status st = build_with(p, req, b, &cfg, &out, &err);
    if (st != LLMIO_OK) {
        test_fail_(__FILE__, __LINE__, "build_request: %d %s", st, err.message);
    }
    /* The key may appear only in a header value. */
    ASSERT(strstr(llmio__buf_cstr(&out.url), PH_KEY) == NULL);
    ASSERT(strstr(llmio__buf_cstr(&out.body), PH_KEY) == NULL);

    char url[8200];
    snprintf(url, sizeof(url), "%s\n", llmio__buf_cstr(&out.url));
    ph_expect_file(p, case_name, "expected-url", url);

    struct llmio__buf h;
    llmio__buf_init(&h, NULL, 0);
    const char *line = out.headers.data;
    for (size_t i = 0; i < out.nheaders; i++) {
        size_t n = strlen(line);
        const char *k = strstr(line, PH_KEY);
        if (k != NULL) {
            ASSERT_OK(llmio__buf_append(&h, line, (size_t)(k - line)));
            ASSERT_OK(llmio__buf_appends(&h, "<KEY>"));
            ASSERT_OK(llmio__buf_appends(&h, k + strlen(PH_KEY)));
        } else {
            ASSERT_OK(llmio__buf_append(&h, line, n));
        }
        ASSERT_OK(llmio__buf_appendc(&h, '\n'));
        line += n + 1;
    }
    ASSERT_EQ(line - out.headers.data, out.headers.len);
    ph_expect_file(p, case_name, "expected-headers", llmio__buf_cstr(&h));
    llmio__buf_cleanup(&h);

    size_t len;
    char full[600];
    snprintf(full, sizeof(full), "%s/%s", test_srcdir(),
             case_path(p, case_name, "expected-body.json"));
    FILE *probe = fopen(full, "rb");
    if (probe == NULL) {
        oh_save_actual(case_path(p, case_name, "expected-body.json"),
                       out.body.data);
        test_fail_(__FILE__, __LINE__, "missing expected-body.json");
    }
    fclose(probe);
    char *want = case_read(p, case_name, "expected-body.json", &len);
    char *want_c = canonical(want, len);
    char *got_c = canonical(out.body.data, out.body.len);
    if (strcmp(got_c, want_c) != 0) {
        oh_save_actual(case_path(p, case_name, "expected-body.json"),
                       out.body.data);
    }
    ASSERT_STR_EQ(got_c, want_c);
    free(want);
    free(want_c);
    free(got_c);
    out_cleanup(&out);
}

void ph_check_build_error(const struct llmio__provider *p,
                          const struct llmio_request *req, llmio_status want,
                          const char *msg_part)
{
    ph_check_build_error_with(p, req, NULL, want, msg_part);
}

void ph_check_build_error_with(const struct llmio__provider *p,
                               const struct llmio_request *req,
                               const struct ph_build *b, llmio_status want,
                               const char *msg_part)
{
    struct llmio__http_req out;
    struct llmio__provider_cfg cfg;
    llmio_error err;
    memset(&err, 0, sizeof(err));
    out_init(&out, NULL);
    llmio_status st = build_with(p, req, b, &cfg, &out, &err);
    ASSERT_EQ(st, want);
    ASSERT_EQ(err.code, want);
    ASSERT_CONTAINS(err.message, msg_part);
    ASSERT(strstr(err.message, PH_KEY) == NULL);
    out_cleanup(&out);
}

void ph_torture_build(const struct llmio__provider *p,
                      const struct llmio_request *req)
{
    ph_torture_build_with(p, req, NULL);
}

void ph_torture_build_with(const struct llmio__provider *p,
                           const struct llmio_request *req,
                           const struct ph_build *b)
{
    struct llmio_request copy = *req;
    for (long n = 0;; n++) {
        struct fail_alloc f;
        fail_alloc_init(&f, n + 1);
        copy.alloc = &f.a;
        struct llmio__http_req out;
        struct llmio__provider_cfg cfg;
        llmio_error err;
        memset(&err, 0, sizeof(err));
        out_init(&out, &f.a);
        llmio_status st = build_with(p, &copy, b, &cfg, &out, &err);
        out_cleanup(&out);
        ASSERT_EQ(f.live, 0); /* nothing kept, failed or not */
        if (!f.failed) {
            ASSERT_OK(st);
            break;
        }
        /* A failed allocation may be absorbed (the arena retries with a
         * smaller block); otherwise it must surface as NOMEM. */
        ASSERT(st == LLMIO_OK || st == LLMIO_E_NOMEM);
        ASSERT_CMP(n, <, 100000);
    }
}

/* ------------------------------------------------------------------ */
/* Delta log and assembled view                                         */
/* ------------------------------------------------------------------ */

#define PH_MAX_TOOLS 16
#define PH_MAX_CHOICES 8

struct rec {
    struct llmio__buf log;
    struct llmio__buf text[PH_MAX_CHOICES], reasoning[PH_MAX_CHOICES];
    struct llmio__buf tool_args[PH_MAX_TOOLS];
    char tool_id[PH_MAX_TOOLS][64], tool_name[PH_MAX_TOOLS][64];
    char tool_sig[PH_MAX_TOOLS][64];
    int ntools;
    char start[256];
    char finish[PH_MAX_CHOICES][96];
    char usage[160];
    char error[600];
};

static void rec_init(struct rec *r)
{
    memset(r, 0, sizeof(*r));
    llmio__buf_init(&r->log, NULL, 0);
    for (int i = 0; i < PH_MAX_CHOICES; i++) {
        llmio__buf_init(&r->text[i], NULL, 0);
        llmio__buf_init(&r->reasoning[i], NULL, 0);
    }
    for (int i = 0; i < PH_MAX_TOOLS; i++) {
        llmio__buf_init(&r->tool_args[i], NULL, 0);
    }
}

static void rec_cleanup(struct rec *r)
{
    llmio__buf_cleanup(&r->log);
    for (int i = 0; i < PH_MAX_CHOICES; i++) {
        llmio__buf_cleanup(&r->text[i]);
        llmio__buf_cleanup(&r->reasoning[i]);
    }
    for (int i = 0; i < PH_MAX_TOOLS; i++) {
        llmio__buf_cleanup(&r->tool_args[i]);
    }
}

static const char *finish_name(llmio_finish_reason f)
{
    static const char *names[] = {"NONE",       "STOP",           "LENGTH",
                                  "TOOL_CALLS", "CONTENT_FILTER", "OTHER"};
    return (unsigned)f < 6 ? names[f] : "?";
}

static void quoted(struct llmio__buf *b, const char *s, size_t len)
{
    llmio__buf_appendc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            llmio__buf_appendf(b, "\\%c", c);
        } else if (c < 0x20) {
            llmio__buf_appendf(b, "\\x%02x", c);
        } else {
            llmio__buf_appendc(b, (char)c);
        }
    }
    llmio__buf_appendc(b, '"');
}

static const char *nz(const char *s)
{
    return s != NULL ? s : "-";
}

static llmio_status rec_sink(void *ctx, const llmio_delta *d)
{
    struct rec *r = ctx;
    struct llmio__buf *b = &r->log;
    const llmio_usage *u;
    ASSERT(d->choice >= 0 && d->choice < PH_MAX_CHOICES);
    switch (d->kind) {
    case LLMIO_DELTA_START:
        llmio__buf_appendf(b, "START choice=%d id=%s model=%s\n", d->choice,
                           nz(d->id), nz(d->model));
        snprintf(r->start, sizeof(r->start), "id=%s model=%s", nz(d->id),
                 nz(d->model));
        break;
    case LLMIO_DELTA_TEXT:
    case LLMIO_DELTA_REASONING:
        llmio__buf_appendf(b, "%s choice=%d ",
                           d->kind == LLMIO_DELTA_TEXT ? "TEXT" : "REASONING",
                           d->choice);
        quoted(b, d->text, d->text_len);
        llmio__buf_appendc(b, '\n');
        ASSERT(d->text_len > 0);
        llmio__buf_append(d->kind == LLMIO_DELTA_TEXT
                              ? &r->text[d->choice]
                              : &r->reasoning[d->choice],
                          d->text, d->text_len);
        break;
    case LLMIO_DELTA_TOOL_CALL:
        llmio__buf_appendf(b, "TOOL_CALL choice=%d index=%d", d->choice,
                           d->tool_index);
        if (d->tool_id != NULL || d->tool_name != NULL) {
            llmio__buf_appendf(b, " id=%s name=%s", nz(d->tool_id),
                               nz(d->tool_name));
        }
        if (d->signature != NULL) {
            llmio__buf_appendf(b, " sig=%s", d->signature);
        }
        llmio__buf_appendc(b, ' ');
        quoted(b, d->text, d->text_len);
        llmio__buf_appendc(b, '\n');
        ASSERT(d->tool_index >= 0 && d->tool_index < PH_MAX_TOOLS);
        if (d->tool_index >= r->ntools) {
            r->ntools = d->tool_index + 1;
        }
        if (d->tool_id != NULL) {
            snprintf(r->tool_id[d->tool_index], 64, "%s", d->tool_id);
        }
        if (d->tool_name != NULL) {
            snprintf(r->tool_name[d->tool_index], 64, "%s", d->tool_name);
        }
        if (d->signature != NULL) {
            snprintf(r->tool_sig[d->tool_index], 64, "%s", d->signature);
        }
        llmio__buf_append(&r->tool_args[d->tool_index], d->text, d->text_len);
        break;
    case LLMIO_DELTA_FINISH:
        llmio__buf_appendf(b, "FINISH choice=%d %s raw=%s\n", d->choice,
                           finish_name(d->finish), nz(d->finish_raw));
        snprintf(r->finish[d->choice], sizeof(r->finish[0]), "%s raw=%s",
                 finish_name(d->finish), nz(d->finish_raw));
        break;
    case LLMIO_DELTA_USAGE:
        u = d->usage;
        snprintf(r->usage, sizeof(r->usage),
                 "prompt=%" PRId64 " completion=%" PRId64 " total=%" PRId64
                 " cached=%" PRId64 " reasoning=%" PRId64,
                 u->prompt_tokens, u->completion_tokens, u->total_tokens,
                 u->cached_tokens, u->reasoning_tokens);
        llmio__buf_appendf(b, "USAGE %s\n", r->usage);
        break;
    case LLMIO_DELTA_ERROR:
        llmio__buf_appendf(b, "ERROR type=%s ", nz(d->error_type));
        quoted(b, d->text, d->text_len);
        llmio__buf_appendc(b, '\n');
        snprintf(r->error, sizeof(r->error), "type=%s %.*s", nz(d->error_type),
                 (int)d->text_len, d->text);
        break;
    default:
        llmio__buf_appendf(b, "KIND %d\n", (int)d->kind);
        break;
    }
    return LLMIO_OK;
}

static char *rec_view(struct rec *r)
{
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    llmio__buf_appendf(&b, "start: %s\n", r->start);
    for (int c = 0; c < PH_MAX_CHOICES; c++) {
        if (c > 0 && r->text[c].len == 0 && r->reasoning[c].len == 0 &&
            r->finish[c][0] == '\0') {
            continue;
        }
        const char *pre = c == 0 ? "" : "choice ";
        if (c > 0) {
            llmio__buf_appendf(&b, "choice %d:\n", c);
        }
        llmio__buf_appendf(&b, "%stext: ", pre);
        quoted(&b, llmio__buf_cstr(&r->text[c]), r->text[c].len);
        llmio__buf_appendf(&b, "\n%sreasoning: ", pre);
        quoted(&b, llmio__buf_cstr(&r->reasoning[c]), r->reasoning[c].len);
        llmio__buf_appendf(&b, "\n%sfinish: %s\n", pre, r->finish[c]);
    }
    for (int i = 0; i < r->ntools; i++) {
        llmio__buf_appendf(&b, "tool %d: id=%s name=%s", i, r->tool_id[i],
                           r->tool_name[i]);
        if (r->tool_sig[i][0] != '\0') {
            llmio__buf_appendf(&b, " sig=%s", r->tool_sig[i]);
        }
        llmio__buf_appends(&b, " args=");
        quoted(&b, llmio__buf_cstr(&r->tool_args[i]), r->tool_args[i].len);
        llmio__buf_appendc(&b, '\n');
    }
    llmio__buf_appendf(&b, "usage: %s\n", r->usage);
    if (r->error[0] != '\0') {
        llmio__buf_appendf(&b, "error: %s\n", r->error);
    }
    char *s = strdup(llmio__buf_cstr(&b));
    llmio__buf_cleanup(&b);
    return s;
}

/* ------------------------------------------------------------------ */
/* Framing                                                              */
/* ------------------------------------------------------------------ */

struct feeder {
    const struct llmio__provider *p;
    struct llmio__stream_ctx ctx;
    struct llmio__arena arena;
    void *state;
    llmio_error err;
    llmio_status st;
    /* The library's framers: the SSE parser the engine uses, and the
     * JSON reader that splits NDJSON into values. */
    struct llmio__sse_parser sse;
    struct llmio__json_reader nd;
    struct llmio__arena nd_arena;
};

static void feeder_init(struct feeder *f, const struct llmio__provider *p,
                        const llmio_allocator *a, llmio__delta_sink sink,
                        void *sink_ctx)
{
    memset(f, 0, sizeof(*f));
    f->p = p;
    llmio__arena_init(&f->arena, a, 0);
    f->state = calloc(1, p->state_size > 0 ? p->state_size : 1);
    ASSERT_NOT_NULL(f->state);
    f->ctx.state = f->state;
    f->ctx.arena = &f->arena;
    f->ctx.sink = sink;
    f->ctx.sink_ctx = sink_ctx;
    llmio__sse_init(&f->sse, NULL, 1 << 20);
    llmio__json_reader_init(&f->nd, NULL, NULL);
    llmio__arena_init(&f->nd_arena, NULL, 0);
}

static void feeder_cleanup(struct feeder *f)
{
    if (f->p->stream_cleanup != NULL) {
        f->p->stream_cleanup(&f->ctx);
    }
    free(f->state);
    llmio__arena_cleanup(&f->arena);
    llmio__sse_cleanup(&f->sse);
    llmio__json_reader_cleanup(&f->nd);
    llmio__arena_cleanup(&f->nd_arena);
}

static void dispatch(struct feeder *f, const char *type, size_t tlen,
                     const char *data, size_t dlen)
{
    if (f->st != LLMIO_OK) {
        return;
    }
    f->st = f->p->parse_event(&f->ctx, type, tlen, data, dlen, &f->err);
}

static void drain(struct feeder *f)
{
    int rc;
    if (f->p->framing == LLMIO__FRAMING_NDJSON) {
        const struct llmio__json *v;
        while ((rc = llmio__json_reader_next(&f->nd, &f->nd_arena, &v)) == 1) {
            size_t n;
            const char *raw = llmio__json_raw(v, &n);
            dispatch(f, NULL, 0, raw, n);
            llmio__arena_reset(&f->nd_arena);
        }
        if (rc < 0 && f->st == LLMIO_OK) {
            f->st = llmio__json_reader_status(&f->nd, NULL);
        }
        return;
    }
    struct llmio__sse_event ev;
    while ((rc = llmio__sse_next(&f->sse, &ev)) == 1) {
        dispatch(f, ev.type, ev.type_len, ev.data, ev.data_len);
    }
    if (rc < 0 && f->st == LLMIO_OK) {
        f->st = llmio__sse_status(&f->sse);
    }
}

static void feed(struct feeder *f, const char *p, size_t len)
{
    llmio_status st = f->p->framing == LLMIO__FRAMING_NDJSON
                          ? llmio__json_reader_feed(&f->nd, p, len)
                          : llmio__sse_feed(&f->sse, p, len);
    if (st != LLMIO_OK && f->st == LLMIO_OK) {
        f->st = st;
    }
    drain(f);
}

static void feed_end(struct feeder *f)
{
    if (f->p->framing == LLMIO__FRAMING_NDJSON) {
        llmio__json_reader_finish(&f->nd);
        drain(f);
    }
}

/* Runs one framing of STREAM: chunks of CHUNK bytes (0: whole), or, with
 * SPLIT > 0, two chunks split at SPLIT. */
static llmio_status run_once(const struct llmio__provider *p,
                             const char *stream, size_t len, size_t chunk,
                             size_t split, char **log, char **view, bool *done,
                             llmio_error *err)
{
    struct rec r;
    struct feeder f;
    rec_init(&r);
    feeder_init(&f, p, NULL, rec_sink, &r);
    if (split > 0) {
        feed(&f, stream, split);
        feed(&f, stream + split, len - split);
    } else if (chunk == 0) {
        feed(&f, stream, len);
    } else {
        for (size_t i = 0; i < len; i += chunk) {
            feed(&f, stream + i, len - i < chunk ? len - i : chunk);
        }
    }
    feed_end(&f);
    llmio_status st = f.st;
    *log = strdup(llmio__buf_cstr(&r.log));
    *view = rec_view(&r);
    *done = f.ctx.done;
    if (err != NULL) {
        *err = f.err;
    }
    feeder_cleanup(&f);
    rec_cleanup(&r);
    return st;
}

llmio_status ph_run_stream(const struct llmio__provider *p,
                           const char *case_name, char **log, char **view,
                           bool *done, llmio_error *err)
{
    size_t len;
    char *stream = case_read(p, case_name, "stream", &len);
    llmio_status st = run_once(p, stream, len, 0, 0, log, view, done, err);
    /* Every split gives the same deltas; the whole split-at-every-offset
     * loop is quadratic, so valgrind runs sample the offsets. */
    size_t step = test_is_valgrind() ? 7 : 1;
    for (size_t k = 0; k <= len; k += step) {
        char *l2, *v2;
        bool d2;
        llmio_status st2 =
            k == 0 ? run_once(p, stream, len, 1, 0, &l2, &v2, &d2, NULL)
                   : run_once(p, stream, len, 0, k, &l2, &v2, &d2, NULL);
        ASSERT_EQ(st2, st);
        ASSERT_STR_EQ(l2, *log);
        ASSERT_STR_EQ(v2, *view);
        ASSERT_EQ(d2, *done);
        free(l2);
        free(v2);
    }
    free(stream);
    return st;
}

llmio_status ph_run_body(const struct llmio__provider *p, const char *case_name,
                         char **log, char **view, llmio_error *err)
{
    size_t len;
    char *body = case_read(p, case_name, "body.json", &len);
    struct rec r;
    struct feeder f;
    rec_init(&r);
    feeder_init(&f, p, NULL, rec_sink, &r);
    llmio_error e;
    memset(&e, 0, sizeof(e));
    llmio_status st = p->parse_body(&f.ctx, body, len, &e);
    *log = strdup(llmio__buf_cstr(&r.log));
    *view = rec_view(&r);
    if (err != NULL) {
        *err = e;
    }
    feeder_cleanup(&f);
    rec_cleanup(&r);
    free(body);
    return st;
}

void ph_parse_error(const struct llmio__provider *p, int http_status,
                    const char *body, llmio_error *err)
{
    memset(err, 0, sizeof(*err));
    err->http_status = http_status;
    err->retry_after_ms = -1;
    err->code = http_status == 429   ? LLMIO_E_RATE_LIMIT
                : http_status == 401 ? LLMIO_E_AUTH
                : http_status == 403 ? LLMIO_E_AUTH
                : http_status == 503 ? LLMIO_E_OVERLOADED
                : http_status == 529 ? LLMIO_E_OVERLOADED
                : http_status >= 500 ? LLMIO_E_SERVER
                                     : LLMIO_E_BAD_REQUEST;
    snprintf(err->message, sizeof(err->message), "HTTP %d", http_status);
    p->parse_error(http_status, body, body != NULL ? strlen(body) : 0, err);
}

static llmio_status null_sink(void *ctx, const llmio_delta *d)
{
    (void)ctx;
    (void)d;
    return LLMIO_OK;
}

void ph_torture_stream(const struct llmio__provider *p, const char *case_name)
{
    size_t slen, blen;
    char *stream = case_read(p, case_name, "stream", &slen);
    char *body = NULL;
    FILE *fb = fopen(case_path(p, case_name, "body.json"), "rb");
    if (fb != NULL) {
        fclose(fb);
        body = case_read(p, case_name, "body.json", &blen);
    }
    for (int pass = 0; pass < (body != NULL ? 2 : 1); pass++) {
        /* The status of an undisturbed run: every step ends with it or
         * with NOMEM. */
        llmio_status final;
        {
            struct feeder f;
            feeder_init(&f, p, NULL, null_sink, NULL);
            if (pass == 0) {
                feed(&f, stream, slen);
                feed_end(&f);
                final = f.st;
            } else {
                final = p->parse_body(&f.ctx, body, blen, &f.err);
            }
            feeder_cleanup(&f);
        }
        for (long n = 0;; n++) {
            struct fail_alloc fa;
            fail_alloc_init(&fa, n + 1);
            struct feeder f;
            feeder_init(&f, p, &fa.a, null_sink, NULL);
            llmio_status st;
            if (pass == 0) {
                /* One byte at a time: each event is parsed as soon as
                 * its last byte arrives, like a real stream. */
                for (size_t i = 0; i < slen; i++) {
                    feed(&f, stream + i, 1);
                }
                feed_end(&f);
                st = f.st;
            } else {
                st = p->parse_body(&f.ctx, body, blen, &f.err);
            }
            feeder_cleanup(&f);
            ASSERT_EQ(fa.live, 0);
            if (!fa.failed) {
                /* An in-band error case ends with its mapped status. */
                ASSERT_EQ(st, final);
                break;
            }
            ASSERT(st == LLMIO_E_NOMEM || st == final);
            ASSERT_CMP(n, <, 100000);
        }
    }
    free(stream);
    free(body);
}

llmio_status ph_feed_bytes(const struct llmio__provider *p, const char *data,
                           size_t len)
{
    char *log = NULL;
    llmio_status st = ph_feed_log(p, data, len, &log);
    free(log);
    return st;
}

llmio_status ph_feed_log(const struct llmio__provider *p, const char *data,
                         size_t len, char **log)
{
    struct rec r;
    struct feeder f;
    rec_init(&r);
    feeder_init(&f, p, NULL, rec_sink, &r);
    feed(&f, data, len);
    feed_end(&f);
    llmio_status st = f.st;
    *log = strdup(llmio__buf_cstr(&r.log));
    feeder_cleanup(&f);
    rec_cleanup(&r);
    return st;
}

void ph_check_body_and_stream(const struct llmio__provider *p,
                              const char *case_name)
{
    char *log, *view, *slog, *sview;
    bool done;
    ASSERT_OK(ph_run_body(p, case_name, &log, &view, NULL));
    ph_expect_file(p, case_name, "expected-body-deltas", log);
    ph_expect_file(p, case_name, "expected-view", view);
    ASSERT_OK(ph_run_stream(p, case_name, &slog, &sview, &done, NULL));
    ASSERT(done);
    ph_expect_file(p, case_name, "expected-stream-deltas", slog);
    ASSERT_STR_EQ(sview, view);
    free(log);
    free(view);
    free(slog);
    free(sview);
}

void ph_check_finish(const struct llmio__provider *p, const char *event_fmt,
                     const char *raw, const char *want)
{
    char ev[256], line[128];
    char *log;
    snprintf(ev, sizeof(ev), event_fmt, raw);
    ASSERT_OK(ph_feed_log(p, ev, strlen(ev), &log));
    snprintf(line, sizeof(line), "FINISH choice=0 %s raw=%s\n", want, raw);
    ASSERT_CONTAINS(log, line);
    free(log);
}
