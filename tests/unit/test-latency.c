/* test-latency.c - the latency tracker behind p95 hedging: quantiles by
 * nearest rank, the sample window, the minimum, key replacement. */
#include "test.h"

#include "latency.h"

TEST(latency_quantile_nearest_rank)
{
    struct llmio__latency t;
    llmio__latency_init(&t);
    int64_t q = -7;
    ASSERT(!llmio__latency_quantile(&t, "openai/m", 0.95, 1, &q));
    ASSERT_EQ(q, -7); /* left alone */
    /* 1..20 in a shuffled order: p95 is the 19th value, p50 the 10th. */
    static const int order[20] = {7,  3, 20, 1, 15, 9, 11, 2,  18, 5,
                                  13, 4, 17, 6, 19, 8, 10, 12, 14, 16};
    for (int i = 0; i < 20; i++) {
        llmio__latency_add(&t, "openai/m", order[i]);
    }
    ASSERT(!llmio__latency_quantile(&t, "openai/m", 0.95, 21, &q));
    ASSERT(llmio__latency_quantile(&t, "openai/m", 0.95, 20, &q));
    ASSERT_EQ(q, 19);
    ASSERT(llmio__latency_quantile(&t, "openai/m", 0.5, 1, &q));
    ASSERT_EQ(q, 10);
    ASSERT(llmio__latency_quantile(&t, "openai/m", 1.0, 1, &q));
    ASSERT_EQ(q, 20);
    /* Another key is its own. */
    ASSERT(!llmio__latency_quantile(&t, "anthropic/m", 0.95, 1, &q));
    llmio__latency_add(&t, "anthropic/m", -5); /* clamped */
    ASSERT(llmio__latency_quantile(&t, "anthropic/m", 0.95, 1, &q));
    ASSERT_EQ(q, 0);
}

TEST(latency_window_keeps_recent)
{
    struct llmio__latency t;
    llmio__latency_init(&t);
    /* A slow past, then the model got fast: only the last 64 count. */
    for (int i = 0; i < 100; i++) {
        llmio__latency_add(&t, "k", 5000);
    }
    for (int i = 0; i < LLMIO__LAT_WINDOW; i++) {
        llmio__latency_add(&t, "k", 40);
    }
    int64_t q = 0;
    ASSERT(llmio__latency_quantile(&t, "k", 0.95, 20, &q));
    ASSERT_EQ(q, 40);
    llmio__latency_add(&t, "k", 900);
    ASSERT(llmio__latency_quantile(&t, "k", 1.0, 20, &q));
    ASSERT_EQ(q, 900);
}

TEST(latency_keys_replace_least_recent)
{
    struct llmio__latency t;
    llmio__latency_init(&t);
    char key[32];
    for (int i = 0; i < LLMIO__LAT_KEYS; i++) {
        snprintf(key, sizeof key, "p/m%d", i);
        llmio__latency_add(&t, key, i);
    }
    int64_t q;
    /* m0 is used again, so m1 is now the least recent. */
    ASSERT(llmio__latency_quantile(&t, "p/m0", 0.95, 1, &q));
    llmio__latency_add(&t, "p/new", 77);
    ASSERT(llmio__latency_quantile(&t, "p/m0", 0.95, 1, &q));
    ASSERT(!llmio__latency_quantile(&t, "p/m1", 0.95, 1, &q));
    ASSERT(llmio__latency_quantile(&t, "p/new", 0.95, 1, &q));
    ASSERT_EQ(q, 77);
    /* A long key is compared on its first 127 bytes. */
    char longk[300];
    memset(longk, 'a', sizeof longk - 1);
    longk[sizeof longk - 1] = '\0';
    llmio__latency_add(&t, longk, 5);
    ASSERT(llmio__latency_quantile(&t, longk, 0.95, 1, &q));
    ASSERT_EQ(q, 5);
}
