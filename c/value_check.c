/*
 * value_check.c: checks a value that arrives already in the storage format (value.h), as a
 * big add's documents do from the JS wrapper (js/doc-encoder.js), before it is stored.
 *
 * Must stay true: a value that passes is exactly what the JSON parser (json_scan.c) builds
 * from the JSON text of the same value, so nothing downstream can tell the two paths apart:
 * every length within the bytes given and every container's count and byte length exact;
 * numbers canonical (an integral double that fits int64 is an integer, an integer that fits
 * 32 bits is an int32, an int64 is one a double holds exactly, no NaN or infinity); each string's and key's escaping flag equal to
 * what buf_json_plain says of its bytes; object keys unique; nesting within max_depth,
 * counted as the parser counts it. UTF-8 validity is the writer's promise, as it is the
 * TextEncoder's for JSON text. Reads only bytes[0, avail); recursion is bounded by max_depth.
 */
#include "value.h"
#include <math.h>
#include <stdlib.h>

#define TRUNCATED "a document's encoding is cut short"

/* 1 when n bytes at s hold no byte that JSON must escape (buf.h). */
static inline int plain_bytes(const uint8_t *s, size_t n) { return buf_json_plain((const char *)s, n); }

/* 1 when the n keys at keys[] (each a u32 length, high bit the escape flag, then bytes) differ. */
static int keys_unique(const uint8_t *const *keys, size_t n) {
    for (size_t a = 0; a < n; a++) {
        uint32_t la = rd32(keys[a]) & 0x7fffffffu;
        for (size_t b = a + 1; b < n; b++)
            if ((rd32(keys[b]) & 0x7fffffffu) == la && (la == 0 || (keys[a][4] == keys[b][4] && memcmp(keys[a] + 4, keys[b] + 4, la) == 0))) return 0;
    }
    return 1;
}

static inline __attribute__((always_inline)) const char *check_value(const uint8_t *p, size_t avail, int depth, int max_depth, size_t *size);

/* Out of line: check_value, inline in its loop, comes back here for nested containers. */
static __attribute__((noinline)) const char *check_container(const uint8_t *p, size_t avail, int depth, int max_depth, size_t *size) {
    if (avail < 9) return TRUNCATED;
    uint32_t count = rd32(p + 1), bytes = rd32(p + 5);
    if (bytes > avail - 9) return TRUNCATED;
    int is_object = p[0] == T_OBJ;
    /* Key places for the duplicate check: on the stack for the usual small object. */
    const uint8_t *small[32], **keys = small;
    if (is_object && count > 32) {
        if (count > bytes / 5) return TRUNCATED;   /* a member takes at least 5 bytes */
        if (!(keys = malloc(count * sizeof *keys))) return "out of memory";
    }
    const uint8_t *q = p + 9, *end = q + bytes;
    const char *e = NULL;
    for (uint32_t i = 0; i < count && !e; i++) {
        if (is_object) {
            if (end - q < 4) { e = TRUNCATED; break; }
            uint32_t head = rd32(q), kl = head & 0x7fffffffu;
            if (kl > (size_t)(end - q) - 4) { e = TRUNCATED; break; }
            if (plain_bytes(q + 4, kl) != !(head & 0x80000000u)) { e = "a member name's escaping flag is wrong"; break; }
            keys[i] = q;
            q += 4 + kl;
        }
        /* A container's elements are one level deeper, as the parser counts them. */
        size_t n;
        e = check_value(q, (size_t)(end - q), depth + 1, max_depth, &n);
        q += n;
    }
    if (!e && q != end) e = "a container's byte length does not match its elements";
    if (!e && is_object && count > 1 && !keys_unique(keys, count)) e = "duplicate key in object";
    if (keys != small) free(keys);
    *size = 9 + (size_t)bytes;
    return e;
}

static inline __attribute__((always_inline)) const char *check_value(const uint8_t *p, size_t avail, int depth, int max_depth, size_t *size) {
    *size = 0;
    if (depth > max_depth) return "Exceeded max allowed nesting depth";
    if (avail < 1) return TRUNCATED;
    switch (p[0]) {
    case T_NULL: case T_FALSE: case T_TRUE:
        *size = 1;
        return NULL;
    case T_INT32:
        if (avail < 5) return TRUNCATED;
        *size = 5;
        return NULL;
    case T_INT64: {
        if (avail < 9) return TRUNCATED;
        int64_t x;
        memcpy(&x, p + 1, 8);
        if (x >= INT32_MIN && x <= INT32_MAX) return "an int64 that fits 32 bits";
        /* The parser reads an integer of more than 15 digits through a double (json_scan.c),
           so it only ever builds integers a double holds exactly. */
        double d = (double)x;
        if (!(d < 9223372036854775808.0) || (int64_t)d != x) return "an int64 that a double does not hold exactly";
        *size = 9;
        return NULL;
    }
    case T_DOUBLE: {
        if (avail < 9) return TRUNCATED;
        double d;
        memcpy(&d, p + 1, 8);
        if (!isfinite(d)) return "number out of range";
        /* enc_number's rule: integral and within int64 means an integer (-0 stays a double) */
        if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0 && !(d == 0 && signbit(d)))
            return "an integral double that fits int64";
        *size = 9;
        return NULL;
    }
    case T_STR: case T_STRX: {
        if (avail < 5) return TRUNCATED;
        uint32_t n = rd32(p + 1);
        if (n > avail - 5) return TRUNCATED;
        if (plain_bytes(p + 5, n) != (p[0] == T_STR)) return "a string's escaping flag is wrong";
        *size = 5 + (size_t)n;
        return NULL;
    }
    case T_ARR: case T_OBJ:
        return check_container(p, avail, depth, max_depth, size);
    default:
        return "an unknown tag";
    }
}

const char *val_check(const uint8_t *bytes, size_t avail, int max_depth, size_t *size) {
    /* The parser counts the outermost value as level 1. */
    return check_value(bytes, avail, 1, max_depth, size);
}
