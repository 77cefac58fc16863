/* test-limiter.c - the client's rate-limit glue (src/limiter.c) with
 * explicit times: scopes, all-or-nothing grants across them, the per-key
 * lanes, usage corrections, 429 pauses and how the server's headers map
 * onto the buckets. Nothing here sleeps or opens a socket. */
#include "test.h"

#include "http.h"
#include "limiter.h"

#include "alloc.h"

static void ticket(struct llmio__limiter *l, struct llmio__rl_ticket *t,
                   const char *provider, const char *model, const char *key)
{
    /* 36 body bytes: 9 + 4 tokens. */
    llmio__limiter_prepare(l, t, t, provider, model, key, 36, 0);
}

TEST(limiter_off_without_rules)
{
    struct llmio__limiter l;
    llmio__limiter_init(&l, &llmio__default_allocator);
    struct llmio__rl_ticket t;
    ticket(&l, &t, "openai", "gpt-4o", "sk-a");
    ASSERT(!t.on);
    ASSERT_EQ(llmio__limiter_admit(&l, &t, 0), 0);
    llmio__limiter_cleanup(&l);
}

TEST(limiter_scopes_and_estimate)
{
    struct llmio__limiter l;
    llmio__limiter_init(&l, &llmio__default_allocator);
    ASSERT_OK(llmio__limiter_set(&l, "anthropic", NULL, 10, 0));
    ASSERT_OK(llmio__limiter_set(&l, "openai/gpt-4o", NULL, 10, 0));
    ASSERT_EQ(llmio__limiter_set(&l, "openai/", NULL, 1, 0), LLMIO_E_INVALID);
    ASSERT_EQ(llmio__limiter_set(&l, "/x", NULL, 1, 0), LLMIO_E_INVALID);
    struct llmio__rl_ticket a, b, c;
    ticket(&l, &a, "openai", "gpt-4o-mini", "k"); /* no scope matches */
    ticket(&l, &b, "openai", "gpt-4o", "k");
    llmio__limiter_prepare(&l, &c, &c, "anthropic", "claude", "k", 400, 1000);
    ASSERT(!a.on);
    ASSERT(b.on);
    ASSERT(c.on);
    ASSERT_EQ(b.est_tokens, 13);
    ASSERT_EQ(c.est_tokens, 100 + 4 + 1000); /* body / 4 + 4 + max_tokens */
    /* Any int64 max_tokens (a JSONL line's) is clamped, no overflow. */
    struct llmio__rl_ticket big;
    llmio__limiter_prepare(&l, &big, &big, "anthropic", "claude", "k", 400,
                           INT64_MAX);
    ASSERT_EQ(big.est_tokens, 100 + 4 + LLMIO__BUCKET_MAX_PER_MINUTE);
    /* Different API keys are different keys. */
    struct llmio__rl_ticket d;
    ticket(&l, &d, "openai", "gpt-4o", "k2");
    ASSERT(d.key != b.key);
    ASSERT(d.provider_key != b.provider_key);
    llmio__limiter_cleanup(&l);
}

/* A request draws on every matching scope, all or none: the global
 * budget refusing must not spend the model's. */
TEST(limiter_all_or_nothing_across_scopes)
{
    struct llmio__limiter l;
    llmio__limiter_init(&l, &llmio__default_allocator);
    /* Global: 20/min, burst 2, 18/min = one per 3333.33 ms. Model:
     * 600/min, burst 60. */
    ASSERT_OK(llmio__limiter_set(&l, NULL, NULL, 20, 0));
    ASSERT_OK(llmio__limiter_set(&l, "openai/m", NULL, 600, 0));
    struct llmio__rl_ticket t[4];
    for (int i = 0; i < 4; i++) {
        ticket(&l, &t[i], "openai", "m", "k");
    }
    ASSERT_EQ(llmio__limiter_admit(&l, &t[0], 0), 0);
    ASSERT_EQ(llmio__limiter_admit(&l, &t[1], 0), 0);
    ASSERT_EQ(llmio__limiter_admit(&l, &t[2], 0), 3334); /* exact wait */
    ASSERT(t[2].is_head);
    /* Behind the head: no timer of its own. */
    ASSERT_EQ(llmio__limiter_admit(&l, &t[3], 0), -1);
    ASSERT(t[3].in_lane && !t[3].is_head);
    ASSERT_EQ(llmio__limiter_admit(&l, &t[2], 3333), 1);
    ASSERT_EQ(llmio__limiter_admit(&l, &t[2], 3334), 0);
    /* Granted: leaving promotes the next, who must be woken. */
    ASSERT(llmio__limiter_leave(&l, &t[2]) == &t[3]);
    ASSERT(t[3].is_head);
    /* 12 units were left over: 59988 / 18 per ms, rounded up. */
    ASSERT_EQ(llmio__limiter_admit(&l, &t[3], 3334), 3333);
    ASSERT(llmio__limiter_leave(&l, &t[3]) == NULL);
    ASSERT_NULL(l.heads);
    /* The refusals spent nothing: raising the global limit lets the
     * model's bucket through, and no more. */
    ASSERT_OK(llmio__limiter_set(&l, NULL, NULL, 0, 0));
    int granted = 0;
    for (int i = 0; i < 100; i++) {
        struct llmio__rl_ticket o;
        ticket(&l, &o, "openai", "m", "k");
        if (llmio__limiter_admit(&l, &o, 3334) != 0) {
            llmio__limiter_leave(&l, &o);
            break;
        }
        granted++;
    }
    /* Two taken at 0; 3334 ms at 540/min refilled it to its burst of
     * 60; the third took one: 59 (the two refusals took none). */
    ASSERT_EQ(granted, 59);
    llmio__limiter_cleanup(&l);
}

/* Lanes are per key: a waiting key does not hold up another. A lane
 * keeps FIFO order when its middle leaves (a cancel). */
TEST(limiter_lanes_per_key)
{
    struct llmio__limiter l;
    llmio__limiter_init(&l, &llmio__default_allocator);
    ASSERT_OK(llmio__limiter_set(&l, "openai", NULL, 2, 0)); /* burst 1 */
    struct llmio__rl_ticket a[4], b;
    for (int i = 0; i < 4; i++) {
        ticket(&l, &a[i], "openai", "m", "key-a");
    }
    ticket(&l, &b, "openai", "m", "key-b");
    ASSERT_EQ(llmio__limiter_admit(&l, &a[0], 0), 0);
    ASSERT(llmio__limiter_admit(&l, &a[1], 0) > 0);
    ASSERT_EQ(llmio__limiter_admit(&l, &a[2], 0), -1);
    ASSERT_EQ(llmio__limiter_admit(&l, &a[3], 0), -1);
    ASSERT_EQ(llmio__limiter_admit(&l, &b, 0), 0); /* other key: free */
    ASSERT(llmio__limiter_leave(&l, &a[2]) == NULL); /* cancelled */
    ASSERT(a[1].tail == &a[3]);
    ASSERT(llmio__limiter_leave(&l, &a[3]) == NULL);
    ASSERT(a[1].tail == &a[1]);
    ASSERT(llmio__limiter_leave(&l, &a[1]) == NULL);
    ASSERT_NULL(l.heads);
    llmio__limiter_cleanup(&l);
}

/* Usage corrects the reservation; a 429 pauses the key until the hint,
 * and only that key; the server's remaining count lowers the bucket. */
TEST(limiter_usage_pause_and_headers)
{
    struct llmio__limiter l;
    llmio__limiter_init(&l, &llmio__default_allocator);
    /* 6000 tokens a minute: burst 600, 90 a second. */
    ASSERT_OK(llmio__limiter_set(&l, NULL, NULL, 0, 6000));
    struct llmio__rl_ticket t, u;
    llmio__limiter_prepare(&l, &t, &t, "openai", "m", "k", 0, 500);
    ASSERT_EQ(t.est_tokens, 504);
    ASSERT_EQ(llmio__limiter_admit(&l, &t, 0), 0);
    ASSERT(llmio__limiter_admit(&l, &t, 0) > 0); /* 96 left */
    llmio__limiter_leave(&l, &t);
    struct llmio__http_hdrs h;
    llmio__http_hdrs_init(&h);
    h.status = 200;
    llmio_usage use = {4, 0, 4, -1, -1, {0}};
    /* No attempt granted: nothing to correct. */
    t.granted = -1;
    ASSERT(!llmio__limiter_on_response(&l, &t, &h, 200, &use, 0));
    t.granted = 504;
    ASSERT(!llmio__limiter_on_response(&l, &t, &h, 200, &use, 0));
    ASSERT_EQ(t.granted, -1);
    ASSERT_EQ(llmio__limiter_admit(&l, &t, 0), 0); /* 500 came back */

    /* A 429 with retry-after-ms pauses key k, not key k2. */
    h.status = 429;
    h.retry_after_ms_ms = 1500;
    ASSERT_EQ(llmio__limiter_pause_ms(&h), 1500);
    llmio__limiter_on_response(&l, &t, &h, 429, NULL, 1000);
    ticket(&l, &u, "openai", "m", "k2");
    ASSERT_EQ(llmio__limiter_admit(&l, &u, 1000), 0);
    llmio__limiter_prepare(&l, &t, &t, "openai", "m", "k", 0, 0);
    ASSERT_EQ(llmio__limiter_admit(&l, &t, 1000), 1500);
    ASSERT_EQ(llmio__limiter_admit(&l, &t, 2500), 0);
    llmio__limiter_leave(&l, &t);

    /* Headers: 0 remaining of 600 a minute, reset in 1 s. */
    llmio__http_hdrs_init(&h);
    h.rl_limit_requests = 600;
    h.rl_remaining_requests = 0;
    h.rl_reset_requests_ms = 1000;
    ASSERT_EQ(llmio__limiter_pause_ms(&h), 1000);
    llmio__limiter_on_response(&l, &t, &h, 200, NULL, 2500);
    /* 540 a minute sustained: the next request in 111.1 ms. */
    ASSERT_EQ(llmio__limiter_admit(&l, &t, 2500), 112);
    llmio__limiter_leave(&l, &t);
    llmio__limiter_cleanup(&l);
}

/* Anthropic's four kinds onto two buckets: tokens-* when sent (already
 * the tightest), else the tighter of input and output. No hint and no
 * exhausted budget: a 429 pauses the default second. */
TEST(limiter_headers_mapping)
{
    struct llmio__http_hdrs h;
    struct llmio__ratelimit_headers r;
    llmio__http_hdrs_init(&h);
    h.rl_in_limit = 80000;
    h.rl_in_remaining = 70000;
    h.rl_in_reset_ms = 2000;
    h.rl_out_limit = 16000;
    h.rl_out_remaining = 15000;
    h.rl_out_reset_ms = 5000;
    llmio__limiter_headers(&h, &r);
    ASSERT_EQ(r.limit_tokens, 16000);
    ASSERT_EQ(r.remaining_tokens, 15000);
    ASSERT_EQ(r.reset_tokens_ms, 5000);
    ASSERT_EQ(r.limit_requests, -1);
    h.rl_limit_tokens = 90000;
    h.rl_remaining_tokens = 1;
    h.rl_reset_tokens_ms = 700;
    llmio__limiter_headers(&h, &r);
    ASSERT_EQ(r.limit_tokens, 90000);
    ASSERT_EQ(r.remaining_tokens, 1);
    ASSERT_EQ(r.reset_tokens_ms, 700);
    ASSERT_EQ(llmio__limiter_pause_ms(&h), LLMIO__RL_PAUSE_DEFAULT_MS);
    h.rl_remaining_tokens = 0;
    ASSERT_EQ(llmio__limiter_pause_ms(&h), 700);
    h.retry_after_ms = 3000;
    ASSERT_EQ(llmio__limiter_pause_ms(&h), 3000);
}

/* Random admits and leaves over a few keys against a model of FIFO
 * lanes: after every step each key with waiters has exactly one head,
 * in the list of heads, whose lane holds the key's waiters in arrival
 * order, with the right tail; a promoted ticket is the one returned. */
TEST(limiter_lanes_model)
{
    enum { NT = 24, NK = 3, STEPS = 20000 };
    struct llmio__limiter l;
    llmio__limiter_init(&l, &llmio__default_allocator);
    /* 2 a minute, burst 1: almost every admit waits. */
    ASSERT_OK(llmio__limiter_set(&l, NULL, NULL, 2, 0));
    static const char *const keys[NK] = {"k0", "k1", "k2"};
    struct llmio__rl_ticket t[NT];
    int key_of[NT];
    /* The model: per key, the waiting tickets in order. */
    int lane[NK][NT], nlane[NK] = {0, 0, 0};
    uint64_t rng = 12345;
    for (int i = 0; i < NT; i++) {
        key_of[i] = i % NK;
        ticket(&l, &t[i], "openai", "m", keys[key_of[i]]);
    }
    int64_t now = 0;
    for (int step = 0; step < STEPS; step++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        int i = (int)((rng >> 33) % NT);
        int k = key_of[i];
        now += (int64_t)((rng >> 20) % 200);
        if (!t[i].in_lane || t[i].is_head) {
            int64_t w = llmio__limiter_admit(&l, &t[i], now);
            bool was_in = nlane[k] > 0 && lane[k][0] == i;
            if (w == 0) {
                /* Only a ticket first in its key's line is granted. */
                ASSERT(nlane[k] == 0 || was_in);
                void *next = llmio__limiter_leave(&l, &t[i]);
                if (was_in) {
                    memmove(lane[k], lane[k] + 1,
                            (size_t)(--nlane[k]) * sizeof lane[k][0]);
                }
                ASSERT(next == (nlane[k] > 0 ? (void *)&t[lane[k][0]] : NULL));
            } else if (w > 0) {
                ASSERT(nlane[k] == 0 || was_in);
                if (!was_in) {
                    lane[k][nlane[k]++] = i;
                }
            } else {
                ASSERT(nlane[k] > 0 && !was_in);
                lane[k][nlane[k]++] = i;
            }
        } else {
            /* A cancel from the middle or the end of a lane. */
            int pos = 0;
            while (lane[k][pos] != i) {
                pos++;
            }
            ASSERT(llmio__limiter_leave(&l, &t[i]) == NULL);
            memmove(lane[k] + pos, lane[k] + pos + 1,
                    (size_t)(nlane[k] - pos - 1) * sizeof lane[k][0]);
            nlane[k]--;
        }
        /* Check the lanes against the model. */
        int nheads = 0;
        for (struct llmio__rl_ticket *h = l.heads; h != NULL; h = h->hnext) {
            ASSERT(h->is_head && h->in_lane);
            ASSERT(h->hnext == NULL || h->hnext->hprev == h);
            nheads++;
        }
        for (int kk = 0; kk < NK; kk++) {
            nheads -= nlane[kk] > 0;
            if (nlane[kk] == 0) {
                continue;
            }
            struct llmio__rl_ticket *p = &t[lane[kk][0]];
            ASSERT(p->is_head && p->prev == NULL);
            ASSERT(p->tail == &t[lane[kk][nlane[kk] - 1]]);
            for (int j = 0; j < nlane[kk]; j++, p = p->next) {
                ASSERT(p == &t[lane[kk][j]]);
                ASSERT(p->in_lane && p->is_head == (j == 0));
            }
            ASSERT_NULL(p);
        }
        ASSERT_EQ(nheads, 0);
    }
    for (int i = 0; i < NT; i++) {
        llmio__limiter_leave(&l, &t[i]);
    }
    ASSERT_NULL(l.heads);
    llmio__limiter_cleanup(&l);
}

/* ---- holds: no limit configured ------------------------------------------ */

/* What pauses a key: a 429 always (its hint, else the default second); a
 * 503 or 529 only with a hint; nothing else. */
TEST(limiter_pause_for_statuses)
{
    struct llmio__http_hdrs h;
    llmio__http_hdrs_init(&h);
    ASSERT_EQ(llmio__limiter_pause_for(&h, 429), LLMIO__RL_PAUSE_DEFAULT_MS);
    ASSERT_EQ(llmio__limiter_pause_for(&h, 503), 0);
    ASSERT_EQ(llmio__limiter_pause_for(&h, 529), 0);
    ASSERT_EQ(llmio__limiter_pause_for(&h, 200), 0);
    h.retry_after_ms = 2000;
    ASSERT_EQ(llmio__limiter_pause_for(&h, 429), 2000);
    ASSERT_EQ(llmio__limiter_pause_for(&h, 503), 2000);
    ASSERT_EQ(llmio__limiter_pause_for(&h, 529), 2000);
    ASSERT_EQ(llmio__limiter_pause_for(&h, 500), 0);
    ASSERT_EQ(llmio__limiter_pause_for(&h, 502), 0);
    h.retry_after_ms_ms = 250; /* preferred, as for the retry */
    ASSERT_EQ(llmio__limiter_pause_for(&h, 529), 250);
    h.retry_after_ms = h.retry_after_ms_ms = 0; /* "come back now" */
    ASSERT_EQ(llmio__limiter_pause_for(&h, 503), 0);
}

/* An unlimited ticket, keyed as client.c does: provider + API key hashed
 * once (by the client), the model added on first need. */
static void free_ticket(struct llmio__limiter *l, struct llmio__rl_ticket *t,
                        const char *model, const char *key)
{
    ticket(l, t, "openai", model, key);
    ASSERT(!t->on);
    t->provider_key = llmio__ratelimit_key("openai", NULL, key);
}

/* A hold pauses its key for every unlimited request until its end, then
 * lets each go at the end plus its own jitter in [0, spread]; other
 * models and other API keys go at once; a later 429 extends it; when all
 * holds are over the limiter is back on the no-cost path. */
TEST(limiter_hold_pauses_key_and_spreads)
{
    struct llmio__limiter l;
    llmio__limiter_init(&l, &llmio__default_allocator);
    struct llmio__rng rng;
    llmio__rng_seed(&rng, 7);
    enum { N = 64 };
    struct llmio__rl_ticket t[N], other_model, other_key, prefixed;
    for (int i = 0; i < N; i++) {
        free_ticket(&l, &t[i], "gpt-4o", "sk-a");
    }
    free_ticket(&l, &other_model, "gpt-4o-mini", "sk-a");
    free_ticket(&l, &other_key, "gpt-4o", "sk-b");
    free_ticket(&l, &prefixed, "openai/gpt-4o", "sk-a");
    ASSERT(!llmio__limiter_holding(&l));
    ASSERT_EQ(llmio__limiter_held(&l, &t[0], "openai", "gpt-4o", 0, 300,
                                  INT64_MAX, &rng),
              0);
    /* No pause asked: nothing held. */
    llmio__limiter_hold(&l, &t[0], "openai", "gpt-4o", 1000, 0, 300);
    ASSERT(!llmio__limiter_holding(&l));

    llmio__limiter_hold(&l, &t[0], "openai", "gpt-4o", 1000, 1000, 300);
    ASSERT(llmio__limiter_holding(&l));
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < N; i++) {
        int64_t w = llmio__limiter_held(&l, &t[i], "openai", "gpt-4o", 1500,
                                        300, INT64_MAX, &rng);
        ASSERT_CMP(w, >=, 500);
        ASSERT_CMP(w, <=, 800);
        lo = w < lo ? w : lo;
        hi = w > hi ? w : hi;
        /* Asked again later: the same turn, not a new draw. */
        ASSERT_EQ(llmio__limiter_held(&l, &t[i], "openai", "gpt-4o", 1600,
                                      300, INT64_MAX, &rng),
                  w - 100);
    }
    ASSERT_CMP(hi - lo, >=, 200); /* spread, not one instant */
    /* The model with its provider prefix is the same key. */
    ASSERT_CMP(llmio__limiter_held(&l, &prefixed, "openai", "openai/gpt-4o",
                                   1500, 300, INT64_MAX, &rng),
               >=, 500);
    ASSERT_EQ(llmio__limiter_held(&l, &other_model, "openai", "gpt-4o-mini",
                                  1500, 300, INT64_MAX, &rng),
              0);
    ASSERT_EQ(llmio__limiter_held(&l, &other_key, "openai", "gpt-4o", 1500,
                                  300, INT64_MAX, &rng),
              0);
    /* A deadline inside the spread: go at the hold's end. One before the
     * end: the wait is returned (the engine fails the request). */
    struct llmio__rl_ticket d1, d2;
    free_ticket(&l, &d1, "gpt-4o", "sk-a");
    free_ticket(&l, &d2, "gpt-4o", "sk-a");
    ASSERT_EQ(llmio__limiter_held(&l, &d1, "openai", "gpt-4o", 1500, 300,
                                  2001, &rng),
              500);
    ASSERT_EQ(llmio__limiter_held(&l, &d2, "openai", "gpt-4o", 1500, 300,
                                  1800, &rng),
              500);
    /* Each goes at its turn. */
    for (int i = 0; i < N; i++) {
        ASSERT_EQ(llmio__limiter_held(&l, &t[i], "openai", "gpt-4o",
                                      1500 + 800, 300, INT64_MAX, &rng),
                  0);
    }
    /* A late-comer after the spread goes at once. */
    struct llmio__rl_ticket late;
    free_ticket(&l, &late, "gpt-4o", "sk-a");
    ASSERT_EQ(llmio__limiter_held(&l, &late, "openai", "gpt-4o", 2300, 300,
                                  INT64_MAX, &rng),
              0);
    /* Another 429 at 2200 for 1 s: a new turn after 3200. */
    llmio__limiter_hold(&l, &t[1], "openai", "gpt-4o", 2200, 1000, 300);
    int64_t w = llmio__limiter_held(&l, &t[0], "openai", "gpt-4o", 2300, 300,
                                    INT64_MAX, &rng);
    ASSERT_CMP(w, >=, 900);
    ASSERT_CMP(w, <=, 1200);
    /* Past every hold and spread: the no-cost path again. */
    ASSERT_EQ(llmio__limiter_held(&l, &late, "openai", "gpt-4o", 3500, 300,
                                  INT64_MAX, &rng),
              0);
    ASSERT(!llmio__limiter_holding(&l));
    llmio__limiter_cleanup(&l);
}

/* Holds off: a 429 holds nothing; turned off during a hold, it no
 * longer holds; a ticket under a rule is the lanes' business. */
TEST(limiter_hold_off)
{
    struct llmio__limiter l;
    llmio__limiter_init(&l, &llmio__default_allocator);
    struct llmio__rng rng;
    llmio__rng_seed(&rng, 1);
    struct llmio__rl_ticket t;
    free_ticket(&l, &t, "gpt-4o", "sk-a");
    l.holds_off = true;
    llmio__limiter_hold(&l, &t, "openai", "gpt-4o", 0, 1000, 100);
    ASSERT(!llmio__limiter_holding(&l));
    l.holds_off = false;
    llmio__limiter_hold(&l, &t, "openai", "gpt-4o", 0, 1000, 100);
    ASSERT_CMP(llmio__limiter_held(&l, &t, "openai", "gpt-4o", 10, 100,
                                   INT64_MAX, &rng),
               >=, 990);
    l.holds_off = true;
    ASSERT_EQ(llmio__limiter_held(&l, &t, "openai", "gpt-4o", 10, 100,
                                  INT64_MAX, &rng),
              0);
    llmio__limiter_cleanup(&l);
}
