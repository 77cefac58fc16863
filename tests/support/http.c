/*
 * http.c - raw-socket HTTP/1.1 test client (see http.h).
 */
#include "support/http.h"
#include "test.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <arpa/inet.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

void test_http_open(struct test_http *h, int port)
{
    memset(h, 0, sizeof *h);
    h->first_byte_ms = -1;
    h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (h->fd < 0) {
        test_fail_(__FILE__, __LINE__, "socket: %s", strerror(errno));
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(h->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        test_fail_(__FILE__, __LINE__, "connect to port %d: %s", port,
                   strerror(errno));
    }
    int one = 1;
    setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void test_http_close(struct test_http *h)
{
    if (h->fd >= 0) {
        close(h->fd);
    }
    h->fd = -1;
    free(h->buf);
    h->buf = NULL;
    h->len = h->cap = 0;
}

bool test_http_write(struct test_http *h, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = send(h->fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        p += w;
        len -= (size_t)w;
    }
    return true;
}

bool test_http_write_str(struct test_http *h, const char *s)
{
    return test_http_write(h, s, strlen(s));
}

bool test_http_post(struct test_http *h, const char *path,
                    const char *extra_headers, const char *body)
{
    size_t bl = strlen(body);
    size_t n =
        strlen(path) + (extra_headers ? strlen(extra_headers) : 0) + bl + 256;
    char *req = malloc(n);
    int l = snprintf(req, n,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: %zu\r\n%s\r\n",
                     path, bl, extra_headers ? extra_headers : "");
    memcpy(req + l, body, bl);
    bool ok = test_http_write(h, req, (size_t)l + bl);
    free(req);
    return ok;
}

bool test_http_get(struct test_http *h, const char *path,
                   const char *extra_headers)
{
    char req[4096];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n",
             path, extra_headers ? extra_headers : "");
    return test_http_write_str(h, req);
}

long test_http_recv_more(struct test_http *h, int timeout_ms)
{
    if (h->eof || h->reset) {
        return h->reset ? -2 : 0;
    }
    struct pollfd p = {.fd = h->fd, .events = POLLIN};
    int pr = poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms);
    if (pr <= 0) {
        return -1;
    }
    if (h->len + 65536 + 1 > h->cap) {
        h->cap = (h->len + 65536 + 1) * 2;
        h->buf = realloc(h->buf, h->cap);
        h->buf[h->len] = '\0';
    }
    ssize_t r = recv(h->fd, h->buf + h->len, 65536, 0);
    if (r < 0) {
        if (errno == ECONNRESET) {
            h->reset = true;
            return -2;
        }
        if (errno == EINTR || errno == EAGAIN) {
            return -1;
        }
        h->reset = true;
        return -2;
    }
    if (r == 0) {
        h->eof = true;
        return 0;
    }
    if (h->first_byte_ms < 0) {
        h->first_byte_ms = test_now_ms();
    }
    h->nreads++;
    if ((size_t)r > h->max_read) {
        h->max_read = (size_t)r;
    }
    if (h->min_read == 0 || (size_t)r < h->min_read) {
        h->min_read = (size_t)r;
    }
    h->len += (size_t)r;
    h->buf[h->len] = '\0';
    return r;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Tries to frame one response from the buffered bytes. Returns the bytes it
 * spans if complete, 0 otherwise; fills R with what is known so far. */
static size_t frame(struct test_http *h, struct test_http_resp *r, bool at_eof)
{
    free(r->head);
    free(r->body);
    free(r->raw);
    memset(r, 0, sizeof *r);
    const char *b = h->buf ? h->buf : "";
    size_t n = h->len;
    r->raw = dup_n(b, n);
    r->raw_len = n;
    const char *he = strstr(b, "\r\n\r\n");
    if (he == NULL) {
        r->head = dup_n(b, n);
        r->body = dup_n("", 0);
        return 0;
    }
    size_t hl = (size_t)(he - b) + 4;
    r->head = dup_n(b, hl - 2);
    if (sscanf(b, "HTTP/1.%*d %d", &r->status) != 1) {
        r->status = 0;
    }
    /* 1xx interim responses carry no body; skip them. */
    if (r->status >= 100 && r->status < 200) {
        memmove(h->buf, h->buf + hl, h->len - hl);
        h->len -= hl;
        h->buf[h->len] = '\0';
        return frame(h, r, at_eof);
    }
    char *te = test_http_header(r, "transfer-encoding");
    char *cl = test_http_header(r, "content-length");
    size_t end = 0;
    if (te && strcasecmp(te, "chunked") == 0) {
        r->chunked = true;
        size_t pos = hl;
        char *body = malloc(n + 1);
        size_t bl = 0;
        for (;;) {
            const char *le = strstr(b + pos, "\r\n");
            if (le == NULL) {
                break;
            }
            size_t size = strtoul(b + pos, NULL, 16);
            size_t data = (size_t)(le - b) + 2;
            if (size == 0) {
                if (n >= data + 2 && memcmp(b + data, "\r\n", 2) == 0) {
                    end = data + 2;
                    r->complete = true;
                }
                break;
            }
            size_t take = n - data < size ? n - data : size;
            memcpy(body + bl, b + data, take);
            bl += take;
            if (n < data + size + 2) {
                break;
            }
            r->nchunks++;
            pos = data + size + 2;
        }
        body[bl] = '\0';
        r->body = body;
        r->body_len = bl;
    } else if (cl) {
        size_t want = strtoul(cl, NULL, 10);
        size_t have = n - hl < want ? n - hl : want;
        r->body = dup_n(b + hl, have);
        r->body_len = have;
        if (have == want) {
            r->complete = true;
            end = hl + want;
        }
    } else if (r->status == 204 || r->status == 304) {
        r->body = dup_n("", 0);
        r->complete = true;
        end = hl;
    } else {
        r->body = dup_n(b + hl, n - hl);
        r->body_len = n - hl;
        if (at_eof) {
            r->complete = true;
            end = n;
        }
    }
    free(te);
    free(cl);
    return r->complete ? end : 0;
}

bool test_http_read(struct test_http *h, struct test_http_resp *r,
                    int timeout_ms)
{
    memset(r, 0, sizeof *r);
    long long deadline = test_now_ms() + timeout_ms;
    for (;;) {
        size_t end = frame(h, r, h->eof);
        if (end > 0) {
            free(r->raw);
            r->raw = dup_n(h->buf, end);
            r->raw_len = end;
            memmove(h->buf, h->buf + end, h->len - end);
            h->len -= end;
            h->buf[h->len] = '\0';
            return true;
        }
        if (h->eof || h->reset) {
            return false;
        }
        long long left = deadline - test_now_ms();
        if (left <= 0) {
            return false;
        }
        long got = test_http_recv_more(h, (int)left);
        if (got == -1 && test_now_ms() >= deadline) {
            frame(h, r, false);
            return false;
        }
    }
}

char *test_http_header(const struct test_http_resp *r, const char *name)
{
    if (r->head == NULL) {
        return NULL;
    }
    size_t nl = strlen(name);
    const char *p = strstr(r->head, "\r\n");
    while (p) {
        p += 2;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ' || *v == '\t') {
                v++;
            }
            const char *e = strstr(v, "\r\n");
            size_t l = e ? (size_t)(e - v) : strlen(v);
            while (l > 0 && (v[l - 1] == ' ' || v[l - 1] == '\t')) {
                l--;
            }
            return dup_n(v, l);
        }
        p = strstr(p, "\r\n");
    }
    return NULL;
}

void test_http_resp_free(struct test_http_resp *r)
{
    free(r->head);
    free(r->body);
    free(r->raw);
    memset(r, 0, sizeof *r);
}

int test_count(const char *hay, const char *needle)
{
    int n = 0;
    size_t l = strlen(needle);
    if (l == 0) {
        return 0;
    }
    for (const char *p = strstr(hay, needle); p; p = strstr(p + l, needle)) {
        n++;
    }
    return n;
}
