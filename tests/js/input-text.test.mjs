/*
 * input-text.test.mjs: a query and its commit's metadata reach the engine unchanged through
 * js/engine.js's copies into wasm memory (each text first in an ASCII-sized allocation, then,
 * when it does not fit, one sized for UTF-8). Non-ASCII text in the query, in the cause, or in
 * both must give back exactly what was written, in the documents and in the commit records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Database } from '../../js/index.js';

const add = (addData, cause) => ({ className: 'Query', version: '7', target: 'a', type: 'add', addData, ...(cause === undefined ? {} : { cause }) });
const getAll = () => ({ className: 'Query', version: '7', target: 'a', type: 'getAll' });

test('writes with ASCII and non-ASCII queries and causes store exactly what was given', async () => {
  const db = await Database.open();
  const long = 'é'.repeat(500);   // 1000 UTF-8 bytes: cannot fit the ASCII-sized allocation
  const cases = [
    [{ s: 'plain' }, { why: 'plain' }],
    [{ s: `ünïcödé ${long}` }, { why: 'plain' }],
    [{ s: 'plain' }, { why: `原因 ${long}` }],
    [{ s: `😀 ${long}` }, { why: `😀 ${long}` }],
    [{ s: 'no cause' }, undefined],
  ];
  for (const [doc, cause] of cases) assert.equal(db.executeQuery(add([doc], cause)).isSuccess, true);
  assert.deepEqual(db.executeQuery(getAll()).result, cases.map(([doc]) => doc));
  assert.deepEqual(db.commits().map((c) => c.cause), cases.map(([, cause]) => cause ?? null));
  await db.close();
});

test('a write refused by the engine frees its input and changes nothing', async () => {
  const db = await Database.open();
  db.executeQuery(add([{ s: 'x' }]));
  const bad = { className: 'Query', version: '7', target: 'a', type: 'update', queryNode: { type: 'nope_' }, overrideData: { s: 'é' } };
  const before = db.memoryUsage().heapUsed;
  for (let i = 0; i < 200; i++) assert.equal(db.executeQuery(bad).isSuccess, false);
  assert.ok(db.memoryUsage().heapUsed - before < 64 * 1024, 'failed writes leak no input copies');
  assert.deepEqual(db.executeQuery(getAll()).result, [{ s: 'x' }]);
  await db.close();
});
