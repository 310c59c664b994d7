/*
 * hsint.h: the engine's internal structures, shared by db.c, exec.c, query.c, merge.c,
 * history.c, commits.c, snapshot.c and access.c.
 *
 * Invariants: collections appear in colls[] in creation order (the key order of toDict);
 * names are unique, and a removed collection stays (alive == 0) while history needs it;
 * every collection is owned by exactly one database. seq is the latest commit, oldest the
 * retention horizon: as-of reads accept oldest <= s <= seq. While a call runs, hist.seq is
 * seq + 1, the commit being built; it becomes seq only if the call succeeds and writes.
 * Every commit has one record in `commits` (commits.c), made in the same call as the commit
 * or not at all: commits.recs[i].seq == oldest + 1 + i for every kept commit.
 */
#ifndef HS_HSINT_H
#define HS_HSINT_H
#include "hindsight.h"
#include "coll.h"
#include "node.h"
#include "sort.h"
#include "cJSON.h"
#include "json_scan.h"

/* What the engine keeps of each commit besides its row versions (commits.c). */
enum commit_kind { CK_QUERY, CK_ADD, CK_REVERT, CK_UNDO, CK_REDO, CK_STATE };
typedef struct commit_rec {   /* one per kept commit: its fields are ordered to pack */
    uint32_t seq;
    uint32_t to_seq;          /* reverts: the state it went back to */
    uint32_t add_at;          /* CK_ADD: where the documents go back into the query text */
    uint32_t tmpl;            /* 0: the query part is the query text; else template tmpl - 1 of
                                 the log, and the query part holds its literals (commits.c) */
    double time;              /* ms since 1970: the clock's, or kept from an earlier life (rebase) */
    double order_time;        /* max(time, previous order_time): what time lookups search */
    char *text;               /* id, cause JSON (may be empty: null), query JSON, ref id; one allocation */
    uint32_t cause_len, query_len;
    uint8_t kind;
    uint8_t id_len, ref_len;  /* stored bytes; ids are at most 128 bytes (commits.c MAX_ID) */
    uint8_t id_prefix;        /* 0: the id is stored whole; k: it is id_prefixes[k - 1] "."
                                 and the stored digits (commit_id puts it together) */
} commit_rec;

/* A query with its literal values taken out (each is a 0x01 byte), kept once per log. */
typedef struct query_tmpl { char *text; uint32_t len, hash; } query_tmpl;

typedef struct commit_log {
    commit_rec *recs;
    size_t n, cap;
    query_tmpl *tmpls;        /* interned templates, never removed while the log lives */
    size_t ntmpl, captmpl;
    uint32_t *tmpl_slots;     /* hash of tmpls: index + 1, 0 empty; tmpl_mask + 1 slots */
    uint32_t tmpl_mask;
    uint32_t tmpl_last;       /* the template interned last (index + 1; 0 none): consecutive commits
                                 mostly share it, checked before hashing (a guess, verified) */
    char *id_prefixes[255];   /* the prefixes of "prefix.counter" ids (an origin each), NUL-ended */
    size_t nprefix;
    char origin[65];          /* ids of new commits are origin "." counter */
    uint64_t counter;
    double last_time;         /* the latest commit's order_time; base_time when none is kept */
    double base_time;         /* the time of the commit at the horizon; NaN when unknown */
} commit_log;

/* The metadata of the commit a call makes, checked before anything runs (commits.c). */
typedef struct commit_meta {
    double time;              /* NaN: the previous commit's time */
    const char *cause, *id, *ref;   /* borrowed from the meta text; NULL when absent */
    size_t cause_len, id_len, ref_len;
    int ref_kind;             /* CK_UNDO, CK_REDO or 0 */
    uint32_t min_seq;         /* undo/redo: the oldest seq they may go back to */
    /* A query's record split already (a rebase replays another log's record, whose query text
       is this template's with these literals): kept as given instead of split again. */
    const char *tmpl_text, *lits;
    size_t tmpl_len, lits_len;
} commit_meta;

/* Indexes users declared (plan.h): (collection, field) pairs. */
typedef struct declared_index { char *target, *field; } declared_index;
typedef struct declared_list { declared_index *items; size_t n; } declared_list;

/* Where the documents of a big QueryResult sit in its output text, so js/engine.js can
   parse them a slice at a time (JSON.parse of one 15 MB text is 2-3x slower in V8 than of
   its 256-document slices): at[0] is the offset of the result array's '[', at[n-1] of its
   ']', and between them the offset of every OUT_MARK_EVERY-th ',' that separates two
   documents. Only a call's whole output gets marks, and they hold only while out.len ==
   valid_len: any other output (an error, a transaction) leaves valid_len unequal. */
#define OUT_MARK_MIN 4096
#define OUT_MARK_EVERY 256
typedef struct out_marks {
    uint32_t *at;
    size_t n, cap, valid_len;
} out_marks;

struct hs_db {
    coll **colls;
    size_t ncolls, cap;
    buf out;          /* text of the last call's result */
    out_marks marks;  /* where a big result's documents sit in out (put_result) */
    buf scratch;      /* document building */
    node_ctx nctx;
    /* Document arrays cut out of the current input (json_scan.h); valid during one call. */
    const char *input;
    jscan_span *spans;
    size_t nspans;
    buf envelope;
    /* A big add's documents already in the storage format (hs_db_execute_docs); one call. */
    const uint8_t *docs_in;
    size_t docs_in_len;
    uint32_t seq, oldest;
    hist hist;
    commit_log commits;
    commit_meta meta;        /* of the call running now */
    const cJSON *revert_perms;   /* set by access.c for one revert/undo/redo: who may replace what */
    declared_list declared;      /* db.createIndex (plan.h); in the dump */
    int quiet_writes;            /* replay: a write that succeeds writes no result (none is read) */
};

#define SEQ_PRESENT UINT32_MAX

/* Names (collections, permission keys, merge parameters) are NUL-terminated inside the
   engine, so U+0000 in one would make it alias a shorter name: such names are refused. */
#define MSG_NUL_NAME "names and other strings outside documents must not contain U+0000"
static inline int has_nul(const char *s, size_t n) { return memchr(s, 0, n) != NULL; }

/* The engine's setting, called now and then inside long loops that allocate: the wasm build
   grows memory ahead in large steps there (wasm.c), since growing it 64 KiB at a time is
   slow. The hint is process-wide (one heap); NULL natively. */
extern void (*hs_heap_hint_fn)(void);
static inline void heap_hint(size_t i) { if ((i & 4095) == 0 && hs_heap_hint_fn) hs_heap_hint_fn(); }

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
    int add_encoded;                 /* its documents are db->docs_in (add_span: the 0 in its place) */
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
/* The same for the plain shape of a write, read straight from the text, without cJSON: one
   object, no white space, members target, type (add, update, updateOne, delete, deleteOne),
   queryNode, overrideData, addData, returnData, mustAffectAtLeastOne, className "Query" and
   version, their strings printable ASCII without escapes. Returns 1 with q as query_parse
   would fill it (q->target copied into target, tcap bytes; an addData in *add_span, read
   from the text: db->input; *only_add when addData is the only document member), or 0 with
   q empty for any other text or anything query_parse would refuse: the caller then takes
   query_parse's path, which gives the same result and reports what is wrong. With
   docs_encoded, addData must be the number 0, standing for the documents in db->docs_in
   (q->add_encoded; *add_span is then that 0), an addData list is refused, and a serialKey
   (a plain string, copied into target after the target's NUL) is read too. */
int query_parse_plain(const char *text, size_t len, query *q, char *target, size_t tcap, jscan_span *add_span, int *only_add, int docs_encoded);
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
/* The same with another code (HS_TOO_OLD, HS_CORRUPT, ...). */
hs_rc db_fail(hs_db *db, hs_rc rc, const char *msg);

/* ---- the commit table (commits.c) ---- */
/* Parses and checks a meta text ({"time", "cause", "id", "undo"|"redo", "minSeq"}) into
   db->meta; NULL/0 gives defaults. Returns HS_OK or an error written as output. */
hs_rc commits_begin(hs_db *db, const char *meta, size_t mlen);
/* Records the pending commit db->hist.seq. query/qlen: its text as executed (NULL for a
   revert); add_span: when not NULL, the cut-out documents of a single add (kept once, in the
   versions). Returns 0 on out of memory, with nothing recorded. */
int commits_record(hs_db *db, int kind, uint32_t to_seq, const char *query, size_t qlen, const jscan_span *add_span);
/* Forgets the records at or before h (retention). */
void commits_prune(hs_db *db, uint32_t h);
void commits_free(commit_log *l);
/* The record of commit seq, or NULL when it is not kept. */
const commit_rec *commits_find(const hs_db *db, uint32_t seq);
/* The id of rec into out (at least 129 bytes); returns its length. */
size_t commit_id(const commit_log *l, const commit_rec *rec, char *out);
/* Appends id as a record stores it (the digits after an interned prefix, or whole) and sets
   *prefix; returns the stored length, 0 on out of memory. */
size_t commits_store_id(commit_log *l, buf *o, const char *id, size_t n, uint8_t *prefix);
/* Appends the query text of rec (put back together from its template when it has one). */
void commits_put_query_text(const commit_log *l, const commit_rec *rec, buf *o);
/* Replaces the query text o[at..] (canonical) by its literals when it is worth keeping as a
   template and literals; sets *tmpl (0: kept whole). Returns 0 on out of memory. */
int commits_split_query(commit_log *l, buf *o, size_t at, uint32_t *tmpl);
/* Moves src's records and templates into dst (emptied first); src is left empty. */
void commits_move(commit_log *dst, commit_log *src);
/* Appends {"seq","id","time","cause","query"} for rec (the store's log record). */
void commits_put(const hs_db *db, buf *o, const commit_rec *rec);
/* Appends rec's query text as its record writes it (an add's documents put back, from db's versions). */
void commits_put_query(const hs_db *db, buf *o, const commit_rec *rec);
/* 1 when record ra of a and rb of b (queries, not reverts or adds) write the same text but for
   their seq: same id, time, cause and query. */
int commits_same_record(const hs_db *a, const commit_rec *ra, const hs_db *b, const commit_rec *rb);
/* A query record's template text (NULL when its query is kept whole) and literals. */
void commits_split_parts(const commit_log *l, const commit_rec *rec, const char **tmpl, size_t *tlen, const char **lits, size_t *llen);
/* The index of the record with this id, or -1. */
long commits_find_id(const hs_db *db, const char *id, size_t n);
/* Copies the records up to s from src (fork); 0 on out of memory. */
int commits_copy(commit_log *dst, const commit_log *src, uint32_t s);
/* Replaces db's collections and change log with fresh's, and closes fresh (a snapshot or a
   dict is built apart and swapped in, so a bad one changes nothing). */
void db_adopt(hs_db *db, hs_db *fresh);
/* Runs a query with db->meta already set (hs_db_execute_meta, replay). */
hs_rc db_execute_prepared(hs_db *db, const char *text, size_t len, const char *perms, size_t plen);
/* A revert to s as the next commit, with db->meta already set (hs_db_revert_meta, undo, replay). */
hs_rc db_revert_now(hs_db *db, uint32_t s);
/* commits.c: a commit's query (or cause) printed canonically; for an add, *add_at gets where the
   top-level addData's 0 lands (0 returned when there is none). */
int commit_print_query(buf *o, val q, int is_add, size_t *add_at);
/* access.c: NULL when db->revert_perms allow a revert to s (clearAdd on every collection it
   changes), else the refusal, already written as the output. */
hs_rc access_check_revert(hs_db *db, uint32_t s);
/* Native debug builds: asserts the invariants of what commit s touched (history.c). */
#ifndef NDEBUG
void db_check_commit(const hs_db *db, uint32_t s);
#else
#define db_check_commit(db, s) ((void)0)
#endif
/* Counts the past versions again (after pruning, loading, forking): hist.nolder/older_bytes. */
void db_recount(hs_db *db);
/* Undoes everything the pending commit changed. */
void db_rollback(hs_db *db);
/* The document of row r as seen at s (SEQ_PRESENT: now). */
static inline doc *row_doc(const row *r, uint32_t s) { return s == SEQ_PRESENT ? r->cur : row_at(r, s); }

/* Executes one parsed query and appends its QueryResult JSON to db->out.
   Returns 1 if the query succeeded (and was applied), 0 if it failed (nothing changed). */
int exec_query(hs_db *db, const query *q);
/* Merge, in merge.c. Same contract as exec_query. */
int exec_merge(hs_db *db, const query *q);
/* Writes a QueryResult. docs may be NULL when ndocs is 0. marks: NULL, or where to note
   the documents' places (out_marks) when there are OUT_MARK_MIN or more. */
void put_result(buf *out, int ok, const char *target, const char *type, val *docs, size_t ndocs,
                int64_t db_length, int64_t update_count, int64_t hit_count, const char *error, out_marks *marks);
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
