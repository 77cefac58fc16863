/*
 * alloc.h - allocation through a client's llmio_allocator (see alloc.c).
 *
 * A NULL allocator means libc. Every function returns NULL on failure and
 * never aborts; callers turn that into LLMIO_E_NOMEM.
 */
#ifndef LLMIO_ALLOC_H
#define LLMIO_ALLOC_H

#include "llmio.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const llmio_allocator llmio__default_allocator;

void *llmio__malloc(const llmio_allocator *a, size_t n);
void *llmio__calloc(const llmio_allocator *a, size_t count, size_t size);
void *llmio__realloc(const llmio_allocator *a, void *p, size_t n);
void llmio__free(const llmio_allocator *a, void *p);
char *llmio__strdup(const llmio_allocator *a, const char *s);
char *llmio__strndup(const llmio_allocator *a, const char *s, size_t len);

/* Zeroes N bytes in a way the optimiser keeps (for secrets). */
void llmio__secure_zero(void *p, size_t n);
/* Zeroes a NUL-terminated secret, then frees it. NULL is a no-op. */
void llmio__free_secret(const llmio_allocator *a, char *s);

/* Overflow-checked size arithmetic: true when A op B does not fit. */
static inline bool llmio__mul_overflows(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

static inline bool llmio__add_overflows(size_t a, size_t b, size_t *out)
{
    return __builtin_add_overflow(a, b, out);
}

#endif
