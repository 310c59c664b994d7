/*
 * memory-budget.js: the `maxMemoryMB` option of Database.open.
 *
 * Owns: checking the option and handing it to the engine, which counts every byte a
 * database's calls allocate on the shared wasm heap and fails a call that would pass the
 * budget with NOMEM, changing nothing (c/memory.h). Invariant: every database has a
 * budget (DEFAULT_MAX_MEMORY_MB unless given), so one runaway database cannot take the
 * heap that other databases of the same wasm instance need.
 */
import { HindsightError, ErrorCode } from './errors.js';

/* Half the 2 GiB heap a wasm instance can grow to (c/memory.h, HS_DEFAULT_MEMORY_LIMIT). */
export const DEFAULT_MAX_MEMORY_MB = 1024;
const HEAP_MAX_MB = 2048;

/* Checks options.maxMemoryMB; returns the budget in MiB. */
export function maxMemoryMB(options) {
  const mb = options.maxMemoryMB;
  if (mb === undefined || mb === null) return DEFAULT_MAX_MEMORY_MB;
  if (!Number.isInteger(mb) || mb < 1 || mb > HEAP_MAX_MB) {
    throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `options.maxMemoryMB must be an integer from 1 to ${HEAP_MAX_MB}, got ${String(mb)}`);
  }
  return mb;
}

/* Gives an engine its budget. */
export function applyMemoryBudget(engine, mb) {
  if (engine.wasm.hsw_set_memory_limit(engine.handle, mb) !== 0) {
    throw new HindsightError(ErrorCode.NOMEM, 'out of memory setting the memory budget');
  }
}
