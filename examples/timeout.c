/*
 * timeout.c - two kinds of timeout: the library's, and the caller's.
 *
 * 1. A stream that stalls. The server sends a few deltas and then goes
 *    silent without closing the connection, the classic hang. The idle
 *    timeout (no bytes for N ms) ends the request with LLMIO_E_TIMEOUT.
 *    Every timeout has a finite default; here it is lowered to 500 ms.
 * 2. A caller deadline, like `asyncio.wait_for(call, timeout=0.3)`.
 *    llmio_future_wait() returns LLMIO_E_TIMEOUT when its own deadline
 *    passes, but the request keeps running: the caller decides. Here it
 *    cancels it, as wait_for does, and the future completes with
 *    LLMIO_E_CANCELLED.
 *
 * The stall and the slow first token are llmio-mock scenarios, requested
 * with the X-Mock-Scenario header.
 *
 *   ./timeout [BASE_URL]
 */
#include <stdio.h>
#include <time.h>

#include "llmio.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
    int rc = 0;

    /* 1. The library's idle timeout ends a stalled stream. */
    llmio_request *req = llmio_request_new("openai/gpt-4o-mini");
    llmio_request_add_message(req, LLMIO_ROLE_USER, "Tell a long story.");
    llmio_request_set_stream(req, on_delta, true);
    llmio_request_add_header(req, "X-Mock-Scenario: stall-after-events=3");
    llmio_request_set_timeout(req, LLMIO_TIMEOUT_IDLE, 500);

    llmio_future *f = NULL;
    llmio_error err;
    long long t0 = now_ms();
    llmio_status st = llmio_chat(client, req, &f, &err);
    long long took = now_ms() - t0;
    printf("\n1. stalled stream: %s (%s)%s\n", llmio_status_name(st),
           llmio_status_str(st),
           took < 5000 ? ", ended by the 500 ms idle timeout" : ", too late");
    if (st != LLMIO_E_TIMEOUT || took >= 5000) {
        rc = 1;
    }
    llmio_future_free(f);
    llmio_request_free(req);

    /* 2. The caller's deadline: wait 300 ms for a reply whose first token
     *    takes 10 s, then give up and cancel. */
    req = llmio_request_new("openai/gpt-4o-mini");
    llmio_request_add_message(req, LLMIO_ROLE_USER, "Hello!");
    llmio_request_add_header(req, "X-Mock-Scenario: ttft=10000");
    f = NULL;
    if (llmio_submit(client, req, NULL, NULL, &f, &err) != LLMIO_OK) {
        return 1;
    }
    llmio_request_free(req);
    st = llmio_future_wait(f, 300);
    printf("2. wait(300 ms): %s; still pending: %s\n", llmio_status_name(st),
           llmio_future_done(f) ? "no" : "yes");
    if (st != LLMIO_E_TIMEOUT) {
        rc = 1;
    }
    llmio_future_cancel(f);
    llmio_future_wait(f, -1); /* completes at once: the cancel closed it */
    printf("   after cancel: %s\n",
           llmio_status_name(llmio_future_status(f)));
    if (llmio_future_status(f) != LLMIO_E_CANCELLED) {
        rc = 1;
    }
    llmio_future_free(f);
    llmio_client_free(client);
    return rc;
}
