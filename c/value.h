/*
 * value.h: compact, immutable JSON values, the storage format of every document.
 *
 * A value is a byte string; a document is one malloc'd block holding one object value,
 * so storing a document costs one allocation and no tree of small mallocs. Layout
 * (little-endian, no alignment; u32 = 4 bytes):
 *
 *   OFFSET SIZE  DESCRIPTION
 *   0      1     tag: 0 null, 1 false, 2 true, 3 int64, 4 int32, 5 double,
 *                6 string (no JSON escaping needed), 7 string (needs escaping),
 *                8 array, 9 object
 *   1      8|4   int64 / int32 / double payload (tags 3, 4, 5)
 *   1      4     string: byte length n, then n bytes of UTF-8 (tags 6, 7)
 *   1      4     array/object: element count
 *   5      4     array/object: payload byte count, then the elements;
 *                an object element is a key (u32 n with bit 31 set when the key needs
 *                escaping, then n bytes) followed by a value.
 *
 * Invariants: a stored value is never modified (writes build new documents); object keys
 * are unique; a number whose value is integral and fits in int64 is stored as an integer,
 * so 1 and 1.0 are the same value. Kind order for sorting: null < bool < number < string <
 * array < object (see val_kind).
 */
#ifndef HS_VALUE_H
#define HS_VALUE_H
#include <stddef.h>
#include <stdint.h>
#include "buf.h"

enum { T_NULL, T_FALSE, T_TRUE, T_INT64, T_INT32, T_DOUBLE, T_STR, T_STRX, T_ARR, T_OBJ };
enum { K_NULL, K_BOOL, K_NUM, K_STR, K_ARR, K_OBJ };

/* Documents nested deeper than this are refused (DeltaTraceDB refuses past 100 too). */
#define VAL_MAX_DEPTH 100

typedef const uint8_t *val;

/* A refcounted immutable document: one allocation holding one encoded object. */
typedef struct doc {
    uint32_t refs;
    uint32_t size;
    uint8_t v[];
} doc;

doc *doc_new(const uint8_t *bytes, size_t size);
static inline doc *doc_ref(doc *d) { d->refs++; return d; }
void doc_unref(doc *d);

static inline uint32_t rd32(const uint8_t *p) { uint32_t x; memcpy(&x, p, 4); return x; }
static inline void wr32(uint8_t *p, uint32_t x) { memcpy(p, &x, 4); }

size_t val_size(val v);
int val_kind(val v);
double val_num(val v);              /* numbers only */
static inline int val_is_int(val v) { return v[0] == T_INT32 || v[0] == T_INT64; }
static inline int64_t val_int(val v) {
    if (v[0] == T_INT32) { int32_t x; memcpy(&x, v + 1, 4); return x; }
    if (v[0] == T_INT64) { int64_t x; memcpy(&x, v + 1, 8); return x; }
    return (int64_t)val_num(v);
}
const char *val_str(val v, size_t *len); /* strings only */
uint32_t val_count(val v);          /* arrays and objects */

/* Iterates an array or object. For objects, key/klen are set for each element. */
typedef struct val_iter {
    const uint8_t *p, *end;
    const char *key;
    size_t klen;
} val_iter;
void val_iter_init(val_iter *it, val container);
/* Returns the next element value, or NULL at the end. */
val val_iter_next(val_iter *it, int is_object);

/* 1 when v nests at most max_depth levels, counted as the JSON readers count them (a
   scalar is one level, a container one more than its deepest element). Every path that
   builds a document from other values checks this against VAL_MAX_DEPTH, so nothing is
   stored that fromDict or a snapshot load would refuse. */
int val_within_depth(val v, int max_depth);

/* Checks that bytes[0, avail) begin with one value in the storage format exactly as the JSON
   parser would build it (value_check.c), nested at most max_depth levels; sets *size to its
   length. Returns NULL, or what is wrong in the parser's words where it has them. */
const char *val_check(const uint8_t *bytes, size_t avail, int max_depth, size_t *size);

/* 1 when a string or member name anywhere in v contains U+0000. */
int val_has_nul(val v);

/* Top-level member of an object, or NULL when absent. */
val val_obj_get(val obj, const char *key, size_t klen);
/* The same for a NUL-terminated key, with a JSON null read as absent (DeltaTraceDB writes
   null for every unset key). */
val val_member(val obj, const char *key);
static inline int val_is_str(val v) { return v && (v[0] == T_STR || v[0] == T_STRX); }
/* Follows a dot path through objects only (no list indexing), as DeltaTraceDB does.
   Returns NULL when any step is missing or not an object. */
val val_path(val obj, const char *path, size_t plen);

/* Deep equality: numbers by value, different kinds never equal, objects regardless of key order. */
int val_equal(val a, val b);
/* Natural order of two values of the same kind (numbers, strings, bools, and lists in
   Python's lexicographic order). Returns -1/0/1, or sets *incomparable when the kinds differ,
   for objects, and for lists whose first unequal elements are incomparable. */
int val_order(val a, val b, int *incomparable);

/* Writes v as compact JSON. */
void val_print(buf *out, val v);
/* Writes Python's str(v) (True/False/None, repr of floats), used by string-typed comparisons. */
void val_pystr(buf *out, val v);

/* Encoders used while building a document in a buf. */
void enc_null(buf *b);
void enc_bool(buf *b, int t);
void enc_int(buf *b, int64_t i);
void enc_number(buf *b, double d);
void enc_string(buf *b, const char *s, size_t n);
void enc_key(buf *b, const char *s, size_t n);
/* Starts an array/object; returns the offset to pass to enc_end. */
size_t enc_begin(buf *b, int tag);
void enc_end(buf *b, size_t at, uint32_t count);

#endif
