/* module.c - the llmio._llmio extension module. */
#include "module.h"

static PyObject *mod_status_names(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    PyObject *l = PyList_New(0);
    for (int st = 0; l && st < LLMIO_STATUS_COUNT_; st++) {
        PyObject *s = PyUnicode_FromString(llmio_status_name((llmio_status)st));
        if (!s || PyList_Append(l, s)) {
            Py_XDECREF(s);
            Py_CLEAR(l);
            break;
        }
        Py_DECREF(s);
    }
    return l;
}

static PyObject *mod_shared_unlink(PyObject *self, PyObject *arg)
{
    (void)self;
    const char *name = PyUnicode_Check(arg) ? PyUnicode_AsUTF8(arg) : NULL;
    if (!name) {
        PyErr_Clear();
        return llmiopy_raise_status(LLMIO_E_INVALID, "name: expected a str");
    }
    llmio_status st = llmio_shared_rate_limit_unlink(name);
    if (st != LLMIO_OK) {
        return llmiopy_raise_status(st, "shared_rate_limit_unlink: bad name, "
                                        "or no such budget of ours");
    }
    Py_RETURN_NONE;
}

static PyMethodDef mod_methods[] = {
    {"shared_rate_limit_unlink", mod_shared_unlink, METH_O,
     "shared_rate_limit_unlink(name): remove a shared rate-limit budget."},
    {"status_names", mod_status_names, METH_NOARGS,
     "The status table's names, in order."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moddef = {
    PyModuleDef_HEAD_INIT,
    "_llmio",
    "llmio C extension: a thin binding over include/llmio.h.",
    -1,
    mod_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__llmio(void)
{
    if (llmio_global_init() != LLMIO_OK) {
        PyErr_SetString(PyExc_ImportError, "llmio_global_init failed");
        return NULL;
    }
    PyObject *m = PyModule_Create(&moddef);
    if (!m) {
        return NULL;
    }
    if (PyType_Ready(&PyLlmioClient_Type) ||
        PyType_Ready(&PyLlmioFuture_Type) || PyType_Ready(&PyLlmioBatch_Type) ||
        PyType_Ready(&PyLlmioSession_Type) ||
        llmiopy_errors_init(m) || llmiopy_response_types_init(m) ||
        llmiopy_retry_types_init(m) ||
        PyModule_AddObjectRef(m, "Client", (PyObject *)&PyLlmioClient_Type) ||
        PyModule_AddObjectRef(m, "Future", (PyObject *)&PyLlmioFuture_Type) ||
        PyModule_AddObjectRef(m, "Session", (PyObject *)&PyLlmioSession_Type) ||
        PyModule_AddStringConstant(m, "c_version", llmio_version())) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
