/*
 * test-cli.c - the llmio CLI (build/bin/llmio) run as a user runs it:
 * argv in, exact stdout, stderr and exit code out, against llmio-mock.
 */
#include "test.h"

#include "llmio.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define MODEL "openai/gpt-4o-mini"

/* Runs build/bin/llmio with ARGS (NULL-terminated) and STDIN_TEXT. */
static int cli(const char *const *args, const char *stdin_text, char **out,
               char **err)
{
    return test_run_llmio(NULL, args, stdin_text, out, err);
}

/* Starts the mock and points the CLI at it through the environment, as a
 * user of any OpenAI-compatible server would. */
static void start(struct test_mock *m)
{
    test_mock_start(m, NULL);
    char url[128];
    snprintf(url, sizeof url, "%s/v1", m->url);
    setenv("OPENAI_BASE_URL", url, 1);
    setenv("OPENAI_API_KEY", "sk-test-cli", 1);
}

/* Expects a usage error: exit 2, nothing on stdout, exactly LINE on
 * stderr. */
static void expect_usage(const char *const *args, const char *line)
{
    char *out, *err;
    int rc = cli(args, NULL, &out, &err);
    ASSERT_STR_EQ(err, line);
    ASSERT_STR_EQ(out, "");
    ASSERT_EQ(rc, 2);
    free(out);
    free(err);
}

TEST(cli_version)
{
    char *out, *err;
    char want[64];
    snprintf(want, sizeof want, "llmio %s\n", llmio_version());
    ASSERT_EQ(cli((const char *[]){"--version", NULL}, NULL, &out, &err), 0);
    ASSERT_STR_EQ(out, want);
    ASSERT_STR_EQ(err, "");
    free(out);
    free(err);
    ASSERT_EQ(cli((const char *[]){"version", NULL}, NULL, &out, &err), 0);
    ASSERT_STR_EQ(out, want);
    free(out);
    free(err);
}

TEST(cli_help_lists_commands_and_exit_codes)
{
    char *out, *err;
    ASSERT_EQ(cli((const char *[]){"--help", NULL}, NULL, &out, &err), 0);
    ASSERT_CONTAINS(out, "usage: llmio COMMAND");
    ASSERT_CONTAINS(out, "\n  run      send one prompt and print the reply\n");
    ASSERT_CONTAINS(out, "\n  embed    embed texts and print the vectors\n");
    ASSERT_CONTAINS(out, "\n  13   E_TIMEOUT      timed out\n");
    ASSERT_CONTAINS(out, "\n  22   E_RATE_LIMIT   rate limited\n");
    ASSERT_STR_EQ(err, "");
    free(out);
    free(err);
    ASSERT_EQ(cli((const char *[]){"help", "run", NULL}, NULL, &out, &err), 0);
    ASSERT_CONTAINS(out, "usage: llmio run -m MODEL [options] PROMPT...");
    ASSERT_CONTAINS(out, "--api-key-env VAR");
    free(out);
    free(err);
    ASSERT_EQ(cli((const char *[]){"run", "--help", NULL}, NULL, &out, &err),
              0);
    ASSERT_CONTAINS(out, "usage: llmio run -m MODEL [options] PROMPT...");
    free(out);
    free(err);
}

/* Every exit code the status table defines is in llmio --help, and
 * README.md's table says the same thing. */
TEST(cli_readme_exit_codes)
{
    char *out, *err;
    ASSERT_EQ(cli((const char *[]){"--help", NULL}, NULL, &out, &err), 0);
    char *readme = test_read_file("README.md", NULL);
#define CHECK_(name, retry, exit_code, msg)                                    \
    do {                                                                       \
        char row[128];                                                         \
        if (exit_code != 2 && exit_code != 0) {                                \
            snprintf(row, sizeof row, "  %-4d %-14s %s\n", exit_code, #name,   \
                     msg);                                                     \
            ASSERT_CONTAINS(out, row);                                         \
        }                                                                      \
        snprintf(row, sizeof row, "\n| %d | `%s` | ", exit_code, #name);       \
        const char *line = strstr(readme, row);                                \
        ASSERT_NOT_NULL(line);                                                 \
        const char *eol = strchr(line + 1, '\n');                              \
        const char *want = exit_code == 0 ? " | - |" : retry ? " | yes |"       \
                                                             : " | no |";      \
        ASSERT_NOT_NULL(eol);                                                  \
        ASSERT_EQ(strncmp(eol - strlen(want), want, strlen(want)), 0);         \
    } while (0);
    LLMIO_STATUS_MAP(CHECK_)
#undef CHECK_
    ASSERT_CONTAINS(readme, "| 130 | - |");
    free(readme);
    free(out);
    free(err);
}

TEST(cli_usage_errors)
{
    expect_usage((const char *[]){NULL},
                 "llmio: missing COMMAND (try 'llmio help')\n");
    expect_usage((const char *[]){"frobnicate", NULL},
                 "llmio: no such command 'frobnicate' (try 'llmio help')\n");
    expect_usage((const char *[]){"run", "hello", NULL},
                 "llmio: missing -m MODEL (try 'llmio help run')\n");
    expect_usage((const char *[]){"run", "-m", MODEL, NULL},
                 "llmio: missing PROMPT (use - to read stdin) (try 'llmio "
                 "help run')\n");
    expect_usage((const char *[]){"run", "-m", MODEL, "--frob", "hi", NULL},
                 "llmio: unknown option '--frob' (try 'llmio help run')\n");
    expect_usage((const char *[]){"run", "hi", "-m", NULL},
                 "llmio: -m needs a value (try 'llmio help run')\n");
    expect_usage((const char *[]){"run", "-m", MODEL, "--max-tokens", "10x",
                                  "hi", NULL},
                 "llmio: --max-tokens wants a positive integer, not '10x' "
                 "(try 'llmio help run')\n");
    expect_usage((const char *[]){"run", "-m", MODEL, "--max-tokens=0", "hi",
                                  NULL},
                 "llmio: --max-tokens wants a positive integer, not '0' (try "
                 "'llmio help run')\n");
    expect_usage((const char *[]){"run", "-m", MODEL, "-t", "2.5.1", "hi",
                                  NULL},
                 "llmio: --temperature wants a number, not '2.5.1' (try "
                 "'llmio help run')\n");
    expect_usage((const char *[]){"run", "-m", MODEL, "--temperature", "warm",
                                  "hi", NULL},
                 "llmio: --temperature wants a number, not 'warm' (try "
                 "'llmio help run')\n");
    expect_usage((const char *[]){"run", "-m", MODEL, "--timeout", "0", "hi",
                                  NULL},
                 "llmio: --timeout wants seconds > 0, not '0' (try 'llmio "
                 "help run')\n");
    expect_usage((const char *[]){"run", "-m", MODEL, "--json=yes", "hi",
                                  NULL},
                 "llmio: --json=yes takes no value (try 'llmio help run')\n");
    expect_usage((const char *[]){"run", "-m", MODEL, "-", "-", NULL},
                 "llmio: '-' (stdin) may be given only once (try 'llmio help "
                 "run')\n");
    unsetenv("LLMIO_TEST_NO_SUCH_VAR");
    expect_usage((const char *[]){"run", "-m", MODEL, "--api-key-env",
                                  "LLMIO_TEST_NO_SUCH_VAR", "hi", NULL},
                 "llmio: --api-key-env: $LLMIO_TEST_NO_SUCH_VAR is not set "
                 "or empty (try 'llmio help run')\n");
}

/* ---- against llmio-mock ------------------------------------------------ */

TEST(cli_run_prints_reply)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    int rc = cli((const char *[]){"run", "-m", MODEL, "What", "is", "2+2?",
                                  NULL},
                 NULL, &out, &err);
    ASSERT_STR_EQ(err, "");
    ASSERT_STR_EQ(out, "What is 2+2?\n");
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    /* The request the server saw: one user message, words joined. */
    char *log = test_mock_log(&m, NULL);
    ASSERT_CONTAINS(log, "\"/v1/chat/completions\"");
    ASSERT_CONTAINS(log, "What is 2+2?");
    free(log);
    test_mock_stop(&m);
}

TEST(cli_run_stream_prints_reply)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    int rc = cli((const char *[]){"run", "--stream", "-m", MODEL, "one",
                                  "two", "three", NULL},
                 NULL, &out, &err);
    ASSERT_STR_EQ(err, "");
    ASSERT_STR_EQ(out, "one two three\n");
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    char *log = test_mock_log(&m, NULL);
    ASSERT_CONTAINS(log, "\\\"stream\\\":true");
    free(log);
    test_mock_stop(&m);
}

TEST(cli_run_stdin_prompt)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    int rc = cli((const char *[]){"run", "-m", MODEL, "Summarize:", "-",
                                  NULL},
                 "piped text", &out, &err);
    ASSERT_STR_EQ(err, "");
    ASSERT_STR_EQ(out, "Summarize: piped text\n");
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    test_mock_stop(&m);
}

/* --system, --max-tokens, --temperature and -H reach the wire; the
 * max-tokens cut shows in the reply (the mock keeps N words). */
TEST(cli_run_options_reach_the_request)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    int rc = cli((const char *[]){"run", "-m", MODEL, "--system",
                                  "Be brief.", "--max-tokens", "2",
                                  "--temperature=0.5", "-H",
                                  "X-Demo-Header: yes", "--timeout", "30",
                                  "--", "-one", "two", "three", NULL},
                 NULL, &out, &err);
    ASSERT_STR_EQ(err, "");
    ASSERT_STR_EQ(out, "-one two\n");
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    char *log = test_mock_log(&m, NULL);
    ASSERT_CONTAINS(log, "Be brief.");
    ASSERT_CONTAINS(log, "\\\"max_tokens\\\":2");
    ASSERT_CONTAINS(log, "\\\"temperature\\\":0.5");
    ASSERT_CONTAINS(log, "\"x-demo-header\":\"yes\"");
    free(log);
    test_mock_stop(&m);
}

TEST(cli_run_json_prints_response_object)
{
    struct test_mock m;
    start(&m);
    for (int stream = 0; stream < 2; stream++) {
        char *out, *err;
        int rc = cli((const char *[]){"run", "--json", "-m", MODEL,
                                      stream ? "--stream" : "--json", "hi",
                                      NULL},
                     NULL, &out, &err);
        ASSERT_STR_EQ(err, "");
        ASSERT_EQ(rc, 0);
        ASSERT_EQ(out[0], '{');
        ASSERT_CONTAINS(out, "\"chat.completion\"");
        ASSERT_CONTAINS(out, "\"content\":\"hi\"");
        ASSERT_EQ(out[strlen(out) - 1], '\n');
        ASSERT_NULL(strstr(out, "sk-test-cli"));
        free(out);
        free(err);
    }
    test_mock_stop(&m);
}

TEST(cli_run_tool_call_printed)
{
    struct test_mock m;
    start(&m);
    for (int stream = 0; stream < 2; stream++) {
        char *out, *err;
        int rc = cli(
            (const char *[]){"run", "-m", MODEL, stream ? "--stream" : "-m",
                             MODEL, "-H",
                             "X-Mock-Scenario: tool=get_weather:{\"city\":"
                             "\"Paris\"}",
                             "weather?", NULL},
            NULL, &out, &err);
        ASSERT_STR_EQ(err, "");
        ASSERT_EQ(rc, 0);
        ASSERT_EQ(strncmp(out, "[tool call ", 11), 0);
        const char *close = strchr(out, ']');
        ASSERT_NOT_NULL(close);
        ASSERT_STR_EQ(close, "] get_weather({\"city\":\"Paris\"})\n");
        free(out);
        free(err);
    }
    test_mock_stop(&m);
}

/* Each HTTP error class: the one-line format and the table's exit code. */
TEST(cli_run_http_errors)
{
    struct test_mock m;
    start(&m);
    static const struct {
        const char *scenario;
        const char *prefix;
        int rc;
    } cases[] = {
        {"X-Mock-Scenario: status=400", "llmio: E_BAD_REQUEST: ", 21},
        {"X-Mock-Scenario: status=401", "llmio: E_AUTH: ", 20},
        {"X-Mock-Scenario: status=418", "llmio: E_HTTP: ", 25},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int stream = 0; stream < 2; stream++) {
            char *out, *err;
            int rc = cli((const char *[]){"run", "-m", MODEL, "-H",
                                          cases[i].scenario,
                                          stream ? "--stream" : "--json",
                                          "hi", NULL},
                         NULL, &out, &err);
            ASSERT_STR_EQ(out, "");
            ASSERT_EQ(strncmp(err, cases[i].prefix, strlen(cases[i].prefix)),
                      0);
            /* One line, ending with the HTTP status and error type. */
            ASSERT_EQ(strchr(err, '\n') - err, (int64_t)strlen(err) - 1);
            char http[32];
            snprintf(http, sizeof http, "(http %.3s, ",
                     cases[i].scenario + strlen("X-Mock-Scenario: status="));
            ASSERT_CONTAINS(err, http);
            ASSERT_EQ(rc, cases[i].rc);
            free(out);
            free(err);
        }
    }
    test_mock_stop(&m);
}

/* A stalled stream ends with E_TIMEOUT (exit 13) within --timeout, with
 * the text received so far on stdout, ended by a newline. */
TEST(cli_run_fallback_and_hedge)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    /* The first model's window is too small: the fallback answers, and
     * stderr names it. */
    int rc = cli((const char *[]){"run", "-m", "openai/small@max-context=0",
                                  "--fallback", "openai/big", "--hedge",
                                  "5000", "one", "two", NULL},
                 NULL, &out, &err);
    ASSERT_STR_EQ(out, "one two\n");
    ASSERT_STR_EQ(err, "llmio: served by openai/big (fallback 1)\n");
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    /* No usable fallback: the error lists both models. */
    rc = cli((const char *[]){"run", "-m", "openai/a@max-context=0",
                              "--fallback", "openai/b@status=401", "hi", NULL},
             NULL, &out, &err);
    ASSERT_STR_EQ(out, "");
    ASSERT_CONTAINS(err, "llmio: E_AUTH: all 2 models failed: "
                         "openai/a@max-context=0: E_CONTEXT_LENGTH (HTTP 400)"
                         "; openai/b@status=401: E_AUTH (HTTP 401)");
    ASSERT_EQ(rc, llmio_status_exit_code(LLMIO_E_AUTH));
    free(out);
    free(err);
    expect_usage((const char *[]){"run", "-m", MODEL, "--hedge", "0", "hi",
                                  NULL},
                 "llmio: --hedge wants milliseconds > 0, not '0' (try "
                 "'llmio help run')\n");
    test_mock_stop(&m);
}

/* --retries N changes only the count, for run and embed alike (batch's
 * lines carry it in test-cli-batch.c); the library keeps its own delays
 * and hint cap (120 s): a 121 s hint fails at once, a short one is waited
 * out. No flag: the library's 3 attempts. */
TEST(cli_retries_count_only)
{
    struct test_mock m;
    start(&m);
    static const struct {
        const char *cmd;
        const char *retries; /* NULL: no flag */
        const char *scenario;
        int rc;
    } cases[] = {
        {"run", "0", "fail-first=1;status=503;key=r0", 23},
        {"run", "1", "fail-first=1;status=503;key=r1", 0},
        {"run", "1", "fail-first=2;status=503;key=r2", 23},
        {"run", NULL, "fail-first=2;status=503;key=r3", 0},
        {"run", "1", "fail-first=1;status=429;retry-after=121;key=r4", 22},
        {"run", "1", "fail-first=1;status=429;retry-after-ms=20;key=r5", 0},
        {"embed", "0", "fail-first=1;status=503;key=e0", 23},
        {"embed", "1", "fail-first=1;status=503;key=e1", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hdr[128];
        snprintf(hdr, sizeof hdr, "X-Mock-Scenario: %s", cases[i].scenario);
        const char *model = strcmp(cases[i].cmd, "embed") == 0
                                ? "openai/text-embedding-3-small"
                                : MODEL;
        const char *flag = cases[i].retries ? "--retries" : NULL;
        const char *args[] = {cases[i].cmd, "-m", model, "-H",
                              hdr,          "hi", flag,  cases[i].retries,
                              NULL};
        char *out, *err;
        int64_t t0 = test_now_ms();
        int rc = cli(args, NULL, &out, &err);
        int64_t took = test_now_ms() - t0;
        if (rc != cases[i].rc) {
            fprintf(stderr, "case %zu: %s", i, err);
        }
        ASSERT_EQ(rc, cases[i].rc);
        if (cases[i].rc == 0) {
            ASSERT_STR_EQ(err, "");
        } else {
            ASSERT_EQ(strncmp(err, "llmio: E_", 9), 0);
        }
        /* The 121 s hint is not waited out. */
        ASSERT_CMP(took, <, test_is_valgrind() ? 60000 : 10000);
        free(out);
        free(err);
    }
    expect_usage(
        (const char *[]){"run", "-m", MODEL, "--retries", "100", "hi", NULL},
        "llmio: --retries wants an integer 0..99, not '100' (try "
        "'llmio help run')\n");
    test_mock_stop(&m);
}

TEST(cli_run_timeout)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    int64_t t0 = test_now_ms();
    int rc = cli((const char *[]){"run", "--stream", "--timeout", "0.5", "-m",
                                  MODEL, "-H",
                                  "X-Mock-Scenario: stall-after-events=3",
                                  "one two three four five six", NULL},
                 NULL, &out, &err);
    int64_t took = test_now_ms() - t0;
    ASSERT_EQ(strncmp(err, "llmio: E_TIMEOUT: ", 18), 0);
    ASSERT_EQ(rc, 13);
    ASSERT_CMP(took, <, 5000);
    ASSERT_EQ(out[strlen(out) - 1], '\n');
    free(out);
    free(err);
    test_mock_stop(&m);
}

TEST(cli_run_connect_error)
{
    char *out, *err;
    setenv("OPENAI_API_KEY", "sk-test-cli", 1);
    int rc = cli((const char *[]){"run", "-m", MODEL, "--base-url",
                                  "http://127.0.0.1:1/v1", "hi", NULL},
                 NULL, &out, &err);
    ASSERT_EQ(strncmp(err, "llmio: E_CONNECT: ", 18), 0);
    ASSERT_NULL(strstr(err, "(http"));
    ASSERT_STR_EQ(out, "");
    ASSERT_EQ(rc, 10);
    free(out);
    free(err);
}

/* A rejected key is reported without the key, whichever way it came. */
TEST(cli_api_key_never_printed)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    setenv("OPENAI_API_KEY", "bad-secret-4242", 1);
    int rc = cli((const char *[]){"run", "-m", MODEL, "hi", NULL}, NULL, &out,
                 &err);
    ASSERT_EQ(strncmp(err, "llmio: E_AUTH: ", 15), 0);
    ASSERT_NULL(strstr(err, "secret-4242"));
    ASSERT_NULL(strstr(out, "secret-4242"));
    ASSERT_EQ(rc, 20);
    free(out);
    free(err);
    setenv("OPENAI_API_KEY", "sk-fine", 1);
    setenv("LLMIO_TEST_KEY", "bad-other-7777", 1);
    rc = cli((const char *[]){"run", "-m", MODEL, "--json", "--api-key-env",
                              "LLMIO_TEST_KEY", "hi", NULL},
             NULL, &out, &err);
    ASSERT_EQ(strncmp(err, "llmio: E_AUTH: ", 15), 0);
    ASSERT_NULL(strstr(err, "other-7777"));
    ASSERT_NULL(strstr(out, "other-7777"));
    ASSERT_EQ(rc, 20);
    free(out);
    free(err);
    /* And a good key given by --api-key-env is used (the mock logs keys
     * masked, so only success is checked). */
    setenv("LLMIO_TEST_KEY", "sk-good-1", 1);
    setenv("OPENAI_API_KEY", "bad-env-key", 1);
    rc = cli((const char *[]){"run", "-m", MODEL, "--api-key-env",
                              "LLMIO_TEST_KEY", "hi", NULL},
             NULL, &out, &err);
    ASSERT_STR_EQ(err, "");
    ASSERT_STR_EQ(out, "hi\n");
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    test_mock_stop(&m);
}

/* SIGINT during a stream cancels the request: exit 130, one error line. */
TEST(cli_sigint_cancels)
{
    struct test_mock m;
    start(&m);
    char bin[1024], opath[1024], epath[1024];
    snprintf(bin, sizeof bin, "%s/llmio", test_bindir());
    snprintf(opath, sizeof opath, "%s/sigint.out", test_tmpdir());
    snprintf(epath, sizeof epath, "%s/sigint.err", test_tmpdir());
    pid_t pid = fork();
    if (pid == 0) {
        if (freopen(opath, "w", stdout) == NULL ||
            freopen(epath, "w", stderr) == NULL) {
            _exit(127);
        }
        execl(bin, bin, "run", "--stream", "-m", MODEL, "-H",
              "X-Mock-Scenario: lorem=400;tps=20", "story", (char *)NULL);
        _exit(127);
    }
    /* Wait for the first streamed words, then interrupt. */
    int64_t deadline = test_now_ms() + 10000;
    for (;;) {
        FILE *f = fopen(opath, "r");
        long size = 0;
        if (f != NULL) {
            fseek(f, 0, SEEK_END);
            size = ftell(f);
            fclose(f);
        }
        if (size > 0) {
            break;
        }
        ASSERT_CMP(test_now_ms(), <, deadline);
        usleep(10000);
    }
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 130);
    char *err = test_read_file(epath, NULL);
    ASSERT_EQ(strncmp(err, "llmio: E_CANCELLED: ", 20), 0);
    free(err);
    test_mock_stop(&m);
}

/* ---- llmio embed ------------------------------------------------------- */

#define EMODEL "openai/text-embedding-3-small"

/* What "llmio embed" must print for TEXTS at the mock M with 4
 * dimensions: the library's vectors, each as a JSON array of %.9g
 * numbers, one a line (malloc'd). */
static char *expected_vectors(const struct test_mock *m,
                              const char *const *texts, size_t n)
{
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    char url[128];
    snprintf(url, sizeof url, "%s/v1", m->url);
    ASSERT_OK(llmio_client_set_base_url(c, NULL, url));
    ASSERT_OK(llmio_client_set_api_key(c, NULL, "sk-test-cli"));
    llmio_request *r = llmio_request_new(EMODEL);
    for (size_t i = 0; i < n; i++) {
        ASSERT_OK(llmio_request_add_input(r, texts[i]));
    }
    ASSERT_OK(llmio_request_set_dimensions(r, 4));
    llmio_future *f = NULL;
    ASSERT_OK(llmio_chat(c, r, &f, NULL));
    const llmio_response *resp = llmio_future_response(f);
    ASSERT_EQ(llmio_response_embeddings(resp), n);
    ASSERT_EQ(llmio_response_embedding_dim(resp), 4);
    char *buf = malloc(4096);
    ASSERT_NOT_NULL(buf);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        const float *v = llmio_response_embedding(resp, i);
        len += (size_t)snprintf(buf + len, 4096 - len,
                                "[%.9g,%.9g,%.9g,%.9g]\n", (double)v[0],
                                (double)v[1], (double)v[2], (double)v[3]);
    }
    llmio_future_free(f);
    llmio_request_free(r);
    llmio_client_free(c);
    return buf;
}

TEST(cli_embed_prints_vectors)
{
    struct test_mock m;
    start(&m);
    const char *texts[] = {"hello world", "olá mundo"};
    char *want = expected_vectors(&m, texts, 2);
    char *out, *err;
    int rc = cli((const char *[]){"embed", "-m", EMODEL, "-d", "4",
                                  "hello world", "olá mundo", NULL},
                 NULL, &out, &err);
    ASSERT_STR_EQ(err, "");
    ASSERT_STR_EQ(out, want);
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    /* base64 on the wire prints the same numbers. */
    rc = cli((const char *[]){"embed", "-m", EMODEL, "--dimensions=4",
                              "--encoding", "base64", "hello world",
                              "olá mundo", NULL},
             NULL, &out, &err);
    ASSERT_STR_EQ(out, want);
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    free(want);
    test_mock_stop(&m);
}

TEST(cli_embed_stdin_lines)
{
    /* No TEXT: one input per line of stdin, blank lines skipped, CRLF
     * accepted; "-" among TEXTs reads stdin there too. */
    struct test_mock m;
    start(&m);
    const char *texts[] = {"hello world", "olá mundo", "third line"};
    char *want = expected_vectors(&m, texts, 3);
    char *out, *err;
    int rc = cli((const char *[]){"embed", "-m", EMODEL, "-d", "4", NULL},
                 "hello world\n\n   \r\nolá mundo\r\nthird line", &out, &err);
    ASSERT_STR_EQ(err, "");
    ASSERT_STR_EQ(out, want);
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    rc = cli((const char *[]){"embed", "-m", EMODEL, "-d", "4", "hello world",
                              "-", NULL},
             "olá mundo\nthird line\n", &out, &err);
    ASSERT_STR_EQ(out, want);
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    free(want);
    test_mock_stop(&m);
}

TEST(cli_embed_format_json)
{
    struct test_mock m;
    start(&m);
    const char *texts[] = {"hello world"};
    char *arrays = expected_vectors(&m, texts, 1);
    arrays[strlen(arrays) - 1] = '\0'; /* the one vector, no newline */
    char want[2048];
    snprintf(want, sizeof want,
             "{\"model\":\"text-embedding-3-small\",\"provider\":\"openai\","
             "\"dimensions\":4,\"usage\":{\"prompt_tokens\":2,"
             "\"total_tokens\":2},\"data\":[{\"index\":0,\"embedding\":%s}]}\n",
             arrays);
    char *out, *err;
    int rc = cli((const char *[]){"embed", "-m", EMODEL, "-d", "4", "-f",
                                  "json", "hello world", NULL},
                 NULL, &out, &err);
    ASSERT_STR_EQ(err, "");
    ASSERT_STR_EQ(out, want);
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    free(arrays);
    test_mock_stop(&m);
}

TEST(cli_embed_errors)
{
    struct test_mock m;
    start(&m);
    expect_usage((const char *[]){"embed", "hi", NULL},
                 "llmio: missing -m MODEL (try 'llmio help embed')\n");
    expect_usage((const char *[]){"embed", "-m", EMODEL, "-d", "0", "hi",
                                  NULL},
                 "llmio: --dimensions wants a positive integer, not '0' "
                 "(try 'llmio help embed')\n");
    expect_usage((const char *[]){"embed", "-m", EMODEL, "-f", "csv", "hi",
                                  NULL},
                 "llmio: --format wants 'array' or 'json', not 'csv' "
                 "(try 'llmio help embed')\n");
    /* Chat-only options are not embed options. */
    expect_usage((const char *[]){"embed", "-m", EMODEL, "--stream", "hi",
                                  NULL},
                 "llmio: unknown option '--stream' (try 'llmio help embed')\n");
    expect_usage((const char *[]){"embed", "-m", EMODEL, NULL},
                 "llmio: no input: give TEXT arguments or lines on standard "
                 "input (try 'llmio help embed')\n");
    /* The library names a bad field; exit codes are the status table's. */
    expect_usage((const char *[]){"embed", "-m", EMODEL, "--encoding", "int8",
                                  "hi", NULL},
                 "llmio: E_INVALID: encoding_format: \"float\" or "
                 "\"base64\"\n");
    char *out, *err;
    int rc = cli((const char *[]){"embed", "-m", "anthropic/claude", "hi",
                                  NULL},
                 NULL, &out, &err);
    ASSERT_STR_EQ(err, "llmio: E_UNSUPPORTED: input: anthropic has no "
                       "embeddings API\n");
    ASSERT_EQ(rc, 5);
    free(out);
    free(err);
    rc = cli((const char *[]){"embed", "-m", EMODEL, "-H",
                              "X-Mock-Scenario: status=429", "hi", NULL},
             NULL, &out, &err);
    ASSERT_EQ(strncmp(err, "llmio: E_RATE_LIMIT: ", 21), 0);
    ASSERT_STR_EQ(out, "");
    ASSERT_EQ(rc, 22);
    free(out);
    free(err);
    /* A rejected key is never printed. */
    setenv("OPENAI_API_KEY", "bad-secret-9191", 1);
    rc = cli((const char *[]){"embed", "-m", EMODEL, "hi", NULL}, NULL, &out,
             &err);
    ASSERT_EQ(strncmp(err, "llmio: E_AUTH: ", 15), 0);
    ASSERT_NULL(strstr(err, "secret-9191"));
    ASSERT_EQ(rc, 20);
    free(out);
    free(err);
    /* help embed describes it. */
    rc = cli((const char *[]){"help", "embed", NULL}, NULL, &out, &err);
    ASSERT_CONTAINS(out, "usage: llmio embed -m MODEL [options] [TEXT...]");
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    test_mock_stop(&m);
}
