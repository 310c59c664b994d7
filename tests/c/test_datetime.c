/*
** test_datetime.c: checks for c/datetime.c (ISO 8601 parse and UTC format).
**
** Expected instants were computed outside this code: millisecond values with
** node 20's Date.parse, microsecond and week-date values with Python 3.11's
** datetime.fromisoformat (naive times taken as UTC). They are written here as
** literal numbers so that a wrong calendar formula fails the test.
**
** Every parse goes through a heap copy of exactly len bytes with no NUL, so
** AddressSanitizer reports any read past len.
*/
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "datetime.h"

#define MS 1000LL  /* micros per millisecond, for node's millisecond numbers */

/* Parses s from an exact-size heap copy; returns the parser's result. */
static int parse_exact(const char *s, size_t len, dt_instant *pOut) {
    char *copy = malloc(len ? len : 1);
    int ok;
    if (copy == NULL) return 0;
    memcpy(copy, s, len);
    ok = dt_parse_iso8601(copy, len, pOut);
    free(copy);
    return ok;
}

/* 1 when s parses to exactly (micros, hasOffset). */
static int parses_to(const char *s, long long micros, int hasOffset) {
    dt_instant got = {0, -1};
    if (!parse_exact(s, strlen(s), &got)) return 0;
    return got.micros == micros && got.has_offset == hasOffset;
}

static int rejects(const char *s) {
    dt_instant got = {12345, 7};
    int ok = parse_exact(s, strlen(s), &got);
    return !ok && got.micros == 12345 && got.has_offset == 7;  /* *out untouched on failure */
}

static int same_instant(const char *a, const char *b) {
    dt_instant x, y;
    return parse_exact(a, strlen(a), &x) && parse_exact(b, strlen(b), &y) && x.micros == y.micros;
}

static int formats_to(long long micros, const char *expected) {
    char buf[40];
    size_t n = dt_format_iso8601_utc(micros, buf, sizeof buf);
    return n == strlen(expected) && strcmp(buf, expected) == 0;
}

/* Floors micros to whole milliseconds, as the formatter does. */
static long long floor_to_ms(long long micros) {
    long long r = micros % MS;
    return r < 0 ? micros - r - MS : micros - r;
}

int main(void) {
    /* ---- accepted forms ---- */
    CHECK(parses_to("1970-01-01", 0, 0), "epoch date only, naive");
    CHECK(parses_to("1970-01-01T00:00:00Z", 0, 1), "epoch with Z");
    CHECK(parses_to("2025-01-01", 1735689600000 * MS, 0), "YYYY-MM-DD");
    CHECK(parses_to("20250101", 1735689600000 * MS, 0), "basic YYYYMMDD");
    CHECK(parses_to("2025-01-01T00:00:00Z", 1735689600000 * MS, 1), "node: 2025-01-01T00:00:00Z");
    CHECK(parses_to("2025-01-02T03:04:05.678Z", 1735787045678 * MS, 1), "JS toISOString form");
    CHECK(parses_to("2025-10-11T09:30:00.000Z", 1760175000000 * MS, 1), "Dart toIso8601String UTC form");
    CHECK(parses_to("2025-10-11T09:30:00+00:00", 1760175000000 * MS, 1), "Python isoformat aware form");
    CHECK(parses_to("2025-10-11T09:30:00.000", 1760175000000 * MS, 0), "Dart local form is naive");
    CHECK(parses_to("2025-10-11T09:30", 1760175000000 * MS, 0), "THH:MM");
    CHECK(parses_to("2025-10-11T09", (1760175000000 - 30 * 60000) * MS, 0), "THH (Python accepts)");
    CHECK(parses_to("2025-10-11 09:30:00", 1760175000000 * MS, 0), "space separator");
    CHECK(parses_to("2025-10-11t09:30:00z", 1760175000000 * MS, 1), "lower-case t and z");
    CHECK(parses_to("20251011T093000", 1760175000000 * MS, 0), "basic YYYYMMDDTHHMMSS");
    CHECK(parses_to("20251011T0930Z", 1760175000000 * MS, 1), "basic THHMM with Z");
    CHECK(parses_to("2025-03-30T01:30:00-05:30", 1743318000000 * MS, 1), "node: -05:30 offset");
    CHECK(parses_to("1969-07-20T20:17:40Z", -14182940000 * MS, 1), "node: before 1970");
    CHECK(parses_to("1900-01-01T00:00:00Z", -2208988800000 * MS, 1), "node: 1900");
    CHECK(parses_to("0001-01-01T00:00:00Z", -62135596800000 * MS, 1), "node: year 1");
    CHECK(parses_to("1583-10-15T00:00:00Z", -12187756800000 * MS, 1), "node: proleptic Gregorian 1583");
    CHECK(parses_to("-000001-12-31T23:59:59.999Z", -62167219200001 * MS, 1), "node: JS negative extended year");
    CHECK(parses_to("+010000-01-01T00:00:00.000Z", 253402300800000 * MS, 1), "node: JS +YYYYYY year");
    CHECK(parses_to("+275760-09-13T00:00:00.000Z", 8640000000000000 * MS, 1), "node: JS max date");
    CHECK(parses_to("-271821-04-20T00:00:00.000Z", -8640000000000000 * MS, 1), "node: JS min date");
    CHECK(parses_to("+002025-01-01", 1735689600000 * MS, 0), "JS extended year, date only");
    CHECK(parses_to("+02025-01-01", 1735689600000 * MS, 0), "signed 5-digit year (Dart accepts 4..6)");
    CHECK(parses_to("-0001-12-31T23:59:59.999Z", -62167219200001 * MS, 1), "Dart signed 4-digit year");
    CHECK(parses_to("2025-W01-2", 1735603200000000, 0), "Python: week date YYYY-Www-D");
    CHECK(parses_to("2025W012", 1735603200000000, 0), "Python: basic week date");
    CHECK(parses_to("2020-W53-7", 1609632000000000, 0), "Python: week 53 in a long year");
    CHECK(parses_to("2026-W53-1", 1798416000000000, 0), "Python: 2026 has 53 weeks");
    CHECK(parses_to("2025-01-01T09:00:00+05:30:15.5", 1735702184500000, 1), "Python: offset with seconds");

    /* ---- fractions ---- */
    CHECK(parses_to("2025-01-01T09:00:00.1234567891", 1735722000123456, 0), "Python: fraction truncated past micros");
    CHECK(parses_to("1970-01-01T00:00:00.5", 500000, 0), "one fraction digit");
    CHECK(parses_to("1970-01-01T00:00:00,25", 250000, 0), "comma fraction");
    CHECK(parses_to("1970-01-01T00:00:00.123456Z", 123456, 1), "six digits kept exactly");
    CHECK(parses_to("1970-01-01T00:00:00.999999999Z", 999999, 1), "nine digits truncated, not rounded");
    CHECK(parses_to("1969-12-31T23:59:59.9999999Z", -1, 1), "truncation before 1970 is toward the past instant");

    /* ---- offsets give equal instants ---- */
    CHECK(same_instant("2025-01-01T09:00:00+09:00", "2025-01-01T00:00:00Z"), "+09:00 equals Z");
    CHECK(same_instant("2025-01-01T09:00:00+0900", "2025-01-01T00:00:00Z"), "+0900 equals Z");
    CHECK(same_instant("2025-01-01T09:00:00+09", "2025-01-01T00:00:00Z"), "+09 equals Z");
    CHECK(same_instant("2024-12-31T18:30:00-05:30", "2025-01-01T00:00:00Z"), "-05:30 crosses the year");
    CHECK(same_instant("2025-01-01T00:00:00-00:00", "2025-01-01T00:00:00+00:00"), "-00:00 equals +00:00");
    CHECK(same_instant("2025-01-01T24:00:00", "2025-01-02T00:00:00"), "24:00:00 is next midnight");
    CHECK(same_instant("2025-12-31T24:00", "2026-01-01"), "24:00 rolls the year");

    /* ---- leap years ---- */
    CHECK(parses_to("2000-02-29T12:00:00+09:00", 951793200000 * MS, 1), "node: 2000 is leap");
    CHECK(parses_to("1600-02-29T00:00:00Z", -11670998400000 * MS, 1), "node: 1600 is leap");
    CHECK(rejects("1900-02-29"), "1900 is not leap");
    CHECK(rejects("2025-02-29"), "2025 is not leap");
    CHECK(parses_to("2024-02-29", 1709164800000 * MS, 0), "2024 is leap");
    CHECK(same_instant("1900-02-28T24:00", "1900-03-01"), "1900: Feb 28 then Mar 1");

    /* ---- rejections ---- */
    CHECK(rejects(""), "empty");
    CHECK(rejects(" 2025-01-01"), "leading space");
    CHECK(rejects("2025-01-01 "), "trailing space");
    CHECK(rejects("2025-01-01T09:00:00Z "), "trailing space after Z");
    CHECK(rejects("2025-01-01T09:00:00Zx"), "trailing garbage");
    CHECK(rejects("2025-13-01"), "month 13");
    CHECK(rejects("2025-00-10"), "month 0");
    CHECK(rejects("2025-04-31"), "April 31");
    CHECK(rejects("2025-01-00"), "day 0");
    CHECK(rejects("2025-01-01T25:00"), "hour 25");
    CHECK(rejects("2025-01-01T24:00:01"), "24:00:01");
    CHECK(rejects("2025-01-01T24:00:00.5"), "24:00:00.5");
    CHECK(rejects("2025-01-01T09:60"), "minute 60");
    CHECK(rejects("2025-01-01T09:00:60"), "leap second");
    CHECK(rejects("2025"), "year only");
    CHECK(rejects("2025-01"), "year-month only (Python rejects)");
    CHECK(rejects("2025-1-01"), "one-digit month");
    CHECK(rejects("2025-01-01T"), "separator without time");
    CHECK(rejects("2025-01-01T9:00"), "one-digit hour");
    CHECK(rejects("2025-01-01T09:00:00."), "dot without fraction digits");
    CHECK(rejects("2025-01-01T09:00.5"), "fraction without seconds");
    CHECK(rejects("2025-01-01T09:0000"), "mixed extended and basic time");
    CHECK(rejects("2025-01-01T09:00+24:00"), "offset of 24h");
    CHECK(rejects("2025-01-01T09:00+05:60"), "offset minute 60");
    CHECK(rejects("2025-01-01T09:00+0"), "offset one digit");
    CHECK(rejects("2025-01-01T09:00+05:3"), "offset truncated minutes");
    CHECK(rejects("2025-01-01T09:00+0530:15"), "offset mixed separators");
    CHECK(rejects("2025-01-01Z"), "Z on date only");
    CHECK(rejects("2025-01-01X09:00"), "unknown separator");
    CHECK(rejects("-000000-01-01T00:00:00Z"), "negative zero year");
    CHECK(rejects("+0020250101"), "signed year in basic format");
    CHECK(rejects("2025-W54-1"), "week 54");
    CHECK(rejects("2025-W53-1"), "2025 has only 52 weeks");
    CHECK(rejects("2025-W01-8"), "weekday 8");
    CHECK(rejects("+999999-01-01"), "year beyond 64-bit micros");
    CHECK(rejects("2025-01-01T09:00:00\xef\xbc\x95"), "non-ASCII after time");
    CHECK(rejects("２０２５-01-01"), "full-width digits");

    /* ---- the Python subset (datetime.fromisoformat) used by the datetime_ vType ---- */
    {
        dt_instant got;
        CHECK(dt_parse_fromisoformat("2025-10-11T09:30:00+00:00", 25, &got) && got.micros == 1760175000000 * MS && got.has_offset,
              "fromisoformat: an aware datetime parses as in the general parser");
        CHECK(dt_parse_fromisoformat("20250101", 8, &got) && got.micros == 1735689600000 * MS && !got.has_offset,
              "fromisoformat: basic YYYYMMDD");
        CHECK(!dt_parse_fromisoformat("2025-01-01T24:00:00", 19, &got) && !dt_parse_fromisoformat("2025-01-01T24:00", 16, &got),
              "fromisoformat: hour 24 is refused");
        CHECK(!dt_parse_fromisoformat("+2024-01-02", 11, &got) && !dt_parse_fromisoformat("+002024-01-02", 13, &got)
              && !dt_parse_fromisoformat("-0001-12-31", 11, &got), "fromisoformat: signed years are refused");
        CHECK(!dt_parse_fromisoformat("0000-01-01", 10, &got) && dt_parse_fromisoformat("0001-01-01", 10, &got),
              "fromisoformat: year 0 is refused, year 1 is the first");
        CHECK(dt_parse_fromisoformat("0001-W01-1", 10, &got) && dt_parse_fromisoformat("9999-W52-5", 10, &got) && !dt_parse_fromisoformat("9999-W52-6", 10, &got),
              "fromisoformat: a week date past 9999-12-31 is refused");
        CHECK(dt_parse_fromisoformat("2025-01-01X09:00", 16, &got) && got.micros == 1735722000000 * MS
              && dt_parse_fromisoformat("2025-01-01\xc3\xa9" "09:00", 17, &got) && got.micros == 1735722000000 * MS,
              "fromisoformat: any one character (one code point) separates date and time");
        CHECK(!dt_parse_fromisoformat("2025-01-01T09:00z", 17, &got) && !dt_parse_fromisoformat("2025-01-01X", 11, &got)
              && !dt_parse_fromisoformat("2025-01-0109:00", 15, &got), "fromisoformat: no lower-case z, no separator without a time");
        CHECK(dt_parse_iso8601("2025-01-01T24:00:00", 19, &got) && dt_parse_iso8601("+2024-01-02", 11, &got),
              "the general parser still takes both");
    }

    /* ---- length is respected (the copy has no NUL after len) ---- */
    {
        dt_instant got;
        const char *longer = "2025-01-01T00:00:00Zjunk";
        CHECK(parse_exact(longer, 20, &got) && got.micros == 1735689600000 * MS, "parses only len bytes");
        CHECK(!parse_exact("2025-01-01", 9, &got), "truncated by len is rejected");
        CHECK(!dt_parse_iso8601("2025-01-01", 0, &got), "len 0 is rejected");
    }

    /* ---- format ---- */
    CHECK(formats_to(0, "1970-01-01T00:00:00.000Z"), "format epoch");
    CHECK(formats_to(1735787045678 * MS + 999, "2025-01-02T03:04:05.678Z"), "format drops sub-ms digits");
    CHECK(formats_to(-1, "1969-12-31T23:59:59.999Z"), "format floors -1us like JS new Date(-0.001)");
    CHECK(formats_to(-62167219200001 * MS, "-000001-12-31T23:59:59.999Z"), "format negative year like JS");
    CHECK(formats_to(253402300800000 * MS, "+010000-01-01T00:00:00.000Z"), "format year 10000 like JS");
    CHECK(formats_to(-62167219200000 * MS, "0000-01-01T00:00:00.000Z"), "format year 0 with 4 digits");
    CHECK(formats_to(253402300799999 * MS, "9999-12-31T23:59:59.999Z"), "format year 9999");
    CHECK(formats_to(951868799999 * MS, "2000-02-29T23:59:59.999Z"), "format leap day");
    {
        char buf[40];
        char tiny[24];
        CHECK(dt_format_iso8601_utc(0, tiny, sizeof tiny) == 0 && tiny[0] == '\0', "format: cap 24 too small");
        CHECK(dt_format_iso8601_utc(0, buf, 25) == 24, "format: cap 25 fits");
        CHECK(dt_format_iso8601_utc(-62167219200001 * MS, buf, 27) == 0 && dt_format_iso8601_utc(-62167219200001 * MS, buf, 28) == 27, "format: extended year needs cap 28");
        CHECK(dt_format_iso8601_utc(LLONG_MIN, buf, sizeof buf) == 27 && buf[0] == '-', "format: LLONG_MIN");
        CHECK(dt_format_iso8601_utc(LLONG_MAX, buf, sizeof buf) == 27 && buf[0] == '+', "format: LLONG_MAX");
    }

    /* ---- round trip: format -> parse gives the instant floored to ms ---- */
    {
        unsigned long long state = 0x9E3779B97F4A7C15ULL;
        int k, nBad = 0;
        for (k = 0; k < 20000; k++) {
            char buf[40];
            dt_instant got;
            long long micros;
            size_t n;
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            /* spread over about +-290000 years, then also near the epoch */
            micros = (long long)(state >> 1) - (long long)(1ULL << 62);
            if (k % 2) micros /= 1000000;
            n = dt_format_iso8601_utc(micros, buf, sizeof buf);
            if (n == 0 || !parse_exact(buf, n, &got) || got.micros != floor_to_ms(micros) || !got.has_offset) nBad++;
        }
        CHECK(nBad == 0, "round trip format->parse over 20000 instants");
    }
    {
        dt_instant a, b;
        char buf[40];
        size_t n;
        const char *s = "1583-10-15T12:34:56.789+01:00";
        CHECK(parse_exact(s, strlen(s), &a)
              && (n = dt_format_iso8601_utc(a.micros, buf, sizeof buf)) != 0
              && strcmp(buf, "1583-10-15T11:34:56.789Z") == 0
              && parse_exact(buf, n, &b) && b.micros == a.micros, "round trip parse->format->parse");
    }

    return check_done();
}
