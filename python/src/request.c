/* request.c - chat() arguments (OpenAI-style message dicts, keywords) to
 * the C request builder. Validation of values is the builder's; this file
 * only checks Python types and names the field when one is wrong. */
#include "module.h"

#include <string.h>

static PyObject *json_dumps(PyObject *o)
{
    static PyObject *dumps;
    if (!dumps) {
        PyObject *json = PyImport_ImportModule("json");
        if (!json) {
            return NULL;
        }
        dumps = PyObject_GetAttrString(json, "dumps");
        Py_DECREF(json);
        if (!dumps) {
            return NULL;
        }
    }
    return PyObject_CallOneArg(dumps, o);
}

static int invalid(const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    llmiopy_raise_status(LLMIO_E_INVALID, buf);
    return -1;
}

/* Borrowed UTF-8 of O or NULL (None). *ok = 0 on a wrong type. */
static const char *opt_str(PyObject *o, const char *field, int *ok)
{
    *ok = 1;
    if (!o || o == Py_None) {
        return NULL;
    }
    if (!PyUnicode_Check(o)) {
        *ok = 0;
        invalid("%s: expected a string, got %s", field, Py_TYPE(o)->tp_name);
        return NULL;
    }
    const char *s = PyUnicode_AsUTF8(o);
    if (!s) {
        *ok = 0;
    }
    return s;
}

/* JSON text for a str (passed as is) or any JSON-serialisable value. */
static PyObject *as_json(PyObject *o)
{
    if (PyUnicode_Check(o)) {
        return Py_NewRef(o);
    }
    return json_dumps(o);
}

static int role_of(const char *s, llmio_role *out)
{
    static const struct {
        const char *n;
        llmio_role r;
    } roles[] = {
        {"system", LLMIO_ROLE_SYSTEM}, {"developer", LLMIO_ROLE_DEVELOPER},
        {"user", LLMIO_ROLE_USER},     {"assistant", LLMIO_ROLE_ASSISTANT},
        {"tool", LLMIO_ROLE_TOOL},
    };
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (strcmp(s, roles[i].n) == 0) {
            *out = roles[i].r;
            return 0;
        }
    }
    return -1;
}

/* get(d, key) borrowed or NULL; attribute lookup for non-dicts. */
static PyObject *get(PyObject *d, const char *k)
{
    if (PyDict_Check(d)) {
        return PyDict_GetItemString(d, k);
    }
    return NULL;
}

static int add_parts(llmio_request *r, PyObject *parts, Py_ssize_t mi)
{
    char f[96];
    Py_ssize_t n = PyList_GET_SIZE(parts);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *p = PyList_GET_ITEM(parts, i);
        snprintf(f, sizeof f, "messages[%zd].content[%zd]", mi, i);
        if (PyUnicode_Check(p)) {
            llmio_request_add_text(r, PyUnicode_AsUTF8(p));
            continue;
        }
        if (!PyDict_Check(p)) {
            return invalid("%s: expected a dict", f);
        }
        int ok;
        const char *type = opt_str(get(p, "type"), f, &ok);
        if (!ok) {
            return -1;
        }
        if (!type) {
            return invalid("%s.type: missing", f);
        }
        if (strcmp(type, "text") == 0) {
            char ft[120];
            snprintf(ft, sizeof ft, "%s.text", f);
            const char *t = opt_str(get(p, "text"), ft, &ok);
            if (!ok) {
                return -1;
            }
            if (!t) {
                return invalid("%s: missing", ft);
            }
            llmio_request_add_text(r, t);
        } else if (strcmp(type, "image_url") == 0) {
            char fu[120];
            snprintf(fu, sizeof fu, "%s.image_url", f);
            PyObject *iu = get(p, "image_url");
            const char *url = NULL, *detail = NULL;
            if (iu && PyDict_Check(iu)) {
                char fu2[140];
                snprintf(fu2, sizeof fu2, "%s.url", fu);
                url = opt_str(get(iu, "url"), fu2, &ok);
                if (!ok) {
                    return -1;
                }
                snprintf(fu2, sizeof fu2, "%s.detail", fu);
                detail = opt_str(get(iu, "detail"), fu2, &ok);
                if (!ok) {
                    return -1;
                }
            } else {
                url = opt_str(iu, fu, &ok);
                if (!ok) {
                    return -1;
                }
            }
            if (!url) {
                return invalid("%s.url: missing", fu);
            }
            llmio_request_add_image_url(r, url, detail);
        } else {
            return invalid("%s.type: unknown part type '%s'", f, type);
        }
    }
    return 0;
}

static int add_message(llmio_request *r, PyObject *m, Py_ssize_t i)
{
    char f[96];
    snprintf(f, sizeof f, "messages[%zd]", i);
    if (!PyDict_Check(m)) {
        return invalid("%s: expected a dict, got %s", f, Py_TYPE(m)->tp_name);
    }
    static const char *known[] = {"role",       "content",      "name",
                                  "tool_calls", "tool_call_id", "refusal",
                                  NULL};
    PyObject *key, *val;
    Py_ssize_t pos = 0;
    while (PyDict_Next(m, &pos, &key, &val)) {
        const char *k = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
        int found = 0;
        for (int j = 0; k && known[j]; j++) {
            found |= strcmp(k, known[j]) == 0;
        }
        if (!found) {
            return invalid("%s: unknown key '%s'", f, k ? k : "?");
        }
    }
    char ff[128];
    int ok;
    snprintf(ff, sizeof ff, "%s.role", f);
    const char *role_s = opt_str(get(m, "role"), ff, &ok);
    if (!ok) {
        return -1;
    }
    if (!role_s) {
        return invalid("%s: missing", ff);
    }
    llmio_role role;
    if (role_of(role_s, &role)) {
        return invalid("%s: unknown role '%s'", ff, role_s);
    }
    PyObject *content = get(m, "content");
    snprintf(ff, sizeof ff, "%s.content", f);
    if (role == LLMIO_ROLE_TOOL) {
        snprintf(ff, sizeof ff, "%s.tool_call_id", f);
        const char *id = opt_str(get(m, "tool_call_id"), ff, &ok);
        if (!ok) {
            return -1;
        }
        if (!id) {
            return invalid("%s: missing", ff);
        }
        snprintf(ff, sizeof ff, "%s.content", f);
        PyObject *txt = NULL;
        if (content && content != Py_None && !PyUnicode_Check(content)) {
            txt = as_json(content);
            if (!txt) {
                return -1;
            }
        }
        const char *cs =
            txt ? PyUnicode_AsUTF8(txt) : opt_str(content, ff, &ok);
        if (!txt && !ok) {
            return -1;
        }
        llmio_request_add_tool_result(r, id, cs);
        Py_XDECREF(txt);
        return 0;
    }
    if (content && content != Py_None && !PyUnicode_Check(content) &&
        !PyList_Check(content)) {
        return invalid("%s: expected str, list of parts or None, got %s", ff,
                       Py_TYPE(content)->tp_name);
    }
    const char *text =
        content && PyUnicode_Check(content) ? PyUnicode_AsUTF8(content) : NULL;
    if (content && PyUnicode_Check(content) && !text) {
        return -1;
    }
    llmio_request_add_message(r, role, text);
    if (content && PyList_Check(content) && add_parts(r, content, i)) {
        return -1;
    }
    snprintf(ff, sizeof ff, "%s.name", f);
    const char *name = opt_str(get(m, "name"), ff, &ok);
    if (!ok) {
        return -1;
    }
    if (name) {
        llmio_request_set_name(r, name);
    }
    PyObject *tcs = get(m, "tool_calls");
    if (tcs && tcs != Py_None) {
        snprintf(ff, sizeof ff, "%s.tool_calls", f);
        if (!PyList_Check(tcs) && !PyTuple_Check(tcs)) {
            return invalid("%s: expected a list", ff);
        }
        PyObject *seq = PySequence_Fast(tcs, "tool_calls");
        if (!seq) {
            return -1;
        }
        for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(seq); j++) {
            PyObject *tc = PySequence_Fast_GET_ITEM(seq, j);
            char ft[160];
            snprintf(ft, sizeof ft, "%s.tool_calls[%zd]", f, j);
            PyObject *fn = PyDict_Check(tc) ? get(tc, "function") : NULL;
            if (!fn || !PyDict_Check(fn)) {
                Py_DECREF(seq);
                return invalid("%s.function: expected a dict", ft);
            }
            char fx[200];
            snprintf(fx, sizeof fx, "%s.id", ft);
            const char *id = opt_str(get(tc, "id"), fx, &ok);
            const char *fname = NULL, *args = NULL;
            PyObject *argo = NULL;
            if (ok) {
                snprintf(fx, sizeof fx, "%s.function.name", ft);
                fname = opt_str(get(fn, "name"), fx, &ok);
            }
            if (ok) {
                PyObject *a = get(fn, "arguments");
                if (a && a != Py_None) {
                    argo = as_json(a);
                    ok = argo != NULL;
                    args = argo ? PyUnicode_AsUTF8(argo) : NULL;
                }
            }
            const char *sig = NULL;
            if (ok) {
                /* Gemini's thoughtSignature, as ToolCall.to_dict() gave it */
                snprintf(fx, sizeof fx, "%s.signature", ft);
                sig = opt_str(get(tc, "signature"), fx, &ok);
            }
            if (ok) {
                llmio_request_add_tool_call(r, id, fname, args);
                if (sig) {
                    llmio_request_set_tool_call_signature(r, sig);
                }
            }
            Py_XDECREF(argo);
            if (!ok) {
                Py_DECREF(seq);
                return -1;
            }
        }
        Py_DECREF(seq);
    }
    return 0;
}

static int add_tools(llmio_request *r, PyObject *tools)
{
    PyObject *seq = PySequence_Fast(tools, "tools: expected a list");
    if (!seq) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *t = PySequence_Fast_GET_ITEM(seq, i);
        char f[64];
        snprintf(f, sizeof f, "tools[%zd]", i);
        if (!PyDict_Check(t)) {
            Py_DECREF(seq);
            return invalid("%s: expected a dict", f);
        }
        PyObject *fn = get(t, "function");
        if (!fn) {
            fn = t; /* flat {"name", "description", "parameters"} */
        } else if (!PyDict_Check(fn)) {
            Py_DECREF(seq);
            return invalid("%s.function: expected a dict", f);
        }
        int ok;
        char ff[96];
        snprintf(ff, sizeof ff, "%s.name", f);
        const char *name = opt_str(get(fn, "name"), ff, &ok);
        const char *desc = NULL;
        if (ok) {
            snprintf(ff, sizeof ff, "%s.description", f);
            desc = opt_str(get(fn, "description"), ff, &ok);
        }
        PyObject *params = NULL;
        if (ok) {
            PyObject *p = get(fn, "parameters");
            if (p && p != Py_None) {
                params = as_json(p);
                ok = params != NULL;
            }
        }
        if (ok) {
            llmio_request_add_tool(r, name ? name : "", desc,
                                   params ? PyUnicode_AsUTF8(params) : NULL);
        }
        Py_XDECREF(params);
        if (!ok) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    return 0;
}

static int set_response_format(llmio_request *r, PyObject *rf)
{
    int ok;
    if (PyUnicode_Check(rf)) {
        llmio_request_set_response_format(r, PyUnicode_AsUTF8(rf), NULL, NULL,
                                          false);
        return 0;
    }
    if (!PyDict_Check(rf)) {
        return invalid("response_format: expected a str or dict");
    }
    const char *type = opt_str(get(rf, "type"), "response_format.type", &ok);
    if (!ok) {
        return -1;
    }
    const char *name = NULL;
    PyObject *schema = NULL;
    int strict = 0;
    PyObject *js = get(rf, "json_schema");
    if (js && PyDict_Check(js)) {
        name =
            opt_str(get(js, "name"), "response_format.json_schema.name", &ok);
        if (!ok) {
            return -1;
        }
        PyObject *s = get(js, "schema");
        if (s && s != Py_None) {
            schema = as_json(s);
            if (!schema) {
                return -1;
            }
        }
        PyObject *st = get(js, "strict");
        strict = st && PyObject_IsTrue(st) == 1;
    }
    llmio_request_set_response_format(r, type ? type : "", name,
                                      schema ? PyUnicode_AsUTF8(schema) : NULL,
                                      strict);
    Py_XDECREF(schema);
    return 0;
}

static int add_header_obj(llmio_request *r, PyObject *k, PyObject *v)
{
    PyObject *s = PyUnicode_FromFormat("%S: %S", k, v);
    if (!s) {
        return -1;
    }
    llmio_request_add_header(r, PyUnicode_AsUTF8(s));
    Py_DECREF(s);
    return 0;
}

static int set_timeout_kw(llmio_request *r, llmio_timeout_kind kind,
                          PyObject *v, const char *field)
{
    double s = PyFloat_AsDouble(v);
    if (s == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return invalid("%s: expected seconds as a number", field);
    }
    int64_t ms = (int64_t)(s * 1000.0 + 0.5);
    if (ms < 1) {
        ms = 1;
    }
    llmio_request_set_timeout(r, kind, ms);
    return 0;
}

static int add_fallbacks(llmio_request *r, PyObject *v);

static int apply_kw(llmio_request *r, const char *k, PyObject *v)
{
    if (v == Py_None) {
        return 0;
    }
    int ok = 1;
#define NUM_LL(name, setter)                                                   \
    if (strcmp(k, name) == 0) {                                                \
        long long n = PyLong_AsLongLong(v);                                    \
        if (n == -1 && PyErr_Occurred()) {                                     \
            PyErr_Clear();                                                     \
            return invalid("%s: expected an integer", name);                   \
        }                                                                      \
        setter;                                                                \
        return 0;                                                              \
    }
#define NUM_D(name, setter)                                                    \
    if (strcmp(k, name) == 0) {                                                \
        double d = PyFloat_AsDouble(v);                                        \
        if (d == -1.0 && PyErr_Occurred()) {                                   \
            PyErr_Clear();                                                     \
            return invalid("%s: expected a number", name);                     \
        }                                                                      \
        setter;                                                                \
        return 0;                                                              \
    }
    NUM_LL("max_tokens", llmio_request_set_max_tokens(r, n))
    NUM_LL("max_completion_tokens",
           llmio_request_set_max_completion_tokens(r, n))
    NUM_LL("n", llmio_request_set_n(r, (int)n))
    NUM_LL("seed", llmio_request_set_seed(r, n))
    NUM_LL("dimensions", llmio_request_set_dimensions(r, n))
    NUM_LL("top_logprobs", llmio_request_set_logprobs(r, true, (int)n))
    NUM_D("temperature", llmio_request_set_temperature(r, d))
    NUM_D("top_p", llmio_request_set_top_p(r, d))
#undef NUM_LL
#undef NUM_D
    if (strcmp(k, "logprobs") == 0) {
        llmio_request_set_logprobs(r, PyObject_IsTrue(v) == 1, 0);
        return 0;
    }
    if (strcmp(k, "user") == 0) {
        const char *s = opt_str(v, "user", &ok);
        if (!ok) {
            return -1;
        }
        llmio_request_set_user(r, s);
        return 0;
    }
    if (strcmp(k, "encoding_format") == 0 || strcmp(k, "task_type") == 0) {
        const char *s = opt_str(v, k, &ok);
        if (!ok) {
            return -1;
        }
        if (k[0] == 'e') {
            llmio_request_set_encoding_format(r, s);
        } else {
            llmio_request_set_task_type(r, s);
        }
        return 0;
    }
    if (strcmp(k, "input") == 0) {
        /* Texts to embed: a str or a list of str. */
        if (PyUnicode_Check(v)) {
            llmio_request_add_input(r, PyUnicode_AsUTF8(v));
            return PyErr_Occurred() ? -1 : 0;
        }
        PyObject *seq = PySequence_Fast(v, "input: expected a str or a list");
        if (!seq) {
            PyErr_Clear();
            return invalid("input: expected a str or a list of str, got %s",
                           Py_TYPE(v)->tp_name);
        }
        if (PySequence_Fast_GET_SIZE(seq) == 0) {
            Py_DECREF(seq);
            return invalid("input: at least one text is required");
        }
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            char f[48];
            snprintf(f, sizeof f, "input[%zd]", i);
            const char *t = opt_str(PySequence_Fast_GET_ITEM(seq, i), f, &ok);
            if (!ok || !t) {
                Py_DECREF(seq);
                return ok ? invalid("%s: expected a str, got None", f) : -1;
            }
            llmio_request_add_input(r, t);
        }
        Py_DECREF(seq);
        return 0;
    }
    if (strcmp(k, "fallbacks") == 0) {
        return add_fallbacks(r, v);
    }
    if (strcmp(k, "hedge") == 0) {
        int mode;
        long long ms;
        if (llmiopy_hedge_arg(v, &mode, &ms)) {
            return -1;
        }
        llmio_request_set_hedge(r, (llmio_hedge_mode)mode, ms);
        return 0;
    }
    if (strcmp(k, "stop") == 0) {
        if (PyUnicode_Check(v)) {
            llmio_request_add_stop(r, PyUnicode_AsUTF8(v));
            return 0;
        }
        PyObject *seq = PySequence_Fast(v, "stop: expected str or list");
        if (!seq) {
            return -1;
        }
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            char f[32];
            snprintf(f, sizeof f, "stop[%zd]", i);
            const char *s = opt_str(PySequence_Fast_GET_ITEM(seq, i), f, &ok);
            if (!ok) {
                Py_DECREF(seq);
                return -1;
            }
            llmio_request_add_stop(r, s ? s : "");
        }
        Py_DECREF(seq);
        return 0;
    }
    if (strcmp(k, "tools") == 0) {
        return add_tools(r, v);
    }
    if (strcmp(k, "tool_choice") == 0) {
        if (PyDict_Check(v)) {
            PyObject *fn = get(v, "function");
            PyObject *nm = fn && PyDict_Check(fn) ? get(fn, "name") : NULL;
            const char *s = opt_str(nm, "tool_choice.function.name", &ok);
            if (!ok) {
                return -1;
            }
            llmio_request_set_tool_choice(r, s ? s : "");
            return 0;
        }
        const char *s = opt_str(v, "tool_choice", &ok);
        if (!ok) {
            return -1;
        }
        llmio_request_set_tool_choice(r, s);
        return 0;
    }
    if (strcmp(k, "response_format") == 0) {
        return set_response_format(r, v);
    }
    if (strcmp(k, "extra") == 0 || strcmp(k, "extra_body") == 0) {
        if (!PyDict_Check(v)) {
            return invalid("%s: expected a dict", k);
        }
        PyObject *key, *val;
        Py_ssize_t pos = 0;
        while (PyDict_Next(v, &pos, &key, &val)) {
            if (!PyUnicode_Check(key)) {
                return invalid("%s: keys must be strings", k);
            }
            PyObject *j = json_dumps(val);
            if (!j) {
                return -1;
            }
            llmio_request_set_raw(r, PyUnicode_AsUTF8(key),
                                  PyUnicode_AsUTF8(j));
            Py_DECREF(j);
        }
        return 0;
    }
    if (strcmp(k, "headers") == 0 || strcmp(k, "extra_headers") == 0) {
        if (PyDict_Check(v)) {
            PyObject *key, *val;
            Py_ssize_t pos = 0;
            while (PyDict_Next(v, &pos, &key, &val)) {
                if (add_header_obj(r, key, val)) {
                    return -1;
                }
            }
            return 0;
        }
        PyObject *seq = PySequence_Fast(v, "headers: expected dict or list");
        if (!seq) {
            return -1;
        }
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            const char *s =
                opt_str(PySequence_Fast_GET_ITEM(seq, i), "headers[]", &ok);
            if (!ok) {
                Py_DECREF(seq);
                return -1;
            }
            llmio_request_add_header(r, s ? s : "");
        }
        Py_DECREF(seq);
        return 0;
    }
    if (strcmp(k, "timeout") == 0) {
        return set_timeout_kw(r, LLMIO_TIMEOUT_TOTAL, v, k);
    }
    if (strcmp(k, "connect_timeout") == 0) {
        return set_timeout_kw(r, LLMIO_TIMEOUT_CONNECT, v, k);
    }
    if (strcmp(k, "idle_timeout") == 0) {
        return set_timeout_kw(r, LLMIO_TIMEOUT_IDLE, v, k);
    }
    if (strcmp(k, "first_byte_timeout") == 0) {
        return set_timeout_kw(r, LLMIO_TIMEOUT_FIRST_BYTE, v, k);
    }
    PyErr_Format(PyExc_TypeError, "unexpected keyword argument '%s'", k);
    return -1;
}

/* fallbacks=[model | (model, on) | {"model": m, "on": on}]; ON is a class
 * name, a list of them, or an int mask of LLMIO_FALLBACK_* bits. */
static int fallback_on(PyObject *on, unsigned *out, const char *field)
{
    static const struct {
        const char *name;
        unsigned bits;
    } classes[] = {
        {"context_length", LLMIO_FALLBACK_CONTEXT_LENGTH},
        {"outage", LLMIO_FALLBACK_OUTAGE},
        {"rate_limit", LLMIO_FALLBACK_RATE_LIMIT},
        {"auth", LLMIO_FALLBACK_AUTH},
        {"bad_request", LLMIO_FALLBACK_BAD_REQUEST},
        {"default", LLMIO_FALLBACK_DEFAULT},
        {"any", LLMIO_FALLBACK_ANY},
    };
    if (!on || on == Py_None) {
        *out = LLMIO_FALLBACK_DEFAULT;
        return 0;
    }
    if (PyLong_Check(on)) {
        *out = (unsigned)PyLong_AsUnsignedLongMask(on);
        return 0;
    }
    PyObject *seq =
        PyUnicode_Check(on) ? PyTuple_Pack(1, on) : PySequence_Tuple(on);
    if (!seq) {
        PyErr_Clear();
        return invalid("%s: expected a class name, a list of them or an int",
                       field);
    }
    *out = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(seq); i++) {
        PyObject *o = PyTuple_GET_ITEM(seq, i);
        const char *n = PyUnicode_Check(o) ? PyUnicode_AsUTF8(o) : NULL;
        unsigned bits = 0;
        for (size_t j = 0; n && j < sizeof classes / sizeof classes[0]; j++) {
            if (strcmp(n, classes[j].name) == 0) {
                bits = classes[j].bits;
            }
        }
        if (!bits) {
            PyErr_Clear();
            invalid("%s: unknown class '%s' (context_length, outage, "
                    "rate_limit, auth, bad_request, default, any)",
                    field, n ? n : "(not a str)");
            Py_DECREF(seq);
            return -1;
        }
        *out |= bits;
    }
    Py_DECREF(seq);
    return 0;
}

static int add_fallbacks(llmio_request *r, PyObject *v)
{
    PyObject *seq = PySequence_Fast(v, "fallbacks: expected a list");
    if (!seq) {
        PyErr_Clear();
        return invalid("fallbacks: expected a list of models");
    }
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *it = PySequence_Fast_GET_ITEM(seq, i), *m = NULL, *on = NULL;
        char f[64];
        snprintf(f, sizeof f, "fallbacks[%zd]", i);
        if (PyUnicode_Check(it)) {
            m = it;
        } else if (PyDict_Check(it)) {
            m = PyDict_GetItemString(it, "model");
            on = PyDict_GetItemString(it, "on");
        } else if (PyTuple_Check(it) && PyTuple_GET_SIZE(it) == 2) {
            m = PyTuple_GET_ITEM(it, 0);
            on = PyTuple_GET_ITEM(it, 1);
        }
        char fm[80], fo[80];
        snprintf(fm, sizeof fm, "%s.model", f);
        snprintf(fo, sizeof fo, "%s.on", f);
        int ok;
        const char *model = opt_str(m, fm, &ok);
        unsigned bits = 0;
        if (!ok || !model) {
            Py_DECREF(seq);
            return ok ? invalid("%s: expected a model string, (model, on) or "
                                "{'model': ..., 'on': ...}",
                                f)
                      : -1;
        }
        if (fallback_on(on, &bits, fo)) {
            Py_DECREF(seq);
            return -1;
        }
        llmio_request_add_fallback(r, model, bits);
    }
    Py_DECREF(seq);
    return 0;
}

int llmiopy_hedge_arg(PyObject *v, int *mode, long long *delay_ms)
{
    /* False/0: off; seconds: fixed; ("p95", seconds): p95 after a start
     * delay. */
    PyObject *d = v;
    *mode = LLMIO_HEDGE_FIXED;
    if (v == Py_False) {
        *mode = LLMIO_HEDGE_OFF;
        *delay_ms = 0;
        return 0;
    }
    if (PyTuple_Check(v) && PyTuple_GET_SIZE(v) == 2 &&
        PyUnicode_Check(PyTuple_GET_ITEM(v, 0))) {
        const char *m = PyUnicode_AsUTF8(PyTuple_GET_ITEM(v, 0));
        if (strcmp(m, "p95") == 0) {
            *mode = LLMIO_HEDGE_P95;
        } else if (strcmp(m, "fixed") != 0) {
            return invalid("hedge: mode 'fixed' or 'p95', got '%s'", m);
        }
        d = PyTuple_GET_ITEM(v, 1);
    }
    double s = PyFloat_AsDouble(d);
    if (s == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return invalid("hedge: expected seconds, ('p95', seconds) or False");
    }
    *delay_ms = (long long)(s * 1000.0 + 0.5);
    if (*delay_ms == 0 && s == 0) {
        *mode = LLMIO_HEDGE_OFF;
    }
    return 0;
}

/* This request's retry policy (llmio_request_set_retry takes the four
 * values at once; -1 keeps the client's) and stream restart opt-in. */
static const char *retry_keys[] = {"max_attempts",    "retry_base_delay",
                                   "retry_max_delay", "max_retry_after",
                                   "stream_restart",  NULL};

static int is_retry_key(const char *k)
{
    for (int i = 0; retry_keys[i]; i++) {
        if (strcmp(k, retry_keys[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int apply_retry(llmio_request *r, PyObject *kwargs)
{
    long long v[4] = {-1, -1, -1, -1};
    int any = 0;
    for (int i = 0; i < 4; i++) {
        PyObject *o = PyDict_GetItemString(kwargs, retry_keys[i]);
        if (!o || o == Py_None) {
            continue;
        }
        any = 1;
        if (i == 0) {
            v[0] = PyLong_AsLongLong(o);
        } else {
            double d = PyFloat_AsDouble(o);
            v[i] = d < 0 ? -2 : (long long)(d * 1000.0 + 0.5);
        }
        if (PyErr_Occurred()) {
            PyErr_Clear();
            return invalid("%s: expected %s", retry_keys[i],
                           i == 0 ? "an integer" : "seconds as a number");
        }
        if (i == 0 && (v[0] < 1 || v[0] > 100)) {
            v[0] = 0; /* out of range: the builder names the field */
        }
    }
    if (any) {
        llmio_request_set_retry(r, (int)v[0], v[1], v[2], v[3]);
    }
    PyObject *sr = PyDict_GetItemString(kwargs, "stream_restart");
    if (sr && sr != Py_None) {
        int on = PyObject_IsTrue(sr);
        if (on < 0) {
            return -1;
        }
        llmio_request_set_stream_restart(r, on != 0);
    }
    return 0;
}

/* body=...: a Chat Completions body or an OpenAI Batch API line (a dict,
 * or its JSON text as str or bytes), through llmio_request_from_jsonl;
 * MODEL (nullable) is the model when the body names none. */
static llmio_request *request_from_body(PyObject *body, const char *model)
{
    PyObject *text = PyBytes_Check(body) ? Py_NewRef(body) : as_json(body);
    if (!text) {
        return NULL;
    }
    Py_ssize_t len;
    const char *s = PyBytes_Check(text)
                        ? (len = PyBytes_GET_SIZE(text), PyBytes_AS_STRING(text))
                        : PyUnicode_AsUTF8AndSize(text, &len);
    llmio_request *r = NULL;
    llmio_error err;
    if (s && llmio_request_from_jsonl(s, (size_t)len, model, &r, NULL, 0,
                                      &err) != LLMIO_OK) {
        /* "body." names where the field came from. */
        size_t n = strnlen(err.message, sizeof err.message - 6);
        memmove(err.message + 5, err.message, n);
        memcpy(err.message, "body.", 5);
        err.message[n + 5] = '\0';
        llmiopy_raise(&err);
    }
    Py_DECREF(text);
    return r;
}

llmio_request *llmiopy_build_request(PyObject *model, PyObject *messages,
                                     PyObject *kwargs)
{
    int ok;
    const char *m = opt_str(model, "model", &ok);
    if (!ok) {
        return NULL;
    }
    PyObject *body = kwargs ? PyDict_GetItemString(kwargs, "body") : NULL;
    PyObject *system = kwargs ? PyDict_GetItemString(kwargs, "system") : NULL;
    if (body == Py_None) {
        body = NULL;
    }
    if (body && system && system != Py_None) {
        invalid("system: not with body= (put it in the body's messages)");
        return NULL;
    }
    llmio_request *r = body ? request_from_body(body, m) : llmio_request_new(m);
    if (!r) {
        if (!PyErr_Occurred()) {
            PyErr_NoMemory();
        }
        return NULL;
    }
    /* system="..." is a leading system message (AbstractLLM's
     * system_prompt, Mirascope's system template). */
    if (system && system != Py_None) {
        const char *sys = opt_str(system, "system", &ok);
        if (!ok) {
            goto fail;
        }
        llmio_request_add_message(r, LLMIO_ROLE_SYSTEM, sys);
    }
    if (PyUnicode_Check(messages)) {
        /* A bare prompt string is one user message. */
        const char *prompt = opt_str(messages, "messages", &ok);
        if (!ok) {
            goto fail;
        }
        llmio_request_add_message(r, LLMIO_ROLE_USER, prompt);
    } else if (messages == Py_None) {
        /* no messages: an embedding request (input=...) */
    } else if (!PyList_Check(messages) && !PyTuple_Check(messages)) {
        invalid("messages: expected a str or a list of dicts, got %s",
                Py_TYPE(messages)->tp_name);
        goto fail;
    } else {
        PyObject *seq = PySequence_Fast(messages, "messages");
        if (!seq) {
            goto fail;
        }
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            if (add_message(r, PySequence_Fast_GET_ITEM(seq, i), i)) {
                Py_DECREF(seq);
                goto fail;
            }
        }
        Py_DECREF(seq);
    }
    if (kwargs) {
        PyObject *key, *val;
        Py_ssize_t pos = 0;
        while (PyDict_Next(kwargs, &pos, &key, &val)) {
            const char *k = PyUnicode_AsUTF8(key);
            if (strcmp(k, "system") != 0 && strcmp(k, "body") != 0 &&
                !is_retry_key(k) && apply_kw(r, k, val)) {
                goto fail;
            }
        }
        if (apply_retry(r, kwargs)) {
            goto fail;
        }
    }
    llmio_error err;
    if (llmio_request_error(r, &err) != LLMIO_OK) {
        llmiopy_raise(&err);
        goto fail;
    }
    return r;
fail:
    llmio_request_free(r);
    return NULL;
}
