/*
 * test-cli-chat.c - "llmio chat" run as a user runs it: turns piped on
 * stdin, exact stdout, stderr and exit code, and the mock's request log
 * to check that each turn sent the whole conversation.
 */
#include "engine-util.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define MODEL "openai/gpt-4o-mini"

static void start(struct test_mock *m)
{
    test_mock_start(m, NULL);
    char url[128];
    snprintf(url, sizeof url, "%s/v1", m->url);
    setenv("OPENAI_BASE_URL", url, 1);
    setenv("OPENAI_API_KEY", "sk-test-chat-SECRET", 1);
}

static int chat(const char *const *args, const char *in, char **out, char **err)
{
    return test_run_llmio("chat", args, in, out, err);
}

/* The part of the request log line I (0-based) among those holding
 * NEEDLE that carries the body as a JSON object: "body":{...}. */
static char *log_body(struct test_mock *m, const char *needle, int i)
{
    char *log = test_mock_log(m, NULL);
    char *line = log, *found = NULL;
    int n = 0;
    while (line != NULL && *line != '\0' && found == NULL) {
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        if (strstr(line, needle) != NULL && n++ == i) {
            const char *b = strstr(line, "\"body\":");
            const char *e = b != NULL ? strstr(b, ",\"raw_body\":") : NULL;
            ASSERT(b != NULL && e != NULL);
            found = strndup(b, (size_t)(e - b));
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    free(log);
    ASSERT_NOT_NULL(found);
    return found;
}

/* Two turns: the replies stream to stdout, and the second request holds
 * the system prompt, the first question and answer, then the second. */
TEST(cli_chat_multi_turn)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    int rc = chat((const char *[]){"-m", MODEL, "--system", "Be brief.", NULL},
                  "hello there\n\nsecond turn\n", &out, &err);
    ASSERT_STR_EQ(err, "");
    ASSERT_STR_EQ(out, "hello there\nsecond turn\n");
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(engine_log_lines(&m, "hello there", NULL, 0), 2);
    char *b0 = log_body(&m, "hello there", 0);
    char *b1 = log_body(&m, "hello there", 1);
    ASSERT_CONTAINS(b0, "\"stream\":true");
    ASSERT_NULL(strstr(b0, "second turn"));
    ASSERT_CONTAINS(b1, "\"messages\":[{\"role\":\"system\",\"content\":\"Be "
                        "brief.\"},{\"role\":\"user\",\"content\":\"hello "
                        "there\"},{\"role\":\"assistant\",\"content\":\"hello "
                        "there\"},{\"role\":\"user\",\"content\":\"second "
                        "turn\"}]");
    free(b0);
    free(b1);
    free(out);
    free(err);
    test_mock_stop(&m);
}

/* /system, /save, /reset, /model and /exit; the saved file is a Chat
 * Completions body. */
TEST(cli_chat_commands)
{
    struct test_mock m;
    start(&m);
    char path[1024], in[4096];
    snprintf(path, sizeof path, "%s/chat.json", test_tmpdir());
    snprintf(in, sizeof in,
             "/system Say \"hi\".\none\n/save %s\n/reset\n/model "
             "openai/gpt-4.1-mini\ntwo\n/help\n/reset\n/system\n/load "
             "%s\nthree\n/exit\nnever sent\n",
             path, path);
    char *out, *err;
    int rc = chat((const char *[]){"-m", MODEL, NULL}, in, &out, &err);
    ASSERT_STR_EQ(out, "one\ntwo\nthree\n");
    ASSERT_CONTAINS(err, "llmio: loaded 2 messages from ");
    ASSERT_CONTAINS(err, "llmio: saved 2 messages to ");
    ASSERT_CONTAINS(err, "llmio: history cleared\n");
    ASSERT_CONTAINS(err, "commands: /exit, /reset");
    ASSERT_EQ(rc, 0);
    char *saved = test_read_file(path, NULL);
    ASSERT_STR_EQ(saved,
                  "{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":"
                  "\"system\",\"content\":\"Say \\\"hi\\\".\"},{\"role\":"
                  "\"user\",\"content\":\"one\"},{\"role\":\"assistant\","
                  "\"content\":\"one\"}]}\n");
    free(saved);
    /* After /reset the turn holds only the system prompt and itself, and
     * goes to the new model. */
    char *b = log_body(&m, "\"content\":\"two\"", 0);
    ASSERT_NULL(strstr(b, "\"one\""));
    ASSERT_CONTAINS(b, "\"model\":\"gpt-4.1-mini\"");
    ASSERT_CONTAINS(b, "{\"role\":\"system\",\"content\":\"Say \\\"hi\\\".\"}");
    free(b);
    /* /load brought the saved turn and system prompt back. */
    b = log_body(&m, "\"content\":\"three\"", 0);
    ASSERT_CONTAINS(b, "{\"role\":\"system\",\"content\":\"Say "
                       "\\\"hi\\\".\"},{\"role\":\"user\",\"content\":\"one\"},"
                       "{\"role\":\"assistant\",\"content\":\"one\"},{\"role\":"
                       "\"user\",\"content\":\"three\"}");
    free(b);
    ASSERT_EQ(engine_log_lines(&m, "never sent", NULL, 0), 0);
    free(out);
    free(err);
    test_mock_stop(&m);
}

/* A failed turn prints one error line, leaves the history without it, and
 * the chat goes on; the exit code is the last turn's. */
TEST(cli_chat_failed_turn_goes_on)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    int rc =
        chat((const char *[]){"-m", MODEL, "--retries", "0", "-H",
                              "X-Mock-Scenario: fail-first=1;status=500", NULL},
             "lost question\nkept question\n", &out, &err);
    ASSERT_STR_EQ(out, "kept question\n");
    ASSERT_EQ(strncmp(err, "llmio: E_SERVER: ", 17), 0);
    ASSERT_EQ(rc, 0);
    char *b = log_body(&m, "kept question", 0);
    ASSERT_NULL(strstr(b, "lost question"));
    free(b);
    free(out);
    free(err);

    /* The last turn failing sets the exit code from the status table. */
    rc = chat((const char *[]){"-m", MODEL, "-H", "X-Mock-Scenario: status=401",
                               NULL},
              "hi\n", &out, &err);
    ASSERT_STR_EQ(out, "");
    ASSERT_EQ(strncmp(err, "llmio: E_AUTH: ", 15), 0);
    ASSERT_NULL(strstr(err, "SECRET"));
    ASSERT_EQ(rc, llmio_status_exit_code(LLMIO_E_AUTH));
    free(out);
    free(err);
    test_mock_stop(&m);
}

/* EOF at once is a clean, silent end; usage errors exit 2. */
TEST(cli_chat_eof_and_usage)
{
    struct test_mock m;
    start(&m);
    char *out, *err;
    ASSERT_EQ(chat((const char *[]){"-m", MODEL, NULL}, "", &out, &err), 0);
    ASSERT_STR_EQ(out, "");
    ASSERT_STR_EQ(err, "");
    free(out);
    free(err);
    ASSERT_EQ(chat((const char *[]){NULL}, "", &out, &err), 2);
    ASSERT_STR_EQ(err, "llmio: missing -m MODEL (try 'llmio help chat')\n");
    free(out);
    free(err);
    ASSERT_EQ(
        chat((const char *[]){"-m", MODEL, "hello", NULL}, "", &out, &err), 2);
    ASSERT_CONTAINS(err, "unexpected 'hello'");
    free(out);
    free(err);
    /* A bad command, a bad /model and a bad --temperature. */
    ASSERT_EQ(chat((const char *[]){"-m", MODEL, NULL}, "/nope\n", &out, &err),
              2);
    ASSERT_STR_EQ(err, "llmio: unknown command '/nope' (try /help)\n");
    free(out);
    free(err);
    ASSERT_EQ(chat((const char *[]){"-m", MODEL, NULL}, "/model\n", &out, &err),
              2);
    ASSERT_CONTAINS(err, "E_INVALID: model: required");
    free(out);
    free(err);
    ASSERT_EQ(
        chat((const char *[]){"-m", MODEL, "-t", "7", NULL}, "x\n", &out, &err),
        2);
    ASSERT_CONTAINS(err, "temperature");
    free(out);
    free(err);
    ASSERT_EQ(chat((const char *[]){"--help", NULL}, "", &out, &err), 0);
    ASSERT_CONTAINS(out, "usage: llmio chat -m MODEL [options]");
    free(out);
    free(err);
    ASSERT_EQ(test_run_llmio(NULL, (const char *[]){"--help", NULL}, NULL, &out,
                             &err),
              0);
    ASSERT_CONTAINS(out, "\n  chat     ");
    free(out);
    free(err);
    test_mock_stop(&m);
}

/* Waits until the file PATH holds NEEDLE (or, NEEDLE NULL, anything). */
static void wait_for_file(const char *path, const char *needle)
{
    int64_t deadline = test_now_ms() + engine_slack_ms(10000);
    for (;;) {
        FILE *f = fopen(path, "r");
        char buf[4096] = "";
        size_t n = 0;
        if (f != NULL) {
            n = fread(buf, 1, sizeof buf - 1, f);
            buf[n] = '\0';
            fclose(f);
        }
        if (needle == NULL ? n > 0 : strstr(buf, needle) != NULL) {
            return;
        }
        ASSERT_CMP(test_now_ms(), <, deadline);
        usleep(10000);
    }
}

/* ^C cancels the reply being written, not the chat: the next line is
 * answered, without the cancelled question in its history. */
TEST(cli_chat_sigint_cancels_reply)
{
    struct test_mock m;
    start(&m);
    char bin[1024], opath[1024], epath[1024];
    snprintf(bin, sizeof bin, "%s/llmio", test_bindir());
    snprintf(opath, sizeof opath, "%s/chat.out", test_tmpdir());
    snprintf(epath, sizeof epath, "%s/chat.err", test_tmpdir());
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = fork();
    if (pid == 0) {
        if (dup2(p[0], 0) < 0 || freopen(opath, "w", stdout) == NULL ||
            freopen(epath, "w", stderr) == NULL) {
            _exit(127);
        }
        close(p[1]);
        execl(bin, bin, "chat", "-m", MODEL, "-H",
              "X-Mock-Scenario: fail-first=1;lorem=400;tps=20", (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    ASSERT_EQ(write(p[1], "tell a story\n", 13), 13);
    wait_for_file(opath, NULL);
    kill(pid, SIGINT);
    wait_for_file(epath, "E_CANCELLED");
    ASSERT_EQ(write(p[1], "after\n", 6), 6);
    close(p[1]);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    char *out = test_read_file(opath, NULL);
    size_t len = strlen(out);
    ASSERT_CMP(len, >, 6);
    ASSERT_STR_EQ(out + len - 6, "after\n");
    free(out);
    char *b = log_body(&m, "\"content\":\"after\"", 0);
    ASSERT_NULL(strstr(b, "tell a story"));
    free(b);
    test_mock_stop(&m);
}
