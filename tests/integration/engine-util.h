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
/* Asserts that no error text of F holds the API key. */
void engine_assert_no_key(const llmio_error *e);

#endif
