/*
 * json_scan.c: one-pass JSON -> compact value parser, and the cutter that lifts document
 * arrays out of a query or snapshot text (see json_scan.h for why).
 *
 * The cutter is a tokenizer that tracks only the container stack and member names; it does
 * not validate, because cJSON validates the envelope and jscan_value validates every
 * document it parses. All loops are bounded by len.
 */
#include "json_scan.h"
#include "strtod.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- the value parser ---- */

typedef struct parser {
    const char *s;
    size_t n, i;
    buf *out;
    const char *err;
    int max_depth;
} parser;

static inline void skip_ws(parser *p) {
    /* Most JSON written by programs has no whitespace between tokens: one test, inline. */
    if (p->i < p->n && (unsigned char)p->s[p->i] > ' ') return;
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
        p->i++;
    }
}

static int hex4(const char *s, unsigned *out) {
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static void put_utf8(buf *b, unsigned cp) {
    char u[4];
    size_t n;
    if (cp < 0x80) { u[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 63)); n = 2; }
    else if (cp < 0x10000) { u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | (cp >> 6 & 63)); u[2] = (char)(0x80 | (cp & 63)); n = 3; }
    else { u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | (cp >> 12 & 63)); u[2] = (char)(0x80 | (cp >> 6 & 63)); u[3] = (char)(0x80 | (cp & 63)); n = 4; }
    buf_put(b, u, n);
}

/* Bit 7 of each byte of the result is set where x holds '"', a backslash or (with
   controls) a byte below 0x20. Bytes of 0x80 and above never count, so UTF-8 text passes 8
   bytes at a time. A bit can be wrongly set only above a byte that really is special, so
   the lowest set bit (special_at) is always exact. */
static inline uint64_t special_mask(uint64_t x, int controls) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    uint64_t m = ((q - ones) & ~q) | ((b - ones) & ~b);
    if (controls) m |= (x - ones * 0x20) & ~x;
    return m & highs;
}

/* The byte offset of the lowest special byte in a non-zero mask (bytes load little-endian). */
static inline size_t special_at(uint64_t mask) { return (size_t)__builtin_ctzll(mask) >> 3; }

/* Loads 8 bytes as a little-endian word (wasm and x86 are little-endian; others swap). */
static inline uint64_t load8(const char *s) {
    uint64_t x;
    memcpy(&x, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    return x;
}

/* parse_string_bytes past its fast path: the string from p->i (just past its opening quote)
   to its end, scanned again from there (a string with an escape or a control byte is rare). */
static __attribute__((noinline)) int parse_string_rest(parser *p, int *plain) {
    for (;;) {
        size_t start = p->i;
        /* Eight bytes at a time up to the first special byte (most strings), then byte by byte. */
        while (p->i + 8 <= p->n) {
            uint64_t m = special_mask(load8(p->s + p->i), 1);
            if (m) { p->i += special_at(m); break; }
            p->i += 8;
        }
        while (p->i < p->n) {
            unsigned char c = (unsigned char)p->s[p->i];
            if (c == '"' || c == '\\' || c < 0x20) break;
            p->i++;
        }
        buf_put_fast(p->out, p->s + start, p->i - start);
        if (p->i >= p->n) { p->err = "unterminated string"; return 0; }
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') { p->i++; return !p->out->oom; }
        if (c < 0x20) { p->err = "control character in string"; return 0; }
        /* an escape */
        if (p->i + 1 >= p->n) { p->err = "unterminated string"; return 0; }
        char e = p->s[p->i + 1];
        p->i += 2;
        switch (e) {
        case '"': buf_putc(p->out, '"'); *plain = 0; break;
        case '\\': buf_putc(p->out, '\\'); *plain = 0; break;
        case '/': buf_putc(p->out, '/'); break;
        case 'b': buf_putc(p->out, '\b'); *plain = 0; break;
        case 'f': buf_putc(p->out, '\f'); *plain = 0; break;
        case 'n': buf_putc(p->out, '\n'); *plain = 0; break;
        case 'r': buf_putc(p->out, '\r'); *plain = 0; break;
        case 't': buf_putc(p->out, '\t'); *plain = 0; break;
        case 'u': {
            unsigned cp;
            if (p->i + 4 > p->n || !hex4(p->s + p->i, &cp)) { p->err = "bad \\u escape"; return 0; }
            p->i += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                unsigned lo;
                if (p->i + 6 <= p->n && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u' && hex4(p->s + p->i + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                    p->i += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else {
                    cp = 0xFFFD;   /* a lone surrogate cannot be UTF-8; JS's TextEncoder does the same */
                }
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                cp = 0xFFFD;
            }
            if (cp < 0x20) *plain = 0;
            put_utf8(p->out, cp);
            break;
        }
        default: p->err = "bad escape in string"; return 0;
        }
    }
}

/* Parses a string at s[i] == '"' and appends its decoded bytes. Sets *plain to 0 when the
   decoded text needs escaping in JSON output. Inline: most strings (every key) are short and
   plain, found whole by the first words of the scan; the rest goes on out of line. */
static inline __attribute__((always_inline)) int parse_string_bytes(parser *p, int *plain) {
    size_t start = ++p->i, i = start;   /* past the opening quote */
    *plain = 1;
    while (i + 8 <= p->n) {
        uint64_t m = special_mask(load8(p->s + i), 1);
        if (!m) { i += 8; continue; }
        i += special_at(m);
        if (p->s[i] != '"') break;
        buf_put_fast(p->out, p->s + start, i - start);
        p->i = i + 1;
        return !p->out->oom;
    }
    return parse_string_rest(p, plain);
}

static int parse_string_value(parser *p) {
    size_t at = p->out->len;
    uint8_t head[5] = {T_STR};
    buf_put_fast(p->out, head, 5);
    int plain;
    if (!parse_string_bytes(p, &plain)) return 0;
    if (p->out->oom) return 0;
    uint8_t *h = (uint8_t *)p->out->data + at;
    h[0] = plain ? T_STR : T_STRX;
    wr32(h + 1, (uint32_t)(p->out->len - at - 5));
    return 1;
}

static int parse_number(parser *p) {
    size_t start = p->i;
    int is_int = 1;
    if (p->i < p->n && p->s[p->i] == '-') p->i++;
    if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') { p->err = "bad number"; return 0; }
    if (p->s[p->i] == '0') p->i++;
    else while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    if (p->i < p->n && p->s[p->i] == '.') {
        is_int = 0;
        p->i++;
        size_t d = p->i;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
        if (p->i == d) { p->err = "bad number"; return 0; }
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        is_int = 0;
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        size_t d = p->i;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
        if (p->i == d) { p->err = "bad number"; return 0; }
    }
    size_t len = p->i - start;
    /* Integers of up to 15 digits are exact in a double too, so they can skip strtod.
       Longer ones go through a double, as JSON.parse and cJSON read them, so that a
       number means the same in a document as in a query. */
    if (is_int && len <= 15) {
        int64_t v = 0;
        size_t k = start + (p->s[start] == '-');
        for (; k < p->i; k++) v = v * 10 + (p->s[k] - '0');
        if (p->s[start] == '-' && v == 0) enc_number(p->out, -0.0);   /* JSON.parse keeps -0 */
        else enc_int(p->out, p->s[start] == '-' ? -v : v);
        return 1;
    }
    char small[64], *tmp = len < sizeof small ? small : malloc(len + 1);
    if (!tmp) { p->err = "out of memory"; return 0; }
    memcpy(tmp, p->s + start, len);
    tmp[len] = 0;
    double d = hs_strtod(tmp, NULL);
    if (tmp != small) free(tmp);
    if (!isfinite(d)) { p->err = "number out of range"; return 0; }
    enc_number(p->out, d);
    return 1;
}

static int literal(parser *p, const char *word, size_t n) {
    if (p->n - p->i < n || memcmp(p->s + p->i, word, n) != 0) { p->err = "unexpected token"; return 0; }
    p->i += n;
    return 1;
}

static int has_duplicate(const buf *out, const size_t *keys, size_t n) {
    for (size_t a = 0; a < n; a++) {
        const uint8_t *ka = (const uint8_t *)out->data + keys[a];
        uint32_t la = rd32(ka) & 0x7fffffffu;
        for (size_t b = a + 1; b < n; b++) {
            const uint8_t *kb = (const uint8_t *)out->data + keys[b];
            if ((rd32(kb) & 0x7fffffffu) == la && memcmp(ka + 4, kb + 4, la) == 0) return 1;
        }
    }
    return 0;
}

static int parse_value(parser *p, int depth);

static int parse_object(parser *p, int depth) {
    size_t at = enc_begin(p->out, T_OBJ);
    uint32_t count = 0;
    size_t small[32], *keys = small, cap = 32;
    int ok = 0;
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == '}') { p->i++; ok = 1; goto done; }
    for (;;) {
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != '"') { p->err = "expected a member name"; goto done; }
        if (count == cap) {
            size_t *bigger = malloc(2 * cap * sizeof *bigger);
            if (!bigger) { p->err = "out of memory"; goto done; }
            memcpy(bigger, keys, cap * sizeof *keys);
            if (keys != small) free(keys);
            keys = bigger;
            cap *= 2;
        }
        size_t key_at = p->out->len;
        keys[count] = key_at;
        uint8_t head[4] = {0};
        buf_put_fast(p->out, head, 4);
        int plain;
        if (!parse_string_bytes(p, &plain)) goto done;
        wr32((uint8_t *)p->out->data + key_at, (uint32_t)(p->out->len - key_at - 4) | (plain ? 0 : 0x80000000u));
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != ':') { p->err = "expected ':'"; goto done; }
        p->i++;
        if (!parse_value(p, depth + 1)) goto done;
        count++;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
        if (p->i < p->n && p->s[p->i] == '}') { p->i++; break; }
        p->err = "expected ',' or '}'";
        goto done;
    }
    if (count > 1 && !p->out->oom && has_duplicate(p->out, keys, count)) { p->err = "duplicate key in object"; goto done; }
    ok = 1;
done:
    if (keys != small) free(keys);
    if (ok) enc_end(p->out, at, count);
    return ok;
}

static int parse_array(parser *p, int depth) {
    size_t at = enc_begin(p->out, T_ARR);
    uint32_t count = 0;
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == ']') { p->i++; enc_end(p->out, at, 0); return 1; }
    for (;;) {
        if (!parse_value(p, depth + 1)) return 0;
        count++;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
        if (p->i < p->n && p->s[p->i] == ']') { p->i++; break; }
        p->err = "expected ',' or ']'";
        return 0;
    }
    enc_end(p->out, at, count);
    return 1;
}

static int parse_value(parser *p, int depth) {
    if (depth > p->max_depth) { p->err = "Exceeded max allowed nesting depth"; return 0; }
    skip_ws(p);
    if (p->i >= p->n) { p->err = "unexpected end of text"; return 0; }
    switch (p->s[p->i]) {
    case '{': return parse_object(p, depth);
    case '[': return parse_array(p, depth);
    case '"': return parse_string_value(p);
    case 't': if (!literal(p, "true", 4)) return 0; enc_bool(p->out, 1); return 1;
    case 'f': if (!literal(p, "false", 5)) return 0; enc_bool(p->out, 0); return 1;
    case 'n': if (!literal(p, "null", 4)) return 0; enc_null(p->out); return 1;
    default: return parse_number(p);
    }
}

const char *jscan_value(const char *text, size_t len, size_t *pos, buf *out) {
    return jscan_value_depth(text, len, pos, out, VAL_MAX_DEPTH);
}

const char *jscan_value_depth(const char *text, size_t len, size_t *pos, buf *out, int max_depth) {
    parser p = {text, len, *pos, out, NULL, max_depth};
    int ok = parse_value(&p, 1);
    *pos = p.i;
    if (!ok) return p.err ? p.err : "out of memory";
    return out->oom ? "out of memory" : NULL;
}

int jscan_next_element(const char *text, jscan_span span, size_t *pos) {
    size_t i = *pos;
    if (i == span.start) i++;   /* past '[' */
    else {
        while (i < span.end && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) i++;
        if (i < span.end && text[i] == ',') i++;
        else if (i < span.end && text[i] == ']') return 0;
        else return -1;
    }
    while (i < span.end && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) i++;
    if (i >= span.end) return -1;
    if (text[i] == ']') return *pos == span.start ? 0 : -1;
    *pos = i;
    return 1;
}

size_t jscan_skip(const char *text, size_t len, size_t pos);

/* ---- the cutter ---- */

#define CUT_MAX_DEPTH 8   /* patterns are shallow; deeper containers are skipped, not tracked */

typedef struct frame {
    int is_object;
    const char *key;     /* member name of the value being read, in the text (raw) */
    size_t klen;
    int index;           /* element index for arrays */
} frame;

/* Skips a string starting at text[i] == '"'; returns the index after its closing quote. */
static inline __attribute__((always_inline)) size_t skip_string(const char *t, size_t n, size_t i) {
    for (i++; i < n; i++) {
        while (i + 8 <= n) {   /* eight bytes at a time up to the next quote or backslash */
            uint64_t m = special_mask(load8(t + i), 0);
            if (m) { i += special_at(m); break; }
            i += 8;
        }
        if (i >= n) break;
        if (t[i] == '\\') { i++; continue; }
        if (t[i] == '"') return i + 1;
    }
    return n;
}

/* The bytes skip_value must look at inside a container: quotes and brackets. */
static const unsigned char structural[256] = {['"'] = 1, ['['] = 1, ['{'] = 1, [']'] = 1, ['}'] = 1};

/* Skips a whole value starting at t[i]; returns the index after it (n when malformed). */
static size_t skip_value(const char *t, size_t n, size_t i) {
    if (i >= n) return n;
    if (t[i] == '"') return skip_string(t, n, i);
    if (t[i] != '[' && t[i] != '{') {
        while (i < n && t[i] != ',' && t[i] != ']' && t[i] != '}' && t[i] != ' ' && t[i] != '\n' && t[i] != '\r' && t[i] != '\t') i++;
        return i;
    }
    size_t depth = 0;
    for (; i < n; i++) {
        char c = t[i];
        if (!structural[(unsigned char)c]) continue;
        if (c == '"') { i = skip_string(t, n, i) - 1; continue; }
        if (c == '[' || c == '{') depth++;
        else if (c == ']' || c == '}') { if (--depth == 0) return i + 1; }
    }
    return n;
}

static int matches(const jscan_pattern *pat, const frame *stack, int depth) {
    if (pat->nsteps != depth) return 0;
    for (int k = 0; k < depth; k++) {
        const char *step = pat->steps[k];
        if (step[0] == '*' && step[1] == 0) continue;
        /* A value with no member name before it only occurs in malformed text. */
        if (!stack[k].is_object || !stack[k].key || strlen(step) != stack[k].klen || memcmp(step, stack[k].key, stack[k].klen) != 0) return 0;
    }
    return 1;
}

jscan_span *jscan_cut(const char *t, size_t n, const jscan_pattern *pats, int npats, buf *env, size_t *nspans) {
    frame stack[CUT_MAX_DEPTH];
    int depth = 0;
    size_t copied = 0, cap = 0, count = 0, i = 0;
    jscan_span *spans = NULL;
    *nspans = 0;
    buf_clear(env);
    while (i < n) {
        char c = t[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ',' || c == ':') { i++; continue; }
        if (c == '}' || c == ']') {
            if (depth) depth--;
            if (depth && stack[depth - 1].is_object) stack[depth - 1].key = NULL;  /* its value ended */
            i++;
            continue;
        }
        /* A member name inside an object: remember it for the value that follows. */
        if (c == '"' && depth && stack[depth - 1].is_object && stack[depth - 1].key == NULL) {
            size_t end = skip_string(t, n, i);
            stack[depth - 1].key = t + i + 1;
            stack[depth - 1].klen = end - i - 2;
            i = end;
            continue;
        }
        /* The start of a value at the current position. */
        const jscan_pattern *hit = NULL;
        for (int k = 0; k < npats && !hit; k++) if (matches(&pats[k], stack, depth)) hit = &pats[k];
        if (hit && c != hit->open && !(c == 'n' && n - i >= 4 && memcmp(t + i, "null", 4) == 0)) {
            count = 0;   /* not the container we cut: leave the whole text to cJSON's checks */
            break;
        }
        if (hit && c == hit->open) {
            size_t end = skip_value(t, n, i);
            if (end >= n && (end == 0 || t[end - 1] != (c == '[' ? ']' : '}'))) { count = 0; break; }  /* malformed */
            if (count == cap) {
                cap = cap ? cap * 2 : 8;
                jscan_span *bigger = realloc(spans, cap * sizeof *spans);
                if (!bigger) { free(spans); *nspans = 0; env->oom = 1; return NULL; }
                spans = bigger;
            }
            spans[count].start = i;
            spans[count].end = end;
            buf_put(env, t + copied, i - copied);
            buf_put_i64(env, (int64_t)count);
            copied = end;
            count++;
            i = end;
        } else if ((c == '{' || c == '[') && depth < CUT_MAX_DEPTH) {
            stack[depth].is_object = c == '{';
            stack[depth].key = NULL;
            stack[depth].index = 0;
            depth++;
            i++;
            continue;
        } else {
            i = skip_value(t, n, i);
        }
        /* After a member's value, the next string is a name again. */
        if (depth && stack[depth - 1].is_object) stack[depth - 1].key = NULL;
    }
    if (count == 0 || env->oom) { free(spans); buf_clear(env); return NULL; }  /* also after a break */
    buf_put(env, t + copied, n - copied);
    if (env->oom) { free(spans); buf_clear(env); return NULL; }
    *nspans = count;
    return spans;
}

size_t jscan_skip(const char *text, size_t len, size_t pos) { return skip_value(text, len, pos); }
