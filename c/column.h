/*
 * column.h: column caches of a collection's hot top-level fields, so a scan reads one small
 * array per field instead of walking every document's keys (as of the present, and with
 * their past values as of a past seq).
 *
 * A collection keeps at most COL_MAX columns, one per top-level field first seen holding an
 * integer (an int64 column) or a string (a column of 32-bit hashes of its bytes). Each
 * column has one slot per row position (the position in coll.rows) saying: the row has no
 * current document (CK_NONE), the field's current value is in the column (CK_VAL), or ask
 * the document (CK_DOC: the field is missing or of another kind). Collections filled from
 * empty keep their columns up to date at every add, load and write (coll.c calls the col_*
 * hooks); others (a fork, a snapshot load, or after an out-of-memory or a prune) get theirs
 * built by the first query that can use them.
 *
 * Invariants: a CK_VAL slot holds exactly the current document's value (ints) or the hash of
 * it (strings); CK_DOC is always a correct answer for a live row, so falling back never
 * changes a result. Present-state reads use the slots; as-of reads the slots and, for the
 * rows whose current document took effect after the seq, the past values (below). A string
 * hash match is never trusted alone: those rows are checked against the document. Each
 * column's per-block summary (column.c: least/greatest int, Bloom filter of string hashes,
 * "a row may be CK_DOC") covers every current slot of its block, and its past summary every
 * past entry of its rows: both only widen, so a lone comparison may skip a block they rule
 * out and never skips a match, as of any seq.
 */
#ifndef HS_COLUMN_H
#define HS_COLUMN_H
#include "coll.h"
#include "node.h"

#define COL_MAX 6

/* Hooks called by coll.c, after rows[] changed: */
void col_appended(coll *c);                      /* row c->len - 1 was appended */
void col_changed(coll *c, size_t pos, const doc *cur);  /* row pos now holds cur */
void col_removed(coll *c, size_t pos);           /* row pos was removed (rollback) */
void col_drop(coll *c);                          /* forget the columns (rows moved) */
void col_free(struct col_set *s);

/* Row positions of c that may match node, in insertion order, when node is made only of
   and_/or_/not_ and auto_ comparisons on columned fields (ints: every comparison; strings:
   equals_ and notEquals_). Builds the columns first when they are missing. Returns 1 and
   sets *pos (malloc'd, caller frees) and *n, *exact (every candidate matches: no need to
   evaluate the node) and *field (one field the node reads); 0 when the caller must scan.
   Candidates may include rows without a current document (the caller skips them). *wide:
   the answer read more than a quarter of the column (its block summaries ruled out too
   little), so an index would pay for itself (plan.c counts a use only then). */
int col_candidates(coll *c, const qnode *node, size_t **pos, size_t *n, int *exact, const char **field, int *wide);

/* Sort + limit from an int column: when every one of the n rows at pos (ascending
   positions, each with a current document) holds an int in field's column, puts the first k
   of them in the order a stable sort by that field gives (descending when reversed; ties in
   position order) into pos[0..k) and returns 1; else 0, pos unchanged (sort the documents).
   Needs 0 < k < n. */
int col_top(coll *c, const char *field, size_t flen, int reversed, size_t *pos, size_t n, size_t k);

/* 1 when the n rows at pos (ascending positions, each with a current document) all hold an
   int in field's column and are already in the order a stable sort by it gives (values
   non-decreasing, or non-increasing when reversed; ties stay in position order): the sort
   can be skipped. 0 otherwise (sort the documents). Reads the column once, stops at the
   first row out of order. */
int col_in_order(coll *c, const char *field, size_t flen, int reversed, const size_t *pos, size_t n);

/* Turns column use off (0) or on (1) for every database: tests compare both plans. */
void col_enable(int on);

/* As-of reads. A column's past values (one entry per past version of each row: the slot its
   document gave the field, and the seq it took effect) are built by the first as-of read that
   filters on the field (col_candidates_at) and then kept up to date by the hooks below, so
   that they mirror every row's version chain one for one; per block, a summary of the past
   entries (as the present one) lets a comparison skip blocks no version of any row matches.
   They go with the columns (col_drop, an out of memory, a prune that removes rows); a prune
   that only frees versions cuts the chains to match (col_past_cut). */
/* Row pos's current document becomes a past version that took effect at from: called by
   coll_set before col_changed (the slot still holds the current document's value). */
void col_versioned(coll *c, size_t pos, uint32_t from);
/* Row pos's newest past version is gone (a rollback made it current again). */
void col_unversioned(coll *c, size_t pos);
/* A prune kept only the newest `kept` past versions of row pos: its older entries go. */
void col_past_cut(coll *c, size_t pos, size_t kept);
/* After a prune's cuts (rows not moved): the entries they left unreachable are freed when they
   are most of a log. */
void col_past_pruned(coll *c);
/* col_candidates as of seq at (a past seq of the collection): candidates from each row's slot
   at that seq; as with col_candidates, they may include rows without a document then (the
   caller skips them). Builds the columns and the past values of the fields
   the node reads when missing (dry: builds no past values, only says whether it would
   answer). Same result contract as col_candidates. */
int col_candidates_at(coll *c, const qnode *node, uint32_t at, int dry, size_t **pos, size_t *n, int *exact, const char **field);
/* Turns past values off (0) or on (1) for every database: tests compare both. */
void col_past_enable(int on);
/* 1 when every built past value list mirrors its rows' versions and lies within its block's
   past summary: tests. */
int col_past_check(const coll *c);
/* The bytes c's past values take. */
size_t col_past_bytes(const coll *c);
#endif
