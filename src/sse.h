/*
 * sse.h - incremental Server-Sent Events parser (see sse.c).
 */
#ifndef LLMIO_SSE_H
#define LLMIO_SSE_H

#include "llmio.h"

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One dispatched event. Every pointer is NUL-terminated and valid until the
 * next llmio__sse_feed / llmio__sse_next / llmio__sse_cleanup call. */
struct llmio__sse_event {
    const char *type; /* "message" when the event had no (or an empty) type */
    size_t type_len;
    const char *data; /* data lines joined with "\n"; may contain NULs */
    size_t data_len;
    const char *id; /* last event ID seen so far in the stream ("" if none) */
    size_t id_len;
};

/* Caller-provided storage; fields are private to sse.c. */
struct llmio__sse_parser {
    struct llmio__buf in;   /* unprocessed input; lines start at POS */
    size_t pos;             /* start of the next line in IN */
    size_t scan;            /* IN[POS..SCAN) holds no CR or LF */
    struct llmio__buf data; /* data buffer, when not a reference (below) */
    struct llmio__buf type; /* event type buffer */
    struct llmio__buf id;   /* last event ID buffer (persists) */
    size_t ref_off;         /* single-line data as a reference into IN */
    size_t ref_len;
    size_t data_len; /* bytes of the data buffer, LFs included */
    size_t max_event;
    int64_t retry_ms;
    unsigned char data_mode; /* 0 none, 1 reference, 2 DATA buffer */
    bool has_type;
    bool skip_lf; /* the last line ended in CR: drop one LF that follows */
    bool started; /* the leading BOM has been handled */
    llmio_status status;
};

/*
 * llmio__sse_init - empty parser. ALLOC may be NULL (libc).
 * MAX_EVENT_BYTES bounds an event's data and any one line (0 = 1 MiB);
 * going past it is LLMIO_E_TOO_BIG.
 */
void llmio__sse_init(struct llmio__sse_parser *p, const llmio_allocator *alloc,
                     size_t max_event_bytes);

/*
 * llmio__sse_feed - append LEN bytes of the stream (copied). Any split of
 * the stream into feeds gives the same events.
 * Returns:  LLMIO_OK; LLMIO_E_NOMEM; or the parser's sticky error
 *           (LLMIO_E_TOO_BIG / LLMIO_E_NOMEM from an earlier call).
 */
llmio_status llmio__sse_feed(struct llmio__sse_parser *p, const char *bytes,
                             size_t len);

/*
 * llmio__sse_next - the next complete event.
 * Returns:  1 and *EV filled; 0 when more input is needed; -1 on error
 *           (llmio__sse_status says which; it is sticky and also returned by
 *           the next feed).
 */
int llmio__sse_next(struct llmio__sse_parser *p, struct llmio__sse_event *ev);

/* The sticky error, or LLMIO_OK. */
llmio_status llmio__sse_status(const struct llmio__sse_parser *p);

/* The reconnection time from the last valid "retry" field; -1 if none. */
int64_t llmio__sse_retry_ms(const struct llmio__sse_parser *p);

/*
 * llmio__sse_pending - true when the stream so far ends inside an event
 * (a partial line or fields without the terminating blank line). At end of
 * stream such an event is discarded (WHATWG rule); callers may use this to
 * tell a truncated stream from a clean one.
 */
bool llmio__sse_pending(const struct llmio__sse_parser *p);

/* Frees everything; the parser must be initialised again before reuse. */
void llmio__sse_cleanup(struct llmio__sse_parser *p);

#endif
