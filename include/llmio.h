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
    X(E_TOO_BIG, 0, 15, "response exceeded a configured limit")

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

#ifdef __cplusplus
}
#endif

#endif /* LLMIO_H */
