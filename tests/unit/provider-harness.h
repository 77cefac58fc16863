/*
 * provider-harness.h - shared driver for the provider translation tests
 * (test-anthropic.c, test-gemini.c, test-ollama.c): golden request files,
 * recorded bodies and streams fed whole / byte by byte / split at every
 * offset, error bodies and allocation torture.
 */
#ifndef LLMIO_TEST_PROVIDER_HARNESS_H
#define LLMIO_TEST_PROVIDER_HARNESS_H

#include "test.h"

#include "providers/provider.h"
#include "request.h"

/* The key every golden test configures; expected-headers files show it as
 * <KEY>, and it must appear nowhere else. */
#define PH_KEY "sk-test-0123456789"

/* A request assembled directly in its storage (no builder needed). All
 * strings are static literals; ph_req_free releases only the arrays. */
struct llmio_request *ph_req_new(const char *model);
void ph_req_free(struct llmio_request *r);
struct llmio__message *ph_msg(struct llmio_request *r, llmio_role role,
                              const char *content);
void ph_part_text(struct llmio__message *m, const char *text);
void ph_part_image(struct llmio__message *m, const char *url);
void ph_tool_call(struct llmio__message *m, const char *id, const char *name,
                  const char *args);
void ph_tool(struct llmio_request *r, const char *name, const char *desc,
             const char *params);
void ph_raw(struct llmio_request *r, const char *key, const char *json);

/* Builds REQ with P and compares URL, headers and body with
 * tests/data/providers/<P->name>/<CASE>/expected-{url,headers,body.json}
 * (the body compared as canonical compact JSON). BASE_URL NULL means the
 * provider's default. */
void ph_check_build(const struct llmio__provider *p,
                    const struct llmio_request *req, const char *base_url,
                    const char *case_name);

/* Builds REQ expecting status ST, with MSG_PART in the error message. */
void ph_check_build_error(const struct llmio__provider *p,
                          const struct llmio_request *req, llmio_status st,
                          const char *msg_part);

/* What ph_check_build_with / ph_check_build_error_with build: BUILD (NULL:
 * the provider's build_request; e.g. its build_embed) with the base URL
 * (NULL: the default; NO_BASE_URL: none at all) and API_VERSION
 * (nullable) in the settings. */
typedef llmio_status ph_build_fn(const struct llmio_request *req,
                                 const char *model,
                                 const struct llmio__provider_cfg *cfg,
                                 struct llmio__http_req *out,
                                 llmio_error *err);
struct ph_build {
    const char *base_url;
    const char *api_version;
    bool no_base_url;
    ph_build_fn *build;
};
void ph_check_build_with(const struct llmio__provider *p,
                         const struct llmio_request *req,
                         const struct ph_build *b, const char *case_name);
void ph_check_build_error_with(const struct llmio__provider *p,
                               const struct llmio_request *req,
                               const struct ph_build *b, llmio_status st,
                               const char *msg_part);

/* Allocation torture on build_request: fails allocation N for N = 1, 2,
 * ... until the build succeeds; each step must be NOMEM or success. */
void ph_torture_build(const struct llmio__provider *p,
                      const struct llmio_request *req);
void ph_torture_build_with(const struct llmio__provider *p,
                           const struct llmio_request *req,
                           const struct ph_build *b);

/* Translates a recorded non-streaming body (file tests/data/providers/
 * <name>/<case>/body.json) and returns the delta log and the assembled
 * view (malloc'd; NULL args allowed); the status is returned. */
llmio_status ph_run_body(const struct llmio__provider *p,
                         const char *case_name, char **log, char **view,
                         llmio_error *err);

/* Feeds tests/data/providers/<name>/<case>/stream (SSE or NDJSON per the
 * provider's framing) whole, one byte at a time and split at every
 * offset; all runs must agree. Returns the log, view, final status and
 * whether the provider marked the stream done. */
llmio_status ph_run_stream(const struct llmio__provider *p,
                           const char *case_name, char **log, char **view,
                           bool *done, llmio_error *err);

/* Translates CASE's recorded body and its stream: both must succeed, match
 * expected-body-deltas / expected-view / expected-stream-deltas, the stream
 * must end done and assemble to the same view as the body. */
void ph_check_body_and_stream(const struct llmio__provider *p,
                              const char *case_name);

/* Feeds one event made from EVENT_FMT (one %s, given RAW) and expects the
 * log to hold "FINISH choice=0 <WANT> raw=<RAW>". */
void ph_check_finish(const struct llmio__provider *p, const char *event_fmt,
                     const char *raw, const char *want);

/* Compares S with the file tests/data/providers/<name>/<case>/<file>. */
void ph_expect_file(const struct llmio__provider *p, const char *case_name,
                    const char *file, const char *s);

/* Runs parse_error on BODY with the engine's initial fields for
 * HTTP_STATUS. */
void ph_parse_error(const struct llmio__provider *p, int http_status,
                    const char *body, llmio_error *err);

/* Allocation torture on the stream and body translation of CASE: each
 * step NOMEM or the full result. */
void ph_torture_stream(const struct llmio__provider *p,
                       const char *case_name);

/* Feeds arbitrary bytes as a stream (fuzzing and garbage tests); returns
 * the final status. */
llmio_status ph_feed_bytes(const struct llmio__provider *p, const char *data,
                           size_t len);

/* Like ph_feed_bytes, also returning the delta log (malloc'd). */
llmio_status ph_feed_log(const struct llmio__provider *p, const char *data,
                         size_t len, char **log);

#endif
