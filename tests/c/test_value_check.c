/*
** test_value_check.c: checks for c/value_check.c (val_check, the check of documents that arrive
** in the storage format) and for hs_db_execute_docs, the add that takes them.
**
** Owns: the encodings val_check must accept (whatever the JSON parser builds) and the ones it
** must refuse, byte by byte: an unknown tag, a cut-short value, counts and byte lengths that do
** not match, a wrong escaping flag, a duplicate key, non-canonical numbers, nesting past 100.
** Must stay true: refused encodings are written here by hand, never by the code under test;
** accepted ones come from jscan_value (tested in test_json_scan.c).
*/
#include "check.h"
#include "output_copy.h"
#include "hindsight.h"
#include "value.h"
#include "json_scan.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The parser's encoding of a JSON text, in b. */
static void parsed(buf *b, const char *json) {
    size_t pos = 0;
    buf_clear(b);
    if (jscan_value(json, strlen(json), &pos, b)) { fprintf(stderr, "bad test JSON %s\n", json); exit(2); }
}

static int accepts(const uint8_t *bytes, size_t n) {
    size_t size;
    return val_check(bytes, n, VAL_MAX_DEPTH, &size) == NULL && size == n;
}

static int refuses(const uint8_t *bytes, size_t n, const char *expected) {
    size_t size;
    const char *e = val_check(bytes, n, VAL_MAX_DEPTH, &size);
    if (e && (!expected || strcmp(e, expected) == 0)) return 1;
    printf("#   got: %s\n", e ? e : "(accepted)");
    return 0;
}

static void test_accepts_what_the_parser_builds(void) {
    static const char *const texts[] = {
        "null", "true", "false", "0", "-2147483648", "2147483648", "9007199254740992", "-9223372036854775808",
        "1.5", "-0", "1e300", "5e-324", "1e19", "\"\"", "\"plain\"", "\"q\\\"b\\\\n\\n\\u0000\"", "\"\\u00e9\\ud83d\\ude00\"",
        "[]", "{}", "[1,[2,[3,{}]],\"x\",null]", "{\"a\":1,\"b\":{\"c\":[true]},\"\":0,\"k\\\"\":\"v\"}",
    };
    buf b;
    buf_init(&b);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        parsed(&b, texts[i]);
        char name[160];
        snprintf(name, sizeof name, "accepts the parser's encoding of %s", texts[i]);
        CHECK(accepts((const uint8_t *)b.data, b.len), name);
    }
    /* An object of 40 members takes the allocated path of the duplicate check. */
    buf_clear(&b);
    char big[1024] = "{";
    for (int k = 0; k < 40; k++) snprintf(big + strlen(big), sizeof big - strlen(big), "%s\"k%d\":%d", k ? "," : "", k, k);
    strcat(big, "}");
    parsed(&b, big);
    CHECK(accepts((const uint8_t *)b.data, b.len), "accepts an object of 40 distinct members");
    /* ... and every shorter prefix of a document is refused, never read past. */
    parsed(&b, "{\"a\":[1,\"xyz\",{\"b\":2.5}],\"c\":null}");
    int all = 1;
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, b.data, n);
        size_t size;
        if (!val_check(copy, n, VAL_MAX_DEPTH, &size)) all = 0;
        free(copy);
    }
    CHECK(all, "refuses every cut-short prefix of a document");
    buf_free(&b);
}

static void test_refuses_malformed(void) {
    const uint8_t unknown[] = {10};
    CHECK(refuses(unknown, sizeof unknown, "an unknown tag"), "refuses an unknown tag");
    /* {"a":1} with a count of 2; with a byte length one too long; one too short */
    const uint8_t count2[] = {T_OBJ, 2, 0, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0, 'a', T_INT32, 1, 0, 0, 0};
    CHECK(refuses(count2, sizeof count2, NULL), "refuses a count larger than the members");
    const uint8_t long_len[] = {T_OBJ, 1, 0, 0, 0, 11, 0, 0, 0, 1, 0, 0, 0, 'a', T_INT32, 1, 0, 0, 0, T_NULL};
    CHECK(refuses(long_len, sizeof long_len, "a container's byte length does not match its elements"), "refuses a byte length past the members");
    const uint8_t short_len[] = {T_OBJ, 1, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 'a', T_INT32, 1, 0, 0, 0};
    CHECK(refuses(short_len, sizeof short_len, NULL), "refuses a byte length that cuts a member");
    const uint8_t quote_plain[] = {T_STR, 3, 0, 0, 0, 'a', '"', 'b'};
    CHECK(refuses(quote_plain, sizeof quote_plain, "a string's escaping flag is wrong"), "refuses a plain-flagged string holding a quote");
    const uint8_t ctl_plain[] = {T_STR, 9, 0, 0, 0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '\n'};
    CHECK(refuses(ctl_plain, sizeof ctl_plain, "a string's escaping flag is wrong"), "refuses a plain-flagged string with a control byte past 8 bytes");
    const uint8_t plain_escaped[] = {T_STRX, 2, 0, 0, 0, 'o', 'k'};
    CHECK(refuses(plain_escaped, sizeof plain_escaped, "a string's escaping flag is wrong"), "refuses an escape-flagged plain string");
    const uint8_t key_flag[] = {T_OBJ, 1, 0, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0, '\\', T_INT32, 1, 0, 0, 0};
    CHECK(refuses(key_flag, sizeof key_flag, "a member name's escaping flag is wrong"), "refuses a plain-flagged member name holding a backslash");
    const uint8_t dup[] = {T_OBJ, 2, 0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 'a', T_NULL, 1, 0, 0, 0, 'a', T_TRUE};
    CHECK(refuses(dup, sizeof dup, "duplicate key in object"), "refuses a duplicate member name");
    const uint8_t small64[] = {T_INT64, 5, 0, 0, 0, 0, 0, 0, 0};
    CHECK(refuses(small64, sizeof small64, "an int64 that fits 32 bits"), "refuses an int64 that fits 32 bits");
    const uint8_t odd64[] = {T_INT64, 1, 0, 0, 0, 0, 0, 0x20, 0};   /* 2^53 + 1 */
    CHECK(refuses(odd64, sizeof odd64, "an int64 that a double does not hold exactly"), "refuses 2^53 + 1 (the parser reads it as 2^53)");
    const uint8_t max64[] = {T_INT64, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    CHECK(refuses(max64, sizeof max64, "an int64 that a double does not hold exactly"), "refuses 2^63 - 1");
    uint8_t dbl[9] = {T_DOUBLE};
    double one = 1.0, nan = NAN, inf = INFINITY, neg_zero = -0.0;
    memcpy(dbl + 1, &one, 8);
    CHECK(refuses(dbl, 9, "an integral double that fits int64"), "refuses 1.0 as a double");
    memcpy(dbl + 1, &nan, 8);
    CHECK(refuses(dbl, 9, "number out of range"), "refuses NaN");
    memcpy(dbl + 1, &inf, 8);
    CHECK(refuses(dbl, 9, "number out of range"), "refuses infinity");
    memcpy(dbl + 1, &neg_zero, 8);
    CHECK(accepts(dbl, 9), "accepts -0.0 as a double (the parser's -0)");
}

static void test_depth(void) {
    /* 99 arrays around an empty one: 100 levels; one more is refused as the parser words it. */
    buf b;
    buf_init(&b);
    char text[256] = "";
    for (int k = 0; k < 100; k++) strcat(text, "[");
    for (int k = 0; k < 100; k++) strcat(text, "]");
    parsed(&b, text);
    CHECK(accepts((const uint8_t *)b.data, b.len), "accepts 100 levels");
    /* Wrap it once more by hand: [ <it> ] */
    buf deeper;
    buf_init(&deeper);
    size_t at = enc_begin(&deeper, T_ARR);
    buf_put(&deeper, b.data, b.len);
    enc_end(&deeper, at, 1);
    CHECK(refuses((const uint8_t *)deeper.data, deeper.len, "Exceeded max allowed nesting depth"), "refuses 101 levels, in the parser's words");
    buf_free(&b);
    buf_free(&deeper);
}

/* ---- hs_db_execute_docs ---- */

static const char plain_add[] = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"add\",\"addData\":0}";

static char *dump_of(hs_db *db) {
    return hs_db_dump(db) == HS_OK ? copy_output(db) : NULL;
}

static void test_execute_docs(void) {
    static const char *const docs[] = {"{\"a\":1,\"s\":\"x\\\"y\"}", "{\"b\":[1.5,null,{\"c\":true}]}", "{}"};
    buf enc, text, one;
    buf_init(&enc);
    buf_init(&text);
    buf_init(&one);
    buf_puts(&text, "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"add\",\"addData\":[");
    for (size_t i = 0; i < 3; i++) {
        parsed(&one, docs[i]);
        buf_put(&enc, one.data, one.len);
        buf_puts(&text, i ? "," : "");
        buf_puts(&text, docs[i]);
    }
    buf_puts(&text, "]}");

    hs_db *as_docs = hs_db_open(), *as_text = hs_db_open();
    CHECK(hs_db_execute_docs(as_docs, plain_add, strlen(plain_add), NULL, 0, (const uint8_t *)enc.data, enc.len) == HS_OK, "a plain add of encoded documents runs");
    size_t n;
    const char *out = hs_db_output(as_docs, &n);
    CHECK(strstr(out, "\"isSuccess\":true") && strstr(out, "\"dbLength\":3"), "and adds the three documents");
    CHECK(hs_db_execute(as_text, text.data, text.len, NULL, 0) == HS_OK, "the same add as JSON text runs");
    char *d1 = dump_of(as_docs), *d2 = dump_of(as_text);
    CHECK(d1 && d2 && strcmp(d1, d2) == 0, "both leave the same dump: documents, commit and its record");

    /* Not the plain add's shape: HS_MISUSE, nothing changed. */
    static const char *const others[] = {
        "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"add\",\"addData\":[{\"x\":1}]}",
        "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"add\",\"addData\":0,\"limit\":5}",
        "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"update\",\"addData\":0,\"queryNode\":{\"type\":\"all_\"},\"overrideData\":{}}",
        "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"add\",\"addData\":01}",
        "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"add\"}",
        /* a plain add with another document member: its record would keep the text, with 0 for the documents */
        "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"add\",\"addData\":0,\"overrideData\":{\"x\":1}}",
        "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"t\",\"type\":\"add\",\"queryNode\":{\"type\":\"all_\"},\"addData\":0}",
    };
    int all_misuse = 1;
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (hs_db_execute_docs(as_docs, others[i], strlen(others[i]), NULL, 0, (const uint8_t *)enc.data, enc.len) != HS_MISUSE) { all_misuse = 0; printf("#   not refused: %s\n", others[i]); }
    CHECK(all_misuse, "any other shape of query is HS_MISUSE");
    /* Documents the check refuses: the add fails as the parser's refusal would, nothing changed. */
    const uint8_t bad[] = {T_OBJ, 1, 0, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0, '"', T_NULL};
    CHECK(hs_db_execute_docs(as_docs, plain_add, strlen(plain_add), NULL, 0, bad, sizeof bad) == HS_OK, "a refused document is an answer, not a call error");
    out = hs_db_output(as_docs, &n);
    CHECK(strstr(out, "\"isSuccess\":false") && strstr(out, "addData: a member name's escaping flag is wrong"), "the add fails and says why");
    const uint8_t not_object[] = {T_INT32, 1, 0, 0, 0};
    hs_db_execute_docs(as_docs, plain_add, strlen(plain_add), NULL, 0, not_object, sizeof not_object);
    out = hs_db_output(as_docs, &n);
    CHECK(strstr(out, "every item of addData must be an object") != NULL, "a document that is not an object is refused as the text path refuses it");
    char *d3 = dump_of(as_docs);
    CHECK(d1 && d3 && strcmp(d1, d3) == 0, "nothing changed after the refusals");

    /* With a serialKey: the documents get serials, and the record keeps them as given, as the
       text path's does (documents printed where the 0 was). */
    static const char serial_add[] = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"s\",\"type\":\"add\",\"addData\":0,\"serialKey\":\"k\"}";
    static const char serial_text[] = "{\"className\":\"Query\",\"version\":\"7\",\"target\":\"s\",\"type\":\"add\",\"addData\":[{\"k\":null,\"a\":1},{\"a\":2,\"k\":\"x\"}],\"serialKey\":\"k\"}";
    buf_clear(&enc);
    parsed(&one, "{\"k\":null,\"a\":1}");
    buf_put(&enc, one.data, one.len);
    parsed(&one, "{\"a\":2,\"k\":\"x\"}");
    buf_put(&enc, one.data, one.len);
    CHECK(hs_db_execute_docs(as_docs, serial_add, strlen(serial_add), NULL, 0, (const uint8_t *)enc.data, enc.len) == HS_OK, "an add with a serialKey runs");
    out = hs_db_output(as_docs, &n);
    CHECK(strstr(out, "\"isSuccess\":true") != NULL, "and succeeds");
    hs_db_execute(as_text, serial_text, strlen(serial_text), NULL, 0);
    char *d4 = dump_of(as_docs), *d5 = dump_of(as_text);
    CHECK(d4 && d5 && strcmp(d4, d5) == 0, "and leaves the same dump as its JSON text: serials and record");
    CHECK(d4 && strstr(d4, "\"addData\":[{\"k\":null,\"a\":1},{\"a\":2,\"k\":\"x\"}]"), "the record holds the documents as given");
    free(d4);
    free(d5);
    free(d1);
    free(d2);
    free(d3);
    hs_db_close(as_docs);
    hs_db_close(as_text);
    buf_free(&enc);
    buf_free(&text);
    buf_free(&one);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_accepts_what_the_parser_builds();
    test_refuses_malformed();
    test_depth();
    test_execute_docs();
    return check_done();
}
