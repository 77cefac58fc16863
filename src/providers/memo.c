/*
 * memo.c - the repeat-shape fast path for stream events; no I/O.
 *
 * Consecutive chunks of a stream are mostly the same bytes: OpenAI's
 * content chunks repeat id, object, created, model, fingerprint, index and
 * the nulls, and differ in the content string (and in the random
 * "obfuscation" string). A provider records a fully parsed event whose
 * translation was one text delta as the template, with its holes: the
 * string token the text came from, and one the provider never reads. A
 * later event equal to the template byte for byte outside the holes, with
 * a valid JSON string token in each hole, is the template's document with
 * other strings in those places. So it is valid JSON (one string token
 * replaced by another keeps a valid document valid; each new token is
 * checked by the JSON parser's own string code), its tree has the same
 * shape and values but for the holes, and the provider would translate it
 * into the same deltas with the new text: no tree needs building. Any
 * other event (a new shape, another id, a finish reason, a bad string)
 * misses and takes the full parse, which reports errors as it always did.
 *
 * Owns: TPL.
 */
#include "memo.h"

#include <string.h>

void llmio__memo_init(struct llmio__memo *m, const llmio_allocator *alloc)
{
    memset(m, 0, sizeof *m);
    llmio__buf_init(&m->tpl, alloc, 0);
}

void llmio__memo_forget(struct llmio__memo *m)
{
    m->valid = false;
}

void llmio__memo_cleanup(struct llmio__memo *m)
{
    llmio__buf_cleanup(&m->tpl);
    m->valid = false;
}

void llmio__memo_record(struct llmio__memo *m, const struct llmio__json *root,
                        const struct llmio__json *text,
                        const struct llmio__json *other)
{
    size_t rlen;
    const char *base = llmio__json_raw(root, &rlen);
    m->valid = false;
    if (base == NULL || llmio__json_type(text) != LLMIO__JSON_STRING) {
        return;
    }
    const struct llmio__json *holes[LLMIO__MEMO_HOLES] = {text, other};
    size_t n = llmio__json_type(other) == LLMIO__JSON_STRING ? 2 : 1;
    m->text = 0;
    if (n == 2 && other->raw < text->raw) {
        holes[0] = other;
        holes[1] = text;
        m->text = 1;
    }
    for (size_t h = 0; h < n; h++) {
        size_t hlen;
        const char *hp = llmio__json_raw(holes[h], &hlen);
        m->off[h] = (size_t)(hp - base);
        m->len[h] = hlen;
    }
    m->nholes = n;
    llmio__buf_reset(&m->tpl);
    m->valid = llmio__buf_append(&m->tpl, base, rlen) == LLMIO_OK;
}

bool llmio__memo_match(const struct llmio__memo *m, struct llmio__arena *a,
                       const char *p, size_t len, const char **text,
                       size_t *text_len)
{
    if (!m->valid) {
        return false;
    }
    const char *t = m->tpl.data;
    size_t tp = 0, dp = 0;
    for (size_t h = 0; h < m->nholes; h++) {
        size_t seg = m->off[h] - tp;
        if (len - dp < seg || memcmp(p + dp, t + tp, seg) != 0) {
            return false;
        }
        dp += seg;
        tp = m->off[h] + m->len[h];
        const char *s;
        size_t slen;
        size_t tok = llmio__json_string_token(a, p + dp, len - dp, &s, &slen);
        if (tok == 0) {
            return false;
        }
        if (h == m->text) {
            *text = s;
            *text_len = slen;
        }
        dp += tok;
    }
    size_t seg = m->tpl.len - tp;
    return len - dp == seg && memcmp(p + dp, t + tp, seg) == 0;
}
