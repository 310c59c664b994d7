/*
** regex.c: the ECMAScript regular expression engine behind regex.h.
**
** Owns: the parser (pattern -> node tree), the compiler (tree -> instruction program) and two
** matchers. A Pike VM (a Thompson NFA simulation, linear in the subject) answers every pattern
** without lookahead or backreferences; a backtracker with an explicit heap stack answers the rest.
**
** Must stay true:
**   - C-stack recursion happens only in the parser and the tree walks, and the tree is at most
**     RX_MAX_DEPTH groups deep; matching never recurses.
**   - Every matcher loop charges the step budget, so rx_search always ends.
**   - Subject positions are byte offsets on code point boundaries. A byte that does not start a
**     valid UTF-8 sequence is one code point, 0xDC00 | byte, in subjects and patterns alike.
**   - Nothing global is written; a compiled rx_regex is never modified after rx_compile.
*/
#include "regex.h"
#include "hsort.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RX_MAX_DEPTH 200                /* nested groups */
#define RX_MAX_PATTERN (4u << 20)       /* bytes of pattern text */
#define RX_MAX_INST 2000000u            /* instructions in one program */
#define RX_MAX_FRAMES (2u << 20)        /* backtrack stack entries (24-32 MB) */
#define RX_BUDGET_BASE 10000000u
#define RX_BUDGET_PER_BYTE 16u
#define RX_INF UINT32_MAX               /* unbounded quantifier maximum */
#define RX_MAX_CP 0x10FFFFu
#define NO_POS ((size_t)-1)             /* unset capture or register */
#define NO_IDX UINT32_MAX

/*{==================== program and compiled form ====================*/

enum {
    OP_CHAR, OP_ANY, OP_CLASS,          /* consume one code point */
    OP_MATCH,
    OP_JMP, OP_SPLIT,                   /* SPLIT tries x first, then y */
    OP_SAVE, OP_RESET,                  /* captures: slot x; reset slots [x, y) */
    OP_MARK, OP_PROGRESS,               /* empty-iteration check register x (MARK y=1 clears it) */
    OP_BOL, OP_EOL, OP_WORDB, OP_NWORDB,
    OP_BACKREF, OP_LOOK, OP_LOOKEND     /* LOOK: x = continuation, y = negative */
};

typedef struct { uint32_t op, x, y; } rx_inst;
typedef struct { uint32_t lo, hi; } rx_range;
typedef struct { uint32_t ascii[4]; uint32_t first, count; } rx_class;   /* sorted disjoint ranges */

struct rx_regex {
    rx_inst *aProg; uint32_t nInst;
    rx_class *aClass; uint32_t nClass, capClass;
    rx_range *aRange; uint32_t nRange, capRange;
    uint32_t nGroup, nReg;
    int bBacktrack;                     /* needs the backtracker (lookahead or backreference) */
    int bAnchored;                      /* every match starts at offset 0 */
    int bUseFirst; int iFirstSingle;    /* skip table usable; its only byte, or -1 */
    unsigned char aFirst[256];          /* bytes that can start a match */
    unsigned char *aLit; size_t nLit;   /* leading literal bytes */
    uint32_t *aKmp;                     /* KMP failure table when an unanchored literal is all */
    int bLitAnchored, bLitWhole, bLitExact;        /* ^lit..., lit is the whole pattern, ^lit$ */
};

/*}====================================================================*/
/*{==================== UTF-8 and character predicates ================*/

static uint32_t utf8_decode(const unsigned char *s, size_t len, size_t i, size_t *pNext) {
    unsigned c = s[i], b, lo = 0x80, hi = 0xBF;
    size_t need, k;
    uint32_t cp;
    if (c < 0x80) { *pNext = i + 1; return c; }
    if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; if (c == 0xE0) lo = 0xA0; }
    else if (c >= 0xF0 && c <= 0xF4) {
        need = 3; cp = c & 0x07;
        if (c == 0xF0) lo = 0x90; else if (c == 0xF4) hi = 0x8F;
    } else goto bad;
    if (len - i - 1 < need) goto bad;
    b = s[i + 1];
    if (b < lo || b > hi) goto bad;
    cp = (cp << 6) | (b & 0x3F);
    for (k = 2; k <= need; k++) {
        b = s[i + k];
        if ((b & 0xC0) != 0x80) goto bad;
        cp = (cp << 6) | (b & 0x3F);
    }
    *pNext = i + 1 + need;
    return cp;
bad:
    *pNext = i + 1;
    return 0xDC00 | c;
}

static size_t utf8_encode(uint32_t cp, unsigned char *out) {
    if (cp < 0x80) { out[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) { out[0] = (unsigned char)(0xC0 | (cp >> 6)); out[1] = (unsigned char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12)); out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F)); return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18)); out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static int is_digit(unsigned c) { return c >= '0' && c <= '9'; }
static int is_alpha(unsigned c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_word(unsigned c) { return is_digit(c) || is_alpha(c) || c == '_'; }
static int is_line_term(uint32_t c) { return c == 0x0A || c == 0x0D || c == 0x2028 || c == 0x2029; }
static int hex_val(unsigned c) {
    if (is_digit(c)) return (int)(c - '0');
    if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return (int)(c - 'A' + 10);
    return -1;
}

/* Word characters are ASCII, and an ASCII byte is always a whole code point, so bytes suffice. */
static int at_word_boundary(const unsigned char *s, size_t len, size_t pos) {
    int before = pos > 0 && is_word(s[pos - 1]);
    int after = pos < len && is_word(s[pos]);
    return before != after;
}

static int class_has(const rx_regex *re, uint32_t k, uint32_t cp) {
    const rx_class *cl = &re->aClass[k];
    const rx_range *r;
    size_t lo = 0, hi;
    if (cp < 128) return (int)((cl->ascii[cp >> 5] >> (cp & 31)) & 1u);
    if (!cl->count) return 0;   /* aRange may be NULL: no offset from it */
    r = re->aRange + cl->first;
    hi = cl->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].lo) hi = mid;
        else if (cp > r[mid].hi) lo = mid + 1;
        else return 1;
    }
    return 0;
}

/* Does the instruction at pc (OP_CHAR, OP_ANY or OP_CLASS) accept code point cp? */
static int inst_accepts(const rx_regex *re, const rx_inst *in, uint32_t cp) {
    if (in->op == OP_CHAR) return cp == in->x;
    if (in->op == OP_ANY) return !is_line_term(cp);
    return class_has(re, in->x, cp);
}

/*}====================================================================*/
/*{==================== parser: pattern -> node tree ===================*/

enum { N_EMPTY, N_CHAR, N_ANY, N_CLASS, N_BOL, N_EOL, N_WORDB, N_NWORDB,
       N_CAT, N_ALT, N_GROUP, N_REPEAT, N_LOOK, N_BACKREF };

typedef struct {
    uint8_t kind, bGreedy, bNullable, bNeg;
    uint32_t val;                       /* code point, class index, group or backref number */
    uint32_t min, max;                  /* N_REPEAT bounds; max RX_INF when unbounded */
    uint32_t capLo, capHi;              /* N_REPEAT: groups capLo+1..capHi are inside the body */
    int32_t child, next;                /* first child; next sibling */
} rx_node;

typedef struct {
    const unsigned char *p, *end;
    char *zErr; size_t errCap; int bFailed;
    rx_node *aNode; uint32_t nNode, capNode;
    rx_range *aTmp; uint32_t nTmp, capTmp;     /* ranges of the class being parsed */
    uint32_t nGroupTotal, nGroupSeen;
    const unsigned char *pattern; size_t patternLen;   /* whole pattern, for \\k<name> lookups */
    int bHasNames;                      /* the pattern has (?<name>...) groups */
    int bBackref, bLook;
    rx_regex *re;
} parser;

enum { ESC_CHAR, ESC_SET, ESC_BACKREF };
enum { SET_DIGIT = 0, SET_WORD = 1, SET_SPACE = 2, SET_NEG = 4 };

static const rx_range kDigit[] = { {'0', '9'} };
static const rx_range kWord[] = { {'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'} };
static const rx_range kSpace[] = { {9, 13}, {0x20, 0x20}, {0xA0, 0xA0}, {0x1680, 0x1680},
    {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000},
    {0xFEFF, 0xFEFF} };

static void copy_msg(char *zErr, size_t errCap, const char *msg) {
    size_t n = strlen(msg);
    if (!zErr || errCap == 0) return;
    if (n >= errCap) n = errCap - 1;
    memcpy(zErr, msg, n);
    zErr[n] = 0;
}

/* Records the first error only (errors are sticky) and returns -1 for the caller to pass up. */
static int fail(parser *ps, const char *msg) {
    if (!ps->bFailed) { ps->bFailed = 1; copy_msg(ps->zErr, ps->errCap, msg); }
    return -1;
}

/* Returns arr grown so that index n fits (capacity doubled into *pCap), or NULL on OOM with
** arr left as it was. */
static void *grow(void *arr, uint32_t *pCap, uint32_t n, size_t size) {
    uint32_t cap = *pCap ? *pCap : 16;
    void *p;
    while (cap <= n) cap *= 2;
    if (cap == *pCap) return arr;
    if (!(p = realloc(arr, (size_t)cap * size))) return NULL;
    *pCap = cap;
    return p;
}

static int32_t new_node(parser *ps, int kind, int bNullable) {
    rx_node *nd;
    if (ps->nNode >= ps->capNode) {
        rx_node *a = grow(ps->aNode, &ps->capNode, ps->nNode, sizeof *a);
        if (!a) return fail(ps, "out of memory");
        ps->aNode = a;
    }
    nd = &ps->aNode[ps->nNode];
    memset(nd, 0, sizeof *nd);
    nd->kind = (uint8_t)kind;
    nd->bNullable = (uint8_t)bNullable;
    nd->child = nd->next = -1;
    return (int32_t)ps->nNode++;
}

static int32_t char_node(parser *ps, uint32_t cp) {
    int32_t n = new_node(ps, N_CHAR, 0);
    if (n >= 0) ps->aNode[n].val = cp;
    return n;
}

/* Reads decimal digits, saturating just below RX_INF. */
static uint32_t read_number(const unsigned char **pp, const unsigned char *end) {
    uint32_t v = 0;
    const unsigned char *p = *pp;
    while (p < end && is_digit(*p)) {
        unsigned d = *p++ - '0';
        v = v > (RX_INF - 1 - d) / 10 ? RX_INF - 1 : v * 10 + d;
    }
    *pp = p;
    return v;
}

/* If p (at '{') starts {n}, {n,} or {n,m}, returns its length and bounds; else 0 (a literal '{'). */
static size_t scan_braces(const unsigned char *p, const unsigned char *end, uint32_t *pMin, uint32_t *pMax) {
    const unsigned char *q = p + 1;
    if (q >= end || !is_digit(*q)) return 0;
    *pMin = *pMax = read_number(&q, end);
    if (q < end && *q == ',') {
        q++;
        *pMax = (q < end && is_digit(*q)) ? read_number(&q, end) : RX_INF;
    }
    if (q >= end || *q != '}') return 0;
    return (size_t)(q + 1 - p);
}

/* Length of the quantifier starting at p, with its bounds; 0 when there is none. */
static size_t scan_quantifier(const unsigned char *p, const unsigned char *end, uint32_t *pMin, uint32_t *pMax) {
    if (p >= end) return 0;
    switch (*p) {
    case '*': *pMin = 0; *pMax = RX_INF; return 1;
    case '+': *pMin = 1; *pMax = RX_INF; return 1;
    case '?': *pMin = 0; *pMax = 1; return 1;
    case '{': return scan_braces(p, end, pMin, pMax);
    default: return 0;
    }
}

static int tmp_add(parser *ps, uint32_t lo, uint32_t hi) {
    if (ps->nTmp >= ps->capTmp) {
        rx_range *a = grow(ps->aTmp, &ps->capTmp, ps->nTmp, sizeof *a);
        if (!a) return fail(ps, "out of memory");
        ps->aTmp = a;
    }
    ps->aTmp[ps->nTmp].lo = lo;
    ps->aTmp[ps->nTmp].hi = hi;
    ps->nTmp++;
    return 0;
}

static int tmp_add_set(parser *ps, uint32_t set) {
    const rx_range *r = (set & 3) == SET_DIGIT ? kDigit : (set & 3) == SET_WORD ? kWord : kSpace;
    size_t n = (set & 3) == SET_DIGIT ? 1 : (set & 3) == SET_WORD ? 4 : sizeof kSpace / sizeof kSpace[0];
    size_t i;
    uint32_t next = 0;
    for (i = 0; i < n; i++) {
        if (!(set & SET_NEG)) { if (tmp_add(ps, r[i].lo, r[i].hi)) return -1; continue; }
        if (r[i].lo > next && tmp_add(ps, next, r[i].lo - 1)) return -1;
        next = r[i].hi + 1;
    }
    if ((set & SET_NEG) && tmp_add(ps, next, RX_MAX_CP)) return -1;
    return 0;
}

static int cmp_range(const void *a, const void *b) {
    uint32_t x = ((const rx_range *)a)->lo, y = ((const rx_range *)b)->lo;
    return x < y ? -1 : x > y;
}

static int range_push(parser *ps, uint32_t lo, uint32_t hi) {
    rx_regex *re = ps->re;
    if (re->nRange >= re->capRange) {
        rx_range *a = grow(re->aRange, &re->capRange, re->nRange, sizeof *a);
        if (!a) return fail(ps, "out of memory");
        re->aRange = a;
    }
    re->aRange[re->nRange].lo = lo;
    re->aRange[re->nRange].hi = hi;
    re->nRange++;
    return 0;
}

/* Turns the collected ranges into a class (or a single character) node. */
static int32_t class_node(parser *ps, int bNeg) {
    rx_regex *re = ps->re;
    uint32_t i, w = 0, start = re->nRange, next = 0, count;
    int32_t n;
    rx_class *cl;
    if (ps->nTmp > 1) hs_qsort(ps->aTmp, ps->nTmp, sizeof(rx_range), cmp_range);
    for (i = 0; i < ps->nTmp; i++) {
        if (w > 0 && ps->aTmp[i].lo <= ps->aTmp[w - 1].hi + 1) {
            if (ps->aTmp[i].hi > ps->aTmp[w - 1].hi) ps->aTmp[w - 1].hi = ps->aTmp[i].hi;
        } else ps->aTmp[w++] = ps->aTmp[i];
    }
    for (i = 0; i < w; i++) {
        if (!bNeg) { if (range_push(ps, ps->aTmp[i].lo, ps->aTmp[i].hi)) return -1; continue; }
        if (ps->aTmp[i].lo > next && range_push(ps, next, ps->aTmp[i].lo - 1)) return -1;
        next = ps->aTmp[i].hi + 1;
    }
    if (bNeg && next <= RX_MAX_CP && range_push(ps, next, RX_MAX_CP)) return -1;
    count = re->nRange - start;
    if (count == 1 && re->aRange[start].lo == re->aRange[start].hi) {
        re->nRange = start;             /* [x] is just x, which the literal fast paths can use */
        return char_node(ps, re->aRange[start].lo);
    }
    if (re->nClass >= re->capClass) {
        rx_class *a = grow(re->aClass, &re->capClass, re->nClass, sizeof *a);
        if (!a) return fail(ps, "out of memory");
        re->aClass = a;
    }
    cl = &re->aClass[re->nClass];
    memset(cl, 0, sizeof *cl);
    cl->first = start;
    cl->count = count;
    for (i = start; i < re->nRange && re->aRange[i].lo < 128; i++) {
        uint32_t c, hi = re->aRange[i].hi < 127 ? re->aRange[i].hi : 127;
        for (c = re->aRange[i].lo; c <= hi; c++) cl->ascii[c >> 5] |= 1u << (c & 31);
    }
    n = new_node(ps, N_CLASS, 0);
    if (n >= 0) ps->aNode[n].val = re->nClass++;
    return n;
}

/* \u escapes: \uHHHH (a surrogate pair of two escapes joins into one code point) and \u{H..}. */
static uint32_t parse_u_escape(parser *ps) {
    const unsigned char *p = ps->p + 1, *end = ps->end;   /* ps->p is at 'u' */
    uint32_t v = 0, w = 0;
    int i, d;
    if (p < end && *p == '{') {
        const unsigned char *q = p + 1;
        while (q < end && (d = hex_val(*q)) >= 0 && v <= RX_MAX_CP) { v = v * 16 + (uint32_t)d; q++; }
        if (q > p + 1 && q < end && *q == '}' && v <= RX_MAX_CP) { ps->p = q + 1; return v; }
        ps->p++;                        /* not a code point escape: plain 'u', as JavaScript reads it */
        return 'u';
    }
    if (end - p < 4) { ps->p++; return 'u'; }
    for (i = 0; i < 4; i++) {
        if ((d = hex_val(p[i])) < 0) { ps->p++; return 'u'; }
        v = v * 16 + (uint32_t)d;
    }
    ps->p = p + 4;
    if (v >= 0xD800 && v <= 0xDBFF && end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
        for (i = 0; i < 4 && (d = hex_val(ps->p[2 + i])) >= 0; i++) w = w * 16 + (uint32_t)d;
        if (i == 4 && w >= 0xDC00 && w <= 0xDFFF) {
            ps->p += 6;
            v = 0x10000 + ((v - 0xD800) << 10) + (w - 0xDC00);
        }
    }
    return v;
}

/* Parses the escape after a backslash (ps->p is just past it). Returns ESC_CHAR, ESC_SET or
** ESC_BACKREF with the code point, set code or group number in *pVal; -1 on error. */
static int is_name_char(unsigned c);
static uint32_t find_named_group(const unsigned char *p, size_t len, const unsigned char *name, size_t nlen);

static int parse_escape(parser *ps, int bInClass, uint32_t *pVal) {
    const unsigned char *end = ps->end;
    unsigned c, n;
    int d;
    if (ps->p >= end) return fail(ps, "\\ at end of pattern");
    c = *ps->p;
    switch (c) {
    case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
        *pVal = (c == 'd' || c == 'D') ? SET_DIGIT : (c == 'w' || c == 'W') ? SET_WORD : SET_SPACE;
        if (c < 'a') *pVal |= SET_NEG;
        ps->p++;
        return ESC_SET;
    case 'f': *pVal = 0x0C; ps->p++; return ESC_CHAR;
    case 'n': *pVal = 0x0A; ps->p++; return ESC_CHAR;
    case 'r': *pVal = 0x0D; ps->p++; return ESC_CHAR;
    case 't': *pVal = 0x09; ps->p++; return ESC_CHAR;
    case 'v': *pVal = 0x0B; ps->p++; return ESC_CHAR;
    case 'b': *pVal = 0x08; ps->p++; return ESC_CHAR;   /* only reached inside a class */
    case 'p': case 'P':
        return fail(ps, "unicode property escapes are not supported");
    case 'c':
        n = ps->p + 1 < end ? ps->p[1] : 0;
        if (is_alpha(n) || (bInClass && (is_digit(n) || n == '_'))) { ps->p += 2; *pVal = n & 0x1F; return ESC_CHAR; }
        *pVal = '\\';                   /* JavaScript: a lone \c is a backslash, then 'c' */
        return ESC_CHAR;
    case 'x':
        if (end - ps->p >= 3 && (d = hex_val(ps->p[1])) >= 0 && hex_val(ps->p[2]) >= 0) {
            *pVal = (uint32_t)(d * 16 + hex_val(ps->p[2]));
            ps->p += 3;
        } else { *pVal = 'x'; ps->p++; }
        return ESC_CHAR;
    case 'u':
        *pVal = parse_u_escape(ps);
        return ESC_CHAR;
    case 'k':
        if (ps->bHasNames && !bInClass) {
            const unsigned char *q = ps->p + 1, *name;
            if (q >= end || *q != '<') return fail(ps, "invalid named reference");
            name = ++q;
            while (q < end && is_name_char(*q)) q++;
            if (q >= end || *q != '>' || q == name) return fail(ps, "invalid named reference");
            *pVal = find_named_group(ps->pattern, ps->patternLen, name, (size_t)(q - name));
            if (!*pVal) return fail(ps, "invalid named capture referenced");
            ps->p = q + 1;
            return ESC_BACKREF;
        }
        break;
    default:
        break;
    }
    if (is_digit(c)) {
        if (!bInClass && c != '0') {
            const unsigned char *q = ps->p;
            uint32_t g = read_number(&q, end);
            if (g <= ps->nGroupTotal) { ps->p = q; *pVal = g; return ESC_BACKREF; }
        }
        if (c >= '8') { ps->p++; *pVal = c; return ESC_CHAR; }
        /* legacy octal: up to three digits when the first is 0-3, else up to two */
        *pVal = c - '0';
        ps->p++;
        if (ps->p < end && *ps->p >= '0' && *ps->p <= '7') {
            *pVal = *pVal * 8 + (uint32_t)(*ps->p++ - '0');
            if (c <= '3' && ps->p < end && *ps->p >= '0' && *ps->p <= '7') *pVal = *pVal * 8 + (uint32_t)(*ps->p++ - '0');
        }
        return ESC_CHAR;
    }
    {   /* identity escape: the character itself */
        size_t next;
        *pVal = utf8_decode(ps->p, (size_t)(end - ps->p), 0, &next);
        ps->p += next;
    }
    return ESC_CHAR;
}

static int class_atom(parser *ps, uint32_t *pVal) {
    size_t next;
    if (*ps->p == '\\') { ps->p++; return parse_escape(ps, 1, pVal); }
    *pVal = utf8_decode(ps->p, (size_t)(ps->end - ps->p), 0, &next);
    ps->p += next;
    return ESC_CHAR;
}

static int tmp_add_atom(parser *ps, int kind, uint32_t v) {
    return kind == ESC_SET ? tmp_add_set(ps, v) : tmp_add(ps, v, v);
}

static int32_t parse_class(parser *ps) {
    const unsigned char *end = ps->end;
    int bNeg = 0;
    ps->p++;                            /* '[' */
    if (ps->p < end && *ps->p == '^') { bNeg = 1; ps->p++; }
    ps->nTmp = 0;
    for (;;) {
        uint32_t a, b;
        int ka, kb;
        if (ps->p >= end) return fail(ps, "unterminated character class");
        if (*ps->p == ']') { ps->p++; break; }
        if ((ka = class_atom(ps, &a)) < 0) return -1;
        if (end - ps->p >= 2 && ps->p[0] == '-' && ps->p[1] != ']') {
            ps->p++;
            if ((kb = class_atom(ps, &b)) < 0) return -1;
            if (ka == ESC_SET || kb == ESC_SET) {   /* [\d-z]: JavaScript takes the '-' literally */
                if (tmp_add_atom(ps, ka, a) || tmp_add(ps, '-', '-') || tmp_add_atom(ps, kb, b)) return -1;
            } else if (a > b) {
                return fail(ps, "range out of order in character class");
            } else if (tmp_add(ps, a, b)) return -1;
        } else if (tmp_add_atom(ps, ka, a)) return -1;
    }
    return class_node(ps, bNeg);
}

static int32_t parse_alt(parser *ps, int depth);

static int32_t parse_group(parser *ps, int depth) {
    const unsigned char *end = ps->end;
    int kind = N_GROUP, bNeg = 0;
    uint32_t idx = 0;
    int32_t inner, n;
    ps->p++;                            /* '(' */
    if (ps->p < end && *ps->p == '?') {
        unsigned c2 = ps->p + 1 < end ? ps->p[1] : 0;
        if (c2 == ':') kind = N_EMPTY;
        else if (c2 == '=' || c2 == '!') { kind = N_LOOK; bNeg = c2 == '!'; }
        else if (c2 == '<') {
            unsigned c3 = ps->p + 2 < end ? ps->p[2] : 0;
            const unsigned char *q = ps->p + 2;
            if (c3 == '=' || c3 == '!') return fail(ps, "lookbehind is not supported");
            /* A named group captures like a plain one; \\k<name> finds its number by name. */
            while (q < end && is_name_char(*q)) q++;
            if (q == ps->p + 2 || q >= end || *q != '>' || is_digit(ps->p[2])) return fail(ps, "invalid capture group name");
            ps->p = q + 1;
            idx = ++ps->nGroupSeen;
            goto parsed_prefix;
        } else return fail(ps, "invalid group");
        ps->p += 2;
    } else idx = ++ps->nGroupSeen;
parsed_prefix:
    if (depth >= RX_MAX_DEPTH) return fail(ps, "pattern nested too deeply");
    if ((inner = parse_alt(ps, depth + 1)) < 0) return -1;
    if (ps->p >= end || *ps->p != ')') return fail(ps, "unterminated group");
    ps->p++;
    if (kind == N_EMPTY) return inner;  /* (?:...) only groups */
    n = new_node(ps, kind, kind == N_LOOK ? 1 : ps->aNode[inner].bNullable);
    if (n < 0) return -1;
    ps->aNode[n].child = inner;
    ps->aNode[n].val = idx;
    ps->aNode[n].bNeg = (uint8_t)bNeg;
    if (kind == N_LOOK) ps->bLook = 1;
    return n;
}

/* One term: an atom and its optional quantifier. */
static int32_t parse_term(parser *ps, int depth) {
    const unsigned char *end = ps->end;
    uint32_t g0 = ps->nGroupSeen, mn, mx, v;
    int32_t atom, rep;
    int bQuantifiable = 1, k;
    size_t qlen, next;
    switch (*ps->p) {
    case '^': ps->p++; atom = new_node(ps, N_BOL, 1); bQuantifiable = 0; break;
    case '$': ps->p++; atom = new_node(ps, N_EOL, 1); bQuantifiable = 0; break;
    case '.': ps->p++; atom = new_node(ps, N_ANY, 0); break;
    case '(': atom = parse_group(ps, depth); break;
    case '[': atom = parse_class(ps); break;
    case '*': case '+': case '?':
        return fail(ps, "nothing to repeat");
    case '{':
        if (scan_braces(ps->p, end, &mn, &mx)) return fail(ps, "nothing to repeat");
        ps->p++;
        atom = char_node(ps, '{');
        break;
    case '\\':
        if (end - ps->p >= 2 && (ps->p[1] == 'b' || ps->p[1] == 'B')) {
            atom = new_node(ps, ps->p[1] == 'b' ? N_WORDB : N_NWORDB, 1);
            ps->p += 2;
            bQuantifiable = 0;
            break;
        }
        ps->p++;
        if ((k = parse_escape(ps, 0, &v)) < 0) return -1;
        if (k == ESC_CHAR) atom = char_node(ps, v);
        else if (k == ESC_SET) { ps->nTmp = 0; atom = tmp_add_set(ps, v) ? -1 : class_node(ps, 0); }
        else {
            atom = new_node(ps, N_BACKREF, 1);
            if (atom >= 0) ps->aNode[atom].val = v;
            ps->bBackref = 1;
        }
        break;
    default:
        v = utf8_decode(ps->p, (size_t)(end - ps->p), 0, &next);
        ps->p += next;
        atom = char_node(ps, v);
        break;
    }
    if (atom < 0) return -1;
    if (!(qlen = scan_quantifier(ps->p, end, &mn, &mx))) return atom;
    if (!bQuantifiable) return fail(ps, "nothing to repeat");
    if (mn > mx) return fail(ps, "numbers out of order in {} quantifier");
    ps->p += qlen;
    rep = new_node(ps, N_REPEAT, mn == 0 || ps->aNode[atom].bNullable);
    if (rep < 0) return -1;
    ps->aNode[rep].bGreedy = 1;
    if (ps->p < end && *ps->p == '?') { ps->aNode[rep].bGreedy = 0; ps->p++; }
    if (scan_quantifier(ps->p, end, &v, &v)) return fail(ps, "nothing to repeat");
    ps->aNode[rep].child = atom;
    ps->aNode[rep].min = mn;
    ps->aNode[rep].max = mx;
    ps->aNode[rep].capLo = g0;
    ps->aNode[rep].capHi = ps->nGroupSeen;
    return rep;
}

/* A sequence of terms up to '|', ')' or the end. */
static int32_t parse_seq(parser *ps, int depth) {
    int32_t first = -1, last = -1, t, n;
    int count = 0, bNullable = 1;
    while (ps->p < ps->end && *ps->p != '|' && *ps->p != ')') {
        if ((t = parse_term(ps, depth)) < 0) return -1;
        if (last >= 0) ps->aNode[last].next = t; else first = t;
        last = t;
        count++;
        bNullable &= ps->aNode[t].bNullable;
    }
    if (count == 0) return new_node(ps, N_EMPTY, 1);
    if (count == 1) return first;
    if ((n = new_node(ps, N_CAT, bNullable)) >= 0) ps->aNode[n].child = first;
    return n;
}

static int32_t parse_alt(parser *ps, int depth) {
    int32_t first = -1, last = -1, seq, n;
    int count = 0, bNullable = 0;
    for (;;) {
        if ((seq = parse_seq(ps, depth)) < 0) return -1;
        if (last >= 0) ps->aNode[last].next = seq; else first = seq;
        last = seq;
        count++;
        bNullable |= ps->aNode[seq].bNullable;
        if (ps->p < ps->end && *ps->p == '|') { ps->p++; continue; }
        break;
    }
    if (count == 1) return first;
    if ((n = new_node(ps, N_ALT, bNullable)) >= 0) ps->aNode[n].child = first;
    return n;
}

/* '(' starts a capturing group: plain, or named (?<name>...) but not lookbehind (?<= (?<!. */
static int is_capturing(const unsigned char *p, size_t len) {
    if (len < 2 || p[1] != '?') return 1;
    return len >= 4 && p[2] == '<' && p[3] != '=' && p[3] != '!';
}

static int is_name_char(unsigned c) { return is_alpha(c) || is_digit(c) || c == '_' || c == '$' || c >= 0x80; }

/* Capturing groups in the whole pattern: a backslash number up to this count is a backreference. */
static uint32_t count_groups(const unsigned char *p, size_t len) {
    uint32_t count = 0;
    size_t i;
    int bInClass = 0;
    for (i = 0; i < len; i++) {
        if (p[i] == '\\') { i++; continue; }
        if (bInClass) { if (p[i] == ']') bInClass = 0; continue; }
        if (p[i] == '[') bInClass = 1;
        else if (p[i] == '(' && is_capturing(p + i, len - i) && count < RX_INF - 1) count++;
    }
    return count;
}

/* The group number of the named group `name`, or 0 when the pattern has none by that name. */
static uint32_t find_named_group(const unsigned char *p, size_t len, const unsigned char *name, size_t nlen) {
    uint32_t count = 0;
    size_t i;
    int bInClass = 0;
    for (i = 0; i < len; i++) {
        if (p[i] == '\\') { i++; continue; }
        if (bInClass) { if (p[i] == ']') bInClass = 0; continue; }
        if (p[i] == '[') { bInClass = 1; continue; }
        if (p[i] != '(' || !is_capturing(p + i, len - i)) continue;
        count++;
        if (i + 3 + nlen < len + 1 && p[i + 1] == '?' && memcmp(p + i + 3, name, nlen) == 0 && i + 3 + nlen < len && p[i + 3 + nlen] == '>') return count;
    }
    return 0;
}

/*}====================================================================*/
/*{==================== compiler: node tree -> program =================*/

typedef struct {
    parser *ps;
    rx_regex *re;
    uint32_t cap;
    int bCaps;                          /* emit SAVE/RESET: the pattern has backreferences */
    int bEmptyChecks;                   /* emit MARK/PROGRESS: the backtracker will run it */
} emitter;

static uint32_t emit(emitter *em, uint32_t op, uint32_t x, uint32_t y) {
    rx_regex *re = em->re;
    if (em->ps->bFailed) return 0;
    if (re->nInst >= RX_MAX_INST) { fail(em->ps, "pattern too large"); return 0; }
    if (re->nInst >= em->cap) {
        rx_inst *a = grow(re->aProg, &em->cap, re->nInst, sizeof *a);
        if (!a) { fail(em->ps, "out of memory"); return 0; }
        re->aProg = a;
    }
    re->aProg[re->nInst].op = op;
    re->aProg[re->nInst].x = x;
    re->aProg[re->nInst].y = y;
    return re->nInst++;
}

/* Points every instruction on the chain (linked through x, or y) at target. */
static void patch_chain(emitter *em, uint32_t head, int bUseY, uint32_t target) {
    if (em->ps->bFailed) return;
    while (head != NO_IDX) {
        rx_inst *in = &em->re->aProg[head];
        uint32_t next = bUseY ? in->y : in->x;
        if (bUseY) in->y = target; else in->x = target;
        head = next;
    }
}

static void compile_node(emitter *em, int32_t idx);

/* One iteration body: captures inside are reset first, as ECMAScript's RepeatMatcher does. */
static void compile_body(emitter *em, const rx_node *nd) {
    if (em->bCaps && nd->capHi > nd->capLo) emit(em, OP_RESET, 2 * (nd->capLo + 1), 2 * (nd->capHi + 1));
    compile_node(em, nd->child);
}

static void compile_repeat(emitter *em, const rx_node *nd) {
    rx_regex *re = em->re;
    uint32_t i, copies, loop, split, chain = NO_IDX, before;
    int bCheck = em->bEmptyChecks && nd->bNullable;
    uint32_t reg = bCheck ? re->nReg++ : 0;
    if (nd->max == RX_INF && nd->min == 0) {
        /* L: SPLIT body,out  body: MARK; x; PROGRESS; JMP L  out: */
        split = emit(em, OP_SPLIT, 0, 0);
        if (bCheck) emit(em, OP_MARK, reg, 0);
        compile_body(em, nd);
        if (bCheck) emit(em, OP_PROGRESS, reg, 0);
        emit(em, OP_JMP, split, 0);
        if (em->ps->bFailed) return;
        re->aProg[split].x = nd->bGreedy ? split + 1 : re->nInst;
        re->aProg[split].y = nd->bGreedy ? re->nInst : split + 1;
        return;
    }
    /* Mandatory copies; an unbounded loop keeps its last mandatory copy as the loop body. */
    copies = nd->max == RX_INF ? nd->min - 1 : nd->min;
    for (i = 0; i < copies && !em->ps->bFailed; i++) {
        before = re->nInst;
        compile_body(em, nd);
        if (re->nInst == before) break;   /* body emits nothing: all copies would be empty */
    }
    if (nd->max == RX_INF) {
        /* MARK(clear)  L: x; PROGRESS; MARK; SPLIT L,out  out:  (the first pass is never checked) */
        if (bCheck) emit(em, OP_MARK, reg, 1);
        loop = re->nInst;
        compile_body(em, nd);
        if (bCheck) { emit(em, OP_PROGRESS, reg, 0); emit(em, OP_MARK, reg, 0); }
        split = emit(em, OP_SPLIT, 0, 0);
        if (em->ps->bFailed) return;
        re->aProg[split].x = nd->bGreedy ? loop : split + 1;
        re->aProg[split].y = nd->bGreedy ? split + 1 : loop;
        return;
    }
    /* Optional copies nest, (x(x(x)?)?)?, so that skipping one skips the rest. */
    for (i = nd->min; i < nd->max && !em->ps->bFailed; i++) {
        split = emit(em, OP_SPLIT, NO_IDX, NO_IDX);
        if (em->ps->bFailed) return;
        if (nd->bGreedy) { re->aProg[split].x = split + 1; re->aProg[split].y = chain; }
        else { re->aProg[split].y = split + 1; re->aProg[split].x = chain; }
        chain = split;
        before = re->nInst;
        compile_body(em, nd);
        if (re->nInst == before) break;
    }
    /* Patch each skip branch to the end; the chains link through the unpatched field. */
    while (chain != NO_IDX && !em->ps->bFailed) {
        rx_inst *in = &re->aProg[chain];
        uint32_t next = nd->bGreedy ? in->y : in->x;
        if (nd->bGreedy) in->y = re->nInst; else in->x = re->nInst;
        chain = next;
    }
}

static void compile_node(emitter *em, int32_t idx) {
    const rx_node *nd = &em->ps->aNode[idx];
    rx_regex *re = em->re;
    uint32_t split, jumps = NO_IDX, look;
    int32_t c;
    if (em->ps->bFailed) return;
    switch (nd->kind) {
    case N_EMPTY: break;
    case N_CHAR: emit(em, OP_CHAR, nd->val, 0); break;
    case N_ANY: emit(em, OP_ANY, 0, 0); break;
    case N_CLASS: emit(em, OP_CLASS, nd->val, 0); break;
    case N_BOL: emit(em, OP_BOL, 0, 0); break;
    case N_EOL: emit(em, OP_EOL, 0, 0); break;
    case N_WORDB: emit(em, OP_WORDB, 0, 0); break;
    case N_NWORDB: emit(em, OP_NWORDB, 0, 0); break;
    case N_BACKREF: emit(em, OP_BACKREF, nd->val, 0); break;
    case N_CAT:
        for (c = nd->child; c >= 0 && !em->ps->bFailed; c = em->ps->aNode[c].next) compile_node(em, c);
        break;
    case N_ALT:
        /* SPLIT a,next  a: ... JMP out  next: SPLIT b,next2 ... last  out: */
        for (c = nd->child; c >= 0 && !em->ps->bFailed; c = em->ps->aNode[c].next) {
            if (em->ps->aNode[c].next < 0) { compile_node(em, c); break; }
            split = emit(em, OP_SPLIT, 0, 0);
            compile_node(em, c);
            jumps = emit(em, OP_JMP, jumps, 0);
            if (em->ps->bFailed) return;
            re->aProg[split].x = split + 1;
            re->aProg[split].y = re->nInst;
        }
        patch_chain(em, jumps, 0, re->nInst);
        break;
    case N_GROUP:
        if (em->bCaps) emit(em, OP_SAVE, 2 * nd->val, 0);
        compile_node(em, nd->child);
        if (em->bCaps) emit(em, OP_SAVE, 2 * nd->val + 1, 0);
        break;
    case N_LOOK:
        look = emit(em, OP_LOOK, 0, nd->bNeg);
        compile_node(em, nd->child);
        emit(em, OP_LOOKEND, 0, 0);
        if (!em->ps->bFailed) re->aProg[look].x = re->nInst;
        break;
    case N_REPEAT:
        if (nd->max > 0) compile_repeat(em, nd);   /* x{0} matches the empty string */
        break;
    }
}

/*}====================================================================*/
/*{==================== analyses for the fast paths ====================*/

static int node_anchored(const rx_node *aNode, int32_t idx) {
    const rx_node *nd = &aNode[idx];
    int32_t c;
    switch (nd->kind) {
    case N_BOL: return 1;
    case N_CAT: case N_GROUP: return node_anchored(aNode, nd->child);
    case N_REPEAT: return nd->min > 0 && node_anchored(aNode, nd->child);
    case N_ALT:
        for (c = nd->child; c >= 0; c = aNode[c].next) if (!node_anchored(aNode, c)) return 0;
        return 1;
    default: return 0;
    }
}

/* Bad bytes (U+DC80..U+DCFF) and other surrogates have no byte form to compare. */
static int is_literal_node(const rx_node *nd) {
    return nd->kind == N_CHAR && !(nd->val >= 0xD800 && nd->val <= 0xDFFF);
}

/* Leading literal text: "^abc", "abc" and "^abc$" shapes are answered without the matchers. A
** failed allocation only loses the fast path. */
static void find_literal(rx_regex *re, const rx_node *aNode, int32_t root) {
    int32_t c = aNode[root].kind == N_CAT ? aNode[root].child : root, first;
    int bAnchored = 0;
    size_t n = 0, i, k;
    unsigned char tmp[4];
    if (aNode[c].kind == N_BOL) { bAnchored = 1; c = aNode[c].next; }
    for (first = c; c >= 0 && is_literal_node(&aNode[c]); c = aNode[c].next) n += utf8_encode(aNode[c].val, tmp);
    if (n > 0 && !(re->aLit = malloc(n))) return;
    for (c = first; c >= 0 && is_literal_node(&aNode[c]); c = aNode[c].next)
        re->nLit += utf8_encode(aNode[c].val, re->aLit + re->nLit);
    re->bLitAnchored = bAnchored;
    if (c < 0) re->bLitWhole = 1;
    else if (bAnchored && aNode[c].kind == N_EOL && aNode[c].next < 0) re->bLitExact = 1;
    if (!re->bLitWhole || bAnchored || n == 0) return;
    /* aKmp[i]: length of the longest proper prefix of aLit[0..i] that also ends there */
    if (!(re->aKmp = malloc(n * sizeof(uint32_t)))) { re->bLitWhole = 0; return; }
    re->aKmp[0] = 0;
    for (i = 1, k = 0; i < n; i++) {
        while (k > 0 && re->aLit[i] != re->aLit[k]) k = re->aKmp[k - 1];
        if (re->aLit[i] == re->aLit[k]) k++;
        re->aKmp[i] = (uint32_t)k;
    }
}

/* Adds the first bytes of the UTF-8 forms of code points lo..hi. */
static void first_add_range(unsigned char *set, uint32_t lo, uint32_t hi) {
    static const uint32_t bandLo[] = { 0x80, 0x800, 0x10000 }, bandHi[] = { 0x7FF, 0xFFFF, 0x10FFFF };
    static const unsigned shift[] = { 6, 12, 18 }, lead[] = { 0xC0, 0xE0, 0xF0 };
    uint32_t b, a, z;
    int k;
    for (b = lo; b <= hi && b < 0x80; b++) set[b] = 1;
    for (k = 0; k < 3; k++) {
        a = lo > bandLo[k] ? lo : bandLo[k];
        z = hi < bandHi[k] ? hi : bandHi[k];
        if (a > z) continue;
        for (b = lead[k] | (a >> shift[k]); b <= (lead[k] | (z >> shift[k])); b++) set[b] = 1;
    }
    if (lo <= 0xDCFF && hi >= 0xDC80)   /* code points that stand for invalid bytes */
        for (b = 0x80; b < 0x100; b++) set[b] = 1;
}

/* Bytes that can start a match. Usable only when every match consumes a first code point and
** the set holds no continuation byte, so a hit is always on a code point boundary. */
static void find_first_bytes(rx_regex *re) {
    uint32_t n = re->nInst, sp = 0, pc, i, count = 0;
    unsigned char *seen = calloc(n, 1);
    uint32_t *stk = malloc(((size_t)n * 2 + 1) * sizeof(uint32_t));
    int bGiveUp = 0;
    if (!seen || !stk) { free(seen); free(stk); return; }
    stk[sp++] = 0;
    while (sp && !bGiveUp) {
        const rx_inst *in;
        pc = stk[--sp];
        if (seen[pc]) continue;
        seen[pc] = 1;
        in = &re->aProg[pc];
        switch (in->op) {
        case OP_CHAR: first_add_range(re->aFirst, in->x, in->x); break;
        case OP_CLASS:
            for (i = 0; i < re->aClass[in->x].count; i++) {
                const rx_range *r = &re->aRange[re->aClass[in->x].first + i];
                first_add_range(re->aFirst, r->lo, r->hi);
            }
            break;
        case OP_ANY: case OP_MATCH: case OP_LOOK: case OP_LOOKEND: case OP_BACKREF: bGiveUp = 1; break;
        case OP_JMP: stk[sp++] = in->x; break;
        case OP_SPLIT: stk[sp++] = in->y; stk[sp++] = in->x; break;
        default: stk[sp++] = pc + 1; break;   /* other zero-width steps: look past them */
        }
    }
    free(seen);
    free(stk);
    for (i = 0x80; i < 0xC0 && !bGiveUp; i++) if (re->aFirst[i]) bGiveUp = 1;
    for (i = 0; i < 256; i++) if (re->aFirst[i]) { count++; re->iFirstSingle = (int)i; }
    if (bGiveUp || count == 256) return;
    re->bUseFirst = 1;
    if (count != 1) re->iFirstSingle = -1;
}

/*}====================================================================*/
/*{==================== public: compile and free =======================*/

rx_regex *rx_compile(const char *pattern, size_t pattern_len, char *err, size_t errcap) {
    parser ps;
    emitter em;
    rx_regex *re;
    int32_t root;
    if (err && errcap) err[0] = 0;
    if (!pattern) pattern_len = 0;
    if (pattern_len > RX_MAX_PATTERN) { copy_msg(err, errcap, "pattern too large"); return NULL; }
    if (!(re = calloc(1, sizeof *re))) { copy_msg(err, errcap, "out of memory"); return NULL; }
    memset(&ps, 0, sizeof ps);
    ps.p = (const unsigned char *)(pattern ? pattern : "");
    ps.end = ps.p + pattern_len;
    ps.zErr = err;
    ps.errCap = errcap;
    ps.re = re;
    ps.nGroupTotal = count_groups(ps.p, pattern_len);
    ps.pattern = ps.p;
    ps.patternLen = pattern_len;
    for (size_t i = 0; i + 3 < pattern_len; i++)
        if (ps.p[i] == '(' && ps.p[i + 1] == '?' && ps.p[i + 2] == '<' && ps.p[i + 3] != '=' && ps.p[i + 3] != '!') ps.bHasNames = 1;
    root = parse_alt(&ps, 0);
    if (root >= 0 && ps.p < ps.end) fail(&ps, "unmatched ')'");   /* parse_alt stops only at ')' */
    if (!ps.bFailed) {
        re->nGroup = ps.nGroupSeen > ps.nGroupTotal ? ps.nGroupSeen : ps.nGroupTotal;
        re->bBacktrack = ps.bBackref || ps.bLook;
        memset(&em, 0, sizeof em);
        em.ps = &ps;
        em.re = re;
        em.bCaps = ps.bBackref;
        em.bEmptyChecks = re->bBacktrack;
        compile_node(&em, root);
        emit(&em, OP_MATCH, 0, 0);
    }
    if (!ps.bFailed) {
        re->bAnchored = node_anchored(ps.aNode, root);
        find_literal(re, ps.aNode, root);
        if (!re->bAnchored) find_first_bytes(re);
    }
    free(ps.aNode);
    free(ps.aTmp);
    if (ps.bFailed) { rx_free(re); return NULL; }
    return re;
}

void rx_free(rx_regex *re) {
    if (!re) return;
    free(re->aProg);
    free(re->aClass);
    free(re->aRange);
    free(re->aLit);
    free(re->aKmp);
    free(re);
}

/*}====================================================================*/
/*{==================== Pike VM: lookahead- and backreference-free =====*/

typedef struct {
    const rx_regex *re;
    const unsigned char *s;
    size_t len;
    uint32_t *aStamp, *aStack;          /* aStamp[pc] == gen: pc already in the list being built */
    uint64_t steps;
} pike_ctx;

/* Adds pc and everything reachable from it without consuming input, at pos, to list. Returns 1
** as soon as MATCH is reachable: only a yes/no answer is needed, so that ends the search. */
static int pike_add(pike_ctx *c, uint32_t *list, uint32_t *pN, uint32_t gen, uint32_t pc0, size_t pos) {
    uint32_t sp = 0, pc;
    c->aStack[sp++] = pc0;
    while (sp) {
        const rx_inst *in;
        pc = c->aStack[--sp];
        if (c->aStamp[pc] == gen) continue;
        c->aStamp[pc] = gen;
        c->steps++;
        in = &c->re->aProg[pc];
        switch (in->op) {
        case OP_MATCH: return 1;
        case OP_CHAR: case OP_ANY: case OP_CLASS: list[(*pN)++] = pc; break;
        case OP_JMP: c->aStack[sp++] = in->x; break;
        case OP_SPLIT: c->aStack[sp++] = in->y; c->aStack[sp++] = in->x; break;
        case OP_BOL: if (pos == 0) c->aStack[sp++] = pc + 1; break;
        case OP_EOL: if (pos == c->len) c->aStack[sp++] = pc + 1; break;
        case OP_WORDB: if (at_word_boundary(c->s, c->len, pos)) c->aStack[sp++] = pc + 1; break;
        case OP_NWORDB: if (!at_word_boundary(c->s, c->len, pos)) c->aStack[sp++] = pc + 1; break;
        default: c->aStack[sp++] = pc + 1; break;   /* SAVE, RESET, MARK, PROGRESS: no-ops here */
        }
    }
    return 0;
}

/* Next offset >= pos whose byte can start a match, or len. */
static size_t skip_to_first(const rx_regex *re, const unsigned char *s, size_t len, size_t pos) {
    if (re->iFirstSingle >= 0) {
        const unsigned char *hit = memchr(s + pos, re->iFirstSingle, len - pos);
        return hit ? (size_t)(hit - s) : len;
    }
    while (pos < len && !re->aFirst[s[pos]]) pos++;
    return pos;
}

static int pike_search(const rx_regex *re, const unsigned char *s, size_t len, uint64_t budget, uint64_t *used) {
    uint32_t n = re->nInst, nCur = 0, nNext = 0, gen = 1, i, *cur, *nxt, *tmp;
    uint32_t local[5 * 64 + 1], *buf = local;
    size_t pos = 0, after;
    int result = 0;
    pike_ctx c;
    if (n > 64) {
        if (!(buf = calloc((size_t)n * 5 + 1, sizeof(uint32_t)))) return -1;
    } else memset(local, 0, (size_t)n * sizeof(uint32_t));   /* only the stamps need zeroing */
    c.re = re; c.s = s; c.len = len;
    c.steps = n > 64 ? n : 0;   /* setting up a big program's lists costs about this much */
    c.aStamp = buf;
    cur = buf + n;
    nxt = buf + 2 * (size_t)n;
    c.aStack = buf + 3 * (size_t)n;
    for (;;) {
        uint32_t cp;
        if (nCur == 0) {
            if (re->bAnchored && pos > 0) break;
            if (re->bUseFirst && (pos = skip_to_first(re, s, len, pos)) >= len) break;
        }
        if ((!re->bAnchored || pos == 0) && pike_add(&c, cur, &nCur, gen, 0, pos)) { result = 1; break; }
        if (c.steps > budget) { result = -1; break; }
        if (pos >= len) break;
        cp = utf8_decode(s, len, pos, &after);
        if (++gen == 0) { memset(c.aStamp, 0, (size_t)n * sizeof(uint32_t)); gen = 1; }
        nNext = 0;
        for (i = 0; i < nCur; i++) {
            const rx_inst *in = &re->aProg[cur[i]];
            if (inst_accepts(re, in, cp) && pike_add(&c, nxt, &nNext, gen, cur[i] + 1, after)) { result = 1; break; }
        }
        if (result) break;
        tmp = cur; cur = nxt; nxt = tmp;
        nCur = nNext;
        pos = after;
    }
    if (buf != local) free(buf);
    *used = c.steps;
    return result;
}

/*}====================================================================*/
/*{==================== backtracker: lookahead and backreferences ======*/

/* A stack frame: a branch to resume, an undo record, or an open lookahead. */
enum { F_BRANCH, F_CAP, F_REG, F_LOOK };
typedef struct { uint32_t tag, a; size_t b; } bt_frame;   /* F_LOOK: tag>>2 = LOOK pc, a = outer look */

typedef struct {
    const rx_regex *re;
    const unsigned char *s;
    size_t len;
    bt_frame *aFrame; uint32_t nFrame, capFrame;
    size_t *aCap, *aReg;
    uint64_t steps, budget;
} bt_ctx;

static int bt_push(bt_ctx *c, uint32_t tag, uint32_t a, size_t b) {
    if (c->nFrame >= c->capFrame) {
        bt_frame *aNew;
        if (c->capFrame >= RX_MAX_FRAMES) return 0;
        if (!(aNew = grow(c->aFrame, &c->capFrame, c->nFrame, sizeof *aNew))) return 0;
        c->aFrame = aNew;
    }
    c->aFrame[c->nFrame].tag = tag;
    c->aFrame[c->nFrame].a = a;
    c->aFrame[c->nFrame].b = b;
    c->nFrame++;
    return 1;
}

/* Tries one start position: 1 match, 0 none, -1 out of budget or memory. */
static int bt_run(bt_ctx *c, size_t start) {
    const rx_regex *re = c->re;
    const rx_inst *prog = re->aProg;
    uint32_t pc = 0, lookTop = NO_IDX, k;
    size_t pos = start, i, nx;
    for (i = 0; i < 2 * ((size_t)re->nGroup + 1); i++) c->aCap[i] = NO_POS;
    c->nFrame = 0;
    c->steps += re->nGroup;
    for (;;) {
        const rx_inst *in = &prog[pc];
        int bOk = 1;
        if (++c->steps > c->budget) return -1;
        switch (in->op) {
        case OP_CHAR: case OP_ANY: case OP_CLASS:
            if (pos < c->len && inst_accepts(re, in, utf8_decode(c->s, c->len, pos, &nx))) { pos = nx; pc++; }
            else bOk = 0;
            break;
        case OP_MATCH: return 1;
        case OP_JMP: pc = in->x; break;
        case OP_SPLIT:
            if (!bt_push(c, F_BRANCH, in->y, pos)) return -1;
            pc = in->x;
            break;
        case OP_SAVE:
            if (!bt_push(c, F_CAP, in->x, c->aCap[in->x])) return -1;
            c->aCap[in->x] = pos;
            pc++;
            break;
        case OP_RESET:
            for (k = in->x; k < in->y; k++) {
                if (c->aCap[k] == NO_POS) continue;
                if (!bt_push(c, F_CAP, k, c->aCap[k])) return -1;
                c->aCap[k] = NO_POS;
            }
            c->steps += in->y - in->x;
            pc++;
            break;
        case OP_MARK:
            if (!bt_push(c, F_REG, in->x, c->aReg[in->x])) return -1;
            c->aReg[in->x] = in->y ? NO_POS : pos;
            pc++;
            break;
        case OP_PROGRESS:   /* an iteration that matched nothing fails (ECMAScript RepeatMatcher) */
            if (c->aReg[in->x] == pos) bOk = 0; else pc++;
            break;
        case OP_BOL: if (pos == 0) pc++; else bOk = 0; break;
        case OP_EOL: if (pos == c->len) pc++; else bOk = 0; break;
        case OP_WORDB: if (at_word_boundary(c->s, c->len, pos)) pc++; else bOk = 0; break;
        case OP_NWORDB: if (!at_word_boundary(c->s, c->len, pos)) pc++; else bOk = 0; break;
        case OP_BACKREF: {
            size_t a = c->aCap[2 * in->x], b = c->aCap[2 * in->x + 1];
            if (a != NO_POS && b != NO_POS && b > a) {   /* an unset group matches empty */
                if (c->len - pos < b - a || memcmp(c->s + a, c->s + pos, b - a) != 0) { bOk = 0; break; }
                c->steps += (b - a) / 16;
                pos += b - a;
            }
            pc++;
            break;
        }
        case OP_LOOK:
            if (!bt_push(c, F_LOOK | (pc << 2), lookTop, pos)) return -1;
            lookTop = c->nFrame - 1;
            pc++;
            break;
        case OP_LOOKEND: {
            bt_frame f = c->aFrame[lookTop];
            const rx_inst *look = &prog[f.tag >> 2];
            uint32_t w = lookTop, j;
            c->steps += c->nFrame - lookTop;
            if (!look->y) {
                /* Positive lookahead holds: drop its branches (it is atomic) but keep its undo
                ** records, so captures made inside are still undone if we backtrack past it. */
                for (j = lookTop + 1; j < c->nFrame; j++) {
                    uint32_t kind = c->aFrame[j].tag & 3;
                    if (kind == F_CAP || kind == F_REG) c->aFrame[w++] = c->aFrame[j];
                }
                c->nFrame = w;
                lookTop = f.a;
                pos = f.b;
                pc = look->x;
                break;
            }
            /* Negative lookahead's body matched: undo the body, then fail. */
            while (c->nFrame > lookTop) {
                bt_frame g = c->aFrame[--c->nFrame];
                if ((g.tag & 3) == F_CAP) c->aCap[g.a] = g.b;
                else if ((g.tag & 3) == F_REG) c->aReg[g.a] = g.b;
            }
            lookTop = f.a;
            bOk = 0;
            break;
        }
        }
        if (bOk) continue;
        /* Backtrack: undo until a branch resumes, or a negative lookahead's body has failed. */
        for (;;) {
            bt_frame f;
            if (c->nFrame == 0) return 0;
            if (++c->steps > c->budget) return -1;
            f = c->aFrame[--c->nFrame];
            if ((f.tag & 3) == F_BRANCH) { pc = f.a; pos = f.b; break; }
            if ((f.tag & 3) == F_CAP) { c->aCap[f.a] = f.b; continue; }
            if ((f.tag & 3) == F_REG) { c->aReg[f.a] = f.b; continue; }
            lookTop = f.a;
            if (prog[f.tag >> 2].y) { pos = f.b; pc = prog[f.tag >> 2].x; break; }
        }
    }
}

static int bt_search(const rx_regex *re, const unsigned char *s, size_t len, uint64_t budget, uint64_t *used) {
    bt_ctx c;
    size_t pos = 0, i, nSlot = 2 * ((size_t)re->nGroup + 1) + re->nReg;
    int r = 0;
    memset(&c, 0, sizeof c);
    c.re = re; c.s = s; c.len = len; c.budget = budget;
    if (!(c.aCap = malloc(nSlot * sizeof(size_t)))) return -1;
    for (i = 0; i < nSlot; i++) c.aCap[i] = NO_POS;
    c.aReg = c.aCap + 2 * ((size_t)re->nGroup + 1);
    for (;;) {
        if (re->bUseFirst && (pos = skip_to_first(re, s, len, pos)) >= len) break;
        if ((r = bt_run(&c, pos)) != 0) break;
        if (re->bAnchored || pos >= len) break;
        utf8_decode(s, len, pos, &pos);
    }
    free(c.aFrame);
    free(c.aCap);
    *used = c.steps;
    return r;
}

/*}====================================================================*/
/*{==================== public: search =================================*/

/* Knuth-Morris-Pratt: linear even for long literals; memchr skips ahead while nothing is matched. */
static int has_literal(const rx_regex *re, const unsigned char *s, size_t len) {
    const unsigned char *lit = re->aLit;
    size_t i = 0, k = 0, n = re->nLit;
    if (n == 0) return 1;
    while (i < len) {
        if (k == 0) {
            const unsigned char *hit = memchr(s + i, lit[0], len - i);
            if (!hit) return 0;
            i = (size_t)(hit - s);
        }
        if (s[i] == lit[k]) {
            i++;
            if (++k == n) return 1;
        } else if (k > 0) k = re->aKmp[k - 1];
        else i++;
    }
    return 0;
}

static int search(const rx_regex *re, const char *subject, size_t subject_len, uint64_t *left, uint64_t per_byte);

int rx_search(const rx_regex *re, const char *subject, size_t subject_len) {
    uint64_t budget = RX_BUDGET_BASE;
    return search(re, subject, subject_len, &budget, RX_BUDGET_PER_BYTE);
}

int rx_search_metered(const rx_regex *re, const char *subject, size_t subject_len, uint64_t *left) {
    /* Only long subjects earn steps by their length: many short documents share the base. */
    size_t long_part = subject_len > RX_QUERY_FREE_BYTES ? subject_len - RX_QUERY_FREE_BYTES : 0;
    uint64_t extra = (uint64_t)RX_QUERY_PER_BYTE * long_part;
    *left += extra;
    return search(re, subject, subject_len, left, 0);
}

static int search(const rx_regex *re, const char *subject, size_t subject_len, uint64_t *left, uint64_t per_byte) {
    const unsigned char *s = (const unsigned char *)(subject ? subject : "");
    size_t len = subject ? subject_len : 0;
    uint64_t budget = *left + per_byte * len, used = 0;
    if (!re) return 0;
    if (re->bLitAnchored) {
        if (len < re->nLit || (re->nLit && memcmp(s, re->aLit, re->nLit) != 0)) return 0;
        if (re->bLitWhole) return 1;
        if (re->bLitExact) return len == re->nLit;
    } else if (re->bLitWhole) {
        return has_literal(re, s, len);
    }
    int r = re->bBacktrack ? bt_search(re, s, len, budget, &used) : pike_search(re, s, len, budget, &used);
    *left = r < 0 || used >= budget ? 0 : budget - used;
    return r;
}

/*}====================================================================*/
