/*
 * test-parsers.h - helpers shared by the parser tests (test-json.c,
 * test-sse.c, test-buf.c, test-arena.c): a failing allocator for the
 * allocation-torture loops (the one every unit harness uses, through
 * openai-harness.h too) and a lister for data-case directories.
 * Header-only (static functions) so it adds nothing to the shared support
 * library.
 */
#ifndef LLMIO_TEST_PARSERS_H
#define LLMIO_TEST_PARSERS_H

#include "test.h"

#include "llmio.h"

#include <dirent.h>

/* An allocator that fails the Nth allocation (1-based; 0 = never) and
 * counts live blocks so tests can assert nothing leaked. */
struct fail_alloc {
    llmio_allocator a;
    long fail_at;
    long count;
    long live;
    bool failed;
};

static inline void *fa_malloc(size_t n, void *user)
{
    struct fail_alloc *f = user;
    if (++f->count == f->fail_at) {
        f->failed = true;
        return NULL;
    }
    void *p = malloc(n);
    if (p != NULL) {
        f->live++;
    }
    return p;
}

static inline void *fa_realloc(void *p, size_t n, void *user)
{
    struct fail_alloc *f = user;
    if (++f->count == f->fail_at) {
        f->failed = true;
        return NULL;
    }
    void *q = realloc(p, n);
    if (q != NULL && p == NULL) {
        f->live++;
    }
    return q;
}

static inline void fa_free(void *p, void *user)
{
    struct fail_alloc *f = user;
    if (p != NULL) {
        f->live--;
    }
    free(p);
}

static inline void fail_alloc_init(struct fail_alloc *f, long fail_at)
{
    memset(f, 0, sizeof *f);
    f->a.malloc = fa_malloc;
    f->a.realloc = fa_realloc;
    f->a.free = fa_free;
    f->a.user = f;
    f->fail_at = fail_at;
}

static inline int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the subdirectories of DIR (relative to the repository
 * root); malloc'd array of malloc'd strings, NULL-terminated. */
static inline char **list_cases(const char *dir, size_t *count)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", test_srcdir(), dir);
    DIR *d = opendir(path);
    if (d == NULL) {
        test_fail_(__FILE__, __LINE__, "cannot open %s", path);
    }
    size_t n = 0, cap = 16;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        if (n + 1 >= cap) {
            cap *= 2;
            names = realloc(names, cap * sizeof *names);
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    names[n] = NULL;
    if (count != NULL) {
        *count = n;
    }
    return names;
}

static inline void free_cases(char **names)
{
    for (size_t i = 0; names[i] != NULL; i++) {
        free(names[i]);
    }
    free(names);
}

/* Reads DIR/CASE/FILE relative to the repository root. */
static inline char *read_case(const char *dir, const char *name,
                              const char *file, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s/%s", test_srcdir(), dir, name, file);
    return test_read_file(path, len);
}

/* True if DIR/CASE/FILE exists. */
static inline bool case_has(const char *dir, const char *name, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s/%s", test_srcdir(), dir, name, file);
    FILE *f = fopen(path, "rb");
    if (f != NULL) {
        fclose(f);
        return true;
    }
    return false;
}

/* Removes one trailing newline (data files end with one). */
static inline void chomp(char *s, size_t *len)
{
    if (*len > 0 && s[*len - 1] == '\n') {
        s[--*len] = '\0';
    }
}

#endif
