/*
 * coll.c: collections and the document transformations of write queries.
 *
 * The transformations copy untouched members byte for byte (a key and its value are one
 * contiguous run in the encoding), so an update costs about one document's size.
 */
#include "coll.h"
#include <stdlib.h>

coll *coll_new(const char *name, size_t name_len) {
    coll *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->name = malloc(name_len + 1);
    if (!c->name) { free(c); return NULL; }
    memcpy(c->name, name, name_len);
    c->name[name_len] = 0;
    c->name_len = name_len;
    return c;
}

void coll_free(coll *c) {
    if (!c) return;
    for (size_t i = 0; i < c->len; i++) doc_unref(c->rows[i]);
    free(c->rows);
    free(c->name);
    free(c);
}

int coll_reserve(coll *c, size_t extra) {
    if (c->cap - c->len >= extra) return 1;
    size_t cap = c->cap ? c->cap : 16;
    while (cap - c->len < extra) cap *= 2;
    doc **rows = realloc(c->rows, cap * sizeof *rows);
    if (!rows) return 0;
    c->rows = rows;
    c->cap = cap;
    return 1;
}

/* Appends one member (key + value) copied from an existing object encoding. */
static void put_member(buf *b, const char *key, size_t klen, val v) {
    const uint8_t *start = (const uint8_t *)key - 4;   /* the key's length prefix */
    buf_put(b, start, (size_t)(v - start) + val_size(v));
    (void)klen;
}

static doc *finish(buf *b, size_t at, uint32_t count) {
    enc_end(b, at, count);
    if (b->oom) return NULL;
    return doc_new((const uint8_t *)b->data, b->len);
}

doc *doc_update(val old, val over, buf *b) {
    b->len = 0;
    size_t at = enc_begin(b, T_OBJ);
    uint32_t n = 0;
    val_iter it;
    val_iter_init(&it, old);
    val v;
    while ((v = val_iter_next(&it, 1))) {
        val repl = val_obj_get(over, it.key, it.klen);
        if (repl) { enc_key(b, it.key, it.klen); buf_put(b, repl, val_size(repl)); }
        else put_member(b, it.key, it.klen, v);
        n++;
    }
    val_iter_init(&it, over);
    while ((v = val_iter_next(&it, 1)))
        if (!val_obj_get(old, it.key, it.klen)) { put_member(b, it.key, it.klen, v); n++; }
    return finish(b, at, n);
}

doc *doc_conform(val old, val tmpl, buf *b) {
    b->len = 0;
    size_t at = enc_begin(b, T_OBJ);
    uint32_t n = 0;
    val_iter it;
    val_iter_init(&it, old);
    val v;
    while ((v = val_iter_next(&it, 1)))
        if (val_obj_get(tmpl, it.key, it.klen)) { put_member(b, it.key, it.klen, v); n++; }
    val_iter_init(&it, tmpl);
    while ((v = val_iter_next(&it, 1)))
        if (!val_obj_get(old, it.key, it.klen)) { put_member(b, it.key, it.klen, v); n++; }
    return finish(b, at, n);
}

doc *doc_rename(val old, const char *from, size_t flen, const char *to, size_t tlen, buf *b) {
    b->len = 0;
    size_t at = enc_begin(b, T_OBJ);
    uint32_t n = 0;
    val moved = NULL;
    val_iter it;
    val_iter_init(&it, old);
    val v;
    while ((v = val_iter_next(&it, 1))) {
        if (it.klen == flen && memcmp(it.key, from, flen) == 0) { moved = v; continue; }
        put_member(b, it.key, it.klen, v);
        n++;
    }
    if (moved) {
        enc_key(b, to, tlen);
        buf_put(b, moved, val_size(moved));
        n++;
    }
    return finish(b, at, n);
}
