/*
 * bench_embed.c - CPU cost of an embedding response through the library's
 * parser (src/providers/embed.c: JSON parse into a scratch arena, vectors
 * into the response), for the same 100 x 1536 vectors sent as JSON
 * numbers and as base64 (encoding_format). Prints "name value unit" lines:
 *
 *   embed_parse_float_llmio    ms per body, 100 x 1536 floats as numbers
 *   embed_parse_base64_llmio   ms per body, the same as base64
 *   embed_float_bytes / embed_base64_bytes   body sizes
 *
 *   build/bin/bench/bench_embed [REPS]
 */
#include "providers/provider.h"
#include "response.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NVEC 100
#define DIM 1536

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends V's little-endian float32 bytes as base64 at OUT; returns the
 * end. */
static char *put_b64(char *out, const float *v, size_t n)
{
    const unsigned char *p = (const unsigned char *)v; /* x86: LE already */
    size_t len = n * 4;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16;
        if (i + 1 < len) {
            w |= (uint32_t)p[i + 1] << 8;
        }
        if (i + 2 < len) {
            w |= p[i + 2];
        }
        *out++ = b64[(w >> 18) & 63];
        *out++ = b64[(w >> 12) & 63];
        *out++ = i + 1 < len ? b64[(w >> 6) & 63] : '=';
        *out++ = i + 2 < len ? b64[w & 63] : '=';
    }
    return out;
}

/* The body of an OpenAI embeddings response, numbers or base64 (malloc'd). */
static char *make_body(const float *vals, bool base64, size_t *len)
{
    char *b = malloc((size_t)NVEC * DIM * 20 + 4096);
    char *p = b;
    p += sprintf(p, "{\"object\":\"list\",\"data\":[");
    for (int i = 0; i < NVEC; i++) {
        p += sprintf(p,
                     "%s{\"object\":\"embedding\",\"index\":%d,"
                     "\"embedding\":",
                     i ? "," : "", i);
        if (base64) {
            *p++ = '"';
            p = put_b64(p, vals + (size_t)i * DIM, DIM);
            *p++ = '"';
        } else {
            *p++ = '[';
            for (int k = 0; k < DIM; k++) {
                p += sprintf(p, "%s%.9g", k ? "," : "",
                             (double)vals[(size_t)i * DIM + k]);
            }
            *p++ = ']';
        }
        *p++ = '}';
    }
    p += sprintf(p, "],\"model\":\"text-embedding-3-small\",\"usage\":"
                    "{\"prompt_tokens\":800,\"total_tokens\":800}}");
    *len = (size_t)(p - b);
    return b;
}

/* Parses BODY once; returns the elapsed ns, checking the first value. */
static double one(const char *body, size_t len, float first)
{
    struct llmio__arena arena;
    struct llmio_response resp;
    struct llmio__stream_ctx ctx;
    llmio_error err;
    llmio__arena_init(&arena, NULL, 0);
    llmio__response_init(&resp, NULL, &arena, "openai", 64 << 20);
    memset(&ctx, 0, sizeof ctx);
    ctx.arena = &arena;
    ctx.resp = &resp;
    double t0 = now_ns();
    if (llmio__provider_openai.parse_embed(&ctx, body, len, &err) != LLMIO_OK ||
        resp.nemb != NVEC || resp.emb_dim != DIM || resp.emb[0] != first) {
        fprintf(stderr, "bench_embed: parse failed: %s\n", err.message);
        exit(1);
    }
    double t1 = now_ns();
    llmio__response_cleanup(&resp);
    llmio__arena_cleanup(&arena);
    return t1 - t0;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 20;
    float *vals = malloc(sizeof(float) * NVEC * DIM);
    uint32_t x = 12345;
    for (size_t i = 0; i < (size_t)NVEC * DIM; i++) {
        x = x * 1664525u + 1013904223u; /* values like a unit vector's */
        vals[i] = ((float)(x >> 8) / 16777216.0f - 0.5f) * 0.1f;
    }
    for (int mode = 0; mode < 2; mode++) {
        size_t len;
        char *body = make_body(vals, mode == 1, &len);
        double best = 1e30;
        for (int i = 0; i < reps; i++) {
            double ns = one(body, len, vals[0]);
            best = ns < best ? ns : best;
        }
        const char *name = mode == 0 ? "float" : "base64";
        printf("embed_parse_%s_llmio %.3f ms\n", name, best / 1e6);
        printf("embed_parse_%s_llmio_rate %.1f MB/s\n", name,
               (double)len / (best / 1e9) / 1e6);
        printf("embed_%s_bytes %zu B\n", name, len);
        free(body);
    }
    free(vals);
    return 0;
}
