/*
 * stream.c - print a reply as it arrives (push style).
 *
 * The C form of `async for chunk in stream: print(chunk, end="",
 * flush=True)`. The stream callback gets each delta in order, all of them
 * before the done callback; text deltas are printed and flushed at once.
 * After the stream ends, the future's response is the whole reply,
 * assembled from the deltas, exactly as a non-streamed call returns it.
 *
 *   ./stream [BASE_URL]
 */
#include <stdio.h>

#include "llmio.h"

/* Returns 0 to keep going; non-zero would stop the stream, and the future
 * would complete with LLMIO_E_ABORTED. */
static int on_delta(llmio_future *f, const llmio_delta *d, void *user)
{
    (void)f;
    (void)user;
    if (d->kind == LLMIO_DELTA_TEXT) {
        fwrite(d->text, 1, d->text_len, stdout);
        fflush(stdout);
    }
    return 0;
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

    llmio_request *req = llmio_request_new("openai/gpt-4o-mini");
    llmio_request_add_message(req, LLMIO_ROLE_SYSTEM,
                              "You are a helpful assistant.");
    llmio_request_add_message(req, LLMIO_ROLE_USER,
                              "Write a short poem about Python.");
    /* true: ask for the final usage event too. */
    llmio_request_set_stream(req, on_delta, true);

    llmio_future *f = NULL;
    llmio_error err;
    llmio_status st = llmio_chat(client, req, &f, &err);
    printf("\n");
    if (st == LLMIO_OK) {
        const llmio_response *r = llmio_future_response(f);
        llmio_usage u = llmio_response_usage(r);
        printf("[finish: %s, %lld completion tokens]\n",
               llmio_response_finish_raw(r, 0),
               (long long)u.completion_tokens);
    } else {
        fprintf(stderr, "error: %s: %s\n", llmio_status_name(st),
                err.message);
    }
    llmio_future_free(f);
    llmio_request_free(req);
    llmio_client_free(client);
    return st == LLMIO_OK ? 0 : 1;
}
