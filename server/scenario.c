/*
 * scenario.c - parses scenario directives ("status=429;retry-after=2") and
 * scenario files into a struct mock_scenario.
 *
 * The language is documented in server/README.md. In a header value,
 * directives are split on ';' (or newline) outside {...} and [...] groups,
 * so JSON tool arguments need no escaping; in a file, each line is one
 * directive and '#' starts a comment line. Values are %XX-decoded. No I/O
 * except reading scenario files from the configured directory.
 */
#include "mock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void mock_scenario_init(struct mock_scenario *s)
{
    memset(s, 0, sizeof *s);
    s->retry_after_ms = -1;
    s->should_retry = -1;
    s->ttft_ms = -1;
    s->tps = -1;
    s->header_delay_ms = -1;
    s->slow_headers_ms = -1;
    s->close_after_events = -1;
    s->close_after_bytes = -1;
    s->stall_after_events = -1;
    s->error_after_events = -1;
    s->malformed_event = -1;
    s->write_size = -1;
    s->write_gap_ms = -1;
    s->big_event = -1;
    s->max_context = -1;
    s->lorem = -1;
    s->seed = 0;
    s->limit_n = -1;
    s->limit_s = -1;
}

/* %XX-decodes V into the arena; a '%' not followed by two hex digits is
 * kept literally. */
static char *decode(struct mock_arena *a, const char *v, size_t n,
                    size_t *outlen)
{
    char *o = mock_arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '%' && i + 2 < n && mock_hexval(v[i + 1]) >= 0 &&
            mock_hexval(v[i + 2]) >= 0) {
            o[k++] = (char)(mock_hexval(v[i + 1]) * 16 + mock_hexval(v[i + 2]));
            i += 2;
        } else {
            o[k++] = v[i];
        }
    }
    o[k] = '\0';
    *outlen = k;
    return o;
}

static bool set_err(struct mock_scenario *s, const char *fmt, const char *a,
                    size_t alen)
{
    if (s->error[0] == '\0') {
        char tmp[64];
        size_t l = alen < sizeof tmp - 1 ? alen : sizeof tmp - 1;
        memcpy(tmp, a, l);
        tmp[l] = '\0';
        snprintf(s->error, sizeof s->error, fmt, tmp);
    }
    return false;
}

static bool parse_long(const char *v, long min, long max, long *out)
{
    if (*v == '\0') {
        return false;
    }
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end != '\0' || x < min || x > max) {
        return false;
    }
    *out = x;
    return true;
}

static bool valid_name(const char *n, size_t l)
{
    if (l == 0 || l > 64 || n[0] == '.') {
        return false;
    }
    for (size_t i = 0; i < l; i++) {
        char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.')) {
            return false;
        }
    }
    return true;
}

static bool parse_spec(struct mock_scenario *s, struct mock_arena *a,
                       const char *spec, size_t len, const char *dir, int depth,
                       bool file_mode);

static bool include_file(struct mock_scenario *s, struct mock_arena *a,
                         const char *name, size_t nl, const char *dir,
                         int depth)
{
    if (!valid_name(name, nl)) {
        return set_err(s, "bad scenario name '%s'", name, nl);
    }
    if (dir == NULL) {
        return set_err(s, "scenario '%s' needs --scenario-dir", name, nl);
    }
    if (depth >= 4) {
        return set_err(s, "scenario '%s' nested too deeply", name, nl);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%.*s.scn", dir, (int)nl, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return set_err(s, "scenario file '%s' not found", name, nl);
    }
    size_t cap = 1 << 20;
    char *text = mock_arena_alloc(a, cap);
    size_t n = fread(text, 1, cap, f);
    fclose(f);
    if (n == cap) {
        return set_err(s, "scenario file '%s' too large", name, nl);
    }
    return parse_spec(s, a, text, n, dir, depth + 1, true);
}

static bool add_header(struct mock_scenario *s, struct mock_arena *a,
                       const char *v, size_t vl)
{
    const char *colon = memchr(v, ':', vl);
    if (colon == NULL || colon == v) {
        return set_err(s, "header directive needs 'Name: value': '%s'", v, vl);
    }
    for (size_t i = 0; i < vl; i++) {
        if (v[i] == '\r' || v[i] == '\n' || v[i] == '\0') {
            return set_err(s, "header directive has a line break: '%s'", v, vl);
        }
    }
    size_t old = s->extra_headers_len;
    char *n = mock_arena_alloc(a, old + vl + 3);
    if (old) {
        memcpy(n, s->extra_headers, old);
    }
    memcpy(n + old, v, vl);
    memcpy(n + old + vl, "\r\n", 3);
    s->extra_headers = n;
    s->extra_headers_len = old + vl + 2;
    return true;
}

static bool is_key(const char *k, size_t kl, const char *name)
{
    return strlen(name) == kl && memcmp(k, name, kl) == 0;
}

/* Applies one directive KEY[=VALUE]. */
static bool directive(struct mock_scenario *s, struct mock_arena *a,
                      const char *k, size_t kl, const char *rawv, size_t rvl,
                      bool has_v, const char *dir, int depth)
{
    size_t vl;
    char *v = decode(a, rawv, rvl, &vl);
    long x;
#define NUM(name, field, min, max)                                             \
    if (is_key(k, kl, name)) {                                                 \
        if (!parse_long(v, min, max, &x)) {                                    \
            return set_err(s, "bad value for '%s'", k, kl);                    \
        }                                                                      \
        s->field = x;                                                          \
        return true;                                                           \
    }
#define FLAG(name, field)                                                      \
    if (is_key(k, kl, name)) {                                                 \
        if (has_v && strcmp(v, "1") != 0 && strcmp(v, "true") != 0) {          \
            s->field = false;                                                  \
            return true;                                                       \
        }                                                                      \
        s->field = true;                                                       \
        return true;                                                           \
    }
#define STR(name, field)                                                       \
    if (is_key(k, kl, name)) {                                                 \
        s->field = v;                                                          \
        return true;                                                           \
    }
    if (kl > 0 && k[0] == '@') {
        return include_file(s, a, k + 1, kl - 1, dir, depth);
    }
    if (is_key(k, kl, "file") || is_key(k, kl, "scenario")) {
        return include_file(s, a, v, vl, dir, depth);
    }
    if (is_key(k, kl, "status")) {
        if (!parse_long(v, 100, 599, &x)) {
            return set_err(s, "bad value for '%s'", k, kl);
        }
        s->status = (int)x;
        return true;
    }
    if (is_key(k, kl, "fail-first")) {
        if (!parse_long(v, 0, 1000000, &x)) {
            return set_err(s, "bad value for '%s'", k, kl);
        }
        s->fail_first = (int)x;
        return true;
    }
    if (is_key(k, kl, "fail-seq")) {
        /* Comma-separated statuses (or "reset") for attempts 1, 2, ... */
        s->nfail_seq = 0;
        char *p = v;
        while (*p) {
            char *comma = strchr(p, ',');
            if (comma) {
                *comma = '\0';
            }
            if (s->nfail_seq == 16) {
                return set_err(s, "too many entries in '%s'", k, kl);
            }
            if (strcmp(p, "reset") == 0) {
                s->fail_seq[s->nfail_seq++] = -1;
            } else if (parse_long(p, 100, 599, &x)) {
                s->fail_seq[s->nfail_seq++] = (int)x;
            } else {
                return set_err(s, "bad value for '%s'", k, kl);
            }
            if (!comma) {
                break;
            }
            p = comma + 1;
        }
        return true;
    }
    if (is_key(k, kl, "limit")) {
        /* N/S: at most N requests per S seconds (default 1). */
        char *slash = strchr(v, '/');
        long sec = 1;
        if (slash) {
            *slash = '\0';
            if (!parse_long(slash + 1, 1, 86400, &sec)) {
                return set_err(s, "bad value for '%s'", k, kl);
            }
        }
        if (!parse_long(v, 0, 1000000000L, &x)) {
            return set_err(s, "bad value for '%s'", k, kl);
        }
        s->limit_n = x;
        s->limit_s = sec;
        return true;
    }
    NUM("retry-after-ms", retry_after_ms, 0, 86400000L)
    NUM("ttft", ttft_ms, 0, 600000)
    NUM("tps", tps, 1, 1000000)
    NUM("header-delay", header_delay_ms, 0, 600000)
    NUM("slow-headers", slow_headers_ms, 0, 60000)
    NUM("close-after-events", close_after_events, 0, 100000000L)
    NUM("close-after-bytes", close_after_bytes, 0, 1000000000L)
    NUM("stall-after-events", stall_after_events, 0, 100000000L)
    NUM("error-after-events", error_after_events, 0, 100000000L)
    NUM("malformed-event", malformed_event, 1, 100000000L)
    NUM("write-size", write_size, 1, 1 << 20)
    NUM("write-gap", write_gap_ms, 0, 60000)
    NUM("big-event", big_event, 1, 16L << 20)
    NUM("max-context", max_context, 0, 1000000000L)
    NUM("lorem", lorem, 0, 100000)
    NUM("seed", seed, 0, 1000000000L)
    FLAG("html", html)
    FLAG("rst", rst)
    FLAG("reset", reset)
    FLAG("split-utf8", split_utf8)
    STR("key", key)
    STR("retry-after", retry_after)
    STR("ratelimit", ratelimit_requests)
    STR("ratelimit-requests", ratelimit_requests)
    STR("ratelimit-tokens", ratelimit_tokens)
    STR("content-type", content_type)
    STR("message", error_message)
    STR("error-type", error_type)
    STR("finish", finish)
    if (is_key(k, kl, "one-byte")) {
        s->write_size = 1;
        if (s->write_gap_ms < 0) {
            s->write_gap_ms = 1;
        }
        return true;
    }
    if (is_key(k, kl, "should-retry")) {
        if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
            s->should_retry = 1;
        } else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
            s->should_retry = 0;
        } else {
            return set_err(s, "bad value for '%s'", k, kl);
        }
        return true;
    }
    if (is_key(k, kl, "header")) {
        return add_header(s, a, v, vl);
    }
    if (is_key(k, kl, "body")) {
        s->body = v;
        s->body_len = vl;
        return true;
    }
    if (is_key(k, kl, "text")) {
        s->text = v;
        s->text_len = vl;
        return true;
    }
    if (is_key(k, kl, "reasoning")) {
        s->reasoning = v;
        s->reasoning_len = vl;
        return true;
    }
    if (is_key(k, kl, "tool")) {
        if (s->ntools == MOCK_MAX_TOOLS) {
            return set_err(s, "too many '%s' directives", k, kl);
        }
        /* NAME or NAME:ARGS. The arguments are JSON text and are not
         * %-decoded twice: use the decoded value as is. */
        char *colon = memchr(v, ':', vl);
        struct mock_tool_call *t = &s->tools[s->ntools];
        if (colon) {
            *colon = '\0';
            t->args = colon + 1;
        } else {
            t->args = "{}";
        }
        t->name = v;
        if (t->name[0] == '\0') {
            return set_err(s, "empty tool name in '%s'", k, kl);
        }
        s->ntools++;
        return true;
    }
    if (is_key(k, kl, "event") || is_key(k, kl, "raw")) {
        if (s->nraw == MOCK_MAX_RAW) {
            return set_err(s, "too many '%s' directives", k, kl);
        }
        struct mock_raw_event *e = &s->raw[s->nraw];
        if (is_key(k, kl, "event")) {
            char *d = mock_arena_alloc(a, vl + 3);
            memcpy(d, v, vl);
            memcpy(d + vl, "\n\n", 3);
            e->data = d;
            e->len = vl + 2;
        } else {
            e->data = v;
            e->len = vl;
        }
        /* A preceding delay= directive stored its value in this slot. */
        s->nraw++;
        s->has_raw = true;
        return true;
    }
    if (is_key(k, kl, "delay")) {
        if (!parse_long(v, 0, 600000, &x) || s->nraw == MOCK_MAX_RAW) {
            return set_err(s, "bad value for '%s'", k, kl);
        }
        s->raw[s->nraw].delay_ms += x;
        return true;
    }
#undef NUM
#undef FLAG
#undef STR
    return set_err(s, "unknown scenario directive '%s'", k, kl);
}

static bool parse_spec(struct mock_scenario *s, struct mock_arena *a,
                       const char *spec, size_t len, const char *dir, int depth,
                       bool file_mode)
{
    size_t i = 0;
    while (i < len) {
        /* Find the end of this directive. */
        size_t start = i;
        int nest = 0;
        bool in_str = false;
        while (i < len) {
            char c = spec[i];
            if (c == '\n') {
                break;
            }
            if (!file_mode) {
                if (in_str) {
                    if (c == '\\' && i + 1 < len) {
                        i++;
                    } else if (c == '"') {
                        in_str = false;
                    }
                } else if (c == '"' && nest > 0) {
                    in_str = true;
                } else if (c == '{' || c == '[') {
                    nest++;
                } else if ((c == '}' || c == ']') && nest > 0) {
                    nest--;
                } else if (c == ';' && nest == 0) {
                    break;
                }
            }
            i++;
        }
        size_t end = i;
        i++; /* separator */
        while (start < end && (spec[start] == ' ' || spec[start] == '\t' ||
                               spec[start] == '\r')) {
            start++;
        }
        while (end > start && (spec[end - 1] == ' ' || spec[end - 1] == '\t' ||
                               spec[end - 1] == '\r')) {
            end--;
        }
        if (end == start || spec[start] == '#') {
            continue;
        }
        const char *eq = memchr(spec + start, '=', end - start);
        const char *k = spec + start;
        size_t kl = eq ? (size_t)(eq - k) : end - start;
        while (kl > 0 && (k[kl - 1] == ' ' || k[kl - 1] == '\t')) {
            kl--;
        }
        const char *v = eq ? eq + 1 : spec + end;
        size_t vl = eq ? (size_t)(spec + end - v) : 0;
        while (vl > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        if (!directive(s, a, k, kl, v, vl, eq != NULL, dir, depth)) {
            return false;
        }
    }
    return true;
}

bool mock_scenario_parse(struct mock_scenario *s, struct mock_arena *a,
                         const char *spec, size_t len, const char *scenario_dir,
                         int depth)
{
    return parse_spec(s, a, spec, len, scenario_dir, depth, false);
}
