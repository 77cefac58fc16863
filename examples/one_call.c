/*
 * one_call.c - one request, answered synchronously.
 *
 * The C form of `response = await acompletion(model=..., messages=...)`:
 * llmio_chat() submits the request and waits for it. The server is the
 * base URL given as argv[1], else $OPENAI_BASE_URL, else OpenAI itself;
 * the API key comes from $OPENAI_API_KEY.
 *
 *   cc one_call.c $(pkg-config --cflags --libs llmio) -o one_call
 *   ./one_call http://127.0.0.1:8080/v1
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

    /* A request is a builder: setters copy their arguments, and the first
     * error sticks until llmio_chat()/llmio_submit() reports it. */
    llmio_request *req = llmio_request_new("openai/gpt-4o-mini");
    llmio_request_add_message(req, LLMIO_ROLE_SYSTEM,
                              "You are a helpful assistant.");
    llmio_request_add_message(req, LLMIO_ROLE_USER, "Hello!");

    llmio_future *f = NULL;
    llmio_error err;
    llmio_status st = llmio_chat(client, req, &f, &err);
    if (st == LLMIO_OK) {
        /* The response is borrowed from the future: read it before
         * llmio_future_free(). */
        const char *text = llmio_response_text(llmio_future_response(f), 0,
                                               NULL);
        printf("%s\n", text ? text : "");
    } else {
        fprintf(stderr, "error: %s: %s\n", llmio_status_name(st),
                err.message);
    }

    llmio_future_free(f);
    llmio_request_free(req);
    llmio_client_free(client);
    return st == LLMIO_OK ? 0 : 1;
}
