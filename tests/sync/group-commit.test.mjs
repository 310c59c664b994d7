/*
 * group-commit.test.mjs: the sync object's group commit (sync/object.js), in this process over
 * the Node server's folder storage (sync/file-storage.js), with its transactions counted and
 * slowed down: concurrent pushes share transactions, each is answered only after the
 * transaction holding its commits is durable, and a failed transaction fails every push of its
 * group and leaves the log without a gap (the retries land once).
 * Usage: node --test tests/sync/group-commit.test.mjs
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { syncObjectClass } from '../../sync/object.js';
import { FileStorage } from '../../sync/file-storage.js';
import { AUTH_HEADER } from '../../sync/worker.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const add = (doc) => ({ className: 'Query', version: '6', target: 'notes', type: 'add', addData: [doc] });
const AUTH = JSON.stringify({ user: 'alice', permissions: null });

/* The object over a folder whose transactions take 20 ms and are logged; failNext makes the next one to start throw. */
async function objectOver(dir) {
  const files = await FileStorage.open(dir);
  const log = { transactions: [], failNext: false };
  const storage = {
    get: (k) => files.get(k), put: (k, v) => files.put(k, v), delete: (k) => files.delete(k), list: (o) => files.list(o),
    async transaction(fn) {
      const fail = log.failNext;   // decided when the transaction starts
      log.failNext = false;
      await sleep(20);
      if (fail) throw new Error('disk full');
      let puts = 0;
      const result = await files.transaction((txn) => fn({ ...txn, put: (k, v) => { if (k.startsWith('c:')) puts++; return txn.put(k, v); } }));
      log.transactions.push({ commits: puts, doneAt: performance.now() });
      return result;
    },
  };
  const Sync = syncObjectClass({});
  return { object: new Sync({ storage, getWebSockets: () => [] }), log };
}

function push(object, commits) {
  return object.fetch(new Request('http://x/v1/g/push', { method: 'POST', headers: { [AUTH_HEADER]: AUTH }, body: JSON.stringify({ protocol: 1, base: 0, commits }) }))
    .then(async (r) => ({ status: r.status, body: await r.json(), at: performance.now() }));
}
const commit = (id) => ({ id, time: 1, cause: null, query: add({ id }) });

test('concurrent pushes share storage transactions; each is answered after its own is durable', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hindsight-group-'));
  try {
    const { object, log } = await objectOver(dir);
    await push(object, [commit('warm.1')]);   // loads the engine
    log.transactions.length = 0;
    const answers = await Promise.all(Array.from({ length: 30 }, (_, k) => push(object, [commit(`p${k}.1`), commit(`p${k}.2`)])));
    assert.ok(answers.every((a) => a.status === 200 && a.body.results.every((r) => r.status === 'accepted')), JSON.stringify(answers[0]));
    const seqs = answers.flatMap((a) => a.body.results.map((r) => r.seq)).sort((x, y) => x - y);
    assert.deepEqual(seqs, Array.from({ length: 60 }, (_, i) => i + 2), 'every commit once, no gap');
    assert.equal(log.transactions.reduce((n, t) => n + t.commits, 0), 60);
    assert.ok(log.transactions.length < 30 / 2, `30 concurrent pushes took ${log.transactions.length} transactions`);
    // The transaction holding a push's last commit was done before its answer.
    let stored = 1;
    const doneAtSeq = [];
    for (const t of log.transactions) { stored += t.commits; doneAtSeq.push([stored, t.doneAt]); }
    for (const a of answers) {
      const last = Math.max(...a.body.results.map((r) => r.seq));
      const durable = doneAtSeq.find(([upTo]) => upTo >= last);
      assert.ok(durable && durable[1] <= a.at, `push ending at seq ${last} answered before its transaction was done`);
    }
    // The same pushes again: duplicates, nothing stored.
    const again = await Promise.all(answers.slice(0, 5).map((_, k) => push(object, [commit(`p${k}.1`), commit(`p${k}.2`)])));
    assert.ok(again.every((a) => a.body.results.every((r) => r.status === 'duplicate')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed transaction fails every push of its group; the retries land once, with no gap', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hindsight-group-'));
  try {
    const { object, log } = await objectOver(dir);
    await push(object, [commit('warm.1')]);
    const slow = push(object, [commit('a.1')]);    // its transaction is under way...
    await sleep(5);
    log.failNext = true;                             // the next one will fail:
    const group = Array.from({ length: 8 }, (_, k) => push(object, [commit(`g${k}.1`)]));   // these queue into one group
    const first = await slow;
    assert.equal(first.body.results[0].status, 'accepted');
    const failed = await Promise.all(group);
    assert.ok(failed.every((a) => a.status === 500), JSON.stringify(failed.map((a) => a.status)));
    const retried = await Promise.all(Array.from({ length: 8 }, (_, k) => push(object, [commit(`g${k}.1`)])));
    assert.ok(retried.every((a) => a.body.results?.[0].status === "accepted"), JSON.stringify(retried.map((a) => a.body)));
    const pull = await object.fetch(new Request('http://x/v1/g/pull?after=0', { headers: { [AUTH_HEADER]: AUTH } })).then((r) => r.json());
    assert.deepEqual(pull.commits.map((c) => c.seq), Array.from({ length: 10 }, (_, i) => i + 1), 'no gap, nothing twice');
    assert.deepEqual(pull.commits.map((c) => c.id).sort(), ['a.1', 'warm.1', ...Array.from({ length: 8 }, (_, k) => `g${k}.1`)].sort());
    // The folder holds the same log: a new object over it replays to the same commits.
    const reopened = await objectOver(dir);
    const pull2 = await reopened.object.fetch(new Request('http://x/v1/g/pull?after=0', { headers: { [AUTH_HEADER]: AUTH } })).then((r) => r.json());
    assert.deepEqual(pull2.commits.map((c) => c.id), pull.commits.map((c) => c.id));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
