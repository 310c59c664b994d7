/*
 * jarena.c: chunked bump allocation for cJSON (see jarena.h).
 *
 * Chunks are at least 1 MiB, allocated from malloc, freed in jarena_end except the first,
 * which is kept so small queries never touch malloc at all.
 */
#include "jarena.h"
#include "cJSON.h"
#include <stdlib.h>
#include <stddef.h>

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[];
} chunk;

#define CHUNK_MIN ((size_t)1 << 20)

static chunk *head;     /* newest chunk first; the last one in the list is kept */

static void *arena_alloc(size_t n) {
    n = (n + 7) & ~(size_t)7;
    if (!head || head->cap - head->used < n) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        chunk *c = malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->next = head;
        c->used = 0;
        c->cap = cap;
        head = c;
    }
    void *p = (char *)head->data + head->used;
    head->used += n;
    return p;
}

static void arena_free(void *p) { (void)p; }

void jarena_begin(void) {
    cJSON_Hooks hooks = {arena_alloc, arena_free};
    cJSON_InitHooks(&hooks);
}

void jarena_end(void) {
    while (head && head->next) {
        chunk *next = head->next;
        free(head);
        head = next;
    }
    if (head) {
        if (head->cap > CHUNK_MIN) { free(head); head = NULL; }
        else head->used = 0;
    }
    cJSON_InitHooks(NULL);
}
