/*
 * multitab.test.mjs: many pages, one history (js/persistence.js sharing), in one Node
 * process: two or three Database instances share one store, take turns through an
 * in-process lock (the role of Web Locks) and hear each other through BroadcastChannel.
 * Real browsers run the same through tests/browsers/ with IndexedDB.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { Database, MemoryStore } from '../../js/index.js';

/* Web Locks' request(name, fn): one holder at a time per name, in request order. */
function makeLocks() {
  const tails = new Map();
  return {
    request(name, fn) {
      const run = (tails.get(name) ?? Promise.resolve()).then(() => fn());
      tails.set(name, run.catch(() => {}));
      return run;
    },
  };
}

const add = (by, i) => ({ target: 'todos', type: 'add', addData: [{ id: -1, by, i }], serialKey: 'id' });

/* Waits until every tab has caught up with the last commit written (at most 10 s, so that a
   loaded machine does not fail a test that only waited too little; the assertions after it
   say what went wrong). */
async function converge(tabs) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const seqs = tabs.map((t) => t.seq);
    if (seqs.every((s) => s === Math.max(...seqs)) && tabs.every((t) => t.durableSeq === t.seq)) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function openTabs(n, name) {
  const store = new MemoryStore(), locks = makeLocks();
  const tabs = [];
  for (let i = 0; i < n; i++) tabs.push(await Database.open({ name, storage: store, locks }));
  return { store, locks, tabs };
}

test('concurrent writers get one order, lose nothing and converge to the same state', async (t) => {
  const { store, locks, tabs } = await openTabs(3, 'converge');
  t.after(() => Promise.all(tabs.map((x) => x.close())));
  for (let round = 0; round < 20; round++) {
    tabs.forEach((x, k) => x.executeQuery(add(`tab${k}`, round)));
    if (round % 3 === 0) await Promise.all(tabs.map((x) => x.flush()));
  }
  await Promise.all(tabs.map((x) => x.flush()));
  await converge(tabs);
  const texts = tabs.map((x) => JSON.stringify(x.toDict()));
  assert.equal(new Set(texts).size, 1, 'every tab holds the same state');
  const data = tabs[0].toDict().collections.todos.data;
  assert.equal(data.length, 60, 'no commit is lost');
  assert.deepEqual(data.map((d) => d.id), [...Array(60).keys()], 'serial keys form one sequence');
  for (let k = 0; k < 3; k++) assert.equal(data.filter((d) => d.by === `tab${k}`).length, 20);
  assert.equal(tabs[0].seq, 60);
  assert.deepEqual(tabs.map((x) => x.seq), [60, 60, 60]);
  // Each tab's own commits keep their relative order.
  for (let k = 0; k < 3; k++) {
    const mine = data.filter((d) => d.by === `tab${k}`).map((d) => d.i);
    assert.deepEqual(mine, [...mine].sort((x, y) => x - y));
  }
  // A page opened later sees the same history.
  const late = await Database.open({ name: 'converge', storage: store, locks });
  t.after(() => late.close());
  assert.equal(JSON.stringify(late.toDict()), texts[0]);
  assert.equal(JSON.stringify(late.commits()), JSON.stringify(tabs[0].commits()));
});

// The latency is printed, not asserted (shared machines): 2 s is only a hang guard.
test("a tab sees another tab's commit, and its listeners fire", async (t) => {
  const { tabs: [a, b] } = await openTabs(2, 'latency');
  let heard = null;
  const seenAt = new Promise((resolve) => b.addListener('todos', (seq) => { heard = seq; resolve(performance.now()); }));
  const start = performance.now();
  a.executeQuery(add('a', 1));
  await a.flush();
  const at = await Promise.race([seenAt, new Promise((r) => setTimeout(() => r(Infinity), 2000))]);
  t.diagnostic(`b heard the commit ${(at - start).toFixed(1)} ms after a began`);
  assert.ok(at - start < 2000, `b heard the commit after ${(at - start).toFixed(1)} ms`);
  assert.equal(heard, 1);
  assert.deepEqual(b.toDict().collections.todos.data, [{ id: 0, by: 'a', i: 1 }]);
  await a.close();
  await b.close();
});

test('a commit that no longer applies after the others is dropped with a warning, not half-applied', async (t) => {
  const store = new MemoryStore(), locks = makeLocks(), warnings = [];
  const a = await Database.open({ name: 'conflict', storage: store, locks });
  const b = await Database.open({ name: 'conflict', storage: store, locks, onWarning: (w) => warnings.push(w) });
  t.after(async () => { await a.close(); await b.close(); });
  a.executeQuery({ target: 'todos', type: 'add', addData: [{ n: 1 }] });
  await a.flush();
  await converge([a, b]);
  // Both delete the same document; b's delete (mustAffectAtLeastOne) cannot apply after a's.
  a.executeQuery({ target: 'todos', type: 'deleteOne', queryNode: { type: 'equals_', field: 'n', value: 1 } });
  b.executeQuery({ target: 'todos', type: 'deleteOne', queryNode: { type: 'equals_', field: 'n', value: 1 } });
  await a.flush();
  await b.flush();
  await converge([a, b]);
  assert.equal(a.seq, 2);
  assert.equal(b.seq, 2);
  assert.equal(JSON.stringify(a.toDict()), JSON.stringify(b.toDict()));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /no longer applies/);
});

test('onRebase reports which of the page\'s commits were put back and which were dropped, with ids', async (t) => {
  const store = new MemoryStore(), locks = makeLocks(), reports = [];
  const a = await Database.open({ name: 'onrebase', storage: store, locks });
  const b = await Database.open({ name: 'onrebase', storage: store, locks, onRebase: (r) => reports.push(r) });
  t.after(async () => { await a.close(); await b.close(); });
  a.executeQuery({ target: 'todos', type: 'add', addData: [{ n: 1 }] });
  await a.flush();
  await converge([a, b]);
  a.executeQuery({ target: 'todos', type: 'deleteOne', queryNode: { type: 'equals_', field: 'n', value: 1 } });
  b.executeQuery({ target: 'todos', type: 'deleteOne', queryNode: { type: 'equals_', field: 'n', value: 1 } });
  const lost = b.commits({ from: b.seq })[0].id;
  b.executeQuery({ target: 'todos', type: 'add', addData: [{ n: 2 }] });
  const put = b.commits({ from: b.seq })[0].id;
  await a.flush();
  await b.flush();
  await converge([a, b]);
  const report = reports.find((r) => r.dropped.length);
  assert.ok(report, JSON.stringify(reports));
  assert.deepEqual(report.dropped.map((d) => d.id), [lost]);
  assert.match(report.dropped[0].reason, /./);
  assert.equal(report.sharedSeq, 2);
  assert.deepEqual(report.kept, [{ id: put, seq: 3 }]);
  assert.equal(b.commits({ from: 3 })[0].id, put);
});

test('a revert rebased under another tab\'s commit still goes back to the commit it named', async (t) => {
  const store = new MemoryStore(), locks = makeLocks();
  const a = await Database.open({ name: 'revert-moved', storage: store, locks });
  const b = await Database.open({ name: 'revert-moved', storage: store, locks });
  t.after(async () => { await a.close(); await b.close(); });
  const put = (db, n) => db.executeQuery({ target: 'todos', type: 'add', addData: [{ n }] });
  put(a, 1);
  await a.flush();
  await converge([a, b]);
  // b writes first; a's two commits and its revert to the first of them are rebased on top.
  put(b, 5);
  put(a, 2);
  put(a, 3);
  const target = a.commits({ from: a.seq - 1 })[0];
  a.revertTo(target.seq);
  await b.flush();
  await a.flush();
  await converge([a, b]);
  assert.equal(a.commits({ from: 2, to: 2 })[0].query.addData[0].n, 5, 'b\'s commit went first (the case under test)');
  const ns = (db) => db.toDict().collections.todos.data.map((d) => d.n).sort();
  assert.deepEqual(ns(a), [1, 2, 5]);
  assert.deepEqual(ns(b), [1, 2, 5]);
  assert.equal(a.commits({ from: a.seq })[0].query.toSeq, a.commits().find((c) => c.id === target.id).seq);
});

test('a tab that was behind a snapshot catches up from the snapshot', async (t) => {
  const store = new MemoryStore(), locks = makeLocks();
  const a = await Database.open({ name: 'snap', storage: store, locks, snapshotEvery: 5 });
  const b = await Database.open({ name: 'snap', storage: store, locks, shared: true });
  t.after(async () => { await a.close(); await b.close(); });
  b.addListener('todos', () => {});
  for (let i = 0; i < 12; i++) { a.executeQuery(add('a', i)); await a.flush(); }
  await converge([a, b]);
  assert.equal(b.seq, 12);
  assert.equal(JSON.stringify(b.toDict()), JSON.stringify(a.toDict()));
  assert.equal(JSON.stringify(b.at(3).toDict()), JSON.stringify(a.at(3).toDict()), 'history came along');
});

test('a rebase keeps each commit its id, time and cause; undo still takes back the right commit', async () => {
  const store = new MemoryStore(), locks = makeLocks();
  let t = Date.UTC(2026, 0, 1);
  const clock = () => (t += 1000);
  const a = await Database.open({ name: 'ids', storage: store, locks, clock });
  const b = await Database.open({ name: 'ids', storage: store, locks, clock });
  a.executeQuery({ ...add('a', 1), cause: { by: 'a' } });   // not written yet
  b.executeQuery({ ...add('b', 1), cause: { by: 'b' } });
  const madeInA = a.commits()[0], madeInB = b.commits()[0];
  assert.equal(madeInA.seq, 1);
  assert.equal(madeInB.seq, 1);
  assert.notEqual(madeInA.id, madeInB.id);
  await b.flush();
  await a.flush();   // a rebases its commit on b's
  await converge([a, b]);
  const shared = a.commits();
  assert.deepEqual(shared.map((c) => c.id), [madeInB.id, madeInA.id]);
  const rebased = shared.find((c) => c.id === madeInA.id);
  assert.equal(rebased.seq, 2, 'a new seq');
  assert.equal(rebased.time, madeInA.time, 'the same time');
  assert.deepEqual(rebased.cause, { by: 'a' }, 'the same cause');
  assert.equal(JSON.stringify(b.commits()), JSON.stringify(shared), 'both tabs agree');
  // The undo stack names ids: a's undo takes back a's add (seq 2 now), keeping b's.
  const seq = a.undo();
  assert.equal(seq, 3);
  assert.deepEqual(a.toDict().collections.todos.data.map((d) => d.by), ['b']);
  assert.equal(a.commits()[2].query.undo, madeInA.id);
  await a.flush();
  await converge([a, b]);
  assert.equal(b.redo(), 4, 'the other tab can redo it: the stacks come from the shared log');
  assert.deepEqual(b.toDict().collections.todos.data.map((d) => d.by), ['b', 'a']);
  await a.close();
  await b.close();
});

/* A feed subscriber that keeps the alive row ids of each collection by applying every report,
   and checks each report against the state it describes (db.at(report.seq)). */
function feedModel(db) {
  const model = {
    reports: [], rows: new Map(), problems: [],
    apply(info) {
      model.reports.push(info);
      if (info.changes === null) { model.problems.push(`seq ${info.seq}: a reset report`); return; }
      for (const [name, c] of Object.entries(info.changes)) {
        if (!model.rows.has(name)) model.rows.set(name, new Set());
        const alive = model.rows.get(name);
        for (const id of c.removed) if (!alive.delete(id)) model.problems.push(`seq ${info.seq}: ${name} removed ${id}, not alive`);
        for (const id of c.changed) if (!alive.has(id)) model.problems.push(`seq ${info.seq}: ${name} changed ${id}, not alive`);
        for (const id of c.added) {
          if (alive.has(id)) model.problems.push(`seq ${info.seq}: ${name} added ${id}, already alive`);
          alive.add(id);
        }
      }
      const view = db.at(info.seq);
      try {
        for (const [name, alive] of model.rows) {
          const data = view.toDict().collections[name]?.data ?? [];
          if (data.length !== alive.size) model.problems.push(`seq ${info.seq}: ${name} has ${data.length} documents, the reports say ${alive.size}`);
        }
      } finally {
        view.release();
      }
    },
    /* The alive row ids now, from the engine (the database started empty at seq 0). */
    expected() {
      const out = {};
      for (const [name, d] of Object.entries(db.diff(0, db.seq))) out[name] = [...d.addedIds].sort((x, y) => x - y);
      return out;
    },
    held() {
      const out = {};
      for (const [name, alive] of model.rows) if (alive.size) out[name] = [...alive].sort((x, y) => x - y);
      return out;
    },
  };
  db.subscribeChanges(model.apply);
  return model;
}

test('a rebase reports every commit in the feed: a rewind of the unwritten commits, then one report per commit', async (tc) => {
  const store = new MemoryStore(), locks = makeLocks(), warnings = [];
  let t = Date.UTC(2026, 0, 1);
  const clock = () => (t += 1000);
  const a = await Database.open({ name: 'feed', storage: store, locks, clock, onWarning: (w) => warnings.push(w) });
  const b = await Database.open({ name: 'feed', storage: store, locks, clock });
  tc.after(() => Promise.all([a.close(), b.close()]));
  const ma = feedModel(a), mb = feedModel(b);
  const heardA = [];
  a.addListener('todos', (seq) => heardA.push(seq));
  a.executeQuery({ target: 'todos', type: 'add', addData: [{ n: 1 }, { n: 2 }, { n: 3 }] });
  await a.flush();
  await converge([a, b]);
  // Both write at once: a updates, deletes and adds (not written yet); b deletes n=3 and adds.
  a.executeQuery({ target: 'todos', type: 'updateOne', queryNode: { type: 'equals_', field: 'n', value: 1 }, overrideData: { by: 'a' } });
  a.executeQuery({ target: 'todos', type: 'deleteOne', queryNode: { type: 'equals_', field: 'n', value: 3 }, mustAffectAtLeastOne: true });
  a.executeQuery({ target: 'todos', type: 'add', addData: [{ n: 4, by: 'a' }] });
  b.executeQuery({ target: 'todos', type: 'deleteOne', queryNode: { type: 'equals_', field: 'n', value: 3 } });
  b.executeQuery({ target: 'todos', type: 'add', addData: [{ n: 5, by: 'b' }] });
  const madeInA = a.commits({ from: 2 }).map((c) => c.id), madeInB = b.commits({ from: 2 }).map((c) => c.id);
  const reportsBefore = ma.reports.length;
  await b.flush();
  await a.flush();   // a rebases its three commits on b's two; its deleteOne no longer applies
  await converge([a, b]);
  assert.equal(warnings.length, 1, 'a warns of the dropped commit');
  assert.equal(a.seq, 5);
  assert.equal(JSON.stringify(a.toDict()), JSON.stringify(b.toDict()), 'both tabs hold the same state');

  const rebase = ma.reports.slice(reportsBefore);   // what a heard after its own three commits
  assert.deepEqual(rebase[0].rebased, true, 'the rewind comes first');
  assert.equal(rebase[0].seq, 1, 'it takes the state back to the shared seq 1');
  assert.equal(rebase[0].id, null);
  assert.deepEqual(rebase[0].changes, { todos: { added: [2], removed: [3], changed: [0] } }, "it takes back a's update, delete and add (row ids of a's old state)");
  assert.deepEqual(rebase.slice(1), a.changes({ since: 1 }), 'then every commit after it, as db.changes lists them');
  assert.deepEqual(rebase.slice(1).map((r) => r.id), [...madeInB, madeInA[0], madeInA[2]], "b's commits, then a's replayed with their ids; the dropped one is not reported");
  assert.ok(rebase.slice(1).every((r) => r.rebased === undefined), 'the later reports are ordinary ones');
  assert.deepEqual(ma.problems, [], 'every report applies to the rows the earlier ones left');
  assert.deepEqual(ma.held(), ma.expected(), "a's reports lead to the rows alive now");
  assert.deepEqual(mb.problems, []);
  assert.deepEqual(mb.held(), mb.expected(), "b's reports (it heard a's commits) lead to the rows alive now");
  assert.ok(mb.reports.every((r) => !r.rebased), 'b had nothing unwritten: ordinary reports only');
  assert.deepEqual(mb.reports.map((r) => r.seq), [1, 2, 3, 4, 5], 'b heard every commit once, in order');
  assert.deepEqual(heardA.slice(-5), [1, 2, 3, 4, 5], "a's listener heard the rewind and each commit after it");
});

test('a tab rebuilt from another tab\'s snapshot hears one reset report (changes: null)', async (tc) => {
  const store = new MemoryStore(), locks = makeLocks();
  // Two names on one store: b does not hear a's broadcasts, so it falls behind a's snapshot.
  const a = await Database.open({ name: 'snap-feed-a', storage: store, locks, snapshotEvery: 5 });
  const b = await Database.open({ name: 'snap-feed-b', storage: store, locks, shared: true });
  tc.after(() => Promise.all([a.close(), b.close()]));
  const reports = [], heard = [];
  b.subscribeChanges((info) => reports.push(info));
  b.addListener('todos', (seq) => heard.push(seq));
  for (let i = 0; i < 12; i++) { a.executeQuery(add('a', i)); await a.flush(); }
  b.executeQuery(add('b', 0));
  await b.flush();   // b catches up from a's snapshot, then writes its commit after a's
  assert.equal(b.seq, 13);
  assert.deepEqual(b.toDict().collections.todos.data.map((d) => d.by), [...Array(12).fill('a'), 'b']);
  assert.equal(reports.length, 2, "b's own commit, then the reset");
  assert.deepEqual(reports[1], { seq: 13, id: null, rebased: true, changes: null });
  assert.deepEqual(heard, [1, 13], 'the listener hears the reset too');
});

test('a rebase that fails on a record another page wrote frees the engine it was building', async (t) => {
  const store = new MemoryStore(), locks = makeLocks();
  const a = await Database.open({ name: 'rebase-fails', storage: store, locks, onError: () => {} });
  t.after(() => a.close().catch(() => {}));   // its last commit cannot be written
  // Enough documents that a forked engine left behind shows in the wasm heap.
  a.executeQuery({ target: 'big', type: 'add', addData: Array.from({ length: 4000 }, (_, i) => ({ i, pad: 'x'.repeat(200) })) });
  await a.flush();
  a.executeQuery(add('a', 1));   // not written yet: the next write must rebase it
  // Another page's record that cannot be replayed (no such query type).
  await store.append([{ seq: a.durableSeq + 1, text: `{"seq":${a.durableSeq + 1},"id":"other.1","time":1,"cause":null,"query":{"target":"todos","type":"nonsense"}}` }]);
  await assert.rejects(a.flush(), /did not apply again/, 'the write fails: the shared log cannot be replayed');
  const heapBefore = a.memoryUsage().heapUsed;
  for (let attempt = 0; attempt < 3; attempt++) await assert.rejects(a.flush(), /did not apply again/);
  const grown = a.memoryUsage().heapUsed - heapBefore;
  assert.ok(grown < 256 * 1024, `each failed rebase left its engine behind: the heap grew by ${grown} bytes in 3 attempts`);
  assert.equal(a.toDict().collections.todos.data.length, 1, 'the page keeps its own commit');
});

test('a rebase replays runs of commits and one at a time around reverts and dropped commits: ids, records and state as made', async (t) => {
  const store = new MemoryStore(), locks = makeLocks(), reports = [];
  const a = await Database.open({ name: 'rebase-runs', storage: store, locks });
  const b = await Database.open({ name: 'rebase-runs', storage: store, locks, onRebase: (r) => reports.push(r) });
  t.after(async () => { await a.close(); await b.close(); });
  a.executeQuery({ target: 'todos', type: 'add', addData: [{ n: 0 }, { n: 1 }] });
  await a.flush();
  await converge([a, b]);
  // b's unwritten commits: updates (a run), a serial-key add (its record changes), a delete
  // that a's commit makes impossible (dropped), an undo, a revert, and more updates.
  const cause = { why: 'bench', n: 12345678901, s: 'é\u2028"' };
  for (let k = 0; k < 5; k++) b.executeQuery({ target: 'todos', type: 'updateOne', queryNode: { type: 'equals_', field: 'n', value: 1 }, overrideData: { k }, cause });
  b.executeQuery({ target: 'todos', type: 'add', addData: [{ id: -1, n: 2 }], serialKey: 'id' });
  b.executeQuery({ target: 'todos', type: 'deleteOne', queryNode: { type: 'equals_', field: 'n', value: 0 } });
  b.undo();
  b.revertTo(b.seq - 1);
  for (let k = 5; k < 9; k++) b.executeQuery({ target: 'todos', type: 'updateOne', queryNode: { type: 'equals_', field: 'n', value: 1 }, overrideData: { k } });
  const made = b.commits({ from: 2 });
  a.executeQuery({ target: 'todos', type: 'add', addData: [{ id: -1, n: 9 }], serialKey: 'id' });
  a.executeQuery({ target: 'todos', type: 'deleteOne', queryNode: { type: 'equals_', field: 'n', value: 0 } });
  await a.flush();
  await b.flush();
  await converge([a, b]);
  const report = reports[reports.length - 1];
  assert.ok(report, 'b rebased');
  const keptIds = report.kept.map((k) => k.id), droppedIds = report.dropped.map((d) => d.id);
  assert.deepEqual([...keptIds, ...droppedIds].sort(), made.map((c) => c.id).sort(), 'every commit is kept or dropped');
  const after = b.commits({ from: report.sharedSeq + 1 });
  assert.deepEqual(after.map((c) => c.id), keptIds, 'kept in order, with their ids');
  assert.deepEqual(after.map((c) => c.seq), report.kept.map((k) => k.seq));
  for (const c of after) {
    const was = made.find((m) => m.id === c.id);
    assert.equal(c.time, was.time, 'the time it was made at');
    assert.deepEqual(c.cause, was.cause, 'its cause');
  }
  // The records written for them are the engine's: a page opened now replays the same state.
  const late = await Database.open({ name: 'rebase-runs-late', storage: store, locks, shared: false });
  t.after(() => late.close());
  assert.equal(JSON.stringify(late.toDict()), JSON.stringify(b.toDict()));
  assert.equal(JSON.stringify(late.commits()), JSON.stringify(b.commits()));
  assert.equal(JSON.stringify(a.toDict()), JSON.stringify(b.toDict()));
});

test('a database closed while its write fails plans no retry after the close', async () => {
  const shared = new MemoryStore(), locks = makeLocks();
  let readsAfterClose = 0, closed = false;
  const store = {
    open: () => shared.open(), append: (r) => shared.append(r), writeSnapshot: (x) => shared.writeSnapshot(x), close: () => shared.close(),
    readSince: (seq) => { if (closed) readsAfterClose++; return shared.readSince(seq); },
  };
  const a = await Database.open({ name: 'close-while-failing', storage: store, locks, onError: () => {} });
  a.executeQuery(add('a', 0));
  await a.flush();
  a.executeQuery(add('a', 1));
  // Another page's record that cannot be replayed: every write of a's commit fails.
  await shared.append([{ seq: 2, text: '{"seq":2,"id":"other.1","time":1,"cause":null,"query":{"target":"todos","type":"nonsense"}}' }]);
  await assert.rejects(a.close(), /did not apply again/, 'the close reports the commit it could not write');
  closed = true;
  await new Promise((r) => setTimeout(r, 600));   // the first retry would come after 200 ms
  assert.equal(readsAfterClose, 0, 'no write was tried after the close');
});
