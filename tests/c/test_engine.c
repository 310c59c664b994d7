/*
** test_engine.c: runs every conformance case (the tests/conformance .test files) natively,
** under ASan/UBSan, through the public API of hindsight.h. Usage: test_engine [cases.jsonl]
**
** Owns: reading build/conformance.jsonl (written by tests/conformance/to-jsonl.mjs, format in
** its header) and checking each case as tests/js/conformance.test.mjs does: from_dict(before),
** execute(query, permissions), the expected subset of the result (errorMessagePrefix, "results"
** element by element), every collection of to_dict against `after`; plus no leaked bytes and
** the same output bytes on a second run. Each case runs in a child process, so a sanitizer
** error fails that case only (its report goes to stderr).
** Time-travel cases (with "steps" or "call") run once, through what js/time-travel.js and
** js/database.js do around the engine: commits with their time and cause (hs_db_execute_meta,
** origin "o"), points resolved as seqOf does (a time by hs_db_seq_at_time; after the latest
** is INVALID_ARGUMENT, before the horizon TOO_OLD), a retention of maxCommits applied after
** every commit, history entries given their time (ISO 8601) and cause, and the call's output
** as {"return": value} or {"error": code}.
** Must stay true: one CHECK per case, named by its ID; values compare like deepStrictEqual on
** JSON (numbers by value, -0 is not 0, key order only with keyOrder: strict); a missing or
** malformed case file fails the run, it never passes with zero cases.
*/
#define _POSIX_C_SOURCE 200809L   /* fork, pipe, waitpid */
#include "check.h"
#include "hindsight.h"
#include "cJSON.h"
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Any undefined behaviour ends the case's process, also when run by hand without UBSAN_OPTIONS. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void) { return "halt_on_error=1:print_stacktrace=1"; }
/* The sanitizer allocator's count of live heap bytes: a case that ends with more than it
   started with leaked (children end with _exit, so LeakSanitizer never runs in them). */
extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

/* {==== diagnostics: why a case failed, printed as TAP comments under its "not ok" line */
static char why[2048];

static void explain(const char *fmt, ...) {
    if (why[0]) return;   /* the first difference is the useful one */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
}

static void explain_values(const char *where, const cJSON *want, const cJSON *got) {
    char *w = want ? cJSON_PrintUnformatted(want) : NULL;
    char *g = got ? cJSON_PrintUnformatted(got) : NULL;
    explain("%s: expected %.700s, got %.700s", where, w ? w : "(missing)", g ? g : "(missing)");
    free(w);
    free(g);
}
/* }==== */

/* {==== JSON comparison (deepStrictEqual over parsed JSON) */

/* Object.is for numbers: by value, except that -0 and 0 differ (JSON.parse keeps -0). */
static int same_number(double a, double b) { return a == b && signbit(a) == signbit(b); }

static int same_json(const cJSON *a, const cJSON *b, int key_order) {
    if (!a || !b) return a == b;
    int ta = a->type & 0xff, tb = b->type & 0xff;
    if (ta != tb) return 0;
    switch (ta) {
    case cJSON_Number: return same_number(a->valuedouble, b->valuedouble);
    case cJSON_String: return strcmp(a->valuestring, b->valuestring) == 0;
    case cJSON_Array: {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!same_json(x, y, key_order)) return 0;
        return !x && !y;
    }
    case cJSON_Object: {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return 0;
        if (key_order) {
            for (const cJSON *x = a->child, *y = b->child; x && y; x = x->next, y = y->next)
                if (strcmp(x->string, y->string) != 0 || !same_json(x, y, 1)) return 0;
            return 1;
        }
        for (const cJSON *x = a->child; x; x = x->next)
            if (!same_json(x, cJSON_GetObjectItemCaseSensitive(b, x->string), 0)) return 0;
        return 1;
    }
    default: return 1;   /* null, true, false: the type says it all */
    }
}

static int error_prefix_ok(const cJSON *message, const cJSON *prefix) {
    if (!cJSON_IsString(message)) return 0;
    const char *m = message->valuestring;
    const cJSON *one = cJSON_IsArray(prefix) ? prefix->child : prefix;
    for (; one; one = cJSON_IsArray(prefix) ? one->next : NULL) {
        if (!cJSON_IsString(one)) continue;
        size_t n = strlen(one->valuestring);
        if (strcmp(m, one->valuestring) == 0) return 1;
        if (strncmp(m, one->valuestring, n) == 0 && m[n] == ':' && m[n + 1] == ' ') return 1;
    }
    return 0;
}

/* Every key of expect must match in actual (the subset rules of README.md). */
static int result_matches(const cJSON *actual, const cJSON *expect, int key_order, const char *path) {
    char where[256];
    for (const cJSON *want = expect ? expect->child : NULL; want; want = want->next) {
        const char *key = want->string;
        snprintf(where, sizeof where, "%s.%s", path, key);
        const cJSON *got = cJSON_GetObjectItemCaseSensitive(actual, key);
        if (strcmp(key, "errorMessagePrefix") == 0) {
            const cJSON *msg = cJSON_GetObjectItemCaseSensitive(actual, "errorMessage");
            if (!error_prefix_ok(msg, want)) { explain_values(where, want, msg); return 0; }
            continue;
        }
        if (strcmp(key, "results") == 0 && cJSON_IsArray(want) && cJSON_IsArray(got)) {
            if (cJSON_GetArraySize(want) != cJSON_GetArraySize(got)) { explain_values(where, want, got); return 0; }
            int i = 0;
            for (const cJSON *w = want->child, *g = got->child; w; w = w->next, g = g->next, i++) {
                char sub[300];
                snprintf(sub, sizeof sub, "%s[%d]", where, i);
                if (!result_matches(g, cJSON_IsObject(w) ? w : NULL, key_order, sub)) return 0;
            }
            continue;
        }
        if (!same_json(want, got, 0)) { explain_values(where, want, got); return 0; }
        if (key_order && strcmp(key, "result") == 0 && !same_json(want, got, 1)) {
            explain_values("result key order", want, got);
            return 0;
        }
    }
    return 1;
}

static int name_cmp(const void *x, const void *y) {
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The sorted member names of obj, joined by commas, for a failure message. */
static void sorted_names(const cJSON *obj, char *out, size_t cap) {
    const char *names[256];
    size_t n = 0;
    for (const cJSON *c = obj ? obj->child : NULL; c && n < 256; c = c->next) names[n++] = c->string;
    qsort(names, n, sizeof *names, name_cmp);
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "," : "", names[i]);
}

static int collections_match(const cJSON *dict, const cJSON *after, int key_order) {
    const cJSON *actual = cJSON_GetObjectItemCaseSensitive(dict, "collections");
    if (!cJSON_IsObject(actual)) { explain("toDict has no collections object"); return 0; }
    char want_names[2048], got_names[2048];
    sorted_names(after, want_names, sizeof want_names);
    sorted_names(actual, got_names, sizeof got_names);
    int same_names = cJSON_GetArraySize(after) == cJSON_GetArraySize(actual);
    for (const cJSON *want = after->child; want && same_names; want = want->next)
        same_names = cJSON_GetObjectItemCaseSensitive(actual, want->string) != NULL;
    if (!same_names) { explain("collections after: expected [%s], got [%s]", want_names, got_names); return 0; }
    for (const cJSON *want = after->child; want; want = want->next) {
        const cJSON *got = cJSON_GetObjectItemCaseSensitive(actual, want->string);
        char where[300];
        const cJSON *wd = cJSON_GetObjectItemCaseSensitive(want, "data"), *gd = cJSON_GetObjectItemCaseSensitive(got, "data");
        snprintf(where, sizeof where, "collections.%s.data", want->string);
        if (!same_json(wd, gd, key_order)) { explain_values(where, wd, gd); return 0; }
        const cJSON *ws = cJSON_GetObjectItemCaseSensitive(want, "serialNum"), *gs = cJSON_GetObjectItemCaseSensitive(got, "serialNum");
        snprintf(where, sizeof where, "collections.%s.serialNum", want->string);
        if (!same_json(ws, gs, 0)) { explain_values(where, ws, gs); return 0; }
    }
    return 1;
}
/* }==== */

/* {==== running one case */

/* The engine's output of the last call, parsed; NULL (and a reason) when it is not JSON. */
static cJSON *parsed_output(hs_db *db, const char *what) {
    size_t len;
    const char *out = hs_db_output(db, &len);
    cJSON *json = cJSON_ParseWithLength(out, len);
    if (!json) explain("%s output is not JSON: %.300s", what, out);
    return json;
}

/* {==== time-travel cases */

static const char *rc_code(hs_rc rc) {
    switch (rc) {
    case HS_ERROR: return "INVALID_ARGUMENT";
    case HS_TOO_OLD: return "TOO_OLD";
    case HS_NOMEM: return "NOMEM";
    case HS_CORRUPT: return "CORRUPT";
    default: return "INTERNAL";
    }
}

typedef struct tt_state { hs_db *db; double now; long max_commits; } tt_state;

/* The last output's length, at most 300, for "%.*s" (the output is not NUL-terminated). */
static int shown(const hs_db *db, const char **text) {
    size_t len;
    *text = hs_db_output(db, &len);
    return len > 300 ? 300 : (int)len;
}

/* The meta text of a commit: {"time", "cause"[, "minSeq"]}; the caller frees it. */
static char *tt_meta(tt_state *t, const cJSON *x, int with_min_seq) {
    const cJSON *time = cJSON_GetObjectItemCaseSensitive(x, "time");
    if (cJSON_IsNumber(time)) t->now = time->valuedouble;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddNumberToObject(m, "time", t->now);
    const cJSON *cause = cJSON_GetObjectItemCaseSensitive(x, "cause");
    cJSON_AddItemToObject(m, "cause", cause ? cJSON_Duplicate(cause, 1) : cJSON_CreateNull());
    if (with_min_seq) cJSON_AddNumberToObject(m, "minSeq", hs_db_oldest(t->db));
    char *text = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    return text;
}

/* retention.js with { maxCommits }: the horizon follows the latest commit. */
static void tt_retain(tt_state *t) {
    if (t->max_commits < 0) return;
    long h = (long)hs_db_seq(t->db) - t->max_commits;
    if (h > (long)hs_db_oldest(t->db)) hs_db_set_horizon(t->db, (uint32_t)h);
}

/* A number field of the last output ({"seq": n}); -1 when it is null or absent. */
static long output_number(hs_db *db, const char *key) {
    size_t len;
    const char *out = hs_db_output(db, &len);
    cJSON *j = cJSON_ParseWithLength(out, len);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    long n = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
    cJSON_Delete(j);
    return n;
}

/* seqOf: a seq, or {"time": ms} -> the last commit at or before it. */
static hs_rc tt_point(tt_state *t, const cJSON *p, uint32_t *seq) {
    double s;
    if (cJSON_IsNumber(p)) s = p->valuedouble;
    else if (cJSON_IsObject(p) && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(p, "time"))) {
        hs_rc rc = hs_db_seq_at_time(t->db, cJSON_GetObjectItemCaseSensitive(p, "time")->valuedouble);
        if (rc != HS_OK) return rc;
        s = (double)output_number(t->db, "seq");
    } else return HS_ERROR;
    if (s < 0 || s != floor(s) || s > hs_db_seq(t->db)) return HS_ERROR;
    if (s < hs_db_oldest(t->db)) return HS_TOO_OLD;
    *seq = (uint32_t)s;
    return HS_OK;
}

static int tt_steps(tt_state *t, const cJSON *steps) {
    int i = 0;
    for (const cJSON *st = steps ? steps->child : NULL; st; st = st->next, i++) {
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(st, "query");
        const cJSON *retention = cJSON_GetObjectItemCaseSensitive(st, "setRetention");
        hs_rc rc = HS_OK;
        int made = 1;
        if (retention) {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(retention, "maxCommits");
            t->max_commits = cJSON_IsNumber(n) ? (long)n->valuedouble : -1;
            tt_retain(t);
            continue;
        }
        char *meta = tt_meta(t, st, !q && !cJSON_GetObjectItemCaseSensitive(st, "revertTo"));
        if (cJSON_IsString(q)) {
            rc = hs_db_execute_meta(t->db, q->valuestring, strlen(q->valuestring), NULL, 0, meta, strlen(meta));
            if (rc == HS_OK) {
                cJSON *r = parsed_output(t->db, "step");
                made = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "isSuccess"));
                cJSON_Delete(r);
            }
        } else if (cJSON_GetObjectItemCaseSensitive(st, "revertTo")) {
            uint32_t s = 0;
            rc = tt_point(t, cJSON_GetObjectItemCaseSensitive(st, "revertTo"), &s);
            if (rc == HS_OK) rc = hs_db_revert_meta(t->db, s, meta, strlen(meta));
        } else {
            int undo = cJSON_GetObjectItemCaseSensitive(st, "undo") != NULL;
            rc = undo ? hs_db_undo(t->db, meta, strlen(meta)) : hs_db_redo(t->db, meta, strlen(meta));
            made = rc == HS_OK && output_number(t->db, "seq") >= 0;
        }
        free(meta);
        if (rc != HS_OK || !made) {
            const char *o;
            int n = shown(t->db, &o);
            explain("step %d did not commit (%s): %.*s", i + 1, hs_errstr(rc), n, o);
            return 0;
        }
        tt_retain(t);
    }
    return 1;
}

/* ms since 1970 as ISO 8601 UTC with milliseconds, as JS's toISOString writes it (the civil
   date from a day count; gmtime_r would allocate time-zone state that outlives the case). */
static cJSON *iso_time(double ms) {
    long long total = (long long)floor(ms);
    long long days = total / 86400000LL, rest = total % 86400000LL;
    if (rest < 0) { rest += 86400000LL; days--; }
    long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    long long day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9, year = yoe + era * 400 + (month <= 2);
    char text[128];
    snprintf(text, sizeof text, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", year, month, day,
             rest / 3600000, rest / 60000 % 60, rest / 1000 % 60, rest % 1000);
    return cJSON_CreateString(text);
}

/* js/time-travel.js history: the engine's entries, each given its commit's time and cause. */
static hs_rc tt_history(tt_state *t, const cJSON *h, cJSON **out) {
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(h, "target");
    const cJSON *node = cJSON_GetObjectItemCaseSensitive(h, "queryNode");
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(h, "from"), *to = cJSON_GetObjectItemCaseSensitive(h, "to");
    if (!cJSON_IsString(target)) return HS_ERROR;
    uint32_t lo = cJSON_IsNumber(from) ? (uint32_t)from->valuedouble : 0, hi = cJSON_IsNumber(to) ? (uint32_t)to->valuedouble : hs_db_seq(t->db);
    if (lo < hs_db_oldest(t->db)) lo = hs_db_oldest(t->db);
    char *node_text = node && !cJSON_IsNull(node) ? cJSON_PrintUnformatted(node) : NULL;
    hs_rc rc = hs_db_history(t->db, target->valuestring, strlen(target->valuestring), node_text, node_text ? strlen(node_text) : 0, lo, hi);
    free(node_text);
    if (rc != HS_OK) return rc;
    cJSON *entries = parsed_output(t->db, "hs_db_history");
    int n = cJSON_GetArraySize(entries);
    cJSON *info = NULL;
    if (n > 0) {
        uint32_t first = (uint32_t)cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(entries, 0), "seq")->valuedouble;
        uint32_t last = (uint32_t)cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(entries, n - 1), "seq")->valuedouble;
        if (hs_db_commit_info(t->db, first, last) == HS_OK) info = parsed_output(t->db, "hs_db_commit_info");
    }
    for (cJSON *e = entries ? entries->child : NULL; e; e = e->next) {
        double seq = cJSON_GetObjectItemCaseSensitive(e, "seq")->valuedouble;
        const cJSON *c = NULL;
        for (const cJSON *x = info ? info->child : NULL; x && !c; x = x->next)
            if (cJSON_GetObjectItemCaseSensitive(x, "seq")->valuedouble == seq) c = x;
        const cJSON *time = c ? cJSON_GetObjectItemCaseSensitive(c, "time") : NULL;
        double ms = NAN;
        if (cJSON_IsNumber(time)) ms = time->valuedouble;
        else if (!c && hs_db_time_of(t->db, (uint32_t)seq) == HS_OK) {
            cJSON *tj = parsed_output(t->db, "hs_db_time_of");
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(tj, "time");
            if (cJSON_IsNumber(v)) ms = v->valuedouble;
            cJSON_Delete(tj);
        }
        cJSON_AddItemToObject(e, "time", isnan(ms) ? cJSON_CreateNull() : iso_time(ms));
        const cJSON *cause = c ? cJSON_GetObjectItemCaseSensitive(c, "cause") : NULL;
        cJSON_AddItemToObject(e, "cause", cause ? cJSON_Duplicate(cause, 1) : cJSON_CreateNull());
    }
    cJSON_Delete(info);
    *out = entries;
    return entries ? HS_OK : HS_INTERNAL;
}

/* The call's output: {"return": value} or {"error": code}. */
static cJSON *tt_call(tt_state *t, const cJSON *call) {
    hs_rc rc = HS_OK;
    cJSON *ret = NULL;
    uint32_t a = 0, b = 0;
    const cJSON *x;
    if ((x = cJSON_GetObjectItemCaseSensitive(call, "at"))) {
        if ((rc = tt_point(t, x, &a)) == HS_OK && (rc = hs_db_to_dict_at(t->db, a)) == HS_OK) {
            cJSON *dict = parsed_output(t->db, "hs_db_to_dict_at");
            ret = cJSON_CreateObject();
            for (const cJSON *c = cJSON_GetObjectItemCaseSensitive(dict, "collections")->child; c; c = c->next) {
                cJSON *one = cJSON_AddObjectToObject(ret, c->string);
                cJSON_AddItemToObject(one, "data", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "data"), 1));
                cJSON_AddItemToObject(one, "serialNum", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "serialNum"), 1));
            }
            cJSON_Delete(dict);
        }
    } else if ((x = cJSON_GetObjectItemCaseSensitive(call, "rows"))) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(x, "collection");
        const char *n = cJSON_IsString(name) ? name->valuestring : NULL;
        if ((rc = tt_point(t, cJSON_GetObjectItemCaseSensitive(x, "at"), &a)) == HS_OK &&
            (rc = hs_db_rows_at(t->db, a, n, n ? strlen(n) : 0)) == HS_OK) ret = parsed_output(t->db, "hs_db_rows_at");
    } else if ((x = cJSON_GetObjectItemCaseSensitive(call, "diff"))) {
        if ((rc = tt_point(t, cJSON_GetArrayItem(x, 0), &a)) == HS_OK && (rc = tt_point(t, cJSON_GetArrayItem(x, 1), &b)) == HS_OK &&
            (rc = hs_db_diff(t->db, a, b)) == HS_OK) ret = parsed_output(t->db, "hs_db_diff");
    } else if ((x = cJSON_GetObjectItemCaseSensitive(call, "history"))) {
        rc = tt_history(t, x, &ret);
    } else if ((x = cJSON_GetObjectItemCaseSensitive(call, "changes"))) {
        const cJSON *since = cJSON_GetObjectItemCaseSensitive(x, "since"), *until = cJSON_GetObjectItemCaseSensitive(x, "until");
        double s = cJSON_IsNumber(since) ? since->valuedouble : hs_db_oldest(t->db);
        double u = cJSON_IsNumber(until) ? until->valuedouble : hs_db_seq(t->db);
        if (u > hs_db_seq(t->db)) u = hs_db_seq(t->db);
        if (s < hs_db_oldest(t->db)) rc = HS_TOO_OLD;
        else if ((rc = hs_db_changes(t->db, (uint32_t)s, (uint32_t)u)) == HS_OK) ret = parsed_output(t->db, "hs_db_changes");
    } else if ((x = cJSON_GetObjectItemCaseSensitive(call, "revertTo"))) {
        char *meta = tt_meta(t, call, 0);
        if ((rc = tt_point(t, x, &a)) == HS_OK && (rc = hs_db_revert_meta(t->db, a, meta, strlen(meta))) == HS_OK) {
            ret = cJSON_CreateNumber(hs_db_seq(t->db));
            tt_retain(t);
        }
        free(meta);
    } else {
        int undo = cJSON_GetObjectItemCaseSensitive(call, "undo") != NULL;
        char *meta = tt_meta(t, call, 1);
        rc = undo ? hs_db_undo(t->db, meta, strlen(meta)) : hs_db_redo(t->db, meta, strlen(meta));
        free(meta);
        if (rc == HS_OK) {
            long seq = output_number(t->db, "seq");
            ret = seq >= 0 ? cJSON_CreateNumber((double)seq) : cJSON_CreateNull();
            if (seq >= 0) tt_retain(t);
        }
    }
    cJSON *out = cJSON_CreateObject();
    if (rc != HS_OK) cJSON_AddStringToObject(out, "error", rc_code(rc));
    else cJSON_AddItemToObject(out, "return", ret ? ret : cJSON_CreateNull());
    if (rc != HS_OK) cJSON_Delete(ret);
    return out;
}

/* database.js for a read asOf a time: the seq it means here, or the failed QueryResult. */
static char *tt_as_of_time(tt_state *t, const char *query, double ms, cJSON **failed) {
    cJSON *q = cJSON_Parse(query);
    cJSON *as_of = cJSON_GetObjectItemCaseSensitive(q, "asOf");
    hs_rc rc = hs_db_seq_at_time(t->db, ms);
    if (rc != HS_OK) {
        const char *o;
        int n = shown(t->db, &o);
        char msg[400];
        snprintf(msg, sizeof msg, "execute_query ArgumentError: asOf: %.*s", n, o);
        *failed = cJSON_CreateObject();
        cJSON_AddBoolToObject(*failed, "isSuccess", 0);
        cJSON_AddItemToObject(*failed, "result", cJSON_CreateArray());
        cJSON_AddStringToObject(*failed, "errorMessage", msg);
        cJSON_Delete(q);
        return NULL;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(as_of, "time");
    cJSON_AddNumberToObject(as_of, "seq", (double)output_number(t->db, "seq"));
    char *text = cJSON_PrintUnformatted(q);
    cJSON_Delete(q);
    return text;
}

static int run_time_travel_case(const cJSON *c) {
    const cJSON *before = cJSON_GetObjectItemCaseSensitive(c, "before");
    const cJSON *query = cJSON_GetObjectItemCaseSensitive(c, "query");
    const cJSON *call = cJSON_GetObjectItemCaseSensitive(c, "call");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(c, "expect");
    const cJSON *after = cJSON_GetObjectItemCaseSensitive(c, "after");
    const cJSON *as_of_time = cJSON_GetObjectItemCaseSensitive(c, "asOfTime");
    int key_order = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "keyOrder"));
    int unchanged = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "afterUnchanged"));
    tt_state t = {hs_db_open(), 0, -1};
    if (!t.db) { explain("hs_db_open failed"); return 0; }
    size_t len;
    int ok = hs_db_from_dict(t.db, before->valuestring, strlen(before->valuestring)) == HS_OK &&
             hs_db_set_origin(t.db, "o", 1) == HS_OK;
    const char *o;
    if (!ok) { int n = shown(t.db, &o); explain("from_dict(before) or set_origin failed: %.*s", n, o); }
    ok = ok && tt_steps(&t, cJSON_GetObjectItemCaseSensitive(c, "steps"));
    char *dict_before = NULL;
    size_t before_len = 0;
    if (ok && hs_db_to_dict(t.db) == HS_OK) {
        o = hs_db_output(t.db, &before_len);
        if ((dict_before = malloc(before_len + 1))) memcpy(dict_before, o, before_len);
    }
    cJSON *result = NULL;
    if (ok && cJSON_IsObject(call)) {
        result = tt_call(&t, call);
        if (cJSON_GetArraySize(result) != cJSON_GetArraySize(expect) ||
            !cJSON_GetObjectItemCaseSensitive(expect, result->child->string)) {
            explain_values("the call's outcome", expect, result);
            ok = 0;
        }
    } else if (ok && cJSON_IsString(query)) {
        char *text = cJSON_IsNumber(as_of_time) ? tt_as_of_time(&t, query->valuestring, as_of_time->valuedouble, &result)
                                                : strdup(query->valuestring);
        if (text) {
            hs_rc rc = hs_db_execute(t.db, text, strlen(text), NULL, 0);
            if (rc == HS_OK) result = parsed_output(t.db, "hs_db_execute");
            else { int n = shown(t.db, &o); explain("hs_db_execute returned %s: %.*s", hs_errstr(rc), n, o); }
            free(text);
        }
    }
    ok = ok && result && result_matches(result, expect, key_order, "result");
    cJSON_Delete(result);
    if (ok && hs_db_to_dict(t.db) == HS_OK) {
        if (unchanged) {
            o = hs_db_output(t.db, &len);
            ok = dict_before && len == before_len && memcmp(dict_before, o, len) == 0;
            if (!ok) explain("after: unchanged, but the call changed the state: %.*s", len > 300 ? 300 : (int)len, o);
        } else {
            cJSON *dict = parsed_output(t.db, "hs_db_to_dict");
            ok = dict && collections_match(dict, after, key_order);
            cJSON_Delete(dict);
        }
    }
    free(dict_before);
    hs_db_close(t.db);
    return ok;
}
/* }==== */

/* Runs the query twice on two fresh databases: the second run must give the same bytes. */
static int run_case(const cJSON *c, int *deterministic) {
    if (cJSON_GetObjectItemCaseSensitive(c, "steps") || cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(c, "call")))
        return run_time_travel_case(c);
    const cJSON *before = cJSON_GetObjectItemCaseSensitive(c, "before");
    const cJSON *query = cJSON_GetObjectItemCaseSensitive(c, "query");
    const cJSON *perms = cJSON_GetObjectItemCaseSensitive(c, "permissions");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(c, "expect");
    const cJSON *after = cJSON_GetObjectItemCaseSensitive(c, "after");
    int key_order = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "keyOrder"));
    if (!cJSON_IsString(before) || !cJSON_IsString(query) || !cJSON_IsObject(expect) || !cJSON_IsObject(after)) {
        explain("malformed case line");
        return 0;
    }
    const char *ptext = cJSON_IsString(perms) ? perms->valuestring : NULL;
    size_t plen = ptext ? strlen(ptext) : 0;
    char *first_output = NULL;
    size_t first_len = 0;
    int ok = 1;
    for (int round = 0; round < 2 && ok; round++) {
        hs_db *db = hs_db_open();
        if (!db) { explain("hs_db_open failed"); return 0; }
        hs_rc rc = hs_db_from_dict(db, before->valuestring, strlen(before->valuestring));
        size_t len;
        const char *out;
        if (rc != HS_OK) {
            out = hs_db_output(db, &len);
            explain("hs_db_from_dict(before) returned %s: %.300s", hs_errstr(rc), out);
            ok = 0;
        } else if ((rc = hs_db_execute(db, query->valuestring, strlen(query->valuestring), ptext, plen)) != HS_OK) {
            out = hs_db_output(db, &len);
            explain("hs_db_execute returned %s: %.300s", hs_errstr(rc), out);
            ok = 0;
        } else if (round == 0) {
            out = hs_db_output(db, &len);
            first_output = malloc(len + 1);
            if (first_output) { memcpy(first_output, out, len); first_len = len; }
            cJSON *result = parsed_output(db, "hs_db_execute");
            ok = result && result_matches(result, expect, key_order, "result");
            cJSON_Delete(result);
            if (ok) {
                cJSON *dict = hs_db_to_dict(db) == HS_OK ? parsed_output(db, "hs_db_to_dict") : NULL;
                if (!dict) explain("hs_db_to_dict failed");
                ok = dict && collections_match(dict, after, key_order);
                cJSON_Delete(dict);
            }
        } else {
            out = hs_db_output(db, &len);
            if (!first_output || len != first_len || memcmp(out, first_output, len) != 0) *deterministic = 0;
        }
        hs_db_close(db);
    }
    free(first_output);
    return ok;
}
/* The verdict of one case, sent from the child that ran it. */
typedef struct verdict { int ok, deterministic; char why[sizeof why]; } verdict;

static verdict run_case_isolated(const cJSON *c) {
    verdict v = {0, 1, "the case's process stopped: a sanitizer error (report above, on stderr)"};
    int fds[2];
    if (pipe(fds) != 0) { snprintf(v.why, sizeof v.why, "pipe failed"); return v; }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) { close(fds[0]); close(fds[1]); snprintf(v.why, sizeof v.why, "fork failed"); return v; }
    if (pid == 0) {
        close(fds[0]);
        verdict mine = {0, 1, ""};
        why[0] = 0;
        size_t live_before = __sanitizer_get_current_allocated_bytes ? __sanitizer_get_current_allocated_bytes() : 0;
        mine.ok = run_case(c, &mine.deterministic);
        size_t live_after = __sanitizer_get_current_allocated_bytes ? __sanitizer_get_current_allocated_bytes() : 0;
        if (mine.ok && live_after > live_before) {
            explain("%zu heap bytes were not freed after hs_db_close", live_after - live_before);
            mine.ok = 0;
        }
        memcpy(mine.why, why, sizeof why);
        ssize_t n = write(fds[1], &mine, sizeof mine);
        _exit(n == (ssize_t)sizeof mine ? 0 : 1);
    }
    close(fds[1]);
    verdict got;
    size_t have = 0;
    ssize_t n;
    while (have < sizeof got && (n = read(fds[0], (char *)&got + have, sizeof got - have)) > 0) have += (size_t)n;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (have == sizeof got && WIFEXITED(status) && WEXITSTATUS(status) == 0) v = got;
    return v;
}
/* }==== */

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *text = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (cap - n < 65536) {
            char *bigger = realloc(text, cap = cap * 2 + 65536);
            if (!bigger) { free(text); fclose(f); return NULL; }
            text = bigger;
        }
        got = fread(text + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    fclose(f);
    text[n] = 0;
    *len = n;
    return text;
}

/* The case file: argv[1], else build/conformance.jsonl from the repository root, else next to
   the binary (build/tests/../conformance.jsonl). */
static char *load_cases(int argc, char **argv, size_t *len) {
    if (argc > 1) return read_file(argv[1], len);
    char *text = read_file("build/conformance.jsonl", len);
    if (text) return text;
    char path[4096];
    const char *slash = strrchr(argv[0], '/');
    int dir = slash ? (int)(slash - argv[0]) : 1;
    snprintf(path, sizeof path, "%.*s/../conformance.jsonl", dir, slash ? argv[0] : ".");
    return read_file(path, len);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);   /* a sanitizer abort then still shows the last case */
    size_t len = 0;
    char *text = load_cases(argc, argv, &len);
    CHECK(text != NULL, "build/conformance.jsonl exists (make native-tests writes it)");
    if (!text) return check_done();

    /* Warm up: the engine keeps its first parse-arena chunk between calls (jarena.c). Taking it
       here, before the children fork, keeps it out of each case's leak count. */
    hs_db *warm = hs_db_open();
    static const char warm_query[] = "{\"type\":\"count\",\"target\":\"t\"}";
    if (warm) hs_db_execute(warm, warm_query, sizeof warm_query - 1, NULL, 0);
    hs_db_close(warm);

    int header_seen = 0, announced = -1, ran = 0, all_deterministic = 1;
    for (char *line = text, *next; line < text + len; line = next) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        next = nl ? nl + 1 : text + len;
        if (nl) *nl = 0;
        if (!*line) continue;
        cJSON *c = cJSON_Parse(line);
        if (!header_seen) {
            header_seen = 1;
            const cJSON *problems = cJSON_GetObjectItemCaseSensitive(c, "problems");
            const cJSON *count = cJSON_GetObjectItemCaseSensitive(c, "cases");
            CHECK(cJSON_IsArray(problems) && cJSON_GetArraySize(problems) == 0, "conformance case files are well-formed");
            for (const cJSON *p = problems ? problems->child : NULL; p; p = p->next)
                if (cJSON_IsString(p)) printf("#   %s\n", p->valuestring);
            announced = cJSON_IsNumber(count) ? count->valueint : -1;
            cJSON_Delete(c);
            continue;
        }
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        verdict v = {0, 1, "line is not JSON or has no id"};
        if (c && cJSON_IsString(id)) v = run_case_isolated(c);
        CHECK(v.ok, cJSON_IsString(id) ? id->valuestring : "(case without an id)");
        if (!v.ok) printf("#   %s\n#   %s\n", cJSON_IsString(name) ? name->valuestring : "", v.why);
        if (!v.deterministic) {
            all_deterministic = 0;
            printf("#   %s: a second run on a fresh database gave different output\n", id ? id->valuestring : "?");
        }
        ran++;
        cJSON_Delete(c);
    }
    CHECK(announced > 0 && ran == announced, "every announced case was read and run");
    CHECK(all_deterministic, "every case gives byte-identical output when run again on a fresh database");
    free(text);
    return check_done();
}
