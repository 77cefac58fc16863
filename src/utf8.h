/*
 * utf8.h - UTF-8 validation shared by the JSON and SSE parsers.
 *
 * Follows RFC 3629 (no overlongs, no UTF-16 surrogates, nothing above
 * U+10FFFF) and, for the invalid case, the Unicode "maximal subpart" rule
 * the WHATWG decoder uses to decide how many bytes one U+FFFD replaces.
 */
#ifndef LLMIO_UTF8_H
#define LLMIO_UTF8_H

#include <stddef.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * llmio__utf8_seq - classify the sequence starting at P (N >= 1 bytes
 * available). Returns its length (1..4) when it is a valid scalar value, or
 * minus the length of the maximal invalid subpart (-1..-3) otherwise. A
 * valid prefix cut short by N also counts as invalid.
 */
static inline int llmio__utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    unsigned lo = 0x80, hi = 0xBF;
    int need;
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) {
            lo = 0xA0;
        } else if (c == 0xED) {
            hi = 0x9F;
        }
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) {
            lo = 0x90;
        } else if (c == 0xF4) {
            hi = 0x8F;
        }
    } else {
        return -1;
    }
    for (int i = 1; i <= need; i++) {
        if ((size_t)i >= n) {
            return -i;
        }
        unsigned b = p[i];
        if (b < lo || b > hi) {
            return -i;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

/* True when P[0..N) is entirely valid UTF-8. ASCII runs are checked 32
 * then 8 bytes at a time because stream payloads are overwhelmingly ASCII. */
static inline int llmio__utf8_valid(const unsigned char *p, size_t n)
{
    const unsigned long long hi = 0x8080808080808080ull;
    size_t i = 0;
    while (i < n) {
#ifdef __SSE2__
        while (i + 64 <= n) {
            const __m128i *v = (const __m128i *)(const void *)(p + i);
            __m128i x = _mm_or_si128(
                _mm_or_si128(_mm_loadu_si128(v), _mm_loadu_si128(v + 1)),
                _mm_or_si128(_mm_loadu_si128(v + 2), _mm_loadu_si128(v + 3)));
            if (_mm_movemask_epi8(x) != 0) {
                break;
            }
            i += 64;
        }
#endif
        while (i + 32 <= n) {
            unsigned long long w[4];
            __builtin_memcpy(w, p + i, 32);
            if (((w[0] | w[1] | w[2] | w[3]) & hi) != 0) {
                break;
            }
            i += 32;
        }
        while (i + 8 <= n) {
            unsigned long long w;
            __builtin_memcpy(&w, p + i, 8);
            if ((w & hi) != 0) {
                break;
            }
            i += 8;
        }
        while (i < n && p[i] < 0x80) {
            i++;
        }
        if (i == n) {
            break;
        }
        int k = llmio__utf8_seq(p + i, n - i);
        if (k < 0) {
            return 0;
        }
        i += (size_t)k;
    }
    return 1;
}

#endif
