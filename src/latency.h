/*
 * latency.h - a small tracker of recent latencies per key (provider +
 * model), answering "what is the p95?" for hedged requests (see
 * latency.c and docs/internals/resilience.md).
 *
 * Pure: samples and keys are passed in, nothing reads a clock. Memory is
 * bounded: LLMIO__LAT_KEYS keys of LLMIO__LAT_WINDOW samples each; a new
 * key past the bound replaces the one used least recently.
 */
#ifndef LLMIO_LATENCY_H
#define LLMIO_LATENCY_H

#include "llmio.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LLMIO__LAT_WINDOW 64 /* samples kept per key: the most recent */
#define LLMIO__LAT_KEYS 32   /* keys kept */
#define LLMIO__LAT_KEY_MAX 128

struct llmio__lat_key {
    char key[LLMIO__LAT_KEY_MAX];       /* "" when the slot is free */
    int64_t samples[LLMIO__LAT_WINDOW]; /* a ring */
    size_t n;                           /* samples held (<= WINDOW) */
    size_t next;                        /* ring position of the next sample */
    uint64_t used_at; /* tracker tick of the last use, for replacement */
};

struct llmio__latency {
    struct llmio__lat_key keys[LLMIO__LAT_KEYS];
    uint64_t tick;
};

void llmio__latency_init(struct llmio__latency *t);

/* Records one latency of MS (clamped at 0) for KEY (longer keys are
 * compared on their first LLMIO__LAT_KEY_MAX - 1 bytes). */
void llmio__latency_add(struct llmio__latency *t, const char *key, int64_t ms);

/*
 * llmio__latency_quantile - the Q-quantile (0 < Q <= 1, nearest rank) of
 * KEY's recent samples into *OUT_MS. Returns false (and leaves *OUT_MS)
 * when KEY has fewer than MIN_SAMPLES samples.
 */
bool llmio__latency_quantile(struct llmio__latency *t, const char *key,
                             double q, size_t min_samples, int64_t *out_ms);

#endif
