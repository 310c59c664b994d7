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

typedef struct uni_range { unsigned first, last; } uni_range;
/* cp in [first, last] with (cp - first) % step == 0 lower-cases to cp + delta. */
typedef struct uni_lower_run { unsigned first, last; int delta, step; } uni_lower_run;

extern const uni_lower_run uni_lower_runs[];
extern const unsigned uni_lower_runs_count;
extern const uni_range uni_cased[];
extern const unsigned uni_cased_count;
extern const uni_range uni_case_ignorable[];
extern const unsigned uni_case_ignorable_count;
extern const uni_range uni_decimal[];
extern const unsigned uni_decimal_count;

/* Index of the range holding cp, or -1. */
static inline int uni_find(const uni_range *t, unsigned n, unsigned cp) {
    unsigned lo = 0, hi = n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (cp < t[mid].first) hi = mid;
        else if (cp > t[mid].last) lo = mid + 1;
        else return (int)mid;
    }
    return -1;
}

/* The simple lower-case mapping of cp (cp itself when it has none). */
static inline unsigned uni_lower(unsigned cp) {
    unsigned lo = 0, hi = uni_lower_runs_count;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        const uni_lower_run *r = &uni_lower_runs[mid];
        if (cp < r->first) hi = mid;
        else if (cp > r->last) lo = mid + 1;
        else return (cp - r->first) % (unsigned)r->step == 0 ? (unsigned)((int)cp + r->delta) : cp;
    }
    return cp;
}

/* The value 0..9 of a Unicode decimal digit (category Nd), or -1. */
static inline int uni_decimal_value(unsigned cp) {
    if (cp >= '0' && cp <= '9') return (int)(cp - '0');
    if (cp < 0x80) return -1;
    int i = uni_find(uni_decimal, uni_decimal_count, cp);
    return i < 0 ? -1 : (int)((cp - uni_decimal[i].first) % 10);
}

static inline int uni_is_cased(unsigned cp) { return uni_find(uni_cased, uni_cased_count, cp) >= 0; }
static inline int uni_is_case_ignorable(unsigned cp) {
    return uni_find(uni_case_ignorable, uni_case_ignorable_count, cp) >= 0;
}

#endif
