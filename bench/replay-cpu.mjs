/*
 * bench/replay-cpu.mjs: open's and importHistory's replay of 100,000 single-document updateOne
 * commits, in CPU time of this process (process.cpuUsage, best of 3), for comparing two builds on
 * a loaded machine where wall time is mostly waiting. Not part of make bench.
 * Usage: node bench/replay-cpu.mjs [REPO_DIR=.]   (run alternately with another checkout's REPO_DIR)
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
const dir = pathToFileURL(resolve(process.argv[2] || '.')).href;
const { Database, MemoryStore } = await import(dir + '/js/index.js');
const N = 100000;
let clockMs = Date.UTC(2026, 0, 1);
const clock = () => (clockMs += 1);
const now = new Date(clockMs).toISOString();
const doc = (i) => ({ id: String(i), name: `sample${i}`, age: i, createdAt: now, nestedObj: { num: i } });
const store = new MemoryStore();
const w = await Database.open({ storage: store, clock, snapshotEvery: 1, snapshotBytes: 1e12 });
w.executeQuery({ target: 'users', type: 'add', addData: Array.from({ length: N }, (_, i) => doc(i)) });
await w.flush(); await w.close();
const w2 = await Database.open({ storage: store, clock, snapshotEvery: 1e9, snapshotBytes: 1e12 });
for (let k = 0; k < N; k++) w2.executeQuery({ target: 'users', type: 'updateOne', queryNode: { type: 'equals_', field: 'id', value: String((k * 7919) % N) }, overrideData: { age: k } });
await w2.flush(); await w2.close();
const opened = await store.open();
const snapOnly = new MemoryStore();
await snapOnly.writeSnapshot(opened.snapshot);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const best = { open: Infinity, imp: Infinity };
for (let rep = 0; rep < 3; rep++) {
  let t = cpu();
  const plain = await Database.open({ storage: snapOnly });
  const loadMs = cpu() - t;
  await plain.close();
  t = cpu();
  const r = await Database.open({ storage: store });
  const openMs = cpu() - t;
  best.open = Math.min(best.open, openMs - loadMs);
  const history = r.exportHistory();
  const first = history.commits.findIndex((c) => c.query.type === 'updateOne');
  const baseSeq = history.commits[first].seq - 1;
  const rest = { ...history, base: { seq: baseSeq, time: history.commits[first - 1].time, db: r.at(baseSeq).toDict() }, commits: history.commits.slice(first) };
  await r.close();
  t = cpu();
  const b = await Database.fromDict(rest.base.db);
  const baseMs = cpu() - t;
  await b.close();
  t = cpu();
  const imp = await Database.importHistory(rest);
  best.imp = Math.min(best.imp, cpu() - t - baseMs);
  await imp.close();
}
console.log(`${dir}: open ${Math.round(N / best.open * 1000)}/s import ${Math.round(N / best.imp * 1000)}/s (cpu time, best of 3)`);
