/*
 * embed.c - "llmio embed": embed texts and print the vectors, exiting with
 * the outcome's code from the status table (as "llmio run").
 *
 * Each TEXT argument is one input; with no TEXT (or a TEXT "-") the
 * inputs are standard input's lines, blank lines skipped (an API rejects
 * an empty input). Output: one JSON array of numbers per input, in input
 * order, or with --format json one JSON object holding model, usage and
 * every vector. One client, one request, one future, the same options,
 * waiting and error lines as "llmio run" (run.c, args.c).
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Adds standard input's non-blank lines to R ('\r' before '\n' dropped;
 * TEXT is cut in place and kept by the caller); returns how many. */
static size_t add_stdin_lines(llmio_request *r, char *text, size_t len)
{
    size_t n = 0;
    char *p = text;
    char *end = text + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl != NULL ? nl : end;
        char *e = stop;
        if (e > p && e[-1] == '\r') {
            e--;
        }
        *e = '\0';
        bool blank = true;
        for (const char *q = p; q < e && blank; q++) {
            blank = *q == ' ' || *q == '\t';
        }
        if (!blank) {
            llmio_request_add_input(r, p);
            n++;
        }
        p = stop + 1;
    }
    return n;
}

/* One vector as a JSON array; a non-finite value (only base64 can carry
 * one) prints as null so the line stays JSON. */
static void print_vector(FILE *out, const float *v, size_t dim)
{
    fputc('[', out);
    for (size_t k = 0; k < dim; k++) {
        if (k > 0) {
            fputc(',', out);
        }
        if (isfinite(v[k])) {
            /* 9 significant digits round-trip a float exactly. */
            fprintf(out, "%.9g", (double)v[k]);
        } else {
            fputs("null", out);
        }
    }
    fputc(']', out);
}

static void print_usage_field(FILE *out, const char *name, int64_t v)
{
    fprintf(out, "\"%s\":", name);
    if (v >= 0) {
        fprintf(out, "%lld", (long long)v);
    } else {
        fputs("null", out);
    }
}

/* Prints RESP's vectors: arrays, one a line, or (JSON) one object. */
static void print_embeddings(FILE *out, const llmio_response *resp, bool json)
{
    size_t n = llmio_response_embeddings(resp);
    size_t dim = llmio_response_embedding_dim(resp);
    if (!json) {
        for (size_t i = 0; i < n; i++) {
            print_vector(out, llmio_response_embedding(resp, i), dim);
            fputc('\n', out);
        }
        return;
    }
    const char *model = llmio_response_model(resp);
    llmio_usage u = llmio_response_usage(resp);
    fputs("{\"model\":", out);
    if (model != NULL) {
        cli_json_str(out, model);
    } else {
        fputs("null", out);
    }
    fprintf(out, ",\"provider\":");
    cli_json_str(out, llmio_response_provider(resp));
    fprintf(out, ",\"dimensions\":%zu,\"usage\":{", dim);
    print_usage_field(out, "prompt_tokens", u.prompt_tokens);
    fputc(',', out);
    print_usage_field(out, "total_tokens", u.total_tokens);
    fputs("},\"data\":[", out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s{\"index\":%zu,\"embedding\":", i ? "," : "", i);
        print_vector(out, llmio_response_embedding(resp, i), dim);
        fputc('}', out);
    }
    fputs("]}\n", out);
}

/* Builds the embedding request; setter errors are sticky and reported by
 * the submit, naming the field. *STDIN_TEXT gets what was read from
 * standard input (free() it). Returns NULL after printing an error, with
 * the exit code in *RC. */
static llmio_request *build_request(const struct cli_opts *o, char **stdin_text,
                                    int *rc)
{
    *rc = CLI_EXIT_USAGE;
    *stdin_text = NULL;
    llmio_request *r = llmio_request_new(o->model);
    if (r == NULL) {
        cli_print_status(LLMIO_E_NOMEM, NULL);
        *rc = llmio_status_exit_code(LLMIO_E_NOMEM);
        return NULL;
    }
    bool want_stdin = o->nwords == 0;
    size_t ninputs = 0;
    for (size_t i = 0; i < o->nwords; i++) {
        if (strcmp(o->words[i], "-") == 0) {
            want_stdin = true;
        } else {
            llmio_request_add_input(r, o->words[i]);
            ninputs++;
        }
    }
    if (want_stdin) {
        size_t len;
        *stdin_text = cli_read_stdin(&len);
        if (*stdin_text == NULL) {
            llmio_request_free(r);
            return NULL;
        }
        ninputs += add_stdin_lines(r, *stdin_text, len);
    }
    if (ninputs == 0) {
        cli_usage_error("embed", "no input: give TEXT arguments or lines "
                                 "on standard input");
        llmio_request_free(r);
        return NULL;
    }
    if (o->dimensions > 0) {
        llmio_request_set_dimensions(r, o->dimensions);
    }
    if (o->encoding != NULL) {
        llmio_request_set_encoding_format(r, o->encoding);
    }
    if (o->task_type != NULL) {
        llmio_request_set_task_type(r, o->task_type);
    }
    cli_request_common(r, o);
    return r;
}

int cli_cmd_embed(int argc, char **argv)
{
    struct cli_opts o;
    bool want_help;
    if (!cli_parse_embed(argc, argv, &o, &want_help)) {
        return CLI_EXIT_USAGE;
    }
    if (want_help) {
        cli_help_embed(stdout);
        return CLI_EXIT_OK;
    }
    int rc;
    llmio_client *c = NULL;
    llmio_request *r = NULL;
    llmio_future *f = NULL;
    char *stdin_text = NULL;
    llmio_status st = llmio_client_new(NULL, &c);
    if (st != LLMIO_OK) {
        cli_print_status(st, "cannot create a client");
        rc = llmio_status_exit_code(st);
        goto done;
    }
    rc = cli_configure_client(c, "embed", &o);
    if (rc != CLI_EXIT_OK) {
        goto done;
    }
    r = build_request(&o, &stdin_text, &rc);
    if (r == NULL) {
        goto done;
    }
    /* A refusal names the field: no input, an empty one, a dimension. */
    rc = cli_submit_wait(c, r, NULL, &f);
    if (rc != CLI_EXIT_OK) {
        goto done;
    }
    if (llmio_future_status(f) != LLMIO_OK) {
        rc = cli_failure(f);
        goto done;
    }
    print_embeddings(stdout, llmio_future_response(f), o.json);
    rc = CLI_EXIT_OK;
done:
    llmio_future_free(f);
    llmio_request_free(r);
    llmio_client_free(c);
    llmio_global_cleanup();
    free(stdin_text);
    return rc;
}
