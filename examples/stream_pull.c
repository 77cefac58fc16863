/*
 * stream_pull.c - iterate over a stream (pull style).
 *
 * The C form of `for chunk in model.stream(...)`: no callback; the caller
 * asks for the next delta with llmio_future_next(), which runs the client
 * until one is there. A stream submitted with a NULL stream callback
 * queues its deltas for this.
 *
 *   ./stream_pull [BASE_URL]
 */
#include <stdio.h>

#include "llmio.h"

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
    llmio_request_add_message(req, LLMIO_ROLE_USER, "Tell a story.");
    llmio_request_set_stream(req, NULL, true); /* NULL: pull */

    llmio_future *f = NULL;
    llmio_error err;
    if (llmio_submit(client, req, NULL, NULL, &f, &err) != LLMIO_OK) {
        fprintf(stderr, "submit: %s\n", err.message);
        return 1;
    }
    llmio_request_free(req);

    /* Each delta is borrowed until the next call. The loop ends when the
     * stream is over: LLMIO_E_STATE means it ended normally, anything
     * else is the error that ended it. A 30 s gap between deltas counts
     * as a failure here (the library's own idle timeout also applies). */
    const llmio_delta *d;
    llmio_status st;
    for (;;) {
        st = llmio_future_next(f, &d, 30000);
        if (st != LLMIO_OK) {
            break;
        }
        if (d->kind == LLMIO_DELTA_TEXT) {
            fwrite(d->text, 1, d->text_len, stdout);
            fflush(stdout);
        } else if (d->kind == LLMIO_DELTA_FINISH) {
            printf("\n[finish: %s]\n", d->finish_raw);
        }
    }
    int rc = 0;
    if (st != LLMIO_E_STATE || llmio_future_status(f) != LLMIO_OK) {
        fprintf(stderr, "stream failed: %s: %s\n", llmio_status_name(st),
                llmio_future_error(f)->message);
        rc = 1;
    }
    llmio_future_free(f);
    llmio_client_free(client);
    return rc;
}
