/*
 * wasm.c: the flat C ABI that JavaScript calls; the only Emscripten-aware file.
 *
 * Text crosses as (pointer, length) in UTF-8. JS allocates input with hsw_alloc, frees it
 * with hsw_free in the same scope, and reads each call's output with hsw_output_ptr /
 * hsw_output_len before the next call on that handle. Nothing here keeps a pointer to
 * JS-owned memory after returning.
 */
#define _DEFAULT_SOURCE   /* sbrk */
#include <emscripten.h>
#include <stdlib.h>
#include <malloc.h>
#include <unistd.h>
#include "hindsight.h"
#include "live.h"
#include "strtod.h"
#include "hsort.h"

/* The libc names, routed to the engine's own versions: cJSON calls strtod, and code that calls
   qsort by its usual name still gets the small one. musl's long-double strtod and smoothsort
   cost about 5.5 kB of the gzipped wasm. (snprintf cannot be routed the same way: the libc
   member that defines it defines more; call hs_snprintf, fmt.h.) */
double strtod(const char *restrict s, char **restrict end) { return hs_strtod(s, end); }
void qsort(void *base, size_t n, size_t w, int (*cmp)(const void *, const void *)) { hs_qsort(base, n, w, cmp); }

/* malloc grows wasm memory through sbrk one 64 KiB step at a time, and each memory.grow
   costs the JS engine a remap: hundreds of them made bulk writes slow. Growing ahead in
   big geometric steps makes sbrk find the room already there. */
static void keep_headroom(void);
void hs_heap_hint(void) { keep_headroom(); }

static void keep_headroom(void) {
    size_t size = __builtin_wasm_memory_size(0) * 65536u;
    size_t used = (size_t)sbrk(0);
    size_t want = size / 4 > (16u << 20) ? size / 4 : (16u << 20);
    if (size - used < want / 2) __builtin_wasm_memory_grow(0, want / 65536u);
}

EMSCRIPTEN_KEEPALIVE void *hsw_alloc(size_t n) { keep_headroom(); return malloc(n ? n : 1); }
EMSCRIPTEN_KEEPALIVE void hsw_free(void *p) { free(p); }

EMSCRIPTEN_KEEPALIVE hs_db *hsw_db_open(void) { return hs_db_open(); }
EMSCRIPTEN_KEEPALIVE void hsw_db_close(hs_db *db) { hs_db_close(db); }

EMSCRIPTEN_KEEPALIVE int hsw_execute(hs_db *db, const char *q, size_t qlen, const char *perms, size_t plen) {
    keep_headroom();
    return (int)hs_db_execute(db, q, qlen, perms, plen);
}
EMSCRIPTEN_KEEPALIVE int hsw_to_dict(hs_db *db) { return (int)hs_db_to_dict(db); }
EMSCRIPTEN_KEEPALIVE int hsw_from_dict(hs_db *db, const char *text, size_t len) { keep_headroom(); return (int)hs_db_from_dict(db, text, len); }

EMSCRIPTEN_KEEPALIVE const char *hsw_output_ptr(hs_db *db) { size_t n; return hs_db_output(db, &n); }
EMSCRIPTEN_KEEPALIVE size_t hsw_output_len(hs_db *db) { size_t n; hs_db_output(db, &n); return n; }
EMSCRIPTEN_KEEPALIVE void hsw_release_output(hs_db *db) { hs_db_release_output(db); }

/* Bytes currently allocated on the wasm heap (live, not the memory's size). */
EMSCRIPTEN_KEEPALIVE size_t hsw_heap_used(void) { struct mallinfo mi = mallinfo(); return (size_t)mi.uordblks; }

/* ---- time travel ---- */
EMSCRIPTEN_KEEPALIVE uint32_t hsw_seq(hs_db *db) { return hs_db_seq(db); }
EMSCRIPTEN_KEEPALIVE uint32_t hsw_oldest(hs_db *db) { return hs_db_oldest(db); }
EMSCRIPTEN_KEEPALIVE int hsw_to_dict_at(hs_db *db, uint32_t s) { return (int)hs_db_to_dict_at(db, s); }
EMSCRIPTEN_KEEPALIVE int hsw_set_base(hs_db *db, uint32_t s) { return (int)hs_db_set_base(db, s); }
EMSCRIPTEN_KEEPALIVE int hsw_history(hs_db *db, const char *t, size_t tl, const char *n, size_t nl, uint32_t from, uint32_t to) {
    return (int)hs_db_history(db, t, tl, n, nl, from, to);
}
EMSCRIPTEN_KEEPALIVE int hsw_diff(hs_db *db, uint32_t a, uint32_t b) { return (int)hs_db_diff(db, a, b); }
EMSCRIPTEN_KEEPALIVE int hsw_revert(hs_db *db, uint32_t s) { keep_headroom(); return (int)hs_db_revert(db, s); }
EMSCRIPTEN_KEEPALIVE hs_db *hsw_fork(hs_db *db, uint32_t s) { return hs_db_fork(db, s); }
EMSCRIPTEN_KEEPALIVE int hsw_set_horizon(hs_db *db, uint32_t h) { return (int)hs_db_set_horizon(db, h); }
EMSCRIPTEN_KEEPALIVE int hsw_stats(hs_db *db) { return (int)hs_db_stats(db); }
EMSCRIPTEN_KEEPALIVE int hsw_apply_state(hs_db *db, const char *t, size_t n) { return (int)hs_db_apply_state(db, t, n); }
EMSCRIPTEN_KEEPALIVE int hsw_replay(hs_db *db, const char *t, size_t n) { keep_headroom(); return (int)hs_db_replay(db, t, n); }
EMSCRIPTEN_KEEPALIVE int hsw_dump(hs_db *db) { return (int)hs_db_dump(db); }
EMSCRIPTEN_KEEPALIVE int hsw_load(hs_db *db, const char *t, size_t n) { keep_headroom(); return (int)hs_db_load(db, t, n); }

/* ---- live queries (live.h): the handle is returned, 0 when refused (see the output) ---- */
EMSCRIPTEN_KEEPALIVE hs_live *hsw_live_open(hs_db *db, const char *t, size_t n) {
    keep_headroom();
    hs_rc rc;
    return hs_live_open(db, t, n, &rc);
}
EMSCRIPTEN_KEEPALIVE int hsw_live_update(hs_live *lv) { keep_headroom(); return (int)hs_live_update(lv); }
EMSCRIPTEN_KEEPALIVE void hsw_live_close(hs_live *lv) { hs_live_close(lv); }
