/*
 * ratelimit.h - token buckets for requests and tokens per minute, keyed by
 * provider + model + API key (see ratelimit.c, docs/internals/ratelimit.md).
 *
 * Pure: no I/O, no clock, no sleeping. Every call takes NOW_MS (monotonic)
 * and a reservation answers how many milliseconds to wait, as curl's
 * lib/ratelimit.h does; the engine turns that into a timer.
 */
#ifndef LLMIO_RATELIMIT_H
#define LLMIO_RATELIMIT_H

#include "llmio.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* One bucket                                                          */
/* ------------------------------------------------------------------ */

/*
 * Fixed point: one token is LLMIO__BUCKET_SCALE units, the number of ms in
 * a minute, so a limit of N per minute refills exactly N' units per ms
 * (N' = the sustained rate, below). All arithmetic is integer and exact:
 * a wait is the exact ms until enough units exist, the same in every
 * process sharing a bucket (shmbucket.c), with no float drift.
 *
 * Window guarantee: with burst B and limit N per minute, the bucket holds
 * at most B tokens and refills N' = max(1, N - B) per minute, so the
 * requests granted in any 60-second window, ends included, cost at most
 * B + N' = N tokens (N >= 2; requests no larger than B). The limit holds
 * for every sliding window, not just on average: a classic bucket with
 * B = N allows 2N within the first minute, and a 429 for the second N.
 */
#define LLMIO__BUCKET_SCALE INT64_C(60000)
/* Limits above this many per minute are clamped (keeps units in int64). */
#define LLMIO__BUCKET_MAX_PER_MINUTE INT64_C(1000000000000)

struct llmio__bucket {
    int64_t per_minute;      /* the limit; 0 = unlimited */
    int64_t capacity;        /* burst, in units (tokens * SCALE) */
    int64_t tokens;          /* units; negative after an under-estimate */
    int64_t refill_per_ms;   /* units per ms (= sustained tokens/minute) */
    int64_t last_ms;         /* time TOKENS was last brought up to date */
    int64_t paused_until_ms; /* no grants before this (a 429); 0 none */
};

/* Full bucket enforcing PER_MINUTE (<= 0: unlimited) with the default
 * burst, max(1, PER_MINUTE / 10). */
void llmio__bucket_init(struct llmio__bucket *b, int64_t per_minute,
                        int64_t now_ms);

/*
 * llmio__bucket_set_limit - change the limit to PER_MINUTE and the burst to
 * BURST tokens (<= 0: the default; clamped to [1, PER_MINUTE - 1]), keeping
 * the tokens held (clamped to the new burst) and any pause.
 */
void llmio__bucket_set_limit(struct llmio__bucket *b, int64_t now_ms,
                             int64_t per_minute, int64_t burst);

/*
 * llmio__bucket_wait - ms until COST tokens could be taken (0: now),
 * taking nothing. A COST above the burst is granted when the bucket is
 * full, leaving it in debt, so no request waits forever. A NOW_MS behind
 * LAST_MS (another process read the shared clock a moment later) refills
 * nothing, and the wait counts from LAST_MS, so it stays exact.
 */
int64_t llmio__bucket_wait(struct llmio__bucket *b, int64_t now_ms,
                           int64_t cost);

/* Take COST tokens unconditionally (the bucket may go into debt). */
void llmio__bucket_take(struct llmio__bucket *b, int64_t now_ms, int64_t cost);

/*
 * llmio__bucket_reserve - take COST tokens if they are there now.
 * Returns:  0 when granted (tokens taken); else the ms to wait before a
 *           reservation of COST can succeed (nothing taken); the caller
 *           tries again at NOW_MS + the wait.
 */
int64_t llmio__bucket_reserve(struct llmio__bucket *b, int64_t now_ms,
                              int64_t cost);

/* Add DELTA tokens (negative: charge more). A refund never lifts the
 * bucket above its burst; a charge may leave it in debt, which later
 * reservations wait out. Used to correct an estimate with real usage. */
void llmio__bucket_adjust(struct llmio__bucket *b, int64_t now_ms,
                          int64_t delta);

/* No grants before UNTIL_MS (a 429 pauses the whole key). A pause only
 * ever extends: a shorter one does not cut a longer one short. */
void llmio__bucket_pause_until(struct llmio__bucket *b, int64_t until_ms);

/*
 * llmio__bucket_sync - adapt to what the server reports: REMAINING tokens
 * now (-1 unknown) and RESET_IN_MS until its budget is full again (-1
 * unknown). Tokens are lowered to REMAINING, never raised (our own
 * requests in flight are not in the server's count yet). When the server
 * has nothing left and its reset lies beyond one minute (a longer window,
 * such as a daily quota), the bucket pauses until that reset.
 */
void llmio__bucket_sync(struct llmio__bucket *b, int64_t now_ms,
                        int64_t remaining, int64_t reset_in_ms);

/* ------------------------------------------------------------------ */
/* Token estimate                                                      */
/* ------------------------------------------------------------------ */

/* Per message: role and separators cost a few tokens in every chat
 * format (OpenAI's cookbook counts 3-4). */
#define LLMIO__TOKENS_PER_MESSAGE 4

/*
 * llmio__estimate_tokens - a cheap pre-send estimate for one message of
 * LEN bytes: ceil(LEN / 4) + LLMIO__TOKENS_PER_MESSAGE. Four bytes per
 * token is the usual English average; the response's usage corrects the
 * bucket afterwards (llmio__ratelimit_correct), so the estimate only needs
 * to be cheap and roughly right. The engine adds max_tokens, which OpenAI
 * counts against TPM when the request arrives.
 */
int64_t llmio__estimate_tokens(const char *text, size_t len);

/* ------------------------------------------------------------------ */
/* Reset times                                                         */
/* ------------------------------------------------------------------ */

/*
 * llmio__parse_rfc3339 - an RFC 3339 timestamp, as Anthropic sends in
 * anthropic-ratelimit-*-reset (reference/anthropic-messages.md section 8):
 * "2026-11-22T03:39:14Z", with fractional seconds and "+hh:mm" offsets;
 * 't', 'z' and a space separator are accepted (RFC 3339 section 5.6
 * note). Surrounding spaces and tabs are ignored. http.c's parsers cover
 * the other formats (Retry-After, Go durations); this is the only RFC 3339
 * parser.
 *
 * Returns:  true and *OUT_UNIX_MS, fractions rounded up to whole ms so a
 *           reset is never early; false (and -1) for anything else,
 *           impossible dates included.
 */
bool llmio__parse_rfc3339(const char *v, size_t len, int64_t *out_unix_ms);

/* ------------------------------------------------------------------ */
/* The limiter: RPM and TPM buckets per key                            */
/* ------------------------------------------------------------------ */

/* What a response said about the key's limits; -1 = absent or unparsable
 * (Azure sends -1 and 0, reference/openai-chat.md section 7). Resets are
 * relative: the engine converts OpenAI's Go durations
 * (llmio__parse_go_duration) and Anthropic's RFC 3339 times
 * (llmio__parse_rfc3339 minus the wall clock) before calling. */
struct llmio__ratelimit_headers {
    int64_t limit_requests;
    int64_t remaining_requests;
    int64_t reset_requests_ms;
    int64_t limit_tokens;
    int64_t remaining_tokens;
    int64_t reset_tokens_ms;
};

/* Every field -1. */
void llmio__ratelimit_headers_init(struct llmio__ratelimit_headers *h);

struct llmio__rl_entry;

struct llmio__ratelimiter {
    const llmio_allocator *alloc;
    struct llmio__rl_entry *slots; /* open addressing, linear probing */
    size_t nslots;                 /* power of two, >= 2 * max_keys */
    size_t nkeys;
    size_t max_keys;
    int64_t rpm; /* limits for a new key; 0 = learn from headers */
    int64_t tpm;
};

/*
 * llmio__ratelimit_init - a limiter for up to MAX_KEYS keys (0: 64), each
 * starting with RPM requests and TPM tokens per minute (0: unlimited until
 * a response's headers state the limit). The table is allocated here, so
 * nothing later can fail. Past MAX_KEYS the least recently used key is
 * forgotten (it starts over, like a fresh key).
 * Returns:  LLMIO_OK, LLMIO_E_NOMEM.
 */
llmio_status llmio__ratelimit_init(struct llmio__ratelimiter *rl,
                                   const llmio_allocator *alloc,
                                   size_t max_keys, int64_t rpm, int64_t tpm);
void llmio__ratelimit_cleanup(struct llmio__ratelimiter *rl);

/*
 * llmio__ratelimit_key - the 64-bit key for PROVIDER + MODEL + API_KEY
 * (any may be NULL). Only this hash is kept: the limiter never holds the
 * API key itself.
 */
uint64_t llmio__ratelimit_key(const char *provider, const char *model,
                              const char *api_key);

/* Set KEY's limits (0: unlimited/learn). Headers may lower them later,
 * never raise them: a user may budget below the key's real limit to share
 * it with other programs. */
void llmio__ratelimit_set_limits(struct llmio__ratelimiter *rl, uint64_t key,
                                 int64_t now_ms, int64_t rpm, int64_t tpm);

/*
 * llmio__ratelimit_reserve - reserve one request and EST_TOKENS tokens for
 * KEY: both or neither.
 * Returns:  0 when granted; else the ms to wait before trying again.
 */
int64_t llmio__ratelimit_reserve(struct llmio__ratelimiter *rl, uint64_t key,
                                 int64_t now_ms, int64_t est_tokens);

/*
 * llmio__ratelimit_wait - what llmio__ratelimit_reserve would answer now,
 * taking nothing: 0 when one request and EST_TOKENS would be granted,
 * else the ms until they would. Lets a caller that draws on several keys
 * grant all of them or none (limiter.c).
 */
int64_t llmio__ratelimit_wait(struct llmio__ratelimiter *rl, uint64_t key,
                              int64_t now_ms, int64_t est_tokens);

/* llmio__ratelimit_set_limits unless KEY is already configured with RPM
 * and TPM: cheap enough to call before every reservation, so a key that
 * was forgotten (least recently used) gets its configured limits back. */
void llmio__ratelimit_ensure_limits(struct llmio__ratelimiter *rl,
                                    uint64_t key, int64_t now_ms, int64_t rpm,
                                    int64_t tpm);

/* Give back a reservation that was never sent (cancelled while queued). */
void llmio__ratelimit_refund(struct llmio__ratelimiter *rl, uint64_t key,
                             int64_t now_ms, int64_t est_tokens);

/* Correct a reservation of EST tokens with the response's real usage. */
void llmio__ratelimit_correct(struct llmio__ratelimiter *rl, uint64_t key,
                              int64_t now_ms, int64_t est, int64_t actual);

/* Adopt the limits (lowering only), remaining counts and resets that a
 * response reported for KEY. */
void llmio__ratelimit_observe_headers(struct llmio__ratelimiter *rl,
                                      uint64_t key, int64_t now_ms,
                                      const struct llmio__ratelimit_headers *h);

/* When KEY's pause ends (absolute ms; 0: KEY is unknown or was never
 * paused). Read-only: an unknown key is not added. */
int64_t llmio__ratelimit_paused_until(struct llmio__ratelimiter *rl,
                                      uint64_t key);

/* Whether KEY has state (it was used and not since forgotten). */
bool llmio__ratelimit_has_key(struct llmio__ratelimiter *rl, uint64_t key);

/* A 429 for KEY: no request for KEY is granted before UNTIL_MS. */
void llmio__ratelimit_pause(struct llmio__ratelimiter *rl, uint64_t key,
                            int64_t now_ms, int64_t until_ms);

#endif
