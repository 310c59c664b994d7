/*
 * state-indexeddb.js: where a browser sync client keeps its sync state between page loads
 * (the SyncState interface of sync/client.js), in an IndexedDB database of its own: the
 * server commits it pulled, its cursor, and its pending commits.
 *
 * Object stores: "server" (the pulled commits, keyed by their server seq) and "meta" (one
 * record, key "state": { cursor, pending }).
 * Must stay true: pulled commits and the cursor past them are written in one transaction, so
 * a reload never sees one without the other; saves run one at a time, in order.
 */
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
    return { cursor: state.cursor, serverCommits, pending: state.pending ?? [] };
  }

  saveServer(commits, cursor, pending) {
    return this.#turn(() => {
      const tx = this.#db.transaction(['server', 'meta'], 'readwrite');
      const server = tx.objectStore('server');
      for (const c of commits) server.put({ seq: c.seq, id: c.id, time: c.time ?? null, cause: c.cause ?? null, query: c.query });
      tx.objectStore('meta').put({ cursor, pending }, 'state');
      return committed(tx);
    });
  }

  savePending(pending, cursor) {
    return this.#turn(() => {
      const tx = this.#db.transaction(['meta'], 'readwrite');
      tx.objectStore('meta').put({ cursor, pending }, 'state');
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
