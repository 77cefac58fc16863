/*
 * chat.c - "llmio chat": an interactive conversation over llmio_session.
 *
 * Each line of standard input is a user turn (or a slash command); the
 * reply streams to stdout as it arrives and ends with one newline, and
 * the session keeps the history, so a turn sends the whole conversation.
 * A prompt ("> ") goes to stderr, and only when stdin is a terminal, so
 * piped input gives stdout with nothing but the replies. A turn is
 * submitted with llmio_session_submit and driven by run.c's wait (100 ms
 * slices, SIGINT cancels the reply, not the program). A failed or
 * cancelled turn takes its user line back out of the history, so the
 * conversation stays well formed and the line can be typed again. The
 * exit code is that of the last turn or command (0 when none failed
 * last), 130 when the last reply was interrupted.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct chat {
    llmio_client *client;
    llmio_session *session;
    struct cli_out out; /* the reply being written */
};

static int on_delta(llmio_future *f, const llmio_delta *d, void *user)
{
    struct chat *ch = user;
    (void)f;
    cli_out_delta(&ch->out, d);
    return 0;
}

/* Sends LINE as the next user turn and prints the reply; returns the
 * exit code of the turn. */
static int turn(struct chat *ch, const char *line)
{
    size_t before = llmio_session_messages(ch->session);
    llmio_error err;
    memset(&err, 0, sizeof err);
    llmio_status st = llmio_session_add_user(ch->session, line, &err);
    if (st != LLMIO_OK) {
        return cli_refused(st, &err);
    }
    cli_out_init(&ch->out, stdout);
    llmio_future *f = NULL;
    int rc;
    st = llmio_session_submit(ch->session, NULL, ch, &f, &err);
    if (st != LLMIO_OK) {
        rc = cli_refused(st, &err);
    } else {
        rc = cli_wait(f);
    }
    if (rc == CLI_EXIT_OK && llmio_future_status(f) == LLMIO_OK) {
        cli_out_tool_calls(&ch->out, llmio_future_response(f));
        cli_out_end(&ch->out);
    } else {
        if (ch->out.wrote_any) {
            cli_out_end(&ch->out);
        }
        if (rc == CLI_EXIT_OK) {
            rc = cli_failure(f);
        }
        /* The reply is not in the history; the question goes too. */
        if (!llmio_session_busy(ch->session)) {
            llmio_session_truncate(ch->session, before);
        }
    }
    cli_sigint_clear();
    llmio_future_free(f);
    return rc;
}

/* Opens PATH for CMD (/save or /load); NULL after printing why. */
static FILE *open_file(const char *cmd, const char *path, const char *mode)
{
    FILE *f = fopen(path, mode);
    if (f == NULL) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s: cannot open '%s': %s", cmd, path,
                 strerror(errno));
        cli_print_status(LLMIO_E_INVALID, msg);
    }
    return f;
}

/* Writes the history to PATH as one Chat Completions body (model,
 * system message, messages), which llmio batch and
 * llmio_request_set_json read back. */
static int save(const struct chat *ch, const char *path)
{
    FILE *f = open_file("/save", path, "w");
    if (f == NULL) {
        return llmio_status_exit_code(LLMIO_E_INVALID);
    }
    static const char *const roles[] = {"system", "developer", "user",
                                        "assistant", "tool"};
    const llmio_session *s = ch->session;
    fputs("{\"model\":", f);
    cli_json_str(f, llmio_session_model(s));
    fputs(",\"messages\":[", f);
    bool first = true;
    if (llmio_session_system(s) != NULL) {
        fputs("{\"role\":\"system\",\"content\":", f);
        cli_json_str(f, llmio_session_system(s));
        fputs("}", f);
        first = false;
    }
    for (size_t i = 0; i < llmio_session_messages(s); i++) {
        llmio_role role = llmio_session_role(s, i);
        fprintf(f, "%s{\"role\":\"%s\"", first ? "" : ",", roles[role]);
        first = false;
        const char *id = llmio_session_tool_call_id(s, i);
        if (id != NULL) {
            fputs(",\"tool_call_id\":", f);
            cli_json_str(f, id);
        }
        const char *text = llmio_session_text(s, i, NULL);
        fputs(",\"content\":", f);
        if (text != NULL) {
            cli_json_str(f, text);
        } else {
            fputs("null", f);
        }
        size_t ncalls = llmio_session_tool_calls(s, i);
        for (size_t j = 0; j < ncalls; j++) {
            llmio_tool_call tc;
            llmio_session_tool_call(s, i, j, &tc);
            fputs(j == 0 ? ",\"tool_calls\":[" : ",", f);
            fputs("{\"id\":", f);
            cli_json_str(f, tc.id);
            fputs(",\"type\":\"function\",\"function\":{\"name\":", f);
            cli_json_str(f, tc.name);
            fputs(",\"arguments\":", f);
            cli_json_str(f, tc.arguments);
            fputs("}}", f);
        }
        fputs(ncalls > 0 ? "]}" : "}", f);
    }
    fputs("]}\n", f);
    if (fclose(f) != 0) {
        cli_print_status(LLMIO_E_INVALID, "/save: write failed");
        return llmio_status_exit_code(LLMIO_E_INVALID);
    }
    fprintf(stderr, "llmio: saved %zu messages to %s\n",
            llmio_session_messages(s), path);
    return CLI_EXIT_OK;
}

/* Appends the conversation saved in PATH (by /save, or any Chat
 * Completions body) to the history. */
static int load(struct chat *ch, const char *path)
{
    FILE *f = open_file("/load", path, "r");
    if (f == NULL) {
        return llmio_status_exit_code(LLMIO_E_INVALID);
    }
    char *text = NULL;
    size_t cap = 0;
    ssize_t len = getdelim(&text, &cap, '\0', f);
    fclose(f);
    size_t before = llmio_session_messages(ch->session);
    llmio_error err;
    llmio_status st = llmio_session_load_json(
        ch->session, text != NULL ? text : "", len > 0 ? (size_t)len : 0, &err);
    free(text);
    if (st != LLMIO_OK) {
        return cli_refused(st, &err);
    }
    fprintf(stderr, "llmio: loaded %zu messages from %s\n",
            llmio_session_messages(ch->session) - before, path);
    return CLI_EXIT_OK;
}

static const char chat_commands[] =
    "commands: /exit, /reset (clear the history), /system [TEXT] (set or "
    "clear the system prompt), /model MODEL, /save FILE (the history as "
    "JSON), /load FILE (append a saved history), /help\n";

/* Runs the slash command LINE. Sets *QUIT for /exit; returns the exit
 * code of the command. */
static int command(struct chat *ch, const char *line, bool *quit)
{
    size_t n = strcspn(line, " ");
    const char *arg = line[n] == ' ' ? line + n + 1 : "";
    llmio_error err;
    llmio_status st = LLMIO_OK;
    if (n == 5 && strncmp(line, "/exit", n) == 0) {
        *quit = true;
    } else if (n == 5 && strncmp(line, "/quit", n) == 0) {
        *quit = true;
    } else if (n == 6 && strncmp(line, "/reset", n) == 0) {
        st = llmio_session_truncate(ch->session, 0);
        fputs("llmio: history cleared\n", stderr);
    } else if (n == 7 && strncmp(line, "/system", n) == 0) {
        st = llmio_session_set_system(ch->session, arg[0] ? arg : NULL, &err);
    } else if (n == 6 && strncmp(line, "/model", n) == 0) {
        st = llmio_session_set_model(ch->session, arg, &err);
    } else if (n == 5 && strncmp(line, "/save", n) == 0) {
        if (arg[0] == '\0') {
            fputs("llmio: /save needs a FILE\n", stderr);
            return CLI_EXIT_USAGE;
        }
        return save(ch, arg);
    } else if (n == 5 && strncmp(line, "/load", n) == 0) {
        if (arg[0] == '\0') {
            fputs("llmio: /load needs a FILE\n", stderr);
            return CLI_EXIT_USAGE;
        }
        return load(ch, arg);
    } else if (n == 5 && strncmp(line, "/help", n) == 0) {
        fputs(chat_commands, stderr);
    } else {
        fprintf(stderr, "llmio: unknown command '%.*s' (try /help)\n", (int)n,
                line);
        return CLI_EXIT_USAGE;
    }
    if (st != LLMIO_OK) {
        return cli_refused(st, &err);
    }
    return CLI_EXIT_OK;
}

/* The options every turn takes, set once on the session. */
static int set_options(struct chat *ch, const struct cli_opts *o)
{
    llmio_request *t = llmio_request_new(NULL);
    if (t == NULL) {
        cli_print_status(LLMIO_E_NOMEM, NULL);
        return llmio_status_exit_code(LLMIO_E_NOMEM);
    }
    if (o->has_max_tokens) {
        llmio_request_set_max_tokens(t, o->max_tokens);
    }
    if (o->has_temperature) {
        llmio_request_set_temperature(t, o->temperature);
    }
    cli_request_common(t, o);
    llmio_request_set_stream(t, on_delta, true);
    llmio_error err;
    llmio_status st = llmio_session_set_options(ch->session, t, &err);
    if (st == LLMIO_OK && o->system != NULL) {
        st = llmio_session_set_system(ch->session, o->system, &err);
    }
    llmio_request_free(t);
    if (st != LLMIO_OK) {
        return cli_refused(st, &err);
    }
    return CLI_EXIT_OK;
}

/* Reads and runs lines until EOF or /exit; returns the last exit code. */
static int loop(struct chat *ch)
{
    bool tty = isatty(STDIN_FILENO) != 0;
    char *line = NULL;
    size_t cap = 0;
    int rc = CLI_EXIT_OK;
    bool quit = false;
    while (!quit) {
        if (tty) {
            fputs("> ", stderr);
        }
        ssize_t len = getline(&line, &cap, stdin);
        if (len < 0) {
            break;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        if (len == 0) {
            continue;
        }
        rc = line[0] == '/' ? command(ch, line, &quit) : turn(ch, line);
    }
    free(line);
    return rc;
}

int cli_cmd_chat(int argc, char **argv)
{
    struct cli_opts o;
    bool want_help;
    if (!cli_parse_chat(argc, argv, &o, &want_help)) {
        return CLI_EXIT_USAGE;
    }
    if (want_help) {
        cli_help_chat(stdout);
        return CLI_EXIT_OK;
    }
    struct chat ch;
    memset(&ch, 0, sizeof ch);
    int rc;
    llmio_status st = llmio_client_new(NULL, &ch.client);
    if (st == LLMIO_OK) {
        st = llmio_session_new(ch.client, o.model, &ch.session);
    }
    if (st != LLMIO_OK) {
        cli_print_status(st, "cannot start the chat");
        rc = llmio_status_exit_code(st);
        goto done;
    }
    rc = cli_configure_client(ch.client, "chat", &o);
    if (rc == CLI_EXIT_OK) {
        rc = set_options(&ch, &o);
    }
    if (rc == CLI_EXIT_OK) {
        rc = loop(&ch);
    }

done:
    llmio_session_free(ch.session);
    llmio_client_free(ch.client);
    llmio_global_cleanup();
    return rc;
}
