/*
 * unicode.c: the lookups of unicode_tables.h over the packed tables of unicode_tables.c.
 *
 * Owns: decoding the packing described in unicode_tables.h. A lookup binary-searches the
 * block words, then decodes at most UNI_BLOCK entries of one block. Must stay true: it
 * answers exactly what the unpacked tables would (the generator's checks and the tests in
 * tests/c/test_value.c and tests/conformance pin the answers).
 */
#include "unicode_tables.h"

static unsigned read_leb(const uint8_t **p) {
    unsigned v = 0, shift = 0, b;
    do { b = *(*p)++; v |= (b & 0x7fu) << shift; shift += 7; } while (b & 0x80u);
    return v;
}

/* The index of the entry of t holding cp, or -1; *first and *span of that entry. */
static int find(const uni_table *t, unsigned cp, unsigned *first, unsigned *span) {
    unsigned lo = 0, hi = (t->count + UNI_BLOCK - 1) / UNI_BLOCK;
    while (lo < hi) {                              /* the first block whose base is >= cp */
        unsigned mid = (lo + hi) / 2;
        if (t->blocks[mid] >> 11 < cp) lo = mid + 1; else hi = mid;
    }
    if (lo == 0) return -1;
    unsigned block = lo - 1, last = t->blocks[block] >> 11;
    const uint8_t *p = t->bytes + (t->blocks[block] & 0x7ffu);
    for (unsigned i = block * UNI_BLOCK; i < t->count && i < (block + 1) * UNI_BLOCK; i++) {
        *first = last + read_leb(&p);
        *span = read_leb(&p);
        if (cp < *first) return -1;
        last = *first + (*span >> t->span_shift);
        if (cp <= last) return (int)i;
    }
    return -1;
}

unsigned uni_lower(unsigned cp) {
    unsigned first, span;
    int i = find(&uni_lower_runs, cp, &first, &span);
    if (i < 0 || (cp - first) % ((span & 1u) + 1) != 0) return cp;
    return (unsigned)((int)cp + uni_lower_deltas[uni_lower_delta_index[i]]);
}

int uni_decimal_value(unsigned cp) {
    if (cp >= '0' && cp <= '9') return (int)(cp - '0');
    if (cp < 0x80) return -1;
    unsigned first, span;
    return find(&uni_decimal, cp, &first, &span) < 0 ? -1 : (int)((cp - first) % 10);
}

int uni_is_cased(unsigned cp) {
    unsigned first, span;
    return find(&uni_cased, cp, &first, &span) >= 0;
}

int uni_is_case_ignorable(unsigned cp) {
    unsigned first, span;
    return find(&uni_case_ignorable, cp, &first, &span) >= 0;
}
