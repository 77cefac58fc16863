/*
 * test-tls.c - https against a throwaway CA made at test time
 * (scripts/tls-certs.sh): llmio_client_set_ca with a file and a directory,
 * SSL_CERT_FILE / CURL_CA_BUNDLE, an untrusted server failing with
 * LLMIO_E_TLS at once, bad paths refused at set time naming the field, and
 * the CLI's --cacert. The server is llmio-mock behind a TLS terminator
 * (tests/support/tls-front.py), all on 127.0.0.1.
 */
#include "engine-util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct tls_srv {
    struct test_mock m;
    pid_t front;
    char dir[512]; /* ca.pem, cadir/, server.pem, server.key */
    char ca[600];  /* DIR/ca.pem */
    char url[128]; /* https://127.0.0.1:PORT/v1 */
};

static void tls_start(struct tls_srv *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s/tls", test_tmpdir());
    snprintf(s->ca, sizeof s->ca, "%s/ca.pem", s->dir);
    char script[1024];
    snprintf(script, sizeof script, "%s/scripts/tls-certs.sh", test_srcdir());
    char *out, *err;
    int rc = test_run_cmd((const char *[]){"/bin/sh", script, s->dir, NULL},
                          NULL, &out, &err);
    if (rc != 0) {
        fprintf(stderr, "tls-certs.sh: %s%s\n", out, err);
    }
    ASSERT_EQ(rc, 0);
    free(out);
    free(err);
    test_mock_start(&s->m, NULL);
    char front[1024], cert[600], key[600], up[16];
    snprintf(front, sizeof front, "%s/tests/support/tls-front.py",
             test_srcdir());
    snprintf(cert, sizeof cert, "%s/server.pem", s->dir);
    snprintf(key, sizeof key, "%s/server.key", s->dir);
    snprintf(up, sizeof up, "%d", s->m.port);
    int port = 0;
    s->front = test_spawn_port(
        (const char *[]){"/usr/bin/env", "python3", front, cert, key, up, NULL},
        &port);
    ASSERT_CMP(port, >, 0);
    snprintf(s->url, sizeof s->url, "https://127.0.0.1:%d/v1", port);
}

static void tls_stop(struct tls_srv *s)
{
    if (s->front > 0) {
        kill(s->front, SIGTERM);
        waitpid(s->front, NULL, 0);
        s->front = 0;
    }
    test_mock_stop(&s->m);
}

/* A client on S's https URL with ENGINE_TEST_KEY and no retries. */
static llmio_client *tls_client(const struct tls_srv *s)
{
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    ASSERT_OK(llmio_client_set_base_url(c, NULL, s->url));
    ASSERT_OK(llmio_client_set_api_key(c, NULL, ENGINE_TEST_KEY));
    ASSERT_OK(llmio_client_set_retry(c, 1, 0, 0, 0));
    /* Verifying against the system bundle loads ~150 certificates: tens
     * of seconds under valgrind, all inside the connect phase. */
    ASSERT_OK(llmio_client_set_timeout(c, LLMIO_TIMEOUT_CONNECT,
                                       engine_slack_ms(10000)));
    return c;
}

/* One request (STREAM as engine_request) to completion; returns its
 * status, with *ERR a copy of its error. */
static llmio_status tls_call(llmio_client *c, int stream, llmio_error *err)
{
    struct engine_rec rec = {0};
    llmio_request *r = engine_request("text=Hello over TLS.", stream);
    llmio_future *f = NULL;
    ASSERT_OK(llmio_submit(c, r, engine_done_cb, &rec, &f, NULL));
    llmio_request_free(r);
    int64_t t0 = test_now_ms();
    ASSERT_OK(llmio_future_wait(f, (int)engine_slack_ms(15000)));
    /* A refused certificate ends the request, it does not hang. */
    ASSERT_CMP(test_now_ms() - t0, <, engine_slack_ms(8000));
    llmio_status st = llmio_future_status(f);
    *err = *llmio_future_error(f);
    engine_assert_no_key(err);
    if (st == LLMIO_OK) {
        const char *text =
            llmio_response_text(llmio_future_response(f), 0, NULL);
        ASSERT_STR_EQ(text, "Hello over TLS.");
        if (stream) {
            ASSERT_STR_EQ(rec.text, "Hello over TLS.");
        }
    }
    llmio_future_free(f);
    return st;
}

/* Asserts C's next request fails verification: LLMIO_E_TLS, one attempt,
 * libcurl's reason in the message. */
static void expect_untrusted(llmio_client *c)
{
    llmio_error e;
    ASSERT_EQ(tls_call(c, 0, &e), LLMIO_E_TLS);
    ASSERT_EQ(e.attempts, 1);
    ASSERT_EQ(e.http_status, 0);
    ASSERT_CMP(e.transport_code, !=, 0);
    ASSERT(strstr(e.message, "certificate") != NULL);
}

TEST(tls_ca_file_trusted_both_modes)
{
    struct tls_srv s;
    tls_start(&s);
    llmio_client *c = tls_client(&s);
    llmio_error e;
    ASSERT_OK(llmio_client_set_ca(c, s.ca, NULL, &e));
    ASSERT_EQ(e.code, LLMIO_OK);
    for (int stream = 0; stream <= 1; stream++) {
        ASSERT_EQ(tls_call(c, stream, &e), LLMIO_OK);
        ASSERT_EQ(e.http_status, 200);
    }
    llmio_client_free(c);
    tls_stop(&s);
}

TEST(tls_ca_path_trusted)
{
    struct tls_srv s;
    tls_start(&s);
    llmio_client *c = tls_client(&s);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/cadir", s.dir);
    ASSERT_OK(llmio_client_set_ca(c, NULL, dir, NULL));
    llmio_error e;
    ASSERT_EQ(tls_call(c, 0, &e), LLMIO_OK);
    llmio_client_free(c);
    tls_stop(&s);
}

TEST(tls_untrusted_fails_typed_then_set_ca_applies)
{
    struct tls_srv s;
    tls_start(&s);
    unsetenv("SSL_CERT_FILE");
    unsetenv("SSL_CERT_DIR");
    unsetenv("CURL_CA_BUNDLE");
    llmio_client *c = tls_client(&s);
    expect_untrusted(c);
    /* The failed attempt's handle went back to the pool, configured with
     * the default trust: setting the CA must not reuse it as it was. */
    ASSERT_OK(llmio_client_set_ca(c, s.ca, NULL, NULL));
    llmio_error e;
    ASSERT_EQ(tls_call(c, 1, &e), LLMIO_OK);
    /* And back to the default: untrusted again. */
    ASSERT_OK(llmio_client_set_ca(c, NULL, NULL, NULL));
    expect_untrusted(c);
    llmio_client_free(c);
    tls_stop(&s);
}

TEST(tls_set_ca_refuses_bad_paths)
{
    char file[600], dir[600];
    snprintf(file, sizeof file, "%s/ca.pem", test_tmpdir());
    snprintf(dir, sizeof dir, "%s", test_tmpdir());
    FILE *fp = fopen(file, "w");
    ASSERT_NOT_NULL(fp);
    fputs("not checked until a handshake\n", fp);
    fclose(fp);
    llmio_client *c = NULL;
    ASSERT_OK(llmio_client_new(NULL, &c));
    llmio_error e;
    ASSERT_EQ(llmio_client_set_ca(c, "/nonexistent/ca.pem", NULL, &e),
              LLMIO_E_INVALID);
    ASSERT_EQ(e.code, LLMIO_E_INVALID);
    ASSERT_STR_EQ(e.message,
                  "ca_file: /nonexistent/ca.pem: No such file or directory");
    ASSERT_EQ(llmio_client_set_ca(c, dir, NULL, &e), LLMIO_E_INVALID);
    ASSERT(strncmp(e.message, "ca_file: ", 9) == 0);
    ASSERT(strstr(e.message, "is a directory") != NULL);
    ASSERT_EQ(llmio_client_set_ca(c, NULL, file, &e), LLMIO_E_INVALID);
    ASSERT(strncmp(e.message, "ca_path: ", 9) == 0);
    ASSERT(strstr(e.message, "not a directory") != NULL);
    ASSERT_EQ(llmio_client_set_ca(c, "", NULL, &e), LLMIO_E_INVALID);
    ASSERT_STR_EQ(e.message, "ca_file: : empty path");
    ASSERT_EQ(llmio_client_set_ca(NULL, file, NULL, &e), LLMIO_E_INVALID);
    /* The good pair is taken (contents are libcurl's to judge later). */
    ASSERT_OK(llmio_client_set_ca(c, file, dir, &e));
    ASSERT_EQ(e.code, LLMIO_OK);
    llmio_client_free(c);
}

TEST(tls_env_ssl_cert_file_and_curl_ca_bundle)
{
    struct tls_srv s;
    tls_start(&s);
    unsetenv("SSL_CERT_DIR");
    const char *vars[] = {"SSL_CERT_FILE", "CURL_CA_BUNDLE"};
    for (int i = 0; i < 2; i++) {
        unsetenv("SSL_CERT_FILE");
        unsetenv("CURL_CA_BUNDLE");
        setenv(vars[i], s.ca, 1);
        llmio_client *c = tls_client(&s);
        llmio_error e;
        ASSERT_EQ(tls_call(c, 0, &e), LLMIO_OK);
        llmio_client_free(c);
    }
    /* A bad file from the environment fails the request, naming it. */
    unsetenv("CURL_CA_BUNDLE");
    setenv("SSL_CERT_FILE", "/nonexistent/env-ca.pem", 1);
    llmio_client *c = tls_client(&s);
    llmio_error e;
    ASSERT_EQ(tls_call(c, 0, &e), LLMIO_E_TLS);
    ASSERT(strstr(e.message, "/nonexistent/env-ca.pem") != NULL);
    /* An explicit CA wins over the environment. */
    ASSERT_OK(llmio_client_set_ca(c, s.ca, NULL, NULL));
    ASSERT_EQ(tls_call(c, 0, &e), LLMIO_OK);
    llmio_client_free(c);
    tls_stop(&s);
}

TEST(tls_cli_cacert)
{
    struct tls_srv s;
    tls_start(&s);
    unsetenv("SSL_CERT_FILE");
    unsetenv("SSL_CERT_DIR");
    unsetenv("CURL_CA_BUNDLE");
    setenv("OPENAI_API_KEY", ENGINE_TEST_KEY, 1);
    char *out, *err;
    const char *ok[] = {"-m",       "gpt-4o-mini", "--base-url", s.url,
                        "--cacert", s.ca,          "hi",         NULL};
    ASSERT_EQ(test_run_llmio("run", ok, NULL, &out, &err), 0);
    ASSERT(strlen(out) > 0);
    ASSERT(strstr(err, ENGINE_TEST_KEY) == NULL);
    free(out);
    free(err);
    /* Without it: the TLS exit code and libcurl's reason, no key. */
    const char *untrusted[] = {"-m",  "gpt-4o-mini", "--base-url",
                               s.url, "hi",          NULL};
    ASSERT_EQ(test_run_llmio("run", untrusted, NULL, &out, &err),
              llmio_status_exit_code(LLMIO_E_TLS));
    ASSERT(strstr(err, "certificate") != NULL);
    ASSERT(strstr(err, ENGINE_TEST_KEY) == NULL);
    free(out);
    free(err);
    /* A bad path is a usage error naming the option and the field. */
    const char *cmds[] = {"run", "batch", "embed"};
    for (int i = 0; i < 3; i++) {
        /* batch reads standard input: no word after the options. */
        const char *bad[] = {
            "-m",       "gpt-4o-mini",        "--base-url",         s.url,
            "--cacert", "/nonexistent/x.pem", i == 1 ? NULL : "hi", NULL};
        ASSERT_EQ(test_run_llmio(cmds[i], bad, "", &out, &err), 2);
        ASSERT(strstr(err, "--cacert refused: ca_file: /nonexistent/x.pem: "
                           "No such file or directory") != NULL);
        free(out);
        free(err);
    }
    /* batch through TLS with the CA. */
    const char *batch[] = {"-m",       "gpt-4o-mini", "--base-url", s.url,
                           "--cacert", s.ca,          NULL};
    ASSERT_EQ(test_run_llmio("batch", batch,
                             "{\"messages\":[{\"role\":\"user\","
                             "\"content\":\"a\"}]}\n",
                             &out, &err),
              0);
    ASSERT(strstr(out, "\"error\"") == NULL);
    free(out);
    free(err);
    tls_stop(&s);
}

/* A free loopback port (bound, then released: nginx cannot take port 0). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ASSERT(fd >= 0);
    ASSERT_EQ(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ASSERT_EQ(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void wait_listening(int port)
{
    int64_t deadline = test_now_ms() + engine_slack_ms(10000);
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
        close(fd);
        if (rc == 0) {
            return;
        }
        ASSERT_CMP(test_now_ms(), <, deadline);
        usleep(20000);
    }
}

/*
 * HTTP/2 by ALPN against nginx ("listen ssl http2", the providers' setup):
 * a burst of 64 requests rides one connection (PIPEWAIT; without it each
 * opened its own), every one HTTP/2. nginx's "return" answers before it
 * reads the request body, the case libcurl 7.88 may report as a stream
 * error: every request must still succeed. Needs nginx (a bench
 * dependency); without it the test says so and passes.
 */
TEST(tls_h2_alpn_multiplexes_on_nginx)
{
    const char *nginx = "/usr/sbin/nginx";
    if (access(nginx, X_OK) != 0) {
        fprintf(stderr, "skipped: no %s\n", nginx);
        return;
    }
    struct tls_srv s;
    memset(&s, 0, sizeof s);
    snprintf(s.dir, sizeof s.dir, "%s/tls", test_tmpdir());
    snprintf(s.ca, sizeof s.ca, "%s/ca.pem", s.dir);
    char script[1024];
    snprintf(script, sizeof script, "%s/scripts/tls-certs.sh", test_srcdir());
    char *out, *err;
    ASSERT_EQ(test_run_cmd((const char *[]){"/bin/sh", script, s.dir, NULL},
                           NULL, &out, &err),
              0);
    free(out);
    free(err);
    int port = free_port();
    char conf[700], logp[700];
    snprintf(conf, sizeof conf, "%s/nginx.conf", s.dir);
    snprintf(logp, sizeof logp, "%s/access.log", s.dir);
    FILE *fp = fopen(conf, "w");
    ASSERT_NOT_NULL(fp);
    fprintf(fp,
            "worker_processes 1; daemon off; master_process off;\n"
            "pid %s/nginx.pid; error_log %s/error.log warn;\n"
            "events { worker_connections 512; }\n"
            "http {\n"
            "  log_format conn '$connection $server_protocol $status';\n"
            "  access_log %s conn;\n"
            "  client_body_temp_path %s; proxy_temp_path %s;\n"
            "  fastcgi_temp_path %s; uwsgi_temp_path %s;\n"
            "  scgi_temp_path %s;\n"
            "  server {\n"
            "    listen 127.0.0.1:%d ssl http2;\n"
            "    ssl_certificate %s/server.pem;\n"
            "    ssl_certificate_key %s/server.key;\n"
            "    location / { default_type application/json; return 200 "
            "'{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,"
            "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,"
            "\"message\":{\"role\":\"assistant\",\"content\":\"h2 ok\"},"
            "\"finish_reason\":\"stop\"}]}'; }\n"
            "  }\n"
            "}\n",
            s.dir, s.dir, logp, s.dir, s.dir, s.dir, s.dir, s.dir, port, s.dir,
            s.dir);
    fclose(fp);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "echo %d; exec %s -p %s -c %s", port, nginx,
             s.dir, conf);
    int got = 0;
    s.front =
        test_spawn_port((const char *[]){"/bin/sh", "-c", cmd, NULL}, &got);
    ASSERT_EQ(got, port);
    wait_listening(port);
    snprintf(s.url, sizeof s.url, "https://127.0.0.1:%d/v1", port);

    llmio_client *c = tls_client(&s);
    ASSERT_OK(llmio_client_set_retry(c, 3, 10, 50, 1000));
    ASSERT_OK(llmio_client_set_ca(c, s.ca, NULL, NULL));
    enum { N = 64 };
    llmio_future *fs[N];
    struct engine_rec recs[N];
    memset(recs, 0, sizeof recs);
    for (int i = 0; i < N; i++) {
        llmio_request *r = engine_request(NULL, 0);
        ASSERT_OK(llmio_submit(c, r, engine_done_cb, &recs[i], &fs[i], NULL));
        llmio_request_free(r);
    }
    for (int i = 0; i < N; i++) {
        ASSERT_OK(llmio_future_wait(fs[i], (int)engine_slack_ms(20000)));
        ASSERT_OK(llmio_future_status(fs[i]));
        ASSERT_STR_EQ(
            llmio_response_text(llmio_future_response(fs[i]), 0, NULL),
            "h2 ok");
        llmio_future_free(fs[i]);
    }
    llmio_client_free(c);
    /* nginx writes a log line per request as it ends: N or more lines
     * (retried attempts add some), all HTTP/2, on one or two
     * connections (a stream the server refuses makes libcurl retry it on
     * a fresh one). */
    char *log = test_read_file(logp, NULL);
    int lines = 0, conns = 0;
    long seen[8];
    for (char *line = log; *line != '\0';) {
        char *nl = strchr(line, '\n');
        long conn = strtol(line, NULL, 10);
        ASSERT(strstr(line, " HTTP/2.0 200") != NULL);
        bool known = false;
        for (int k = 0; k < conns; k++) {
            known = known || seen[k] == conn;
        }
        if (!known) {
            ASSERT_CMP(conns, <, 2);
            seen[conns++] = conn;
        }
        lines++;
        line = nl != NULL ? nl + 1 : line + strlen(line);
    }
    ASSERT_CMP(lines, >=, N);
    free(log);
    tls_stop(&s);
}
