/*
 * http.h - pure HTTP helpers: status classification and response-header
 * parsing (Retry-After, request ids, rate-limit headers). See http.c.
 */
#ifndef LLMIO_HTTP_H
#define LLMIO_HTTP_H

#include "llmio.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the engine keeps from a response's headers. Numeric fields are -1
 * when the header was absent or unparsable ("unknown", per the OpenAI
 * reference section 7: Azure may send -1 or 0 and nothing is trusted that
 * does not parse). */
struct llmio__http_hdrs {
    int status;                /* from the last status line; 0 before one */
    int64_t retry_after_ms;    /* Retry-After (seconds or HTTP-date) */
    int64_t retry_after_ms_ms; /* retry-after-ms (preferred when present) */
    int should_retry;          /* x-should-retry: 1 true, 0 false, -1 none */
    char request_id[128];      /* x-request-id, else request-id */
    bool has_x_request_id;     /* x-request-id wins over request-id */
    char content_type[64];     /* media type, lower-cased, no parameters */
    bool rl_skip; /* set by the caller, kept across status lines: leave
                     the rate-limit fields below unknown unless the status
                     is 429 (no limit is configured: nothing reads them,
                     and skipping them is most of the header cost) */
    /* x-ratelimit-* (OpenAI and compatibles), and Anthropic's
     * anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}
     * (reset: its RFC 3339 time minus NOW_UNIX_MS, 0 when past), for the
     * rate limiter (limiter.c). */
    int64_t rl_limit_requests;
    int64_t rl_limit_tokens;
    int64_t rl_remaining_requests;
    int64_t rl_remaining_tokens;
    int64_t rl_reset_requests_ms;
    int64_t rl_reset_tokens_ms;
    /* anthropic-ratelimit-input-tokens-* and -output-tokens-*, kept
     * apart: limiter.c merges them when tokens-* is absent. */
    int64_t rl_in_limit, rl_in_remaining, rl_in_reset_ms;
    int64_t rl_out_limit, rl_out_remaining, rl_out_reset_ms;
};

/* Every field unknown (-1 / empty). */
void llmio__http_hdrs_init(struct llmio__http_hdrs *h);

/*
 * llmio__http_header - fold one raw header line, as libcurl's header
 * callback delivers it ("Name: value\r\n", or a status line "HTTP/1.1 429
 * ..."), into H. A status line starts a new response (after a 100-continue
 * or a redirect) and resets H. NOW_UNIX_MS is the wall clock, used only for
 * an HTTP-date Retry-After. Unknown headers and malformed lines are ignored.
 */
void llmio__http_header(struct llmio__http_hdrs *h, const char *line,
                        size_t len, int64_t now_unix_ms);

/* The retry delay the server asked for: retry-after-ms first (as
 * openai-python does), else Retry-After; -1 when neither was given. */
int64_t llmio__http_retry_after(const struct llmio__http_hdrs *h);

/* HTTP status -> status: 2xx OK; 401/403 AUTH; 400/404/409/413/422
 * BAD_REQUEST; 429 RATE_LIMIT; 503/529 OVERLOADED; other 5xx SERVER; any
 * other code (1xx, 3xx, other 4xx, 0) HTTP. */
llmio_status llmio__http_status_code(int http_status);

/*
 * llmio__http_parse_retry_after - a Retry-After value: delta seconds
 * (fractions allowed, as openai-python tolerates), or an HTTP-date
 * (IMF-fixdate, RFC 850 or asctime form) taken relative to NOW_UNIX_MS.
 * Returns milliseconds, 0 for a date in the past, -1 when unparsable or
 * negative. Values are capped at one day so arithmetic cannot overflow.
 */
int64_t llmio__http_parse_retry_after(const char *v, size_t len,
                                      int64_t now_unix_ms);

/* A Go-style duration as in x-ratelimit-reset-*: "12ms", "1s", "6m0s",
 * "1h2m3s", "17.4s" (units h, m, s, ms, us, ns). Milliseconds, rounded up;
 * -1 when unparsable. */
int64_t llmio__http_parse_duration(const char *v, size_t len);

#endif
