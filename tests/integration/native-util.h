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

#endif
