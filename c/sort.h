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
#endif
