/*
 * index.c: adaptive equality indexes (see index.h for when they exist and what they hold).
 *
 * Each index is a chained hash table: heads[hash & mask] starts a chain of entries
 * {hash, row_id, next}. Freed entries go on a free list. Values hash by meaning, not by
 * bytes: numbers by their value (so 1 and 1.0 meet), strings by their bytes.
 */
#include "index.h"
#include "hsort.h"
#include "range_index.h"
#include <math.h>
#include <stdlib.h>

#define NIL UINT32_MAX
#define BUILD_AFTER_USES 3
#define MIN_ROWS 32          /* smaller collections are scanned: cheaper than any index */
#define MAX_TERMS 16

typedef struct entry { uint32_t hash, row_id, next; } entry;

typedef struct hidx {
    char *field;
    size_t flen;
    uint32_t uses;        /* equality lookups seen before the index was built */
    int built, declared;  /* declared (db.createIndex): built at its first use, no counting */
    uint32_t *heads;
    uint32_t mask;        /* nbuckets - 1 */
    entry *ents;
    uint32_t nents, capents, free_head, count;
} hidx;

struct idx_set {
    hidx *items;
    size_t n;
};

static uint32_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return (uint32_t)x;
}

/* Hash of a non-null scalar, equal for values that val_equal calls equal. */
static uint32_t value_hash(val v) {
    switch (val_kind(v)) {
    case K_BOOL: return mix(v[0] == T_TRUE ? 0x7b : 0x7a);
    case K_NUM: {
        double d = val_num(v);
        if (val_is_int(v)) return mix((uint64_t)val_int(v));
        if (d == 0) return mix(0);   /* -0.0 equals 0 */
        uint64_t bits;
        memcpy(&bits, &d, 8);
        return mix(bits ^ 0x9e3779b97f4a7c15ULL);
    }
    default: {
        size_t n;
        const char *s = val_str(v, &n);
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
        return mix(h ^ 0x5bd1e995);
    }
    }
}

static int indexable(val v) {
    return v && (v[0] == T_FALSE || v[0] == T_TRUE || val_kind(v) == K_NUM || val_kind(v) == K_STR);
}

static hidx *find_or_add(coll *c, const char *field, size_t flen);

static void clear_table(hidx *x) {
    free(x->heads);
    free(x->ents);
    x->heads = NULL;
    x->ents = NULL;
    x->mask = x->nents = x->capents = x->count = 0;
    x->free_head = NIL;
    x->built = 0;
    x->uses = 0;
}

int idx_declare(coll *c, const char *field, size_t flen) {
    hidx *x = find_or_add(c, field, flen);
    if (!x) return 0;
    x->declared = 1;
    return 1;
}

void idx_free(idx_set *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        clear_table(&s->items[i]);
        free(s->items[i].field);
    }
    free(s->items);
    free(s);
}

static int grow(hidx *x) {
    /* Double the buckets when the table is more than 3/4 full, rehashing every chain. */
    uint32_t nb = x->mask ? (x->mask + 1) * 2 : 1024;
    uint32_t *heads = malloc(nb * sizeof *heads);
    if (!heads) return 0;
    for (uint32_t i = 0; i < nb; i++) heads[i] = NIL;
    for (uint32_t e = 0; e < x->nents; e++) {
        if (x->ents[e].row_id == NIL) continue;   /* on the free list */
        uint32_t b = x->ents[e].hash & (nb - 1);
        x->ents[e].next = heads[b];
        heads[b] = e;
    }
    free(x->heads);
    x->heads = heads;
    x->mask = nb - 1;
    return 1;
}

static int insert(hidx *x, uint32_t hash, uint32_t row_id) {
    if (!x->heads || x->count + 1 > (x->mask + 1) / 4 * 3) if (!grow(x)) return 0;
    uint32_t e;
    if (x->free_head != NIL) {
        e = x->free_head;
        x->free_head = x->ents[e].next;
    } else {
        if (x->nents == x->capents) {
            uint32_t cap = x->capents ? x->capents * 2 : 256;
            entry *grown = realloc(x->ents, cap * sizeof *grown);
            if (!grown) return 0;
            x->ents = grown;
            x->capents = cap;
        }
        e = x->nents++;
    }
    uint32_t b = hash & x->mask;
    x->ents[e] = (entry){hash, row_id, x->heads[b]};
    x->heads[b] = e;
    x->count++;
    return 1;
}

static void erase(hidx *x, uint32_t hash, uint32_t row_id) {
    if (!x->heads) return;   /* built with no entry yet: no table */
    uint32_t *link = &x->heads[hash & x->mask];
    while (*link != NIL) {
        entry *en = &x->ents[*link];
        if (en->row_id == row_id && en->hash == hash) {
            uint32_t e = *link;
            *link = en->next;
            en->row_id = NIL;
            en->next = x->free_head;
            x->free_head = e;
            x->count--;
            return;
        }
        link = &en->next;
    }
}

static int build(hidx *x, const coll *c) {
    for (size_t i = 0; i < c->len; i++) {
        const doc *d = c->rows[i].cur;
        val v = d ? val_path(d->v, x->field, x->flen) : NULL;
        if (indexable(v) && !insert(x, value_hash(v), c->rows[i].id)) { clear_table(x); return 0; }
    }
    x->built = 1;
    return 1;
}

void idx_row_changed(coll *c, uint32_t row_id, const doc *old, const doc *cur) {
    range_row_changed(c, row_id, old, cur);
    idx_set *s = c->ix;
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        hidx *x = &s->items[i];
        if (!x->built) continue;
        val a = old ? val_path(old->v, x->field, x->flen) : NULL;
        val b = cur ? val_path(cur->v, x->field, x->flen) : NULL;
        int ia = indexable(a), ib = indexable(b);
        if (ia && ib && val_equal(a, b)) continue;
        if (ia) erase(x, value_hash(a), row_id);
        if (ib && !insert(x, value_hash(b), row_id)) clear_table(x);   /* rebuilt when next needed */
    }
}

static hidx *find_or_add(coll *c, const char *field, size_t flen) {
    idx_set *s = c->ix;
    if (!s && !(s = c->ix = calloc(1, sizeof *s))) return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (s->items[i].flen == flen && memcmp(s->items[i].field, field, flen) == 0) return &s->items[i];
    hidx *grown = realloc(s->items, (s->n + 1) * sizeof *grown);
    if (!grown) return NULL;
    s->items = grown;
    hidx *x = &s->items[s->n];
    memset(x, 0, sizeof *x);
    x->free_head = NIL;
    if (!(x->field = malloc(flen + 1))) return NULL;
    memcpy(x->field, field, flen);
    x->field[flen] = 0;
    x->flen = flen;
    s->n++;
    return x;
}

static int id_cmp(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int idx_candidates(coll *c, const qnode *node, int dry, int build_now, int count_use, size_t **pos, size_t *n) {
    if (!c || c->live < MIN_ROWS) return 0;
    eq_term terms[MAX_TERMS];
    int nt = node_equality_terms(node, terms, MAX_TERMS);
    if (nt <= 0) return 0;
    hidx *xs[MAX_TERMS];
    int ready = 1;
    for (int t = 0; t < nt; t++) {
        hidx *x = find_or_add(c, terms[t].field, terms[t].flen);
        if (!x) return 0;
        /* One use per query and field, however many terms name the field (or_ of equals). */
        int seen = 0;
        for (int u = 0; u < t; u++) seen |= xs[u] == x;
        if (!seen && !x->built && (x->declared || (!dry && (build_now || (count_use && ++x->uses >= BUILD_AFTER_USES))))) build(x, c);
        if (!x->built) ready = 0;
        xs[t] = x;
    }
    if (!ready) return 0;
    if (dry) { *pos = NULL; *n = 0; return 1; }
    /* Gather the row ids of every term's chain, then sort into insertion order. */
    size_t cap = 16, k = 0;
    uint32_t *ids = malloc(cap * sizeof *ids);
    if (!ids) return 0;
    for (int t = 0; t < nt; t++) {
        /* An index built while no row held the field has no table yet: no candidates. */
        if (!xs[t]->heads) continue;
        uint32_t h = value_hash(terms[t].value);
        for (uint32_t e = xs[t]->heads[h & xs[t]->mask]; e != NIL; e = xs[t]->ents[e].next) {
            if (xs[t]->ents[e].hash != h) continue;
            if (k == cap) {
                uint32_t *grown = realloc(ids, (cap *= 2) * sizeof *ids);
                if (!grown) { free(ids); return 0; }
                ids = grown;
            }
            ids[k++] = xs[t]->ents[e].row_id;
        }
    }
    if (k > 1) hs_qsort(ids, k, sizeof *ids, id_cmp);
    size_t *out = malloc((k ? k : 1) * sizeof *out), m = 0;
    if (!out) { free(ids); return 0; }
    for (size_t i = 0; i < k; i++) {
        if (i && ids[i] == ids[i - 1]) continue;
        long r = coll_find_row(c, ids[i]);
        if (r >= 0) out[m++] = (size_t)r;
    }
    free(ids);
    *pos = out;
    *n = m;
    return 1;
}
