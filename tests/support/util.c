/*
 * util.c - test helpers: files, child processes and the llmio-mock child.
 */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        test_fail_(__FILE__, __LINE__, "cannot open %s: %s", path,
                   strerror(errno));
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        if (r == 0) {
            break;
        }
        n += r;
    }
    fclose(f);
    buf[n] = '\0';
    if (len) {
        *len = n;
    }
    return buf;
}

pid_t test_spawn_port(const char *const *argv, int *port)
{
    *port = 0;
    int pfd[2];
    if (pipe(pfd) != 0) {
        test_fail_(__FILE__, __LINE__, "pipe: %s", strerror(errno));
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* The child must not outlive a crashed or killed test. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(1);
        }
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    char line[64];
    size_t got = 0;
    int64_t deadline = test_now_ms() + 10000;
    while (got < sizeof line - 1) {
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        int left = (int)(deadline - test_now_ms());
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            break;
        }
        ssize_t r = read(pfd[0], line + got, 1);
        if (r <= 0) {
            break;
        }
        if (line[got] == '\n') {
            break;
        }
        got++;
    }
    line[got] = '\0';
    /* The child must only print the port: closing the read end would
     * SIGPIPE it if it ever printed again. */
    close(pfd[0]);
    *port = (int)strtol(line, NULL, 10);
    return pid;
}

void test_mock_start(struct test_mock *m, const char *const *extra)
{
    memset(m, 0, sizeof *m);
    char bin[1024];
    snprintf(bin, sizeof bin, "%s/llmio-mock", test_bindir());
    snprintf(m->log_path, sizeof m->log_path, "%s/mock-%d.log", test_tmpdir(),
             (int)getpid());
    const char *argv[64];
    int n = 0;
    argv[n++] = bin;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--log";
    argv[n++] = m->log_path;
    for (int i = 0; extra && extra[i] && n < 62; i++) {
        argv[n++] = extra[i];
    }
    argv[n] = NULL;
    m->pid = test_spawn_port(argv, &m->port);
    if (m->port <= 0) {
        test_mock_stop(m);
        test_fail_(__FILE__, __LINE__, "llmio-mock (%s) did not print a port",
                   bin);
    }
    snprintf(m->url, sizeof m->url, "http://127.0.0.1:%d", m->port);
}

void test_mock_stop(struct test_mock *m)
{
    if (m->pid > 0) {
        kill(m->pid, SIGTERM);
        int status;
        waitpid(m->pid, &status, 0);
        m->pid = 0;
    }
}

char *test_mock_log(struct test_mock *m, size_t *len)
{
    return test_read_file(m->log_path, len);
}

static char *slurp_fd(int fd)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 1024 + 1 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        n += (size_t)r;
    }
    buf[n] = '\0';
    return buf;
}

int test_run_cmd(const char *const *argv, const char *stdin_text, char **out,
                 char **err)
{
    char opath[1024], epath[1024], ipath[1024];
    static int seq;
    seq++;
    snprintf(opath, sizeof opath, "%s/cmd-%d.out", test_tmpdir(), seq);
    snprintf(epath, sizeof epath, "%s/cmd-%d.err", test_tmpdir(), seq);
    snprintf(ipath, sizeof ipath, "%s/cmd-%d.in", test_tmpdir(), seq);
    FILE *in = fopen(ipath, "wb");
    if (in == NULL) {
        test_fail_(__FILE__, __LINE__, "cannot write %s", ipath);
    }
    if (stdin_text) {
        fputs(stdin_text, in);
    }
    fclose(in);
    pid_t pid = fork();
    if (pid == 0) {
        int i = open(ipath, O_RDONLY);
        int o = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(epath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(i, 0);
        dup2(o, 1);
        dup2(e, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    int fd = open(opath, O_RDONLY);
    char *o = slurp_fd(fd);
    close(fd);
    fd = open(epath, O_RDONLY);
    char *e = slurp_fd(fd);
    close(fd);
    if (out) {
        *out = o;
    } else {
        free(o);
    }
    if (err) {
        *err = e;
    } else {
        free(e);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}

int test_run_llmio(const char *cmd, const char *const *args,
                   const char *stdin_text, char **out, char **err)
{
    char bin[1024];
    snprintf(bin, sizeof bin, "%s/llmio", test_bindir());
    const char *argv[64];
    int n = 0;
    argv[n++] = bin;
    if (cmd != NULL) {
        argv[n++] = cmd;
    }
    for (int i = 0; args[i] != NULL && n < 63; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    return test_run_cmd(argv, stdin_text, out, err);
}
