/*
 * gather.c - several requests at once on one thread, answers in order.
 *
 * The C form of `answers = await asyncio.gather(*[ask(q) for q in qs])`:
 * submit every request first (submitting never blocks), then wait for all
 * of them. They run concurrently over the client's connection pool; the
 * order in which they finish does not matter, because each future is
 * kept at its question's index.
 *
 *   ./gather [BASE_URL]
 */
#include <stdio.h>

#include "llmio.h"

static const char *const questions[] = {
    "What is Python?",
    "What is Rust?",
    "What is async programming?",
};
#define N (sizeof questions / sizeof questions[0])

/* Starts one question. The builder is freed at once: llmio_submit()
 * snapshots it. On failure *F stays NULL and no callback will ever run. */
static llmio_status ask(llmio_client *client, const char *question,
                        llmio_future **f)
{
    llmio_request *req = llmio_request_new("openai/gpt-4o-mini");
    llmio_request_add_message(req, LLMIO_ROLE_SYSTEM,
                              "You are a helpful assistant.");
    llmio_request_add_message(req, LLMIO_ROLE_USER, question);
    llmio_request_set_max_tokens(req, 100);
    llmio_status st = llmio_submit(client, req, NULL, NULL, f, NULL);
    llmio_request_free(req);
    return st;
}

int main(int argc, char **argv)
{
    llmio_client *client = NULL;
    if (llmio_client_new(NULL, &client) != LLMIO_OK) {
        return 1;
    }
    if (argc > 1) {
        llmio_client_set_base_url(client, NULL, argv[1]);
    }

    llmio_future *fs[N] = {NULL};
    for (size_t i = 0; i < N; i++) {
        if (ask(client, questions[i], &fs[i]) != LLMIO_OK) {
            fprintf(stderr, "submit failed\n");
            return 1;
        }
    }

    /* Drives the client until every future has completed. The 60 s bound
     * is the caller's own deadline, like asyncio.wait_for around gather. */
    if (llmio_future_wait_all(fs, N, 60000) != LLMIO_OK) {
        fprintf(stderr, "gather: timed out\n");
        return 1;
    }

    int rc = 0;
    for (size_t i = 0; i < N; i++) {
        printf("Q: %s\n", questions[i]);
        if (llmio_future_status(fs[i]) == LLMIO_OK) {
            const char *a =
                llmio_response_text(llmio_future_response(fs[i]), 0, NULL);
            printf("A: %s\n\n", a ? a : "");
        } else {
            /* Without return_exceptions, one failure fails the gather. */
            printf("error: %s\n\n", llmio_future_error(fs[i])->message);
            rc = 1;
        }
        llmio_future_free(fs[i]);
    }
    llmio_client_free(client);
    return rc;
}
