/*
 * fuzz_sse.c - libFuzzer target for the SSE parser.
 *
 * The first byte picks the event size limit and the split point; the rest
 * is the stream. It is parsed in one feed, in two feeds split at the chosen
 * offset, and (for short inputs) one byte at a time; the event sequences
 * (type, id, data), the retry value and the final status must be identical.
 * Any mismatch aborts.
 */
#include "buf.h"
#include "sse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put(struct llmio__buf *out, const char *s, size_t n)
{
    llmio__buf_appendf(out, "%zu:", n);
    llmio__buf_append(out, s, n);
    llmio__buf_appendc(out, '|');
}

/* Parses S in feeds of at most STEP bytes, except that the first feed ends
 * at CUT. Appends a transcript to OUT. */
static void run(const char *s, size_t n, size_t cut, size_t step, size_t max,
                struct llmio__buf *out)
{
    struct llmio__sse_parser p;
    llmio__sse_init(&p, NULL, max);
    size_t at = 0;
    int rc = 0;
    while (at < n && rc >= 0) {
        size_t k = at < cut ? cut - at : n - at;
        if (k > step) {
            k = step;
        }
        if (llmio__sse_feed(&p, s + at, k) != LLMIO_OK) {
            break;
        }
        at += k;
        struct llmio__sse_event ev;
        while ((rc = llmio__sse_next(&p, &ev)) == 1) {
            if (ev.data[ev.data_len] != '\0' || ev.type[ev.type_len] != '\0' ||
                ev.id[ev.id_len] != '\0') {
                abort();
            }
            put(out, ev.type, ev.type_len);
            put(out, ev.id, ev.id_len);
            put(out, ev.data, ev.data_len);
            llmio__buf_appendc(out, '\n');
        }
    }
    llmio__buf_appendf(out, "status %d retry %lld", (int)llmio__sse_status(&p),
                       (long long)llmio__sse_retry_ms(&p));
    llmio__sse_cleanup(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    size_t max = data[0] & 1 ? 64 + data[0] : 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    size_t cut = n > 0 ? (size_t)data[0] * 131 % (n + 1) : 0;
    struct llmio__buf a, b, c;
    llmio__buf_init(&a, NULL, 0);
    llmio__buf_init(&b, NULL, 0);
    llmio__buf_init(&c, NULL, 0);
    run(s, n, n, n + 1, max, &a);
    run(s, n, cut, n + 1, max, &b);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
        fprintf(stderr, "split at %zu differs\n", cut);
        abort();
    }
    if (n <= 2048) {
        run(s, n, 0, 1, max, &c);
        if (a.len != c.len || memcmp(a.data, c.data, a.len) != 0) {
            fprintf(stderr, "bytewise differs\n");
            abort();
        }
    }
    llmio__buf_cleanup(&a);
    llmio__buf_cleanup(&b);
    llmio__buf_cleanup(&c);
    return 0;
}
