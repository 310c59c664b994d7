/*
 * text.c: Unicode simple lower-casing for the scripts users most often store.
 *
 * Not the whole Unicode case table (that would triple the wasm size): the ranges below
 * are one-to-one mappings, which keeps the byte length rule simple and the output
 * deterministic. Characters outside them are left as they are.
 */
#include "text.h"

static unsigned lower_cp(unsigned c) {
    if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
    if (c < 0x100) return c;
    if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c % 2 == 0 ? c + 1 : c;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return c % 2 == 1 ? c + 1 : c;
    if (c == 0x178) return 0xFF;
    if (c == 0x130) return 'i';
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
    if (c == 0x386) return 0x3AC;
    if (c >= 0x388 && c <= 0x38A) return c + 37;
    if (c == 0x38C) return 0x3CC;
    if (c == 0x38E || c == 0x38F) return c + 63;
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF)) return c % 2 == 0 ? c + 1 : c;
    if (c >= 0x531 && c <= 0x556) return c + 48;
    if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF)) return c % 2 == 0 ? c + 1 : c;
    if (c >= 0xFF21 && c <= 0xFF3A) return c + 32;
    return c;
}

void text_lower_utf8(buf *out, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) { buf_putc(out, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c)); p++; continue; }
        size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (len == 1 || (size_t)(end - p) < len) { buf_putc(out, (char)c); p++; continue; }
        unsigned cp = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
        int ok = 1;
        for (size_t k = 1; k < len; k++) {
            if ((p[k] & 0xC0) != 0x80) { ok = 0; break; }
            cp = cp << 6 | (p[k] & 0x3F);
        }
        unsigned low = ok ? lower_cp(cp) : cp;
        if (!ok || low == cp) { buf_put(out, p, ok ? len : 1); p += ok ? len : 1; continue; }
        /* Every mapping above stays within its UTF-8 length class except U+0130 -> 'i'. */
        char u[4];
        size_t m;
        if (low < 0x80) { u[0] = (char)low; m = 1; }
        else if (low < 0x800) { u[0] = (char)(0xC0 | low >> 6); u[1] = (char)(0x80 | (low & 63)); m = 2; }
        else { u[0] = (char)(0xE0 | low >> 12); u[1] = (char)(0x80 | (low >> 6 & 63)); u[2] = (char)(0x80 | (low & 63)); m = 3; }
        buf_put(out, u, m);
        p += len;
    }
}
