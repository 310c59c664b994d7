/*
 * json_in.c: cJSON tree -> compact value (see value.h for the layout).
 *
 * Invariants enforced here, so the rest of the engine can rely on them: depth is at most
 * VAL_MAX_DEPTH, object keys are unique, numbers are finite.
 */
#include "json_in.h"
#include "hsort.h"
#include <math.h>
#include <stdlib.h>

static int key_cmp(const void *x, const void *y) {
    return strcmp((*(const cJSON *const *)x)->string, (*(const cJSON *const *)y)->string);
}

static int has_duplicate_keys(const cJSON *obj) {
    /* Small objects, the common case, are checked pairwise; larger ones by sorting. */
    int n = 0;
    for (const cJSON *c = obj->child; c; c = c->next) n++;
    if (n < 2) return 0;
    const cJSON *small[32];
    const cJSON **keys = n <= 32 ? small : malloc(sizeof(*keys) * (size_t)n);
    if (!keys) return 0;
    int i = 0;
    for (const cJSON *c = obj->child; c; c = c->next) keys[i++] = c;
    int dup = 0;
    if (n <= 32) {
        for (int a = 0; a < n && !dup; a++)
            for (int b = a + 1; b < n; b++)
                if (strcmp(keys[a]->string, keys[b]->string) == 0) { dup = 1; break; }
    } else {
        hs_qsort(keys, (size_t)n, sizeof(*keys), key_cmp);
        for (int a = 1; a < n; a++)
            if (strcmp(keys[a - 1]->string, keys[a]->string) == 0) { dup = 1; break; }
    }
    if (keys != small) free(keys);
    return dup;
}

static const char *encode(buf *out, const cJSON *item, int depth) {
    if (depth > VAL_MAX_DEPTH) return "Exceeded max allowed nesting depth";
    switch (item->type & 0xff) {
    case cJSON_NULL: enc_null(out); return NULL;
    case cJSON_False: enc_bool(out, 0); return NULL;
    case cJSON_True: enc_bool(out, 1); return NULL;
    case cJSON_Number:
        if (!isfinite(item->valuedouble)) return "numbers must be finite";
        enc_number(out, item->valuedouble);
        return NULL;
    case cJSON_String: case cJSON_Raw:
        enc_string(out, item->valuestring, strlen(item->valuestring));
        return NULL;
    case cJSON_Array: {
        size_t at = enc_begin(out, T_ARR);
        uint32_t n = 0;
        for (const cJSON *c = item->child; c; c = c->next, n++) {
            const char *e = encode(out, c, depth + 1);
            if (e) return e;
        }
        enc_end(out, at, n);
        return NULL;
    }
    case cJSON_Object: {
        if (has_duplicate_keys(item)) return "duplicate key in object";
        size_t at = enc_begin(out, T_OBJ);
        uint32_t n = 0;
        for (const cJSON *c = item->child; c; c = c->next, n++) {
            enc_key(out, c->string, strlen(c->string));
            const char *e = encode(out, c, depth + 1);
            if (e) return e;
        }
        enc_end(out, at, n);
        return NULL;
    }
    default: return "unsupported JSON value";
    }
}

const char *jin_encode(buf *out, const cJSON *item) {
    const char *e = encode(out, item, 1);
    if (!e && out->oom) return "out of memory";
    return e;
}

doc *jin_doc(const cJSON *obj, buf *scratch, const char **err) {
    if (!cJSON_IsObject(obj)) { *err = "a document must be a JSON object"; return NULL; }
    buf_clear(scratch);
    *err = jin_encode(scratch, obj);
    if (*err) return NULL;
    doc *d = doc_new((const uint8_t *)scratch->data, scratch->len);
    if (!d) *err = "out of memory";
    return d;
}
