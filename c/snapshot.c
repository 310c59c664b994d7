/*
 * snapshot.c: the whole engine state as one JSON text, and back: what persistent stores
 * keep so that opening a database does not replay its history.
 *
 * Layout of hs_db_dump's text, version "3" (hs_db_load also reads versions "1" and "2"; the
 * test tests/c/test_snapshot.c checks a dump against this table):
 *
 *   member        | value
 *   --------------+-------------------------------------------------------------------------
 *   className     | "HindsightEngineState"
 *   version       | "3"
 *   seq           | the latest commit
 *   oldest        | the retention horizon (oldest readable seq)
 *   origin        | the origin of new commit ids (string)
 *   counter       | the last counter given to a new id of that origin
 *   baseTime      | ms time of the commit at `oldest`, or null when unknown
 *   collections   | [COLL, ..] in the engine's internal order (not toDict's)
 *   commits       | COMMITS: one record per kept commit, seqs oldest+1 .. seq in order
 *   indexes       | [[collection, field], ..] declared indexes (plan.h); absent when none
 *
 *   COLL    = {"name","alive":0|1,"serial","order","nextId","serials":[[seq,before],..],
 *              "lives":[..],"orders":[..],"rows":[ROW | STEP,..]}
 *   ROW     = DOC: a row with id = previous row's id + 1 (0 for the first), from = FROM, no
 *                  older versions, alive
 *           | [id, from, DOC|null, [[from, to, DOC|null], ..]]: any row (versions newest first)
 *   STEP    = an integer d: FROM += d for the DOC rows after it (not a row)
 *   FROM    = starts at 0; a DOC row or an array row without older versions sets it to its
 *             from (so rows added one per commit cost one small STEP each)
 *   COMMITS = {"ids":[ID,..],"times":[TIME,..],"records":[REC,..]}, three columns read in
 *             step, commit by commit; "times" has exactly one entry per commit
 *   ID      = "id": one commit | [prefix, first, count]: count (>= 2) commits with the ids
 *             prefix "." first, prefix "." first+1, .. (decimal, no leading zeros)
 *   TIME    = [ms]: any time | an integer d: the previous commit's time + d (both integral)
 *   REC     = [cause|null, kind, payload(, extra)] | an integer k: k more commits with the
 *             same cause, kind, payload and extra as the one before
 *   kind      0 query:  payload = the query JSON as executed
 *             1 add:    payload = the query JSON with its addData array replaced by 0,
 *                       extra = that 0's byte offset in the query text (the documents are
 *                       the row versions the commit made)
 *             2 revert: payload = toSeq
 *             3 undo / 4 redo: payload = toSeq, extra = the id of the commit taken back
 *             5 state:  payload = the revert query with its "state" (an import)
 *
 * Version "2" had no STEP, and "commits": [[seq, id, time|null, cause|null, kind, payload(,
 * extra)], ..] (time null: the previous commit's). Version "1" (written before the commit
 * table existed) had no origin/counter/baseTime/commits, rows always in the array form, and
 * "changes": [[collection index, row id, seq],..]; versions 2 and 3 rebuild the change log
 * from the row versions (every version boundary after `oldest` is one change). A version 1
 * text may carry "commits" in the version 2 form (JS converts an old snapshot's log so).
 * Invariants: loading a dump gives a database whose every readable seq reads the same as the
 * dumped one, with the same commit records; a bad text changes nothing. Index contents are
 * not dumped (rebuilt when queries ask for them); only which indexes were declared.
 */
#include "hsint.h"
#include "fmt.h"
#include "hsort.h"
#include "plan.h"
#include "memory.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void put_values(buf *o, const seq_value *list, size_t n) {
    buf_putc(o, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) buf_putc(o, ',');
        buf_putc(o, '[');
        buf_put_i64(o, list[i].seq);
        buf_putc(o, ',');
        buf_put_i64(o, list[i].before);
        buf_putc(o, ']');
    }
    buf_putc(o, ']');
}

static void put_number_or_null(buf *o, double t) {
    if (isnan(t)) buf_puts(o, "null");
    else if (t == floor(t) && fabs(t) < 9e15) buf_put_i64(o, (int64_t)t);
    else buf_put_double(o, t);
}

static void put_doc(buf *o, const doc *d) {
    if (d) val_print(o, d->v);
    else buf_puts(o, "null");
}

/* An id of the form prefix "." counter (decimal, no leading zero, at most 15 digits): the
   ids a database gives its own commits, written as runs. */
static int id_counter(const char *id, size_t n, size_t *prefix_len, uint64_t *num) {
    size_t dot = n;
    while (dot > 0 && id[dot - 1] != '.') dot--;
    if (dot < 2 || dot == n || n - dot > 15 || (id[dot] == '0' && n - dot > 1)) return 0;
    uint64_t v = 0;
    for (size_t i = dot; i < n; i++) {
        if (id[i] < '0' || id[i] > '9') return 0;
        v = v * 10 + (uint64_t)(id[i] - '0');
    }
    *prefix_len = dot - 1;
    *num = v;
    return 1;
}

static int integral_time(double t) { return t == floor(t) && fabs(t) < 9e15; }

/* Two records that differ only in seq, id and time (written once, then counted). */
static int same_record(const commit_rec *a, const commit_rec *b) {
    return a->kind == b->kind && a->tmpl == b->tmpl && a->to_seq == b->to_seq && a->add_at == b->add_at && a->cause_len == b->cause_len &&
           a->query_len == b->query_len && a->ref_len == b->ref_len &&
           memcmp(a->text + a->id_len, b->text + b->id_len, a->cause_len + a->query_len + a->ref_len) == 0;
}

/* COMMITS of the table: ids, times and records, each column run-length coded. */
static void put_commits(const hs_db *db, buf *o) {
    const commit_log *l = &db->commits;
    buf_puts(o, "{\"ids\":[");
    char id[200], next[200];
    for (size_t i = 0; i < l->n;) {
        size_t idl = commit_id(l, &l->recs[i], id);
        size_t pl, j = i + 1;
        uint64_t first, k;
        if (id_counter(id, idl, &pl, &first)) {
            for (; j < l->n; j++) {
                size_t pl2, nl = commit_id(l, &l->recs[j], next);
                if (!id_counter(next, nl, &pl2, &k) || pl2 != pl || k != first + (j - i) || memcmp(next, id, pl) != 0) break;
            }
        }
        if (i) buf_putc(o, ',');
        if (j - i >= 2) {
            buf_putc(o, '[');
            buf_put_json_string(o, id, pl);
            buf_putc(o, ',');
            buf_put_i64(o, (int64_t)first);
            buf_putc(o, ',');
            buf_put_i64(o, (int64_t)(j - i));
            buf_putc(o, ']');
            i = j;
        } else {
            buf_put_json_string(o, id, idl);
            i++;
        }
    }
    buf_puts(o, "],\"times\":[");
    for (size_t i = 0; i < l->n; i++) {
        double t = l->recs[i].time;
        if (i) buf_putc(o, ',');
        if (i && integral_time(t) && integral_time(l->recs[i - 1].time)) buf_put_i64(o, (int64_t)t - (int64_t)l->recs[i - 1].time);
        else { buf_putc(o, '['); put_number_or_null(o, t); buf_putc(o, ']'); }
    }
    buf_puts(o, "],\"records\":[");
    size_t repeats = 0;
    for (size_t i = 0; i < l->n; i++) {
        const commit_rec *r = &l->recs[i];
        if (i && same_record(r, &l->recs[i - 1])) { repeats++; continue; }
        if (repeats) { buf_putc(o, ','); buf_put_i64(o, (int64_t)repeats); repeats = 0; }
        const char *cause = r->text + r->id_len, *query = cause + r->cause_len, *ref = query + r->query_len;
        if (i) buf_putc(o, ',');
        buf_putc(o, '[');
        if (r->cause_len) buf_put(o, cause, r->cause_len);
        else buf_puts(o, "null");
        static const int kind_code[] = {[CK_QUERY] = 0, [CK_ADD] = 1, [CK_REVERT] = 2, [CK_UNDO] = 3, [CK_REDO] = 4, [CK_STATE] = 5};
        buf_putc(o, ',');
        buf_put_i64(o, kind_code[r->kind]);
        buf_putc(o, ',');
        if (r->kind == CK_REVERT || r->kind == CK_UNDO || r->kind == CK_REDO) buf_put_i64(o, r->to_seq);
        else commits_put_query_text(l, r, o);
        if (r->kind == CK_ADD) { buf_putc(o, ','); buf_put_i64(o, r->add_at); }
        if (r->kind == CK_UNDO || r->kind == CK_REDO) { buf_puts(o, ",\""); buf_put(o, ref, r->ref_len); buf_putc(o, '"'); }
        buf_putc(o, ']');
    }
    if (repeats) { buf_putc(o, ','); buf_put_i64(o, (int64_t)repeats); }
    buf_puts(o, "]}");
}

hs_rc hs_db_dump(hs_db *db) {
    if (!db) return HS_MISUSE;
    buf *o = &db->out;
    buf_clear(o);
    buf_puts(o, "{\"className\":\"HindsightEngineState\",\"version\":\"3\",\"seq\":");
    buf_put_i64(o, db->seq);
    buf_puts(o, ",\"oldest\":");
    buf_put_i64(o, db->oldest);
    buf_puts(o, ",\"origin\":");
    buf_put_json_string(o, db->commits.origin, strlen(db->commits.origin));
    buf_puts(o, ",\"counter\":");
    buf_put_i64(o, (int64_t)db->commits.counter);
    buf_puts(o, ",\"baseTime\":");
    put_number_or_null(o, db->commits.base_time);
    buf_puts(o, ",\"collections\":[");
    for (size_t i = 0; i < db->ncolls; i++) {
        const coll *c = db->colls[i];
        if (i) buf_putc(o, ',');
        buf_puts(o, "{\"name\":");
        buf_put_json_string(o, c->name, c->name_len);
        buf_puts(o, ",\"alive\":");
        buf_put_i64(o, c->alive);
        buf_puts(o, ",\"serial\":");
        buf_put_i64(o, c->serial);
        buf_puts(o, ",\"order\":");
        buf_put_i64(o, c->order);
        buf_puts(o, ",\"nextId\":");
        buf_put_i64(o, c->next_id);
        buf_puts(o, ",\"serials\":");
        put_values(o, c->serials, c->nserials);
        buf_puts(o, ",\"lives\":");
        put_values(o, c->lives, c->nlives);
        buf_puts(o, ",\"orders\":");
        put_values(o, c->orders, c->norders);
        buf_puts(o, ",\"rows\":[");
        uint32_t prev_id = UINT32_MAX, prev_from = 0;
        for (size_t r = 0; r < c->len; r++) {
            const row *w = &c->rows[r];
            if (r) buf_putc(o, ',');
            /* The short form; a from other than the previous one is a delta written first
               (one commit per added document makes each row's from one more). */
            if (w->cur && !w->older && w->id == prev_id + 1) {
                if (w->from != prev_from) { buf_put_i64(o, (int64_t)w->from - (int64_t)prev_from); buf_putc(o, ','); }
                prev_id = w->id;
                prev_from = w->from;
                val_print(o, w->cur->v);
                continue;
            }
            prev_id = w->id;
            if (!w->older) prev_from = w->from;
            buf_putc(o, '[');
            buf_put_i64(o, w->id);
            buf_putc(o, ',');
            buf_put_i64(o, w->from);
            buf_putc(o, ',');
            put_doc(o, w->cur);
            buf_puts(o, ",[");
            doc *newer = w->cur;
            for (version *v = w->older; v; v = v->older) {
                doc *d = version_doc(v, newer);   /* a delta is written whole */
                if (!d && v->delta_len) { o->oom = 1; break; }
                newer = d;
                if (v != w->older) buf_putc(o, ',');
                buf_putc(o, '[');
                buf_put_i64(o, v->from);
                buf_putc(o, ',');
                buf_put_i64(o, v->to);
                buf_putc(o, ',');
                put_doc(o, d);
                buf_putc(o, ']');
            }
            buf_puts(o, "]]");
        }
        buf_puts(o, "]}");
    }
    buf_puts(o, "],\"commits\":");
    put_commits(db, o);
    declared_dump(&db->declared, o);
    buf_putc(o, '}');
    return o->oom ? HS_NOMEM : HS_OK;
}

/* ---- load ---- */

typedef struct loader {
    const char *err;
    int version;
} loader;

static val get(val obj, const char *key) { return obj && obj[0] == T_OBJ ? val_obj_get(obj, key, strlen(key)) : NULL; }

/* An integer in [lo, hi], or sets the error. */
static int64_t get_int(loader *l, val v, int64_t lo, int64_t hi, const char *what) {
    if (!v || !val_is_int(v) || val_int(v) < lo || val_int(v) > hi) { if (!l->err) l->err = what; return lo; }
    return val_int(v);
}

static doc *get_doc(loader *l, val v) {
    if (!v || v[0] == T_NULL) return NULL;
    if (v[0] != T_OBJ) { if (!l->err) l->err = "a document must be an object"; return NULL; }
    doc *d = doc_new(v, val_size(v));
    if (!d && !l->err) l->err = "out of memory";
    return d;
}

static int get_values(loader *l, val list, seq_value **out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (!list || list[0] != T_ARR) { l->err = "a value history must be a list"; return 0; }
    uint32_t count = val_count(list);
    if (!count) return 1;
    if (!(*out = malloc(count * sizeof **out))) { l->err = "out of memory"; return 0; }
    val_iter it;
    val_iter_init(&it, list);
    for (val e; (e = val_iter_next(&it, 0));) {
        val_iter p;
        if (e[0] != T_ARR || val_count(e) != 2) { l->err = "a value history entry must be [seq, before]"; return 0; }
        val_iter_init(&p, e);
        (*out)[*n].seq = (uint32_t)get_int(l, val_iter_next(&p, 0), 0, UINT32_MAX, "bad seq");
        (*out)[*n].before = get_int(l, val_iter_next(&p, 0), INT64_MIN, INT64_MAX, "bad value");
        (*n)++;
    }
    return !l->err;
}

static coll *load_coll(loader *l, val c, uint32_t seq) {
    val name = get(c, "name");
    if (!name || val_kind(name) != K_STR) { l->err = "a collection needs a name"; return NULL; }
    size_t nl;
    const char *ns = val_str(name, &nl);
    coll *col = coll_new(ns, nl);
    if (!col) { l->err = "out of memory"; return NULL; }
    col->alive = (int)get_int(l, get(c, "alive"), 0, 1, "bad alive flag");
    col->serial = get_int(l, get(c, "serial"), INT64_MIN, INT64_MAX, "bad serial");
    col->order = get_int(l, get(c, "order"), INT64_MIN, INT64_MAX, "bad order");
    col->next_id = (uint32_t)get_int(l, get(c, "nextId"), 0, UINT32_MAX, "bad nextId");
    if (!l->err) get_values(l, get(c, "serials"), &col->serials, &col->nserials);
    if (!l->err) get_values(l, get(c, "lives"), &col->lives, &col->nlives);
    /* A "before" alive flag other than 0/1 would be revived by a revert and written into the
       next dump, which this loader then refuses: a store that cannot be reopened (fuzz). */
    for (size_t i = 0; !l->err && i < col->nlives; i++)
        if (col->lives[i].before != 0 && col->lives[i].before != 1) l->err = "bad alive flag in lives";
    if (!l->err) get_values(l, get(c, "orders"), &col->orders, &col->norders);
    val rows = get(c, "rows");
    if (!l->err && (!rows || rows[0] != T_ARR)) l->err = "rows must be a list";
    if (!l->err && !coll_reserve(col, val_count(rows))) l->err = "out of memory";
    val_iter it;
    if (!l->err) val_iter_init(&it, rows);
    uint32_t last_id = 0, last_from = 0;
    for (val r; !l->err && (r = val_iter_next(&it, 0));) {
        heap_hint(col->len);
        if (val_is_int(r) && l->version >= 3) {
            /* A step of the from of the short-form rows that follow. */
            int64_t from = (int64_t)last_from + val_int(r);
            if (from < 0 || from > seq) { l->err = "bad row from step"; break; }
            last_from = (uint32_t)from;
            continue;
        }
        if (r[0] == T_OBJ && l->version >= 2) {
            /* The short form: the next id, the previous row's from, no older versions. */
            row *w = &col->rows[col->len];
            memset(w, 0, sizeof *w);
            w->id = col->len ? last_id + 1 : 0;
            if (col->len && last_id == UINT32_MAX) { l->err = "row ids must increase"; break; }
            w->from = last_from;
            w->cur = get_doc(l, r);
            col->len++;
            col->live += w->cur != NULL;
            last_id = w->id;
            continue;
        }
        if (r[0] != T_ARR || val_count(r) != 4) { l->err = "a row must be [id, from, doc, versions]"; break; }
        val_iter f;
        val_iter_init(&f, r);
        row *w = &col->rows[col->len];
        memset(w, 0, sizeof *w);
        w->id = (uint32_t)get_int(l, val_iter_next(&f, 0), 0, UINT32_MAX, "bad row id");
        w->from = (uint32_t)get_int(l, val_iter_next(&f, 0), 0, seq, "bad row seq");
        if (col->len && w->id <= last_id && !l->err) l->err = "row ids must increase";
        last_id = w->id;
        w->cur = get_doc(l, val_iter_next(&f, 0));
        val versions = val_iter_next(&f, 0);
        if (versions && versions[0] == T_ARR && val_count(versions) == 0) last_from = w->from;
        col->len++;   /* counted now so coll_free releases what was loaded */
        col->live += w->cur != NULL;
        if (!l->err && versions[0] != T_ARR) l->err = "versions must be a list";
        val_iter vi;
        if (!l->err) val_iter_init(&vi, versions);
        version **tail = &w->older;
        uint32_t newer_from = w->from;
        for (val v; !l->err && (v = val_iter_next(&vi, 0));) {
            if (v[0] != T_ARR || val_count(v) != 3) { l->err = "a version must be [from, to, doc]"; break; }
            version *nv = calloc(1, sizeof *nv);
            if (!nv) { l->err = "out of memory"; break; }
            *tail = nv;
            tail = &nv->older;
            val_iter vf;
            val_iter_init(&vf, v);
            nv->from = (uint32_t)get_int(l, val_iter_next(&vf, 0), 0, seq, "bad version seq");
            nv->to = (uint32_t)get_int(l, val_iter_next(&vf, 0), 0, seq, "bad version seq");
            nv->d = get_doc(l, val_iter_next(&vf, 0));
            /* Versions must be contiguous, newest first: each ends where the newer begins. */
            if (!l->err && (nv->to != newer_from || nv->from >= nv->to)) l->err = "versions are not contiguous";
            newer_from = nv->from;
        }
    }
    if (!l->err && col->len && col->next_id <= last_id) l->err = "nextId must exceed every row id";
    return col;
}

/* The change log of a version 2 dump: every version boundary after `oldest`, in seq order
   (within a seq: collection order, then row id). */
typedef struct change_key { uint32_t seq, ci, row_id; } change_key;
static int change_key_cmp(const void *a, const void *b) {
    const change_key *x = a, *y = b;
    if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
    if (x->ci != y->ci) return x->ci < y->ci ? -1 : 1;
    return x->row_id < y->row_id ? -1 : x->row_id > y->row_id;
}

static void rebuild_changes(loader *l, hs_db *f, uint32_t oldest) {
    size_t n = 0;
    for (size_t i = 0; i < f->ncolls; i++)
        for (size_t r = 0; r < f->colls[i]->len; r++) {
            const row *w = &f->colls[i]->rows[r];
            n += w->from > oldest;
            for (const version *v = w->older; v; v = v->older) n += v->from > oldest;
        }
    if (!n) return;
    change_key *keys = malloc(n * sizeof *keys);
    if (!keys || !hist_reserve(&f->hist, 0, n)) { free(keys); l->err = "out of memory"; return; }
    size_t k = 0;
    for (size_t i = 0; i < f->ncolls; i++)
        for (size_t r = 0; r < f->colls[i]->len; r++) {
            const row *w = &f->colls[i]->rows[r];
            if (w->from > oldest) keys[k++] = (change_key){w->from, (uint32_t)i, w->id};
            for (const version *v = w->older; v; v = v->older)
                if (v->from > oldest) keys[k++] = (change_key){v->from, (uint32_t)i, w->id};
        }
    hs_qsort(keys, n, sizeof *keys, change_key_cmp);
    for (k = 0; k < n; k++) f->hist.changes[k] = (change){f->colls[keys[k].ci], keys[k].row_id, keys[k].seq};
    f->hist.nchanges = n;
    free(keys);
}

/* One commit record from its parts (COMMIT of the table, or a version 3 column entry); time_null:
   the time was null (version 2: the previous commit's). Returns 0 with l->err set. */
static int load_record(loader *l, hs_db *f, uint32_t seq, const char *id, size_t idl, double time, int time_null,
                       val vcause, val vkind, val vpay, val vextra, double *last, buf *tmp) {
    commit_rec *r = &f->commits.recs[f->commits.n];
    r->seq = f->commits.n ? f->commits.recs[f->commits.n - 1].seq + 1 : 0;
    int64_t kind = get_int(l, vkind, 0, 5, "bad commit kind");
    static const int kinds[] = {CK_QUERY, CK_ADD, CK_REVERT, CK_UNDO, CK_REDO, CK_STATE};
    if (l->err) return 0;
    r->kind = (uint8_t)kinds[kind];
    if (!id || !idl || idl > 128) { l->err = "a commit id must be a string"; return 0; }
    r->time = time_null ? (isnan(*last) ? 0 : *last) : time;
    r->order_time = isnan(*last) || r->time > *last ? r->time : *last;
    *last = r->order_time;
    buf_clear(tmp);
    size_t stored = commits_store_id(&f->commits, tmp, id, idl, &r->id_prefix);
    if (!stored) { l->err = "out of memory"; return 0; }
    r->id_len = (uint8_t)stored;
    if (!vcause) { l->err = "a commit needs a cause"; return 0; }
    if (vcause[0] != T_NULL) { size_t at = tmp->len; val_print(tmp, vcause); r->cause_len = (uint32_t)(tmp->len - at); }
    if (!vpay) { l->err = "a commit needs its query"; return 0; }
    if (r->kind == CK_REVERT || r->kind == CK_UNDO || r->kind == CK_REDO) {
        r->to_seq = (uint32_t)get_int(l, vpay, 0, seq, "bad revert seq");
        if (r->kind != CK_REVERT) {
            size_t rl;
            const char *ref = vextra && val_kind(vextra) == K_STR ? val_str(vextra, &rl) : NULL;
            if (!ref || !rl || rl > 128) { l->err = "an undo/redo needs the id it takes back"; return 0; }
            buf_put(tmp, ref, rl);
            r->ref_len = (uint8_t)rl;
        }
    } else {
        if (vpay[0] != T_OBJ) { l->err = "a commit query must be an object"; return 0; }
        size_t at = tmp->len;
        if (r->kind == CK_ADD) (void)get_int(l, vextra, 0, UINT32_MAX, "bad add offset");
        size_t add_at = 0;
        /* Printed again, the 0 may move: commit_print_query notes where it lands. */
        if (!commit_print_query(tmp, vpay, r->kind == CK_ADD, &add_at) && !l->err) l->err = "an add commit lost its documents' place";
        if (l->err) return 0;
        r->add_at = (uint32_t)add_at;
        if (r->kind == CK_QUERY && !commits_split_query(&f->commits, tmp, at, &r->tmpl)) { l->err = "out of memory"; return 0; }
        r->query_len = (uint32_t)(tmp->len - at);
    }
    if (tmp->oom || !(r->text = malloc(tmp->len ? tmp->len : 1))) { l->err = "out of memory"; return 0; }
    memcpy(r->text, tmp->data, tmp->len);
    f->commits.n++;
    return 1;
}

/* Room for n records; n must be 0 or one per kept commit. */
static int alloc_records(loader *l, hs_db *f, uint32_t n, uint32_t seq, uint32_t oldest) {
    if (n && n != seq - oldest) { l->err = "commits must hold one record per kept commit"; return 0; }
    if (n && !(f->commits.recs = calloc(n, sizeof *f->commits.recs))) { l->err = "out of memory"; return 0; }
    f->commits.cap = n;
    return 1;
}

/* The commit records of a version 1 or 2 dump: [COMMIT, ..] with COMMIT = [seq, id, time,
   cause, kind, payload(, extra)]. */
static void load_commits_v2(loader *l, hs_db *f, val list, uint32_t seq, uint32_t oldest) {
    if (list[0] != T_ARR) { l->err = "commits must be a list"; return; }
    if (!alloc_records(l, f, val_count(list), seq, oldest)) return;
    buf tmp;
    buf_init(&tmp);
    val_iter it;
    val_iter_init(&it, list);
    double last = NAN;
    for (val e; !l->err && (e = val_iter_next(&it, 0));) {
        uint32_t cnt = e[0] == T_ARR ? val_count(e) : 0;
        if (cnt < 6 || cnt > 7) { l->err = "a commit must be [seq, id, time, cause, kind, payload(, extra)]"; break; }
        val_iter f2;
        val_iter_init(&f2, e);
        val vseq = val_iter_next(&f2, 0), vid = val_iter_next(&f2, 0), vtime = val_iter_next(&f2, 0);
        val vcause = val_iter_next(&f2, 0), vkind = val_iter_next(&f2, 0), vpay = val_iter_next(&f2, 0);
        val vextra = cnt == 7 ? val_iter_next(&f2, 0) : NULL;
        uint32_t s = (uint32_t)get_int(l, vseq, 0, seq, "bad commit seq");
        if (!l->err && s != oldest + 1 + f->commits.n) { l->err = "commit seqs must follow each other"; break; }
        size_t idl = 0;
        const char *id = vid && val_kind(vid) == K_STR ? val_str(vid, &idl) : NULL;
        int time_null = vtime && vtime[0] == T_NULL;
        if (!time_null && !(vtime && val_kind(vtime) == K_NUM)) { l->err = "a commit time must be a number"; break; }
        if (!load_record(l, f, seq, id, idl, time_null ? 0 : val_num(vtime), time_null, vcause, vkind, vpay, vextra, &last, &tmp)) break;
        f->commits.recs[f->commits.n - 1].seq = s;
    }
    buf_free(&tmp);
    f->commits.last_time = last;
}

/* The commit records of a version 3 dump: {"ids", "times", "records"} (COMMITS of the table). */
static void load_commits_v3(loader *l, hs_db *f, val obj, uint32_t seq, uint32_t oldest) {
    val ids = get(obj, "ids"), times = get(obj, "times"), recs = get(obj, "records");
    if (!ids || ids[0] != T_ARR || !times || times[0] != T_ARR || !recs || recs[0] != T_ARR) { l->err = "commits must be {ids, times, records} of lists"; return; }
    /* The count: the ids column's commits. */
    uint64_t n = 0;
    val_iter it;
    val_iter_init(&it, ids);
    for (val e; (e = val_iter_next(&it, 0));) {
        if (e[0] == T_ARR && val_count(e) == 3) {
            val_iter p;
            val_iter_init(&p, e);
            val_iter_next(&p, 0);
            val_iter_next(&p, 0);
            n += (uint64_t)get_int(l, val_iter_next(&p, 0), 2, UINT32_MAX, "bad id run");
        } else n++;
        if (l->err || n > UINT32_MAX) { l->err = "bad id run"; return; }
    }
    if (n != val_count(times)) { l->err = "the commit columns do not have one entry per commit"; return; }
    if (!alloc_records(l, f, (uint32_t)n, seq, oldest)) return;
    buf tmp;
    buf_init(&tmp);
    val_iter ii, ti, ri;
    val_iter_init(&ii, ids);
    val_iter_init(&ti, times);
    val_iter_init(&ri, recs);
    /* The current id run and record entry with what is left of them. */
    const char *prefix = NULL;
    size_t prefix_len = 0;
    int64_t next_num = 0, run_left = 0, repeats_left = 0;
    val entry = NULL;
    double last = NAN, prev_time = NAN;
    char idbuf[160];
    for (uint32_t k = 0; k < n && !l->err; k++) {
        const char *id = NULL;
        size_t idl = 0;
        if (!run_left) {
            val e = val_iter_next(&ii, 0);
            if (e && val_kind(e) == K_STR) { id = val_str(e, &idl); }
            else if (e && e[0] == T_ARR) {
                val_iter p;
                val_iter_init(&p, e);
                val vp = val_iter_next(&p, 0);
                prefix = vp && val_kind(vp) == K_STR ? val_str(vp, &prefix_len) : NULL;
                next_num = get_int(l, val_iter_next(&p, 0), 0, 999999999999999LL, "bad id run");
                run_left = get_int(l, val_iter_next(&p, 0), 2, UINT32_MAX, "bad id run");
                if (l->err || !prefix || !prefix_len || prefix_len > 100) { if (!l->err) l->err = "bad id run"; break; }
            } else { l->err = "an id must be a string or [prefix, first, count]"; break; }
        }
        if (run_left) {
            idl = (size_t)hs_snprintf(idbuf, sizeof idbuf, "%.*s.%lld", (int)prefix_len, prefix, (long long)next_num);
            id = idbuf;
            next_num++;
            run_left--;
        }
        val t = val_iter_next(&ti, 0);
        double time;
        if (t && t[0] == T_ARR && val_count(t) == 1) {
            val_iter p;
            val_iter_init(&p, t);
            val tv = val_iter_next(&p, 0);
            if (!tv || val_kind(tv) != K_NUM) { l->err = "a commit time must be a number"; break; }
            time = val_num(tv);
        } else if (t && val_is_int(t) && k && integral_time(prev_time)) {
            int64_t d = val_int(t);
            if (d > 20000000000000000LL || d < -20000000000000000LL) { l->err = "bad time delta"; break; }
            time = (double)((int64_t)prev_time + d);
            if (!integral_time(time)) { l->err = "bad time delta"; break; }
        } else { l->err = "a time must be [ms] or an integer step from the previous integral time"; break; }
        prev_time = time;
        if (repeats_left) repeats_left--;
        else {
            val e = val_iter_next(&ri, 0);
            if (e && val_is_int(e) && entry) { repeats_left = get_int(l, e, 1, UINT32_MAX, "bad record repeat") - 1; }
            else if (e && e[0] == T_ARR && (val_count(e) == 3 || val_count(e) == 4)) entry = e;
            else { l->err = "a record must be [cause, kind, payload(, extra)] or a repeat count"; break; }
        }
        val_iter p;
        val_iter_init(&p, entry);
        val vcause = val_iter_next(&p, 0), vkind = val_iter_next(&p, 0), vpay = val_iter_next(&p, 0), vextra = val_iter_next(&p, 0);
        if (!load_record(l, f, seq, id, idl, time, 0, vcause, vkind, vpay, vextra, &last, &tmp)) break;
        f->commits.recs[f->commits.n - 1].seq = oldest + 1 + k;
    }
    if (!l->err && (run_left || repeats_left || val_iter_next(&ii, 0) || val_iter_next(&ti, 0) || val_iter_next(&ri, 0)))
        l->err = "the commit columns do not have one entry per commit";
    buf_free(&tmp);
    f->commits.last_time = last;
}

static void load_commits(loader *l, hs_db *f, val commits, uint32_t seq, uint32_t oldest) {
    if (!commits) return;
    if (l->version >= 3) load_commits_v3(l, f, commits, seq, oldest);
    else load_commits_v2(l, f, commits, seq, oldest);
}

/* Deep enough for any query envelope the engine accepts (db.c ENVELOPE_MAX_DEPTH). */
#define DUMP_MAX_DEPTH 1100

/* The optional "indexes": [[collection, field], ..] into out. */
static void load_declared(loader *l, val list, declared_list *out) {
    if (!list) return;
    if (list[0] != T_ARR) { l->err = "snapshot: indexes must be a list"; return; }
    val_iter it;
    val_iter_init(&it, list);
    for (val p; !l->err && (p = val_iter_next(&it, 0));) {
        val_iter f;
        val t = NULL, fd = NULL;
        if (p[0] == T_ARR && val_count(p) == 2) { val_iter_init(&f, p); t = val_iter_next(&f, 0); fd = val_iter_next(&f, 0); }
        size_t tl, fl;
        const char *ts = t && val_is_str(t) ? val_str(t, &tl) : NULL, *fs = fd && val_is_str(fd) ? val_str(fd, &fl) : NULL;
        if (!ts || !fs || !tl || !fl || has_nul(ts, tl) || has_nul(fs, fl)) l->err = "snapshot: an index must be [collection, field]";
        else if (!declared_add(out, ts, tl, fs, fl)) l->err = "out of memory";
    }
}

static hs_rc load(hs_db *db, const char *text, size_t len) {
    buf enc;
    buf_init(&enc);
    /* The encoding is about as long as the text: room for it at once, instead of doubling
       from 256 bytes (each step copied the documents so far into fresh memory, which cost
       most of a 100,000-document load). Without the room (a budget too tight for it), it
       grows as usual, and that failure is not the load's (optional, memory.h). */
    int token = hs_mem_optional_begin();
    if (!buf_reserve(&enc, len)) { buf_free(&enc); buf_init(&enc); }
    hs_mem_optional_end(token);
    size_t pos = 0;
    const char *e = jscan_value_depth(text, len, &pos, &enc, DUMP_MAX_DEPTH);
    if (e) { buf_free(&enc); char m[200]; hs_snprintf(m, sizeof m, "snapshot: %s", e); return e[0] == 'o' && strstr(e, "memory") ? HS_NOMEM : db_fail(db, HS_CORRUPT, m); }
    val root = (val)enc.data;
    loader l = {NULL, 0};
    val ver = get(root, "version");
    size_t vl;
    const char *vs = ver && val_kind(ver) == K_STR ? val_str(ver, &vl) : NULL;
    if (vs && vl == 1 && vs[0] >= '1' && vs[0] <= '3') l.version = vs[0] - '0';
    else l.err = "snapshot: unknown version";
    uint32_t seq = (uint32_t)get_int(&l, get(root, "seq"), 0, UINT32_MAX - 1, "snapshot: bad seq");
    uint32_t oldest = (uint32_t)get_int(&l, get(root, "oldest"), 0, seq, "snapshot: bad oldest");
    val cols = get(root, "collections"), changes = get(root, "changes");
    if (!l.err && (!cols || cols[0] != T_ARR || (l.version == 1 && (!changes || changes[0] != T_ARR)))) l.err = "snapshot: collections and changes must be lists";
    hs_db *fresh = l.err ? NULL : hs_db_open();
    if (!l.err && !fresh) l.err = "out of memory";
    val_iter it;
    if (!l.err) val_iter_init(&it, cols);
    for (val c; !l.err && (c = val_iter_next(&it, 0));) {
        coll *col = load_coll(&l, c, seq);
        if (col && !db_append_coll(fresh, col)) { coll_free(col); if (!l.err) l.err = "out of memory"; }
        else if (col && l.err) { /* freed with fresh */ }
    }
    if (!l.err && l.version >= 2) rebuild_changes(&l, fresh, oldest);
    if (!l.err && l.version == 1 && !hist_reserve(&fresh->hist, 0, val_count(changes))) l.err = "out of memory";
    if (!l.err && l.version == 1) val_iter_init(&it, changes);
    uint32_t last_seq = 0;
    for (val ch; !l.err && l.version == 1 && (ch = val_iter_next(&it, 0));) {
        if (ch[0] != T_ARR || val_count(ch) != 3) { l.err = "snapshot: a change must be [collection, row id, seq]"; break; }
        val_iter f;
        val_iter_init(&f, ch);
        int64_t ci = get_int(&l, val_iter_next(&f, 0), 0, (int64_t)fresh->ncolls - 1, "snapshot: bad change collection");
        change *dst = &fresh->hist.changes[fresh->hist.nchanges];
        dst->row_id = (uint32_t)get_int(&l, val_iter_next(&f, 0), 0, UINT32_MAX, "snapshot: bad change row");
        dst->seq = (uint32_t)get_int(&l, val_iter_next(&f, 0), 0, seq, "snapshot: bad change seq");
        if (l.err) break;
        if (dst->seq < last_seq) { l.err = "snapshot: changes must be in seq order"; break; }
        last_seq = dst->seq;
        dst->c = fresh->colls[ci];
        fresh->hist.nchanges++;
    }
    if (!l.err) load_commits(&l, fresh, get(root, "commits"), seq, oldest);
    val origin = get(root, "origin"), counter = get(root, "counter"), base_time = get(root, "baseTime");
    size_t ol = 0;
    const char *os = origin && val_kind(origin) == K_STR ? val_str(origin, &ol) : NULL;
    if (!l.err && origin && (!os || ol >= sizeof fresh->commits.origin)) l.err = "snapshot: bad origin";
    if (!l.err && os) { memcpy(fresh->commits.origin, os, ol); fresh->commits.origin[ol] = 0; }
    if (!l.err && counter) fresh->commits.counter = (uint64_t)get_int(&l, counter, 0, INT64_MAX, "snapshot: bad counter");
    if (!l.err && base_time && val_kind(base_time) == K_NUM) fresh->commits.base_time = val_num(base_time);
    declared_list declared = {NULL, 0};
    if (!l.err) load_declared(&l, get(root, "indexes"), &declared);
    buf_free(&enc);
    if (l.err) {
        declared_free(&declared);
        hs_db_close(fresh);
        char m[200];
        hs_snprintf(m, sizeof m, "%s%s", strncmp(l.err, "snapshot:", 9) == 0 ? "" : "snapshot: ", l.err);
        return strcmp(l.err, "out of memory") == 0 ? HS_NOMEM : db_fail(db, HS_CORRUPT, m);
    }
    /* The commit table comes whole from the dump. */
    commit_log kept = fresh->commits;
    db_adopt(db, fresh);
    memcpy(db->commits.origin, kept.origin, sizeof kept.origin);
    db->commits.counter = kept.counter;
    db->commits.base_time = kept.base_time;
    db->commits.last_time = db->commits.n ? kept.last_time : kept.base_time;
    db->seq = seq;
    db->oldest = oldest;
    db->hist.seq = seq + 1;
    declared_free(&db->declared);
    db->declared = declared;
    /* Past versions come whole from the dump; kept as deltas, as commits keep them. */
    for (size_t i = 0; i < db->ncolls; i++)
        for (size_t r = 0; r < db->colls[i]->len; r++) row_compact(&db->colls[i]->rows[r], &db->hist);
    db_recount(db);
    buf_clear(&db->out);
    buf_puts(&db->out, "{}");
    return HS_OK;
}

hs_rc hs_db_load(hs_db *db, const char *text, size_t len) {
    if (!db || !text) return HS_MISUSE;
    return load(db, text, len);
}
