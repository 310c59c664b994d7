/*
 * sort.c: stable multi-key sorting of documents.
 *
 * Each sort key is extracted once per document into a small tagged key (decorate-sort),
 * so a sort of n documents converts n values per order, not n log n. The sort uses a total
 * order; afterwards check_groups fails the query exactly when Python's list.sort would have
 * met two keys it cannot compare (or a value it cannot convert), which depends only on the
 * groups of rows that tie on the earlier keys, not on which pairs an algorithm compares.
 */
#include "sort.h"
#include "fmt.h"
#include "node.h"
#include "datetime.h"
#include "text.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct sort_order {
    char *field;
    size_t flen;
    int reversed, vtype;
} sort_order;

struct qsort_spec {
    sort_order *orders;
    size_t n;
};

/* Key kinds. Two non-null keys compare only within one kind, as in Python (ints and floats
   share SK_NUM). SK_BAD is a map or list (never comparable); SK_FAIL is a value the vType
   could not convert. Both fail the query only if Python would have compared them. */
enum { SK_NULL, SK_BOOL, SK_NUM, SK_STR, SK_TIME, SK_TIME_NAIVE, SK_BAD, SK_FAIL };
_Static_assert((int)SK_STR == (int)SORT_KIND_STR && (int)SK_TIME_NAIVE == (int)SORT_KIND_TIME_NAIVE && (int)SK_BAD == (int)SORT_KIND_ERROR,
               "sort.h kinds follow sort.c's (SK_BAD and SK_FAIL both read as SORT_KIND_ERROR)");

typedef struct sort_key {
    int kind, is_int;
    py_int n;            /* SK_NUM with is_int: the integer (big digits in the arena) */
    double d;            /* SK_NUM otherwise */
    size_t off, len;     /* SK_STR: bytes in the arena, or borrowed when borrowed != NULL */
    const char *borrowed;
    const char *fail;    /* SK_FAIL: why */
} sort_key;

void sort_free(qsort_spec *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) free(s->orders[i].field);
    free(s->orders);
    free(s);
}

static int str_is(val v, const char *lit) {
    size_t n;
    const char *s = val_is_str(v) ? val_str(v, &n) : NULL;
    return s && n == strlen(lit) && memcmp(s, lit, n) == 0;
}

static int add_order(qsort_spec *s, val j, char *err, size_t cap) {
    val f = val_member(j, "field");
    if (!val_is_str(f)) { hs_snprintf(err, cap, "SingleSort needs a string 'field'"); return 0; }
    val vt = val_member(j, "vType");
    /* DeltaTraceDB's Python reader falls back to auto_ for unknown names. */
    int vtype = VT_AUTO;
    if (val_is_str(vt)) {
        size_t n;
        const char *name = val_str(vt, &n);
        char tmp[32];
        if (n < sizeof tmp) {
            memcpy(tmp, name, n);
            tmp[n] = 0;
            vtype = vtype_from_name(tmp);
        }
        if (vtype == VT_INVALID) vtype = VT_AUTO;
    }
    val rev = val_member(j, "reversed");
    sort_order *o = &s->orders[s->n];
    const char *field = val_str(f, &o->flen);
    o->field = malloc(o->flen + 1);
    if (!o->field) { hs_snprintf(err, cap, "out of memory"); return 0; }
    memcpy(o->field, field, o->flen);
    o->field[o->flen] = 0;
    o->reversed = rev && rev[0] == T_TRUE;
    o->vtype = vtype;
    s->n++;
    return 1;
}

qsort_spec *sort_compile(val j, char *err, size_t cap) {
    if (j[0] != T_OBJ) { hs_snprintf(err, cap, "sortObj must be an object"); return NULL; }
    val cls = val_member(j, "className");
    qsort_spec *s = calloc(1, sizeof *s);
    if (!s) { hs_snprintf(err, cap, "out of memory"); return NULL; }
    int ok = 1;
    if (str_is(cls, "SingleSort")) {
        ok = (s->orders = calloc(1, sizeof *s->orders)) != NULL && add_order(s, j, err, cap);
    } else if (str_is(cls, "MultiSort")) {
        val list = val_member(j, "sortOrders");
        if (!list || list[0] != T_ARR) { hs_snprintf(err, cap, "MultiSort needs a 'sortOrders' list"); ok = 0; }
        uint32_t count = ok ? val_count(list) : 0;
        if (ok && count && !(s->orders = calloc(count, sizeof *s->orders))) ok = 0;
        val_iter it;
        if (ok) val_iter_init(&it, list);
        for (val c; ok && (c = val_iter_next(&it, 0));) {
            if (c[0] != T_OBJ) { hs_snprintf(err, cap, "sortOrders must hold SingleSort objects"); ok = 0; }
            else ok = add_order(s, c, err, cap);
        }
    } else {
        hs_snprintf(err, cap, "Unknown sort class");
        ok = 0;
    }
    if (!ok) { if (!err[0]) hs_snprintf(err, cap, "out of memory"); sort_free(s); return NULL; }
    return s;
}

/* Python's bool conversion used by the boolean_ sort: bools, ints (non-zero), and the
   strings true/1/yes/y and false/0/no/n in any case. A float raises in Python. */
static int conv_bool(val v, int *out) {
    if (v[0] == T_TRUE || v[0] == T_FALSE) { *out = v[0] == T_TRUE; return 1; }
    if (val_is_int(v)) { *out = val_int(v) != 0; return 1; }
    if (val_kind(v) != K_STR) return 0;
    size_t n;
    const char *s = val_str(v, &n);
    if (n == 0 || n > 5) return 0;
    static const char *const yes[] = {"true", "1", "yes", "y"}, *const no[] = {"false", "0", "no", "n"};
    char tmp[6] = {0};
    for (size_t i = 0; i < n; i++) tmp[i] = (char)tolower((unsigned char)s[i]);
    for (int i = 0; i < 4; i++) {
        if (strcmp(tmp, yes[i]) == 0) { *out = 1; return 1; }
        if (strcmp(tmp, no[i]) == 0) { *out = 0; return 1; }
    }
    return 0;
}

static void key_fail(sort_key *k, const char *why) { k->kind = SK_FAIL; k->fail = why; }

/* Extracts one key as SingleSort._convert_value does. A value that does not convert becomes
   SK_FAIL, not an error: Python converts a value only when it compares it. Returns NULL, or
   "out of memory". */
static const char *extract(const sort_order *o, val d, sort_key *k, buf *arena, buf *scratch) {
    memset(k, 0, sizeof *k);
    val v = val_path(d, o->field, o->flen);
    if (!v || v[0] == T_NULL) { k->kind = SK_NULL; return NULL; }
    switch (o->vtype) {
    case VT_AUTO:
        switch (val_kind(v)) {
        case K_BOOL: k->kind = SK_BOOL; k->n.i = v[0] == T_TRUE; return NULL;
        case K_NUM: k->kind = SK_NUM; k->is_int = val_is_int(v); k->n.i = val_int(v); k->d = val_num(v); return NULL;
        case K_STR: k->kind = SK_STR; k->borrowed = val_str(v, &k->len); return NULL;
        default: k->kind = SK_BAD; return NULL;
        }
    case VT_DATETIME: {
        dt_instant t;
        size_t n;
        const char *s = val_is_str(v) ? val_str(v, &n) : NULL;
        if (!s || !dt_parse_fromisoformat(s, n, &t)) {
            key_fail(k, "a datetime_ sort field holds a value that is not an ISO 8601 datetime");
            return NULL;
        }
        k->kind = t.has_offset ? SK_TIME : SK_TIME_NAIVE;
        k->n.i = t.micros;
        return NULL;
    }
    case VT_INT:
        /* isinstance(True, int) holds in Python: a bool stays a bool, and then only
           compares with bools. */
        if (v[0] == T_TRUE || v[0] == T_FALSE) { k->kind = SK_BOOL; k->n.i = v[0] == T_TRUE; return NULL; }
        k->kind = SK_NUM; k->is_int = 1;
        if (!conv_int(v, arena, &k->n, 1)) {
            if (arena->oom) return "out of memory";
            key_fail(k, "an int_ sort field holds a value that is not an integer");
        }
        return NULL;
    case VT_FLOAT: case VT_FLOATEPS:
        k->kind = SK_NUM;
        buf_clear(scratch);
        if (!conv_float(v, scratch, &k->d, 1)) {
            if (scratch->oom) return "out of memory";
            key_fail(k, "a float sort field holds a value that is not a number");
        }
        return NULL;
    case VT_BOOL: {
        int b;
        if (!conv_bool(v, &b)) { key_fail(k, "a boolean_ sort field holds a value that is not a boolean"); return NULL; }
        k->kind = SK_BOOL; k->n.i = b;
        return NULL;
    }
    default: {
        size_t n;
        const char *s = conv_pystr(v, scratch, &n);
        if (!s) return "out of memory";
        k->kind = SK_STR;
        k->off = arena->len;
        if (o->vtype == VT_STRING_IC) text_lower_utf8(arena, s, n);
        else buf_put(arena, s, n);
        k->len = arena->len - k->off;
        k->borrowed = NULL;
        return arena->oom ? "out of memory" : NULL;
    }
    }
}

typedef struct sort_ctx {
    const qsort_spec *spec;
    sort_key *keys;      /* keys[i * spec->n + order] */
    const char *arena;
    int float_eps;
} sort_ctx;

/* A total order over keys, used to sort: nulls last, then by kind, then by value. Between
   kinds (and for SK_BAD/SK_FAIL) the order is arbitrary: check_groups fails the query
   whenever Python would have compared such keys. */
static int key_cmp(const sort_key *a, const sort_key *b, const char *arena, int eps) {
    if (a->kind == SK_NULL || b->kind == SK_NULL)
        return (a->kind == SK_NULL) - (b->kind == SK_NULL);  /* nulls last */
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    switch (a->kind) {
    case SK_NUM:
        if (a->is_int && b->is_int) return py_int_cmp(&a->n, arena, &b->n, arena);
        {
            double x = a->is_int ? (double)a->n.i : a->d, y = b->is_int ? (double)b->n.i : b->d;
            if (eps && fabs(x - y) < 1e-12) return 0;
            return x < y ? -1 : x > y;
        }
    case SK_STR: {
        const char *x = a->borrowed ? a->borrowed : arena + a->off;
        const char *y = b->borrowed ? b->borrowed : arena + b->off;
        int c = memcmp(x, y, a->len < b->len ? a->len : b->len);
        if (c) return c < 0 ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    case SK_BAD: case SK_FAIL:
        return 0;
    default:
        return a->n.i < b->n.i ? -1 : a->n.i > b->n.i;
    }
}

static int row_cmp(const sort_ctx *c, size_t x, size_t y) {
    size_t n = c->spec->n;
    for (size_t o = 0; o < n; o++) {
        int r = key_cmp(&c->keys[x * n + o], &c->keys[y * n + o], c->arena, c->spec->orders[o].vtype == VT_FLOATEPS);
        if (r) return c->spec->orders[o].reversed ? -r : r;
    }
    return 0;
}

/* Bottom-up merge sort of indices: stable, O(n log n), no recursion. */
static void merge_sort(const sort_ctx *c, uint32_t *idx, uint32_t *tmp, size_t n) {
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            if (mid >= hi || row_cmp(c, idx[mid - 1], idx[mid]) <= 0) {  /* already in order */
                memcpy(tmp + lo, idx + lo, (hi - lo) * sizeof *idx);
                continue;
            }
            while (i < mid && j < hi) tmp[k++] = row_cmp(c, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
            while (i < mid) tmp[k++] = idx[i++];
            while (j < hi) tmp[k++] = idx[j++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
    }
}

/* The type check of one group of rows that tie on the keys before key o: sorted rows lo..hi
   (idx[r], or r itself when idx is NULL). NULL when the group sorts, else the error. */
static const char *check_group(const sort_ctx *c, const uint32_t *idx, size_t lo, size_t hi, size_t o,
                               char *err, size_t cap) {
    size_t nk = c->spec->n;
    int kind = SK_NULL, bad = 0;
    size_t nonnull = 0;
    for (size_t r = lo; r <= hi; r++) {
        const sort_key *k = &c->keys[(idx ? idx[r] : r) * nk + o];
        if (k->kind == SK_FAIL) return k->fail;
        if (k->kind == SK_NULL) continue;
        nonnull++;
        bad |= k->kind == SK_BAD;
        if (kind == SK_NULL) kind = k->kind;
        else if (k->kind != kind) {
            hs_snprintf(err, cap, "Incompatible types on sort field '%s'", c->spec->orders[o].field);
            return err;
        }
    }
    if (bad && nonnull > 1) {
        hs_snprintf(err, cap, "Field not comparable: sort field '%s' holds a map or list", c->spec->orders[o].field);
        return err;
    }
    return NULL;
}

/* Python's list.sort compares only some pairs, and fails only when one of those raises. Any
   correct comparison sort must compare, within each group of rows that tie on the earlier
   keys, at least one pair of keys from two different kinds (else it could not order them),
   and every row with a group mate. So the query fails exactly when, in such a group of two or
   more rows, a key does not convert, two non-null keys differ in kind, or a map or list meets
   another non-null key. The groups are runs of the sorted order, refined key by key. */
static const char *check_groups(const sort_ctx *c, const uint32_t *idx, size_t n, uint8_t *split,
                                char *err, size_t cap) {
    size_t nk = c->spec->n;
    memset(split, 0, n);   /* split[i]: sorted rows i and i + 1 differ on an earlier key */
    for (size_t o = 0; o < nk; o++) {
        int any_group = 0;
        for (size_t lo = 0, hi; lo < n; lo = hi + 1) {
            for (hi = lo; hi + 1 < n && !split[hi]; hi++) {}
            if (hi == lo) continue;
            any_group = 1;
            const char *e = check_group(c, idx, lo, hi, o, err, cap);
            if (e) return e;
        }
        if (!any_group) break;
        int eps = c->spec->orders[o].vtype == VT_FLOATEPS;
        for (size_t i = 0; i + 1 < n; i++)
            if (!split[i] && key_cmp(&c->keys[idx[i] * nk + o], &c->keys[idx[i + 1] * nk + o], c->arena, eps) != 0)
                split[i] = 1;
    }
    return NULL;
}

const char *sort_apply(const qsort_spec *s, val *docs, size_t n, char *err, size_t cap) {
    if (n < 2 || s->n == 0) return NULL;
    if (n > UINT32_MAX) return "too many documents to sort";
    sort_ctx c = {s, NULL, NULL, 0};
    buf arena, scratch;
    buf_init(&arena);
    buf_init(&scratch);
    const char *e = NULL;
    c.keys = malloc(n * s->n * sizeof *c.keys);
    uint32_t *idx = malloc(n * sizeof *idx), *tmp = malloc(n * sizeof *tmp);
    val *sorted = malloc(n * sizeof *sorted);
    uint8_t *split = malloc(n);
    if (!c.keys || !idx || !tmp || !sorted || !split) { e = "out of memory"; goto done; }
    for (size_t o = 0; o < s->n && !e; o++)
        for (size_t i = 0; i < n && !e; i++)
            e = extract(&s->orders[o], docs[i], &c.keys[i * s->n + o], &arena, &scratch);
    if (e) goto done;
    c.arena = arena.data;
    for (size_t i = 0; i < n; i++) idx[i] = (uint32_t)i;
    merge_sort(&c, idx, tmp, n);
    if ((e = check_groups(&c, idx, n, split, err, cap)) != NULL) goto done;
    for (size_t i = 0; i < n; i++) sorted[i] = docs[idx[i]];
    memcpy(docs, sorted, n * sizeof *docs);
done:
    free(c.keys); free(idx); free(tmp); free(sorted); free(split);
    buf_free(&arena);
    buf_free(&scratch);
    return e;
}

/* The first k rows of the stable order (the sort's index order breaks ties), for sort + limit:
   a bounded max-heap of k indices, so n rows cost about n comparisons with the heap's top
   instead of a full sort. Only for one sort key, where the single group check_groups would
   make of the first key is the whole set, which a linear pass checks the same way. */
static int top_worse(const sort_ctx *c, uint32_t a, uint32_t b) {   /* a after b in the stable order */
    int r = row_cmp(c, a, b);
    return r ? r > 0 : a > b;
}

static void heap_sift_down(const sort_ctx *c, uint32_t *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && top_worse(c, h[l], h[m])) m = l;
        if (r < n && top_worse(c, h[r], h[m])) m = r;
        if (m == i) return;
        uint32_t t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
    }
}

const char *sort_apply_top(const qsort_spec *s, val *docs, size_t n, size_t k, char *err, size_t cap) {
    if (s->n != 1 || k >= n / 4) return sort_apply(s, docs, n, err, cap);
    if (n > UINT32_MAX) return "too many documents to sort";
    sort_ctx c = {s, NULL, NULL, 0};
    buf arena, scratch;
    buf_init(&arena);
    buf_init(&scratch);
    const char *e = NULL;
    c.keys = malloc(n * sizeof *c.keys);
    uint32_t *heap = malloc((k ? k : 1) * sizeof *heap);
    val *top = malloc((k ? k : 1) * sizeof *top);
    if (!c.keys || !heap || !top) { e = "out of memory"; goto done; }
    for (size_t i = 0; i < n && !e; i++) e = extract(&s->orders[0], docs[i], &c.keys[i], &arena, &scratch);
    if (e) goto done;
    c.arena = arena.data;
    if ((e = check_group(&c, NULL, 0, n - 1, 0, err, cap)) != NULL || k == 0) goto done;   /* n >= 4 here */
    size_t h = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (h < k) {   /* sift up */
            size_t j = h++;
            heap[j] = i;
            while (j && top_worse(&c, heap[j], heap[(j - 1) / 2])) {
                uint32_t t = heap[j]; heap[j] = heap[(j - 1) / 2]; heap[(j - 1) / 2] = t;
                j = (j - 1) / 2;
            }
        } else if (top_worse(&c, heap[0], i)) {
            heap[0] = i;
            heap_sift_down(&c, heap, h, 0);
        }
    }
    /* Pop the worst first, filling the answer from its end. */
    for (size_t m = h; m > 0; m--) {
        top[m - 1] = docs[heap[0]];
        heap[0] = heap[m - 1];
        heap_sift_down(&c, heap, m - 1, 0);
    }
    memcpy(docs, top, h * sizeof *docs);
done:
    free(c.keys); free(heap); free(top);
    buf_free(&arena);
    buf_free(&scratch);
    return e;
}

/* ---- keys of one document (live queries keep a sorted set one change at a time) ---- */

struct sort_keys {
    size_t n;
    char *arena;          /* converted strings (string vTypes); keys point into it or the document */
    sort_key keys[];
};

size_t sort_order_count(const qsort_spec *s) { return s->n; }

int sort_single_auto(const qsort_spec *s, const char **field, size_t *flen, int *reversed) {
    if (!s || s->n != 1 || s->orders[0].vtype != VT_AUTO) return 0;
    *field = s->orders[0].field;
    *flen = s->orders[0].flen;
    *reversed = s->orders[0].reversed;
    return 1;
}

size_t sort_keys_size(const qsort_spec *s) { return sizeof(sort_keys) + s->n * sizeof(sort_key); }

int sort_keys_init(const qsort_spec *s, val d, sort_keys *k) {
    buf arena, scratch;
    buf_init(&arena);
    buf_init(&scratch);
    k->n = s->n;
    k->arena = NULL;
    for (size_t o = 0; o < s->n; o++) {
        const char *e = extract(&s->orders[o], d, &k->keys[o], &arena, &scratch);
        if (e && strcmp(e, "out of memory") == 0) { buf_free(&arena); buf_free(&scratch); return 0; }
        if (e) memset(&k->keys[o], 0, sizeof k->keys[o]), k->keys[o].kind = SK_FAIL;
    }
    buf_free(&scratch);
    if (arena.len) {
        k->arena = malloc(arena.len);
        if (!k->arena) { buf_free(&arena); return 0; }
        memcpy(k->arena, arena.data, arena.len);
    }
    for (size_t o = 0; o < s->n; o++)   /* converted strings move from the buffer to the arena */
        if (k->keys[o].kind == SK_STR && !k->keys[o].borrowed) k->keys[o].borrowed = k->arena ? k->arena + k->keys[o].off : "";
    buf_free(&arena);
    return 1;
}

void sort_keys_release(sort_keys *k) {
    if (!k) return;
    free(k->arena);
    k->arena = NULL;
}

/* A map or list, or a value that does not convert: live.c treats either as "may fail". */
int sort_keys_kind(const sort_keys *k, size_t order) { return k->keys[order].kind >= SK_BAD ? SORT_KIND_ERROR : k->keys[order].kind; }

int sort_keys_cmp(const qsort_spec *s, const sort_keys *a, const sort_keys *b) {
    for (size_t o = 0; o < s->n; o++) {
        const sort_key *x = &a->keys[o], *y = &b->keys[o];
        int r;
        if (x->kind != y->kind && x->kind != SK_NULL && y->kind != SK_NULL) r = x->kind < y->kind ? -1 : 1;
        else r = key_cmp(x, y, NULL, s->orders[o].vtype == VT_FLOATEPS);
        if (r) return s->orders[o].reversed ? -r : r;
    }
    return 0;
}
