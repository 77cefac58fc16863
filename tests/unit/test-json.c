/*
 * test-json.c - the JSON parser, accessors, writer and incremental reader:
 * data cases under tests/data/json/ (each also through the reader at every
 * split), strictness, limits, round trips and allocation torture.
 */
#include "test-parsers.h"

#include "arena.h"
#include "buf.h"
#include "json.h"

#include <float.h>
#include <math.h>

#define VALID_DIR "tests/data/json/valid"
#define INVALID_DIR "tests/data/json/invalid"

/* Canonical re-serialization of TEXT; fails the test if it does not parse.
 * Returns a malloc'd string. */
static char *canon(const char *text, size_t len, size_t *out_len)
{
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v;
    struct llmio__json_error err;
    llmio_status st = llmio__json_parse(&a, text, len, NULL, &v, &err);
    if (st != LLMIO_OK) {
        test_fail_(__FILE__, __LINE__, "parse failed: %s at %zu: %s",
                   llmio_status_name(st), err.offset, err.message);
    }
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    struct llmio__jw w;
    llmio__jw_init(&w, &b);
    llmio__json_write(&w, v);
    ASSERT_OK(llmio__jw_finish(&w));
    char *s = malloc(b.len + 1);
    memcpy(s, b.data, b.len + 1);
    *out_len = b.len;
    llmio__buf_cleanup(&b);
    llmio__arena_cleanup(&a);
    return s;
}

/* Checks an error file ("STATUS", "STATUS OFFSET" or "STATUS ~substring")
 * against a result. */
static void check_error(const char *name, const char *spec, llmio_status st,
                        const struct llmio__json_error *err)
{
    char want[64];
    size_t i = 0;
    while (spec[i] != '\0' && spec[i] != ' ' && spec[i] != '\n' && i < 63) {
        want[i] = spec[i];
        i++;
    }
    want[i] = '\0';
    if (strcmp(llmio_status_name(st), want) != 0) {
        test_fail_(__FILE__, __LINE__, "%s: status %s, want %s (%s at %zu)",
                   name, llmio_status_name(st), want, err->message,
                   err->offset);
    }
    if (spec[i] != ' ') {
        return;
    }
    const char *rest = spec + i + 1;
    if (rest[0] == '~') {
        char sub[128];
        snprintf(sub, sizeof sub, "%s", rest + 1);
        sub[strcspn(sub, "\n")] = '\0';
        if (strstr(err->message, sub) == NULL) {
            test_fail_(__FILE__, __LINE__, "%s: message \"%s\" lacks \"%s\"",
                       name, err->message, sub);
        }
    } else {
        size_t off = (size_t)strtoull(rest, NULL, 10);
        if (err->offset != off) {
            test_fail_(__FILE__, __LINE__, "%s: offset %zu, want %zu (%s)",
                       name, err->offset, off, err->message);
        }
    }
}

TEST(json_valid_cases)
{
    size_t n;
    char **names = list_cases(VALID_DIR, &n);
    ASSERT_CMP(n, >=, 30);
    for (size_t i = 0; i < n; i++) {
        size_t len, elen, clen, c2len;
        char *in = read_case(VALID_DIR, names[i], "input", &len);
        char *exp = read_case(VALID_DIR, names[i], "expected", &elen);
        chomp(exp, &elen);
        char *c = canon(in, len, &clen);
        if (clen != elen || memcmp(c, exp, clen) != 0) {
            test_fail_(__FILE__, __LINE__, "%s:\n got  %s\n want %s", names[i],
                       c, exp);
        }
        /* The canonical form is a fixed point. */
        char *c2 = canon(c, clen, &c2len);
        ASSERT_MEM_EQ(c2, c2len, c, clen);
        free(c2);
        free(c);
        free(exp);
        free(in);
    }
    free_cases(names);
}

TEST(json_invalid_cases)
{
    size_t n;
    char **names = list_cases(INVALID_DIR, &n);
    ASSERT_CMP(n, >=, 50);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *in = read_case(INVALID_DIR, names[i], "input", &len);
        char *spec = read_case(INVALID_DIR, names[i], "error", NULL);
        struct llmio__arena a;
        llmio__arena_init(&a, NULL, 0);
        const struct llmio__json *v = (const void *)1;
        struct llmio__json_error err;
        llmio_status st = llmio__json_parse(&a, in, len, NULL, &v, &err);
        ASSERT_NULL(v);
        check_error(names[i], spec, st, &err);
        ASSERT(err.line >= 1 && err.column >= 1);
        llmio__arena_cleanup(&a);
        free(spec);
        free(in);
    }
    free_cases(names);
}

static const struct llmio__json *parse_ok(struct llmio__arena *a, const char *s)
{
    const struct llmio__json *v;
    struct llmio__json_error err;
    llmio_status st = llmio__json_parse(a, s, strlen(s), NULL, &v, &err);
    if (st != LLMIO_OK) {
        test_fail_(__FILE__, __LINE__, "parse of %s: %s at %zu: %s", s,
                   llmio_status_name(st), err.offset, err.message);
    }
    return v;
}

TEST(json_accessors)
{
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v = parse_ok(
        &a, "{\"s\":\"h\\u00e9\",\"i\":-42,\"d\":2.5,\"t\":true,\"f\":false,"
            "\"n\":null,\"arr\":[1,\"x\",[]],\"o\":{\"k\":\"v\"}}");
    ASSERT_EQ(llmio__json_type(v), LLMIO__JSON_OBJECT);
    ASSERT_EQ(llmio__json_len(v), 8);
    size_t len;
    ASSERT_STR_EQ(llmio__json_str(llmio__json_get(v, "s"), &len), "h\xc3\xa9");
    ASSERT_EQ(len, 3);
    int64_t i;
    ASSERT(llmio__json_int(llmio__json_get(v, "i"), &i));
    ASSERT_EQ(i, -42);
    ASSERT(!llmio__json_int(llmio__json_get(v, "d"), &i));
    double d;
    ASSERT(llmio__json_double(llmio__json_get(v, "d"), &d));
    ASSERT(d == 2.5);
    ASSERT(llmio__json_double(llmio__json_get(v, "i"), &d));
    ASSERT(d == -42.0);
    bool b = false;
    ASSERT(llmio__json_bool(llmio__json_get(v, "t"), &b) && b);
    ASSERT(llmio__json_bool(llmio__json_get(v, "f"), &b) && !b);
    ASSERT(!llmio__json_bool(llmio__json_get(v, "n"), &b));
    ASSERT(llmio__json_is_null(llmio__json_get(v, "n")));
    ASSERT(!llmio__json_is_null(llmio__json_get(v, "t")));
    ASSERT_EQ(llmio__json_type(llmio__json_get(v, "n")), LLMIO__JSON_NULL);
    ASSERT_EQ(llmio__json_type(llmio__json_get(v, "t")), LLMIO__JSON_TRUE);
    ASSERT_EQ(llmio__json_type(llmio__json_get(v, "f")), LLMIO__JSON_FALSE);
    ASSERT_EQ(llmio__json_type(llmio__json_get(v, "d")), LLMIO__JSON_NUMBER);
    const struct llmio__json *arr = llmio__json_get(v, "arr");
    ASSERT_EQ(llmio__json_type(arr), LLMIO__JSON_ARRAY);
    ASSERT_EQ(llmio__json_len(arr), 3);
    ASSERT(llmio__json_int(llmio__json_at(arr, 0), &i) && i == 1);
    ASSERT_STR_EQ(llmio__json_str(llmio__json_at(arr, 1), NULL), "x");
    ASSERT_EQ(llmio__json_len(llmio__json_at(arr, 2)), 0);
    ASSERT_NULL(llmio__json_at(arr, 3));
    ASSERT_NULL(llmio__json_at(v, 0));
    ASSERT_NULL(llmio__json_get(arr, "s"));
    const char *key;
    size_t klen;
    const struct llmio__json *m = llmio__json_member(v, 7, &key, &klen);
    ASSERT_MEM_EQ(key, klen, "o", 1);
    ASSERT_STR_EQ(llmio__json_str(llmio__json_get(m, "k"), NULL), "v");
    ASSERT_NULL(llmio__json_member(v, 8, &key, &klen));
    ASSERT_NULL(key);
    ASSERT_NULL(llmio__json_get(v, "missing"));
    ASSERT(llmio__json_getn(v, "ix", 1) == llmio__json_get(v, "i"));
    ASSERT(llmio__json_str_eq(llmio__json_get(v, "s"), "h\xc3\xa9", 3));
    ASSERT(!llmio__json_str_eq(llmio__json_get(v, "i"), "h", 1));
    const char *t = llmio__json_number_text(llmio__json_get(v, "d"), &len);
    ASSERT_MEM_EQ(t, len, "2.5", 3);
    ASSERT_NULL(llmio__json_number_text(llmio__json_get(v, "s"), &len));
    const char *raw = llmio__json_raw(llmio__json_get(v, "arr"), &len);
    ASSERT_MEM_EQ(raw, len, "[1,\"x\",[]]", 10);
    raw = llmio__json_raw(llmio__json_get(v, "s"), &len);
    ASSERT_MEM_EQ(raw, len, "\"h\\u00e9\"", 9);
    llmio__arena_cleanup(&a);
}

TEST(json_accessors_accept_null)
{
    int64_t i;
    double d;
    bool b;
    size_t len = 99;
    ASSERT_EQ(llmio__json_type(NULL), LLMIO__JSON_NONE);
    ASSERT_NULL(llmio__json_get(NULL, "a"));
    ASSERT_NULL(llmio__json_getn(NULL, "a", 1));
    ASSERT_EQ(llmio__json_len(NULL), 0);
    ASSERT_NULL(llmio__json_at(NULL, 0));
    ASSERT_NULL(llmio__json_member(NULL, 0, NULL, NULL));
    ASSERT_NULL(llmio__json_str(NULL, &len));
    ASSERT_EQ(len, 0);
    ASSERT(!llmio__json_int(NULL, &i));
    ASSERT(!llmio__json_double(NULL, &d));
    ASSERT(!llmio__json_bool(NULL, &b));
    ASSERT(!llmio__json_is_null(NULL));
    ASSERT_NULL(llmio__json_number_text(NULL, &len));
    ASSERT_NULL(llmio__json_raw(NULL, &len));
    ASSERT(!llmio__json_str_eq(NULL, "", 0));
}

TEST(json_duplicate_keys_last_wins)
{
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v = parse_ok(&a, "{\"a\":1,\"b\":2,\"a\":3}");
    int64_t i;
    ASSERT(llmio__json_int(llmio__json_get(v, "a"), &i));
    ASSERT_EQ(i, 3);
    ASSERT_EQ(llmio__json_len(v), 3);
    llmio__arena_cleanup(&a);
}

TEST(json_embedded_nul_and_escapes)
{
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v =
        parse_ok(&a, "[\"a\\u0000b\",\"\\ud83d\\ude00\",\"\\/\\\"\"]");
    size_t len;
    const char *s = llmio__json_str(llmio__json_at(v, 0), &len);
    ASSERT_MEM_EQ(s, len, "a\0b", 3);
    ASSERT_EQ(s[3], '\0');
    s = llmio__json_str(llmio__json_at(v, 1), &len);
    ASSERT_MEM_EQ(s, len, "\xf0\x9f\x98\x80", 4);
    s = llmio__json_str(llmio__json_at(v, 2), &len);
    ASSERT_MEM_EQ(s, len, "/\"", 2);
    llmio__arena_cleanup(&a);
}

TEST(json_int64_exact)
{
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v = parse_ok(
        &a, "[9223372036854775807,-9223372036854775808,9223372036854775808,"
            "-9223372036854775809,0,-0,1e2,1.0,12345678901234567890123]");
    int64_t i;
    ASSERT(llmio__json_int(llmio__json_at(v, 0), &i) && i == INT64_MAX);
    ASSERT(llmio__json_int(llmio__json_at(v, 1), &i) && i == INT64_MIN);
    ASSERT(!llmio__json_int(llmio__json_at(v, 2), &i));
    ASSERT(!llmio__json_int(llmio__json_at(v, 3), &i));
    ASSERT(llmio__json_int(llmio__json_at(v, 4), &i) && i == 0);
    ASSERT(llmio__json_int(llmio__json_at(v, 5), &i) && i == 0);
    ASSERT(!llmio__json_int(llmio__json_at(v, 6), &i));
    ASSERT(!llmio__json_int(llmio__json_at(v, 7), &i));
    ASSERT(!llmio__json_int(llmio__json_at(v, 8), &i));
    double d;
    ASSERT(llmio__json_double(llmio__json_at(v, 2), &d));
    ASSERT(d == 9223372036854775808.0);
    ASSERT(llmio__json_double(llmio__json_at(v, 8), &d));
    ASSERT(d == 12345678901234567890123.0);
    ASSERT(llmio__json_double(llmio__json_at(v, 5), &d));
    ASSERT(d == 0 && signbit(d) == 0); /* "-0" is the integer 0 */
    llmio__arena_cleanup(&a);
}

TEST(json_double_conversion)
{
    static const struct {
        const char *text;
        double want;
    } cases[] = {
        {"0.1", 0.1},
        {"-2.5e-3", -2.5e-3},
        {"1e22", 1e22},
        {"1e23", 1e23},
        {"123456789012345678", 123456789012345678.0},
        {"2.2250738585072014e-308", 2.2250738585072014e-308},
        {"4.9406564584124654e-324", 4.9406564584124654e-324},
        {"1.7976931348623157e308", 1.7976931348623157e308},
        {"0.30000000000000004", 0.30000000000000004},
        {"9007199254740993", 9007199254740992.0},
        {"1E-7", 1e-7},
        {"-0.0", -0.0},
    };
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct llmio__json *v = parse_ok(&a, cases[k].text);
        double d = 0;
        ASSERT(llmio__json_double(v, &d));
        if (memcmp(&d, &cases[k].want, sizeof d) != 0) {
            test_fail_(__FILE__, __LINE__, "%s -> %.17g", cases[k].text, d);
        }
    }
    const struct llmio__json *v = parse_ok(&a, "1e400");
    double d;
    ASSERT(llmio__json_double(v, &d));
    ASSERT(isinf(d));
    llmio__arena_cleanup(&a);
}

TEST(json_raw_passthrough)
{
    /* Tool-call argument objects and schemas pass through byte for byte,
     * whitespace and escapes included. */
    const char *doc =
        "{\"name\":\"f\", \"input\" : { \"city\" : \"Lis\\u0062on\","
        " \"n\": [1, 2.50] } , \"z\":0}";
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v = parse_ok(&a, doc);
    size_t len;
    const char *raw = llmio__json_raw(llmio__json_get(v, "input"), &len);
    const char *want = "{ \"city\" : \"Lis\\u0062on\", \"n\": [1, 2.50] }";
    ASSERT_MEM_EQ(raw, len, want, strlen(want));
    raw = llmio__json_raw(v, &len);
    ASSERT_MEM_EQ(raw, len, doc, strlen(doc));
    llmio__arena_cleanup(&a);
}

TEST(json_tree_outlives_input)
{
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    char *doc = strdup("{\"k\":\"value\",\"n\":[1]}");
    const struct llmio__json *v;
    ASSERT_OK(llmio__json_parse(&a, doc, strlen(doc), NULL, &v, NULL));
    memset(doc, 'x', strlen(doc));
    free(doc);
    ASSERT_STR_EQ(llmio__json_str(llmio__json_get(v, "k"), NULL), "value");
    size_t len;
    const char *raw = llmio__json_raw(llmio__json_get(v, "n"), &len);
    ASSERT_MEM_EQ(raw, len, "[1]", 3);
    llmio__arena_cleanup(&a);
}

TEST(json_limits)
{
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v;
    struct llmio__json_error err;
    struct llmio__json_limits lim = {3, 10};
    ASSERT_OK(llmio__json_parse(&a, "[[[1]]]", 7, &lim, &v, &err));
    ASSERT_EQ(llmio__json_parse(&a, "[[[[1]]]]", 9, &lim, &v, &err),
              LLMIO_E_TOO_BIG);
    ASSERT_EQ(err.offset, 3);
    ASSERT_NULL(v);
    ASSERT_OK(llmio__json_parse(&a, "\"12345678\"", 10, &lim, &v, &err));
    ASSERT_EQ(llmio__json_parse(&a, "\"123456789\"", 11, &lim, &v, &err),
              LLMIO_E_TOO_BIG);
    /* The default depth is 128 (the data cases test the edge). */
    ASSERT_EQ(llmio__json_parse(&a, "{}", 2, NULL, &v, NULL), LLMIO_OK);
    llmio__arena_cleanup(&a);
}

TEST(json_big_document)
{
    /* Past the parser's on-stack node space (heap spill) and a long
     * escaped string. */
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    llmio__buf_append(&b, "{\"items\":[", 10);
    for (int k = 0; k < 5000; k++) {
        llmio__buf_appendf(&b, "%s{\"i\":%d,\"s\":\"a\\nb\\t\"}", k ? "," : "",
                           k);
    }
    llmio__buf_append(&b, "]}", 2);
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v;
    ASSERT_OK(llmio__json_parse(&a, b.data, b.len, NULL, &v, NULL));
    const struct llmio__json *items = llmio__json_get(v, "items");
    ASSERT_EQ(llmio__json_len(items), 5000);
    int64_t i;
    ASSERT(
        llmio__json_int(llmio__json_get(llmio__json_at(items, 4999), "i"), &i));
    ASSERT_EQ(i, 4999);
    size_t clen;
    char *c = canon(b.data, b.len, &clen);
    ASSERT_MEM_EQ(c, clen, b.data, b.len);
    free(c);
    llmio__arena_cleanup(&a);
    llmio__buf_cleanup(&b);
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

TEST(json_writer_basic)
{
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    struct llmio__jw w;
    llmio__jw_init(&w, &b);
    llmio__jw_obj_begin(&w);
    llmio__jw_keys(&w, "model");
    llmio__jw_strs(&w, "gpt");
    llmio__jw_keys(&w, "messages");
    llmio__jw_arr_begin(&w);
    llmio__jw_obj_begin(&w);
    llmio__jw_keys(&w, "role");
    llmio__jw_strs(&w, "user");
    llmio__jw_obj_end(&w);
    llmio__jw_int(&w, -7);
    llmio__jw_dbl(&w, 0.25);
    llmio__jw_bool(&w, true);
    llmio__jw_bool(&w, false);
    llmio__jw_null(&w);
    llmio__jw_raw(&w, "{\"a\": [1]}", 10);
    llmio__jw_arr_begin(&w);
    llmio__jw_arr_end(&w);
    llmio__jw_arr_end(&w);
    llmio__jw_keys(&w, "e");
    llmio__jw_obj_begin(&w);
    llmio__jw_obj_end(&w);
    llmio__jw_key(&w, NULL, 0);
    llmio__jw_str(&w, NULL, 0);
    llmio__jw_obj_end(&w);
    ASSERT_OK(llmio__jw_finish(&w));
    ASSERT_STR_EQ(b.data,
                  "{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\"},"
                  "-7,0.25,true,false,null,{\"a\": [1]},[]],"
                  "\"e\":{},\"\":\"\"}");
    llmio__buf_cleanup(&b);
}

static llmio_status write_status(void (*fn)(struct llmio__jw *))
{
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    struct llmio__jw w;
    llmio__jw_init(&w, &b);
    fn(&w);
    llmio_status st = llmio__jw_finish(&w);
    llmio__buf_cleanup(&b);
    return st;
}

static void misuse_key_in_array(struct llmio__jw *w)
{
    llmio__jw_arr_begin(w);
    llmio__jw_keys(w, "k");
    llmio__jw_arr_end(w);
}

static void misuse_value_without_key(struct llmio__jw *w)
{
    llmio__jw_obj_begin(w);
    llmio__jw_int(w, 1);
    llmio__jw_obj_end(w);
}

static void misuse_unbalanced(struct llmio__jw *w)
{
    llmio__jw_arr_begin(w);
    llmio__jw_obj_end(w);
}

static void misuse_unclosed(struct llmio__jw *w)
{
    llmio__jw_arr_begin(w);
}

static void misuse_two_roots(struct llmio__jw *w)
{
    llmio__jw_int(w, 1);
    llmio__jw_int(w, 2);
}

static void misuse_dangling_key(struct llmio__jw *w)
{
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "k");
    llmio__jw_obj_end(w);
}

static void misuse_nan(struct llmio__jw *w)
{
    llmio__jw_dbl(w, NAN);
}

static void misuse_inf(struct llmio__jw *w)
{
    llmio__jw_arr_begin(w);
    llmio__jw_dbl(w, -INFINITY);
    llmio__jw_arr_end(w);
}

static void misuse_bad_utf8(struct llmio__jw *w)
{
    llmio__jw_str(w, "a\xc0\xafz", 4);
}

static void misuse_too_deep(struct llmio__jw *w)
{
    for (int i = 0; i < LLMIO__JW_MAX_DEPTH + 1; i++) {
        llmio__jw_arr_begin(w);
    }
    for (int i = 0; i < LLMIO__JW_MAX_DEPTH + 1; i++) {
        llmio__jw_arr_end(w);
    }
}

static void nothing(struct llmio__jw *w)
{
    (void)w;
}

TEST(json_writer_misuse)
{
    ASSERT_EQ(write_status(misuse_key_in_array), LLMIO_E_INVALID);
    ASSERT_EQ(write_status(misuse_value_without_key), LLMIO_E_INVALID);
    ASSERT_EQ(write_status(misuse_unbalanced), LLMIO_E_INVALID);
    ASSERT_EQ(write_status(misuse_unclosed), LLMIO_E_INVALID);
    ASSERT_EQ(write_status(misuse_two_roots), LLMIO_E_INVALID);
    ASSERT_EQ(write_status(misuse_dangling_key), LLMIO_E_INVALID);
    ASSERT_EQ(write_status(misuse_nan), LLMIO_E_INVALID);
    ASSERT_EQ(write_status(misuse_inf), LLMIO_E_INVALID);
    ASSERT_EQ(write_status(misuse_bad_utf8), LLMIO_E_INVALID);
    ASSERT_EQ(write_status(misuse_too_deep), LLMIO_E_INVALID);
    ASSERT_EQ(write_status(nothing), LLMIO_E_INVALID);
}

/* B (written JSON) parses back to the string IN[0..N). */
static void reads_back(const struct llmio__buf *b, const char *in, size_t n)
{
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v;
    ASSERT_OK(llmio__json_parse(&a, b->data, b->len, NULL, &v, NULL));
    size_t len;
    const char *s = llmio__json_str(v, &len);
    ASSERT_MEM_EQ(s, len, in, n);
    llmio__arena_cleanup(&a);
}

TEST(json_writer_special_byte_at_every_offset)
{
    /* The plain-text scan goes 16 bytes at a time: a byte to escape (or a
     * UTF-8 sequence, or an invalid byte) at any offset of a long string
     * must still be found. */
    static const char *const special[] = {"\x01",     "\x1f", "\"",  "\\",
                                          "\xc3\xa9", "\x7f", "\xff"};
    for (size_t k = 0; k < sizeof special / sizeof special[0]; k++) {
        for (size_t at = 0; at <= 40; at++) {
            char in[64];
            size_t sl = strlen(special[k]);
            memset(in, 'a', sizeof in);
            memcpy(in + at, special[k], sl);
            size_t n = 41 + sl;
            struct llmio__buf b;
            llmio__buf_init(&b, NULL, 0);
            struct llmio__jw w;
            llmio__jw_init(&w, &b);
            llmio__jw_str(&w, in, n);
            if (special[k][0] == '\xff') {
                ASSERT_EQ(llmio__jw_finish(&w), LLMIO_E_INVALID);
                llmio__buf_cleanup(&b);
                continue;
            }
            ASSERT_OK(llmio__jw_finish(&w));
            reads_back(&b, in, n);
            llmio__buf_cleanup(&b);
        }
    }
}

TEST(json_writer_escapes_every_byte)
{
    /* Every control character, quote and backslash, plus all other ASCII
     * and some multi-byte UTF-8: writes valid JSON that reads back equal. */
    char in[160];
    size_t n = 0;
    for (int c = 1; c < 128; c++) {
        in[n++] = (char)c;
    }
    in[n++] = '\0';
    memcpy(in + n, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
    n += 9;
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    struct llmio__jw w;
    llmio__jw_init(&w, &b);
    llmio__jw_str(&w, in, n);
    ASSERT_OK(llmio__jw_finish(&w));
    for (size_t i = 0; i < b.len; i++) {
        ASSERT((unsigned char)b.data[i] >= 0x20);
    }
    ASSERT_CONTAINS(b.data, "\\u0001\\u0002");
    ASSERT_CONTAINS(b.data, "\\b\\t\\n\\u000b\\f\\r");
    ASSERT_CONTAINS(b.data, "!\\\"#");
    ASSERT_CONTAINS(b.data, "[\\\\]");
    ASSERT_CONTAINS(b.data, "\\u0000");
    reads_back(&b, in, n);
    llmio__buf_cleanup(&b);
}

static void roundtrip_double(double d)
{
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    struct llmio__jw w;
    llmio__jw_init(&w, &b);
    llmio__jw_dbl(&w, d);
    ASSERT_OK(llmio__jw_finish(&w));
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v;
    ASSERT_OK(llmio__json_parse(&a, b.data, b.len, NULL, &v, NULL));
    double back = 0;
    ASSERT(llmio__json_double(v, &back));
    if (memcmp(&back, &d, sizeof d) != 0 && !(d == 0 && back == 0)) {
        test_fail_(__FILE__, __LINE__, "%.17g wrote %s read %.17g", d, b.data,
                   back);
    }
    ASSERT_CMP(b.len, <=, 24);
    llmio__arena_cleanup(&a);
    llmio__buf_cleanup(&b);
}

TEST(json_writer_doubles_roundtrip)
{
    static const double fixed[] = {
        0.0,     1.0,     -1.0,    0.1,
        1.0 / 3, 2.0 / 3, 1e-300,  5e-324,
        DBL_MAX, DBL_MIN, 1e21,    1e22,
        1e23,    123.456, -2.5e-8, 9007199254740993.0};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        roundtrip_double(fixed[i]);
    }
    /* Deterministic pseudo-random bit patterns. */
    uint64_t x = 0x9E3779B97F4A7C15ull;
    int count = test_is_valgrind() ? 300 : 5000;
    for (int i = 0; i < count; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        if (isfinite(d)) {
            roundtrip_double(d);
        }
    }
    /* Shortest form where one exists. */
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    struct llmio__jw w;
    llmio__jw_init(&w, &b);
    llmio__jw_arr_begin(&w);
    llmio__jw_dbl(&w, 0.1);
    llmio__jw_dbl(&w, 1.5);
    llmio__jw_dbl(&w, 100);
    llmio__jw_dbl(&w, -0.0);
    llmio__jw_dbl(&w, 1e-7);
    llmio__jw_arr_end(&w);
    ASSERT_OK(llmio__jw_finish(&w));
    ASSERT_STR_EQ(b.data, "[0.1,1.5,100,-0,1e-07]");
    llmio__buf_cleanup(&b);
}

TEST(json_writer_int64_limits)
{
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    struct llmio__jw w;
    llmio__jw_init(&w, &b);
    llmio__jw_arr_begin(&w);
    llmio__jw_int(&w, INT64_MIN);
    llmio__jw_int(&w, INT64_MAX);
    llmio__jw_int(&w, 0);
    llmio__jw_int(&w, -1);
    llmio__jw_arr_end(&w);
    ASSERT_OK(llmio__jw_finish(&w));
    ASSERT_STR_EQ(b.data, "[-9223372036854775808,9223372036854775807,0,-1]");
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v;
    ASSERT_OK(llmio__json_parse(&a, b.data, b.len, NULL, &v, NULL));
    int64_t i;
    ASSERT(llmio__json_int(llmio__json_at(v, 0), &i) && i == INT64_MIN);
    ASSERT(llmio__json_int(llmio__json_at(v, 1), &i) && i == INT64_MAX);
    llmio__arena_cleanup(&a);
    llmio__buf_cleanup(&b);
}

TEST(json_writer_roundtrip_tree)
{
    /* write -> parse -> equal, through the builder API. */
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    struct llmio__jw w;
    llmio__jw_init(&w, &b);
    llmio__jw_obj_begin(&w);
    llmio__jw_key(&w, "k\0ey", 4);
    llmio__jw_str(&w, "v\"\\\n\x7f", 5);
    llmio__jw_keys(&w, "list");
    llmio__jw_arr_begin(&w);
    for (int i = 0; i < 50; i++) {
        llmio__jw_int(&w, i * 1000003LL);
    }
    llmio__jw_arr_end(&w);
    llmio__jw_obj_end(&w);
    ASSERT_OK(llmio__jw_finish(&w));
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v;
    ASSERT_OK(llmio__json_parse(&a, b.data, b.len, NULL, &v, NULL));
    size_t len;
    const char *s = llmio__json_str(llmio__json_getn(v, "k\0ey", 4), &len);
    ASSERT_MEM_EQ(s, len, "v\"\\\n\x7f", 5);
    const struct llmio__json *list = llmio__json_get(v, "list");
    ASSERT_EQ(llmio__json_len(list), 50);
    int64_t i;
    ASSERT(llmio__json_int(llmio__json_at(list, 49), &i));
    ASSERT_EQ(i, 49 * 1000003LL);
    /* And the tree writes back to the same bytes. */
    struct llmio__buf b2;
    llmio__buf_init(&b2, NULL, 0);
    llmio__jw_init(&w, &b2);
    llmio__json_write(&w, v);
    ASSERT_OK(llmio__jw_finish(&w));
    ASSERT_MEM_EQ(b2.data, b2.len, b.data, b.len);
    llmio__buf_cleanup(&b2);
    llmio__arena_cleanup(&a);
    llmio__buf_cleanup(&b);
}

TEST(json_writer_buffer_limit_is_sticky)
{
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 8);
    struct llmio__jw w;
    llmio__jw_init(&w, &b);
    llmio__jw_arr_begin(&w);
    llmio__jw_strs(&w, "0123456789");
    llmio__jw_int(&w, 1);
    llmio__jw_arr_end(&w);
    ASSERT_EQ(llmio__jw_status(&w), LLMIO_E_TOO_BIG);
    ASSERT_EQ(llmio__jw_finish(&w), LLMIO_E_TOO_BIG);
    ASSERT_CMP(b.len, <=, 8);
    llmio__buf_cleanup(&b);
}

/* ------------------------------------------------------------------ */
/* Allocation torture                                                  */
/* ------------------------------------------------------------------ */

static char *big_doc(size_t *len)
{
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    llmio__buf_appends(&b, "{\"data\":[");
    for (int k = 0; k < 400; k++) {
        llmio__buf_appendf(&b, "%s{\"i\":%d,\"t\":\"x\\ty\",\"d\":[%d.5]}",
                           k ? "," : "", k, k);
    }
    llmio__buf_appends(&b, "]}");
    *len = b.len;
    return b.data;
}

TEST(json_torture_parse)
{
    size_t len;
    char *doc = big_doc(&len);
    bool ok = false;
    for (long n = 1; !ok; n++) {
        struct fail_alloc fa;
        fail_alloc_init(&fa, n);
        struct llmio__arena a;
        llmio__arena_init(&a, &fa.a, 0);
        const struct llmio__json *v;
        llmio_status st = llmio__json_parse(&a, doc, len, NULL, &v, NULL);
        if (st == LLMIO_OK) {
            ASSERT_EQ(llmio__json_len(llmio__json_get(v, "data")), 400);
            ok = true;
        } else {
            ASSERT_EQ(st, LLMIO_E_NOMEM);
            ASSERT_NULL(v);
        }
        llmio__arena_cleanup(&a);
        ASSERT_EQ(fa.live, 0);
        ASSERT_CMP(n, <, 10000);
    }
    free(doc);
}

TEST(json_torture_writer)
{
    size_t len;
    char *doc = big_doc(&len);
    struct llmio__arena src;
    llmio__arena_init(&src, NULL, 0);
    const struct llmio__json *tree;
    ASSERT_OK(llmio__json_parse(&src, doc, len, NULL, &tree, NULL));
    bool ok = false;
    for (long n = 1; !ok; n++) {
        struct fail_alloc fa;
        fail_alloc_init(&fa, n);
        struct llmio__buf b;
        llmio__buf_init(&b, &fa.a, 0);
        struct llmio__jw w;
        llmio__jw_init(&w, &b);
        llmio__json_write(&w, tree);
        llmio__jw_dbl(&w, 1.5); /* a second root: ignored after errors */
        llmio_status st = llmio__jw_status(&w);
        if (!fa.failed) {
            ASSERT_EQ(st, LLMIO_E_INVALID);
            ASSERT_MEM_EQ(b.data, b.len, doc, len);
            ok = true;
        } else {
            ASSERT_EQ(st, LLMIO_E_NOMEM);
        }
        llmio__buf_cleanup(&b);
        ASSERT_EQ(fa.live, 0);
        ASSERT_CMP(n, <, 1000);
    }
    llmio__arena_cleanup(&src);
    free(doc);
}

/* ------------------------------------------------------------------ */
/* Incremental reader                                                  */
/* ------------------------------------------------------------------ */

#define STREAM_DIR "tests/data/json/stream"

/*
 * Feeds IN to a reader in pieces (CUT: two feeds split there; SIZE_MAX:
 * whole; 0 with BYTEWISE: one byte at a time), then finishes it. Returns a
 * malloc'd transcript: one canonical value per line, then "error STATUS
 * OFFSET LINE:COL MESSAGE" if the stream failed.
 */
static char *reader_run(const char *in, size_t len, size_t cut, bool bytewise,
                        const struct llmio__json_limits *lim)
{
    struct llmio__json_reader r;
    llmio__json_reader_init(&r, NULL, lim);
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    struct llmio__buf out;
    llmio__buf_init(&out, NULL, 0);
    llmio__buf_append(&out, "", 0);
    size_t at = 0;
    bool failed = false;
    for (;;) {
        if (at < len) {
            size_t next =
                bytewise ? at + 1 : (at < cut && cut < len ? cut : len);
            if (llmio__json_reader_feed(&r, in + at, next - at) != LLMIO_OK) {
                failed = true;
            }
            at = next;
        } else {
            llmio__json_reader_finish(&r);
        }
        const struct llmio__json *v;
        int rc;
        while (!failed && (rc = llmio__json_reader_next(&r, &a, &v)) == 1) {
            struct llmio__jw w;
            llmio__jw_init(&w, &out);
            llmio__json_write(&w, v);
            ASSERT_OK(llmio__jw_finish(&w));
            llmio__buf_appendc(&out, '\n');
            llmio__arena_reset(&a);
        }
        if (!failed && rc < 0) {
            failed = true;
        }
        if (failed || (at >= len && r.eof)) {
            break;
        }
    }
    struct llmio__json_error err;
    llmio_status st = llmio__json_reader_status(&r, &err);
    if (st != LLMIO_OK) {
        llmio__buf_appendf(&out, "error %s %zu %zu:%zu %s\n",
                           llmio_status_name(st), err.offset, err.line,
                           err.column, err.message);
    }
    llmio__json_reader_cleanup(&r);
    llmio__arena_cleanup(&a);
    char *s = strdup(out.data);
    llmio__buf_cleanup(&out);
    return s;
}

/* Every split of IN gives WANT. */
static void reader_every_split(const char *name, const char *in, size_t len,
                               const char *want)
{
    char *got = reader_run(in, len, SIZE_MAX, true, NULL);
    if (strcmp(got, want) != 0) {
        test_fail_(__FILE__, __LINE__, "%s bytewise:\n%s--- want\n%s", name,
                   got, want);
    }
    free(got);
    size_t limit = test_is_valgrind() ? 300 : 3000;
    size_t step = len <= limit ? 1 : len / 61 + 1;
    for (size_t cut = 0; cut <= len; cut += step) {
        got = reader_run(in, len, cut, false, NULL);
        if (strcmp(got, want) != 0) {
            test_fail_(__FILE__, __LINE__, "%s split at %zu:\n%s--- want\n%s",
                       name, cut, got, want);
        }
        free(got);
    }
}

TEST(json_reader_valid_cases_every_split)
{
    size_t n;
    char **names = list_cases(VALID_DIR, &n);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *in = read_case(VALID_DIR, names[i], "input", &len);
        char *want = read_case(VALID_DIR, names[i], "expected", NULL);
        char *whole = reader_run(in, len, SIZE_MAX, false, NULL);
        ASSERT_STR_EQ(whole, want);
        reader_every_split(names[i], in, len, want);
        free(whole);
        free(want);
        free(in);
    }
    free_cases(names);
}

TEST(json_reader_invalid_cases_every_split)
{
    size_t n;
    char **names = list_cases(INVALID_DIR, &n);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *in = read_case(INVALID_DIR, names[i], "input", &len);
        char *whole = reader_run(in, len, SIZE_MAX, false, NULL);
        reader_every_split(names[i], in, len, whole);
        /* With no value before the failure, the reader reports what the
         * one-shot parser reports. */
        if (strncmp(whole, "error ", 6) == 0) {
            struct llmio__arena a;
            llmio__arena_init(&a, NULL, 0);
            const struct llmio__json *v;
            struct llmio__json_error err;
            llmio_status st = llmio__json_parse(&a, in, len, NULL, &v, &err);
            char prefix[64];
            snprintf(prefix, sizeof prefix, "error %s %zu ",
                     llmio_status_name(st), err.offset);
            if (strncmp(whole, prefix, strlen(prefix)) != 0) {
                test_fail_(__FILE__, __LINE__, "%s: reader %s parser %s%s",
                           names[i], whole, prefix, err.message);
            }
            llmio__arena_cleanup(&a);
        }
        free(whole);
        free(in);
    }
    free_cases(names);
}

TEST(json_reader_stream_cases)
{
    size_t n;
    char **names = list_cases(STREAM_DIR, &n);
    ASSERT_CMP(n, >=, 5);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *in = read_case(STREAM_DIR, names[i], "input", &len);
        char *want = read_case(STREAM_DIR, names[i], "expected", NULL);
        char *got = reader_run(in, len, SIZE_MAX, false, NULL);
        if (strcmp(got, want) != 0) {
            test_fail_(__FILE__, __LINE__, "%s:\n%s--- want\n%s", names[i], got,
                       want);
        }
        reader_every_split(names[i], in, len, want);
        free(got);
        free(want);
        free(in);
    }
    free_cases(names);
}

TEST(json_reader_needs_finish_for_scalars)
{
    struct llmio__json_reader r;
    llmio__json_reader_init(&r, NULL, NULL);
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const struct llmio__json *v;
    ASSERT_EQ(llmio__json_reader_next(&r, &a, &v), 0);
    ASSERT_OK(llmio__json_reader_feed(&r, "{\"a\":1} 12", 10));
    ASSERT_EQ(llmio__json_reader_next(&r, &a, &v), 1);
    ASSERT_EQ(llmio__json_len(v), 1);
    ASSERT_EQ(llmio__json_reader_next(&r, &a, &v), 0); /* 12 may go on */
    ASSERT_NULL(v);
    ASSERT_OK(llmio__json_reader_feed(&r, "3", 1));
    ASSERT_EQ(llmio__json_reader_next(&r, &a, &v), 0);
    llmio__json_reader_finish(&r);
    ASSERT_EQ(llmio__json_reader_next(&r, &a, &v), 1);
    int64_t i;
    ASSERT(llmio__json_int(v, &i) && i == 123);
    ASSERT_EQ(llmio__json_reader_next(&r, &a, &v), 0);
    ASSERT_EQ(llmio__json_reader_feed(&r, "1", 1), LLMIO_E_STATE);
    ASSERT_OK(llmio__json_reader_status(&r, NULL));
    llmio__json_reader_cleanup(&r);
    llmio__arena_cleanup(&a);
}

TEST(json_reader_value_limit)
{
    struct llmio__json_limits lim = {0, 16};
    char *got = reader_run("[1,2,3] \"0123456789abcdef\" [1,2,3,4,5,6,7,8,9]",
                           46, SIZE_MAX, false, &lim);
    ASSERT_STR_EQ(got, "[1,2,3]\n"
                       "error E_TOO_BIG 24 1:25 value larger than the limit\n");
    free(got);
    for (size_t cut = 0; cut < 46; cut++) {
        got = reader_run("[1,2,3] \"0123456789abcdef\" [1,2,3,4,5,6,7,8,9]", 46,
                         cut, false, &lim);
        ASSERT_STR_EQ(got,
                      "[1,2,3]\n"
                      "error E_TOO_BIG 24 1:25 value larger than the limit\n");
        free(got);
    }
}

TEST(json_reader_torture)
{
    size_t len;
    char *in = read_case(STREAM_DIR, "ollama_ndjson", "input", &len);
    char *want = read_case(STREAM_DIR, "ollama_ndjson", "expected", NULL);
    bool ok = false;
    for (long n = 1; !ok; n++) {
        struct fail_alloc fa;
        fail_alloc_init(&fa, n);
        struct llmio__json_reader r;
        llmio__json_reader_init(&r, &fa.a, NULL);
        struct llmio__arena a;
        llmio__arena_init(&a, &fa.a, 0);
        struct llmio__buf out;
        llmio__buf_init(&out, NULL, 0);
        llmio__buf_append(&out, "", 0);
        llmio_status st = LLMIO_OK;
        for (size_t at = 0; at < len && st == LLMIO_OK; at += 50) {
            size_t k = len - at < 50 ? len - at : 50;
            st = llmio__json_reader_feed(&r, in + at, k);
            const struct llmio__json *v;
            int rc;
            while (st == LLMIO_OK &&
                   (rc = llmio__json_reader_next(&r, &a, &v)) == 1) {
                struct llmio__jw w;
                llmio__jw_init(&w, &out);
                llmio__json_write(&w, v);
                llmio__buf_appendc(&out, '\n');
            }
            if (st == LLMIO_OK && rc < 0) {
                st = llmio__json_reader_status(&r, NULL);
            }
        }
        if (st == LLMIO_OK) {
            ASSERT_STR_EQ(out.data, want);
            ok = true;
        } else {
            ASSERT_EQ(st, LLMIO_E_NOMEM);
        }
        llmio__buf_cleanup(&out);
        llmio__json_reader_cleanup(&r);
        llmio__arena_cleanup(&a);
        ASSERT_EQ(fa.live, 0);
        ASSERT_CMP(n, <, 500);
    }
    free(want);
    free(in);
}

/* Transcript of the framing-only reader: each value's raw bytes, then the
 * status. */
static char *reader_raw_run(const char *in, size_t len, size_t cut,
                            bool bytewise)
{
    struct llmio__json_reader r;
    llmio__json_reader_init(&r, NULL, NULL);
    struct llmio__buf out;
    llmio__buf_init(&out, NULL, 0);
    llmio__buf_append(&out, "", 0);
    size_t at = 0;
    int rc = 0;
    for (;;) {
        if (at < len) {
            size_t next =
                bytewise ? at + 1 : (at < cut && cut < len ? cut : len);
            ASSERT_OK(llmio__json_reader_feed(&r, in + at, next - at));
            at = next;
        } else {
            llmio__json_reader_finish(&r);
        }
        const char *p;
        size_t n;
        while ((rc = llmio__json_reader_next_raw(&r, &p, &n)) == 1) {
            llmio__buf_appendc(&out, '<');
            llmio__buf_append(&out, p, n);
            llmio__buf_append(&out, ">\n", 2);
        }
        if (rc < 0 || (at >= len && r.eof)) {
            break;
        }
    }
    struct llmio__json_error err;
    llmio_status st = llmio__json_reader_status(&r, &err);
    llmio__buf_appendf(&out, "%s %zu\n", llmio_status_name(st),
                       st ? err.offset : 0);
    llmio__json_reader_cleanup(&r);
    char *s = strdup(out.data);
    llmio__buf_cleanup(&out);
    return s;
}

TEST(json_reader_raw_framing)
{
    size_t n;
    char **names = list_cases(STREAM_DIR, &n);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *in = read_case(STREAM_DIR, names[i], "input", &len);
        char *want = reader_raw_run(in, len, SIZE_MAX, false);
        char *got = reader_raw_run(in, len, SIZE_MAX, true);
        ASSERT_STR_EQ(got, want);
        free(got);
        for (size_t cut = 0; cut <= len; cut++) {
            got = reader_raw_run(in, len, cut, false);
            ASSERT_STR_EQ(got, want);
            free(got);
        }
        free(want);
        free(in);
    }
    free_cases(names);
    /* The frames are exactly the values' bytes. */
    const char *nd = "{\"a\":1}\n{\"b\":[1, 2]}\r\n 7 \"s\"";
    char *got = reader_raw_run(nd, strlen(nd), SIZE_MAX, false);
    ASSERT_STR_EQ(got, "<{\"a\":1}>\n<{\"b\":[1, 2]}>\n<7>\n<\"s\">\nOK 0\n");
    free(got);
    got = reader_raw_run("[1] {\"a\":", 9, SIZE_MAX, false);
    ASSERT_STR_EQ(got, "<[1]>\nE_PROTOCOL 9\n");
    free(got);
}
