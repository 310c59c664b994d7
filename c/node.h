/*
 * node.h: DeltaTraceDB search nodes (and_, or_, not_, equals_, ..., endsWith_), compiled
 * once per query from their JSON and then evaluated against each document.
 *
 * Owns: the compiled node tree (node_free releases it) and the meaning of every vType
 * in a comparison (protocol §6). Invariant: evaluating a node never modifies a document;
 * a conversion that fails makes that comparison false, as in DeltaTraceDB.
 */
#ifndef HS_NODE_H
#define HS_NODE_H
#include "value.h"
#include "pynum.h"

enum { VT_AUTO, VT_DATETIME, VT_INT, VT_FLOAT, VT_FLOATEPS, VT_BOOL, VT_STRING, VT_STRING_IC, VT_INVALID };

/* Maps a vType name ("auto_", ...) to VT_*; NULL means auto_. VT_INVALID if unknown. */
int vtype_from_name(const char *name);

typedef struct qnode qnode;

/* Compiles a node from its JSON encoded as a compact value. On failure returns NULL and
   writes a message to err (errcap bytes). */
qnode *node_compile(val json, char *err, size_t errcap);
void node_free(qnode *n);

/* One equality a matching document may satisfy: field == value (a non-null scalar). */
typedef struct eq_term { const char *field; size_t flen; val value; } eq_term;
/* When every match of the node must satisfy one of a few field equalities (equals_ with
   auto_ on a scalar; an and_ holding one; an or_ of such), writes them and returns how many
   (at most max); returns 0 otherwise. Used by the index planner (index.c). */
int node_equality_terms(const qnode *n, eq_term *terms, int max);

/* The numbers, or the strings, a matching document's field must lie in, when every match of
   the node needs one (greaterThan_/lessThan_/...OrEqual_ with auto_ and a number or a string
   as value; an and_ holding some, whose bounds on one field and of one kind intersect).
   is_str tells the kind: a number bound matches only number fields and a string bound only
   string fields (val_order: other kinds are incomparable, so false); strings order by their
   UTF-8 bytes, as Python orders code points. lo_strict/hi_strict tell greaterThan_ from
   ...OrEqual_. exact is 1 when the node is nothing but this range (a leaf, or an and_ of
   leaves on the field) and its bounds are exact (strings always; numbers when |v| < 2^53):
   then a value of the kind passes the node exactly when it lies in the bounds, and anything
   else never does. Returns 1 and fills t, or 0. Used by the range index planner. */
typedef struct range_term {
    const char *field;
    size_t flen;
    int has_lo, has_hi, lo_strict, hi_strict, exact, is_str;
    double lo, hi;                 /* numbers */
    const char *lo_s, *hi_s;       /* strings (bytes in the node's value) */
    size_t lo_n, hi_n;
} range_term;
int node_range_term(const qnode *n, range_term *t);
/* The ranges a matching document must lie in one of: node_range_term's one, or for an or_
   each branch's (every branch must give some; at most max in all). Returns how many, or 0.
   Each term's exact says that its branch is nothing but that range, so with every term
   exact the node matches exactly the values in the union. */
int node_range_terms(const qnode *n, range_term *terms, int max);

/* The top-level keys whose members a node's match reads (for a dot path, its first segment):
   a document's match depends on nothing else than these members' bytes and whether they are
   there. Writes at most max distinct keys into keys/lens and returns how many, or -1 when the
   node reads more than max. As-of scans use it to match a past version on its newer document
   when the deltas between them leave these members alone (coll.h, coll_peek). */
int node_top_keys(const qnode *n, const char **keys, size_t *lens, int max);

/* A node's shape for column evaluation (column.h): and_/or_/not_ with their children, a
   comparison (equals_ .. lessThanOrEqual_) with auto_ on one top-level field, or anything
   else (NV_OTHER: columns cannot answer it). cmp is 0..5: equals_, notEquals_, greaterThan_,
   lessThan_, greaterThanOrEqual_, lessThanOrEqual_. */
enum { NV_OTHER, NV_AND, NV_OR, NV_NOT, NV_CMP };
typedef struct node_view {
    int kind, cmp;
    const char *field;
    size_t flen;
    val value;
    qnode *const *kids;
    size_t nkids;
} node_view;
void node_view_of(const qnode *n, node_view *v);

/* Per-query evaluation state: scratch space, and a sticky error that fails the query (a regex
   that blew its budget, startsWith_/endsWith_ with a value that is not a string). */
typedef struct node_ctx {
    buf scratch;
    buf lower;          /* lower-cased field text (boolean_, stringIgnoreCase_), number text */
    const char *error;
    uint64_t regex_left;  /* regex steps left for the whole query (regex.h) */
} node_ctx;

/* Starts a query's evaluation: no error, a full regex budget. Once error is set, callers
   stop scanning: the query fails. */
void node_ctx_begin(node_ctx *ctx);

/* 1 if the document (an object value) matches. */
int node_match(const qnode *n, val document, node_ctx *ctx);

/* Helpers shared with sort.c: Python's str() of v in a scratch buffer (borrowed until the
   next call on the same buffer), and vType conversions, which append their working text to
   `work` (a big int's digits stay there). Return 0 when Python's conversion would raise. */
const char *conv_pystr(val v, buf *scratch, size_t *len);
/* as_value 1: Python's int(v) (5.5 -> 5, True -> 1, "5" -> 5); 0: int(str(v)), as a node
   converts a document's field (5.5, True and null fail). */
int conv_int(val v, buf *work, py_int *out, int as_value);
/* float(v) when accept_bools (True -> 1.0), float(str(v)) otherwise (True fails). */
int conv_float(val v, buf *work, double *out, int accept_bools);
#endif
