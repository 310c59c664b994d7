/*
 * test_replay_from.c: hs_db_replay_from, a rebase's replay of another database's commits.
 *
 * Must stay true: a fork of database A at its base, given another commit first, takes A's
 * commits after the base from A itself: each becomes its next commit with A's id, time and
 * cause, and the record A's (seq aside) when the query is the same; the output line of such a
 * commit is empty, a single add (its documents kept in the versions) gets its whole record; the
 * replay stops, without an error, before a revert and before a commit that does not apply
 * again, and the limit is kept; what it made reads back as the same state as executing the
 * same queries would give.
 */
#include "hindsight.h"
#include "check.h"
#include "output_copy.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run(hs_db *db, const char *q, const char *meta) {
    return hs_db_execute_meta(db, q, strlen(q), NULL, 0, meta, meta ? strlen(meta) : 0) == HS_OK;
}

/* Record seq's text from its first ',' on (the seq left out), without the list's ']'. */
static char *record_tail(hs_db *db, uint32_t seq) {
    if (hs_db_commits(db, seq, seq, 1) != HS_OK) return NULL;
    char *all = copy_output(db), *comma = strchr(all, ',');
    const char *from = comma ? comma : "";
    char *tail = malloc(strlen(from) + 1);
    strcpy(tail, from);
    size_t n = strlen(tail);
    if (n && tail[n - 1] == ']') tail[n - 1] = 0;
    free(all);
    return tail;
}

int main(void) {
    hs_db *a = hs_db_open();
    int ok = run(a, "{\"target\":\"t\",\"type\":\"add\",\"addData\":[{\"id\":-1,\"n\":0},{\"id\":-1,\"n\":1}],\"serialKey\":\"id\"}", NULL);
    uint32_t base = hs_db_seq(a);
    /* A's own commits: updates (with a cause), a serial-key add, a delete, a revert, updates. */
    for (int k = 0; k < 3; k++) {
        char q[200], meta[100];
        snprintf(q, sizeof q, "{\"target\":\"t\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":1},\"overrideData\":{\"k\":%d}}", k);
        snprintf(meta, sizeof meta, "{\"time\":%d,\"cause\":{\"why\":\"k\",\"k\":%d}}", 5000 + k, k);
        ok &= run(a, q, meta);
    }
    ok &= run(a, "{\"target\":\"t\",\"type\":\"add\",\"addData\":[{\"n\":2}]}", NULL);
    ok &= run(a, "{\"target\":\"t\",\"type\":\"deleteOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":0}}", NULL);
    uint32_t before_revert = hs_db_seq(a);
    ok &= hs_db_revert(a, before_revert - 1) == HS_OK;
    ok &= run(a, "{\"target\":\"t\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":1},\"overrideData\":{\"k\":9}}", NULL);
    CHECK(ok, "database A makes its commits");
    uint32_t last = hs_db_seq(a);

    /* B: A at its base, then another page's commits (an add, and a delete of n 0). */
    hs_db *b = hs_db_fork(a, base);
    CHECK(b != NULL, "a fork at the base");
    ok = run(b, "{\"target\":\"t\",\"type\":\"add\",\"addData\":[{\"id\":-1,\"n\":7}],\"serialKey\":\"id\"}", "{\"id\":\"other.1\",\"time\":4000}");
    ok &= run(b, "{\"target\":\"t\",\"type\":\"deleteOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":0}}", "{\"id\":\"other.2\",\"time\":4001}");
    CHECK(ok, "the other page's commits");
    uint32_t shared = hs_db_seq(b);

    /* A limit of 2: two updates, two empty lines (their records are A's). */
    CHECK(hs_db_replay_from(b, a, base + 1, last, 2) == HS_OK, "replay with a limit");
    char *out = copy_output(b);
    CHECK(hs_db_seq(b) == shared + 2 && strcmp(out, "\n") == 0, "two commits, two empty lines");
    free(out);
    for (uint32_t i = 0; i < 2; i++) {
        char *ta = record_tail(a, base + 1 + i), *tb = record_tail(b, shared + 1 + i);
        CHECK(ta && tb && strcmp(ta, tb) == 0, "the record is A's but for the seq (id, time, cause, query)");
        free(ta);
        free(tb);
    }
    /* The rest: the third update (empty line), the single add (its documents are kept in the
       versions, not in its record: a whole record), then it stops before the delete, which
       no longer applies. */
    CHECK(hs_db_replay_from(b, a, base + 3, last, UINT32_MAX) == HS_OK, "replay to the end");
    out = copy_output(b);
    CHECK(hs_db_seq(b) == shared + 4, "it stops before the delete that no longer applies");
    char *nl = strchr(out, '\n');
    CHECK(nl == out && strstr(out + 1, "{\"seq\":") == out + 1 && strstr(out, "\"n\":2") && !strchr(out + 1, '\n'), "an empty line, then the add's whole record");
    char *add = record_tail(b, shared + 4);
    CHECK(add && strstr(out + 1, add), "the line is the add's record as listed");
    free(add);
    free(out);
    /* The delete is skipped by the caller; the replay stops again before the revert. */
    CHECK(hs_db_replay_from(b, a, before_revert + 1, last, UINT32_MAX) == HS_OK && hs_db_seq(b) == shared + 4, "nothing before a revert");
    CHECK(hs_db_replay_from(b, a, last, last, UINT32_MAX) == HS_OK && hs_db_seq(b) == shared + 5, "the update after the revert");
    char *ta = record_tail(a, last), *tb = record_tail(b, shared + 5);
    CHECK(ta && tb && strcmp(ta, tb) == 0, "a record without a cause is A's too");
    free(ta);
    free(tb);
    CHECK(hs_db_replay_from(b, b, 1, 1, 1) == HS_MISUSE, "a database cannot replay from itself");

    /* The same queries executed on a fork give the same state. */
    hs_db *c = hs_db_fork(b, shared);
    ok = 1;
    for (int k = 0; k < 3; k++) {
        char q[200];
        snprintf(q, sizeof q, "{\"target\":\"t\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":1},\"overrideData\":{\"k\":%d}}", k);
        ok &= run(c, q, NULL);
    }
    ok &= run(c, "{\"target\":\"t\",\"type\":\"add\",\"addData\":[{\"n\":2}]}", NULL);
    ok &= run(c, "{\"target\":\"t\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"n\",\"value\":1},\"overrideData\":{\"k\":9}}", NULL);
    CHECK(ok && hs_db_to_dict(b) == HS_OK, "executed on a fork");
    char *db_state = copy_output(b);
    CHECK(hs_db_to_dict(c) == HS_OK, "its state");
    char *dc_state = copy_output(c);
    CHECK(strcmp(db_state, dc_state) == 0, "replayed and executed states are the same");
    free(db_state);
    free(dc_state);
    hs_db_close(c);
    hs_db_close(b);
    hs_db_close(a);
    return check_done();
}
