/*
 * model_test.h: what the seeded model tests (test_plan, test_columns, test_asof_runs) share: a
 * repeatable random stream and run(), one query's output as a string the test owns.
 *
 * Must stay true: define MODEL_SEED before including it; the same seed gives the same stream on
 * every machine (a 64-bit LCG, no libc rand), so a failure names a case that can be replayed.
 */
#ifndef HS_MODEL_TEST_H
#define HS_MODEL_TEST_H
#include "output_copy.h"
#include "hindsight.h"
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
#endif
