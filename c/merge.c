/*
 * merge.c: the merge query and its template DSL (protocol §10).
 *
 * A merge reads `base` and `source` collections and writes a new `output` collection whose
 * rows are built from dslTmp. Invariant: the output collection appears only when the whole
 * merge succeeded; any DSL error leaves the database as it was ("Merge failed").
 */
#include "hsint.h"
#include "json_in.h"
#include "strtod.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct dsl_env {
    val base;
    val *matched;      /* one per source; an empty object when nothing matched */
    size_t nsrc;
    buf tmp;           /* scratch for popped.* */
} dsl_env;

#define MSG_TOO_DEEP "Merge failed: an output document would be nested deeper than 100 levels"

static const uint8_t empty_object[9] = {T_OBJ, 0, 0, 0, 0, 0, 0, 0, 0};

/* strtoll's answer in base 10, as int(...) needs it, without the libc's (and its errno):
   leading white space, a sign, decimal digits; *end after them, or s itself when there is no
   digit (the value is then 0). 0 when the number does not fit a long long (strtoll: ERANGE). */
static int parse_int_text(const char *s, char **end, long long *out) {
    const char *p = s;
    while (isspace((unsigned char)*p)) p++;
    int neg = *p == '-';
    if (*p == '+' || *p == '-') p++;
    *out = 0;
    if (!isdigit((unsigned char)*p)) { *end = (char *)s; return 1; }
    unsigned long long v = 0, limit = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
    int over = 0;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (limit - d) / 10) over = 1;
        else v = v * 10 + d;
    }
    *end = (char *)p;
    if (over) return 0;
    *out = neg ? -(long long)(v - 1) - 1 : (long long)v;
    return 1;
}

static int is_digits(const char *s, size_t n) {
    if (!n) return 0;
    for (size_t i = 0; i < n; i++) if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

/* Resolves "base" or a source index. NULL when the name is neither. */
static val target_of(const dsl_env *env, const char *s, size_t n) {
    if (n == 4 && memcmp(s, "base", 4) == 0) return env->base;
    if (!is_digits(s, n) || n > 9) return NULL;
    size_t i = 0;
    for (size_t k = 0; k < n; k++) i = i * 10 + (size_t)(s[k] - '0');
    return i < env->nsrc ? env->matched[i] : NULL;
}

/* Copies v into out without the member at the dot path (missing paths are ignored). */
static void copy_without(buf *out, val v, const char *path, size_t plen) {
    if (v[0] != T_OBJ) { buf_put(out, v, val_size(v)); return; }
    const char *dot = memchr(path, '.', plen);
    size_t head = dot ? (size_t)(dot - path) : plen;
    size_t at = enc_begin(out, T_OBJ);
    uint32_t n = 0;
    val_iter it;
    val_iter_init(&it, v);
    val m;
    while ((m = val_iter_next(&it, 1))) {
        int hit = it.klen == head && memcmp(it.key, path, head) == 0;
        if (hit && !dot) continue;
        enc_key(out, it.key, it.klen);
        if (hit) copy_without(out, m, dot + 1, plen - head - 1);
        else buf_put(out, m, val_size(m));
        n++;
    }
    enc_end(out, at, n);
}

static int eval_string(dsl_env *env, const char *s, size_t n, buf *out);

/* popped.T[p1,p2,...] */
static int eval_popped(dsl_env *env, const char *s, size_t n, buf *out) {
    const char *lb = memchr(s, '[', n);
    if (!lb || s[n - 1] != ']') return 0;
    val t = target_of(env, s + 7, (size_t)(lb - s - 7));
    if (!t) return 0;
    buf cur;
    buf_init(&cur);
    buf_put(&cur, t, val_size(t));
    const char *p = lb + 1, *end = s + n - 1;
    while (p < end && !cur.oom) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        const char *a = p, *b = stop;
        while (a < b && isspace((unsigned char)*a)) a++;
        while (b > a && isspace((unsigned char)b[-1])) b--;
        if (b > a) {
            buf_clear(&env->tmp);
            copy_without(&env->tmp, (val)cur.data, a, (size_t)(b - a));
            if (env->tmp.oom) { cur.oom = 1; break; }
            cur.len = 0;
            buf_put(&cur, env->tmp.data, env->tmp.len);
        }
        p = stop + 1;
    }
    int ok = !cur.oom;
    if (ok) buf_put(out, cur.data, cur.len);
    buf_free(&cur);
    return ok;
}

static int eval_string(dsl_env *env, const char *s, size_t n, buf *out) {
    while (n && isspace((unsigned char)*s)) { s++; n--; }
    while (n && isspace((unsigned char)s[n - 1])) n--;
    char num[64];
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(s, lit, n) == 0)
#define WRAPPED(pre) (n >= sizeof(pre) && memcmp(s, pre, sizeof(pre) - 1) == 0 && s[n - 1] == ')')
    if (n == 0) return 0;                                  /* "Empty DSL path" */
    if (IS("none") || IS("null")) { enc_null(out); return 1; }
    if (WRAPPED("int(") || WRAPPED("float(")) {
        int is_int = s[0] == 'i';
        size_t skip = is_int ? 4 : 6, len = n - skip - 1;
        if (len == 0 || len >= sizeof num) return 0;
        memcpy(num, s + skip, len);
        num[len] = 0;
        char *end;
        if (is_int) {
            long long v;
            if (!parse_int_text(num, &end, &v)) return 0;
            while (*end && isspace((unsigned char)*end)) end++;
            if (*end) return 0;
            enc_int(out, v);
        } else {
            double d = hs_strtod(num, &end);
            while (*end && isspace((unsigned char)*end)) end++;
            if (*end || !isfinite(d)) return 0;
            enc_number(out, d);
        }
        return 1;
    }
    if (WRAPPED("bool(")) {
        if (n == 10 && memcmp(s + 5, "true", 4) == 0) { enc_bool(out, 1); return 1; }
        if (n == 11 && memcmp(s + 5, "false", 5) == 0) { enc_bool(out, 0); return 1; }
        return 0;
    }
    if (WRAPPED("str(")) { enc_string(out, s + 4, n - 5); return 1; }
    if (s[0] == '[' && s[n - 1] == ']') {
        size_t at = enc_begin(out, T_ARR);
        if (!eval_string(env, s + 1, n - 2, out)) return 0;
        enc_end(out, at, 1);
        return 1;
    }
    if (n > 7 && memcmp(s, "popped.", 7) == 0) return eval_popped(env, s, n, out);
    if (s[0] == '.' || s[n - 1] == '.') return 0;          /* "Invalid DSL path" */
    const char *dot = memchr(s, '.', n);
    size_t head = dot ? (size_t)(dot - s) : n;
    val t = target_of(env, s, head);
    if (!t) return 0;
    val v = dot ? val_path(t, dot + 1, n - head - 1) : t;
    if (v) buf_put(out, v, val_size(v));
    else enc_null(out);
    return 1;
#undef IS
#undef WRAPPED
}

static int eval_dsl(dsl_env *env, const cJSON *t, buf *out, int depth) {
    if (depth > VAL_MAX_DEPTH) return 0;
    if (cJSON_IsString(t)) return eval_string(env, t->valuestring, strlen(t->valuestring), out);
    if (cJSON_IsObject(t) || cJSON_IsArray(t)) {
        int obj = cJSON_IsObject(t);
        size_t at = enc_begin(out, obj ? T_OBJ : T_ARR);
        uint32_t n = 0;
        for (const cJSON *c = t->child; c; c = c->next, n++) {
            if (obj) enc_key(out, c->string, strlen(c->string));
            if (!eval_dsl(env, c, out, depth + 1)) return 0;
        }
        enc_end(out, at, n);
        return 1;
    }
    return jin_encode(out, t) == NULL;
}

static const char *str_param(const cJSON *p, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Permissions of a merge: read access to every input, merge access to the output. */
static int merge_allowed(const cJSON *perms, const char *name, int output) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(perms, name);
    const cJSON *allows = cJSON_GetObjectItemCaseSensitive(p, "allows");
    for (const cJSON *a = cJSON_IsArray(allows) ? allows->child : NULL; a; a = a->next) {
        if (!cJSON_IsString(a)) continue;
        if (output ? strcmp(a->valuestring, "merge") == 0
                   : strcmp(a->valuestring, "search") == 0 || strcmp(a->valuestring, "searchOne") == 0) return 1;
    }
    return 0;
}

int merge_check_permissions(const cJSON *perms, const cJSON *params) {
    if (!perms) return 1;
    if (!cJSON_IsObject(params)) return 0;
    const char *base = str_param(params, "base"), *output = str_param(params, "output"), *serial = str_param(params, "serialBase");
    if (!base || !output || !merge_allowed(perms, base, 0) || !merge_allowed(perms, output, 1)) return 0;
    if (serial && !merge_allowed(perms, serial, 0)) return 0;
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(params, "source");
    for (const cJSON *s = cJSON_IsArray(src) ? src->child : NULL; s; s = s->next)
        if (!cJSON_IsString(s) || !merge_allowed(perms, s->valuestring, 0)) return 0;
    return 1;
}

/* DeltaTraceDB reports dbLength 0 for every failed merge (not -1 as for other errors). */
static int merge_fail(hs_db *db, const query *q, const char *msg) {
    put_result(&db->out, 0, q->target, q->type_name, NULL, 0, 0, 0, 0, msg, NULL);
    return 0;
}

int exec_merge(hs_db *db, const query *q) {
    const cJSON *p = q->merge_params;
    const char *base_name = str_param(p, "base"), *rel = str_param(p, "relationKey");
    const char *out_name = str_param(p, "output"), *serial_base = str_param(p, "serialBase");
    const char *serial_key = str_param(p, "serialKey");
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(p, "source");
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(p, "sourceKeys");
    const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(p, "dslTmp");
    if (!base_name || !rel || !out_name || !cJSON_IsArray(src) || !cJSON_IsArray(keys) || !tmpl)
        return merge_fail(db, q, "Argument error");
    coll *base = db_find(db, base_name);
    if (!base) return merge_fail(db, q, "Base collection does not exist.");
    size_t nsrc = (size_t)cJSON_GetArraySize(src);
    coll **sources = calloc(nsrc ? nsrc : 1, sizeof *sources);
    val *matched = calloc(nsrc ? nsrc : 1, sizeof *matched);
    const char **skeys = calloc(nsrc ? nsrc : 1, sizeof *skeys);
    if (!sources || !matched || !skeys) { free(sources); free(matched); free(skeys); return merge_fail(db, q, "Merge failed"); }
    const char *error = NULL;
    size_t i = 0;
    for (const cJSON *s = src->child; s && !error; s = s->next, i++)
        if (!cJSON_IsString(s) || !(sources[i] = db_find(db, s->valuestring))) error = "Source collection does not exist.";
    coll *serial_coll = NULL;
    if (!error && serial_base && !(serial_coll = db_find(db, serial_base))) error = "Serial base collection does not exist.";
    if (!error && (size_t)cJSON_GetArraySize(keys) != nsrc) error = "The relationKey or relationKeys setting is invalid.";
    i = 0;
    for (const cJSON *k = keys->child; !error && k; k = k->next, i++)
        if (!cJSON_IsString(k)) error = "The relationKey or relationKeys setting is invalid.";
        else skeys[i] = k->valuestring;
    if (!error && db_find(db, out_name)) error = "The output collection already exists.";

    /* Build every output row before creating anything. */
    doc **rows = NULL;
    size_t nrows = 0;
    int64_t serial = serial_coll ? serial_coll->serial : 0;
    dsl_env env = {0};
    buf_init(&env.tmp);
    if (!error && base->live && !(rows = calloc(base->live, sizeof *rows))) error = "Merge failed";
    for (size_t r = 0; !error && r < base->len; r++) {
        if (!base->rows[r].cur) continue;
        val b = base->rows[r].cur->v;
        val bv = val_path(b, rel, strlen(rel));
        for (size_t s = 0; s < nsrc; s++) {
            matched[s] = empty_object;
            if (!bv || bv[0] == T_NULL) continue;
            for (size_t k = 0; k < sources[s]->len; k++) {
                const doc *sd = sources[s]->rows[k].cur;
                if (!sd) continue;
                val sv = val_path(sd->v, skeys[s], strlen(skeys[s]));
                if (sv && val_equal(sv, bv)) { matched[s] = sd->v; break; }
            }
        }
        env.base = b;
        env.matched = matched;
        env.nsrc = nsrc;
        buf_clear(&db->scratch);
        if (!eval_dsl(&env, tmpl, &db->scratch, 1) || db->scratch.oom || db->scratch.data[0] != T_OBJ) { error = "Merge failed"; break; }
        val row = (val)db->scratch.data;
        /* Base and source values land at the template's depth: the sum can exceed what a
           reader accepts, and a snapshot of it could never be loaded again. */
        if (!val_within_depth(row, VAL_MAX_DEPTH)) { error = MSG_TOO_DEEP; break; }
        if (!serial_coll && serial_key) {
            size_t kl = strlen(serial_key);
            if (!val_obj_get(row, serial_key, kl)) { error = "The target serialKey does not exist"; break; }
            /* Replace the serial key's value in place. */
            buf over;
            buf_init(&over);
            size_t at = enc_begin(&over, T_OBJ);
            enc_key(&over, serial_key, kl);
            enc_int(&over, serial++);
            enc_end(&over, at, 1);
            buf copy;
            buf_init(&copy);
            buf_put(&copy, row, val_size(row));
            rows[nrows] = over.oom || copy.oom ? NULL : doc_update((val)copy.data, (val)over.data, &db->scratch);
            buf_free(&over);
            buf_free(&copy);
        } else {
            rows[nrows] = doc_new(row, val_size(row));
        }
        if (!rows[nrows]) { error = "Merge failed"; break; }
        nrows++;
    }
    buf_free(&env.tmp);
    free(sources); free(matched); free(skeys);
    coll *out = NULL;
    if (!error && q->must_affect && nrows == 0) error = "No data matched the condition (mustAffectAtLeastOne=True)";
    if (!error && (!(out = db_create(db, out_name)) || !coll_reserve(out, nrows) || !hist_reserve(&db->hist, 0, nrows)))
        error = "Merge failed";   /* the caller rolls back a created collection */
    if (error) {
        for (size_t r = 0; r < nrows; r++) doc_unref(rows[r]);
        free(rows);
        return merge_fail(db, q, error);
    }
    for (size_t r = 0; r < nrows; r++) coll_append(out, rows[r], &db->hist);
    coll_set_serial(out, serial_coll ? serial_coll->serial : serial, &db->hist);
    free(rows);
    put_result(&db->out, 1, q->target, q->type_name, NULL, 0, (int64_t)nrows, (int64_t)nrows, 0, NULL, NULL);
    return 1;
}
