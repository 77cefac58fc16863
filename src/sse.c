/*
 * sse.c - incremental Server-Sent Events parser (WHATWG HTML "Parsing an
 * event stream"; shared/reference/sse.md sections 2-4 and 7); no I/O.
 *
 * Input is appended to IN and consumed line by line from POS. Line ends are
 * CRLF, LF or a lone CR; a CR that ends the buffered input is taken as a
 * line end at once and SKIP_LF swallows an LF arriving next, so "\r" + "\n"
 * split across feeds is one line end. The scan for line ends remembers how
 * far it got (SCAN), so a long line fed one byte at a time costs O(n), not
 * O(n^2). One leading BOM (EF BB BF) is dropped at stream start only, even
 * when it arrives split.
 *
 * Zero copy for the common case: an event with a single data line (every
 * OpenAI, Anthropic and Gemini chunk) is returned as a pointer into IN,
 * NUL-terminated by overwriting the already-consumed line-end byte. Only a
 * second data line, a value that needs UTF-8 repair, or an event spanning
 * feeds (IN is compacted on feed) copies data into the DATA buffer.
 *
 * Decoding: invalid UTF-8 in a field value becomes U+FFFD per maximal
 * subpart, as the WHATWG decoder does; field names are compared as bytes,
 * which gives the same result since they are ASCII.
 *
 * Limits: an event's data (LFs included) and any single line are bounded by
 * MAX_EVENT; past it the parser fails with LLMIO_E_TOO_BIG. The check sees
 * the same lines in the same order for every split, so errors do not depend
 * on how the stream was chunked. Errors are sticky.
 *
 * Owns: IN, DATA, TYPE and ID buffers.
 */
#include "sse.h"

#include "utf8.h"

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define DEFAULT_MAX_EVENT ((size_t)1 << 20)
/* Room for a field name and separator on top of the value limit. */
#define LINE_SLACK 64

void llmio__sse_init(struct llmio__sse_parser *p, const llmio_allocator *alloc,
                     size_t max_event_bytes)
{
    memset(p, 0, sizeof *p);
    p->max_event = max_event_bytes != 0 ? max_event_bytes : DEFAULT_MAX_EVENT;
    /* Keeps "max_event + LINE_SLACK" and "+ 1" from wrapping. */
    if (p->max_event > SIZE_MAX / 2) {
        p->max_event = SIZE_MAX / 2;
    }
    llmio__buf_init(&p->in, alloc, 0);
    llmio__buf_init(&p->data, alloc, 0);
    llmio__buf_init(&p->type, alloc, 0);
    llmio__buf_init(&p->id, alloc, 0);
    p->retry_ms = -1;
    p->status = LLMIO_OK;
}

void llmio__sse_cleanup(struct llmio__sse_parser *p)
{
    llmio__buf_cleanup(&p->in);
    llmio__buf_cleanup(&p->data);
    llmio__buf_cleanup(&p->type);
    llmio__buf_cleanup(&p->id);
}

llmio_status llmio__sse_status(const struct llmio__sse_parser *p)
{
    return p->status;
}

int64_t llmio__sse_retry_ms(const struct llmio__sse_parser *p)
{
    return p->retry_ms;
}

bool llmio__sse_pending(const struct llmio__sse_parser *p)
{
    return p->pos < p->in.len || p->data_mode != 0;
}

/* Appends S[0..N) to B, replacing each maximal invalid UTF-8 subpart with
 * U+FFFD. */
static llmio_status append_utf8(struct llmio__buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (llmio__utf8_valid(u, n)) {
        return llmio__buf_append(b, s, n);
    }
    size_t i = 0, run = 0;
    while (i < n) {
        int k = llmio__utf8_seq(u + i, n - i);
        if (k > 0) {
            i += (size_t)k;
            continue;
        }
        llmio_status st = llmio__buf_append(b, s + run, i - run);
        if (st == LLMIO_OK) {
            st = llmio__buf_append(b, "\xEF\xBF\xBD", 3);
        }
        if (st != LLMIO_OK) {
            return st;
        }
        i += (size_t)-k;
        run = i;
    }
    return llmio__buf_append(b, s + run, n - run);
}

/* Moves single-line data held as a reference into IN over to the DATA
 * buffer (before IN is compacted, or when a second line arrives). */
static llmio_status materialize(struct llmio__sse_parser *p)
{
    llmio__buf_reset(&p->data);
    llmio_status st =
        llmio__buf_append(&p->data, p->in.data + p->ref_off, p->ref_len);
    if (st == LLMIO_OK) {
        st = llmio__buf_appendc(&p->data, '\n');
    }
    if (st == LLMIO_OK) {
        p->data_mode = 2;
    }
    return st;
}

llmio_status llmio__sse_feed(struct llmio__sse_parser *p, const char *bytes,
                             size_t len)
{
    if (p->status != LLMIO_OK) {
        return p->status;
    }
    if (p->pos > 0) {
        /* Compaction invalidates references into IN and the last event. */
        if (p->data_mode == 1) {
            llmio_status st = materialize(p);
            if (st != LLMIO_OK) {
                p->status = st;
                return st;
            }
        }
        llmio__buf_consume(&p->in, p->pos);
        p->scan -= p->pos;
        p->pos = 0;
    }
    llmio_status st = llmio__buf_append(&p->in, bytes, len);
    if (st != LLMIO_OK) {
        p->status = st;
    }
    return st;
}

static int fail(struct llmio__sse_parser *p, llmio_status st)
{
    p->status = st;
    return -1;
}

/* Handles a "data" field value; ASCII says it is known to be ASCII (so
 * valid UTF-8). Returns LLMIO_OK or an error status. */
static llmio_status on_data(struct llmio__sse_parser *p, size_t off,
                            size_t vlen, bool ascii)
{
    const char *v = p->in.data + off;
    size_t total;
    if (__builtin_add_overflow(p->data_len, vlen + 1, &total) ||
        total > p->max_event + 1) {
        return LLMIO_E_TOO_BIG;
    }
    llmio_status st = LLMIO_OK;
    if (p->data_mode == 0 &&
        (ascii || llmio__utf8_valid((const unsigned char *)v, vlen))) {
        p->ref_off = off;
        p->ref_len = vlen;
        p->data_mode = 1;
    } else {
        if (p->data_mode == 1) {
            st = materialize(p);
        } else if (p->data_mode == 0) {
            llmio__buf_reset(&p->data);
            p->data_mode = 2;
        }
        if (st == LLMIO_OK) {
            st = append_utf8(&p->data, v, vlen);
        }
        if (st == LLMIO_OK) {
            st = llmio__buf_appendc(&p->data, '\n');
        }
    }
    p->data_len = total;
    return st;
}

/* Handles the "retry" field: digits only, else ignored. */
static void on_retry(struct llmio__sse_parser *p, const char *v, size_t vlen)
{
    if (vlen == 0) {
        return;
    }
    int64_t ms = 0;
    for (size_t i = 0; i < vlen; i++) {
        unsigned d = (unsigned char)v[i] - (unsigned)'0';
        if (d > 9) {
            return;
        }
        /* Saturate: a value too large to represent means "very long". */
        if (ms > (INT64_MAX - 9) / 10) {
            ms = INT64_MAX;
        } else {
            ms = ms * 10 + (int64_t)d;
        }
    }
    p->retry_ms = ms;
}

/* Processes one non-empty line IN[START..START+LEN); ASCII: see on_data. */
static llmio_status on_line(struct llmio__sse_parser *p, size_t start,
                            size_t len, bool ascii)
{
    const char *line = p->in.data + start;
    if (line[0] == ':') {
        return LLMIO_OK; /* comment */
    }
    /* The colon is a few bytes in ("data:"), so a plain loop beats a
     * memchr call. */
    size_t nlen = 0;
    while (nlen < len && line[nlen] != ':') {
        nlen++;
    }
    size_t voff = nlen < len ? nlen + 1 : len;
    if (voff < len && line[voff] == ' ') {
        voff++;
    }
    size_t vlen = len - voff;
    const char *v = line + voff;
    switch (nlen) {
    case 4:
        if (memcmp(line, "data", 4) == 0) {
            return on_data(p, start + voff, vlen, ascii);
        }
        break;
    case 5:
        if (memcmp(line, "event", 5) == 0) {
            llmio__buf_reset(&p->type);
            p->has_type = true;
            return append_utf8(&p->type, v, vlen);
        }
        if (memcmp(line, "retry", 5) == 0) {
            on_retry(p, v, vlen);
        }
        break;
    case 2:
        if (memcmp(line, "id", 2) == 0 && memchr(v, '\0', vlen) == NULL) {
            llmio__buf_reset(&p->id);
            return append_utf8(&p->id, v, vlen);
        }
        break;
    default:
        break;
    }
    return LLMIO_OK;
}

/*
 * The offset of the first CR or LF in S[0..N) (N if none), and in *ASCII
 * whether the bytes before it are all ASCII: one pass for the line-end
 * search and the data's UTF-8 check, which every event line needs (ASCII
 * is valid UTF-8). With SSE2, 16 bytes per step, never past S + N.
 */
static size_t find_eol(const char *s, size_t n, bool *ascii)
{
    size_t i = 0;
    unsigned hi = 0;
#ifdef __SSE2__
    const __m128i lf = _mm_set1_epi8('\n');
    const __m128i cr = _mm_set1_epi8('\r');
    /* 32 bytes per step while no line end is in them (most of a line). */
    for (; i + 32 <= n; i += 32) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i y =
            _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
        __m128i e = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, lf), _mm_cmpeq_epi8(x, cr)),
            _mm_or_si128(_mm_cmpeq_epi8(y, lf), _mm_cmpeq_epi8(y, cr)));
        if (_mm_movemask_epi8(e) != 0) {
            break;
        }
        hi |= (unsigned)_mm_movemask_epi8(_mm_or_si128(x, y));
    }
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(x, lf), _mm_cmpeq_epi8(x, cr)));
        unsigned h = (unsigned)_mm_movemask_epi8(x);
        if (m != 0) {
            unsigned k = (unsigned)__builtin_ctz(m);
            *ascii = (hi | (h & ((1u << k) - 1))) == 0;
            return i + k;
        }
        hi |= h;
    }
#endif
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' || c == '\r') {
            break;
        }
        hi |= c & 0x80u;
    }
    *ascii = hi == 0;
    return i;
}

/* Fills EV from the pending event and clears it (WHATWG dispatch steps). */
static void dispatch(struct llmio__sse_parser *p, struct llmio__sse_event *ev)
{
    if (p->data_mode == 1) {
        /* The byte after the value is its consumed line end. */
        p->in.data[p->ref_off + p->ref_len] = '\0';
        ev->data = p->in.data + p->ref_off;
        ev->data_len = p->ref_len;
    } else {
        /* Drop the one final LF. */
        p->data.len--;
        p->data.data[p->data.len] = '\0';
        ev->data = p->data.data;
        ev->data_len = p->data.len;
    }
    if (p->has_type && p->type.len > 0) {
        ev->type = p->type.data;
        ev->type_len = p->type.len;
    } else {
        ev->type = "message";
        ev->type_len = 7;
    }
    ev->id = llmio__buf_cstr(&p->id);
    ev->id_len = p->id.len;
    p->data_mode = 0;
    p->data_len = 0;
    p->has_type = false;
}

int llmio__sse_next(struct llmio__sse_parser *p, struct llmio__sse_event *ev)
{
    if (p->status != LLMIO_OK) {
        return -1;
    }
    if (p->in.data == NULL) {
        return 0; /* nothing fed yet */
    }
    for (;;) {
        char *buf = p->in.data;
        size_t end = p->in.len;
        if (!p->started) {
            static const char bom[3] = {'\xEF', '\xBB', '\xBF'};
            size_t avail = end - p->pos;
            size_t k = avail < 3 ? avail : 3;
            if (memcmp(buf + p->pos, bom, k) == 0) {
                if (avail < 3) {
                    return 0; /* could still be a BOM */
                }
                p->pos += 3;
                p->scan = p->pos;
            }
            p->started = true;
        }
        if (p->skip_lf) {
            if (p->pos == end) {
                return 0;
            }
            if (buf[p->pos] == '\n') {
                p->pos++;
                if (p->scan < p->pos) {
                    p->scan = p->pos;
                }
            }
            p->skip_lf = false;
        }
        size_t start = p->pos;
        if (start < end && buf[start] == '\n') {
            /* Blank line (LF): the end of nearly every event; skip the
             * line-end searches. */
            p->pos = start + 1;
            p->scan = p->pos;
            if (p->data_mode != 0) {
                dispatch(p, ev);
                return 1;
            }
            p->has_type = false;
            continue;
        }
        if (p->scan < start) {
            p->scan = start;
        }
        bool ascii;
        size_t eol = p->scan + find_eol(buf + p->scan, end - p->scan, &ascii);
        /* Bytes before SCAN were looked at by an earlier call. */
        ascii = ascii && p->scan == start;
        if (eol == end) {
            p->scan = end;
            if (end - start > p->max_event + LINE_SLACK) {
                return fail(p, LLMIO_E_TOO_BIG);
            }
            return 0;
        }
        if (buf[eol] == '\r') {
            if (eol + 1 < end && buf[eol + 1] == '\n') {
                p->pos = eol + 2;
            } else {
                p->pos = eol + 1;
                p->skip_lf = eol + 1 == end;
            }
        } else {
            p->pos = eol + 1;
        }
        p->scan = p->pos;
        size_t len = eol - start;
        if (len > p->max_event + LINE_SLACK) {
            return fail(p, LLMIO_E_TOO_BIG);
        }
        if (len == 0) {
            if (p->data_mode != 0) {
                dispatch(p, ev);
                return 1;
            }
            p->has_type = false;
            continue;
        }
        llmio_status st = on_line(p, start, len, ascii);
        if (st != LLMIO_OK) {
            return fail(p, st);
        }
    }
}
