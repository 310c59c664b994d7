/*
** past-deltas.test.mjs: past versions kept as deltas against the next newer version (c/coll.c):
** what one past version of a one-field update costs, and that every way of reading the past
** gives the documents back exactly (key order included) along long chains of edits of every
** kind: as-of reads, history(), diff(), revertTo() twice to one point, fork(), a snapshot
** written and opened again, and retention.
** Expected states come from a model in this file (update = Object.assign, which keeps the
** key order of Python's dict.update for these keys; rename = delete, then set last), never
** from the engine.
** Run: node --test tests/js/past-deltas.test.mjs
*/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Database, MemoryStore } from '../../js/index.js';

const now = '2026-01-01T00:00:00.000Z';
const byId = (id) => ({ type: 'equals_', field: 'id', value: id });
const updateOne = (id, overrideData) => ({ target: 'users', type: 'updateOne', queryNode: byId(id), overrideData });
const getAllAt = (seq) => ({ target: 'users', type: 'getAll', asOf: { seq } });

test('a past version of a one-field update costs a few bytes, not a copy of the document', async () => {
  const db = await Database.open();
  const n = 2000;
  db.executeQuery({ target: 'users', type: 'add', addData: Array.from({ length: n }, (_, i) => ({ id: String(i), name: `sample${i}`, age: i, createdAt: now, nestedObj: { num: i } })) });
  const before = db.stats().historyBytes;
  for (let i = 0; i < n; i++) assert.ok(db.executeQuery(updateOne(String(i), { age: i + 1 })).isSuccess);
  const perVersion = (db.stats().historyBytes - before) / n;
  /* A whole copy is the document's ~130 encoded bytes plus headers (about 160); a delta is
     the changed bytes and a node. */
  assert.ok(perVersion < 48, `${perVersion.toFixed(1)} bytes per past version`);
  assert.deepEqual(db.executeQuery({ target: 'users', type: 'searchOne', queryNode: byId('7'), asOf: { seq: 1 } }).result,
    [{ id: '7', name: 'sample7', age: 7, createdAt: now, nestedObj: { num: 7 } }]);
  await db.close();
});

/* Three rows edited in turn, 90 commits: values that grow, shrink, change kind, new keys,
   renamed keys (a different member count), nested edits, deletes and adds again. */
function edits() {
  const list = [];
  for (let k = 0; k < 90; k++) {
    const id = String(k % 3);
    switch (k % 9) {
      case 0: list.push({ id, op: 'update', data: { name: 'x'.repeat(k % 40) } }); break;
      case 1: list.push({ id, op: 'update', data: { age: k * 1000003 } }); break;
      case 2: list.push({ id, op: 'update', data: { [`extra${k % 4}`]: k } }); break;
      case 3: list.push({ id, op: 'update', data: { nested: { num: k, list: Array.from({ length: k % 5 }, (_, j) => j) } } }); break;
      case 4: list.push({ id, op: 'rename', from: 'name', to: 'title' }); break;
      case 5: list.push({ id, op: 'rename', from: 'title', to: 'name' }); break;
      case 6: list.push({ id, op: 'update', data: { age: k % 2 ? 1.5 * k : `text${k}` } }); break;
      case 7: list.push({ id, op: 'update', data: { flag: k % 2 === 0, age: null } }); break;
      default: list.push({ id, op: 'update', data: { name: `back${k}` } });
    }
  }
  return list;
}

async function build() {
  const store = new MemoryStore();
  const db = await Database.open({ storage: store, snapshotEvery: 1e9 });
  const initial = [0, 1, 2].map((i) => ({ id: String(i), name: `n${i}`, age: i }));
  db.executeQuery({ target: 'users', type: 'add', addData: initial });
  const states = [null, initial.map((d) => structuredClone(d))];   // states[seq]: the rows' documents
  let rows = initial.map((d) => structuredClone(d));
  for (const e of edits()) {
    const r = rows.find((d) => d.id === e.id);
    if (e.op === 'update') {
      assert.ok(db.executeQuery(updateOne(e.id, e.data)).isSuccess);
      Object.assign(r, structuredClone(e.data));
    } else {
      const res = db.executeQuery({ target: 'users', type: 'renameField', renameBefore: e.from, renameAfter: e.to, mustAffectAtLeastOne: false });
      assert.ok(res.isSuccess);
      /* renameField renames in every row that has the key */
      for (const d of rows) if (e.from in d) { const v = d[e.from]; delete d[e.from]; d[e.to] = v; }
    }
    states.push(rows.map((d) => structuredClone(d)));
  }
  /* A delete and an add, so a chain also passes through a missing row. */
  db.executeQuery({ target: 'users', type: 'deleteOne', queryNode: byId('1') });
  rows = rows.filter((d) => d.id !== '1');
  states.push(rows.map((d) => structuredClone(d)));
  db.executeQuery({ target: 'users', type: 'add', addData: [{ id: '1', name: 'again' }] });
  rows.push({ id: '1', name: 'again' });
  states.push(rows.map((d) => structuredClone(d)));
  for (let k = 0; k < 12; k++) {   // a long run of edits of one row: deltas and whole versions alternate
    db.executeQuery(updateOne('0', { age: k }));
    rows[0].age = k;
    states.push(rows.map((d) => structuredClone(d)));
  }
  assert.equal(db.seq, states.length - 1);
  return { db, store, states };
}

const text = (x) => JSON.stringify(x);
function checkAllSeqs(db, states, from = 1) {
  for (let s = from; s < states.length; s++)
    assert.equal(text(db.executeQuery(getAllAt(s)).result), text(states[s]), `asOf seq ${s}`);
}

test('as-of reads, history and diff give every past version back exactly', async () => {
  const { db, states } = await build();
  checkAllSeqs(db, states);
  for (let s = 1; s < states.length; s++) assert.equal(text(db.at(s).toDict().collections.users.data), text(states[s]), `at(${s}).toDict()`);
  /* history: row 2's documents, oldest first, are its states wherever they changed */
  const want = [];
  for (let s = 1; s < states.length; s++) {
    const d = states[s].find((x) => x.id === '2');
    if (!want.length || text(want.at(-1)) !== text(d)) want.push(d);
  }
  const seen = db.history('users', byId('2')).filter((h) => h.doc.id === '2').map((h) => h.doc);
  assert.equal(text(seen.filter((d, i) => i === 0 || text(d) !== text(seen[i - 1]))), text(want));
  for (let s = 2; s < states.length; s++) {
    const changed = db.diff(s - 1, s).users?.changed ?? [];
    for (const { before, after } of changed) {
      assert.equal(text(before), text(states[s - 1].find((d) => d.id === before.id)), `diff ${s - 1}..${s} before`);
      assert.equal(text(after), text(states[s].find((d) => d.id === after.id)), `diff ${s - 1}..${s} after`);
    }
  }
  await db.close();
});

test('revertTo a past point twice: the second one changes no row (the same documents stay the same)', async () => {
  const { db, states } = await build();
  const target = 20;
  db.revertTo(target);
  assert.equal(text(db.toDict().collections.users.data), text(states[target]));
  const versions = db.stats().versions;
  const seq = db.revertTo(target);
  assert.equal(db.stats().versions, versions, 'no row got a new version');
  assert.deepEqual(db.diff(seq - 1, seq), {});
  checkAllSeqs(db, states);
  await db.close();
});

test('fork, a snapshot opened again, and retention read the same past', async () => {
  const { db, store, states } = await build();
  const mid = 40;
  const f = db.fork(mid);
  assert.equal(text(f.toDict().collections.users.data), text(states[mid]));
  checkAllSeqs(f, states.slice(0, mid + 1));
  await f.close();
  await db.flush();
  await db.close();
  /* Open, write a snapshot of the whole history, close, and open that snapshot. */
  const again = await Database.open({ storage: store, snapshotEvery: 1 });
  again.executeQuery({ target: 'other', type: 'add', addData: [{}] });
  await again.flush();
  await again.close();
  const { snapshot } = await store.open();
  assert.ok(snapshot, 'a snapshot was written');
  const reopened = await Database.open({ storage: store });
  checkAllSeqs(reopened, states);
  const oldest = states.length - 10;
  reopened.setRetention({ maxCommits: reopened.seq - oldest });
  assert.equal(reopened.stats().oldestSeq, oldest);
  checkAllSeqs(reopened, states, oldest);
  await reopened.close();
});

test('reading the past again and again does not use up the memory budget (rebuilt versions are given back)', async () => {
  // Each as-of read rebuilds ~2,000 past documents (~300 kB). They must be refunded to this
  // database's budget when the call ends; counted and never refunded, 200 reads would pass
  // the 32 MiB budget and a read would fail with NOMEM.
  const db = await Database.open({ maxMemoryMB: 32 });
  const n = 2000;
  db.executeQuery({ target: 'users', type: 'add', addData: Array.from({ length: n }, (_, i) => ({ id: String(i), name: `sample${i}`, age: i, createdAt: now, nestedObj: { num: i } })) });
  for (let i = 0; i < n; i++) db.executeQuery(updateOne(String(i), { age: i + 1 }));
  const other = await Database.open({ maxMemoryMB: 32 });   // calls on another database in between
  for (let round = 0; round < 200; round++) {
    const past = db.executeQuery(getAllAt(1));
    assert.ok(past.isSuccess, `round ${round}: ${past.errorMessage}`);
    assert.equal(past.result.length, n);
    assert.equal(past.result[n - 1].age, n - 1);
    other.executeQuery({ target: 'x', type: 'count' });
  }
  await other.close();
  await db.close();
});
