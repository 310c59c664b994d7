/*
 * time-travel.js: the time-travel API of a Database (ARCHITECTURE.md §6): points in history,
 * the commit list, views (at), history, diff, revertTo, undo/redo and fork.
 *
 * Owns no state: each function takes the database's core (js/database-core.js). The engine
 * keeps the versions and the commits, retention (js/retention.js) says how far back they
 * can be read, and collectionPermissions reach the engine through js/time-travel-access.js.
 * Invariants: a point before core.oldest() is TOO_OLD and one after the latest commit is
 * INVALID_ARGUMENT, checked before anything is read or written; a view pins its seq until
 * released; reverts, undo and redo are commits like any other (core.committed).
 */
import { HindsightError, ErrorCode } from './errors.js';
import { DatabaseView } from './view.js';
import { permissionsText, checkSeqBound } from './query-checks.js';
import { invalid, plainQuery, MAX_SEQ } from './database-core.js';
import * as access from './time-travel-access.js';

/* A seq from a point: a seq number, a Date, or an ISO 8601 string (the last commit at or
   before that time). Throws TOO_OLD before the kept history. */
export function seqOf(core, point) {
  const engine = core.live();
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
  if (seq < core.oldest()) throw new HindsightError(ErrorCode.TOO_OLD, `seq ${seq} is older than the kept history (oldest seq ${core.oldest()})`);
  return seq;
}

/* The engine's commit list read COMMITS_PER_READ at a time, times as ISO strings: one text of
   100,000 commits grew the wasm memory by ~100 MB for its output (most of exportHistory's
   engine time, in page faults) and was one huge string to decode and parse. */
const COMMITS_PER_READ = 4096;

/* A commit time (ms) as an ISO 8601 string, as new Date(ms).toISOString() writes it; times
   mostly share their second with the one before, so only the milliseconds are written then
   (a Date per commit was a tenth of exportHistory). */
let isoSecond = NaN, isoPrefix = '';
function isoTime(ms) {
  if (!Number.isInteger(ms)) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000), rest = ms - second * 1000;
  if (second !== isoSecond) {
    const full = new Date(ms).toISOString();
    if (full.length !== 24) return full;   // a year outside 0000..9999
    isoSecond = second;
    isoPrefix = full.slice(0, 20);
  }
  return isoPrefix + (rest < 10 ? '00' : rest < 100 ? '0' : '') + rest + 'Z';
}
function listCommits(engine, from, to, limit) {
  const list = [];
  while (list.length < limit && from <= to) {
    const part = JSON.parse(engine.commitsText(from, to, Math.min(COMMITS_PER_READ, limit - list.length)));
    if (!part.length) break;
    for (const c of part) {
      c.time = isoTime(c.time);
      list.push(c);
    }
    from = part[part.length - 1].seq + 1;
  }
  return list;
}

/* The commits, oldest first: [{ seq, id, time (ISO 8601 UTC), cause, query }]. With
   collectionPermissions, only the commits whose collections the caller may all read. */
export function commits(core, { from, to, limit, collectionPermissions } = {}) {
  const engine = core.live();
  const perms = permissionsText(collectionPermissions);
  const bound = (v, dflt) => (v === undefined || v === null ? dflt : Number.isFinite(v) ? Math.min(MAX_SEQ, Math.max(0, Math.floor(v))) : v === Infinity ? MAX_SEQ : 0);
  const list = listCommits(engine, bound(from, 0), bound(to, MAX_SEQ), perms === null ? bound(limit, MAX_SEQ) : MAX_SEQ);
  if (perms === null) return list;
  const visible = access.visibleCommits(engine, list, perms);
  return limit === undefined || limit === null ? visible : visible.slice(0, bound(limit, MAX_SEQ));
}

/* A read-only view of the state at point, pinned until released. read(query, permissions)
   runs a query as the database's executeQuery / executeQueryObject would. */
export function at(core, point, read) {
  const seq = seqOf(core, point);
  return new DatabaseView(
    seq,
    (query, s, permissions) => read({ ...query, asOf: { seq: s } }, permissions),
    (s, permissions) => JSON.parse(access.toDictTextAt(core.live(), s, permissionsText(permissions))),
    (view, s) => core.retention.pin(view, s),
    (s, name) => JSON.parse(core.live().rowsAtText(s, name)),
  );
}

/* Every version of the documents of target that match queryNode in any of their versions,
   oldest first: [{ seq, time, op: 'I' | 'U' | 'D', doc, cause }]. */
export function history(core, target, queryNode, options = {}) {
  const engine = core.live();
  if (typeof target !== 'string') throw invalid('history: target must be a string');
  if (options === null || typeof options !== 'object') throw invalid('history: options must be an object { from, to, collectionPermissions }');
  const from = checkSeqBound(options.from, 'history: from') ?? 0, to = checkSeqBound(options.to, 'history: to');
  const perms = permissionsText(options.collectionPermissions);
  const nodeText = queryNode === undefined || queryNode === null ? null : JSON.stringify(queryNode);
  const last = to === undefined ? engine.seq() : to;
  const entries = JSON.parse(access.historyText(engine, target, nodeText, Math.max(core.oldest(), from), last, perms));
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
export function diff(core, fromPoint, toPoint, { collectionPermissions } = {}) {
  const a = seqOf(core, fromPoint), b = seqOf(core, toPoint);
  return JSON.parse(access.diffText(core.live(), a, b, permissionsText(collectionPermissions)));
}

/* A new commit whose state equals the state at point, serial counters included. */
export function revertTo(core, point, cause, { collectionPermissions } = {}) {
  const toSeq = seqOf(core, point);
  const perms = permissionsText(collectionPermissions);
  const meta = core.meta(cause === undefined ? null : plainQuery(cause));
  const seq = core.engine.revert(toSeq, meta, perms);
  core.committed(seq);
  return seq;
}

/* Undo ('undo') or redo ('redo') as a new commit; its seq, or null when there is nothing
   to do. The undo and redo stacks are the engine's, derived from the commit records. */
export function undoRedo(core, which, cause, { collectionPermissions } = {}) {
  const engine = core.live();
  const perms = permissionsText(collectionPermissions);
  const meta = core.meta(cause === undefined ? null : plainQuery(cause), `,"minSeq":${core.oldest()}`);
  const seq = which === 'undo' ? engine.undo(meta, perms) : engine.redo(meta, perms);
  if (seq !== null) core.committed(seq);
  return seq;
}

/* The engine of a new, independent database whose state and history are those up to point. */
export function forkEngine(core, point, { collectionPermissions } = {}) {
  const seq = seqOf(core, point);
  return access.fork(core.live(), seq, permissionsText(collectionPermissions));
}
