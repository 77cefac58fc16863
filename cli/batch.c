/*
 * batch.c - "llmio batch": run a JSONL file of requests through one
 * llmio_batch and write one JSON result line per request.
 *
 * Input is read a line at a time from the batch's source callback, only
 * when the batch has a free slot, so a file of any size runs in memory
 * bounded by the concurrency (plus, in input order, the results waiting
 * for a slower earlier one). Each non-blank line is one item; a line that
 * does not make a request becomes that item's typed error, and the rest go
 * on. Results come out in input order, or with --as-completed as they
 * finish; either way each line carries "index" and "line" (and the
 * "custom_id" the input gave), so nothing has to be matched by position.
 *
 * The batch is waited on in short slices: SIGINT cancels it, every request
 * already started is written out (E_CANCELLED), and the exit code is 130.
 * Otherwise the exit code is 0 when every item succeeded, else the status
 * table's code for the failed item with the lowest line number.
 *
 * Owns: the input buffer, and per item taken but not yet written its line
 * number and custom_id (a small hash table keyed by index).
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What the output needs of an item that the batch does not keep. */
struct item_info {
    size_t index;
    long line;
    char *custom_id; /* NULL when the line had none */
    struct item_info *next;
};

struct batch_run {
    /* input */
    FILE *in;
    const char *in_name;
    char *buf;
    size_t cap;
    long line;
    bool read_error;
    int read_errno;
    const char *default_model;

    /* items between source and output */
    struct item_info **buckets;
    size_t mask;

    /* output and outcome */
    FILE *out;
    size_t nok, nfailed;
    long first_failed_line; /* of the first failure (nfailed > 0) */
    llmio_status first_failed_status;
};

static struct item_info **bucket(struct batch_run *br, size_t index)
{
    return &br->buckets[index & br->mask];
}

/* Takes the record of INDEX out of the table (NULL if absent). */
static struct item_info *take_info(struct batch_run *br, size_t index)
{
    for (struct item_info **p = bucket(br, index); *p != NULL;
         p = &(*p)->next) {
        if ((*p)->index == index) {
            struct item_info *it = *p;
            *p = it->next;
            return it;
        }
    }
    return NULL;
}

/* Reads the next line into BR->buf without its line end; false at end of
 * input (or on a read error, recorded). */
static bool read_line(struct batch_run *br, size_t *len)
{
    errno = 0;
    ssize_t n = getline(&br->buf, &br->cap, br->in);
    if (n < 0) {
        if (ferror(br->in) && !cli_sigint_seen()) {
            br->read_error = true;
            br->read_errno = errno;
        }
        return false;
    }
    br->line++;
    while (n > 0 && (br->buf[n - 1] == '\n' || br->buf[n - 1] == '\r')) {
        n--;
    }
    br->buf[n] = '\0';
    *len = (size_t)n;
    return true;
}

static bool is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t') {
            return false;
        }
    }
    return true;
}

/* The batch's source: the next non-blank line as item INDEX. */
static llmio_status next_line(void *user, size_t index, llmio_request **req,
                              llmio_error *err)
{
    struct batch_run *br = user;
    size_t len = 0;
    do {
        if (cli_sigint_seen() || !read_line(br, &len)) {
            return LLMIO_OK; /* the end */
        }
    } while (is_blank(br->buf, len));

    struct item_info *it = calloc(1, sizeof *it);
    if (it == NULL) {
        snprintf(err->message, sizeof err->message, "line %ld: out of memory",
                 br->line);
        return LLMIO_E_NOMEM; /* reported without its line record */
    }
    it->index = index;
    it->line = br->line;
    it->next = *bucket(br, index);
    *bucket(br, index) = it;

    char id[256];
    llmio_status st = llmio_request_from_jsonl(br->buf, len, br->default_model,
                                               req, id, sizeof id, err);
    if (id[0] != '\0') {
        it->custom_id = strdup(id);
    }
    if (st != LLMIO_OK) {
        /* The error names the field; the line number makes it findable. */
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "line %ld: %.480s", br->line, err->message);
        memcpy(err->message, msg, sizeof msg);
    }
    return st;
}

static void write_error(FILE *f, const llmio_error *e)
{
    fputs(",\"error\":{\"message\":", f);
    cli_json_str(f, e->message);
    fprintf(f, ",\"http_status\":%d,\"provider_type\":", e->http_status);
    cli_json_str(f, e->provider_type);
    fputs(",\"provider_code\":", f);
    cli_json_str(f, e->provider_code);
    fprintf(f, ",\"attempts\":%d,\"retry_after_ms\":", e->attempts);
    if (e->retry_after_ms >= 0) {
        fprintf(f, "%lld", (long long)e->retry_after_ms);
    } else {
        fputs("null", f);
    }
    fputs(",\"request_id\":", f);
    cli_json_str(f, e->request_id);
    fputc('}', f);
}

/* The batch's item callback: one result line. */
static void on_item(llmio_batch *b, size_t index, llmio_future *f, void *user)
{
    struct batch_run *br = user;
    (void)b;
    struct item_info *it = take_info(br, index);
    long line = it != NULL ? it->line : 0;
    llmio_status st = llmio_future_status(f);
    FILE *o = br->out;
    fprintf(o, "{\"index\":%zu,\"line\":%ld", index, line);
    if (it != NULL && it->custom_id != NULL) {
        fputs(",\"custom_id\":", o);
        cli_json_str(o, it->custom_id);
    }
    fputs(",\"status\":", o);
    cli_json_str(o, llmio_status_name(st));
    const llmio_response *resp = llmio_future_response(f);
    size_t len = 0;
    const char *json = resp != NULL ? llmio_response_json(resp, &len) : NULL;
    if (st == LLMIO_OK && json != NULL) {
        fputs(",\"response\":", o);
        fwrite(json, 1, len, o);
    } else if (st != LLMIO_OK) {
        write_error(o, llmio_future_error(f));
    }
    fputs("}\n", o);
    if (st == LLMIO_OK) {
        br->nok++;
    } else {
        br->nfailed++;
        if (br->nfailed == 1 || line < br->first_failed_line) {
            br->first_failed_line = line;
            br->first_failed_status = st;
        }
    }
    if (it != NULL) {
        free(it->custom_id);
        free(it);
    }
}

/* Applies the batch's client options; returns 0 or the exit code. */
static int configure(llmio_client *c, const struct cli_opts *o)
{
    int rc = cli_configure_client(c, "batch", o);
    if (rc != CLI_EXIT_OK) {
        return rc;
    }
    for (size_t i = 0; i < o->nheaders; i++) {
        if (llmio_client_add_header(c, o->headers[i]) != LLMIO_OK) {
            return cli_usage_error("batch", "-H '%s' refused (Name: value)",
                                   o->headers[i]);
        }
    }
    if (o->timeout_ms > 0) {
        llmio_client_set_timeout(c, LLMIO_TIMEOUT_TOTAL, o->timeout_ms);
    }
    if (o->no_rate_pause) {
        llmio_client_set_rate_pause(c, false);
    }
    if (o->rpm > 0 || o->tpm > 0) {
        llmio_status st = llmio_client_set_rate_limit(c, NULL, o->rpm, o->tpm);
        if (st != LLMIO_OK) {
            cli_print_status(st, "--rpm/--tpm refused");
            return llmio_status_exit_code(st);
        }
    }
    return CLI_EXIT_OK;
}

static void progress(llmio_batch *b, bool final)
{
    llmio_batch_stats s;
    llmio_batch_progress(b, &s);
    fprintf(stderr,
            "llmio batch: %zu done (%zu ok, %zu failed), %zu in flight%s\n",
            s.reported, s.ok, s.failed, s.in_flight, final ? ", finished" : "");
    fflush(stderr);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drives B until it is done, cancelling it on SIGINT, flushing results
 * and printing progress between slices. */
static llmio_status drive(llmio_batch *b, FILE *out, bool show_progress)
{
    bool cancelled = false;
    int64_t next_progress = mono_ms() + 1000;
    for (;;) {
        llmio_status st = llmio_batch_wait(b, CLI_WAIT_SLICE_MS);
        if (st != LLMIO_E_TIMEOUT) {
            return st;
        }
        fflush(out);
        if (cli_sigint_seen() && !cancelled) {
            llmio_batch_cancel(b);
            cancelled = true;
        }
        if (show_progress && mono_ms() >= next_progress) {
            progress(b, false);
            next_progress += 1000;
        }
    }
}

int cli_cmd_batch(int argc, char **argv)
{
    struct cli_opts o;
    bool want_help;
    if (!cli_parse_batch(argc, argv, &o, &want_help)) {
        return CLI_EXIT_USAGE;
    }
    if (want_help) {
        cli_help_batch(stdout);
        return CLI_EXIT_OK;
    }
    struct batch_run br;
    memset(&br, 0, sizeof br);
    br.default_model = o.model;
    br.out = stdout;
    br.in = stdin;
    br.in_name = "stdin";
    if (o.nwords == 1 && strcmp(o.words[0], "-") != 0) {
        br.in_name = o.words[0];
        br.in = fopen(br.in_name, "r");
        if (br.in == NULL) {
            return cli_usage_error("batch", "cannot open '%s': %s", br.in_name,
                                   strerror(errno));
        }
    }
    /* Items waiting for output are at most the ordered window (16 times
     * the concurrency): a few per bucket at worst. */
    size_t nb = 64;
    while (nb < o.concurrency * 4) {
        nb *= 2;
    }
    br.mask = nb - 1;
    br.buckets = calloc(nb, sizeof *br.buckets);

    int rc;
    llmio_client *c = NULL;
    llmio_batch *b = NULL;
    llmio_status st =
        br.buckets != NULL ? llmio_client_new(NULL, &c) : LLMIO_E_NOMEM;
    if (st != LLMIO_OK) {
        cli_print_status(st, "cannot create a client");
        rc = llmio_status_exit_code(st);
        goto done;
    }
    rc = configure(c, &o);
    if (rc != CLI_EXIT_OK) {
        goto done;
    }
    st = llmio_batch_new(c, o.concurrency,
                         o.as_completed ? 0 : LLMIO_BATCH_ORDERED, &b);
    if (st == LLMIO_OK) {
        llmio_batch_set_callbacks(b, on_item, NULL, &br);
        st = llmio_batch_start(b, next_line, &br);
    }
    if (st != LLMIO_OK) {
        cli_print_status(st, "cannot start the batch");
        rc = llmio_status_exit_code(st);
        goto done;
    }
    cli_sigint_catch();
    st = drive(b, br.out, o.progress);
    cli_sigint_restore();
    if (o.progress) {
        progress(b, true);
    }
    if (st != LLMIO_OK) {
        cli_print_status(st, "waiting for the batch failed");
        rc = llmio_status_exit_code(st);
    } else if (cli_sigint_seen()) {
        rc = CLI_EXIT_INTERRUPTED;
    } else if (br.read_error) {
        char msg[300];
        snprintf(msg, sizeof msg, "reading %s after line %ld: %s", br.in_name,
                 br.line, strerror(br.read_errno));
        cli_print_status(LLMIO_E_INVALID, msg);
        rc = llmio_status_exit_code(LLMIO_E_INVALID);
    } else if (br.nfailed > 0) {
        rc = llmio_status_exit_code(br.first_failed_status);
    } else {
        rc = CLI_EXIT_OK;
    }

done:
    llmio_batch_free(b);
    llmio_client_free(c);
    llmio_global_cleanup();
    if (br.buckets != NULL) {
        for (size_t i = 0; i < nb; i++) {
            while (br.buckets[i] != NULL) {
                struct item_info *it = br.buckets[i];
                br.buckets[i] = it->next;
                free(it->custom_id);
                free(it);
            }
        }
        free(br.buckets);
    }
    free(br.buf);
    if (br.in != stdin) {
        fclose(br.in);
    }
    return rc;
}
