/*
 * memo.h - the repeat-shape fast path for stream events (see memo.c).
 */
#ifndef LLMIO_PROVIDERS_MEMO_H
#define LLMIO_PROVIDERS_MEMO_H

#include "llmio.h"

#include "arena.h"
#include "buf.h"
#include "json.h"

#include <stdbool.h>
#include <stddef.h>

#define LLMIO__MEMO_HOLES 2

/* Caller-provided storage, zeroed or set up by llmio__memo_init; fields are
 * private to memo.c. */
struct llmio__memo {
    struct llmio__buf tpl;         /* the template event's JSON text */
    size_t off[LLMIO__MEMO_HOLES]; /* holes: string tokens in TPL, */
    size_t len[LLMIO__MEMO_HOLES]; /* in source order */
    size_t nholes;
    size_t text; /* the hole whose string is the event's text */
    bool valid;
};

void llmio__memo_init(struct llmio__memo *m, const llmio_allocator *alloc);

/*
 * llmio__memo_record - makes ROOT's source text (a fully parsed event) the
 * template. TEXT is the string value the event's text came from; OTHER
 * (nullable) a string value the provider never reads. Both must be value
 * nodes of ROOT's tree, and ROOT's translation must have produced nothing
 * but that text (and deltas the provider would not repeat, such as START).
 * On failure (memory) there is no template; the fast path is optional, so
 * nothing is reported.
 */
void llmio__memo_record(struct llmio__memo *m, const struct llmio__json *root,
                        const struct llmio__json *text,
                        const struct llmio__json *other);

/*
 * llmio__memo_match - whether P[0..LEN) is the template with a valid JSON
 * string token in each hole (and byte for byte the same elsewhere). On a
 * match returns true with the text hole's string decoded into A (*TEXT,
 * *TEXT_LEN, valid until A is reset); else false.
 */
bool llmio__memo_match(const struct llmio__memo *m, struct llmio__arena *a,
                       const char *p, size_t len, const char **text,
                       size_t *text_len);

/* Drops the template; the memo stays usable. */
void llmio__memo_forget(struct llmio__memo *m);

/* Frees the template. */
void llmio__memo_cleanup(struct llmio__memo *m);

#endif
