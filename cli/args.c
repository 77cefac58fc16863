/*
 * args.c - parses the options of every command ("llmio run", ...) into
 * struct cli_opts, one table per command, one table-driven parser.
 *
 * Options may come before, between or after the prompt words ("llmio run
 * hello -m x" works); "--" ends the options so a prompt may start with a
 * dash. Values are taken as "--opt VALUE" or "--opt=VALUE". Numbers are
 * parsed strictly: trailing junk, overflow or a missing value is a usage
 * error with a one-line hint, never a silent zero.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Option ids; each entry of the table below maps spellings to one. */
enum opt_id {
    OPT_MODEL,
    OPT_STREAM,
    OPT_SYSTEM,
    OPT_MAX_TOKENS,
    OPT_TEMPERATURE,
    OPT_JSON,
    OPT_TIMEOUT,
    OPT_BASE_URL,
    OPT_CACERT,
    OPT_API_KEY_ENV,
    OPT_HEADER,
    OPT_FALLBACK,
    OPT_HEDGE,
    OPT_HELP,
    OPT_RETRIES,
    /* batch */
    OPT_CONCURRENCY,
    OPT_AS_COMPLETED,
    OPT_RPM,
    OPT_TPM,
    OPT_PROGRESS,
    OPT_NO_RATE_PAUSE,
    /* embed */
    OPT_DIMENSIONS,
    OPT_ENCODING,
    OPT_TASK_TYPE,
    OPT_FORMAT
};

struct opt_spec {
    const char *long_name; /* without "--" */
    char short_name;       /* 0 if none */
    bool takes_value;
    enum opt_id id;
};

static const struct opt_spec run_opts[] = {
    {"model", 'm', true, OPT_MODEL},
    {"stream", 's', false, OPT_STREAM},
    {"system", 0, true, OPT_SYSTEM},
    {"max-tokens", 0, true, OPT_MAX_TOKENS},
    {"temperature", 't', true, OPT_TEMPERATURE},
    {"json", 0, false, OPT_JSON},
    {"timeout", 0, true, OPT_TIMEOUT},
    {"base-url", 0, true, OPT_BASE_URL},
    {"cacert", 0, true, OPT_CACERT},
    {"api-key-env", 0, true, OPT_API_KEY_ENV},
    {"header", 'H', true, OPT_HEADER},
    {"fallback", 0, true, OPT_FALLBACK},
    {"hedge", 0, true, OPT_HEDGE},
    {"retries", 0, true, OPT_RETRIES},
    {"help", 'h', false, OPT_HELP},
};

static const struct opt_spec batch_opts[] = {
    {"model", 'm', true, OPT_MODEL},
    {"concurrency", 'c', true, OPT_CONCURRENCY},
    {"as-completed", 0, false, OPT_AS_COMPLETED},
    {"retries", 0, true, OPT_RETRIES},
    {"timeout", 0, true, OPT_TIMEOUT},
    {"rpm", 0, true, OPT_RPM},
    {"tpm", 0, true, OPT_TPM},
    {"progress", 0, false, OPT_PROGRESS},
    {"no-rate-pause", 0, false, OPT_NO_RATE_PAUSE},
    {"base-url", 0, true, OPT_BASE_URL},
    {"cacert", 0, true, OPT_CACERT},
    {"api-key-env", 0, true, OPT_API_KEY_ENV},
    {"header", 'H', true, OPT_HEADER},
    {"help", 'h', false, OPT_HELP},
};

static const struct opt_spec embed_opts[] = {
    {"model", 'm', true, OPT_MODEL},
    {"dimensions", 'd', true, OPT_DIMENSIONS},
    {"encoding", 0, true, OPT_ENCODING},
    {"task-type", 0, true, OPT_TASK_TYPE},
    {"format", 'f', true, OPT_FORMAT},
    {"retries", 0, true, OPT_RETRIES},
    {"timeout", 0, true, OPT_TIMEOUT},
    {"base-url", 0, true, OPT_BASE_URL},
    {"cacert", 0, true, OPT_CACERT},
    {"api-key-env", 0, true, OPT_API_KEY_ENV},
    {"header", 'H', true, OPT_HEADER},
    {"help", 'h', false, OPT_HELP},
};

static const struct opt_spec chat_opts[] = {
    {"model", 'm', true, OPT_MODEL},
    {"system", 0, true, OPT_SYSTEM},
    {"max-tokens", 0, true, OPT_MAX_TOKENS},
    {"temperature", 't', true, OPT_TEMPERATURE},
    {"timeout", 0, true, OPT_TIMEOUT},
    {"retries", 0, true, OPT_RETRIES},
    {"base-url", 0, true, OPT_BASE_URL},
    {"cacert", 0, true, OPT_CACERT},
    {"api-key-env", 0, true, OPT_API_KEY_ENV},
    {"header", 'H', true, OPT_HEADER},
    {"help", 'h', false, OPT_HELP},
};

/*
 * find_opt - look ARG up in the N entries of SPECS. For "--name=value"
 * *INLINE points at the value; for "-Xvalue" likewise. Returns NULL for an
 * unknown option.
 */
static const struct opt_spec *find_opt(const struct opt_spec *specs, size_t n,
                                       const char *arg, const char **inline_val)
{
    *inline_val = NULL;
    if (arg[1] == '-') {
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        for (size_t i = 0; i < n; i++) {
            if (strlen(specs[i].long_name) == len &&
                memcmp(specs[i].long_name, name, len) == 0) {
                if (eq) {
                    *inline_val = eq + 1;
                }
                return &specs[i];
            }
        }
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (specs[i].short_name != 0 && specs[i].short_name == arg[1]) {
            if (arg[2] != '\0') {
                if (!specs[i].takes_value) {
                    return NULL;
                }
                *inline_val = arg + 2;
            }
            return &specs[i];
        }
    }
    return NULL;
}

/* Parses a whole decimal int64; false on junk, sign errors or overflow. */
static bool parse_int64(const char *s, int64_t *out)
{
    if (*s == '\0') {
        return false;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        return false;
    }
    *out = (int64_t)v;
    return true;
}

/* Parses a whole finite decimal number. */
static bool parse_double(const char *s, double *out)
{
    if (*s == '\0') {
        return false;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v)) {
        return false;
    }
    *out = v;
    return true;
}

/* Applies one option of command CMD with its value (NULL for flags). */
static bool apply(const char *cmd, struct cli_opts *o,
                  const struct opt_spec *spec, const char *val)
{
    /* Errors name the option by its long name, whichever spelling was
     * used ("-t", "--temperature=x"). */
    char arg[32];
    snprintf(arg, sizeof arg, "--%s", spec->long_name);
    double d;
    int64_t n;
    switch (spec->id) {
    case OPT_MODEL:
        o->model = val;
        break;
    case OPT_STREAM:
        o->stream = true;
        break;
    case OPT_SYSTEM:
        o->system = val;
        break;
    case OPT_MAX_TOKENS:
        if (!parse_int64(val, &o->max_tokens) || o->max_tokens < 1) {
            cli_usage_error(cmd, "%s wants a positive integer, not '%s'", arg,
                            val);
            return false;
        }
        o->has_max_tokens = true;
        break;
    case OPT_TEMPERATURE:
        if (!parse_double(val, &o->temperature)) {
            cli_usage_error(cmd, "%s wants a number, not '%s'", arg, val);
            return false;
        }
        o->has_temperature = true;
        break;
    case OPT_JSON:
        o->json = true;
        break;
    case OPT_TIMEOUT:
        /* Seconds, fractions allowed; the library takes milliseconds and
         * has no "infinite", so 0 and negatives are refused here. */
        if (!parse_double(val, &d) || d <= 0 || d > 86400.0 * 365) {
            cli_usage_error(cmd, "%s wants seconds > 0, not '%s'", arg, val);
            return false;
        }
        o->timeout_ms = (int64_t)ceil(d * 1000.0);
        break;
    case OPT_BASE_URL:
        o->base_url = val;
        break;
    case OPT_API_KEY_ENV:
        o->api_key_env = val;
        break;
    case OPT_CACERT:
        o->cacert = val;
        break;
    case OPT_HEADER:
        if (o->nheaders == CLI_MAX_HEADERS) {
            cli_usage_error(cmd, "at most %d -H options", CLI_MAX_HEADERS);
            return false;
        }
        o->headers[o->nheaders++] = val;
        break;
    case OPT_FALLBACK:
        if (o->nfallbacks == CLI_MAX_FALLBACKS) {
            cli_usage_error(cmd, "at most %d --fallback options",
                            CLI_MAX_FALLBACKS);
            return false;
        }
        o->fallbacks[o->nfallbacks++] = val;
        break;
    case OPT_HEDGE:
        if (!parse_int64(val, &o->hedge_ms) || o->hedge_ms < 1) {
            cli_usage_error(cmd, "%s wants milliseconds > 0, not '%s'", arg,
                            val);
            return false;
        }
        break;
    case OPT_CONCURRENCY:
        if (!parse_int64(val, &n) || n < 1 || n > 100000) {
            cli_usage_error(cmd, "%s wants an integer 1..100000, not '%s'", arg,
                            val);
            return false;
        }
        o->concurrency = (size_t)n;
        break;
    case OPT_AS_COMPLETED:
        o->as_completed = true;
        break;
    case OPT_RETRIES:
        if (!parse_int64(val, &n) || n < 0 || n > 99) {
            cli_usage_error(cmd, "%s wants an integer 0..99, not '%s'", arg,
                            val);
            return false;
        }
        o->has_retries = true;
        o->retries = (int)n;
        break;
    case OPT_RPM:
    case OPT_TPM:
        if (!parse_int64(val, &n) || n < 1) {
            cli_usage_error(cmd, "%s wants a positive integer, not '%s'", arg,
                            val);
            return false;
        }
        *(spec->id == OPT_RPM ? &o->rpm : &o->tpm) = n;
        break;
    case OPT_PROGRESS:
        o->progress = true;
        break;
    case OPT_NO_RATE_PAUSE:
        o->no_rate_pause = true;
        break;
    case OPT_DIMENSIONS:
        if (!parse_int64(val, &o->dimensions) || o->dimensions < 1) {
            cli_usage_error(cmd, "%s wants a positive integer, not '%s'", arg,
                            val);
            return false;
        }
        break;
    case OPT_ENCODING:
        o->encoding = val; /* the library checks it, naming the field */
        break;
    case OPT_TASK_TYPE:
        o->task_type = val;
        break;
    case OPT_FORMAT:
        if (strcmp(val, "json") != 0 && strcmp(val, "array") != 0) {
            cli_usage_error(cmd, "%s wants 'array' or 'json', not '%s'", arg,
                            val);
            return false;
        }
        o->json = strcmp(val, "json") == 0;
        break;
    case OPT_HELP:
        break;
    }
    return true;
}

/*
 * parse - the common loop: options of CMD from SPECS, other words
 * compacted to the front of ARGV into O->words. Returns false after a
 * usage error; sets *WANT_HELP (returning true) for -h/--help.
 */
static bool parse(const char *cmd, const struct opt_spec *specs, size_t nspecs,
                  int argc, char **argv, struct cli_opts *o, bool *want_help)
{
    memset(o, 0, sizeof *o);
    *want_help = false;
    /* Words are compacted to the front of ARGV as they are found; the
     * write index never passes the read index, so this is safe. */
    size_t nwords = 0;
    bool options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            argv[nwords++] = argv[i];
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        const char *val;
        const struct opt_spec *spec = find_opt(specs, nspecs, arg, &val);
        if (spec == NULL) {
            cli_usage_error(cmd, "unknown option '%s'", arg);
            return false;
        }
        if (spec->id == OPT_HELP) {
            *want_help = true;
            return true;
        }
        if (spec->takes_value && val == NULL) {
            if (i + 1 >= argc) {
                cli_usage_error(cmd, "%s needs a value", arg);
                return false;
            }
            val = argv[++i];
        } else if (!spec->takes_value && val != NULL) {
            cli_usage_error(cmd, "%s takes no value", arg);
            return false;
        }
        if (!apply(cmd, o, spec, val)) {
            return false;
        }
    }
    o->words = (const char *const *)argv;
    o->nwords = nwords;
    return true;
}

bool cli_parse_run(int argc, char **argv, struct cli_opts *opts,
                   bool *want_help)
{
    if (!parse("run", run_opts, sizeof run_opts / sizeof run_opts[0], argc,
               argv, opts, want_help)) {
        return false;
    }
    if (*want_help) {
        return true;
    }
    if (opts->model == NULL || opts->model[0] == '\0') {
        cli_usage_error("run", "missing -m MODEL");
        return false;
    }
    if (opts->nwords == 0) {
        cli_usage_error("run", "missing PROMPT (use - to read stdin)");
        return false;
    }
    return true;
}

bool cli_parse_batch(int argc, char **argv, struct cli_opts *opts,
                     bool *want_help)
{
    if (!parse("batch", batch_opts, sizeof batch_opts / sizeof batch_opts[0],
               argc, argv, opts, want_help)) {
        return false;
    }
    if (*want_help) {
        return true;
    }
    if (opts->nwords > 1) {
        cli_usage_error("batch", "at most one FILE (got '%s' too)",
                        opts->words[1]);
        return false;
    }
    if (opts->concurrency == 0) {
        opts->concurrency = CLI_BATCH_CONCURRENCY;
    }
    return true;
}

bool cli_parse_embed(int argc, char **argv, struct cli_opts *opts,
                     bool *want_help)
{
    if (!parse("embed", embed_opts, sizeof embed_opts / sizeof embed_opts[0],
               argc, argv, opts, want_help)) {
        return false;
    }
    if (!*want_help && (opts->model == NULL || opts->model[0] == '\0')) {
        cli_usage_error("embed", "missing -m MODEL");
        return false;
    }
    /* No TEXT is fine: the inputs are then standard input's lines. */
    return true;
}

bool cli_parse_chat(int argc, char **argv, struct cli_opts *opts,
                    bool *want_help)
{
    if (!parse("chat", chat_opts, sizeof chat_opts / sizeof chat_opts[0], argc,
               argv, opts, want_help)) {
        return false;
    }
    if (*want_help) {
        return true;
    }
    if (opts->model == NULL || opts->model[0] == '\0') {
        cli_usage_error("chat", "missing -m MODEL");
        return false;
    }
    if (opts->nwords > 0) {
        cli_usage_error("chat",
                        "unexpected '%s': type the turns on standard input",
                        opts->words[0]);
        return false;
    }
    return true;
}
