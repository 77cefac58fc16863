/*
 * fuzz_json.c - libFuzzer target for the JSON parser, writer and reader.
 *
 * For each input: (1) parse it; on success walk every node through the
 * accessors, write it canonically, and check that parse(write(x)) writes
 * back to the same bytes (the canonical form is a fixed point); (2) feed it
 * to the incremental reader whole and split at a data-derived offset, and
 * check that both give the same values and the same error; (3) the same
 * for the framing-only reader (llmio__json_reader_next_raw). Any mismatch
 * aborts.
 */
#include "arena.h"
#include "buf.h"
#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const struct llmio__json *v, int depth)
{
    size_t n = 1;
    int64_t i;
    double d;
    bool b;
    size_t len;
    (void)llmio__json_int(v, &i);
    (void)llmio__json_double(v, &d);
    (void)llmio__json_bool(v, &b);
    (void)llmio__json_str(v, &len);
    (void)llmio__json_raw(v, &len);
    (void)llmio__json_number_text(v, &len);
    for (size_t k = 0; k < llmio__json_len(v); k++) {
        const char *key;
        size_t klen;
        const struct llmio__json *m = llmio__json_member(v, k, &key, &klen);
        if (m != NULL) {
            if (llmio__json_getn(v, key, klen) == NULL) {
                abort(); /* a member's key must find a value */
            }
            n += walk(m, depth + 1);
        } else {
            n += walk(llmio__json_at(v, k), depth + 1);
        }
    }
    return n;
}

static void write_tree(const struct llmio__json *v, struct llmio__buf *out)
{
    struct llmio__jw w;
    llmio__jw_init(&w, out);
    llmio__json_write(&w, v);
    if (llmio__jw_finish(&w) != LLMIO_OK) {
        abort(); /* every parsed tree can be written */
    }
}

/* Reader transcript: canonical values then the error, one per line. */
static void reader_run(const uint8_t *data, size_t size, size_t cut,
                       struct llmio__buf *out)
{
    struct llmio__json_reader r;
    struct llmio__json_limits lim = {64, 4096};
    llmio__json_reader_init(&r, NULL, &lim);
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    size_t pieces[2] = {cut, size - cut};
    size_t at = 0;
    for (int k = 0; k <= 2; k++) {
        if (k < 2) {
            if (llmio__json_reader_feed(&r, (const char *)data + at,
                                        pieces[k]) != LLMIO_OK) {
                break;
            }
            at += pieces[k];
        } else {
            llmio__json_reader_finish(&r);
        }
        const struct llmio__json *v;
        while (llmio__json_reader_next(&r, &a, &v) == 1) {
            write_tree(v, out);
            llmio__buf_appendc(out, '\n');
            llmio__arena_reset(&a);
        }
    }
    struct llmio__json_error err;
    llmio_status st = llmio__json_reader_status(&r, &err);
    llmio__buf_appendf(out, "%d %zu %zu %zu %s", (int)st, err.offset, err.line,
                       err.column, st ? err.message : "");
    llmio__json_reader_cleanup(&r);
    llmio__arena_cleanup(&a);
}

/* Framing-only transcript: each value's bytes, then the status. */
static void reader_raw_run(const uint8_t *data, size_t size, size_t cut,
                           struct llmio__buf *out)
{
    struct llmio__json_reader r;
    struct llmio__json_limits lim = {64, 4096};
    llmio__json_reader_init(&r, NULL, &lim);
    size_t pieces[2] = {cut, size - cut};
    size_t at = 0;
    for (int k = 0; k <= 2; k++) {
        if (k < 2) {
            if (llmio__json_reader_feed(&r, (const char *)data + at,
                                        pieces[k]) != LLMIO_OK) {
                break;
            }
            at += pieces[k];
        } else {
            llmio__json_reader_finish(&r);
        }
        const char *p;
        size_t n;
        while (llmio__json_reader_next_raw(&r, &p, &n) == 1) {
            llmio__buf_appendf(out, "%zu:", n);
            llmio__buf_append(out, p, n);
        }
    }
    struct llmio__json_error err;
    llmio_status st = llmio__json_reader_status(&r, &err);
    llmio__buf_appendf(out, "|%d %zu", (int)st, st ? err.offset : 0);
    llmio__json_reader_cleanup(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v;
    struct llmio__json_limits lim = {64, 1 << 20};
    if (llmio__json_parse(&a, (const char *)data, size, &lim, &v, NULL) ==
        LLMIO_OK) {
        walk(v, 0);
        struct llmio__buf w1, w2;
        llmio__buf_init(&w1, NULL, 0);
        llmio__buf_init(&w2, NULL, 0);
        write_tree(v, &w1);
        const struct llmio__json *v2;
        if (llmio__json_parse(&a, w1.data, w1.len, &lim, &v2, NULL) !=
            LLMIO_OK) {
            abort(); /* the writer's output is valid JSON */
        }
        write_tree(v2, &w2);
        if (w1.len != w2.len || memcmp(w1.data, w2.data, w1.len) != 0) {
            abort(); /* canonical output is a fixed point */
        }
        llmio__buf_cleanup(&w1);
        llmio__buf_cleanup(&w2);
    }
    llmio__arena_cleanup(&a);

    if (size <= 4096) {
        struct llmio__buf one, two;
        llmio__buf_init(&one, NULL, 0);
        llmio__buf_init(&two, NULL, 0);
        size_t cut = size > 0 ? (size_t)data[0] * 257 % (size + 1) : 0;
        reader_run(data, size, size, &one);
        reader_run(data, size, cut, &two);
        if (one.len != two.len || memcmp(one.data, two.data, one.len) != 0) {
            fprintf(stderr, "reader split at %zu differs:\n%s\n---\n%s\n", cut,
                    one.data, two.data);
            abort();
        }
        llmio__buf_reset(&one);
        llmio__buf_reset(&two);
        reader_raw_run(data, size, size, &one);
        reader_raw_run(data, size, cut, &two);
        if (one.len != two.len || memcmp(one.data, two.data, one.len) != 0) {
            fprintf(stderr, "raw reader split at %zu differs\n", cut);
            abort();
        }
        llmio__buf_cleanup(&one);
        llmio__buf_cleanup(&two);
    }
    return 0;
}
