/*
 * request_copy.c - copies one request builder into another through the
 * public setters, so a copy is validated and stored exactly as the
 * original was (session.c builds every turn this way).
 *
 * Invariants: nothing here writes a builder field a setter owns, except
 * values already validated in SRC (timeouts, the retry override), which
 * are copied as they are; an error lands in DST as its sticky first error,
 * naming the field, and is returned.
 * Owns: nothing; every copy belongs to DST.
 */
#include "request.h"

llmio_status llmio__request_copy_settings(struct llmio_request *dst,
                                          const struct llmio_request *src)
{
    LLMIO__REQUEST_ENTER(dst);
    if (src->error != LLMIO_OK) {
        return llmio__request_fail(dst, src->error, "%s", src->error_msg);
    }
    if (src->is_embedding) {
        return llmio__request_fail(dst, LLMIO_E_INVALID,
                                   "options: an embedding request has no "
                                   "chat turns");
    }
    if (src->has_temperature) {
        llmio_request_set_temperature(dst, src->temperature);
    }
    if (src->has_top_p) {
        llmio_request_set_top_p(dst, src->top_p);
    }
    if (src->has_max_tokens) {
        llmio_request_set_max_tokens(dst, src->max_tokens);
    }
    if (src->has_max_completion_tokens) {
        llmio_request_set_max_completion_tokens(dst,
                                                src->max_completion_tokens);
    }
    if (src->has_n) {
        llmio_request_set_n(dst, src->n);
    }
    if (src->has_seed) {
        llmio_request_set_seed(dst, src->seed);
    }
    if (src->has_logprobs) {
        llmio_request_set_logprobs(dst, src->logprobs, src->top_logprobs);
    }
    for (size_t i = 0; i < src->nstop; i++) {
        llmio_request_add_stop(dst, src->stop[i]);
    }
    if (src->user != NULL) {
        llmio_request_set_user(dst, src->user);
    }
    for (size_t i = 0; i < src->ntools; i++) {
        llmio_request_add_tool(dst, src->tools[i].name,
                               src->tools[i].description,
                               src->tools[i].parameters);
    }
    if (src->tool_choice != NULL) {
        llmio_request_set_tool_choice(dst, src->tool_choice);
    }
    if (src->response_format_type != NULL) {
        llmio_request_set_response_format(
            dst, src->response_format_type, src->response_format_name,
            src->response_format_schema, src->response_format_strict);
    }
    for (size_t i = 0; i < src->nraw; i++) {
        llmio_request_set_raw(dst, src->raw[i].key, src->raw[i].json);
    }
    for (size_t i = 0; i < src->nheaders; i++) {
        llmio_request_add_header(dst, src->headers[i]);
    }
    for (size_t i = 0; i < src->nfallbacks; i++) {
        llmio_request_add_fallback(dst, src->fallbacks[i].model,
                                   src->fallbacks[i].on);
    }
    if (src->has_hedge) {
        llmio_request_set_hedge(dst, src->hedge_mode, src->hedge_delay_ms);
    }
    if (src->stream) {
        llmio_request_set_stream(dst, src->stream_cb, src->include_usage);
    }
    if (dst->error == LLMIO_OK) {
        for (size_t k = 0; k < 4; k++) {
            dst->timeouts_ms[k] = src->timeouts_ms[k];
        }
        dst->retry = src->retry;
    }
    return dst->error;
}

llmio_status llmio__request_copy_message(struct llmio_request *dst,
                                         const struct llmio__message *m)
{
    LLMIO__REQUEST_ENTER(dst);
    if (m->role == LLMIO_ROLE_TOOL && m->tool_call_id != NULL) {
        return llmio_request_add_tool_result(dst, m->tool_call_id, m->content);
    }
    llmio_request_add_message(dst, m->role, m->content);
    for (size_t i = 0; i < m->nparts; i++) {
        const struct llmio__part *p = &m->parts[i];
        if (p->type == LLMIO__PART_TEXT) {
            llmio_request_add_text(dst, p->text);
        } else {
            llmio_request_add_image_url(dst, p->url, p->detail);
        }
    }
    if (m->name != NULL) {
        llmio_request_set_name(dst, m->name);
    }
    for (size_t i = 0; i < m->ntool_calls; i++) {
        const struct llmio__tool_call_in *tc = &m->tool_calls[i];
        llmio_request_add_tool_call(dst, tc->id, tc->name, tc->arguments);
        if (tc->signature != NULL) {
            llmio_request_set_tool_call_signature(dst, tc->signature);
        }
    }
    return dst->error;
}
