/*
 * value.c: reading, comparing, printing and encoding compact values (layout in value.h).
 *
 * Everything here is read-only over immutable bytes except the enc_* writers, which append
 * to a buf. Recursion depth is bounded by VAL_MAX_DEPTH, which every document obeys.
 * Printing writes unchecked inside room reserved once per value of up to 1 MiB: no value
 * prints to more than PRINT_BOUND (6 bytes per stored byte, + 16) of JSON text.
 */
#include "value.h"
#include "fmt.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

doc *doc_new(const uint8_t *bytes, size_t size) {
    if (size > UINT32_MAX) return NULL;
    doc *d = malloc(sizeof(doc) + size);
    if (!d) return NULL;
    d->refs = 1;
    d->size = (uint32_t)size;
    memcpy(d->v, bytes, size);
    return d;
}

void doc_unref(doc *d) {
    if (d && --d->refs == 0) free(d);
}

/* Sizes of the fixed-size tags; 0 means "read the length". */
static const uint8_t fixed_size[10] = {1, 1, 1, 9, 5, 9, 0, 0, 0, 0};

static inline size_t size_of(val v) {
    uint8_t t = v[0];
    if (fixed_size[t]) return fixed_size[t];
    return t <= T_STRX ? 5 + (size_t)rd32(v + 1) : 9 + (size_t)rd32(v + 5);
}

size_t val_size(val v) { return size_of(v); }

int val_kind(val v) {
    switch (v[0]) {
    case T_NULL: return K_NULL;
    case T_FALSE: case T_TRUE: return K_BOOL;
    case T_INT32: case T_INT64: case T_DOUBLE: return K_NUM;
    case T_STR: case T_STRX: return K_STR;
    case T_ARR: return K_ARR;
    default: return K_OBJ;
    }
}

int val_within_depth(val v, int max_depth) {
    if (max_depth < 1) return 0;
    if (v[0] != T_ARR && v[0] != T_OBJ) return 1;
    if (max_depth == 1) return val_count(v) == 0;   /* its elements would be one level deeper */
    val_iter it;
    val_iter_init(&it, v);
    for (val m; (m = val_iter_next(&it, v[0] == T_OBJ));)
        if (!val_within_depth(m, max_depth - 1)) return 0;
    return 1;
}
int val_has_nul(val v) {
    if (v[0] == T_STR || v[0] == T_STRX) return memchr(v + 5, 0, rd32(v + 1)) != NULL;
    if (v[0] != T_ARR && v[0] != T_OBJ) return 0;
    val_iter it;
    val_iter_init(&it, v);
    for (val m; (m = val_iter_next(&it, v[0] == T_OBJ));)
        if ((it.key && memchr(it.key, 0, it.klen)) || val_has_nul(m)) return 1;
    return 0;
}

double val_num(val v) {
    if (v[0] == T_DOUBLE) { double d; memcpy(&d, v + 1, 8); return d; }
    return (double)val_int(v);
}

const char *val_str(val v, size_t *len) {
    *len = rd32(v + 1);
    return (const char *)v + 5;
}

uint32_t val_count(val v) { return rd32(v + 1); }

void val_iter_init(val_iter *it, val c) {
    it->p = c + 9;
    it->end = c + 9 + rd32(c + 5);
    it->key = NULL;
    it->klen = 0;
}

val val_iter_next(val_iter *it, int is_object) {
    if (it->p >= it->end) return NULL;
    if (is_object) {
        uint32_t k = rd32(it->p);
        it->klen = k & 0x7fffffffu;
        it->key = (const char *)it->p + 4;
        it->p += 4 + it->klen;
    }
    val v = it->p;
    it->p += val_size(v);
    return v;
}

val val_obj_get(val obj, const char *key, size_t klen) {
    if (obj[0] != T_OBJ) return NULL;
    const uint8_t *p = obj + 9, *end = p + rd32(obj + 5);
    /* Every scan looks up a field in each document: length and first byte first (most keys
       differ there), then the rest byte by byte (keys are short), sizes inline. */
    while (p < end) {
        size_t n = rd32(p) & 0x7fffffffu;
        const uint8_t *v = p + 4 + n;
        if (n == klen && (n == 0 || p[4] == (uint8_t)key[0])) {
            size_t i = 1;
            while (i < n && p[4 + i] == (uint8_t)key[i]) i++;
            if (i >= n) return v;
        }
        p = v + size_of(v);
    }
    return NULL;
}

val val_member(val obj, const char *key) {
    val v = val_obj_get(obj, key, strlen(key));
    return v && v[0] == T_NULL ? NULL : v;
}

val val_path(val obj, const char *path, size_t plen) {
    if (!memchr(path, '.', plen)) return val_obj_get(obj, path, plen);
    val cur = obj;
    size_t start = 0;
    for (size_t i = 0; i <= plen; i++) {
        if (i < plen && path[i] != '.') continue;
        if (!cur || cur[0] != T_OBJ) return NULL;
        cur = val_obj_get(cur, path + start, i - start);
        start = i + 1;
    }
    return cur;
}

static int num_cmp(val a, val b) {
    if (val_is_int(a) && val_is_int(b)) {
        int64_t x = val_int(a), y = val_int(b);
        return x < y ? -1 : x > y;
    }
    double x = val_num(a), y = val_num(b);
    return x < y ? -1 : x > y;
}

static int str_cmp(val a, val b) {
    size_t la, lb;
    const char *sa = val_str(a, &la), *sb = val_str(b, &lb);
    int c = memcmp(sa, sb, la < lb ? la : lb);
    if (c) return c < 0 ? -1 : 1;
    return la < lb ? -1 : la > lb;
}

int val_equal(val a, val b) {
    int ka = val_kind(a);
    if (ka != val_kind(b)) return 0;
    switch (ka) {
    case K_NULL: return 1;
    case K_BOOL: return a[0] == b[0];
    case K_NUM: return num_cmp(a, b) == 0 && !(a[0] == T_DOUBLE && isnan(val_num(a)));
    case K_STR: return str_cmp(a, b) == 0;
    case K_ARR: {
        if (val_count(a) != val_count(b)) return 0;
        val_iter ia, ib;
        val_iter_init(&ia, a); val_iter_init(&ib, b);
        val x, y;
        while ((x = val_iter_next(&ia, 0)) && (y = val_iter_next(&ib, 0)))
            if (!val_equal(x, y)) return 0;
        return 1;
    }
    default: {
        if (val_count(a) != val_count(b)) return 0;
        val_iter it;
        val_iter_init(&it, a);
        val x;
        while ((x = val_iter_next(&it, 1))) {
            val y = val_obj_get(b, it.key, it.klen);
            if (!y || !val_equal(x, y)) return 0;
        }
        return 1;
    }
    }
}

int val_order(val a, val b, int *incomparable) {
    int ka = val_kind(a);
    if (ka != val_kind(b)) { *incomparable = 1; return 0; }
    switch (ka) {
    case K_NULL: return 0;
    case K_BOOL: return (a[0] == T_TRUE) - (b[0] == T_TRUE);
    case K_NUM: return num_cmp(a, b);
    case K_STR: return str_cmp(a, b);
    case K_ARR: {
        /* Python's list order: the first pair of elements that are not equal decides (and
           must itself be ordered); when one list runs out first, it is the smaller. */
        val_iter ia, ib;
        val_iter_init(&ia, a);
        val_iter_init(&ib, b);
        for (;;) {
            val x = val_iter_next(&ia, 0), y = val_iter_next(&ib, 0);
            if (!x || !y) return !x && !y ? 0 : !x ? -1 : 1;
            if (!val_equal(x, y)) return val_order(x, y, incomparable);
        }
    }
    default: *incomparable = 1; return 0;
    }
}

/* Prints v at out->data + out->len. With reserved set, the caller made room for
   PRINT_BOUND(val_size(v)) and nothing is checked: one room check per document instead of one
   per string. Otherwise v reserves its own bound when it is at most 1 MiB stored; a bigger
   container reserves per member, a bigger string is written by buf's checked writer (a bound
   of 6x its size could be far more than it needs). Numbers and escaped strings always go
   through buf's checked writers, out->len kept in step around them. */
/* "s" for n bytes that need no escaping, with no room check (one shared copy: smaller wasm). */
__attribute__((noinline)) static void put_quoted(buf *out, const uint8_t *s, size_t n) {
    char *d = out->data + out->len;
    d[0] = '"';
    /* Keys and most values are short: words and bytes, inline (hs_copy_small's loop, without
       its call: this is the output's hottest copy). */
    if (n <= 32) {
        size_t i = 0;
        for (; i + 8 <= n; i += 8) { uint64_t w; memcpy(&w, s + i, 8); memcpy(d + 1 + i, &w, 8); }
        for (; i < n; i++) d[1 + i] = (char)s[i];
    } else {
        memcpy(d + 1, s, n);
    }
    d[n + 1] = '"';
    out->len += n + 2;
}

#define PRINT_BOUND(size) (6 * (size) + 16)   /* 6x: "\u001f" for one stored byte, "false," */
static void print_value(buf *out, val v, int reserved) {
    if (!reserved) {
        size_t size = val_size(v);
        if (size <= (1u << 20)) {
            if (!buf_reserve(out, PRINT_BOUND(size))) return;
            reserved = 1;
        } else if (v[0] == T_STR || v[0] == T_STRX) {
            buf_put_json_string(out, (const char *)v + 5, rd32(v + 1));
            return;
        } else if (!buf_reserve(out, 1)) {
            return;
        }
    }
    char *d = out->data + out->len;
    switch (v[0]) {
    case T_NULL: memcpy(d, "null", 4); out->len += 4; return;
    case T_FALSE: memcpy(d, "false", 5); out->len += 5; return;
    case T_TRUE: memcpy(d, "true", 4); out->len += 4; return;
    case T_INT32: case T_INT64: buf_put_i64(out, val_int(v)); return;
    case T_DOUBLE: buf_put_double(out, val_num(v)); return;
    case T_STRX: buf_put_json_string(out, (const char *)v + 5, rd32(v + 1)); return;
    case T_STR: put_quoted(out, v + 5, rd32(v + 1)); return;
    default: {
        int is_obj = v[0] == T_OBJ;
        *d = is_obj ? '{' : '[';
        out->len++;
        const uint8_t *p = v + 9, *end = p + rd32(v + 5);
        for (int first = 1; p < end; first = 0) {
            size_t n = is_obj ? rd32(p) & 0x7fffffffu : 0;
            if (!reserved && !buf_reserve(out, 6 * n + 8)) return;   /* comma, key, colon */
            if (!first) out->data[out->len++] = ',';
            if (is_obj) {
                if (rd32(p) & 0x80000000u) buf_put_json_string(out, (const char *)p + 4, n);
                else put_quoted(out, p + 4, n);
                out->data[out->len++] = ':';
                p += 4 + n;
            }
            print_value(out, p, reserved);
            p += val_size(p);
        }
        if (!reserved && !buf_reserve(out, 1)) return;
        out->data[out->len++] = is_obj ? '}' : ']';
        return;
    }
    }
}

void val_print(buf *out, val v) { print_value(out, v, 0); }

/* Python's repr of a float: shortest round trip, always with a '.' or exponent, and
   exponent form below 1e-4 or from 1e16 on ("1e+16", "1.5e-05"). */
static void put_py_float(buf *out, double d) {
    if (isnan(d)) { buf_puts(out, "nan"); return; }
    if (isinf(d)) { buf_puts(out, d < 0 ? "-inf" : "inf"); return; }
    char digits[32];
    fmt_double(d, digits);
    /* Split into sign, mantissa digits and decimal exponent, then lay out as Python does. */
    char mant[32];
    size_t m = 0;
    int exp10 = 0, seen_point = 0, neg = 0, lead = 1, digits_before = 0;
    const char *p = digits;
    if (*p == '-') { neg = 1; p++; }
    for (; *p && *p != 'e'; p++) {
        if (*p == '.') { seen_point = 1; continue; }
        if (lead && *p == '0') { if (seen_point) digits_before--; continue; }
        lead = 0;
        mant[m++] = *p;
        if (!seen_point) digits_before++;
    }
    if (*p == 'e') {                   /* "e+05" or "e-07", as %g writes it */
        int eneg = p[1] == '-';
        for (p += 2; *p >= '0' && *p <= '9'; p++) exp10 = exp10 * 10 + (*p - '0');
        if (eneg) exp10 = -exp10;
    }
    if (m == 0) { buf_puts(out, neg ? "-0.0" : "0.0"); return; }
    while (m > 1 && mant[m - 1] == '0') m--;
    int point = digits_before + exp10; /* digits before the decimal point */
    if (neg) buf_putc(out, '-');
    if (point - 1 < -4 || point - 1 >= 16) {
        buf_putc(out, mant[0]);
        if (m > 1) { buf_putc(out, '.'); buf_put(out, mant + 1, m - 1); }
        char e[16];
        int x = point - 1;
        hs_snprintf(e, sizeof e, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
        buf_puts(out, e);
    } else if (point <= 0) {
        buf_puts(out, "0.");
        for (int i = 0; i < -point; i++) buf_putc(out, '0');
        buf_put(out, mant, m);
    } else {
        for (int i = 0; i < point; i++) buf_putc(out, (size_t)i < m ? mant[i] : '0');
        buf_putc(out, '.');
        if ((size_t)point < m) buf_put(out, mant + point, m - (size_t)point);
        else buf_putc(out, '0');
    }
}

static void pystr_inner(buf *out, val v, int quote_strings);

/* Python's repr() of a string: single quotes unless the text has a single quote and no
   double quote; backslash, the quote, \n \t \r and other control characters escaped. */
static void py_repr_string(buf *out, const char *s, size_t n) {
    int has_single = memchr(s, '\'', n) != NULL, has_double = memchr(s, '"', n) != NULL;
    char q = has_single && !has_double ? '"' : '\'';
    buf_putc(out, q);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' || c == (unsigned char)q) { buf_putc(out, '\\'); buf_putc(out, (char)c); }
        else if (c == '\n') buf_puts(out, "\\n");
        else if (c == '\t') buf_puts(out, "\\t");
        else if (c == '\r') buf_puts(out, "\\r");
        else if (c < 0x20 || c == 0x7f) {
            char esc[5];
            hs_snprintf(esc, sizeof esc, "\\x%02x", c);
            buf_puts(out, esc);
        } else buf_putc(out, (char)c);
    }
    buf_putc(out, q);
}

static void pystr_string(buf *out, val v, int quote) {
    size_t n;
    const char *s = val_str(v, &n);
    if (!quote) buf_put(out, s, n);
    else py_repr_string(out, s, n);
}

static void pystr_inner(buf *out, val v, int quote) {
    switch (v[0]) {
    case T_NULL: buf_puts(out, "None"); return;
    case T_FALSE: buf_puts(out, "False"); return;
    case T_TRUE: buf_puts(out, "True"); return;
    case T_INT32: case T_INT64: buf_put_i64(out, val_int(v)); return;
    case T_DOUBLE: put_py_float(out, val_num(v)); return;
    case T_STR: case T_STRX: pystr_string(out, v, quote); return;
    case T_ARR: {
        buf_putc(out, '[');
        val_iter it;
        val_iter_init(&it, v);
        val x;
        for (int first = 1; (x = val_iter_next(&it, 0)); first = 0) {
            if (!first) buf_puts(out, ", ");
            pystr_inner(out, x, 1);
        }
        buf_putc(out, ']');
        return;
    }
    default: {
        buf_putc(out, '{');
        val_iter it;
        val_iter_init(&it, v);
        val x;
        for (int first = 1; (x = val_iter_next(&it, 1)); first = 0) {
            if (!first) buf_puts(out, ", ");
            py_repr_string(out, it.key, it.klen);
            buf_puts(out, ": ");
            pystr_inner(out, x, 1);
        }
        buf_putc(out, '}');
        return;
    }
    }
}

void val_pystr(buf *out, val v) { pystr_inner(out, v, 0); }

void enc_null(buf *b) { buf_putc(b, T_NULL); }
void enc_bool(buf *b, int t) { buf_putc(b, t ? T_TRUE : T_FALSE); }

void enc_int(buf *b, int64_t i) {
    if (i >= INT32_MIN && i <= INT32_MAX) {
        int32_t x = (int32_t)i;
        buf_putc(b, T_INT32);
        buf_put(b, &x, 4);
    } else {
        buf_putc(b, T_INT64);
        buf_put(b, &i, 8);
    }
}

void enc_number(buf *b, double d) {
    /* Integral values that fit int64 are stored as integers so 1 and 1.0 are one value. */
    if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0 && !(d == 0 && signbit(d))) {
        enc_int(b, (int64_t)d);
        return;
    }
    buf_putc(b, T_DOUBLE);
    buf_put(b, &d, 8);
}

void enc_string(buf *b, const char *s, size_t n) {
    uint32_t len = (uint32_t)n;
    buf_putc(b, buf_json_plain(s, n) ? T_STR : T_STRX);
    buf_put(b, &len, 4);
    buf_put(b, s, n);
}

void enc_key(buf *b, const char *s, size_t n) {
    uint32_t len = (uint32_t)n | (buf_json_plain(s, n) ? 0 : 0x80000000u);
    buf_put(b, &len, 4);
    buf_put(b, s, n);
}

size_t enc_begin(buf *b, int tag) {
    size_t at = b->len;
    uint8_t head[9] = {(uint8_t)tag};
    buf_put(b, head, 9);
    return at;
}

void enc_end(buf *b, size_t at, uint32_t count) {
    if (b->oom) return;
    uint8_t *h = (uint8_t *)b->data + at;
    wr32(h + 1, count);
    wr32(h + 5, (uint32_t)(b->len - at - 9));
}
