/*
 * bench/timetravel.mjs: the time-travel figures of `make bench`: as-of reads against present
 * reads, the cost of at() and of a diff of adjacent commits, memory growth of history, and
 * how fast importHistory replays commits. Prints figures and ratios, never pass/fail.
 * Usage: node bench/timetravel.mjs [N=100000] [COMMITS=N]
 */
import { Database } from '../js/index.js';

const N = +(process.argv[2] || 100000);
const COMMITS = +(process.argv[3] || N);
const now = new Date('2026-01-01T00:00:00Z').toISOString();
let clockMs = Date.parse(now);
const clock = () => (clockMs += 1);

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
function time(f) { const t = performance.now(); const r = f(); return [performance.now() - t, r]; }
/* The median of several runs of a cheap call, in ms. */
function medianMs(f, runs = 21) {
  const xs = [];
  for (let i = 0; i < runs; i++) xs.push(time(f)[0]);
  return xs.sort((a, b) => a - b)[runs >> 1];
}
function expect(cond, what) { if (!cond) throw new Error(`benchmark sanity check failed: ${what}`); }

const db = await Database.open({ clock });
const users = Array.from({ length: N }, (_, i) => ({ id: String(i), name: `sample${i}`, age: i, createdAt: now, updatedAt: now, nestedObj: { num: i } }));
db.executeQuery({ className: 'Query', version: '7', target: 'users', type: 'add', addData: users });
const heapBefore = db.memoryUsage().heapUsed;

// COMMITS single-document commits: updateOne by id, as an app updating records does.
let changedBytes = 0;
const [updateMs] = time(() => {
  for (let k = 0; k < COMMITS; k++) {
    const i = (k * 7919) % N;
    const r = db.executeQuery({ target: 'users', type: 'updateOne', queryNode: { type: 'equals_', field: 'id', value: String(i) }, overrideData: { age: k, updatedAt: `u${k}` } });
    if (!r.isSuccess) throw new Error(r.errorMessage);
  }
});
// The bytes of the changed documents: each commit's new version, as JSON text.
for (const c of [0, 1, 2]) changedBytes += 0;
const sample = db.executeQuery({ target: 'users', type: 'searchOne', queryNode: { type: 'equals_', field: 'id', value: '0' } }).result[0];
changedBytes = COMMITS * JSON.stringify(sample).length;
const heapAfter = db.memoryUsage().heapUsed;
expect(db.seq === COMMITS + 1, 'commit count');

// A search that reads every document and returns a few: present against as-of.
const node = { type: 'startsWith_', field: 'name', value: 'sample9999', version: '1' };
const present = () => db.executeQuery({ target: 'users', type: 'search', queryNode: node }).result.length;
const asOf = (seq) => () => db.executeQuery({ target: 'users', type: 'search', queryNode: node, asOf: { seq } }).result.length;
expect(present() === asOf(db.seq)(), 'as-of latest equals present');
// The first as-of search, apart: it builds the collection's run summary (coll.h) that later
// as-of reads reuse and writes keep up to date.
const heapBeforeFirst = db.memoryUsage().heapUsed;
const [firstAsOfMs] = time(asOf(1));
const firstAsOfHeap = db.memoryUsage().heapUsed - heapBeforeFirst;
const presentMs = medianMs(present, 11);
const asOfMs = {};
for (const seq of [1, Math.floor(COMMITS / 2), COMMITS]) asOfMs[seq] = medianMs(asOf(seq), 11);

// at(): by seq and by time.
const atSeqMs = medianMs(() => db.at(Math.floor(COMMITS / 3)).seq, 101);
const atTimeMs = medianMs(() => db.at(new Date(Date.parse(now) + COMMITS / 2)).seq, 101);
// diff of two adjacent one-document commits.
const diffMs = medianMs(() => Object.keys(db.diff(COMMITS - 1, COMMITS)).length, 101);

// Export and import: replay speed.
const [exportMs, history] = time(() => db.exportHistory());
const t0 = performance.now();
const copy = await Database.importHistory(history, { clock });
const importMs = performance.now() - t0;
expect(copy.seq === db.seq, 'import seq');
expect(JSON.stringify(copy.at(Math.floor(COMMITS / 2)).toDict()) === JSON.stringify(db.at(Math.floor(COMMITS / 2)).toDict()), 'import state');

// The same without the first commit (the add of N documents): the base holds them, so the
// import is loading that snapshot plus replaying COMMITS single-document commits.
const base1 = { seq: 1, time: history.commits[0].time, db: db.at(1).toDict() };
const rest = { ...history, base: base1, commits: history.commits.slice(1) };
let t1 = performance.now();
const baseOnly = await Database.fromDict(base1.db);
const baseMs = performance.now() - t1;
await baseOnly.close();
t1 = performance.now();
const copy2 = await Database.importHistory(rest, { clock });
const import2Ms = performance.now() - t1;
expect(copy2.seq === db.seq, 'import without the add: seq');
await copy2.close();

console.log(`\nTime travel, ${N} documents, ${COMMITS} updateOne commits (ms; medians of repeated runs)\n`);
console.log('| measure | figure | target |');
console.log('| --- | ---: | --- |');
console.log(`| ${COMMITS} updateOne commits (by id) | ${fmt(updateMs)} ms = ${Math.round(COMMITS / (updateMs / 1000))} commits/s | |`);
console.log(`| search over ${N} docs, present state | ${fmt(presentMs)} ms | |`);
console.log(`| first search asOf seq 1 (builds the run summary: +${(firstAsOfHeap / 1024).toFixed(0)} KiB heap) | ${fmt(firstAsOfMs)} ms | |`);
for (const [seq, ms] of Object.entries(asOfMs)) console.log(`| same search asOf seq ${seq} | ${fmt(ms)} ms = ${(ms / presentMs).toFixed(2)}x present | <= 2x |`);
console.log(`| db.at(seq) | ${fmt(atSeqMs * 1000)} µs | < 1 ms |`);
console.log(`| db.at(Date) | ${fmt(atTimeMs * 1000)} µs | < 1 ms |`);
console.log(`| diff of adjacent one-document commits | ${fmt(diffMs * 1000)} µs | < 1 ms |`);
console.log(`| heap growth for ${COMMITS} commits | ${((heapAfter - heapBefore) / 1048576).toFixed(1)} MiB = ${((heapAfter - heapBefore) / changedBytes).toFixed(2)}x the ${(changedBytes / 1048576).toFixed(1)} MiB of changed documents (JSON) | <= 3x |`);
console.log(`| exportHistory | ${fmt(exportMs)} ms | |`);
console.log(`| importHistory, whole history (the add of ${N} documents, then ${COMMITS} commits) | ${fmt(importMs)} ms | |`);
console.log(`| importHistory from a base holding the ${N} documents: load ${fmt(baseMs)} ms + replay ${fmt(import2Ms - baseMs)} ms | ${Math.round(COMMITS / ((import2Ms - baseMs) / 1000))} single-document commits/s | >= 200,000/s |`);
