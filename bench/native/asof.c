/*
 * bench/native/asof.c: the search of bench/timetravel.mjs (startsWith_ on name over 100,000
 * documents after 100,000 updateOne commits), present and as of a past seq, run natively so
 * that `valgrind --tool=callgrind --toggle-collect=measured_step` counts one search's
 * instructions (stable on a noisy machine, unlike wall time). Not part of any test.
 * Usage: asof SEQ [N] [REPEAT] [WRITES]   SEQ: present, or a commit number (1 .. N); REPEAT
 * searches (default 1), each one counted; then WRITES more updateOne commits (default 0),
 * counted with --toggle-collect=measured_writes (what a write costs once as-of reads ran).
 * FIELD=age in the environment: the search is greaterThan_ age N-10 (a member every commit
 * changes) instead, as bench/timetravel-ab.mjs's FIELD=age; an as-of search first runs once
 * uncounted (measured_first, for --toggle-collect=measured_first: what it builds).
 * Build: gcc -O2 -DNDEBUG -Ic -Ibuild/cjson bench/native/asof.c c/[a-v]*.c (not wasm.c) build/cjson/cJSON.c -lm
 */
#include "speed_docs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

__attribute__((noinline)) static void measured_step(hs_db *db, const char *q) { run(db, q); }
/* Not the same body as measured_step: gcc would fold the two into one symbol. */
__attribute__((noinline)) static void measured_first(hs_db *db, const char *q, int *runs) { run(db, q); (*runs)++; }

__attribute__((noinline)) static void measured_writes(hs_db *db, const char *head, long n, long writes) {
    char q[1000];
    for (long k = 0; k < writes; k++) {
        snprintf(q, sizeof q, "%s,\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"%ld\"},\"overrideData\":{\"age\":%ld,\"updatedAt\":\"w%ld\"}}",
                 head, (k * 7919 + 13) % n, k, k);
        run(db, q);
    }
}

int main(int argc, char **argv) {
    const char *step = argc > 1 ? argv[1] : "present";
    long n = argc > 2 ? atol(argv[2]) : 100000;
    int repeat = argc > 3 ? atoi(argv[3]) : 1;
    long writes = argc > 4 ? atol(argv[4]) : 0;
    hs_db *db = speed_docs_db(n);
    char q[1000];
    const char *head = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"users\"";
    for (long k = 0; k < n; k++) {
        snprintf(q, sizeof q, "%s,\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"%ld\"},\"overrideData\":{\"age\":%ld,\"updatedAt\":\"u%ld\"}}",
                 head, (k * 7919) % n, k, k);
        run(db, q);
    }
    char asof[64] = "";
    if (strcmp(step, "present")) snprintf(asof, sizeof asof, ",\"asOf\":{\"seq\":%ld}", atol(step));
    const char *field = getenv("FIELD");
    if (field && !strcmp(field, "age"))
        snprintf(q, sizeof q, "%s,\"type\":\"search\"%s,\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"age\",\"value\":%ld}}", head, asof, n - 10);
    else
        snprintf(q, sizeof q, "%s,\"type\":\"search\"%s,\"queryNode\":{\"type\":\"startsWith_\",\"field\":\"name\",\"value\":\"sample9999\",\"version\":\"1\"}}", head, asof);
    int first_runs = 0;
    if (asof[0]) measured_first(db, q, &first_runs);
    double best = 1e30;
    for (int r = 0; r < repeat; r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        measured_step(db, q);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
        if (ms < best) best = ms;
    }
    fprintf(stderr, "%s: best of %d: %.3f ms\n", step, repeat, best);
    if (writes) measured_writes(db, head, n, writes);
    size_t olen;
    const char *out = hs_db_output(db, &olen);
    printf("%.*s\n", (int)(olen < 300 ? olen : 300), out);
    hs_db_close(db);
    return 0;
}
