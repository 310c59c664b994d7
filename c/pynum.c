/*
 * pynum.c: Python's int() and float() of text, and integers beyond int64 (layout in pynum.h).
 *
 * Both parsers first do what CPython does before parsing a number: every Unicode whitespace
 * character becomes ' ' and every Unicode decimal digit (category Nd) becomes its ASCII digit;
 * any other non-ASCII character makes the text invalid. The ASCII text is then checked against
 * Python's grammar, with '_' allowed only between two digits.
 * Must stay true: no locale, no globals; strtod only ever sees text this file has validated.
 */
#include "pynum.h"
#include "fmt.h"
#include "strtod.h"
#include "text.h"
#include "unicode_tables.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The spaces int() and float() strip. CPython keeps ASCII as it is and then strips C's
   isspace() set; from U+007F on, str.isspace() characters (bidirectional class WS, B or S, or
   category Zs) become ' '. So U+001C..U+001F are not stripped, but U+0085 and U+3000 are. */
static int py_space(unsigned cp) {
    if (cp < 0x7F) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Writes the ASCII form of s to work (from *start, NUL-terminated, spaces trimmed) and sets
   *start and *len. Returns 0 for a character no number may hold, or out of memory. */
static int to_ascii(const char *s, size_t n, buf *work, size_t *start, size_t *len) {
    *start = work->len;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t k = text_decode_utf8(s, n, i, &cp);
        if (!k) return 0;
        int d;
        if (py_space(cp)) buf_putc(work, ' ');
        else if (cp < 0x80) buf_putc(work, (char)cp);
        else if ((d = uni_decimal_value(cp)) >= 0) buf_putc(work, (char)('0' + d));
        else return 0;
        i += k;
    }
    buf_putc(work, 0);
    if (work->oom) return 0;
    const char *a = work->data + *start;
    size_t lo = 0, hi = work->len - *start - 1;
    while (lo < hi && a[lo] == ' ') lo++;
    while (hi > lo && a[hi - 1] == ' ') hi--;
    *start += lo;
    *len = hi - lo;
    return 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* digitpart ::= digit (["_"] digit)*. Moves *i past it and copies its digits (not the '_')
   to a[*w...], in place: the copy never overtakes the reading position. Returns the number
   of digits. */
static size_t digit_part(char *a, size_t n, size_t *i, size_t *w) {
    size_t count = 0;
    while (*i < n) {
        char c = a[*i];
        if (is_digit(c)) {
            a[(*w)++] = c;
            count++;
            (*i)++;
        } else if (c == '_' && count && *i + 1 < n && is_digit(a[*i + 1])) {
            (*i)++;
        } else {
            break;
        }
    }
    return count;
}

static const char int64_max_digits[] = "9223372036854775807";

/* Sets *out from significant decimal digits d[0..n) (no leading zeros) and a sign. Big digits
   are d itself, at offset off in the caller's buffer. */
static void from_digits(const char *d, size_t n, int neg, size_t off, py_int *out) {
    memset(out, 0, sizeof *out);
    int cmp = n < 19 ? -1 : n > 19 ? 1 : strncmp(d, int64_max_digits, 19);
    /* Fits when |v| <= INT64_MAX, or is exactly INT64_MAX + 1 and negative. */
    int fits = cmp <= 0 || (neg && n == 19 && strncmp(d, "9223372036854775808", 19) == 0);
    if (fits) {
        uint64_t acc = 0;
        for (size_t k = 0; k < n; k++) acc = acc * 10 + (uint64_t)(d[k] - '0');
        out->i = neg ? (int64_t)(0 - acc) : (int64_t)acc;
        return;
    }
    out->big = 1;
    out->neg = neg;
    out->off = off;
    out->len = n;
}

int py_int_parse(const char *s, size_t n, buf *work, py_int *out) {
    size_t at, len;
    if (!to_ascii(s, n, work, &at, &len)) return 0;
    char *a = work->data + at;   /* nothing is appended to work from here on */
    size_t i = 0, w = 0;
    int neg = 0;
    if (len && (a[0] == '+' || a[0] == '-')) { neg = a[0] == '-'; i = 1; }
    if (!digit_part(a, len, &i, &w) || i != len) return 0;
    size_t lead = 0;
    while (lead < w && a[lead] == '0') lead++;
    from_digits(a + lead, w - lead, neg, at + lead, out);
    return 1;
}

int py_int_from_double(double d, buf *work, py_int *out) {
    if (!isfinite(d)) return 0;
    d = trunc(d);
    memset(out, 0, sizeof *out);
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) { out->i = (int64_t)d; return 1; }
    char digits[400];   /* DBL_MAX has 309 integer digits; %.0f prints them exactly */
    int n = hs_snprintf(digits, sizeof digits, "%.0f", fabs(d));
    if (n <= 0 || (size_t)n >= sizeof digits) return 0;
    size_t off = work->len;
    buf_put(work, digits, (size_t)n);
    if (work->oom) return 0;
    from_digits(work->data + off, (size_t)n, d < 0, off, out);
    return 1;
}

int py_int_cmp(const py_int *a, const char *adig, const py_int *b, const char *bdig) {
    if (!a->big && !b->big) return a->i < b->i ? -1 : a->i > b->i;
    if (!b->big) return a->neg ? -1 : 1;
    if (!a->big) return b->neg ? 1 : -1;
    if (a->neg != b->neg) return a->neg ? -1 : 1;
    int mag = a->len < b->len ? -1 : a->len > b->len ? 1 : memcmp(adig + a->off, bdig + b->off, a->len);
    mag = mag < 0 ? -1 : mag > 0;
    return a->neg ? -mag : mag;
}

static int equals_ci(const char *a, size_t n, const char *word) {
    if (strlen(word) != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
        if (c != word[i]) return 0;
    }
    return 1;
}

int py_float_parse(const char *s, size_t n, buf *work, double *out) {
    size_t at, len;
    if (!to_ascii(s, n, work, &at, &len)) return 0;
    char *a = work->data + at;   /* rewritten in place below; a[len] is inside the buffer */
    size_t i = 0, w = 0;
    if (len && (a[0] == '+' || a[0] == '-')) a[w++] = a[i++];
    const char *rest = a + i;
    size_t rlen = len - i;
    int neg = w && a[0] == '-';
    if (equals_ci(rest, rlen, "inf") || equals_ci(rest, rlen, "infinity")) { *out = neg ? -INFINITY : INFINITY; return 1; }
    if (equals_ci(rest, rlen, "nan")) { *out = NAN; return 1; }
    /* number ::= [digitpart] "." digitpart | digitpart ["."];  exponent ::= e [sign] digitpart.
       The text is compacted in place without its '_' and then given to strtod. */
    size_t before = digit_part(a, len, &i, &w), after = 0;
    if (i < len && a[i] == '.') {
        a[w++] = a[i++];
        after = digit_part(a, len, &i, &w);
    }
    if (!before && !after) return 0;
    if (i < len && (a[i] == 'e' || a[i] == 'E')) {
        a[w++] = a[i++];
        if (i < len && (a[i] == '+' || a[i] == '-')) a[w++] = a[i++];
        if (!digit_part(a, len, &i, &w)) return 0;
    }
    if (i != len) return 0;
    a[w] = 0;
    *out = hs_strtod(a, NULL);
    return 1;
}
