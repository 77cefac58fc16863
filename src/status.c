/*
 * status.c - names, messages, retry flags and exit codes of llmio_status,
 * all generated from LLMIO_STATUS_MAP, plus the library version string.
 */
#include "llmio.h"

#define STR_(x) #x
#define XSTR_(x) STR_(x)

LLMIO_API const char *llmio_version(void)
{
    return XSTR_(LLMIO_VERSION_MAJOR) "." XSTR_(
        LLMIO_VERSION_MINOR) "." XSTR_(LLMIO_VERSION_PATCH);
}

static bool in_table(llmio_status st)
{
    return (int)st >= 0 && st < LLMIO_STATUS_COUNT_;
}

LLMIO_API const char *llmio_status_name(llmio_status st)
{
    static const char *const names[] = {
#define NAME_(name, retry, exit_code, msg) #name,
        LLMIO_STATUS_MAP(NAME_)
#undef NAME_
    };
    return in_table(st) ? names[st] : "E_UNKNOWN";
}

LLMIO_API const char *llmio_status_str(llmio_status st)
{
    static const char *const msgs[] = {
#define MSG_(name, retry, exit_code, msg) msg,
        LLMIO_STATUS_MAP(MSG_)
#undef MSG_
    };
    return in_table(st) ? msgs[st] : "unknown status";
}

LLMIO_API bool llmio_status_retryable(llmio_status st)
{
    static const bool retry[] = {
#define RETRY_(name, r, exit_code, msg) r,
        LLMIO_STATUS_MAP(RETRY_)
#undef RETRY_
    };
    return in_table(st) ? retry[st] : false;
}

LLMIO_API int llmio_status_exit_code(llmio_status st)
{
    static const int codes[] = {
#define EXIT_(name, r, exit_code, msg) exit_code,
        LLMIO_STATUS_MAP(EXIT_)
#undef EXIT_
    };
    return in_table(st) ? codes[st] : 1;
}
