/*
 * check.h: the tiny test harness shared by every native C test (tests/c/test_*.c).
 *
 * Each test file defines main(), calls CHECK(cond, name) for each assertion, and
 * returns check_done(). Output is TAP-like ("ok N - name" / "not ok N - name") so
 * tests/run-all.mjs can count passes and failures. A test binary exits non-zero
 * when any check failed.
 */
#ifndef HS_CHECK_H
#define HS_CHECK_H
#include <stdio.h>

static int check_count, check_failed;

#define CHECK(cond, name) do { \
    check_count++; \
    if (cond) printf("ok %d - %s\n", check_count, (name)); \
    else { check_failed++; printf("not ok %d - %s (%s:%d: %s)\n", check_count, (name), __FILE__, __LINE__, #cond); } \
} while (0)

static int check_done(void) {
    printf("# pass %d\n# fail %d\n", check_count - check_failed, check_failed);
    return check_failed ? 1 : 0;
}
#endif
