/*
 * bench/live.mjs: the live-query figures of `make bench`: what keeping a live query up to date
 * costs per commit, against re-running its query. N documents, a live filter with N/100 hits
 * and a live sorted top-50 (getAll by score, limit 50), then COMMITS single-document commits
 * (updateOne by id, changing the score and the group, so rows enter and leave both results).
 * The cost of a live query is measured around its update (engine call, delta, snapshot), and
 * also end to end (the commits' time with the live query, minus without; noisy on a busy
 * machine), median of three interleaved rounds. Each live result is
 * checked against a fresh run at the end. WARMUP commits before each measurement are not
 * counted (the first thousands of calls run before the JIT and wasm tier-up). Prints figures and ratios, never pass/fail.
 * Usage: node bench/live.mjs [N=100000] [COMMITS=10000]
 */
import { Database } from '../js/index.js';
import { LiveQuery } from '../js/live.js';

const N = +(process.argv[2] || 100000);
const COMMITS = +(process.argv[3] || 10000);
const GROUPS = 100;
const WARMUP = 10000;

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
function expect(cond, what) { if (!cond) throw new Error(`benchmark sanity check failed: ${what}`); }
function medianMs(f, runs) {
  const xs = [];
  for (let i = 0; i < runs; i++) { const t = performance.now(); f(); xs.push(performance.now() - t); }
  return xs.sort((a, b) => a - b)[runs >> 1];
}

/* A fixed pseudo-random sequence, so every run does the same commits. */
function prng(seed) {
  let a = seed >>> 0;
  return () => { a = (a + 0x6d2b79f5) >>> 0; let t = Math.imul(a ^ (a >>> 15), a | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

// Time spent inside live updates, per live query (the hook's own loop is a few ns).
const updateMs = new Map();
const originalUpdate = LiveQuery.prototype._update;
LiveQuery.prototype._update = function timedUpdate() {
  const t = performance.now();
  originalUpdate.call(this);
  updateMs.set(this, (updateMs.get(this) ?? 0) + performance.now() - t);
};

const filter = { className: 'Query', version: '7', target: 'users', type: 'search', queryNode: { type: 'equals_', field: 'group', value: 7 } };
const top50 = { className: 'Query', version: '7', target: 'users', type: 'getAll', sortObj: { className: 'SingleSort', version: '1', field: 'score', reversed: true }, limit: 50 };

async function run(liveQueries) {
  const db = await Database.open();
  const rand = prng(2026);
  const users = Array.from({ length: N }, (_, i) => ({ id: String(i), name: `sample${i}`, group: i % GROUPS, score: Math.floor(rand() * 1e6) }));
  db.executeQuery({ className: 'Query', version: '7', target: 'users', type: 'add', addData: users });
  let changes = 0;
  const subs = liveQueries.map((q) => db.live(q, () => { changes++; }));
  const commit = () => {
    const i = Math.floor(rand() * N);
    const r = db.executeQuery({ target: 'users', type: 'updateOne', queryNode: { type: 'equals_', field: 'id', value: String(i) }, overrideData: { score: Math.floor(rand() * 1e6), group: Math.floor(rand() * GROUPS) } });
    if (!r.isSuccess) throw new Error(r.errorMessage);
  };
  // Warm-up (the JIT and wasm tiers), not counted.
  for (let k = 0; k < WARMUP; k++) commit();
  for (const s of subs) updateMs.set(s, 0);
  changes = 0;
  const t = performance.now();
  for (let k = 0; k < COMMITS; k++) commit();
  const totalMs = performance.now() - t;
  const inUpdates = subs.map((s) => updateMs.get(s) ?? 0);
  for (let k = 0; k < subs.length; k++) {
    expect(JSON.stringify(subs[k].getSnapshot().result) === JSON.stringify(db.executeQuery(liveQueries[k])), `live result ${k} equals a fresh run`);
  }
  const rerunMs = liveQueries.map((q) => medianMs(() => db.executeQuery(q), 15));
  const hits = liveQueries.map((q) => db.executeQuery(q).hitCount);
  await db.close();
  return { totalMs, inUpdates, rerunMs, hits, changes };
}

// Three rounds, interleaved, and the median of each figure: the machine's noise moves the
// end-to-end difference most.
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const cases = [['filter (equals_, ~1,000 hits)', filter], ['sorted top-50 (getAll, sortObj, limit 50)', top50]];
const baseMs = [], measured = cases.map(() => []);
for (let round = 0; round < 3; round++) {
  baseMs.push((await run([])).totalMs);
  for (let c = 0; c < cases.length; c++) measured[c].push(await run([cases[c][1]]));
}
const base = { totalMs: median(baseMs) };
const rows = cases.map(([name], c) => {
  const rs = measured[c];
  const perCommitUs = median(rs.map((r) => (r.inUpdates[0] / COMMITS) * 1000));
  const endToEndUs = median(rs.map((r) => ((r.totalMs - base.totalMs) / COMMITS) * 1000));
  const rerunUs = median(rs.map((r) => r.rerunMs[0] * 1000));
  return { name, hits: rs[0].hits[0], perCommitUs, endToEndUs, rerunUs, ratio: rerunUs / perCommitUs, changes: rs[0].changes };
});

console.log(`\nLive queries: ${N.toLocaleString('en')} documents, ${COMMITS.toLocaleString('en')} single-document commits (updateOne by id)`);
console.log(`commit without live queries: ${fmt((base.totalMs / COMMITS) * 1000)} µs`);
console.log('| live query | hits | live update per commit | end to end per commit | re-run of the query | re-run / live |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.hits.toLocaleString('en')} | ${fmt(r.perCommitUs)} µs | ${fmt(r.endToEndUs)} µs | ${fmt(r.rerunUs)} µs | ${fmt(r.ratio)}× |`);
}
console.log(`(changes delivered: ${rows.map((r) => r.changes).join(', ')}; target: re-run / live ≥ 50×)`);
