/*
 * stress_faults.c - the fault-injection stress run of issue 4
 * (bench/stress.h) as a program that prints its figures:
 *
 *   stress_faults [--url http://127.0.0.1:PORT] [--requests N]
 *                 [--concurrency N] [--fault-pct P] [--rpm N]
 *                 [--stall-ms MS]
 *
 * Without --url it starts build/bin/llmio-mock (next to this program's
 * directory) on a free port and stops it at the end. Prints stable
 * "name value unit" lines; exits 1 unless every request ended exactly
 * once, in success, and the RPM held in every 60 s window.
 */
#include "stress.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* Starts llmio-mock from BIN_DIR/../llmio-mock; writes its base URL. */
static pid_t start_mock(const char *argv0, char *url, size_t cap)
{
    char path[1024];
    const char *slash = strrchr(argv0, '/');
    int dir_len = slash != NULL ? (int)(slash - argv0) : 1;
    snprintf(path, sizeof path, "%.*s/../llmio-mock", dir_len,
             slash != NULL ? argv0 : ".");
    int fds[2];
    if (pipe(fds) != 0) {
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(path, path, "--port", "0", "--quiet", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[32] = "";
    ssize_t n = pid > 0 ? read(fds[0], line, sizeof line - 1) : -1;
    close(fds[0]);
    if (n <= 0) {
        fprintf(stderr, "stress_faults: could not start %s\n", path);
        return -1;
    }
    line[n] = '\0';
    snprintf(url, cap, "http://127.0.0.1:%d", atoi(line));
    return pid;
}

int main(int argc, char **argv)
{
    struct stress_cfg cfg = {NULL, 10000, 256, 20, 20000, 1000, 600000};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (strcmp(o, "--url") == 0) {
            cfg.base_url = v;
        } else if (strcmp(o, "--requests") == 0) {
            cfg.requests = atoi(v);
        } else if (strcmp(o, "--concurrency") == 0) {
            cfg.concurrency = atoi(v);
        } else if (strcmp(o, "--fault-pct") == 0) {
            cfg.fault_pct = atoi(v);
        } else if (strcmp(o, "--rpm") == 0) {
            cfg.rpm = atol(v);
        } else if (strcmp(o, "--stall-ms") == 0) {
            cfg.stall_ms = atol(v);
        } else {
            fprintf(stderr, "stress_faults: unknown option %s\n", o);
            return 2;
        }
    }
    if (cfg.requests < 1 || cfg.concurrency < 1 || cfg.fault_pct < 0 ||
        cfg.fault_pct > 100 || cfg.rpm < 0 || cfg.stall_ms < 1) {
        fprintf(stderr, "stress_faults: bad option value\n");
        return 2;
    }
    llmio_global_init();
    char url[64];
    pid_t mock = -1;
    if (cfg.base_url == NULL) {
        mock = start_mock(argv[0], url, sizeof url);
        if (mock < 0) {
            return 1;
        }
        cfg.base_url = url;
    }
    struct stress_result r;
    int rc = stress_run(&cfg, &r);
    if (mock > 0) {
        kill(mock, SIGTERM);
        waitpid(mock, NULL, 0);
    }
    if (rc != 0) {
        fprintf(stderr, "stress_faults: %s\n", r.first_error);
        return 1;
    }
    printf("stress_requests %d req\n", r.requests);
    printf("stress_concurrency %d req\n", cfg.concurrency);
    printf("stress_rpm_limit %ld req/min\n", (long)cfg.rpm);
    printf("stress_done_once %d req\n", r.done_once);
    printf("stress_failed %d req\n",
           r.failed + r.wrong_text + r.not_done + r.done_twice);
    printf("stress_attempts %ld attempts\n", r.attempts);
    for (int a = 1; a < 8; a++) {
        if (r.hist[a] > 0) {
            printf("stress_requests_with_%d_attempts %d req\n", a, r.hist[a]);
        }
    }
    printf("stress_restarts %ld restarts\n", r.restarts);
    printf("stress_streamed_stalls %ld req\n", r.stream_stalls);
    for (int k = 1; k < STRESS_NKINDS; k++) {
        printf("stress_fault_%s_requests %ld req\n", stress_kind_name[k],
               r.injected[k]);
        printf("stress_fault_%s_injected %ld attempts\n", stress_kind_name[k],
               r.expected[k]);
        printf("stress_fault_%s_seen %ld attempts\n", stress_kind_name[k],
               r.seen[k]);
    }
    printf("stress_wall %.3f s\n", (double)r.wall_ms / 1000.0);
    printf("stress_mock_requests %ld req\n", r.mock_requests);
    printf("stress_mock_peak_connections %ld conn\n", r.peak_connections);
    printf("stress_mock_peak_per_second %ld req\n", r.peak_second);
    printf("stress_mock_peak_per_minute %ld req\n", r.peak_minute);
    printf("stress_mock_max_1s_window %ld req\n", r.max_window[1]);
    printf("stress_mock_max_10s_window %ld req\n", r.max_window[10]);
    printf("stress_mock_max_60s_window %ld req\n", r.max_window[60]);
    long resends = r.mock_requests - r.attempts;
    int bad = stress_rpm_violations(&cfg, &r, resends);
    if (cfg.rpm > 0) {
        printf("stress_rpm_bound_1s %ld req\n", stress_rpm_bound(cfg.rpm, 1));
        printf("stress_rpm_bound_10s %ld req\n", stress_rpm_bound(cfg.rpm, 10));
        printf("stress_rpm_windows_over_bound %d windows\n", bad);
    }
    printf("stress_libcurl_resends %ld req\n", resends);
    if (r.failed > 0) {
        printf("stress_first_error %s\n", r.first_error);
    }
    bool ok = r.done_once == r.requests && r.failed == 0 && r.wrong_text == 0 &&
              bad == 0;
    llmio_global_cleanup();
    return ok ? 0 : 1;
}
