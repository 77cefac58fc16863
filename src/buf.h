/*
 * buf.h - bounded growable byte buffer (see buf.c).
 */
#ifndef LLMIO_BUF_H
#define LLMIO_BUF_H

#include "llmio.h"

#include <stdarg.h>
#include <stddef.h>

/*
 * DATA is NULL until the first successful append (or reserve); after one it
 * is always NUL-terminated at DATA[LEN] (the terminator is not counted in
 * LEN, and CAP counts it). LEN never exceeds MAX.
 */
struct llmio__buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* maximum LEN; 0 means SIZE_MAX - 1 */
    const llmio_allocator *alloc;
};

/* Empty buffer; allocates nothing. ALLOC may be NULL (libc). */
void llmio__buf_init(struct llmio__buf *b, const llmio_allocator *alloc,
                     size_t max);

/*
 * llmio__buf_append - append N bytes of P (P may be NULL when N is 0).
 * Returns LLMIO_OK, LLMIO_E_TOO_BIG when LEN + N would pass MAX, or
 * LLMIO_E_NOMEM; on failure the buffer is unchanged.
 */
llmio_status llmio__buf_append(struct llmio__buf *b, const void *p, size_t n);

/* Append one byte; same results as llmio__buf_append. */
llmio_status llmio__buf_appendc(struct llmio__buf *b, char c);

/* Append a NUL-terminated string. */
llmio_status llmio__buf_appends(struct llmio__buf *b, const char *s);

/*
 * llmio__buf_appendf - append printf-style formatted text (vsnprintf).
 * Same results as llmio__buf_append; on failure nothing is appended.
 */
llmio_status llmio__buf_appendf(struct llmio__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
llmio_status llmio__buf_vappendf(struct llmio__buf *b, const char *fmt,
                                 va_list ap);

/*
 * llmio__buf_reserve - make room for N more bytes (plus terminator) without
 * changing LEN, so a caller may write into DATA + LEN directly and then
 * advance LEN itself (keeping DATA[LEN] = 0). Same results as append.
 */
llmio_status llmio__buf_reserve(struct llmio__buf *b, size_t n);

/* LEN = 0; keeps the memory. */
void llmio__buf_reset(struct llmio__buf *b);

/* Drops the first N bytes (all of them when N >= LEN), keeping the rest. */
void llmio__buf_consume(struct llmio__buf *b, size_t n);

/* DATA, or "" when nothing was ever appended. */
const char *llmio__buf_cstr(const struct llmio__buf *b);

/* Frees the memory; the buffer is empty and may be used again. */
void llmio__buf_cleanup(struct llmio__buf *b);

#endif
