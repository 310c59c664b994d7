/*
 * query.c: reading a DeltaTraceDB Query dict (protocol §2) into a struct query.
 *
 * Accepts what both DeltaTraceDB implementations write: missing or null optional keys take
 * Python's defaults (returnData false, mustAffectAtLeastOne true, resetSerial false).
 * Wrong types are refused with a message naming the key, never guessed at.
 * query_parse_plain reads the common plain shape of a write straight from the text (no
 * cJSON tree, no lookups); it accepts only texts that query_parse reads to the same query,
 * and leaves everything else, errors included, to query_parse.
 */
#include "hsint.h"
#include "fmt.h"
#include "json_in.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *const query_type_names[Q_NTYPES] = {
    "add", "update", "updateOne", "delete", "deleteOne", "search", "searchOne", "getAll",
    "conformToTemplate", "renameField", "count", "clear", "clearAdd", "removeCollection", "merge",
};

static const cJSON *get(const cJSON *j, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsNull(v) ? NULL : v;
}

static int bad(char *err, size_t cap, const char *key, const char *want) {
    hs_snprintf(err, cap, "'%s' must be %s", key, want);
    return 0;
}

static int get_bool(const cJSON *j, const char *key, int def, int *out, char *err, size_t cap) {
    const cJSON *v = get(j, key);
    if (!v) { *out = def; return 1; }
    if (!cJSON_IsBool(v)) return bad(err, cap, key, "true or false");
    *out = cJSON_IsTrue(v);
    return 1;
}

static int get_string(const cJSON *j, const char *key, const char **out, char *err, size_t cap) {
    const cJSON *v = get(j, key);
    *out = NULL;
    if (!v) return 1;
    if (!cJSON_IsString(v)) return bad(err, cap, key, "a string");
    *out = v->valuestring;
    return 1;
}

static int get_int(const cJSON *j, const char *key, int *has, int64_t *out, char *err, size_t cap) {
    const cJSON *v = get(j, key);
    *has = 0;
    if (!v) return 1;
    double d = v->valuedouble;
    if (!cJSON_IsNumber(v) || d != floor(d) || fabs(d) > 9e15) return bad(err, cap, key, "an integer");
    *has = 1;
    *out = (int64_t)d;
    return 1;
}

static int get_object_val(const hs_db *db, const cJSON *j, const char *key, uint8_t **out, char *err, size_t cap) {
    const cJSON *v = get(j, key);
    *out = NULL;
    if (!v) return 1;
    buf b;
    buf_init(&b);
    const char *e;
    if (cJSON_IsNumber(v) && db->spans) {
        /* Cut out of the text by jscan_cut (see query_arrays in db.c): parse it from there. */
        /* Range first: a malformed text can leave a huge number here, and casting one that
           size_t cannot hold is undefined. */
        if (!(v->valuedouble >= 0 && v->valuedouble < (double)db->nspans)) return bad(err, cap, key, "an object");
        size_t k = (size_t)v->valuedouble, pos;
        pos = db->spans[k].start;
        int deep = strcmp(key, "queryNode") == 0 || strcmp(key, "sortObj") == 0;
        e = jscan_value_depth(db->input, db->spans[k].end, &pos, &b, deep ? JSCAN_NODE_DEPTH : VAL_MAX_DEPTH);
    } else if (!cJSON_IsObject(v)) {
        return bad(err, cap, key, "an object");
    } else {
        e = jin_encode(&b, v);
    }
    if (e) { buf_free(&b); hs_snprintf(err, cap, "'%s': %s", key, e); return 0; }
    *out = (uint8_t *)b.data;
    return 1;
}

void query_free(query *q) {
    node_free(q->node);
    sort_free(q->sort);
    free(q->override_val);
    free(q->template_val);
    free(q->start_after);
    free(q->end_before);
    memset(q, 0, sizeof *q);
}

/* Compiles (and frees) the encoded queryNode enc, when there is one, into q->node. */
static int compile_node(query *q, uint8_t *enc, char *err, size_t cap) {
    if (!enc) return 1;
    char sub[200];
    sub[0] = 0;
    q->node = node_compile(enc, sub, sizeof sub);
    free(enc);
    if (!q->node) { hs_snprintf(err, cap, "queryNode: %s", sub); return 0; }
    return 1;
}

/* What each type needs before it can run. */
static int check_needs(const query *q, char *err, size_t cap) {
    switch (q->type) {
    case Q_UPDATE: case Q_UPDATE_ONE:
        if (!q->override_val) { hs_snprintf(err, cap, "%s needs 'overrideData'", q->type_name); return 0; }
        /* fall through */
    case Q_DELETE: case Q_DELETE_ONE: case Q_SEARCH: case Q_SEARCH_ONE:
        if (!q->node) { hs_snprintf(err, cap, "%s needs 'queryNode'", q->type_name); return 0; }
        break;
    case Q_ADD: case Q_CLEAR_ADD:
        if (!q->add_data && !q->add_span) { hs_snprintf(err, cap, "%s needs 'addData'", q->type_name); return 0; }
        break;
    case Q_CONFORM:
        if (!q->template_val) { hs_snprintf(err, cap, "conformToTemplate needs 'template'"); return 0; }
        break;
    case Q_RENAME:
        if (!q->rename_before || !q->rename_after) { hs_snprintf(err, cap, "renameField needs 'renameBefore' and 'renameAfter'"); return 0; }
        break;
    default: break;
    }
    return 1;
}

int query_parse(const hs_db *db, const cJSON *j, query *q, char *err, size_t cap) {
    memset(q, 0, sizeof *q);
    q->target = "";
    q->type_name = "";
    if (!cJSON_IsObject(j)) { hs_snprintf(err, cap, "a query must be a JSON object"); return 0; }
    const cJSON *target = get(j, "target"), *type = get(j, "type");
    if (cJSON_IsString(target)) q->target = target->valuestring;
    if (cJSON_IsString(type)) q->type_name = type->valuestring;
    if (!cJSON_IsString(target)) return bad(err, cap, "target", "a string");
    if (!cJSON_IsString(type)) return bad(err, cap, "type", "a string");
    q->type = -1;
    for (int i = 0; i < Q_NTYPES; i++)
        if (strcmp(type->valuestring, query_type_names[i]) == 0) q->type = i;
    if (q->type < 0) { hs_snprintf(err, cap, "unknown query type '%.60s'", type->valuestring); return 0; }

    const cJSON *v;
    if ((v = get(j, "addData")) && cJSON_IsNumber(v) && db->spans) {
        /* jscan_cut put the index of the cut-out array here (it cuts only when every
           addData is a list, so a number here is always its own). */
        size_t k = (size_t)v->valuedouble;
        if (v->valuedouble < 0 || k >= db->nspans) return bad(err, cap, "addData", "a list of objects");
        q->add_span = &db->spans[k];
    } else if (v && !cJSON_IsArray(v)) {
        return bad(err, cap, "addData", "a list of objects");
    } else {
        q->add_data = v;
    }
    if ((v = get(j, "mergeQueryParams")) && !cJSON_IsObject(v)) return bad(err, cap, "mergeQueryParams", "an object");
    q->merge_params = v;
    if (!get_object_val(db, j, "overrideData", &q->override_val, err, cap)) return 0;
    if (!get_object_val(db, j, "template", &q->template_val, err, cap)) return 0;
    if (!get_object_val(db, j, "startAfter", &q->start_after, err, cap)) return 0;
    if (!get_object_val(db, j, "endBefore", &q->end_before, err, cap)) return 0;
    if (!get_int(j, "offset", &q->has_offset, &q->offset, err, cap)) return 0;
    if (!get_int(j, "limit", &q->has_limit, &q->limit, err, cap)) return 0;
    /* Both are counts of documents: a value that does not fit 32 bits was cut to one that
       does (2^32 read as 0) on the wasm build, so out-of-range values are refused. */
    if (q->has_offset && (q->offset < 0 || q->offset > (int64_t)UINT32_MAX)) { hs_snprintf(err, cap, "'offset' must be an integer from 0 to 4294967295"); return 0; }
    if (q->has_limit && (q->limit < 0 || q->limit > (int64_t)UINT32_MAX)) { hs_snprintf(err, cap, "'limit' must be an integer from 0 to 4294967295"); return 0; }
    if (!get_string(j, "renameBefore", &q->rename_before, err, cap)) return 0;
    if (!get_string(j, "renameAfter", &q->rename_after, err, cap)) return 0;
    if (!get_string(j, "serialKey", &q->serial_key, err, cap)) return 0;
    if (!get_bool(j, "returnData", 0, &q->return_data, err, cap)) return 0;
    if (!get_bool(j, "mustAffectAtLeastOne", 1, &q->must_affect, err, cap)) return 0;
    if (!get_bool(j, "resetSerial", 0, &q->reset_serial, err, cap)) return 0;
    if ((v = get(j, "cause")) && !cJSON_IsObject(v)) return bad(err, cap, "cause", "an object");
    q->as_of = SEQ_PRESENT;
    if ((v = get(j, "asOf"))) {
        /* Hindsight's extension: read the state as of a commit. The JS wrapper turns
           { time } into { seq }, so the engine never needs a clock. */
        int is_read = q->type == Q_SEARCH || q->type == Q_SEARCH_ONE || q->type == Q_GET_ALL || q->type == Q_COUNT;
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "seq");
        if (!is_read) { hs_snprintf(err, cap, "asOf is only allowed on reads (search, searchOne, getAll, count)"); return 0; }
        if (!cJSON_IsNumber(s) || s->valuedouble < 0 || s->valuedouble != floor(s->valuedouble) || s->valuedouble > 4294967295.0)
            return bad(err, cap, "asOf", "{ \"seq\": a commit number }");
        uint32_t seq = (uint32_t)s->valuedouble;
        if (seq > db->seq) { hs_snprintf(err, cap, "asOf seq %u is after the latest commit (%u)", seq, db->seq); return 0; }
        if (seq < db->oldest) { hs_snprintf(err, cap, "asOf seq %u is older than the kept history (oldest seq %u)", seq, db->oldest); return 0; }
        if (seq < db->seq) q->as_of = seq;
    }

    uint8_t *enc;
    if (!get_object_val(db, j, "queryNode", &enc, err, cap)) return 0;
    if (!compile_node(q, enc, err, cap)) return 0;
    if (!get_object_val(db, j, "sortObj", &enc, err, cap)) return 0;
    if (enc) {
        char sub[200];
        sub[0] = 0;
        q->sort = sort_compile(enc, sub, sizeof sub);
        free(enc);
        if (!q->sort) { hs_snprintf(err, cap, "sortObj: %s", sub); return 0; }
    }
    return check_needs(q, err, cap);
}

/* ---- the plain shape of a write, read from the text without cJSON ---- */

/* The members query_parse_plain reads; any other member sends the text to query_parse. */
enum { PK_TARGET, PK_TYPE, PK_CLASS, PK_VERSION, PK_NODE, PK_OVERRIDE, PK_ADD, PK_RETURN, PK_MUST, PK_SERIAL };

static int plain_key(const char *k, size_t n) {
#define IS(lit) (n == sizeof lit - 1 && memcmp(k, lit, n) == 0)
    if (IS("target")) return PK_TARGET;
    if (IS("type")) return PK_TYPE;
    if (IS("className")) return PK_CLASS;
    if (IS("version")) return PK_VERSION;
    if (IS("queryNode")) return PK_NODE;
    if (IS("overrideData")) return PK_OVERRIDE;
    if (IS("addData")) return PK_ADD;
    if (IS("returnData")) return PK_RETURN;
    if (IS("mustAffectAtLeastOne")) return PK_MUST;
    if (IS("serialKey")) return PK_SERIAL;
#undef IS
    return -1;
}

/* The end (past the closing quote) of the string at t[p] when it holds only printable ASCII
   without escapes (so it reads the same as cJSON's and holds no U+0000), else 0. */
static size_t plain_string(const char *t, size_t n, size_t p) {
    if (p >= n || t[p] != '"') return 0;
    for (size_t i = p + 1; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == '"') return i + 1;
        if (c < 0x20 || c > 0x7e || c == '\\') return 0;
    }
    return 0;
}

int query_parse_plain(const char *t, size_t n, query *q, char *target, size_t tcap, jscan_span *add_span, int *only_add, int docs_encoded) {
    memset(q, 0, sizeof *q);
    const char *tg = NULL, *ty = NULL, *sk = NULL;
    size_t tg_len = 0, ty_len = 0, sk_len = 0, p = 1;
    unsigned seen = 0;
    uint8_t *node_enc = NULL;
    int must = 1, ret = 0, doc_members = 0;
    if (n < 2 || t[0] != '{') return 0;
    for (;;) {
        size_t kend = plain_string(t, n, p), vend;
        if (!kend || kend >= n || t[kend] != ':') goto other;
        int key = plain_key(t + p + 1, kend - p - 2);
        if (key < 0 || (seen & (1u << key))) goto other;   /* a duplicate: the strict check refuses it */
        seen |= 1u << key;
        p = kend + 1;
        switch (key) {
        case PK_TARGET: case PK_TYPE: case PK_CLASS: case PK_VERSION: case PK_SERIAL:
            if (!(vend = plain_string(t, n, p))) goto other;
            if (key == PK_TARGET) { tg = t + p + 1; tg_len = vend - p - 2; }
            if (key == PK_SERIAL) {   /* only beside encoded documents: the text path leaves it to query_parse */
                if (!docs_encoded) goto other;
                sk = t + p + 1;
                sk_len = vend - p - 2;
            }
            if (key == PK_TYPE) {   /* a read or another type leaves at once, before any parsing */
                ty = t + p + 1;
                ty_len = vend - p - 2;
                q->type = -1;
                for (int i = Q_ADD; i <= Q_DELETE_ONE; i++)
                    if (strlen(query_type_names[i]) == ty_len && memcmp(query_type_names[i], ty, ty_len) == 0) q->type = i;
                if (q->type < 0) goto other;
            }
            if (key == PK_CLASS && !(vend - p == 7 && memcmp(t + p, "\"Query\"", 7) == 0)) goto other;
            break;
        case PK_RETURN: case PK_MUST: {
            int v;
            if (n - p >= 4 && memcmp(t + p, "true", 4) == 0) { v = 1; vend = p + 4; }
            else if (n - p >= 5 && memcmp(t + p, "false", 5) == 0) { v = 0; vend = p + 5; }
            else goto other;
            if (key == PK_RETURN) ret = v;
            else must = v;
            break;
        }
        case PK_NODE: case PK_OVERRIDE: {
            /* Parsed as query_parse parses these members once they are cut out (get_object_val). */
            if (p >= n || t[p] != '{') goto other;
            buf b;
            buf_init(&b);
            vend = p;
            const char *e = jscan_value_depth(t, n, &vend, &b, key == PK_NODE ? JSCAN_NODE_DEPTH : VAL_MAX_DEPTH);
            if (e || b.oom) { buf_free(&b); goto other; }
            if (key == PK_NODE) node_enc = (uint8_t *)b.data;
            else q->override_val = (uint8_t *)b.data;
            doc_members++;
            break;
        }
        default: /* PK_ADD: its documents are parsed one by one as the add runs (exec.c) */
            if (docs_encoded) {   /* the 0 that stands for db->docs_in, and nothing else */
                if (p >= n || t[p] != '0' || (p + 1 < n && t[p + 1] != ',' && t[p + 1] != '}')) goto other;
                vend = p + 1;
                add_span->start = p;
                add_span->end = vend;
                q->add_span = add_span;
                q->add_encoded = 1;
                doc_members++;
                break;
            }
            if (p >= n || t[p] != '[') goto other;
            vend = jscan_skip(t, n, p);
            if (vend >= n || t[vend - 1] != ']') goto other;
            add_span->start = p;
            add_span->end = vend;
            q->add_span = add_span;
            doc_members++;
            break;
        }
        p = vend;
        if (p < n && t[p] == ',') { p++; continue; }
        if (p + 1 == n && t[p] == '}') break;
        goto other;
    }
    if (!tg || !ty || tg_len >= tcap || (sk && tg_len + 1 + sk_len >= tcap)) goto other;
    memcpy(target, tg, tg_len);
    target[tg_len] = 0;
    q->target = target;
    if (sk) {   /* after the target's NUL, in the same buffer */
        memcpy(target + tg_len + 1, sk, sk_len);
        target[tg_len + 1 + sk_len] = 0;
        q->serial_key = target + tg_len + 1;
    }
    q->type_name = query_type_names[q->type];
    q->return_data = ret;
    q->must_affect = must;
    q->as_of = SEQ_PRESENT;
    *only_add = q->type == Q_ADD && q->add_span && doc_members == 1;
    char err[200];
    uint8_t *enc = node_enc;
    node_enc = NULL;
    if (compile_node(q, enc, err, sizeof err) && check_needs(q, err, sizeof err)) return 1;
other:
    free(node_enc);
    query_free(q);
    return 0;
}
