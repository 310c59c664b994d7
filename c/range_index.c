/*
 * range_index.c: range (sorted) indexes (see range_index.h for when they exist and what they
 * hold).
 *
 * Each index is a sorted array `main` of {key, row_id} plus a small unsorted array `recent`
 * of entries added since the last merge. A change erases in O(log n) (the entry in main is
 * marked dead; one in recent is swapped out) and inserts in O(1) (into recent); when recent
 * or the dead outgrow a fraction of main, the two are merged in O(n). So a bulk rewrite of
 * every row costs a few merges, not a memmove per row.
 */
#include "range_index.h"
#include <math.h>
#include <stdlib.h>

#define BUILD_AFTER_USES 3
#define MIN_ROWS 32
#define NIL UINT32_MAX

typedef struct rentry { double key; uint32_t row_id, dead; } rentry;

typedef struct ridx {
    char *field;
    size_t flen;
    uint32_t uses;
    int built, declared;
    rentry *main;
    size_t nmain, ndead;
    rentry *recent;
    size_t nrecent, caprecent;
    size_t nnan;          /* rows whose field is NaN: while any, the index answers nothing */
    size_t nbig;          /* keys of 2^53 or more in size: may be rounded, so never exact */
} ridx;

struct range_set {
    ridx *items;
    size_t n;
};

static void clear_index(ridx *x) {
    free(x->main);
    free(x->recent);
    x->main = x->recent = NULL;
    x->nmain = x->ndead = x->nrecent = x->caprecent = x->nnan = x->nbig = 0;
    x->built = 0;
    x->uses = 0;
}

void range_free(range_set *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        clear_index(&s->items[i]);
        free(s->items[i].field);
    }
    free(s->items);
    free(s);
}

/* The number the index keys a document by, or 0 when its field holds no number. */
static int key_of(const ridx *x, const doc *d, double *key) {
    if (!d) return 0;
    val v = val_path(d->v, x->field, x->flen);
    if (!v || val_kind(v) != K_NUM) return 0;
    *key = val_num(v);
    return 1;
}

#define EXACT_LIMIT 9007199254740992.0   /* 2^53: every integer below it is a double */

static int entry_cmp(const void *a, const void *b) {
    const rentry *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->row_id < y->row_id ? -1 : x->row_id > y->row_id;
}

/* Sorts recent into main, dropping the dead. 0 on out of memory (nothing changed). */
static int merge(ridx *x) {
    size_t live = x->nmain - x->ndead + x->nrecent;
    rentry *out = malloc((live ? live : 1) * sizeof *out);
    if (!out) return 0;
    if (x->nrecent > 1) qsort(x->recent, x->nrecent, sizeof *x->recent, entry_cmp);
    size_t i = 0, j = 0, k = 0;
    while (i < x->nmain || j < x->nrecent) {
        if (i < x->nmain && x->main[i].dead) { i++; continue; }
        if (j >= x->nrecent || (i < x->nmain && entry_cmp(&x->main[i], &x->recent[j]) <= 0)) out[k++] = x->main[i++];
        else out[k++] = x->recent[j++];
    }
    free(x->main);
    x->main = out;
    x->nmain = k;
    x->ndead = 0;
    x->nrecent = 0;
    return 1;
}

static int build(ridx *x, const coll *c) {
    clear_index(x);
    x->main = malloc((c->live ? c->live : 1) * sizeof *x->main);
    if (!x->main) return 0;
    for (size_t i = 0; i < c->len; i++) {
        double k;
        if (!key_of(x, c->rows[i].cur, &k)) continue;
        if (isnan(k)) { x->nnan++; continue; }
        x->nbig += fabs(k) >= EXACT_LIMIT;
        x->main[x->nmain++] = (rentry){k, c->rows[i].id, 0};
    }
    qsort(x->main, x->nmain, sizeof *x->main, entry_cmp);
    x->built = 1;
    return 1;
}

/* First position in main whose entry is not before (key, row_id). */
static size_t lower_bound(const ridx *x, double key, uint32_t row_id) {
    size_t lo = 0, hi = x->nmain;
    rentry probe = {key, row_id, 0};
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (entry_cmp(&x->main[mid], &probe) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void erase(ridx *x, double key, uint32_t row_id) {
    if (isnan(key)) { x->nnan--; return; }
    x->nbig -= fabs(key) >= EXACT_LIMIT;
    size_t at = lower_bound(x, key, row_id);
    if (at < x->nmain && x->main[at].key == key && x->main[at].row_id == row_id && !x->main[at].dead) {
        x->main[at].dead = 1;
        x->ndead++;
        return;
    }
    for (size_t i = 0; i < x->nrecent; i++)
        if (x->recent[i].row_id == row_id && x->recent[i].key == key) { x->recent[i] = x->recent[--x->nrecent]; return; }
}

static int insert(ridx *x, double key, uint32_t row_id) {
    if (isnan(key)) { x->nnan++; return 1; }
    if (x->nrecent == x->caprecent) {
        size_t cap = x->caprecent ? x->caprecent * 2 : 64;
        rentry *grown = realloc(x->recent, cap * sizeof *grown);
        if (!grown) return 0;
        x->recent = grown;
        x->caprecent = cap;
    }
    x->recent[x->nrecent++] = (rentry){key, row_id, 0};
    x->nbig += fabs(key) >= EXACT_LIMIT;
    return 1;
}

void range_row_changed(coll *c, uint32_t row_id, const doc *old, const doc *cur) {
    range_set *s = c->rx;
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        ridx *x = &s->items[i];
        if (!x->built) continue;
        double a, b;
        int ha = key_of(x, old, &a), hb = key_of(x, cur, &b);
        if (ha && hb && a == b) continue;   /* NaN != NaN: erased and inserted, counts stay */
        if (ha) erase(x, a, row_id);
        if (hb && !insert(x, b, row_id)) { clear_index(x); continue; }
        size_t slack = 1024 + x->nmain / 8;
        if ((x->nrecent > slack || x->ndead > slack) && !merge(x)) clear_index(x);
    }
}

static ridx *find_or_add(coll *c, const char *field, size_t flen, int dry) {
    range_set *s = c->rx;
    for (size_t i = 0; s && i < s->n; i++)
        if (s->items[i].flen == flen && memcmp(s->items[i].field, field, flen) == 0) return &s->items[i];
    if (dry) return NULL;
    if (!s && !(s = c->rx = calloc(1, sizeof *s))) return NULL;
    char *name = malloc(flen + 1);
    if (!name) return NULL;
    ridx *grown = realloc(s->items, (s->n + 1) * sizeof *grown);
    if (!grown) { free(name); return NULL; }
    s->items = grown;
    ridx *x = &s->items[s->n++];
    memset(x, 0, sizeof *x);
    memcpy(name, field, flen);
    name[flen] = 0;
    x->field = name;
    x->flen = flen;
    return x;
}

int range_declare(coll *c, const char *field, size_t flen) {
    ridx *x = find_or_add(c, field, flen, 0);
    if (!x) return 0;
    x->declared = 1;
    return 1;
}

static int id_cmp(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Whether key lies in t's bounds: exactly (strict bounds kept) or loosely (inclusive). */
static int in_range(const range_term *t, double key, int exact) {
    if (t->has_lo && (key < t->lo || (exact && t->lo_strict && key == t->lo))) return 0;
    if (t->has_hi && (key > t->hi || (exact && t->hi_strict && key == t->hi))) return 0;
    return 1;
}

int range_candidates(coll *c, const qnode *node, int dry, size_t **pos, size_t *n, const char **field, int *exact) {
    *exact = 0;
    if (!c || c->live < MIN_ROWS) return 0;
    range_term t;
    if (!node_range_term(node, &t)) return 0;
    ridx *x = find_or_add(c, t.field, t.flen, dry);
    if (!x) return 0;
    if (!x->built) {
        if (dry && !x->declared) return 0;
        if (!x->declared && ++x->uses < BUILD_AFTER_USES) return 0;
        if (!build(x, c)) { clear_index(x); return 0; }
    }
    if (x->nnan) return 0;
    int ex = t.exact && x->nbig == 0;
    size_t from = !t.has_lo ? 0 : ex && t.lo_strict ? lower_bound(x, nextafter(t.lo, INFINITY), 0) : lower_bound(x, t.lo, 0);
    size_t to = !t.has_hi || t.hi == INFINITY ? x->nmain
              : ex && t.hi_strict ? lower_bound(x, t.hi, 0) : lower_bound(x, nextafter(t.hi, INFINITY), 0);
    if (to < from) to = from;
    size_t span = to - from;
    /* Past a quarter of the rows, a scan (which needs no sorting by row) is cheaper. */
    if (span > c->live / 4 + x->ndead || x->nrecent > c->live / 4) return 0;
    if (dry) { *pos = NULL; *n = span; *field = x->field; *exact = ex; return 1; }
    uint32_t *ids = malloc((span + x->nrecent + 1) * sizeof *ids);
    if (!ids) return 0;
    size_t k = 0;
    for (size_t i = from; i < to; i++)
        if (!x->main[i].dead) ids[k++] = x->main[i].row_id;
    for (size_t i = 0; i < x->nrecent; i++)
        if (in_range(&t, x->recent[i].key, ex)) ids[k++] = x->recent[i].row_id;
    /* Keys that grow with insertion (ages, times, counters) give ids already in order. */
    int sorted = 1;
    for (size_t i = 1; sorted && i < k; i++) sorted = ids[i - 1] < ids[i];
    if (!sorted) qsort(ids, k, sizeof *ids, id_cmp);
    size_t *out = malloc((k ? k : 1) * sizeof *out), m = 0;
    if (!out) { free(ids); return 0; }
    for (size_t i = 0; i < k; i++) {
        long r = coll_find_row(c, ids[i]);
        if (r >= 0) out[m++] = (size_t)r;
    }
    free(ids);
    *pos = out;
    *n = m;
    *field = x->field;
    *exact = ex;
    return 1;
}
