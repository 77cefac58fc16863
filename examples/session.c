/*
 * session.c - a streamed conversation with a tool, kept by llmio_session.
 *
 * The session holds the history: each question is added as a user turn,
 * llmio_session_submit() sends system prompt + history as one streamed
 * request, and the reply (text or tool calls) joins the history when the
 * turn completes. When the model asks for a tool, the program runs it,
 * adds the result and submits again; the history is never rebuilt by
 * hand. Request options (stream callback, tools, headers) come from one
 * template request.
 *
 * With llmio-mock, the X-Mock-Scenario header makes the "model" call the
 * tool until the conversation holds a tool result; a real model decides
 * by itself.
 *
 *   ./session [BASE_URL]
 */
#include <stdio.h>
#include <string.h>

#include "llmio.h"

static const char *const questions[] = {
    "What time is it in Lisbon?",
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

/* The local tool: a fixed clock, so the output is reproducible. */
static void get_time(const llmio_tool_call *call, char *out, size_t cap)
{
    const char *city = strstr(call->arguments, "Lisbon") ? "Lisbon" : "?";
    snprintf(out, cap, "{\"city\":\"%s\",\"time\":\"12:00\"}", city);
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

    llmio_session *chat = NULL;
    if (llmio_session_new(client, "openai/gpt-4o-mini", &chat) != LLMIO_OK) {
        llmio_client_free(client);
        return 1;
    }
    llmio_session_set_system(chat, "You are a helpful assistant.", NULL);

    /* Options for every turn, set once on a template request. */
    llmio_request *opts = llmio_request_new(NULL);
    llmio_request_set_stream(opts, on_delta, true);
    llmio_request_add_tool(opts, "get_time", "The local time in a city.",
                           "{\"type\":\"object\",\"properties\":"
                           "{\"city\":{\"type\":\"string\"}}}");
    llmio_request_add_header(
        opts, "X-Mock-Scenario: tool=get_time:{\"city\":\"Lisbon\"}");
    llmio_error err;
    if (llmio_session_set_options(chat, opts, &err) != LLMIO_OK) {
        fprintf(stderr, "options: %s\n", err.message);
        return 1;
    }
    llmio_request_free(opts);

    int rc = 0;
    for (size_t q = 0; rc == 0 && q < sizeof questions / sizeof *questions;
         q++) {
        printf("User: %s\n", questions[q]);
        llmio_session_add_user(chat, questions[q], NULL);
        /* One question may take several turns: tool calls, then text. */
        for (;;) {
            printf("Assistant: ");
            llmio_future *f = NULL;
            llmio_status st = llmio_session_submit(chat, NULL, NULL, &f, &err);
            if (st == LLMIO_OK) {
                llmio_future_wait(f, -1);
                st = llmio_future_status(f);
                err = *llmio_future_error(f);
            }
            llmio_future_free(f);
            if (st != LLMIO_OK) {
                fprintf(stderr, "\nerror: %s: %s\n", llmio_status_name(st),
                        err.message);
                rc = 1;
                break;
            }
            /* The reply is the history's last message now. */
            size_t last = llmio_session_messages(chat) - 1;
            size_t ncalls = llmio_session_tool_calls(chat, last);
            for (size_t i = 0; i < ncalls; i++) {
                llmio_tool_call call;
                char result[128];
                llmio_session_tool_call(chat, last, i, &call);
                get_time(&call, result, sizeof result);
                printf("[%s(%s) -> %s]", call.name, call.arguments, result);
                llmio_session_add_tool_result(chat, call.id, result, NULL);
            }
            printf("\n");
            if (ncalls == 0) {
                break;
            }
        }
    }
    printf("history: %zu messages\n", llmio_session_messages(chat));

    llmio_session_free(chat);
    llmio_client_free(client);
    return rc;
}
