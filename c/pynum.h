/*
 * pynum.h: Python's int() and float() of text, and the integers they can produce.
 *
 * Owns: the grammar the int_, floatStrict_ and floatEpsilon12_ vTypes accept (Python's own:
 * Unicode whitespace around the number, Unicode decimal digits, '_' between digits), and
 * integers beyond int64 (Python's ints have no size limit: int("1" * 30) and int(1e21) work).
 * Must stay true: a py_int is `big` only when its value lies outside int64, so a big value
 * compares beyond every small one; big digits have no leading zeros.
 */
#ifndef HS_PYNUM_H
#define HS_PYNUM_H
#include <stdint.h>
#include "buf.h"

typedef struct py_int {
    int64_t i;         /* the value when !big */
    int big, neg;      /* big: |value| is the decimal digits at work->data + off, len of them */
    size_t off, len;
} py_int;

/* Python int(text) in base 10. Appends scratch text and, for a big value, its digits to work
   (never clears it). Returns 0 when Python would raise ValueError, or on out of memory. */
int py_int_parse(const char *s, size_t n, buf *work, py_int *out);
/* Python int(d) of a finite double: exact truncation toward zero. 0 for NaN and infinities. */
int py_int_from_double(double d, buf *work, py_int *out);
/* -1/0/1. adig/bdig are the buffers holding each side's big digits (unused when small). */
int py_int_cmp(const py_int *a, const char *adig, const py_int *b, const char *bdig);

/* Python float(text): whitespace, sign, digits with '_', '.', exponent, inf/infinity/nan in any
   case. Appends scratch text to work. Returns 0 when Python would raise ValueError. */
int py_float_parse(const char *s, size_t n, buf *work, double *out);
#endif
