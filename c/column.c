/*
 * column.c: column caches of hot top-level fields and their evaluation (see column.h for
 * what must stay true).
 *
 * Evaluation works a whole column at a time: each comparison fills one byte per row (0 no,
 * 1 yes, 2 ask the document), and and_/or_/not_ combine those arrays, so the loops stay
 * tight and read memory in order instead of chasing every document.
 */
#include "column.h"
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

typedef struct column {
    char *field;
    size_t flen;
    int is_str;            /* payload: 32-bit string hashes (else int64 values) */
    uint8_t *kind;
    void *vals;            /* int64_t[] or uint32_t[] */
    uint8_t *zdoc;         /* per block: 1 when a row of it may be CK_DOC */
    void *zone;            /* per block: int64_t {min, max}, or uint64_t[BLOOM_WORDS] */
} column;

struct col_set {
    column col[COL_MAX];
    size_t ncol, len, cap;
    uint8_t hint[16];      /* member index -> column of the last document (most share a layout) */
};

static int enabled = 1;
void col_enable(int on) { enabled = on; }

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
    }
    free(s);
}

void col_drop(coll *c) { col_free(c->cx); c->cx = NULL; }

static size_t width(const column *k) { return k->is_str ? sizeof(uint32_t) : sizeof(int64_t); }
static size_t zone_width(const column *k) { return k->is_str ? BLOOM_WORDS * sizeof(uint64_t) : 2 * sizeof(int64_t); }
static size_t zones(size_t rows) { return rows ? (rows + ZONE - 1) / ZONE : 1; }

/* The Bloom filter bit of a string hash: its top 9 bits (the scan compares all 32). */
static unsigned bloom_bit(uint32_t h) { return h >> 23; }

/* Empties block b's summary: no CK_DOC row, no value. */
static void zone_clear(column *k, size_t b) {
    k->zdoc[b] = 0;
    if (k->is_str) memset((uint64_t *)k->zone + b * BLOOM_WORDS, 0, BLOOM_WORDS * sizeof(uint64_t));
    else { ((int64_t *)k->zone)[2 * b] = INT64_MAX; ((int64_t *)k->zone)[2 * b + 1] = INT64_MIN; }
}

/* Widens the summary of pos's block by row pos's slot as it is now. */
static void zone_note(column *k, size_t pos) {
    size_t b = pos / ZONE;
    if (k->kind[pos] == CK_DOC) k->zdoc[b] = 1;
    if (k->kind[pos] != CK_VAL) return;
    if (k->is_str) {
        unsigned bit = bloom_bit(((const uint32_t *)k->vals)[pos]);
        ((uint64_t *)k->zone)[b * BLOOM_WORDS + (bit >> 6)] |= 1ull << (bit & 63);
        return;
    }
    int64_t x = ((const int64_t *)k->vals)[pos], *z = (int64_t *)k->zone + 2 * b;
    if (x < z[0]) z[0] = x;
    if (x > z[1]) z[1] = x;
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

/* Evaluates n into res (s->len bytes); scratch for children. 0 on out of memory. */
static int eval(struct col_set *s, const qnode *n, uint8_t *res) {
    node_view v;
    node_view_of(n, &v);
    size_t len = s->len;
    if (v.kind == NV_CMP) { compare(s, &v, res); return 1; }
    if (!eval(s, v.kids[0], res)) return 0;
    if (v.kind == NV_NOT) {
        for (size_t i = 0; i < len; i++) res[i] ^= res[i] < 2;   /* 0 <-> 1, 2 stays */
        return 1;
    }
    if (v.nkids == 1) return 1;
    uint8_t *kid = malloc(len ? len : 1);
    if (!kid) return 0;
    for (size_t j = 1; j < v.nkids; j++) {
        if (!eval(s, v.kids[j], kid)) { free(kid); return 0; }
        const uint8_t *t = combine[v.kind == NV_OR];
        for (size_t i = 0; i < len; i++) res[i] = t[res[i] * 3 + kid[i]];
    }
    free(kid);
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
    uint8_t *res = malloc(s->len);
    if (!res) return 0;
    if (!eval(s, node, res)) { free(res); return 0; }
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
