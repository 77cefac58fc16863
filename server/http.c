/*
 * http.c - incremental HTTP/1.x request parser (no I/O).
 *
 * Accepts what RFC 9112 allows a server to accept and rejects the rest with
 * the status a careful server would send: 400 malformed, 413 body over the
 * limit, 431 header block over the limit, 501 unknown transfer coding, 505
 * unsupported version. Content-Length and chunked bodies; chunk extensions
 * and trailers are parsed and dropped. Both CRLF and bare LF line ends are
 * tolerated. Invariant: the parser never reads beyond LEN and keeps only
 * offsets between calls, so the caller may move its buffer.
 */
#include "mock.h"

#include <string.h>
#include <strings.h>

enum {
    ST_HEAD,
    ST_BODY_LENGTH,
    ST_CHUNK_SIZE,
    ST_CHUNK_DATA,
    ST_CHUNK_CRLF,
    ST_TRAILER,
    ST_DONE
};

void mock_http_parser_init(struct mock_http_parser *p, size_t max_head,
                           size_t max_body)
{
    memset(p, 0, sizeof *p);
    p->max_head = max_head;
    p->max_body = max_body;
    mock_buf_init(&p->body);
}

void mock_http_parser_reset(struct mock_http_parser *p)
{
    p->state = ST_HEAD;
    p->scan = 0;
    p->head_len = 0;
    p->content_length = 0;
    p->chunk_left = 0;
    p->consumed = 0;
    p->expect_continue = false;
    p->error_status = 0;
    p->error_msg = NULL;
    p->req.nheaders = 0;
    p->req.body = NULL;
    p->req.body_len = 0;
    mock_buf_reset(&p->body);
    /* A large chunked body should not pin its memory forever. */
    if (p->body.cap > 1 << 20) {
        mock_buf_free(&p->body);
    }
}

void mock_http_parser_free(struct mock_http_parser *p)
{
    mock_buf_free(&p->body);
}

static enum mock_http_result error(struct mock_http_parser *p, int status,
                                   const char *msg)
{
    p->error_status = status;
    p->error_msg = msg;
    return MOCK_HTTP_ERROR;
}

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9')) {
        return true;
    }
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool token_has(const char *v, size_t n, const char *tok)
{
    /* Comma-separated, case-insensitive token search. */
    size_t tl = strlen(tok);
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) {
            i++;
        }
        size_t s = i;
        while (i < n && v[i] != ',') {
            i++;
        }
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) {
            e--;
        }
        if (e - s == tl && strncasecmp(v + s, tok, tl) == 0) {
            return true;
        }
    }
    return false;
}

static bool name_is(const struct mock_http_header *h, const char *name)
{
    size_t l = strlen(name);
    return h->name_len == l && strncasecmp(h->name, name, l) == 0;
}

/* Parses the head BUF[0..p->head_len) into p->req (pointers into BUF) and
 * the body framing fields. */
static enum mock_http_result parse_head(struct mock_http_parser *p,
                                        const char *buf)
{
    struct mock_http_req *r = &p->req;
    const char *end = buf + p->head_len;
    const char *s = buf;
    /* RFC 9112 section 2.2: ignore at least one empty line before the
     * request line. */
    while (s < end && (*s == '\r' || *s == '\n')) {
        s++;
    }
    const char *eol = memchr(s, '\n', (size_t)(end - s));
    if (eol == NULL) {
        return error(p, 400, "malformed request line");
    }
    const char *le = eol;
    if (le > s && le[-1] == '\r') {
        le--;
    }
    /* method */
    const char *m = s;
    while (s < le && is_tchar((unsigned char)*s)) {
        s++;
    }
    if (s == m || s >= le || *s != ' ') {
        return error(p, 400, "malformed request method");
    }
    r->method = m;
    r->method_len = (size_t)(s - m);
    s++;
    const char *t = s;
    while (s < le && *s != ' ') {
        if ((unsigned char)*s <= 0x20 || *s == 0x7f) {
            return error(p, 400, "malformed request target");
        }
        s++;
    }
    if (s == t || s >= le) {
        return error(p, 400, "malformed request target");
    }
    r->target = t;
    r->target_len = (size_t)(s - t);
    s++;
    size_t vl = (size_t)(le - s);
    if (vl != 8 || memcmp(s, "HTTP/1.", 7) != 0) {
        if (vl >= 5 && memcmp(s, "HTTP/", 5) == 0) {
            return error(p, 505, "HTTP version not supported");
        }
        return error(p, 400, "malformed HTTP version");
    }
    if (s[7] != '0' && s[7] != '1') {
        return error(p, 505, "HTTP version not supported");
    }
    r->minor = s[7] - '0';
    /* Absolute-form targets (proxies) carry scheme and authority. */
    const char *path = r->target;
    size_t plen = r->target_len;
    if (plen > 7 && (strncasecmp(path, "http://", 7) == 0 ||
                     (plen > 8 && strncasecmp(path, "https://", 8) == 0))) {
        const char *q = memchr(path + 8, '/', plen - 8);
        if (q == NULL) {
            path = "/";
            plen = 1;
        } else {
            plen -= (size_t)(q - path);
            path = q;
        }
    }
    if (path[0] != '/' && !(plen == 1 && path[0] == '*')) {
        return error(p, 400, "malformed request target");
    }
    const char *qm = memchr(path, '?', plen);
    r->path = path;
    r->path_len = qm ? (size_t)(qm - path) : plen;
    r->query = qm ? qm + 1 : path + plen;
    r->query_len = qm ? plen - r->path_len - 1 : 0;

    r->nheaders = 0;
    bool have_cl = false, have_te = false;
    size_t cl = 0;
    bool conn_close = false, conn_keep = false;
    p->expect_continue = false;
    s = eol + 1;
    while (s < end) {
        eol = memchr(s, '\n', (size_t)(end - s));
        if (eol == NULL) {
            return error(p, 400, "malformed header line");
        }
        le = eol;
        if (le > s && le[-1] == '\r') {
            le--;
        }
        if (le == s) {
            break; /* the empty line */
        }
        if (*s == ' ' || *s == '\t') {
            return error(p, 400, "obsolete header line folding");
        }
        const char *n = s;
        while (s < le && is_tchar((unsigned char)*s)) {
            s++;
        }
        if (s == n || s >= le || *s != ':') {
            return error(p, 400, "malformed header field");
        }
        if (r->nheaders == MOCK_HTTP_MAX_HEADERS) {
            return error(p, 431, "too many header fields");
        }
        struct mock_http_header *h = &r->headers[r->nheaders++];
        h->name = n;
        h->name_len = (size_t)(s - n);
        s++;
        while (s < le && (*s == ' ' || *s == '\t')) {
            s++;
        }
        const char *ve = le;
        while (ve > s && (ve[-1] == ' ' || ve[-1] == '\t')) {
            ve--;
        }
        for (const char *c = s; c < ve; c++) {
            unsigned char ch = (unsigned char)*c;
            if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
                return error(p, 400, "control character in header value");
            }
        }
        h->value = s;
        h->value_len = (size_t)(ve - s);
        if (name_is(h, "content-length")) {
            size_t v = 0;
            if (h->value_len == 0 || h->value_len > 18) {
                return error(p, 400, "bad Content-Length");
            }
            for (size_t k = 0; k < h->value_len; k++) {
                if (h->value[k] < '0' || h->value[k] > '9') {
                    return error(p, 400, "bad Content-Length");
                }
                v = v * 10 + (size_t)(h->value[k] - '0');
            }
            if (have_cl && v != cl) {
                return error(p, 400, "conflicting Content-Length");
            }
            have_cl = true;
            cl = v;
        } else if (name_is(h, "transfer-encoding")) {
            if (have_te || h->value_len != 7 ||
                strncasecmp(h->value, "chunked", 7) != 0) {
                return error(p, 501, "unsupported Transfer-Encoding");
            }
            have_te = true;
        } else if (name_is(h, "connection")) {
            if (token_has(h->value, h->value_len, "close")) {
                conn_close = true;
            }
            if (token_has(h->value, h->value_len, "keep-alive")) {
                conn_keep = true;
            }
        } else if (name_is(h, "expect")) {
            if (h->value_len == 12 &&
                strncasecmp(h->value, "100-continue", 12) == 0) {
                p->expect_continue = true;
            } else {
                /* RFC 9110 section 10.1.1: 417 would be right; 400 keeps
                 * the status table small and is what many servers do. */
                return error(p, 400, "unsupported Expect");
            }
        }
        s = eol + 1;
    }
    if (have_cl && have_te) {
        return error(p, 400, "both Content-Length and Transfer-Encoding");
    }
    if (have_te && r->minor == 0) {
        return error(p, 400, "chunked request body in HTTP/1.0");
    }
    r->keep_alive = r->minor == 1 ? !conn_close : (conn_keep && !conn_close);
    r->chunked = have_te;
    p->content_length = cl;
    if (cl > p->max_body) {
        return error(p, 413, "request body too large");
    }
    return MOCK_HTTP_DONE;
}

/* Finds the end of the header block from p->scan; returns true when found
 * and sets p->head_len. */
static bool find_head_end(struct mock_http_parser *p, const char *buf,
                          size_t len)
{
    size_t i = p->scan;
    /* Leading empty lines are skipped by parse_head; they must not be
     * taken as the end of an empty head. */
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        if (nl == NULL) {
            break;
        }
        size_t pos = (size_t)(nl - buf);
        /* The line ending at POS is empty if the previous byte is '\n' or
         * the previous two are "\n\r". */
        bool empty = (pos >= 1 && buf[pos - 1] == '\n') ||
                     (pos >= 2 && buf[pos - 1] == '\r' && buf[pos - 2] == '\n');
        /* Skip over leading CRLFs before any request line. */
        size_t k = 0;
        while (k < pos && (buf[k] == '\r' || buf[k] == '\n')) {
            k++;
        }
        if (empty && k < pos) {
            p->head_len = pos + 1;
            return true;
        }
        i = pos + 1;
    }
    /* Every newline before I has been judged; the emptiness test looks
     * backwards, so a "\r\n\r\n" split across reads is still found. */
    p->scan = i;
    return false;
}

static enum mock_http_result finish(struct mock_http_parser *p, const char *buf,
                                    size_t consumed, bool parsed_now)
{
    if (!parsed_now) {
        /* BUF may have moved since the head was parsed. */
        enum mock_http_result r = parse_head(p, buf);
        if (r != MOCK_HTTP_DONE) {
            return r;
        }
    }
    if (p->req.chunked) {
        if (p->body.data == NULL) {
            mock_buf_reserve(&p->body, 0);
        }
        p->req.body = p->body.data;
        p->req.body_len = p->body.len;
    } else {
        p->req.body = buf + p->head_len;
        p->req.body_len = p->content_length;
    }
    p->consumed = consumed;
    p->state = ST_DONE;
    return MOCK_HTTP_DONE;
}

enum mock_http_result mock_http_feed(struct mock_http_parser *p,
                                     const char *buf, size_t len)
{
    bool parsed_now = false;
    if (p->state == ST_DONE) {
        return MOCK_HTTP_DONE;
    }
    if (p->state == ST_HEAD) {
        if (!find_head_end(p, buf, len)) {
            if (len > p->max_head) {
                return error(p, 431, "request header block too large");
            }
            return MOCK_HTTP_MORE;
        }
        if (p->head_len > p->max_head) {
            return error(p, 431, "request header block too large");
        }
        enum mock_http_result r = parse_head(p, buf);
        if (r != MOCK_HTTP_DONE) {
            return r;
        }
        parsed_now = true;
        p->scan = p->head_len;
        p->state = p->req.chunked ? ST_CHUNK_SIZE : ST_BODY_LENGTH;
    }
    if (p->state == ST_BODY_LENGTH) {
        if (len - p->head_len < p->content_length) {
            return MOCK_HTTP_MORE;
        }
        return finish(p, buf, p->head_len + p->content_length, parsed_now);
    }
    for (;;) {
        switch (p->state) {
        case ST_CHUNK_SIZE: {
            const char *nl = memchr(buf + p->scan, '\n', len - p->scan);
            if (nl == NULL) {
                if (len - p->scan > 1024) {
                    return error(p, 400, "chunk size line too long");
                }
                return MOCK_HTTP_MORE;
            }
            const char *s = buf + p->scan;
            size_t size = 0;
            int digits = 0;
            while (s < nl) {
                char c = *s;
                int v;
                if (c >= '0' && c <= '9') {
                    v = c - '0';
                } else if (c >= 'a' && c <= 'f') {
                    v = c - 'a' + 10;
                } else if (c >= 'A' && c <= 'F') {
                    v = c - 'A' + 10;
                } else {
                    break;
                }
                if (++digits > 15) {
                    return error(p, 413, "chunk too large");
                }
                size = size * 16 + (size_t)v;
                s++;
            }
            if (digits == 0) {
                return error(p, 400, "bad chunk size");
            }
            /* Optional whitespace and extensions up to the line end. */
            while (s < nl && (*s == ' ' || *s == '\t')) {
                s++;
            }
            if (s < nl && *s != ';' && !(*s == '\r' && s + 1 == nl)) {
                return error(p, 400, "bad chunk size line");
            }
            for (const char *c = s; c < nl; c++) {
                if (*c == '\r' && c + 1 != nl) {
                    return error(p, 400, "bad chunk size line");
                }
            }
            p->scan = (size_t)(nl - buf) + 1;
            if (size == 0) {
                p->state = ST_TRAILER;
                break;
            }
            if (size > p->max_body || p->body.len + size > p->max_body) {
                return error(p, 413, "request body too large");
            }
            p->chunk_left = size;
            p->state = ST_CHUNK_DATA;
            break;
        }
        case ST_CHUNK_DATA: {
            size_t avail = len - p->scan;
            if (avail == 0) {
                return MOCK_HTTP_MORE;
            }
            size_t take = avail < p->chunk_left ? avail : p->chunk_left;
            mock_buf_append(&p->body, buf + p->scan, take);
            p->scan += take;
            p->chunk_left -= take;
            if (p->chunk_left == 0) {
                p->state = ST_CHUNK_CRLF;
            }
            break;
        }
        case ST_CHUNK_CRLF: {
            if (p->scan >= len) {
                return MOCK_HTTP_MORE;
            }
            if (buf[p->scan] == '\n') {
                p->scan++;
                p->state = ST_CHUNK_SIZE;
                break;
            }
            if (buf[p->scan] != '\r') {
                return error(p, 400, "missing CRLF after chunk data");
            }
            if (p->scan + 1 >= len) {
                return MOCK_HTTP_MORE;
            }
            if (buf[p->scan + 1] != '\n') {
                return error(p, 400, "missing CRLF after chunk data");
            }
            p->scan += 2;
            p->state = ST_CHUNK_SIZE;
            break;
        }
        case ST_TRAILER: {
            const char *nl = memchr(buf + p->scan, '\n', len - p->scan);
            if (nl == NULL) {
                if (len - p->scan > p->max_head) {
                    return error(p, 431, "trailer too large");
                }
                return MOCK_HTTP_MORE;
            }
            size_t ll = (size_t)(nl - (buf + p->scan));
            bool empty = ll == 0 || (ll == 1 && buf[p->scan] == '\r');
            p->scan = (size_t)(nl - buf) + 1;
            if (empty) {
                return finish(p, buf, p->scan, parsed_now);
            }
            if (p->scan - p->head_len - p->body.len >
                p->max_head * 2 + p->max_body) {
                return error(p, 431, "trailer too large");
            }
            break;
        }
        default:
            return error(p, 400, "parser state");
        }
    }
}

const struct mock_http_header *mock_http_header(const struct mock_http_req *r,
                                                const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        if (name_is(&r->headers[i], name)) {
            return &r->headers[i];
        }
    }
    return NULL;
}

const char *mock_http_query(const struct mock_http_req *r, const char *name,
                            size_t *len)
{
    size_t nl = strlen(name);
    const char *q = r->query;
    size_t n = r->query_len;
    size_t i = 0;
    while (i < n) {
        size_t s = i;
        while (i < n && q[i] != '&') {
            i++;
        }
        const char *eq = memchr(q + s, '=', i - s);
        size_t kl = eq ? (size_t)(eq - (q + s)) : i - s;
        if (kl == nl && memcmp(q + s, name, nl) == 0) {
            if (eq) {
                *len = (size_t)(q + i - eq - 1);
                return eq + 1;
            }
            *len = 0;
            return q + i;
        }
        i++;
    }
    return NULL;
}

const char *mock_http_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    case 529:
        return "Site Overloaded";
    default:
        return "Unknown";
    }
}
