/*
 * test_snapshot.c: the engine dump (c/snapshot.c) against the layout table in that file's
 * header: the top-level members are the table's, in its order; rows take the short form
 * exactly when the table says; each commit kind is written as the table says; loading a
 * dump gives the same dump again, the same change feed and the same commit records; a
 * version 1 dump (with "changes") still loads. Runs from the repository root (it reads
 * c/snapshot.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "hindsight.h"
#include "cJSON.h"

static char *out_copy(hs_db *db) {
    size_t n;
    const char *o = hs_db_output(db, &n);
    char *c = malloc(n + 1);
    memcpy(c, o, n);
    c[n] = 0;
    return c;
}

static void run(hs_db *db, const char *q) { hs_db_execute(db, q, strlen(q), NULL, 0); }

/* The member names of the table in c/snapshot.c: lines " *   name | value" before the first blank
   comment line after the header row. */
static int table_members(char names[][64], int cap) {
    FILE *f = fopen("c/snapshot.c", "r");
    if (!f) return -1;
    char line[512];
    int n = 0, in_table = 0;
    while (fgets(line, sizeof line, f) && n < cap) {
        if (strstr(line, "member") && strstr(line, "| value")) { in_table = 1; continue; }
        if (!in_table) continue;
        if (strstr(line, "--+--")) continue;
        char name[64];
        if (sscanf(line, " * %63s |", name) == 1 && strchr(line, '|')) { snprintf(names[n++], 64, "%s", name); continue; }
        break;
    }
    fclose(f);
    return n;
}

static hs_db *sample(void) {
    hs_db *db = hs_db_open();
    hs_db_set_origin(db, "test", 4);
    run(db, "{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"n\":1},{\"n\":2},{\"n\":3}]}");                     /* 1: add, bare rows */
    run(db, "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":2},\"overrideData\":{\"m\":1}}"); /* 2 */
    const char *meta = "{\"time\":5,\"cause\":{\"why\":\"test\"}}";
    hs_db_revert_meta(db, 1, meta, strlen(meta));                                                                          /* 3: revert */
    hs_db_undo(db, NULL, 0);                                                                                               /* 4: undo of 3 */
    hs_db_redo(db, NULL, 0);                                                                                               /* 5: redo of 3 */
    run(db, "{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"id\":-1,\"n\":4}],\"serialKey\":\"id\"}");                     /* 6: add with serialKey: kept whole */
    hs_db_create_index(db, "users", 5, "n", 1);                                                                         /* a declared index: not a commit */
    return db;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char names[32][64];
    int nnames = table_members(names, 32);
    CHECK(nnames >= 8, "the layout table in c/snapshot.c lists the top-level members");

    hs_db *db = sample();
    CHECK(hs_db_seq(db) == 6, "the sample history has six commits");
    if (hs_db_seq(db) != 6) { hs_db_dump(db); size_t n; printf("# %.*s\n", (int)n, hs_db_output(db, &n)); }
    CHECK(hs_db_dump(db) == HS_OK, "dump");
    char *dump = out_copy(db);
    cJSON *root = cJSON_Parse(dump);
    CHECK(root != NULL, "the dump is JSON");
    int i = 0, same = 1;
    for (cJSON *m = root ? root->child : NULL; m; m = m->next, i++)
        if (i >= nnames || strcmp(m->string, names[i]) != 0) same = 0;
    CHECK(same && i == nnames, "the dump's members are the table's, in the table's order");
    CHECK(strcmp(cJSON_GetObjectItem(root, "version")->valuestring, "2") == 0, "version 2");

    /* Rows: the three added by commit 1 then the updated one. */
    cJSON *users = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "collections"), 0);
    cJSON *rows = cJSON_GetObjectItem(users, "rows");
    CHECK(cJSON_IsArray(cJSON_GetArrayItem(rows, 0)), "the first row is not id 0 / from 0: the array form");
    CHECK(cJSON_IsArray(cJSON_GetArrayItem(rows, 1)), "a row with older versions: the array form");
    CHECK(cJSON_IsObject(cJSON_GetArrayItem(rows, 2)), "the next id, the same from, no older versions: the short form (a bare document)");

    /* Commits: [seq, id, time, cause, kind, payload(, extra)], kinds as in the table. */
    cJSON *commits = cJSON_GetObjectItem(root, "commits");
    CHECK(cJSON_GetArraySize(commits) == 6, "one commit record per kept commit");
    int kinds[6] = {1, 0, 2, 3, 4, 0};
    int kinds_ok = 1;
    for (int k = 0; k < 6; k++) {
        cJSON *c = cJSON_GetArrayItem(commits, k);
        if (!c || cJSON_GetArraySize(c) < 6) { kinds_ok = 0; break; }
        if (cJSON_GetArrayItem(c, 0)->valueint != k + 1 || cJSON_GetArrayItem(c, 4)->valueint != kinds[k]) kinds_ok = 0;
    }
    CHECK(kinds_ok, "commit kinds: add 1, query 0, revert 2, undo 3, redo 4");
    cJSON *add = cJSON_GetArrayItem(commits, 0);
    cJSON *payload = cJSON_GetArrayItem(add, 5);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(payload, "addData")) && cJSON_GetObjectItem(payload, "addData")->valueint == 0, "an add keeps its query with addData replaced by 0");
    CHECK(cJSON_GetArraySize(add) == 7, "an add carries the 0's offset");
    cJSON *undo = cJSON_GetArrayItem(commits, 3);
    CHECK(cJSON_IsString(cJSON_GetArrayItem(undo, 6)) && strcmp(cJSON_GetArrayItem(undo, 6)->valuestring, cJSON_GetArrayItem(cJSON_GetArrayItem(commits, 2), 1)->valuestring) == 0,
          "an undo names the id of the commit it takes back");
    CHECK(cJSON_GetArrayItem(cJSON_GetArrayItem(commits, 2), 2)->valueint == 5, "a commit keeps the time its meta gave");
    cJSON *serial_add = cJSON_GetArrayItem(commits, 5);
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(cJSON_GetArrayItem(serial_add, 5), "addData")), "an add with a serialKey keeps its documents in the query");

    /* The log record of commit 1 gives the documents back. */
    hs_db_commits(db, 1, 1, 1);
    char *rec = out_copy(db);
    CHECK(strstr(rec, "\"addData\":[{\"n\":1},{\"n\":2},{\"n\":3}]") != NULL, "the record of an add holds its documents again");

    /* Round trip. */
    hs_db_changes(db, 0, 6);
    char *feed = out_copy(db);
    hs_db_commits(db, 0, 6, 100);
    char *recs = out_copy(db);
    hs_db *back = hs_db_open();
    CHECK(hs_db_load(back, dump, strlen(dump)) == HS_OK, "the dump loads");
    hs_db_dump(back);
    char *dump2 = out_copy(back);
    CHECK(strcmp(dump, dump2) == 0, "loading a dump and dumping again gives the same text");
    hs_db_changes(back, 0, 6);
    char *feed2 = out_copy(back);
    CHECK(strcmp(feed, feed2) == 0, "the change log rebuilt from the versions reports the same changes");
    hs_db_commits(back, 0, 6, 100);
    char *recs2 = out_copy(back);
    CHECK(strcmp(recs, recs2) == 0, "the same commit records");
    hs_db_stats(db);
    char *st = out_copy(db);
    hs_db_stats(back);
    char *st2 = out_copy(back);
    CHECK(strcmp(st, st2) == 0, "the same stats (the kept version counts match a recount)");
    free(st); free(st2);
    CHECK(hs_db_undo(back, NULL, 0) == HS_OK && hs_db_seq(back) == 7, "undo works after a load");

    /* A damaged dump changes nothing and says CORRUPT. */
    char *bad = malloc(strlen(dump) + 1);
    strcpy(bad, dump);
    char *k = strstr(bad, "\"commits\":[[1");
    if (k) k[12] = '9';
    CHECK(hs_db_load(back, bad, strlen(bad)) == HS_CORRUPT, "a dump whose commit seqs do not follow each other is CORRUPT");
    CHECK(hs_db_seq(back) == 7, "and changes nothing");

    /* Every cut of a dump and of a list of log records is refused cleanly (ASan watches). */
    int cuts_ok = 1;
    for (size_t cut = 0; cut < strlen(dump); cut += 3) {
        hs_db *t = hs_db_open();
        hs_rc rc = hs_db_load(t, dump, cut);
        if (rc != HS_CORRUPT || hs_db_seq(t) != 0) cuts_ok = 0;
        hs_db_close(t);
    }
    CHECK(cuts_ok, "a cut dump is CORRUPT and loads nothing");
    int replay_ok = 1;
    for (size_t cut = 0; cut < strlen(recs); cut += 2) {
        hs_db *t = hs_db_open();
        hs_rc rc = hs_db_replay(t, recs, cut);
        size_t n;
        const char *o = hs_db_output(t, &n);
        if (rc != HS_CORRUPT && rc != HS_OK) replay_ok = 0;
        if (rc == HS_CORRUPT && (n < 10 || memcmp(o, "{\"error\":", 9) != 0)) replay_ok = 0;
        hs_db_close(t);
    }
    hs_db *full = hs_db_open();
    CHECK(hs_db_replay(full, recs, strlen(recs)) == HS_OK && hs_db_seq(full) == 6, "the records replay into the same history");
    hs_db_commits(full, 0, 6, 100);
    char *recs3 = out_copy(full);
    CHECK(strcmp(recs3, recs) == 0, "with the same ids, times, causes and queries");
    free(recs3);
    hs_db_close(full);
    CHECK(replay_ok, "a cut list of records replays what is whole and says CORRUPT for the rest");

    /* Version 1: explicit changes, rows always arrays, no commits. */
    const char *v1 = "{\"className\":\"HindsightEngineState\",\"version\":\"1\",\"seq\":2,\"oldest\":0,\"collections\":[{\"name\":\"a\",\"alive\":1,\"serial\":0,\"order\":1,"
                     "\"nextId\":1,\"serials\":[],\"lives\":[[1,0]],\"orders\":[[1,0]],\"rows\":[[0,2,{\"v\":2},[[1,2,{\"v\":1}]]]]}],\"changes\":[[0,0,1],[0,0,2]]}";
    hs_db *old = hs_db_open();
    CHECK(hs_db_load(old, v1, strlen(v1)) == HS_OK, "a version 1 dump loads");
    hs_db_changes(old, 0, 2);
    char *f1 = out_copy(old);
    CHECK(strcmp(f1, "[{\"seq\":1,\"id\":null,\"changes\":{\"a\":{\"added\":[0],\"removed\":[],\"changed\":[]}}},{\"seq\":2,\"id\":null,\"changes\":{\"a\":{\"added\":[],\"removed\":[],\"changed\":[0]}}}]") == 0,
          "its change log is the one it carried");

    free(f1); free(bad); free(recs2); free(feed2); free(dump2); free(recs); free(feed); free(rec); free(dump);
    cJSON_Delete(root);
    hs_db_close(old);
    hs_db_close(back);
    hs_db_close(db);
    return check_done();
}
