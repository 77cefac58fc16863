/*
 * test-examples.c - every program in examples/ built and run against
 * llmio-mock, its stdout and exit code checked exactly. The examples are
 * what users copy; a broken one is a broken promise.
 */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs build/bin/examples/NAME with the mock's base URL (and EXTRA, an
 * optional further argument). Returns the exit code. */
static int example(struct test_mock *m, const char *name, const char *extra,
                   const char *extra2, char **out, char **err)
{
    char bin[1024], url[128];
    snprintf(bin, sizeof bin, "%s/examples/%s", test_bindir(), name);
    snprintf(url, sizeof url, "%s/v1", m->url);
    const char *argv[] = {bin, url, extra, extra2, NULL};
    return test_run_cmd(argv, NULL, out, err);
}

static void start(struct test_mock *m)
{
    test_mock_start(m, NULL);
    setenv("OPENAI_API_KEY", "sk-test-examples", 1);
    setenv("ANTHROPIC_API_KEY", "sk-ant-test-examples", 1);
    unsetenv("OPENAI_BASE_URL");
}

/* Runs NAME and expects exit 0 and exactly WANT on stdout. */
static void expect_output(const char *name, const char *want)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    int rc = example(&m, name, NULL, NULL, &out, &err);
    if (rc != 0) {
        fprintf(stderr, "stderr of %s:\n%s\n", name, err);
    }
    ASSERT_STR_EQ(out, want);
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    test_mock_stop(&m);
}

/* The README's quickstart is examples/one_call.c, verbatim, so the
 * snippet users paste is the one this suite compiles and runs. */
TEST(example_readme_quickstart_is_one_call)
{
    char *readme = test_read_file("README.md", NULL);
    char *one = test_read_file("examples/one_call.c", NULL);
    size_t len = strlen(one) + 16;
    char *block = malloc(len);
    snprintf(block, len, "```c\n%s```\n", one);
    ASSERT_CONTAINS(readme, block);
    free(block);
    free(one);
    free(readme);
}

TEST(example_one_call)
{
    expect_output("one_call", "Hello!\n");
}

TEST(example_gather)
{
    expect_output("gather", "Q: What is Python?\nA: What is Python?\n\n"
                            "Q: What is Rust?\nA: What is Rust?\n\n"
                            "Q: What is async programming?\n"
                            "A: What is async programming?\n\n");
}

TEST(example_gather_errors)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    int rc = example(&m, "gather_errors", NULL, NULL, &out, &err);
    ASSERT_EQ(rc, 0);
    /* Results and errors come back in input order, each typed. */
    const char *lines[] = {
        "task 0 succeeded: Question 0\n",
        "task 1 failed: E_BAD_REQUEST (http 400): ",
        "task 2 succeeded: Question 2\n",
        "task 3 failed: E_AUTH (http 401): ",
        "task 4 succeeded: Question 4\n",
        "2 of 5 failed\n",
    };
    const char *p = out;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        ASSERT_EQ(strncmp(p, lines[i], strlen(lines[i])), 0);
        p = strchr(p, '\n');
        ASSERT_NOT_NULL(p);
        p++;
    }
    ASSERT_STR_EQ(p, "");
    free(out);
    free(err);
    test_mock_stop(&m);
}

TEST(example_batch)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    const char *n = test_is_valgrind() ? "50" : "500";
    int rc = example(&m, "batch", n, "16", &out, &err);
    char want[64];
    snprintf(want, sizeof want, "%s requests: %s ok\n", n, n);
    ASSERT_STR_EQ(out, want);
    ASSERT_CONTAINS(err, " requests/s\n");
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    test_mock_stop(&m);
}

TEST(example_worker_queue)
{
    expect_output("worker_queue",
                  "job 0: Question 0\njob 1: Question 1\njob 2: Question 2\n"
                  "20 jobs, 20 ok, at most 5 in flight (limit 5)\n");
}

TEST(example_stream)
{
    expect_output("stream", "Write a short poem about Python.\n"
                            "[finish: stop, 6 completion tokens]\n");
}

TEST(example_stream_pull)
{
    expect_output("stream_pull", "Tell a story.\n[finish: stop]\n");
}

TEST(example_multi_turn)
{
    expect_output("multi_turn",
                  "User: Hello! What can you help me with?\n"
                  "Assistant: Hello! What can you help me with?\n"
                  "User: Tell me about async programming.\n"
                  "Assistant: Tell me about async programming.\n"
                  "User: Thanks!\nAssistant: Thanks!\n");
}

TEST(example_session)
{
    expect_output("session",
                  "User: What time is it in Lisbon?\n"
                  "Assistant: [get_time({\"city\":\"Lisbon\"}) -> "
                  "{\"city\":\"Lisbon\",\"time\":\"12:00\"}]\n"
                  "Assistant: {\"city\":\"Lisbon\",\"time\":\"12:00\"}\n"
                  "User: Thanks!\nAssistant: Thanks!\n"
                  "history: 6 messages\n");
}

TEST(example_timeout)
{
    expect_output("timeout",
                  "Tell a long\n"
                  "1. stalled stream: E_TIMEOUT (timed out), ended by the "
                  "500 ms idle timeout\n"
                  "2. wait(300 ms): E_TIMEOUT; still pending: yes\n"
                  "   after cancel: E_CANCELLED\n");
}

TEST(example_cancel)
{
    expect_output("cancel",
                  "1. cancel: E_CANCELLED after 3 text deltas, done "
                  "callbacks: 1\n"
                  "2. callback stop: E_ABORTED after 2 text deltas, done "
                  "callbacks: 1\n"
                  "3. client free: 10 of 10 E_CANCELLED, done callbacks: 10\n");
}

TEST(example_poll_loop)
{
    expect_output("poll_loop", "0: OK: Question 0\n1: OK: Question 1\n"
                               "2: OK: Question 2\n");
}

TEST(example_tools)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    int rc = example(&m, "tools", NULL, NULL, &out, &err);
    ASSERT_STR_EQ(err, "");
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(strncmp(out, "finish: tool_calls, 1 tool call(s)\ncall ", 40), 0);
    ASSERT_CONTAINS(out, ": get_weather({\"location\":\"San Francisco\"}) -> "
                         "{\"location\":\"San Francisco\",\"forecast\":"
                         "\"sunny\",\"temperature_f\":72}\n"
                         "finish: stop\nanswer: ");
    /* The second request carried the assistant's call and the result. */
    char *log = test_mock_log(&m, NULL);
    ASSERT_CONTAINS(log, "tool_call_id");
    free(log);
    free(out);
    free(err);
    test_mock_stop(&m);
}

/* Fourteen requests at 120 a minute: all answered, in order, the last
 * two held back by the limiter. */
TEST(example_rate_limit)
{
    expect_output("rate_limit",
                  "Hello 1\nHello 2\nHello 3\nHello 4\nHello 5\nHello 6\n"
                  "Hello 7\nHello 8\nHello 9\nHello 10\nHello 11\n"
                  "Hello 12\nHello 13\nHello 14\npaced: yes\n");
}

TEST(example_fallback)
{
    expect_output("fallback",
                  "attempt: openai/gpt-4o-mini@max-context=5 -> "
                  "E_CONTEXT_LENGTH (http 400)\n"
                  "attempt: openai/gpt-4.1@status=503 -> E_OVERLOADED "
                  "(http 503)\n"
                  "attempt: anthropic/claude-sonnet-4-5 -> OK (http 200)\n"
                  "served by anthropic/claude-sonnet-4-5 (fallback 2, hedges "
                  "0): Please summarise this very long report\n");
}

TEST(example_stream_restart)
{
    expect_output("stream_restart",
                  "Lorem ipsum dolor\n"
                  "[attempt 1 failed (E_NETWORK): discard 17 characters, 0 "
                  "tool-call fragments]\n"
                  "Tell me a story.\n"
                  "[2 attempts; the response: \"Tell me a story.\"]\n");
}

TEST(example_retry)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    int rc = example(&m, "retry", NULL, NULL, &out, &err);
    ASSERT_STR_EQ(out, "attempt 1: E_OVERLOADED (http 503), retrying in 50 "
                       "ms (Retry-After)\n"
                       "attempt 2: E_OVERLOADED (http 503), retrying in 50 "
                       "ms (Retry-After)\n"
                       "attempt 3: Hello\n");
    ASSERT_EQ(rc, 0);
    /* Three requests reached the server, no more. */
    char *log = test_mock_log(&m, NULL);
    int n = 0;
    const char *p = strstr(log, "\"/v1/chat/completions\"");
    while (p != NULL) {
        n++;
        p = strstr(p + 1, "\"/v1/chat/completions\"");
    }
    ASSERT_EQ(n, 3);
    free(log);
    free(out);
    free(err);
    test_mock_stop(&m);
}

TEST(example_libuv_app)
{
#ifdef LLMIO_HAVE_LIBUV
    struct test_mock m;
    start(&m);
    char *out, *err;
    int rc = example(&m, "libuv_app", NULL, NULL, &out, &err);
    ASSERT_STR_EQ(out, "0: OK: What is async programming?\n"
                       "1: OK: What is concurrency?\n"
                       "2: OK: What is parallelism?\n");
    /* The app's own timer kept running while the streams did. */
    ASSERT_CONTAINS(err, "the app's timer ticked ");
    ASSERT_NULL(strstr(err, "ticked 0 times"));
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    test_mock_stop(&m);
#endif
}

/* Sends REQUEST (a whole HTTP/1.0 request) to 127.0.0.1:PORT and reads
 * the response: all of it, or, when UNTIL is not NULL, until UNTIL has
 * arrived, and then hangs up (a client that goes away). */
static char *http_exchange(int port, const char *request, const char *until)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ASSERT_EQ(write(fd, request, strlen(request)), (int64_t)strlen(request));
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    int64_t deadline = test_now_ms() + 20000;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ASSERT_EQ(poll(&p, 1, (int)(deadline - test_now_ms())), 1);
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r <= 0) {
            break;
        }
        n += (size_t)r;
        buf[n] = '\0';
        if (until != NULL && strstr(buf, until) != NULL) {
            break;
        }
        ASSERT(n < cap - 1);
    }
    buf[n] = '\0';
    close(fd);
    return buf;
}

/* The body of an HTTP response (after the blank line). */
static const char *http_body(const char *resp)
{
    const char *b = strstr(resp, "\r\n\r\n");
    ASSERT_NOT_NULL(b);
    return b + 4;
}

TEST(example_web_server)
{
#ifdef LLMIO_HAVE_LIBEVENT
    struct test_mock m;
    start(&m);
    char bin[1024], url[128];
    snprintf(bin, sizeof bin, "%s/examples/web_server", test_bindir());
    snprintf(url, sizeof url, "%s/v1", m.url);
    int pfd[2];
    ASSERT_EQ(pipe(pfd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execl(bin, bin, url, "0", "3", (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    FILE *out = fdopen(pfd[0], "r");
    char line[256];
    ASSERT_NOT_NULL(fgets(line, sizeof line, out));
    const char *colon = strrchr(line, ':');
    ASSERT_EQ(strncmp(line, "listening on http://127.0.0.1:", 30), 0);
    int port = atoi(colon + 1);

    /* /ask: the whole answer as the body. */
    char *r = http_exchange(port, "GET /ask?q=hello%20web HTTP/1.0\r\n\r\n",
                            NULL);
    ASSERT_EQ(strncmp(r, "HTTP/1.0 200 OK\r\n", 17), 0);
    ASSERT_STR_EQ(http_body(r), "hello web\n");
    free(r);
    /* /stream: the same, forwarded as it arrives. */
    r = http_exchange(port, "GET /stream?q=one%20two%20three HTTP/1.0\r\n\r\n",
                      NULL);
    ASSERT_EQ(strncmp(r, "HTTP/1.0 200 OK\r\n", 17), 0);
    ASSERT_STR_EQ(http_body(r), "one two three\n");
    free(r);
    /* No question: a 400, and no model call. */
    r = http_exchange(port, "GET /ask HTTP/1.0\r\n\r\n", NULL);
    ASSERT_EQ(strncmp(r + 8, " 400 ", 5), 0);
    free(r);
    /* A client that leaves mid-stream gets its model call cancelled. */
    r = http_exchange(port,
                      "GET /stream?q=x HTTP/1.0\r\n"
                      "X-Mock-Scenario: lorem=400;tps=50\r\n\r\n",
                      "Lorem");
    free(r);
    /* The third answer ends the server (MAX 3). */
    r = http_exchange(port, "GET /ask?q=last HTTP/1.0\r\n\r\n", NULL);
    ASSERT_STR_EQ(http_body(r), "last\n");
    free(r);

    ASSERT_NOT_NULL(fgets(line, sizeof line, out));
    ASSERT_STR_EQ(line, "served 3, cancelled 1\n");
    fclose(out);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    /* The server saw the request it was cancelled out of, and no more. */
    char *log = test_mock_log(&m, NULL);
    int n = 0;
    const char *p = strstr(log, "\"/v1/chat/completions\"");
    while (p != NULL) {
        n++;
        p = strstr(p + 1, "\"/v1/chat/completions\"");
    }
    ASSERT_EQ(n, 4);
    free(log);
    test_mock_stop(&m);
#endif
}

TEST(example_embed)
{
    /* Documents and query embedded in two concurrent requests, ranked by
     * cosine similarity: a query equal to a document finds it first with
     * similarity 1, and the scores come out in descending order. */
    struct test_mock m;
    start(&m);
    char *out, *err;
    int rc = example(&m, "embed", "A kitten is sleeping on the rug.", NULL,
                     &out, &err);
    ASSERT_STR_EQ(err, "");
    ASSERT_EQ(rc, 0);
    const char *head = "4 documents, 256 dimensions, 24 prompt tokens\n"
                       "query: A kitten is sleeping on the rug.\n"
                       "1.0000  A kitten is sleeping on the rug.\n";
    ASSERT_EQ(strncmp(out, head, strlen(head)), 0);
    double prev = 1.0;
    int lines = 0;
    for (const char *p = out + strlen(head) - strlen("1.0000  A kitten is "
                                                     "sleeping on the rug.\n");
         *p != '\0'; p = strchr(p, '\n') + 1) {
        double s = strtod(p, NULL);
        ASSERT(s <= prev);
        ASSERT(s >= -1.0);
        prev = s;
        lines++;
    }
    ASSERT_EQ(lines, 4);
    free(out);
    free(err);
    test_mock_stop(&m);
}
