/*
 * fuzz_openai_stream.c - OpenAI streams end to end: bytes -> SSE parser ->
 * parse_event -> accumulator -> finish -> accessors
 * (src/providers/openai.c, src/response.c).
 *
 * Byte 0 picks the chunk size of a second run (1..256 bytes per feed).
 * The oracle: the whole-input run, the chunked run and a run that parses
 * every event in full (no repeat-shape fast path, memo.c) must end with
 * the same status and the same response, read through every accessor; and
 * every delta string must be readable in full (ASan catches a dangling
 * one). Byte 0 with bit 7 set also runs the input as a non-streaming body.
 */
#include "providers/provider.h"
#include "response.h"
#include "sse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
    struct llmio__arena arena;
    struct llmio_response resp;
    struct llmio__stream_ctx ctx;
    _Alignas(16) unsigned char state[LLMIO__OPENAI_STATE_SIZE];
    unsigned sum;
};

static llmio_status sink(void *p, const llmio_delta *d)
{
    struct run *r = p;
    if (d->text_len > 0 && d->text == NULL) {
        abort();
    }
    for (size_t i = 0; i < d->text_len; i++) {
        r->sum += (unsigned char)d->text[i];
    }
    const char *strs[] = {d->tool_id, d->tool_name, d->finish_raw,
                          d->id,      d->model,     d->error_type};
    for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++) {
        for (const char *s = strs[k]; s != NULL && *s; s++) {
            r->sum += (unsigned char)*s;
        }
    }
    if (d->kind == LLMIO_DELTA_USAGE && d->usage == NULL) {
        abort();
    }
    return llmio__response_add(&r->resp, d);
}

static void put(struct llmio__buf *b, const char *s, size_t len)
{
    llmio__buf_appendf(b, "%zu:", len);
    if (s != NULL) {
        llmio__buf_append(b, s, len);
    }
    llmio__buf_appendc(b, '|');
}

static void dump(const llmio_response *r, struct llmio__buf *b)
{
    const char *id = llmio_response_id(r), *m = llmio_response_model(r);
    put(b, id, id != NULL ? strlen(id) : 0);
    put(b, m, m != NULL ? strlen(m) : 0);
    llmio_usage u = llmio_response_usage(r);
    llmio__buf_appendf(
        b, "%lld %lld %lld %lld %lld %lld %zu\n",
        (long long)llmio_response_created(r), (long long)u.prompt_tokens,
        (long long)u.completion_tokens, (long long)u.total_tokens,
        (long long)u.cached_tokens, (long long)u.reasoning_tokens,
        llmio_response_choices(r));
    for (size_t c = 0; c < llmio_response_choices(r); c++) {
        size_t len;
        const char *s = llmio_response_text(r, c, &len);
        put(b, s, len);
        s = llmio_response_reasoning(r, c, &len);
        put(b, s, len);
        s = llmio_response_refusal(r, c);
        put(b, s, s != NULL ? strlen(s) : 0);
        s = llmio_response_finish_raw(r, c);
        put(b, s, s != NULL ? strlen(s) : 0);
        llmio__buf_appendf(b, "%d\n", (int)llmio_response_finish(r, c));
        for (size_t i = 0; i < llmio_response_tool_calls(r, c); i++) {
            const llmio_tool_call *t = llmio_response_tool_call(r, c, i);
            put(b, t->id, t->id != NULL ? strlen(t->id) : 0);
            put(b, t->name, t->name != NULL ? strlen(t->name) : 0);
            put(b, t->arguments, t->arguments_len);
        }
        for (size_t i = 0; i < llmio_response_logprobs(r, c); i++) {
            double lp;
            s = llmio_response_logprob(r, c, i, &lp);
            put(b, s, strlen(s));
        }
    }
    size_t jlen;
    const char *j = llmio_response_json(r, &jlen);
    put(b, j, jlen);
}

/* One run with CHUNK bytes per feed (0: whole), EXACT without the fast
 * path; the response dump goes to OUT. Returns the run's status. */
static llmio_status run_stream(const char *in, size_t len, size_t chunk,
                               bool exact, struct llmio__buf *out)
{
    struct run r;
    struct llmio__sse_parser sp;
    llmio_error err;
    llmio_status st = LLMIO_OK;
    memset(&r, 0, sizeof r);
    memset(&err, 0, sizeof err);
    llmio__arena_init(&r.arena, NULL, 0);
    llmio__response_init(&r.resp, NULL, &r.arena, "openai", 1 << 16);
    llmio__sse_init(&sp, NULL, 1 << 16);
    r.ctx.state = r.state;
    r.ctx.arena = &r.arena;
    r.ctx.sink = sink;
    r.ctx.sink_ctx = &r;
    if (exact) {
        llmio__openai_stream_exact(&r.ctx);
    }
    if (chunk == 0) {
        chunk = len > 0 ? len : 1;
    }
    for (size_t off = 0; off < len && st == LLMIO_OK; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        st = llmio__sse_feed(&sp, in + off, n);
        struct llmio__sse_event ev;
        int k = 0;
        while (st == LLMIO_OK && (k = llmio__sse_next(&sp, &ev)) == 1) {
            if (!r.ctx.done) {
                st = llmio__provider_openai.parse_event(
                    &r.ctx, ev.type, ev.type_len, ev.data, ev.data_len, &err);
            }
        }
        if (st == LLMIO_OK && k < 0) {
            st = llmio__sse_status(&sp);
        }
    }
    if (st != LLMIO_OK && strlen(err.message) >= sizeof err.message) {
        abort();
    }
    if (st == LLMIO_OK) {
        st = llmio__response_finish(&r.resp, NULL, 0);
    }
    if (st == LLMIO_OK) {
        dump(&r.resp, out);
    }
    llmio__buf_appendf(out, "status %d done %d\n", (int)st, (int)r.ctx.done);
    llmio__provider_openai.stream_cleanup(&r.ctx);
    llmio__sse_cleanup(&sp);
    llmio__response_cleanup(&r.resp);
    llmio__arena_cleanup(&r.arena);
    return st;
}

static void run_body(const char *in, size_t len)
{
    struct run r;
    llmio_error err;
    memset(&r, 0, sizeof r);
    memset(&err, 0, sizeof err);
    llmio__arena_init(&r.arena, NULL, 0);
    llmio__response_init(&r.resp, NULL, &r.arena, "openai", 1 << 16);
    r.ctx.state = r.state;
    r.ctx.arena = &r.arena;
    r.ctx.sink = sink;
    r.ctx.sink_ctx = &r;
    llmio_status st = llmio__provider_openai.parse_body(&r.ctx, in, len, &err);
    if (st == LLMIO_OK) {
        st = llmio__response_finish(&r.resp, in, len);
    }
    if (st == LLMIO_OK) {
        struct llmio__buf b;
        llmio__buf_init(&b, NULL, 0);
        dump(&r.resp, &b);
        llmio__buf_cleanup(&b);
    }
    llmio__response_cleanup(&r.resp);
    llmio__arena_cleanup(&r.arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    size_t chunk = (size_t)(data[0] & 0x7f) * 2 + 1;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    struct llmio__buf a, b, c;
    llmio__buf_init(&a, NULL, 0);
    llmio__buf_init(&b, NULL, 0);
    llmio__buf_init(&c, NULL, 0);
    llmio_status sa = run_stream(in, len, 0, false, &a);
    llmio_status sb = run_stream(in, len, chunk, false, &b);
    llmio_status sc = run_stream(in, len, 0, true, &c);
    /* Any split gives the same result (STYLE section 7), and so does the
     * full parse of every event. */
    if (sa != sb || a.len != b.len ||
        (a.len > 0 && memcmp(a.data, b.data, a.len) != 0)) {
        abort();
    }
    if (sa != sc || a.len != c.len ||
        (a.len > 0 && memcmp(a.data, c.data, a.len) != 0)) {
        abort();
    }
    llmio__buf_cleanup(&a);
    llmio__buf_cleanup(&b);
    llmio__buf_cleanup(&c);
    if (data[0] & 0x80) {
        run_body(in, len);
    }
    return 0;
}
