/*
 * test_oom.c: the out-of-memory loop (STYLE.md rule 11): every scenario runs again and again,
 * with the engine's Nth allocation failing for N = 0, 1, 2, ... until it runs through. Each
 * time the call must end cleanly (no crash, no sanitizer report, no leak: LeakSanitizer checks
 * at exit), and unless it committed, the database must be byte-for-byte what it was: the whole
 * engine dump (hs_db_dump: state, row versions and the commit table), not only toDict.
 *
 * The malloc family of the engine (and of cJSON) is linked through --wrap (see the Makefile's
 * LDFLAGS_test_oom), so this file decides which allocation fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "hindsight.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);

static long fail_at = -1;   /* -1: never; else the index of the allocation that fails */
static long seen;

static int should_fail(void) { return fail_at >= 0 && seen++ == fail_at; }
void *__wrap_malloc(size_t n) { return should_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return should_fail() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return should_fail() ? NULL : __real_realloc(p, n); }

static char *dump(hs_db *db) {
    fail_at = -1;
    if (hs_db_dump(db) != HS_OK) return NULL;
    size_t n;
    const char *o = hs_db_output(db, &n);
    char *copy = __real_malloc(n + 1);
    memcpy(copy, o, n);
    copy[n] = 0;
    return copy;
}

static const char *const seed =
    "{\"collections\":{\"users\":{\"data\":[{\"id\":0,\"name\":\"ada\",\"age\":36,\"tags\":[\"x\"]},"
    "{\"id\":1,\"name\":\"bob\",\"age\":41},{\"id\":2,\"name\":\"cy\",\"age\":29,\"nested\":{\"k\":1}}],\"serialNum\":3},"
    "\"items\":{\"data\":[{\"sku\":\"a\",\"owner\":0},{\"sku\":\"b\",\"owner\":2}],\"serialNum\":0}}}";

static const char *const scenarios[] = {
    "{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"id\":-1,\"name\":\"dee\",\"age\":50},{\"id\":-1,\"name\":\"eve\"}],\"serialKey\":\"id\",\"returnData\":true}",
    "{\"target\":\"users\",\"type\":\"update\",\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"age\",\"value\":30},\"overrideData\":{\"senior\":true},\"returnData\":true,\"sortObj\":{\"className\":\"SingleSort\",\"field\":\"age\"}}",
    "{\"target\":\"users\",\"type\":\"delete\",\"queryNode\":{\"type\":\"regex_\",\"field\":\"name\",\"pattern\":\"^(a|b)\"},\"returnData\":true}",
    "{\"target\":\"users\",\"type\":\"search\",\"queryNode\":{\"type\":\"or_\",\"conditions\":[{\"type\":\"equals_\",\"field\":\"name\",\"value\":\"cy\"},{\"type\":\"in_\",\"field\":\"age\",\"values\":[36,41]}]},\"sortObj\":{\"className\":\"MultiSort\",\"sortOrders\":[{\"className\":\"SingleSort\",\"field\":\"age\",\"reversed\":true}]},\"limit\":2}",
    "{\"target\":\"users\",\"type\":\"conformToTemplate\",\"template\":{\"id\":0,\"name\":\"\",\"age\":0,\"extra\":null}}",
    "{\"target\":\"users\",\"type\":\"renameField\",\"renameBefore\":\"name\",\"renameAfter\":\"fullName\",\"returnData\":true}",
    "{\"target\":\"newcoll\",\"type\":\"clearAdd\",\"addData\":[{\"a\":1}],\"mustAffectAtLeastOne\":false,\"resetSerial\":true}",
    "{\"className\":\"TransactionQuery\",\"queries\":[{\"target\":\"tx\",\"type\":\"add\",\"addData\":[{\"n\":1}]},{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":2},\"overrideData\":{\"age\":30}},{\"target\":\"items\",\"type\":\"deleteOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"sku\",\"value\":\"a\"}}]}",
    "{\"target\":\"users\",\"type\":\"merge\",\"mergeQueryParams\":{\"base\":\"users\",\"source\":[\"items\"],\"relationKey\":\"id\",\"sourceKeys\":[\"owner\"],\"dslTmp\":{\"who\":\"base.name\",\"sku\":\"0.sku\",\"k\":\"int(3)\"},\"output\":\"joined\",\"serialBase\":null,\"serialKey\":null}}",
    "{\"target\":\"items\",\"type\":\"removeCollection\"}",
};

/* Runs one call with allocation `at` failing; returns 1 when the call committed. */
static int attempt(hs_db *db, const char *q, long at, int *finished) {
    uint32_t before = hs_db_seq(db);
    seen = 0;
    fail_at = at;
    hs_rc rc = hs_db_execute(db, q, strlen(q), NULL, 0);
    long used = seen;
    fail_at = -1;
    *finished = used <= at;   /* the failure point was never reached: the call ran through */
    (void)rc;
    return hs_db_seq(db) != before;
}

static hs_db *fresh_db(void) {
    hs_db *db = hs_db_open();
    hs_db_from_dict(db, seed, strlen(seed));
    /* An earlier commit, so history and the change log are involved too. */
    const char *warm = "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":1},\"overrideData\":{\"age\":42}}";
    hs_db_execute(db, warm, strlen(warm), NULL, 0);
    return db;
}

int main(void) {
    int all_clean = 1;
    for (size_t s = 0; s < sizeof scenarios / sizeof scenarios[0]; s++) {
        /* What the scenario gives when nothing fails. */
        hs_db *ref = fresh_db();
        hs_db_execute(ref, scenarios[s], strlen(scenarios[s]), NULL, 0);
        char *expected = dump(ref);
        hs_db_close(ref);

        hs_db *db = fresh_db();
        char *clean = dump(db);
        long at = 0;
        int finished = 0, right = 1;
        for (; at < 100000; at++) {
            int committed = attempt(db, scenarios[s], at, &finished);
            char *now = dump(db);
            /* Either the whole commit, exactly as without the failure, or nothing at all. */
            const char *want = committed ? expected : clean;
            if (!now || strcmp(now, want) != 0) {
                right = 0;
                printf("#   scenario %zu: allocation %ld failing left a %s database\n#   got  %.300s\n#   want %.300s\n", s, at, committed ? "wrong committed" : "changed", now ? now : "(none)", want);
            }
            free(now);
            if (!right || finished) break;
            if (committed) { hs_db_close(db); db = fresh_db(); }
        }
        char name[96];
        snprintf(name, sizeof name, "scenario %zu: each of its %ld allocations failing gives all or nothing", s, at);
        CHECK(finished && right, name);
        all_clean &= finished && right;
        free(clean);
        free(expected);
        hs_db_close(db);
    }
    (void)all_clean;
    /* Time travel and snapshots under failing allocations: revert, fork, dump and load. */
    hs_db *db = hs_db_open();
    hs_db_from_dict(db, seed, strlen(seed));
    for (int i = 0; i < 5; i++) hs_db_execute(db, scenarios[0], strlen(scenarios[0]), NULL, 0);
    int ok = 1;
    for (long at = 0; at < 2000; at++) {
        char *clean = dump(db);
        seen = 0;
        fail_at = at;
        hs_rc rc = hs_db_revert(db, 2);
        hs_db *f = hs_db_fork(db, 3);
        hs_rc drc = hs_db_dump(db);
        fail_at = -1;
        if (f) hs_db_close(f);
        if (rc == HS_OK) {   /* reverted: put it back for the next round */
            hs_db_close(db);
            db = hs_db_open();
            hs_db_from_dict(db, seed, strlen(seed));
            for (int i = 0; i < 5; i++) hs_db_execute(db, scenarios[0], strlen(scenarios[0]), NULL, 0);
        } else {
            char *now = dump(db);
            if (!now || strcmp(now, clean) != 0) ok = 0;
            free(now);
        }
        (void)drc;
        free(clean);
        if (!ok) { printf("#   revert with allocation %ld failing changed the database\n", at); break; }
    }
    CHECK(ok, "revert, fork and dump survive failing allocations; a failed revert changes nothing");
    hs_db_close(db);
    return check_done();
}
