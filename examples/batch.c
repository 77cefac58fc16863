/*
 * batch.c - N requests in flight at once on one thread, timed.
 *
 * `abatch()` / gather over a large list: every request is submitted up
 * front and a done callback counts outcomes as they complete, so nothing
 * per-request has to be kept by the caller. Prints how many succeeded,
 * how many failed (by status), and the wall time.
 *
 *   ./batch [BASE_URL] [N]        N defaults to 100
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "llmio.h"

struct tally {
    size_t ok;
    size_t failed[LLMIO_STATUS_COUNT_];
};

/* Runs exactly once per accepted request, from inside the wait below. The
 * future is freed here: its outcome has been read and nobody else holds
 * it (a free inside a callback is deferred until the callback returns). */
static void on_done(llmio_future *f, void *user)
{
    struct tally *t = user;
    llmio_status st = llmio_future_status(f);
    if (st == LLMIO_OK) {
        t->ok++;
    } else if ((int)st > 0 && st < LLMIO_STATUS_COUNT_) {
        t->failed[st]++;
    }
    llmio_future_free(f);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 100;
    llmio_client *client = NULL;
    if (n <= 0 || llmio_client_new(NULL, &client) != LLMIO_OK) {
        return 1;
    }
    if (argc > 1) {
        llmio_client_set_base_url(client, NULL, argv[1]);
    }

    struct tally t = {0};
    double start = now_s();
    for (long i = 0; i < n; i++) {
        char prompt[64];
        snprintf(prompt, sizeof prompt, "Question %ld", i);
        llmio_request *req = llmio_request_new("openai/gpt-4o-mini");
        llmio_request_add_message(req, LLMIO_ROLE_USER, prompt);
        llmio_request_set_max_tokens(req, 16);
        llmio_future *f = NULL;
        llmio_error err;
        llmio_status st = llmio_submit(client, req, on_done, &t, &f, &err);
        llmio_request_free(req);
        if (st != LLMIO_OK) {
            fprintf(stderr, "submit: %s: %s\n", llmio_status_name(st),
                    err.message);
            llmio_client_free(client);
            return 1;
        }
        /* F is freed by on_done; the caller does not touch it again. */
    }

    /* Run until nothing is pending (or the caller's 120 s deadline). */
    llmio_status st = llmio_client_run(client, 120000);
    double elapsed = now_s() - start;

    printf("%ld requests: %zu ok", n, t.ok);
    for (int s = 1; s < LLMIO_STATUS_COUNT_; s++) {
        if (t.failed[s] != 0) {
            printf(", %zu %s", t.failed[s], llmio_status_name((llmio_status)s));
        }
    }
    printf("\n");
    fprintf(stderr, "%.0f ms, %.0f requests/s\n", elapsed * 1000.0,
            (double)n / elapsed);
    llmio_client_free(client);
    return st == LLMIO_OK && t.ok == (size_t)n ? 0 : 1;
}
