/*
 * test-cli-batch.c - "llmio batch" run as a user runs it against
 * llmio-mock: JSONL in, one result line per request out, in input order or
 * as completed, bad lines as typed per-line errors, the exit code of the
 * first failed line, rate limit flags, SIGINT cancelling the batch with
 * every started request written out.
 */
#include "engine-util.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs "build/bin/llmio batch ARGS..." with STDIN_TEXT; returns the exit
 * code. */
static int batch(const char *const *args, const char *stdin_text, char **out,
                 char **err)
{
    return test_run_llmio("batch", args, stdin_text, out, err);
}

static void start(struct test_mock *m)
{
    test_mock_start(m, NULL);
    char url[128];
    snprintf(url, sizeof url, "%s/v1", m->url);
    setenv("OPENAI_BASE_URL", url, 1);
    setenv("OPENAI_API_KEY", "sk-test-cli-batch", 1);
}

/* Splits OUT into lines (in place); returns their number. */
static size_t lines_of(char *out, char **lines, size_t max)
{
    size_t n = 0;
    for (char *p = out; *p != '\0' && n < max;) {
        char *nl = strchr(p, '\n');
        ASSERT_NOT_NULL(nl); /* every result line ends with a newline */
        *nl = '\0';
        lines[n++] = p;
        p = nl + 1;
    }
    return n;
}

/* The value of "index" in a result line. */
static long index_of(const char *line)
{
    const char *p = strstr(line, "{\"index\":");
    ASSERT(p == line);
    return strtol(line + 9, NULL, 10);
}

/* Input: N items on lines 1.. with a blank line after every 7th item; item
 * I is "Question I", except a bad JSON line every 10th, a 500 every 9th,
 * and a slower reply every 4th (so completions come out of order). */
static char *make_input(int n, long *line_of)
{
    size_t cap = (size_t)n * 160 + 64;
    char *in = malloc(cap);
    size_t len = 0;
    long line = 0;
    for (int i = 0; i < n; i++) {
        line++;
        line_of[i] = line;
        if (i % 10 == 9) {
            len += (size_t)snprintf(in + len, cap - len, "{\"prompt\": oops\n");
        } else {
            const char *model = i % 9 == 8   ? "gpt-4o-mini@status=500"
                                : i % 4 == 0 ? "gpt-4o-mini@ttft=60"
                                             : "gpt-4o-mini";
            len += (size_t)snprintf(
                in + len, cap - len,
                "{\"custom_id\":\"c%d\",\"model\":\"%s\",\"messages\":[{"
                "\"role\":\"user\",\"content\":\"Question %d\"}]}\n",
                i, model, i);
        }
        if (i % 7 == 6) {
            line++;
            len += (size_t)snprintf(in + len, cap - len, "  \n");
        }
    }
    return in;
}

static void check_result(const char *l, int i, long line)
{
    char want[96];
    snprintf(want, sizeof want, "{\"index\":%d,\"line\":%ld,", i, line);
    ASSERT_EQ(strncmp(l, want, strlen(want)), 0);
    if (i % 10 == 9) {
        ASSERT_CONTAINS(l, "\"status\":\"E_INVALID\",\"error\":{\"message\":"
                           "\"line ");
        ASSERT_CONTAINS(l, ": json: column ");
        return;
    }
    snprintf(want, sizeof want, "\"custom_id\":\"c%d\"", i);
    ASSERT_CONTAINS(l, want);
    if (i % 9 == 8) {
        ASSERT_CONTAINS(l, "\"status\":\"E_SERVER\",\"error\":{");
        ASSERT_CONTAINS(l, "\"http_status\":500");
        ASSERT_CONTAINS(l, "\"attempts\":1");
    } else {
        ASSERT_CONTAINS(l, "\"status\":\"OK\",\"response\":{");
        snprintf(want, sizeof want, "\"content\":\"Question %d\"", i);
        ASSERT_CONTAINS(l, want);
    }
}

TEST(cli_batch_input_order_with_errors)
{
    struct test_mock m;
    start(&m);
    enum { N = 60 };
    long line_of[N];
    char *in = make_input(N, line_of);
    char *out, *err;
    int rc = batch((const char *[]){"-c", "8", "--retries", "0", NULL}, in,
                   &out, &err);
    char *lines[N + 1];
    size_t n = lines_of(out, lines, N + 1);
    ASSERT_EQ(n, N);
    for (int i = 0; i < N; i++) {
        check_result(lines[i], i, line_of[i]);
    }
    ASSERT_STR_EQ(err, "");
    /* Item 8 (a 500, line 9) fails before item 9 (bad JSON, line 10): the
     * exit code is E_SERVER's. */
    ASSERT_EQ(rc, llmio_status_exit_code(LLMIO_E_SERVER));
    /* Only the lines with JSON went out: none of the bad ones. */
    char *log = test_mock_log(&m, NULL);
    size_t sent = 0;
    for (const char *p = log; (p = strchr(p, '\n')) != NULL; p++) {
        sent++;
    }
    ASSERT_EQ(sent, N - N / 10);
    free(log);
    free(in);
    free(out);
    free(err);
    test_mock_stop(&m);
}

TEST(cli_batch_as_completed)
{
    struct test_mock m;
    start(&m);
    enum { N = 60 };
    long line_of[N];
    char *in = make_input(N, line_of);
    char path[1024];
    snprintf(path, sizeof path, "%s/in.jsonl", test_tmpdir());
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    fputs(in, f);
    fclose(f);
    char *out, *err;
    int rc = batch((const char *[]){"--as-completed", "--concurrency=8",
                                    "--retries=0", "--progress", path, NULL},
                   NULL, &out, &err);
    char *lines[N + 1];
    size_t n = lines_of(out, lines, N + 1);
    ASSERT_EQ(n, N);
    unsigned char seen[N] = {0};
    bool in_order = true;
    for (size_t k = 0; k < n; k++) {
        long i = index_of(lines[k]);
        ASSERT(i >= 0 && i < N);
        ASSERT_EQ(seen[i], 0);
        seen[i] = 1;
        in_order &= i == (long)k;
        check_result(lines[k], (int)i, line_of[i]);
    }
    ASSERT(!in_order); /* every 4th item is slower */
    ASSERT_CONTAINS(err, "llmio batch: 60 done (");
    ASSERT_CONTAINS(err, "0 in flight, finished\n");
    ASSERT_EQ(rc, llmio_status_exit_code(LLMIO_E_SERVER));
    free(in);
    free(out);
    free(err);
    test_mock_stop(&m);
}

TEST(cli_batch_default_model_and_exit_codes)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    /* All good: exit 0. The default model fills lines without one. */
    int rc = batch((const char *[]){"-m", "openai/gpt-4o-mini", NULL},
                   "{\"prompt\":\"one\"}\n{\"prompt\":\"two\"}\n", &out, &err);
    ASSERT_EQ(rc, 0);
    ASSERT_CONTAINS(out, "{\"index\":0,\"line\":1,\"status\":\"OK\"");
    ASSERT_CONTAINS(out, "\"content\":\"two\"");
    free(out);
    free(err);
    /* No default model: each line names its own failure, in order. */
    rc = batch((const char *[]){"-", NULL},
               "{\"prompt\":\"x\"}\n{\"model\":\"gpt-4o-mini\",\"prompt\":"
               "\"y\",\"temperature\":7}\n[1]\n",
               &out, &err);
    ASSERT_EQ(rc, 2);
    char *lines[4];
    ASSERT_EQ(lines_of(out, lines, 4), 3);
    ASSERT_CONTAINS(lines[0], "\"message\":\"line 1: model: not set");
    ASSERT_CONTAINS(lines[1], "\"message\":\"line 2: temperature: must be");
    ASSERT_CONTAINS(lines[2], "\"message\":\"line 3: json: a line must hold");
    free(out);
    free(err);
    /* The first failed line decides, whatever fails later. */
    rc = batch((const char *[]){"-m", "gpt-4o-mini", "--retries", "0", NULL},
               "{\"prompt\":\"a\"}\n{\"prompt\":\"b\",\"model\":\"mock-429\"}\n"
               "{\"prompt\":\"c\",\"model\":\"mock-401\"}\n",
               &out, &err);
    ASSERT_EQ(rc, llmio_status_exit_code(LLMIO_E_RATE_LIMIT));
    ASSERT_NOT_NULL(strstr(out, "E_AUTH"));
    free(out);
    free(err);
    /* An empty input is a batch of none. */
    ASSERT_EQ(batch((const char *[]){NULL}, "", &out, &err), 0);
    ASSERT_STR_EQ(out, "");
    free(out);
    free(err);
    test_mock_stop(&m);
}

TEST(cli_batch_usage)
{
    char *out, *err;
    int rc = batch((const char *[]){"-c", "0", NULL}, "", &out, &err);
    ASSERT_EQ(rc, 2);
    ASSERT_STR_EQ(err, "llmio: --concurrency wants an integer 1..100000, not "
                       "'0' (try 'llmio help batch')\n");
    free(out);
    free(err);
    rc = batch((const char *[]){"a.jsonl", "b.jsonl", NULL}, "", &out, &err);
    ASSERT_EQ(rc, 2);
    ASSERT_STR_EQ(err, "llmio: at most one FILE (got 'b.jsonl' too) (try "
                       "'llmio help batch')\n");
    free(out);
    free(err);
    rc = batch((const char *[]){"/nonexistent/x.jsonl", NULL}, "", &out, &err);
    ASSERT_EQ(rc, 2);
    ASSERT_CONTAINS(err, "llmio: cannot open '/nonexistent/x.jsonl': ");
    free(out);
    free(err);
    rc = batch((const char *[]){"--stream", NULL}, "", &out, &err);
    ASSERT_EQ(rc, 2);
    ASSERT_STR_EQ(err, "llmio: unknown option '--stream' (try 'llmio help "
                       "batch')\n");
    free(out);
    free(err);
    ASSERT_EQ(batch((const char *[]){"--help", NULL}, NULL, &out, &err), 0);
    ASSERT_CONTAINS(out, "usage: llmio batch [options] [FILE]\n");
    ASSERT_CONTAINS(out, "\n  130  -  ");
    free(out);
    free(err);
}

/* --rpm holds: 70 requests at 600 per minute cannot all go in the first
 * 60 ms burst (a tenth of the budget); the last ten wait their turn. */
TEST(cli_batch_rate_limit)
{
    struct test_mock m;
    start(&m);
    char *in = malloc(70 * 32);
    size_t len = 0;
    for (int i = 0; i < 70; i++) {
        len += (size_t)snprintf(in + len, 32, "{\"prompt\":\"q%d\"}\n", i);
    }
    char *out, *err;
    int64_t t0 = test_now_ms();
    int rc = batch(
        (const char *[]){"-m", "gpt-4o-mini", "-c", "64", "--rpm", "600", NULL},
        in, &out, &err);
    int64_t elapsed = test_now_ms() - t0;
    ASSERT_EQ(rc, 0);
    char *lines[71];
    ASSERT_EQ(lines_of(out, lines, 71), 70);
    ASSERT_CMP(elapsed, >=, 800);
    free(in);
    free(out);
    free(err);
    test_mock_stop(&m);
}

/* The first line's 429 (retry-after 2, retries off) holds the key: the
 * other lines, queued behind -c 1, wait it out and succeed. With
 * --no-rate-pause they are sent at once, as before. */
TEST(cli_batch_rate_pause)
{
    struct test_mock m;
    start(&m);
    static const char line[] =
        "{\"model\":\"gpt-4o-mini@fail-first=1;status=429;retry-after=2;"
        "key=%s\",\"messages\":[{\"role\":\"user\",\"content\":\"q%d\"}]}\n";
    for (int off = 0; off <= 1; off++) {
        char in[1024];
        size_t len = 0;
        for (int i = 0; i < 4; i++) {
            len += (size_t)snprintf(in + len, sizeof in - len, line,
                                    off ? "cbo" : "cbp", i);
        }
        const char *args[] = {"-c", "1", "--retries", "0", NULL, NULL};
        if (off) {
            args[4] = "--no-rate-pause";
        }
        char *out, *err;
        int64_t t0 = test_now_ms();
        int rc = batch(args, in, &out, &err);
        int64_t elapsed = test_now_ms() - t0;
        ASSERT_EQ(rc, llmio_status_exit_code(LLMIO_E_RATE_LIMIT));
        char *lines[5];
        ASSERT_EQ(lines_of(out, lines, 5), 4);
        ASSERT_CONTAINS(lines[0], "\"status\":\"E_RATE_LIMIT\"");
        for (int i = 1; i < 4; i++) {
            ASSERT_CONTAINS(lines[i], "\"status\":\"OK\"");
        }
        if (off) {
            ASSERT_CMP(elapsed, <, 1500);
        } else {
            ASSERT_CMP(elapsed, >=, 1950);
        }
        free(out);
        free(err);
    }
    test_mock_stop(&m);
}

/* SIGINT cancels the whole batch: the requests in flight end CANCELLED and
 * are written out, no other line is read, exit 130. */
TEST(cli_batch_sigint_accounts_every_request)
{
    struct test_mock m;
    start(&m);
    char bin[1024], ipath[1024], opath[1024], epath[1024];
    snprintf(bin, sizeof bin, "%s/llmio", test_bindir());
    snprintf(ipath, sizeof ipath, "%s/in.jsonl", test_tmpdir());
    snprintf(opath, sizeof opath, "%s/out.jsonl", test_tmpdir());
    snprintf(epath, sizeof epath, "%s/err.txt", test_tmpdir());
    FILE *f = fopen(ipath, "w");
    ASSERT_NOT_NULL(f);
    for (int i = 0; i < 500; i++) {
        fprintf(f,
                "{\"prompt\":\"q%d\",\"model\":\"gpt-4o-mini@ttft=20000\"}\n",
                i);
    }
    fclose(f);
    pid_t pid = fork();
    if (pid == 0) {
        if (freopen(opath, "w", stdout) == NULL ||
            freopen(epath, "w", stderr) == NULL) {
            _exit(127);
        }
        execl(bin, bin, "batch", "-c", "8", ipath, (char *)NULL);
        _exit(127);
    }
    /* Wait until all eight requests are at the server, then interrupt. */
    int64_t deadline = test_now_ms() + (test_is_valgrind() ? 60000 : 10000);
    while (engine_mock_connections(&m) < 8) {
        ASSERT_CMP(test_now_ms(), <, deadline);
        usleep(20000);
    }
    int64_t t0 = test_now_ms();
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_CMP(test_now_ms() - t0, <, test_is_valgrind() ? 10000 : 2000);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 130);
    char *out = test_read_file(opath, NULL);
    char *lines[16];
    ASSERT_EQ(lines_of(out, lines, 16), 8);
    for (int i = 0; i < 8; i++) {
        char want[64];
        snprintf(want, sizeof want, "{\"index\":%d,\"line\":%d,", i, i + 1);
        ASSERT_EQ(strncmp(lines[i], want, strlen(want)), 0);
        ASSERT_CONTAINS(lines[i], "\"status\":\"E_CANCELLED\"");
    }
    free(out);
    test_mock_stop(&m);
}
