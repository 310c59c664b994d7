/*
 * unicode_tables.h: the shape of the generated Unicode tables (c/unicode_tables.c, written by
 * scripts/gen-unicode-tables.mjs) and the lookups over them (c/unicode.c).
 *
 * Owns: code point properties only; text.c turns them into Python's str.lower(), pynum.c into
 * Python's int()/float() digit rules. Must stay true: the entries of a table are sorted and do
 * not overlap, so a lookup may binary-search the blocks; a decimal digit run is whole 0..9
 * sequences; no table has an entry at U+0000.
 *
 * Packing (small and well compressed, for the wasm's size; the plain {first, last} pairs
 * were 8.5 kB): a table is a byte stream with two LEB128 numbers per entry, the gap from the
 * previous entry's last code point (0 before the first entry) to this entry's first, and its
 * span, last - first (a lower-case run: (last - first) * 2 + step - 1). blocks[i] = base << 11 |
 * byte offset of entry i * UNI_BLOCK, base being the last code point of the entry before it
 * (0 for block 0). A lower-case run with index i maps cp in [first, last] with
 * (cp - first) % step == 0 to cp + uni_lower_deltas[uni_lower_delta_index[i]].
 */
#ifndef HS_UNICODE_TABLES_H
#define HS_UNICODE_TABLES_H
#include <stdint.h>

#define UNI_BLOCK 16

typedef struct uni_table {
    const uint8_t *bytes;
    const uint32_t *blocks;
    unsigned count;
    unsigned span_shift;      /* 1 for lower-case runs (the low bit of the span is step - 1) */
} uni_table;

extern const uni_table uni_lower_runs;
extern const uint8_t uni_lower_delta_index[];
extern const int32_t uni_lower_deltas[];
extern const uni_table uni_cased;
extern const uni_table uni_case_ignorable;
extern const uni_table uni_decimal;

/* The simple lower-case mapping of cp (cp itself when it has none). */
unsigned uni_lower(unsigned cp);
/* The value 0..9 of a Unicode decimal digit (category Nd), or -1. */
int uni_decimal_value(unsigned cp);
int uni_is_cased(unsigned cp);
int uni_is_case_ignorable(unsigned cp);

#endif
