/*
 * limiter.c - decides, per request attempt, whether the client's rate
 * limits let it be sent now, and learns from what the server answers.
 *
 * Invariants:
 *  - A request draws on the local buckets of every scope it matches
 *    (every request, its provider per API key, its provider + model +
 *    API key) and on their shared budgets; it is granted all of them or
 *    none, so no budget is spent on a request that waits.
 *  - The provider + model + API key bucket always takes part: the
 *    server's headers and 429s are about that key (ratelimit.c lowers it
 *    to what the server reports; a 429 pauses it).
 *  - Requests of one key wait in one FIFO lane; only its head asks again
 *    when its wait is over, so a grant wakes one request, not all.
 *  - No clock, no sleeping: time comes in as NOW_MS.
 * Owns: the rules (scope strings, shared-memory mappings) and the keyed
 * buckets. Tickets belong to their futures; lanes only link them.
 */
#include "limiter.h"

#include "alloc.h"

#include <stdio.h>
#include <string.h>

/* Keys kept by the local table; past this the least recently used one
 * starts over (ratelimit.c). */
#define MAX_KEYS 1024

/* Suffixes of a shared budget's two segments. */
#define SUFFIX_REQ ".req"
#define SUFFIX_TOK ".tok"

void llmio__limiter_init(struct llmio__limiter *l, const llmio_allocator *alloc)
{
    memset(l, 0, sizeof *l);
    l->alloc = alloc;
}

void llmio__limiter_cleanup(struct llmio__limiter *l)
{
    for (size_t i = 0; i < l->nrules; i++) {
        struct llmio__rl_rule *r = &l->rules[i];
        llmio__free(l->alloc, r->provider);
        llmio__free(l->alloc, r->model);
        llmio__shmbucket_close(&r->shm_req);
        llmio__shmbucket_close(&r->shm_tok);
    }
    llmio__free(l->alloc, l->rules);
    if (l->rl.slots != NULL) {
        llmio__ratelimit_cleanup(&l->rl);
    }
    memset(l, 0, sizeof *l);
}

/* ---- rules ---------------------------------------------------------------- */

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* "provider" or "provider/model" (split at the first '/'; model names may
 * contain more). NULL or "": every request. */
static bool split_scope(const char *scope, const char **prov, size_t *plen,
                        const char **model)
{
    *prov = NULL;
    *plen = 0;
    *model = NULL;
    if (scope == NULL || *scope == '\0') {
        return true;
    }
    const char *slash = strchr(scope, '/');
    *prov = scope;
    *plen = slash != NULL ? (size_t)(slash - scope) : strlen(scope);
    if (slash != NULL) {
        *model = slash + 1;
        if (**model == '\0') {
            return false;
        }
    }
    return *plen > 0;
}

static struct llmio__rl_rule *find_rule(struct llmio__limiter *l,
                                        const char *prov, size_t plen,
                                        const char *model)
{
    for (size_t i = 0; i < l->nrules; i++) {
        struct llmio__rl_rule *r = &l->rules[i];
        bool pm = prov == NULL ? r->provider == NULL
                               : (r->provider != NULL &&
                                  strlen(r->provider) == plen &&
                                  memcmp(r->provider, prov, plen) == 0);
        if (pm && same(r->model, model)) {
            return r;
        }
    }
    return NULL;
}

static llmio_status add_rule(struct llmio__limiter *l, const char *prov,
                             size_t plen, const char *model,
                             struct llmio__rl_rule **out)
{
    if (l->rl.slots == NULL) {
        /* Keys start unlimited: a bucket counts only once a rule or the
         * server's headers give it a limit. */
        llmio_status st = llmio__ratelimit_init(&l->rl, l->alloc, MAX_KEYS, 0, 0);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    size_t bytes;
    if (llmio__mul_overflows(l->nrules + 1, sizeof *l->rules, &bytes)) {
        return LLMIO_E_NOMEM;
    }
    struct llmio__rl_rule nr;
    memset(&nr, 0, sizeof nr);
    if (prov != NULL) {
        nr.provider = llmio__strndup(l->alloc, prov, plen);
        if (nr.provider == NULL) {
            return LLMIO_E_NOMEM;
        }
    }
    if (model != NULL) {
        nr.model = llmio__strdup(l->alloc, model);
        if (nr.model == NULL) {
            llmio__free(l->alloc, nr.provider);
            return LLMIO_E_NOMEM;
        }
    }
    struct llmio__rl_rule *rules = llmio__realloc(l->alloc, l->rules, bytes);
    if (rules == NULL) {
        llmio__free(l->alloc, nr.provider);
        llmio__free(l->alloc, nr.model);
        return LLMIO_E_NOMEM;
    }
    l->rules = rules;
    l->rules[l->nrules] = nr;
    *out = &l->rules[l->nrules++];
    return LLMIO_OK;
}

/* Opens NAME + SUFFIX for PER_MINUTE into *SB (closing what was there);
 * PER_MINUTE 0 leaves *SB closed. */
static llmio_status open_shared(const char *name, const char *suffix,
                                int64_t per_minute, struct llmio__shmbucket *sb)
{
    struct llmio__shmbucket nb = {NULL};
    if (per_minute > 0) {
        char full[LLMIO__SHM_NAME_MAX + 1];
        int n = snprintf(full, sizeof full, "%s%s", name, suffix);
        if (n < 0 || (size_t)n >= sizeof full) {
            return LLMIO_E_INVALID;
        }
        llmio_status st = llmio__shmbucket_open(full, per_minute, &nb);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    llmio__shmbucket_close(sb);
    *sb = nb;
    return LLMIO_OK;
}

llmio_status llmio__limiter_set(struct llmio__limiter *l, const char *scope,
                                const char *shared_name, int64_t rpm,
                                int64_t tpm)
{
    const char *prov, *model;
    size_t plen;
    if (rpm < 0 || tpm < 0 || !split_scope(scope, &prov, &plen, &model)) {
        return LLMIO_E_INVALID;
    }
    if (shared_name != NULL &&
        (shared_name[0] == '\0' || (rpm == 0 && tpm == 0) ||
         strlen(shared_name) + sizeof SUFFIX_REQ - 1 > LLMIO__SHM_NAME_MAX)) {
        return LLMIO_E_INVALID;
    }
    struct llmio__rl_rule *r = find_rule(l, prov, plen, model);
    if (r == NULL) {
        llmio_status st = add_rule(l, prov, plen, model, &r);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    if (shared_name == NULL) {
        r->rpm = rpm;
        r->tpm = tpm;
        return LLMIO_OK;
    }
    /* Both kinds open or neither changes: a half-configured budget would
     * limit requests but not tokens, silently. */
    struct llmio__shmbucket req = {NULL}, tok = {NULL};
    llmio_status st = open_shared(shared_name, SUFFIX_REQ, rpm, &req);
    if (st == LLMIO_OK) {
        st = open_shared(shared_name, SUFFIX_TOK, tpm, &tok);
    }
    if (st != LLMIO_OK) {
        llmio__shmbucket_close(&req);
        return st;
    }
    llmio__shmbucket_close(&r->shm_req);
    llmio__shmbucket_close(&r->shm_tok);
    r->shm_req = req;
    r->shm_tok = tok;
    return LLMIO_OK;
}

llmio_status llmio__limiter_unlink(const char *name)
{
    char full[LLMIO__SHM_NAME_MAX + 1];
    if (name == NULL || name[0] == '\0' ||
        strlen(name) + sizeof SUFFIX_REQ - 1 > LLMIO__SHM_NAME_MAX) {
        return LLMIO_E_INVALID;
    }
    snprintf(full, sizeof full, "%s%s", name, SUFFIX_REQ);
    llmio_status a = llmio__shmbucket_unlink(full);
    snprintf(full, sizeof full, "%s%s", name, SUFFIX_TOK);
    llmio_status b = llmio__shmbucket_unlink(full);
    /* Either may be missing (a budget of one kind); both missing is the
     * caller's mistake. */
    return a == LLMIO_OK || b == LLMIO_OK ? LLMIO_OK : a;
}

/* ---- requests --------------------------------------------------------------- */

void llmio__limiter_prepare(struct llmio__limiter *l,
                            struct llmio__rl_ticket *t, void *owner,
                            const char *provider, const char *model,
                            const char *api_key, size_t body_len,
                            int64_t max_tokens)
{
    memset(t, 0, sizeof *t);
    t->granted = -1;
    for (int i = 0; i < LLMIO__RL_SCOPES; i++) {
        t->rules[i] = -1;
    }
    for (size_t i = 0; i < l->nrules; i++) {
        const struct llmio__rl_rule *r = &l->rules[i];
        int level = r->provider == NULL ? 0 : r->model == NULL ? 1 : 2;
        if ((r->provider == NULL || strcmp(r->provider, provider) == 0) &&
            (r->model == NULL || strcmp(r->model, model) == 0)) {
            t->rules[level] = (int)i;
            t->on = true;
        }
    }
    if (!t->on) {
        return;
    }
    t->owner = owner;
    t->key = llmio__ratelimit_key(provider, model, api_key);
    t->provider_key = llmio__ratelimit_key(provider, NULL, api_key);
    /* The serialised body at four bytes a token (JSON syntax and the
     * model name make it an over-estimate), plus the output the request
     * may produce, which OpenAI counts against TPM on arrival. The
     * response's usage corrects it (llmio__limiter_on_response). */
    /* MAX_TOKENS is the caller's (any int64, e.g. from a JSONL line):
     * clamped to the largest bucket so the sum cannot overflow. */
    if (max_tokens > LLMIO__BUCKET_MAX_PER_MINUTE) {
        max_tokens = LLMIO__BUCKET_MAX_PER_MINUTE;
    }
    t->est_tokens = llmio__estimate_tokens(NULL, body_len) +
                    (max_tokens > 0 ? max_tokens : 0);
}

/* The local bucket keys T draws on, each once: the scopes with local
 * limits, and always T's own key (headers and pauses). */
static size_t local_keys(const struct llmio__limiter *l,
                         const struct llmio__rl_ticket *t, uint64_t *keys,
                         const struct llmio__rl_rule **rules)
{
    const uint64_t scope_keys[LLMIO__RL_SCOPES] = {
        llmio__ratelimit_key(NULL, NULL, NULL), t->provider_key, t->key};
    size_t n = 0;
    for (int i = 0; i < LLMIO__RL_SCOPES; i++) {
        const struct llmio__rl_rule *r =
            t->rules[i] >= 0 ? &l->rules[t->rules[i]] : NULL;
        if (i == 2 || (r != NULL && (r->rpm > 0 || r->tpm > 0))) {
            keys[n] = scope_keys[i];
            rules[n] = r;
            n++;
        }
    }
    return n;
}

/* Reserves one request and EST tokens from T's shared budgets, all or
 * none. Returns 0 or the wait. A budget whose lock cannot be taken (a
 * segment broken beyond repair) is skipped rather than blocking forever. */
static int64_t shared_reserve(struct llmio__limiter *l,
                              const struct llmio__rl_ticket *t, int64_t now_ms,
                              int64_t est)
{
    struct llmio__shmbucket *taken[2 * LLMIO__RL_SCOPES];
    int64_t cost[2 * LLMIO__RL_SCOPES];
    size_t ntaken = 0;
    int64_t w = 0;
    for (int i = 0; i < LLMIO__RL_SCOPES && w == 0; i++) {
        if (t->rules[i] < 0) {
            continue;
        }
        struct llmio__rl_rule *r = &l->rules[t->rules[i]];
        struct llmio__shmbucket *sb[2] = {&r->shm_req, &r->shm_tok};
        int64_t c[2] = {1, est};
        for (int k = 0; k < 2 && w == 0; k++) {
            if (sb[k]->state == NULL) {
                continue;
            }
            int64_t wk = llmio__shmbucket_reserve(sb[k], now_ms, c[k]);
            if (wk == 0) {
                taken[ntaken] = sb[k];
                cost[ntaken++] = c[k];
            } else if (wk > 0) {
                w = wk;
            }
        }
    }
    if (w > 0) {
        /* Given back at the same instant, so the buckets are as before. */
        for (size_t i = 0; i < ntaken; i++) {
            llmio__shmbucket_adjust(taken[i], now_ms, cost[i]);
        }
    }
    return w;
}

/* ---- lanes -------------------------------------------------------------------- */

static struct llmio__rl_ticket *lane_of(struct llmio__limiter *l, uint64_t key)
{
    for (struct llmio__rl_ticket *h = l->heads; h != NULL; h = h->hnext) {
        if (h->key == key) {
            return h;
        }
    }
    return NULL;
}

static void make_head(struct llmio__limiter *l, struct llmio__rl_ticket *t)
{
    t->in_lane = t->is_head = true;
    t->tail = t;
    t->hprev = NULL;
    t->hnext = l->heads;
    if (l->heads != NULL) {
        l->heads->hprev = t;
    }
    l->heads = t;
}

void *llmio__limiter_leave(struct llmio__limiter *l, struct llmio__rl_ticket *t)
{
    if (!t->in_lane) {
        return NULL;
    }
    struct llmio__rl_ticket *next = t->next;
    void *wake = NULL;
    if (t->is_head) {
        if (next != NULL) {
            /* NEXT takes T's place in the list of heads. */
            next->is_head = true;
            next->tail = t->tail;
            next->hprev = t->hprev;
            next->hnext = t->hnext;
            wake = next->owner;
        }
        struct llmio__rl_ticket *repl = next;
        if (t->hprev != NULL) {
            t->hprev->hnext = repl != NULL ? repl : t->hnext;
        } else {
            l->heads = repl != NULL ? repl : t->hnext;
        }
        if (t->hnext != NULL) {
            t->hnext->hprev = repl != NULL ? repl : t->hprev;
        }
    } else {
        struct llmio__rl_ticket *head = lane_of(l, t->key);
        if (head != NULL && head->tail == t) {
            head->tail = t->prev;
        }
    }
    if (t->prev != NULL) {
        t->prev->next = next;
    }
    if (next != NULL) {
        next->prev = t->prev;
    }
    t->in_lane = t->is_head = false;
    t->prev = t->next = t->tail = t->hprev = t->hnext = NULL;
    return wake;
}

int64_t llmio__limiter_admit(struct llmio__limiter *l,
                             struct llmio__rl_ticket *t, int64_t now_ms)
{
    if (!t->on) {
        return 0;
    }
    if (!t->in_lane) {
        struct llmio__rl_ticket *head = lane_of(l, t->key);
        if (head != NULL) {
            /* First come, first served within a key: behind the head. */
            t->in_lane = true;
            t->prev = head->tail;
            head->tail->next = t;
            head->tail = t;
            return -1;
        }
    } else if (!t->is_head) {
        return -1;
    }
    uint64_t keys[LLMIO__RL_SCOPES];
    const struct llmio__rl_rule *rules[LLMIO__RL_SCOPES];
    size_t n = local_keys(l, t, keys, rules);
    int64_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (rules[i] != NULL) {
            llmio__ratelimit_ensure_limits(&l->rl, keys[i], now_ms,
                                           rules[i]->rpm, rules[i]->tpm);
        }
        int64_t wi = llmio__ratelimit_wait(&l->rl, keys[i], now_ms,
                                           t->est_tokens);
        w = wi > w ? wi : w;
    }
    if (w == 0) {
        w = shared_reserve(l, t, now_ms, t->est_tokens);
    }
    if (w > 0) {
        if (!t->in_lane) {
            make_head(l, t);
        }
        return w;
    }
    for (size_t i = 0; i < n; i++) {
        llmio__ratelimit_reserve(&l->rl, keys[i], now_ms, t->est_tokens);
    }
    t->granted = t->est_tokens;
    t->learnt = false;
    return 0;
}

/* ---- what the server said ---------------------------------------------------- */

/* The lower of two known values (-1 unknown). */
static int64_t min_known(int64_t a, int64_t b)
{
    if (a < 0) {
        return b;
    }
    return b < 0 || a < b ? a : b;
}

void llmio__limiter_headers(const struct llmio__http_hdrs *h,
                            struct llmio__ratelimit_headers *out)
{
    out->limit_requests = h->rl_limit_requests;
    out->remaining_requests = h->rl_remaining_requests;
    out->reset_requests_ms = h->rl_reset_requests_ms;
    out->limit_tokens = h->rl_limit_tokens;
    out->remaining_tokens = h->rl_remaining_tokens;
    out->reset_tokens_ms = h->rl_reset_tokens_ms;
    /* Anthropic's tokens-* are already "the most restrictive limit in
     * effect". Without them, one token bucket stands for both the input
     * and the output budget, so it takes the tighter of the two (the
     * lower limit and remaining count, the later reset): never more than
     * either allows. */
    if (out->limit_tokens < 0 && out->remaining_tokens < 0) {
        out->limit_tokens = min_known(h->rl_in_limit, h->rl_out_limit);
        out->remaining_tokens =
            min_known(h->rl_in_remaining, h->rl_out_remaining);
        out->reset_tokens_ms = h->rl_in_reset_ms > h->rl_out_reset_ms
                                   ? h->rl_in_reset_ms
                                   : h->rl_out_reset_ms;
    }
}

int64_t llmio__limiter_pause_ms(const struct llmio__http_hdrs *h)
{
    int64_t hint = llmio__http_retry_after(h);
    if (hint > 0) {
        return hint;
    }
    struct llmio__ratelimit_headers rh;
    llmio__limiter_headers(h, &rh);
    int64_t reset = -1;
    if (rh.remaining_requests == 0) {
        reset = rh.reset_requests_ms;
    }
    if (rh.remaining_tokens == 0 && rh.reset_tokens_ms > reset) {
        reset = rh.reset_tokens_ms;
    }
    return reset > 0 ? reset : LLMIO__RL_PAUSE_DEFAULT_MS;
}

void llmio__limiter_learn(struct llmio__limiter *l,
                          struct llmio__rl_ticket *t,
                          const struct llmio__http_hdrs *h, int64_t now_ms)
{
    if (!t->on || t->learnt) {
        return;
    }
    t->learnt = true;
    struct llmio__ratelimit_headers rh;
    llmio__limiter_headers(h, &rh);
    if (rh.limit_requests >= 0 || rh.remaining_requests >= 0 ||
        rh.limit_tokens >= 0 || rh.remaining_tokens >= 0) {
        llmio__ratelimit_observe_headers(&l->rl, t->key, now_ms, &rh);
    }
}

int64_t llmio__limiter_pause_for(const struct llmio__http_hdrs *h,
                                 int http_status)
{
    if (http_status == 429) {
        return llmio__limiter_pause_ms(h);
    }
    if (http_status == 503 || http_status == 529) {
        int64_t hint = llmio__http_retry_after(h);
        return hint > 0 ? hint : 0;
    }
    return 0;
}

bool llmio__limiter_on_response(struct llmio__limiter *l,
                                struct llmio__rl_ticket *t,
                                const struct llmio__http_hdrs *h,
                                int http_status, const llmio_usage *usage,
                                int64_t now_ms)
{
    bool refunded = false;
    if (!t->on) {
        return false;
    }
    llmio__limiter_learn(l, t, h, now_ms);
    int64_t pause = llmio__limiter_pause_for(h, http_status);
    if (pause > 0) {
        /* The whole key waits, not just this request: every other request
         * sent now would collect its own 429. */
        int64_t until = now_ms + pause;
        llmio__ratelimit_pause(&l->rl, t->key, now_ms, until);
        for (int i = 0; i < LLMIO__RL_SCOPES; i++) {
            if (t->rules[i] >= 0) {
                llmio__shmbucket_pause_until(&l->rules[t->rules[i]].shm_req,
                                             until);
                llmio__shmbucket_pause_until(&l->rules[t->rules[i]].shm_tok,
                                             until);
            }
        }
    }
    if (t->granted >= 0 && usage != NULL && usage->total_tokens >= 0) {
        uint64_t keys[LLMIO__RL_SCOPES];
        const struct llmio__rl_rule *rules[LLMIO__RL_SCOPES];
        size_t n = local_keys(l, t, keys, rules);
        for (size_t i = 0; i < n; i++) {
            llmio__ratelimit_correct(&l->rl, keys[i], now_ms, t->granted,
                                     usage->total_tokens);
        }
        for (int i = 0; i < LLMIO__RL_SCOPES; i++) {
            if (t->rules[i] >= 0) {
                llmio__shmbucket_adjust(&l->rules[t->rules[i]].shm_tok, now_ms,
                                        t->granted - usage->total_tokens);
            }
        }
        refunded = usage->total_tokens < t->granted;
    }
    t->granted = -1;
    t->learnt = false; /* the attempt is over */
    return refunded && l->heads != NULL;
}

/* ---- holds ------------------------------------------------------------------ */

/* T's lane key, computed on first need: provider + API key (cached by the
 * client, so an unlimited request pays no hashing) and the model without
 * its "provider/" prefix. */
static uint64_t hold_key(struct llmio__rl_ticket *t, const char *provider,
                         const char *model)
{
    if (t->key == 0) {
        size_t n = strlen(provider);
        if (strncmp(model, provider, n) == 0 && model[n] == '/') {
            model += n + 1;
        }
        uint64_t k = t->provider_key ^ llmio__ratelimit_key(NULL, model, NULL);
        t->key = k != 0 ? k : 1;
    }
    return t->key;
}

void llmio__limiter_hold(struct llmio__limiter *l, struct llmio__rl_ticket *t,
                         const char *provider, const char *model,
                         int64_t now_ms, int64_t pause_ms, int64_t spread_ms)
{
    if (l->holds_off || pause_ms <= 0) {
        return;
    }
    /* The keyed table the rules use: a hold is a pause of the key's
     * buckets, which stay unlimited. */
    if (l->rl.slots == NULL &&
        llmio__ratelimit_init(&l->rl, l->alloc, MAX_KEYS, 0, 0) != LLMIO_OK) {
        return;
    }
    int64_t until = now_ms + pause_ms;
    llmio__ratelimit_pause(&l->rl, hold_key(t, provider, model), now_ms,
                           until);
    int64_t spread = spread_ms > 0 ? spread_ms : 0;
    if (until + spread > l->holds_until) {
        l->holds_until = until + spread;
    }
}

int64_t llmio__limiter_held(struct llmio__limiter *l,
                            struct llmio__rl_ticket *t, const char *provider,
                            const char *model, int64_t now_ms,
                            int64_t spread_ms, int64_t deadline_ms,
                            struct llmio__rng *rng)
{
    if (l->holds_until == 0 || l->holds_off) {
        return 0;
    }
    if (now_ms >= l->holds_until) {
        l->holds_until = 0; /* every hold and its spread are over */
        return 0;
    }
    int64_t end =
        llmio__ratelimit_paused_until(&l->rl, hold_key(t, provider, model));
    if (end == 0 || (t->hold_end != end && now_ms >= end + spread_ms)) {
        return 0;
    }
    if (t->hold_end != end) {
        /* First look at this hold (or it was extended by a later 429). */
        t->hold_end = end;
        t->release_at = end + llmio__rng_upto(rng, spread_ms);
        if (t->release_at >= deadline_ms) {
            /* Its last chance is the end (or, before it, none: the
             * engine fails it with the wait until the end). */
            t->release_at = end;
        }
    }
    return t->release_at > now_ms ? t->release_at - now_ms : 0;
}
