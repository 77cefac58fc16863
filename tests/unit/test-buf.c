/* test-buf.c - the bounded byte buffer: growth, limits, NUL termination,
 * consume, formatted appends and allocation failure. */
#include "test-parsers.h"

#include "buf.h"

TEST(buf_append_and_terminate)
{
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    ASSERT_NULL(b.data);
    ASSERT_STR_EQ(llmio__buf_cstr(&b), "");
    ASSERT_OK(llmio__buf_append(&b, NULL, 0));
    ASSERT_NOT_NULL(b.data);
    ASSERT_EQ(b.data[0], '\0');
    ASSERT_OK(llmio__buf_append(&b, "ab\0c", 4));
    ASSERT_EQ(b.len, 4);
    ASSERT_EQ(b.data[4], '\0');
    ASSERT_OK(llmio__buf_appendc(&b, 'x'));
    ASSERT_OK(llmio__buf_appends(&b, "yz"));
    ASSERT_MEM_EQ(b.data, b.len, "ab\0cxyz", 7);
    for (int i = 0; i < 10000; i++) {
        ASSERT_OK(llmio__buf_appendc(&b, (char)('a' + i % 26)));
    }
    ASSERT_EQ(b.len, 10007);
    ASSERT_EQ(b.data[b.len], '\0');
    ASSERT_CMP(b.cap, >, b.len);
    llmio__buf_reset(&b);
    ASSERT_EQ(b.len, 0);
    ASSERT_STR_EQ(b.data, "");
    llmio__buf_cleanup(&b);
    ASSERT_NULL(b.data);
    llmio__buf_cleanup(&b); /* twice is harmless */
}

TEST(buf_limit)
{
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 5);
    ASSERT_OK(llmio__buf_append(&b, "abc", 3));
    ASSERT_EQ(llmio__buf_append(&b, "def", 3), LLMIO_E_TOO_BIG);
    ASSERT_STR_EQ(b.data, "abc"); /* unchanged on failure */
    ASSERT_OK(llmio__buf_append(&b, "de", 2));
    ASSERT_EQ(llmio__buf_appendc(&b, 'f'), LLMIO_E_TOO_BIG);
    ASSERT_EQ(llmio__buf_appendf(&b, "%d", 1), LLMIO_E_TOO_BIG);
    ASSERT_STR_EQ(b.data, "abcde");
    ASSERT_CMP(b.cap, <=, 6);
    ASSERT_EQ(llmio__buf_append(&b, "x", SIZE_MAX), LLMIO_E_TOO_BIG);
    llmio__buf_cleanup(&b);
}

TEST(buf_appendf)
{
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    ASSERT_OK(llmio__buf_appendf(&b, "%s=%d;", "n", 42));
    char big[1000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ASSERT_OK(llmio__buf_appendf(&b, "[%s]", big));
    ASSERT_EQ(b.len, 5 + 1001);
    ASSERT_EQ(b.data[b.len], '\0');
    ASSERT(strncmp(b.data, "n=42;[qq", 8) == 0);
    ASSERT_EQ(b.data[b.len - 1], ']');
    llmio__buf_cleanup(&b);
}

TEST(buf_consume)
{
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    llmio__buf_consume(&b, 3); /* empty: no-op */
    ASSERT_OK(llmio__buf_appends(&b, "hello world"));
    llmio__buf_consume(&b, 6);
    ASSERT_STR_EQ(b.data, "world");
    ASSERT_EQ(b.len, 5);
    llmio__buf_consume(&b, 100);
    ASSERT_EQ(b.len, 0);
    ASSERT_STR_EQ(b.data, "");
    llmio__buf_cleanup(&b);
}

TEST(buf_reserve)
{
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 100);
    ASSERT_OK(llmio__buf_reserve(&b, 50));
    ASSERT_CMP(b.cap, >=, 51);
    memcpy(b.data, "xyz", 3);
    b.len = 3;
    b.data[3] = '\0';
    ASSERT_STR_EQ(llmio__buf_cstr(&b), "xyz");
    ASSERT_EQ(llmio__buf_reserve(&b, 98), LLMIO_E_TOO_BIG);
    llmio__buf_cleanup(&b);
}

TEST(buf_torture)
{
    bool ok = false;
    for (long n = 1; !ok; n++) {
        struct fail_alloc fa;
        fail_alloc_init(&fa, n);
        struct llmio__buf b;
        llmio__buf_init(&b, &fa.a, 0);
        llmio_status st = LLMIO_OK;
        for (int i = 0; i < 2000 && st == LLMIO_OK; i++) {
            st = llmio__buf_appendf(&b, "%d,", i);
        }
        if (st == LLMIO_OK) {
            ASSERT(!fa.failed);
            ok = true;
        } else {
            ASSERT_EQ(st, LLMIO_E_NOMEM);
            /* Whatever was appended before the failure is intact. */
            if (b.data != NULL) {
                ASSERT_EQ(b.data[b.len], '\0');
                ASSERT(b.len == 0 || b.data[b.len - 1] == ',');
            }
        }
        llmio__buf_cleanup(&b);
        ASSERT_EQ(fa.live, 0);
        ASSERT_CMP(n, <, 100);
    }
}
