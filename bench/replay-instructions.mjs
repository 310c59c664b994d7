/*
 * bench/replay-instructions.mjs: x86 instructions per replayed commit for each given wasm build,
 * counted by valgrind's callgrind, so that two builds or two engine versions can be compared on
 * this shared machine, where wall times of separate runs differ more than the builds do.
 * For each build, two processes are counted: one opens a store holding a snapshot of N documents
 * and a log of N single-document commits (the snapshot load, then the replay), the other opens
 * the snapshot alone; everything before the open is the same in both. Their difference over N is
 * the replay's cost per commit: the JS that hands the records over and the engine's work.
 * V8 runs with --no-liftoff (wasm compiled once, by TurboFan) and --single-threaded, which make
 * the count repeatable to about 1%; each pair is counted ROUNDS times and the lowest kept.
 * Not part of any test or of make bench (a pair takes about 80 s under callgrind).
 * Usage: node bench/replay-instructions.mjs A.wasm [B.wasm ...]   (N=20000, ROUNDS=2 by default)
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Database, MemoryStore } from '../js/index.js';
import { storeWithReplayLog } from './replay-store.js';

const N = Number(process.env.N) || 20000;
const self = fileURLToPath(import.meta.url);

/* The counted process: builds the store with the given build, then opens it (with the log or without). */
async function inner(wasmPath, withLog) {
  const wasm = new WebAssembly.Module(readFileSync(wasmPath));
  const { store } = await storeWithReplayLog(N, wasm);
  const { snapshot } = await store.open();
  const snapshotOnly = new MemoryStore();
  await snapshotOnly.writeSnapshot(snapshot);
  const db = await Database.open({ storage: withLog ? store : snapshotOnly, wasm });
  const expected = withLog ? N + 2 : 2;
  if (db.seq !== expected) throw new Error(`opened at seq ${db.seq}, expected ${expected}`);
  await db.close();
}

/* Instructions callgrind counted for one inner process. */
function count(wasmPath, withLog) {
  const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null',
    process.execPath, '--no-liftoff', '--single-threaded', self, '--inner', wasmPath, withLog ? '1' : '0'],
  { encoding: 'utf8', env: { ...process.env, N: String(N) } });
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`callgrind run failed (is valgrind installed?):\n${r.stderr.slice(-2000)}`);
  return Number(m[1]);
}

if (process.argv[2] === '--inner') {
  await inner(process.argv[3], process.argv[4] === '1');
} else {
  const builds = process.argv.slice(2);
  if (!builds.length) { console.error('usage: node bench/replay-instructions.mjs A.wasm [B.wasm ...]'); process.exit(2); }
  const rounds = Number(process.env.ROUNDS) || 2;
  for (const path of builds) {
    let best = Infinity;
    for (let k = 0; k < rounds; k++) best = Math.min(best, (count(path, true) - count(path, false)) / N);
    console.log(`${path}: ${Math.round(best)} instructions per replayed commit (N = ${N}, lowest of ${rounds})`);
  }
}
