/*
 * bench/wasm-ab.mjs: compares wasm builds of the engine on open's replay of 100,000
 * single-document commits, in one process, alternating builds round by round and keeping each
 * build's best wall and CPU time. For deciding a build flag or an engine change on a shared,
 * noisy machine, where two separate runs differ more than the builds do. Not part of make bench.
 * Usage: node bench/wasm-ab.mjs A.wasm B.wasm [...]   (ROUNDS=5 by default)
 */
import { readFileSync } from 'node:fs';
import { Database, MemoryStore } from '../js/index.js';

const builds = process.argv.slice(2).map((path) => [path.split('/').pop(), new WebAssembly.Module(readFileSync(path))]);
if (!builds.length) { console.error('usage: node bench/wasm-ab.mjs A.wasm B.wasm [...]'); process.exit(2); }
const N = 100000;
let clockMs = Date.UTC(2026, 0, 1);
const clock = () => (clockMs += 1);
const now = new Date(clockMs).toISOString();
const doc = (i) => ({ id: String(i), name: `sample${i}`, age: i, createdAt: now, nestedObj: { num: i } });

// A snapshot of N documents, then N updateOne commits in the log (as bench/commit-core.mjs).
const store = new MemoryStore();
const writer = await Database.open({ storage: store, clock, snapshotEvery: 1e9, snapshotBytes: 1e12 });
writer.executeQuery({ target: 'users', type: 'add', addData: Array.from({ length: N }, (_, i) => doc(i)) });
await writer.flush(); await writer.close();
const snapshotter = await Database.open({ storage: store, snapshotEvery: 1 });
snapshotter.executeQuery({ target: 'x', type: 'add', addData: [{}] });
await snapshotter.flush(); await snapshotter.close();
const updater = await Database.open({ storage: store, clock, snapshotEvery: 1e9, snapshotBytes: 1e12 });
for (let k = 0; k < N; k++) updater.executeQuery({ target: 'users', type: 'updateOne', queryNode: { type: 'equals_', field: 'id', value: String((k * 7919) % N) }, overrideData: { age: k } });
const expected = JSON.stringify(updater.toDict());
await updater.flush(); await updater.close();
const snapshotOnly = new MemoryStore();
await snapshotOnly.writeSnapshot((await store.open()).snapshot);

const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const best = new Map(builds.map(([name]) => [name, { wall: Infinity, cpu: Infinity }]));
for (let round = 0; round < (Number(process.env.ROUNDS) || 5); round++) {
  for (const [name, wasm] of builds) {
    let t = performance.now(), c = cpu();
    const loaded = await Database.open({ storage: snapshotOnly, wasm });
    const loadWall = performance.now() - t, loadCpu = cpu() - c;
    await loaded.close();
    t = performance.now(); c = cpu();
    const opened = await Database.open({ storage: store, wasm });
    const wall = performance.now() - t - loadWall, used = cpu() - c - loadCpu;
    if (JSON.stringify(opened.toDict()) !== expected) throw new Error(`${name}: the replayed state differs`);
    await opened.close();
    const b = best.get(name);
    b.wall = Math.min(b.wall, wall);
    b.cpu = Math.min(b.cpu, used);
  }
}
for (const [name, b] of best) console.log(`${name}: replay of ${N} commits, best wall ${b.wall.toFixed(0)} ms (${Math.round(N / b.wall * 1000)} commits/s), best CPU ${b.cpu.toFixed(0)} ms`);
