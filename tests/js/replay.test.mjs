/*
 * replay.test.mjs: replay is exactly execution, differentially, over a random workload (fixed
 * seed): the engine that executed the queries and the engine that replayed their records
 * (engine.replayTexts, as open and rebase give it a store's log; importHistory's pieces) end
 * in equal dumps, history, ids, times and causes included; a record that cannot be replayed
 * still fails with CORRUPT naming it, with the log given one text per record.
 * Must stay true: the workload covers the plain writes that take the engine's fast path
 * (c/query.c query_parse_plain) and texts that take the general path (white space, escapes,
 * other members, transactions, reverts, failing writes).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { Database, HindsightError, MemoryStore } from '../../js/index.js';
import { Engine } from '../../js/engine.js';
import { loadEngine } from '../../js/wasm-loader.js';

function random(seed) {
  let s = seed >>> 0;
  return (n) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s % n; };
}

/* Query texts: mostly plain writes, some that take the general path. */
function workload(seed, count) {
  const r = random(seed), out = [];
  for (let i = 0; i < count; i++) {
    const target = r(6) ? 'users' : 'other', id = String(r(40)), v = r(1000);
    const node = [
      { type: 'equals_', field: 'id', value: id },
      { type: 'greaterThan_', field: 'age', value: v },
      { type: 'and_', conditions: [{ type: 'equals_', field: 'tag', value: `t${v % 3}` }, { type: 'lessThan_', field: 'age', value: v }] },
    ][r(3)];
    const flags = [{}, { returnData: true }, { mustAffectAtLeastOne: false }][r(3)];
    let q;
    switch (r(12)) {
      case 0: case 1: q = { target, type: 'add', addData: [{ id, age: v, tag: `t${v % 3}`, s: 'é\u0000' }], ...flags }; break;
      case 2: q = { className: 'Query', version: '7', target, type: 'add', addData: [{ id, age: v }, { id: `${id}b`, age: 1 }] }; break;
      case 3: case 4: case 5: q = { target, type: 'updateOne', queryNode: node, overrideData: { age: v, u: `x${id}` }, ...flags }; break;
      case 6: q = { target, type: 'update', queryNode: node, overrideData: { tag: `t${v % 3}` }, ...flags }; break;
      case 7: case 8: q = { target, type: 'deleteOne', queryNode: node, ...flags }; break;
      case 9: q = { target, type: 'delete', queryNode: node, sortObj: { className: 'SingleSort', version: '5', field: 'age', reversed: true }, limit: 2 }; break;
      case 10: q = { className: 'TransactionQuery', version: '1', queries: [{ target, type: 'add', addData: [{ id, age: v }] }, { target, type: 'deleteOne', queryNode: node }] }; break;
      default: {
        const text = JSON.stringify({ target, type: 'updateOne', queryNode: node, overrideData: { age: v } }, null, r(2) ? 0 : 1);
        out.push(r(2) ? text : text.replace('"users"', '"us\\u0065rs"'));
        continue;
      }
    }
    out.push(JSON.stringify(q));
  }
  return out;
}

/* The dump after the counter of new ids (replayed commits keep theirs, so only it differs). */
const afterCounter = (dump) => dump.slice(dump.indexOf('"baseTime"'));

test('replayed records end in the executed state: dumps, ids, times and causes equal', async () => {
  const wasm = await loadEngine();
  for (const seed of [1, 2, 3]) {
    const executed = new Engine(wasm);
    executed.setOrigin(`seed${seed}`);
    const r = random(seed + 100);
    let time = Date.UTC(2026, 0, 1), commits = 0;
    for (const text of workload(seed, 1500)) {
      time += r(3) * 1000;
      const meta = JSON.stringify({ time, cause: r(4) ? null : { who: `u${r(5)}`, n: [r(9)] } });
      const before = executed.seq();
      executed.execute(text, null, meta);
      if (executed.seq() > before) commits++;
      if (r(40) === 0 && executed.seq() > 2) executed.revert(executed.seq() - 1 - r(2), JSON.stringify({ time }));
      if (r(50) === 0) executed.undo(JSON.stringify({ time }));
    }
    assert.ok(commits > 600, `seed ${seed}: most queries commit (${commits})`);
    const records = JSON.parse(executed.commitsText(1, executed.seq(), 0xffffffff)).map((c) => JSON.stringify(c));
    const replayed = new Engine(wasm);
    replayed.replayTexts(records);
    assert.equal(afterCounter(replayed.dumpText()), afterCounter(executed.dumpText()), `seed ${seed}: replay of the log`);
    assert.equal(replayed.commitsText(1, replayed.seq(), 0xffffffff), executed.commitsText(1, executed.seq(), 0xffffffff));
    // Pieces of several records each, as importHistory gives them.
    const pieces = [];
    for (let i = 0; i < records.length; i += 7) pieces.push(records.slice(i, i + 7).join(','));
    const imported = new Engine(wasm);
    imported.replayTexts(pieces);
    assert.equal(afterCounter(imported.dumpText()), afterCounter(executed.dumpText()), `seed ${seed}: replay in pieces`);
    for (const e of [executed, replayed, imported]) e.close();
  }
});

test('open and importHistory replay to the executed state (Database, MemoryStore)', async () => {
  const store = new MemoryStore();
  let t = Date.UTC(2026, 0, 1);
  const db = await Database.open({ storage: store, clock: () => (t += 7), snapshotEvery: 1e9 });
  for (const text of workload(9, 600)) {
    try { db.executeQuery(JSON.parse(text)); } catch { /* refused queries commit nothing */ }
  }
  await db.flush();
  const dict = JSON.stringify(db.toDict()), commits = JSON.stringify(db.commits()), history = db.exportHistory();
  await db.close();
  const reopened = await Database.open({ storage: store });
  assert.equal(JSON.stringify(reopened.toDict()), dict);
  assert.equal(JSON.stringify(reopened.commits()), commits);
  await reopened.close();
  const imported = await Database.importHistory(history);
  assert.equal(JSON.stringify(imported.toDict()), dict);
  assert.equal(JSON.stringify(imported.commits()), commits);
  await imported.close();
});

test('a record that cannot be replayed fails with CORRUPT naming it, records given one text each', async () => {
  const wasm = await loadEngine();
  const e = new Engine(wasm);
  const ok = '{"seq":1,"id":"a.1","time":5,"cause":null,"query":{"target":"u","type":"add","addData":[{"id":"1"}]}}';
  for (const [bad, why] of [
    ['{"seq":2,"id":"a.2","time":6,"cause":null,"query":{"target":"u","type":"updateOne","queryNode":{"type":"equals_","field":"id","value":"nope"},"overrideData":{"x":1}}}', /commit 2: it did not apply again/],
    ['{"seq":2,"id":"a.2","time":6,"cause":null,"query":{"target":"u","type":"add","addData":[{"id":"1"}]', /commit 2|malformed/],
    ['{"seq":3,"id":"a.2","time":6,"cause":null,"query":{"target":"u","type":"add","addData":[{"id":"2"}]}}', /commit 2: seq is not the next/],
  ]) {
    const fresh = new Engine(wasm);
    assert.throws(() => fresh.replayTexts([ok, bad]), (err) => err instanceof HindsightError && err.code === 'CORRUPT' && why.test(err.message), bad);
    assert.equal(fresh.seq(), 1, 'the records before it stay applied');
    fresh.close();
  }
  e.close();
});
