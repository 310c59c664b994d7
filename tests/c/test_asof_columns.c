/*
 * test_asof_columns.c: as-of reads answered from the column caches' past values (column.h:
 * per row, one entry per past version with the field's slot and the seq it took effect, and
 * per block summaries over them) give exactly what walking the versions gives. Random as-of
 * searches, counts and searchOnes on the fields the writes change (ints and strings, values
 * that change kind: a float, a string in an int field, null, a missing member, a document
 * that loses the field by a rename), lone comparisons (the block-skipping path) and and_/or_/
 * not_ of them, run with past values and again with them turned off (col_past_enable(0));
 * writes between rounds update one row or many, delete, add, rename, roll back a failed
 * transaction (updates and deletes of rows the past values hold), revert, undo-like reverts
 * to an older seq, and prune history. After every write each built past value list must
 * mirror its rows' versions (col_past_check), and the count history (coll.h, the dbLength of
 * an as-of read, also turned off with coll_counts_enable(0) in the comparison) must give the
 * live count at every kept seq (coll_counts_check). A loaded dump and a fork answer the same as
 * the database they came from. Fixed cases check that a block whose present values all miss
 * still matches through a past value, that the first as-of read builds the past values, and
 * that a prune freeing most versions cuts every chain and frees most of the log (copied),
 * and that past values and a count history built by an as-of read inside a transaction that
 * then fails are rolled back with it.
 */
#include "check.h"
#define MODEL_SEED 29
#include "model_test.h"
#include "hindsight.h"
#include "hsint.h"
#include "column.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *H = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\"";

/* Adds n rows with ids next.. (numbered on across databases); returns the first id. */
static int add_rows(hs_db *db, int n) {
    static int next = 0;
    int first = next;
    size_t cap = (size_t)n * 160 + 200, len = 0;
    char *q = malloc(cap);
    len += (size_t)snprintf(q, cap, "%s,\"type\":\"add\",\"addData\":[", H);
    for (int i = 0; i < n; i++, next++)
        len += (size_t)snprintf(q + len, cap - len, "%s{\"id\":\"%d\",\"age\":%u,\"name\":\"n%u\",\"k\":%u%s}",
                                i ? "," : "", next, rnd(50), rnd(20), rnd(10), rnd(6) ? "" : ",\"extra\":true");
    snprintf(q + len, cap - len, "]}");
    free(run(db, q));
    free(q);
    return first;
}

/* A comparison on a field the writes change (age, name, k) or never read as a column (extra). */
static void leaf(char *out, size_t cap) {
    static const char *ops[] = {"equals_", "notEquals_", "greaterThan_", "lessThan_", "greaterThanOrEqual_", "lessThanOrEqual_"};
    unsigned f = rnd(8);
    if (f <= 3) snprintf(out, cap, "{\"type\":\"%s\",\"field\":\"age\",\"value\":%u}", ops[rnd(6)], rnd(60));
    else if (f <= 5) snprintf(out, cap, "{\"type\":\"%s\",\"field\":\"name\",\"value\":\"n%u\"}", ops[rnd(2)], rnd(24));
    else if (f == 6) snprintf(out, cap, "{\"type\":\"%s\",\"field\":\"k\",\"value\":%u}", ops[rnd(6)], rnd(12));
    else snprintf(out, cap, "{\"type\":\"equals_\",\"field\":\"extra\",\"value\":true}");
}

/* q with past values and count histories (each result's dbLength), then without: 1 when the
   outputs are identical. */
static int same_both_ways(hs_db *db, const char *q, int *mismatches) {
    col_past_enable(1);
    char *a = run(db, q);
    col_past_enable(0);
    coll_counts_enable(0);
    char *b = run(db, q);
    col_past_enable(1);
    coll_counts_enable(1);
    int same = a && b && strcmp(a, b) == 0;
    if (!same && (*mismatches)++ < 3)
        fprintf(stderr, "differs: %s\n  past values: %.400s\n  versions:    %.400s\n", q, a ? a : "(rc)", b ? b : "(rc)");
    free(a);
    free(b);
    return same;
}

static int mirrors = 1, counts_true = 1;
static uint32_t horizon = 1;   /* the oldest seq kept (hs_db_set_horizon below) */
static void check_mirror(hs_db *db) {
    coll *c = db_find(db, "t");
    if (c && !col_past_check(c)) mirrors = 0;
    if (c && !coll_counts_check(c, horizon, hs_db_seq(db))) counts_true = 0;
}

static void write(hs_db *db, const char *w) {
    free(run(db, w));
    check_mirror(db);
}

/* A value for age: mostly ints, sometimes another kind (the slot asks the document). */
static void age_value(char *out, size_t cap) {
    switch (rnd(12)) {
    case 0: snprintf(out, cap, "%u.5", rnd(50)); break;
    case 1: snprintf(out, cap, "\"%u\"", rnd(50)); break;
    case 2: snprintf(out, cap, "null"); break;
    default: snprintf(out, cap, "%u", rnd(60));
    }
}

static void random_write(hs_db *db, int round) {
    char w[1500], node[700], v[40];
    leaf(node, sizeof node);
    age_value(v, sizeof v);
    switch (round % 10) {
    case 0: case 1: case 2:   /* one row: age, name or k */
        snprintf(w, sizeof w, "%s,\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"%u\"},\"overrideData\":{\"%s\":%s}}",
                 H, rnd(200), rnd(3) ? "age" : "k", v);
        if (rnd(3) == 0)
            snprintf(w, sizeof w, "%s,\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"%u\"},\"overrideData\":{\"name\":%s}}",
                     H, rnd(200), rnd(5) ? "\"n7\"" : "12");
        break;
    case 3:
        snprintf(w, sizeof w, "%s,\"type\":\"update\",\"queryNode\":%s,\"overrideData\":{\"age\":%s,\"name\":\"n%u\"}}", H, node, v, rnd(24));
        break;
    case 4:
        snprintf(w, sizeof w, "%s,\"type\":\"delete\",\"queryNode\":%s}", H, node);
        break;
    case 5:   /* updates, deletes and adds, then a failure: rolled back */
        snprintf(w, sizeof w, "{\"className\":\"TransactionQuery\",\"version\":\"1\",\"queries\":["
                 "{\"type\":\"update\",\"target\":\"t\",\"queryNode\":%s,\"overrideData\":{\"age\":999,\"name\":\"gone\"}},"
                 "{\"type\":\"delete\",\"target\":\"t\",\"queryNode\":{\"type\":\"lessThan_\",\"field\":\"k\",\"value\":3}},"
                 "{\"type\":\"add\",\"target\":\"t\",\"addData\":[{\"age\":998},{\"name\":\"n1\"}]},"
                 "{\"type\":\"delete\",\"target\":\"t\",\"mustAffectAtLeastOne\":true,\"queryNode\":{\"type\":\"equals_\",\"field\":\"name\",\"value\":\"none\"}}]}", node);
        break;
    case 6:
        if (round % 4 == 0) snprintf(w, sizeof w, "%s,\"type\":\"renameField\",\"renameBefore\":\"age\",\"renameAfter\":\"years\"}", H);
        else if (round % 4 == 1) snprintf(w, sizeof w, "%s,\"type\":\"renameField\",\"renameBefore\":\"years\",\"renameAfter\":\"age\"}", H);
        else { add_rows(db, 8); check_mirror(db); w[0] = 0; }
        break;
    case 7:
        if (hs_db_seq(db) > 4) { hs_db_revert(db, hs_db_seq(db) - 1 - rnd(3)); check_mirror(db); }
        w[0] = 0;
        break;
    case 8:   /* one row edited many times: a long version chain */
        for (int k = 0; k < 10; k++) {
            age_value(v, sizeof v);
            snprintf(w, sizeof w, "%s,\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"%u\"},\"overrideData\":{\"age\":%s}}", H, rnd(6), v);
            write(db, w);
        }
        w[0] = 0;
        break;
    default:
        if (hs_db_seq(db) > 8 && round % 3 == 0) {   /* deleted rows leave */
            horizon = hs_db_seq(db) - 6;
            hs_db_set_horizon(db, horizon);
            check_mirror(db);
        }
        else { add_rows(db, 4); check_mirror(db); }
        w[0] = 0;
    }
    if (w[0]) write(db, w);
}

/* A seq the database still keeps (the horizon stays 6 behind at most), or an older one that
   both ways refuse alike. */
static uint32_t past_seq(hs_db *db) {
    uint32_t seq = hs_db_seq(db);
    return rnd(2) ? seq - rnd(seq > 6 ? 6 : seq) : 1 + rnd(seq);
}

static void random_reads(hs_db *db, int n, int *mismatches, int *checks) {
    char q[1800], node[1500];
    for (int k = 0; k < n && hs_db_seq(db) > 1; k++) {
        if (rnd(2)) leaf(node, sizeof node);   /* a lone comparison: the block-skipping path */
        else random_node_of(leaf, node, sizeof node, 0, 1);
        const char *type = rnd(6) ? "search" : rnd(2) ? "searchOne" : "count";
        snprintf(q, sizeof q, "%s,\"type\":\"%s\",%s\"queryNode\":%s,\"asOf\":{\"seq\":%u}}", H, type, rnd(5) ? "" : "\"limit\":2,", node, past_seq(db));
        same_both_ways(db, q, mismatches);
        (*checks)++;
    }
}

int main(void) {
    hs_db *db = hs_db_open();
    add_rows(db, 200);
    int mismatches = 0, checks = 0;
    char err[200];
    for (int round = 0; round < 200; round++) {
        random_write(db, round);
        random_reads(db, 10, &mismatches, &checks);
        check_mirror(db);
    }
    snprintf(err, sizeof err, "as-of answers with past values and without are identical (%d queries)", checks);
    CHECK(mismatches == 0, err);
    CHECK(mirrors, "after every write, rollback, revert and prune, the past values mirror the versions");
    CHECK(counts_true, "after every write, rollback, revert and prune, the count history gives the live count at every kept seq");

    /* A loaded dump and a fork at a past seq answer as the database does. */
    hs_db *loaded = loaded_copy(db);
    CHECK(loaded != NULL, "the dump loads");
    int before = mismatches, all_same = 1;
    char q[600];
    for (int k = 0; k < 60; k++) {
        char node[500];
        leaf(node, sizeof node);
        snprintf(q, sizeof q, "%s,\"type\":\"search\",\"queryNode\":%s,\"asOf\":{\"seq\":%u}}", H, node, hs_db_seq(db) - rnd(5));
        char *a = run(db, q), *b = run(loaded, q);
        if (!a || !b || strcmp(a, b)) all_same = 0;
        free(a);
        free(b);
        same_both_ways(loaded, q, &mismatches);
    }
    CHECK(all_same && mismatches == before, "a loaded dump answers as-of reads as the database does");
    uint32_t at = hs_db_seq(db) - 3;
    hs_db *fork = hs_db_fork(db, at);
    CHECK(fork != NULL, "the fork is made");
    all_same = 1;
    for (int k = 0; fork && k < 60; k++) {
        char node[500];
        leaf(node, sizeof node);
        uint32_t s = at - rnd(3);
        snprintf(q, sizeof q, "%s,\"type\":\"search\",\"queryNode\":%s,\"asOf\":{\"seq\":%u}}", H, node, s);
        char *a = run(db, q), *b = run(fork, q);
        if (!a || !b || strcmp(a, b)) all_same = 0;
        free(a);
        free(b);
    }
    CHECK(all_same, "a fork answers as-of reads at and before its seq as the database does");
    hs_db_close(fork);
    hs_db_close(loaded);
    hs_db_close(db);

    /* Fixed: 200 rows aged 0..199 in 4 blocks; every row of the first block then gets age
       1000, so that block's present values all miss age < 64, which only its past values hold
       (its present summary is rebuilt from the present: summaries otherwise only widen). */
    hs_db *f = hs_db_open();
    {
        size_t cap = 200 * 40 + 200, len = 0;
        char *a = malloc(cap);
        len += (size_t)snprintf(a, cap, "%s,\"type\":\"add\",\"addData\":[", H);
        for (int i = 0; i < 200; i++) len += (size_t)snprintf(a + len, cap - len, "%s{\"id\":\"%d\",\"age\":%d}", i ? "," : "", i, i);
        snprintf(a + len, cap - len, "]}");
        free(run(f, a));
        free(a);
    }
    free(run(f, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"update\",\"queryNode\":{\"type\":\"lessThan_\",\"field\":\"age\",\"value\":64},\"overrideData\":{\"age\":1000}}"));
    coll *c = db_find(f, "t");
    CHECK(c && col_past_bytes(c) == 0, "no past values before an as-of read");
    col_drop(c);   /* rebuilt by the next read: block 0's present summary then holds only 1000 */
    char *out = run(f, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"lessThan_\",\"field\":\"age\",\"value\":2},\"asOf\":{\"seq\":1}}");
    CHECK(out && strstr(out, "\"result\":[{\"id\":\"0\",\"age\":0},{\"id\":\"1\",\"age\":1}]"), "a block whose present values all miss matches through its past values");
    free(out);
    CHECK(col_past_bytes(c) > 0, "the first as-of read built the past values");
    free(run(f, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"100\"},\"overrideData\":{\"age\":1}}"));
    out = run(f, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"age\",\"value\":100},\"asOf\":{\"seq\":2}}");
    CHECK(out && strstr(out, "\"result\":[{\"id\":\"100\",\"age\":100}]"), "a write after the build keeps the value it replaced as a past value");
    free(out);
    out = run(f, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"lessThan_\",\"field\":\"age\",\"value\":2},\"asOf\":{\"seq\":2}}");
    CHECK(out && strstr(out, "\"result\":[]"), "a value is not seen before it took effect");
    free(out);
    out = run(f, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"lessThan_\",\"field\":\"age\",\"value\":2}}");
    CHECK(out && strstr(out, "\"result\":[{\"id\":\"100\",\"age\":1}]"), "... and is seen in the present");
    free(out);
    CHECK(col_past_check(c), "the past values mirror the versions");
    hs_db_close(f);

    /* Past values and a count history built by an as-of read inside a transaction (its
       updates, adds and deletes already made), which then fails: rolled back with them. */
    hs_db *t = hs_db_open();
    int tfirst = add_rows(t, 150);
    snprintf(q, sizeof q, "%s,\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"%d\"},\"overrideData\":{\"age\":7}}", H, tfirst + 3);
    free(run(t, q));
    char *tx = run(t, "{\"className\":\"TransactionQuery\",\"version\":\"1\",\"queries\":["
                      "{\"type\":\"update\",\"target\":\"t\",\"queryNode\":{\"type\":\"lessThan_\",\"field\":\"age\",\"value\":20},\"overrideData\":{\"age\":500}},"
                      "{\"type\":\"delete\",\"target\":\"t\",\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"age\",\"value\":40}},"
                      "{\"type\":\"add\",\"target\":\"t\",\"addData\":[{\"age\":1}]},"
                      "{\"type\":\"search\",\"target\":\"t\",\"queryNode\":{\"type\":\"lessThan_\",\"field\":\"age\",\"value\":30},\"asOf\":{\"seq\":1}},"
                      "{\"type\":\"delete\",\"target\":\"t\",\"mustAffectAtLeastOne\":true,\"queryNode\":{\"type\":\"equals_\",\"field\":\"name\",\"value\":\"none\"}}]}");
    free(tx);
    coll *tc = db_find(t, "t");
    CHECK(tc && col_past_bytes(tc) > 0 && col_past_check(tc) && coll_counts_check(tc, 1, hs_db_seq(t)), "built inside a transaction that failed: rolled back to mirror the versions and counts");
    before = mismatches;
    for (int k = 0; k < 40; k++) {
        char node[500];
        leaf(node, sizeof node);
        snprintf(q, sizeof q, "%s,\"type\":\"search\",\"queryNode\":%s,\"asOf\":{\"seq\":%u}}", H, node, 1 + rnd(2));
        same_both_ways(t, q, &mismatches);
    }
    CHECK(mismatches == before, "... and as-of reads answer as the versions do");
    hs_db_close(t);

    /* A prune that frees most versions and removes no row: each chain is cut, and the log,
       mostly unreachable then, is copied smaller; reads at the kept seqs answer as before. */
    hs_db *p = hs_db_open();
    int first = add_rows(p, 100);
    char w[300];
    for (int k = 0; k < 400; k++) {
        snprintf(w, sizeof w, "%s,\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"%d\"},\"overrideData\":{\"age\":%u}}",
                 H, first + (int)rnd(100), rnd(60));
        free(run(p, w));
    }
    free(run(p, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"lessThan_\",\"field\":\"age\",\"value\":5},\"asOf\":{\"seq\":2}}"));
    coll *pc = db_find(p, "t");
    size_t built = col_past_bytes(pc);
    uint32_t top = hs_db_seq(p);
    hs_db_set_horizon(p, top - 150);
    CHECK(built > 0 && col_past_bytes(pc) < built / 2, "a prune that frees most versions frees most past values");
    CHECK(col_past_check(pc), "... and they mirror the versions kept");
    before = mismatches;
    for (uint32_t s = top - 150; s < top; s += 3) {
        char node[500];
        leaf(node, sizeof node);
        snprintf(q, sizeof q, "%s,\"type\":\"search\",\"queryNode\":%s,\"asOf\":{\"seq\":%u}}", H, node, s);
        same_both_ways(p, q, &mismatches);
    }
    CHECK(mismatches == before, "... and as-of reads at the kept seqs answer as the versions do");
    hs_db_close(p);
    return check_done();
}
