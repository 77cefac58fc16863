/* test-shmbucket.c - the shared-memory bucket (src/shmbucket.c): several
 * processes, one budget. Times come from a test clock shared by the
 * processes (an atomic counter in shared memory); nothing sleeps. */
#include "test.h"

#include "shmbucket.h"

#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void bucket_name(char *out, size_t cap, const char *what)
{
    snprintf(out, cap, "test-%ld-%s", (long)getpid(), what);
    llmio__shmbucket_unlink(out); /* a leftover from a crashed run */
}

/* What the processes share besides the bucket: the test clock, a start
 * count, a barrier count and the results. */
struct shared {
    _Atomic int64_t clock_ms;
    _Atomic int ready;
    _Atomic int64_t done;
    int64_t grants[2];
};

static struct shared *map_shared(void)
{
    void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT(p != MAP_FAILED);
    memset(p, 0, sizeof(struct shared));
    return p;
}

#define STEP_MS 10
#define TICKS 12000 /* two simulated minutes */

/*
 * One worker process: at every tick of the shared clock it takes all it
 * can from the named bucket, then waits for the other worker. The second
 * to finish a tick advances the clock, so the two race for every refill
 * on one timeline and the order in which they reach the bucket varies.
 */
static void worker(struct shared *sh, int id, const char *name)
{
    struct llmio__shmbucket b;
    if (llmio__shmbucket_open(name, 600, &b) != LLMIO_OK) {
        _exit(2);
    }
    atomic_fetch_add(&sh->ready, 1);
    int64_t grants = 0;
    for (int64_t tick = 0; tick < TICKS; tick++) {
        int64_t t = tick * STEP_MS;
        while (atomic_load(&sh->clock_ms) < t) {
            sched_yield();
        }
        int64_t w;
        while ((w = llmio__shmbucket_reserve(&b, t, 1)) == 0) {
            grants++;
        }
        if (w < 0) {
            _exit(3);
        }
        if (atomic_fetch_add(&sh->done, 1) + 1 == 2 * (tick + 1)) {
            atomic_store(&sh->clock_ms, t + STEP_MS);
        }
    }
    sh->grants[id] = grants;
    llmio__shmbucket_close(&b);
    _exit(0);
}

TEST(shmbucket_two_processes_share_budget)
{
    char name[64];
    bucket_name(name, sizeof name, "share");
    struct llmio__shmbucket b;
    ASSERT_OK(llmio__shmbucket_open(name, 600, &b));
    struct shared *sh = map_shared();
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        ASSERT(pids[i] >= 0);
        if (pids[i] == 0) {
            worker(sh, i, name);
        }
    }
    for (int i = 0; i < 2; i++) {
        int status = 0;
        ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
        ASSERT(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
    }
    /* 600/min: burst 60 and 540 a minute, so two minutes allow at most
     * 60 + 2 * 540 = 1140 between them. Each alone could have taken
     * nearly all of that; together they must not take more. */
    int64_t total = sh->grants[0] + sh->grants[1];
    ASSERT_CMP(total, <=, 60 + 2 * 540);
    ASSERT_CMP(total, >=, 1100); /* and not starved either */
    ASSERT_CMP(sh->grants[0], >, 0);
    ASSERT_CMP(sh->grants[1], >, 0);
    /* The parent's handle sees the same, spent bucket. */
    ASSERT_EQ(atomic_load(&sh->ready), 2);
    ASSERT_CMP(llmio__shmbucket_reserve(&b, TICKS * STEP_MS - STEP_MS, 1), >,
               0);
    llmio__shmbucket_close(&b);
    ASSERT_OK(llmio__shmbucket_unlink(name));
    munmap(sh, sizeof *sh);
}

TEST(shmbucket_same_arithmetic_as_local_bucket)
{
    /* One code path: the shared bucket answers exactly as a local one. */
    char name[64];
    bucket_name(name, sizeof name, "same");
    struct llmio__shmbucket sb;
    ASSERT_OK(llmio__shmbucket_open(name, 70, &sb));
    struct llmio__bucket lb;
    llmio__bucket_init(&lb, 70, 0);
    int64_t t = 0;
    for (int i = 0; i < 500; i++) {
        int64_t cost = i % 3;
        int64_t a = llmio__shmbucket_reserve(&sb, t, cost);
        int64_t want = llmio__bucket_reserve(&lb, t, cost);
        ASSERT_EQ(a, want);
        t += (i % 7) * 150;
        if (i == 250) {
            ASSERT(llmio__shmbucket_adjust(&sb, t, -5));
            llmio__bucket_adjust(&lb, t, -5);
            ASSERT(llmio__shmbucket_pause_until(&sb, t + 4000));
            llmio__bucket_pause_until(&lb, t + 4000);
        }
    }
    llmio__shmbucket_close(&sb);
    llmio__shmbucket_close(&sb); /* twice is harmless */
    ASSERT_EQ(llmio__shmbucket_reserve(&sb, t, 1), -1);
    ASSERT_OK(llmio__shmbucket_unlink(name));
}

TEST(shmbucket_reopen_shares_state_and_limit)
{
    char name[64];
    bucket_name(name, sizeof name, "reopen");
    struct llmio__shmbucket a, b;
    ASSERT_OK(llmio__shmbucket_open(name, 70, &a)); /* burst 7 */
    ASSERT_OK(llmio__shmbucket_open(name, 70, &b));
    for (int i = 0; i < 7; i++) {
        ASSERT_EQ(llmio__shmbucket_reserve(&a, 1000, 1), 0);
    }
    ASSERT_CMP(llmio__shmbucket_reserve(&b, 1000, 1), >, 0);
    /* A pause from one handle holds for the other. */
    ASSERT(llmio__shmbucket_pause_until(&b, 100000));
    ASSERT_EQ(llmio__shmbucket_reserve(&a, 90000, 1), 10000);
    /* Reopening with another limit changes it for everyone. */
    struct llmio__shmbucket c;
    ASSERT_OK(llmio__shmbucket_open(name, 1000, &c));
    ASSERT_EQ(a.state->bucket.per_minute, 1000);
    int n = 0;
    while (llmio__shmbucket_reserve(&a, 1000000, 1) == 0) {
        n++;
    }
    ASSERT_EQ(n, 100); /* the new burst */
    llmio__shmbucket_close(&a);
    llmio__shmbucket_close(&b);
    llmio__shmbucket_close(&c);
    /* Unlinked while nobody has it open: a new open starts afresh. */
    ASSERT_OK(llmio__shmbucket_unlink(name));
    ASSERT_EQ(llmio__shmbucket_unlink(name), LLMIO_E_STATE);
    ASSERT_OK(llmio__shmbucket_open(name, 70, &a));
    ASSERT_EQ(llmio__shmbucket_reserve(&a, 0, 7), 0);
    llmio__shmbucket_close(&a);
    ASSERT_OK(llmio__shmbucket_unlink(name));
}

TEST(shmbucket_owner_dead_recovers)
{
    char name[64];
    bucket_name(name, sizeof name, "dead");
    struct llmio__shmbucket b;
    ASSERT_OK(llmio__shmbucket_open(name, 70, &b));
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        struct llmio__shmbucket mine;
        if (llmio__shmbucket_open(name, 70, &mine) != LLMIO_OK) {
            _exit(2);
        }
        /* Die holding the lock, halfway through an update. */
        pthread_mutex_lock(&mine.state->mutex);
        mine.state->bucket.tokens = mine.state->bucket.capacity * 5;
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    /* The next locker gets EOWNERDEAD, repairs, and carries on: the
     * half-done update cannot lift the bucket above its burst. */
    int n = 0;
    while (llmio__shmbucket_reserve(&b, 0, 1) == 0) {
        n++;
        ASSERT_CMP(n, <=, 7);
    }
    ASSERT_EQ(n, 7);
    ASSERT_EQ(llmio__shmbucket_reserve(&b, 0, 1), 953); /* 63/min */
    llmio__shmbucket_close(&b);
    ASSERT_OK(llmio__shmbucket_unlink(name));
}

TEST(shmbucket_bad_names_and_segments)
{
    struct llmio__shmbucket b;
    char longname[LLMIO__SHM_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    const char *bad[] = {"", "a/b", "a b", "../x", "naïve", longname};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_EQ(llmio__shmbucket_open(bad[i], 60, &b), LLMIO_E_INVALID);
        ASSERT_NULL(b.state);
        ASSERT_EQ(llmio__shmbucket_unlink(bad[i]), LLMIO_E_INVALID);
    }
    ASSERT_EQ(llmio__shmbucket_open(NULL, 60, &b), LLMIO_E_INVALID);
    longname[LLMIO__SHM_NAME_MAX] = '\0'; /* exactly the maximum is fine */
    ASSERT_OK(llmio__shmbucket_open(longname, 60, &b));
    llmio__shmbucket_close(&b);
    ASSERT_OK(llmio__shmbucket_unlink(longname));

    /* A segment of another size (another program, another version) is
     * refused, not reinterpreted. */
    char name[64], path[128];
    bucket_name(name, sizeof name, "alien");
    snprintf(path, sizeof path, "/llmio-bucket-%s", name);
    int fd = shm_open(path, O_RDWR | O_CREAT, 0600);
    ASSERT(fd >= 0);
    ASSERT_EQ(ftruncate(fd, 7), 0);
    close(fd);
    ASSERT_EQ(llmio__shmbucket_open(name, 60, &b), LLMIO_E_STATE);
    ASSERT_NULL(b.state);
    ASSERT_OK(llmio__shmbucket_unlink(name));
}
