/*
 * plan.h: the query planner: how a query finds its candidate rows (a scan, an equality index
 * or a range index) and how it sorts (all hits, or the top k for sort + limit); the indexes
 * users declare (db.createIndex); and explain, which reports the plan without running it.
 *
 * Invariants: a plan never changes an answer, only its cost (every candidate is still
 * matched against the full node, and as-of reads use no index: columns or a scan); declared indexes are a
 * database-wide list of (collection, field), independent of whether the collection exists,
 * written in the engine's dump (snapshot.c) and read back by its load.
 */
#ifndef HS_PLAN_H
#define HS_PLAN_H
#include "hsint.h"

enum { PLAN_SCAN, PLAN_EQUALITY_INDEX, PLAN_RANGE_INDEX, PLAN_COLUMNS };

/* Candidate rows of c for node as seen at seq s: returns the plan; for an index plan *cand
   (malloc'd, caller frees) and *ncand hold row positions in insertion order. With dry set
   nothing is counted or allocated, and only declared indexes get built. *exact: the
   candidates are exactly the matches (range_index.h), so the node need not be evaluated. */
int plan_candidates(hs_db *db, coll *c, const qnode *node, uint32_t s, int dry, size_t **cand, size_t *ncand, const char **field, int *exact);

/* A search's page straight from a range index (range_top): when q is a present-state search
   whose node is exactly a range on the field of its one auto_ sort key (or which has no
   sort and wants no documents, as a count does) and the page reaches a bounded prefix, sets
   *pos to the first rows of the sorted order (*npos of them, malloc'd, at most the prefix)
   and *hits to the number of matches, and returns 1; 0 when the query must collect. With dry
   set (explain) nothing is allocated. */
int plan_top(hs_db *db, coll *c, const query *q, int dry, size_t **pos, size_t *npos, size_t *hits);

/* How many documents of the sorted order the query's page can reach (offset + limit), or
   UINT64_MAX when it may need them all. */
uint64_t plan_page_prefix(const query *q);

/* Turns the use of equality and range indexes off (0) or on (1) for every database, so
   tests can compare the column caches with a scan (column.h's col_enable likewise). */
void plan_indexes_enable(int on);

/* The declared (collection, field) pairs (declared_list is in hsint.h, held by hs_db). */
void declared_free(declared_list *l);
/* Adds a pair (no duplicates). 0 on out of memory. */
int declared_add(declared_list *l, const char *target, size_t tlen, const char *field, size_t flen);
/* Adds every pair of src to dst (a fork keeps its parent's declarations). 0 on out of memory. */
int declared_copy(declared_list *dst, const declared_list *src);
/* Writes ,"indexes":[[target,field],..] when the list is not empty (snapshot.c). */
void declared_dump(const declared_list *l, buf *out);
#endif
