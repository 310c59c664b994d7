/*
 * bench/wasm-ab.mjs: compares wasm builds of the engine on the replay of 100,000
 * single-document commits, at open (Engine.replayTexts) and in importHistory
 * (Engine.replayBytes), and on an add of 100,000 speed-test documents (Engine.executeValue:
 * the copy into wasm memory, the same for every build, and the engine), in one process: builds alternate round by round, the heap is
 * collected before each timed call, and each build keeps its best time. For deciding a build
 * flag or an engine change on a shared, noisy machine, where two separate runs differ more
 * than the builds do (timing the whole open or import mixes in the garbage the previous
 * build's round left, which swamped a 20% difference). Not part of make bench.
 * Usage: node --expose-gc bench/wasm-ab.mjs A.wasm B.wasm [...]   (ROUNDS=10 by default)
 */
import { readFileSync } from 'node:fs';
import { Database } from '../js/index.js';
import { Engine } from '../js/engine.js';
import { storeWithReplayLog } from './replay-store.js';
import { makeUsers } from './speed-steps.js';

if (typeof globalThis.gc !== 'function') { console.error('run with node --expose-gc'); process.exit(2); }
const builds = process.argv.slice(2).map((path) => [path.split('/').pop(), new WebAssembly.Module(readFileSync(path))]);
if (!builds.length) { console.error('usage: node --expose-gc bench/wasm-ab.mjs A.wasm B.wasm [...]'); process.exit(2); }

// Time spent in the engine's replay calls (the measured part), summed per open or import.
let replayMs = 0;
for (const method of ['replayTexts', 'replayBytes']) {
  const original = Engine.prototype[method];
  Engine.prototype[method] = function timed(...args) {
    const t = performance.now();
    try { return original.apply(this, args); } finally { replayMs += performance.now() - t; }
  };
}

const N = 100000;
// A snapshot of N documents, then N updateOne commits in the log (as bench/commit-core.mjs).
const { store, expected } = await storeWithReplayLog(N);

// The same commits as an exported history on a base of the N documents.
const exporter = await Database.open({ storage: store });
const exported = exporter.exportHistory();
const firstUpdate = exported.commits.findIndex((c) => c.query.type === 'updateOne');
const baseSeq = exported.commits[firstUpdate].seq - 1;
const history = { ...exported, base: { seq: baseSeq, time: exported.commits[firstUpdate - 1].time, db: exporter.at(baseSeq).toDict() }, commits: exported.commits.slice(firstUpdate) };
await exporter.close();

async function timedReplay(open) {
  globalThis.gc();
  replayMs = 0;
  const db = await open();
  const ms = replayMs;
  const same = JSON.stringify(db.toDict()) === expected;
  await db.close();
  if (!same) throw new Error('the replayed state differs');
  return ms;
}

const addQuery = { className: 'Query', version: '7', target: 'users', type: 'add', addData: makeUsers(N) };
let addMs = 0;
const originalExecuteValue = Engine.prototype.executeValue;
Engine.prototype.executeValue = function timed(...args) {
  const t = performance.now();
  try { return originalExecuteValue.apply(this, args); } finally { addMs += performance.now() - t; }
};

async function timedAdd(wasm) {
  const db = await Database.open({ wasm });
  globalThis.gc();
  addMs = 0;
  const result = db.executeQuery(addQuery);
  const ms = addMs;
  await db.close();
  if (result.dbLength !== N) throw new Error('the add failed');
  return ms;
}

const best = new Map(builds.map(([name]) => [name, { open: Infinity, import: Infinity, add: Infinity }]));
for (let round = 0; round < (Number(process.env.ROUNDS) || 10); round++) {
  for (const [name, wasm] of builds) {
    const b = best.get(name);
    b.open = Math.min(b.open, await timedReplay(() => Database.open({ storage: store, wasm })));
    b.import = Math.min(b.import, await timedReplay(() => Database.importHistory(history, { wasm })));
    b.add = Math.min(b.add, await timedAdd(wasm));
  }
}
const rate = (ms) => `${Math.round(N / ms * 1000)} commits/s`;
for (const [name, b] of best) {
  console.log(`${name}: replay at open ${b.open.toFixed(0)} ms (${rate(b.open)}), in importHistory ${b.import.toFixed(0)} ms (${rate(b.import)}); add of ${N} ${b.add.toFixed(1)} ms; best of each`);
}
