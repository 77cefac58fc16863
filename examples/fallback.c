/*
 * fallback.c - one request, an ordered list of models: a bigger model
 * when the prompt is over the context window, another provider when that
 * one is down; and a hedge (a second copy of the request) if an answer is
 * slower than the model's usual 95th percentile.
 *
 * The library walks the list itself: each model gets its retries, then
 * the failure's class (context length, outage, rate limit...) picks the
 * next model that handles it. The attempt hook prints every step; the
 * response says which model served it.
 *
 * With llmio-mock (a BASE_URL given) the model names carry the mock's
 * scenario after '@': the small model has a 5-token window and the big
 * one answers 503, so the request ends on Anthropic. Without one, the
 * real names are used and the first model usually answers.
 *
 *   ./fallback [BASE_URL]
 */
#include <stdio.h>
#include <string.h>

#include "llmio.h"

static void on_attempt(llmio_future *f, const llmio_attempt_info *a, void *user)
{
    (void)f;
    (void)user;
    printf("attempt: %s%s -> %s (http %d)\n", a->model,
           a->hedge ? " [hedge]" : "", llmio_status_name(a->status),
           a->http_status);
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : NULL;
    llmio_client *client = NULL;
    if (llmio_client_new(NULL, &client) != LLMIO_OK) {
        return 1;
    }
    if (base != NULL) {
        /* The mock serves every provider: Anthropic's API sits at the
         * root, OpenAI's under /v1. */
        char root[256];
        snprintf(root, sizeof root, "%s", base);
        size_t n = strlen(root);
        if (n >= 3 && strcmp(root + n - 3, "/v1") == 0) {
            root[n - 3] = '\0';
        }
        llmio_client_set_base_url(client, NULL, base);
        llmio_client_set_base_url(client, "anthropic", root);
    }
    /* One attempt per model, so each step shows once. */
    llmio_client_set_retry(client, 1, 0, 0, 0);
    llmio_client_set_attempt_cb(client, on_attempt, NULL);

    const char *small =
        base ? "openai/gpt-4o-mini@max-context=5" : "openai/gpt-4o-mini";
    const char *big = base ? "openai/gpt-4.1@status=503" : "openai/gpt-4.1";
    llmio_request *req = llmio_request_new(small);
    llmio_request_add_message(req, LLMIO_ROLE_USER,
                              "Please summarise this very long report");
    llmio_request_set_max_tokens(req, 200);
    /* Too long for the small model: the big one. Down: another provider. */
    llmio_request_add_fallback(req, big, LLMIO_FALLBACK_CONTEXT_LENGTH);
    llmio_request_add_fallback(req, "anthropic/claude-sonnet-4-5",
                               LLMIO_FALLBACK_OUTAGE |
                                   LLMIO_FALLBACK_RATE_LIMIT);
    /* A second copy if no answer within the model's p95 (2 s until 20
     * answers were timed); the first to answer wins. */
    llmio_request_set_hedge(req, LLMIO_HEDGE_P95, 2000);

    llmio_future *f = NULL;
    llmio_error err;
    llmio_status st = llmio_chat(client, req, &f, &err);
    if (st == LLMIO_OK) {
        const llmio_response *r = llmio_future_response(f);
        int index = 0;
        const char *by = llmio_response_served_by(r, &index);
        const char *text = llmio_response_text(r, 0, NULL);
        printf("served by %s (fallback %d, hedges %d): %s\n", by, index,
               llmio_response_hedges(r), text ? text : "");
    } else {
        /* The message lists every model tried. */
        printf("failed: %s: %s\n", llmio_status_name(st), err.message);
    }
    llmio_future_free(f);
    llmio_request_free(req);
    llmio_client_free(client);
    return st == LLMIO_OK ? 0 : 1;
}
