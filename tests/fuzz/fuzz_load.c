/*
** fuzz_load.c: libFuzzer target for hs_db_load, the decoding of snapshots (the engine state with
** history, c/snapshot.c). Log records are framed and checked in JS (js/stores/file-store.js,
** web/); no C code decodes that framing, so the snapshot text is the C decoder to fuzz. (The
** records' payloads are queries: fuzz_execute and fuzz_replay cover them.)
**
** Input: any bytes, read as a snapshot text.
** Properties: no sanitizer report; the answer is HS_OK/HS_ERROR and one JSON object; a refused
** snapshot leaves the database (a copy of fz_base_dict) byte-identical; an accepted one reads at
** every kept seq (toDict at, diff, history), dumps and loads to the same bytes, and still takes
** writes and reads (a write, a search, a revert, a horizon move) without a sanitizer report.
** Corpus: tests/fuzz/corpus/load/ (made by tests/fuzz/make-corpus.mjs).
*/
#include "fuzz_common.h"

static void run(hs_db *db, const char *q) {
    fz_check_answer(db, hs_db_execute(db, q, strlen(q), NULL, 0), "hs_db_execute after load");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hs_db *db = hs_db_open();
    if (!db) return 0;
    if (hs_db_from_dict(db, fz_base_dict, sizeof fz_base_dict - 1) != HS_OK) fz_fail("base dict refused", NULL);
    size_t before_len = 0;
    char *before = fz_dump(db, &before_len);

    char *text = malloc(size ? size : 1);   /* exact size: ASan sees any read past the end */
    if (size) memcpy(text, data, size);
    hs_rc rc = hs_db_load(db, text, size);
    free(text);
    fz_check_answer(db, rc, "hs_db_load");
    if (rc == HS_ERROR && before) {
        size_t after_len = 0;
        char *after = fz_dump(db, &after_len);
        if (after && (after_len != before_len || memcmp(before, after, before_len) != 0))
            fz_fail("a refused snapshot changed the database", after);
        free(after);
    } else if (rc == HS_OK) {
        fz_read_history(db, 16);
        fz_check_dump_roundtrip(db);
        run(db, "{\"type\":\"add\",\"target\":\"users\",\"addData\":[{\"id\":-1,\"name\":\"z\"}],\"serialKey\":\"id\"}");
        run(db, "{\"type\":\"search\",\"target\":\"users\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"name\",\"value\":\"z\"},"
                "\"sortObj\":{\"className\":\"SingleSort\",\"field\":\"id\"}}");
        run(db, "{\"type\":\"update\",\"target\":\"users\",\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"id\",\"value\":0},"
                "\"overrideData\":{\"u\":1}}");
        uint32_t seq = hs_db_seq(db), oldest = hs_db_oldest(db);
        fz_check_answer(db, hs_db_revert(db, oldest), "hs_db_revert");
        fz_check_answer(db, hs_db_set_horizon(db, oldest + (seq - oldest) / 2), "hs_db_set_horizon");
        fz_read_history(db, 8);
        fz_check_dump_roundtrip(db);
    }
    free(before);
    hs_db_close(db);
    return 0;
}
