/*
 * ctx.c - server-wide counters: per-key attempt counts (fail-first) and the
 * request statistics served at GET /mock/stats.
 *
 * Invariants: the attempt table is a fixed-size hash of chained entries,
 * bounded at MAX_KEYS keys (older keys are not evicted; new keys beyond the
 * bound share one overflow counter); statistics windows are rings indexed
 * by time, so counting is O(1).
 */
#include "mock.h"

#include <stdlib.h>
#include <string.h>

#define KEY_BUCKETS 1024
#define MAX_KEYS 65536

struct mock_keycount {
    struct mock_keycount *next;
    long count;     /* attempts (fail-first, fail-seq) */
    int64_t window; /* limit=: the current window's number */
    long wcount;    /* limit=: requests in that window */
    size_t len;
    char key[];
};

static int64_t default_now(void)
{
    return mock_wall_ms();
}

void mock_ctx_init(struct mock_ctx *c)
{
    memset(c, 0, sizeof *c);
    c->max_body = 8u << 20;
    c->now_ms = default_now;
    c->keys = calloc(KEY_BUCKETS, sizeof *c->keys);
    if (c->keys == NULL) {
        abort();
    }
}

static void free_keys(struct mock_ctx *c)
{
    for (size_t i = 0; i < KEY_BUCKETS; i++) {
        struct mock_keycount *k = c->keys[i];
        while (k) {
            struct mock_keycount *next = k->next;
            free(k);
            k = next;
        }
        c->keys[i] = NULL;
    }
    c->nkeys = 0;
}

void mock_ctx_cleanup(struct mock_ctx *c)
{
    if (c->keys) {
        free_keys(c);
        free(c->keys);
        c->keys = NULL;
    }
}

static uint32_t fnv1a(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* The entry for KEY, created on first use. */
static struct mock_keycount *lookup(struct mock_ctx *c, const char *key,
                                    size_t len)
{
    static const char overflow[] = "\x01overflow";
    if (len > 256) {
        len = 256;
    }
    size_t b = fnv1a(key, len) % KEY_BUCKETS;
    for (struct mock_keycount *k = c->keys[b]; k; k = k->next) {
        if (k->len == len && memcmp(k->key, key, len) == 0) {
            return k;
        }
    }
    if (c->nkeys >= MAX_KEYS) {
        return lookup(c, overflow, sizeof overflow - 1);
    }
    struct mock_keycount *k = mock_xmalloc(sizeof *k + len + 1);
    k->len = len;
    k->count = 0;
    k->window = -1;
    k->wcount = 0;
    memcpy(k->key, key, len);
    k->key[len] = '\0';
    k->next = c->keys[b];
    c->keys[b] = k;
    c->nkeys++;
    return k;
}

long mock_ctx_attempt(struct mock_ctx *c, const char *key, size_t len)
{
    return ++lookup(c, key, len)->count;
}

long mock_ctx_window(struct mock_ctx *c, const char *key, size_t len,
                     int64_t window)
{
    struct mock_keycount *k = lookup(c, key, len);
    if (k->window != window) {
        k->window = window;
        k->wcount = 0;
    }
    return ++k->wcount;
}

void mock_ctx_reset_counters(struct mock_ctx *c)
{
    free_keys(c);
    uint64_t conns = c->stats.connections;
    memset(&c->stats, 0, sizeof c->stats);
    c->stats.connections = conns;
    c->stats.peak_connections = conns;
}

const char *mock_endpoint_name(int endpoint)
{
    switch (endpoint) {
    case MOCK_EP_OPENAI_CHAT:
        return "openai.chat";
    case MOCK_EP_OPENAI_EMBED:
        return "openai.embeddings";
    case MOCK_EP_OPENAI_MODELS:
        return "openai.models";
    case MOCK_EP_ANTHROPIC_MESSAGES:
        return "anthropic.messages";
    case MOCK_EP_ANTHROPIC_MODELS:
        return "anthropic.models";
    case MOCK_EP_GEMINI_GENERATE:
        return "gemini.generateContent";
    case MOCK_EP_GEMINI_STREAM:
        return "gemini.streamGenerateContent";
    case MOCK_EP_GEMINI_EMBED:
        return "gemini.embedContent";
    case MOCK_EP_GEMINI_BATCH_EMBED:
        return "gemini.batchEmbedContents";
    case MOCK_EP_GEMINI_MODELS:
        return "gemini.models";
    case MOCK_EP_OLLAMA_CHAT:
        return "ollama.chat";
    case MOCK_EP_OLLAMA_EMBED:
        return "ollama.embed";
    case MOCK_EP_OLLAMA_TAGS:
        return "ollama.tags";
    case MOCK_EP_MOCK:
        return "mock";
    case MOCK_EP_ANTHROPIC_COUNT:
        return "anthropic.count_tokens";
    case MOCK_EP_GEMINI_COUNT:
        return "gemini.countTokens";
    default:
        return "other";
    }
}

void mock_stats_count(struct mock_ctx *c, int endpoint, int status)
{
    struct mock_stats *s = &c->stats;
    s->total++;
    if (endpoint >= 0 && endpoint < MOCK_STAT_ENDPOINTS) {
        s->by_endpoint[endpoint]++;
    }
    if (status >= 100 && status < 600) {
        s->by_status[status]++;
    }
    int64_t sec = c->now_ms() / 1000;
    int64_t min = sec / 60;
    size_t si = (size_t)(sec % MOCK_STAT_WINDOW);
    size_t mi = (size_t)(min % MOCK_STAT_WINDOW);
    if (s->sec_tag[si] != sec) {
        s->sec_tag[si] = sec;
        s->sec_count[si] = 0;
    }
    s->sec_count[si]++;
    if (s->min_tag[mi] != min) {
        s->min_tag[mi] = min;
        s->min_count[mi] = 0;
    }
    s->min_count[mi]++;
}

static uint64_t window_count(const int64_t *tag, const uint64_t *count,
                             int64_t t)
{
    size_t i = (size_t)(t % MOCK_STAT_WINDOW);
    return tag[i] == t ? count[i] : 0;
}

void mock_stats_json(struct mock_ctx *c, struct mock_buf *b)
{
    struct mock_stats *s = &c->stats;
    int64_t now = c->now_ms();
    int64_t sec = now / 1000;
    int64_t min = sec / 60;
    mock_buf_printf(b, "{\"requests\":%llu,\"by_endpoint\":{",
                    (unsigned long long)s->total);
    bool first = true;
    for (int e = 0; e < MOCK_STAT_ENDPOINTS; e++) {
        if (s->by_endpoint[e] == 0) {
            continue;
        }
        mock_buf_printf(b, "%s\"%s\":%llu", first ? "" : ",",
                        mock_endpoint_name(e),
                        (unsigned long long)s->by_endpoint[e]);
        first = false;
    }
    mock_buf_puts(b, "},\"by_status\":{");
    first = true;
    for (int st = 100; st < 600; st++) {
        if (s->by_status[st] == 0) {
            continue;
        }
        mock_buf_printf(b, "%s\"%d\":%llu", first ? "" : ",", st,
                        (unsigned long long)s->by_status[st]);
        first = false;
    }
    /* Windows: the current (partial) second and minute, the previous full
     * ones, and the last 60 of each, newest first. */
    mock_buf_printf(
        b,
        "},\"this_second\":%llu,\"last_second\":%llu,"
        "\"this_minute\":%llu,\"last_minute\":%llu,\"per_second\":[",
        (unsigned long long)window_count(s->sec_tag, s->sec_count, sec),
        (unsigned long long)window_count(s->sec_tag, s->sec_count, sec - 1),
        (unsigned long long)window_count(s->min_tag, s->min_count, min),
        (unsigned long long)window_count(s->min_tag, s->min_count, min - 1));
    for (int i = 0; i < MOCK_STAT_WINDOW; i++) {
        mock_buf_printf(b, "%s%llu", i ? "," : "",
                        (unsigned long long)window_count(
                            s->sec_tag, s->sec_count, sec - i));
    }
    mock_buf_puts(b, "],\"per_minute\":[");
    for (int i = 0; i < MOCK_STAT_WINDOW; i++) {
        mock_buf_printf(b, "%s%llu", i ? "," : "",
                        (unsigned long long)window_count(
                            s->min_tag, s->min_count, min - i));
    }
    mock_buf_printf(b,
                    "],\"connections\":%llu,\"peak_connections\":%llu,"
                    "\"accepted\":%llu,\"keys\":%zu,\"time\":%lld}",
                    (unsigned long long)s->connections,
                    (unsigned long long)s->peak_connections,
                    (unsigned long long)s->accepted, c->nkeys, (long long)sec);
}
