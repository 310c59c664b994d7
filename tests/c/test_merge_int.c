/*
** test_merge_int.c: checks parse_int_text in c/merge.c (the int(...) value of the merge DSL)
** against the C library's strtoll(s, &end, 10) with errno: the same acceptance (no ERANGE),
** the same value and the same end pointer.
**
** Must stay true: the expected answer always comes from the C library; the inputs cover
** white space, signs, no digits, trailing text, and both ends of the long long range.
*/
#include "check.h"
#include "merge.c"
#include <errno.h>

int main(void) {
    static const char *texts[] = {
        "", " ", "  \t", "0", "-0", "+0", "12", " 12", "+5", "-5", "-", "+", "+-5", "12abc", "0x10", "  -0042  ",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "99999999999999999999999", "-99999999999999999999999x", "00000000000000000000000000001", "1 2", "\n7",
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        const char *s = texts[i];
        char *end_lib, *end_ours;
        errno = 0;
        long long lib = strtoll(s, &end_lib, 10);
        int lib_ok = errno == 0;
        long long ours;
        int ours_ok = parse_int_text(s, &end_ours, &ours);
        if (lib_ok != ours_ok || end_lib != end_ours || (lib_ok && lib != ours)) {
            fprintf(stderr, "test_merge_int: '%s': libc %lld ok %d end +%d, ours %lld ok %d end +%d\n", s, lib, lib_ok,
                    (int)(end_lib - s), ours, ours_ok, (int)(end_ours - s));
            bad++;
        }
    }
    CHECK(bad == 0, "parse_int_text agrees with strtoll on white space, signs, no digits, trailing text and the range ends");
    return check_done();
}
