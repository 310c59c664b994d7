/*
 * blame.js: a document's story and its blame (db.blame): for each field of a document, the
 * commit, person and cause that last set it (ARCHITECTURE.md §6: history carries rowId and cause).
 *
 * Owns: blame(db, collection, { rowId, doc, at }) -> { rowId, deleted, deletedBy, doc, fields,
 * history }, where history is every kept version of the row up to `at`, oldest first
 * ([{ seq, time, op, doc, cause, rowId }]), and fields is [{ path, value, seq, op, time, cause }]
 * for every leaf of the document as it was at `at` (an empty object or array counts as a
 * leaf; a deleted row shows its last fields and deletedBy, the entry that deleted it).
 * Must stay true: the row is followed by the engine's row id, never by a field of the
 * document (a field named id, _id, key or uuid in `doc` is used only to narrow the history
 * query, then every entry is checked against the row id); reads only, through the
 * Database's own public methods (db.history); bad input throws HindsightError
 * INVALID_ARGUMENT before anything is read, and so does a row with no kept version up to `at`.
 */
import { HindsightError, ErrorCode } from './errors.js';
import { pathDiff, formatPath } from './path-diff.js';

const invalid = (message) => new HindsightError(ErrorCode.INVALID_ARGUMENT, `blame: ${message}`);
const isContainer = (v) => v !== null && typeof v === 'object' && Object.keys(v).length > 0;
const prefixOf = (a, b) => a.length <= b.length && a.every((p, i) => p === b[i]);

/* [path, value] for every leaf of value. */
function leaves(value, path = [], out = []) {
  if (!isContainer(value)) { out.push([path, value]); return out; }
  for (const [k, v] of Object.entries(value)) leaves(v, [...path, Array.isArray(value) ? Number(k) : k], out);
  return out;
}

/* The field a document is usually known by, used only to narrow the history query. */
function idFieldOf(doc) {
  if (doc === null || typeof doc !== 'object') return null;
  for (const name of ['id', '_id', 'key', 'uuid']) if (Object.hasOwn(doc, name)) return name;
  return null;
}

/* Every kept version of one row up to `to`, oldest first. */
function rowHistory(db, collection, rowId, doc, to) {
  const field = idFieldOf(doc);
  const node = field && ['string', 'number', 'boolean'].includes(typeof doc[field])
    ? { type: 'equals_', field, value: doc[field], vType: 'auto_', version: '2' } : null;
  return db.history(collection, node, to === undefined ? {} : { to }).filter((e) => e.rowId === rowId);
}

export function blame(db, collection, options = {}) {
  if (typeof collection !== 'string' || !collection) throw invalid('collection must be a non-empty string');
  if (options === null || typeof options !== 'object') throw invalid('options must be an object { rowId, doc?, at? }');
  const { rowId, doc, at } = options;
  if (!Number.isInteger(rowId) || rowId < 0) throw invalid('rowId must be a row id (a non-negative integer, as db.diff, db.history and view.rows give)');
  const history = rowHistory(db, collection, rowId, doc, at);
  if (!history.length) throw invalid(`no kept version of row ${rowId} in ${collection}${at === undefined ? '' : ` up to ${at}`}`);
  let current;                  // the row's document after each version
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
  // only a delete kept (retention dropped the versions before it): no field to name
  const fields = current === undefined ? [] : leaves(current).map(([path, value]) => {
    const e = owners.get(formatPath(path));
    return { path: formatPath(path), value, seq: e.seq, op: e.op, time: e.time, cause: e.cause };
  });
  return { rowId, deleted: deletedBy !== null, deletedBy, doc: current, fields, history };
}
