/*
 * bootstrap.test.mjs: a new client bootstraps from a snapshot on a server that holds 100,000
 * commits: real workerd on 127.0.0.1, a big-* database (tests/sync/worker.js: a snapshot every
 * 50,000 commits, the latest 1,000 kept), built by 100 raw pushes of 1,000 single-document
 * commits.
 *
 * Checks: the server's snapshot starts where the kept history does; a new SyncClient starts
 * from it and pulls the rest: 100,000 documents, a seeded sample of them exact, its seq and
 * cursor at the server's head, its history the kept commits (ids, order); commits pushed after
 * it arrive (WebSocket poke) and are in its state. Prints the build and bootstrap times.
 * Must stay true: the workerd started here is stopped and the client closed; bounded (the
 * sync suite's timeout; about 20 s on the 2-core test machine, most of it building the server).
 * Usage: node --experimental-websocket --test tests/sync/bootstrap.test.mjs  (BOOTSTRAP_COMMITS=n)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SyncClient } from '../../sync/index.js';
import { RETAIN_BIG } from './users.js';
import { startWorkerd, freePort } from './workerd.mjs';

const COMMITS = Number(process.env.BOOTSTRAP_COMMITS ?? 100_000);
const workDir = mkdtempSync(path.join(os.tmpdir(), 'hindsight-sync-bootstrap-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const add = (doc) => ({ className: 'Query', version: '6', target: 'items', type: 'add', addData: [doc] });
const text = (i) => `document ${i}`;
let server, client;

before(async () => { server = await startWorkerd(workDir, await freePort()); });
after(async () => {
  await client?.close().catch(() => {});
  await server?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

async function push(name, commits) {
  const response = await fetch(`${server.url}/v1/${name}/push`, {
    method: 'POST', headers: { authorization: 'Bearer token-alice' }, body: JSON.stringify({ protocol: 1, base: 0, commits }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.ok(body.results.every((r) => r.status === 'accepted'), JSON.stringify(body.results.find((r) => r.status !== 'accepted')));
  return body;
}

const commit = (i) => ({ id: `big.${i + 1}`, time: 1_700_000_000_000 + i, cause: null, query: add({ i, text: text(i) }) });
const find = (db, i) => db.executeQuery({ className: 'Query', version: '6', target: 'items', type: 'searchOne',
  queryNode: { type: 'equals_', field: 'i', value: i, vType: 'auto_', version: '2' } }).result;

test(`a new client bootstraps from a snapshot on a server holding ${COMMITS} commits, and hears later ones`, { timeout: 120_000 }, async () => {
  const name = 'big-bootstrap';
  const t0 = performance.now();
  for (let i = 0; i < COMMITS; i += 1000) await push(name, Array.from({ length: Math.min(1000, COMMITS - i) }, (_, k) => commit(i + k)));
  const buildMs = performance.now() - t0;
  const horizon = COMMITS - RETAIN_BIG.keepCommits;   // the last snapshot is at the head, trimmed to keepCommits
  const snapshot = await fetch(`${server.url}/v1/${name}/snapshot`, { headers: { authorization: 'Bearer token-alice' } }).then((r) => r.json());
  assert.equal(snapshot.seq, horizon, 'the snapshot is where the kept history starts');
  assert.equal(snapshot.head, COMMITS);

  const t1 = performance.now();
  client = await SyncClient.open({ url: server.url, name, token: 'token-bob', pollMs: 60_000 });
  await client.synced();
  const bootMs = performance.now() - t1;
  const db = client.db;
  assert.equal(db.executeQuery({ className: 'Query', version: '6', target: 'items', type: 'count' }).hitCount, COMMITS);
  assert.equal(db.seq, COMMITS);
  assert.equal(client.cursor, COMMITS);
  let seed = 5;
  const sample = [0, horizon - 1, horizon, COMMITS - 1];
  for (let k = 0; k < 40; k++) { seed = (seed * 48271) % 2147483647; sample.push(seed % COMMITS); }
  for (const i of sample) assert.deepEqual(find(db, i), [{ i, text: text(i) }], `document ${i}`);
  const ids = db.commits().map((c) => c.id);
  assert.equal(ids.length, RETAIN_BIG.keepCommits, 'the client holds the kept history');
  assert.deepEqual([ids[0], ids[ids.length - 1]], [`big.${horizon + 1}`, `big.${COMMITS}`]);
  assert.deepEqual(ids, Array.from({ length: ids.length }, (_, k) => `big.${horizon + k + 1}`), 'in the server order');

  // Later commits arrive (the WebSocket poke; the client polls once a minute).
  await sleep(200);
  await push(name, [0, 1, 2].map((k) => ({ id: `later.${k + 1}`, time: Date.now(), cause: null, query: add({ i: COMMITS + k, text: text(COMMITS + k) }) })));
  const deadline = Date.now() + 10_000;
  while (db.seq < COMMITS + 3 && Date.now() < deadline) await sleep(20);
  assert.equal(db.seq, COMMITS + 3, 'the later commits arrived');
  assert.equal(client.cursor, COMMITS + 3);
  for (let k = 0; k < 3; k++) assert.deepEqual(find(db, COMMITS + k), [{ i: COMMITS + k, text: text(COMMITS + k) }]);
  assert.deepEqual(db.commits({ from: COMMITS + 1 }).map((c) => c.id), ['later.1', 'later.2', 'later.3']);
  console.log(`# bootstrap: server built by ${COMMITS / 1000} pushes of 1000 in ${(buildMs / 1000).toFixed(1)} s; new client from the snapshot at ${horizon} in ${(bootMs / 1000).toFixed(2)} s`);
});
