/*
 * blame.js: a document's story and its blame: for each field of a document, the commit,
 * person and cause that last set it (ARCHITECTURE.md §6: history carries rowId and cause).
 *
 * Owns: documentHistory(db, collection, { rowId, doc, to }) -> the versions of one row, and
 * blame(db, collection, { rowId, doc, at }) -> { rowId, deleted, doc, fields, history }, where
 * fields is [{ path, value, seq, op, time, cause }] for every leaf of the document as it was
 * at `at` (an empty object or array counts as a leaf).
 * Must stay true: the row is followed by the engine's row id, never by a field of the
 * document (a field named id is used only to narrow the history query, then every entry is
 * checked against the row id); uses only the public Database API; pure otherwise (no DOM),
 * so it runs in Node as well as in the page.
 */
import { HindsightError, ErrorCode } from '../index.js';
import { idFieldOf } from './dom.js';
import { pathDiff, formatPath } from './path-diff.js';

const isContainer = (v) => v !== null && typeof v === 'object' && Object.keys(v).length > 0;

/* [path, value] for every leaf of value. */
function leaves(value, path = [], out = []) {
  if (!isContainer(value)) { out.push([path, value]); return out; }
  for (const [k, v] of Object.entries(value)) leaves(v, [...path, Array.isArray(value) ? Number(k) : k], out);
  return out;
}

const prefixOf = (a, b) => a.length <= b.length && a.every((p, i) => p === b[i]);

/* Every kept version of one row, oldest first: [{ seq, time, op, doc, cause, rowId }]. */
export function documentHistory(db, collection, { rowId, doc, to } = {}) {
  if (typeof collection !== 'string') throw new HindsightError(ErrorCode.INVALID_ARGUMENT, 'blame: collection must be a string');
  if (!Number.isInteger(rowId) || rowId < 0) throw new HindsightError(ErrorCode.INVALID_ARGUMENT, 'blame: rowId must be a row id (a non-negative integer, as diff and view.rows give)');
  const field = idFieldOf(doc);
  const node = field && ['string', 'number', 'boolean'].includes(typeof doc[field])
    ? { type: 'equals_', field, value: doc[field], vType: 'auto_', version: '2' } : null;
  return db.history(collection, node, to === undefined ? {} : { to }).filter((e) => e.rowId === rowId);
}

/* Who last set each field of the row as it was at `at` (default: the latest commit). */
export function blame(db, collection, { rowId, doc, at } = {}) {
  const history = documentHistory(db, collection, { rowId, doc, to: at });
  if (!history.length) throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `blame: no kept version of row ${rowId} in ${collection}${at === undefined ? '' : ` up to seq ${at}`}`);
  let current;                  // the row's document after each version (undefined: deleted)
  let owners = new Map();       // formatted leaf path -> the entry that last set it
  let deletedBy = null;
  for (const e of history) {
    if (e.op === 'D') { deletedBy = e; continue; }   // the fields keep who set them; the row is gone
    const before = deletedBy ? undefined : current;
    const changed = pathDiff(isContainer(before) ? before : {}, isContainer(e.doc) ? e.doc : {}).map((p) => p.path);
    const next = new Map();
    for (const [path] of leaves(e.doc)) {
      const key = formatPath(path);
      const touched = before === undefined || !isContainer(e.doc) || changed.some((p) => prefixOf(p, path) || prefixOf(path, p));
      next.set(key, touched || !owners.has(key) ? e : owners.get(key));
    }
    owners = next;
    current = e.doc;
    deletedBy = null;
  }
  const fields = leaves(current).map(([path, value]) => {
    const e = owners.get(formatPath(path));
    return { path: formatPath(path), value, seq: e.seq, op: e.op, time: e.time, cause: e.cause };
  });
  return { rowId, deleted: deletedBy !== null, deletedBy, doc: current, fields, history };
}
