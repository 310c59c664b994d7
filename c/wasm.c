/*
 * wasm.c: the flat C ABI that JavaScript calls; the only Emscripten-aware file.
 *
 * Text crosses as (pointer, length) in UTF-8. JS allocates input with hsw_alloc, frees it
 * with hsw_free in the same scope, and reads each call's output with hsw_output_ptr /
 * hsw_output_len before the next call on that handle. Nothing here keeps a pointer to
 * JS-owned memory after returning. Every call on a database runs metered against its memory
 * budget (memory.h): enter before, leave after, which also turns any out of memory into
 * HS_NOMEM.
 */
#define _DEFAULT_SOURCE   /* sbrk */
#include <emscripten.h>
#include <stdlib.h>
#include <malloc.h>
#include <unistd.h>
#include <string.h>
#include <stdint.h>
#include "hindsight.h"
#include "live.h"
#include "memory.h"

/* Every call on a database is metered against its memory budget (memory.h). */
#define METERED(db, call) (hs_mem_enter(db), (int)hs_mem_leave(db, (call)))
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

static void keep_headroom(void) {
    size_t size = __builtin_wasm_memory_size(0) * 65536u;
    size_t used = (size_t)sbrk(0);
    size_t want = size / 4 > (16u << 20) ? size / 4 : (16u << 20);
    if (size - used < want / 2) __builtin_wasm_memory_grow(0, want / 65536u);
}

EMSCRIPTEN_KEEPALIVE void *hsw_alloc(size_t n) { keep_headroom(); return malloc(n ? n : 1); }
EMSCRIPTEN_KEEPALIVE void hsw_free(void *p) { free(p); }

/* The engine's memory hint is this build's headroom keeper (a setting, hindsight.h). */
EMSCRIPTEN_KEEPALIVE hs_db *hsw_db_open(void) { hs_set_heap_hint(keep_headroom); return hs_db_open(); }
EMSCRIPTEN_KEEPALIVE void hsw_db_close(hs_db *db) { hs_mem_forget(db); hs_db_close(db); }
/* The database's memory budget in MiB (0: none but the heap's), and the bytes it holds. */
EMSCRIPTEN_KEEPALIVE int hsw_set_memory_limit(hs_db *db, uint32_t mib) { return (int)hs_mem_set_limit(db, (size_t)mib << 20); }
EMSCRIPTEN_KEEPALIVE size_t hsw_memory_used(hs_db *db) { return hs_mem_used(db); }

EMSCRIPTEN_KEEPALIVE int hsw_execute(hs_db *db, const char *q, size_t qlen, const char *perms, size_t plen, const char *meta, size_t mlen) {
    keep_headroom();
    return METERED(db, hs_db_execute_meta(db, q, qlen, perms, plen, meta, mlen));
}
EMSCRIPTEN_KEEPALIVE int hsw_execute_docs(hs_db *db, const char *q, size_t qlen, const char *meta, size_t mlen, const uint8_t *docs, size_t dlen) {
    keep_headroom();
    return METERED(db, hs_db_execute_docs(db, q, qlen, meta, mlen, docs, dlen));
}
EMSCRIPTEN_KEEPALIVE int hsw_to_dict(hs_db *db) { return METERED(db, hs_db_to_dict(db)); }
EMSCRIPTEN_KEEPALIVE int hsw_from_dict(hs_db *db, const char *text, size_t len) { keep_headroom(); return METERED(db, hs_db_from_dict(db, text, len)); }

EMSCRIPTEN_KEEPALIVE const char *hsw_output_ptr(hs_db *db) { size_t n; return hs_db_output(db, &n); }
EMSCRIPTEN_KEEPALIVE size_t hsw_output_len(hs_db *db) { size_t n; hs_db_output(db, &n); return n; }
/* 1 when the output holds no byte >= 0x80: then its UTF-8 is also Latin-1, and Node copies
   it into a string (Buffer latin1) instead of decoding it, which cost a third of a big read. */
EMSCRIPTEN_KEEPALIVE int hsw_output_ascii(hs_db *db) {
    size_t n, i = 0;
    const unsigned char *p = (const unsigned char *)hs_db_output(db, &n);
    uint64_t high = 0;   /* the high bits of every byte, eight at a time */
    for (uint64_t w; i + 8 <= n; i += 8) { memcpy(&w, p + i, 8); high |= w; }
    for (; i < n; i++) high |= p[i];
    return !(high & 0x8080808080808080ull);
}
EMSCRIPTEN_KEEPALIVE const uint32_t *hsw_output_marks_ptr(hs_db *db) { size_t n; return hs_db_output_marks(db, &n); }
EMSCRIPTEN_KEEPALIVE size_t hsw_output_marks_count(hs_db *db) { size_t n; hs_db_output_marks(db, &n); return n; }
EMSCRIPTEN_KEEPALIVE void hsw_release_output(hs_db *db) { hs_mem_enter(db); hs_db_release_output(db); hs_mem_leave(db, HS_OK); }

/* Bytes currently allocated on the wasm heap (live, not the memory's size). */
EMSCRIPTEN_KEEPALIVE size_t hsw_heap_used(void) { struct mallinfo mi = mallinfo(); return (size_t)mi.uordblks; }

/* ---- time travel ---- */
EMSCRIPTEN_KEEPALIVE uint32_t hsw_seq(hs_db *db) { return hs_db_seq(db); }
EMSCRIPTEN_KEEPALIVE uint32_t hsw_oldest(hs_db *db) { return hs_db_oldest(db); }
EMSCRIPTEN_KEEPALIVE int hsw_to_dict_at(hs_db *db, uint32_t s) { return METERED(db, hs_db_to_dict_at(db, s)); }
EMSCRIPTEN_KEEPALIVE int hsw_rows_at(hs_db *db, uint32_t s, const char *n, size_t nl) { return METERED(db, hs_db_rows_at(db, s, n, nl)); }
EMSCRIPTEN_KEEPALIVE int hsw_set_base(hs_db *db, uint32_t s) { return METERED(db, hs_db_set_base(db, s)); }
EMSCRIPTEN_KEEPALIVE int hsw_history(hs_db *db, const char *t, size_t tl, const char *n, size_t nl, uint32_t from, uint32_t to) {
    return METERED(db, hs_db_history(db, t, tl, n, nl, from, to));
}
EMSCRIPTEN_KEEPALIVE int hsw_diff(hs_db *db, uint32_t a, uint32_t b) { return METERED(db, hs_db_diff(db, a, b)); }
EMSCRIPTEN_KEEPALIVE int hsw_revert(hs_db *db, uint32_t s, const char *m, size_t ml) { keep_headroom(); return METERED(db, hs_db_revert_meta(db, s, m, ml)); }
EMSCRIPTEN_KEEPALIVE int hsw_undo(hs_db *db, const char *m, size_t ml) { keep_headroom(); return METERED(db, hs_db_undo(db, m, ml)); }
EMSCRIPTEN_KEEPALIVE int hsw_redo(hs_db *db, const char *m, size_t ml) { keep_headroom(); return METERED(db, hs_db_redo(db, m, ml)); }
EMSCRIPTEN_KEEPALIVE int hsw_set_origin(hs_db *db, const char *t, size_t n) { return METERED(db, hs_db_set_origin(db, t, n)); }
EMSCRIPTEN_KEEPALIVE int hsw_commits(hs_db *db, uint32_t from, uint32_t to, uint32_t limit) { return METERED(db, hs_db_commits(db, from, to, limit)); }
EMSCRIPTEN_KEEPALIVE int hsw_commit_info(hs_db *db, uint32_t from, uint32_t to) { return METERED(db, hs_db_commit_info(db, from, to)); }
EMSCRIPTEN_KEEPALIVE int hsw_set_base_time(hs_db *db, double ms) { return METERED(db, hs_db_set_base_time(db, ms)); }
EMSCRIPTEN_KEEPALIVE int hsw_seq_at_time(hs_db *db, double ms) { return METERED(db, hs_db_seq_at_time(db, ms)); }
EMSCRIPTEN_KEEPALIVE int hsw_time_of(hs_db *db, uint32_t s) { return METERED(db, hs_db_time_of(db, s)); }
EMSCRIPTEN_KEEPALIVE int hsw_changes(hs_db *db, uint32_t since, uint32_t until) { return METERED(db, hs_db_changes(db, since, until)); }
EMSCRIPTEN_KEEPALIVE hs_db *hsw_fork(hs_db *db, uint32_t s) { keep_headroom(); hs_mem_enter(db); return hs_mem_leave_fork(db, hs_db_fork(db, s)); }
EMSCRIPTEN_KEEPALIVE int hsw_set_horizon(hs_db *db, uint32_t h) { return METERED(db, hs_db_set_horizon(db, h)); }
EMSCRIPTEN_KEEPALIVE int hsw_stats(hs_db *db) { return METERED(db, hs_db_stats(db)); }
EMSCRIPTEN_KEEPALIVE int hsw_memory_parts(hs_db *db) { return METERED(db, hs_db_memory_parts(db)); }
EMSCRIPTEN_KEEPALIVE int hsw_create_index(hs_db *db, const char *t, size_t tl, const char *f, size_t fl) { return METERED(db, hs_db_create_index(db, t, tl, f, fl)); }
EMSCRIPTEN_KEEPALIVE int hsw_explain(hs_db *db, const char *q, size_t ql) { return METERED(db, hs_db_explain(db, q, ql)); }
EMSCRIPTEN_KEEPALIVE int hsw_replay(hs_db *db, const char *t, size_t n) { keep_headroom(); return METERED(db, hs_db_replay(db, t, n)); }
EMSCRIPTEN_KEEPALIVE int hsw_replay_from(hs_db *db, const hs_db *src, uint32_t from, uint32_t to, uint32_t limit) { keep_headroom(); return METERED(db, hs_db_replay_from(db, src, from, to, limit)); }
EMSCRIPTEN_KEEPALIVE int hsw_dump(hs_db *db) { return METERED(db, hs_db_dump(db)); }
EMSCRIPTEN_KEEPALIVE int hsw_load(hs_db *db, const char *t, size_t n) { keep_headroom(); return METERED(db, hs_db_load(db, t, n)); }
/* The same, limited by collectionPermissions text (access.c). */
EMSCRIPTEN_KEEPALIVE int hsw_to_dict_at_for(hs_db *db, uint32_t s, const char *p, size_t pl) { return METERED(db, hs_db_to_dict_at_for(db, s, p, pl)); }
EMSCRIPTEN_KEEPALIVE int hsw_history_for(hs_db *db, const char *t, size_t tl, const char *n, size_t nl, uint32_t from, uint32_t to, const char *p, size_t pl) {
    return METERED(db, hs_db_history_for(db, t, tl, n, nl, from, to, p, pl));
}
EMSCRIPTEN_KEEPALIVE int hsw_diff_for(hs_db *db, uint32_t a, uint32_t b, const char *p, size_t pl) { return METERED(db, hs_db_diff_for(db, a, b, p, pl)); }
EMSCRIPTEN_KEEPALIVE int hsw_revert_for(hs_db *db, uint32_t s, const char *m, size_t ml, const char *p, size_t pl) { keep_headroom(); return METERED(db, hs_db_revert_for(db, s, m, ml, p, pl)); }
EMSCRIPTEN_KEEPALIVE int hsw_undo_for(hs_db *db, const char *m, size_t ml, const char *p, size_t pl) { keep_headroom(); return METERED(db, hs_db_undo_for(db, m, ml, p, pl)); }
EMSCRIPTEN_KEEPALIVE int hsw_redo_for(hs_db *db, const char *m, size_t ml, const char *p, size_t pl) { keep_headroom(); return METERED(db, hs_db_redo_for(db, m, ml, p, pl)); }
EMSCRIPTEN_KEEPALIVE int hsw_fork_for(hs_db *db, uint32_t s, const char *p, size_t pl, hs_db **out) {
    keep_headroom();
    hs_mem_enter(db);
    hs_rc rc = hs_db_fork_for(db, s, p, pl, out);
    hs_mem_leave_fork(db, *out);
    return (int)rc;
}

/* ---- live queries (live.h): the handle is returned, 0 when refused (see the output) ---- */
EMSCRIPTEN_KEEPALIVE hs_live *hsw_live_open(hs_db *db, const char *t, size_t n) {
    keep_headroom();
    hs_rc rc;
    return hs_live_open(db, t, n, &rc);
}
EMSCRIPTEN_KEEPALIVE int hsw_live_update(hs_live *lv) { keep_headroom(); return (int)hs_live_update(lv); }
EMSCRIPTEN_KEEPALIVE void hsw_live_close(hs_live *lv) { hs_live_close(lv); }
