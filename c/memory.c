/*
 * memory.c: per-database memory budgets (see memory.h), and in the wasm build the malloc
 * family's wrappers that feed them (linked with --wrap, see the Makefile's EMCC_FLAGS) and
 * keep a small cache of freed blocks by size class in front of emmalloc.
 *
 * Bookkeeping is a small table of (database, bytes, limit), because a process rarely has
 * more than a few databases; it lives outside hs_db so the accounting cannot disturb the
 * engine's state. One call runs at a time (the engine is single-threaded), so the running
 * call is global state here. hs_mem_leave also tells coll.c that the call ends: the past
 * versions rebuilt for it are no longer borrowed (hist_release_views; their bytes go back to
 * the call's database; hs_mem_enter releases too, for work done outside enter/leave), and a
 * rebuild that ran out of memory fails the call like any allocation.
 */
#include "memory.h"
#include "hsint.h"
#include <stdint.h>
#include <stdlib.h>

typedef struct budget { const hs_db *db; size_t used, limit; } budget;

static budget *table;
static size_t ntable, captable;

static struct {
    budget *b;          /* the database whose call is running, or NULL */
    int64_t delta;      /* bytes allocated minus bytes freed since the call began */
    uint32_t seq;       /* its seq when the call began: a call that commits keeps its rc */
    int failed;
} call;

static budget *find(const hs_db *db, int create) {
    for (size_t i = 0; i < ntable; i++) if (table[i].db == db) return &table[i];
    if (!create) return NULL;
    if (ntable == captable) {
        size_t cap = captable ? captable * 2 : 8;
        budget *t = realloc(table, cap * sizeof *t);
        if (!t) return NULL;
        table = t;
        captable = cap;
        call.b = NULL;   /* the table moved; no call is running while it grows anyway */
    }
    table[ntable] = (budget){db, 0, HS_DEFAULT_MEMORY_LIMIT};
    return &table[ntable++];
}

hs_rc hs_mem_set_limit(const hs_db *db, size_t bytes) {
    budget *b = find(db, 1);
    if (!b) return HS_NOMEM;
    b->limit = bytes;
    return HS_OK;
}

size_t hs_mem_used(const hs_db *db) {
    budget *b = find(db, 0);
    return b ? b->used : 0;
}

void hs_mem_enter(const hs_db *db) {
    hist_release_views();   /* documents rebuilt for the last call are no longer borrowed */
    call.b = db ? find(db, 1) : NULL;   /* no room for an entry: the call runs unmetered */
    call.delta = 0;
    call.failed = 0;
    call.seq = db ? hs_db_seq(db) : 0;
}

static void settle(budget *b) {
    if (!b) return;
    int64_t used = (int64_t)b->used + call.delta;
    b->used = used > 0 ? (size_t)used : 0;
}

hs_rc hs_mem_leave(const hs_db *db, hs_rc rc) {
    budget *b = call.b;
    /* The past versions rebuilt for this call are dropped now, while their bytes are still
       refunded to this call's database (at the next call they would go to no one's). */
    hist_release_views();
    settle(b);
    call.b = NULL;
    /* Out of memory, reported as a failed query or a bare "Transaction failed": one code. */
    if (hist_views_failed()) call.failed = 1;   /* a past version could not be rebuilt */
    if (call.failed && rc == HS_OK && db && hs_db_seq(db) == call.seq) rc = HS_NOMEM;
    call.failed = 0;
    return rc;
}

hs_db *hs_mem_leave_fork(const hs_db *parent, hs_db *child) {
    budget *p = call.b;
    size_t limit = p ? p->limit : HS_DEFAULT_MEMORY_LIMIT;
    hist_release_views();   /* as in hs_mem_leave: what the fork rebuilt is not the child's to keep */
    int64_t delta = call.delta;
    call.b = NULL;
    call.failed = 0;
    if (!child) return NULL;
    budget *c = find(child, 1);   /* may move the table: p is not used after this */
    (void)parent;
    if (c) {
        c->limit = limit;
        c->used = delta > 0 ? (size_t)delta : 0;
    }
    return child;
}

void hs_mem_forget(const hs_db *db) {
    budget *b = find(db, 0);
    if (!b) return;
    if (call.b == b) call.b = NULL;
    *b = table[--ntable];
}

int hs_mem_may_allocate(size_t n) {
    budget *b = call.b;
    if (!b || !b->limit) return 1;
    int64_t would = (int64_t)b->used + call.delta + (int64_t)n;
    if (would <= (int64_t)b->limit) return 1;
    call.failed = 1;
    return 0;
}

void hs_mem_charge(size_t bytes) { if (call.b) call.delta += (int64_t)bytes; }
void hs_mem_refund(size_t bytes) { if (call.b) call.delta -= (int64_t)bytes; }
void hs_mem_failed(void) { call.failed = 1; }
int hs_mem_optional_begin(void) { return call.failed; }
void hs_mem_optional_end(int token) { call.failed = token; }

#ifdef HS_WRAP_MALLOC
/* The wasm build links every malloc, calloc, realloc and free through these. */
#include <malloc.h>
#include <string.h>
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

/* Freed small blocks, kept by size class for the next malloc of that size: a commit makes and
   drops about ten small temporaries (a parsed query, its compiled node, candidate lists), and
   emmalloc's free (merging neighbours, bucket lists) and malloc cost more than the rest of a
   replayed commit's bookkeeping. Class k holds blocks whose usable size is at least 8k
   bytes; at most CACHE_DEPTH per class (32 classes x 32 blocks: 264 KB at worst), so the
   cache never holds much. A cached block is free to the budgets: refunded when cached,
   charged again when reused, exactly as a block emmalloc hands out. */
#define CACHE_CLASSES 32
#define CACHE_DEPTH 32
static void *cached[CACHE_CLASSES + 1][CACHE_DEPTH];
static uint8_t ncached[CACHE_CLASSES + 1];

static void *from_cache(size_t n) {
    size_t k = (n + 7) >> 3;
    if (k == 0) k = 1;
    if (k > CACHE_CLASSES || !ncached[k]) return NULL;
    return cached[k][--ncached[k]];
}

void *__wrap_malloc(size_t n) {
    if (!hs_mem_may_allocate(n)) return NULL;
    void *p = from_cache(n);
    if (!p) p = __real_malloc(n);
    if (p) hs_mem_charge(malloc_usable_size(p)); else hs_mem_failed();
    return p;
}

void *__wrap_calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) { hs_mem_failed(); return NULL; }
    if (!hs_mem_may_allocate(n * size)) return NULL;
    void *p = from_cache(n * size);
    if (p) memset(p, 0, n * size);
    else p = __real_calloc(n, size);
    if (p) hs_mem_charge(malloc_usable_size(p)); else hs_mem_failed();
    return p;
}

void *__wrap_realloc(void *p, size_t n) {
    if (!p) return __wrap_malloc(n);   /* a buffer's first block (buf.c): from the cache too */
    size_t old = malloc_usable_size(p);
    if (n > old && !hs_mem_may_allocate(n - old)) return NULL;
    void *q = __real_realloc(p, n);
    if (!q) { if (n) hs_mem_failed(); return NULL; }
    hs_mem_refund(old);
    hs_mem_charge(malloc_usable_size(q));
    return q;
}

void __wrap_free(void *p) {
    if (!p) return;
    size_t usable = malloc_usable_size(p), k = usable >> 3;
    hs_mem_refund(usable);
    if (k >= 1 && k <= CACHE_CLASSES && ncached[k] < CACHE_DEPTH) { cached[k][ncached[k]++] = p; return; }
    __real_free(p);
}
#endif
