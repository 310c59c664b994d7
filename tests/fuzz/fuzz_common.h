/*
** fuzz_common.h: what every libFuzzer target in tests/fuzz/ shares: a small starting database,
** the checks on every engine answer, and the abort that libFuzzer reports as a crash.
**
** Must stay true: nothing here reads a clock or randomness, so a crash input reproduces exactly;
** every property violation calls fz_fail(), which prints what broke and aborts (libFuzzer then
** writes the input to its artifact file). Header-only: each target is one translation unit.
*/
#ifndef HS_FUZZ_COMMON_H
#define HS_FUZZ_COMMON_H
#include "hindsight.h"
#include "cJSON.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Three collections of mixed kinds, enough for every node, sort and merge to find something. */
static const char fz_base_dict[] =
    "{\"className\":\"DeltaTraceDatabase\",\"version\":\"16\",\"collections\":{"
    "\"users\":{\"className\":\"Collection\",\"version\":\"17\",\"data\":["
    "{\"id\":1,\"name\":\"Ann\",\"age\":31,\"tags\":[\"a\",\"b\"],\"p\":{\"city\":\"Oslo\",\"zip\":\"0150\"},\"at\":\"2024-01-02T03:04:05Z\"},"
    "{\"id\":2,\"name\":\"bob\",\"age\":25.5,\"tags\":[],\"p\":{\"city\":\"Rome\"},\"ok\":true,\"n\":null},"
    "{\"id\":3,\"name\":\"C\\\"q\\u00e9\",\"age\":\"40\",\"tags\":[\"b\"],\"p\":null},"
    "{\"id\":4,\"name\":\"dan\",\"age\":-3,\"k\":\"\\u00e9x\"},"
    "{\"id\":5,\"name\":\"Eve\",\"age\":1e3,\"tags\":[\"a\"],\"p\":{\"city\":\"Oslo\"}}],\"serialNum\":6},"
    "\"orders\":{\"className\":\"Collection\",\"version\":\"17\",\"data\":["
    "{\"uid\":1,\"item\":\"pen\",\"qty\":2},{\"uid\":2,\"item\":\"ink\",\"qty\":1},{\"uid\":1,\"item\":\"cup\",\"qty\":5}],\"serialNum\":0},"
    "\"logs\":{\"className\":\"Collection\",\"version\":\"17\",\"data\":[],\"serialNum\":3}}}";

static void fz_fail(const char *what, const char *detail) {
    fprintf(stderr, "fuzz property failed: %s\n", what);
    if (detail) fprintf(stderr, "  detail: %.2000s\n", detail);
    abort();
}

/* A copy of the current output, NUL-terminated (the output buffer changes with the next call). */
static char *fz_output_copy(hs_db *db, size_t *len_out) {
    size_t len = 0;
    const char *out = hs_db_output(db, &len);
    char *copy = malloc(len + 1);
    if (!copy) fz_fail("malloc for an output copy failed", NULL);
    if (len) memcpy(copy, out, len);
    copy[len] = 0;
    if (len_out) *len_out = len;
    return copy;
}

/* Every answer is HS_OK or HS_ERROR (HS_NOMEM only when memory really ran out: allowed), and the
   output is one JSON object (history: one JSON list); with HS_ERROR it carries an "error" string. */
static void fz_check_answer(hs_db *db, hs_rc rc, const char *call) {
    if (rc == HS_MISUSE) fz_fail(call, "returned HS_MISUSE on a valid handle");
    if (rc == HS_NOMEM) return;
    size_t len = 0;
    const char *out = hs_db_output(db, &len);
    cJSON *j = cJSON_ParseWithLength(out, len);
    if (!j || (!cJSON_IsObject(j) && !cJSON_IsArray(j))) {
        char *copy = fz_output_copy(db, NULL);
        fprintf(stderr, "call: %s\n", call);
        fz_fail("the output is not one JSON object or list", copy);
    }
    if (rc == HS_ERROR && !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "error")))
        fz_fail("HS_ERROR without an \"error\" string", call);
    cJSON_Delete(j);
}

/* The whole state with history (hs_db_dump) as a malloc'd string; NULL when the dump failed. */
static char *fz_dump(hs_db *db, size_t *len) {
    hs_rc rc = hs_db_dump(db);
    if (rc == HS_NOMEM) return NULL;
    if (rc != HS_OK) fz_fail("hs_db_dump failed on a valid database", fz_output_copy(db, NULL));
    return fz_output_copy(db, len);
}

/* A dump loads into a fresh database, which dumps to the same bytes (snapshots round-trip). */
static void fz_check_dump_roundtrip(hs_db *db) {
    size_t len = 0, len2 = 0;
    char *dump = fz_dump(db, &len);
    if (!dump) return;
    hs_db *copy = hs_db_open();
    if (!copy) fz_fail("hs_db_open failed", NULL);
    hs_rc rc = hs_db_load(copy, dump, len);
    if (rc == HS_ERROR) {
        char *why = fz_output_copy(copy, NULL);
        fprintf(stderr, "dump: %.4000s\n", dump);
        fz_fail("a dump of a valid database does not load", why);
    }
    if (rc == HS_OK) {
        char *dump2 = fz_dump(copy, &len2);
        if (dump2 && (len2 != len || memcmp(dump, dump2, len) != 0)) {
            fprintf(stderr, "first:  %.4000s\nsecond: %.4000s\n", dump, dump2);
            fz_fail("dump -> load -> dump changed the text", NULL);
        }
        free(dump2);
    }
    hs_db_close(copy);
    free(dump);
}

/* Reads every kept commit's state and one diff, the read paths of time travel. */
static inline void fz_read_history(hs_db *db, uint32_t max_states) {
    uint32_t seq = hs_db_seq(db), oldest = hs_db_oldest(db);
    if (oldest > seq) fz_fail("oldest > seq", NULL);
    uint32_t step = (seq - oldest) / max_states + 1;
    for (uint32_t s = oldest; s <= seq; s += step) {
        fz_check_answer(db, hs_db_to_dict_at(db, s), "hs_db_to_dict_at");
        if (s > UINT32_MAX - step) break;
    }
    fz_check_answer(db, hs_db_diff(db, oldest, seq), "hs_db_diff");
    fz_check_answer(db, hs_db_history(db, "users", 5, NULL, 0, oldest, seq), "hs_db_history");
    fz_check_answer(db, hs_db_stats(db), "hs_db_stats");
}
#endif
