/*
 * sort.h: SingleSort / MultiSort (protocol §7), compiled from JSON and applied to a list
 * of documents.
 *
 * Invariant: sorting is stable, nulls and missing fields go last ascending and first
 * descending, ints and floats sort together, and any other mix of kinds on one sort field
 * is an error (the query fails), as DeltaTraceDB's "Incompatible types".
 */
#ifndef HS_SORT_H
#define HS_SORT_H
#include "value.h"

typedef struct qsort_spec qsort_spec;

/* Compiles a SingleSort or MultiSort from its JSON encoded as a compact value. */
qsort_spec *sort_compile(val json, char *err, size_t errcap);
void sort_free(qsort_spec *s);
/* Sorts docs[0..n) in place (stable). Returns NULL, or an error message written to err. */
const char *sort_apply(const qsort_spec *s, val *docs, size_t n, char *err, size_t errcap);
/* The same answer for docs[0..k) as sort_apply (same order, same errors), for sort + limit;
   docs[k..n) is left in no particular order. Cheaper when k is small against n. */
const char *sort_apply_top(const qsort_spec *s, val *docs, size_t n, size_t k, char *err, size_t errcap);

/* One document's keys, extracted once, for keeping documents sorted one at a time (live.c).
   They may borrow from the document, which must outlive them. A key that cannot be
   extracted (a failed vType conversion) has kind SORT_KIND_ERROR: sort_apply would fail
   on such a set, so the caller must not trust the order then. */
typedef struct sort_keys sort_keys;
enum { SORT_KIND_NULL, SORT_KIND_BOOL, SORT_KIND_NUM, SORT_KIND_STR, SORT_KIND_TIME, SORT_KIND_TIME_NAIVE, SORT_KIND_ERROR, SORT_NKINDS };
/* The bytes the keys of one document take, so the caller can place them (live.c puts
   them in the same block as its tree node, one cache miss fewer per comparison). */
size_t sort_keys_size(const qsort_spec *s);
/* Extracts d's keys into k (sort_keys_size bytes). 0 on out of memory. */
int sort_keys_init(const qsort_spec *s, val d, sort_keys *k);
/* Frees what init allocated besides k itself. */
void sort_keys_release(sort_keys *k);
size_t sort_order_count(const qsort_spec *s);
/* For a sort by one key with vType auto_: its field and direction (1); else 0 (planner). */
int sort_single_auto(const qsort_spec *s, const char **field, size_t *flen, int *reversed);
int sort_keys_kind(const sort_keys *k, size_t order);
/* The order sort_apply gives two documents whose keys all have compatible kinds (numbers
   with numbers, ...); keys of different kinds are ordered by kind, so this is a total
   preorder on any keys. */
int sort_keys_cmp(const qsort_spec *s, const sort_keys *a, const sort_keys *b);
#endif
