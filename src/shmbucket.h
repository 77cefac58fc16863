/*
 * shmbucket.h - one rate-limit bucket shared by several processes through a
 * named POSIX shared-memory segment (see shmbucket.c).
 *
 * N worker processes using one API key open the same name and together
 * stay under one budget. The arithmetic is ratelimit.c's, run on the
 * mapped struct under a process-shared robust mutex.
 */
#ifndef LLMIO_SHMBUCKET_H
#define LLMIO_SHMBUCKET_H

#include "llmio.h"
#include "ratelimit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* The segment's layout. Zero-filled on creation (ftruncate), which reads
 * as INIT_STATE 0; whoever moves it 0 -> 1 initialises and then sets 2. */
struct llmio__shm_state {
    _Atomic uint32_t init_state; /* 0 fresh, 1 initialising, 2 ready */
    uint32_t version;            /* LLMIO__SHM_VERSION */
    uint64_t magic;              /* LLMIO__SHM_MAGIC */
    uint64_t size;               /* sizeof(struct llmio__shm_state) */
    pthread_mutex_t mutex;       /* process-shared, robust */
    struct llmio__bucket bucket; /* guarded by MUTEX */
};

#define LLMIO__SHM_MAGIC UINT64_C(0x6c6c6d696f62636b) /* "llmiobck" */
#define LLMIO__SHM_VERSION 1u
/* Longest user-given name; the segment is "/llmio-bucket-" + name. */
#define LLMIO__SHM_NAME_MAX 200

struct llmio__shmbucket {
    struct llmio__shm_state *state; /* mapped; NULL when closed */
};

/*
 * llmio__shmbucket_open - map (creating if needed) the bucket NAME,
 * limited to PER_MINUTE requests (or tokens) per minute.
 *
 * NAME is 1..LLMIO__SHM_NAME_MAX characters of [A-Za-z0-9._-]; the segment
 * is "/llmio-bucket-NAME", mode 0600 (only the same user may share it).
 * The first opener initialises it full; a later open with another
 * PER_MINUTE changes the limit for everyone (the newest configuration
 * wins). Times passed to the other calls must come from one clock all
 * processes share: CLOCK_MONOTONIC is machine-wide on Linux.
 *
 * Params:   out  [out] handle; close with llmio__shmbucket_close.
 * Returns:  LLMIO_OK; LLMIO_E_INVALID (bad name); LLMIO_E_NOMEM (no
 *           memory or descriptors); LLMIO_E_UNSUPPORTED (no shm);
 *           LLMIO_E_STATE (a segment of another layout or version, an
 *           initialiser that died, permissions).
 */
llmio_status llmio__shmbucket_open(const char *name, int64_t per_minute,
                                   struct llmio__shmbucket *out);

/*
 * llmio__shmbucket_reserve - llmio__bucket_reserve on the shared bucket.
 * Returns:  0 granted (taken); > 0 the ms to wait; -1 when the mutex is
 *           unrecoverable (the caller treats the limit as unavailable).
 */
int64_t llmio__shmbucket_reserve(struct llmio__shmbucket *sb, int64_t now_ms,
                                 int64_t cost);

/* llmio__bucket_adjust on the shared bucket (usage correction). Returns
 * false when the mutex is unrecoverable. */
bool llmio__shmbucket_adjust(struct llmio__shmbucket *sb, int64_t now_ms,
                             int64_t delta);

/* llmio__bucket_pause_until on the shared bucket: a 429 seen by one
 * process pauses all of them. Returns false as above. */
bool llmio__shmbucket_pause_until(struct llmio__shmbucket *sb,
                                  int64_t until_ms);

/* Unmap. The segment stays for the other processes. NULL state: no-op. */
void llmio__shmbucket_close(struct llmio__shmbucket *sb);

/* Remove the name; processes that have it mapped keep using it.
 * Returns LLMIO_OK, LLMIO_E_INVALID (bad name), LLMIO_E_STATE (no such
 * segment, permissions). */
llmio_status llmio__shmbucket_unlink(const char *name);

#endif
