/*
** test_fmt.c: checks c/fmt.c (hs_snprintf) against the C library's snprintf: the same text and
** the same return value, for every conversion fmt.h promises.
**
** Owns: the inputs: integers at their limits with widths, zero padding and precisions; %c,
** %s with NULL-free strings, precisions and '*'; truncation into small buffers (cap 0, 1, 5);
** doubles in %g/%e/%f at every precision the engine uses (and more): random bit patterns,
** subnormals, powers of ten, exact ties (0.5, 2.5, 0.125, 1e23), huge values in %.0f, -0.0,
** inf and nan.
**
** Must stay true: the expected text always comes from the C library, never from fmt.c; the
** random inputs come from a fixed seed.
*/
#include "check.h"
#include "fmt.h"
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Truncation into small buffers is what some checks are about. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static uint64_t seed = 0x2545F4914F6CDD1Dull;
static uint64_t next_random(void) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static int mismatches;
static char first_mismatch[300];

static void note(const char *what, const char *lib, int nl, const char *ours, int no) {
    if (!mismatches++)
        snprintf(first_mismatch, sizeof first_mismatch, "%s: libc '%.100s' (%d), hs '%.100s' (%d)", what, lib, nl, ours, no);
}

#define SAME(cap, fmt, ...) do { \
    char lib_[700], ours_[700]; \
    memset(lib_, 'x', sizeof lib_); memset(ours_, 'x', sizeof ours_); \
    int nl_ = snprintf(lib_, (cap), fmt, __VA_ARGS__), no_ = hs_snprintf(ours_, (cap), fmt, __VA_ARGS__); \
    if (nl_ != no_ || memcmp(lib_, ours_, sizeof lib_) != 0) note(fmt, lib_, nl_, ours_, no_); \
} while (0)

static void report(const char *name) {
    if (mismatches) fprintf(stderr, "test_fmt: %s: %d mismatches, first %s\n", name, mismatches, first_mismatch);
    CHECK(mismatches == 0, name);
    mismatches = 0;
}

static double random_double(void) {
    for (;;) {
        uint64_t u = next_random();
        double d;
        memcpy(&d, &u, 8);
        if (isfinite(d)) return d;
    }
}

int main(void) {
    static const int ints[] = { 0, 1, -1, 7, 42, -42, 99, 100, 255, 4096, INT_MAX, INT_MIN, 123456789 };
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        int v = ints[i];
        SAME(64, "[%d|%i|%5d|%-5d|%05d|%.3d|%02d]", v, v, v, v, v, v, v);
        SAME(64, "[%u|%x|%X|%02x|%8x|%-8u|%*d|%.*d]", (unsigned)v, (unsigned)v, (unsigned)v, (unsigned)v, (unsigned)v, (unsigned)v, 6, v, 4, v);
        SAME(64, "[%ld|%lld|%zu|%lu|%llx]", (long)v * 3, (long long)v * 1000003LL, (size_t)(unsigned)v, (unsigned long)(unsigned)v, (unsigned long long)v);
    }
    SAME(64, "[%lld|%llu|%zu]", LLONG_MIN, ULLONG_MAX, (size_t)SIZE_MAX);
    SAME(64, "%c%c%c|%3c|%-3c|%%|100%%", 'a', 'Z', '0', 'q', 'r');
    report("integers, characters and %% with widths, flags and precisions");

    const char *words[] = { "", "a", "invalid regex", "collection name that is rather longer than sixty characters, really" };
    for (size_t i = 0; i < 4; i++) {
        const char *w = words[i];
        SAME(200, "'%s' '%.100s' '%.60s' '%10s' '%-10s|' '%.*s' '%.3s'", w, w, w, w, w, 5, w, w);
        SAME(0, "%s and more", w);
        SAME(1, "%s and more", w);
        SAME(5, "%s and more", w);
        SAME(20, "node %.*s needs a 'values' list", (int)strlen(w), w);
    }
    report("strings with precisions, '*', and truncation into small buffers");

    static const double fixed[] = { 0.0, 0.5, 1.5, 2.5, 3.5, 0.125, 0.375, 1e23, 1e22, 9.5, 10.5, 99.5, 999999.5,
        1e15, 1e16, 1e17, 123456789012345678.0, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 1e-5, 1e-4, 0.0001234, 123456.0,
        1234567.0, 5e-324, 2.2250738585072014e-308, DBL_MAX, 9007199254740993.0, 4.35, 2.675, 1e300, 1e-300 };
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        for (int sign = 0; sign < 2; sign++) {
            double d = sign ? -fixed[i] : fixed[i];
            for (int p = 0; p <= 20; p++) SAME(700, "%.*g|%.*e|%.*f", p, d, p, d, p, d);
            SAME(700, "%g|%e|%f|%.0f|%12.3f|%-12.3g|%012.4e", d, d, d, d, d, d, d);
        }
    }
    SAME(64, "%g %f %e %.3g %5.1f %-6f|", INFINITY, -INFINITY, NAN, -INFINITY, INFINITY, NAN);
    report("chosen doubles: ties, powers of ten, subnormals, DBL_MAX, -0.0, inf, nan at precisions 0..20");

    for (int i = 0; i < 60000; i++) {
        double d = random_double();
        int p = 1 + (int)(next_random() % 17);
        SAME(64, "%.*g", p, d);
        SAME(64, "%.17g|%.15g|%.16g", d, d, d);
        SAME(700, "%.0f", d);
        double small = (double)(int64_t)(next_random() % 2000001 - 1000000) / 8;   /* exact ties in %.0f, %.1f, %.2f */
        SAME(64, "%.0f|%.1f|%.2f|%.*g|%.3e", small, small, small, p, small, small);
    }
    report("random doubles in %g (precisions 1..17), %.0f, and exact binary fractions with ties");

    {   /* "%.*s" over bytes with no NUL after them reads no byte past the precision (ASan;
           valgrind found the read past the end in node.c's error messages). */
        char *bytes = malloc(5);
        memcpy(bytes, "abcde", 5);
        char out[16];
        hs_snprintf(out, sizeof out, "[%.*s]", 5, bytes);
        CHECK(strcmp(out, "[abcde]") == 0, "%.*s stops at the precision without reading past it");
        free(bytes);
    }
    return check_done();
}
