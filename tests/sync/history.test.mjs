/*
 * history.test.mjs: "history stays honest" on real workerd: each commit records where it was
 * first made (its id's origin and its base, the server seq its client had pulled), the server
 * keeps the base and sends it on pull, and SyncClient.commitStatus tells pending,
 * acknowledged and rebased commits apart (sync/client.js, sync/client-store.js).
 * Checks: a commit made offline while another client commits is 'rebased' once it lands
 * (base: where it was made, serverSeq: where it landed), on its own client and on the other;
 * a plain one is 'acknowledged'; an unpushed one is 'pending'; two offline commits of one
 * client with nobody else writing are not rebased by each other, also across a reopen (two
 * origins); the server keeps the bases
 * (a commit's own over its push's) past snapshots and across a restart, drops them with the
 * commits retention drops, and loads a log stored before bases were kept (the object over a
 * folder, sync/file-storage.js); listeners hear the changes; the statuses come back
 * the same after a reopen with a kept state (sync/state-file.js).
 * Must stay true: the workerd started here is stopped; every client is closed.
 * Usage: node --experimental-websocket --test tests/sync/history.test.mjs
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SyncClient } from '../../sync/index.js';
import { fileSyncState } from '../../node/index.js';
import { startWorkerd, freePort } from './workerd.mjs';
import { syncObjectClass } from '../../sync/object.js';
import { FileStorage } from '../../sync/file-storage.js';
import { AUTH_HEADER } from '../../sync/worker.js';

const workDir = mkdtempSync(path.join(os.tmpdir(), 'hindsight-sync-history-'));
let server, port;
const clients = [];
const add = (doc, why) => ({ className: 'Query', version: '6', target: 'notes', type: 'add', addData: [doc], cause: { why } });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const idOf = (c, what) => c.db.commits().find((x) => x.cause?.why === what).id;

async function open(token, extra = {}) {
  const c = await SyncClient.open({ url: server.url, name: 'honest', token, pollMs: 100, WebSocket: null, ...extra });
  clients.push(c);
  return c;
}

before(async () => { port = await freePort(); server = await startWorkerd(workDir, port); });
after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await server?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

test('pending, acknowledged and rebased commits are told apart, with their origin and base', async () => {
  let offline = false;
  const stateDir = path.join(workDir, 'alice-state');
  const flaky = (...args) => (offline ? Promise.reject(new TypeError('offline (test)')) : fetch(...args));
  const alice = await open('token-alice', { fetch: flaky, state: fileSyncState(stateDir) });
  const bob = await open('token-bob');
  let heard = 0;
  const unsubscribe = alice.subscribeCommitStatus(() => { heard++; });

  alice.db.executeQuery(add({ n: 1 }, 'a-plain'));
  await alice.synced();
  const plain = idOf(alice, 'a-plain');
  assert.deepEqual(alice.commitStatus(plain), { status: 'acknowledged', serverSeq: 1, base: 0, origin: plain.split('.')[0], own: true });

  offline = true;
  alice.db.executeQuery(add({ n: 2 }, 'a-offline'));
  alice.db.executeQuery(add({ n: 3 }, 'a-offline-2'));
  await alice.db.flush();
  const made = idOf(alice, 'a-offline'), made2 = idOf(alice, 'a-offline-2');
  assert.equal(alice.commitStatus(made).status, 'pending');
  assert.equal(alice.commitStatus(made).base, 1);
  assert.equal(alice.commitStatus(made).serverSeq, undefined);
  await bob.synced();
  bob.db.executeQuery(add({ n: 4 }, 'b-between'));
  await bob.synced();
  const between = idOf(bob, 'b-between');
  assert.equal(bob.commitStatus(between).status, 'acknowledged');
  assert.equal(alice.commitStatus(made).status, 'pending');
  assert.equal(alice.commitStatus('no-such.1'), null);

  const heardBefore = heard;
  offline = false;
  await alice.synced();
  assert.ok(heard > heardBefore, 'the listener heard the statuses change');
  unsubscribe();
  const origin = made.split('.')[0];
  assert.deepEqual(alice.commitStatus(made), { status: 'rebased', serverSeq: 3, base: 1, origin, own: true });
  assert.deepEqual(alice.commitStatus(made2), { status: 'rebased', serverSeq: 4, base: 1, origin, own: true });
  assert.deepEqual(alice.commitStatus(between), { status: 'acknowledged', serverSeq: 2, base: 1, origin: between.split('.')[0], own: false });
  // Two commits made offline with nobody else writing: the second lands after the first
  // (serverSeq > base + 1), but only its own client's commit lies between: not rebased.
  offline = true;
  alice.db.executeQuery(add({ n: 5 }, 'a-alone'));
  alice.db.executeQuery(add({ n: 6 }, 'a-alone-2'));
  await alice.db.flush();
  const alone = idOf(alice, 'a-alone'), alone2 = idOf(alice, 'a-alone-2');
  assert.equal(alice.commitStatus(alone2).status, 'pending');
  offline = false;
  await alice.synced();
  assert.deepEqual(alice.commitStatus(alone), { status: 'acknowledged', serverSeq: 5, base: 4, origin: alone.split('.')[0], own: true });
  assert.deepEqual(alice.commitStatus(alone2), { status: 'acknowledged', serverSeq: 6, base: 4, origin: alone2.split('.')[0], own: true });
  // Time and cause stay the commit's own.
  const kept = alice.db.commits().find((c) => c.id === made);
  assert.equal(kept.cause.why, 'a-offline');

  // The other client sees the same: the offline commit was rebased, where it was made.
  await bob.synced();
  assert.deepEqual(bob.commitStatus(made), { status: 'rebased', serverSeq: 3, base: 1, origin, own: false });

  // The server sends each commit's base on pull.
  const pulled = await (await fetch(`${server.url}/v1/honest/pull?after=0`, { headers: { authorization: 'Bearer token-bob' } })).json();
  assert.deepEqual(pulled.commits.map((c) => [c.id, c.seq, c.base]), [[plain, 1, 0], [between, 2, 1], [made, 3, 1], [made2, 4, 1], [alone, 5, 4], [alone2, 6, 4]]);

  // The statuses are kept with the sync state: a reopened client answers the same.
  const ids = [plain, made, made2, between, alone, alone2];
  const before = ids.map((id) => alice.commitStatus(id));
  await alice.close();
  const again = await open('token-alice', { state: fileSyncState(stateDir) });
  assert.deepEqual(ids.map((id) => again.commitStatus(id)), before);
});

const pullAll = async (name, after) => (await fetch(`${server.url}/v1/${name}/pull?after=${after}`, { headers: { authorization: 'Bearer token-bob' } })).json();

test('commits of one client across a reopen (two origins), with nobody else writing, are not rebased by each other', async () => {
  let offline = true;
  const stateDir = path.join(workDir, 'reopen-state');
  const options = { name: 'honest-reopen', fetch: (...args) => (offline ? Promise.reject(new TypeError('offline (test)')) : fetch(...args)), state: fileSyncState(stateDir) };
  const first = await open('token-alice', options);
  first.db.executeQuery(add({ n: 1 }, 'before-reopen'));
  await first.db.flush();
  const one = idOf(first, 'before-reopen');
  await first.close();
  const second = await open('token-alice', { ...options, state: fileSyncState(stateDir) });
  second.db.executeQuery(add({ n: 2 }, 'after-reopen'));
  await second.db.flush();
  const two = idOf(second, 'after-reopen');
  assert.notEqual(one.split('.')[0], two.split('.')[0], 'a reopened client commits under a new origin');
  assert.deepEqual([second.commitStatus(one).status, second.commitStatus(two).status], ['pending', 'pending']);
  offline = false;
  await second.synced();
  assert.deepEqual(second.commitStatus(one), { status: 'acknowledged', serverSeq: 1, base: 0, origin: one.split('.')[0], own: true });
  assert.deepEqual(second.commitStatus(two), { status: 'acknowledged', serverSeq: 2, base: 0, origin: two.split('.')[0], own: true });
});

test("a commit's own base is kept over its push's, beside its record past snapshots", async () => {
  // retain-*: a snapshot every 20 commits, the latest 30 kept (tests/sync/users.js RETAIN).
  const push = (commits, base) => fetch(`${server.url}/v1/retain-honest/push`, { method: 'POST', headers: { authorization: 'Bearer token-bob' },
    body: JSON.stringify({ protocol: 1, base, commits }) }).then((r) => r.json());
  for (let i = 1; i <= 45; i++) {
    // odd commits carry their own base (i - 1); even ones take the push's (i - 2)
    const commit = { id: `hist.${i}`, time: 1000 + i, cause: null, query: add({ i }, `r${i}`), ...(i % 2 ? { base: i - 1 } : {}) };
    const answer = await push([commit], i - 2);
    assert.equal(answer.results[0].status, 'accepted', JSON.stringify(answer));
  }
  const expected = Array.from({ length: 30 }, (_, k) => k + 16).map((seq) => [seq, seq % 2 ? seq - 1 : seq - 2]);
  const page = await pullAll('retain-honest', 15);
  assert.deepEqual(page.commits.map((c) => [c.seq, c.base]), expected);
  const bad = await push([{ id: 'hist.bad', time: 1, cause: null, query: add({}, 'bad'), base: -3 }], 0);
  assert.equal(bad.results[0].code, 'BAD_COMMIT');
});

test('the server keeps the bases across a restart', async () => {
  await server.stop();
  server = await startWorkerd(workDir, port);
  let pulled;
  for (let i = 0; i < 50; i++) {
    try {
      pulled = await (await fetch(`${server.url}/v1/honest/pull?after=0`, { headers: { authorization: 'Bearer token-bob' } })).json();
      break;
    } catch { await sleep(100); }
  }
  assert.deepEqual(pulled.commits.map((c) => [c.seq, c.base]), [[1, 0], [2, 1], [3, 1], [4, 1], [5, 4], [6, 4]]);
  const page = await pullAll('retain-honest', 15);
  assert.deepEqual(page.commits.map((c) => [c.seq, c.base]), Array.from({ length: 30 }, (_, k) => k + 16).map((seq) => [seq, seq % 2 ? seq - 1 : seq - 2]));
});

test('a log stored before bases were kept loads (its commits come without base); retention drops bases with their commits', async () => {
  const dir = path.join(workDir, 'object-storage');
  const Sync = syncObjectClass({ snapshotEvery: 5, keepCommits: 3 });
  const headers = { [AUTH_HEADER]: JSON.stringify({ user: 't', permissions: null }) };
  const call = async (object, verb, body) => (await object.fetch(new Request(`http://127.0.0.1/v1/x/${verb}`, body
    ? { method: 'POST', headers, body: JSON.stringify(body) } : { headers }))).json();
  const objectOver = async () => { const storage = await FileStorage.open(dir); return { storage, object: new Sync({ storage, getWebSockets: () => [] }) }; };
  const commit = (i) => ({ id: `old.${i}`, time: i, cause: null, query: add({ i }, `o${i}`) });

  let { storage, object } = await objectOver();
  for (let i = 1; i <= 3; i++) assert.equal((await call(object, 'push', { protocol: 1, base: i - 1, commits: [commit(i)] })).results[0].status, 'accepted');
  // As an older server stored it: no "b:" keys.
  await storage.delete([...(await storage.list({ prefix: 'b:' })).keys()]);
  ({ storage, object } = await objectOver());
  await call(object, 'push', { protocol: 1, base: 3, commits: [commit(4)] });
  let page = await call(object, 'pull?after=0');
  assert.deepEqual(page.commits.map((c) => [c.seq, c.base]), [[1, undefined], [2, undefined], [3, undefined], [4, 3]]);

  for (let i = 5; i <= 12; i++) await call(object, 'push', { protocol: 1, base: i - 1, commits: [commit(i)] });
  // Snapshots at 5 and 10 with the latest 3 kept: the history starts after seq 7.
  page = await call(object, 'pull?after=7');
  assert.deepEqual(page.commits.map((c) => [c.seq, c.base]), [[8, 7], [9, 8], [10, 9], [11, 10], [12, 11]]);
  const kept = [...(await storage.list({ prefix: 'b:' })).keys()].map((k) => Number(k.slice(2)));
  assert.deepEqual(kept, [8, 9, 10, 11, 12]);
});
