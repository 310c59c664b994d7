/*
 * sync-status.js: what the debugger shows of a synced database's commits: a mark per commit in
 * the commit list (pending / acknowledged / rebased) and its origin, base and server seq in the
 * commit card, read from a sync client given as an option (mountDebugger(db, { sync })).
 *
 * Owns: createSyncView(sync, onChange) -> { columns, fields(id), cardRows(id, row), relabel(rows,
 * idAt), destroy() }. sync is anything with commitStatus(id) and subscribeCommitStatus(fn)
 * (SyncClient from 'hindsight-db/sync'); without it every part is empty and nothing changes.
 * Must stay true: imports nothing from sync/ (the client comes in as an option); a mark is a
 * sign and a word, so it never rests on colour alone and a screen reader reads it; the marks
 * shown are exactly sync.commitStatus(id).status at the last change heard.
 */

const MARKS = { pending: '⏳ pending', acknowledged: '✓ acknowledged', rebased: '↻ rebased' };

/* The commit list text for a status ('' when the client does not know the commit). */
export function syncMark(status) {
  return status ? MARKS[status.status] ?? status.status : '';
}

export function createSyncView(sync, onChange) {
  if (!sync) {
    return { columns: [], fields: () => ({}), cardRows: () => [], relabel: (rows) => rows, destroy() {} };
  }
  const statusOf = (id) => {
    try { return sync.commitStatus(id); } catch { return null; }
  };
  const unsubscribe = sync.subscribeCommitStatus(() => onChange());
  return {
    columns: ['sync'],
    /* The commit list fields of commit id. */
    fields: (id) => ({ sync: syncMark(statusOf(id)) }),
    /* The commit card rows (row(label, class, value) builds one) for commit id. */
    cardRows(id, row) {
      const s = statusOf(id);
      if (!s) return row('sync', 'sync', 'not known to the sync client');
      return [
        row('sync', 'sync', syncMark(s)),
        row('origin', 'origin', s.origin ?? '—'),
        row('made on', 'base', s.base === null || s.base === undefined ? 'unknown server seq' : `server seq ${s.base}`),
        row('server seq', 'server-seq', s.serverSeq === undefined ? 'not yet (pending)' : String(s.serverSeq)),
      ];
    },
    /* rows with each row's sync field read again (a new object only where it changed, so the
       virtual table redraws only those); idAt(row) gives a row's commit id, or undefined. */
    relabel(rows, idAt) {
      return rows.map((r) => {
        const id = idAt(r);
        if (id === undefined) return r;
        const sync = syncMark(statusOf(id));
        return sync === r.sync ? r : { ...r, sync };
      });
    },
    destroy: unsubscribe,
  };
}
