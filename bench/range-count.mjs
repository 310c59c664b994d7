/*
 * bench/range-count.mjs: issue 14's declared-index figure for `make bench`: a count of a range
 * holding 1% of 100,000 documents, with `db.createIndex('users', 'age')`, against LokiJS by
 * reference with its binary index on the same field (`ensureIndex('age')`), in one process.
 *
 * Prints the median of many runs of each (different ranges, so nothing is cached by value)
 * and the ratio; never a pass/fail (shared, noisy machines: compare the ratio). Each run's
 * count is checked against the known answer.
 * Usage: node bench/range-count.mjs [N=100000] [RUNS=200]
 */
import loki from 'lokijs';
import { Database } from '../js/index.js';

const N = +(process.argv[2] || 100000);
const RUNS = +(process.argv[3] || 200);
const SPAN = Math.max(1, Math.floor(N / 100));   // 1% of the documents
const users = () => Array.from({ length: N }, (_, i) => ({ id: String(i), name: `sample${i}`, age: i }));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const lows = Array.from({ length: RUNS }, (_, r) => (r * 7919) % (N - SPAN));

function expect(cond, what) { if (!cond) throw new Error(`benchmark sanity check failed: ${what}`); }

const db = await Database.open();
db.executeQuery({ className: 'Query', version: '7', target: 'users', type: 'add', addData: users() });
await db.createIndex('users', 'age');
const range = (lo) => ({ type: 'and_', conditions: [
  { type: 'greaterThanOrEqual_', field: 'age', value: lo, vType: 'auto_', version: '2' },
  { type: 'lessThan_', field: 'age', value: lo + SPAN, vType: 'auto_', version: '2' },
] });
const countQuery = (lo) => ({ className: 'Query', version: '7', target: 'users', type: 'search', queryNode: range(lo), limit: 0 });
const explained = db.explain(countQuery(0));
const hindsightMs = lows.map((lo) => {
  const t = performance.now();
  const hits = db.executeQuery(countQuery(lo)).hitCount;
  const ms = performance.now() - t;
  expect(hits === SPAN, `Hindsight counted ${hits}, not ${SPAN}`);
  return ms;
});
await db.close();

const coll = new loki('bench').addCollection('users', { clone: false });
coll.insert(users());
coll.ensureIndex('age');
const lokiMs = lows.map((lo) => {
  const t = performance.now();
  const hits = coll.count({ age: { $between: [lo, lo + SPAN - 1] } });
  const ms = performance.now() - t;
  expect(hits === SPAN, `LokiJS counted ${hits}, not ${SPAN}`);
  return ms;
});

const h = median(hindsightMs), l = median(lokiMs);
console.log(`\nRange count with a declared index, ${N} documents, a range of ${SPAN} (1%), median of ${RUNS} runs`);
console.log(`plan: ${JSON.stringify(explained)}`);
console.log('| measure | Hindsight (createIndex) | LokiJS by ref (ensureIndex) | ratio | target |');
console.log('| --- | ---: | ---: | ---: | --- |');
console.log(`| count of a 1% range | ${h.toFixed(4)} ms | ${l.toFixed(4)} ms | ${(h / l).toFixed(2)}x | < 0.05 ms |`);
