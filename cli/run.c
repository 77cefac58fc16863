/*
 * run.c - "llmio run": send one prompt, print the reply, exit with the
 * outcome's code from the status table.
 *
 * One client, one request, one future. The future is driven with
 * llmio_future_wait() in short slices so that SIGINT can cancel it: the
 * request then completes with LLMIO_E_CANCELLED and the CLI exits 130.
 * Streamed text is written and flushed delta by delta; tool calls are
 * printed from the assembled response once the stream has finished, so
 * their arguments print whole rather than as fragments.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* State shared with the stream callback through the future's user. */
struct run_state {
    struct cli_out out;
    bool json;
};

static int on_delta(llmio_future *f, const llmio_delta *d, void *user)
{
    struct run_state *s = user;
    (void)f;
    if (!s->json) {
        cli_out_delta(&s->out, d);
    }
    return 0;
}

void cli_request_common(llmio_request *r, const struct cli_opts *o)
{
    if (o->timeout_ms > 0) {
        llmio_request_set_timeout(r, LLMIO_TIMEOUT_TOTAL, o->timeout_ms);
    }
    for (size_t i = 0; i < o->nheaders; i++) {
        llmio_request_add_header(r, o->headers[i]);
    }
}

/* Builds the request. Setter errors are sticky, so one check at the end
 * (llmio_request_error) reports the first, naming its field. */
static llmio_request *build_request(const struct cli_opts *o,
                                    const char *prompt, struct run_state *s)
{
    llmio_request *r = llmio_request_new(o->model);
    if (r == NULL) {
        return NULL;
    }
    if (o->system != NULL) {
        llmio_request_add_message(r, LLMIO_ROLE_SYSTEM, o->system);
    }
    llmio_request_add_message(r, LLMIO_ROLE_USER, prompt);
    if (o->has_max_tokens) {
        llmio_request_set_max_tokens(r, o->max_tokens);
    }
    if (o->has_temperature) {
        llmio_request_set_temperature(r, o->temperature);
    }
    cli_request_common(r, o);
    /* Tried in order when the model fails for good with what another
     * model can fix: a context window too small, an outage, a rate limit. */
    for (size_t i = 0; i < o->nfallbacks; i++) {
        llmio_request_add_fallback(r, o->fallbacks[i], LLMIO_FALLBACK_DEFAULT);
    }
    if (o->hedge_ms > 0) {
        llmio_request_set_hedge(r, LLMIO_HEDGE_FIXED, o->hedge_ms);
    }
    if (o->stream) {
        llmio_request_set_stream(r, on_delta, true);
    }
    (void)s;
    return r;
}

static llmio_status wait_done(llmio_future *f);

int cli_submit_wait(llmio_client *c, const llmio_request *r, void *user,
                    llmio_future **f)
{
    llmio_error err;
    memset(&err, 0, sizeof err);
    llmio_status st = llmio_submit(c, r, NULL, user, f, &err);
    if (st != LLMIO_OK) {
        return cli_refused(st, &err);
    }
    return cli_wait(*f);
}

int cli_refused(llmio_status st, llmio_error *err)
{
    /* A refused submit names the bad field (e.g. temperature). */
    if (err->code == LLMIO_OK) {
        err->code = st;
    }
    cli_print_error(err);
    return llmio_status_exit_code(st);
}

int cli_wait(llmio_future *f)
{
    llmio_status st = wait_done(f);
    if (st != LLMIO_OK) {
        cli_print_status(st, "waiting for the reply failed");
        return llmio_status_exit_code(st);
    }
    return CLI_EXIT_OK;
}

/* Drives F until it completes, cancelling it on SIGINT. Returns LLMIO_OK
 * once F is done, or the error that stopped the wait itself. */
static llmio_status wait_done(llmio_future *f)
{
    cli_sigint_catch();
    bool cancelled = false;
    llmio_status st;
    for (;;) {
        st = llmio_future_wait(f, CLI_WAIT_SLICE_MS);
        if (st != LLMIO_E_TIMEOUT) {
            break;
        }
        if (cli_sigint_seen() && !cancelled) {
            llmio_future_cancel(f);
            cancelled = true;
        }
    }
    cli_sigint_restore();
    return st;
}

int cli_failure(llmio_future *f)
{
    llmio_status st = llmio_future_status(f);
    cli_print_error(llmio_future_error(f));
    if (st == LLMIO_E_CANCELLED && cli_sigint_seen()) {
        return CLI_EXIT_INTERRUPTED;
    }
    return llmio_status_exit_code(st);
}

/* Prints the outcome of the completed future F; returns the exit code. */
static int report(llmio_future *f, struct run_state *s, bool streamed)
{
    llmio_status st = llmio_future_status(f);
    if (st != LLMIO_OK) {
        if (s->out.wrote_any) {
            cli_out_end(&s->out);
        }
        return cli_failure(f);
    }
    const llmio_response *resp = llmio_future_response(f);
    int index = 0;
    const char *by = llmio_response_served_by(resp, &index);
    if (index > 0) {
        /* stdout stays the reply; which model gave it is a note. */
        fprintf(stderr, "llmio: served by %s (fallback %d)\n", by, index);
    }
    if (s->json) {
        size_t len = 0;
        const char *json = llmio_response_json(resp, &len);
        cli_out_text(&s->out, json, json ? len : 0);
        cli_out_end(&s->out);
    } else if (streamed) {
        cli_out_tool_calls(&s->out, resp);
        cli_out_end(&s->out);
    } else {
        cli_out_response(&s->out, resp);
    }
    return CLI_EXIT_OK;
}

int cli_cmd_run(int argc, char **argv)
{
    struct cli_opts o;
    bool want_help;
    if (!cli_parse_run(argc, argv, &o, &want_help)) {
        return CLI_EXIT_USAGE;
    }
    if (want_help) {
        cli_help_run(stdout);
        return CLI_EXIT_OK;
    }
    char *prompt = cli_build_prompt(o.words, o.nwords);
    if (prompt == NULL) {
        return CLI_EXIT_USAGE;
    }

    int rc;
    llmio_client *c = NULL;
    llmio_request *r = NULL;
    llmio_future *f = NULL;
    struct run_state s;
    cli_out_init(&s.out, stdout);
    s.json = o.json;

    llmio_status st = llmio_client_new(NULL, &c);
    if (st != LLMIO_OK) {
        cli_print_status(st, "cannot create a client");
        rc = llmio_status_exit_code(st);
        goto done;
    }
    rc = cli_configure_client(c, "run", &o);
    if (rc != CLI_EXIT_OK) {
        goto done;
    }
    r = build_request(&o, prompt, &s);
    if (r == NULL) {
        cli_print_status(LLMIO_E_NOMEM, NULL);
        rc = llmio_status_exit_code(LLMIO_E_NOMEM);
        goto done;
    }
    rc = cli_submit_wait(c, r, &s, &f);
    if (rc != CLI_EXIT_OK) {
        goto done;
    }
    rc = report(f, &s, o.stream);

done:
    llmio_future_free(f);
    llmio_request_free(r);
    llmio_client_free(c);
    llmio_global_cleanup();
    free(prompt);
    return rc;
}
