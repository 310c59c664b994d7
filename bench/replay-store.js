/*
 * bench/replay-store.js: the replay workload the wasm comparison benches share
 * (wasm-ab.mjs, replay-instructions.mjs): a MemoryStore holding a snapshot of n speed-test
 * documents and then a log of n single-document commits (updateOne by id, in a scattered order).
 * Must stay true: the same n gives the same records on every run (a fixed clock), so builds
 * are compared on the same work.
 */
import { Database, MemoryStore } from '../js/index.js';

/* { store, expected }: expected is the final state's toDict() as JSON text. wasm: the build
   to write with (undefined: the package's). */
export async function storeWithReplayLog(n, wasm) {
  let clockMs = Date.UTC(2026, 0, 1);
  const clock = () => (clockMs += 1);
  const now = new Date(clockMs).toISOString();
  const doc = (i) => ({ id: String(i), name: `sample${i}`, age: i, createdAt: now, nestedObj: { num: i } });
  const store = new MemoryStore();
  const writer = await Database.open({ storage: store, clock, snapshotEvery: 1e9, snapshotBytes: 1e12, wasm });
  writer.executeQuery({ target: 'users', type: 'add', addData: Array.from({ length: n }, (_, i) => doc(i)) });
  await writer.flush(); await writer.close();
  const snapshotter = await Database.open({ storage: store, snapshotEvery: 1, wasm });   // a snapshot of the add
  snapshotter.executeQuery({ target: 'x', type: 'add', addData: [{}] });
  await snapshotter.flush(); await snapshotter.close();
  const updater = await Database.open({ storage: store, clock, snapshotEvery: 1e9, snapshotBytes: 1e12, wasm });
  for (let k = 0; k < n; k++) updater.executeQuery({ target: 'users', type: 'updateOne', queryNode: { type: 'equals_', field: 'id', value: String((k * 7919) % n) }, overrideData: { age: k } });
  const expected = JSON.stringify(updater.toDict());
  await updater.flush(); await updater.close();
  return { store, expected };
}
