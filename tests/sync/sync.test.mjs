/*
 * sync.test.mjs: the sync suite: real workerd on 127.0.0.1 running the sync Worker and
 * Durable Object (tests/sync/worker.js), and SyncClients in this process.
 *
 * Checks: concurrent clients converge to one history (same ids, same order, same state);
 * a retried push is idempotent and a reused id with other content is refused; a commit the
 * user may not write is rejected with its reason, reported, and gone from the client; a user
 * who may not read a collection never receives its commits; commits made while the server is
 * down are pushed when it is back; a client with a kept state (sync/state-file.js) reopens
 * with its pending commits and cursor and pushes them; the server stores snapshots and keeps
 * only the latest commits (retention), and a new or far-behind client starts from the
 * snapshot; the WebSocket tells the other client at once. Prints the
 * push rate (commits/s) and the poke-to-arrival latency.
 * Must stay true: every workerd started here is stopped; every client is closed.
 * Usage: node --experimental-websocket --test tests/sync/sync.test.mjs  (SYNC_SEED=n: another random
 * workload)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SyncClient } from '../../sync/index.js';
import { Database } from '../../js/index.js';
import { fileSyncState, startSyncServer } from '../../node/index.js';
import { authenticate, RETAIN } from './users.js';
import { startWorkerd, freePort } from './workerd.mjs';

const workDir = mkdtempSync(path.join(os.tmpdir(), 'hindsight-sync-'));
// SYNC_SERVER=node runs the same suite against the self-hosted Node server (node-server.test.mjs).
const backend = process.env.SYNC_SERVER ?? 'workerd';

/* Starts the server under test on port, its storage in workDir (kept across a restart). */
async function startServer() {
  if (backend !== 'node') return startWorkerd(workDir, port);
  const node = await startSyncServer({ dir: path.join(workDir, 'node-server'), port, authenticate,
    settings: (name) => (name.startsWith('retain-') ? RETAIN : {}) });
  // As startWorkerd does: answer once, so a pooled connection to the old server is dropped.
  for (let i = 0; i < 3; i++) if (await fetch(`${node.url}/`).then(() => true, () => false)) break;
  return { url: node.url, stop: () => node.close() };
}
let port, server;
const clients = [];

const add = (target, doc, cause) => ({ className: 'Query', version: '6', target, type: 'add', addData: [doc], ...(cause ? { cause } : {}) });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function client(name, token, extra = {}) {
  const c = await SyncClient.open({ url: server.url, name, token, pollMs: 60_000, ...extra });
  clients.push(c);
  return c;
}

async function until(what, fn, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function raw(name, verb, token, body, query = '') {
  const response = await fetch(`${server.url}/v1/${name}/${verb}${query}`, {
    method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${token}` }, body: body && JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const history = (db) => db.commits().map((c) => ({ id: c.id, time: c.time, cause: c.cause, query: c.query }));

before(async () => {
  port = await freePort();
  server = await startServer();
});

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await server?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

test('two clients writing at once converge to the same history, ids kept', async () => {
  const a = await client('converge', 'token-alice');
  const b = await client('converge', 'token-bob');
  const made = new Set();
  for (let i = 0; i < 20; i++) {
    a.db.executeQuery(add('notes', { by: 'a', i }, { who: 'alice', why: `a${i}` }));
    b.db.executeQuery(add('notes', { by: 'b', i }, { who: 'bob', why: `b${i}` }));
    if (i % 5 === 4) { a.sync(); b.sync(); await sleep(5); }
  }
  for (const c of [a, b]) for (const commit of c.db.commits()) made.add(commit.id);
  await a.synced(); await b.synced(); await a.synced();
  const ha = history(a.db), hb = history(b.db);
  assert.equal(ha.length, 40);
  assert.deepEqual(ha, hb);
  assert.deepEqual(new Set(ha.map((c) => c.id)), made, 'every local id reached the shared history unchanged');
  assert.deepEqual(a.db.toDict(), b.db.toDict());
  const server = await raw('converge', 'pull', 'token-alice');
  assert.deepEqual(server.body.commits.map((c) => c.id), ha.map((c) => c.id), 'the server order is the clients\' order');
  assert.ok(ha.some((c) => c.cause?.why === 'a3') && ha.some((c) => c.cause?.why === 'b7'), 'causes kept');
});

test('three clients under a seeded random workload end with one history; nothing lost or doubled', async () => {
  let seed = Number(process.env.SYNC_SEED ?? 12345);
  const random = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const reported = new Set();
  const cs = [];
  for (const token of ['token-alice', 'token-bob', 'token-alice']) {
    cs.push(await client('random', token, { onRejected: (r) => reported.add(r.id) }));
  }
  const made = [];
  const where = (k) => ({ type: 'equals_', field: 'k', value: k, vType: 'auto_', version: '2' });
  for (let step = 0; step < 150; step++) {
    const c = cs[random(3)];
    const action = random(10);
    const before = c.db.seq;
    if (action < 5) c.db.executeQuery(add('items', { k: random(8), step }));
    else if (action < 7) c.db.executeQuery({ className: 'Query', version: '6', target: 'items', type: 'update', queryNode: where(random(8)), overrideData: { touched: step }, returnData: false, mustAffectAtLeastOne: false });
    else if (action < 8) c.db.executeQuery({ className: 'Query', version: '6', target: 'items', type: 'delete', queryNode: where(random(8)), returnData: false, mustAffectAtLeastOne: true });
    else if (action < 9) c.sync();
    else await sleep(random(6));
    if (c.db.seq > before) made.push(c.db.commits({ from: c.db.seq })[0].id);
  }
  for (let round = 0; round < 2; round++) for (const c of cs) await c.synced();
  const h0 = history(cs[0].db);
  for (const c of cs.slice(1)) assert.deepEqual(history(c.db), h0);
  for (const c of cs.slice(1)) assert.deepEqual(c.db.toDict(), cs[0].db.toDict());
  const ids = h0.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length, 'no commit applied twice');
  const server = await raw('random', 'pull', 'token-alice');
  assert.deepEqual(server.body.commits.map((c) => c.id), ids);
  const final = new Set(ids);
  const lost = made.filter((id) => !final.has(id) && !reported.has(id));
  assert.deepEqual(lost, [], 'every local commit is in the history or was reported');
  assert.ok(ids.length > 60, `most commits survive (${ids.length} of ${made.length})`);
  console.log(`# random workload (seed ${process.env.SYNC_SEED ?? 12345}): ${made.length} local commits, ${ids.length} in the shared history, ${reported.size} reported refused`);
});

test('two clients delete the same document: one delete wins, the other is reported, both converge', async () => {
  const reported = [];
  const a = await client('conflict', 'token-alice');
  const b = await client('conflict', 'token-bob', { onRejected: (r) => reported.push(r) });
  a.db.executeQuery(add('items', { k: 1 }));
  await a.synced(); await b.synced();
  const remove = { className: 'Query', version: '6', target: 'items', type: 'delete', returnData: false, mustAffectAtLeastOne: true,
    queryNode: { type: 'equals_', field: 'k', value: 1, vType: 'auto_', version: '2' } };
  a.db.executeQuery(remove);
  b.db.executeQuery(remove);
  const lateId = b.db.commits({ from: b.db.seq })[0].id;
  await a.synced(); await b.synced(); await a.synced();
  assert.equal(reported.length, 1, JSON.stringify(reported));
  assert.equal(reported[0].id, lateId);
  assert.ok(['QUERY_FAILED', 'NO_LONGER_APPLIES'].includes(reported[0].code), reported[0].code);
  assert.deepEqual(history(b.db), history(a.db));
  assert.equal(a.db.seq, 2);
});

test('a retried push is idempotent by id; a reused id with other content is refused', async () => {
  const commit = { id: 'retry.1', time: Date.now(), cause: { why: 'retry' }, query: add('notes', { x: 1 }) };
  const first = await raw('retry', 'push', 'token-alice', { protocol: 1, base: 0, commits: [commit] });
  assert.equal(first.body.results[0].status, 'accepted');
  const again = await raw('retry', 'push', 'token-alice', { protocol: 1, base: 0, commits: [commit] });
  assert.deepEqual(again.body.results[0], { id: 'retry.1', status: 'duplicate', seq: first.body.results[0].seq });
  assert.equal(again.body.head, first.body.head);
  const forged = await raw('retry', 'push', 'token-alice', { protocol: 1, base: 0, commits: [{ ...commit, query: add('notes', { x: 2 }) }] });
  assert.equal(forged.body.results[0].code, 'ID_REUSED');
  const pulled = await raw('retry', 'pull', 'token-alice');
  assert.equal(pulled.body.commits.length, 1);
  assert.deepEqual(pulled.body.commits[0].query.addData, [{ x: 1 }]);
  const bad = await raw('retry', 'push', 'token-alice', { protocol: 1, base: 0, commits: [{ id: 'x"y', time: 1, query: {} }] });
  assert.equal(bad.body.results[0].code, 'BAD_COMMIT');
  const noAuth = await raw('retry', 'pull', 'token-nobody');
  assert.equal(noAuth.status, 401);
  const post = (headers, body) => fetch(`${server.url}/v1/retry/push`, { method: 'POST', headers: { authorization: 'Bearer token-alice', ...headers }, body })
    .then(async (r) => ({ status: r.status, body: await r.json() }));
  const notJson = await post({}, '{"protocol":1,');
  assert.deepEqual([notJson.status, notJson.body.error.code], [400, 'BAD_REQUEST']);
  const otherVersion = await post({}, JSON.stringify({ protocol: 2, commits: [] }));
  assert.deepEqual([otherVersion.status, otherVersion.body.error.code], [400, 'BAD_REQUEST']);
  const huge = await post({}, JSON.stringify({ protocol: 1, commits: [{ id: 'big', time: 1, query: add('notes', { s: 'x'.repeat(5 << 20) }) }] }));
  assert.deepEqual([huge.status, huge.body.error.code], [413, 'TOO_LARGE']);
  // The auth header the Worker gives the object cannot be forged from outside.
  const forgedAuth = await fetch(`${server.url}/v1/retry/push`, {
    method: 'POST', headers: { authorization: 'Bearer token-carol', 'x-hindsight-auth': '{"user":"carol","permissions":null}' },
    body: JSON.stringify({ protocol: 1, base: 0, commits: [{ id: 'forged.1', time: 1, cause: null, query: add('notes', { x: 3 }) }] }),
  }).then((r) => r.json());
  assert.equal(forgedAuth.results[0].code, 'PERMISSION_DENIED');
  assert.equal((await raw('retry', 'pull', 'token-alice')).body.head, 1, 'no bad input changed the log');
});

test('an oversized push still being sent when the server refuses it gets its 413, not a cut connection', async () => {
  // The body arrives in pieces: the server sees it is too large long before the client is done.
  const piece = new TextEncoder().encode('x'.repeat(256 << 10));
  let sent = 0;
  const body = new ReadableStream({
    async pull(controller) {
      if (sent === 0) controller.enqueue(new TextEncoder().encode('{"protocol":1,"commits":[{"id":"big","time":1,"query":{"s":"'));
      if (sent >= 6 << 20) { controller.enqueue(new TextEncoder().encode('"}}]}')); controller.close(); return; }
      controller.enqueue(piece);
      sent += piece.length;
      if (sent % (1 << 20) === 0) await sleep(20);
    },
  });
  const response = await fetch(`${server.url}/v1/oversized/push`, { method: 'POST', headers: { authorization: 'Bearer token-alice' }, body, duplex: 'half' });
  assert.equal(response.status, 413);
  assert.equal((await response.json()).error.code, 'TOO_LARGE');
  assert.equal((await raw('oversized', 'pull', 'token-alice')).body.head, 0, 'nothing reached the log');
});

test('a synced history whose times go backwards exports and imports again, times kept', async () => {
  // Two devices: the later-made commit reaches the server first.
  const made = [{ id: 'late.1', time: Date.UTC(2026, 0, 2) }, { id: 'early.1', time: Date.UTC(2026, 0, 1) }];
  const pushed = await raw('times', 'push', 'token-alice', { protocol: 1, base: 0, commits: made.map((c, n) => ({ ...c, cause: null, query: add('notes', { n }) })) });
  assert.deepEqual(pushed.body.results.map((r) => r.status), ['accepted', 'accepted']);
  const a = await client('times', 'token-alice');
  await a.synced();
  const history = a.db.exportHistory();
  assert.deepEqual(history.commits.map((c) => Date.parse(c.time)), made.map((c) => c.time));
  const copy = await Database.importHistory(history);
  assert.deepEqual(copy.commits().map((c) => [c.id, c.time]), a.db.commits().map((c) => [c.id, c.time]));
  assert.deepEqual(copy.toDict(), a.db.toDict());
  await copy.close();
  // Without ids (an old export) times must still go forward.
  const old = { ...history, commits: history.commits.map(({ id, ...c }) => c) };
  await assert.rejects(Database.importHistory(old), /before the previous commit/);
});

test('a push whose answer is lost is retried and applied once', async () => {
  let dropped = 0;
  // The server appends, then the answer never arrives: the client must retry, and the retry must not double.
  const lossy = async (url, init) => {
    const response = await fetch(url, init);
    if (String(url).endsWith('/push') && dropped++ === 0) { await response.text(); throw new TypeError('connection reset'); }
    return response;
  };
  const a = await client('lost', 'token-alice', { fetch: lossy, pollMs: 100 });
  for (let n = 0; n < 3; n++) a.db.executeQuery(add('notes', { n }));
  await a.synced();
  assert.ok(dropped >= 2, 'one answer was lost and the push was sent again');
  const pulled = await raw('lost', 'pull', 'token-alice');
  assert.equal(pulled.body.head, 3, 'nothing doubled on the server');
  assert.deepEqual(pulled.body.commits.map((c) => c.id), a.db.commits().map((c) => c.id));
});

test('a commit the user may not write is rejected with its reason, reported, and gone', async () => {
  const rejected = [];
  const alice = await client('perm', 'token-alice');
  alice.db.executeQuery(add('notes', { by: 'alice' }));
  await alice.synced();
  const carol = await client('perm', 'token-carol', { onRejected: (r) => rejected.push(r) });
  await carol.synced();
  const before = carol.db.toDict();
  carol.db.executeQuery(add('notes', { by: 'carol' }));
  await carol.synced();
  assert.equal(rejected.length, 1);
  assert.equal(rejected[0].code, 'PERMISSION_DENIED');
  assert.match(rejected[0].reason, /not permitted.*permissions do not allow/);
  assert.deepEqual(rejected[0].query.addData, [{ by: 'carol' }]);
  assert.deepEqual(carol.db.toDict(), before, 'the rejected commit is gone from the client');
  const pulled = await raw('perm', 'pull', 'token-alice');
  assert.equal(pulled.body.head, 1);
});

const notes = (db) => (db.toDict().collections.notes?.data ?? []).map((d) => d.n).sort((x, y) => x - y);

test('revert, undo and redo sync: they replay on the server and the other client, by id, in the server order', async () => {
  const rejected = [];
  const a = await client('revert', 'token-alice', { onRejected: (r) => rejected.push(r) });
  const b = await client('revert', 'token-bob', { onRejected: (r) => rejected.push(r) });
  a.db.executeQuery(add('notes', { n: 1 }));
  a.db.executeQuery(add('notes', { n: 2 }));
  await a.synced(); await b.synced();
  b.db.executeQuery(add('notes', { n: 3 }));
  await b.synced();
  // a has not pulled b's commit: its revert names a's seq 1, which is the server's seq 1 too,
  // and on the server it also takes back b's commit (a revert is a state commit).
  a.db.revertTo(1, { why: 'back to one' });
  await a.synced(); await b.synced();
  assert.deepEqual(notes(a.db), [1]);
  assert.deepEqual(notes(b.db), [1]);
  b.db.undo({ why: 'b undoes the revert' });
  assert.deepEqual(notes(b.db), [1, 2, 3]);
  await b.synced(); await a.synced();
  assert.deepEqual(notes(a.db), [1, 2, 3]);
  a.db.redo();
  await a.synced(); await b.synced();
  assert.deepEqual(notes(b.db), [1]);
  // A revert whose target is a pending commit pushed in the same batch, while b writes too.
  a.db.executeQuery(add('notes', { n: 10 }));
  const targetId = a.db.commits({ from: a.db.seq })[0].id;
  a.db.executeQuery(add('notes', { n: 11 }));
  b.db.executeQuery(add('notes', { n: 20 }));
  await b.synced();
  // b's commit may have arrived and been put under a's pending ones: find the target by id.
  a.db.revertTo(a.db.commits().find((c) => c.id === targetId).seq, { why: 'drop 11' });
  assert.ok(!notes(a.db).includes(11));
  await a.synced(); await b.synced(); await a.synced();
  assert.deepEqual(rejected, []);
  assert.deepEqual(history(a.db), history(b.db));
  assert.deepEqual(a.db.toDict(), b.db.toDict());
  const server = await raw('revert', 'pull', 'token-alice');
  // The revert goes back to the state right after n:10 in the server's order.
  const order = server.body.commits.slice(6).map((c) => c.query.addData?.[0]?.n);
  assert.deepEqual(notes(a.db), [1, ...order.slice(0, order.indexOf(10) + 1)].sort((x, y) => x - y));
  assert.deepEqual(server.body.commits.map((c) => c.id), history(a.db).map((c) => c.id));
  const kinds = server.body.commits.map((c) => c.query.className === 'HindsightRevert' ? (c.query.undo ? 'undo' : c.query.redo ? 'redo' : 'revert') : 'add');
  assert.deepEqual(kinds, ['add', 'add', 'add', 'revert', 'undo', 'redo', 'add', 'add', 'add', 'revert']);
  // A client that starts now replays the reverts from the log to the same state.
  const c = await client('revert', 'token-bob');
  await c.synced();
  assert.deepEqual(c.db.toDict(), a.db.toDict());
});

test('a pushed revert: retried is a duplicate; unknown target, a whole state, or no write permission are refused', async () => {
  const first = await raw('revert-raw', 'push', 'token-alice', { protocol: 1, base: 0, commits: [
    { id: 'rr.1', time: 1, cause: null, query: add('notes', { n: 1 }) },
    { id: 'rr.2', time: 2, cause: null, query: add('notes', { n: 2 }) }] });
  assert.deepEqual(first.body.results.map((r) => r.status), ['accepted', 'accepted']);
  const revert = { id: 'rr.3', time: 3, cause: { why: 'x' }, query: { className: 'HindsightRevert', version: '1', toSeq: 77 }, toId: 'rr.1' };
  const pushed = await raw('revert-raw', 'push', 'token-alice', { protocol: 1, base: 0, commits: [revert] });
  assert.deepEqual(pushed.body.results[0], { id: 'rr.3', status: 'accepted', seq: 3 });
  const again = await raw('revert-raw', 'push', 'token-alice', { protocol: 1, base: 0, commits: [revert] });
  assert.deepEqual(again.body.results[0], { id: 'rr.3', status: 'duplicate', seq: 3 });
  const other = await raw('revert-raw', 'push', 'token-alice', { protocol: 1, base: 0, commits: [{ ...revert, toId: 'rr.2' }] });
  assert.equal(other.body.results[0].code, 'ID_REUSED');
  const pulled = await raw('revert-raw', 'pull', 'token-alice');
  assert.equal(pulled.body.commits[2].query.toSeq, 1, 'logged with the server\'s seq of its target');
  const refused = await raw('revert-raw', 'push', 'token-alice', { protocol: 1, base: 0, commits: [
    { ...revert, id: 'rr.4', toId: 'nowhere.1' },
    { id: 'rr.5', time: 5, cause: null, query: { className: 'HindsightRevert', version: '1', toSeq: 1, undo: 'nowhere.2' } },
    { id: 'rr.6', time: 6, cause: null, query: { className: 'HindsightRevert', version: '1', toSeq: 0, state: { collections: {} } } },
    { id: 'rr.7', time: 7, cause: null, query: { className: 'HindsightRevert', version: '1', toSeq: 2 } }] });
  assert.deepEqual(refused.body.results.map((r) => r.code), ['NO_TARGET', 'NO_TARGET', 'UNSUPPORTED', 'BAD_COMMIT']);
  const carol = await raw('revert-raw', 'push', 'token-carol', { protocol: 1, base: 0, commits: [{ ...revert, id: 'rr.8', toId: null, query: { ...revert.query, toSeq: 0 } }] });
  assert.equal(carol.body.results[0].code, 'PERMISSION_DENIED', JSON.stringify(carol.body));
  assert.equal((await raw('revert-raw', 'pull', 'token-alice')).body.head, 3, 'nothing refused reached the log');
});

test('a user who may not read a collection never receives its commits', async () => {
  const alice = await client('secret', 'token-alice');
  alice.db.executeQuery(add('secret', { pin: 1234 }));
  alice.db.executeQuery(add('notes', { text: 'hello' }));
  alice.db.executeQuery({ className: 'TransactionQuery', version: '1', queries: [add('notes', { t: 1 }), add('secret', { pin: 5 })] });
  await alice.synced();
  const dave = await client('secret', 'token-dave');
  await dave.synced();
  const seen = JSON.stringify(dave.db.commits());
  assert.ok(!seen.includes('secret') && !seen.includes('pin'), seen);
  assert.deepEqual(dave.db.toDict().collections.notes.data.map((d) => d.text), ['hello']);
  const pulled = await raw('secret', 'pull', 'token-dave');
  assert.ok(!JSON.stringify(pulled.body.commits).includes('pin'));
  assert.equal(pulled.body.cursor, 3, 'the cursor moves past what is left out');
  dave.db.executeQuery(add('notes', { text: 'from dave' }));
  await dave.synced();
  await alice.synced();
  assert.equal(alice.db.toDict().collections.notes.data.length, 3);
});

test('commits made while the server is down are pushed when it is back', async () => {
  const a = await client('offline', 'token-alice', { pollMs: 100 });
  const b = await client('offline', 'token-bob');
  a.db.executeQuery(add('notes', { n: 0 }));
  await a.synced();
  await server.stop();
  for (let n = 1; n <= 5; n++) a.db.executeQuery(add('notes', { n }));
  await until('the client to notice, with the 5 commits pending', () => a.state === 'offline' && a.pending.length === 5);
  server = await startServer();   // same port, same storage folder
  await a.synced();
  await b.synced();
  assert.deepEqual(history(b.db), history(a.db));
  assert.equal(b.db.seq, 6);
});

test('a client with a kept state reopens with its pending commits and cursor, and pushes them', async () => {
  const stateDir = path.join(workDir, 'client-state');
  const pulls = [];
  const counting = (url, init) => { if (String(url).includes('/pull?')) pulls.push(Number(new URL(url).searchParams.get('after'))); return fetch(url, init); };
  const open = () => SyncClient.open({ url: server.url, name: 'reopen', token: 'token-alice', pollMs: 100, fetch: counting, state: fileSyncState(stateDir) });
  const b = await client('reopen', 'token-bob');
  b.db.executeQuery(add('notes', { n: 0 }));
  await b.synced();
  let a = await open();
  await a.synced();
  a.db.executeQuery(add('notes', { n: 1 }));
  await a.synced();
  const cursor = a.cursor;
  assert.equal(cursor, 2);
  await server.stop();
  for (let n = 2; n <= 4; n++) a.db.executeQuery(add("notes", { n }));
  a.db.revertTo(3, { why: 'offline revert' });   // back to right after n:2
  const offline = history(a.db);
  await a.close();
  // Reopened while the server is still down: the same state, the same pending commits.
  a = await open();
  clients.push(a);
  assert.deepEqual(history(a.db), offline);
  assert.deepEqual(a.pending, offline.slice(2).map((c) => c.id));
  assert.equal(a.cursor, cursor);
  pulls.length = 0;
  server = await startServer();
  await a.synced();
  assert.ok(pulls.length && pulls[0] === cursor, `the first pull after reopening starts at the kept cursor (${pulls})`);
  await b.synced();
  assert.deepEqual(history(b.db), offline, 'the commits made offline before the close reached the server and b');
  assert.deepEqual(notes(b.db), [0, 1, 2]);
  assert.deepEqual(a.pending, []);
  await a.close();
  // Reopened once more: nothing pending, nothing pushed twice.
  a = await open();
  clients.push(a);
  await a.synced();
  assert.deepEqual(history(a.db), offline);
  assert.equal((await raw('reopen', 'pull', 'token-alice')).body.head, offline.length);
});

test('snapshots and retention: the server keeps the latest commits, a new or far-behind client starts from the snapshot', async () => {
  const name = 'retain-one';
  const stateDir = path.join(workDir, 'retain-state');
  // c syncs early, keeps its state, and goes away.
  let offline = false;
  const flaky = (url, init) => (offline ? Promise.reject(new TypeError('offline')) : fetch(url, init));
  let c = await SyncClient.open({ url: server.url, name, token: 'token-alice', pollMs: 60_000, fetch: flaky, WebSocket: null, state: fileSyncState(stateDir) });
  const a = await client(name, 'token-alice');
  for (let batch = 0; batch < 10; batch++) {
    for (let i = 0; i < 10; i++) a.db.executeQuery(add('notes', { n: batch * 10 + i }));
    await a.synced();
    if (batch === 0) { await c.synced(); assert.equal(c.db.seq, 10); }
    if (batch === 1) {
      offline = true;
      c.db.executeQuery(add('notes', { n: 'c offline' }));   // made, kept, never pushed before the close
      await c.db.flush();
      await c.close();
    }
  }
  const head = a.db.seq;
  assert.equal(head, 100);
  const tooOld = await raw(name, 'pull', 'token-alice');
  assert.deepEqual([tooOld.status, tooOld.body.error.code], [410, 'TOO_OLD']);
  const snapshot = await raw(name, 'snapshot', 'token-alice');
  assert.equal(snapshot.body.seq, head - 30, 'the kept history starts keepCommits before the head');
  assert.deepEqual(snapshot.body.db.collections.notes.data, JSON.parse(JSON.stringify(a.db.at(head - 30).executeQuery({ className: 'Query', version: '6', target: 'notes', type: 'getAll' }).result)));
  // A new client starts from the snapshot and pulls only the kept log.
  const b = await client(name, 'token-bob');
  await b.synced();
  assert.deepEqual(b.db.toDict(), a.db.toDict());
  assert.equal(b.db.seq, head);
  assert.deepEqual(b.db.commits().map((x) => x.id), a.db.commits({ from: head - 29 }).map((x) => x.id));
  // The object reloads from its snapshot and the log after it.
  await server.stop();
  server = await startServer();
  const after = await raw(name, 'pull', 'token-alice', undefined, `?after=${head - 30}`);
  assert.deepEqual(after.body.commits.map((x) => x.id), a.db.commits({ from: head - 29 }).map((x) => x.id));
  const last = a.db.commits({ from: head })[0];
  const retry = await raw(name, 'push', 'token-alice', { protocol: 1, base: 0, commits: [{ id: last.id, time: Date.parse(last.time), cause: last.cause, query: last.query }] });
  assert.deepEqual(retry.body.results[0], { id: last.id, status: 'duplicate', seq: head });
  // A retry of a commit older than the kept history is known too (its id outlives its record).
  const oldest = a.db.commits({ from: 1, to: 1 })[0];
  const oldRetry = await raw(name, 'push', 'token-alice', { protocol: 1, base: 0, commits: [{ id: oldest.id, time: Date.parse(oldest.time), cause: oldest.cause, query: oldest.query }] });
  assert.equal(oldRetry.body.results[0].status, 'duplicate', JSON.stringify(oldRetry.body));
  assert.equal(oldRetry.body.head, head, 'not applied again');
  // c comes back with a cursor (10) older than what is kept: it starts again from the
  // snapshot, keeps its pending commit on top and pushes it.
  offline = false;
  c = await SyncClient.open({ url: server.url, name, token: 'token-alice', pollMs: 60_000, fetch: flaky, state: fileSyncState(stateDir) });
  clients.push(c);
  assert.equal(c.cursor, 10);
  await c.synced();
  await a.synced();
  assert.deepEqual(c.db.toDict(), a.db.toDict());
  assert.ok(a.db.toDict().collections.notes.data.some((d) => d.n === 'c offline'));
  assert.equal(a.db.seq, head + 1);
});

test('the WebSocket tells a connected client at once; push rate', async () => {
  const a = await client('ws', 'token-alice');
  const b = await client('ws', 'token-bob');   // polls once a minute: only the socket can bring it
  await a.synced(); await b.synced();
  await sleep(300);   // the sockets are open
  const latencies = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    a.db.executeQuery(add('notes', { i }));
    await until('the poke', () => b.db.seq === i + 1, 5000);
    latencies.push(performance.now() - t0);
  }
  latencies.sort((x, y) => x - y);
  const N = 1000;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) a.db.executeQuery(add('bulk', { i }));
  await a.synced();
  const ms = performance.now() - t0;
  console.log(`# sync figures: ${N} commits pushed and acknowledged through ${backend} in ${ms.toFixed(0)} ms (${(N / ms * 1000).toFixed(0)} commits/s); commit-to-other-client median ${latencies[5].toFixed(1)} ms, max ${latencies[9].toFixed(1)} ms`);
  await until('b to catch up', () => b.db.seq === a.db.seq, 20_000);
});
