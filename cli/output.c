/*
 * output.c - everything the CLI prints: reply text, tool calls, and the
 * one-line error format.
 *
 * Replies go to stdout, errors to stderr, so "llmio run ... > reply.txt"
 * captures only the model's words. Nothing printed here can contain an API
 * key: the CLI never holds one in a printable place, and llmio_error
 * strings are documented never to hold one.
 */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

void cli_out_init(struct cli_out *o, FILE *f)
{
    o->f = f;
    o->wrote_any = false;
    o->last = '\0';
}

void cli_out_text(struct cli_out *o, const char *s, size_t len)
{
    if (s == NULL || len == 0) {
        return;
    }
    fwrite(s, 1, len, o->f);
    o->wrote_any = true;
    o->last = s[len - 1];
}

void cli_out_delta(struct cli_out *o, const llmio_delta *d)
{
    if (d->kind == LLMIO_DELTA_TEXT || d->kind == LLMIO_DELTA_REFUSAL) {
        cli_out_text(o, d->text, d->text_len);
        fflush(o->f);
    }
}

void cli_out_end(struct cli_out *o)
{
    if (!o->wrote_any || o->last != '\n') {
        fputc('\n', o->f);
        o->last = '\n';
    }
    fflush(o->f);
}

void cli_out_tool_calls(struct cli_out *o, const llmio_response *r)
{
    size_t n = llmio_response_tool_calls(r, 0);
    for (size_t i = 0; i < n; i++) {
        const llmio_tool_call *tc = llmio_response_tool_call(r, 0, i);
        if (tc == NULL) {
            continue;
        }
        /* Tool calls start on their own line even after streamed text. */
        if (o->wrote_any && o->last != '\n') {
            cli_out_text(o, "\n", 1);
        }
        fprintf(o->f, "[tool call %s] %s(", tc->id ? tc->id : "?",
                tc->name ? tc->name : "?");
        if (tc->arguments != NULL) {
            fwrite(tc->arguments, 1, tc->arguments_len, o->f);
        }
        fputs(")\n", o->f);
        o->wrote_any = true;
        o->last = '\n';
    }
}

void cli_out_response(struct cli_out *o, const llmio_response *r)
{
    size_t len = 0;
    const char *text = llmio_response_text(r, 0, &len);
    if (text != NULL) {
        cli_out_text(o, text, len);
    } else {
        const char *refusal = llmio_response_refusal(r, 0);
        if (refusal != NULL) {
            cli_out_text(o, refusal, strlen(refusal));
        }
    }
    cli_out_tool_calls(o, r);
    cli_out_end(o);
}

/* Writes S to F with control characters replaced by spaces, so a message
 * with an embedded newline still prints as one line. */
static void put_one_line(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        fputc(c < 0x20 || c == 0x7f ? ' ' : c, f);
    }
}

void cli_print_error(const llmio_error *err)
{
    fflush(stdout);
    fputs("llmio: ", stderr);
    fputs(llmio_status_name(err->code), stderr);
    fputs(": ", stderr);
    put_one_line(stderr, err->message[0] != '\0' ? err->message
                                                 : llmio_status_str(err->code));
    bool has_http = err->http_status != 0;
    bool has_type = err->provider_type[0] != '\0';
    if (has_http || has_type) {
        fputs(" (", stderr);
        if (has_http) {
            fprintf(stderr, "http %d", err->http_status);
        }
        if (has_type) {
            fputs(has_http ? ", " : "", stderr);
            put_one_line(stderr, err->provider_type);
        }
        fputc(')', stderr);
    }
    fputc('\n', stderr);
    fflush(stderr);
}

void cli_print_status(llmio_status st, const char *msg)
{
    llmio_error err;
    memset(&err, 0, sizeof err);
    err.code = st;
    if (msg != NULL) {
        snprintf(err.message, sizeof err.message, "%s", msg);
    }
    cli_print_error(&err);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("llmio: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd != NULL) {
        fprintf(stderr, " (try 'llmio help %s')\n", cmd);
    } else {
        fputs(" (try 'llmio help')\n", stderr);
    }
    fflush(stderr);
    return CLI_EXIT_USAGE;
}

/* Length of the valid UTF-8 sequence at S (1..4), or 0 when the bytes
 * there are not one (overlong, surrogate, past U+10FFFF, truncated). */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned cp;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
        return 0;
    }
    return n;
}

void cli_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    while (*p != '\0') {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
            p++;
        } else if (c == '\n') {
            fputs("\\n", f);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c);
            p++;
        } else {
            size_t n = utf8_seq(p);
            if (n == 0) {
                fputs("\\ufffd", f);
                p++;
            } else {
                fwrite(p, 1, n, f);
                p += n;
            }
        }
    }
    fputc('"', f);
}
