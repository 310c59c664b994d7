/*
 * node.c: compiling and evaluating search nodes (protocol §6).
 *
 * Each comparison node keeps its value pre-converted for its vType, so a scan over many
 * documents converts only the field side. "Any exception during evaluation -> false" in
 * DeltaTraceDB becomes: every conversion returns a success flag, and failure means no match.
 * The one exception is Python's own: startsWith_/endsWith_ with a value that is not a string
 * raise outside that guard, so they fail the query (lazily: only when a document with a
 * non-null field reaches them, which is why such a tree never uses an index).
 */
#include "node.h"
#include "fmt.h"
#include "datetime.h"
#include "pynum.h"
#include "regex.h"
#include "text.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { N_AND, N_OR, N_NOT, N_EQ, N_NE, N_GT, N_LT, N_GE, N_LE, N_REGEX, N_CONTAINS, N_IN, N_NOTIN, N_STARTS, N_ENDS };

static const struct { const char *name; int op; } node_types[] = {
    {"and_", N_AND}, {"or_", N_OR}, {"not_", N_NOT}, {"equals_", N_EQ}, {"notEquals_", N_NE},
    {"greaterThan_", N_GT}, {"lessThan_", N_LT}, {"greaterThanOrEqual_", N_GE},
    {"lessThanOrEqual_", N_LE}, {"regex_", N_REGEX}, {"contains_", N_CONTAINS}, {"in_", N_IN},
    {"notIn_", N_NOTIN}, {"startsWith_", N_STARTS}, {"endsWith_", N_ENDS},
};

static const char *const vtype_names[] = {
    "auto_", "datetime_", "int_", "floatStrict_", "floatEpsilon12_", "boolean_", "string_", "stringIgnoreCase_",
};

int vtype_from_name(const char *name) {
    if (!name) return VT_AUTO;
    for (int i = 0; i < VT_INVALID; i++)
        if (strcmp(name, vtype_names[i]) == 0) return i;
    return VT_INVALID;
}

/* The node's own value, converted once for its vType. */
typedef struct conv_value {
    int ok;            /* 0 when the value could not be converted: the comparison is false */
    py_int i;          /* int_ (big digits in s) */
    double d;
    dt_instant t;
    char *s;           /* string_, stringIgnoreCase_, boolean_ (lower-cased), startsWith_... */
    size_t n;
} conv_value;

struct qnode {
    int op, vtype;
    char *field;
    size_t flen;
    int dotted;         /* field is a dot path (else one top-level member: a shorter walk) */
    uint8_t *value;     /* encoded node value (or the values array of in_/notIn_) */
    conv_value cv;
    rx_regex *re;
    qnode **kids;
    size_t nkids;
    int may_fail;       /* this node or one below can fail the query when evaluated */
};

#define MAX_NODE_DEPTH 100

static const uint8_t null_value[1] = {T_NULL};

void node_free(qnode *n) {
    if (!n) return;
    for (size_t i = 0; i < n->nkids; i++) node_free(n->kids[i]);
    free(n->kids);
    free(n->field);
    free(n->value);
    free(n->cv.s);
    if (n->re) rx_free(n->re);
    free(n);
}

/* ---- conversions (shared with sort.c) ---- */

const char *conv_pystr(val v, buf *scratch, size_t *len) {
    if (v[0] == T_STR || v[0] == T_STRX) return val_str(v, len);
    buf_clear(scratch);
    val_pystr(scratch, v);
    *len = scratch->len;
    return scratch->oom ? NULL : scratch->data;
}

int conv_int(val v, buf *work, py_int *out, int as_value) {
    if (val_is_int(v)) { memset(out, 0, sizeof *out); out->i = val_int(v); return 1; }
    /* int(str(5.5)) and int(str(True)) fail; int(5.5) is 5 and int(True) is 1. */
    if (v[0] == T_DOUBLE) return as_value && py_int_from_double(val_num(v), work, out);
    if (v[0] == T_TRUE || v[0] == T_FALSE) {
        if (!as_value) return 0;
        memset(out, 0, sizeof *out);
        out->i = v[0] == T_TRUE;
        return 1;
    }
    if (v[0] != T_STR && v[0] != T_STRX) return 0;
    size_t n;
    const char *s = val_str(v, &n);
    return py_int_parse(s, n, work, out);
}

int conv_float(val v, buf *work, double *out, int accept_bools) {
    if (val_kind(v) == K_NUM) { *out = val_num(v); return 1; }
    /* float(str(True)) fails; float(True) is 1.0. */
    if (v[0] == T_TRUE || v[0] == T_FALSE) { *out = v[0] == T_TRUE; return accept_bools; }
    if (v[0] != T_STR && v[0] != T_STRX) return 0;
    size_t n;
    const char *s = val_str(v, &n);
    return py_float_parse(s, n, work, out);
}

/* datetime.fromisoformat(str(f)): a number is read through its text (20250101 is a date). */
static int conv_datetime(val v, buf *scratch, dt_instant *out) {
    size_t n;
    const char *s = conv_pystr(v, scratch, &n);
    return s && dt_parse_fromisoformat(s, n, out);
}

/* Converts the node's own value once, at compile time, as Python converts it: int(v),
   float(v), str(v) (None for null), fromisoformat(v) of a string. */
static void convert_node_value(qnode *n) {
    buf scratch;
    buf_init(&scratch);
    val v = n->value;
    conv_value *cv = &n->cv;
    cv->ok = 1;
    switch (n->vtype) {
    case VT_AUTO: break;
    case VT_DATETIME: cv->ok = val_is_str(v) && conv_datetime(v, &scratch, &cv->t); break;
    case VT_INT:
        cv->ok = conv_int(v, &scratch, &cv->i, 1);
        /* Keep the digits of a big value with the node: scratch goes away. */
        if (cv->ok && cv->i.big) {
            cv->s = malloc(cv->i.len + 1);
            if (!cv->s) cv->ok = 0;
            else { memcpy(cv->s, scratch.data + cv->i.off, cv->i.len); cv->i.off = 0; }
        }
        break;
    case VT_FLOAT: case VT_FLOATEPS: cv->ok = conv_float(v, &scratch, &cv->d, 1); break;
    default: {
        size_t len;
        const char *s = conv_pystr(v, &scratch, &len);
        buf lower;
        buf_init(&lower);
        if (s && n->vtype != VT_STRING) {   /* boolean_ and stringIgnoreCase_ compare lower-cased */
            text_lower_utf8(&lower, s, len);
            s = lower.oom ? NULL : lower.data;
            len = lower.len;
        }
        cv->s = s ? malloc(len + 1) : NULL;
        if (cv->s) {
            if (len) memcpy(cv->s, s, len);
            cv->s[len] = 0;
            cv->n = len;
        } else {
            cv->ok = 0;
        }
        buf_free(&lower);
    }
    }
    buf_free(&scratch);
}

/* ---- compile ---- */

/* Nodes are compiled from their compact encoding (value.h), not from cJSON, so that every
   string keeps all its bytes (cJSON's strings end at U+0000). */

static int fail(char *err, size_t cap, const char *fmt, const char *arg, size_t alen) {
    hs_snprintf(err, cap, fmt, (int)(arg ? (alen > 60 ? 60 : alen) : 0), arg ? arg : "");
    return 0;
}

static int set_field(qnode *n, val json, const char *tname, size_t tlen, char *err, size_t cap) {
    val f = val_member(json, "field");
    if (!val_is_str(f)) return fail(err, cap, "node %.*s needs a string 'field'", tname, tlen);
    const char *s = val_str(f, &n->flen);
    n->field = malloc(n->flen + 1);
    if (!n->field) return fail(err, cap, "out of memory%.*s", NULL, 0);
    memcpy(n->field, s, n->flen);
    n->field[n->flen] = 0;
    n->dotted = memchr(n->field, '.', n->flen) != NULL;
    return 1;
}

static int set_value(qnode *n, val v, char *err, size_t cap) {
    static const uint8_t null_enc[1] = {T_NULL};
    if (!v) v = null_enc;
    size_t size = val_size(v);
    n->value = malloc(size);
    if (!n->value) return fail(err, cap, "out of memory%.*s", NULL, 0);
    memcpy(n->value, v, size);
    return 1;
}

static int vtype_of(val v, int *out) {
    if (!v) { *out = VT_AUTO; return 1; }
    if (!val_is_str(v)) return 0;
    size_t n;
    const char *s = val_str(v, &n);
    char name[32];
    if (n >= sizeof name) { *out = VT_INVALID; return 1; }
    memcpy(name, s, n);
    name[n] = 0;
    *out = vtype_from_name(name);
    return 1;
}

static qnode *compile(val json, int depth, char *err, size_t cap) {
    if (depth > MAX_NODE_DEPTH) { fail(err, cap, "queryNode nested deeper than 100 levels%.*s", NULL, 0); return NULL; }
    if (json[0] != T_OBJ) { fail(err, cap, "a query node must be an object%.*s", NULL, 0); return NULL; }
    val type = val_member(json, "type");
    if (!val_is_str(type)) { fail(err, cap, "a query node needs a string 'type'%.*s", NULL, 0); return NULL; }
    size_t tlen;
    const char *tname = val_str(type, &tlen);
    int op = -1;
    for (size_t i = 0; i < sizeof node_types / sizeof node_types[0] && op < 0; i++)   /* names are unique */
        if (tlen && tname[0] == node_types[i].name[0] && strlen(node_types[i].name) == tlen && memcmp(tname, node_types[i].name, tlen) == 0) op = node_types[i].op;
    if (op < 0) { fail(err, cap, "unknown query node type '%.*s'", tname, tlen); return NULL; }
    qnode *n = calloc(1, sizeof *n);
    if (!n) { fail(err, cap, "out of memory%.*s", NULL, 0); return NULL; }
    n->op = op;
    int ok = 1;
    if (op == N_AND || op == N_OR) {
        val conds = val_member(json, "conditions");
        if (!conds || conds[0] != T_ARR) ok = fail(err, cap, "node %.*s needs a 'conditions' list", tname, tlen);
        uint32_t count = ok ? val_count(conds) : 0;
        if (ok && count && !(n->kids = calloc(count, sizeof *n->kids))) ok = fail(err, cap, "out of memory%.*s", NULL, 0);
        val_iter it;
        if (ok) val_iter_init(&it, conds);
        for (val c; ok && (c = val_iter_next(&it, 0));) {
            qnode *k = compile(c, depth + 1, err, cap);
            if (!k) ok = 0; else { n->kids[n->nkids++] = k; n->may_fail |= k->may_fail; }
        }
    } else if (op == N_NOT) {
        val c = val_member(json, "condition");
        if (!c) ok = fail(err, cap, "node not_ needs a 'condition'%.*s", NULL, 0);
        else if ((n->kids = calloc(1, sizeof *n->kids)) == NULL) ok = fail(err, cap, "out of memory%.*s", NULL, 0);
        else if ((n->kids[0] = compile(c, depth + 1, err, cap)) == NULL) ok = 0;
        else { n->nkids = 1; n->may_fail = n->kids[0]->may_fail; }
    } else {
        ok = set_field(n, json, tname, tlen, err, cap);
        if (ok && op == N_REGEX) {
            val p = val_member(json, "pattern");
            if (!val_is_str(p)) ok = fail(err, cap, "node regex_ needs a string 'pattern'%.*s", NULL, 0);
            else {
                char rxerr[160];
                size_t plen;
                const char *pat = val_str(p, &plen);
                n->re = rx_compile(pat, plen, rxerr, sizeof rxerr);
                if (!n->re) ok = fail(err, cap, "invalid regex: %.*s", rxerr, strlen(rxerr));
            }
        } else if (ok && (op == N_IN || op == N_NOTIN)) {
            val vs = val_member(json, "values");
            if (!vs || vs[0] != T_ARR) ok = fail(err, cap, "node %.*s needs a 'values' list", tname, tlen);
            else ok = set_value(n, vs, err, cap);
        } else if (ok) {
            if (!vtype_of(val_member(json, "vType"), &n->vtype)) ok = fail(err, cap, "vType must be a string%.*s", NULL, 0);
            else if (n->vtype == VT_INVALID) {
                size_t vl;
                const char *vn = val_str(val_member(json, "vType"), &vl);
                ok = fail(err, cap, "unknown vType '%.*s'", vn, vl);
            }
            if (ok) ok = set_value(n, val_obj_get(json, "value", 5), err, cap);
            if (ok && (op == N_STARTS || op == N_ENDS || op == N_CONTAINS)) n->vtype = VT_AUTO;
            if (ok && (op == N_STARTS || op == N_ENDS)) {
                /* str(f).startswith(v) raises TypeError unless v is a string: the query fails
                   when a document with a non-null field reaches this node. */
                n->vtype = VT_STRING;
                if (n->value[0] == T_STR || n->value[0] == T_STRX) convert_node_value(n);
                else n->may_fail = 1;
            } else if (ok) {
                convert_node_value(n);
                if (!n->cv.ok && n->vtype == VT_DATETIME && n->value[0] != T_NULL)
                    ok = fail(err, cap, "value of a datetime_ node is not an ISO 8601 datetime%.*s", NULL, 0);
            }
        }
    }
    if (!ok) { node_free(n); return NULL; }
    return n;
}

qnode *node_compile(val json, char *err, size_t errcap) {
    return compile(json, 1, err, errcap);
}

/* ---- planning ---- */

static int indexable_value(val v) {
    return v[0] == T_FALSE || v[0] == T_TRUE || val_kind(v) == K_NUM || val_kind(v) == K_STR;
}

int node_equality_terms(const qnode *n, eq_term *terms, int max) {
    /* A node that can fail the query must see every document Python would evaluate. */
    if (n->may_fail) return 0;
    switch (n->op) {
    case N_EQ:
        if (n->vtype != VT_AUTO || !indexable_value(n->value) || max < 1) return 0;
        terms[0] = (eq_term){n->field, n->flen, n->value};
        return 1;
    case N_AND:
        /* Any one child with terms is a necessary condition for the whole conjunction. */
        for (size_t i = 0; i < n->nkids; i++) {
            int k = node_equality_terms(n->kids[i], terms, max);
            if (k) return k;
        }
        return 0;
    case N_OR: {
        int total = 0;
        for (size_t i = 0; i < n->nkids; i++) {
            int k = node_equality_terms(n->kids[i], terms + total, max - total);
            if (!k) return 0;   /* one branch needs a scan: so does the whole or_ */
            total += k;
        }
        return total;
    }
    default:
        return 0;
    }
}

/* A leaf greaterThan_/lessThan_/...OrEqual_ with auto_ and a number or a string: its bounds.
   NaN has no place in an order, so it gives no term. */
static int leaf_range(const qnode *n, range_term *t) {
    if (n->vtype != VT_AUTO) return 0;
    memset(t, 0, sizeof *t);
    t->field = n->field;
    t->flen = n->flen;
    t->lo = -INFINITY;
    t->hi = INFINITY;
    int lower = n->op == N_GT || n->op == N_GE, strict = n->op == N_GT || n->op == N_LT;
    if (val_kind(n->value) == K_STR) {
        size_t len;
        const char *s = val_str(n->value, &len);
        t->is_str = 1;
        t->exact = 1;
        if (lower) t->has_lo = 1, t->lo_s = s, t->lo_n = len, t->lo_strict = strict;
        else t->has_hi = 1, t->hi_s = s, t->hi_n = len, t->hi_strict = strict;
        return 1;
    }
    if (val_kind(n->value) != K_NUM) return 0;
    double v = val_num(n->value);
    if (isnan(v)) return 0;
    t->exact = fabs(v) < 9007199254740992.0;
    if (lower) t->has_lo = 1, t->lo = v, t->lo_strict = strict;
    else t->has_hi = 1, t->hi = v, t->hi_strict = strict;
    return 1;
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn) {
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? (c < 0 ? -1 : 1) : (an < bn ? -1 : an > bn);
}

/* Narrows t by k (same field, same kind): the tighter bound wins; at a tie, strict wins. */
static void narrow(range_term *t, const range_term *k) {
    t->exact &= k->exact;
    if (k->has_lo) {
        int c = !t->has_lo ? 1 : t->is_str ? bytes_cmp(k->lo_s, k->lo_n, t->lo_s, t->lo_n) : (k->lo > t->lo) - (k->lo < t->lo);
        if (c > 0) { t->has_lo = 1; t->lo = k->lo; t->lo_s = k->lo_s; t->lo_n = k->lo_n; t->lo_strict = k->lo_strict; }
        else if (c == 0) t->lo_strict |= k->lo_strict;
    }
    if (k->has_hi) {
        int c = !t->has_hi ? -1 : t->is_str ? bytes_cmp(k->hi_s, k->hi_n, t->hi_s, t->hi_n) : (k->hi > t->hi) - (k->hi < t->hi);
        if (c < 0) { t->has_hi = 1; t->hi = k->hi; t->hi_s = k->hi_s; t->hi_n = k->hi_n; t->hi_strict = k->hi_strict; }
        else if (c == 0) t->hi_strict |= k->hi_strict;
    }
}

int node_range_term(const qnode *n, range_term *t) {
    if (n->may_fail) return 0;
    switch (n->op) {
    case N_GT: case N_GE: case N_LT: case N_LE: return leaf_range(n, t);
    case N_AND: {
        /* Any one child's range is a necessary condition; the others on the same field and
           of the same kind narrow it. */
        int found = 0, pure = 1;
        for (size_t i = 0; i < n->nkids; i++) {
            range_term k;
            int leaf = n->kids[i]->op >= N_GT && n->kids[i]->op <= N_LE;
            if (!leaf || !node_range_term(n->kids[i], &k)) { pure = 0; continue; }
            if (!found) { *t = k; found = 1; continue; }
            if (k.flen != t->flen || memcmp(k.field, t->field, k.flen) != 0 || k.is_str != t->is_str) { pure = 0; continue; }
            narrow(t, &k);
        }
        if (!found) {   /* no leaf child: maybe a nested and_ gives a necessary range */
            for (size_t i = 0; i < n->nkids; i++)
                if (node_range_term(n->kids[i], t)) { t->exact = 0; return 1; }
            return 0;
        }
        t->exact &= pure;
        return 1;
    }
    default:
        return 0;
    }
}

int node_range_terms(const qnode *n, range_term *terms, int max) {
    if (max < 1 || n->may_fail) return 0;
    if (n->op != N_OR) return node_range_term(n, terms);
    int total = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        int k = node_range_terms(n->kids[i], terms + total, max - total);
        if (!k) return 0;   /* one branch needs a scan: so does the whole or_ */
        total += k;
    }
    return total;
}

/* ---- evaluate ---- */

/* Converts field f for an int_, float or datetime_ comparison, as Python's int(str(f)),
   float(str(f)), fromisoformat(str(f)). 0 when Python would raise: the comparison is false. */
static int field_int(node_ctx *ctx, val f, py_int *out) {
    buf_clear(&ctx->lower);
    return conv_int(f, &ctx->lower, out, 0);
}

static int field_float(node_ctx *ctx, val f, double *out) {
    buf_clear(&ctx->lower);
    return conv_float(f, &ctx->lower, out, 0);
}

/* Compares the text of f (str(f), lower-cased for boolean_ and stringIgnoreCase_) with the
   node's text. Returns 0 on out of memory. */
static int text_compare(const qnode *n, val f, node_ctx *ctx, int *c) {
    size_t len;
    const char *s = conv_pystr(f, &ctx->scratch, &len);
    if (!s) return 0;
    if (n->vtype != VT_STRING) {
        buf_clear(&ctx->lower);
        text_lower_utf8(&ctx->lower, s, len);
        if (ctx->lower.oom) return 0;
        s = ctx->lower.data ? ctx->lower.data : "";
        len = ctx->lower.len;
    }
    int r = memcmp(s, n->cv.s, len < n->cv.n ? len : n->cv.n);
    *c = r ? (r < 0 ? -1 : 1) : (len < n->cv.n ? -1 : len > n->cv.n);
    return 1;
}

/* equals_ (want_equal 1) and notEquals_ (0). A conversion that fails makes both false. */
static int match_eq_ne(const qnode *n, val f, node_ctx *ctx, int want_equal) {
    const conv_value *cv = &n->cv;
    if (!f) f = null_value;
    int eq;
    switch (n->vtype) {
    case VT_AUTO: {
        /* Scans compare one field of every document: give the common kinds a short path. */
        val v = n->value;
        if (val_is_int(f) && val_is_int(v)) eq = val_int(f) == val_int(v);
        else if ((f[0] == T_STR || f[0] == T_STRX) && (v[0] == T_STR || v[0] == T_STRX)) {
            uint32_t fl = rd32(f + 1);
            eq = fl == rd32(v + 1) && memcmp(f + 5, v + 5, fl) == 0;
        } else {
            eq = val_equal(f, v);
        }
        break;
    }
    case VT_DATETIME: {
        dt_instant t;
        if (!cv->ok || !conv_datetime(f, &ctx->scratch, &t)) return 0;
        /* Python: a naive datetime never equals an aware one (no error for == and !=). */
        eq = t.has_offset == cv->t.has_offset && t.micros == cv->t.micros;
        break;
    }
    case VT_INT: {
        py_int i;
        if (!cv->ok || !field_int(ctx, f, &i)) return 0;
        eq = py_int_cmp(&i, ctx->lower.data, &cv->i, cv->s) == 0;
        break;
    }
    case VT_FLOAT: case VT_FLOATEPS: {
        double d;
        if (!cv->ok || !field_float(ctx, f, &d)) return 0;
        /* Written as Python writes them, so NaN behaves the same (NaN != x, and
           abs(NaN - x) is neither < nor >= 1e-12). */
        if (n->vtype == VT_FLOAT) return want_equal ? d == cv->d : d != cv->d;
        return want_equal ? fabs(d - cv->d) < 1e-12 : fabs(d - cv->d) >= 1e-12;
    }
    default: {
        int c;
        if (!cv->ok || !text_compare(n, f, ctx, &c)) return 0;
        eq = c == 0;
    }
    }
    return want_equal ? eq : !eq;
}

/* greaterThan_, lessThan_, greaterThanOrEqual_, lessThanOrEqual_. */
static int match_order(const qnode *n, val f, node_ctx *ctx) {
    const conv_value *cv = &n->cv;
    if (!f || f[0] == T_NULL || n->value[0] == T_NULL) return 0;
    int c;
    switch (n->vtype) {
    case VT_AUTO: {
        if (val_is_int(f) && val_is_int(n->value)) {   /* the common scan: int against int */
            int64_t x = val_int(f), y = val_int(n->value);
            c = x < y ? -1 : x > y;
            break;
        }
        int bad = 0;
        c = val_order(f, n->value, &bad);
        if (bad) return 0;
        break;
    }
    case VT_BOOL:
        return 0;
    case VT_DATETIME: {
        dt_instant t;
        /* Python refuses to order naive against aware (TypeError): false. */
        if (!cv->ok || !conv_datetime(f, &ctx->scratch, &t) || t.has_offset != cv->t.has_offset) return 0;
        c = t.micros < cv->t.micros ? -1 : t.micros > cv->t.micros;
        break;
    }
    case VT_INT: {
        py_int i;
        if (!cv->ok || !field_int(ctx, f, &i)) return 0;
        c = py_int_cmp(&i, ctx->lower.data, &cv->i, cv->s);
        break;
    }
    case VT_FLOAT: case VT_FLOATEPS: {
        double d;
        if (!cv->ok || !field_float(ctx, f, &d)) return 0;
        if (n->vtype == VT_FLOATEPS) {
            switch (n->op) {
            case N_GT: return d - cv->d > 1e-12;
            case N_LT: return cv->d - d > 1e-12;
            case N_GE: return d - cv->d >= -1e-12;
            default: return cv->d - d >= -1e-12;
            }
        }
        switch (n->op) {   /* C's comparisons treat NaN as Python's do */
        case N_GT: return d > cv->d;
        case N_LT: return d < cv->d;
        case N_GE: return d >= cv->d;
        default: return d <= cv->d;
        }
    }
    default:
        if (!cv->ok || !text_compare(n, f, ctx, &c)) return 0;
    }
    switch (n->op) {
    case N_GT: return c > 0;
    case N_LT: return c < 0;
    case N_GE: return c >= 0;
    default: return c <= 0;
    }
}

static int match_in(const qnode *n, val f) {
    if (!f) f = null_value;
    val_iter it;
    val_iter_init(&it, n->value);
    val x;
    while ((x = val_iter_next(&it, 0)))
        if (val_equal(f, x)) return 1;
    return 0;
}

static int match_contains(const qnode *n, val f) {
    if (!f) return 0;
    if (f[0] == T_ARR) {
        val_iter it;
        val_iter_init(&it, f);
        val x;
        while ((x = val_iter_next(&it, 0)))
            if (val_equal(x, n->value)) return 1;
        return 0;
    }
    if (val_kind(f) != K_STR || val_kind(n->value) != K_STR) return 0;
    size_t hl, nl;
    const char *h = val_str(f, &hl), *needle = val_str(n->value, &nl);
    if (nl == 0) return 1;
    for (size_t i = 0; i + nl <= hl; i++)
        if (h[i] == needle[0] && memcmp(h + i, needle, nl) == 0) return 1;
    return 0;
}

/* Adds the top-level key of n's field (its first segment) to keys[0..count) unless it is
   there; returns the new count, or -1 when it would exceed max. */
static int add_top_key(const qnode *n, const char **keys, size_t *lens, int count, int max) {
    const char *dot = n->dotted ? memchr(n->field, '.', n->flen) : NULL;
    size_t len = dot ? (size_t)(dot - n->field) : n->flen;
    for (int i = 0; i < count; i++)
        if (lens[i] == len && memcmp(keys[i], n->field, len) == 0) return count;
    if (count == max) return -1;
    keys[count] = n->field;
    lens[count] = len;
    return count + 1;
}

static int top_keys(const qnode *n, const char **keys, size_t *lens, int count, int max) {
    if (n->op != N_AND && n->op != N_OR && n->op != N_NOT) return add_top_key(n, keys, lens, count, max);
    for (size_t i = 0; i < n->nkids && count >= 0; i++) count = top_keys(n->kids[i], keys, lens, count, max);
    return count;
}

int node_top_keys(const qnode *n, const char **keys, size_t *lens, int max) {
    return top_keys(n, keys, lens, 0, max);
}

void node_view_of(const qnode *n, node_view *v) {
    memset(v, 0, sizeof *v);
    v->kind = n->op == N_AND ? NV_AND : n->op == N_OR ? NV_OR : n->op == N_NOT ? NV_NOT
            : n->op >= N_EQ && n->op <= N_LE && n->vtype == VT_AUTO && !n->dotted ? NV_CMP : NV_OTHER;
    v->cmp = n->op - N_EQ;
    v->field = n->field;
    v->flen = n->flen;
    v->value = n->value;
    v->kids = n->kids;
    v->nkids = n->nkids;
}

void node_ctx_begin(node_ctx *ctx) {
    ctx->error = NULL;
    ctx->regex_left = RX_QUERY_BUDGET;
}

int node_match(const qnode *n, val d, node_ctx *ctx) {
    /* The common scan: a comparison with auto_ on a top-level field, an int against an int
       (the same answers as match_eq_ne and match_order give). */
    if (n->op >= N_EQ && n->op <= N_LE && n->vtype == VT_AUTO && !n->dotted) {
        val f = val_obj_get(d, n->field, n->flen), v = n->value;
        if (f && val_is_int(f) && val_is_int(v)) {
            int64_t x = val_int(f), y = val_int(v);
            switch (n->op) {
            case N_EQ: return x == y;
            case N_NE: return x != y;
            case N_GT: return x > y;
            case N_LT: return x < y;
            case N_GE: return x >= y;
            default: return x <= y;
            }
        }
        if (n->op <= N_NE && f && (f[0] == T_STR || f[0] == T_STRX) && (v[0] == T_STR || v[0] == T_STRX)) {
            uint32_t fl = rd32(f + 1);
            int eq = fl == rd32(v + 1) && memcmp(f + 5, v + 5, fl) == 0;
            return n->op == N_EQ ? eq : !eq;
        }
        return n->op <= N_NE ? match_eq_ne(n, f, ctx, n->op == N_EQ) : match_order(n, f, ctx);
    }
    switch (n->op) {
    case N_AND:
        for (size_t i = 0; i < n->nkids; i++)
            if (!node_match(n->kids[i], d, ctx)) return 0;
        return 1;
    case N_OR:
        for (size_t i = 0; i < n->nkids; i++)
            if (node_match(n->kids[i], d, ctx)) return 1;
        return 0;
    case N_NOT:
        return !node_match(n->kids[0], d, ctx);
    default: break;
    }
    val f = n->dotted ? val_path(d, n->field, n->flen) : val_obj_get(d, n->field, n->flen);
    switch (n->op) {
    case N_EQ: case N_NE: return match_eq_ne(n, f, ctx, n->op == N_EQ);
    case N_GT: case N_LT: case N_GE: case N_LE: return match_order(n, f, ctx);
    case N_IN: return match_in(n, f);
    case N_NOTIN: return !match_in(n, f);
    case N_CONTAINS: return match_contains(n, f);
    case N_REGEX: {
        if (!f || f[0] == T_NULL) return 0;
        size_t len;
        const char *s = conv_pystr(f, &ctx->scratch, &len);
        if (!s) return 0;
        if (ctx->error) return 0;   /* the budget is spent: the query is failing */
        int r = rx_search_metered(n->re, s, len, &ctx->regex_left);
        if (r < 0) { ctx->error = "regex_: the query ran out of its regex budget (the pattern backtracks too much for these documents)"; return 0; }
        return r;
    }
    default: { /* startsWith_, endsWith_ */
        if (!f || f[0] == T_NULL) return 0;
        if (n->may_fail) { ctx->error = "startsWith_/endsWith_ needs a string value"; return 0; }
        if (!n->cv.ok) return 0;
        size_t len;
        const char *s = conv_pystr(f, &ctx->scratch, &len);
        if (!s || len < n->cv.n) return 0;
        const char *at = n->op == N_STARTS ? s : s + len - n->cv.n;
        return memcmp(at, n->cv.s, n->cv.n) == 0;
    }
    }
}
