/*
 * output-text.test.mjs: big results cross from wasm memory to JS unchanged, whichever way
 * js/engine.js turns them into text (in Node: a Latin-1 copy when the output is all ASCII,
 * UTF-8 decoding otherwise). A non-ASCII byte anywhere (first, middle or last document) must
 * take the decoding path; an ASCII output above the size limit must take the copy. A result
 * of 4096 documents or more is parsed in slices of 256 at the commas the engine marked
 * (Engine.outputValue): every document must come back whole and in order, whatever its
 * strings hold, at every slice boundary, and a transaction's results (unmarked) too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Database } from '../../js/index.js';

const add = (target, addData) => ({ className: 'Query', version: '7', target, type: 'add', addData });
const getAll = (target) => ({ className: 'Query', version: '7', target, type: 'getAll' });

/* Runs f while counting Buffer#toString('latin1') calls (the copy path). */
function countLatin1(f) {
  const original = Buffer.prototype.toString;
  let calls = 0;
  Buffer.prototype.toString = function (encoding, ...rest) {
    if (encoding === 'latin1') calls++;
    return original.call(this, encoding, ...rest);
  };
  try { return [f(), calls]; } finally { Buffer.prototype.toString = original; }
}

test('a large all-ASCII result is copied as Latin-1 and reads back exactly', async () => {
  const db = await Database.open();
  const docs = Array.from({ length: 3000 }, (_, i) => ({ i, s: `row ${i} "quoted" \\ back\tslash ~\u007f` }));
  db.executeQuery(add('a', docs));
  const [result, calls] = countLatin1(() => db.executeQuery(getAll('a')).result);
  assert.deepEqual(result, docs);
  assert.equal(calls, 1, 'the ASCII output took the Latin-1 copy');
  await db.close();
});

test('a large result with non-ASCII text anywhere is decoded as UTF-8', async () => {
  const db = await Database.open();
  const docs = Array.from({ length: 3000 }, (_, i) => ({ i, s: `row ${i} plain ascii text` }));
  for (const [name, at] of [['first', 0], ['middle', 1500], ['last', 2999]]) {
    const mine = docs.map((d) => ({ ...d }));
    mine[at].s = at === 2999 ? 'ends in é' : 'naïve 日本 \u{1F600}';
    db.executeQuery(add(name, mine));
    const [result, calls] = countLatin1(() => db.executeQuery(getAll(name)).result);
    assert.deepEqual(result, mine, name);
    assert.equal(calls, 0, `${name}: a non-ASCII output is not copied as Latin-1`);
  }
  await db.close();
});

/* Runs f while counting JSON.parse calls (slices: one per 256 documents, plus the envelope). */
function countParses(f) {
  const original = JSON.parse;
  let calls = 0;
  JSON.parse = (...args) => { calls++; return original(...args); };
  try { return [f(), calls]; } finally { JSON.parse = original; }
}

/* Strings that look like the separators a slice is cut at, and keys JSON.parse keeps as own members. */
const tricky = (i) => ({ i, s: `],[{"i":${i}},` + '\\",', ['__proto__']: { p: i }, nested: [{ a: '[' }, ']', { ',': '}' }] });

test('a result of many documents is parsed in slices and reads back exactly, ASCII or not', async () => {
  const db = await Database.open();
  for (const n of [4095, 4096, 4097, 4352, 10000]) {
    const docs = Array.from({ length: n }, (_, i) => JSON.parse(JSON.stringify(tricky(i))));
    for (const at of [0, 255, 256, 257, n - 1]) docs[at].s = `naïve 日本 \u{1F600} ${at}`;
    const target = `t${n}`;
    db.executeQuery(add(target, docs));
    const [result, parses] = countParses(() => db.executeQuery(getAll(target)).result);
    assert.deepEqual(result, docs, `n=${n}`);
    assert.ok(Object.hasOwn(result[7], '__proto__') && result[7].__proto__.p === 7, `n=${n}: __proto__ stays an own member`);
    if (n >= 4096) assert.ok(parses >= Math.ceil(n / 256), `n=${n}: parsed in slices (${parses} parses)`);
    else assert.equal(parses, 1, `n=${n}: parsed whole`);
    // ASCII only: the Latin-1 slices in Node.
    const ascii = docs.map((d, i) => ({ ...d, s: `plain ${i}` }));
    db.executeQuery(add(`${target}a`, ascii));
    assert.deepEqual(db.executeQuery(getAll(`${target}a`)).result, ascii, `n=${n} ascii`);
  }
  // A sorted page, a delete that returns its documents, and a transaction of two big reads.
  const docs = Array.from({ length: 9000 }, (_, i) => ({ i, k: (i * 7919) % 9000 }));
  db.executeQuery(add('s', docs));
  const byK = { className: 'SingleSort', version: '5', field: 'k', reversed: true, vType: 'auto_' };
  const page = db.executeQuery({ className: 'Query', version: '7', target: 's', type: 'search', queryNode: { type: 'greaterThanOrEqual_', field: 'k', value: 0, vType: 'auto_', version: '2' }, sortObj: byK, offset: 3, limit: 6000 }).result;
  assert.deepEqual(page, [...docs].sort((a, b) => b.k - a.k).slice(3, 6003));
  const tx = db.executeQuery({ className: 'TransactionQuery', version: '1', queries: [getAll('s'), getAll('t4096')] });
  assert.equal(tx.isSuccess, true);
  assert.deepEqual(tx.results[0].result, docs);
  assert.equal(tx.results[1].result.length, 4096);
  const removed = db.executeQuery({ className: 'Query', version: '7', target: 's', type: 'delete', queryNode: { type: 'greaterThanOrEqual_', field: 'k', value: 4000, vType: 'auto_', version: '2' }, returnData: true });
  assert.deepEqual(removed.result, docs.filter((d) => d.k >= 4000));
  assert.equal(removed.dbLength, 4000);
  await db.close();
});

test('reading a result in slices leaves its output text as the engine wrote it', async () => {
  const [{ Engine }, { loadEngine }] = await Promise.all([import('../../js/engine.js'), import('../../js/wasm-loader.js')]);
  const engine = new Engine(await loadEngine());
  try {
    const docs = Array.from({ length: 5000 }, (_, i) => ({ i, s: i % 2 ? `naïve ${i}` : `plain ${i}` }));
    engine.execute(JSON.stringify(add('a', docs)), null);
    const query = JSON.stringify(getAll('a'));
    const text = engine.execute(query, null);
    const [value, parses] = countParses(() => engine.executeValue(query, null));
    assert.ok(parses > 5000 / 256, `parsed in slices (${parses} parses)`);
    assert.deepEqual(value.result, docs);
    // The output is kept (under 1 MB): the brackets set while each slice was read are gone.
    assert.equal(engine.output(), text);
  } finally {
    engine.close();
  }
});
