/*
 * soak.mjs: a long run of commits with retention through the public Database API, printing the
 * memory curve and failing when memory keeps growing past a bound.
 *
 * Usage: node --expose-gc tests/soak/soak.mjs [--commits N] [--keep K] [--every E]
 *   N commits (default 1,000,000; `make soak`), retention of K commits (default 1,000), a memory
 *   sample every E commits (default 50,000, or N/10 when that is smaller). `make test` runs 50,000.
 * The workload keeps about 500 live documents: each commit adds one, updates one, deletes the
 * oldest, or runs a small transaction (add + update), chosen by a seeded generator.
 * Must stay true: deterministic workload (fixed seed, clock given to the Database); each check is a
 * test line ("ok"/"not ok") and the run ends with "# pass N" / "# fail N" (tests/run-all.mjs counts
 * them). The bound: after the first sample (the warm-up), the engine heap and the JS heap may not
 * exceed 1.25 x (engine) or 1.5 x (JS) their warm-up size + 4 MB (engine) or 8 MB (JS), and wasm memory may not exceed 256 MB; the live data and
 * the kept history are checked against the workload too, so the run cannot pass by doing nothing.
 */
import { Database } from '../../js/index.js';
import { mulberry32 } from '../seeded-random.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const COMMITS = opt('commits', 1_000_000);
const KEEP = opt('keep', 1000);
const EVERY = opt('every', Math.min(50_000, Math.max(1000, Math.floor(COMMITS / 10))));
const LIVE = 500;
const MB = 1024 * 1024;

let tests = 0, failed = 0;
function check(ok, name) {
  tests++;
  if (!ok) failed++;
  console.log(`${ok ? 'ok' : 'not ok'} ${tests} - ${name}`);
}

const generator = mulberry32;

let now = Date.UTC(2026, 0, 1);
const db = await Database.open({ clock: () => now });
db.setRetention({ maxCommits: KEEP });
const random = generator(20261206);
let nextId = 0, oldestId = 0;
const add = () => ({ type: 'add', target: 'items', addData: [{ id: nextId++, v: 0, text: `item ${nextId} ${'x'.repeat(nextId % 40)}` }] });
const update = (v) => ({
  type: 'updateOne', target: 'items', queryNode: { type: 'equals_', field: 'id', value: oldestId + Math.floor(random() * (nextId - oldestId)) },
  overrideData: { v, tags: [v % 7, 'u'] },
});
const removeOldest = () => ({ type: 'deleteOne', target: 'items', queryNode: { type: 'equals_', field: 'id', value: oldestId++ } });

const samples = [];
function sample(commits) {
  globalThis.gc?.();
  const m = db.memoryUsage(), s = db.stats();
  const row = { commits, wasmMB: m.wasmMemory / MB, heapMB: m.heapUsed / MB, jsHeapMB: process.memoryUsage().heapUsed / MB, versions: s.versions, historyKB: s.historyBytes / 1024, kept: s.commits };
  samples.push(row);
  console.log(`# ${String(commits).padStart(8)} commits: wasm ${row.wasmMB.toFixed(1)} MB, engine heap ${row.heapMB.toFixed(2)} MB, JS heap ${row.jsHeapMB.toFixed(1)} MB, versions ${row.versions}, history ${row.historyKB.toFixed(0)} kB, kept commits ${row.kept}`);
}

const started = Date.now();
let ok = true;
for (let i = 1; i <= COMMITS && ok; i++) {
  now += 1000;
  const live = nextId - oldestId;
  const r = random();
  let query;
  if (live < LIVE / 2 || (live < LIVE && r < 0.4)) query = add();
  else if (r < 0.55) query = update(i);
  else if (r < 0.9) query = removeOldest();
  else query = { className: 'TransactionQuery', version: '1', queries: [add(), update(i)] };
  const result = db.executeQuery(query);
  if (!result.isSuccess) {
    check(false, `commit ${i} succeeds (${JSON.stringify(query).slice(0, 200)} -> ${result.errorMessage})`);
    ok = false;
  }
  if (i % EVERY === 0) sample(i);
}
const seconds = (Date.now() - started) / 1000;
console.log(`# ${COMMITS} commits in ${seconds.toFixed(1)} s (${Math.round(COMMITS / seconds)} commits/s), retention ${KEEP} commits`);

check(ok, `all ${COMMITS} commits succeed`);
const count = db.executeQuery({ type: 'count', target: 'items' });
check(count.dbLength === nextId - oldestId, `the live documents are what the workload left (${count.dbLength} == ${nextId - oldestId})`);
const stats = db.stats();
check(stats.seq >= COMMITS, `seq ${stats.seq} counts every commit`);
check(stats.seq - stats.oldestSeq <= KEEP, `retention keeps at most ${KEEP} commits (seq ${stats.seq}, oldest ${stats.oldestSeq})`);
check(stats.oldestSeq === 0 || db.at(stats.oldestSeq).toDict().collections.items !== undefined, 'the oldest kept commit still reads');

if (samples.length >= 2) {
  const warm = samples[0];
  const worst = (key) => Math.max(...samples.slice(1).map((s) => s[key]));
  const heapBound = warm.heapMB * 1.25 + 4, jsBound = warm.jsHeapMB * 1.5 + 8;
  check(worst('heapMB') <= heapBound, `engine heap stays under ${heapBound.toFixed(1)} MB after warm-up (max ${worst('heapMB').toFixed(2)} MB)`);
  check(worst('wasmMB') <= 256, `wasm memory stays under 256 MB (max ${worst('wasmMB').toFixed(1)} MB)`);
  if (globalThis.gc) check(worst('jsHeapMB') <= jsBound, `JS heap stays under ${jsBound.toFixed(1)} MB after warm-up (max ${worst('jsHeapMB').toFixed(1)} MB)`);
  else console.log('# JS heap not bounded: run with --expose-gc to measure it after a collection');
  check(worst('versions') <= warm.versions * 1.5 + 4 * KEEP, `kept versions stay bounded (max ${worst('versions')})`);
} else {
  check(false, 'at least two memory samples (use more commits or a smaller --every)');
}
await db.close();
console.log(`# pass ${tests - failed}`);
console.log(`# fail ${failed}`);
process.exitCode = failed ? 1 : 0;
