/*
** datetime.c: ISO 8601 parsing and UTC formatting for the `datetime_` vType.
**
** Owns: the grammar of accepted datetime text (see datetime.h), proleptic
** Gregorian day counting, and the JS-style toISOString formatter.
**
** Must stay true:
**   - Deterministic everywhere: no clock, locale, libc time, allocation or
**     mutable globals. Only integer arithmetic on long long.
**   - The parser never reads text[len] or beyond; every byte goes through peek().
**   - dt_parse_fromisoformat follows Python's datetime.fromisoformat where it differs: no
**     signed or zero years, no 24:00, no lower-case 'z', any one character before the time.
**   - An instant that does not fit in signed 64-bit microseconds is rejected,
**     never wrapped, so comparisons by micros are always by true instant.
**   - format(parse(x)) round-trips every instant at millisecond precision.
*/
#include "datetime.h"

#include <limits.h>

#define MICROS_PER_SECOND 1000000LL
#define MICROS_PER_DAY    86400000000LL
#define MILLIS_PER_DAY    86400000LL
#define DAYS_PER_ERA      146097LL     /* days in 400 Gregorian years */
#define DAYS_0000_TO_1970 719468LL     /* 0000-03-01 to 1970-01-01 */

/*{==================== calendar arithmetic ====================*/

/* Floor division: C's '/' truncates toward zero, which is wrong for dates before 1970. */
static long long floor_div(long long a, long long b) {
    long long q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

static int is_leap_year(long long year) {
    return (year % 4 == 0) && (year % 100 != 0 || year % 400 == 0);
}

static int days_in_month(long long year, int month) {
    static const unsigned char aDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && is_leap_year(year)) return 29;
    return aDays[month - 1];
}

/*
** Days from 1970-01-01 to year-month-day. Years are counted from March, so
** the leap day falls at the end of a counted year and every 400-year era
** has the same length; that turns the calendar into plain integer sums.
*/
static long long days_from_civil(long long year, int month, int day) {
    long long yearFromMarch = (month <= 2) ? year - 1 : year;
    long long era = floor_div(yearFromMarch, 400);
    long long yearOfEra = yearFromMarch - era * 400;              /* 0..399 */
    int monthFromMarch = (month + 9) % 12;                        /* Mar=0 .. Feb=11 */
    long long dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1; /* 0..365 */
    long long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
    return era * DAYS_PER_ERA + dayOfEra - DAYS_0000_TO_1970;
}

/* Inverse of days_from_civil. */
static void civil_from_days(long long days, long long *pYear, int *pMonth, int *pDay) {
    long long shifted = days + DAYS_0000_TO_1970;
    long long era = floor_div(shifted, DAYS_PER_ERA);
    long long dayOfEra = shifted - era * DAYS_PER_ERA;            /* 0..146096 */
    /* Remove the leap days seen so far so that a plain /365 gives the year. */
    long long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
    long long dayOfYear = dayOfEra - (yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100);
    int monthFromMarch = (int)((5 * dayOfYear + 2) / 153);
    int month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
    *pDay = (int)(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1);
    *pMonth = month;
    *pYear = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
}

/* Monday=0 .. Sunday=6; 1970-01-01 was a Thursday. */
static int iso_weekday_index(long long days) {
    int index = (int)((days + 3) % 7);
    return index < 0 ? index + 7 : index;
}

/* An ISO year has 53 weeks when it starts on a Thursday, or on a Wednesday in a leap year. */
static int iso_weeks_in_year(long long year) {
    int jan1 = iso_weekday_index(days_from_civil(year, 1, 1));
    return (jan1 == 3 || (jan1 == 2 && is_leap_year(year))) ? 53 : 52;
}

/* Days of the ISO week date; week 1 is the week that holds January 4th. */
static long long days_from_iso_week(long long year, int week, int weekday) {
    long long jan4 = days_from_civil(year, 1, 4);
    long long mondayOfWeek1 = jan4 - iso_weekday_index(jan4);
    return mondayOfWeek1 + (long long)(week - 1) * 7 + (weekday - 1);
}

/*}====================*/

/*{==================== parser ====================*/

typedef struct {
    const char *z;  /* text, not NUL-terminated */
    size_t n;       /* its length */
    size_t i;       /* next byte to read */
} Cursor;

/* The only place bytes are read: -1 past the end. */
static int peek(const Cursor *pCur) {
    return pCur->i < pCur->n ? (unsigned char)pCur->z[pCur->i] : -1;
}

static int is_digit(int ch) { return ch >= '0' && ch <= '9'; }

static int eat(Cursor *pCur, int ch) {
    if (peek(pCur) != ch) return 0;
    pCur->i++;
    return 1;
}

static int count_digits(const Cursor *pCur) {
    size_t j = pCur->i;
    while (j < pCur->n && is_digit((unsigned char)pCur->z[j])) j++;
    return (int)(j - pCur->i);
}

/* Reads exactly nDigit ASCII digits (nDigit <= 6) into *pValue; 0 if fewer are there. */
static int read_fixed(Cursor *pCur, int nDigit, int *pValue) {
    int value = 0, k;
    for (k = 0; k < nDigit; k++) {
        int ch = peek(pCur);
        if (!is_digit(ch)) return 0;
        value = value * 10 + (ch - '0');
        pCur->i++;
    }
    *pValue = value;
    return 1;
}

/*
** Optional fraction after seconds: [.,] then one or more digits. Keeps the
** first six as microseconds and drops the rest (truncation, as Python does).
*/
static int read_fraction(Cursor *pCur, int *pMicros) {
    int micros = 0, nDigit, k;
    int ch = peek(pCur);
    *pMicros = 0;
    if (ch != '.' && ch != ',') return 1;
    pCur->i++;
    nDigit = count_digits(pCur);
    if (nDigit == 0) return 0;
    for (k = 0; k < 6; k++) {
        micros *= 10;
        if (k < nDigit) micros += pCur->z[pCur->i + (size_t)k] - '0';
    }
    pCur->i += (size_t)nDigit;                    /* digits past microseconds are dropped */
    *pMicros = micros;
    return 1;
}

/*
** Calendar date, extended or basic: YYYY-MM-DD, YYYYMMDD, YYYY-Www[-D],
** YYYYWww[D], and signed years (+-YYYY to +-YYYYYY, extended only).
*/
static int parse_date(Cursor *pCur, long long *pDays, int bPython) {
    long long year;
    int bExtended, ch = peek(pCur);

    if (ch == '+' || ch == '-') {
        if (bPython) return 0;                        /* Python years are 0001..9999, unsigned */
        int nDigit, yearDigits;
        pCur->i++;
        nDigit = count_digits(pCur);
        if (nDigit < 4 || nDigit > 6) return 0;
        if (!read_fixed(pCur, nDigit, &yearDigits)) return 0;
        if (ch == '-' && yearDigits == 0) return 0;   /* "-000000" is invalid in ECMAScript */
        year = ch == '-' ? -(long long)yearDigits : yearDigits;
        if (!eat(pCur, '-')) return 0;                /* basic format would be ambiguous */
        bExtended = 1;
    } else {
        int yearDigits;
        if (!read_fixed(pCur, 4, &yearDigits)) return 0;
        if (bPython && yearDigits == 0) return 0;
        year = yearDigits;
        bExtended = eat(pCur, '-');
    }

    if (eat(pCur, 'W')) {
        int week, weekday = 1;
        if (!read_fixed(pCur, 2, &week)) return 0;
        if (bExtended) {
            if (eat(pCur, '-') && !read_fixed(pCur, 1, &weekday)) return 0;
        } else if (is_digit(peek(pCur))) {
            read_fixed(pCur, 1, &weekday);
        }
        if (week < 1 || week > iso_weeks_in_year(year)) return 0;
        if (weekday < 1 || weekday > 7) return 0;
        *pDays = days_from_iso_week(year, week, weekday);
        /* A week date can fall outside Python's 0001-01-01..9999-12-31. */
        if (bPython && (*pDays < days_from_civil(1, 1, 1) || *pDays > days_from_civil(9999, 12, 31))) return 0;
        return 1;
    } else {
        int month, day;
        if (!read_fixed(pCur, 2, &month)) return 0;
        if (bExtended && !eat(pCur, '-')) return 0;
        if (!read_fixed(pCur, 2, &day)) return 0;
        if (month < 1 || month > 12) return 0;
        if (day < 1 || day > days_in_month(year, month)) return 0;
        *pDays = days_from_civil(year, month, day);
        return 1;
    }
}

/*
** Time of day: HH, HH:MM, HH:MM:SS[frac] or basic HHMM, HHMMSS[frac].
** 24:00[:00[.000]] is accepted as the end of the day (86400 s).
*/
static int parse_time(Cursor *pCur, long long *pMicrosOfDay, int bPython) {
    int hour, minute = 0, second = 0, micros = 0;
    if (!read_fixed(pCur, 2, &hour)) return 0;
    if (eat(pCur, ':')) {
        if (!read_fixed(pCur, 2, &minute)) return 0;
        if (eat(pCur, ':')) {
            if (!read_fixed(pCur, 2, &second)) return 0;
            if (!read_fraction(pCur, &micros)) return 0;
        }
    } else if (is_digit(peek(pCur))) {
        if (!read_fixed(pCur, 2, &minute)) return 0;
        if (is_digit(peek(pCur))) {
            if (!read_fixed(pCur, 2, &second)) return 0;
            if (!read_fraction(pCur, &micros)) return 0;
        }
    }
    if (hour > 24 || minute > 59 || second > 59) return 0;  /* no leap second */
    if (hour == 24 && ((minute | second | micros) != 0 || bPython)) return 0;
    *pMicrosOfDay = ((hour * 60LL + minute) * 60 + second) * MICROS_PER_SECOND + micros;
    return 1;
}

/*
** Zone: nothing (naive), Z/z, or +-HH, +-HH:MM[:SS[frac]], +-HHMM[SS[frac]].
** The offset must be strictly inside +-24h, as Python's timezone requires.
*/
static int parse_offset(Cursor *pCur, int *pHasOffset, long long *pOffsetMicros, int bPython) {
    int ch = peek(pCur);
    *pHasOffset = 0;
    *pOffsetMicros = 0;
    if (ch == 'Z' || (ch == 'z' && !bPython)) {                   /* Python takes only 'Z' */
        pCur->i++;
        *pHasOffset = 1;
        return 1;
    }
    if (ch == '+' || ch == '-') {
        int hour, minute = 0, second = 0, micros = 0;
        int bColon;
        long long offset;
        pCur->i++;
        if (!read_fixed(pCur, 2, &hour)) return 0;
        bColon = eat(pCur, ':');
        if (bColon || is_digit(peek(pCur))) {
            if (!read_fixed(pCur, 2, &minute)) return 0;
            if (bColon ? eat(pCur, ':') : is_digit(peek(pCur))) {
                if (!read_fixed(pCur, 2, &second)) return 0;
                if (!read_fraction(pCur, &micros)) return 0;
            }
        }
        if (hour > 23 || minute > 59 || second > 59) return 0;
        offset = ((hour * 60LL + minute) * 60 + second) * MICROS_PER_SECOND + micros;
        *pOffsetMicros = ch == '-' ? -offset : offset;
        *pHasOffset = 1;
    }
    return 1;
}

/* *pSum = a + b unless that overflows. */
static int add_checked(long long a, long long b, long long *pSum) {
    if ((b > 0 && a > LLONG_MAX - b) || (b < 0 && a < LLONG_MIN - b)) return 0;
    *pSum = a + b;
    return 1;
}

static int parse_datetime(const char *text, size_t len, dt_instant *out, int bPython) {
    Cursor cur;
    long long days, microsOfDay = 0, offsetMicros = 0, total;
    int hasOffset = 0, sep;

    if (text == 0 || out == 0 || len == 0) return 0;
    cur.z = text;
    cur.n = len;
    cur.i = 0;

    if (!parse_date(&cur, &days, bPython)) return 0;
    sep = peek(&cur);
    if (bPython && sep >= 0) {
        /* Python takes any one character between date and time: skip one UTF-8 sequence. */
        cur.i++;
        if (sep >= 0xC0) while ((peek(&cur) & 0xC0) == 0x80) cur.i++;
        if (!parse_time(&cur, &microsOfDay, bPython)) return 0;
        if (!parse_offset(&cur, &hasOffset, &offsetMicros, bPython)) return 0;
    } else if (sep == 'T' || sep == 't' || sep == ' ') {
        cur.i++;
        if (!parse_time(&cur, &microsOfDay, bPython)) return 0;
        if (!parse_offset(&cur, &hasOffset, &offsetMicros, bPython)) return 0;
    }
    if (cur.i != cur.n) return 0;                 /* trailing garbage */

    /* A 6-digit year can be far outside what 64-bit microseconds hold. */
    if (days > LLONG_MAX / MICROS_PER_DAY || days < LLONG_MIN / MICROS_PER_DAY) return 0;
    if (!add_checked(days * MICROS_PER_DAY, microsOfDay, &total)) return 0;
    if (!add_checked(total, -offsetMicros, &total)) return 0;  /* |offset| < 1 day, no overflow in negation */

    out->micros = total;
    out->has_offset = hasOffset;
    return 1;
}

int dt_parse_iso8601(const char *text, size_t len, dt_instant *out) {
    return parse_datetime(text, len, out, 0);
}

int dt_parse_fromisoformat(const char *text, size_t len, dt_instant *out) {
    return parse_datetime(text, len, out, 1);
}

/*}====================*/

/*{==================== formatter ====================*/

/* Writes value (>= 0) as exactly nWidth zero-padded digits. */
static void put_digits(char *zOut, long long value, int nWidth) {
    int k;
    for (k = nWidth - 1; k >= 0; k--) {
        zOut[k] = (char)('0' + value % 10);
        value /= 10;
    }
}

size_t dt_format_iso8601_utc(long long micros, char *buf, size_t cap) {
    long long millis = floor_div(micros, 1000);  /* JS keeps whole milliseconds, floored */
    long long days = floor_div(millis, MILLIS_PER_DAY);
    long long msOfDay = millis - days * MILLIS_PER_DAY;
    long long year;
    int month, day, bExtendedYear;
    size_t nYear, nTotal, i = 0;

    civil_from_days(days, &year, &month, &day);
    bExtendedYear = year < 0 || year > 9999;
    nYear = bExtendedYear ? 7 : 4;
    nTotal = nYear + 20;                          /* "-MM-DDTHH:MM:SS.mmmZ" */
    if (buf == 0 || cap < nTotal + 1) {
        if (buf != 0 && cap > 0) buf[0] = '\0';
        return 0;
    }

    if (bExtendedYear) {
        buf[i++] = year < 0 ? '-' : '+';
        put_digits(buf + i, year < 0 ? -year : year, 6);  /* |year| <= 294247 for 64-bit micros */
        i += 6;
    } else {
        put_digits(buf + i, year, 4);
        i += 4;
    }
    buf[i++] = '-';
    put_digits(buf + i, month, 2), i += 2;
    buf[i++] = '-';
    put_digits(buf + i, day, 2), i += 2;
    buf[i++] = 'T';
    put_digits(buf + i, msOfDay / 3600000, 2), i += 2;
    buf[i++] = ':';
    put_digits(buf + i, msOfDay / 60000 % 60, 2), i += 2;
    buf[i++] = ':';
    put_digits(buf + i, msOfDay / 1000 % 60, 2), i += 2;
    buf[i++] = '.';
    put_digits(buf + i, msOfDay % 1000, 3), i += 3;
    buf[i++] = 'Z';
    buf[i] = '\0';
    return i;
}

/*}====================*/
