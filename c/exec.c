/*
 * exec.c: running one parsed query against the database (protocol §3, §5, §8).
 *
 * Every write is plan-then-apply: the query first computes everything it will change
 * (new documents, positions, counts), checks every failure condition, including
 * mustAffectAtLeastOne, reserves the memory the change needs, and only then touches the
 * collection through coll_set/coll_append, which record each change as part of the pending
 * commit. So a query that fails leaves no trace, and a read never creates a collection.
 * Reads with asOf see each row as row_at(seq) instead of its current document (a filter looks
 * through coll_peek, which answers from the current document when the collection's run summary
 * shows the members it reads unchanged since seq, and rebuilds only the hits; or the column
 * caches' past values give the candidates, column.h). Which rows a
 * query looks at is the planner's choice (plan.h: scan, index or columns); sort + limit keeps only
 * the top k of one sort key (sort_apply_top, or col_top from an int column) instead of sorting
 * every hit, or takes the page straight from a range index (plan_top); hits that an int
 * column shows already in the sort's order are not sorted at all (col_in_order).
 */
#include "hsint.h"
#include <assert.h>
#include "fmt.h"
#include "json_in.h"
#include "memory.h"
#include "plan.h"
#include "column.h"
#include <stdio.h>
#include <stdlib.h>

#define MSG_NOT_PERMITTED "Operation not permitted."
#define MSG_MUST_AFFECT "No data matched the condition (mustAffectAtLeastOne=True)"
#define MSG_SERIAL_KEY "The target serialKey does not exist"
#define MSG_NOMEM "execute_query Unexpected Error: out of memory"

/* Appends offset to marks; 0 (marks dropped) on out of memory: the output is still whole. */
static int mark(out_marks *m, size_t offset) {
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        uint32_t *grown = realloc(m->at, cap * sizeof *grown);
        if (!grown) { m->n = 0; return 0; }
        m->at = grown;
        m->cap = cap;
    }
    m->at[m->n++] = (uint32_t)offset;
    return 1;
}

void put_result(buf *out, int ok, const char *target, const char *type, val *docs, size_t ndocs,
                int64_t db_length, int64_t update_count, int64_t hit_count, const char *error, out_marks *marks) {
    buf_puts(out, ok ? "{\"className\":\"QueryResult\",\"version\":\"6\",\"isSuccess\":true,\"target\":"
                     : "{\"className\":\"QueryResult\",\"version\":\"6\",\"isSuccess\":false,\"target\":");
    buf_put_json_string(out, target, strlen(target));
    buf_puts(out, ",\"type\":");
    buf_put_json_string(out, type, strlen(type));
    buf_puts(out, ",\"result\":[");
    int marking = marks && ndocs >= OUT_MARK_MIN && (marks->n = 0, mark(marks, out->len - 1));
    if (ndocs && buf_reserve(out, ndocs * 64)) {
        for (size_t i = 0; i < ndocs; i++) {
            if (i) {
                if (marking && i % OUT_MARK_EVERY == 0) marking = mark(marks, out->len);
                buf_putc(out, ',');
            }
            val_print(out, docs[i]);
        }
    }
    if (marking) marking = mark(marks, out->len);
    buf_puts(out, "],\"dbLength\":");
    buf_put_i64(out, db_length);
    buf_puts(out, ",\"updateCount\":");
    buf_put_i64(out, update_count);
    buf_puts(out, ",\"hitCount\":");
    buf_put_i64(out, hit_count);
    buf_puts(out, ",\"errorMessage\":");
    if (error) buf_put_json_string(out, error, strlen(error));
    else buf_puts(out, "null");
    buf_putc(out, '}');
    if (marking && !out->oom && out->data[marks->at[0]] == '[') marks->valid_len = out->len;
}

static int fail(hs_db *db, const query *q, int64_t db_length, int64_t hit_count, const char *msg) {
    put_result(&db->out, 0, q->target, q->type_name, NULL, 0, db_length, 0, hit_count, msg, NULL);
    return 0;
}

static int fail_unexpected(hs_db *db, const query *q, const char *detail) {
    char msg[300];
    hs_snprintf(msg, sizeof msg, "execute_query Unexpected Error: %s", detail);
    return fail(db, q, -1, 0, msg);
}

static int fail_argument(hs_db *db, const query *q, const char *detail) {
    char msg[300];
    hs_snprintf(msg, sizeof msg, "execute_query ArgumentError: %s", detail);
    return fail(db, q, -1, 0, msg);
}

static int ok_result(hs_db *db, const query *q, val *docs, size_t n, int64_t len, int64_t u, int64_t h) {
    int read = q->type == Q_SEARCH || q->type == Q_SEARCH_ONE || q->type == Q_GET_ALL || q->type == Q_COUNT;
    if (db->quiet_writes && !read) return 1;   /* it commits: its result would not be read */
    /* Marks only for a call's whole output: a transaction's results follow its header. */
    put_result(&db->out, 1, q->target, q->type_name, docs, n, len, u, h, NULL, db->out.len == 0 ? &db->marks : NULL);
    return 1;
}

/* ---- matching, sorting, paging ---- */

typedef struct hits {
    val *docs;
    size_t *pos;      /* row positions, for writes */
    size_t n;
} hits;

static void hits_free(hits *h) { free(h->docs); free(h->pos); }

/* Collects the rows that match (all rows when node is NULL) as seen at seq s, up to `max`.
   Returns 0 on out of memory. */
static int collect(hs_db *db, coll *c, const qnode *node, size_t max, uint32_t s, int want_pos, hits *h) {
    memset(h, 0, sizeof *h);
    if (!c || c->len == 0) return 1;
    size_t cap = node ? (max < 64 ? max : 64) : (c->len < max ? c->len : max);
    if (cap == 0) cap = 1;
    /* An index, when one answers this node, gives the few rows worth looking at. */
    size_t *cand = NULL, ncand = 0;
    const char *field;
    int exact;
    int indexed = plan_candidates(db, c, node, s, 0, &cand, &ncand, &field, &exact) != PLAN_SCAN;
    /* Candidates bound the hits: one allocation of that size, no doubling on the way. */
    if (indexed) cap = ncand < max ? (ncand ? ncand : 1) : (max ? max : 1);
    h->docs = malloc(cap * sizeof *h->docs);
    if (want_pos) h->pos = malloc(cap * sizeof *h->pos);
    if (!h->docs || (want_pos && !h->pos)) { free(cand); return 0; }
    /* As of a past seq, a row whose past version keeps the members the node reads is
       matched on its current document (coll_peek), without reading any version. */
    peek_keys keys = {.n = -1};
    if (s != SEQ_PRESENT && node) keys.n = node_top_keys(node, keys.key, keys.len, PEEK_MAX_KEYS);
    size_t end = indexed ? ncand : c->len;
    for (size_t k = 0; k < end && h->n < max; k++) {
        size_t i = indexed ? cand[k] : k;
        /* A past version is only looked at (row_peek) until it matches; a hit is then
           rebuilt to be kept (row_at) for the result. */
        /* A candidate the columns are sure of matches if it existed at s (a not_ makes rows
           that did not candidates too): only rebuilt. */
        int sure = indexed && exact && s != SEQ_PRESENT;
        val d = s == SEQ_PRESENT ? (c->rows[i].cur ? c->rows[i].cur->v : NULL) : sure ? NULL : coll_peek(c, i, s, &keys);
        if (sure ? !coll_exists_at(c, i, s) : !d) continue;
        if (node && !(indexed && exact) && !node_match(node, d, &db->nctx)) {
            if (db->nctx.error) break;   /* out of regex budget: the query fails, stop scanning */
            continue;
        }
        if (s != SEQ_PRESENT) {
            const doc *kept = row_at(&c->rows[i], s);
            if (!kept) break;   /* out of memory: hist_views_failed() below */
            d = kept->v;
        }
        if (h->n == cap) {
            cap *= 2;
            val *nd = realloc(h->docs, cap * sizeof *nd);
            if (!nd) { free(cand); return 0; }
            h->docs = nd;
            if (want_pos) {
                size_t *np = realloc(h->pos, cap * sizeof *np);
                if (!np) { free(cand); return 0; }
                h->pos = np;
            }
        }
        h->docs[h->n] = d;
        if (want_pos) h->pos[h->n] = i;
        h->n++;
    }
    free(cand);
    return !hist_views_failed();
}

static size_t count_at(coll *c, uint32_t s) {
    if (!c) return 0;
    return s == SEQ_PRESENT ? c->live : coll_live_at(c, s);
}

/* Position then limit (§8). Returns the page as a sub-range [*from, *from + *count). */
static void page(const query *q, val *docs, size_t n, size_t *from, size_t *count) {
    size_t lo = 0, hi = n;
    if (q->has_offset) {
        if (q->offset > 0) lo = (uint64_t)q->offset < n ? (size_t)q->offset : n;
    } else if (q->start_after) {
        for (size_t i = 0; i < n; i++)
            if (val_equal(docs[i], q->start_after)) { lo = i + 1; break; }
    } else if (q->end_before) {
        for (size_t i = 0; i < n; i++)
            if (val_equal(docs[i], q->end_before)) { hi = i; break; }
    }
    if (q->has_limit) {
        size_t lim = (uint64_t)q->limit < SIZE_MAX ? (size_t)q->limit : SIZE_MAX;
        if (!q->has_offset && !q->start_after && q->end_before) {
            if (hi - lo > lim) lo = hi - lim;
        } else if (hi - lo > lim) {
            hi = lo + lim;
        }
    }
    *from = lo;
    *count = hi - lo;
}

static const char *sort_docs(const query *q, val *docs, size_t n, char *err, size_t cap) {
    if (!q->sort) return NULL;
    return sort_apply(q->sort, docs, n, err, cap);
}

/* ---- reads ---- */

static int exec_read(hs_db *db, const query *q) {
    coll *c = db_find_at(db, q->target, q->as_of);
    if (c && q->as_of != SEQ_PRESENT) {   /* optional: without it, as-of reads walk the versions */
        int token = hs_mem_optional_begin();
        coll_runs_prepare(c);
        hs_mem_optional_end(token);
    }
    int64_t len = (int64_t)count_at(c, q->as_of);
    if (q->type == Q_COUNT) return ok_result(db, q, NULL, 0, len, 0, len);
    /* Sort + limit on the field of an indexed range: the page straight from the index. */
    size_t *top, ntop, nhits;
    if (plan_top(db, c, q, 0, &top, &ntop, &nhits)) {
        val *docs = malloc((ntop ? ntop : 1) * sizeof *docs);
        if (!docs) { free(top); return fail_unexpected(db, q, "out of memory"); }
        for (size_t i = 0; i < ntop; i++) docs[i] = c->rows[top[i]].cur->v;
        free(top);
        size_t from, count;
        page(q, docs, ntop, &from, &count);
        int r = ok_result(db, q, docs + from, count, len, 0, (int64_t)nhits);
        free(docs);
        return r;
    }
    hits h;
    size_t max = q->type == Q_SEARCH_ONE ? 1 : SIZE_MAX;
    uint64_t wanted = plan_page_prefix(q);
    /* Sort + limit by one auto_ key of the present: the top k may come from its column. */
    const char *sf = NULL;
    size_t sfl = 0;
    int reversed = 0;
    int by_column = q->sort && q->type != Q_SEARCH_ONE && q->as_of == SEQ_PRESENT &&
                    sort_single_auto(q->sort, &sf, &sfl, &reversed);
    if (!collect(db, c, q->type == Q_GET_ALL ? NULL : q->node, max, q->as_of, by_column, &h)) { hits_free(&h); return fail_unexpected(db, q, "out of memory"); }
    if (db->nctx.error) { hits_free(&h); return fail_unexpected(db, q, db->nctx.error); }
    if (q->type == Q_SEARCH_ONE) {
        int r = ok_result(db, q, h.docs, h.n, len, 0, (int64_t)h.n);
        hits_free(&h);
        return r;
    }
    char err[200];
    const char *e = NULL;
    /* Hits already in the sort's order by their int column (rows added in key order) need no
       sort, and their first k are the top k. */
    int in_order = by_column && h.n > 1 && col_in_order(c, sf, sfl, reversed, h.pos, h.n);
    int token = hs_mem_optional_begin();   /* the column's top k is optional: a sort does without it */
    int topped = !in_order && by_column && wanted < h.n && wanted > 0 && col_top(c, sf, sfl, reversed, h.pos, h.n, (size_t)wanted);
    hs_mem_optional_end(token);
    if (in_order) { /* h.docs is in the sort's order already */ }
    else if (topped)
        for (size_t i = 0; i < wanted; i++) h.docs[i] = c->rows[h.pos[i]].cur->v;
    else if (q->sort && wanted < h.n) e = sort_apply_top(q->sort, h.docs, h.n, (size_t)wanted, err, sizeof err);
    else e = sort_docs(q, h.docs, h.n, err, sizeof err);
    if (e) { hits_free(&h); return fail_unexpected(db, q, e); }
    size_t from, count;
    page(q, h.docs, h.n, &from, &count);
    int r = ok_result(db, q, h.docs ? h.docs + from : NULL, count, len, 0, (int64_t)h.n);
    hits_free(&h);
    return r;
}

/* ---- add / clearAdd ---- */

/* The next addData item as a document (serial applied), from the encoded documents
   (db->docs_in), the cut-out text or the cJSON tree. Returns NULL at the end; *err is set on failure. */
typedef struct add_cursor {
    const cJSON *item;
    size_t pos;
    int started;
} add_cursor;

static doc *next_added(hs_db *db, const query *q, add_cursor *cur, int64_t *serial, const char **err) {
    buf *b = &db->scratch;
    buf_clear(b);
    if (q->add_encoded) {
        /* Already in the storage format: checked, then stored as they are (no scratch copy). */
        if (!cur->started) { cur->pos = 0; cur->started = 1; }
        if (cur->pos == db->docs_in_len) return NULL;
        const uint8_t *at = db->docs_in + cur->pos;
        size_t size;
        if ((*err = val_check(at, db->docs_in_len - cur->pos, VAL_MAX_DEPTH, &size))) return NULL;
        if (at[0] != T_OBJ) { *err = "every item of addData must be an object"; return NULL; }
        cur->pos += size;
        if (q->serial_key) { buf_put(b, at, size); if (b->oom) { *err = "out of memory"; return NULL; } }
        else {
            doc *d = doc_new(at, size);
            if (!d) *err = "out of memory";
            return d;
        }
    } else if (q->add_span) {
        if (!cur->started) { cur->pos = q->add_span->start; cur->started = 1; }
        int more = jscan_next_element(db->input, *q->add_span, &cur->pos);
        if (more <= 0) { if (more < 0) *err = "addData is not a well-formed list"; return NULL; }
        *err = jscan_value(db->input, q->add_span->end, &cur->pos, b);
    } else {
        cur->item = cur->started ? cur->item->next : q->add_data->child;
        cur->started = 1;
        if (!cur->item) return NULL;
        *err = jin_encode(b, cur->item);
    }
    if (*err) return NULL;
    if (b->data[0] != T_OBJ) { *err = "every item of addData must be an object"; return NULL; }
    if (!q->serial_key) {
        doc *d = doc_new((const uint8_t *)b->data, b->len);
        if (!d) *err = "out of memory";
        return d;
    }
    size_t kl = strlen(q->serial_key);
    val at = val_obj_get((val)b->data, q->serial_key, kl);
    if (!at) { *err = MSG_SERIAL_KEY; return NULL; }
    /* item[serialKey] = serial, keeping the key where it is (Python's dict assignment). */
    uint8_t num[9];
    buf nb = {(char *)num, 0, sizeof num, 0};
    enc_int(&nb, (*serial)++);
    doc *d = doc_replace_member((val)b->data, at, num, nb.len);
    if (!d) *err = "out of memory";
    return d;
}

/* Builds every document of addData before anything changes. Returns NULL on success or an
   error message (DeltaTraceDB's serialKey message, or an ArgumentError). */
static const char *build_added(hs_db *db, const query *q, int64_t *serial, doc ***out, size_t *nout) {
    size_t n = 0, cap = 0;
    doc **docs = NULL;
    add_cursor cur = {0};
    const char *e = NULL;
    for (;;) {
        heap_hint(n);
        doc *d = next_added(db, q, &cur, serial, &e);
        if (!d) break;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            doc **bigger = realloc(docs, cap * sizeof *docs);
            if (!bigger) { doc_unref(d); e = "out of memory"; break; }
            docs = bigger;
        }
        docs[n++] = d;
    }
    if (e) {
        for (size_t k = 0; k < n; k++) doc_unref(docs[k]);
        free(docs);
        if (strcmp(e, MSG_SERIAL_KEY) == 0) return e;
        static char msg[200];
        hs_snprintf(msg, sizeof msg, "execute_query ArgumentError: addData: %s", e);
        return msg;
    }
    *out = docs;
    *nout = n;
    return NULL;
}

static void free_docs(doc **docs, size_t n) {
    for (size_t i = 0; i < n; i++) doc_unref(docs[i]);
    free(docs);
}

static int exec_add(hs_db *db, const query *q) {
    coll *c = db_find(db, q->target);
    int64_t old_len = c ? (int64_t)c->live : 0;
    int clear_add = q->type == Q_CLEAR_ADD;
    int64_t serial = c ? c->serial : 0;
    if (clear_add && q->reset_serial) serial = 0;
    doc **docs;
    size_t n;
    const char *e = build_added(db, q, &serial, &docs, &n);
    if (e) return fail(db, q, strncmp(e, "execute_query", 13) == 0 ? -1 : old_len, 0, e);
    int64_t affected = clear_add ? old_len : (int64_t)n;
    if (q->must_affect && affected == 0) { free_docs(docs, n); return fail(db, q, old_len, 0, MSG_MUST_AFFECT); }
    /* Reserve everything before the first change, so applying cannot fail halfway. */
    size_t cleared = clear_add ? (size_t)old_len : 0;
    /* Nothing to write to a missing collection: succeed and create nothing (README, rule 2). */
    if (!c && n == 0) { free(docs); return ok_result(db, q, NULL, 0, 0, 0, 0); }
    if (!c) c = db_create(db, q->target);
    if (!c || !coll_reserve(c, n) || !hist_reserve(&db->hist, cleared, cleared + n)) {
        free_docs(docs, n);
        return fail_unexpected(db, q, "out of memory");   /* the caller rolls back a created collection */
    }
    for (size_t i = 0; clear_add && i < c->len; i++)
        if (c->rows[i].cur) coll_set(c, i, NULL, &db->hist);
    for (size_t i = 0; i < n; i++) coll_append(c, docs[i], &db->hist);
    if (q->serial_key || (clear_add && q->reset_serial)) coll_set_serial(c, serial, &db->hist);
    val *vals = q->return_data && n ? malloc(n * sizeof *vals) : NULL;
    for (size_t i = 0; vals && i < n; i++) vals[i] = docs[i]->v;
    free(docs);
    int r = ok_result(db, q, vals, vals ? n : 0, (int64_t)c->live, affected, clear_add ? old_len : 0);
    free(vals);
    return r;
}

/* ---- update / delete ---- */

static int exec_update(hs_db *db, const query *q) {
    coll *c = db_find(db, q->target);
    int64_t len = c ? (int64_t)c->live : 0;
    hits h;
    if (!collect(db, c, q->node, q->type == Q_UPDATE_ONE ? 1 : SIZE_MAX, SEQ_PRESENT, 1, &h)) { hits_free(&h); return fail_unexpected(db, q, "out of memory"); }
    if (db->nctx.error) { hits_free(&h); return fail_unexpected(db, q, db->nctx.error); }
    doc **fresh = h.n ? malloc(h.n * sizeof *fresh) : NULL;
    size_t built = 0;
    for (; fresh && built < h.n; built++) {
        heap_hint(built);
        if (!(fresh[built] = doc_update(h.docs[built], q->override_val, &db->scratch))) break;
    }
    if (h.n && built < h.n) { free_docs(fresh, built); hits_free(&h); return fail_unexpected(db, q, "out of memory"); }
    if (q->must_affect && h.n == 0) { hits_free(&h); return fail(db, q, len, 0, MSG_MUST_AFFECT); }
    /* The result lists the new documents, sorted when asked; sort before applying. */
    val *out = NULL;
    if (q->return_data && h.n) {
        out = malloc(h.n * sizeof *out);
        if (!out) { free_docs(fresh, h.n); hits_free(&h); return fail_unexpected(db, q, "out of memory"); }
        for (size_t i = 0; i < h.n; i++) out[i] = fresh[i]->v;
        char err[200];
        const char *e = sort_docs(q, out, h.n, err, sizeof err);
        if (e) { free(out); free_docs(fresh, h.n); hits_free(&h); return fail_unexpected(db, q, e); }
    }
    if (h.n && !hist_reserve(&db->hist, h.n, h.n)) {
        free(out); free_docs(fresh, h.n); hits_free(&h);
        return fail_unexpected(db, q, "out of memory");
    }
    for (size_t i = 0; i < h.n; i++) coll_set(c, h.pos[i], fresh[i], &db->hist);
    int r = ok_result(db, q, out, out ? h.n : 0, len, (int64_t)h.n, (int64_t)h.n);
    free(out);
    free(fresh);
    hits_free(&h);
    return r;
}

static int exec_delete(hs_db *db, const query *q) {
    coll *c = db_find(db, q->target);
    int64_t len = c ? (int64_t)c->live : 0;
    hits h;
    if (!collect(db, c, q->node, q->type == Q_DELETE_ONE ? 1 : SIZE_MAX, SEQ_PRESENT, 1, &h)) { hits_free(&h); return fail_unexpected(db, q, "out of memory"); }
    if (db->nctx.error) { hits_free(&h); return fail_unexpected(db, q, db->nctx.error); }
    if (q->must_affect && h.n == 0) { hits_free(&h); return fail(db, q, len, 0, MSG_MUST_AFFECT); }
    /* Python's deleteOne returns the deleted item even without returnData. */
    int show = q->return_data || q->type == Q_DELETE_ONE;
    if (show && h.n > 1) {
        char err[200];
        const char *e = sort_docs(q, h.docs, h.n, err, sizeof err);
        if (e) { hits_free(&h); return fail_unexpected(db, q, e); }
    }
    doc **held = h.n ? malloc(h.n * sizeof *held) : NULL;
    if (h.n && (!held || !hist_reserve(&db->hist, h.n, h.n))) { free(held); hits_free(&h); return fail_unexpected(db, q, "out of memory"); }
    /* Usually the deleted documents live on in the rows' history, but not a row added
       earlier in the same transaction: hold them until the result is written. */
    for (size_t i = 0; i < h.n; i++) {
        held[i] = doc_ref(c->rows[h.pos[i]].cur);
        coll_set(c, h.pos[i], NULL, &db->hist);
    }
    /* c is NULL when the collection does not exist (mustAffectAtLeastOne false). */
    int r = ok_result(db, q, show ? h.docs : NULL, show ? h.n : 0, c ? (int64_t)c->live : 0, (int64_t)h.n, (int64_t)h.n);
    free_docs(held, h.n);
    hits_free(&h);
    return r;
}

/* ---- whole-collection rewrites ---- */

static int exec_rewrite(hs_db *db, const query *q) {
    coll *c = db_find(db, q->target);
    int64_t len = c ? (int64_t)c->live : 0;
    if (q->type == Q_RENAME) {
        size_t bl = strlen(q->rename_before), al = strlen(q->rename_after);
        /* Item by item, both checks on each, as DeltaTraceDB does: the first bad item decides. */
        for (size_t i = 0; c && i < c->len; i++) {
            if (!c->rows[i].cur) continue;
            val d = c->rows[i].cur->v;
            if (!val_obj_get(d, q->rename_before, bl)) return fail(db, q, len, 0, "The renameBefore key does not exist");
            if (val_obj_get(d, q->rename_after, al)) return fail(db, q, len, 0, "An existing key was specified as the new key");
        }
    }
    if (q->must_affect && len == 0) return fail(db, q, len, 0, MSG_MUST_AFFECT);
    if (!c) return ok_result(db, q, NULL, 0, 0, 0, 0);   /* nothing to change: creates nothing */
    doc **fresh = len ? malloc((size_t)len * sizeof *fresh) : NULL;
    size_t built = 0;
    for (size_t i = 0; fresh && i < c->len; i++) {
        if (!c->rows[i].cur) continue;
        heap_hint(built);
        val old = c->rows[i].cur->v;
        fresh[built] = q->type == Q_CONFORM
            ? doc_conform(old, q->template_val, &db->scratch)
            : doc_rename(old, q->rename_before, strlen(q->rename_before), q->rename_after, strlen(q->rename_after), &db->scratch);
        if (!fresh[built]) break;
        built++;
    }
    if (built < (size_t)len || !hist_reserve(&db->hist, built, built)) { free_docs(fresh, built); return fail_unexpected(db, q, "out of memory"); }
    for (size_t i = 0, k = 0; i < c->len; i++)
        if (c->rows[i].cur) coll_set(c, i, fresh[k++], &db->hist);
    free(fresh);
    val *out = NULL;
    size_t nout = 0;
    if (q->type == Q_RENAME && q->return_data && len && (out = malloc((size_t)len * sizeof *out)))
        for (size_t i = 0; i < c->len; i++)
            if (c->rows[i].cur) out[nout++] = c->rows[i].cur->v;
    int r = ok_result(db, q, out, nout, len, len, len);
    free(out);
    return r;
}

/* Deletes every current row of c in the pending commit. 0 on out of memory. */
static int tombstone_all(hs_db *db, coll *c) {
    if (!hist_reserve(&db->hist, c->live, c->live)) return 0;
    for (size_t i = 0; i < c->len; i++)
        if (c->rows[i].cur) coll_set(c, i, NULL, &db->hist);
    return 1;
}

static int exec_clear(hs_db *db, const query *q) {
    coll *c = db_find(db, q->target);
    int64_t len = c ? (int64_t)c->live : 0;
    if (q->must_affect && len == 0) return fail(db, q, len, 0, MSG_MUST_AFFECT);
    if (!c) return ok_result(db, q, NULL, 0, 0, 0, 0);   /* nothing to clear: creates nothing */
    if (!tombstone_all(db, c)) return fail_unexpected(db, q, "out of memory");
    if (q->reset_serial) coll_set_serial(c, 0, &db->hist);
    return ok_result(db, q, NULL, 0, 0, len, len);
}

static int exec_remove_collection(hs_db *db, const query *q) {
    coll *c = db_find(db, q->target);
    if (q->must_affect && !c) return fail(db, q, 0, 0, MSG_MUST_AFFECT);
    if (c) {
        /* The collection's history stays for time travel; it is gone from the present. */
        if (!tombstone_all(db, c) || !coll_set_alive(c, 0, &db->hist)) return fail_unexpected(db, q, "out of memory");
        coll_set_serial(c, 0, &db->hist);
    }
    return ok_result(db, q, NULL, 0, 0, c ? 1 : 0, 0);
}

int exec_query(hs_db *db, const query *q) {
    node_ctx_begin(&db->nctx);
    switch (q->type) {
    case Q_SEARCH: case Q_SEARCH_ONE: case Q_GET_ALL: case Q_COUNT: return exec_read(db, q);
    case Q_ADD: case Q_CLEAR_ADD: return exec_add(db, q);
    case Q_UPDATE: case Q_UPDATE_ONE: return exec_update(db, q);
    case Q_DELETE: case Q_DELETE_ONE: return exec_delete(db, q);
    case Q_CONFORM: case Q_RENAME: return exec_rewrite(db, q);
    case Q_CLEAR: return exec_clear(db, q);
    case Q_REMOVE_COLLECTION: return exec_remove_collection(db, q);
    case Q_MERGE: return exec_merge(db, q);
    }
    /* query_parse gives only the types above. */
    assert(0);
    return fail_argument(db, q, "unknown query type");
}

int check_permissions(const cJSON *perms, const query *q) {
    if (!perms) return 1;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(perms, q->target);
    const cJSON *allows = cJSON_GetObjectItemCaseSensitive(p, "allows");
    for (const cJSON *a = cJSON_IsArray(allows) ? allows->child : NULL; a; a = a->next)
        if (cJSON_IsString(a) && strcmp(a->valuestring, q->type_name) == 0) return 1;
    return 0;
}
