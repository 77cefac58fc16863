/* test-memo.c - the repeat-shape fast path (src/providers/memo.c) and the
 * JSON string-token reader it uses: what matches a template, what misses,
 * and that a hole's string is checked and decoded as the parser does. */
#include "test-parsers.h"

#include "json.h"
#include "providers/memo.h"

/* The member KEY of object OBJ, which must be there. */
static const struct llmio__json *member(const struct llmio__json *obj,
                                        const char *key)
{
    const struct llmio__json *v = llmio__json_get(obj, key);
    ASSERT_NOT_NULL(v);
    return v;
}

struct fix {
    struct llmio__arena tree, scratch;
    struct llmio__memo m;
};

/* Records TPL as the template, holes "t" (the text) and, when OTHER,
 * "o". */
static void setup(struct fix *f, const char *tpl, bool other)
{
    const struct llmio__json *root;
    llmio__arena_init(&f->tree, NULL, 0);
    llmio__arena_init(&f->scratch, NULL, 0);
    llmio__memo_init(&f->m, NULL);
    ASSERT_OK(llmio__json_parse(&f->tree, tpl, strlen(tpl), NULL, &root, NULL));
    llmio__memo_record(&f->m, root, member(root, "t"),
                       other ? member(root, "o") : NULL);
}

static void teardown(struct fix *f)
{
    llmio__memo_cleanup(&f->m);
    llmio__arena_cleanup(&f->tree);
    llmio__arena_cleanup(&f->scratch);
}

/* Whether IN matches; on a match the text must be WANT[0..WLEN). */
static bool hit(struct fix *f, const char *in, const char *want, size_t wlen)
{
    const char *t = NULL;
    size_t tlen = 0;
    llmio__arena_reset(&f->scratch);
    if (!llmio__memo_match(&f->m, &f->scratch, in, strlen(in), &t, &tlen)) {
        return false;
    }
    ASSERT_NOT_NULL(t);
    ASSERT_MEM_EQ(t, tlen, want, wlen);
    ASSERT_EQ(t[tlen], '\0');
    return true;
}

TEST(memo_matches_other_strings_in_the_holes)
{
    struct fix f;
    setup(&f, "{\"a\":1,\"t\":\"x\",\"b\":[null,\"s\"],\"o\":\"pad\",\"z\":{}}",
          true);
    ASSERT(hit(
        &f, "{\"a\":1,\"t\":\"x\",\"b\":[null,\"s\"],\"o\":\"pad\",\"z\":{}}",
        "x", 1));
    ASSERT(hit(
        &f, "{\"a\":1,\"t\":\"hello\",\"b\":[null,\"s\"],\"o\":\"\",\"z\":{}}",
        "hello", 5));
    ASSERT(hit(
        &f, "{\"a\":1,\"t\":\"\",\"b\":[null,\"s\"],\"o\":\"q\\\"r\",\"z\":{}}",
        "", 0));
    /* Escapes decoded as the parser decodes them. */
    ASSERT(hit(&f,
               "{\"a\":1,\"t\":\"\\u00e9\\n\\ud83d\\ude00\\\"\\\\\\/\",\"b\":"
               "[null,\"s\"],\"o\":\"p\",\"z\":{}}",
               "\xc3\xa9\n\xf0\x9f\x98\x80\"\\/", 10));
    ASSERT(hit(
        &f,
        "{\"a\":1,\"t\":\"\\u0000\",\"b\":[null,\"s\"],\"o\":\"p\",\"z\":{}}",
        "\0", 1));
    ASSERT(hit(&f,
               "{\"a\":1,\"t\":\"caf\xc3\xa9\",\"b\":[null,\"s\"],\"o\":\"p\","
               "\"z\":{}}",
               "caf\xc3\xa9", 5));
    teardown(&f);
}

TEST(memo_misses_everything_else)
{
    struct fix f;
    setup(&f, "{\"a\":1,\"t\":\"x\",\"o\":\"pad\"}", true);
    static const char *const miss[] = {
        /* a byte outside the holes differs, or the length does */
        "{\"a\":2,\"t\":\"x\",\"o\":\"pad\"}",
        "{\"a\":1,\"t\":\"x\",\"o\":\"pad\"} ",
        "{\"a\":1,\"t\":\"x\",\"o\":\"pad\"",
        "{\"a\":1,\"t\":\"x\",\"o\":\"pad\"}}",
        "{\"a\":1, \"t\":\"x\",\"o\":\"pad\"}",
        "{\"a\":1,\"t\":\"x\"}",
        "{\"a\":1,\"t\":",
        "",
        /* not a (valid) string token in a hole */
        "{\"a\":1,\"t\":5,\"o\":\"pad\"}",
        "{\"a\":1,\"t\":null,\"o\":\"pad\"}",
        "{\"a\":1,\"t\":[\"x\"],\"o\":\"pad\"}",
        "{\"a\":1,\"t\":\"x\",\"o\":{}}",
        "{\"a\":1,\"t\":\"bad\\x\",\"o\":\"pad\"}",
        "{\"a\":1,\"t\":\"ctl\x01\",\"o\":\"pad\"}",
        "{\"a\":1,\"t\":\"tab\t\",\"o\":\"pad\"}",
        "{\"a\":1,\"t\":\"\\ud800\",\"o\":\"pad\"}",
        "{\"a\":1,\"t\":\"\\udc00\",\"o\":\"pad\"}",
        "{\"a\":1,\"t\":\"\\u12g4\",\"o\":\"pad\"}",
        "{\"a\":1,\"t\":\"\xff\",\"o\":\"pad\"}",
        "{\"a\":1,\"t\":\"\xc0\xaf\",\"o\":\"pad\"}",
        "{\"a\":1,\"t\":\"\xed\xa0\x80\",\"o\":\"pad\"}",
        "{\"a\":1,\"t\":\"\xe2\x82\",\"o\":\"pad\"}",
        /* a hole's token followed by something else */
        "{\"a\":1,\"t\":\"x\" \"y\",\"o\":\"pad\"}",
        "{\"a\":1,\"t\":\"x\",\"o\":\"pad\\\"}",
        "{\"a\":1,\"t\":\"x\\\",\"o\":\"pad\"}",
    };
    for (size_t i = 0; i < sizeof miss / sizeof miss[0]; i++) {
        if (hit(&f, miss[i], "", 0)) {
            test_fail_(__FILE__, __LINE__, "case %zu matched: %s", i, miss[i]);
        }
    }
    /* Forgotten: nothing matches, not even the template. */
    llmio__memo_forget(&f.m);
    ASSERT(!hit(&f, "{\"a\":1,\"t\":\"x\",\"o\":\"pad\"}", "x", 1));
    teardown(&f);
}

TEST(memo_hole_order_and_one_hole)
{
    struct fix f;
    /* The other hole before the text hole. */
    setup(&f, "{\"o\":\"pad\",\"t\":\"x\"}", true);
    ASSERT(hit(&f, "{\"o\":\"longer pad\",\"t\":\"yz\"}", "yz", 2));
    teardown(&f);
    /* Without the other hole, its bytes must match. */
    setup(&f, "{\"o\":\"pad\",\"t\":\"x\"}", false);
    ASSERT(hit(&f, "{\"o\":\"pad\",\"t\":\"yz\"}", "yz", 2));
    ASSERT(!hit(&f, "{\"o\":\"paf\",\"t\":\"yz\"}", "", 0));
    teardown(&f);
}

TEST(json_string_token_strict)
{
    struct llmio__arena a;
    llmio__arena_init(&a, NULL, 0);
    const char *s;
    size_t n;
    ASSERT_EQ(llmio__json_string_token(&a, "\"ab\"xyz", 7, &s, &n), 4);
    ASSERT_MEM_EQ(s, n, "ab", 2);
    ASSERT_EQ(llmio__json_string_token(&a, "\"a\\\"b\"", 6, &s, &n), 6);
    ASSERT_MEM_EQ(s, n, "a\"b", 3);
    ASSERT_EQ(llmio__json_string_token(&a, "\"\"", 2, &s, &n), 2);
    ASSERT_EQ(n, 0);
    static const char *const bad[] = {"",         "x",          "\"open",
                                      "\"a\\",    "\"\\q\"",    "\"\x1f\"",
                                      "\"\x80\"", "\"\\ud83d\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_EQ(llmio__json_string_token(&a, bad[i], strlen(bad[i]), &s, &n),
                  0);
        ASSERT_NULL(s);
    }
    /* With input after the token (read in place, not copied), what follows
     * the closing quote never completes an escape. */
    static const char *const tail_bad[] = {
        "\"\\ud83d\"\\ude00 and more than sixteen bytes",
        "\"\\u12\"34 and more than sixteen bytes",
        "\"\\\"\\u00e9 and more than sixteen bytes",
    };
    for (size_t i = 0; i < sizeof tail_bad / sizeof tail_bad[0]; i++) {
        ASSERT_EQ(llmio__json_string_token(&a, tail_bad[i], strlen(tail_bad[i]),
                                           &s, &n),
                  0);
    }
    static const char good[] =
        "\"\\u00e9\\ud83d\\ude00\\n\"\\u0041 and more than sixteen bytes";
    ASSERT_EQ(llmio__json_string_token(&a, good, strlen(good), &s, &n), 22);
    ASSERT_MEM_EQ(s, n, "\xc3\xa9\xf0\x9f\x98\x80\n", 7);
    llmio__arena_cleanup(&a);
}
