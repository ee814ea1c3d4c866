/* Compiled kernels of the Chronicle log: the per-entry loops of append, load and verify.
 *
 * Optional: `fractalops/planes/evidence/_kernels.py` holds the pure-Python version of every function here,
 * byte for byte the same results (tests/planes/evidence/test_evidence_kernels.py runs both on the same
 * inputs), and is used when this module was not built. SHA-256 is OpenSSL's (the library hashlib uses),
 * called without Python objects per entry, with the GIL released while hashing.
 *
 *   frame_lines(buf, sep, base) -> (lines, leaf_hashes, offsets)
 *       buf holds canonical JSON bodies separated by `sep` (empty buf: no body). For each body, the entry
 *       line `<64 hex of SHA-256(0x00 || body)> <body>\n`; leaf_hashes concatenated (32 bytes each);
 *       offsets: native int64 start of each line, counting from `base`.
 *   parse_lines(data, base) -> (leaf_hashes, offsets) | None
 *       The inverse, checking every line: `<64 lowercase hex> {...}\n` with the hex equal to the leaf hash
 *       of the body. None as soon as one line is not exactly that (callers rescan to name it).
 *   node_level(hashes) -> bytes
 *       SHA-256(0x01 || left || right) for each consecutive pair of 32-byte hashes; an odd last one is
 *       left out.
 *   is_plain(values) -> bool
 *       True when every value, at every depth (at most 255), is exactly a dict with str keys, a list, a
 *       tuple, a str, an int, a bool or None.
 */
#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co: no provider lookup per call */
#include <openssl/sha.h>

#define HASH 32
#define HEX 64
#define FRAMING 66 /* 64 hex chars, a space, a newline */
#define MAX_DEPTH 255

static const char HEXDIGITS[] = "0123456789abcdef";

static inline void to_hex(const unsigned char *digest, char *out) {
    for (int i = 0; i < HASH; i++) {
        out[2 * i] = HEXDIGITS[digest[i] >> 4];
        out[2 * i + 1] = HEXDIGITS[digest[i] & 15];
    }
}

static inline void leaf(const SHA256_CTX *primed, const char *body, size_t len, unsigned char *out) {
    SHA256_CTX ctx = *primed;
    SHA256_Update(&ctx, body, len);
    SHA256_Final(out, &ctx);
}

static SHA256_CTX LEAF_PRIMED, NODE_PRIMED;

static PyObject *frame_lines(PyObject *self, PyObject *args) {
    Py_buffer buf, sep;
    long long base;
    if (!PyArg_ParseTuple(args, "y*y*L", &buf, &sep, &base)) return NULL;
    PyObject *result = NULL, *lines = NULL, *hashes = NULL, *offsets = NULL;
    if (sep.len == 0) {
        PyErr_SetString(PyExc_ValueError, "empty separator");
        goto done;
    }
    const char *data = buf.buf, *end = data + buf.len, *s = sep.buf;
    size_t seplen = (size_t)sep.len;
    Py_ssize_t count = 0;
    if (buf.len > 0) {
        count = 1;
        for (const char *p = data; (p = memmem(p, (size_t)(end - p), s, seplen)) != NULL; p += seplen) count++;
    }
    Py_ssize_t body_bytes = buf.len - (count ? (count - 1) * (Py_ssize_t)seplen : 0);
    lines = PyBytes_FromStringAndSize(NULL, body_bytes + count * FRAMING);
    hashes = PyBytes_FromStringAndSize(NULL, count * HASH);
    offsets = PyBytes_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(int64_t));
    if (!lines || !hashes || !offsets) goto done;
    char *out = PyBytes_AS_STRING(lines);
    unsigned char *digest = (unsigned char *)PyBytes_AS_STRING(hashes);
    char *offs = PyBytes_AS_STRING(offsets);
    Py_BEGIN_ALLOW_THREADS
    const char *p = data;
    int64_t position = base;
    for (Py_ssize_t i = 0; i < count; i++) {
        const char *q = (i + 1 < count) ? memmem(p, (size_t)(end - p), s, seplen) : end;
        size_t len = (size_t)(q - p);
        leaf(&LEAF_PRIMED, p, len, digest);
        to_hex(digest, out);
        out[HEX] = ' ';
        memcpy(out + HEX + 1, p, len);
        out[HEX + 1 + len] = '\n';
        memcpy(offs, &position, sizeof position);
        position += (int64_t)(len + FRAMING);
        out += len + FRAMING;
        offs += sizeof position;
        digest += HASH;
        p = q + seplen;
    }
    Py_END_ALLOW_THREADS
    result = PyTuple_Pack(3, lines, hashes, offsets);
done:
    Py_XDECREF(lines);
    Py_XDECREF(hashes);
    Py_XDECREF(offsets);
    PyBuffer_Release(&buf);
    PyBuffer_Release(&sep);
    return result;
}

static PyObject *parse_lines(PyObject *self, PyObject *args) {
    Py_buffer buf;
    long long base;
    if (!PyArg_ParseTuple(args, "y*L", &buf, &base)) return NULL;
    PyObject *result = NULL, *hashes = NULL, *offsets = NULL;
    const char *data = buf.buf, *end = data + buf.len;
    if (buf.len > 0 && end[-1] != '\n') {
        result = Py_NewRef(Py_None);
        goto done;
    }
    Py_ssize_t count = 0;
    for (const char *p = data; p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) count++;
    hashes = PyBytes_FromStringAndSize(NULL, count * HASH);
    offsets = PyBytes_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(int64_t));
    if (!hashes || !offsets) goto done;
    unsigned char *digest = (unsigned char *)PyBytes_AS_STRING(hashes);
    char *offs = PyBytes_AS_STRING(offsets);
    int ok = 1;
    Py_BEGIN_ALLOW_THREADS
    const char *p = data;
    int64_t position = base;
    char hex[HEX];
    for (Py_ssize_t i = 0; i < count; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)(nl - p);
        if (len < HEX + 3 || p[HEX] != ' ' || p[HEX + 1] != '{' || nl[-1] != '}') {
            ok = 0;
            break;
        }
        leaf(&LEAF_PRIMED, p + HEX + 1, len - HEX - 1, digest);
        to_hex(digest, hex);
        if (memcmp(hex, p, HEX) != 0) {
            ok = 0;
            break;
        }
        memcpy(offs, &position, sizeof position);
        position += (int64_t)(len + 1);
        offs += sizeof position;
        digest += HASH;
        p = nl + 1;
    }
    Py_END_ALLOW_THREADS
    result = ok ? PyTuple_Pack(2, hashes, offsets) : Py_NewRef(Py_None);
done:
    Py_XDECREF(hashes);
    Py_XDECREF(offsets);
    PyBuffer_Release(&buf);
    return result;
}

static PyObject *node_level(PyObject *self, PyObject *arg) {
    Py_buffer buf;
    if (PyObject_GetBuffer(arg, &buf, PyBUF_SIMPLE) < 0) return NULL;
    Py_ssize_t pairs = buf.len / (2 * HASH);
    PyObject *out = PyBytes_FromStringAndSize(NULL, pairs * HASH);
    if (out != NULL) {
        const unsigned char *in = buf.buf;
        unsigned char *digest = (unsigned char *)PyBytes_AS_STRING(out);
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < pairs; i++) {
            SHA256_CTX ctx = NODE_PRIMED;
            SHA256_Update(&ctx, in + i * 2 * HASH, 2 * HASH);
            SHA256_Final(digest + i * HASH, &ctx);
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&buf);
    return out;
}

static int plain(PyObject *o, int depth) {
    if (o == Py_None || PyUnicode_CheckExact(o) || PyLong_CheckExact(o) || PyBool_Check(o)) return 1;
    if (depth >= MAX_DEPTH) return 0;
    if (PyDict_CheckExact(o)) {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(o, &pos, &key, &value)) {
            if (!PyUnicode_CheckExact(key) || !plain(value, depth + 1)) return 0;
        }
        return 1;
    }
    if (PyList_CheckExact(o) || PyTuple_CheckExact(o)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
        PyObject **items = PySequence_Fast_ITEMS(o);
        for (Py_ssize_t i = 0; i < n; i++) {
            if (!plain(items[i], depth + 1)) return 0;
        }
        return 1;
    }
    return 0;
}

static PyObject *is_plain(PyObject *self, PyObject *values) {
    PyObject *seq = PySequence_Fast(values, "is_plain() takes a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    int ok = 1;
    for (Py_ssize_t i = 0; ok && i < n; i++) ok = plain(items[i], 1);
    Py_DECREF(seq);
    return PyBool_FromLong(ok);
}

static PyMethodDef METHODS[] = {
    {"frame_lines", frame_lines, METH_VARARGS, "(buf, sep, base) -> (lines, leaf_hashes, offsets)"},
    {"parse_lines", parse_lines, METH_VARARGS, "(data, base) -> (leaf_hashes, offsets) | None"},
    {"node_level", node_level, METH_O, "(hashes) -> node hashes of consecutive pairs"},
    {"is_plain", is_plain, METH_O, "(values) -> bool: exactly dict/list/tuple/str/int/bool/None at every depth"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_speedups",
    .m_doc = "Compiled kernels of the Chronicle log (see _kernels.py for the Python versions).",
    .m_size = -1,
    .m_methods = METHODS,
};

PyMODINIT_FUNC PyInit__speedups(void) {
    static const unsigned char zero = 0x00, one = 0x01;
    if (!SHA256_Init(&LEAF_PRIMED) || !SHA256_Update(&LEAF_PRIMED, &zero, 1) || !SHA256_Init(&NODE_PRIMED) ||
        !SHA256_Update(&NODE_PRIMED, &one, 1)) {
        PyErr_SetString(PyExc_ImportError, "OpenSSL SHA-256 is unavailable");
        return NULL;
    }
    return PyModule_Create(&MODULE);
}
