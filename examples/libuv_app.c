/*
 * libuv_app.c - llmio requests on a libuv loop, next to the app's timers.
 *
 * A libuv application (a server, a Node-style tool) already runs
 * uv_run(). llmio_libuv_attach() lets the client's sockets and timer live
 * on that loop: three streams run concurrently while a repeating uv timer
 * keeps ticking, so the loop is never blocked by the requests. uv_run()
 * returns when no request is pending and the app's own timer is stopped.
 *
 * Streamed text is collected per request (the streams interleave) and
 * printed in input order once each is done.
 *
 *   ./libuv_app [BASE_URL]
 */
#include <stdio.h>
#include <string.h>

#include "llmio.h"

#ifdef LLMIO_HAVE_LIBUV
#include <uv.h>

#include "llmio/adapters/libuv.h"

#define N 3

static const char *const prompts[N] = {
    "What is async programming?",
    "What is concurrency?",
    "What is parallelism?",
};

struct app {
    uv_timer_t ticker;  /* the application's own periodic work */
    int ticks;
    int ndone;
    char text[N][256];  /* streamed text, by request */
    size_t len[N];
    llmio_status status[N];
};

struct slot {
    struct app *app;
    int index;
};

static int on_delta(llmio_future *f, const llmio_delta *d, void *user)
{
    struct slot *s = user;
    (void)f;
    if (d->kind == LLMIO_DELTA_TEXT) {
        size_t *len = &s->app->len[s->index];
        size_t room = sizeof s->app->text[0] - 1 - *len;
        size_t n = d->text_len < room ? d->text_len : room;
        memcpy(s->app->text[s->index] + *len, d->text, n);
        *len += n;
    }
    return 0;
}

static void on_done(llmio_future *f, void *user)
{
    struct slot *s = user;
    s->app->status[s->index] = llmio_future_status(f);
    llmio_future_free(f);
    if (++s->app->ndone == N) {
        /* Nothing left to wait for: let uv_run() return. */
        uv_timer_stop(&s->app->ticker);
    }
}

static void on_tick(uv_timer_t *t)
{
    struct app *app = t->data;
    app->ticks++;
}

int main(int argc, char **argv)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    llmio_client *client = NULL;
    if (llmio_client_new(NULL, &client) != LLMIO_OK) {
        return 1;
    }
    if (argc > 1) {
        llmio_client_set_base_url(client, NULL, argv[1]);
    }
    /* From here on the loop drives the client (llmio_future_wait() and
     * friends would return LLMIO_E_STATE). */
    if (llmio_libuv_attach(client, &loop) != LLMIO_OK) {
        return 1;
    }

    struct app app;
    memset(&app, 0, sizeof app);
    uv_timer_init(&loop, &app.ticker);
    app.ticker.data = &app;
    uv_timer_start(&app.ticker, on_tick, 5, 5);

    struct slot slots[N];
    for (int i = 0; i < N; i++) {
        llmio_request *req = llmio_request_new("openai/gpt-4o-mini");
        llmio_request_add_message(req, LLMIO_ROLE_USER, prompts[i]);
        llmio_request_set_stream(req, on_delta, true);
        /* With llmio-mock, pace the words so the streams overlap; a real
         * server ignores the header. */
        llmio_request_add_header(req, "X-Mock-Scenario: tps=100");
        slots[i] = (struct slot){&app, i};
        llmio_future *f = NULL;
        llmio_status st = llmio_submit(client, req, on_done, &slots[i], &f,
                                       NULL);
        llmio_request_free(req);
        if (st != LLMIO_OK) {
            return 1;
        }
    }

    uv_run(&loop, UV_RUN_DEFAULT);

    for (int i = 0; i < N; i++) {
        printf("%d: %s: %.*s\n", i, llmio_status_name(app.status[i]),
               (int)app.len[i], app.text[i]);
    }
    fprintf(stderr, "the app's timer ticked %d times meanwhile\n", app.ticks);

    /* Freeing the client closes the adapter's handles; one more run lets
     * their close callbacks finish, so the loop can be closed cleanly. */
    llmio_client_free(client);
    uv_close((uv_handle_t *)&app.ticker, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&loop) == 0 && app.ndone == N ? 0 : 1;
    for (int i = 0; i < N; i++) {
        rc |= app.status[i] != LLMIO_OK;
    }
    return rc;
}

#else
int main(void)
{
    fprintf(stderr, "libuv_app: built without libuv\n");
    return 77;
}
#endif
