/*
** fuzz_add_docs.c: libFuzzer target for hs_db_execute_docs, the add whose documents arrive in
** the storage format (c/value.h) from the JS wrapper (js/doc-encoder.js).
**
** Input: any bytes, read as the documents, one encoded value after another.
** Properties, for a plain add and for one with a serialKey: no sanitizer report; the answer is
** one JSON object; a refused add leaves the database (a copy of fz_base_dict) byte-identical
** in its dump; an accepted add stored exactly what the JSON parser builds: each document's
** bytes equal the parse of its own JSON text, and the same add sent as JSON text to a second
** database gives a byte-identical dump (documents, serials, commit record), which round-trips.
** Corpus: tests/fuzz/corpus/add_docs/ (made by tests/fuzz/make-corpus.mjs).
*/
#include "fuzz_common.h"
#include "json_scan.h"

/* The add, as hs_db_execute_docs takes it and as JSON text: [0] plain, [1] with a serialKey
   (the base's users have serialNum 6; a document without "id" is refused). */
static const char *const add_query[2] = {
    "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"users\",\"type\":\"add\",\"addData\":0}",
    "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"users\",\"type\":\"add\",\"addData\":0,\"serialKey\":\"id\"}",
};
static const char add_head[] = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"users\",\"type\":\"add\",\"addData\":[";
static const char *const add_tail[2] = {"]}", "],\"serialKey\":\"id\"}"};

static hs_db *open_base(void) {
    hs_db *db = hs_db_open();
    if (db && hs_db_from_dict(db, fz_base_dict, sizeof fz_base_dict - 1) != HS_OK) fz_fail("base dict refused", NULL);
    return db;
}

/* The JSON text of the same add, its documents printed from their bytes; NULL when they do
   not read back as themselves (an encoding the parser would never build). */
static char *text_of_add(const uint8_t *data, size_t size, int variant, size_t *len) {
    buf text, again;
    buf_init(&text);
    buf_init(&again);
    buf_puts(&text, add_head);
    for (size_t pos = 0, n; pos < size; pos += n) {
        if (val_check(data + pos, size - pos, VAL_MAX_DEPTH, &n)) fz_fail("an accepted add holds a document val_check refuses", NULL);
        size_t from = text.len, at = 0;
        if (pos) buf_putc(&text, ',');
        val_print(&text, (val)(data + pos));
        /* Parsed back from its own text, it must be the very same bytes. */
        buf_clear(&again);
        const char *e = jscan_value(text.data + from + (pos ? 1 : 0), text.len - from - (pos ? 1 : 0), &at, &again);
        if (!text.oom && !again.oom && (e || again.len != n || memcmp(again.data, data + pos, n) != 0))
            fz_fail("a stored document is not what the parser builds from its JSON text", e);
    }
    buf_puts(&text, add_tail[variant]);
    buf_free(&again);
    if (text.oom) { buf_free(&text); return NULL; }
    *len = text.len;
    return text.data;
}

/* One variant of the add on a fresh copy of the base, with every property checked. */
static void check_add(const uint8_t *data, size_t size, int variant) {
    hs_db *db = open_base();
    if (!db) return;
    size_t before_len = 0;
    char *before = fz_dump(db, &before_len);

    uint8_t *docs = malloc(size ? size : 1);   /* exact size: ASan sees any read past the end */
    if (size) memcpy(docs, data, size);
    hs_rc rc = hs_db_execute_docs(db, add_query[variant], strlen(add_query[variant]), NULL, 0, docs, size);
    fz_check_answer(db, rc, "hs_db_execute_docs");
    char *out = rc == HS_OK ? fz_output_copy(db, NULL) : NULL;
    int accepted = out && strstr(out, "\"isSuccess\":true") != NULL;
    free(out);
    size_t after_len = 0;
    char *after = rc == HS_NOMEM ? NULL : fz_dump(db, &after_len);
    if (before && after && !accepted && (after_len != before_len || memcmp(before, after, before_len) != 0))
        fz_fail("a refused add changed the database", after);
    if (accepted && after) {
        size_t tlen = 0;
        char *text = text_of_add(docs, size, variant, &tlen);
        hs_db *other = text ? open_base() : NULL;
        if (other && hs_db_execute(other, text, tlen, NULL, 0) == HS_OK) {
            size_t other_len = 0;
            char *dump = fz_dump(other, &other_len);
            if (dump && (other_len != after_len || memcmp(dump, after, after_len) != 0)) {
                fprintf(stderr, "as documents: %.3000s\nas text:      %.3000s\n", after, dump);
                fz_fail("the add as documents and as JSON text left different databases", NULL);
            }
            free(dump);
        }
        if (other) hs_db_close(other);
        free(text);
        fz_check_dump_roundtrip(db);
    }
    free(docs);
    free(before);
    free(after);
    hs_db_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_add(data, size, 0);
    check_add(data, size, 1);
    return 0;
}
