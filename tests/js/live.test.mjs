/*
 * live.test.mjs: the contracts of db.live() (js/live.js): the first result at once, a call
 * only when the result changed, a stable getSnapshot() for React's useSyncExternalStore, the
 * Svelte store contract, unsubscribe() and db.close() ending it, a collection that does not
 * exist yet, collectionPermissions, refused queries, failing sorts, throwing callbacks,
 * revert/undo, and multi-tab rebase. live-model.test.mjs checks the results at scale.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { Database, HindsightError, MemoryStore } from '../../js/index.js';

const q = (target, type, extra = {}) => ({ className: 'Query', version: '7', target, type, ...extra });
const add = (target, ...docs) => q(target, 'add', { addData: docs });
const big = q('t', 'search', { queryNode: { type: 'greaterThan_', field: 'n', value: 5 }, sortObj: { className: 'SingleSort', field: 'n', reversed: false } });

test('the first result comes at once, then one call per commit that changes the result', async () => {
  const db = await Database.open();
  db.executeQuery(add('t', { n: 1 }, { n: 7 }));
  const calls = [];
  const sub = db.live(big, (snapshot, delta) => calls.push({ snapshot, delta }));
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0].snapshot.result, db.executeQuery(big));
  assert.deepEqual(calls[0].delta.added.map((a) => a.doc), [{ n: 7 }]);
  db.executeQuery(add('t', { n: 2 }));            // does not match: only dbLength changes
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[1].delta, { added: [], removed: [], changed: [], moved: [] });
  assert.equal(calls[1].snapshot.result.dbLength, 3);
  db.executeQuery(add('other', { n: 9 }));        // another collection: nothing
  assert.equal(calls.length, 2);
  db.executeQuery(add('t', { n: 6 }));
  assert.equal(calls.length, 3);
  assert.deepEqual(calls[2].delta.added, [{ id: calls[2].snapshot.rows[0].id, index: 0, doc: { n: 6 } }]);
  db.executeQuery(q('t', 'update', { queryNode: { type: 'equals_', field: 'n', value: 7 }, overrideData: { n: 1 } }));
  assert.deepEqual(calls[3].delta.removed.length, 1);
  assert.deepEqual(sub.getSnapshot().result.result, [{ n: 6 }]);
  db.executeQuery(q('t', 'update', { queryNode: { type: 'equals_', field: 'n', value: 6 }, overrideData: { n: 6 } }));
  assert.equal(calls.length, 4, 'an update that changes nothing is not a change');
  await db.close();
});

test('getSnapshot is stable until the result changes (useSyncExternalStore)', async () => {
  const db = await Database.open();
  const sub = db.live(q('t', 'count'));
  const first = sub.getSnapshot();
  assert.equal(sub.getSnapshot(), first);
  let notified = 0;
  const unsubscribe = sub.subscribe(() => { notified++; });
  assert.equal(typeof unsubscribe, 'function');
  notified = 0;
  db.executeQuery(add('u', { n: 1 }));
  assert.equal(sub.getSnapshot(), first, 'unrelated commit: same object');
  assert.equal(notified, 0);
  db.executeQuery(add('t', { n: 1 }));
  assert.notEqual(sub.getSnapshot(), first);
  assert.equal(sub.getSnapshot().result.hitCount, 1);
  assert.equal(notified, 1);
  unsubscribe();
  db.executeQuery(add('t', { n: 2 }));
  assert.equal(notified, 1, 'an unsubscribed callback is not called');
  assert.equal(sub.getSnapshot().result.hitCount, 2, 'the live query itself goes on');
  await db.close();
});

test('subscribe and getSnapshot work detached, as useSyncExternalStore calls them', async () => {
  const db = await Database.open();
  const { subscribe, getSnapshot, unsubscribe } = db.live(q('t', 'count'));
  let calls = 0;
  const stop = subscribe(() => { calls++; });
  const before = getSnapshot();
  db.executeQuery(add('t', { n: 1 }));
  assert.equal(calls, 2);
  assert.notEqual(getSnapshot(), before);
  assert.equal(getSnapshot().result.hitCount, 1);
  stop();
  unsubscribe();
  await db.close();
});

test('subscribe follows the Svelte store contract', async () => {
  const db = await Database.open();
  db.executeQuery(add('t', { n: 8 }));
  const sub = db.live(big);
  const seen = [];
  const stop = sub.subscribe((value) => seen.push(value));
  assert.equal(seen.length, 1, 'called at once');
  assert.equal(seen[0], sub.getSnapshot());
  db.executeQuery(add('t', { n: 9 }));
  assert.equal(seen.length, 2);
  assert.deepEqual(seen[1].result.result, [{ n: 8 }, { n: 9 }]);
  stop();
  db.executeQuery(add('t', { n: 10 }));
  assert.equal(seen.length, 2);
  await db.close();
});

test('unsubscribe() and db.close() end a live query', async () => {
  const db = await Database.open();
  let calls = 0;
  const a = db.live(q('t', 'getAll'), () => { calls++; });
  const b = db.live(q('t', 'getAll'));
  let bCalls = 0;
  b.subscribe(() => { bCalls++; });
  a.unsubscribe();
  assert.equal(a.closed, true);
  a.unsubscribe();   // idempotent
  db.executeQuery(add('t', { n: 1 }));
  assert.equal(calls, 1, 'only the first result');
  assert.equal(bCalls, 2);
  assert.equal(b.closed, false);
  await db.close();
  assert.equal(b.closed, true);
  assert.equal(b.getSnapshot().result.hitCount, 1, 'the last snapshot stays readable');
  assert.throws(() => db.live(q('t', 'getAll')), (e) => e instanceof HindsightError && e.code === 'CLOSED');
});

test('a collection that does not exist yet starts empty, fills when it appears, empties when removed', async () => {
  const db = await Database.open();
  const query = q('later', 'search', { queryNode: { type: 'equals_', field: 'k', value: 1 } });
  const sub = db.live(query);
  assert.deepEqual(sub.getSnapshot().result, db.executeQuery(query));
  assert.deepEqual(sub.getSnapshot().rows, []);
  db.executeQuery(add('later', { k: 1 }, { k: 2 }, { k: 1 }));
  assert.deepEqual(sub.getSnapshot().result, db.executeQuery(query));
  assert.equal(sub.getSnapshot().rows.length, 2);
  db.executeQuery(q('later', 'removeCollection'));
  assert.deepEqual(sub.getSnapshot().result, db.executeQuery(query));
  assert.equal(sub.getSnapshot().rows.length, 0);
  db.executeQuery(add('later', { k: 1 }));
  assert.deepEqual(sub.getSnapshot().result.result, [{ k: 1 }]);
  db.undo();
  assert.deepEqual(sub.getSnapshot().result, db.executeQuery(query));
  await db.close();
});

test('live queries respect collectionPermissions like executeQueryObject', async () => {
  const db = await Database.open();
  db.executeQuery(add('t', { n: 7 }));
  const readOnly = { t: { className: 'Permission', version: '1', allows: ['search', 'getAll'] } };
  const ok = db.live(big, null, { collectionPermissions: readOnly });
  assert.deepEqual(ok.getSnapshot().result, db.executeQueryObject(big, readOnly));
  const countQuery = q('t', 'count');
  let calls = 0;
  const denied = db.live(countQuery, () => { calls++; }, { collectionPermissions: readOnly });
  assert.deepEqual(denied.getSnapshot().result, db.executeQueryObject(countQuery, readOnly));
  assert.equal(denied.getSnapshot().result.errorMessage, 'Operation not permitted.');
  const other = db.live(q('secret', 'getAll'), null, { collectionPermissions: readOnly });
  assert.equal(other.getSnapshot().result.isSuccess, false);
  db.executeQuery(add('t', { n: 8 }));
  db.executeQuery(add('secret', { n: 8 }));
  assert.equal(calls, 1, 'a denied live query is never updated');
  assert.equal(other.getSnapshot().result.isSuccess, false);
  assert.equal(ok.getSnapshot().result.hitCount, 2);
  assert.throws(() => db.live(big, null, { collectionPermissions: [] }), (e) => e.code === 'INVALID_ARGUMENT');
  await db.close();
});

test('writes, transactions, asOf reads and bad queries are refused with INVALID_ARGUMENT', async () => {
  const db = await Database.open();
  db.executeQuery(add('t', { n: 1 }));
  const refused = [
    add('t', { n: 2 }),
    q('t', 'search', { queryNode: { type: 'equals_', field: 'n', value: 1 }, asOf: { seq: 1 } }),
    { className: 'TransactionQuery', version: '1', queries: [q('t', 'getAll')] },
    q('t', 'search', { queryNode: { type: 'noSuchNode_', field: 'n', value: 1 } }),
    q('t', 'search'),
    null,
  ];
  for (const query of refused) {
    assert.throws(() => db.live(query), (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT', JSON.stringify(query));
  }
  assert.throws(() => db.live(q('t', 'getAll'), 'not a function'), (e) => e.code === 'INVALID_ARGUMENT');
  assert.equal(db.seq, 1, 'nothing was written');
  await db.close();
});

test('a sort that fails on mixed kinds gives the failing result, and recovers', async () => {
  const db = await Database.open();
  const query = q('t', 'getAll', { sortObj: { className: 'SingleSort', field: 'v', reversed: false } });
  db.executeQuery(add('t', { v: 1 }, { v: 2 }));
  const sub = db.live(query);
  db.executeQuery(add('t', { v: 'text' }));
  assert.equal(sub.getSnapshot().result.isSuccess, false);
  assert.deepEqual(sub.getSnapshot().result, db.executeQuery(query));
  db.executeQuery(q('t', 'delete', { queryNode: { type: 'equals_', field: 'v', value: 'text' } }));
  assert.equal(sub.getSnapshot().result.isSuccess, true);
  assert.deepEqual(sub.getSnapshot().result, db.executeQuery(query));
  await db.close();
});

test('a throwing callback does not break the commit or the other subscribers', async () => {
  const errors = [];
  const db = await Database.open({ onListenerError: (e) => errors.push(e) });
  let first = true;
  db.live(q('t', 'count'), () => { if (!first) throw new Error('boom'); first = false; });
  let other = 0;
  db.live(q('t', 'count'), () => { other++; });
  const r = db.executeQuery(add('t', { n: 1 }));
  assert.equal(r.isSuccess, true);
  assert.equal(db.seq, 1);
  assert.equal(other, 2);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].message, 'boom');
  await db.close();
});

test('revertTo, undo and redo update live queries', async () => {
  const db = await Database.open();
  const query = q('t', 'getAll', { sortObj: { className: 'SingleSort', field: 'n', reversed: true }, limit: 2 });
  const sub = db.live(query);
  db.executeQuery(add('t', { n: 1 }, { n: 3 }));
  db.executeQuery(add('t', { n: 5 }));
  assert.deepEqual(sub.getSnapshot().result.result, [{ n: 5 }, { n: 3 }]);
  db.undo();
  assert.deepEqual(sub.getSnapshot().result, db.executeQuery(query));
  db.redo();
  assert.deepEqual(sub.getSnapshot().result.result, [{ n: 5 }, { n: 3 }]);
  db.revertTo(0);
  assert.deepEqual(sub.getSnapshot().result, db.executeQuery(query));
  await db.close();
});

/* Two pages share a store; the second page's commits reach the first through a rebase
   (a new engine), after which the live query must still equal a fresh run there. */
test('a multi-tab rebase rebuilds live queries on the new engine', async () => {
  const tails = new Map();
  const locks = { request(name, fn) { const run = (tails.get(name) ?? Promise.resolve()).then(() => fn()); tails.set(name, run.catch(() => {})); return run; } };
  const store = new MemoryStore();
  const a = await Database.open({ name: 'live-rebase', storage: store, locks });
  const b = await Database.open({ name: 'live-rebase', storage: store, locks });
  const query = q('todos', 'getAll', { sortObj: { className: 'SingleSort', field: 'i', reversed: false } });
  const sub = a.live(query);
  for (let i = 0; i < 5; i++) {
    a.executeQuery(add('todos', { by: 'a', i }));
    b.executeQuery(add('todos', { by: 'b', i: i + 0.5 }));
  }
  await Promise.all([a.flush(), b.flush()]);
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline && (a.seq !== b.seq || a.seq < 10)) await new Promise((r) => setTimeout(r, 5));
  assert.equal(a.seq, 10);
  assert.deepEqual(sub.getSnapshot().result, a.executeQuery(query));
  assert.equal(sub.getSnapshot().result.hitCount, 10);
  a.executeQuery(add('todos', { by: 'a', i: 99 }));
  assert.deepEqual(sub.getSnapshot().result, a.executeQuery(query));
  await Promise.all([a.close(), b.close()]);
});

test('live() checks its query and permissions as executeQueryObject does', async () => {
  const db = await Database.open();
  const nan = { type: 'search', target: 'users', queryNode: { type: 'equals_', field: 'score', value: NaN } };
  assert.throws(() => db.live(nan, () => {}), (e) => e.code === 'INVALID_ARGUMENT' && /finite/.test(e.message));
  const throwing = { build() { throw new Error('no'); } };
  assert.throws(() => db.live(throwing, () => {}), (e) => e.code === 'INVALID_ARGUMENT');
  const nullPermissions = { toJSON: () => null };
  assert.throws(() => db.live({ type: 'getAll', target: 'users' }, () => {}, { collectionPermissions: nullPermissions }), (e) => e.code === 'INVALID_ARGUMENT');
  await db.close();
});
