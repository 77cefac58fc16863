/*
 * tools.c - a tool-calling round trip.
 *
 * The model is offered a function, get_weather(location). It answers with
 * a tool call instead of text (finish reason "tool_calls"); the program
 * runs the function itself and sends the result back in a second request
 * that replays the conversation: user question, the assistant's tool
 * call, the tool's result. The model's second answer uses the result.
 *
 * The request builder keeps the history: llmio_submit() snapshots it, so
 * after the first call the same builder simply grows by the assistant and
 * tool messages and is submitted again.
 *
 * With llmio-mock, the X-Mock-Scenario header makes the "model" call the
 * tool; a real model decides by itself from the question.
 *
 *   ./tools [BASE_URL]
 */
#include <stdio.h>
#include <string.h>

#include "llmio.h"

static const char *const weather_schema =
    "{\"type\":\"object\","
    "\"properties\":{\"location\":{\"type\":\"string\"}},"
    "\"required\":[\"location\"]}";

/*
 * The local tool. ARGS is the model's JSON text, e.g.
 * {"location":"San Francisco"}. A real program parses it with a JSON
 * library; this one takes the first string value after "location", which
 * is enough for the example and keeps it free of dependencies.
 */
static void get_weather(const char *args, size_t len, char *out, size_t cap)
{
    char location[128] = "somewhere";
    const char *key = strstr(args, "\"location\"");
    const char *q1 = key ? memchr(key + 10, '"', len - (size_t)(key + 10 - args))
                         : NULL;
    const char *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
    if (q2 != NULL && (size_t)(q2 - q1 - 1) < sizeof location) {
        memcpy(location, q1 + 1, (size_t)(q2 - q1 - 1));
        location[q2 - q1 - 1] = '\0';
    }
    snprintf(out, cap, "{\"location\":\"%s\",\"forecast\":\"sunny\","
                       "\"temperature_f\":72}", location);
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
                              "You can check the weather.");
    llmio_request_add_message(req, LLMIO_ROLE_USER,
                              "What's the weather like in San Francisco?");
    llmio_request_add_tool(req, "get_weather",
                           "Get the current weather for a location.",
                           weather_schema);
    llmio_request_add_header(
        req, "X-Mock-Scenario: tool=get_weather:{\"location\":\"San "
             "Francisco\"}");

    /* Round 1: the model asks for the tool. */
    llmio_future *f1 = NULL;
    llmio_error err;
    llmio_status st = llmio_chat(client, req, &f1, &err);
    if (st != LLMIO_OK) {
        fprintf(stderr, "round 1: %s: %s\n", llmio_status_name(st),
                err.message);
        return 1;
    }
    const llmio_response *r1 = llmio_future_response(f1);
    size_t ncalls = llmio_response_tool_calls(r1, 0);
    printf("finish: %s, %zu tool call(s)\n", llmio_response_finish_raw(r1, 0),
           ncalls);
    if (ncalls == 0) {
        return 1;
    }

    /* Replay the assistant's turn (content NULL, then its calls), then
     * answer each call by id. Everything is copied into the builder, so
     * F1 may be freed afterwards. */
    llmio_request_add_message(req, LLMIO_ROLE_ASSISTANT, NULL);
    for (size_t i = 0; i < ncalls; i++) {
        const llmio_tool_call *tc = llmio_response_tool_call(r1, 0, i);
        llmio_request_add_tool_call(req, tc->id, tc->name, tc->arguments);
    }
    for (size_t i = 0; i < ncalls; i++) {
        const llmio_tool_call *tc = llmio_response_tool_call(r1, 0, i);
        char result[256];
        get_weather(tc->arguments, tc->arguments_len, result, sizeof result);
        printf("call %s: %s(%s) -> %s\n", tc->id, tc->name, tc->arguments,
               result);
        llmio_request_add_tool_result(req, tc->id, result);
    }
    llmio_future_free(f1);

    /* Round 2: the model answers with the tool's result in hand. */
    llmio_future *f2 = NULL;
    st = llmio_chat(client, req, &f2, &err);
    if (st != LLMIO_OK) {
        fprintf(stderr, "round 2: %s: %s\n", llmio_status_name(st),
                err.message);
        return 1;
    }
    const llmio_response *r2 = llmio_future_response(f2);
    const char *text = llmio_response_text(r2, 0, NULL);
    printf("finish: %s\nanswer: %s\n", llmio_response_finish_raw(r2, 0),
           text ? text : "");

    llmio_future_free(f2);
    llmio_request_free(req);
    llmio_client_free(client);
    return 0;
}
