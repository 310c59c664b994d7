/*
 * coll.h: a collection: an ordered list of immutable documents plus its serial counter.
 *
 * Owns one reference to each document in rows[0..len). Invariants: insertion order is the
 * order of rows; serial only changes through add/clearAdd/resetSerial; rows never holds NULL.
 * Document transformations used by writes (shallow update, conform, rename) live here too:
 * each returns a new document and leaves its input untouched.
 */
#ifndef HS_COLL_H
#define HS_COLL_H
#include "value.h"

typedef struct coll {
    char *name;
    size_t name_len;
    doc **rows;
    size_t len, cap;
    int64_t serial;
} coll;

coll *coll_new(const char *name, size_t name_len);
void coll_free(coll *c);
/* Ensures room for `extra` more rows. Returns 0 on out of memory. */
int coll_reserve(coll *c, size_t extra);

/* Python's dict.update: keys of `over` replace values in place, new keys go last. */
doc *doc_update(val old, val over, buf *scratch);
/* conformToTemplate: keep keys of old that the template has (old order), then add the
   template's missing keys with the template's values. */
doc *doc_conform(val old, val tmpl, buf *scratch);
/* renameField: moves key `from` to the end under the name `to`. */
doc *doc_rename(val old, const char *from, size_t flen, const char *to, size_t tlen, buf *scratch);
#endif
