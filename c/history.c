/*
 * history.c: time travel over the engine's versions: history of documents, diffs between
 * commits, the change feed, revert, replay, fork, retention, and statistics.
 *
 * Everything here reads the row version chains of coll.h and the change log of hist (one
 * entry per row a commit touched). Invariants it relies on: rows[] is sorted by id; the
 * change log is sorted by seq; a seq s is readable when oldest <= s <= seq. Reverting is a
 * new commit (history is never rewritten); only retention frees history, and only what no
 * kept seq can see. A revert and its commit record (commits.c) are made together or not at
 * all. Native debug builds check the invariants after each commit (db_check_commit).
 */
#include "hsint.h"
#include <assert.h>
#include <math.h>
#include "hsort.h"
#include "plan.h"
#include "fmt.h"
#include "strtod.h"
#include <stdio.h>
#include <stdlib.h>

#ifndef NDEBUG
/* The rows commit s touched: their version chains are ordered and contiguous, and the
   change log is sorted by seq. Cost: what the commit touched. */
void db_check_commit(const hs_db *db, uint32_t s) {
    const hist *h = &db->hist;
    size_t k = h->nchanges;
    while (k > 0 && h->changes[k - 1].seq == s) k--;
    assert(k == 0 || h->changes[k - 1].seq < s);
    for (; k < h->nchanges; k++) {
        const change *ch = &h->changes[k];
        long i = coll_find_row(ch->c, ch->row_id);
        if (i < 0) continue;
        const row *r = &ch->c->rows[i];
        assert(r->from <= s);
        uint32_t newer = r->from;
        for (const version *v = r->older; v; v = v->older) {
            assert(v->to == newer && v->from < v->to);
            newer = v->from;
        }
    }
    assert(db->commits.n == 0 || db->commits.recs[db->commits.n - 1].seq == db->seq);
}
#endif

uint32_t hs_db_seq(const hs_db *db) { return db ? db->seq : 0; }
uint32_t hs_db_oldest(const hs_db *db) { return db ? db->oldest : 0; }

static int readable(const hs_db *db, uint32_t s) { return s >= db->oldest && s <= db->seq; }

hs_rc hs_db_set_base(hs_db *db, uint32_t seq) {
    if (!db) return HS_MISUSE;
    if (db->seq != 0 || db->hist.nchanges || db->commits.n) return db_error(db, "set_base needs a database without commits");
    for (size_t i = 0; i < db->ncolls; i++)
        for (size_t r = 0; r < db->colls[i]->len; r++) db->colls[i]->rows[r].from = seq;
    db->seq = db->oldest = seq;
    db->hist.seq = seq + 1;
    buf_clear(&db->out);
    buf_puts(&db->out, "{}");
    return HS_OK;
}

/* ---- history ---- */

typedef struct hist_entry {
    uint32_t seq, row_id;
    size_t order;      /* row position, to keep rows in insertion order within a seq */
    char op;
    const doc *d;
} hist_entry;

static int entry_cmp(const void *a, const void *b) {
    const hist_entry *x = a, *y = b;
    if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

hs_rc hs_db_history(hs_db *db, const char *target, size_t tlen, const char *node_json, size_t nlen, uint32_t from, uint32_t to) {
    if (!db || !target) return HS_MISUSE;
    char name[512];
    if (tlen >= sizeof name) return db_error(db, "target name too long");
    if (has_nul(target, tlen)) return db_error(db, MSG_NUL_NAME);
    memcpy(name, target, tlen);
    name[tlen] = 0;
    qnode *node = NULL;
    if (node_json && nlen) {
        buf enc;
        buf_init(&enc);
        size_t pos = 0;
        char err[200];
        const char *e = jscan_value_depth(node_json, nlen, &pos, &enc, JSCAN_NODE_DEPTH);
        if (e) { buf_free(&enc); hs_snprintf(err, sizeof err, "queryNode: %s", e); return db_error(db, err); }
        node = node_compile((val)enc.data, err, sizeof err);
        buf_free(&enc);
        if (!node) return db_error(db, err);
    }
    coll *c = NULL;
    for (size_t i = 0; i < db->ncolls && !c; i++)
        if (strcmp(db->colls[i]->name, name) == 0) c = db->colls[i];
    hist_entry *entries = NULL;
    size_t n = 0, cap = 0;
    /* One row's versions oldest first (the older chain reversed, then cur), each with its
       document (a delta version is rebuilt from the newer one as the chain is walked down). */
    typedef struct past { uint32_t from; const doc *d; } past;
    past *chain = NULL;
    size_t chain_cap = 0;
    int oom = 0;
    node_ctx_begin(&db->nctx);
    for (size_t i = 0; c && i < c->len && !oom && !db->nctx.error; i++) {
        row *r = &c->rows[i];
        size_t k = 0;
        for (const version *v = r->older; v; v = v->older) k++;
        if (k + 1 > chain_cap) {
            chain_cap = (k + 1) * 2;
            past *grown = realloc(chain, chain_cap * sizeof *chain);
            if (!grown) { oom = 1; break; }
            chain = grown;
        }
        size_t m = k;
        doc *newer = r->cur;
        for (version *v = r->older; v; v = v->older) {
            doc *d = version_doc(v, newer);
            if (!d && v->delta_len) { oom = 1; break; }
            chain[--m] = (past){v->from, d};
            newer = d;
        }
        if (oom) break;
        int matched = node == NULL;
        for (size_t v = 0; v < k && !matched; v++)
            if (chain[v].d && node_match(node, chain[v].d->v, &db->nctx)) matched = 1;
        if (!matched && r->cur && node_match(node, r->cur->v, &db->nctx)) matched = 1;
        if (!matched) continue;
        const doc *prev = NULL;
        for (size_t v = 0; v <= k; v++) {
            uint32_t seq = v < k ? chain[v].from : r->from;
            const doc *d = v < k ? chain[v].d : r->cur;
            char op = d ? (prev ? 'U' : 'I') : 'D';
            const doc *shown = d ? d : prev;
            if ((d || prev) && seq >= from && seq <= to) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 64;
                    hist_entry *grown = realloc(entries, cap * sizeof *entries);
                    if (!grown) { oom = 1; break; }
                    entries = grown;
                }
                entries[n++] = (hist_entry){seq, r->id, i, op, shown};
            }
            prev = d;
        }
    }
    free(chain);
    node_free(node);
    if (oom) { free(entries); return HS_NOMEM; }
    if (n > 1) hs_qsort(entries, n, sizeof *entries, entry_cmp);
    buf *o = &db->out;
    buf_clear(o);
    buf_putc(o, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) buf_putc(o, ',');
        buf_puts(o, "{\"seq\":");
        buf_put_i64(o, entries[i].seq);
        buf_puts(o, ",\"op\":\"");
        buf_putc(o, entries[i].op);
        buf_puts(o, "\",\"rowId\":");
        buf_put_i64(o, entries[i].row_id);
        buf_puts(o, ",\"doc\":");
        val_print(o, entries[i].d->v);
        buf_putc(o, '}');
    }
    buf_putc(o, ']');
    free(entries);
    return o->oom ? HS_NOMEM : HS_OK;
}

/* ---- diff ---- */

typedef struct touched { size_t coll_index; uint32_t row_id; } touched;

static int touched_cmp(const void *a, const void *b) {
    const touched *x = a, *y = b;
    if (x->coll_index != y->coll_index) return x->coll_index < y->coll_index ? -1 : 1;
    return x->row_id < y->row_id ? -1 : x->row_id > y->row_id;
}

static size_t coll_index(const hs_db *db, const coll *c) {
    for (size_t i = 0; i < db->ncolls; i++) if (db->colls[i] == c) return i;
    return SIZE_MAX;
}

static void put_doc_list(buf *o, const char *name, const doc *const *docs, size_t n) {
    buf_putc(o, '"');
    buf_puts(o, name);
    buf_puts(o, "\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) buf_putc(o, ',');
        val_print(o, docs[i]->v);
    }
    buf_putc(o, ']');
}

hs_rc hs_db_diff(hs_db *db, uint32_t a, uint32_t b) {
    if (!db) return HS_MISUSE;
    if (!readable(db, a) || !readable(db, b))
        return db_fail(db, a < db->oldest || b < db->oldest ? HS_TOO_OLD : HS_ERROR, "diff: a point is outside the kept history");
    uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
    size_t first = hist_changes_after(&db->hist, lo), last = hist_changes_after(&db->hist, hi);
    size_t n = last - first;
    touched *t = n ? malloc(n * sizeof *t) : NULL;
    if (n && !t) return HS_NOMEM;
    /* Collections are few; map each change's collection to its position in the order. */
    for (size_t i = 0; i < n; i++) {
        const change *ch = &db->hist.changes[first + i];
        t[i].coll_index = coll_index(db, ch->c);
        t[i].row_id = ch->row_id;
    }
    if (n > 1) hs_qsort(t, n, sizeof *t, touched_cmp);
    buf *o = &db->out;
    buf_clear(o);
    buf_putc(o, '{');
    /* Three passes per collection would need three lists; collect them per collection. */
    const doc **added = NULL, **removed = NULL, **before = NULL, **after = NULL;
    uint32_t *ids = NULL;   /* row ids: added from 0, removed from n, changed from 2n */
    size_t na, nr, nc;
    int first_coll = 1, oom = 0;
    if (n && (!(added = malloc(n * sizeof *added)) || !(removed = malloc(n * sizeof *removed)) ||
              !(before = malloc(n * sizeof *before)) || !(after = malloc(n * sizeof *after)) ||
              !(ids = malloc(3 * n * sizeof *ids)))) oom = 1;
    for (size_t i = 0; i < n && !oom;) {
        size_t ci = t[i].coll_index;
        coll *c = db->colls[ci];
        na = nr = nc = 0;
        for (; i < n && t[i].coll_index == ci; i++) {
            if (i > 0 && t[i - 1].coll_index == ci && t[i - 1].row_id == t[i].row_id) continue;
            long r = coll_find_row(c, t[i].row_id);
            if (r < 0) continue;
            const doc *x = row_at(&c->rows[r], a), *y = row_at(&c->rows[r], b);
            if (x == y) continue;
            if (!x) { ids[na] = t[i].row_id; added[na++] = y; }
            else if (!y) { ids[n + nr] = t[i].row_id; removed[nr++] = x; }
            else if (!val_equal(x->v, y->v)) { ids[2 * n + nc] = t[i].row_id; before[nc] = x; after[nc++] = y; }
        }
        if (!na && !nr && !nc) continue;
        if (!first_coll) buf_putc(o, ',');
        first_coll = 0;
        buf_put_json_string(o, c->name, c->name_len);
        buf_puts(o, ":{");
        put_doc_list(o, "added", added, na);
        buf_putc(o, ',');
        put_doc_list(o, "removed", removed, nr);
        buf_puts(o, ",\"changed\":[");
        for (size_t k = 0; k < nc; k++) {
            if (k) buf_putc(o, ',');
            buf_puts(o, "{\"before\":");
            val_print(o, before[k]->v);
            buf_puts(o, ",\"after\":");
            val_print(o, after[k]->v);
            buf_puts(o, ",\"rowId\":");
            buf_put_i64(o, ids[2 * n + k]);
            buf_putc(o, '}');
        }
        /* Row ids of the added and removed documents, in the same order. */
        buf_puts(o, "],\"addedIds\":[");
        for (size_t k = 0; k < na; k++) { if (k) buf_putc(o, ','); buf_put_i64(o, ids[k]); }
        buf_puts(o, "],\"removedIds\":[");
        for (size_t k = 0; k < nr; k++) { if (k) buf_putc(o, ','); buf_put_i64(o, ids[n + k]); }
        buf_puts(o, "]}");
    }
    buf_putc(o, '}');
    free(t); free(added); free(removed); free(before); free(after); free(ids);
    if (oom) return HS_NOMEM;
    return o->oom ? HS_NOMEM : HS_OK;
}

/* ---- revert ---- */

hs_rc db_revert_now(hs_db *db, uint32_t s) {
    if (!readable(db, s)) return db_fail(db, s > db->seq ? HS_ERROR : HS_TOO_OLD, s > db->seq ? "revert: seq is after the latest commit" : "revert: seq is older than the kept history");
    if (db->revert_perms) {
        hs_rc refused = access_check_revert(db, s);
        if (refused != HS_OK) return refused;
    }
    /* Plan: count the rows whose document differs, then reserve, then apply. */
    size_t k = 0;
    for (size_t i = 0; i < db->ncolls; i++) {
        coll *c = db->colls[i];
        for (size_t r = 0; r < c->len; r++) k += row_at(&c->rows[r], s) != c->rows[r].cur;
    }
    /* Every past document the revert puts back is rebuilt now (and held until the call ends),
       so applying finds them all; a rebuild that ran out of memory changes nothing. */
    if (hist_views_failed()) return db_fail(db, HS_NOMEM, "out of memory reading the past; the database is unchanged");
    if (!hist_reserve(&db->hist, k, k)) return HS_NOMEM;
    for (size_t i = 0; i < db->ncolls; i++) {
        coll *c = db->colls[i];
        if (!coll_set_alive(c, coll_alive_at(c, s), &db->hist) || !coll_set_order(c, coll_order_at(c, s), &db->hist)) {
            db_rollback(db);
            return HS_NOMEM;
        }
        for (size_t r = 0; r < c->len; r++) {
            doc *want = row_at(&c->rows[r], s);
            if (want != c->rows[r].cur) coll_set(c, r, want ? doc_ref(want) : NULL, &db->hist);
        }
        coll_set_serial(c, coll_serial_at(c, s), &db->hist);
    }
    int kind = db->meta.ref_kind ? db->meta.ref_kind : CK_REVERT;
    if (db->hist.failed || !commits_record(db, kind, s, NULL, 0, NULL)) { db_rollback(db); return HS_NOMEM; }
    db->seq = db->hist.seq++;
    db_check_commit(db, db->seq);
    hist_compact(&db->hist, db->seq);
    buf_clear(&db->out);
    buf_puts(&db->out, "{\"seq\":");
    buf_put_i64(&db->out, db->seq);
    buf_putc(&db->out, '}');
    return db->out.oom ? HS_NOMEM : HS_OK;
}

/* An undo or redo of a kept commit goes back to the state before / after it, whatever its
   seq is now (a rebase may have moved it). */
static uint32_t ref_target(const hs_db *db, uint32_t s) {
    if (!db->meta.ref_kind) return s;
    long i = commits_find_id(db, db->meta.ref, db->meta.ref_len);
    if (i < 0) return s;
    return db->commits.recs[i].seq - (db->meta.ref_kind == CK_UNDO);
}

hs_rc hs_db_revert_meta(hs_db *db, uint32_t s, const char *meta, size_t mlen) {
    if (!db) return HS_MISUSE;
    hs_rc rc = commits_begin(db, meta, mlen);
    if (rc != HS_OK) return rc;
    return db_revert_now(db, ref_target(db, s));
}

hs_rc hs_db_revert(hs_db *db, uint32_t s) { return hs_db_revert_meta(db, s, NULL, 0); }

/* ---- fork ---- */

static version *copy_versions(const version *v, uint32_t s, int *oom) {
    /* Versions that ended at or before s, newest first, as in the source chain. */
    version *head = NULL, **tail = &head;
    for (; v; v = v->older) {
        if (v->to > s) continue;
        size_t size = v->delta_len ? VERSION_NODE_SIZE(v->delta_len) : sizeof(version);
        version *c = malloc(size);
        if (!c) { *oom = 1; break; }
        memcpy(c, v, size);
        c->older = NULL;
        if (c->delta_len) c->d = NULL;   /* a rebuilt document stays with the source */
        else if (c->d) doc_ref(c->d);
        *tail = c;
        tail = &c->older;
    }
    return head;
}

hs_db *hs_db_fork(const hs_db *db, uint32_t s) {
    if (!db || !readable(db, s)) return NULL;
    hs_db *f = hs_db_open();
    if (!f) return NULL;
    int oom = !commits_copy(&f->commits, &db->commits, s) || !declared_copy(&f->declared, &db->declared);
    coll **map = db->ncolls ? calloc(db->ncolls, sizeof *map) : NULL;
    if (db->ncolls && !map) oom = 1;
    for (size_t i = 0; i < db->ncolls && !oom; i++) {
        const coll *c = db->colls[i];
        /* Skip collections created after s. */
        if (c->nlives && c->lives[0].seq > s && c->lives[0].before == 0 && !coll_alive_at(c, s)) {
            int ever = 0;
            for (size_t k = 0; k < c->nlives; k++) if (c->lives[k].seq <= s) ever = 1;
            if (!ever) continue;
        }
        coll *n = coll_new(c->name, c->name_len);
        if (!n || !coll_reserve(n, c->len)) { coll_free(n); oom = 1; break; }
        map[i] = n;
        n->alive = coll_alive_at(c, s);
        n->serial = coll_serial_at(c, s);
        n->order = coll_order_at(c, s);
        n->next_id = c->next_id;
        for (size_t k = 0; k < c->nserials && c->serials[k].seq <= s; k++) n->nserials++;
        for (size_t k = 0; k < c->nlives && c->lives[k].seq <= s; k++) n->nlives++;
        for (size_t k = 0; k < c->norders && c->orders[k].seq <= s; k++) n->norders++;
        if ((n->nserials && !(n->serials = malloc(n->nserials * sizeof *n->serials))) ||
            (n->nlives && !(n->lives = malloc(n->nlives * sizeof *n->lives))) ||
            (n->norders && !(n->orders = malloc(n->norders * sizeof *n->orders)))) { oom = 1; }
        else {
            if (n->nserials) memcpy(n->serials, c->serials, n->nserials * sizeof *n->serials);
            if (n->nlives) memcpy(n->lives, c->lives, n->nlives * sizeof *n->lives);
            if (n->norders) memcpy(n->orders, c->orders, n->norders * sizeof *n->orders);
        }
        for (size_t r = 0; r < c->len && !oom; r++) {
            const row *src = &c->rows[r];
            heap_hint(r);   /* rows rebuilt at s can take megabytes: grow memory ahead (hsint.h) */
            /* The version live at s becomes current; rows born after s are left out. */
            uint32_t from = src->from;
            doc *cur = src->cur;
            if (from > s) {
                const version *v = src->older;
                while (v && v->from > s) v = v->older;
                if (!v) continue;
                from = v->from;
                cur = row_at(src, s);
                if (!cur && v->delta_len) { oom = 1; break; }
            }
            row *dst = &n->rows[n->len++];
            dst->id = src->id;
            dst->from = from;
            dst->cur = cur ? doc_ref(cur) : NULL;
            dst->older = copy_versions(src->older, from, &oom);
            n->live += cur != NULL;
        }
        if (db_append_coll(f, n)) { oom = oom || 0; } else { coll_free(n); oom = 1; }
    }
    /* The change log up to s, pointing at the fork's collections. */
    size_t keep = hist_changes_after(&db->hist, s);
    if (!oom && keep && !hist_reserve(&f->hist, 0, keep)) oom = 1;
    for (size_t k = 0; k < keep && !oom; k++) {
        size_t ci = coll_index(db, db->hist.changes[k].c);
        if (ci == SIZE_MAX || !map[ci]) continue;
        f->hist.changes[f->hist.nchanges] = db->hist.changes[k];
        f->hist.changes[f->hist.nchanges++].c = map[ci];
    }
    free(map);
    if (oom) { hs_db_close(f); return NULL; }
    f->seq = s;
    f->oldest = db->oldest;
    f->hist.seq = s + 1;
    db_recount(f);
    return f;
}

/* ---- retention and stats ---- */

hs_rc hs_db_set_horizon(hs_db *db, uint32_t h) {
    hist_release_views();   /* pruning frees versions: nothing reads them now (a call of its own) */
    if (!db) return HS_MISUSE;
    if (h > db->seq) return db_error(db, "the horizon cannot be after the latest commit");
    if (h <= db->oldest) { buf_clear(&db->out); buf_puts(&db->out, "{}"); return HS_OK; }
    commits_prune(db, h);
    for (size_t i = db->ncolls; i-- > 0;) {
        coll *c = db->colls[i];
        coll_prune(c, h);
        if (!c->alive && c->len == 0 && c->nlives == 0) {
            /* Its changes are all at or before h, so none refers to it after the trim below. */
            db_unlink_free(db, c);
        }
    }
    size_t keep_from = hist_changes_after(&db->hist, h);
    memmove(db->hist.changes, db->hist.changes + keep_from, (db->hist.nchanges - keep_from) * sizeof *db->hist.changes);
    db->hist.nchanges -= keep_from;
    db->oldest = h;
    db_recount(db);
    buf_clear(&db->out);
    buf_puts(&db->out, "{}");
    return HS_OK;
}

void db_recount(hs_db *db) {
    uint64_t n = 0, bytes = 0;
    for (size_t i = 0; i < db->ncolls; i++) {
        const coll *c = db->colls[i];
        for (size_t r = 0; r < c->len; r++)
            for (const version *v = c->rows[r].older; v; v = v->older) { n++; bytes += VERSION_BYTES(v); }
    }
    db->hist.nolder = n;
    db->hist.older_bytes = bytes;
}

/* O(collections): the version counts are kept as commits happen (hist.nolder). */
hs_rc hs_db_stats(hs_db *db) {
    if (!db) return HS_MISUSE;
    uint64_t live = 0, tombstones = 0;
    for (size_t i = 0; i < db->ncolls; i++) {
        live += db->colls[i]->live;
        tombstones += db->colls[i]->len - db->colls[i]->live;
    }
    uint64_t versions = live + db->hist.nolder;
    uint64_t bytes = db->hist.older_bytes + tombstones * sizeof(row) + db->hist.nchanges * sizeof(change);
    buf *o = &db->out;
    buf_clear(o);
    buf_puts(o, "{\"seq\":");
    buf_put_i64(o, db->seq);
    buf_puts(o, ",\"oldestSeq\":");
    buf_put_i64(o, db->oldest);
    buf_puts(o, ",\"commits\":");
    buf_put_i64(o, (int64_t)db->commits.n);
    buf_puts(o, ",\"versions\":");
    buf_put_i64(o, (int64_t)versions);
    buf_puts(o, ",\"historyBytes\":");
    buf_put_i64(o, (int64_t)bytes);
    buf_puts(o, ",\"liveDocuments\":");
    buf_put_i64(o, (int64_t)live);
    buf_putc(o, '}');
    return o->oom ? HS_NOMEM : HS_OK;
}

/* Where the engine's bytes go, by part (payload bytes; the allocator's own overhead per block
   is not in them, so the caller compares the sum with the heap). O(rows + commits): a
   measuring tool (bench/commit-core.mjs), not for every call. */
hs_rc hs_db_memory_parts(hs_db *db) {
    if (!db) return HS_MISUSE;
    uint64_t cur = 0, past = 0, nodes = 0, rows = 0, blocks = 0;
    for (size_t i = 0; i < db->ncolls; i++) {
        const coll *c = db->colls[i];
        rows += c->cap * sizeof(row);
        for (size_t r = 0; r < c->len; r++) {
            if (c->rows[r].cur) { cur += sizeof(doc) + c->rows[r].cur->size; blocks++; }
            for (const version *v = c->rows[r].older; v; v = v->older) {
                nodes += v->delta_len ? offsetof(version, delta) : sizeof(version);
                if (v->delta_len) past += v->delta_len;   /* in the version's own block */
                else if (v->d && v->d->refs == 1) { past += sizeof(doc) + v->d->size; blocks++; }
                blocks++;
            }
        }
    }
    const commit_log *l = &db->commits;
    uint64_t ids = 0, causes = 0, queries = 0, refs = 0;
    for (size_t k = 0; k < l->n; k++) {
        ids += l->recs[k].id_len;
        causes += l->recs[k].cause_len;
        queries += l->recs[k].query_len;
        refs += l->recs[k].ref_len;
    }
    uint64_t tmpl = l->captmpl * sizeof(query_tmpl) + (l->tmpl_slots ? ((uint64_t)l->tmpl_mask + 1) * 4 : 0);
    for (size_t k = 0; k < l->ntmpl; k++) tmpl += l->tmpls[k].len;
    blocks += l->n + l->ntmpl + l->nprefix;
    buf *o = &db->out;
    buf_clear(o);
#define PART(name, v) do { buf_puts(o, "\"" name "\":"); buf_put_i64(o, (int64_t)(v)); } while (0)
    buf_putc(o, '{');
    PART("currentDocuments", cur); buf_putc(o, ',');
    PART("pastDocuments", past); buf_putc(o, ',');
    PART("versionNodes", nodes); buf_putc(o, ',');
    PART("rowTables", rows); buf_putc(o, ',');
    PART("changeLog", db->hist.capchanges * sizeof(change)); buf_putc(o, ',');
    PART("commitTable", l->cap * sizeof(commit_rec)); buf_putc(o, ',');
    PART("commitIds", ids); buf_putc(o, ',');
    PART("commitCauses", causes); buf_putc(o, ',');
    PART("commitQueries", queries); buf_putc(o, ',');
    PART("commitRefs", refs); buf_putc(o, ',');
    PART("commitTemplates", tmpl); buf_putc(o, ',');
    PART("blocks", blocks);
    buf_putc(o, '}');
#undef PART
    return o->oom ? HS_NOMEM : HS_OK;
}

/* ---- replacing whole collections (import of a revert whose target was not kept) ---- */

/* root: the "state" of a revert record; query/qlen: the whole record query, kept as the commit's query. */
static hs_rc apply_state_val(hs_db *db, val root, const char *query, size_t qlen) {
    val cols = val_obj_get(root, "collections", 11);
    if (!cols || cols[0] != T_OBJ) return db_error(db, "state: 'collections' should be a dict");
    /* Check the shape of everything first, so that applying cannot fail on bad input. */
    val_iter it;
    val_iter_init(&it, cols);
    size_t added = 0, removed = 0;
    for (val c; (c = val_iter_next(&it, 1));) {
        if (has_nul(it.key, it.klen)) return db_error(db, MSG_NUL_NAME);
        if (c[0] == T_NULL) continue;
        val data = c[0] == T_OBJ ? val_obj_get(c, "data", 4) : NULL;
        if (!data || data[0] != T_ARR) return db_error(db, "state: each collection needs a 'data' list or null");
        val_iter di;
        val_iter_init(&di, data);
        for (val d; (d = val_iter_next(&di, 0));)
            if (d[0] != T_OBJ) return db_error(db, "state: a document must be a JSON object");
        added += val_count(data);
    }
    for (size_t i = 0; i < db->ncolls; i++) removed += db->colls[i]->live;
    int oom = !hist_reserve(&db->hist, removed, removed + added);
    val_iter_init(&it, cols);
    for (val c; !oom && (c = val_iter_next(&it, 1));) {
        char name[512];
        if (it.klen >= sizeof name) { oom = 1; break; }
        memcpy(name, it.key, it.klen);
        name[it.klen] = 0;
        coll *col = c[0] == T_NULL ? db_find(db, name) : db_create(db, name);
        if (!col) { oom = c[0] != T_NULL; continue; }
        val data = c[0] == T_NULL ? NULL : val_obj_get(c, "data", 4);
        if (data && !coll_reserve(col, val_count(data))) { oom = 1; break; }
        for (size_t r = 0; r < col->len; r++)
            if (col->rows[r].cur) coll_set(col, r, NULL, &db->hist);
        if (!data) {
            if (!coll_set_alive(col, 0, &db->hist)) oom = 1;
            coll_set_serial(col, 0, &db->hist);
            continue;
        }
        val_iter di;
        val_iter_init(&di, data);
        for (val d; (d = val_iter_next(&di, 0));) {
            doc *nd = doc_new(d, val_size(d));
            if (!nd) { oom = 1; break; }
            coll_append(col, nd, &db->hist);
        }
        val serial = val_obj_get(c, "serialNum", 9);
        coll_set_serial(col, serial && val_kind(serial) == K_NUM ? val_int(serial) : 0, &db->hist);
    }
    /* "order" lists the live collections in their toDict order after this commit; their
       order keys are set to reproduce it. */
    val order = oom ? NULL : val_obj_get(root, "order", 5);
    if (order && order[0] == T_ARR) {
        int64_t key = (int64_t)db->hist.seq << 16;
        val_iter oi;
        val_iter_init(&oi, order);
        for (val name; !oom && (name = val_iter_next(&oi, 0));) {
            if (val_kind(name) != K_STR) continue;
            size_t nl;
            const char *nm = val_str(name, &nl);
            for (size_t i = 0; i < db->ncolls; i++) {
                coll *c = db->colls[i];
                if (c->alive && c->name_len == nl && memcmp(c->name, nm, nl) == 0) {
                    if (!coll_set_order(c, key++, &db->hist)) oom = 1;
                    break;
                }
            }
        }
    }
    if (!oom && (db->hist.failed || !commits_record(db, CK_STATE, 0, query, qlen, NULL))) oom = 1;
    if (oom) { db_rollback(db); return HS_NOMEM; }
    db->seq = db->hist.seq++;
    db_check_commit(db, db->seq);
    hist_compact(&db->hist, db->seq);
    buf_clear(&db->out);
    buf_puts(&db->out, "{}");
    return HS_OK;
}

/* ---- replaying commit records ---- */

static int is_revert(val q) {
    val cls = val_obj_get(q, "className", 9);
    size_t n;
    const char *s = cls && val_kind(cls) == K_STR ? val_str(cls, &n) : NULL;
    return s && n == 15 && memcmp(s, "HindsightRevert", 15) == 0;
}

static size_t ws(const char *t, size_t len, size_t p) {
    while (p < len && (t[p] == ' ' || t[p] == '\n' || t[p] == '\r' || t[p] == '\t')) p++;
    return p;
}

/* The members of one record object text[pos, end): spans of seq, id, time, cause, query.
   Returns NULL or what is wrong. Values are checked strictly where they are used. */
typedef struct rec_spans { jscan_span seq, id, time, cause, query; } rec_spans;

/* end: the bound of the text; *stop is set just past the record's closing brace. */
static const char *record_spans(const char *t, size_t pos, size_t end, rec_spans *r, size_t *stop) {
    memset(r, 0, sizeof *r);
    *stop = end;
    if (t[pos] != '{') return "a record must be an object";
    size_t p = pos + 1;
    for (;;) {
        p = ws(t, end, p);
        if (p >= end) return "a record is cut short";
        if (t[p] == '}') { *stop = p + 1; break; }
        if (t[p] == ',') { p++; continue; }
        if (t[p] != '"') return "a record is malformed";
        size_t kend = jscan_skip(t, end, p);
        const char *key = t + p + 1;
        size_t klen = kend >= p + 2 ? kend - p - 2 : 0;
        p = ws(t, end, kend);
        if (p >= end || t[p] != ':') return "a record is malformed";
        p = ws(t, end, p + 1);
        size_t vend = jscan_skip(t, end, p);
        if (vend > end || vend == p) return "a record is malformed";
        jscan_span v = {p, vend};
        if (klen == 3 && memcmp(key, "seq", 3) == 0) r->seq = v;
        else if (klen == 2 && memcmp(key, "id", 2) == 0) r->id = v;
        else if (klen == 4 && memcmp(key, "time", 4) == 0) r->time = v;
        else if (klen == 5 && memcmp(key, "cause", 5) == 0) r->cause = v;
        else if (klen == 5 && memcmp(key, "query", 5) == 0) r->query = v;
        p = vend;
    }
    if (!r->query.end) return "a record needs a query";
    return NULL;
}

/* Sets db->meta from a record's id, time and cause. */
static const char *record_meta(hs_db *db, const char *t, const rec_spans *r, buf *scratch) {
    commit_meta *m = &db->meta;
    memset(m, 0, sizeof *m);
    m->time = NAN;
    if (r->time.end && !(r->time.end - r->time.start == 4 && memcmp(t + r->time.start, "null", 4) == 0)) {
        char num[64];
        size_t n = r->time.end - r->time.start;
        if (n >= sizeof num || !(t[r->time.start] == '-' || (t[r->time.start] >= '0' && t[r->time.start] <= '9'))) return "time must be a number of milliseconds";
        memcpy(num, t + r->time.start, n);
        num[n] = 0;
        /* The usual time, whole milliseconds: read directly (hs_strtod was 2% of replay). */
        int64_t whole = 0;
        size_t d = num[0] == '-';
        while (d < n && num[d] >= '0' && num[d] <= '9' && d < 16) whole = whole * 10 + (num[d++] - '0');
        if (d == n && n > (size_t)(num[0] == '-') && (num[num[0] == '-'] != '0' || n == (size_t)(num[0] == '-') + 1)) {
            m->time = (double)(num[0] == '-' ? -whole : whole);
        } else {
            char *endp;
            m->time = hs_strtod(num, &endp);
            if (*endp) return "time is outside the Date range";
        }
        if (!isfinite(m->time) || fabs(m->time) > 8.64e15) return "time is outside the Date range";
    }
    if (r->id.end) {
        size_t a = r->id.start, b = r->id.end;
        if (!(b - a >= 3 && t[a] == '"' && t[b - 1] == '"')) return "id must be a string";
        m->id = t + a + 1;
        m->id_len = b - a - 2;
        if (m->id_len > 128) return "id is too long";
        for (size_t i = 0; i < m->id_len; i++)
            if (m->id[i] < 0x20 || m->id[i] > 0x7e || m->id[i] == '"' || m->id[i] == '\\') return "id must be printable ASCII without quotes or backslashes";
    }
    if (r->cause.end && !(r->cause.end - r->cause.start == 4 && memcmp(t + r->cause.start, "null", 4) == 0)) {
        buf_clear(scratch);
        size_t p = r->cause.start;
        const char *e = jscan_value_depth(t, r->cause.end, &p, scratch, VAL_MAX_DEPTH + 8);
        if (e) return e;
        m->cause = t + r->cause.start;
        m->cause_len = r->cause.end - r->cause.start;
    }
    return NULL;
}

static hs_rc replay_one(hs_db *db, const char *text, const rec_spans *r, buf *head, char *msg, size_t cap) {
    size_t qs = r->query.start, qe = r->query.end;
    /* Only a text that names the class can be a revert: skip parsing the rest twice. */
    int maybe_revert = 0;
    for (const char *h = qs + 1 < qe ? memchr(text + qs + 1, 'H', qe - qs - 1) : NULL; h && !maybe_revert;
         h = h + 1 < text + qe ? memchr(h + 1, 'H', (size_t)(text + qe - h - 1)) : NULL)   /* 'H' is rare in queries */
        maybe_revert = text + qe - h >= 16 && h[-1] == '"' && memcmp(h - 1, "\"HindsightRevert\"", 17) == 0;
    if (!maybe_revert) return db_execute_prepared(db, text + qs, qe - qs, NULL, 0);
    buf_clear(head);
    size_t p2 = qs;
    const char *e = jscan_value_depth(text, qe, &p2, head, JSCAN_NODE_DEPTH);
    if (e) { hs_snprintf(msg, cap, "%s", e); return HS_CORRUPT; }
    val q = (val)head->data;
    if (!is_revert(q)) return db_execute_prepared(db, text + qs, qe - qs, NULL, 0);
    val state = val_obj_get(q, "state", 5);
    if (state && state[0] == T_OBJ) return apply_state_val(db, state, text + qs, qe - qs);
    val to = val_obj_get(q, "toSeq", 5);
    if (!to || !val_is_int(to) || val_int(to) < 0 || val_int(to) > (int64_t)UINT32_MAX) {
        hs_snprintf(msg, cap, "a revert needs toSeq, a seq from 0 to 2^32-1");
        return HS_CORRUPT;
    }
    for (int kind = CK_UNDO; kind <= CK_REDO; kind++) {
        val ref = val_obj_get(q, kind == CK_UNDO ? "undo" : "redo", 4);
        if (!ref) continue;
        size_t n;
        const char *id = val_kind(ref) == K_STR ? val_str(ref, &n) : NULL;
        if (!id || n == 0 || n > 128 || db->meta.ref_kind) { hs_snprintf(msg, cap, "undo/redo must name one commit id"); return HS_CORRUPT; }
        /* The id lives in head until the next record: copy it where the meta can borrow it. */
        db->meta.ref = id;
        db->meta.ref_len = n;
        db->meta.ref_kind = kind;
    }
    return db_revert_now(db, ref_target(db, (uint32_t)val_int(to)));
}

hs_rc hs_db_replay(hs_db *db, const char *text, size_t len) {
    if (!db || !text) return HS_MISUSE;
    jscan_span all = {0, len};
    size_t pos = ws(text, len, 0), applied = 0;
    if (pos >= len || text[pos] != '[') return db_fail(db, HS_CORRUPT, "replay: expected a list of commit records");
    all.start = pos;
    int more;
    char msg[300], why[200];
    buf head, scratch;
    buf_init(&head);
    buf_init(&scratch);
    hs_rc rc = HS_OK;
    db->quiet_writes = 1;   /* a write that succeeds commits, and its result is never read */
    while ((more = jscan_next_element(text, all, &pos)) == 1) {
        size_t end;
        uint32_t expected = db->seq + 1;
        heap_hint(applied);
        rec_spans r;
        const char *e = record_spans(text, pos, len, &r, &end);
        if (!e && r.seq.end) {
            char num[24];
            size_t n = r.seq.end - r.seq.start;
            if (n >= sizeof num) e = "seq is not this commit's";
            else {
                memcpy(num, text + r.seq.start, n);
                num[n] = 0;
                char *endp;
                unsigned long long v = hs_strtou64(num, &endp);
                if (*endp || num[0] == '-' || v != expected) e = "seq is not the next commit's";
            }
        }
        if (!e) e = record_meta(db, text, &r, &scratch);
        /* A record written before ids existed gets one that is the same at every open. */
        char legacy_id[32];
        if (!e && !db->meta.id) {
            db->meta.id = legacy_id;
            db->meta.id_len = (size_t)hs_snprintf(legacy_id, sizeof legacy_id, "legacy.%u", expected);
        }
        why[0] = 0;
        if (!e) {
            rc = replay_one(db, text, &r, &head, why, sizeof why);
            if (rc == HS_NOMEM) break;
            if (rc != HS_OK && !why[0]) {
                /* keep the engine's message */
                size_t ol;
                const char *o = hs_db_output(db, &ol);
                hs_snprintf(why, sizeof why, "%.*s", (int)(ol < 150 ? ol : 150), o);
            }
            if (db->seq != expected && !why[0]) {
                /* The query ran but did not commit: say why when the result says. */
                size_t ol;
                const char *o = hs_db_output(db, &ol);
                const char *em = NULL;
                for (size_t k = 0; k + 15 < ol && !em; k++) if (memcmp(o + k, "\"errorMessage\":", 15) == 0) em = o + k + 15;
                hs_snprintf(why, sizeof why, "it did not apply again%s%.*s", em ? ": " : "", em ? (int)((o + ol - em) < 150 ? (o + ol - em) : 150) : 0, em ? em : "");
            }
            if (db->seq != expected) e = why;
        }
        if (e) {
            hs_snprintf(msg, sizeof msg, "replay: commit %u: %s", expected, e);
            rc = db_fail(db, HS_CORRUPT, msg);
            break;
        }
        rc = HS_OK;
        applied++;
        pos = end;
    }
    buf_free(&head);
    buf_free(&scratch);
    db->quiet_writes = 0;
    memset(&db->meta, 0, sizeof db->meta);
    if (rc != HS_OK) return rc;
    if (more < 0) return db_fail(db, HS_CORRUPT, "replay: the list of records is malformed");
    buf_clear(&db->out);
    buf_puts(&db->out, "{\"applied\":");
    buf_put_i64(&db->out, (int64_t)applied);
    buf_putc(&db->out, '}');
    return db->out.oom ? HS_NOMEM : HS_OK;
}

/* ---- replaying another database's commits (rebase) ---- */

hs_rc hs_db_replay_from(hs_db *db, const hs_db *src, uint32_t from, uint32_t to, uint32_t limit) {
    if (!db || !src || db == src) return HS_MISUSE;
    buf query, lines = db->out;   /* the output's buffer, kept from call to call, gets the records */
    buf_init(&query);
    buf_init(&db->out);           /* and a failing query writes its result into a new one */
    buf_clear(&lines);
    uint32_t applied = 0;
    int oom = 0;
    db->quiet_writes = 1;   /* as in replay: a write that succeeds writes no result */
    for (uint32_t s = from; s >= from && s <= to && applied < limit; s++) {
        const commit_rec *r = commits_find(src, s);
        if (!r || (r->kind != CK_QUERY && r->kind != CK_ADD)) break;   /* a revert: the caller's */
        heap_hint(applied);
        buf_clear(&query);
        commits_put_query(src, &query, r);
        /* An add's documents that could not be rebuilt: the caller's too (it reports it). */
        if (query.oom || hist_views_failed()) break;
        char id[200];
        commit_meta *m = &db->meta;
        memset(m, 0, sizeof *m);
        m->time = r->time;
        m->id = id;
        m->id_len = commit_id(&src->commits, r, id);
        if (r->cause_len) { m->cause = r->text + r->id_len; m->cause_len = r->cause_len; }
        /* Its record's query is the same text: kept as src split it, not split again. */
        if (r->kind == CK_QUERY) commits_split_parts(&src->commits, r, &m->tmpl_text, &m->tmpl_len, &m->lits, &m->lits_len);
        uint32_t expected = db->seq + 1;
        /* One that fails, runs out of memory or makes no commit left db as it was. */
        if (db_execute_prepared(db, query.data, query.len, NULL, 0) != HS_OK || db->seq != expected) break;
        if (applied++) buf_putc(&lines, '\n');
        const commit_rec *made = commits_find(db, db->seq);
        if (!commits_same_record(db, made, src, r)) commits_put(db, &lines, made);
#ifndef NDEBUG
        else {   /* the caller writes src's record with the new seq: it must print as this one */
            buf x, y;
            buf_init(&x);
            buf_init(&y);
            commits_put(db, &x, made);
            commits_put(src, &y, r);
            const char *cx = x.oom ? NULL : memchr(x.data, ',', x.len), *cy = y.oom ? NULL : memchr(y.data, ',', y.len);
            assert(!cx || !cy || (x.len - (size_t)(cx - x.data) == y.len - (size_t)(cy - y.data) && memcmp(cx, cy, x.len - (size_t)(cx - x.data)) == 0));
            buf_free(&x);
            buf_free(&y);
        }
#endif
        if (lines.oom) { oom = 1; break; }
    }
    db->quiet_writes = 0;
    memset(&db->meta, 0, sizeof db->meta);
    buf_free(&query);
    if (oom) { buf_free(&lines); return db_fail(db, HS_NOMEM, "replay: out of memory writing the records"); }
    buf_free(&db->out);
    db->out = lines;   /* the records are the output */
    return HS_OK;
}

/* ---- the change feed ---- */

/* What commit s did to the row of change ch: 0 added, 1 removed, 2 changed, -1 nothing a reader
   can see (a write of an equal value, as db.diff counts it, or a row no longer kept). */
static int change_kind(const change *ch, uint32_t s) {
    long r = coll_find_row(ch->c, ch->row_id);
    if (r < 0) return -1;
    const doc *x = row_at(&ch->c->rows[r], s - 1), *y = row_at(&ch->c->rows[r], s);
    return !x && y ? 0 : x && !y ? 1 : x && y && x != y && !val_equal(x->v, y->v) ? 2 : -1;
}

hs_rc hs_db_changes(hs_db *db, uint32_t since, uint32_t until) {
    if (!db) return HS_MISUSE;
    if (until > db->seq) until = db->seq;
    if (since < db->oldest) return db_fail(db, HS_TOO_OLD, "changes: since is older than the kept history");
    buf *o = &db->out;
    buf_clear(o);
    buf_putc(o, '[');
    size_t k = hist_changes_after(&db->hist, since);
    int first_commit = 1;
    for (uint32_t s = since + 1; s <= until && s > since; s++) {
        if (!first_commit) buf_putc(o, ',');
        first_commit = 0;
        const commit_rec *rec = commits_find(db, s);
        buf_puts(o, "{\"seq\":");
        buf_put_i64(o, s);
        buf_puts(o, ",\"id\":");
        char id[200];
        if (rec) { buf_putc(o, '"'); buf_put(o, id, commit_id(&db->commits, rec, id)); buf_putc(o, '"'); }
        else buf_puts(o, "null");
        buf_puts(o, ",\"changes\":{");
        size_t end = k;
        while (end < db->hist.nchanges && db->hist.changes[end].seq == s) end++;
        /* Group by collection: a commit touches few, so one pass per distinct collection. */
        int first_coll = 1;
        for (size_t a = k; a < end; a++) {
            coll *c = db->hist.changes[a].c;
            int seen = 0;
            for (size_t b = k; b < a && !seen; b++) seen = db->hist.changes[b].c == c;
            if (seen) continue;
            /* A collection the commit wrote without changing what a reader sees is left out,
               so a no-op write reports {} rather than three empty lists. */
            int visible = 0;
            for (size_t b = a; b < end && !visible; b++) visible = db->hist.changes[b].c == c && change_kind(&db->hist.changes[b], s) >= 0;
            if (!visible) continue;
            if (!first_coll) buf_putc(o, ',');
            first_coll = 0;
            buf_put_json_string(o, c->name, c->name_len);
            static const char *const names[3] = {":{\"added\":[", "],\"removed\":[", "],\"changed\":["};
            for (int kind = 0; kind < 3; kind++) {
                buf_puts(o, names[kind]);
                int first_row = 1;
                for (size_t b = a; b < end; b++) {
                    const change *ch = &db->hist.changes[b];
                    if (ch->c != c || change_kind(ch, s) != kind) continue;
                    if (!first_row) buf_putc(o, ',');
                    first_row = 0;
                    buf_put_i64(o, ch->row_id);
                }
            }
            buf_puts(o, "]}");
        }
        buf_puts(o, "}}");
        k = end;
    }
    buf_putc(o, ']');
    return o->oom ? HS_NOMEM : HS_OK;
}
