/*
 * plan.c: the query planner, declared indexes and explain (see plan.h for what must stay
 * true).
 *
 * The planner tries, in order: an equality index (index.h), then a range index
 * (range_index.h), then the column caches (column.h), then a scan. A search sorted by the field of its range (or a count of a
 * range) with a bounded page is answered by walking the range index (plan_top). Both index kinds are built lazily after a few uses, or at the
 * first use when declared (an equality index also at its first use during a replay). An
 * equality counts as a use only when the column caches could not answer it cheaply. As-of
 * reads use no index (indexes hold the present only): the column caches with their past
 * values, or a scan.
 */
#include "plan.h"
#include "index.h"
#include "range_index.h"
#include "column.h"
#include "memory.h"
#include "sort.h"
#include <stdlib.h>

void declared_free(declared_list *l) {
    for (size_t i = 0; i < l->n; i++) { free(l->items[i].target); free(l->items[i].field); }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static char *dup_n(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) { memcpy(d, s, n); d[n] = 0; }
    return d;
}

static int declared_has(const declared_list *l, const char *target, size_t tlen, const char *field, size_t flen) {
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->items[i].target) == tlen && memcmp(l->items[i].target, target, tlen) == 0 &&
            strlen(l->items[i].field) == flen && memcmp(l->items[i].field, field, flen) == 0) return 1;
    return 0;
}

int declared_add(declared_list *l, const char *target, size_t tlen, const char *field, size_t flen) {
    if (declared_has(l, target, tlen, field, flen)) return 1;
    declared_index *grown = realloc(l->items, (l->n + 1) * sizeof *grown);
    if (!grown) return 0;
    l->items = grown;
    char *t = dup_n(target, tlen), *f = dup_n(field, flen);
    if (!t || !f) { free(t); free(f); return 0; }
    l->items[l->n++] = (declared_index){t, f};
    return 1;
}

int declared_copy(declared_list *dst, const declared_list *src) {
    for (size_t i = 0; i < src->n; i++) {
        const declared_index *d = &src->items[i];
        if (!declared_add(dst, d->target, strlen(d->target), d->field, strlen(d->field))) return 0;
    }
    return 1;
}

void declared_dump(const declared_list *l, buf *out) {
    if (!l->n) return;
    buf_puts(out, ",\"indexes\":[");
    for (size_t i = 0; i < l->n; i++) {
        if (i) buf_putc(out, ',');
        buf_putc(out, '[');
        buf_put_json_string(out, l->items[i].target, strlen(l->items[i].target));
        buf_putc(out, ',');
        buf_put_json_string(out, l->items[i].field, strlen(l->items[i].field));
        buf_putc(out, ']');
    }
    buf_putc(out, ']');
}

/* Marks c's indexes on the fields declared for its name (idempotent; cheap for a short list). */
static void apply_declared(const hs_db *db, coll *c) {
    for (size_t i = 0; i < db->declared.n; i++) {
        const declared_index *d = &db->declared.items[i];
        if (strcmp(d->target, c->name) != 0) continue;
        idx_declare(c, d->field, strlen(d->field));
        range_declare(c, d->field, strlen(d->field));
    }
}

static int indexes_on = 1;
void plan_indexes_enable(int on) { indexes_on = on; }

int plan_candidates(hs_db *db, coll *c, const qnode *node, uint32_t s, int dry, size_t **cand, size_t *ncand, const char **field, int *exact) {
    *exact = 0;
    *cand = NULL;
    *ncand = 0;
    *field = NULL;
    if (!c || !node) return PLAN_SCAN;
    if (s != SEQ_PRESENT) {   /* indexes hold the present only; columns keep past values */
        int token = hs_mem_optional_begin(), plan = PLAN_SCAN;
        if (col_candidates_at(c, node, s, dry, cand, ncand, exact, field)) plan = PLAN_COLUMNS;
        hs_mem_optional_end(token);
        return plan;
    }
    apply_declared(db, c);
    /* Indexes and columns are optional: one that cannot be built for want of memory leaves
       the query to a scan, which is not reported out of memory for it. */
    int token = hs_mem_optional_begin(), plan = PLAN_SCAN;
    /* A replay (quiet_writes) builds an equality index at its first use: see index.h. An
       equality the columns answer from their block summaries (searchOne by a value the
       column holds in few blocks) costs microseconds, so it counts no use toward building
       an index: the build (4-10 ms at 100,000 rows) would be a spike that never pays back. */
    int wide = 1;
    if (indexes_on && idx_candidates(c, node, dry, db->quiet_writes, 0, cand, ncand)) plan = PLAN_EQUALITY_INDEX;
    else if (indexes_on && range_candidates(c, node, dry, cand, ncand, field, exact)) plan = PLAN_RANGE_INDEX;
    else if (col_candidates(c, node, cand, ncand, exact, field, &wide)) {
        if (dry) { free(*cand); *cand = NULL; }
        plan = PLAN_COLUMNS;
    }
    if ((plan == PLAN_SCAN || (plan == PLAN_COLUMNS && wide)) && indexes_on && !dry) {
        size_t *icand = NULL, nicand = 0;
        if (idx_candidates(c, node, 0, 0, 1, &icand, &nicand)) {   /* built by this use: take it */
            free(*cand);
            *cand = icand;
            *ncand = nicand;
            *exact = 0;
            *field = NULL;
            plan = PLAN_EQUALITY_INDEX;
        }
    }
    hs_mem_optional_end(token);
    return plan;
}

int plan_top(hs_db *db, coll *c, const query *q, int dry, size_t **pos, size_t *npos, size_t *hits) {
    *pos = NULL;
    *npos = *hits = 0;
    if (!indexes_on || !c || !q->node || q->type != Q_SEARCH || q->as_of != SEQ_PRESENT) return 0;
    uint64_t k = plan_page_prefix(q);
    if (k == UINT64_MAX) return 0;
    const char *field;
    size_t flen;
    int reversed = 0;
    if (q->sort) {
        if (!sort_single_auto(q->sort, &field, &flen, &reversed)) return 0;
    } else {
        range_term t;   /* no sort: insertion order, so only a count (no documents) is served */
        if (k != 0 || !node_range_term(q->node, &t)) return 0;
        field = t.field;
        flen = t.flen;
    }
    apply_declared(db, c);
    int token = hs_mem_optional_begin();   /* optional, as in plan_candidates */
    int served = range_top(c, q->node, field, flen, reversed, (size_t)k, dry, pos, npos, hits);
    hs_mem_optional_end(token);
    return served;
}

uint64_t plan_page_prefix(const query *q) {
    if (!q->has_limit || q->limit < 0 || q->start_after || q->end_before) return UINT64_MAX;
    uint64_t off = q->has_offset && q->offset > 0 ? (uint64_t)q->offset : 0;
    return off + (uint64_t)q->limit < off ? UINT64_MAX : off + (uint64_t)q->limit;
}

hs_rc hs_db_create_index(hs_db *db, const char *target, size_t tlen, const char *field, size_t flen) {
    if (!db || !target || !field) return HS_MISUSE;
    if (tlen == 0 || flen == 0) return db_error(db, "createIndex needs a collection name and a field");
    if (has_nul(target, tlen) || has_nul(field, flen)) return db_error(db, MSG_NUL_NAME);
    int existed = declared_has(&db->declared, target, tlen, field, flen);
    if (!existed && !declared_add(&db->declared, target, tlen, field, flen)) return db_fail(db, HS_NOMEM, "out of memory");
    buf_clear(&db->out);
    buf_puts(&db->out, existed ? "{\"created\":false}" : "{\"created\":true}");
    return db->out.oom ? HS_NOMEM : HS_OK;
}

static const char *const plan_names[] = {"scan", "equalityIndex", "rangeIndex", "columns"};

hs_rc hs_db_explain(hs_db *db, const char *text, size_t len) {
    if (!db || !text) return HS_MISUSE;
    cJSON *json = cJSON_ParseWithLength(text, len);
    if (!json) return db_error(db, "explain needs a Query as JSON");
    query q;
    char err[256];
    if (!query_parse(db, json, &q, err, sizeof err)) {
        query_free(&q);
        cJSON_Delete(json);
        return db_error(db, err);
    }
    int reads = q.type == Q_SEARCH || q.type == Q_SEARCH_ONE || q.type == Q_GET_ALL || q.type == Q_COUNT;
    int finds = q.type == Q_SEARCH || q.type == Q_SEARCH_ONE || q.type == Q_UPDATE || q.type == Q_UPDATE_ONE ||
                q.type == Q_DELETE || q.type == Q_DELETE_ONE;
    coll *c = reads ? db_find_at(db, q.target, q.as_of) : db_find(db, q.target);
    size_t *cand, ncand;
    const char *field = NULL;
    int exact = 0;
    int plan = finds ? plan_candidates(db, c, q.node, q.as_of, 1, &cand, &ncand, &field, &exact) : PLAN_SCAN;
    eq_term term;
    if (plan == PLAN_EQUALITY_INDEX && node_equality_terms(q.node, &term, 1) == 1) field = term.field;
    const char *how = !finds && q.type != Q_GET_ALL ? "none" : plan_names[plan];
    /* Reads sort their hits; a single sort key with a small page takes the top k only, and
       a range on the sort key's field with its index walks the index (sort "index"). */
    size_t *tpos, tn, thits;
    int walked = c && plan_top(db, c, &q, 1, &tpos, &tn, &thits);
    if (walked) { plan = PLAN_RANGE_INDEX; field = NULL; range_term t; if (node_range_term(q.node, &t)) field = t.field; }
    const char *sort = walked && q.sort ? "index"
                     : !q.sort || q.type == Q_COUNT || q.type == Q_SEARCH_ONE ? "none"
                     : reads && sort_order_count(q.sort) == 1 && plan_page_prefix(&q) != UINT64_MAX ? "topK" : "all";
    buf *o = &db->out;
    buf_clear(o);
    buf_puts(o, "{\"plan\":");
    buf_put_json_string(o, how, strlen(how));
    buf_puts(o, ",\"field\":");
    if (field && plan != PLAN_SCAN) buf_put_json_string(o, field, strlen(field));
    else buf_puts(o, "null");
    buf_puts(o, ",\"asOf\":");
    buf_puts(o, q.as_of == SEQ_PRESENT ? "false" : "true");
    buf_puts(o, ",\"sort\":");
    buf_put_json_string(o, sort, strlen(sort));
    if (!strcmp(sort, "topK") || !strcmp(sort, "index")) { buf_puts(o, ",\"k\":"); buf_put_i64(o, (int64_t)plan_page_prefix(&q)); }
    buf_putc(o, '}');
    query_free(&q);
    cJSON_Delete(json);
    return o->oom ? HS_NOMEM : HS_OK;
}
