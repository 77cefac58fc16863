/*
 * buf.c - bounded growable byte buffer with a hard maximum size.
 *
 * Invariants: LEN <= MAX; when DATA is not NULL, LEN < CAP and DATA[LEN] is
 * NUL, so text appended can be used as a C string; a failed operation
 * leaves the buffer exactly as it was (callers keep the first error).
 * Growth doubles, so appending N bytes one at a time costs O(N).
 * Owns: DATA.
 */
#include "buf.h"

#include "alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void llmio__buf_init(struct llmio__buf *b, const llmio_allocator *alloc,
                     size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max == 0 ? SIZE_MAX - 1 : max;
    b->alloc = alloc;
}

llmio_status llmio__buf_reserve(struct llmio__buf *b, size_t n)
{
    size_t need;
    if (n > b->max || b->len > b->max - n) {
        return LLMIO_E_TOO_BIG;
    }
    need = b->len + n + 1; /* cannot overflow: max <= SIZE_MAX - 1 */
    if (need <= b->cap) {
        return LLMIO_OK;
    }
    size_t cap = b->cap < 64 ? 64 : b->cap;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    /* Never hold more than the maximum needs. */
    if (cap > b->max + 1) {
        cap = b->max + 1;
    }
    char *d = llmio__realloc(b->alloc, b->data, cap);
    if (d == NULL) {
        return LLMIO_E_NOMEM;
    }
    if (b->data == NULL) {
        d[0] = '\0';
    }
    b->data = d;
    b->cap = cap;
    return LLMIO_OK;
}

llmio_status llmio__buf_append(struct llmio__buf *b, const void *p, size_t n)
{
    if (b->data == NULL || b->cap - b->len <= n) {
        llmio_status st = llmio__buf_reserve(b, n);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return LLMIO_OK;
}

llmio_status llmio__buf_appendc(struct llmio__buf *b, char c)
{
    return llmio__buf_append(b, &c, 1);
}

llmio_status llmio__buf_appends(struct llmio__buf *b, const char *s)
{
    return llmio__buf_append(b, s, strlen(s));
}

llmio_status llmio__buf_vappendf(struct llmio__buf *b, const char *fmt,
                                 va_list ap)
{
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return LLMIO_E_INVALID;
    }
    if ((size_t)n < sizeof small) {
        return llmio__buf_append(b, small, (size_t)n);
    }
    llmio_status st = llmio__buf_reserve(b, (size_t)n);
    if (st != LLMIO_OK) {
        return st;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return LLMIO_OK;
}

llmio_status llmio__buf_appendf(struct llmio__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    llmio_status st = llmio__buf_vappendf(b, fmt, ap);
    va_end(ap);
    return st;
}

void llmio__buf_reset(struct llmio__buf *b)
{
    b->len = 0;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

void llmio__buf_consume(struct llmio__buf *b, size_t n)
{
    if (n >= b->len) {
        llmio__buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

const char *llmio__buf_cstr(const struct llmio__buf *b)
{
    return b->data != NULL ? b->data : "";
}

void llmio__buf_cleanup(struct llmio__buf *b)
{
    llmio__free(b->alloc, b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
