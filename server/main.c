/*
 * main.c - llmio-mock command line: parses options and runs the server.
 * Everything else lives in libllmiomock.a (the other server files).
 */
#include "mock.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: llmio-mock [options]\n"
          "  --port N            TCP port (0 = pick a free one; default 0)\n"
          "  --host ADDR         address to bind (default 127.0.0.1; ::1 "
          "for IPv6)\n"
          "  --log FILE          append one JSON line per request\n"
          "  --api-key KEY       only KEY is a valid API key (default: any "
          "non-empty key\n"
          "                      not starting with \"bad\")\n"
          "  --scenario-dir DIR  where @NAME scenarios are read (NAME.scn)\n"
          "  --scenario SPEC     scenario applied to requests that name none\n"
          "  --max-body BYTES    request body limit (default 8388608; 413 "
          "beyond)\n"
          "  --quiet             no diagnostics on stderr\n"
          "  --help, --version\n"
          "The chosen port is printed alone on the first line of stdout.\n"
          "See server/README.md for endpoints and the scenario language.\n",
          f);
}

int main(int argc, char **argv)
{
    struct mock_server_opts o;
    memset(&o, 0, sizeof o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            puts("llmio-mock 0.1");
            return 0;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o.quiet = true;
            continue;
        }
        if (v == NULL) {
            fprintf(stderr, "llmio-mock: %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        if (strcmp(a, "--port") == 0 || strcmp(a, "-p") == 0) {
            char *end;
            long p = strtol(v, &end, 10);
            if (*end || p < 0 || p > 65535) {
                fprintf(stderr, "llmio-mock: bad port %s\n", v);
                return 2;
            }
            o.port = (int)p;
        } else if (strcmp(a, "--host") == 0) {
            o.host = v;
        } else if (strcmp(a, "--log") == 0) {
            o.log_path = v;
        } else if (strcmp(a, "--api-key") == 0) {
            o.api_key = v;
        } else if (strcmp(a, "--scenario-dir") == 0) {
            o.scenario_dir = v;
        } else if (strcmp(a, "--scenario") == 0) {
            o.default_scenario = v;
        } else if (strcmp(a, "--max-body") == 0) {
            char *end;
            long long m = strtoll(v, &end, 10);
            if (*end || m < 1 || m > (1LL << 34)) {
                fprintf(stderr, "llmio-mock: bad --max-body %s\n", v);
                return 2;
            }
            o.max_body = (size_t)m;
        } else {
            fprintf(stderr, "llmio-mock: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    return mock_server_run(&o);
}
