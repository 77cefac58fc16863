/*
 * stress.h - the fault-injection stress run of issue 4, shared by the
 * test (tests/integration/test-retry-stress.c) and the figures program
 * (bench/stress_faults.c), so both run exactly the same thing.
 *
 * N requests against llmio-mock, all submitted at once to one client
 * capped at CONCURRENCY attempts on the wire; half of them streamed (with
 * the opt-in stream restart). FAULT_PCT percent carry a deterministic
 * fault for their first K attempts (the mock's fail-first=K with a key per
 * request), spread evenly over six kinds: 429 with Retry-After (seconds,
 * or retry-after-ms), 500, 503, 529, a reset before any response byte, and
 * a stall (no first byte for a plain request: first-byte timeout; two
 * words then silence for a stream: idle timeout, then a restart). K <= 2
 * and 3 attempts are allowed, so every request must end in success.
 * With RPM > 0 the client is rate limited (llmio_client_set_rate_limit)
 * and the mock's per-second counts, polled during the run, give the most
 * requests the server saw in any 60 s window.
 *
 * Header-only (static functions), public API plus libcurl's easy
 * interface for the mock's /mock/stats: no test or library internals.
 */
#ifndef LLMIO_BENCH_STRESS_H
#define LLMIO_BENCH_STRESS_H

#include "llmio.h"

#include <curl/curl.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum stress_kind {
    STRESS_OK = 0,
    STRESS_429,
    STRESS_500,
    STRESS_503,
    STRESS_529,
    STRESS_RESET,
    STRESS_STALL,
    STRESS_NKINDS
};

static const char *const stress_kind_name[STRESS_NKINDS] = {
    "ok", "429", "500", "503", "529", "reset", "stall"};

struct stress_cfg {
    const char *base_url; /* the mock's "http://127.0.0.1:PORT" */
    int requests;
    int concurrency;
    int fault_pct;
    int64_t rpm;        /* 0: no rate limit */
    int64_t stall_ms;   /* first-byte and idle timeouts */
    int64_t timeout_ms; /* overall bound on the run */
};

/* Per request: what it was given and what came back. */
struct stress_req {
    int index;
    enum stress_kind kind;
    int fail_first;
    int ndone; /* done_cb runs: must end at exactly 1 */
    llmio_status status;
    int attempts;
    int restarts;
    bool text_ok; /* the response (and the stream as read) is its own */
    char text[48];
    size_t got_len; /* streamed text since the last RESTARTED */
    char got[48];
};

struct stress_result {
    int requests, done_once, done_twice, not_done, failed, wrong_text;
    long attempts, restarts;
    long stream_stalls; /* streamed requests given a stall: each restarts */
    long injected[STRESS_NKINDS]; /* requests given each fault kind */
    long expected[STRESS_NKINDS]; /* failing attempts injected (sum of K) */
    long seen[STRESS_NKINDS];     /* failed attempts the hook saw */
    int hist[8];                  /* requests by attempts made */
    int64_t wall_ms;
    long mock_requests, peak_connections;
    long peak_second, peak_minute;
    long max_window[61]; /* most requests the mock saw in any W seconds */
    char first_error[256];
};

/* ---- the mock's counters ------------------------------------------------ */

struct stress_body {
    char *p;
    size_t len;
};

static size_t stress_body_cb(char *p, size_t size, size_t n, void *ud)
{
    struct stress_body *b = ud;
    size_t len = size * n;
    char *q = realloc(b->p, b->len + len + 1);
    if (q == NULL) {
        return 0;
    }
    memcpy(q + b->len, p, len);
    b->p = q;
    b->len += len;
    b->p[b->len] = '\0';
    return len;
}

/* GET /mock/stats; a malloc'd body or NULL. */
static char *stress_mock_stats(const char *base_url)
{
    char url[256];
    snprintf(url, sizeof url, "%s/mock/stats", base_url);
    struct stress_body b = {NULL, 0};
    CURL *h = curl_easy_init();
    if (h == NULL) {
        return NULL;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, stress_body_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(h) != CURLE_OK) {
        free(b.p);
        b.p = NULL;
    }
    curl_easy_cleanup(h);
    return b.p;
}

static long stress_json_long(const char *json, const char *field)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", field);
    const char *p = json != NULL ? strstr(json, key) : NULL;
    return p != NULL ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* The numbers of the JSON array FIELD, at most MAX of them into OUT;
 * returns how many. */
static int stress_json_array(const char *json, const char *field, long *out,
                             int max)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":[", field);
    const char *p = strstr(json, key);
    int n = 0;
    if (p == NULL) {
        return 0;
    }
    p += strlen(key) - 1;
    while (n < max && (*p == '[' || *p == ',')) {
        char *end;
        out[n++] = strtol(p + 1, &end, 10);
        p = end;
    }
    return n;
}

/* Requests per wall-clock second, by absolute second since the run
 * started; merged from every poll (each covers the last 60 s). */
struct stress_secs {
    long t0; /* the mock's clock (s) at the first poll */
    long n[4096];
};

static void stress_poll(const struct stress_cfg *cfg, struct stress_secs *s,
                        struct stress_result *r)
{
    char *json = stress_mock_stats(cfg->base_url);
    if (json == NULL) {
        return;
    }
    long now = stress_json_long(json, "time");
    if (s->t0 == 0) {
        s->t0 = now - 59;
    }
    long v[60];
    int n = stress_json_array(json, "per_second", v, 60);
    for (int i = 0; i < n; i++) {
        long at = now - i - s->t0;
        /* The current second is partial; later polls complete it. */
        if (at >= 0 && at < 4096 && v[i] > s->n[at]) {
            s->n[at] = v[i];
        }
    }
    n = stress_json_array(json, "per_minute", v, 60);
    for (int i = 0; i < n; i++) {
        if (v[i] > r->peak_minute) {
            r->peak_minute = v[i];
        }
    }
    r->mock_requests = stress_json_long(json, "requests");
    r->peak_connections = stress_json_long(json, "peak_connections");
    free(json);
}

static void stress_windows(const struct stress_secs *s, struct stress_result *r)
{
    for (int w = 1; w <= 60; w++) {
        long win = 0;
        for (int i = 0; i < 4096; i++) {
            win += s->n[i] - (i >= w ? s->n[i - w] : 0);
            if (win > r->max_window[w]) {
                r->max_window[w] = win;
            }
        }
    }
    r->peak_second = r->max_window[1];
}

/*
 * The most requests an RPM limit lets through in any W seconds: the
 * limiter's bucket holds a burst B (RPM / 10 by default, at least 1, at
 * most RPM - 1) and refills RPM - B a minute (docs/internals/ratelimit.md,
 * "The window guarantee"), so B + (RPM - B) * W / 60, which is RPM for
 * W = 60.
 */
static long stress_rpm_bound(int64_t rpm, int w)
{
    int64_t b = rpm / 10;
    if (b < 1) {
        b = 1;
    }
    if (b > rpm - 1) {
        b = rpm - 1;
    }
    return (long)(b + ((rpm - b) * w + 59) / 60);
}

/* The windows (W = 1..60 s) where the mock saw more than the RPM bound
 * plus ALLOWANCE requests; 0 when the limit held everywhere. */
static int stress_rpm_violations(const struct stress_cfg *cfg,
                                 const struct stress_result *r, long allowance)
{
    int n = 0;
    for (int w = 1; cfg->rpm > 0 && w <= 60; w++) {
        n += r->max_window[w] > stress_rpm_bound(cfg->rpm, w) + allowance;
    }
    return n;
}

/* ---- the run --------------------------------------------------------------
 */

struct stress_run {
    struct stress_result *r;
};

static void stress_attempt_cb(llmio_future *f, const llmio_attempt_info *info,
                              void *user)
{
    (void)f;
    struct stress_run *run = user;
    enum stress_kind k = STRESS_OK;
    switch (info->http_status) {
    case 429:
        k = STRESS_429;
        break;
    case 500:
        k = STRESS_500;
        break;
    case 503:
        k = STRESS_503;
        break;
    case 529:
        k = STRESS_529;
        break;
    default:
        if (info->status == LLMIO_E_TIMEOUT) {
            k = STRESS_STALL;
        } else if (info->status == LLMIO_E_NETWORK) {
            k = STRESS_RESET;
        }
        break;
    }
    if (info->status != LLMIO_OK) {
        run->r->seen[k]++;
    }
}

static int stress_stream_cb(llmio_future *f, const llmio_delta *d, void *user)
{
    (void)f;
    struct stress_req *q = user;
    if (d->kind == LLMIO_DELTA_RESTARTED) {
        q->restarts++;
        q->got_len = 0;
    } else if (d->kind == LLMIO_DELTA_TEXT &&
               q->got_len + d->text_len < sizeof q->got) {
        memcpy(q->got + q->got_len, d->text, d->text_len);
        q->got_len += d->text_len;
    }
    q->got[q->got_len] = '\0';
    return 0;
}

static void stress_done_cb(llmio_future *f, void *user)
{
    struct stress_req *q = user;
    q->ndone++;
    q->status = llmio_future_status(f);
    q->attempts = llmio_future_error(f)->attempts;
    const char *text = llmio_response_text(llmio_future_response(f), 0, NULL);
    q->text_ok = text != NULL && strcmp(text, q->text) == 0 &&
                 (q->index % 2 == 0 || strcmp(q->got, q->text) == 0);
}

/* The fault of request I: FAULT_PCT in 100 are faulty, spread evenly
 * over the kinds (and over the run). */
static enum stress_kind stress_kind_of(const struct stress_cfg *cfg, int i)
{
    int slot = (int)(((unsigned)i * 37u) % 100u);
    if (slot >= cfg->fault_pct) {
        return STRESS_OK;
    }
    return (enum stress_kind)(1 + (i / 7) % (STRESS_NKINDS - 1));
}

static llmio_request *stress_request(const struct stress_cfg *cfg,
                                     struct stress_req *q)
{
    static const char *const scn[STRESS_NKINDS] = {
        NULL,         NULL, /* 429: see below */
        "status=500", "status=503", "status=529",
        "reset",      NULL, /* stall: see below */
    };
    bool stream = q->index % 2 == 1;
    char dir[160] = "";
    switch (q->kind) {
    case STRESS_OK:
        break;
    case STRESS_429:
        /* Retry-After in whole seconds, or retry-after-ms. */
        snprintf(dir, sizeof dir, "%s",
                 q->index % 16 == 3
                     ? "status=429;retry-after=1"
                     : "status=429;retry-after=1;retry-after-ms=100");
        break;
    case STRESS_STALL:
        snprintf(dir, sizeof dir, "%s",
                 stream ? "stall-after-events=2" : "ttft=600000");
        break;
    default:
        snprintf(dir, sizeof dir, "%s", scn[q->kind]);
        break;
    }
    snprintf(q->text, sizeof q->text, "request %d of the stress run", q->index);
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    if (r == NULL) {
        return NULL;
    }
    llmio_request_add_message(r, LLMIO_ROLE_USER, q->text);
    if (q->kind != STRESS_OK) {
        char h[256];
        snprintf(h, sizeof h, "X-Mock-Scenario: fail-first=%d;%s;key=s%d",
                 q->fail_first, dir, q->index);
        llmio_request_add_header(r, h);
    }
    if (stream) {
        llmio_request_set_stream(r, stress_stream_cb, true);
        llmio_request_set_stream_restart(r, true);
    }
    return r;
}

static int64_t stress_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * stress_run - runs CFG, filling R. Returns 0 when the run could be made
 * (R then says how it went), -1 on a setup failure (message in
 * R->first_error). Every future is freed before returning.
 */
static int stress_run(const struct stress_cfg *cfg, struct stress_result *r)
{
    memset(r, 0, sizeof *r);
    r->requests = cfg->requests;
    struct stress_req *reqs = calloc((size_t)cfg->requests, sizeof *reqs);
    llmio_future **fs = calloc((size_t)cfg->requests, sizeof *fs);
    struct stress_secs *secs = calloc(1, sizeof *secs);
    llmio_client *c = NULL;
    struct stress_run run = {r};
    int rc = -1;
    if (reqs == NULL || fs == NULL || secs == NULL ||
        llmio_client_new(NULL, &c) != LLMIO_OK) {
        snprintf(r->first_error, sizeof r->first_error, "out of memory");
        goto out;
    }
    char url[256];
    snprintf(url, sizeof url, "%s/v1", cfg->base_url);
    llmio_client_set_base_url(c, NULL, url);
    llmio_client_set_api_key(c, NULL, "sk-stress");
    /* 3 attempts, short backoff: the faults are deterministic (K <= 2), so
     * the waits under test are the server's hints and our timeouts. */
    llmio_client_set_retry(c, 3, 50, 400, 10000);
    llmio_client_set_retry_seed(c, 4);
    llmio_client_set_max_concurrency(c, (size_t)cfg->concurrency);
    llmio_client_set_timeout(c, LLMIO_TIMEOUT_FIRST_BYTE, cfg->stall_ms);
    llmio_client_set_timeout(c, LLMIO_TIMEOUT_IDLE, cfg->stall_ms);
    llmio_client_set_timeout(c, LLMIO_TIMEOUT_TOTAL, cfg->timeout_ms);
    llmio_client_set_attempt_cb(c, stress_attempt_cb, &run);
    if (cfg->rpm > 0 &&
        llmio_client_set_rate_limit(c, NULL, cfg->rpm, 0) != LLMIO_OK) {
        snprintf(r->first_error, sizeof r->first_error, "rate limit refused");
        goto out;
    }
    stress_poll(cfg, secs, r);
    int64_t t0 = stress_now_ms();
    for (int i = 0; i < cfg->requests; i++) {
        struct stress_req *q = &reqs[i];
        q->index = i;
        q->kind = stress_kind_of(cfg, i);
        /* Stalls cost a timeout each: one; the others fail twice in
         * three. */
        q->fail_first = q->kind == STRESS_OK      ? 0
                        : q->kind == STRESS_STALL ? 1
                                                  : 1 + i % 3 / 2;
        r->injected[q->kind]++;
        r->stream_stalls += q->kind == STRESS_STALL && i % 2 == 1;
        r->expected[q->kind] += q->fail_first;
        llmio_request *req = stress_request(cfg, q);
        llmio_error err;
        llmio_status st =
            req != NULL ? llmio_submit(c, req, stress_done_cb, q, &fs[i], &err)
                        : LLMIO_E_NOMEM;
        llmio_request_free(req);
        if (st != LLMIO_OK) {
            snprintf(r->first_error, sizeof r->first_error, "submit %d: %s", i,
                     llmio_status_name(st));
            goto out;
        }
    }
    /* Drive in slices, polling the mock's counters so no second of the
     * run is lost from its 60 s history. */
    int64_t end = t0 + cfg->timeout_ms;
    int64_t next_poll = t0 + 5000;
    while (llmio_client_pending(c) > 0 && stress_now_ms() < end) {
        llmio_client_run(c, 200);
        if (stress_now_ms() >= next_poll) {
            stress_poll(cfg, secs, r);
            next_poll += 5000;
        }
    }
    r->wall_ms = stress_now_ms() - t0;
    stress_poll(cfg, secs, r);
    stress_windows(secs, r);
    for (int i = 0; i < cfg->requests; i++) {
        struct stress_req *q = &reqs[i];
        r->done_once += q->ndone == 1;
        r->done_twice += q->ndone > 1;
        r->not_done += q->ndone == 0;
        r->attempts += q->attempts;
        r->restarts += q->restarts;
        r->hist[q->attempts >= 0 && q->attempts < 8 ? q->attempts : 7]++;
        if (q->ndone > 0 && q->status != LLMIO_OK) {
            if (r->failed++ == 0) {
                snprintf(r->first_error, sizeof r->first_error,
                         "request %d (%s, fail-first %d): %s: %.160s", i,
                         stress_kind_name[q->kind], q->fail_first,
                         llmio_status_name(q->status),
                         llmio_future_error(fs[i])->message);
            }
        } else if (q->ndone > 0 && !q->text_ok) {
            r->wrong_text++;
        }
    }
    rc = 0;
out:
    /* Freeing the client completes whatever is left (CANCELLED), so the
     * futures can go after it. */
    llmio_client_free(c);
    for (int i = 0; fs != NULL && i < cfg->requests; i++) {
        llmio_future_free(fs[i]);
    }
    free(fs);
    free(reqs);
    free(secs);
    return rc;
}

#endif
