/*
 * args.c - parses the options of "llmio run" into struct cli_run_opts.
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
    OPT_API_KEY_ENV,
    OPT_HEADER,
    OPT_HELP
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
    {"api-key-env", 0, true, OPT_API_KEY_ENV},
    {"header", 'H', true, OPT_HEADER},
    {"help", 'h', false, OPT_HELP},
};

/*
 * find_opt - look ARG up in the table. For "--name=value" *INLINE points at
 * the value; for "-Xvalue" likewise. Returns NULL for an unknown option.
 */
static const struct opt_spec *find_opt(const char *arg, const char **inline_val)
{
    *inline_val = NULL;
    size_t n = sizeof run_opts / sizeof run_opts[0];
    if (arg[1] == '-') {
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        for (size_t i = 0; i < n; i++) {
            if (strlen(run_opts[i].long_name) == len &&
                memcmp(run_opts[i].long_name, name, len) == 0) {
                if (eq) {
                    *inline_val = eq + 1;
                }
                return &run_opts[i];
            }
        }
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (run_opts[i].short_name != 0 && run_opts[i].short_name == arg[1]) {
            if (arg[2] != '\0') {
                if (!run_opts[i].takes_value) {
                    return NULL;
                }
                *inline_val = arg + 2;
            }
            return &run_opts[i];
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

/* Applies one option with its value (NULL for flags). */
static bool apply(struct cli_run_opts *o, const struct opt_spec *spec,
                  const char *val)
{
    /* Errors name the option by its long name, whichever spelling was
     * used ("-t", "--temperature=x"). */
    char arg[32];
    snprintf(arg, sizeof arg, "--%s", spec->long_name);
    double d;
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
            cli_usage_error("run", "%s wants a positive integer, not '%s'",
                            arg, val);
            return false;
        }
        o->has_max_tokens = true;
        break;
    case OPT_TEMPERATURE:
        if (!parse_double(val, &o->temperature)) {
            cli_usage_error("run", "%s wants a number, not '%s'", arg, val);
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
            cli_usage_error("run", "%s wants seconds > 0, not '%s'", arg, val);
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
    case OPT_HEADER:
        if (o->nheaders == CLI_MAX_HEADERS) {
            cli_usage_error("run", "at most %d -H options", CLI_MAX_HEADERS);
            return false;
        }
        o->headers[o->nheaders++] = val;
        break;
    case OPT_HELP:
        break;
    }
    return true;
}

bool cli_parse_run(int argc, char **argv, struct cli_run_opts *opts,
                   bool *want_help)
{
    memset(opts, 0, sizeof *opts);
    *want_help = false;
    /* Prompt words are compacted to the front of ARGV as they are found;
     * the write index never passes the read index, so this is safe. */
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
        const struct opt_spec *spec = find_opt(arg, &val);
        if (spec == NULL) {
            cli_usage_error("run", "unknown option '%s'", arg);
            return false;
        }
        if (spec->id == OPT_HELP) {
            *want_help = true;
            return true;
        }
        if (spec->takes_value && val == NULL) {
            if (i + 1 >= argc) {
                cli_usage_error("run", "%s needs a value", arg);
                return false;
            }
            val = argv[++i];
        } else if (!spec->takes_value && val != NULL) {
            cli_usage_error("run", "%s takes no value", arg);
            return false;
        }
        if (!apply(opts, spec, val)) {
            return false;
        }
    }
    opts->words = (const char *const *)argv;
    opts->nwords = nwords;
    if (opts->model == NULL || opts->model[0] == '\0') {
        cli_usage_error("run", "missing -m MODEL");
        return false;
    }
    if (nwords == 0) {
        cli_usage_error("run", "missing PROMPT (use - to read stdin)");
        return false;
    }
    return true;
}
