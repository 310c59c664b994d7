/*
 * access.c: collectionPermissions for the time-travel API (history, diff, toDict as of a
 * commit, revert, fork), the same argument and the same rule as for queries.
 *
 * Rules: reading a collection needs search, searchOne or getAll on it (as a merge's inputs
 * do). history needs it on its target; diff and toDict-at list only readable collections;
 * fork copies every collection's history, so it needs read access to all of them; revert
 * (undo, redo) replaces the contents of every collection it changes, as clearAdd does, so it
 * needs clearAdd on each. Invariants: a refused call changes nothing and its output is
 * {"error": ...}; with no permissions text (length 0) these are the unrestricted calls.
 */
#include "hsint.h"
#include "fmt.h"
#include "jarena.h"
#include <stdio.h>
#include <stdlib.h>

static int allows(const cJSON *perms, const char *name, const char *const *types, int ntypes) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(perms, name);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(p, "allows");
    for (const cJSON *a = cJSON_IsArray(list) ? list->child : NULL; a; a = a->next)
        for (int k = 0; k < ntypes; k++)
            if (cJSON_IsString(a) && strcmp(a->valuestring, types[k]) == 0) return 1;
    return 0;
}

static const char *const read_types[] = {"search", "searchOne", "getAll"};
static const char *const revert_types[] = {"clearAdd"};

int perm_may_read(const cJSON *perms, const char *name) { return allows(perms, name, read_types, 3); }

/* Runs body with the permissions parsed (NULL when none were given). */
#define WITH_PERMISSIONS(db, text, len, perms, body) do {                        \
        jarena_begin();                                                          \
        hs_rc rc_ = HS_OK;                                                       \
        const cJSON *perms = NULL;                                               \
        if ((text) && (len)) perms = db_parse_permissions(db, text, len, &rc_);  \
        if (rc_ == HS_OK) rc_ = (body);                                          \
        jarena_end();                                                            \
        return rc_;                                                              \
    } while (0)

hs_rc hs_db_to_dict_at_for(hs_db *db, uint32_t s, const char *ptext, size_t plen) {
    if (!db) return HS_MISUSE;
    WITH_PERMISSIONS(db, ptext, plen, perms, db_to_dict_for(db, s, perms));
}

static hs_rc history_for(hs_db *db, const cJSON *perms, const char *target, size_t tlen, const char *node, size_t nlen, uint32_t from, uint32_t to) {
    if (perms) {
        char name[512];
        if (tlen >= sizeof name || has_nul(target, tlen)) return db_error(db, "Operation not permitted.");
        memcpy(name, target, tlen);
        name[tlen] = 0;
        if (!perm_may_read(perms, name)) return db_error(db, "Operation not permitted.");
    }
    return hs_db_history(db, target, tlen, node, nlen, from, to);
}

hs_rc hs_db_history_for(hs_db *db, const char *target, size_t tlen, const char *node, size_t nlen, uint32_t from, uint32_t to, const char *ptext, size_t plen) {
    if (!db || !target) return HS_MISUSE;
    WITH_PERMISSIONS(db, ptext, plen, perms, history_for(db, perms, target, tlen, node, nlen, from, to));
}

/* Keeps only the members of the JSON object in db->out whose names perms lets the caller
   read (the diff's output: {collection: {...}}). */
static hs_rc keep_readable_members(hs_db *db, const cJSON *perms) {
    const char *t = db->out.data;
    size_t n = db->out.len, i = 1;
    buf kept, name;
    buf_init(&kept);
    buf_init(&name);
    buf_putc(&kept, '{');
    int first = 1;
    while (t && i < n && t[i] == '"') {
        size_t key_end = jscan_skip(t, n, i);
        buf_clear(&name);
        size_t pos = i;
        if (jscan_value(t, key_end, &pos, &name) || name.oom) break;
        size_t klen;
        const char *k = val_str((val)name.data, &klen);
        size_t value_start = key_end + 1, value_end = jscan_skip(t, n, value_start);
        char cname[512];
        int ok = klen < sizeof cname && !has_nul(k, klen);
        if (ok) { memcpy(cname, k, klen); cname[klen] = 0; ok = perm_may_read(perms, cname); }
        if (ok) {
            if (!first) buf_putc(&kept, ',');
            first = 0;
            buf_put(&kept, t + i, value_end - i);
        }
        i = value_end + (value_end < n && t[value_end] == ',');
    }
    buf_putc(&kept, '}');
    buf_free(&name);
    if (kept.oom) { buf_free(&kept); return HS_NOMEM; }
    buf_free(&db->out);
    db->out = kept;
    return HS_OK;
}

static hs_rc diff_for(hs_db *db, const cJSON *perms, uint32_t a, uint32_t b) {
    hs_rc rc = hs_db_diff(db, a, b);
    return rc == HS_OK && perms ? keep_readable_members(db, perms) : rc;
}

hs_rc hs_db_diff_for(hs_db *db, uint32_t a, uint32_t b, const char *ptext, size_t plen) {
    if (!db) return HS_MISUSE;
    WITH_PERMISSIONS(db, ptext, plen, perms, diff_for(db, perms, a, b));
}

/* Whether reverting to s would change c: its life, serial, or any row's document. */
static int revert_changes(const coll *c, uint32_t s) {
    if (coll_alive_at(c, s) != c->alive || coll_serial_at(c, s) != c->serial) return 1;
    for (size_t r = 0; r < c->len; r++)
        if (row_at(&c->rows[r], s) != c->rows[r].cur) return 1;
    return 0;
}

hs_rc access_check_revert(hs_db *db, uint32_t s) {
    for (size_t i = 0; i < db->ncolls; i++) {
        const coll *c = db->colls[i];
        if (revert_changes(c, s) && !allows(db->revert_perms, c->name, revert_types, 1)) {
            char msg[200];
            hs_snprintf(msg, sizeof msg, "Operation not permitted: the revert changes '%.100s', which needs clearAdd permission", c->name);
            return db_error(db, msg);
        }
    }
    return HS_OK;
}

/* A revert, undo or redo (kind: 0, CK_UNDO, CK_REDO) under perms: the check runs in
   db_revert_now, the one path every revert takes, once its target seq is known. */
static hs_rc revert_for(hs_db *db, const cJSON *perms, int kind, uint32_t s, const char *meta, size_t mlen) {
    db->revert_perms = perms;
    hs_rc rc = kind == CK_UNDO ? hs_db_undo(db, meta, mlen) : kind == CK_REDO ? hs_db_redo(db, meta, mlen) : hs_db_revert_meta(db, s, meta, mlen);
    db->revert_perms = NULL;
    return rc;
}

hs_rc hs_db_revert_for(hs_db *db, uint32_t s, const char *meta, size_t mlen, const char *ptext, size_t plen) {
    if (!db) return HS_MISUSE;
    WITH_PERMISSIONS(db, ptext, plen, perms, revert_for(db, perms, 0, s, meta, mlen));
}

hs_rc hs_db_undo_for(hs_db *db, const char *meta, size_t mlen, const char *ptext, size_t plen) {
    if (!db) return HS_MISUSE;
    WITH_PERMISSIONS(db, ptext, plen, perms, revert_for(db, perms, CK_UNDO, 0, meta, mlen));
}

hs_rc hs_db_redo_for(hs_db *db, const char *meta, size_t mlen, const char *ptext, size_t plen) {
    if (!db) return HS_MISUSE;
    WITH_PERMISSIONS(db, ptext, plen, perms, revert_for(db, perms, CK_REDO, 0, meta, mlen));
}

static hs_rc fork_for(hs_db *db, const cJSON *perms, uint32_t s, hs_db **out) {
    for (size_t i = 0; perms && i < db->ncolls; i++)
        if (!perm_may_read(perms, db->colls[i]->name)) {
            char msg[200];
            hs_snprintf(msg, sizeof msg, "Operation not permitted: a fork copies '%.100s', which the permissions do not let the caller read", db->colls[i]->name);
            return db_error(db, msg);
        }
    *out = hs_db_fork(db, s);
    return *out ? HS_OK : HS_NOMEM;
}

hs_rc hs_db_fork_for(hs_db *db, uint32_t s, const char *ptext, size_t plen, hs_db **out) {
    if (!db || !out) return HS_MISUSE;
    *out = NULL;
    WITH_PERMISSIONS(db, ptext, plen, perms, fork_for(db, perms, s, out));
}
