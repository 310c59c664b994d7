/*
** fuzz_replay.c: libFuzzer target for importHistory's engine half: hs_db_set_base then
** hs_db_replay of a JSON list of exported commits (Query, TransactionQuery, HindsightRevert).
**
** Input: [BASE NEWLINE] JSON-LIST. When the input starts with decimal digits and a newline, they
** are the base seq given to hs_db_set_base (a history whose older commits were not kept); the
** rest is the list. The replay starts on an empty database.
** Properties: no sanitizer report; answers are HS_OK/HS_ERROR and one JSON object; oldest <= seq;
** every kept commit reads back (toDict at each seq, diff, history); the state round-trips through
** dump/load; moving the retention horizon to the middle and then reading again stays sound.
** Corpus: tests/fuzz/corpus/replay/ (made by tests/fuzz/make-corpus.mjs).
*/
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hs_db *db = hs_db_open();
    if (!db) return 0;
    size_t at = 0;
    uint64_t base = 0;
    while (at < size && at < 11 && data[at] >= '0' && data[at] <= '9') base = base * 10 + (data[at++] - '0');
    if (at > 0 && at < size && data[at] == '\n') {
        at++;
        fz_check_answer(db, hs_db_set_base(db, (uint32_t)base), "hs_db_set_base");
    } else {
        at = 0;
    }
    size_t len = size - at;
    char *text = malloc(len ? len : 1);   /* exact size: ASan sees any read past the end */
    if (len) memcpy(text, data + at, len);
    hs_rc rc = hs_db_replay(db, text, len);
    free(text);
    fz_check_answer(db, rc, "hs_db_replay");
    fz_read_history(db, 16);
    fz_check_dump_roundtrip(db);
    uint32_t seq = hs_db_seq(db), oldest = hs_db_oldest(db);
    if (seq > oldest) {
        fz_check_answer(db, hs_db_revert(db, oldest + (seq - oldest) / 3), "hs_db_revert");
        fz_check_answer(db, hs_db_set_horizon(db, oldest + (seq - oldest) / 2), "hs_db_set_horizon");
        fz_read_history(db, 16);
        fz_check_dump_roundtrip(db);
    }
    hs_db_close(db);
    return 0;
}
