/*
 * bench/timetravel-ab.mjs: compares wasm builds of the engine on the searches of
 * bench/timetravel.mjs (startsWith_ over N documents after N updateOne commits, present and
 * as of seq 1, N/2 and N), in one process: each build gets its own database with the same
 * commits, builds alternate round by round, and each keeps its best time per search. For
 * deciding an as-of change on a shared, noisy machine, where two separate runs differ more
 * than the builds do. Not part of make bench.
 * Usage: node bench/timetravel-ab.mjs A.wasm B.wasm [...]   (N=100000, ROUNDS=15 by default;
 * FIELD=age: the search filters on age, a member every commit changes, instead of name;
 * APART=1: each build runs each search ROUNDS times in a row instead of alternating, so no
 * other search's memory traffic lands between two of them: interleaved, a sub-0.1 ms search
 * that follows another build's full scan pays for the caches it emptied)
 */
import { readFileSync } from 'node:fs';
import { Database } from '../js/index.js';

const builds = process.argv.slice(2).map((path) => [path.split('/').pop(), new WebAssembly.Module(readFileSync(path))]);
if (!builds.length) { console.error('usage: node bench/timetravel-ab.mjs A.wasm B.wasm [...]'); process.exit(2); }
const N = Number(process.env.N) || 100000;
const now = new Date('2026-01-01T00:00:00Z').toISOString();

async function filled(wasm) {
  let clockMs = Date.parse(now);
  const db = await Database.open({ wasm, clock: () => (clockMs += 1) });
  const users = Array.from({ length: N }, (_, i) => ({ id: String(i), name: `sample${i}`, age: i, createdAt: now, updatedAt: now, nestedObj: { num: i } }));
  db.executeQuery({ className: 'Query', version: '7', target: 'users', type: 'add', addData: users });
  const heapBefore = db.memoryUsage().heapUsed;
  for (let k = 0; k < N; k++) {
    const r = db.executeQuery({ target: 'users', type: 'updateOne', queryNode: { type: 'equals_', field: 'id', value: String((k * 7919) % N) }, overrideData: { age: k, updatedAt: `u${k}` } });
    if (!r.isSuccess) throw new Error(r.errorMessage);
  }
  return { db, growth: db.memoryUsage().heapUsed - heapBefore };
}

const node = process.env.FIELD === 'age' ? { type: 'greaterThan_', field: 'age', value: N - 10 }
  : { type: 'startsWith_', field: 'name', value: 'sample9999', version: '1' };
const seqs = ['present', 1, Math.floor(N / 2), N];
const search = (db, seq) => db.executeQuery({ target: 'users', type: 'search', queryNode: node, ...(seq === 'present' ? {} : { asOf: { seq } }) }).result;

const dbs = [];
for (const [name, wasm] of builds) {
  const d = { name, ...(await filled(wasm)), best: Object.fromEntries(seqs.map((s) => [s, Infinity])) };
  // The first as-of search of the database, apart: it may build what later ones reuse.
  const heap = d.db.memoryUsage().heapUsed;
  const t = performance.now();
  search(d.db, 1);
  d.first = performance.now() - t;
  d.firstHeap = d.db.memoryUsage().heapUsed - heap;
  dbs.push(d);
}
const expected = seqs.map((s) => JSON.stringify(search(dbs[0].db, s)));
for (const d of dbs) seqs.forEach((s, i) => { if (JSON.stringify(search(d.db, s)) !== expected[i]) throw new Error(`${d.name}: the search at ${s} differs`); });

const rounds = Number(process.env.ROUNDS) || 15;
const timed = (d, s) => {
  const t = performance.now();
  search(d.db, s);
  d.best[s] = Math.min(d.best[s], performance.now() - t);
};
if (process.env.APART === '1') {
  for (const d of dbs) for (const s of seqs) for (let round = 0; round < rounds; round++) timed(d, s);
} else {
  for (let round = 0; round < rounds; round++) for (const d of dbs) for (const s of seqs) timed(d, s);
}
const ms = (x) => x.toFixed(x < 1 ? 4 : 2);
for (const d of dbs) {
  const p = d.best.present;
  console.log(`${d.name}: present ${ms(p)} ms; ` + seqs.slice(1).map((s) => `asOf ${s} ${ms(d.best[s])} ms = ${(d.best[s] / p).toFixed(2)}x`).join('; ') +
              `; heap growth ${(d.growth / 1048576).toFixed(1)} MiB; first as-of search ${d.first.toFixed(2)} ms, heap after it +${(d.firstHeap / 1024).toFixed(0)} KiB`);
}
