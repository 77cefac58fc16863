/*
 * cancel.c - stop requests that are no longer wanted.
 *
 * Three ways, each ending the future exactly once:
 *  1. llmio_future_cancel() on a stream in flight: the transfer is closed
 *     at once and the future completes with LLMIO_E_CANCELLED (here at
 *     the third text delta; the caller could equally cancel between two
 *     waits, e.g. when its user closes the window);
 *  2. returning non-zero from the stream callback: the future completes
 *     with LLMIO_E_ABORTED;
 *  3. freeing the client with requests pending: each one completes with
 *     LLMIO_E_CANCELLED and its done callback runs.
 *
 * The slow streams are an llmio-mock scenario (X-Mock-Scenario header).
 *
 *   ./cancel [BASE_URL]
 */
#include <stdio.h>

#include "llmio.h"

/* A 200-word reply at 20 words per second: slow enough to interrupt. */
#define SLOW "X-Mock-Scenario: lorem=200;tps=20"

struct progress {
    int ntext;     /* text deltas seen */
    int cancel_at; /* the stream callback cancels here (0: never) */
    int stop_at;   /* the stream callback stops here (0: never) */
    int ndone;     /* done callbacks run */
    llmio_status last;
};

static int on_delta(llmio_future *f, const llmio_delta *d, void *user)
{
    struct progress *p = user;
    if (d->kind == LLMIO_DELTA_TEXT) {
        p->ntext++;
        if (p->cancel_at != 0 && p->ntext == p->cancel_at) {
            /* Cancel may be called anywhere on the driving thread,
             * callbacks included; the done callback runs later, once. */
            llmio_future_cancel(f);
        }
        if (p->stop_at != 0 && p->ntext >= p->stop_at) {
            return 1; /* stop: LLMIO_E_ABORTED */
        }
    }
    return 0;
}

static void on_done(llmio_future *f, void *user)
{
    struct progress *p = user;
    p->ndone++;
    p->last = llmio_future_status(f);
}

static llmio_future *start(llmio_client *c, struct progress *p)
{
    llmio_request *req = llmio_request_new("openai/gpt-4o-mini");
    llmio_request_add_message(req, LLMIO_ROLE_USER, "Tell a long story.");
    llmio_request_set_stream(req, on_delta, true);
    llmio_request_add_header(req, SLOW);
    llmio_future *f = NULL;
    llmio_submit(c, req, on_done, p, &f, NULL);
    llmio_request_free(req);
    return f;
}

static llmio_client *new_client(const char *base_url)
{
    llmio_client *c = NULL;
    if (llmio_client_new(NULL, &c) == LLMIO_OK && base_url != NULL) {
        llmio_client_set_base_url(c, NULL, base_url);
    }
    return c;
}

int main(int argc, char **argv)
{
    const char *base_url = argc > 1 ? argv[1] : NULL;
    llmio_client *client = new_client(base_url);
    if (client == NULL) {
        return 1;
    }
    int rc = 0;

    /* 1. Cancel once three text deltas have arrived. */
    struct progress p1 = {.cancel_at = 3};
    llmio_future *f = start(client, &p1);
    llmio_future_wait(f, -1);
    printf("1. cancel: %s after %d text deltas, done callbacks: %d\n",
           llmio_status_name(llmio_future_status(f)), p1.ntext, p1.ndone);
    rc |= llmio_future_status(f) != LLMIO_E_CANCELLED || p1.ndone != 1;
    llmio_future_free(f);

    /* 2. The stream callback says stop. */
    struct progress p2 = {.stop_at = 2};
    f = start(client, &p2);
    llmio_future_wait(f, -1);
    printf("2. callback stop: %s after %d text deltas, done callbacks: %d\n",
           llmio_status_name(llmio_future_status(f)), p2.ntext, p2.ndone);
    rc |= llmio_future_status(f) != LLMIO_E_ABORTED || p2.ndone != 1;
    llmio_future_free(f);
    llmio_client_free(client);

    /* 3. Free the client with ten requests in flight. Their futures stay
     *    valid (completed) until the caller frees them. */
    client = new_client(base_url);
    struct progress p3 = {0};
    llmio_future *fs[10];
    for (int i = 0; i < 10; i++) {
        fs[i] = start(client, &p3);
    }
    llmio_future_wait(fs[0], 50); /* let the requests get going */
    llmio_client_free(client);
    int ncancelled = 0;
    for (int i = 0; i < 10; i++) {
        ncancelled += llmio_future_status(fs[i]) == LLMIO_E_CANCELLED;
        llmio_future_free(fs[i]);
    }
    printf("3. client free: %d of 10 %s, done callbacks: %d\n", ncancelled,
           llmio_status_name(LLMIO_E_CANCELLED), p3.ndone);
    rc |= ncancelled != 10 || p3.ndone != 10;
    return rc;
}
