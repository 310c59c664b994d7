/*
 * live.c: live queries: a read's result kept up to date from the change log, one commit at
 * a time, with the same meaning as a fresh run (exec.c's exec_read).
 *
 * State: the set of rows of the target collection that match the query, as an
 * order-statistic treap (each node knows its subtree size) ordered exactly as exec_read
 * orders its hits: by the compiled sortObj (sort.c's comparator on keys extracted once per
 * document), ties by row id, which is insertion order; without a sort (and for searchOne)
 * by row id alone. A hash map finds a row's node by row id. After a commit, the rows it
 * touched are read from hist.changes (the entries after the last seq seen), each is matched
 * again with the engine's node matcher, and its node is taken out and/or put back:
 * O(k log n) for k touched rows. The page (offset, limit, startAfter, endBefore, searchOne)
 * is then cut from the treap: O(log n + page). Without paging the delta comes straight from
 * the touched rows; with paging the new page is compared with the last one, except that a
 * page cut by offset/limit alone is known unchanged, in O(k log n), when every touched row
 * ranks after it before and after the commit (the common case for a top-k).
 *
 * Must stay true:
 *   - the set holds exactly the rows whose current document matches (getAll: every live
 *     row) of the collection lv->c, which is db_find(target) as of lv->seq;
 *   - kinds[o][k] counts the members whose key for sort order o has kind k, so the cases
 *     where sort_apply would fail (mixed kinds, failed conversions, n >= 2) are known
 *     without a scan; then, and after a node error, the output is "failed" and the caller
 *     re-runs the query for its exact failure result;
 *   - anchors lists the members equal (val_equal) to startAfter/endBefore, so the page start
 *     is found in O(anchors log n), as exec.c's page() finds the first equal hit;
 *   - fallbacks to a full scan (rebuild): the collection appeared, was removed or revived,
 *     the change log no longer reaches back to lv->seq (retention), or the last update ran
 *     out of memory (stale): then the output is the whole page, never a lost delta.
 *
 * Applying a delta to the previous rows (js/live.js applyDelta does this): replace the
 * documents of the changed rows (at their old index, from), take out the removed and the
 * moved rows (by from), then insert the added and moved rows at their new indexes in
 * ascending order. Rows neither moved nor added keep their relative order (their keys did
 * not change), which is what makes this exact.
 */
#include "live.h"
#include "hsort.h"
#include "fmt.h"
#include "hsint.h"
#include <stdio.h>
#include <stdlib.h>

typedef struct lnode {
    struct lnode *l, *r;
    uint32_t size, pri, row_id;
    doc *d;              /* a reference */
    sort_keys *keys;     /* right after the node (same block); NULL when the order is by row id */
} lnode;

/* Where a node's keys start: after the node, aligned for their int64 and double fields
   (a node is 28 bytes in wasm32). */
#define KEYS_AT ((sizeof(lnode) + 15) & ~(size_t)15)

typedef struct rowmap { lnode **slots; size_t cap, n; } rowmap;

/* A row touched by the commits being applied: its node before and after (either NULL). */
typedef struct touched { uint32_t id; size_t old_index; lnode *before, *after; } touched;

struct hs_live {
    hs_db *db;
    cJSON *json;
    query q;
    int by_sort, paged, is_count;
    const uint8_t *anchor;          /* startAfter or endBefore, when page() uses one */
    coll *c;
    uint32_t seq, rng;
    lnode *root;
    rowmap map;
    size_t (*kinds)[SORT_NKINDS];
    lnode **anchors;
    size_t nanchors, capanchors;
    uint32_t *page;                 /* row ids of the last page delivered (paged queries) */
    size_t npage, cappage;
    int64_t hit_count, db_length;
    int failed, node_error;
    int stale;                      /* an update ran out of memory: rebuild at the next one */
};

/* ---- the treap ---- */

static uint32_t sz(const lnode *t) { return t ? t->size : 0; }
static void fix(lnode *t) { t->size = 1 + sz(t->l) + sz(t->r); }

static int node_cmp(const hs_live *lv, const lnode *a, const lnode *b) {
    if (lv->by_sort) {
        int r = sort_keys_cmp(lv->q.sort, a->keys, b->keys);
        if (r) return r;
    }
    return a->row_id < b->row_id ? -1 : a->row_id > b->row_id;
}

/* Splits t into nodes before x (*l) and after x (*r). */
static void split(const hs_live *lv, lnode *t, const lnode *x, lnode **l, lnode **r) {
    if (!t) { *l = *r = NULL; return; }
    if (node_cmp(lv, t, x) < 0) { split(lv, t->r, x, &t->r, r); *l = t; }
    else { split(lv, t->l, x, l, &t->l); *r = t; }
    fix(t);
}

static lnode *merge(lnode *a, lnode *b) {
    if (!a) return b;
    if (!b) return a;
    if (a->pri > b->pri) { a->r = merge(a->r, b); fix(a); return a; }
    b->l = merge(a, b->l);
    fix(b);
    return b;
}

static lnode *insert(const hs_live *lv, lnode *t, lnode *x) {
    if (!t) return x;
    if (x->pri > t->pri) { split(lv, t, x, &x->l, &x->r); fix(x); return x; }
    if (node_cmp(lv, x, t) < 0) t->l = insert(lv, t->l, x);
    else t->r = insert(lv, t->r, x);
    fix(t);
    return t;
}

static lnode *erase(const hs_live *lv, lnode *t, const lnode *x) {
    if (!t) return NULL;
    if (t == x) return merge(t->l, t->r);
    if (node_cmp(lv, x, t) < 0) t->l = erase(lv, t->l, x);
    else t->r = erase(lv, t->r, x);
    fix(t);
    return t;
}

static size_t rank_of(const hs_live *lv, const lnode *x) {
    size_t r = 0;
    for (const lnode *t = lv->root; t;) {
        int c = node_cmp(lv, x, t);
        if (c == 0) return r + sz(t->l);
        if (c < 0) t = t->l;
        else { r += sz(t->l) + 1; t = t->r; }
    }
    return r;   /* not reached for a member */
}

/* Appends the nodes at positions [lo, hi) of subtree t (which starts at position base). */
static void range(lnode *t, size_t lo, size_t hi, size_t base, lnode **out, size_t *n) {
    if (!t || lo >= hi) return;
    size_t me = base + sz(t->l);
    if (lo < me) range(t->l, lo, hi, base, out, n);
    if (me >= lo && me < hi) out[(*n)++] = t;
    if (hi > me + 1) range(t->r, lo, hi, me + 1, out, n);
}

static void free_tree(lnode *t) {
    if (!t) return;
    free_tree(t->l);
    free_tree(t->r);
    doc_unref(t->d);
    sort_keys_release(t->keys);
    free(t);
}

static void free_node(lnode *x) {
    if (!x) return;
    doc_unref(x->d);
    sort_keys_release(x->keys);
    free(x);
}

/* ---- row id -> node (linear probing, backward-shift deletion) ---- */

static size_t slot_of(uint32_t id, size_t cap) { return (size_t)(id * 2654435761u) & (cap - 1); }

static int map_grow(rowmap *m) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    lnode **slots = calloc(cap, sizeof *slots);
    if (!slots) return 0;
    for (size_t i = 0; i < m->cap; i++) {
        lnode *x = m->slots[i];
        if (!x) continue;
        size_t s = slot_of(x->row_id, cap);
        while (slots[s]) s = (s + 1) & (cap - 1);
        slots[s] = x;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 1;
}

static lnode *map_get(const rowmap *m, uint32_t id) {
    if (!m->cap) return NULL;
    for (size_t s = slot_of(id, m->cap); m->slots[s]; s = (s + 1) & (m->cap - 1))
        if (m->slots[s]->row_id == id) return m->slots[s];
    return NULL;
}

static int map_put(rowmap *m, lnode *x) {
    if ((m->n + 1) * 2 > m->cap && !map_grow(m)) return 0;
    size_t s = slot_of(x->row_id, m->cap);
    while (m->slots[s]) s = (s + 1) & (m->cap - 1);
    m->slots[s] = x;
    m->n++;
    return 1;
}

static void map_del(rowmap *m, uint32_t id) {
    size_t mask = m->cap - 1, s = slot_of(id, m->cap);
    while (m->slots[s]->row_id != id) s = (s + 1) & mask;
    m->slots[s] = NULL;
    m->n--;
    for (size_t j = (s + 1) & mask; m->slots[j]; j = (j + 1) & mask) {
        size_t home = slot_of(m->slots[j]->row_id, m->cap);
        /* Move it back into the hole unless its home lies cyclically in (s, j]. */
        int stays = s <= j ? (home > s && home <= j) : (home > s || home <= j);
        if (!stays) { m->slots[s] = m->slots[j]; m->slots[j] = NULL; s = j; }
    }
}

/* ---- membership ---- */

static uint32_t next_rand(hs_live *lv) {
    uint32_t x = lv->rng;
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    return lv->rng = x;
}

static lnode *node_new(hs_live *lv, uint32_t id, doc *d) {
    /* The keys live right after the node, in the same allocation. */
    lnode *x = calloc(1, KEYS_AT + (lv->by_sort ? sort_keys_size(lv->q.sort) : 0));
    if (!x) return NULL;
    x->size = 1;
    x->pri = next_rand(lv);
    x->row_id = id;
    if (lv->by_sort) {
        x->keys = (sort_keys *)((char *)x + KEYS_AT);
        if (!sort_keys_init(lv->q.sort, d->v, x->keys)) { free(x); return NULL; }
    }
    x->d = doc_ref(d);
    return x;
}

static void count_kinds(hs_live *lv, const lnode *x, int step) {
    if (!lv->by_sort) return;
    for (size_t o = 0; o < sort_order_count(lv->q.sort); o++) lv->kinds[o][sort_keys_kind(x->keys, o)] += (size_t)step;
}

static int anchors_add(hs_live *lv, lnode *x) {
    if (lv->nanchors == lv->capanchors) {
        size_t cap = lv->capanchors ? lv->capanchors * 2 : 4;
        lnode **a = realloc(lv->anchors, cap * sizeof *a);
        if (!a) return 0;
        lv->anchors = a;
        lv->capanchors = cap;
    }
    lv->anchors[lv->nanchors++] = x;
    return 1;
}

static void anchors_del(hs_live *lv, const lnode *x) {
    for (size_t i = 0; i < lv->nanchors; i++)
        if (lv->anchors[i] == x) { lv->anchors[i] = lv->anchors[--lv->nanchors]; return; }
}

/* Adds x to every structure. 0 on out of memory (then nothing changed). */
static int member_add(hs_live *lv, lnode *x) {
    int anchored = lv->anchor && val_equal(x->d->v, lv->anchor);
    if (!map_put(&lv->map, x)) return 0;
    if (anchored && !anchors_add(lv, x)) { map_del(&lv->map, x->row_id); return 0; }
    lv->root = insert(lv, lv->root, x);
    count_kinds(lv, x, 1);
    return 1;
}

static void member_del(hs_live *lv, lnode *x) {
    lv->root = erase(lv, lv->root, x);
    map_del(&lv->map, x->row_id);
    anchors_del(lv, x);
    count_kinds(lv, x, -1);
    x->l = x->r = NULL;
    x->size = 1;
}

static int matches(hs_live *lv, const doc *d) {
    if (!d) return 0;
    if (lv->q.type == Q_GET_ALL || !lv->q.node) return 1;
    return node_match(lv->q.node, d->v, &lv->db->nctx);
}

/* sort_apply would refuse this set (exec_read would fail). */
static int sort_fails(const hs_live *lv) {
    if (!lv->by_sort || sz(lv->root) < 2) return 0;
    for (size_t o = 0; o < sort_order_count(lv->q.sort); o++) {
        if (lv->kinds[o][SORT_KIND_ERROR]) return 1;
        int kinds = 0;
        for (int k = SORT_KIND_BOOL; k < SORT_KIND_ERROR; k++) kinds += lv->kinds[o][k] != 0;
        if (kinds > 1) return 1;
    }
    return 0;
}

/* ---- rebuilding from scratch ---- */

static void clear_state(hs_live *lv) {
    free_tree(lv->root);
    lv->root = NULL;
    free(lv->map.slots);
    memset(&lv->map, 0, sizeof lv->map);
    lv->nanchors = 0;
    if (lv->kinds) memset(lv->kinds, 0, sort_order_count(lv->q.sort) * sizeof *lv->kinds);
}

static const hs_live *sorting;   /* hs_qsort has no context argument; the engine is single-threaded */
static int qsort_cmp(const void *a, const void *b) { return node_cmp(sorting, *(lnode *const *)a, *(lnode *const *)b); }

static void fix_sizes(lnode *t) {
    if (!t) return;
    fix_sizes(t->l);
    fix_sizes(t->r);
    fix(t);
}

/* Builds the set by scanning the collection. 0 on out of memory (the set is then empty). */
static int rebuild(hs_live *lv) {
    clear_state(lv);
    hs_db *db = lv->db;
    coll *c = lv->c = db_find(db, lv->q.target);
    lv->seq = db->seq;
    lv->node_error = 0;
    if (!c || lv->is_count) return 1;
    lnode **all = malloc((c->live ? c->live : 1) * sizeof *all);
    size_t n = 0;
    int ok = all != NULL;
    db->nctx.error = NULL;
    for (size_t i = 0; ok && i < c->len; i++) {
        doc *d = c->rows[i].cur;
        if (!matches(lv, d)) continue;
        if (!(all[n] = node_new(lv, c->rows[i].id, d))) ok = 0;
        else n++;
    }
    if (db->nctx.error) lv->node_error = 1;
    if (ok && n > 1) { sorting = lv; hs_qsort(all, n, sizeof *all, qsort_cmp); }
    /* A treap from sorted nodes in O(n): the right spine on a stack (a Cartesian tree). */
    lnode **stack = ok ? malloc((n ? n : 1) * sizeof *stack) : NULL;
    if (!stack) ok = 0;
    for (size_t i = 0; ok && i < n; i++) {
        if (!map_put(&lv->map, all[i]) || (lv->anchor && val_equal(all[i]->d->v, lv->anchor) && !anchors_add(lv, all[i]))) {
            ok = 0;
            break;
        }
        count_kinds(lv, all[i], 1);
    }
    if (ok) {
        size_t top = 0;
        for (size_t i = 0; i < n; i++) {
            lnode *x = all[i], *last = NULL;
            while (top && stack[top - 1]->pri < x->pri) last = stack[--top];
            x->l = last;
            if (top) stack[top - 1]->r = x;
            stack[top++] = x;
        }
        lv->root = n ? stack[0] : NULL;
        fix_sizes(lv->root);
    } else {
        for (size_t i = 0; i < n; i++) free_node(all[i]);
        free(lv->map.slots);
        memset(&lv->map, 0, sizeof lv->map);
        lv->nanchors = 0;
        if (lv->kinds) memset(lv->kinds, 0, sort_order_count(lv->q.sort) * sizeof *lv->kinds);
    }
    free(stack);
    free(all);
    return ok;
}

/* ---- the page ---- */

/* The page [*lo, *hi) of the set, as exec.c's page() cuts it. */
static void page_bounds(const hs_live *lv, size_t *lo_out, size_t *hi_out) {
    const query *q = &lv->q;
    size_t n = sz(lv->root), lo = 0, hi = n;
    if (q->type == Q_SEARCH_ONE) { *lo_out = 0; *hi_out = n ? 1 : 0; return; }
    const lnode *first = NULL;
    for (size_t i = 0; i < lv->nanchors; i++)
        if (!first || node_cmp(lv, lv->anchors[i], first) < 0) first = lv->anchors[i];
    if (q->has_offset) {
        if (q->offset > 0) lo = (size_t)q->offset < n ? (size_t)q->offset : n;
    } else if (q->start_after) {
        if (first) lo = rank_of(lv, first) + 1;
    } else if (q->end_before) {
        if (first) hi = rank_of(lv, first);
    }
    if (q->has_limit) {
        size_t lim = (size_t)q->limit;
        if (!q->has_offset && !q->start_after && q->end_before) {
            if (hi - lo > lim) lo = hi - lim;
        } else if (hi - lo > lim) {
            hi = lo + lim;
        }
    }
    *lo_out = lo;
    *hi_out = hi;
}

/* The nodes of the current page. NULL with *n == 0 when empty; NULL with *n == 1 on out of memory. */
static lnode **page_nodes(const hs_live *lv, size_t *n) {
    size_t lo, hi;
    page_bounds(lv, &lo, &hi);
    *n = 0;
    if (hi <= lo) return NULL;
    lnode **out = malloc((hi - lo) * sizeof *out);
    if (!out) { *n = 1; return NULL; }
    range(lv->root, lo, hi, 0, out, n);
    return out;
}

static int remember_page(hs_live *lv, lnode **nodes, size_t n) {
    if (n > lv->cappage) {
        uint32_t *p = realloc(lv->page, n * sizeof *p);
        if (!p) return 0;
        lv->page = p;
        lv->cappage = n;
    }
    for (size_t i = 0; i < n; i++) lv->page[i] = nodes[i]->row_id;
    lv->npage = n;
    return 1;
}

static int64_t db_length_now(const hs_live *lv) { return lv->c ? (int64_t)lv->c->live : 0; }

static int64_t hit_count_now(const hs_live *lv) {
    if (lv->is_count) return db_length_now(lv);
    size_t n = sz(lv->root);
    return lv->q.type == Q_SEARCH_ONE ? (n ? 1 : 0) : (int64_t)n;
}

/* ---- output ---- */

static void put_head(buf *o, const hs_live *lv) {
    buf_clear(o);
    buf_puts(o, "{\"seq\":");
    buf_put_i64(o, lv->db->seq);
}

static void put_counts(buf *o, hs_live *lv) {
    lv->hit_count = hit_count_now(lv);
    lv->db_length = db_length_now(lv);
    buf_puts(o, ",\"hitCount\":");
    buf_put_i64(o, lv->hit_count);
    buf_puts(o, ",\"dbLength\":");
    buf_put_i64(o, lv->db_length);
}

static hs_rc finish(hs_live *lv) {
    buf_putc(&lv->db->out, '}');
    return lv->db->out.oom ? HS_NOMEM : HS_OK;
}

static hs_rc put_failed(hs_live *lv) {
    lv->failed = 1;
    lv->npage = 0;
    put_head(&lv->db->out, lv);
    buf_puts(&lv->db->out, ",\"failed\":true");
    return finish(lv);
}

static int now_failing(const hs_live *lv) { return lv->node_error || sort_fails(lv); }

static hs_rc put_full(hs_live *lv) {
    if (now_failing(lv)) return put_failed(lv);
    buf *o = &lv->db->out;
    size_t n;
    lnode **nodes = page_nodes(lv, &n);
    if (!nodes && n) return HS_NOMEM;
    if (!remember_page(lv, nodes, n)) { free(nodes); return HS_NOMEM; }
    lv->failed = 0;
    put_head(o, lv);
    buf_puts(o, ",\"full\":true");
    put_counts(o, lv);
    buf_puts(o, ",\"rows\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) buf_putc(o, ',');
        buf_putc(o, '[');
        buf_put_i64(o, nodes[i]->row_id);
        buf_putc(o, ',');
        val_print(o, nodes[i]->d->v);
        buf_putc(o, ']');
    }
    buf_putc(o, ']');
    free(nodes);
    return finish(lv);
}

/* ---- applying commits ---- */

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_touched(const void *a, const void *b) { return cmp_u32(&((const touched *)a)->id, &((const touched *)b)->id); }

static const touched *find_touched(const touched *t, size_t n, uint32_t id) {
    touched key = {id, 0, NULL, NULL};
    return bsearch(&key, t, n, sizeof *t, cmp_touched);
}

static int key_moved(const hs_live *lv, const touched *t) {
    return lv->by_sort && sort_keys_cmp(lv->q.sort, t->before->keys, t->after->keys) != 0;
}

/* One row of a delta, written as JSON: [id, from?, index?, doc?] as the list needs. */
static void put_row(buf *o, int *first, uint32_t id, int64_t from, int64_t index, const doc *d) {
    if (!*first) buf_putc(o, ',');
    *first = 0;
    buf_putc(o, '[');
    buf_put_i64(o, id);
    if (from >= 0) { buf_putc(o, ','); buf_put_i64(o, from); }
    if (index >= 0) { buf_putc(o, ','); buf_put_i64(o, index); }
    if (d) { buf_putc(o, ','); val_print(o, d->v); }
    buf_putc(o, ']');
}

typedef struct id_pos { uint32_t id; uint32_t pos; } id_pos;
static int cmp_id_pos(const void *a, const void *b) { return cmp_u32(&((const id_pos *)a)->id, &((const id_pos *)b)->id); }
static long find_pos(const id_pos *list, size_t n, uint32_t id) {
    id_pos key = {id, 0};
    const id_pos *hit = n ? bsearch(&key, list, n, sizeof *list, cmp_id_pos) : NULL;
    return hit ? (long)hit->pos : -1;
}

/* The delta of a page: what left, what came, what changed in place or moved, with each
   row's index in the old page (from) and in the new one (index). */
/* 1 when no touched row ranked below hi_before (old_index) nor ranks below the new page end. */
static int page_untouched(const hs_live *lv, const touched *t, size_t nt, size_t hi_before) {
    size_t lo, hi_after;
    page_bounds(lv, &lo, &hi_after);
    for (size_t i = 0; i < nt; i++) {
        if (t[i].before && t[i].old_index < hi_before) return 0;
        if (t[i].after && rank_of(lv, t[i].after) < hi_after) return 0;
    }
    return 1;
}

/* A page cut by offset/limit alone (no startAfter/endBefore anchor): its rows are the ranks
   [lo, hi), so a commit whose touched rows all ranked at or after hi before it and rank at or
   after the new hi now leaves the page as it was (the rows ranked below hi are the same
   untouched rows, in the same order). */
static int page_by_rank(const hs_live *lv) {
    return lv->paged && !lv->anchor && !lv->q.start_after && !lv->q.end_before;
}

static hs_rc put_delta(hs_live *lv, touched *t, size_t nt, size_t hi_before) {
    buf *o = &lv->db->out;
    int64_t old_hits = lv->hit_count, old_len = lv->db_length;
    put_head(o, lv);
    size_t mark = o->len;
    put_counts(o, lv);
    int any = lv->hit_count != old_hits || lv->db_length != old_len;
    buf_puts(o, ",\"removed\":[");
    size_t lists = o->len;
    int first = 1;
    if (!lv->paged) {
        /* The page is the whole set: the touched rows are the delta (old ranks were taken
           before the set changed, new ranks now). */
        for (size_t i = 0; i < nt; i++)
            if (t[i].before && !t[i].after) put_row(o, &first, t[i].id, (int64_t)t[i].old_index, -1, NULL);
        buf_puts(o, "],\"changed\":[");
        first = 1;
        for (size_t i = 0; i < nt; i++)
            if (t[i].before && t[i].after && !val_equal(t[i].before->d->v, t[i].after->d->v))
                put_row(o, &first, t[i].id, (int64_t)t[i].old_index, -1, t[i].after->d);
        buf_puts(o, "],\"moved\":[");
        first = 1;
        for (size_t i = 0; i < nt; i++)
            if (t[i].before && t[i].after && key_moved(lv, &t[i]))
                put_row(o, &first, t[i].id, (int64_t)t[i].old_index, (int64_t)rank_of(lv, t[i].after), NULL);
        buf_puts(o, "],\"added\":[");
        first = 1;
        for (size_t i = 0; i < nt; i++)
            if (!t[i].before && t[i].after) put_row(o, &first, t[i].id, -1, (int64_t)rank_of(lv, t[i].after), t[i].after->d);
        buf_putc(o, ']');
    } else if (page_by_rank(lv) && page_untouched(lv, t, nt, hi_before)) {
        buf_puts(o, "],\"changed\":[],\"moved\":[],\"added\":[]");
    } else {
        size_t n;
        lnode **nodes = page_nodes(lv, &n);
        if (!nodes && n) return HS_NOMEM;
        /* Old and new page positions by id, to tell who left, who came and who moved. */
        id_pos *old_pos = malloc((lv->npage + 1) * sizeof *old_pos), *new_pos = malloc((n + 1) * sizeof *new_pos);
        if (!old_pos || !new_pos) { free(old_pos); free(new_pos); free(nodes); return HS_NOMEM; }
        for (size_t i = 0; i < lv->npage; i++) old_pos[i] = (id_pos){lv->page[i], (uint32_t)i};
        for (size_t i = 0; i < n; i++) new_pos[i] = (id_pos){nodes[i]->row_id, (uint32_t)i};
        hs_qsort(old_pos, lv->npage, sizeof *old_pos, cmp_id_pos);
        hs_qsort(new_pos, n, sizeof *new_pos, cmp_id_pos);
        for (size_t i = 0; i < lv->npage; i++)
            if (find_pos(new_pos, n, lv->page[i]) < 0) put_row(o, &first, lv->page[i], (int64_t)i, -1, NULL);
        buf_puts(o, "],\"changed\":[");
        first = 1;
        for (size_t i = 0; i < n; i++) {
            const touched *x = find_touched(t, nt, nodes[i]->row_id);
            long from = x && x->before ? find_pos(old_pos, lv->npage, nodes[i]->row_id) : -1;
            if (from >= 0 && !val_equal(x->before->d->v, x->after->d->v)) put_row(o, &first, nodes[i]->row_id, from, -1, nodes[i]->d);
        }
        buf_puts(o, "],\"moved\":[");
        first = 1;
        for (size_t i = 0; i < n; i++) {
            const touched *x = find_touched(t, nt, nodes[i]->row_id);
            long from = x && x->before ? find_pos(old_pos, lv->npage, nodes[i]->row_id) : -1;
            if (from >= 0 && key_moved(lv, x)) put_row(o, &first, nodes[i]->row_id, from, (int64_t)i, NULL);
        }
        buf_puts(o, "],\"added\":[");
        first = 1;
        for (size_t i = 0; i < n; i++)
            if (find_pos(old_pos, lv->npage, nodes[i]->row_id) < 0) put_row(o, &first, nodes[i]->row_id, -1, (int64_t)i, nodes[i]->d);
        buf_putc(o, ']');
        int ok = remember_page(lv, nodes, n);
        free(old_pos);
        free(new_pos);
        free(nodes);
        if (!ok) return HS_NOMEM;
    }
    /* Nothing in the lists and the same counts: the result did not change. */
    if (!any && o->len - lists == strlen("],\"changed\":[],\"moved\":[],\"added\":[]")) o->len = mark;
    return finish(lv);
}

static hs_rc update(hs_live *lv) {
    hs_db *db = lv->db;
    if (db->seq == lv->seq && !lv->stale) { put_head(&db->out, lv); return finish(lv); }
    coll *c = db_find(db, lv->q.target);
    int was_failed = lv->failed;
    if (lv->stale || c != lv->c || lv->seq < db->oldest || lv->seq > db->seq || lv->node_error) {
        lv->stale = 0;
        if (!rebuild(lv)) return HS_NOMEM;
        return put_full(lv);
    }
    if (lv->is_count) {
        int64_t before = lv->db_length;
        lv->seq = db->seq;
        put_head(&db->out, lv);
        if (db_length_now(lv) != before) { buf_puts(&db->out, ",\"removed\":[],\"changed\":[],\"moved\":[],\"added\":[]"); put_counts(&db->out, lv); }
        return finish(lv);
    }
    /* The rows of this collection touched since lv->seq, each once. */
    size_t from = hist_changes_after(&db->hist, lv->seq), nt = 0;
    touched *t = malloc((db->hist.nchanges - from + 1) * sizeof *t);
    if (!t) return HS_NOMEM;
    for (size_t i = from; i < db->hist.nchanges; i++)
        if (db->hist.changes[i].c == c) t[nt++] = (touched){db->hist.changes[i].row_id, 0, NULL, NULL};
    hs_qsort(t, nt, sizeof *t, cmp_touched);
    size_t u = 0;
    for (size_t i = 0; i < nt; i++)
        if (!u || t[u - 1].id != t[i].id) t[u++] = t[i];
    nt = u;
    /* Without paging, a delta gives each row's old index: its rank before anything moves (a
       page cut by rank uses it to see whether the page can have changed). */
    size_t lo_before, hi_before = 0;
    if (page_by_rank(lv)) page_bounds(lv, &lo_before, &hi_before);
    if (!lv->paged || page_by_rank(lv))
        for (size_t i = 0; i < nt; i++) {
            const lnode *old = map_get(&lv->map, t[i].id);
            if (old) t[i].old_index = rank_of(lv, old);
        }
    db->nctx.error = NULL;
    int ok = 1;
    for (size_t i = 0; ok && i < nt; i++) {
        lnode *old = map_get(&lv->map, t[i].id);
        long at = coll_find_row(c, t[i].id);
        doc *d = at >= 0 ? c->rows[at].cur : NULL;
        int match = matches(lv, d);
        if (old && match && old->d == d) continue;   /* unchanged (touched, then put back) */
        lnode *fresh = match ? node_new(lv, t[i].id, d) : NULL;
        if (match && !fresh) { ok = 0; break; }
        if (old) member_del(lv, old);
        if (fresh && !member_add(lv, fresh)) { free_node(fresh); fresh = NULL; ok = 0; }
        t[i].before = old;
        t[i].after = fresh;
    }
    if (db->nctx.error) lv->node_error = 1;
    lv->seq = db->seq;
    hs_rc rc;
    if (!ok) {
        rc = HS_NOMEM;   /* the set is half updated: the caller marks it stale */
    } else if (now_failing(lv)) {
        /* A failure result depends only on the set: untouched, it is the same failure. */
        if (was_failed && nt == 0) { put_head(&db->out, lv); rc = finish(lv); }
        else rc = put_failed(lv);
    } else if (was_failed) {
        rc = put_full(lv);
    } else {
        rc = put_delta(lv, t, nt, hi_before);
    }
    for (size_t i = 0; i < nt; i++) free_node(t[i].before);
    free(t);
    return rc;
}

hs_rc hs_live_update(hs_live *lv) {
    if (!lv) return HS_MISUSE;
    hs_rc rc = update(lv);
    if (rc != HS_OK) {
        /* Whatever was lost (a half-updated set, an unwritten delta), the next update
           starts from a scan and writes the whole page. */
        clear_state(lv);
        lv->stale = 1;
        lv->failed = 0;
    }
    return rc;
}

/* ---- open / close ---- */

hs_live *hs_live_open(hs_db *db, const char *text, size_t len, hs_rc *rc) {
    *rc = HS_MISUSE;
    if (!db || !text) return NULL;
    cJSON *json = cJSON_ParseWithLength(text, len);
    if (!json) { *rc = db_error(db, "live: the query is not valid JSON"); return NULL; }
    hs_live *lv = calloc(1, sizeof *lv);
    if (!lv) { cJSON_Delete(json); *rc = HS_NOMEM; return NULL; }
    lv->db = db;
    lv->json = json;
    char err[256], msg[320];
    if (!query_parse(db, json, &lv->q, err, sizeof err)) {
        hs_snprintf(msg, sizeof msg, "live: %s", err);
        goto refuse;
    }
    int t = lv->q.type;
    if (t != Q_SEARCH && t != Q_SEARCH_ONE && t != Q_GET_ALL && t != Q_COUNT) {
        hs_snprintf(msg, sizeof msg, "live: only reads (search, searchOne, getAll, count) can be live, not '%s'", lv->q.type_name);
        goto refuse;
    }
    if (cJSON_GetObjectItemCaseSensitive(json, "asOf") && !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(json, "asOf"))) {
        hs_snprintf(msg, sizeof msg, "live: an asOf read never changes, so it cannot be live");
        goto refuse;
    }
    lv->is_count = t == Q_COUNT;
    lv->by_sort = lv->q.sort && (t == Q_SEARCH || t == Q_GET_ALL) && sort_order_count(lv->q.sort) > 0;
    lv->paged = t == Q_SEARCH_ONE || lv->q.has_offset || lv->q.has_limit || lv->q.start_after || lv->q.end_before;
    if (t != Q_SEARCH_ONE && !lv->q.has_offset) lv->anchor = lv->q.start_after ? lv->q.start_after : lv->q.end_before;
    lv->rng = 0x9e3779b9u;
    if (lv->by_sort && !(lv->kinds = calloc(sort_order_count(lv->q.sort), sizeof *lv->kinds))) { hs_live_close(lv); *rc = HS_NOMEM; return NULL; }
    if (!rebuild(lv) || (*rc = put_full(lv)) != HS_OK) { hs_live_close(lv); *rc = HS_NOMEM; return NULL; }
    return lv;
refuse:
    hs_live_close(lv);
    *rc = db_error(db, msg);
    return NULL;
}

void hs_live_close(hs_live *lv) {
    if (!lv) return;
    clear_state(lv);
    free(lv->kinds);
    free(lv->anchors);
    free(lv->page);
    query_free(&lv->q);
    cJSON_Delete(lv->json);
    free(lv);
}
