/*
 * database.js: the Database class, Hindsight's public JS API (ARCHITECTURE.md §5).
 *
 * Owns: one engine handle, the listeners, and the open/closed state. Queries go to the C
 * engine as one JSON text and come back as one; listeners fire here, after the engine
 * says a write succeeded, following DeltaTraceDB's rules (§11). Invariants: after close()
 * every method throws HindsightError CLOSED (close itself is idempotent); a listener that
 * throws never breaks the write that triggered it.
 */
import { HindsightError, ErrorCode } from './errors.js';
import { loadEngine } from './wasm-loader.js';
import { Engine } from './engine.js';

/* Write types whose listeners fire on success whatever the count, and those that fire only
   when something changed (protocol §11). */
const ALWAYS_NOTIFY = new Set(['add', 'clearAdd', 'clear', 'conformToTemplate', 'renameField']);
const NOTIFY_IF_CHANGED = new Set(['update', 'updateOne', 'delete', 'deleteOne']);

function invalid(message) { return new HindsightError(ErrorCode.INVALID_ARGUMENT, message); }

/* Accepts a dict, or a builder object (anything with toJSON/build/toDict), and returns JSON text. */
function queryText(query, what) {
  if (query === null || typeof query !== 'object' || Array.isArray(query)) {
    throw invalid(`${what} must be a Query or TransactionQuery object, got ${query === null ? 'null' : Array.isArray(query) ? 'an array' : typeof query}`);
  }
  if (typeof query.toJSON !== 'function' && typeof query.build === 'function') query = query.build();
  try {
    return JSON.stringify(query);
  } catch (error) {
    throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `${what} cannot be written as JSON: ${error.message}`, { cause: error });
  }
}

export class Database {
  #engine;
  #listeners = new Map();   // target -> { unnamed: Set<fn>, named: Map<name, fn> }
  #options;

  /* Use Database.open() or Database.fromDict(); the constructor is internal. */
  constructor(engine, options) {
    this.#engine = engine;
    this.#options = options;
  }

  /* Opens an empty in-memory database. options.wasm: a WebAssembly.Module, bytes or a URL
     of hindsight.wasm, for runtimes (workerd) that cannot find it by themselves. */
  static async open(options = {}) {
    if (options === null || typeof options !== 'object') throw invalid('options must be an object');
    const exports = await loadEngine(options.wasm);
    return new Database(new Engine(exports), options);
  }

  /* Rebuilds a database from a DeltaTraceDatabase dict (as written by toDict()). */
  static async fromDict(dict, options = {}) {
    if (dict === null || typeof dict !== 'object') throw invalid('fromDict needs a DeltaTraceDatabase dict');
    return Database.fromJSONText(JSON.stringify(dict), options);
  }

  /* Rebuilds a database from the JSON text of a DeltaTraceDatabase dict, skipping one
     JSON.parse/JSON.stringify round trip in JS. */
  static async fromJSONText(text, options = {}) {
    if (typeof text !== 'string') throw invalid('fromJSONText needs a string');
    const db = await Database.open(options);
    try {
      db.#engine.fromDictText(text);
    } catch (error) {
      await db.close();
      throw error;
    }
    return db;
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
    const text = queryText(query, what);
    let permissionsText = null;
    if (permissions !== undefined && permissions !== null) {
      if (typeof permissions !== 'object' || Array.isArray(permissions)) throw invalid('collectionPermissions must be an object of collection names to Permission');
      permissionsText = JSON.stringify(permissions);
    }
    const result = JSON.parse(engine.execute(text, permissionsText));
    if (result.isSuccess) this.#notify(result);
    return result;
  }

  #notify(result) {
    if (this.#listeners.size === 0) return;
    if (result.className === 'TransactionQueryResult') {
      const changed = new Set();
      for (const r of result.results) if (this.#changes(r)) changed.add(r.target);
      for (const target of changed) this.#fire(target);
      return;
    }
    if (result.type === 'removeCollection') this.#listeners.delete(result.target);
    else if (this.#changes(result)) this.#fire(result.target);
  }

  #changes(r) {
    return ALWAYS_NOTIFY.has(r.type) || (NOTIFY_IF_CHANGED.has(r.type) && r.updateCount > 0);
  }

  #fire(target) {
    const entry = this.#listeners.get(target);
    if (!entry) return;
    for (const fn of [...entry.unnamed, ...entry.named.values()]) {
      try {
        fn();
      } catch (error) {
        // A listener's failure must not undo or hide the write that already happened.
        (this.#options.onListenerError ?? ((e) => console.error('hindsight listener failed:', e)))(error, target);
      }
    }
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

  /* Bytes the engine has allocated (live heap), and the size of wasm memory. */
  memoryUsage() {
    const engine = this.#live();
    return { heapUsed: engine.heapUsed(), wasmMemory: engine.memoryBytes() };
  }

  get closed() { return !this.#engine.handle; }

  async close() {
    this.#engine.close();
    this.#listeners.clear();
  }
}
