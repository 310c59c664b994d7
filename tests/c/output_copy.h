/*
 * output_copy.h: the engine's last output as a string the test owns, for native C tests
 * that keep an output across later calls (the engine reuses its output buffer per call).
 *
 * Must stay true: the copy is NUL-terminated and malloc'd; the caller frees it.
 */
#ifndef HS_OUTPUT_COPY_H
#define HS_OUTPUT_COPY_H
#include "hindsight.h"
#include <stdlib.h>
#include <string.h>

static char *copy_output(hs_db *db) {
    size_t len;
    const char *o = hs_db_output(db, &len);
    char *c = malloc(len + 1);
    memcpy(c, o, len);
    c[len] = 0;
    return c;
}
#endif
