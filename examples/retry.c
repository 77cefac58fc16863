/*
 * retry.c - retry a request when its error says it may be retried.
 *
 * The seeds' "retry with exponential backoff" loop, done with typed
 * errors instead of catching every exception: llmio_status_retryable()
 * says whether trying again can help (429, 503, timeouts, resets: yes;
 * 400, 401: no), and llmio_error.retry_after_ms carries the server's
 * Retry-After hint, which wins over the computed backoff.
 *
 * With llmio-mock the first two attempts fail with 503 (the "fail-first"
 * scenario, counted per key); a real server is simply asked once.
 *
 *   ./retry [BASE_URL]
 */
#include <stdio.h>
#include <time.h>

#include "llmio.h"

#define MAX_ATTEMPTS 4

static void sleep_ms(long long ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
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
    /* The library retries transient failures by itself (3 attempts by
     * default, see llmio_client_set_retry); this example shows the loop
     * by hand, so the built-in retries are turned off. */
    llmio_client_set_retry(client, 1, 0, 0, 0);
    llmio_request *req = llmio_request_new("openai/gpt-4o-mini");
    llmio_request_add_message(req, LLMIO_ROLE_USER, "Hello");
    llmio_request_add_header(req, "X-Mock-Scenario: status=503;fail-first=2;"
                                  "key=retry-example;retry-after-ms=50");

    llmio_status st = LLMIO_E_STATE;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        llmio_future *f = NULL;
        llmio_error err;
        st = llmio_chat(client, req, &f, &err);
        if (st == LLMIO_OK) {
            const char *text =
                llmio_response_text(llmio_future_response(f), 0, NULL);
            printf("attempt %d: %s\n", attempt, text ? text : "");
            llmio_future_free(f);
            break;
        }
        llmio_future_free(f);
        bool again = llmio_status_retryable(st) && attempt < MAX_ATTEMPTS;
        /* Backoff: 100 ms doubling, unless the server said how long. */
        long long delay = err.retry_after_ms >= 0 ? err.retry_after_ms
                                                  : 100LL << (attempt - 1);
        printf("attempt %d: %s (http %d)%s", attempt, llmio_status_name(st),
               err.http_status, again ? "" : ", giving up\n");
        if (!again) {
            break;
        }
        printf(", retrying in %lld ms%s\n", delay,
               err.retry_after_ms >= 0 ? " (Retry-After)" : "");
        sleep_ms(delay);
    }

    llmio_request_free(req);
    llmio_client_free(client);
    return st == LLMIO_OK ? 0 : 1;
}
