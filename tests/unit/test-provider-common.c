/* test-provider-common.c - the helpers shared by the provider modules
 * (src/providers/common.c). */
#include "test.h"

#include "providers/common.h"

TEST(provider_common_data_url)
{
    const char *mime, *data;
    size_t ml, dl;
    ASSERT(llmio__prov_data_url("data:image/png;base64,AAAA", &mime, &ml,
                                &data, &dl));
    ASSERT_MEM_EQ(mime, ml, "image/png", 9);
    ASSERT_MEM_EQ(data, dl, "AAAA", 4);
    /* Parameters before ;base64 stay out of the media type. */
    ASSERT(llmio__prov_data_url("data:image/svg+xml;charset=utf-8;base64,Zg"
                                "==",
                                &mime, &ml, &data, &dl));
    ASSERT_MEM_EQ(mime, ml, "image/svg+xml", 13);
    ASSERT_MEM_EQ(data, dl, "Zg==", 4);
    ASSERT(!llmio__prov_data_url("https://x/y.png", &mime, &ml, &data, &dl));
    ASSERT(!llmio__prov_data_url("data:image/png,AAAA", &mime, &ml, &data,
                                 &dl));
    ASSERT(!llmio__prov_data_url("data:;base64,AAAA", &mime, &ml, &data,
                                 &dl));
    ASSERT(!llmio__prov_data_url("data:image/png;base64", &mime, &ml, &data,
                                 &dl));
    ASSERT(!llmio__prov_data_url(NULL, &mime, &ml, &data, &dl));
}

TEST(provider_common_copy_and_scrub)
{
    char small[6];
    /* "aé" + "é": cut before a split character, never inside it. */
    llmio__prov_copy(small, sizeof(small), "ab\xc3\xa9\xc3\xa9", 6);
    ASSERT_STR_EQ(small, "ab\xc3\xa9");
    llmio__prov_copy(small, sizeof(small), "a\nb\tc", 5);
    ASSERT_STR_EQ(small, "a b c");
    llmio__prov_copy(small, sizeof(small), NULL, 3);
    ASSERT_STR_EQ(small, "");

    char s[128];
    snprintf(s, sizeof(s), "key sk-ant-api03-abcdef, Bearer abcdefghij "
                           "AIzaSy0123456789 sk-short");
    llmio__prov_scrub(s);
    ASSERT_STR_EQ(s, "key sk-***, Bearer *** AIza*** sk-short");
    /* '*' ends a word (markdown bold round a key) and is a key character
     * (a half-masked key goes whole); the length form stops at LEN. */
    snprintf(s, sizeof(s), "**sk-abcdefgh** sk-abc***xyz");
    llmio__prov_scrub(s);
    ASSERT_STR_EQ(s, "**sk-*** sk-***");
    char t[] = "x sk-abcdefgh|sk-abcdefgh";
    ASSERT_EQ(llmio__prov_scrub_n(t, 13), 8);
    ASSERT_STR_EQ(t, "x sk-***");
}

TEST(provider_common_header_and_errors)
{
    struct llmio__http_req out;
    memset(&out, 0, sizeof(out));
    llmio__buf_init(&out.headers, NULL, 0);
    ASSERT_OK(llmio__prov_header(&out, "x-a", "1"));
    ASSERT_EQ(llmio__prov_header(&out, "x-b", "2\r\nx-evil: 1"),
              LLMIO_E_INVALID);
    ASSERT_EQ(out.nheaders, 1);
    ASSERT_MEM_EQ(out.headers.data, out.headers.len, "x-a: 1\0", 7);
    llmio__buf_cleanup(&out.headers);

    llmio_error e;
    memset(&e, 0, sizeof(e));
    e.code = LLMIO_E_SERVER;
    llmio__prov_error_finish(&e, 502, true);
    ASSERT_CONTAINS(e.message, "HTTP 502");
    ASSERT_CONTAINS(e.message, "empty body");
    llmio__prov_body_message(&e, "<b>\x01oops</b>", 12);
    ASSERT_STR_EQ(e.message, "<b> oops</b>");
}

TEST(provider_common_stack_alloc)
{
    /* parse_error's heap-free arena: small bodies parse, a body too big
     * for the buffer fails cleanly (NULL, no heap use). */
    _Alignas(16) char mem[16 * 1024];
    struct llmio__prov_stack_heap h;
    llmio_allocator a = llmio__prov_stack_alloc(&h, mem, sizeof(mem));
    struct llmio__arena ar;
    llmio__arena_init(&ar, &a, 0);
    const char *j = "{\"error\":{\"message\":\"x\"}}";
    const struct llmio__json *v = llmio__prov_parse_quiet(&ar, j, strlen(j));
    ASSERT_NOT_NULL(v);
    ASSERT_STR_EQ(llmio__prov_gets(llmio__json_get(v, "error"), "message",
                                   NULL),
                  "x");
    llmio__arena_cleanup(&ar);

    size_t n = 64 * 1024;
    char *big = malloc(n + 3);
    ASSERT_NOT_NULL(big);
    big[0] = '"';
    memset(big + 1, 'a', n);
    big[n + 1] = '"';
    big[n + 2] = '\0';
    a = llmio__prov_stack_alloc(&h, mem, sizeof(mem));
    llmio__arena_init(&ar, &a, 0);
    ASSERT_NULL(llmio__prov_parse_quiet(&ar, big, n + 2));
    llmio__arena_cleanup(&ar);
    free(big);
    ASSERT_NULL(llmio__prov_parse_quiet(&ar, "", 0));
}

TEST(provider_common_tool_name)
{
    struct llmio__tool_call_in calls[2] = {
        {(char *)"c1", (char *)"alpha", (char *)"{}", NULL},
        {(char *)"c2", (char *)"beta", (char *)"{}", NULL}};
    struct llmio__message msgs[2];
    memset(msgs, 0, sizeof(msgs));
    msgs[0].role = LLMIO_ROLE_ASSISTANT;
    msgs[0].tool_calls = calls;
    msgs[0].ntool_calls = 2;
    msgs[1].role = LLMIO_ROLE_TOOL;
    struct llmio_request r;
    memset(&r, 0, sizeof(r));
    r.messages = msgs;
    r.nmessages = 2;
    ASSERT_STR_EQ(llmio__prov_tool_name(&r, 1, "c2"), "beta");
    ASSERT_NULL(llmio__prov_tool_name(&r, 1, "c3"));
    ASSERT_NULL(llmio__prov_tool_name(&r, 0, "c1")); /* only earlier ones */
    ASSERT_NULL(llmio__prov_tool_name(&r, 1, NULL));
}
