/*
 * test-batch.c - llmio_batch against llmio-mock: results in input order
 * with typed errors, the as-completed callback, the batch's own cap, lazy
 * feeding from a source, cancel of the whole batch (queued requests never
 * sent), every drive mode, teardown paths, and a million items in small
 * memory. Every test checks that each item is reported exactly once.
 */
#include "engine-util.h"

#include "llmio/adapters/poll.h"

#include <poll.h>
#include <sys/resource.h>

/* What the callbacks saw. SEEN counts item callbacks per index. */
struct rec {
    llmio_client *c;
    llmio_batch *b;
    size_t n;
    unsigned char *seen;
    size_t *order; /* indexes in callback order */
    size_t nreported;
    llmio_status *status;
    char (*text)[64];
    int ndone;
    size_t cap;
    size_t max_pending; /* the most batch requests seen pending at once */
    size_t free_after;  /* item_cb frees the batch after this many (0: no) */
    size_t cancel_after;
    bool done_before_last; /* done_cb ran before an item_cb */
};

static void rec_init(struct rec *r, llmio_client *c, size_t n, size_t cap)
{
    memset(r, 0, sizeof *r);
    r->c = c;
    r->n = n;
    r->cap = cap;
    r->seen = calloc(n + 1, 1);
    r->order = calloc(n + 1, sizeof *r->order);
    r->status = calloc(n + 1, sizeof *r->status);
    r->text = calloc(n + 1, sizeof *r->text);
    ASSERT(r->seen && r->order && r->status && r->text);
}

static void rec_free(struct rec *r)
{
    free(r->seen);
    free(r->order);
    free(r->status);
    free(r->text);
}

static void on_item(llmio_batch *b, size_t index, llmio_future *f, void *user)
{
    struct rec *r = user;
    ASSERT_CMP(index, <, r->n);
    ASSERT(llmio_future_done(f));
    ASSERT(llmio_future_user(f) == user);
    ASSERT_EQ(r->ndone, 0);
    r->seen[index]++;
    ASSERT_EQ(r->seen[index], 1);
    r->order[r->nreported++] = index;
    r->status[index] = llmio_future_status(f);
    const llmio_response *resp = llmio_future_response(f);
    if (resp != NULL) {
        const char *t = llmio_response_text(resp, 0, NULL);
        snprintf(r->text[index], sizeof r->text[index], "%s", t ? t : "");
    } else {
        snprintf(r->text[index], sizeof r->text[index], "%.63s",
                 llmio_future_error(f)->message);
        engine_assert_no_key(llmio_future_error(f));
    }
    if (r->cancel_after != 0 && r->nreported == r->cancel_after) {
        llmio_batch_cancel(b);
    }
    if (r->free_after != 0 && r->nreported == r->free_after) {
        llmio_batch_free(b);
    }
}

static void on_done(llmio_batch *b, void *user)
{
    struct rec *r = user;
    (void)b;
    r->ndone++;
}

/* Item I of the standard test batch: "Question I", with a 400 every 5th
 * item and a slower reply every 3rd, so completions come out of order. */
static llmio_request *item_request(size_t i, int slow_ms)
{
    llmio_request *q = llmio_request_new("openai/gpt-4o-mini");
    char prompt[32];
    snprintf(prompt, sizeof prompt, "Question %zu", i);
    ASSERT_OK(llmio_request_add_message(q, LLMIO_ROLE_USER, prompt));
    bool slow = slow_ms > 0 && i % 3 == 0;
    if (slow || i % 5 == 4) {
        char h[96];
        snprintf(h, sizeof h, "X-Mock-Scenario: ttft=%d%s", slow ? slow_ms : 0,
                 i % 5 == 4 ? ";status=400" : "");
        ASSERT_OK(llmio_request_add_header(q, h));
    }
    return q;
}

/* The outcome item I of the standard batch must have. */
static void check_item(const struct rec *r, size_t i)
{
    ASSERT_EQ(r->seen[i], 1);
    if (i % 5 == 4) {
        ASSERT_EQ(r->status[i], LLMIO_E_BAD_REQUEST);
    } else {
        char want[32];
        snprintf(want, sizeof want, "Question %zu", i);
        ASSERT_EQ(r->status[i], LLMIO_OK);
        ASSERT_STR_EQ(r->text[i], want);
    }
}

TEST(batch_array_keep_in_order_with_errors)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    enum { N = 40, CAP = 4 };
    llmio_request *reqs[N];
    for (size_t i = 0; i < N; i++) {
        reqs[i] = item_request(i, 30);
    }
    /* One request the builder refused: it is an item like any other. */
    ASSERT_EQ(llmio_request_set_temperature(reqs[7], 9.0), LLMIO_E_INVALID);
    struct rec r;
    rec_init(&r, c, N, CAP);
    llmio_batch *b = NULL;
    ASSERT_OK(llmio_batch_new(c, CAP, LLMIO_BATCH_KEEP, &b));
    ASSERT_OK(llmio_batch_set_callbacks(b, on_item, on_done, &r));
    ASSERT_OK(
        llmio_batch_start_array(b, (const llmio_request *const *)reqs, N));
    /* Nothing runs inside start. */
    ASSERT_EQ(r.nreported, 0);
    ASSERT(!llmio_batch_done(b));
    ASSERT_EQ(llmio_batch_set_callbacks(b, NULL, NULL, NULL), LLMIO_E_STATE);
    ASSERT_EQ(llmio_batch_start_array(b, NULL, 0), LLMIO_E_STATE);
    while (!llmio_batch_done(b)) {
        /* The batch's own cap holds (the kick is not a request). */
        ASSERT_CMP(llmio_client_pending(c), <=, (size_t)CAP + 1);
        llmio_status st = llmio_batch_wait(b, 5);
        ASSERT(st == LLMIO_OK || st == LLMIO_E_TIMEOUT);
    }
    ASSERT_EQ(r.ndone, 1);
    ASSERT_EQ(r.nreported, N);
    for (size_t i = 0; i < N; i++) {
        llmio_future *f = llmio_batch_future(b, i);
        ASSERT_NOT_NULL(f);
        if (i == 7) {
            ASSERT_EQ(llmio_future_status(f), LLMIO_E_INVALID);
            ASSERT_CONTAINS(llmio_future_error(f)->message, "temperature");
            ASSERT_EQ(llmio_future_error(f)->attempts, 0);
            continue;
        }
        check_item(&r, i);
        ASSERT_EQ(llmio_future_status(f), r.status[i]);
    }
    ASSERT_NULL(llmio_batch_future(b, N));
    llmio_batch_stats s;
    llmio_batch_progress(b, &s);
    ASSERT_EQ(s.taken, N);
    ASSERT_EQ(s.reported, N);
    ASSERT_EQ(s.in_flight, 0);
    ASSERT_EQ(s.ok + s.failed, N);
    ASSERT_EQ(s.failed, N / 5 + 1);
    ASSERT_OK(llmio_batch_wait(b, 0));
    llmio_batch_free(b);
    for (size_t i = 0; i < N; i++) {
        llmio_request_free(reqs[i]);
    }
    /* 39 requests were sent: the refused one never was. */
    ASSERT_EQ(llmio_client_pending(c), 0);
    char *log = test_mock_log(&m, NULL);
    size_t lines = 0;
    for (const char *p = log; (p = strchr(p, '\n')) != NULL; p++) {
        lines++;
    }
    ASSERT_EQ(lines, N - 1);
    free(log);
    rec_free(&r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* A source producing N items lazily; every 11th is a source error. */
struct src {
    struct rec *r;
    size_t n;
    size_t calls;
    int slow_ms;
    llmio_client *c;
};

static llmio_status source(void *user, size_t index, llmio_request **req,
                           llmio_error *err)
{
    struct src *s = user;
    ASSERT_EQ(index, s->calls);
    s->calls++;
    /* Called only with room under the cap. */
    llmio_batch_stats st;
    llmio_batch_progress(s->r->b, &st);
    ASSERT_CMP(st.in_flight, <, s->r->cap);
    if (index >= s->n) {
        return LLMIO_OK; /* *req stays NULL: the end */
    }
    if (index % 11 == 10) {
        snprintf(err->message, sizeof err->message, "line %zu: not JSON",
                 index + 1);
        return LLMIO_E_INVALID;
    }
    *req = item_request(index, s->slow_ms);
    return LLMIO_OK;
}

static void run_source_batch(unsigned flags, size_t n, size_t cap)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    struct rec r;
    rec_init(&r, c, n, cap);
    struct src s = {&r, n, 0, 20, c};
    llmio_batch *b = NULL;
    ASSERT_OK(llmio_batch_new(c, cap, flags, &b));
    r.b = b;
    ASSERT_OK(llmio_batch_set_callbacks(b, on_item, on_done, &r));
    ASSERT_OK(llmio_batch_start(b, source, &s));
    ASSERT_EQ(s.calls, 0); /* the source is first called from the loop */
    ASSERT_OK(llmio_batch_wait(b, test_is_valgrind() ? 120000 : 30000));
    ASSERT_EQ(r.ndone, 1);
    ASSERT_EQ(r.nreported, n);
    ASSERT_EQ(s.calls, n + 1); /* never called again after the end */
    bool out_of_order = false;
    for (size_t k = 0; k < n; k++) {
        size_t i = r.order[k];
        if (flags & LLMIO_BATCH_ORDERED) {
            ASSERT_EQ(i, k);
        }
        out_of_order |= i != k;
        if (i % 11 == 10) {
            ASSERT_EQ(r.seen[i], 1);
            ASSERT_EQ(r.status[i], LLMIO_E_INVALID);
            char want[32];
            snprintf(want, sizeof want, "line %zu: not JSON", i + 1);
            ASSERT_STR_EQ(r.text[i], want);
        } else {
            check_item(&r, i);
        }
    }
    if (!(flags & LLMIO_BATCH_ORDERED)) {
        /* Every 3rd item is slow: as-completed order is not input order. */
        ASSERT(out_of_order);
    }
    ASSERT_NULL(llmio_batch_future(b, 0)); /* not kept */
    llmio_batch_free(b);
    rec_free(&r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(batch_source_ordered)
{
    run_source_batch(LLMIO_BATCH_ORDERED, test_is_valgrind() ? 60 : 300, 8);
}

TEST(batch_source_as_completed)
{
    run_source_batch(0, test_is_valgrind() ? 60 : 300, 8);
}

/* Cap 1 with ORDERED: the window is 16, but only one is ever in flight. */
TEST(batch_source_cap_one)
{
    run_source_batch(LLMIO_BATCH_ORDERED, 30, 1);
}

/* Starts a batch of N copies of one request with SCENARIO (*Q, freed by
 * the caller; REQS holds N pointers), recording into R. */
static llmio_batch *start_copies(llmio_client *c, const char *scenario,
                                 llmio_request **q, const llmio_request **reqs,
                                 size_t n, size_t cap, unsigned flags,
                                 struct rec *r)
{
    *q = engine_request(scenario, 0);
    for (size_t i = 0; i < n; i++) {
        reqs[i] = *q;
    }
    rec_init(r, c, n, cap);
    llmio_batch *b = NULL;
    ASSERT_OK(llmio_batch_new(c, cap, flags, &b));
    r->b = b;
    ASSERT_OK(llmio_batch_set_callbacks(b, on_item, on_done, r));
    ASSERT_OK(llmio_batch_start_array(b, reqs, n));
    return b;
}

TEST(batch_cancel_all_at_once)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    /* The client's own cap of 2 below the batch's 5: three of the batch's
     * requests wait in the client's queue and must never be sent. */
    ASSERT_OK(llmio_client_set_max_concurrency(c, 2));
    enum { N = 100, CAP = 5 };
    llmio_request *slow;
    const llmio_request *reqs[N];
    struct rec r;
    llmio_batch *b = start_copies(c, "ttft=5000", &slow, reqs, N, CAP,
                                  LLMIO_BATCH_ORDERED, &r);
    ASSERT_EQ(llmio_batch_wait(b, 300), LLMIO_E_TIMEOUT);
    llmio_batch_stats s;
    llmio_batch_progress(b, &s);
    ASSERT_EQ(s.taken, CAP);
    ASSERT_EQ(s.in_flight, CAP);
    int64_t t0 = test_now_ms();
    llmio_batch_cancel(b);
    ASSERT_EQ(r.nreported, 0); /* callbacks come from the loop */
    llmio_batch_cancel(b);     /* twice is harmless */
    ASSERT_OK(llmio_batch_wait(b, 10000));
    ASSERT_CMP(test_now_ms() - t0, <, test_is_valgrind() ? 3000 : 1000);
    ASSERT_EQ(r.ndone, 1);
    ASSERT_EQ(r.nreported, N);
    for (size_t i = 0; i < N; i++) {
        ASSERT_EQ(r.order[i], i);
        ASSERT_EQ(r.status[i], LLMIO_E_CANCELLED);
    }
    ASSERT_STR_EQ(r.text[CAP], "batch cancelled before this request was sent");
    llmio_batch_free(b);
    llmio_request_free(slow);
    /* Only the two the client let through ever reached the server. */
    char *log = test_mock_log(&m, NULL);
    size_t lines = 0;
    for (const char *p = log; (p = strchr(p, '\n')) != NULL; p++) {
        lines++;
    }
    ASSERT_CMP(lines, <=, 2);
    free(log);
    rec_free(&r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Cancel from inside an item callback of a source batch: the source is
 * never called again and the items in flight end CANCELLED. */
TEST(batch_cancel_from_item_cb)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    enum { N = 1000, CAP = 4 };
    struct rec r;
    rec_init(&r, c, N, CAP);
    r.cancel_after = 10;
    struct src s = {&r, N, 0, 400, c};
    llmio_batch *b = NULL;
    ASSERT_OK(llmio_batch_new(c, CAP, 0, &b));
    r.b = b;
    ASSERT_OK(llmio_batch_set_callbacks(b, on_item, on_done, &r));
    ASSERT_OK(llmio_batch_start(b, source, &s));
    ASSERT_OK(llmio_batch_wait(b, 20000));
    ASSERT_EQ(r.ndone, 1);
    llmio_batch_stats st;
    llmio_batch_progress(b, &st);
    ASSERT_EQ(st.taken, s.calls);
    ASSERT_EQ(st.reported, st.taken);
    ASSERT_CMP(st.taken, <, N);
    size_t cancelled = 0;
    for (size_t i = 0; i < st.taken; i++) {
        ASSERT_EQ(r.seen[i], 1);
        cancelled += r.status[i] == LLMIO_E_CANCELLED;
    }
    ASSERT_CMP(cancelled, >=, 1);
    ASSERT_CMP(cancelled, <=, CAP);
    llmio_batch_free(b);
    rec_free(&r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* The batch freed inside its own item callback: the rest is cancelled and
 * still reported once each; the memory goes after the last callback. */
TEST(batch_free_inside_item_cb)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    enum { N = 30, CAP = 3 };
    llmio_request *q;
    const llmio_request *reqs[N];
    struct rec r;
    start_copies(c, "ttft=100", &q, reqs, N, CAP, LLMIO_BATCH_KEEP, &r);
    r.free_after = 4; /* no callback has run yet: none runs inside start */
    ASSERT_OK(llmio_client_run(c, 20000));
    ASSERT_EQ(r.ndone, 1);
    ASSERT_EQ(r.nreported, N);
    size_t ok = 0;
    for (size_t i = 0; i < N; i++) {
        ASSERT_EQ(r.seen[i], 1);
        ok += r.status[i] == LLMIO_OK;
    }
    ASSERT_CMP(ok, >=, 4);
    ASSERT_CMP(ok, <=, 4 + CAP);
    llmio_request_free(q);
    rec_free(&r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Freeing the client ends the batch: every item taken is reported, the
 * rest of the array as cancelled, and the batch can be freed after. */
TEST(batch_client_free_reports_all)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    enum { N = 50, CAP = 5 };
    llmio_request *q;
    const llmio_request *reqs[N];
    struct rec r;
    llmio_batch *b =
        start_copies(c, "ttft=5000", &q, reqs, N, CAP, LLMIO_BATCH_KEEP, &r);
    ASSERT_EQ(llmio_batch_wait(b, 200), LLMIO_E_TIMEOUT);
    llmio_client_free(c);
    ASSERT(llmio_batch_done(b));
    ASSERT_OK(llmio_batch_wait(b, -1)); /* done: the client is not touched */
    ASSERT_EQ(r.ndone, 1);
    ASSERT_EQ(r.nreported, N);
    for (size_t i = 0; i < N; i++) {
        ASSERT_EQ(r.status[i], LLMIO_E_CANCELLED);
        ASSERT_EQ(llmio_future_status(llmio_batch_future(b, i)),
                  LLMIO_E_CANCELLED);
    }
    llmio_batch_free(b);
    llmio_request_free(q);
    rec_free(&r);
    test_mock_stop(&m);
}

/* Under llmio_client_fd + step, and under loop hooks (the poll adapter),
 * with no blocking wait anywhere. */
static void run_driven(bool hooks)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    enum { N = 40, CAP = 6 };
    struct rec r;
    rec_init(&r, c, N, CAP);
    struct src s = {&r, N, 0, 20, c};
    llmio_poll *p = NULL;
    int fd = -1;
    if (hooks) {
        ASSERT_OK(llmio_poll_attach(c, &p));
    } else {
        fd = llmio_client_fd(c);
        ASSERT_CMP(fd, >=, 0);
    }
    llmio_batch *b = NULL;
    ASSERT_OK(llmio_batch_new(c, CAP, LLMIO_BATCH_ORDERED, &b));
    r.b = b;
    ASSERT_OK(llmio_batch_set_callbacks(b, on_item, on_done, &r));
    ASSERT_OK(llmio_batch_start(b, source, &s));
    if (hooks) {
        ASSERT_EQ(llmio_batch_wait(b, 0), LLMIO_E_STATE);
    }
    int64_t t0 = test_now_ms();
    while (!llmio_batch_done(b)) {
        if (hooks) {
            ASSERT_CMP(llmio_poll_tick(p, 1000), >=, 0);
        } else {
            /* The descriptor alone must wake us: the first feed is due at
             * once, so it must be readable without a timeout. */
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            ASSERT_CMP(poll(&pfd, 1, 5000), >, 0);
            ASSERT_OK(llmio_client_step(c));
        }
        ASSERT_CMP(test_now_ms() - t0, <, 20000);
    }
    ASSERT_EQ(r.ndone, 1);
    ASSERT_EQ(r.nreported, N);
    for (size_t k = 0; k < N; k++) {
        ASSERT_EQ(r.order[k], k);
    }
    llmio_batch_free(b);
    rec_free(&r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

TEST(batch_fd_step_mode)
{
    run_driven(false);
}

TEST(batch_hooks_mode)
{
    run_driven(true);
}

TEST(batch_empty_and_misuse)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    llmio_batch *b = NULL;
    ASSERT_EQ(llmio_batch_new(NULL, 1, 0, &b), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_batch_new(c, 0, 0, &b), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_batch_new(c, 1000001, 0, &b), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_batch_new(c, 1, 4, &b), LLMIO_E_INVALID);
    ASSERT_NULL(b);
    ASSERT_EQ(llmio_batch_new(c, 1, 0, NULL), LLMIO_E_INVALID);
    ASSERT_OK(llmio_batch_new(c, 1, 0, &b));
    ASSERT_EQ(llmio_batch_wait(b, 0), LLMIO_E_STATE); /* not started */
    ASSERT_EQ(llmio_batch_start(b, NULL, NULL), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_batch_start_array(b, NULL, 3), LLMIO_E_INVALID);
    struct rec r;
    rec_init(&r, c, 0, 1);
    ASSERT_OK(llmio_batch_set_callbacks(b, on_item, on_done, &r));
    /* An empty batch ends from the loop, not inside start. */
    ASSERT_OK(llmio_batch_start_array(b, NULL, 0));
    ASSERT_EQ(r.ndone, 0);
    ASSERT(!llmio_batch_done(b));
    ASSERT_OK(llmio_batch_wait(b, 5000));
    ASSERT_EQ(r.ndone, 1);
    ASSERT_EQ(r.nreported, 0);
    llmio_batch_free(b);
    /* Never started: freed at once, no callback. */
    ASSERT_OK(
        llmio_batch_new(c, 3, LLMIO_BATCH_ORDERED | LLMIO_BATCH_KEEP, &b));
    llmio_batch_cancel(b);
    llmio_batch_free(b);
    llmio_batch_free(NULL);
    llmio_batch_cancel(NULL);
    ASSERT(!llmio_batch_done(NULL));
    ASSERT_NULL(llmio_batch_future(NULL, 0));
    llmio_batch_stats s;
    s.taken = 99;
    llmio_batch_progress(NULL, &s);
    ASSERT_EQ(s.taken, 0);
    ASSERT_EQ(llmio_batch_wait(NULL, 0), LLMIO_E_INVALID);
    ASSERT_EQ(llmio_client_pending(c), 0);
    rec_free(&r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* Faults: 10,000 requests (scaled down under valgrind) at cap 256, a
 * fifth of them failing in assorted ways (429 with retry-after-ms, 503,
 * a reset before headers, 400, 529, a stall), retries on: every item ends
 * exactly once, the transient faults end in success. */
static void fault_item(size_t i, llmio_request *q)
{
    static const char *const faults[] = {
        "fail-first=1;status=429;retry-after-ms=5",
        "fail-first=1;status=503",
        "fail-first=1;reset",
        "status=400",
        "fail-first=1;status=529",
        "fail-first=1;stall-after-events=0", /* ended by the idle timeout */
    };
    char h[160];
    if (i % 5 == 0) {
        /* Distinct keys, so each item's fail-first counts its own. */
        snprintf(h, sizeof h, "X-Mock-Scenario: %s;key=k%zu",
                 faults[(i / 5) % 6], i);
        ASSERT_OK(llmio_request_add_header(q, h));
    }
}

struct fault_src {
    size_t n;
};

static llmio_status fault_source(void *user, size_t index, llmio_request **req,
                                 llmio_error *err)
{
    struct fault_src *s = user;
    (void)err;
    if (index == s->n) {
        return LLMIO_OK;
    }
    char prompt[32];
    snprintf(prompt, sizeof prompt, "Question %zu", index);
    llmio_request *q = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_OK(llmio_request_add_message(q, LLMIO_ROLE_USER, prompt));
    fault_item(index, q);
    *req = q;
    return LLMIO_OK;
}

TEST(batch_faults_exactly_once)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    ASSERT_OK(llmio_client_set_retry(c, 3, 1, 5, 1000));
    /* A stalled reply is cut after this much silence, then retried. */
    ASSERT_OK(llmio_client_set_timeout(c, LLMIO_TIMEOUT_IDLE,
                                       test_is_valgrind() ? 3000 : 500));
    size_t n = test_is_valgrind() ? 300 : 10000;
    struct rec r;
    rec_init(&r, c, n, 256);
    struct fault_src s = {n};
    llmio_batch *b = NULL;
    ASSERT_OK(llmio_batch_new(c, 256, LLMIO_BATCH_ORDERED, &b));
    ASSERT_OK(llmio_batch_set_callbacks(b, on_item, on_done, &r));
    ASSERT_OK(llmio_batch_start(b, fault_source, &s));
    ASSERT_OK(llmio_batch_wait(b, 120000));
    ASSERT_EQ(r.ndone, 1);
    ASSERT_EQ(r.nreported, n);
    for (size_t i = 0; i < n; i++) {
        ASSERT_EQ(r.order[i], i);
        bool hard = i % 5 == 0 && (i / 5) % 6 == 3;
        if (r.status[i] != (hard ? LLMIO_E_BAD_REQUEST : LLMIO_OK)) {
            test_fail_(__FILE__, __LINE__, "item %zu: %s: %s", i,
                       llmio_status_name(r.status[i]), r.text[i]);
        }
    }
    llmio_batch_free(b);
    rec_free(&r);
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* A million items in small memory: the source hands each over lazily and
 * nothing per item is kept. The items fail in the source (no network), so
 * this measures the batch itself; RSS must not grow with N. */
struct million {
    size_t n;
    size_t reported;
    size_t next_expected;
};

static llmio_status million_source(void *user, size_t index,
                                   llmio_request **req, llmio_error *err)
{
    struct million *s = user;
    (void)req;
    if (index == s->n) {
        return LLMIO_OK;
    }
    snprintf(err->message, sizeof err->message, "item %zu skipped", index);
    return LLMIO_E_INVALID;
}

static void million_item(llmio_batch *b, size_t index, llmio_future *f,
                         void *user)
{
    struct million *s = user;
    (void)b;
    ASSERT_EQ(index, s->next_expected);
    s->next_expected++;
    s->reported++;
    ASSERT_EQ(llmio_future_status(f), LLMIO_E_INVALID);
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

TEST(batch_million_items_small_memory)
{
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    /* A million plain; fewer where each allocation is instrumented. */
#ifdef __SANITIZE_ADDRESS__
    size_t n = 200000;
#else
    size_t n = test_is_valgrind() ? 20000 : 1000000;
#endif
    struct million s = {n, 0, 0};
    llmio_batch *b = NULL;
    ASSERT_OK(llmio_batch_new(c, 64, LLMIO_BATCH_ORDERED, &b));
    ASSERT_OK(llmio_batch_set_callbacks(b, million_item, NULL, &s));
    long rss0 = max_rss_kb();
    ASSERT_OK(llmio_batch_start(b, million_source, &s));
    ASSERT_OK(llmio_batch_wait(b, 120000));
    ASSERT_EQ(s.reported, s.n);
    llmio_batch_stats st;
    llmio_batch_progress(b, &st);
    ASSERT_EQ(st.taken, s.n);
    ASSERT_EQ(st.failed, s.n);
    /* ASan's quarantine holds freed memory back, so RSS says nothing
     * there; valgrind runs a smaller N. */
#ifndef __SANITIZE_ADDRESS__
    if (!test_is_valgrind()) {
        /* A million kept futures would be hundreds of MB. */
        ASSERT_CMP(max_rss_kb() - rss0, <, 16 * 1024);
    }
#else
    (void)rss0;
#endif
    llmio_batch_free(b);
    llmio_client_free(c);
}

/* Allocation torture: the client's Nth allocation fails, for N from 1
 * until a whole batch (4 requests, cap 2, in order, kept) runs without an
 * injected failure. Every run ends: each item taken is reported exactly
 * once with LLMIO_OK or LLMIO_E_NOMEM, the done callback runs once, and
 * nothing leaks. */
static bool batch_torture_run(const struct test_mock *m, long fail_at)
{
    struct engine_chaos ch;
    llmio_allocator a = engine_chaos_init(&ch, fail_at);
    llmio_client *c = NULL;
    llmio_status st = llmio_client_new(&a, &c);
    if (st != LLMIO_OK) {
        ASSERT_EQ(st, LLMIO_E_NOMEM);
        ASSERT_EQ(ch.live, 0);
        return false;
    }
    char url[128];
    snprintf(url, sizeof url, "%s/v1", m->url);
    st = llmio_client_set_base_url(c, NULL, url);
    if (st == LLMIO_OK) {
        st = llmio_client_set_api_key(c, NULL, ENGINE_TEST_KEY);
    }
    enum { N = 4 };
    llmio_request *reqs[N];
    for (size_t i = 0; i < N; i++) {
        reqs[i] = item_request(i * 5, 0); /* 0, 5, 10, 15: all succeed */
    }
    struct rec r;
    rec_init(&r, c, N, 2);
    llmio_batch *b = NULL;
    if (st == LLMIO_OK) {
        st = llmio_batch_new(c, 2, LLMIO_BATCH_ORDERED | LLMIO_BATCH_KEEP, &b);
    }
    if (st == LLMIO_OK) {
        ASSERT_OK(llmio_batch_set_callbacks(b, on_item, on_done, &r));
        st = llmio_batch_start_array(b, (const llmio_request *const *)reqs, N);
    }
    bool all_ok = false;
    if (st == LLMIO_OK) {
        ASSERT_OK(llmio_batch_wait(b, 10000));
        ASSERT_EQ(r.ndone, 1);
        llmio_batch_stats s;
        llmio_batch_progress(b, &s);
        ASSERT_EQ(s.reported, s.taken);
        ASSERT_EQ(r.nreported, s.taken);
        all_ok = s.ok == N;
        for (size_t i = 0; i < s.taken; i++) {
            ASSERT_EQ(r.order[i], i);
            if (r.status[i] != LLMIO_OK && r.status[i] != LLMIO_E_NOMEM) {
                test_fail_(__FILE__, __LINE__, "allocation %ld: item %zu: %s",
                           fail_at, i, llmio_status_name(r.status[i]));
            }
        }
    } else {
        ASSERT_EQ(st, LLMIO_E_NOMEM);
        ASSERT_EQ(r.nreported, 0);
    }
    llmio_batch_free(b);
    llmio_client_free(c);
    for (size_t i = 0; i < N; i++) {
        llmio_request_free(reqs[i]);
    }
    rec_free(&r);
    ASSERT_EQ(ch.live, 0);
    bool reached = ch.fail_at != 0 && ch.n >= ch.fail_at;
    if (!reached) {
        ASSERT(all_ok);
    }
    return !reached;
}

TEST(batch_alloc_torture)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    long n = 1;
    while (!batch_torture_run(&m, n)) {
        n++;
        ASSERT_CMP(n, <, 20000);
    }
    ASSERT(batch_torture_run(&m, 0));
    ASSERT_CMP(n, >, 50);
    test_mock_stop(&m);
}

/* Streamed items: their stream callbacks get the batch's user pointer and
 * tell the items apart with llmio_batch_index(). */
struct streamed {
    char text[12][64];
    int ndeltas[12];
    int nitems;
};

static int streamed_delta(llmio_future *f, const llmio_delta *d, void *user)
{
    struct streamed *s = user;
    size_t i = 99;
    ASSERT(llmio_batch_index(f, &i));
    ASSERT_CMP(i, <, 12);
    if (d->kind == LLMIO_DELTA_TEXT) {
        size_t len = strlen(s->text[i]);
        ASSERT_CMP(len + d->text_len, <, sizeof s->text[i]);
        memcpy(s->text[i] + len, d->text, d->text_len);
        s->ndeltas[i]++;
    }
    return 0;
}

static void streamed_item(llmio_batch *b, size_t index, llmio_future *f,
                          void *user)
{
    struct streamed *s = user;
    size_t i = 99;
    (void)b;
    ASSERT(llmio_batch_index(f, &i));
    ASSERT_EQ(i, index);
    ASSERT_OK(llmio_future_status(f));
    char want[32];
    snprintf(want, sizeof want, "Question %zu", index);
    ASSERT_STR_EQ(llmio_response_text(llmio_future_response(f), 0, NULL), want);
    if (index % 2 == 0) {
        ASSERT_STR_EQ(s->text[index], want);
        ASSERT_CMP(s->ndeltas[index], >=, 1);
    } else {
        ASSERT_EQ(s->ndeltas[index], 0);
    }
    s->nitems++;
}

TEST(batch_streamed_items)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_client *c = engine_client(&m);
    enum { N = 12 };
    llmio_request *reqs[N];
    for (size_t i = 0; i < N; i++) {
        char prompt[32];
        snprintf(prompt, sizeof prompt, "Question %zu", i);
        reqs[i] = llmio_request_new("openai/gpt-4o-mini");
        ASSERT_OK(llmio_request_add_message(reqs[i], LLMIO_ROLE_USER, prompt));
        if (i % 2 == 0) {
            ASSERT_OK(llmio_request_set_stream(reqs[i], streamed_delta, true));
        }
    }
    struct streamed s;
    memset(&s, 0, sizeof s);
    llmio_batch *b = NULL;
    ASSERT_OK(llmio_batch_new(c, 3, 0, &b));
    ASSERT_OK(llmio_batch_set_callbacks(b, streamed_item, NULL, &s));
    ASSERT_OK(
        llmio_batch_start_array(b, (const llmio_request *const *)reqs, N));
    ASSERT_OK(llmio_batch_wait(b, 20000));
    ASSERT_EQ(s.nitems, N);
    llmio_batch_free(b);
    /* A future outside any batch is not an item. */
    llmio_future *f = NULL;
    ASSERT_OK(llmio_submit(c, reqs[1], NULL, NULL, &f, NULL));
    size_t i = 7;
    ASSERT(!llmio_batch_index(f, &i));
    ASSERT_EQ(i, 7);
    ASSERT(!llmio_batch_index(NULL, NULL));
    llmio_future_free(f);
    for (size_t k = 0; k < N; k++) {
        llmio_request_free(reqs[k]);
    }
    llmio_client_free(c);
    test_mock_stop(&m);
}

/* ---- detach: an item future handed to the caller ---------------------- */

/* Detaches the futures of even items; odd ones stay with the batch. */
struct detach_rec {
    llmio_future *mine[8];
    llmio_future *other; /* an odd item's future, for the E_STATE check */
    size_t nreported;
};

static void detach_item(llmio_batch *b, size_t index, llmio_future *f,
                        void *user)
{
    struct detach_rec *d = user;
    ASSERT_CMP(index, <, 8);
    d->nreported++;
    if (d->other != NULL) {
        /* Only the future being reported can be detached. */
        ASSERT_EQ(llmio_batch_detach(b, d->other), LLMIO_E_STATE);
    }
    if (index % 2 == 0) {
        ASSERT_OK(llmio_batch_detach(b, f));
        d->mine[index] = f;
    } else {
        d->other = f;
    }
}

TEST(batch_detach_item_outlives_the_batch)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    struct engine_chaos ch;
    llmio_allocator a = engine_chaos_init(&ch, 0);
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(&a, &c));
    char url[128];
    snprintf(url, sizeof url, "%s/v1", m.url);
    ASSERT_OK(llmio_client_set_base_url(c, NULL, url));
    ASSERT_OK(llmio_client_set_api_key(c, NULL, ENGINE_TEST_KEY));
    llmio_request *reqs[8];
    for (size_t i = 0; i < 8; i++) {
        reqs[i] = item_request(i * 5, 0); /* 0, 5, 10...: all succeed */
    }
    struct detach_rec d = {0};
    llmio_batch *b = NULL;
    ASSERT_OK(llmio_batch_new(c, 3, LLMIO_BATCH_KEEP, &b));
    ASSERT_OK(llmio_batch_set_callbacks(b, detach_item, NULL, &d));
    ASSERT_OK(llmio_batch_start_array(b, (const llmio_request *const *)reqs, 8));
    ASSERT_OK(llmio_batch_wait(b, 10000));
    ASSERT_EQ(d.nreported, 8);
    /* Outside the item callback nothing can be detached. */
    ASSERT_EQ(llmio_batch_detach(b, d.other), LLMIO_E_STATE);
    ASSERT_EQ(llmio_batch_detach(NULL, d.other), LLMIO_E_INVALID);
    for (size_t i = 0; i < 8; i++) {
        /* Kept: only the odd ones; the even ones are ours. */
        ASSERT((llmio_batch_future(b, i) != NULL) == (i % 2 == 1));
    }
    llmio_batch_free(b);
    llmio_client_free(c);
    for (size_t i = 0; i < 8; i += 2) {
        llmio_future *f = d.mine[i];
        ASSERT_NOT_NULL(f);
        ASSERT_OK(llmio_future_status(f));
        char want[32];
        snprintf(want, sizeof want, "Question %zu", i * 5);
        ASSERT_STR_EQ(llmio_response_text(llmio_future_response(f), 0, NULL),
                      want);
        size_t idx = 99;
        ASSERT(llmio_batch_index(f, &idx));
        ASSERT_EQ(idx, i);
        llmio_future_free(f);
    }
    for (size_t i = 0; i < 8; i++) {
        llmio_request_free(reqs[i]);
    }
    ASSERT_EQ(ch.live, 0); /* detached, kept and internal: all freed */
    test_mock_stop(&m);
}

/* An allocator counting the bytes it has out (a size header per block). */
static size_t bytes_live;

static void *count_malloc(size_t size, void *user)
{
    (void)user;
    size_t *p = malloc(size + sizeof(max_align_t));
    if (p == NULL) {
        return NULL;
    }
    *p = size;
    bytes_live += size;
    return (char *)p + sizeof(max_align_t);
}

static void count_free(void *ptr, void *user)
{
    (void)user;
    if (ptr != NULL) {
        size_t *p = (size_t *)(void *)((char *)ptr - sizeof(max_align_t));
        bytes_live -= *p;
        free(p);
    }
}

static void *count_realloc(void *ptr, size_t size, void *user)
{
    void *n = count_malloc(size, user);
    if (n != NULL && ptr != NULL) {
        size_t *p = (size_t *)(void *)((char *)ptr - sizeof(max_align_t));
        memcpy(n, ptr, *p < size ? *p : size);
        count_free(ptr, user);
    }
    return n;
}

/* A LLMIO_BATCH_KEEP batch keeps each item's response, not its request:
 * 16 prompts of 256 kB (4 MB of bodies) leave far less than that held
 * once every reply ("ok") is in. */
TEST(batch_keep_holds_responses_not_requests)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    llmio_allocator a = {count_malloc, count_realloc, count_free, NULL,
                         {NULL, NULL, NULL, NULL}};
    llmio_client *c = NULL;
    bytes_live = 0;
    ASSERT_OK(llmio_client_new(&a, &c));
    char url[128];
    snprintf(url, sizeof url, "%s/v1", m.url);
    ASSERT_OK(llmio_client_set_base_url(c, NULL, url));
    ASSERT_OK(llmio_client_set_api_key(c, NULL, ENGINE_TEST_KEY));
    enum { N = 16, SIZE = 256 * 1024 };
    char *prompt = malloc(SIZE + 1);
    ASSERT_NOT_NULL(prompt);
    memset(prompt, 'p', SIZE);
    prompt[SIZE] = '\0';
    llmio_request *q = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_OK(llmio_request_add_message(q, LLMIO_ROLE_USER, prompt));
    ASSERT_OK(llmio_request_add_header(q, "X-Mock-Scenario: text=ok"));
    const llmio_request *reqs[N];
    for (size_t i = 0; i < N; i++) {
        reqs[i] = q;
    }
    llmio_batch *b = NULL;
    ASSERT_OK(llmio_batch_new(c, 4, LLMIO_BATCH_KEEP, &b));
    ASSERT_OK(llmio_batch_start_array(b, reqs, N));
    ASSERT_OK(llmio_batch_wait(b, test_is_valgrind() ? 60000 : 10000));
    for (size_t i = 0; i < N; i++) {
        llmio_future *f = llmio_batch_future(b, i);
        ASSERT_NOT_NULL(f);
        ASSERT_STR_EQ(llmio_response_text(llmio_future_response(f), 0, NULL),
                      "ok");
    }
    ASSERT_CMP(bytes_live, <, (size_t)N * SIZE / 4);
    llmio_batch_free(b);
    llmio_client_free(c);
    ASSERT_EQ(bytes_live, 0);
    llmio_request_free(q);
    free(prompt);
    test_mock_stop(&m);
}
