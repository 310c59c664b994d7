/*
** fuzz_execute.c: libFuzzer target for hs_db_execute (executeQuery / executeQueryObject), with
** and without a permissions text.
**
** Input: QUERY [NUL PERMISSIONS [NUL QUERY2 ...]]. The query runs on a fresh copy of
** fz_base_dict; with a non-empty second part that text is the permission map (an empty one or
** none: NULL, allow all); any
** further parts run next, as later queries with the same permissions.
** Properties: no sanitizer report; every answer is HS_OK/HS_ERROR and one JSON object; a query
** whose result says isSuccess false (or HS_ERROR) leaves toDict byte-identical; after the run the
** state (history included) dumps, loads and dumps again to the same bytes.
** Corpus: tests/fuzz/corpus/execute/ (made by tests/fuzz/make-corpus.mjs).
*/
#include "fuzz_common.h"

/* Did the query change nothing, as the protocol says a failed query must? */
static int succeeded(hs_db *db) {
    size_t len = 0;
    const char *out = hs_db_output(db, &len);
    cJSON *j = cJSON_ParseWithLength(out, len);
    int ok = j && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "isSuccess"));
    cJSON_Delete(j);
    return ok;
}

static void run_query(hs_db *db, const char *q, size_t qlen, const char *perm, size_t plen) {
    if (hs_db_to_dict(db) != HS_OK) return;
    size_t before_len = 0;
    char *before = fz_output_copy(db, &before_len);
    hs_rc rc = hs_db_execute(db, q, qlen, perm, plen);
    fz_check_answer(db, rc, "hs_db_execute");
    if (rc == HS_NOMEM || (rc == HS_OK && succeeded(db))) { free(before); return; }
    char *result = fz_output_copy(db, NULL);
    if (hs_db_to_dict(db) == HS_OK) {
        size_t after_len = 0;
        char *after = fz_output_copy(db, &after_len);
        if (after_len != before_len || memcmp(before, after, before_len) != 0) {
            fprintf(stderr, "result: %.2000s\nbefore: %.2000s\nafter:  %.2000s\n", result, before, after);
            fz_fail("a failed query changed the database", NULL);
        }
        free(after);
    }
    free(result);
    free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hs_db *db = hs_db_open();
    if (!db) return 0;
    if (hs_db_from_dict(db, fz_base_dict, sizeof fz_base_dict - 1) != HS_OK) fz_fail("base dict refused", NULL);
    /* Split on NUL; each part is copied to its own exact-size block so ASan sees overreads. */
    const char *text = (const char *)data;
    const char *end = text + size;
    const char *query = text;
    const char *cut = memchr(text, 0, size);
    size_t qlen = cut ? (size_t)(cut - text) : size;
    char *perm = NULL;
    size_t plen = 0;
    const char *rest = NULL;
    if (cut) {
        const char *p = cut + 1;
        const char *pcut = memchr(p, 0, (size_t)(end - p));
        plen = pcut ? (size_t)(pcut - p) : (size_t)(end - p);
        if (plen) {
            perm = malloc(plen);
            memcpy(perm, p, plen);
        }
        rest = pcut ? pcut + 1 : NULL;
    }
    char *q = malloc(qlen ? qlen : 1);
    if (qlen) memcpy(q, query, qlen);
    run_query(db, q, qlen, perm, perm ? plen : 0);
    free(q);
    /* Later queries, same permissions: state built by the first one is exercised too. */
    for (int n = 0; rest && rest <= end && n < 8; n++) {
        const char *next = memchr(rest, 0, (size_t)(end - rest));
        size_t len = next ? (size_t)(next - rest) : (size_t)(end - rest);
        char *q2 = malloc(len ? len : 1);
        if (len) memcpy(q2, rest, len);
        run_query(db, q2, len, perm, perm ? plen : 0);
        free(q2);
        rest = next ? next + 1 : NULL;
    }
    free(perm);
    fz_check_dump_roundtrip(db);
    hs_db_close(db);
    return 0;
}
