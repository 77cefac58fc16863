/*
 * openai-harness.c - see openai-harness.h.
 */
#include "openai-harness.h"

#include "alloc.h"
#include "sse.h"

#include <stdlib.h>

static void put_escaped(struct llmio__buf *b, const char *s, size_t len)
{
    llmio__buf_appendc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            llmio__buf_appendf(b, "\\%c", c);
        } else if (c == '\n') {
            llmio__buf_appends(b, "\\n");
        } else if (c < 0x20 || c == 0x7f) {
            llmio__buf_appendf(b, "\\x%02x", c);
        } else {
            llmio__buf_appendc(b, (char)c);
        }
    }
    llmio__buf_appendc(b, '"');
}

static const char *nn(const char *s)
{
    return s != NULL ? s : "-";
}

static llmio_status sink(void *p, const llmio_delta *d)
{
    struct oh_run *r = p;
    struct llmio__buf *b = &r->dump;
    switch (d->kind) {
    case LLMIO_DELTA_START:
        llmio__buf_appendf(b, "START c=%d id=%s model=%s created=%lld\n",
                           d->choice, nn(d->id), nn(d->model),
                           (long long)d->created);
        break;
    case LLMIO_DELTA_TEXT:
    case LLMIO_DELTA_REASONING:
    case LLMIO_DELTA_REFUSAL:
        llmio__buf_appendf(b, "%s c=%d ",
                           d->kind == LLMIO_DELTA_TEXT        ? "TEXT"
                           : d->kind == LLMIO_DELTA_REASONING ? "REASONING"
                                                              : "REFUSAL",
                           d->choice);
        put_escaped(b, d->text, d->text_len);
        llmio__buf_appendc(b, '\n');
        break;
    case LLMIO_DELTA_TOOL_CALL:
        llmio__buf_appendf(b, "TOOL c=%d i=%d id=%s name=%s ", d->choice,
                           d->tool_index, nn(d->tool_id), nn(d->tool_name));
        put_escaped(b, d->text != NULL ? d->text : "", d->text_len);
        llmio__buf_appendc(b, '\n');
        break;
    case LLMIO_DELTA_FINISH:
        llmio__buf_appendf(b, "FINISH c=%d %d %s\n", d->choice, (int)d->finish,
                           nn(d->finish_raw));
        break;
    case LLMIO_DELTA_USAGE:
        llmio__buf_appendf(b, "USAGE %lld %lld %lld %lld %lld\n",
                           (long long)d->usage->prompt_tokens,
                           (long long)d->usage->completion_tokens,
                           (long long)d->usage->total_tokens,
                           (long long)d->usage->cached_tokens,
                           (long long)d->usage->reasoning_tokens);
        break;
    case LLMIO_DELTA_LOGPROB:
        llmio__buf_appendf(b, "LOGPROB c=%d ", d->choice);
        put_escaped(b, d->text, d->text_len);
        llmio__buf_appendf(b, " %.6g\n", d->logprob);
        break;
    case LLMIO_DELTA_ERROR:
        llmio__buf_appendf(b, "ERROR type=%s ", nn(d->error_type));
        put_escaped(b, d->text, d->text_len);
        llmio__buf_appendc(b, '\n');
        break;
    default:
        llmio__buf_appendf(b, "KIND %d\n", (int)d->kind);
        break;
    }
    r->ndeltas++;
    llmio_status st = llmio__response_add(&r->resp, d);
    if (st != LLMIO_OK && r->add_st == LLMIO_OK) {
        r->add_st = st;
    }
    if (st != LLMIO_OK) {
        return st;
    }
    if (r->stop_after != 0 && r->ndeltas >= r->stop_after) {
        return LLMIO_E_ABORTED;
    }
    return LLMIO_OK;
}

bool oh_exact;

void oh_run_init(struct oh_run *r, const llmio_allocator *alloc)
{
    memset(r, 0, sizeof *r);
    r->alloc = alloc;
    llmio__arena_init(&r->arena, alloc, 0);
    llmio__response_init(&r->resp, alloc, &r->arena, "openai", 1 << 20);
    /* The dump uses libc so allocation torture counts only the library. */
    llmio__buf_init(&r->dump, NULL, 0);
    r->ctx.state = r->state;
    r->ctx.arena = &r->arena;
    r->ctx.sink = sink;
    r->ctx.sink_ctx = r;
    r->err.retry_after_ms = -1;
    if (oh_exact) {
        llmio__openai_stream_exact(&r->ctx);
    }
}

void oh_run_cleanup(struct oh_run *r)
{
    llmio__openai_stream_cleanup(&r->ctx);
    llmio__response_cleanup(&r->resp);
    llmio__arena_cleanup(&r->arena);
    llmio__buf_cleanup(&r->dump);
}

void oh_dump_response(const llmio_response *resp, struct llmio__buf *b)
{
    llmio_usage u = llmio_response_usage(resp);
    llmio__buf_appendf(
        b,
        "== response id=%s model=%s created=%lld "
        "provider=%s choices=%zu\n",
        nn(llmio_response_id(resp)), nn(llmio_response_model(resp)),
        (long long)llmio_response_created(resp),
        nn(llmio_response_provider(resp)), llmio_response_choices(resp));
    llmio__buf_appendf(
        b, "usage %lld %lld %lld %lld %lld\n", (long long)u.prompt_tokens,
        (long long)u.completion_tokens, (long long)u.total_tokens,
        (long long)u.cached_tokens, (long long)u.reasoning_tokens);
    for (size_t c = 0; c < llmio_response_choices(resp); c++) {
        size_t len;
        const char *s;
        llmio__buf_appendf(b, "choice %zu finish=%d raw=%s\n", c,
                           (int)llmio_response_finish(resp, c),
                           nn(llmio_response_finish_raw(resp, c)));
        s = llmio_response_text(resp, c, &len);
        if (s != NULL) {
            llmio__buf_appends(b, "  text ");
            put_escaped(b, s, len);
            llmio__buf_appendc(b, '\n');
        }
        s = llmio_response_reasoning(resp, c, &len);
        if (s != NULL) {
            llmio__buf_appends(b, "  reasoning ");
            put_escaped(b, s, len);
            llmio__buf_appendc(b, '\n');
        }
        s = llmio_response_refusal(resp, c);
        if (s != NULL) {
            llmio__buf_appends(b, "  refusal ");
            put_escaped(b, s, strlen(s));
            llmio__buf_appendc(b, '\n');
        }
        for (size_t i = 0; i < llmio_response_tool_calls(resp, c); i++) {
            const llmio_tool_call *t = llmio_response_tool_call(resp, c, i);
            llmio__buf_appendf(b, "  tool %zu id=%s name=%s ", i, nn(t->id),
                               nn(t->name));
            put_escaped(b, t->arguments, t->arguments_len);
            llmio__buf_appendc(b, '\n');
        }
        for (size_t i = 0; i < llmio_response_logprobs(resp, c); i++) {
            double lp;
            s = llmio_response_logprob(resp, c, i, &lp);
            llmio__buf_appends(b, "  logprob ");
            put_escaped(b, s, strlen(s));
            llmio__buf_appendf(b, " %.6g\n", lp);
        }
    }
}

char *oh_body(const struct llmio__provider *p, const char *body, size_t len,
              const llmio_allocator *alloc, llmio_status *st)
{
    struct oh_run r;
    oh_run_init(&r, alloc);
    llmio_status s = p->parse_body(&r.ctx, body, len, &r.err);
    if (s != LLMIO_OK) {
        llmio__buf_appendf(&r.dump, "FAIL %s: %s\n", llmio_status_name(s),
                           r.err.message);
    } else {
        s = llmio__response_finish(&r.resp, body, len);
        if (s == LLMIO_OK) {
            oh_dump_response(&r.resp, &r.dump);
        }
    }
    if (st != NULL) {
        *st = s;
    }
    char *out = strdup(llmio__buf_cstr(&r.dump));
    oh_run_cleanup(&r);
    return out;
}

void oh_save_actual(const char *path, const char *actual)
{
    char apath[1100];
    snprintf(apath, sizeof apath, "%s/%s.actual", test_srcdir(), path);
    FILE *f = fopen(apath, "wb");
    if (f != NULL) {
        fputs(actual, f);
        fclose(f);
    }
}

void oh_expect_file(const char *path, const char *actual)
{
    char full[1024];
    snprintf(full, sizeof full, "%s/%s", test_srcdir(), path);
    const char *regen = getenv("LLMIO_TEST_REGEN");
    if (regen != NULL && regen[0] == '1') {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", full);
        ASSERT_EQ(system(cmd), 0);
        FILE *f = fopen(full, "wb");
        ASSERT_NOT_NULL(f);
        fputs(actual, f);
        fclose(f);
        return;
    }
    FILE *probe = fopen(full, "rb");
    bool exists = probe != NULL;
    if (exists) {
        fclose(probe);
        size_t len;
        char *want = test_read_file(full, &len);
        bool same = strcmp(want, actual) == 0;
        free(want);
        if (same) {
            return;
        }
    }
    oh_save_actual(path, actual);
    test_fail_(__FILE__, __LINE__, "%s %s (wrote %s.actual); actual:\n%s", path,
               exists ? "differs" : "is missing", path, actual);
}

/* Feeds one piece; returns false once the run has failed. */
static bool feed(const struct llmio__provider *p, struct llmio__sse_parser *sp,
                 struct oh_run *r, const char *in, size_t len)
{
    if (r->st != LLMIO_OK) {
        return false;
    }
    llmio_status st = llmio__sse_feed(sp, in, len);
    if (st != LLMIO_OK) {
        r->st = st;
        llmio__buf_appendf(&r->dump, "FAIL sse %s\n", llmio_status_name(st));
        return false;
    }
    struct llmio__sse_event ev;
    int k;
    while ((k = llmio__sse_next(sp, &ev)) == 1) {
        if (r->ctx.done) {
            continue;
        }
        st = p->parse_event(&r->ctx, ev.type, ev.type_len, ev.data, ev.data_len,
                            &r->err);
        if (st != LLMIO_OK) {
            r->st = st;
            llmio__buf_appendf(&r->dump, "FAIL %s: %s [type=%s code=%s]\n",
                               llmio_status_name(st), r->err.message,
                               r->err.provider_type, r->err.provider_code);
            return false;
        }
    }
    if (k < 0) {
        r->st = llmio__sse_status(sp);
        llmio__buf_appendf(&r->dump, "FAIL sse %s\n", llmio_status_name(r->st));
        return false;
    }
    return true;
}

char *oh_stream(const struct llmio__provider *p, const char *in, size_t len,
                size_t chunk, size_t split_at, const llmio_allocator *alloc,
                llmio_status *st)
{
    struct oh_run r;
    struct llmio__sse_parser sp;
    oh_run_init(&r, alloc);
    llmio__sse_init(&sp, alloc, 0);
    if (split_at > 0 && split_at < len) {
        if (feed(p, &sp, &r, in, split_at)) {
            feed(p, &sp, &r, in + split_at, len - split_at);
        }
    } else if (chunk == 0) {
        feed(p, &sp, &r, in, len);
    } else {
        for (size_t off = 0; off < len; off += chunk) {
            size_t n = len - off < chunk ? len - off : chunk;
            if (!feed(p, &sp, &r, in + off, n)) {
                break;
            }
        }
    }
    if (r.st == LLMIO_OK) {
        if (!r.ctx.done) {
            llmio__buf_appends(&r.dump, "NO [DONE]\n");
        } else {
            llmio__buf_appends(&r.dump, "DONE\n");
        }
        r.st = llmio__response_finish(&r.resp, NULL, 0);
        if (r.st == LLMIO_OK) {
            oh_dump_response(&r.resp, &r.dump);
            size_t jlen;
            const char *j = llmio_response_json(&r.resp, &jlen);
            llmio__buf_appends(&r.dump, "json ");
            llmio__buf_append(&r.dump, j, jlen);
            llmio__buf_appendc(&r.dump, '\n');
        }
    }
    if (st != NULL) {
        *st = r.st;
    }
    char *out = strdup(llmio__buf_cstr(&r.dump));
    llmio__sse_cleanup(&sp);
    oh_run_cleanup(&r);
    return out;
}
