/*
 * strtod.h: hs_strtod, the engine's text-to-double conversion (c/strtod.c).
 *
 * Owns: one function with C's strtod contract in the "C" locale: leading white space, a sign,
 * decimal or hexadecimal ("0x", binary exponent "p") numbers, "inf"/"infinity"/"nan[(chars)]"
 * without regard to case; the result is the double nearest the text (ties to even), +-HUGE_VAL
 * with errno = ERANGE on overflow, and *end (when end is not NULL) points after the text used
 * (at s when nothing was converted). Why it exists: the wasm libc's strtod computes in 128-bit
 * soft-float long double and cost about 5 kB of the gzipped wasm; this one is exact with small
 * integer arithmetic and is smaller and faster. c/wasm.c routes the libc name (used by cJSON)
 * here too, so the whole wasm has one conversion.
 * Also hs_strtou64: C's strtoull(s, end, 10) without errno (the libc's cost 0.2 kB gzipped).
 */
#ifndef HS_STRTOD_H
#define HS_STRTOD_H

double hs_strtod(const char *s, char **end);
/* strtoull(s, end, 10): leading white space, a sign ('-' negates modulo 2^64), decimal digits;
   UINT64_MAX when they overflow (whatever the sign); *end after the digits, or s when there
   are none. end must not be NULL. */
#include <stdint.h>
uint64_t hs_strtou64(const char *s, char **end);

#endif
