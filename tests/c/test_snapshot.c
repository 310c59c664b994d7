/*
 * test_snapshot.c: the engine dump (c/snapshot.c) against the layout table in that file's
 * header: the top-level members are the table's, in its order; rows take the short form
 * exactly when the table says; each commit kind is written as the table says; loading a
 * dump gives the same dump again, the same change feed and the same commit records; rows
 * added one per commit and repeated records take the short forms; version 2 and version 1
 * (with "changes") dumps still load. Runs from the repository root (it reads
 * c/snapshot.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "output_copy.h"
#include "hindsight.h"
#include "cJSON.h"

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
    char *dump = copy_output(db);
    cJSON *root = cJSON_Parse(dump);
    CHECK(root != NULL, "the dump is JSON");
    int i = 0, same = 1;
    for (cJSON *m = root ? root->child : NULL; m; m = m->next, i++)
        if (i >= nnames || strcmp(m->string, names[i]) != 0) same = 0;
    CHECK(same && i == nnames, "the dump's members are the table's, in the table's order");
    CHECK(strcmp(cJSON_GetObjectItem(root, "version")->valuestring, "3") == 0, "version 3");

    /* Rows: the three added by commit 1 then the updated one. */
    cJSON *users = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "collections"), 0);
    cJSON *rows = cJSON_GetObjectItem(users, "rows");
    CHECK(cJSON_IsNumber(cJSON_GetArrayItem(rows, 0)) && cJSON_GetArrayItem(rows, 0)->valueint == 1, "the first row's from is 1, not 0: a STEP of 1 first");
    CHECK(cJSON_IsObject(cJSON_GetArrayItem(rows, 1)), "then the first row in the short form");
    CHECK(cJSON_IsArray(cJSON_GetArrayItem(rows, 2)), "a row with older versions: the array form");
    CHECK(cJSON_IsObject(cJSON_GetArrayItem(rows, 3)), "the next id, the same from, no older versions: the short form (a bare document)");
    CHECK(cJSON_GetArraySize(rows) == 6, "and the row added by commit 6 after its STEP: six entries");

    /* Commits: three columns; REC = [cause, kind, payload(, extra)], kinds as in the table. */
    cJSON *commits = cJSON_GetObjectItem(root, "commits");
    cJSON *ids = cJSON_GetObjectItem(commits, "ids"), *times = cJSON_GetObjectItem(commits, "times"), *recs_col = cJSON_GetObjectItem(commits, "records");
    CHECK(cJSON_GetArraySize(ids) == 1 && cJSON_IsArray(cJSON_GetArrayItem(ids, 0)) &&
          strcmp(cJSON_GetArrayItem(cJSON_GetArrayItem(ids, 0), 0)->valuestring, "test") == 0 &&
          cJSON_GetArrayItem(cJSON_GetArrayItem(ids, 0), 1)->valueint == 1 && cJSON_GetArrayItem(cJSON_GetArrayItem(ids, 0), 2)->valueint == 6,
          "the ids test.1 .. test.6 are one run [prefix, first, count]");
    CHECK(cJSON_GetArraySize(times) == 6 && cJSON_IsArray(cJSON_GetArrayItem(times, 0)), "one time per commit, the first one absolute");
    CHECK(cJSON_GetArraySize(recs_col) == 6, "six different records: no repeat count");
    int kinds[6] = {1, 0, 2, 3, 4, 0};
    int kinds_ok = 1;
    for (int k = 0; k < 6; k++) {
        cJSON *c = cJSON_GetArrayItem(recs_col, k);
        if (!c || cJSON_GetArraySize(c) < 3) { kinds_ok = 0; break; }
        if (cJSON_GetArrayItem(c, 1)->valueint != kinds[k]) kinds_ok = 0;
    }
    CHECK(kinds_ok, "commit kinds: add 1, query 0, revert 2, undo 3, redo 4");
    cJSON *add = cJSON_GetArrayItem(recs_col, 0);
    cJSON *payload = cJSON_GetArrayItem(add, 2);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(payload, "addData")) && cJSON_GetObjectItem(payload, "addData")->valueint == 0, "an add keeps its query with addData replaced by 0");
    CHECK(cJSON_GetArraySize(add) == 4, "an add carries the 0's offset");
    cJSON *undo = cJSON_GetArrayItem(recs_col, 3);
    CHECK(cJSON_IsString(cJSON_GetArrayItem(undo, 3)) && strcmp(cJSON_GetArrayItem(undo, 3)->valuestring, "test.3") == 0,
          "an undo names the id of the commit it takes back");
    double t0 = cJSON_GetArrayItem(cJSON_GetArrayItem(times, 0), 0)->valuedouble;
    CHECK(t0 + cJSON_GetArrayItem(times, 1)->valuedouble + cJSON_GetArrayItem(times, 2)->valuedouble == 5,
          "a commit keeps the time its meta gave (as a step from the one before)");
    cJSON *serial_add = cJSON_GetArrayItem(recs_col, 5);
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(cJSON_GetArrayItem(serial_add, 2), "addData")), "an add with a serialKey keeps its documents in the query");

    /* The log record of commit 1 gives the documents back. */
    hs_db_commits(db, 1, 1, 1);
    char *rec = copy_output(db);
    CHECK(strstr(rec, "\"addData\":[{\"n\":1},{\"n\":2},{\"n\":3}]") != NULL, "the record of an add holds its documents again");

    /* Round trip. */
    hs_db_changes(db, 0, 6);
    char *feed = copy_output(db);
    hs_db_commits(db, 0, 6, 100);
    char *recs = copy_output(db);
    hs_db *back = hs_db_open();
    CHECK(hs_db_load(back, dump, strlen(dump)) == HS_OK, "the dump loads");
    hs_db_dump(back);
    char *dump2 = copy_output(back);
    CHECK(strcmp(dump, dump2) == 0, "loading a dump and dumping again gives the same text");
    hs_db_changes(back, 0, 6);
    char *feed2 = copy_output(back);
    CHECK(strcmp(feed, feed2) == 0, "the change log rebuilt from the versions reports the same changes");
    hs_db_commits(back, 0, 6, 100);
    char *recs2 = copy_output(back);
    CHECK(strcmp(recs, recs2) == 0, "the same commit records");
    hs_db_stats(db);
    char *st = copy_output(db);
    hs_db_stats(back);
    char *st2 = copy_output(back);
    /* historyBytes is what the past takes in memory: a load stores every past version that
       is an edit of a few members as a delta, while the running database keeps a version
       whole when a revert made it current again (one document, held twice); so the loaded
       one may be smaller, never larger. Everything else is the same. */
    cJSON *sj = cJSON_Parse(st), *sj2 = cJSON_Parse(st2);
    double hb = cJSON_GetObjectItem(sj, "historyBytes")->valuedouble, hb2 = cJSON_GetObjectItem(sj2, "historyBytes")->valuedouble;
    cJSON_DeleteItemFromObject(sj, "historyBytes");
    cJSON_DeleteItemFromObject(sj2, "historyBytes");
    CHECK(cJSON_Compare(sj, sj2, 1), "the same stats (the kept version counts match a recount)");
    CHECK(hb2 > 0 && hb2 <= hb, "the loaded past takes no more memory");
    cJSON_Delete(sj); cJSON_Delete(sj2);
    free(st); free(st2);
    CHECK(hs_db_undo(back, NULL, 0) == HS_OK && hs_db_seq(back) == 7, "undo works after a load");

    /* A damaged dump changes nothing and says CORRUPT. */
    char *bad = malloc(strlen(dump) + 1);
    strcpy(bad, dump);
    char *k = strstr(bad, "\"test\",1,6]");
    if (k) k[9] = '5';
    CHECK(k && hs_db_load(back, bad, strlen(bad)) == HS_CORRUPT, "a dump whose ids column lacks a commit is CORRUPT");
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
    char *recs3 = copy_output(full);
    CHECK(strcmp(recs3, recs) == 0, "with the same ids, times, causes and queries");
    free(recs3);
    hs_db_close(full);
    CHECK(replay_ok, "a cut list of records replays what is whole and says CORRUPT for the rest");

    /* A record's query is printed canonically whether or not its text was canonical already
       (the fast path keeps a canonical text as is; anything else goes through the printer). */
    hs_db *cn = hs_db_open();
    hs_db_set_origin(cn, "c", 1);
    run(cn, "{\"target\":\"k\",\"type\":\"add\",\"addData\":[{\"a\":0}]}");
    run(cn, "{ \"target\" : \"k\", \"type\":\"updateOne\", \"queryNode\":{\"type\":\"equals_\",\"field\":\"a\",\"value\":0},"
            "\"overrideData\":{\"b\":1.0,\"c\":1e2,\"d\":\"\\u0041\\/\",\"e\":-0,\"f\":0.5,\"g\":12345678901234567890,\"h\":[true,false,null,-12]}}");
    run(cn, "{\"target\":\"k\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"a\",\"value\":0},\"overrideData\":{\"b\":-7,\"s\":\"x y\"}}");
    hs_db_commits(cn, 2, 3, 10);
    char *cr = copy_output(cn);
    CHECK(strstr(cr, "\"overrideData\":{\"b\":1,\"c\":100,\"d\":\"A/\",") != NULL, "a spaced text with 1.0, 1e2 and escapes is kept printed canonically");
    CHECK(strstr(cr, "\"query\":{\"target\":\"k\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"a\",\"value\":0},\"overrideData\":{\"b\":-7,\"s\":\"x y\"}}") != NULL,
          "a canonical text is kept as it is");
    hs_db_commits(cn, 0, 3, 10);
    char *all = copy_output(cn);
    hs_db *cn2 = hs_db_open();
    CHECK(hs_db_replay(cn2, all, strlen(all)) == HS_OK, "those records replay");
    hs_db_commits(cn2, 0, 3, 10);
    char *all2 = copy_output(cn2);
    CHECK(strcmp(all, all2) == 0, "into the same records, byte for byte");
    free(cr); free(all); free(all2);
    hs_db_close(cn2);
    hs_db_close(cn);

    /* Ids of every form come back as they were: prefix.counter (kept as digits and a prefix
       index), no counter, a leading zero, dots inside the prefix; through records, a dump and a fork. */
    hs_db *idb = hs_db_open();
    const char *idq = "{\"target\":\"i\",\"type\":\"add\",\"addData\":[{\"v\":1}]}";
    const char *idmetas[] = {"{\"id\":\"x.1\"}", "{\"id\":\"plain\"}", "{\"id\":\"a.01\"}", "{\"id\":\"a.b.7\"}", "{\"id\":\"x.2\"}", "{\"id\":\"x.0\"}", "{\"id\":\"y.\"}", NULL};
    for (int k = 0; idmetas[k]; k++) hs_db_execute_meta(idb, idq, strlen(idq), NULL, 0, idmetas[k], strlen(idmetas[k]));
    hs_db_commits(idb, 0, 7, 100);
    char *idr = copy_output(idb);
    CHECK(hs_db_seq(idb) == 7 && strstr(idr, "\"id\":\"x.1\"") && strstr(idr, "\"id\":\"plain\"") && strstr(idr, "\"id\":\"a.01\"") && strstr(idr, "\"id\":\"a.b.7\"") &&
          strstr(idr, "\"id\":\"x.2\"") && strstr(idr, "\"id\":\"x.0\"") && strstr(idr, "\"id\":\"y.\""), "every id reads back as given");
    hs_db_dump(idb);
    char *idd = copy_output(idb);
    hs_db *idb2 = hs_db_open();
    CHECK(hs_db_load(idb2, idd, strlen(idd)) == HS_OK, "a dump with such ids loads");
    hs_db_commits(idb2, 0, 7, 100);
    char *idr2 = copy_output(idb2);
    CHECK(strcmp(idr, idr2) == 0, "with the same ids");
    hs_db *idf = hs_db_fork(idb2, 7);
    hs_db_commits(idf, 0, 7, 100);
    char *idr3 = copy_output(idf);
    CHECK(strcmp(idr, idr3) == 0, "and a fork of it too");
    CHECK(hs_db_undo(idf, NULL, 0) == HS_OK && hs_db_undo(idf, NULL, 0) == HS_OK && hs_db_redo(idf, NULL, 0) == HS_OK && hs_db_seq(idf) == 10,
          "undo and redo find their commits by id");
    hs_db_commits(idf, 10, 10, 1);
    char *redo_rec = copy_output(idf);
    CHECK(strstr(redo_rec, "\"redo\":\"x.0\"") != NULL, "the redo names the commit it takes back (x.0, undone second)");
    free(redo_rec);
    free(idr); free(idr2); free(idr3); free(idd);
    hs_db_close(idf);
    hs_db_close(idb2);
    hs_db_close(idb);

    /* Rows added one per commit: a STEP and a bare document each; equal records: one entry and a count. */
    hs_db *steps = hs_db_open();
    hs_db_set_origin(steps, "o", 1);
    for (int n = 0; n < 4; n++) {
        char q[120], meta[40];
        snprintf(q, sizeof q, "{\"target\":\"t\",\"type\":\"add\",\"addData\":[{\"n\":%d}]}", n);
        snprintf(meta, sizeof meta, "{\"time\":%s}", n == 3 ? "10.5" : n == 2 ? "7" : "1");
        hs_db_execute_meta(steps, q, strlen(q), NULL, 0, meta, strlen(meta));
    }
    hs_db_dump(steps);
    char *sd = copy_output(steps);
    CHECK(strstr(sd, "\"rows\":[1,{\"n\":0},1,{\"n\":1},1,{\"n\":2},1,{\"n\":3}]") != NULL, "rows added one per commit: a step of 1 before each bare document");
    CHECK(strstr(sd, "\"ids\":[[\"o\",1,4]]") != NULL, "their ids: one run");
    CHECK(strstr(sd, "\"times\":[[1],0,6,[10.5]]") != NULL, "times: steps between integral times, a fraction absolute");
    CHECK(strstr(sd, "\"records\":[[null,1,{\"target\":\"t\",\"type\":\"add\",\"addData\":0},37],3]") != NULL, "the same record four times: one entry and a count of 3");
    hs_db *steps2 = hs_db_open();
    CHECK(hs_db_load(steps2, sd, strlen(sd)) == HS_OK, "that dump loads");
    hs_db_dump(steps2);
    char *sd2 = copy_output(steps2);
    CHECK(strcmp(sd, sd2) == 0, "and dumps the same again");
    hs_db_commits(steps, 0, 4, 100);
    char *sr = copy_output(steps);
    hs_db_commits(steps2, 0, 4, 100);
    char *sr2 = copy_output(steps2);
    CHECK(strcmp(sr, sr2) == 0 && strstr(sr, "\"id\":\"o.4\",\"time\":10.5") != NULL, "with the same commit records");
    free(sd); free(sd2); free(sr); free(sr2);
    hs_db_close(steps2);
    hs_db_close(steps);

    /* Version 2 (commits as [seq, id, time, cause, kind, payload(, extra)]), as written before version 3. */
    const char *v2 =
        "{\"className\":\"HindsightEngineState\",\"version\":\"2\",\"seq\":5,\"oldest\":0,\"origin\":\"test\",\"count"
        "er\":5,\"baseTime\":null,\"collections\":[{\"name\":\"users\",\"alive\":1,\"serial\":0,\"order\":65537,\"nex"
        "tId\":3,\"serials\":[],\"lives\":[[1,0]],\"orders\":[[1,0]],\"rows\":[[0,1,{\"n\":1},[]],[1,5,{\"n\":2,\"m\""
        ":1},[[4,5,{\"n\":2}],[3,4,{\"n\":2,\"m\":1}],[1,3,{\"n\":2}]]],[2,5,{\"n\":3},[[4,5,null],[2,4,{\"n\":3}]]]]"
        "}],\"commits\":[[1,\"test.1\",1,null,1,{\"target\":\"users\",\"type\":\"add\",\"addData\":0},41],[2,\"test.2"
        "\",1,null,1,{\"target\":\"users\",\"type\":\"add\",\"addData\":0},41],[3,\"test.3\",1,null,0,{\"target\":\"u"
        "sers\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":2},\"overrideDat"
        "a\":{\"m\":1}}],[4,\"test.4\",5,{\"why\":\"test\"},2,1],[5,\"test.5\",5,null,3,3,\"test.4\"]]}";
    hs_db *old2 = hs_db_open();
    CHECK(hs_db_load(old2, v2, strlen(v2)) == HS_OK, "a version 2 dump loads");
    hs_db_commits(old2, 0, 5, 100);
    char *r2 = copy_output(old2);
    CHECK(strstr(r2, "{\"seq\":4,\"id\":\"test.4\",\"time\":5,\"cause\":{\"why\":\"test\"},\"query\":{\"className\":\"HindsightRevert\",\"version\":\"1\",\"toSeq\":1}}") != NULL &&
          strstr(r2, "\"query\":{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"n\":1},{\"n\":2}]}") != NULL,
          "its records read as they were written");
    hs_db_to_dict_at(old2, 3);
    char *d3 = copy_output(old2);
    CHECK(strstr(d3, "[{\"n\":1},{\"n\":2,\"m\":1},{\"n\":3}]") != NULL, "its versions read as they were written");
    hs_db_dump(old2);
    char *v3 = copy_output(old2);
    hs_db *again = hs_db_open();
    CHECK(strstr(v3, "\"version\":\"3\"") && hs_db_load(again, v3, strlen(v3)) == HS_OK, "dumped again as version 3, it loads");
    hs_db_commits(again, 0, 5, 100);
    char *r3 = copy_output(again);
    CHECK(strcmp(r2, r3) == 0, "with the same records");
    free(r2); free(r3); free(d3); free(v3);
    hs_db_close(again);
    hs_db_close(old2);

    /* Version 1: explicit changes, rows always arrays, no commits. */

    const char *v1 = "{\"className\":\"HindsightEngineState\",\"version\":\"1\",\"seq\":2,\"oldest\":0,\"collections\":[{\"name\":\"a\",\"alive\":1,\"serial\":0,\"order\":1,"
                     "\"nextId\":1,\"serials\":[],\"lives\":[[1,0]],\"orders\":[[1,0]],\"rows\":[[0,2,{\"v\":2},[[1,2,{\"v\":1}]]]]}],\"changes\":[[0,0,1],[0,0,2]]}";
    hs_db *old = hs_db_open();
    CHECK(hs_db_load(old, v1, strlen(v1)) == HS_OK, "a version 1 dump loads");
    hs_db_changes(old, 0, 2);
    char *f1 = copy_output(old);
    CHECK(strcmp(f1, "[{\"seq\":1,\"id\":null,\"changes\":{\"a\":{\"added\":[0],\"removed\":[],\"changed\":[]}}},{\"seq\":2,\"id\":null,\"changes\":{\"a\":{\"added\":[],\"removed\":[],\"changed\":[0]}}}]") == 0,
          "its change log is the one it carried");

    free(f1); free(bad); free(recs2); free(feed2); free(dump2); free(recs); free(feed); free(rec); free(dump);
    cJSON_Delete(root);
    hs_db_close(old);
    hs_db_close(back);
    hs_db_close(db);
    return check_done();
}
