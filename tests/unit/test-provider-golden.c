/*
 * test-provider-golden.c - one conversation sent to every provider (issue
 * 5, "done when"): a system prompt, a user turn with text and an image, an
 * assistant turn with text and a parallel tool call, both results, a
 * developer note and a follow-up question. Each provider's request bytes
 * are compared with tests/data/providers/<name>/shared-conversation/
 * (expected-url, expected-headers, expected-body.json), written from the
 * wire references in shared/reference/: the system prompt lifted to
 * Anthropic's "system" and Gemini's systemInstruction; the image as a
 * base64 source / inlineData / bare base64 / data URL, and a URL image as
 * Anthropic's url source / Gemini's fileData / OpenAI's image_url (Ollama
 * takes none: refused); tool_use / functionCall / tool_calls with
 * arguments as an object (a string for OpenAI); tool_result blocks and
 * functionResponse parts merged with the follow-up into one user turn.
 * The same conversation runs through each builder's allocation torture.
 */
#include "provider-harness.h"

#define IMAGE_DATA "data:image/png;base64,iVBORw0KGgo="
#define IMAGE_URL "https://example.com/photos/cat.JPG?size=large"

/* The conversation through the public builder; WITH_URL_IMAGE adds an
 * https image after the base64 one (not for Ollama, which takes only
 * base64). */
static llmio_request *conversation(const char *model, bool with_url_image)
{
    llmio_request *r = llmio_request_new(model);
    ASSERT_NOT_NULL(r);
    ASSERT_OK(llmio_request_add_message(
        r, LLMIO_ROLE_SYSTEM, "You are a concise weather assistant."));
    ASSERT_OK(llmio_request_add_message(
        r, LLMIO_ROLE_USER, "What's the weather in Lisbon and Porto?"));
    ASSERT_OK(llmio_request_add_text(r, "And what is in this picture?"));
    ASSERT_OK(llmio_request_add_image_url(r, IMAGE_DATA, NULL));
    if (with_url_image) {
        ASSERT_OK(llmio_request_add_image_url(r, IMAGE_URL, NULL));
    }
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_ASSISTANT,
                                        "Checking both cities."));
    ASSERT_OK(llmio_request_add_tool_call(r, "call_01Ab", "lookup_weather",
                                          "{\"city\": \"Lisbon\"}"));
    ASSERT_OK(llmio_request_add_tool_call(r, "call_01Cd", "lookup_weather",
                                          "{\"city\":\"Porto\"}"));
    ASSERT_OK(llmio_request_add_tool_result(
        r, "call_01Ab", "{\"temp_c\":21,\"sky\":\"clear\"}"));
    ASSERT_OK(llmio_request_add_tool_result(r, "call_01Cd", "18C, cloudy"));
    ASSERT_OK(llmio_request_add_message(r, LLMIO_ROLE_DEVELOPER,
                                        "Answer in one sentence."));
    ASSERT_OK(
        llmio_request_add_message(r, LLMIO_ROLE_USER, "Which city is warmer?"));
    ASSERT_OK(llmio_request_add_tool(
        r, "lookup_weather", "Current weather for a city",
        "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}"
        "},\"required\":[\"city\"]}"));
    ASSERT_OK(llmio_request_set_tool_choice(r, "auto"));
    ASSERT_OK(llmio_request_set_max_completion_tokens(r, 512));
    return r;
}

static void golden(const struct llmio__provider *p, const char *model,
                   bool with_url_image)
{
    llmio_request *r = conversation(model, with_url_image);
    ph_check_build(p, r, NULL, "shared-conversation");
    ph_torture_build(p, r);
    llmio_request_free(r);
}

TEST(golden_conversation_openai)
{
    golden(&llmio__provider_openai, "openai/gpt-4o", true);
}

TEST(golden_conversation_anthropic)
{
    golden(&llmio__provider_anthropic, "anthropic/claude-sonnet-4-5", true);
}

TEST(golden_conversation_gemini)
{
    golden(&llmio__provider_gemini, "gemini/gemini-2.5-flash", true);
}

TEST(golden_conversation_ollama)
{
    golden(&llmio__provider_ollama, "ollama/llama3.2", false);
    /* Ollama fetches nothing: a URL image is refused, naming the part. */
    llmio_request *r = conversation("ollama/llama3.2", true);
    ph_check_build_error(&llmio__provider_ollama, r, LLMIO_E_UNSUPPORTED,
                         "messages[1].parts");
    llmio_request_free(r);
}
