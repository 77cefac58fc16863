/*
 * cli.h - declarations shared by the llmio command-line tool's files.
 *
 * The CLI is an ordinary user of the library: it includes only llmio.h
 * and holds no provider-specific logic (STYLE section 15). Each file has
 * one job: main.c dispatches commands, args.c parses options, prompt.c
 * assembles the prompt, output.c prints replies and errors, client.c
 * applies the client options, help.c holds the usage texts, and one file
 * per command (run.c, batch.c, embed.c, chat.c) does the work.
 */
#ifndef LLMIO_CLI_H
#define LLMIO_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "llmio.h"

/* Exit codes that do not come from the status table. Every other exit
 * code is llmio_status_exit_code() of the outcome. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_USAGE = 2,        /* bad command line (same as E_INVALID) */
    CLI_EXIT_INTERRUPTED = 130 /* SIGINT: the request was cancelled */
};

/* The most -H options one command accepts. */
#define CLI_MAX_HEADERS 32
/* --fallback options: the library takes at most 8 fallback models. */
#define CLI_MAX_FALLBACKS 8

/* How long one wait slice lasts: the worst-case delay between SIGINT and
 * the cancel. */
#define CLI_WAIT_SLICE_MS 100

/* The default of "llmio batch -c". */
#define CLI_BATCH_CONCURRENCY 16

/* Options of "llmio run" and "llmio batch" after parsing (each command's
 * table admits its own; the rest stay zero). Strings are borrowed from
 * argv. */
struct cli_opts {
    const char *model; /* batch: the default for lines without one */
    const char *system;
    const char *base_url;
    const char *cacert; /* --cacert: CA bundle for https servers */
    const char *api_key_env;
    const char *headers[CLI_MAX_HEADERS];
    size_t nheaders;
    bool stream;
    bool json;
    bool has_max_tokens;
    int64_t max_tokens;
    bool has_temperature;
    double temperature;
    int64_t timeout_ms; /* 0: library default */
    /* run: --fallback MODEL (repeatable), --hedge MS (0: none) */
    const char *fallbacks[CLI_MAX_FALLBACKS];
    size_t nfallbacks;
    int64_t hedge_ms;
    /* run, batch, embed: --retries N (unset: the library's default) */
    bool has_retries;
    int retries;
    /* batch */
    size_t concurrency;
    bool as_completed;
    int64_t rpm, tpm; /* 0: no limit */
    bool progress;
    bool no_rate_pause; /* llmio_client_set_rate_pause(c, false) */
    /* embed: --dimensions (0: not set), --encoding, --task-type; --format
     * json sets json. */
    int64_t dimensions;
    const char *encoding;
    const char *task_type;
    /* Remaining words, in order. run: the prompt ("-" stands for standard
     * input); batch: the input FILE, if any; embed: the texts. */
    const char *const *words;
    size_t nwords;
};

/* One command of the table in main.c. RUN gets the arguments after the
 * command name and returns the process exit code. */
struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    void (*help)(FILE *out);
};

/* main.c: the command table, for help.c. */
extern const struct cli_command cli_commands[];
extern const size_t cli_ncommands;
const struct cli_command *cli_find_command(const char *name);

/* args.c */

/*
 * cli_parse_run - parse the arguments of "llmio run" into OPTS.
 *
 * Options and prompt words may be mixed; "--" ends the options. On a
 * usage error it prints one line with a hint to stderr and returns false.
 * Sets *WANT_HELP (and returns true) for -h/--help.
 */
bool cli_parse_run(int argc, char **argv, struct cli_opts *opts,
                   bool *want_help);
/* The same for "llmio batch": at most one word (the input file); a
 * concurrency left unset becomes CLI_BATCH_CONCURRENCY. */
bool cli_parse_batch(int argc, char **argv, struct cli_opts *opts,
                     bool *want_help);
/* The same for "llmio embed": no TEXT is allowed (stdin is read then). */
bool cli_parse_embed(int argc, char **argv, struct cli_opts *opts,
                     bool *want_help);
/* The same for "llmio chat": no words at all (turns come from stdin). */
bool cli_parse_chat(int argc, char **argv, struct cli_opts *opts,
                    bool *want_help);

/* client.c */

/*
 * cli_configure_client - apply the client-level options of O (base URL and
 * API key variable, aimed at O->model's provider; --retries) to C. Prints
 * a one-line error naming the option on failure (CMD in the hint).
 * Returns:  0, or the exit code.
 */
int cli_configure_client(llmio_client *c, const char *cmd,
                         const struct cli_opts *o);

/* prompt.c */

/*
 * cli_build_prompt - join WORDS with single spaces; a word "-" is replaced
 * by the whole of standard input (allowed once).
 *
 * Returns:  [new] the prompt (free() it), or NULL after printing a
 *           one-line error (stdin unreadable, "-" given twice, no memory).
 */
char *cli_build_prompt(const char *const *words, size_t nwords);

/* cli_read_stdin - all of standard input. Returns: [new] NUL-terminated
 * text (free() it; *LEN its length), or NULL after printing an error. */
char *cli_read_stdin(size_t *len);

/* output.c */

/* Tracks what went to stdout so the reply always ends with exactly one
 * newline that the CLI adds only when the reply lacks it. */
struct cli_out {
    FILE *f;
    bool wrote_any;
    char last;
};

void cli_out_init(struct cli_out *o, FILE *f);
/* Writes LEN bytes of reply text. */
void cli_out_text(struct cli_out *o, const char *s, size_t len);
/* Writes a stream delta's reply text (TEXT and REFUSAL kinds; others
 * are ignored) and flushes, so it shows as it arrives. */
void cli_out_delta(struct cli_out *o, const llmio_delta *d);
/* Ends the reply: a newline unless the last byte written was one. */
void cli_out_end(struct cli_out *o);
/* Prints a response's tool calls of choice 0, one line each:
 *   [tool call ID] NAME(ARGUMENTS) */
void cli_out_tool_calls(struct cli_out *o, const llmio_response *r);
/* Prints the whole reply of a non-streamed response: the text (or the
 * refusal), then its tool calls, then the final newline. */
void cli_out_response(struct cli_out *o, const llmio_response *r);

/*
 * cli_print_error - print one line to stderr:
 *   llmio: STATUS_NAME: MESSAGE (http N, PROVIDER_TYPE)
 * with the parenthesis, or either of its parts, omitted when absent.
 * Control characters in the message become spaces so it stays one line.
 */
void cli_print_error(const llmio_error *err);
/* The same for a bare status and message (MSG NULL: the status text). */
void cli_print_status(llmio_status st, const char *msg);

/* Prints "llmio: MESSAGE (try 'llmio help CMD')" and returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * cli_json_str - write S to F as a JSON string literal (quotes included),
 * escaping what RFC 8259 requires; invalid UTF-8 bytes become U+FFFD so
 * the line stays valid JSON.
 */
void cli_json_str(FILE *f, const char *s);

/* interrupt.c: SIGINT sets a flag (once; a second ^C kills). */
void cli_sigint_catch(void);
void cli_sigint_restore(void);
bool cli_sigint_seen(void);
/* Lowers the flag: chat goes on after a ^C cancelled one reply. */
void cli_sigint_clear(void);

/* help.c */
void cli_help_main(FILE *out);
void cli_help_run(FILE *out);
void cli_help_batch(FILE *out);
void cli_help_embed(FILE *out);
void cli_help_chat(FILE *out);
void cli_help_exit_codes(FILE *out);

/* run.c */
int cli_cmd_run(int argc, char **argv);
/* Adds O's per-request options every single-request command shares
 * (--timeout, -H) to R. */
void cli_request_common(llmio_request *r, const struct cli_opts *o);
/* Submits R on C (USER for its stream callback) and drives the future,
 * stored in *F, until it completes, cancelling it on SIGINT. Returns
 * CLI_EXIT_OK once *F is done, else prints the refusal (naming the bad
 * field) or the wait's error and returns its exit code. */
int cli_submit_wait(llmio_client *c, const llmio_request *r, void *user,
                    llmio_future **f);
/* For a completed F that failed: prints its error line and returns the
 * exit code (130 when SIGINT cancelled it). */
int cli_failure(llmio_future *f);
/* The two halves of cli_submit_wait, for commands that submit another
 * way (chat: llmio_session_submit): print a refused submit's error ERR
 * (code ST) and return its exit code; drive F until done as above. */
int cli_refused(llmio_status st, llmio_error *err);
int cli_wait(llmio_future *f);

/* embed.c */
int cli_cmd_embed(int argc, char **argv);

/* batch.c */
int cli_cmd_batch(int argc, char **argv);

/* chat.c */
int cli_cmd_chat(int argc, char **argv);

#endif
