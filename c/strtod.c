/*
 * strtod.c: hs_strtod, text to the nearest double (the contract is in strtod.h).
 *
 * Owns: the parsing of the number syntaxes C's strtod accepts and the correctly rounded result
 * (and hs_strtou64, C's strtoull in base 10).
 * How: up to 15 significant decimal digits with a power of ten up to 1e22 are exact doubles, so
 * one IEEE multiplication or division rounds correctly (the common case). Otherwise a close
 * estimate in doubles is corrected one step (ulp) at a time by comparing the exact decimal value,
 * as a big integer, with the point halfway to the neighbouring double. Only the first
 * MAX_SIG_DIGITS digits are kept, plus a sticky 1 for a nonzero tail: a halfway point between two
 * doubles has at most 767 significant digits, so no comparison can change.
 * Must stay true: no locale, no globals that change, no allocation; the big integers stay within
 * bignum.h's bound (the largest are about 2,700 bits); tests/c/test_strtod.c compares it with
 * the C library on the native build.
 */
#include "strtod.h"
#include "bignum.h"
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define MAX_SIG_DIGITS 780
/* Compares digits * 10^dexp with the point halfway between the positive double whose bit
   pattern is `bits` and the next double up: <0, 0 or >0. */
static int cmp_halfway(const big *digits, int dexp, uint64_t bits) {
    int field = (int)(bits >> 52);
    uint64_t mant = bits & ((1ull << 52) - 1);
    int e2 = field ? field - 1075 : -1074;
    if (field) mant |= 1ull << 52;
    big a, b;
    a.n = digits->n;
    memcpy(a.w, digits->w, (size_t)digits->n * 4);
    big_set_u64(&b, 2 * mant + 1);                 /* the halfway point is (2 mant + 1) * 2^(e2 - 1) */
    if (dexp >= 0) big_mul_pow5(&a, dexp); else big_mul_pow5(&b, -dexp);
    int ea = dexp, eb = e2 - 1;                    /* the powers of two left over on each side */
    if (ea > eb) big_shl(&a, ea - eb); else big_shl(&b, eb - ea);
    return big_cmp(&a, &b);
}

static double from_bits(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }

#define DBL_MAX_BITS 0x7FEFFFFFFFFFFFFFull

static const double pow10_exact[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static double out_of_range(double r) { errno = ERANGE; return r; }

/* The decimal number at p (digits, '.', digits, exponent); NULL when p holds no digit. */
static const char *parse_decimal(const char *p, double *out) {
    const char *q = p, *dot = NULL;
    while (*q >= '0' && *q <= '9') q++;
    if (*q == '.') {
        dot = q++;
        while (*q >= '0' && *q <= '9') q++;
    }
    const char *mant_end = q;
    if (mant_end - p == (dot ? 1 : 0)) return NULL;
    long exp10 = 0;
    if ((*q | 0x20) == 'e') {
        const char *r = q + 1;
        int neg = 0;
        if (*r == '+' || *r == '-') neg = *r++ == '-';
        if (*r >= '0' && *r <= '9') {
            for (; *r >= '0' && *r <= '9'; r++)
                if (exp10 < 100000000) exp10 = exp10 * 10 + (*r - '0');
            if (neg) exp10 = -exp10;
            q = r;
        }
    }
    const char *first = p, *last = mant_end - 1;
    while (first < mant_end && (*first == '0' || *first == '.')) first++;
    if (first == mant_end) { *out = 0; return q; }
    while (*last == '0' || *last == '.') last--;
    const char *int_end = dot ? dot : mant_end;
    long top10 = (first < int_end ? int_end - first - 1 : int_end - first) + exp10;   /* place of the first digit */
    if (top10 >= 309) { *out = out_of_range(INFINITY); return q; }
    if (top10 <= -325) { *out = out_of_range(0); return q; }

    big digits = { .n = 0 };
    uint64_t m = 0;                                /* the first 19 digits */
    uint32_t chunk = 0;
    int taken = 0, chunk_len = 0;
    const char *c = first;
    for (; c <= last && taken < MAX_SIG_DIGITS; c++) {
        if (*c == '.') continue;
        if (taken < 19) m = m * 10 + (uint64_t)(*c - '0');
        chunk = chunk * 10 + (uint32_t)(*c - '0');
        taken++;
        if (++chunk_len == 9) { big_mul_add(&digits, 1000000000u, chunk); chunk = 0; chunk_len = 0; }
    }
    if (c <= last) { chunk = chunk * 10 + 1; chunk_len++; taken++; }   /* sticky: a nonzero tail */
    if (chunk_len) big_mul_add(&digits, (uint32_t)pow10_exact[chunk_len], chunk);
    int dexp = (int)top10 - (taken - 1);           /* value = digits * 10^dexp */

    if (taken <= 15) {                             /* m and the power of ten are exact doubles */
        if (dexp >= 0 && dexp <= 22) { *out = (double)m * pow10_exact[dexp]; return q; }
        if (dexp < 0 && dexp >= -22) { *out = (double)m / pow10_exact[-dexp]; return q; }
        if (dexp > 22 && dexp <= 22 + 15 - taken) { *out = (double)m * pow10_exact[dexp - 22] * 1e22; return q; }
    }
    /* An estimate a few ulps off at most, then exact corrections. */
    int used = taken < 19 ? taken : 19, e = (int)top10 - (used - 1);
    double x = (double)m;
    for (; e > 22; e -= 22) x *= 1e22;
    for (; e < -22; e += 22) x /= 1e22;
    x = e >= 0 ? x * pow10_exact[e] : x / pow10_exact[-e];
    uint64_t u;
    memcpy(&u, &x, 8);
    if (u > DBL_MAX_BITS) u = DBL_MAX_BITS;
    while (u > 0) {                                /* down while the value is below the lower halfway */
        int cmp = cmp_halfway(&digits, dexp, u - 1);
        if (cmp > 0) break;
        if (cmp < 0 || (u & 1)) u--;               /* a tie goes to the even mantissa */
        if (cmp == 0) break;
    }
    for (;;) {                                     /* up while it is above the upper halfway */
        int cmp = cmp_halfway(&digits, dexp, u);
        if (cmp < 0 || (cmp == 0 && !(u & 1))) break;
        if (u == DBL_MAX_BITS) { *out = out_of_range(INFINITY); return q; }
        u++;
        if (cmp == 0) break;
    }
    *out = u ? from_bits(u) : out_of_range(0);
    return q;
}

static int hex_value(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The hexadecimal number after "0x" at *pp (at least one hex digit follows); rounds once. */
static double parse_hex(const char **pp) {
    const char *p = *pp + 2;
    uint64_t m = 0;
    int sticky = 0, seen_point = 0;
    long e2 = 0;
    for (;; p++) {
        if (*p == '.' && !seen_point) { seen_point = 1; continue; }
        int v = hex_value(*p);
        if (v < 0) break;
        if (m >> 60) { sticky |= v != 0; if (!seen_point) e2 += 4; }
        else { m = m * 16 + (uint64_t)v; if (seen_point) e2 -= 4; }
    }
    if ((*p | 0x20) == 'p') {
        const char *r = p + 1;
        int neg = 0;
        long e = 0;
        if (*r == '+' || *r == '-') neg = *r++ == '-';
        if (*r >= '0' && *r <= '9') {
            for (; *r >= '0' && *r <= '9'; r++)
                if (e < 100000000) e = e * 10 + (*r - '0');
            e2 += neg ? -e : e;
            p = r;
        }
    }
    *pp = p;
    if (!m) return 0;
    while (!(m >> 63)) { m <<= 1; e2--; }          /* value = m * 2^e2, top bit set */
    long top = e2 + 63;
    if (top > 1023) return out_of_range(INFINITY);
    long bits = top >= -1022 ? 53 : 53 - (-1022 - top);   /* mantissa bits a (sub)normal keeps */
    if (bits < 0) return out_of_range(0);
    uint64_t keep = bits ? m >> (64 - bits) : 0, rest = bits ? m << bits : m, half = 1ull << 63;
    if (rest > half || (rest == half && (sticky || (keep & 1)))) keep++;
    if (!keep) return out_of_range(0);
    double r = ldexp((double)keep, (int)(e2 + 64 - bits));
    return isinf(r) ? out_of_range(r) : r;
}

static int starts_ci(const char *s, const char *word) {
    for (size_t i = 0; word[i]; i++)
        if ((s[i] | 0x20) != word[i]) return 0;
    return 1;
}

double hs_strtod(const char *s, char **end) {
    const char *p = s;
    while (*p == ' ' || (*p >= '\t' && *p <= '\r')) p++;
    int neg = 0;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    double r;
    if (starts_ci(p, "inf")) {
        p += starts_ci(p, "infinity") ? 8 : 3;
        r = INFINITY;
    } else if (starts_ci(p, "nan")) {
        p += 3;
        if (*p == '(') {
            const char *q = p + 1;
            while (((*q | 0x20) >= 'a' && (*q | 0x20) <= 'z') || (*q >= '0' && *q <= '9') || *q == '_') q++;
            if (*q == ')') p = q + 1;
        }
        r = NAN;
    } else if (p[0] == '0' && (p[1] | 0x20) == 'x' && (hex_value(p[2]) >= 0 || (p[2] == '.' && hex_value(p[3]) >= 0))) {
        r = parse_hex(&p);
    } else {
        const char *q = parse_decimal(p, &r);
        if (!q) { if (end) *end = (char *)s; return 0; }
        p = q;
    }
    if (end) *end = (char *)p;
    return neg ? -r : r;
}

uint64_t hs_strtou64(const char *s, char **end) {
    const char *p = s;
    while (*p == ' ' || (*p >= '\t' && *p <= '\r')) p++;
    int neg = *p == '-';
    if (*p == '-' || *p == '+') p++;
    if (*p < '0' || *p > '9') { *end = (char *)s; return 0; }
    uint64_t v = 0;
    int over = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) over = 1;
        else v = v * 10 + d;
    }
    *end = (char *)p;
    return over ? UINT64_MAX : neg ? 0 - v : v;
}
