/*
 * column.c: column caches of hot top-level fields and their evaluation (see column.h for
 * what must stay true).
 *
 * Evaluation works a whole column at a time: each comparison fills one byte per row (0 no,
 * 1 yes, 2 ask the document), and and_/or_/not_ combine those arrays, so the loops stay
 * tight and read memory in order instead of chasing every document. As of a past seq the
 * same evaluation reads each row's slot at that seq: its present slot, or its past entry
 * (the past values below), so a filter on a field the later commits changed rebuilds no
 * version to read it, only the hits.
 */
#include "column.h"
#include "memory.h"
#include <stdlib.h>

enum { CK_NONE, CK_VAL, CK_DOC };

/* Block summaries ("zone maps"): per ZONE rows, whether a row may ask its document (CK_DOC)
   and what the CK_VAL rows may hold: ints, the least and greatest value; strings, a 512-bit
   Bloom filter of the hashes. A lone comparison skips a whole block the summary rules out,
   so a selective first query reads a few kB instead of the column. Summaries only widen
   (a changed value is added, the old one stays): they may let a block be read for nothing,
   never skip a match. A block is emptied when its first row is appended. */
#define ZONE 64
#define BLOOM_WORDS 8

/* One past value of a row's field: the slot (kind, and x: the int or the string's hash) of the
   version that took effect at seq from, and the row's next older entry (next >> 2: its index
   + 1, 0 none; next & 3: the kind). */
typedef struct past_entry { int64_t x; uint32_t from, next; } past_entry;

typedef struct column {
    char *field;
    size_t flen;
    int is_str;            /* payload: 32-bit string hashes (else int64 values) */
    uint8_t *kind;
    void *vals;            /* int64_t[] or uint32_t[] */
    uint8_t *zdoc;         /* per block: 1 when a row of it may be CK_DOC */
    void *zone;            /* per block: int64_t {min, max}, or uint64_t[BLOOM_WORDS] */
    /* Past values (as-of reads), NULL until the first as-of read of the field builds them:
       per row position the index + 1 of its newest entry in plog (0: no past version), and
       per block summaries of the block's past entries, laid out as zdoc and zone. */
    uint32_t *phead;
    past_entry *plog;
    size_t plen, pcap;
    uint8_t *pzdoc;
    void *pzone;
} column;

struct col_set {
    column col[COL_MAX];
    size_t ncol, len, cap;
    uint8_t hint[16];      /* member index -> column of the last document (most share a layout) */
};

static int enabled = 1, past_enabled = 1;
void col_enable(int on) { enabled = on; }
void col_past_enable(int on) { past_enabled = on; }

static void past_free(column *k) {
    free(k->phead); free(k->plog); free(k->pzdoc); free(k->pzone);
    k->phead = NULL; k->plog = NULL; k->pzdoc = NULL; k->pzone = NULL;
    k->plen = k->pcap = 0;
}

/* A 32-bit hash of a string's bytes: whole words, the last one overlapping, no calls. */
static uint32_t str_hash(const uint8_t *p, size_t n) {
    uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15ull, w;
    if (n < 8) {
        w = 0;
        for (size_t i = 0; i < n; i++) w |= (uint64_t)p[i] << (8 * i);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
    } else {
        const uint8_t *last = p + n - 8;
        for (; p < last; p += 8) { memcpy(&w, p, 8); h = (h ^ w) * 0xff51afd7ed558ccdull; }
        memcpy(&w, last, 8);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    }
    return (uint32_t)(h ^ (h >> 32));
}

void col_free(struct col_set *s) {
    if (!s) return;
    for (size_t i = 0; i < s->ncol; i++) {
        column *k = &s->col[i];
        free(k->field); free(k->kind); free(k->vals); free(k->zdoc); free(k->zone);
        past_free(k);
    }
    free(s);
}

void col_drop(coll *c) { col_free(c->cx); c->cx = NULL; }

static size_t width(const column *k) { return k->is_str ? sizeof(uint32_t) : sizeof(int64_t); }
static size_t zone_width(const column *k) { return k->is_str ? BLOOM_WORDS * sizeof(uint64_t) : 2 * sizeof(int64_t); }
static size_t zones(size_t rows) { return rows ? (rows + ZONE - 1) / ZONE : 1; }

/* The Bloom filter bit of a string hash: its top 9 bits (the scan compares all 32). */
static unsigned bloom_bit(uint32_t h) { return h >> 23; }

static void summary_clear(column *k, uint8_t *zdoc, void *zone, size_t b) {
    zdoc[b] = 0;
    if (k->is_str) memset((uint64_t *)zone + b * BLOOM_WORDS, 0, BLOOM_WORDS * sizeof(uint64_t));
    else { ((int64_t *)zone)[2 * b] = INT64_MAX; ((int64_t *)zone)[2 * b + 1] = INT64_MIN; }
}

/* Widens summary block b (zdoc, zone: the present's or the past's) by one slot. */
static void summary_note(column *k, uint8_t *zdoc, void *zone, size_t b, uint8_t kind, int64_t x) {
    if (kind == CK_DOC) zdoc[b] = 1;
    if (kind != CK_VAL) return;
    if (k->is_str) {
        unsigned bit = bloom_bit((uint32_t)x);
        ((uint64_t *)zone)[b * BLOOM_WORDS + (bit >> 6)] |= 1ull << (bit & 63);
        return;
    }
    int64_t *z = (int64_t *)zone + 2 * b;
    if (x < z[0]) z[0] = x;
    if (x > z[1]) z[1] = x;
}

/* Empties block b's summary: no CK_DOC row, no value (and its past one: a new block). */
static void zone_clear(column *k, size_t b) {
    summary_clear(k, k->zdoc, k->zone, b);
    if (k->phead) summary_clear(k, k->pzdoc, k->pzone, b);
}

/* A row's present value in k: the int, or the string's hash. */
static inline int64_t present_val(const column *k, size_t pos) {
    return k->is_str ? (int64_t)((const uint32_t *)k->vals)[pos] : ((const int64_t *)k->vals)[pos];
}

/* Widens the summary of pos's block by row pos's slot as it is now. */
static void zone_note(column *k, size_t pos) {
    summary_note(k, k->zdoc, k->zone, pos / ZONE, k->kind[pos], present_val(k, pos));
}

static int grow(struct col_set *s, size_t want) {
    if (want <= s->cap) return 1;
    size_t cap = s->cap ? s->cap * 2 : 64;
    while (cap < want) cap *= 2;
    for (size_t i = 0; i < s->ncol; i++) {
        column *k = &s->col[i];
        uint8_t *kind = realloc(k->kind, cap);
        if (kind) k->kind = kind;
        void *vals = kind ? realloc(k->vals, cap * width(k)) : NULL;
        if (!vals) return 0;
        k->vals = vals;
        uint8_t *zdoc = realloc(k->zdoc, zones(cap));
        if (zdoc) k->zdoc = zdoc;
        void *zone = zdoc ? realloc(k->zone, zones(cap) * zone_width(k)) : NULL;
        if (!zone) return 0;
        k->zone = zone;
        if (!k->phead) continue;
        uint32_t *phead = realloc(k->phead, cap * sizeof *phead);
        if (phead) k->phead = phead;
        uint8_t *pzdoc = phead ? realloc(k->pzdoc, zones(cap)) : NULL;
        if (pzdoc) k->pzdoc = pzdoc;
        void *pzone = pzdoc ? realloc(k->pzone, zones(cap) * zone_width(k)) : NULL;
        if (!pzone) { past_free(k); continue; }   /* optional: rebuilt when next needed */
        k->pzone = pzone;
    }
    s->cap = cap;
    return 1;
}

static column *find(struct col_set *s, const char *f, size_t fl) {
    for (size_t i = 0; i < s->ncol; i++)
        if (s->col[i].flen == fl && memcmp(s->col[i].field, f, fl) == 0) return &s->col[i];
    return NULL;
}

/* A new column for a field first seen at row pos: every other live row asks its document
   (those seen before lacked an int or string in it, or the set was full then). The caller
   fills row pos and notes it in its block's summary. */
static column *add_column(coll *c, const char *f, size_t fl, int is_str, size_t pos) {
    struct col_set *s = c->cx;
    column *k = &s->col[s->ncol];
    memset(k, 0, sizeof *k);
    k->is_str = is_str;
    k->field = malloc(fl + 1);
    k->kind = malloc(s->cap ? s->cap : 1);
    k->vals = malloc((s->cap ? s->cap : 1) * width(k));
    k->zdoc = malloc(zones(s->cap));
    k->zone = malloc(zones(s->cap) * zone_width(k));
    if (!k->field || !k->kind || !k->vals || !k->zdoc || !k->zone) {
        free(k->field); free(k->kind); free(k->vals); free(k->zdoc); free(k->zone);
        return NULL;
    }
    memcpy(k->field, f, fl);
    k->field[fl] = 0;
    k->flen = fl;
    for (size_t b = 0; b < zones(s->len); b++) zone_clear(k, b);
    for (size_t i = 0; i < s->len; i++) {
        k->kind[i] = c->rows[i].cur ? CK_DOC : CK_NONE;
        if (i != pos) zone_note(k, i);
    }
    s->ncol++;
    return k;
}

static int same_name(const column *k, const uint8_t *key, size_t kl) {
    if (k->flen != kl || (kl && (uint8_t)k->field[0] != key[0])) return 0;
    if (kl >= 8) {   /* two overlapping words (the name is followed by its value) */
        uint64_t a, b, x, y;
        memcpy(&a, k->field, 8); memcpy(&b, key, 8);
        memcpy(&x, k->field + kl - 8, 8); memcpy(&y, key + kl - 8, 8);
        if (a != b || x != y) return 0;
        for (size_t i = 8; i + 8 < kl; i++)
            if ((uint8_t)k->field[i] != key[i]) return 0;
        return 1;
    }
    for (size_t i = 1; i < kl; i++)
        if ((uint8_t)k->field[i] != key[i]) return 0;
    return 1;
}

/* Writes row pos's slots from its document d (NULL: no current document) and widens the
   summaries of its block by them (as zone_note does). 0 on out of memory.
   Runs at every add, so it walks the members inline (value.h's layout) and tries the column
   the same member index had in the last document first. */
static int fill_slots(coll *c, size_t pos, const doc *d) {
    struct col_set *s = c->cx;
    size_t ncol = s->ncol;
    column *cols = s->col;
    for (size_t i = 0; i < ncol; i++) cols[i].kind[pos] = d ? CK_DOC : CK_NONE;
    size_t b = pos / ZONE;
    if (!d) return 1;
    if (d->v[0] != T_OBJ) {
        for (size_t i = 0; i < ncol; i++) cols[i].zdoc[b] = 1;
        return 1;
    }
    const uint8_t *p = d->v + 9, *end = p + rd32(d->v + 5);
    for (size_t m = 0; p < end; m++) {
        size_t kl = rd32(p) & 0x7fffffffu;
        const uint8_t *key = p + 4;
        val v = key + kl;
        uint8_t t = v[0];
        int is_str = t == T_STR || t == T_STRX;
        p = v + (t >= T_STR ? (t >= T_ARR ? 9 : 5) + (size_t)rd32(v + (t >= T_ARR ? 5 : 1))
                            : t == T_INT32 ? 5 : t == T_INT64 || t == T_DOUBLE ? 9 : 1);
        if (!is_str && t != T_INT32 && t != T_INT64) continue;
        size_t h = m < sizeof s->hint ? s->hint[m] : COL_MAX;
        column *k = h < ncol && same_name(&cols[h], key, kl) ? &cols[h] : NULL;
        for (size_t i = 0; !k && i < ncol; i++)
            if (same_name(&cols[i], key, kl)) k = &cols[i];
        if (!k && ncol < COL_MAX) {
            if (!(k = add_column(c, (const char *)key, kl, is_str, pos))) return 0;
            ncol++;
        }
        if (!k) continue;
        if (m < sizeof s->hint && s->hint[m] != (uint8_t)(k - cols)) s->hint[m] = (uint8_t)(k - cols);
        if (k->is_str != is_str) continue;   /* another kind than the column's: CK_DOC */
        k->kind[pos] = CK_VAL;
        if (is_str) {   /* the value, and in its block's summary (zone_note, inline) */
            uint32_t hash = str_hash(v + 5, rd32(v + 1));
            unsigned bit = bloom_bit(hash);
            ((uint32_t *)k->vals)[pos] = hash;
            ((uint64_t *)k->zone)[b * BLOOM_WORDS + (bit >> 6)] |= 1ull << (bit & 63);
        } else {
            int64_t x = val_int(v), *z = (int64_t *)k->zone + 2 * b;
            ((int64_t *)k->vals)[pos] = x;
            if (x < z[0]) z[0] = x;
            if (x > z[1]) z[1] = x;
        }
    }
    for (size_t i = 0; i < ncol; i++)
        if (cols[i].kind[pos] == CK_DOC) cols[i].zdoc[b] = 1;
    return 1;
}

/* fill_slots (which also widens the block summaries); appended: pos is a new row (its
   block is emptied first when pos is the block's first row). */
static int fill(coll *c, size_t pos, const doc *d, int appended) {
    struct col_set *s = c->cx;
    if (appended && pos % ZONE == 0)
        for (size_t i = 0; i < s->ncol; i++) zone_clear(&s->col[i], pos / ZONE);
    if (appended)
        for (size_t i = 0; i < s->ncol; i++)
            if (s->col[i].phead) s->col[i].phead[pos] = 0;   /* a new row has no past */
    return fill_slots(c, pos, d);
}

void col_appended(coll *c) {
    size_t pos = c->len - 1;
    if (!c->cx) {
        if (pos != 0 || !enabled || !(c->cx = calloc(1, sizeof *c->cx))) return;
        memset(c->cx->hint, 0xff, sizeof c->cx->hint);
    }
    struct col_set *s = c->cx;
    if (s->len != pos || !grow(s, pos + 1)) { col_drop(c); return; }
    s->len = pos + 1;
    if (!fill(c, pos, c->rows[pos].cur, 1)) col_drop(c);
}

void col_changed(coll *c, size_t pos, const doc *cur) {
    if (!c->cx) return;
    if (pos >= c->cx->len || !fill(c, pos, cur, 0)) col_drop(c);
}

void col_removed(coll *c, size_t pos) {
    if (!c->cx) return;
    if (pos + 1 == c->cx->len) c->cx->len--;
    else col_drop(c);
}

/* Builds the columns of c from its rows (when they are missing or out of step). */
static int build(coll *c) {
    col_drop(c);
    if (!(c->cx = calloc(1, sizeof *c->cx))) return 0;
    memset(c->cx->hint, 0xff, sizeof c->cx->hint);
    if (!grow(c->cx, c->len)) { col_drop(c); return 0; }
    for (size_t i = 0; i < c->len; i++) {
        c->cx->len = i + 1;
        if (!fill(c, i, c->rows[i].cur, 1)) { col_drop(c); return 0; }
    }
    return 1;
}

/* 1 when columns can answer every part of n. */
static int answerable(struct col_set *s, const qnode *n, const char **field) {
    node_view v;
    node_view_of(n, &v);
    switch (v.kind) {
    case NV_AND: case NV_OR:
        if (!v.nkids) return 0;
        for (size_t i = 0; i < v.nkids; i++)
            if (!answerable(s, v.kids[i], field)) return 0;
        return 1;
    case NV_NOT: return answerable(s, v.kids[0], field);
    case NV_CMP: {
        const column *k = find(s, v.field, v.flen);
        if (!k) return 0;
        if (!*field) *field = k->field;
        return k->is_str ? (v.cmp <= 1 && (v.value[0] == T_STR || v.value[0] == T_STRX)) : val_is_int(v.value);
    }
    default: return 0;
    }
}

/* One comparison over a whole column: 0 no, 1 yes, 2 ask the document (CK_NONE rows give 0).
   Ints: the outcome of each comparison by the sign of field - value (-1, 0, 1). Strings:
   by whether the hashes are equal (then the document decides) or differ. */
static const uint8_t int_outcome[6][3] = {{0, 1, 0}, {1, 0, 1}, {0, 0, 1}, {1, 0, 0}, {0, 1, 1}, {1, 1, 0}};
static const uint8_t str_outcome[2][2] = {{0, 2}, {1, 2}};

static void compare(struct col_set *s, const node_view *v, uint8_t *res) {
    const column *k = find(s, v->field, v->flen);
    const uint8_t *kind = k->kind;
    size_t n = s->len;
    if (k->is_str) {
        const uint32_t *h = k->vals;
        uint32_t y = str_hash(v->value + 5, rd32(v->value + 1));
        const uint8_t *o = str_outcome[v->cmp];
        for (size_t i = 0; i < n; i++) res[i] = kind[i] == CK_VAL ? o[h[i] == y] : kind[i];
        return;
    }
    const int64_t *x = k->vals;
    int64_t y = val_int(v->value);
    const uint8_t *o = int_outcome[v->cmp];
    for (size_t i = 0; i < n; i++) res[i] = kind[i] == CK_VAL ? o[(x[i] > y) - (x[i] < y) + 1] : kind[i];
}

/* Appends row i (outcome r: 1 yes, 2 ask the document) to the candidate list. 0 on out of memory. */
static int push_candidate(size_t **out, size_t *m, size_t *cap, size_t *unsure, size_t i, uint8_t r) {
    if (*m == *cap) {
        size_t *grown = realloc(*out, (*cap *= 2) * sizeof *grown);
        if (!grown) return 0;
        *out = grown;
    }
    (*out)[(*m)++] = i;
    *unsure += r == 2;
    return 1;
}

/* The comparison with outcomes o as the range [lo, lo + span] of matching values (unsigned
   wrap-around arithmetic, so x matches when (uint64_t)x - lo <= span). 0 when it is no single
   range (notEquals_) or matches nothing (greaterThan_ the largest int and the like). */
static int match_range(const uint8_t *o, int64_t y, uint64_t *lo, uint64_t *span) {
    int64_t a, b;
    if (o[0] && o[2]) return 0;
    if (o[0]) { if (!o[1] && y == INT64_MIN) return 0; a = INT64_MIN; b = o[1] ? y : y - 1; }
    else if (o[2]) { if (!o[1] && y == INT64_MAX) return 0; b = INT64_MAX; a = o[1] ? y : y + 1; }
    else { a = b = y; }
    *lo = (uint64_t)a;
    *span = (uint64_t)b - (uint64_t)a;
    return 1;
}

/* 1 when the 8 rows at kind/x all hold ints (CK_VAL) and none is in the range (match_range). */
static int no_match_block(const uint8_t *kind, const int64_t *x, uint64_t lo, uint64_t span) {
    uint64_t kinds;
    memcpy(&kinds, kind, 8);
    if (kinds != 0x0101010101010101ull) return 0;
    /* Written out: -Oz neither unrolls nor vectorizes the loop. */
    return ((uint64_t)x[0] - lo > span) & ((uint64_t)x[1] - lo > span) & ((uint64_t)x[2] - lo > span) &
           ((uint64_t)x[3] - lo > span) & ((uint64_t)x[4] - lo > span) & ((uint64_t)x[5] - lo > span) &
           ((uint64_t)x[6] - lo > span) & ((uint64_t)x[7] - lo > span);
}

/* 1 when the 8 rows at kind/h all hold strings (CK_VAL) and none has the hash y. */
static int no_hash_block(const uint8_t *kind, const uint32_t *h, uint32_t y) {
    uint64_t kinds;
    memcpy(&kinds, kind, 8);
    if (kinds != 0x0101010101010101ull) return 0;
    return (h[0] != y) & (h[1] != y) & (h[2] != y) & (h[3] != y) & (h[4] != y) & (h[5] != y) & (h[6] != y) & (h[7] != y);
}

/* A lone comparison (the common query) straight into the candidate list, in one pass over
   the column, without the outcome array that and_/or_/not_ combine. 0 on out of memory. */
static int gather_compare(struct col_set *s, const node_view *v, size_t **pos, size_t *npos, int *exact, int *wide) {
    const column *k = find(s, v->field, v->flen);
    const uint8_t *kind = k->kind;
    size_t n = s->len, cap = 16, m = 0, unsure = 0, skipped = 0;   /* rows ruled out by block summaries */
    size_t *out = malloc(cap * sizeof *out);
    if (!out) return 0;
    int ok = 1;
    if (k->is_str) {
        const uint32_t *h = k->vals;
        uint32_t y = str_hash(v->value + 5, rd32(v->value + 1));
        const uint8_t *o = str_outcome[v->cmp];
        const uint64_t *bloom = k->zone;
        unsigned bit = bloom_bit(y);
        for (size_t i = 0; ok && i < n;) {
            /* equals_ (a differing hash is a no): skip whole blocks whose filter lacks the
               hash, then blocks of 8 strings without it, so updateOne by name reads little.
               A block's CK_DOC rows need no look: a string equals_ never matches a row whose
               field is missing or not a string. */
            if (!o[0] && i % ZONE == 0 && !(bloom[i / ZONE * BLOOM_WORDS + (bit >> 6)] >> (bit & 63) & 1)) { i += ZONE; skipped += ZONE; continue; }
            if (!o[0] && i + 8 <= n && no_hash_block(kind + i, h + i, y)) { i += 8; continue; }
            size_t stop = i + 8 < n ? i + 8 : n;
            for (; ok && i < stop; i++) {
                uint8_t r = kind[i] == CK_VAL ? o[h[i] == y] : kind[i];
                if (r) ok = push_candidate(&out, &m, &cap, &unsure, i, r);
            }
        }
    } else {
        const int64_t *x = k->vals;
        int64_t y = val_int(v->value);
        const uint8_t *o = int_outcome[v->cmp];
        uint64_t lo = 0, span = 0;
        int ranged = match_range(o, y, &lo, &span);
        const int64_t *z = k->zone, first = (int64_t)lo, last = (int64_t)(lo + span);
        for (size_t i = 0; ok && i < n;) {
            /* A whole block whose values all lie outside the range (searchOne's equals_). */
            if (ranged && i % ZONE == 0 && !k->zdoc[i / ZONE] && (z[2 * (i / ZONE) + 1] < first || z[2 * (i / ZONE)] > last)) { i += ZONE; skipped += ZONE; continue; }
            /* Skip blocks of 8 rows that all hold ints and none matches, almost without
               branches: a selective comparison (searchOne's equals_) reads the column fast. */
            if (ranged && i + 8 <= n && no_match_block(kind + i, x + i, lo, span)) { i += 8; continue; }
            size_t stop = i + 8 < n ? i + 8 : n;
            for (; ok && i < stop; i++) {
                uint8_t r = kind[i] == CK_VAL ? o[(x[i] > y) - (x[i] < y) + 1] : kind[i];
                if (r) ok = push_candidate(&out, &m, &cap, &unsure, i, r);
            }
        }
    }
    if (!ok) { free(out); return 0; }
    *pos = out;
    *npos = m;
    *exact = unsure == 0;
    *wide = (n - (skipped < n ? skipped : n)) * 4 > n;
    return 1;
}

/* and_ and or_ of two outcomes (0 no, 1 yes, 2 unknown), indexed by a * 3 + b. */
static const uint8_t combine[2][9] = {{0, 0, 0, 0, 1, 2, 0, 2, 2}, {0, 1, 2, 1, 1, 1, 2, 1, 2}};

static void compare_at(const coll *c, const node_view *v, uint32_t at, uint8_t *res);

/* Evaluates n into res (s->len bytes); scratch for children. 0 on out of memory. With past
   set, as of seq at from the slots at that seq (past is the collection: past values built). */
static int eval(struct col_set *s, const qnode *n, uint8_t *res, const coll *past, uint32_t at) {
    node_view v;
    node_view_of(n, &v);
    size_t len = s->len;
    if (v.kind == NV_CMP) {
        if (past) compare_at(past, &v, at, res);
        else compare(s, &v, res);
        return 1;
    }
    if (!eval(s, v.kids[0], res, past, at)) return 0;
    if (v.kind == NV_NOT) {
        for (size_t i = 0; i < len; i++) res[i] ^= res[i] < 2;   /* 0 <-> 1, 2 stays */
        return 1;
    }
    if (v.nkids == 1) return 1;
    uint8_t *kid = malloc(len ? len : 1);
    if (!kid) return 0;
    for (size_t j = 1; j < v.nkids; j++) {
        if (!eval(s, v.kids[j], kid, past, at)) { free(kid); return 0; }
        const uint8_t *t = combine[v.kind == NV_OR];
        for (size_t i = 0; i < len; i++) res[i] = t[res[i] * 3 + kid[i]];
    }
    free(kid);
    return 1;
}

/* The rows an and_/or_/not_ node may match (eval with past values of c as of `at` when c is
   given, else the present), as candidate positions: *exact when none needs its document. */
static int eval_candidates(struct col_set *s, const qnode *node, const coll *c, uint32_t at, size_t **pos, size_t *npos, int *exact) {
    uint8_t *res = malloc(s->len);
    if (!res) return 0;
    if (!eval(s, node, res, c, at)) { free(res); return 0; }
    size_t n = 0, unsure = 0;
    for (size_t i = 0; i < s->len; i++) n += res[i] != 0;
    size_t *out = malloc((n ? n : 1) * sizeof *out);
    if (!out) { free(res); return 0; }
    n = 0;
    for (size_t i = 0; i < s->len; i++)
        if (res[i]) { out[n++] = i; unsure += res[i] == 2; }
    free(res);
    *pos = out;
    *npos = n;
    *exact = unsure == 0;
    return 1;
}

int col_candidates(coll *c, const qnode *node, size_t **pos, size_t *npos, int *exact, const char **field, int *wide) {
    *pos = NULL;
    *npos = 0;
    *exact = 0;
    *field = NULL;
    *wide = 1;   /* and_/or_/not_ read whole columns */
    if (!enabled || !node || !c->len) return 0;
    if ((!c->cx || c->cx->len != c->len) && !build(c)) return 0;
    struct col_set *s = c->cx;
    if (!answerable(s, node, field)) return 0;
    node_view v;
    node_view_of(node, &v);
    if (v.kind == NV_CMP) return gather_compare(s, &v, pos, npos, exact, wide);
    return eval_candidates(s, node, NULL, 0, pos, npos, exact);
}

int col_in_order(coll *c, const char *field, size_t flen, int reversed, const size_t *pos, size_t n) {
    if (!enabled || !c || !c->cx || c->cx->len != c->len) return 0;   /* no hits: no collection */
    const column *col = find(c->cx, field, flen);
    if (!col || col->is_str) return 0;
    const int64_t *x = col->vals;
    for (size_t i = 0; i < n; i++)
        if (col->kind[pos[i]] != CK_VAL || (i && (reversed ? x[pos[i - 1]] < x[pos[i]] : x[pos[i - 1]] > x[pos[i]]))) return 0;
    return 1;
}

/* a comes after b in the order: by value (descending when reversed), ties by position. */
static int top_after(const int64_t *x, int reversed, size_t a, size_t b) {
    if (x[a] != x[b]) return reversed ? x[a] < x[b] : x[a] > x[b];
    return a > b;
}

static void sift_down(const int64_t *x, int reversed, size_t *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && top_after(x, reversed, h[l], h[m])) m = l;
        if (r < n && top_after(x, reversed, h[r], h[m])) m = r;
        if (m == i) return;
        size_t t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
    }
}

/* The candidates of one block, and the best value the block's summary allows. */
typedef struct top_run { int64_t bound; size_t from, to; } top_run;

/* A max-heap of runs by bound: the walk pops only the few blocks it reads (usually one or
   two), so the heap costs O(blocks) to build instead of a sort's O(blocks log blocks). */
static void run_sift(top_run *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l].bound > h[m].bound) m = l;
        if (r < n && h[r].bound > h[m].bound) m = r;
        if (m == i) return;
        top_run t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
    }
}

int col_top(coll *c, const char *field, size_t flen, int reversed, size_t *pos, size_t n, size_t k) {
    if (!enabled || !c->cx || c->cx->len != c->len || k == 0 || k >= n) return 0;
    const column *col = find(c->cx, field, flen);
    if (!col || col->is_str) return 0;
    for (size_t i = 0; i < n; i++)
        if (col->kind[pos[i]] != CK_VAL) return 0;
    const int64_t *x = col->vals, *z = col->zone;
    /* Blocks are visited best bound first (the block's greatest value when descending, its
       least otherwise, from its summary), and the walk stops at a block whose bound is
       strictly worse than the k-th best so far: no row of it or of a later block can enter.
       Rows in ascending order with a descending sort (the "latest k" query) then read one
       or two blocks instead of sifting every row through the heap. Ties are ranked by
       top_after, which compares positions, so visiting blocks out of order is safe. */
    size_t nruns = 0;
    size_t max_runs = c->len / ZONE + 1 < n ? c->len / ZONE + 1 : n;   /* blocks holding candidates */
    top_run *runs = malloc(max_runs * sizeof *runs);
    size_t *heap = malloc(k * sizeof *heap);   /* the best k so far, the worst at the root */
    if (!runs || !heap) { free(runs); free(heap); return 0; }
    for (size_t i = 0; i < n;) {
        size_t b = pos[i] / ZONE, from = i;
        while (i < n && pos[i] / ZONE == b) i++;
        /* Descending: the block's greatest value first; ascending: its least, negated (so
           one max-heap serves both; -(INT64_MIN) is kept in range by saturating). */
        int64_t bound = reversed ? z[2 * b + 1] : (z[2 * b] == INT64_MIN ? INT64_MAX : -z[2 * b]);
        runs[nruns++] = (top_run){bound, from, i};
    }
    for (size_t j = nruns / 2; j-- > 0;) run_sift(runs, nruns, j);
    size_t filled = 0;
    while (nruns) {
        top_run run = runs[0];
        runs[0] = runs[--nruns];
        run_sift(runs, nruns, 0);
        if (filled == k) {
            int64_t worst = x[heap[0]];
            int64_t best_here = reversed ? run.bound : (run.bound == INT64_MAX ? INT64_MIN : -run.bound);
            if (reversed ? best_here < worst : best_here > worst) break;
        }
        for (size_t i = run.from; i < run.to; i++) {
            if (filled < k) {
                heap[filled++] = pos[i];
                if (filled == k)
                    for (size_t j = k / 2; j-- > 0;) sift_down(x, reversed, heap, k, j);
            } else if (top_after(x, reversed, heap[0], pos[i])) {
                heap[0] = pos[i];
                sift_down(x, reversed, heap, k, 0);
            }
        }
    }
    free(runs);
    for (size_t m = k; m > 0; m--) {   /* the worst first, filling from the end */
        pos[m - 1] = heap[0];
        heap[0] = heap[m - 1];
        sift_down(x, reversed, heap, m - 1, 0);
    }
    free(heap);
    return 1;
}

/* ---- past values: as-of reads (column.h) ----
   A row's slot as of seq at is its present slot when its current document took effect by
   then, else the first of its past entries (newest first) that did; none: no document then.
   Entries mirror the row's version chain one for one (kind and value of each version's
   field), and each block's past summary covers every entry of its rows, so a comparison
   skips a block that neither summary lets match. */

/* The slot of field k in document d (NULL: no document), as fill_slots would fill it. */
static uint8_t slot_of(const column *k, val d, int64_t *x) {
    *x = 0;
    if (!d) return CK_NONE;
    if (d[0] != T_OBJ) return CK_DOC;
    val f = val_obj_get(d, k->field, k->flen);
    if (!f) return CK_DOC;
    int is_str = f[0] == T_STR || f[0] == T_STRX;
    if (is_str != k->is_str) return CK_DOC;
    if (is_str) { *x = str_hash(f + 5, rd32(f + 1)); return CK_VAL; }
    if (!val_is_int(f)) return CK_DOC;
    *x = val_int(f);
    return CK_VAL;
}

static inline uint8_t slot_at(const column *k, const row *r, size_t pos, uint32_t at, int64_t *x) {
    if (r->from <= at) { *x = present_val(k, pos); return k->kind[pos]; }
    for (uint32_t e = k->phead[pos]; e;) {
        const past_entry *p = &k->plog[e - 1];
        if (p->from <= at) { *x = p->x; return (uint8_t)(p->next & 3); }
        e = p->next >> 2;
    }
    *x = 0;
    return CK_NONE;
}

#define PAST_MAX_ENTRIES ((size_t)1 << 30)   /* entry indexes + 1 fit next's 30 bits */

/* Pushes the slot (kind, x) of a version of row pos that took effect at from, as its newest. */
static int past_push(column *k, size_t pos, uint32_t from, uint8_t kind, int64_t x) {
    if (k->plen == k->pcap) {
        size_t cap = k->pcap < 16 ? 16 : k->pcap + k->pcap / 2;
        if (cap >= PAST_MAX_ENTRIES) return 0;
        past_entry *grown = realloc(k->plog, cap * sizeof *grown);
        if (!grown) return 0;
        k->plog = grown;
        k->pcap = cap;
    }
    past_entry *e = &k->plog[k->plen++];
    e->x = x;
    e->from = from;
    e->next = k->phead[pos] << 2 | kind;
    k->phead[pos] = (uint32_t)k->plen;
    summary_note(k, k->pzdoc, k->pzone, pos / ZONE, kind, x);
    return 1;
}

void col_versioned(coll *c, size_t pos, uint32_t from) {
    struct col_set *s = c->cx;
    if (!s) return;
    int token = hs_mem_optional_begin();   /* optional: the write goes on without them */
    for (size_t i = 0; i < s->ncol; i++) {
        column *k = &s->col[i];
        if (k->phead && (pos >= s->len || !past_push(k, pos, from, k->kind[pos], present_val(k, pos)))) past_free(k);
    }
    hs_mem_optional_end(token);
}

void col_unversioned(coll *c, size_t pos) {
    struct col_set *s = c->cx;
    if (!s) return;
    for (size_t i = 0; i < s->ncol; i++) {
        column *k = &s->col[i];
        if (!k->phead) continue;
        if (pos >= s->len || !k->phead[pos]) { past_free(k); continue; }
        uint32_t e = k->phead[pos] - 1;
        k->phead[pos] = k->plog[e].next >> 2;
        if (e + 1 == k->plen) k->plen--;   /* the pending commit's entries are the last ones */
    }
}

void col_past_cut(coll *c, size_t pos, size_t kept) {
    struct col_set *s = c->cx;
    if (!s) return;
    for (size_t i = 0; i < s->ncol; i++) {
        column *k = &s->col[i];
        if (!k->phead) continue;
        if (pos >= s->len) { past_free(k); continue; }
        if (!kept) { k->phead[pos] = 0; continue; }
        uint32_t e = k->phead[pos];
        for (size_t n = 1; e && n < kept; n++) e = k->plog[e - 1].next >> 2;
        if (e) k->plog[e - 1].next &= 3;   /* the entries below are no longer reached */
        else past_free(k);                  /* fewer entries than versions: out of step */
    }
}

/* Copies the entries reachable from the rows' heads into a log of their own (each row's chain
   newest first, in row order); the unreachable ones go. Out of memory: the values go. */
static void past_compact(const struct col_set *s, column *k) {
    size_t live = 0;
    for (size_t r = 0; r < s->len; r++)
        for (uint32_t e = k->phead[r]; e; e = k->plog[e - 1].next >> 2) live++;
    if (live * 2 > k->plen) return;   /* most are reached: not worth a copy yet */
    past_entry *log = malloc((live ? live : 1) * sizeof *log);
    if (!log) { past_free(k); return; }
    size_t n = 0;
    for (size_t r = 0; r < s->len; r++) {
        uint32_t e = k->phead[r];
        k->phead[r] = 0;
        for (size_t prev = 0; e; e = k->plog[e - 1].next >> 2) {
            log[n] = k->plog[e - 1];
            log[n].next &= 3;
            if (prev) log[prev - 1].next |= (uint32_t)(n + 1) << 2;
            else k->phead[r] = (uint32_t)(n + 1);
            prev = ++n;
        }
    }
    free(k->plog);
    k->plog = log;
    k->plen = n;
    k->pcap = live ? live : 1;
}

void col_past_pruned(coll *c) {
    struct col_set *s = c->cx;
    if (!s) return;
    int token = hs_mem_optional_begin();   /* optional: without memory for the copy they go */
    for (size_t i = 0; i < s->ncol; i++)
        if (s->col[i].phead) past_compact(s, &s->col[i]);
    hs_mem_optional_end(token);
}

typedef struct past_builder { column *k; size_t pos; uint32_t last; } past_builder;

/* row_versions_each's callback: appends the next older version's slot to row pos's chain. */
static int past_add(void *ctx, uint32_t from, val d) {
    past_builder *b = ctx;
    column *k = b->k;
    int64_t x;
    uint8_t kind = slot_of(k, d, &x);
    uint32_t e = (uint32_t)k->plen++;   /* room reserved: one entry per version */
    k->plog[e].x = x;
    k->plog[e].from = from;
    k->plog[e].next = kind;
    if (b->last) k->plog[b->last - 1].next |= (e + 1) << 2;
    else k->phead[b->pos] = e + 1;
    b->last = e + 1;
    summary_note(k, k->pzdoc, k->pzone, b->pos / ZONE, kind, x);
    return 1;
}

/* Builds column k's past values from every row's versions. 0 on out of memory (none kept). */
static int past_build(coll *c, column *k) {
    struct col_set *s = c->cx;
    size_t total = 0;
    for (size_t i = 0; i < s->len; i++)
        for (const version *v = c->rows[i].older; v; v = v->older) total++;
    if (total >= PAST_MAX_ENTRIES) return 0;
    k->phead = malloc((s->cap ? s->cap : 1) * sizeof *k->phead);
    k->pzdoc = malloc(zones(s->cap));
    k->pzone = malloc(zones(s->cap) * zone_width(k));
    k->plog = malloc((total ? total : 1) * sizeof *k->plog);
    if (!k->phead || !k->pzdoc || !k->pzone || !k->plog) { past_free(k); return 0; }
    k->pcap = total ? total : 1;
    k->plen = 0;
    for (size_t b = 0; b < zones(s->len); b++) summary_clear(k, k->pzdoc, k->pzone, b);
    for (size_t i = 0; i < s->len; i++) {
        past_builder b = {k, i, 0};
        k->phead[i] = 0;
        if (!row_versions_each(&c->rows[i], past_add, &b)) { past_free(k); return 0; }
    }
    return 1;
}

/* Builds the past values of every column node reads (answerable: each has one). */
static int past_ready(coll *c, const qnode *n) {
    node_view v;
    node_view_of(n, &v);
    if (v.kind == NV_CMP) {
        column *k = find(c->cx, v.field, v.flen);
        return k->phead || past_build(c, k);
    }
    for (size_t i = 0; i < v.nkids; i++)
        if (!past_ready(c, v.kids[i])) return 0;
    return 1;
}

/* 1 when block b may hold a row matching the range (ints: lo .. last, or a CK_DOC row to
   ask) or the string hash bit, as of any seq: the present and past summaries together. */
static int block_may(const column *k, size_t b, int64_t first, int64_t last, unsigned bit) {
    if (k->is_str)
        return (((const uint64_t *)k->zone)[b * BLOOM_WORDS + (bit >> 6)] | ((const uint64_t *)k->pzone)[b * BLOOM_WORDS + (bit >> 6)]) >> (bit & 63) & 1;
    if (k->zdoc[b] || k->pzdoc[b]) return 1;
    const int64_t *z = (const int64_t *)k->zone + 2 * b, *p = (const int64_t *)k->pzone + 2 * b;
    return !(z[1] < first || z[0] > last) || !(p[1] < first || p[0] > last);
}

/* The outcome (0 no, 1 yes, 2 ask the document) of a slot (kind, x) against y, by outcome
   table o: what compare and gather_compare read from the present column. */
static inline uint8_t slot_outcome(const column *k, const uint8_t *o, uint8_t kind, int64_t x, int64_t y) {
    return kind != CK_VAL ? kind : k->is_str ? o[(uint32_t)x == (uint32_t)y] : o[(x > y) - (x < y) + 1];
}

/* A lone comparison as of seq at: gather_compare's candidates, from the slots at that seq,
   reading only the blocks the summaries let match. 0 on out of memory. */
static int gather_at(const coll *c, const node_view *v, uint32_t at, size_t **pos, size_t *npos, int *exact) {
    const struct col_set *s = c->cx;
    const column *k = find((struct col_set *)s, v->field, v->flen);
    size_t n = s->len, cap = 16, m = 0, unsure = 0;
    size_t *out = malloc(cap * sizeof *out);
    if (!out) return 0;
    int ok = 1, ranged;
    int64_t y, first = 0, last = 0;
    unsigned bit = 0;
    const uint8_t *o;
    if (k->is_str) {
        y = str_hash(v->value + 5, rd32(v->value + 1));
        o = str_outcome[v->cmp];
        ranged = !o[0];   /* equals_: only blocks whose filters hold the hash */
        bit = bloom_bit((uint32_t)y);
    } else {
        y = val_int(v->value);
        o = int_outcome[v->cmp];
        uint64_t lo = 0, span = 0;
        ranged = match_range(o, y, &lo, &span);
        first = (int64_t)lo;
        last = (int64_t)(lo + span);
    }
    for (size_t b = 0; ok && b * ZONE < n; b++) {
        if (ranged && !block_may(k, b, first, last, bit)) continue;
        size_t end = (b + 1) * ZONE < n ? (b + 1) * ZONE : n;
        for (size_t i = b * ZONE; ok && i < end; i++) {
            int64_t x;
            uint8_t kind = slot_at(k, &c->rows[i], i, at, &x);
            uint8_t r = slot_outcome(k, o, kind, x, y);
            if (r) ok = push_candidate(&out, &m, &cap, &unsure, i, r);
        }
    }
    if (!ok) { free(out); return 0; }
    *pos = out;
    *npos = m;
    *exact = unsure == 0;
    return 1;
}

/* compare() as of seq at. */
static void compare_at(const coll *c, const node_view *v, uint32_t at, uint8_t *res) {
    const struct col_set *s = c->cx;
    const column *k = find((struct col_set *)s, v->field, v->flen);
    int64_t y = k->is_str ? (int64_t)str_hash(v->value + 5, rd32(v->value + 1)) : val_int(v->value);
    const uint8_t *o = k->is_str ? str_outcome[v->cmp] : int_outcome[v->cmp];
    for (size_t i = 0; i < s->len; i++) {
        int64_t x;
        uint8_t kind = slot_at(k, &c->rows[i], i, at, &x);
        res[i] = slot_outcome(k, o, kind, x, y);
    }
}

int col_candidates_at(coll *c, const qnode *node, uint32_t at, int dry, size_t **pos, size_t *npos, int *exact, const char **field) {
    *pos = NULL;
    *npos = 0;
    *exact = 0;
    *field = NULL;
    if (!enabled || !past_enabled || !node || !c->len) return 0;
    if ((!c->cx || c->cx->len != c->len) && !build(c)) return 0;
    struct col_set *s = c->cx;
    if (!answerable(s, node, field)) return 0;
    if (dry) return 1;   /* explain: the past values are built by the read */
    if (!past_ready(c, node)) return 0;
    node_view v;
    node_view_of(node, &v);
    if (v.kind == NV_CMP) return gather_at(c, &v, at, pos, npos, exact);
    return eval_candidates(s, node, c, at, pos, npos, exact);
}

/* past_check's callback: the version's slot against the row's next entry. */
typedef struct past_checker { const column *k; uint32_t e; int ok; } past_checker;
static int past_check_one(void *ctx, uint32_t from, val d) {
    past_checker *p = ctx;
    if (!p->e) { p->ok = 0; return 0; }
    const past_entry *e = &p->k->plog[p->e - 1];
    int64_t x;
    uint8_t kind = slot_of(p->k, d, &x), got = (uint8_t)(e->next & 3);
    /* CK_DOC (ask the document) is always right for a document; a value must be exact. */
    if (e->from != from || (kind == CK_NONE) != (got == CK_NONE) || (got == CK_VAL && (kind != CK_VAL || x != e->x))) p->ok = 0;
    p->e = e->next >> 2;
    return p->ok;
}

int col_past_check(const coll *c) {
    const struct col_set *s = c->cx;
    if (!s) return 1;
    for (size_t i = 0; i < s->ncol; i++) {
        const column *k = &s->col[i];
        if (!k->phead) continue;
        if (s->len != c->len) return 0;
        for (size_t r = 0; r < s->len; r++) {
            past_checker p = {k, k->phead[r], 1};
            if (!row_versions_each(&c->rows[r], past_check_one, &p) && !p.ok) return 0;
            if (!p.ok || p.e) return 0;   /* an entry without its version */
            /* every entry within its block's past summary */
            for (uint32_t e = k->phead[r]; e; e = k->plog[e - 1].next >> 2) {
                const past_entry *pe = &k->plog[e - 1];
                size_t b = r / ZONE;
                uint8_t kind = (uint8_t)(pe->next & 3);
                if (kind == CK_DOC && !k->pzdoc[b]) return 0;
                if (kind != CK_VAL) continue;
                if (k->is_str ? !(((const uint64_t *)k->pzone)[b * BLOOM_WORDS + (bloom_bit((uint32_t)pe->x) >> 6)] >> (bloom_bit((uint32_t)pe->x) & 63) & 1)
                              : pe->x < ((const int64_t *)k->pzone)[2 * b] || pe->x > ((const int64_t *)k->pzone)[2 * b + 1]) return 0;
            }
        }
    }
    return 1;
}

size_t col_past_bytes(const coll *c) {
    size_t n = 0;
    if (!c->cx) return 0;
    for (size_t i = 0; i < c->cx->ncol; i++) {
        const column *k = &c->cx->col[i];
        if (k->phead) n += c->cx->cap * sizeof *k->phead + k->pcap * sizeof *k->plog + zones(c->cx->cap) * (1 + zone_width(k));
    }
    return n;
}
