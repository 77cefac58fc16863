/*
 * llmio/adapters/poll.h - drive an llmio_client from a plain poll() loop.
 *
 * Header-only: static functions plus llmio_poll_attach(). The adapter keeps
 * the descriptors the client asks to watch and its one timer; each
 * llmio_poll_tick() waits in poll() and reports what happened through
 * llmio_client_on_fd() / llmio_client_on_timer(). The pattern is hiredis'
 * adapters/poll.h.
 *
 *     llmio_poll *p;
 *     llmio_poll_attach(client, &p);           // once per client
 *     while (llmio_client_pending(client) > 0)
 *         llmio_poll_tick(p, 1000);
 *     llmio_client_free(client);               // also frees P
 *
 * The adapter is owned by the client: it is released when the client is
 * freed (the hooks' cleanup). If that happens inside a callback that the
 * adapter is dispatching, the release waits until the dispatch returns.
 */
#ifndef LLMIO_ADAPTERS_POLL_H
#define LLMIO_ADAPTERS_POLL_H

#include "../../llmio.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct llmio_poll {
    llmio_client *client;
    struct pollfd *fds;
    size_t nfds, cap;
    long long timer_due_ms; /* monotonic; -1 when unarmed */
    int dispatching;
    int dead; /* the client detached: stop dispatching, free when idle */
} llmio_poll;

static long long llmio_poll__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void llmio_poll__watch(void *user, int fd, int events)
{
    llmio_poll *p = (llmio_poll *)user;
    size_t i;
    for (i = 0; i < p->nfds; i++) {
        if (p->fds[i].fd == fd) {
            break;
        }
    }
    if (events == LLMIO_POLL_NONE) {
        if (i < p->nfds) {
            p->fds[i] = p->fds[--p->nfds];
        }
        return;
    }
    if (i == p->nfds) {
        if (p->nfds == p->cap) {
            size_t cap = p->cap ? p->cap * 2 : 16;
            struct pollfd *n =
                (struct pollfd *)realloc(p->fds, cap * sizeof *n);
            if (n == NULL) {
                return; /* the transfer then times out; nothing better */
            }
            p->fds = n;
            p->cap = cap;
        }
        p->nfds++;
        p->fds[i].fd = fd;
    }
    p->fds[i].events = (short)(((events & LLMIO_POLL_IN) ? POLLIN : 0) |
                               ((events & LLMIO_POLL_OUT) ? POLLOUT : 0));
    p->fds[i].revents = 0;
}

static void llmio_poll__set_timer(void *user, int64_t ms)
{
    llmio_poll *p = (llmio_poll *)user;
    p->timer_due_ms = ms < 0 ? -1 : llmio_poll__now_ms() + (long long)ms;
}

static void llmio_poll__free(llmio_poll *p)
{
    free(p->fds);
    free(p);
}

static void llmio_poll__cleanup(void *user)
{
    llmio_poll *p = (llmio_poll *)user;
    p->dead = 1;
    p->client = NULL;
    if (p->dispatching == 0) {
        llmio_poll__free(p);
    }
}

/*
 * llmio_poll_attach - attach a new poll adapter to C.
 * Returns LLMIO_OK with *OUT set; LLMIO_E_STATE when C is already attached
 * or already driven another way (a second attach is refused);
 * LLMIO_E_NOMEM.
 */
static llmio_status llmio_poll_attach(llmio_client *c, llmio_poll **out)
{
    static const llmio_loop_hooks hooks = {llmio_poll__watch,
                                           llmio_poll__set_timer,
                                           llmio_poll__cleanup,
                                           {NULL, NULL, NULL, NULL}};
    *out = NULL;
    llmio_poll *p = (llmio_poll *)calloc(1, sizeof *p);
    if (p == NULL) {
        return LLMIO_E_NOMEM;
    }
    p->client = c;
    p->timer_due_ms = -1;
    llmio_status st = llmio_client_attach(c, &hooks, p);
    if (st != LLMIO_OK) {
        llmio_poll__free(p);
        return st;
    }
    *out = p;
    return LLMIO_OK;
}

/*
 * llmio_poll_tick - wait up to TIMEOUT_MS (-1: until something happens)
 * for the client's descriptors or timer, then dispatch. Callbacks run
 * inside. Returns the number of events dispatched, or -1 if poll() failed.
 * If the client was freed during the tick, P is freed too: do not use it
 * after llmio_client_free().
 */
static int llmio_poll_tick(llmio_poll *p, int timeout_ms)
{
    long long now = llmio_poll__now_ms();
    int wait = timeout_ms;
    if (p->timer_due_ms >= 0) {
        long long left = p->timer_due_ms - now;
        left = left < 0 ? 0 : left;
        if (wait < 0 || left < wait) {
            wait = (int)left;
        }
    }
    int n = poll(p->fds, (nfds_t)p->nfds, wait);
    if (n < 0) {
        return -1;
    }
    int dispatched = 0;
    p->dispatching++;
    /* Dispatching may change the set, so work from a snapshot. */
    size_t nready = 0;
    struct pollfd ready[64];
    for (size_t i = 0; i < p->nfds && nready < 64; i++) {
        if (p->fds[i].revents != 0) {
            ready[nready++] = p->fds[i];
            p->fds[i].revents = 0;
        }
    }
    for (size_t i = 0; i < nready && !p->dead; i++) {
        short r = ready[i].revents;
        int ev = ((r & (POLLIN | POLLHUP)) ? LLMIO_POLL_IN : 0) |
                 ((r & POLLOUT) ? LLMIO_POLL_OUT : 0);
        if (r & (POLLERR | POLLNVAL)) {
            ev = LLMIO_POLL_IN | LLMIO_POLL_OUT;
        }
        llmio_client_on_fd(p->client, ready[i].fd, ev);
        dispatched++;
    }
    if (!p->dead && p->timer_due_ms >= 0 &&
        p->timer_due_ms <= llmio_poll__now_ms()) {
        p->timer_due_ms = -1;
        llmio_client_on_timer(p->client);
        dispatched++;
    }
    p->dispatching--;
    if (p->dead && p->dispatching == 0) {
        llmio_poll__free(p);
    }
    return dispatched;
}

#endif
