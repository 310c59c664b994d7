/*
** regex.h: a small ECMAScript-syntax regular expression engine for the `regex_` search node.
**
** Owns: compiling a pattern and answering "does it match anywhere in this subject?", the way
** JavaScript's `new RegExp(pattern).test(subject)` does with no flags. One deliberate difference:
** text is matched by code point, as with the `u` flag, so `.` takes a whole "é" or "😀".
**
** Must stay true: no call recurses on the C stack deeper than the pattern's nesting limit (200
** groups); rx_search never runs unbounded (it has a step budget, reported as -1); invalid UTF-8
** never crashes (each bad byte counts as one code point, U+DC80..U+DCFF). A compiled rx_regex is
** read-only, so one may be shared by many callers; there is no mutable global state.
**
** Ownership: inputs are borrowed; rx_compile's result belongs to the caller, released by rx_free.
*/
#ifndef HS_REGEX_H
#define HS_REGEX_H
#include <stddef.h>
#include <stdint.h>

typedef struct rx_regex rx_regex;   /* opaque compiled pattern */

/* Compiles an ECMAScript pattern (UTF-8, pattern_len bytes, need not be NUL-terminated).
** Supported: literals and escapes, `.`, classes, \d \D \w \W \s \S, ^ $ \b \B, groups, (?:),
** |, greedy and lazy quantifiers, lookahead (?= ) (?! ), backreferences \1..\N.
** Rejected with a message: lookbehind, named groups, \p{..}, nesting deeper than 200, programs
** too large. On error returns NULL and writes a short NUL-terminated English message into err
** (errcap bytes, truncated to fit; err may be NULL when errcap is 0). */
rx_regex *rx_compile(const char *pattern, size_t pattern_len, char *err, size_t errcap);

/* Returns 1 if re matches anywhere in the UTF-8 subject, 0 if not, and -1 if the step budget
** (10 million steps plus 16 per subject byte), the backtrack stack cap or memory ran out first:
** the caller must treat -1 as an error ("pattern too expensive"), not as "no match". */
int rx_search(const rx_regex *re, const char *subject, size_t subject_len);

/* The same, charging a budget shared by many calls (one query's regex work): *left is the
** steps left; this call may spend them plus RX_QUERY_PER_BYTE per subject byte beyond the
** first RX_QUERY_FREE_BYTES, and *left becomes what is left over (0 after -1). Bounds a
** whole scan, not just one subject: start a query with *left = RX_QUERY_BUDGET. Measured
** in wasm: 50 to 150 million steps a second, so the regex work of a query over many short
** documents ends within about half a second; a long subject (a 50 MB string) earns the
** steps to be scanned once. */
#define RX_QUERY_BUDGET 30000000u
#define RX_QUERY_PER_BYTE 4u
#define RX_QUERY_FREE_BYTES 1024u
int rx_search_metered(const rx_regex *re, const char *subject, size_t subject_len, uint64_t *left);

/* Releases a compiled pattern; NULL is allowed. */
void rx_free(rx_regex *re);

#endif
