/*
 * database-core.js: the internals of one Database, shared with the modules that implement
 * its API (time-travel.js, history-export.js, attachment.js, rebase.js).
 *
 * Owns: the engine handle (replaced only by a multi-tab rebase), the options, the retention
 * (js/retention.js), the change feed and the collection listeners (js/change-feed.js), the
 * store attachment once attached, the storage warnings, the live queries (js/live.js), and
 * the one path every commit takes afterwards (committed()). The engine owns every commit
 * (c/commits.c); nothing here keeps a copy. The Database holds its core in a private field,
 * so only these modules reach it; no module here imports web/ or node/.
 * Invariants: meta() fails, if it fails, before the engine is called, so a commit and its
 * record are made together or not at all; after every commit, committed() hands the store
 * the engine's record, tells live queries, moves retention, then publishes the commit to
 * the feed and to the listeners of every changed collection, in that order.
 */
import { HindsightError, ErrorCode } from './errors.js';
import { ChangeFeed, CollectionListeners } from './change-feed.js';
import { Retention } from './retention.js';

/* The query recorded for a revert, undo or redo commit: not a DeltaTraceDB query, so a
   DeltaTraceDB reader of the log can tell it apart by className. */
export const REVERT_CLASS = 'HindsightRevert';
export const MAX_SEQ = 0xffffffff;
export const DATE_MAX_MS = 8.64e15;

export function invalid(message) { return new HindsightError(ErrorCode.INVALID_ARGUMENT, message); }

/* A random origin for the ids of this instance's commits (the engine reads no randomness). */
export function newOrigin() {
  const bytes = new Uint8Array(9);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(36).padStart(2, '0')).join('');
}

/* A plain dict for a query given as a dict or a builder object. */
export function plainQuery(query) {
  if (query && typeof query.toJSON === 'function') return query.toJSON();
  if (query && typeof query.build === 'function') return query.build();
  return query;
}

/* The engine's log record of commit seq: {"seq","id","time","cause","query"}. */
export function recordText(engine, seq) {
  return engine.commitsText(seq, seq, 1).slice(1, -1);
}

export class DatabaseCore {
  constructor(engine, options) {
    this.engine = engine;
    this.options = options;
    // options.onListenerError is read when a listener fails, as the options stand then.
    const onListenerError = (error, target) => (options.onListenerError ?? ((e) => console.error('hindsight listener failed:', e)))(error, target);
    this.feed = new ChangeFeed((error) => onListenerError(error, null));
    this.listeners = new CollectionListeners(onListenerError);
    this.retention = new Retention(() => this.engine);
    this.attachment = null;     // js/attachment.js, set when the database has a store
    this.storageWarnings = [];
    this.liveQueries = null;    // js/live.js, created by the first live()
    engine.setOrigin(newOrigin());
  }

  /* The engine, or CLOSED once the database is closed. */
  live() {
    if (!this.engine.handle) throw new HindsightError(ErrorCode.CLOSED, 'the database is closed');
    return this.engine;
  }

  get persistence() { return this.attachment?.persistence ?? null; }

  /* The oldest readable seq. */
  oldest() { return this.retention.oldest(); }

  warn(message) {
    this.storageWarnings.push(message);
    this.options.onWarning?.(message);
  }

  /* The metadata text of the commit a call may make: the clock's time and the cause as JSON.
     Everything that can fail here fails before the engine is called. */
  meta(cause, extra = '') {
    const clock = this.options.clock ?? Date.now;
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

  /* After every commit: the store gets the engine's record, retention moves, and the feed and
     the listeners of each changed collection hear of it. */
  committed(seq, alsoNotify = null) {
    const engine = this.engine;
    this.persistence?.committed(seq, recordText(engine, seq));
    // What changed is read before retention may free seq - 1.
    const info = this.feed.size === 0 && this.listeners.size === 0 ? null : JSON.parse(engine.changesText(seq - 1, seq))[0];
    this.liveQueries?.committed();   // live queries hook: before retention trims the change log
    this.retention.apply(false);
    if (info === null) return;
    this.feed.publish(info);
    const targets = Object.keys(info.changes);
    if (alsoNotify !== null && !targets.includes(alsoNotify)) targets.push(alsoNotify);
    for (const target of targets) this.listeners.fire(target, seq);
  }
}
