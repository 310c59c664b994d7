/*
 * text.h: UTF-8 text helpers shared by search nodes and sorts.
 *
 * Owns the one lower-casing rule used by boolean_ and stringIgnoreCase_ (both comparisons and
 * sorts), so that a search and a sort of the same field always agree.
 */
#ifndef HS_TEXT_H
#define HS_TEXT_H
#include "buf.h"

/* Appends Python's str.lower() of UTF-8 s to out: the full Unicode lower-case (final sigma and
   U+0130 included). Invalid bytes are copied unchanged. */
void text_lower_utf8(buf *out, const char *s, size_t n);

/* Decodes the UTF-8 code point at s[i] (i < n) into *cp. Returns its byte length, or 0 when
   the bytes there are not a valid code point (overlong, surrogate, truncated, > U+10FFFF). */
size_t text_decode_utf8(const char *s, size_t n, size_t i, unsigned *cp);
#endif
