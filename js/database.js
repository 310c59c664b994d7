/*
 * database.js: the Database class, Hindsight's public JS API (ARCHITECTURE.md §5).
 *
 * Owns: one engine handle, the commit log (times, causes, queries), the undo and redo
 * stacks, the retention policy, the listeners, and the open/closed state. Live queries
 * (js/live.js) are told after every commit, rebase and close through three hook lines. Queries go to
 * the C engine as one JSON text and come back as one; every successful write is a commit
 * (the engine's seq grows by one) and is recorded here with its time and cause. Listeners
 * fire after the engine says a write succeeded, following DeltaTraceDB's rules (§11), and
 * receive the commit's seq. Invariants: after close() every method throws HindsightError
 * CLOSED (close itself is idempotent); a listener that throws never breaks the write that
 * triggered it; engine seq and commit log agree after every call.
 */
import { HindsightError, ErrorCode } from './errors.js';
import { loadEngine } from './wasm-loader.js';
import { Engine } from './engine.js';
import { CommitLog } from './commit-log.js';
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

/* Write types whose listeners fire on success whatever the count, and those that fire only
   when something changed (protocol §11). */
const ALWAYS_NOTIFY = new Set(['add', 'clearAdd', 'clear', 'conformToTemplate', 'renameField']);
const NOTIFY_IF_CHANGED = new Set(['update', 'updateOne', 'delete', 'deleteOne']);

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

/* Merge results name the base as target; listeners of the output are not DeltaTraceDB's
   (it never notifies for merge), so nothing fires for it. */
function plainOutput() { return undefined; }

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

/* Applies commits again, in one engine call: same queries, times, causes and seqs (as
   exported, or as records of the store). The engine stops at the first commit that does not
   apply and says which. Times may be ISO strings or milliseconds. */
function replayInto(engine, log, commits) {
  let expected = engine.seq() + 1;
  for (const commit of commits) {
    if (commit?.seq !== expected++) throw invalid(`replay: expected commit ${expected - 1}, found ${commit?.seq}`);
  }
  if (!commits.length) return;
  const texts = commits.map((c) => JSON.stringify(c.query));
  engine.replay(`[${texts.join(',')}]`);
  commits.forEach((c, i) => {
    const time = typeof c.time === 'number' ? c.time : Date.parse(c.time);
    log.append(c.seq, c.cause ?? null, texts[i], Number.isFinite(time) ? time : undefined);
  });
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
  #options;
  #log;
  #undo = [];               // seqs of commits that undo() can take back, newest last
  #redo = [];               // seqs of undone commits that redo() can reapply
  #retention = null;
  #horizon = 0;             // the retention horizon as the policy says; the engine prunes up to it in batches
  #persistence = null;      // set when the database has a store
  #storageWarnings = [];
  #onHidden = null;
  #liveQueries = null;      // js/live.js, created by the first live()

  /* Use Database.open(), fromDict() or importHistory(); the constructor is internal. */
  constructor(engine, options, log) {
    this.#engine = engine;
    this.#options = options;
    this.#log = log ?? new CommitLog(options.clock ?? Date.now);
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
      db.#log = new CommitLog(options.clock ?? Date.now, db.#engine.seq(), null);
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
      const { meta, dumpText } = decodeSnapshot(snapshot.text);
      engine.loadText(dumpText);
      this.#log = CommitLog.fromJSON(this.#options.clock ?? Date.now, meta.log);
      this.#undo = meta.undo ?? [];
      this.#redo = meta.redo ?? [];
      this.#retention = meta.retention ?? null;
      this.#horizon = meta.horizon ?? 0;
    }
    const parsed = [];
    for (const r of records) {
      try {
        parsed.push(JSON.parse(r.text));
      } catch {
        warnings.push(`log record ${r.seq} is not valid JSON; it and the records after it were not applied`);
        break;
      }
    }
    if (parsed.length) {
      try {
        this.#replayAll(parsed);
        for (const r of parsed) if (r.query?.className !== REVERT_CLASS) this.#undo.push(r.seq);
      } catch (error) {
        warnings.push(`the log could not be applied after seq ${engine.seq()}: ${error.message}`);
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
     written yet, applied again on top with new seqs. Returns them as the records to write. */
  #rebase({ snapshot, records }, confirmed) {
    const old = this.#engine;
    const clock = this.#options.clock ?? Date.now;
    const ours = this.#log.entries.filter((e) => e.seq > confirmed);
    let engine, log;
    if (snapshot) {
      const { meta, dumpText } = decodeSnapshot(snapshot.text);
      engine = new Engine(old.wasm);
      applyMemoryBudget(engine, maxMemoryMB(this.#options));
      engine.loadText(dumpText);
      log = CommitLog.fromJSON(clock, meta.log);
    } else {
      engine = old.fork(confirmed);
      log = this.#log.sliceThrough(confirmed);
    }
    replayInto(engine, log, records.map((r) => JSON.parse(r.text)));
    const sharedSeq = engine.seq();
    const pending = [], renumbered = new Map();
    for (const e of ours) {
      const query = JSON.parse(e.queryText);
      const before = engine.seq();
      try {
        if (query?.className === REVERT_CLASS) engine.revert(query.toSeq);
        else engine.execute(e.queryText, null);
      } catch { /* reported below as not applying */ }
      if (engine.seq() === before) {
        const w = `commit ${e.seq} made in this page no longer applies after another page's commits; it was dropped`;
        this.#storageWarnings.push(w);
        this.#options.onWarning?.(w);
        continue;
      }
      const seq = engine.seq();
      log.append(seq, e.causeText ? JSON.parse(e.causeText) : null, e.queryText, e.time);
      renumbered.set(e.seq, seq);
      pending.push({ seq, text: log.recordText(seq) });
    }
    this.#engine = engine;
    this.#log = log;
    this.#liveQueries?.rebuilt(engine);   // live queries hook: reopen on the new engine while the old one lives
    old.close();
    this.#undo = this.#undo.filter((s) => s <= confirmed).concat(this.#undo.filter((s) => renumbered.has(s)).map((s) => renumbered.get(s)));
    this.#redo = [];
    if (this.#listeners.size && engine.seq() > confirmed) {
      for (const target of Object.keys(JSON.parse(engine.diffText(confirmed, engine.seq())))) this.#fire(target, engine.seq());
    }
    return { pending, seq: sharedSeq };
  }

  /* Throws unless text loads as this database's snapshots do (a scratch engine): the store
     keeps a snapshot, and drops what it covers, only once this passes. */
  #checkSnapshotLoads(text) {
    const { dumpText } = decodeSnapshot(text);
    const scratch = new Engine(this.#engine.wasm);
    try {
      scratch.loadText(dumpText);
    } finally {
      scratch.close();
    }
  }

  #snapshotText() {
    const meta = {
      seq: this.#engine.seq(), log: this.#log.toJSON(), undo: this.#undo, redo: this.#redo,
      retention: this.#retention, horizon: this.#horizon,
    };
    return encodeSnapshot(meta, this.#engine.dumpText());
  }

  #recordCommit(seq) {
    if (!this.#persistence) return;
    this.#persistence.committed(seq, this.#log.recordText(seq));
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
    const before = engine.seq();
    const result = JSON.parse(engine.execute(text, perms));
    const seq = engine.seq();
    if (seq !== before) {
      this.#log.append(seq, causeOf(plain), text);
      this.#recordCommit(seq);
      this.#undo.push(seq);
      this.#redo.length = 0;
      this.#liveQueries?.committed();   // live queries hook: before retention trims the change log
      this.#applyRetention(false);
      this.#notify(result, seq);
    }
    return result;
  }

  #notify(result, seq) {
    if (this.#listeners.size === 0) return;
    if (result.className === 'TransactionQueryResult') {
      const changed = new Set();
      for (const r of result.results) if (this.#changes(r)) changed.add(r.target);
      for (const target of changed) this.#fire(target, seq);
      return;
    }
    if (result.type === 'removeCollection') this.#listeners.delete(result.target);
    else if (result.type === 'merge') this.#fire(plainOutput(result), seq);
    else if (this.#changes(result)) this.#fire(result.target, seq);
  }

  #changes(r) {
    return ALWAYS_NOTIFY.has(r.type) || (NOTIFY_IF_CHANGED.has(r.type) && r.updateCount > 0);
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

  /* The commits, oldest first: [{ seq, time (ISO 8601 UTC), cause, query }]. */
  commits({ from, to, limit, collectionPermissions } = {}) {
    const engine = this.#live();
    const perms = permissionsText(collectionPermissions);
    if (perms === null) return this.#log.list({ from, to, limit });
    const visible = access.visibleCommits(engine, this.#log.list({ from, to }), perms);
    return limit === undefined || limit === null ? visible : visible.slice(0, limit);
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
      seq = this.#log.seqAtTime(ms);
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
    for (const e of entries) {
      const time = this.#log.timeOf(e.seq);
      e.time = time === null ? null : new Date(time).toISOString();
      e.cause = this.#log.causeOf(e.seq);
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
    const seq = this.#revert(this.#seqOf(point), cause, permissionsText(collectionPermissions));
    this.#undo.push(seq);
    this.#redo.length = 0;
    return seq;
  }

  #revert(toSeq, cause, perms = null) {
    const engine = this.#live();
    const seq = access.revert(engine, toSeq, perms);
    this.#log.append(seq, cause === undefined ? null : plainQuery(cause), JSON.stringify({ className: REVERT_CLASS, version: '1', toSeq }));
    this.#recordCommit(seq);
    this.#liveQueries?.committed();   // live queries hook
    this.#applyRetention(false);
    if (this.#listeners.size) for (const target of Object.keys(this.diff(seq - 1, seq))) this.#fire(target, seq);
    return seq;
  }

  /* Takes back the latest commit not yet undone, as a new commit. Returns its seq, or null. */
  undo(cause, { collectionPermissions } = {}) {
    this.#live();
    const perms = permissionsText(collectionPermissions);
    const undone = this.#undo.at(-1);
    if (undone === undefined || undone - 1 < this.#oldest()) return null;
    const seq = this.#revert(undone - 1, cause, perms);
    this.#undo.pop();
    this.#redo.push(undone);
    return seq;
  }

  /* Reapplies the latest undone commit, as a new commit. Returns its seq, or null. */
  redo(cause, { collectionPermissions } = {}) {
    this.#live();
    const perms = permissionsText(collectionPermissions);
    const redone = this.#redo.at(-1);
    if (redone === undefined || redone < this.#oldest()) return null;
    const seq = this.#revert(redone, cause, perms);
    this.#redo.pop();
    this.#undo.push(redone);
    return seq;
  }

  /* A new, independent database whose state and history are those up to point. */
  fork(point, { collectionPermissions } = {}) {
    const seq = this.#seqOf(point);
    const db = new Database(access.fork(this.#live(), seq, permissionsText(collectionPermissions)), this.#options, this.#log.sliceThrough(seq));
    db.#undo = this.#undo.filter((s) => s <= seq);
    return db;
  }

  /* The history as one JSON-able object: the state at the oldest kept commit plus every
     commit after it. Database.importHistory rebuilds an identical database from it. */
  exportHistory() {
    const engine = this.#live();
    const base = this.#oldest();
    const baseTime = this.#log.timeOf(base);
    return {
      className: HISTORY_CLASS,
      version: '1',
      base: { seq: base, time: baseTime === null ? null : new Date(baseTime).toISOString(), db: JSON.parse(engine.toDictTextAt(base)) },
      commits: this.#log.list({ from: base + 1 }).map((c) => this.#exportable(c, base)),
    };
  }

  /* A revert to a state older than the exported base cannot be replayed from the base, so
     it travels with the collections it changed, as they were after it. */
  #exportable(commit, base) {
    const q = commit.query;
    if (q?.className !== REVERT_CLASS || q.toSeq >= base || q.state) return commit;
    const before = this.at(commit.seq - 1).toDict().collections, after = this.at(commit.seq).toDict().collections;
    const state = {};
    for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (JSON.stringify(before[name]) !== JSON.stringify(after[name])) {
        state[name] = after[name] ? { data: after[name].data, serialNum: after[name].serialNum } : null;
      }
    }
    return { ...commit, query: { ...q, state: { collections: state, order: Object.keys(after) } } };
  }

  static async importHistory(history, options = {}) {
    if (!history || history.className !== HISTORY_CLASS || !history.base || !Array.isArray(history.commits)) {
      throw invalid(`importHistory needs a ${HISTORY_CLASS} object (from exportHistory)`);
    }
    const { base } = history;
    const db = await Database.fromDict(base.db ?? { collections: {} }, options);
    const engine = db.#engine;
    try {
      if (base.seq) engine.setBase(base.seq);
      db.#log = new CommitLog(options.clock ?? Date.now, base.seq ?? 0, base.time ? Date.parse(base.time) : null);
      db.#replayAll(history.commits);
      await db.#persistence?.snapshot();
    } catch (error) {
      await db.close();
      throw error;
    }
    return db;
  }

  /* Applies exported commits again, in one engine call: same queries, times, causes and
     seqs. The engine stops at the first commit that does not apply and says which. */
  #replayAll(commits) { replayInto(this.#engine, this.#log, commits); }


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
    if (r.maxAgeMs !== null) {
      const cutoff = this.#log.lastTime - r.maxAgeMs;
      for (const e of this.#log.entries) { if (e.time < cutoff) h = Math.max(h, e.seq); else break; }
    }
    this.#horizon = h = Math.min(h, seq);
    // Reads before the horizon are TOO_OLD at once; freeing memory waits for a batch.
    const step = Math.max(64, Math.floor((r.maxCommits ?? 0) / 8));
    if (h <= oldest || (!now && h - oldest < step)) return;
    engine.setHorizon(h);
    this.#log.dropThrough(h);
    this.#undo = this.#undo.filter((s) => s - 1 >= h);
    this.#redo = this.#redo.filter((s) => s >= h);
  }

  /* The oldest readable seq. */
  #oldest() { return Math.max(this.#engine.oldest(), this.#horizon); }

  /* { seq, oldestSeq, commits, versions, historyBytes }: commits is what the log keeps,
     versions counts current and past document versions, historyBytes the memory of the past. */
  stats() {
    const s = this.#live().stats();
    const oldestSeq = this.#oldest();
    return {
      seq: s.seq, oldestSeq, commits: this.#log.list({ from: oldestSeq + 1 }).length, versions: s.versions, historyBytes: s.historyBytes,
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
    if (error) throw error;   // the commits that could not be written are lost with the close
  }

}
