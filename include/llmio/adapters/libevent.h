/*
 * llmio/adapters/libevent.h - drive an llmio_client from a libevent base.
 *
 * Header-only: static functions plus llmio_libevent_attach(). One
 * persistent struct event per watched descriptor and one timer event
 * implement the client's loop hooks (hiredis' adapters/libevent.h).
 *
 *     llmio_libevent_attach(client, base);
 *     ... submit requests ...
 *     while (llmio_client_pending(client) > 0)
 *         event_base_loop(base, EVLOOP_ONCE);
 *     llmio_client_free(client);               // releases the adapter
 *
 * The client's wakeup descriptor stays registered for the client's life,
 * so event_base_dispatch() does not return on its own while the client
 * is attached; loop on llmio_client_pending() as above, or break the loop
 * from a done callback. The adapter belongs to the client and is released
 * when the client is freed; if that happens inside a callback the adapter
 * is dispatching, its memory is released once that dispatch returns.
 * A second attach to the same client is refused (LLMIO_E_STATE).
 */
#ifndef LLMIO_ADAPTERS_LIBEVENT_H
#define LLMIO_ADAPTERS_LIBEVENT_H

#include "../../llmio.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

typedef struct llmio_libevent {
    llmio_client *client;
    struct event_base *base;
    struct event *timer;
    struct event **fds; /* indexed by descriptor */
    int *fd_events;     /* LLMIO_POLL_* currently registered */
    size_t cap;
    int dispatching;
    int dead;
} llmio_libevent;

static void llmio_libevent__maybe_free(llmio_libevent *a)
{
    if (a->dead && a->dispatching == 0) {
        free(a->fds);
        free(a->fd_events);
        free(a);
    }
}

static void llmio_libevent__on_fd(evutil_socket_t fd, short what, void *arg)
{
    llmio_libevent *a = (llmio_libevent *)arg;
    if (a->dead) {
        return;
    }
    int ev = ((what & EV_READ) ? LLMIO_POLL_IN : 0) |
             ((what & EV_WRITE) ? LLMIO_POLL_OUT : 0);
    a->dispatching++;
    llmio_client_on_fd(a->client, (int)fd, ev);
    a->dispatching--;
    llmio_libevent__maybe_free(a);
}

static void llmio_libevent__on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    llmio_libevent *a = (llmio_libevent *)arg;
    if (a->dead) {
        return;
    }
    a->dispatching++;
    llmio_client_on_timer(a->client);
    a->dispatching--;
    llmio_libevent__maybe_free(a);
}

static void llmio_libevent__watch(void *user, int fd, int events)
{
    llmio_libevent *a = (llmio_libevent *)user;
    if (fd < 0) {
        return;
    }
    if ((size_t)fd >= a->cap) {
        if (events == LLMIO_POLL_NONE) {
            return;
        }
        size_t cap = a->cap ? a->cap : 64;
        while (cap <= (size_t)fd) {
            cap *= 2;
        }
        struct event **n = (struct event **)realloc(a->fds, cap * sizeof *n);
        if (n == NULL) {
            return;
        }
        a->fds = n;
        int *e = (int *)realloc(a->fd_events, cap * sizeof *e);
        if (e == NULL) {
            return;
        }
        a->fd_events = e;
        memset(n + a->cap, 0, (cap - a->cap) * sizeof *n);
        memset(e + a->cap, 0, (cap - a->cap) * sizeof *e);
        a->cap = cap;
    }
    struct event *old = a->fds[fd];
    if (old != NULL && a->fd_events[fd] == events) {
        return;
    }
    if (old != NULL) {
        event_free(old); /* deletes it too; safe while it is active */
        a->fds[fd] = NULL;
        a->fd_events[fd] = 0;
    }
    if (events == LLMIO_POLL_NONE) {
        return;
    }
    short what = (short)(EV_PERSIST | ((events & LLMIO_POLL_IN) ? EV_READ : 0) |
                         ((events & LLMIO_POLL_OUT) ? EV_WRITE : 0));
    struct event *ev = event_new(a->base, fd, what, llmio_libevent__on_fd, a);
    if (ev == NULL) {
        return;
    }
    event_add(ev, NULL);
    a->fds[fd] = ev;
    a->fd_events[fd] = events;
}

static void llmio_libevent__set_timer(void *user, int64_t ms)
{
    llmio_libevent *a = (llmio_libevent *)user;
    if (ms < 0) {
        evtimer_del(a->timer);
        return;
    }
    struct timeval tv;
    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
    evtimer_add(a->timer, &tv);
}

static void llmio_libevent__cleanup(void *user)
{
    llmio_libevent *a = (llmio_libevent *)user;
    for (size_t i = 0; i < a->cap; i++) {
        if (a->fds[i] != NULL) {
            event_free(a->fds[i]);
            a->fds[i] = NULL;
        }
    }
    event_free(a->timer);
    a->timer = NULL;
    a->client = NULL;
    a->dead = 1;
    llmio_libevent__maybe_free(a);
}

/*
 * llmio_libevent_attach - drive C from BASE.
 * Returns LLMIO_OK; LLMIO_E_STATE when C is already attached or driven
 * another way; LLMIO_E_NOMEM.
 */
static llmio_status llmio_libevent_attach(llmio_client *c,
                                          struct event_base *base)
{
    static const llmio_loop_hooks hooks = {llmio_libevent__watch,
                                           llmio_libevent__set_timer,
                                           llmio_libevent__cleanup,
                                           {NULL, NULL, NULL, NULL}};
    llmio_libevent *a = (llmio_libevent *)calloc(1, sizeof *a);
    if (a == NULL) {
        return LLMIO_E_NOMEM;
    }
    a->client = c;
    a->base = base;
    a->timer = evtimer_new(base, llmio_libevent__on_timer, a);
    if (a->timer == NULL) {
        free(a);
        return LLMIO_E_NOMEM;
    }
    llmio_status st = llmio_client_attach(c, &hooks, a);
    if (st != LLMIO_OK) {
        event_free(a->timer);
        free(a->fds);
        free(a->fd_events);
        free(a);
        return st;
    }
    return LLMIO_OK;
}

#endif
