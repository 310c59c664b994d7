/*
 * db.c: the database handle, its collections, queries and transactions as commits, and
 * toDict/fromDict of hindsight.h.
 *
 * Every change a call makes is recorded in the pending commit (hist.seq, coll.h's change
 * log); a failed query or transaction is rolled back change by change (db_rollback), so it
 * changes nothing (protocol §9, with ARCHITECTURE.md §2's stricter rule). A call that wrote
 * publishes its commit (seq = hist.seq++) only after its commit record (commits.c) was made:
 * the commit and its record exist together or not at all. The record keeps the query text
 * exactly as executed; a single add keeps its documents once, in the versions.
 * collectionPermissions are parsed here for every caller (db_parse_permissions): given
 * permissions that are not a map of name -> Permission are refused, never read as "allow
 * everything"; names outside documents holding U+0000 are refused (cJSON would cut them).
 */
#include "hsint.h"
#include <assert.h>
#include "fmt.h"
#include "json_in.h"
#include "plan.h"
#include "jarena.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int merge_check_permissions(const cJSON *perms, const cJSON *params);
static void forget_cut(hs_db *db);
static cJSON *parse_whole(hs_db *db, const char *text, size_t len, char *err, size_t cap);

/* ---- collections ---- */

coll *db_find(const hs_db *db, const char *name) {
    for (size_t i = 0; i < db->ncolls; i++)
        if (db->colls[i]->alive && strcmp(db->colls[i]->name, name) == 0) return db->colls[i];
    return NULL;
}

coll *db_find_at(const hs_db *db, const char *name, uint32_t s) {
    if (s == SEQ_PRESENT) return db_find(db, name);
    for (size_t i = 0; i < db->ncolls; i++)
        if (strcmp(db->colls[i]->name, name) == 0) return coll_alive_at(db->colls[i], s) ? db->colls[i] : NULL;
    return NULL;
}

static coll *db_append(hs_db *db, const char *name) {
    if (db->ncolls == db->cap) {
        size_t cap = db->cap ? db->cap * 2 : 8;
        coll **c = realloc(db->colls, cap * sizeof *c);
        if (!c) return NULL;
        db->colls = c;
        db->cap = cap;
    }
    coll *c = coll_new(name, strlen(name));
    if (c) db->colls[db->ncolls++] = c;
    return c;
}

int db_append_coll(hs_db *db, coll *c) {
    if (db->ncolls == db->cap) {
        size_t cap = db->cap ? db->cap * 2 : 8;
        coll **grown = realloc(db->colls, cap * sizeof *grown);
        if (!grown) return 0;
        db->colls = grown;
        db->cap = cap;
    }
    db->colls[db->ncolls++] = c;
    return 1;
}

coll *db_create(hs_db *db, const char *name) {
    /* A removed collection keeps its history and its place; writing to it revives it. */
    coll *c = NULL;
    for (size_t i = 0; i < db->ncolls && !c; i++)
        if (strcmp(db->colls[i]->name, name) == 0) c = db->colls[i];
    if (!c) {
        if (!(c = db_append(db, name))) return NULL;
        c->alive = 0;
    }
    /* Each creation in one commit gets the next order key (seq << 16 | n), so a transaction's
       creations keep the order they were made in, as separate commits would. Counted from
       the collections themselves, so a rolled-back attempt leaves no trace. */
    int64_t order = (int64_t)db->hist.seq << 16;
    for (size_t i = 0; i < db->ncolls; i++)
        if (db->colls[i] != c && db->colls[i]->alive && db->colls[i]->order >> 16 == (int64_t)db->hist.seq && db->colls[i]->order >= order)
            order = db->colls[i]->order;
    order = order + 1;
    if (!coll_set_alive(c, 1, &db->hist) || !coll_set_order(c, order, &db->hist)) return NULL;
    return c;
}

void db_unlink_free(hs_db *db, coll *c) {
    for (size_t i = 0; i < db->ncolls; i++)
        if (db->colls[i] == c) {
            memmove(db->colls + i, db->colls + i + 1, (db->ncolls - i - 1) * sizeof *db->colls);
            db->ncolls--;
            break;
        }
    coll_free(c);
}

static void free_collections(coll **colls, size_t n) {
    for (size_t i = 0; i < n; i++) coll_free(colls[i]);
    free(colls);
}

void db_adopt(hs_db *db, hs_db *fresh) {
    free_collections(db->colls, db->ncolls);
    free(db->hist.changes);
    commits_move(&db->commits, &fresh->commits);
    db->commits.base_time = db->commits.last_time = NAN;   /* load sets them again */
    db->colls = fresh->colls;
    db->ncolls = fresh->ncolls;
    db->cap = fresh->cap;
    db->hist.changes = fresh->hist.changes;
    db->hist.nchanges = fresh->hist.nchanges;
    db->hist.capchanges = fresh->hist.capchanges;
    fresh->colls = NULL;
    fresh->ncolls = fresh->cap = 0;
    fresh->hist.changes = NULL;
    fresh->hist.nchanges = fresh->hist.capchanges = 0;
    hs_db_close(fresh);
}

void db_rollback(hs_db *db) {
    db->hist.failed = 0;
    hist_rollback(&db->hist);
    uint32_t p = db->hist.seq;
    for (size_t i = db->ncolls; i-- > 0;) {
        coll *c = db->colls[i];
        if (c->nserials && c->serials[c->nserials - 1].seq == p) c->serial = c->serials[--c->nserials].before;
        if (c->nlives && c->lives[c->nlives - 1].seq == p) c->alive = (int)c->lives[--c->nlives].before;
        if (c->norders && c->orders[c->norders - 1].seq == p) c->order = c->orders[--c->norders].before;
        /* Created by this commit and now empty of any history: it never existed. */
        if (!c->alive && c->len == 0 && c->nlives == 0 && c->nserials == 0) db_unlink_free(db, c);
    }
}

/* ---- lifecycle ---- */

hs_db *hs_db_open(void) {
    hs_db *db = calloc(1, sizeof *db);
    if (!db) return NULL;
    buf_init(&db->out);
    buf_init(&db->scratch);
    buf_init(&db->nctx.scratch);
    buf_init(&db->nctx.lower);
    buf_init(&db->envelope);
    db->hist.seq = 1;
    db->marks.valid_len = SIZE_MAX;
    db->commits.last_time = db->commits.base_time = NAN;
    return db;
}


void hs_db_close(hs_db *db) {
    if (!db) return;
    /* Every close is of a database no running call reads from (its own, or one a call built
       and threw away): no rebuilt document is borrowed now. */
    hist_release_views();
    free_collections(db->colls, db->ncolls);
    buf_free(&db->out);
    free(db->marks.at);
    buf_free(&db->scratch);
    buf_free(&db->nctx.scratch);
    buf_free(&db->nctx.lower);
    buf_free(&db->envelope);
    hist_free(&db->hist);
    commits_free(&db->commits);
    declared_free(&db->declared);
    free(db);
}

const char *hs_db_output(const hs_db *db, size_t *len) {
    *len = db->out.len;
    return db->out.data ? db->out.data : "";
}

void hs_db_release_output(hs_db *db) {
    buf_free(&db->out);
    free(db->marks.at);
    db->marks = (out_marks){.valid_len = SIZE_MAX};
}

const uint32_t *hs_db_output_marks(const hs_db *db, size_t *n) {
    *n = db->marks.n >= 2 && db->marks.valid_len == db->out.len ? db->marks.n : 0;
    return db->marks.at;
}

const char *hs_errstr(hs_rc rc) {
    switch (rc) {
    case HS_OK: return "ok";
    case HS_ERROR: return "invalid input";
    case HS_NOMEM: return "out of memory";
    case HS_MISUSE: return "misuse";
    case HS_TOO_OLD: return "older than the kept history";
    case HS_CORRUPT: return "corrupt input";
    case HS_INTERNAL: return "internal error";
    default: return "unknown result code";
    }
}

hs_rc db_fail(hs_db *db, hs_rc rc, const char *msg) {
    buf_clear(&db->out);
    buf_puts(&db->out, "{\"error\":");
    buf_put_json_string(&db->out, msg, strlen(msg));
    buf_putc(&db->out, '}');
    return db->out.oom ? HS_NOMEM : rc;
}

hs_rc db_error(hs_db *db, const char *msg) { return db_fail(db, HS_ERROR, msg); }

/* ---- permissions ---- */

/* NULL when perms is an object of collection name -> {"allows": [type names]} (other
   members of a Permission, className and version, are ignored); else why not. */
static const char *permissions_shape_error(const cJSON *perms) {
    if (!cJSON_IsObject(perms)) return "collectionPermissions must be an object of collection names to Permission";
    for (const cJSON *p = perms->child; p; p = p->next) {
        const cJSON *allows = cJSON_GetObjectItemCaseSensitive(p, "allows");
        if (!cJSON_IsObject(p) || !cJSON_IsArray(allows)) return "collectionPermissions: every value must be a Permission ({\"allows\": [query types]})";
        for (const cJSON *a = allows->child; a; a = a->next)
            if (!cJSON_IsString(a)) return "collectionPermissions: 'allows' must list query type names";
    }
    return NULL;
}

const cJSON *db_parse_permissions(hs_db *db, const char *text, size_t len, hs_rc *rc) {
    buf copy;   /* NUL-terminated, for cJSON (see cut_documents) */
    buf_init(&copy);
    buf_put(&copy, text, len);
    buf_putc(&copy, 0);
    if (copy.oom) { buf_free(&copy); *rc = HS_NOMEM; return NULL; }
    char perr[200], full[240];
    const cJSON *perms = parse_whole(db, copy.data, len, perr, sizeof perr);
    buf_free(&copy);   /* the tree lives in the parse arena, not in the text */
    /* Fail closed: given permissions that are not a valid map never mean "allow all". */
    if (!perms) { hs_snprintf(full, sizeof full, "collectionPermissions: %s", perr); *rc = db_error(db, full); return NULL; }
    const char *bad = permissions_shape_error(perms);
    if (bad) { *rc = db_error(db, bad); return NULL; }
    *rc = HS_OK;
    return perms;
}

/* ---- single queries ---- */

static void parse_error_result(hs_db *db, const query *q, const char *detail) {
    char msg[320];
    hs_snprintf(msg, sizeof msg, "execute_query ArgumentError: %s", detail);
    put_result(&db->out, 0, q->target, q->type_name, NULL, 0, -1, 0, 0, msg, NULL);
}

static int is_read(int type) { return type == Q_SEARCH || type == Q_SEARCH_ONE || type == Q_GET_ALL || type == Q_COUNT; }

/* Runs one parsed query (permissions already parsed) and frees it. Appends its result.
   Returns 1 if it succeeded; *wrote is set when it was a write (so the call makes a commit). */
static int run_parsed(hs_db *db, query *q, const cJSON *perms, int in_transaction, int *wrote) {
    int allowed = q->type == Q_MERGE ? merge_check_permissions(perms, q->merge_params) : check_permissions(perms, q);
    int ok;
    if (!allowed) {
        put_result(&db->out, 0, q->target, q->type_name, NULL, 0, -1, 0, 0, "Operation not permitted.", NULL);
        ok = 0;
    } else if (in_transaction && (q->type == Q_MERGE || q->type == Q_REMOVE_COLLECTION)) {
        ok = 0;   /* rejected up front by run_transaction */
    } else {
        ok = exec_query(db, q);
        if (ok && !is_read(q->type)) *wrote = 1;
    }
    query_free(q);
    return ok;
}

/* Parses and runs one query (permissions already parsed). Appends its result. Returns 1 if
   it succeeded; *wrote is set when it was a write (so the call makes a commit). */
static int run_one(hs_db *db, const cJSON *json, const cJSON *perms, int in_transaction, int *wrote) {
    query q;
    char err[256];
    if (!query_parse(db, json, &q, err, sizeof err)) {
        parse_error_result(db, &q, err);
        query_free(&q);
        return 0;
    }
    return run_parsed(db, &q, perms, in_transaction, wrote);
}

/* ---- transactions ---- */

static int is_forbidden_in_transaction(const cJSON *q) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(q, "type");
    return cJSON_IsString(t) && (strcmp(t->valuestring, "merge") == 0 || strcmp(t->valuestring, "removeCollection") == 0);
}

static void transaction_failure(hs_db *db, const char *msg) {
    buf_clear(&db->out);
    buf_puts(&db->out, "{\"className\":\"TransactionQueryResult\",\"version\":\"3\",\"isSuccess\":false,\"results\":[],\"errorMessage\":");
    buf_put_json_string(&db->out, msg, strlen(msg));
    buf_putc(&db->out, '}');
}

/* Runs every query of a TransactionQuery in the pending commit; all or nothing.
   Returns 1 when it committed. */
static int run_transaction(hs_db *db, const cJSON *json, const cJSON *perms) {
    const cJSON *queries = cJSON_GetObjectItemCaseSensitive(json, "queries");
    if (!cJSON_IsArray(queries)) { transaction_failure(db, "Transaction failed: 'queries' must be a list"); return 0; }
    for (const cJSON *q = queries->child; q; q = q->next) {
        if (!cJSON_IsObject(q)) { transaction_failure(db, "Transaction failed: every query must be an object"); return 0; }
        if (is_forbidden_in_transaction(q)) {
            transaction_failure(db, "The query contains a type that is not permitted to be executed within a transaction.");
            return 0;
        }
    }
    buf_clear(&db->out);
    buf_puts(&db->out, "{\"className\":\"TransactionQueryResult\",\"version\":\"3\",\"isSuccess\":true,\"results\":[");
    int ok = 1, wrote = 0;
    for (const cJSON *q = queries->child; q && ok; q = q->next) {
        if (q != queries->child) buf_putc(&db->out, ',');
        ok = run_one(db, q, perms, 1, &wrote);
    }
    buf_puts(&db->out, "],\"errorMessage\":null}");
    if (!ok || db->out.oom) {
        db_rollback(db);
        transaction_failure(db, "Transaction failed");
        return 0;
    }
    return 1;   /* a successful transaction is one commit, even when all its queries read */
}

static hs_rc execute(hs_db *db, const char *text, size_t len, const char *perms_text, size_t plen);

/* cJSON is lenient (raw control characters in strings, any byte below 0x21 as white
   space, duplicate member names). So every text is first checked by json_scan's strict
   RFC 8259 parser; only then does cJSON build the tree. Returns NULL with a message in err. */
#define ENVELOPE_MAX_DEPTH 1000
static cJSON *parse_whole(hs_db *db, const char *text, size_t len, char *err, size_t cap) {
    size_t pos = 0;
    buf_clear(&db->scratch);
    const char *e = jscan_value_depth(text, len, &pos, &db->scratch, ENVELOPE_MAX_DEPTH);
    while (!e && pos < len && (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\r' || text[pos] == '\t')) pos++;
    if (!e && pos != len) e = "unexpected text after the JSON value";
    /* cJSON ends its strings at U+0000: "a\u0000" would read as "a". Documents were cut
       out before this (json_scan keeps their strings whole); anything left is a name. */
    if (!e && val_has_nul((val)db->scratch.data)) {
        hs_snprintf(err, cap, MSG_NUL_NAME);
        return NULL;
    }
    if (e) {
        hs_snprintf(err, cap, "invalid JSON near byte %zu: %s", pos, e);
        return NULL;
    }
    const char *end;
    cJSON *json = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!json) hs_snprintf(err, cap, "the JSON could not be parsed (nested deeper than %d levels?)", CJSON_NESTING_LIMIT);
    return json;
}

hs_rc hs_db_execute(hs_db *db, const char *text, size_t len, const char *perms_text, size_t plen) {
    return hs_db_execute_meta(db, text, len, perms_text, plen, NULL, 0);
}

hs_rc hs_db_execute_meta(hs_db *db, const char *text, size_t len, const char *perms_text, size_t plen, const char *meta, size_t mlen) {
    if (!db || !text) return HS_MISUSE;
    hs_rc rc = commits_begin(db, meta, mlen);
    if (rc != HS_OK) return rc;
    return db_execute_prepared(db, text, len, perms_text, plen);
}

hs_rc db_execute_prepared(hs_db *db, const char *text, size_t len, const char *perms_text, size_t plen) {
    if (!db || !text) return HS_MISUSE;
    db->marks.n = 0;
    db->marks.valid_len = SIZE_MAX;
    jarena_begin();
    hs_rc rc = execute(db, text, len, perms_text, plen);
    jarena_end();
    forget_cut(db);
    return rc;
}

/* The members that carry user documents and values (documents, updates, templates, paging
   objects, query nodes and sorts). They are parsed by json_scan, which keeps every string
   whole (cJSON's strings end at U+0000) and builds no tree. */
#define DOC_MEMBER(name) \
    static const char *const top_##name[] = {#name}, *const tx_##name[] = {"queries", "*", #name};
DOC_MEMBER(addData) DOC_MEMBER(overrideData) DOC_MEMBER(template) DOC_MEMBER(startAfter) DOC_MEMBER(endBefore)
DOC_MEMBER(queryNode) DOC_MEMBER(sortObj)
static const jscan_pattern query_arrays[] = {
    {top_queryNode, 1, '{'}, {tx_queryNode, 3, '{'},
    {top_sortObj, 1, '{'}, {tx_sortObj, 3, '{'},
    {top_addData, 1, '['}, {tx_addData, 3, '['},
    {top_overrideData, 1, '{'}, {tx_overrideData, 3, '{'},
    {top_template, 1, '{'}, {tx_template, 3, '{'},
    {top_startAfter, 1, '{'}, {tx_startAfter, 3, '{'},
    {top_endBefore, 1, '{'}, {tx_endBefore, 3, '{'},
};
static const char *const step_data[] = {"collections", "*", "data"};
static const jscan_pattern dict_arrays[] = {{step_data, 3, '['}};

/* Cuts the document arrays out of text; returns the text cJSON should parse. */
static const char *cut_documents(hs_db *db, const char *text, size_t *len, const jscan_pattern *pats, int npats) {
    db->input = text;
    db->spans = jscan_cut(text, *len, pats, npats, &db->envelope, &db->nspans);
    /* Out of memory while cutting: fail rather than parse differently (and record differently). */
    if (!db->spans && db->envelope.oom) return NULL;
    if (!db->spans) { buf_clear(&db->envelope); buf_put(&db->envelope, text, *len); }
    /* cJSON 1.7.15 can read one byte past a length-limited text that ends inside a
       string; a NUL after the text keeps that read inside our buffer and stops it. */
    buf_putc(&db->envelope, 0);
    if (db->envelope.oom) return NULL;
    *len = db->envelope.len - 1;
    return db->envelope.data;
}

static void forget_cut(hs_db *db) {
    free(db->spans);
    db->spans = NULL;
    db->nspans = 0;
    db->input = NULL;
    if (db->envelope.cap > (1u << 16)) buf_free(&db->envelope);
}

/* Publishes the pending commit of a query that wrote, with its record (add_span: a single
   add's documents, kept once, in the versions); rolled back when the record cannot be made. */
static hs_rc publish(hs_db *db, const char *text, size_t len, const jscan_span *add_span) {
    if (db->hist.failed || !commits_record(db, CK_QUERY, 0, text, len, add_span)) {
        db_rollback(db);
        return db_fail(db, HS_NOMEM, "out of memory recording the commit; the database is unchanged");
    }
    db->seq = db->hist.seq++;
    db_check_commit(db, db->seq);
    hist_compact(&db->hist, db->seq);   /* published: its past versions may become deltas */
    return HS_OK;
}

/* A write of the plain shape (query_parse_plain), without permissions: read from the text,
   without the cut, the strict check and the cJSON tree that execute's general path builds
   for it (they were half of replaying a single-document commit); run and recorded as that
   path runs and records it. Returns -1 for any other text (nothing changed): the general
   path then runs it, and reports what is wrong with it. */
/* The text of an add whose documents came encoded (db->docs_in), with them printed as JSON
   where the 0 stands (at): the record of an add with a serialKey keeps the documents as the
   query gave them, as the text path's record does. NULL when out of memory. */
static char *add_text_with_docs(const hs_db *db, const char *text, size_t len, const jscan_span *at, size_t *out_len) {
    buf b;
    buf_init(&b);
    buf_put(&b, text, at->start);
    buf_putc(&b, '[');
    for (size_t pos = 0; pos < db->docs_in_len; pos += val_size(db->docs_in + pos)) {   /* checked by the add */
        if (pos) buf_putc(&b, ',');
        val_print(&b, (val)(db->docs_in + pos));
    }
    buf_putc(&b, ']');
    buf_put(&b, text + at->end, len - at->end);
    if (b.oom) { buf_free(&b); return NULL; }
    *out_len = b.len;
    return b.data;
}

static int execute_plain(hs_db *db, const char *text, size_t len) {
    query q;
    char target[256];
    jscan_span add_span;
    int only_add, encoded = db->docs_in != NULL;
    if (!query_parse_plain(text, len, &q, target, sizeof target, &add_span, &only_add, encoded)) return -1;
    /* Encoded documents only for an add whose one document member is addData: its record keeps
       them in the versions (publish's add_span), or, with a serialKey, as printed from them;
       any other record would keep its text, with 0 for the documents. */
    if (encoded && !(q.type == Q_ADD && q.add_encoded && only_add)) { query_free(&q); return -1; }
    /* With a serialKey the kept documents hold serials the query's did not: the record keeps the
       query whole. (Read before run_parsed, which frees q.) */
    int single_add = only_add && !q.serial_key, serial_encoded = encoded && q.serial_key;
    db->input = text;
    buf_clear(&db->out);
    int wrote = 0;
    if (!run_parsed(db, &q, NULL, 0, &wrote)) db_rollback(db);
    else if (wrote && serial_encoded) {
        size_t whole_len;
        char *whole = add_text_with_docs(db, text, len, &add_span, &whole_len);
        if (!whole) { db_rollback(db); return db_fail(db, HS_NOMEM, "out of memory recording the commit; the database is unchanged"); }
        hs_rc rc = publish(db, whole, whole_len, NULL);
        free(whole);
        if (rc != HS_OK) return rc;
    } else if (wrote) {
        hs_rc rc = publish(db, text, len, single_add ? &add_span : NULL);
        if (rc != HS_OK) return rc;
    }
    return db->out.oom ? HS_NOMEM : HS_OK;
}

hs_rc hs_db_execute_docs(hs_db *db, const char *text, size_t len, const char *meta, size_t mlen, const uint8_t *docs, size_t dlen) {
    if (!db || !text || (!docs && dlen)) return HS_MISUSE;
    hs_rc rc = commits_begin(db, meta, mlen);
    if (rc != HS_OK) return rc;
    static const uint8_t none[1];
    db->docs_in = docs ? docs : none;
    db->docs_in_len = dlen;
    db->marks.n = 0;
    db->marks.valid_len = SIZE_MAX;
    jarena_begin();
    int r = execute_plain(db, text, len);
    jarena_end();
    db->docs_in = NULL;
    db->docs_in_len = 0;
    db->input = NULL;
    if (r < 0) return db_fail(db, HS_MISUSE, "hs_db_execute_docs: the query must be a plain add whose addData is 0");
    return (hs_rc)r;
}

static hs_rc execute(hs_db *db, const char *text, size_t len, const char *perms_text, size_t plen) {
    if (!(perms_text && plen)) {
        int rc = execute_plain(db, text, len);
        if (rc >= 0) return (hs_rc)rc;
    }
    size_t env_len = len;
    const char *env = cut_documents(db, text, &env_len, query_arrays, (int)(sizeof query_arrays / sizeof query_arrays[0]));
    if (!env) return HS_NOMEM;
    char msg[200];
    cJSON *json = parse_whole(db, env, env_len, msg, sizeof msg);
    if (!json) {
        buf_clear(&db->out);
        query none = {0};
        none.target = none.type_name = "";
        parse_error_result(db, &none, msg);
        return db->out.oom ? HS_NOMEM : HS_OK;
    }
    const cJSON *perms = NULL;
    if (perms_text && plen) {
        hs_rc rc;
        if (!(perms = db_parse_permissions(db, perms_text, plen, &rc))) return rc;
    }
    buf_clear(&db->out);
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(json, "className");
    int commit = 0;
    if (cJSON_IsString(cls) && strcmp(cls->valuestring, "TransactionQuery") == 0) {
        commit = run_transaction(db, json, perms);
    } else if (cJSON_IsObject(json) && (!cls || (cJSON_IsString(cls) && strcmp(cls->valuestring, "Query") == 0))) {
        int wrote = 0;
        if (run_one(db, json, perms, 0, &wrote)) commit = wrote;
        else db_rollback(db);   /* drops a collection a failed write created */
    } else {
        query none = {0};
        none.target = none.type_name = "";
        parse_error_result(db, &none, "expected a Query or a TransactionQuery (className)");
    }
    if (commit) {
        /* A single add's documents are kept once, in the versions: its record keeps the
           query without them (the one span cut out, an array: addData). Not with a
           serialKey: the kept documents then hold serials the query's did not. */
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(json, "type");
        int single_add = !(cJSON_IsString(cls) && strcmp(cls->valuestring, "TransactionQuery") == 0) &&
                         cJSON_IsString(type) && strcmp(type->valuestring, "add") == 0 &&
                         db->spans && db->nspans == 1 && text[db->spans[0].start] == '[' &&
                         /* with a serialKey the kept documents differ from the query's */
                         (!cJSON_GetObjectItemCaseSensitive(json, "serialKey") || cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(json, "serialKey")));
        hs_rc rc = publish(db, text, len, single_add ? &db->spans[0] : NULL);
        if (rc != HS_OK) return rc;
    }
    /* No cJSON_Delete: the parse arena is dropped whole when the call ends (jarena.h). */
    return db->out.oom ? HS_NOMEM : HS_OK;
}

/* ---- snapshots ---- */

hs_rc hs_db_to_dict(hs_db *db) { return hs_db_to_dict_at(db, db ? db->seq : 0); }

hs_rc hs_db_to_dict_at(hs_db *db, uint32_t s) { return db_to_dict_for(db, s, NULL); }

/* The collections alive at view (SEQ_PRESENT or a seq), in their order there, that perms
   lets the caller read (NULL: all). *out is malloc'd (NULL when none); returns the count, or
   -1 when out of memory. A database has few collections: an insertion sort. */
static long live_colls_at(hs_db *db, uint32_t view, const cJSON *perms, coll ***out) {
    *out = NULL;
    if (!db->ncolls) return 0;
    coll **live = malloc(db->ncolls * sizeof *live);
    int64_t *keys = malloc(db->ncolls * sizeof *keys);
    if (!live || !keys) { free(live); free(keys); return -1; }
    size_t nlive = 0;
    for (size_t i = 0; i < db->ncolls; i++) {
        coll *c = db->colls[i];
        if (view == SEQ_PRESENT ? !c->alive : !coll_alive_at(c, view)) continue;
        if (perms && !perm_may_read(perms, c->name)) continue;
        int64_t key = view == SEQ_PRESENT ? c->order : coll_order_at(c, view);
        size_t j = nlive++;
        while (j > 0 && keys[j - 1] > key) { keys[j] = keys[j - 1]; live[j] = live[j - 1]; j--; }
        keys[j] = key;
        live[j] = c;
    }
    free(keys);
    *out = live;
    return (long)nlive;
}

/* HS_OK when seq s can be read (oldest <= s <= seq), else the error, set on db. */
static hs_rc check_readable_seq(hs_db *db, uint32_t s) {
    if (s > db->seq || s < db->oldest) return db_fail(db, s > db->seq ? HS_ERROR : HS_TOO_OLD, s > db->seq ? "seq is after the latest commit" : "seq is older than the kept history");
    return HS_OK;
}

/* The documents of c alive at view, comma-separated, in row order (toDict's order). */
static void print_docs_at(buf *o, const coll *c, uint32_t view) {
    int first = 1;
    for (size_t r = 0; r < c->len; r++) {
        val d = row_peek(&c->rows[r], view);   /* printed at once: nothing kept */
        if (!d) continue;
        if (!first) buf_putc(o, ',');
        first = 0;
        val_print(o, d);
    }
    if (hist_views_failed()) o->oom = 1;   /* a past version could not be rebuilt */
}

hs_rc db_to_dict_for(hs_db *db, uint32_t s, const cJSON *perms) {
    if (!db) return HS_MISUSE;
    hs_rc rc = check_readable_seq(db, s);
    if (rc != HS_OK) return rc;
    uint32_t view = s == db->seq ? SEQ_PRESENT : s;
    buf *o = &db->out;
    buf_clear(o);
    buf_puts(o, "{\"className\":\"DeltaTraceDatabase\",\"version\":\"16\",\"collections\":{");
    coll **live;
    long nlive = live_colls_at(db, view, perms, &live);
    if (nlive < 0) return HS_NOMEM;
    int first = 1;
    for (long i = 0; i < nlive; i++) {
        coll *c = live[i];
        if (!first) buf_putc(o, ',');
        first = 0;
        buf_put_json_string(o, c->name, c->name_len);
        buf_puts(o, ":{\"className\":\"Collection\",\"version\":\"17\",\"data\":[");
        print_docs_at(o, c, view);
        buf_puts(o, "],\"serialNum\":");
        buf_put_i64(o, view == SEQ_PRESENT ? c->serial : coll_serial_at(c, view));
        buf_putc(o, '}');
    }
    buf_puts(o, "}}");
    free(live);
    return o->oom ? HS_NOMEM : HS_OK;
}

/* One collection at commit s with its row ids, for readers that follow rows by identity
   (the debugger applies diffs, which name row ids, to rows it already holds):
   {"collections":[names alive at s, in order],"rowIds":[...],"data":[...]}, rowIds ascending
   and data in the same order as toDict; both null when name is NULL or not alive at s. */
hs_rc hs_db_rows_at(hs_db *db, uint32_t s, const char *name, size_t name_len) {
    if (!db) return HS_MISUSE;
    hs_rc rc = check_readable_seq(db, s);
    if (rc != HS_OK) return rc;
    uint32_t view = s == db->seq ? SEQ_PRESENT : s;
    buf *o = &db->out;
    buf_clear(o);
    buf_puts(o, "{\"collections\":[");
    coll **live;
    long nlive = live_colls_at(db, view, NULL, &live);
    if (nlive < 0) return HS_NOMEM;
    coll *found = NULL;
    for (long i = 0; i < nlive; i++) {
        if (i) buf_putc(o, ',');
        buf_put_json_string(o, live[i]->name, live[i]->name_len);
        if (name && live[i]->name_len == name_len && memcmp(live[i]->name, name, name_len) == 0) found = live[i];
    }
    free(live);
    if (!found) {
        buf_puts(o, "],\"rowIds\":null,\"data\":null}");
        return o->oom ? HS_NOMEM : HS_OK;
    }
    buf_puts(o, "],\"rowIds\":[");
    int first = 1;
    for (size_t r = 0; r < found->len; r++) {
        if (!row_exists_at(&found->rows[r], view)) continue;
        if (!first) buf_putc(o, ',');
        first = 0;
        buf_put_i64(o, found->rows[r].id);
    }
    buf_puts(o, "],\"data\":[");
    print_docs_at(o, found, view);
    buf_puts(o, "]}");
    return o->oom ? HS_NOMEM : HS_OK;
}

/* Appends the documents of a cut-out array to col. Returns NULL or an error. */
static const char *load_span(hs_db *db, coll *col, const char *text, jscan_span span) {
    size_t pos = span.start;
    int more;
    while ((more = jscan_next_element(text, span, &pos)) == 1) {
        heap_hint(col->len);
        buf_clear(&db->scratch);
        const char *e = jscan_value(text, span.end, &pos, &db->scratch);
        if (e) return e;
        if (db->scratch.data[0] != T_OBJ) return "a document must be a JSON object";
        if (!coll_reserve(col, 1)) return "out of memory";
        doc *d = doc_new((const uint8_t *)db->scratch.data, db->scratch.len);
        if (!d) return "out of memory";
        coll_load(col, d, db->seq);
    }
    return more < 0 ? "malformed list" : NULL;
}

static const char *load_array(hs_db *db, coll *col, const cJSON *data) {
    for (const cJSON *d = cJSON_IsArray(data) ? data->child : NULL; d; d = d->next) {
        const char *e = NULL;
        if (!coll_reserve(col, 1)) return "out of memory";
        doc *dd = jin_doc(d, &db->scratch, &e);
        if (!dd) return e;
        coll_load(col, dd, db->seq);
    }
    return NULL;
}

static hs_rc from_dict(hs_db *db, const char *text, size_t len);

hs_rc hs_db_from_dict(hs_db *db, const char *text, size_t len) {
    if (!db || !text) return HS_MISUSE;
    jarena_begin();
    hs_rc rc = from_dict(db, text, len);
    jarena_end();
    forget_cut(db);
    return rc;
}

static hs_rc from_dict(hs_db *db, const char *text, size_t len) {
    size_t env_len = len;
    const char *env = cut_documents(db, text, &env_len, dict_arrays, 1);
    if (!env) return HS_NOMEM;
    char perr[200], full[240];
    cJSON *json = parse_whole(db, env, env_len, perr, sizeof perr);
    if (!json) { hs_snprintf(full, sizeof full, "fromDict: %s", perr); return db_error(db, full); }
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(json, "collections");
    if (!cJSON_IsObject(cols)) return db_error(db, "Invalid format: 'collections' should be a dict");
    /* Build into a fresh handle, then swap, so a bad dict changes nothing. */
    hs_db *fresh = hs_db_open();
    const char *err = NULL;
    char msg[300];
    if (!fresh) err = "out of memory";
    else fresh->seq = db->seq;   /* the loaded documents exist since the current commit */
    for (const cJSON *c = cols->child; c && !err; c = c->next) {
        if (!cJSON_IsObject(c)) { hs_snprintf(msg, sizeof msg, "Invalid format: collection '%.100s' should be a dict", c->string); err = msg; break; }
        if (db_find(fresh, c->string)) { hs_snprintf(msg, sizeof msg, "Invalid format: collection '%.100s' appears twice", c->string); err = msg; break; }
        coll *col = db_append(fresh, c->string);
        if (!col) { err = "out of memory"; break; }
        col->order = (int64_t)fresh->ncolls;   /* snapshot order; later creations sort after */
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(c, "data");
        const cJSON *serial = cJSON_GetObjectItemCaseSensitive(c, "serialNum");
        const jscan_span *span = NULL;
        if (cJSON_IsNumber(data) && db->spans && data->valuedouble >= 0 && (size_t)data->valuedouble < db->nspans)
            span = &db->spans[(size_t)data->valuedouble];
        else if (data && !cJSON_IsNull(data) && !cJSON_IsArray(data)) { hs_snprintf(msg, sizeof msg, "Invalid format: 'data' of '%.100s' should be a list", c->string); err = msg; break; }
        if (serial && !cJSON_IsNull(serial) && (!cJSON_IsNumber(serial) || !(fabs(serial->valuedouble) < 9.2e18) || serial->valuedouble != floor(serial->valuedouble))) { hs_snprintf(msg, sizeof msg, "Invalid format: 'serialNum' of '%.100s' should be an integer", c->string); err = msg; break; }
        col->serial = cJSON_IsNumber(serial) ? (int64_t)serial->valuedouble : 0;
        const char *e = span ? load_span(fresh, col, db->input, *span) : load_array(fresh, col, data);
        if (e) { hs_snprintf(msg, sizeof msg, "Invalid format: a document of '%.100s': %s", c->string, e); err = msg; break; }
    }
    if (err) {
        hs_db_close(fresh);
        return db_error(db, err);
    }
    db_adopt(db, fresh);   /* the old collections' history goes with them */
    db->oldest = db->seq;
    db_recount(db);
    buf_clear(&db->out);
    buf_puts(&db->out, "{}");
    return HS_OK;
}
