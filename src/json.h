/*
 * json.h - strict RFC 8259 JSON parser into an arena tree, an incremental
 * reader for concatenated / newline-delimited values, and a writer
 * (see json.c for the design).
 */
#ifndef LLMIO_JSON_H
#define LLMIO_JSON_H

#include "llmio.h"

#include "arena.h"
#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum llmio__json_type {
    LLMIO__JSON_NONE = 0, /* what accessors report for a NULL node */
    LLMIO__JSON_NULL,
    LLMIO__JSON_FALSE,
    LLMIO__JSON_TRUE,
    LLMIO__JSON_NUMBER,
    LLMIO__JSON_STRING,
    LLMIO__JSON_ARRAY,
    LLMIO__JSON_OBJECT
};

/*
 * A parsed value. Private: use the accessors. 24 bytes; the type is the
 * first byte of the value's source text, which every node points at.
 */
struct llmio__json {
    const char *raw; /* source text of the value, in the arena copy */
    union {
        const char *str;                /* string: decoded, NUL-terminated */
        const struct llmio__json *kids; /* array: n values; object: 2n */
        int64_t i;                      /* number: value when IS_INT */
    } u;
    uint32_t len;     /* string bytes / elements / members / number: is-int */
    uint32_t raw_len; /* bytes of RAW */
};

/* Parser limits; a zero field means the default. */
struct llmio__json_limits {
    size_t max_depth; /* nesting of arrays/objects; default 128 */
    size_t max_size;  /* input bytes; default 64 MiB, at most 4 GiB - 1 */
};

#define LLMIO__JSON_DEFAULT_DEPTH 128
#define LLMIO__JSON_DEFAULT_SIZE ((size_t)64 << 20)

/* Where and why a parse failed. OFFSET is 0-based in bytes; LINE and
 * COLUMN are 1-based (COLUMN counts bytes). */
struct llmio__json_error {
    size_t offset;
    size_t line;
    size_t column;
    char message[80];
};

/*
 * llmio__json_parse - parse exactly one JSON value (surrounding whitespace
 * allowed) from P[0..LEN) into arena A.
 *
 * The input is copied into A, so the tree does not refer to P and lives
 * until A is reset or cleaned up. LIM may be NULL for the defaults.
 * Returns:  LLMIO_OK and *OUT = root;
 *           LLMIO_E_PROTOCOL for malformed input (ERR says where),
 *           LLMIO_E_TOO_BIG past the depth or size limit,
 *           LLMIO_E_NOMEM when the arena cannot grow.
 *           On failure *OUT = NULL; memory already taken from A stays there.
 *           ERR (may be NULL) is filled on failure only.
 */
llmio_status llmio__json_parse(struct llmio__arena *a, const char *p,
                               size_t len, const struct llmio__json_limits *lim,
                               const struct llmio__json **out,
                               struct llmio__json_error *err);

/*
 * llmio__json_string_token - the JSON string token at the start of
 * P[0..LEN) (P[0] must be '"'), checked as strictly as llmio__json_parse
 * checks strings (escapes, surrogate pairs, UTF-8, no control characters)
 * and decoded into arena A: *OUT (NUL-terminated, may contain NULs) and
 * *OUTLEN. Returns the token's length in bytes, quotes included, or 0 when
 * P does not start with a valid string token or A cannot grow.
 */
size_t llmio__json_string_token(struct llmio__arena *a, const char *p,
                                size_t len, const char **out, size_t *outlen);

/* Accessors. Every one accepts NULL and then reports "absent". The small
 * ones are inline: a provider walks a tree for every stream chunk, and a
 * call costs more than what most of them do. */
static inline enum llmio__json_type llmio__json_type(const struct llmio__json *v)
{
    if (v == NULL) {
        return LLMIO__JSON_NONE;
    }
    switch (v->raw[0]) {
    case '{':
        return LLMIO__JSON_OBJECT;
    case '[':
        return LLMIO__JSON_ARRAY;
    case '"':
        return LLMIO__JSON_STRING;
    case 't':
        return LLMIO__JSON_TRUE;
    case 'f':
        return LLMIO__JSON_FALSE;
    case 'n':
        return LLMIO__JSON_NULL;
    default:
        return LLMIO__JSON_NUMBER;
    }
}

/* Member KEY of object OBJ (last one when duplicated); NULL if absent or
 * OBJ is not an object. */
const struct llmio__json *llmio__json_get(const struct llmio__json *obj,
                                          const char *key);
const struct llmio__json *llmio__json_getn(const struct llmio__json *obj,
                                           const char *key, size_t keylen);

/* Element count of an array, member count of an object, else 0. */
static inline size_t llmio__json_len(const struct llmio__json *v)
{
    if (v == NULL || (v->raw[0] != '{' && v->raw[0] != '[')) {
        return 0;
    }
    return v->len;
}

/* Element I of array ARR; NULL if out of range or not an array. */
static inline const struct llmio__json *
llmio__json_at(const struct llmio__json *arr, size_t i)
{
    if (arr == NULL || arr->raw[0] != '[' || i >= arr->len) {
        return NULL;
    }
    return &arr->u.kids[i];
}

/* Member I of object OBJ in source order: its value, with *KEY / *KEYLEN
 * set (either may be NULL); NULL if out of range or not an object. */
static inline const struct llmio__json *
llmio__json_member(const struct llmio__json *obj, size_t i, const char **key,
                   size_t *keylen)
{
    if (obj == NULL || obj->raw[0] != '{' || i >= obj->len) {
        if (key != NULL) {
            *key = NULL;
        }
        if (keylen != NULL) {
            *keylen = 0;
        }
        return NULL;
    }
    const struct llmio__json *k = &obj->u.kids[2 * i];
    if (key != NULL) {
        *key = k->u.str;
    }
    if (keylen != NULL) {
        *keylen = k->len;
    }
    return k + 1;
}

/* Decoded string (NUL-terminated, may contain NULs) and its length; NULL
 * if V is not a string. LEN may be NULL. */
static inline const char *llmio__json_str(const struct llmio__json *v,
                                          size_t *len)
{
    if (v == NULL || v->raw[0] != '"') {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = v->len;
    }
    return v->u.str;
}

/* True and *OUT set when V is a number written as an integer (no fraction
 * or exponent) that fits int64_t (LEN is 1 exactly then). */
static inline bool llmio__json_int(const struct llmio__json *v, int64_t *out)
{
    if (v == NULL || v->len != 1 ||
        (v->raw[0] != '-' && (unsigned)(v->raw[0] - '0') >= 10)) {
        return false;
    }
    *out = v->u.i;
    return true;
}

/* True and *OUT set when V is a number (nearest double; huge magnitudes
 * give +-HUGE_VAL). Conversion is done on each call (lazy). */
bool llmio__json_double(const struct llmio__json *v, double *out);

bool llmio__json_bool(const struct llmio__json *v, bool *out);
static inline bool llmio__json_is_null(const struct llmio__json *v)
{
    return v != NULL && v->raw[0] == 'n';
}

/* A number's source text (not NUL-terminated); NULL if not a number. */
const char *llmio__json_number_text(const struct llmio__json *v, size_t *len);

/* The exact source bytes of any value (not NUL-terminated: the next source
 * byte follows); valid as long as the arena. NULL for NULL. */
const char *llmio__json_raw(const struct llmio__json *v, size_t *len);

/* Byte-wise equality of two strings values with S[0..LEN). */
bool llmio__json_str_eq(const struct llmio__json *v, const char *s, size_t len);

/* ------------------------------------------------------------------ */
/* Incremental reader: a byte stream of concatenated JSON values.       */
/* ------------------------------------------------------------------ */

enum llmio__json_scan_state {
    LLMIO__JSCAN_BETWEEN = 0, /* between values (whitespace) */
    LLMIO__JSCAN_CONTAINER,   /* inside an array or object */
    LLMIO__JSCAN_STRING,      /* inside a string */
    LLMIO__JSCAN_ESCAPE,      /* right after a backslash in a string */
    LLMIO__JSCAN_SCALAR       /* inside a top-level number or literal */
};

struct llmio__json_reader {
    struct llmio__buf in; /* bytes fed and not yet consumed */
    size_t scan;          /* bytes of IN already scanned */
    size_t start;         /* start of the current value in IN */
    size_t consumed;      /* stream offset of IN[0] */
    size_t depth;         /* container depth while scanning */
    size_t line;          /* line of IN[SCAN] in the stream (1-based) */
    size_t line_off;      /* stream offset where that line starts */
    size_t vline;         /* line and column of the current value's start */
    size_t vcol;
    struct llmio__json_limits lim;
    enum llmio__json_scan_state state;
    bool top_string; /* the current value is a top-level string */
    bool eof;
    llmio_status status; /* sticky first error */
    struct llmio__json_error err;
};

/*
 * llmio__json_reader_init - empty reader. LIM may be NULL (defaults); its
 * max_size bounds one value and therefore the bytes the reader buffers.
 */
void llmio__json_reader_init(struct llmio__json_reader *r,
                             const llmio_allocator *alloc,
                             const struct llmio__json_limits *lim);

/* Appends bytes. Returns LLMIO_OK, LLMIO_E_NOMEM (nothing appended), or
 * the reader's sticky error. Values returned earlier live in the caller's
 * arena and never point into the reader, so feeding never invalidates them. */
llmio_status llmio__json_reader_feed(struct llmio__json_reader *r,
                                     const char *p, size_t len);

/* Marks the end of the stream: a pending top-level number is completed and
 * an unfinished value becomes an LLMIO_E_PROTOCOL error. */
void llmio__json_reader_finish(struct llmio__json_reader *r);

/*
 * llmio__json_reader_next - the next complete value, parsed into arena A.
 * Returns 1 and *OUT; 0 when more bytes are needed (or the stream ended
 * cleanly); -1 on error (llmio__json_reader_status says which; sticky).
 * Results and error offsets are the same for every way of splitting the
 * input into feeds.
 */
int llmio__json_reader_next(struct llmio__json_reader *r,
                            struct llmio__arena *a,
                            const struct llmio__json **out);

/*
 * llmio__json_reader_next_raw - framing only: the source bytes of the next
 * complete top-level value, without parsing it (for a caller that parses
 * each value itself, such as a provider's stream-event parser, so values
 * are not parsed twice). *P stays valid until the next feed or cleanup.
 * Syntax errors inside the value are not detected here; a value cut off by
 * the end of the stream is LLMIO_E_PROTOCOL and an oversized one
 * LLMIO_E_TOO_BIG. Returns 1, 0 or -1 as llmio__json_reader_next.
 */
int llmio__json_reader_next_raw(struct llmio__json_reader *r, const char **p,
                                size_t *len);

/* The sticky error (LLMIO_OK if none); ERR may be NULL. Error offsets are
 * counted from the start of the stream. */
llmio_status llmio__json_reader_status(const struct llmio__json_reader *r,
                                       struct llmio__json_error *err);

void llmio__json_reader_cleanup(struct llmio__json_reader *r);

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

#define LLMIO__JW_MAX_DEPTH 128

struct llmio__jw {
    struct llmio__buf *buf;
    llmio_status status; /* first error; later calls do nothing */
    unsigned depth;
    /* Per level: bit 0 object, bit 1 has a member/element, bit 2 a key was
     * written and its value is due. Level 0 is the top level. */
    unsigned char level[LLMIO__JW_MAX_DEPTH + 1];
};

/* Writes compact JSON (no whitespace) appended to BUF. */
void llmio__jw_init(struct llmio__jw *w, struct llmio__buf *buf);
void llmio__jw_obj_begin(struct llmio__jw *w);
void llmio__jw_obj_end(struct llmio__jw *w);
void llmio__jw_arr_begin(struct llmio__jw *w);
void llmio__jw_arr_end(struct llmio__jw *w);
/* A member key (only inside an object, before each value). */
void llmio__jw_key(struct llmio__jw *w, const char *k, size_t klen);
/* A string value of LEN bytes; invalid UTF-8 is LLMIO_E_INVALID. */
void llmio__jw_str(struct llmio__jw *w, const char *s, size_t len);
/* NUL-terminated convenience forms. */
void llmio__jw_keys(struct llmio__jw *w, const char *k);
void llmio__jw_strs(struct llmio__jw *w, const char *s);
void llmio__jw_int(struct llmio__jw *w, int64_t i);
/* Shortest text that parses back to D exactly; NaN/Inf is LLMIO_E_INVALID. */
void llmio__jw_dbl(struct llmio__jw *w, double d);
void llmio__jw_bool(struct llmio__jw *w, bool b);
void llmio__jw_null(struct llmio__jw *w);
/* Inserts JSON text as one value, unchecked (it must be valid JSON). */
void llmio__jw_raw(struct llmio__jw *w, const char *json, size_t len);
/* Re-serializes a parsed tree canonically (compact; numbers keep their
 * source text; strings re-escaped). */
void llmio__json_write(struct llmio__jw *w, const struct llmio__json *v);
/*
 * llmio__jw_status - the first error: LLMIO_E_NOMEM / LLMIO_E_TOO_BIG from
 * the buffer, LLMIO_E_INVALID for misuse (unbalanced begin/end, a key
 * outside an object, a value without a key, depth past 128, bad UTF-8,
 * NaN). Call after the last value: an unfinished document is
 * LLMIO_E_INVALID only through llmio__jw_finish.
 */
llmio_status llmio__jw_status(const struct llmio__jw *w);
/* Like llmio__jw_status, and also LLMIO_E_INVALID if containers are open
 * or nothing was written. */
llmio_status llmio__jw_finish(const struct llmio__jw *w);

#endif
