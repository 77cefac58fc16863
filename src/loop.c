/*
 * loop.c - the three ways to drive a client (STYLE 6.3) on one engine:
 * the built-in wait, one pollable descriptor with timeout and step, and
 * foreign-loop hooks.
 *
 * Invariants:
 *  - The mode is fixed by first use: attach selects HOOKS; any of wait,
 *    run, step, fd or timeout_ms selects EPOLL. The built-in wait and the
 *    descriptor share the same epoll set, so mixing those two is harmless;
 *    mixing either with hooks is LLMIO_E_STATE.
 *  - Driving from inside a callback is LLMIO_E_STATE (curl's recursive
 *    API call rule); a client free requested inside a callback runs when
 *    the outermost drive call leaves.
 *  - The epoll set holds the transfer sockets, the eventfd (wakeup and
 *    deferred work) and, once llmio_client_fd() was called, a timerfd
 *    kept armed to the next deadline so a loop that only polls the
 *    descriptor still wakes for timers.
 *  - llmio_client_wakeup only writes the eventfd, which is what makes it
 *    safe from any thread.
 * Owns: the epoll, eventfd and timerfd descriptors.
 */
#include "client.h"
#include "route.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256

int64_t llmio__mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t llmio__clock_update(struct llmio_client *c)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->wall_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    c->now_ms = llmio__mono_ms();
    return c->now_ms;
}

llmio_status llmio__loop_init(struct llmio_client *c)
{
    struct llmio__loop *l = &c->loop;
    l->epfd = -1;
    l->tfd = -1;
    l->tfd_due_ms = -1;
    l->hooks_due_ms = -1;
    l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return l->evfd >= 0 ? LLMIO_OK : LLMIO_E_NOMEM;
}

void llmio__loop_cleanup(struct llmio_client *c)
{
    struct llmio__loop *l = &c->loop;
    if (l->mode == LLMIO__MODE_HOOKS) {
        if (l->evfd >= 0) {
            l->hooks.watch(l->hooks_user, l->evfd, LLMIO_POLL_NONE);
        }
        l->hooks.set_timer(l->hooks_user, -1);
        if (l->hooks.cleanup != NULL) {
            l->hooks.cleanup(l->hooks_user);
        }
    }
    if (l->tfd >= 0) {
        close(l->tfd);
        l->tfd = -1;
    }
    if (l->epfd >= 0) {
        close(l->epfd);
        l->epfd = -1;
    }
    if (l->evfd >= 0) {
        close(l->evfd);
        l->evfd = -1;
    }
}

/* Selects the EPOLL mode, creating the epoll set on first use. */
static llmio_status use_epoll(struct llmio_client *c)
{
    struct llmio__loop *l = &c->loop;
    if (l->mode == LLMIO__MODE_HOOKS) {
        return LLMIO_E_STATE;
    }
    if (l->epfd >= 0) {
        return LLMIO_OK;
    }
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        return LLMIO_E_NOMEM;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = l->evfd};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->evfd, &ev) != 0) {
        close(l->epfd);
        l->epfd = -1;
        return LLMIO_E_NOMEM;
    }
    l->mode = LLMIO__MODE_EPOLL;
    return LLMIO_OK;
}

int llmio__loop_watch(struct llmio_client *c, int fd, int events, bool known)
{
    struct llmio__loop *l = &c->loop;
    if (l->mode == LLMIO__MODE_HOOKS) {
        l->hooks.watch(l->hooks_user, fd, events);
        return 0;
    }
    if (l->epfd < 0) {
        return events == LLMIO_POLL_NONE ? 0 : -1;
    }
    if (events == LLMIO_POLL_NONE) {
        /* The socket may already be closed (EBADF) or never added. */
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
        return 0;
    }
    struct epoll_event ev = {.events = 0, .data.fd = fd};
    if (events & LLMIO_POLL_IN) {
        ev.events |= EPOLLIN;
    }
    if (events & LLMIO_POLL_OUT) {
        ev.events |= EPOLLOUT;
    }
    /* KNOWN saves the failing first try on every new or reused socket:
     * one epoll_ctl per change instead of two. */
    int op = known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(l->epfd, op, fd, &ev) == 0) {
        return 0;
    }
    if (errno == ENOENT && epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == 0) {
        return 0;
    }
    if (errno == EEXIST && epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) == 0) {
        return 0;
    }
    return -1;
}

/* The absolute time the client next needs to run: now when callbacks or
 * deferred work are waiting, else the engine's next deadline. */
static int64_t next_due(struct llmio_client *c)
{
    if (c->ready_head != NULL || llmio__engine_has_deferred(c)) {
        return 0;
    }
    int64_t due = llmio__engine_next_due(c);
    int64_t hedge = llmio__route_next_due(c); /* hedged requests */
    return hedge >= 0 && (due < 0 || hedge < due) ? hedge : due;
}

static void arm_timerfd(struct llmio_client *c, int64_t due)
{
    struct llmio__loop *l = &c->loop;
    if (due == l->tfd_due_ms) {
        return;
    }
    l->tfd_due_ms = due;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    if (due >= 0) {
        /* An all-zero value would disarm; a due time already past makes
         * the descriptor readable at once, which is the point. */
        int64_t at = due > 0 ? due : 1;
        its.it_value.tv_sec = at / 1000;
        its.it_value.tv_nsec = (long)(at % 1000) * 1000000;
        if (due == 0) {
            its.it_value.tv_sec = 0;
            its.it_value.tv_nsec = 1;
        }
    }
    timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void llmio__loop_update_timer(struct llmio_client *c)
{
    struct llmio__loop *l = &c->loop;
    if (l->mode == LLMIO__MODE_HOOKS) {
        int64_t due = next_due(c);
        if (due == l->hooks_due_ms && due != 0) {
            return;
        }
        l->hooks_due_ms = due;
        int64_t ms = -1;
        if (due >= 0) {
            ms = due - llmio__mono_ms();
            ms = ms < 0 ? 0 : ms;
        }
        l->hooks.set_timer(l->hooks_user, ms);
    } else if (l->mode == LLMIO__MODE_EPOLL && l->fd_mode && l->tfd >= 0) {
        arm_timerfd(c, next_due(c));
    }
}

void llmio__loop_kick(struct llmio_client *c)
{
    if (c->driving > 0) {
        return; /* the running dispatch picks the work up */
    }
    llmio__loop_update_timer(c);
}

llmio_status llmio__loop_enter(struct llmio_client *c, bool hooks)
{
    if (c->in_callback > 0 || c->freeing) {
        return LLMIO_E_STATE;
    }
    if (hooks) {
        if (c->loop.mode != LLMIO__MODE_HOOKS) {
            return LLMIO_E_STATE;
        }
    } else {
        llmio_status st = use_epoll(c);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    c->driving++;
    llmio__clock_update(c);
    return LLMIO_OK;
}

bool llmio__loop_leave(struct llmio_client *c)
{
    c->driving--;
    if (c->driving > 0) {
        return false;
    }
    if (c->free_pending) {
        llmio__client_destroy(c);
        return true;
    }
    llmio__loop_update_timer(c);
    return false;
}

static void drain(int fd)
{
    uint64_t v;
    while (read(fd, &v, sizeof v) > 0) {
    }
}

/* Handles due timers, finished transfers and queued callbacks: the tail
 * of every dispatch, whichever mode it came from. */
static void finish_round(struct llmio_client *c)
{
    /* A second pass when the first left work due at once and at most one
     * request is pending: libcurl asks for a timeout of 0 to start each
     * request submitted from a done callback, and starting a lone one
     * here saves a zero-timeout epoll_wait (or an external loop's timer)
     * and a loop iteration. With more in flight the wait gathers other
     * replies into the same round instead (measured: a second pass for
     * every round cost ~2k instructions per request at c64). */
    for (int pass = 0; pass < 2; pass++) {
        llmio__route_on_timer(c);
        llmio__engine_on_timer(c);
        llmio__engine_harvest(c);
        llmio__client_run_ready(c);
        /* Submits from done callbacks may have queued starts. */
        if (llmio__engine_has_deferred(c)) {
            llmio__engine_harvest(c);
        }
        if (c->npending > 1) {
            break;
        }
        int64_t due = llmio__engine_next_due(c);
        if (due < 0 || due > llmio__mono_ms()) {
            break;
        }
    }
}

bool llmio__loop_run_once(struct llmio_client *c, int timeout_ms)
{
    struct llmio__loop *l = &c->loop;
    llmio__clock_update(c);
    int64_t due = next_due(c);
    int wait_ms = timeout_ms;
    if (due >= 0) {
        int64_t d = due == 0 ? 0 : due - c->now_ms;
        d = d < 0 ? 0 : d;
        if (wait_ms < 0 || d < wait_ms) {
            wait_ms = (int)d;
        }
    }
    struct epoll_event evs[MAX_EVENTS];
    int n = epoll_wait(l->epfd, evs, MAX_EVENTS, wait_ms);
    llmio__clock_update(c);
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if (fd == l->evfd) {
            drain(fd);
            continue;
        }
        if (fd == l->tfd) {
            drain(fd);
            l->tfd_due_ms = -1;
            continue;
        }
        int events = 0;
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) {
            events |= LLMIO_POLL_IN;
        }
        if (evs[i].events & EPOLLOUT) {
            events |= LLMIO_POLL_OUT;
        }
        if (evs[i].events & EPOLLERR) {
            events |= LLMIO_POLL_IN | LLMIO_POLL_OUT;
        }
        llmio__engine_on_socket(c, fd, events);
    }
    finish_round(c);
    return c->free_pending;
}

/* ---- public ------------------------------------------------------------ */

LLMIO_API llmio_status llmio_client_run(llmio_client *c, int timeout_ms)
{
    if (c == NULL) {
        return LLMIO_E_INVALID;
    }
    llmio_status st = llmio__loop_enter(c, false);
    if (st != LLMIO_OK) {
        return st;
    }
    int64_t deadline =
        timeout_ms < 0 ? -1 : llmio__mono_ms() + (int64_t)timeout_ms;
    while (c->npending > 0) {
        int ms = -1;
        if (deadline >= 0) {
            int64_t left = deadline - llmio__mono_ms();
            ms = left <= 0 ? 0 : (left > 1000000 ? 1000000 : (int)left);
        }
        if (llmio__loop_run_once(c, ms)) {
            llmio__loop_leave(c);
            return LLMIO_OK;
        }
        if (ms == 0 && c->npending > 0) {
            st = LLMIO_E_TIMEOUT;
            break;
        }
    }
    llmio__loop_leave(c);
    return st;
}

LLMIO_API llmio_status llmio_client_step(llmio_client *c)
{
    if (c == NULL) {
        return LLMIO_E_INVALID;
    }
    llmio_status st = llmio__loop_enter(c, false);
    if (st != LLMIO_OK) {
        return st;
    }
    llmio__loop_run_once(c, 0);
    llmio__loop_leave(c);
    return LLMIO_OK;
}

LLMIO_API int llmio_client_fd(llmio_client *c)
{
    if (c == NULL || use_epoll(c) != LLMIO_OK) {
        return -1;
    }
    struct llmio__loop *l = &c->loop;
    if (l->tfd < 0) {
        l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (l->tfd < 0) {
            return -1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = l->tfd};
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->tfd, &ev) != 0) {
            close(l->tfd);
            l->tfd = -1;
            return -1;
        }
        l->tfd_due_ms = -1;
    }
    l->fd_mode = true;
    llmio__loop_update_timer(c);
    return l->epfd;
}

LLMIO_API int llmio_client_timeout_ms(llmio_client *c)
{
    if (c == NULL || use_epoll(c) != LLMIO_OK) {
        return -1;
    }
    int64_t due = next_due(c);
    if (due < 0) {
        return -1;
    }
    if (due == 0) {
        return 0;
    }
    int64_t left = due - llmio__mono_ms();
    if (left <= 0) {
        return 0;
    }
    return left > INT32_MAX ? INT32_MAX : (int)left;
}

LLMIO_API void llmio_client_wakeup(llmio_client *c)
{
    if (c == NULL || c->loop.evfd < 0) {
        return;
    }
    uint64_t one = 1;
    /* EAGAIN means the counter is saturated: already readable. */
    ssize_t r = write(c->loop.evfd, &one, sizeof one);
    (void)r;
}

LLMIO_API llmio_status llmio_client_attach(llmio_client *c,
                                           const llmio_loop_hooks *hooks,
                                           void *user)
{
    if (c == NULL || hooks == NULL || hooks->watch == NULL ||
        hooks->set_timer == NULL) {
        return LLMIO_E_INVALID;
    }
    if (c->loop.mode != LLMIO__MODE_NONE || c->in_callback > 0 || c->freeing) {
        return LLMIO_E_STATE;
    }
    struct llmio__loop *l = &c->loop;
    l->mode = LLMIO__MODE_HOOKS;
    l->hooks = *hooks;
    l->hooks_user = user;
    l->hooks_due_ms = -1;
    /* The wakeup descriptor works in this mode too: the loop watches it
     * and reports it through llmio_client_on_fd. */
    l->hooks.watch(user, l->evfd, LLMIO_POLL_IN);
    llmio__loop_update_timer(c);
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_client_on_fd(llmio_client *c, int fd, int events)
{
    if (c == NULL) {
        return LLMIO_E_INVALID;
    }
    llmio_status st = llmio__loop_enter(c, true);
    if (st != LLMIO_OK) {
        return st;
    }
    if (fd == c->loop.evfd) {
        drain(fd);
    } else {
        llmio__engine_on_socket(c, fd, events);
    }
    finish_round(c);
    llmio__loop_leave(c);
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_client_on_timer(llmio_client *c)
{
    if (c == NULL) {
        return LLMIO_E_INVALID;
    }
    llmio_status st = llmio__loop_enter(c, true);
    if (st != LLMIO_OK) {
        return st;
    }
    c->loop.hooks_due_ms = -1; /* the loop's timer fired: it is unarmed */
    finish_round(c);
    llmio__loop_leave(c);
    return LLMIO_OK;
}
