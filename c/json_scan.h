/*
 * json_scan.h: the fast path for bulk documents, from JSON text straight to storage format.
 *
 * cJSON parses every query envelope, node, sort and permission set. Arrays of documents
 * (a query's addData, a snapshot's collection data) can hold millions of values, and a
 * cJSON tree of 100,000 documents costs about 4x the text in memory and most of the time
 * of an add. So those arrays are cut out of the text before cJSON sees it (jscan_cut) and
 * parsed here, one pass, no tree (jscan_value). Invariants: both functions read only
 * text[0, len); a document nested deeper than VAL_MAX_DEPTH is an error, never a stack
 * overflow; the parser accepts exactly RFC 8259 JSON.
 */
#ifndef HS_JSON_SCAN_H
#define HS_JSON_SCAN_H
#include "value.h"

typedef struct jscan_span { size_t start, end; } jscan_span;

/* A path pattern: member names from the root, "*" for any member or element, and the
   container expected there ('[' or '{'). */
typedef struct jscan_pattern { const char *const *steps; int nsteps; char open; } jscan_pattern;

/* Copies text into envelope, replacing each container found at one of the patterns by the
   number of its span (0, 1, ...); a null there is left alone. Returns the spans (malloc'd,
   caller frees) or NULL with *nspans 0 when nothing was cut, when a pattern meets anything
   else (so a number in the envelope at a pattern is always a span number), or when the
   text is malformed (cJSON will then report it). */
jscan_span *jscan_cut(const char *text, size_t len, const jscan_pattern *pats, int npats, buf *envelope, size_t *nspans);

/* Parses one JSON value starting at text[*pos] (leading whitespace allowed), appends its
   encoding to out and advances *pos past it. Returns NULL or an error message. */
const char *jscan_value(const char *text, size_t len, size_t *pos, buf *out);
/* The same with another depth limit (query nodes nest two JSON levels per node level). */
const char *jscan_value_depth(const char *text, size_t len, size_t *pos, buf *out, int max_depth);
/* Query nodes may nest 100 node levels, each two JSON levels deep. */
#define JSCAN_NODE_DEPTH 256

/* Steps through the elements of the array text[span): sets *pos to the next element and
   returns 1, or returns 0 at the end. Call with *pos = span.start first. Returns -1 when
   the text between elements is malformed. */
int jscan_next_element(const char *text, jscan_span span, size_t *pos);
/* The index just past the value starting at text[pos] (len when the text is malformed).
   Does not validate: the value is parsed properly later. */
size_t jscan_skip(const char *text, size_t len, size_t pos);
#endif
