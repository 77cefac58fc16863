/*
 * runner.c - runs every registered test in its own process with a timeout.
 *
 * Each test is a fresh exec of this binary with "--run-one NAME" (optionally
 * behind a wrapper such as valgrind), in its own process group so a timeout
 * kills it together with any helper it started (the mock server). Output of
 * a passing test is discarded; a failing test's output is printed. The last
 * line is always "N passed, N failed", which CI reads.
 *
 * Usage: llmio-test [-j N] [--list] [--run-one NAME] [SUBSTRING...]
 * Env:   LLMIO_TEST_TIMEOUT  seconds per test (default 60; x4 under valgrind)
 *        LLMIO_TEST_VALGRIND=1  run each test under valgrind memcheck
 */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define X(name) void test_##name(void);
#include "test-list.h"
#undef X

struct test_entry {
    const char *name;
    void (*fn)(void);
};

static const struct test_entry tests[] = {
#define X(name) {#name, test_##name},
#include "test-list.h"
#undef X
    {NULL, NULL}};

static char self_path[PATH_MAX];
static char bin_dir[PATH_MAX];
static char tmp_dir[PATH_MAX];

void test_fail_(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(NULL);
    exit(1);
}

const char *test_srcdir(void)
{
    return LLMIO_SRCDIR;
}

const char *test_bindir(void)
{
    return bin_dir;
}

bool test_is_valgrind(void)
{
    const char *v = getenv("LLMIO_TEST_VALGRIND");
    return v != NULL && strcmp(v, "1") == 0;
}

const char *test_tmpdir(void)
{
    return tmp_dir;
}

int64_t test_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run_one(const char *name)
{
    for (const struct test_entry *t = tests; t->name; t++) {
        if (strcmp(t->name, name) == 0) {
            if (chdir(LLMIO_SRCDIR) != 0) {
                perror("chdir");
                return 1;
            }
            t->fn();
            fflush(NULL);
            return 0;
        }
    }
    fprintf(stderr, "no such test: %s\n", name);
    return 2;
}

struct slot {
    const struct test_entry *t;
    pid_t pid;
    int64_t start_ms;
    char out_path[PATH_MAX + 8];
    char dir[PATH_MAX];
    bool timed_out;
};

static void rm_rf(const char *path)
{
    /* Tests only create plain files in their directory. */
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) {
        fprintf(stderr, "warning: could not remove %s\n", path);
    }
}

static pid_t spawn(struct slot *s, const char *base_tmp, int idx)
{
    snprintf(s->dir, sizeof s->dir, "%s/%d-%s", base_tmp, idx, s->t->name);
    mkdir(s->dir, 0700);
    snprintf(s->out_path, sizeof s->out_path, "%s.out", s->dir);
    pid_t pid = fork();
    if (pid != 0) {
        return pid;
    }
    setpgid(0, 0);
    int fd = open(s->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    setenv("LLMIO_TEST_TMPDIR", s->dir, 1);
    const char *argv[32];
    int n = 0;
    if (test_is_valgrind()) {
        argv[n++] = "valgrind";
        argv[n++] = "-q";
        argv[n++] = "--error-exitcode=99";
        argv[n++] = "--leak-check=full";
        argv[n++] = "--errors-for-leak-kinds=definite,indirect";
        argv[n++] = "--show-leak-kinds=definite,indirect";
        argv[n++] = "--track-fds=no";
    }
    argv[n++] = self_path;
    argv[n++] = "--run-one";
    argv[n++] = s->t->name;
    argv[n] = NULL;
    execvp(argv[0], (char *const *)argv);
    perror("exec");
    _exit(127);
}

static void print_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    char buf[4096];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && total < (1 << 20)) {
        fwrite(buf, 1, n, stdout);
        total += n;
    }
    fclose(f);
}

static bool matches(const char *name, int nfilters, char **filters)
{
    if (nfilters == 0) {
        return true;
    }
    for (int i = 0; i < nfilters; i++) {
        if (strstr(name, filters[i]) != NULL) {
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (n <= 0) {
        perror("readlink");
        return 2;
    }
    self_path[n] = '\0';
    snprintf(bin_dir, sizeof bin_dir, "%s", self_path);
    char *slash = strrchr(bin_dir, '/');
    if (slash) {
        *slash = '\0';
    }
    const char *td = getenv("LLMIO_TEST_TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s", td ? td : "/tmp");

    int jobs = 2;
    int nfilters = 0;
    char **filters = calloc((size_t)argc, sizeof *filters);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--run-one") == 0 && i + 1 < argc) {
            free(filters);
            return run_one(argv[i + 1]);
        } else if (strcmp(argv[i], "--list") == 0) {
            for (const struct test_entry *t = tests; t->name; t++) {
                printf("%s\n", t->name);
            }
            free(filters);
            return 0;
        } else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc) {
            jobs = (int)strtol(argv[++i], NULL, 10);
            if (jobs < 1) {
                jobs = 1;
            }
        } else {
            filters[nfilters++] = argv[i];
        }
    }

    int timeout_s = 60;
    const char *ts = getenv("LLMIO_TEST_TIMEOUT");
    if (ts) {
        timeout_s = (int)strtol(ts, NULL, 10);
    }
    if (test_is_valgrind()) {
        timeout_s *= 4;
    }

    char base_tmp[] = "/tmp/llmio-test-XXXXXX";
    if (mkdtemp(base_tmp) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    size_t ntests = 0;
    for (const struct test_entry *t = tests; t->name; t++) {
        ntests++;
    }
    struct slot *slots = calloc((size_t)jobs, sizeof *slots);
    int passed = 0, failed = 0, running = 0;
    size_t next = 0;
    for (;;) {
        while (running < jobs && next < ntests) {
            const struct test_entry *t = &tests[next++];
            if (!matches(t->name, nfilters, filters)) {
                continue;
            }
            for (int k = 0; k < jobs; k++) {
                if (slots[k].pid == 0) {
                    slots[k].t = t;
                    slots[k].timed_out = false;
                    slots[k].start_ms = test_now_ms();
                    slots[k].pid = spawn(&slots[k], base_tmp, (int)next);
                    running++;
                    break;
                }
            }
        }
        if (running == 0) {
            break;
        }
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid == 0) {
            int64_t now = test_now_ms();
            for (int k = 0; k < jobs; k++) {
                if (slots[k].pid > 0 && !slots[k].timed_out &&
                    now - slots[k].start_ms > (int64_t)timeout_s * 1000) {
                    slots[k].timed_out = true;
                    kill(-slots[k].pid, SIGKILL);
                }
            }
            poll(NULL, 0, 5);
            continue;
        }
        if (pid < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (int k = 0; k < jobs; k++) {
            struct slot *s = &slots[k];
            if (s->pid != pid) {
                continue;
            }
            /* Whatever the test left behind in its group goes too. */
            kill(-pid, SIGKILL);
            int64_t ms = test_now_ms() - s->start_ms;
            bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            if (ok) {
                passed++;
                printf("ok     %-50s %6" PRId64 " ms\n", s->t->name, ms);
            } else {
                failed++;
                if (s->timed_out) {
                    printf("FAIL   %-50s timed out after %d s\n", s->t->name,
                           timeout_s);
                } else if (WIFSIGNALED(status)) {
                    printf("FAIL   %-50s killed by signal %d\n", s->t->name,
                           WTERMSIG(status));
                } else {
                    printf("FAIL   %-50s exit %d\n", s->t->name,
                           WEXITSTATUS(status));
                }
                printf("------ output of %s\n", s->t->name);
                print_file(s->out_path);
                printf("------\n");
            }
            fflush(stdout);
            unlink(s->out_path);
            rm_rf(s->dir);
            s->pid = 0;
            running--;
        }
    }
    rm_rf(base_tmp);
    free(slots);
    free(filters);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
