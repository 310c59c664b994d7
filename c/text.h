/*
 * text.h: UTF-8 text helpers shared by search nodes and sorts.
 *
 * Owns the one lower-casing rule used by stringIgnoreCase_ (both comparisons and sorts),
 * so that a search and a sort of the same field always agree.
 */
#ifndef HS_TEXT_H
#define HS_TEXT_H
#include "buf.h"

/* Appends the lower-cased form of UTF-8 s to out: ASCII plus the one-to-one mappings of
   Latin-1, Latin Extended-A, Latin Extended Additional, Greek, Cyrillic, Armenian and the
   fullwidth Latin letters. Invalid bytes are copied unchanged. */
void text_lower_utf8(buf *out, const char *s, size_t n);
#endif
