/*
 * snapshot.c: the whole engine state as one JSON text, and back: what persistent stores
 * keep so that opening a database does not replay its history.
 *
 * Layout of hs_db_dump's text, version "2" (hs_db_load also reads version "1"; the test
 * tests/c/test_snapshot.c checks a dump against this table):
 *
 *   member        | value
 *   --------------+-------------------------------------------------------------------------
 *   className     | "HindsightEngineState"
 *   version       | "2"
 *   seq           | the latest commit
 *   oldest        | the retention horizon (oldest readable seq)
 *   origin        | the origin of new commit ids (string)
 *   counter       | the last counter given to a new id of that origin
 *   baseTime      | ms time of the commit at `oldest`, or null when unknown
 *   collections   | [COLL, ..] in the engine's internal order (not toDict's)
 *   commits       | [COMMIT, ..] one per kept commit, seqs oldest+1 .. seq in order
 *   indexes       | [[collection, field], ..] declared indexes (plan.h); absent when none
 *
 *   COLL    = {"name","alive":0|1,"serial","order","nextId","serials":[[seq,before],..],
 *              "lives":[..],"orders":[..],"rows":[ROW,..]}
 *   ROW     = DOC: a row with id = previous row's id + 1 (0 for the first), from = the from
 *                  of the last row without older versions (0 before any), no older
 *                  versions, alive
 *           | [id, from, DOC|null, [[from, to, DOC|null], ..]]: any row (versions newest first)
 *   COMMIT  = [seq, id, time, cause|null, kind, payload(, extra)] with kind
 *              0 query:  payload = the query JSON as executed
 *              1 add:    payload = the query JSON with its addData array replaced by 0,
 *                        extra = that 0's byte offset in the query text (the documents are
 *                        the row versions the commit made)
 *              2 revert: payload = toSeq
 *              3 undo / 4 redo: payload = toSeq, extra = the id of the commit taken back
 *              5 state:  payload = the revert query with its "state" (an import)
 *
 * Version "1" (written before the commit table existed) had no origin/counter/baseTime/
 * commits, rows always in the array form, and "changes": [[collection index, row id, seq],..];
 * version 2 rebuilds the change log from the row versions (every version boundary after
 * `oldest` is one change). A version 1 text may carry "commits" in the form above (JS
 * converts an old snapshot's log so).
 * Invariants: loading a dump gives a database whose every readable seq reads the same as the
 * dumped one, with the same commit records; a bad text changes nothing. Index contents are
 * not dumped (rebuilt when queries ask for them); only which indexes were declared.
 */
#include "hsint.h"
#include "fmt.h"
#include "hsort.h"
#include "plan.h"
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

hs_rc hs_db_dump(hs_db *db) {
    if (!db) return HS_MISUSE;
    buf *o = &db->out;
    buf_clear(o);
    buf_puts(o, "{\"className\":\"HindsightEngineState\",\"version\":\"2\",\"seq\":");
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
            int bare = w->cur && !w->older && w->id == prev_id + 1 && w->from == prev_from;
            prev_id = w->id;
            if (!w->older) prev_from = w->from;
            if (bare) { val_print(o, w->cur->v); continue; }
            buf_putc(o, '[');
            buf_put_i64(o, w->id);
            buf_putc(o, ',');
            buf_put_i64(o, w->from);
            buf_putc(o, ',');
            put_doc(o, w->cur);
            buf_puts(o, ",[");
            for (const version *v = w->older; v; v = v->older) {
                if (v != w->older) buf_putc(o, ',');
                buf_putc(o, '[');
                buf_put_i64(o, v->from);
                buf_putc(o, ',');
                buf_put_i64(o, v->to);
                buf_putc(o, ',');
                put_doc(o, v->d);
                buf_putc(o, ']');
            }
            buf_puts(o, "]]");
        }
        buf_puts(o, "]}");
    }
    buf_puts(o, "],\"commits\":[");
    for (size_t k = 0; k < db->commits.n; k++) {
        const commit_rec *r = &db->commits.recs[k];
        const char *cause = r->text + r->id_len, *query = cause + r->cause_len, *ref = query + r->query_len;
        if (k) buf_putc(o, ',');
        buf_putc(o, '[');
        buf_put_i64(o, r->seq);
        buf_puts(o, ",\"");
        buf_put(o, r->text, r->id_len);
        buf_puts(o, "\",");
        put_number_or_null(o, r->time);
        buf_putc(o, ',');
        if (r->cause_len) buf_put(o, cause, r->cause_len);
        else buf_puts(o, "null");
        static const int kind_code[] = {[CK_QUERY] = 0, [CK_ADD] = 1, [CK_REVERT] = 2, [CK_UNDO] = 3, [CK_REDO] = 4, [CK_STATE] = 5};
        buf_putc(o, ',');
        buf_put_i64(o, kind_code[r->kind]);
        buf_putc(o, ',');
        if (r->kind == CK_REVERT || r->kind == CK_UNDO || r->kind == CK_REDO) buf_put_i64(o, r->to_seq);
        else buf_put(o, query, r->query_len);
        if (r->kind == CK_ADD) { buf_putc(o, ','); buf_put_i64(o, r->add_at); }
        if (r->kind == CK_UNDO || r->kind == CK_REDO) { buf_puts(o, ",\""); buf_put(o, ref, r->ref_len); buf_putc(o, '"'); }
        buf_putc(o, ']');
    }
    buf_putc(o, ']');
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
        if (r[0] == T_OBJ && l->version >= 2) {
            /* The short form: the next id, the previous row's from, no older versions. */
            row *w = &col->rows[col->len];
            memset(w, 0, sizeof *w);
            w->id = col->len ? last_id + 1 : 0;
            if (col->len && last_id == UINT32_MAX) { l->err = "row ids must increase"; break; }
            w->from = col->len ? last_from : 0;
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

/* The commit records of a dump (see the table above). */
static void load_commits(loader *l, hs_db *f, val list, uint32_t seq, uint32_t oldest) {
    if (!list) return;
    if (list[0] != T_ARR) { l->err = "commits must be a list"; return; }
    uint32_t n = val_count(list);
    if (n && n != seq - oldest) { l->err = "commits must hold one record per kept commit"; return; }
    if (n && !(f->commits.recs = calloc(n, sizeof *f->commits.recs))) { l->err = "out of memory"; return; }
    f->commits.cap = n;
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
        commit_rec *r = &f->commits.recs[f->commits.n];
        r->seq = (uint32_t)get_int(l, vseq, 0, seq, "bad commit seq");
        if (!l->err && r->seq != oldest + 1 + f->commits.n) { l->err = "commit seqs must follow each other"; break; }
        int64_t kind = get_int(l, vkind, 0, 5, "bad commit kind");
        static const int kinds[] = {CK_QUERY, CK_ADD, CK_REVERT, CK_UNDO, CK_REDO, CK_STATE};
        if (l->err) break;
        r->kind = (uint8_t)kinds[kind];
        size_t idl;
        const char *id = vid && val_kind(vid) == K_STR ? val_str(vid, &idl) : NULL;
        if (!id || !idl || idl > 128) { l->err = "a commit id must be a string"; break; }
        if (vtime && val_kind(vtime) == K_NUM) r->time = val_num(vtime);
        else if (vtime && vtime[0] == T_NULL) r->time = isnan(last) ? 0 : last;
        else { l->err = "a commit time must be a number"; break; }
        r->order_time = isnan(last) || r->time > last ? r->time : last;
        last = r->order_time;
        buf_clear(&tmp);
        buf_put(&tmp, id, idl);
        r->id_len = (uint32_t)idl;
        if (vcause[0] != T_NULL) { size_t at = tmp.len; val_print(&tmp, vcause); r->cause_len = (uint32_t)(tmp.len - at); }
        if (r->kind == CK_REVERT || r->kind == CK_UNDO || r->kind == CK_REDO) {
            r->to_seq = (uint32_t)get_int(l, vpay, 0, seq, "bad revert seq");
            if (r->kind != CK_REVERT) {
                size_t rl;
                const char *ref = vextra && val_kind(vextra) == K_STR ? val_str(vextra, &rl) : NULL;
                if (!ref || !rl || rl > 128) { l->err = "an undo/redo needs the id it takes back"; break; }
                buf_put(&tmp, ref, rl);
                r->ref_len = (uint32_t)rl;
            }
        } else {
            if (vpay[0] != T_OBJ) { l->err = "a commit query must be an object"; break; }
            size_t at = tmp.len;
            if (r->kind == CK_ADD) (void)get_int(l, vextra, 0, UINT32_MAX, "bad add offset");
            size_t add_at = 0;
            /* Printed again, the 0 may move: commit_print_query notes where it lands. */
            if (!commit_print_query(&tmp, vpay, r->kind == CK_ADD, &add_at) && !l->err) l->err = "an add commit lost its documents' place";
            if (l->err) break;
            r->add_at = (uint32_t)add_at;
            r->query_len = (uint32_t)(tmp.len - at);
        }
        if (tmp.oom || !(r->text = malloc(tmp.len ? tmp.len : 1))) { l->err = "out of memory"; break; }
        memcpy(r->text, tmp.data, tmp.len);
        f->commits.n++;
    }
    buf_free(&tmp);
    f->commits.last_time = last;
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
    size_t pos = 0;
    const char *e = jscan_value_depth(text, len, &pos, &enc, DUMP_MAX_DEPTH);
    if (e) { buf_free(&enc); char m[200]; hs_snprintf(m, sizeof m, "snapshot: %s", e); return e[0] == 'o' && strstr(e, "memory") ? HS_NOMEM : db_fail(db, HS_CORRUPT, m); }
    val root = (val)enc.data;
    loader l = {NULL, 0};
    val ver = get(root, "version");
    size_t vl;
    const char *vs = ver && val_kind(ver) == K_STR ? val_str(ver, &vl) : NULL;
    if (vs && vl == 1 && (vs[0] == '1' || vs[0] == '2')) l.version = vs[0] - '0';
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
    db_recount(db);
    buf_clear(&db->out);
    buf_puts(&db->out, "{}");
    return HS_OK;
}

hs_rc hs_db_load(hs_db *db, const char *text, size_t len) {
    if (!db || !text) return HS_MISUSE;
    return load(db, text, len);
}
