/*
 * row-cache.js: the rows of one collection at the seq the debugger shows, kept between slider
 * steps, so a step applies the engine's diff of the two seqs to the rows already held instead
 * of re-reading the whole state.
 *
 * Owns: createRowCache(db, { reread }) -> { moveTo(seq, collection) -> { collections, rowIds, data },
 * names(seq), indexOf(rowId), reset() }.
 * Must stay true:
 *   - after moveTo(seq, name), data and rowIds equal db.at(seq).rows(name) exactly (same
 *     documents, same order: ascending row id, which is toDict's order);
 *   - rows are matched by the engine's row id (diff's rowId / addedIds / removedIds), never by
 *     a field of the document, so documents without an id field, or with equal ids, are
 *     followed correctly;
 *   - a changed document is a new object in data (an unchanged one keeps its identity), so a
 *     table can redraw only the rows whose object changed;
 *   - a jump whose diff would touch more than a quarter of the rows, or spans more than
 *     MAX_DIFF_SPAN commits, re-reads the collection instead (one engine call either way);
 *     a jump over more commits than a quarter of the rows re-reads without asking for the
 *     diff first (that diff would likely be thrown away: it was the worst slider step);
 *     reread: true always re-reads (the bench's peer: what a step costs without the cache);
 *   - a held seq that retention dropped is re-read; after a rebase (history rewritten) the
 *     owner calls reset().
 */

const MAX_DIFF_SPAN = 5000;

/* The position of id in the ascending array ids, or where it would go (lower bound). */
export function lowerBound(ids, id) {
  let lo = 0, hi = ids.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (ids[mid] < id) lo = mid + 1; else hi = mid; }
  return lo;
}

export function createRowCache(db, { reread = false } = {}) {
  let name = null, seq = -1, rowIds = [], data = [];

  function read(at, collection) {
    const view = db.at(at);
    try { return view.rows(collection); } finally { view.release(); }
  }

  function reload(at, collection) {
    const fresh = read(at, collection);
    name = fresh.rowIds ? collection : null;
    seq = at;
    rowIds = fresh.rowIds ?? [];
    data = fresh.data ?? [];
    return fresh.collections;
  }

  /* Applies d (diff of seq -> at for this collection) in place; false when a row it names
     is missing (the caller then re-reads, replacing the arrays). */
  function apply(d) {
    for (const id of d.removedIds) {
      const i = lowerBound(rowIds, id);
      if (rowIds[i] !== id) return false;
      rowIds.splice(i, 1);
      data.splice(i, 1);
    }
    for (const ch of d.changed) {
      const i = lowerBound(rowIds, ch.rowId);
      if (rowIds[i] !== ch.rowId) return false;
      data[i] = ch.after;
    }
    d.addedIds.forEach((id, k) => {
      const i = lowerBound(rowIds, id);
      rowIds.splice(i, 0, id);
      data.splice(i, 0, d.added[k]);
    });
    return true;
  }

  return {
    /* The collection's rows at seq `at`; the names of every collection at `at`, too. */
    moveTo(at, collection, collections) {
      if (collection === null || collection === undefined) { name = null; seq = -1; rowIds = []; data = []; return { collections: collections ?? read(at, null).collections, rowIds, data }; }
      if (name === collection && seq === at && collections) return { collections, rowIds, data };
      const span = Math.abs(at - seq);
      if (!reread && name === collection && seq >= 0 && span <= MAX_DIFF_SPAN && span <= Math.max(64, data.length >> 2) && collections?.includes(collection)) {
        let d = null;
        try { d = seq === at ? null : db.diff(seq, at)[collection] ?? { added: [], removed: [], changed: [], addedIds: [], removedIds: [] }; } catch { d = undefined; }   // the held seq is no longer kept: re-read
        if (d === undefined) return { collections: reload(at, collection), rowIds, data };
        const small = !d || d.added.length + d.removed.length + d.changed.length <= Math.max(64, data.length >> 2);
        if (small && (!d || apply(d))) { seq = at; return { collections, rowIds, data }; }
      }
      const names = reload(at, collection);
      return { collections: names, rowIds, data };
    },
    /* The collection names at seq (one small engine call). */
    names(at) { return read(at, null).collections; },
    /* The index of the row with this row id in the current data, or -1. */
    indexOf(id) { const i = lowerBound(rowIds, id); return rowIds[i] === id ? i : -1; },
    get seq() { return seq; },
    get name() { return name; },
    reset() { name = null; seq = -1; rowIds = []; data = []; },
  };
}
