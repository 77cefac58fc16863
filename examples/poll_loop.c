/*
 * poll_loop.c - llmio inside an application's own poll() loop.
 *
 * An application that already has a loop (a server, a GUI, a game) does
 * not hand its thread to llmio. The client exposes one descriptor that
 * becomes readable when it has work, and the longest time the loop may
 * sleep; the loop calls llmio_client_step() when either fires, and the
 * done callbacks run from inside that step. Here the loop also watches a
 * pipe of its own, standing in for the application's other sources: a
 * done callback writes to it, and the loop reacts like any other event.
 *
 *   ./poll_loop [BASE_URL]
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "llmio.h"

#define N 3

struct app {
    int notify[2];            /* the application's own event source */
    char answers[N][256];     /* kept by index: completion order varies */
    llmio_status status[N];
    int ndone;
};

struct slot {
    struct app *app;
    int index;
};

static void on_done(llmio_future *f, void *user)
{
    struct slot *s = user;
    struct app *app = s->app;
    app->status[s->index] = llmio_future_status(f);
    const char *text =
        llmio_response_text(llmio_future_response(f), 0, NULL);
    snprintf(app->answers[s->index], sizeof app->answers[s->index], "%.*s",
             (int)sizeof app->answers[s->index] - 1,
             text ? text : llmio_future_error(f)->message);
    /* Callbacks must not block; they may signal the application. */
    char c = (char)('0' + s->index);
    if (write(app->notify[1], &c, 1) != 1) {
        app->ndone = -1000;
    }
    llmio_future_free(f);
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
    struct app app;
    memset(&app, 0, sizeof app);
    if (pipe(app.notify) != 0) {
        return 1;
    }

    struct slot slots[N];
    for (int i = 0; i < N; i++) {
        char prompt[32];
        snprintf(prompt, sizeof prompt, "Question %d", i);
        llmio_request *req = llmio_request_new("openai/gpt-4o-mini");
        llmio_request_add_message(req, LLMIO_ROLE_USER, prompt);
        slots[i] = (struct slot){&app, i};
        llmio_future *f = NULL;
        llmio_status st = llmio_submit(client, req, on_done, &slots[i], &f,
                                       NULL);
        llmio_request_free(req);
        if (st != LLMIO_OK) {
            return 1;
        }
    }

    /* The loop: sleep on both descriptors, for at most the client's
     * timeout (-1 when it has nothing pending; then only our pipe can
     * wake us, and we stop once every answer is in). */
    int fd = llmio_client_fd(client);
    int iterations = 0;
    while (app.ndone < N && app.ndone >= 0) {
        struct pollfd pfds[2] = {
            {.fd = fd, .events = POLLIN},
            {.fd = app.notify[0], .events = POLLIN},
        };
        int timeout = llmio_client_timeout_ms(client);
        if (poll(pfds, 2, timeout) < 0) {
            break;
        }
        /* Step whether or not the descriptor fired: a due timer counts
         * too, and a step with nothing to do returns at once. */
        llmio_client_step(client);
        if (pfds[1].revents & POLLIN) {
            char c;
            if (read(app.notify[0], &c, 1) == 1) {
                app.ndone++;
            }
        }
        iterations++;
    }

    for (int i = 0; i < N; i++) {
        printf("%d: %s: %s\n", i, llmio_status_name(app.status[i]),
               app.answers[i]);
    }
    fprintf(stderr, "%d loop iterations\n", iterations);
    llmio_client_free(client);
    close(app.notify[0]);
    close(app.notify[1]);
    return app.ndone == N ? 0 : 1;
}
