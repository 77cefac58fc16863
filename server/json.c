/*
 * json.c - strict JSON reader (into the request arena) and compact writer.
 *
 * Independent of src/json.c by design. Invariants: recursion depth is
 * bounded by the caller's MAX_DEPTH; every string handed out is valid UTF-8
 * (the parser rejects invalid input rather than repairing it, as the real
 * APIs do); error offsets are byte offsets into the input.
 */
#include "mock.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct reader {
    struct mock_arena *a;
    const char *s;
    size_t n;
    size_t i;
    int depth;
    int max_depth;
    struct mock_json_error *err;
};

static bool fail(struct reader *r, const char *msg)
{
    if (r->err) {
        r->err->offset = r->i;
        snprintf(r->err->msg, sizeof r->err->msg, "%s", msg);
    }
    return false;
}

static void skip_ws(struct reader *r)
{
    while (r->i < r->n) {
        char c = r->s[r->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            break;
        }
        r->i++;
    }
}

static bool read_hex4(struct reader *r, unsigned *out)
{
    if (r->n - r->i < 4) {
        return fail(r, "truncated \\u escape");
    }
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int h = mock_hexval(r->s[r->i + (size_t)k]);
        if (h < 0) {
            return fail(r, "bad \\u escape");
        }
        v = v << 4 | (unsigned)h;
    }
    r->i += 4;
    *out = v;
    return true;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses a string at r->i (the opening quote); stores the decoded copy. */
static bool read_string(struct reader *r, const char **out, size_t *outlen)
{
    r->i++; /* opening quote */
    size_t start = r->i;
    bool plain = true;
    /* First pass: find the end and validate, so the copy can be sized. */
    size_t j = start;
    while (j < r->n) {
        unsigned char c = (unsigned char)r->s[j];
        if (c == '"') {
            break;
        }
        if (c == '\\') {
            plain = false;
            j += 2;
            continue;
        }
        if (c < 0x20) {
            r->i = j;
            return fail(r, "control character in string");
        }
        if (c >= 0x80) {
            size_t k = mock_utf8_len((const unsigned char *)r->s + j, r->n - j);
            if (k == 0) {
                r->i = j;
                return fail(r, "invalid UTF-8 in string");
            }
            j += k;
            continue;
        }
        j++;
    }
    if (j >= r->n) {
        r->i = r->n;
        return fail(r, "unterminated string");
    }
    if (plain) {
        *out = mock_arena_strndup(r->a, r->s + start, j - start);
        *outlen = j - start;
        r->i = j + 1;
        return true;
    }
    /* Decoded text is never longer than the escaped source. */
    char *o = mock_arena_alloc(r->a, j - start + 1);
    size_t ol = 0;
    r->i = start;
    while (r->i < j) {
        char c = r->s[r->i];
        if (c != '\\') {
            o[ol++] = c;
            r->i++;
            continue;
        }
        r->i++;
        char e = r->s[r->i++];
        switch (e) {
        case '"':
        case '\\':
        case '/':
            o[ol++] = e;
            break;
        case 'b':
            o[ol++] = '\b';
            break;
        case 'f':
            o[ol++] = '\f';
            break;
        case 'n':
            o[ol++] = '\n';
            break;
        case 'r':
            o[ol++] = '\r';
            break;
        case 't':
            o[ol++] = '\t';
            break;
        case 'u': {
            unsigned cp;
            if (!read_hex4(r, &cp)) {
                return false;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (r->i + 2 > j || r->s[r->i] != '\\' ||
                    r->s[r->i + 1] != 'u') {
                    return fail(r, "lone high surrogate");
                }
                r->i += 2;
                if (!read_hex4(r, &lo)) {
                    return false;
                }
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    return fail(r, "bad low surrogate");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return fail(r, "lone low surrogate");
            }
            ol += put_utf8(o + ol, cp);
            break;
        }
        default:
            r->i--;
            return fail(r, "bad escape");
        }
    }
    o[ol] = '\0';
    *out = o;
    *outlen = ol;
    r->i = j + 1;
    return true;
}

static bool read_number(struct reader *r, struct mock_json *v)
{
    size_t start = r->i;
    const char *s = r->s;
    size_t n = r->n;
    if (r->i < n && s[r->i] == '-') {
        r->i++;
    }
    if (r->i >= n) {
        return fail(r, "truncated number");
    }
    if (s[r->i] == '0') {
        r->i++;
    } else if (s[r->i] >= '1' && s[r->i] <= '9') {
        while (r->i < n && s[r->i] >= '0' && s[r->i] <= '9') {
            r->i++;
        }
    } else {
        return fail(r, "bad number");
    }
    if (r->i < n && s[r->i] == '.') {
        r->i++;
        if (r->i >= n || s[r->i] < '0' || s[r->i] > '9') {
            return fail(r, "bad fraction");
        }
        while (r->i < n && s[r->i] >= '0' && s[r->i] <= '9') {
            r->i++;
        }
    }
    if (r->i < n && (s[r->i] == 'e' || s[r->i] == 'E')) {
        r->i++;
        if (r->i < n && (s[r->i] == '+' || s[r->i] == '-')) {
            r->i++;
        }
        if (r->i >= n || s[r->i] < '0' || s[r->i] > '9') {
            return fail(r, "bad exponent");
        }
        while (r->i < n && s[r->i] >= '0' && s[r->i] <= '9') {
            r->i++;
        }
    }
    v->type = MOCK_JSON_NUMBER;
    v->len = r->i - start;
    v->str = mock_arena_strndup(r->a, s + start, v->len);
    v->num = strtod(v->str, NULL);
    return true;
}

static bool read_value(struct reader *r, struct mock_json *v);

static bool read_container(struct reader *r, struct mock_json *v, bool obj)
{
    if (++r->depth > r->max_depth) {
        return fail(r, "nesting too deep");
    }
    v->type = obj ? MOCK_JSON_OBJECT : MOCK_JSON_ARRAY;
    r->i++;
    skip_ws(r);
    char close = obj ? '}' : ']';
    if (r->i < r->n && r->s[r->i] == close) {
        r->i++;
        r->depth--;
        return true;
    }
    struct mock_json **tail = &v->child;
    for (;;) {
        struct mock_json *m = mock_arena_alloc(r->a, sizeof *m);
        memset(m, 0, sizeof *m);
        if (obj) {
            skip_ws(r);
            if (r->i >= r->n || r->s[r->i] != '"') {
                return fail(r, "expected a string key");
            }
            if (!read_string(r, &m->key, &m->keylen)) {
                return false;
            }
            skip_ws(r);
            if (r->i >= r->n || r->s[r->i] != ':') {
                return fail(r, "expected ':'");
            }
            r->i++;
        }
        if (!read_value(r, m)) {
            return false;
        }
        *tail = m;
        tail = &m->next;
        v->count++;
        skip_ws(r);
        if (r->i >= r->n) {
            return fail(r, "unterminated container");
        }
        if (r->s[r->i] == ',') {
            r->i++;
            continue;
        }
        if (r->s[r->i] == close) {
            r->i++;
            r->depth--;
            return true;
        }
        return fail(r, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool read_lit(struct reader *r, const char *lit, enum mock_json_type t,
                     struct mock_json *v)
{
    size_t l = strlen(lit);
    if (r->n - r->i < l || memcmp(r->s + r->i, lit, l) != 0) {
        return fail(r, "unexpected token");
    }
    r->i += l;
    v->type = t;
    return true;
}

static bool read_value(struct reader *r, struct mock_json *v)
{
    skip_ws(r);
    if (r->i >= r->n) {
        return fail(r, "unexpected end of input");
    }
    switch (r->s[r->i]) {
    case '{':
        return read_container(r, v, true);
    case '[':
        return read_container(r, v, false);
    case '"':
        v->type = MOCK_JSON_STRING;
        return read_string(r, &v->str, &v->len);
    case 't':
        return read_lit(r, "true", MOCK_JSON_TRUE, v);
    case 'f':
        return read_lit(r, "false", MOCK_JSON_FALSE, v);
    case 'n':
        return read_lit(r, "null", MOCK_JSON_NULL, v);
    default:
        return read_number(r, v);
    }
}

struct mock_json *mock_json_parse(struct mock_arena *a, const char *s, size_t n,
                                  int max_depth, struct mock_json_error *err)
{
    struct reader r = {a, s, n, 0, 0, max_depth, err};
    struct mock_json *v = mock_arena_alloc(a, sizeof *v);
    memset(v, 0, sizeof *v);
    if (!read_value(&r, v)) {
        return NULL;
    }
    skip_ws(&r);
    if (r.i != n) {
        fail(&r, "trailing data after JSON value");
        return NULL;
    }
    return v;
}

const struct mock_json *mock_json_get(const struct mock_json *o,
                                      const char *key)
{
    if (o == NULL || o->type != MOCK_JSON_OBJECT) {
        return NULL;
    }
    size_t kl = strlen(key);
    const struct mock_json *found = NULL;
    for (const struct mock_json *m = o->child; m; m = m->next) {
        if (m->keylen == kl && memcmp(m->key, key, kl) == 0) {
            found = m;
        }
    }
    return found;
}

bool mock_json_int(const struct mock_json *v, int64_t *out)
{
    if (v == NULL || v->type != MOCK_JSON_NUMBER) {
        return false;
    }
    double d = v->num;
    if (!isfinite(d) || d != floor(d) || d > 9.0e15 || d < -9.0e15) {
        return false;
    }
    *out = (int64_t)d;
    return true;
}

bool mock_json_streq(const struct mock_json *v, const char *s)
{
    return v && v->type == MOCK_JSON_STRING && strlen(s) == v->len &&
           memcmp(v->str, s, v->len) == 0;
}

const char *mock_json_kind(const struct mock_json *v)
{
    if (v == NULL) {
        return "missing";
    }
    switch (v->type) {
    case MOCK_JSON_NULL:
        return "null";
    case MOCK_JSON_FALSE:
    case MOCK_JSON_TRUE:
        return "boolean";
    case MOCK_JSON_NUMBER: {
        int64_t i;
        return mock_json_int(v, &i) ? "integer" : "number";
    }
    case MOCK_JSON_STRING:
        return "string";
    case MOCK_JSON_ARRAY:
        return "array";
    case MOCK_JSON_OBJECT:
        return "object";
    }
    return "unknown";
}

void mock_json_write(struct mock_buf *b, const struct mock_json *v)
{
    switch (v->type) {
    case MOCK_JSON_NULL:
        mock_buf_append(b, "null", 4);
        return;
    case MOCK_JSON_FALSE:
        mock_buf_append(b, "false", 5);
        return;
    case MOCK_JSON_TRUE:
        mock_buf_append(b, "true", 4);
        return;
    case MOCK_JSON_NUMBER:
        mock_buf_append(b, v->str, v->len);
        return;
    case MOCK_JSON_STRING:
        mock_buf_json_str(b, v->str, v->len);
        return;
    case MOCK_JSON_ARRAY:
    case MOCK_JSON_OBJECT: {
        bool obj = v->type == MOCK_JSON_OBJECT;
        mock_buf_putc(b, obj ? '{' : '[');
        for (const struct mock_json *m = v->child; m; m = m->next) {
            if (m != v->child) {
                mock_buf_putc(b, ',');
            }
            if (obj) {
                mock_buf_json_str(b, m->key, m->keylen);
                mock_buf_putc(b, ':');
            }
            mock_json_write(b, m);
        }
        mock_buf_putc(b, obj ? '}' : ']');
        return;
    }
    }
}
