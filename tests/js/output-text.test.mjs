/*
 * output-text.test.mjs: big results cross from wasm memory to JS unchanged, whichever way
 * js/engine.js turns them into text (in Node: a Latin-1 copy when the output is all ASCII,
 * UTF-8 decoding otherwise). A non-ASCII byte anywhere (first, middle or last document) must
 * take the decoding path; an ASCII output above the size limit must take the copy.
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
