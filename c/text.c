/*
 * text.c: Python's str.lower() over UTF-8 (the full Unicode lower-case, not a subset).
 *
 * Each code point takes its simple lower-case mapping from the generated tables
 * (unicode_tables.c), with the two rules str.lower() adds on top: U+0130 (İ) becomes "i"
 * followed by U+0307, and U+03A3 (Σ) becomes final sigma ς at the end of a word (Unicode's
 * Final_Sigma context: a cased letter before it, skipping case-ignorable ones, and none after).
 * Must stay true: the output depends only on the input bytes; invalid UTF-8 bytes are copied
 * unchanged, one at a time, and never read past n.
 */
#include "text.h"
#include "unicode_tables.h"

size_t text_decode_utf8(const char *text, size_t n, size_t i, unsigned *cp) {
    const unsigned char *s = (const unsigned char *)text;
    unsigned c = s[i];
    if (c < 0x80) { *cp = c; return 1; }
    size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? (c <= 0xEF ? 3 : 0) : c >= 0xC2 ? 2 : 0;
    if (!len || n - i < len) return 0;
    unsigned v = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < len; k++) {
        if ((s[i + k] & 0xC0) != 0x80) return 0;
        v = v << 6 | (s[i + k] & 0x3F);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are not code points. */
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

static size_t decode_at(const unsigned char *s, size_t n, size_t i, unsigned *cp) {
    return text_decode_utf8((const char *)s, n, i, cp);
}

/* Decodes the code point that ends just before byte `end`; returns its start, or SIZE_MAX. */
static size_t decode_before(const unsigned char *s, size_t end, unsigned *cp) {
    size_t start = end;
    while (start > 0 && end - start < 4) {
        start--;
        if ((s[start] & 0xC0) != 0x80) break;
    }
    if (start == end) return (size_t)-1;
    return decode_at(s, end, start, cp) == end - start ? start : (size_t)-1;
}

/* Σ at s[i..i+2) is final when a cased letter precedes it and none follows (both skipping
   case-ignorable code points). */
static int final_sigma(const unsigned char *s, size_t n, size_t i) {
    unsigned cp = 0;
    size_t at = i;
    int before = 0;
    while (at > 0 && (at = decode_before(s, at, &cp)) != (size_t)-1) {
        if (uni_is_case_ignorable(cp)) continue;
        before = uni_is_cased(cp);
        break;
    }
    if (!before) return 0;
    for (size_t j = i + 2; j < n;) {
        size_t len = decode_at(s, n, j, &cp);
        if (!len) return 1;  /* an invalid byte is neither cased nor case-ignorable */
        if (!uni_is_case_ignorable(cp)) return !uni_is_cased(cp);
        j += len;
    }
    return 1;
}

static void put_utf8(buf *out, unsigned cp) {
    char u[4];
    size_t m;
    if (cp < 0x80) { u[0] = (char)cp; m = 1; }
    else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 63)); m = 2; }
    else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | (cp >> 6 & 63)); u[2] = (char)(0x80 | (cp & 63)); m = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | (cp >> 12 & 63));
        u[2] = (char)(0x80 | (cp >> 6 & 63)); u[3] = (char)(0x80 | (cp & 63)); m = 4;
    }
    buf_put(out, u, m);
}

void text_lower_utf8(buf *out, const char *text, size_t n) {
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c < 0x80) { buf_putc(out, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c)); i++; continue; }
        unsigned cp;
        size_t len = decode_at(s, n, i, &cp);
        if (!len) { buf_putc(out, (char)c); i++; continue; }
        if (cp == 0x130) buf_put(out, "i\xcc\x87", 3);              /* i + COMBINING DOT ABOVE */
        else if (cp == 0x3A3) buf_put(out, final_sigma(s, n, i) ? "\xcf\x82" : "\xcf\x83", 2);
        else {
            unsigned low = uni_lower(cp);
            if (low == cp) buf_put(out, s + i, len);
            else put_utf8(out, low);
        }
        i += len;
    }
}
