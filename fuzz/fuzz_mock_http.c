/*
 * fuzz_mock_http.c - feeds bytes to llmio-mock's HTTP request parser, and
 * every complete request to the request handler (routing, auth, scenario
 * directives, JSON reader, provider validation and reply building), with
 * no sockets.
 *
 * The first input byte picks how the rest is split into network reads (so
 * the incremental parser is exercised at odd boundaries); the remaining
 * bytes are the connection's byte stream, possibly several pipelined
 * requests. The JSON reader is also run on the raw bytes directly.
 */
#include "mock.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int64_t fixed_now(void)
{
    return 1767225600000LL; /* 2026-01-01T00:00:00Z */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    size_t step = data[0] ? data[0] : 4096;
    data++;
    size--;

    struct mock_arena arena;
    mock_arena_init(&arena);
    struct mock_json_error jerr;
    mock_json_parse(&arena, (const char *)data, size, 64, &jerr);
    mock_arena_reset(&arena);

    struct mock_ctx ctx;
    mock_ctx_init(&ctx);
    ctx.now_ms = fixed_now;
    ctx.max_body = 1 << 20;
    /* Exercise the request log too (masking, re-serialisation). */
    ctx.log = fopen("/dev/null", "w");
    struct mock_plan plan;
    mock_plan_init(&plan);
    struct mock_buf scratch, in;
    mock_buf_init(&scratch);
    mock_buf_init(&in);
    struct mock_http_parser p;
    mock_http_parser_init(&p, 64 * 1024, ctx.max_body);

    size_t fed = 0;
    bool stop = false;
    while (fed < size && !stop) {
        size_t n = size - fed < step ? size - fed : step;
        mock_buf_append(&in, data + fed, n);
        fed += n;
        for (;;) {
            enum mock_http_result r = mock_http_feed(&p, in.data, in.len);
            if (r == MOCK_HTTP_MORE) {
                break;
            }
            if (r == MOCK_HTTP_ERROR) {
                mock_handle_bad_http(&ctx, p.error_status, p.error_msg, &plan);
                stop = true;
                break;
            }
            mock_arena_reset(&arena);
            mock_handle(&ctx, &arena, &p.req, &plan, &scratch);
            /* Every segment of the plan must lie inside its data. */
            for (size_t i = 0; i < plan.nsegs; i++) {
                if (plan.segs[i].off + plan.segs[i].len > plan.data.len) {
                    abort();
                }
            }
            size_t used = p.consumed;
            if (used == 0 || used > in.len) {
                abort();
            }
            mock_buf_consume(&in, used);
            mock_http_parser_reset(&p);
            if (plan.reset || plan.close) {
                stop = true;
                break;
            }
        }
    }
    struct mock_buf stats;
    mock_buf_init(&stats);
    mock_stats_json(&ctx, &stats);
    mock_buf_free(&stats);
    mock_http_parser_free(&p);
    mock_buf_free(&in);
    mock_buf_free(&scratch);
    mock_plan_free(&plan);
    mock_arena_free(&arena);
    if (ctx.log) {
        fclose(ctx.log);
    }
    mock_ctx_cleanup(&ctx);
    return 0;
}
