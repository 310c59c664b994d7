/*
 * coll.h: a collection and its history: rows of immutable documents, each row with the
 * chain of its past versions, plus the versioned serial counter and existence flag.
 *
 * Owns one reference to every document it points to, current or past (a past version may
 * instead be a delta against the next newer one, see struct version). Invariants:
 * - rows[] is sorted by id (insertion order) and holds every row that is live now or in
 *   kept history; a deleted row stays as a tombstone (cur == NULL) until retention drops it;
 * - a row's versions are contiguous in seq: cur is live for seqs >= from, and each older
 *   version is live for [v->from, v->to), with v->to equal to the newer one's from;
 * - live counts the rows whose cur is not NULL;
 * - every change made by the pending commit h->seq is recorded once in h's change log, so a
 *   failed transaction can be rolled back and a diff costs what changed.
 * - runs (the run summary for as-of scans), when present, has one entry per row of rows[] and
 *   says nothing the versions contradict (coll_runs_check);
 * - counts, when present, gives the live count at every kept seq (coll_counts_check).
 * Document transformations used by writes (shallow update, conform, rename) live here too:
 * each returns a new document and leaves its input untouched.
 */
#ifndef HS_COLL_H
#define HS_COLL_H
#include "value.h"

/* A past version is kept whole (delta_len 0: d is the document, NULL when the row did not
   exist), or, once its commit is published, as a delta: an edit of the next newer version
   (that version, or the row's cur, always holds a document), rebuilt on read (row_at,
   version_doc). A delta version's d is its rebuilt document while a call reads it (a reference
   listed for hist_release_views) or, once something else holds that document too (a revert
   made it current again), kept for good, so that the same document stays the same pointer. */
typedef struct version {
    doc *d;
    uint32_t from, to;       /* live for from <= seq < to */
    struct version *older;
    uint16_t delta_len;      /* 0: whole; else the bytes of delta[] (a longer one: kept whole) */
    uint8_t delta[];         /* a node is allocated to VERSION_NODE_SIZE(delta_len) bytes */
} version;
#define VERSION_NODE_SIZE(n) (offsetof(version, delta) + (size_t)(n))

typedef struct row {
    doc *cur;                /* NULL: deleted (a tombstone, kept for time travel) */
    uint32_t id;             /* insertion order within the collection */
    uint32_t from;           /* seq of the commit that made cur */
    version *older;          /* previous versions, newest first */
} row;

typedef struct seq_value { uint32_t seq; int64_t before; } seq_value;

typedef struct coll {
    char *name;
    size_t name_len;
    row *rows;
    size_t len, cap, live;
    uint32_t next_id;
    int64_t serial;
    int alive;                       /* removeCollection makes it 0; history stays */
    int64_t order;                   /* toDict order: collections sort by this key */
    seq_value *serials, *lives, *orders;  /* past values, oldest first: value before commit seq */
    size_t nserials, nlives, norders;
    struct idx_set *ix;              /* adaptive equality indexes (index.h), or NULL */
    struct range_set *rx;            /* range indexes (range_index.h), or NULL */
    struct col_set *cx;              /* column caches of top-level fields (column.h), or NULL */
    struct run_set *runs;            /* as-of scan summaries of each row's newest deltas (coll.c), or NULL */
    struct live_hist *counts;        /* live row counts after each commit that changed it (coll.c), or NULL */
} coll;

/* One row touched by one commit. */
typedef struct change { coll *c; uint32_t row_id, seq; } change;

/* The history context of the commit being built: its seq, spare version nodes reserved in
   advance (so applying a planned change cannot fail), and the change log of all commits. */
typedef struct hist {
    uint32_t seq;
    version *spare;
    size_t nspare;
    change *changes;
    size_t nchanges, capchanges;
    int failed;              /* a change of the pending commit could not be recorded: roll it back */
    /* Past versions in all collections, and their bytes (a version node plus its document):
       kept up to date by coll_set and hist_rollback, recounted after pruning and loading, so
       that stats cost nothing. */
    uint64_t nolder, older_bytes;
} hist;

/* What one past version counts in hist.older_bytes: what it stores (a rebuilt document a
   delta version holds for a while is not counted). */
#define VERSION_BYTES(v) ((v)->delta_len ? (uint64_t)VERSION_NODE_SIZE((v)->delta_len) : \
                          (uint64_t)sizeof(version) + ((v)->d ? (uint64_t)(v)->d->size + sizeof(doc) : 0))

coll *coll_new(const char *name, size_t name_len);
void coll_free(coll *c);
/* Room for `extra` more rows, and for `versions` row changes in the pending commit.
   Returns 0 on out of memory, with nothing changed. */
int coll_reserve(coll *c, size_t extra);
int hist_reserve(hist *h, size_t versions, size_t changes);
void hist_free(hist *h);

/* The document of row r as of seq s (NULL when it did not exist then). A delta version is
   rebuilt: the document is borrowed until hist_release_views; when rebuilding runs out of
   memory, NULL is returned and hist_views_failed() says so (the caller fails the call). */
doc *row_at_slow(const row *r, uint32_t s);
static inline doc *row_at(const row *r, uint32_t s) {
    if (r->from <= s) return r->cur;
    const version *v = r->older;
    if (v && v->from <= s && !v->delta_len) return v->d;
    return row_at_slow(r, s);
}
/* The bytes of row r as of s, for a look that keeps nothing (a filter): a delta version is
   rebuilt in a work buffer, valid until the next row_peek or rebuild. NULL when the row did
   not exist then, or when out of memory (hist_views_failed() says so). */
val row_peek(const row *r, uint32_t s);
/* Calls fn(ctx, from, d) for each past version of r, newest first: from is the seq it took
   effect, d its bytes (NULL: the row did not exist then), a delta version rebuilt in a work
   buffer valid until the next call of fn. Stops when fn returns 0. Returns 0 when fn did or
   out of memory (hist_views_failed() says so), else 1. */
int row_versions_each(const row *r, int (*fn)(void *ctx, uint32_t from, val d), void *ctx);
/* Whether row r existed at s (rebuilds nothing). */
int row_exists_at(const row *r, uint32_t s);

/* As-of scans. The run of row i is the past versions right below its cur that are all
   deltas (a run of edits of cur); a collection's run summary holds, per row, the seq its run
   reaches back to and the payload bytes of cur that every delta of the run keeps (the
   shortest prefix kept), so a scan learns from one small array, read in row order, that a
   row's document at s is cur with only bytes after that prefix changed. It is built by the
   first as-of scan (coll_runs_prepare) and then kept up to date by every change coll.c makes
   (a run only shrinks to nothing at a write, and is summarized again when the write's
   version becomes a delta); a summary may say less than the versions do (no run, an older
   seq, a shorter prefix), never more. */
/* The top-level keys a filter reads (node_top_keys), at most PEEK_MAX_KEYS; n < 0: unknown. */
#define PEEK_MAX_KEYS 8
typedef struct peek_keys { const char *key[PEEK_MAX_KEYS]; size_t len[PEEK_MAX_KEYS]; int n; } peek_keys;
/* Builds c's run summary when it has none (optional: out of memory leaves it without). */
void coll_runs_prepare(coll *c);
/* row_peek of row i for a filter that reads only the members k names (k->n >= 0): when the
   row's document at s is cur edited by its run, and the run keeps every one of those members
   in cur's unchanged prefix, returns cur, on which the filter gives the same answer, without
   rebuilding or reading any version; else as row_peek. */
val coll_peek(const coll *c, size_t i, uint32_t s, const peek_keys *k);
/* The number of rows live at s (as a scan of row_exists_at counts them). Answered from the
   collection's count history: built by the first call from the rows' versions (optional: out
   of memory leaves it without, and the rows are counted), then kept up to date by every change
   coll.c makes (a commit that changes the live count appends its count, a rollback takes it
   back, a prune forgets what no kept seq reads). */
size_t coll_live_at(coll *c, uint32_t s);
/* Turns count histories off (0) or on (1) for every database: tests compare both. */
void coll_counts_enable(int on);
/* 1 when c's count history (if any) gives row_exists_at's count at every seq in oldest..newest: tests. */
int coll_counts_check(const coll *c, uint32_t oldest, uint32_t newest);
/* row_exists_at of row i, answered from the run summary when it can. */
int coll_exists_at(const coll *c, size_t i, uint32_t s);
/* Turns run summaries off (0) or on (1) for every database: tests compare both. */
void coll_runs_enable(int on);
/* 1 when c's run summary (if any) says nothing its versions contradict: tests. */
int coll_runs_check(const coll *c);
/* The document of version v, given `newer`, the document of the next newer version (or the
   row's cur): for walks from the newest version down. Same borrowing and failure as row_at. */
doc *version_doc(version *v, doc *newer);
/* Drops the rebuilt documents that only the reading calls held. Called when a public call
   starts, and before any version is freed: nothing may hold a borrowed one then. */
void hist_release_views(void);
/* 1 when a rebuild failed (out of memory) since the last call; clears the flag. */
int hist_views_failed(void);
/* After commit seq is published: stores the past versions it made as deltas where that is
   smaller. Never fails (a version that cannot be made a delta stays whole). */
void hist_compact(hist *h, uint32_t seq);
/* The same for every version of row r (after loading): each against the next newer one. */
void row_compact(row *r, hist *h);
/* The index of the row with this id, or -1. */
long coll_find_row(const coll *c, uint32_t id);

/* Changes made by the pending commit h->seq; they take ownership of d. Each needs a prior
   successful coll_reserve / hist_reserve covering it and then cannot fail. */
void coll_set(coll *c, size_t i, doc *d, hist *h);
void coll_append(coll *c, doc *d, hist *h);
/* Appends a row that exists since seq `from` without recording a change (loading a
   snapshot). Needs a prior coll_reserve. */
void coll_load(coll *c, doc *d, uint32_t from);
void coll_set_serial(coll *c, int64_t serial, hist *h);
/* Returns 0 on out of memory (nothing changed). */
int coll_set_alive(coll *c, int alive, hist *h);
/* A collection created or revived by commit P sorts after all older ones (as a dict key
   deleted and added again does in Python); revert and import restore older keys. */
int coll_set_order(coll *c, int64_t order, hist *h);
int64_t coll_order_at(const coll *c, uint32_t s);
int64_t coll_serial_at(const coll *c, uint32_t s);
int coll_alive_at(const coll *c, uint32_t s);
/* Undoes every change of commit h->seq (after a failed transaction). */
void hist_rollback(hist *h);
/* The index of the first change with seq > s (binary search: the log is sorted by seq). */
size_t hist_changes_after(const hist *h, uint32_t s);
/* Drops history that no seq >= horizon can see. Returns the number of rows removed. */
size_t coll_prune(coll *c, uint32_t horizon);

/* Python's dict.update: keys of `over` replace values in place, new keys go last. */
doc *doc_update(val old, val over, buf *scratch);
/* conformToTemplate: keep keys of old that the template has (old order), then add the
   template's missing keys with the template's values. */
doc *doc_conform(val old, val tmpl, buf *scratch);
/* A copy of object obj with the value at `at` (a top-level member's value inside obj)
   replaced by the encoded value nv: one allocation, three copies. */
doc *doc_replace_member(val obj, val at, const uint8_t *nv, size_t nlen);
/* renameField: moves key `from` to the end under the name `to`. */
doc *doc_rename(val old, const char *from, size_t flen, const char *to, size_t tlen, buf *scratch);
#endif
