/*
 * main.c - entry point of the llmio CLI: global flags and the command
 * table.
 *
 * A command is one row of cli_commands with its own file (run.c,
 * batch.c, embed.c, chat.c); a new command is a new row. Global flags
 * (--version, --help) come before the command name.
 */
#include "cli.h"

#include <string.h>

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static void help_help(FILE *out)
{
    fputs("usage: llmio help [COMMAND]\n", out);
}

static void help_version(FILE *out)
{
    fputs("usage: llmio version\n", out);
}

const struct cli_command cli_commands[] = {
    {"run", cli_cmd_run, "send one prompt and print the reply", cli_help_run},
    {"batch", cli_cmd_batch, "run a JSONL file of requests, JSONL results out",
     cli_help_batch},
    {"embed", cli_cmd_embed, "embed texts and print the vectors",
     cli_help_embed},
    {"chat", cli_cmd_chat, "chat: stdin lines are turns, history kept",
     cli_help_chat},
    {"help", cmd_help, "show help for a command", help_help},
    {"version", cmd_version, "print the version", help_version},
};
const size_t cli_ncommands = sizeof cli_commands / sizeof cli_commands[0];

const struct cli_command *cli_find_command(const char *name)
{
    for (size_t i = 0; i < cli_ncommands; i++) {
        if (strcmp(cli_commands[i].name, name) == 0) {
            return &cli_commands[i];
        }
    }
    return NULL;
}

static int cmd_help(int argc, char **argv)
{
    if (argc == 0) {
        cli_help_main(stdout);
        return CLI_EXIT_OK;
    }
    const struct cli_command *cmd = cli_find_command(argv[0]);
    if (cmd == NULL) {
        return cli_usage_error(NULL, "no such command '%s'", argv[0]);
    }
    cmd->help(stdout);
    return CLI_EXIT_OK;
}

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("llmio %s\n", llmio_version());
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        return cli_usage_error(NULL, "missing COMMAND");
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        return cmd_version(0, NULL);
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        return cmd_help(0, NULL);
    }
    const struct cli_command *cmd = cli_find_command(name);
    if (cmd == NULL) {
        return cli_usage_error(NULL, "no such command '%s'", name);
    }
    int rc = cmd->run(argc - 2, argv + 2);
    if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
        /* A full disk or closed pipe must not look like success. */
        rc = 1;
    }
    return rc;
}
