/*
 * hindsight.h: the public C API of the Hindsight engine.
 *
 * A database is an opaque handle. Every call takes JSON text in as (pointer, length) and
 * writes JSON text out into the handle's output buffer, read back with hs_db_output()
 * until the next call on the same handle. Inputs are borrowed; the engine keeps no pointer
 * into them. The engine does no I/O, reads no clock and no randomness: the same calls in
 * the same order give the same state and the same output, byte for byte.
 */
#ifndef HINDSIGHT_H
#define HINDSIGHT_H
#include <stddef.h>
#include <stdint.h>

typedef struct hs_db hs_db;

typedef enum hs_rc {
    HS_OK = 0,      /* the call ran; for queries, the result JSON says whether the query succeeded */
    HS_ERROR = 1,   /* the input was refused; the output holds {"error": message} */
    HS_NOMEM = 2,   /* out of memory; the database is unchanged */
    HS_MISUSE = 3   /* NULL handle or similar programming error */
} hs_rc;

hs_db *hs_db_open(void);
void hs_db_close(hs_db *db);

/* Runs a Query or TransactionQuery. permissions is a JSON object of collection name to
   Permission, or NULL (length 0) to allow everything. The output is a QueryResult or
   TransactionQueryResult; a query that fails leaves the database unchanged. */
hs_rc hs_db_execute(hs_db *db, const char *query, size_t len, const char *permissions, size_t plen);
/* Writes the whole database as a DeltaTraceDatabase dict. */
hs_rc hs_db_to_dict(hs_db *db);
/* The same, as of commit s (oldest <= s <= seq). */
hs_rc hs_db_to_dict_at(hs_db *db, uint32_t s);
/* Replaces the whole database with a DeltaTraceDatabase dict; on error nothing changes.
   Its documents exist since the current seq (see hs_db_set_base). */
hs_rc hs_db_from_dict(hs_db *db, const char *json, size_t len);

/* ---- time travel (history.c). Each commit is one successful write or transaction. ---- */
uint32_t hs_db_seq(const hs_db *db);           /* the latest commit; 0 for a new database */
uint32_t hs_db_oldest(const hs_db *db);        /* the retention horizon */
/* Makes a fresh database (no commits yet) start at commit `seq`, its current state being the
   state at that commit: used to import a history whose older commits were not kept. */
hs_rc hs_db_set_base(hs_db *db, uint32_t seq);
/* Versions of the documents of `target` that match the node (JSON, or NULL for all) in any
   of their versions, with from <= seq <= to: [{"seq","op","doc"}] oldest first. */
hs_rc hs_db_history(hs_db *db, const char *target, size_t tlen, const char *node, size_t nlen, uint32_t from, uint32_t to);
/* {collection: {added, removed, changed: [{before, after}]}} between two commits. */
hs_rc hs_db_diff(hs_db *db, uint32_t a, uint32_t b);
/* A new commit whose state (documents, their order, serial counters, which collections
   exist) equals the state at s. */
hs_rc hs_db_revert(hs_db *db, uint32_t s);
/* A new commit that replaces whole collections: {"collections": {name: {"data": [...],
   "serialNum": n} | null}} (null removes it). Used to import a revert commit whose target
   state is older than the exported history. */
hs_rc hs_db_apply_state(hs_db *db, const char *json, size_t len);
/* Applies again, in order, a JSON list of exported commit queries (Query, TransactionQuery,
   or {"className": "HindsightRevert", "toSeq": s[, "state": {...}]}), each becoming the
   next commit. Stops at the first one that does not commit, with an error naming it. */
hs_rc hs_db_replay(hs_db *db, const char *json, size_t len);
/* A new database holding the state and history up to s; NULL on error or out of memory. */
hs_db *hs_db_fork(const hs_db *db, uint32_t s);
/* Moves the retention horizon to h (oldest <= h <= seq) and frees what no kept seq sees. */
hs_rc hs_db_set_horizon(hs_db *db, uint32_t h);
/* The whole state, history included, as one JSON text (snapshot.c has the format). */
hs_rc hs_db_dump(hs_db *db);
/* Replaces the whole state with a dump; on error nothing changes. */
hs_rc hs_db_load(hs_db *db, const char *json, size_t len);
/* {"seq","oldestSeq","versions","historyBytes","liveDocuments"} */
hs_rc hs_db_stats(hs_db *db);

/* The same calls limited by collectionPermissions (access.c has the rules); permissions
   of length 0 allow everything. A refusal is HS_ERROR with {"error": ...}. */
hs_rc hs_db_to_dict_at_for(hs_db *db, uint32_t s, const char *permissions, size_t plen);
hs_rc hs_db_history_for(hs_db *db, const char *target, size_t tlen, const char *node, size_t nlen, uint32_t from, uint32_t to, const char *permissions, size_t plen);
hs_rc hs_db_diff_for(hs_db *db, uint32_t a, uint32_t b, const char *permissions, size_t plen);
hs_rc hs_db_revert_for(hs_db *db, uint32_t s, const char *permissions, size_t plen);
hs_rc hs_db_fork_for(hs_db *db, uint32_t s, const char *permissions, size_t plen, hs_db **fork);

const char *hs_db_output(const hs_db *db, size_t *len);
/* Frees the output buffer after a large result, so its memory can be reused. */
void hs_db_release_output(hs_db *db);
const char *hs_errstr(hs_rc rc);
#endif
