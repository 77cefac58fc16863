/*
 * json.c - strict RFC 8259 JSON parser into an arena tree, plus an
 * incremental reader and a compact writer; no I/O.
 *
 * Parser design (the hot path is a ~250-byte stream chunk, parsed in a few
 * hundred nanoseconds):
 *  - The input is copied into the arena once, with a NUL after it. Every
 *    node's RAW points into that copy, which gives llmio__json_raw() the
 *    exact source bytes for as long as the arena lives and makes the NUL a
 *    sentinel: scanning loops stop on it (it is not valid anywhere in JSON)
 *    instead of testing for the end on every byte.
 *  - One iterative pass, no recursion: values are pushed onto a node stack
 *    (on the C stack, spilling to the heap for big documents); when a
 *    container closes, its children are copied into one arena array of
 *    exact size. Each node is written twice and the arena sees one bump per
 *    container and per string, never a malloc per node.
 *  - Nodes are 24 bytes. The type is not stored: it is the first byte of
 *    the value's source text ('{', '[', '"', 't', 'f', 'n', else a number).
 *  - Strings are decoded into their own NUL-terminated arena copy (a
 *    memcpy when they hold no escapes and are ASCII, the common case), so
 *    the raw copy stays untouched. Numbers keep their text; the int64 value
 *    is computed during the scan (cheap, digits are visited anyway), the
 *    double is converted on access (strtod_l in the C locale, so a host
 *    program's setlocale() cannot change results).
 *  - Strictness: UTF-8 is validated (RFC 3629), \u escapes must pair
 *    surrogates, no leading zeros, NaN, trailing commas, control characters
 *    in strings or trailing garbage; depth and size limits give
 *    LLMIO_E_TOO_BIG.
 *
 * Incremental reader design: a byte-level scanner with explicit state
 * (between values, in a container with its depth, in a string, after a
 * backslash, in a top-level scalar) finds where each top-level value ends,
 * resuming at any byte; the value's bytes are then handed to the one-shot
 * parser above. Keeping the resumable logic out of the parser keeps the
 * parser's loop tight, and because value boundaries depend only on the byte
 * sequence, every split of the input gives the same values and the same
 * errors (offsets are counted from the start of the stream). Newline-
 * delimited JSON (Ollama) is just values separated by whitespace, so there is
 * no separate line splitter.
 *
 * Writer design: compact output appended to an llmio__buf, automatic commas
 * from a per-level state byte, and a sticky first error so callers check
 * once at the end.
 *
 * Owns: nothing beyond the call (trees belong to the caller's arena; the
 * reader owns its input buffer; the writer appends to the caller's buffer).
 */
#include "json.h"

#include "alloc.h"
#include "utf8.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ------------------------------------------------------------------ */
/* Character classes                                                   */
/* ------------------------------------------------------------------ */

#ifndef __SSE2__
/* 1 for bytes that may appear in a string unescaped and need no further
 * check: printable ASCII other than '"' and '\\'. */
static const unsigned char plain[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    R16(0), R16(0),
    /* 0x20..0x2F: '"' is 0x22 */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, R16(1), R16(1),
    /* 0x50..0x5F: '\\' is 0x5C */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, R16(1), R16(1), R16(0),
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0)
#undef R16
};
#endif

static inline bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline const unsigned char *skip_ws(const unsigned char *p)
{
    /* Compact JSON has no whitespace at all: one compare rejects every
     * byte above ' ' before the four-way test. */
    while (*p <= ' ' && is_ws(*p)) {
        p++;
    }
    return p;
}

static inline bool is_digit(unsigned char c)
{
    return (unsigned)(c - '0') < 10;
}

/* ------------------------------------------------------------------ */
/* Parser                                                              */
/* ------------------------------------------------------------------ */

#define LOCAL_NODES 128

struct parser {
    struct llmio__arena *arena;
    const unsigned char *base; /* the arena copy of the input */
    const unsigned char *end;  /* base + len; *end is NUL */
    char *strs;                /* second copy, where strings are decoded */
    struct llmio__json *stk;   /* node stack */
    size_t cap;
    bool stk_heap;
    size_t max_depth;
    llmio_status status;
    struct llmio__json_error *err;
};

/* Sets PS up for BASE[0..LEN) (followed by zero padding, or by enough
 * input for the loads that may pass the end), strings decoded into STRS;
 * no node stack yet. The depth limit is the caller's. */
static void parser_init(struct parser *ps, struct llmio__arena *a,
                        const unsigned char *base, size_t len, char *strs,
                        struct llmio__json_error *err)
{
    ps->arena = a;
    ps->base = base;
    ps->end = base + len;
    ps->strs = strs;
    ps->stk = NULL;
    ps->cap = 0;
    ps->stk_heap = false;
    ps->status = LLMIO_OK;
    ps->err = err;
}

static void set_error(struct llmio__json_error *err, const unsigned char *base,
                      size_t off, const char *msg)
{
    if (err == NULL) {
        return;
    }
    size_t line = 1, col = 1;
    for (size_t i = 0; base != NULL && i < off; i++) {
        if (base[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    err->offset = off;
    err->line = line;
    err->column = col;
    snprintf(err->message, sizeof err->message, "%s", msg);
}

static const unsigned char *fail(struct parser *ps, const unsigned char *at,
                                 llmio_status st, const char *msg)
{
    ps->status = st;
    set_error(ps->err, ps->base, (size_t)(at - ps->base), msg);
    return NULL;
}

/* Unexpected byte AT: says "end of input" when AT is the sentinel. */
static const unsigned char *fail_at(struct parser *ps, const unsigned char *at,
                                    const char *msg)
{
    if (at >= ps->end) {
        return fail(ps, ps->end, LLMIO_E_PROTOCOL, "unexpected end of input");
    }
    return fail(ps, at, LLMIO_E_PROTOCOL, msg);
}

static int hexval(unsigned char c)
{
    if (is_digit(c)) {
        return c - '0';
    }
    c |= 0x20;
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* Four hex digits at P, or -1. P has at least 4 readable bytes or a NUL
 * before them, which hexval rejects. */
static long hex4(const unsigned char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) {
            return -1;
        }
        v = (v << 4) | h;
    }
    return v;
}

/*
 * Returns the first byte at or after Q that is not plain string content:
 * '"', '\\', a control character (the terminating NUL included) or a byte
 * >= 0x80. With SSE2, 16 bytes per step: a signed compare against 0x20
 * catches both the control characters and the bytes >= 0x80. The copy has
 * 16 zeroed bytes after the sentinel, so a load never leaves it.
 */
static inline const unsigned char *scan_plain(const unsigned char *q)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    for (;;) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i m = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
            _mm_cmplt_epi8(x, space));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask != 0) {
            return q + __builtin_ctz(mask);
        }
        q += 16;
    }
#else
    while (plain[*q]) {
        q++;
    }
    return q;
#endif
}

/* Decodes the escape at P (a backslash) into OUT; returns the number of
 * bytes written and sets *ADV to the source bytes consumed, or returns 0
 * with the error set. */
static size_t decode_escape(struct parser *ps, const unsigned char *p,
                            char *out, size_t *adv)
{
    unsigned char x = p[1];
    *adv = 2;
    switch (x) {
    case '"':
    case '\\':
    case '/':
        out[0] = (char)x;
        return 1;
    case 'b':
        out[0] = '\b';
        return 1;
    case 'f':
        out[0] = '\f';
        return 1;
    case 'n':
        out[0] = '\n';
        return 1;
    case 'r':
        out[0] = '\r';
        return 1;
    case 't':
        out[0] = '\t';
        return 1;
    case 'u':
        break;
    default:
        fail_at(ps, p + 1, "invalid escape in string");
        return 0;
    }
    long cp = hex4(p + 2);
    if (cp < 0) {
        fail_at(ps, p, "invalid \\u escape");
        return 0;
    }
    *adv = 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
        fail(ps, p, LLMIO_E_PROTOCOL, "lone low surrogate in \\u escape");
        return 0;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        long lo = -1;
        if (p[6] == '\\' && p[7] == 'u') {
            lo = hex4(p + 8);
        }
        if (lo < 0xDC00 || lo > 0xDFFF) {
            fail(ps, p, LLMIO_E_PROTOCOL, "lone high surrogate in \\u escape");
            return 0;
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        *adv = 12;
    }
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Parses the string whose opening quote is at P into N (the general case:
 * escapes, UTF-8 validation, errors). The decoded string lives in the
 * second copy (STRS) at the same offset as its source: it is
 * already there unless an escape shifts it, and it is never longer than its
 * source, so it is decoded in place and NUL-terminated at most at its
 * closing quote. Returns the byte after the closing quote, or NULL with the
 * error set.
 */
__attribute__((noinline)) static const unsigned char *
parse_string_slow(struct parser *ps, const unsigned char *p,
                  struct llmio__json *n)
{
    const unsigned char *s = p + 1, *q = s;
    char *d0 = ps->strs + (s - ps->base);
    char *w = NULL; /* write cursor once an escape shifted the text */
    for (;;) {
        const unsigned char *r = scan_plain(q);
        if (w != NULL) {
            memcpy(w, q, (size_t)(r - q));
            w += r - q;
        }
        q = r;
        unsigned char c = *q;
        if (c == '"') {
            break;
        }
        if (c == '\\') {
            char tmp[4];
            size_t adv;
            size_t k = decode_escape(ps, q, tmp, &adv);
            if (k == 0) {
                return NULL;
            }
            if (w == NULL) {
                w = d0 + (q - s);
            }
            memcpy(w, tmp, k);
            w += k;
            q += adv;
        } else if (c >= 0x80) {
            int k = llmio__utf8_seq(q, (size_t)(ps->end - q));
            if (k < 0) {
                return fail(ps, q, LLMIO_E_PROTOCOL, "invalid UTF-8 in string");
            }
            if (w != NULL) {
                memcpy(w, q, (size_t)k);
                w += k;
            }
            q += k;
        } else {
            return fail_at(ps, q, "control character in string");
        }
    }
    size_t len = w != NULL ? (size_t)(w - d0) : (size_t)(q - s);
    d0[len] = '\0';
    n->u.str = d0;
    n->len = (uint32_t)len;
    n->raw_len = (uint32_t)(q + 1 - p);
    return q + 1;
}

/*
 * Parses the string whose opening quote is at P into N; the common case (no
 * escapes, ASCII) inline, everything else in parse_string_slow.
 */
static inline const unsigned char *
parse_string(struct parser *ps, const unsigned char *p, struct llmio__json *n)
{
    const unsigned char *s = p + 1;
    const unsigned char *q = scan_plain(s);
    if (__builtin_expect(*q == '"', 1)) {
        size_t len = (size_t)(q - s);
        char *d0 = ps->strs + (s - ps->base);
        d0[len] = '\0';
        n->u.str = d0;
        n->len = (uint32_t)len;
        n->raw_len = (uint32_t)(len + 2);
        return q + 1;
    }
    return parse_string_slow(ps, p, n);
}

/* Parses the number at P into N (text, and the int64 when exact). */
static inline const unsigned char *
parse_number(struct parser *ps, const unsigned char *p, struct llmio__json *n)
{
    const unsigned char *s = p;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    uint64_t v = 0;
    size_t nd;
    if (*p == '0') {
        p++;
        if (is_digit(*p)) {
            return fail(ps, p - 1, LLMIO_E_PROTOCOL,
                        "leading zeros are not allowed");
        }
        nd = 1;
    } else if (is_digit(*p)) {
        const unsigned char *d = p;
        while (is_digit(*p)) {
            v = v * 10 + (unsigned)(*p - '0');
            p++;
        }
        nd = (size_t)(p - d);
    } else {
        return fail_at(ps, p, "invalid number");
    }
    bool is_int = true;
    if (*p == '.') {
        p++;
        if (!is_digit(*p)) {
            return fail_at(ps, p, "digit expected after decimal point");
        }
        while (is_digit(*p)) {
            p++;
        }
        is_int = false;
    }
    if ((*p | 0x20) == 'e') {
        p++;
        if (*p == '+' || *p == '-') {
            p++;
        }
        if (!is_digit(*p)) {
            return fail_at(ps, p, "digit expected in exponent");
        }
        while (is_digit(*p)) {
            p++;
        }
        is_int = false;
    }
    /* Up to 19 digits cannot wrap a uint64_t; beyond that it is no int64. */
    if (is_int && nd <= 19) {
        if (neg && v <= (uint64_t)INT64_MAX + 1) {
            n->u.i = (int64_t)(0 - v);
        } else if (!neg && v <= (uint64_t)INT64_MAX) {
            n->u.i = (int64_t)v;
        } else {
            is_int = false;
        }
    } else {
        is_int = false;
    }
    if (!is_int) {
        n->u.i = 0;
    }
    n->len = is_int;
    n->raw_len = (uint32_t)(p - s);
    return p;
}

/* Grows the node stack; TOP nodes are kept. */
static bool grow_stack(struct parser *ps)
{
    size_t ncap;
    if (llmio__mul_overflows(ps->cap, 2, &ncap) ||
        ncap > SIZE_MAX / sizeof(struct llmio__json)) {
        return false;
    }
    struct llmio__json *nstk;
    const llmio_allocator *alloc = ps->arena->alloc;
    if (ps->stk_heap) {
        nstk = llmio__realloc(alloc, ps->stk, ncap * sizeof *nstk);
    } else {
        nstk = llmio__malloc(alloc, ncap * sizeof *nstk);
        if (nstk != NULL) {
            memcpy(nstk, ps->stk, ps->cap * sizeof *nstk);
        }
    }
    if (nstk == NULL) {
        return false;
    }
    ps->stk = nstk;
    ps->stk_heap = true;
    ps->cap = ncap;
    return true;
}

/*
 * The parse loop. Open containers are chained through their header nodes
 * on the stack (u.i holds the parent's index until the container closes),
 * so no separate frame stack is needed.
 */
static const struct llmio__json *run(struct parser *ps)
{
    const unsigned char *p = ps->base;
    size_t top = 0, cur = SIZE_MAX, depth = 0;
    bool in_obj = false;
    struct llmio__json *n;
    /* Locals, not PS fields: node stores (int64_t) may alias size_t, which
     * would force a reload of every PS field after each store. */
    struct llmio__json *stk = ps->stk;
    size_t cap = ps->cap;
    const unsigned char *end = ps->end;
    const size_t max_depth = ps->max_depth;

value:
    p = skip_ws(p);
    if (top == cap) {
        if (!grow_stack(ps)) {
            fail(ps, p, LLMIO_E_NOMEM, "out of memory");
            return NULL;
        }
        stk = ps->stk;
        cap = ps->cap;
    }
    n = &stk[top++];
    n->raw = (const char *)p;
    switch (*p) {
    case '{':
    case '[':
        if (++depth > max_depth) {
            fail(ps, p, LLMIO_E_TOO_BIG, "nesting deeper than the limit");
            return NULL;
        }
        n->u.i = (int64_t)cur;
        cur = top - 1;
        in_obj = *p == '{';
        p = skip_ws(p + 1);
        if (*p == (in_obj ? '}' : ']')) {
            goto close;
        }
        if (in_obj) {
            goto key;
        }
        goto value;
    case '"':
        p = parse_string(ps, p, n);
        break;
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        p = parse_number(ps, p, n);
        break;
    case 't':
    case 'f':
    case 'n': {
        /* The three literals share one 4-byte compare of what follows the
         * first byte or, for "false", the byte after it. Bytes past the end
         * are the zero padding, which no literal contains, so no length
         * check is needed. */
        bool f = *p == 'f';
        const char *word = *p == 't' ? "true" : f ? "alse" : "null";
        uint32_t have, want;
        __builtin_memcpy(&have, p + f, 4);
        __builtin_memcpy(&want, word, 4);
        if (have == want) {
            n->raw_len = 4 + f;
            p += 4 + f;
            break;
        }
        fail_at(ps, p, "invalid literal");
        return NULL;
    }
    default:
        fail_at(ps, p, "value expected");
        return NULL;
    }
    if (p == NULL) {
        return NULL;
    }

after:
    p = skip_ws(p);
    if (cur == SIZE_MAX) {
        if (p != end) {
            fail(ps, p, LLMIO_E_PROTOCOL, "trailing characters after value");
            return NULL;
        }
        return &stk[0];
    }
    if (*p == ',') {
        p = skip_ws(p + 1);
        if (in_obj) {
            goto key;
        }
        goto value;
    }
    if (*p == (in_obj ? '}' : ']')) {
        goto close;
    }
    fail_at(ps, p, in_obj ? "',' or '}' expected" : "',' or ']' expected");
    return NULL;

close : {
    struct llmio__json *h = &stk[cur];
    size_t nk = top - cur - 1;
    struct llmio__json *kids = NULL;
    if (nk > 0) {
        kids = llmio__arena_alloc_fast(ps->arena, nk * sizeof *kids);
        if (kids == NULL) {
            fail(ps, p, LLMIO_E_NOMEM, "out of memory");
            return NULL;
        }
        /* Small containers dominate; a call to memcpy costs more than the
         * copy itself. */
        if (nk <= 4) {
            for (size_t k = 0; k < nk; k++) {
                kids[k] = h[1 + k];
            }
        } else {
            memcpy(kids, h + 1, nk * sizeof *kids);
        }
    }
    size_t parent = (size_t)h->u.i;
    h->u.kids = kids;
    h->len = (uint32_t)(in_obj ? nk / 2 : nk);
    p++;
    h->raw_len = (uint32_t)(p - (const unsigned char *)h->raw);
    top = cur + 1;
    cur = parent;
    depth--;
    if (cur != SIZE_MAX) {
        in_obj = stk[cur].raw[0] == '{';
    }
    goto after;
}

key:
    if (*p != '"') {
        fail_at(ps, p, "string key expected");
        return NULL;
    }
    if (top == cap) {
        if (!grow_stack(ps)) {
            fail(ps, p, LLMIO_E_NOMEM, "out of memory");
            return NULL;
        }
        stk = ps->stk;
        cap = ps->cap;
    }
    n = &stk[top++];
    n->raw = (const char *)p;
    p = parse_string(ps, p, n);
    if (p == NULL) {
        return NULL;
    }
    p = skip_ws(p);
    if (*p != ':') {
        fail_at(ps, p, "':' expected after key");
        return NULL;
    }
    p++;
    goto value;
}

llmio_status llmio__json_parse(struct llmio__arena *a, const char *p,
                               size_t len, const struct llmio__json_limits *lim,
                               const struct llmio__json **out,
                               struct llmio__json_error *err)
{
    struct llmio__json local[LOCAL_NODES];
    struct parser ps;
    size_t max_size = LLMIO__JSON_DEFAULT_SIZE;
    ps.max_depth = LLMIO__JSON_DEFAULT_DEPTH;
    if (lim != NULL) {
        if (lim->max_size != 0) {
            max_size = lim->max_size;
        }
        if (lim->max_depth != 0) {
            ps.max_depth = lim->max_depth;
        }
    }
    /* Node lengths are 32-bit. */
    if (max_size > UINT32_MAX - 1) {
        max_size = UINT32_MAX - 1;
    }
    *out = NULL;
    if (len > max_size) {
        set_error(err, NULL, max_size, "document larger than the limit");
        return LLMIO_E_TOO_BIG;
    }
    /* The raw copy gets a NUL sentinel plus 15 more zero bytes for the
     * 16-byte string scan; the string copy needs no padding (it is only
     * written, at offsets inside the strings). */
    unsigned char *copy = llmio__arena_alloc_fast(a, len + 16);
    char *strs = llmio__arena_alloc_fast(a, len + 1);
    if (copy == NULL || strs == NULL) {
        set_error(err, NULL, 0, "out of memory");
        return LLMIO_E_NOMEM;
    }
    if (len > 0) {
        memcpy(copy, p, len);
        memcpy(strs, p, len);
    }
    memset(copy + len, 0, 16);
    parser_init(&ps, a, copy, len, strs, err);
    ps.stk = local;
    ps.cap = LOCAL_NODES;
    const struct llmio__json *root = run(&ps);
    if (root != NULL) {
        struct llmio__json *r = llmio__arena_alloc_fast(a, sizeof *r);
        if (r == NULL) {
            ps.status = LLMIO_E_NOMEM;
            set_error(err, NULL, 0, "out of memory");
        } else {
            *r = *root;
            *out = r;
        }
    }
    if (ps.stk_heap) {
        llmio__free(a->alloc, ps.stk);
    }
    return ps.status;
}

/* The offset of the first '"' or '\\' in P[I..LEN), LEN if none; 16 bytes
 * per step with SSE2, never past P + LEN. */
static size_t quote_or_backslash(const char *p, size_t i, size_t len)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    for (; i + 16 <= len; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)));
        if (m != 0) {
            return i + (size_t)__builtin_ctz(m);
        }
    }
#endif
    while (i < len && p[i] != '"' && p[i] != '\\') {
        i++;
    }
    return i;
}

size_t llmio__json_string_token(struct llmio__arena *a, const char *p,
                                size_t len, const char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (len == 0 || p[0] != '"') {
        return 0;
    }
    /* The first quote not escaped ends the token; parse_string then checks
     * everything in it. Its 16-byte loads and escape look-aheads stop at
     * that quote or read at most 15 bytes past it, so with 16 bytes of
     * input after the token they run on P itself, else on a copy padded
     * with zeros as llmio__json_parse makes. */
    size_t i = 1;
    for (;;) {
        i = quote_or_backslash(p, i, len);
        if (i >= len) {
            return 0;
        }
        if (p[i] == '"') {
            break;
        }
        i += 2;
    }
    size_t tok = i + 1;
    const unsigned char *src = (const unsigned char *)p;
    if (tok + 16 > len) {
        unsigned char *copy = llmio__arena_alloc_fast(a, tok + 16);
        if (copy == NULL) {
            return 0;
        }
        memcpy(copy, p, tok);
        memset(copy + tok, 0, 16);
        src = copy;
    }
    char *strs = llmio__arena_alloc_fast(a, tok + 1);
    if (strs == NULL) {
        return 0;
    }
    memcpy(strs, p, tok);
    struct parser ps;
    parser_init(&ps, a, src, tok, strs, NULL);
    struct llmio__json n;
    if (parse_string(&ps, src, &n) != src + tok) {
        return 0;
    }
    *out = n.u.str;
    *outlen = n.len;
    return tok;
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */
/* ------------------------------------------------------------------ */

const struct llmio__json *llmio__json_getn(const struct llmio__json *obj,
                                           const char *key, size_t keylen)
{
    if (obj == NULL || obj->raw[0] != '{') {
        return NULL;
    }
    /* Backwards, so a duplicated key yields its last value. */
    for (size_t i = obj->len; i-- > 0;) {
        const struct llmio__json *k = &obj->u.kids[2 * i];
        if (k->len == keylen && memcmp(k->u.str, key, keylen) == 0) {
            return k + 1;
        }
    }
    return NULL;
}

const struct llmio__json *llmio__json_get(const struct llmio__json *obj,
                                          const char *key)
{
    return llmio__json_getn(obj, key, strlen(key));
}

bool llmio__json_str_eq(const struct llmio__json *v, const char *s, size_t len)
{
    return v != NULL && v->raw[0] == '"' && v->len == len &&
           memcmp(v->u.str, s, len) == 0;
}

static inline bool is_number(const struct llmio__json *v)
{
    return v != NULL &&
           (v->raw[0] == '-' || is_digit((unsigned char)v->raw[0]));
}

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* strtod in the C locale. The text must end at a byte that cannot extend a
 * number (every number in the parsed copy does). */
static double c_strtod(const char *s, char **end)
{
    pthread_once(&c_locale_once, make_c_locale);
    if (c_locale != (locale_t)0) {
        return strtod_l(s, end, c_locale);
    }
    return strtod(s, end);
}

static const double pow10_exact[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/*
 * Clinger's fast path: when the significant digits fit in 2^53 and the
 * decimal exponent is at most 22, one IEEE multiplication or division of
 * two exact doubles is correctly rounded. Returns false to fall back.
 */
static bool fast_double(const char *s, size_t len, double *out)
{
    size_t i = 0;
    bool neg = false;
    uint64_t m = 0;
    int nd = 0, exp10 = 0;
    if (s[i] == '-') {
        neg = true;
        i++;
    }
    for (; i < len && is_digit((unsigned char)s[i]); i++) {
        if (nd > 0 || s[i] != '0') {
            if (++nd > 15) {
                return false;
            }
        }
        m = m * 10 + (unsigned)(s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && is_digit((unsigned char)s[i]); i++) {
            if (nd > 0 || s[i] != '0') {
                if (++nd > 15) {
                    return false;
                }
            }
            m = m * 10 + (unsigned)(s[i] - '0');
            exp10--;
        }
    }
    if (i < len) {
        /* An exponent: leave it to strtod unless small. */
        i++;
        bool eneg = false;
        int e = 0;
        if (s[i] == '+' || s[i] == '-') {
            eneg = s[i] == '-';
            i++;
        }
        for (; i < len; i++) {
            if (e > 1000) {
                return false;
            }
            e = e * 10 + (s[i] - '0');
        }
        exp10 += eneg ? -e : e;
    }
    double d = (double)m;
    if (exp10 < -22 || exp10 > 22) {
        return false;
    }
    d = exp10 < 0 ? d / pow10_exact[-exp10] : d * pow10_exact[exp10];
    *out = neg ? -d : d;
    return true;
}

bool llmio__json_double(const struct llmio__json *v, double *out)
{
    if (!is_number(v)) {
        return false;
    }
    if (v->len == 1 && v->u.i > -(INT64_C(1) << 53) &&
        v->u.i < (INT64_C(1) << 53)) {
        *out = (double)v->u.i;
        return true;
    }
    if (!fast_double(v->raw, v->raw_len, out)) {
        *out = c_strtod(v->raw, NULL);
    }
    return true;
}

bool llmio__json_bool(const struct llmio__json *v, bool *out)
{
    if (v == NULL || (v->raw[0] != 't' && v->raw[0] != 'f')) {
        return false;
    }
    *out = v->raw[0] == 't';
    return true;
}

const char *llmio__json_number_text(const struct llmio__json *v, size_t *len)
{
    if (!is_number(v)) {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = v->raw_len;
    }
    return v->raw;
}

const char *llmio__json_raw(const struct llmio__json *v, size_t *len)
{
    if (v == NULL) {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = v->raw_len;
    }
    return v->raw;
}

/* ------------------------------------------------------------------ */
/* Incremental reader                                                  */
/* ------------------------------------------------------------------ */

void llmio__json_reader_init(struct llmio__json_reader *r,
                             const llmio_allocator *alloc,
                             const struct llmio__json_limits *lim)
{
    memset(r, 0, sizeof *r);
    llmio__buf_init(&r->in, alloc, 0);
    r->lim.max_depth = LLMIO__JSON_DEFAULT_DEPTH;
    r->lim.max_size = LLMIO__JSON_DEFAULT_SIZE;
    if (lim != NULL && lim->max_depth != 0) {
        r->lim.max_depth = lim->max_depth;
    }
    if (lim != NULL && lim->max_size != 0) {
        r->lim.max_size = lim->max_size;
    }
    if (r->lim.max_size > UINT32_MAX - 1) {
        r->lim.max_size = UINT32_MAX - 1;
    }
    r->state = LLMIO__JSCAN_BETWEEN;
    r->line = 1;
    r->status = LLMIO_OK;
}

void llmio__json_reader_cleanup(struct llmio__json_reader *r)
{
    llmio__buf_cleanup(&r->in);
}

llmio_status llmio__json_reader_feed(struct llmio__json_reader *r,
                                     const char *p, size_t len)
{
    if (r->status != LLMIO_OK) {
        return r->status;
    }
    if (r->eof) {
        return LLMIO_E_STATE;
    }
    if (r->start > 0) {
        /* Everything before the current value has been consumed. */
        llmio__buf_consume(&r->in, r->start);
        r->consumed += r->start;
        r->scan -= r->start;
        r->start = 0;
    }
    llmio_status st = llmio__buf_append(&r->in, p, len);
    if (st == LLMIO_OK) {
        /* Zeroed padding after the data lets scan_plain load 16 bytes. */
        st = llmio__buf_reserve(&r->in, 16);
        if (st == LLMIO_OK) {
            memset(r->in.data + r->in.len, 0, 16);
        }
    }
    if (st != LLMIO_OK) {
        r->status = st;
        set_error(&r->err, NULL, r->consumed + r->in.len, "out of memory");
    }
    return st;
}

void llmio__json_reader_finish(struct llmio__json_reader *r)
{
    r->eof = true;
}

llmio_status llmio__json_reader_status(const struct llmio__json_reader *r,
                                       struct llmio__json_error *err)
{
    if (err != NULL) {
        *err = r->err;
    }
    return r->status;
}

static int reader_fail(struct llmio__json_reader *r, llmio_status st,
                       size_t off, const char *msg)
{
    r->status = st;
    r->err.offset = off;
    r->err.line = r->vline;
    r->err.column = r->vcol + (off - (r->consumed + r->start));
    snprintf(r->err.message, sizeof r->err.message, "%s", msg);
    return -1;
}

/* Parses IN[START..END) as one value into A. Errors are moved to stream
 * coordinates. Returns 1 or -1. */
static int reader_emit(struct llmio__json_reader *r, size_t end,
                       struct llmio__arena *a, const struct llmio__json **out)
{
    if (end - r->start > r->lim.max_size) {
        return reader_fail(r, LLMIO_E_TOO_BIG,
                           r->consumed + r->start + r->lim.max_size,
                           "value larger than the limit");
    }
    struct llmio__json_error e;
    llmio_status st = llmio__json_parse(a, r->in.data + r->start,
                                        end - r->start, &r->lim, out, &e);
    if (st != LLMIO_OK) {
        r->status = st;
        r->err = e;
        r->err.offset = e.offset + r->consumed + r->start;
        r->err.column = e.line == 1 ? r->vcol + e.column - 1 : e.column;
        r->err.line = r->vline + e.line - 1;
        return -1;
    }
    r->start = end;
    r->scan = end;
    r->state = LLMIO__JSCAN_BETWEEN;
    return 1;
}

/* True for bytes that end a top-level number or literal. */
static inline bool ends_scalar(unsigned char c)
{
    switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '{':
    case '}':
    case '[':
    case ']':
    case '"':
    case ',':
    case ':':
        return true;
    default:
        return false;
    }
}

/*
 * Scans for the end of the next top-level value. Returns 1 with *END set
 * (the value is IN[START..END)), 2 at end of stream inside a value other
 * than a scalar (truncated; *END = IN.len), 0 when more input is needed or
 * the stream ended cleanly, -1 on error.
 */
static int reader_scan(struct llmio__json_reader *r, size_t *end)
{
    if (r->status != LLMIO_OK) {
        return -1;
    }
    const unsigned char *d = (const unsigned char *)r->in.data;
    size_t n = r->in.len, i = r->scan;
    while (i < n) {
        unsigned char c = d[i];
        switch (r->state) {
        case LLMIO__JSCAN_BETWEEN:
            if (c == '\n') {
                r->line++;
                r->line_off = r->consumed + i + 1;
            }
            if (is_ws(c)) {
                i++;
                continue;
            }
            r->start = i;
            r->vline = r->line;
            r->vcol = r->consumed + i - r->line_off + 1;
            if (c == '{' || c == '[') {
                r->state = LLMIO__JSCAN_CONTAINER;
                r->depth = 1;
            } else if (c == '"') {
                r->state = LLMIO__JSCAN_STRING;
                r->top_string = true;
            } else {
                r->state = LLMIO__JSCAN_SCALAR;
            }
            i++;
            break;
        case LLMIO__JSCAN_CONTAINER:
            i++;
            if (c == '"') {
                r->state = LLMIO__JSCAN_STRING;
                r->top_string = false;
            } else if (c == '{' || c == '[') {
                r->depth++;
            } else if (c == '}' || c == ']') {
                if (--r->depth == 0) {
                    r->scan = i;
                    goto value_end;
                }
            } else if (c == '\n') {
                r->line++;
                r->line_off = r->consumed + i;
            }
            break;
        case LLMIO__JSCAN_STRING: {
            const unsigned char *q = scan_plain(d + i);
            i = (size_t)(q - d);
            if (i >= n) {
                break;
            }
            c = d[i];
            i++;
            if (c == '\\') {
                r->state = LLMIO__JSCAN_ESCAPE;
            } else if (c == '"') {
                if (r->top_string) {
                    r->scan = i;
                    goto value_end;
                }
                r->state = LLMIO__JSCAN_CONTAINER;
            } else if (c == '\n') {
                /* Invalid in a string; the parser will say so. */
                r->line++;
                r->line_off = r->consumed + i;
            }
            break;
        }
        case LLMIO__JSCAN_ESCAPE:
            r->state = LLMIO__JSCAN_STRING;
            if (c == '\n') {
                r->line++;
                r->line_off = r->consumed + i + 1;
            }
            i++;
            break;
        case LLMIO__JSCAN_SCALAR:
            if (ends_scalar(c)) {
                r->scan = i;
                goto value_end;
            }
            i++;
            break;
        }
        if (r->state != LLMIO__JSCAN_BETWEEN &&
            i - r->start > r->lim.max_size) {
            return reader_fail(r, LLMIO_E_TOO_BIG,
                               r->consumed + r->start + r->lim.max_size,
                               "value larger than the limit");
        }
    }
    r->scan = n;
    if (r->state == LLMIO__JSCAN_BETWEEN) {
        r->start = n;
        return 0;
    }
    if (!r->eof) {
        return 0;
    }
    *end = n;
    return r->state == LLMIO__JSCAN_SCALAR ? 1 : 2;

value_end:
    *end = r->scan;
    return 1;
}

int llmio__json_reader_next(struct llmio__json_reader *r,
                            struct llmio__arena *a,
                            const struct llmio__json **out)
{
    size_t end;
    *out = NULL;
    int rc = reader_scan(r, &end);
    if (rc <= 0) {
        return rc;
    }
    /* A truncated value goes to the parser too, which reports exactly where
     * it breaks off. */
    return reader_emit(r, end, a, out);
}

int llmio__json_reader_next_raw(struct llmio__json_reader *r, const char **p,
                                size_t *len)
{
    size_t end;
    *p = NULL;
    *len = 0;
    int rc = reader_scan(r, &end);
    if (rc <= 0) {
        return rc;
    }
    if (end - r->start > r->lim.max_size) {
        return reader_fail(r, LLMIO_E_TOO_BIG,
                           r->consumed + r->start + r->lim.max_size,
                           "value larger than the limit");
    }
    if (rc == 2) {
        return reader_fail(r, LLMIO_E_PROTOCOL, r->consumed + end,
                           "unexpected end of input");
    }
    *p = r->in.data + r->start;
    *len = end - r->start;
    r->start = end;
    r->scan = end;
    r->state = LLMIO__JSCAN_BETWEEN;
    return 1;
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

#define LV_OBJ 1u
#define LV_ITEMS 2u
#define LV_KEYED 4u

void llmio__jw_init(struct llmio__jw *w, struct llmio__buf *buf)
{
    w->buf = buf;
    w->status = LLMIO_OK;
    w->depth = 0;
    w->level[0] = 0;
}

static void jw_fail(struct llmio__jw *w, llmio_status st)
{
    if (w->status == LLMIO_OK) {
        w->status = st;
    }
}

static void jw_put(struct llmio__jw *w, const char *s, size_t n)
{
    if (w->status == LLMIO_OK) {
        llmio_status st = llmio__buf_append(w->buf, s, n);
        if (st != LLMIO_OK) {
            w->status = st;
        }
    }
}

/* Prepares for a value at the current level: the comma, and the checks
 * that a value is allowed here. Returns false after an error. */
static bool jw_value(struct llmio__jw *w)
{
    if (w->status != LLMIO_OK) {
        return false;
    }
    unsigned char *lv = &w->level[w->depth];
    if (*lv & LV_OBJ) {
        if (!(*lv & LV_KEYED)) {
            jw_fail(w, LLMIO_E_INVALID);
            return false;
        }
        *lv &= (unsigned char)~LV_KEYED;
        return true;
    }
    if (*lv & LV_ITEMS) {
        if (w->depth == 0) {
            /* A second top-level value would not be one JSON text. */
            jw_fail(w, LLMIO_E_INVALID);
            return false;
        }
        jw_put(w, ",", 1);
    }
    *lv |= LV_ITEMS;
    return w->status == LLMIO_OK;
}

static void jw_begin(struct llmio__jw *w, bool obj)
{
    if (!jw_value(w)) {
        return;
    }
    if (w->depth >= LLMIO__JW_MAX_DEPTH) {
        jw_fail(w, LLMIO_E_INVALID);
        return;
    }
    jw_put(w, obj ? "{" : "[", 1);
    w->level[++w->depth] = obj ? LV_OBJ : 0;
}

static void jw_end(struct llmio__jw *w, bool obj)
{
    if (w->status != LLMIO_OK) {
        return;
    }
    unsigned char lv = w->level[w->depth];
    if (w->depth == 0 || ((lv & LV_OBJ) != 0) != obj || (lv & LV_KEYED)) {
        jw_fail(w, LLMIO_E_INVALID);
        return;
    }
    w->depth--;
    jw_put(w, obj ? "}" : "]", 1);
}

void llmio__jw_obj_begin(struct llmio__jw *w)
{
    jw_begin(w, true);
}

void llmio__jw_obj_end(struct llmio__jw *w)
{
    jw_end(w, true);
}

void llmio__jw_arr_begin(struct llmio__jw *w)
{
    jw_begin(w, false);
}

void llmio__jw_arr_end(struct llmio__jw *w)
{
    jw_end(w, false);
}

/* Appends S as a quoted, escaped JSON string. Invalid UTF-8 fails with
 * LLMIO_E_INVALID before anything is appended, so no garbage is written. */
static void jw_string(struct llmio__jw *w, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    if (len == 0) {
        jw_put(w, "\"\"", 2); /* S may be NULL */
        return;
    }
    /* Printable ASCII with nothing to escape (every key, model names,
     * most text) is valid UTF-8 as it is: one scan and one copy, instead
     * of a validation pass, an escape pass and three appends. */
    size_t safe = 0;
#ifdef __SSE2__
    /* 16 bytes per step (a stream's assembled text is kilobytes): a signed
     * compare below 0x20 catches control bytes and those >= 0x80. */
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    for (; safe + 16 <= len; safe += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(u + safe));
        __m128i m = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
            _mm_cmplt_epi8(x, space));
        if (_mm_movemask_epi8(m) != 0) {
            break;
        }
    }
#endif
    while (safe < len && u[safe] >= 0x20 && u[safe] < 0x80 && u[safe] != '"' &&
           u[safe] != '\\') {
        safe++;
    }
    if (safe == len) {
        if (w->status != LLMIO_OK) {
            return;
        }
        llmio_status st = llmio__buf_reserve(w->buf, len + 2);
        if (st != LLMIO_OK) {
            w->status = st;
            return;
        }
        char *d = w->buf->data + w->buf->len;
        d[0] = '"';
        memcpy(d + 1, s, len);
        d[len + 1] = '"';
        d[len + 2] = '\0';
        w->buf->len += len + 2;
        return;
    }
    if (!llmio__utf8_valid(u, len)) {
        jw_fail(w, LLMIO_E_INVALID);
        return;
    }
    jw_put(w, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = u[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
            break;
        }
        jw_put(w, s + run, i - run);
        jw_put(w, esc, n);
        run = i + 1;
    }
    jw_put(w, s + run, len - run);
    jw_put(w, "\"", 1);
}

void llmio__jw_key(struct llmio__jw *w, const char *k, size_t klen)
{
    if (w->status != LLMIO_OK) {
        return;
    }
    unsigned char *lv = &w->level[w->depth];
    if (!(*lv & LV_OBJ) || (*lv & LV_KEYED)) {
        jw_fail(w, LLMIO_E_INVALID);
        return;
    }
    if (*lv & LV_ITEMS) {
        jw_put(w, ",", 1);
    }
    *lv |= LV_ITEMS | LV_KEYED;
    jw_string(w, k, klen);
    jw_put(w, ":", 1);
}

void llmio__jw_keys(struct llmio__jw *w, const char *k)
{
    llmio__jw_key(w, k, strlen(k));
}

void llmio__jw_str(struct llmio__jw *w, const char *s, size_t len)
{
    if (jw_value(w)) {
        jw_string(w, s, len);
    }
}

void llmio__jw_strs(struct llmio__jw *w, const char *s)
{
    llmio__jw_str(w, s, strlen(s));
}

void llmio__jw_int(struct llmio__jw *w, int64_t i)
{
    char tmp[24];
    /* Digits are produced by hand: snprintf would be locale-free here too,
     * but this is a hot path for request building. */
    uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
    char *p = tmp + sizeof tmp;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (i < 0) {
        *--p = '-';
    }
    if (jw_value(w)) {
        jw_put(w, p, (size_t)(tmp + sizeof tmp - p));
    }
}

/*
 * Formats D with PREC significant digits as JSON number text in OUT
 * (C locale: any locale decimal separator becomes '.'). Returns the length.
 */
static size_t format_double(char *out, size_t cap, double d, int prec)
{
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "%.*g", prec, d);
    size_t o = 0;
    bool in_sep = false;
    for (int i = 0; i < n && o + 1 < cap; i++) {
        char c = tmp[i];
        if (is_digit((unsigned char)c) || c == '-' || c == '+' || c == 'e') {
            out[o++] = c;
            in_sep = false;
        } else if (!in_sep) {
            out[o++] = '.';
            in_sep = true;
        }
    }
    out[o] = '\0';
    return o;
}

void llmio__jw_dbl(struct llmio__jw *w, double d)
{
    if (!isfinite(d)) {
        jw_fail(w, LLMIO_E_INVALID);
        return;
    }
    char text[64];
    size_t n = 0;
    /* The shortest of 15..17 significant digits that reads back exactly;
     * 17 always does for IEEE doubles. */
    for (int prec = 15; prec <= 17; prec++) {
        n = format_double(text, sizeof text, d, prec);
        if (prec == 17 || c_strtod(text, NULL) == d) {
            break;
        }
    }
    if (jw_value(w)) {
        jw_put(w, text, n);
    }
}

void llmio__jw_bool(struct llmio__jw *w, bool b)
{
    if (jw_value(w)) {
        jw_put(w, b ? "true" : "false", b ? 4 : 5);
    }
}

void llmio__jw_null(struct llmio__jw *w)
{
    if (jw_value(w)) {
        jw_put(w, "null", 4);
    }
}

void llmio__jw_raw(struct llmio__jw *w, const char *json, size_t len)
{
    if (jw_value(w)) {
        jw_put(w, json, len);
    }
}

void llmio__json_write(struct llmio__jw *w, const struct llmio__json *v)
{
    if (v == NULL) {
        jw_fail(w, LLMIO_E_INVALID);
        return;
    }
    switch (llmio__json_type(v)) {
    case LLMIO__JSON_OBJECT:
        llmio__jw_obj_begin(w);
        for (size_t i = 0; i < v->len && w->status == LLMIO_OK; i++) {
            const struct llmio__json *k = &v->u.kids[2 * i];
            llmio__jw_key(w, k->u.str, k->len);
            llmio__json_write(w, k + 1);
        }
        llmio__jw_obj_end(w);
        break;
    case LLMIO__JSON_ARRAY:
        llmio__jw_arr_begin(w);
        for (size_t i = 0; i < v->len && w->status == LLMIO_OK; i++) {
            llmio__json_write(w, &v->u.kids[i]);
        }
        llmio__jw_arr_end(w);
        break;
    case LLMIO__JSON_STRING:
        llmio__jw_str(w, v->u.str, v->len);
        break;
    default:
        /* Numbers keep their source text; literals are their text. */
        llmio__jw_raw(w, v->raw, v->raw_len);
        break;
    }
}

llmio_status llmio__jw_status(const struct llmio__jw *w)
{
    return w->status;
}

llmio_status llmio__jw_finish(const struct llmio__jw *w)
{
    if (w->status != LLMIO_OK) {
        return w->status;
    }
    if (w->depth != 0 || !(w->level[0] & LV_ITEMS)) {
        return LLMIO_E_INVALID;
    }
    return LLMIO_OK;
}
