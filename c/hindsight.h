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

/* Result codes, shared with JS (js/engine.js maps each to a HindsightError code of the same
   name). Every code but HS_OK leaves the database unchanged and the output holds
   {"error": message} (HS_NOMEM: when there was memory to write it). */
typedef enum hs_rc {
    HS_OK = 0,      /* the call ran; for queries, the result JSON says whether the query succeeded */
    HS_ERROR = 1,   /* INVALID_ARGUMENT: the input was refused */
    HS_NOMEM = 2,   /* NOMEM: out of memory */
    HS_MISUSE = 3,  /* INTERNAL: NULL handle or similar programming error */
    HS_TOO_OLD = 4, /* TOO_OLD: a seq before the retention horizon */
    HS_CORRUPT = 5, /* CORRUPT: a snapshot or log record that cannot be loaded or replayed */
    HS_INTERNAL = 6 /* INTERNAL: a broken invariant */
} hs_rc;
#define HS_INVALID_ARGUMENT HS_ERROR

/* Process-wide setting: a function the engine calls now and then inside long loops that
   allocate (the wasm build grows memory ahead there); NULL (the default) for none. */
void hs_set_heap_hint(void (*fn)(void));

hs_db *hs_db_open(void);
void hs_db_close(hs_db *db);

/* Runs a Query or TransactionQuery. permissions is a JSON object of collection name to
   Permission, or NULL (length 0) to allow everything. The output is a QueryResult or
   TransactionQueryResult; a query that fails leaves the database unchanged. */
hs_rc hs_db_execute(hs_db *db, const char *query, size_t len, const char *permissions, size_t plen);
/* The same, with the metadata of the commit it may make: {"time": ms, "cause": any JSON,
   "id": "origin.counter" (kept from an earlier life: replay, rebase)}, each optional. The
   meta is checked before the query runs; the commit and its record are made together. */
hs_rc hs_db_execute_meta(hs_db *db, const char *query, size_t len, const char *permissions, size_t plen,
                         const char *meta, size_t mlen);
/* A plain add (hs_db_execute's plain shape, no permissions, a serialKey allowed) whose
   documents come already in the storage format (c/value.h), dlen bytes of them one after
   another, in place of the number 0 that stands for addData in the query text. They are checked to be exactly what
   the JSON parser would build (val_check), and the commit and its record are the same as
   for the JSON text. HS_MISUSE, nothing changed, for a query of any other shape. */
hs_rc hs_db_execute_docs(hs_db *db, const char *query, size_t len, const char *meta, size_t mlen,
                         const uint8_t *docs, size_t dlen);
/* Writes the whole database as a DeltaTraceDatabase dict. */
hs_rc hs_db_to_dict(hs_db *db);
/* The same, as of commit s (oldest <= s <= seq). */
hs_rc hs_db_to_dict_at(hs_db *db, uint32_t s);
/* One collection as of commit s with its row ids: {"collections":[names],"rowIds":[...],"data":[...]}
   (rowIds and data null when name is NULL or not a collection at s). */
hs_rc hs_db_rows_at(hs_db *db, uint32_t s, const char *name, size_t name_len);
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
/* The same with a meta text as for hs_db_execute_meta; "undo": id / "redo": id mark an
   undo or redo of that commit (then s is taken from the commit's seq when it is kept). */
hs_rc hs_db_revert_meta(hs_db *db, uint32_t s, const char *meta, size_t mlen);
/* Takes back the latest commit not yet undone / reapplies the latest undone one, as a new
   commit. The stacks are derived from the commit records, so they survive a reopen. Output
   {"seq": n} or {"seq": null} when there is nothing to do. meta as above ("minSeq": the
   oldest seq they may go back to). */
hs_rc hs_db_undo(hs_db *db, const char *meta, size_t mlen);
hs_rc hs_db_redo(hs_db *db, const char *meta, size_t mlen);

/* ---- the commit table (commits.c) ---- */
/* Sets the origin of the ids of new commits (1..64 characters of [A-Za-z0-9_-]); a new
   origin starts its counter at 1. */
hs_rc hs_db_set_origin(hs_db *db, const char *origin, size_t len);
/* [{"seq","id","time","cause","query"}] for the kept commits from <= seq <= to, at most
   limit. Each element is also the store's log record of that commit. */
hs_rc hs_db_commits(hs_db *db, uint32_t from, uint32_t to, uint32_t limit);
/* The time of the base (the state at the horizon) of a database with no kept commit yet
   (an import); NaN for unknown. */
hs_rc hs_db_set_base_time(hs_db *db, double ms);
/* The same without the queries: [{"seq","id","time","cause"}]. */
hs_rc hs_db_commit_info(hs_db *db, uint32_t from, uint32_t to);
/* The seq of the last commit at or before time ms; HS_TOO_OLD before the kept history. */
hs_rc hs_db_seq_at_time(hs_db *db, double ms);
/* The time of commit seq (the base's when seq is the horizon): {"time": ms|null}. */
hs_rc hs_db_time_of(hs_db *db, uint32_t seq);
/* [{"seq","id","changes":{collection:{"added":[row ids],"removed":[..],"changed":[..]}}}]
   for the commits since < seq <= until. */
hs_rc hs_db_changes(hs_db *db, uint32_t since, uint32_t until);
/* Applies again, in order, a JSON list of commit records {"seq", "id", "time", "cause",
   "query"} (as hs_db_commits writes them; all but query optional), whose query is a Query,
   TransactionQuery, or {"className": "HindsightRevert", "toSeq": s[, "undo"|"redo": id]
   [, "state": {...}]}, each becoming the next commit with its id, time and cause. Stops at
   the first one that does not commit (HS_CORRUPT, naming it); those before it stay. A record
   without an id (written before ids existed) gets "legacy.<seq>". */
hs_rc hs_db_replay(hs_db *db, const char *json, size_t len);
/* Applies again, in order, the commits from..to (at most limit) of another database src (a
   rebase: a page's own commits put on top of what other pages wrote), each becoming db's next
   commit with its id, time and cause, as hs_db_replay does with their records, without their
   text crossing into JS and back. Stops, without an error, before the first that is a revert
   (or not kept) or that does not commit again: the caller deals with that one. The output has
   one line per commit made ('\n' between them; a record holds no raw newline): empty when its
   record is src's record but for the seq (the usual case: same id, time, cause and query),
   else its record as hs_db_commits writes it (an add whose documents changed, say a serial
   key). Empty output when none was made. src is only read. */
hs_rc hs_db_replay_from(hs_db *db, const hs_db *src, uint32_t from, uint32_t to, uint32_t limit);
/* A new database holding the state and history up to s; NULL on error or out of memory. */
hs_db *hs_db_fork(const hs_db *db, uint32_t s);
/* Moves the retention horizon to h (oldest <= h <= seq) and frees what no kept seq sees. */
hs_rc hs_db_set_horizon(hs_db *db, uint32_t h);
/* The whole state, history included, as one JSON text (snapshot.c has the format). */
hs_rc hs_db_dump(hs_db *db);
/* Replaces the whole state with a dump; on error nothing changes. */
hs_rc hs_db_load(hs_db *db, const char *json, size_t len);
/* {"seq","oldestSeq","commits","versions","historyBytes","liveDocuments"}, in O(collections). */
hs_rc hs_db_stats(hs_db *db);
/* Payload bytes by part: {"currentDocuments","pastDocuments","versionNodes","rowTables",
   "changeLog","commitTable","commitIds","commitCauses","commitQueries","commitRefs",
   "commitTemplates","blocks"}
   (blocks: how many allocations hold them). O(rows + commits): for measuring. */
hs_rc hs_db_memory_parts(hs_db *db);

/* Declares an index on field (a dot path) of collection target, which need not exist yet:
   the planner then builds an equality and a range index there at their first use instead of
   after a few. Not a commit; kept in hs_db_dump. Output {"created": true|false (already)}. */
hs_rc hs_db_create_index(hs_db *db, const char *target, size_t tlen, const char *field, size_t flen);
/* The plan the query would run with now, without running it or counting a use:
   {"plan": "scan"|"equalityIndex"|"rangeIndex"|"none", "field": name|null, "asOf": bool,
    "sort": "none"|"all"|"topK"(, "k": n)}. "topK" keeps the first k of the order (it falls
   back to sorting all when the hits are fewer than 4k). */
hs_rc hs_db_explain(hs_db *db, const char *query, size_t len);

/* The same calls limited by collectionPermissions (access.c has the rules); permissions
   of length 0 allow everything. A refusal is HS_ERROR with {"error": ...}. */
hs_rc hs_db_to_dict_at_for(hs_db *db, uint32_t s, const char *permissions, size_t plen);
hs_rc hs_db_history_for(hs_db *db, const char *target, size_t tlen, const char *node, size_t nlen, uint32_t from, uint32_t to, const char *permissions, size_t plen);
hs_rc hs_db_diff_for(hs_db *db, uint32_t a, uint32_t b, const char *permissions, size_t plen);
/* Revert, undo and redo with their commit meta (as hs_db_revert_meta, hs_db_undo, hs_db_redo),
   refused unless the permissions allow clearAdd on every collection the revert changes. */
hs_rc hs_db_revert_for(hs_db *db, uint32_t s, const char *meta, size_t mlen, const char *permissions, size_t plen);
hs_rc hs_db_undo_for(hs_db *db, const char *meta, size_t mlen, const char *permissions, size_t plen);
hs_rc hs_db_redo_for(hs_db *db, const char *meta, size_t mlen, const char *permissions, size_t plen);
hs_rc hs_db_fork_for(hs_db *db, uint32_t s, const char *permissions, size_t plen, hs_db **fork);

const char *hs_db_output(const hs_db *db, size_t *len);
/* Frees the output buffer after a large result, so its memory can be reused. */
void hs_db_release_output(hs_db *db);
/* When the last execute's whole output is one QueryResult with many documents: the offsets
   of its result array's '[' and ']' and of every 256th ',' between its documents, in order
   (*n of them; 0 otherwise), so a caller can parse the documents in slices. Valid until the
   next call on db. */
const uint32_t *hs_db_output_marks(const hs_db *db, size_t *n);
const char *hs_errstr(hs_rc rc);
#endif
