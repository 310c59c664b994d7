/*
 * index.js: the main entry of the hindsight-db package, for every runtime (browser windows and
 * workers, bundlers, Deno, workerd, Node).
 *
 * Owns: wiring the browser's IndexedDB store into js/ (ARCHITECTURE.md §7): { storage:
 * 'indexeddb' } works, and a bare { name } means IndexedDB wherever globalThis.indexedDB
 * exists (windows and workers alike), checked when the database opens, not when this loads.
 * Must stay true: this file and everything it imports reach no node: module, so every browser
 * and Workers bundle builds without shims. Node-only parts are in node/ ('hindsight-db/node').
 */
import { registerStorage } from './js/index.js';
import { IndexedDbStore } from './web/indexeddb-store.js';
import { HindsightError, ErrorCode } from './js/errors.js';

export * from './js/index.js';
export { IndexedDbStore, isQuotaError } from './web/indexeddb-store.js';

registerStorage('indexeddb', (options) => {
  if (typeof options.name !== 'string' || !options.name) {
    throw new HindsightError(ErrorCode.INVALID_ARGUMENT, "storage 'indexeddb' needs options.name");
  }
  return new IndexedDbStore({ name: options.name, durability: options.durability ?? 'relaxed' });
}, { available: () => typeof globalThis.indexedDB?.open === 'function' });
