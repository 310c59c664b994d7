/*
 * test_columns.c: the column caches (c/column.h) never change an answer. The same random
 * queries (comparisons of every kind on int and string fields whose kinds mix with floats,
 * nulls, bools, objects and missing members; and_/or_/not_ of them; equals_ on strings that
 * share a hash bucket only by chance; sort + limit; searchOne, count, as of past commits)
 * run on a database that keeps its columns up to date from the first add and on the same
 * database with columns turned off (col_enable(0): a scan, or an index when one is built).
 * Writes between rounds change kinds, delete rows, add rows with new fields, roll back a
 * failed transaction (its appended rows leave the columns) and prune history (positions
 * move: the columns are rebuilt). A loaded dump builds its columns at its first query.
 * Fields that nearly every row holds as an int or a string (p, q) let lone comparisons skip
 * whole blocks by their summaries (column.c's zones) while updates move values out of them.
 * Lone int comparisons that skip blocks of rows, and sorts skipped because an int column
 * shows the hits already in order, get fixed cases of their own.
 * Results must be byte-identical; explain must report the columns plan.
 */
#include "check.h"
#define MODEL_SEED 7
#include "model_test.h"
#include "hindsight.h"
#include "column.h"
#include "plan.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *H = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\"";

/* A value for field n: mostly small ints, sometimes another kind. */
static void n_value(char *out, size_t cap) {
    switch (rnd(12)) {
    case 0: snprintf(out, cap, "\"%u\"", rnd(50)); break;
    case 1: snprintf(out, cap, "%u.5", rnd(50)); break;
    case 2: snprintf(out, cap, "null"); break;
    case 3: snprintf(out, cap, "true"); break;
    case 4: snprintf(out, cap, "{\"k\":%u}", rnd(50)); break;
    case 5: snprintf(out, cap, "%u.0", rnd(50)); break;   /* stored as an int */
    default: snprintf(out, cap, "%d", (int)rnd(60) - 5);
    }
}

/* p and q: fields that almost every row holds as an int (p, clustered by insertion order,
   so a block's least and greatest values rule most queries out) and a string (q, from a
   wide range, so a block's Bloom filter does): whole blocks of ZONE rows are skipped, and
   the rare other kind, missing member and update test that a summary only widens. The
   first rows hold p as a float, so its column is made after them (they ask the document). */
static unsigned next_p = 0;
static void p_value(char *out, size_t cap) {
    next_p++;
    if (next_p < 100) snprintf(out, cap, "%u.5", next_p / 8);
    else if (!rnd(300)) snprintf(out, cap, "\"%u\"", next_p / 8);
    else snprintf(out, cap, "%u", next_p / 8 + rnd(3));
}
static void pq_members(char *out, size_t cap) {
    char pv[40];
    p_value(pv, sizeof pv);
    if (!rnd(400)) snprintf(out, cap, ",\"p\":%s", pv);
    else if (!rnd(300)) snprintf(out, cap, ",\"p\":%s,\"q\":%u", pv, rnd(3000));
    else snprintf(out, cap, ",\"p\":%s,\"q\":\"q%u\"", pv, rnd(3000));
}

static void add_rows(hs_db *db, int n) {
    size_t cap = (size_t)n * 220 + 200, len = 0;
    char *q = malloc(cap), nv[40];
    len += snprintf(q, cap, "%s,\"type\":\"add\",\"addData\":[", H);
    for (int i = 0; i < n; i++) {
        n_value(nv, sizeof nv);
        /* s: strings (some a number); members in varying order and sometimes missing. */
        char sv[40];
        if (rnd(9)) snprintf(sv, sizeof sv, "\"s%u\"", rnd(30)); else snprintf(sv, sizeof sv, "%u", rnd(30));
        char pq[80];
        pq_members(pq, sizeof pq);
        if (rnd(2)) len += snprintf(q + len, cap - len, "%s{\"n\":%s,\"s\":%s,\"m\":%u%s%s}", i ? "," : "", nv, sv, rnd(20), rnd(7) ? "" : ",\"x\":\"long string value of row x\"", pq);
        else len += snprintf(q + len, cap - len, "%s{\"s\":%s%s,\"n\":%s%s}", i ? "," : "", sv, rnd(5) ? ",\"m\":3" : "", nv, pq);
    }
    snprintf(q + len, cap - len, "]}");
    free(run(db, q));
    free(q);
}

static void leaf(char *out, size_t cap) {
    static const char *ops[] = {"equals_", "notEquals_", "greaterThan_", "lessThan_", "greaterThanOrEqual_", "lessThanOrEqual_"};
    switch (rnd(6)) {
    case 4: snprintf(out, cap, "{\"type\":\"%s\",\"field\":\"p\",\"value\":%d}", ops[rnd(6)], (int)rnd(next_p / 8 + 20) - 5); break;
    case 5: snprintf(out, cap, "{\"type\":\"%s\",\"field\":\"q\",\"value\":\"q%u\"}", ops[rnd(2)], rnd(3000)); break;
    case 0: snprintf(out, cap, "{\"type\":\"%s\",\"field\":\"s\",\"value\":\"s%u\"}", ops[rnd(2)], rnd(32)); break;
    case 1: snprintf(out, cap, "{\"type\":\"%s\",\"field\":\"m\",\"value\":%u}", ops[rnd(6)], rnd(22)); break;
    case 2: snprintf(out, cap, "{\"type\":\"%s\",\"field\":\"x\",\"value\":\"long string value of row x\"}", ops[rnd(2)]); break;
    default: snprintf(out, cap, "{\"type\":\"%s\",\"field\":\"n\",\"value\":%d}", ops[rnd(6)], (int)rnd(60) - 5);
    }
}

static void random_node(char *out, size_t cap, int depth) { random_node_of(leaf, out, cap, depth, 2); }

static void random_query(char *q, size_t cap, uint32_t seq) {
    char node[2200], tail[200] = "", asof[40] = "";
    random_node(node, sizeof node, 0);
    if (!rnd(3)) snprintf(tail, sizeof tail, ",\"sortObj\":{\"className\":\"SingleSort\",\"version\":\"5\",\"field\":\"%s\",\"reversed\":%s},\"limit\":%u", rnd(3) ? "m" : "n", rnd(2) ? "true" : "false", rnd(8));
    else if (!rnd(4)) snprintf(tail, sizeof tail, ",\"limit\":0");
    if (seq > 1 && !rnd(5)) snprintf(asof, sizeof asof, ",\"asOf\":{\"seq\":%u}", 1 + rnd(seq - 1));
    snprintf(q, cap, "%s,\"type\":\"%s\",\"queryNode\":%s%s%s}", H, rnd(4) ? "search" : "searchOne", node, tail, asof);
}

/* q on db with columns, then without, then with columns and no index (indexes get built
   after a few queries and would answer for the columns): 1 when the outputs are identical. */
static int same_both_ways(hs_db *db, const char *q, int *mismatches) {
    col_enable(1);
    char *a = run(db, q);
    col_enable(0);
    char *b = run(db, q);
    col_enable(1);
    plan_indexes_enable(0);
    char *c = run(db, q);
    plan_indexes_enable(1);
    int same = a && b && c && strcmp(a, b) == 0 && strcmp(c, b) == 0;
    if (!same && (*mismatches)++ < 3)
        fprintf(stderr, "differs: %s\n  columns: %.300s\n  scan:    %.300s\n  columns, no index: %.300s\n", q, a ? a : "(rc)", b ? b : "(rc)", c ? c : "(rc)");
    free(a);
    free(b);
    free(c);
    return same;
}

static int contains_plan(hs_db *db, const char *q, const char *plan) {
    if (hs_db_explain(db, q, strlen(q)) != HS_OK) return 0;
    size_t n;
    const char *out = hs_db_output(db, &n);
    return strstr(out, plan) != NULL;
}

int main(void) {
    hs_db *db = hs_db_open();
    add_rows(db, 1500);
    char q[3000], w[2000], nv[40], err[200];
    int mismatches = 0, checks = 0;
    for (int round = 0; round < 60; round++) {
        for (int k = 0; k < 30; k++) {
            random_query(q, sizeof q, hs_db_seq(db));
            same_both_ways(db, q, &mismatches);
            checks++;
        }
        char node[700];
        leaf(node, sizeof node);
        n_value(nv, sizeof nv);
        switch (round % 6) {
        case 0: case 1: {   /* updates that change kinds, and move p and q out of their block's summary */
            char pq[80];
            pq_members(pq, sizeof pq);
            snprintf(w, sizeof w, "%s,\"type\":\"update\",\"queryNode\":%s,\"overrideData\":{\"n\":%s,\"s\":\"s%u\"%s}}", H, node, nv, rnd(32), rnd(2) ? pq : "");
            break;
        }
        case 2:
            snprintf(w, sizeof w, "%s,\"type\":\"delete\",\"queryNode\":%s}", H, node);
            break;
        case 3:   /* a transaction that adds, then fails: rolled back */
            snprintf(w, sizeof w, "{\"className\":\"TransactionQuery\",\"version\":\"1\",\"queries\":[{\"type\":\"add\",\"target\":\"t\",\"addData\":[{\"n\":1,\"s\":\"s1\"},{\"n\":2}]},"
                     "{\"type\":\"update\",\"target\":\"t\",\"queryNode\":%s,\"overrideData\":{\"m\":1}},"
                     "{\"type\":\"delete\",\"target\":\"t\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"s\",\"value\":\"none\"}}]}", node);
            break;
        case 4:
            snprintf(w, sizeof w, "%s,\"type\":\"updateOne\",\"queryNode\":%s,\"overrideData\":{\"x\":\"long string value of row x\",\"m\":%u}}", H, node, rnd(20));
            break;
        default:
            add_rows(db, 40);
            w[0] = 0;
        }
        if (w[0]) free(run(db, w));
        if (round % 15 == 14) {
            /* Prune: deleted rows leave rows[], so positions move. */
            uint32_t seq = hs_db_seq(db);
            if (seq > 5) hs_db_set_horizon(db, seq - 3);
        }
    }
    snprintf(err, sizeof err, "answers with columns and without are identical (%d queries)", checks);
    CHECK(mismatches == 0, err);

    /* A loaded dump has no columns until its first query builds them. */
    hs_db *loaded = loaded_copy(db);
    CHECK(loaded != NULL, "the dump loads");
    int before = mismatches;
    for (int k = 0; k < 100; k++) {
        random_query(q, sizeof q, hs_db_seq(loaded));
        same_both_ways(loaded, q, &mismatches);
    }
    CHECK(mismatches == before, "a loaded dump answers the same with columns built at its first query");

    /* Lone int comparisons skip blocks of 8 rows that cannot match (column.c's
       no_match_block): long runs of ints only, values at the ends of the int64 range, the
       match in every slot of a block and in the tail after the last whole block. */
    {
        static const char *vals[] = {"-9223372036854775808", "-9223372036854775807", "-1", "0", "1", "7", "8", "9223372036854775806", "9223372036854775807"};
        const size_t nvals = sizeof vals / sizeof vals[0];
        hs_db *blocks = hs_db_open();
        size_t cap = 100000, len = 0;
        char *add = malloc(cap);
        len += snprintf(add, cap, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"b\",\"type\":\"add\",\"addData\":[");
        for (int i = 0; i < 203; i++) {   /* 203: a tail of 3 rows after the last block */
            const char *v = i % 29 == 5 ? vals[(size_t)i % nvals] : i < 100 ? "100" : "-100";
            len += snprintf(add + len, cap - len, "%s{\"v\":%s,\"i\":%d}", i ? "," : "", i == 150 ? "\"text\"" : v, i);
        }
        snprintf(add + len, cap - len, "]}");
        free(run(blocks, add));
        free(add);
        static const char *ops[] = {"equals_", "notEquals_", "greaterThan_", "lessThan_", "greaterThanOrEqual_", "lessThanOrEqual_"};
        int block_mismatches = 0, block_checks = 0;
        char bq[400];
        for (size_t o = 0; o < 6; o++)
            for (size_t k = 0; k < nvals + 2; k++) {
                const char *value = k < nvals ? vals[k] : k == nvals ? "100" : "-100";
                snprintf(bq, sizeof bq, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"b\",\"type\":\"search\",\"queryNode\":{\"type\":\"%s\",\"field\":\"v\",\"value\":%s}}", ops[o], value);
                same_both_ways(blocks, bq, &block_mismatches);
                block_checks++;
            }
        snprintf(bq, sizeof bq, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"b\",\"type\":\"search\",\"limit\":0,\"queryNode\":{\"type\":\"equals_\",\"field\":\"v\",\"value\":-9223372036854775808}}");
        char *count = run(blocks, bq);
        CHECK(count && strstr(count, "\"hitCount\":1,"), "the int64 minimum is found through the column");
        free(count);
        snprintf(err, sizeof err, "lone int comparisons answer the same with block skipping and without (%d queries)", block_checks);
        CHECK(block_mismatches == 0, err);
        hs_db_close(blocks);
    }

    /* A sort by an int column whose hits are already in its order is skipped (column.c's
       col_in_order): ascending, descending and tied runs, a float, a string or a missing
       field in the middle, with and without a limit, both directions. */
    {
        static const char *runs[] = {
            "1,2,2,3,5,8,13,21", "21,13,8,5,3,2,2,1", "4,4,4,4", "1,2,3,4.5,5,6", "1,2,\"3\",4", "1,2,null,4", "7", "3,1,2"};
        int order_mismatches = 0, order_checks = 0;
        char oq[600], add[600];
        for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
            hs_db *sorted = hs_db_open();
            size_t len = (size_t)snprintf(add, sizeof add, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"o\",\"type\":\"add\",\"addData\":[");
            const char *v = runs[r];
            for (int i = 0; *v; i++) {
                const char *comma = strchr(v, ',');
                size_t vl = comma ? (size_t)(comma - v) : strlen(v);
                len += (size_t)snprintf(add + len, sizeof add - len, "%s{\"i\":%d,\"k\":%.*s}", i ? "," : "", i, (int)vl, v);
                v += vl + (comma ? 1 : 0);
            }
            snprintf(add + len, sizeof add - len, "]}");
            free(run(sorted, add));
            for (int reversed = 0; reversed < 2; reversed++)
                for (int limit = -1; limit < 3; limit++) {
                    char lim[30] = "";
                    if (limit >= 0) snprintf(lim, sizeof lim, ",\"limit\":%d", limit);
                    snprintf(oq, sizeof oq, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"o\",\"type\":\"search\","
                             "\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"i\",\"value\":-1},"
                             "\"sortObj\":{\"className\":\"SingleSort\",\"version\":\"5\",\"field\":\"k\",\"reversed\":%s}%s}", reversed ? "true" : "false", lim);
                    same_both_ways(sorted, oq, &order_mismatches);
                    order_checks++;
                }
            hs_db_close(sorted);
        }
        snprintf(err, sizeof err, "sorts by an int column answer the same when skipped as in-order and when sorted (%d queries)", order_checks);
        CHECK(order_mismatches == 0, err);
    }

    /* explain */
    const char *eq = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"or_\",\"conditions\":["
                     "{\"type\":\"equals_\",\"field\":\"s\",\"value\":\"s3\"},{\"type\":\"greaterThan_\",\"field\":\"m\",\"value\":15}]}}";
    CHECK(contains_plan(db, eq, "\"plan\":\"columns\"") && contains_plan(db, eq, "\"field\":\"s\""), "explain: an or_ of comparisons on columned fields reads the columns");
    const char *starts = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"startsWith_\",\"field\":\"s\",\"value\":\"s3\"}}";
    CHECK(contains_plan(db, starts, "\"plan\":\"scan\""), "explain: startsWith_ scans");
    const char *strrange = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"s\",\"value\":\"s3\"}}";
    CHECK(contains_plan(db, strrange, "\"plan\":\"scan\""), "explain: a string range scans (string columns hold hashes)");
    char past[400];
    snprintf(past, sizeof past, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"asOf\":{\"seq\":%u},\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":3}}", hs_db_seq(db) - 1);
    CHECK(contains_plan(db, past, "\"plan\":\"columns\"") && contains_plan(db, past, "\"asOf\":true"), "explain: an as-of read reads the columns' past values");
    col_past_enable(0);
    CHECK(contains_plan(db, past, "\"plan\":\"scan\"") && contains_plan(db, past, "\"asOf\":true"), "explain: with past values off, an as-of read scans");
    col_past_enable(1);
    col_enable(0);
    CHECK(contains_plan(db, eq, "\"plan\":\"scan\""), "explain: with columns off, a scan");
    col_enable(1);
    hs_db_close(loaded);
    hs_db_close(db);
    return check_done();
}
