/*
 * bench/persist-node.mjs: single-document commits per second sustained into the Node file
 * store (write, then flush until durable), and reopening the result, beside LokiJS's own
 * file persistence (its fs adapter saving the whole database once at the end). Figures only.
 * Usage: node bench/persist-node.mjs [commits=100000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import loki from 'lokijs';
import { Database } from '../node/index.js';

const N = +(process.argv[2] || 100000);
const dir = mkdtempSync(path.join(os.tmpdir(), 'hindsight-bench-'));
try {
  const db = await Database.open({ storage: 'file', path: path.join(dir, 'hs') });
  let t = performance.now();
  // An app commits as events come; the store batches what one tick produced.
  for (let i = 0; i < N; i++) {
    db.executeQuery({ target: 'events', type: 'add', addData: [{ id: -1, n: i, at: '2026-01-01T00:00:00Z' }], serialKey: 'id' });
    if (i % 1000 === 999) await db.flush();
  }
  await db.flush();
  const writeMs = performance.now() - t;
  await db.close();
  t = performance.now();
  const again = await Database.open({ storage: 'file', path: path.join(dir, 'hs') });
  const reopenMs = performance.now() - t;
  if (again.seq !== N) throw new Error(`reopened at seq ${again.seq}, expected ${N}`);
  await again.close();

  t = performance.now();
  const ldb = new loki(path.join(dir, 'loki.json'), { adapter: new loki.LokiFsAdapter() });
  const c = ldb.addCollection('events');
  for (let i = 0; i < N; i++) c.insert({ n: i, at: '2026-01-01T00:00:00Z' });
  await new Promise((resolve, reject) => ldb.saveDatabase((err) => (err ? reject(err) : resolve())));
  const lokiMs = performance.now() - t;

  console.log(`\nNode file store, ${N} single-document commits\n`);
  console.log('| measure | Hindsight | LokiJS (fs adapter, one save at the end) | target |');
  console.log('| --- | ---: | ---: | --- |');
  console.log(`| commits/s until durable (flush every 1,000) | ${Math.round(N / (writeMs / 1000))} | ${Math.round(N / (lokiMs / 1000))} | >= 50,000 |`);
  console.log(`| reopen (state and history) | ${reopenMs.toFixed(0)} ms | | |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
