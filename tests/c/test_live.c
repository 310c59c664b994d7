/*
 * test_live.c: live queries (c/live.c) natively, under ASan/UBSan.
 *
 * 1. A seeded random run: ~2,000 commits (add, update, updateOne, delete, deleteOne, clear,
 *    removeCollection, transactions, reverts, retention) and a dozen live queries, each
 *    brought up to date only now and then (so one update may cover many commits, or find the
 *    change log trimmed). After each update the rows kept by applying the outputs (full
 *    pages and deltas, as live.c's header says) must equal a fresh hs_db_execute of the
 *    query: documents in order, hitCount and dbLength; "failed" exactly when the fresh run
 *    fails.
 * 2. The out-of-memory loop: an update whose Nth allocation fails, for every N, must return
 *    HS_NOMEM cleanly, and the next update must give the whole, correct page.
 * The malloc family is wrapped (Makefile LDFLAGS_test_live) so this file decides which
 * allocation fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "hindsight.h"
#include "live.h"
#include "cJSON.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
static long fail_at = -1, seen;
static int should_fail(void) { return fail_at >= 0 && seen++ == fail_at; }
void *__wrap_malloc(size_t n) { return should_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return should_fail() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return should_fail() ? NULL : __real_realloc(p, n); }

static uint64_t rng = 0x1234abcdULL;
static unsigned rnd(unsigned n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(rng >> 33) % n;
}

static cJSON *output(hs_db *db) {
    size_t n;
    const char *o = hs_db_output(db, &n);
    return cJSON_ParseWithLength(o, n);
}

/* What a subscriber holds: the rows [[id, doc], ...] and the counts. */
typedef struct model { cJSON *rows; double hits, len; int failed; } model;

static cJSON *take(cJSON *obj, const char *key) { return cJSON_GetObjectItemCaseSensitive(obj, key); }

/* Applies one output; returns 0 when it is malformed. */
static int apply(model *m, cJSON *out) {
    if (!out || !take(out, "seq")) return 0;
    if (take(out, "failed")) { cJSON_Delete(m->rows); m->rows = cJSON_CreateArray(); m->failed = 1; return 1; }
    if (take(out, "full")) {
        cJSON_Delete(m->rows);
        m->rows = cJSON_Duplicate(take(out, "rows"), 1);
    } else if (take(out, "removed")) {
        /* By index, as live.h says: changed at from, out go removed and moved (by from),
           in go added and moved at their new index, ascending. Each from must name the
           row with that id. */
        cJSON *removed = take(out, "removed"), *changed = take(out, "changed"), *moved = take(out, "moved"), *added = take(out, "added");
        int len = cJSON_GetArraySize(m->rows), ok = 1;
        cJSON **rows = calloc((size_t)len + 1, sizeof *rows);
        char *drop = calloc((size_t)len + 1, 1);
        int k = 0;
        for (cJSON *r = m->rows->child; r; r = r->next) rows[k++] = r;
        for (cJSON *c = changed->child; c && ok; c = c->next) {
            int from = (int)c->child->next->valuedouble;
            if (from < 0 || from >= len || rows[from]->child->valuedouble != c->child->valuedouble) { ok = 0; break; }
            cJSON_ReplaceItemInArray(rows[from], 1, cJSON_Duplicate(c->child->next->next, 1));
        }
        for (cJSON *r = removed->child; r && ok; r = r->next) {
            int from = (int)r->child->next->valuedouble;
            if (from < 0 || from >= len || rows[from]->child->valuedouble != r->child->valuedouble) ok = 0;
            else drop[from] = 1;
        }
        int n = cJSON_GetArraySize(added) + cJSON_GetArraySize(moved);
        struct ins { double index; cJSON *row; } *ins = calloc((size_t)n + 1, sizeof *ins);
        k = 0;
        for (cJSON *v = moved->child; v && ok; v = v->next, k++) {
            int from = (int)v->child->next->valuedouble;
            if (from < 0 || from >= len || rows[from]->child->valuedouble != v->child->valuedouble) { ok = 0; break; }
            drop[from] = 1;
            ins[k].index = v->child->next->next->valuedouble;
            ins[k].row = cJSON_Duplicate(rows[from], 1);
        }
        for (cJSON *a = added->child; a && ok; a = a->next, k++) {
            ins[k].index = a->child->next->valuedouble;
            ins[k].row = cJSON_CreateArray();
            cJSON_AddItemToArray(ins[k].row, cJSON_CreateNumber(a->child->valuedouble));
            cJSON_AddItemToArray(ins[k].row, cJSON_Duplicate(a->child->next->next, 1));
        }
        cJSON *next = cJSON_CreateArray();
        for (int i = 0; ok && i < len; i++)
            if (!drop[i]) cJSON_AddItemToArray(next, cJSON_Duplicate(rows[i], 1));
        for (int i = 1; i < k; i++)   /* insertion sort by index */
            for (int j = i; j > 0 && ins[j].index < ins[j - 1].index; j--) { struct ins t = ins[j]; ins[j] = ins[j - 1]; ins[j - 1] = t; }
        for (int i = 0; i < k; i++) {
            if (!ok || !ins[i].row || ins[i].index > cJSON_GetArraySize(next)) { ok = 0; cJSON_Delete(ins[i].row); continue; }
            cJSON_InsertItemInArray(next, (int)ins[i].index, ins[i].row);
        }
        free(ins);
        free(rows);
        free(drop);
        if (!ok) { cJSON_Delete(next); return 0; }
        cJSON_Delete(m->rows);
        m->rows = next;
    } else {
        return 1;   /* unchanged */
    }
    m->failed = 0;
    m->hits = take(out, "hitCount")->valuedouble;
    m->len = take(out, "dbLength")->valuedouble;
    return 1;
}

/* The model equals a fresh run of the query. */
static int agrees(hs_db *db, const model *m, const char *q, int verbose) {
    hs_db_execute(db, q, strlen(q), NULL, 0);
    cJSON *fresh = output(db);
    int ok;
    if (!cJSON_IsTrue(take(fresh, "isSuccess"))) {
        ok = m->failed;
    } else {
        cJSON *docs = cJSON_CreateArray();
        for (cJSON *r = m->rows->child; r; r = r->next) cJSON_AddItemToArray(docs, cJSON_Duplicate(r->child->next, 1));
        ok = !m->failed && cJSON_Compare(docs, take(fresh, "result"), 1) && m->hits == take(fresh, "hitCount")->valuedouble &&
             m->len == take(fresh, "dbLength")->valuedouble;
        if (!ok && verbose) {
            char *a = cJSON_PrintUnformatted(docs), *b = cJSON_PrintUnformatted(fresh);
            printf("# live %s\n# fresh %s (model hits %g len %g)\n", a, b, m->hits, m->len);
            free(a);
            free(b);
        }
        cJSON_Delete(docs);
    }
    cJSON_Delete(fresh);
    return ok;
}

static const char *const queries[] = {
    "{\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"n\",\"value\":4}}",
    "{\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"g\",\"value\":1},\"sortObj\":{\"className\":\"SingleSort\",\"field\":\"n\",\"reversed\":true}}",
    "{\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"lessThan_\",\"field\":\"n\",\"value\":8},\"sortObj\":{\"className\":\"SingleSort\",\"field\":\"n\"},\"offset\":2,\"limit\":3}",
    "{\"target\":\"t\",\"type\":\"getAll\",\"sortObj\":{\"className\":\"MultiSort\",\"sortOrders\":[{\"className\":\"SingleSort\",\"field\":\"g\"},{\"className\":\"SingleSort\",\"field\":\"s\",\"reversed\":true}]},\"limit\":5}",
    "{\"target\":\"t\",\"type\":\"getAll\",\"sortObj\":{\"className\":\"SingleSort\",\"field\":\"n\"},\"startAfter\":{\"n\":3,\"g\":1},\"limit\":4}",
    "{\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"n\",\"value\":0},\"endBefore\":{\"n\":3,\"g\":1},\"limit\":2}",
    "{\"target\":\"t\",\"type\":\"searchOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"g\",\"value\":2}}",
    "{\"target\":\"t\",\"type\":\"count\"}",
    "{\"target\":\"t\",\"type\":\"getAll\",\"sortObj\":{\"className\":\"SingleSort\",\"field\":\"m\"}}",
    "{\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"s\",\"value\":\"b\"},\"sortObj\":{\"className\":\"SingleSort\",\"field\":\"s\",\"vType\":\"stringIgnoreCase_\"}}",
    "{\"target\":\"t\",\"type\":\"getAll\",\"sortObj\":{\"className\":\"SingleSort\",\"field\":\"n\",\"vType\":\"int_\"}}",
    "{\"target\":\"t\",\"type\":\"getAll\",\"offset\":4}",
};
#define NQ (sizeof queries / sizeof *queries)

static void random_doc(char *out, size_t cap) {
    static const char *const s[] = {"a", "b", "B", "c"};
    if (rnd(12) == 0) { snprintf(out, cap, "{\"n\":3,\"g\":1}"); return; }
    const char *m = rnd(40) == 0 ? "\"str\"" : (rnd(2) ? "1" : "2");
    snprintf(out, cap, "{\"n\":%u,\"g\":%u,\"s\":\"%s\",\"m\":%s}", rnd(10), rnd(3), s[rnd(4)], m);
}

static void random_write(char *q, size_t cap) {
    char d1[128], d2[128];
    random_doc(d1, sizeof d1);
    random_doc(d2, sizeof d2);
    switch (rnd(10)) {
    case 0: case 1: case 2: snprintf(q, cap, "{\"target\":\"t\",\"type\":\"add\",\"addData\":[%s,%s]}", d1, d2); break;
    case 3: snprintf(q, cap, "{\"target\":\"t\",\"type\":\"update\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":%u},\"overrideData\":{\"n\":%u},\"mustAffectAtLeastOne\":false}", rnd(10), rnd(10)); break;
    case 4: snprintf(q, cap, "{\"target\":\"t\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"g\",\"value\":%u},\"overrideData\":%s,\"mustAffectAtLeastOne\":false}", rnd(3), d1); break;
    case 5: snprintf(q, cap, "{\"target\":\"t\",\"type\":\"delete\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":%u},\"mustAffectAtLeastOne\":false}", rnd(10)); break;
    case 6: snprintf(q, cap, "{\"target\":\"t\",\"type\":\"deleteOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"g\",\"value\":%u},\"mustAffectAtLeastOne\":false}", rnd(3)); break;
    case 7: snprintf(q, cap, rnd(8) ? "{\"target\":\"t\",\"type\":\"add\",\"addData\":[%s]}" : "{\"target\":\"t\",\"type\":\"clearAdd\",\"addData\":[%s]}", d1); break;
    case 8: snprintf(q, cap, rnd(15) ? "{\"target\":\"u\",\"type\":\"add\",\"addData\":[%s]}" : "{\"target\":\"t\",\"type\":\"removeCollection\"}", d1); break;
    default: snprintf(q, cap, "{\"className\":\"TransactionQuery\",\"queries\":[{\"target\":\"t\",\"type\":\"add\",\"addData\":[%s]},{\"target\":\"t\",\"type\":\"deleteOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":%u}}]}", d1, rnd(10)); break;
    }
}

static void random_run(void) {
    hs_db *db = hs_db_open();
    hs_live *lv[NQ];
    model m[NQ];
    int all_ok = 1, outputs_ok = 1;
    for (size_t i = 0; i < NQ; i++) {
        hs_rc rc;
        lv[i] = hs_live_open(db, queries[i], strlen(queries[i]), &rc);
        m[i] = (model){cJSON_CreateArray(), 0, 0, 0};
        cJSON *o = output(db);
        outputs_ok &= lv[i] && apply(&m[i], o);
        cJSON_Delete(o);
    }
    CHECK(outputs_ok, "every query opens on a collection that does not exist yet");
    char q[1024];
    for (int step = 0; step < 2000; step++) {
        uint32_t seq = hs_db_seq(db);
        unsigned r = rnd(100);
        if (r < 4 && seq > 3) hs_db_revert(db, seq - 1 - rnd(seq - hs_db_oldest(db) < 10 ? seq - hs_db_oldest(db) : 10));
        else if (r < 5 && seq > 60) hs_db_set_horizon(db, seq - 20);
        else { random_write(q, sizeof q); hs_db_execute(db, q, strlen(q), NULL, 0); }
        for (size_t i = 0; i < NQ; i++) {
            if (rnd(3) == 0 && step != 1999) continue;   /* now and then an update covers several commits */
            if (hs_live_update(lv[i]) != HS_OK) { outputs_ok = 0; continue; }
            cJSON *o = output(db);
            if (!apply(&m[i], o)) outputs_ok = 0;
            cJSON_Delete(o);
            if (!agrees(db, &m[i], queries[i], all_ok)) {
                if (all_ok) printf("# step %d query %zu disagrees: %s\n", step, i, queries[i]);
                all_ok = 0;
            }
        }
    }
    CHECK(outputs_ok, "random run: every update succeeds and its output applies");
    CHECK(all_ok, "random run: every live result equals a fresh run, after every update");
    for (size_t i = 0; i < NQ; i++) { hs_live_close(lv[i]); cJSON_Delete(m[i].rows); }
    hs_db_close(db);
}

static void oom_loop(void) {
    const char *seed = "{\"collections\":{\"t\":{\"data\":[{\"n\":5,\"g\":1,\"s\":\"a\"},{\"n\":2,\"g\":0,\"s\":\"b\"},{\"n\":7,\"g\":1,\"s\":\"c\"},{\"n\":3,\"g\":1}],\"serialNum\":0}}}";
    const char *write = "{\"className\":\"TransactionQuery\",\"queries\":[{\"target\":\"t\",\"type\":\"add\",\"addData\":[{\"n\":6,\"g\":1,\"s\":\"d\"},{\"n\":1,\"g\":2}]},"
                        "{\"target\":\"t\",\"type\":\"update\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":2},\"overrideData\":{\"n\":9}},"
                        "{\"target\":\"t\",\"type\":\"deleteOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":7}}]}";
    int clean = 1, recovered = 1, opens = 1;
    for (size_t qi = 0; qi < NQ; qi++) {
        for (long at = 0;; at++) {
            hs_db *db = hs_db_open();
            hs_db_from_dict(db, seed, strlen(seed));
            hs_rc rc;
            /* Opening fails cleanly too. */
            seen = 0;
            fail_at = at;
            hs_live *probe = hs_live_open(db, queries[qi], strlen(queries[qi]), &rc);
            fail_at = -1;
            if (!probe && rc != HS_NOMEM && rc != HS_ERROR) opens = 0;   /* cJSON cannot tell out of memory from bad JSON */
            hs_live_close(probe);
            hs_live *lv = hs_live_open(db, queries[qi], strlen(queries[qi]), &rc);
            model m = {cJSON_CreateArray(), 0, 0, 0};
            cJSON *o = output(db);
            apply(&m, o);
            cJSON_Delete(o);
            hs_db_execute(db, write, strlen(write), NULL, 0);
            seen = 0;
            fail_at = at;
            rc = hs_live_update(lv);
            long used = seen;
            fail_at = -1;
            if (rc != HS_OK && rc != HS_NOMEM) clean = 0;
            if (rc == HS_NOMEM) {
                rc = hs_live_update(lv);
                o = output(db);
                if (rc != HS_OK || (!take(o, "full") && !take(o, "failed"))) recovered = 0;
                cJSON_Delete(m.rows);
                m.rows = cJSON_CreateArray();
            } else {
                o = output(db);
            }
            apply(&m, o);
            cJSON_Delete(o);
            if (!agrees(db, &m, queries[qi], recovered)) recovered = 0;
            cJSON_Delete(m.rows);
            hs_live_close(lv);
            hs_db_close(db);
            if (used <= at) break;   /* the failure point was never reached: done */
        }
    }
    CHECK(opens, "out of memory in hs_live_open returns NULL cleanly (HS_NOMEM, or HS_ERROR from the parser)");
    CHECK(clean, "out of memory in hs_live_update returns HS_NOMEM");
    CHECK(recovered, "after out of memory the next update writes the whole, correct page");
}

static void refusals(void) {
    hs_db *db = hs_db_open();
    hs_rc rc;
    const char *bad[] = {
        "{\"target\":\"t\",\"type\":\"add\",\"addData\":[{}]}",
        "{\"target\":\"t\",\"type\":\"search\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":1},\"asOf\":{\"seq\":0}}",
        "{\"target\":\"t\",\"type\":\"search\"}",
        "not json",
    };
    int ok = 1;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        hs_live *lv = hs_live_open(db, bad[i], strlen(bad[i]), &rc);
        cJSON *o = output(db);
        ok &= !lv && rc == HS_ERROR && cJSON_IsString(take(o, "error"));
        cJSON_Delete(o);
    }
    CHECK(ok, "writes, asOf reads, bad queries and bad JSON are refused with an error");
    CHECK(hs_live_update(NULL) == HS_MISUSE, "a NULL live query is misuse");
    hs_db_close(db);
}

int main(void) {
    refusals();
    random_run();
    oom_loop();
    return check_done();
}
