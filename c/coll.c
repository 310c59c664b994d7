/*
 * coll.c: collections and the document transformations of write queries.
 *
 * The transformations copy untouched members byte for byte (a key and its value are one
 * contiguous run in the encoding), so an update costs about one document's size.
 */
#include "coll.h"
#include "index.h"
#include "range_index.h"
#include "column.h"
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

static void free_versions(version *v) {
    while (v) {
        version *older = v->older;
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
        while (cap - h->nchanges < changes) cap *= 2;
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
    idx_row_changed(c, r->id, r->cur, d);
    col_changed(c, i, d);
    if (r->from == h->seq) {   /* changed earlier in this commit: no new version */
        doc_unref(r->cur);
        r->cur = d;
        return;
    }
    version *v = h->spare;
    h->spare = v->older;
    h->nspare--;
    v->d = r->cur;
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
    idx_row_changed(c, r->id, NULL, d);
    col_appended(c);
    record(c, r->id, h);
}

void coll_load(coll *c, doc *d, uint32_t from) {
    row *r = &c->rows[c->len++];
    r->cur = d;
    r->id = c->next_id++;
    r->from = from;
    r->older = NULL;
    c->live++;
    idx_row_changed(c, r->id, NULL, d);
    col_appended(c);
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
        long i = coll_find_row(c, ch.row_id);
        if (i < 0) continue;
        row *r = &c->rows[i];
        c->live -= r->cur != NULL;
        idx_row_changed(c, r->id, r->cur, r->older && r->older->to == h->seq ? r->older->d : NULL);
        col_changed(c, (size_t)i, r->older && r->older->to == h->seq ? r->older->d : NULL);
        doc_unref(r->cur);
        if (r->older && r->older->to == h->seq) {
            version *v = r->older;
            h->nolder--;
            h->older_bytes -= VERSION_BYTES(v);
            r->cur = v->d;
            r->from = v->from;
            r->older = v->older;
            c->live += r->cur != NULL;
            v->older = h->spare;
            h->spare = v;
            h->nspare++;
        } else {
            /* Appended by this commit: appends come last and are undone last-first. */
            memmove(c->rows + i, c->rows + i + 1, (c->len - (size_t)i - 1) * sizeof *c->rows);
            c->len--;
            c->next_id--;
            col_removed(c, (size_t)i);
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
    for (size_t i = 0; i < c->len; i++) {
        row *r = &c->rows[i];
        /* Versions that ended at or before the horizon are invisible to every kept seq. */
        version **link = &r->older;
        while (*link && (*link)->to > horizon) link = &(*link)->older;
        free_versions(*link);
        *link = NULL;
        if (!r->cur && r->from <= horizon && !r->older) { removed++; continue; }
        c->rows[w++] = *r;
    }
    c->len = w;
    if (removed) col_drop(c);   /* positions moved: rebuilt when next needed */
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
