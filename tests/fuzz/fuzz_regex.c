/*
** fuzz_regex.c: libFuzzer target for the regex compiler and matcher (c/regex.h).
**
** Input: PATTERN [NUL SUBJECT]. Without a NUL the pattern is also matched against a fixed
** subject of mixed ASCII, UTF-8 and invalid bytes.
** Properties: no sanitizer report; rx_compile returns a regex or NULL with a NUL-terminated
** message; rx_search answers 1, 0 or -1 and, the regex being read-only, the same answer twice;
** a pattern is also matched against its own bytes and the empty subject.
** Corpus: tests/fuzz/corpus/regex/ (made by tests/fuzz/make-corpus.mjs).
*/
#include "regex.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char fixed_subject[] = "Ann bob-42 x_y\t\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80 \xff\xfe aaaaaaaaaaaa! 2024-01-02T03:04:05Z";

static void search_twice(const rx_regex *re, const char *s, size_t n) {
    char *copy = malloc(n ? n : 1);   /* exact size: ASan sees any read past the end */
    if (n) memcpy(copy, s, n);
    int a = rx_search(re, copy, n);
    int b = rx_search(re, copy, n);
    free(copy);
    if (a < -1 || a > 1) { fprintf(stderr, "rx_search returned %d\n", a); abort(); }
    if (a != b) { fprintf(stderr, "rx_search gave %d then %d on the same input\n", a, b); abort(); }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    const char *cut = memchr(text, 0, size);
    size_t plen = cut ? (size_t)(cut - text) : size;
    char *pattern = malloc(plen ? plen : 1);
    if (plen) memcpy(pattern, text, plen);
    char err[128];
    memset(err, 'x', sizeof err);
    rx_regex *re = rx_compile(pattern, plen, err, sizeof err);
    if (!re) {
        if (!memchr(err, 0, sizeof err)) { fprintf(stderr, "rx_compile error message not NUL-terminated\n"); abort(); }
    } else {
        if (cut) search_twice(re, cut + 1, size - plen - 1);
        else search_twice(re, fixed_subject, sizeof fixed_subject - 1);
        search_twice(re, pattern, plen);
        search_twice(re, "", 0);
    }
    rx_free(re);
    free(pattern);
    return 0;
}
