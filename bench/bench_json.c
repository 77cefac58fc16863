/*
 * bench_json.c - JSON parse time of llmio vs jansson vs cJSON on real LLM
 * payloads, plus SSE framing cost per event.
 *
 * Inputs: the OpenAI content chunk of shared/reference/openai-chat.md 5a
 * ("Bom", 225 bytes), an OpenAI tool-call argument chunk, an Anthropic
 * content_block_delta, a ~1 KB pretty-printed non-streaming response, and a
 * ~100 KB response with logprobs (many small objects). Each parser builds
 * its full tree and releases it per iteration (llmio: arena reset, which
 * keeps its block warm, as the engine's per-event scratch arena does).
 *
 * Method: warm up, then 21 batches sized to ~20 ms each; the figure is the
 * median batch's thread CPU time per iteration. Prints stable lines
 * "json_parse_<input>_<parser> <value> us" and "sse_frame_event_llmio
 * <value> ns", then a table. Usage: bench_json [--quick]
 */
#include "arena.h"
#include "buf.h"
#include "json.h"
#include "sse.h"

#include <cjson/cJSON.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char chunk_content[] =
    "{\"id\":\"chatcmpl-77a\",\"object\":\"chat.completion.chunk\","
    "\"created\":1760000100,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":"
    "\"fp_1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Bom\"},"
    "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}";

static const char chunk_tool[] =
    "{\"id\":\"chatcmpl-9k\",\"object\":\"chat.completion.chunk\",\"created\":"
    "1760000200,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":"
    "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"ci\"}}]},"
    "\"logprobs\":null,\"finish_reason\":null}]}";

static const char chunk_anthropic[] =
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
    "\"text_delta\",\"text\":\"Checking\"}}";

static const char response_1k[] =
    "{\n  \"id\": \"chatcmpl-Bq3x9LwE2\",\n  \"object\": \"chat.completion\",\n"
    "  \"created\": 1760000000,\n  \"model\": \"gpt-4o-mini-2024-07-18\",\n"
    "  \"system_fingerprint\": \"fp_5c1a22e1f0\",\n  \"service_tier\": "
    "\"default\",\n  \"choices\": [\n    {\n      \"index\": 0,\n      "
    "\"message\": {\n        \"role\": \"assistant\",\n        \"content\": "
    "\"Lisbon is sunny today: 21\\u00b0C, clear skies.\\nPorto: 18\\u00b0C, "
    "light wind. Enjoy the \\\"golden hour\\\" by the river!\",\n        "
    "\"refusal\": null,\n        \"annotations\": [],\n        "
    "\"tool_calls\": [\n          {\"id\": \"call_7Qx1\", \"type\": "
    "\"function\",\n           \"function\": {\"name\": \"lookup_weather\", "
    "\"arguments\": \"{\\\"city\\\":\\\"Lisbon\\\"}\"}}\n        ]\n      },\n"
    "      \"logprobs\": null,\n      \"finish_reason\": \"tool_calls\"\n    "
    "}\n  ],\n  \"usage\": {\n    \"prompt_tokens\": 91,\n    "
    "\"completion_tokens\": 18,\n    \"total_tokens\": 109,\n    "
    "\"prompt_tokens_details\": {\"cached_tokens\": 0, \"audio_tokens\": 0},\n"
    "    \"completion_tokens_details\": {\"reasoning_tokens\": 0, "
    "\"audio_tokens\": 0,\n                                  "
    "\"accepted_prediction_tokens\": 0, \"rejected_prediction_tokens\": 0}\n"
    "  }\n}\n";

/* CPU time of this thread: on a shared machine, time spent preempted by
 * other processes is not charged to the parser being measured. */
static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct input {
    const char *name;
    const char *text;
    size_t len;
};

static struct llmio__arena g_arena;
static volatile size_t g_sink;

static int parse_llmio(const struct input *in)
{
    const struct llmio__json *v;
    llmio__arena_reset(&g_arena);
    if (llmio__json_parse(&g_arena, in->text, in->len, NULL, &v, NULL) !=
        LLMIO_OK) {
        return -1;
    }
    g_sink += llmio__json_len(v);
    return 0;
}

static int parse_jansson(const struct input *in)
{
    json_error_t err;
    json_t *v = json_loadb(in->text, in->len, 0, &err);
    if (v == NULL) {
        return -1;
    }
    g_sink += json_object_size(v);
    json_decref(v);
    return 0;
}

static int parse_cjson(const struct input *in)
{
    cJSON *v = cJSON_ParseWithLength(in->text, in->len);
    if (v == NULL) {
        return -1;
    }
    g_sink += (size_t)cJSON_GetArraySize(v);
    cJSON_Delete(v);
    return 0;
}

/* Median time per call in nanoseconds. */
static double measure(int (*fn)(const struct input *), const struct input *in,
                      int batches)
{
    /* Calibrate a batch to ~20 ms (after a warm-up of the same size). */
    long iters = 1;
    for (;;) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            if (fn(in) != 0) {
                fprintf(stderr, "parse failed: %s\n", in->name);
                exit(1);
            }
        }
        double dt = now_ns() - t0;
        if (dt > 20e6 || iters > (1L << 28)) {
            break;
        }
        iters *= 2;
    }
    double samples[64];
    for (int b = 0; b < batches; b++) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            fn(in);
        }
        samples[b] = (now_ns() - t0) / (double)iters;
    }
    qsort(samples, (size_t)batches, sizeof samples[0], cmp_double);
    return samples[batches / 2];
}

static char *make_100k(size_t *len)
{
    struct llmio__buf b;
    llmio__buf_init(&b, NULL, 0);
    llmio__buf_appends(
        &b, "{\"id\":\"chatcmpl-big\",\"object\":\"chat.completion\","
            "\"created\":1760000000,\"model\":\"gpt-4o-mini\",\"choices\":[{"
            "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"");
    for (int i = 0; i < 200; i++) {
        llmio__buf_appends(&b, "Line of model output with \\\"quotes\\\", "
                               "caf\\u00e9 and a newline.\\n");
    }
    llmio__buf_appends(&b, "\"},\"logprobs\":{\"content\":[");
    for (int i = 0; b.len < 100000; i++) {
        llmio__buf_appendf(
            &b,
            "%s{\"token\":\"tok%d\",\"logprob\":-%d.%04d,\"bytes\":[116,111,"
            "107],\"top_logprobs\":[{\"token\":\"alt\",\"logprob\":-3.5e-2,"
            "\"bytes\":[97,108,116]}]}",
            i ? "," : "", i, i % 7, i % 9973);
    }
    llmio__buf_appends(&b, "]},\"finish_reason\":\"stop\"}],\"usage\":{"
                           "\"prompt_tokens\":10,\"completion_tokens\":900,"
                           "\"total_tokens\":910}}");
    *len = b.len;
    return b.data;
}

/* SSE: nanoseconds per event to frame a stream of OpenAI chunks fed in
 * 4 KiB network reads. */
static double measure_sse(int batches, double *bytes_per_event)
{
    struct llmio__buf s;
    llmio__buf_init(&s, NULL, 0);
    int nevents = 1000;
    for (int i = 0; i < nevents; i++) {
        llmio__buf_appendf(&s, "data: %s\n\n", chunk_content);
    }
    *bytes_per_event = (double)s.len / nevents;
    double samples[64];
    for (int b = -3; b < batches; b++) {
        struct llmio__sse_parser p;
        llmio__sse_init(&p, NULL, 0);
        struct llmio__sse_event ev;
        int got = 0;
        double t0 = now_ns();
        for (int rep = 0; rep < 20; rep++) {
            for (size_t at = 0; at < s.len; at += 4096) {
                size_t k = s.len - at < 4096 ? s.len - at : 4096;
                llmio__sse_feed(&p, s.data + at, k);
                while (llmio__sse_next(&p, &ev) == 1) {
                    g_sink += ev.data_len;
                    got++;
                }
            }
        }
        double dt = now_ns() - t0;
        llmio__sse_cleanup(&p);
        if (got != 20 * nevents) {
            fprintf(stderr, "sse: %d events\n", got);
            exit(1);
        }
        if (b >= 0) {
            samples[b] = dt / got;
        }
    }
    llmio__buf_cleanup(&s);
    qsort(samples, (size_t)batches, sizeof samples[0], cmp_double);
    return samples[batches / 2];
}

int main(int argc, char **argv)
{
    int batches = argc > 1 && strcmp(argv[1], "--quick") == 0 ? 5 : 21;
    size_t big_len;
    char *big = make_100k(&big_len);
    struct input inputs[] = {
        {"chunk", chunk_content, sizeof chunk_content - 1},
        {"toolchunk", chunk_tool, sizeof chunk_tool - 1},
        {"anthropic", chunk_anthropic, sizeof chunk_anthropic - 1},
        {"response1k", response_1k, sizeof response_1k - 1},
        {"response100k", big, big_len},
    };
    size_t ninputs = sizeof inputs / sizeof inputs[0];
    struct {
        const char *name;
        int (*fn)(const struct input *);
    } parsers[] = {{"llmio", parse_llmio},
                   {"jansson", parse_jansson},
                   {"cjson", parse_cjson}};
    double us[8][3];
    llmio__arena_init(&g_arena, NULL, 0);
    for (size_t i = 0; i < ninputs; i++) {
        for (size_t k = 0; k < 3; k++) {
            us[i][k] = measure(parsers[k].fn, &inputs[i], batches) / 1000.0;
            printf("json_parse_%s_%s %.3f us\n", inputs[i].name,
                   parsers[k].name, us[i][k]);
            fflush(stdout);
        }
    }
    double bpe;
    double sse_ns = measure_sse(batches, &bpe);
    printf("sse_frame_event_llmio %.1f ns\n", sse_ns);
    printf("\n%-14s %8s %10s %10s %10s %9s %9s\n", "input", "bytes", "llmio us",
           "jansson us", "cJSON us", "x jansson", "x cJSON");
    for (size_t i = 0; i < ninputs; i++) {
        printf("%-14s %8zu %10.3f %10.3f %10.3f %9.1f %9.1f\n", inputs[i].name,
               inputs[i].len, us[i][0], us[i][1], us[i][2], us[i][1] / us[i][0],
               us[i][2] / us[i][0]);
    }
    printf("%-14s %8.0f %10.1f ns/event (4 KiB reads)\n", "sse framing", bpe,
           sse_ns);
    llmio__arena_cleanup(&g_arena);
    free(big);
    return (int)(g_sink & 0);
}
