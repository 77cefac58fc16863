/* native-util.c - see native-util.h. */
#include "native-util.h"

static int on_delta(llmio_future *f, const llmio_delta *d, void *user)
{
    (void)f;
    struct native_result *r = user;
    if (d->kind == LLMIO_DELTA_TEXT) {
        size_t n = strlen(r->streamed);
        if (n + d->text_len < sizeof(r->streamed)) {
            memcpy(r->streamed + n, d->text, d->text_len);
            r->streamed[n + d->text_len] = '\0';
        }
    } else if (d->kind == LLMIO_DELTA_ERROR) {
        r->nerror_deltas++;
    }
    return 0;
}

static void copy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s != NULL ? s : "");
}

void native_run(const struct test_mock *m, const char *provider,
                const char *base_path, const char *model,
                const char *scenario, bool tools, bool stream,
                struct native_result *out)
{
    memset(out, 0, sizeof(*out));
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    char url[160];
    snprintf(url, sizeof(url), "%s%s", m->url, base_path);
    ASSERT_OK(llmio_client_set_base_url(c, provider, url));
    ASSERT_OK(llmio_client_set_api_key(c, provider, NATIVE_KEY));
    /* One attempt: these tests check how each error is mapped. */
    ASSERT_OK(llmio_client_set_retry(c, 1, 0, 0, 0));

    llmio_request *r = llmio_request_new(model);
    ASSERT_NOT_NULL(r);
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_SYSTEM, "Be terse."));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "hello there"));
    if (tools) {
        ASSERT_OK(llmio_request_add_tool(
            r, "lookup", "Weather for a city",
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":"
            "\"string\"}}}"));
    }
    if (scenario != NULL) {
        char h[512];
        snprintf(h, sizeof(h), "X-Mock-Scenario: %s", scenario);
        ASSERT_OK(llmio_request_add_header(r, h));
    }
    if (stream) {
        ASSERT_OK(llmio_request_set_stream(r, on_delta, true));
    }
    llmio_future *f = NULL;
    llmio_error serr;
    memset(&serr, 0, sizeof(serr));
    llmio_status st = llmio_submit(c, r, NULL, out, &f, &serr);
    if (st != LLMIO_OK) {
        test_fail_(__FILE__, __LINE__, "submit: %s: %s",
                   llmio_status_name(st), serr.message);
    }
    ASSERT_OK(llmio_future_wait(f, 10000));
    out->status = llmio_future_status(f);
    const llmio_error *e = llmio_future_error(f);
    if (e != NULL) {
        out->err = *e;
        ASSERT(strstr(e->message, NATIVE_KEY) == NULL);
    }
    const llmio_response *resp = llmio_future_response(f);
    if (resp != NULL) {
        copy(out->text, sizeof(out->text), llmio_response_text(resp, 0, NULL));
        copy(out->provider, sizeof(out->provider),
             llmio_response_provider(resp));
        out->finish = llmio_response_finish(resp, 0);
        copy(out->finish_raw, sizeof(out->finish_raw),
             llmio_response_finish_raw(resp, 0));
        out->ntools = llmio_response_tool_calls(resp, 0);
        for (size_t i = 0; i < out->ntools && i < 4; i++) {
            const llmio_tool_call *tc = llmio_response_tool_call(resp, 0, i);
            copy(out->tool_name[i], sizeof(out->tool_name[i]), tc->name);
            copy(out->tool_args[i], sizeof(out->tool_args[i]),
                 tc->arguments);
            copy(out->tool_id[i], sizeof(out->tool_id[i]), tc->id);
        }
        out->usage = llmio_response_usage(resp);
    }
    llmio_future_free(f);
    llmio_request_free(r);
    llmio_client_free(c);
}

void native_expect_hello(const struct native_result *r, const char *provider)
{
    ASSERT_OK(r->status);
    ASSERT_STR_EQ(r->text, "hello there");
    ASSERT_STR_EQ(r->provider, provider);
    ASSERT_EQ(r->finish, LLMIO_FINISH_STOP);
    ASSERT_EQ(r->usage.completion_tokens, 2);
    ASSERT_CMP(r->usage.prompt_tokens, >, 0);
}

void native_expect_same(const struct native_result *s,
                        const struct native_result *r)
{
    ASSERT_OK(s->status);
    ASSERT_STR_EQ(s->streamed, "hello there");
    ASSERT_STR_EQ(s->text, r->text);
    ASSERT_EQ(s->finish, r->finish);
    ASSERT_EQ(s->usage.prompt_tokens, r->usage.prompt_tokens);
    ASSERT_EQ(s->usage.completion_tokens, r->usage.completion_tokens);
}

void native_expect_lookups(const struct native_result *r)
{
    ASSERT_OK(r->status);
    ASSERT_EQ(r->finish, LLMIO_FINISH_TOOL_CALLS);
    ASSERT_EQ(r->ntools, 2);
    ASSERT_STR_EQ(r->tool_args[0], "{\"city\":\"Lisbon\"}");
    ASSERT_STR_EQ(r->tool_args[1], "{\"city\":\"Porto\"}");
}
