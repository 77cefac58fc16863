/*
 * handler.c - turns a parsed request into a response plan: routing, auth,
 * scenario selection, scripted faults, error shapes, reply rules, and the
 * request log line.
 *
 * No socket I/O: the plan (status line, headers, body or framed stream
 * events, each with a delay, plus connection-level faults) is executed by
 * server.c. Invariant: every request yields exactly one plan, one log line
 * (unless it is a /mock/ control request) and one statistics count.
 */
#include "mock.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- plans -----------------------------------------------------------------
 */

void mock_plan_init(struct mock_plan *p)
{
    memset(p, 0, sizeof *p);
    mock_buf_init(&p->data);
    mock_plan_clear(p);
}

void mock_plan_clear(struct mock_plan *p)
{
    mock_buf_reset(&p->data);
    if (p->data.cap > (1u << 20)) {
        mock_buf_free(&p->data);
    }
    p->nsegs = 0;
    p->status = 0;
    p->close = false;
    p->reset = false;
    p->is_stream = false;
    p->simple = true;
    p->rst_on_close = false;
    p->close_after_events = -1;
    p->close_after_bytes = -1;
    p->stall_after_events = -1;
    p->write_size = -1;
    p->write_gap_ms = -1;
    p->slow_headers_ms = -1;
    p->split_utf8 = false;
    p->ttft_ms = -1;
    p->interval_ms = 0;
    p->ncontent = 0;
    p->pending_delay = 0;
}

void mock_plan_free(struct mock_plan *p)
{
    mock_buf_free(&p->data);
    free(p->segs);
    p->segs = NULL;
    p->cap = 0;
    p->nsegs = 0;
}

static void add_seg(struct mock_plan *p, size_t off, size_t len, long delay,
                    enum mock_seg_kind kind, bool content)
{
    if (p->nsegs == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->segs = mock_xrealloc(p->segs, p->cap * sizeof *p->segs);
    }
    p->segs[p->nsegs].off = off;
    p->segs[p->nsegs].len = len;
    p->segs[p->nsegs].delay_ms = delay;
    p->segs[p->nsegs].kind = kind;
    p->segs[p->nsegs].content = content;
    p->nsegs++;
    if (delay > 0) {
        p->simple = false;
    }
}

/* ---- per-request state kept across helper calls -----------------------------
 */

/* Extra per-call state that does not belong in the public struct. */
struct call_ext {
    long events;      /* stream events written so far */
    bool stream_over; /* error-after-events fired */
    long gen_tokens;  /* for non-stream pacing */
    void (*stream_error)(struct mock_call *c);
};

static struct call_ext *ext_of(struct mock_call *c)
{
    return (struct call_ext *)c->scratch_ext;
}

static const char *date_header(struct mock_ctx *ctx, int64_t now_ms)
{
    static char cached[64];
    static int64_t cached_sec = -1;
    int64_t sec = now_ms / 1000;
    if (sec != cached_sec) {
        static const char *days[] = {"Sun", "Mon", "Tue", "Wed",
                                     "Thu", "Fri", "Sat"};
        static const char *mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        time_t t = (time_t)sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(cached, sizeof cached, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                 days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon],
                 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_sec = sec;
    }
    (void)ctx;
    return cached;
}

/* Reset seconds from a scenario value like "2", "1.5" or "6m0s" (the
 * number prefix only). */
static double reset_seconds(const char *v)
{
    return strtod(v, NULL);
}

static void ratelimit_headers(struct mock_call *c, struct mock_buf *b,
                              const char *spec, const char *what)
{
    /* spec: LIMIT,REMAINING,RESET */
    char lim[32] = "", rem[32] = "", rst[32] = "";
    const char *p = spec;
    char *outs[3] = {lim, rem, rst};
    for (int i = 0; i < 3 && p; i++) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        if (l > 31) {
            l = 31;
        }
        memcpy(outs[i], p, l);
        outs[i][l] = '\0';
        p = comma ? comma + 1 : NULL;
    }
    if (c->provider == MOCK_P_ANTHROPIC) {
        if (lim[0]) {
            mock_buf_printf(b, "anthropic-ratelimit-%s-limit: %s\r\n", what,
                            lim);
        }
        if (rem[0]) {
            mock_buf_printf(b, "anthropic-ratelimit-%s-remaining: %s\r\n", what,
                            rem);
        }
        if (rst[0]) {
            mock_buf_printf(b, "anthropic-ratelimit-%s-reset: ", what);
            int64_t at = c->now_ms + (int64_t)(reset_seconds(rst) * 1000);
            /* RFC 3339 without milliseconds, as Anthropic sends. */
            struct mock_buf tmp;
            mock_buf_init(&tmp);
            mock_rfc3339(&tmp, at - at % 1000);
            /* "....sss Z" -> drop ".000" */
            if (tmp.len > 5) {
                tmp.len -= 5;
                mock_buf_append(b, tmp.data, tmp.len);
                mock_buf_puts(b, "Z\r\n");
            }
            mock_buf_free(&tmp);
        }
    } else {
        if (lim[0]) {
            mock_buf_printf(b, "x-ratelimit-limit-%s: %s\r\n", what, lim);
        }
        if (rem[0]) {
            mock_buf_printf(b, "x-ratelimit-remaining-%s: %s\r\n", what, rem);
        }
        if (rst[0]) {
            /* OpenAI uses Go durations; a bare number means seconds. */
            size_t l = strlen(rst);
            bool bare = l > 0 && ((rst[l - 1] >= '0' && rst[l - 1] <= '9') ||
                                  rst[l - 1] == '.');
            mock_buf_printf(b, "x-ratelimit-reset-%s: %s%s\r\n", what, rst,
                            bare ? "s" : "");
        }
    }
}

void mock_extra_headers(struct mock_call *c, struct mock_buf *b, int status)
{
    const struct mock_scenario *s = &c->scn;
    switch (c->provider) {
    case MOCK_P_OPENAI:
        mock_buf_printf(b,
                        "x-request-id: req_mock%llu\r\n"
                        "openai-processing-ms: 1\r\n"
                        "openai-version: 2020-10-01\r\n",
                        (unsigned long long)c->id);
        break;
    case MOCK_P_ANTHROPIC:
        mock_buf_printf(b, "request-id: req_mock%llu\r\n",
                        (unsigned long long)c->id);
        break;
    default:
        break;
    }
    if (c->attempt > 0) {
        mock_buf_printf(b, "x-mock-attempt: %ld\r\n", c->attempt);
    }
    if (!c->scenario_applied) {
        return;
    }
    if (s->retry_after) {
        mock_buf_printf(b, "retry-after: %s\r\n", s->retry_after);
    }
    if (s->retry_after_ms >= 0) {
        mock_buf_printf(b, "retry-after-ms: %ld\r\n", s->retry_after_ms);
    }
    if (s->should_retry >= 0) {
        mock_buf_printf(b, "x-should-retry: %s\r\n",
                        s->should_retry ? "true" : "false");
    }
    if (s->ratelimit_requests) {
        ratelimit_headers(c, b, s->ratelimit_requests, "requests");
    }
    if (s->ratelimit_tokens) {
        ratelimit_headers(c, b, s->ratelimit_tokens, "tokens");
    }
    if (s->extra_headers_len) {
        mock_buf_append(b, s->extra_headers, s->extra_headers_len);
    }
    (void)status;
}

void mock_plan_head(struct mock_call *c, int status, const char *ctype,
                    const char *extra, size_t body_len, bool chunked)
{
    struct mock_plan *p = c->plan;
    struct mock_buf *d = &p->data;
    size_t off = d->len;
    p->status = status;
    p->is_stream = chunked;
    mock_buf_printf(d, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
                    mock_http_reason(status), date_header(c->ctx, c->now_ms));
    if (ctype) {
        mock_buf_printf(d, "Content-Type: %s\r\n", ctype);
    }
    if (chunked) {
        mock_buf_puts(d, "Transfer-Encoding: chunked\r\n");
        if (strncmp(ctype ? ctype : "", "text/event-stream", 17) == 0) {
            mock_buf_puts(d, "Cache-Control: no-cache\r\n");
        }
    } else {
        mock_buf_printf(d, "Content-Length: %zu\r\n", body_len);
    }
    if (p->close) {
        mock_buf_puts(d, "Connection: close\r\n");
    } else if (c->req && c->req->minor == 0) {
        mock_buf_puts(d, "Connection: keep-alive\r\n");
    }
    mock_extra_headers(c, d, status);
    if (extra) {
        mock_buf_puts(d, extra);
    }
    mock_buf_puts(d, "\r\n");
    long delay = 0;
    const struct mock_scenario *s = &c->scn;
    if (c->scenario_applied) {
        if (s->header_delay_ms > 0) {
            delay += s->header_delay_ms;
        }
        if (!chunked) {
            /* A non-streamed reply arrives when generation would end. */
            if (s->ttft_ms > 0) {
                delay += s->ttft_ms;
            }
            if (s->tps > 0) {
                delay += ext_of(c)->gen_tokens * 1000 / s->tps;
            }
        }
    }
    add_seg(p, off, d->len - off, delay, MOCK_SEG_HEAD, false);
}

void mock_plan_body(struct mock_call *c, const char *body, size_t len)
{
    struct mock_plan *p = c->plan;
    size_t off = p->data.len;
    mock_buf_append(&p->data, body, len);
    add_seg(p, off, len, 0, MOCK_SEG_BODY, false);
}

/* Appends DATA as one HTTP chunk segment. */
static void raw_event(struct mock_call *c, const char *data, size_t len,
                      long delay, bool content)
{
    struct mock_plan *p = c->plan;
    if (len == 0) {
        return;
    }
    size_t off = p->data.len;
    mock_buf_printf(&p->data, "%zx\r\n", len);
    mock_buf_append(&p->data, data, len);
    mock_buf_append(&p->data, "\r\n", 2);
    add_seg(p, off, p->data.len - off, delay, MOCK_SEG_EVENT, content);
}

void mock_plan_event(struct mock_call *c, const char *data, size_t len,
                     bool is_content)
{
    struct call_ext *x = ext_of(c);
    struct mock_plan *p = c->plan;
    const struct mock_scenario *s = &c->scn;
    if (x->stream_over) {
        return;
    }
    if (is_content && c->scenario_applied && s->error_after_events >= 0 &&
        x->events >= s->error_after_events && x->stream_error) {
        x->stream_over = true;
        x->stream_error(c);
        return;
    }
    long delay = 0;
    if (is_content && c->scenario_applied) {
        if (p->ncontent == 0) {
            delay = s->ttft_ms > 0 ? s->ttft_ms : 0;
        } else if (s->tps > 0) {
            long k = p->ncontent;
            delay = (long)((int64_t)k * 1000 / s->tps -
                           (int64_t)(k - 1) * 1000 / s->tps);
        }
        p->ncontent++;
    } else if (is_content) {
        p->ncontent++;
    }
    if (is_content) {
        x->events++;
    }
    if (is_content && c->scenario_applied && s->malformed_event == x->events) {
        /* Keep the framing (trailing line ends), cut the payload in half. */
        size_t body = len;
        while (body > 0 && (data[body - 1] == '\n' || data[body - 1] == '\r')) {
            body--;
        }
        size_t cut = body / 2 ? body / 2 : body;
        char *m = mock_arena_alloc(c->arena, cut + (len - body) + 1);
        memcpy(m, data, cut);
        memcpy(m + cut, data + body, len - body);
        raw_event(c, m, cut + (len - body), delay, true);
        return;
    }
    raw_event(c, data, len, delay, is_content);
}

void mock_plan_end(struct mock_call *c)
{
    struct mock_plan *p = c->plan;
    struct call_ext *x = ext_of(c);
    /* error-after-events equal to the number of events: error at the end. */
    if (!x->stream_over && c->scenario_applied &&
        c->scn.error_after_events >= 0 &&
        x->events >= c->scn.error_after_events && x->stream_error) {
        x->stream_over = true;
        x->stream_error(c);
    }
    size_t off = p->data.len;
    mock_buf_append(&p->data, "0\r\n\r\n", 5);
    add_seg(p, off, 5, 0, MOCK_SEG_EVENT, false);
}

/* Appends a raw in-band error event, bypassing the event counters. */
void mock_plan_error_event(struct mock_call *c, const char *data, size_t len)
{
    raw_event(c, data, len, 0, false);
}

void mock_set_stream_error(struct mock_call *c, void (*fn)(struct mock_call *c))
{
    ext_of(c)->stream_error = fn;
}

void mock_set_gen_tokens(struct mock_call *c, long n)
{
    ext_of(c)->gen_tokens = n;
}

void mock_respond(struct mock_call *c, int status, const char *ctype,
                  const char *body, size_t len)
{
    mock_plan_head(c, status, ctype, NULL, len, false);
    mock_plan_body(c, body, len);
}

/* ---- errors
 * ------------------------------------------------------------------ */

static const char *openai_type(int status)
{
    switch (status) {
    case 429:
        return "requests";
    case 503:
        return "service_unavailable_error";
    default:
        return status >= 500 ? "server_error" : "invalid_request_error";
    }
}

static const char *anthropic_type(int status)
{
    switch (status) {
    case 401:
        return "authentication_error";
    case 402:
        return "billing_error";
    case 403:
        return "permission_error";
    case 404:
        return "not_found_error";
    case 413:
        return "request_too_large";
    case 429:
        return "rate_limit_error";
    case 504:
        return "timeout_error";
    case 503:
    case 529:
        return "overloaded_error";
    default:
        return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

static const char *gemini_status(int status)
{
    switch (status) {
    case 400:
        return "INVALID_ARGUMENT";
    case 401:
        return "UNAUTHENTICATED";
    case 403:
        return "PERMISSION_DENIED";
    case 404:
        return "NOT_FOUND";
    case 409:
        return "ABORTED";
    case 429:
        return "RESOURCE_EXHAUSTED";
    case 501:
        return "UNIMPLEMENTED";
    case 503:
        return "UNAVAILABLE";
    case 504:
        return "DEADLINE_EXCEEDED";
    default:
        return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
    }
}

static void error_body(struct mock_call *c, struct mock_buf *b, int status,
                       const char *type, const char *code, const char *param,
                       const char *msg)
{
    switch (c->provider) {
    case MOCK_P_ANTHROPIC:
        mock_buf_puts(b, "{\"type\":\"error\",\"error\":{\"type\":");
        mock_buf_json_cstr(b, type ? type : anthropic_type(status));
        mock_buf_puts(b, ",\"message\":");
        mock_buf_json_cstr(b, msg);
        mock_buf_printf(b, "},\"request_id\":\"req_mock%llu\"}",
                        (unsigned long long)c->id);
        break;
    case MOCK_P_GEMINI:
        mock_buf_printf(b, "{\"error\":{\"code\":%d,\"message\":", status);
        mock_buf_json_cstr(b, msg);
        mock_buf_puts(b, ",\"status\":");
        mock_buf_json_cstr(b, type ? type : gemini_status(status));
        if (code || (status == 429 && c->scenario_applied &&
                     (c->scn.retry_after || c->scn.retry_after_ms >= 0))) {
            mock_buf_puts(b, ",\"details\":[");
            bool first = true;
            if (code) {
                mock_buf_puts(b, "{\"@type\":\"type.googleapis.com/"
                                 "google.rpc.ErrorInfo\",\"reason\":");
                mock_buf_json_cstr(b, code);
                mock_buf_puts(b, ",\"domain\":\"googleapis.com\",\"metadata\":"
                                 "{\"service\":\"generativelanguage."
                                 "googleapis.com\"}}");
                first = false;
            }
            if (status == 429 && c->scenario_applied &&
                (c->scn.retry_after || c->scn.retry_after_ms >= 0)) {
                double secs = c->scn.retry_after_ms >= 0
                                  ? (double)c->scn.retry_after_ms / 1000.0
                                  : strtod(c->scn.retry_after, NULL);
                mock_buf_printf(
                    b,
                    "%s{\"@type\":\"type.googleapis.com/"
                    "google.rpc.RetryInfo\",\"retryDelay\":\"%gs\"}",
                    first ? "" : ",", secs);
            }
            mock_buf_putc(b, ']');
        }
        mock_buf_puts(b, "}}");
        break;
    case MOCK_P_OLLAMA:
    case MOCK_P_MOCK:
        mock_buf_puts(b, "{\"error\":");
        mock_buf_json_cstr(b, msg);
        mock_buf_putc(b, '}');
        break;
    default:
        mock_buf_puts(b, "{\"error\":{\"message\":");
        mock_buf_json_cstr(b, msg);
        mock_buf_puts(b, ",\"type\":");
        mock_buf_json_cstr(b, type ? type : openai_type(status));
        mock_buf_puts(b, ",\"param\":");
        if (param) {
            mock_buf_json_cstr(b, param);
        } else {
            mock_buf_puts(b, "null");
        }
        mock_buf_puts(b, ",\"code\":");
        if (code) {
            mock_buf_json_cstr(b, code);
        } else {
            mock_buf_puts(b, "null");
        }
        mock_buf_puts(b, "}}");
        break;
    }
}

void mock_error(struct mock_call *c, int status, const char *type,
                const char *code, const char *param, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct mock_buf *b = c->scratch;
    mock_buf_reset(b);
    error_body(c, b, status, type, code, param, msg);
    mock_respond(c, status, "application/json", b->data, b->len);
}

static const char *default_fault_message(struct mock_call *c, int status)
{
    switch (status) {
    case 429:
        switch (c->provider) {
        case MOCK_P_ANTHROPIC:
            return "Number of requests has exceeded your rate limit (mock).";
        case MOCK_P_GEMINI:
            return "Resource has been exhausted (e.g. check quota).";
        default:
            return "Rate limit reached for requests (mock). Please try again "
                   "later.";
        }
    case 500:
        return c->provider == MOCK_P_GEMINI
                   ? "An internal error has occurred."
                   : "The server had an error while processing your request.";
    case 503:
        return c->provider == MOCK_P_GEMINI
                   ? "The model is overloaded. Please try again later."
                   : "The engine is currently overloaded, please try again "
                     "later.";
    case 529:
        return "Overloaded";
    case 401:
        return "Unauthorized (mock scenario).";
    default:
        return "Scripted failure (mock scenario).";
    }
}

bool mock_context_exceeded(struct mock_call *c, const struct mock_conv *conv)
{
    long max = c->scn.max_context;
    if (!c->scenario_applied || max < 0 || conv->prompt_tokens <= max) {
        return false;
    }
    long n = conv->prompt_tokens;
    /* The real APIs' words: only OpenAI has a machine code for it. */
    switch (c->provider) {
    case MOCK_P_ANTHROPIC:
        mock_error(c, 400, "invalid_request_error", NULL, NULL,
                   "prompt is too long: %ld tokens > %ld maximum", n, max);
        break;
    case MOCK_P_GEMINI:
        mock_error(c, 400, "INVALID_ARGUMENT", NULL, NULL,
                   "The input token count (%ld) exceeds the maximum number "
                   "of tokens allowed (%ld).",
                   n, max);
        break;
    case MOCK_P_OLLAMA:
        /* Ollama truncates the prompt to num_ctx instead of failing. */
        return false;
    default:
        mock_error(c, 400, "invalid_request_error", "context_length_exceeded",
                   "messages",
                   "This model's maximum context length is %ld tokens. "
                   "However, your messages resulted in %ld tokens. Please "
                   "reduce the length of the messages.",
                   max, n);
        break;
    }
    return true;
}

/* Sends the failure the scenario asked for (status >= 300). */
static void scripted_failure(struct mock_call *c, int status)
{
    const struct mock_scenario *s = &c->scn;
    if (s->html) {
        struct mock_buf *b = c->scratch;
        mock_buf_reset(b);
        mock_buf_printf(b,
                        "<html>\r\n<head><title>%d %s</title></head>\r\n"
                        "<body>\r\n<center><h1>%d %s</h1></center>\r\n"
                        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
                        status, mock_http_reason(status), status,
                        mock_http_reason(status));
        mock_respond(c, status, s->content_type ? s->content_type : "text/html",
                     b->data, b->len);
        return;
    }
    if (s->body) {
        mock_respond(c, status,
                     s->content_type ? s->content_type : "application/json",
                     s->body, s->body_len);
        return;
    }
    const char *code = NULL;
    if (c->provider == MOCK_P_OPENAI && status == 429) {
        code = "rate_limit_exceeded";
    } else if (c->provider == MOCK_P_OPENAI && status == 503) {
        code = "server_is_overloaded";
    }
    mock_error(c, status, s->error_type, code, NULL, "%s",
               s->error_message ? s->error_message
                                : default_fault_message(c, status));
}

static void raw_stream(struct mock_call *c)
{
    const struct mock_scenario *s = &c->scn;
    int status = s->status ? s->status : 200;
    mock_plan_head(c, status,
                   s->content_type ? s->content_type : "text/event-stream",
                   NULL, 0, true);
    for (int i = 0; i < s->nraw; i++) {
        raw_event(c, s->raw[i].data, s->raw[i].len, s->raw[i].delay_ms, true);
    }
    size_t off = c->plan->data.len;
    long delay = s->raw[s->nraw].delay_ms; /* trailing delay= */
    mock_buf_append(&c->plan->data, "0\r\n\r\n", 5);
    add_seg(c->plan, off, 5, delay, MOCK_SEG_EVENT, false);
}

/* ---- reply rules
 * ------------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

long mock_count_tokens(const char *s, size_t len)
{
    long n = 0;
    bool in = false;
    for (size_t i = 0; i < len; i++) {
        bool sp = is_space(s[i]);
        if (!sp && !in) {
            n++;
        }
        in = !sp;
    }
    return n;
}

bool mock_next_piece(const char *text, size_t len, size_t *pos,
                     const char **piece, size_t *plen)
{
    size_t i = *pos;
    if (i >= len) {
        return false;
    }
    size_t start = i;
    while (i < len && is_space(text[i])) {
        i++;
    }
    while (i < len && !is_space(text[i])) {
        i++;
    }
    /* Trailing whitespace at the very end joins the last piece. */
    size_t j = i;
    while (j < len && is_space(text[j])) {
        j++;
    }
    if (j == len) {
        i = len;
    }
    *piece = text + start;
    *plen = i - start;
    *pos = i;
    return true;
}

static const char *const lorem_words[] = {
    "Lorem",      "ipsum",     "dolor",
    "sit",        "amet,",     "consectetur",
    "adipiscing", "elit,",     "sed",
    "do",         "eiusmod",   "tempor",
    "incididunt", "ut",        "labore",
    "et",         "dolore",    "magna",
    "aliqua.",    "Ut",        "enim",
    "ad",         "minim",     "veniam,",
    "quis",       "nostrud",   "exercitation",
    "ullamco",    "laboris",   "nisi",
    "ut",         "aliquip",   "ex",
    "ea",         "commodo",   "consequat.",
    "Duis",       "aute",      "irure",
    "dolor",      "in",        "reprehenderit",
    "in",         "voluptate", "velit",
    "esse",       "cillum",    "dolore",
    "eu",         "fugiat",    "nulla",
    "pariatur.",  "Excepteur", "sint",
    "occaecat",   "cupidatat", "non",
    "proident,",  "sunt",      "in",
    "culpa",      "qui",       "officia",
    "deserunt",   "mollit",    "anim",
    "id",         "est",       "laborum."};

void mock_conv_stops(struct mock_conv *conv, const struct mock_json *v)
{
    if (v == NULL) {
        return;
    }
    if (v->type == MOCK_JSON_STRING) {
        if (v->len > 0 && conv->nstops < 8) {
            conv->stops[conv->nstops++] = v;
        }
        return;
    }
    if (v->type == MOCK_JSON_ARRAY) {
        for (const struct mock_json *e = v->child; e; e = e->next) {
            if (e->type == MOCK_JSON_STRING && e->len > 0 && conv->nstops < 8) {
                conv->stops[conv->nstops++] = e;
            }
        }
    }
}

/* Cuts TEXT at the earliest stop sequence; returns the one that matched. */
static const struct mock_json *apply_stops(const struct mock_conv *conv,
                                           const char *text, size_t *len)
{
    const struct mock_json *hit = NULL;
    size_t best = *len;
    for (int i = 0; i < conv->nstops; i++) {
        const struct mock_json *st = conv->stops[i];
        if (st->len > *len) {
            continue;
        }
        for (size_t k = 0; k + st->len <= *len && k < best; k++) {
            if (memcmp(text + k, st->str, st->len) == 0) {
                best = k;
                hit = st;
                break;
            }
        }
    }
    *len = best;
    return hit;
}

void mock_make_reply(struct mock_call *c, const struct mock_conv *conv,
                     struct mock_reply *r)
{
    const struct mock_scenario *s = &c->scn;
    bool scn = c->scenario_applied;
    memset(r, 0, sizeof *r);
    r->finish = MOCK_FIN_STOP;
    if (scn && s->reasoning) {
        r->reasoning = s->reasoning;
        r->reasoning_len = s->reasoning_len;
    }
    if (scn && s->ntools > 0 && !conv->has_tool_result) {
        r->tools = s->tools;
        r->ntools = s->ntools;
        r->finish = MOCK_FIN_TOOLS;
        r->text = s->text ? s->text : "";
        r->len = s->text ? s->text_len : 0;
        long n = mock_count_tokens(r->text, r->len);
        for (int i = 0; i < s->ntools; i++) {
            n += 1 +
                 mock_count_tokens(s->tools[i].args, strlen(s->tools[i].args));
        }
        r->completion_tokens = n;
        return;
    }
    const char *text;
    size_t len;
    if (scn && s->text) {
        text = s->text;
        len = s->text_len;
    } else if (scn && s->lorem >= 0) {
        struct mock_buf b;
        mock_buf_init(&b);
        size_t nw = sizeof lorem_words / sizeof lorem_words[0];
        for (long i = 0; i < s->lorem; i++) {
            if (i) {
                mock_buf_putc(&b, ' ');
            }
            mock_buf_puts(&b, lorem_words[(size_t)(s->seed + i) % nw]);
        }
        text = mock_arena_strndup(c->arena, b.data ? b.data : "", b.len);
        len = b.len;
        mock_buf_free(&b);
    } else {
        text = conv->echo;
        len = conv->echo_len;
        if (mock_count_tokens(text, len) == 0) {
            text = "OK";
            len = 2;
        }
    }
    if (scn && s->big_event > 0) {
        char *t = mock_arena_alloc(c->arena, (size_t)s->big_event + len + 2);
        memset(t, 'x', (size_t)s->big_event);
        t[s->big_event] = ' ';
        memcpy(t + s->big_event + 1, text, len);
        len += (size_t)s->big_event + 1;
        t[len] = '\0';
        text = t;
    }
    const struct mock_json *hit = apply_stops(conv, text, &len);
    if (hit) {
        r->stop_seq = hit->str;
        r->stop_seq_len = hit->len;
    }
    long n = mock_count_tokens(text, len);
    if (conv->max_tokens >= 0 && n > conv->max_tokens) {
        r->stop_seq = NULL;
        r->stop_seq_len = 0;
        /* Keep the first MAX_TOKENS words. */
        size_t pos = 0, end = 0;
        const char *piece;
        size_t plen;
        for (long k = 0; k < conv->max_tokens &&
                         mock_next_piece(text, len, &pos, &piece, &plen);
             k++) {
            end = pos;
        }
        while (end > 0 && is_space(text[end - 1])) {
            end--;
        }
        len = end;
        n = conv->max_tokens;
        r->finish = MOCK_FIN_LENGTH;
    }
    r->text = text;
    r->len = len;
    r->completion_tokens = n;
    if (scn && s->finish) {
        if (strcmp(s->finish, "length") == 0) {
            r->finish = MOCK_FIN_LENGTH;
        } else if (strcmp(s->finish, "stop") == 0) {
            r->finish = MOCK_FIN_STOP;
        }
    }
}

void mock_tool_args_object(struct mock_call *c, const char *args,
                           struct mock_buf *out)
{
    struct mock_json_error err;
    const struct mock_json *v =
        mock_json_parse(c->arena, args, strlen(args), 64, &err);
    if (v && v->type == MOCK_JSON_OBJECT) {
        mock_json_write(out, v);
        return;
    }
    mock_buf_puts(out, "{\"_invalid_arguments\":");
    mock_buf_json_cstr(out, args);
    mock_buf_putc(out, '}');
}

bool mock_next_fragment(const char *s, size_t len, size_t *pos, size_t max,
                        size_t *flen)
{
    size_t i = *pos;
    if (i >= len) {
        return false;
    }
    size_t e = i + max < len ? i + max : len;
    while (e < len && e > i + 1 && ((unsigned char)s[e] & 0xC0) == 0x80) {
        e--;
    }
    *flen = e - i;
    *pos = e;
    return true;
}

/* ---- auth
 * -------------------------------------------------------------------- */

static bool key_valid(struct mock_ctx *ctx, const char *k, size_t n)
{
    if (n == 0) {
        return false;
    }
    if (ctx->api_key) {
        return strlen(ctx->api_key) == n && memcmp(ctx->api_key, k, n) == 0;
    }
    return !(n >= 3 && memcmp(k, "bad", 3) == 0);
}

/* Returns the bearer token of the Authorization header, or NULL. */
static const char *bearer(const struct mock_http_req *r, size_t *n)
{
    const struct mock_http_header *h = mock_http_header(r, "authorization");
    if (h == NULL || h->value_len < 7 || strncasecmp(h->value, "Bearer ", 7)) {
        return NULL;
    }
    const char *v = h->value + 7;
    size_t l = h->value_len - 7;
    while (l && *v == ' ') {
        v++;
        l--;
    }
    *n = l;
    return v;
}

/* Checks credentials as the provider would; on failure writes the error
 * response and returns false. */
static bool check_auth(struct mock_call *c)
{
    const struct mock_http_req *r = c->req;
    size_t n = 0;
    const char *k;
    if (c->azure) {
        /* Azure OpenAI: the key in "api-key" (an Entra ID token would come
         * as Bearer); errors in its {"error":{"code","message"}} shape. */
        const struct mock_http_header *h = mock_http_header(r, "api-key");
        if (h) {
            k = h->value;
            n = h->value_len;
        } else {
            k = bearer(r, &n);
        }
        if (k == NULL || n == 0 || !key_valid(c->ctx, k, n)) {
            mock_error(c, 401, NULL, "401", NULL,
                       "Access denied due to invalid subscription key or "
                       "wrong API endpoint. Make sure to provide a valid key "
                       "for an active subscription and use a correct "
                       "regional API endpoint for your resource.");
            return false;
        }
        return true;
    }
    switch (c->provider) {
    case MOCK_P_OPENAI:
        k = bearer(r, &n);
        if (k == NULL || n == 0) {
            mock_error(c, 401, "invalid_request_error", NULL, NULL,
                       "You didn't provide an API key. You need to provide "
                       "your API key in an Authorization header using Bearer "
                       "auth (i.e. Authorization: Bearer YOUR_KEY).");
            return false;
        }
        if (!key_valid(c->ctx, k, n)) {
            mock_error(c, 401, "invalid_request_error", "invalid_api_key", NULL,
                       "Incorrect API key provided: ***. You can find your "
                       "API key at https://platform.openai.com/account/"
                       "api-keys.");
            return false;
        }
        return true;
    case MOCK_P_ANTHROPIC: {
        const struct mock_http_header *h = mock_http_header(r, "x-api-key");
        if (h) {
            k = h->value;
            n = h->value_len;
        } else {
            k = bearer(r, &n);
        }
        if (k == NULL || n == 0) {
            mock_error(c, 401, "authentication_error", NULL, NULL,
                       "x-api-key header is required");
            return false;
        }
        if (!key_valid(c->ctx, k, n)) {
            mock_error(c, 401, "authentication_error", NULL, NULL,
                       "invalid x-api-key");
            return false;
        }
        if ((c->endpoint == MOCK_EP_ANTHROPIC_MESSAGES ||
             c->endpoint == MOCK_EP_ANTHROPIC_COUNT) &&
            mock_http_header(r, "anthropic-version") == NULL) {
            mock_error(c, 400, "invalid_request_error", NULL, NULL,
                       "anthropic-version: header is required");
            return false;
        }
        return true;
    }
    case MOCK_P_GEMINI: {
        const struct mock_http_header *h =
            mock_http_header(r, "x-goog-api-key");
        if (h) {
            k = h->value;
            n = h->value_len;
        } else {
            k = mock_http_query(r, "key", &n);
        }
        if (k == NULL || n == 0) {
            /* The real API answers 403 to callers without any key. */
            mock_error(c, 403, "PERMISSION_DENIED", NULL, NULL,
                       "Method doesn't allow unregistered callers (callers "
                       "without established identity). Please use API Key or "
                       "other form of API consumer identity to call this "
                       "API.");
            return false;
        }
        if (!key_valid(c->ctx, k, n)) {
            /* And 400 INVALID_ARGUMENT (not 401) to a wrong key. */
            mock_error(c, 400, "INVALID_ARGUMENT", "API_KEY_INVALID", NULL,
                       "API key not valid. Please pass a valid API key.");
            return false;
        }
        return true;
    }
    default:
        return true;
    }
}

/* ---- routing
 * ----------------------------------------------------------------- */

static bool path_is(const struct mock_http_req *r, const char *p)
{
    size_t l = strlen(p);
    size_t pl = r->path_len;
    /* Tolerate one trailing slash. */
    if (pl == l + 1 && r->path[pl - 1] == '/') {
        pl--;
    }
    return pl == l && memcmp(r->path, p, l) == 0;
}

static bool method_is(const struct mock_http_req *r, const char *m)
{
    size_t l = strlen(m);
    return r->method_len == l && memcmp(r->method, m, l) == 0;
}

static bool has_prefix(const char *s, size_t n, const char *p)
{
    size_t l = strlen(p);
    return n >= l && memcmp(s, p, l) == 0;
}

struct route {
    int endpoint;
    int provider;
    const char *method; /* the allowed method; NULL = unknown path */
    const char *model;  /* Gemini: model from the path */
    size_t model_len;
    bool azure; /* an Azure OpenAI path (see azure_route) */
};

/* Azure OpenAI's paths onto the OpenAI endpoints: the v1 form
 * /openai/v1/{chat/completions,embeddings} and the deployment form
 * /openai/deployments/{name}/{chat/completions,embeddings}, which needs
 * an api-version query (Azure answers 404 without one). The deployment
 * name only routes: the reply uses the body's model, which clients send
 * as the deployment name in both forms. */
static bool azure_route(const struct mock_http_req *r, struct route *rt)
{
    const char *p = r->path;
    size_t n = r->path_len;
    if (has_prefix(p, n, "/openai/v1/")) {
        p += 10;
        n -= 10;
    } else if (has_prefix(p, n, "/openai/deployments/")) {
        p += 20;
        n -= 20;
        const char *slash = memchr(p, '/', n);
        if (slash == NULL || slash == p) {
            return false;
        }
        n -= (size_t)(slash - p);
        p = slash;
        size_t vl = 0;
        if (mock_http_query(r, "api-version", &vl) == NULL || vl == 0) {
            rt->azure = true;
            return true; /* rt->method NULL: a 404 */
        }
    } else {
        return false;
    }
    rt->azure = true;
    if (n == 17 && memcmp(p, "/chat/completions", 17) == 0) {
        rt->endpoint = MOCK_EP_OPENAI_CHAT;
        rt->method = "POST";
    } else if (n == 11 && memcmp(p, "/embeddings", 11) == 0) {
        rt->endpoint = MOCK_EP_OPENAI_EMBED;
        rt->method = "POST";
    }
    return true;
}

static void route(const struct mock_http_req *r, struct route *rt)
{
    memset(rt, 0, sizeof *rt);
    rt->endpoint = MOCK_EP_OTHER;
    rt->provider = MOCK_P_OPENAI;
    bool anthropic_hdr = mock_http_header(r, "anthropic-version") ||
                         mock_http_header(r, "x-api-key");
    if (azure_route(r, rt)) {
        return;
    }
    if (path_is(r, "/v1/chat/completions")) {
        rt->endpoint = MOCK_EP_OPENAI_CHAT;
        rt->method = "POST";
    } else if (path_is(r, "/v1/embeddings")) {
        rt->endpoint = MOCK_EP_OPENAI_EMBED;
        rt->method = "POST";
    } else if (path_is(r, "/v1/models") && anthropic_hdr) {
        rt->endpoint = MOCK_EP_ANTHROPIC_MODELS;
        rt->provider = MOCK_P_ANTHROPIC;
        rt->method = "GET";
    } else if (path_is(r, "/v1/models") ||
               (has_prefix(r->path, r->path_len, "/v1/models/") &&
                !memchr(r->path, ':', r->path_len) && r->path_len > 11)) {
        rt->endpoint = MOCK_EP_OPENAI_MODELS;
        rt->method = "GET";
    } else if (path_is(r, "/v1/messages/count_tokens")) {
        rt->endpoint = MOCK_EP_ANTHROPIC_COUNT;
        rt->provider = MOCK_P_ANTHROPIC;
        rt->method = "POST";
    } else if (path_is(r, "/v1/messages")) {
        rt->endpoint = MOCK_EP_ANTHROPIC_MESSAGES;
        rt->provider = MOCK_P_ANTHROPIC;
        rt->method = "POST";
    } else if (path_is(r, "/api/chat")) {
        rt->endpoint = MOCK_EP_OLLAMA_CHAT;
        rt->provider = MOCK_P_OLLAMA;
        rt->method = "POST";
    } else if (path_is(r, "/api/embed")) {
        rt->endpoint = MOCK_EP_OLLAMA_EMBED;
        rt->provider = MOCK_P_OLLAMA;
        rt->method = "POST";
    } else if (path_is(r, "/api/tags")) {
        rt->endpoint = MOCK_EP_OLLAMA_TAGS;
        rt->provider = MOCK_P_OLLAMA;
        rt->method = "GET";
    } else if (path_is(r, "/v1beta/models")) {
        rt->endpoint = MOCK_EP_GEMINI_MODELS;
        rt->provider = MOCK_P_GEMINI;
        rt->method = "GET";
    } else if (has_prefix(r->path, r->path_len, "/v1beta/models/") ||
               (has_prefix(r->path, r->path_len, "/v1/models/") &&
                memchr(r->path, ':', r->path_len))) {
        rt->provider = MOCK_P_GEMINI;
        size_t pre = r->path[3] == 'b' ? 15 : 11;
        const char *m = r->path + pre;
        size_t ml = r->path_len - pre;
        const char *colon = memchr(m, ':', ml);
        if (colon) {
            const char *verb = colon + 1;
            size_t vl = ml - (size_t)(verb - m);
            rt->model = m;
            rt->model_len = (size_t)(colon - m);
            rt->method = "POST";
            if (vl == 15 && memcmp(verb, "generateContent", 15) == 0) {
                rt->endpoint = MOCK_EP_GEMINI_GENERATE;
            } else if (vl == 21 &&
                       memcmp(verb, "streamGenerateContent", 21) == 0) {
                rt->endpoint = MOCK_EP_GEMINI_STREAM;
            } else if (vl == 12 && memcmp(verb, "embedContent", 12) == 0) {
                rt->endpoint = MOCK_EP_GEMINI_EMBED;
            } else if (vl == 18 &&
                       memcmp(verb, "batchEmbedContents", 18) == 0) {
                rt->endpoint = MOCK_EP_GEMINI_BATCH_EMBED;
            } else if (vl == 11 && memcmp(verb, "countTokens", 11) == 0) {
                rt->endpoint = MOCK_EP_GEMINI_COUNT;
            } else {
                rt->method = NULL;
            }
            if (rt->model_len == 0) {
                rt->method = NULL;
            }
        }
    } else if (has_prefix(r->path, r->path_len, "/v1beta/")) {
        rt->provider = MOCK_P_GEMINI;
    } else if (has_prefix(r->path, r->path_len, "/api/")) {
        rt->provider = MOCK_P_OLLAMA;
    } else if (has_prefix(r->path, r->path_len, "/mock/")) {
        rt->provider = MOCK_P_MOCK;
        rt->endpoint = MOCK_EP_MOCK;
        if (path_is(r, "/mock/stats") || path_is(r, "/mock/health")) {
            rt->method = "GET";
        } else if (path_is(r, "/mock/reset")) {
            rt->method = "POST";
        }
    } else if (anthropic_hdr) {
        rt->provider = MOCK_P_ANTHROPIC;
    }
}

/* ---- the request log
 * --------------------------------------------------------- */

static bool secret_header(const struct mock_http_header *h)
{
    static const char *const names[] = {"authorization", "x-api-key",
                                        "x-goog-api-key", "api-key",
                                        "proxy-authorization"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t l = strlen(names[i]);
        if (h->name_len == l && strncasecmp(h->name, names[i], l) == 0) {
            return true;
        }
    }
    return false;
}

static void log_query(struct mock_buf *b, const char *q, size_t n)
{
    /* The query with every key= value replaced by ***. */
    mock_buf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        size_t s = i;
        while (i < n && q[i] != '&') {
            i++;
        }
        if (s) {
            mock_buf_putc(b, '&');
        }
        if (i - s >= 4 && memcmp(q + s, "key=", 4) == 0) {
            mock_buf_puts(b, "key=***");
        } else {
            mock_buf_json_esc(b, q + s, i - s);
        }
        i++;
    }
    mock_buf_putc(b, '"');
}

static void write_log(struct mock_call *c)
{
    struct mock_ctx *ctx = c->ctx;
    if (ctx->log == NULL) {
        return;
    }
    const struct mock_http_req *r = c->req;
    struct mock_buf *b = c->scratch;
    mock_buf_reset(b);
    mock_buf_printf(b, "{\"seq\":%llu,\"ts\":\"", (unsigned long long)c->id);
    mock_rfc3339(b, c->now_ms);
    mock_buf_puts(b, "\",\"method\":");
    mock_buf_json_str(b, r->method, r->method_len);
    mock_buf_puts(b, ",\"path\":");
    mock_buf_json_str(b, r->path, r->path_len);
    mock_buf_puts(b, ",\"query\":");
    log_query(b, r->query, r->query_len);
    mock_buf_puts(b, ",\"headers\":{");
    /* Lower-cased names; repeated fields are joined with ", ". */
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct mock_http_header *h = &r->headers[i];
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            seen = r->headers[j].name_len == h->name_len &&
                   strncasecmp(r->headers[j].name, h->name, h->name_len) == 0;
        }
        if (seen) {
            continue;
        }
        char name[128];
        size_t nl = h->name_len < sizeof name ? h->name_len : sizeof name;
        for (size_t k = 0; k < nl; k++) {
            char ch = h->name[k];
            name[k] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
        }
        mock_buf_puts(b, i ? "," : "");
        mock_buf_json_str(b, name, nl);
        mock_buf_puts(b, ":\"");
        bool first = true;
        for (size_t j = i; j < r->nheaders; j++) {
            const struct mock_http_header *o = &r->headers[j];
            if (o->name_len != h->name_len ||
                strncasecmp(o->name, h->name, h->name_len) != 0) {
                continue;
            }
            if (!first) {
                mock_buf_puts(b, ", ");
            }
            first = false;
            if (secret_header(o)) {
                /* Keep an auth scheme word, never any part of the key. */
                const char *sp = memchr(o->value, ' ', o->value_len);
                if (sp && strncasecmp(o->name, "x-", 2) != 0 &&
                    sp - o->value < 16) {
                    mock_buf_json_esc(b, o->value, (size_t)(sp - o->value));
                    mock_buf_puts(b, " ***");
                } else {
                    mock_buf_puts(b, "***");
                }
            } else {
                mock_buf_json_esc(b, o->value, o->value_len);
            }
        }
        mock_buf_putc(b, '"');
    }
    /* "body" embeds a JSON body as an object (compact), "raw_body" is the
     * exact bytes as a string, so tests can match either way. */
    mock_buf_puts(b, "},\"body\":");
    if (c->body) {
        mock_json_write(b, c->body);
    } else if (r->body_len == 0) {
        mock_buf_puts(b, "null");
    } else {
        mock_buf_json_str(b, r->body, r->body_len);
    }
    mock_buf_puts(b, ",\"raw_body\":");
    mock_buf_json_str(b, r->body ? r->body : "", r->body_len);
    mock_buf_printf(b, ",\"status\":%d,\"endpoint\":\"%s\",\"stream\":%s",
                    c->plan->reset ? 0 : c->plan->status,
                    mock_endpoint_name(c->endpoint),
                    c->plan->is_stream ? "true" : "false");
    mock_buf_puts(b, ",\"scenario\":");
    if (c->scn.spec) {
        mock_buf_json_cstr(b, c->scn.spec);
    } else {
        mock_buf_puts(b, "null");
    }
    mock_buf_printf(b, ",\"scenario_applied\":%s",
                    c->scenario_applied ? "true" : "false");
    if (c->attempt > 0) {
        mock_buf_printf(b, ",\"attempt\":%ld", c->attempt);
    }
    mock_buf_puts(b, "}\n");
    fwrite(b->data, 1, b->len, ctx->log);
    fflush(ctx->log);
}

/* ---- the /mock/ control endpoints
 * -------------------------------------------- */

static void mock_control(struct mock_call *c)
{
    struct mock_buf *b = c->scratch;
    mock_buf_reset(b);
    if (path_is(c->req, "/mock/stats")) {
        mock_stats_json(c->ctx, b);
    } else if (path_is(c->req, "/mock/reset")) {
        mock_ctx_reset_counters(c->ctx);
        mock_buf_puts(b, "{\"ok\":true}");
    } else {
        mock_buf_puts(b, "{\"ok\":true}");
    }
    mock_respond(c, 200, "application/json", b->data, b->len);
}

/* ---- scenario selection
 * ------------------------------------------------------ */

/* Finds the scenario text for this request: the X-Mock-Scenario header, the
 * model name (mock-NNN, mock-scenario-NAME, or anything after '@'), or the
 * server default. Returns false if there is none. */
static bool scenario_text(struct mock_call *c, const char *model,
                          size_t model_len, const char **spec, size_t *len)
{
    const struct mock_http_header *h =
        mock_http_header(c->req, "x-mock-scenario");
    if (h) {
        *spec = h->value;
        *len = h->value_len;
        return true;
    }
    if (model && model_len) {
        /* Only a suffix that looks like directives: real model names use
         * '@' too (Vertex "claude-3-5-sonnet@20240620"). */
        const char *at = memchr(model, '@', model_len);
        size_t rest = at ? model_len - (size_t)(at + 1 - model) : 0;
        if (at && (memchr(at, '=', rest + 1) || memchr(at, ';', rest + 1) ||
                   (rest > 0 && at[1] == '@'))) {
            *spec = at + 1;
            *len = model_len - (size_t)(at + 1 - model);
            return true;
        }
        if (model_len == 8 && memcmp(model, "mock-", 5) == 0 &&
            model[5] >= '1' && model[5] <= '5' && model[6] >= '0' &&
            model[6] <= '9' && model[7] >= '0' && model[7] <= '9') {
            char *s = mock_arena_alloc(c->arena, 16);
            snprintf(s, 16, "status=%.3s", model + 5);
            *spec = s;
            *len = strlen(s);
            return true;
        }
        if (model_len > 14 && memcmp(model, "mock-scenario-", 14) == 0) {
            char *s = mock_arena_alloc(c->arena, model_len);
            s[0] = '@';
            memcpy(s + 1, model + 14, model_len - 14);
            *spec = s;
            *len = model_len - 13;
            return true;
        }
    }
    if (c->ctx->default_scenario) {
        *spec = c->ctx->default_scenario;
        *len = strlen(*spec);
        return true;
    }
    return false;
}

/* The model named in a JSON body, for scenario selection. */
static void body_model(const struct mock_json *body, const char **m, size_t *n)
{
    const struct mock_json *v = mock_json_get(body, "model");
    if (v && v->type == MOCK_JSON_STRING) {
        *m = v->str;
        *n = v->len;
    }
}

/* True if the scenario asks for anything beyond headers and keys (so a
 * bare "fail-first=K" can imply a 500). */
static bool has_behaviour(const struct mock_scenario *s)
{
    return s->status || s->reset || s->close_after_events >= 0 ||
           s->close_after_bytes >= 0 || s->stall_after_events >= 0 ||
           s->error_after_events >= 0 || s->malformed_event >= 0 ||
           s->ttft_ms >= 0 || s->tps >= 0 || s->header_delay_ms >= 0 ||
           s->slow_headers_ms >= 0 || s->write_size >= 0 ||
           s->write_gap_ms >= 0 || s->split_utf8 || s->big_event >= 0 ||
           s->has_raw || s->text || s->lorem >= 0 || s->ntools > 0 ||
           s->finish || s->max_context >= 0;
}

/* limit=N/S: fixed windows of S seconds on the wall clock, per key. Over
 * the limit the request gets a 429 with Retry-After (whole seconds, at
 * least 1) and retry-after-ms to the window's end; every response carries
 * rate-limit headers with the real remaining count and the window's end.
 * The limit header is per minute, as OpenAI's and Anthropic's are (and
 * clients adopt it so): N * 60 / S rounded down, never more than the mock
 * serves; a window slower than one request a minute has no such number,
 * so it is left out and remaining/reset alone tell the client to wait. */
static void apply_limit(struct mock_call *c, const char *key, size_t kl)
{
    struct mock_scenario *s = &c->scn;
    int64_t span = (int64_t)s->limit_s * 1000;
    int64_t window = c->now_ms / span;
    long n = mock_ctx_window(c->ctx, key, kl, window);
    int64_t left_ms = (window + 1) * span - c->now_ms;
    long remaining = n <= s->limit_n ? s->limit_n - n : 0;
    char *rl = mock_arena_alloc(c->arena, 96);
    long long per_minute = (long long)s->limit_n * 60 / s->limit_s;
    char lim[24] = "";
    if (per_minute > 0) {
        snprintf(lim, sizeof lim, "%lld", per_minute);
    }
    snprintf(rl, 96, "%s,%ld,%.3f", lim, remaining, (double)left_ms / 1000.0);
    if (s->ratelimit_requests == NULL) {
        s->ratelimit_requests = rl;
    }
    if (n > s->limit_n) {
        if (s->status == 0) {
            s->status = 429;
        }
        if (s->retry_after == NULL) {
            char *ra = mock_arena_alloc(c->arena, 32);
            snprintf(ra, 32, "%lld", (long long)((left_ms + 999) / 1000));
            s->retry_after = ra;
        }
        if (s->retry_after_ms < 0) {
            s->retry_after_ms = (long)left_ms;
        }
    } else if (s->status >= 300 && s->fail_first == 0 && s->nfail_seq == 0) {
        /* Under the limit a plain status= does not apply: the limit is the
         * failure condition. */
        s->status = 0;
    }
}

/* ---- entry points
 * ------------------------------------------------------------ */

void mock_handle(struct mock_ctx *ctx, struct mock_arena *arena,
                 const struct mock_http_req *req, struct mock_plan *plan,
                 struct mock_buf *scratch)
{
    struct call_ext ext;
    memset(&ext, 0, sizeof ext);
    struct mock_call c;
    memset(&c, 0, sizeof c);
    c.ctx = ctx;
    c.arena = arena;
    c.req = req;
    c.plan = plan;
    c.scratch = scratch;
    c.scratch_ext = &ext;
    c.now_ms = ctx->now_ms();
    c.id = ++ctx->seq;
    mock_scenario_init(&c.scn);
    mock_plan_clear(plan);
    plan->close = !req->keep_alive;

    struct route rt;
    route(req, &rt);
    c.endpoint = rt.endpoint;
    c.provider = rt.provider;
    c.azure = rt.azure;

    if (rt.method == NULL) {
        if (c.provider == MOCK_P_OLLAMA) {
            mock_respond(&c, 404, "text/plain", "404 page not found", 18);
        } else if (c.provider == MOCK_P_GEMINI) {
            mock_error(&c, 404, NULL, NULL, NULL,
                       "The requested URL %.*s was not found on this server.",
                       (int)(req->path_len > 200 ? 200 : req->path_len),
                       req->path);
        } else if (c.provider == MOCK_P_ANTHROPIC) {
            mock_error(&c, 404, NULL, NULL, NULL, "Not found");
        } else {
            mock_error(
                &c, 404, NULL, NULL, NULL, "Invalid URL (%.*s %.*s)",
                (int)(req->method_len > 16 ? 16 : req->method_len), req->method,
                (int)(req->path_len > 200 ? 200 : req->path_len), req->path);
        }
        goto done;
    }
    if (!method_is(req, rt.method)) {
        char allow[32];
        snprintf(allow, sizeof allow, "Allow: %s\r\n", rt.method);
        struct mock_buf *b = c.scratch;
        mock_buf_reset(b);
        char msg[128];
        snprintf(msg, sizeof msg, "Method %.*s not allowed; use %s",
                 (int)(req->method_len > 16 ? 16 : req->method_len),
                 req->method, rt.method);
        error_body(&c, b, 405, NULL, NULL, NULL, msg);
        mock_plan_head(&c, 405, "application/json", allow, b->len, false);
        mock_plan_body(&c, b->data, b->len);
        goto done;
    }
    if (c.provider == MOCK_P_MOCK) {
        mock_control(&c);
        return; /* control requests are neither logged nor counted */
    }
    /* Parse the body once (before auth, so the log shows it as JSON);
     * handlers report JSON errors in their provider's shape. */
    struct mock_json_error jerr = {0, ""};
    if (req->body_len > 0) {
        c.body = mock_json_parse(arena, req->body, req->body_len, 64, &jerr);
    }
    if (!check_auth(&c)) {
        goto done;
    }

    const char *model = rt.model;
    size_t model_len = rt.model_len;
    if (model == NULL) {
        body_model(c.body, &model, &model_len);
    }
    const char *spec;
    size_t spec_len;
    if (scenario_text(&c, model, model_len, &spec, &spec_len)) {
        c.scn.spec = mock_arena_strndup(arena, spec, spec_len);
        if (!mock_scenario_parse(&c.scn, arena, spec, spec_len,
                                 ctx->scenario_dir, 0)) {
            mock_error(&c, 400, NULL, "invalid_scenario", NULL,
                       "X-Mock-Scenario: %s", c.scn.error);
            goto done;
        }
        c.scenario_applied = true;
        const char *key = c.scn.key;
        size_t kl = key ? strlen(key) : 0;
        if (key == NULL) {
            const struct mock_http_header *kh =
                mock_http_header(req, "x-mock-key");
            key = kh ? kh->value : "";
            kl = kh ? kh->value_len : 0;
        }
        if (c.scn.limit_n >= 0) {
            apply_limit(&c, key, kl);
        }
        if (c.scn.fail_first > 0 || c.scn.nfail_seq > 0) {
            c.attempt = mock_ctx_attempt(ctx, key, kl);
            if (c.scn.nfail_seq > 0) {
                /* fail-seq: attempt N gets entry N, later ones succeed. */
                c.scenario_applied = c.attempt <= c.scn.nfail_seq;
                if (c.scenario_applied) {
                    int st = c.scn.fail_seq[c.attempt - 1];
                    if (st < 0) {
                        c.scn.reset = true;
                    } else {
                        c.scn.status = st;
                    }
                }
            } else {
                /* Past the first K attempts the request is served
                 * plainly. */
                c.scenario_applied = c.attempt <= c.scn.fail_first;
                if (c.scenario_applied && !has_behaviour(&c.scn)) {
                    c.scn.status = 500;
                }
            }
        }
    }
    if (c.scenario_applied) {
        const struct mock_scenario *s = &c.scn;
        plan->reset = s->reset;
        plan->rst_on_close = s->rst;
        plan->close_after_events = s->close_after_events;
        plan->close_after_bytes = s->close_after_bytes;
        plan->stall_after_events = s->stall_after_events;
        plan->write_size = s->write_size;
        plan->write_gap_ms = s->write_gap_ms;
        plan->slow_headers_ms = s->slow_headers_ms;
        plan->split_utf8 = s->split_utf8;
        if (s->reset || s->rst || s->close_after_events >= 0 ||
            s->close_after_bytes >= 0 || s->stall_after_events >= 0 ||
            s->write_size > 0 || s->write_gap_ms > 0 ||
            s->slow_headers_ms > 0 || s->split_utf8) {
            plan->simple = false;
        }
        if (s->close_after_events >= 0 || s->close_after_bytes >= 0) {
            plan->close = true;
        }
        if (s->reset) {
            plan->status = 0;
            goto done;
        }
        if (s->has_raw) {
            raw_stream(&c);
            goto done;
        }
        if (s->status >= 300) {
            scripted_failure(&c, s->status);
            goto done;
        }
    }
    if (req->body_len > 0 && c.body == NULL &&
        (c.endpoint != MOCK_EP_OPENAI_MODELS &&
         c.endpoint != MOCK_EP_ANTHROPIC_MODELS &&
         c.endpoint != MOCK_EP_GEMINI_MODELS &&
         c.endpoint != MOCK_EP_OLLAMA_TAGS)) {
        switch (c.provider) {
        case MOCK_P_OPENAI:
            mock_error(&c, 400, "invalid_request_error", NULL, NULL,
                       "We could not parse the JSON body of your request. "
                       "(HINT: This likely means you aren't using your HTTP "
                       "library correctly. The OpenAI API expects a JSON "
                       "payload, but what was sent was not valid JSON. "
                       "Parser: %s at byte %zu.)",
                       jerr.msg, jerr.offset);
            break;
        case MOCK_P_ANTHROPIC:
            mock_error(&c, 400, "invalid_request_error", NULL, NULL,
                       "There was an issue with the formatting or parsing "
                       "of the request body: %s at byte %zu",
                       jerr.msg, jerr.offset);
            break;
        case MOCK_P_GEMINI:
            mock_error(&c, 400, "INVALID_ARGUMENT", NULL, NULL,
                       "Invalid JSON payload received. %s at byte %zu.",
                       jerr.msg, jerr.offset);
            break;
        default:
            mock_error(&c, 400, NULL, NULL, NULL,
                       "invalid character in JSON body: %s at byte %zu",
                       jerr.msg, jerr.offset);
            break;
        }
        goto done;
    }

    switch (c.endpoint) {
    case MOCK_EP_OPENAI_CHAT:
        mock_openai_chat(&c);
        break;
    case MOCK_EP_OPENAI_EMBED:
        mock_openai_embeddings(&c);
        break;
    case MOCK_EP_OPENAI_MODELS:
        mock_openai_models(&c);
        break;
    case MOCK_EP_ANTHROPIC_MESSAGES:
        mock_anthropic_messages(&c);
        break;
    case MOCK_EP_ANTHROPIC_MODELS:
        mock_anthropic_models(&c);
        break;
    case MOCK_EP_ANTHROPIC_COUNT:
        mock_anthropic_count_tokens(&c);
        break;
    case MOCK_EP_GEMINI_COUNT:
        mock_gemini_count_tokens(&c);
        break;
    case MOCK_EP_GEMINI_GENERATE:
    case MOCK_EP_GEMINI_STREAM:
        mock_gemini_generate(&c, rt.model, rt.model_len,
                             c.endpoint == MOCK_EP_GEMINI_STREAM);
        break;
    case MOCK_EP_GEMINI_EMBED:
    case MOCK_EP_GEMINI_BATCH_EMBED:
        mock_gemini_embed(&c, rt.model, rt.model_len,
                          c.endpoint == MOCK_EP_GEMINI_BATCH_EMBED);
        break;
    case MOCK_EP_GEMINI_MODELS:
        mock_gemini_models(&c);
        break;
    case MOCK_EP_OLLAMA_CHAT:
        mock_ollama_chat(&c);
        break;
    case MOCK_EP_OLLAMA_EMBED:
        mock_ollama_embed(&c);
        break;
    case MOCK_EP_OLLAMA_TAGS:
        mock_ollama_tags(&c);
        break;
    default:
        mock_error(&c, 404, NULL, NULL, NULL, "Not found");
        break;
    }
done:
    mock_stats_count(ctx, c.endpoint, plan->reset ? 0 : plan->status);
    write_log(&c);
}

void mock_handle_bad_http(struct mock_ctx *ctx, int status, const char *msg,
                          struct mock_plan *plan)
{
    mock_plan_clear(plan);
    plan->close = true;
    struct mock_buf *d = &plan->data;
    char body[256];
    int n = snprintf(body, sizeof body,
                     "{\"error\":{\"message\":\"%s\","
                     "\"type\":\"invalid_request_error\","
                     "\"param\":null,\"code\":null}}",
                     msg);
    mock_buf_printf(d,
                    "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                    "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                    status, mock_http_reason(status), n, body);
    add_seg(plan, 0, d->len, 0, MOCK_SEG_HEAD, false);
    plan->status = status;
    mock_stats_count(ctx, MOCK_EP_OTHER, status);
    if (ctx->log) {
        /* The request never parsed: log what is known. */
        uint64_t id = ++ctx->seq;
        struct mock_buf b;
        mock_buf_init(&b);
        mock_buf_printf(&b, "{\"seq\":%llu,\"ts\":\"", (unsigned long long)id);
        mock_rfc3339(&b, ctx->now_ms());
        mock_buf_printf(&b,
                        "\",\"method\":null,\"status\":%d,\"endpoint\":"
                        "\"other\",\"error\":",
                        status);
        mock_buf_json_cstr(&b, msg);
        mock_buf_puts(&b, "}\n");
        fwrite(b.data, 1, b.len, ctx->log);
        fflush(ctx->log);
        mock_buf_free(&b);
    }
}
