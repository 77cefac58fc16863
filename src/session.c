/*
 * session.c - llmio_session: a conversation's history, turned into one
 * ordinary request per turn.
 *
 * Invariants:
 *  - The history is an llmio_request used only for its messages (HIST),
 *    so every message is validated and stored by the request builder,
 *    and a turn is built by copying settings and messages into a fresh
 *    builder through the same setters (request_copy.c): there is no
 *    second serialiser. HIST never keeps a sticky error: a failed append
 *    leaves it as it was (request.c's invariant) and the error is cleared.
 *  - At most one turn is in flight (TURN). Its future's observer records
 *    the reply once, from the loop, just before the done callback, and
 *    clears TURN on every outcome; llmio_session_free detaches it.
 * Owns: the model and system strings, the options template (OPTS) and the
 * history (HIST), all allocated with the client's allocator.
 */
#include "client.h"

#include "alloc.h"
#include "request.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct llmio_session {
    llmio_client *client;
    llmio_allocator alloc; /* the client's, copied: builders point here */
    char *model;
    char *system;        /* nullable */
    llmio_request *opts; /* the options template; nullable */
    llmio_request *hist; /* the history: its messages only */
    llmio_future *turn;  /* the turn in flight; NULL when idle */
};

/* Fills ERR (nullable) with ST and a message; returns ST. */
static llmio_status set_err(llmio_error *err, llmio_status st, const char *fmt,
                            ...) __attribute__((format(printf, 3, 4)));

static llmio_status set_err(llmio_error *err, llmio_status st, const char *fmt,
                            ...)
{
    if (err != NULL) {
        memset(err, 0, sizeof *err);
        err->retry_after_ms = -1;
        err->code = st;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* Reports HIST's sticky error into ERR and clears it, so the session can
 * go on (the failed call changed nothing). Returns the error. */
static llmio_status hist_result(llmio_session *s, llmio_error *err)
{
    llmio_status st = llmio_request_error(s->hist, err);
    s->hist->error = LLMIO_OK;
    s->hist->error_msg[0] = '\0';
    return st;
}

/* Copies S into *OUT, replacing it; FIELD names it in errors. S NULL
 * stores NULL unless REQUIRED. */
static llmio_status replace_str(llmio_session *s, const char *field,
                                const char *str, bool required, char **out,
                                llmio_error *err)
{
    if (str == NULL || str[0] == '\0') {
        if (required) {
            return set_err(err, LLMIO_E_INVALID, "%s: required", field);
        }
    }
    char *copy = NULL;
    if (str != NULL) {
        if (!llmio__utf8_valid((const unsigned char *)str, strlen(str))) {
            return set_err(err, LLMIO_E_INVALID, "%s: not valid UTF-8", field);
        }
        copy = llmio__strdup(&s->alloc, str);
        if (copy == NULL) {
            return set_err(err, LLMIO_E_NOMEM, "%s: out of memory", field);
        }
    }
    llmio__free(&s->alloc, *out);
    *out = copy;
    return set_err(err, LLMIO_OK, "%s", "");
}

LLMIO_API llmio_status llmio_session_new(llmio_client *c, const char *model,
                                         llmio_session **out)
{
    if (out != NULL) {
        *out = NULL;
    }
    if (c == NULL || out == NULL) {
        return LLMIO_E_INVALID;
    }
    llmio_session *s = llmio__calloc(&c->alloc, 1, sizeof *s);
    if (s == NULL) {
        return LLMIO_E_NOMEM;
    }
    s->client = c;
    s->alloc = c->alloc;
    llmio_status st = replace_str(s, "model", model, true, &s->model, NULL);
    if (st == LLMIO_OK) {
        s->hist = llmio__request_new_with(&s->alloc, NULL);
        st = s->hist != NULL ? LLMIO_OK : LLMIO_E_NOMEM;
    }
    if (st != LLMIO_OK) {
        llmio_session_free(s);
        return st;
    }
    *out = s;
    return LLMIO_OK;
}

LLMIO_API void llmio_session_free(llmio_session *s)
{
    if (s == NULL) {
        return;
    }
    if (s->turn != NULL) {
        /* The future belongs to its holder and finishes for them; only
         * the recording, which would write into freed memory, stops. */
        s->turn->observer = NULL;
        s->turn->observer_arg = NULL;
        s->turn = NULL;
    }
    llmio_request_free(s->hist);
    llmio_request_free(s->opts);
    llmio__free(&s->alloc, s->model);
    llmio__free(&s->alloc, s->system);
    llmio_allocator a = s->alloc;
    llmio__free(&a, s);
}

LLMIO_API llmio_status llmio_session_set_model(llmio_session *s,
                                               const char *model,
                                               llmio_error *err)
{
    if (s == NULL) {
        return set_err(err, LLMIO_E_INVALID, "session: NULL");
    }
    return replace_str(s, "model", model, true, &s->model, err);
}

LLMIO_API llmio_status llmio_session_set_system(llmio_session *s,
                                                const char *text,
                                                llmio_error *err)
{
    if (s == NULL) {
        return set_err(err, LLMIO_E_INVALID, "session: NULL");
    }
    return replace_str(s, "system", text, false, &s->system, err);
}

LLMIO_API llmio_status llmio_session_set_options(llmio_session *s,
                                                 const llmio_request *tmpl,
                                                 llmio_error *err)
{
    if (s == NULL) {
        return set_err(err, LLMIO_E_INVALID, "session: NULL");
    }
    llmio_request *o = NULL;
    if (tmpl != NULL) {
        o = llmio__request_new_with(&s->alloc, NULL);
        if (o == NULL) {
            return set_err(err, LLMIO_E_NOMEM, "options: out of memory");
        }
        llmio__request_copy_settings(o, tmpl);
        for (size_t i = 0; i < tmpl->nmessages; i++) {
            llmio__request_copy_message(o, &tmpl->messages[i]);
        }
        llmio_status st = llmio_request_error(o, err);
        if (st != LLMIO_OK) {
            llmio_request_free(o);
            return st;
        }
    }
    llmio_request_free(s->opts);
    s->opts = o;
    return set_err(err, LLMIO_OK, "%s", "");
}

/* Refuses history changes while a turn is in flight: its reply would be
 * appended after them, out of order. */
static llmio_status check_idle(const llmio_session *s, llmio_error *err)
{
    if (s == NULL) {
        return set_err(err, LLMIO_E_INVALID, "session: NULL");
    }
    if (s->turn != NULL) {
        return set_err(err, LLMIO_E_STATE, "session: a turn is in flight");
    }
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_session_add_user(llmio_session *s,
                                              const char *text,
                                              llmio_error *err)
{
    llmio_status st = check_idle(s, err);
    if (st != LLMIO_OK) {
        return st;
    }
    if (text == NULL) {
        return set_err(err, LLMIO_E_INVALID, "messages[%zu].content: required",
                       s->hist->nmessages);
    }
    llmio_request_add_message(s->hist, LLMIO_ROLE_USER, text);
    return hist_result(s, err);
}

LLMIO_API llmio_status llmio_session_add_image_url(llmio_session *s,
                                                   const char *url,
                                                   const char *detail,
                                                   llmio_error *err)
{
    llmio_status st = check_idle(s, err);
    if (st != LLMIO_OK) {
        return st;
    }
    llmio_request_add_image_url(s->hist, url, detail);
    return hist_result(s, err);
}

/* Whether ID names a tool call of the last assistant message. */
static bool is_pending_call(const struct llmio_request *h, const char *id)
{
    for (size_t i = h->nmessages; i-- > 0;) {
        const struct llmio__message *m = &h->messages[i];
        if (m->role != LLMIO_ROLE_ASSISTANT) {
            continue;
        }
        for (size_t j = 0; j < m->ntool_calls; j++) {
            if (strcmp(m->tool_calls[j].id, id) == 0) {
                return true;
            }
        }
        return false;
    }
    return false;
}

LLMIO_API llmio_status llmio_session_add_tool_result(llmio_session *s,
                                                     const char *tool_call_id,
                                                     const char *content,
                                                     llmio_error *err)
{
    llmio_status st = check_idle(s, err);
    if (st != LLMIO_OK) {
        return st;
    }
    if (tool_call_id == NULL || !is_pending_call(s->hist, tool_call_id)) {
        return set_err(err, LLMIO_E_INVALID,
                       "tool_call_id: '%.200s' is not a call of the last "
                       "assistant message",
                       tool_call_id != NULL ? tool_call_id : "(null)");
    }
    llmio_request_add_tool_result(s->hist, tool_call_id, content);
    return hist_result(s, err);
}

/*
 * Appends the messages of SRC to the history, all or nothing: a first
 * system message becomes the system prompt, any later system or developer
 * message is refused (the session keeps its prompt apart). Errors are
 * recorded in SRC when they are about its messages.
 */
static llmio_status add_messages(llmio_session *s, struct llmio_request *src,
                                 llmio_error *err)
{
    llmio_status st = llmio_request_error(src, err);
    const char *system = NULL;
    size_t first = 0;
    if (st == LLMIO_OK && src->nmessages > 0 &&
        src->messages[0].role == LLMIO_ROLE_SYSTEM) {
        system = src->messages[0].content;
        first = 1;
        if (system == NULL) {
            st = llmio__request_fail(src, LLMIO_E_INVALID,
                                     "messages[0].content: a system prompt "
                                     "is plain text");
        }
    }
    for (size_t i = first; st == LLMIO_OK && i < src->nmessages; i++) {
        llmio_role role = src->messages[i].role;
        if (role == LLMIO_ROLE_SYSTEM || role == LLMIO_ROLE_DEVELOPER) {
            st = llmio__request_fail(src, LLMIO_E_INVALID,
                                     "messages[%zu].role: only the first "
                                     "message may be the system prompt",
                                     i);
        }
    }
    if (st != LLMIO_OK) {
        return llmio_request_error(src, err);
    }
    size_t before = s->hist->nmessages;
    for (size_t i = first; i < src->nmessages; i++) {
        llmio__request_copy_message(s->hist, &src->messages[i]);
    }
    if (s->hist->error == LLMIO_OK && system != NULL &&
        replace_str(s, "system", system, false, &s->system, NULL) != LLMIO_OK) {
        llmio__request_fail(s->hist, LLMIO_E_NOMEM, "system: out of memory");
    }
    if (s->hist->error != LLMIO_OK) {
        llmio__request_truncate(s->hist, before);
        return hist_result(s, err);
    }
    return set_err(err, LLMIO_OK, "%s", "");
}

LLMIO_API llmio_status llmio_session_add_messages(llmio_session *s,
                                                  const llmio_request *r,
                                                  llmio_error *err)
{
    llmio_status st = check_idle(s, err);
    if (st != LLMIO_OK) {
        return st;
    }
    if (r == NULL) {
        return set_err(err, LLMIO_E_INVALID, "request: required");
    }
    /* A copy of the messages, so the checks can record their errors
     * without touching the caller's builder. */
    llmio_request *tmp = llmio__request_new_with(&s->alloc, NULL);
    if (tmp == NULL) {
        return set_err(err, LLMIO_E_NOMEM, "messages: out of memory");
    }
    if (r->error != LLMIO_OK) {
        llmio__request_fail(tmp, r->error, "%s", r->error_msg);
    }
    for (size_t i = 0; i < r->nmessages; i++) {
        llmio__request_copy_message(tmp, &r->messages[i]);
    }
    st = add_messages(s, tmp, err);
    llmio_request_free(tmp);
    return st;
}

LLMIO_API llmio_status llmio_session_load_json(llmio_session *s,
                                               const char *json, size_t len,
                                               llmio_error *err)
{
    llmio_status st = check_idle(s, err);
    if (st != LLMIO_OK) {
        return st;
    }
    if (json == NULL) {
        return set_err(err, LLMIO_E_INVALID, "json: required");
    }
    /* The request builder's JSON reader does the parsing and checking,
     * naming fields by their JSON path; only its messages are kept. */
    llmio_request *tmp = llmio__request_new_with(&s->alloc, NULL);
    if (tmp == NULL) {
        return set_err(err, LLMIO_E_NOMEM, "json: out of memory");
    }
    llmio_request_set_json(tmp, json, len);
    st = add_messages(s, tmp, err);
    llmio_request_free(tmp);
    return st;
}

/*
 * Appends choice 0 of R to the history as one assistant message: its
 * text, then its tool calls with their signatures. On failure the
 * history is cut back to what it was and ERR says why.
 */
static llmio_status record_reply(llmio_session *s, const llmio_response *r,
                                 llmio_error *err)
{
    struct llmio_request *h = s->hist;
    size_t before = h->nmessages;
    size_t ncalls = llmio_response_tool_calls(r, 0);
    const char *text = llmio_response_text(r, 0, NULL);
    /* A reply of tool calls alone sends null content, as it came; a
     * reply of nothing at all is kept as "" so the turn still shows. */
    llmio_request_add_message(h, LLMIO_ROLE_ASSISTANT,
                              text != NULL || ncalls > 0 ? text : "");
    for (size_t i = 0; i < ncalls; i++) {
        const llmio_tool_call *tc = llmio_response_tool_call(r, 0, i);
        llmio_request_add_tool_call(
            h, tc->id, tc->name, tc->arguments_len > 0 ? tc->arguments : NULL);
        if (tc->signature != NULL) {
            llmio_request_set_tool_call_signature(h, tc->signature);
        }
    }
    if (h->error != LLMIO_OK) {
        llmio__request_truncate(h, before);
        return hist_result(s, err);
    }
    return LLMIO_OK;
}

/* The turn's future completed: record a successful reply (or turn the
 * outcome into the error that prevented it), and free the session for
 * the next turn whatever happened. Runs from llmio__client_run_ready,
 * before the done callback. */
static void on_turn_done(struct llmio_future *f, void *arg)
{
    llmio_session *s = arg;
    s->turn = NULL;
    f->observer = NULL;
    f->observer_arg = NULL;
    if (f->status != LLMIO_OK) {
        return;
    }
    llmio_error e;
    llmio_status st = record_reply(s, llmio_future_response(f), &e);
    if (st != LLMIO_OK) {
        f->status = st;
        f->err.code = st;
        snprintf(f->err.message, sizeof f->err.message,
                 "session: the reply was not recorded: %.400s", e.message);
    }
}

/* Builds the turn's request: options, system prompt, the options'
 * preamble, the history. Returns its sticky error in ERR. */
static llmio_status build_turn(const llmio_session *s, llmio_request **out,
                               llmio_error *err)
{
    llmio_request *r = llmio__request_new_with(&s->alloc, NULL);
    *out = NULL;
    if (r == NULL) {
        return set_err(err, LLMIO_E_NOMEM, "request: out of memory");
    }
    llmio_request_set_model(r, s->model);
    if (s->opts != NULL) {
        llmio__request_copy_settings(r, s->opts);
    }
    if (s->system != NULL) {
        llmio_request_add_message(r, LLMIO_ROLE_SYSTEM, s->system);
    }
    for (size_t i = 0; s->opts != NULL && i < s->opts->nmessages; i++) {
        llmio__request_copy_message(r, &s->opts->messages[i]);
    }
    for (size_t i = 0; i < s->hist->nmessages; i++) {
        llmio__request_copy_message(r, &s->hist->messages[i]);
    }
    llmio_status st = llmio_request_error(r, err);
    if (st != LLMIO_OK) {
        llmio_request_free(r);
        return st;
    }
    *out = r;
    return LLMIO_OK;
}

LLMIO_API llmio_status llmio_session_submit(llmio_session *s,
                                            llmio_done_cb done, void *user,
                                            llmio_future **out,
                                            llmio_error *err)
{
    if (out != NULL) {
        *out = NULL;
    }
    llmio_status st = check_idle(s, err);
    if (st != LLMIO_OK) {
        return st;
    }
    if (out == NULL) {
        return set_err(err, LLMIO_E_INVALID, "out: required");
    }
    llmio_request *r;
    st = build_turn(s, &r, err);
    if (st != LLMIO_OK) {
        return st;
    }
    st = llmio_submit(s->client, r, done, user, out, err);
    llmio_request_free(r);
    if (st != LLMIO_OK) {
        return st;
    }
    /* No callback runs inside llmio_submit (STYLE 6.2 rule 3), so the
     * observer is in place before the future can complete. */
    (*out)->observer = on_turn_done;
    (*out)->observer_arg = s;
    s->turn = *out;
    return LLMIO_OK;
}

LLMIO_API const char *llmio_session_model(const llmio_session *s)
{
    return s != NULL ? s->model : NULL;
}

LLMIO_API const char *llmio_session_system(const llmio_session *s)
{
    return s != NULL ? s->system : NULL;
}

LLMIO_API bool llmio_session_busy(const llmio_session *s)
{
    return s != NULL && s->turn != NULL;
}

LLMIO_API size_t llmio_session_messages(const llmio_session *s)
{
    return s != NULL ? s->hist->nmessages : 0;
}

static const struct llmio__message *message(const llmio_session *s, size_t i)
{
    if (s == NULL || i >= s->hist->nmessages) {
        return NULL;
    }
    return &s->hist->messages[i];
}

LLMIO_API llmio_role llmio_session_role(const llmio_session *s, size_t i)
{
    const struct llmio__message *m = message(s, i);
    return m != NULL ? m->role : LLMIO_ROLE_SYSTEM;
}

LLMIO_API const char *llmio_session_text(const llmio_session *s, size_t i,
                                         size_t *len)
{
    const struct llmio__message *m = message(s, i);
    const char *t = NULL;
    if (m != NULL && m->content != NULL) {
        t = m->content;
    }
    for (size_t j = 0; m != NULL && t == NULL && j < m->nparts; j++) {
        if (m->parts[j].type == LLMIO__PART_TEXT) {
            t = m->parts[j].text;
        }
    }
    if (len != NULL) {
        *len = t != NULL ? strlen(t) : 0;
    }
    return t;
}

LLMIO_API size_t llmio_session_tool_calls(const llmio_session *s, size_t i)
{
    const struct llmio__message *m = message(s, i);
    return m != NULL ? m->ntool_calls : 0;
}

LLMIO_API bool llmio_session_tool_call(const llmio_session *s, size_t i,
                                       size_t j, llmio_tool_call *out)
{
    const struct llmio__message *m = message(s, i);
    if (out == NULL) {
        return false;
    }
    memset(out, 0, sizeof *out);
    if (m == NULL || j >= m->ntool_calls) {
        return false;
    }
    const struct llmio__tool_call_in *tc = &m->tool_calls[j];
    out->id = tc->id;
    out->name = tc->name;
    out->arguments = tc->arguments;
    out->arguments_len = strlen(tc->arguments);
    out->signature = tc->signature;
    return true;
}

LLMIO_API const char *llmio_session_tool_call_id(const llmio_session *s,
                                                 size_t i)
{
    const struct llmio__message *m = message(s, i);
    return m != NULL ? m->tool_call_id : NULL;
}

LLMIO_API llmio_status llmio_session_truncate(llmio_session *s, size_t n)
{
    llmio_status st = check_idle(s, NULL);
    if (st != LLMIO_OK) {
        return st;
    }
    if (n > s->hist->nmessages) {
        return LLMIO_E_INVALID;
    }
    llmio__request_truncate(s->hist, n);
    return LLMIO_OK;
}
