/*
 * prompt.c - assembles the prompt text from the command line and stdin.
 *
 * Words are joined with single spaces, as a shell user expects from
 * "llmio run -m x what is 2+2". A word "-" is replaced by the whole of
 * standard input, read once, byte for byte (no newline is stripped: the
 * prompt is what the user piped in).
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Reads all of F into a NUL-terminated heap buffer; NULL on error. */
static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        return NULL;
    }
    for (;;) {
        if (cap - n < 2) {
            if (cap > SIZE_MAX / 2) {
                free(buf);
                return NULL;
            }
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                return NULL;
            }
            buf = grown;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) {
            break;
        }
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

char *cli_read_stdin(size_t *len)
{
    char *text = read_all(stdin, len);
    if (text == NULL) {
        cli_print_status(LLMIO_E_INVALID, "cannot read stdin");
    }
    return text;
}

char *cli_build_prompt(const char *const *words, size_t nwords)
{
    char *in = NULL;
    size_t in_len = 0;
    size_t total = 1;
    for (size_t i = 0; i < nwords; i++) {
        if (strcmp(words[i], "-") == 0) {
            if (in != NULL) {
                free(in);
                cli_usage_error("run", "'-' (stdin) may be given only once");
                return NULL;
            }
            in = cli_read_stdin(&in_len);
            if (in == NULL) {
                return NULL;
            }
            total += in_len + 1;
        } else {
            total += strlen(words[i]) + 1;
        }
    }
    char *out = malloc(total);
    if (out == NULL) {
        free(in);
        cli_print_status(LLMIO_E_NOMEM, NULL);
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < nwords; i++) {
        const char *w = strcmp(words[i], "-") == 0 ? in : words[i];
        size_t wl = w == in ? in_len : strlen(w);
        if (i > 0) {
            out[n++] = ' ';
        }
        memcpy(out + n, w, wl);
        n += wl;
    }
    out[n] = '\0';
    free(in);
    return out;
}
