/* test-arena.c - the bump allocator: alignment, big allocations, limits,
 * reset keeping a block, and allocation failure. */
#include "test-parsers.h"

#include "arena.h"

TEST(arena_alloc_aligned)
{
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    ASSERT_EQ(llmio__arena_used(&a), 0);
    char *prev = NULL;
    size_t prev_n = 0;
    for (size_t n = 0; n < 3000; n++) {
        char *p = llmio__arena_alloc(&a, n % 37);
        ASSERT_NOT_NULL(p);
        ASSERT_EQ((uintptr_t)p % 8, 0);
        memset(p, 0xAB, n % 37);
        /* Distinct from the previous one unless that one was empty. */
        ASSERT(p != prev || prev_n == 0);
        prev = p;
        prev_n = n % 37;
    }
    char *s = llmio__arena_strndup(&a, "a\0bc", 4);
    ASSERT_MEM_EQ(s, 4, "a\0bc", 4);
    ASSERT_EQ(s[4], '\0');
    char *m = llmio__arena_memdup(&a, "xyz", 3);
    ASSERT_MEM_EQ(m, 3, "xyz", 3);
    unsigned char *z = llmio__arena_calloc(&a, 100);
    for (int i = 0; i < 100; i++) {
        ASSERT_EQ(z[i], 0);
    }
    llmio__arena_cleanup(&a);
    ASSERT_EQ(llmio__arena_used(&a), 0);
}

TEST(arena_big_allocations_keep_head)
{
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    char *small1 = llmio__arena_alloc(&a, 16);
    char *big = llmio__arena_alloc(&a, 1 << 20);
    ASSERT_NOT_NULL(big);
    memset(big, 1, 1 << 20);
    char *small2 = llmio__arena_alloc(&a, 16);
    /* The big block went behind the head: small ones stay contiguous. */
    ASSERT(small2 == small1 + 16);
    ASSERT_NULL(llmio__arena_alloc(&a, SIZE_MAX));
    ASSERT_NULL(llmio__arena_alloc(&a, SIZE_MAX - 8));
    llmio__arena_cleanup(&a);
}

TEST(arena_limit)
{
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 10000);
    size_t total = 0;
    while (llmio__arena_alloc(&a, 100) != NULL) {
        total += 100;
        ASSERT_CMP(total, <, 10000);
    }
    ASSERT_CMP(llmio__arena_used(&a), <=, 10000);
    ASSERT_CMP(total, >=, 8000); /* the last block is fitted to the limit */
    ASSERT_NULL(llmio__arena_alloc(&a, 20000));
    llmio__arena_cleanup(&a);
}

TEST(arena_reset_keeps_one_block)
{
    struct fail_alloc fa;
    fail_alloc_init(&fa, 0);
    struct llmio__arena a;
    llmio__arena_init(&a, &fa.a, 0);
    for (int i = 0; i < 1000; i++) {
        ASSERT_NOT_NULL(llmio__arena_alloc(&a, 100));
    }
    ASSERT_CMP(fa.live, >, 1);
    llmio__arena_reset(&a);
    ASSERT_EQ(fa.live, 1);
    long before = fa.count;
    for (int i = 0; i < 50; i++) {
        ASSERT_NOT_NULL(llmio__arena_alloc(&a, 100));
    }
    ASSERT_EQ(fa.count, before); /* warm: no allocator calls */
    llmio__arena_cleanup(&a);
    ASSERT_EQ(fa.live, 0);
    llmio__arena_reset(&a); /* empty arena */
    ASSERT_NOT_NULL(llmio__arena_alloc(&a, 8));
    llmio__arena_cleanup(&a);
    ASSERT_EQ(fa.live, 0);
}

TEST(arena_torture)
{
    bool ok = false;
    for (long n = 1; !ok; n++) {
        struct fail_alloc fa;
        fail_alloc_init(&fa, n);
        struct llmio__arena a;
        llmio__arena_init(&a, &fa.a, 0);
        int i;
        for (i = 0; i < 500; i++) {
            size_t sz = (size_t)(i % 7 == 0 ? 5000 : 64);
            char *p = llmio__arena_alloc(&a, sz);
            if (p == NULL) {
                break;
            }
            memset(p, 0, sz);
        }
        ok = i == 500;
        llmio__arena_cleanup(&a);
        ASSERT_EQ(fa.live, 0);
        ASSERT_CMP(n, <, 1000);
    }
}
