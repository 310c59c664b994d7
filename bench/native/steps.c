/*
 * bench/native/steps.c: the query steps issue 14 names, run natively on 100,000 speed-test
 * documents, one step per run, so `valgrind --tool=callgrind` counts each step's instructions
 * (stable on a noisy machine, unlike wall time). Not part of any test.
 * Usage: steps STEP [N]   STEP: none count top searchOne getAll search updateOne update deleteOne range1
 * topIndexed strRange (range1: 100 counts of a 1% age range with a declared index;
 * topIndexed: top with a declared index on age; strRange: 100 counts of a string range on
 * name with a declared index; dump: the snapshot written; load: written, then read into a
 * new database: load's cost is load minus dump)
 * Only the step: valgrind --tool=callgrind --toggle-collect=measured_step steps STEP
 * Build: gcc -O2 -Ic -Ibuild/cjson bench/native/steps.c c/[a-v]*.c (not wasm.c) build/cjson/cJSON.c -lm
 */
#include "speed_docs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The step's own query, apart from the add: `--toggle-collect=measured_step` counts it alone. */
__attribute__((noinline)) static void measured_step(hs_db *db, const char *q) { run(db, q); }

int main(int argc, char **argv) {
    const char *step = argc > 1 ? argv[1] : "none";
    long n = argc > 2 ? atol(argv[2]) : 100000;
    hs_db *db = speed_docs_db(n);
    char q[1000];
    const char *head = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"users\"";
    if (!strcmp(step, "count"))
        snprintf(q, sizeof q, "%s,\"type\":\"search\",\"limit\":0,\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"age\",\"value\":%ld,\"vType\":\"auto_\",\"version\":\"2\"}}", head, n / 2);
    else if (!strcmp(step, "top"))
        snprintf(q, sizeof q, "%s,\"type\":\"search\",\"limit\":10,\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"age\",\"value\":%ld,\"vType\":\"auto_\",\"version\":\"2\"},"
                 "\"sortObj\":{\"className\":\"SingleSort\",\"version\":\"5\",\"field\":\"age\",\"reversed\":true,\"vType\":\"auto_\"}}", head, n / 2);
    else if (!strcmp(step, "searchOne"))
        snprintf(q, sizeof q, "%s,\"type\":\"searchOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"age\",\"value\":%ld,\"vType\":\"auto_\",\"version\":\"2\"}}", head, n - 1);
    else if (!strcmp(step, "getAll"))
        snprintf(q, sizeof q, "%s,\"type\":\"getAll\"}", head);
    else if (!strcmp(step, "search"))   /* startsWith + sort age: every document, sorted */
        snprintf(q, sizeof q, "%s,\"type\":\"search\",\"queryNode\":{\"type\":\"startsWith_\",\"field\":\"name\",\"value\":\"sample\",\"version\":\"1\"},"
                 "\"sortObj\":{\"className\":\"SingleSort\",\"version\":\"5\",\"field\":\"age\",\"reversed\":false,\"vType\":\"auto_\"}}", head);
    else if (!strcmp(step, "updateOne"))
        snprintf(q, sizeof q, "%s,\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"name\",\"value\":\"sample%ld\",\"vType\":\"auto_\",\"version\":\"2\"},\"overrideData\":{\"age\":%ld}}", head, n / 2 - 1, n);
    else if (!strcmp(step, "update"))
        snprintf(q, sizeof q, "%s,\"type\":\"update\",\"queryNode\":{\"type\":\"or_\",\"version\":\"1\",\"conditions\":[{\"type\":\"equals_\",\"field\":\"name\",\"value\":\"sample%ld\",\"vType\":\"auto_\",\"version\":\"2\"},"
                 "{\"type\":\"equals_\",\"field\":\"name\",\"value\":\"sample%ld\",\"vType\":\"auto_\",\"version\":\"2\"}]},\"overrideData\":{\"age\":%ld}}", head, n / 2 - 1, n - 1, n + 1);
    else if (!strcmp(step, "deleteOne"))
        snprintf(q, sizeof q, "%s,\"type\":\"deleteOne\",\"returnData\":true,\"queryNode\":{\"type\":\"equals_\",\"field\":\"age\",\"value\":%ld,\"vType\":\"auto_\",\"version\":\"2\"}}", head, n / 2);
    else if (!strcmp(step, "range1")) {
        hs_db_create_index(db, "users", 5, "age", 3);
        for (int i = 0; i < 100; i++) {
            snprintf(q, sizeof q, "%s,\"type\":\"search\",\"limit\":0,\"queryNode\":{\"type\":\"and_\",\"conditions\":[{\"type\":\"greaterThanOrEqual_\",\"field\":\"age\",\"value\":%ld},"
                     "{\"type\":\"lessThan_\",\"field\":\"age\",\"value\":%ld}]}}", head, (i * 7919L) % (n - n / 100), (i * 7919L) % (n - n / 100) + n / 100);
            run(db, q);
        }
        q[0] = 0;
    }
    else if (!strcmp(step, "topIndexed")) {   /* the top step with a declared index on age */
        hs_db_create_index(db, "users", 5, "age", 3);
        snprintf(q, sizeof q, "%s,\"type\":\"search\",\"limit\":10,\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"age\",\"value\":%ld,\"vType\":\"auto_\",\"version\":\"2\"},"
                 "\"sortObj\":{\"className\":\"SingleSort\",\"version\":\"5\",\"field\":\"age\",\"reversed\":true,\"vType\":\"auto_\"}}", head, n / 2);
    }
    else if (!strcmp(step, "strRange")) {   /* 100 counts of a string range on name, declared */
        hs_db_create_index(db, "users", 5, "name", 4);
        for (int i = 0; i < 100; i++) {
            snprintf(q, sizeof q, "%s,\"type\":\"search\",\"limit\":0,\"queryNode\":{\"type\":\"and_\",\"conditions\":[{\"type\":\"greaterThanOrEqual_\",\"field\":\"name\",\"value\":\"sample%d\"},"
                     "{\"type\":\"lessThan_\",\"field\":\"name\",\"value\":\"sample%d~\"}]}}", head, 100 + i, 100 + i);
            run(db, q);
        }
        q[0] = 0;
    }
    else if (!strcmp(step, "load") || !strcmp(step, "dump")) {   /* the snapshot of the 100k: written, then (load) read */
        if (hs_db_dump(db) != HS_OK) { fprintf(stderr, "dump failed\n"); exit(1); }
        size_t dlen;
        const char *out = hs_db_output(db, &dlen);
        char *dump = malloc(dlen);
        memcpy(dump, out, dlen);
        hs_db *other = hs_db_open();
        if (!strcmp(step, "load") && hs_db_load(other, dump, dlen) != HS_OK) { fprintf(stderr, "load failed\n"); exit(1); }
        hs_db_close(other);
        free(dump);
        q[0] = 0;
    }
    else q[0] = 0;
    if (q[0]) measured_step(db, q);
    hs_db_close(db);
    return 0;
}
