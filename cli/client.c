/*
 * client.c - the client-level options every command shares: the base URL,
 * the CA bundle and the API key variable, aimed at the provider of the model
 * given with -m, and --retries. The key is read from the environment and
 * handed straight to the library; it is never printed, not even when refused.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/*
 * provider_of - the provider part of MODEL ("openai" for "openai/gpt-4o",
 * NULL for a bare or absent model, which the library reads as openai),
 * copied into BUF. The CLI needs it only to aim --base-url and
 * --api-key-env at the provider the requests will use.
 */
static const char *provider_of(const char *model, char *buf, size_t cap)
{
    const char *slash = model != NULL ? strchr(model, '/') : NULL;
    if (slash == NULL || (size_t)(slash - model) >= cap) {
        return NULL;
    }
    memcpy(buf, model, (size_t)(slash - model));
    buf[slash - model] = '\0';
    return buf;
}

int cli_configure_client(llmio_client *c, const char *cmd,
                         const struct cli_opts *o)
{
    char pbuf[64];
    const char *provider = provider_of(o->model, pbuf, sizeof pbuf);
    llmio_status st;
    if (o->base_url != NULL) {
        st = llmio_client_set_base_url(c, provider, o->base_url);
        if (st != LLMIO_OK) {
            return cli_usage_error(cmd,
                                   "--base-url '%s' refused: %s (http or "
                                   "https URL, and a known provider)",
                                   o->base_url, llmio_status_str(st));
        }
    }
    if (o->cacert != NULL) {
        llmio_error e;
        st = llmio_client_set_ca(c, o->cacert, NULL, &e);
        if (st != LLMIO_OK) {
            /* e.message names ca_file, the path and the reason. */
            return cli_usage_error(cmd, "--cacert refused: %s", e.message);
        }
    }
    if (o->api_key_env != NULL) {
        /* The key itself is never printed, not even in this error path:
         * only the variable's name is. */
        const char *key = getenv(o->api_key_env);
        if (key == NULL || key[0] == '\0') {
            return cli_usage_error(
                cmd, "--api-key-env: $%s is not set or empty", o->api_key_env);
        }
        st = llmio_client_set_api_key(c, provider, key);
        if (st != LLMIO_OK) {
            cli_print_status(st, "--api-key-env: the key was refused");
            return llmio_status_exit_code(st);
        }
    }
    if (o->has_retries) {
        /* Only the count: -1 keeps the library's delays and hint cap, so
         * the CLI never restates (and drifts from) its defaults. args.c
         * bounds N to 0..99, within the library's 1..100 attempts. */
        st = llmio_client_set_retry(c, o->retries + 1, -1, -1, -1);
        if (st != LLMIO_OK) {
            cli_print_status(st, "--retries refused");
            return llmio_status_exit_code(st);
        }
    }
    return CLI_EXIT_OK;
}
