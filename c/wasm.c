/*
 * wasm.c: the flat C ABI that JavaScript calls; the only Emscripten-aware file.
 *
 * Text crosses as (pointer, length) in UTF-8. JS allocates input with hsw_alloc, frees it
 * with hsw_free in the same scope, and reads each call's output with hsw_output_ptr /
 * hsw_output_len before the next call on that handle. Nothing here keeps a pointer to
 * JS-owned memory after returning.
 */
#include <emscripten.h>
#include <stdlib.h>
#include <malloc.h>
#include "hindsight.h"

EMSCRIPTEN_KEEPALIVE void *hsw_alloc(size_t n) { return malloc(n ? n : 1); }
EMSCRIPTEN_KEEPALIVE void hsw_free(void *p) { free(p); }

EMSCRIPTEN_KEEPALIVE hs_db *hsw_db_open(void) { return hs_db_open(); }
EMSCRIPTEN_KEEPALIVE void hsw_db_close(hs_db *db) { hs_db_close(db); }

EMSCRIPTEN_KEEPALIVE int hsw_execute(hs_db *db, const char *q, size_t qlen, const char *perms, size_t plen) {
    return (int)hs_db_execute(db, q, qlen, perms, plen);
}
EMSCRIPTEN_KEEPALIVE int hsw_to_dict(hs_db *db) { return (int)hs_db_to_dict(db); }
EMSCRIPTEN_KEEPALIVE int hsw_from_dict(hs_db *db, const char *text, size_t len) { return (int)hs_db_from_dict(db, text, len); }

EMSCRIPTEN_KEEPALIVE const char *hsw_output_ptr(hs_db *db) { size_t n; return hs_db_output(db, &n); }
EMSCRIPTEN_KEEPALIVE size_t hsw_output_len(hs_db *db) { size_t n; hs_db_output(db, &n); return n; }
EMSCRIPTEN_KEEPALIVE void hsw_release_output(hs_db *db) { hs_db_release_output(db); }

/* Bytes currently allocated on the wasm heap (live, not the memory's size). */
EMSCRIPTEN_KEEPALIVE size_t hsw_heap_used(void) { struct mallinfo mi = mallinfo(); return (size_t)mi.uordblks; }
