/*
 * arena.c - bump allocator: allocations are carved from blocks obtained from
 * an llmio_allocator and are freed together by reset or cleanup.
 *
 * Invariants: every pointer returned is 8-byte aligned; head->data..ptr is
 * used, ptr..end is free; `used` is the sum of the sizes of all blocks held
 * and never exceeds `limit` when a limit is set. Blocks grow geometrically
 * (4 KiB doubling to 64 KiB) so a parse tree of any size costs O(log n)
 * allocator calls; a request larger than a quarter of the regular block size
 * gets its own block, linked behind the head, so the partly used head keeps
 * serving small requests. Reset consolidates what a round needed into one
 * block (up to 1 MiB), so a reused scratch arena reaches a steady state with
 * no allocator calls at all.
 * Owns: every block in the chain.
 */
#include "arena.h"

#include "alloc.h"

#include <string.h>

#define FIRST_BLOCK 4096u
#define MAX_BLOCK 65536u
/* Largest single block reset() consolidates into. */
#define RESET_MAX ((size_t)1 << 20)

struct llmio__arena_block {
    struct llmio__arena_block *prev;
    size_t size; /* total bytes of this block, header included */
    /* Keeps the data that follows the header 8-byte aligned. */
    uint64_t data[];
};

#define HDR (offsetof(struct llmio__arena_block, data))

void llmio__arena_init(struct llmio__arena *a, const llmio_allocator *alloc,
                       size_t limit)
{
    memset(a, 0, sizeof *a);
    a->alloc = alloc;
    a->limit = limit;
    a->next_size = FIRST_BLOCK;
}

static struct llmio__arena_block *new_block(struct llmio__arena *a, size_t size)
{
    if (a->limit != 0 && (size > a->limit || a->used > a->limit - size)) {
        return NULL;
    }
    struct llmio__arena_block *b = llmio__malloc(a->alloc, size);
    if (b == NULL) {
        return NULL;
    }
    b->size = size;
    a->used += size;
    return b;
}

void *llmio__arena_alloc_slow(struct llmio__arena *a, size_t n)
{
    size_t r, size;
    if (llmio__add_overflows(n, 7, &r)) {
        return NULL;
    }
    r &= ~(size_t)7;
    if (a->ptr != NULL && (size_t)(a->end - a->ptr) >= r) {
        void *p = a->ptr;
        a->ptr += r;
        return p;
    }
    if (llmio__add_overflows(r, HDR, &size)) {
        return NULL;
    }
    if (a->head != NULL && r > a->next_size / 4) {
        /* Dedicated block behind the head: the head's free tail survives. */
        struct llmio__arena_block *b = new_block(a, size);
        if (b == NULL) {
            return NULL;
        }
        b->prev = a->head->prev;
        a->head->prev = b;
        return b->data;
    }
    if (size < a->next_size) {
        size = a->next_size;
    }
    struct llmio__arena_block *b = new_block(a, size);
    if (b == NULL && size > r + HDR) {
        /* Near the limit a block just big enough may still fit. */
        size = r + HDR;
        b = new_block(a, size);
    }
    if (b == NULL) {
        return NULL;
    }
    b->prev = a->head;
    a->head = b;
    a->ptr = (char *)b->data + r;
    a->end = (char *)b + size;
    if (a->next_size < MAX_BLOCK) {
        a->next_size *= 2;
    }
    return b->data;
}

void *llmio__arena_alloc(struct llmio__arena *a, size_t n)
{
    return llmio__arena_alloc_fast(a, n);
}

void *llmio__arena_calloc(struct llmio__arena *a, size_t n)
{
    void *p = llmio__arena_alloc_fast(a, n);
    if (p != NULL) {
        memset(p, 0, n);
    }
    return p;
}

char *llmio__arena_strndup(struct llmio__arena *a, const char *s, size_t len)
{
    if (len == SIZE_MAX) {
        return NULL;
    }
    char *d = llmio__arena_alloc_fast(a, len + 1);
    if (d != NULL) {
        if (len > 0) {
            memcpy(d, s, len);
        }
        d[len] = '\0';
    }
    return d;
}

void *llmio__arena_memdup(struct llmio__arena *a, const void *s, size_t len)
{
    void *d = llmio__arena_alloc_fast(a, len);
    if (d != NULL && len > 0) {
        memcpy(d, s, len);
    }
    return d;
}

void llmio__arena_reset(struct llmio__arena *a)
{
    struct llmio__arena_block *b = a->head;
    if (b == NULL) {
        return;
    }
    if (b->prev == NULL) {
        a->ptr = (char *)b->data;
        return;
    }
    /* Several blocks: replace them with one block as large as all of them
     * together (up to RESET_MAX), so the same workload next time fits in a
     * single block and costs no allocator calls. Past RESET_MAX, or if that
     * allocation fails, the largest block is kept instead. */
    size_t total = a->used;
    struct llmio__arena_block *keep = NULL;
    while (b != NULL) {
        struct llmio__arena_block *prev = b->prev;
        if (keep == NULL || b->size > keep->size) {
            if (keep != NULL) {
                a->used -= keep->size;
                llmio__free(a->alloc, keep);
            }
            keep = b;
        } else {
            a->used -= b->size;
            llmio__free(a->alloc, b);
        }
        b = prev;
    }
    if (total > keep->size && total <= RESET_MAX) {
        a->used -= keep->size;
        llmio__free(a->alloc, keep);
        keep = new_block(a, total);
    }
    a->head = keep;
    if (keep != NULL) {
        keep->prev = NULL;
        a->ptr = (char *)keep->data;
        a->end = (char *)keep + keep->size;
    } else {
        a->ptr = NULL;
        a->end = NULL;
    }
}

void llmio__arena_cleanup(struct llmio__arena *a)
{
    struct llmio__arena_block *b = a->head;
    while (b != NULL) {
        struct llmio__arena_block *prev = b->prev;
        llmio__free(a->alloc, b);
        b = prev;
    }
    llmio__arena_init(a, a->alloc, a->limit);
}

size_t llmio__arena_used(const struct llmio__arena *a)
{
    return a->used;
}
