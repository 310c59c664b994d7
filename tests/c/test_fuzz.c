/*
** test_fuzz.c: deterministic mutation fuzzing of the public API (hindsight.h) under ASan/UBSan.
** Owns the seeds, the mutators (byte edits and JSON-tree edits) and the properties of every call:
** no sanitizer error; rc HS_OK or HS_ERROR; the output is one JSON object; when isSuccess is false,
** rc is HS_ERROR or the input is not RFC 8259 JSON, hs_db_to_dict is byte-identical to before;
** a failed hs_db_from_dict changes nothing and a loaded snapshot round-trips exactly; a second
** database replaying the same calls gives the same bytes; no read past len (prefix probes).
** Must stay true: fixed seed, no clock: a failure reproduces exactly; a few seconds in all.
**
** libFuzzer, by hand only (never in make test), from the repository root:
**   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -DHS_LIBFUZZER -Ic -Ibuild/cjson \
**     tests/c/test_fuzz.c $(ls c/[!w]*.c) build/cjson/cJSON.c -lm -o build/fuzz-hs   (all but wasm.c)
**   mkdir -p build/fuzz-corpus && build/tests/test_fuzz --corpus build/fuzz-corpus
**   build/fuzz-hs -max_total_time=300 build/fuzz-corpus   (input byte 0: even execute, odd from_dict)
*/
#define _POSIX_C_SOURCE 200809L   /* fork, waitpid */
#include "hindsight.h"
#include "cJSON.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef HS_LIBFUZZER
#include "check.h"
#include <sys/wait.h>
#include <unistd.h>
#endif

/* {==== seeds */
static const char base_snapshot[] =
    "{\"className\":\"DeltaTraceDatabase\",\"version\":\"16\",\"collections\":{"
    "\"users\":{\"className\":\"Collection\",\"version\":\"17\",\"data\":["
    "{\"id\":1,\"name\":\"Ann\",\"age\":31,\"tags\":[\"a\",\"b\"],\"p\":{\"city\":\"Oslo\",\"zip\":\"0150\"},\"at\":\"2024-01-02T03:04:05Z\"},"
    "{\"id\":2,\"name\":\"bob\",\"age\":25.5,\"tags\":[],\"p\":{\"city\":\"Rome\"},\"ok\":true,\"n\":null},"
    "{\"id\":3,\"name\":\"C\\\"q\\u00e9\",\"age\":\"40\",\"tags\":[\"b\"],\"p\":null},"
    "{\"id\":4,\"name\":\"dan\",\"age\":-3,\"k\\n\":\"\\u0000x\"},"
    "{\"id\":5,\"name\":\"Eve\",\"age\":1e3,\"tags\":[\"a\"],\"p\":{\"city\":\"Oslo\"}}],\"serialNum\":6},"
    "\"orders\":{\"className\":\"Collection\",\"version\":\"17\",\"data\":["
    "{\"uid\":1,\"item\":\"pen\",\"qty\":2},{\"uid\":2,\"item\":\"ink\",\"qty\":1},{\"uid\":1,\"item\":\"cup\",\"qty\":5}],\"serialNum\":0},"
    "\"logs\":{\"className\":\"Collection\",\"version\":\"17\",\"data\":[],\"serialNum\":3}}}";

#ifndef HS_LIBFUZZER   /* seeds and mutators drive the built-in loop; libFuzzer has its own */
static const char *const seed_queries[] = {
    "{\"className\":\"Query\",\"version\":\"7\",\"type\":\"add\",\"target\":\"users\",\"addData\":[{\"id\":-1,\"name\":\"F\",\"age\":7}],\"serialKey\":\"id\",\"returnData\":true}",
    "{\"type\":\"add\",\"target\":\"newcol\",\"addData\":[{\"a\":1},{\"b\":[1,{\"c\":null}]},{\"s\":\"\\ud83d\\ude00\"}]}",
    "{\"type\":\"add\",\"target\":\"users\",\"addData\":[],\"mustAffectAtLeastOne\":false}",
    "{\"type\":\"update\",\"target\":\"users\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"p.city\",\"value\":\"Oslo\"},\"overrideData\":{\"age\":99,\"new\":[1]},\"returnData\":true,\"sortObj\":{\"className\":\"SingleSort\",\"version\":\"5\",\"field\":\"id\",\"reversed\":true}}",
    "{\"type\":\"updateOne\",\"target\":\"users\",\"queryNode\":{\"type\":\"greaterThan_\",\"field\":\"age\",\"value\":30},\"overrideData\":{\"name\":\"X\"}}",
    "{\"type\":\"delete\",\"target\":\"users\",\"queryNode\":{\"type\":\"or_\",\"conditions\":[{\"type\":\"equals_\",\"field\":\"id\",\"value\":2},{\"type\":\"lessThan_\",\"field\":\"age\",\"value\":0}]},\"returnData\":true}",
    "{\"type\":\"deleteOne\",\"target\":\"orders\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"uid\",\"value\":1}}",
    "{\"type\":\"search\",\"target\":\"users\",\"queryNode\":{\"type\":\"and_\",\"conditions\":[{\"type\":\"contains_\",\"field\":\"tags\",\"value\":\"a\"},{\"type\":\"not_\",\"condition\":{\"type\":\"in_\",\"field\":\"id\",\"values\":[5,6]}}]}}",
    "{\"type\":\"search\",\"target\":\"users\",\"queryNode\":{\"type\":\"regex_\",\"field\":\"name\",\"pattern\":\"^[a-z]+$\"},\"limit\":2,\"offset\":0}",
    "{\"type\":\"search\",\"target\":\"users\",\"queryNode\":{\"type\":\"startsWith_\",\"field\":\"name\",\"value\":\"A\"}}",
    "{\"type\":\"search\",\"target\":\"users\",\"queryNode\":{\"type\":\"endsWith_\",\"field\":\"p.zip\",\"value\":\"50\"}}",
    "{\"type\":\"search\",\"target\":\"users\",\"queryNode\":{\"type\":\"greaterThanOrEqual_\",\"field\":\"age\",\"value\":\"25\",\"vType\":\"floatStrict_\"},\"sortObj\":{\"className\":\"MultiSort\",\"version\":\"1\",\"sortOrders\":[{\"className\":\"SingleSort\",\"field\":\"name\",\"vType\":\"stringIgnoreCase_\"},{\"className\":\"SingleSort\",\"field\":\"id\",\"reversed\":true}]}}",
    "{\"type\":\"search\",\"target\":\"users\",\"queryNode\":{\"type\":\"lessThanOrEqual_\",\"field\":\"at\",\"value\":\"2025-01-01T00:00:00Z\",\"vType\":\"datetime_\"}}",
    "{\"type\":\"search\",\"target\":\"users\",\"queryNode\":{\"type\":\"notEquals_\",\"field\":\"age\",\"value\":40,\"vType\":\"int_\"}}",
    "{\"type\":\"search\",\"target\":\"users\",\"queryNode\":{\"type\":\"notIn_\",\"field\":\"name\",\"values\":[\"Ann\",\"bob\"]},\"startAfter\":{\"id\":3,\"name\":\"C\\\"q\\u00e9\",\"age\":\"40\",\"tags\":[\"b\"],\"p\":null}}",
    "{\"type\":\"search\",\"target\":\"users\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"ok\",\"value\":true,\"vType\":\"boolean_\"}}",
    "{\"type\":\"searchOne\",\"target\":\"users\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"name\",\"value\":\"EVE\",\"vType\":\"stringIgnoreCase_\"}}",
    "{\"type\":\"getAll\",\"target\":\"users\",\"sortObj\":{\"className\":\"SingleSort\",\"field\":\"age\",\"vType\":\"floatEpsilon12_\"},\"endBefore\":{\"id\":5},\"limit\":3}",
    "{\"type\":\"getAll\",\"target\":\"orders\",\"offset\":1,\"limit\":1}",
    "{\"type\":\"conformToTemplate\",\"target\":\"users\",\"template\":{\"id\":0,\"name\":\"\",\"extra\":{\"z\":[]}}}",
    "{\"type\":\"renameField\",\"target\":\"orders\",\"renameBefore\":\"item\",\"renameAfter\":\"product\",\"returnData\":true}",
    "{\"type\":\"count\",\"target\":\"users\"}",
    "{\"type\":\"clear\",\"target\":\"orders\",\"resetSerial\":true}",
    "{\"type\":\"clearAdd\",\"target\":\"logs\",\"addData\":[{\"sid\":0,\"m\":\"x\"}],\"serialKey\":\"sid\",\"mustAffectAtLeastOne\":false}",
    "{\"type\":\"removeCollection\",\"target\":\"logs\"}",
    "{\"type\":\"merge\",\"target\":\"users\",\"mergeQueryParams\":{\"className\":\"MergeQueryParams\",\"version\":\"1\",\"base\":\"users\",\"source\":[\"orders\"],\"relationKey\":\"id\",\"sourceKeys\":[\"uid\"],\"dslTmp\":{\"id\":\"base.id\",\"item\":\"0.item\",\"l\":[\"[base.tags]\",\"int(3)\",\"str(x)\",\"popped.base[p,id]\"],\"b\":\"bool(true)\",\"f\":\"float(2.5)\"},\"output\":\"joined\",\"serialBase\":null,\"serialKey\":null}}",
    "{\"type\":\"merge\",\"target\":\"users\",\"mergeQueryParams\":{\"base\":\"users\",\"source\":[\"orders\",\"logs\"],\"relationKey\":\"p.city\",\"sourceKeys\":[\"item\",\"m\"],\"dslTmp\":{\"sid\":\"int(-1)\",\"x\":\"1.m\"},\"output\":\"out2\",\"serialBase\":\"logs\",\"serialKey\":\"sid\"}}",
    "{\"className\":\"TransactionQuery\",\"version\":\"1\",\"queries\":[{\"type\":\"add\",\"target\":\"logs\",\"addData\":[{\"e\":1}]},{\"type\":\"update\",\"target\":\"users\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":1},\"overrideData\":{\"v\":2}},{\"type\":\"search\",\"target\":\"users\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"v\",\"value\":2}}]}",
    "{\"className\":\"TransactionQuery\",\"version\":\"1\",\"queries\":[{\"type\":\"add\",\"target\":\"rollback\",\"addData\":[{\"e\":1}]},{\"type\":\"delete\",\"target\":\"users\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"id\",\"value\":42}}]}",
    "{\"className\":\"TransactionQuery\",\"version\":\"1\",\"queries\":[{\"type\":\"clearAdd\",\"target\":\"orders\",\"addData\":[{\"uid\":9}]},{\"type\":\"renameField\",\"target\":\"orders\",\"renameBefore\":\"uid\",\"renameAfter\":\"u\"}]}",
    "{\"type\":\"search\",\"target\":\"users\",\"queryNode\":{\"type\":\"equals_\",\"field\":\"k\\n\",\"value\":\"\\u0000x\"},\"returnData\":null,\"cause\":{\"who\":\"me\"}}",
};
#define NQUERIES ((int)(sizeof seed_queries / sizeof seed_queries[0]))

static const char *const seed_permissions[] = {
    "{\"users\":{\"className\":\"Permission\",\"version\":\"1\",\"allows\":[\"search\",\"add\",\"update\"]},\"logs\":{\"allows\":[\"add\"]}}",
    "{}",
    "{\"orders\":{\"className\":\"Permission\",\"version\":\"1\",\"allows\":[\"clear\",\"merge\",\"renameField\"]},\"users\":{\"allows\":[\"merge\"]}}",
    "null",
};
#define NPERMS ((int)(sizeof seed_permissions / sizeof seed_permissions[0]))

static const char *const seed_snapshots[] = {
    base_snapshot,
    "{\"className\":\"DeltaTraceDatabase\",\"version\":\"16\",\"collections\":{}}",
    "{\"collections\":{\"a\":{\"data\":[{\"x\":[[[{\"y\":\"\\\\\\\"\"}]]],\"e\":{}}]},\"b\":{\"serialNum\":7},\"c\":{\"data\":null,\"serialNum\":null}}}",
    "{\"collections\":{\"q\\\"\":{\"className\":\"Collection\",\"data\":[{\"\":1,\"a.b\":2,\"\\u043a\":-0.0,\"big\":1.5e300}],\"serialNum\":9007199254740991}}}",
};
#define NSNAPS ((int)(sizeof seed_snapshots / sizeof seed_snapshots[0]))

/* Tokens the mutators splice in: JSON syntax, names the engine reacts to, edge values. */
static const char *const tokens[] = {
    "\"", "[", "]", "{", "}", ",", ":", "\\", "null", "true", "false", "-1", "0", "-0.0", "1e308", "1e400", "2.5",
    "9223372036854775807", "18446744073709551616", "-9223372036854775809", "4294967296", "\"\\u0000\"", "\"\\ud800\"",
    "\"\\udc00\\ud800\"", "\"\"", "\"type\"", "\"target\"", "\"addData\"", "\"queries\"", "\"queryNode\"", "\"sortObj\"",
    "\"overrideData\"", "\"template\"", "\"startAfter\"", "\"endBefore\"", "\"offset\"", "\"limit\"", "\"field\"",
    "\"value\"", "\"values\"", "\"conditions\"", "\"condition\"", "\"vType\"", "\"serialKey\"", "\"mergeQueryParams\"",
    "\"className\"", "\"TransactionQuery\"", "\"Query\"", "\"add\"", "\"search\"", "\"merge\"", "\"clearAdd\"",
    "\"removeCollection\"", "\"renameField\"", "\"equals_\"", "\"regex_\"", "\"and_\"", "\"not_\"", "\"int_\"",
    "\"datetime_\"", "\"float_\"", "\"boolean_\"", "\"string_\"", "\"(a+)+$\"", "\"[\"", "\"base.p.city\"",
    "\"popped.0[uid]\"", "\"int(\"", "[[[[[[[[", "]]]]]]]]", "{\"a\":", "\"collections\"", "\"data\"", "\"serialNum\"",
    "\"users\"", "\"orders\"", "\"logs\"", "\"2024-02-30T25:61:00Z\"", "\"\xc3\xa9\"", "\"\xff\xfe\"", " ", "\n",
};
#define NTOKENS ((int)(sizeof tokens / sizeof tokens[0]))
/* }==== */

/* {==== deterministic randomness and mutation */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void) {   /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}
static size_t below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

#define MAX_INPUT 8192

typedef struct input { char bytes[MAX_INPUT]; size_t len; } input;

static void set_input(input *in, const char *s, size_t n) {
    if (n > MAX_INPUT) n = MAX_INPUT;
    memcpy(in->bytes, s, n);
    in->len = n;
}

/* Replaces in[at, at+cut) by p[0, n), within MAX_INPUT. */
static void replace_span(input *in, size_t at, size_t cut, const char *p, size_t n) {
    if (at > in->len) at = in->len;
    if (cut > in->len - at) cut = in->len - at;
    if (in->len - cut + n > MAX_INPUT) n = MAX_INPUT - (in->len - cut);
    memmove(in->bytes + at + n, in->bytes + at + cut, in->len - at - cut);
    memcpy(in->bytes + at, p, n);
    in->len = in->len - cut + n;
}

/* One random edit. `others` are the texts a splice may take its tail from. */
static void mutate_once(input *in, const char *const *others, int nothers) {
    size_t at = below(in->len + 1);
    switch (below(10)) {
    case 0:   /* flip a bit */
        if (in->len) in->bytes[below(in->len)] ^= (char)(1u << below(8));
        break;
    case 1: { /* overwrite a byte with a random or a syntax byte */
        static const char syntax[] = "\"\\[]{},:0-.eE \x00\x1f\x7f\x80\xff";
        char c = below(2) ? (char)below(256) : syntax[below(sizeof syntax - 1)];
        if (in->len) in->bytes[below(in->len)] = c;
        break;
    }
    case 2: { /* insert 1-4 random bytes */
        char b[4];
        size_t n = 1 + below(4);
        for (size_t i = 0; i < n; i++) b[i] = (char)below(256);
        replace_span(in, at, 0, b, n);
        break;
    }
    case 3:   /* delete a span */
        replace_span(in, at, 1 + below(16), "", 0);
        break;
    case 4: { /* duplicate a span somewhere else */
        if (!in->len) break;
        size_t from = below(in->len), n = 1 + below(in->len - from < 64 ? in->len - from : 64);
        char tmp[64];
        memcpy(tmp, in->bytes + from, n);
        replace_span(in, below(in->len + 1), 0, tmp, n);
        break;
    }
    case 5:   /* truncate */
        in->len = below(in->len + 1);
        break;
    case 6: { /* splice: our head, another text's tail */
        const char *o = others[below((size_t)nothers)];
        size_t olen = strlen(o), from = below(olen + 1);
        in->len = at;
        replace_span(in, at, 0, o + from, olen - from);
        break;
    }
    case 7: case 8: { /* insert or overwrite with a token */
        const char *t = tokens[below(NTOKENS)];
        replace_span(in, at, below(2) ? 0 : below(12), t, strlen(t));
        break;
    }
    default: { /* swap two nearby bytes */
        if (in->len < 2) break;
        size_t i = below(in->len - 1);
        char c = in->bytes[i];
        in->bytes[i] = in->bytes[i + 1];
        in->bytes[i + 1] = c;
        break;
    }
    }
}

/* {==== structure-aware mutation: edits of the parsed tree keep the text JSON, so the
   executor (not just the parser) sees most inputs */
static const char *const json_values[] = {
    "null", "true", "false", "0", "-1", "1", "2", "2.5", "-0.0", "1e300", "9007199254740993", "100000", "-100",
    "\"\"", "\"a\"", "\"users\"", "\"orders\"", "\"logs\"", "\"nope\"", "\"id\"", "\"p.city\"", "\"name\"", "\"age\"",
    "\"tags\"", "\"at\"", "\"k\\n\"", "\"Oslo\"", "\"2024-01-02T03:04:05Z\"", "\"^[A-Z].*$\"", "\"(\"", "\"int(7)\"",
    "\"base.id\"", "\"0.item\"", "\"popped.base[id,p]\"", "\"[0]\"", "\"search\"", "\"add\"", "\"update\"", "\"delete\"",
    "\"getAll\"", "\"clearAdd\"", "\"merge\"", "\"equals_\"", "\"in_\"", "\"not_\"", "\"int_\"", "\"floatStrict_\"",
    "\"datetime_\"", "\"boolean_\"", "\"string_\"", "\"stringIgnoreCase_\"", "\"floatEpsilon12_\"", "[]", "{}",
    "[1,\"a\",null]", "{\"id\":1}", "[{\"id\":-1}]", "[{\"id\":1},{\"id\":1}]",
    "{\"type\":\"equals_\",\"field\":\"id\",\"value\":1}", "{\"type\":\"or_\",\"conditions\":[]}",
    "{\"className\":\"SingleSort\",\"field\":\"age\",\"reversed\":true}",
    "{\"className\":\"MultiSort\",\"sortOrders\":[{\"className\":\"SingleSort\",\"field\":\"tags\"}]}",
};
static const char *const member_names[] = {
    "type", "target", "addData", "queryNode", "sortObj", "overrideData", "template", "offset", "startAfter", "endBefore",
    "limit", "returnData", "mustAffectAtLeastOne", "serialKey", "resetSerial", "renameBefore", "renameAfter",
    "mergeQueryParams", "field", "value", "values", "vType", "conditions", "condition", "pattern", "reversed",
    "sortOrders", "base", "source", "relationKey", "sourceKeys", "dslTmp", "output", "serialBase", "className",
    "queries", "allows", "id", "x",
};

typedef struct tree_slot { cJSON *item, *parent; } tree_slot;

static int collect(cJSON *item, cJSON *parent, tree_slot *slots, int n, int cap) {
    if (n < cap) { slots[n].item = item; slots[n].parent = parent; n++; }
    for (cJSON *c = item->child; c && n < cap; c = c->next) n = collect(c, item, slots, n, cap);
    return n;
}

/* A random subtree: a stock value, or a copy of a node of another seed. */
static cJSON *random_subtree(const char *const *others, int nothers) {
    if (below(3)) return cJSON_Parse(json_values[below(sizeof json_values / sizeof json_values[0])]);
    cJSON *donor = cJSON_Parse(others[below((size_t)nothers)]);
    if (!donor) return NULL;
    tree_slot slots[512];
    int n = collect(donor, NULL, slots, 0, 512);
    cJSON *copy = cJSON_Duplicate(slots[below((size_t)n)].item, 1);
    cJSON_Delete(donor);
    return copy;
}

/* One edit of the parsed input; returns 0 (input untouched) when it is not JSON. */
static int mutate_tree(input *in, const char *const *others, int nothers) {
    cJSON *root = cJSON_ParseWithLength(in->bytes, in->len);
    if (!root) return 0;
    tree_slot slots[512];
    int n = collect(root, NULL, slots, 0, 512);
    tree_slot pick = slots[below((size_t)n)];
    const char *name = member_names[below(sizeof member_names / sizeof member_names[0])];
    cJSON *fresh;
    if (pick.parent) switch (below(5)) {
    case 0: case 1:   /* replace the value, keeping its member name */
        if (!(fresh = random_subtree(others, nothers))) break;
        if (cJSON_IsObject(pick.parent)) {
            if (!cJSON_ReplaceItemInObjectCaseSensitive(pick.parent, pick.item->string, fresh)) cJSON_Delete(fresh);
        } else if (!cJSON_ReplaceItemViaPointer(pick.parent, pick.item, fresh)) {
            cJSON_Delete(fresh);
        }
        break;
    case 2:           /* delete it */
        cJSON_Delete(cJSON_DetachItemViaPointer(pick.parent, pick.item));
        break;
    case 3:           /* duplicate it (under a stock name in an object) */
        if ((fresh = cJSON_Duplicate(pick.item, 1))) {
            if (cJSON_IsObject(pick.parent)) cJSON_AddItemToObject(pick.parent, name, fresh);
            else cJSON_AddItemToArray(pick.parent, fresh);
        }
        break;
    default:          /* rename a member (it moves to the end) */
        if (cJSON_IsObject(pick.parent)) cJSON_AddItemToObject(pick.parent, name, cJSON_DetachItemViaPointer(pick.parent, pick.item));
        break;
    } else if ((fresh = random_subtree(others, nothers))) {   /* the root: add a member */
        if (cJSON_IsObject(root)) cJSON_AddItemToObject(root, name, fresh);
        else cJSON_Delete(fresh);
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text) return 0;
    set_input(in, text, strlen(text));
    cJSON_free(text);
    return 1;
}
/* }==== */
#endif
/* }==== */

/* {==== an independent RFC 8259 checker (the oracle for "the input is not JSON") */
typedef struct rfc { const char *s; size_t n, i; int depth; } rfc;

static void rfc_ws(rfc *r) {
    while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' || r->s[r->i] == '\r')) r->i++;
}
static int rfc_digits(rfc *r) {
    size_t start = r->i;
    while (r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9') r->i++;
    return r->i > start;
}
static int is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static int rfc_string(rfc *r) {
    r->i++;
    while (r->i < r->n) {
        unsigned char c = (unsigned char)r->s[r->i++];
        if (c == '"') return 1;
        if (c < 0x20) return 0;
        if (c != '\\') continue;
        if (r->i >= r->n) return 0;
        char e = r->s[r->i++];
        if (e == 'u') {
            if (r->n - r->i < 4) return 0;
            for (int k = 0; k < 4; k++) if (!is_hex(r->s[r->i + (size_t)k])) return 0;
            r->i += 4;
        } else if (!strchr("\"\\/bfnrt", e) || e == 0) {
            return 0;
        }
    }
    return 0;
}

static int rfc_value(rfc *r);

static int rfc_container(rfc *r, char close, int is_object) {
    if (++r->depth > 1000) return 0;
    r->i++;
    rfc_ws(r);
    if (r->i < r->n && r->s[r->i] == close) { r->i++; r->depth--; return 1; }
    for (;;) {
        rfc_ws(r);
        if (is_object) {
            if (r->i >= r->n || r->s[r->i] != '"' || !rfc_string(r)) return 0;
            rfc_ws(r);
            if (r->i >= r->n || r->s[r->i++] != ':') return 0;
        }
        if (!rfc_value(r)) return 0;
        rfc_ws(r);
        if (r->i >= r->n) return 0;
        char c = r->s[r->i++];
        if (c == close) { r->depth--; return 1; }
        if (c != ',') return 0;
    }
}

static int rfc_value(rfc *r) {
    rfc_ws(r);
    if (r->i >= r->n) return 0;
    char c = r->s[r->i];
    if (c == '{') return rfc_container(r, '}', 1);
    if (c == '[') return rfc_container(r, ']', 0);
    if (c == '"') return rfc_string(r);
    static const char *const words[] = {"true", "false", "null"};
    for (int k = 0; k < 3; k++) {
        size_t wl = strlen(words[k]);
        if (r->n - r->i >= wl && memcmp(r->s + r->i, words[k], wl) == 0) { r->i += wl; return 1; }
    }
    if (c == '-') r->i++;
    if (r->i < r->n && r->s[r->i] == '0') r->i++;
    else if (!rfc_digits(r)) return 0;
    if (r->i < r->n && r->s[r->i] == '.') { r->i++; if (!rfc_digits(r)) return 0; }
    if (r->i < r->n && (r->s[r->i] == 'e' || r->s[r->i] == 'E')) {
        r->i++;
        if (r->i < r->n && (r->s[r->i] == '+' || r->s[r->i] == '-')) r->i++;
        if (!rfc_digits(r)) return 0;
    }
    return 1;
}

/* 1 when s[0, n) is exactly one JSON value with optional surrounding whitespace. */
static int is_rfc_json(const char *s, size_t n) {
    rfc r = {s, n, 0, 0};
    if (!rfc_value(&r)) return 0;
    rfc_ws(&r);
    return r.i == n;
}
/* }==== */

/* {==== the properties */
enum { P_RC, P_OUTPUT, P_FAILED, P_INVALID, P_ERROR, P_DICT_FAILED, P_ROUNDTRIP, P_DETERMINISM, P_DICT_OUTPUT, NPROPS };
static const char *const property_names[NPROPS] = {
    "rc is always HS_OK or HS_ERROR",
    "the output of hs_db_execute is always one JSON object",
    "a query whose result says isSuccess false changes nothing",
    "an input that is not RFC 8259 JSON changes nothing",
    "a call that returns HS_ERROR changes nothing",
    "a failed hs_db_from_dict changes nothing",
    "a loaded snapshot round-trips exactly through toDict/fromDict",
    "the same calls on a second database give the same bytes",
    "the output of hs_db_from_dict is always JSON",
};
static long violations[NPROPS];
static long calls_succeeded, calls_failed, calls_refused;   /* isSuccess true / false / HS_ERROR */
static char first_input[NPROPS][240];

/* Counts a violation of property k and keeps the first input that caused it, printable. */
static void note(int k, const char *text, size_t n) {
    if (violations[k]++) return;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < sizeof first_input[k]; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c >= 0x7f) o += (size_t)snprintf(first_input[k] + o, sizeof first_input[k] - o, "\\x%02x", c);
        else first_input[k][o++] = (char)c;
    }
    first_input[k][o] = 0;
}

/* A malloc'd copy of the current output (so the next call cannot change it). */
static char *output_copy(hs_db *db, size_t *len) {
    const char *out = hs_db_output(db, len);
    char *copy = malloc(*len + 1);
    if (!copy) abort();
    memcpy(copy, out, *len);
    copy[*len] = 0;
    return copy;
}

static char *dict_of(hs_db *db, size_t *len) {
    if (hs_db_to_dict(db) != HS_OK) abort();
    return output_copy(db, len);
}

/* The input of the call in progress, printed if a sanitizer stops the program during it. */
static const char *current_input;
static size_t current_len;
static const char *current_kind = "";

#ifndef HS_LIBFUZZER   /* libFuzzer prints the input itself */
static void print_current_input(void) {
    fprintf(stderr, "test_fuzz: stopped during %s of this input (%zu bytes): ", current_kind, current_len);
    for (size_t i = 0; i < current_len; i++) {
        unsigned char c = (unsigned char)current_input[i];
        if (c < 0x20 || c >= 0x7f || c == '\\') fprintf(stderr, "\\x%02x", c);
        else fputc(c, stderr);
    }
    fputc('\n', stderr);
}
#endif

/* Inputs are copied to fresh heap blocks so ASan sees overreads. With guard_bytes 1 a NUL
   follows the text (outside len): cJSON 1.7.15 reads the byte at len of some truncated texts,
   and that one known overread, probed in exact-size blocks by prefixes_stay_in_bounds, must
   not hide everything else the fuzzer finds. */
static size_t guard_bytes = 1;

static char *heap_copy(const char *text, size_t len) {
    char *p = malloc(len + guard_bytes);
    if (!p && len + guard_bytes) abort();
    if (len) memcpy(p, text, len);
    if (guard_bytes) p[len] = 0;
    return p;
}

/* Runs one query on db (and on mirror, when given) and checks every property. */
static void check_execute(hs_db *db, hs_db *mirror, const char *text, size_t len, const char *perms, size_t plen) {
    size_t before_len, out_len;
    char *before = dict_of(db, &before_len);
    char *exact = heap_copy(text, len);
    char *pexact = perms ? heap_copy(perms, plen) : NULL;
    current_input = text, current_len = len, current_kind = "hs_db_execute";
    hs_rc rc = hs_db_execute(db, exact, len, pexact, plen);
    char *out = output_copy(db, &out_len);
    if (rc != HS_OK && rc != HS_ERROR) note(P_RC, text, len);
    cJSON *result = cJSON_ParseWithLength(out, out_len);
    if (!cJSON_IsObject(result) || !is_rfc_json(out, out_len)) note(P_OUTPUT, text, len);
    int failed = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(result, "isSuccess"));
    if (rc == HS_ERROR) calls_refused++;
    else if (failed) calls_failed++;
    else calls_succeeded++;
    size_t after_len;
    char *after = dict_of(db, &after_len);
    int unchanged = after_len == before_len && memcmp(after, before, before_len) == 0;
    if (failed && !unchanged) note(P_FAILED, text, len);
    if (!is_rfc_json(text, len) && !unchanged) note(P_INVALID, text, len);
    if (rc == HS_ERROR && !unchanged) note(P_ERROR, text, len);
    if (mirror) {
        hs_rc rc2 = hs_db_execute(mirror, exact, len, pexact, plen);
        size_t len2;
        const char *out2 = hs_db_output(mirror, &len2);
        if (rc2 != rc || len2 != out_len || memcmp(out2, out, out_len) != 0) note(P_DETERMINISM, text, len);
    }
    cJSON_Delete(result);
    free(before);
    free(after);
    free(out);
    free(exact);
    free(pexact);
}

/* Loads a snapshot into db and checks: failure changes nothing, success round-trips. */
static void check_from_dict(hs_db *db, const char *text, size_t len) {
    size_t before_len, out_len;
    char *before = dict_of(db, &before_len);
    char *exact = heap_copy(text, len);
    current_input = text, current_len = len, current_kind = "hs_db_from_dict";
    hs_rc rc = hs_db_from_dict(db, exact, len);
    char *out = output_copy(db, &out_len);
    if (rc != HS_OK && rc != HS_ERROR) note(P_RC, text, len);
    if (!is_rfc_json(out, out_len)) note(P_DICT_OUTPUT, text, len);
    size_t after_len;
    char *after = dict_of(db, &after_len);
    if (rc != HS_OK) {
        if (after_len != before_len || memcmp(after, before, before_len) != 0) note(P_DICT_FAILED, text, len);
    } else {
        /* toDict -> fromDict -> toDict gives the same bytes, on a fresh handle. */
        hs_db *again = hs_db_open();
        size_t again_len = 0;
        char *again_dict = NULL;
        if (again && hs_db_from_dict(again, after, after_len) == HS_OK) again_dict = dict_of(again, &again_len);
        if (!again_dict || again_len != after_len || memcmp(again_dict, after, after_len) != 0 || !is_rfc_json(after, after_len))
            note(P_ROUNDTRIP, text, len);
        free(again_dict);
        hs_db_close(again);
    }
    free(before);
    free(after);
    free(out);
    free(exact);
}

static void reset(hs_db *db) {
    if (hs_db_from_dict(db, base_snapshot, sizeof base_snapshot - 1) != HS_OK) {
        fprintf(stderr, "test_fuzz: the base snapshot does not load\n");
        abort();
    }
}
/* }==== */

#ifdef HS_LIBFUZZER
/* One libFuzzer input: byte 0 picks the call, the rest is its text. Any property violation
   aborts, so libFuzzer saves the input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static hs_db *db;
    if (!db && !(db = hs_db_open())) abort();
    if (size < 1) return 0;
    reset(db);
    if (data[0] & 1) check_from_dict(db, (const char *)data + 1, size - 1);
    else check_execute(db, NULL, (const char *)data + 1, size - 1, NULL, 0);
    for (int k = 0; k < NPROPS; k++)
        if (violations[k]) { fprintf(stderr, "broken: %s\n", property_names[k]); abort(); }
    return 0;
}
#else

/* Called by ASan/UBSan just before they end the program. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

/* Any undefined behaviour ends the program, also when run by hand without UBSAN_OPTIONS. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void) { return "halt_on_error=1:print_stacktrace=1"; }

/* Feeds every prefix of every text, each in an exact-size heap block, to hs_db_execute
   (kind 0), hs_db_from_dict (1) or as permissions (2), in a child process with stderr
   silenced: a sanitizer abort there fails this one check instead of ending the whole run.
   The child reports each input before using it, so the parent can name the one that failed. */
static int prefixes_stay_in_bounds(const char *const *texts, int ntexts, int kind) {
    int fds[2];
    if (pipe(fds) != 0) return 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        static const char count[] = "{\"type\":\"count\",\"target\":\"users\"}";
        close(fds[0]);
        if (!freopen("/dev/null", "w", stderr)) _exit(4);
        hs_db *db = hs_db_open();
        if (!db) _exit(3);
        guard_bytes = 0;
        for (int t = 0; t < ntexts; t++) {
            for (size_t len = 0; len <= strlen(texts[t]); len++) {
                size_t where[2] = {(size_t)t, len};
                if (write(fds[1], where, sizeof where) != (ssize_t)sizeof where) _exit(5);
                char *exact = heap_copy(texts[t], len);
                if (kind == 0) hs_db_execute(db, exact, len, NULL, 0);
                else if (kind == 1) hs_db_from_dict(db, exact, len);
                else hs_db_execute(db, count, sizeof count - 1, exact, len);
                free(exact);
            }
        }
        hs_db_close(db);
        _exit(0);
    }
    close(fds[1]);
    size_t last[2] = {0, 0}, rec[2];
    while (read(fds[0], rec, sizeof rec) == (ssize_t)sizeof rec) memcpy(last, rec, sizeof rec);
    close(fds[0]);
    int status = 0;
    int ok = waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok) {
        printf("#   the child stopped (a sanitizer error) on the first %zu bytes of seed %zu: %.*s\n",
               last[1], last[0], (int)last[1], texts[last[0]]);
    }
    return ok;
}

static void test_prefixes(void) {
    CHECK(prefixes_stay_in_bounds(seed_queries, NQUERIES, 0), "every prefix of every seed query, in an exact-size block: nothing is read past len");
    CHECK(prefixes_stay_in_bounds(seed_snapshots, NSNAPS, 1), "every prefix of every seed snapshot, in an exact-size block: nothing is read past len");
    CHECK(prefixes_stay_in_bounds(seed_permissions, NPERMS, 2), "every prefix of every seed permission set, in an exact-size block: nothing is read past len");
}

/* Writes the seeds as a libFuzzer corpus (byte 0: 0 = execute, 1 = from_dict). */
static int write_corpus(const char *dir) {
    char path[4096];
    for (int k = 0; k < NQUERIES + NSNAPS; k++) {
        snprintf(path, sizeof path, "%s/seed-%02d", dir, k);
        FILE *f = fopen(path, "wb");
        if (!f) { fprintf(stderr, "cannot write %s (does the folder exist?)\n", path); return 1; }
        const char *text = k < NQUERIES ? seed_queries[k] : seed_snapshots[k - NQUERIES];
        fputc(k < NQUERIES ? 0 : 1, f);
        fwrite(text, 1, strlen(text), f);
        fclose(f);
    }
    return 0;
}

#define QUERY_ITERATIONS 20000
#define DICT_ITERATIONS 3000
#define MIRROR_ITERATIONS 20000  /* the first ones also run on a second database */

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && strcmp(argv[1], "--corpus") == 0) return write_corpus(argv[2]);
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(print_current_input);
    hs_db *db = hs_db_open(), *mirror = hs_db_open();
    if (!db || !mirror) { printf("# hs_db_open failed\n"); return 1; }
    reset(db);
    reset(mirror);

    /* Every seed works as designed (the ones writing to "rollback" fail on purpose), so the
       mutations start from inputs that reach deep into the engine. */
    int seeds_ok = 0;
    for (int k = 0; k < NQUERIES; k++) {
        reset(db);
        hs_rc rc = hs_db_execute(db, seed_queries[k], strlen(seed_queries[k]), NULL, 0);
        size_t n;
        const char *out = hs_db_output(db, &n);
        cJSON *r = cJSON_ParseWithLength(out, n);
        int should_fail = strstr(seed_queries[k], "\"rollback\"") != NULL;
        int ok = rc == HS_OK && cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(r, "isSuccess"))
                 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "isSuccess")) == !should_fail;
        if (ok) seeds_ok++;
        else printf("#   seed query %d: %.*s\n", k, (int)(n < 300 ? n : 300), out);
        cJSON_Delete(r);
    }
    CHECK(seeds_ok == NQUERIES, "every seed query gives the designed result on the base database");
    test_prefixes();

    input in;
    set_input(&in, seed_queries[0], strlen(seed_queries[0]));
    reset(db);
    for (int iter = 0; iter < QUERY_ITERATIONS; iter++) {
        int with_mirror = iter < MIRROR_ITERATIONS;
        if (iter % 50 == 0) { reset(db); if (with_mirror) reset(mirror); }
        /* Mostly a fresh seed; sometimes keep editing the last input while it is still JSON. */
        if (below(4) || !is_rfc_json(in.bytes, in.len)) {
            const char *s = seed_queries[below(NQUERIES)];
            set_input(&in, s, strlen(s));
        }
        if (below(4)) {   /* mostly tree edits, sometimes followed by one byte edit */
            for (size_t m = 1 + below(2); m > 0; m--) mutate_tree(&in, seed_queries, NQUERIES);
            if (below(5) == 0) mutate_once(&in, seed_queries, NQUERIES);
        } else {
            for (size_t m = 1 + below(4); m > 0; m--) mutate_once(&in, seed_queries, NQUERIES);
        }
        const char *perms = NULL;
        size_t plen = 0;
        if (below(5) == 0) {
            perms = seed_permissions[below(NPERMS)];
            plen = strlen(perms);
        }
        check_execute(db, with_mirror ? mirror : NULL, in.bytes, in.len, perms, plen);
    }
    /* Mutated permissions with intact queries. */
    for (int iter = 0; iter < 1000; iter++) {
        if (iter % 50 == 0) reset(db);
        const char *q = seed_queries[below(NQUERIES)];
        const char *p = seed_permissions[below(NPERMS)];
        set_input(&in, p, strlen(p));
        if (below(2)) mutate_tree(&in, seed_permissions, NPERMS);
        else for (size_t m = 1 + below(3); m > 0; m--) mutate_once(&in, seed_permissions, NPERMS);
        check_execute(db, NULL, q, strlen(q), in.bytes, in.len);
    }
    for (int iter = 0; iter < DICT_ITERATIONS; iter++) {
        if (iter % 10 == 0) reset(db);
        const char *s = seed_snapshots[below(NSNAPS)];
        set_input(&in, s, strlen(s));
        if (below(2)) mutate_tree(&in, seed_snapshots, NSNAPS);
        for (size_t m = below(4); m > 0; m--) mutate_once(&in, seed_snapshots, NSNAPS);
        check_from_dict(db, in.bytes, in.len);
        if (iter % 3 == 0) {   /* read what was loaded through a query too */
            static const char all[] = "{\"type\":\"getAll\",\"target\":\"users\"}";
            check_execute(db, NULL, all, sizeof all - 1, NULL, 0);
        }
    }

    printf("#   %ld calls succeeded, %ld failed (isSuccess false), %ld were refused (HS_ERROR)\n", calls_succeeded, calls_failed, calls_refused);
    CHECK(calls_succeeded >= QUERY_ITERATIONS / 10, "at least a tenth of the mutated queries still succeed (the fuzzer reaches the executor)");
    for (int k = 0; k < NPROPS; k++) {
        if (violations[k]) printf("#   %ld violation(s); first input: %s\n", violations[k], first_input[k]);
        CHECK(violations[k] == 0, property_names[k]);
    }
    hs_db_close(db);
    hs_db_close(mirror);
    return check_done();
}
#endif
