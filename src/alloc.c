/*
 * alloc.c - the only place library code reaches the allocator.
 *
 * Every allocation goes through an llmio_allocator (the client's, or libc's
 * when NULL is passed), so a test allocator can fail the Nth allocation and
 * each client may use its own allocator (STYLE section 10). Size arithmetic
 * helpers check overflow before anything is allocated.
 */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

static void *libc_malloc(size_t n, void *user)
{
    (void)user;
    return malloc(n);
}

static void *libc_realloc(void *p, size_t n, void *user)
{
    (void)user;
    return realloc(p, n);
}

static void libc_free(void *p, void *user)
{
    (void)user;
    free(p);
}

const llmio_allocator llmio__default_allocator = {
    libc_malloc, libc_realloc, libc_free, NULL, {NULL, NULL, NULL, NULL}};

static const llmio_allocator *pick(const llmio_allocator *a)
{
    return a != NULL ? a : &llmio__default_allocator;
}

void *llmio__malloc(const llmio_allocator *a, size_t n)
{
    a = pick(a);
    /* malloc(0) may return NULL, which would read as out-of-memory. */
    return a->malloc(n == 0 ? 1 : n, a->user);
}

void *llmio__calloc(const llmio_allocator *a, size_t count, size_t size)
{
    size_t n;
    if (llmio__mul_overflows(count, size, &n)) {
        return NULL;
    }
    void *p = llmio__malloc(a, n);
    if (p != NULL) {
        memset(p, 0, n);
    }
    return p;
}

void *llmio__realloc(const llmio_allocator *a, void *p, size_t n)
{
    a = pick(a);
    return a->realloc(p, n == 0 ? 1 : n, a->user);
}

void llmio__free(const llmio_allocator *a, void *p)
{
    if (p != NULL) {
        a = pick(a);
        a->free(p, a->user);
    }
}

char *llmio__strndup(const llmio_allocator *a, const char *s, size_t len)
{
    if (len == SIZE_MAX) {
        return NULL;
    }
    char *d = llmio__malloc(a, len + 1);
    if (d != NULL) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

char *llmio__strdup(const llmio_allocator *a, const char *s)
{
    return llmio__strndup(a, s, strlen(s));
}

void llmio__secure_zero(void *p, size_t n)
{
    /* memset, then an empty asm that "reads" P: the compiler must assume
     * the zeroes are used, so it cannot drop the stores as dead (which it
     * may do for a memset right before free). A volatile byte loop does the
     * same at ~5 instructions per byte; this runs once per request on the
     * header buffer that holds the API key. */
    if (n == 0) {
        return;
    }
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

void llmio__free_secret(const llmio_allocator *a, char *s)
{
    if (s != NULL) {
        llmio__secure_zero(s, strlen(s));
        llmio__free(a, s);
    }
}
