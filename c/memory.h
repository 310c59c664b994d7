/*
 * memory.h: per-database memory budgets on one shared heap.
 *
 * Every database of one wasm instance allocates from the same heap, so one runaway call
 * could take the memory every other database needs. Each call on a database runs between
 * hs_mem_enter and hs_mem_leave; while it runs, the engine's allocations are counted
 * against that database (hs_mem_charge/hs_mem_refund, from the malloc wrappers of the
 * wasm build), and one that would take it past its limit fails, as a real out of memory
 * does. Invariants: a database's count is the bytes its calls left allocated (what a call
 * frees is refunded to the database that call runs on); a call in which an allocation
 * failed and that did not commit returns HS_NOMEM, whatever message it wrote, so every
 * out-of-memory reaches the caller as one error code; a failed call changes nothing (the
 * engine's out-of-memory rule, tests/c/test_oom.c).
 */
#ifndef HS_MEMORY_H
#define HS_MEMORY_H
#include "hindsight.h"

/* The budget of a database that was given none (bytes): see README "Memory". */
#define HS_DEFAULT_MEMORY_LIMIT ((size_t)1024 << 20)

/* Sets db's budget in bytes (0: no limit beyond the heap's). Returns HS_NOMEM when the
   bookkeeping itself could not grow. */
hs_rc hs_mem_set_limit(const hs_db *db, size_t bytes);
/* Bytes counted against db (what its calls have left allocated). */
size_t hs_mem_used(const hs_db *db);
/* Starts and ends one call on db; hs_mem_leave returns rc, or HS_NOMEM as said above. */
void hs_mem_enter(const hs_db *db);
hs_rc hs_mem_leave(const hs_db *db, hs_rc rc);
/* Ends a fork call: what it allocated belongs to child, which gets parent's budget. */
hs_db *hs_mem_leave_fork(const hs_db *parent, hs_db *child);
/* Forgets db (call before closing it). */
void hs_mem_forget(const hs_db *db);

/* For the allocation wrappers: may n more bytes be allocated now? (0 marks the call as
   out of memory.) Then the usable size of each block taken or given back. */
int hs_mem_may_allocate(size_t n);
void hs_mem_charge(size_t bytes);
void hs_mem_refund(size_t bytes);
/* Optional work, which a call goes on without when it cannot be done (an adaptive index, a
   column cache, a top-k buffer): hs_mem_optional_begin returns a token and
   hs_mem_optional_end(token) forgets any allocation that failed in between, so a read is not
   reported out of memory for a cache it did without. The work itself must fail cleanly. */
int hs_mem_optional_begin(void);
void hs_mem_optional_end(int token);
/* Records that an allocation failed in the running call. */
void hs_mem_failed(void);
#endif
