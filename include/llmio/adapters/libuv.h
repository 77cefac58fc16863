/*
 * llmio/adapters/libuv.h - drive an llmio_client from a libuv loop.
 *
 * Header-only: static functions plus llmio_libuv_attach(). One uv_poll_t
 * per watched descriptor and one uv_timer_t implement the client's loop
 * hooks (as libcurl's docs/examples/multi-uv.c does for a multi handle).
 *
 *     llmio_libuv_attach(client, uv_default_loop());
 *     ... submit requests ...
 *     uv_run(uv_default_loop(), UV_RUN_DEFAULT);  // returns when idle
 *
 * The client's wakeup descriptor is watched with an unreferenced handle,
 * so it never keeps uv_run() alive by itself.
 *     llmio_client_free(client);                  // releases the adapter
 *
 * The adapter belongs to the client and is released when the client is
 * freed: its handles are closed (their memory goes in the close
 * callbacks, so run the loop once more if it must end with no handles),
 * and if the free happens inside a callback the adapter is dispatching,
 * the adapter's own memory is released once that dispatch returns.
 * A second attach to the same client is refused (LLMIO_E_STATE).
 */
#ifndef LLMIO_ADAPTERS_LIBUV_H
#define LLMIO_ADAPTERS_LIBUV_H

#include "../../llmio.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct llmio_libuv llmio_libuv;

typedef struct llmio_libuv__fd {
    uv_poll_t poll; /* first: the handle's address is the struct's */
    llmio_libuv *a;
    int fd;
} llmio_libuv__fd;

struct llmio_libuv {
    llmio_client *client;
    uv_loop_t *loop;
    uv_timer_t *timer;
    llmio_libuv__fd **fds; /* indexed by descriptor */
    size_t cap;
    int dispatching;
    int dead;
    int attaching;
};

static void llmio_libuv__free_handle(uv_handle_t *h)
{
    free(h);
}

static void llmio_libuv__maybe_free(llmio_libuv *a)
{
    if (a->dead && a->dispatching == 0) {
        free(a->fds);
        free(a);
    }
}

static void llmio_libuv__on_poll(uv_poll_t *h, int status, int events)
{
    llmio_libuv__fd *w = (llmio_libuv__fd *)h->data;
    llmio_libuv *a = w->a;
    if (a->dead) {
        return;
    }
    int ev = ((events & UV_READABLE) ? LLMIO_POLL_IN : 0) |
             ((events & UV_WRITABLE) ? LLMIO_POLL_OUT : 0);
    if (status < 0) {
        ev = LLMIO_POLL_IN | LLMIO_POLL_OUT; /* let libcurl find the error */
    }
    a->dispatching++;
    llmio_client_on_fd(a->client, w->fd, ev);
    a->dispatching--;
    llmio_libuv__maybe_free(a);
}

static void llmio_libuv__on_timer(uv_timer_t *t)
{
    llmio_libuv *a = (llmio_libuv *)t->data;
    if (a->dead) {
        return;
    }
    a->dispatching++;
    llmio_client_on_timer(a->client);
    a->dispatching--;
    llmio_libuv__maybe_free(a);
}

static void llmio_libuv__stop_fd(llmio_libuv *a, int fd)
{
    llmio_libuv__fd *w = a->fds[fd];
    a->fds[fd] = NULL;
    uv_poll_stop(&w->poll);
    uv_close((uv_handle_t *)&w->poll, llmio_libuv__free_handle);
}

static void llmio_libuv__watch(void *user, int fd, int events)
{
    llmio_libuv *a = (llmio_libuv *)user;
    if (fd < 0) {
        return;
    }
    if (events == LLMIO_POLL_NONE) {
        if ((size_t)fd < a->cap && a->fds[fd] != NULL) {
            llmio_libuv__stop_fd(a, fd);
        }
        return;
    }
    if ((size_t)fd >= a->cap) {
        size_t cap = a->cap ? a->cap : 64;
        while (cap <= (size_t)fd) {
            cap *= 2;
        }
        llmio_libuv__fd **n =
            (llmio_libuv__fd **)realloc(a->fds, cap * sizeof *n);
        if (n == NULL) {
            return;
        }
        memset(n + a->cap, 0, (cap - a->cap) * sizeof *n);
        a->fds = n;
        a->cap = cap;
    }
    llmio_libuv__fd *w = a->fds[fd];
    if (w == NULL) {
        w = (llmio_libuv__fd *)calloc(1, sizeof *w);
        if (w == NULL) {
            return;
        }
        if (uv_poll_init_socket(a->loop, &w->poll, fd) != 0) {
            free(w);
            return;
        }
        w->poll.data = w;
        w->a = a;
        w->fd = fd;
        a->fds[fd] = w;
        if (a->attaching) {
            /* The client's wakeup descriptor, watched for the client's
             * whole life: it must not keep uv_run from returning. */
            uv_unref((uv_handle_t *)&w->poll);
        }
    }
    int flags = ((events & LLMIO_POLL_IN) ? UV_READABLE : 0) |
                ((events & LLMIO_POLL_OUT) ? UV_WRITABLE : 0);
    uv_poll_start(&w->poll, flags, llmio_libuv__on_poll);
}

static void llmio_libuv__set_timer(void *user, int64_t ms)
{
    llmio_libuv *a = (llmio_libuv *)user;
    if (ms < 0) {
        uv_timer_stop(a->timer);
    } else {
        uv_timer_start(a->timer, llmio_libuv__on_timer, (uint64_t)ms, 0);
    }
}

static void llmio_libuv__cleanup(void *user)
{
    llmio_libuv *a = (llmio_libuv *)user;
    for (size_t i = 0; i < a->cap; i++) {
        if (a->fds[i] != NULL) {
            llmio_libuv__stop_fd(a, (int)i);
        }
    }
    uv_timer_stop(a->timer);
    uv_close((uv_handle_t *)a->timer, llmio_libuv__free_handle);
    a->timer = NULL;
    a->client = NULL;
    a->dead = 1;
    llmio_libuv__maybe_free(a);
}

/*
 * llmio_libuv_attach - drive C from LOOP.
 * Returns LLMIO_OK; LLMIO_E_STATE when C is already attached or driven
 * another way; LLMIO_E_NOMEM.
 */
static llmio_status llmio_libuv_attach(llmio_client *c, uv_loop_t *loop)
{
    static const llmio_loop_hooks hooks = {llmio_libuv__watch,
                                           llmio_libuv__set_timer,
                                           llmio_libuv__cleanup,
                                           {NULL, NULL, NULL, NULL}};
    llmio_libuv *a = (llmio_libuv *)calloc(1, sizeof *a);
    uv_timer_t *t = (uv_timer_t *)calloc(1, sizeof *t);
    if (a == NULL || t == NULL) {
        free(a);
        free(t);
        return LLMIO_E_NOMEM;
    }
    a->client = c;
    a->loop = loop;
    a->timer = t;
    uv_timer_init(loop, t);
    t->data = a;
    a->attaching = 1;
    llmio_status st = llmio_client_attach(c, &hooks, a);
    a->attaching = 0;
    if (st != LLMIO_OK) {
        uv_close((uv_handle_t *)t, llmio_libuv__free_handle);
        free(a->fds);
        free(a);
        return st;
    }
    return LLMIO_OK;
}

#endif
