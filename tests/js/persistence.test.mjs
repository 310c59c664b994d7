/*
 * persistence.test.mjs: the Database side of persistence (js/persistence.js) with the memory
 * store and fault-injecting stores: reopening gives the same state, seq and history; writes
 * are batched; flush/durableSeq tell the truth; a full store loses nothing; bad tails warn.
 * The file and IndexedDB stores have their own suites (store-file, store-indexeddb); here the
 * file store is used only where the Database and the store meet: a damaged newest snapshot
 * costs no commit, and a snapshot the engine would not load is never kept.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { Database, HindsightError, MemoryStore } from '../../node/index.js';

let clockMs = Date.parse('2026-01-01T00:00:00Z');
const clock = () => (clockMs += 7);
const add = (target, docs) => ({ className: 'Query', version: '7', target, type: 'add', addData: docs, serialKey: 'id' });

/* Every readable state of db, as text: what a reopened database must reproduce. */
function everyState(db) {
  const states = [];
  for (let s = db.stats().oldestSeq; s <= db.seq; s++) states.push(JSON.stringify(db.at(s).toDict()));
  return { states, commits: JSON.stringify(db.commits()), seq: db.seq };
}

/* A store that counts calls and can be told to fail its next appends. */
class FlakyStore extends MemoryStore {
  appends = 0;
  batches = [];
  failNext = 0;
  failWith = () => Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
  async append(records) {
    this.appends++;
    if (this.failNext > 0) { this.failNext--; throw this.failWith(); }
    this.batches.push(records.map((r) => r.seq));
    return super.append(records);
  }
}

test('reopening gives the same state, seq, commits and every past state', async () => {
  const store = new MemoryStore();
  const db = await Database.open({ storage: store, clock, snapshotEvery: 5 });
  for (let i = 0; i < 23; i++) db.executeQuery(add(i % 3 ? 'a' : 'b', [{ id: -1, i, s: 'x'.repeat(i) }]));
  db.executeQuery({ target: 'a', type: 'update', queryNode: { type: 'greaterThan_', field: 'i', value: 10 }, overrideData: { big: true } });
  db.executeQuery({ target: 'b', type: 'removeCollection' });
  db.revertTo(12, { why: 'test' });
  db.executeQuery({ target: 'a', type: 'deleteOne', queryNode: { type: 'equals_', field: 'i', value: 4 } });
  const before = everyState(db);
  await db.close();
  const again = await Database.open({ storage: store, clock });
  assert.deepEqual(everyState(again), before);
  assert.equal(again.durableSeq, again.seq);
  // History continues: new commits after reopening are recorded and survive another reopen.
  again.executeQuery(add('a', [{ id: -1, i: 99 }]));
  const after = everyState(again);
  await again.close();
  const third = await Database.open({ storage: store, clock });
  assert.deepEqual(everyState(third), after);
  await third.close();
});

test('commits made in one tick go out as one batch; flush resolves when they are durable', async () => {
  const store = new FlakyStore();
  const db = await Database.open({ storage: store, clock, snapshotEvery: 1e9 });
  for (let i = 0; i < 100; i++) db.executeQuery(add('a', [{ id: -1, i }]));
  assert.equal(db.durableSeq, 0, 'nothing is durable before the batch is written');
  assert.equal(await db.flush(), 100);
  assert.equal(db.durableSeq, 100);
  assert.deepEqual(store.batches.map((b) => b.length), [100], 'one append for the whole burst');
  db.executeQuery({ target: 'a', type: 'count' });   // reads are not commits: nothing to write
  await db.flush();
  assert.equal(store.appends, 1);
  await db.close();
});

test('a full store: flush rejects with QUOTA, onError hears it, memory is intact, and nothing is lost once space returns', async () => {
  const store = new FlakyStore();
  const errors = [];
  const db = await Database.open({ storage: store, clock, snapshotEvery: 1e9, onError: (e) => errors.push(e) });
  db.executeQuery(add('a', [{ id: -1, n: 1 }]));
  await db.flush();
  store.failNext = 2;
  db.executeQuery(add('a', [{ id: -1, n: 2 }]));
  db.executeQuery(add('a', [{ id: -1, n: 3 }]));
  await assert.rejects(db.flush(), (e) => e instanceof HindsightError && e.code === 'QUOTA');
  assert.ok(errors.length >= 1 && errors.every((e) => e.code === 'QUOTA'));
  assert.equal(db.toDict().collections.a.data.length, 3, 'the in-memory state keeps every commit');
  assert.equal(db.durableSeq, 1);
  // A wrapped quota error (AbortError carrying a QuotaExceededError) is recognised too.
  store.failWith = () => Object.assign(new Error('aborted'), { name: 'AbortError', target: { error: { name: 'QuotaExceededError' } } });
  await assert.rejects(db.flush(), (e) => e.code === 'QUOTA');
  // Space returns: the retry writes the kept records, once each.
  assert.equal(await db.flush(), 3);
  const seqs = store.batches.flat();
  assert.deepEqual(seqs, [1, 2, 3], 'each record written exactly once, in order');
  await db.close();
  const again = await Database.open({ storage: store, clock });
  assert.deepEqual(again.toDict().collections.a.data.map((d) => d.n), [1, 2, 3]);
  await again.close();
});

test('snapshots are taken every snapshotEvery commits and the log before them is dropped', async () => {
  const store = new MemoryStore();
  const db = await Database.open({ storage: store, clock, snapshotEvery: 10 });
  for (let i = 0; i < 25; i++) { db.executeQuery(add('a', [{ id: -1, i }])); await db.flush(); }
  const { snapshot, records } = await store.open();
  assert.equal(snapshot.seq, 20);
  assert.deepEqual(records.map((r) => r.seq), [21, 22, 23, 24, 25]);
  await db.close();
});

test('a log record that cannot be replayed fails open with CORRUPT and leaves the store as it was', async () => {
  // Before, the record was dropped with a warning, and every later append was refused
  // (expected seq 4, got 4 again): nothing written after it was ever durable.
  const store = new MemoryStore();
  const db = await Database.open({ storage: store, clock, snapshotEvery: 1e9 });
  for (let i = 0; i < 3; i++) db.executeQuery(add('a', [{ id: -1, i }]));
  await db.close();
  await store.append([{ seq: 4, text: '{"seq":4,"time":' }]);   // a torn record that slipped past the store's checks
  const before = await store.open();
  await assert.rejects(Database.open({ storage: store, clock }), (e) => e instanceof HindsightError && e.code === 'CORRUPT' && /commit 4/.test(e.message));
  const after = await store.open();
  assert.deepEqual(after.records.map((r) => r.text), before.records.map((r) => r.text));
  assert.equal(after.snapshot?.text, before.snapshot?.text);
});

test('fromDict and importHistory with a store persist the new state at once', async () => {
  const store = new MemoryStore();
  const db = await Database.fromDict({ collections: { a: { data: [{ x: 1 }], serialNum: 4 } } }, { storage: store, clock });
  await db.close();
  const again = await Database.open({ storage: store, clock });
  assert.deepEqual(again.toDict().collections.a, { className: 'Collection', version: '17', data: [{ x: 1 }], serialNum: 4 });
  again.executeQuery(add('a', [{ id: -1 }]));
  const history = again.exportHistory();
  await again.close();
  const store2 = new MemoryStore();
  const imported = await Database.importHistory(history, { storage: store2, clock });
  const expected = everyState(imported);
  await imported.close();
  const reopened = await Database.open({ storage: store2, clock });
  assert.deepEqual(everyState(reopened), expected);
  await reopened.close();
});

test('storage options are checked', async () => {
  await assert.rejects(Database.open({ storage: 'floppy' }), (e) => e.code === 'INVALID_ARGUMENT');
  await assert.rejects(Database.open({ storage: { open() {} } }), (e) => e.code === 'INVALID_ARGUMENT' && /append/.test(e.message));
  await assert.rejects(Database.open({ storage: 'file' }), (e) => e.code === 'INVALID_ARGUMENT' && /path/.test(e.message));
  const db = await Database.open();   // no storage: memory only, flush is immediate
  db.executeQuery(add('a', [{ id: -1 }]));
  assert.equal(await db.flush(), 1);
  assert.equal(db.durableSeq, 1);
  await db.close();
});

test('commits and flushes made the moment a flush resolves, or a write fails, are not forgotten', async () => {
  const store = new FlakyStore();
  const db = await Database.open({ storage: store, clock, snapshotEvery: 1e9 });
  db.executeQuery(add('a', [{ id: -1, n: 1 }]));
  await db.flush();
  // This continuation runs while the writer that resolved the flush is still finishing.
  store.failNext = 2;
  db.executeQuery(add('a', [{ id: -1, n: 2 }]));
  await assert.rejects(db.flush(), (e) => e.code === 'QUOTA');
  await assert.rejects(db.flush(), (e) => e.code === 'QUOTA');   // asked again while the first retry is planned
  assert.equal(await db.flush(), 2);
  assert.deepEqual(store.batches.flat(), [1, 2]);
  await db.close();
});

/*{==== a snapshot is never the only copy of what it holds (issue 10, items 1 and 2) ====*/

async function withFolder(body) {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hindsight-persistence-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a bit flipped in the newest snapshot of 133 commits: reopening still gives all 133, and so does the next snapshot', () => withFolder(async (dir) => {
  const { readdir, readFile, writeFile } = await import('node:fs/promises');
  const path = await import('node:path');
  const db = await Database.open({ storage: 'file', path: dir, clock, snapshotEvery: 20 });
  for (let i = 0; i < 133; i++) { db.executeQuery(add('a', [{ id: -1, i, s: 'x'.repeat(i % 7) }])); await db.flush(); }
  const before = everyState(db);
  await db.close();
  const newest = (await readdir(dir)).filter((n) => n.endsWith('.hsnap')).sort().at(-1);
  const file = path.join(dir, newest);
  const bytes = await readFile(file);
  bytes[Math.floor(bytes.length / 2)] ^= 0x08;
  await writeFile(file, bytes);
  const warnings = [];
  const again = await Database.open({ storage: 'file', path: dir, clock, snapshotEvery: 20, onWarning: (w) => warnings.push(w) });
  assert.deepEqual(everyState(again), before, 'every commit is back');
  assert.ok(warnings.some((w) => w.includes(newest)), String(warnings));
  // Enough commits for two more snapshots: none of them may cost a commit either.
  for (let i = 0; i < 45; i++) { again.executeQuery(add('a', [{ id: -1, i: 1000 + i }])); await again.flush(); }
  const after = everyState(again);
  await again.close();
  const third = await Database.open({ storage: 'file', path: dir, clock });
  assert.equal(third.seq, 178);
  assert.deepEqual(everyState(third), after);
  await third.close();
}));

/* A file store whose snapshots reach the disk mangled (the shape of a dump the engine refuses,
   like the too-deep documents of issue 10 item 1). */
async function manglingFileStore(dir, { bytes: takesBytes = false } = {}) {
  const { FileStore } = await import('../../node/file-store.js');
  const inner = new FileStore({ path: dir });
  let refused = 0;
  return {
    takesSnapshotBytes: takesBytes,
    get refused() { return refused; },
    open: () => inner.open(),
    append: (records) => inner.append(records),
    close: () => inner.close(),
    writeSnapshot: async ({ seq, text, bytes, verify }) => {
      assert.equal(bytes !== undefined, takesBytes, 'bytes go only to a store that takes them');
      try {
        return await inner.writeSnapshot(takesBytes ? { seq, bytes: bytes.subarray(0, -3), verify } : { seq, text: text.slice(0, -3), verify });
      } catch (error) {
        refused++;
        throw error;
      }
    },
  };
}

for (const bytes of [false, true]) test(`a snapshot the engine would not load is never kept, and the log it covers stays (${bytes ? 'bytes' : 'text'})`, () => withFolder(async (dir) => {
  const errors = [];
  const store = await manglingFileStore(dir, { bytes });
  const db = await Database.open({ storage: store, clock, snapshotEvery: 10, onError: (e) => errors.push(e) });
  for (let i = 0; i < 35; i++) { db.executeQuery(add('a', [{ id: -1, i }])); await db.flush(); }
  const before = everyState(db);
  await db.close();
  assert.ok(store.refused >= 3 && store.refused <= 4, `${store.refused} snapshots refused: one try per snapshotEvery commits, not one per batch`);
  assert.ok(errors.length >= 3 && errors.every((e) => e.code === 'CORRUPT'), errors.map((e) => e.message).join('\n'));
  const again = await Database.open({ storage: 'file', path: dir, clock });
  assert.deepEqual(everyState(again), before);
  await again.close();
}));

test('snapshots as bytes through the file store: non-ASCII documents, causes and retention reopen exactly', () => withFolder(async (dir) => {
  const db = await Database.open({ storage: 'file', path: dir, clock, snapshotEvery: 7 });
  db.setRetention({ maxCommits: 30 });
  for (let i = 0; i < 40; i++) {
    db.executeQueryObject(add('naïve', [{ id: -1, name: `é ${i} \u{1F600}`, lone: i % 5 === 0 ? 'x\ud800y' : 'ok' }]), undefined);
    if (i % 3 === 0) await db.flush();
  }
  await db.createIndex('naïve', 'name');   // writes a snapshot now, at the last seq
  const before = everyState(db);
  assert.ok(before.states.length <= 31, 'retention applied');
  await db.close();
  const again = await Database.open({ storage: 'file', path: dir, clock });
  assert.deepEqual(everyState(again), before);
  assert.deepEqual(again.stats().storageWarnings, []);
  await again.close();
}));

test('big adds whose documents crossed in the storage format come back after reopening, from the log and from a snapshot', () => withFolder(async (dir) => {
  // 3000 documents: an add this big skips JSON (js/doc-encoder.js); its commit record keeps
  // them once, in the versions, and the log and the snapshot write them back out as JSON.
  const docs = (k) => Array.from({ length: 3000 }, (_, i) => ({ k, i, s: i % 5 ? `ascii ${i}` : `é"\\\n😀${i}`, n: i * 1.5, big: 2 ** 40 + i, when: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)), list: [i, null, true, { deep: [k] }] }));
  const bigAdd = (k) => ({ className: 'Query', version: '7', target: 'big', type: 'add', addData: docs(k) });
  const db = await Database.open({ storage: 'file', path: dir, clock, snapshotEvery: 3 });
  db.executeQuery(bigAdd(1));
  db.executeQuery({ ...bigAdd(2), returnData: true });
  await db.flush();
  db.executeQuery(add('a', [{ id: -1, between: true }]));   // the third commit: a snapshot
  await db.flush();
  db.executeQuery({ ...bigAdd(3), serialKey: 'i' });        // after it: only in the log; its record keeps the documents as given
  await db.flush();
  const before = everyState(db);
  assert.equal(db.executeQuery({ className: 'Query', version: '7', target: 'big', type: 'getAll' }).result.length, 9000);
  // Each big add's record gives its documents back (the log and an export write them out).
  assert.deepEqual(db.commits().map((c) => c.query.addData?.length), [3000, 3000, 1, 3000]);
  await db.close();
  const { readdir } = await import('node:fs/promises');
  assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.hsnap')), ['snapshot-00000000000000000003.hsnap'], 'the last add is in the log only');
  const again = await Database.open({ storage: 'file', path: dir, clock });
  assert.deepEqual(everyState(again), before);
  assert.deepEqual(again.executeQuery({ className: 'Query', version: '7', target: 'big', type: 'getAll' }).result.slice(3000, 3005), JSON.parse(JSON.stringify(docs(2).slice(0, 5))));
  await again.close();
}));
