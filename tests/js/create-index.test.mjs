/*
 * create-index.test.mjs: Database.createIndex and Database.explain (issue 14): a declared index
 * is used from the first search, answers like a scan, and survives close and reopen through the
 * file store; bad arguments are HindsightError INVALID_ARGUMENT.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Database } from '../../node/index.js';

const search = (value) => ({ className: 'Query', version: '7', type: 'search', target: 'users',
  queryNode: { type: 'greaterThan_', field: 'age', value } });

test('a declared index is planned from the first search, answers as a scan, and survives reopen', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'hs-index-'));
  try {
    const db = await Database.open({ storage: 'file', path: dir });
    db.executeQuery({ className: 'Query', version: '7', type: 'add', target: 'users',
      addData: Array.from({ length: 400 }, (_, i) => ({ name: `u${i}`, age: (i * 37) % 100 })) });
    assert.equal(db.explain(search(98)).plan, 'columns');   // no index yet: the column caches (c/column.h)
    const scanned = db.executeQuery(search(98)).result;
    assert.equal(await db.createIndex('users', 'age'), true);
    assert.equal(db.explain(search(98)).plan, 'rangeIndex');
    assert.deepEqual(db.executeQuery(search(98)).result, scanned);
    await db.close();
    const again = await Database.open({ storage: 'file', path: dir });
    assert.equal(again.explain(search(98)).plan, 'rangeIndex', 'the declaration was kept');
    assert.deepEqual(again.executeQuery(search(98)).result, scanned);
    assert.throws(() => again.explain(null), (e) => e.code === 'INVALID_ARGUMENT');
    await assert.rejects(again.createIndex('users', 3), (e) => e.code === 'INVALID_ARGUMENT');
    await again.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a fork keeps the declared indexes of the database it was forked from', async () => {
  const db = await Database.open();
  db.executeQuery({ className: 'Query', version: '7', type: 'add', target: 'users',
    addData: Array.from({ length: 400 }, (_, i) => ({ name: `u${i}`, age: (i * 37) % 100 })) });
  await db.createIndex('users', 'age');
  assert.equal(db.explain(search(98)).plan, 'rangeIndex');
  const fork = db.fork(db.seq);
  assert.equal(fork.explain(search(98)).plan, 'rangeIndex', 'the fork plans with the declared index from its first search');
  assert.deepEqual(fork.executeQuery(search(98)).result, db.executeQuery(search(98)).result);
  assert.equal(await fork.createIndex('users', 'age'), false, 'already declared in the fork');
  await fork.close();
  await db.close();
});

// Regression: an equality index declared on a field no row holds was built without a hash
// table, and its first lookup read address 0 (in wasm: an endless chain walk, so the old
// engine hangs here and the timeout fails the test).
test('a declared equality index on a field no row holds answers like a scan', { timeout: 20000 }, async () => {
  const db = await Database.open();
  await db.createIndex('users', 'nickname');
  db.executeQuery({ className: 'Query', version: '7', type: 'add', target: 'users',
    addData: Array.from({ length: 40 }, (_, i) => ({ name: `u${i}` })) });
  const find = { className: 'Query', version: '7', type: 'search', target: 'users', queryNode: { type: 'equals_', field: 'nickname', value: 'x' } };
  assert.equal(db.explain(find).plan, 'equalityIndex');
  assert.deepEqual(db.executeQuery(find).result, []);
  const update = { className: 'Query', version: '7', type: 'update', target: 'users', queryNode: { type: 'equals_', field: 'name', value: 'u3' }, overrideData: { nickname: 'x' } };
  assert.equal(db.executeQuery(update).updateCount, 1);
  assert.deepEqual(db.executeQuery(find).result, [{ name: 'u3', nickname: 'x' }]);
  await db.close();
});
