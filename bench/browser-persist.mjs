/*
 * bench/browser-persist.mjs: persistence speed in headless Chromium, Hindsight beside LokiJS's
 * IndexedDB adapter (node_modules/lokijs/src/loki-indexed-adapter.js).
 *
 * Measures (each in its own page load of bench/browser-persist.html, medians of a few rounds):
 *   - sustained single-document commits per second into IndexedDB, relaxed durability, until
 *     all are durable (Hindsight: db.flush(); LokiJS: saveDatabase);
 *   - reopening 100,000 documents written by 10,000 commits: Database.open({ name }) after a
 *     reload (LokiJS: loadDatabase).
 * Prints a table with ratios and the targets (>= 20,000 commits/s, <= 500 ms reopen); never fails
 * on speed (machines are shared and noisy), only on a broken page or a failed sanity check.
 * Usage: node bench/browser-persist.mjs [commits=50000] [rounds=3]
 */
import { chromium } from 'playwright-core';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../scripts/static-server.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 50_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const REOPEN = { commits: 10_000, docs: 100_000 };
const TARGET_COMMITS_PER_S = 20_000;
const TARGET_REOPEN_MS = 500;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function phase(page, origin, query) {
  await page.goto(`${origin}/bench/browser-persist.html?${new URLSearchParams(query)}`, { waitUntil: 'load', timeout: 60_000 });
  await page.waitForFunction(() => window.__bench?.state !== 'running', null, { timeout: 300_000, polling: 100 });
  const bench = await page.evaluate(() => window.__bench);
  if (bench.state !== 'done') throw new Error(`${query.phase}: ${bench.error}`);
  return bench.result;
}

async function measure(page, origin, system) {
  const commits = [], unsnapshotted = [], reopens = [];
  for (let round = 0; round < ROUNDS; round++) {
    const name = `bench-${round}`;
    commits.push((await phase(page, origin, { phase: `${system}-commits`, name, n: N })).perSecond);
    if (system === 'hindsight') {
      unsnapshotted.push((await phase(page, origin, { phase: `${system}-commits`, name, n: N, snapshotEvery: 1e12 })).perSecond);
    }
    await phase(page, origin, { phase: `${system}-build`, name, ...REOPEN });
    reopens.push((await phase(page, origin, { phase: `${system}-reopen`, name, ...REOPEN })).ms);
  }
  return { commitsPerSecond: median(commits), unsnapshottedPerSecond: unsnapshotted.length ? median(unsnapshotted) : null, reopenMs: median(reopens), all: { commits, reopens } };
}

const served = await startStaticServer({ rootDir: repoRoot });
const browser = await chromium.launch({
  executablePath: process.env.HINDSIGHT_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  const version = browser.version();
  const hindsight = await measure(page, served.origin, 'hindsight');
  const loki = await measure(page, served.origin, 'loki');
  const fmt = (x, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const rows = [
    [`single-document commits/s, ${fmt(N)} commits, relaxed, until durable`, fmt(hindsight.commitsPerSecond), fmt(loki.commitsPerSecond),
      `${fmt(hindsight.commitsPerSecond / loki.commitsPerSecond, 2)}x`, hindsight.commitsPerSecond >= TARGET_COMMITS_PER_S ? `>= ${fmt(TARGET_COMMITS_PER_S)}: met` : `>= ${fmt(TARGET_COMMITS_PER_S)}: MISSED`],
    [`  the same, no snapshot during the run (snapshotEvery: huge)`, fmt(hindsight.unsnapshottedPerSecond), '-', '-', ''],
    [`reopen ${fmt(REOPEN.docs)} docs / ${fmt(REOPEN.commits)} commits, ms`, fmt(hindsight.reopenMs), fmt(loki.reopenMs),
      `${fmt(loki.reopenMs / hindsight.reopenMs, 2)}x`, hindsight.reopenMs <= TARGET_REOPEN_MS ? `<= ${TARGET_REOPEN_MS} ms: met` : `<= ${TARGET_REOPEN_MS} ms: MISSED`],
  ];
  const header = ['measure', 'Hindsight', 'LokiJS (IDB adapter)', 'Hindsight faster by', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`Chromium ${version}, headless; median of ${ROUNDS} rounds (each round in fresh page loads)`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log(`rounds: Hindsight commits/s ${hindsight.all.commits.map((x) => fmt(x))}, reopen ms ${hindsight.all.reopens.map((x) => fmt(x))}; ` +
    `LokiJS commits/s ${loki.all.commits.map((x) => fmt(x))}, reopen ms ${loki.all.reopens.map((x) => fmt(x))}`);
  console.log('LokiJS keeps no history: its reopen loads only the 100,000 current documents; Hindsight also restores the 10,000 commits.');
} finally {
  await browser.close();
  await served.close();
}
