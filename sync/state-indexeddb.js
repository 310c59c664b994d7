/*
 * state-indexeddb.js: where a browser sync client keeps its sync state between page loads
 * (the SyncState interface of sync/client.js), in an IndexedDB database of its own: the
 * server commits it pulled, its cursor, and its pending commits.
 *
 * Object stores: "server" (the pulled commits, keyed by their server seq, with base and own
 * as state-file.js keeps them) and "meta" (one
 * record, key "state": { cursor, pending, base }; base: the server snapshot { seq, db } the
 * mirror started from, or null).
 * Must stay true: pulled commits and the cursor past them are written in one transaction, so
 * a reload never sees one without the other; saves run one at a time, in order.
 */
/* A pulled commit as it is kept, here and in state-file.js (this file needs no node:fs). */
export function keptCommit(c) {
  const kept = { seq: c.seq, id: c.id, time: c.time ?? null, cause: c.cause ?? null, query: c.query };
  if (Number.isSafeInteger(c.base)) kept.base = c.base;
  if (c.own === true) kept.own = true;
  return kept;
}
const VERSION = 1;

const done = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});
const committed = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = () => resolve();
  tx.onabort = tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
});

export class IndexedDBSyncState {
  #db;
  #queue = Promise.resolve();
  #base = null;              // the server snapshot the mirror started from ({ seq, db }), or null

  constructor(db) { this.#db = db; }

  /* name: the IndexedDB database name; factory: default globalThis.indexedDB. */
  static async open(name, factory = globalThis.indexedDB) {
    if (!factory) throw new TypeError('no IndexedDB here: pass a factory, or keep the sync state elsewhere');
    const request = factory.open(name, VERSION);
    request.onupgradeneeded = () => {
      request.result.createObjectStore('server', { keyPath: 'seq' });
      request.result.createObjectStore('meta');
    };
    return new IndexedDBSyncState(await done(request));
  }

  #turn(fn) {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  async load() {
    const tx = this.#db.transaction(['server', 'meta'], 'readonly');
    const [state, serverCommits] = await Promise.all([done(tx.objectStore('meta').get('state')), done(tx.objectStore('server').getAll())]);
    if (!state) return null;
    this.#base = state.base ?? null;
    return { cursor: state.cursor, serverCommits, pending: state.pending ?? [], base: this.#base };
  }

  /* base: a server snapshot the mirror starts again from; the older commits go with it. */
  saveServer(commits, cursor, pending, base) {
    return this.#turn(() => {
      const tx = this.#db.transaction(['server', 'meta'], 'readwrite');
      const server = tx.objectStore('server');
      if (base) { this.#base = base; server.clear(); }
      for (const c of commits) server.put(keptCommit(c));
      tx.objectStore('meta').put({ cursor, pending, base: this.#base }, 'state');
      return committed(tx);
    });
  }

  savePending(pending, cursor) {
    return this.#turn(() => {
      const tx = this.#db.transaction(['meta'], 'readwrite');
      tx.objectStore('meta').put({ cursor, pending, base: this.#base }, 'state');
      return committed(tx);
    });
  }

  async close() {
    await this.#queue;
    this.#db.close();
  }
}

/* An IndexedDBSyncState in the IndexedDB database `name`. */
export function indexedDBSyncState(name, factory) {
  return IndexedDBSyncState.open(name, factory);
}
