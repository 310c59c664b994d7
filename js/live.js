/*
 * live.js: live queries for JS: db.live(readQuery, onChange) and the subscriptions it returns.
 *
 * Owns: the LiveRegistry of one Database (its open live queries, told after every commit),
 * each LiveQuery's engine handle (c/live.c keeps the matching rows and the page), its
 * current snapshot, and its subscribers. A snapshot is { seq, result, rows }: result is the
 * QueryResult a fresh executeQuery would return now, rows the same documents with their row
 * ids ({ id, doc }). A delta is { added: [{ id, index, doc }], removed: [{ id }],
 * changed: [{ id, doc }], moved: [{ id, index }] } and applyDelta(oldRows, delta) gives the
 * new rows (the order is in c/live.c's header).
 *
 * Must stay true:
 *   - a snapshot object is replaced only when the result changed, so getSnapshot() is stable
 *     between changes (React's useSyncExternalStore) and subscribe(fn) calls fn at once and
 *     returns its unsubscribe (the Svelte store contract);
 *   - a subscriber or onChange that throws never breaks the commit or the other subscribers;
 *   - after unsubscribe() or db.close() the engine handle is freed and nothing is called again;
 *   - where c/live.c cannot keep the result (the query fails now: mixed sort kinds, a regex
 *     over budget) the query is re-run here for its exact failure result.
 * asOf reads never change, so they are refused (executeQuery answers them). A query that the
 * collectionPermissions do not allow gets the "Operation not permitted." result, never updated.
 */
import { HindsightError, ErrorCode } from './errors.js';

const LIVE_TYPES = new Set(['search', 'searchOne', 'getAll', 'count']);
const NOT_PERMITTED = 'Operation not permitted.';

function invalid(message) { return new HindsightError(ErrorCode.INVALID_ARGUMENT, message); }

function plainQuery(query) {
  if (query && typeof query.toJSON === 'function') return query.toJSON();
  if (query && typeof query.build === 'function') return query.build();
  return query;
}

function queryResult(query, rows, hitCount, dbLength) {
  return {
    className: 'QueryResult', version: '6', isSuccess: true, target: query.target, type: query.type,
    result: rows.map((r) => r.doc), dbLength, updateCount: 0, hitCount, errorMessage: null,
  };
}

function failedResult(query, errorMessage) {
  return {
    className: 'QueryResult', version: '6', isSuccess: false, target: query.target, type: query.type,
    result: [], dbLength: -1, updateCount: 0, hitCount: 0, errorMessage,
  };
}

/* The new rows: drop removed and moved, replace changed documents, insert added and moved
   rows at their indexes in ascending index order. O(rows + delta), a new array. */
export function applyDelta(rows, delta) {
  const { added, removed, changed, moved } = delta;
  let drop = null;
  if (removed.length || moved.length) {
    drop = new Set();
    for (const r of removed) drop.add(r.id);
    for (const m of moved) drop.add(m.id);
  }
  let newDoc = null;
  if (changed.length) {
    newDoc = new Map();
    for (const c of changed) newDoc.set(c.id, c.doc);
  }
  const movedRows = moved.length ? new Map() : null;
  const out = [];
  for (let i = 0; i < rows.length; i++) {
    let r = rows[i];
    if (newDoc !== null && newDoc.has(r.id)) r = { id: r.id, doc: newDoc.get(r.id) };
    if (drop !== null && drop.has(r.id)) { if (movedRows !== null) movedRows.set(r.id, r); continue; }
    out.push(r);
  }
  if (!added.length && !moved.length) return out;
  const inserts = [];
  for (const a of added) inserts.push({ index: a.index, row: { id: a.id, doc: a.doc } });
  for (const m of moved) inserts.push({ index: m.index, row: movedRows.get(m.id) });
  inserts.sort((x, y) => x.index - y.index);
  if (inserts.length === 1) { out.splice(inserts[0].index, 0, inserts[0].row); return out; }
  // Several inserts: one merge pass instead of repeated splices.
  const merged = new Array(out.length + inserts.length);
  for (let i = 0, j = 0, k = 0; k < merged.length; k++) {
    if (j < inserts.length && inserts[j].index === k) merged[k] = inserts[j++].row;
    else merged[k] = out[i++];
  }
  return merged;
}

/* The delta between two row lists (used after a full rebuild): rows kept in the longest
   run of unchanged relative order stay, the others are moved. */
export function diffRows(before, after) {
  const oldIndex = new Map(before.map((r, i) => [r.id, i]));
  const newIds = new Set(after.map((r) => r.id));
  const removed = before.filter((r) => !newIds.has(r.id)).map((r) => ({ id: r.id }));
  const added = [], changed = [], common = [];
  after.forEach((r, index) => {
    if (!oldIndex.has(r.id)) { added.push({ id: r.id, index, doc: r.doc }); return; }
    common.push({ index, row: r, old: oldIndex.get(r.id) });
    if (JSON.stringify(before[oldIndex.get(r.id)].doc) !== JSON.stringify(r.doc)) changed.push({ id: r.id, doc: r.doc });
  });
  // Longest increasing subsequence of old positions (patience sorting): those stay.
  const tails = [], prev = new Array(common.length);
  common.forEach((c, i) => {
    let lo = 0, hi = tails.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (common[tails[mid]].old < c.old) lo = mid + 1; else hi = mid; }
    prev[i] = lo ? tails[lo - 1] : -1;
    tails[lo] = i;
  });
  const stays = new Set();
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = prev[i]) stays.add(i);
  const moved = common.filter((_, i) => !stays.has(i)).map((c) => ({ id: c.row.id, index: c.index }));
  return { added, removed, changed, moved };
}

function emptyDelta(delta) {
  return !delta.added.length && !delta.removed.length && !delta.changed.length && !delta.moved.length;
}

function allowed(permissions, query) {
  if (permissions === undefined || permissions === null) return true;
  if (typeof permissions !== 'object' || Array.isArray(permissions)) throw invalid('collectionPermissions must be an object of collection names to Permission');
  const plain = JSON.parse(JSON.stringify(permissions));
  const allows = plain?.[query.target]?.allows;
  return Array.isArray(allows) && allows.includes(query.type);
}

export class LiveQuery {
  #registry;
  #engine = null;
  #handle = 0;
  #query;
  #queryText;
  #snapshot;
  #subscribers = new Set();
  #onChange;
  #onError;
  #ended = false;

  constructor(registry, engine, query, onChange, options, onError) {
    this.#registry = registry;
    this.#onChange = onChange;
    this.#onError = onError;
    const plain = plainQuery(query);
    if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) throw invalid('live: the query must be a Query object');
    if (plain.className === 'TransactionQuery' || Array.isArray(plain.queries)) throw invalid('live: a TransactionQuery cannot be live; use one read query');
    if (!LIVE_TYPES.has(plain.type)) throw invalid(`live: only reads (search, searchOne, getAll, count) can be live, not '${plain.type}'`);
    if (plain.asOf !== undefined && plain.asOf !== null) throw invalid('live: an asOf read never changes, so it cannot be live; use executeQuery');
    if (onChange !== undefined && onChange !== null && typeof onChange !== 'function') throw invalid('live: onChange must be a function');
    this.#query = plain;
    try {
      this.#queryText = JSON.stringify(plain);
    } catch (error) {
      throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `live: the query cannot be written as JSON: ${error.message}`, { cause: error });
    }
    this.#open(engine);   // throws for a query the engine refuses
    if (!allowed(options?.collectionPermissions, plain)) {
      this.#closeHandle();
      this.#snapshot = Object.freeze({ seq: engine.seq(), result: failedResult(plain, NOT_PERMITTED), rows: [] });
      // no handle: never updated
    } else {
      this.#snapshot = this.#snapshotFrom(engine.liveOutput(), []).snapshot;
    }
    this.#emit(diffRows([], this.#snapshot.rows), [this.#onChange]);
  }

  #open(engine) {
    this.#engine = engine;
    this.#handle = engine.liveOpen(this.#queryText);
  }

  #closeHandle() {
    if (this.#handle) this.#engine.liveClose(this.#handle);
    this.#handle = 0;
  }

  /* The snapshot for an engine output, and the delta from oldRows; null when unchanged. */
  #snapshotFrom(out, oldRows) {
    const q = this.#query;
    if (out.failed) {
      const result = JSON.parse(this.#engine.execute(this.#queryText, null));
      return { snapshot: Object.freeze({ seq: out.seq, result, rows: [] }), delta: diffRows(oldRows, []) };
    }
    if (out.full) {
      const rows = out.rows.map(([id, doc]) => ({ id, doc }));
      return { snapshot: Object.freeze({ seq: out.seq, result: queryResult(q, rows, out.hitCount, out.dbLength), rows }), delta: diffRows(oldRows, rows) };
    }
    if (out.removed === undefined) return null;
    const delta = {
      added: out.added.map(([id, index, doc]) => ({ id, index, doc })),
      removed: out.removed.map((id) => ({ id })),
      changed: out.changed.map(([id, doc]) => ({ id, doc })),
      moved: out.moved.map(([id, index]) => ({ id, index })),
    };
    const rows = applyDelta(oldRows, delta);
    return { snapshot: Object.freeze({ seq: out.seq, result: queryResult(q, rows, out.hitCount, out.dbLength), rows }), delta };
  }

  #emit(delta, targets) {
    for (const fn of targets) {
      if (!fn) continue;
      try {
        fn(this.#snapshot, delta);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  /* After a commit (registry): bring the result up to date and tell the subscribers. */
  _update() {
    if (!this.#handle || !this.#engine.handle) return;   // ended, or its engine is gone
    const next = this.#snapshotFrom(this.#engine.liveUpdate(this.#handle), this.#snapshot.rows);
    if (!next || this.#unchanged(next)) return;
    this.#snapshot = next.snapshot;
    this.#emit(next.delta, [this.#onChange, ...this.#subscribers]);
  }

  /* The engine was replaced (multi-tab rebase): open again on the new one and report the
     difference as one change. The old handle is freed while the old engine still lives. */
  _reopen(engine) {
    if (!this.#handle) return;
    this.#closeHandle();
    this.#open(engine);
    const next = this.#snapshotFrom(engine.liveOutput(), this.#snapshot.rows);
    if (this.#unchanged(next)) return;
    this.#snapshot = next.snapshot;
    this.#emit(next.delta, [this.#onChange, ...this.#subscribers]);
  }

  /* A delta from the engine always changes something; a full or failed output may not. */
  #unchanged(next) {
    if (!emptyDelta(next.delta)) return false;
    const a = next.snapshot.result, b = this.#snapshot.result;
    return a.isSuccess === b.isSuccess && a.hitCount === b.hitCount && a.dbLength === b.dbLength && a.errorMessage === b.errorMessage;
  }

  /* { seq, result, rows }: the same object until the result changes. */
  getSnapshot() { return this.#snapshot; }

  /* Calls fn(snapshot) now and fn(snapshot, delta) after each change; returns unsubscribe. */
  subscribe(fn) {
    if (typeof fn !== 'function') throw invalid('live: subscribe needs a function');
    const entry = (snapshot, delta) => fn(snapshot, delta);
    this.#subscribers.add(entry);
    try {
      fn(this.#snapshot);
    } catch (error) {
      this.#onError(error);
    }
    return () => { this.#subscribers.delete(entry); };
  }

  get closed() { return this.#ended; }

  /* Ends the live query: frees its engine state; no callback runs again. */
  unsubscribe() {
    this.#ended = true;
    this.#closeHandle();
    this.#registry?.forget(this);
    this.#registry = null;
    this.#subscribers.clear();
    this.#onChange = null;
  }
}

export class LiveRegistry {
  #engine;
  #queries = new Set();
  #onError;

  constructor(engine, onError) {
    this.#engine = engine;
    this.#onError = onError;
  }

  open(query, onChange, options) {
    const lq = new LiveQuery(this, this.#engine, query, onChange, options, this.#onError);
    this.#queries.add(lq);
    return lq;
  }

  forget(lq) { this.#queries.delete(lq); }

  /* Called once after every commit (Database.#execute, #revert). */
  committed() {
    for (const lq of [...this.#queries]) {
      try {
        lq._update();
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  /* The database's engine was replaced (Database.#rebase), before the old one closes. */
  rebuilt(engine) {
    this.#engine = engine;
    for (const lq of [...this.#queries]) {
      try {
        lq._reopen(engine);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  /* db.close(): every live query ends. */
  closeAll() {
    for (const lq of [...this.#queries]) lq.unsubscribe();
  }
}
