/*
 * provider-fuzz.h - shared body of the provider fuzz targets
 * (fuzz_anthropic_stream.c, fuzz_gemini_stream.c, fuzz_ollama_stream.c).
 *
 * The first input byte picks what is fuzzed: bits 0-1 choose the stream
 * path (the rest framed as SSE or NDJSON, per the provider, and fed in
 * chunks whose size comes from byte 1), the non-streaming body path, or
 * parse_error with an HTTP status from byte 1. The sink reads every byte a
 * delta points to, so ASan catches a dangling pointer.
 */
#ifndef LLMIO_FUZZ_PROVIDER_H
#define LLMIO_FUZZ_PROVIDER_H

#include "providers/provider.h"
#include "sse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static unsigned fuzz_sum;

static void fuzz_touch(const char *s, size_t len)
{
    for (size_t i = 0; s != NULL && i < len; i++) {
        fuzz_sum += (unsigned char)s[i];
    }
}

static llmio_status fuzz_sink(void *ctx, const llmio_delta *d)
{
    (void)ctx;
    if (d->text_len > 0 && d->text == NULL) {
        abort();
    }
    fuzz_touch(d->text, d->text_len);
    if (d->tool_id != NULL) {
        fuzz_touch(d->tool_id, strlen(d->tool_id));
    }
    if (d->tool_name != NULL) {
        fuzz_touch(d->tool_name, strlen(d->tool_name));
    }
    if (d->finish_raw != NULL) {
        fuzz_touch(d->finish_raw, strlen(d->finish_raw));
    }
    if (d->id != NULL) {
        fuzz_touch(d->id, strlen(d->id));
    }
    if (d->model != NULL) {
        fuzz_touch(d->model, strlen(d->model));
    }
    if (d->kind == LLMIO_DELTA_USAGE && d->usage == NULL) {
        abort();
    }
    return LLMIO_OK;
}

static void fuzz_line(const struct llmio__provider *p,
                      struct llmio__stream_ctx *ctx, const char *l, size_t n,
                      llmio_status *st, llmio_error *err)
{
    if (n > 0 && l[n - 1] == '\r') {
        n--;
    }
    if (n > 0 && *st == LLMIO_OK) {
        *st = p->parse_event(ctx, NULL, 0, l, n, err);
    }
}

static int provider_fuzz(const struct llmio__provider *p, const uint8_t *data,
                         size_t size)
{
    if (size < 2) {
        return 0;
    }
    unsigned mode = data[0] & 3;
    size_t chunk = (size_t)data[1] + 1;
    const char *in = (const char *)data + 2;
    size_t len = size - 2;
    llmio_error err;
    memset(&err, 0, sizeof(err));

    if (mode == 3) {
        err.code = LLMIO_E_HTTP;
        err.retry_after_ms = -1;
        p->parse_error(400 + data[1], in, len, &err);
        if (memchr(err.message, '\0', sizeof(err.message)) == NULL) {
            abort();
        }
        fuzz_touch(err.message, strlen(err.message));
        return 0;
    }

    struct llmio__arena arena;
    llmio__arena_init(&arena, NULL, 0);
    void *state = calloc(1, p->state_size > 0 ? p->state_size : 1);
    if (state == NULL) {
        return 0;
    }
    struct llmio__stream_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.state = state;
    ctx.arena = &arena;
    ctx.sink = fuzz_sink;
    llmio_status st = LLMIO_OK;

    if (mode == 2) {
        st = p->parse_body(&ctx, in, len, &err);
    } else if (p->framing == LLMIO__FRAMING_NDJSON) {
        size_t start = 0;
        for (size_t i = 0; i < len; i++) {
            if (in[i] == '\n') {
                fuzz_line(p, &ctx, in + start, i - start, &st, &err);
                start = i + 1;
            }
        }
        fuzz_line(p, &ctx, in + start, len - start, &st, &err);
    } else {
        struct llmio__sse_parser sp;
        llmio__sse_init(&sp, NULL, 1 << 20);
        for (size_t off = 0; off < len && st == LLMIO_OK; off += chunk) {
            size_t n = len - off < chunk ? len - off : chunk;
            if (llmio__sse_feed(&sp, in + off, n) != LLMIO_OK) {
                break;
            }
            struct llmio__sse_event ev;
            while (st == LLMIO_OK && llmio__sse_next(&sp, &ev) == 1) {
                st = p->parse_event(&ctx, ev.type, ev.type_len, ev.data,
                                    ev.data_len, &err);
            }
        }
        llmio__sse_cleanup(&sp);
    }
    if (st != LLMIO_OK &&
        memchr(err.message, '\0', sizeof(err.message)) == NULL) {
        abort();
    }
    if (p->stream_cleanup != NULL) {
        p->stream_cleanup(&ctx);
    }
    free(state);
    llmio__arena_cleanup(&arena);
    return 0;
}

#endif
