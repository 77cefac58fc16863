/*
 * ratelimit.c - token buckets that say how long to wait before a request
 * may be sent, per provider + model + API key.
 *
 * Invariants: no I/O, no clock, no sleeping (STYLE section 9); time comes
 * in as NOW_MS. A bucket never holds more than its burst; it may hold less
 * than zero (debt) after a correction or an oversized request. Every
 * bucket operation refills first, so the arithmetic lives in refill() and
 * bucket_wait_units() alone; shmbucket.c runs the same functions on a
 * bucket in shared memory. The limiter's table is allocated once at init
 * and never grows, so reserving cannot fail.
 * Anthropic's reset times are RFC 3339, and only the buckets need them, so
 * that parser lives here too.
 * Ownership: the limiter owns its slot array; keys are 64-bit hashes, and
 * no API key is ever stored.
 */
#include "ratelimit.h"

#include "alloc.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* Bucket                                                              */
/* ------------------------------------------------------------------ */

/* Debt is bounded so that no later arithmetic can overflow, however wild
 * the usage a server reports. */
#define MIN_UNITS (-(INT64_C(1) << 61))
#define MAX_DELTA_TOKENS INT64_C(1000000000000)

static int64_t clamp_per_minute(int64_t n)
{
    if (n <= 0) {
        return 0;
    }
    return n > LLMIO__BUCKET_MAX_PER_MINUTE ? LLMIO__BUCKET_MAX_PER_MINUTE : n;
}

/* Tokens -> units, for a token count already clamped to +-1e12. */
static int64_t units(int64_t tokens)
{
    if (tokens > MAX_DELTA_TOKENS) {
        tokens = MAX_DELTA_TOKENS;
    } else if (tokens < -MAX_DELTA_TOKENS) {
        tokens = -MAX_DELTA_TOKENS;
    }
    return tokens * LLMIO__BUCKET_SCALE;
}

/* Bring TOKENS up to NOW_MS. A clock that goes backwards refills nothing
 * and does not move LAST_MS back, so time is never counted twice. */
static void refill(struct llmio__bucket *b, int64_t now_ms)
{
    if (now_ms <= b->last_ms) {
        return;
    }
    int64_t elapsed = now_ms - b->last_ms;
    b->last_ms = now_ms;
    if (b->per_minute == 0 || b->tokens >= b->capacity) {
        return;
    }
    /* Compare before multiplying: after a long idle ELAPSED * rate could
     * overflow, and the answer is "full" anyway. */
    int64_t missing = b->capacity - b->tokens;
    if (elapsed >= missing / b->refill_per_ms + 1) {
        b->tokens = b->capacity;
    } else {
        b->tokens += elapsed * b->refill_per_ms;
        if (b->tokens > b->capacity) {
            b->tokens = b->capacity;
        }
    }
}

void llmio__bucket_set_limit(struct llmio__bucket *b, int64_t now_ms,
                             int64_t per_minute, int64_t burst)
{
    refill(b, now_ms);
    per_minute = clamp_per_minute(per_minute);
    b->per_minute = per_minute;
    if (per_minute == 0) {
        b->capacity = 0;
        b->refill_per_ms = 0;
        b->tokens = 0;
        return;
    }
    if (burst <= 0) {
        burst = per_minute / 10;
    }
    if (burst < 1) {
        burst = 1;
    }
    /* B <= N - 1 keeps N' = N - B >= 1, so B + N' = N exactly. */
    if (burst > per_minute - 1) {
        burst = per_minute > 1 ? per_minute - 1 : 1;
    }
    /* Sustained rate N - B per minute is what makes B + N' <= N hold in
     * every window (ratelimit.h); one unit per ms is one token a minute,
     * because a token is 60000 units. */
    int64_t sustained = per_minute - burst;
    if (sustained < 1) {
        sustained = 1;
    }
    b->capacity = burst * LLMIO__BUCKET_SCALE;
    b->refill_per_ms = sustained;
    if (b->tokens > b->capacity) {
        b->tokens = b->capacity;
    }
}

void llmio__bucket_init(struct llmio__bucket *b, int64_t per_minute,
                        int64_t now_ms)
{
    memset(b, 0, sizeof *b);
    b->last_ms = now_ms;
    llmio__bucket_set_limit(b, now_ms, per_minute, 0);
    b->tokens = b->capacity;
}

/* The wait for NEED units at B's current state (already refilled). */
static int64_t bucket_wait_units(const struct llmio__bucket *b, int64_t now_ms,
                                 int64_t need)
{
    int64_t wait = 0;
    if (now_ms < b->paused_until_ms) {
        wait = b->paused_until_ms - now_ms;
    }
    if (b->per_minute == 0) {
        return wait;
    }
    /* An oversized request waits for a full bucket and then runs into
     * debt; otherwise it could never be sent at all. */
    if (need > b->capacity) {
        need = b->capacity;
    }
    if (b->tokens < need) {
        int64_t missing = need - b->tokens;
        int64_t w = missing / b->refill_per_ms +
                    (missing % b->refill_per_ms != 0 ? 1 : 0);
        /* A caller whose clock is behind the bucket's (another process
         * read it a moment earlier) gets no refill until it passes
         * LAST_MS, so the wait counts from there and stays exact. */
        if (now_ms < b->last_ms) {
            w += b->last_ms - now_ms;
        }
        if (w > wait) {
            wait = w;
        }
    }
    return wait;
}

int64_t llmio__bucket_wait(struct llmio__bucket *b, int64_t now_ms,
                           int64_t cost)
{
    refill(b, now_ms);
    return bucket_wait_units(b, now_ms, units(cost < 0 ? 0 : cost));
}

void llmio__bucket_take(struct llmio__bucket *b, int64_t now_ms, int64_t cost)
{
    refill(b, now_ms);
    if (b->per_minute == 0) {
        return;
    }
    int64_t u = units(cost < 0 ? 0 : cost);
    b->tokens = b->tokens - u < MIN_UNITS ? MIN_UNITS : b->tokens - u;
}

int64_t llmio__bucket_reserve(struct llmio__bucket *b, int64_t now_ms,
                              int64_t cost)
{
    int64_t wait = llmio__bucket_wait(b, now_ms, cost);
    if (wait == 0) {
        llmio__bucket_take(b, now_ms, cost);
    }
    return wait;
}

void llmio__bucket_adjust(struct llmio__bucket *b, int64_t now_ms,
                          int64_t delta)
{
    refill(b, now_ms);
    if (b->per_minute == 0) {
        return;
    }
    int64_t t = b->tokens + units(delta);
    if (t > b->capacity) {
        t = b->capacity;
    }
    b->tokens = t < MIN_UNITS ? MIN_UNITS : t;
}

void llmio__bucket_pause_until(struct llmio__bucket *b, int64_t until_ms)
{
    if (until_ms > b->paused_until_ms) {
        b->paused_until_ms = until_ms;
    }
}

void llmio__bucket_sync(struct llmio__bucket *b, int64_t now_ms,
                        int64_t remaining, int64_t reset_in_ms)
{
    refill(b, now_ms);
    if (remaining >= 0 && b->per_minute != 0 && b->tokens > units(remaining)) {
        b->tokens = units(remaining);
    }
    /* Within a minute our own refill already models the server's (its
     * bucket refills continuously, reference/openai-chat.md section 7).
     * A longer reset with nothing left means a longer window, such as a
     * daily quota: waiting it out beats collecting 429s until then. */
    if (remaining == 0 && reset_in_ms > LLMIO__BUCKET_SCALE) {
        llmio__bucket_pause_until(b, now_ms + reset_in_ms);
    }
}

/* ------------------------------------------------------------------ */
/* Estimate                                                            */
/* ------------------------------------------------------------------ */

int64_t llmio__estimate_tokens(const char *text, size_t len)
{
    (void)text;
    return (int64_t)(len / 4 + (len % 4 != 0 ? 1 : 0)) +
           LLMIO__TOKENS_PER_MESSAGE;
}

/* ------------------------------------------------------------------ */
/* RFC 3339                                                            */
/* ------------------------------------------------------------------ */

/* Exactly N digits at *P (bounded by END), advancing P. */
static bool digits(const char **p, const char *end, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (*p >= end || **p < '0' || **p > '9') {
            return false;
        }
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return true;
}

static bool eat(const char **p, const char *end, char c)
{
    if (*p < end && **p == c) {
        (*p)++;
        return true;
    }
    return false;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms", days_from_civil): no
 * libc time zone state, no timegm. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool valid_date(int y, int mon, int d, int h, int mi, int s)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    if (mon < 1 || mon > 12 || d < 1) {
        return false;
    }
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int dim = mdays[mon - 1] + (mon == 2 && leap ? 1 : 0);
    /* Second 60 is a leap second (RFC 3339 section 5.7). */
    return d <= dim && h <= 23 && mi <= 59 && s <= 60;
}

bool llmio__parse_rfc3339(const char *v, size_t len, int64_t *out_unix_ms)
{
    *out_unix_ms = -1;
    if (v == NULL) {
        return false;
    }
    const char *p = v;
    const char *end = v + len;
    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    int y, mon, d, h, mi, s;
    if (!digits(&p, end, 4, &y) || !eat(&p, end, '-') ||
        !digits(&p, end, 2, &mon) || !eat(&p, end, '-') ||
        !digits(&p, end, 2, &d)) {
        return false;
    }
    if (!eat(&p, end, 'T') && !eat(&p, end, 't') && !eat(&p, end, ' ')) {
        return false;
    }
    if (!digits(&p, end, 2, &h) || !eat(&p, end, ':') ||
        !digits(&p, end, 2, &mi) || !eat(&p, end, ':') ||
        !digits(&p, end, 2, &s)) {
        return false;
    }
    int64_t frac_ms = 0;
    bool round_up = false;
    if (eat(&p, end, '.')) {
        int n = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (n < 3) {
                frac_ms = frac_ms * 10 + (*p - '0');
            } else if (*p != '0') {
                round_up = true;
            }
            n++;
            p++;
        }
        if (n == 0) {
            return false;
        }
        for (; n < 3; n++) {
            frac_ms *= 10;
        }
    }
    int64_t offset_ms = 0;
    if (!eat(&p, end, 'Z') && !eat(&p, end, 'z')) {
        int sign = eat(&p, end, '+') ? 1 : eat(&p, end, '-') ? -1 : 0;
        int oh, om;
        if (sign == 0 || !digits(&p, end, 2, &oh) || !eat(&p, end, ':') ||
            !digits(&p, end, 2, &om) || oh > 23 || om > 59) {
            return false;
        }
        offset_ms = sign * ((int64_t)oh * 60 + om) * 60000;
    }
    if (p != end || !valid_date(y, mon, d, h, mi, s)) {
        return false;
    }
    int64_t days = days_from_civil(y, mon, d);
    int64_t ms = ((days * 24 + h) * 60 + mi) * INT64_C(60000) +
                 (int64_t)s * 1000 + frac_ms + (round_up ? 1 : 0);
    /* "+01:00" local time is an hour ahead of UTC. */
    *out_unix_ms = ms - offset_ms;
    return true;
}

/* ------------------------------------------------------------------ */
/* Limiter                                                             */
/* ------------------------------------------------------------------ */

struct llmio__rl_entry {
    uint64_t key; /* 0: empty slot */
    int64_t last_used_ms;
    int64_t rpm_config; /* the user's limits; headers only lower below */
    int64_t tpm_config;
    struct llmio__bucket requests;
    struct llmio__bucket tokens;
};

void llmio__ratelimit_headers_init(struct llmio__ratelimit_headers *h)
{
    h->limit_requests = -1;
    h->remaining_requests = -1;
    h->reset_requests_ms = -1;
    h->limit_tokens = -1;
    h->remaining_tokens = -1;
    h->reset_tokens_ms = -1;
}

llmio_status llmio__ratelimit_init(struct llmio__ratelimiter *rl,
                                   const llmio_allocator *alloc,
                                   size_t max_keys, int64_t rpm, int64_t tpm)
{
    memset(rl, 0, sizeof *rl);
    if (max_keys == 0) {
        max_keys = 64;
    }
    if (max_keys > 65536) {
        max_keys = 65536;
    }
    /* Load factor at most one half keeps linear probes short. */
    size_t nslots = 2;
    while (nslots < 2 * max_keys) {
        nslots *= 2;
    }
    rl->slots = llmio__calloc(alloc, nslots, sizeof *rl->slots);
    if (rl->slots == NULL) {
        return LLMIO_E_NOMEM;
    }
    rl->alloc = alloc;
    rl->nslots = nslots;
    rl->max_keys = max_keys;
    rl->rpm = clamp_per_minute(rpm);
    rl->tpm = clamp_per_minute(tpm);
    return LLMIO_OK;
}

void llmio__ratelimit_cleanup(struct llmio__ratelimiter *rl)
{
    llmio__free(rl->alloc, rl->slots);
    rl->slots = NULL;
    rl->nslots = 0;
    rl->nkeys = 0;
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* FNV-1a over the length and then the bytes, so ("ab", "c") and
 * ("a", "bc") differ, and NULL differs from "". */
static uint64_t hash_part(uint64_t h, const char *s)
{
    const uint64_t prime = UINT64_C(0x100000001b3);
    uint64_t n = s == NULL ? UINT64_MAX : (uint64_t)strlen(s);
    for (int i = 0; i < 8; i++) {
        h = (h ^ ((n >> (8 * i)) & 0xff)) * prime;
    }
    if (s != NULL) {
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
            h = (h ^ *p) * prime;
        }
    }
    return h;
}

uint64_t llmio__ratelimit_key(const char *provider, const char *model,
                              const char *api_key)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    h = hash_part(h, provider);
    h = hash_part(h, model);
    h = hash_part(h, api_key);
    h = mix64(h);
    return h == 0 ? 1 : h; /* 0 marks an empty slot */
}

static size_t slot_of(const struct llmio__ratelimiter *rl, uint64_t key)
{
    return (size_t)(mix64(key) & (rl->nslots - 1));
}

static struct llmio__rl_entry *find(struct llmio__ratelimiter *rl, uint64_t key)
{
    if (key == 0) {
        key = 1;
    }
    for (size_t i = slot_of(rl, key);; i = (i + 1) & (rl->nslots - 1)) {
        if (rl->slots[i].key == key) {
            return &rl->slots[i];
        }
        if (rl->slots[i].key == 0) {
            return NULL;
        }
    }
}

/* Backward-shift deletion (Knuth 6.4, algorithm R): later entries of the
 * probe run move up, so lookups never need tombstones. */
static void remove_at(struct llmio__ratelimiter *rl, size_t i)
{
    size_t mask = rl->nslots - 1;
    size_t j = i;
    for (;;) {
        rl->slots[i].key = 0;
        for (;;) {
            j = (j + 1) & mask;
            if (rl->slots[j].key == 0) {
                rl->nkeys--;
                return;
            }
            size_t home = slot_of(rl, rl->slots[j].key);
            /* Entry J may fill the hole at I unless its home lies
             * cyclically in (I, J]. */
            bool stays =
                (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) {
                break;
            }
        }
        rl->slots[i] = rl->slots[j];
        i = j;
    }
}

static void evict_lru(struct llmio__ratelimiter *rl)
{
    size_t victim = rl->nslots;
    for (size_t i = 0; i < rl->nslots; i++) {
        if (rl->slots[i].key != 0 &&
            (victim == rl->nslots ||
             rl->slots[i].last_used_ms < rl->slots[victim].last_used_ms)) {
            victim = i;
        }
    }
    if (victim != rl->nslots) {
        remove_at(rl, victim);
    }
}

/* KEY's entry, created with the default limits if new. Never fails: the
 * table has room for MAX_KEYS at half load, and a full one forgets its
 * least recently used key first. */
static struct llmio__rl_entry *get(struct llmio__ratelimiter *rl, uint64_t key,
                                   int64_t now_ms)
{
    if (key == 0) {
        key = 1;
    }
    struct llmio__rl_entry *e = find(rl, key);
    if (e == NULL) {
        if (rl->nkeys >= rl->max_keys) {
            evict_lru(rl);
        }
        size_t i = slot_of(rl, key);
        while (rl->slots[i].key != 0) {
            i = (i + 1) & (rl->nslots - 1);
        }
        e = &rl->slots[i];
        memset(e, 0, sizeof *e);
        e->key = key;
        e->rpm_config = rl->rpm;
        e->tpm_config = rl->tpm;
        llmio__bucket_init(&e->requests, rl->rpm, now_ms);
        llmio__bucket_init(&e->tokens, rl->tpm, now_ms);
        rl->nkeys++;
    }
    if (now_ms > e->last_used_ms) {
        e->last_used_ms = now_ms;
    }
    return e;
}

bool llmio__ratelimit_has_key(struct llmio__ratelimiter *rl, uint64_t key)
{
    return find(rl, key) != NULL;
}

int64_t llmio__ratelimit_paused_until(struct llmio__ratelimiter *rl,
                                      uint64_t key)
{
    const struct llmio__rl_entry *e = find(rl, key);
    /* Both buckets are always paused together (llmio__ratelimit_pause). */
    return e != NULL ? e->requests.paused_until_ms : 0;
}

void llmio__ratelimit_set_limits(struct llmio__ratelimiter *rl, uint64_t key,
                                 int64_t now_ms, int64_t rpm, int64_t tpm)
{
    struct llmio__rl_entry *e = get(rl, key, now_ms);
    e->rpm_config = clamp_per_minute(rpm);
    e->tpm_config = clamp_per_minute(tpm);
    bool was_unlimited_r = e->requests.per_minute == 0;
    bool was_unlimited_t = e->tokens.per_minute == 0;
    llmio__bucket_set_limit(&e->requests, now_ms, e->rpm_config, 0);
    llmio__bucket_set_limit(&e->tokens, now_ms, e->tpm_config, 0);
    /* A bucket that was not counting starts full, like a new one. */
    if (was_unlimited_r) {
        e->requests.tokens = e->requests.capacity;
    }
    if (was_unlimited_t) {
        e->tokens.tokens = e->tokens.capacity;
    }
}

int64_t llmio__ratelimit_wait(struct llmio__ratelimiter *rl, uint64_t key,
                              int64_t now_ms, int64_t est_tokens)
{
    struct llmio__rl_entry *e = get(rl, key, now_ms);
    int64_t wr = llmio__bucket_wait(&e->requests, now_ms, 1);
    int64_t wt = llmio__bucket_wait(&e->tokens, now_ms, est_tokens);
    return wr > wt ? wr : wt;
}

int64_t llmio__ratelimit_reserve(struct llmio__ratelimiter *rl, uint64_t key,
                                 int64_t now_ms, int64_t est_tokens)
{
    /* Both or neither: taking a request slot while the tokens are short
     * would spend the RPM budget on a request that is not sent. */
    int64_t w = llmio__ratelimit_wait(rl, key, now_ms, est_tokens);
    if (w == 0) {
        struct llmio__rl_entry *e = get(rl, key, now_ms);
        llmio__bucket_take(&e->requests, now_ms, 1);
        llmio__bucket_take(&e->tokens, now_ms, est_tokens);
    }
    return w;
}

void llmio__ratelimit_ensure_limits(struct llmio__ratelimiter *rl,
                                    uint64_t key, int64_t now_ms, int64_t rpm,
                                    int64_t tpm)
{
    struct llmio__rl_entry *e = get(rl, key, now_ms);
    if (e->rpm_config != clamp_per_minute(rpm) ||
        e->tpm_config != clamp_per_minute(tpm)) {
        llmio__ratelimit_set_limits(rl, key, now_ms, rpm, tpm);
    }
}

void llmio__ratelimit_refund(struct llmio__ratelimiter *rl, uint64_t key,
                             int64_t now_ms, int64_t est_tokens)
{
    struct llmio__rl_entry *e = find(rl, key);
    if (e == NULL) {
        return;
    }
    llmio__bucket_adjust(&e->requests, now_ms, 1);
    llmio__bucket_adjust(&e->tokens, now_ms, est_tokens);
}

void llmio__ratelimit_correct(struct llmio__ratelimiter *rl, uint64_t key,
                              int64_t now_ms, int64_t est, int64_t actual)
{
    struct llmio__rl_entry *e = find(rl, key);
    if (e == NULL || actual < 0) {
        return;
    }
    llmio__bucket_adjust(&e->tokens, now_ms, est - actual);
}

/* The limit a header reveals, applied only when it is lower than what the
 * user configured (or nothing was configured). */
static void adopt_limit(struct llmio__bucket *b, int64_t config, int64_t now_ms,
                        int64_t limit)
{
    if (limit <= 0) {
        return; /* Azure's 0 and -1 mean "unknown", not "no budget" */
    }
    int64_t want = (config > 0 && config < limit) ? config : limit;
    want = clamp_per_minute(want);
    if (want == b->per_minute) {
        return;
    }
    bool was_unlimited = b->per_minute == 0;
    llmio__bucket_set_limit(b, now_ms, want, 0);
    if (was_unlimited) {
        /* Start full; the remaining count that came with the limit
         * brings it down to the server's view right after. */
        b->tokens = b->capacity;
    }
}

void llmio__ratelimit_observe_headers(struct llmio__ratelimiter *rl,
                                      uint64_t key, int64_t now_ms,
                                      const struct llmio__ratelimit_headers *h)
{
    struct llmio__rl_entry *e = get(rl, key, now_ms);
    adopt_limit(&e->requests, e->rpm_config, now_ms, h->limit_requests);
    adopt_limit(&e->tokens, e->tpm_config, now_ms, h->limit_tokens);
    llmio__bucket_sync(&e->requests, now_ms, h->remaining_requests,
                       h->reset_requests_ms);
    llmio__bucket_sync(&e->tokens, now_ms, h->remaining_tokens,
                       h->reset_tokens_ms);
}

void llmio__ratelimit_pause(struct llmio__ratelimiter *rl, uint64_t key,
                            int64_t now_ms, int64_t until_ms)
{
    struct llmio__rl_entry *e = get(rl, key, now_ms);
    llmio__bucket_pause_until(&e->requests, until_ms);
    llmio__bucket_pause_until(&e->tokens, until_ms);
}
