/*
** test_value.c: checks for c/value.c (the compact value format, its readers, equality, order,
** paths, JSON printing and Python str(), nesting depth and U+0000 detection) and the document
** transformations of c/coll.c (doc_update, doc_conform, doc_rename).
**
** Owns: the expected bytes and texts for every tag and boundary (int32/int64/double, 1 vs 1.0,
** -0.0), the JSON escaping of val_print, and Python's str() as CPython 3 prints it (the
** expected strings were checked once against python3's repr/str).
**
** Must stay true: expectations are written here by hand, never computed by the code under
** test; values are built with the enc_* encoders or parsed from JSON text with jscan_value
** (tested on its own in test_json_scan.c); raw T_DOUBLE values are built byte by byte where
** the encoders would store an integer (100.0, 1e16), to reach the float printer.
*/
#include "check.h"
#include "value.h"
#include "coll.h"
#include "json_scan.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* {==== helpers: a pool of buffers that keeps every built value alive until the end */
#define POOL_MAX 512
static buf pool[POOL_MAX];
static int pool_used;

static buf *fresh_buf(void) {
    if (pool_used == POOL_MAX) { fprintf(stderr, "test_value: value pool exhausted\n"); exit(2); }
    buf *b = &pool[pool_used++];
    buf_init(b);
    return b;
}

static void free_pool(void) {
    for (int i = 0; i < pool_used; i++) buf_free(&pool[i]);
}

/* The value of a JSON text (the whole text must be one value); aborts the test on bad JSON. */
static val J(const char *json) {
    buf *b = fresh_buf();
    size_t pos = 0;
    const char *err = jscan_value(json, strlen(json), &pos, b);
    if (err) { fprintf(stderr, "test_value: bad test JSON %s: %s\n", json, err); exit(2); }
    return (val)b->data;
}

/* A raw double value (tag 5), even for integral numbers that enc_number would store as ints. */
static val raw_double(double d) {
    buf *b = fresh_buf();
    buf_putc(b, T_DOUBLE);
    buf_put(b, &d, 8);
    return (val)b->data;
}

/* Prints text on one diagnostic line, control characters as \xNN. */
static void show(const char *label, const char *s, size_t n) {
    printf("#   %s ", label);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
    putchar('\n');
}

static int text_is(const buf *b, const char *expected, size_t expected_len) {
    if (b->len == expected_len && (expected_len == 0 || memcmp(b->data, expected, expected_len) == 0)) return 1;
    show("got     ", b->data ? b->data : "", b->len);
    show("expected", expected, expected_len);
    return 0;
}

static int printed_n(val v, const char *expected, size_t n) {
    buf b;
    buf_init(&b);
    val_print(&b, v);
    int ok = !b.oom && text_is(&b, expected, n);
    buf_free(&b);
    return ok;
}
static int printed(val v, const char *expected) { return printed_n(v, expected, strlen(expected)); }

static int pystr_is(val v, const char *expected) {
    buf b;
    buf_init(&b);
    val_pystr(&b, v);
    int ok = !b.oom && text_is(&b, expected, strlen(expected));
    buf_free(&b);
    return ok;
}

static int same_bytes(val a, val b) { return val_size(a) == val_size(b) && memcmp(a, b, val_size(a)) == 0; }

static int order_is(val a, val b, int expected) {
    int incomparable = 0;
    int r = val_order(a, b, &incomparable);
    return !incomparable && r == expected;
}

static int incomparable(val a, val b) {
    int flag = 0;
    val_order(a, b, &flag);
    return flag == 1;
}
/* }==== */

static void test_scalar_encoders(void) {
    buf *b = fresh_buf();
    enc_null(b);
    CHECK(b->len == 1 && b->data[0] == T_NULL && val_size((val)b->data) == 1, "enc_null: one byte, tag 0");
    CHECK(val_kind((val)b->data) == K_NULL, "null has kind K_NULL");

    b = fresh_buf(); enc_bool(b, 1);
    CHECK(b->len == 1 && b->data[0] == T_TRUE && val_kind((val)b->data) == K_BOOL, "enc_bool(1): tag 2, kind bool");
    b = fresh_buf(); enc_bool(b, 0);
    CHECK(b->len == 1 && b->data[0] == T_FALSE && val_kind((val)b->data) == K_BOOL, "enc_bool(0): tag 1, kind bool");
    b = fresh_buf(); enc_bool(b, 42);
    CHECK(b->data[0] == T_TRUE, "enc_bool: any non-zero is true");

    static const struct { int64_t i; int tag; size_t size; const char *text; } ints[] = {
        {0, T_INT32, 5, "0"},
        {-1, T_INT32, 5, "-1"},
        {INT32_MAX, T_INT32, 5, "2147483647"},
        {(int64_t)INT32_MAX + 1, T_INT64, 9, "2147483648"},
        {INT32_MIN, T_INT32, 5, "-2147483648"},
        {(int64_t)INT32_MIN - 1, T_INT64, 9, "-2147483649"},
        {INT64_MAX, T_INT64, 9, "9223372036854775807"},
        {INT64_MIN, T_INT64, 9, "-9223372036854775808"},
        {INT64_MIN + 1, T_INT64, 9, "-9223372036854775807"},
        {1000000007, T_INT32, 5, "1000000007"},
        {100, T_INT32, 5, "100"},
        {99, T_INT32, 5, "99"},
        {10, T_INT32, 5, "10"},
        {9, T_INT32, 5, "9"},
    };
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
        char name[160];
        b = fresh_buf();
        enc_int(b, ints[k].i);
        val v = (val)b->data;
        snprintf(name, sizeof name, "enc_int(%s): tag %d, %zu bytes, reads back, prints", ints[k].text, ints[k].tag, ints[k].size);
        CHECK(v[0] == ints[k].tag && b->len == ints[k].size && val_size(v) == ints[k].size && val_kind(v) == K_NUM
              && val_is_int(v) && val_int(v) == ints[k].i && printed(v, ints[k].text), name);
        CHECK(val_num(v) == (double)ints[k].i, "val_num of an int is its double value");
    }

    /* Little-endian payload, as value.h's layout table says. */
    b = fresh_buf();
    enc_int(b, 0x01020304);
    CHECK(b->len == 5 && (uint8_t)b->data[1] == 4 && (uint8_t)b->data[2] == 3 && (uint8_t)b->data[3] == 2 && (uint8_t)b->data[4] == 1,
          "enc_int writes its payload little-endian");

    /* enc_number: integral doubles that fit int64 become ints, so 1 and 1.0 are one value. */
    buf *one_int = fresh_buf(), *one_dbl = fresh_buf();
    enc_int(one_int, 1);
    enc_number(one_dbl, 1.0);
    CHECK(one_int->len == one_dbl->len && same_bytes((val)one_int->data, (val)one_dbl->data), "enc_number(1.0) stores the same bytes as enc_int(1)");
    b = fresh_buf(); enc_number(b, 0.0);
    CHECK(b->data[0] == T_INT32 && val_int((val)b->data) == 0, "enc_number(0.0) is the int 0");
    b = fresh_buf(); enc_number(b, -0.0);
    CHECK(b->data[0] == T_DOUBLE && signbit(val_num((val)b->data)) && val_num((val)b->data) == 0, "enc_number(-0.0) keeps -0.0 as a double");
    {   /* toDict writes it, fromDict reads it back: the same value must come back */
        buf text, again;
        buf_init(&text);
        buf_init(&again);
        val_print(&text, (val)b->data);
        size_t pos = 0;
        int same = !jscan_value(text.data, text.len, &pos, &again) && again.len == 9 && memcmp(again.data, b->data, 9) == 0;
        CHECK(same, "-0.0 printed and parsed again is still -0.0 (snapshots round-trip)");
        buf_free(&text);
        buf_free(&again);
    }
    b = fresh_buf(); enc_number(b, 3e9);
    CHECK(b->data[0] == T_INT64 && val_int((val)b->data) == 3000000000LL, "enc_number(3e9) is an int64");
    b = fresh_buf(); enc_number(b, 1e15);
    CHECK(b->data[0] == T_INT64 && val_int((val)b->data) == 1000000000000000LL && printed((val)b->data, "1000000000000000"), "enc_number(1e15) is an int64");
    b = fresh_buf(); enc_number(b, -9223372036854775808.0);
    CHECK(b->data[0] == T_INT64 && val_int((val)b->data) == INT64_MIN, "enc_number(-2^63) is INT64_MIN");
    b = fresh_buf(); enc_number(b, 9223372036854775808.0);
    CHECK(b->data[0] == T_DOUBLE && val_num((val)b->data) == 9223372036854775808.0 && !val_is_int((val)b->data), "enc_number(2^63) stays a double (does not fit int64)");
    b = fresh_buf(); enc_number(b, -1e300);
    CHECK(b->data[0] == T_DOUBLE && printed((val)b->data, "-1e+300"), "enc_number(-1e300) stays a double");
    b = fresh_buf(); enc_number(b, 0.5);
    CHECK(b->data[0] == T_DOUBLE && b->len == 9 && val_size((val)b->data) == 9 && val_num((val)b->data) == 0.5 && val_kind((val)b->data) == K_NUM,
          "enc_number(0.5): tag 5, 9 bytes");
    CHECK(val_int((val)b->data) == 0, "val_int of a double truncates");
    b = fresh_buf(); enc_number(b, -2.5);
    CHECK(printed((val)b->data, "-2.5"), "-2.5 prints");
    b = fresh_buf(); enc_number(b, 2147483648.5);
    CHECK(b->data[0] == T_DOUBLE && printed((val)b->data, "2147483648.5"), "a non-integral double past int32 prints exactly");

    static const struct { double d; const char *text; } doubles[] = {
        {0.1, "0.1"}, {0.30000000000000004, "0.30000000000000004"}, {1e300, "1e+300"},
        {1.7976931348623157e308, "1.7976931348623157e+308"}, {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {1.0 / 3, "0.3333333333333333"}, {123.456, "123.456"}, {1e-7, "1e-07"},
        {5e-324, "5e-324"}, {2.5e-320, "2.5e-320"},   /* subnormals have fewer digits to show */
    };
    for (size_t k = 0; k < sizeof doubles / sizeof doubles[0]; k++) {
        char name[120];
        snprintf(name, sizeof name, "double %s prints in the shortest form that reads back", doubles[k].text);
        b = fresh_buf();
        enc_number(b, doubles[k].d);
        CHECK(printed((val)b->data, doubles[k].text) && strtod(doubles[k].text, NULL) == doubles[k].d, name);
    }
}

static void test_string_and_container_encoders(void) {
    buf *b = fresh_buf();
    enc_string(b, "abc", 3);
    val v = (val)b->data;
    size_t n = 0;
    const char *s = val_str(v, &n);
    CHECK(v[0] == T_STR && b->len == 8 && val_size(v) == 8 && n == 3 && memcmp(s, "abc", 3) == 0 && val_kind(v) == K_STR,
          "enc_string(\"abc\"): tag 6, u32 length 3, the bytes");
    CHECK(rd32(v + 1) == 3, "string length is a little-endian u32 at offset 1");

    b = fresh_buf(); enc_string(b, "", 0);
    CHECK(b->data[0] == T_STR && val_size((val)b->data) == 5 && printed((val)b->data, "\"\""), "empty string: 5 bytes, prints \"\"");
    b = fresh_buf(); enc_string(b, "a\"b", 3);
    CHECK(b->data[0] == T_STRX, "a string with a quote is tagged as needing escapes");
    b = fresh_buf(); enc_string(b, "a\\b", 3);
    CHECK(b->data[0] == T_STRX, "a string with a backslash is tagged as needing escapes");
    b = fresh_buf(); enc_string(b, "a\nb", 3);
    CHECK(b->data[0] == T_STRX, "a string with a control character is tagged as needing escapes");
    b = fresh_buf(); enc_string(b, "caf\xc3\xa9 \xf0\x9f\x98\x80 \x7f", 12);
    CHECK(b->data[0] == T_STR && val_size((val)b->data) == 17, "non-ASCII UTF-8 and DEL need no escaping");
    b = fresh_buf(); enc_string(b, "a\0b", 3);
    CHECK(b->data[0] == T_STRX && val_size((val)b->data) == 8, "an embedded NUL is kept and needs escaping");

    /* [1, "x", [], {}] built by hand. */
    b = fresh_buf();
    size_t at = enc_begin(b, T_ARR);
    enc_int(b, 1);
    enc_string(b, "x", 1);
    enc_end(b, enc_begin(b, T_ARR), 0);
    enc_end(b, enc_begin(b, T_OBJ), 0);
    enc_end(b, at, 4);
    v = (val)b->data;
    CHECK(v[0] == T_ARR && val_count(v) == 4 && val_size(v) == b->len && rd32(v + 5) == b->len - 9 && val_kind(v) == K_ARR,
          "array header: tag 8, count, payload byte count");
    CHECK(printed(v, "[1,\"x\",[],{}]"), "hand-built array prints");
    val_iter it;
    val_iter_init(&it, v);
    val e1 = val_iter_next(&it, 0), e2 = val_iter_next(&it, 0), e3 = val_iter_next(&it, 0), e4 = val_iter_next(&it, 0);
    CHECK(e1 && e2 && e3 && e4 && val_iter_next(&it, 0) == NULL && val_int(e1) == 1 && e2[0] == T_STR && e3[0] == T_ARR && e4[0] == T_OBJ,
          "val_iter walks the four elements and then returns NULL");
    val empty_arr = e3;
    val_iter_init(&it, empty_arr);
    CHECK(val_iter_next(&it, 0) == NULL && val_count(empty_arr) == 0 && val_size(empty_arr) == 9, "empty array: 9 bytes, no elements");

    /* {"k": true, "q\"": null} with one key needing escapes (bit 31 of its length). */
    b = fresh_buf();
    at = enc_begin(b, T_OBJ);
    enc_key(b, "k", 1);
    enc_bool(b, 1);
    enc_key(b, "q\"", 2);
    enc_null(b);
    enc_end(b, at, 2);
    v = (val)b->data;
    CHECK(v[0] == T_OBJ && val_count(v) == 2 && val_size(v) == b->len && val_kind(v) == K_OBJ, "object header: tag 9, count 2");
    CHECK(rd32(v + 9) == 1 && rd32(v + 9 + 4 + 1 + 1) == (2u | 0x80000000u), "object keys: u32 length, bit 31 set only when the key needs escaping");
    CHECK(printed(v, "{\"k\":true,\"q\\\"\":null}"), "hand-built object prints with the escaped key");
    val_iter_init(&it, v);
    val m1 = val_iter_next(&it, 1);
    int first_key_ok = m1 && it.klen == 1 && it.key[0] == 'k' && m1[0] == T_TRUE;
    val m2 = val_iter_next(&it, 1);
    CHECK(first_key_ok && m2 && it.klen == 2 && memcmp(it.key, "q\"", 2) == 0 && m2[0] == T_NULL && !val_iter_next(&it, 1),
          "object iteration gives each key (without the escape bit) and value");
    CHECK(val_obj_get(v, "k", 1) == m1 && val_obj_get(v, "q\"", 2) == m2, "val_obj_get finds both members");
    CHECK(val_obj_get(v, "x", 1) == NULL && val_obj_get(v, "", 0) == NULL && val_obj_get(v, "kk", 2) == NULL && val_obj_get(v, "q", 1) == NULL,
          "val_obj_get: missing keys, prefixes and longer keys are absent");
    CHECK(val_obj_get(J("[1]"), "0", 1) == NULL && val_obj_get(J("\"k\""), "k", 1) == NULL, "val_obj_get on a non-object is NULL");
    CHECK(val_obj_get(J("{\"\":5}"), "", 0) != NULL && val_int(val_obj_get(J("{\"\":5}"), "", 0)) == 5, "the empty key can be looked up");

    /* doc_new / refs */
    val o = J("{\"a\":1}");
    doc *d = doc_new(o, val_size(o));
    CHECK(d && d->refs == 1 && d->size == val_size(o) && memcmp(d->v, o, d->size) == 0, "doc_new copies the bytes with one reference");
    CHECK(doc_ref(d) == d && d->refs == 2, "doc_ref adds a reference");
    doc_unref(d);
    CHECK(d->refs == 1, "doc_unref drops one");
    doc_unref(d);   /* frees; ASan reports a leak or a double free if refs are wrong */
    doc_unref(NULL);
    CHECK(1, "doc_unref(NULL) is a no-op");
}

static void test_print(void) {
    CHECK(printed(J("null"), "null") && printed(J("true"), "true") && printed(J("false"), "false"), "literals print");
    CHECK(printed(J("\"a\\\"b\\\\c\""), "\"a\\\"b\\\\c\""), "quotes and backslashes are escaped");
    CHECK(printed(J("\"\\n\\t\\r\\b\\f\""), "\"\\n\\t\\r\\b\\f\""), "the short escapes are used for \\n \\t \\r \\b \\f");
    CHECK(printed(J("\"\\u0001\\u001f\\u0000x\""), "\"\\u0001\\u001f\\u0000x\""), "other control characters print as \\u00XX");
    CHECK(printed(J("\"\\u007f\""), "\"\x7f\""), "DEL is not escaped (JSON does not require it)");
    CHECK(printed(J("\"\\u00e9\\u20ac\\ud83d\\ude00\""), "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""), "non-ASCII is written as UTF-8, never as \\u escapes");
    CHECK(printed(J("\"\\/\""), "\"/\""), "a solidus is not escaped on output");
    CHECK(printed(J("[]"), "[]") && printed(J("{}"), "{}") && printed(J("[[]]"), "[[]]") && printed(J("{\"a\":{}}"), "{\"a\":{}}"), "empty containers print");
    CHECK(printed(J("{\"k\\\"q\\n\":\"v\\u0002\",\"plain\":[1,2.5,-3,\"x\",null,true,{\"b\":false}]}"),
                  "{\"k\\\"q\\n\":\"v\\u0002\",\"plain\":[1,2.5,-3,\"x\",null,true,{\"b\":false}]}"),
          "nested values and keys needing escapes print compactly");
    CHECK(printed(J(" { \"a\" : [ 1 , 2 ] , \"b\" : 1.0 , \"c\" : 1e2 } "), "{\"a\":[1,2],\"b\":1,\"c\":100}"), "whitespace is dropped; 1.0 and 1e2 print as ints");
    CHECK(printed(J("{\"b\":1,\"a\":2}"), "{\"b\":1,\"a\":2}"), "object key order is kept");

    /* A big object forces the output buffer to grow while printing. */
    buf *b = fresh_buf();
    size_t at = enc_begin(b, T_OBJ);
    char key[16];
    for (int i = 0; i < 300; i++) {
        int n = snprintf(key, sizeof key, "k%03d\"", i);
        enc_key(b, key, (size_t)n);
        enc_string(b, "\x01", 1);
    }
    enc_end(b, at, 300);
    buf out;
    buf_init(&out);
    val_print(&out, (val)b->data);
    int ok = !out.oom && out.len == 2 + 300 * 17 + 299 && memcmp(out.data, "{\"k000\\\"\":\"\\u0001\",", 19) == 0
             && out.data[out.len - 1] == '}';
    buf_free(&out);
    CHECK(ok, "a 300-member object where every key and value needs escaping prints fully");

    /* val_print reserves room for a whole document once (6 bytes out per stored byte at most)
       and writes unchecked: the densest outputs, each into a fresh buffer. */
    static const char *const dense[][2] = {   /* a unit as parsed, then as printed */
        {"false", "false"}, {"\"\\u001f\"", "\"\\u001f\""}, {"-2147483648", "-2147483648"},
        {"-9007199254740991", "-9007199254740991"}, {"1.5e-300", "1.5e-300"},
        {"{\"\\u0001\":null}", "{\"\\u0001\":null}"}, {"[ 1.0 ]", "[1]"}};
    for (size_t k = 0; k < sizeof dense / sizeof dense[0]; k++) {
        size_t count = 3000, in = strlen(dense[k][0]), out = strlen(dense[k][1]);
        char *json = malloc(2 + count * (in + 1)), *want = malloc(2 + count * (out + 1));
        size_t jl = 0, wl = 0;
        json[jl++] = '['; want[wl++] = '[';
        for (size_t i = 0; i < count; i++) {
            memcpy(json + jl, dense[k][0], in); jl += in; json[jl++] = ',';
            memcpy(want + wl, dense[k][1], out); wl += out; want[wl++] = ',';
        }
        json[jl - 1] = ']'; want[wl - 1] = ']';
        buf *v = fresh_buf();
        size_t pos = 0;
        int parsed = jscan_value(json, jl, &pos, v) == NULL;
        char label[120];
        snprintf(label, sizeof label, "an array of 3000 %s prints exactly (room reserved once, written unchecked)", dense[k][0]);
        CHECK(parsed && printed_n((val)v->data, want, wl), label);
        free(json);
        free(want);
    }
    /* A container over 1 MiB stored reserves member by member, each member its own bound. */
    {
        size_t count = 1200000;
        char *json = malloc(count * 9 + 2);
        if (!json) { fprintf(stderr, "test_value: out of memory\n"); exit(2); }
        size_t jl = 0;
        json[jl++] = '[';
        for (size_t i = 0; i < count; i++) { memcpy(json + jl, i % 2 ? "false," : "\"\\u001f\",", i % 2 ? 6 : 9); jl += i % 2 ? 6 : 9; }
        json[jl - 1] = ']';
        buf *v = fresh_buf();
        size_t pos = 0;
        CHECK(jscan_value(json, jl, &pos, v) == NULL && val_size((val)v->data) > (1u << 20) && printed_n((val)v->data, json, jl),
              "an array over 1 MiB stored of the densest members prints exactly");
        free(json);
    }
    /* A document over 1 MiB stored takes the checked path and prints the same way. */
    size_t big = (1u << 20) + 100;
    char *json = malloc(big + 16), *want = malloc(big + 16);
    if (!json || !want) { fprintf(stderr, "test_value: out of memory\n"); exit(2); }
    memcpy(json, "{\"s\":\"", 6);
    memset(json + 6, 'x', big);
    memcpy(json + 6 + big, "\"}", 2);
    memcpy(want, json, big + 8);
    buf *v = fresh_buf();
    size_t pos = 0;
    CHECK(jscan_value(json, big + 8, &pos, v) == NULL && printed_n((val)v->data, want, big + 8), "a document over 1 MiB prints exactly");
    free(json);
    free(want);
}

static void test_equal(void) {
    val a = J("{\"a\":1,\"b\":[1,2,{\"c\":\"x\"}],\"n\":null}");
    CHECK(val_equal(a, J("{\"n\":null,\"b\":[1,2,{\"c\":\"x\"}],\"a\":1}")), "objects are equal regardless of key order");
    CHECK(val_equal(a, J("{\"a\":1.0,\"b\":[1e0,2.00,{\"c\":\"x\"}],\"n\":null}")), "numbers compare by value inside documents");
    CHECK(!val_equal(a, J("{\"a\":1,\"b\":[1,2,{\"c\":\"y\"}],\"n\":null}")), "a deep difference makes documents unequal");
    CHECK(!val_equal(a, J("{\"a\":1,\"b\":[2,1,{\"c\":\"x\"}],\"n\":null}")), "array order matters");
    CHECK(!val_equal(J("{\"a\":1}"), J("{\"a\":1,\"b\":2}")) && !val_equal(J("{\"a\":1,\"b\":2}"), J("{\"a\":1}")), "an extra key makes objects unequal, both ways");
    CHECK(!val_equal(J("{\"a\":null}"), J("{\"b\":null}")), "same count, different keys: unequal");
    CHECK(!val_equal(J("[1]"), J("[1,1]")) && !val_equal(J("[1,1]"), J("[1]")), "arrays of different lengths are unequal");
    CHECK(val_equal(J("1"), raw_double(1.0)) && val_equal(raw_double(100.0), J("100")), "an int equals a double of the same value");
    CHECK(val_equal(J("0"), raw_double(-0.0)), "0 equals -0.0 (numbers by value)");
    CHECK(!val_equal(J("1"), J("1.5")) && !val_equal(J("-1"), J("1")), "different numbers are unequal");
    buf *x = fresh_buf(), *y = fresh_buf();
    enc_int(x, INT64_MAX);
    enc_int(y, INT64_MAX - 1);
    CHECK(!val_equal((val)x->data, (val)y->data), "int64 values compare exactly, not through double");
    CHECK(!val_equal(J("\"1\""), J("1")) && !val_equal(J("true"), J("1")) && !val_equal(J("false"), J("0")), "different kinds are never equal (\"1\", true vs 1)");
    CHECK(!val_equal(J("null"), J("false")) && !val_equal(J("\"\""), J("null")) && !val_equal(J("[]"), J("{}")) && !val_equal(J("[]"), J("null")),
          "null, false, \"\", [] and {} are all different");
    CHECK(val_equal(J("null"), J("null")) && val_equal(J("true"), J("true")) && !val_equal(J("true"), J("false")), "literals equal themselves only");
    CHECK(!val_equal(J("\"ab\""), J("\"abc\"")) && !val_equal(J("\"abc\""), J("\"ab\"")) && val_equal(J("\"a\\\"\""), J("\"a\\u0022\"")),
          "strings compare by their decoded bytes");
    CHECK(!val_equal(J("\"a\\u0000b\""), J("\"a\\u0000c\"")), "strings compare past an embedded NUL");
    CHECK(val_equal(J("[]"), J("[]")) && val_equal(J("{}"), J("{}")), "empty containers are equal");
}

static void test_order(void) {
    CHECK(order_is(J("1"), J("2"), -1) && order_is(J("2"), J("1"), 1) && order_is(J("7"), J("7"), 0), "ints order");
    CHECK(order_is(J("1"), J("1.0"), 0) && order_is(J("1"), J("1.5"), -1) && order_is(J("-2.5"), J("-3"), 1) && order_is(raw_double(2.0), J("2"), 0),
          "ints and doubles order together by value");
    buf *x = fresh_buf(), *y = fresh_buf();
    enc_int(x, INT64_MAX);
    enc_int(y, INT64_MAX - 1);
    CHECK(order_is((val)x->data, (val)y->data, 1) && order_is((val)y->data, (val)x->data, -1), "large int64 values order exactly");
    CHECK(order_is(J("\"a\""), J("\"b\""), -1) && order_is(J("\"ab\""), J("\"a\""), 1) && order_is(J("\"B\""), J("\"a\""), -1)
          && order_is(J("\"\""), J("\"a\""), -1) && order_is(J("\"x\""), J("\"x\""), 0),
          "strings order by bytes (code points): shorter prefix first, uppercase before lowercase");
    CHECK(order_is(J("\"\\u00e9\""), J("\"z\""), 1) && order_is(J("\"\\u00e9\""), J("\"\\ud83d\\ude00\""), -1), "non-ASCII sorts after ASCII, by code point");
    CHECK(order_is(J("false"), J("true"), -1) && order_is(J("true"), J("false"), 1) && order_is(J("true"), J("true"), 0), "false < true");
    CHECK(order_is(J("null"), J("null"), 0), "null vs null is 0 and comparable");
    CHECK(incomparable(J("1"), J("\"1\"")) && incomparable(J("true"), J("1")) && incomparable(J("null"), J("0")), "different kinds are incomparable");
    CHECK(incomparable(J("{}"), J("{}")) && incomparable(J("{\"a\":1}"), J("{\"a\":2}")), "objects are incomparable");
    CHECK(order_is(J("[1]"), J("[1]"), 0) && order_is(J("[1,2]"), J("[1,3]"), -1) && order_is(J("[2]"), J("[1,9]"), 1),
          "lists order lexicographically (Python): the first unequal elements decide");
    CHECK(order_is(J("[1]"), J("[1,0]"), -1) && order_is(J("[]"), J("[0]"), -1) && order_is(J("[[1,2]]"), J("[[1,1]]"), 1),
          "a list that runs out first is smaller; nested lists compare the same way");
    CHECK(order_is(J("[{}]"), J("[{}]"), 0) && incomparable(J("[{\"a\":1}]"), J("[{\"a\":2}]")) && incomparable(J("[1]"), J("[\"1\"]")),
          "equal maps inside lists are skipped; the first unequal pair must itself be ordered");
}

static void test_path(void) {
    val d = J("{\"a\":{\"b\":{\"c\":5}},\"x\":1,\"arr\":[{\"b\":1}],\"s\":\"str\",\"d.e\":7,\"n\":null,\"\":{\"\":3}}");
    val v = val_path(d, "a.b.c", 5);
    CHECK(v && val_int(v) == 5, "a.b.c reaches a nested value");
    v = val_path(d, "a.b", 3);
    CHECK(v && v[0] == T_OBJ && printed(v, "{\"c\":5}"), "a.b reaches a nested object");
    v = val_path(d, "a.b.c", 3);
    CHECK(v && v[0] == T_OBJ, "the path length is respected (plen 3 of \"a.b.c\")");
    v = val_path(d, "x", 1);
    CHECK(v && val_int(v) == 1, "a plain key is a top-level lookup");
    CHECK(val_path(d, "zz", 2) == NULL && val_path(d, "a.z", 3) == NULL && val_path(d, "z.b", 3) == NULL && val_path(d, "a.b.c.d", 7) == NULL,
          "missing steps give NULL");
    CHECK(val_path(d, "x.y", 3) == NULL && val_path(d, "s.length", 8) == NULL && val_path(d, "n.a", 3) == NULL, "a path through a number, string or null gives NULL");
    CHECK(val_path(d, "arr.b", 5) == NULL && val_path(d, "arr.0", 5) == NULL && val_path(d, "arr.0.b", 7) == NULL, "no list indexing: a path through a list gives NULL");
    CHECK(val_path(d, "d.e", 3) == NULL, "a key with a literal dot cannot be addressed");
    v = val_path(d, "n", 1);
    CHECK(v && v[0] == T_NULL, "an explicit null is found (distinct from missing at this level)");
    v = val_path(d, ".", 1);
    CHECK(v && val_int(v) == 3, "\".\" is the empty key inside the empty key");
    CHECK(val_path(d, "a..b", 4) == NULL && val_path(d, "a.", 2) == NULL, "empty steps look up the empty key (absent here)");
    CHECK(val_path(J("[1]"), "a", 1) == NULL && val_path(J("5"), "a.b", 3) == NULL, "a path on a non-object root gives NULL");
}

static void test_pystr(void) {
    CHECK(pystr_is(J("null"), "None") && pystr_is(J("true"), "True") && pystr_is(J("false"), "False"), "None, True, False");
    CHECK(pystr_is(J("42"), "42") && pystr_is(J("-7"), "-7") && pystr_is(J("1.0"), "1"), "ints print plainly (1.0 is stored as the int 1)");
    buf *b = fresh_buf();
    enc_int(b, INT64_MIN);
    CHECK(pystr_is((val)b->data, "-9223372036854775808"), "INT64_MIN");
    static const struct { double d; const char *py; } floats[] = {
        {2.5, "2.5"}, {1e16, "1e+16"}, {1e-05, "1e-05"}, {0.1, "0.1"}, {100.0, "100.0"}, {1.5e-05, "1.5e-05"},
        {0.0001, "0.0001"}, {0.00012, "0.00012"}, {1e22, "1e+22"}, {1.2345e20, "1.2345e+20"},
        {9999999999999998.0, "9999999999999998.0"}, {1e15, "1000000000000000.0"}, {-0.0, "-0.0"}, {0.0, "0.0"},
        {123.456, "123.456"}, {1.7976931348623157e308, "1.7976931348623157e+308"}, {0.30000000000000004, "0.30000000000000004"},
        {-1.5, "-1.5"}, {1e-7, "1e-07"}, {2.5e-300, "2.5e-300"}, {1e100, "1e+100"}, {1.0 / 3, "0.3333333333333333"},
        {12345678901234567890.0, "1.2345678901234567e+19"}, {-1e16, "-1e+16"}, {-0.00001, "-1e-05"},
        {5e-324, "5e-324"},
    };
    for (size_t k = 0; k < sizeof floats / sizeof floats[0]; k++) {
        char name[120];
        snprintf(name, sizeof name, "Python repr of the float %s", floats[k].py);
        CHECK(pystr_is(raw_double(floats[k].d), floats[k].py), name);
    }
    CHECK(pystr_is(J("\"abc\""), "abc") && pystr_is(J("\"\""), ""), "a top-level string is written without quotes");
    CHECK(pystr_is(J("\"it's \\\"q\\\"\""), "it's \"q\""), "a top-level string is written verbatim, quotes included");
    CHECK(pystr_is(J("[\"a\",1,null,true,false,2.5]"), "['a', 1, None, True, False, 2.5]"), "a list: repr of each element, ', ' between");
    CHECK(pystr_is(J("{\"k\":\"v\",\"n\":[1,{\"x\":false,\"y\":null,\"z\":true}],\"f\":2.5}"),
                   "{'k': 'v', 'n': [1, {'x': False, 'y': None, 'z': True}], 'f': 2.5}"), "a dict: 'key': repr(value), nested");
    CHECK(pystr_is(J("[]"), "[]") && pystr_is(J("{}"), "{}") && pystr_is(J("[[],{}]"), "[[], {}]"), "empty containers");
    CHECK(pystr_is(J("[\"\\u00e9\",\"\\ud83d\\ude00\"]"), "['\xc3\xa9', '\xf0\x9f\x98\x80']"), "printable non-ASCII stays as UTF-8 in repr");
    /* Python's repr of a string picks double quotes when the text has a ' and no ", and escapes
       backslashes, the chosen quote, \n \r \t and other control characters. */
    CHECK(pystr_is(J("[\"it's\"]"), "[\"it's\"]"), "repr of a string with a single quote uses double quotes");
    CHECK(pystr_is(J("[\"a\\\"b\"]"), "['a\"b']"), "repr of a string with a double quote uses single quotes");
    CHECK(pystr_is(J("[\"both'\\\"\"]"), "['both\\'\"']"), "repr of a string with both quotes escapes the single quote");
    CHECK(pystr_is(J("[\"back\\\\slash\"]"), "['back\\\\slash']"), "repr doubles backslashes");
    CHECK(pystr_is(J("[\"nl\\n\",\"tab\\t\",\"cr\\r\",\"\\u0001\",\"\\u007f\"]"), "['nl\\n', 'tab\\t', 'cr\\r', '\\x01', '\\x7f']"),
          "repr escapes \\n \\t \\r and other control characters as \\xNN");
    CHECK(pystr_is(J("{\"k'\":\"v\"}"), "{\"k'\": 'v'}"), "dict keys use repr too");
}

/* {==== coll.h document transformations */
static int doc_prints(doc *d, const char *expected) {
    if (!d) { printf("#   doc is NULL\n"); return 0; }
    int ok = d->refs == 1 && d->size == val_size(d->v) && d->v[0] == T_OBJ && printed(d->v, expected);
    doc_unref(d);
    return ok;
}

static void test_doc_transforms(void) {
    buf scratch;
    buf_init(&scratch);
    val old = J("{\"a\":0,\"b\":{\"c\":1},\"k\\\"\":\"x\"}");
    size_t old_size = val_size(old);
    uint8_t *copy = malloc(old_size);
    memcpy(copy, old, old_size);

    CHECK(doc_prints(doc_update(old, J("{\"b\":{\"d\":2},\"new\":1,\"a\":5}"), &scratch), "{\"a\":5,\"b\":{\"d\":2},\"k\\\"\":\"x\",\"new\":1}"),
          "doc_update: replaced keys keep their place (shallow), new keys go last in the override's order");
    CHECK(doc_prints(doc_update(old, J("{}"), &scratch), "{\"a\":0,\"b\":{\"c\":1},\"k\\\"\":\"x\"}"), "doc_update with {} copies the document");
    CHECK(doc_prints(doc_update(J("{}"), J("{\"x\":1,\"y\":[2]}"), &scratch), "{\"x\":1,\"y\":[2]}"), "doc_update of {} takes the override");
    CHECK(doc_prints(doc_update(old, J("{\"k\\\"\":null,\"n\\n\":3}"), &scratch), "{\"a\":0,\"b\":{\"c\":1},\"k\\\"\":null,\"n\\n\":3}"),
          "doc_update with keys that need escaping");
    CHECK(doc_prints(doc_update(old, J("{\"a\":\"a much longer value than before\"}"), &scratch), "{\"a\":\"a much longer value than before\",\"b\":{\"c\":1},\"k\\\"\":\"x\"}"),
          "doc_update with a larger value");

    CHECK(doc_prints(doc_conform(J("{\"a\":1,\"b\":2,\"c\":3}"), J("{\"c\":0,\"d\":[1],\"a\":9}"), &scratch), "{\"a\":1,\"c\":3,\"d\":[1]}"),
          "doc_conform: kept keys in the old order with old values, then the template's missing keys");
    CHECK(doc_prints(doc_conform(old, J("{}"), &scratch), "{}"), "doc_conform to {} gives {}");
    CHECK(doc_prints(doc_conform(J("{}"), J("{\"t\":true}"), &scratch), "{\"t\":true}"), "doc_conform of {} takes the template");
    CHECK(doc_prints(doc_conform(old, J("{\"k\\\"\":1}"), &scratch), "{\"k\\\"\":\"x\"}"), "doc_conform with a key that needs escaping");

    CHECK(doc_prints(doc_rename(J("{\"a\":1,\"b\":2,\"c\":3}"), "a", 1, "z", 1, &scratch), "{\"b\":2,\"c\":3,\"z\":1}"), "doc_rename moves the key to the end");
    CHECK(doc_prints(doc_rename(J("{\"a\":1,\"b\":2}"), "b", 1, "q\"", 2, &scratch), "{\"a\":1,\"q\\\"\":2}"), "doc_rename to a key that needs escaping");
    CHECK(doc_prints(doc_rename(old, "k\"", 2, "k", 1, &scratch), "{\"a\":0,\"b\":{\"c\":1},\"k\":\"x\"}"), "doc_rename from a key that needed escaping");
    CHECK(doc_prints(doc_rename(J("{\"a\":1}"), "zz", 2, "y", 1, &scratch), "{\"a\":1}"), "doc_rename of a missing key changes nothing");
    CHECK(doc_prints(doc_rename(J("{\"ab\":1,\"a\":2}"), "a", 1, "c", 1, &scratch), "{\"ab\":1,\"c\":2}"), "doc_rename matches the whole key, not a prefix");

    CHECK(memcmp(copy, old, old_size) == 0, "the transformations never modify their input");
    free(copy);
    buf_free(&scratch);
}
/* }==== */

/* {==== val_within_depth counts as the JSON readers do; val_has_nul sees keys and strings */
static void test_depth_and_nul(void) {
    CHECK(val_within_depth(J("1"), 1), "a scalar is one level");
    CHECK(!val_within_depth(J("1"), 0), "nothing fits in zero levels");
    CHECK(val_within_depth(J("{}"), 1), "an empty object is one level");
    CHECK(!val_within_depth(J("{\"a\":1}"), 1), "an object with a member is two levels");
    CHECK(val_within_depth(J("{\"a\":[1]}"), 3), "object, list, scalar: three levels");
    CHECK(!val_within_depth(J("{\"a\":[1]}"), 2), "... not two");
    CHECK(val_within_depth(J("{\"a\":[[]]}"), 3), "an empty list at the limit fits");
    /* The reader's limit: jscan_value accepts a document exactly as deep as val_within_depth allows. */
    char deep[512];
    size_t n = 0;
    for (int i = 0; i < VAL_MAX_DEPTH - 1; i++) deep[n++] = '[';
    deep[n++] = '1';
    for (int i = 0; i < VAL_MAX_DEPTH - 1; i++) deep[n++] = ']';
    deep[n] = 0;
    CHECK(val_within_depth(J(deep), VAL_MAX_DEPTH), "VAL_MAX_DEPTH levels: within");
    CHECK(!val_within_depth(J(deep), VAL_MAX_DEPTH - 1), "... and one level too many for one less");
    CHECK(val_has_nul(J("{\"a\\u0000\":1}")), "U+0000 in a key");
    CHECK(val_has_nul(J("[\"x\",{\"k\":\"a\\u0000b\"}]")), "U+0000 in a nested string");
    CHECK(!val_has_nul(J("{\"a\":\"\\u0001\",\"b\":[1,null]}")), "no U+0000");
}

/* buf_put_i64 writes its digits by whole words (c/buf.c): after other text, at every
   distance from the end of the buffer's room (so it must grow first), every length of
   number, both signs and the int64 limits: the text must be exactly what snprintf gives. */
static void check_put_i64(void) {
    static const int64_t vals[] = {0, 7, -7, 9, 10, 99, 100, -100, 12345, -98765, 1000000007, 4294967296LL,
                                   999999999999999999LL, INT64_MAX, INT64_MIN, INT64_MIN + 1};
    int bad = 0;
    for (size_t k = 0; k < sizeof vals / sizeof *vals; k++)
        for (size_t pre = 230; pre < 262; pre++) {   /* a new buf's first room is 256 bytes */
            buf b;
            buf_init(&b);
            for (size_t i = 0; i < pre; i++) buf_putc(&b, 'x');
            buf_put_i64(&b, vals[k]);
            buf_putc(&b, ',');
            char want[40];
            int n = snprintf(want, sizeof want, "%lld,", (long long)vals[k]);
            if (b.oom || b.len != pre + (size_t)n || memcmp(b.data + pre, want, (size_t)n) != 0) bad++;
            for (size_t i = 0; i < pre; i++) if (b.data[i] != 'x') { bad++; break; }
            buf_free(&b);
        }
    CHECK(bad == 0, "buf_put_i64 writes exactly snprintf's digits, whatever room is left");
}

int main(void) {
    check_put_i64();
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_scalar_encoders();
    test_string_and_container_encoders();
    test_print();
    test_equal();
    test_order();
    test_path();
    test_pystr();
    test_doc_transforms();
    test_depth_and_nul();
    free_pool();
    return check_done();
}
