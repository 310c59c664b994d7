/*
 * commits.c: the commit table: for each kept commit its seq, stable id, time, cause and the
 * query as executed; the ids of new commits; undo/redo derived from the records; the
 * public calls that list commits and map a time to a seq.
 *
 * Owns db->commits. Invariants:
 * - recs[i].seq == recs[0].seq + i, and recs[0].seq == oldest + 1 when any is kept: one
 *   record per kept commit, made in the same call as the commit (commits_record is the last
 *   step that can fail before a commit is published) or not at all;
 * - a new commit's time is at least the previous commit's; a commit that keeps its time from
 *   an earlier life (replay, rebase: the meta names its id) keeps it as it was, and
 *   order_time, never going backwards, is what time lookups search;
 * - an id, once given, never changes: replay, rebase and import pass it back in the meta;
 * - the cause and the query are kept as the exact JSON text that was checked and executed
 *   (printed canonically), except a single add's documents, which are kept once, in the row
 *   versions, and put back into the query text when it is written out (commits_put), and a
 *   query's shape, kept once per log as a template, its record keeping only its literal
 *   values (commits_split_query; commits_put_query_text puts the text back together).
 * The meta of a call is checked whole (commits_begin) before the call changes anything.
 */
#include "hsint.h"
#include "fmt.h"
#include "strtod.h"
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_ID 128
#define DATE_MAX_MS 8.64e15
/* A cause may nest as deep as a document, plus a little for wrapping objects. */
#define CAUSE_MAX_DEPTH (VAL_MAX_DEPTH + 8)

void (*hs_heap_hint_fn)(void);
void hs_set_heap_hint(void (*fn)(void)) { hs_heap_hint_fn = fn; }

static size_t skip_ws(const char *t, size_t len, size_t p) {
    while (p < len && (t[p] == ' ' || t[p] == '\n' || t[p] == '\r' || t[p] == '\t')) p++;
    return p;
}

/* An id or origin: 1..MAX_ID characters, printable ASCII other than '"' and '\\'. */
static int plain_id(const char *s, size_t n) {
    if (n == 0 || n > MAX_ID) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\') return 0;
    return 1;
}

/* The string value at t[p] (a quoted id without escapes) into s and n; 0 if it is not one. */
static int id_value(const char *t, size_t len, size_t p, size_t end, const char **s, size_t *n) {
    (void)len;
    if (t[p] != '"' || end < p + 2 || t[end - 1] != '"') return 0;
    *s = t + p + 1;
    *n = end - p - 2;
    return plain_id(*s, *n);
}

hs_rc commits_begin(hs_db *db, const char *meta, size_t mlen) {
    commit_meta *m = &db->meta;
    memset(m, 0, sizeof *m);
    m->time = NAN;
    if (!meta || !mlen) return HS_OK;
    /* Strict RFC 8259 check of the whole text first (depth-limited), then pick the members. */
    buf enc;
    buf_init(&enc);
    size_t pos = 0;
    const char *e = jscan_value_depth(meta, mlen, &pos, &enc, CAUSE_MAX_DEPTH);
    int is_obj = !e && enc.len && enc.data[0] == T_OBJ;
    buf_free(&enc);
    if (!e && skip_ws(meta, mlen, pos) != mlen) e = "unexpected text after the JSON value";
    char msg[200];
    if (e) { hs_snprintf(msg, sizeof msg, "commit meta: %s", e); return db_error(db, msg); }
    if (!is_obj) return db_error(db, "commit meta must be an object");
    size_t p = skip_ws(meta, mlen, 0) + 1;
    for (;;) {
        p = skip_ws(meta, mlen, p);
        if (p >= mlen || meta[p] == '}') break;
        if (meta[p] == ',') { p++; continue; }
        size_t kend = jscan_skip(meta, mlen, p);
        const char *key = meta + p + 1;
        size_t klen = kend - p - 2;
        p = skip_ws(meta, mlen, kend) + 1;   /* past ':' */
        p = skip_ws(meta, mlen, p);
        size_t vend = jscan_skip(meta, mlen, p);
#define KEY(lit) (klen == sizeof lit - 1 && memcmp(key, lit, klen) == 0)
        if (KEY("time")) {
            if (meta[p] != 'n') {
                char num[64];
                size_t n = vend - p;
                if (n >= sizeof num || meta[p] == '"' || meta[p] == '{' || meta[p] == '[' || meta[p] == 't' || meta[p] == 'f')
                    return db_error(db, "commit meta: time must be a number of milliseconds");
                memcpy(num, meta + p, n);
                num[n] = 0;
                m->time = hs_strtod(num, NULL);
                if (!isfinite(m->time) || fabs(m->time) > DATE_MAX_MS) return db_error(db, "commit meta: time is outside the Date range");
            }
        } else if (KEY("cause")) {
            if (!(vend - p == 4 && memcmp(meta + p, "null", 4) == 0)) { m->cause = meta + p; m->cause_len = vend - p; }
        } else if (KEY("id")) {
            if (!id_value(meta, mlen, p, vend, &m->id, &m->id_len)) return db_error(db, "commit meta: id must be a string of 1 to 128 printable ASCII characters without quotes or backslashes");
        } else if (KEY("undo") || KEY("redo")) {
            if (!id_value(meta, mlen, p, vend, &m->ref, &m->ref_len)) return db_error(db, "commit meta: undo/redo must name a commit id");
            m->ref_kind = KEY("undo") ? CK_UNDO : CK_REDO;
        } else if (KEY("minSeq")) {
            char num[32];
            size_t n = vend - p;
            if (n >= sizeof num) return db_error(db, "commit meta: minSeq must be a seq");
            memcpy(num, meta + p, n);
            num[n] = 0;
            char *endp;
            unsigned long long v = hs_strtou64(num, &endp);
            if (*endp || num[0] == '-' || v > UINT32_MAX) return db_error(db, "commit meta: minSeq must be a seq");
            m->min_seq = (uint32_t)v;
        }
#undef KEY
        p = vend;
    }
    return HS_OK;
}

static double next_time(const commit_log *l, double want) {
    if (isnan(want)) return isnan(l->last_time) ? 0 : l->last_time;
    return isnan(l->last_time) || want > l->last_time ? want : l->last_time;
}

/* Copies JSON text (already checked strictly) without the white space between tokens, so
   a record reads back byte for byte from a dump, which keeps values, not their spacing.
   Returns the bytes written (at most n). */
static size_t copy_minified(char *w, const char *s, size_t n) {
    size_t k = 0;
    int in_string = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_string) {
            w[k++] = c;
            if (c == '\\' && i + 1 < n) w[k++] = s[++i];
            else if (c == '"') in_string = 0;
        } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            w[k++] = c;
            in_string = c == '"';
        }
    }
    return k;
}

/* Prints a commit's cause or query canonically (val_print), as a dump's loader prints it, so a
   record reads back byte for byte whatever spacing and escapes the caller's text had. For an
   add (is_add), prints member by member and sets *add_at where the top-level addData's 0 lands
   (relative to where printing started); returns 0 when there is no such 0. */
int commit_print_query(buf *o, val q, int is_add, size_t *add_at) {
    if (!is_add) { val_print(o, q); return 1; }
    size_t at = o->len;
    int found = 0;
    val_iter mi;
    val_iter_init(&mi, q);
    buf_putc(o, '{');
    int first = 1;
    for (val m; (m = val_iter_next(&mi, 1));) {
        if (!first) buf_putc(o, ',');
        first = 0;
        buf_put_json_string(o, mi.key, mi.klen);
        buf_putc(o, ':');
        if (mi.klen == 7 && memcmp(mi.key, "addData", 7) == 0 && val_is_int(m) && val_int(m) == 0) { found = 1; *add_at = o->len - at; }
        val_print(o, m);
    }
    buf_putc(o, '}');
    return found;
}

/* 1 when minified JSON text s is already what val_print writes, checked in one pass without
   decoding: strings with nothing to escape, integers of at most 15 digits other than -0,
   literals, and structure (replayed and imported records are canonical already; parsing and
   printing each one again was a quarter of replay). Anything else: 0 (the full path). A
   duplicate key, refused when the text was checked, would keep the text as is on both paths. */
/* The end (past the closing quote) of the string at t[i] == '"' when it is written as
   val_print writes it, with nothing escaped (no backslash, no byte below 0x20); 0 otherwise. */
static size_t canonical_string_end(const char *t, size_t n, size_t i) {
    for (i++; i < n && t[i] != '"'; i++)
        if (t[i] == '\\' || (unsigned char)t[i] < 0x20) return 0;
    return i < n ? i + 1 : 0;
}

static int already_canonical(const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"') {
            if (!(i = canonical_string_end(s, n, i))) return 0;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start = i;
            if (c == '-') i++;
            size_t digits = i;
            while (i < n && s[i] >= '0' && s[i] <= '9') i++;
            digits = i - digits;
            if (digits == 0 || digits > 15 || (digits > 1 && s[i - digits] == '0')) return 0;
            if (c == '-' && digits == 1 && s[start + 1] == '0') return 0;
            if (i < n && (s[i] == '.' || s[i] == 'e' || s[i] == 'E')) return 0;
        } else if (c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':') {
            i++;
        } else if (c == 't' && i + 4 <= n && memcmp(s + i, "true", 4) == 0) i += 4;
        else if (c == 'f' && i + 5 <= n && memcmp(s + i, "false", 5) == 0) i += 5;
        else if (c == 'n' && i + 4 <= n && memcmp(s + i, "null", 4) == 0) i += 4;
        else return 0;
    }
    return 1;
}

/* Appends the canonical form of JSON text s (already checked strictly); 0 on out of memory.
   The texts were checked before, so a parse error cannot happen; if it did, s is kept as is. */
static int put_canonical(buf *o, const char *s, size_t n, int is_add, size_t *add_at) {
    if (!is_add && already_canonical(s, n)) { buf_put(o, s, n); return !o->oom; }
    buf enc;
    buf_init(&enc);
    size_t pos = 0;
    const char *e = jscan_value_depth(s, n, &pos, &enc, 1000);
    if (e || enc.oom) { buf_put(o, s, n); }
    else if (!commit_print_query(o, (val)enc.data, is_add, add_at)) { buf_free(&enc); return 0; }
    int ok = !enc.oom && !o->oom;
    buf_free(&enc);
    return ok;
}

/* ---- ids: most are origin "." counter, and a log holds few origins: a record keeps the
   counter's digits and the index of its origin in the log's prefix table. ---- */

size_t commit_id(const commit_log *l, const commit_rec *r, char *out) {
    size_t n = 0;
    if (r->id_prefix) {
        const char *p = l->id_prefixes[r->id_prefix - 1];
        n = strlen(p);
        memcpy(out, p, n);
        out[n++] = '.';
    }
    memcpy(out + n, r->text, r->id_len);
    return n + r->id_len;
}

size_t commits_store_id(commit_log *l, buf *o, const char *id, size_t n, uint8_t *prefix) {
    *prefix = 0;
    size_t dot = n;
    while (dot > 0 && id[dot - 1] != '.') dot--;
    /* prefix "." digits, without a leading zero (so the digits print back the same) */
    int counter = dot >= 2 && dot < n && n - dot <= 20 && (id[dot] != '0' || n - dot == 1);
    for (size_t i = dot; counter && i < n; i++) counter = id[i] >= '0' && id[i] <= '9';
    if (counter) {
        size_t k = 0, plen = dot - 1;
        while (k < l->nprefix && !(strlen(l->id_prefixes[k]) == plen && memcmp(l->id_prefixes[k], id, plen) == 0)) k++;
        if (k == l->nprefix && k < sizeof l->id_prefixes / sizeof l->id_prefixes[0]) {
            char *copy = malloc(plen + 1);
            if (!copy) return 0;
            memcpy(copy, id, plen);
            copy[plen] = 0;
            l->id_prefixes[l->nprefix++] = copy;
        }
        if (k < l->nprefix) {
            *prefix = (uint8_t)(k + 1);
            buf_put(o, id + dot, n - dot);
            return o->oom ? 0 : n - dot;
        }
    }
    buf_put(o, id, n);
    return o->oom ? 0 : n;
}

static void free_prefixes(commit_log *l) {
    for (size_t k = 0; k < l->nprefix; k++) free(l->id_prefixes[k]);
    l->nprefix = 0;
}

/* ---- query templates: most commits run a few query shapes with other values (an updateOne
   of one document by id), so each record keeps the shape once per log and its own literal
   values: an updateOne's record shrinks from ~125 bytes of text to its ~13 bytes of values. */

#define TMPL_MARK '\x01'          /* a literal's place; canonical JSON never holds a raw 0x01 */
#define TMPL_MAX_LITERALS 64
#define TMPL_MAX_LEN 2048

static uint32_t tmpl_hash(const char *t, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)t[i]) * 16777619u;
    return h;
}

/* Where literal token t[i..] ends (canonical JSON: a string, a number or a keyword). */
static size_t literal_end(const char *t, size_t n, size_t i) {
    if (t[i] == '"') {
        for (i++; i < n && t[i] != '"'; i++) if (t[i] == '\\') i++;
        return i < n ? i + 1 : n;
    }
    while (i < n && t[i] != ',' && t[i] != ']' && t[i] != '}') i++;
    return i;
}

/* The template's index + 1, interned when new; 0 on out of memory. */
static uint32_t tmpl_intern(commit_log *l, const char *t, size_t n) {
    if (l->tmpl_last && l->tmpl_last <= l->ntmpl) {   /* the usual case: the last one again */
        const query_tmpl *q = &l->tmpls[l->tmpl_last - 1];
        if (q->len == n && memcmp(q->text, t, n) == 0) return l->tmpl_last;
    }
    uint32_t h = tmpl_hash(t, n);
    if (l->tmpl_slots) {
        for (uint32_t k = h & l->tmpl_mask;; k = (k + 1) & l->tmpl_mask) {
            uint32_t e = l->tmpl_slots[k];
            if (!e) break;
            const query_tmpl *q = &l->tmpls[e - 1];
            if (q->hash == h && q->len == n && memcmp(q->text, t, n) == 0) return l->tmpl_last = e;
        }
    }
    if (l->ntmpl == l->captmpl) {
        size_t cap = l->captmpl ? l->captmpl * 2 : 8;
        query_tmpl *grown = realloc(l->tmpls, cap * sizeof *grown);
        if (!grown) return 0;
        l->tmpls = grown;
        l->captmpl = cap;
    }
    if (!l->tmpl_slots || (l->ntmpl + 1) * 2 > (size_t)l->tmpl_mask + 1) {
        uint32_t size = l->tmpl_slots ? (l->tmpl_mask + 1) * 2 : 16;
        uint32_t *slots = calloc(size, sizeof *slots);
        if (!slots) return 0;
        for (size_t i = 0; i < l->ntmpl; i++) {
            uint32_t k = l->tmpls[i].hash & (size - 1);
            while (slots[k]) k = (k + 1) & (size - 1);
            slots[k] = (uint32_t)i + 1;
        }
        free(l->tmpl_slots);
        l->tmpl_slots = slots;
        l->tmpl_mask = size - 1;
    }
    char *copy = malloc(n ? n : 1);
    if (!copy) return 0;
    memcpy(copy, t, n);
    l->tmpls[l->ntmpl] = (query_tmpl){copy, (uint32_t)n, h};
    uint32_t k = h & l->tmpl_mask;
    while (l->tmpl_slots[k]) k = (k + 1) & l->tmpl_mask;
    l->tmpl_slots[k] = (uint32_t)++l->ntmpl;
    return l->tmpl_last = (uint32_t)l->ntmpl;
}

/* Members whose string values name things (a collection, a query or node type, a field, a
   format version): few distinct values, so they stay in the shape. key includes its quotes. */
static int names_a_thing(const char *key, size_t klen) {
    switch (klen) {
    case 6: return memcmp(key, "\"type\"", 6) == 0;
    case 7: return memcmp(key, "\"field\"", 7) == 0 || memcmp(key, "\"vType\"", 7) == 0;
    case 8: return memcmp(key, "\"target\"", 8) == 0;
    case 9: return memcmp(key, "\"version\"", 9) == 0;
    case 11: return memcmp(key, "\"className\"", 11) == 0 || memcmp(key, "\"serialKey\"", 11) == 0;
    default: return 0;
    }
}

/* The end of the canonical number or keyword at t[i] (already_canonical's rules), followed by
   the end of the text or a ',', ']' or '}'; 0 when it is not one. */
static size_t canonical_scalar_end(const char *t, size_t n, size_t i) {
    char c = t[i];
    size_t end = i;
    if (c == '-' || (c >= '0' && c <= '9')) {
        if (c == '-') end++;
        size_t first = end;
        while (end < n && t[end] >= '0' && t[end] <= '9') end++;
        size_t digits = end - first;
        if (digits == 0 || digits > 15 || (digits > 1 && t[first] == '0')) return 0;
        if (c == '-' && digits == 1 && t[first] == '0') return 0;
    } else if (c == 't' && i + 4 <= n && memcmp(t + i, "true", 4) == 0) end = i + 4;
    else if (c == 'f' && i + 5 <= n && memcmp(t + i, "false", 5) == 0) end = i + 5;
    else if (c == 'n' && i + 4 <= n && memcmp(t + i, "null", 4) == 0) end = i + 4;
    else return 0;
    return end == n || t[end] == ',' || t[end] == ']' || t[end] == '}' ? end : 0;
}

/* One pass over query text t: its shape interned as a template (*tmpl its index + 1) and its
   literal values, comma-separated, into lits (*ll bytes); *tmpl 0 when the text is to be kept
   whole (no literal, nothing to gain, or too long). With check, the same pass also checks that
   t is canonical (already_canonical's rules, each scalar ending where literal_end ends it) and
   returns -1 when it is not. 1 done, 0 out of memory. */
static int split_literals(commit_log *l, const char *t, size_t n, int check, uint32_t *tmpl, char *lits, size_t *ll_out) {
    *tmpl = 0;
    char shape[TMPL_MAX_LEN];
    size_t sl = 0, ll = 0, nlit = 0, key = 0, klen = 0, run = 0;   /* run: where the shape text resumes */
    int whole = 0;   /* too many or too long literals: kept whole (still checked when check) */
    for (size_t i = 0; i < n;) {
        char c = t[i];
        size_t end;
        if (c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':') { i++; continue; }
        if (c == '"') {
            if (check) {
                if (!(end = canonical_string_end(t, n, i))) return -1;
            } else end = literal_end(t, n, i);
            if (end < n && t[end] == ':') { key = i; klen = end - i; i = end; continue; }   /* a key */
            if (i > 0 && t[i - 1] == ':' && names_a_thing(t + key, klen)) { i = end; continue; }   /* a name */
        } else if (check) {
            if (!(end = canonical_scalar_end(t, n, i))) return -1;
        } else end = literal_end(t, n, i);
        if (whole) { i = end; continue; }
        /* A literal value: the shape so far, then its mark; the value goes to the literals. */
        if (++nlit > TMPL_MAX_LITERALS || sl + (i - run) + 1 > sizeof shape || ll + (end - i) + 1 > TMPL_MAX_LEN) {
            if (!check) return 1;
            whole = 1;
            i = end;
            continue;
        }
        memcpy(shape + sl, t + run, i - run);
        sl += i - run;
        shape[sl++] = TMPL_MARK;
        if (ll) lits[ll++] = ',';
        memcpy(lits + ll, t + i, end - i);
        ll += end - i;
        i = run = end;
    }
    if (whole || !nlit || ll >= n || sl + (n - run) > sizeof shape) return 1;   /* nothing to gain, or too long: kept whole */
    memcpy(shape + sl, t + run, n - run);
    sl += n - run;
    uint32_t e = tmpl_intern(l, shape, sl);
    if (!e) return 0;
    *tmpl = e;
    *ll_out = ll;
    return 1;
}

/* The fast path of a replay, where most records run the shape the previous one ran: t
   matched against the last template, its fixed text byte for byte and a canonical literal
   (a string without escapes or control bytes, or a canonical scalar) at each mark. A match
   is exactly what split_literals would find: the fixed text decides which strings are keys
   and names, and a literal is followed by the fixed ',', ']' or '}' after it. Returns the
   template (index + 1) with the literals in lits, or 0 when the caller must split. */
static uint32_t match_last_template(const commit_log *l, const char *t, size_t n, char *lits, size_t *ll_out) {
    if (!l->tmpl_last || l->tmpl_last > l->ntmpl) return 0;
    const query_tmpl *q = &l->tmpls[l->tmpl_last - 1];
    size_t i = 0, ll = 0;
    for (const char *s = q->text, *e = q->text + q->len; s < e;) {
        const char *mark = memchr(s, TMPL_MARK, (size_t)(e - s));
        size_t fixed = (size_t)((mark ? mark : e) - s);
        if (fixed > n - i || memcmp(t + i, s, fixed) != 0) return 0;
        i += fixed;
        if (!mark) break;
        s = mark + 1;
        if (i >= n) return 0;
        size_t end;
        if (t[i] == '"') {
            if (!(end = canonical_string_end(t, n, i))) return 0;
        } else if (!(end = canonical_scalar_end(t, n, i))) return 0;
        if (ll + (end - i) + 1 > TMPL_MAX_LEN) return 0;
        if (ll) lits[ll++] = ',';
        memcpy(lits + ll, t + i, end - i);
        ll += end - i;
        i = end;
    }
    if (i != n || ll >= n) return 0;
    *ll_out = ll;
    return l->tmpl_last;
}

int commits_split_query(commit_log *l, buf *o, size_t at, uint32_t *tmpl) {
    char lits[TMPL_MAX_LEN];
    size_t ll = 0;
    if (!split_literals(l, o->data + at, o->len - at, 0, tmpl, lits, &ll)) return 0;
    if (*tmpl) {
        o->len = at;
        buf_put(o, lits, ll);
    }
    return !o->oom;
}

/* A replayed or imported query, canonical already: checked and split in one pass and its
   record's query (literals, or the text whole) appended to o. -1 (o untouched) when the text
   is not canonical, 0 on out of memory, else 1. */
static int put_canonical_query(commit_log *l, buf *o, const char *t, size_t n, uint32_t *tmpl) {
    char lits[TMPL_MAX_LEN];
    size_t ll = 0;
    int r = (*tmpl = match_last_template(l, t, n, lits, &ll)) ? 1 : split_literals(l, t, n, 1, tmpl, lits, &ll);
    if (r <= 0) return r;
    if (*tmpl) buf_put(o, lits, ll);
    else buf_put(o, t, n);
    return !o->oom;
}

void commits_put_query_text(const commit_log *l, const commit_rec *r, buf *o) {
    const char *q = r->text + r->id_len + r->cause_len;
    if (!r->tmpl) { buf_put(o, q, r->query_len); return; }
    const query_tmpl *t = &l->tmpls[r->tmpl - 1];
    /* The text is at most the template and the literals: one reservation, then plain copies
       (a buf_put per piece was half of writing a record). */
    if (!buf_reserve(o, (size_t)t->len + r->query_len)) return;
    char *w = o->data + o->len;
    const char *tt = t->text, *tend = t->text + t->len;
    size_t p = 0;
    for (;;) {
        const char *mark = memchr(tt, TMPL_MARK, (size_t)(tend - tt));
        size_t n = (size_t)((mark ? mark : tend) - tt);
        memcpy(w, tt, n);
        w += n;
        if (!mark) break;
        tt = mark + 1;
        size_t end = literal_end(q, r->query_len, p);
        memcpy(w, q + p, end - p);
        w += end - p;
        p = end + 1;   /* past the ',' between literals */
    }
    o->len = (size_t)(w - o->data);
}

static void free_templates(commit_log *l) {
    for (size_t i = 0; i < l->ntmpl; i++) free(l->tmpls[i].text);
    free(l->tmpls);
    free(l->tmpl_slots);
    l->tmpls = NULL;
    l->tmpl_slots = NULL;
    l->ntmpl = l->captmpl = 0;
    l->tmpl_mask = 0;
}

void commits_move(commit_log *dst, commit_log *src) {
    commits_free(dst);
    dst->recs = src->recs;
    dst->n = src->n;
    dst->cap = src->cap;
    dst->tmpls = src->tmpls;
    dst->ntmpl = src->ntmpl;
    dst->captmpl = src->captmpl;
    dst->tmpl_slots = src->tmpl_slots;
    dst->tmpl_mask = src->tmpl_mask;
    memcpy(dst->id_prefixes, src->id_prefixes, sizeof dst->id_prefixes);
    dst->nprefix = src->nprefix;
    src->nprefix = 0;
    src->recs = NULL;
    src->n = src->cap = 0;
    src->tmpls = NULL;
    src->tmpl_slots = NULL;
    src->ntmpl = src->captmpl = 0;
    src->tmpl_mask = 0;
}

int commits_record(hs_db *db, int kind, uint32_t to_seq, const char *query, size_t qlen, const jscan_span *add_span) {
    commit_log *l = &db->commits;
    const commit_meta *m = &db->meta;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        commit_rec *grown = realloc(l->recs, cap * sizeof *grown);
        if (!grown) return 0;
        l->recs = grown;
        l->cap = cap;
    }
    char idbuf[96];
    const char *id = m->id;
    size_t id_len = m->id_len;
    if (!id) {
        int n = hs_snprintf(idbuf, sizeof idbuf, "%s.%llu", l->origin[0] ? l->origin : "local", (unsigned long long)(l->counter + 1));
        id = idbuf;
        id_len = (size_t)n;
    }
    buf out;
    buf_init(&out);
    uint8_t id_prefix;
    size_t stored_id = commits_store_id(l, &out, id, id_len, &id_prefix);
    if (!stored_id) { buf_free(&out); return 0; }
    size_t add_at = 0, cause_len = 0, at;
    int ok = 1;
    if (m->cause_len) { at = out.len; ok = put_canonical(&out, m->cause, m->cause_len, 0, NULL); cause_len = out.len - at; }
    at = out.len;
    uint32_t tmpl = 0;
    int rkind = query && add_span ? CK_ADD : kind;
    /* Already canonical (a replayed or imported record): kept as it is, no second copy; a
       query's is checked and split into template and literals in one pass. */
    int done = 0;
    if (ok && query && rkind == CK_QUERY && m->tmpl_text) {
        ok = (tmpl = tmpl_intern(l, m->tmpl_text, m->tmpl_len)) != 0;
        buf_put(&out, m->lits, m->lits_len);
        done = 1;
    } else if (ok && query && rkind == CK_QUERY) {
        int r = put_canonical_query(l, &out, query, qlen, &tmpl);
        ok = r != 0;
        done = r > 0;
    } else if (ok && query && !add_span && already_canonical(query, qlen)) {
        buf_put(&out, query, qlen);
        done = 1;
    }
    if (ok && query && !done) {
        /* The query without an add's documents (they are kept once, in the versions), spacing
           dropped, then printed canonically into the record: id, cause, query, ref. */
        size_t cap = add_span ? qlen - (add_span->end - add_span->start) + 1 : qlen;
        char *minified = malloc(cap + 1);
        if (!minified) { buf_free(&out); return 0; }
        char *w = minified;
        if (add_span) {
            w += copy_minified(w, query, add_span->start);
            *w++ = '0';
            w += copy_minified(w, query + add_span->end, qlen - add_span->end);
        } else {
            w += copy_minified(w, query, qlen);
        }
        ok = put_canonical(&out, minified, (size_t)(w - minified), add_span != NULL, &add_at);
        free(minified);
        if (ok && rkind == CK_QUERY) ok = commits_split_query(l, &out, at, &tmpl);
    }
    size_t kept_qlen = out.len - at;
    if (m->ref_len) buf_put(&out, m->ref, m->ref_len);
    if (!ok || out.oom) { buf_free(&out); return 0; }
    char *text = malloc(out.len ? out.len : 1);
    if (!text) { buf_free(&out); return 0; }
    memcpy(text, out.data, out.len);
    buf_free(&out);
    commit_rec *r = &l->recs[l->n++];
    memset(r, 0, sizeof *r);
    r->seq = db->hist.seq;
    r->to_seq = to_seq;
    r->kind = (uint8_t)rkind;
    r->tmpl = tmpl;
    r->add_at = (uint32_t)add_at;
    r->order_time = next_time(l, m->time);
    r->time = m->id && !isnan(m->time) ? m->time : r->order_time;
    r->text = text;
    r->id_len = (uint8_t)stored_id;
    r->id_prefix = id_prefix;
    r->cause_len = (uint32_t)cause_len;
    r->query_len = (uint32_t)kept_qlen;
    r->ref_len = (uint8_t)m->ref_len;
    l->last_time = r->order_time;
    if (!m->id) l->counter++;
    assert(l->n == 1 || l->recs[l->n - 2].seq + 1 == r->seq);
    return 1;
}

void commits_free(commit_log *l) {
    for (size_t i = 0; i < l->n; i++) free(l->recs[i].text);
    free(l->recs);
    l->recs = NULL;
    l->n = l->cap = 0;
    free_templates(l);
    free_prefixes(l);
}

void commits_prune(hs_db *db, uint32_t h) {
    commit_log *l = &db->commits;
    size_t drop = 0;
    while (drop < l->n && l->recs[drop].seq <= h) {
        if (l->recs[drop].seq == h) l->base_time = l->recs[drop].order_time;
        free(l->recs[drop].text);
        drop++;
    }
    memmove(l->recs, l->recs + drop, (l->n - drop) * sizeof *l->recs);
    l->n -= drop;
}

const commit_rec *commits_find(const hs_db *db, uint32_t seq) {
    const commit_log *l = &db->commits;
    if (!l->n || seq < l->recs[0].seq || seq - l->recs[0].seq >= l->n) return NULL;
    return &l->recs[seq - l->recs[0].seq];
}

static int id_is(const commit_log *l, const commit_rec *r, const char *id, size_t n) {
    char buf_id[MAX_ID + 70];
    return commit_id(l, r, buf_id) == n && memcmp(buf_id, id, n) == 0;
}

long commits_find_id(const hs_db *db, const char *id, size_t n) {
    const commit_log *l = &db->commits;
    for (size_t i = l->n; i-- > 0;)
        if (id_is(l, &l->recs[i], id, n)) return (long)i;
    return -1;
}

int commits_copy(commit_log *dst, const commit_log *src, uint32_t s) {
    size_t n = 0;
    while (n < src->n && src->recs[n].seq <= s) n++;
    if (n && !(dst->recs = malloc(n * sizeof *dst->recs))) return 0;
    dst->cap = n;
    for (size_t i = 0; i < n; i++) {
        const commit_rec *r = &src->recs[i];
        size_t total = r->id_len + r->cause_len + r->query_len + r->ref_len;
        char *t = malloc(total ? total : 1);
        if (!t) { commits_free(dst); return 0; }
        memcpy(t, r->text, total);
        dst->recs[i] = *r;
        dst->recs[i].text = t;
        dst->n = i + 1;
    }
    for (size_t k = 0; k < src->nprefix; k++) {
        size_t plen = strlen(src->id_prefixes[k]);
        if (!(dst->id_prefixes[k] = malloc(plen + 1))) { commits_free(dst); return 0; }
        memcpy(dst->id_prefixes[k], src->id_prefixes[k], plen + 1);
        dst->nprefix = k + 1;
    }
    /* The templates keep their indexes: the copied records name them. */
    for (size_t i = 0; i < src->ntmpl; i++) {
        const query_tmpl *t = &src->tmpls[i];
        if (tmpl_intern(dst, t->text, t->len) != i + 1) { commits_free(dst); return 0; }
    }
    memcpy(dst->origin, src->origin, sizeof dst->origin);
    dst->counter = src->counter;
    dst->base_time = src->base_time;
    dst->last_time = n ? dst->recs[n - 1].order_time : src->base_time;
    return 1;
}

/* ---- writing records ---- */

static size_t first_change(const hist *h, uint32_t s) {
    size_t lo = 0, hi = h->nchanges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->changes[mid].seq < s) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The documents a single add made, in their order: the rows commit s created. */
static void put_added_docs(const hs_db *db, buf *o, uint32_t s) {
    buf_putc(o, '[');
    int first = 1;
    for (size_t k = first_change(&db->hist, s); k < db->hist.nchanges && db->hist.changes[k].seq == s; k++) {
        const change *ch = &db->hist.changes[k];
        long r = coll_find_row(ch->c, ch->row_id);
        const doc *d = r < 0 ? NULL : row_at(&ch->c->rows[r], s);
        if (!d) continue;
        if (!first) buf_putc(o, ',');
        first = 0;
        val_print(o, d->v);
    }
    buf_putc(o, ']');
}

static void put_query(const hs_db *db, buf *o, const commit_rec *r) {
    const char *q = r->text + r->id_len + r->cause_len;
    switch (r->kind) {
    case CK_ADD:
        buf_put(o, q, r->add_at);
        put_added_docs(db, o, r->seq);
        buf_put(o, q + r->add_at + 1, r->query_len - r->add_at - 1);
        return;
    case CK_REVERT: case CK_UNDO: case CK_REDO:
        buf_puts(o, "{\"className\":\"HindsightRevert\",\"version\":\"1\",\"toSeq\":");
        buf_put_i64(o, r->to_seq);
        if (r->kind != CK_REVERT) {
            buf_puts(o, r->kind == CK_UNDO ? ",\"undo\":\"" : ",\"redo\":\"");
            buf_put(o, q + r->query_len, r->ref_len);
            buf_putc(o, '"');
        }
        buf_putc(o, '}');
        return;
    default:
        commits_put_query_text(&db->commits, r, o);
    }
}

static void put_time(buf *o, double t) {
    if (t == floor(t) && fabs(t) < 9e15) buf_put_i64(o, (int64_t)t);
    else buf_put_double(o, t);
}

static void put_record(const hs_db *db, buf *o, const commit_rec *r, int with_query) {
    buf_puts(o, "{\"seq\":");
    buf_put_i64(o, r->seq);
    buf_puts(o, ",\"id\":\"");
    char id[MAX_ID + 70];
    buf_put(o, id, commit_id(&db->commits, r, id));
    buf_puts(o, "\",\"time\":");
    put_time(o, r->time);
    buf_puts(o, ",\"cause\":");
    if (r->cause_len) buf_put(o, r->text + r->id_len, r->cause_len);
    else buf_puts(o, "null");
    if (with_query) {
        buf_puts(o, ",\"query\":");
        put_query(db, o, r);
    }
    buf_putc(o, '}');
}

void commits_put(const hs_db *db, buf *o, const commit_rec *r) { put_record(db, o, r, 1); }
void commits_put_query(const hs_db *db, buf *o, const commit_rec *r) { put_query(db, o, r); }

/* The query part of a record: its template's text (NULL when kept whole) and its bytes. */
static const char *query_part(const commit_log *l, const commit_rec *r, const query_tmpl **t) {
    *t = r->tmpl ? &l->tmpls[r->tmpl - 1] : NULL;
    return r->text + r->id_len + r->cause_len;
}

void commits_split_parts(const commit_log *l, const commit_rec *r, const char **tmpl, size_t *tlen, const char **lits, size_t *llen) {
    const query_tmpl *t;
    *lits = query_part(l, r, &t);
    *llen = r->query_len;
    *tmpl = t ? t->text : NULL;
    *tlen = t ? t->len : 0;
}

int commits_same_record(const hs_db *a, const commit_rec *ra, const hs_db *b, const commit_rec *rb) {
    if (ra->kind != CK_QUERY || rb->kind != CK_QUERY || ra->ref_len || rb->ref_len) return 0;
    if (!(ra->time == rb->time) || ra->cause_len != rb->cause_len || ra->query_len != rb->query_len) return 0;
    char ida[MAX_ID + 70], idb[MAX_ID + 70];
    size_t na = commit_id(&a->commits, ra, ida), nb = commit_id(&b->commits, rb, idb);
    if (na != nb || memcmp(ida, idb, na) != 0) return 0;
    if (memcmp(ra->text + ra->id_len, rb->text + rb->id_len, ra->cause_len) != 0) return 0;
    const query_tmpl *ta, *tb;
    const char *qa = query_part(&a->commits, ra, &ta), *qb = query_part(&b->commits, rb, &tb);
    if (!ta != !tb || (ta && (ta->len != tb->len || memcmp(ta->text, tb->text, ta->len) != 0))) return 0;
    return memcmp(qa, qb, ra->query_len) == 0;
}

/* ---- public calls ---- */

hs_rc hs_db_set_origin(hs_db *db, const char *origin, size_t len) {
    if (!db || !origin) return HS_MISUSE;
    if (!plain_id(origin, len) || len >= sizeof db->commits.origin || memchr(origin, '.', len))
        return db_error(db, "origin must be 1 to 64 printable ASCII characters without '.', quotes or backslashes");
    if (strlen(db->commits.origin) != len || memcmp(db->commits.origin, origin, len) != 0) {
        memcpy(db->commits.origin, origin, len);
        db->commits.origin[len] = 0;
        db->commits.counter = 0;
    }
    buf_clear(&db->out);
    buf_puts(&db->out, "{}");
    return HS_OK;
}

static hs_rc list_commits(hs_db *db, uint32_t from, uint32_t to, uint32_t limit, int with_query) {
    if (!db) return HS_MISUSE;
    buf *o = &db->out;
    buf_clear(o);
    buf_putc(o, '[');
    uint32_t n = 0;
    /* The records are dense in seq order: start at from's record, not at the first one (a
       scan from the first made writing each commit's record cost O(commits)). */
    size_t first = db->commits.n && from > db->commits.recs[0].seq ? from - db->commits.recs[0].seq : 0;
    for (size_t i = first; i < db->commits.n && n < limit; i++) {
        const commit_rec *r = &db->commits.recs[i];
        if (r->seq < from) continue;
        if (r->seq > to) break;
        if (n++) buf_putc(o, ',');
        put_record(db, o, r, with_query);
    }
    buf_putc(o, ']');
    return o->oom ? HS_NOMEM : HS_OK;
}

hs_rc hs_db_set_base_time(hs_db *db, double ms) {
    if (!db) return HS_MISUSE;
    if (db->commits.n) return db_error(db, "the base time can only be set before any kept commit");
    if (!isnan(ms) && (!isfinite(ms) || fabs(ms) > DATE_MAX_MS)) return db_error(db, "the base time is outside the Date range");
    db->commits.base_time = db->commits.last_time = ms;
    buf_clear(&db->out);
    buf_puts(&db->out, "{}");
    return HS_OK;
}

hs_rc hs_db_commits(hs_db *db, uint32_t from, uint32_t to, uint32_t limit) { return list_commits(db, from, to, limit, 1); }
hs_rc hs_db_commit_info(hs_db *db, uint32_t from, uint32_t to) { return list_commits(db, from, to, UINT32_MAX, 0); }

hs_rc hs_db_seq_at_time(hs_db *db, double ms) {
    if (!db) return HS_MISUSE;
    if (isnan(ms)) return db_error(db, "not a valid time");
    const commit_log *l = &db->commits;
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->recs[mid].order_time <= ms) lo = mid + 1;
        else hi = mid;
    }
    uint32_t seq;
    if (lo > 0) seq = l->recs[lo - 1].seq;
    else if (isnan(l->base_time) ? db->oldest == 0 : ms >= l->base_time) seq = db->oldest;
    else return db_fail(db, HS_TOO_OLD, "that time is older than the kept history");
    buf_clear(&db->out);
    buf_puts(&db->out, "{\"seq\":");
    buf_put_i64(&db->out, seq);
    buf_putc(&db->out, '}');
    return db->out.oom ? HS_NOMEM : HS_OK;
}

hs_rc hs_db_time_of(hs_db *db, uint32_t seq) {
    if (!db) return HS_MISUSE;
    const commit_rec *r = commits_find(db, seq);
    double t = r ? r->time : seq == db->oldest ? db->commits.base_time : NAN;
    buf_clear(&db->out);
    buf_puts(&db->out, "{\"time\":");
    if (isnan(t)) buf_puts(&db->out, "null");
    else put_time(&db->out, t);
    buf_putc(&db->out, '}');
    return db->out.oom ? HS_NOMEM : HS_OK;
}

/* ---- undo and redo ---- */

/* The undo and redo stacks as indexes into recs: every commit that is not an undo or redo
   can be undone, and a new one clears the redo stack; an undo moves its commit to the redo
   stack, a redo moves it back. Returns 0 on out of memory. */
static int derive_stacks(const hs_db *db, size_t **undo, size_t *nu, size_t **redo, size_t *nr) {
    const commit_log *l = &db->commits;
    *undo = malloc((l->n ? l->n : 1) * sizeof **undo);
    *redo = malloc((l->n ? l->n : 1) * sizeof **redo);
    *nu = *nr = 0;
    if (!*undo || !*redo) { free(*undo); free(*redo); return 0; }
    for (size_t i = 0; i < l->n; i++) {
        const commit_rec *r = &l->recs[i];
        const char *ref = r->text + r->id_len + r->cause_len + r->query_len;
        if (r->kind == CK_UNDO || r->kind == CK_REDO) {
            size_t *from = r->kind == CK_UNDO ? *undo : *redo, *to = r->kind == CK_UNDO ? *redo : *undo;
            size_t *nfrom = r->kind == CK_UNDO ? nu : nr, *nto = r->kind == CK_UNDO ? nr : nu;
            /* Normally the top; search deeper for a history rebuilt from several pages. */
            for (size_t k = *nfrom; k-- > 0;) {
                const commit_rec *t = &l->recs[from[k]];
                if (id_is(l, t, ref, r->ref_len)) {
                    to[(*nto)++] = from[k];
                    memmove(from + k, from + k + 1, (*nfrom - k - 1) * sizeof *from);
                    (*nfrom)--;
                    break;
                }
            }
        } else {
            (*undo)[(*nu)++] = i;
            *nr = 0;
        }
    }
    return 1;
}

static hs_rc undo_redo(hs_db *db, const char *meta, size_t mlen, int kind) {
    if (!db) return HS_MISUSE;
    hs_rc rc = commits_begin(db, meta, mlen);
    if (rc != HS_OK) return rc;
    size_t *undo, *redo, nu, nr;
    if (!derive_stacks(db, &undo, &nu, &redo, &nr)) return HS_NOMEM;
    size_t *stack = kind == CK_UNDO ? undo : redo, n = kind == CK_UNDO ? nu : nr;
    const commit_rec *target = n ? &db->commits.recs[stack[n - 1]] : NULL;
    free(undo);
    free(redo);
    uint32_t to = target ? target->seq - (kind == CK_UNDO) : 0;
    uint32_t floor_seq = db->meta.min_seq > db->oldest ? db->meta.min_seq : db->oldest;
    if (!target || to < floor_seq) {
        buf_clear(&db->out);
        buf_puts(&db->out, "{\"seq\":null}");
        return db->out.oom ? HS_NOMEM : HS_OK;
    }
    char ref[MAX_ID + 70];
    db->meta.ref_len = commit_id(&db->commits, target, ref);
    db->meta.ref = ref;
    db->meta.ref_kind = kind;
    return db_revert_now(db, to);
}

hs_rc hs_db_undo(hs_db *db, const char *meta, size_t mlen) { return undo_redo(db, meta, mlen, CK_UNDO); }
hs_rc hs_db_redo(hs_db *db, const char *meta, size_t mlen) { return undo_redo(db, meta, mlen, CK_REDO); }
