/*
 * bench_engine.c - llmio's C load program (row "llmio-c" of bench/): keeps
 * --concurrency requests in flight on one thread with the public API only
 * (a done callback submits the next request) and reports client CPU per
 * request. It speaks the bench client protocol (bench/README.md):
 *
 *   bench_engine --base-url URL --concurrency N (--duration S | --requests N)
 *                [--warmup S] [--stream] [--expect-len N] [--expect-chunks N]
 *                [--model M] [--cacert FILE]
 *
 * and prints the RESULT line, then stable "name value unit" lines:
 *   llmio_c<N>_us_per_req X us        client CPU (user+sys) per request
 *   llmio_c<N>_req_per_s X req/s
 *   llmio_stream_ns_per_chunk X ns    with --stream: CPU per content delta
 *
 * Every reply is checked (status OK; content length == --expect-len and,
 * for streams, content deltas == --expect-chunks when given). With
 * --stream, ttft_p50_ms is the median time from submit to the first
 * content delta reaching the stream callback (0 without --stream).
 */
#include "llmio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct opts {
    const char *base_url;
    const char *model;
    const char *cacert; /* --cacert: CA bundle for an https base URL */
    long concurrency;
    double duration, warmup;
    long requests;
    bool stream;
    long expect_len, expect_chunks;
};

struct bench;

struct slot {
    struct bench *b;
    double t0, t_first;
    size_t text_len;
    long chunks;
};

struct bench {
    struct opts o;
    llmio_client *c;
    llmio_request *req;
    bool timed;    /* counting */
    bool stopping; /* no more submits */
    long submitted;
    long ok, failed, chunks;
    double *lat;
    size_t nlat, cap;
    double *ttft; /* streams: submit to first content delta, ms */
    size_t nttft, cap_ttft;
    char first_error[160];
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long proc_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;
    size_t n = strlen(field);
    if (f == NULL) {
        return 0;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
        }
    }
    fclose(f);
    return v;
}

static void submit_one(struct bench *b, struct slot *s);

static int on_delta(llmio_future *f, const llmio_delta *d, void *user)
{
    (void)f;
    struct slot *s = user;
    if (d->kind == LLMIO_DELTA_TEXT) {
        if (s->chunks++ == 0) {
            s->t_first = now_s();
        }
        s->text_len += d->text_len;
    }
    return 0;
}

static void on_done(llmio_future *f, void *user)
{
    struct slot *s = user;
    struct bench *b = s->b;
    bool good = llmio_future_status(f) == LLMIO_OK;
    if (good && !b->o.stream) {
        size_t len = 0;
        llmio_response_text(llmio_future_response(f), 0, &len);
        s->text_len = len;
    }
    if (good && b->o.expect_len >= 0 && (long)s->text_len != b->o.expect_len) {
        good = false;
        if (b->first_error[0] == '\0') {
            snprintf(b->first_error, sizeof b->first_error,
                     "content_length_%zu_expected_%ld", s->text_len,
                     b->o.expect_len);
        }
    }
    if (good && b->o.stream && b->o.expect_chunks >= 0 &&
        s->chunks != b->o.expect_chunks) {
        good = false;
        if (b->first_error[0] == '\0') {
            snprintf(b->first_error, sizeof b->first_error,
                     "chunks_%ld_expected_%ld", s->chunks, b->o.expect_chunks);
        }
    }
    if (!good && b->first_error[0] == '\0') {
        const llmio_error *e = llmio_future_error(f);
        snprintf(b->first_error, sizeof b->first_error, "%s:%.120s",
                 llmio_status_name(e->code), e->message);
        for (char *p = b->first_error; *p; p++) {
            if (*p == ' ') {
                *p = '_';
            }
        }
    }
    if (b->timed) {
        if (good) {
            b->ok++;
            b->chunks += s->chunks;
            if (b->nlat == b->cap) {
                b->cap = b->cap ? b->cap * 2 : 4096;
                b->lat = realloc(b->lat, b->cap * sizeof *b->lat);
            }
            b->lat[b->nlat++] = (now_s() - s->t0) * 1000.0;
            if (b->o.stream && s->chunks > 0) {
                if (b->nttft == b->cap_ttft) {
                    b->cap_ttft = b->cap_ttft ? b->cap_ttft * 2 : 4096;
                    b->ttft = realloc(b->ttft, b->cap_ttft * sizeof *b->ttft);
                }
                b->ttft[b->nttft++] = (s->t_first - s->t0) * 1000.0;
            }
        } else {
            b->failed++;
        }
    }
    llmio_future_free(f);
    if (!b->stopping && (b->o.requests <= 0 || b->submitted < b->o.requests)) {
        submit_one(b, s);
    } else {
        free(s);
    }
}

static void submit_one(struct bench *b, struct slot *s)
{
    s->t0 = now_s();
    s->text_len = 0;
    s->chunks = 0;
    llmio_future *f = NULL;
    llmio_error err;
    if (llmio_submit(b->c, b->req, on_done, s, &f, &err) != LLMIO_OK) {
        fprintf(stderr, "bench_engine: submit: %s\n", err.message);
        exit(1);
    }
    b->submitted++;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    if (n == 0) {
        return 0;
    }
    size_t i = (size_t)(p * (double)(n - 1));
    return v[i];
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_engine --base-url URL --concurrency N "
                    "(--duration S | --requests N) [--warmup S] [--stream] "
                    "[--expect-len N] [--expect-chunks N] [--model M] "
                    "[--cacert FILE]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct bench b;
    memset(&b, 0, sizeof b);
    b.o.concurrency = 64;
    b.o.duration = 5;
    b.o.expect_len = -1;
    b.o.expect_chunks = -1;
    b.o.model = "gpt-4o-mini";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--stream") == 0) {
            b.o.stream = true;
            continue;
        }
        if (v == NULL) {
            usage();
        }
        i++;
        if (strcmp(a, "--base-url") == 0) {
            b.o.base_url = v;
        } else if (strcmp(a, "--model") == 0) {
            b.o.model = v;
        } else if (strcmp(a, "--cacert") == 0) {
            b.o.cacert = v;
        } else if (strcmp(a, "--concurrency") == 0) {
            b.o.concurrency = strtol(v, NULL, 10);
        } else if (strcmp(a, "--duration") == 0) {
            b.o.duration = strtod(v, NULL);
        } else if (strcmp(a, "--warmup") == 0) {
            b.o.warmup = strtod(v, NULL);
        } else if (strcmp(a, "--requests") == 0) {
            b.o.requests = strtol(v, NULL, 10);
        } else if (strcmp(a, "--expect-len") == 0) {
            b.o.expect_len = strtol(v, NULL, 10);
        } else if (strcmp(a, "--expect-chunks") == 0) {
            b.o.expect_chunks = strtol(v, NULL, 10);
        } else if (strcmp(a, "--expect-bytes") == 0) {
            /* Raw-byte clients only; replies here are checked by content. */
        } else {
            usage();
        }
    }
    if (b.o.base_url == NULL || b.o.concurrency <= 0) {
        usage();
    }
    if (b.o.requests > 0) {
        b.o.warmup = 0;
    }
    if (llmio_global_init() != LLMIO_OK ||
        llmio_client_new(NULL, &b.c) != LLMIO_OK ||
        llmio_client_set_base_url(b.c, NULL, b.o.base_url) != LLMIO_OK ||
        llmio_client_set_api_key(b.c, NULL, "sk-bench-0000") != LLMIO_OK ||
        (b.o.cacert != NULL &&
         llmio_client_set_ca(b.c, b.o.cacert, NULL, NULL) != LLMIO_OK)) {
        fprintf(stderr, "bench_engine: client setup failed\n");
        return 1;
    }
    char model[256];
    snprintf(model, sizeof model, "openai/%s", b.o.model);
    b.req = llmio_request_new(model);
    llmio_request_add_message(b.req, LLMIO_ROLE_USER, "Say hello.");
    if (b.o.stream) {
        llmio_request_set_stream(b.req, on_delta, false);
    }
    if (llmio_request_error(b.req, NULL) != LLMIO_OK) {
        fprintf(stderr, "bench_engine: request setup failed\n");
        return 1;
    }

    long n0 = b.o.requests > 0 && b.o.requests < b.o.concurrency
                  ? b.o.requests
                  : b.o.concurrency;
    b.timed = b.o.warmup <= 0;
    for (long i = 0; i < n0; i++) {
        struct slot *s = calloc(1, sizeof *s);
        s->b = &b;
        submit_one(&b, s);
    }
    double t_start = now_s();
    if (b.o.warmup > 0) {
        while (now_s() - t_start < b.o.warmup) {
            llmio_client_run(b.c, 50);
        }
        b.timed = true;
    }
    long rss0 = proc_kb("VmRSS");
    double w0 = now_s(), c0 = cpu_s();
    double w1, c1;
    if (b.o.requests > 0) {
        llmio_client_run(b.c, -1);
        w1 = now_s();
        c1 = cpu_s();
    } else {
        while (now_s() - w0 < b.o.duration) {
            llmio_client_run(b.c, 50);
        }
        w1 = now_s();
        c1 = cpu_s();
        b.timed = false;
        b.stopping = true;
        llmio_client_run(b.c, 30000);
    }
    double wall = w1 - w0, cpu = c1 - c0;
    qsort(b.lat, b.nlat, sizeof *b.lat, cmp_double);
    qsort(b.ttft, b.nttft, sizeof *b.ttft, cmp_double);
    printf("RESULT ok=%ld failed=%ld wall_s=%.3f cpu_s=%.3f p50_ms=%.3f "
           "p99_ms=%.3f ttft_p50_ms=%.3f chunks=%ld rss0_kb=%ld "
           "rss_peak_kb=%ld first_error=%s\n",
           b.ok, b.failed, wall, cpu, pct(b.lat, b.nlat, 0.5),
           pct(b.lat, b.nlat, 0.99), pct(b.ttft, b.nttft, 0.5), b.chunks, rss0,
           proc_kb("VmHWM"), b.first_error[0] ? b.first_error : "none");
    long done = b.ok + b.failed;
    if (done > 0) {
        printf("llmio_c%ld%s_us_per_req %.2f us\n", b.o.concurrency,
               b.o.stream ? "_stream" : "", cpu * 1e6 / (double)done);
        printf("llmio_c%ld%s_req_per_s %.0f req/s\n", b.o.concurrency,
               b.o.stream ? "_stream" : "", (double)done / wall);
    }
    if (b.o.stream && b.chunks > 0) {
        printf("llmio_stream_ns_per_chunk %.1f ns\n",
               cpu * 1e9 / (double)b.chunks);
    }
    llmio_request_free(b.req);
    llmio_client_free(b.c);
    free(b.lat);
    free(b.ttft);
    llmio_global_cleanup();
    return b.failed > 0 ? 1 : 0;
}
