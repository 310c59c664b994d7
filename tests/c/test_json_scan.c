/*
** test_json_scan.c: checks for c/json_scan.c, the one-pass JSON -> compact value parser
** (jscan_value, jscan_next_element) and the cutter that lifts document arrays out of a
** query or snapshot text (jscan_cut).
**
** Owns: the RFC 8259 acceptance table (what must parse, what must be refused), string
** decoding (escapes, surrogate pairs to UTF-8, lone surrogates to U+FFFD, \u0000 kept), the
** depth and duplicate-key limits, number ranges, the cutter's envelope/span contract, and the
** promise that neither function reads outside text[0, len).
**
** Must stay true: every input is handed over as an exact-size heap copy with no terminating
** NUL, so ASan reports any read past len; expectations are written by hand. The patterns are
** the ones db.c uses (addData, queries.*.addData, overrideData, ...), restated here.
*/
#include "check.h"
#include "json_scan.h"
#include "json_in.h"
#include <stdlib.h>
#include <string.h>

/* {==== helpers */

/* An exact-size heap copy: no NUL after the text, so any overread is an ASan error. */
static char *exact_copy(const char *s, size_t n) {
    char *p = malloc(n);   /* for n == 0, a zero-size block: even text[0] is out of bounds */
    if (!p && n) { fprintf(stderr, "test_json_scan: out of memory\n"); exit(2); }
    if (n) memcpy(p, s, n);
    return p;
}

/* Parses text with jscan_value; returns the error (NULL on success), the encoding in out and
   the end position in *end. */
static const char *scan_n(const char *text, size_t n, buf *out, size_t *end) {
    char *copy = exact_copy(text, n);
    size_t pos = 0;
    out->len = 0;
    const char *err = jscan_value(copy, n, &pos, out);
    free(copy);
    if (end) *end = pos;
    return err;
}

/* 1 when text is one whole JSON value and prints back (val_print) as expected. */
static int parses_to(const char *text, const char *expected) {
    buf out, printed;
    buf_init(&out);
    buf_init(&printed);
    size_t end = 0;
    const char *err = scan_n(text, strlen(text), &out, &end);
    int ok = !err && end == strlen(text);
    if (ok) {
        val_print(&printed, (val)out.data);
        ok = printed.len == strlen(expected) && memcmp(printed.data, expected, printed.len) == 0;
        if (!ok) printf("#   %s printed as %.*s\n", text, (int)printed.len, printed.data);
    } else {
        printf("#   %s: %s (end %zu)\n", text, err ? err : "stopped early", end);
    }
    buf_free(&out);
    buf_free(&printed);
    return ok;
}

static const char *error_of_n(const char *text, size_t n) {
    buf out;
    buf_init(&out);
    const char *err = scan_n(text, n, &out, NULL);
    buf_free(&out);
    return err;
}
static const char *error_of(const char *text) { return error_of_n(text, strlen(text)); }

/* The decoded bytes of a JSON string literal, compared with expected[0, n); also checks the
   tag: T_STRX exactly when the bytes need escaping in JSON output. */
static int decodes_to(const char *literal, const char *expected, size_t n) {
    buf out;
    buf_init(&out);
    const char *err = scan_n(literal, strlen(literal), &out, NULL);
    int ok = !err && out.len == 5 + n && (uint8_t)out.data[0] == (buf_json_plain(expected, n) ? T_STR : T_STRX);
    if (ok) {
        size_t len;
        const char *s = val_str((val)out.data, &len);
        ok = len == n && memcmp(s, expected, n) == 0;
    }
    if (!ok) printf("#   %s: %s\n", literal, err ? err : "wrong bytes or tag");
    buf_free(&out);
    return ok;
}

static void nested(buf *b, int depth, const char *open, const char *inner, const char *close) {
    b->len = 0;
    for (int i = 0; i < depth; i++) buf_puts(b, open);
    buf_puts(b, inner);
    for (int i = 0; i < depth; i++) buf_puts(b, close);
}
/* }==== */

static void test_valid(void) {
    static const char *const same[] = {
        "null", "true", "false", "0", "-1", "123", "1.5", "-0.25", "\"\"", "\"abc\"", "[]", "{}",
        "[1,2,3]", "{\"a\":1}", "{\"a\":[{\"b\":null},true,\"x\"],\"c\":{}}", "[[[]]]", "[{},{}]", "0.001",
    };
    for (size_t k = 0; k < sizeof same / sizeof same[0]; k++) {
        char name[160];
        snprintf(name, sizeof name, "parses and prints back: %s", same[k]);
        CHECK(parses_to(same[k], same[k]), name);
    }
    CHECK(parses_to(" \t\r\n[ 1 , { \"a\" : 2 } ]", "[1,{\"a\":2}]") && parses_to("{ }", "{}") && parses_to("[ ]", "[]"),
          "whitespace (space, tab, CR, LF) is allowed between tokens");
    CHECK(parses_to("1.0", "1") && parses_to("1e2", "100") && parses_to("1E+2", "100") && parses_to("100e-2", "1"),
          "integral numbers in any notation become ints");
    CHECK(parses_to("1e-2", "0.01") && parses_to("2.5E-3", "0.0025") && parses_to("-1.5e1", "-15"), "exponents");
    CHECK(parses_to("-0.0", "-0") && parses_to("-0", "-0") && parses_to("-0e5", "-0"), "-0 and -0.0 keep their sign, as JSON.parse reads them");
    CHECK(parses_to("0", "0") && parses_to("0.0", "0") && parses_to("0e-3", "0"), "0 in any notation is the int 0");
    CHECK(parses_to("999999999999999", "999999999999999") && parses_to("-999999999999999", "-999999999999999"), "15-digit ints are exact");
    /* Longer ints are read as JSON.parse and cJSON read them (nearest double), so a number
       means the same in a document as in a query. */
    CHECK(parses_to("123456789012345678", "123456789012345680") && parses_to("-123456789012345678", "-123456789012345680"),
          "18-digit ints become the nearest double, stored as an int");
    CHECK(parses_to("9007199254740993", "9007199254740992"), "2^53+1 reads as 2^53, as in JSON.parse");
    CHECK(parses_to("-9223372036854775808", "-9223372036854775808"), "-2^63 is the int64 minimum");
    CHECK(parses_to("1e-400", "0"), "an underflowing exponent is 0 (finite)");
    CHECK(parses_to("1.7976931348623157e308", "1.7976931348623157e+308"), "the largest double parses");

    buf out;
    buf_init(&out);
    size_t end;
    CHECK(!scan_n("9223372036854775808", 19, &out, &end) && (uint8_t)out.data[0] == T_DOUBLE && val_num((val)out.data) == 9223372036854775808.0,
          "2^63 does not fit int64: it is a double");
    CHECK(!scan_n("18446744073709551616", 20, &out, &end) && (uint8_t)out.data[0] == T_DOUBLE && val_num((val)out.data) == 18446744073709551616.0,
          "2^64 is a double");
    CHECK(!scan_n("123456789012345678901234567890", 30, &out, &end) && (uint8_t)out.data[0] == T_DOUBLE && val_num((val)out.data) == 1.2345678901234568e29,
          "a 30-digit int is the nearest double");
    CHECK(!scan_n("2147483648", 10, &out, &end) && (uint8_t)out.data[0] == T_INT64 && !scan_n("2147483647", 10, &out, &end) && (uint8_t)out.data[0] == T_INT32,
          "ints are int32 up to 2^31-1, int64 from 2^31");
    /* A long number text (the parser copies it to a temporary: more than 64 bytes). */
    char longnum[200] = "0.";
    memset(longnum + 2, '1', 150);
    longnum[152] = 0;
    CHECK(!scan_n(longnum, 152, &out, &end) && end == 152 && (uint8_t)out.data[0] == T_DOUBLE && val_num((val)out.data) == 0.1111111111111111,
          "a 152-character number parses");

    /* jscan_value reads one value from *pos and stops after it; the caller checks what follows. */
    const char text[] = "xx [1, 2] tail";
    char *copy = exact_copy(text, sizeof text - 1);
    size_t pos = 2;
    out.len = 0;
    CHECK(!jscan_value(copy, sizeof text - 1, &pos, &out) && pos == 9 && val_count((val)out.data) == 2, "jscan_value starts at *pos and stops right after the value");
    free(copy);
    CHECK(!scan_n("01", 2, &out, &end) && end == 1 && !scan_n("nullx", 5, &out, &end) && end == 4 && !scan_n("1 2", 3, &out, &end) && end == 1,
          "at top level the value ends where the grammar ends (trailing text is the caller's)");
    buf_free(&out);
}

static void test_invalid(void) {
    static const char *const bad[] = {
        "", " ", "[01]", "[-01]", "[00]", "[1.]", "[.5]", "[+1]", "[1e]", "[1e+]", "[-]", "[0x10]", "[Infinity]", "[NaN]",
        "[-Infinity]", "[1.5e]", "[--1]", "[1,]", "{\"a\":1,}", "[,1]", "{,}", "[1,,2]", "[1 2]", "{\"a\" 1}", "{\"a\":}",
        "{a:1}", "{'a':1}", "['a']", "[tru]", "[nul]", "[True]", "[nulll]", "[falsey]", "\"abc", "[1", "{\"a\":1", "[", "{",
        "\"", "{\"a\"", "{\"a\":", "[\"a\\\"]", "\"a\\", "\"\\x41\"", "\"\\'\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\U0041\"",
        "\"\\u\"", "\"\\ud83d\\u\"", "[\f1]", "[\v1]", "]", "}", ":", ",", "{\"a\":1]", "[1}", "{1:2}", "{null:1}",
        "[\"a\"\"b\"]", "{\"a\":1\"b\":2}", "/*c*/1", "[1]//", "\x00", "[\xc2\xa0" "1]",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char name[160];
        snprintf(name, sizeof name, "refused: [%zu] %.60s", k, bad[k]);
        for (char *c = name; *c; c++) if ((unsigned char)*c < 0x20) *c = '?';
        /* Some entries stop early without error at top level; wrapped in [...] they must fail. */
        size_t n = strlen(bad[k]);
        int refused = error_of_n(bad[k], n) != NULL;
        if (!refused) {
            buf wrapped;
            buf_init(&wrapped);
            buf_putc(&wrapped, '[');
            buf_put(&wrapped, bad[k], n);
            buf_putc(&wrapped, ']');
            refused = error_of_n(wrapped.data, wrapped.len) != NULL;
            buf_free(&wrapped);
        }
        CHECK(refused, name);
    }
    CHECK(error_of_n("\"a\0b\"", 5) != NULL, "a raw NUL byte inside a string is a control character");
    CHECK(error_of("\"a\tb\"") != NULL && error_of("\"a\nb\"") != NULL && error_of("\"\x1f\"") != NULL, "raw control characters in strings are refused");
    CHECK(error_of("\"\x7f\"") == NULL, "DEL is not a control character in JSON");
    CHECK(error_of("1e400") && error_of("-1e400") && error_of("[1e309]") && error_of("{\"a\":-2e308}"), "numbers beyond double range are refused");
    const char *e = error_of("1e400");
    CHECK(e && strcmp(e, "number out of range") == 0, "the out-of-range message");
}

static void test_strings(void) {
    CHECK(decodes_to("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8), "the eight short escapes decode");
    CHECK(decodes_to("\"\\/\"", "/", 1), "an escaped solidus needs no escaping afterwards (plain tag)");
    CHECK(decodes_to("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6), "\\u escapes become UTF-8 (1, 2 and 3 bytes; hex in any case)");
    CHECK(decodes_to("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4), "a surrogate pair becomes one 4-byte UTF-8 character");
    CHECK(decodes_to("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4), "the last code point U+10FFFF");
    CHECK(decodes_to("\"\\ud83d\"", "\xef\xbf\xbd", 3), "a lone high surrogate at the end becomes U+FFFD");
    CHECK(decodes_to("\"\\ud83dx\"", "\xef\xbf\xbdx", 4), "a lone high surrogate before text becomes U+FFFD");
    CHECK(decodes_to("\"\\ud83d\\u0041\"", "\xef\xbf\xbd" "A", 4), "a high surrogate followed by a non-surrogate escape: U+FFFD, then the character");
    CHECK(decodes_to("\"\\ude00\"", "\xef\xbf\xbd", 3), "a lone low surrogate becomes U+FFFD");
    CHECK(decodes_to("\"\\ud83d\\ud83d\\ude00\"", "\xef\xbf\xbd\xf0\x9f\x98\x80", 7), "high, high, low: U+FFFD then the pair");
    CHECK(decodes_to("\"a\\u0000b\"", "a\0b", 3), "\\u0000 is kept inside the string (tag: needs escaping)");
    CHECK(decodes_to("\"\\u001f\"", "\x1f", 1), "an escaped control character is kept");
    CHECK(decodes_to("\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", "caf\xc3\xa9 \xf0\x9f\x98\x80", 10), "raw UTF-8 passes through unchanged");
    CHECK(decodes_to("\"\"", "", 0), "the empty string");

    /* Keys are decoded the same way; a key that needs escaping gets bit 31 of its length. */
    buf out;
    buf_init(&out);
    CHECK(!scan_n("{\"a\\\"b\":1}", 10, &out, NULL) && rd32((val)out.data + 9) == (3u | 0x80000000u) && memcmp(out.data + 13, "a\"b", 3) == 0,
          "an escaped key is decoded and flagged as needing escapes");
    CHECK(!scan_n("{\"\\u0061\":1}", 12, &out, NULL) && rd32((val)out.data + 9) == 1 && out.data[13] == 'a', "a \\u-escaped key decodes to a plain key");
    buf_free(&out);
}

static void test_limits(void) {
    buf text;
    buf_init(&text);
    /* Depth counts every level of values, the outermost being 1: [[1]] is 3 deep. */
    nested(&text, 100, "[", "", "]");
    CHECK(error_of_n(text.data, text.len) == NULL, "100 nested arrays (depth 100) are accepted");
    nested(&text, 101, "[", "", "]");
    const char *e = error_of_n(text.data, text.len);
    CHECK(e && strcmp(e, "Exceeded max allowed nesting depth") == 0, "101 nested arrays (depth 101) are refused with DeltaTraceDB's message");
    nested(&text, 99, "[", "1", "]");
    CHECK(error_of_n(text.data, text.len) == NULL, "99 arrays around a number (depth 100) are accepted");
    nested(&text, 100, "[", "1", "]");
    CHECK(error_of_n(text.data, text.len) != NULL, "100 arrays around a number (depth 101) are refused");
    nested(&text, 99, "{\"a\":", "{}", "}");
    CHECK(error_of_n(text.data, text.len) == NULL, "objects nested to depth 100 are accepted");
    nested(&text, 100, "{\"a\":", "{}", "}");
    CHECK(error_of_n(text.data, text.len) != NULL, "objects nested to depth 101 are refused");
    /* The cJSON path (query envelopes, nodes) counts the same way. */
    for (int depth = 100; depth <= 101; depth++) {
        nested(&text, depth, "[", "", "]");
        buf_putc(&text, 0);
        cJSON *tree = cJSON_Parse(text.data);
        buf enc;
        buf_init(&enc);
        const char *jin = tree ? jin_encode(&enc, tree) : "cJSON refused";
        CHECK(depth == 100 ? jin == NULL : (jin && strcmp(jin, "Exceeded max allowed nesting depth") == 0),
              depth == 100 ? "jin_encode accepts depth 100 too" : "jin_encode refuses depth 101 too");
        buf_free(&enc);
        cJSON_Delete(tree);
    }
    nested(&text, 200000, "[", "", "]");
    CHECK(error_of_n(text.data, text.len) != NULL, "200,000 open brackets are refused without exhausting the stack");
    nested(&text, 200000, "{\"a\":[", "", "]}");
    CHECK(error_of_n(text.data, text.len) != NULL, "200,000 nested objects/arrays are refused without exhausting the stack");

    CHECK(error_of("{\"a\":1,\"a\":2}") && !strcmp(error_of("{\"a\":1,\"a\":2}"), "duplicate key in object"), "duplicate keys are refused");
    CHECK(error_of("{\"a\":1,\"b\":{\"a\":1}}") == NULL && error_of("{\"a\":1,\"A\":1}") == NULL && error_of("[{\"a\":1},{\"a\":2}]") == NULL,
          "the same key in different objects, or differing in case, is fine");
    CHECK(error_of("{\"a\":1,\"\\u0061\":2}") != NULL, "keys are compared after decoding escapes");
    CHECK(error_of("{\"x\":{\"k\":1,\"k\":1}}") != NULL, "a nested duplicate is refused");
    CHECK(error_of("{\"ab\":1,\"a\":2,\"\":3,\"b\":4}") == NULL, "prefix keys and the empty key are distinct");
    /* More than 32 keys: the key table grows. */
    text.len = 0;
    buf_putc(&text, '{');
    for (int i = 0; i < 40; i++) {
        char m[32];
        snprintf(m, sizeof m, "%s\"key%d\":%d", i ? "," : "", i, i);
        buf_puts(&text, m);
    }
    size_t open_len = text.len;
    buf_putc(&text, '}');
    CHECK(error_of_n(text.data, text.len) == NULL, "40 distinct keys are accepted");
    text.len = open_len;
    buf_puts(&text, ",\"key3\":0}");
    CHECK(error_of_n(text.data, text.len) != NULL, "a duplicate as the 41st key is refused");
    buf_free(&text);
}

/* The same storage bytes from jscan_value and from cJSON + jin_encode (documents arrive through
   either path), for texts without \u0000 (where cJSON's strings end). */
static void test_agrees_with_cjson(void) {
    static const char *const texts[] = {
        "{\"a\":1,\"b\":[1.5,-2,true,false,null],\"c\":{\"d\":\"\\u00e9\\n\\\"\"},\"e\":[],\"f\":{}}",
        "[1e2,0.1,-0.5,2147483648,-2147483649,\"\\ud83d\\ude00\",\"x\\\\y\",{\"k\\\"\":[[]]}]",
        "{\"n\":9007199254740993,\"m\":-123456789012345678,\"s\":\"\\u001f\\/\",\"b\":1e300,\"z\":-0.0}",
    };
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        buf a, b;
        buf_init(&a);
        buf_init(&b);
        const char *err = scan_n(texts[k], strlen(texts[k]), &a, NULL);
        cJSON *tree = cJSON_Parse(texts[k]);
        const char *err2 = tree ? jin_encode(&b, tree) : "cJSON refused";
        char name[100];
        snprintf(name, sizeof name, "jscan_value and jin_encode give identical bytes (text %zu)", k);
        CHECK(!err && !err2 && a.len == b.len && memcmp(a.data, b.data, a.len) == 0, name);
        cJSON_Delete(tree);
        buf_free(&a);
        buf_free(&b);
    }
}

/* {==== jscan_cut */
static const char *const top_addData[] = {"addData"}, *const tx_addData[] = {"queries", "*", "addData"};
static const char *const top_overrideData[] = {"overrideData"}, *const tx_overrideData[] = {"queries", "*", "overrideData"};
static const char *const dict_data[] = {"collections", "*", "data"};
static const jscan_pattern query_pats[] = {
    {top_addData, 1, '['}, {tx_addData, 3, '['}, {top_overrideData, 1, '{'}, {tx_overrideData, 3, '{'},
};
static const jscan_pattern dict_pats[] = {{dict_data, 3, '['}};
#define NQ ((int)(sizeof query_pats / sizeof query_pats[0]))

/* Cuts text (an exact-size copy) and checks the envelope and the spans' texts; spans_expected
   lists the cut texts, NULL-terminated. expected_env NULL means "nothing is cut". */
static int cut_is(const char *text, const jscan_pattern *pats, int npats, const char *expected_env, const char *const *spans_expected) {
    size_t n = strlen(text), nspans = 99;
    char *copy = exact_copy(text, n);
    buf env;
    buf_init(&env);
    jscan_span *spans = jscan_cut(copy, n, pats, npats, &env, &nspans);
    int ok;
    if (!expected_env) {
        ok = spans == NULL && nspans == 0;
        if (!ok) printf("#   %s: cut %zu span(s), expected none\n", text, nspans);
    } else {
        ok = spans != NULL && env.len == strlen(expected_env) && memcmp(env.data, expected_env, env.len) == 0;
        if (!ok) printf("#   %s: envelope %.*s\n", text, (int)env.len, env.data ? env.data : "(none)");
        size_t k = 0;
        for (; ok && spans_expected[k]; k++) {
            ok = k < nspans && spans[k].end - spans[k].start == strlen(spans_expected[k])
                 && memcmp(copy + spans[k].start, spans_expected[k], strlen(spans_expected[k])) == 0;
            if (!ok) printf("#   span %zu differs\n", k);
        }
        ok = ok && k == nspans;
    }
    free(spans);
    buf_free(&env);
    free(copy);
    return ok;
}

/* For malformed text: either nothing is cut or the envelope is malformed too, so cJSON
   reports the error either way. */
static int malformed_stays_malformed(const char *text, const jscan_pattern *pats, int npats) {
    size_t n = strlen(text), nspans = 0;
    char *copy = exact_copy(text, n);
    buf env;
    buf_init(&env);
    jscan_span *spans = jscan_cut(copy, n, pats, npats, &env, &nspans);
    cJSON *parsed = spans ? cJSON_ParseWithLength(env.data, env.len) : NULL;
    int ok = (spans == NULL && nspans == 0) || (spans && parsed == NULL);
    cJSON_Delete(parsed);
    free(spans);
    buf_free(&env);
    free(copy);
    return ok;
}

static void test_cut(void) {
    const char *one[] = {"[{\"a\":1},{\"b\":\"]\"}]", NULL};
    CHECK(cut_is("{\"type\":\"add\",\"addData\":[{\"a\":1},{\"b\":\"]\"}],\"target\":\"t\"}", query_pats, NQ,
                 "{\"type\":\"add\",\"addData\":0,\"target\":\"t\"}", one),
          "addData is replaced by span number 0; the span is the array text");
    const char *spaced[] = {"[ 1 ]", NULL};
    CHECK(cut_is("{ \"addData\" : [ 1 ] }", query_pats, NQ, "{ \"addData\" : 0 }", spaced), "whitespace around the cut is kept");
    CHECK(cut_is("{\"addData\":null}", query_pats, NQ, NULL, NULL), "a null at a pattern is left alone (nothing cut)");
    const char *after_null[] = {"{\"x\":1}", NULL};
    CHECK(cut_is("{\"addData\":null,\"overrideData\":{\"x\":1}}", query_pats, NQ, "{\"addData\":null,\"overrideData\":0}", after_null),
          "a null is left in place while other patterns are cut");
    CHECK(cut_is("{\"addData\":5}", query_pats, NQ, NULL, NULL), "a number at a pattern: nothing is cut");
    CHECK(cut_is("{\"addData\":\"[x]\"}", query_pats, NQ, NULL, NULL), "a string at a pattern: nothing is cut");
    CHECK(cut_is("{\"addData\":{\"a\":1}}", query_pats, NQ, NULL, NULL), "an object where a list is expected: nothing is cut");
    CHECK(cut_is("{\"addData\":true}", query_pats, NQ, NULL, NULL) && cut_is("{\"addData\":nul}", query_pats, NQ, NULL, NULL),
          "true, or a broken null, at a pattern: nothing is cut");
    CHECK(cut_is("{\"addData\":[1],\"overrideData\":[2]}", query_pats, NQ, NULL, NULL),
          "one good and one wrong container: nothing at all is cut (cJSON then sees the original)");
    const char *tricky[] = {"[{\"s\":\"a\\\"]}\"},{\"t\":\"\\\\\"}]", NULL};
    CHECK(cut_is("{\"k\":\"addData\",\"x\":\"[\\\"{\",\"addData\":[{\"s\":\"a\\\"]}\"},{\"t\":\"\\\\\"}],\"z\":\"}\"}", query_pats, NQ,
                 "{\"k\":\"addData\",\"x\":\"[\\\"{\",\"addData\":0,\"z\":\"}\"}", tricky),
          "strings holding brackets, quotes, escaped quotes and backslashes do not confuse the cutter");
    const char *top_only[] = {"[2]", NULL};
    CHECK(cut_is("{\"x\":{\"addData\":[1]},\"addData\":[2]}", query_pats, NQ, "{\"x\":{\"addData\":[1]},\"addData\":0}", top_only),
          "a nested member with a pattern's name is not cut");
    CHECK(cut_is("{\"x\":[\"addData\",[1]]}", query_pats, NQ, NULL, NULL), "a string value equal to a pattern name is not a member name");
    const char *tx[] = {"[{\"a\":1}]", "[{\"b\":2}]", "{\"c\":3}", NULL};
    CHECK(cut_is("{\"queries\":[{\"type\":\"add\",\"addData\":[{\"a\":1}]},{\"type\":\"search\"},{\"addData\":[{\"b\":2}],\"overrideData\":{\"c\":3}}]}",
                 query_pats, NQ, "{\"queries\":[{\"type\":\"add\",\"addData\":0},{\"type\":\"search\"},{\"addData\":1,\"overrideData\":2}]}", tx),
          "queries[*].addData and queries[*].overrideData are cut in text order");
    const char *star_member[] = {"[1]", NULL};
    CHECK(cut_is("{\"queries\":{\"q\":{\"addData\":[1]}}}", query_pats, NQ, "{\"queries\":{\"q\":{\"addData\":0}}}", star_member),
          "\"*\" matches an object member as well as a list element");
    const char *deep[] = {"[2]", NULL};
    CHECK(cut_is("{\"a\":[[[[[[[[[[{\"addData\":[1]}]]]]]]]]]],\"addData\":[2]}", query_pats, NQ,
                 "{\"a\":[[[[[[[[[[{\"addData\":[1]}]]]]]]]]]],\"addData\":0}", deep),
          "containers deeper than the cutter tracks are skipped and the depth resynchronises");
    CHECK(cut_is("{\"add\\u0044ata\":[1]}", query_pats, NQ, NULL, NULL), "member names are matched raw: an escaped name is not cut");
    CHECK(cut_is("{\"addData\":[1,2", query_pats, NQ, NULL, NULL), "an unterminated container at a pattern: nothing is cut");
    CHECK(malformed_stays_malformed("{\"addData\":[\"]", query_pats, NQ) && malformed_stays_malformed("{\"addData\":[{\"a\":\"]", query_pats, NQ),
          "an unterminated string ending in ']': nothing cut, or an envelope cJSON refuses");
    CHECK(cut_is("{\"type\":\"search\"}", query_pats, NQ, NULL, NULL) && cut_is("", query_pats, NQ, NULL, NULL), "no pattern present: nothing is cut");
    const char *data[] = {"[{\"a\":1}]", "[]", NULL};
    CHECK(cut_is("{\"className\":\"DeltaTraceDatabase\",\"collections\":{\"u\":{\"data\":[{\"a\":1}],\"serialNum\":1},\"v\":{\"serialNum\":0,\"data\":[]}}}",
                 dict_pats, 1, "{\"className\":\"DeltaTraceDatabase\",\"collections\":{\"u\":{\"data\":0,\"serialNum\":1},\"v\":{\"serialNum\":0,\"data\":1}}}", data),
          "a snapshot's collections.*.data arrays are cut");
}

/* Values without a member name inside an object (malformed text, which reaches the cutter
   before cJSON sees it) must not be matched against a pattern's member name. Run last: an
   engine that crashes here stops the program. */
static void test_cut_nameless_values(void) {
    CHECK(malformed_stays_malformed("{\"abcdefg\":1,[1]}", query_pats, NQ), "a nameless list after a 7-byte member name (addData's length)");
    CHECK(malformed_stays_malformed("{[1],\"addData\":[2]}", query_pats, NQ), "a nameless list first in an object");
    CHECK(malformed_stays_malformed("{\"queries\":[{\"overrideDat\":1,{\"a\":1}}]}", query_pats, NQ), "a nameless object inside queries[*]");
    CHECK(malformed_stays_malformed("{\"collections\":{\"abcd\":{\"data\":1,[1]}}}", dict_pats, 1), "a nameless list in a snapshot collection");
}

static void test_next_element(void) {
    static const char text[] = "[ 1 , {\"a\":[2]} ,\"x\" ]";
    size_t n = sizeof text - 1;
    char *copy = exact_copy(text, n);
    jscan_span span = {0, n};
    size_t pos = span.start;
    buf out;
    buf_init(&out);
    int kinds[4], count = 0, r;
    while ((r = jscan_next_element(copy, span, &pos)) == 1 && count < 4) {
        out.len = 0;
        if (jscan_value(copy, span.end, &pos, &out)) break;
        kinds[count++] = val_kind((val)out.data);
    }
    CHECK(r == 0 && count == 3 && kinds[0] == K_NUM && kinds[1] == K_OBJ && kinds[2] == K_STR, "jscan_next_element visits the three elements, then ends");
    free(copy);
    static const struct { const char *text; int expected_end; } lists[] = {
        {"[]", 0}, {"[ ]", 0}, {"[1 2]", -1}, {"[1,]", -1}, {"[,1]", -1}, {"[1", -1}, {"[1,", -1}, {"[", -1},
    };
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        size_t len = strlen(lists[k].text);
        char *c = exact_copy(lists[k].text, len);
        jscan_span s = {0, len};
        size_t p = 0;
        int res, guard = 0;
        while ((res = jscan_next_element(c, s, &p)) == 1 && guard++ < 10) {
            out.len = 0;
            if (jscan_value(c, s.end, &p, &out)) { res = -2; break; }
        }
        char name[100];
        snprintf(name, sizeof name, "jscan_next_element on %s ends with %d", lists[k].text, lists[k].expected_end);
        CHECK(res == lists[k].expected_end || (lists[k].expected_end == -1 && res == -2), name);
        free(c);
    }
    buf_free(&out);
}

/* Every prefix and many deterministic mutations of valid texts: neither function may read past
   len (exact-size copies), and a cut's spans must lie inside the text. */
static void test_never_reads_past_len(void) {
    static const char *const seeds[] = {
        "{\"type\":\"add\",\"addData\":[{\"a\":1,\"s\":\"x\\\"]\\\\\"},{\"u\":\"\\ud83d\\ude00\"}],\"target\":\"t\"}",
        "{\"queries\":[{\"addData\":[{\"a\":[1,{\"b\":null}]}],\"overrideData\":{\"c\":-1.5e3}},{\"type\":\"search\"}]}",
        "{\"collections\":{\"u\":{\"data\":[{\"a\":true},{\"b\":false}],\"serialNum\":3}}}",
        "[\"\\u0000\",{\"k\":[[[\"\\\\\"]]]},0.5e-2,-0,\"\\uDBFF\\uDFFF\"]",
    };
    unsigned long rng = 12345;
    int bad_spans = 0, runs = 0;
    buf out, env;
    buf_init(&out);
    buf_init(&env);
    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        size_t n = strlen(seeds[k]);
        for (int variant = 0; variant < 400; variant++) {
            /* variant 0..n: prefixes; then single-byte mutations at pseudo-random places */
            char tmp[512];
            size_t len;
            if ((size_t)variant <= n) { len = (size_t)variant; memcpy(tmp, seeds[k], len); }
            else {
                len = n;
                memcpy(tmp, seeds[k], n);
                rng = rng * 6364136223846793005UL + 1442695040888963407UL;
                static const char alphabet[] = "[]{}\",:\\u0 1ae-.";
                tmp[(rng >> 33) % n] = alphabet[(rng >> 20) % (sizeof alphabet - 1)];
                len = (rng >> 8) % 4 == 0 ? (rng >> 40) % (n + 1) : n;
            }
            char *copy = exact_copy(tmp, len);
            size_t pos = 0, nspans = 0;
            out.len = 0;
            jscan_value(copy, len, &pos, &out);
            if (pos > len) bad_spans++;
            const jscan_pattern *pats = k == 2 ? dict_pats : query_pats;
            jscan_span *spans = jscan_cut(copy, len, pats, k == 2 ? 1 : NQ, &env, &nspans);
            for (size_t s = 0; s < nspans; s++) {
                if (spans[s].start >= spans[s].end || spans[s].end > len) { bad_spans++; continue; }
                size_t p = spans[s].start;
                int guard = 0;
                while (jscan_next_element(copy, spans[s], &p) == 1 && guard++ < 100) {
                    out.len = 0;
                    if (jscan_value(copy, spans[s].end, &p, &out)) break;
                    if (p > spans[s].end) { bad_spans++; break; }
                }
            }
            free(spans);
            free(copy);
            runs++;
        }
    }
    buf_free(&out);
    buf_free(&env);
    CHECK(runs == 1600 && bad_spans == 0, "1,600 truncated and mutated texts: no read past len (ASan), positions and spans stay inside the text");
}
/* }==== */

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_valid();
    test_invalid();
    test_strings();
    test_limits();
    test_agrees_with_cjson();
    test_cut();
    test_next_element();
    test_cut_nameless_values();
    test_never_reads_past_len();
    return check_done();
}
