/*
 * response.c - folds normalised deltas into an llmio_response and answers
 * the public llmio_response_* accessors.
 *
 * Every response is built here, streamed or not (providers translate a
 * non-streaming body into the same deltas), so both paths give the same
 * accessor results by construction (STYLE section 7, "Stream assembly").
 *
 * Invariants: choices[0..nchoices) exist for every index seen (gaps are
 * empty choices); each text, reasoning, refusal and tool-argument buffer is
 * bounded by max_bytes; tool calls of a choice are unique by index; strings
 * copied from deltas live in the future's arena.
 * Owns: the choices, tools and logprobs arrays and the text buffers (freed
 * by llmio__response_cleanup); short strings go to the borrowed arena.
 */
#include "response.h"

#include "alloc.h"
#include "json.h"

#include <string.h>

void llmio__response_init(struct llmio_response *r,
                          const llmio_allocator *alloc,
                          struct llmio__arena *arena, const char *provider,
                          size_t max_bytes)
{
    memset(r, 0, sizeof *r);
    r->alloc = alloc;
    r->arena = arena;
    r->provider = provider;
    r->max_bytes = max_bytes;
    r->usage.prompt_tokens = -1;
    r->usage.completion_tokens = -1;
    r->usage.total_tokens = -1;
    r->usage.cached_tokens = -1;
    r->usage.reasoning_tokens = -1;
    /* The assembled JSON is bounded by what the buffers above hold. */
    llmio__buf_init(&r->json_buf, alloc, 0);
}

static void choice_cleanup(const struct llmio_response *r,
                           struct llmio__choice *c)
{
    llmio__buf_cleanup(&c->text);
    llmio__buf_cleanup(&c->reasoning);
    llmio__buf_cleanup(&c->refusal);
    for (size_t i = 0; i < c->ntools; i++) {
        llmio__buf_cleanup(&c->tools[i].args);
    }
    llmio__free(r->alloc, c->tools);
    c->tools = NULL;
    llmio__free(r->alloc, c->logprobs);
    c->logprobs = NULL;
}

void llmio__response_cleanup(struct llmio_response *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->nchoices; i++) {
        choice_cleanup(r, &r->choices[i]);
    }
    llmio__free(r->alloc, r->choices);
    r->choices = NULL;
    r->nchoices = 0;
    r->cap_choices = 0;
    llmio__buf_cleanup(&r->json_buf);
}

/* Grows an array of ELEM-byte items to hold at least NEED; *P, *CAP updated
 * only on success. */
static llmio_status grow(const llmio_allocator *a, void **p, size_t *cap,
                         size_t need, size_t elem)
{
    if (need <= *cap) {
        return LLMIO_OK;
    }
    size_t ncap = *cap != 0 ? *cap : 4;
    while (ncap < need) {
        ncap *= 2;
    }
    size_t bytes;
    if (llmio__mul_overflows(ncap, elem, &bytes)) {
        return LLMIO_E_NOMEM;
    }
    void *np = llmio__realloc(a, *p, bytes);
    if (np == NULL) {
        return LLMIO_E_NOMEM;
    }
    *p = np;
    *cap = ncap;
    return LLMIO_OK;
}

/* The choice with index IDX, created (with any gap before it) on demand. */
static llmio_status get_choice(struct llmio_response *r, int idx,
                               struct llmio__choice **out)
{
    if (idx < 0 || idx >= LLMIO__MAX_CHOICES) {
        return LLMIO_E_PROTOCOL;
    }
    size_t need = (size_t)idx + 1;
    if (need > r->nchoices) {
        void *p = r->choices;
        llmio_status st =
            grow(r->alloc, &p, &r->cap_choices, need, sizeof *r->choices);
        r->choices = p;
        if (st != LLMIO_OK) {
            return st;
        }
        for (size_t i = r->nchoices; i < need; i++) {
            struct llmio__choice *c = &r->choices[i];
            memset(c, 0, sizeof *c);
            llmio__buf_init(&c->text, r->alloc, r->max_bytes);
            llmio__buf_init(&c->reasoning, r->alloc, r->max_bytes);
            llmio__buf_init(&c->refusal, r->alloc, r->max_bytes);
        }
        r->nchoices = need;
    }
    *out = &r->choices[idx];
    return LLMIO_OK;
}

/* A NUL-terminated arena copy of S (NULL stays NULL); *OK false on NOMEM. */
static const char *copy_str(struct llmio_response *r, const char *s, bool *ok)
{
    if (s == NULL) {
        return NULL;
    }
    char *d = llmio__arena_strndup(r->arena, s, strlen(s));
    if (d == NULL) {
        *ok = false;
    }
    return d;
}

static llmio_status add_tool(struct llmio_response *r, struct llmio__choice *c,
                             const llmio_delta *d)
{
    struct llmio__tool_call_acc *acc = NULL;
    int index = d->tool_index;
    if (index < -1 || index >= LLMIO__MAX_TOOL_CALLS) {
        return LLMIO_E_PROTOCOL;
    }
    if (index >= 0) {
        for (size_t i = 0; i < c->ntools; i++) {
            if (c->tools[i].index == index) {
                acc = &c->tools[i];
                break;
            }
        }
    } else if (c->ntools > 0 && (d->tool_id == NULL || d->tool_id[0] == 0)) {
        /* No index and no id: a continuation of the last call. */
        acc = &c->tools[c->ntools - 1];
    } else {
        /* No index but an id: a new call after the highest index. */
        index = 0;
        for (size_t i = 0; i < c->ntools; i++) {
            if (c->tools[i].index >= index) {
                index = c->tools[i].index + 1;
            }
        }
        if (index >= LLMIO__MAX_TOOL_CALLS) {
            return LLMIO_E_PROTOCOL;
        }
    }
    if (acc == NULL) {
        void *p = c->tools;
        llmio_status st =
            grow(r->alloc, &p, &c->cap_tools, c->ntools + 1, sizeof *acc);
        c->tools = p;
        if (st != LLMIO_OK) {
            return st;
        }
        acc = &c->tools[c->ntools++];
        memset(acc, 0, sizeof *acc);
        acc->index = index;
        llmio__buf_init(&acc->args, r->alloc, r->max_bytes);
        acc->pub.arguments = "";
    }
    bool ok = true;
    /* The first fragment names the call; later ones may repeat it. */
    if (acc->pub.id == NULL && d->tool_id != NULL && d->tool_id[0] != 0) {
        acc->pub.id = copy_str(r, d->tool_id, &ok);
    }
    if (acc->pub.name == NULL && d->tool_name != NULL && d->tool_name[0] != 0) {
        acc->pub.name = copy_str(r, d->tool_name, &ok);
    }
    if (acc->pub.signature == NULL && d->signature != NULL &&
        d->signature[0] != 0) {
        acc->pub.signature = copy_str(r, d->signature, &ok);
    }
    if (!ok) {
        return LLMIO_E_NOMEM;
    }
    if (d->text_len > 0) {
        llmio_status st = llmio__buf_append(&acc->args, d->text, d->text_len);
        if (st != LLMIO_OK) {
            return st;
        }
        acc->pub.arguments = acc->args.data;
        acc->pub.arguments_len = acc->args.len;
    }
    return LLMIO_OK;
}

static llmio_status add_logprob(struct llmio_response *r,
                                struct llmio__choice *c, const llmio_delta *d)
{
    /* Bound the count like a text buffer: a hostile stream could send
     * millions of tiny tokens. */
    if (r->max_bytes != 0 &&
        c->nlogprobs >= r->max_bytes / sizeof *c->logprobs) {
        return LLMIO_E_TOO_BIG;
    }
    void *p = c->logprobs;
    llmio_status st = grow(r->alloc, &p, &c->cap_logprobs, c->nlogprobs + 1,
                           sizeof *c->logprobs);
    c->logprobs = p;
    if (st != LLMIO_OK) {
        return st;
    }
    char *tok = llmio__arena_strndup(r->arena, d->text != NULL ? d->text : "",
                                     d->text != NULL ? d->text_len : 0);
    if (tok == NULL) {
        return LLMIO_E_NOMEM;
    }
    c->logprobs[c->nlogprobs].token = tok;
    c->logprobs[c->nlogprobs].logprob = d->logprob;
    c->nlogprobs++;
    return LLMIO_OK;
}

static void merge_usage(llmio_usage *u, const llmio_usage *d)
{
    /* Field by field: a later event may report only some totals. */
    if (d->prompt_tokens >= 0) {
        u->prompt_tokens = d->prompt_tokens;
    }
    if (d->completion_tokens >= 0) {
        u->completion_tokens = d->completion_tokens;
    }
    if (d->total_tokens >= 0) {
        u->total_tokens = d->total_tokens;
    }
    if (d->cached_tokens >= 0) {
        u->cached_tokens = d->cached_tokens;
    }
    if (d->reasoning_tokens >= 0) {
        u->reasoning_tokens = d->reasoning_tokens;
    }
}

static void restart(struct llmio_response *r)
{
    for (size_t i = 0; i < r->nchoices; i++) {
        choice_cleanup(r, &r->choices[i]);
    }
    r->nchoices = 0;
    r->id = NULL;
    r->model = NULL;
    r->created = 0;
    r->usage.prompt_tokens = -1;
    r->usage.completion_tokens = -1;
    r->usage.total_tokens = -1;
    r->usage.cached_tokens = -1;
    r->usage.reasoning_tokens = -1;
}

static llmio_status append_text(struct llmio__buf *b, bool *has,
                                const llmio_delta *d)
{
    if (d->text == NULL || d->text_len == 0) {
        return LLMIO_OK;
    }
    llmio_status st = llmio__buf_append(b, d->text, d->text_len);
    if (st == LLMIO_OK) {
        *has = true;
    }
    return st;
}

llmio_status llmio__response_add(struct llmio_response *r, const llmio_delta *d)
{
    struct llmio__choice *c = NULL;
    llmio_status st;
    bool ok = true;

    if (r == NULL || d == NULL || r->finished) {
        return LLMIO_E_STATE;
    }
    switch (d->kind) {
    case LLMIO_DELTA_USAGE:
        if (d->usage != NULL) {
            merge_usage(&r->usage, d->usage);
        }
        return LLMIO_OK;
    case LLMIO_DELTA_ERROR:
        return LLMIO_OK;
    case LLMIO_DELTA_RESTARTED:
        restart(r);
        return LLMIO_OK;
    default:
        break;
    }
    st = get_choice(r, d->choice, &c);
    if (st != LLMIO_OK) {
        return st;
    }
    switch (d->kind) {
    case LLMIO_DELTA_START:
        c->started = true;
        /* The first non-empty values win: every chunk repeats them, and
         * Azure's leading filter chunk has them empty. */
        if (r->id == NULL && d->id != NULL && d->id[0] != 0) {
            r->id = copy_str(r, d->id, &ok);
        }
        if (r->model == NULL && d->model != NULL && d->model[0] != 0) {
            r->model = copy_str(r, d->model, &ok);
        }
        if (r->created == 0) {
            r->created = d->created;
        }
        return ok ? LLMIO_OK : LLMIO_E_NOMEM;
    case LLMIO_DELTA_TEXT:
        return append_text(&c->text, &c->has_text, d);
    case LLMIO_DELTA_REASONING:
        return append_text(&c->reasoning, &c->has_reasoning, d);
    case LLMIO_DELTA_REFUSAL:
        return append_text(&c->refusal, &c->has_refusal, d);
    case LLMIO_DELTA_TOOL_CALL:
        return add_tool(r, c, d);
    case LLMIO_DELTA_LOGPROB:
        return add_logprob(r, c, d);
    case LLMIO_DELTA_FINISH:
        c->finish = d->finish;
        c->finish_raw = copy_str(r, d->finish_raw, &ok);
        return ok ? LLMIO_OK : LLMIO_E_NOMEM;
    default:
        return LLMIO_OK;
    }
}

static void sort_tools(struct llmio__choice *c)
{
    /* Insertion sort: a handful of calls, usually already in order. */
    for (size_t i = 1; i < c->ntools; i++) {
        struct llmio__tool_call_acc t = c->tools[i];
        size_t j = i;
        while (j > 0 && c->tools[j - 1].index > t.index) {
            c->tools[j] = c->tools[j - 1];
            j--;
        }
        c->tools[j] = t;
    }
    /* Moving an accumulator does not move its buffer's heap data, but
     * re-point the public fields anyway so they never go stale. */
    for (size_t i = 0; i < c->ntools; i++) {
        struct llmio__tool_call_acc *a = &c->tools[i];
        a->pub.arguments = llmio__buf_cstr(&a->args);
        a->pub.arguments_len = a->args.len;
    }
}

static void write_opt_str(struct llmio__jw *w, const char *key, bool has,
                          const struct llmio__buf *b)
{
    llmio__jw_keys(w, key);
    if (has) {
        llmio__jw_str(w, b->data, b->len);
    } else {
        llmio__jw_null(w);
    }
}

static void write_usage(struct llmio__jw *w, const llmio_usage *u)
{
    llmio__jw_keys(w, "usage");
    llmio__jw_obj_begin(w);
    if (u->prompt_tokens >= 0) {
        llmio__jw_keys(w, "prompt_tokens");
        llmio__jw_int(w, u->prompt_tokens);
    }
    if (u->completion_tokens >= 0) {
        llmio__jw_keys(w, "completion_tokens");
        llmio__jw_int(w, u->completion_tokens);
    }
    if (u->total_tokens >= 0) {
        llmio__jw_keys(w, "total_tokens");
        llmio__jw_int(w, u->total_tokens);
    }
    if (u->cached_tokens >= 0) {
        llmio__jw_keys(w, "prompt_tokens_details");
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "cached_tokens");
        llmio__jw_int(w, u->cached_tokens);
        llmio__jw_obj_end(w);
    }
    if (u->reasoning_tokens >= 0) {
        llmio__jw_keys(w, "completion_tokens_details");
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "reasoning_tokens");
        llmio__jw_int(w, u->reasoning_tokens);
        llmio__jw_obj_end(w);
    }
    llmio__jw_obj_end(w);
}

static void write_choice(struct llmio__jw *w, size_t index,
                         const struct llmio__choice *c)
{
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "index");
    llmio__jw_int(w, (int64_t)index);
    llmio__jw_keys(w, "message");
    llmio__jw_obj_begin(w);
    llmio__jw_keys(w, "role");
    llmio__jw_strs(w, "assistant");
    write_opt_str(w, "content", c->has_text, &c->text);
    write_opt_str(w, "refusal", c->has_refusal, &c->refusal);
    if (c->has_reasoning) {
        write_opt_str(w, "reasoning_content", true, &c->reasoning);
    }
    if (c->ntools > 0) {
        llmio__jw_keys(w, "tool_calls");
        llmio__jw_arr_begin(w);
        for (size_t i = 0; i < c->ntools; i++) {
            const llmio_tool_call *t = &c->tools[i].pub;
            llmio__jw_obj_begin(w);
            llmio__jw_keys(w, "id");
            llmio__jw_strs(w, t->id != NULL ? t->id : "");
            llmio__jw_keys(w, "type");
            llmio__jw_strs(w, "function");
            llmio__jw_keys(w, "function");
            llmio__jw_obj_begin(w);
            llmio__jw_keys(w, "name");
            llmio__jw_strs(w, t->name != NULL ? t->name : "");
            llmio__jw_keys(w, "arguments");
            llmio__jw_str(w, t->arguments, t->arguments_len);
            llmio__jw_obj_end(w);
            llmio__jw_obj_end(w);
        }
        llmio__jw_arr_end(w);
    }
    llmio__jw_obj_end(w);
    llmio__jw_keys(w, "logprobs");
    if (c->nlogprobs > 0) {
        llmio__jw_obj_begin(w);
        llmio__jw_keys(w, "content");
        llmio__jw_arr_begin(w);
        for (size_t i = 0; i < c->nlogprobs; i++) {
            llmio__jw_obj_begin(w);
            llmio__jw_keys(w, "token");
            llmio__jw_strs(w, c->logprobs[i].token);
            llmio__jw_keys(w, "logprob");
            llmio__jw_dbl(w, c->logprobs[i].logprob);
            llmio__jw_obj_end(w);
        }
        llmio__jw_arr_end(w);
        llmio__jw_obj_end(w);
    } else {
        llmio__jw_null(w);
    }
    llmio__jw_keys(w, "finish_reason");
    if (c->finish_raw != NULL) {
        llmio__jw_strs(w, c->finish_raw);
    } else {
        llmio__jw_null(w);
    }
    llmio__jw_obj_end(w);
}

/* Writes the chat.completion object a non-streaming call would have
 * returned, so llmio_response_json() looks the same for both. */
static llmio_status assemble(struct llmio_response *r)
{
    struct llmio__jw w;
    llmio__buf_reset(&r->json_buf);
    llmio__jw_init(&w, &r->json_buf);
    llmio__jw_obj_begin(&w);
    llmio__jw_keys(&w, "id");
    llmio__jw_strs(&w, r->id != NULL ? r->id : "");
    llmio__jw_keys(&w, "object");
    llmio__jw_strs(&w, "chat.completion");
    llmio__jw_keys(&w, "created");
    llmio__jw_int(&w, r->created);
    llmio__jw_keys(&w, "model");
    llmio__jw_strs(&w, r->model != NULL ? r->model : "");
    llmio__jw_keys(&w, "choices");
    llmio__jw_arr_begin(&w);
    for (size_t i = 0; i < r->nchoices; i++) {
        write_choice(&w, i, &r->choices[i]);
    }
    llmio__jw_arr_end(&w);
    if (r->usage.prompt_tokens >= 0 || r->usage.completion_tokens >= 0 ||
        r->usage.total_tokens >= 0) {
        write_usage(&w, &r->usage);
    }
    llmio__jw_obj_end(&w);
    llmio_status st = llmio__jw_finish(&w);
    if (st != LLMIO_OK) {
        return st;
    }
    r->json = llmio__buf_cstr(&r->json_buf);
    r->json_len = r->json_buf.len;
    return LLMIO_OK;
}

static bool is_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

llmio_status llmio__response_finish(struct llmio_response *r, const char *body,
                                    size_t len)
{
    if (r == NULL) {
        return LLMIO_E_INVALID;
    }
    if (r->finished) {
        return LLMIO_OK;
    }
    for (size_t i = 0; i < r->nchoices; i++) {
        sort_tools(&r->choices[i]);
    }
    if (body != NULL) {
        /* DeepSeek may send blank lines before the JSON (openai-chat.md
         * section 9, case 18); the accessor returns the value itself. */
        while (len > 0 && is_ws(body[0])) {
            body++;
            len--;
        }
        while (len > 0 && is_ws(body[len - 1])) {
            len--;
        }
        char *copy = llmio__arena_strndup(r->arena, body, len);
        if (copy == NULL) {
            return LLMIO_E_NOMEM;
        }
        r->json = copy;
        r->json_len = len;
    } else {
        llmio_status st = assemble(r);
        if (st != LLMIO_OK) {
            return st;
        }
    }
    r->finished = true;
    return LLMIO_OK;
}

/* ------------------------------------------------------------------ */
/* Public accessors: NULL-safe and out-of-range safe.                   */
/* ------------------------------------------------------------------ */

static const struct llmio__choice *choice_at(const llmio_response *r,
                                             size_t choice)
{
    if (r == NULL || choice >= r->nchoices) {
        return NULL;
    }
    return &r->choices[choice];
}

LLMIO_API const char *llmio_response_id(const llmio_response *r)
{
    return r != NULL ? r->id : NULL;
}

LLMIO_API const char *llmio_response_model(const llmio_response *r)
{
    return r != NULL ? r->model : NULL;
}

LLMIO_API const char *llmio_response_provider(const llmio_response *r)
{
    return r != NULL ? r->provider : NULL;
}

LLMIO_API const char *llmio_response_served_by(const llmio_response *r,
                                               int *index)
{
    if (index != NULL) {
        *index = r != NULL ? r->served_index : 0;
    }
    return r != NULL ? r->served_by : NULL;
}

LLMIO_API int llmio_response_hedges(const llmio_response *r)
{
    return r != NULL ? r->hedges : 0;
}

LLMIO_API int64_t llmio_response_created(const llmio_response *r)
{
    return r != NULL ? r->created : 0;
}

LLMIO_API size_t llmio_response_choices(const llmio_response *r)
{
    return r != NULL ? r->nchoices : 0;
}

static const char *buf_text(bool has, const struct llmio__buf *b, size_t *len)
{
    if (!has) {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = b->len;
    }
    return llmio__buf_cstr(b);
}

LLMIO_API const char *llmio_response_text(const llmio_response *r,
                                          size_t choice, size_t *len)
{
    const struct llmio__choice *c = choice_at(r, choice);
    return buf_text(c != NULL && c->has_text, c != NULL ? &c->text : NULL, len);
}

LLMIO_API const char *llmio_response_refusal(const llmio_response *r,
                                             size_t choice)
{
    const struct llmio__choice *c = choice_at(r, choice);
    return buf_text(c != NULL && c->has_refusal, c != NULL ? &c->refusal : NULL,
                    NULL);
}

LLMIO_API const char *llmio_response_reasoning(const llmio_response *r,
                                               size_t choice, size_t *len)
{
    const struct llmio__choice *c = choice_at(r, choice);
    return buf_text(c != NULL && c->has_reasoning,
                    c != NULL ? &c->reasoning : NULL, len);
}

LLMIO_API llmio_finish_reason llmio_response_finish(const llmio_response *r,
                                                    size_t choice)
{
    const struct llmio__choice *c = choice_at(r, choice);
    return c != NULL ? c->finish : LLMIO_FINISH_NONE;
}

LLMIO_API const char *llmio_response_finish_raw(const llmio_response *r,
                                                size_t choice)
{
    const struct llmio__choice *c = choice_at(r, choice);
    return c != NULL ? c->finish_raw : NULL;
}

LLMIO_API size_t llmio_response_tool_calls(const llmio_response *r,
                                           size_t choice)
{
    const struct llmio__choice *c = choice_at(r, choice);
    return c != NULL ? c->ntools : 0;
}

LLMIO_API const llmio_tool_call *
llmio_response_tool_call(const llmio_response *r, size_t choice, size_t i)
{
    const struct llmio__choice *c = choice_at(r, choice);
    if (c == NULL || i >= c->ntools) {
        return NULL;
    }
    return &c->tools[i].pub;
}

LLMIO_API size_t llmio_response_logprobs(const llmio_response *r, size_t choice)
{
    const struct llmio__choice *c = choice_at(r, choice);
    return c != NULL ? c->nlogprobs : 0;
}

LLMIO_API const char *llmio_response_logprob(const llmio_response *r,
                                             size_t choice, size_t i,
                                             double *logprob)
{
    const struct llmio__choice *c = choice_at(r, choice);
    if (c == NULL || i >= c->nlogprobs) {
        if (logprob != NULL) {
            *logprob = 0;
        }
        return NULL;
    }
    if (logprob != NULL) {
        *logprob = c->logprobs[i].logprob;
    }
    return c->logprobs[i].token;
}

LLMIO_API llmio_usage llmio_response_usage(const llmio_response *r)
{
    llmio_usage u;
    if (r != NULL) {
        return r->usage;
    }
    memset(&u, 0, sizeof u);
    u.prompt_tokens = -1;
    u.completion_tokens = -1;
    u.total_tokens = -1;
    u.cached_tokens = -1;
    u.reasoning_tokens = -1;
    return u;
}

LLMIO_API const char *llmio_response_json(const llmio_response *r, size_t *len)
{
    if (r == NULL || r->json == NULL) {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = r->json_len;
    }
    return r->json;
}
