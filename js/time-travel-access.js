/*
 * time-travel-access.js: the engine calls of the time-travel API limited by
 * collectionPermissions (c/access.c enforces them; this file only carries the text).
 *
 * Owns: passing a permissions text to the *_for exports of hindsight.wasm, and the rule
 * for which commits (from the engine's commit table) a caller may see. Invariants: with permissions
 * null these are exactly the unrestricted engine calls; with permissions, nothing about a
 * collection the caller may not read leaves the engine (history, diff, toDict at a commit,
 * fork). Reverts, undo and redo carry their permissions through js/engine.js (c/access.c).
 */
import { HindsightError, ErrorCode } from './errors.js';
import { Engine } from './engine.js';

const READ_TYPES = ['search', 'searchOne', 'getAll'];

/* Runs fn(ptr, len) with the permissions text in wasm memory. */
function withPermissions(engine, permissionsText, fn) {
  return engine.withText(permissionsText, fn);
}

export function toDictTextAt(engine, seq, permissionsText) {
  if (permissionsText === null) return engine.toDictTextAt(seq);
  withPermissions(engine, permissionsText, (pp, pl) => engine.check(engine.wasm.hsw_to_dict_at_for(engine.handle, seq, pp, pl)));
  return engine.output();
}

export function historyText(engine, target, nodeText, from, to, permissionsText) {
  if (permissionsText === null) return engine.historyText(target, nodeText, from, to);
  const w = engine.wasm;
  withPermissions(engine, permissionsText, (pp, pl) => engine.withText(target, (tp, tl) => {
    if (nodeText === null) return engine.check(w.hsw_history_for(engine.handle, tp, tl, 0, 0, from, to, pp, pl));
    return engine.withText(nodeText, (np, nl) => engine.check(w.hsw_history_for(engine.handle, tp, tl, np, nl, from, to, pp, pl)));
  }));
  return engine.output();
}

export function diffText(engine, a, b, permissionsText) {
  if (permissionsText === null) return engine.diffText(a, b);
  withPermissions(engine, permissionsText, (pp, pl) => engine.check(engine.wasm.hsw_diff_for(engine.handle, a, b, pp, pl)));
  return engine.output();
}

/* A new Engine holding the history up to seq. */
export function fork(engine, seq, permissionsText) {
  if (permissionsText === null) return engine.fork(seq);
  const w = engine.wasm;
  const slot = w.hsw_alloc(4);
  if (!slot) throw new HindsightError(ErrorCode.NOMEM, 'fork: out of memory');
  try {
    withPermissions(engine, permissionsText, (pp, pl) => engine.check(w.hsw_fork_for(engine.handle, seq, pp, pl, slot)));
    const handle = new Uint32Array(w.memory.buffer, slot, 1)[0];
    if (!handle) throw new HindsightError(ErrorCode.NOMEM, 'fork: out of memory');
    return new Engine(w, handle);
  } finally {
    w.hsw_free(slot);
  }
}

/* The collections a commit's query names (Query, TransactionQuery, merge), or null when
   the query does not say (a revert: ask the engine what it changed). */
function namedCollections(query) {
  if (!query || typeof query !== 'object') return [];
  if (Array.isArray(query.queries)) return query.queries.flatMap(namedCollections);
  if (query.className === 'HindsightRevert') return null;
  const names = [query.target];
  const m = query.type === 'merge' ? query.mergeQueryParams : null;
  if (m && typeof m === 'object') names.push(m.base, m.output, m.serialBase, ...(Array.isArray(m.source) ? m.source : []));
  return names.filter((n) => typeof n === 'string');
}

/* The commits a caller may see: every collection the commit wrote must be readable
   (search, searchOne or getAll), since the commit's query carries that collection's data. */
export function visibleCommits(engine, commits, permissionsText) {
  if (permissionsText === null) return commits;
  const perms = JSON.parse(permissionsText);
  const readable = (name) => Object.prototype.hasOwnProperty.call(perms, name) && READ_TYPES.some((t) => perms[name].allows.includes(t));
  return commits.filter((c) => {
    let names = namedCollections(c.query);
    if (names === null) {
      if (c.seq - 1 < engine.oldest()) return false;   // what it changed is no longer known: fail closed
      names = Object.keys(JSON.parse(engine.diffText(c.seq - 1, c.seq)));
    }
    return names.every(readable);
  });
}
