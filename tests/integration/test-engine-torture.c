/* test-engine-torture.c - allocation torture of a whole request against
 * llmio-mock: the Nth allocation of the client's allocator fails, for N
 * from 1 until a request succeeds; every run must end in LLMIO_E_NOMEM or
 * success, with nothing leaked (the allocator counts live blocks; ASan and
 * valgrind check the rest). */
#include "engine-util.h"

/* One full request with the Nth allocation failing. Returns true when the
 * request made fewer than FAIL_AT allocations (so every allocation site
 * has had its turn); it must then have succeeded. */
static bool one_run(const struct test_mock *m, long fail_at, int stream,
                    bool routed)
{
    struct engine_chaos ch;
    llmio_allocator a = engine_chaos_init(&ch, fail_at);
    llmio_client *c = NULL;
    llmio_status st = llmio_client_new(&a, &c);
    if (st != LLMIO_OK) {
        ASSERT_EQ(st, LLMIO_E_NOMEM);
        ASSERT_NULL(c);
        ASSERT_EQ(ch.live, 0);
        return false;
    }
    bool reached = false;
    char url[128];
    snprintf(url, sizeof url, "%s/v1", m->url);
    st = llmio_client_set_base_url(c, NULL, url);
    if (st == LLMIO_OK) {
        st = llmio_client_set_api_key(c, NULL, ENGINE_TEST_KEY);
    }
    if (st == LLMIO_OK) {
        st = llmio_client_add_header(c, "X-Torture: 1");
    }
    llmio_future *f = NULL;
    struct engine_rec rec = {0};
    if (st == LLMIO_OK) {
        llmio_request *r = engine_request("text=torture test reply", stream);
        if (routed) {
            /* A routed request (route.c): the first model's window is
             * too small, the fallback answers; a hedge timer is armed. */
            ASSERT_OK(llmio_request_set_model(r, "openai/s@max-context=0"));
            ASSERT_OK(llmio_request_add_fallback(
                r, "openai/gpt-4o-mini", LLMIO_FALLBACK_CONTEXT_LENGTH));
            ASSERT_OK(llmio_request_set_hedge(r, LLMIO_HEDGE_FIXED, 10000));
        }
        llmio_error err;
        st = llmio_submit(c, r, engine_done_cb, &rec, &f, &err);
        llmio_request_free(r);
        if (st != LLMIO_OK) {
            ASSERT_NULL(f);
            ASSERT_EQ(err.code, st);
        }
    }
    if (st == LLMIO_OK) {
        ASSERT_OK(llmio_future_wait(f, 10000));
        st = llmio_future_status(f);
        if (st == LLMIO_OK) {
            ASSERT_STR_EQ(
                llmio_response_text(llmio_future_response(f), 0, NULL),
                "torture test reply");
        }
    }
    if (st != LLMIO_OK && st != LLMIO_E_NOMEM) {
        test_fail_(__FILE__, __LINE__,
                   "allocation %ld (stream %d) failed: %s (%s)", fail_at,
                   stream, llmio_status_name(st),
                   f ? llmio_future_error(f)->message : "submit");
    }
    /* Success despite an injected failure is fine: the arena falls back
     * to a smaller block when a large one cannot be had. */
    llmio_future_free(f);
    llmio_client_free(c);
    ASSERT_EQ(ch.live, 0);
    reached = ch.fail_at != 0 && ch.n >= ch.fail_at;
    if (!reached) {
        ASSERT_OK(st);
    }
    return !reached;
}

TEST(engine_alloc_torture)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    for (int stream = 0; stream <= 2; stream++) {
        long n = 1;
        while (!one_run(&m, n, stream, false)) {
            n++;
            ASSERT_CMP(n, <, 5000);
        }
        /* And without any failure it works, too. */
        ASSERT(one_run(&m, 0, stream, false));
        /* The loop did cover the allocation sites. */
        ASSERT_CMP(n, >, 20);
    }
    test_mock_stop(&m);
}

/* The same for a request with a fallback and a hedge: every allocation of
 * the route, its snapshots and its children fails once. */
TEST(engine_alloc_torture_routed)
{
    struct test_mock m;
    test_mock_start(&m, NULL);
    for (int stream = 0; stream <= 1; stream++) {
        long n = 1;
        while (!one_run(&m, n, stream, true)) {
            n++;
            ASSERT_CMP(n, <, 5000);
        }
        ASSERT(one_run(&m, 0, stream, true));
        ASSERT_CMP(n, >, 30);
    }
    test_mock_stop(&m);
}
