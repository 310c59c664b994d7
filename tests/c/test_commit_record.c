/*
 * test_commit_record.c: a query's commit record is the same whether its text arrives already
 * canonical (commits.c checks and splits it in one pass, as replay and import do) or not
 * (spaced out: minified, parsed and printed again, then split).
 *
 * Must stay true: for each query below, run compact on database A and spaced out on database
 * B with the same meta (id, time), hs_db_commits lists the same records and the dumps are
 * equal. The queries cover a template's limits: many literals (more than a template takes),
 * a late non-canonical token after them (a float, an exponent, an escape, -0, a long
 * integer), names kept in the shape and plain literals, and queries of the shape just before
 * (the last template is tried first) with an escape or structure inside a string literal.
 */
#include "hindsight.h"
#include "check.h"
#include "output_copy.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* t with a space after every ',' and ':' outside strings (no longer canonical). */
static void spaced(const char *t, char *out) {
    int in = 0;
    for (; *t; t++) {
        *out++ = *t;
        if (in && *t == '\\') { *out++ = *++t; continue; }
        if (*t == '"') in = !in;
        else if (!in && (*t == ',' || *t == ':')) *out++ = ' ';
    }
    *out = 0;
}

/* An update of "users" whose overrideData has n members, then tail before the closing brace. */
static void many_literals(char *q, int n, const char *tail) {
    int w = sprintf(q, "{\"target\":\"users\",\"type\":\"update\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"1\"},\"overrideData\":{");
    for (int i = 0; i < n; i++) w += sprintf(q + w, "%s\"f%d\":%d", i ? "," : "", i, i * 7);
    sprintf(q + w, "%s}}", tail);
}

int main(void) {
    hs_db *a = hs_db_open(), *b = hs_db_open();
    static char qs[16][8192];
    int nq = 0;
    strcpy(qs[nq++], "{\"target\":\"users\",\"type\":\"add\",\"addData\":[{\"id\":\"1\",\"age\":3}]}");
    strcpy(qs[nq++], "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"1\"},\"overrideData\":{\"age\":4,\"u\":\"x\"}}");
    /* The same shape again: matched against the last template (commits.c), which must give
       what a split gives, or fall back to it (an escape, structure inside a string). */
    strcpy(qs[nq++], "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"1\"},\"overrideData\":{\"age\":5,\"u\":\"a\\\"b\"}}");
    strcpy(qs[nq++], "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"1\"},\"overrideData\":{\"age\":6,\"u\":\"a,b:c}]\"}}");
    strcpy(qs[nq++], "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"1\"},\"overrideData\":{\"age\":-7,\"u\":\"\"}}");
    strcpy(qs[nq++], "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"1\"},\"overrideData\":{\"age\":8,\"u\":\"x\\u00e9\"}}");
    strcpy(qs[nq++], "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"1\"},\"overrideData\":{\"age\":1.5,\"u\":\"x\\u00e9\"}}");
    strcpy(qs[nq++], "{\"target\":\"users\",\"type\":\"updateOne\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":\"1\"},\"overrideData\":{\"age\":-0,\"big\":12345678901234567,\"e\":1e3,\"t\":true,\"n\":null}}");
    many_literals(qs[nq++], 10, "");
    many_literals(qs[nq++], 80, "");
    many_literals(qs[nq++], 80, ",\"late\":2.5");
    many_literals(qs[nq++], 80, ",\"late\":\"a\\nb\"");
    many_literals(qs[nq++], 80, ",\"late\":-0");
    many_literals(qs[nq++], 80, ",\"late\":false");
    many_literals(qs[nq++], 80, ",\"late\":1E2");
    int same_rc = 1, committed = 1;
    static char sp[16384];
    for (int i = 0; i < nq; i++) {
        char meta[100];
        snprintf(meta, sizeof meta, "{\"id\":\"t.%d\",\"time\":%d,\"cause\":{\"n\":%d}}", i + 1, 1000 + i, i);
        spaced(qs[i], sp);
        hs_rc ra = hs_db_execute_meta(a, qs[i], strlen(qs[i]), NULL, 0, meta, strlen(meta));
        hs_rc rb = hs_db_execute_meta(b, sp, strlen(sp), NULL, 0, meta, strlen(meta));
        if (ra != rb) { same_rc = 0; fprintf(stderr, "rc %d vs %d: %s\n", ra, rb, qs[i]); }
        if (ra != HS_OK) { char *e = copy_output(a); committed = 0; fprintf(stderr, "failed (%s): %.80s\n", e, qs[i]); free(e); }
    }
    CHECK(same_rc, "compact and spaced-out texts give the same return codes");
    CHECK(committed && hs_db_seq(a) == (uint32_t)nq, "every query commits");
    CHECK(hs_db_commits(a, 1, hs_db_seq(a), UINT32_MAX) == HS_OK, "A's commits are listed");
    char *ca = copy_output(a);
    CHECK(hs_db_commits(b, 1, hs_db_seq(b), UINT32_MAX) == HS_OK, "B's commits are listed");
    char *cb = copy_output(b);
    if (strcmp(ca, cb)) fprintf(stderr, "A: %s\nB: %s\n", ca, cb);
    CHECK(strcmp(ca, cb) == 0, "the commit records are the same");
    CHECK(strstr(ca, "\"late\":2.5") && strstr(ca, "\"f79\":553"), "the records hold the queries' values");
    CHECK(hs_db_dump(a) == HS_OK, "A dumps");
    char *da = copy_output(a);
    CHECK(hs_db_dump(b) == HS_OK, "B dumps");
    char *db_ = copy_output(b);
    CHECK(strcmp(da, db_) == 0, "the dumps are the same");
    free(ca); free(cb); free(da); free(db_);
    hs_db_close(a);
    hs_db_close(b);
    return check_done();
}
