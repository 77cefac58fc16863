/*
 * http.h - a raw-socket HTTP/1.1 client for tests.
 *
 * It sends exact bytes and reads raw responses, so tests can check what is
 * on the wire: status line, headers, chunk framing, SSE bytes, how many
 * reads a response took, whether the server closed or reset the connection
 * and when. It is deliberately independent of the library and of the mock.
 *
 * Typical use:
 *
 *     struct test_http h;
 *     test_http_open(&h, m.port);
 *     test_http_post(&h, "/v1/chat/completions",
 *                    "Authorization: Bearer sk-test\r\n", body);
 *     struct test_http_resp r;
 *     ASSERT(test_http_read(&h, &r, 2000));
 *     ASSERT_EQ(r.status, 200);
 *     ASSERT_CONTAINS(r.body, "\"finish_reason\":\"stop\"");
 *     test_http_resp_free(&r);
 *     test_http_close(&h);
 *
 * Every function fails the test (test_fail_) on a local error such as a
 * failed connect; server behaviour (EOF, reset, timeout) is reported in the
 * result instead.
 */
#ifndef LLMIO_TEST_HTTP_H
#define LLMIO_TEST_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* One client connection. BUF holds bytes received but not yet returned as
 * part of a response (pipelined responses stay here). */
struct test_http {
    int fd;
    char *buf;
    size_t len;
    size_t cap;
    int nreads;              /* recv() calls that returned data */
    size_t max_read;         /* largest single recv() result */
    size_t min_read;         /* smallest non-empty recv() result */
    bool eof;                /* the server closed (FIN) */
    bool reset;              /* ECONNRESET seen */
    long long first_byte_ms; /* test_now_ms() at the first byte, or -1 */
};

/* One response. All strings are malloc'd and NUL-terminated. */
struct test_http_resp {
    int status; /* 0 if no complete status line arrived */
    char *head; /* status line + headers, up to the blank line */
    char *body; /* body with chunk framing removed */
    size_t body_len;
    char *raw; /* every byte of this response as received */
    size_t raw_len;
    bool complete; /* the body ended as its framing says */
    bool chunked;  /* Transfer-Encoding: chunked */
    int nchunks;   /* data chunks seen (chunked only) */
};

/* Connects to 127.0.0.1:PORT (blocking socket, TCP_NODELAY). */
void test_http_open(struct test_http *h, int port);
/* Closes the socket and frees the buffer. Safe to call twice. */
void test_http_close(struct test_http *h);
/* Sends exactly LEN bytes. Returns false if the server closed/reset. */
bool test_http_write(struct test_http *h, const void *data, size_t len);
bool test_http_write_str(struct test_http *h, const char *s);
/* Sends a POST with Host, Content-Type: application/json and
 * Content-Length; EXTRA_HEADERS (may be NULL) are "Name: value\r\n" lines. */
bool test_http_post(struct test_http *h, const char *path,
                    const char *extra_headers, const char *body);
/* Sends a GET with Host and EXTRA_HEADERS. */
bool test_http_get(struct test_http *h, const char *path,
                   const char *extra_headers);
/*
 * test_http_read - read the next response within TIMEOUT_MS (total).
 *
 * Returns true when a complete response (per Content-Length or chunked
 * framing; or EOF for a close-delimited body) was read. On false, R still
 * holds what arrived (partial head/body) and H->eof / H->reset tell why;
 * otherwise it was a timeout. Always free R with test_http_resp_free.
 */
bool test_http_read(struct test_http *h, struct test_http_resp *r,
                    int timeout_ms);
/* Waits up to TIMEOUT_MS for more bytes and appends them to H->buf.
 * Returns the number of new bytes, 0 on EOF, -1 on timeout, -2 on reset. */
long test_http_recv_more(struct test_http *h, int timeout_ms);
/* Value of header NAME in R (case-insensitive), malloc'd, or NULL. */
char *test_http_header(const struct test_http_resp *r, const char *name);
void test_http_resp_free(struct test_http_resp *r);

/* Number of non-overlapping occurrences of NEEDLE in HAY. */
int test_count(const char *hay, const char *needle);

#endif
