/*
 * bignum.c: the operations of bignum.h (what they keep true is written there).
 */
#include "bignum.h"
#include <string.h>

void big_set_u64(big *a, uint64_t v) {
    a->n = 0;
    for (; v; v >>= 32) a->w[a->n++] = (uint32_t)v;
}

void big_mul_add(big *a, uint32_t mul, uint32_t add) {
    uint64_t carry = add;
    for (int i = 0; i < a->n; i++) {
        uint64_t t = (uint64_t)a->w[i] * mul + carry;
        a->w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry) a->w[a->n++] = (uint32_t)carry;
}

void big_mul_pow5(big *a, int e) {
    for (; e >= 13; e -= 13) big_mul_add(a, 1220703125u, 0);   /* 5^13 */
    uint32_t p = 1;
    while (e-- > 0) p *= 5;
    big_mul_add(a, p, 0);
}

void big_shl(big *a, int bits) {
    if (!a->n) return;
    int words = bits / 32, r = bits % 32;
    if (r) {
        uint32_t carry = 0;
        for (int i = 0; i < a->n; i++) {
            uint32_t v = a->w[i];
            a->w[i] = v << r | carry;
            carry = v >> (32 - r);
        }
        if (carry) a->w[a->n++] = carry;
    }
    if (words) {
        memmove(a->w + words, a->w, (size_t)a->n * 4);
        memset(a->w, 0, (size_t)words * 4);
        a->n += words;
    }
}

int big_cmp(const big *a, const big *b) {
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    for (int i = a->n - 1; i >= 0; i--)
        if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

uint32_t big_div_small(big *a, uint32_t d) {
    uint64_t rem = 0;
    for (int i = a->n - 1; i >= 0; i--) {
        uint64_t cur = rem << 32 | a->w[i];
        a->w[i] = (uint32_t)(cur / d);
        rem = cur % d;
    }
    while (a->n && !a->w[a->n - 1]) a->n--;
    return (uint32_t)rem;
}
