/*
 * test_asof_runs.c: as-of reads answered through a collection's run summary (coll.h: a row
 * matched on its current document when every delta back to the seq keeps the members the
 * filter reads) give exactly what walking the versions gives. Random as-of searches, counts
 * and searchOnes (filters on one to three fields, dot paths into an object member, and_/or_/
 * not_, fields that the writes change and fields they never touch, a missing field) run with
 * run summaries and again with them turned off (coll_runs_enable(0)); writes between rounds
 * change members before and after the ones read, grow and shrink them, add members, rename
 * (a member moves to the end), delete and add rows, update a row more times than a delta run
 * holds, roll back a failed transaction, revert, and prune history. After every write the
 * summary must say nothing the versions contradict (coll_runs_check). Fixed cases check that
 * a hit matched on the current document is returned as it was at the seq.
 */
#include "check.h"
#define MODEL_SEED 11
#include "model_test.h"
#include "hindsight.h"
#include "hsint.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *H = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\"";

static void add_rows(hs_db *db, int n) {
    static int next = 0;
    size_t cap = (size_t)n * 200 + 200, len = 0;
    char *q = malloc(cap);
    len += (size_t)snprintf(q, cap, "%s,\"type\":\"add\",\"addData\":[", H);
    for (int i = 0; i < n; i++, next++)
        len += (size_t)snprintf(q + len, cap - len, "%s{\"id\":\"%d\",\"a\":\"a%u\",\"n\":%u,\"o\":{\"k\":%u},\"s\":\"%.*s\",\"z\":%u}",
                                i ? "," : "", next, rnd(40), rnd(40), rnd(40), (int)rnd(30), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", rnd(40));
    snprintf(q + len, cap - len, "]}");
    free(run(db, q));
    free(q);
}

static const char *fields[] = {"id", "a", "n", "o.k", "s", "z", "w", "o"};

static void leaf(char *out, size_t cap) {
    /* Half the leaves read id or a, which come before what most writes change: those rows
       are matched on their current documents (the summary's path). */
    const char *f = rnd(2) ? (rnd(2) ? "a" : "id") : fields[rnd(sizeof fields / sizeof fields[0])];
    switch (rnd(5)) {
    case 0: snprintf(out, cap, "{\"type\":\"equals_\",\"field\":\"%s\",\"value\":%s%u%s}", f, f[0] == 'a' || f[0] == 'i' ? "\"a" : "", rnd(40), f[0] == 'a' || f[0] == 'i' ? "\"" : ""); break;
    case 1: snprintf(out, cap, "{\"type\":\"greaterThan_\",\"field\":\"%s\",\"value\":%u}", f, rnd(40)); break;
    case 2: snprintf(out, cap, "{\"type\":\"startsWith_\",\"field\":\"a\",\"value\":\"a%u\"}", rnd(5)); break;
    case 3: snprintf(out, cap, "{\"type\":\"equals_\",\"field\":\"a\",\"value\":\"a%u\"}", rnd(40)); break;
    default: snprintf(out, cap, "{\"type\":\"lessThan_\",\"field\":\"%s\",\"value\":%u}", f, rnd(40));
    }
}

static void random_node(char *out, size_t cap, int depth) { random_node_of(leaf, out, cap, depth, 1); }

/* q with run summaries, then without: 1 when the outputs are identical. */
static int same_both_ways(hs_db *db, const char *q, int *mismatches) {
    coll_runs_enable(1);
    char *a = run(db, q);
    coll_runs_enable(0);
    char *b = run(db, q);
    coll_runs_enable(1);
    int same = a && b && strcmp(a, b) == 0;
    if (!same && (*mismatches)++ < 3)
        fprintf(stderr, "differs: %s\n  runs:    %.400s\n  no runs: %.400s\n", q, a ? a : "(rc)", b ? b : "(rc)");
    free(a);
    free(b);
    return same;
}

/* After every write: the summary must say nothing the versions contradict. */
static int summary_ok = 1;
static void write(hs_db *db, const char *w) {
    free(run(db, w));
    coll *c = db_find(db, "t");
    if (c && !coll_runs_check(c)) summary_ok = 0;
}

/* Builds the summary (an as-of read), so that the writes that follow keep it up to date. */
static void read_past(hs_db *db) {
    char q[200];
    if (hs_db_seq(db) < 2) return;
    snprintf(q, sizeof q, "%s,\"type\":\"search\",\"limit\":0,\"queryNode\":{\"type\":\"equals_\",\"field\":\"a\",\"value\":\"a1\"},\"asOf\":{\"seq\":%u}}", H, hs_db_seq(db) - 1);
    char *out = run(db, q);
    if (!out || !strstr(out, "\"isSuccess\":true")) summary_ok = 0;   /* the read that builds the summary must run */
    free(out);
}

static void random_write(hs_db *db, int round) {
    char w[1500], node[600];
    leaf(node, sizeof node);
    switch (round % 9) {
    case 0: case 1: {   /* one row: members before and after the ones read, growing and shrinking */
        static const char *overs[] = {"{\"n\":%u}", "{\"z\":%u}", "{\"id\":\"longer id %u\"}", "{\"a\":\"a%u\"}", "{\"s\":\"%u\"}",
                                      "{\"o\":{\"k\":%u,\"j\":1}}", "{\"new\":%u}", "{\"n\":\"text %u\",\"z\":null}"};
        char over[100];
        snprintf(over, sizeof over, overs[rnd(sizeof overs / sizeof overs[0])], rnd(40));
        snprintf(w, sizeof w, "%s,\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"%u\"},\"overrideData\":%s}", H, rnd(60), over);
        break;
    }
    case 2:
        snprintf(w, sizeof w, "%s,\"type\":\"update\",\"queryNode\":%s,\"overrideData\":{\"z\":%u,\"s\":\"%.*s\"}}", H, node, rnd(40), (int)rnd(30), "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
        break;
    case 3:
        snprintf(w, sizeof w, "%s,\"type\":\"delete\",\"queryNode\":%s}", H, node);
        break;
    case 4:   /* a transaction that adds and updates, then fails: rolled back */
        snprintf(w, sizeof w, "{\"className\":\"TransactionQuery\",\"version\":\"1\",\"queries\":[{\"type\":\"add\",\"target\":\"t\",\"addData\":[{\"n\":1},{\"a\":\"a2\"}]},"
                 "{\"type\":\"update\",\"target\":\"t\",\"queryNode\":%s,\"overrideData\":{\"n\":99}},"
                 "{\"type\":\"delete\",\"target\":\"t\",\"mustAffectAtLeastOne\":true,\"queryNode\":{\"type\":\"equals_\",\"field\":\"s\",\"value\":\"none\"}}]}", node);
        break;
    case 5:   /* one row edited more times than a run of deltas holds */
        for (int k = 0; k < 12; k++) {
            snprintf(w, sizeof w, "%s,\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"%u\"},\"overrideData\":{\"%s\":%u}}", H, rnd(8), rnd(2) ? "n" : "z", rnd(40));
            write(db, w);
        }
        w[0] = 0;
        break;
    case 6:
        if (round % 4 == 0) snprintf(w, sizeof w, "%s,\"type\":\"renameField\",\"renameBefore\":\"a\",\"renameAfter\":\"b\"}", H);
        else if (round % 4 == 1) snprintf(w, sizeof w, "%s,\"type\":\"renameField\",\"renameBefore\":\"b\",\"renameAfter\":\"a\"}", H);
        else { add_rows(db, 10); w[0] = 0; }
        break;
    case 7:
        if (hs_db_seq(db) > 4) hs_db_revert(db, hs_db_seq(db) - 3);
        w[0] = 0;
        break;
    default:
        if (hs_db_seq(db) > 6 && round % 2) hs_db_set_horizon(db, hs_db_seq(db) - 5);   /* deleted rows leave: positions move */
        else add_rows(db, 5);
        w[0] = 0;
    }
    if (w[0]) write(db, w);
}

static uint32_t past_seq(hs_db *db) {
    uint32_t seq = hs_db_seq(db);
    /* The oldest kept seq is not public here: the last few seqs are always kept (the horizon
       stays 5 behind). Half the reads go further back, where they may be refused as too old:
       both ways then refuse alike. */
    return rnd(2) ? seq - 1 - rnd(seq > 5 ? 5 : seq - 1) : 1 + rnd(seq - 1);
}

int main(void) {
    hs_db *db = hs_db_open();
    add_rows(db, 60);
    char q[1500], node[1100], err[200];
    int mismatches = 0, checks = 0;
    for (int round = 0; round < 160; round++) {
        read_past(db);
        random_write(db, round);
        coll *c = db_find(db, "t");
        if (c && !coll_runs_check(c)) summary_ok = 0;
        for (int k = 0; k < 12 && hs_db_seq(db) > 1; k++) {
            random_node(node, sizeof node, 0);
            const char *type = rnd(5) ? "search" : rnd(2) ? "searchOne" : "getAll";
            snprintf(q, sizeof q, "%s,\"type\":\"%s\",%s\"queryNode\":%s,\"asOf\":{\"seq\":%u}}", H, type, rnd(4) ? "" : "\"limit\":0,", node, past_seq(db));
            same_both_ways(db, q, &mismatches);
            checks++;
        }
    }
    snprintf(err, sizeof err, "as-of answers with run summaries and without are identical (%d queries)", checks);
    CHECK(mismatches == 0, err);
    CHECK(summary_ok, "after every write, the run summary says nothing the versions contradict");
    hs_db_close(db);

    /* Fixed cases: rows updated once after seq 1, a member after the ones read (z) or one read
       (n), or one before them (id, longer: the prefix kept ends before a). */
    hs_db *f = hs_db_open();
    free(run(f, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"add\",\"addData\":["
                "{\"id\":\"0\",\"a\":\"a0\",\"n\":0,\"z\":0},{\"id\":\"1\",\"a\":\"a1\",\"n\":1,\"z\":1},{\"id\":\"2\",\"a\":\"a2\",\"n\":2,\"z\":2}]}"));
    free(run(f, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"0\"},\"overrideData\":{\"z\":100}}"));
    free(run(f, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"1\"},\"overrideData\":{\"n\":101}}"));
    free(run(f, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"2\"},\"overrideData\":{\"id\":\"two\"}}"));
    for (int pass = 0; pass < 2; pass++) {   /* the first builds the summary, the second uses it */
        char *out = run(f, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"asOf\":{\"seq\":1},\"queryNode\":{\"type\":\"startsWith_\",\"field\":\"a\",\"value\":\"a\"}}");
        CHECK(out && strstr(out, "\"result\":[{\"id\":\"0\",\"a\":\"a0\",\"n\":0,\"z\":0},{\"id\":\"1\",\"a\":\"a1\",\"n\":1,\"z\":1},{\"id\":\"2\",\"a\":\"a2\",\"n\":2,\"z\":2}]"),
              pass ? "rows matched on their current documents are returned as they were (summary used)" : "rows as they were (summary built)");
        free(out);
        out = run(f, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"asOf\":{\"seq\":1},\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"n\",\"value\":50}}");
        CHECK(out && strstr(out, "\"result\":[]"), "a member changed since the seq is read as it was");
        free(out);
        out = run(f, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"asOf\":{\"seq\":1},\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"2\"}}");
        CHECK(out && strstr(out, "\"result\":[{\"id\":\"2\",\"a\":\"a2\",\"n\":2,\"z\":2}]"), "a member read that a delta changed is read as it was");
        free(out);
        out = run(f, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"asOf\":{\"seq\":1},\"queryNode\":{\"type\":\"equals_\",\"field\":\"z\",\"value\":100}}");
        CHECK(out && strstr(out, "\"result\":[]"), "a member after the prefix kept is read as it was");
        free(out);
    }
    hs_db_close(f);

    /* A row edited more times than a run of deltas holds: the edit whose past version stays
       whole (the run below it is full) changes a member the others kept (a), so a summary left
       from before that edit would match the current a. */
    hs_db *g = hs_db_open();
    free(run(g, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"add\",\"addData\":[{\"id\":\"0\",\"a\":\"a0\",\"z\":0}]}"));
    char w[300];
    int all_true = 1;
    for (int k = 1; k <= 12; k++) {
        free(run(g, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"asOf\":{\"seq\":1},\"queryNode\":{\"type\":\"equals_\",\"field\":\"a\",\"value\":\"a0\"}}"));
        char value[16];
        if (k == 9) snprintf(value, sizeof value, "\"b0\"");
        else snprintf(value, sizeof value, "%d", k);
        snprintf(w, sizeof w, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"0\"},\"overrideData\":{\"%s\":%s}}",
                 k == 9 ? "a" : "z", value);
        free(run(g, w));
        if (!coll_runs_check(db_find(g, "t"))) all_true = 0;
        char *out = run(g, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"asOf\":{\"seq\":1},\"queryNode\":{\"type\":\"equals_\",\"field\":\"a\",\"value\":\"a0\"}}");
        if (!out || !strstr(out, "\"result\":[{\"id\":\"0\",\"a\":\"a0\",\"z\":0}]")) all_true = 0;
        free(out);
    }
    CHECK(all_true, "a row edited past a full run of deltas: its summary and its as-of reads stay true after every edit");
    hs_db_close(g);
    return check_done();
}
