/*
 * faults.test.mjs: the sync fault tests: real workerd on 127.0.0.1 (its Durable Object
 * storage on disk, tests/sync/config.template.capnp, so a restart keeps it), with SyncClients
 * in this process talking to it through a proxy that breaks connections on purpose
 * (fault-proxy.mjs).
 *
 * Checks, each under a seeded concurrent workload of three clients (one of which closes and
 * reopens with its kept state midway): (a) workerd killed (SIGKILL) and restarted while the
 * clients push a burst; (b) connections cut between the server's append and its answer, for
 * pushes and pulls; (c) pushes sent twice (racing each other) and pulls duplicated (sent
 * twice, and answered with commits the client already has). Afterwards every client and the
 * server hold identical histories (ids, order, states): every commit made is there once,
 * nothing lost, nothing doubled. Also: with retention (keepCommits), a retried push of a
 * commit older than the kept history is still recognised as a duplicate, never applied twice
 * (raw pushes, across a restart; and a SyncClient whose push answer was lost and which comes
 * back after the trim).
 * Must stay true: every workerd, proxy and client started here is stopped or closed.
 * Usage: node --experimental-websocket --test tests/sync/faults.test.mjs  (SYNC_SEED=n: another
 * workload)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SyncClient } from '../../sync/index.js';
import { fileSyncState } from '../../node/index.js';
import { RETAIN } from './users.js';
import { startWorkerd, freePort } from './workerd.mjs';
import { startFaultProxy } from './fault-proxy.mjs';
import { seededInt } from '../seeded-random.mjs';

const workDir = mkdtempSync(path.join(os.tmpdir(), 'hindsight-sync-faults-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const add = (target, doc) => ({ className: 'Query', version: '6', target, type: 'add', addData: [doc] });
const history = (db) => db.commits().map((c) => ({ id: c.id, time: c.time, cause: c.cause, query: c.query }));
const SEED = Number(process.env.SYNC_SEED ?? 7);

let port, server;
const open = new Set();


before(async () => {
  port = await freePort();
  server = await startWorkerd(workDir, port);
});

after(async () => {
  for (const c of open) await c.close().catch(() => {});
  await server?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

async function connect(url, name, token, extra = {}) {
  const c = await SyncClient.open({ url, name, token, pollMs: 100, pushBatch: 8, ...extra });
  open.add(c);
  return c;
}

async function closeClient(c) {
  open.delete(c);
  await c.close();
}

/* Every commit the server holds, in its order (straight from workerd, no proxy). */
async function serverLog(name) {
  const commits = [];
  for (let after = 0, more = true; more;) {
    const body = await fetch(`${server.url}/v1/${name}/pull?after=${after}`, { headers: { authorization: 'Bearer token-alice' } }).then((r) => r.json());
    commits.push(...body.commits);
    after = body.cursor;
    more = body.more;
  }
  return commits;
}

/* Three clients write concurrently through url; the second one closes midway and reopens
   with its kept state. Returns the clients, the ids made and the ids reported refused. */
async function workload(url, name, random, { perClient = 40 } = {}) {
  const rejected = [];
  const onRejected = (r) => rejected.push(r);
  const stateDir = path.join(workDir, `${name}-state`);
  const tokens = ['token-alice', 'token-bob', 'token-alice'];
  const cs = [];
  for (let k = 0; k < 3; k++) cs.push(await connect(url, name, tokens[k], { onRejected, ...(k === 1 ? { state: fileSyncState(stateDir) } : {}) }));
  const made = [];
  const writer = async (k) => {
    for (let i = 0; i < perClient; i++) {
      const c = cs[k];
      c.db.executeQuery(add('notes', { k, i }));
      made.push(c.db.commits({ from: c.db.seq })[0].id);
      if (random(4) === 0) c.sync();
      if (random(3) === 0) await sleep(random(15));
      if (k === 1 && i === perClient / 2) {
        // A restart: close (pending kept in its state folder) and reopen.
        await c.db.flush();
        await closeClient(c);
        cs[k] = await connect(url, name, tokens[k], { onRejected, state: fileSyncState(stateDir) });
      }
    }
  };
  await Promise.all([0, 1, 2].map(writer));
  return { cs, made, rejected };
}

/* Everyone ends with one history, and it is exactly the commits made, each once. */
async function assertOneHistory(name, cs, made, rejected) {
  for (let round = 0; round < 2; round++) for (const c of cs) await c.synced();
  assert.deepEqual(rejected, [], 'no commit was refused');
  const h0 = history(cs[0].db);
  for (const c of cs.slice(1)) assert.deepEqual(history(c.db), h0, 'the clients hold the same history (ids, order, times, causes, queries)');
  for (const c of cs.slice(1)) assert.deepEqual(c.db.toDict(), cs[0].db.toDict(), 'the clients hold the same state');
  const ids = h0.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length, 'no commit applied twice');
  assert.deepEqual([...ids].sort(), [...made].sort(), 'every commit made is in the history once, nothing else');
  const log = await serverLog(name);
  assert.deepEqual(log.map((c) => c.id), ids, 'the server holds the same order');
  assert.deepEqual(log.map((c) => c.seq), ids.map((_, i) => i + 1), 'the server log has no gap');
  const notes = cs[0].db.toDict().collections.notes.data;
  assert.equal(notes.length, made.length, 'each document once');
  for (const c of cs) assert.deepEqual(c.pending, []);
}

test('(a) workerd killed (SIGKILL) and restarted while clients push a burst: one history, nothing lost or doubled', { timeout: 90_000 }, async () => {
  const random = seededInt(SEED);
  let restarting = null, kills = 0;
  const killAt = new Set([2, 8, 15]);
  const restart = async () => {
    await sleep(random(6));            // the push is on its way, or being applied, or being stored
    await server.kill();
    kills++;
    await sleep(150);
    server = await startWorkerd(workDir, port);   // same port, same storage folder
  };
  const proxy = await startFaultProxy(server.url, ({ verb, n }) => {
    if (verb === 'push' && killAt.has(n) && !restarting) restarting = restart().finally(() => { restarting = null; });
    return 'pass';
  });
  try {
    const { cs, made, rejected } = await workload(proxy.url, 'kill-burst', random);
    // Each client's last commits are pushed after its writing ends: kills may still come.
    const deadline = Date.now() + 20_000;
    while ((restarting || kills < killAt.size) && Date.now() < deadline) { await restarting; await sleep(20); for (const c of cs) c.sync(); }
    await assertOneHistory('kill-burst', cs, made, rejected);
    assert.ok(kills >= 2, `workerd was killed mid-burst (${kills} times)`);
    assert.ok(proxy.stats.broken > 0, 'some requests were cut by the kills');
    console.log(`# (a) ${kills} kills; ${made.length} commits; ${proxy.counts.get('push')} pushes; ${proxy.stats.broken} requests cut`);
    for (const c of cs) await closeClient(c);
  } finally {
    await proxy.close();
  }
});

test('(b) a connection drops between the server\'s append and its answer: retries are recognised by id', { timeout: 60_000 }, async () => {
  const random = seededInt(SEED + 1);
  let dropped = 0;
  const proxy = await startFaultProxy(server.url, ({ verb }) => {
    if ((verb === 'push' && random(3) === 0) || (verb === 'pull' && random(5) === 0)) { dropped++; return 'drop'; }
    return 'pass';
  });
  try {
    const { cs, made, rejected } = await workload(proxy.url, 'drop-answer', random);
    await assertOneHistory('drop-answer', cs, made, rejected);
    assert.ok(dropped >= 5, `answers were dropped (${dropped})`);
    console.log(`# (b) ${dropped} answers dropped after the server did the work; ${made.length} commits`);
    for (const c of cs) await closeClient(c);
  } finally {
    await proxy.close();
  }
});

test('(c) pushes sent twice at once and pulls duplicated (again, and rewound onto known commits): one history', { timeout: 60_000 }, async () => {
  const random = seededInt(SEED + 2);
  const faults = { twice: 0, again: 0, rewind: 0 };
  const proxy = await startFaultProxy(server.url, ({ verb, n }) => {
    if (verb === 'push' && n % 3 === 1) { faults.twice++; return 'twice'; }
    if (verb === 'pull' && n % 4 === 1) { faults.again++; return 'again'; }
    if (verb === 'pull' && n % 4 === 3) { faults.rewind++; return { rewind: 1 + random(5) }; }
    return 'pass';
  });
  try {
    const { cs, made, rejected } = await workload(proxy.url, 'duplicated', random);
    await assertOneHistory('duplicated', cs, made, rejected);
    assert.ok(faults.twice > 0 && faults.again > 0 && faults.rewind > 0, JSON.stringify(faults));
    console.log(`# (c) ${JSON.stringify(faults)}; ${made.length} commits`);
    for (const c of cs) await closeClient(c);
  } finally {
    await proxy.close();
  }
});

test('a push racing its own retry is applied once', async () => {
  const body = JSON.stringify({ protocol: 1, base: 0, commits: [1, 2, 3].map((n) => ({ id: `race.${n}`, time: n, cause: null, query: add('notes', { n }) })) });
  const push = () => fetch(`${server.url}/v1/race/push`, { method: 'POST', headers: { authorization: 'Bearer token-alice' }, body }).then((r) => r.json());
  const answers = await Promise.all([push(), push(), push()]);
  const statuses = answers.map((a) => a.results.map((r) => r.status).join(',')).sort();
  assert.deepEqual(statuses, ['accepted,accepted,accepted', 'duplicate,duplicate,duplicate', 'duplicate,duplicate,duplicate']);
  for (const a of answers) assert.deepEqual(a.results.map((r) => r.seq), [1, 2, 3]);
  assert.deepEqual((await serverLog('race')).map((c) => c.id), ['race.1', 'race.2', 'race.3']);
});

test('with retention, a retried push of a commit older than the kept history is a duplicate, not applied again', async () => {
  const name = 'retain-retry';
  const commit = (n) => ({ id: `old.${n}`, time: n, cause: null, query: add('notes', { n }) });
  const push = (commits) => fetch(`${server.url}/v1/${name}/push`, { method: 'POST', headers: { authorization: 'Bearer token-alice' }, body: JSON.stringify({ protocol: 1, base: 0, commits }) }).then((r) => r.json());
  // old.4 and old.5 are never pushed in this first push: counters of one origin may have gaps.
  const first = await push([commit(1), commit(2), commit(3), commit(6)]);
  assert.deepEqual(first.results.map((r) => r.status), ['accepted', 'accepted', 'accepted', 'accepted']);
  // Far more commits than the server keeps (RETAIN.keepCommits), from another origin.
  const more = Array.from({ length: RETAIN.keepCommits + 2 * RETAIN.snapshotEvery }, (_, i) => ({ id: `other.${i + 1}`, time: 10 + i, cause: null, query: add('notes', { other: i }) }));
  for (let i = 0; i < more.length; i += 10) await push(more.slice(i, i + 10));
  const head = 4 + more.length;
  const snapshot = await fetch(`${server.url}/v1/${name}/snapshot`, { headers: { authorization: 'Bearer token-alice' } }).then((r) => r.json());
  assert.ok(snapshot.seq > 4, `old.* are no longer in the kept history (it starts after ${snapshot.seq})`);
  // The answer to the first push was lost; the client retries it much later, with old.4 new.
  const retry = await push([commit(1), commit(2), commit(3), commit(6), commit(4)]);
  assert.deepEqual(retry.results.map((r) => r.status), ['duplicate', 'duplicate', 'duplicate', 'duplicate', 'accepted'], JSON.stringify(retry.results));
  for (const r of retry.results.slice(0, 4)) assert.ok(r.seq <= snapshot.seq, `a forgotten duplicate's seq is at or before the kept history (${r.seq})`);
  assert.equal(retry.head, head + 1);
  // The same after a restart (what is known of old ids is in storage), and for the other origin.
  await server.stop();
  server = await startWorkerd(workDir, port);
  const again = await push([commit(1), commit(4), commit(6), more[0]]);
  assert.deepEqual(again.results.map((r) => r.status), ['duplicate', 'duplicate', 'duplicate', 'duplicate'], JSON.stringify(again.results));
  assert.equal(again.head, head + 1, 'nothing applied twice');
  // A counter below the highest accepted one that was never accepted is still new.
  const gap = await push([commit(5)]);
  assert.deepEqual(gap.results.map((r) => r.status), ['accepted']);
});

test('with retention, a client whose push answer was lost and which came back after the trim keeps its commit once', { timeout: 60_000 }, async () => {
  const name = 'retain-lost-answer';
  let mode = 'pass';
  const proxy = await startFaultProxy(server.url, ({ verb }) => {
    if (mode === 'drop-push' && verb === 'push') { mode = 'offline'; return 'drop'; }
    return mode === 'offline' ? 'refuse' : 'pass';
  });
  try {
    const rejected = [];
    const c = await connect(proxy.url, name, 'token-alice', { onRejected: (r) => rejected.push(r), WebSocket: null });
    const a = await connect(server.url, name, 'token-bob');
    mode = 'drop-push';
    c.db.executeQuery(add('notes', { by: 'c' }));
    const mine = c.db.commits({ from: c.db.seq })[0].id;
    const deadline = Date.now() + 10_000;
    while (mode !== 'offline' && Date.now() < deadline) await sleep(20);
    assert.equal(mode, 'offline', 'the push reached the server and its answer was lost');
    assert.deepEqual(c.pending, [mine]);
    // Meanwhile the server moves on far past what it keeps.
    for (let n = 0; n < RETAIN.keepCommits + 2 * RETAIN.snapshotEvery; n++) a.db.executeQuery(add('notes', { by: 'a', n }));
    await a.synced();
    mode = 'pass';
    await c.synced();
    await a.synced();
    assert.deepEqual(rejected, []);
    assert.deepEqual(c.pending, []);
    assert.deepEqual(c.db.toDict(), a.db.toDict());
    const notes = a.db.toDict().collections.notes.data;
    assert.equal(notes.filter((d) => d.by === 'c').length, 1, 'the commit is there once');
    assert.equal(a.db.seq, 1 + RETAIN.keepCommits + 2 * RETAIN.snapshotEvery, 'the retry was not applied again');
    await closeClient(c);
    await closeClient(a);
  } finally {
    await proxy.close();
  }
});
