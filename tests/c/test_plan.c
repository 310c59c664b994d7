/*
 * test_plan.c: the planner (c/plan.h) never changes an answer. The same random range,
 * between and equality searches (with sort + limit, which takes the top-k path) run on a
 * database whose indexes get built (adaptive after three uses, or declared) and on a twin
 * that never builds one (every query there is new to it: a fresh twin per check), through
 * random updates and deletes large enough to force the range index's merges, as of the
 * present and of the past; results must be byte-identical. Also: explain reports each
 * plan (the column caches, column.h, answer where no index does), declared indexes survive
 * dump and load, top-k equals the first k of a full sort.
 */
#include "check.h"
#define MODEL_SEED 42
#include "model_test.h"
#include "hindsight.h"
#include "cJSON.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *H = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\"";

/* A random search: a range (gt/ge/lt/le), a between (and_ of two), or an equality, on the
   numeric field n or the nested o.k, maybe with sort + limit, maybe as of a past seq. */
static void random_search(char *q, size_t cap, uint32_t past) {
    static const char *ops[] = {"greaterThan_", "greaterThanOrEqual_", "lessThan_", "lessThanOrEqual_"};
    const char *field = rnd(4) ? "n" : "o.k";
    char node[400], tail[300] = "";
    int a = (int)rnd(2200) - 100, w = (int)rnd(60);
    switch (rnd(4)) {
    case 0: case 1:
        snprintf(node, sizeof node, "{\"type\":\"%s\",\"field\":\"%s\",\"value\":%d%s}", ops[rnd(4)], field, a, rnd(3) ? "" : ".5");
        break;
    case 2:
        /* A pure between (answered by the index alone) or one with another condition. */
        snprintf(node, sizeof node, "{\"type\":\"and_\",\"conditions\":[{\"type\":\"%s\",\"field\":\"%s\",\"value\":%d},"
                 "{\"type\":\"%s\",\"field\":\"%s\",\"value\":%d}%s]}",
                 ops[rnd(2)], field, a, ops[2 + rnd(2)], field, a + w, rnd(2) ? ",{\"type\":\"notEquals_\",\"field\":\"s\",\"value\":\"x3\"}" : "");
        break;
    default:
        snprintf(node, sizeof node, "{\"type\":\"equals_\",\"field\":\"%s\",\"value\":%d}", field, a);
    }
    if (rnd(2)) snprintf(tail, sizeof tail, ",\"sortObj\":{\"className\":\"SingleSort\",\"version\":\"5\",\"field\":\"%s\",\"reversed\":%s},\"limit\":%u%s",
                         rnd(2) ? "n" : "s", rnd(2) ? "true" : "false", rnd(12), rnd(3) ? "" : ",\"offset\":2");
    char asof[40] = "";
    if (past && !rnd(4)) snprintf(asof, sizeof asof, ",\"asOf\":{\"seq\":%u}", 1 + rnd(past));
    snprintf(q, cap, "%s,\"type\":\"%s\",\"queryNode\":%s%s%s}", H, rnd(5) ? "search" : "searchOne", node, tail, asof);
}

/* A twin that has never seen a query: its plan is always a scan. */
static hs_db *twin_of(hs_db *db) {
    hs_db_dump(db);
    size_t n;
    const char *d = hs_db_output(db, &n);
    char *text = malloc(n + 1);
    memcpy(text, d, n);
    text[n] = 0;
    hs_db *t = hs_db_open();
    int ok = hs_db_load(t, text, n) == HS_OK;
    free(text);
    if (!ok) { hs_db_close(t); return NULL; }
    return t;
}

static char *explain(hs_db *db, const char *q) {
    return hs_db_explain(db, q, strlen(q)) == HS_OK ? copy_output(db) : NULL;
}

static int contains(const char *s, const char *part) { return s && strstr(s, part) != NULL; }

static void fill(hs_db *db, int n) {
    size_t cap = (size_t)n * 120 + 200, len = 0;
    char *q = malloc(cap);
    len += snprintf(q, cap, "%s,\"type\":\"add\",\"addData\":[", H);
    for (int i = 0; i < n; i++) {
        /* Mostly numbers; some strings, nulls, missing fields, floats, so kinds mix. */
        char nv[40];
        switch (i % 17) {
        case 3: strcpy(nv, "\"7\""); break;
        case 5: strcpy(nv, "null"); break;
        case 11: snprintf(nv, sizeof nv, "%d.25", i % 2000); break;
        default: snprintf(nv, sizeof nv, "%d", (i * 7919) % 2000);
        }
        len += snprintf(q + len, cap - len, "%s{\"n\":%s,\"s\":\"x%d\",\"o\":{\"k\":%d}%s}", i ? "," : "", nv, i % 5, (i * 31) % 2000, i % 13 == 0 ? ",\"z\":1" : "");
    }
    snprintf(q + len, cap - len, "]}");
    free(run(db, q));
    free(q);
}

int main(void) {
    hs_db *db = hs_db_open();
    fill(db, 3000);
    char q[2000], err[200];
    int mismatches = 0, checks = 0;
    for (int round = 0; round < 40; round++) {
        /* Searches on db (indexes build after three uses) against a scanning twin. */
        hs_db *twin = twin_of(db);
        for (int k = 0; k < 25; k++) {
            random_search(q, sizeof q, hs_db_seq(db));
            char *a = run(db, q), *b = run(twin, q);
            checks++;
            if (!a || !b || strcmp(a, b) != 0) {
                if (mismatches++ < 3) fprintf(stderr, "differs: %s\n  indexed: %.300s\n  scanned: %.300s\n", q, a ? a : "(rc)", b ? b : "(rc)");
            }
            free(a);
            free(b);
        }
        hs_db_close(twin);
        /* Writes that move many rows in and out of the indexes (more than the merge slack). */
        int lo = (int)rnd(2000), w = 1 + (int)rnd(round % 4 == 0 ? 2000 : 40);
        if (rnd(3)) snprintf(q, sizeof q, "%s,\"type\":\"update\",\"queryNode\":{\"type\":\"and_\",\"conditions\":[{\"type\":\"greaterThanOrEqual_\",\"field\":\"n\",\"value\":%d},"
                             "{\"type\":\"lessThan_\",\"field\":\"n\",\"value\":%d}]},\"overrideData\":{\"n\":%d,\"o\":{\"k\":%d}}}", H, lo, lo + w, (int)rnd(2000), (int)rnd(2000));
        else snprintf(q, sizeof q, "%s,\"type\":\"delete\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"s\",\"value\":\"x%u\"}}", H, rnd(5));
        free(run(db, q));
        if (round % 10 == 9) fill(db, 500);
    }
    snprintf(err, sizeof err, "indexed and scanned answers are identical (%d searches)", checks);
    CHECK(mismatches == 0, err);

    /* explain: each plan. */
    hs_db *e = hs_db_open();
    fill(e, 1000);
    fill(e, 40);   /* a second commit, so seq 1 is in the past */
    const char *range = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"n\",\"value\":1990}}";
    char *x = explain(e, range);
    CHECK(contains(x, "\"plan\":\"columns\""), "explain: a first range search reads the column caches (column.h)");
    free(x);
    for (int i = 0; i < 3; i++) free(run(e, range));
    x = explain(e, range);
    CHECK(contains(x, "\"plan\":\"rangeIndex\"") && contains(x, "\"field\":\"n\""), "explain: after three range searches, the range index");
    free(x);
    const char *wide = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"n\",\"value\":10}}";
    x = explain(e, wide);
    CHECK(contains(x, "\"plan\":\"columns\""), "explain: a range holding most rows skips the index (the columns answer)");
    free(x);
    const char *old = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"asOf\":{\"seq\":1},\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"n\",\"value\":1990}}";
    x = explain(e, old);
    CHECK(contains(x, "\"plan\":\"columns\"") && contains(x, "\"asOf\":true"), "explain: an as-of read uses no index (the columns' past values answer)");
    free(x);
    const char *eq = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"s\",\"value\":\"x1\"},"
                     "\"sortObj\":{\"className\":\"SingleSort\",\"version\":\"5\",\"field\":\"n\"},\"limit\":10}";
    x = explain(e, eq);
    CHECK(contains(x, "\"plan\":\"columns\"") && contains(x, "\"sort\":\"topK\"") && contains(x, "\"k\":10"), "explain: sort + limit takes the top k");
    free(x);
    CHECK(hs_db_create_index(e, "t", 1, "s", 1) == HS_OK, "createIndex succeeds on an existing collection");
    x = explain(e, eq);
    CHECK(contains(x, "\"plan\":\"equalityIndex\"") && contains(x, "\"field\":\"s\""), "explain: a declared equality index is used at once");
    free(x);
    CHECK(hs_db_create_index(e, "", 0, "s", 1) == HS_ERROR, "createIndex refuses an empty collection name");
    CHECK(hs_db_explain(e, "{", 1) == HS_ERROR, "explain refuses a text that is not a query");

    /* top-k equals the first k of the full sort. */
    const char *full = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"lessThan_\",\"field\":\"o.k\",\"value\":1500},"
                       "\"sortObj\":{\"className\":\"SingleSort\",\"version\":\"5\",\"field\":\"s\",\"reversed\":true}";
    snprintf(q, sizeof q, "%s}", full);
    char *all = run(e, q);
    snprintf(q, sizeof q, "%s,\"offset\":3,\"limit\":7}", full);
    char *top = run(e, q);
    cJSON *ja = cJSON_Parse(all), *jt = cJSON_Parse(top);
    cJSON *ra = cJSON_GetObjectItem(ja, "result"), *rt = cJSON_GetObjectItem(jt, "result");
    int same = cJSON_GetArraySize(rt) == 7 && cJSON_GetArraySize(ra) > 100;
    for (int i = 0; same && i < 7; i++) same = cJSON_Compare(cJSON_GetArrayItem(ra, i + 3), cJSON_GetArrayItem(rt, i), 1);
    CHECK(same, "top-k with offset 3 limit 7 equals items 3..9 of the full stable sort (ties in insertion order)");
    cJSON_Delete(ja); cJSON_Delete(jt); free(all); free(top);
    /* A mixed-kind sort field fails with and without a limit. */
    const char *mixed = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"lessThan_\",\"field\":\"o.k\",\"value\":1500},"
                        "\"sortObj\":{\"className\":\"SingleSort\",\"version\":\"5\",\"field\":\"n\"},\"limit\":3}";
    char *m = run(e, mixed);
    CHECK(contains(m, "\"isSuccess\":false") && contains(m, "Incompatible types"), "top-k fails on mixed kinds as the full sort does");
    free(m);

    /* Declared indexes survive dump and load, and are used at the first search. */
    CHECK(hs_db_create_index(e, "later", 5, "a.b", 3) == HS_OK, "createIndex on a collection that does not exist yet");
    hs_db_dump(e);
    size_t dn;
    const char *dump = hs_db_output(e, &dn);
    CHECK(strstr(dump, "\"indexes\":[[\"t\",\"s\"],[\"later\",\"a.b\"]]") != NULL, "the dump lists the declared indexes");
    hs_db *r = twin_of(e);
    x = explain(r, eq);
    CHECK(contains(x, "\"plan\":\"equalityIndex\""), "a loaded dump keeps the declared index");
    free(x);
    hs_db_dump(r);
    size_t rn;
    const char *redump = hs_db_output(r, &rn);
    CHECK(strstr(redump, "\"indexes\":[[\"t\",\"s\"],[\"later\",\"a.b\"]]") != NULL, "and dumps it again");
    const char *bad = "{\"className\":\"HindsightEngineState\",\"version\":\"2\",\"seq\":0,\"oldest\":0,\"collections\":[],\"commits\":[],\"indexes\":[[\"t\"]]}";
    CHECK(hs_db_load(r, bad, strlen(bad)) == HS_CORRUPT, "a dump with a bad index entry is refused");
    x = explain(r, eq);
    CHECK(contains(x, "\"plan\":\"equalityIndex\""), "and the refused load changed nothing");
    free(x);
    hs_db_close(r);
    hs_db_close(e);
    hs_db_close(db);
    return check_done();
}
