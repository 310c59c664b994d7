/*
 * test_plain_query.c: the plain-write fast path (query_parse_plain, db.c's execute_plain) and
 * replay against the general path, differentially, over a random workload (fixed seed, no
 * clock: a failure reproduces exactly).
 *
 * Must stay true: every query runs on three databases: A without permissions (plain texts
 * take the fast path), B with permissions that allow every type (the general path: cut,
 * strict check, cJSON), and each must give the same return code, the same output and the
 * same dump after it. Then the commits of A are replayed into a database loaded from A's
 * first dump, and that replay must end in A's state (dumps equal but for the counter of new
 * ids, which replayed commits do not use). The workload mixes the plain shapes with texts
 * that are almost plain (white space, escapes, duplicates, wrong types, unknown members,
 * cut short, failing writes), which must leave the fast path and behave exactly as before.
 */
#include "hindsight.h"
#include "check.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((rng >> 33) % n);
}

#define ALL_TYPES "{\"allows\":[\"add\",\"update\",\"updateOne\",\"delete\",\"deleteOne\",\"search\",\"searchOne\",\"getAll\",\"count\",\"clear\",\"clearAdd\",\"conformToTemplate\",\"renameField\",\"removeCollection\",\"merge\"]}"
static const char *const allow_all =
    "{\"\":" ALL_TYPES ",\"caf\u00e9\":" ALL_TYPES ",\"users\":" ALL_TYPES ",\"other\":" ALL_TYPES "}";

static char *copy_output(hs_db *db, size_t *len) {
    const char *o = hs_db_output(db, len);
    char *c = malloc(*len + 1);
    memcpy(c, o, *len);
    c[*len] = 0;
    return c;
}

static char *dump(hs_db *db, size_t *len) {
    if (hs_db_dump(db) != HS_OK) return NULL;
    return copy_output(db, len);
}

/* The part of a dump after the counter of new ids. */
static const char *after_counter(const char *d) { const char *p = strstr(d, "\"baseTime\""); return p ? p : d; }

/* A random query: mostly plain shapes, some almost plain. */
static void make_query(char *q, size_t cap) {
    const char *target = rnd(8) ? "users" : "other";
    int id = (int)rnd(30), v = (int)rnd(1000);
    char node[200];
    switch (rnd(4)) {
    case 0: snprintf(node, sizeof node, "{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"%d\"}", id); break;
    case 1: snprintf(node, sizeof node, "{\"type\":\"greaterThan_\",\"field\":\"age\",\"value\":%d}", v); break;
    case 2: snprintf(node, sizeof node, "{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"%d\",\"vType\":\"auto_\",\"version\":\"2\"}", id); break;
    default: snprintf(node, sizeof node, "{\"type\":\"and_\",\"conditions\":[{\"type\":\"equals_\",\"field\":\"tag\",\"value\":\"t%d\"},{\"type\":\"lessThan_\",\"field\":\"age\",\"value\":%d}]}", id % 3, v); break;
    }
    const char *flags[] = {"", ",\"returnData\":true", ",\"mustAffectAtLeastOne\":false", ",\"returnData\":false,\"mustAffectAtLeastOne\":true", ""};
    const char *flag = flags[rnd(5)];
    const char *head = rnd(4) ? "" : "\"className\":\"Query\",\"version\":\"7\",";
    switch (rnd(16)) {
    case 0: case 1: case 2:
        snprintf(q, cap, "{%s\"target\":\"%s\",\"type\":\"add\",\"addData\":[{\"id\":\"%d\",\"age\":%d,\"tag\":\"t%d\",\"n\":{\"x\":[1,\"\\u00e9\"]}}]%s}", head, target, id, v, v % 3, flag);
        break;
    case 3:
        snprintf(q, cap, "{\"target\":\"%s\",\"type\":\"add\",\"addData\":[{\"id\":\"%d\",\"age\":%d},{\"id\":\"%d\",\"age\":1}]%s}", target, id, v, id + 1, flag);
        break;
    case 4: case 5: case 6:
        snprintf(q, cap, "{%s\"target\":\"%s\",\"type\":\"updateOne\",\"queryNode\":%s,\"overrideData\":{\"age\":%d,\"u\":\"x%d\"}%s}", head, target, node, v, id, flag);
        break;
    case 7:
        snprintf(q, cap, "{\"target\":\"%s\",\"type\":\"update\",\"queryNode\":%s,\"overrideData\":{\"tag\":\"t%d\"}%s}", target, node, v % 3, flag);
        break;
    case 8: case 9:
        snprintf(q, cap, "{%s\"target\":\"%s\",\"type\":\"deleteOne\",\"queryNode\":%s%s}", head, target, node, flag);
        break;
    case 10:
        snprintf(q, cap, "{\"type\":\"delete\",\"target\":\"%s\",\"queryNode\":%s%s}", target, node, flag);
        break;
    default: {   /* almost plain: each must leave the fast path and behave as the general path does */
        static const char *const odd[] = {
            "{\"target\":\"users\", \"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"3\"},\"overrideData\":{\"age\":1}}",
            "{\"target\":\"us\\u0065rs\",\"type\":\"deleteOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"4\"}}",
            "{\"target\":\"users\",\"type\":\"deleteOne\",\"type\":\"deleteOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"4\"}}",
            "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"5\"},\"overrideData\":5}",
            "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"5\"}}",
            "{\"target\":\"users\",\"type\":\"deleteOne\"}",
            "{\"target\":\"users\",\"type\":\"add\",\"addData\":{\"id\":\"1\"}}",
            "{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"id\":\"1\"},]}",
            "{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"id\":\"1\"}]",
            "{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"id\":\"9\"}],\"serialKey\":\"sk\"}",
            "{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"id\":\"9\"}],\"returnData\":\"true\"}",
            "{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"id\":\"9\"}],\"returnData\":null}",
            "{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"id\":\"9\"}],\"unknown\":1}",
            "{\"target\":\"users\",\"type\":\"adder\",\"addData\":[{\"id\":\"9\"}]}",
            "{\"target\":\"users\",\"type\":\"search\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"3\"}}",
            "{\"className\":\"Other\",\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"id\":\"9\"}]}",
            "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"nope_\"},\"overrideData\":{\"a\":1}}",
            "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"zz\"},\"overrideData\":{\"a\":1}}",
            "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"3\"},\"overrideData\":{\"a\":1,\"a\":2}}",
            "{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"id\":\"1\",\"bad\":\"\x01\"}]}",
            "{\"target\":\"\",\"type\":\"add\",\"addData\":[{\"id\":\"1\"}]}",
            "{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"id\":\"1\"}]}x",
            "{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"id\":\"1\"}]} ",
            "{\"target\":\"caf\xc3\xa9\",\"type\":\"add\",\"addData\":[{\"id\":\"1\"}]}",
            "{\"target\":\"users\",\"type\":\"add\",\"addData\":[\"not an object\"]}",
            "{\"target\":\"users\",\"type\":\"add\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"3\"},\"addData\":[{\"id\":\"7\"}]}",
            "{}",
            "[]",
        };
        snprintf(q, cap, "%s", odd[rnd(sizeof odd / sizeof odd[0])]);
    }
    }
}

int main(void) {
    hs_db *a = hs_db_open(), *b = hs_db_open();
    size_t base_len;
    char *base = dump(a, &base_len);
    int same_rc = 1, same_out = 1, same_dump = 1, commits = 0;
    char q[1200];
    for (int i = 0; i < 3000; i++) {
        make_query(q, sizeof q);
        size_t ql = strlen(q), la, lb;
        hs_rc ra = hs_db_execute(a, q, ql, NULL, 0);
        char *oa = copy_output(a, &la);
        hs_rc rb = hs_db_execute(b, q, ql, allow_all, strlen(allow_all));
        char *ob = copy_output(b, &lb);
        if (ra != rb) { same_rc = 0; fprintf(stderr, "rc %d vs %d: %s\n", ra, rb, q); }
        if (la != lb || memcmp(oa, ob, la)) { same_out = 0; fprintf(stderr, "output differs: %s\n  %s\n  %s\n", q, oa, ob); }
        free(oa);
        free(ob);
        if (i % 50 == 49 || i == 2999) {
            size_t da, db_;
            char *x = dump(a, &da), *y = dump(b, &db_);
            if (!x || !y || da != db_ || memcmp(x, y, da)) { same_dump = 0; fprintf(stderr, "dumps differ after %d queries\n", i + 1); }
            free(x);
            free(y);
        }
    }
    commits = (int)hs_db_seq(a);
    CHECK(same_rc, "the fast path and the general path give the same return codes");
    CHECK(same_out, "... the same outputs");
    CHECK(same_dump, "... the same state and commit records");
    CHECK(commits > 1000, "the workload commits most of its queries");

    /* Replay: A's commits on top of A's first state end in A's state. */
    hs_db *c = hs_db_open();
    CHECK(hs_db_load(c, base, base_len) == HS_OK, "the first state loads");
    CHECK(hs_db_commits(a, 1, hs_db_seq(a), UINT32_MAX) == HS_OK, "the commits are listed");
    size_t rl, fa, fc;
    char *records = copy_output(a, &rl);
    hs_rc rr = hs_db_replay(c, records, rl);
    CHECK(rr == HS_OK, "the commits replay");
    char *x = dump(a, &fa), *y = dump(c, &fc);
    const char *xa = after_counter(x), *yc = after_counter(y);
    CHECK(strlen(xa) == strlen(yc) && strcmp(xa, yc) == 0, "the replayed state, ids, times and records equal the executed ones");
    /* and the replayed commits list the same (seq, id, time, cause, query) */
    CHECK(hs_db_commits(c, 1, hs_db_seq(c), UINT32_MAX) == HS_OK, "the replayed commits are listed");
    size_t rl2;
    char *records2 = copy_output(c, &rl2);
    CHECK(rl == rl2 && memcmp(records, records2, rl) == 0, "the replayed commit records equal the executed ones");
    free(records2);
    free(records);
    free(x);
    free(y);
    free(base);
    hs_db_close(a);
    hs_db_close(b);
    hs_db_close(c);
    return check_done();
}
