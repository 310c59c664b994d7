/*
 * hsort.c: hs_qsort (the contract is in hsort.h).
 *
 * Owns: a heapsort (in place, O(n log n) in the worst case, no allocation), after an O(n)
 * check that returns at once when the array is already in order, the common case (row ids
 * gathered in order). Must stay true: cmp is never given a pointer outside the array.
 */
#include "hsort.h"

static void swap_bytes(char *a, char *b, size_t w) {
    while (w--) { char t = *a; *a++ = *b; *b++ = t; }
}

static void sift_down(char *base, size_t root, size_t n, size_t w, int (*cmp)(const void *, const void *)) {
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && cmp(base + child * w, base + (child + 1) * w) < 0) child++;
        if (cmp(base + root * w, base + child * w) >= 0) return;
        swap_bytes(base + root * w, base + child * w, w);
        root = child;
    }
}

void hs_qsort(void *base, size_t n, size_t w, int (*cmp)(const void *, const void *)) {
    char *b = base;
    size_t i = 1;
    while (i < n && cmp(b + (i - 1) * w, b + i * w) <= 0) i++;
    if (i >= n) return;
    for (i = n / 2; i-- > 0;) sift_down(b, i, n, w, cmp);
    for (i = n; --i > 0;) {
        swap_bytes(b, b + i * w, w);
        sift_down(b, 0, i, w, cmp);
    }
}
