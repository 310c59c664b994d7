/*
 * client-store.test.mjs: the SyncStore (sync/client-store.js) without a server: how a
 * rebuild reaches a Database through its multi-tab catch-up, and that a local commit the
 * Database has not written yet is never lost to a rebuild, even after a rebuild that shrank
 * the Database (its durableSeq stays above its seq: the case client-store.js takes care of);
 * and the two SyncStates (sync/state-file.js, sync/state-indexeddb.js on fake-indexeddb) keep
 * pulled commits, cursor and pending, a torn or uncommitted tail of the folder's log dropped.
 * Usage: node --test tests/sync/client-store.test.mjs
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Database } from '../../js/index.js';
import { Engine } from '../../js/engine.js';
import { loadEngine } from '../../js/wasm-loader.js';
import { SyncStore } from '../../sync/client-store.js';

const add = (doc) => ({ className: 'Query', version: '6', target: 'items', type: 'add', addData: [doc] });

async function setUp(name) {
  const mirror = new Engine(await loadEngine());
  mirror.setOrigin('mirror');
  const dropped = [];
  const store = new SyncStore(mirror, { onAppend() {}, onDropped: (p) => dropped.push(p.id) });
  const db = await Database.open({ name, storage: store, locks: { request: (_n, fn) => fn() } });
  store.db = db;
  const channel = new BroadcastChannel(`hindsight:${name}`);
  const rebuild = () => { const done = store.requestRebuild(); channel.postMessage({ type: 'commit', seq: Number.MAX_SAFE_INTEGER }); return done; };
  return { mirror, store, db, dropped, rebuild, close: async () => { channel.close(); await db.close(); } };
}

test('a rebuild makes the Database the server commits plus its pending ones, ids kept', async () => {
  const t = await setUp('store-rebuild');
  t.db.executeQuery(add({ mine: 1 }));
  await t.db.flush();
  const mine = t.db.commits()[0];
  t.store.addServerCommits([{ id: 'other.1', time: 5, cause: { who: 'other' }, query: add({ theirs: 1 }) }]);
  await t.rebuild();
  assert.deepEqual(t.db.commits().map((c) => c.id), ['other.1', mine.id]);
  assert.deepEqual(t.db.commits()[1].time, mine.time, 'the rebased commit keeps its time');
  assert.deepEqual(t.store.pending.map((p) => p.id), [mine.id]);
  await t.close();
});

test('a commit not yet written survives a rebuild after a rebuild that dropped a commit', async () => {
  const t = await setUp('store-shrink');
  t.db.executeQuery(add({ refused: 1 }));
  await t.db.flush();
  // The server refused it: it leaves pending and the Database goes back to seq 0 (durableSeq stays 1).
  t.store.dropPending([t.db.commits()[0].id]);
  await t.rebuild();
  assert.equal(t.db.seq, 0);
  // A new local commit (seq 1, not written yet) and, in the same tick, a server commit arrives.
  t.db.executeQuery(add({ later: 1 }));
  const later = t.db.commits()[0].id;
  t.store.addServerCommits([{ id: 'other.2', time: 9, cause: null, query: add({ theirs: 2 }) }]);
  await t.rebuild();
  await t.db.flush();
  assert.deepEqual(t.db.commits().map((c) => c.id), ['other.2', later], 'the unwritten commit is still there, on top');
  assert.deepEqual(t.store.pending.map((p) => p.id), [later]);
  await t.close();
});

/* A SyncState (sync/state-file.js, sync/state-indexeddb.js) keeps pulled commits, cursor and
   pending between runs; a crash between the commits and the cursor leaves no commit past it. */
async function stateRoundTrip(open) {
  const commit = (seq) => ({ seq, id: `s.${seq}`, time: seq, cause: null, query: add({ seq }) });
  let state = await open();
  assert.equal(await state.load(), null, 'nothing kept yet');
  await state.saveServer([commit(1), commit(3)], 4, [{ id: 'p.1', time: 9, cause: null, query: add({ p: 1 }) }]);
  await state.savePending([], 4);
  await state.saveServer([commit(5)], 6, [{ id: 'p.2', time: 10, cause: { why: 'w' }, query: add({ p: 2 }), toId: null }]);
  await state.close();
  state = await open();
  const kept = await state.load();
  assert.equal(kept.cursor, 6);
  assert.deepEqual(kept.serverCommits.map((c) => c.seq), [1, 3, 5]);
  assert.deepEqual(kept.serverCommits[2], commit(5));
  assert.deepEqual(kept.pending, [{ id: 'p.2', time: 10, cause: { why: 'w' }, query: add({ p: 2 }), toId: null }]);
  await state.close();
}

test('the folder sync state keeps commits, cursor and pending; lines past the cursor and a torn line are dropped', async (t) => {
  const { mkdtempSync, rmSync, appendFileSync, readFileSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { fileSyncState } = await import('../../node/index.js');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hindsight-sync-state-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await stateRoundTrip(async () => fileSyncState(dir));
  // A crash after appending commits but before the cursor moved, mid-line.
  appendFileSync(path.join(dir, 'server.jsonl'), `${JSON.stringify({ seq: 7, id: 's.7', time: 7, cause: null, query: add({}) })}\n{"seq":8,"id`);
  const kept = await fileSyncState(dir).load();
  assert.deepEqual(kept.serverCommits.map((c) => c.seq), [1, 3, 5]);
  assert.equal(readFileSync(path.join(dir, 'server.jsonl'), 'utf8').trim().split('\n').length, 3, 'the file is cut back to the cursor');
});

test('the IndexedDB sync state keeps commits, cursor and pending (fake-indexeddb)', async () => {
  const { IDBFactory } = await import('fake-indexeddb');
  const { indexedDBSyncState } = await import('../../sync/index.js');
  const factory = new IDBFactory();
  await stateRoundTrip(() => indexedDBSyncState('state-test', factory));
});
