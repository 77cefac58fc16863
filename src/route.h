/*
 * route.h - fallbacks and hedged requests: a request that names fallback
 * models or hedges runs as internal child futures, one per model tried
 * (plus a hedge copy), behind the caller's future (see route.c and
 * docs/internals/resilience.md).
 *
 * The engine knows nothing of routes: children are ordinary futures with
 * their own transfer, retries and snapshot. The hooks below are how
 * client.c, future.c, engine.c and loop.c hand events over.
 */
#ifndef LLMIO_ROUTE_H
#define LLMIO_ROUTE_H

#include "client.h"

struct llmio_request;

/* Whether llmio_submit must route R (fallbacks, or hedging by the
 * request or the client default). */
bool llmio__route_wanted(const struct llmio_client *c,
                         const struct llmio_request *r);

/* llmio_submit for a routed request: serialises R for every model,
 * starts the first child and returns the caller's future in *OUT.
 * Same contract as llmio_submit (nothing started on failure, ERR names
 * the field). */
llmio_status llmio__route_submit(struct llmio_client *c,
                                 const struct llmio_request *r,
                                 llmio_done_cb done, void *user,
                                 struct llmio_future **out, llmio_error *err);

/* future.c: the caller's future F is cancelled (its children too). */
void llmio__route_cancel(struct llmio_future *f);
/* future.c: F (the caller's future) is being released. */
void llmio__route_free(struct llmio_future *f);
/* future.c: the response of a completed routed future: the winner's. */
const llmio_response *llmio__route_response(const struct llmio_future *f);
/* future.c: a stream delta of child K, to hand to the caller or hold
 * back until K answers first. Returns what a sink returns. */
llmio_status llmio__route_deliver(struct llmio_future *k, const llmio_delta *d);

/* engine.c: child K received the first byte of a 2xx body (it answered,
 * for a request that does not stream). Safe inside libcurl callbacks. */
void llmio__route_answered(struct llmio_future *k);
/* engine.c: fills INFO's model, fallback and hedge for F's attempt and
 * returns the future the attempt hook must see (the caller's), or NULL
 * when there is none any more. */
struct llmio_future *llmio__route_attempt(struct llmio_future *f,
                                          llmio_attempt_info *info);

/* loop.c: the next hedge timer (absolute monotonic ms), or -1. */
int64_t llmio__route_next_due(const struct llmio_client *c);
/* loop.c: sends the hedges that are due. */
void llmio__route_on_timer(struct llmio_client *c);
/* client.c: releases the client's hedge timers and latency samples
 * (every routed future is complete by then). */
void llmio__route_client_free(struct llmio_client *c);

#endif
