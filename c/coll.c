/*
 * coll.c: collections, the document transformations of write queries, and past versions
 * kept as deltas (rebuilt on read).
 *
 * The transformations copy untouched members byte for byte (a key and its value are one
 * contiguous run in the encoding), so an update costs about one document's size.
 * A past version becomes a delta only after its commit is published (hist_compact), so a
 * rollback always finds its versions whole; a delta's next newer version always holds a
 * document; a rebuilt document a call borrows is listed (views) and dropped when the call
 * ends (hist_release_views, from hs_mem_leave), unless something else holds it too: then the version
 * keeps it, so one document stays one pointer (revert compares pointers).
 * A collection's run summary (coll.h), once an as-of scan built it, is kept true by every
 * change made here: a write leaves its row without a run, hist_compact and a rollback summarize
 * the row again, a prune summarizes the kept rows again; it may say less than the versions do,
 * never more (coll_runs_check). So is its count history (the live count after each commit
 * that changed it, built by the first as-of read from the versions): a change of the live
 * count writes the pending commit's count, a rollback takes it back, a prune forgets the
 * entries no kept seq reads (coll_counts_check). The column caches' past values (column.h)
 * are told of every version a write makes (col_versioned) or a rollback takes back.
 */
#include "coll.h"
#include "index.h"
#include "range_index.h"
#include "column.h"
#include "memory.h"
#include <stdlib.h>

coll *coll_new(const char *name, size_t name_len) {
    coll *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->name = malloc(name_len + 1);
    if (!c->name) { free(c); return NULL; }
    memcpy(c->name, name, name_len);
    c->name[name_len] = 0;
    c->name_len = name_len;
    c->alive = 1;
    return c;
}

static void forget_view(const version *v);
/* Run summaries (coll.h), per row position: from, the seq the row's run reaches back to
   (NO_RUN: none), and keep, the payload bytes of cur every delta of the run keeps. */
#define NO_RUN UINT32_MAX
struct run_set { uint32_t *from; uint16_t *keep; size_t len, cap; };
static void runs_drop(coll *c);
static void run_of(const row *r, uint32_t *from, uint16_t *keep);
static void runs_none(coll *c, size_t i);
static void runs_note(coll *c, size_t i);
static void runs_appended(coll *c);
static void runs_removed(coll *c, size_t i);
static void counts_drop(coll *c);
static void counts_note(coll *c, uint32_t seq);
static void counts_undo(coll *c, uint32_t seq);
static void counts_prune(coll *c, uint32_t horizon);

static void free_versions(version *v) {
    while (v) {
        version *older = v->older;
        if (v->delta_len && v->d) forget_view(v);   /* no listed view may outlive its version */
        doc_unref(v->d);
        free(v);
        v = older;
    }
}

void coll_free(coll *c) {
    if (!c) return;
    for (size_t i = 0; i < c->len; i++) {
        doc_unref(c->rows[i].cur);
        free_versions(c->rows[i].older);
    }
    free(c->rows);
    idx_free(c->ix);
    range_free(c->rx);
    col_free(c->cx);
    runs_drop(c);
    counts_drop(c);
    free(c->serials);
    free(c->lives);
    free(c->orders);
    free(c->name);
    free(c);
}

int coll_reserve(coll *c, size_t extra) {
    if (c->cap - c->len >= extra) return 1;
    size_t cap = c->cap ? c->cap : 16;
    while (cap - c->len < extra) cap *= 2;
    row *rows = realloc(c->rows, cap * sizeof *rows);
    if (!rows) return 0;
    c->rows = rows;
    c->cap = cap;
    return 1;
}

int hist_reserve(hist *h, size_t versions, size_t changes) {
    while (h->nspare < versions) {
        version *v = malloc(sizeof *v);
        if (!v) return 0;
        v->older = h->spare;
        h->spare = v;
        h->nspare++;
    }
    if (h->capchanges - h->nchanges < changes) {
        size_t cap = h->capchanges ? h->capchanges : 64;
        while (cap - h->nchanges < changes) cap += cap / 2;   /* 1.5x: less slack kept */
        change *ch = realloc(h->changes, cap * sizeof *ch);
        if (!ch) return 0;
        h->changes = ch;
        h->capchanges = cap;
    }
    return 1;
}

void hist_free(hist *h) {
    while (h->spare) {
        version *next = h->spare->older;
        free(h->spare);
        h->spare = next;
    }
    free(h->changes);
    memset(h, 0, sizeof *h);
}

long coll_find_row(const coll *c, uint32_t id) {
    /* Until retention drops rows, a row's id is its position. */
    if (id < c->len && c->rows[id].id == id) return (long)id;
    size_t lo = 0, hi = c->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->rows[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < c->len && c->rows[lo].id == id ? (long)lo : -1;
}

static void record(coll *c, uint32_t id, hist *h) {
    h->changes[h->nchanges].c = c;
    h->changes[h->nchanges].row_id = id;
    h->changes[h->nchanges].seq = h->seq;
    h->nchanges++;
}

void coll_set(coll *c, size_t i, doc *d, hist *h) {
    row *r = &c->rows[i];
    c->live += (d != NULL) - (r->cur != NULL);
    if ((d != NULL) != (r->cur != NULL)) counts_note(c, h->seq);
    idx_row_changed(c, r->id, r->cur, d);
    if (r->from != h->seq) col_versioned(c, i, r->from);   /* before col_changed: the slot holds cur */
    col_changed(c, i, d);
    runs_none(c, i);   /* a new cur, over a whole version: no run until hist_compact */
    if (r->from == h->seq) {   /* changed earlier in this commit: no new version */
        doc_unref(r->cur);
        r->cur = d;
        return;
    }
    version *v = h->spare;
    h->spare = v->older;
    h->nspare--;
    v->d = r->cur;
    v->delta_len = 0;
    v->from = r->from;
    v->to = h->seq;
    v->older = r->older;
    r->older = v;
    r->cur = d;
    r->from = h->seq;
    h->nolder++;
    h->older_bytes += VERSION_BYTES(v);
    record(c, r->id, h);
}

void coll_append(coll *c, doc *d, hist *h) {
    row *r = &c->rows[c->len++];
    r->cur = d;
    r->id = c->next_id++;
    r->from = h->seq;
    r->older = NULL;
    c->live++;
    counts_note(c, h->seq);
    idx_row_changed(c, r->id, NULL, d);
    col_appended(c);
    runs_appended(c);
    record(c, r->id, h);
}

void coll_load(coll *c, doc *d, uint32_t from) {
    row *r = &c->rows[c->len++];
    r->cur = d;
    r->id = c->next_id++;
    r->from = from;
    r->older = NULL;
    c->live++;
    counts_drop(c);   /* loading: built from the versions when next needed */
    idx_row_changed(c, r->id, NULL, d);
    col_appended(c);
    runs_appended(c);
}

/* Pushes (seq, before) unless this commit already changed the value. */
static int push_value(seq_value **list, size_t *n, int64_t before, uint32_t seq) {
    if (*n && (*list)[*n - 1].seq == seq) return 1;
    seq_value *grown = realloc(*list, (*n + 1) * sizeof **list);
    if (!grown) return 0;
    *list = grown;
    grown[*n].seq = seq;
    grown[*n].before = before;
    (*n)++;
    return 1;
}

void coll_set_serial(coll *c, int64_t serial, hist *h) {
    if (serial == c->serial) return;
    /* Serial changes are rare and tiny: instead of a result to check at every caller, an
       allocation failure leaves the value alone and marks the pending commit as failed
       (h->failed), which then is rolled back instead of committed. */
    if (!push_value(&c->serials, &c->nserials, c->serial, h->seq)) { h->failed = 1; return; }
    c->serial = serial;
}

int coll_set_alive(coll *c, int alive, hist *h) {
    if (alive == c->alive) return 1;
    if (!push_value(&c->lives, &c->nlives, c->alive, h->seq)) return 0;
    c->alive = alive;
    return 1;
}

int coll_set_order(coll *c, int64_t order, hist *h) {
    if (order == c->order) return 1;
    if (!push_value(&c->orders, &c->norders, c->order, h->seq)) return 0;
    c->order = order;
    return 1;
}

static int64_t value_at(const seq_value *list, size_t n, int64_t now, uint32_t s) {
    for (size_t k = n; k > 0 && list[k - 1].seq > s; k--) now = list[k - 1].before;
    return now;
}

int64_t coll_serial_at(const coll *c, uint32_t s) { return value_at(c->serials, c->nserials, c->serial, s); }
int coll_alive_at(const coll *c, uint32_t s) { return (int)value_at(c->lives, c->nlives, c->alive, s); }
int64_t coll_order_at(const coll *c, uint32_t s) { return value_at(c->orders, c->norders, c->order, s); }

size_t hist_changes_after(const hist *h, uint32_t s) {
    size_t lo = 0, hi = h->nchanges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->changes[mid].seq <= s) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

void hist_rollback(hist *h) {
    while (h->nchanges && h->changes[h->nchanges - 1].seq == h->seq) {
        change ch = h->changes[--h->nchanges];
        coll *c = ch.c;
        counts_undo(c, h->seq);
        long i = coll_find_row(c, ch.row_id);
        if (i < 0) continue;
        row *r = &c->rows[i];
        c->live -= r->cur != NULL;
        idx_row_changed(c, r->id, r->cur, r->older && r->older->to == h->seq ? r->older->d : NULL);
        col_changed(c, (size_t)i, r->older && r->older->to == h->seq ? r->older->d : NULL);
        doc_unref(r->cur);
        if (r->older && r->older->to == h->seq) {
            version *v = r->older;
            col_unversioned(c, (size_t)i);
            h->nolder--;
            h->older_bytes -= VERSION_BYTES(v);
            r->cur = v->d;
            r->from = v->from;
            r->older = v->older;
            c->live += r->cur != NULL;
            v->older = h->spare;
            h->spare = v;
            h->nspare++;
            runs_note(c, (size_t)i);
        } else {
            /* Appended by this commit: appends come last and are undone last-first. */
            memmove(c->rows + i, c->rows + i + 1, (c->len - (size_t)i - 1) * sizeof *c->rows);
            c->len--;
            c->next_id--;
            col_removed(c, (size_t)i);
            runs_removed(c, (size_t)i);
        }
    }
}

/* Forgets the past values set at or before the horizon: no kept seq reads them. */
static void drop_through(seq_value *list, size_t *n, uint32_t horizon) {
    size_t k = 0;
    while (k < *n && list[k].seq <= horizon) k++;
    if (k == 0) return;   /* list may be NULL (nothing recorded): memmove(NULL, ..) is undefined */
    memmove(list, list + k, (*n - k) * sizeof *list);
    *n -= k;
}

size_t coll_prune(coll *c, uint32_t horizon) {
    size_t w = 0, removed = 0;
    int freed = 0;
    for (size_t i = 0; i < c->len; i++) {
        row *r = &c->rows[i];
        /* Versions that ended at or before the horizon are invisible to every kept seq. */
        version **link = &r->older;
        size_t kept = 0;
        while (*link && (*link)->to > horizon) { link = &(*link)->older; kept++; }
        if (*link) { freed = 1; col_past_cut(c, i, kept); }
        free_versions(*link);
        *link = NULL;
        if (!r->cur && r->from <= horizon && !r->older) { removed++; continue; }
        /* A kept row's run may have lost its oldest deltas: summarized again (the walk above
           has just read its newest versions). */
        if (c->runs && i < c->runs->len) run_of(r, &c->runs->from[w], &c->runs->keep[w]);
        c->rows[w++] = *r;
    }
    c->len = w;
    if (c->runs) c->runs->len = c->runs->len == c->len + removed ? c->len : 0;
    if (removed) col_drop(c);   /* positions moved: rebuilt when next needed */
    else if (freed) col_past_pruned(c);
    counts_prune(c, horizon);
    drop_through(c->serials, &c->nserials, horizon);
    drop_through(c->lives, &c->nlives, horizon);
    drop_through(c->orders, &c->norders, horizon);
    return removed;
}

/* Appends one member (key + value) copied from an existing object encoding. */
static void put_member(buf *b, const char *key, size_t klen, val v) {
    const uint8_t *start = (const uint8_t *)key - 4;   /* the key's length prefix */
    buf_put(b, start, (size_t)(v - start) + val_size(v));
    (void)klen;
}

static doc *finish(buf *b, size_t at, uint32_t count) {
    enc_end(b, at, count);
    if (b->oom) return NULL;
    return doc_new((const uint8_t *)b->data, b->len);
}

doc *doc_update(val old, val over, buf *b) {
    buf_clear(b);
    size_t at = enc_begin(b, T_OBJ);
    uint32_t n = 0;
    val_iter it;
    val_iter_init(&it, old);
    val v;
    while ((v = val_iter_next(&it, 1))) {
        val repl = val_obj_get(over, it.key, it.klen);
        if (repl) { enc_key(b, it.key, it.klen); buf_put(b, repl, val_size(repl)); }
        else put_member(b, it.key, it.klen, v);
        n++;
    }
    val_iter_init(&it, over);
    while ((v = val_iter_next(&it, 1)))
        if (!val_obj_get(old, it.key, it.klen)) { put_member(b, it.key, it.klen, v); n++; }
    return finish(b, at, n);
}

doc *doc_conform(val old, val tmpl, buf *b) {
    buf_clear(b);
    size_t at = enc_begin(b, T_OBJ);
    uint32_t n = 0;
    val_iter it;
    val_iter_init(&it, old);
    val v;
    while ((v = val_iter_next(&it, 1)))
        if (val_obj_get(tmpl, it.key, it.klen)) { put_member(b, it.key, it.klen, v); n++; }
    val_iter_init(&it, tmpl);
    while ((v = val_iter_next(&it, 1)))
        if (!val_obj_get(old, it.key, it.klen)) { put_member(b, it.key, it.klen, v); n++; }
    return finish(b, at, n);
}

doc *doc_rename(val old, const char *from, size_t flen, const char *to, size_t tlen, buf *b) {
    buf_clear(b);
    size_t at = enc_begin(b, T_OBJ);
    uint32_t n = 0;
    val moved = NULL;
    val_iter it;
    val_iter_init(&it, old);
    val v;
    while ((v = val_iter_next(&it, 1))) {
        if (it.klen == flen && memcmp(it.key, from, flen) == 0) { moved = v; continue; }
        put_member(b, it.key, it.klen, v);
        n++;
    }
    if (moved) {
        enc_key(b, to, tlen);
        buf_put(b, moved, val_size(moved));
        n++;
    }
    return finish(b, at, n);
}

doc *doc_replace_member(val obj, val at, const uint8_t *nv, size_t nlen) {
    size_t size = val_size(obj), old = val_size(at), total = size - old + nlen;
    size_t prefix = (size_t)(at - obj);
    if (total > UINT32_MAX) return NULL;
    doc *d = malloc(sizeof(doc) + total);
    if (!d) return NULL;
    d->refs = 1;
    d->size = (uint32_t)total;
    memcpy(d->v, obj, prefix);
    memcpy(d->v + prefix, nv, nlen);
    memcpy(d->v + prefix + nlen, at + old, size - prefix - old);
    wr32(d->v + 5, (uint32_t)(total - 9));   /* the object's payload size */
    return d;
}

/* ---- past versions as deltas ----
   A delta rebuilds a document O from N, the next newer version's document (both objects):
   O = N's 9 header bytes and the first p payload bytes, then mid, then N's last s bytes,
   with O's member count and payload size written into the header. Encoding: varint p,
   varint s, varint (mid length * 2 + 1 when O's member count differs), O's count (4 bytes,
   when it differs), mid. An update of a few members keeps everything around them, so the
   delta is the changed bytes and a few more. */

/* At most this many deltas in a row along a chain: reading the past rebuilds at most that
   many edits; the next version back is kept whole. */
#define MAX_DELTA_RUN 8

static size_t put_varint(uint8_t *p, uint32_t x) {
    size_t n = 0;
    while (x >= 0x80) { p[n++] = (uint8_t)(x | 0x80); x >>= 7; }
    p[n++] = (uint8_t)x;
    return n;
}

static inline uint32_t get_varint(const uint8_t **p) {
    if (!(**p & 0x80)) return *(*p)++;
    uint32_t x = 0;
    for (int shift = 0;; shift += 7) {
        uint8_t b = *(*p)++;
        x |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return x;
    }
}

typedef struct delta_parts { uint32_t p, s, mid_len, count, size; int has_count; const uint8_t *mid; } delta_parts;

static inline void delta_read(const version *v, delta_parts *d) {
    const uint8_t *q = v->delta;
    d->p = get_varint(&q);
    d->s = get_varint(&q);
    uint32_t m = get_varint(&q);
    d->mid_len = m >> 1;
    d->has_count = m & 1;
    if (d->has_count) { d->count = rd32(q); q += 4; }
    d->mid = q;
    d->size = 9 + d->p + d->mid_len + d->s;
}

/* memcpy for the short runs of a document: eight bytes a step (the wasm build's memcpy
   copies unaligned short runs a byte at a time, which made reading the past slow). */
static inline void copy_run(uint8_t *out, const uint8_t *in, size_t n) {
    if (n < 8) { while (n--) *out++ = *in++; return; }
    uint64_t x;
    size_t k = 0;
    for (; k + 8 <= n; k += 8) { memcpy(&x, in + k, 8); memcpy(out + k, &x, 8); }
    if (k < n) { memcpy(&x, in + n - 8, 8); memcpy(out + n - 8, &x, 8); }   /* the last 8, overlapping */
}

/* Writes O (size from the delta) rebuilt from N into out. */
static inline void delta_apply(const delta_parts *d, const uint8_t *n, uint32_t nsize, uint8_t *out) {
    copy_run(out, n, 9 + (size_t)d->p);
    copy_run(out + 9 + d->p, d->mid, d->mid_len);
    copy_run(out + 9 + d->p + d->mid_len, n + nsize - d->s, d->s);
    if (d->has_count) wr32(out + 1, d->count);
    wr32(out + 5, d->size - 9);
}

/* The rebuilt documents the running call borrows (process-wide: one call runs at a time). */
static version **views;
static size_t nviews, capviews;
static int views_failed;
/* Two work buffers for rebuilding: freed when the views are released. */
static buf work[2];

void hist_release_views(void) {
    for (size_t i = 0; i < nviews; i++) {
        version *v = views[i];
        /* Held elsewhere too (a revert made it current): kept, so that pointer stays the one
           document it is; else dropped until read again. */
        if (v->d->refs > 1) continue;
        doc_unref(v->d);
        v->d = NULL;
    }
    nviews = 0;
    free(views);   /* nothing stays allocated between calls */
    views = NULL;
    capviews = 0;
    buf_free(&work[0]);
    buf_free(&work[1]);
}

/* Takes v off the list (it is being freed). The list is short: it is emptied when a call starts. */
static void forget_view(const version *v) {
    for (size_t i = nviews; i > 0; i--)
        if (views[i - 1] == v) { views[i - 1] = views[--nviews]; break; }
    if (!nviews) { free(views); views = NULL; capviews = 0; }
}

int hist_views_failed(void) {
    int f = views_failed;
    views_failed = 0;
    return f;
}

/* Applies v's delta to n (nsize bytes, its newer version's document) into the work buffer
   that does not hold n; returns the bytes (their size in *size), NULL on out of memory. */
static const uint8_t *apply_one(const version *v, const uint8_t *n, uint32_t nsize, uint32_t *size) {
    delta_parts d;
    delta_read(v, &d);
    buf *w = &work[n == (const uint8_t *)work[0].data];
    buf_clear(w);
    if (!buf_reserve(w, d.size)) { views_failed = 1; return NULL; }
    delta_apply(&d, n, nsize, (uint8_t *)w->data);
    *size = d.size;
    return (const uint8_t *)w->data;
}

/* Applies the deltas of `first` and every version below it down to v (a delta version) to
   base, the document of the version above `first`; v's own delta is applied only when
   with_last. Returns the bytes (in a work buffer, or base's) and their size, NULL on out of
   memory. */
static const uint8_t *apply_deltas(const doc *base, const version *first, const version *v, int with_last, uint32_t *size) {
    const uint8_t *n = base->v;
    uint32_t nsize = base->size;
    for (const version *x = first; x != v || with_last; x = x->older) {
        if (!(n = apply_one(x, n, nsize, &nsize))) return NULL;
        if (x == v) break;
    }
    *size = nsize;
    return n;
}

/* Rebuilds v (a delta version without its document) from `base`, the document of the
   version `first` edits, applying first's delta and each one below it down to v; v keeps
   the document (listed in views). */
static doc *rebuild(version *v, const doc *base, const version *first) {
    if (nviews == capviews) {
        size_t cap = capviews ? capviews * 2 : 64;
        version **grown = realloc(views, cap * sizeof *grown);
        if (!grown) { views_failed = 1; return NULL; }
        views = grown;
        capviews = cap;
    }
    uint32_t nsize;
    const uint8_t *n = apply_deltas(base, first, v, 0, &nsize);
    if (!n) return NULL;
    delta_parts d;
    delta_read(v, &d);
    doc *o = malloc(sizeof(doc) + d.size);
    if (!o) { views_failed = 1; return NULL; }
    o->refs = 1;
    o->size = d.size;
    delta_apply(&d, n, nsize, o->v);
    v->d = o;
    views[nviews++] = v;
    return o;
}

/* The common case of row_peek: v, a delta right below the document base, rebuilt into work[0]. */
static val peek_one(const version *v, const doc *base) {
    delta_parts d;
    delta_read(v, &d);
    if (work[0].cap < d.size) {
        buf_clear(&work[0]);
        if (!buf_reserve(&work[0], d.size)) { views_failed = 1; return NULL; }
    }
    delta_apply(&d, base->v, base->size, (uint8_t *)work[0].data);
    return (val)work[0].data;
}

val row_peek(const row *r, uint32_t s) {
    if (r->from <= s) return r->cur ? r->cur->v : NULL;
    const version *top = r->older;
    if (top && top->from <= s && top->delta_len && !top->d) return peek_one(top, r->cur);
    const doc *base = r->cur;
    const version *first = NULL;
    for (const version *v = r->older; v; v = v->older) {
        if (v->from <= s) {
            if (!v->delta_len || v->d) return v->d ? v->d->v : NULL;
            uint32_t size;
            return apply_deltas(base, first ? first : v, v, 1, &size);
        }
        if (!v->delta_len || v->d) { base = v->d; first = NULL; }
        else if (!first) first = v;
    }
    return NULL;
}

int row_versions_each(const row *r, int (*fn)(void *ctx, uint32_t from, val d), void *ctx) {
    const uint8_t *n = r->cur ? r->cur->v : NULL;
    uint32_t nsize = r->cur ? r->cur->size : 0;
    for (const version *v = r->older; v; v = v->older) {
        if (!v->delta_len || v->d) { n = v->d ? v->d->v : NULL; nsize = v->d ? v->d->size : 0; }
        /* a delta's newer version always holds a document: n is not NULL here */
        else if (!(n = apply_one(v, n, nsize, &nsize))) return 0;
        if (!fn(ctx, v->from, n)) return 0;
    }
    return 1;
}

/* ---- run summaries (coll.h) ----
   Per row position: from, the seq the run reaches back to (NO_RUN: no run), and keep, the
   fewest payload bytes of cur that a delta of the run keeps (capped: fewer is always safe). */

static int runs_on = 1;
void coll_runs_enable(int on) { runs_on = on; }

/* The payload bytes a delta version keeps of its newer document's start (delta_parts.p). */
static inline uint32_t delta_prefix(const version *v) {
    const uint8_t *q = v->delta;
    return get_varint(&q);
}

static void run_of(const row *r, uint32_t *from, uint16_t *keep) {
    uint32_t f = NO_RUN, k = UINT16_MAX;
    for (const version *v = r->older; v && v->delta_len; v = v->older) {
        uint32_t p = delta_prefix(v);
        if (p < k) k = p;
        f = v->from;
    }
    *from = f;
    *keep = (uint16_t)k;
}

static void runs_drop(coll *c) {
    if (!c->runs) return;
    free(c->runs->from);
    free(c->runs->keep);
    free(c->runs);
    c->runs = NULL;
}

static void runs_none(coll *c, size_t i) {
    if (c->runs && i < c->runs->len) c->runs->from[i] = NO_RUN;
}

static void runs_note(coll *c, size_t i) {
    if (c->runs && i < c->runs->len) run_of(&c->rows[i], &c->runs->from[i], &c->runs->keep[i]);
}

/* Room for want rows: exactly want when exact (a build), else doubling (appends). */
static int runs_grow(struct run_set *rs, size_t want, int exact) {
    if (want <= rs->cap) return 1;
    size_t cap = exact ? (want ? want : 1) : rs->cap ? rs->cap * 2 : 64;
    while (cap < want) cap *= 2;
    uint32_t *from = realloc(rs->from, cap * sizeof *from);
    if (!from) return 0;
    rs->from = from;
    uint16_t *keep = realloc(rs->keep, cap * sizeof *keep);
    if (!keep) return 0;
    rs->keep = keep;
    rs->cap = cap;
    return 1;
}

/* Row c->len - 1 was appended: it has no past versions yet. */
static void runs_appended(coll *c) {
    struct run_set *rs = c->runs;
    if (!rs) return;
    int token = hs_mem_optional_begin();   /* the summary is optional: the write goes on without it */
    int grown = rs->len + 1 == c->len && runs_grow(rs, c->len, 0);
    hs_mem_optional_end(token);
    if (!grown) { runs_drop(c); return; }
    rs->from[rs->len] = NO_RUN;
    rs->keep[rs->len++] = 0;
}

static void runs_removed(coll *c, size_t i) {
    if (!c->runs) return;
    if (i + 1 == c->runs->len) c->runs->len--;
    else runs_drop(c);
}

void coll_runs_prepare(coll *c) {
    if (!runs_on) { runs_drop(c); return; }   /* turned off: scans walk the versions */
    if (c->runs && c->runs->len == c->len) return;
    runs_drop(c);
    struct run_set *rs = calloc(1, sizeof *rs);
    if (!rs || !runs_grow(rs, c->len, 1)) { if (rs) { free(rs->from); free(rs->keep); free(rs); } return; }
    for (size_t i = 0; i < c->len; i++) run_of(&c->rows[i], &rs->from[i], &rs->keep[i]);
    rs->len = c->len;
    c->runs = rs;
}

int coll_runs_check(const coll *c) {
    const struct run_set *rs = c->runs;
    if (!rs) return 1;
    if (rs->len != c->len) return 0;
    for (size_t i = 0; i < c->len; i++) {
        uint32_t from;
        uint16_t keep;
        run_of(&c->rows[i], &from, &keep);
        if (rs->from[i] == NO_RUN) continue;   /* saying nothing is always true */
        if (from == NO_RUN || rs->from[i] < from || rs->keep[i] > keep) return 0;
    }
    return 1;
}

/* 1 when every key of k names a member of obj (an object) that ends within obj's first
   `limit` bytes: then an object whose first `limit` bytes are obj's but for the header
   (count and size) has the same first member of each of those names, byte for byte. */
static int keys_in_prefix(val obj, const peek_keys *k, size_t limit) {
    if (obj[0] != T_OBJ) return 0;
    size_t end = 9 + (size_t)rd32(obj + 5), stop = limit < end ? limit : end, at = 9;
    unsigned found = 0, all = (1u << k->n) - 1;
    while (found != all) {
        if (at + 4 > stop) return 0;
        size_t n = rd32(obj + at) & 0x7fffffffu, v = at + 4 + n;
        if (v >= stop) return 0;
        at = v + val_size(obj + v);
        if (at > stop) return 0;
        for (int j = 0; j < k->n; j++) {
            if (k->len[j] != n) continue;
            size_t b = 0;
            while (b < n && (uint8_t)k->key[j][b] == obj[v - n + b]) b++;
            if (b == n) found |= 1u << j;
        }
    }
    return 1;
}

val coll_peek(const coll *c, size_t i, uint32_t s, const peek_keys *k) {
    const row *r = &c->rows[i];
    if (r->from <= s) return r->cur ? r->cur->v : NULL;
    const struct run_set *rs = c->runs;
    if (rs && k->n >= 0 && i < rs->len && rs->from[i] <= s && keys_in_prefix(r->cur->v, k, 9 + (size_t)rs->keep[i]))
        return r->cur->v;
    return row_peek(r, s);
}

int coll_exists_at(const coll *c, size_t i, uint32_t s) {
    const row *r = &c->rows[i];
    if (r->from <= s) return r->cur != NULL;
    if (c->runs && i < c->runs->len && c->runs->from[i] <= s) return 1;   /* a delta always rebuilds a document */
    return row_exists_at(r, s);
}

/* ---- count histories (coll.h) ----
   The live count after each commit that changed it, oldest first: the count at s is the last
   entry at or before s (0 before the first). */
struct live_hist { uint32_t *seq, *live; size_t n, cap; };

static int counts_on = 1;
void coll_counts_enable(int on) { counts_on = on; }

static void counts_drop(coll *c) {
    if (!c->counts) return;
    free(c->counts->seq);
    free(c->counts->live);
    free(c->counts);
    c->counts = NULL;
}

static int counts_push(struct live_hist *lh, uint32_t seq, uint32_t live) {
    if (lh->n == lh->cap) {
        size_t cap = lh->cap ? lh->cap * 2 : 16;
        uint32_t *a = realloc(lh->seq, cap * sizeof *a);
        if (!a) return 0;
        lh->seq = a;
        uint32_t *b = realloc(lh->live, cap * sizeof *b);
        if (!b) return 0;
        lh->live = b;
        lh->cap = cap;
    }
    lh->seq[lh->n] = seq;
    lh->live[lh->n++] = live;
    return 1;
}

/* c->live changed in commit seq (the newest): it is the count after seq. */
static void counts_note(coll *c, uint32_t seq) {
    struct live_hist *lh = c->counts;
    if (!lh) return;
    if (lh->n && lh->seq[lh->n - 1] == seq) { lh->live[lh->n - 1] = (uint32_t)c->live; return; }
    if (c->live > UINT32_MAX || (lh->n && lh->seq[lh->n - 1] > seq)) { counts_drop(c); return; }
    int token = hs_mem_optional_begin();   /* optional: the write goes on without it */
    int ok = counts_push(lh, seq, (uint32_t)c->live);
    hs_mem_optional_end(token);
    if (!ok) counts_drop(c);
}

/* Commit seq is rolled back: its count goes. */
static void counts_undo(coll *c, uint32_t seq) {
    struct live_hist *lh = c->counts;
    if (lh && lh->n && lh->seq[lh->n - 1] == seq) lh->n--;
}

/* No seq before the horizon is read: the entries before the last one at or before it go. */
static void counts_prune(coll *c, uint32_t horizon) {
    struct live_hist *lh = c->counts;
    if (!lh) return;
    size_t k = 0;
    while (k + 1 < lh->n && lh->seq[k + 1] <= horizon) k++;
    if (k == 0) return;
    memmove(lh->seq, lh->seq + k, (lh->n - k) * sizeof *lh->seq);
    memmove(lh->live, lh->live + k, (lh->n - k) * sizeof *lh->live);
    lh->n -= k;
}

/* Existence changes of one row, as +1 at the start and -1 at the end of each stretch it existed
   (its cur, and each past version with a document), into d (indexed by seq - lo). */
static void row_events(const row *r, int32_t *d, uint32_t lo, uint32_t *min, uint32_t *max) {
    if (r->cur) { if (d) d[r->from - lo]++; else { if (r->from < *min) *min = r->from; if (r->from > *max) *max = r->from; } }
    for (const version *v = r->older; v; v = v->older) {
        if (!v->delta_len && !v->d) continue;
        if (d) { d[v->from - lo]++; d[v->to - lo]--; continue; }
        if (v->from < *min) *min = v->from;
        if (v->to > *max) *max = v->to;
    }
}

#define COUNTS_MAX_SPAN ((size_t)1 << 24)   /* seqs a build counts in one array (64 MiB at most) */

static void counts_build(coll *c) {
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t i = 0; i < c->len; i++) row_events(&c->rows[i], NULL, 0, &lo, &hi);
    struct live_hist *lh = calloc(1, sizeof *lh);
    if (!lh) return;
    if (lo <= hi) {
        size_t span = (size_t)(hi - lo) + 1;
        int32_t *d = span <= COUNTS_MAX_SPAN ? calloc(span, sizeof *d) : NULL;
        if (!d) { free(lh); return; }
        for (size_t i = 0; i < c->len; i++) row_events(&c->rows[i], d, lo, NULL, NULL);
        int64_t live = 0;
        int ok = 1;
        for (size_t k = 0; ok && k < span; k++)
            if (d[k]) { live += d[k]; ok = live >= 0 && live <= UINT32_MAX && counts_push(lh, lo + (uint32_t)k, (uint32_t)live); }
        free(d);
        if (!ok) { free(lh->seq); free(lh->live); free(lh); return; }
    }
    c->counts = lh;
}

static size_t counts_lookup(const struct live_hist *lh, uint32_t s) {
    size_t lo = 0, hi = lh->n;   /* the first entry after s */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lh->seq[mid] <= s) lo = mid + 1;
        else hi = mid;
    }
    return lo ? lh->live[lo - 1] : 0;
}

/* The rows of c that existed at s, counted one by one. */
static size_t rows_live_at(const coll *c, uint32_t s) {
    size_t n = 0;
    for (size_t i = 0; i < c->len; i++) n += row_exists_at(&c->rows[i], s);
    return n;
}

size_t coll_live_at(coll *c, uint32_t s) {
    /* Turned off, the history is still kept up to date; the rows are counted instead. */
    if (!counts_on) return rows_live_at(c, s);
    if (!c->counts) {
        int token = hs_mem_optional_begin();
        counts_build(c);
        hs_mem_optional_end(token);
    }
    return c->counts ? counts_lookup(c->counts, s) : rows_live_at(c, s);
}

int coll_counts_check(const coll *c, uint32_t oldest, uint32_t newest) {
    if (!c->counts) return 1;
    for (uint32_t s = oldest; s <= newest; s++)
        if (rows_live_at(c, s) != counts_lookup(c->counts, s)) return 0;
    return 1;
}

int row_exists_at(const row *r, uint32_t s) {
    if (r->from <= s) return r->cur != NULL;
    for (const version *v = r->older; v; v = v->older)
        if (v->from <= s) return v->delta_len || v->d;   /* a delta always rebuilds a document */
    return 0;
}

doc *row_at_slow(const row *r, uint32_t s) {
    if (r->from <= s) return r->cur;
    const doc *base = r->cur;        /* the nearest newer document at hand */
    const version *first = NULL;     /* the delta version just below it */
    for (version *v = r->older; v; v = v->older) {
        if (v->from <= s) {
            if (!v->delta_len || v->d) return v->d;
            return rebuild(v, base, first ? first : v);
        }
        if (!v->delta_len || v->d) { base = v->d; first = NULL; }
        else if (!first) first = v;
    }
    return NULL;
}

doc *version_doc(version *v, doc *newer) {
    if (!v->delta_len || v->d) return v->d;
    return rebuild(v, newer, v);
}

/* The delta of old against newer (both documents): its parts, and its encoded length, or 0
   when it would not be smaller than keeping old whole. */
static size_t delta_plan(const doc *old, const doc *newer, delta_parts *d) {
    const uint8_t *a = old->v + 9, *b = newer->v + 9;
    uint32_t an = old->size - 9, bn = newer->size - 9, lim = an < bn ? an : bn;
    uint32_t p = 0, s = 0;
    uint64_t x, y;
    /* Eight bytes a step while they match, then byte by byte. */
    while (p + 8 <= lim && (memcpy(&x, a + p, 8), memcpy(&y, b + p, 8), x == y)) p += 8;
    while (p < lim && a[p] == b[p]) p++;
    while (s + 8 <= lim - p && (memcpy(&x, a + an - s - 8, 8), memcpy(&y, b + bn - s - 8, 8), x == y)) s += 8;
    while (s < lim - p && a[an - 1 - s] == b[bn - 1 - s]) s++;
    if (an - p - s > UINT16_MAX) return 0;   /* no small delta: kept whole */
    d->p = p;
    d->s = s;
    d->mid_len = an - p - s;
    d->mid = a + p;
    d->count = rd32(old->v + 1);
    d->has_count = d->count != rd32(newer->v + 1);
    uint8_t tmp[5];
    size_t n = put_varint(tmp, p) + put_varint(tmp, s) + put_varint(tmp, d->mid_len * 2 + 1) +
               (d->has_count ? 4 : 0) + d->mid_len;
    return n + 8 < old->size + sizeof(doc) ? n : 0;
}

static void delta_write(const delta_parts *d, uint8_t *out) {
    size_t n = put_varint(out, d->p);
    n += put_varint(out + n, d->s);
    n += put_varint(out + n, d->mid_len * 2 + (uint32_t)d->has_count);
    if (d->has_count) { wr32(out + n, d->count); n += 4; }
    memcpy(out + n, d->mid, d->mid_len);
}

/* Makes *link (a whole version whose newer document is `newer`) a delta when that is
   smaller; h's byte count follows. Returns 1 when it did; then the version's reference to its
   old document goes to *taken when taken is not NULL (else it is dropped). */
static int compact_one(version **link, const doc *newer, hist *h, doc **taken) {
    version *v = *link;
    if (v->delta_len || !v->d || !newer || v->d->refs != 1 || v->d->size < 9 || newer->size < 9 ||
        v->d->v[0] != T_OBJ || newer->v[0] != T_OBJ) return 0;
    delta_parts d;
    size_t n = delta_plan(v->d, newer, &d);
    if (!n || n > UINT16_MAX) return 0;
    version *nv = malloc(VERSION_NODE_SIZE(n));
    if (!nv) return 0;
    nv->d = NULL;
    nv->from = v->from;
    nv->to = v->to;
    nv->older = v->older;
    nv->delta_len = (uint16_t)n;
    delta_write(&d, nv->delta);
    h->older_bytes -= VERSION_BYTES(v);
    h->older_bytes += VERSION_BYTES(nv);
    *link = nv;
    if (taken) *taken = v->d; else doc_unref(v->d);
    /* The whole node goes back to the spares (a few): the next commit takes it again. */
    if (h->nspare >= 64) { free(v); return 1; }
    v->d = NULL;
    v->older = h->spare;
    h->spare = v;
    h->nspare++;
    return 1;
}

void hist_compact(hist *h, uint32_t seq) {
    for (size_t k = h->nchanges; k > 0 && h->changes[k - 1].seq == seq; k--) {
        coll *c = h->changes[k - 1].c;
        long i = coll_find_row(c, h->changes[k - 1].row_id);
        if (i < 0) continue;
        row *r = &c->rows[i];
        if (!r->older || r->older->to != seq) continue;
        int run = 0;   /* the new delta lengthens the run of deltas below it */
        for (const version *x = r->older->older; x && x->delta_len && run < MAX_DELTA_RUN; x = x->older) run++;
        if (run < MAX_DELTA_RUN && compact_one(&r->older, r->cur, h, NULL)) runs_note(c, (size_t)i);
    }
}

void row_compact(row *r, hist *h) {
    /* Newest first: each version against the document of the one above it, which this loop
       still holds (owned) when that one has just become a delta. */
    const doc *newer = r->cur;
    doc *owned = NULL;
    int run = 0;
    for (version **link = &r->older; *link; link = &(*link)->older) {
        if ((*link)->delta_len) break;   /* made before: so is everything below */
        doc *mine = (*link)->d, *taken = NULL;
        if (run < MAX_DELTA_RUN && compact_one(link, newer, h, &taken)) run++;
        else run = 0;
        doc_unref(owned);
        owned = taken;
        newer = mine;
    }
    doc_unref(owned);
}
