/*
 * crash-data.mjs: what the crash-test children write, as pure functions of seq, so the parent
 * can check every recovered byte without hearing it from the child.
 *
 * Owns: the record and snapshot texts of the FileStore child, the commit a Database child makes
 * at each seq, and the model of the documents after N commits. (It re-exports the tests' seeded
 * PRNG, mulberry32, from tests/seeded-random.mjs.)
 * Must stay true: deterministic (no clock, no Math.random); a commit's effect never depends on
 * anything but its seq, so "the state after commit N" has exactly one right answer.
 */

/* The same seed gives the same kill times on every run. */
export { mulberry32 } from '../seeded-random.mjs';

/* Record texts of varied length (0 .. ~600 bytes) with multi-byte characters now and then. */
export function recordText(seq) {
  const filler = 'abcdefghij'.repeat(seq % 60);
  return seq % 11 === 0 ? `${seq} é✓\u{1F600} ${filler}` : `${seq}:${filler}`;
}

/* A snapshot text large enough (~200 kB) that a kill can land while it is being written. */
export function snapshotText(seq) {
  return `snapshot ${seq} ${'s'.repeat(200_000 + (seq % 997))}`;
}

/* ---- the Database child: commit k is a function of k alone ---- */

const TARGET = 'items';
const WINDOW = 6000; // items added at k % 6 in {1, 3} live this many commits, so the state stays small
export const itemText = (k) => `item ${k} ${'x'.repeat(k % 50)}`;

/* By k % 6: 1 and 3 add item k; 2 and 5 update the item added just before (k-1, k-2);
   4 and 0 delete the item added WINDOW+3 commits ago (k-3-WINDOW), or add item k while there
   is none that old. Every update and delete therefore matches exactly one live item. */
function actionFor(k) {
  const r = k % 6;
  if (r === 1 || r === 3) return { op: 'add', id: k };
  if (r === 2) return { op: 'update', id: k - 1 };
  if (r === 5) return { op: 'update', id: k - 2 };
  const old = k - 3 - WINDOW;
  return old >= 1 ? { op: 'delete', id: old } : { op: 'add', id: k };
}

export function commitFor(k, { QueryBuilder, FieldEquals }) {
  const { op, id } = actionFor(k);
  if (op === 'update') return QueryBuilder.updateOne({ target: TARGET, queryNode: new FieldEquals('id', id), overrideData: { v: `updated by ${k}` } }).build();
  if (op === 'delete') return QueryBuilder.deleteOne({ target: TARGET, queryNode: new FieldEquals('id', id) }).build();
  return QueryBuilder.add({ target: TARGET, addData: [{ id, v: itemText(id) }] }).build();
}

/* The documents of `items` after commits 1..n, in insertion order. */
export function expectedItems(n) {
  const docs = new Map();
  for (let k = 1; k <= n; k++) {
    const { op, id } = actionFor(k);
    if (op === 'update') docs.get(id).v = `updated by ${k}`;
    else if (op === 'delete') docs.delete(id);
    else docs.set(id, { id, v: itemText(id) });
  }
  return [...docs.values()];
}
