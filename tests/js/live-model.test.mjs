/*
** live-model.test.mjs: a seeded model test of live queries against the real hindsight.wasm.
** A fixed-seed PRNG drives ~3,000 commits over three collections ('a', 'b', and 'late', which
** does not exist when its live queries open): add, update, updateOne, delete, deleteOne, clear,
** clearAdd, removeCollection, conformToTemplate, transactions (some failing), revertTo, undo and
** redo, with a retention limit set halfway. About forty live queries (filters, sorts, MultiSort,
** limit, offset, startAfter, endBefore, searchOne, count, getAll, and queries whose sort hits
** mixed kinds, so the query fails for a while) watch them; some open and close midway.
** After every commit each live query's snapshot.result must equal a fresh executeQuery of its
** query (the model), its rows must be those documents with distinct row ids, the delta it was
** given must turn the previous rows into the new rows (applyDelta), and it must be told exactly
** when the result changed: never for a commit that left the result as it was.
*/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Database } from '../../js/index.js';
import { applyDelta } from '../../js/live.js';
import { mulberry32 } from '../seeded-random.mjs';

const SEED = 0x11fe2026;
const COMMITS = 3000;

const prng = mulberry32;
const rand = prng(SEED);
const int = (n) => Math.floor(rand() * n);
const pick = (list) => list[int(list.length)];
const chance = (p) => rand() < p;

const query = (target, type, extra = {}) => ({ className: 'Query', version: '7', target, type, ...extra });
const cmp = (type, field, value) => ({ type, field, value });
const and = (...conditions) => ({ type: 'and_', conditions });
const or = (...conditions) => ({ type: 'or_', conditions });
const single = (field, reversed = false) => ({ className: 'SingleSort', version: '1', field, reversed });
const multi = (...orders) => ({ className: 'MultiSort', version: '1', sortOrders: orders });

/* Small value ranges, so filters, ties and startAfter anchors all happen often. The field
   'm' is usually a number and rarely a string: a sort on it fails while both kinds match. */
function randomDoc() {
  const doc = { n: int(12), g: int(3) };
  if (chance(0.8)) doc.s = pick(['x', 'y', 'z']);
  if (chance(0.1)) doc.n = null;
  doc.m = chance(0.03) ? 'str' : int(5);
  return doc;
}

const anchor = { n: 3, g: 1, s: 'x', m: 2 };

/* A second way to apply a delta, by row id rather than by index (js/live.js uses indexes):
   every from must name the row with that id in the old rows. */
function referenceApply(rows, delta) {
  for (const e of [...delta.removed, ...delta.changed, ...delta.moved]) assert.equal(rows[e.from]?.id, e.id, 'from names the row');
  const gone = new Set([...delta.removed, ...delta.moved].map((e) => e.id));
  const docs = new Map([...rows.map((r) => [r.id, r.doc]), ...delta.changed.map((c) => [c.id, c.doc])]);
  const out = rows.filter((r) => !gone.has(r.id)).map((r) => ({ id: r.id, doc: docs.get(r.id) }));
  const inserts = [...delta.added.map((a) => ({ index: a.index, row: { id: a.id, doc: a.doc } })),
    ...delta.moved.map((m) => ({ index: m.index, row: { id: m.id, doc: docs.get(m.id) } }))].sort((a, b) => a.index - b.index);
  for (const { index, row } of inserts) out.splice(index, 0, row);
  return out;
}
const COLLS = ['a', 'b', 'late'];

function liveQueries(target) {
  const q = (type, extra) => query(target, type, extra);
  return [
    q('search', { queryNode: cmp('greaterThan_', 'n', 5) }),
    q('search', { queryNode: cmp('equals_', 's', 'x') }),
    q('search', { queryNode: and(cmp('equals_', 'g', 1), cmp('lessThan_', 'n', 8)), sortObj: single('n') }),
    q('search', { queryNode: or(cmp('equals_', 'g', 0), cmp('equals_', 's', 'z')), sortObj: single('n', true), limit: 5 }),
    q('search', { queryNode: cmp('greaterThanOrEqual_', 'n', 2), sortObj: multi(single('g'), single('n', true)), offset: 3, limit: 4 }),
    q('search', { queryNode: cmp('notEquals_', 's', 'y'), sortObj: single('s'), offset: 2 }),
    q('search', { queryNode: cmp('lessThan_', 'n', 10), sortObj: single('n'), startAfter: anchor, limit: 3 }),
    q('search', { queryNode: cmp('lessThan_', 'n', 10), endBefore: anchor, limit: 3 }),
    q('search', { queryNode: cmp('lessThan_', 'n', 10), sortObj: single('g'), endBefore: anchor }),
    q('searchOne', { queryNode: cmp('equals_', 'g', 2) }),
    q('searchOne', { queryNode: cmp('greaterThan_', 'n', 9), sortObj: single('n') }),
    q('count'),
    q('getAll'),
    q('getAll', { sortObj: single('n'), limit: 6 }),
    q('getAll', { sortObj: single('m') }),
    q('search', { queryNode: cmp('equals_', 'g', 0), sortObj: single('m', true), limit: 2 }),
    q('getAll', { startAfter: anchor }),
    q('getAll', { limit: 0 }),
  ];
}

test('live queries equal a fresh run after every commit, and their deltas rebuild the rows', async () => {
  const db = await Database.open({ onListenerError: (e) => { throw e; } });
  const watched = [];
  let openedMid = false;
  const seen = { failed: 0, moved: 0, added: 0, removed: 0, changed: 0, anchored: 0 };

  function watch(q) {
    const entry = { q, sub: null, rows: [], lastJSON: null, changes: 0, lastSeq: -1 };
    entry.sub = db.live(q, (snapshot, delta) => {
      entry.changes++;
      for (const k of ['moved', 'added', 'removed', 'changed']) seen[k] += delta[k].length;
      if (!snapshot.result.isSuccess) seen.failed++;
      if ((q.startAfter || q.endBefore) && snapshot.rows.length && snapshot.result.hitCount > snapshot.rows.length) seen.anchored++;
      assert.deepEqual(applyDelta(entry.rows, delta), snapshot.rows, `delta of ${JSON.stringify(q)}`);
      assert.deepEqual(referenceApply(entry.rows, delta), snapshot.rows, `delta (by id) of ${JSON.stringify(q)}`);
      entry.rows = snapshot.rows;
    });
    assert.equal(entry.changes, 1, 'the first result is delivered at once');
    entry.changes = 0;
    entry.lastJSON = JSON.stringify(entry.sub.getSnapshot().result);
    entry.lastIds = JSON.stringify(entry.sub.getSnapshot().rows.map((r) => r.id));
    watched.push(entry);
    return entry;
  }
  for (const t of ['a', 'late']) for (const q of liveQueries(t)) watch(q);

  function check(step) {
    for (const e of watched) {
      if (e.sub.closed) continue;
      const fresh = db.executeQuery(e.q);
      const snap = e.sub.getSnapshot();
      assert.deepEqual(snap.result, fresh, `step ${step}: ${JSON.stringify(e.q)}`);
      if (fresh.isSuccess) {
        assert.deepEqual(snap.rows.map((r) => r.doc), fresh.result, `step ${step}: rows of ${JSON.stringify(e.q)}`);
        assert.equal(new Set(snap.rows.map((r) => r.id)).size, snap.rows.length, 'row ids are distinct');
      }
      // A change is a different result, or the same documents from other rows (a row deleted
      // and an equal one taking its place).
      const json = JSON.stringify(fresh), ids = JSON.stringify(snap.rows.map((r) => r.id));
      const expectChange = json !== e.lastJSON || ids !== e.lastIds;
      assert.equal(e.changes > 0, expectChange, `step ${step}: told of a change (${e.changes}) iff the result changed, ${JSON.stringify(e.q)} ${e.lastJSON} ${json} ${e.lastIds} ${ids}`);
      e.changes = 0;
      e.lastJSON = json;
      e.lastIds = ids;
    }
  }

  const node = () => pick([cmp('equals_', 'n', int(12)), cmp('greaterThan_', 'n', int(12)), cmp('equals_', 's', pick(['x', 'y'])), cmp('equals_', 'g', int(3))]);
  function randomWrite(target) {
    const r = rand();
    if (r < 0.3) return query(target, 'add', { addData: Array.from({ length: 1 + int(3) }, randomDoc) });
    if (r < 0.45) return query(target, 'update', { queryNode: node(), overrideData: chance(0.5) ? { n: int(12) } : { g: int(3), m: chance(0.05) ? 'str' : int(5) }, mustAffectAtLeastOne: false });
    if (r < 0.57) return query(target, 'updateOne', { queryNode: node(), overrideData: chance(0.2) ? { ...anchor } : { n: int(12), s: pick(['x', 'y', 'z']) }, mustAffectAtLeastOne: false });
    if (r < 0.65) return query(target, 'delete', { queryNode: node(), mustAffectAtLeastOne: false });
    if (r < 0.75) return query(target, 'deleteOne', { queryNode: node(), mustAffectAtLeastOne: false });
    if (r < 0.77) return query(target, 'clear', { mustAffectAtLeastOne: false });
    if (r < 0.8) return query(target, 'clearAdd', { addData: Array.from({ length: int(6) }, randomDoc), mustAffectAtLeastOne: false });
    if (r < 0.81) return query(target, 'conformToTemplate', { template: { n: 0, g: 0, s: 'y', m: 1 }, mustAffectAtLeastOne: false });
    if (r < 0.82) return query(target, 'add', { addData: [{ ...anchor }] });
    return query(target, 'add', { addData: [randomDoc()] });
  }

  let step = 0;
  while (db.seq < COMMITS) {
    step++;
    const r = rand();
    const target = db.seq < 200 ? pick(['a', 'b']) : pick(COLLS);
    if (r < 0.05 && db.seq > 5) db.revertTo(Math.max(db.stats().oldestSeq, db.seq - 1 - int(20)));
    else if (r < 0.08) db.undo();
    else if (r < 0.1) db.redo();
    else if (r < 0.115) db.executeQuery(query(target, 'removeCollection', { mustAffectAtLeastOne: false }));
    else if (r < 0.2) {
      const qs = Array.from({ length: 2 + int(2) }, () => randomWrite(pick(COLLS)));
      // A failing member (mustAffectAtLeastOne on nothing) sometimes takes the whole transaction back.
      if (chance(0.2)) qs.push(query(target, 'delete', { queryNode: cmp('equals_', 'n', 999) }));
      db.executeQuery({ className: 'TransactionQuery', version: '1', queries: qs });
    } else db.executeQuery(randomWrite(target));
    check(step);
    if (!openedMid && db.seq > COMMITS / 3) {
      openedMid = true;
      for (const q of liveQueries('b')) watch(q);
      for (const e of watched.slice(0, 6)) e.sub.unsubscribe();
      db.setRetention({ maxCommits: 100 });
      check(step);
    }
  }
  for (const [k, v] of Object.entries(seen)) assert.ok(v > 10, `the run exercised ${k} (${v})`);
  const alive = watched.filter((e) => !e.sub.closed);
  assert.ok(alive.length >= 30, 'a few dozen live queries ran to the end');
  // The 'late' collection appeared, and the mixed-kind sorts failed at some point.
  assert.ok(alive.some((e) => e.q.target === 'late' && e.sub.getSnapshot().result.hitCount > 0));
  await db.close();
  for (const e of alive) assert.equal(e.sub.closed, true, 'close ends every live query');
});
