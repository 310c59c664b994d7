/*
** view-pins.test.mjs: views pin what they read (issue 9 item 5, js/retention.js). A view from
** db.at(s) keeps reading the state at s while retention runs; view.release() unpins it, and
** retention then passes s; a view garbage-collected without release is unpinned by a
** FinalizationRegistry; reads through a released view throw CLOSED.
** Expected states are copies taken right after each commit (toDict), never the view's own output.
** The garbage-collection case needs gc(): it turns it on with v8.setFlagsFromString, which
** Node allows at run time, so `node --test tests/js/` runs it without --expose-gc.
** Run: node --test tests/js/view-pins.test.mjs
*/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Database, HindsightError } from '../../js/index.js';

const query = (target, type, extra = {}) => ({ className: 'Query', version: '7', target, type, ...extra });
const add = (target, addData) => query(target, 'add', { addData });
const equals = (field, value) => ({ type: 'equals_', field, value, vType: 'auto_', version: '2' });
const setCount = (n) => query('c', 'update', { queryNode: equals('id', 1), overrideData: { n } });
const isCode = (code) => (e) => e instanceof HindsightError && e.code === code;

/* A database with one document ({ id: 1, n }) added, then updated `updates` times (n = 1, 2, ...):
   every commit leaves an old version behind. */
async function counterDb(updates) {
  const db = await Database.open();
  const states = [JSON.stringify(db.toDict())];   // states[s]: the state right after commit s
  db.executeQuery(add('c', [{ id: 1, n: 0 }]));
  states.push(JSON.stringify(db.toDict()));
  for (let i = 1; i <= updates; i++) {
    db.executeQuery(setCount(i));
    states.push(JSON.stringify(db.toDict()));
  }
  return { db, states };
}

test('a view keeps reading the state at its seq while retention with maxCommits 1 runs for many commits', async () => {
  const { db, states } = await counterDb(10);
  const s = 5;
  const view = db.at(s);
  const want = { dict: states[s], doc: { id: 1, n: s - 1 } };
  db.setRetention({ maxCommits: 1 });
  for (let i = 11; i <= 400; i++) {
    db.executeQuery(setCount(i));
    if (i % 50 === 0) {
      assert.ok(db.stats().oldestSeq <= s, `after ${i} updates oldestSeq ${db.stats().oldestSeq} passed the pinned seq ${s}`);
      assert.equal(JSON.stringify(view.toDict()), want.dict);
      assert.deepEqual(view.executeQuery(query('c', 'searchOne', { queryNode: equals('id', 1) })).result, [want.doc]);
    }
  }
  // The history after the pin is still freed down to it: nothing older than s stays readable.
  assert.equal(db.stats().oldestSeq, s);
  assert.throws(() => db.at(s - 1), isCode('TOO_OLD'));
  assert.equal(JSON.stringify(view.toDict()), want.dict);
  await db.close();
});

test('after release, reads through the view throw CLOSED and retention passes its seq', async () => {
  const { db, states } = await counterDb(300);
  const s = 10;
  const view = db.at(s);
  db.setRetention({ maxCommits: 1 });
  assert.equal(db.stats().oldestSeq, s);
  const pinnedBytes = db.stats().historyBytes;
  assert.equal(JSON.stringify(view.toDict()), states[s]);
  view.release();
  view.release();   // idempotent
  assert.throws(() => view.toDict(), isCode('CLOSED'));
  assert.throws(() => view.executeQuery(query('c', 'getAll')), isCode('CLOSED'));
  assert.throws(() => view.executeQueryObject(query('c', 'getAll'), {}), isCode('CLOSED'));
  const after = db.stats();
  assert.ok(after.oldestSeq > s, `oldestSeq ${after.oldestSeq} should pass the released seq ${s}`);
  assert.equal(after.oldestSeq, db.seq - 1);
  assert.ok(after.historyBytes < pinnedBytes, `the versions the view read are freed (${after.historyBytes} < ${pinnedBytes} bytes)`);
  assert.throws(() => db.at(s), isCode('TOO_OLD'));
  await db.close();
});

test('two views of one seq: the seq stays pinned until both are released', async () => {
  const { db, states } = await counterDb(200);
  const a = db.at(7), b = db.at(7);
  db.setRetention({ maxCommits: 1 });
  a.release();
  assert.equal(db.stats().oldestSeq, 7);
  assert.equal(JSON.stringify(b.toDict()), states[7]);
  const c = db.at(150);
  b.release();
  assert.equal(db.stats().oldestSeq, 150, 'the next oldest pin holds the horizon');
  assert.equal(JSON.stringify(c.toDict()), states[150]);
  c.release();
  assert.equal(db.stats().oldestSeq, db.seq - 1);
  await db.close();
});

test('a pin holds against maxAgeMs too, and views older than the kept history are TOO_OLD when taken', async () => {
  let now = 1_000_000;
  const db = await Database.open({ clock: () => (now += 1000) });
  db.executeQuery(add('c', [{ id: 1, n: 0 }]));
  for (let i = 1; i <= 100; i++) db.executeQuery(setCount(i));
  const dictAt3 = JSON.stringify(db.fork(3).toDict());
  const view = db.at(3);
  db.setRetention({ maxAgeMs: 10_000 });
  assert.equal(db.stats().oldestSeq, 3);
  assert.equal(JSON.stringify(view.toDict()), dictAt3);
  view.release();
  assert.ok(db.stats().oldestSeq >= db.seq - 11, `oldestSeq ${db.stats().oldestSeq} follows maxAgeMs once released`);
  assert.throws(() => db.at(3), isCode('TOO_OLD'));
  // asOf reads cannot pin: they answer or fail at once, as before.
  const r = db.executeQuery({ ...query('c', 'getAll'), asOf: { seq: 3 } });
  assert.equal(r.isSuccess, false);
  assert.match(r.errorMessage, /older than the kept history/);
  await db.close();
});

test('a view garbage-collected without release is unpinned (FinalizationRegistry)', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const { db, states } = await counterDb(300);
  // The view lives only inside this function; nothing keeps it once it returns.
  const readOnce = () => JSON.stringify(db.at(20).toDict());
  assert.equal(readOnce(), states[20]);
  db.setRetention({ maxCommits: 1 });
  assert.equal(db.stats().oldestSeq, 20, 'the unreleased view still pins seq 20');
  for (let i = 0; i < 50 && db.stats().oldestSeq <= 20; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));   // finalizers run as tasks
  }
  assert.equal(db.stats().oldestSeq, db.seq - 1, 'the collected view no longer pins its seq');
  await db.close();
});

test('a view collected after its database closed unpins without touching the closed engine', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const { db } = await counterDb(5);
  (() => { db.at(2); })();
  db.setRetention({ maxCommits: 1 });
  await db.close();
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(db.closed, true);
});
