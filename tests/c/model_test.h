/*
 * model_test.h: what the seeded model tests (test_plan, test_columns, test_asof_runs,
 * test_asof_columns) share: a repeatable random stream, run(), one query's output as a string
 * the test owns, a database loaded from another's dump, and random query nodes built from
 * each test's own leaves.
 *
 * Must stay true: define MODEL_SEED before including it; the same seed gives the same stream on
 * every machine (a 64-bit LCG, no libc rand), so a failure names a case that can be replayed.
 */
#ifndef HS_MODEL_TEST_H
#define HS_MODEL_TEST_H
#include "output_copy.h"
#include "hindsight.h"
#include <stdio.h>
#include <string.h>

#ifndef MODEL_SEED
#error "define MODEL_SEED before including model_test.h"
#endif

static unsigned long long rng_state = MODEL_SEED;

/* A number in [0, n). */
static unsigned rnd(unsigned n) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(rng_state >> 33) % n;
}

/* Runs query text q; its output copied (the caller frees it), or NULL when the call failed. */
static char *run(hs_db *db, const char *q) {
    return hs_db_execute(db, q, strlen(q), NULL, 0) == HS_OK ? copy_output(db) : NULL;
}

/* A new database loaded from db's dump, or NULL when the dump does not load. */
__attribute__((unused)) static hs_db *loaded_copy(hs_db *db) {
    hs_db_dump(db);
    char *text = copy_output(db);
    hs_db *loaded = hs_db_open();
    if (hs_db_load(loaded, text, strlen(text)) != HS_OK) { hs_db_close(loaded); loaded = NULL; }
    free(text);
    return loaded;
}

/* A random query node in out: a leaf from leaf(), or a not_, and_ or or_ of random nodes;
   below max_depth only leaves. depth: the caller's level. (unused: not every test uses it) */
__attribute__((unused)) static void random_node_of(void (*leaf)(char *, size_t), char *out, size_t cap, int depth, int max_depth) {
    unsigned k = depth > max_depth ? 0 : rnd(5);
    if (k <= 1) { leaf(out, cap); return; }
    char a[700], b[700];
    random_node_of(leaf, a, sizeof a, depth + 1, max_depth);
    if (k == 2) { snprintf(out, cap, "{\"type\":\"not_\",\"condition\":%s}", a); return; }
    random_node_of(leaf, b, sizeof b, depth + 1, max_depth);
    snprintf(out, cap, "{\"type\":\"%s\",\"conditions\":[%s,%s]}", k == 3 ? "and_" : "or_", a, b);
}
#endif
