/* Optional accelerator for readiness.testhealth.junit_fast: the rows of a region of plain
 * <testcase> elements, built in one pass over the text.
 *
 * scan(text, suite, prefix_of, parse_time) returns (rows, special, held) or None.
 * None means "not this region": the caller's pure-Python reader takes it (anything but
 * testcases and text between them, non-ASCII text, attribute values that need normalising
 * (&, tab, CR, LF), a testcase inside a testcase, a missing or empty name, more than
 * MAX_ATTRS attributes, or prefix_of answering None). The text is never trusted to be
 * well-formed: every index is bounds-checked, and well-formedness itself is expat's job.
 *
 * rows[i] is (id, suite, name, file, 0, duration, 0, None, None, None) with
 * id = prefix + name, (prefix, file) = prefix_of(classname, file attribute or None),
 * duration = the time attribute read as a float (parse_time(value) whenever that is not a
 * plain finite float in [0, 1e9)). special lists the indices of testcases whose body holds
 * markup other than <system-out>/<system-err> of plain text (captured output, never used);
 * held maps those, the first testcase and every testcase repeating its predecessor's
 * id (a rerun) to (body, attribute dict), for the exact handlers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_ATTRS 32
#define TIME_BUF 64

typedef struct {
    Py_ssize_t name, name_len, value, value_len;
} Attr;

static int name_start(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':';
}

static int name_char(unsigned char c) {
    return name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

static int space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int is(const char *s, const Attr *a, const char *word) {
    size_t len = strlen(word);
    return (size_t)a->name_len == len && memcmp(s + a->name, word, len) == 0;
}

/* Index of the first occurrence of needle in s[from:n], or -1. */
static Py_ssize_t find(const char *s, Py_ssize_t from, Py_ssize_t n, const char *needle) {
    Py_ssize_t len = (Py_ssize_t)strlen(needle);
    while (from + len <= n) {
        const char *lt = memchr(s + from, needle[0], (size_t)(n - from));
        if (lt == NULL) return -1;
        from = lt - s;
        if (from + len > n) return -1;
        if (memcmp(s + from, needle, (size_t)len) == 0) return from;
        from++;
    }
    return -1;
}

/* Whether s[b:e] holds only text and <system-out>/<system-err> elements of plain text: captured
 * output, which the reader never uses, so the testcase is a plain row. */
static int only_output(const char *s, Py_ssize_t b, Py_ssize_t e) {
    static const char *const tags[] = {"system-out", "system-err"};
    Py_ssize_t pos = b;
    for (;;) {
        const char *lt = pos < e ? memchr(s + pos, '<', (size_t)(e - pos)) : NULL;
        if (lt == NULL) return 1;
        pos = lt - s + 1;
        int matched = 0;
        for (int t = 0; t < 2 && !matched; t++) {
            Py_ssize_t len = (Py_ssize_t)strlen(tags[t]);
            if (e - pos < len + 1 || memcmp(s + pos, tags[t], (size_t)len) != 0) continue;
            Py_ssize_t after = pos + len;
            if (s[after] == '/' && after + 1 < e && s[after + 1] == '>') {
                pos = after + 2; /* <system-out/> */
                matched = 1;
            } else if (s[after] == '>') {
                const char *end = memchr(s + after, '<', (size_t)(e - after));
                if (end == NULL) return 0;
                Py_ssize_t close = end - s; /* must be </tag> */
                if (e - close < len + 3 || s[close + 1] != '/' ||
                    memcmp(s + close + 2, tags[t], (size_t)len) != 0 || s[close + 2 + len] != '>')
                    return 0;
                pos = close + 3 + len;
                matched = 1;
            }
        }
        if (!matched) return 0;
    }
}

static PyObject *duration(const char *s, const Attr *t, PyObject *parse_time) {
    if (t == NULL) return PyFloat_FromDouble(0.0);
    if (t->value_len > 0 && t->value_len < TIME_BUF) {
        char buf[TIME_BUF];
        char *end = NULL;
        memcpy(buf, s + t->value, (size_t)t->value_len);
        buf[t->value_len] = '\0';
        double v = PyOS_string_to_double(buf, &end, NULL);
        if (v == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
        } else if (end == buf + t->value_len && isfinite(v) && v >= 0.0 && v < 1e9) {
            return PyFloat_FromDouble(v);
        }
    }
    PyObject *text = PyUnicode_FromStringAndSize(s + t->value, t->value_len);
    if (text == NULL) return NULL;
    PyObject *v = PyObject_CallOneArg(parse_time, text);
    Py_DECREF(text);
    return v;
}

static PyObject *attr_dict(const char *s, const Attr *attrs, int count) {
    PyObject *d = PyDict_New();
    if (d == NULL) return NULL;
    for (int i = 0; i < count; i++) {
        PyObject *k = PyUnicode_FromStringAndSize(s + attrs[i].name, attrs[i].name_len);
        PyObject *v = PyUnicode_FromStringAndSize(s + attrs[i].value, attrs[i].value_len);
        if (k == NULL || v == NULL || PyDict_SetItem(d, k, v) < 0) {
            Py_XDECREF(k);
            Py_XDECREF(v);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(k);
        Py_DECREF(v);
    }
    return d;
}

/* The id: prefix + name, without a second copy of name when the prefix is ASCII. */
static PyObject *make_id(PyObject *prefix, const char *name, Py_ssize_t len) {
    if (!PyUnicode_IS_ASCII(prefix)) {
        PyObject *n = PyUnicode_FromStringAndSize(name, len);
        if (n == NULL) return NULL;
        PyObject *id = PyUnicode_Concat(prefix, n);
        Py_DECREF(n);
        return id;
    }
    Py_ssize_t plen = PyUnicode_GET_LENGTH(prefix);
    PyObject *id = PyUnicode_New(plen + len, 127);
    if (id == NULL) return NULL;
    memcpy(PyUnicode_1BYTE_DATA(id), PyUnicode_1BYTE_DATA(prefix), (size_t)plen);
    memcpy(PyUnicode_1BYTE_DATA(id) + plen, name, (size_t)len);
    return id;
}

typedef struct {
    PyObject *rows, *special, *held;
    PyObject *prefix, *path;             /* of the last (classname, file) */
    Py_ssize_t cls, cls_len, file, file_len; /* that classname and file; file -1 when absent */
} Out;

static void out_clear(Out *o) {
    Py_XDECREF(o->rows);
    Py_XDECREF(o->special);
    Py_XDECREF(o->held);
    Py_XDECREF(o->prefix);
    Py_XDECREF(o->path);
}

/* 1 done, 0 not this region, -1 error. */
static int lookup_prefix(Out *o, const char *s, const Attr *cls, const Attr *file,
                         PyObject *prefix_of) {
    Py_ssize_t c = cls ? cls->value : 0, cl = cls ? cls->value_len : 0;
    Py_ssize_t f = file ? file->value : -1, fl = file ? file->value_len : 0;
    if (o->prefix != NULL && cl == o->cls_len && memcmp(s + c, s + o->cls, (size_t)cl) == 0 &&
        (f < 0) == (o->file < 0) && (f < 0 || (fl == o->file_len &&
                                               memcmp(s + f, s + o->file, (size_t)fl) == 0)))
        return 1;
    PyObject *cname = PyUnicode_FromStringAndSize(s + c, cl);
    PyObject *fname = f < 0 ? Py_NewRef(Py_None) : PyUnicode_FromStringAndSize(s + f, fl);
    if (cname == NULL || fname == NULL) {
        Py_XDECREF(cname);
        Py_XDECREF(fname);
        return -1;
    }
    PyObject *found = PyObject_CallFunctionObjArgs(prefix_of, cname, fname, NULL);
    Py_DECREF(cname);
    Py_DECREF(fname);
    if (found == NULL) return -1;
    if (found == Py_None) {
        Py_DECREF(found);
        return 0;
    }
    if (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) != 2 ||
        !PyUnicode_Check(PyTuple_GET_ITEM(found, 0))) {
        Py_DECREF(found);
        PyErr_SetString(PyExc_TypeError, "prefix_of must return None or (str, str | None)");
        return -1;
    }
    Py_XSETREF(o->prefix, Py_NewRef(PyTuple_GET_ITEM(found, 0)));
    Py_XSETREF(o->path, Py_NewRef(PyTuple_GET_ITEM(found, 1)));
    Py_DECREF(found);
    o->cls = c;
    o->cls_len = cl;
    o->file = f;
    o->file_len = fl;
    return 1;
}

static PyObject *scan(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *text, *suite, *prefix_of, *parse_time;
    if (!PyArg_ParseTuple(args, "UOOO", &text, &suite, &prefix_of, &parse_time)) return NULL;
    if (!PyUnicode_IS_ASCII(text)) Py_RETURN_NONE;
    const char *s = (const char *)PyUnicode_1BYTE_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), pos = 0;
    Out o = {PyList_New(0), PyList_New(0), PyDict_New(), NULL, NULL, 0, 0, -1, 0};
    PyObject *previous = NULL; /* borrowed: the id of the last row */
    if (!o.rows || !o.special || !o.held) goto error;

    for (;;) {
        const char *lt = pos < n ? memchr(s + pos, '<', (size_t)(n - pos)) : NULL;
        if (lt == NULL) break; /* text after the last testcase is never used */
        pos = lt - s;
        if (n - pos < 10 || memcmp(s + pos, "<testcase", 9) != 0) goto other;
        pos += 9;
        if (!(space((unsigned char)s[pos]) || s[pos] == '/' || s[pos] == '>')) goto other;

        Attr attrs[MAX_ATTRS];
        int count = 0, closed = 0;
        const Attr *cls = NULL, *name = NULL, *file = NULL, *time = NULL;
        for (;;) {
            Py_ssize_t before = pos;
            while (pos < n && space((unsigned char)s[pos])) pos++;
            if (pos >= n) goto other;
            if (s[pos] == '/') {
                if (pos + 1 >= n || s[pos + 1] != '>') goto other;
                pos += 2;
                closed = 1;
                break;
            }
            if (s[pos] == '>') {
                pos++;
                break;
            }
            if (pos == before || count == MAX_ATTRS || !name_start((unsigned char)s[pos]))
                goto other;
            Attr *a = &attrs[count];
            a->name = pos;
            while (pos < n && name_char((unsigned char)s[pos])) pos++;
            a->name_len = pos - a->name;
            while (pos < n && space((unsigned char)s[pos])) pos++;
            if (pos >= n || s[pos] != '=') goto other;
            pos++;
            while (pos < n && space((unsigned char)s[pos])) pos++;
            if (pos >= n || (s[pos] != '"' && s[pos] != '\'')) goto other;
            const char *q = memchr(s + pos + 1, s[pos], (size_t)(n - pos - 1));
            if (q == NULL) goto other;
            a->value = pos + 1;
            a->value_len = (q - s) - a->value;
            pos = (q - s) + 1;
            for (Py_ssize_t i = a->value; i < a->value + a->value_len; i++) {
                char c = s[i];
                if (c == '<' || c == '&' || c == '\t' || c == '\n' || c == '\r') goto other;
            }
            for (int j = 0; j < count; j++) {
                if (attrs[j].name_len == a->name_len &&
                    memcmp(s + attrs[j].name, s + a->name, (size_t)a->name_len) == 0)
                    goto other;
            }
            if (is(s, a, "classname")) cls = a;
            else if (is(s, a, "name")) name = a;
            else if (is(s, a, "file")) file = a;
            else if (is(s, a, "time")) time = a;
            count++;
        }
        if (name == NULL || name->value_len == 0) goto other;

        Py_ssize_t body = pos, body_end = pos;
        if (!closed) {
            Py_ssize_t end = find(s, pos, n, "</testcase");
            if (end < 0) goto other;
            body_end = end;
            pos = end + 10;
            while (pos < n && space((unsigned char)s[pos])) pos++;
            if (pos >= n || s[pos] != '>') goto other;
            pos++;
            if (find(s, body, body_end, "<testcase") >= 0) goto other;
        }
        int found = lookup_prefix(&o, s, cls, file, prefix_of);
        if (found < 0) goto error;
        if (found == 0) goto other;

        PyObject *row = PyTuple_New(10);
        if (row == NULL) goto error;
        PyObject *id = make_id(o.prefix, s + name->value, name->value_len);
        PyObject *nm = PyUnicode_FromStringAndSize(s + name->value, name->value_len);
        PyObject *dur = duration(s, time, parse_time);
        if (id == NULL || nm == NULL || dur == NULL) {
            Py_XDECREF(id);
            Py_XDECREF(nm);
            Py_XDECREF(dur);
            Py_DECREF(row);
            goto error;
        }
        PyObject *zero = PyLong_FromLong(0);
        PyTuple_SET_ITEM(row, 0, id);
        PyTuple_SET_ITEM(row, 1, Py_NewRef(suite));
        PyTuple_SET_ITEM(row, 2, nm);
        PyTuple_SET_ITEM(row, 3, Py_NewRef(o.path));
        PyTuple_SET_ITEM(row, 4, zero);
        PyTuple_SET_ITEM(row, 5, dur);
        PyTuple_SET_ITEM(row, 6, Py_NewRef(zero));
        PyTuple_SET_ITEM(row, 7, Py_NewRef(Py_None));
        PyTuple_SET_ITEM(row, 8, Py_NewRef(Py_None));
        PyTuple_SET_ITEM(row, 9, Py_NewRef(Py_None));
        Py_ssize_t index = PyList_GET_SIZE(o.rows);
        int rerun = previous != NULL && PyUnicode_Compare(id, previous) == 0;
        int failed = PyList_Append(o.rows, row);
        Py_DECREF(row);
        if (failed < 0) goto error;
        previous = id; /* the list holds the row, the row holds the id */

        int markup = body_end > body && memchr(s + body, '<', (size_t)(body_end - body)) != NULL &&
                     !only_output(s, body, body_end);
        if (markup || rerun || index == 0) {
            PyObject *i = PyLong_FromSsize_t(index);
            PyObject *b = PyUnicode_FromStringAndSize(s + body, body_end - body);
            PyObject *d = attr_dict(s, attrs, count);
            PyObject *pair = (b && d) ? PyTuple_Pack(2, b, d) : NULL;
            int bad = i == NULL || pair == NULL || PyDict_SetItem(o.held, i, pair) < 0 ||
                      (markup && PyList_Append(o.special, i) < 0);
            Py_XDECREF(i);
            Py_XDECREF(b);
            Py_XDECREF(d);
            Py_XDECREF(pair);
            if (bad) goto error;
        }
    }
    if (PyList_GET_SIZE(o.rows) == 0) goto other;
    PyObject *result = PyTuple_Pack(3, o.rows, o.special, o.held);
    out_clear(&o);
    return result;

other:
    out_clear(&o);
    Py_RETURN_NONE;
error:
    out_clear(&o);
    return NULL;
}

#ifdef READINESS_LEDGER_SHA256
/* readiness.ledger.verify: the Merkle hashes of RFC 9162 (SHA-256 of 0x00 || entry for a leaf,
 * of 0x01 || left || right for a node), many at a time, the GIL released while hashing.
 *
 * leaf_hashes(entries) -> bytes: the leaf hashes of a sequence of bytes objects, concatenated
 * (32 bytes each, in order).
 * node_level(hashes) -> bytes: from concatenated hashes of one level (a multiple of 32 bytes),
 * the parents of each complete pair, concatenated (an odd last hash has none).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

static PyObject *leaf_hashes(PyObject *self, PyObject *arg) {
    (void)self;
    PyObject *seq = PySequence_Fast(arg, "leaf_hashes() takes a sequence of bytes");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    const unsigned char **data = PyMem_Malloc(sizeof(*data) * (size_t)(n ? n : 1));
    size_t *sizes = PyMem_Malloc(sizeof(*sizes) * (size_t)(n ? n : 1));
    PyObject **held = PyMem_Malloc(sizeof(*held) * (size_t)(n ? n : 1));
    PyObject *out = NULL;
    Py_ssize_t taken = 0;
    if (data == NULL || sizes == NULL || held == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; taken < n; taken++) { /* held: a list changed by another thread keeps these alive */
        PyObject *item = items[taken];
        if (!PyBytes_Check(item)) {
            PyErr_Format(PyExc_TypeError, "leaf_hashes(): item %zd is not bytes", taken);
            goto done;
        }
        Py_INCREF(item);
        held[taken] = item;
        data[taken] = (const unsigned char *)PyBytes_AS_STRING(item);
        sizes[taken] = (size_t)PyBytes_GET_SIZE(item);
    }
    out = PyBytes_FromStringAndSize(NULL, n * SHA256_DIGEST_LENGTH);
    if (out == NULL) goto done;
    unsigned char *digests = (unsigned char *)PyBytes_AS_STRING(out);
    Py_BEGIN_ALLOW_THREADS
    static const unsigned char leaf = 0x00;
    for (Py_ssize_t i = 0; i < n; i++) {
        SHA256_CTX ctx;
        SHA256_Init(&ctx);
        SHA256_Update(&ctx, &leaf, 1);
        SHA256_Update(&ctx, data[i], sizes[i]);
        SHA256_Final(digests + i * SHA256_DIGEST_LENGTH, &ctx);
    }
    Py_END_ALLOW_THREADS
done:
    for (Py_ssize_t i = 0; i < taken; i++) Py_DECREF(held[i]);
    PyMem_Free(data);
    PyMem_Free(sizes);
    PyMem_Free(held);
    Py_DECREF(seq);
    return out;
}

static PyObject *node_level(PyObject *self, PyObject *arg) {
    (void)self;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    if (view.len % SHA256_DIGEST_LENGTH != 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "node_level(): not a whole number of 32-byte hashes");
        return NULL;
    }
    Py_ssize_t parents = view.len / (2 * SHA256_DIGEST_LENGTH);
    PyObject *out = PyBytes_FromStringAndSize(NULL, parents * SHA256_DIGEST_LENGTH);
    if (out == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    unsigned char *digests = (unsigned char *)PyBytes_AS_STRING(out);
    const unsigned char *children = view.buf;
    Py_BEGIN_ALLOW_THREADS
    static const unsigned char node = 0x01;
    for (Py_ssize_t i = 0; i < parents; i++) {
        SHA256_CTX ctx;
        SHA256_Init(&ctx);
        SHA256_Update(&ctx, &node, 1);
        SHA256_Update(&ctx, children + 2 * i * SHA256_DIGEST_LENGTH, 2 * SHA256_DIGEST_LENGTH);
        SHA256_Final(digests + i * SHA256_DIGEST_LENGTH, &ctx);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return out;
}
#endif

/* The redaction validators (readiness.logs.redaction.validators) for plain ASCII input: the
 * same answers as the Python functions, None where they would take another path (non-ASCII
 * digits or letters, other characters), so the caller then runs the Python function. */

static PyObject *card_valid(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyUnicode_Check(arg) || !PyUnicode_IS_ASCII(arg)) Py_RETURN_NONE;
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    const unsigned char *d = PyUnicode_1BYTE_DATA(arg);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (d[i] < '0' || d[i] > '9') Py_RETURN_NONE;
    }
    if (n < 13 || n > 19) Py_RETURN_FALSE;
    int two = (d[0] - '0') * 10 + (d[1] - '0');
    int three = two * 10 + (d[2] - '0');
    int four = three * 10 + (d[3] - '0');
    /* validators.card_brand is not None (n is 19 at most). */
    int known = (d[0] == '4' && (n == 13 || n == 16 || n == 19))
                || (((51 <= two && two <= 55) || (2221 <= four && four <= 2720)) && n == 16)
                || ((two == 34 || two == 37) && n == 15)
                || ((four == 6011 || two == 65 || (644 <= three && three <= 649)) && n >= 16)
                || (two == 35 && n >= 16)
                || ((two == 30 || two == 36 || two == 38) && n == 14)
                || (two == 62 && n >= 16);
    if (!known) Py_RETURN_FALSE;
    int total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int v = d[n - 1 - i] - '0';
        if (i % 2 == 1) v = v > 4 ? v * 2 - 9 : v * 2;
        total += v;
    }
    return PyBool_FromLong(total % 10 == 0);
}

static PyObject *iban_valid(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *text, *lengths;
    if (!PyArg_ParseTuple(args, "UO!", &text, &PyDict_Type, &lengths)) return NULL;
    if (!PyUnicode_IS_ASCII(text)) Py_RETURN_NONE;
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    const unsigned char *s = PyUnicode_1BYTE_DATA(text);
    unsigned char iban[64];
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        unsigned char c = s[i];
        if (c == ' ') continue;
        if (c >= 'a' && c <= 'z') c = (unsigned char)(c - 'a' + 'A');
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) Py_RETURN_NONE;
        if (n == (Py_ssize_t)sizeof(iban)) Py_RETURN_NONE;
        iban[n++] = c;
    }
    long expected = -1;
    if (n >= 2) {
        PyObject *country = PyUnicode_FromStringAndSize((const char *)iban, 2);
        if (country == NULL) return NULL;
        PyObject *found = PyDict_GetItemWithError(lengths, country);
        Py_DECREF(country);
        if (found == NULL && PyErr_Occurred()) return NULL;
        if (found != NULL) {
            expected = PyLong_AsLong(found);
            if (expected == -1 && PyErr_Occurred()) return NULL;
        }
    }
    if (expected < 0 && !(15 <= n && n <= 34)) Py_RETURN_FALSE;
    if (expected >= 0 && n != expected) Py_RETURN_FALSE;
    if (n < 4) Py_RETURN_NONE;
    int rest = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        unsigned char c = iban[(k + 4) % n];
        if (c <= '9') rest = (rest * 10 + (c - '0')) % 97;
        else rest = (rest * 100 + (c - 'A' + 10)) % 97;
    }
    return PyBool_FromLong(rest == 1);
}

/* GateLines(texts): the match handler of one Hyperscan scan of "\n" + "\n".join(texts) + "\n"
 * (readiness.logs.redaction.gates.many): each call (gate, from, to, flags, context) marks the
 * gate on the line of the match's last character; found() gives each line's gates, ascending.
 * Gates 0 to 63 only (the caller checks). */

typedef struct {
    PyObject_HEAD
    Py_ssize_t lines;
    unsigned long long *newlines; /* where each line's newline is: its length plus one, summed */
    unsigned long long *gates;    /* each line's gates, one bit each */
} GateLines;

static void gate_lines_dealloc(GateLines *self) {
    PyMem_Free(self->newlines);
    PyMem_Free(self->gates);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *gate_lines_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    PyObject *texts;
    if (kwds != NULL && PyDict_GET_SIZE(kwds) != 0) {
        PyErr_SetString(PyExc_TypeError, "GateLines() takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O:GateLines", &texts)) return NULL;
    PyObject *seq = PySequence_Fast(texts, "GateLines(): texts must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    GateLines *self = (GateLines *)type->tp_alloc(type, 0);
    if (self == NULL) {
        Py_DECREF(seq);
        return NULL;
    }
    self->lines = n;
    self->newlines = PyMem_Calloc(n ? (size_t)n : 1, sizeof(unsigned long long));
    self->gates = PyMem_Calloc(n ? (size_t)n : 1, sizeof(unsigned long long));
    if (self->newlines == NULL || self->gates == NULL) {
        Py_DECREF(seq);
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    unsigned long long at = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *text = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(text)) {
            Py_DECREF(seq);
            Py_DECREF(self);
            PyErr_SetString(PyExc_TypeError, "GateLines(): texts must be strings");
            return NULL;
        }
        at += (unsigned long long)PyUnicode_GET_LENGTH(text) + 1;
        self->newlines[i] = at;
    }
    Py_DECREF(seq);
    return (PyObject *)self;
}

static PyObject *gate_lines_call(GateLines *self, PyObject *args, PyObject *kwds) {
    (void)kwds;
    if (!PyTuple_Check(args) || PyTuple_GET_SIZE(args) < 3) {
        PyErr_SetString(PyExc_TypeError, "GateLines: called with (gate, from, to, ...)");
        return NULL;
    }
    unsigned long long gate = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(args, 0));
    if (gate == (unsigned long long)-1 && PyErr_Occurred()) return NULL;
    unsigned long long end = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(args, 2));
    if (end == (unsigned long long)-1 && PyErr_Occurred()) return NULL;
    if (gate >= 64) {
        PyErr_SetString(PyExc_ValueError, "GateLines: gates 0 to 63 only");
        return NULL;
    }
    /* bisect_left(newlines, end - 1) */
    unsigned long long key = end - 1;
    Py_ssize_t lo = 0, hi = self->lines;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (self->newlines[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    if (lo < self->lines) self->gates[lo] |= 1ULL << gate;
    Py_RETURN_NONE;
}

static PyObject *gate_lines_found(GateLines *self, PyObject *unused) {
    (void)unused;
    PyObject *out = PyList_New(self->lines);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < self->lines; i++) {
        unsigned long long bits = self->gates[i];
        PyObject *line = PyList_New(0);
        if (line == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        for (int gate = 0; bits != 0; gate++, bits >>= 1) {
            if (!(bits & 1ULL)) continue;
            PyObject *number = PyLong_FromLong(gate);
            if (number == NULL || PyList_Append(line, number) < 0) {
                Py_XDECREF(number);
                Py_DECREF(line);
                Py_DECREF(out);
                return NULL;
            }
            Py_DECREF(number);
        }
        PyList_SET_ITEM(out, i, line);
    }
    return out;
}

static PyMethodDef gate_lines_methods[] = {
    {"found", (PyCFunction)gate_lines_found, METH_NOARGS,
     "found() -> each line's gates, ascending"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject GateLinesType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_readiness_speedups.GateLines",
    .tp_basicsize = sizeof(GateLines),
    .tp_dealloc = (destructor)gate_lines_dealloc,
    .tp_call = (ternaryfunc)gate_lines_call,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "GateLines(texts): a Hyperscan match handler marking each line's gates",
    .tp_methods = gate_lines_methods,
    .tp_new = gate_lines_new,
};

/* detectors._secret_candidates on an ASCII text (None otherwise): whether a run of token
 * characters (ASCII letters and digits, "+/_-=") is 20 long or more and either holds a
 * character other than a hex digit or "-", or fewer than 16 characters besides its dashes. */
static PyObject *secret_candidates(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyUnicode_Check(arg) || !PyUnicode_IS_ASCII(arg)) Py_RETURN_NONE;
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    const unsigned char *s = PyUnicode_1BYTE_DATA(arg);
    Py_ssize_t run = 0, dashes = 0;
    int other = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        unsigned char c = i < n ? s[i] : 0;
        int digit = c >= '0' && c <= '9';
        int hex_letter = (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (digit || letter || c == '+' || c == '/' || c == '_' || c == '-' || c == '=') {
            run++;
            if (c == '-') dashes++;
            else if (!digit && !hex_letter) other = 1;
            continue;
        }
        if (run >= 20 && (other || run - dashes < 16)) Py_RETURN_TRUE;
        run = 0;
        dashes = 0;
        other = 0;
    }
    Py_RETURN_FALSE;
}

/* The output of a substitution: grown as needed, so no assumption on how much a replacement
 * adds can overrun it. */
typedef struct {
    char *data;
    Py_ssize_t used, cap;
} Text;

/* Append ``len`` bytes; -1 with MemoryError set when it cannot grow. */
static int text_put(Text *t, const void *src, Py_ssize_t len) {
    if (len <= 0) return 0;
    if (len > PY_SSIZE_T_MAX - t->used) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t need = t->used + len;
    if (need > t->cap) {
        Py_ssize_t cap = t->cap > 0 ? t->cap : 64;
        while (cap < need) cap = cap > PY_SSIZE_T_MAX / 2 ? need : cap * 2;
        char *grown = PyMem_Realloc(t->data, (size_t)cap);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->used, src, (size_t)len);
    t->used = need;
    return 0;
}

/* One match of a substitution: s[start:end] appended to ``found``, then s[copied:keep] and
 * ``marker`` to ``t`` (the caller carries on from ``end``). -1 with an exception set. */
static int text_replace(PyObject *found, Text *t, const unsigned char *s, Py_ssize_t copied,
                        Py_ssize_t start, Py_ssize_t end, Py_ssize_t keep, const char *marker) {
    PyObject *original = PyUnicode_FromStringAndSize((const char *)s + start, end - start);
    if (original == NULL) return -1;
    int failed = PyList_Append(found, original) < 0;
    Py_DECREF(original);
    if (failed || text_put(t, s + copied, keep - copied) < 0) return -1;
    return text_put(t, marker, (Py_ssize_t)strlen(marker));
}

/* The (text, matches, markers) triple of a substitution: ``arg`` itself when nothing was
 * replaced (``t`` unused), else ``t`` with the rest of ``s`` from ``copied``. Frees ``t``. */
static PyObject *text_result(PyObject *arg, Text *t, const unsigned char *s, Py_ssize_t n,
                             Py_ssize_t copied, PyObject *found, PyObject *markers) {
    PyObject *out;
    if (t->data == NULL) {
        Py_INCREF(arg);
        out = arg;
    } else {
        out = text_put(t, s + copied, n - copied) < 0
                  ? NULL
                  : PyUnicode_FromStringAndSize(t->data, t->used);
        PyMem_Free(t->data);
        t->data = NULL;
    }
    if (out == NULL) {
        Py_DECREF(found);
        return NULL;
    }
    PyObject *triple = PyTuple_Pack(3, out, found, markers);
    Py_DECREF(out);
    Py_DECREF(found);
    return triple;
}

/* The SSN detector (detectors._SSN and _ssn) on an ASCII text (None otherwise): what
 * _SSN.sub(_ssn...) gives, and the matches replaced. A match is 3 digits (not after a word
 * character or "-"), " " or "-", 2 digits, the same separator, 4 digits (not before a word
 * character or "-"); it is replaced by [SSN] when the SSA can issue it (validators.ssn_valid). */
static int ssn_word(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
           || c == '-';
}

static int ssn_digits(const unsigned char *s, Py_ssize_t at, Py_ssize_t count) {
    for (Py_ssize_t k = 0; k < count; k++) {
        if (s[at + k] < '0' || s[at + k] > '9') return 0;
    }
    return 1;
}

static PyObject *ssn_sub(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyUnicode_Check(arg) || !PyUnicode_IS_ASCII(arg)) Py_RETURN_NONE;
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    const unsigned char *s = PyUnicode_1BYTE_DATA(arg);
    PyObject *found = PyList_New(0);
    if (found == NULL) return NULL;
    Text t = {NULL, 0, 0};
    Py_ssize_t copied = 0; /* s[:copied] is in t */
    Py_ssize_t i = 0;
    while (i + 11 <= n) {
        unsigned char sep = s[i + 3];
        if (!ssn_digits(s, i, 3) || (i > 0 && ssn_word(s[i - 1])) || (sep != ' ' && sep != '-')
            || !ssn_digits(s, i + 4, 2) || s[i + 6] != sep || !ssn_digits(s, i + 7, 4)
            || (i + 11 < n && ssn_word(s[i + 11]))) {
            i++;
            continue;
        }
        const unsigned char *a = s + i;
        int valid = !(a[0] == '0' && a[1] == '0' && a[2] == '0')
                    && !(a[0] == '6' && a[1] == '6' && a[2] == '6') && a[0] != '9'
                    && !(a[4] == '0' && a[5] == '0')
                    && !(a[7] == '0' && a[8] == '0' && a[9] == '0' && a[10] == '0');
        if (valid) {
            if (text_replace(found, &t, s, copied, i, i + 11, i, "[SSN]") < 0) goto fail;
            copied = i + 11;
        }
        i += 11;
    }
    return text_result(arg, &t, s, n, copied, found, Py_True);
fail:
    PyMem_Free(t.data);
    Py_DECREF(found);
    return NULL;
}

/* The IPv4 detector (detectors._IPV4 and _ipv4) on an ASCII text (None otherwise): what
 * _IPV4.sub(_ipv4...) gives, the matches, and False (the replacements are not markers). A
 * match is four octets (0 to 255, no leading zero) joined by "." after neither a word character
 * nor "."; no word character or "/" follows it, nor "." and a word character. Each octet is a
 * whole run of digits (a "." or that look follows it), so it is one. Each becomes its first
 * three octets and ".0/24". */
static int ipv4_word(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static Py_ssize_t ipv4_octet(const unsigned char *s, Py_ssize_t n, Py_ssize_t at) {
    /* The length of the octet at ``at`` (the whole run of digits there), or 0. */
    Py_ssize_t len = 0;
    while (at + len < n && s[at + len] >= '0' && s[at + len] <= '9') len++;
    const unsigned char *d = s + at;
    if (len == 1) return 1;
    if (len == 2) return d[0] != '0' ? 2 : 0;
    if (len == 3) {
        int ok = d[0] == '1' || (d[0] == '2' && (d[1] <= '4' || (d[1] == '5' && d[2] <= '5')));
        return ok ? 3 : 0;
    }
    return 0;
}

static PyObject *ipv4_sub(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyUnicode_Check(arg) || !PyUnicode_IS_ASCII(arg)) Py_RETURN_NONE;
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    const unsigned char *s = PyUnicode_1BYTE_DATA(arg);
    PyObject *found = PyList_New(0);
    if (found == NULL) return NULL;
    Text t = {NULL, 0, 0};
    Py_ssize_t copied = 0, i = 0;
    while (i < n) {
        if (s[i] < '0' || s[i] > '9' || (i > 0 && (ipv4_word(s[i - 1]) || s[i - 1] == '.'))) {
            i++;
            continue;
        }
        Py_ssize_t at = i, last = 0, end = 0;
        int k = 0;
        for (; k < 4; k++) {
            Py_ssize_t len = ipv4_octet(s, n, at);
            if (len == 0) break;
            if (k < 3) {
                if (at + len >= n || s[at + len] != '.') break;
                at += len + 1;
            } else {
                last = at;
                end = at + len;
            }
        }
        if (k < 4 || (end < n && (ipv4_word(s[end]) || s[end] == '/'))
            || (end + 1 < n && s[end] == '.' && ipv4_word(s[end + 1]))) {
            i++;
            continue;
        }
        if (text_replace(found, &t, s, copied, i, end, last, "0/24") < 0) goto fail;
        copied = end;
        i = end;
    }
    return text_result(arg, &t, s, n, copied, found, Py_False);
fail:
    PyMem_Free(t.data);
    Py_DECREF(found);
    return NULL;
}

/* The e-mail detector (detectors._EMAIL, every match [EMAIL]) on an ASCII text (None otherwise):
 * (the text with each address as [EMAIL], the addresses, True). A match starts a run of local
 * characters (letters, digits, "._%+-") of 64 at most, then "@" and labels (runs of letters,
 * digits and "-", 63 at most) joined by "."; the last label taken is 2 to 63 letters with no
 * label character after it, and as many labels are taken as allow one. (The local part is
 * possessive and each label is followed by "." or ends the match, so every run is whole.) */
static int email_local(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.'
           || c == '_' || c == '%' || c == '+' || c == '-';
}

static int email_label(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* The end of the address starting at ``i`` (a local run's start), or -1. */
static Py_ssize_t email_end(const unsigned char *s, Py_ssize_t n, Py_ssize_t i) {
    Py_ssize_t at = i;
    while (at < n && email_local(s[at])) at++;
    if (at - i > 64 || at >= n || s[at] != '@') return -1;
    at++;
    Py_ssize_t labels = 0, end = -1;
    for (;;) {
        Py_ssize_t start = at;
        int letters = 1;
        while (at < n && email_label(s[at])) {
            unsigned char c = s[at];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) letters = 0;
            at++;
        }
        Py_ssize_t len = at - start;
        if (len < 1 || len > 63) break;
        labels++;
        if (labels >= 2 && letters && len >= 2) end = at;
        if (at >= n || s[at] != '.') break;
        at++;
    }
    return end;
}

static PyObject *email_sub(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyUnicode_Check(arg) || !PyUnicode_IS_ASCII(arg)) Py_RETURN_NONE;
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    const unsigned char *s = PyUnicode_1BYTE_DATA(arg);
    PyObject *found = PyList_New(0);
    if (found == NULL) return NULL;
    Text t = {NULL, 0, 0};
    Py_ssize_t copied = 0, i = 0;
    while (i < n) {
        Py_ssize_t end = -1;
        if (email_local(s[i]) && (i == 0 || !email_local(s[i - 1]))) end = email_end(s, n, i);
        if (end < 0) {
            i++;
            continue;
        }
        if (text_replace(found, &t, s, copied, i, end, i, "[EMAIL]") < 0) goto fail;
        copied = end;
        i = end;
    }
    return text_result(arg, &t, s, n, copied, found, Py_True);
fail:
    PyMem_Free(t.data);
    Py_DECREF(found);
    return NULL;
}

/* detectors._ipv6 of an address written the plain way (8 groups of 1 to 4 hex digits, or fewer
 * around one "::"; only hex digits and colons): its /48 network as ipaddress prints it (the
 * first three groups, trailing zero groups dropped, then "::/48"); None for anything else
 * (detectors._ipv6 then decides). */
static int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The groups of s[from:to] split on ":" (none when empty): their count, or -1 when one is
 * empty, longer than 4 or not hex, or there are more than ``most``. */
static int ipv6_groups(const unsigned char *s, Py_ssize_t from, Py_ssize_t to, int most,
                       int *values) {
    if (from == to) return 0;
    int count = 0, len = 0, value = 0;
    for (Py_ssize_t i = from; i <= to; i++) {
        if (i == to || s[i] == ':') {
            if (len == 0 || count == most) return -1;
            values[count++] = value;
            len = 0;
            value = 0;
            continue;
        }
        int v = hex_value(s[i]);
        if (v < 0 || ++len > 4) return -1;
        value = value * 16 + v;
    }
    return count;
}

static PyObject *ipv6_network(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyUnicode_Check(arg) || !PyUnicode_IS_ASCII(arg)) Py_RETURN_NONE;
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    const unsigned char *s = PyUnicode_1BYTE_DATA(arg);
    Py_ssize_t colons = 0, other = 0, dbl = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (s[i] == ':') {
            colons++;
            if (dbl < 0 && i + 1 < n && s[i + 1] == ':') dbl = i;
        } else {
            other++;
        }
    }
    if (colons < 2 || other == 0) Py_RETURN_NONE;
    int groups[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (dbl >= 0) {
        int left[8], right[8];
        int l = ipv6_groups(s, 0, dbl, 8, left);
        int r = ipv6_groups(s, dbl + 2, n, 8, right);
        if (l < 0 || r < 0 || l + r > 7) Py_RETURN_NONE;
        for (int k = 0; k < l; k++) groups[k] = left[k];
        for (int k = 0; k < r; k++) groups[8 - r + k] = right[k];
    } else if (ipv6_groups(s, 0, n, 8, groups) != 8) {
        Py_RETURN_NONE;
    }
    int kept = 3;
    while (kept > 0 && groups[kept - 1] == 0) kept--;
    char out[32];
    int used = 0;
    for (int k = 0; k < kept; k++) {
        used += snprintf(out + used, sizeof(out) - (size_t)used, k ? ":%x" : "%x", groups[k]);
    }
    used += snprintf(out + used, sizeof(out) - (size_t)used, "::/48");
    return PyUnicode_FromStringAndSize(out, used);
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(text, suite, prefix_of, parse_time) -> (rows, special, held) or None"},
#ifdef READINESS_LEDGER_SHA256
    {"leaf_hashes", leaf_hashes, METH_O,
     "leaf_hashes(entries) -> the RFC 9162 leaf hashes of the entries, concatenated"},
    {"node_level", node_level, METH_O,
     "node_level(hashes) -> the parents of each pair of concatenated 32-byte hashes"},
#endif
    {"card_valid", card_valid, METH_O,
     "card_valid(digits) -> validators.card_valid(digits), or None unless ASCII digits"},
    {"secret_candidates", secret_candidates, METH_O,
     "secret_candidates(text) -> detectors._secret_candidates(text), or None unless ASCII"},
    {"email_sub", email_sub, METH_O,
     "email_sub(text) -> (the text with each address as [EMAIL], the addresses, True), or None "
     "unless ASCII"},
    {"ipv6_network", ipv6_network, METH_O,
     "ipv6_network(text) -> detectors._ipv6 of a plainly written address, or None"},
    {"ssn_sub", ssn_sub, METH_O,
     "ssn_sub(text) -> (the text with each SSN as [SSN], the SSNs, True), or None unless ASCII"},
    {"ipv4_sub", ipv4_sub, METH_O,
     "ipv4_sub(text) -> (the text with each IPv4 address as its /24, the addresses, False), or "
     "None unless ASCII"},
    {"iban_valid", iban_valid, METH_VARARGS,
     "iban_valid(candidate, lengths) -> validators.iban_valid(candidate), or None unless "
     "ASCII letters, digits and spaces"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_readiness_speedups",
    "Optional accelerator for readiness.testhealth.junit_fast, readiness.ledger.verify and "
    "readiness.logs.redaction.validators.", -1,
    methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__readiness_speedups(void) {
    if (PyType_Ready(&GateLinesType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&GateLinesType);
    if (PyModule_AddObject(m, "GateLines", (PyObject *)&GateLinesType) < 0) {
        Py_DECREF(&GateLinesType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
