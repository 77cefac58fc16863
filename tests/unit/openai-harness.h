/*
 * openai-harness.h - helpers for the request/response/OpenAI tests: a
 * delta sink that dumps deltas canonically while feeding the accumulator,
 * a response dump, so data cases compare plain text, and the golden-file
 * compare every unit harness uses. Allocation torture uses test-parsers.h's
 * failing allocator, like every other torture loop.
 *
 * Not merged with provider-harness.c: that one records its own view of
 * the deltas without the accumulator (every framing, Anthropic, Gemini,
 * Ollama); this one runs OpenAI's SSE through llmio_response. The two dump
 * formats are what 250-odd golden files under tests/data hold.
 */
#ifndef LLMIO_TEST_OPENAI_HARNESS_H
#define LLMIO_TEST_OPENAI_HARNESS_H

#include "test-parsers.h"
#include "test.h"

#include "arena.h"
#include "buf.h"
#include "providers/provider.h"
#include "request.h"
#include "response.h"

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
 * on a difference (or no file) writes ACTUAL to PATH.actual, to diff, and
 * fails; with LLMIO_TEST_REGEN=1 in the environment, writes ACTUAL to
 * PATH instead. */
void oh_expect_file(const char *path, const char *actual);
/* Writes ACTUAL to PATH.actual (PATH relative to the repository root), so
 * a failed golden comparison leaves something to diff. */
void oh_save_actual(const char *path, const char *actual);

#endif
