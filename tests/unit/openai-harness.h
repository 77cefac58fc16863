/*
 * openai-harness.h - helpers for the request/response/OpenAI tests: a
 * counting allocator that fails the Nth allocation, a delta sink that
 * dumps deltas canonically while feeding the accumulator, and a response
 * dump, so data cases compare plain text.
 */
#ifndef LLMIO_TEST_OPENAI_HARNESS_H
#define LLMIO_TEST_OPENAI_HARNESS_H

#include "test.h"

#include "arena.h"
#include "buf.h"
#include "providers/provider.h"
#include "request.h"
#include "response.h"

/* An allocator that fails allocation number FAIL_AT (1-based; 0 never)
 * and counts live blocks so a test can assert nothing leaked. */
struct oh_alloc {
    llmio_allocator a;
    long calls;
    long fail_at;
    long live;
    bool failed;
};
void oh_alloc_init(struct oh_alloc *fa, long fail_at);

/* One translation run: deltas go to DUMP (one line each) and to RESP. */
struct oh_run {
    const llmio_allocator *alloc;
    struct llmio__arena arena; /* the "future's" arena */
    struct llmio_response resp;
    struct llmio__buf dump;
    struct llmio__stream_ctx ctx;
    _Alignas(16) unsigned char state[LLMIO__OPENAI_STATE_SIZE];
    llmio_error err;
    llmio_status st;     /* first failure of the run */
    llmio_status add_st; /* first accumulator failure */
    int stop_after;      /* sink returns ABORTED after this many; 0 never */
    int ndeltas;
};
/* When true, runs parse every stream event in full, without the
 * repeat-shape fast path (llmio__openai_stream_exact), for comparing. */
extern bool oh_exact;

void oh_run_init(struct oh_run *r, const llmio_allocator *alloc);
void oh_run_cleanup(struct oh_run *r);

/* Appends a canonical dump of the finished response to OUT. */
void oh_dump_response(const llmio_response *resp, struct llmio__buf *out);

/* Feeds an SSE byte stream through the SSE parser and the provider's
 * parse_event in pieces: CHUNK 0 = whole, else CHUNK bytes per feed;
 * SPLIT_AT > 0 feeds [0,SPLIT_AT) then the rest. Finishes the response
 * and appends its dump; returns the whole dump (malloc'd). */
char *oh_stream(const struct llmio__provider *p, const char *in, size_t len,
                size_t chunk, size_t split_at, const llmio_allocator *alloc,
                llmio_status *st);

/* Runs parse_body on BODY and returns the dump (deltas + response). */
char *oh_body(const struct llmio__provider *p, const char *body, size_t len,
              const llmio_allocator *alloc, llmio_status *st);

/* Compares ACTUAL with the file PATH (relative to the repository root);
 * with LLMIO_TEST_REGEN=1 in the environment, writes ACTUAL there
 * instead. */
void oh_expect_file(const char *path, const char *actual);

#endif
