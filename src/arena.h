/*
 * arena.h - bump allocator that hands out memory from large blocks obtained
 * from an llmio_allocator, released all at once (see arena.c).
 */
#ifndef LLMIO_ARENA_H
#define LLMIO_ARENA_H

#include "llmio.h"

#include <stddef.h>
#include <stdint.h>

struct llmio__arena_block;

/* Caller-provided storage; fields are private to arena.c except for the
 * inline fast path below. */
struct llmio__arena {
    const llmio_allocator *alloc;
    struct llmio__arena_block *head; /* newest block; blocks chain to older */
    char *ptr;                       /* next free byte in head */
    char *end;                       /* one past head's last byte */
    size_t limit;                    /* max bytes of blocks; 0 = no limit */
    size_t used;                     /* bytes of blocks currently held */
    size_t next_size;                /* size of the next regular block */
};

/*
 * llmio__arena_init - set up an empty arena (allocates nothing yet).
 * ALLOC may be NULL (libc). LIMIT caps the total bytes of blocks the arena
 * may hold, headers included; 0 means no limit.
 */
void llmio__arena_init(struct llmio__arena *a, const llmio_allocator *alloc,
                       size_t limit);

/*
 * llmio__arena_alloc - N bytes, 8-byte aligned, valid until reset/cleanup.
 * Returns NULL when the allocator fails or the limit would be passed; the
 * arena stays usable. N == 0 returns a valid unique-enough pointer.
 */
void *llmio__arena_alloc(struct llmio__arena *a, size_t n);

/* Like llmio__arena_alloc but zero-filled. */
void *llmio__arena_calloc(struct llmio__arena *a, size_t n);

/* A NUL-terminated copy of LEN bytes of S (which may contain NULs). */
char *llmio__arena_strndup(struct llmio__arena *a, const char *s, size_t len);

/* A copy of LEN bytes of S, without terminator. */
void *llmio__arena_memdup(struct llmio__arena *a, const void *s, size_t len);

/*
 * llmio__arena_reset - forget every allocation but keep one block for
 * reuse (sized to what the last round used, up to 1 MiB), so a per-event
 * scratch arena stops calling the allocator once warm.
 */
void llmio__arena_reset(struct llmio__arena *a);

/* Frees every block; the arena may be used again (as after init). */
void llmio__arena_cleanup(struct llmio__arena *a);

/* Bytes of blocks currently held (for limits and tests). */
size_t llmio__arena_used(const struct llmio__arena *a);

/* Out-of-line slow path of llmio__arena_alloc_fast. */
void *llmio__arena_alloc_slow(struct llmio__arena *a, size_t n);

/*
 * llmio__arena_alloc_fast - inline bump for hot paths (the JSON parser);
 * same contract as llmio__arena_alloc.
 */
static inline void *llmio__arena_alloc_fast(struct llmio__arena *a, size_t n)
{
    size_t r = (n + 7) & ~(size_t)7;
    if (a->ptr != NULL && r >= n && (size_t)(a->end - a->ptr) >= r) {
        void *p = a->ptr;
        a->ptr += r;
        return p;
    }
    return llmio__arena_alloc_slow(a, n);
}

#endif
