/*
 * server.c - the llmio-mock event loop: one thread, epoll, non-blocking
 * sockets, HTTP/1.1 keep-alive and pipelining, and the timers that pace
 * scripted responses.
 *
 * Each connection parses requests in order and answers them in order.
 * A "simple" response (no delays, no faults) is copied straight into the
 * connection's output buffer so pipelined requests are answered with one
 * send; any other response becomes the connection's active plan, which
 * pump() walks segment by segment, arming the connection's single timer
 * for delays and write gaps. Timers live in a binary min-heap keyed by
 * due time, so every operation is O(log n) in connections; nothing scans
 * all connections. Closed connections are freed at the end of a loop
 * iteration so events later in the same batch never touch freed memory.
 */
#include "mock.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define MAX_HEAD (64 * 1024)
#define OUT_HIGH_WATER (1024 * 1024)

struct conn {
    int fd;
    bool dead;
    uint32_t mask;
    struct conn *prev, *next; /* live list, or dead list via next */
    struct mock_buf in;       /* unparsed input; the current request starts
                                 at offset 0 */
    struct mock_http_parser parser;
    bool parser_started;
    bool continue_sent;
    bool peer_closed;
    bool closing; /* close once OUT is drained */
    struct mock_buf out;
    size_t out_pos;
    size_t out_break; /* 0: none; else stop sending at this offset once */
    long wsize;
    long wgap;
    struct mock_plan *plan; /* active non-simple response, or NULL */
    size_t seg;
    bool delay_done;
    bool seg_in_flight;
    enum mock_seg_kind seg_kind;
    bool seg_content;
    bool head_sent;
    long events_sent;
    long budget; /* close-after-bytes: body bytes left, -1 unlimited */
    bool stalled;
    bool lingering; /* answered and shut down; draining input until EOF */
    bool busy;      /* PLAN is being sent */
    int64_t resume_at;
    size_t heap_idx; /* SIZE_MAX when not in the heap */
};

struct server {
    int ep;
    int lfd;
    int sfd;
    bool stop;
    struct mock_ctx ctx;
    struct mock_arena arena;
    struct mock_plan plan;
    struct mock_buf scratch;
    char *rbuf;
    struct conn *live;
    struct conn *dead;
    struct conn **heap;
    size_t nheap, heap_cap;
    int64_t now;
    int64_t accept_paused_until;
    bool quiet;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- timer heap ------------------------------------------------------------
 */

static void heap_swap(struct server *s, size_t a, size_t b)
{
    struct conn *t = s->heap[a];
    s->heap[a] = s->heap[b];
    s->heap[b] = t;
    s->heap[a]->heap_idx = a;
    s->heap[b]->heap_idx = b;
}

static void heap_up(struct server *s, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (s->heap[p]->resume_at <= s->heap[i]->resume_at) {
            break;
        }
        heap_swap(s, i, p);
        i = p;
    }
}

static void heap_down(struct server *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->nheap && s->heap[l]->resume_at < s->heap[m]->resume_at) {
            m = l;
        }
        if (r < s->nheap && s->heap[r]->resume_at < s->heap[m]->resume_at) {
            m = r;
        }
        if (m == i) {
            return;
        }
        heap_swap(s, i, m);
        i = m;
    }
}

static void timer_remove(struct server *s, struct conn *c)
{
    size_t i = c->heap_idx;
    if (i == SIZE_MAX) {
        return;
    }
    s->nheap--;
    if (i != s->nheap) {
        heap_swap(s, i, s->nheap);
        heap_down(s, i);
        heap_up(s, i);
    }
    c->heap_idx = SIZE_MAX;
}

static void timer_set(struct server *s, struct conn *c, int64_t at)
{
    timer_remove(s, c);
    c->resume_at = at;
    if (s->nheap == s->heap_cap) {
        s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 64;
        s->heap = mock_xrealloc(s->heap, s->heap_cap * sizeof *s->heap);
    }
    c->heap_idx = s->nheap;
    s->heap[s->nheap++] = c;
    heap_up(s, c->heap_idx);
}

/* ---- connections ------------------------------------------------------------
 */

static void set_mask(struct server *s, struct conn *c, uint32_t mask)
{
    if (c->mask == mask || c->dead) {
        return;
    }
    struct epoll_event ev = {.events = mask, .data.ptr = c};
    epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->mask = mask;
}

static void conn_close(struct server *s, struct conn *c, bool rst)
{
    if (c->dead) {
        return;
    }
    if (rst) {
        /* SO_LINGER with a zero timeout makes close() send an RST. */
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->dead = true;
    timer_remove(s, c);
    if (c->prev) {
        c->prev->next = c->next;
    } else {
        s->live = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
    c->next = s->dead;
    c->prev = NULL;
    s->dead = c;
    if (s->ctx.stats.connections > 0) {
        s->ctx.stats.connections--;
    }
}

static void conn_free(struct conn *c)
{
    mock_buf_free(&c->in);
    mock_buf_free(&c->out);
    mock_http_parser_free(&c->parser);
    if (c->plan) {
        mock_plan_free(c->plan);
        free(c->plan);
    }
    free(c);
}

static void reap(struct server *s)
{
    while (s->dead) {
        struct conn *c = s->dead;
        s->dead = c->next;
        conn_free(c);
    }
}

static void pump(struct server *s, struct conn *c);

/* Starts executing PLAN (s->plan) on C: simple plans are copied to the
 * output buffer at once; others are moved into the connection. */
static void start_plan(struct server *s, struct conn *c)
{
    struct mock_plan *p = &s->plan;
    if (p->reset) {
        conn_close(s, c, true);
        return;
    }
    if (p->simple && !p->is_stream) {
        for (size_t i = 0; i < p->nsegs; i++) {
            mock_buf_append(&c->out, p->data.data + p->segs[i].off,
                            p->segs[i].len);
        }
        if (p->close) {
            c->closing = true;
        }
        return;
    }
    /* Hand the built plan to the connection and give the server a fresh
     * one (the buffers move, nothing is copied). */
    if (c->plan == NULL) {
        c->plan = mock_xmalloc(sizeof *c->plan);
        mock_plan_init(c->plan);
    }
    struct mock_plan tmp = *c->plan;
    *c->plan = *p;
    *p = tmp;
    c->seg = 0;
    c->delay_done = false;
    c->seg_in_flight = false;
    c->head_sent = false;
    c->events_sent = 0;
    c->budget = c->plan->close_after_bytes;
    c->stalled = false;
    c->busy = true;
}

/* Ends a connection after its last response: send FIN but keep reading
 * (and discarding) until the client closes or 2 s pass. Closing at once
 * with unread input would make the kernel send an RST, which can destroy
 * the response before the client reads it (e.g. a 413 sent while the
 * client is still uploading). */
static void conn_linger(struct server *s, struct conn *c)
{
    if (c->peer_closed) {
        conn_close(s, c, false);
        return;
    }
    shutdown(c->fd, SHUT_WR);
    c->lingering = true;
    c->busy = false;
    set_mask(s, c, EPOLLIN | EPOLLRDHUP);
    timer_set(s, c, s->now + 2000);
}

/* Parses and answers buffered requests until one needs the connection
 * (an active plan), input runs out, or output backs up. */
static void process(struct server *s, struct conn *c)
{
    while (!c->dead && !c->busy && !c->closing && c->in.len > 0 &&
           c->out.len - c->out_pos < OUT_HIGH_WATER) {
        if (!c->parser_started) {
            mock_http_parser_reset(&c->parser);
            c->parser_started = true;
            c->continue_sent = false;
        }
        enum mock_http_result r =
            mock_http_feed(&c->parser, c->in.data, c->in.len);
        if (r == MOCK_HTTP_MORE) {
            if (c->parser.expect_continue && !c->continue_sent &&
                c->parser.state != 0) {
                mock_buf_puts(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
                c->continue_sent = true;
            }
            break;
        }
        if (r == MOCK_HTTP_ERROR) {
            mock_handle_bad_http(&s->ctx, c->parser.error_status,
                                 c->parser.error_msg, &s->plan);
            start_plan(s, c);
            c->closing = true;
            mock_buf_reset(&c->in);
            break;
        }
        mock_arena_reset(&s->arena);
        mock_handle(&s->ctx, &s->arena, &c->parser.req, &s->plan, &s->scratch);
        size_t used = c->parser.consumed;
        c->parser_started = false;
        start_plan(s, c);
        if (c->dead) {
            return;
        }
        mock_buf_consume(&c->in, used);
    }
    if (c->in.cap > 4 * READ_CHUNK && c->in.len == 0) {
        mock_buf_free(&c->in);
    }
}

static void on_readable(struct server *s, struct conn *c)
{
    if (c->lingering) {
        ssize_t d = recv(c->fd, s->rbuf, READ_CHUNK, 0);
        if (d == 0 || (d < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                       errno != EINTR)) {
            conn_close(s, c, false);
        }
        return;
    }
    size_t limit = MAX_HEAD + s->ctx.max_body + READ_CHUNK;
    if (c->in.len >= limit) {
        /* Input is backed up behind a long response: stop reading until
         * it is consumed. */
        set_mask(s, c, c->mask & ~(uint32_t)EPOLLIN);
        return;
    }
    ssize_t n = recv(c->fd, s->rbuf, READ_CHUNK, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return;
        }
        conn_close(s, c, false);
        return;
    }
    if (n == 0) {
        c->peer_closed = true;
        set_mask(s, c, c->mask & ~(uint32_t)(EPOLLIN | EPOLLRDHUP));
        if (c->busy && c->out_pos == c->out.len) {
            /* Gone while its answer waits on a timer (ttft, pacing):
             * like nginx (499), stop at once rather than at the next
             * write, so a client's cancel shows in the stats now. */
            conn_close(s, c, false);
            return;
        }
        if (!c->busy || c->stalled) {
            process(s, c);
            if (!c->busy && c->out_pos == c->out.len) {
                conn_close(s, c, false);
                return;
            }
            if (c->stalled) {
                conn_close(s, c, false);
                return;
            }
        }
        pump(s, c);
        return;
    }
    if (c->closing) {
        return; /* the answer to a bad request is on its way; ignore */
    }
    mock_buf_append(&c->in, s->rbuf, (size_t)n);
    if (!c->busy) {
        process(s, c);
    }
    pump(s, c);
}

/* Resumes reading once input that was held back can be consumed again. */
static void want_read(struct server *s, struct conn *c)
{
    if (!(c->mask & EPOLLIN) && !c->peer_closed && !c->closing &&
        c->in.len < MAX_HEAD + s->ctx.max_body + READ_CHUNK) {
        set_mask(s, c, c->mask | EPOLLIN | EPOLLRDHUP);
    }
}

/* Ends the current plan and moves on to the next buffered request. */
static void plan_done(struct server *s, struct conn *c)
{
    c->busy = false;
    c->wsize = -1;
    c->wgap = -1;
    c->out_break = 0;
    if (c->plan->close) {
        c->closing = true;
        return;
    }
    /* Keep small plans for reuse; drop big buffers. */
    mock_plan_clear(c->plan);
    process(s, c);
    want_read(s, c);
}

/* Sends what can be sent now; arms the timer or EPOLLOUT otherwise. */
static void pump(struct server *s, struct conn *c)
{
    for (;;) {
        if (c->dead || c->stalled) {
            return;
        }
        if (c->lingering) {
            if (c->resume_at <= s->now) {
                conn_close(s, c, false);
            }
            return;
        }
        if (c->resume_at > s->now) {
            /* Re-inserting keeps the heap right even if a stale entry for
             * an earlier due time is still queued. */
            timer_set(s, c, c->resume_at);
            return;
        }
        if (c->out_pos < c->out.len) {
            size_t n = c->out.len - c->out_pos;
            bool limited = false;
            if (c->wsize > 0 && (size_t)c->wsize < n) {
                n = (size_t)c->wsize;
                limited = true;
            }
            if (c->out_break > c->out_pos && c->out_break - c->out_pos < n) {
                n = c->out_break - c->out_pos;
            }
            bool counting = c->busy && c->head_sent && c->budget >= 0;
            if (counting) {
                if (c->budget == 0) {
                    conn_close(s, c, c->plan->rst_on_close);
                    return;
                }
                if ((size_t)c->budget < n) {
                    n = (size_t)c->budget;
                }
            }
            ssize_t w = send(c->fd, c->out.data + c->out_pos, n, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EINTR) {
                    continue;
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    set_mask(s, c, c->mask | EPOLLOUT);
                    return;
                }
                conn_close(s, c, false);
                return;
            }
            c->out_pos += (size_t)w;
            if (counting) {
                c->budget -= (long)w;
                if (c->budget == 0) {
                    conn_close(s, c, c->plan->rst_on_close);
                    return;
                }
            }
            if (c->out_break && c->out_pos == c->out_break) {
                /* A multi-byte character was split: make sure the halves
                 * arrive in separate reads. */
                c->out_break = 0;
                c->resume_at = s->now + (c->wgap > 0 ? c->wgap : 2);
                continue;
            }
            if (limited && c->out_pos < c->out.len && c->wgap > 0) {
                c->resume_at = s->now + c->wgap;
                continue;
            }
            continue;
        }
        /* Output drained. */
        if (c->mask & EPOLLOUT) {
            set_mask(s, c, c->mask & ~(uint32_t)EPOLLOUT);
        }
        mock_buf_reset(&c->out);
        c->out_pos = 0;
        if (c->out.cap > 4 * READ_CHUNK) {
            mock_buf_free(&c->out);
        }
        if (c->busy && c->seg_in_flight) {
            c->seg_in_flight = false;
            if (c->seg_kind == MOCK_SEG_HEAD) {
                c->head_sent = true;
            } else if (c->seg_content) {
                c->events_sent++;
            }
            struct mock_plan *p = c->plan;
            if (c->head_sent && c->budget == 0) {
                conn_close(s, c, p->rst_on_close);
                return;
            }
            if (c->head_sent && p->close_after_events >= 0 &&
                c->events_sent >= p->close_after_events) {
                conn_close(s, c, p->rst_on_close);
                return;
            }
            if (c->head_sent && p->stall_after_events >= 0 &&
                c->events_sent >= p->stall_after_events) {
                c->stalled = true;
                if (c->peer_closed) {
                    conn_close(s, c, false);
                }
                return;
            }
        }
        if (!c->busy) {
            if (c->closing) {
                conn_linger(s, c);
                return;
            }
            if (c->peer_closed) {
                conn_close(s, c, false);
                return;
            }
            /* Requests held back by the output high-water mark. */
            if (c->in.len > 0 && !c->parser_started) {
                process(s, c);
                if (c->out.len > 0 || c->busy) {
                    continue;
                }
            }
            want_read(s, c);
            return;
        }
        struct mock_plan *p = c->plan;
        if (c->seg == p->nsegs) {
            plan_done(s, c);
            continue;
        }
        struct mock_seg *sg = &p->segs[c->seg];
        if (sg->delay_ms > 0 && !c->delay_done) {
            c->delay_done = true;
            c->resume_at = s->now + sg->delay_ms;
            continue;
        }
        c->delay_done = false;
        mock_buf_append(&c->out, p->data.data + sg->off, sg->len);
        c->seg++;
        c->seg_in_flight = true;
        c->seg_kind = sg->kind;
        c->seg_content = sg->content;
        if (sg->kind == MOCK_SEG_HEAD && p->slow_headers_ms > 0) {
            c->wsize = 1;
            c->wgap = p->slow_headers_ms;
        } else {
            c->wsize = p->write_size;
            c->wgap = p->write_gap_ms;
        }
        c->out_break = 0;
        if (p->split_utf8 && sg->kind != MOCK_SEG_HEAD) {
            for (size_t i = 0; i + 1 < sg->len; i++) {
                unsigned char b = (unsigned char)p->data.data[sg->off + i];
                if (b >= 0xC0) {
                    c->out_break = i + 1;
                    break;
                }
            }
        }
    }
}

static void on_accept(struct server *s)
{
    for (int k = 0; k < 256; k++) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM) {
                /* Out of descriptors: pause accepting briefly rather than
                 * spin on a listening socket that stays readable. */
                if (!s->quiet) {
                    fprintf(stderr, "llmio-mock: accept: %s\n",
                            strerror(errno));
                }
                struct epoll_event ev = {.events = 0, .data.ptr = NULL};
                epoll_ctl(s->ep, EPOLL_CTL_MOD, s->lfd, &ev);
                s->accept_paused_until = s->now + 100;
            }
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (c == NULL) {
            close(fd);
            return;
        }
        c->fd = fd;
        c->heap_idx = SIZE_MAX;
        c->budget = -1;
        mock_http_parser_init(&c->parser, MAX_HEAD, s->ctx.max_body);
        c->mask = EPOLLIN | EPOLLRDHUP;
        struct epoll_event ev = {.events = c->mask, .data.ptr = c};
        if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            close(fd);
            mock_http_parser_free(&c->parser);
            free(c);
            return;
        }
        c->next = s->live;
        if (s->live) {
            s->live->prev = c;
        }
        s->live = c;
        struct mock_stats *st = &s->ctx.stats;
        st->accepted++;
        st->connections++;
        if (st->connections > st->peak_connections) {
            st->peak_connections = st->connections;
        }
    }
}

static int listen_on(struct server *s, const char *host, int port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "llmio-mock: bad --host %s: %s\n", host,
                gai_strerror(rc));
        return -1;
    }
    int fd =
        socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        perror("llmio-mock: socket");
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
        fprintf(stderr, "llmio-mock: bind %s:%d: %s\n", host, port,
                strerror(errno));
        freeaddrinfo(res);
        close(fd);
        return -1;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    int bound = ss.ss_family == AF_INET6
                    ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                    : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    s->lfd = fd;
    return bound;
}

static void raise_nofile(bool quiet)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && !quiet) {
            perror("llmio-mock: setrlimit");
        }
    }
}

int mock_server_run(const struct mock_server_opts *o)
{
    struct server s;
    memset(&s, 0, sizeof s);
    s.quiet = o->quiet;
    s.lfd = -1;
    s.sfd = -1;
    s.ep = -1;
    mock_ctx_init(&s.ctx);
    s.ctx.api_key = o->api_key;
    s.ctx.scenario_dir = o->scenario_dir;
    s.ctx.default_scenario = o->default_scenario;
    s.ctx.quiet = o->quiet;
    if (o->max_body) {
        s.ctx.max_body = o->max_body;
    }
    mock_arena_init(&s.arena);
    mock_plan_init(&s.plan);
    mock_buf_init(&s.scratch);
    int rc = 1;
    raise_nofile(o->quiet);
    signal(SIGPIPE, SIG_IGN);
    if (o->log_path) {
        s.ctx.log = fopen(o->log_path, "a");
        if (s.ctx.log == NULL) {
            fprintf(stderr, "llmio-mock: cannot open log %s: %s\n", o->log_path,
                    strerror(errno));
            goto fail;
        }
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    s.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    s.ep = epoll_create1(EPOLL_CLOEXEC);
    if (s.sfd < 0 || s.ep < 0) {
        perror("llmio-mock: epoll/signalfd");
        goto fail;
    }
    int port = listen_on(&s, o->host ? o->host : "127.0.0.1", o->port);
    if (port < 0) {
        goto fail;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(s.ep, EPOLL_CTL_ADD, s.lfd, &ev);
    ev.data.ptr = &s.sfd;
    epoll_ctl(s.ep, EPOLL_CTL_ADD, s.sfd, &ev);
    s.rbuf = mock_xmalloc(READ_CHUNK);
    /* The port is the only thing ever printed on stdout. */
    printf("%d\n", port);
    fflush(stdout);
    if (!o->quiet) {
        fprintf(stderr, "llmio-mock: listening on %s port %d\n",
                o->host ? o->host : "127.0.0.1", port);
    }
    struct epoll_event evs[512];
    while (!s.stop) {
        s.now = mono_ms();
        int timeout = -1;
        if (s.nheap > 0) {
            int64_t d = s.heap[0]->resume_at - s.now;
            timeout = d < 0 ? 0 : (int)(d > 60000 ? 60000 : d);
        }
        if (s.accept_paused_until) {
            int64_t d = s.accept_paused_until - s.now;
            if (d <= 0) {
                struct epoll_event le = {.events = EPOLLIN, .data.ptr = NULL};
                epoll_ctl(s.ep, EPOLL_CTL_MOD, s.lfd, &le);
                s.accept_paused_until = 0;
            } else if (timeout < 0 || d < timeout) {
                timeout = (int)d;
            }
        }
        int n = epoll_wait(s.ep, evs, 512, timeout);
        if (n < 0 && errno != EINTR) {
            perror("llmio-mock: epoll_wait");
            break;
        }
        s.now = mono_ms();
        for (int i = 0; i < n; i++) {
            void *ptr = evs[i].data.ptr;
            if (ptr == NULL) {
                on_accept(&s);
                continue;
            }
            if (ptr == &s.sfd) {
                struct signalfd_siginfo si;
                while (read(s.sfd, &si, sizeof si) == sizeof si) {
                    s.stop = true;
                }
                continue;
            }
            struct conn *c = ptr;
            if (c->dead) {
                continue;
            }
            uint32_t e = evs[i].events;
            if (e & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
                if ((e & (EPOLLHUP | EPOLLERR)) && !(e & EPOLLIN)) {
                    conn_close(&s, c, false);
                    continue;
                }
                on_readable(&s, c);
            }
            if ((e & EPOLLOUT) && !c->dead) {
                pump(&s, c);
            }
        }
        s.now = mono_ms();
        while (s.nheap > 0 && s.heap[0]->resume_at <= s.now) {
            struct conn *c = s.heap[0];
            timer_remove(&s, c);
            pump(&s, c);
        }
        reap(&s);
    }
    rc = 0;
fail:
    while (s.live) {
        conn_close(&s, s.live, false);
    }
    reap(&s);
    free(s.heap);
    free(s.rbuf);
    if (s.lfd >= 0) {
        close(s.lfd);
    }
    if (s.sfd >= 0) {
        close(s.sfd);
    }
    if (s.ep >= 0) {
        close(s.ep);
    }
    if (s.ctx.log) {
        fclose(s.ctx.log);
    }
    mock_plan_free(&s.plan);
    mock_buf_free(&s.scratch);
    mock_arena_free(&s.arena);
    mock_ctx_cleanup(&s.ctx);
    if (!o->quiet && rc == 0) {
        fprintf(stderr, "llmio-mock: stopped\n");
    }
    return rc;
}
