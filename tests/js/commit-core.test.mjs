/*
 * commit-core.test.mjs: the engine as the one owner of commits (c/commits.c): a commit and
 * its record are made together or not at all; what is replayed at open is what was executed;
 * undo/redo survive a reopen and a rebase; ids are stable; the change feed; error codes from
 * the engine; exportHistory v2 / importHistory refusing forged input; old snapshots still open.
 * Each "regression" test failed on the code before the commit table (two owners, JS and C).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Database, HindsightError, MemoryStore } from '../../js/index.js';
import { Engine } from '../../js/engine.js';
import { loadEngine } from '../../js/wasm-loader.js';

const add = (target, docs, extra = {}) => ({ className: 'Query', version: '7', target, type: 'add', addData: docs, ...extra });
const q = (target, type, extra = {}) => ({ className: 'Query', version: '7', target, type, ...extra });
const equals = (field, value) => ({ type: 'equals_', field, value });
const isCode = (code) => (e) => e instanceof HindsightError && e.code === code;
const T0 = Date.UTC(2026, 0, 1);
function stepClock() { let t = T0; return () => (t += 1000); }

test('regression: a cause that cannot be serialized fails before anything is committed; later writes stay durable', async () => {
  const store = new MemoryStore();
  const db = await Database.open({ storage: store, clock: stepClock() });
  db.executeQuery(add('a', [{ x: 1 }]));
  assert.throws(() => db.revertTo(0, { who: 1n }), isCode('INVALID_ARGUMENT'));
  assert.equal(db.seq, 1, 'nothing was committed');
  db.executeQuery(add('a', [{ x: 2 }]));
  assert.equal(await db.flush(), 2);
  await db.close();
  const again = await Database.open({ storage: store });
  assert.equal(again.seq, 2);
  assert.deepEqual(again.toDict().collections.a.data, [{ x: 1 }, { x: 2 }]);
  const copy = await Database.importHistory(again.exportHistory());
  assert.equal(copy.seq, 2);
  await copy.close();
  await again.close();
});

test('regression: a throwing clock fails the write before the engine runs', async () => {
  let broken = false;
  const store = new MemoryStore();
  const db = await Database.open({ storage: store, clock: () => { if (broken) throw new Error('clock down'); return T0; } });
  db.executeQuery(add('a', [{ x: 1 }]));
  broken = true;
  assert.throws(() => db.executeQuery(add('a', [{ x: 2 }])), isCode('INVALID_ARGUMENT'));
  assert.throws(() => db.revertTo(0), isCode('INVALID_ARGUMENT'));
  assert.throws(() => db.undo(), isCode('INVALID_ARGUMENT'));
  assert.equal(db.seq, 1);
  assert.deepEqual(db.toDict().collections.a.data, [{ x: 1 }]);
  // Reads need no clock.
  assert.equal(db.executeQuery(q('a', 'count')).dbLength, 1);
  broken = false;
  db.executeQuery(add('a', [{ x: 3 }]));
  assert.equal(await db.flush(), 2);
  await db.close();
});

test('regression: a cause nested too deep to replay is refused at commit time, not dropped at open', async () => {
  const store = new MemoryStore();
  const db = await Database.open({ storage: store, clock: stepClock() });
  db.executeQuery(add('a', [{ x: 1 }]));
  let cause = { marker: 'HindsightRevert' };
  for (let i = 0; i < 300; i++) cause = { c: cause };
  assert.throws(() => db.revertTo(0, cause), isCode('INVALID_ARGUMENT'));
  assert.throws(() => db.executeQuery(add('a', [{ x: 2 }], { cause })), isCode('INVALID_ARGUMENT'));
  db.executeQuery(add('a', [{ x: 3 }], { cause: { shallow: 'HindsightRevert' } }));
  assert.equal(await db.flush(), 2);
  await db.close();
  const again = await Database.open({ storage: store });
  assert.equal(again.seq, 2);
  assert.deepEqual(again.commits().map((c) => c.cause), [null, { shallow: 'HindsightRevert' }]);
  again.executeQuery(add('a', [{ x: 4 }]));
  assert.equal(await again.flush(), 3, 'later commits are durable');
  await again.close();
});

test('regression: undo and redo survive close and reopen', async () => {
  const store = new MemoryStore();
  const db = await Database.open({ storage: store, clock: stepClock(), snapshotEvery: 1e9 });
  db.executeQuery(add('a', [{ n: 'A' }]));
  db.executeQuery(add('a', [{ n: 'B' }]));
  assert.equal(db.undo(), 3);
  await db.close();
  const again = await Database.open({ storage: store });
  assert.deepEqual(again.toDict().collections.a.data, [{ n: 'A' }]);
  assert.equal(again.redo(), 4, 'redo still knows the undone commit');
  assert.deepEqual(again.toDict().collections.a.data, [{ n: 'A' }, { n: 'B' }]);
  assert.equal(again.undo(), 5);
  assert.deepEqual(again.toDict().collections.a.data, [{ n: 'A' }]);
  assert.equal(again.undo(), 6, 'the next undo takes back A, not B a second time');
  assert.deepEqual(again.toDict().collections.a?.data ?? [], []);
  // Also through a snapshot.
  await again.close();
  const store2 = new MemoryStore();
  const s = await Database.open({ storage: store2, clock: stepClock(), snapshotEvery: 1 });
  s.executeQuery(add('a', [{ n: 'A' }]));
  s.executeQuery(add('a', [{ n: 'B' }]));
  s.undo();
  await s.close();
  const s2 = await Database.open({ storage: store2 });
  assert.notEqual(s2.redo(), null);
  assert.deepEqual(s2.toDict().collections.a.data, [{ n: 'A' }, { n: 'B' }]);
  await s2.close();
});

test('every commit has a stable id; undo/redo records name the commit they take back', async () => {
  const db = await Database.open({ clock: stepClock() });
  db.executeQuery(add('a', [{ x: 1 }]));
  db.executeQuery(add('a', [{ x: 2 }]));
  db.undo();
  const commits = db.commits();
  assert.equal(new Set(commits.map((c) => c.id)).size, 3);
  for (const c of commits) assert.match(c.id, /^[a-z0-9]+\.\d+$/);
  assert.equal(commits[2].query.undo, commits[1].id);
  assert.equal(commits[2].query.toSeq, 1);
  const copy = await Database.importHistory(JSON.parse(JSON.stringify(db.exportHistory())));
  assert.deepEqual(copy.commits(), commits, 'ids, times and causes come through export/import');
  assert.equal(copy.redo(), 4);
  await copy.close();
  await db.close();
});

test('the change feed: every write reports { seq, id, changes } with row ids; db.changes lists them', async () => {
  const db = await Database.open({ clock: stepClock() });
  const seen = [];
  const stop = db.subscribeChanges((info) => seen.push(info));
  db.executeQuery(add('a', [{ k: 1 }, { k: 2 }]));
  db.executeQuery(q('a', 'updateOne', { queryNode: equals('k', 1), overrideData: { v: 1 } }));
  db.executeQuery(q('a', 'deleteOne', { queryNode: equals('k', 2) }));
  db.executeQuery(q('a', 'search', { queryNode: equals('k', 1) }));   // a read: no commit
  db.revertTo(1);
  const ids = db.commits().map((c) => c.id);
  assert.deepEqual(seen, [
    { seq: 1, id: ids[0], changes: { a: { added: [0, 1], removed: [], changed: [] } } },
    { seq: 2, id: ids[1], changes: { a: { added: [], removed: [], changed: [0] } } },
    { seq: 3, id: ids[2], changes: { a: { added: [], removed: [1], changed: [] } } },
    { seq: 4, id: ids[3], changes: { a: { added: [1], removed: [], changed: [0] } } },
  ]);
  assert.deepEqual(db.changes({ since: 0 }), seen);
  assert.deepEqual(db.changes({ since: 1, until: 2 }), [seen[1]]);
  stop();
  db.executeQuery(add('a', [{ k: 3 }]));
  assert.equal(seen.length, 4, 'unsubscribed');
  // Diff and history carry row ids.
  const d = db.diff(1, 3);
  assert.deepEqual(d.a.removedIds, [1]);
  assert.deepEqual(d.a.changed.map((c) => c.rowId), [0]);
  assert.deepEqual(db.history('a').map((e) => [e.seq, e.rowId, e.op]), [[1, 0, 'I'], [1, 1, 'I'], [2, 0, 'U'], [3, 1, 'D'], [4, 0, 'U'], [4, 1, 'I'], [5, 2, 'I']]);
  assert.throws(() => db.changes({ since: -1 }), isCode('INVALID_ARGUMENT'));
  await db.close();
});

test('a write that changes nothing a reader can see reports changes {} and fires no listener', async () => {
  const db = await Database.open();
  db.executeQuery(add('a', [{ k: 1 }]));
  const seen = [], fired = [];
  db.subscribeChanges((info) => seen.push(info));
  db.addListener('a', (seq) => fired.push(seq));
  const r = db.executeQuery(q('a', 'update', { queryNode: equals('k', 1), overrideData: { k: 1 } }));
  assert.equal(r.isSuccess, true, r.errorMessage);
  assert.equal(db.seq, 2, 'still a commit');
  assert.deepEqual(seen.map((i) => [i.seq, i.changes]), [[2, {}]]);
  assert.deepEqual(db.changes({ since: 1 }).map((i) => i.changes), [{}]);
  assert.deepEqual(db.diff(1, 2), {}, 'the same rule as diff');
  assert.deepEqual(fired, []);
  await db.close();
});

test('the feed and listeners keep working when retention keeps no past (maxCommits 0)', async () => {
  const db = await Database.open();
  const seen = [];
  db.subscribeChanges((info) => seen.push(info.seq));
  db.addListener('a', (seq) => seen.push(-seq));
  db.setRetention({ maxCommits: 0 });
  for (let i = 0; i < 200; i++) db.executeQuery(add('a', [{ i }]));
  assert.equal(seen.length, 400);
  assert.deepEqual(seen.slice(-2), [200, -200]);
  await db.close();
});

test('a merge fires the listeners of its output collection', async () => {
  const db = await Database.open();
  db.executeQuery(add('base', [{ id: 1, name: 'a' }]));
  db.executeQuery(add('src', [{ owner: 1, sku: 'x' }]));
  const fired = [];
  db.addListener('joined', (seq) => fired.push(seq));
  const r = db.executeQuery(q('base', 'merge', { mergeQueryParams: {
    className: 'MergeQueryParams', version: '1', base: 'base', source: ['src'], relationKey: 'id', sourceKeys: ['owner'],
    output: 'joined', dslTmp: { who: 'base.name', sku: '0.sku' }, serialBase: null, serialKey: null,
  } }));
  assert.equal(r.isSuccess, true, r.errorMessage);
  assert.deepEqual(fired, [3]);
  await db.close();
});

test('engine error codes survive the boundary: an engine read before its horizon is TOO_OLD', async () => {
  // Views pin their seq (tests/js/view-pins.test.mjs), so this reads the engine directly.
  const engine = new Engine(await loadEngine());
  try {
    for (let i = 0; i < 5; i++) engine.execute(JSON.stringify(add('a', [{ i }])), null, '{"time":null,"cause":null}');
    engine.setHorizon(4);
    assert.throws(() => engine.toDictTextAt(2), isCode('TOO_OLD'));
  } finally {
    engine.close();
  }
  const db = await Database.open();
  for (let i = 0; i < 5; i++) db.executeQuery(add('a', [{ i }]));
  db.setRetention({ maxCommits: 1 });
  assert.throws(() => db.diff(1, 5), isCode('TOO_OLD'));
  await db.close();
});

test('stats() counts commits without re-reading them', async () => {
  const db = await Database.open();
  for (let i = 0; i < 10; i++) db.executeQuery(add('a', [{ i }]));
  const s = db.stats();
  assert.equal(s.commits, 10);
  assert.equal(s.seq, 10);
  await db.close();
});

test('item 11: a collection named __proto__ survives export and import, through a revert older than the base', async () => {
  const db = await Database.open({ clock: stepClock() });
  db.executeQuery(add('__proto__', [{ p: 1 }]));                       // 1
  db.executeQuery(add('other', [{ o: 1 }]));                           // 2
  db.executeQuery(q('__proto__', 'clear'));                             // 3
  db.revertTo(1);                                                       // 4: back to before 2, older than the base below
  db.setRetention({ maxCommits: 2 });
  const h = JSON.parse(JSON.stringify(db.exportHistory()));
  assert.equal(h.base.seq, 2);
  assert.ok(Object.hasOwn(h.commits[1].query.state.collections, '__proto__'), 'the state names __proto__');
  const copy = await Database.importHistory(h);
  for (let s = 2; s <= 4; s++) assert.equal(JSON.stringify(copy.at(s).toDict()), JSON.stringify(db.at(s).toDict()), `at(${s})`);
  assert.deepEqual(Object.keys(copy.toDict().collections), ['__proto__']);
  await copy.close();
  await db.close();
});

test('item 12: importHistory refuses forged or inconsistent histories', async () => {
  const db = await Database.open({ clock: stepClock() });
  db.executeQuery(add('a', [{ x: 1 }]));
  db.executeQuery(add('a', [{ x: 2 }]));
  db.revertTo(1);
  const good = JSON.parse(JSON.stringify(db.exportHistory()));
  await db.close();
  const forged = (edit) => { const h = structuredClone(good); edit(h); return h; };
  const bad = {
    'revert to 2^32+1': forged((h) => { h.commits[2].query.toSeq = 2 ** 32 + 1; }),
    'revert to a negative seq': forged((h) => { h.commits[2].query.toSeq = -4294967295; }),
    'revert to its own seq': forged((h) => { h.commits[2].query.toSeq = 3; }),
    // With ids, a commit keeps its time even when it is before the previous one (a synced
    // history is in the server's order: tests/sync/sync.test.mjs); without, times go forward.
    'times going backwards in commits without ids': forged((h) => { for (const c of h.commits) delete c.id; h.commits[2].time = '2020-01-01T00:00:00.000Z'; }),
    'a time beyond the Date range': forged((h) => { h.commits[1].time = 8.64e15 + 1; }),
    'an unparsable time': forged((h) => { h.commits[1].time = 'yesterday'; }),
    'an empty transaction': forged((h) => { h.commits.push({ seq: 4, id: 'x.9', time: h.commits[2].time, cause: null, query: { className: 'TransactionQuery', version: '1', queries: [] } }); }),
    'duplicate ids': forged((h) => { h.commits[1].id = h.commits[0].id; }),
    'a seq gap': forged((h) => { h.commits[1].seq = 7; }),
    'an unknown version': forged((h) => { h.version = '9'; }),
  };
  for (const [what, h] of Object.entries(bad)) {
    await assert.rejects(Database.importHistory(h), isCode('INVALID_ARGUMENT'), what);
  }
  // Version 1 (no ids) is still read.
  const v1 = forged((h) => { h.version = '1'; for (const c of h.commits) delete c.id; });
  const copy = await Database.importHistory(v1);
  assert.equal(copy.seq, 3);
  assert.equal(JSON.stringify(copy.toDict()), JSON.stringify((await Database.importHistory(good)).toDict()));
  await copy.close();
});

test('importHistory finds a duplicate id whatever the ids look like (origin "." counter or not)', async () => {
  const history = (ids) => ({
    className: 'HindsightHistory', version: '2', base: { seq: 0, time: null, db: { collections: {} } },
    commits: ids.map((id, i) => ({ seq: i + 1, id, time: null, cause: null, query: add('a', [{ n: i }]) })),
  });
  const duplicated = [
    ['o.1', 'p.1', 'o.1'],              // back to an origin after another
    ['o.2', 'o.1', 'o.2'],              // a falling counter, then a repeat
    ['o.1', 'o.01', 'o.1'],             // a counter with a leading zero between
    ['x', 'y', 'x'],                    // no counter
    ['a.b.1', 'a.c.1', 'a.b.1'],        // origins with dots
    ['o.1', 'o.2', 'o.3', 'q', 'o.2'],
  ];
  for (const ids of duplicated) {
    await assert.rejects(Database.importHistory(history(ids)), (e) => e.code === 'INVALID_ARGUMENT' && /appears twice/.test(e.message), ids.join(' '));
  }
  const distinct = [['o.1', 'p.1', 'o.2', 'p.2'], ['o.2', 'o.1'], ['o.1', 'o.01', 'o.001'], ['o.9', 'o.10', '7', 'o.8']];
  for (const ids of distinct) {
    const copy = await Database.importHistory(history(ids));
    assert.deepEqual(copy.exportHistory().commits.map((c) => c.id), ids);
    await copy.close();
  }
});

test('importHistory replays commits far longer than the usual record, in any script (its byte list grows)', async () => {
  const db = await Database.open({ clock: stepClock() });
  db.executeQuery(add('a', Array.from({ length: 500 }, (_, i) => ({ name: `日本語 ${i} 😀 Ünïcødé`, n: i }))));
  db.executeQuery(add('b', [{ s: '\u2028 ' + 'é'.repeat(5000) }]));
  db.executeQuery(add('a', [{ name: 'last' }]));
  const copy = await Database.importHistory(JSON.parse(JSON.stringify(db.exportHistory())));
  assert.equal(copy.seq, db.seq);
  assert.equal(JSON.stringify(copy.toDict()), JSON.stringify(db.toDict()));
  await copy.close();
  await db.close();
});

test('a store written by the code before the commit table (HSNAP1 with meta.log, dump version 1) opens', async () => {
  const legacy = JSON.parse(readFileSync(new URL('./fixtures/legacy-store-v1.json', import.meta.url), 'utf8'));
  const store = new MemoryStore();
  await store.writeSnapshot(legacy.snapshot);
  await store.append(legacy.records);
  const db = await Database.open({ storage: store });
  assert.equal(db.seq, legacy.seq);
  for (let s = 0; s <= legacy.seq; s++) assert.deepEqual(db.at(s).toDict(), legacy.states[s], `at(${s})`);
  const commits = db.commits();
  assert.deepEqual(commits.map(({ seq, time, cause, query }) => ({ seq, time, cause, query })), legacy.commits);
  assert.equal(new Set(commits.map((c) => c.id)).size, commits.length);
  // It keeps working and writing: a new snapshot in today's format reopens the same.
  db.executeQuery(add('notes', [{ text: 'new' }]));
  await db.close();
  const again = await Database.open({ storage: store, snapshotEvery: 1 });
  assert.equal(again.seq, legacy.seq + 1);
  again.executeQuery(add('notes', [{ text: 'newer' }]));
  await again.close();
  const third = await Database.open({ storage: store });
  assert.equal(third.seq, legacy.seq + 2);
  for (let s = 0; s <= legacy.seq; s++) assert.deepEqual(third.at(s).toDict(), legacy.states[s], `after a new snapshot, at(${s})`);
  await third.close();
});

test('an updateOne record keeps its shape once and its values apart: memoryUsage({ parts }) and exportHistory agree', async () => {
  const db = await Database.open({ clock: stepClock() });
  db.executeQuery(add('u', Array.from({ length: 50 }, (_, i) => ({ id: String(i), n: i }))));
  const before = db.memoryUsage({ parts: true }).parts;
  for (let k = 0; k < 200; k++) db.executeQuery(q('u', 'updateOne', { queryNode: equals('id', String(k % 50)), overrideData: { n: k, s: `v "${k}"` } }));
  const after = db.memoryUsage({ parts: true }).parts;
  assert.equal(typeof db.memoryUsage().parts, 'undefined', 'parts only when asked');
  const perCommit = (after.commitQueries - before.commitQueries) / 200;
  assert.ok(perCommit > 0 && perCommit < 30, `an updateOne record keeps only its values (${perCommit} bytes each)`);
  assert.ok((after.commitIds - before.commitIds) / 200 < 5, 'and the digits of its id');
  const history = db.exportHistory();
  const last = history.commits.at(-1);
  assert.deepEqual(last.query, q('u', 'updateOne', { queryNode: equals('id', '49'), overrideData: { n: 199, s: 'v "199"' } }), 'the query reads back whole');
  assert.match(last.id, /^[^.]+\.201$/);
  const again = await Database.importHistory(history);
  assert.deepEqual(again.exportHistory().commits, history.commits, 'import and export again give the same commits');
  await again.close();
  await db.close();
});
