/*
 * hsint.h: the engine's internal structures, shared by db.c, exec.c, query.c and merge.c.
 *
 * Invariants: collections appear in colls[] in creation order (the key order of toDict);
 * names are unique; every collection is owned by exactly one database.
 */
#ifndef HS_HSINT_H
#define HS_HSINT_H
#include "hindsight.h"
#include "coll.h"
#include "node.h"
#include "sort.h"
#include "cJSON.h"
#include "json_scan.h"

struct hs_db {
    coll **colls;
    size_t ncolls, cap;
    buf out;          /* text of the last call's result */
    buf scratch;      /* document building */
    node_ctx nctx;
    /* Document arrays cut out of the current input (json_scan.h); valid during one call. */
    const char *input;
    jscan_span *spans;
    size_t nspans;
    buf envelope;
};

enum {
    Q_ADD, Q_UPDATE, Q_UPDATE_ONE, Q_DELETE, Q_DELETE_ONE, Q_SEARCH, Q_SEARCH_ONE, Q_GET_ALL,
    Q_CONFORM, Q_RENAME, Q_COUNT, Q_CLEAR, Q_CLEAR_ADD, Q_REMOVE_COLLECTION, Q_MERGE, Q_NTYPES
};
extern const char *const query_type_names[Q_NTYPES];

/* A parsed Query. Pointers into the cJSON tree are borrowed from the parsed text. */
typedef struct query {
    int type;
    const char *target, *type_name;
    const cJSON *add_data;           /* when addData was left in the cJSON tree */
    const jscan_span *add_span;      /* when it was cut out of the text: parse from db->input */
    const cJSON *merge_params;
    uint8_t *override_val, *template_val, *start_after, *end_before;  /* owned encodings */
    qnode *node;
    qsort_spec *sort;
    int has_offset, has_limit;
    int64_t offset, limit;
    const char *rename_before, *rename_after, *serial_key;
    int return_data, must_affect, reset_serial;
} query;

/* Parses a Query dict. On failure fills err and returns 0 (target/type_name are still set
   when they could be read, for the error result). */
int query_parse(const hs_db *db, const cJSON *json, query *q, char *err, size_t errcap);
void query_free(query *q);

coll *db_find(const hs_db *db, const char *name);
/* Creates an empty collection at the end of the order; NULL on out of memory. */
coll *db_create(hs_db *db, const char *name);
void db_remove(hs_db *db, coll *c);

/* Executes one parsed query and appends its QueryResult JSON to db->out.
   Returns 1 if the query succeeded (and was applied), 0 if it failed (nothing changed). */
int exec_query(hs_db *db, const query *q);
/* Merge, in merge.c. Same contract as exec_query. */
int exec_merge(hs_db *db, const query *q);
/* Writes a QueryResult. docs may be NULL when ndocs is 0. */
void put_result(buf *out, int ok, const char *target, const char *type, val *docs, size_t ndocs,
                int64_t db_length, int64_t update_count, int64_t hit_count, const char *error);
int check_permissions(const cJSON *perms, const query *q);
#endif
