/*
 * bench_openai_stream.c - CPU cost of one OpenAI stream chunk through the
 * library's whole stream path: SSE framing, parse_event (JSON parse into
 * the per-event scratch arena, deltas) and the accumulator, plus the final
 * assembly. Prints "name value unit" lines:
 *
 *   openai_stream_chunk_llmio       ns per chunk, SSE + parse + accumulate
 *   openai_parse_event_chunk_llmio  ns per chunk, parse_event + accumulate
 *
 * The chunk is the reference's typical content chunk (openai-chat.md 5a,
 * about 240 bytes), fed in 4 KiB network reads.
 */
#include "providers/provider.h"
#include "response.h"
#include "sse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NCHUNKS 2000

static const char CHUNK[] =
    "data: {\"id\":\"chatcmpl-77a\",\"object\":\"chat.completion.chunk\","
    "\"created\":1760000100,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":"
    "\"fp_1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" dia!\"},"
    "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n";

struct run {
    struct llmio__arena arena;
    struct llmio_response resp;
};

static llmio_status sink(void *p, const llmio_delta *d)
{
    struct run *r = p;
    return llmio__response_add(&r->resp, d);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One stream of NCHUNKS chunks; WITH_SSE false hands the events' data to
 * parse_event directly. Returns the elapsed ns. */
static double one(const char *in, size_t len, bool with_sse)
{
    struct run r;
    _Alignas(16) unsigned char state[LLMIO__OPENAI_STATE_SIZE];
    struct llmio__stream_ctx ctx;
    struct llmio__sse_parser sp;
    llmio_error err;
    memset(state, 0, sizeof state);
    llmio__arena_init(&r.arena, NULL, 0);
    llmio__response_init(&r.resp, NULL, &r.arena, "openai", 64 << 20);
    ctx.state = state;
    ctx.arena = &r.arena;
    ctx.sink = sink;
    ctx.sink_ctx = &r;
    ctx.done = false;
    llmio__sse_init(&sp, NULL, 0);
    const size_t dlen = sizeof CHUNK - 1 - 8; /* without "data: " and \n\n */
    double t0 = now_ns();
    if (with_sse) {
        for (size_t off = 0; off < len; off += 4096) {
            size_t n = len - off < 4096 ? len - off : 4096;
            if (llmio__sse_feed(&sp, in + off, n) != LLMIO_OK) {
                abort();
            }
            struct llmio__sse_event ev;
            while (llmio__sse_next(&sp, &ev) == 1) {
                if (llmio__provider_openai.parse_event(
                        &ctx, ev.type, ev.type_len, ev.data, ev.data_len,
                        &err) != LLMIO_OK) {
                    abort();
                }
            }
        }
    } else {
        for (int i = 0; i < NCHUNKS; i++) {
            if (llmio__provider_openai.parse_event(
                    &ctx, "message", 7, CHUNK + 6, dlen, &err) != LLMIO_OK) {
                abort();
            }
        }
    }
    if (llmio__response_finish(&r.resp, NULL, 0) != LLMIO_OK) {
        abort();
    }
    double t1 = now_ns();
    llmio__provider_openai.stream_cleanup(&ctx);
    llmio__sse_cleanup(&sp);
    llmio__response_cleanup(&r.resp);
    llmio__arena_cleanup(&r.arena);
    return t1 - t0;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 200;
    size_t clen = sizeof CHUNK - 1;
    size_t len = clen * NCHUNKS;
    char *in = malloc(len + 16);
    for (int i = 0; i < NCHUNKS; i++) {
        memcpy(in + (size_t)i * clen, CHUNK, clen);
    }
    memcpy(in + len, "data: [DONE]\n\n", 14);
    len += 14;
    for (int mode = 0; mode < 2; mode++) {
        double best = 1e30;
        for (int i = 0; i < reps; i++) {
            double ns = one(in, len, mode == 0);
            if (ns < best) {
                best = ns;
            }
        }
        printf("%s %.1f ns\n",
               mode == 0 ? "openai_stream_chunk_llmio"
                         : "openai_parse_event_chunk_llmio",
               best / NCHUNKS);
    }
    printf("openai_stream_chunk_bytes %zu B\n", clen);
    free(in);
    return 0;
}
