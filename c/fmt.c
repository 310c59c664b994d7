/*
 * fmt.c: hs_snprintf and hs_vsnprintf (the contract is in fmt.h).
 *
 * Owns: parsing a conversion specification and writing its text into a bounded buffer.
 * Doubles: the exact decimal expansion of |d| is made once with bignum.h (the mantissa times a
 * power of two, or times 5^k and read as k decimal places), then rounded at the wanted digit
 * with ties to even, so the output equals the C library's for every value and precision.
 * Must stay true: no allocation, no locale; the output is NUL-terminated whenever cap > 0.
 */
#include "fmt.h"
#include "bignum.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct { char *out; size_t cap, len; } sink;

static void put(sink *s, const char *p, size_t n) {
    for (size_t i = 0; i < n; i++, s->len++)
        if (s->len + 1 < s->cap) s->out[s->len] = p[i];
}

static void put_repeat(sink *s, char c, int n) {
    for (; n > 0; n--) put(s, &c, 1);
}

/* Writes sign + body padded to width: '-' pads on the right, '0' with zeros after the sign. */
static void put_field(sink *s, const char *sign, const char *body, size_t n, int width, int left, int zero) {
    size_t sl = strlen(sign);
    int pad = width - (int)(sl + n);
    if (!left && !zero) put_repeat(s, ' ', pad);
    put(s, sign, sl);
    if (!left && zero) put_repeat(s, '0', pad);
    put(s, body, n);
    if (left) put_repeat(s, ' ', pad);
}

/* The exact decimal digits of a finite d > 0 (no leading zero, trailing zeros dropped) into
   digits; *point is where the decimal point goes: d = 0.DIGITS * 10^point. Returns the count. */
static int exact_digits(double d, char *digits, int *point) {
    uint64_t bits;
    memcpy(&bits, &d, 8);
    int field = (int)(bits >> 52 & 0x7ff);
    uint64_t mant = bits & ((1ull << 52) - 1);
    int e2 = field ? field - 1075 : -1074;
    if (field) mant |= 1ull << 52;
    big n;
    big_set_u64(&n, mant);
    int places = 0;                                /* n / 10^places == d */
    if (e2 >= 0) big_shl(&n, e2);
    else { big_mul_pow5(&n, -e2); places = -e2; }
    uint32_t chunks[BIG_WORDS * 32 / 29 + 2];      /* base 10^9, least significant first */
    int nc = 0;
    while (n.n) chunks[nc++] = big_div_small(&n, 1000000000u);
    int count = 0;
    for (int i = nc - 1; i >= 0; i--) {
        char nine[9];
        uint32_t v = chunks[i];
        for (int k = 8; k >= 0; k--) { nine[k] = (char)('0' + v % 10); v /= 10; }
        int from = 0;
        if (i == nc - 1) while (from < 8 && nine[from] == '0') from++;
        memcpy(digits + count, nine + from, (size_t)(9 - from));
        count += 9 - from;
    }
    *point = count - places;
    while (count > 1 && digits[count - 1] == '0') count--;
    return count;
}

/* Rounds digits[0..count) to keep digits (ties to even); returns the new count, which may
   be 0 (rounded to zero) and moves *point when a carry adds a digit. */
static int round_digits(char *digits, int count, int keep, int *point) {
    if (keep >= count) return count;
    if (keep < 0) return 0;
    int up;
    if (digits[keep] != '5') up = digits[keep] > '5';
    else {
        up = 0;
        for (int i = keep + 1; i < count; i++) if (digits[i] != '0') { up = 1; break; }
        if (!up) up = keep > 0 && (digits[keep - 1] - '0') % 2;   /* a tie goes to the even digit */
    }
    count = keep;
    if (!up) return count;
    int i = keep - 1;
    while (i >= 0 && digits[i] == '9') i--;
    if (i < 0) { digits[0] = '1'; (*point)++; return 1; }
    digits[i]++;
    return i + 1;
}

/* digits[i], or '0' past the end. */
static char digit_at(const char *digits, int count, int i) { return i >= 0 && i < count ? digits[i] : '0'; }

static int put_fixed(char *body, const char *digits, int count, int point, int prec) {
    int n = 0;
    if (point <= 0) body[n++] = '0';
    for (int i = 0; i < point; i++) body[n++] = digit_at(digits, count, i);
    if (prec > 0) {
        body[n++] = '.';
        for (int i = 0; i < prec; i++) body[n++] = digit_at(digits, count, point + i);
    }
    return n;
}

static int put_exp(char *body, const char *digits, int count, int point, int prec) {
    int n = 0, x = count ? point - 1 : 0;
    body[n++] = digit_at(digits, count, 0);
    if (prec > 0) {
        body[n++] = '.';
        for (int i = 1; i <= prec; i++) body[n++] = digit_at(digits, count, i);
    }
    body[n++] = 'e';
    body[n++] = x < 0 ? '-' : '+';
    if (x < 0) x = -x;
    char t[4];
    int k = 0;
    do { t[k++] = (char)('0' + x % 10); x /= 10; } while (x);
    if (k < 2) t[k++] = '0';
    while (k) body[n++] = t[--k];
    return n;
}

/* The text of a double in style f, e or g with precision prec, into body (returns its length). */
static int format_double(double d, char conv, int prec, char *body, size_t cap) {
    char digits[800];          /* the longest exact expansion is 767 digits */
    int count = 0, point = 1;
    if (d != 0) count = exact_digits(d, digits, &point);
    if (conv == 'f') {
        if (point + prec + 8 > (int)cap) prec = (int)cap - point - 8;   /* never more than body holds */
        count = round_digits(digits, count, point + prec, &point);
        if (!count) point = 1;
        return put_fixed(body, digits, count, point, prec);
    }
    if (conv == 'g' && prec == 0) prec = 1;
    if (prec > (int)cap - 16) prec = (int)cap - 16;
    count = round_digits(digits, count, conv == 'e' ? prec + 1 : prec, &point);
    if (!count) point = 1;
    if (conv == 'e') return put_exp(body, digits, count, point, prec);
    int x = count ? point - 1 : 0, n;
    if (x < prec && x >= -4) n = put_fixed(body, digits, count, point, prec - 1 - x);
    else n = put_exp(body, digits, count, point, prec - 1);
    /* %g drops the fraction's trailing zeros, and its point when nothing follows it. */
    char *e = memchr(body, 'e', (size_t)n), *end = e ? e : body + n;
    if (memchr(body, '.', (size_t)(end - body))) {
        char *z = end;
        while (z[-1] == '0') z--;
        if (z[-1] == '.') z--;
        memmove(z, end, (size_t)(body + n - end));
        n -= (int)(end - z);
    }
    return n;
}

int hs_vsnprintf(char *out, size_t cap, const char *fmt, va_list ap) {
    sink s = { out, cap, 0 };
    char body[400];
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') { put(&s, p, 1); continue; }
        int left = 0, zero = 0, width = 0, prec = -1, size = 0;
        for (p++; *p == '-' || *p == '0'; p++) {
            if (*p == '-') left = 1; else zero = 1;
        }
        if (*p == '*') { width = va_arg(ap, int); if (width < 0) { left = 1; width = -width; } p++; }
        else for (; *p >= '0' && *p <= '9'; p++) width = width * 10 + (*p - '0');
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') { prec = va_arg(ap, int); p++; }
            else for (; *p >= '0' && *p <= '9'; p++) prec = prec * 10 + (*p - '0');
        }
        for (;; p++) {                             /* size: 0 int, 1 long, 2 long long, 3 size_t */
            if (*p == 'h') continue;
            if (*p == 'l') { size++; continue; }
            if (*p == 'z' || *p == 'j' || *p == 't') { size = 3; continue; }
            break;
        }
        const char *sign = "";
        size_t n = 0;
        switch (*p) {
        case 'd': case 'i': case 'u': case 'x': case 'X': {
            uint64_t v;
            if (*p == 'd' || *p == 'i') {
                int64_t x = size == 0 ? va_arg(ap, int) : size == 1 ? va_arg(ap, long)
                          : size == 2 ? va_arg(ap, long long) : (int64_t)va_arg(ap, ptrdiff_t);
                if (x < 0) sign = "-";
                v = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
            } else {
                v = size == 0 ? va_arg(ap, unsigned) : size == 1 ? va_arg(ap, unsigned long)
                  : size == 2 ? va_arg(ap, unsigned long long) : va_arg(ap, size_t);
            }
            unsigned base = *p == 'x' || *p == 'X' ? 16 : 10;
            const char *hex = *p == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            char t[24];
            int k = 0;
            while (v) { t[k++] = hex[v % base]; v /= base; }
            int min = prec < 0 ? 1 : prec;
            while (k < min && k < (int)sizeof t) t[k++] = '0';
            while (k) body[n++] = t[--k];
            if (prec >= 0) zero = 0;
            break;
        }
        case 'c': body[n++] = (char)va_arg(ap, int); break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str) str = "(null)";
            size_t len = 0;
            /* The precision first: "%.*s" may name bytes with no NUL after them. */
            while ((prec < 0 || len < (size_t)prec) && str[len]) len++;
            put_field(&s, "", str, len, width, left, 0);
            continue;
        }
        case 'f': case 'e': case 'g': {
            double d = va_arg(ap, double);
            if (signbit(d)) { sign = "-"; d = -d; }
            if (isnan(d) || isinf(d)) { memcpy(body, isnan(d) ? "nan" : "inf", 3); n = 3; zero = 0; }
            else n = (size_t)format_double(d, *p, prec < 0 ? 6 : prec, body, sizeof body);
            break;
        }
        case '%': body[n++] = '%'; zero = 0; break;
        default:                                   /* not a conversion this file knows: keep the text */
            put(&s, "%", 1);
            if (*p) put(&s, p, 1); else p--;
            continue;
        }
        put_field(&s, sign, body, n, width, left, zero);
    }
    if (cap) out[s.len < cap ? s.len : cap - 1] = 0;
    return (int)s.len;
}

int hs_snprintf(char *out, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = hs_vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    return n;
}
