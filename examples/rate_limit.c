/*
 * rate_limit.c - stay under a provider's requests-per-minute limit
 * without a hand-written limiter.
 *
 * The seeds copy a "calls per minute" limiter or a semaphore into every
 * program (and let twice the limit through around a minute boundary).
 * Here the client holds the limit: every request is submitted at once,
 * and the engine sends them as the budget allows, with timers, never a
 * sleep. 120 a minute means a burst of 12 at once, then one every
 * 0.56 s, and never more than 120 in any 60 seconds. The same call takes
 * tokens per minute; llmio_client_set_shared_rate_limit shares one budget
 * between processes.
 *
 *   ./rate_limit [BASE_URL]
 */
#include <stdio.h>
#include <time.h>

#include "llmio.h"

#define N 14

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
    /* 120 requests a minute for every OpenAI model on this API key; no
     * token limit (0). The server's x-ratelimit-* headers can only lower
     * it, and a 429 pauses the whole key. */
    llmio_client_set_rate_limit(client, "openai", 120, 0);

    llmio_future *fs[N];
    long long t0 = now_ms();
    for (int i = 0; i < N; i++) {
        char text[32];
        snprintf(text, sizeof text, "Hello %d", i + 1);
        llmio_request *req = llmio_request_new("openai/gpt-4o-mini");
        llmio_request_add_message(req, LLMIO_ROLE_USER, text);
        llmio_error err;
        if (llmio_submit(client, req, NULL, NULL, &fs[i], &err) != LLMIO_OK) {
            fprintf(stderr, "submit: %s\n", err.message);
            return 1;
        }
        llmio_request_free(req);
    }
    llmio_future_wait_all(fs, N, 60000);
    int failed = 0;
    for (int i = 0; i < N; i++) {
        const llmio_response *r = llmio_future_response(fs[i]);
        if (llmio_future_status(fs[i]) == LLMIO_OK) {
            printf("%s\n", llmio_response_text(r, 0, NULL));
        } else {
            printf("error: %s\n", llmio_future_error(fs[i])->message);
            failed++;
        }
        llmio_future_free(fs[i]);
    }
    /* 12 at once, then two more 0.56 s apart. */
    printf("paced: %s\n", now_ms() - t0 >= 1100 ? "yes" : "no");
    llmio_client_free(client);
    return failed == 0 ? 0 : 1;
}
