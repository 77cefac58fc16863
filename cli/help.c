/*
 * help.c - the usage texts of the llmio CLI.
 *
 * The exit-code table is generated from LLMIO_STATUS_MAP, the same table
 * the library's status functions come from, so "llmio --help" cannot
 * drift from what the CLI really returns. README.md repeats the table and
 * a test (cli_readme_exit_codes) checks that it matches.
 */
#include "cli.h"

void cli_help_main(FILE *out)
{
    fprintf(out,
            "usage: llmio COMMAND [ARGS...]\n"
            "       llmio --version | --help\n"
            "\n"
            "llmio %s: an async C client for LLM APIs, from the shell.\n"
            "\n"
            "commands:\n",
            llmio_version());
    for (size_t i = 0; i < cli_ncommands; i++) {
        fprintf(out, "  %-8s %s\n", cli_commands[i].name,
                cli_commands[i].summary);
    }
    fputs("\n"
          "Run 'llmio help COMMAND' for a command's options.\n"
          "\n",
          out);
    cli_help_exit_codes(out);
}

void cli_help_run(FILE *out)
{
    fputs(
        "usage: llmio run -m MODEL [options] PROMPT...\n"
        "\n"
        "Send one prompt and print the reply. PROMPT words are joined with\n"
        "spaces; a word '-' is replaced by all of standard input.\n"
        "\n"
        "options:\n"
        "  -m, --model MODEL      'provider/model' or a bare model (openai);\n"
        "                         for a compatible server whose model names\n"
        "                         contain '/', write openai/ORG/NAME\n"
        "  -s, --stream           print the reply as it arrives\n"
        "      --system TEXT      a system message before the prompt\n"
        "      --max-tokens N     cap the reply's tokens\n"
        "  -t, --temperature T    sampling temperature, 0..2\n"
        "      --json             print the whole response object as JSON\n"
        "      --timeout SEC      give up after SEC seconds (fractions ok)\n"
        "      --base-url URL     server base URL, e.g. http://host:8080/v1\n"
        "      --cacert FILE      trust the CAs in this PEM file for https\n"
        "      --api-key-env VAR  read the API key from $VAR\n"
        "  -H, --header 'N: v'    add an HTTP header (repeatable)\n"
        "      --fallback MODEL   try MODEL when the model fails with a\n"
        "                         context-length error, an outage or a rate\n"
        "                         limit (repeatable, in order; stderr says\n"
        "                         which one served)\n"
        "      --hedge MS         send a second copy if no answer in MS ms;\n"
        "                         the first to answer wins\n"
        "      --retries N        retry transient failures up to N times\n"
        "                         (default 2)\n"
        "  -h, --help             this text\n"
        "\n"
        "environment (openai and compatible servers):\n"
        "  OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID\n"
        "\n"
        "Tool calls in a reply print as '[tool call ID] NAME(ARGUMENTS)'.\n"
        "Errors print one line on stderr:\n"
        "  llmio: STATUS: message (http N, provider_error_type)\n"
        "\n",
        out);
    cli_help_exit_codes(out);
}

void cli_help_chat(FILE *out)
{
    fputs(
        "usage: llmio chat -m MODEL [options]\n"
        "\n"
        "Chat with MODEL: each line of standard input is a turn, the reply\n"
        "streams to stdout, and the whole conversation is sent each turn.\n"
        "A prompt '> ' goes to stderr when stdin is a terminal; piped\n"
        "input works the same. ^C cancels the reply being written (the\n"
        "turn is dropped from the history); EOF ends the chat.\n"
        "\n"
        "commands (a line starting with '/'):\n"
        "  /exit, /quit           end the chat\n"
        "  /reset                 clear the history (the system prompt stays)\n"
        "  /system [TEXT]         set the system prompt; no TEXT clears it\n"
        "  /model MODEL           use MODEL from the next turn on\n"
        "  /save FILE             write the history as one Chat Completions\n"
        "                         JSON body (a line 'llmio batch' reads)\n"
        "  /load FILE             append a history saved by /save (its\n"
        "                         system prompt too)\n"
        "  /help                  list the commands\n"
        "\n"
        "options:\n"
        "  -m, --model MODEL      'provider/model' or a bare model (openai)\n"
        "      --system TEXT      the system prompt\n"
        "      --max-tokens N     cap each reply's tokens\n"
        "  -t, --temperature T    sampling temperature, 0..2\n"
        "      --timeout SEC      give up on a reply after SEC seconds\n"
        "      --retries N        retry transient failures up to N times\n"
        "      --base-url URL     server base URL, e.g. http://host:8080/v1\n"
        "      --cacert FILE      trust the CAs in this PEM file for https\n"
        "      --api-key-env VAR  read the API key from $VAR\n"
        "  -H, --header 'N: v'    add an HTTP header (repeatable)\n"
        "  -h, --help             this text\n"
        "\n"
        "A failed turn prints one error line on stderr and the chat goes on.\n"
        "The exit code is that of the last turn or command: 0, a code of\n"
        "the table below, or 130 when the last reply was interrupted.\n"
        "\n",
        out);
    cli_help_exit_codes(out);
}

void cli_help_batch(FILE *out)
{
    fputs(
        "usage: llmio batch [options] [FILE]\n"
        "\n"
        "Run every request of a JSONL file (or stdin, or '-') and write one\n"
        "JSON result per request to stdout. Lines are read as slots free up,\n"
        "so a file of any size runs in bounded memory. Blank lines are\n"
        "skipped. A line is a Chat Completions body, e.g.\n"
        "  {\"model\": \"gpt-4o-mini\", \"messages\": [{\"role\": \"user\", "
        "...}]}\n"
        "  {\"prompt\": \"Hello\", \"max_tokens\": 50}        (model from -m)\n"
        "or an OpenAI Batch API line {\"custom_id\", \"method\", \"url\", "
        "\"body\"}.\n"
        "\n"
        "options:\n"
        "  -m, --model MODEL      model for lines without \"model\"\n"
        "  -c, --concurrency N    requests in flight at once (default 16)\n"
        "      --as-completed     write results as they finish (default:\n"
        "                         input order)\n"
        "      --retries N        retry transient failures up to N times\n"
        "                         (default 2)\n"
        "      --timeout SEC      per-request total timeout, retries included\n"
        "      --rpm N            at most N requests per minute\n"
        "      --tpm N            at most N tokens per minute (estimated)\n"
        "      --progress         counts on stderr every second\n"
        "      --no-rate-pause    a 429 delays only its own request (default:\n"
        "                         it holds its key for every request)\n"
        "      --base-url URL     server base URL, e.g. http://host:8080/v1\n"
        "      --cacert FILE      trust the CAs in this PEM file for https\n"
        "      --api-key-env VAR  read the API key from $VAR\n"
        "  -H, --header 'N: v'    add an HTTP header to every request\n"
        "  -h, --help             this text\n"
        "\n"
        "Each result line: {\"index\": I, \"line\": N, [\"custom_id\": ...,]\n"
        "\"status\": \"OK\", \"response\": {...}} or, for a failure,\n"
        "\"status\": \"E_...\", \"error\": {\"message\", \"http_status\",\n"
        "\"provider_type\", \"provider_code\", \"attempts\", "
        "\"retry_after_ms\",\n"
        "\"request_id\"}. A bad line is its own E_INVALID result; the rest go "
        "on.\n"
        "Exit code: 0 when all succeeded, else the code below of the failed\n"
        "line with the lowest number; 130 when SIGINT cancelled the batch\n"
        "(every request started is still written, as E_CANCELLED).\n"
        "\n",
        out);
    cli_help_exit_codes(out);
}

void cli_help_embed(FILE *out)
{
    fputs(
        "usage: llmio embed -m MODEL [options] [TEXT...]\n"
        "\n"
        "Embed each TEXT and print the vectors, one JSON array per line in\n"
        "input order. With no TEXT (or a TEXT '-') the inputs are the lines\n"
        "of standard input; blank lines are skipped.\n"
        "\n"
        "options:\n"
        "  -m, --model MODEL      'provider/model': openai (and compatible),\n"
        "                         azure/DEPLOYMENT, gemini, ollama\n"
        "  -d, --dimensions N     ask for N-dimensional vectors\n"
        "      --encoding E       'float' or 'base64' on the wire (openai\n"
        "                         protocol); the output is the same\n"
        "      --task-type T      gemini taskType, e.g. RETRIEVAL_QUERY\n"
        "  -f, --format F         'array' (default) or 'json': one object\n"
        "                         {model, provider, dimensions, usage,\n"
        "                         data: [{index, embedding}]}\n"
        "      --retries N        retry transient failures up to N times\n"
        "                         (default 2)\n"
        "      --timeout SEC      give up after SEC seconds (fractions ok)\n"
        "      --base-url URL     server base URL, e.g. http://host:8080/v1\n"
        "      --cacert FILE      trust the CAs in this PEM file for https\n"
        "      --api-key-env VAR  read the API key from $VAR\n"
        "  -H, --header 'N: v'    add an HTTP header (repeatable)\n"
        "  -h, --help             this text\n"
        "\n"
        "Errors print one line on stderr, as for 'llmio run':\n"
        "  llmio: STATUS: message (http N, provider_error_type)\n"
        "\n",
        out);
    cli_help_exit_codes(out);
}

/* One row of the exit-code table. */
struct exit_row {
    int code;
    const char *name;
    const char *msg;
};

void cli_help_exit_codes(FILE *out)
{
    static const struct exit_row table[] = {
#define ROW_(name, retry, exit_code, msg) {exit_code, #name, msg},
        LLMIO_STATUS_MAP(ROW_)
#undef ROW_
    };
    enum { NROWS = sizeof table / sizeof table[0] };
    /* Print in exit-code order; the status table is in enum order. */
    bool done[NROWS] = {false};
    fputs("exit codes:\n", out);
    for (size_t k = 0; k < NROWS; k++) {
        size_t best = NROWS;
        for (size_t i = 0; i < NROWS; i++) {
            if (!done[i] &&
                (best == NROWS || table[i].code < table[best].code)) {
                best = i;
            }
        }
        done[best] = true;
        const char *msg = table[best].msg;
        if (table[best].code == CLI_EXIT_USAGE) {
            msg = "usage error or invalid argument";
        }
        fprintf(out, "  %-4d %-14s %s\n", table[best].code, table[best].name,
                msg);
    }
    fputs("  130  -              interrupted (SIGINT cancels the request)\n",
          out);
}
