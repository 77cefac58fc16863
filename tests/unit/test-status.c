/* test-status.c - the status table and its generated functions. */
#include "test.h"

#include "llmio.h"

TEST(status_names_and_messages)
{
    ASSERT_STR_EQ(llmio_status_name(LLMIO_OK), "OK");
    ASSERT_STR_EQ(llmio_status_name(LLMIO_E_TIMEOUT), "E_TIMEOUT");
    ASSERT_STR_EQ(llmio_status_str(LLMIO_E_RATE_LIMIT), "rate limited");
    ASSERT_STR_EQ(llmio_status_name((llmio_status)999), "E_UNKNOWN");
    ASSERT_STR_EQ(llmio_status_str((llmio_status)-1), "unknown status");
}

TEST(status_retryable_column)
{
    ASSERT(llmio_status_retryable(LLMIO_E_RATE_LIMIT));
    ASSERT(llmio_status_retryable(LLMIO_E_OVERLOADED));
    ASSERT(llmio_status_retryable(LLMIO_E_SERVER));
    ASSERT(llmio_status_retryable(LLMIO_E_CONNECT));
    ASSERT(llmio_status_retryable(LLMIO_E_TIMEOUT));
    ASSERT(!llmio_status_retryable(LLMIO_E_AUTH));
    ASSERT(!llmio_status_retryable(LLMIO_E_BAD_REQUEST));
    ASSERT(!llmio_status_retryable(LLMIO_E_CANCELLED));
    ASSERT(!llmio_status_retryable(LLMIO_OK));
}

TEST(status_exit_codes_unique)
{
    ASSERT_EQ(llmio_status_exit_code(LLMIO_OK), 0);
    for (int a = 0; a < LLMIO_STATUS_COUNT_; a++) {
        ASSERT_NE(llmio_status_exit_code((llmio_status)a), 1);
        for (int b = a + 1; b < LLMIO_STATUS_COUNT_; b++) {
            ASSERT_NE(llmio_status_exit_code((llmio_status)a),
                      llmio_status_exit_code((llmio_status)b));
        }
    }
}

TEST(version_matches_header)
{
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", LLMIO_VERSION_MAJOR,
             LLMIO_VERSION_MINOR, LLMIO_VERSION_PATCH);
    ASSERT_STR_EQ(llmio_version(), want);
}
