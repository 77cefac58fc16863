/*
 * llmio.h - the whole public C API of llmio, an async client for LLM APIs.
 *
 * One client talks to every provider (OpenAI and compatibles first; the
 * model string "provider/model" picks the provider). Every request is a
 * future that completes exactly once, with a response or a typed error.
 *
 * Conventions (docs/API.md has the long form):
 *  - Ownership tags: [borrowed] caller keeps it; [copied] the library copies
 *    it before returning; [taken] the library owns it from now on; [new] the
 *    caller frees the result; [out] written on success, NULL/0 on failure.
 *  - Every _new has a _free, and _free(NULL) does nothing.
 *  - Strings are UTF-8 and NUL-terminated unless a length is given.
 *  - Time is in milliseconds. A timeout of -1 waits forever, 0 polls once.
 *  - Callbacks run only inside llmio_client_step/run, llmio_future_wait*,
 *    the loop-hook entry points, or llmio_client_free; never inside the
 *    call that started the operation.
 */
#ifndef LLMIO_H
#define LLMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LLMIO_BUILDING) && defined(__GNUC__)
#define LLMIO_API __attribute__((visibility("default")))
#else
#define LLMIO_API
#endif

/* ===================================================================== */
/* Version and global init                                                */
/* ===================================================================== */

#define LLMIO_VERSION_MAJOR 0
#define LLMIO_VERSION_MINOR 1
#define LLMIO_VERSION_PATCH 0

/*
 * llmio_version - the library's version as "MAJOR.MINOR.PATCH".
 *
 * Returns:  [borrowed] static string; equals the header's version when the
 *           header and the library match.
 * Thread:   any.
 * Since:    0.1
 */
LLMIO_API const char *llmio_version(void);

/* ===================================================================== */
/* Status and error                                                       */
/* ===================================================================== */

/*
 * The one status table. Columns: name, retryable (1/0), CLI exit code,
 * message. It generates llmio_status, llmio_status_name(),
 * llmio_status_str(), llmio_status_retryable(), llmio_status_exit_code()
 * and the Python exception classes, so they cannot drift apart.
 * Exit codes: 0 success, 2 usage, 3-9 local, 10-19 transport, 20-29 HTTP.
 */
#define LLMIO_STATUS_MAP(X)                                                    \
    X(OK, 0, 0, "success")                                                     \
    X(E_INVALID, 0, 2, "invalid argument")                                     \
    X(E_STATE, 0, 3, "operation not allowed in this state")                    \
    X(E_NOMEM, 0, 4, "out of memory")                                          \
    X(E_UNSUPPORTED, 0, 5, "not supported by this provider or build")          \
    X(E_CONNECT, 1, 10, "could not connect")                                   \
    X(E_TLS, 0, 11, "TLS handshake or certificate failure")                    \
    X(E_NETWORK, 1, 12, "connection reset or closed mid-transfer")             \
    X(E_TIMEOUT, 1, 13, "timed out")                                           \
    X(E_CANCELLED, 0, 6, "cancelled")                                          \
    X(E_ABORTED, 0, 7, "aborted by a callback")                                \
    X(E_AUTH, 0, 20, "authentication failed")                                  \
    X(E_BAD_REQUEST, 0, 21, "request rejected by the provider")                \
    X(E_RATE_LIMIT, 1, 22, "rate limited")                                     \
    X(E_OVERLOADED, 1, 23, "provider overloaded")                              \
    X(E_SERVER, 1, 24, "provider server error")                                \
    X(E_HTTP, 0, 25, "unexpected HTTP status")                                 \
    X(E_PROTOCOL, 0, 14, "malformed response from the server")                 \
    X(E_TOO_BIG, 0, 15, "response exceeded a configured limit")               \
    X(E_CONTEXT_LENGTH, 0, 26, "prompt exceeds the model's context window")

typedef enum llmio_status {
#define LLMIO_STATUS_ENUM_(name, retry, exit_code, msg) LLMIO_##name,
    LLMIO_STATUS_MAP(LLMIO_STATUS_ENUM_)
#undef LLMIO_STATUS_ENUM_
        LLMIO_STATUS_COUNT_
} llmio_status;

/*
 * llmio_status_name - the enumerator's name without prefix, e.g. "E_TIMEOUT".
 *
 * Returns:  [borrowed] static string; "E_UNKNOWN" for a value outside the
 *           table.
 * Thread:   any.
 * Since:    0.1
 */
LLMIO_API const char *llmio_status_name(llmio_status st);

/*
 * llmio_status_str - a short human message for ST, e.g. "timed out".
 *
 * Returns:  [borrowed] static string; "unknown status" outside the table.
 * Thread:   any.
 * Since:    0.1
 */
LLMIO_API const char *llmio_status_str(llmio_status st);

/*
 * llmio_status_retryable - whether a request that ended with ST may be
 * retried (the table's retry column).
 *
 * Returns:  true or false; false for LLMIO_OK and unknown values.
 * Thread:   any.
 * Since:    0.1
 */
LLMIO_API bool llmio_status_retryable(llmio_status st);

/*
 * llmio_status_exit_code - the process exit code the CLI uses for ST.
 *
 * Returns:  the table's exit column; 1 for unknown values.
 * Thread:   any.
 * Since:    0.1
 */
LLMIO_API int llmio_status_exit_code(llmio_status st);

/*
 * llmio_error - details of a failure. A value struct the caller allocates;
 * filling it never allocates, so out-of-memory can be reported too.
 * String fields are NUL-terminated, truncated to fit, and never hold an
 * API key.
 */
typedef struct llmio_error {
    llmio_status code;       /* the status */
    int http_status;         /* 0 when no HTTP response was received */
    int transport_code;      /* libcurl result code; 0 if none */
    int attempts;            /* HTTP attempts made, retries included */
    int64_t retry_after_ms;  /* from Retry-After / provider hints; -1 absent */
    char provider_type[64];  /* provider's error kind, e.g. error.type */
    char provider_code[64];  /* provider's machine code, e.g. error.code */
    char request_id[128];    /* x-request-id or the provider's equivalent */
    char message[512];       /* provider's message, else the library's */
    char reserved_[128];     /* room for fields added later; zeroed */
} llmio_error;

/* ===================================================================== */
/* Allocator                                                              */
/* ===================================================================== */

/*
 * llmio_allocator - memory hooks for one client. Every hook receives USER.
 * MALLOC and REALLOC return NULL on failure, which the library reports as
 * LLMIO_E_NOMEM; it never aborts. FREE(NULL) is never called.
 */
typedef struct llmio_allocator {
    void *(*malloc)(size_t size, void *user);
    void *(*realloc)(void *ptr, size_t size, void *user);
    void (*free)(void *ptr, void *user);
    void *user;
    void *reserved_[4];
} llmio_allocator;

/* ===================================================================== */
/* Global init                                                            */
/* ===================================================================== */

/*
 * llmio_global_init - initialise process-wide state (libcurl's global init).
 *
 * Call once before starting threads. llmio_client_new() calls it on first use
 * when the caller did not, which is safe in single-threaded programs.
 *
 * Returns:  LLMIO_OK, or LLMIO_E_NOMEM / LLMIO_E_UNSUPPORTED when the
 *           transport cannot initialise.
 * Thread:   not thread-safe; call before other threads exist.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_global_init(void);

/*
 * llmio_global_cleanup - release process-wide state. Call at exit, after
 * every client is freed.
 *
 * Thread:   not thread-safe.
 * Since:    0.1
 */
LLMIO_API void llmio_global_cleanup(void);

/* ===================================================================== */
/* Client                                                                 */
/* ===================================================================== */

typedef struct llmio_client llmio_client;
typedef struct llmio_request llmio_request;
typedef struct llmio_future llmio_future;
typedef struct llmio_response llmio_response;

/* Timeout kinds, settable per client and per request. Every default is
 * finite, so nothing waits forever unless asked to. */
typedef enum llmio_timeout_kind {
    LLMIO_TIMEOUT_CONNECT = 0,    /* TCP+TLS connect; default 10 000 ms */
    LLMIO_TIMEOUT_TOTAL = 1,      /* whole request incl. retries; 600 000 */
    LLMIO_TIMEOUT_FIRST_BYTE = 2, /* request sent -> first response byte;
                                     default 120 000 ms */
    LLMIO_TIMEOUT_IDLE = 3        /* gap between received bytes; 60 000 */
} llmio_timeout_kind;

/*
 * llmio_client_new - create a client: a connection pool plus every
 * operation in flight, driven by one thread at a time.
 *
 * Provider settings not set explicitly come from the environment when a
 * request first needs them: for openai, OPENAI_API_KEY, OPENAI_BASE_URL,
 * OPENAI_ORG_ID and OPENAI_PROJECT_ID. Proxies follow libcurl's variables
 * (http_proxy, https_proxy, all_proxy, no_proxy), but whether any proxy
 * variable is set is read here, once: a client created with none never
 * uses a proxy.
 *
 * Params:   alloc  [copied] allocator for everything this client allocates;
 *                  NULL uses libc.
 *           out    [out][new] the client; free with llmio_client_free().
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (OUT is NULL), LLMIO_E_NOMEM.
 * Thread:   any; the client is then used from one thread at a time.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_client_new(const llmio_allocator *alloc,
                                        llmio_client **out);

/*
 * llmio_client_free - complete every pending future with LLMIO_E_CANCELLED
 * (running its done callback), close all connections, release the client.
 *
 * Futures the caller still holds stay valid until llmio_future_free().
 * Called from inside a callback, the release is deferred until the
 * library call that ran the callback returns (other callbacks of that
 * dispatch still run first); submits are refused from then on.
 *
 * Params:   c  [taken] the client; NULL does nothing.
 * Thread:   the driving thread.
 * Since:    0.1
 */
LLMIO_API void llmio_client_free(llmio_client *c);

/*
 * llmio_client_set_api_key - set the API key for PROVIDER ("openai", ...;
 * NULL means "openai"). Overrides the environment. The key is never
 * logged, never put in an error message, and is zeroed when freed.
 *
 * Params:   key  [copied] the secret; NULL clears (environment used again).
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (unknown provider), LLMIO_E_NOMEM.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_client_set_api_key(llmio_client *c,
                                                const char *provider,
                                                const char *key);

/*
 * llmio_client_set_base_url - set the base URL for PROVIDER (NULL means
 * "openai"), e.g. "http://127.0.0.1:8080/v1". Overrides the environment
 * (OPENAI_BASE_URL, <PROVIDER>_BASE_URL) and the built-in default.
 *
 * Params:   url  [copied] http or https URL; NULL restores the default.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (unknown provider or not http(s)),
 *           LLMIO_E_NOMEM.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_client_set_base_url(llmio_client *c,
                                                 const char *provider,
                                                 const char *url);

/*
 * llmio_client_set_option - set a provider string option that has no
 * setter of its own: for openai "organization" and "project" (defaults
 * from OPENAI_ORG_ID and OPENAI_PROJECT_ID); "api_version" for azure
 * (default from OPENAI_API_VERSION, else "2024-10-21"; the value "v1"
 * selects Azure's v1 URL form, <endpoint>/openai/v1/..., instead of
 * <endpoint>/openai/deployments/<deployment>/...?api-version=...) and for
 * anthropic (the anthropic-version header, default "2023-06-01").
 *
 * Params:   provider  NULL means "openai".
 *           name      [borrowed] option name.
 *           value     [copied] NULL clears.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (unknown provider or option name,
 *           naming it in no error struct since there is none: check the
 *           name), LLMIO_E_NOMEM.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_client_set_option(llmio_client *c,
                                               const char *provider,
                                               const char *name,
                                               const char *value);

/*
 * llmio_client_add_header - add a header sent with every request of this
 * client, as "Name: value". Request headers (llmio_request_add_header)
 * with the same name win.
 *
 * Params:   header  [copied] "Name: value"; no CR or LF allowed.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (no colon, CR/LF), LLMIO_E_NOMEM.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_client_add_header(llmio_client *c,
                                               const char *header);

/*
 * llmio_client_set_timeout - set the client default for one timeout kind.
 *
 * Params:   ms  > 0. There is no "infinite": pick a large finite value.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (bad kind or ms <= 0).
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_client_set_timeout(llmio_client *c,
                                                llmio_timeout_kind kind,
                                                int64_t ms);

/*
 * llmio_client_set_max_response - cap the bytes of one response body
 * (default 64 MiB). Past it the request fails with LLMIO_E_TOO_BIG.
 *
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (0).
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_client_set_max_response(llmio_client *c,
                                                     size_t bytes);

/*
 * llmio_client_set_ca - choose the certificate authorities that verify
 * https servers: a PEM bundle (CA_FILE) and/or an OpenSSL hashed directory
 * (CA_PATH, as made by c_rehash/openssl rehash), e.g. a corporate proxy's
 * or a self-hosted server's private CA. Peer and host-name verification
 * always stay on; llmio has no switch to turn them off.
 *
 * A field left NULL takes the environment, read once when the first
 * request is made: CA_FILE from SSL_CERT_FILE, else CURL_CA_BUNDLE;
 * CA_PATH from SSL_CERT_DIR; else libcurl's built-in default (on Debian,
 * /etc/ssl/certs/ca-certificates.crt and /etc/ssl/certs). As with curl's
 * --cacert, a CA file replaces the default bundle but the default
 * directory still applies unless CA_PATH is given. Applies to requests
 * submitted after the call; a bad file named by the environment fails
 * those requests with LLMIO_E_TLS naming it. A server whose certificate
 * does not verify fails the request with LLMIO_E_TLS (not retried) and
 * libcurl's reason, e.g. "SSL certificate problem: unable to get local
 * issuer certificate".
 *
 * Params:   ca_file  [copied] nullable; must name a readable file.
 *           ca_path  [copied] nullable; must name a searchable directory.
 *           err      [out] nullable; the failure, naming the field.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID naming "ca_file" or "ca_path" with
 *           the path and the reason (nothing changed), LLMIO_E_NOMEM.
 * Thread:   the thread driving the client.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_client_set_ca(llmio_client *c, const char *ca_file,
                                           const char *ca_path,
                                           llmio_error *err);

/*
 * llmio_client_set_retry - the client's retry policy. A failed attempt is
 * tried again when it is transient: a connect failure, a reset or timeout,
 * HTTP 408, 409, 429 and 5xx other than 501/505, unless the server sent
 * "x-should-retry: false" (and "x-should-retry: true" retries any status).
 * Never retried: 4xx client errors, a 429 with code "insufficient_quota",
 * cancels and local errors, and a stream whose data already reached the
 * user (text would appear twice). The wait before retry N is the server's
 * hint (retry-after-ms, else Retry-After) or else a full-jitter backoff,
 * uniform in [0, min(MAX_DELAY_MS, BASE_DELAY_MS * 2^(N-1))]. A hint above
 * MAX_RETRY_AFTER_MS is not waited out: the request fails at once with the
 * hint in llmio_error.retry_after_ms. No retry is made whose wait would
 * end past the TOTAL timeout, which counts from submit across every
 * attempt. Waits arm the engine's timers; nothing blocks the loop. The
 * final llmio_error.attempts says how many attempts were made.
 *
 * Params:   max_attempts        attempts in all, the first included;
 *                               1 disables retries (1..100).
 *           base_delay_ms       backoff cap before the first retry (>= 0).
 *           max_delay_ms        backoff cap for any retry (>= base).
 *           max_retry_after_ms  longest server hint honoured (>= 0).
 *           Defaults: 3, 500, 8000, 120000. Any of the four may be -1:
 *           keep the client's current value (a fresh client's: the
 *           default), e.g. (5, -1, -1, -1) changes only the count.
 * Applies:  to attempts decided after the call, requests in flight
 *           included.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (a value out of range, checked
 *           after -1 is resolved; nothing is changed then).
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_client_set_retry(llmio_client *c,
                                              int max_attempts,
                                              int64_t base_delay_ms,
                                              int64_t max_delay_ms,
                                              int64_t max_retry_after_ms);

/*
 * llmio_client_set_stream_restart - opt in (ON true) to restarting a
 * stream whose data already reached the user when it fails in a way that
 * is otherwise retried (a reset, an idle timeout, an in-band overload
 * error), within the same attempt budget and TOTAL timeout. Off by
 * default: a silent retry would show the start of the answer twice, or
 * splice two different answers. With it on, the stream callback (or
 * llmio_future_next) first gets one LLMIO_DELTA_RESTARTED delta saying
 * how much of the failed attempt it had received (llmio_restart); every
 * delta before it is void, the accumulated response starts over, and the
 * final response holds only the last attempt's content.
 * llmio_request_set_stream_restart overrides this per request.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (C NULL).
 * Thread:   the driving thread.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_client_set_stream_restart(llmio_client *c,
                                                       bool on);

/*
 * llmio_client_set_retry_seed - seed the client's jitter generator
 * (seeded from the clock, process id and address by default), so a test
 * gets the same backoff delays on every run. Not for secrets.
 * Since:    0.2
 */
LLMIO_API void llmio_client_set_retry_seed(llmio_client *c, uint64_t seed);

/* One ended attempt, as given to an llmio_attempt_cb. */
typedef struct llmio_attempt_info {
    int attempt;        /* 1 for the first attempt */
    llmio_status status;/* how this attempt ended (LLMIO_OK for success) */
    int http_status;    /* 0 when no status line was received */
    int64_t delay_ms;   /* wait before the next attempt; -1: no retry */
    const char *why;    /* [borrowed, static] the retry decision: "ok",
                           "backoff", "retry-after", "retry-after-ms",
                           "not retryable", "x-should-retry: false",
                           "insufficient quota", "stream data delivered",
                           "max attempts", "retry-after too long",
                           "deadline" */
    const char *model;  /* [borrowed] the model string this attempt used,
                           e.g. "anthropic/claude-sonnet-4-5" */
    int fallback;       /* 0: the request's model; i: its i-th fallback */
    bool hedge;         /* the attempt is a hedge (second request) */
} llmio_attempt_info;

/*
 * llmio_attempt_cb - called once per attempt that ended on its own
 * (success, HTTP error, transport error or timeout; not for one ended by
 * a cancel, a stream callback's abort or a client free), before the
 * request's done_cb (for the last attempt) or before the wait for the
 * next one. Runs on the driving thread inside the loop. It may
 * call llmio_future_cancel(F) (no retry then: the future completes with
 * LLMIO_E_CANCELLED) but must not free F or the client, nor wait.
 * INFO is valid during the call only.
 */
typedef void (*llmio_attempt_cb)(llmio_future *f,
                                 const llmio_attempt_info *info, void *user);

/*
 * llmio_client_set_attempt_cb - set (or with CB NULL clear) the per-attempt
 * hook, for logs and metrics of retries.
 * Since:    0.2
 */
LLMIO_API void llmio_client_set_attempt_cb(llmio_client *c,
                                           llmio_attempt_cb cb, void *user);

/*
 * llmio_client_set_max_concurrency - cap the attempts on the wire at once
 * (0, the default: no cap). Requests over the cap wait in a FIFO inside
 * the engine, never blocking the loop, and start as slots free up; a
 * request waiting out a retry backoff holds no slot. The TOTAL timeout
 * runs while a request waits. Lowering the cap does not stop attempts
 * already running.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (C NULL).
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_client_set_max_concurrency(llmio_client *c,
                                                        size_t n);

/*
 * llmio_client_set_max_queued - bound the FIFO of requests waiting for a
 * concurrency slot (0, the default: no bound). With every slot busy and N
 * requests waiting, llmio_submit fails with LLMIO_E_STATE and the message
 * "request queue full". Cancelling a waiting request completes it with
 * LLMIO_E_CANCELLED at once and frees its place.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (C NULL).
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_client_set_max_queued(llmio_client *c, size_t n);

/* Hedged requests: see llmio_request_set_hedge(). Since 0.2. */
typedef enum llmio_hedge_mode {
    LLMIO_HEDGE_OFF = 0,   /* one request at a time */
    LLMIO_HEDGE_FIXED = 1, /* hedge after DELAY_MS */
    LLMIO_HEDGE_P95 = 2    /* hedge after the p95 time to first token seen
                              for the model on this client (once 20
                              answers were timed; DELAY_MS until then) */
} llmio_hedge_mode;

/*
 * llmio_client_set_hedge - the hedging default for requests that do not
 * call llmio_request_set_hedge (default LLMIO_HEDGE_OFF).
 * Params:   mode      LLMIO_HEDGE_OFF, _FIXED or _P95.
 *           delay_ms  the hedge delay for FIXED, and for P95 until enough
 *                     answers were timed; > 0 unless MODE is OFF.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (C NULL, unknown mode, DELAY_MS <= 0
 *           with hedging on).
 * Thread:   the driving thread.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_client_set_hedge(llmio_client *c,
                                              llmio_hedge_mode mode,
                                              int64_t delay_ms);

/*
 * llmio_client_set_rate_limit - limit the requests (RPM) and tokens (TPM)
 * per minute this client sends within SCOPE. Requests over budget wait
 * inside the engine (a timer, never a sleep or a blocked loop) and are
 * sent, in order per key, as the budget refills. The limit holds in every
 * sliding 60-second window, not just on average: a burst of RPM/10 goes
 * at once, the rest at the sustained rate (docs/internals/ratelimit.md).
 *
 * A request draws on every scope it matches, all or nothing: NULL or ""
 * (one budget for every request of the client), "provider" (e.g.
 * "openai": one budget per API key of that provider) and
 * "provider/model" (e.g. "openai/gpt-4o-mini": one per API key of that
 * model). Setting a scope again changes its limits, also for requests
 * already waiting. Requests submitted before the first matching call are
 * not limited.
 *
 * Limited requests also follow the server: each provider + model + API
 * key keeps buckets that x-ratelimit-limit/remaining/reset-* (OpenAI and
 * compatibles) and anthropic-ratelimit-* headers lower (never raise above
 * RPM/TPM), and a 429 (or a 503/529 with a hint) pauses that whole key,
 * every waiting request included, until the Retry-After / retry-after-ms
 * hint (else the reset of the exhausted budget, else 1 s). Requests no
 * limit covers are held after a 429 too (llmio_client_set_rate_pause). The request that got the 429 is
 * retried by the retry policy (llmio_client_set_retry), through the
 * limiter again.
 *
 * Tokens are estimated before sending as the serialised body's bytes / 4
 * + 4, plus max_completion_tokens or max_tokens when set, and corrected
 * from the response's usage (an under-estimate becomes a debt later
 * requests wait out). A request whose wait would end past its TOTAL
 * timeout fails at once with LLMIO_E_RATE_LIMIT and the wait in
 * llmio_error.retry_after_ms; one still waiting when the TOTAL timeout
 * passes fails with LLMIO_E_TIMEOUT. Cancelling a waiting request
 * completes it with LLMIO_E_CANCELLED at once. Rate waits are not counted
 * by llmio_client_set_max_queued.
 *
 * Params:   scope  [copied] NULL, "", "provider" or "provider/model"
 *                  (a known provider name).
 *           rpm    requests per minute, >= 0; 0: no request limit.
 *           tpm    tokens per minute, >= 0; 0: no token limit. With both
 *                  0 the scope is not limited by us but still follows
 *                  the server's headers and 429s.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (C NULL, unknown provider in
 *           SCOPE, empty model after '/', negative RPM or TPM),
 *           LLMIO_E_NOMEM.
 * Thread:   the thread driving the client.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_client_set_rate_limit(llmio_client *c,
                                                   const char *scope,
                                                   int64_t rpm, int64_t tpm);

/*
 * llmio_client_set_shared_rate_limit - make SCOPE's requests also draw on
 * a budget shared with every process on this machine (same user) that
 * joins NAME: N worker processes on one API key stay together under RPM
 * and TPM. The budget lives in POSIX shared memory ("/llmio-bucket-NAME.req"
 * and "...NAME.tok", mode 0600), created by the first process that joins
 * and kept until llmio_shared_rate_limit_unlink(); a process joining with
 * other limits changes them for everyone. A 429 seen by one process
 * pauses all of them; usage corrections are shared. Scopes match as in
 * llmio_client_set_rate_limit, whose local limits apply as well when set.
 *
 * Params:   scope  [copied] as in llmio_client_set_rate_limit.
 *           name   [copied] 1..196 characters of [A-Za-z0-9._-].
 *           rpm    requests per minute for all processes together, >= 0.
 *           tpm    tokens per minute for all processes together, >= 0
 *                  (not both 0; 0: that kind is not shared).
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (scope, name, limits),
 *           LLMIO_E_NOMEM, LLMIO_E_UNSUPPORTED (no shared memory),
 *           LLMIO_E_STATE (a segment of that name with another layout,
 *           or another user's).
 * Thread:   the thread driving the client.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_client_set_shared_rate_limit(llmio_client *c,
                                                          const char *scope,
                                                          const char *name,
                                                          int64_t rpm,
                                                          int64_t tpm);

/*
 * llmio_shared_rate_limit_unlink - remove the shared budget NAME from the
 * system. Processes that joined it keep using it until their clients are
 * freed; a later join creates a fresh, full budget.
 *
 * Params:   name  [borrowed] as in llmio_client_set_shared_rate_limit.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (bad name), LLMIO_E_STATE (no such
 *           budget, or not ours).
 * Thread:   any.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_shared_rate_limit_unlink(const char *name);

/*
 * llmio_client_set_rate_pause - whether a rate-limited answer pauses its
 * whole key when no limit (llmio_client_set_rate_limit) covers the
 * request. On by default. A 429, or a 503/529 that carries Retry-After /
 * retry-after-ms, from provider + model + API key K holds K for this
 * client until retry-after-ms, else Retry-After, else (429 only) the
 * reset of the exhausted budget, else 1 s: requests to K waiting for a
 * slot, retrying or submitted meanwhile wait instead of each collecting
 * its own 429 (a hold is a timer: no slot is taken, nothing sleeps).
 * After it the held requests go at its end plus a jitter uniform in
 * [0, the retry policy's base delay], not all at once. A held request
 * whose TOTAL timeout ends before its turn fails at once with
 * LLMIO_E_RATE_LIMIT and the wait in llmio_error.retry_after_ms; a
 * cancel completes it at once. Other keys, and other models of the same
 * key, are not held. Off (ON false): each request waits only for its own
 * retry; requests already held keep their wait.
 * Configured limits always pause their key on a 429 (and follow the
 * rate-limit headers, which an unlimited request does not parse).
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (C NULL).
 * Thread:   the thread driving the client.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_client_set_rate_pause(llmio_client *c, bool on);

/*
 * llmio_client_set_user - attach user data to the client. DTOR, if not
 * NULL, runs with USER when the client is freed or the data replaced.
 *
 * Since:    0.1
 */
LLMIO_API void llmio_client_set_user(llmio_client *c, void *user,
                                     void (*dtor)(void *user));

/*
 * llmio_client_user - the user data set by llmio_client_set_user(), or NULL.
 *
 * Since:    0.1
 */
LLMIO_API void *llmio_client_user(const llmio_client *c);

/*
 * llmio_client_pending - the number of accepted operations not yet
 * completed.
 *
 * Since:    0.1
 */
LLMIO_API size_t llmio_client_pending(const llmio_client *c);

/* ===================================================================== */
/* Request builder                                                        */
/* ===================================================================== */

typedef enum llmio_role {
    LLMIO_ROLE_SYSTEM = 0,
    LLMIO_ROLE_DEVELOPER = 1,
    LLMIO_ROLE_USER = 2,
    LLMIO_ROLE_ASSISTANT = 3,
    LLMIO_ROLE_TOOL = 4
} llmio_role;

/*
 * Every setter below returns LLMIO_OK or the builder's first error, which
 * is sticky: once a call fails (LLMIO_E_INVALID, LLMIO_E_NOMEM) later calls
 * do nothing and llmio_submit() reports that first error with the field
 * named in llmio_request_error(). All strings are [copied].
 */

/*
 * llmio_request_new - create a request builder for MODEL.
 *
 * Params:   model  [copied] "provider/model" split at the first '/', e.g.
 *                  "openai/gpt-4o-mini"; a model without '/' means openai.
 *                  NULL leaves it unset (submit then fails, naming
 *                  "model").
 * Returns:  [new] the builder, or NULL when out of memory.
 * Since:    0.1
 */
LLMIO_API llmio_request *llmio_request_new(const char *model);

/*
 * llmio_request_free - release a builder. Futures submitted from it are
 * unaffected (submit takes a snapshot). NULL does nothing.
 *
 * Since:    0.1
 */
LLMIO_API void llmio_request_free(llmio_request *r);

/*
 * llmio_request_error - the builder's first error and the field it names.
 *
 * Params:   err  [out] nullable; code and message ("messages[2].role: ...").
 * Returns:  the sticky status (LLMIO_OK when none).
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_request_error(const llmio_request *r,
                                           llmio_error *err);

/* llmio_request_set_model - replace the model string (see _new). */
LLMIO_API llmio_status llmio_request_set_model(llmio_request *r,
                                               const char *model);

/*
 * llmio_request_add_message - append a message with ROLE and plain-text
 * CONTENT. CONTENT may be NULL: then content parts follow
 * (llmio_request_add_text / _add_image_url), or, for an assistant message,
 * tool calls follow and content is sent as JSON null.
 *
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (bad role), LLMIO_E_NOMEM.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_request_add_message(llmio_request *r,
                                                 llmio_role role,
                                                 const char *content);

/*
 * llmio_request_add_text - append a text part to the last message, which
 * then sends its content as an array of parts.
 *
 * Returns:  LLMIO_E_INVALID when there is no message yet.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_request_add_text(llmio_request *r,
                                              const char *text);

/*
 * llmio_request_add_image_url - append an image part to the last message.
 *
 * Params:   url     http(s) URL or "data:<mime>;base64,..." URL.
 *           detail  "auto", "low", "high", or NULL (omitted).
 * Returns:  LLMIO_E_INVALID when there is no message or the last message
 *           is not a user message, or DETAIL is another value.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_request_add_image_url(llmio_request *r,
                                                   const char *url,
                                                   const char *detail);

/*
 * llmio_request_set_name - set the "name" of the last message.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_request_set_name(llmio_request *r,
                                              const char *name);

/*
 * llmio_request_add_tool_call - append a tool call to the last message,
 * which must be an assistant message (replaying a model's earlier call).
 *
 * Params:   id         the call id the model gave, e.g. "call_7Qx1".
 *           name       the function name.
 *           arguments  the arguments as JSON text (sent as a JSON string,
 *                      as the API requires); NULL means "{}".
 * Returns:  LLMIO_E_INVALID when the last message is not an assistant's.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_request_add_tool_call(llmio_request *r,
                                                   const char *id,
                                                   const char *name,
                                                   const char *arguments);

/*
 * llmio_request_set_tool_call_signature - attach the provider's opaque
 * signature to the last tool call of the last message, as the earlier
 * response gave it (llmio_tool_call.signature). Gemini's thinking models
 * sign their function calls (thoughtSignature) and may reject a history
 * whose calls lost the signature; the other providers do not send it.
 *
 * Params:   signature  [copied] non-empty text, sent back unchanged.
 * Returns:  LLMIO_E_INVALID naming "messages[i].tool_calls" when the last
 *           message has no tool call, or "...signature" when SIGNATURE is
 *           NULL or empty.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_request_set_tool_call_signature(
    llmio_request *r, const char *signature);

/*
 * llmio_request_add_tool_result - append a tool message answering the call
 * TOOL_CALL_ID with CONTENT (text; JSON results are sent as text; NULL
 * sends an empty string).
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_request_add_tool_result(llmio_request *r,
                                                     const char *tool_call_id,
                                                     const char *content);

/*
 * llmio_request_add_tool - offer a function tool to the model.
 *
 * Params:   name         [a-zA-Z0-9_-]{1,64}.
 *           description  nullable.
 *           parameters   nullable JSON Schema object as JSON text; it is
 *                        validated as JSON and sent as the same value,
 *                        re-serialised compactly (whitespace removed).
 * Returns:  LLMIO_E_INVALID naming "tools[i].name" or
 *           "tools[i].parameters".
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_request_add_tool(llmio_request *r,
                                              const char *name,
                                              const char *description,
                                              const char *parameters);

/*
 * llmio_request_set_tool_choice - "auto", "none", "required", or the name
 * of one offered function (sent as {"type":"function",...}).
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_request_set_tool_choice(llmio_request *r,
                                                     const char *choice);

/*
 * llmio_request_set_response_format - structured output.
 *
 * Params:   type    "text", "json_object" or "json_schema".
 *           name    json_schema only: the schema name ([a-zA-Z0-9_-]).
 *           schema  json_schema only: JSON Schema as JSON text.
 *           strict  json_schema only.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_request_set_response_format(llmio_request *r,
                                                         const char *type,
                                                         const char *name,
                                                         const char *schema,
                                                         bool strict);

/* Sampling and limits. Each is sent only when set. Ranges are checked:
 * temperature 0..2, top_p 0..1, tokens >= 1, n 1..128, top_logprobs 0..20. */
LLMIO_API llmio_status llmio_request_set_temperature(llmio_request *r,
                                                     double t);
LLMIO_API llmio_status llmio_request_set_top_p(llmio_request *r, double p);
/* Sends "max_tokens" (deprecated by OpenAI, still the common field). */
LLMIO_API llmio_status llmio_request_set_max_tokens(llmio_request *r,
                                                    int64_t n);
/* Sends "max_completion_tokens" (required by reasoning models). */
LLMIO_API llmio_status llmio_request_set_max_completion_tokens(
    llmio_request *r, int64_t n);
/* Appends one stop sequence (at most 4). */
LLMIO_API llmio_status llmio_request_add_stop(llmio_request *r,
                                              const char *stop);
LLMIO_API llmio_status llmio_request_set_n(llmio_request *r, int n);
LLMIO_API llmio_status llmio_request_set_seed(llmio_request *r,
                                              int64_t seed);
LLMIO_API llmio_status llmio_request_set_user(llmio_request *r,
                                              const char *user);
/* Requests token logprobs, with TOP alternatives per token (0..20). */
LLMIO_API llmio_status llmio_request_set_logprobs(llmio_request *r,
                                                  bool on, int top);

/*
 * llmio_request_set_raw - set any top-level body field the builder does not
 * model, as raw JSON text (validated, sent compactly re-serialised). It
 * replaces a modelled field of the same name; setting a KEY again replaces
 * its value; VALUE_JSON NULL removes KEY. Example: ("reasoning_effort",
 * "\"low\"").
 *
 * Returns:  LLMIO_E_INVALID naming the key when VALUE_JSON is not JSON.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_request_set_raw(llmio_request *r,
                                             const char *key,
                                             const char *value_json);

/*
 * llmio_request_set_json - apply an OpenAI Chat Completions request body
 * (the JSON object POSTed to /v1/chat/completions) to the builder, field
 * by field through the setters above: "model" replaces the model,
 * "messages" are appended (roles system, developer, user, assistant, tool;
 * content as a string, null, or text and image_url parts; name,
 * tool_calls, tool_call_id), the sampling fields, "stop", "user",
 * "tools", "tool_choice" and "response_format" are set. "prompt" (a
 * string) appends a user message. "stream" and "stream_options" are
 * ignored (streaming is llmio_request_set_stream's choice); every other
 * field goes to llmio_request_set_raw() unchanged. The provider then
 * translates as for C calls, so one body serves every provider.
 *
 * Params:   json  [borrowed] LEN bytes of JSON text (no NUL needed).
 * Returns:  LLMIO_OK, or the sticky error naming the field by its JSON
 *           path ("messages[1].role: unknown role 'robot'", "json:
 *           column 9: ..."): LLMIO_E_INVALID, LLMIO_E_NOMEM.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_request_set_json(llmio_request *r,
                                              const char *json, size_t len);

/*
 * llmio_request_from_jsonl - build a request from one line of a JSONL
 * batch file. A line is a Chat Completions body (see
 * llmio_request_set_json; {"prompt": "..."} alone is enough), or an
 * OpenAI Batch API line {"custom_id", "method": "POST", "url":
 * "/v1/chat/completions", "body": {...}}. Either may carry a "custom_id"
 * string, copied to ID.
 *
 * Params:   line           [borrowed] LEN bytes, one JSON object.
 *           default_model  [borrowed] nullable; used when the line has no
 *                          "model".
 *           out            [out][new] the request; NULL on failure.
 *           id             [out] nullable buffer of ID_CAP bytes for
 *                          "custom_id" (truncated; "" when absent).
 *           err            [out] nullable; the failure, naming the field.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (not JSON, no model, no messages, a
 *           bad field), LLMIO_E_UNSUPPORTED (a Batch API line for another
 *           url or method), LLMIO_E_NOMEM.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_request_from_jsonl(const char *line, size_t len,
                                                const char *default_model,
                                                llmio_request **out, char *id,
                                                size_t id_cap,
                                                llmio_error *err);

/*
 * llmio_request_add_header - add an HTTP header for this request only, as
 * "Name: value". Wins over client headers of the same name.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_request_add_header(llmio_request *r,
                                                const char *header);

/*
 * llmio_request_set_timeout - per-request override of a client timeout.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_request_set_timeout(llmio_request *r,
                                                 llmio_timeout_kind kind,
                                                 int64_t ms);

/*
 * llmio_request_set_retry - this request's own retry policy, overriding
 * the client's (llmio_client_set_retry, same meaning and ranges). A value
 * of -1 keeps the client's setting for that field, read when each attempt
 * ends. Example: (1, -1, -1, -1) disables retries for this request only.
 *
 * Params:   max_attempts        1..100, or -1.
 *           base_delay_ms       >= 0, or -1.
 *           max_delay_ms        >= 0 (and >= BASE_DELAY_MS when both are
 *                               given), or -1.
 *           max_retry_after_ms  >= 0, or -1.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID naming "retry.max_attempts",
 *           "retry" (a delay below -1) or "retry.max_delay_ms".
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_request_set_retry(llmio_request *r,
                                               int max_attempts,
                                               int64_t base_delay_ms,
                                               int64_t max_delay_ms,
                                               int64_t max_retry_after_ms);

/*
 * llmio_request_set_stream_restart - per-request override of
 * llmio_client_set_stream_restart (ON true: a failed stream is re-sent
 * after its data reached the user, announced by LLMIO_DELTA_RESTARTED).
 * Returns:  LLMIO_OK, or the builder's sticky error (llmio_request_error).
 * Thread:   the thread that owns R.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_request_set_stream_restart(llmio_request *r,
                                                        bool on);

/* ---- fallbacks and hedged requests (docs/internals/resilience.md) ---- */

/* Failure classes that move a request to a fallback model (bit mask). A
 * class applies once the failed model's own retries are spent. Since 0.2. */
typedef enum llmio_fallback_on {
    LLMIO_FALLBACK_CONTEXT_LENGTH = 1, /* LLMIO_E_CONTEXT_LENGTH: the prompt
                                          is over the model's window */
    LLMIO_FALLBACK_OUTAGE = 2,      /* E_OVERLOADED, E_SERVER, E_CONNECT,
                                       E_TLS, E_NETWORK, E_TIMEOUT */
    LLMIO_FALLBACK_RATE_LIMIT = 4,  /* E_RATE_LIMIT (key exhausted, quota,
                                       Retry-After too long) */
    LLMIO_FALLBACK_AUTH = 8,        /* E_AUTH */
    LLMIO_FALLBACK_BAD_REQUEST = 16, /* E_BAD_REQUEST, E_HTTP */
    /* Context length, outage and rate limit: what another model can fix. */
    LLMIO_FALLBACK_DEFAULT = 7,
    LLMIO_FALLBACK_ANY = 31
} llmio_fallback_on;

/*
 * llmio_request_add_fallback - append MODEL to the request's ordered
 * fallback list (at most 8). When the request's model (or the fallback
 * in use) fails for good with a status in a class of ON, the request
 * moves on to the first later fallback whose ON has that class; none
 * left, the request fails. So a list can hold a bigger model for
 * LLMIO_FALLBACK_CONTEXT_LENGTH and another provider for
 * LLMIO_FALLBACK_OUTAGE, and a context-length failure skips the latter.
 * Nothing falls back after stream data reached the user, on a cancel, an
 * abort or a local error, nor past the TOTAL timeout (which counts from
 * submit across every model). Each model gets the client's retries.
 * llmio_submit serialises the request for every model at once (each
 * provider's own body; unknown providers fail there, naming
 * "fallbacks[i].model"), so the builder may still be freed right away.
 * The response names the model that served it
 * (llmio_response_served_by); a final error's message lists every model
 * tried with its status; the attempt hook sees each model's attempts.
 *
 * Params:   model  [copied] "provider/model", any provider.
 *           on     a non-empty set of LLMIO_FALLBACK_* bits.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID ("fallbacks[i].model",
 *           "fallbacks[i].on", more than 8), LLMIO_E_NOMEM.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_request_add_fallback(llmio_request *r,
                                                  const char *model,
                                                  unsigned on);

/*
 * llmio_request_set_hedge - send a second, identical request when the
 * first has not answered after a delay (MODE). "Answered" is the first
 * byte of a 2xx body, or for a stream the first content delta (text,
 * reasoning, refusal, tool call, logprob or finish). Whichever request
 * answers first wins: the other is cancelled at once (its connection
 * closed) and the caller sees only the winner's deltas and response; the
 * future still completes exactly once, and cancelling it cancels both.
 * If one of the two fails before either answered, the other carries on
 * alone. One hedge per model (a fallback model may hedge again). Both
 * requests count: llmio_response_hedges() says a hedge was sent, its
 * prompt was billed like the winner's and its completion tokens are
 * unknown (it was cancelled); each request takes a concurrency slot.
 * Overrides the client's default (llmio_client_set_hedge).
 *
 * Params:   mode      LLMIO_HEDGE_OFF, _FIXED or _P95.
 *           delay_ms  > 0 unless MODE is OFF.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID ("hedge").
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_request_set_hedge(llmio_request *r,
                                               llmio_hedge_mode mode,
                                               int64_t delay_ms);

/* ===================================================================== */
/* Responses and stream deltas                                            */
/* ===================================================================== */

typedef enum llmio_finish_reason {
    LLMIO_FINISH_NONE = 0,       /* not finished (stream cut, or pending) */
    LLMIO_FINISH_STOP = 1,       /* natural end or a stop sequence */
    LLMIO_FINISH_LENGTH = 2,     /* token limit */
    LLMIO_FINISH_TOOL_CALLS = 3, /* the model called tools */
    LLMIO_FINISH_CONTENT_FILTER = 4,
    LLMIO_FINISH_OTHER = 5       /* anything else: see the raw string */
} llmio_finish_reason;

/* Token usage. Fields are -1 when the provider did not report them. */
typedef struct llmio_usage {
    int64_t prompt_tokens;
    int64_t completion_tokens;
    int64_t total_tokens;
    int64_t cached_tokens;    /* prompt tokens served from cache */
    int64_t reasoning_tokens; /* completion tokens spent reasoning */
    int64_t reserved_[4];
} llmio_usage;

/* One tool call of a response: [borrowed] from the response. */
typedef struct llmio_tool_call {
    const char *id;
    const char *name;
    const char *arguments; /* JSON text as the model produced it; may be
                              invalid JSON if the model was cut off */
    size_t arguments_len;
    const char *signature; /* the provider's opaque signature of the call
                              (Gemini thoughtSignature), to give back with
                              llmio_request_set_tool_call_signature();
                              NULL when none (since 0.2) */
    const void *reserved_[3];
} llmio_tool_call;

typedef enum llmio_delta_kind {
    LLMIO_DELTA_START = 0,     /* a choice begins: role, id, model */
    LLMIO_DELTA_TEXT = 1,      /* content fragment */
    LLMIO_DELTA_REASONING = 2, /* reasoning/thinking fragment */
    LLMIO_DELTA_REFUSAL = 3,   /* refusal fragment */
    LLMIO_DELTA_TOOL_CALL = 4, /* tool-call fragment for tool_index */
    LLMIO_DELTA_FINISH = 5,    /* the choice finished: finish, finish_raw */
    LLMIO_DELTA_USAGE = 6,     /* usage totals */
    LLMIO_DELTA_LOGPROB = 7,   /* one token's logprob: text, logprob */
    LLMIO_DELTA_ERROR = 8,     /* in-band error: text = message; the future
                                  then completes with the error, unless
                                  a RESTARTED delta follows (opt-in) */
    LLMIO_DELTA_RESTARTED = 9  /* the stream failed and is re-sent (opt-in,
                                  llmio_client_set_stream_restart): every
                                  delta before this one is void; RESTART
                                  says how much was discarded */
} llmio_delta_kind;

/*
 * llmio_restart - what a RESTARTED delta discards: the failed attempt's
 * deltas the user had received. Counts cover that attempt only.
 * Since 0.2.
 */
typedef struct llmio_restart {
    int attempt;           /* the failed attempt (1-based); the next one is
                              ATTEMPT + 1 */
    llmio_status status;   /* how it failed (LLMIO_E_NETWORK, _TIMEOUT...) */
    int64_t delay_ms;      /* wait before the next attempt */
    size_t deltas;         /* deltas delivered, of every kind */
    size_t text_bytes;     /* bytes of TEXT, REASONING and REFUSAL text */
    size_t text_chars;     /* the same text in UTF-8 characters */
    size_t tool_fragments; /* TOOL_CALL deltas */
    size_t reserved_[4];
} llmio_restart;

/*
 * llmio_delta - one streamed event, normalised across providers. Filled by
 * the library and [borrowed] for the duration of the callback (or until the
 * next llmio_future_next() call). Pointers not used by KIND are NULL.
 */
typedef struct llmio_delta {
    llmio_delta_kind kind;
    int choice;             /* choice index */
    const char *text;       /* TEXT/REASONING/REFUSAL fragment, TOOL_CALL
                               argument fragment, ERROR message, LOGPROB
                               token */
    size_t text_len;
    int tool_index;         /* TOOL_CALL: index of the call in the choice */
    const char *tool_id;    /* TOOL_CALL: on the call's first fragment */
    const char *tool_name;  /* TOOL_CALL: on the call's first fragment */
    llmio_finish_reason finish; /* FINISH */
    const char *finish_raw; /* FINISH: the provider's own reason string */
    const llmio_usage *usage;   /* USAGE */
    double logprob;         /* LOGPROB */
    const char *id;         /* START: response id */
    const char *model;      /* START: model that serves the request */
    int64_t created;        /* START: unix seconds, 0 if unknown */
    const char *error_type; /* ERROR: provider error type */
    const llmio_restart *restart; /* RESTARTED */
    const char *signature;  /* TOOL_CALL: the call's opaque signature, on
                               one of its fragments (since 0.2) */
    const void *reserved_[4];
} llmio_delta;

/*
 * Response accessors. R is [borrowed] from its future and lives until
 * llmio_future_free(). A streamed request yields the same response a
 * non-streaming one would (assembled from its deltas). Out-of-range
 * CHOICE or I gives NULL / 0 / LLMIO_FINISH_NONE. Every accessor accepts a
 * NULL response.
 */
LLMIO_API const char *llmio_response_id(const llmio_response *r);
LLMIO_API const char *llmio_response_model(const llmio_response *r);
/* The provider that served it ("openai", ...). */
LLMIO_API const char *llmio_response_provider(const llmio_response *r);
LLMIO_API int64_t llmio_response_created(const llmio_response *r);
LLMIO_API size_t llmio_response_choices(const llmio_response *r);
/* Message content of CHOICE; LEN (nullable) gets its byte length. NULL
 * when the message had no content (only tool calls, or "" / null). */
LLMIO_API const char *llmio_response_text(const llmio_response *r,
                                          size_t choice, size_t *len);
LLMIO_API const char *llmio_response_refusal(const llmio_response *r,
                                             size_t choice);
LLMIO_API const char *llmio_response_reasoning(const llmio_response *r,
                                               size_t choice, size_t *len);
LLMIO_API llmio_finish_reason llmio_response_finish(const llmio_response *r,
                                                    size_t choice);
LLMIO_API const char *llmio_response_finish_raw(const llmio_response *r,
                                                size_t choice);
LLMIO_API size_t llmio_response_tool_calls(const llmio_response *r,
                                           size_t choice);
LLMIO_API const llmio_tool_call *
llmio_response_tool_call(const llmio_response *r, size_t choice, size_t i);
/* Number of logprob tokens of CHOICE, and token I of them. */
LLMIO_API size_t llmio_response_logprobs(const llmio_response *r,
                                         size_t choice);
LLMIO_API const char *llmio_response_logprob(const llmio_response *r,
                                             size_t choice, size_t i,
                                             double *logprob);
/*
 * llmio_response_served_by - the model string that served R, as the
 * request named it ("openai/gpt-4o-mini", or the fallback used).
 * Params:   index  [out] nullable; 0 for the request's own model, i for
 *                  its i-th fallback.
 * Returns:  [borrowed] from R's future; NULL for a NULL R.
 * Since:    0.2
 */
LLMIO_API const char *llmio_response_served_by(const llmio_response *r,
                                               int *index);
/* Hedge requests sent for R (0 or more: at most one per model tried with
 * hedging), whether the hedge or the first copy won; the loser of each
 * pair was cancelled at once. A loser was billed the prompt tokens of R's
 * usage at most; its completion tokens are unknown. Since 0.2. */
LLMIO_API int llmio_response_hedges(const llmio_response *r);
/* Usage (all -1 when the provider reported none). */
LLMIO_API llmio_usage llmio_response_usage(const llmio_response *r);
/* The response as JSON: the provider's body for a non-streaming request,
 * the assembled chat.completion object for a stream. */
LLMIO_API const char *llmio_response_json(const llmio_response *r,
                                          size_t *len);

/* ===================================================================== */
/* Submit and futures                                                     */
/* ===================================================================== */

/* Completion callback: runs exactly once per accepted request. */
typedef void (*llmio_done_cb)(llmio_future *f, void *user);

/* Stream callback: each delta in order, all before done_cb. Return 0 to go
 * on, non-zero to stop: the future then completes with LLMIO_E_ABORTED. */
typedef int (*llmio_stream_cb)(llmio_future *f, const llmio_delta *d,
                               void *user);

/*
 * llmio_request_set_stream - stream the response. With CB, deltas are
 * pushed to CB; with CB NULL they are queued for llmio_future_next().
 * INCLUDE_USAGE asks for the final usage event (OpenAI
 * stream_options.include_usage); it defaults to true when streaming.
 *
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_request_set_stream(llmio_request *r,
                                                llmio_stream_cb cb,
                                                bool include_usage);

/*
 * llmio_submit - start R on C. The request is snapshotted: R may be changed
 * or freed as soon as this returns.
 *
 * Params:   c     [borrowed] the client.
 *           r     [borrowed] the request.
 *           done  nullable completion callback.
 *           user  passed to DONE and the stream callback.
 *           out   [out][new] the future; free with llmio_future_free().
 * Returns:  LLMIO_OK: DONE runs exactly once, later, from the loop.
 *           Anything else: no callback ever runs and *OUT is NULL:
 *           the request's sticky error, LLMIO_E_INVALID (naming the field
 *           in ERR), LLMIO_E_UNSUPPORTED (unknown provider), LLMIO_E_STATE
 *           (client shutting down), LLMIO_E_NOMEM.
 *           err  nullable; details of a refused submit.
 * Thread:   the driving thread; allowed inside callbacks.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_submit(llmio_client *c, const llmio_request *r,
                                    llmio_done_cb done, void *user,
                                    llmio_future **out, llmio_error *err);

/*
 * llmio_future_wait - run the client until F completes or TIMEOUT_MS
 * passes. Other futures of the client progress too; their callbacks run.
 *
 * Returns:  LLMIO_OK when F has completed (outcome: llmio_future_status()),
 *           LLMIO_E_TIMEOUT when TIMEOUT_MS passed first,
 *           LLMIO_E_STATE when called from inside a callback or on a client
 *           attached to an external loop.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_future_wait(llmio_future *f, int timeout_ms);

/*
 * llmio_future_wait_all - run until all N futures complete or TIMEOUT_MS.
 * All must belong to the same client.
 * Returns:  as llmio_future_wait(); LLMIO_E_INVALID for mixed clients.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_future_wait_all(llmio_future *const *fs,
                                             size_t n, int timeout_ms);

/*
 * llmio_future_wait_any - run until one of N futures is complete.
 * Params:   index  [out] nullable; the index of a completed future (the
 *                  lowest, if several are).
 * Returns:  as llmio_future_wait().
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_future_wait_any(llmio_future *const *fs,
                                             size_t n, int timeout_ms,
                                             size_t *index);

/*
 * llmio_future_next - pull the next stream delta of a request submitted
 * with llmio_request_set_stream(r, NULL, ...), running the client as
 * needed for up to TIMEOUT_MS.
 *
 * Params:   d  [out] borrowed until the next call or llmio_future_free().
 * Returns:  LLMIO_OK with *D set; LLMIO_E_TIMEOUT when none arrived in
 *           time; otherwise the stream is over and *D is NULL: the return
 *           is then LLMIO_E_STATE if the stream completed normally (read
 *           the outcome with llmio_future_status()) or the future's error.
 *           LLMIO_E_INVALID when F was not submitted in pull mode.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_future_next(llmio_future *f,
                                         const llmio_delta **d,
                                         int timeout_ms);

/*
 * llmio_future_cancel - stop F now: its transfer is closed at once and it
 * completes with LLMIO_E_CANCELLED (done_cb runs from the loop). Does
 * nothing if F already completed.
 * Since:    0.1
 */
LLMIO_API void llmio_future_cancel(llmio_future *f);

/*
 * llmio_future_free - drop the caller's reference. A pending F is
 * cancelled (its done_cb still runs once, with LLMIO_E_CANCELLED). Inside a
 * callback the release is deferred. NULL does nothing.
 * Since:    0.1
 */
LLMIO_API void llmio_future_free(llmio_future *f);

/* Whether F has completed. */
LLMIO_API bool llmio_future_done(const llmio_future *f);
/* F's outcome: LLMIO_OK, an error, or LLMIO_E_STATE while pending. */
LLMIO_API llmio_status llmio_future_status(const llmio_future *f);
/* F's response after success, NULL otherwise ([borrowed] from F). */
LLMIO_API const llmio_response *llmio_future_response(const llmio_future *f);
/* F's error details after failure ([borrowed] from F); code LLMIO_OK on
 * success. Never NULL for a non-NULL F. */
LLMIO_API const llmio_error *llmio_future_error(const llmio_future *f);
/* The USER pointer given to llmio_submit(). */
LLMIO_API void *llmio_future_user(const llmio_future *f);

/*
 * llmio_chat - submit R and wait for it: the synchronous convenience.
 *
 * Params:   out  [out][new] the completed future (also on failure, so the
 *                error can be read); NULL if the submit was refused.
 *           err  nullable; filled with the outcome's details.
 * Returns:  the outcome status.
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_chat(llmio_client *c, const llmio_request *r,
                                  llmio_future **out, llmio_error *err);

/* ===================================================================== */
/* Batches                                                                */
/* ===================================================================== */

/*
 * A batch runs many requests on one client with a concurrency cap of its
 * own (the asyncio.Semaphore + gather pattern), feeding them lazily: a
 * request is taken from the caller's array, or pulled from a source
 * callback, only when a slot is free, so a million-prompt job never holds
 * a million requests. Every item the batch took ends exactly once, in a
 * future of its own: success, an HTTP or transport error, a refusal at
 * submit (the builder's sticky error, a full client queue), an error the
 * source reported for that item, or LLMIO_E_CANCELLED. The batch is built
 * on done callbacks only, so it runs under any drive mode: a blocking
 * llmio_batch_wait(), the descriptor + step, or a foreign loop's hooks.
 * Item futures belong to the batch: do not free them, and read them only
 * as documented below. Their user pointer (llmio_future_user, stream
 * callbacks) is the batch's USER; llmio_batch_index() gives the item.
 * Since 0.2: every type, flag and function of this section.
 */
typedef struct llmio_batch llmio_batch;

/* Flags of llmio_batch_new(). */
enum {
    /* Report items in input order: item I's callback runs only after
     * items 0..I-1's. Results that finish early wait, within a window of
     * 16 times the cap (at most the cap + 100000) items from the oldest
     * unreported one: past it no new request starts until the oldest
     * finishes. Without it items are reported as they complete. */
    LLMIO_BATCH_ORDERED = 1,
    /* Keep every item's future until llmio_batch_free(), readable with
     * llmio_batch_future(): the gather(return_exceptions=True) result
     * list. Without it a future lives only during its item callback, so
     * memory does not grow with the number of items. */
    LLMIO_BATCH_KEEP = 2
};

/*
 * llmio_batch_source_cb - produce item INDEX (0, 1, 2... in order), called
 * from the loop each time the batch has room for one more request.
 *
 * Params:   index  the item's position in the batch.
 *           req    [out] the request, [taken]: the batch submits and
 *                  frees it. Leave NULL (and return LLMIO_OK) when there
 *                  are no more items; the source is not called again.
 *           err    [out] for a failing item: its details (code and
 *                  message, e.g. "line 7: not JSON"); pre-set to zero.
 * Returns:  LLMIO_OK (an item, or the end), or an error: item INDEX then
 *           completes with that error (ERR's message if set) without being
 *           sent, and the batch goes on. A source must not block for long:
 *           the client's other transfers wait while it runs.
 */
typedef llmio_status (*llmio_batch_source_cb)(void *user, size_t index,
                                              llmio_request **req,
                                              llmio_error *err);

/*
 * llmio_batch_item_cb - item INDEX has finished. Runs exactly once per
 * item taken, from the loop (never inside llmio_batch_start* or
 * llmio_batch_cancel), as items complete or, with LLMIO_BATCH_ORDERED, in
 * input order. F is [borrowed] for the call (kept until
 * llmio_batch_free() with LLMIO_BATCH_KEEP; the caller's to free after
 * llmio_batch_detach()): read it with
 * llmio_future_status(), _response() and _error(). The callback may
 * cancel or free the batch; it must not wait.
 */
typedef void (*llmio_batch_item_cb)(llmio_batch *b, size_t index,
                                    llmio_future *f, void *user);

/* llmio_batch_done_cb - every item taken has been reported and no more
 * will be taken (the source ended, the array was used up, or the batch
 * was cancelled). Runs once, from the loop, after the last item_cb. */
typedef void (*llmio_batch_done_cb)(llmio_batch *b, void *user);

/*
 * llmio_batch_new - create a batch on C.
 *
 * Params:   c                [borrowed] the client; it must outlive the
 *                            batch's activity (freeing it cancels the
 *                            batch: every item is still reported).
 *           max_concurrency  requests of this batch in flight at once
 *                            (1..1000000), independent of the client's own
 *                            cap (llmio_client_set_max_concurrency), which
 *                            still applies on top.
 *           flags            LLMIO_BATCH_ORDERED | LLMIO_BATCH_KEEP, or 0.
 *           out              [out][new] free with llmio_batch_free().
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (NULL argument, cap out of range,
 *           unknown flag), LLMIO_E_NOMEM.
 * Thread:   the driving thread.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_batch_new(llmio_client *c, size_t max_concurrency,
                                       unsigned flags, llmio_batch **out);

/*
 * llmio_batch_set_callbacks - set the item and end callbacks (each
 * nullable) and the USER pointer given to them and to the items' futures.
 * Returns:  LLMIO_OK, LLMIO_E_STATE once the batch has started.
 * Thread:   the driving thread.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_batch_set_callbacks(llmio_batch *b,
                                                 llmio_batch_item_cb item,
                                                 llmio_batch_done_cb done,
                                                 void *user);

/*
 * llmio_batch_start - start pulling items from SOURCE. The first call to
 * SOURCE happens from the loop, not inside this call.
 * Params:   source       the producer; source_user is its first argument.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (SOURCE NULL), LLMIO_E_STATE
 *           (already started, or the client is shutting down),
 *           LLMIO_E_NOMEM. On failure no callback runs.
 * Thread:   the driving thread.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_batch_start(llmio_batch *b,
                                         llmio_batch_source_cb source,
                                         void *source_user);

/*
 * llmio_batch_start_array - start a batch of the N requests REQS, item I
 * being REQS[I]. Requests are submitted lazily, so REQS and the requests
 * are [borrowed] until the batch is done (its done_cb), cancelled or
 * freed; the same request may appear several times. After a cancel, the
 * items not yet sent are reported with LLMIO_E_CANCELLED, so every index
 * 0..N-1 gets exactly one item_cb. N may be 0.
 * Returns:  as llmio_batch_start(); LLMIO_E_INVALID for REQS NULL with N.
 * Thread:   the driving thread.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_batch_start_array(llmio_batch *b,
                                               const llmio_request *const *reqs,
                                               size_t n);

/*
 * llmio_batch_wait - drive the client until B is done (its done_cb has
 * run) or TIMEOUT_MS passes (-1: no limit). Other work of the client
 * progresses too. On LLMIO_E_TIMEOUT the batch goes on; wait again or
 * cancel it.
 * Returns:  LLMIO_OK (done), LLMIO_E_TIMEOUT, LLMIO_E_STATE (not started,
 *           inside a callback, or the client is attached to a loop: there
 *           use the done_cb), LLMIO_E_INVALID (B NULL).
 * Thread:   the driving thread, outside callbacks.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_batch_wait(llmio_batch *b, int timeout_ms);

/*
 * llmio_batch_cancel - cancel the whole batch at once: no new item is
 * taken from the source, and every request in flight (or waiting in the
 * client's queue, never sent) completes with LLMIO_E_CANCELLED. Their
 * item callbacks, then the done_cb, run from the loop. Does nothing once
 * the batch is done.
 * Thread:   the driving thread; allowed inside callbacks.
 * Since:    0.2
 */
LLMIO_API void llmio_batch_cancel(llmio_batch *b);

/*
 * llmio_batch_free - cancel B if it is still running and drop the
 * caller's hold on it. Callbacks still run as for llmio_batch_cancel
 * (exactly one per item taken); the memory goes after the last. Futures
 * of a LLMIO_BATCH_KEEP batch go with it. NULL does nothing.
 * Thread:   the driving thread; allowed inside callbacks.
 * Since:    0.2
 */
LLMIO_API void llmio_batch_free(llmio_batch *b);

/* Whether B's done_cb has run (every item taken was reported). Since 0.2. */
LLMIO_API bool llmio_batch_done(const llmio_batch *b);

/*
 * llmio_batch_future - item INDEX's future in a LLMIO_BATCH_KEEP batch,
 * [borrowed] until llmio_batch_free(); NULL when INDEX has not been
 * reported yet (or B does not keep futures).
 * Since:    0.2
 */
LLMIO_API llmio_future *llmio_batch_future(const llmio_batch *b, size_t index);

/*
 * llmio_batch_detach - take item future F out of batch B, from inside F's
 * item callback: the batch neither keeps (LLMIO_BATCH_KEEP) nor frees it.
 * What a binding uses to hand each result to its caller for as long as
 * the caller holds it, so memory follows what is held rather than
 * growing with every item of a long batch.
 * Params:   f  the future item_cb was given; [new] on LLMIO_OK: free it
 *              with llmio_future_free(). It may outlive B; it stays
 *              readable as any completed future, llmio_batch_index()
 *              still names its item, and llmio_future_user() is still
 *              the batch's USER (which may be gone by then).
 * Returns:  LLMIO_OK, LLMIO_E_STATE (outside F's item callback: F stays
 *           the batch's), LLMIO_E_INVALID (B or F NULL).
 * Thread:   the driving thread, inside item_cb.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_batch_detach(llmio_batch *b, llmio_future *f);

/*
 * llmio_batch_index - whether F is a batch item's future and, if so, its
 * index: what a stream callback of a batch item (whose USER is the
 * batch's) uses to tell the items apart.
 * Params:   index  [out] nullable; set when F is a batch item.
 * Since:    0.2
 */
LLMIO_API bool llmio_batch_index(const llmio_future *f, size_t *index);

/* Counters of a batch, as filled by llmio_batch_progress(). */
typedef struct llmio_batch_stats {
    size_t taken;     /* items taken from the array or source */
    size_t reported;  /* item callbacks run (the items finished) */
    size_t ok;        /* of those, LLMIO_OK */
    size_t failed;    /* of those, any error (cancelled included) */
    size_t in_flight; /* requests of the batch submitted, not finished */
    void *reserved_[4];
} llmio_batch_stats;

/*
 * llmio_batch_progress - B's counters so far (for progress output and
 * tests: taken == reported once done).
 * Params:   out  [out] zeroed when B is NULL.
 * Since:    0.2
 */
LLMIO_API void llmio_batch_progress(const llmio_batch *b,
                                    llmio_batch_stats *out);

/* ===================================================================== */
/* Embeddings                                                             */
/* ===================================================================== */

/*
 * An embedding request is an llmio_request built with the setters below
 * instead of messages, and submitted like a chat with llmio_submit() (or
 * llmio_chat()): one future, the same retries, timeouts, headers, user
 * (llmio_request_set_user) and raw fields. It never streams. Providers:
 * openai and every OpenAI-compatible row (POST <base>/embeddings), azure
 * (<deployment>/embeddings), gemini (embedContent for one input,
 * batchEmbedContents for several), ollama (/api/embed); anthropic has none
 * (llmio_submit: LLMIO_E_UNSUPPORTED naming "input"). Submit refuses an
 * embedding request with no input, with messages, or with a stream
 * (LLMIO_E_INVALID naming "input", "messages" or "stream").
 */

/*
 * llmio_request_add_input - append one text to embed, making R an
 * embedding request. Inputs are embedded in the order added.
 *
 * Params:   text  [copied] non-empty UTF-8.
 * Returns:  LLMIO_OK, LLMIO_E_INVALID naming "input[i]" (NULL, empty or
 *           not UTF-8) or "input" (more than 2048), LLMIO_E_NOMEM.
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_request_add_input(llmio_request *r,
                                               const char *text);

/*
 * llmio_request_set_dimensions - ask for vectors of N dimensions (OpenAI
 * "dimensions", Gemini "outputDimensionality", Ollama "dimensions"); only
 * models that support shortening honour it. Makes R an embedding request.
 *
 * Returns:  LLMIO_OK, LLMIO_E_INVALID naming "dimensions" (N outside
 *           1..65536).
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_request_set_dimensions(llmio_request *r,
                                                    int64_t n);

/*
 * llmio_request_set_encoding_format - how OpenAI-protocol servers send the
 * vectors: "float" (JSON numbers) or "base64" (little-endian float32,
 * about a quarter of the bytes). Either way the response holds floats:
 * both forms are decoded whatever was asked, since servers differ. Not
 * sent unless set; Gemini and Ollama have no such field (ignored). Makes
 * R an embedding request.
 *
 * Returns:  LLMIO_OK, LLMIO_E_INVALID naming "encoding_format".
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_request_set_encoding_format(llmio_request *r,
                                                         const char *format);

/*
 * llmio_request_set_task_type - Gemini's taskType for every input
 * ("RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY",
 * "CLASSIFICATION", "CLUSTERING", ...); other providers have no such field
 * and ignore it. Makes R an embedding request.
 *
 * Params:   task  [copied] upper-case letters and '_' (1..64).
 * Returns:  LLMIO_OK, LLMIO_E_INVALID naming "task_type".
 * Since:    0.2
 */
LLMIO_API llmio_status llmio_request_set_task_type(llmio_request *r,
                                                   const char *task);

/*
 * Embedding response accessors. R is [borrowed] from its future. Every
 * vector of a response has the same dimension; vector I is the embedding
 * of input I (responses are put back in input order). Model and usage come
 * from llmio_response_model() (NULL for gemini, which does not say) and
 * llmio_response_usage() (prompt and total tokens; -1 when not reported).
 * A chat response, or NULL, has 0 embeddings.
 * Thread:   any (R is read-only once its future is done).
 * Since:    0.2
 */
/* Number of vectors. */
LLMIO_API size_t llmio_response_embeddings(const llmio_response *r);
/* Floats per vector. */
LLMIO_API size_t llmio_response_embedding_dim(const llmio_response *r);
/* Vector I: llmio_response_embedding_dim() floats, [borrowed] from the
 * future; NULL when I is out of range. */
LLMIO_API const float *llmio_response_embedding(const llmio_response *r,
                                                size_t i);

/* ===================================================================== */
/* Loop integration                                                       */
/* ===================================================================== */

/*
 * llmio_client_run - drive the client on this thread until nothing is
 * pending or TIMEOUT_MS passes.
 * Returns:  LLMIO_OK (idle), LLMIO_E_TIMEOUT, LLMIO_E_STATE (inside a
 *           callback, or attached to a loop).
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_client_run(llmio_client *c, int timeout_ms);

/*
 * llmio_client_fd - one descriptor that becomes readable when the client
 * has work to do (an epoll set of its sockets, its timer and its wakeup).
 * Use with llmio_client_timeout_ms() and llmio_client_step(). The timer
 * in the set makes the descriptor readable at the next deadline even when
 * the loop ignores llmio_client_timeout_ms(). The built-in waits use the
 * same set and may be mixed with this mode; an attached client has no
 * descriptor.
 * Returns:  the descriptor (owned by the client), or -1 on failure.
 * Since:    0.1
 */
LLMIO_API int llmio_client_fd(llmio_client *c);

/*
 * llmio_client_timeout_ms - the longest a loop may wait on the descriptor
 * before calling llmio_client_step(); -1 when nothing is pending.
 * Since:    0.1
 */
LLMIO_API int llmio_client_timeout_ms(llmio_client *c);

/*
 * llmio_client_step - make progress without blocking: handle ready
 * sockets and due timers, run callbacks.
 * Returns:  LLMIO_OK, LLMIO_E_STATE (inside a callback or attached).
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_client_step(llmio_client *c);

/*
 * llmio_client_wakeup - make a blocked llmio_future_wait/run, or a poll on
 * llmio_client_fd(), return soon. The only function callable from any
 * thread.
 * Since:    0.1
 */
LLMIO_API void llmio_client_wakeup(llmio_client *c);

enum {
    LLMIO_POLL_NONE = 0, /* stop watching the descriptor */
    LLMIO_POLL_IN = 1,
    LLMIO_POLL_OUT = 2,
    LLMIO_POLL_INOUT = 3
};

/*
 * llmio_loop_hooks - how a client drives itself from a foreign event loop.
 * WATCH: watch FD for EVENTS (an LLMIO_POLL_* value; NONE removes it).
 * SET_TIMER: call llmio_client_on_timer() after MS (-1 cancels; 0 means
 * soon, from the loop, not from inside SET_TIMER). CLEANUP: the client is
 * detaching (freed); release adapter state.
 */
typedef struct llmio_loop_hooks {
    void (*watch)(void *user, int fd, int events);
    void (*set_timer)(void *user, int64_t ms);
    void (*cleanup)(void *user);
    void *reserved_[4];
} llmio_loop_hooks;

/*
 * llmio_client_attach - drive C from a foreign loop through HOOKS. The
 * client must not have been driven another way yet.
 * Returns:  LLMIO_OK, LLMIO_E_STATE (already attached or already driven).
 * Since:    0.1
 */
LLMIO_API llmio_status llmio_client_attach(llmio_client *c,
                                           const llmio_loop_hooks *hooks,
                                           void *user);

/* The loop reports FD ready for EVENTS (LLMIO_POLL_*). Runs callbacks. */
LLMIO_API llmio_status llmio_client_on_fd(llmio_client *c, int fd,
                                          int events);
/* The loop reports the timer set by set_timer expired. Runs callbacks. */
LLMIO_API llmio_status llmio_client_on_timer(llmio_client *c);

/* ===================================================================== */
/* Session                                                                */
/* ===================================================================== */

/*
 * A session is a conversation's history on one client: user turns, the
 * assistant's replies (text, tool calls, their signatures), tool results.
 * Each turn is an ordinary request built from the session (system prompt,
 * the options template, the history) and submitted with llmio_submit(), so
 * it streams, retries, falls back and completes exactly like any other
 * future, in every drive mode. The reply joins the history exactly once,
 * when the turn's future completes with LLMIO_OK, just before its done_cb
 * runs; a failed, cancelled or aborted turn leaves the history as it was,
 * so the same turn can be submitted again. Reasoning text is not kept (no
 * provider takes it back as plain text). Every function here runs on the
 * thread driving the client, inside callbacks too. Since 0.2: every type
 * and function of this section.
 */
typedef struct llmio_session llmio_session;

/*
 * llmio_session_new - an empty conversation with MODEL on C.
 *
 * Params:   c      [borrowed] the client; it must outlive the session.
 *           model  [copied] "provider/model", as for llmio_request_new().
 *           out    [out][new] free with llmio_session_free().
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (C, MODEL or OUT NULL, MODEL empty or
 *           not UTF-8), LLMIO_E_NOMEM.
 */
LLMIO_API llmio_status llmio_session_new(llmio_client *c, const char *model,
                                         llmio_session **out);

/*
 * llmio_session_free - release S and its history. A turn still in flight
 * goes on for whoever holds its future, but its reply is not recorded.
 * NULL does nothing.
 */
LLMIO_API void llmio_session_free(llmio_session *s);

/*
 * llmio_session_set_model - the model of the turns submitted from now on.
 * Params:   model  [copied] as for llmio_session_new().
 *           err    [out] nullable; the failure, naming "model".
 * Returns:  LLMIO_OK, LLMIO_E_INVALID, LLMIO_E_NOMEM.
 */
LLMIO_API llmio_status llmio_session_set_model(llmio_session *s,
                                               const char *model,
                                               llmio_error *err);

/*
 * llmio_session_set_system - the system prompt, sent first in every turn
 * (each provider puts it where it belongs: Anthropic's "system", Gemini's
 * systemInstruction). It is not part of the history.
 * Params:   text  [copied] UTF-8; NULL removes the system prompt.
 *           err   [out] nullable; the failure, naming "system".
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (not UTF-8), LLMIO_E_NOMEM.
 */
LLMIO_API llmio_status llmio_session_set_system(llmio_session *s,
                                                const char *text,
                                                llmio_error *err);

/*
 * llmio_session_set_options - take every setting of TEMPLATE for the
 * turns submitted from now on: sampling and limits, stop sequences, tools
 * and tool choice, response format, raw fields, headers, timeouts, retry
 * override, fallbacks, hedging and streaming (its stream callback gets the
 * USER of llmio_session_submit()). TEMPLATE's messages, if any, are a
 * fixed preamble sent after the system prompt and before the history;
 * its model is ignored (the session's is used). Replaces earlier options.
 * Params:   tmpl  [copied] a chat request builder; NULL clears the options.
 *           err   [out] nullable; TEMPLATE's sticky error, or the field.
 * Returns:  LLMIO_OK, TEMPLATE's sticky error, LLMIO_E_INVALID (an
 *           embedding request, naming "options"), LLMIO_E_NOMEM. On
 *           failure the earlier options stay.
 */
LLMIO_API llmio_status llmio_session_set_options(llmio_session *s,
                                                 const llmio_request *tmpl,
                                                 llmio_error *err);

/*
 * llmio_session_add_user - append a user message with TEXT.
 * Params:   text  [copied] UTF-8, not NULL.
 *           err   [out] nullable; the failure, naming the field as the
 *                 request builder does ("messages[4].content: ...").
 * Returns:  LLMIO_OK, LLMIO_E_INVALID, LLMIO_E_STATE (a turn is in
 *           flight), LLMIO_E_NOMEM. On failure the history is unchanged.
 */
LLMIO_API llmio_status llmio_session_add_user(llmio_session *s,
                                              const char *text,
                                              llmio_error *err);

/*
 * llmio_session_add_image_url - append an image to the last message,
 * which must be a user message (as llmio_request_add_image_url()).
 * Returns:  as llmio_session_add_user(); LLMIO_E_INVALID when the last
 *           message is not a user message or URL/DETAIL are bad.
 */
LLMIO_API llmio_status llmio_session_add_image_url(llmio_session *s,
                                                   const char *url,
                                                   const char *detail,
                                                   llmio_error *err);

/*
 * llmio_session_add_tool_result - answer the tool call TOOL_CALL_ID of the
 * last assistant message with CONTENT (text; NULL sends "").
 * Returns:  as llmio_session_add_user(); LLMIO_E_INVALID naming
 *           "tool_call_id" when no call of the last assistant message has
 *           that id.
 */
LLMIO_API llmio_status llmio_session_add_tool_result(llmio_session *s,
                                                     const char *tool_call_id,
                                                     const char *content,
                                                     llmio_error *err);

/*
 * llmio_session_add_messages - append the messages of R (built with
 * llmio_request_add_message() and the other message setters: any role,
 * content parts, tool calls with signatures, tool results) to the
 * history; R's other settings are not used. A first message with role
 * system becomes the system prompt.
 * Params:   r    [borrowed] a request builder; its sticky error is
 *                returned as is.
 *           err  [out] nullable; the failure, naming the field.
 * Returns:  LLMIO_OK, R's sticky error, LLMIO_E_INVALID (a system or
 *           developer message after the first), LLMIO_E_STATE (a turn is
 *           in flight), LLMIO_E_NOMEM. On failure nothing changes.
 */
LLMIO_API llmio_status llmio_session_add_messages(llmio_session *s,
                                                  const llmio_request *r,
                                                  llmio_error *err);

/*
 * llmio_session_load_json - llmio_session_add_messages() of a Chat
 * Completions body (read as llmio_request_set_json() reads it): a saved
 * conversation, e.g. what "llmio chat" writes with /save, or turns of any
 * role (assistant replies with tool_calls, tool results) to start from. A
 * first message with role "system" becomes the system prompt; every other
 * field of the body (model, tools, temperature...) is not applied, since
 * the options come from llmio_session_set_options().
 * Params:   json  [borrowed] LEN bytes of JSON text.
 *           err   [out] nullable; the failure, naming the field by its
 *                 JSON path ("messages[2].role: ...").
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (not JSON, a bad message, a system
 *           or developer message after the first), LLMIO_E_STATE (a turn
 *           is in flight), LLMIO_E_NOMEM. On failure the history and the
 *           system prompt are unchanged.
 */
LLMIO_API llmio_status llmio_session_load_json(llmio_session *s,
                                               const char *json, size_t len,
                                               llmio_error *err);

/*
 * llmio_session_submit - send the next turn: the system prompt, the
 * options' preamble and the whole history, as one request on the
 * session's client. On success the reply (choice 0: its text and tool
 * calls with their signatures) is appended as an assistant message before
 * DONE runs, so DONE already sees it in the history. A reply that cannot
 * be recorded (out of memory, tool arguments that are not JSON) makes the
 * future's outcome that error instead, with the history unchanged.
 *
 * Params:   done, user, out, err  as for llmio_submit().
 * Returns:  as llmio_submit(); also LLMIO_E_STATE while an earlier turn is
 *           in flight (one turn at a time). On failure no callback runs.
 */
LLMIO_API llmio_status llmio_session_submit(llmio_session *s,
                                            llmio_done_cb done, void *user,
                                            llmio_future **out,
                                            llmio_error *err);

/* The model and the system prompt set last ([borrowed] until the next
 * set or llmio_session_free; the system prompt NULL when none). */
LLMIO_API const char *llmio_session_model(const llmio_session *s);
LLMIO_API const char *llmio_session_system(const llmio_session *s);
/* Whether a turn of S is in flight (submitted, its future not done). */
LLMIO_API bool llmio_session_busy(const llmio_session *s);

/*
 * History accessors. Messages are numbered from 0 (the first user
 * message; the system prompt is not in the history). Strings are
 * [borrowed] from S until the message is truncated or S is freed.
 */
/* Number of messages in the history. */
LLMIO_API size_t llmio_session_messages(const llmio_session *s);
/* Role of message I: USER, ASSISTANT or TOOL; LLMIO_ROLE_SYSTEM when I is
 * out of range (the history never holds one). */
LLMIO_API llmio_role llmio_session_role(const llmio_session *s, size_t i);
/* Text of message I (its first text part when it has parts); LEN
 * (nullable) gets its length. NULL when it has none (tool calls only). */
LLMIO_API const char *llmio_session_text(const llmio_session *s, size_t i,
                                         size_t *len);
/* Tool calls of assistant message I. */
LLMIO_API size_t llmio_session_tool_calls(const llmio_session *s, size_t i);
/* Tool call J of message I into OUT ([borrowed] strings); false (OUT
 * zeroed) when out of range. */
LLMIO_API bool llmio_session_tool_call(const llmio_session *s, size_t i,
                                       size_t j, llmio_tool_call *out);
/* The call a tool message I answers; NULL for other roles. */
LLMIO_API const char *llmio_session_tool_call_id(const llmio_session *s,
                                                 size_t i);

/*
 * llmio_session_truncate - keep the first N messages and drop the rest (0
 * clears the history; the system prompt and options stay).
 * Returns:  LLMIO_OK, LLMIO_E_INVALID (N above the count),
 *           LLMIO_E_STATE (a turn is in flight).
 */
LLMIO_API llmio_status llmio_session_truncate(llmio_session *s, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* LLMIO_H */
