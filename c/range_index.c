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
#include "hsort.h"
#include <math.h>
#include <stdlib.h>

#define BUILD_AFTER_USES 3
#define MIN_ROWS 32
#define NIL UINT32_MAX

typedef struct rentry {
    double key;          /* numbers */
    char *s;             /* strings: owned copy of the bytes */
    uint32_t slen, row_id;
    uint8_t is_str, dead;
} rentry;

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

static void free_strings(rentry *e, size_t n) {
    for (size_t i = 0; i < n; i++) if (e[i].is_str) free(e[i].s);
}

static void clear_index(ridx *x) {
    free_strings(x->main, x->nmain);
    free_strings(x->recent, x->nrecent);
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

/* The key the index keys a document by (strings borrowed from the document), or 0 when its
   field holds neither a number nor a string. */
static int key_of(const ridx *x, const doc *d, rentry *key) {
    if (!d) return 0;
    val v = val_path(d->v, x->field, x->flen);
    if (!v) return 0;
    int k = val_kind(v);
    if (k == K_NUM) { *key = (rentry){.key = val_num(v)}; return 1; }
    if (k != K_STR) return 0;
    size_t n;
    const char *s = val_str(v, &n);
    *key = (rentry){.s = (char *)s, .slen = (uint32_t)n, .is_str = 1};
    return 1;
}

#define EXACT_LIMIT 9007199254740992.0   /* 2^53: every integer below it is a double */

static int key_cmp(const rentry *x, const rentry *y) {
    if (x->is_str != y->is_str) return x->is_str ? 1 : -1;
    if (!x->is_str) return x->key < y->key ? -1 : x->key > y->key;
    int c = memcmp(x->s, y->s, x->slen < y->slen ? x->slen : y->slen);
    return c ? (c < 0 ? -1 : 1) : (x->slen < y->slen ? -1 : x->slen > y->slen);
}

static int entry_cmp(const void *a, const void *b) {
    const rentry *x = a, *y = b;
    int c = key_cmp(x, y);
    if (c) return c;
    return x->row_id < y->row_id ? -1 : x->row_id > y->row_id;
}

static int key_is_nan(const rentry *k) { return !k->is_str && isnan(k->key); }
static int key_is_big(const rentry *k) { return !k->is_str && fabs(k->key) >= EXACT_LIMIT; }

/* Sorts n entries by entry_cmp: a bottom-up merge sort (direct comparisons and whole-entry
   moves; an index build sorts every row), or hs_qsort when no scratch memory is left. */
static void sort_entries(rentry *a, size_t n) {
    rentry *tmp = n > 1 ? malloc(n * sizeof *tmp) : NULL;
    if (!tmp) { if (n > 1) hs_qsort(a, n, sizeof *a, entry_cmp); return; }
    rentry *src = a, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) dst[k++] = entry_cmp(&src[j], &src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        rentry *t = src; src = dst; dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
    free(tmp);
}

/* An entry of the index for key (a string is copied). 0 on out of memory. */
static int own(rentry *e, const rentry *key, uint32_t row_id) {
    *e = *key;
    e->row_id = row_id;
    e->dead = 0;
    if (!key->is_str) return 1;
    e->s = malloc(key->slen ? key->slen : 1);
    if (!e->s) return 0;
    memcpy(e->s, key->s, key->slen);
    return 1;
}

/* Sorts recent into main, dropping the dead. 0 on out of memory (nothing changed). */
static int merge(ridx *x) {
    size_t live = x->nmain - x->ndead + x->nrecent;
    rentry *out = malloc((live ? live : 1) * sizeof *out);
    if (!out) return 0;
    sort_entries(x->recent, x->nrecent);
    size_t i = 0, j = 0, k = 0;
    while (i < x->nmain || j < x->nrecent) {
        if (i < x->nmain && x->main[i].dead) { if (x->main[i].is_str) free(x->main[i].s); i++; continue; }
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
        rentry k;
        if (!key_of(x, c->rows[i].cur, &k)) continue;
        if (key_is_nan(&k)) { x->nnan++; continue; }
        x->nbig += key_is_big(&k);
        if (!own(&x->main[x->nmain], &k, c->rows[i].id)) return 0;
        x->nmain++;
    }
    x->built = 1;
    /* Keys that grow with insertion (ages, times, counters) come already in order. */
    for (size_t i = 1; i < x->nmain; i++)
        if (entry_cmp(&x->main[i - 1], &x->main[i]) > 0) { sort_entries(x->main, x->nmain); break; }
    return 1;
}

/* First position in main whose entry is not before (key, row_id). */
static size_t lower_bound(const ridx *x, const rentry *key, uint32_t row_id) {
    size_t lo = 0, hi = x->nmain;
    rentry probe = *key;
    probe.row_id = row_id;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (entry_cmp(&x->main[mid], &probe) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* First position in main whose key is after key (after_equal) or not before it. */
static size_t key_bound(const ridx *x, const rentry *key, int after_equal) {
    size_t lo = 0, hi = x->nmain;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(&x->main[mid], key);
        if (c < 0 || (after_equal && c == 0)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void erase(ridx *x, const rentry *key, uint32_t row_id) {
    if (key_is_nan(key)) { x->nnan--; return; }
    x->nbig -= key_is_big(key);
    size_t at = lower_bound(x, key, row_id);
    if (at < x->nmain && x->main[at].row_id == row_id && key_cmp(&x->main[at], key) == 0 && !x->main[at].dead) {
        x->main[at].dead = 1;
        x->ndead++;
        return;
    }
    for (size_t i = 0; i < x->nrecent; i++)
        if (x->recent[i].row_id == row_id && key_cmp(&x->recent[i], key) == 0) {
            if (x->recent[i].is_str) free(x->recent[i].s);
            x->recent[i] = x->recent[--x->nrecent];
            return;
        }
}

static int insert(ridx *x, const rentry *key, uint32_t row_id) {
    if (key_is_nan(key)) { x->nnan++; return 1; }
    if (x->nrecent == x->caprecent) {
        size_t cap = x->caprecent ? x->caprecent * 2 : 64;
        rentry *grown = realloc(x->recent, cap * sizeof *grown);
        if (!grown) return 0;
        x->recent = grown;
        x->caprecent = cap;
    }
    if (!own(&x->recent[x->nrecent], key, row_id)) return 0;
    x->nrecent++;
    x->nbig += key_is_big(key);
    return 1;
}

void range_row_changed(coll *c, uint32_t row_id, const doc *old, const doc *cur) {
    range_set *s = c->rx;
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        ridx *x = &s->items[i];
        if (!x->built) continue;
        rentry a, b;
        int ha = key_of(x, old, &a), hb = key_of(x, cur, &b);
        /* NaN != NaN: erased and inserted, counts stay */
        if (ha && hb && !key_is_nan(&a) && key_cmp(&a, &b) == 0) continue;
        if (ha) erase(x, &a, row_id);
        if (hb && !insert(x, &b, row_id)) { clear_index(x); continue; }
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

/* t's bounds as index keys (borrowing t's strings). */
static rentry bound_key(const range_term *t, int upper) {
    if (t->is_str) return upper ? (rentry){.s = (char *)t->hi_s, .slen = (uint32_t)t->hi_n, .is_str = 1}
                                : (rentry){.s = (char *)t->lo_s, .slen = (uint32_t)t->lo_n, .is_str = 1};
    return (rentry){.key = upper ? t->hi : t->lo};
}

/* Whether key lies in t's bounds: exactly (strict bounds kept) or loosely (inclusive). */
static int in_range(const range_term *t, const rentry *key, int exact) {
    if (key->is_str != t->is_str) return 0;
    if (t->has_lo) {
        rentry lo = bound_key(t, 0);
        int c = key_cmp(key, &lo);
        if (c < 0 || (exact && t->lo_strict && c == 0)) return 0;
    }
    if (t->has_hi) {
        rentry hi = bound_key(t, 1);
        int c = key_cmp(key, &hi);
        if (c > 0 || (exact && t->hi_strict && c == 0)) return 0;
    }
    return 1;
}

/* The positions [*from, *to) of main whose keys lie in t (strict bounds kept when exact). */
static void span_of(const ridx *x, const range_term *t, int exact, size_t *from, size_t *to) {
    rentry first_str = {.s = "", .is_str = 1};
    if (t->has_lo) { rentry lo = bound_key(t, 0); *from = key_bound(x, &lo, exact && t->lo_strict); }
    else *from = t->is_str ? key_bound(x, &first_str, 0) : 0;
    if (t->has_hi) { rentry hi = bound_key(t, 1); *to = key_bound(x, &hi, !(exact && t->hi_strict)); }
    else *to = t->is_str ? x->nmain : key_bound(x, &first_str, 0);
    if (*to < *from) *to = *from;
}

/* The index answering t, built when it should be (after BUILD_AFTER_USES uses, or at once
   when declared; with dry set only a declared one is built, nothing is counted), or NULL. */
static ridx *usable(coll *c, const range_term *t, int dry, int count_use) {
    ridx *x = find_or_add(c, t->field, t->flen, dry);
    if (!x) return NULL;
    if (!x->built) {
        if (dry && !x->declared) return NULL;
        if (!x->declared && (!count_use || ++x->uses < BUILD_AFTER_USES)) return NULL;
        if (!build(x, c)) { clear_index(x); return NULL; }
    }
    return x->nnan ? NULL : x;
}

/* Numbers of 2^53 or more may be rounded as keys: bounds are then loose. */
static int exact_in(const ridx *x, const range_term *t) { return t->exact && (t->is_str || x->nbig == 0); }

#define MAX_TERMS 16

int range_candidates(coll *c, const qnode *node, int dry, size_t **pos, size_t *n, const char **field, int *exact) {
    *exact = 0;
    if (!c || c->live < MIN_ROWS) return 0;
    range_term t[MAX_TERMS];
    int nt = node_range_terms(node, t, MAX_TERMS);
    if (!nt) return 0;
    ridx *xs[MAX_TERMS];
    size_t from[MAX_TERMS], to[MAX_TERMS], span = 0, recent = 0;
    int ex = 1, ok = 1;
    /* Every term counts a use of its index, so an or_ builds all of them together. */
    for (int i = 0; i < nt; i++) ok &= (xs[i] = usable(c, &t[i], dry, 1)) != NULL;
    if (!ok) return 0;
    for (int i = 0; i < nt; i++) {
        int e = exact_in(xs[i], &t[i]);
        ex &= e;
        span_of(xs[i], &t[i], e, &from[i], &to[i]);
        span += to[i] - from[i];
        recent += xs[i]->nrecent;
        /* Past a quarter of the rows, a scan (which needs no sorting by row) is cheaper. */
        if (span > c->live / 4 + xs[i]->ndead || xs[i]->nrecent > c->live / 4) return 0;
    }
    if (dry) { *pos = NULL; *n = span; *field = xs[0]->field; *exact = ex; return 1; }
    uint32_t *ids = malloc((span + recent + 1) * sizeof *ids);
    if (!ids) return 0;
    size_t k = 0;
    for (int j = 0; j < nt; j++) {
        ridx *x = xs[j];
        int e = exact_in(x, &t[j]);
        for (size_t i = from[j]; i < to[j]; i++)
            if (!x->main[i].dead) ids[k++] = x->main[i].row_id;
        for (size_t i = 0; i < x->nrecent; i++)
            if (in_range(&t[j], &x->recent[i], e)) ids[k++] = x->recent[i].row_id;
    }
    /* Keys that grow with insertion (ages, times, counters) give ids already in order. */
    int sorted = 1;
    for (size_t i = 1; sorted && i < k; i++) sorted = ids[i - 1] < ids[i];
    if (!sorted) hs_qsort(ids, k, sizeof *ids, id_cmp);
    size_t *out = malloc((k ? k : 1) * sizeof *out), m = 0;
    if (!out) { free(ids); return 0; }
    for (size_t i = 0; i < k; i++) {
        if (i && ids[i] == ids[i - 1]) continue;   /* in two branches of an or_ */
        long r = coll_find_row(c, ids[i]);
        if (r >= 0) out[m++] = (size_t)r;
    }
    free(ids);
    *pos = out;
    *n = m;
    *field = xs[0]->field;
    *exact = ex;
    return 1;
}

int range_top(coll *c, const qnode *node, const char *sfield, size_t sflen, int reversed, size_t k, int dry,
              size_t **pos, size_t *npos, size_t *hits) {
    if (!c || !node || c->live < MIN_ROWS) return 0;
    range_term t;
    if (!node_range_term(node, &t) || !t.exact || t.flen != sflen || memcmp(t.field, sfield, sflen) != 0) return 0;
    ridx *x = usable(c, &t, dry, 0);
    if (!x || !exact_in(x, &t)) return 0;
    if (dry) {
        size_t from, to;
        span_of(x, &t, 1, &from, &to);
        *hits = to - from;   /* about: the dead and the recent are left out */
        return 1;
    }
    if (x->nrecent && !merge(x)) return 0;
    size_t from, to;
    span_of(x, &t, 1, &from, &to);
    size_t live = to - from;
    if (x->ndead)
        for (size_t i = from; i < to; i++) live -= x->main[i].dead;
    size_t want = k < live ? k : live, m = 0;
    size_t *out = malloc((want ? want : 1) * sizeof *out);
    if (!out) return 0;
    if (!reversed) {
        for (size_t i = from; i < to && m < want; i++)
            if (!x->main[i].dead) out[m++] = (size_t)coll_find_row(c, x->main[i].row_id);
    } else {
        /* Descending, but a stable sort keeps equal keys in insertion order: walk runs of
           equal keys from the top, each run forwards. */
        size_t end = to;
        while (end > from && m < want) {
            size_t start = end - 1;
            while (start > from && key_cmp(&x->main[start - 1], &x->main[end - 1]) == 0) start--;
            for (size_t i = start; i < end && m < want; i++)
                if (!x->main[i].dead) out[m++] = (size_t)coll_find_row(c, x->main[i].row_id);
            end = start;
        }
    }
    /* Every entry is a current row (range_row_changed), so each is found. */
    for (size_t i = 0; i < m; i++)
        if (out[i] == (size_t)-1) { free(out); return 0; }
    *pos = out;
    *npos = m;
    *hits = live;
    return 1;
}
