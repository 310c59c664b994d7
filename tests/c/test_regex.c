/*
** test_regex.c: checks for c/regex.c, the ECMAScript regular expression engine.
**
** Owns: the expected answers for every supported feature (the CASES table holds JavaScript's
** own `new RegExp(p).test(s)` results, checked once against node), the exact error messages,
** and the robustness promises: deep nesting, huge patterns, catastrophic backtracking ending
** within the budget, 50 MB subjects, and invalid UTF-8.
**
** Must stay true: expectations live here, never computed by the code under test.
*/
#include "check.h"
#include "regex.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Compiles and searches once: the search result, or -2 when the pattern did not compile. */
static int match_n(const char *pattern, const char *subject, size_t subject_len) {
    char err[128];
    rx_regex *re = rx_compile(pattern, strlen(pattern), err, sizeof err);
    int r;
    if (!re) return -2;
    r = rx_search(re, subject, subject_len);
    rx_free(re);
    return r;
}

static int match(const char *pattern, const char *subject) {
    return match_n(pattern, subject, strlen(subject));
}

/* 1 when the pattern fails to compile with exactly the expected message. */
static int compile_error_is(const char *pattern, size_t len, const char *expected) {
    char err[128];
    rx_regex *re = rx_compile(pattern, len, err, sizeof err);
    if (re) { rx_free(re); return 0; }
    return strcmp(err, expected) == 0;
}

/* Test names quote subjects; control characters would break the one-line-per-check output. */
static void quote(char *out, size_t cap, const char *s) {
    size_t o = 0;
    for (; *s && o + 5 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        else out[o++] = (char)c;
    }
    out[o] = 0;
}

static double seconds_since(clock_t start) { return (double)(clock() - start) / CLOCKS_PER_SEC; }

static char *repeat_char(char c, size_t n) {
    char *s = malloc(n + 1);
    if (!s) { printf("Bail out! out of memory\n"); exit(2); }
    memset(s, c, n);
    s[n] = 0;
    return s;
}

typedef struct { const char *pattern, *subject; int expected; } rx_case;

/* One line per case, shaped T("pattern", "subject", expected), so a throwaway script can
** replay them through node's RegExp. */
#define T(p, s, e) { p, s, e }
static const rx_case CASES[] = {
    /* literals and escapes */
    T("abc", "xxabcxx", 1),
    T("abc", "ab", 0),
    T("", "", 1),
    T("", "anything", 1),
    T("a\\nb", "a\nb", 1),
    T("\\t", "x\ty", 1),
    T("\\x41", "A", 1),
    T("\\x4", "x4", 1),
    T("\\u00e9", "é", 1),
    T("\\uD83D\\uDE00", "😀", 1),
    T("a\\.b", "a.b", 1),
    T("a\\.b", "axb", 0),
    T("\\/", "/", 1),
    T("\\cJ", "\n", 1),
    T("\\q", "q", 1),
    T("\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\", "*+?()[]{}|^$\\", 1),
    T("a{", "a{", 1),
    T("a{1,x}", "a{1,x}", 1),
    T("]", "]", 1),
    T("}", "}", 1),
    T("\\8", "8", 1),
    /* dot */
    T("a.c", "abc", 1),
    T("a.c", "a\nc", 0),
    T("a.c", "a\rc", 0),
    T("a.c", "a\u2028c", 0),
    T("a.c", "a\tc", 1),
    T("^.$", "é", 1),
    T("^..$", "é", 0),
    T("^.$", "中", 1),
    /* classes */
    T("[abc]", "xbx", 1),
    T("[abc]", "xyz", 0),
    T("[a-z]+", "ABC", 0),
    T("^[a-z]+$", "hello", 1),
    T("[^a-z]", "abc", 0),
    T("[^a-z]", "abC", 1),
    T("[\\d]", "a1", 1),
    T("[\\D]", "123", 0),
    T("[\\w-]", "-", 1),
    T("[\\d-z]", "-", 1),
    T("[\\d-z]", "m", 0),
    T("[a\\-z]", "-", 1),
    T("[a\\-z]", "b", 0),
    T("[a-]", "-", 1),
    T("[]", "a", 0),
    T("[^]", "\n", 1),
    T("[\\b]", "\b", 1),
    T("[é-ë]", "ê", 1),
    T("[é-ë]", "e", 0),
    T("[.]", "a", 0),
    T("[.]", ".", 1),
    T("[\\]]", "]", 1),
    T("[^\\s]", " \t ", 0),
    T("[\\x41-\\x43]", "B", 1),
    T("[\\u0041-\\u0043]+$", "xABC", 1),
    /* class escapes */
    T("\\d+", "abc123", 1),
    T("^\\d+$", "12a", 0),
    T("\\D", "123", 0),
    T("\\w", "_", 1),
    T("\\W", "abc_1", 0),
    T("\\w", "é", 0),
    T("\\s", "a b", 1),
    T("\\s", "a\u00a0b", 1),
    T("\\s", "a\ufeffb", 1),
    T("\\S", "  \t", 0),
    /* anchors and word boundaries */
    T("^abc", "abcdef", 1),
    T("^abc", "xabc", 0),
    T("abc$", "xxabc", 1),
    T("abc$", "abcx", 0),
    T("^$", "", 1),
    T("^$", "a", 0),
    T("^abc$", "abc", 1),
    T("^abc$", "abcd", 0),
    T("a^b", "a^b", 0),
    T("^a|b$", "xb", 1),
    T("^a|^b", "cb", 0),
    T("(^a)", "ba", 0),
    T("\\bfoo\\b", "a foo b", 1),
    T("\\bfoo\\b", "afoo", 0),
    T("\\Bfoo", "afoo", 1),
    T("\\Bfoo", "foo", 0),
    T("\\b", "", 0),
    T("\\B", "", 1),
    T("é\\b", "é", 0),
    /* groups and alternation */
    T("(ab)+c", "ababc", 1),
    T("(?:ab)+c", "abac", 0),
    T("a|b|c", "xxc", 1),
    T("cat|dog", "hotdog", 1),
    T("cat|dog", "cow", 0),
    T("a(b|c)d", "acd", 1),
    T("a(b|c)d", "aed", 0),
    T("()", "", 1),
    T("(|a)b", "b", 1),
    T("^(a|ab)(c|bcd)(d*)$", "abcd", 1),
    /* quantifiers, greedy and lazy */
    T("a*", "", 1),
    T("^a*$", "aaa", 1),
    T("^a+$", "", 0),
    T("^a?b$", "b", 1),
    T("^a{2,3}$", "aaaa", 0),
    T("^a{2,3}$", "aaa", 1),
    T("^a{2,}$", "aaaaa", 1),
    T("^a{2,}$", "a", 0),
    T("^x{2}$", "xx", 1),
    T("^x{2}$", "x", 0),
    T("^a{0}$", "", 1),
    T("^a{0}b$", "b", 1),
    T("^a*?b$", "aab", 1),
    T("a+?", "aaa", 1),
    T("^a{2,3}?$", "aaa", 1),
    T("^a??b$", "ab", 1),
    T("^(?:a*)*$", "aaa", 1),
    T("^(a*)*b", "aab", 1),
    T("(a*)*c", "aab", 0),
    T("^(?:a?)*?$", "aa", 1),
    T("^(?:a|)+$", "aaa", 1),
    T("^(?:a|b)*c+$", "ababcc", 1),
    /* lookahead */
    T("foo(?=bar)", "foobar", 1),
    T("foo(?=bar)", "foobaz", 0),
    T("foo(?!bar)", "foobar", 0),
    T("foo(?!bar)", "foobaz", 1),
    T("^(?=.*\\d)(?=.*[a-z]).{6,}$", "abc123", 1),
    T("^(?=.*\\d)(?=.*[a-z]).{6,}$", "abcdef", 0),
    T("^(?!.*bad).*$", "good", 1),
    T("^(?!.*bad).*$", "so bad", 0),
    T("(?=a)*b", "b", 1),
    T("(?=(a+))a*b\\1", "baaabac", 1),
    T("(.*?)a(?!(a+)b\\2c)\\2(.*)", "baaabaac", 1),
    T("^(?=(a))?b", "b", 1),
    T("^(?:(?=a)|b)+$", "b", 1),
    /* backreferences */
    T("(a)\\1", "aa", 1),
    T("(a)\\1", "ab", 0),
    T("^(\\w+) \\1$", "hello hello", 1),
    T("^(\\w+) \\1$", "hello world", 0),
    T("(a)|\\1b", "b", 1),
    T("\\1(a)", "a", 1),
    T("^(?:(a)|b)\\1$", "b", 1),
    T("^(?:(a)|b)+\\1$", "abb", 1),
    T("^(?:(a)|b)+\\1$", "aba", 0),
    T("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10", "abcdefghijj", 1),
    T("^(a*)+\\1$", "aaaa", 1),
    T("^(a+)\\1*$", "aaaaaa", 1),
    T("^(ab|a)(bc|c)?\\2$", "abcc", 1),
};

static void test_cases(void) {
    size_t i;
    char name[256], subject[64];
    for (i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        int got = match(CASES[i].pattern, CASES[i].subject);
        quote(subject, sizeof subject, CASES[i].subject);
        snprintf(name, sizeof name, "/%s/ on \"%s\" -> %d (got %d)", CASES[i].pattern, subject,
                 CASES[i].expected, got);
        CHECK(got == CASES[i].expected, name);
    }
}

/* Cases that C string literals or JavaScript's UTF-16 view make unfit for the table. */
static void test_special_literals(void) {
    CHECK(match_n("a\\0b", "a\0b", 3) == 1, "\\0 matches NUL inside the subject");
    CHECK(match_n("a\\0b", "a0b", 3) == 0, "\\0 is not the digit 0");
    CHECK(match("\\v\\f\\r", "\v\f\r") == 1, "\\v \\f \\r");
    CHECK(match("\\1", "\x01") == 1, "\\1 without groups is the octal escape U+0001");
    CHECK(match("(a)\\2", "a\x02") == 1, "\\2 past the group count is octal");
    CHECK(match("\\101", "A") == 1, "legacy octal \\101 is A");
    /* Code point semantics: like the u flag, one . takes a whole astral character. */
    CHECK(match("^.$", "😀") == 1, "^.$ takes one astral code point");
    CHECK(match("^..$", "😀") == 0, "an astral code point is not two characters");
    CHECK(match("\\u{1F600}", "😀") == 1, "\\u{...} names a code point");
    CHECK(match("\\u{41}", "A") == 1, "\\u{41} is A");
    CHECK(match("[😀-😂]", "x😁y") == 1, "class range of astral code points");
    CHECK(match("^[^a]$", "😀") == 1, "negated class takes a whole astral code point");
    CHECK(match("^é+$", "ééé") == 1, "quantified two-byte literal");
}

static void test_invalid_utf8(void) {
    CHECK(match("^.$", "\xff") == 1, "a stray byte is one code point");
    CHECK(match("^..$", "\xc3x") == 1, "a truncated sequence: bad byte then x");
    CHECK(match("^.$", "\xe2\x82") == 0, "two stray bytes are two code points");
    CHECK(match("^..$", "\xe2\x82") == 1, "two stray bytes match two dots");
    CHECK(match("a", "\xff" "a\xfe") == 1, "literal found between bad bytes");
    CHECK(match("\\xff", "\xff") == 0, "\\xff is U+00FF, not the raw byte");
    CHECK(match("\\xff", "ÿ") == 1, "\\xff matches U+00FF");
    CHECK(match("\xff", "a\xff") == 1, "a raw bad byte in the pattern matches the same byte");
    CHECK(match("^[^x]+$", "\x80\x80\xc0\xaf") == 1, "overlong and lone continuation bytes count");
    CHECK(match("\\bé", "\xe9") == 0, "a bad byte is not a word character");
    CHECK(match("(?=\xfe)\xfe", "\xfe") == 1, "backtracker decodes bad bytes the same way");
}

static void test_errors(void) {
    char err[128], small[5];
    rx_regex *re;
    CHECK(compile_error_is("(abc", 4, "unterminated group"), "error: unterminated group");
    CHECK(compile_error_is("abc)", 4, "unmatched ')'"), "error: unmatched )");
    CHECK(compile_error_is("[abc", 4, "unterminated character class"), "error: unterminated class");
    CHECK(compile_error_is("[a-", 3, "unterminated character class"), "error: unterminated class after -");
    CHECK(compile_error_is("*a", 2, "nothing to repeat"), "error: leading *");
    CHECK(compile_error_is("a**", 3, "nothing to repeat"), "error: a**");
    CHECK(compile_error_is("a*??", 4, "nothing to repeat"), "error: a*??");
    CHECK(compile_error_is("a{2}{3}", 7, "nothing to repeat"), "error: a{2}{3}");
    CHECK(compile_error_is("{2}", 3, "nothing to repeat"), "error: {2} with no atom");
    CHECK(compile_error_is("^*", 2, "nothing to repeat"), "error: quantified ^");
    CHECK(compile_error_is("\\b+", 3, "nothing to repeat"), "error: quantified \\b");
    CHECK(compile_error_is("a|*", 3, "nothing to repeat"), "error: * after |");
    CHECK(compile_error_is("a{3,2}", 6, "numbers out of order in {} quantifier"), "error: {3,2}");
    CHECK(compile_error_is("[z-a]", 5, "range out of order in character class"), "error: [z-a]");
    CHECK(compile_error_is("abc\\", 4, "\\ at end of pattern"), "error: trailing backslash");
    CHECK(compile_error_is("(?<=a)b", 7, "lookbehind is not supported"), "error: lookbehind");
    CHECK(compile_error_is("(?<!a)b", 7, "lookbehind is not supported"), "error: negative lookbehind");
    CHECK(match("(?<year>\\d{4})-(?<m>\\d\\d)", "on 2025-01-02") == 1, "named groups capture like plain groups");
    CHECK(match("(?<w>ab)\\k<w>", "xxabab") == 1, "\\k<name> refers back to a named group");
    CHECK(match("(?<w>ab)\\k<w>", "xxabac") == 0, "\\k<name> must repeat the same text");
    CHECK(compile_error_is("(?<1a>x)", 8, "invalid capture group name"), "error: a group name cannot start with a digit");
    CHECK(compile_error_is("(?<w>a)\\k<v>", 13, "invalid named capture referenced"), "error: \\k names an unknown group");
    CHECK(compile_error_is("\\p{L}", 5, "unicode property escapes are not supported"), "error: \\p");
    CHECK(compile_error_is("[\\P{L}]", 7, "unicode property escapes are not supported"), "error: \\P in class");
    CHECK(compile_error_is("(?i)a", 5, "invalid group"), "error: inline flags");
    CHECK(compile_error_is("a{99999999}", 11, "pattern too large"), "error: huge repeat count");

    re = rx_compile("(abc", 4, small, sizeof small);
    CHECK(re == NULL && strcmp(small, "unte") == 0, "error message truncated to errcap");
    re = rx_compile("(abc", 4, NULL, 0);
    CHECK(re == NULL, "NULL error buffer is allowed");
    re = rx_compile("abc", 3, err, sizeof err);
    CHECK(re != NULL && err[0] == 0, "success leaves an empty message");
    rx_free(re);
    rx_free(NULL);
    re = rx_compile("ab", 1, err, sizeof err);   /* pattern_len, not NUL, ends the pattern */
    CHECK(re && rx_search(re, "a", 1) == 1 && rx_search(re, "b", 1) == 0, "pattern_len is respected");
    rx_free(re);
    re = rx_compile("x", 1, err, sizeof err);
    CHECK(re && rx_search(re, NULL, 0) == 0, "NULL subject is the empty string");
    rx_free(re);
}

static void test_nesting_and_size(void) {
    size_t depth, i, n = 1u << 20;
    char *pat = malloc(2 * 1000 + 2), *big;
    clock_t t0;
    rx_regex *re;
    char err[128];
    /* 200 nested groups compile and match; 201 and 1000 are refused. */
    for (depth = 200; depth <= 201; depth++) {
        for (i = 0; i < depth; i++) pat[i] = '(';
        pat[depth] = 'a';
        for (i = 0; i < depth; i++) pat[depth + 1 + i] = ')';
        re = rx_compile(pat, 2 * depth + 1, err, sizeof err);
        if (depth == 200) CHECK(re && rx_search(re, "xa", 2) == 1, "200 nested groups compile and match");
        else CHECK(!re && strcmp(err, "pattern nested too deeply") == 0, "201 nested groups are refused");
        rx_free(re);
    }
    for (i = 0; i < 1000; i++) { pat[2 * i] = '('; pat[2 * i + 1] = '?'; }
    CHECK(compile_error_is(pat, 2000, "invalid group"), "(?(?(?... is an invalid group, not a crash");
    for (i = 0; i < 1000; i++) pat[i] = '(';
    CHECK(compile_error_is(pat, 1000, "pattern nested too deeply"), "1000 open groups: nested too deeply");
    free(pat);

    t0 = clock();
    big = repeat_char('(', n);
    CHECK(compile_error_is(big, n, "pattern nested too deeply"), "1 MB of '(' is refused cleanly");
    memset(big, '[', n);
    CHECK(compile_error_is(big, n, "unterminated character class"), "1 MB of '[' is refused cleanly");
    memset(big, 'a', n);
    re = rx_compile(big, n, err, sizeof err);
    CHECK(re != NULL, "1 MB literal pattern compiles");
    CHECK(re && rx_search(re, big, n) == 1, "1 MB literal matches itself");
    CHECK(re && rx_search(re, big, n - 1) == 0, "1 MB literal does not match a shorter subject");
    rx_free(re);
    for (i = 0; i + 1 < n; i += 2) { big[i] = 'a'; big[i + 1] = '|'; }
    big[n - 2] = 'b';                   /* "a|a|...|a|b" */
    re = rx_compile(big, n - 1, err, sizeof err);
    CHECK(re && rx_search(re, "xxb", 3) == 1 && rx_search(re, "xyz", 3) == 0, "half a million alternatives");
    rx_free(re);
    for (i = 0; i + 1 < n; i += 2) { big[i] = '\\'; big[i + 1] = 'd'; }
    re = rx_compile(big, n, err, sizeof err);
    CHECK(re && rx_search(re, "123", 3) == 0, "1 MB of \\d compiles and searches");
    rx_free(re);
    free(big);
    CHECK(compile_error_is("((a{1000}){1000}){1000}", 23, "pattern too large"), "nested counted repeats are capped");
    CHECK(seconds_since(t0) < 20.0, "huge patterns are handled quickly");
}

static void test_catastrophic(void) {
    char subject[64];
    clock_t t0;
    int r;
    memset(subject, 'a', 40);
    subject[40] = 'b';
    subject[41] = 0;
    t0 = clock();
    CHECK(match("(a+)+$", subject) == 0, "(a+)+$ on a...ab is answered 0 by the linear matcher");
    CHECK(match("^(a|aa)+$", subject) == 0, "(a|aa)+$ is linear too");
    /* A lookahead forces the backtracker, which is exponential here: the budget must stop it. */
    r = match("(a+)+(?=$)", subject);
    CHECK(r == -1, "(a+)+(?=$) exhausts the step budget and reports -1");
    r = match("^(\\w+\\s?)*\\1$", "An input string that takes a long time or even makes this regex hang!");
    CHECK(r == -1 || r == 0, "backreference blow-up ends with -1 or 0");
    CHECK(seconds_since(t0) < 20.0, "catastrophic patterns end quickly");
}

static void test_long_subjects(void) {
    size_t n = 50u << 20;
    char *s = repeat_char('a', n);
    rx_regex *re;
    char err[128];
    clock_t t0 = clock();
    CHECK(match_n("^sample", s, n) == 0, "^sample on 50 MB");
    CHECK(match_n("abc", s, n) == 0, "abc on 50 MB of a");
    CHECK(match_n("\\d", s, n) == 0, "\\d on 50 MB of letters");
    CHECK(match_n("^a*$", s, n) == 1, "^a*$ on 50 MB");
    s[n - 1] = 'b';
    CHECK(match_n("ab$", s, n) == 1, "ab$ finds the end of 50 MB");
    CHECK(match_n("[b-z]", s, n) == 1, "[b-z] finds the last byte of 50 MB");
    CHECK(match_n("a(?=b)", s, n) == 1, "lookahead over 50 MB");
    CHECK(seconds_since(t0) < 60.0, "50 MB subjects take no quadratic time");
    free(s);

    /* The benchmark shape: compile once, search many short strings. */
    re = rx_compile("^sample", 7, err, sizeof err);
    {
        int i, hits = 0;
        char buf[32];
        for (i = 0; i < 100000; i++) {
            int len = snprintf(buf, sizeof buf, "%s%d", i % 3 ? "sample" : "other", i);
            hits += rx_search(re, buf, (size_t)len);
        }
        CHECK(hits == 66666, "^sample over 100,000 short strings");
    }
    rx_free(re);
}

int main(void) {
    test_cases();
    test_special_literals();
    test_invalid_utf8();
    test_errors();
    test_nesting_and_size();
    test_catastrophic();
    test_long_subjects();
    return check_done();
}
