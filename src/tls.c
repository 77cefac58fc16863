/*
 * tls.c - which certificate authorities a client trusts: the CA file and
 * directory set by llmio_client_set_ca, else the conventional environment
 * variables, else libcurl's built-in defaults.
 *
 * Invariants:
 *  - Verification is never turned off here: every value only chooses
 *    which CAs verify the peer.
 *  - An explicit path is checked when it is set (a missing or unreadable
 *    file fails the setter, naming the field); the environment is read
 *    once, when the first transfer handle is made, and a bad value there
 *    shows up as the requests' LLMIO_E_TLS, naming the file.
 *  - GEN changes on every successful set, so engine.c rebuilds pooled
 *    handles that were configured with the old trust.
 * Owns: the copied paths (explicit and from the environment).
 */
#include "client.h"

#include "alloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Checks PATH is a readable file (DIR false) or a searchable directory. */
static llmio_status check_path(const char *field, const char *path, bool dir,
                               llmio_error *err)
{
    struct stat sb;
    const char *why = NULL;
    if (*path == '\0') {
        why = "empty path";
    } else if (stat(path, &sb) != 0) {
        why = strerror(errno);
    } else if (dir ? !S_ISDIR(sb.st_mode) : S_ISDIR(sb.st_mode)) {
        why = dir ? "not a directory" : "is a directory";
    } else if (access(path, dir ? R_OK | X_OK : R_OK) != 0) {
        why = strerror(errno);
    }
    if (why == NULL) {
        return LLMIO_OK;
    }
    if (err != NULL) {
        memset(err, 0, sizeof *err);
        err->code = LLMIO_E_INVALID;
        err->retry_after_ms = -1;
        snprintf(err->message, sizeof err->message, "%s: %s: %s", field, path,
                 why);
    }
    return LLMIO_E_INVALID;
}

LLMIO_API llmio_status llmio_client_set_ca(llmio_client *c, const char *ca_file,
                                           const char *ca_path,
                                           llmio_error *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof *err);
        err->retry_after_ms = -1;
    }
    if (c == NULL) {
        return LLMIO_E_INVALID;
    }
    llmio_status st = LLMIO_OK;
    if (ca_file != NULL) {
        st = check_path("ca_file", ca_file, false, err);
    }
    if (st == LLMIO_OK && ca_path != NULL) {
        st = check_path("ca_path", ca_path, true, err);
    }
    char *file = NULL, *dir = NULL;
    if (st == LLMIO_OK && ca_file != NULL &&
        (file = llmio__strndup(&c->alloc, ca_file, strlen(ca_file))) == NULL) {
        st = LLMIO_E_NOMEM;
    }
    if (st == LLMIO_OK && ca_path != NULL &&
        (dir = llmio__strndup(&c->alloc, ca_path, strlen(ca_path))) == NULL) {
        st = LLMIO_E_NOMEM;
    }
    if (st != LLMIO_OK) {
        llmio__free(&c->alloc, file);
        llmio__free(&c->alloc, dir);
        if (err != NULL) {
            err->code = st;
        }
        return st;
    }
    llmio__free(&c->alloc, c->tls.ca_file);
    llmio__free(&c->alloc, c->tls.ca_path);
    c->tls.ca_file = file;
    c->tls.ca_path = dir;
    c->tls.gen++;
    return LLMIO_OK;
}

/* A copy of the first of NAMES (NULL-terminated) set and non-empty in
 * *OUT (NULL when none is). False when out of memory. */
static bool env_copy(struct llmio_client *c, const char *const *names,
                     char **out)
{
    *out = NULL;
    for (; *names != NULL; names++) {
        const char *v = getenv(*names);
        if (v != NULL && *v != '\0') {
            *out = llmio__strndup(&c->alloc, v, strlen(v));
            return *out != NULL;
        }
    }
    return true;
}

llmio_status llmio__tls_resolve(struct llmio_client *c, const char **ca_file,
                                const char **ca_path)
{
    struct llmio__tls *t = &c->tls;
    /* SSL_CERT_FILE/DIR as OpenSSL, Python and httpx read them;
     * CURL_CA_BUNDLE as the curl tool and requests do. */
    static const char *const files[] = {"SSL_CERT_FILE", "CURL_CA_BUNDLE",
                                        NULL};
    static const char *const dirs[] = {"SSL_CERT_DIR", NULL};
    if (!t->env_loaded) {
        /* Out of memory is an error, not a silent fall-back to other CAs. */
        if (!env_copy(c, files, &t->env_file) ||
            !env_copy(c, dirs, &t->env_path)) {
            llmio__free(&c->alloc, t->env_file);
            t->env_file = NULL;
            return LLMIO_E_NOMEM;
        }
        t->env_loaded = true;
    }
    *ca_file = t->ca_file != NULL ? t->ca_file : t->env_file;
    *ca_path = t->ca_path != NULL ? t->ca_path : t->env_path;
    return LLMIO_OK;
}

void llmio__tls_cleanup(struct llmio_client *c)
{
    struct llmio__tls *t = &c->tls;
    llmio__free(&c->alloc, t->ca_file);
    llmio__free(&c->alloc, t->ca_path);
    llmio__free(&c->alloc, t->env_file);
    llmio__free(&c->alloc, t->env_path);
    memset(t, 0, sizeof *t);
}
