/*
 * debugger-tools.test.mjs: the debugger's parts that need no browser, on real databases:
 * DatabaseView.rows (one collection with its row ids), the row cache that applies diffs to
 * rows by row id (debugger/row-cache.js), and the library API the debugger's blame and bisect
 * use: db.blame (js/blame.js) and db.bisect (js/bisect.js), with the thin doors that
 * 'hindsight-db/debugger' keeps for them.
 * Must stay true: expected values come from the database itself (db.at(seq).toDict(),
 * db.history) or are written out by hand from the writes below; random walks are seeded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Database, HindsightError, bisectCondition } from '../../js/index.js';
import { createRowCache } from '../../debugger/row-cache.js';
import * as debuggerEntry from '../../debugger/index.js';

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

test('db.blame names, per field, the commit and cause that last set it, following the row by row id', async () => {
  const db = await sample();
  const rows = db.at(db.seq).rows('items');
  const first = db.blame('items', { rowId: rows.rowIds[0], doc: rows.data[0] });
  const by = Object.fromEntries(first.fields.map((f) => [f.path, `${f.seq} ${f.cause?.who?.name}`]));
  assert.deepEqual(by, { id: '2 Bob', v: '2 Bob', 'meta.tags[0]': '2 Bob', 'meta.tags[1]': '5 Dee' });
  assert.deepEqual(first.history.map((e) => [e.seq, e.op]), [[2, 'I'], [5, 'U']]);
  assert.deepEqual(first.doc, rows.data[0]);
  // the second document with id 1: its v was set by Cy at 3, not by anyone who edited the first
  const second = db.blame('items', { rowId: rows.rowIds[1], doc: rows.data[1] });
  assert.deepEqual(second.fields.map((f) => [f.path, f.seq, f.cause.why]), [['id', 2, 'because Bob'], ['v', 3, 'because Cy']]);
  // as of seq 4 Dee's change had not happened
  assert.ok(db.blame('items', { rowId: rows.rowIds[0], at: 4 }).fields.every((f) => f.seq === 2));
  // a deleted row without an id field: its fields and who deleted it
  const gone = db.blame('notes', { rowId: 2 });
  assert.equal(gone.deleted, true);
  assert.equal(gone.deletedBy.seq, 4);
  assert.deepEqual(gone.doc, { text: 'other' });
  // the debugger entry's door gives the same answer
  assert.deepEqual(debuggerEntry.blame(db, 'items', { rowId: rows.rowIds[1] }), db.blame('items', { rowId: rows.rowIds[1] }));
  assert.deepEqual(debuggerEntry.documentHistory(db, 'notes', { rowId: 99 }), []);
  assert.deepEqual(debuggerEntry.documentHistory(db, 'notes', { rowId: 2 }).map((e) => e.op), ['I', 'D']);
});

test('db.blame refuses bad input with INVALID_ARGUMENT, and after close with CLOSED', async () => {
  const db = await sample();
  const seqBefore = db.seq;
  const bad = (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT';
  assert.throws(() => db.blame('notes', { rowId: 99 }), bad, 'no such row');
  assert.throws(() => db.blame('notes', { rowId: -1 }), bad);
  assert.throws(() => db.blame('notes', { rowId: 1.5 }), bad);
  assert.throws(() => db.blame('notes', { rowId: '1' }), bad);
  assert.throws(() => db.blame('notes'), bad, 'no options');
  assert.throws(() => db.blame('notes', null), bad);
  assert.throws(() => db.blame(5, { rowId: 0 }), bad);
  assert.throws(() => db.blame('', { rowId: 0 }), bad);
  assert.throws(() => db.blame('notes', { rowId: 3, at: 5 }), bad, 'row 3 came at 6');
  assert.equal(db.seq, seqBefore, 'nothing written');
  await db.close();
  assert.throws(() => db.blame('notes', { rowId: 0 }), (e) => e.code === 'CLOSED');
});

async function plantedDatabase(n, planted) {
  const db = await Database.open();
  db.executeQuery(q('tasks', 'add', { addData: [{ id: 0, status: 'todo' }] }));
  for (let i = 2; i <= n; i++) {
    const status = i === planted ? 'done' : 'todo';
    db.executeQuery(q('tasks', 'add', { addData: [{ id: i, status }], cause: who(i === planted ? 'Eve' : 'Ann') }));
  }
  return db;
}

test('db.bisect finds the planted commit in O(log n) reads, and says why when there is none', async () => {
  const n = 500, planted = 337;
  const db = await plantedDatabase(n, planted);
  const done = q('tasks', 'search', { queryNode: eq('status', 'done') });
  for (const condition of [{ kind: 'countAbove', n: 0 }, bisectCondition({ kind: 'nonEmpty' }), (r) => r.result.length > 0]) {
    const found = db.bisect(done, { condition });
    assert.equal(found.seq, planted);
    assert.equal(found.commit.seq, planted);
    assert.equal(found.commit.cause.who.name, 'Eve');
    assert.ok(found.reads <= 2 + Math.ceil(Math.log2(n)), `${found.reads} reads`);
    assert.equal(found.steps.length, found.reads);
    assert.ok(found.steps.every((st) => st.holds === (st.seq >= planted)), 'every step read the truth at its seq');
  }
  // the default condition: the result differs from the one at from
  assert.equal(db.bisect(done, { from: 1 }).seq, planted);
  assert.equal(db.bisect(done).seq, planted);
  // within a range
  assert.equal(db.bisect(done, { condition: { kind: 'nonEmpty' }, from: 300, to: 400 }).seq, planted);
  assert.equal(db.bisect(done, { condition: { kind: 'countAbove', n: 5 } }).seq, null);
  assert.match(db.bisect(done, { condition: () => true }).reason, /already holds/);
  assert.match(db.bisect(done, { condition: { kind: 'nonEmpty' }, to: 300 }).reason, /does not hold at seq 300/);
  // the debugger entry's doors give the same answer
  assert.deepEqual(debuggerEntry.bisect(db, done, { condition: debuggerEntry.conditions({ kind: 'nonEmpty' }) }).seq, planted);
});

test('db.bisect refuses bad input with a HindsightError code and reads nothing', async () => {
  const db = await plantedDatabase(50, 20);
  const done = q('tasks', 'search', { queryNode: eq('status', 'done') });
  const bad = (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT';
  const seqBefore = db.seq;
  assert.throws(() => db.bisect(done, { from: 10, to: 5 }), bad);
  assert.throws(() => db.bisect(done, { from: 10, to: 10 }), bad);
  assert.throws(() => db.bisect(done, { to: db.seq + 1 }), bad, 'a future seq');
  assert.throws(() => db.bisect(done, { from: 1.5 }), bad);
  assert.throws(() => db.bisect(null), bad);
  assert.throws(() => db.bisect([done]), bad);
  assert.throws(() => db.bisect(q('tasks', 'add', { addData: [{ id: 99 }] })), bad, 'a write is not bisected');
  assert.throws(() => db.bisect(done, { condition: 3 }), bad);
  assert.throws(() => db.bisect(done, { condition: { kind: 'nope' } }), bad);
  assert.throws(() => db.bisect(done, { condition: { kind: 'countAbove' } }), bad, 'countAbove needs n');
  assert.throws(() => db.bisect(done, null), bad);
  assert.throws(() => bisectCondition({ kind: 'nope' }), bad);
  assert.throws(() => bisectCondition('countAbove'), bad);
  assert.throws(() => db.bisect(q('tasks', 'search', { queryNode: { type: 'nope' } })), bad, 'a query that fails at a point');
  assert.equal(db.seq, seqBefore, 'nothing written');
  db.setRetention({ maxCommits: 10 });
  assert.throws(() => db.bisect(done, { from: 5 }), (e) => e.code === 'TOO_OLD');
  assert.equal(db.bisect(done).steps[0].seq, db.stats().oldestSeq, 'from defaults to the oldest kept point');
});

test('the row cache re-reads a jump over more commits than a quarter of its rows without asking for the diff first', async () => {
  const db = await Database.open();
  db.executeQuery(q('t', 'add', { addData: Array.from({ length: 400 }, (_, n) => ({ n, v: 0 })) }));
  for (let i = 1; i <= 300; i++) db.executeQuery(q('t', 'updateOne', { queryNode: eq('n', i), overrideData: { v: i } }));
  let diffs = 0;
  const counting = { at: (seq) => db.at(seq), diff: (a, b) => { diffs++; return db.diff(a, b); } };
  const cache = createRowCache(counting);
  const moveAndCheck = (seq) => {
    const got = cache.moveTo(seq, 't', cache.names(seq));
    const view = db.at(seq);
    assert.deepEqual(got.data, view.rows('t').data, `rows at ${seq}`);
    view.release();
  };
  moveAndCheck(db.seq);
  moveAndCheck(db.seq - 250);   // 250 commits > 400 / 4 rows: the diff would touch too many rows
  assert.equal(diffs, 0, 'no diff asked for a jump it would throw away');
  moveAndCheck(db.seq - 240);   // a short step still applies the diff
  assert.equal(diffs, 1);
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
