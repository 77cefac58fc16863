/* test-engine-modes.c - the three ways to drive a client: built-in run,
 * one descriptor with timeout and step under the test's own poll(), and
 * loop hooks through each adapter (poll, libuv, libevent). */
#include "engine-util.h"

#include "llmio/adapters/poll.h"

#ifdef LLMIO_HAVE_LIBUV
#include "llmio/adapters/libuv.h"
#endif
#ifdef LLMIO_HAVE_LIBEVENT
#include "llmio/adapters/libevent.h"
#endif

#include <poll.h>

#define NREQ 12

/* A batch of requests: half streamed, one that stalls into the idle
 * timeout (so the mode's timer path is exercised). */
struct batch {
    llmio_future *fs[NREQ];
    struct engine_rec recs[NREQ];
};

static void submit_batch(llmio_client *c, struct batch *b)
{
    memset(b, 0, sizeof *b);
    ASSERT_OK(llmio_client_set_timeout(c, LLMIO_TIMEOUT_IDLE,
                                       test_is_valgrind() ? 3000 : 300));
    for (int i = 0; i < NREQ; i++) {
        const char *scn =
            i == 0 ? "lorem=20;stall-after-events=1" : "text=batch reply";
        llmio_request *r = engine_request(scn, (i + 1) % 2);
        ASSERT_OK(
            llmio_submit(c, r, engine_done_cb, &b->recs[i], &b->fs[i], NULL));
        llmio_request_free(r);
    }
}

static void check_batch(struct batch *b)
{
    for (int i = 0; i < NREQ; i++) {
        ASSERT_EQ(b->recs[i].ndone, 1);
        if (i == 0) {
            ASSERT_EQ(b->recs[i].status, LLMIO_E_TIMEOUT);
        } else {
            if (b->recs[i].status != LLMIO_OK) {
                test_fail_(__FILE__, __LINE__, "request %d: %s: %s", i,
                           llmio_status_name(b->recs[i].status),
                           llmio_future_error(b->fs[i])->message);
            }
            ASSERT_STR_EQ(
                llmio_response_text(llmio_future_response(b->fs[i]), 0, NULL),
                "batch reply");
        }
        llmio_future_free(b->fs[i]);
    }
}

TEST(engine_mode_run)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_run(c, 0)); /* idle: returns at once */
    struct batch b;
    submit_batch(c, &b);
    ASSERT_OK(llmio_client_run(c, 10000));
    ASSERT_EQ(llmio_client_pending(c), 0);
    check_batch(&b);
    /* A run that times out. */
    llmio_request *r = engine_request("header-delay=3000", 0);
    llmio_future *f = NULL;
    ASSERT_OK(llmio_submit(c, r, NULL, NULL, &f, NULL));
    ASSERT_EQ(llmio_client_run(c, 50), LLMIO_E_TIMEOUT);
    llmio_future_free(f);
    llmio_request_free(r);
    /* The built-in mode excludes hooks. */
    static const llmio_loop_hooks none = {0};
    ASSERT_EQ(llmio_client_attach(c, &none, NULL), LLMIO_E_INVALID);
    llmio_poll *p = NULL;
    ASSERT_EQ(llmio_poll_attach(c, &p), LLMIO_E_STATE);
    ASSERT_NULL(p);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_mode_fd_step)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    int fd = llmio_client_fd(c);
    ASSERT_CMP(fd, >=, 0);
    ASSERT_EQ(llmio_client_fd(c), fd); /* stable */
    struct batch b;
    submit_batch(c, &b);
    int rounds = 0;
    while (llmio_client_pending(c) > 0) {
        /* Honour the timeout on odd rounds only; on even rounds rely on
         * the descriptor alone (its timerfd must wake us for timers). */
        int to = llmio_client_timeout_ms(c);
        ASSERT_CMP(to, >=, 0);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = poll(&pfd, 1, rounds % 2 ? to : 5000);
        ASSERT_CMP(n, >=, 0);
        ASSERT_OK(llmio_client_step(c));
        ASSERT_CMP(++rounds, <, 100000);
    }
    check_batch(&b);
    ASSERT_EQ(llmio_client_timeout_ms(c), -1);

    /* The idle timeout fires with nothing but the descriptor polled. */
    ASSERT_OK(llmio_client_set_timeout(c, LLMIO_TIMEOUT_IDLE, 200));
    struct engine_rec rec = {0};
    llmio_request *r = engine_request("lorem=20;stall-after-events=2", 1);
    llmio_future *f = NULL;
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
    llmio_request_free(r);
    int64_t t0 = test_now_ms();
    while (rec.ndone == 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ASSERT_CMP(poll(&pfd, 1, 5000), >, 0);
        ASSERT_OK(llmio_client_step(c));
        ASSERT_CMP(test_now_ms() - t0, <, 5000);
    }
    ASSERT_EQ(rec.status, LLMIO_E_TIMEOUT);
    llmio_future_free(f);

    static const llmio_loop_hooks none = {0};
    ASSERT_EQ(llmio_client_attach(c, &none, NULL), LLMIO_E_INVALID);
    llmio_poll *p = NULL;
    ASSERT_EQ(llmio_poll_attach(c, &p), LLMIO_E_STATE);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Drive-mode misuse once attached. */
static void check_attached_refusals(llmio_client *c)
{
    ASSERT_EQ(llmio_client_step(c), LLMIO_E_STATE);
    ASSERT_EQ(llmio_client_run(c, 0), LLMIO_E_STATE);
    ASSERT_EQ(llmio_client_fd(c), -1);
    llmio_request *r = engine_request(NULL, 0);
    llmio_future *f = NULL;
    ASSERT_EQ(llmio_chat(c, r, &f, NULL), LLMIO_E_STATE);
    ASSERT_NULL(f);
    ASSERT_OK(llmio_submit(c, r, NULL, NULL, &f, NULL));
    ASSERT_EQ(llmio_future_wait(f, 0), LLMIO_E_STATE);
    llmio_future_free(f);
    llmio_request_free(r);
}

/* A done callback that frees the client while an adapter dispatches. */
struct free_in_cb {
    llmio_client *c;
    int ndone;
};

static void free_client_cb(llmio_future *f, void *user)
{
    struct free_in_cb *x = user;
    x->ndone++;
    llmio_future_free(f);
    if (x->ndone == 1) {
        llmio_client_free(x->c);
    }
}

static void submit_two_for_free(llmio_client *c, struct free_in_cb *x)
{
    x->c = c;
    llmio_request *r = engine_request(NULL, 2); /* pull mode, never pulled */
    llmio_request *slow = engine_request("header-delay=5000", 0);
    llmio_future *f;
    ASSERT_OK(llmio_submit(c, r, free_client_cb, x, &f, NULL));
    ASSERT_OK(llmio_submit(c, slow, free_client_cb, x, &f, NULL));
    llmio_request_free(r);
    llmio_request_free(slow);
}

TEST(engine_adapter_poll)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    llmio_poll *p = NULL;
    ASSERT_OK(llmio_poll_attach(c, &p));
    llmio_poll *p2 = NULL;
    ASSERT_EQ(llmio_poll_attach(c, &p2), LLMIO_E_STATE);
    ASSERT_NULL(p2);
    check_attached_refusals(c);
    struct batch b;
    submit_batch(c, &b);
    int64_t t0 = test_now_ms();
    while (llmio_client_pending(c) > 0) {
        ASSERT_CMP(llmio_poll_tick(p, 1000), >=, 0);
        ASSERT_CMP(test_now_ms() - t0, <, 10000);
    }
    check_batch(&b);
    llmio_client_free(c); /* frees the adapter */

    /* The client freed from a callback the adapter is dispatching. */
    c = engine_client(&m);
    ASSERT_OK(llmio_poll_attach(c, &p));
    struct free_in_cb x = {0};
    submit_two_for_free(c, &x);
    while (x.ndone == 0) {
        ASSERT_CMP(llmio_poll_tick(p, 1000), >=, 0);
    }
    ASSERT_EQ(x.ndone, 2); /* the second was cancelled by the free */
    test_mock_stop(&m);
}

#ifdef LLMIO_HAVE_LIBUV
TEST(engine_adapter_libuv)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    uv_loop_t loop;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_libuv_attach(c, &loop));
    ASSERT_EQ(llmio_libuv_attach(c, &loop), LLMIO_E_STATE);
    check_attached_refusals(c);
    struct batch b;
    submit_batch(c, &b);
    /* uv_run returns by itself once nothing is pending. */
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(llmio_client_pending(c), 0);
    check_batch(&b);
    llmio_client_free(c);

    c = engine_client(&m);
    ASSERT_OK(llmio_libuv_attach(c, &loop));
    struct free_in_cb x = {0};
    submit_two_for_free(c, &x);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(x.ndone, 2);
    uv_run(&loop, UV_RUN_DEFAULT); /* the close callbacks */
    ASSERT_EQ(uv_loop_close(&loop), 0);
    test_mock_stop(&m);
}
#endif

#ifdef LLMIO_HAVE_LIBEVENT
TEST(engine_adapter_libevent)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct event_base *base = event_base_new();
    ASSERT_NOT_NULL(base);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_libevent_attach(c, base));
    ASSERT_EQ(llmio_libevent_attach(c, base), LLMIO_E_STATE);
    check_attached_refusals(c);
    struct batch b;
    submit_batch(c, &b);
    int64_t t0 = test_now_ms();
    while (llmio_client_pending(c) > 0) {
        ASSERT_CMP(event_base_loop(base, EVLOOP_ONCE), >=, 0);
        ASSERT_CMP(test_now_ms() - t0, <, 10000);
    }
    check_batch(&b);
    llmio_client_free(c);

    c = engine_client(&m);
    ASSERT_OK(llmio_libevent_attach(c, base));
    struct free_in_cb x = {0};
    submit_two_for_free(c, &x);
    while (x.ndone == 0) {
        ASSERT_CMP(event_base_loop(base, EVLOOP_ONCE), >=, 0);
    }
    ASSERT_EQ(x.ndone, 2);
    event_base_free(base);
    test_mock_stop(&m);
}
#endif
