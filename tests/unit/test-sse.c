/*
 * test-sse.c - the SSE parser: every case under tests/data/sse/ (the 30
 * vectors of shared/reference/sse.md plus real provider streams) fed whole,
 * one byte at a time and split at every offset; limits; allocation torture.
 *
 * Case format: input (raw bytes); expected (one line per event,
 * "type<TAB>id<TAB>data" with \\, \n, \r, \t and \0 escaped, then
 * "retry<TAB>MS" if a retry field was accepted, or "error<TAB>STATUS" if the
 * stream fails); optional max (max_event_bytes).
 */
#include "test-parsers.h"

#include "buf.h"
#include "sse.h"

#define SSE_DIR "tests/data/sse"

static void put_escaped(struct llmio__buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '\\':
            llmio__buf_append(out, "\\\\", 2);
            break;
        case '\n':
            llmio__buf_append(out, "\\n", 2);
            break;
        case '\r':
            llmio__buf_append(out, "\\r", 2);
            break;
        case '\t':
            llmio__buf_append(out, "\\t", 2);
            break;
        case '\0':
            llmio__buf_append(out, "\\0", 2);
            break;
        default:
            llmio__buf_appendc(out, s[i]);
        }
    }
}

/* Drains events into OUT; returns false once the parser failed. */
static bool drain(struct llmio__sse_parser *p, struct llmio__buf *out)
{
    struct llmio__sse_event ev;
    int r;
    while ((r = llmio__sse_next(p, &ev)) == 1) {
        ASSERT_EQ(ev.type[ev.type_len], '\0');
        ASSERT_EQ(ev.data[ev.data_len], '\0');
        ASSERT_EQ(ev.id[ev.id_len], '\0');
        put_escaped(out, ev.type, ev.type_len);
        llmio__buf_appendc(out, '\t');
        put_escaped(out, ev.id, ev.id_len);
        llmio__buf_appendc(out, '\t');
        put_escaped(out, ev.data, ev.data_len);
        llmio__buf_appendc(out, '\n');
    }
    return r == 0;
}

/*
 * Runs IN through a parser in feeds whose lengths come from CUTS (sorted
 * offsets, NCUTS of them; the rest is the last feed), or one byte at a time
 * when BYTEWISE. Returns the expected-format transcript (malloc'd).
 */
static char *run(const char *in, size_t len, const size_t *cuts, size_t ncuts,
                 bool bytewise, size_t max)
{
    struct llmio__sse_parser p;
    llmio__sse_init(&p, NULL, max);
    struct llmio__buf out;
    llmio__buf_init(&out, NULL, 0);
    llmio__buf_append(&out, "", 0);
    bool ok = true;
    size_t at = 0, k = 0;
    while (ok && at < len) {
        size_t next = bytewise ? at + 1 : (k < ncuts ? cuts[k++] : len);
        if (next < at) {
            next = at;
        }
        if (llmio__sse_feed(&p, in + at, next - at) != LLMIO_OK) {
            ok = false;
            break;
        }
        ok = drain(&p, &out);
        at = next;
    }
    if (!ok) {
        llmio__buf_appendf(&out, "error\t%s\n",
                           llmio_status_name(llmio__sse_status(&p)));
    } else if (llmio__sse_retry_ms(&p) >= 0) {
        llmio__buf_appendf(&out, "retry\t%lld\n",
                           (long long)llmio__sse_retry_ms(&p));
    }
    llmio__sse_cleanup(&p);
    char *s = strdup(out.data);
    llmio__buf_cleanup(&out);
    return s;
}

static void expect_same(const char *name, const char *how, const char *got,
                        const char *want)
{
    if (strcmp(got, want) != 0) {
        test_fail_(__FILE__, __LINE__, "%s (%s):\n--- got\n%s--- want\n%s",
                   name, how, got, want);
    }
}

TEST(sse_data_cases)
{
    size_t n;
    char **names = list_cases(SSE_DIR, &n);
    ASSERT_CMP(n, >=, 40);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *in = read_case(SSE_DIR, names[i], "input", &len);
        char *want = read_case(SSE_DIR, names[i], "expected", NULL);
        size_t max = 0;
        if (case_has(SSE_DIR, names[i], "max")) {
            char *m = read_case(SSE_DIR, names[i], "max", NULL);
            max = (size_t)strtoull(m, NULL, 10);
            free(m);
        }
        char *got = run(in, len, NULL, 0, false, max);
        expect_same(names[i], "whole", got, want);
        free(got);
        got = run(in, len, NULL, 0, true, max);
        expect_same(names[i], "one byte at a time", got, want);
        free(got);
        free(want);
        free(in);
    }
    free_cases(names);
}

TEST(sse_data_cases_every_split)
{
    size_t n;
    char **names = list_cases(SSE_DIR, &n);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *in = read_case(SSE_DIR, names[i], "input", &len);
        char *want = read_case(SSE_DIR, names[i], "expected", NULL);
        size_t max = 0;
        if (case_has(SSE_DIR, names[i], "max")) {
            char *m = read_case(SSE_DIR, names[i], "max", NULL);
            max = (size_t)strtoull(m, NULL, 10);
            free(m);
        }
        /* Every offset for ordinary cases; large ones take a prime stride
         * to keep the quadratic cost bounded (under valgrind too). */
        size_t limit = test_is_valgrind() ? 600 : 4096;
        size_t step = len <= limit ? 1 : len / 97 + 1;
        for (size_t cut = 0; cut <= len; cut += step) {
            char *got = run(in, len, &cut, 1, false, max);
            char how[64];
            snprintf(how, sizeof how, "split at %zu", cut);
            expect_same(names[i], how, got, want);
            free(got);
        }
        /* And three-way splits around every line end. */
        for (size_t a = 0; a < len && len <= limit; a++) {
            if (in[a] != '\r' && in[a] != '\n') {
                continue;
            }
            size_t cuts[2] = {a, a + 1};
            char *got = run(in, len, cuts, 2, false, max);
            char how[64];
            snprintf(how, sizeof how, "isolated byte %zu", a);
            expect_same(names[i], how, got, want);
            free(got);
        }
        free(want);
        free(in);
    }
    free_cases(names);
}

TEST(sse_vector_27_one_mib_line)
{
    size_t n = (size_t)1 << 20;
    char *in = malloc(n + 16);
    memcpy(in, "data: ", 6);
    for (size_t i = 0; i < n; i++) {
        in[6 + i] = (char)('a' + i % 26);
    }
    memcpy(in + 6 + n, "\n\n", 2);
    size_t len = n + 8;
    struct llmio__sse_parser p;
    llmio__sse_init(&p, NULL, 2 << 20);
    struct llmio__sse_event ev;
    /* Fed in 1000-byte pieces, then whole, then a byte at a time: linear. */
    size_t chunk_sizes[3] = {1000, len, 1};
    for (int round = 0; round < 3; round++) {
        int events = 0;
        for (size_t at = 0; at < len; at += chunk_sizes[round]) {
            size_t k =
                len - at < chunk_sizes[round] ? len - at : chunk_sizes[round];
            ASSERT_OK(llmio__sse_feed(&p, in + at, k));
            int r;
            while ((r = llmio__sse_next(&p, &ev)) == 1) {
                ASSERT_EQ(ev.data_len, n);
                ASSERT(memcmp(ev.data, in + 6, n) == 0);
                events++;
            }
            ASSERT_EQ(r, 0);
            if (round == 2 && test_is_valgrind() && at > 200000) {
                events = 1; /* enough under valgrind */
                break;
            }
        }
        ASSERT_EQ(events, 1);
        llmio__sse_cleanup(&p);
        llmio__sse_init(&p, NULL, 2 << 20);
    }
    llmio__sse_cleanup(&p);
    /* The default limit (1 MiB) takes exactly 1 MiB; one byte less fails. */
    llmio__sse_init(&p, NULL, 0);
    ASSERT_OK(llmio__sse_feed(&p, in, len));
    ASSERT_EQ(llmio__sse_next(&p, &ev), 1);
    llmio__sse_cleanup(&p);
    llmio__sse_init(&p, NULL, n - 1);
    ASSERT_OK(llmio__sse_feed(&p, in, len));
    ASSERT_EQ(llmio__sse_next(&p, &ev), -1);
    ASSERT_EQ(llmio__sse_status(&p), LLMIO_E_TOO_BIG);
    ASSERT_EQ(llmio__sse_feed(&p, "x", 1), LLMIO_E_TOO_BIG);
    llmio__sse_cleanup(&p);
    free(in);
}

TEST(sse_vector_5_and_6_reads)
{
    /* The exact reads from the table, checked explicitly. */
    static const char *const reads[] = {"data: A\r\n", "data: B\r", "\n",
                                        "data: C\r\n", "\n"};
    struct llmio__sse_parser p;
    llmio__sse_init(&p, NULL, 0);
    struct llmio__sse_event ev;
    int events = 0;
    for (size_t i = 0; i < 5; i++) {
        ASSERT_OK(llmio__sse_feed(&p, reads[i], strlen(reads[i])));
        while (llmio__sse_next(&p, &ev) == 1) {
            ASSERT_MEM_EQ(ev.data, ev.data_len, "A\nB\nC", 5);
            events++;
        }
    }
    ASSERT_EQ(events, 1);
    ASSERT(!llmio__sse_pending(&p));
    ASSERT_OK(llmio__sse_feed(&p, "data: a\r", 8));
    ASSERT_EQ(llmio__sse_next(&p, &ev), 0);
    ASSERT(llmio__sse_pending(&p));
    ASSERT_OK(llmio__sse_feed(&p, "\n\n", 2));
    ASSERT_EQ(llmio__sse_next(&p, &ev), 1);
    ASSERT_MEM_EQ(ev.data, ev.data_len, "a", 1);
    ASSERT_EQ(llmio__sse_next(&p, &ev), 0);
    ASSERT(!llmio__sse_pending(&p));
    ASSERT_EQ(llmio__sse_retry_ms(&p), -1);
    llmio__sse_cleanup(&p);
}

TEST(sse_huge_limit_does_not_wrap)
{
    struct llmio__sse_parser p;
    llmio__sse_init(&p, NULL, SIZE_MAX);
    struct llmio__sse_event ev;
    ASSERT_OK(llmio__sse_feed(&p, "data: x\n\n", 9));
    ASSERT_EQ(llmio__sse_next(&p, &ev), 1);
    ASSERT_MEM_EQ(ev.data, ev.data_len, "x", 1);
    llmio__sse_cleanup(&p);
}

TEST(sse_next_before_feed)
{
    struct llmio__sse_parser p;
    llmio__sse_init(&p, NULL, 0);
    struct llmio__sse_event ev;
    ASSERT_EQ(llmio__sse_next(&p, &ev), 0);
    ASSERT_OK(llmio__sse_feed(&p, "", 0));
    ASSERT_EQ(llmio__sse_next(&p, &ev), 0);
    ASSERT(!llmio__sse_pending(&p));
    llmio__sse_cleanup(&p);
}

TEST(sse_torture)
{
    static const char stream[] =
        "\xEF\xBB\xBFid: 1\nevent: a\ndata: x\ndata: y\n\n"
        "data: {\"single\":true}\n\n: comment\nretry: 10\n"
        "event: b\xff\ndata: \xff\n\n";
    size_t len = sizeof stream - 1;
    char *want = run(stream, len, NULL, 0, false, 0);
    bool ok = false;
    for (long n = 1; !ok; n++) {
        /* Split in three to exercise compaction and materialising. */
        for (int split = 0; split < 2; split++) {
            struct fail_alloc fa;
            fail_alloc_init(&fa, n);
            struct llmio__sse_parser p;
            llmio__sse_init(&p, &fa.a, 0);
            struct llmio__buf out;
            llmio__buf_init(&out, NULL, 0);
            llmio__buf_append(&out, "", 0);
            size_t cuts[3] = {split ? 20 : len, split ? 45 : len, len};
            size_t at = 0;
            llmio_status st = LLMIO_OK;
            for (int k = 0; k < 3 && st == LLMIO_OK; k++) {
                st = llmio__sse_feed(&p, stream + at, cuts[k] - at);
                at = cuts[k];
                if (st == LLMIO_OK && !drain(&p, &out)) {
                    st = llmio__sse_status(&p);
                }
            }
            if (st == LLMIO_OK) {
                if (llmio__sse_retry_ms(&p) >= 0) {
                    llmio__buf_appendf(&out, "retry\t%lld\n",
                                       (long long)llmio__sse_retry_ms(&p));
                }
                ASSERT_STR_EQ(out.data, want);
                if (split == 1) {
                    ok = true;
                }
            } else {
                ASSERT_EQ(st, LLMIO_E_NOMEM);
            }
            llmio__sse_cleanup(&p);
            llmio__buf_cleanup(&out);
            ASSERT_EQ(fa.live, 0);
        }
        ASSERT_CMP(n, <, 200);
    }
    free(want);
}
