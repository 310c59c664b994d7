/*
 * snapshot.c: the whole engine state as one JSON text, and back: what persistent stores
 * keep so that opening a database does not replay its history.
 *
 * The text (hs_db_dump; hs_db_load reads exactly this):
 *   {"className":"HindsightEngineState","version":"1","seq":S,"oldest":H,
 *    "collections":[{"name":..,"alive":0|1,"serial":n,"order":k,"nextId":i,
 *                    "serials":[[seq,before],..],"lives":[..],"orders":[..],
 *                    "rows":[[id,from,doc|null,[[from,to,doc|null],..]],..]},..],
 *    "changes":[[collection index,row id,seq],..]}
 * Collections are listed in the engine's internal order (not toDict's), row versions newest
 * first as in coll.h. Invariants: loading a dump gives a database whose every readable seq
 * reads the same as the dumped one; a bad text changes nothing. Indexes are not dumped:
 * they are rebuilt when queries ask for them.
 */
#include "hsint.h"
#include "fmt.h"
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

static void put_doc(buf *o, const doc *d) {
    if (d) val_print(o, d->v);
    else buf_puts(o, "null");
}

hs_rc hs_db_dump(hs_db *db) {
    if (!db) return HS_MISUSE;
    buf *o = &db->out;
    buf_clear(o);
    buf_puts(o, "{\"className\":\"HindsightEngineState\",\"version\":\"1\",\"seq\":");
    buf_put_i64(o, db->seq);
    buf_puts(o, ",\"oldest\":");
    buf_put_i64(o, db->oldest);
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
        for (size_t r = 0; r < c->len; r++) {
            const row *w = &c->rows[r];
            if (r) buf_putc(o, ',');
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
    buf_puts(o, "],\"changes\":[");
    for (size_t k = 0; k < db->hist.nchanges; k++) {
        const change *ch = &db->hist.changes[k];
        size_t ci = 0;
        while (ci < db->ncolls && db->colls[ci] != ch->c) ci++;
        if (k) buf_putc(o, ',');
        buf_putc(o, '[');
        buf_put_i64(o, (int64_t)ci);
        buf_putc(o, ',');
        buf_put_i64(o, ch->row_id);
        buf_putc(o, ',');
        buf_put_i64(o, ch->seq);
        buf_putc(o, ']');
    }
    buf_puts(o, "]}");
    return o->oom ? HS_NOMEM : HS_OK;
}

/* ---- load ---- */

typedef struct loader {
    const char *err;
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
    if (!l->err) get_values(l, get(c, "orders"), &col->orders, &col->norders);
    val rows = get(c, "rows");
    if (!l->err && (!rows || rows[0] != T_ARR)) l->err = "rows must be a list";
    if (!l->err && !coll_reserve(col, val_count(rows))) l->err = "out of memory";
    val_iter it;
    if (!l->err) val_iter_init(&it, rows);
    uint32_t last_id = 0;
    for (val r; !l->err && (r = val_iter_next(&it, 0));) {
        heap_hint(col->len);
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

static hs_rc load(hs_db *db, const char *text, size_t len) {
    buf enc;
    buf_init(&enc);
    size_t pos = 0;
    const char *e = jscan_value_depth(text, len, &pos, &enc, VAL_MAX_DEPTH + 8);
    if (e) { buf_free(&enc); char m[200]; hs_snprintf(m, sizeof m, "snapshot: %s", e); return db_error(db, m); }
    val root = (val)enc.data;
    loader l = {NULL};
    uint32_t seq = (uint32_t)get_int(&l, get(root, "seq"), 0, UINT32_MAX - 1, "snapshot: bad seq");
    uint32_t oldest = (uint32_t)get_int(&l, get(root, "oldest"), 0, seq, "snapshot: bad oldest");
    val cols = get(root, "collections"), changes = get(root, "changes");
    if (!l.err && (!cols || cols[0] != T_ARR || !changes || changes[0] != T_ARR)) l.err = "snapshot: collections and changes must be lists";
    hs_db *fresh = l.err ? NULL : hs_db_open();
    if (!l.err && !fresh) l.err = "out of memory";
    val_iter it;
    if (!l.err) val_iter_init(&it, cols);
    for (val c; !l.err && (c = val_iter_next(&it, 0));) {
        coll *col = load_coll(&l, c, seq);
        if (col && !db_append_coll(fresh, col)) { coll_free(col); if (!l.err) l.err = "out of memory"; }
        else if (col && l.err) { /* freed with fresh */ }
    }
    if (!l.err && !hist_reserve(&fresh->hist, 0, val_count(changes))) l.err = "out of memory";
    if (!l.err) val_iter_init(&it, changes);
    uint32_t last_seq = 0;
    for (val ch; !l.err && (ch = val_iter_next(&it, 0));) {
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
    buf_free(&enc);
    if (l.err) {
        hs_db_close(fresh);
        char m[200];
        hs_snprintf(m, sizeof m, "%s%s", strncmp(l.err, "snapshot:", 9) == 0 ? "" : "snapshot: ", l.err);
        return db_error(db, m);
    }
    db_adopt(db, fresh);
    db->seq = seq;
    db->oldest = oldest;
    db->hist.seq = seq + 1;
    buf_clear(&db->out);
    buf_puts(&db->out, "{}");
    return HS_OK;
}

hs_rc hs_db_load(hs_db *db, const char *text, size_t len) {
    if (!db || !text) return HS_MISUSE;
    return load(db, text, len);
}
