/*
 * unicode_tables.h: the shape of the generated Unicode tables (c/unicode_tables.c, written by
 * scripts/gen-unicode-tables.mjs) and lookups over them.
 *
 * Owns: code point properties only; text.c turns them into Python's str.lower(), node.c into
 * Python's int()/float() digit rules. Must stay true: the tables are sorted and non-overlapping,
 * so the lookups below may binary-search them; a decimal digit run is whole 0..9 sequences.
 */
#ifndef HS_UNICODE_TABLES_H
#define HS_UNICODE_TABLES_H

#include <stdint.h>

/* The tables are packed to half the bytes of plain {first, last} pairs (the wasm's size):
   a range is first << 11 | (last - first); a lower-case run is first << 11 |
   (last - first) << 1 | (step - 1), and cp in [first, last] with (cp - first) % step == 0
   lower-cases to cp + uni_lower_deltas[uni_lower_delta_index[run]]. */
#define UNI_FIRST(packed) ((packed) >> 11)
#define UNI_RANGE_LAST(packed) (UNI_FIRST(packed) + ((packed) & 0x7ffu))
#define UNI_RUN_LAST(packed) (UNI_FIRST(packed) + ((packed) >> 1 & 0x3ffu))
#define UNI_RUN_STEP(packed) (((packed) & 1u) + 1)

extern const uint32_t uni_lower_runs[];
extern const unsigned uni_lower_runs_count;
extern const uint8_t uni_lower_delta_index[];
extern const int32_t uni_lower_deltas[];
extern const uint32_t uni_cased[];
extern const unsigned uni_cased_count;
extern const uint32_t uni_case_ignorable[];
extern const unsigned uni_case_ignorable_count;
extern const uint32_t uni_decimal[];
extern const unsigned uni_decimal_count;

/* Index of the range holding cp, or -1. */
static inline int uni_find(const uint32_t *t, unsigned n, unsigned cp) {
    unsigned lo = 0, hi = n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (cp < UNI_FIRST(t[mid])) hi = mid;
        else if (cp > UNI_RANGE_LAST(t[mid])) lo = mid + 1;
        else return (int)mid;
    }
    return -1;
}

/* The simple lower-case mapping of cp (cp itself when it has none). */
static inline unsigned uni_lower(unsigned cp) {
    unsigned lo = 0, hi = uni_lower_runs_count;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        uint32_t r = uni_lower_runs[mid];
        if (cp < UNI_FIRST(r)) hi = mid;
        else if (cp > UNI_RUN_LAST(r)) lo = mid + 1;
        else return (cp - UNI_FIRST(r)) % UNI_RUN_STEP(r) == 0
            ? (unsigned)((int)cp + uni_lower_deltas[uni_lower_delta_index[mid]]) : cp;
    }
    return cp;
}

/* The value 0..9 of a Unicode decimal digit (category Nd), or -1. */
static inline int uni_decimal_value(unsigned cp) {
    if (cp >= '0' && cp <= '9') return (int)(cp - '0');
    if (cp < 0x80) return -1;
    int i = uni_find(uni_decimal, uni_decimal_count, cp);
    return i < 0 ? -1 : (int)((cp - UNI_FIRST(uni_decimal[i])) % 10);
}

static inline int uni_is_cased(unsigned cp) { return uni_find(uni_cased, uni_cased_count, cp) >= 0; }
static inline int uni_is_case_ignorable(unsigned cp) {
    return uni_find(uni_case_ignorable, uni_case_ignorable_count, cp) >= 0;
}

#endif
