/*
** datetime.h: ISO 8601 date/datetime text <-> instants, for the `datetime_` vType.
**
** Owns: the parser and the formatter of datetime text used by search nodes and
** sorts (protocol §6, §7), which compare datetimes by instant. Nodes and sorts use
** the Python subset (dt_parse_fromisoformat).
**
** Must stay true: results depend only on the input bytes. No clock, no locale,
** no libc time functions, no allocation, no mutable globals. Calendar arithmetic
** is proleptic Gregorian, so every machine and every wasm host agrees.
** A naive time (no Z, no offset) is read as if it were UTC; has_offset tells
** the caller which kind it was, since Python refuses to order naive vs aware.
*/
#ifndef HS_DATETIME_H
#define HS_DATETIME_H

#include <stddef.h>

typedef struct {
    long long micros;   /* microseconds since 1970-01-01T00:00:00 UTC; for naive times, as if UTC */
    int has_offset;     /* 1 if the text carried Z or +hh:mm / -hh:mm / +hhmm / +hh, 0 for a naive time */
} dt_instant;

/*
** Parse len bytes of text (not NUL-terminated; never read past len).
** Accepts what Python's datetime.fromisoformat (3.11), JS Date toISOString and
** Dart toIso8601String produce: YYYY-MM-DD, YYYYMMDD, YYYY-Www[-D], YYYYWww[D],
** signed 4..6 digit years (+002025, -0001), then optionally [Tt ] and
** HH[:MM[:SS[(.|,)f+]]] or HH[MM[SS[(.|,)f+]]], then optionally Z/z or
** +-HH[[:]MM[[:]SS[.f+]]] (offset below 24h). 24:00:00 means the next midnight.
** Fraction digits beyond microseconds are truncated.
** Returns 1 and fills *out on success; returns 0 (leaving *out alone) when the
** text is not a valid date/datetime or its instant does not fit in micros.
*/
int dt_parse_iso8601(const char *text, size_t len, dt_instant *out);

/*
** The same grammar as Python's datetime.fromisoformat reads it, as the datetime_ vType
** needs: years 0001..9999 written with four unsigned digits (no "+2024-01-02", no "0000"),
** no hour 24 ("T24:00:00" is refused), only upper-case 'Z', and any one character (any
** code point) between the date and the time ("2025-01-01X09:00" is 09:00).
*/
int dt_parse_fromisoformat(const char *text, size_t len, dt_instant *out);

/*
** Format micros as UTC with millisecond precision, like JS toISOString:
** "2025-01-02T03:04:05.678Z"; years outside 0..9999 as "+YYYYYY"/"-YYYYYY".
** Sub-millisecond digits are floored (toward the past), as JS does.
** Writes at most cap bytes including the NUL. Returns the length written
** (excluding NUL), or 0 when cap is too small (buf then holds "" if cap > 0).
*/
size_t dt_format_iso8601_utc(long long micros, char *buf, size_t cap);

#endif
