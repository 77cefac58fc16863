/*
 * stream_restart.c - a stream that survives a dropped connection.
 *
 * By default llmio never retries a stream once text reached the caller:
 * the text would appear twice. This program opts in
 * (llmio_request_set_stream_restart): when the stream fails mid-way, the
 * request is sent again, and before the new attempt's deltas the callback
 * gets one LLMIO_DELTA_RESTARTED delta saying how much of what it already
 * has is void. A terminal UI would erase that much; this one prints a
 * marker and starts over. The final response holds the last attempt only.
 *
 * With llmio-mock the first attempt is cut after three words (the
 * "close-after-events" fault, counted per key); a real server is simply
 * asked once.
 *
 *   ./stream_restart [BASE_URL]
 */
#include <stdio.h>

#include "llmio.h"

static int on_delta(llmio_future *f, const llmio_delta *d, void *user)
{
    (void)f;
    (void)user;
    if (d->kind == LLMIO_DELTA_TEXT) {
        fwrite(d->text, 1, d->text_len, stdout);
        fflush(stdout);
    } else if (d->kind == LLMIO_DELTA_RESTARTED) {
        const llmio_restart *r = d->restart;
        printf("\n[attempt %d failed (%s): discard %zu characters, "
               "%zu tool-call fragments]\n",
               r->attempt, llmio_status_name(r->status), r->text_chars,
               r->tool_fragments);
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
    llmio_request_add_message(req, LLMIO_ROLE_USER, "Tell me a story.");
    llmio_request_add_header(req, "X-Mock-Scenario: fail-first=1;"
                                  "close-after-events=3;lorem=12;"
                                  "key=stream-restart-example");
    llmio_request_set_stream(req, on_delta, true);
    llmio_request_set_stream_restart(req, true);

    llmio_future *f = NULL;
    llmio_error err;
    llmio_status st = llmio_chat(client, req, &f, &err);
    printf("\n");
    if (st == LLMIO_OK) {
        printf("[%d attempts; the response: \"%s\"]\n", err.attempts,
               llmio_response_text(llmio_future_response(f), 0, NULL));
    } else {
        fprintf(stderr, "error: %s: %s\n", llmio_status_name(st), err.message);
    }
    llmio_future_free(f);
    llmio_request_free(req);
    llmio_client_free(client);
    return st == LLMIO_OK ? 0 : 1;
}
