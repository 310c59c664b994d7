/*
 * bench/native/speed_docs.h: what the native benches steps.c and asof.c share: run(), which
 * exits on a failed query, and a database holding n speed-test documents (id, name, age,
 * createdAt, updatedAt, nestedObj.num), added in one commit.
 *
 * Must stay true: the documents are those of bench/speed-steps.js's shape with fixed dates, so
 * instruction counts from one build to the next count the same work.
 */
#ifndef HS_BENCH_SPEED_DOCS_H
#define HS_BENCH_SPEED_DOCS_H
#include "hindsight.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run(hs_db *db, const char *q) {
    if (hs_db_execute(db, q, strlen(q), NULL, 0) != HS_OK) { fprintf(stderr, "failed: %s\n", q); exit(1); }
}

/* A new database with documents 0 .. n-1 in collection users. */
static hs_db *speed_docs_db(long n) {
    size_t cap = (size_t)n * 200 + 200, len = 0;
    char *add = malloc(cap);
    if (!add) { fprintf(stderr, "out of memory\n"); exit(1); }
    len += sprintf(add, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"users\",\"type\":\"add\",\"addData\":[");
    for (long i = 0; i < n; i++)
        len += sprintf(add + len, "%s{\"id\":\"%ld\",\"name\":\"sample%ld\",\"age\":%ld,\"createdAt\":\"2026-01-01T00:00:00.000Z\",\"updatedAt\":\"2026-01-01T00:00:00.000Z\",\"nestedObj\":{\"num\":%ld}}",
                       i ? "," : "", i, i, i, i);
    strcpy(add + len, "]}");
    hs_db *db = hs_db_open();
    run(db, add);
    free(add);
    return db;
}
#endif
