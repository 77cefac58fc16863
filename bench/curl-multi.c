/*
 * curl-multi.c - a raw libcurl multi loop: the floor under any libcurl-based
 * client, llmio included. It posts the same chat request as the other bench
 * clients and speaks their command line and RESULT line (bench/README.md):
 *
 *   curl-multi --base-url URL --concurrency N (--duration S | --requests N)
 *              [--warmup S] [--stream] [--expect-bytes N] [--expect-chunks N]
 *              [--http2] [--cacert FILE]
 *
 * The loop is the one llmio's engine uses: curl_multi_socket_action driven
 * by epoll, with libcurl's socket and timer callbacks. Every transfer is
 * checked: CURLE_OK, HTTP 200 and exactly --expect-bytes body bytes (the
 * bench bodies are static, so an exact size is an exact-content check);
 * then chunks are counted as --expect-chunks per stream. No JSON is parsed:
 * this measures the transport alone. --http2 speaks HTTP/2 and multiplexes
 * up to 1,024 streams per connection: with prior knowledge on http://, by
 * ALPN on https://; without it every transfer is HTTP/1.1, on https://
 * too. --cacert trusts FILE's CAs (CURLOPT_CAINFO). RESULT's conns= counts
 * the connections the timed transfers opened (CURLINFO_NUM_CONNECTS).
 * Run it with LD_LIBRARY_PATH pointing at
 * build/curl8/lib to measure libcurl 8 (bench/libcurl8.sh).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

struct opts {
    const char *base_url;
    long concurrency;
    double duration, warmup;
    long requests;
    int stream, http2;
    long expect_bytes, expect_chunks;
    const char *cacert;
};

struct slot {
    CURL *easy;
    double t0, t_first;
    long bytes;
};

struct stats {
    long ok, failed, chunks, conns;
    double *lat, *ttft;
    size_t nlat, cap;
    char first_error[128];
};

static int g_epfd;
static long g_timeout_ms = -1;

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
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            v = atol(line + n + 1);
    fclose(f);
    return v;
}

static size_t on_write(char *p, size_t sz, size_t n, void *ud)
{
    struct slot *s = ud;
    (void)p;
    if (s->bytes == 0)
        s->t_first = now_s();
    s->bytes += (long)(sz * n);
    return sz * n;
}

/* libcurl socket callback: mirror its wishes into epoll. */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *u, void *sp)
{
    struct epoll_event ev = {0};
    (void)e, (void)u;
    ev.data.fd = fd;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(g_epfd, EPOLL_CTL_DEL, fd, NULL);
        return 0;
    }
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) |
                (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    if (epoll_ctl(g_epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
        epoll_ctl(g_epfd, EPOLL_CTL_ADD, fd, &ev);
    (void)sp;
    return 0;
}

static int on_timer(CURLM *m, long ms, void *u)
{
    (void)m, (void)u;
    g_timeout_ms = ms;
    return 0;
}

/* Appends one latency and one time-to-first-byte sample. */
static void record(struct stats *st, double lat, double ttft)
{
    if (st->nlat == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 4096;
        st->lat = realloc(st->lat, st->cap * sizeof(double));
        st->ttft = realloc(st->ttft, st->cap * sizeof(double));
        if (!st->lat || !st->ttft) {
            perror("realloc");
            exit(1);
        }
    }
    st->lat[st->nlat] = lat;
    st->ttft[st->nlat] = ttft;
    st->nlat++;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double q)
{
    size_t i;
    if (n == 0)
        return 0;
    i = (size_t)(q * (double)n);
    return v[i < n ? i : n - 1];
}

/* Runs one phase: keeps CONCURRENCY transfers going until DEADLINE (or
 * exactly COUNT transfers when COUNT > 0); ST may be NULL (warm-up). */
static void phase(CURLM *m, struct slot *slots, const struct opts *o,
                  struct stats *st, double deadline, long count)
{
    long started = 0, running = 0, i;
    int still = 0;
    struct epoll_event evs[256];

    for (i = 0; i < o->concurrency && (count <= 0 || started < count); i++) {
        slots[i].t0 = now_s();
        slots[i].bytes = 0;
        curl_multi_add_handle(m, slots[i].easy);
        started++, running++;
    }
    while (running > 0) {
        int n = epoll_wait(g_epfd, evs, 256, g_timeout_ms < 0 ? 100 : (int)g_timeout_ms);
        CURLMsg *msg;
        int left;
        if (n <= 0) {
            g_timeout_ms = -1;
            curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &still);
        }
        for (int k = 0; k < n; k++) {
            int f = (evs[k].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                    (evs[k].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                    (evs[k].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(m, evs[k].data.fd, f, &still);
        }
        while ((msg = curl_multi_info_read(m, &left))) {
            struct slot *s;
            long code = 0;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            if (st) {
                long nc = 0;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_NUM_CONNECTS, &nc);
                st->conns += nc;
                int good = msg->data.result == CURLE_OK && code == 200 &&
                           (o->expect_bytes < 0 || s->bytes == o->expect_bytes);
                if (good) {
                    double t = now_s();
                    st->ok++;
                    st->chunks += o->expect_chunks > 0 ? o->expect_chunks : 0;
                    record(st, t - s->t0, s->t_first - s->t0);
                } else {
                    st->failed++;
                    if (!st->first_error[0])
                        snprintf(st->first_error, sizeof st->first_error,
                                 "curl=%d_http=%ld_bytes=%ld", (int)msg->data.result,
                                 code, s->bytes);
                }
            }
            curl_multi_remove_handle(m, s->easy);
            running--;
            if (count > 0 ? started < count : now_s() < deadline) {
                s->t0 = now_s();
                s->bytes = 0;
                curl_multi_add_handle(m, s->easy);
                started++, running++;
            }
        }
    }
}

int main(int argc, char **argv)
{
    struct opts o = {NULL, 1, 3.0, 1.0, 0, 0, 0, -1, -1, NULL};
    struct stats st = {0};
    struct curl_slist *hdr = NULL;
    struct slot *slots;
    char url[1024];
    const char *body;
    CURLM *m;
    double t0, c0, wall, cpu;
    long rss0, i;

    for (int a = 1; a < argc; a++) {
        const char *k = argv[a], *v = a + 1 < argc ? argv[a + 1] : "0";
        if (!strcmp(k, "--stream") || !strcmp(k, "--http2")) {
            *(k[2] == 's' ? &o.stream : &o.http2) = 1;
            continue;
        }
        if (!strcmp(k, "--base-url"))
            o.base_url = v;
        else if (!strcmp(k, "--concurrency"))
            o.concurrency = atol(v);
        else if (!strcmp(k, "--duration"))
            o.duration = atof(v);
        else if (!strcmp(k, "--requests"))
            o.requests = atol(v);
        else if (!strcmp(k, "--warmup"))
            o.warmup = atof(v);
        else if (!strcmp(k, "--expect-bytes"))
            o.expect_bytes = atol(v);
        else if (!strcmp(k, "--expect-chunks"))
            o.expect_chunks = atol(v);
        else if (!strcmp(k, "--cacert"))
            o.cacert = v;
        else if (strcmp(k, "--expect-len") && strcmp(k, "--model")) {
            fprintf(stderr, "curl-multi: unknown argument %s\n", k);
            return 2;
        }
        a++;
    }
    if (!o.base_url || o.concurrency < 1) {
        fprintf(stderr, "usage: curl-multi --base-url URL --concurrency N ...\n");
        return 2;
    }
    if (o.requests > 0 && o.concurrency > o.requests)
        o.concurrency = o.requests;
    snprintf(url, sizeof url, "%s/chat/completions", o.base_url);
    body = o.stream ? "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
                      "\"content\":\"Say hello.\"}],\"stream\":true}"
                    : "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
                      "\"content\":\"Say hello.\"}]}";

    curl_global_init(CURL_GLOBAL_DEFAULT);
    g_epfd = epoll_create1(EPOLL_CLOEXEC);
    m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, o.concurrency);
    if (o.http2) {
        curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
        curl_multi_setopt(m, CURLMOPT_MAX_CONCURRENT_STREAMS, 1024L);
    }
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Authorization: Bearer sk-bench");
    hdr = curl_slist_append(hdr, "Expect:");
    slots = calloc((size_t)o.concurrency, sizeof *slots);
    for (i = 0; i < o.concurrency; i++) {
        CURL *e = curl_easy_init();
        slots[i].easy = e;
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &slots[i]);
        curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)&slots[i]);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT, 120L);
        if (o.cacert)
            curl_easy_setopt(e, CURLOPT_CAINFO, o.cacert);
        if (o.http2) {
            curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                             strncmp(url, "https:", 6) ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
                                                       : CURL_HTTP_VERSION_2TLS);
            curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
        } else {
            /* libcurl's own default on https:// is HTTP/2 by ALPN. */
            curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
        }
    }

    if (o.warmup > 0 && o.requests <= 0)
        phase(m, slots, &o, NULL, now_s() + o.warmup, 0);
    rss0 = proc_kb("VmRSS");
    c0 = cpu_s();
    t0 = now_s();
    phase(m, slots, &o, &st, now_s() + o.duration, o.requests);
    wall = now_s() - t0;
    cpu = cpu_s() - c0;
    qsort(st.lat, st.nlat, sizeof(double), cmp_d);
    if (st.ttft)
        qsort(st.ttft, st.nlat, sizeof(double), cmp_d);
    printf("RESULT ok=%ld failed=%ld wall_s=%.6f cpu_s=%.6f p50_ms=%.3f p99_ms=%.3f "
           "ttft_p50_ms=%.3f chunks=%ld rss0_kb=%ld rss_peak_kb=%ld conns=%ld curl=%s "
           "first_error=%s\n",
           st.ok, st.failed, wall, cpu, pct(st.lat, st.nlat, 0.5) * 1e3,
           pct(st.lat, st.nlat, 0.99) * 1e3,
           st.ttft ? pct(st.ttft, st.nlat, 0.5) * 1e3 : 0.0, st.chunks, rss0,
           proc_kb("VmHWM"), st.conns, curl_version_info(CURLVERSION_NOW)->version,
           st.first_error[0] ? st.first_error : "-");

    for (i = 0; i < o.concurrency; i++)
        curl_easy_cleanup(slots[i].easy);
    free(slots);
    curl_multi_cleanup(m);
    curl_slist_free_all(hdr);
    curl_global_cleanup();
    free(st.lat);
    free(st.ttft);
    return 0;
}
