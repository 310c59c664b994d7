/*
 * database.js: the Database class, Hindsight's public JS API (ARCHITECTURE.md §5).
 *
 * Owns: opening (Database.open, fromDict, fromJSONText, importHistory) and closing, running
 * queries (executeQuery, executeQueryObject), the whole state (toDict, toJSONText), the
 * commit list, stats, and the public doors to the modules that do the rest, each given this
 * database's core (js/database-core.js: the engine, options, retention, feed, listeners,
 * store attachment): time travel (js/time-travel.js), retention and view pins
 * (js/retention.js), the change feed and listeners (js/change-feed.js), export/import
 * (js/history-export.js), the store (js/attachment.js; multi-tab rebase in js/rebase.js),
 * live queries (js/live.js), blame and bisect over the history (js/blame.js, js/bisect.js,
 * which use only the public methods). The core sits in a private field: nothing outside
 * these modules reaches the engine. Invariants: after close() every method throws HindsightError
 * CLOSED (close itself is idempotent); a listener that throws never breaks the write that
 * triggered it; live queries hear of each commit (core.committed), each rebase
 * (js/rebase.js) and the close.
 */
import { HindsightError, ErrorCode } from './errors.js';
import { loadEngine } from './wasm-loader.js';
import { Engine } from './engine.js';
import { LiveRegistry } from './live.js';
import { queryParts, permissionsText } from './query-checks.js';
import { maxMemoryMB, applyMemoryBudget } from './memory-budget.js';
import { DatabaseCore, invalid, MAX_SEQ } from './database-core.js';
import { Attachment, resolveStore } from './attachment.js';
import { exportHistory, readHistory, applyHistory } from './history-export.js';
import * as timeTravel from './time-travel.js';
import { blame } from './blame.js';
import { bisect } from './bisect.js';

/* DeltaTraceDB (protocol §11) notifies these on success even when no row changed (clear of
   an empty collection); every other notification comes from the change feed. */
const ALWAYS_NOTIFY = new Set(['clear', 'clearAdd', 'conformToTemplate', 'renameField']);
const READ_TYPES = new Set(['search', 'searchOne', 'getAll', 'count']);

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

export class Database {
  #core;

  /* Use Database.open(), fromDict() or importHistory(); the constructor is internal. */
  constructor(engine, options) {
    this.#core = new DatabaseCore(engine, options);
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
    const core = db.#core;
    applyMemoryBudget(core.engine, budgetMB);
    if (store) {
      try {
        await Attachment.attach(core, store);
      } catch (error) {
        core.engine.close();
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
      db.#core.engine.fromDictText(text);
      await db.#core.persistence?.snapshot({ replacesHistory: true });
    } catch (error) {
      await db.close().catch(() => {});
      throw error;
    }
    return db;
  }

  /* Rebuilds a database from exportHistory's object (versions 1 and 2; version 2 keeps the
     commit ids). Input that no real history holds is refused with INVALID_ARGUMENT. */
  static async importHistory(history, options = {}) {
    const checked = readHistory(history);
    const db = await Database.fromDict(checked.baseDict, options);
    try {
      await applyHistory(db.#core, checked);
    } catch (error) {
      await db.close();
      throw error;
    }
    return db;
  }

  /* ---- persistence ---- */

  /* Resolves when every commit so far is durable in the store (at once without a store).
     Rejects with HindsightError QUOTA when the store is full; the commits stay in memory
     and are written when space returns. */
  async flush() {
    const engine = this.#core.live();
    const persistence = this.#core.persistence;
    if (!persistence) return engine.seq();
    return persistence.flush(engine.seq());
  }

  /* The last commit known to be in the store (the latest commit without a store). */
  get durableSeq() {
    const engine = this.#core.live();
    const persistence = this.#core.persistence;
    return persistence ? persistence.durableSeq : engine.seq();
  }

  /* navigator.storage.estimate(), through the store when it knows better; null when unknown. */
  async storageEstimate() {
    this.#core.live();
    const store = this.#core.persistence?.store;
    if (store?.estimate) return store.estimate();
    return globalThis.navigator?.storage?.estimate ? globalThis.navigator.storage.estimate() : null;
  }

  /* Asks the browser not to evict this origin's storage (navigator.storage.persist()). */
  async requestPersistence() {
    this.#core.live();
    const store = this.#core.persistence?.store;
    if (store?.persist) return store.persist();
    return globalThis.navigator?.storage?.persist ? globalThis.navigator.storage.persist() : false;
  }

  /* ---- queries ---- */

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
    const core = this.#core;
    const engine = core.live();
    let { plain, text } = queryParts(query, what);
    const isRead = READ_TYPES.has(plain?.type) && !Array.isArray(plain?.queries);
    if (plain?.asOf?.time !== undefined) {
      // The engine has no clock: turn { time } into the seq it means here.
      let seq;
      try {
        seq = timeTravel.seqOf(core, plain.asOf.time);
      } catch (error) {
        if (!(error instanceof HindsightError)) throw error;
        return failedResult(plain, `execute_query ArgumentError: asOf: ${error.message}`);
      }
      text = JSON.stringify({ ...plain, asOf: { seq } });
    }
    const asOfSeq = plain?.asOf?.seq;
    if (typeof asOfSeq === 'number' && asOfSeq < core.oldest()) {
      return failedResult(plain, `execute_query ArgumentError: asOf seq ${asOfSeq} is older than the kept history (oldest seq ${core.oldest()})`);
    }
    const perms = permissionsText(permissions);
    // Asked for once the query's text is written (see Engine.execute): the clock is the caller's.
    const metaText = isRead ? null : () => core.meta(causeOf(plain));
    // A read never commits (c/db.c publishes only for writes): no seq to compare.
    if (isRead) return engine.executeValue(text, perms, null);
    const before = engine.seq();
    const result = engine.executeValue(text, perms, metaText);
    const seq = engine.seq();
    if (seq !== before) {
      if (result.type === 'removeCollection') core.listeners.forget(result.target);
      core.committed(seq, ALWAYS_NOTIFY.has(result.type) ? result.target : null);
    }
    return result;
  }

  /* ---- the change feed, listeners and live queries ---- */

  /* The change feed (js/change-feed.js): fn({ seq, id, changes }) after every commit.
     Returns the function that unsubscribes. Used by listeners' peers such as live queries. */
  subscribeChanges(fn) {
    this.#core.live();
    if (typeof fn !== 'function') throw invalid('subscribeChanges needs a function');
    return this.#core.feed.subscribe(fn);
  }

  /* The commits after since (up to until, default the latest), each as
     { seq, id, changes: { [collection]: { added, removed, changed } } } with row ids. */
  changes({ since = this.#core.oldest(), until } = {}) {
    const core = this.#core;
    const engine = core.live();
    const last = until === undefined ? engine.seq() : until;
    for (const [name, v] of [['since', since], ['until', last]]) {
      if (!Number.isInteger(v) || v < 0 || v > MAX_SEQ) throw invalid(`changes: ${name} must be a seq, got ${v}`);
    }
    if (since < core.oldest()) throw new HindsightError(ErrorCode.TOO_OLD, `changes: seq ${since} is older than the kept history (oldest seq ${core.oldest()})`);
    return JSON.parse(engine.changesText(since, Math.min(last, engine.seq())));
  }

  /* A live query: onChange(snapshot, delta) now and after every commit that changes the
     result of the read query. options.collectionPermissions as executeQueryObject's.
     Returns the subscription (js/live.js): getSnapshot, subscribe, unsubscribe. */
  live(query, onChange, options) {
    const core = this.#core;
    const engine = core.live();
    core.liveQueries ??= new LiveRegistry(engine, (error) => (core.options.onListenerError ?? ((e) => console.error('hindsight live query failed:', e)))(error, 'live'));
    return core.liveQueries.open(query, onChange, options);
  }

  /* Declares an index on field (a dot path) of target, which need not exist yet: equality and
     range searches use it from their first run. Kept in the engine's snapshot, so it is
     written at once and survives a reopen. */
  async createIndex(target, field) {
    if (typeof target !== 'string' || typeof field !== 'string') throw new HindsightError(ErrorCode.INVALID_ARGUMENT, 'createIndex(target, field) needs two strings');
    const result = this.#core.live().createIndex(target, field);
    await this.#core.persistence?.snapshot();
    return result;
  }

  /* The plan a read query would run with now, without running it: { plan, field, asOf, sort, k? }. */
  explain(query) {
    return this.#core.live().explain(queryParts(query, 'explain').text);
  }

  /* Calls callback after each successful write to target. With a name, a later
     addListener with the same name replaces it. */
  addListener(target, callback, name) {
    this.#core.live();
    if (typeof target !== 'string') throw invalid('addListener: target must be a string');
    if (typeof callback !== 'function') throw invalid('addListener: callback must be a function');
    this.#core.listeners.add(target, callback, name);
  }

  removeListener(target, callback, name) {
    this.#core.live();
    this.#core.listeners.remove(target, callback, name);
  }

  /* ---- the whole state ---- */

  /* The whole database as a DeltaTraceDatabase dict. */
  toDict() {
    return JSON.parse(this.#core.live().toDictText());
  }

  /* The same, as JSON text: cheaper when the caller is about to store or send it. */
  toJSONText() {
    return this.#core.live().toDictText();
  }

  /* ---- time travel (js/time-travel.js) ---- */

  /* The latest commit: 0 for a new database, +1 for each successful write or transaction. */
  get seq() { return this.#core.live().seq(); }

  /* The commits, oldest first: [{ seq, id, time (ISO 8601 UTC), cause, query }]. With
     collectionPermissions, only the commits whose collections the caller may all read. */
  commits(options = {}) { return timeTravel.commits(this.#core, options); }

  /* A read-only view of the state at point (a seq, a Date or an ISO 8601 string). Costs
     nothing until it is read; retention keeps its seq until view.release(). */
  at(point) {
    return timeTravel.at(this.#core, point, (query, permissions) => this.#execute(query, permissions, permissions === undefined ? 'executeQuery' : 'executeQueryObject'));
  }

  /* Every version of the documents of target that match queryNode in any of their versions,
     oldest first: [{ seq, time, op: 'I' | 'U' | 'D', doc, cause }]. */
  history(target, queryNode, options = {}) { return timeTravel.history(this.#core, target, queryNode, options); }

  /* What changed between two points: { [collection]: { added, removed, changed: [{ before, after }] } }. */
  diff(fromPoint, toPoint, options = {}) { return timeTravel.diff(this.#core, fromPoint, toPoint, options); }

  /* Who last set each field of one row (by row id), as it was at `at` (default: now), and
     the row's kept versions: { rowId, deleted, deletedBy, doc, fields: [{ path, value, seq,
     op, time, cause }], history } (js/blame.js). */
  blame(collection, options) { return blame(this, collection, options); }

  /* The first commit where condition(result of query) became true, between from and to, in
     O(log n) as-of reads: { seq, commit, steps, reads } or { seq: null, reason, ... } (js/bisect.js). */
  bisect(query, options) { return bisect(this, query, options); }

  /* A new commit whose state equals the state at point, serial counters included. */
  revertTo(point, cause, options = {}) { return timeTravel.revertTo(this.#core, point, cause, options); }

  /* Takes back the latest commit not yet undone, as a new commit. Returns its seq, or null. */
  undo(cause, options = {}) { return timeTravel.undoRedo(this.#core, 'undo', cause, options); }

  /* Reapplies the latest undone commit, as a new commit. Returns its seq, or null. */
  redo(cause, options = {}) { return timeTravel.undoRedo(this.#core, 'redo', cause, options); }

  /* A new, independent database whose state and history are those up to point. */
  fork(point, options = {}) {
    return new Database(timeTravel.forkEngine(this.#core, point, options), this.#core.options);
  }

  /* The history as one JSON-able object: the state at the oldest kept commit plus every
     commit after it (js/history-export.js). Database.importHistory rebuilds it. */
  exportHistory() { return exportHistory(this.#core); }

  /* Bounds the history: keep at most maxCommits commits and none older than maxAgeMs.
     Older versions are freed, except those a view still reads (js/retention.js); reading
     before the horizon throws TOO_OLD. */
  setRetention(policy = {}) {
    this.#core.live();
    this.#core.retention.setPolicy(policy);
  }

  /* { seq, oldestSeq, commits, versions, historyBytes, durableSeq, storageWarnings }: commits
     is what the log keeps, versions counts current and past document versions, historyBytes
     the memory of the past. */
  stats() {
    const core = this.#core;
    const s = core.live().stats();
    const oldestSeq = core.oldest();
    return {
      seq: s.seq, oldestSeq, commits: s.seq - oldestSeq, versions: s.versions, historyBytes: s.historyBytes,
      durableSeq: core.persistence ? core.persistence.durableSeq : s.seq, storageWarnings: [...core.storageWarnings],
    };
  }

  /* Bytes the engine has allocated (live heap), and the size of wasm memory; with
     { parts: true } also where the bytes go (payload by part, O(rows + commits)). */
  memoryUsage({ parts = false } = {}) {
    const engine = this.#core.live();
    return { heapUsed: engine.heapUsed(), wasmMemory: engine.memoryBytes(), ...(parts ? { parts: engine.memoryParts() } : {}) };
  }

  get closed() { return !this.#core.engine.handle; }

  async close() {
    const core = this.#core;
    if (!core.engine.handle) return;
    let error = null;
    if (core.attachment) {
      error = await core.attachment.close(core.engine.seq());
      core.attachment = null;
    }
    core.liveQueries?.closeAll();
    core.engine.close();
    core.listeners.clear();
    core.feed.clear();
    if (error) throw error;   // the commits that could not be written are lost with the close
  }
}
