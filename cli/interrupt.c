/*
 * interrupt.c - SIGINT as a flag. Commands wait in short slices and, when
 * the flag is up, cancel what they started, so an interrupted command
 * still accounts for every request (each ends CANCELLED) and exits 130.
 * A second ^C falls through to the default action and kills the process,
 * in case the cancel itself were ever to hang (SA_RESETHAND).
 */
#include "cli.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t interrupted;
static struct sigaction saved;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

void cli_sigint_catch(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &saved);
}

void cli_sigint_restore(void)
{
    sigaction(SIGINT, &saved, NULL);
}

bool cli_sigint_seen(void)
{
    return interrupted != 0;
}

void cli_sigint_clear(void)
{
    interrupted = 0;
}
