/* fuzz_ollama_stream.c - Ollama stream events, bodies and error
 * bodies (src/providers/ollama.c); see provider-fuzz.h. */
#include "provider-fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return provider_fuzz(&llmio__provider_ollama, data, size);
}
