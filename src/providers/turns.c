/*
 * turns.c - writes the request bodies of the native providers: the driver
 * around a provider's body writer, the conversation as the turns of an API
 * that alternates user and assistant (Anthropic "messages", Gemini
 * "contents"), and the items of one message (text, images, tool calls)
 * through the provider's own item writers.
 *
 * Invariants: system and developer messages are never written here (the
 * APIs lift them out of the turns), and they do not break a run of one
 * side; tool results sit on the user's side; a turn is one run of
 * messages on the same side, so consecutive roles are merged as the APIs
 * require. Tool-call arguments are checked to be JSON objects here, once
 * for every provider that sends them as objects (Anthropic, Gemini,
 * Ollama).
 * Owns: nothing; parsed arguments live in the caller's scratch arena.
 */
#include "common.h"

#include "buf.h"
#include "json.h"

llmio_status llmio__prov_build_body(const struct llmio_request *req,
                                    const char *model,
                                    struct llmio__http_req *out,
                                    llmio__prov_body_fn *fn, llmio_error *err)
{
    struct llmio__arena scratch;
    struct llmio__buf tmp;
    struct llmio__jw w;
    llmio__arena_init(&scratch, req->alloc, 0);
    llmio__buf_init(&tmp, req->alloc, 0);
    llmio__jw_init(&w, &out->body);
    const struct llmio__prov_writer pw = {req, &w, &scratch, &tmp};
    llmio_status st = fn(&pw, model, err);
    if (st == LLMIO_OK) {
        st = llmio__jw_finish(&w);
        if (st != LLMIO_OK) {
            llmio__prov_errf(err, st,
                             st == LLMIO_E_INVALID
                                 ? "request holds invalid UTF-8 or a "
                                   "non-finite number"
                                 : "building the request body");
        }
    } else if (st == LLMIO_E_NOMEM) {
        llmio__prov_errf(err, st, "building the request body");
    }
    llmio__buf_cleanup(&tmp);
    llmio__arena_cleanup(&scratch);
    return st;
}

/* The end (exclusive) of the turn starting at the non-system message I:
 * the run of messages on the same side, system messages inside it skipped
 * rather than ending it. *COUNT gets the number of non-system messages in
 * the run. */
static size_t turn_end(const struct llmio_request *req, size_t i, size_t *count)
{
    bool user = llmio__prov_is_user_turn(&req->messages[i]);
    size_t end = i + 1, n = 1;
    while (end < req->nmessages) {
        const struct llmio__message *m = &req->messages[end];
        if (!llmio__prov_is_system(m)) {
            if (llmio__prov_is_user_turn(m) != user) {
                break;
            }
            n++;
        }
        end++;
    }
    *count = n;
    return end;
}

llmio_status llmio__prov_write_turns(const struct llmio__prov_writer *pw,
                                     const struct llmio__prov_turns *t,
                                     llmio_error *err)
{
    const struct llmio_request *req = pw->req;
    struct llmio__jw *w = pw->w;
    llmio__jw_keys(w, t->list_key);
    llmio__jw_arr_begin(w);
    size_t i = 0;
    while (i < req->nmessages) {
        const struct llmio__message *m = &req->messages[i];
        if (llmio__prov_is_system(m)) {
            i++;
            continue;
        }
        size_t count;
        size_t end = turn_end(req, i, &count);
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "role");
        llmio__jw_strs(w, llmio__prov_is_user_turn(m) ? t->user : t->assistant);
        llmio__jw_keys(w, t->items_key);
        if (t->shorthand && count == 1 && m->role != LLMIO_ROLE_TOOL &&
            m->nparts == 0 && m->ntool_calls == 0) {
            llmio__jw_strs(w, m->content != NULL ? m->content : "");
        } else {
            llmio__jw_arr_begin(w);
            for (size_t k = i; k < end; k++) {
                if (llmio__prov_is_system(&req->messages[k])) {
                    continue;
                }
                llmio_status st = t->message(pw, k, err);
                if (st != LLMIO_OK) {
                    return st;
                }
            }
            llmio__jw_arr_end(w);
        }
        llmio__jw_obj_end(w);
        i = end;
    }
    llmio__jw_arr_end(w);
    return LLMIO_OK;
}

llmio_status llmio__prov_call_args(const struct llmio__prov_writer *pw,
                                   size_t mi, size_t ti,
                                   const struct llmio__json **args,
                                   llmio_error *err)
{
    const struct llmio__tool_call_in *tc =
        &pw->req->messages[mi].tool_calls[ti];
    *args = NULL;
    if (tc->arguments == NULL || tc->arguments[0] == '\0') {
        return LLMIO_OK;
    }
    llmio_status st = llmio__prov_try_json(pw->scratch, tc->arguments, args);
    if (st != LLMIO_OK) {
        return st;
    }
    if (llmio__json_type(*args) != LLMIO__JSON_OBJECT) {
        *args = NULL;
        llmio__prov_errf(err, LLMIO_E_INVALID,
                         "messages[%zu].tool_calls[%zu].arguments: not a "
                         "JSON object",
                         mi, ti);
        return LLMIO_E_INVALID;
    }
    return LLMIO_OK;
}

void llmio__prov_write_args(struct llmio__jw *w, const struct llmio__json *args)
{
    if (args == NULL) {
        llmio__jw_raw(w, "{}", 2);
    } else {
        llmio__json_write(w, args);
    }
}

llmio_status llmio__prov_write_items(const struct llmio__prov_writer *pw,
                                     size_t mi,
                                     const struct llmio__prov_items *it,
                                     llmio_error *err)
{
    const struct llmio__message *m = &pw->req->messages[mi];
    /* Empty text is not written: the APIs reject empty text blocks. */
    if (m->content != NULL && m->content[0] != '\0') {
        it->text(pw->w, m->content);
    }
    for (size_t i = 0; i < m->nparts; i++) {
        const struct llmio__part *p = &m->parts[i];
        if (p->type == LLMIO__PART_TEXT && p->text != NULL &&
            p->text[0] != '\0') {
            it->text(pw->w, p->text);
        } else if (p->type == LLMIO__PART_IMAGE_URL && p->url != NULL) {
            it->image(pw->w, p->url);
        }
    }
    for (size_t i = 0; i < m->ntool_calls; i++) {
        const struct llmio__json *args;
        llmio_status st = llmio__prov_call_args(pw, mi, i, &args, err);
        if (st != LLMIO_OK) {
            return st;
        }
        it->call(pw->w, &m->tool_calls[i], args);
    }
    return LLMIO_OK;
}
