/*
 * bench/commit-core.mjs: the commit-table figures of `make bench` (issue 9): snapshot size
 * against the JSON of the documents, engine memory for single-document commits against the
 * bytes of the changed documents (with a breakdown by part), stats() time, and how fast
 * opening (log replay), importHistory and a multi-tab rebase replay single-document commits.
 * Prints figures and targets, never pass/fail. The three replay rates are each timed in
 * TRIALS runs (the heap collected before each when run with --expose-gc, as make bench does):
 * the median and the best are printed, since one run on a shared machine swings by 30%.
 * Usage: node --expose-gc bench/commit-core.mjs [N=100000] [SNAP_N=20000]
 */
import { Database, MemoryStore } from '../js/index.js';

const N = +(process.argv[2] || 100000);
const SNAP_N = +(process.argv[3] || 20000);
let clockMs = Date.UTC(2026, 0, 1);
const clock = () => (clockMs += 1);
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
function expect(cond, what) { if (!cond) throw new Error(`benchmark sanity check failed: ${what}`); }
const now = new Date(clockMs).toISOString();
const doc = (i) => ({ id: String(i), name: `sample${i}`, age: i, createdAt: now, nestedObj: { num: i } });
const rows = [];
const TRIALS = 3;

/* fn() -> ms, run TRIALS times: the median and the best, and the rates they give for n commits. */
async function trials(n, fn) {
  const ms = [];
  for (let k = 0; k < TRIALS; k++) {
    globalThis.gc?.();
    ms.push(await fn());
  }
  ms.sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)], best = ms[0];
  return { median, best, rate: `${Math.round(n / (median / 1000))} commits/s (best of ${TRIALS}: ${Math.round(n / (best / 1000))})` };
}

/* Snapshot size: a database built by one add of n documents, and by n adds of one. */
async function snapshotRatio(n, single) {
  const store = new MemoryStore();
  const db = await Database.open({ storage: store, clock, snapshotEvery: single ? n : 1 });
  const docs = Array.from({ length: n }, (_, i) => doc(i));
  if (single) for (const d of docs) db.executeQuery({ target: 'users', type: 'add', addData: [d] });
  else db.executeQuery({ target: 'users', type: 'add', addData: docs });
  await db.flush();
  await db.close();
  const { snapshot, records } = await store.open();
  expect(snapshot && records.length === 0, 'one snapshot holds everything');
  const json = JSON.stringify(docs).length;
  return { json, snap: snapshot.text.length };
}
for (const single of [false, true]) {
  const { json, snap } = await snapshotRatio(SNAP_N, single);
  rows.push([`snapshot of ${SNAP_N} documents ${single ? `added one per commit (${SNAP_N} commits)` : 'added in one commit'}`,
    `${(snap / 1e6).toFixed(2)} MB / ${(json / 1e6).toFixed(2)} MB JSON = ${(snap / json).toFixed(2)}x`, '<= 1.2x']);
}

/* Memory and stats: N documents, then N updateOne commits. */
const db = await Database.open({ clock });
db.executeQuery({ target: 'users', type: 'add', addData: Array.from({ length: N }, (_, i) => doc(i)) });
/* The equality index on id that the filters below use is built by three reads first: it is
   memory of an index (the same for a read-only workload), not of the commits. */
for (let i = 0; i < 3; i++) db.executeQuery({ target: 'users', type: 'searchOne', queryNode: { type: 'equals_', field: 'id', value: String(i) } });
const { heapUsed: heapBefore, parts: partsBefore } = db.memoryUsage({ parts: true });
const t0 = performance.now();
for (let k = 0; k < N; k++) {
  const i = (k * 7919) % N;
  const r = db.executeQuery({ target: 'users', type: 'updateOne', queryNode: { type: 'equals_', field: 'id', value: String(i) }, overrideData: { age: k } });
  if (!r.isSuccess) throw new Error(r.errorMessage);
}
const updateMs = performance.now() - t0;
const { heapUsed: heapAfter, parts: partsAfter } = db.memoryUsage({ parts: true });
const sample = db.executeQuery({ target: 'users', type: 'searchOne', queryNode: { type: 'equals_', field: 'id', value: '0' } }).result[0];
const changedBytes = N * JSON.stringify(sample).length;
rows.push([`${N} updateOne commits on ${N} documents`, `${fmt(updateMs)} ms = ${Math.round(N / (updateMs / 1000))} commits/s`, '']);
/* Where the bytes of those commits went, per commit (payload by part; the rest is the
   allocator's per-block overhead and anything not counted, such as index growth). */
const breakdown = [];
let counted = 0;
for (const part of Object.keys(partsAfter)) {
  if (part === 'blocks') continue;
  const d = partsAfter[part] - partsBefore[part];
  counted += d;
  breakdown.push([part, d]);
}
breakdown.push([`allocator overhead and other (${((partsAfter.blocks - partsBefore.blocks) / N).toFixed(2)} more blocks per commit)`, heapAfter - heapBefore - counted]);
rows.push([`engine memory for those commits`, `${((heapAfter - heapBefore) / 1048576).toFixed(1)} MiB = ${((heapAfter - heapBefore) / changedBytes).toFixed(2)}x the ${(changedBytes / 1048576).toFixed(1)} MiB of changed documents`, '<= 1.5x']);
const statsTimes = [];
for (let i = 0; i < 21; i++) { const t = performance.now(); db.stats(); statsTimes.push(performance.now() - t); }
statsTimes.sort((a, b) => a - b);
rows.push([`db.stats() with ${N} documents and ${N + 1} commits (median)`, `${fmt(statsTimes[10] * 1000)} µs`, '< 1 ms']);

/* Replay at open: a snapshot holding the N documents, then N single-document commits in the log. */
const store = new MemoryStore();
const w = await Database.open({ storage: store, clock, snapshotEvery: 1e9, snapshotBytes: 1e12 });
w.executeQuery({ target: 'users', type: 'add', addData: Array.from({ length: N }, (_, i) => doc(i)) });
await w.flush();
await w.close();
const base = await Database.open({ storage: store, snapshotEvery: 1 });   // writes a snapshot of the add
base.executeQuery({ target: 'x', type: 'add', addData: [{}] });
await base.flush();
await base.close();
const w2 = await Database.open({ storage: store, clock, snapshotEvery: 1e9, snapshotBytes: 1e12 });
for (let k = 0; k < N; k++) {
  w2.executeQuery({ target: 'users', type: 'updateOne', queryNode: { type: 'equals_', field: 'id', value: String((k * 7919) % N) }, overrideData: { age: k } });
}
await w2.flush();
const finalText = JSON.stringify(w2.toDict());
await w2.close();
const opened = await store.open();
expect(opened.records.length === N, 'the log holds the commits');
const snapOnly = new MemoryStore();
await snapOnly.writeSnapshot(opened.snapshot);
let loadMs = 0;
const open = await trials(N, async () => {
  let t = performance.now();
  const plain = await Database.open({ storage: snapOnly });
  loadMs = performance.now() - t;
  await plain.close();
  t = performance.now();
  const db = await Database.open({ storage: store });
  const ms = performance.now() - t - loadMs;
  expect(JSON.stringify(db.toDict()) === finalText, 'reopened state');
  await db.close();
  return ms;
});
const reopened = await Database.open({ storage: store });
rows.push([`open: load the snapshot (${fmt(loadMs)} ms) + replay ${N} single-document commits (median ${fmt(open.median)} ms)`, open.rate, '>= 200,000/s']);

/* importHistory: a base holding the N documents, then the N commits. */
const history = reopened.exportHistory();
const firstUpdate = history.commits.findIndex((c) => c.query.type === 'updateOne');
const baseSeq = history.commits[firstUpdate].seq - 1;
const rest = { ...history, base: { seq: baseSeq, time: history.commits[firstUpdate - 1].time, db: reopened.at(baseSeq).toDict() }, commits: history.commits.slice(firstUpdate) };
await reopened.close();
let baseMs = 0;
const imports = await trials(rest.commits.length, async () => {
  let t = performance.now();
  const baseDb = await Database.fromDict(rest.base.db);
  baseMs = performance.now() - t;
  await baseDb.close();
  t = performance.now();
  const imported = await Database.importHistory(rest);
  const ms = performance.now() - t - baseMs;
  expect(JSON.stringify(imported.toDict()) === finalText, 'imported state');
  await imported.close();
  return ms;
});
rows.push([`importHistory: base (${fmt(baseMs)} ms) + replay ${rest.commits.length} single-document commits (median ${fmt(imports.median)} ms)`, imports.rate, '>= 200,000/s']);
await db.close();

/* Rebase (js/rebase.js): two tabs share one store (an in-process lock in the role of Web
   Locks). Tab A makes N single-document commits and has written none when tab B writes one
   commit; A's next write then rebases: its engine forked at the shared seq, B's commit
   replayed, and A's N commits replayed on top. Timed from the store's answer to A's
   readSince to A's onRebase hook, so it is the rebase alone (not the store's writes; the heap
   is collected just before). */
let trial = 0;
const rebase = await trials(N, async () => {
  const tails = new Map();
  const locks = { request(name, fn) { const run = (tails.get(name) ?? Promise.resolve()).then(() => fn()); tails.set(name, run.catch(() => {})); return run; } };
  const shared = new MemoryStore();
  await shared.writeSnapshot(opened.snapshot);   // the N documents (and the N commits' base)
  let readAt = 0, rebaseMs = null, kept = 0;
  const sharedStore = {
    open: () => shared.open(), append: (r) => shared.append(r), writeSnapshot: (s) => shared.writeSnapshot(s), close: () => shared.close(),
    async readSince(seq) { const got = await shared.readSince(seq); globalThis.gc?.(); readAt = performance.now(); return got; },
  };
  const onRebase = (r) => { rebaseMs = performance.now() - readAt; kept = r.kept.length; };
  const name = `bench-rebase-${trial++}`;
  const tabA = await Database.open({ name, storage: sharedStore, locks, clock, onRebase, snapshotEvery: 1e9, snapshotBytes: 1e12 });
  const tabB = await Database.open({ name, storage: sharedStore, locks, clock, snapshotEvery: 1e9, snapshotBytes: 1e12 });
  const from = tabA.seq;
  for (let k = 0; k < N; k++) {
    tabA.executeQuery({ target: 'users', type: 'updateOne', queryNode: { type: 'equals_', field: 'id', value: String((k * 7919) % N) }, overrideData: { age: k } });
  }
  tabB.executeQuery({ target: 'other', type: 'add', addData: [{ by: 'B' }] });
  await tabB.flush();   // B takes the lock first: A's write is still only scheduled
  await tabA.flush();
  expect(rebaseMs !== null && kept === N && tabA.seq === from + N + 1, 'tab A rebased all its commits onto B\'s');
  await tabB.flush();
  const expected = JSON.parse(finalText);
  expected.collections.other = tabA.toDict().collections.other;
  expect(JSON.stringify(tabA.toDict().collections.users) === JSON.stringify(expected.collections.users), 'rebased state');
  await tabA.close();
  await tabB.close();
  return rebaseMs;
});
rows.push([`rebase: fork + replay 1 incoming + ${N} own single-document commits (median ${fmt(rebase.median)} ms)`, rebase.rate, '>= 200,000/s']);

console.log(`\nCommit core (issue 9), N = ${N}\n`);
console.log('| measure | figure | target |');
console.log('| --- | ---: | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`\nEngine memory of the ${N} updateOne commits, by part (bytes per commit; a changed document is ${(changedBytes / N).toFixed(1)} bytes of JSON)\n`);
console.log('| part | bytes per commit | share |');
console.log('| --- | ---: | ---: |');
for (const [part, d] of breakdown) console.log(`| ${part} | ${(d / N).toFixed(1)} | ${((100 * d) / (heapAfter - heapBefore)).toFixed(1)}% |`);
