/*
 * input-text.test.mjs: a query and its commit's metadata reach the engine unchanged through
 * js/engine.js's copies into wasm memory (each text first in an ASCII-sized allocation, then,
 * when it does not fit, one sized for UTF-8). Non-ASCII text in the query, in the cause, or in
 * both must give back exactly what was written, in the documents and in the commit records.
 * A big add's documents are written as JSON in slices (js/query-checks.js): the parts must
 * join to exactly JSON.stringify's text, whatever the items hold.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Database } from '../../js/index.js';
import { queryParts } from '../../js/query-checks.js';

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

/* Items JSON writes in every way an array can: holes, undefined and functions (null),
   toJSON, nested arrays, non-ASCII text, numbers of every kind. */
function awkwardItems(n) {
  const items = new Array(n);
  for (let i = 0; i < n; i++) {
    if (i % 997 === 5) continue;   // a hole
    const k = i % 7;
    items[i] = k === 0 ? { i, s: `é${i}😀`, nested: [i, { deep: [null, true] }] }
      : k === 1 ? undefined
      : k === 2 ? { i, toJSON() { return { fromToJSON: this.i }; } }
      : k === 3 ? { i, f() {}, u: undefined, d: new Date(Date.UTC(2026, 0, 1)) }
      : k === 4 ? [i, -0, 1.5e300, 'x']
      : k === 5 ? () => 1
      : { i, key: 'plain' };
  }
  return items;
}

test('a big add is written in slices whose text is exactly JSON.stringify of the query', () => {
  for (const n of [2047, 2048, 2049, 2304, 10000]) {
    const query = { className: 'Query', version: '7', target: 'a', type: 'add', addData: awkwardItems(n), cause: { why: 'é' } };
    const { text } = queryParts(query, 'executeQuery');
    const parts = typeof text === 'string' ? [text] : [...text];
    assert.equal(parts.join(''), JSON.stringify(query), `n=${n}`);
    assert.equal([...text].join(''), JSON.stringify(query), `n=${n}: again, made anew`);
    if (n >= 2048) assert.ok(parts.length > 2, `n=${n}: sliced`);
  }
});

test('a big add with non-ASCII documents stores them exactly; a non-finite number deep in it is refused', async () => {
  const db = await Database.open();
  const docs = Array.from({ length: 5000 }, (_, i) => ({ i, s: i % 3 ? `ascii ${i}` : `ünïcödé ${i} 😀` }));
  assert.equal(db.executeQuery(add(docs)).dbLength, 5000);
  assert.deepEqual(db.executeQuery(getAll()).result, docs);
  const bad = Array.from({ length: 5000 }, (_, i) => ({ i, n: i === 4321 ? NaN : null }));
  assert.throws(() => db.executeQuery(add(bad)), /addData\[4321\]\.n is not a finite number/);
  assert.equal(db.executeQuery(getAll()).result.length, 5000, 'the refused add changed nothing');
  await db.close();
});

test('a big add is checked as its slices are written: a refusal asks no clock and changes nothing', async () => {
  let clockCalls = 0;
  const db = await Database.open({ clock: () => { clockCalls++; return Date.UTC(2026, 0, 1); } });
  db.executeQuery(add([{ s: 'x' }]));
  const calls = clockCalls;
  const late = Array.from({ length: 6000 }, (_, i) => ({ i, n: i === 5999 ? Infinity : null }));
  assert.throws(() => db.executeQuery(add(late)), /addData\[5999\]\.n is not a finite number/);
  const thrower = Array.from({ length: 6000 }, (_, i) => (i === 3000 ? { toJSON() { throw new Error('no JSON here'); } } : { i }));
  assert.throws(() => db.executeQuery(add(thrower)), (error) => error.code === 'INVALID_ARGUMENT' && /cannot be written as JSON: no JSON here/.test(error.message));
  const inShell = { ...add(Array.from({ length: 3000 }, (_, i) => ({ i }))), limit: NaN };
  assert.throws(() => db.executeQuery(inShell), /limit is not a finite number/);
  assert.equal(clockCalls, calls, 'no refused add asked the clock');
  assert.deepEqual(db.executeQuery(getAll()).result, [{ s: 'x' }]);
  assert.equal(db.commits().length, 1);
  await db.close();
});

test('a big add whose text outgrows the first slice\'s guess is copied whole', async () => {
  const db = await Database.open();
  // The first 256 documents are tiny: the guess is ~50 kB; the rest hold 2 kB of non-ASCII each.
  const docs = Array.from({ length: 3000 }, (_, i) => (i < 256 ? { i } : { i, s: `${'é'.repeat(500)}😀${i}` }));
  assert.equal(db.executeQuery(add(docs)).dbLength, 3000);
  assert.deepEqual(db.executeQuery(getAll()).result, docs);
  await db.close();
});

test('strings with an escape, a control escape or non-ASCII at every offset read back exactly, to the last byte of the text', async () => {
  // The engine finds a string's end eight bytes at a time and goes on byte by byte from the
  // first quote, backslash or control byte: put each of them at every offset, in keys too.
  const specials = ['"', '\\', '\n', '\u0001', 'é', '😀', '/'];
  const docs = [];
  for (let length = 0; length <= 20; length++) {
    for (let at = 0; at <= length; at++) {
      for (const special of specials) {
        const s = `${'a'.repeat(at)}${special}${'b'.repeat(length - at)}`;
        docs.push({ [s]: s, plain: 'x'.repeat(length) });
      }
    }
  }
  const db = await Database.open();
  for (const [target, batch] of [['many', docs], ['last', docs.slice(-1)], ['short', [{ k: '\\"' }]]]) {
    assert.equal(db.executeQuery({ ...add(batch), target }).dbLength, batch.length, target);
    assert.deepEqual(db.executeQuery({ ...getAll(), target }).result, batch, target);
  }
  await db.close();
});
