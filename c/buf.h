/*
 * buf.h: a growable byte buffer with a sticky out-of-memory flag.
 *
 * Owns: the bytes it holds (malloc'd). Invariants: len <= cap; once `oom` is set every
 * later append is a no-op, so callers check once at the end (STYLE.md rule 5).
 * Used for every piece of JSON text the engine writes.
 */
#ifndef HS_BUF_H
#define HS_BUF_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct buf {
    char *data;
    size_t len, cap;
    int oom;
} buf;

void buf_init(buf *b);
/* Empties b for reuse and forgets an earlier out-of-memory: a reused buffer must not stay
   broken after one failed allocation. */
static inline void buf_clear(buf *b) { b->len = 0; b->oom = 0; }
void buf_free(buf *b);
/* Makes room for n more bytes; returns 0 (and sets oom) when memory runs out. */
int buf_reserve(buf *b, size_t n);
void buf_put(buf *b, const void *p, size_t n);
void buf_puts(buf *b, const char *s);
void buf_putc_slow(buf *b, char c);
void buf_put_i64(buf *b, int64_t v);
void buf_put_double(buf *b, double d);
/* Appends s as a JSON string literal, quotes included, escaping as JSON requires. */
void buf_put_json_string(buf *b, const char *s, size_t n);
/* 1 for the bytes that must be escaped inside a JSON string literal: controls, '"', '\\'. */
extern const uint8_t buf_json_escaped[256];
/* 1 if s needs no escaping inside a JSON string literal. Inline (every key and string of a
   document an add stores is checked): 8 bytes at a time, then the last few by the table. */
static inline int buf_json_plain(const char *s, size_t n) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
        /* a byte equal to '"' or '\\', or below 0x20 (bytes of 0x80 and above never count) */
        if ((((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) & highs) return 0;
    }
    unsigned any = 0;
    for (; i < n; i++) any |= buf_json_escaped[(unsigned char)s[i]];
    return !any;
}
/* Writes the shortest text that reads back as d (like JS Number#toString, finite only). */
size_t fmt_double(double d, char out[32]);

/* Copies n bytes (no overlap), short runs by words and bytes, longer ones by memcpy. In wasm
   memcpy is memory.copy, which V8 runs as a call into C: for the keys and short strings the
   engine reads and writes by the million, this costs about half as much. (-Oz makes it one
   small function rather than inlining it everywhere: 0.1 kB less wasm gzipped.) */
static inline void hs_copy_small(void *dst, const void *src, size_t n) {
    if (n > 32) { memcpy(dst, src, n); return; }
    char *d = dst;
    const char *s = src;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) { uint64_t w; memcpy(&w, s + i, 8); memcpy(d + i, &w, 8); }
    for (; i < n; i++) d[i] = s[i];
}

static inline void buf_putc(buf *b, char c) {
    if (b->len < b->cap) b->data[b->len++] = c;
    else buf_putc_slow(b, c);
}

static inline void buf_put_fast(buf *b, const void *p, size_t n) {
    if (b->cap - b->len >= n) { hs_copy_small(b->data + b->len, p, n); b->len += n; }
    else buf_put(b, p, n);
}
#endif
