/*
 * buf.c - byte buffers, the per-request arena and small encoders.
 *
 * Invariants: a mock_buf's data is NUL-terminated whenever allocated; an
 * arena keeps its first block across resets so steady-state requests do
 * not allocate.
 */
#include "mock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void *mock_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "llmio-mock: out of memory (%zu bytes)\n", n);
        abort();
    }
    return p;
}

void *mock_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        fprintf(stderr, "llmio-mock: out of memory (%zu bytes)\n", n);
        abort();
    }
    return q;
}

char *mock_xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = mock_xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

void mock_buf_init(struct mock_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void mock_buf_free(struct mock_buf *b)
{
    free(b->data);
    mock_buf_init(b);
}

void mock_buf_reserve(struct mock_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) {
        return;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            fprintf(stderr, "llmio-mock: buffer overflow\n");
            abort();
        }
        cap *= 2;
    }
    b->data = mock_xrealloc(b->data, cap);
    b->cap = cap;
}

void mock_buf_append(struct mock_buf *b, const void *p, size_t n)
{
    mock_buf_reserve(b, n);
    if (n) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
}

void mock_buf_puts(struct mock_buf *b, const char *s)
{
    mock_buf_append(b, s, strlen(s));
}

void mock_buf_putc(struct mock_buf *b, char c)
{
    mock_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void mock_buf_vprintf(struct mock_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    mock_buf_reserve(b, 64);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        mock_buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
    }
    va_end(ap2);
    b->len += (size_t)n;
}

void mock_buf_printf(struct mock_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mock_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void mock_buf_consume(struct mock_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
    }
    if (b->data) {
        b->data[b->len] = '\0';
    }
}

void mock_buf_reset(struct mock_buf *b)
{
    b->len = 0;
    if (b->data) {
        b->data[0] = '\0';
    }
}

size_t mock_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t need;
    unsigned min;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < need) {
        return 0;
    }
    unsigned cp = c & (0x7F >> need);
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return need;
}

int mock_hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

void mock_buf_json_str(struct mock_buf *b, const char *s, size_t n)
{
    mock_buf_reserve(b, n + 2);
    mock_buf_putc(b, '"');
    mock_buf_json_esc(b, s, n);
    mock_buf_putc(b, '"');
}

void mock_buf_json_esc(struct mock_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* Copy runs of plain bytes in one go: this is the hot path. */
        size_t j = i;
        while (j < n && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' &&
               p[j] != '\\') {
            j++;
        }
        if (j > i) {
            mock_buf_append(b, s + i, j - i);
            i = j;
            continue;
        }
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            mock_buf_append(b, e, 2);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n':
                mock_buf_append(b, "\\n", 2);
                break;
            case '\r':
                mock_buf_append(b, "\\r", 2);
                break;
            case '\t':
                mock_buf_append(b, "\\t", 2);
                break;
            case '\b':
                mock_buf_append(b, "\\b", 2);
                break;
            case '\f':
                mock_buf_append(b, "\\f", 2);
                break;
            default: {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                mock_buf_append(b, e, 6);
            }
            }
            i++;
        } else {
            size_t k = mock_utf8_len(p + i, n - i);
            if (k == 0) {
                mock_buf_append(b, "\xEF\xBF\xBD", 3);
                i++;
            } else {
                mock_buf_append(b, s + i, k);
                i += k;
            }
        }
    }
}

void mock_buf_json_cstr(struct mock_buf *b, const char *s)
{
    mock_buf_json_str(b, s, strlen(s));
}

/* ---- arena ----------------------------------------------------------------
 */

struct mock_arena_block {
    struct mock_arena_block *next;
    size_t size;
    size_t used;
    /* max_align_t keeps every allocation aligned for any type. */
    max_align_t data[];
};

void mock_arena_init(struct mock_arena *a)
{
    a->head = NULL;
    a->total = 0;
}

void *mock_arena_alloc(struct mock_arena *a, size_t n)
{
    const size_t align = sizeof(max_align_t);
    n = (n + align - 1) / align * align;
    if (n == 0) {
        n = align;
    }
    struct mock_arena_block *b = a->head;
    if (b == NULL || b->size - b->used < n) {
        size_t size = 16384;
        while (size < n) {
            size *= 2;
        }
        struct mock_arena_block *nb = mock_xmalloc(sizeof *nb + size);
        nb->size = size;
        nb->used = 0;
        nb->next = a->head;
        a->head = nb;
        a->total += size;
        b = nb;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

char *mock_arena_strndup(struct mock_arena *a, const char *s, size_t n)
{
    char *p = mock_arena_alloc(a, n + 1);
    if (n) {
        memcpy(p, s, n);
    }
    p[n] = '\0';
    return p;
}

void mock_arena_reset(struct mock_arena *a)
{
    /* Keep the oldest (last in the list) block: it is the standard size. */
    struct mock_arena_block *b = a->head;
    while (b && b->next) {
        struct mock_arena_block *next = b->next;
        a->total -= b->size;
        free(b);
        b = next;
    }
    a->head = b;
    if (b) {
        b->used = 0;
        if (b->size > 16384) {
            a->total -= b->size;
            free(b);
            a->head = NULL;
        }
    }
}

void mock_arena_free(struct mock_arena *a)
{
    struct mock_arena_block *b = a->head;
    while (b) {
        struct mock_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}

/* ---- encoders -------------------------------------------------------------
 */

void mock_base64(struct mock_buf *b, const unsigned char *p, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    mock_buf_reserve(b, (n + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        char o[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63],
                     tab[v & 63]};
        mock_buf_append(b, o, 4);
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        char o[4] = {tab[v >> 18], tab[(v >> 12) & 63], '=', '='};
        mock_buf_append(b, o, 4);
    } else if (n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        char o[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63],
                     '='};
        mock_buf_append(b, o, 4);
    }
}

void mock_rfc3339(struct mock_buf *b, int64_t wall_ms)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    mock_buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    (int)(wall_ms % 1000));
}

int64_t mock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
