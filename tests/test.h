/*
 * test.h - assertions and helpers for llmio tests.
 *
 * Each TEST(name) runs in its own process (tests/runner.c re-executes the test
 * binary with --run-one NAME), so a test may crash, leak or hang without
 * affecting the others; the runner enforces a timeout and reports.
 * A failed assertion prints both values with file and line and exits 1.
 */
#ifndef LLMIO_TEST_H
#define LLMIO_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* Defines a test. The name must be unique across all test files; the
 * registry is generated from lines that start with "TEST(". */
#define TEST(name)                                                             \
    void test_##name(void);                                                    \
    void test_##name(void)

void test_fail_(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#define ASSERT(cond)                                                           \
    do {                                                                       \
        if (!(cond)) {                                                         \
            test_fail_(__FILE__, __LINE__, "assertion failed: %s", #cond);     \
        }                                                                      \
    } while (0)

#define ASSERT_EQ(a, b)                                                        \
    do {                                                                       \
        int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                          \
        if (a_ != b_) {                                                        \
            test_fail_(__FILE__, __LINE__,                                     \
                       "%s == %s: %" PRId64 " != %" PRId64, #a, #b, a_, b_);   \
        }                                                                      \
    } while (0)

#define ASSERT_NE(a, b)                                                        \
    do {                                                                       \
        int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                          \
        if (a_ == b_) {                                                        \
            test_fail_(__FILE__, __LINE__, "%s != %s: both %" PRId64, #a, #b,  \
                       a_);                                                    \
        }                                                                      \
    } while (0)

/* Compares with a relation: ASSERT_CMP(x, <=, 10). */
#define ASSERT_CMP(a, op, b)                                                   \
    do {                                                                       \
        int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                          \
        if (!(a_ op b_)) {                                                     \
            test_fail_(__FILE__, __LINE__,                                     \
                       "%s %s %s: %" PRId64 " vs %" PRId64, #a, #op, #b, a_,   \
                       b_);                                                    \
        }                                                                      \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                    \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {                 \
            test_fail_(__FILE__, __LINE__, "%s == %s:\n  \"%s\"\n  \"%s\"",    \
                       #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");        \
        }                                                                      \
    } while (0)

/* Asserts that string A contains substring B. */
#define ASSERT_CONTAINS(a, b)                                                  \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (a_ == NULL || b_ == NULL || strstr(a_, b_) == NULL) {              \
            test_fail_(__FILE__, __LINE__,                                     \
                       "%s contains %s:\n  \"%s\"\n  lacks \"%s\"", #a, #b,    \
                       a_ ? a_ : "(null)", b_ ? b_ : "(null)");                \
        }                                                                      \
    } while (0)

#define ASSERT_MEM_EQ(a, alen, b, blen)                                        \
    do {                                                                       \
        size_t al_ = (alen), bl_ = (blen);                                     \
        if (al_ != bl_ || memcmp((a), (b), al_) != 0) {                        \
            test_fail_(__FILE__, __LINE__,                                     \
                       "%s == %s: lengths %zu and %zu:\n  \"%.*s\"\n  "        \
                       "\"%.*s\"",                                             \
                       #a, #b, al_, bl_, (int)al_, (const char *)(a),          \
                       (int)bl_, (const char *)(b));                           \
        }                                                                      \
    } while (0)

#define ASSERT_NULL(p) ASSERT((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT((p) != NULL)
/* For llmio_status results: 0 is LLMIO_OK. */
#define ASSERT_OK(st) ASSERT_EQ((st), 0)

/* The repository root, for data files: tests/data/... */
const char *test_srcdir(void);
/* The directory holding the binaries of this build configuration
 * (build/bin or build/asan/bin): where llmio-mock and llmio are. */
const char *test_bindir(void);
/* True when the runner runs this test under valgrind; heavy tests scale
 * down their counts (never their assertions). */
bool test_is_valgrind(void);
/* Milliseconds on the monotonic clock. */
int64_t test_now_ms(void);

/* Reads a whole file (relative to the repository root unless absolute) into
 * a NUL-terminated malloc'd buffer; fails the test if it cannot. */
char *test_read_file(const char *path, size_t *len);

/* A private temporary directory for this test, removed by the runner. */
const char *test_tmpdir(void);

/* Starts ARGV (ARGV[0] a path) as a child that dies with the test and
 * prints its port alone on the first line of its stdout (waited for up to
 * 10 s). Returns the pid; *PORT is 0 when no port came. */
pid_t test_spawn_port(const char *const *argv, int *port);

/* llmio-mock as a child process on 127.0.0.1 with a kernel-chosen port.
 * The child dies with the test process (PR_SET_PDEATHSIG). */
struct test_mock {
    pid_t pid;
    int port;
    char url[64];       /* "http://127.0.0.1:PORT" */
    char log_path[512]; /* request log (--log), in the test's tmpdir */
};

/* Starts llmio-mock with the extra arguments ARGV (NULL-terminated, may be
 * NULL). Always passes --port 0 and --log. Fails the test on error. */
void test_mock_start(struct test_mock *m, const char *const *argv);
/* Stops the mock (SIGTERM, then waits). Safe to call twice. */
void test_mock_stop(struct test_mock *m);
/* Reads the request log written so far (one JSON line per request). */
char *test_mock_log(struct test_mock *m, size_t *len);

/* Runs a command (argv, NULL-terminated) with optional stdin text, captures
 * stdout and stderr (each malloc'd, NUL-terminated) and returns the exit
 * status (or 128+signal). */
int test_run_cmd(const char *const *argv, const char *stdin_text, char **out,
                 char **err);
/* Runs this build's llmio CLI as "llmio [CMD] ARGS..." (CMD nullable; ARGS
 * NULL-terminated, at most 60) through test_run_cmd. */
int test_run_llmio(const char *cmd, const char *const *args,
                   const char *stdin_text, char **out, char **err);

#endif
