/*
** test_hsort.c: checks c/hsort.c (hs_qsort) against the C library's qsort: the same array
** afterwards, for element sizes 4, 8, 12 and 24 bytes and arrays that are empty, of one
** element, sorted, reversed, all equal, with many duplicates, and random.
**
** Must stay true: the expected array always comes from the C library; the keys order
** distinct elements totally (equal keys are equal bytes), as the engine's comparators do,
** so the two sorts must agree exactly; the random inputs come from a fixed seed.
*/
#include "check.h"
#include "hsort.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed = 0xD1B54A32D192ED03ull;
static uint64_t next_random(void) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

typedef struct { uint32_t key; } e4;
typedef struct { uint32_t key, other; } e8;
typedef struct { uint32_t a, b, c; } e12;
typedef struct { uint64_t key; uint32_t pad[4]; } e24;

/* Elements are built from their key alone, so equal keys mean equal bytes. */
#define SORT_CASE(T, FILL, CMP)                                                                 \
    static int cmp_##T(const void *x, const void *y) { return CMP((const T *)x, (const T *)y); } \
    static int check_##T(const uint32_t *keys, size_t n) {                                     \
        T *a = calloc(n + 1, sizeof(T)), *b = calloc(n + 1, sizeof(T));                         \
        for (size_t i = 0; i < n; i++) { FILL(&a[i], keys[i]); }                                \
        memcpy(b, a, n * sizeof(T));                                                            \
        qsort(a, n, sizeof(T), cmp_##T);                                                        \
        hs_qsort(b, n, sizeof(T), cmp_##T);                                                     \
        int same = memcmp(a, b, n * sizeof(T)) == 0;                                            \
        free(a);                                                                                \
        free(b);                                                                                \
        return same;                                                                            \
    }

#define FILL4(p, k) ((p)->key = (k))
#define CMP4(x, y) ((x)->key < (y)->key ? -1 : (x)->key > (y)->key)
#define FILL8(p, k) ((p)->key = (k) / 3, (p)->other = (k))
#define CMP8(x, y) ((x)->key != (y)->key ? ((x)->key < (y)->key ? -1 : 1) : ((x)->other < (y)->other ? -1 : (x)->other > (y)->other))
#define FILL12(p, k) ((p)->a = (k) % 7, (p)->b = (k), (p)->c = ~(k))
#define CMP12(x, y) ((x)->a != (y)->a ? ((x)->a < (y)->a ? -1 : 1) : ((x)->b < (y)->b ? -1 : (x)->b > (y)->b))
#define FILL24(p, k) ((p)->key = (uint64_t)(k) << 20, (p)->pad[0] = (k), (p)->pad[3] = (k) * 3u)
#define CMP24(x, y) ((x)->key < (y)->key ? -1 : (x)->key > (y)->key)

SORT_CASE(e4, FILL4, CMP4)
SORT_CASE(e8, FILL8, CMP8)
SORT_CASE(e12, FILL12, CMP12)
SORT_CASE(e24, FILL24, CMP24)

static int all_sizes(const uint32_t *keys, size_t n) {
    return check_e4(keys, n) && check_e8(keys, n) && check_e12(keys, n) && check_e24(keys, n);
}

int main(void) {
    static uint32_t keys[5000];
    int ok = 1;
    for (size_t n = 0; n <= 40 && ok; n++) {
        for (size_t i = 0; i < n; i++) keys[i] = (uint32_t)i;
        ok = all_sizes(keys, n);
        for (size_t i = 0; i < n; i++) keys[i] = (uint32_t)(n - i);
        ok = ok && all_sizes(keys, n);
        for (size_t i = 0; i < n; i++) keys[i] = 7;
        ok = ok && all_sizes(keys, n);
    }
    CHECK(ok, "empty, one element, sorted, reversed and all-equal arrays up to 40 elements");

    ok = 1;
    for (int round = 0; round < 300 && ok; round++) {
        size_t n = (size_t)(next_random() % 5000);
        uint32_t range = round % 3 == 0 ? 10 : round % 3 == 1 ? 1000 : UINT32_MAX;
        for (size_t i = 0; i < n; i++) keys[i] = (uint32_t)(next_random() % range);
        if (round % 5 == 0 && n > 1) {           /* sorted but for one element */
            for (size_t i = 0; i < n; i++) keys[i] = (uint32_t)i * 2;
            keys[next_random() % n] = (uint32_t)(next_random() % (2 * n));
        }
        ok = all_sizes(keys, n);
    }
    CHECK(ok, "random arrays up to 5000 elements, few or many duplicate keys, nearly sorted");
    return check_done();
}
