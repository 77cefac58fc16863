/* engine-util.c - helpers of the engine integration tests (engine-util.h). */
#include "engine-util.h"

#include "support/http.h"

llmio_client *engine_client(const struct test_mock *m)
{
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    char url[128];
    snprintf(url, sizeof url, "%s/v1", m->url);
    ASSERT_OK(llmio_client_set_base_url(c, NULL, url));
    ASSERT_OK(llmio_client_set_api_key(c, NULL, ENGINE_TEST_KEY));
    /* These tests pin what one attempt does (classification, timeouts,
     * resets); retries have their own suite (test-retry-engine.c). */
    ASSERT_OK(llmio_client_set_retry(c, 1, 0, 0, 0));
    return c;
}

llmio_client *engine_retry_client(const struct test_mock *m)
{
    llmio_client *c = engine_client(m);
    ASSERT_OK(llmio_client_set_retry(c, 3, 20, 100, 60000));
    llmio_client_set_retry_seed(c, 42);
    return c;
}

int64_t engine_slack_ms(int64_t ms)
{
    return test_is_valgrind() ? ms * 10 : ms;
}

llmio_request *engine_request(const char *scenario, int stream)
{
    llmio_request *r = llmio_request_new("openai/gpt-4o-mini");
    ASSERT_NOT_NULL(r);
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_USER, "hello"));
    if (scenario != NULL) {
        char h[1024];
        snprintf(h, sizeof h, "X-Mock-Scenario: %s", scenario);
        ASSERT_OK(llmio_request_add_header(r, h));
    }
    if (stream == 1) {
        ASSERT_OK(llmio_request_set_stream(r, engine_stream_cb, true));
    } else if (stream == 2) {
        ASSERT_OK(llmio_request_set_stream(r, NULL, true));
    }
    return r;
}

void engine_done_cb(llmio_future *f, void *user)
{
    struct engine_rec *rec = user;
    rec->ndone++;
    rec->status = llmio_future_status(f);
    rec->done_ms = test_now_ms();
    ASSERT(llmio_future_done(f));
    if (rec->free_in_done) {
        llmio_future_free(f);
        /* Still readable: the release waits for this callback to return. */
        (void)llmio_future_status(f);
    }
}

int engine_stream_cb(llmio_future *f, const llmio_delta *d, void *user)
{
    struct engine_rec *rec = user;
    if (rec == NULL) {
        return 0;
    }
    if (rec->ndone > 0) {
        rec->deltas_after_done++;
    }
    rec->ndeltas++;
    if (d->kind == LLMIO_DELTA_TEXT && d->text != NULL &&
        rec->text_len + d->text_len < sizeof rec->text) {
        memcpy(rec->text + rec->text_len, d->text, d->text_len);
        rec->text_len += d->text_len;
        rec->text[rec->text_len] = '\0';
    }
    if (rec->cancel_after > 0 && rec->ndeltas == rec->cancel_after) {
        llmio_future_cancel(f);
    }
    if (rec->stop_after > 0 && rec->ndeltas >= rec->stop_after) {
        return 1;
    }
    return 0;
}

long engine_mock_stat(const struct test_mock *m, const char *field)
{
    struct test_http h;
    test_http_open(&h, m->port);
    test_http_get(&h, "/mock/stats", "Connection: close\r\n");
    struct test_http_resp r;
    ASSERT(test_http_read(&h, &r, 2000));
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", field);
    const char *p = strstr(r.body, key);
    ASSERT_NOT_NULL(p);
    long n = strtol(p + strlen(key), NULL, 10);
    test_http_resp_free(&r);
    test_http_close(&h);
    return n;
}

int engine_mock_connections(const struct test_mock *m)
{
    return (int)engine_mock_stat(m, "connections") - 1;
}

long engine_mock_accepted(const struct test_mock *m)
{
    return engine_mock_stat(m, "accepted");
}

void engine_assert_no_key(const llmio_error *e)
{
    ASSERT(strstr(e->message, ENGINE_TEST_KEY) == NULL);
    ASSERT(strstr(e->provider_type, ENGINE_TEST_KEY) == NULL);
    ASSERT(strstr(e->provider_code, ENGINE_TEST_KEY) == NULL);
    ASSERT(strstr(e->request_id, ENGINE_TEST_KEY) == NULL);
    /* Not even a recognisable part of it. */
    ASSERT(strstr(e->message, "SECRET-9f8e") == NULL);
}

int engine_log_lines(struct test_mock *m, const char *needle, char **bodies,
                     int max_bodies)
{
    size_t len;
    char *log = test_mock_log(m, &len);
    ASSERT_NOT_NULL(log);
    int n = 0;
    char *line = log;
    while (line != NULL && *line != '\0') {
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        if (strstr(line, needle) != NULL) {
            const char *b = strstr(line, "\"raw_body\":");
            const char *e = b != NULL ? strstr(b, ",\"status\":") : NULL;
            if (bodies != NULL && n < max_bodies && b != NULL && e != NULL) {
                size_t bl = (size_t)(e - b);
                bodies[n] = malloc(bl + 1);
                ASSERT_NOT_NULL(bodies[n]);
                memcpy(bodies[n], b, bl);
                bodies[n][bl] = '\0';
            }
            n++;
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    free(log);
    return n;
}

static bool chaos_should_fail(struct engine_chaos *ch)
{
    ch->n++;
    if (ch->fail_at != 0 && ch->n == ch->fail_at) {
        return true;
    }
    return false;
}

static void *chaos_malloc(size_t size, void *user)
{
    struct engine_chaos *ch = user;
    if (chaos_should_fail(ch)) {
        return NULL;
    }
    void *p = malloc(size);
    if (p != NULL) {
        ch->live++;
    }
    return p;
}

static void *chaos_realloc(void *ptr, size_t size, void *user)
{
    struct engine_chaos *ch = user;
    if (chaos_should_fail(ch)) {
        return NULL;
    }
    void *p = realloc(ptr, size);
    if (p != NULL && ptr == NULL) {
        ch->live++;
    }
    return p;
}

static void chaos_free(void *ptr, void *user)
{
    struct engine_chaos *ch = user;
    ch->live--;
    free(ptr);
}

llmio_allocator engine_chaos_init(struct engine_chaos *ch, long fail_at)
{
    memset(ch, 0, sizeof *ch);
    ch->fail_at = fail_at;
    llmio_allocator a = {
        chaos_malloc, chaos_realloc, chaos_free, ch, {NULL, NULL, NULL, NULL}};
    return a;
}
