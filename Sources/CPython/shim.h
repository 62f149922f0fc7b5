/*
 * The C side of the PythonBridge: the CPython headers plus `static inline`
 * helpers for what Swift cannot import from them (function-like macros,
 * macros that expand to casts or to the address of a global, and the few
 * calls whose spelling differs between Python versions).
 *
 * Only Sources/PythonBridge imports this module. Keep every helper a thin
 * one-line wrapper: the logic belongs in Swift.
 */
#ifndef FASTKERNELS_CPYTHON_SHIM_H
#define FASTKERNELS_CPYTHON_SHIM_H

#define PY_SSIZE_T_CLEAN
/* The headers' own assert()s (in their inline functions and macros: PyList_SET_ITEM checks
   the list's type on every item) are for debug builds of the interpreter; extension modules
   are built with NDEBUG, as setuptools builds them from the interpreter's CFLAGS. A failing
   one would abort the interpreter, never raise. */
#ifndef NDEBUG
#define NDEBUG 1
#endif
#include <Python.h>

#if PY_VERSION_HEX < 0x03090000
#error "fastkernels needs CPython 3.9 or newer"
#endif

/* ---- reference counting (macros in the headers) ---- */
static inline void fk_incref(PyObject *o) { Py_INCREF(o); }
static inline void fk_decref(PyObject *o) { Py_DECREF(o); }

/* ---- singletons (macros that take the address of a global) ---- */
static inline PyObject *fk_none(void) { return Py_None; }
static inline PyObject *fk_true(void) { return Py_True; }
static inline PyObject *fk_false(void) { return Py_False; }

/* ---- type checks (macros over tp_flags) ---- */
static inline int fk_long_check(PyObject *o) { return PyLong_Check(o); }
static inline int fk_long_check_exact(PyObject *o) { return PyLong_CheckExact(o); }
static inline int fk_float_check(PyObject *o) { return PyFloat_Check(o); }
static inline int fk_unicode_check(PyObject *o) { return PyUnicode_Check(o); }
static inline int fk_bytes_check(PyObject *o) { return PyBytes_Check(o); }
static inline int fk_list_check(PyObject *o) { return PyList_Check(o); }
static inline int fk_dict_check(PyObject *o) { return PyDict_Check(o); }
static inline int fk_index_check(PyObject *o) { return PyIndex_Check(o); }
static inline int fk_has_float(PyObject *o) {
    return Py_TYPE(o)->tp_as_number != NULL && Py_TYPE(o)->tp_as_number->nb_float != NULL;
}
static inline PyObject *fk_type(PyObject *o) { return (PyObject *)Py_TYPE(o); }
static inline const char *fk_type_name(PyObject *o) { return Py_TYPE(o)->tp_name; }

/* ---- tuples and lists (unchecked accessors are macros) ---- */
static inline Py_ssize_t fk_tuple_size(PyObject *t) { return PyTuple_GET_SIZE(t); }
static inline PyObject *fk_tuple_item(PyObject *t, Py_ssize_t i) { return PyTuple_GET_ITEM(t, i); }
static inline Py_ssize_t fk_list_size(PyObject *l) { return PyList_GET_SIZE(l); }
static inline PyObject *fk_list_item(PyObject *l, Py_ssize_t i) { return PyList_GET_ITEM(l, i); }
/* Steals the reference to `item`; only for filling a new list. */
static inline void fk_list_set_item(PyObject *l, Py_ssize_t i, PyObject *item) { PyList_SET_ITEM(l, i, item); }
/* The items of a list or tuple as a C array (borrowed; valid while the sequence is unchanged). */
static inline PyObject **fk_sequence_items(PyObject *o) {
    return PyList_Check(o) ? ((PyListObject *)o)->ob_item : ((PyTupleObject *)o)->ob_item;
}
static inline int fk_float_check_exact(PyObject *o) { return PyFloat_CheckExact(o); }
/* obj.name() through the vectorcall method protocol (no bound method object). */
static inline PyObject *fk_call_method_no_args(PyObject *obj, PyObject *name) {
    PyObject *args[1] = {obj};
    return PyObject_VectorcallMethod(name, args, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

/* type.__new__(type) with no arguments: NULL with TypeError when `type` is not a type
   or cannot be instantiated. */
static inline PyObject *fk_new_instance(PyObject *type) {
    if (!PyType_Check(type) || ((PyTypeObject *)type)->tp_new == NULL) {
        PyErr_SetString(PyExc_TypeError, "cannot create an instance of this object");
        return NULL;
    }
    PyObject *empty = PyTuple_New(0);
    if (empty == NULL) return NULL;
    PyObject *instance = ((PyTypeObject *)type)->tp_new((PyTypeObject *)type, empty, NULL);
    Py_DECREF(empty);
    return instance;
}
static inline double fk_float_value(PyObject *o) { return PyFloat_AS_DOUBLE(o); }
static inline PyTypeObject *fk_type_of(PyObject *o) { return Py_TYPE(o); }
static inline PyTypeObject *fk_long_type(void) { return &PyLong_Type; }
static inline PyTypeObject *fk_float_type(void) { return &PyFloat_Type; }
static inline PyTypeObject *fk_bool_type(void) { return &PyBool_Type; }

/* The value of an int if it fits 64 bits, read without calling into the
   interpreter where the layout is known (CPython < 3.12: 30-bit digits,
   at most three of them for 64 bits); returns 0 when it does not fit. */
static inline int fk_long_value_64(PyObject *o, long long *value) {
#if PY_VERSION_HEX >= 0x030C0000
    if (PyUnstable_Long_IsCompact((PyLongObject *)o)) {
        *value = (long long)PyUnstable_Long_CompactValue((PyLongObject *)o);
        return 1;
    }
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) return 0;
    *value = v;
    return 1;
#elif PyLong_SHIFT != 30
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) return 0;
    *value = v;
    return 1;
#else
    Py_ssize_t size = Py_SIZE(o);
    const digit *d = ((PyLongObject *)o)->ob_digit;
    unsigned long long magnitude;
    switch (size < 0 ? -size : size) {
    case 0: *value = 0; return 1;
    case 1: magnitude = d[0]; break;
    case 2: magnitude = (unsigned long long)d[0] | ((unsigned long long)d[1] << PyLong_SHIFT); break;
    case 3:
        if (d[2] >> (64 - 2 * PyLong_SHIFT)) return 0;  /* more than 64 bits */
        magnitude = (unsigned long long)d[0] | ((unsigned long long)d[1] << PyLong_SHIFT)
                  | ((unsigned long long)d[2] << (2 * PyLong_SHIFT));
        break;
    default: return 0;
    }
    if (size > 0) {
        if (magnitude > (unsigned long long)LLONG_MAX) return 0;
        *value = (long long)magnitude;
    } else {
        if (magnitude > (unsigned long long)LLONG_MAX + 1ull) return 0;
        *value = (long long)(0ull - magnitude);
    }
    return 1;
#endif
}


/* ---- exception classes (extern globals; a function keeps Swift 6 happy) ---- */
static inline PyObject *fk_exc_type_error(void) { return PyExc_TypeError; }
static inline PyObject *fk_exc_value_error(void) { return PyExc_ValueError; }
static inline PyObject *fk_exc_overflow_error(void) { return PyExc_OverflowError; }
static inline PyObject *fk_exc_memory_error(void) { return PyExc_MemoryError; }
/* MemoryError(format % (function, first, second)): format has "%s" then up to two "%zd".
 * CPython formats it (and raises its own bare MemoryError if even that cannot be had). */
static inline void fk_raise_memory_error(const char *format, const char *function, Py_ssize_t first,
                                         Py_ssize_t second) {
    PyErr_Format(PyExc_MemoryError, format, function, first, second);
}
static inline PyObject *fk_exc_os_error(void) { return PyExc_OSError; }
static inline PyObject *fk_exc_keyboard_interrupt(void) { return PyExc_KeyboardInterrupt; }
static inline PyObject *fk_exc_runtime_error(void) { return PyExc_RuntimeError; }
static inline PyObject *fk_exc_index_error(void) { return PyExc_IndexError; }

/* ---- functions and modules ---- */
/* The C signature of a METH_FASTCALL | METH_KEYWORDS function. */
typedef PyObject *(*fk_fastcall_function)(PyObject *module, PyObject *const *args,
                                          Py_ssize_t nargs, PyObject *kwnames);

static inline void fk_method_def_init(PyMethodDef *def, const char *name,
                                      fk_fastcall_function function, const char *doc) {
    def->ml_name = name;
    def->ml_meth = (PyCFunction)(void (*)(void))function;
    def->ml_flags = METH_FASTCALL | METH_KEYWORDS;
    def->ml_doc = doc;
}

static inline void fk_method_def_sentinel(PyMethodDef *def) {
    def->ml_name = NULL;
    def->ml_meth = NULL;
    def->ml_flags = 0;
    def->ml_doc = NULL;
}

static inline void fk_module_def_init(PyModuleDef *def, const char *name, const char *doc,
                                      PyMethodDef *methods) {
    PyModuleDef head = {PyModuleDef_HEAD_INIT, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL};
    *def = head;
    def->m_name = name;
    def->m_doc = doc;
    def->m_size = -1;
    def->m_methods = methods;
}

static inline PyObject *fk_module_create(PyModuleDef *def) { return PyModule_Create(def); }

/* ---- the few libc calls the bridge needs (importing Glibc beside this
 *      module makes clang see two definitions of the same structs) ---- */
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline unsigned long long fk_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}
/* True on the process's main thread, where CPython runs signal handlers. */
static inline int fk_is_main_thread(void) { return (long)getpid() == (long)syscall(SYS_gettid); }
static inline const char *fk_strerror(int code) { return strerror(code); }

/* ---- a flag shared between threads (Swift's Synchronization module would bring
 *      Glibc in beside this module: see above) ---- */
static inline int fk_atomic_load_int(const int *flag) { return __atomic_load_n(flag, __ATOMIC_ACQUIRE); }
static inline void fk_atomic_store_int(int *flag, int value) { __atomic_store_n(flag, value, __ATOMIC_RELEASE); }

/* ---- strs ---- */
/* A new str holding `count` ASCII bytes (the caller guarantees every byte is < 0x80). */
static inline PyObject *fk_unicode_from_ascii(const char *bytes, Py_ssize_t count) {
    if (count == 1) return PyUnicode_FromOrdinal((unsigned char)bytes[0]);  /* CPython's kept one */
    PyObject *s = PyUnicode_New(count, 127);
    if (s != NULL) memcpy(PyUnicode_1BYTE_DATA(s), bytes, (size_t)count);
    return s;
}

/* The character data of a str made by PyUnicode_New (1, 2 or 4 bytes a character, by its maxchar). */
static inline void *fk_unicode_data(PyObject *s) { return PyUnicode_DATA(s); }
/* Makes a str's PEP 393 storage ready (strs built through the legacy API before 3.12);
   -1 with an exception set when it cannot. */
static inline int fk_unicode_ready(PyObject *s) {
#if PY_VERSION_HEX < 0x030C0000
    return PyUnicode_READY(s);
#else
    (void)s;
    return 0;
#endif
}
/* A ready str's bytes per character (1, 2 or 4) and its length in characters. */
static inline int fk_unicode_kind(PyObject *s) { return (int)PyUnicode_KIND(s); }
static inline Py_ssize_t fk_unicode_length(PyObject *s) { return PyUnicode_GET_LENGTH(s); }

/* ---- exact types, type chains ---- */
static inline int fk_list_check_exact(PyObject *o) { return PyList_CheckExact(o); }
static inline int fk_tuple_check_exact(PyObject *o) { return PyTuple_CheckExact(o); }
static inline int fk_unicode_check_exact(PyObject *o) { return PyUnicode_CheckExact(o); }
static inline int fk_bytes_check_exact(PyObject *o) { return PyBytes_CheckExact(o); }
static inline int fk_bytearray_check(PyObject *o) { return PyByteArray_Check(o); }
/* The base type of `type` (NULL for object). */
static inline PyTypeObject *fk_type_base(PyTypeObject *type) { return type->tp_base; }
static inline const char *fk_type_object_name(PyTypeObject *type) { return type->tp_name; }
/* A list's item array and its size, read again on every call (the list may change
   whenever Python code runs). */
static inline PyObject **fk_list_items(PyObject *l) { return ((PyListObject *)l)->ob_item; }
/* Stores `item` at index i of a list, without touching reference counts (the
   caller moves references: a permutation of the list's own items). */
static inline void fk_list_store(PyObject *l, Py_ssize_t i, PyObject *item) { ((PyListObject *)l)->ob_item[i] = item; }
/* True when the str holds only ASCII characters. */
static inline int fk_unicode_is_ascii(PyObject *s) { return PyUnicode_IS_ASCII(s); }
/* The interpreter's version (PY_VERSION_HEX of the headers the module was built with). */
static inline unsigned long fk_python_version_hex(void) { return PY_VERSION_HEX; }

/* ---- buffers ---- */
static inline int fk_buffer_check(PyObject *o) { return PyObject_CheckBuffer(o); }

/* ---- ints ---- */
/* A non-negative integer from `count` little-endian bytes (exact, any size). */
static inline PyObject *fk_long_from_unsigned_le_bytes(const unsigned char *bytes, size_t count) {
#if PY_VERSION_HEX >= 0x030D0000
    return PyLong_FromUnsignedNativeBytes(bytes, count,
                                          Py_ASNATIVEBYTES_LITTLE_ENDIAN | Py_ASNATIVEBYTES_UNSIGNED_BUFFER);
#else
    return _PyLong_FromByteArray(bytes, count, /*little_endian=*/1, /*is_signed=*/0);
#endif
}

/* A signed integer from `count` little-endian two's-complement bytes. */
static inline PyObject *fk_long_from_signed_le_bytes(const unsigned char *bytes, size_t count) {
#if PY_VERSION_HEX >= 0x030D0000
    return PyLong_FromNativeBytes(bytes, count, Py_ASNATIVEBYTES_LITTLE_ENDIAN);
#else
    return _PyLong_FromByteArray(bytes, count, /*little_endian=*/1, /*is_signed=*/1);
#endif
}

#endif /* FASTKERNELS_CPYTHON_SHIM_H */
