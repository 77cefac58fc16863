/*
 * latency.c - recent latencies per key and their quantiles, for hedging
 * after the observed p95 time to first token.
 *
 * Invariants: pure (no clock, no I/O, no allocation: the tracker is a
 * fixed struct); each key keeps its last LLMIO__LAT_WINDOW samples in a
 * ring, so the quantile follows the model's current behaviour and costs
 * a sort of at most 64 values; a new key past LLMIO__LAT_KEYS takes the
 * slot used least recently.
 * Owns: nothing beyond the struct.
 */
#include "latency.h"

#include <math.h>
#include <string.h>

void llmio__latency_init(struct llmio__latency *t)
{
    memset(t, 0, sizeof *t);
}

static bool same_key(const struct llmio__lat_key *k, const char *key)
{
    return k->key[0] != '\0' &&
           strncmp(k->key, key, LLMIO__LAT_KEY_MAX - 1) == 0;
}

static struct llmio__lat_key *find(struct llmio__latency *t, const char *key)
{
    for (size_t i = 0; i < LLMIO__LAT_KEYS; i++) {
        if (same_key(&t->keys[i], key)) {
            return &t->keys[i];
        }
    }
    return NULL;
}

void llmio__latency_add(struct llmio__latency *t, const char *key, int64_t ms)
{
    if (key == NULL || key[0] == '\0') {
        return;
    }
    struct llmio__lat_key *k = find(t, key);
    if (k == NULL) {
        /* A free slot, else the least recently used one. */
        k = &t->keys[0];
        for (size_t i = 0; i < LLMIO__LAT_KEYS; i++) {
            struct llmio__lat_key *s = &t->keys[i];
            if (s->key[0] == '\0') {
                k = s;
                break;
            }
            if (s->used_at < k->used_at) {
                k = s;
            }
        }
        memset(k, 0, sizeof *k);
        size_t n = strlen(key);
        n = n < LLMIO__LAT_KEY_MAX - 1 ? n : LLMIO__LAT_KEY_MAX - 1;
        memcpy(k->key, key, n);
    }
    k->samples[k->next] = ms > 0 ? ms : 0;
    k->next = (k->next + 1) % LLMIO__LAT_WINDOW;
    if (k->n < LLMIO__LAT_WINDOW) {
        k->n++;
    }
    k->used_at = ++t->tick;
}

bool llmio__latency_quantile(struct llmio__latency *t, const char *key,
                             double q, size_t min_samples, int64_t *out_ms)
{
    struct llmio__lat_key *k = key != NULL ? find(t, key) : NULL;
    if (k == NULL || k->n == 0 || k->n < min_samples || !(q > 0.0)) {
        return false;
    }
    int64_t v[LLMIO__LAT_WINDOW];
    size_t n = k->n;
    memcpy(v, k->samples, n * sizeof v[0]);
    /* Insertion sort: at most 64 values. */
    for (size_t i = 1; i < n; i++) {
        int64_t x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    /* Nearest rank: the smallest value with at least Q of the samples at
     * or below it. */
    double rank = ceil(q * (double)n);
    size_t idx = rank < 1.0 ? 0 : (size_t)rank - 1;
    *out_ms = v[idx < n ? idx : n - 1];
    k->used_at = ++t->tick;
    return true;
}
