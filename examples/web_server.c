/*
 * web_server.c - an HTTP service that answers with an LLM, on one thread.
 *
 * The C form of the seeds' FastAPI/aiohttp integration:
 *
 *   GET /ask?q=TEXT     the model's answer as text (the `ainvoke` route)
 *   GET /stream?q=TEXT  the answer streamed to the HTTP client chunk by
 *                       chunk as the model produces it (StreamingResponse)
 *
 * libevent's evhttp serves the HTTP side; llmio_libevent_attach() puts the
 * llmio client on the same event base. A handler submits a request and
 * returns at once; the reply is sent from the done (or stream) callback, so
 * one thread serves many slow model calls at the same time. When the HTTP
 * client hangs up, its model request is cancelled (evhttp notices a
 * hang-up while it is writing, i.e. during a stream; a plain /ask call
 * then simply runs to its end and the answer is dropped).
 *
 *   ./web_server [BASE_URL] [PORT] [MAX]
 *
 * PORT 0 (the default) picks a free port; the first line printed is
 * "listening on http://127.0.0.1:PORT". With MAX > 0 the server exits after
 * answering MAX requests (the test uses this); otherwise it runs until
 * killed. Try: curl 'http://127.0.0.1:PORT/stream?q=hello%20there'
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmio.h"

#ifdef LLMIO_HAVE_LIBEVENT
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "llmio/adapters/libevent.h"

struct server {
    struct event_base *base;
    llmio_client *client;
    long served;    /* answers written out in full */
    long cancelled; /* model calls cancelled because the client left */
    long max;       /* exit after this many answers; 0: never */
};

/* One HTTP request waiting for its model call. */
struct call {
    struct server *srv;
    struct evhttp_request *req;
    llmio_future *f;
    bool streaming;
    bool gone; /* the HTTP client hung up */
};

/* Runs once the answer has been written out in full, so the last one is
 * not cut off when MAX ends the loop. */
static void on_http_sent(struct evhttp_request *req, void *arg)
{
    struct server *srv = arg;
    (void)req;
    srv->served++;
    if (srv->max > 0 && srv->served >= srv->max) {
        event_base_loopexit(srv->base, NULL);
    }
}

/* The HTTP connection closed before the answer: stop paying for it. The
 * done callback still runs once (LLMIO_E_CANCELLED) and frees the call.
 * libevent keeps the orphaned request until it is answered, so the done
 * callback still "answers" it, which frees it. */
static void on_http_gone(struct evhttp_connection *conn, void *arg)
{
    struct call *call = arg;
    (void)conn;
    call->gone = true;
    llmio_future_cancel(call->f);
}

static int on_delta(llmio_future *f, const llmio_delta *d, void *user)
{
    struct call *call = user;
    (void)f;
    if (!call->gone && d->kind == LLMIO_DELTA_TEXT) {
        struct evbuffer *buf = evbuffer_new();
        evbuffer_add(buf, d->text, d->text_len);
        evhttp_send_reply_chunk(call->req, buf);
        evbuffer_free(buf);
    }
    return 0;
}

static void on_done(llmio_future *f, void *user)
{
    struct call *call = user;
    if (llmio_future_status(f) == LLMIO_E_CANCELLED) {
        call->srv->cancelled++;
    }
    if (call->gone) {
        /* No connection any more: these calls only free the request. */
        if (call->streaming) {
            evhttp_send_reply_end(call->req);
        } else {
            evhttp_send_reply(call->req, 499, "Client Closed Request", NULL);
        }
    } else {
        evhttp_connection_set_closecb(
            evhttp_request_get_connection(call->req), NULL, NULL);
        struct evbuffer *buf = evbuffer_new();
        llmio_status st = llmio_future_status(f);
        if (call->streaming) {
            if (st != LLMIO_OK) {
                /* Headers are out already; say so in the body. */
                evbuffer_add_printf(buf, "\n[error: %s]",
                                    llmio_status_name(st));
            }
            evbuffer_add(buf, "\n", 1);
            evhttp_send_reply_chunk(call->req, buf);
            evhttp_send_reply_end(call->req);
        } else if (st == LLMIO_OK) {
            const char *text =
                llmio_response_text(llmio_future_response(f), 0, NULL);
            evbuffer_add_printf(buf, "%s\n", text ? text : "");
            evhttp_send_reply(call->req, 200, "OK", buf);
        } else {
            const llmio_error *e = llmio_future_error(f);
            evbuffer_add_printf(buf, "%s: %s\n", llmio_status_name(st),
                                e->message);
            evhttp_send_reply(call->req, 502, "Bad Gateway", buf);
        }
        evbuffer_free(buf);
    }
    llmio_future_free(f);
    free(call);
}

/* Handles /ask and /stream (ARG says which). */
static void on_request(struct evhttp_request *req, void *arg, bool streaming)
{
    struct server *srv = arg;
    struct evkeyvalq params;
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    if (query == NULL || evhttp_parse_query_str(query, &params) != 0) {
        evhttp_send_error(req, 400, "missing ?q=");
        return;
    }
    const char *q = evhttp_find_header(&params, "q");
    if (q == NULL || q[0] == '\0') {
        evhttp_clear_headers(&params);
        evhttp_send_error(req, 400, "missing ?q=");
        return;
    }

    struct call *call = calloc(1, sizeof *call);
    llmio_request *lr = llmio_request_new("openai/gpt-4o-mini");
    llmio_request_add_message(lr, LLMIO_ROLE_USER, q); /* copied */
    evhttp_clear_headers(&params);
    if (streaming) {
        llmio_request_set_stream(lr, on_delta, true);
    }
    /* Test plumbing: llmio-mock's scenario header is passed on, so the
     * test can make the model slow. A real service would not do this. */
    const char *scn = evhttp_find_header(evhttp_request_get_input_headers(req),
                                         "X-Mock-Scenario");
    if (scn != NULL) {
        char header[512];
        snprintf(header, sizeof header, "X-Mock-Scenario: %s", scn);
        llmio_request_add_header(lr, header);
    }
    call->srv = srv;
    call->req = req;
    call->streaming = streaming;
    llmio_error err;
    llmio_status st = llmio_submit(srv->client, lr, on_done, call, &call->f,
                                   &err);
    llmio_request_free(lr);
    if (st != LLMIO_OK) {
        free(call);
        evhttp_send_error(req, 500, llmio_status_str(st));
        return;
    }
    evhttp_request_set_on_complete_cb(req, on_http_sent, srv);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; charset=utf-8");
    if (streaming) {
        evhttp_send_reply_start(req, 200, "OK");
    }
    evhttp_connection_set_closecb(evhttp_request_get_connection(req),
                                  on_http_gone, call);
}

static void on_ask(struct evhttp_request *req, void *arg)
{
    on_request(req, arg, false);
}

static void on_stream(struct evhttp_request *req, void *arg)
{
    on_request(req, arg, true);
}

int main(int argc, char **argv)
{
    int port = argc > 2 ? atoi(argv[2]) : 0;
    struct server srv = {.max = argc > 3 ? atol(argv[3]) : 0};
    srv.base = event_base_new();
    if (srv.base == NULL || llmio_client_new(NULL, &srv.client) != LLMIO_OK) {
        return 1;
    }
    if (argc > 1 && argv[1][0] != '\0') {
        llmio_client_set_base_url(srv.client, NULL, argv[1]);
    }
    if (llmio_libevent_attach(srv.client, srv.base) != LLMIO_OK) {
        return 1;
    }

    struct evhttp *http = evhttp_new(srv.base);
    struct evhttp_bound_socket *sock =
        evhttp_bind_socket_with_handle(http, "127.0.0.1", (ev_uint16_t)port);
    if (sock == NULL) {
        fprintf(stderr, "web_server: cannot listen on port %d\n", port);
        return 1;
    }
    struct sockaddr_in sa;
    socklen_t salen = sizeof sa;
    getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sa,
                &salen);
    evhttp_set_cb(http, "/ask", on_ask, &srv);
    evhttp_set_cb(http, "/stream", on_stream, &srv);
    printf("listening on http://127.0.0.1:%d\n", ntohs(sa.sin_port));
    fflush(stdout);

    event_base_dispatch(srv.base);

    printf("served %ld, cancelled %ld\n", srv.served, srv.cancelled);
    /* The client first: pending calls complete (CANCELLED) and answer
     * their HTTP requests while those still exist. */
    llmio_client_free(srv.client);
    evhttp_free(http);
    event_base_free(srv.base);
    return 0;
}

#else
int main(void)
{
    fprintf(stderr, "web_server: built without libevent\n");
    return 77;
}
#endif
