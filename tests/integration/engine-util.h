/*
 * engine-util.h - shared helpers of the engine integration tests: a client
 * pointed at llmio-mock, requests with a scenario, and callbacks that count
 * what the library delivered.
 */
#ifndef LLMIO_TEST_ENGINE_UTIL_H
#define LLMIO_TEST_ENGINE_UTIL_H

#include "test.h"

#include "llmio.h"

/* The key every engine test uses; it must never appear in an error. */
#define ENGINE_TEST_KEY "sk-test-SECRET-9f8e7d6c5b4a"

/* What the callbacks saw for one future. */
struct engine_rec {
    int ndone;
    int ndeltas;
    int deltas_after_done;
    llmio_status status;
    char text[4096];
    size_t text_len;
    int stop_after; /* stream_cb returns 1 after this many deltas (0: never) */
    int cancel_after; /* stream_cb cancels its future after N deltas */
    int64_t done_ms;
    bool free_in_done; /* done_cb frees its own future */
};

/* A client on the mock's /v1 base URL with ENGINE_TEST_KEY. */
llmio_client *engine_client(const struct test_mock *m);
/* engine_client with retries on: 3 attempts, backoff 20 ms doubling to
 * 100 ms, hints honoured up to 60 s, jitter seed 42, so the retry tests
 * run in milliseconds (the engine's timers are under test, not the
 * default numbers). */
llmio_client *engine_retry_client(const struct test_mock *m);
/* MS, or ten times MS under valgrind: a timing bound for this machine. */
int64_t engine_slack_ms(int64_t ms);
/* A one-message request; SCENARIO (nullable) goes in X-Mock-Scenario.
 * STREAM: 0 none, 1 with engine_stream_cb, 2 pull mode. */
llmio_request *engine_request(const char *scenario, int stream);
/* done_cb / stream_cb recording into the engine_rec passed as user. */
void engine_done_cb(llmio_future *f, void *user);
int engine_stream_cb(llmio_future *f, const llmio_delta *d, void *user);
/* Number of open connections the mock reports (its own stats request
 * counted out). */
int engine_mock_connections(const struct test_mock *m);
/* Connections the mock has accepted so far (each stats read adds one). */
long engine_mock_accepted(const struct test_mock *m);
/* One numeric field of the mock's /mock/stats, read over a connection of
 * its own. */
long engine_mock_stat(const struct test_mock *m, const char *field);
/* Lines of the mock's request log that contain NEEDLE; the raw bodies of
 * the first MAX_BODIES of them go to BODIES (each malloc'd) when not
 * NULL. */
int engine_log_lines(struct test_mock *m, const char *needle, char **bodies,
                     int max_bodies);
/* Asserts that no error text of F holds the API key. */
void engine_assert_no_key(const llmio_error *e);

/* An allocator whose FAIL_AT-th allocation (1-based; 0: none) fails, and
 * which counts live blocks, for allocation torture. */
struct engine_chaos {
    long n;       /* allocations so far */
    long fail_at; /* this one fails */
    long live;    /* blocks currently allocated */
};
llmio_allocator engine_chaos_init(struct engine_chaos *ch, long fail_at);

#endif
