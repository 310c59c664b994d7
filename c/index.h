/*
 * index.h: adaptive equality indexes: a hash from one field's value to the rows holding it.
 *
 * After a collection has been searched three times by equality on the same field in a way
 * its column caches (column.h) could not answer cheaply, the planner (plan.c) builds one, and later equality searches on that field look up candidate
 * rows instead of scanning (ARCHITECTURE.md §6: the user never changes the query). A field
 * declared with db.createIndex gets its index at the first such search instead, and so does
 * any field searched while a log is replayed (a replay runs thousands of writes in a row: the
 * index pays for itself at once, and no column cache is built on the way). Every change
 * also reaches the range indexes (range_index.h) through idx_row_changed. Invariants: an index lists exactly the current rows whose field holds a non-null
 * scalar (bool, number or string), keyed by row id; every change to a row's current
 * document goes through idx_row_changed; indexes serve present-state reads only (as-of
 * reads scan), and the full query node is still evaluated on every candidate, so a hash
 * collision can cost time but never give a wrong answer.
 */
#ifndef HS_INDEX_H
#define HS_INDEX_H
#include "coll.h"
#include "node.h"

typedef struct idx_set idx_set;

/* Keeps every index of c in step with a row whose current document changed from old to
   cur (either may be NULL). Returns 0 on out of memory, after dropping c's indexes (they
   are rebuilt when next needed), so the answer stays right. */
void idx_row_changed(coll *c, uint32_t row_id, const doc *old, const doc *cur);
void idx_free(idx_set *s);

/* Row positions that may match node, in insertion order, when an index can answer it.
   Returns 1 and sets *pos and *n (malloc'd; caller frees), or 0 when the caller must scan
   (no usable index yet; this call may count a use and build one for next time). */
int idx_candidates(coll *c, const qnode *node, int dry, int build_now, int count_use, size_t **pos, size_t *n);
/* With dry set, nothing is counted and only a declared index is built (explain): returns 1
   when an index would answer, with *pos NULL. With build_now (replay), a missing index is
   built at this first use, as a declared one is. Without count_use the call only looks for
   an index that is ready (or declared, or build_now): the planner counts a use only for a
   query the column caches could not answer cheaply (plan.c). */

/* Marks field's equality index as declared (db.createIndex): built at its first use. */
int idx_declare(coll *c, const char *field, size_t flen);
#endif
