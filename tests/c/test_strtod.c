/*
** test_strtod.c: checks c/strtod.c (hs_strtod) against the C library's strtod, which glibc
** rounds correctly: the same double (bit for bit; NaN for NaN) and the same end pointer.
**
** Owns: the inputs that stress a text-to-double conversion: fixed edge texts (syntax with no
** number, inf/nan spellings, hex, signs, zero, overflow, underflow, the subnormal boundary,
** DBL_MAX and the halfway point above it), the exact decimal halfway points between random
** neighbouring doubles and their nearest neighbours one digit off (printed exactly through
** long double), random doubles printed with 1..17 digits and in hex, random digit strings with
** random exponents, and digit strings longer than the 780 digits hs_strtod keeps.
**
** Must stay true: the expected value always comes from the C library, never from hs_strtod;
** the random inputs come from a fixed seed, so a failure repeats.
*/
#include "check.h"
#include "strtod.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed = 0x9E3779B97F4A7C15ull;
static uint64_t next_random(void) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static int mismatches;
static char first_mismatch[200];

/* Does hs_strtod agree with the C library on s? Records the first disagreement. */
static int same(const char *s) {
    char *end_lib, *end_ours;
    double lib = strtod(s, &end_lib), ours = hs_strtod(s, &end_ours);
    uint64_t a, b;
    memcpy(&a, &lib, 8);
    memcpy(&b, &ours, 8);
    int ok = end_lib == end_ours && (a == b || (isnan(lib) && isnan(ours)));
    if (!ok && !mismatches++)
        snprintf(first_mismatch, sizeof first_mismatch, "'%.80s': libc %.17g (+%d), hs %.17g (+%d)",
                 s, lib, (int)(end_lib - s), ours, (int)(end_ours - s));
    return ok;
}

static void report(const char *name) {
    if (mismatches) fprintf(stderr, "test_strtod: %s: %d mismatches, first %s\n", name, mismatches, first_mismatch);
    CHECK(mismatches == 0, name);
    mismatches = 0;
}

static double random_double(void) {
    for (;;) {
        uint64_t u = next_random();
        double d;
        memcpy(&d, &u, 8);
        if (isfinite(d)) return fabs(d);
    }
}

int main(void) {
    static const char *edges[] = {
        "", " ", ".", "-", "+.", "e5", ".e1", "1e", "1e+", "1e-x", "1.e3", ".5", "5.", "-.5e-1", "  \t\n+1.5e-3x",
        "0", "-0", "0.000", "-0e99999999999", "00000.0000e-5", "1e99999999999", "1e-99999999999",
        "inf", "-INF", "Infinity", "infin", "infinityx", "nan", "NaN(abc_1)", "nan(", "nan(a b)", "nanx",
        "0x", "0x.", "0xg", "0x1", "0X1P-3", "0x1.8p1", "0x.8", "0x1p", "0x1p+", "-0x1.fffffffffffff8p1023",
        "0x1.fffffffffffff7p1023", "0x1p-1074", "0x1p-1075", "0x1.0000000000001p-1075", "0x3p-1076",
        "0x123456789abcdef0123p0", "0x1.00000000000008p0", "0x1.00000000000008000001p0", "0x1.00000000000018p0",
        "0x0.0000000000001p-1022", "0x1p1024", "0x1p-2000",
        "1e308", "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
        "179769313486231580793728971405301e276", "179769313486231580793728971405300e276", "1e309",
        "2.2250738585072014e-308", "2.2250738585072011e-308", "4.9406564584124654e-324",
        "2.4703282292062327e-324", "2.4703282292062328e-324", "2.47032822920623272088e-324",
        "1e-324", "3e-324", "7.4109846876186982e-324", "1e-400", "123456789012345678901234567890",
        "0.30000000000000004", "0.1", "9007199254740993", "9007199254740992.5", "9007199254740993.0000000001",
        "1e22", "1e23", "123456789012345e10", "8.98846567431158e307", "4.35e-320",
    };
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) same(edges[i]);
    report("edge texts: empty, signs, inf/nan, hex, zero, overflow, underflow, boundaries");

    /* Exact halfway points between neighbours (long double has 64 mantissa bits on x86-64),
       and the texts one unit off in the last printed digit. */
    static char text[4000];
    for (int i = 0; i < 5000; i++) {
        double d = random_double();
        if (d == 0 || d > 1e308) continue;
        long double half = ((long double)d + (long double)nextafter(d, INFINITY)) / 2;
        snprintf(text, sizeof text, "%.780Le", half);
        same(text);
        char tail[3000], *ex = strchr(text, 'e');   /* a nonzero digit after the 780 kept ones */
        snprintf(tail, sizeof tail, "%.*s%0120d1%s", (int)(ex - text), text, 0, ex);
        same(tail);
        char *e = strchr(text, 'e');
        int k = (int)(e - text) - 1;
        while (k > 0 && text[k] == '0') k--;
        if (text[k] >= '1' && text[k] <= '9') {
            text[k]--;
            same(text);
            text[k] += 2;
            if (text[k] <= '9') same(text);
        }
    }
    report("exact halfway points between neighbouring doubles, one digit either side, and a digit past the 780 kept");

    for (int i = 0; i < 40000; i++) {
        double d = random_double();
        snprintf(text, sizeof text, "%.*g", 1 + (int)(next_random() % 17), d);
        same(text);
        snprintf(text, sizeof text, "%.17g", d);
        same(text);
        snprintf(text, sizeof text, "%a", d);
        same(text);
        snprintf(text, sizeof text, "%.*a", (int)(next_random() % 14), d);
        same(text);
    }
    report("random doubles printed with 1..17 significant digits and in hex");

    for (int i = 0; i < 40000; i++) {
        int n = 1 + (int)(next_random() % 40), at = 0;
        if (next_random() % 2) text[at++] = '-';
        int point = (int)(next_random() % (unsigned)(n + 1));
        for (int k = 0; k < n; k++) {
            if (k == point) text[at++] = '.';
            text[at++] = (char)('0' + next_random() % 10);
        }
        snprintf(text + at, sizeof text - (size_t)at, "e%d", (int)(next_random() % 700) - 350);
        same(text);
    }
    report("random digit strings with random exponents");

    for (int i = 0; i < 300; i++) {
        int n = 700 + (int)(next_random() % 1200), at = 0;
        text[at++] = '0' + (char)(1 + next_random() % 9);
        text[at++] = '.';
        int zeros = (int)(next_random() % 3);   /* long zero runs then a late nonzero digit */
        for (int k = 1; k < n; k++) text[at++] = zeros ? (k == n - 1 ? '1' : '0') : (char)('0' + next_random() % 10);
        snprintf(text + at, sizeof text - (size_t)at, "e%d", (int)(next_random() % 640) - 320);
        same(text);
    }
    report("digit strings longer than the 780 kept digits");

    /* hs_strtou64 against the C library's strtoull(s, end, 10), value and end */
    static const char *u64[] = {
        "", " ", "+", "-", "0", "-0", " \t\n\v\f\r7x", "+42", "-1", "-18446744073709551615",
        "-18446744073709551616", "18446744073709551615", "18446744073709551616", "99999999999999999999999",
        "4294967295", "4294967296", "12abc", "0x10", "007", "1 2", "\x01" "5",
    };
    int u64_ok = 1;
    for (size_t k = 0; k < sizeof u64 / sizeof *u64; k++) {
        char *want_end, *got_end;
        unsigned long long want = strtoull(u64[k], &want_end, 10);
        uint64_t got = hs_strtou64(u64[k], &got_end);
        if (got != want || got_end != want_end) {
            fprintf(stderr, "hs_strtou64(\"%s\"): %llu at %d, strtoull %llu at %d\n", u64[k],
                    (unsigned long long)got, (int)(got_end - u64[k]), want, (int)(want_end - u64[k]));
            u64_ok = 0;
        }
    }
    for (int i = 0; i < 2000; i++) {
        char num[40];
        snprintf(num, sizeof num, "%s%llu%s", i % 3 ? "" : i % 2 ? "-" : " +",
                 (unsigned long long)next_random() * (unsigned long long)next_random() >> (i % 64), i % 5 ? "" : "9");
        char *want_end, *got_end;
        u64_ok &= hs_strtou64(num, &got_end) == strtoull(num, &want_end, 10) && got_end == want_end;
    }
    CHECK(u64_ok, "hs_strtou64 gives strtoull's value and end (signs, white space, overflow, no digits)");
    return check_done();
}
