/* fuzz_gemini_stream.c - Gemini stream events, bodies and error
 * bodies (src/providers/gemini.c); see provider-fuzz.h. */
#include "provider-fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return provider_fuzz(&llmio__provider_gemini, data, size);
}
