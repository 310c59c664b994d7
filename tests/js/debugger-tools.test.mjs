/*
 * debugger-tools.test.mjs: the debugger's parts that need no browser, on real databases:
 * DatabaseView.rows (one collection with its row ids), the row cache that applies diffs to
 * rows by row id (debugger/row-cache.js), blame (debugger/blame.js) and bisect
 * (debugger/bisect.js).
 * Must stay true: expected values come from the database itself (db.at(seq).toDict(),
 * db.history) or are written out by hand from the writes below; random walks are seeded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Database, HindsightError } from '../../js/index.js';
import { createRowCache } from '../../debugger/row-cache.js';
import { blame } from '../../debugger/blame.js';
import { bisect, conditions } from '../../debugger/bisect.js';

const eq = (field, value) => ({ type: 'equals_', field, value, vType: 'auto_', version: '2' });
const who = (name) => ({ who: { type: 'human', id: name.toLowerCase(), name }, what: `${name} edits`, why: `because ${name}` });
const q = (target, type, rest = {}) => ({ className: 'Query', version: '7', target, type, ...rest });

/* notes has no id field and two equal documents; items has an id field with a duplicate. */
async function sample() {
  const db = await Database.open();
  db.executeQuery(q('notes', 'add', { addData: [{ text: 'same' }, { text: 'same' }, { text: 'other' }], cause: who('Ann') }));   // 1
  db.executeQuery(q('items', 'add', { addData: [{ id: 1, v: 'a', meta: { tags: ['x'] } }, { id: 1, v: 'b' }, { id: 2, v: 'c' }], cause: who('Bob') }));   // 2
  db.executeQuery(q('items', 'updateOne', { queryNode: eq('v', 'b'), overrideData: { v: 'B' }, cause: who('Cy') }));   // 3
  db.executeQuery(q('notes', 'deleteOne', { queryNode: eq('text', 'other'), cause: who('Ann') }));   // 4
  db.executeQuery(q('items', 'updateOne', { queryNode: eq('v', 'a'), overrideData: { meta: { tags: ['x', 'y'] } }, cause: who('Dee') }));   // 5
  db.executeQuery(q('notes', 'add', { addData: [{ text: 'late' }], cause: who('Bob') }));   // 6
  return db;
}

test('view.rows gives one collection with ascending row ids, equal to toDict, and the names there', async () => {
  const db = await sample();
  for (let seq = 0; seq <= db.seq; seq++) {
    const view = db.at(seq);
    const dict = view.toDict();
    for (const name of ['notes', 'items', 'missing']) {
      const r = view.rows(name);
      assert.deepEqual(r.collections, Object.keys(dict.collections), `names at ${seq}`);
      if (!dict.collections[name]) { assert.equal(r.rowIds, null); assert.equal(r.data, null); continue; }
      assert.deepEqual(r.data, dict.collections[name].data, `${name} at ${seq}`);
      assert.equal(r.rowIds.length, r.data.length);
      assert.ok(r.rowIds.every((id, i) => i === 0 || id > r.rowIds[i - 1]), 'ascending');
    }
    assert.deepEqual(view.rows(null), { collections: Object.keys(dict.collections), rowIds: null, data: null });
    view.release();
  }
  // after the delete at 4, notes keeps row ids 0 and 1 (2 is gone), and the late note is 3
  const view = db.at(6);
  assert.deepEqual(view.rows('notes').rowIds, [0, 1, 3]);
  assert.throws(() => view.rows(5), (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT');
  view.release();
  assert.throws(() => view.rows('notes'), (e) => e.code === 'CLOSED');
});

test('diff row ids match view.rows: a change to the second of two equal documents names the second row', async () => {
  const db = await sample();
  const d = db.diff(2, 3).items;
  assert.equal(d.changed.length, 1);
  const before = db.at(2).rows('items');
  assert.equal(before.rowIds.indexOf(d.changed[0].rowId), 1, 'the second id-1 document, not the first');
});

test('the row cache, moved by diffs in a seeded random walk, always equals view.rows at that seq', async () => {
  const db = await Database.open();
  let seed = 12345;
  const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let i = 0; i < 300; i++) {
    const r = rand(10);
    if (r < 4) db.executeQuery(q('t', 'add', { addData: [{ k: rand(5), n: i }] }));
    else if (r < 8) db.executeQuery(q('t', 'updateOne', { queryNode: eq('k', rand(5)), overrideData: { n: i } }));
    else db.executeQuery(q('t', 'deleteOne', { queryNode: eq('k', rand(5)) }));
  }
  const cache = createRowCache(db);
  let seq = 0;
  for (let step = 0; step < 400; step++) {
    seq = Math.max(0, Math.min(db.seq, seq + (rand(3) === 0 ? rand(120) - 60 : rand(7) - 3)));
    const names = cache.names(seq);
    const got = cache.moveTo(seq, names.includes('t') ? 't' : null, names);
    const view = db.at(seq);
    const want = view.rows('t');
    view.release();
    assert.deepEqual(got.data, want.data ?? [], `data at ${seq}`);
    assert.deepEqual(got.rowIds, want.rowIds ?? [], `rowIds at ${seq}`);
  }
});

test('blame names, per field, the commit and cause that last set it, following the row by row id', async () => {
  const db = await sample();
  const rows = db.at(db.seq).rows('items');
  const first = blame(db, 'items', { rowId: rows.rowIds[0], doc: rows.data[0] });
  const by = Object.fromEntries(first.fields.map((f) => [f.path, `${f.seq} ${f.cause?.who?.name}`]));
  assert.deepEqual(by, { id: '2 Bob', v: '2 Bob', 'meta.tags[0]': '2 Bob', 'meta.tags[1]': '5 Dee' });
  // the second document with id 1: its v was set by Cy at 3, not by anyone who edited the first
  const second = blame(db, 'items', { rowId: rows.rowIds[1], doc: rows.data[1] });
  assert.deepEqual(second.fields.map((f) => [f.path, f.seq, f.cause.why]), [['id', 2, 'because Bob'], ['v', 3, 'because Cy']]);
  // as of seq 4 Dee's change had not happened
  assert.ok(blame(db, 'items', { rowId: rows.rowIds[0], at: 4 }).fields.every((f) => f.seq === 2));
  // a deleted row without an id field: its fields and who deleted it
  const gone = blame(db, 'notes', { rowId: 2 });
  assert.equal(gone.deleted, true);
  assert.equal(gone.deletedBy.seq, 4);
  assert.deepEqual(gone.doc, { text: 'other' });
  assert.throws(() => blame(db, 'notes', { rowId: 99 }), (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => blame(db, 'notes', { rowId: -1 }), (e) => e.code === 'INVALID_ARGUMENT');
});

test('bisect finds the planted commit in O(log n) reads, and says why when there is none', async () => {
  const db = await Database.open();
  const n = 500, planted = 337;
  db.executeQuery(q('tasks', 'add', { addData: [{ id: 0, status: 'todo' }] }));
  for (let i = 2; i <= n; i++) {
    const status = i === planted ? 'done' : 'todo';
    db.executeQuery(q('tasks', 'add', { addData: [{ id: i, status }] }));
  }
  const done = q('tasks', 'search', { queryNode: eq('status', 'done') });
  const found = bisect(db, done, { condition: conditions({ kind: 'countAbove', n: 0 }) });
  assert.equal(found.seq, planted);
  assert.equal(found.commit.seq, planted);
  assert.ok(found.reads <= 2 + Math.ceil(Math.log2(n)), `${found.reads} reads`);
  // the default condition: the result differs from the one at from
  assert.equal(bisect(db, q('tasks', 'search', { queryNode: eq('status', 'done') }), { from: 1 }).seq, planted);
  assert.equal(bisect(db, done, { condition: conditions({ kind: 'countAbove', n: 5 }) }).seq, null);
  assert.match(bisect(db, done, { condition: () => true }).reason, /already holds/);
  assert.throws(() => bisect(db, done, { from: 10, to: 5 }), (e) => e.code === 'INVALID_ARGUMENT');
  assert.throws(() => bisect(db, null), (e) => e.code === 'INVALID_ARGUMENT');
  assert.throws(() => conditions({ kind: 'nope' }), (e) => e.code === 'INVALID_ARGUMENT');
});

test('the row cache re-reads when retention dropped the seq it holds', async () => {
  const db = await Database.open();
  for (let i = 0; i < 30; i++) db.executeQuery(q('t', 'add', { addData: [{ n: i }] }));
  const cache = createRowCache(db);
  cache.moveTo(5, 't', cache.names(5));
  db.setRetention({ maxCommits: 10 });
  for (let i = 0; i < 5; i++) db.executeQuery(q('t', 'updateOne', { queryNode: eq('n', i), overrideData: { n: -i } }));
  assert.throws(() => db.diff(5, db.seq), (e) => e.code === 'TOO_OLD', 'seq 5 is no longer kept');
  const got = cache.moveTo(db.seq, 't', cache.names(db.seq));
  const view = db.at(db.seq);
  assert.deepEqual(got.data, view.rows('t').data);
  view.release();
});
