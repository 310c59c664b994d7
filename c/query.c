/*
 * query.c: reading a DeltaTraceDB Query dict (protocol §2) into a struct query.
 *
 * Accepts what both DeltaTraceDB implementations write: missing or null optional keys take
 * Python's defaults (returnData false, mustAffectAtLeastOne true, resetSerial false).
 * Wrong types are refused with a message naming the key, never guessed at.
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

    char sub[200];
    sub[0] = 0;
    uint8_t *enc;
    if (!get_object_val(db, j, "queryNode", &enc, err, cap)) return 0;
    if (enc) {
        q->node = node_compile(enc, sub, sizeof sub);
        free(enc);
        if (!q->node) { hs_snprintf(err, cap, "queryNode: %s", sub); return 0; }
    }
    if (!get_object_val(db, j, "sortObj", &enc, err, cap)) return 0;
    if (enc) {
        q->sort = sort_compile(enc, sub, sizeof sub);
        free(enc);
        if (!q->sort) { hs_snprintf(err, cap, "sortObj: %s", sub); return 0; }
    }

    /* What each type needs before it can run. */
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
