/*
 * read-only.js: opens a Hindsight database of this origin, by name, for reading only, while
 * its writers (other tabs, or the app in this tab) go on writing.
 *
 * Owns: openReadOnly({ name }) -> Database. It uses only the package's public API: a store object
 * (the Store interface) around IndexedDbStore that reads (open and readSince are one readonly
 * IndexedDB transaction each) and refuses every write, and a `locks` option whose request() runs
 * its callback at once, so this page never takes the writers' Web Lock. Commits announced on
 * the writers' BroadcastChannel are read from the store (readSince) and shown through the
 * change feed as the rebase reports js/change-feed.js describes (one per commit read).
 * Must stay true: nothing is ever written to the IndexedDB database (append and writeSnapshot
 * reject with HindsightError INVALID_ARGUMENT, "opened read-only", and change nothing); no Web
 * Lock is ever requested; a name with no database behind it is refused before anything is
 * created. The Database object itself still accepts writes in memory (there is no public
 * read-only mode); the panel makes none, and they never reach the store.
 */
import { Database, IndexedDbStore, HindsightError, ErrorCode } from '../index.js';

const PREFIX = 'hindsight:';

function readOnlyError(what) {
  return new HindsightError(ErrorCode.INVALID_ARGUMENT, `this database was opened read-only by the debugger: ${what} refused, nothing was written`);
}

/* The Store interface, reading through IndexedDbStore and writing nothing. */
class ReadOnlyStore {
  #inner;
  constructor(inner) { this.#inner = inner; }
  async open() {
    // readSince(0) reads the newest snapshot and the log after it in one readonly transaction;
    // IndexedDbStore.open() would also repair a damaged tail, which is a write.
    const { snapshot, records } = await this.#inner.readSince(0);
    return { snapshot, records, warnings: [] };
  }
  readSince(seq) { return this.#inner.readSince(seq); }
  async append() { throw readOnlyError('append'); }
  async writeSnapshot() { throw readOnlyError('writeSnapshot'); }
  close() { return this.#inner.close(); }
  estimate() { return this.#inner.estimate(); }
  async persist() { return false; }
}

/* Web Locks look-alike that never waits: readers do not take turns with the writers. */
const NO_LOCKS = { request: (name, fn) => Promise.resolve().then(() => fn({ name, mode: 'exclusive' })) };

export async function databaseExists(name, factory = globalThis.indexedDB) {
  if (typeof factory?.databases !== 'function') return true;   // cannot tell: let the open try
  const list = await factory.databases();
  return list.some((d) => d.name === PREFIX + name);
}

export async function openReadOnly({ name, wasm, onError } = {}) {
  if (typeof name !== 'string' || !name) throw new HindsightError(ErrorCode.INVALID_ARGUMENT, 'openDebugger needs { name } (the database name given to Database.open)');
  if (typeof globalThis.indexedDB?.open !== 'function') throw new HindsightError(ErrorCode.INVALID_ARGUMENT, 'openDebugger({ name }) needs IndexedDB');
  if (!(await databaseExists(name))) throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `no Hindsight database named "${name}" in this origin`);
  const store = new ReadOnlyStore(new IndexedDbStore({ name }));
  return Database.open({ name, storage: store, locks: NO_LOCKS, wasm, onError });
}
