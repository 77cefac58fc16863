/*
 * native-util.h - shared driver of the native-provider integration tests
 * (test-anthropic.c, test-gemini.c, test-ollama.c in this directory): one
 * request through the public API to llmio-mock, and what came back.
 */
#ifndef LLMIO_TEST_NATIVE_UTIL_H
#define LLMIO_TEST_NATIVE_UTIL_H

#include "test.h"

#include "llmio.h"

#define NATIVE_KEY "sk-native-SECRET-0a1b2c3d4e"

struct native_result {
    llmio_status status;
    llmio_error err;
    char text[1024];       /* llmio_response_text */
    char streamed[1024];   /* TEXT deltas joined (stream only) */
    llmio_finish_reason finish;
    char finish_raw[64];
    size_t ntools;
    char tool_name[4][64];
    char tool_args[4][256];
    char tool_id[4][64];
    llmio_usage usage;
    char provider[32];
    int nerror_deltas;
};

/*
 * native_run - sends one user message ("hello there") to MODEL
 * ("anthropic/...") at the mock M (BASE_PATH appended to its URL is the
 * provider's base URL), with SCENARIO (nullable) as X-Mock-Scenario, TOOLS
 * offering one "lookup" tool, STREAM with a stream callback. Fills OUT.
 */
void native_run(const struct test_mock *m, const char *provider,
                const char *base_path, const char *model,
                const char *scenario, bool tools, bool stream,
                struct native_result *out);

/* The default scenario's non-streaming answer from PROVIDER: "hello
 * there", finish STOP, 2 completion tokens and some prompt tokens. */
void native_expect_hello(const struct native_result *r, const char *provider);

/* Stream result S gives the same response as the non-streaming R: the
 * text (also as TEXT deltas), the finish reason and the token counts. */
void native_expect_same(const struct native_result *s,
                        const struct native_result *r);

/* The two "lookup" calls of the tool scenarios (Lisbon, then Porto). */
void native_expect_lookups(const struct native_result *r);

#endif
