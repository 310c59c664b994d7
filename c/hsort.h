/*
 * hsort.h: hs_qsort, the engine's array sort (c/hsort.c).
 *
 * Owns: qsort's contract (n elements of size w at base, ordered by cmp). Not stable, like
 * qsort: the engine's comparators order distinct elements totally (ties broken by row id or
 * sequence; equal keys are equal bytes), so any correct sort gives the same array. Why it
 * exists: musl's smoothsort cost about 0.6 kB of the gzipped wasm.
 */
#ifndef HS_HSORT_H
#define HS_HSORT_H
#include <stddef.h>

void hs_qsort(void *base, size_t n, size_t w, int (*cmp)(const void *, const void *));

#endif
