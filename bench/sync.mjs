/*
 * bench/sync.mjs: the sync figures of `make bench`, against real workerd on 127.0.0.1 (the sync
 * suite's test Worker, tests/sync/worker.js, started by tests/sync/workerd.mjs: imported, not
 * copied) and against the self-hosted Node server (sync/node-server.js, in this process) for all
 * but the last:
 *   - commits/s through one object, pushed by 1, 10 and 100 concurrent protocol clients, each
 *     sending one single-document commit per push request and waiting for its answer (this
 *     measures the server: a SyncClient would batch its pending commits into one push);
 *   - commit-to-other-client time: a SyncClient commits one document, another connected
 *     SyncClient (polling once a minute, so only the WebSocket poke can bring it) has it:
 *     median and p99;
 *   - bytes per single-document commit: HTTP body bytes (request + response, not headers, not
 *     the WebSocket poke) of push and pull, counted by wrapping the SyncClients' fetch;
 *   - time for a new SyncClient to reach a database of DOCS documents written by DOCS
 *     single-document commits (built by raw pushes of 1000 commits each).
 * Each backend first takes 500 pushes not counted (JIT warm-up). Figures are printed, never
 * checked against a bound; any error (a refused commit, a server that does not start, a client
 * that does not arrive) exits non-zero.
 * Must stay true: every server started here is stopped and every client closed, also on error;
 * servers listen on 127.0.0.1 only.
 * Usage: node --experimental-websocket bench/sync.mjs [--commits 2000] [--latency 200]
 *        [--docs 100000] [--no-node]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SyncClient } from '../sync/index.js';
import { startSyncServer } from '../node/index.js';
// The sync suite's launcher and test Worker: a bench reusing the test fixture rather than a copy.
import { startWorkerd, freePort } from '../tests/sync/workerd.mjs';
import { authenticate } from '../tests/sync/users.js';

const { values: opts } = parseArgs({ options: {
  commits: { type: 'string', default: '2000' },
  latency: { type: 'string', default: '200' },
  docs: { type: 'string', default: '100000' },
  'no-node': { type: 'boolean', default: false },
} });
const COMMITS = +opts.commits, LATENCY = +opts.latency, DOCS = +opts.docs;
const CONCURRENCY = [1, 10, 100];
const WARMUP = 500;   // pushes before the first timed row, not counted
const TOKEN = 'token-alice';
if (!globalThis.WebSocket) throw new Error('no WebSocket in this Node: run with --experimental-websocket (Node 20)');

const add = (target, doc) => ({ className: 'Query', version: '6', target, type: 'add', addData: [doc] });
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
let idCounter = 0;
const commit = (doc) => ({ id: `bench-${process.pid}-${++idCounter}`, time: Date.now(), cause: null, query: add('items', doc) });

/* One push of commits by the protocol; throws unless every one is accepted. */
async function push(url, name, commits) {
  const response = await fetch(`${url}/v1/${name}/push`, {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ protocol: 1, base: 0, commits }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`push answered ${response.status}: ${JSON.stringify(body)}`);
  const refused = body.results.find((r) => r.status !== 'accepted');
  if (refused) throw new Error(`push: commit not accepted: ${JSON.stringify(refused)}`);
  return body;
}

/* commits/s: `clients` loops sharing `total` single-document pushes on one database. */
async function throughput(url, name, clients, total) {
  await push(url, name, [commit({ warm: true })]);   // the object exists and its engine is loaded
  let left = total;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    while (left > 0) { left--; await push(url, name, [commit({ c, n: left })]); }
  }));
  return total / ((performance.now() - t0) / 1000);
}

/* A SyncClient whose fetch counts body bytes by verb. */
async function countingClient(url, name, bytes, extra = {}) {
  const countedFetch = async (input, init = {}) => {
    const verb = new URL(input).pathname.split('/').pop();
    const response = await fetch(input, init);
    const body = new Uint8Array(await response.arrayBuffer());
    bytes[verb] = (bytes[verb] ?? 0) + (init.body ? Buffer.byteLength(init.body) : 0) + body.byteLength;
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return SyncClient.open({ url, name, token: TOKEN, pollMs: 60_000, fetch: countedFetch, ...extra });
}

/* Resolves when db reaches seq (through its change feed), or rejects after ms. */
function reach(db, seq, ms = 10_000) {
  if (db.seq >= seq) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`a client did not reach seq ${seq} in ${ms} ms (at ${db.seq})`)); }, ms);
    const off = db.subscribeChanges(() => { if (db.seq >= seq) { clearTimeout(timer); off(); resolve(); } });
  });
}

/* Commit on a, arrival on b: { median, p99 } ms, and the body bytes per commit by side. */
async function latency(url, name, n, closers) {
  const writerBytes = {}, readerBytes = {};
  const a = await countingClient(url, name, writerBytes); closers.push(() => a.close());
  const b = await countingClient(url, name, readerBytes); closers.push(() => b.close());
  await a.synced(); await b.synced();
  await new Promise((r) => setTimeout(r, 300));   // both sockets open
  for (const k of Object.keys(writerBytes)) delete writerBytes[k];
  for (const k of Object.keys(readerBytes)) delete readerBytes[k];
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    a.db.executeQuery(add('items', { i, text: `note ${i}` }));
    await reach(b.db, a.db.seq);
    times.push(performance.now() - t0);
    await a.synced();   // the writer's round is over before the next commit: one commit per push
  }
  times.sort((x, y) => x - y);
  const per = (bytes, verb) => (bytes[verb] ?? 0) / n;
  return {
    median: times[Math.floor((n - 1) / 2)], p99: times[Math.ceil(0.99 * n) - 1],
    pushBytes: per(writerBytes, 'push'), writerPullBytes: per(writerBytes, 'pull'), readerPullBytes: per(readerBytes, 'pull'),
  };
}

/* Builds `docs` documents by `docs` commits, then times a new client reaching them. */
async function catchUp(url, name, docs, closers) {
  const t0 = performance.now();
  for (let i = 0; i < docs; i += 1000) {
    await push(url, name, Array.from({ length: Math.min(1000, docs - i) }, (_, k) => commit({ i: i + k, text: `document ${i + k}` })));
  }
  const buildMs = performance.now() - t0;
  const bytes = {};
  const t1 = performance.now();
  const c = await countingClient(url, name, bytes); closers.push(() => c.close());
  await c.synced();
  const ms = performance.now() - t1;
  const n = c.db.executeQuery({ className: 'Query', version: '6', target: 'items', type: 'count' }).hitCount;
  if (n !== docs) throw new Error(`the new client has ${JSON.stringify(n)} documents, not ${docs}`);
  return { buildMs, ms, mb: ((bytes.pull ?? 0) + (bytes.snapshot ?? 0)) / 1e6, seq: c.db.seq };
}

async function backend(label, start, { withCatchUp }) {
  const closers = [];
  const server = await start();
  closers.push(() => server.stop());
  const rows = [];
  try {
    // Warm up the JIT on both ends (client fetch, Worker, object, engine) before any row counts.
    await throughput(server.url, 'warmup', 10, WARMUP);
    for (const clients of CONCURRENCY) {
      const rate = await throughput(server.url, `tput-${clients}`, clients, COMMITS);
      rows.push([`${label}`, `commits/s, ${clients} concurrent client${clients > 1 ? 's' : ''} (${COMMITS} single-doc pushes)`, fmt(rate)]);
    }
    const l = await latency(server.url, 'latency', LATENCY, closers);
    rows.push([label, `commit -> other client (WebSocket poke), median of ${LATENCY}`, `${fmt(l.median)} ms`]);
    rows.push([label, `commit -> other client (WebSocket poke), p99 of ${LATENCY}`, `${fmt(l.p99)} ms`]);
    rows.push([label, 'bytes/commit: push body (request + response)', fmt(l.pushBytes)]);
    rows.push([label, 'bytes/commit: pull body, writer (request + response)', fmt(l.writerPullBytes)]);
    rows.push([label, 'bytes/commit: pull body, other client', fmt(l.readerPullBytes)]);
    if (withCatchUp) {
      const c = await catchUp(server.url, 'catchup', DOCS, closers);
      rows.push([label, `new client reaches ${DOCS} docs / ${DOCS} commits (${fmt(c.mb)} MB pulled)`, `${fmt(c.ms / 1000)} s`]);
      rows.push([label, `  (server state built by ${Math.ceil(DOCS / 1000)} pushes of 1000 commits)`, `${fmt(c.buildMs / 1000)} s`]);
    }
  } finally {
    for (const close of closers.reverse()) await close().catch((e) => console.error(`close: ${e.message}`));
  }
  return rows;
}

const workDir = mkdtempSync(path.join(os.tmpdir(), 'hindsight-syncbench-'));
try {
  const rows = [];
  rows.push(...await backend('workerd', async () => startWorkerd(path.join(workDir), await freePort()), { withCatchUp: true }));
  if (!opts['no-node']) {
    rows.push(...await backend('node', async () => {
      const s = await startSyncServer({ dir: path.join(workDir, 'node-server'), authenticate });
      return { url: s.url, stop: () => s.close() };
    }, { withCatchUp: false }));
  }
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`sync bench (${os.cpus().length} cores; clients in this process; workerd in its own process, the Node server in this one; 127.0.0.1)`);
  for (const r of rows) console.log(`  ${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padStart(w[2])}`);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
