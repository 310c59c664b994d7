/*
 * buf.c: growable byte buffer, JSON string escaping and number formatting.
 *
 * Invariant: data[0..len) holds the bytes written so far; after an allocation failure
 * `oom` stays set and nothing more is written (sticky error). Numbers are written so
 * that JSON.parse gives back exactly the same double.
 */
#include "buf.h"
#include "fmt.h"
#include "strtod.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void buf_init(buf *b) { b->data = NULL; b->len = b->cap = 0; b->oom = 0; }

void buf_free(buf *b) { free(b->data); buf_init(b); }

int buf_reserve(buf *b, size_t n) {
    if (b->oom) return 0;
    if (b->cap - b->len >= n) return 1;
    size_t want = b->len + n;
    if (want < b->len) { b->oom = 1; return 0; }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < want) {
        if (cap > SIZE_MAX / 2) { cap = want; break; }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) { b->oom = 1; return 0; }
    b->data = p;
    b->cap = cap;
    return 1;
}

void buf_put(buf *b, const void *p, size_t n) {
    if (!buf_reserve(b, n)) return;
    hs_copy_small(b->data + b->len, p, n);
    b->len += n;
}

void buf_puts(buf *b, const char *s) { buf_put(b, s, strlen(s)); }

void buf_putc_slow(buf *b, char c) {
    if (!buf_reserve(b, 1)) return;
    b->data[b->len++] = c;
}

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

void buf_put_i64(buf *b, int64_t v) {
    char tmp[48];   /* the digits end at 24; the copy below reads 24 bytes from where they start */
    for (int k = 24; k < 48; k += 8) { uint64_t zero = 0; memcpy(tmp + k, &zero, 8); }   /* defined bytes only */
    int i = 24;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    /* Two digits per division: printing numbers is a large part of writing results. */
    while (u >= 100) {
        unsigned k = (unsigned)(u % 100) * 2;
        u /= 100;
        tmp[--i] = digit_pairs[k + 1];
        tmp[--i] = digit_pairs[k];
    }
    if (u >= 10) {
        unsigned k = (unsigned)u * 2;
        tmp[--i] = digit_pairs[k + 1];
        tmp[--i] = digit_pairs[k];
    } else {
        tmp[--i] = (char)('0' + u);
    }
    if (v < 0) tmp[--i] = '-';
    /* Three word copies instead of a memcpy of a variable length (memory.copy in wasm, a call
       in V8); the bytes copied past the number lie beyond len, never part of the output. */
    if (b->cap - b->len < 24 && !buf_reserve(b, 24)) return;
    char *d = b->data + b->len;
    for (int k = 0; k < 24; k += 8) { uint64_t w; memcpy(&w, tmp + i + k, 8); memcpy(d + k, &w, 8); }
    b->len += (size_t)(24 - i);
}

size_t fmt_double(double d, char out[32]) {
    /* Try increasing precision until the text reads back as the same double, the way
       cJSON and JS find the shortest round-trip form. */
    int prec = 15;
    for (; prec <= 17; prec++) {
        hs_snprintf(out, 32, "%.*g", prec, d);
        if (hs_strtod(out, NULL) == d) break;
    }
    /* Subnormals carry fewer digits, so 15 can be more than the shortest form needs. */
    if (prec == 15 && d != 0 && fabs(d) < 2.2250738585072014e-308) {
        char shorter[32];
        for (int p = 1; p < 15; p++) {
            hs_snprintf(shorter, sizeof shorter, "%.*g", p, d);
            if (hs_strtod(shorter, NULL) == d) { memcpy(out, shorter, 32); break; }
        }
    }
    return strlen(out);
}

void buf_put_double(buf *b, double d) {
    char tmp[32];
    size_t n = fmt_double(d, tmp);
    buf_put(b, tmp, n);
}

/* Bytes that must be escaped inside a JSON string: controls, quote, backslash. */
static inline int needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

#define CTL8 1, 1, 1, 1, 1, 1, 1, 1
const uint8_t buf_json_escaped[256] = {CTL8, CTL8, CTL8, CTL8, 0, 0, 1, ['\\'] = 1};   /* needs_escape, as a table */

void buf_put_json_string(buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    if (!buf_reserve(b, n + 2)) return;
    b->data[b->len++] = '"';
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!needs_escape(c)) continue;
        buf_put(b, s + start, i - start);
        start = i + 1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t elen = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
            elen = 6;
        }
        buf_put(b, esc, elen);
    }
    buf_put(b, s + start, n - start);
    buf_putc(b, '"');
}
