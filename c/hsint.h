/*
 * hsint.h: the engine's internal structures, shared by db.c, exec.c, query.c, merge.c,
 * history.c and access.c.
 *
 * Invariants: collections appear in colls[] in creation order (the key order of toDict);
 * names are unique, and a removed collection stays (alive == 0) while history needs it;
 * every collection is owned by exactly one database. seq is the latest commit, oldest the
 * retention horizon: as-of reads accept oldest <= s <= seq. While a call runs, hist.seq is
 * seq + 1, the commit being built; it becomes seq only if the call succeeds and writes.
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
    uint32_t seq, oldest;
    hist hist;
};

#define SEQ_PRESENT UINT32_MAX

/* Names (collections, permission keys, merge parameters) are NUL-terminated inside the
   engine, so U+0000 in one would make it alias a shorter name: such names are refused. */
#define MSG_NUL_NAME "names and other strings outside documents must not contain U+0000"
static inline int has_nul(const char *s, size_t n) { return memchr(s, 0, n) != NULL; }

/* Called now and then inside long loops that allocate: the wasm build grows memory ahead
   in large steps there (wasm.c), since growing it 64 KiB at a time is slow. Natively it is
   not defined and the call is skipped. */
void hs_heap_hint(void) __attribute__((weak));
static inline void heap_hint(size_t i) { if ((i & 4095) == 0 && hs_heap_hint) hs_heap_hint(); }   /* "no asOf": read the current state */

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
    uint32_t as_of;                  /* SEQ_PRESENT unless the read has asOf */
} query;

/* Parses a Query dict. On failure fills err and returns 0 (target/type_name are still set
   when they could be read, for the error result). */
int query_parse(const hs_db *db, const cJSON *json, query *q, char *err, size_t errcap);
void query_free(query *q);

/* The live collection of that name, or NULL. */
coll *db_find(const hs_db *db, const char *name);
/* The collection of that name as of seq s (SEQ_PRESENT: now), or NULL. */
coll *db_find_at(const hs_db *db, const char *name, uint32_t s);
/* Creates (or revives a removed) collection in the pending commit; NULL on out of memory. */
coll *db_create(hs_db *db, const char *name);
void db_unlink_free(hs_db *db, coll *c);
/* Adds an already built collection at the end of the order. 0 on out of memory. */
int db_append_coll(hs_db *db, coll *c);
/* Writes {"error": msg} as the output; returns HS_ERROR (HS_NOMEM if that failed). */
hs_rc db_error(hs_db *db, const char *msg);
/* Replaces db's collections and change log with fresh's, and closes fresh (a snapshot or a
   dict is built apart and swapped in, so a bad one changes nothing). */
void db_adopt(hs_db *db, hs_db *fresh);
/* Undoes everything the pending commit changed. */
void db_rollback(hs_db *db);
/* The document of row r as seen at s (SEQ_PRESENT: now). */
static inline doc *row_doc(const row *r, uint32_t s) { return s == SEQ_PRESENT ? r->cur : row_at(r, s); }

/* Executes one parsed query and appends its QueryResult JSON to db->out.
   Returns 1 if the query succeeded (and was applied), 0 if it failed (nothing changed). */
int exec_query(hs_db *db, const query *q);
/* Merge, in merge.c. Same contract as exec_query. */
int exec_merge(hs_db *db, const query *q);
/* Writes a QueryResult. docs may be NULL when ndocs is 0. */
void put_result(buf *out, int ok, const char *target, const char *type, val *docs, size_t ndocs,
                int64_t db_length, int64_t update_count, int64_t hit_count, const char *error);
int check_permissions(const cJSON *perms, const query *q);
/* Parses and checks a collectionPermissions text (in the call's parse arena: call between
   jarena_begin and jarena_end). NULL with *rc set and the error written when it is not a
   map of collection name -> Permission. */
const cJSON *db_parse_permissions(hs_db *db, const char *text, size_t len, hs_rc *rc);
/* toDict at s of only the collections perms lets the caller read (perms NULL: all). */
hs_rc db_to_dict_for(hs_db *db, uint32_t s, const cJSON *perms);
/* Whether perms lets the caller read (search, searchOne or getAll) the named collection. */
int perm_may_read(const cJSON *perms, const char *name);
#endif
