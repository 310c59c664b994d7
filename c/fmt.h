/*
 * fmt.h: hs_snprintf, the engine's printf-style formatting (c/fmt.c).
 *
 * Owns: C's snprintf contract for the conversions the engine uses: %d %i %u %x %X %c %s %%
 * with the flags '-' and '0', a width, a precision ('*' allowed for both) and the length
 * modifiers l ll z j t (h and hh are skipped: the argument is read as an int, not narrowed);
 * and %f %e %g for doubles, rounded exactly (ties to even) from the
 * double's exact decimal value, as glibc and musl do. It writes at most cap - 1 characters and
 * a NUL (when cap > 0) and returns the length the whole text would have. Why it exists: the
 * wasm libc's printf machinery cost about 4 kB of the gzipped wasm; the engine uses none of
 * the rest. Must stay true: tests/c/test_fmt.c compares it with the C library on every
 * conversion listed here.
 */
#ifndef HS_FMT_H
#define HS_FMT_H
#include <stdarg.h>
#include <stddef.h>

int hs_snprintf(char *out, size_t cap, const char *fmt, ...);
int hs_vsnprintf(char *out, size_t cap, const char *fmt, va_list ap);

#endif
