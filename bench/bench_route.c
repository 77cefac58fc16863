/*
 * bench_route.c - what a fallback list costs at submit: every model is
 * serialised when the request is submitted (docs/internals/resilience.md),
 * so a routed request pays one more serialisation and snapshot per
 * fallback, also when its first model answers.
 *
 * Method: a request with a ~2 KB prompt, submitted and freed (cancelled)
 * at once N times, against a closed port (nothing is sent; the transfers
 * are started and removed), with 0, 1 and 2 fallbacks (the second one on
 * another provider). Three rounds of each, interleaved; the figure is the
 * best round's wall time per submit + cancel. Prints stable lines
 * "route_submit_cancel_fallbacks_<k> <value> us".
 * Usage: bench_route [N]
 */
#include "llmio.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Microseconds per submit + cancel of R, over N requests. */
static double round_us(llmio_client *c, const llmio_request *r, int n)
{
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        llmio_future *f = NULL;
        if (llmio_submit(c, r, NULL, NULL, &f, NULL) != LLMIO_OK) {
            fprintf(stderr, "bench_route: submit failed\n");
            exit(1);
        }
        llmio_future_free(f);
        if (i % 100 == 99) {
            llmio_client_run(c, 0); /* run the cancelled futures' ends */
        }
    }
    llmio_client_run(c, 1000);
    return (now_s() - t0) / n * 1e6;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    if (n <= 0) {
        n = 20000;
    }
    llmio_client *c = NULL;
    if (llmio_client_new(NULL, &c) != LLMIO_OK) {
        return 1;
    }
    /* Port 9 (discard) is closed here: connects fail, nothing is sent. */
    llmio_client_set_base_url(c, NULL, "http://127.0.0.1:9/v1");
    llmio_client_set_api_key(c, NULL, "sk-bench");
    llmio_client_set_base_url(c, "anthropic", "http://127.0.0.1:9");
    llmio_client_set_api_key(c, "anthropic", "sk-ant-bench");
    char prompt[2001];
    for (int i = 0; i < 2000; i++) {
        prompt[i] = i % 5 == 4 ? ' ' : 'a';
    }
    prompt[2000] = '\0';
    llmio_request *r[3];
    for (int k = 0; k < 3; k++) {
        r[k] = llmio_request_new("openai/gpt-4o-mini");
        llmio_request_add_message(r[k], LLMIO_ROLE_USER, prompt);
        llmio_request_set_max_tokens(r[k], 100);
        if (k >= 1) {
            llmio_request_add_fallback(r[k], "openai/gpt-4.1",
                                       LLMIO_FALLBACK_CONTEXT_LENGTH);
        }
        if (k >= 2) {
            llmio_request_add_fallback(r[k], "anthropic/claude-sonnet-4-5",
                                       LLMIO_FALLBACK_OUTAGE);
        }
    }
    double best[3] = {1e30, 1e30, 1e30};
    for (int round = 0; round < 3; round++) {
        for (int k = 0; k < 3; k++) {
            double us = round_us(c, r[k], n);
            best[k] = us < best[k] ? us : best[k];
        }
    }
    for (int k = 0; k < 3; k++) {
        printf("route_submit_cancel_fallbacks_%d %.1f us\n", k, best[k]);
        llmio_request_free(r[k]);
    }
    llmio_client_free(c);
    return 0;
}
