/*
 * bench/native/replay.c: the log replay of opening a database, run natively so that
 * `valgrind --tool=callgrind` counts its instructions per replayed commit (stable on a noisy
 * machine, unlike wall time). Not part of any test. A database of N documents is dumped, then
 * N single-document commits (updateOne by id, with an add and a deleteOne every 16th) are made
 * and listed as the log's records; a second database loads the dump and (step "replay")
 * replays the records. The replay's cost is replay minus prep; step "check" also compares the
 * two end states (the same but for the counter of new ids). Step "rebase" instead has a
 * fork of the first database at the dump's seq replay the commits from it (hs_db_replay_from,
 * what a multi-tab rebase runs): count it with callgrind --toggle-collect=hs_db_replay_from.
 * Usage: replay STEP [N]   STEP: prep | replay | check | rebase
 * Build: gcc -O2 -DNDEBUG -Ic -Ibuild/cjson bench/native/replay.c c/[a-v]*.c (not wasm.c) build/cjson/cJSON.c -lm
 * (-DNDEBUG as the wasm build: without it, the rebase also prints every record twice for an assert).
 */
#include "hindsight.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run(hs_db *db, const char *q) {
    if (hs_db_execute(db, q, strlen(q), NULL, 0) != HS_OK) { fprintf(stderr, "failed: %s\n", q); exit(1); }
}

static char *output_copy(hs_db *db, size_t *len) {
    const char *o = hs_db_output(db, len);
    char *c = malloc(*len + 1);
    memcpy(c, o, *len);
    c[*len] = 0;
    return c;
}

int main(int argc, char **argv) {
    const char *step = argc > 1 ? argv[1] : "prep";
    long n = argc > 2 ? atol(argv[2]) : 100000;
    size_t cap = (size_t)n * 200 + 200, len = 0;
    char *add = malloc(cap);
    len += sprintf(add, "{\"target\":\"users\",\"type\":\"add\",\"addData\":[");
    for (long i = 0; i < n; i++)
        len += sprintf(add + len, "%s{\"id\":\"%ld\",\"name\":\"sample%ld\",\"age\":%ld,\"createdAt\":\"2026-01-01T00:00:00.000Z\",\"nestedObj\":{\"num\":%ld}}",
                       i ? "," : "", i, i, i, i);
    strcpy(add + len, "]}");
    hs_db *db = hs_db_open();
    run(db, add);
    free(add);
    char q[1000];
    for (int i = 0; i < 3; i++) {
        snprintf(q, sizeof q, "{\"target\":\"users\",\"type\":\"searchOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"%d\"}}", i);
        run(db, q);
    }
    if (hs_db_dump(db) != HS_OK) { fprintf(stderr, "dump failed\n"); exit(1); }
    size_t dlen, rlen, flen;
    char *dump = output_copy(db, &dlen);
    uint32_t base = hs_db_seq(db);
    for (long k = 0; k < n; k++) {
        long i = (k * 7919) % n;
        if (k % 16 == 5)
            snprintf(q, sizeof q, "{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"id\":\"new%ld\",\"name\":\"extra\",\"age\":%ld}]}", k, k);
        else if (k % 16 == 11)
            snprintf(q, sizeof q, "{\"target\":\"users\",\"type\":\"deleteOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"new%ld\"}}", k - 6);
        else
            snprintf(q, sizeof q, "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"%ld\"},\"overrideData\":{\"age\":%ld}}", i, k);
        run(db, q);
    }
    if (hs_db_commits(db, base + 1, hs_db_seq(db), UINT32_MAX) != HS_OK) { fprintf(stderr, "commits failed\n"); exit(1); }
    char *records = output_copy(db, &rlen);
    hs_db_dump(db);
    char *final = output_copy(db, &flen);
    if (!strcmp(step, "rebase")) {
        /* A rebase's replay: a fork at the base takes the commits from the database itself. */
        hs_db *fork = hs_db_fork(db, base);
        if (!fork || hs_db_replay_from(fork, db, base + 1, hs_db_seq(db), UINT32_MAX) != HS_OK || hs_db_seq(fork) != hs_db_seq(db)) {
            fprintf(stderr, "rebase replay failed\n");
            exit(1);
        }
        hs_db_close(fork);
    }
    hs_db_close(db);
    hs_db *other = hs_db_open();
    if (hs_db_load(other, dump, dlen) != HS_OK) { fprintf(stderr, "load failed\n"); exit(1); }
    if (!strcmp(step, "replay") || !strcmp(step, "check")) {
        if (hs_db_replay(other, records, rlen) != HS_OK) {
            size_t el;
            fprintf(stderr, "replay failed: %s\n", hs_db_output(other, &el));
            exit(1);
        }
    }
    if (!strcmp(step, "check")) {
        size_t olen;
        hs_db_dump(other);
        const char *o = hs_db_output(other, &olen);
        /* The counter of new ids differs (the replayed commits keep theirs): compare the rest. */
        const char *a = strstr(final, "\"baseTime\""), *b = strstr(o, "\"baseTime\"");
        if (!a || !b || flen - (size_t)(a - final) != olen - (size_t)(b - o) || memcmp(a, b, flen - (size_t)(a - final))) { fprintf(stderr, "replayed state differs\n"); exit(1); }
    }
    hs_db_close(other);
    free(dump);
    free(records);
    free(final);
    return 0;
}
