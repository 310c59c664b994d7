/*
 * range_index.h: range (sorted) indexes: one field's numbers and strings in order (every
 * number before every string; strings by their UTF-8 bytes), with the rows holding them, for
 * greaterThan_/lessThan_/greaterThanOrEqual_/lessThanOrEqual_ (an and_ of them: a between;
 * an or_ of them, on one field or several) with vType auto_ and a number or a string as the
 * node's value, and for sort + limit on the field of such a range (range_top).
 *
 * Built lazily, as the equality indexes are (index.h): after a collection has been searched
 * three times by a range on the same field, or at the first such search when the field's
 * index was declared (db.createIndex). Invariants: a built index lists exactly the current
 * rows whose field holds a number or a string (NaN is only counted: while any row holds one, the index
 * answers nothing and the caller scans); every change to a row's current document goes
 * through range_row_changed (called by idx_row_changed); indexes serve present-state reads
 * only (as-of reads scan); keys are doubles, and the candidates are a superset of the rows
 * that match (bounds are inclusive, and rounding to double keeps order), so the caller still
 * evaluates the full node on each candidate and the answer never depends on the index.
 */
#ifndef HS_RANGE_INDEX_H
#define HS_RANGE_INDEX_H
#include "coll.h"
#include "node.h"

typedef struct range_set range_set;

void range_free(range_set *s);
/* Keeps c's range indexes in step with a row whose document changed from old to cur. On out
   of memory drops the index concerned (rebuilt when next needed). */
void range_row_changed(coll *c, uint32_t row_id, const doc *old, const doc *cur);

/* Marks field's range index as declared: built at its first use, kept by range_declared. */
int range_declare(coll *c, const char *field, size_t flen);

/* Row positions that may match node, in insertion order, when a range index answers it and
   the range holds at most a quarter of the rows (else a scan is cheaper). Returns 1 and sets
   *pos and *n (malloc'd; caller frees), or 0 when the caller must scan. With dry set, nothing
   is counted or built (explain). *field is set to the index's field when one answered.
   *exact is set when the candidates are exactly the matches (node_range_term's exact, and
   no key of 2^53 or more in the index): the caller may then skip evaluating the node. */
int range_candidates(coll *c, const qnode *node, int dry, size_t **pos, size_t *n, const char **field, int *exact);

/* Sort + limit by walking the index: when node is exactly a range (node_range_term's exact)
   on sfield and sfield's index is built (or declared), the first k matches in the order of
   a stable sort on sfield (descending when reversed; equal keys in insertion order), as row
   positions in *pos (*npos of them, malloc'd), and the number of matches in *hits. Every
   match then holds a value of one kind, so the sort cannot fail. Returns 0 when the caller
   must collect and sort. With dry set nothing is counted or allocated (*hits is about). */
int range_top(coll *c, const qnode *node, const char *sfield, size_t sflen, int reversed, size_t k, int dry,
              size_t **pos, size_t *npos, size_t *hits);
#endif
