/*
 * multi_turn.c - a streamed conversation that keeps its history.
 *
 * The chat-loop pattern: each user turn is appended to the history, the
 * reply is streamed to the screen, and the assembled reply is appended as
 * the assistant's turn before the next question. The request builder is
 * the history: llmio_submit() snapshots it, so it can keep growing.
 *
 *   ./multi_turn [BASE_URL]
 */
#include <stdio.h>

#include "llmio.h"

static const char *const user_turns[] = {
    "Hello! What can you help me with?",
    "Tell me about async programming.",
    "Thanks!",
};

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

    llmio_request *chat = llmio_request_new("openai/gpt-4o-mini");
    llmio_request_add_message(chat, LLMIO_ROLE_SYSTEM,
                              "You are a helpful assistant.");
    llmio_request_set_temperature(chat, 0.7);
    llmio_request_set_max_tokens(chat, 500);
    llmio_request_set_stream(chat, on_delta, true);

    int rc = 0;
    for (size_t i = 0; i < sizeof user_turns / sizeof user_turns[0]; i++) {
        printf("User: %s\nAssistant: ", user_turns[i]);
        llmio_request_add_message(chat, LLMIO_ROLE_USER, user_turns[i]);

        llmio_future *f = NULL;
        llmio_error err;
        llmio_status st = llmio_chat(client, chat, &f, &err);
        printf("\n");
        if (st != LLMIO_OK) {
            fprintf(stderr, "error: %s: %s\n", llmio_status_name(st),
                    err.message);
            llmio_future_free(f);
            rc = 1;
            break;
        }
        /* The streamed reply, assembled: it joins the history. */
        const char *reply =
            llmio_response_text(llmio_future_response(f), 0, NULL);
        llmio_request_add_message(chat, LLMIO_ROLE_ASSISTANT,
                                  reply ? reply : "");
        llmio_future_free(f);
    }

    llmio_request_free(chat);
    llmio_client_free(client);
    return rc;
}
