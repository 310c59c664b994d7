/*
 * bignum.h: small fixed-size unsigned big integers for exact decimal <-> binary conversion
 * (c/strtod.c reads numbers with them, c/fmt.c prints doubles with them).
 *
 * Owns: the representation (little-endian 32-bit words, n of them used, no leading zero word)
 * and the few operations those conversions need. Must stay true: callers keep every value
 * below 2^(32 * BIG_WORDS); the largest they make is about 2,700 bits (a double's mantissa
 * times 5^1105, or 780 decimal digits), far from the 5,120 bits here.
 */
#ifndef HS_BIGNUM_H
#define HS_BIGNUM_H
#include <stdint.h>

#define BIG_WORDS 160

typedef struct { uint32_t w[BIG_WORDS]; int n; } big;

void big_set_u64(big *a, uint64_t v);
void big_mul_add(big *a, uint32_t mul, uint32_t add);   /* a = a * mul + add */
void big_mul_pow5(big *a, int e);                       /* a *= 5^e, e >= 0 */
void big_shl(big *a, int bits);                         /* a <<= bits */
int big_cmp(const big *a, const big *b);                /* <0, 0, >0 */
uint32_t big_div_small(big *a, uint32_t d);             /* a /= d; returns the remainder */

#endif
