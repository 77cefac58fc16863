/*
 * client.c - llmio_client: options, per-provider settings, submit, the
 * synchronous llmio_chat, and teardown.
 *
 * Invariants:
 *  - Provider settings resolve per request as explicit > environment >
 *    provider default; the environment is read once per provider, when a
 *    request first needs it.
 *  - Secrets (API keys) are copied, zeroed before release, and never
 *    written into an llmio_error or a log.
 *  - llmio_submit either returns LLMIO_OK with a future whose done_cb will
 *    run exactly once, or fails with *out NULL and nothing started.
 *  - llmio_client_free completes every pending future with
 *    LLMIO_E_CANCELLED (running callbacks) before releasing anything;
 *    called from a callback it is deferred to the end of the dispatch.
 * Owns: the settings, default headers, the engine and the loop state.
 */
#include "client.h"

#include "alloc.h"
#include "request.h"
#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const int64_t default_timeouts_ms[4] = {
    10000,  /* LLMIO_TIMEOUT_CONNECT */
    600000, /* LLMIO_TIMEOUT_TOTAL */
    120000, /* LLMIO_TIMEOUT_FIRST_BYTE */
    60000   /* LLMIO_TIMEOUT_IDLE */
};

#define DEFAULT_MAX_RESPONSE ((size_t)64 * 1024 * 1024)

static void set_err(llmio_error *err, llmio_status st, const char *msg)
{
    if (err != NULL) {
        memset(err, 0, sizeof *err);
        err->code = st;
        err->retry_after_ms = -1;
        snprintf(err->message, sizeof err->message, "%s",
                 msg != NULL ? msg : llmio_status_str(st));
    }
}

LLMIO_API llmio_status llmio_client_new(const llmio_allocator *alloc,
                                        llmio_client **out)
{
    if (out == NULL) {
        return LLMIO_E_INVALID;
    }
    *out = NULL;
    if (alloc != NULL && (alloc->malloc == NULL || alloc->realloc == NULL ||
                          alloc->free == NULL)) {
        return LLMIO_E_INVALID;
    }
    llmio_status st = llmio_global_init();
    if (st != LLMIO_OK) {
        return st;
    }
    const llmio_allocator *a =
        alloc != NULL ? alloc : &llmio__default_allocator;
    struct llmio_client *c = llmio__calloc(a, 1, sizeof *c);
    if (c == NULL) {
        return LLMIO_E_NOMEM;
    }
    c->alloc = *a;
    memcpy(c->timeouts_ms, default_timeouts_ms, sizeof c->timeouts_ms);
    c->max_response = DEFAULT_MAX_RESPONSE;
    /* One default policy (retry.c): 3 attempts, 500 ms base, 8 s cap, and
     * Retry-After honoured up to 120 s as openai-python does since 2026. */
    c->retry = llmio__retry_policy_default();
    llmio__limiter_init(&c->limiter, &c->alloc);
    /* Clients started in the same millisecond (a fleet of workers) must
     * not share jitter, or their retries stay synchronised. */
    llmio__rng_seed(&c->rng, (uint64_t)llmio__mono_ms() ^
                                 ((uint64_t)getpid() << 32) ^
                                 (uint64_t)(uintptr_t)c);
    st = llmio__loop_init(c);
    if (st != LLMIO_OK) {
        goto fail;
    }
    st = llmio__engine_new(c);
    if (st != LLMIO_OK) {
        goto fail;
    }
    *out = c;
    return LLMIO_OK;
fail:
    llmio__loop_cleanup(c);
    llmio__free(&c->alloc, c);
    return st;
}

static void free_settings(struct llmio_client *c)
{
    for (size_t i = 0; i < c->nsettings; i++) {
        struct llmio__psettings *s = &c->settings[i];
        llmio__free_secret(&c->alloc, s->api_key);
        llmio__free_secret(&c->alloc, s->env_api_key);
        llmio__free(&c->alloc, s->base_url);
        llmio__free(&c->alloc, s->env_base_url);
        llmio__free(&c->alloc, s->organization);
        llmio__free(&c->alloc, s->env_organization);
        llmio__free(&c->alloc, s->project);
        llmio__free(&c->alloc, s->env_project);
        llmio__free(&c->alloc, s->api_version);
        llmio__free(&c->alloc, s->env_api_version);
    }
    llmio__free(&c->alloc, c->settings);
    c->settings = NULL;
    c->nsettings = 0;
}

void llmio__client_destroy(struct llmio_client *c)
{
    c->freeing = true;
    c->free_pending = false;
    c->driving++; /* no timer re-arming while tearing down */
    llmio__engine_harvest(c);
    for (struct llmio_future *f = c->pending; f != NULL; f = f->next) {
        if (f->state == LLMIO__F_RUNNING) {
            llmio__future_cancel_internal(f);
        }
    }
    llmio__client_run_ready(c);
    llmio__route_client_free(c);
    llmio__engine_free(c);
    llmio__limiter_cleanup(&c->limiter);
    llmio__loop_cleanup(c);
    free_settings(c);
    llmio__tls_cleanup(c);
    for (size_t i = 0; i < c->nheaders; i++) {
        llmio__free(&c->alloc, c->headers[i]);
    }
    llmio__free(&c->alloc, c->headers);
    if (c->user_dtor != NULL) {
        c->user_dtor(c->user);
    }
    llmio_allocator a = c->alloc;
    llmio__free(&a, c);
}

LLMIO_API void llmio_client_free(llmio_client *c)
{
    if (c == NULL || c->freeing) {
        return;
    }
    if (c->in_callback > 0 || c->driving > 0) {
        c->free_pending = true;
        return;
    }
    llmio__client_destroy(c);
}

/* ---- provider settings --------------------------------------------------- */

static const struct llmio__provider *lookup(const char *provider)
{
    if (provider == NULL) {
        return &llmio__provider_openai;
    }
    return llmio__provider_find(provider, strlen(provider));
}

static struct llmio__psettings *settings_for(struct llmio_client *c,
                                             const struct llmio__provider *p)
{
    for (size_t i = 0; i < c->nsettings; i++) {
        if (c->settings[i].p == p) {
            return &c->settings[i];
        }
    }
    size_t bytes;
    if (llmio__mul_overflows(c->nsettings + 1, sizeof *c->settings, &bytes)) {
        return NULL;
    }
    struct llmio__psettings *s = llmio__realloc(&c->alloc, c->settings, bytes);
    if (s == NULL) {
        return NULL;
    }
    c->settings = s;
    s = &c->settings[c->nsettings++];
    memset(s, 0, sizeof *s);
    s->p = p;
    return s;
}

static bool has_crlf(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

/* Replaces *SLOT with a copy of V (NULL clears); SECRET zeroes the old. */
static llmio_status replace(struct llmio_client *c, char **slot, const char *v,
                            size_t len, bool secret)
{
    char *copy = NULL;
    if (v != NULL) {
        copy = llmio__strndup(&c->alloc, v, len);
        if (copy == NULL) {
            return LLMIO_E_NOMEM;
        }
    }
    if (secret) {
        llmio__free_secret(&c->alloc, *slot);
    } else {
        llmio__free(&c->alloc, *slot);
    }
    *slot = copy;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_client_set_api_key(llmio_client *c,
                                                const char *provider,
                                                const char *key)
{
    if (c == NULL) {
        return LLMIO_E_INVALID;
    }
    const struct llmio__provider *p = lookup(provider);
    if (p == NULL || (key != NULL && has_crlf(key))) {
        return LLMIO_E_INVALID;
    }
    struct llmio__psettings *s = settings_for(c, p);
    if (s == NULL) {
        return LLMIO_E_NOMEM;
    }
    s->key_hash = 0; /* another key: another rate-limit lane */
    return replace(c, &s->api_key, key, key ? strlen(key) : 0, true);
}

/* URL length without trailing slashes (provider_cfg wants none). */
static size_t url_len(const char *url)
{
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/') {
        n--;
    }
    return n;
}

LLMIO_API llmio_status llmio_client_set_base_url(llmio_client *c,
                                                 const char *provider,
                                                 const char *url)
{
    if (c == NULL) {
        return LLMIO_E_INVALID;
    }
    const struct llmio__provider *p = lookup(provider);
    if (p == NULL) {
        return LLMIO_E_INVALID;
    }
    if (url != NULL && ((strncasecmp(url, "http://", 7) != 0 &&
                         strncasecmp(url, "https://", 8) != 0) ||
                        has_crlf(url) || strchr(url, ' ') != NULL)) {
        return LLMIO_E_INVALID;
    }
    struct llmio__psettings *s = settings_for(c, p);
    if (s == NULL) {
        return LLMIO_E_NOMEM;
    }
    return replace(c, &s->base_url, url, url ? url_len(url) : 0, false);
}

LLMIO_API llmio_status llmio_client_set_option(llmio_client *c,
                                               const char *provider,
                                               const char *name,
                                               const char *value)
{
    if (c == NULL || name == NULL) {
        return LLMIO_E_INVALID;
    }
    const struct llmio__provider *p = lookup(provider);
    if (p == NULL || (value != NULL && has_crlf(value))) {
        return LLMIO_E_INVALID;
    }
    bool org = strcmp(name, "organization") == 0;
    bool proj = strcmp(name, "project") == 0;
    bool ver = strcmp(name, "api_version") == 0;
    if (!org && !proj && !ver) {
        return LLMIO_E_INVALID;
    }
    struct llmio__psettings *s = settings_for(c, p);
    if (s == NULL) {
        return LLMIO_E_NOMEM;
    }
    char **slot = org ? &s->organization : proj ? &s->project : &s->api_version;
    return replace(c, slot, value, value ? strlen(value) : 0, false);
}

/* Reads P's environment variables into S once. */
static llmio_status load_env(struct llmio_client *c, struct llmio__psettings *s)
{
    if (s->env_loaded) {
        return LLMIO_OK;
    }
    const struct llmio__provider *p = s->p;
    const char *v;
    llmio_status st = LLMIO_OK;
    const char *key_vars[2] = {p->api_key_env, p->api_key_env_alt};
    for (size_t i = 0; i < 2 && st == LLMIO_OK && s->env_api_key == NULL; i++) {
        if (key_vars[i] != NULL && (v = getenv(key_vars[i])) != NULL &&
            *v != '\0' && !has_crlf(v)) {
            st = replace(c, &s->env_api_key, v, strlen(v), true);
        }
    }
    if (st == LLMIO_OK && p->base_url_env != NULL &&
        (v = getenv(p->base_url_env)) != NULL && *v != '\0' && !has_crlf(v)) {
        st = replace(c, &s->env_base_url, v, url_len(v), false);
    }
    if (st == LLMIO_OK && p->api_version_env != NULL &&
        (v = getenv(p->api_version_env)) != NULL && *v != '\0' &&
        !has_crlf(v)) {
        st = replace(c, &s->env_api_version, v, strlen(v), false);
    }
    if (p == &llmio__provider_openai) {
        if (st == LLMIO_OK && (v = getenv("OPENAI_ORG_ID")) != NULL &&
            *v != '\0' && !has_crlf(v)) {
            st = replace(c, &s->env_organization, v, strlen(v), false);
        }
        if (st == LLMIO_OK && (v = getenv("OPENAI_PROJECT_ID")) != NULL &&
            *v != '\0' && !has_crlf(v)) {
            st = replace(c, &s->env_project, v, strlen(v), false);
        }
    }
    if (st == LLMIO_OK) {
        s->env_loaded = true;
    }
    return st;
}

static llmio_status resolve(struct llmio_client *c,
                            const struct llmio__provider *p,
                            struct llmio__provider_cfg *cfg, uint64_t *key_hash)
{
    memset(cfg, 0, sizeof *cfg);
    struct llmio__psettings *s = settings_for(c, p);
    if (s == NULL) {
        return LLMIO_E_NOMEM;
    }
    llmio_status st = load_env(c, s);
    if (st != LLMIO_OK) {
        return st;
    }
    cfg->api_key = s->api_key ? s->api_key : s->env_api_key;
    cfg->base_url = s->base_url       ? s->base_url
                    : s->env_base_url ? s->env_base_url
                                      : p->default_base_url;
    cfg->organization = s->organization ? s->organization : s->env_organization;
    cfg->project = s->project ? s->project : s->env_project;
    cfg->api_version = s->api_version ? s->api_version : s->env_api_version;
    if (s->key_hash == 0) {
        s->key_hash = llmio__ratelimit_key(p->name, NULL, cfg->api_key);
    }
    *key_hash = s->key_hash;
    return LLMIO_OK;
}

/* ---- other options ----------------------------------------------------------
 */

/* Validates "Name: value": a token name, a colon, no CR/LF. */
static bool header_ok(const char *h)
{
    const char *colon = strchr(h, ':');
    if (colon == NULL || colon == h || has_crlf(h)) {
        return false;
    }
    for (const char *p = h; p < colon; p++) {
        if (*p <= ' ' || *p >= 127) {
            return false;
        }
    }
    return true;
}

LLMIO_API llmio_status llmio_client_add_header(llmio_client *c,
                                               const char *header)
{
    if (c == NULL || header == NULL || !header_ok(header)) {
        return LLMIO_E_INVALID;
    }
    size_t bytes;
    if (llmio__mul_overflows(c->nheaders + 1, sizeof *c->headers, &bytes)) {
        return LLMIO_E_NOMEM;
    }
    char *copy = llmio__strdup(&c->alloc, header);
    if (copy == NULL) {
        return LLMIO_E_NOMEM;
    }
    char **h = llmio__realloc(&c->alloc, c->headers, bytes);
    if (h == NULL) {
        llmio__free(&c->alloc, copy);
        return LLMIO_E_NOMEM;
    }
    c->headers = h;
    c->headers[c->nheaders++] = copy;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_client_set_timeout(llmio_client *c,
                                                llmio_timeout_kind kind,
                                                int64_t ms)
{
    if (c == NULL || (int)kind < 0 || (int)kind > 3 || ms <= 0) {
        return LLMIO_E_INVALID;
    }
    c->timeouts_ms[kind] = ms;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_client_set_max_response(llmio_client *c,
                                                     size_t bytes)
{
    if (c == NULL || bytes == 0) {
        return LLMIO_E_INVALID;
    }
    c->max_response = bytes;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_client_set_retry(llmio_client *c, int max_attempts,
                                              int64_t base_delay_ms,
                                              int64_t max_delay_ms,
                                              int64_t max_retry_after_ms)
{
    if (c == NULL) {
        return LLMIO_E_INVALID;
    }
    /* -1 keeps the current value, so a caller that changes only the
     * count never restates (and so never forks) the library's delays. */
    if (max_attempts == -1) {
        max_attempts = c->retry.max_attempts;
    }
    if (base_delay_ms == -1) {
        base_delay_ms = c->retry.base_delay_ms;
    }
    if (max_delay_ms == -1) {
        max_delay_ms = c->retry.max_delay_ms;
    }
    if (max_retry_after_ms == -1) {
        max_retry_after_ms = c->retry.max_retry_after_ms;
    }
    if (max_attempts < 1 || max_attempts > 100 || base_delay_ms < 0 ||
        max_delay_ms < base_delay_ms || max_retry_after_ms < 0) {
        return LLMIO_E_INVALID;
    }
    c->retry.max_attempts = max_attempts;
    c->retry.base_delay_ms = base_delay_ms;
    c->retry.max_delay_ms = max_delay_ms;
    c->retry.max_retry_after_ms = max_retry_after_ms;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_client_set_stream_restart(llmio_client *c, bool on)
{
    if (c == NULL) {
        return LLMIO_E_INVALID;
    }
    c->retry.retry_after_stream_data = on;
    return LLMIO_OK;
}

LLMIO_API void llmio_client_set_retry_seed(llmio_client *c, uint64_t seed)
{
    if (c != NULL) {
        llmio__rng_seed(&c->rng, seed);
    }
}

LLMIO_API void llmio_client_set_attempt_cb(llmio_client *c, llmio_attempt_cb cb,
                                           void *user)
{
    if (c != NULL) {
        c->attempt_cb = cb;
        c->attempt_user = user;
    }
}

LLMIO_API llmio_status llmio_client_set_max_concurrency(llmio_client *c,
                                                        size_t n)
{
    if (c == NULL) {
        return LLMIO_E_INVALID;
    }
    c->max_concurrency = n;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_client_set_max_queued(llmio_client *c, size_t n)
{
    if (c == NULL) {
        return LLMIO_E_INVALID;
    }
    c->max_queued = n;
    return LLMIO_OK;
}

/* ---- rate limits (limiter.c) -----------------------------------------------
 */

/* A scope names a known provider (before any '/'), or is NULL/"". */
static bool scope_ok(const char *scope)
{
    if (scope == NULL || *scope == '\0') {
        return true;
    }
    const char *slash = strchr(scope, '/');
    size_t n = slash != NULL ? (size_t)(slash - scope) : strlen(scope);
    return llmio__provider_find(scope, n) != NULL;
}

LLMIO_API llmio_status llmio_client_set_rate_limit(llmio_client *c,
                                                   const char *scope,
                                                   int64_t rpm, int64_t tpm)
{
    if (c == NULL || !scope_ok(scope)) {
        return LLMIO_E_INVALID;
    }
    llmio_status st = llmio__limiter_set(&c->limiter, scope, NULL, rpm, tpm);
    if (st == LLMIO_OK) {
        llmio__engine_rate_changed(c); /* a raised limit helps at once */
    }
    return st;
}

LLMIO_API llmio_status llmio_client_set_shared_rate_limit(llmio_client *c,
                                                          const char *scope,
                                                          const char *name,
                                                          int64_t rpm,
                                                          int64_t tpm)
{
    if (c == NULL || name == NULL || !scope_ok(scope)) {
        return LLMIO_E_INVALID;
    }
    llmio_status st = llmio__limiter_set(&c->limiter, scope, name, rpm, tpm);
    if (st == LLMIO_OK) {
        llmio__engine_rate_changed(c);
    }
    return st;
}

LLMIO_API llmio_status llmio_shared_rate_limit_unlink(const char *name)
{
    return llmio__limiter_unlink(name);
}

LLMIO_API llmio_status llmio_client_set_rate_pause(llmio_client *c, bool on)
{
    if (c == NULL) {
        return LLMIO_E_INVALID;
    }
    c->limiter.holds_off = !on;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_client_set_hedge(llmio_client *c,
                                              llmio_hedge_mode mode,
                                              int64_t delay_ms)
{
    if (c == NULL || (int)mode < LLMIO_HEDGE_OFF ||
        (int)mode > LLMIO_HEDGE_P95 ||
        (mode != LLMIO_HEDGE_OFF && delay_ms <= 0)) {
        return LLMIO_E_INVALID;
    }
    c->hedge_mode = mode;
    c->hedge_delay_ms = delay_ms;
    return LLMIO_OK;
}

LLMIO_API void llmio_client_set_user(llmio_client *c, void *user,
                                     void (*dtor)(void *user))
{
    if (c == NULL) {
        return;
    }
    if (c->user_dtor != NULL) {
        c->user_dtor(c->user);
    }
    c->user = user;
    c->user_dtor = dtor;
}

LLMIO_API void *llmio_client_user(const llmio_client *c)
{
    return c != NULL ? c->user : NULL;
}

LLMIO_API size_t llmio_client_pending(const llmio_client *c)
{
    return c != NULL ? c->npending : 0;
}

/* ---- submit
 * --------------------------------------------------------------------- */

/* Length of a header line's name (before the colon, trailing blanks cut). */
static size_t name_len(const char *h)
{
    const char *colon = strchr(h, ':');
    size_t n = colon ? (size_t)(colon - h) : strlen(h);
    while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t')) {
        n--;
    }
    return n;
}

static bool same_name(const char *a, const char *b)
{
    size_t la = name_len(a), lb = name_len(b);
    return la == lb && strncasecmp(a, b, la) == 0;
}

static bool named_in(const char *h, char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (same_name(h, list[i])) {
            return true;
        }
    }
    return false;
}

/*
 * Adds the client's default headers and the request's own headers to the
 * provider's: request headers win over client headers, and both win over
 * the provider's of the same name (a caller may replace Authorization for
 * a proxy). Sending two of a name would leave the choice to the server.
 */
static llmio_status merge_headers(struct llmio_client *c,
                                  const struct llmio_request *r,
                                  struct llmio__http_req *http)
{
    if (c->nheaders == 0 && r->nheaders == 0) {
        return LLMIO_OK;
    }
    struct llmio__buf nb;
    llmio__buf_init(&nb, http->headers.alloc, http->headers.max);
    size_t n = 0;
    llmio_status st = LLMIO_OK;
    const char *p = llmio__buf_cstr(&http->headers);
    for (size_t i = 0; i < http->nheaders && st == LLMIO_OK; i++) {
        size_t l = strlen(p);
        if (!named_in(p, c->headers, c->nheaders) &&
            !named_in(p, r->headers, r->nheaders)) {
            st = llmio__buf_append(&nb, p, l + 1);
            n++;
        }
        p += l + 1;
    }
    for (size_t i = 0; i < c->nheaders && st == LLMIO_OK; i++) {
        if (!named_in(c->headers[i], r->headers, r->nheaders)) {
            st = llmio__buf_append(&nb, c->headers[i],
                                   strlen(c->headers[i]) + 1);
            n++;
        }
    }
    for (size_t i = 0; i < r->nheaders && st == LLMIO_OK; i++) {
        st = llmio__buf_append(&nb, r->headers[i], strlen(r->headers[i]) + 1);
        n++;
    }
    if (http->headers.data != NULL) {
        llmio__secure_zero(http->headers.data, http->headers.cap);
    }
    llmio__buf_cleanup(&http->headers);
    if (st != LLMIO_OK) {
        if (nb.data != NULL) {
            llmio__secure_zero(nb.data, nb.cap);
        }
        llmio__buf_cleanup(&nb);
        return st;
    }
    http->headers = nb;
    http->nheaders = n;
    return LLMIO_OK;
}

llmio_status llmio__client_build(struct llmio_client *c,
                                 const struct llmio_request *r,
                                 const char *model, struct llmio__arena *arena,
                                 const struct llmio__provider **pout,
                                 struct llmio__http_req *out,
                                 struct llmio__rl_ticket *rl, llmio_error *e)
{
    const char *rest = NULL;
    const struct llmio__provider *p =
        llmio__provider_for_model(model, &rest, e);
    *pout = p;
    if (p == NULL) {
        e->code = LLMIO_E_UNSUPPORTED;
        return LLMIO_E_UNSUPPORTED;
    }
    struct llmio__provider_cfg cfg;
    uint64_t key_hash = 0;
    llmio_status st = resolve(c, p, &cfg, &key_hash);
    if (st == LLMIO_OK && r->is_embedding) {
        /* The engine runs it as an ordinary non-streaming request with
         * the provider's embedding operations (embed.c). */
        st = llmio__embed_provider(p, arena, pout, e);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    if (st == LLMIO_OK) {
        /* Room for a typical URL, header block and small body at once:
         * growing each from empty costs five reallocations (~900
         * instructions per request). */
        st = llmio__buf_reserve(&out->url, 127);
        if (st == LLMIO_OK) {
            st = llmio__buf_reserve(&out->headers, 255);
        }
        if (st == LLMIO_OK) {
            st = llmio__buf_reserve(&out->body, 255);
        }
    }
    if (st == LLMIO_OK) {
        st = (*pout)->build_request(r, rest, &cfg, out, e);
        if (st != LLMIO_OK) {
            return st;
        }
        st = merge_headers(c, r, out);
    }
    if (st != LLMIO_OK) {
        set_err(e, st, NULL);
        return st;
    }
    /* The rate-limit ticket: keyed by provider, model and API key, the
     * estimate from the body (the caller sets its owner). */
    llmio__limiter_prepare(
        &c->limiter, rl, NULL, p->name, rest, cfg.api_key, out->body.len,
        r->has_max_completion_tokens ? r->max_completion_tokens
        : r->has_max_tokens          ? r->max_tokens
                                     : 0);
    if (!rl->on) {
        rl->provider_key = key_hash; /* for a 429's hold (limiter.c) */
    }
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_submit(llmio_client *c, const llmio_request *r,
                                    llmio_done_cb done, void *user,
                                    llmio_future **out, llmio_error *err)
{
    if (out != NULL) {
        *out = NULL;
    }
    set_err(err, LLMIO_OK, "");
    if (c == NULL || r == NULL || out == NULL) {
        set_err(err, LLMIO_E_INVALID, "client, request and out are required");
        return LLMIO_E_INVALID;
    }
    if (c->freeing || c->free_pending) {
        set_err(err, LLMIO_E_STATE, "client is shutting down");
        return LLMIO_E_STATE;
    }
    if (r->error != LLMIO_OK) {
        llmio_request_error(r, err);
        return r->error;
    }
    if (r->model == NULL) {
        set_err(err, LLMIO_E_INVALID, "model: not set");
        return LLMIO_E_INVALID;
    }
    if (llmio__engine_queue_full(c)) {
        /* Refused up front: a caller past the bound learns it now rather
         * than after its request waited behind the whole queue. */
        set_err(err, LLMIO_E_STATE,
                "request queue full (max_concurrency and max_queued reached)");
        return LLMIO_E_STATE;
    }
    llmio_error scratch;
    llmio_error *e = err != NULL ? err : &scratch;
    set_err(e, LLMIO_OK, "");
    if (llmio__route_wanted(c, r)) {
        /* Fallbacks or hedging: child futures behind this one (route.c). */
        return llmio__route_submit(c, r, done, user, out, e);
    }
    struct llmio_future *f = llmio__future_for_request(c, r, done, user);
    if (f == NULL) {
        set_err(err, LLMIO_E_NOMEM, NULL);
        return LLMIO_E_NOMEM;
    }
    const struct llmio__provider *p = NULL;
    llmio_status st =
        llmio__client_build(c, r, r->model, &f->arena, &p, &f->http, &f->rl, e);
    if (st == LLMIO_OK) {
        st = llmio__future_start(c, f, p, r->model);
        if (st != LLMIO_OK) {
            set_err(e, st, NULL);
        }
    }
    if (st != LLMIO_OK) {
        e->code = st;
        llmio__future_discard(f);
        return st;
    }
    *out = f;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_chat(llmio_client *c, const llmio_request *r,
                                  llmio_future **out, llmio_error *err)
{
    if (out != NULL) {
        *out = NULL;
    }
    if (c == NULL || out == NULL) {
        set_err(err, LLMIO_E_INVALID, "client and out are required");
        return LLMIO_E_INVALID;
    }
    if (c->in_callback > 0 || c->loop.mode == LLMIO__MODE_HOOKS) {
        set_err(err, LLMIO_E_STATE,
                "llmio_chat cannot wait inside a callback or on an attached "
                "client");
        return LLMIO_E_STATE;
    }
    llmio_future *f = NULL;
    llmio_status st = llmio_submit(c, r, NULL, NULL, &f, err);
    if (st != LLMIO_OK) {
        return st;
    }
    st = llmio_future_wait(f, -1);
    if (st != LLMIO_OK) {
        llmio_future_free(f);
        set_err(err, st, NULL);
        return st;
    }
    *out = f;
    if (err != NULL) {
        *err = f->err;
    }
    return f->status;
}
