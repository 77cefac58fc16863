/*
 * shmbucket.c - maps a named POSIX shared-memory segment holding one
 * ratelimit.c bucket so that several processes draw on one budget.
 *
 * Invariants: the bucket in the segment is only read or written with the
 * segment's mutex held, and only through ratelimit.c's bucket functions
 * (one code path for the arithmetic). The mutex is process-shared and
 * robust: a process that dies holding it hands the next locker
 * EOWNERDEAD, which repairs the bucket to a valid state and carries on.
 * Initialisation is claimed by one compare-and-swap on a zero-filled
 * field, so concurrent first opens cannot both initialise.
 * Ownership: a handle owns its mapping (not the name; _unlink removes
 * that). This file does I/O by nature, which is why it is not part of the
 * pure ratelimit.c; it reads no clock and never sleeps.
 */
#include "shmbucket.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREFIX "/llmio-bucket-"

/* How many times an opener yields while another process initialises the
 * segment (microseconds of work) before it decides that process died. */
#define INIT_SPINS 1000000

static bool make_path(const char *name, char *path, size_t cap)
{
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > LLMIO__SHM_NAME_MAX || sizeof PREFIX - 1 + n + 1 > cap) {
        return false;
    }
    /* A closed alphabet keeps the name one path component ('/' would be
     * refused by shm_open anyway) and makes distinct names distinct
     * segments, with no escaping to get wrong. */
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    memcpy(path, PREFIX, sizeof PREFIX - 1);
    memcpy(path + sizeof PREFIX - 1, name, n + 1);
    return true;
}

static llmio_status from_errno(int e)
{
    switch (e) {
    case EINVAL:
    case ENAMETOOLONG:
        return LLMIO_E_INVALID;
    case ENOMEM:
    case ENOSPC:
    case EMFILE:
    case ENFILE:
        return LLMIO_E_NOMEM;
    case ENOSYS:
        return LLMIO_E_UNSUPPORTED;
    default:
        return LLMIO_E_STATE;
    }
}

/* Make the bucket valid after its last writer died mid-update: every
 * field within its range. At worst a refill is counted twice, which the
 * cap on TOKENS bounds to one burst. */
static void repair(struct llmio__bucket *b)
{
    if (b->per_minute < 0 || b->capacity < 0 || b->refill_per_ms < 0 ||
        (b->per_minute > 0 && b->refill_per_ms == 0)) {
        llmio__bucket_init(b, b->per_minute > 0 ? b->per_minute : 0,
                           b->last_ms);
        return;
    }
    if (b->tokens > b->capacity) {
        b->tokens = b->capacity;
    }
}

static bool lock(struct llmio__shm_state *s)
{
    int rc = pthread_mutex_lock(&s->mutex);
    if (rc == EOWNERDEAD) {
        repair(&s->bucket);
        rc = pthread_mutex_consistent(&s->mutex);
    }
    return rc == 0;
}

static void unlock(struct llmio__shm_state *s)
{
    pthread_mutex_unlock(&s->mutex);
}

static llmio_status init_state(struct llmio__shm_state *s, int64_t per_minute)
{
    pthread_mutexattr_t attr;
    if (pthread_mutexattr_init(&attr) != 0) {
        return LLMIO_E_NOMEM;
    }
    int rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (rc == 0) {
        rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    }
    if (rc == 0) {
        rc = pthread_mutex_init(&s->mutex, &attr);
    }
    pthread_mutexattr_destroy(&attr);
    if (rc != 0) {
        return rc == ENOMEM ? LLMIO_E_NOMEM : LLMIO_E_UNSUPPORTED;
    }
    /* The clock origin is unknown here; a full bucket refills nothing, so
     * LAST_MS = 0 is right for any later time. */
    llmio__bucket_init(&s->bucket, per_minute, 0);
    s->magic = LLMIO__SHM_MAGIC;
    s->version = LLMIO__SHM_VERSION;
    s->size = sizeof *s;
    return LLMIO_OK;
}

llmio_status llmio__shmbucket_open(const char *name, int64_t per_minute,
                                   struct llmio__shmbucket *out)
{
    char path[sizeof PREFIX + LLMIO__SHM_NAME_MAX + 1];
    out->state = NULL;
    if (!make_path(name, path, sizeof path)) {
        return LLMIO_E_INVALID;
    }
    int fd = shm_open(path, O_RDWR | O_CREAT, 0600);
    if (fd < 0) {
        return from_errno(errno);
    }
    llmio_status st = LLMIO_OK;
    struct llmio__shm_state *s = MAP_FAILED;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        st = from_errno(errno);
        goto fail;
    }
    /* Several first openers may all see size 0 and all extend it: to the
     * same size, so none of them loses another's data. */
    if (sb.st_size == 0 && ftruncate(fd, (off_t)sizeof *s) != 0) {
        st = from_errno(errno);
        goto fail;
    }
    if (sb.st_size != 0 && sb.st_size != (off_t)sizeof *s) {
        st = LLMIO_E_STATE;
        goto fail;
    }
    s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (s == MAP_FAILED) {
        st = from_errno(errno);
        goto fail;
    }
    close(fd);
    fd = -1;

    uint32_t expected = 0;
    if (atomic_compare_exchange_strong(&s->init_state, &expected, 1)) {
        st = init_state(s, per_minute);
        if (st != LLMIO_OK) {
            atomic_store(&s->init_state, 0);
            goto fail;
        }
        atomic_store(&s->init_state, 2);
    } else {
        int spins = 0;
        while (atomic_load(&s->init_state) != 2) {
            if (++spins > INIT_SPINS) {
                st = LLMIO_E_STATE;
                goto fail;
            }
            sched_yield();
        }
        if (s->magic != LLMIO__SHM_MAGIC || s->version != LLMIO__SHM_VERSION ||
            s->size != sizeof *s) {
            st = LLMIO_E_STATE;
            goto fail;
        }
        if (!lock(s)) {
            st = LLMIO_E_STATE;
            goto fail;
        }
        if (s->bucket.per_minute != per_minute) {
            llmio__bucket_set_limit(&s->bucket, s->bucket.last_ms, per_minute,
                                    0);
        }
        unlock(s);
    }
    out->state = s;
    return LLMIO_OK;

fail:
    if (s != MAP_FAILED) {
        munmap(s, sizeof *s);
    }
    if (fd >= 0) {
        close(fd);
    }
    return st;
}

int64_t llmio__shmbucket_reserve(struct llmio__shmbucket *sb, int64_t now_ms,
                                 int64_t cost)
{
    if (sb->state == NULL || !lock(sb->state)) {
        return -1;
    }
    int64_t wait = llmio__bucket_reserve(&sb->state->bucket, now_ms, cost);
    unlock(sb->state);
    return wait;
}

bool llmio__shmbucket_adjust(struct llmio__shmbucket *sb, int64_t now_ms,
                             int64_t delta)
{
    if (sb->state == NULL || !lock(sb->state)) {
        return false;
    }
    llmio__bucket_adjust(&sb->state->bucket, now_ms, delta);
    unlock(sb->state);
    return true;
}

bool llmio__shmbucket_pause_until(struct llmio__shmbucket *sb, int64_t until_ms)
{
    if (sb->state == NULL || !lock(sb->state)) {
        return false;
    }
    llmio__bucket_pause_until(&sb->state->bucket, until_ms);
    unlock(sb->state);
    return true;
}

void llmio__shmbucket_close(struct llmio__shmbucket *sb)
{
    if (sb->state != NULL) {
        munmap(sb->state, sizeof *sb->state);
        sb->state = NULL;
    }
}

llmio_status llmio__shmbucket_unlink(const char *name)
{
    char path[sizeof PREFIX + LLMIO__SHM_NAME_MAX + 1];
    if (!make_path(name, path, sizeof path)) {
        return LLMIO_E_INVALID;
    }
    if (shm_unlink(path) != 0) {
        return errno == ENOENT ? LLMIO_E_STATE : from_errno(errno);
    }
    return LLMIO_OK;
}
