/*
 * batch.c - N prompts through llmio_batch, at most K in flight, timed.
 *
 * `abatch()` / gather over a large list with a semaphore, without holding
 * the list: a source callback builds each request only when the batch has
 * room for it (a million prompts never exist at once), and an item
 * callback counts each outcome as it completes. Every item is reported
 * exactly once, failures included, so the tally always adds up to N.
 * Prints how many succeeded, how many failed (by status), and the wall
 * time.
 *
 *   ./batch [BASE_URL] [N] [K]        N defaults to 100, K to 64
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "llmio.h"

struct job {
    long n;
    size_t ok;
    size_t failed[LLMIO_STATUS_COUNT_];
};

/* Called from the loop whenever the batch has a free slot: build item
 * INDEX, or leave *REQ NULL to say there are no more. The batch submits
 * the request and frees it. */
static llmio_status next_prompt(void *user, size_t index, llmio_request **req,
                                llmio_error *err)
{
    struct job *job = user;
    (void)err;
    if ((long)index >= job->n) {
        return LLMIO_OK; /* the end */
    }
    char prompt[64];
    snprintf(prompt, sizeof prompt, "Question %zu", index);
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    if (r == NULL) {
        return LLMIO_E_NOMEM; /* this item fails; the batch goes on */
    }
    llmio_request_add_message(r, LLMIO_ROLE_USER, prompt);
    llmio_request_set_max_tokens(r, 16);
    *req = r;
    return LLMIO_OK;
}

/* Runs exactly once per item, as items complete. F belongs to the batch
 * and is released after this returns: read what is needed now. */
static void on_item(llmio_batch *b, size_t index, llmio_future *f, void *user)
{
    struct job *job = user;
    (void)b;
    (void)index;
    llmio_status st = llmio_future_status(f);
    if (st == LLMIO_OK) {
        job->ok++;
    } else if ((int)st > 0 && st < LLMIO_STATUS_COUNT_) {
        job->failed[st]++;
    }
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
    long k = argc > 3 ? strtol(argv[3], NULL, 10) : 64;
    llmio_client *client = NULL;
    if (n <= 0 || k <= 0 || llmio_client_new(NULL, &client) != LLMIO_OK) {
        return 1;
    }
    if (argc > 1) {
        llmio_client_set_base_url(client, NULL, argv[1]);
    }

    struct job job = {.n = n};
    llmio_batch *batch = NULL;
    llmio_status st = llmio_batch_new(client, (size_t)k, 0, &batch);
    if (st == LLMIO_OK) {
        llmio_batch_set_callbacks(batch, on_item, NULL, &job);
        st = llmio_batch_start(batch, next_prompt, &job);
    }
    if (st != LLMIO_OK) {
        fprintf(stderr, "batch: %s\n", llmio_status_name(st));
        llmio_batch_free(batch);
        llmio_client_free(client);
        return 1;
    }

    /* Drive the client until every item is reported (or 120 s pass: the
     * batch is then cancelled, and every started item still reported). */
    double start = now_s();
    st = llmio_batch_wait(batch, 120000);
    if (st == LLMIO_E_TIMEOUT) {
        llmio_batch_cancel(batch);
        llmio_batch_wait(batch, -1);
    }
    double elapsed = now_s() - start;

    printf("%ld requests: %zu ok", n, job.ok);
    for (int s = 1; s < LLMIO_STATUS_COUNT_; s++) {
        if (job.failed[s] != 0) {
            printf(", %zu %s", job.failed[s],
                   llmio_status_name((llmio_status)s));
        }
    }
    printf("\n");
    fprintf(stderr, "%.0f ms, %.0f requests/s\n", elapsed * 1000.0,
            (double)n / elapsed);
    llmio_batch_free(batch);
    llmio_client_free(client);
    return st == LLMIO_OK && job.ok == (size_t)n ? 0 : 1;
}
