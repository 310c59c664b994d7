/*
 * jarena.h: a bump allocator that cJSON uses while the engine parses one input.
 *
 * cJSON allocates one small block per node and per string; for a 15 MB input that is
 * millions of mallocs and frees. Instead, every public entry point calls jarena_begin()
 * before parsing and jarena_end() when done with the tree: cJSON's frees are no-ops and
 * the whole tree goes at once. Invariant: no cJSON tree outlives the call that parsed it.
 * The engine is not reentrant (one call at a time per process), like the wasm it runs in.
 */
#ifndef HS_JARENA_H
#define HS_JARENA_H
void jarena_begin(void);
void jarena_end(void);
#endif
