/*
 * http.c - classifies HTTP statuses and parses the response headers the
 * engine cares about (Retry-After, request ids, x-ratelimit-*).
 *
 * Invariants: pure functions with no I/O and no clock; the wall-clock time
 * needed for an HTTP-date Retry-After is passed in. Nothing here allocates:
 * results are small fixed fields in struct llmio__http_hdrs, so a header
 * line can never make memory grow, and every parse is bounded by its
 * input length (values are capped, so no overflow on hostile input).
 * Owns nothing.
 */
#include "http.h"

#include "ratelimit.h"

#include <math.h>
#include <string.h>

/* One day: longer Retry-After values are clamped (the retry policy gives up
 * on anything above two minutes anyway), which keeps every product below
 * INT64_MAX whatever digits arrive. */
#define MAX_DELAY_MS ((int64_t)86400000)

static bool is_ows(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    c = lower(c);
    return c >= 'a' && c <= 'z';
}

/* Case-insensitive equality of a length-delimited string with a literal. */
static bool ieq(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    if (len != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (lower(s[i]) != lit[i]) {
            return false;
        }
    }
    return true;
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_ows(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_ows((*s)[*len - 1])) {
        (*len)--;
    }
}

/* Non-negative decimal integer, capped at CAP; -1 when not all digits. */
static int64_t parse_uint(const char *s, size_t len, int64_t cap)
{
    if (len == 0) {
        return -1;
    }
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i])) {
            return -1;
        }
        if (v < cap) {
            v = v * 10 + (s[i] - '0');
        }
    }
    return v > cap ? cap : v;
}

/*
 * "123", "1.5", ".5" in units of UNIT_NS nanoseconds -> milliseconds,
 * rounded up so a server's "wait at least" is honoured; -1 when malformed.
 * At most 9 fractional digits count; longer fractions still parse.
 */
static int64_t parse_decimal_ms(const char *s, size_t len, int64_t unit_ns)
{
    size_t i = 0;
    int64_t ip = 0;
    bool any = false;
    while (i < len && is_digit(s[i])) {
        if (ip < (int64_t)1000000000000000) { /* saturate; capped below */
            ip = ip * 10 + (s[i] - '0');
        }
        any = true;
        i++;
    }
    int64_t frac_ns = 0; /* fraction of one unit, in 1e-9 units */
    if (i < len && s[i] == '.') {
        i++;
        int64_t scale = 100000000;
        while (i < len && is_digit(s[i])) {
            frac_ns += (s[i] - '0') * scale;
            scale /= 10;
            any = true;
            i++;
        }
    }
    if (!any || i != len) {
        return -1;
    }
    /* Doubles are exact for every result below the cap (one day is
     * 8.64e13 ns, well inside 2^53), and the epsilon keeps a product such as
     * 0.3 * 1e9 from rounding up a whole millisecond. */
    double ns =
        (double)ip * (double)unit_ns + (double)frac_ns * (double)unit_ns / 1e9;
    double ms = ceil(ns / 1e6 - 1e-6);
    if (ms >= (double)MAX_DELAY_MS) {
        return MAX_DELAY_MS;
    }
    return ms < 0 ? 0 : (int64_t)ms;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so no libc time zone state is touched. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_index(const char *s, size_t len)
{
    static const char *const months[] = {"jan", "feb", "mar", "apr",
                                         "may", "jun", "jul", "aug",
                                         "sep", "oct", "nov", "dec"};
    for (int i = 0; i < 12; i++) {
        if (ieq(s, len, months[i])) {
            return i + 1;
        }
    }
    return 0;
}

/*
 * HTTP-date in any of the three forms RFC 9110 section 5.6.7 requires a
 * recipient to accept. Tokens are split at spaces, commas and dashes and
 * recognised by shape, which covers all three layouts with one scanner.
 * Returns unix milliseconds, or -1.
 */
static int64_t parse_http_date(const char *s, size_t len)
{
    int day = -1, month = 0, hh = -1, mm = -1, ss = -1;
    int64_t year = -1;
    size_t i = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == ',' || s[i] == '-')) {
            i++;
        }
        size_t start = i;
        while (i < len && s[i] != ' ' && s[i] != ',' && s[i] != '-') {
            i++;
        }
        const char *t = s + start;
        size_t tl = i - start;
        if (tl == 0) {
            break;
        }
        if (is_alpha(t[0])) {
            int mi = month_index(t, tl);
            if (mi != 0) {
                month = mi;
            } else if (!ieq(t, tl, "gmt") && !ieq(t, tl, "utc") && month != 0) {
                return -1; /* words after the month: not a date */
            }
            continue;
        }
        if (tl == 8 && t[2] == ':' && t[5] == ':') {
            int64_t a = parse_uint(t, 2, 99), b = parse_uint(t + 3, 2, 99),
                    c = parse_uint(t + 6, 2, 99);
            if (a < 0 || b < 0 || c < 0) {
                return -1;
            }
            hh = (int)a;
            mm = (int)b;
            ss = (int)c;
            continue;
        }
        int64_t n = parse_uint(t, tl, 100000);
        if (n < 0) {
            return -1;
        }
        if (day < 0 && tl <= 2) {
            day = (int)n;
        } else if (year < 0 && (tl == 4 || tl == 2)) {
            /* RFC 9110: a two-digit year more than 50 years ahead is in
             * the past century; 70 is the conventional pivot. */
            year = tl == 4 ? n : (n < 70 ? 2000 + n : 1900 + n);
        } else {
            return -1;
        }
    }
    if (day < 1 || day > 31 || month == 0 || year < 1970 || hh < 0 || hh > 23 ||
        mm > 59 || ss > 60) {
        return -1;
    }
    int64_t days = days_from_civil(year, month, day);
    return ((days * 24 + hh) * 60 + mm) * 60000 + (int64_t)ss * 1000;
}

int64_t llmio__http_parse_retry_after(const char *v, size_t len,
                                      int64_t now_unix_ms)
{
    if (v == NULL) {
        return -1;
    }
    trim(&v, &len);
    if (len == 0) {
        return -1;
    }
    if (is_digit(v[0]) || v[0] == '.') {
        return parse_decimal_ms(v, len, 1000000000);
    }
    int64_t at = parse_http_date(v, len);
    if (at < 0) {
        return -1;
    }
    int64_t d = at - now_unix_ms;
    if (d < 0) {
        return 0;
    }
    return d > MAX_DELAY_MS ? MAX_DELAY_MS : d;
}

int64_t llmio__http_parse_duration(const char *v, size_t len)
{
    if (v == NULL) {
        return -1;
    }
    trim(&v, &len);
    if (len == 0) {
        return -1;
    }
    int64_t total = 0;
    size_t i = 0;
    while (i < len) {
        size_t ns = i;
        while (i < len && (is_digit(v[i]) || v[i] == '.')) {
            i++;
        }
        size_t ne = i;
        while (i < len && is_alpha(v[i])) {
            i++;
        }
        const char *u = v + ne;
        size_t ul = i - ne;
        int64_t unit_ns;
        if (ieq(u, ul, "h")) {
            unit_ns = (int64_t)3600 * 1000000000;
        } else if (ieq(u, ul, "m")) {
            unit_ns = (int64_t)60 * 1000000000;
        } else if (ieq(u, ul, "s")) {
            unit_ns = 1000000000;
        } else if (ieq(u, ul, "ms")) {
            unit_ns = 1000000;
        } else if (ieq(u, ul, "us")) {
            unit_ns = 1000;
        } else if (ieq(u, ul, "ns")) {
            unit_ns = 1;
        } else {
            return -1;
        }
        int64_t part = parse_decimal_ms(v + ns, ne - ns, unit_ns);
        if (part < 0) {
            return -1;
        }
        total += part;
        if (total > MAX_DELAY_MS) {
            total = MAX_DELAY_MS;
        }
    }
    return total;
}

void llmio__http_hdrs_init(struct llmio__http_hdrs *h)
{
    memset(h, 0, sizeof *h);
    h->retry_after_ms = -1;
    h->retry_after_ms_ms = -1;
    h->should_retry = -1;
    h->rl_limit_requests = -1;
    h->rl_limit_tokens = -1;
    h->rl_remaining_requests = -1;
    h->rl_remaining_tokens = -1;
    h->rl_reset_requests_ms = -1;
    h->rl_reset_tokens_ms = -1;
    h->rl_in_limit = h->rl_in_remaining = h->rl_in_reset_ms = -1;
    h->rl_out_limit = h->rl_out_remaining = h->rl_out_reset_ms = -1;
}

/* An Anthropic reset (RFC 3339, absolute) as ms from NOW_UNIX_MS, 0 when
 * already past, -1 when unparsable. */
static int64_t parse_reset_time(const char *v, size_t len, int64_t now_unix_ms)
{
    int64_t at;
    if (!llmio__parse_rfc3339(v, len, &at)) {
        return -1;
    }
    int64_t d = at - now_unix_ms;
    if (d < 0) {
        return 0;
    }
    return d > MAX_DELAY_MS ? MAX_DELAY_MS : d;
}

/*
 * anthropic-ratelimit-KIND-FIELD (the prefix already matched; NAME is the
 * rest). KIND: requests, tokens, input-tokens, output-tokens; FIELD:
 * limit, remaining, reset. Other names are ignored.
 */
static void anthropic_ratelimit(struct llmio__http_hdrs *h, const char *name,
                                size_t nlen, const char *v, size_t vlen,
                                int64_t now_unix_ms)
{
    static const char *const kinds[] = {"requests-", "tokens-", "input-tokens-",
                                        "output-tokens-"};
    int64_t *fields[4][3] = {
        {&h->rl_limit_requests, &h->rl_remaining_requests,
         &h->rl_reset_requests_ms},
        {&h->rl_limit_tokens, &h->rl_remaining_tokens, &h->rl_reset_tokens_ms},
        {&h->rl_in_limit, &h->rl_in_remaining, &h->rl_in_reset_ms},
        {&h->rl_out_limit, &h->rl_out_remaining, &h->rl_out_reset_ms},
    };
    for (int k = 0; k < 4; k++) {
        size_t kl = strlen(kinds[k]);
        if (nlen <= kl) {
            continue;
        }
        bool match = true;
        for (size_t i = 0; i < kl && match; i++) {
            match = lower(name[i]) == kinds[k][i];
        }
        if (!match) {
            continue;
        }
        const char *f = name + kl;
        size_t fl = nlen - kl;
        if (ieq(f, fl, "limit")) {
            *fields[k][0] = parse_uint(v, vlen, INT64_MAX / 10);
        } else if (ieq(f, fl, "remaining")) {
            *fields[k][1] = parse_uint(v, vlen, INT64_MAX / 10);
        } else if (ieq(f, fl, "reset")) {
            *fields[k][2] = parse_reset_time(v, vlen, now_unix_ms);
        }
        return;
    }
}

/* Copies V into DST (size N) keeping printable ASCII only: a request id is
 * echoed into messages and logs, so control bytes must not pass through. */
static void copy_token(char *dst, size_t n, const char *v, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c >= 0x21 && c <= 0x7e) {
            dst[o++] = (char)c;
        }
    }
    dst[o] = '\0';
}

static void parse_status_line(struct llmio__http_hdrs *h, const char *line,
                              size_t len)
{
    bool skip = h->rl_skip;
    llmio__http_hdrs_init(h);
    h->rl_skip = skip;
    size_t i = 0;
    while (i < len && line[i] != ' ') {
        i++;
    }
    while (i < len && line[i] == ' ') {
        i++;
    }
    if (i + 3 <= len && is_digit(line[i]) && is_digit(line[i + 1]) &&
        is_digit(line[i + 2]) && (i + 3 == len || !is_digit(line[i + 3]))) {
        h->status = (line[i] - '0') * 100 + (line[i + 1] - '0') * 10 +
                    (line[i + 2] - '0');
    }
}

void llmio__http_header(struct llmio__http_hdrs *h, const char *line,
                        size_t len, int64_t now_unix_ms)
{
    if (line == NULL) {
        return;
    }
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        parse_status_line(h, line, len);
        return;
    }
    const char *colon = memchr(line, ':', len);
    if (colon == NULL) {
        return; /* the blank line ending the headers, or garbage */
    }
    const char *name = line;
    size_t nlen = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vlen = len - nlen - 1;
    trim(&name, &nlen);
    trim(&v, &vlen);

    if (ieq(name, nlen, "retry-after")) {
        h->retry_after_ms = llmio__http_parse_retry_after(v, vlen, now_unix_ms);
    } else if (ieq(name, nlen, "retry-after-ms")) {
        h->retry_after_ms_ms = parse_decimal_ms(v, vlen, 1000000);
    } else if (ieq(name, nlen, "x-request-id")) {
        copy_token(h->request_id, sizeof h->request_id, v, vlen);
        h->has_x_request_id = true;
    } else if (ieq(name, nlen, "request-id")) {
        if (!h->has_x_request_id) {
            copy_token(h->request_id, sizeof h->request_id, v, vlen);
        }
    } else if (ieq(name, nlen, "x-should-retry")) {
        h->should_retry = ieq(v, vlen, "true")    ? 1
                          : ieq(v, vlen, "false") ? 0
                                                  : -1;
    } else if (ieq(name, nlen, "content-type")) {
        size_t n = 0;
        while (n < vlen && v[n] != ';' && !is_ows(v[n]) &&
               n + 1 < sizeof h->content_type) {
            h->content_type[n] = lower(v[n]);
            n++;
        }
        h->content_type[n] = '\0';
    } else if (h->rl_skip && h->status != 429) {
        return; /* the rate-limit headers below: nobody reads them */
    } else if (ieq(name, nlen, "x-ratelimit-limit-requests")) {
        h->rl_limit_requests = parse_uint(v, vlen, INT64_MAX / 10);
    } else if (ieq(name, nlen, "x-ratelimit-limit-tokens")) {
        h->rl_limit_tokens = parse_uint(v, vlen, INT64_MAX / 10);
    } else if (ieq(name, nlen, "x-ratelimit-remaining-requests")) {
        h->rl_remaining_requests = parse_uint(v, vlen, INT64_MAX / 10);
    } else if (ieq(name, nlen, "x-ratelimit-remaining-tokens")) {
        h->rl_remaining_tokens = parse_uint(v, vlen, INT64_MAX / 10);
    } else if (ieq(name, nlen, "x-ratelimit-reset-requests")) {
        h->rl_reset_requests_ms = llmio__http_parse_duration(v, vlen);
    } else if (ieq(name, nlen, "x-ratelimit-reset-tokens")) {
        h->rl_reset_tokens_ms = llmio__http_parse_duration(v, vlen);
    } else if (nlen > 20 && ieq(name, 20, "anthropic-ratelimit-")) {
        anthropic_ratelimit(h, name + 20, nlen - 20, v, vlen, now_unix_ms);
    }
}

int64_t llmio__http_retry_after(const struct llmio__http_hdrs *h)
{
    return h->retry_after_ms_ms >= 0 ? h->retry_after_ms_ms : h->retry_after_ms;
}

llmio_status llmio__http_status_code(int s)
{
    if (s >= 200 && s <= 299) {
        return LLMIO_OK;
    }
    switch (s) {
    case 401:
    case 403:
        return LLMIO_E_AUTH;
    case 400:
    case 404:
    case 409:
    case 413:
    case 422:
        return LLMIO_E_BAD_REQUEST;
    case 429:
        return LLMIO_E_RATE_LIMIT;
    case 503:
    case 529:
        return LLMIO_E_OVERLOADED;
    default:
        break;
    }
    if (s >= 500 && s <= 599) {
        return LLMIO_E_SERVER;
    }
    return LLMIO_E_HTTP;
}
