/* stubs.c - temporary: providers not yet implemented. */
#include "mock.h"
void mock_anthropic_messages(struct mock_call *c) { mock_error(c, 501, NULL, NULL, NULL, "not yet"); }
void mock_anthropic_models(struct mock_call *c) { mock_error(c, 501, NULL, NULL, NULL, "not yet"); }
void mock_gemini_generate(struct mock_call *c, const char *m, size_t l, bool s) { (void)m; (void)l; (void)s; mock_error(c, 501, NULL, NULL, NULL, "not yet"); }
void mock_gemini_embed(struct mock_call *c, const char *m, size_t l, bool s) { (void)m; (void)l; (void)s; mock_error(c, 501, NULL, NULL, NULL, "not yet"); }
void mock_gemini_models(struct mock_call *c) { mock_error(c, 501, NULL, NULL, NULL, "not yet"); }
void mock_ollama_chat(struct mock_call *c) { mock_error(c, 501, NULL, NULL, NULL, "not yet"); }
void mock_ollama_embed(struct mock_call *c) { mock_error(c, 501, NULL, NULL, NULL, "not yet"); }
void mock_ollama_tags(struct mock_call *c) { mock_error(c, 501, NULL, NULL, NULL, "not yet"); }
