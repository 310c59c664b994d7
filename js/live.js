/*
 * live.js: live queries for JS: db.live(readQuery, onChange) and the subscriptions it returns.
 *
 * Owns: the LiveRegistry of one Database (its open live queries, told after every commit),
 * each LiveQuery's engine handle (c/live.c keeps the matching rows and the page), its
 * current snapshot, and its subscribers. A snapshot is { seq, result, rows }: result is the
 * QueryResult a fresh executeQuery would return now, rows the same documents with their row
 * ids ({ id, doc }). A delta is { added: [{ id, index, doc }], removed: [{ id, from }],
 * changed: [{ id, from, doc }], moved: [{ id, from, index }] }, from being a row's index in
 * the previous rows and index in the new ones; applyDelta(oldRows, delta) gives the new rows
 * (the order of the steps is in c/live.c's header).
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
import { queryParts, permissionsText } from './query-checks.js';

const LIVE_TYPES = new Set(['search', 'searchOne', 'getAll', 'count']);
const NOT_PERMITTED = 'Operation not permitted.';

function invalid(message) { return new HindsightError(ErrorCode.INVALID_ARGUMENT, message); }


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

/* Applies a delta to a list (rows, or the documents of a result): changed items are
   replaced at their old index (from), removed and moved ones taken out, then added and moved
   ones inserted at their new index in ascending order. Copies once, then moves memory only
   for the few rows the delta names. */
function applyTo(list, delta, make) {
  const { added, removed, changed, moved } = delta;
  const out = list.slice();
  for (const c of changed) out[c.from] = make(c.id, c.doc);
  const inserts = [];
  for (const m of moved) inserts.push({ index: m.index, item: out[m.from] });
  const gone = removed.length + moved.length;
  if (gone > 0) {
    const froms = [];
    for (const r of removed) froms.push(r.from);
    for (const m of moved) froms.push(m.from);
    if (gone <= 8) {
      froms.sort((x, y) => y - x);
      for (const f of froms) out.splice(f, 1);
    } else {
      const drop = new Uint8Array(out.length);
      for (const f of froms) drop[f] = 1;
      let w = 0;
      for (let i = 0; i < out.length; i++) if (!drop[i]) out[w++] = out[i];
      out.length = w;
    }
  }
  for (const a of added) inserts.push({ index: a.index, item: make(a.id, a.doc) });
  if (!inserts.length) return out;
  inserts.sort((x, y) => x.index - y.index);
  if (inserts.length <= 8) {
    for (const { index, item } of inserts) out.splice(index, 0, item);
    return out;
  }
  const merged = new Array(out.length + inserts.length);
  for (let i = 0, j = 0, k = 0; k < merged.length; k++) merged[k] = j < inserts.length && inserts[j].index === k ? inserts[j++].item : out[i++];
  return merged;
}

const asRow = (id, doc) => ({ id, doc });
const asDoc = (id, doc) => doc;

/* The new rows after a delta (see the header for the shapes). */
export function applyDelta(rows, delta) { return applyTo(rows, delta, asRow); }

/* The delta between two row lists (used after a full rebuild): rows kept in the longest
   run of unchanged relative order stay, the others are moved. */
export function diffRows(before, after) {
  if (before.some((r) => r.id === null) || after.some((r) => r.id === null)) {
    // Rows without ids (see #snapshotFrom) cannot be matched: everything is replaced.
    return { added: after.map((r, index) => ({ id: r.id, index, doc: r.doc })), removed: before.map((r, from) => ({ id: r.id, from })), changed: [], moved: [] };
  }
  const oldIndex = new Map(before.map((r, i) => [r.id, i]));
  const newIds = new Set(after.map((r) => r.id));
  const removed = [];
  before.forEach((r, from) => { if (!newIds.has(r.id)) removed.push({ id: r.id, from }); });
  const added = [], changed = [], common = [];
  after.forEach((r, index) => {
    const from = oldIndex.get(r.id);
    if (from === undefined) { added.push({ id: r.id, index, doc: r.doc }); return; }
    common.push({ id: r.id, index, from });
    if (JSON.stringify(before[from].doc) !== JSON.stringify(r.doc)) changed.push({ id: r.id, from, doc: r.doc });
  });
  // Longest increasing subsequence of old positions (patience sorting): those stay.
  const tails = [], prev = new Array(common.length);
  common.forEach((c, i) => {
    let lo = 0, hi = tails.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (common[tails[mid]].from < c.from) lo = mid + 1; else hi = mid; }
    prev[i] = lo ? tails[lo - 1] : -1;
    tails[lo] = i;
  });
  const stays = new Set();
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = prev[i]) stays.add(i);
  const moved = common.filter((_, i) => !stays.has(i)).map((c) => ({ id: c.id, from: c.from, index: c.index }));
  return { added, removed, changed, moved };
}

function emptyDelta(delta) {
  return !delta.added.length && !delta.removed.length && !delta.changed.length && !delta.moved.length;
}

function allowed(permissions, query) {
  const text = permissionsText(permissions);   // the shape checks executeQueryObject makes
  if (text === null) return true;
  const map = JSON.parse(text);
  return Object.hasOwn(map, query.target) && map[query.target].allows.includes(query.type);
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
    // React calls useSyncExternalStore(sub.subscribe, sub.getSnapshot) with the functions
    // detached from the object: they must not depend on how they are called.
    this.subscribe = this.subscribe.bind(this);
    this.getSnapshot = this.getSnapshot.bind(this);
    this.unsubscribe = this.unsubscribe.bind(this);
    this.#registry = registry;
    this.#onChange = onChange;
    this.#onError = onError;
    const { plain, text } = queryParts(query, 'live');
    if (plain.className === 'TransactionQuery' || Array.isArray(plain.queries)) throw invalid('live: a TransactionQuery cannot be live; use one read query');
    if (!LIVE_TYPES.has(plain.type)) throw invalid(`live: only reads (search, searchOne, getAll, count) can be live, not '${plain.type}'`);
    if (plain.asOf !== undefined && plain.asOf !== null) throw invalid('live: an asOf read never changes, so it cannot be live; use executeQuery');
    if (onChange !== undefined && onChange !== null && typeof onChange !== 'function') throw invalid('live: onChange must be a function');
    this.#query = plain;
    this.#queryText = text;
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
      const result = this.#engine.executeValue(this.#queryText, null);
      // c/live.c's check is conservative: a sort whose mixed kinds are never compared
      // succeeds here (c/sort.c's lazy rule). Its rows then carry no row id.
      const rows = result.isSuccess ? result.result.map((doc) => ({ id: null, doc })) : [];
      return { snapshot: Object.freeze({ seq: out.seq, result, rows }), delta: diffRows(oldRows, rows) };
    }
    if (out.full) {
      const rows = out.rows.map(([id, doc]) => ({ id, doc }));
      return { snapshot: Object.freeze({ seq: out.seq, result: queryResult(q, rows, out.hitCount, out.dbLength), rows }), delta: diffRows(oldRows, rows) };
    }
    if (out.removed === undefined) return null;
    const delta = {
      added: out.added.map(([id, index, doc]) => ({ id, index, doc })),
      removed: out.removed.map(([id, from]) => ({ id, from })),
      changed: out.changed.map(([id, from, doc]) => ({ id, from, doc })),
      moved: out.moved.map(([id, from, index]) => ({ id, from, index })),
    };
    const rows = applyTo(oldRows, delta, asRow);
    // The result's documents follow the same delta, so no pass over all rows is needed.
    const result = { ...this.#snapshot.result, result: applyTo(this.#snapshot.result.result, delta, asDoc), hitCount: out.hitCount, dbLength: out.dbLength };
    return { snapshot: Object.freeze({ seq: out.seq, result, rows }), delta };
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
    const out = this.#engine.liveUpdate(this.#handle);
    if (out === null) return;
    const next = this.#snapshotFrom(out, this.#snapshot.rows);
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

  /* Called once after every commit (js/database-core.js committed). */
  committed() {
    for (const lq of [...this.#queries]) {
      try {
        lq._update();
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  /* The database's engine was replaced (js/rebase.js), before the old one closes. */
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
