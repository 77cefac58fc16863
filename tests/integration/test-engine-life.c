/* test-engine-life.c - timeouts, cancellation, client free with requests
 * pending, 1000 concurrent requests, waits, and what callbacks may do. */
#include "engine-util.h"

#include <poll.h>
#include <pthread.h>
#include <unistd.h>

TEST(engine_idle_timeout)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_timeout(c, LLMIO_TIMEOUT_IDLE, 300));
    for (int stream = 0; stream <= 2; stream++) {
        struct engine_rec rec = {0};
        /* A body that stops after its first bytes, a stream that stalls
         * after two events (callback and pull mode). */
        llmio_request *r =
            engine_request(stream == 0 ? "lorem=50;write-size=40;write-gap=3000"
                                       : "lorem=50;stall-after-events=2",
                           stream);
        llmio_future *f = NULL;
        int64_t t0 = test_now_ms();
        ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
        llmio_request_free(r);
        ASSERT_OK(llmio_future_wait(f, 10000));
        int64_t took = test_now_ms() - t0;
        ASSERT_EQ(llmio_future_status(f), LLMIO_E_TIMEOUT);
        ASSERT_CONTAINS(llmio_future_error(f)->message, "idle");
        ASSERT_EQ(llmio_future_error(f)->http_status, 200);
        ASSERT_CMP(took, >=, 290);
        ASSERT_CMP(took, <, test_is_valgrind() ? 5000 : 2000);
        ASSERT_EQ(rec.ndone, 1);
        llmio_future_free(f);
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_first_byte_timeout)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_timeout(c, LLMIO_TIMEOUT_FIRST_BYTE, 300));
    for (int stream = 0; stream <= 1; stream++) {
        struct engine_rec rec = {0};
        llmio_request *r = engine_request("header-delay=3000", stream);
        llmio_future *f = NULL;
        int64_t t0 = test_now_ms();
        ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
        llmio_request_free(r);
        ASSERT_OK(llmio_future_wait(f, 10000));
        int64_t took = test_now_ms() - t0;
        ASSERT_EQ(llmio_future_status(f), LLMIO_E_TIMEOUT);
        ASSERT_CONTAINS(llmio_future_error(f)->message, "first-byte");
        ASSERT_EQ(llmio_future_error(f)->http_status, 0);
        ASSERT_CMP(took, >=, 290);
        ASSERT_CMP(took, <, 2500);
        llmio_future_free(f);
    }
    /* A per-request timeout overrides the client's. */
    llmio_request *r = engine_request("header-delay=400", 0);
    ASSERT_OK(llmio_request_set_timeout(r, LLMIO_TIMEOUT_FIRST_BYTE, 5000));
    llmio_future *f = NULL;
    ASSERT_EQ(llmio_chat(c, r, &f, NULL), LLMIO_OK);
    llmio_future_free(f);
    llmio_request_free(r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_total_timeout)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_timeout(c, LLMIO_TIMEOUT_TOTAL,
                                       test_is_valgrind() ? 3000 : 800));
    /* Bytes keep flowing (no idle timeout), but the whole takes too long. */
    llmio_request *r = engine_request("lorem=400;tps=50", 1);
    struct engine_rec rec = {0};
    llmio_future *f = NULL;
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
    llmio_request_free(r);
    ASSERT_OK(llmio_future_wait(f, 10000));
    ASSERT_EQ(llmio_future_status(f), LLMIO_E_TIMEOUT);
    ASSERT_CONTAINS(llmio_future_error(f)->message, "total");
    ASSERT_CMP(rec.ndeltas, >, 2);
    llmio_future_free(f);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_cancel_mid_stream)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    /* From inside the stream callback. */
    struct engine_rec rec = {.cancel_after = 3};
    /* The whole stream would take 20 s. */
    llmio_request *r = engine_request("lorem=2000;tps=100", 1);
    llmio_future *f = NULL;
    int64_t t0 = test_now_ms();
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
    ASSERT_OK(llmio_future_wait(f, 10000));
    ASSERT_CMP(test_now_ms() - t0, <, test_is_valgrind() ? 8000 : 2000);
    ASSERT_EQ(llmio_future_status(f), LLMIO_E_CANCELLED);
    ASSERT_EQ(rec.ndone, 1);
    ASSERT_EQ(rec.ndeltas, 3); /* nothing after the cancel */
    llmio_future_free(f);

    /* From outside, between dispatches: the done_cb runs from the loop. */
    struct engine_rec rec2 = {0};
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec2, &f, NULL));
    while (rec2.ndeltas < 2) {
        ASSERT_OK(llmio_client_step(c));
        usleep(1000);
    }
    ASSERT_CMP(engine_mock_connections(&m), >=, 1);
    llmio_future_cancel(f);
    ASSERT_EQ(rec2.ndone, 0); /* not inside the cancel */
    int seen = rec2.ndeltas;
    ASSERT_OK(llmio_future_wait(f, 1000));
    ASSERT_EQ(rec2.ndone, 1);
    ASSERT_EQ(rec2.status, LLMIO_E_CANCELLED);
    ASSERT_EQ(rec2.ndeltas, seen);
    llmio_future_cancel(f); /* no-op once complete */
    ASSERT_EQ(rec2.ndone, 1);
    /* The transfer was closed: the server saw the connection go. */
    int conns = 1;
    for (int i = 0; i < 200 && conns != 0; i++) {
        conns = engine_mock_connections(&m);
        usleep(5000);
    }
    ASSERT_EQ(conns, 0);
    llmio_future_free(f);

    /* Freeing a pending future cancels it; its done_cb still runs once. */
    struct engine_rec rec3 = {0};
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec3, &f, NULL));
    llmio_future_free(f);
    ASSERT_OK(llmio_client_run(c, 5000));
    ASSERT_EQ(rec3.ndone, 1);
    ASSERT_EQ(rec3.status, LLMIO_E_CANCELLED);
    llmio_request_free(r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(engine_client_free_with_pending)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    for (int stream = 0; stream <= 1; stream++) {
        llmio_client *c = engine_client(&m);
        enum { N = 100 };
        static struct engine_rec recs[N];
        llmio_future *fs[N];
        memset(recs, 0, sizeof recs);
        llmio_request *r =
            engine_request("ttft=5000;header-delay=5000", stream);
        for (int i = 0; i < N; i++) {
            ASSERT_OK(
                llmio_submit(c, r, engine_done_cb, &recs[i], &fs[i], NULL));
        }
        llmio_request_free(r);
        /* Let the transfers get going, then free with all pending. */
        for (int i = 0; i < 5; i++) {
            ASSERT_OK(llmio_client_step(c));
        }
        ASSERT_EQ(llmio_client_pending(c), N);
        llmio_client_free(c);
        for (int i = 0; i < N; i++) {
            ASSERT_EQ(recs[i].ndone, 1);
            ASSERT_EQ(recs[i].status, LLMIO_E_CANCELLED);
            /* Futures stay valid after the client is gone. */
            ASSERT(llmio_future_done(fs[i]));
            ASSERT_EQ(llmio_future_status(fs[i]), LLMIO_E_CANCELLED);
            llmio_future_free(fs[i]);
        }
    }
    test_mock_stop(&m);
}

static long many_deltas;

static int many_stream_cb(llmio_future *f, const llmio_delta *d, void *user)
{
    (void)f;
    (void)d;
    (void)user;
    many_deltas++;
    return 0;
}

static void many_done(llmio_future *f, void *user)
{
    int *slot = user;
    (*slot)++;
    (void)f;
}

TEST(engine_thousand_concurrent)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    int n = test_is_valgrind() ? 100 : 1000;
    for (int stream = 0; stream <= 1; stream++) {
        llmio_client *c = engine_client(&m);
        int *counts = calloc((size_t)n, sizeof *counts);
        llmio_future **fs = calloc((size_t)n, sizeof *fs);
        llmio_request *r = engine_request("text=concurrent", 0);
        if (stream) {
            ASSERT_OK(llmio_request_set_stream(r, many_stream_cb, true));
        }
        many_deltas = 0;
        for (int i = 0; i < n; i++) {
            ASSERT_OK(llmio_submit(c, r, many_done, &counts[i], &fs[i], NULL));
        }
        llmio_request_free(r);
        ASSERT_EQ(llmio_client_pending(c), (size_t)n);
        ASSERT_OK(llmio_future_wait_all(fs, (size_t)n, 60000));
        ASSERT_EQ(llmio_client_pending(c), 0);
        for (int i = 0; i < n; i++) {
            if (counts[i] != 1) {
                test_fail_(__FILE__, __LINE__, "request %d: %d done", i,
                           counts[i]);
            }
            if (llmio_future_status(fs[i]) != LLMIO_OK) {
                test_fail_(__FILE__, __LINE__, "request %d: %s: %s", i,
                           llmio_status_name(llmio_future_status(fs[i])),
                           llmio_future_error(fs[i])->message);
            }
            ASSERT_STR_EQ(
                llmio_response_text(llmio_future_response(fs[i]), 0, NULL),
                "concurrent");
            llmio_future_free(fs[i]);
        }
        if (stream) {
            ASSERT_CMP(many_deltas, >=, 3 * (long)n);
        }
        free(counts);
        free(fs);
        llmio_client_free(c);
    }
    test_mock_stop(&m);
}

TEST(engine_wait_any_all)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    llmio_request *slow = engine_request("header-delay=2000", 0);
    llmio_request *fast = engine_request(NULL, 0);
    llmio_future *fs[3];
    ASSERT_OK(llmio_submit(c, slow, NULL, NULL, &fs[0], NULL));
    ASSERT_OK(llmio_submit(c, fast, NULL, NULL, &fs[1], NULL));
    ASSERT_OK(llmio_submit(c, slow, NULL, NULL, &fs[2], NULL));
    size_t idx = 99;
    ASSERT_OK(llmio_future_wait_any(fs, 3, 5000, &idx));
    ASSERT_EQ(idx, 1);
    ASSERT(llmio_future_done(fs[1]));
    ASSERT(!llmio_future_done(fs[0]));
    ASSERT_EQ(llmio_future_status(fs[0]), LLMIO_E_STATE);
    ASSERT_EQ(llmio_future_error(fs[0])->code, LLMIO_E_STATE);
    ASSERT_EQ(llmio_future_wait_all(fs, 3, 50), LLMIO_E_TIMEOUT);
    ASSERT_EQ(llmio_future_wait(fs[0], 0), LLMIO_E_TIMEOUT);
    ASSERT_OK(llmio_future_wait_all(fs, 3, 5000));
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(llmio_future_status(fs[i]));
    }
    /* Already complete: returns at once. */
    idx = 99;
    ASSERT_OK(llmio_future_wait_any(fs, 3, 0, &idx));
    ASSERT_EQ(idx, 0);
    ASSERT_EQ(llmio_future_wait_all(NULL, 3, 0), LLMIO_E_INVALID);

    /* Futures of two clients cannot be waited on together. */
    llmio_client *c2 = engine_client(&m);
    llmio_future *mixed[2];
    ASSERT_OK(llmio_submit(c, slow, NULL, NULL, &mixed[0], NULL));
    ASSERT_OK(llmio_submit(c2, slow, NULL, NULL, &mixed[1], NULL));
    ASSERT_EQ(llmio_future_wait_all(mixed, 2, 0), LLMIO_E_INVALID);
    llmio_future_free(mixed[0]);
    llmio_future_free(mixed[1]);
    for (int i = 0; i < 3; i++) {
        llmio_future_free(fs[i]);
    }
    llmio_request_free(slow);
    llmio_request_free(fast);
    llmio_client_free(c2);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* ---- what callbacks may do ---------------------------------------------- */

struct chain {
    llmio_client *c;
    llmio_request *r;
    int ndone;
    int left;
    llmio_status drive_st;
    llmio_future *last;
};

static void chain_done(llmio_future *f, void *user)
{
    struct chain *ch = user;
    ch->ndone++;
    /* Driving from a callback is refused. */
    ch->drive_st = llmio_client_step(ch->c);
    ASSERT_EQ(llmio_client_run(ch->c, 0), LLMIO_E_STATE);
    llmio_future_free(f); /* our own future, inside its callback */
    if (ch->left-- > 0) {
        llmio_future *nf = NULL;
        ASSERT_OK(llmio_submit(ch->c, ch->r, chain_done, ch, &nf, NULL));
        ch->last = nf;
    }
}

TEST(engine_callbacks_submit_and_free)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    struct chain ch = {.c = c, .left = 4};
    ch.r = engine_request(NULL, 0);
    llmio_future *f = NULL;
    ASSERT_OK(llmio_submit(c, ch.r, chain_done, &ch, &f, NULL));
    ASSERT_OK(llmio_client_run(c, 10000));
    ASSERT_EQ(ch.ndone, 5);
    ASSERT_EQ(ch.drive_st, LLMIO_E_STATE);
    ASSERT_EQ(llmio_client_pending(c), 0);
    llmio_request_free(ch.r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

struct streamsub {
    llmio_client *c;
    llmio_request *r;
    llmio_future *sub;
    struct engine_rec subrec;
    int ndeltas;
};

static int sub_stream_cb(llmio_future *f, const llmio_delta *d, void *user)
{
    (void)f;
    (void)d;
    struct streamsub *s = user;
    if (s->ndeltas++ == 0) {
        /* Submit from inside libcurl's write path: the start is deferred
         * until libcurl returns. */
        ASSERT_OK(llmio_submit(s->c, s->r, engine_done_cb, &s->subrec, &s->sub,
                               NULL));
    }
    return 0;
}

TEST(engine_submit_inside_stream_cb)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    struct streamsub s = {.c = c};
    s.r = engine_request("text=inner", 0);
    llmio_request *outer = engine_request("text=outer words here", 0);
    ASSERT_OK(llmio_request_set_stream(outer, sub_stream_cb, true));
    llmio_future *f = NULL;
    ASSERT_OK(llmio_submit(c, outer, NULL, &s, &f, NULL));
    ASSERT_OK(llmio_client_run(c, 10000));
    ASSERT_OK(llmio_future_status(f));
    ASSERT_NOT_NULL(s.sub);
    ASSERT_EQ(s.subrec.ndone, 1);
    ASSERT_OK(llmio_future_status(s.sub));
    llmio_future_free(s.sub);
    llmio_future_free(f);
    llmio_request_free(outer);
    llmio_request_free(s.r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

struct freer {
    llmio_client *c;
    int ndone;
};

static void free_client_done(llmio_future *f, void *user)
{
    struct freer *fr = user;
    fr->ndone++;
    if (fr->ndone == 1) {
        llmio_client_free(fr->c); /* deferred until the callback returns */
        llmio_client_free(fr->c); /* a second request changes nothing */
        ASSERT_EQ(llmio_client_pending(fr->c), 2);
    }
}

TEST(engine_client_free_inside_callback)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    struct freer fr = {.c = c};
    llmio_request *fast = engine_request(NULL, 0);
    llmio_request *slow = engine_request("header-delay=5000", 1);
    llmio_future *fs[3];
    ASSERT_OK(llmio_submit(c, fast, free_client_done, &fr, &fs[0], NULL));
    ASSERT_OK(llmio_submit(c, slow, free_client_done, &fr, &fs[1], NULL));
    ASSERT_OK(llmio_submit(c, slow, free_client_done, &fr, &fs[2], NULL));
    /* Returns once the first completes and frees the client, which
     * cancels the other two. */
    ASSERT_OK(llmio_future_wait(fs[0], 10000));
    ASSERT_EQ(fr.ndone, 3);
    ASSERT_OK(llmio_future_status(fs[0]));
    ASSERT_EQ(llmio_future_status(fs[1]), LLMIO_E_CANCELLED);
    ASSERT_EQ(llmio_future_status(fs[2]), LLMIO_E_CANCELLED);
    for (int i = 0; i < 3; i++) {
        llmio_future_free(fs[i]);
    }
    llmio_request_free(fast);
    llmio_request_free(slow);
    test_mock_stop(&m);
}

TEST(engine_free_future_in_own_callback)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    for (int stream = 0; stream <= 1; stream++) {
        struct engine_rec rec = {.free_in_done = true};
        llmio_request *r = engine_request(NULL, stream);
        llmio_future *f = NULL;
        ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
        llmio_request_free(r);
        ASSERT_OK(llmio_client_run(c, 5000));
        ASSERT_EQ(rec.ndone, 1);
        ASSERT_OK(rec.status);
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* ---- wakeup from another thread ---------------------------------------- */

static void *wake_later(void *arg)
{
    usleep(150 * 1000);
    llmio_client_wakeup(arg);
    return NULL;
}

TEST(engine_wakeup_from_thread)
{
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    int fd = llmio_client_fd(c);
    ASSERT_CMP(fd, >=, 0);
    ASSERT_EQ(llmio_client_timeout_ms(c), -1); /* nothing pending */
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, wake_later, c), 0);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int64_t t0 = test_now_ms();
    int n = poll(&pfd, 1, 5000);
    int64_t took = test_now_ms() - t0;
    ASSERT_EQ(n, 1);
    ASSERT_CMP(took, >=, 100);
    ASSERT_CMP(took, <, 3000);
    ASSERT_OK(llmio_client_step(c)); /* drains the wakeup */
    ASSERT_EQ(poll(&pfd, 1, 0), 0);
    pthread_join(th, NULL);
    llmio_client_free(c);
}

/* ---- separate clients on separate threads ------------------------------- */

struct thread_job {
    const struct test_mock *m;
    int nok;
};

static void *thread_client(void *arg)
{
    struct thread_job *job = arg;
    llmio_client *c = engine_client(job->m);
    llmio_request *r = engine_request("text=threaded", 0);
    llmio_future *fs[8];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 8; i++) {
            ASSERT_OK(llmio_submit(c, r, NULL, NULL, &fs[i], NULL));
        }
        ASSERT_OK(llmio_future_wait_all(fs, 8, 20000));
        for (int i = 0; i < 8; i++) {
            if (llmio_future_status(fs[i]) == LLMIO_OK) {
                job->nok++;
            }
            llmio_future_free(fs[i]);
        }
    }
    llmio_request_free(r);
    llmio_client_free(c);
    return NULL;
}

TEST(engine_clients_on_threads)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    ASSERT_OK(llmio_global_init()); /* before any thread starts */
    pthread_t th[3];
    struct thread_job jobs[3];
    for (int i = 0; i < 3; i++) {
        jobs[i].m = &m;
        jobs[i].nok = 0;
        ASSERT_EQ(pthread_create(&th[i], NULL, thread_client, &jobs[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        ASSERT_EQ(jobs[i].nok, 24);
    }
    test_mock_stop(&m);
}
