/*
 * database.js: the Database class, Hindsight's public JS API (ARCHITECTURE.md §5).
 *
 * Owns: one engine handle, the retention policy, the listeners and the change feed, the
 * store attachment, and the open/closed state. The engine owns every commit: its seq, id,
 * time, cause and query (c/commits.c); this file keeps no copy. A write passes its commit
 * metadata (time from the clock, cause as JSON text) with the query, checked before the
 * query runs, so a commit and its record are made together or not at all; the store's log
 * record is the engine's text. Undo/redo are the engine's (derived from the records, so they
 * survive a reopen). After every commit (writes, reverts, undo/redo, imports, rebases) the
 * feed publishes { seq, id, changes } and the listeners of every changed collection fire
 * with the seq; live queries (js/live.js) are told through three hook lines (#committed,
 * #rebase, close). Invariants: after close() every method throws HindsightError CLOSED (close
 * itself is idempotent); a listener that throws never breaks the write that triggered it.
 */
import { HindsightError, ErrorCode } from './errors.js';
import { loadEngine } from './wasm-loader.js';
import { Engine } from './engine.js';
import { ChangeFeed } from './change-feed.js';
import { DatabaseView } from './view.js';
import { Persistence, encodeSnapshot, decodeSnapshot } from './persistence.js';
import { checkStore, MemoryStore } from './stores/store.js';
import { storageFactory, defaultStorageKind } from './stores/registry.js';
import { LiveRegistry } from './live.js';
import { queryParts, permissionsText, checkSeqBound } from './query-checks.js';
import { maxMemoryMB, applyMemoryBudget } from './memory-budget.js';
import * as access from './time-travel-access.js';

/* The query recorded for a revert, undo or redo commit: not a DeltaTraceDB query, so a
   DeltaTraceDB reader of the log can tell it apart by className. */
const REVERT_CLASS = 'HindsightRevert';
const HISTORY_CLASS = 'HindsightHistory';

const HISTORY_VERSION = '2';
/* DeltaTraceDB (protocol §11) notifies these on success even when no row changed (clear of
   an empty collection); every other notification comes from the change feed. */
const ALWAYS_NOTIFY = new Set(['clear', 'clearAdd', 'conformToTemplate', 'renameField']);
const READ_TYPES = new Set(['search', 'searchOne', 'getAll', 'count']);
const DATE_MAX_MS = 8.64e15;
const MAX_SEQ = 0xffffffff;

/* A random origin for the ids of this instance's commits (the engine reads no randomness). */
function newOrigin() {
  const bytes = new Uint8Array(9);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(36).padStart(2, '0')).join('');
}

function invalid(message) { return new HindsightError(ErrorCode.INVALID_ARGUMENT, message); }

/* A commit's cause: the query's own, or for a TransactionQuery (which has no cause in
   DeltaTraceDB) its own extra `cause` key, else the first inner query's. */
function causeOf(query) {
  if (!query || typeof query !== 'object') return null;
  if (query.cause) return query.cause;
  if (Array.isArray(query.queries)) return query.queries.find((q) => q?.cause)?.cause ?? null;
  return null;
}

function failedResult(query, errorMessage) {
  return {
    className: 'QueryResult', version: '6', isSuccess: false, target: String(query?.target ?? ''), type: String(query?.type ?? ''),
    result: [], dbLength: -1, updateCount: 0, hitCount: 0, errorMessage,
  };
}

/* The store for options.storage: null (memory only), or an object implementing
   js/stores/store.js. Runtime stores (IndexedDB, files) come from the registry that the
   package entries fill; a bare { name } takes this runtime's persistent store, and where
   there is none it is an error, never a silent in-memory database (ARCHITECTURE.md §7). */
async function resolveStore(options) {
  const kind = options.storage;
  if (kind && typeof kind === 'object') return checkStore(kind);
  if (kind === 'memory') return new MemoryStore();
  if (kind !== undefined && kind !== null) {
    if (typeof kind !== 'string') throw invalid(`unknown storage ${String(kind)}: use 'memory', 'indexeddb', 'file' or a store object`);
    return checkStore(await storageFactory(kind)(options));
  }
  if (options.name === undefined) return null;
  const fallback = defaultStorageKind();
  if (!fallback) {
    throw invalid(`options.name ${JSON.stringify(options.name)} needs a persistent store, and this runtime has none by default: `
      + "pass storage: 'memory' for an in-memory database, storage: 'file' with a path in Node (import from 'hindsight-db/node'), or a store object");
  }
  return checkStore(await storageFactory(fallback)(options));
}

/* An old snapshot (JS meta.log beside an engine dump of version 1) as a dump the engine
   reads: the log's entries become the dump's commit records (c/snapshot.c's table). */
function convertLegacyDump(meta, dumpText) {
  const log = meta.log;
  const commits = log.entries.map(([seq, time, causeText, queryText]) => {
    const id = JSON.stringify(`legacy.${seq}`);
    if (queryText.includes(`"${REVERT_CLASS}"`)) {
      const q = JSON.parse(queryText);
      if (q?.className === REVERT_CLASS && !q.state) return `[${seq},${id},${time},${causeText ?? 'null'},2,${q.toSeq}]`;
      return `[${seq},${id},${time},${causeText ?? 'null'},5,${queryText}]`;
    }
    return `[${seq},${id},${time},${causeText ?? 'null'},0,${queryText}]`;
  });
  const end = dumpText.lastIndexOf('}');
  const baseTime = Number.isFinite(log.baseTime) ? log.baseTime : null;
  return `${dumpText.slice(0, end)},"baseTime":${baseTime},"commits":[${commits.join(',')}]}`;
}

/* Loads a stored snapshot into engine; returns its JS meta (retention). */
function loadSnapshot(engine, text) {
  const { meta, dumpText } = decodeSnapshot(text);
  engine.loadText(meta.log ? convertLegacyDump(meta, dumpText) : dumpText);
  return meta;
}

/* A time given as ms or an ISO string, checked: a Date-range number. */
function timeMs(value, what) {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms) || Math.abs(ms) > DATE_MAX_MS) throw invalid(`${what}: time ${String(value)} is not a time in the Date range`);
  return ms;
}

/* The exported commits as engine records, refusing what no real history holds: seqs out of
   order, reverts outside 0..seq-1, times going backwards or outside the Date range, empty
   transactions, duplicate ids. */
function importRecords(history, baseSeq) {
  const out = [];
  const ids = new Set();
  let expected = baseSeq + 1, last = -Infinity;
  for (const c of history.commits) {
    const where = `importHistory: commit ${expected}`;
    if (c === null || typeof c !== 'object') throw invalid(`${where} is not an object`);
    if (c.seq !== expected) throw invalid(`${where}: expected seq ${expected}, found ${c.seq}`);
    const q = c.query;
    if (q === null || typeof q !== 'object' || Array.isArray(q)) throw invalid(`${where}: query must be an object`);
    if (Array.isArray(q.queries) && q.queries.length === 0) throw invalid(`${where}: a transaction with no queries is not a commit`);
    if (q.className === REVERT_CLASS && !q.state) {
      if (!Number.isInteger(q.toSeq) || q.toSeq < 0 || q.toSeq >= c.seq) throw invalid(`${where}: a revert must go back to a seq from 0 to ${c.seq - 1}, got ${q.toSeq}`);
    }
    let time = null;
    if (c.time !== null && c.time !== undefined) {
      time = timeMs(c.time, where);
      if (time < last) throw invalid(`${where}: its time ${new Date(time).toISOString()} is before the previous commit's`);
      last = time;
    }
    let id;
    if (c.id !== undefined) {
      if (typeof c.id !== 'string' || !/^[\x20-\x7e]{1,128}$/.test(c.id) || /["\\]/.test(c.id)) throw invalid(`${where}: id must be a printable string`);
      if (ids.has(c.id)) throw invalid(`${where}: id ${c.id} appears twice`);
      ids.add(c.id);
      id = c.id;
    }
    let cause;
    try { cause = JSON.stringify(c.cause ?? null); } catch (error) { throw invalid(`${where}: cause cannot be written as JSON: ${error.message}`); }
    out.push(`{"seq":${c.seq}${id === undefined ? '' : `,"id":${JSON.stringify(id)}`},"time":${time},"cause":${cause},"query":${JSON.stringify(q)}}`);
    expected++;
  }
  return out;
}

/* A plain dict for a query given as a dict or a builder object. */
function plainQuery(query) {
  if (query && typeof query.toJSON === 'function') return query.toJSON();
  if (query && typeof query.build === 'function') return query.build();
  return query;
}


export class Database {
  #engine;
  #listeners = new Map();   // target -> { unnamed: Set<fn>, named: Map<name, fn> }
  #feed;
  #options;
  #retention = null;
  #horizon = 0;             // the retention horizon as the policy says; the engine prunes up to it in batches
  #persistence = null;      // set when the database has a store
  #storageWarnings = [];
  #onHidden = null;
  #liveQueries = null;      // js/live.js, created by the first live()

  /* Use Database.open(), fromDict() or importHistory(); the constructor is internal. */
  constructor(engine, options) {
    this.#engine = engine;
    this.#options = options;
    this.#feed = new ChangeFeed((error) => (options.onListenerError ?? ((e) => console.error('hindsight listener failed:', e)))(error, null));
    engine.setOrigin(newOrigin());
  }

  /* The metadata text of the commit a call may make: the clock's time and the cause as JSON.
     Everything that can fail here fails before the engine is called. */
  #meta(cause, extra = '') {
    const clock = this.#options.clock ?? Date.now;
    let time;
    try {
      time = Number(clock());
    } catch (error) {
      throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `the clock failed: ${error?.message ?? error}; nothing was committed`, { cause: error });
    }
    // A clock that gives no usable time counts as "no time passed" (the engine keeps the previous).
    if (!Number.isFinite(time) || Math.abs(time) > DATE_MAX_MS) time = null;
    let causeText;
    try {
      causeText = cause === undefined ? 'null' : JSON.stringify(cause) ?? 'null';
    } catch (error) {
      throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `the cause cannot be written as JSON: ${error.message}; nothing was committed`, { cause: error });
    }
    return `{"time":${time},"cause":${causeText}${extra}}`;
  }

  /* Opens an empty in-memory database. options.wasm: a WebAssembly.Module, bytes or a URL
     of hindsight.wasm, for runtimes (workerd) that cannot find it by themselves.
     options.clock: () => milliseconds, the time given to commits (default Date.now). */
  static async open(options = {}) {
    if (options === null || typeof options !== 'object') throw invalid('options must be an object');
    if (options.clock !== undefined && typeof options.clock !== 'function') throw invalid('options.clock must be a function returning milliseconds');
    const budgetMB = maxMemoryMB(options);
    const store = await resolveStore(options);
    const exports = await loadEngine(options.wasm);
    const db = new Database(new Engine(exports), options);
    applyMemoryBudget(db.#engine, budgetMB);
    if (store) {
      try {
        await db.#attach(store);
      } catch (error) {
        db.#engine.close();
        await store.close?.();
        throw error;
      }
    }
    return db;
  }

  /* Rebuilds a database from a DeltaTraceDatabase dict (as written by toDict()). */
  static async fromDict(dict, options = {}) {
    if (dict === null || typeof dict !== 'object') throw invalid('fromDict needs a DeltaTraceDatabase dict');
    return Database.fromJSONText(JSON.stringify(dict), options);
  }

  /* Rebuilds a database from the JSON text of a DeltaTraceDatabase dict, skipping one
     JSON.parse/JSON.stringify round trip in JS. With a store, the store's contents are
     replaced by this state. */
  static async fromJSONText(text, options = {}) {
    if (typeof text !== 'string') throw invalid('fromJSONText needs a string');
    const db = await Database.open(options);
    try {
      db.#engine.fromDictText(text);
      await db.#persistence?.snapshot({ replacesHistory: true });
    } catch (error) {
      await db.close().catch(() => {});
      throw error;
    }
    return db;
  }

  /* ---- persistence ---- */

  /* Loads what the store holds (the newest snapshot, then the log after it) and keeps the
     store up to date from then on. */
  async #attach(store) {
    const { snapshot, records, warnings } = await store.open();
    const engine = this.#engine;
    if (snapshot) {
      let meta;
      try {
        meta = loadSnapshot(engine, snapshot.text);
      } catch (error) {
        throw new HindsightError(ErrorCode.CORRUPT, `the stored snapshot cannot be loaded: ${error.message}`, { cause: error });
      }
      this.#retention = meta.retention ?? null;
      this.#horizon = meta.horizon ?? 0;
      engine.setOrigin(newOrigin());
    }
    if (records.length) {
      // The records are the engine's own texts: replayed as they are, exactly what was executed.
      // One that does not apply fails the open (CORRUPT) and leaves the store as it is: later
      // records could never be appended after it.
      try {
        engine.replay(`[${records.map((r) => r.text).join(',')}]`);
      } catch (error) {
        if (!(error instanceof HindsightError) || error.code === ErrorCode.NOMEM) throw error;
        throw new HindsightError(ErrorCode.CORRUPT, `the stored log cannot be replayed: ${error.message}`, { cause: error });
      }
    }
    this.#storageWarnings.push(...warnings);
    for (const w of warnings) this.#options.onWarning?.(w);
    this.#persistence = new Persistence(store, {
      durableSeq: engine.seq(),
      snapshotEvery: this.#options.snapshotEvery,
      snapshotBytes: this.#options.snapshotBytes,
      onError: (error) => this.#options.onError?.(error),
      snapshotText: () => ({ seq: this.#engine.seq(), text: this.#snapshotText() }),
      verifySnapshot: (text) => this.#checkSnapshotLoads(text),
      shared: this.#sharing(store),
      replayed: { commits: records.length, bytes: records.reduce((n, r) => n + r.text.length, 0) },
    });
    if (typeof document !== 'undefined' && typeof document.addEventListener === 'function') {
      // A page that goes to the background may never come back: write out what is pending.
      this.#onHidden = () => { if (document.visibilityState === 'hidden') this.flush().catch(() => {}); };
      document.addEventListener('visibilitychange', this.#onHidden);
      globalThis.addEventListener?.('pagehide', this.#onHidden);
    }
  }

  /* Many pages, one history: when the store can be shared and the runtime has Web Locks
     and BroadcastChannel (or the options bring their own), writers take turns. */
  #sharing(store) {
    const o = this.#options;
    const locks = o.locks ?? globalThis.navigator?.locks;
    if (o.shared === false || typeof store.readSince !== 'function' || !locks || typeof BroadcastChannel === 'undefined') return null;
    const name = `hindsight:${o.name ?? 'default'}`;
    return { locks, lockName: name, channel: new BroadcastChannel(name), rebase: (got, confirmed) => this.#rebase(got, confirmed) };
  }

  /* Another page wrote commits after `confirmed`: rebuild this page's state as the shared
     history (the store's records, or its snapshot) plus this page's own commits that were not
     written yet, applied again on top. They get new seqs but keep their ids, times and causes,
     so undo/redo (which name ids) still take back the right commits. Returns them as the
     records to write. */
  #rebase({ snapshot, records }, confirmed) {
    const old = this.#engine;
    const ours = JSON.parse(old.commitsText(confirmed + 1, MAX_SEQ, MAX_SEQ));
    const touched = new Set();
    const touchedSince = (engine, from) => {
      for (const info of JSON.parse(engine.changesText(Math.max(from, engine.oldest()), engine.seq()))) for (const name of Object.keys(info.changes)) touched.add(name);
    };
    touchedSince(old, confirmed);
    let engine;
    if (snapshot) {
      engine = new Engine(old.wasm);
      applyMemoryBudget(engine, maxMemoryMB(this.#options));
      try {
        loadSnapshot(engine, snapshot.text);
      } catch (error) {
        engine.close();
        throw error;
      }
      engine.setOrigin(newOrigin());   // the snapshot holds another page's origin and counter
    } else {
      engine = old.fork(confirmed);
    }
    if (records.length) engine.replay(`[${records.map((r) => r.text).join(',')}]`);
    const sharedSeq = engine.seq();
    const pending = [];
    for (const c of ours) {
      const before = engine.seq();
      const q = c.query;
      const keep = `{"time":${c.time},"cause":${JSON.stringify(c.cause)},"id":${JSON.stringify(c.id)}`;
      try {
        if (q?.className === REVERT_CLASS && !q.state) {
          const ref = q.undo !== undefined ? `,"undo":${JSON.stringify(q.undo)}` : q.redo !== undefined ? `,"redo":${JSON.stringify(q.redo)}` : '';
          engine.revert(q.toSeq, `${keep}${ref}}`);
        } else {
          engine.execute(JSON.stringify(q), null, `${keep}}`);
        }
      } catch { /* reported below as not applying */ }
      if (engine.seq() === before) {
        const w = `commit ${c.id} (seq ${c.seq}) made in this page no longer applies after another page's commits; it was dropped`;
        this.#storageWarnings.push(w);
        this.#options.onWarning?.(w);
        continue;
      }
      pending.push({ seq: engine.seq(), text: this.#recordText(engine, engine.seq()) });
    }
    this.#engine = engine;
    this.#liveQueries?.rebuilt(engine);   // live queries hook: reopen on the new engine while the old one lives
    old.close();
    if (engine.seq() > confirmed) {
      touchedSince(engine, confirmed);
      this.#feed.publish({ seq: engine.seq(), id: null, rebased: true, changes: null });
      for (const target of touched) this.#fire(target, engine.seq());
    }
    return { pending, seq: sharedSeq };
  }

  /* Throws unless text loads as this database's snapshots do (a scratch engine): the store
     keeps a snapshot, and drops what it covers, only once this passes. */
  #checkSnapshotLoads(text) {
    const scratch = new Engine(this.#engine.wasm);
    try {
      loadSnapshot(scratch, text);
    } finally {
      scratch.close();
    }
  }

  /* The engine's log record of commit seq: {"seq","id","time","cause","query"}. */
  #recordText(engine, seq) {
    const text = engine.commitsText(seq, seq, 1);
    return text.slice(1, -1);
  }

  #snapshotText() {
    const meta = { format: 2, seq: this.#engine.seq(), retention: this.#retention, horizon: this.#horizon };
    return encodeSnapshot(meta, this.#engine.dumpText());
  }

  /* Resolves when every commit so far is durable in the store (at once without a store).
     Rejects with HindsightError QUOTA when the store is full; the commits stay in memory
     and are written when space returns. */
  async flush() {
    const engine = this.#live();
    if (!this.#persistence) return engine.seq();
    return this.#persistence.flush(engine.seq());
  }

  /* The last commit known to be in the store (the latest commit without a store). */
  get durableSeq() {
    const engine = this.#live();
    return this.#persistence ? this.#persistence.durableSeq : engine.seq();
  }

  /* navigator.storage.estimate(), through the store when it knows better; null when unknown. */
  async storageEstimate() {
    this.#live();
    const store = this.#persistence?.store;
    if (store?.estimate) return store.estimate();
    return globalThis.navigator?.storage?.estimate ? globalThis.navigator.storage.estimate() : null;
  }

  /* Asks the browser not to evict this origin's storage (navigator.storage.persist()). */
  async requestPersistence() {
    this.#live();
    const store = this.#persistence?.store;
    if (store?.persist) return store.persist();
    return globalThis.navigator?.storage?.persist ? globalThis.navigator.storage.persist() : false;
  }

  #live() {
    if (!this.#engine.handle) throw new HindsightError(ErrorCode.CLOSED, 'the database is closed');
    return this.#engine;
  }

  /* Runs one Query (or a TransactionQuery) and returns its result dict, synchronously. */
  executeQuery(query) {
    return this.#execute(query, undefined, 'executeQuery');
  }

  /* Runs a Query or TransactionQuery; collectionPermissions maps collection names to
     Permission objects or dicts ({ allows: [...] }); omit it to allow everything. */
  executeQueryObject(query, collectionPermissions) {
    return this.#execute(query, collectionPermissions, 'executeQueryObject');
  }

  #execute(query, permissions, what) {
    const engine = this.#live();
    let { plain, text } = queryParts(query, what);
    const isRead = READ_TYPES.has(plain?.type) && !Array.isArray(plain?.queries);
    if (plain?.asOf?.time !== undefined) {
      // The engine has no clock: turn { time } into the seq it means here.
      let seq;
      try {
        seq = this.#seqOf(plain.asOf.time);
      } catch (error) {
        if (!(error instanceof HindsightError)) throw error;
        return failedResult(plain, `execute_query ArgumentError: asOf: ${error.message}`);
      }
      text = JSON.stringify({ ...plain, asOf: { seq } });
    }
    const asOfSeq = plain?.asOf?.seq;
    if (typeof asOfSeq === 'number' && asOfSeq < this.#oldest()) {
      return failedResult(plain, `execute_query ArgumentError: asOf seq ${asOfSeq} is older than the kept history (oldest seq ${this.#oldest()})`);
    }
    const perms = permissionsText(permissions);
    const metaText = isRead ? null : this.#meta(causeOf(plain));
    const before = engine.seq();
    const result = JSON.parse(engine.execute(text, perms, metaText));
    const seq = engine.seq();
    if (seq !== before) {
      if (result.type === 'removeCollection') this.#listeners.delete(result.target);
      this.#committed(seq, ALWAYS_NOTIFY.has(result.type) ? result.target : null);
    }
    return result;
  }

  /* After every commit: the store gets the engine's record, retention moves, and the feed and
     the listeners of each changed collection hear of it. */
  #committed(seq, alsoNotify = null) {
    const engine = this.#engine;
    if (this.#persistence) this.#persistence.committed(seq, this.#recordText(engine, seq));
    // What changed is read before retention may free seq - 1.
    const info = this.#feed.size === 0 && this.#listeners.size === 0 ? null : JSON.parse(engine.changesText(seq - 1, seq))[0];
    this.#liveQueries?.committed();   // live queries hook: before retention trims the change log
    this.#applyRetention(false);
    if (info === null) return;
    this.#feed.publish(info);
    const targets = Object.keys(info.changes);
    if (alsoNotify !== null && !targets.includes(alsoNotify)) targets.push(alsoNotify);
    for (const target of targets) this.#fire(target, seq);
  }

  /* The change feed (js/change-feed.js): fn({ seq, id, changes }) after every commit.
     Returns the function that unsubscribes. Used by listeners' peers such as live queries. */
  subscribeChanges(fn) {
    this.#live();
    if (typeof fn !== 'function') throw invalid('subscribeChanges needs a function');
    return this.#feed.subscribe(fn);
  }

  /* The commits after since (up to until, default the latest), each as
     { seq, id, changes: { [collection]: { added, removed, changed } } } with row ids. */
  changes({ since = this.#oldest(), until } = {}) {
    const engine = this.#live();
    const last = until === undefined ? engine.seq() : until;
    for (const [name, v] of [['since', since], ['until', last]]) {
      if (!Number.isInteger(v) || v < 0 || v > MAX_SEQ) throw invalid(`changes: ${name} must be a seq, got ${v}`);
    }
    if (since < this.#oldest()) throw new HindsightError(ErrorCode.TOO_OLD, `changes: seq ${since} is older than the kept history (oldest seq ${this.#oldest()})`);
    return JSON.parse(engine.changesText(since, Math.min(last, engine.seq())));
  }

  #fire(target, seq) {
    const entry = this.#listeners.get(target);
    if (!entry) return;
    for (const fn of [...entry.unnamed, ...entry.named.values()]) {
      try {
        fn(seq);
      } catch (error) {
        // A listener's failure must not undo or hide the write that already happened.
        (this.#options.onListenerError ?? ((e) => console.error('hindsight listener failed:', e)))(error, target);
      }
    }
  }

  /* A live query: onChange(snapshot, delta) now and after every commit that changes the
     result of the read query. options.collectionPermissions as executeQueryObject's.
     Returns the subscription (js/live.js): getSnapshot, subscribe, unsubscribe. */
  live(query, onChange, options) {
    const engine = this.#live();
    this.#liveQueries ??= new LiveRegistry(engine, (error) => (this.#options.onListenerError ?? ((e) => console.error('hindsight live query failed:', e)))(error, 'live'));
    return this.#liveQueries.open(query, onChange, options);
  }

  /* Calls callback after each successful write to target. With a name, a later
     addListener with the same name replaces it. */
  addListener(target, callback, name) {
    this.#live();
    if (typeof target !== 'string') throw invalid('addListener: target must be a string');
    if (typeof callback !== 'function') throw invalid('addListener: callback must be a function');
    let entry = this.#listeners.get(target);
    if (!entry) this.#listeners.set(target, entry = { unnamed: new Set(), named: new Map() });
    if (name === undefined || name === null) entry.unnamed.add(callback);
    else entry.named.set(String(name), callback);
  }

  removeListener(target, callback, name) {
    this.#live();
    const entry = this.#listeners.get(target);
    if (!entry) return;
    if (name === undefined || name === null) entry.unnamed.delete(callback);
    else entry.named.delete(String(name));
  }

  /* The whole database as a DeltaTraceDatabase dict. */
  toDict() {
    return JSON.parse(this.#live().toDictText());
  }

  /* The same, as JSON text: cheaper when the caller is about to store or send it. */
  toJSONText() {
    return this.#live().toDictText();
  }

  /* ---- time travel ---- */

  /* The latest commit: 0 for a new database, +1 for each successful write or transaction. */
  get seq() { return this.#live().seq(); }

  /* The commits, oldest first: [{ seq, id, time (ISO 8601 UTC), cause, query }]. With
     collectionPermissions, only the commits whose collections the caller may all read. */
  commits({ from, to, limit, collectionPermissions } = {}) {
    const engine = this.#live();
    const perms = permissionsText(collectionPermissions);
    const bound = (v, dflt) => (v === undefined || v === null ? dflt : Number.isFinite(v) ? Math.min(MAX_SEQ, Math.max(0, Math.floor(v))) : v === Infinity ? MAX_SEQ : 0);
    const list = JSON.parse(engine.commitsText(bound(from, 0), bound(to, MAX_SEQ), perms === null ? bound(limit, MAX_SEQ) : MAX_SEQ));
    for (const c of list) c.time = new Date(c.time).toISOString();
    if (perms === null) return list;
    const visible = access.visibleCommits(engine, list, perms);
    return limit === undefined || limit === null ? visible : visible.slice(0, bound(limit, MAX_SEQ));
  }

  /* A seq from a point: a seq number, a Date, or an ISO 8601 string (the last commit at or
     before that time). Throws TOO_OLD before the kept history. */
  #seqOf(point) {
    const engine = this.#live();
    let seq;
    if (typeof point === 'number') {
      if (!Number.isInteger(point) || point < 0) throw invalid(`a seq must be a non-negative integer, got ${point}`);
      seq = point;
    } else if (point instanceof Date || typeof point === 'string') {
      const ms = point instanceof Date ? point.getTime() : Date.parse(point);
      if (!Number.isFinite(ms)) throw invalid(`not a valid time: ${String(point)}`);
      seq = engine.seqAtTime(ms);
    } else {
      throw invalid('a point in history is a seq number, a Date or an ISO 8601 string');
    }
    if (seq > engine.seq()) throw invalid(`seq ${seq} is after the latest commit (${engine.seq()})`);
    if (seq < this.#oldest()) throw new HindsightError(ErrorCode.TOO_OLD, `seq ${seq} is older than the kept history (oldest seq ${this.#oldest()})`);
    return seq;
  }

  /* A read-only view of the state at point. Costs nothing until it is read. */
  at(point) {
    const seq = this.#seqOf(point);
    return new DatabaseView(
      seq,
      (query, s, permissions) => this.#execute({ ...query, asOf: { seq: s } }, permissions, permissions === undefined ? 'executeQuery' : 'executeQueryObject'),
      (s, permissions) => JSON.parse(access.toDictTextAt(this.#live(), s, permissionsText(permissions))),
    );
  }

  /* Every version of the documents of target that match queryNode in any of their versions,
     oldest first: [{ seq, time, op: 'I' | 'U' | 'D', doc, cause }]. */
  history(target, queryNode, options = {}) {
    const engine = this.#live();
    if (typeof target !== 'string') throw invalid('history: target must be a string');
    if (options === null || typeof options !== 'object') throw invalid('history: options must be an object { from, to, collectionPermissions }');
    const from = checkSeqBound(options.from, 'history: from') ?? 0, to = checkSeqBound(options.to, 'history: to');
    const perms = permissionsText(options.collectionPermissions);
    const nodeText = queryNode === undefined || queryNode === null ? null : JSON.stringify(queryNode);
    const last = to === undefined ? engine.seq() : to;
    const entries = JSON.parse(access.historyText(engine, target, nodeText, Math.max(this.#oldest(), from), last, perms));
    if (!entries.length) return entries;
    const info = new Map();
    for (const c of JSON.parse(engine.commitInfoText(entries[0].seq, entries[entries.length - 1].seq))) info.set(c.seq, c);
    for (const e of entries) {
      const c = info.get(e.seq);
      const time = c ? c.time : engine.timeOf(e.seq);
      e.time = time === null ? null : new Date(time).toISOString();
      e.cause = c ? c.cause : null;
    }
    return entries;
  }

  /* What changed between two points: { [collection]: { added, removed, changed: [{ before, after }] } }. */
  diff(fromPoint, toPoint, { collectionPermissions } = {}) {
    const a = this.#seqOf(fromPoint), b = this.#seqOf(toPoint);
    return JSON.parse(access.diffText(this.#live(), a, b, permissionsText(collectionPermissions)));
  }

  /* A new commit whose state equals the state at point, serial counters included. */
  revertTo(point, cause, { collectionPermissions } = {}) {
    const toSeq = this.#seqOf(point);
    const perms = permissionsText(collectionPermissions);
    const meta = this.#meta(cause === undefined ? null : plainQuery(cause));
    const seq = this.#engine.revert(toSeq, meta, perms);
    this.#committed(seq);
    return seq;
  }

  /* Takes back the latest commit not yet undone, as a new commit. Returns its seq, or null.
     The undo and redo stacks are the engine's, derived from the commit records. */
  undo(cause, { collectionPermissions } = {}) {
    const engine = this.#live();
    const perms = permissionsText(collectionPermissions);
    const seq = engine.undo(this.#meta(cause === undefined ? null : plainQuery(cause), `,"minSeq":${this.#oldest()}`), perms);
    if (seq !== null) this.#committed(seq);
    return seq;
  }

  /* Reapplies the latest undone commit, as a new commit. Returns its seq, or null. */
  redo(cause, { collectionPermissions } = {}) {
    const engine = this.#live();
    const perms = permissionsText(collectionPermissions);
    const seq = engine.redo(this.#meta(cause === undefined ? null : plainQuery(cause), `,"minSeq":${this.#oldest()}`), perms);
    if (seq !== null) this.#committed(seq);
    return seq;
  }

  /* A new, independent database whose state and history are those up to point. */
  fork(point, { collectionPermissions } = {}) {
    const seq = this.#seqOf(point);
    return new Database(access.fork(this.#live(), seq, permissionsText(collectionPermissions)), this.#options);
  }

  /* The history as one JSON-able object: the state at the oldest kept commit plus every
     commit after it. Database.importHistory rebuilds an identical database from it. */
  exportHistory() {
    const engine = this.#live();
    const base = this.#oldest();
    const baseTime = engine.timeOf(base);
    return {
      className: HISTORY_CLASS,
      version: HISTORY_VERSION,
      base: { seq: base, time: baseTime === null ? null : new Date(baseTime).toISOString(), db: JSON.parse(engine.toDictTextAt(base)) },
      commits: this.commits({ from: base + 1 }).map((c) => this.#exportable(c, base)),
    };
  }

  /* A revert to a state older than the exported base cannot be replayed from the base, so
     it travels with the collections it changed, as they were after it. */
  #exportable(commit, base) {
    const q = commit.query;
    if (q?.className !== REVERT_CLASS || q.toSeq >= base || q.state) return commit;
    const before = this.at(commit.seq - 1).toDict().collections, after = this.at(commit.seq).toDict().collections;
    const state = Object.create(null);   // keyed by user data: a collection may be named __proto__
    for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (JSON.stringify(before[name]) !== JSON.stringify(after[name])) {
        state[name] = after[name] ? { data: after[name].data, serialNum: after[name].serialNum } : null;
      }
    }
    return { ...commit, query: { ...q, state: { collections: state, order: Object.keys(after) } } };
  }

  /* Rebuilds a database from exportHistory's object (versions 1 and 2; version 2 keeps the
     commit ids). Input that no real history holds is refused with INVALID_ARGUMENT. */
  static async importHistory(history, options = {}) {
    if (!history || history.className !== HISTORY_CLASS || !history.base || typeof history.base !== 'object' || !Array.isArray(history.commits)) {
      throw invalid(`importHistory needs a ${HISTORY_CLASS} object (from exportHistory)`);
    }
    if (history.version !== '1' && history.version !== '2') throw invalid(`importHistory reads versions 1 and 2, not ${history.version}`);
    const { base } = history;
    const baseSeq = base.seq ?? 0;
    if (!Number.isInteger(baseSeq) || baseSeq < 0 || baseSeq + history.commits.length > MAX_SEQ) throw invalid(`importHistory: base.seq must be a seq, got ${base.seq}`);
    const baseTime = base.time === null || base.time === undefined ? null : timeMs(base.time, 'importHistory: base');
    const records = importRecords(history, baseSeq);
    if (baseTime !== null && history.commits.length && history.commits[0].time !== null && history.commits[0].time !== undefined && timeMs(history.commits[0].time, 'importHistory') < baseTime) {
      throw invalid('importHistory: the first commit is older than the base');
    }
    const db = await Database.fromDict(base.db ?? { collections: {} }, options);
    const engine = db.#engine;
    try {
      if (baseSeq) engine.setBase(baseSeq);
      engine.setBaseTime(baseTime);
      if (records.length) {
        try {
          engine.replay(`[${records.join(',')}]`);
        } catch (error) {
          if (error instanceof HindsightError && error.code === ErrorCode.CORRUPT) throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `importHistory: ${error.message}`, { cause: error });
          throw error;
        }
      }
      await db.#persistence?.snapshot();
    } catch (error) {
      await db.close();
      throw error;
    }
    return db;
  }


  /* Bounds the history: keep at most maxCommits commits and none older than maxAgeMs.
     Older versions are freed; reading before the horizon throws TOO_OLD. */
  setRetention(policy = {}) {
    this.#live();
    if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) throw invalid('setRetention needs an object { maxCommits, maxAgeMs }');
    const { maxCommits, maxAgeMs } = policy;
    for (const [name, v] of [['maxCommits', maxCommits], ['maxAgeMs', maxAgeMs]]) {
      if (v !== undefined && v !== null && !(Number.isFinite(v) && v >= 0)) throw invalid(`setRetention: ${name} must be a non-negative number`);
    }
    this.#retention = { maxCommits: maxCommits ?? null, maxAgeMs: maxAgeMs ?? null };
    this.#applyRetention(true);
  }

  /* Moves the horizon. Pruning walks every row, so after a commit it runs only once the
     horizon has moved far enough to be worth it (amortized); setRetention applies at once. */
  #applyRetention(now) {
    const r = this.#retention;
    if (!r) return;
    const engine = this.#engine;
    const seq = engine.seq(), oldest = engine.oldest();
    let h = oldest;
    if (r.maxCommits !== null) h = Math.max(h, seq - Math.floor(r.maxCommits));
    if (r.maxAgeMs !== null && seq > oldest) {
      // The last commit older than the cutoff (times are whole ms unless a clock says otherwise).
      const cutoff = engine.timeOf(seq) - r.maxAgeMs;
      try { h = Math.max(h, engine.seqAtTime(Number.isInteger(cutoff) ? cutoff - 1 : cutoff - 1e-6)); } catch { /* nothing that old */ }
    }
    this.#horizon = h = Math.min(h, seq);
    // Reads before the horizon are TOO_OLD at once; freeing memory waits for a batch.
    const step = Math.max(64, Math.floor((r.maxCommits ?? 0) / 8));
    if (h <= oldest || (!now && h - oldest < step)) return;
    engine.setHorizon(h);
  }

  /* The oldest readable seq. */
  #oldest() { return Math.max(this.#engine.oldest(), this.#horizon); }

  /* { seq, oldestSeq, commits, versions, historyBytes }: commits is what the log keeps,
     versions counts current and past document versions, historyBytes the memory of the past. */
  stats() {
    const s = this.#live().stats();
    const oldestSeq = this.#oldest();
    return {
      seq: s.seq, oldestSeq, commits: s.seq - oldestSeq, versions: s.versions, historyBytes: s.historyBytes,
      durableSeq: this.#persistence ? this.#persistence.durableSeq : s.seq, storageWarnings: [...this.#storageWarnings],
    };
  }

  /* Bytes the engine has allocated (live heap), and the size of wasm memory. */
  memoryUsage() {
    const engine = this.#live();
    return { heapUsed: engine.heapUsed(), wasmMemory: engine.memoryBytes() };
  }

  get closed() { return !this.#engine.handle; }

  async close() {
    if (!this.#engine.handle) return;
    let error = null;
    if (this.#persistence) {
      try { await this.flush(); } catch (e) { error = e; }
      if (this.#onHidden) {
        document.removeEventListener?.('visibilitychange', this.#onHidden);
        globalThis.removeEventListener?.('pagehide', this.#onHidden);
      }
      await this.#persistence.close();
      this.#persistence = null;
    }
    this.#liveQueries?.closeAll();
    this.#engine.close();
    this.#listeners.clear();
    this.#feed.clear();
    if (error) throw error;   // the commits that could not be written are lost with the close
  }

}
