/*
 * gather_errors.c - gather that keeps each request's error, in order.
 *
 * The C form of `asyncio.gather(*tasks, return_exceptions=True)`: one
 * failing request does not hide the others' results. Every future ends
 * exactly once, in a response or a typed llmio_error, so "return
 * exceptions" is simply the default: look at each future's status.
 *
 * To make some requests fail on purpose, requests 1 and 3 carry an
 * X-Mock-Scenario header that llmio-mock (the test server) obeys; a real
 * server ignores it and all five succeed.
 *
 *   ./gather_errors [BASE_URL]
 */
#include <stdio.h>

#include "llmio.h"

#define N 5

/* Faults for llmio-mock, by task index (NULL: no fault). 400 and 401 are
 * not retryable, so they fail at once rather than after backoff. */
static const char *const faults[N] = {
    NULL,
    "X-Mock-Scenario: status=400",
    NULL,
    "X-Mock-Scenario: status=401",
    NULL,
};

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
    for (int i = 0; i < N; i++) {
        char prompt[32];
        snprintf(prompt, sizeof prompt, "Question %d", i);
        llmio_request *req = llmio_request_new("openai/gpt-4o-mini");
        llmio_request_add_message(req, LLMIO_ROLE_USER, prompt);
        if (faults[i] != NULL) {
            llmio_request_add_header(req, faults[i]);
        }
        llmio_status st = llmio_submit(client, req, NULL, NULL, &fs[i], NULL);
        llmio_request_free(req);
        if (st != LLMIO_OK) {
            return 1;
        }
    }

    if (llmio_future_wait_all(fs, N, 60000) != LLMIO_OK) {
        fprintf(stderr, "timed out\n");
        return 1;
    }

    int nfailed = 0;
    for (int i = 0; i < N; i++) {
        if (llmio_future_status(fs[i]) == LLMIO_OK) {
            const char *text =
                llmio_response_text(llmio_future_response(fs[i]), 0, NULL);
            printf("task %d succeeded: %.50s\n", i, text ? text : "");
        } else {
            /* The error is typed: branch on e->code (E_RATE_LIMIT, ...),
             * not on the message text. */
            const llmio_error *e = llmio_future_error(fs[i]);
            printf("task %d failed: %s (http %d): %s\n", i,
                   llmio_status_name(e->code), e->http_status, e->message);
            nfailed++;
        }
        llmio_future_free(fs[i]);
    }
    printf("%d of %d failed\n", nfailed, N);
    llmio_client_free(client);
    return 0;
}
