/*
** fuzz_from_dict.c: libFuzzer target for hs_db_from_dict (Database.fromDict).
**
** Input: any bytes, read as a DeltaTraceDatabase dict text.
** Properties: no sanitizer report; the answer is HS_OK/HS_ERROR and one JSON object; a refused
** dict leaves the database (a copy of fz_base_dict) byte-identical; an accepted dict reads back
** through toDict, and that toDict is accepted again and reads back to the same bytes; the new
** state survives a dump/load round trip.
** Corpus: tests/fuzz/corpus/from_dict/ (made by tests/fuzz/make-corpus.mjs).
*/
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hs_db *db = hs_db_open();
    if (!db) return 0;
    if (hs_db_from_dict(db, fz_base_dict, sizeof fz_base_dict - 1) != HS_OK) fz_fail("base dict refused", NULL);
    if (hs_db_to_dict(db) != HS_OK) fz_fail("toDict of the base failed", NULL);
    size_t before_len = 0;
    char *before = fz_output_copy(db, &before_len);

    char *text = malloc(size ? size : 1);   /* exact size: ASan sees any read past the end */
    if (size) memcpy(text, data, size);
    hs_rc rc = hs_db_from_dict(db, text, size);
    free(text);
    fz_check_answer(db, rc, "hs_db_from_dict");
    if (rc != HS_NOMEM && hs_db_to_dict(db) == HS_OK) {
        size_t after_len = 0;
        char *after = fz_output_copy(db, &after_len);
        if (rc == HS_ERROR) {
            if (after_len != before_len || memcmp(before, after, before_len) != 0)
                fz_fail("a refused fromDict changed the database", after);
        } else {
            /* toDict -> fromDict -> toDict is the identity. */
            hs_db *again = hs_db_open();
            hs_rc rc2 = hs_db_from_dict(again, after, after_len);
            if (rc2 == HS_ERROR) {
                char *why = fz_output_copy(again, NULL);
                fprintf(stderr, "toDict: %.4000s\n", after);
                fz_fail("fromDict refuses a toDict it produced", why);
            }
            if (rc2 == HS_OK && hs_db_to_dict(again) == HS_OK) {
                size_t len2 = 0;
                char *second = fz_output_copy(again, &len2);
                if (len2 != after_len || memcmp(second, after, len2) != 0) {
                    fprintf(stderr, "first:  %.4000s\nsecond: %.4000s\n", after, second);
                    fz_fail("toDict -> fromDict -> toDict changed the text", NULL);
                }
                free(second);
            }
            hs_db_close(again);
            fz_check_dump_roundtrip(db);
        }
        free(after);
    }
    free(before);
    hs_db_close(db);
    return 0;
}
