/*
 * browser.mjs: the sync client in a real browser (Chromium through playwright-core) against
 * the sync Worker and Durable Object on workerd, beside a Node client: a page and Node
 * converge to one history; the page hears a Node commit over the WebSocket; the page's
 * commits made offline survive a reload in its IndexedDB state (sync/state-indexeddb.js)
 * and are pushed after it. The page is tests/sync/pages/client.html, served from another
 * local port (so CORS is exercised).
 * Must stay true: workerd, the static server and the browser are closed on every path;
 * everything listens on 127.0.0.1; TAP-like output (tests/runtimes/tap.js).
 * Usage: node --experimental-websocket tests/sync/browser.mjs
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { SyncClient } from '../../sync/index.js';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { createTapReporter } from '../runtimes/tap.js';
import { repoRoot } from '../browsers/browser-run.mjs';
import { startWorkerd, freePort } from './workerd.mjs';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const add = (doc) => ({ className: 'Query', version: '6', target: 'notes', type: 'add', addData: [doc] });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const history = (commits) => JSON.stringify(commits.map((c) => ({ id: c.id, time: c.time, cause: c.cause, query: c.query })));

const tap = createTapReporter();
const workDir = mkdtempSync(path.join(os.tmpdir(), 'hindsight-sync-browser-'));
let server = null, site = null, browser = null, node = null;

async function openPage(context, options) {
  const page = await context.newPage();
  await page.goto(`${site.origin}/tests/sync/pages/client.html`, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForFunction('window.syncPageReady === true', null, { timeout: 30_000 });
  if (options.offline) await page.evaluate('window.syncPage.setOffline(true)');
  await page.evaluate((o) => window.syncPage.open(o), options);
  return page;
}

async function within(ms, fn) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value || Date.now() > deadline) return value;
    await sleep(25);
  }
}

try {
  server = await startWorkerd(workDir, await freePort());
  site = await startStaticServer({ rootDir: repoRoot });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 60_000 });
  const context = await browser.newContext();
  const name = `browser-${Date.now()}`;
  const options = { url: server.url, name, token: 'token-alice', keep: true };
  let page = await openPage(context, options);
  node = await SyncClient.open({ url: server.url, name, token: 'token-bob', pollMs: 60_000 });

  // 1. A page and a Node client write at once and end with one history.
  await page.evaluate(() => window.syncPage.write(0, 10));
  for (let i = 0; i < 10; i++) node.db.executeQuery(add({ by: 'node', i }));
  await Promise.all([page.evaluate(() => window.syncPage.synced()), node.synced()]);
  await page.evaluate(() => window.syncPage.synced());
  await node.synced();
  let info = await page.evaluate(() => window.syncPage.info());
  tap.report('chromium and node converge to one history of 20 commits, ids kept', info.seq === 20 && history(info.commits) === history(node.db.commits()),
    `page seq ${info.seq}, node seq ${node.db.seq}`);
  tap.report('chromium and node hold the same state', JSON.stringify(info.dict) === JSON.stringify(node.db.toDict()), '');

  // 2. The page hears a Node commit at once (its HTTP poll is a minute away: only the socket can).
  await sleep(300);
  const t0 = performance.now();
  node.db.executeQuery(add({ by: 'node', i: 99 }));
  const heard = await within(5000, async () => (await page.evaluate(() => window.syncPage.info())).seq === 21);
  tap.report('the page hears the Node commit over the WebSocket', heard, `${(performance.now() - t0).toFixed(0)} ms`);

  // 3. Commits made offline survive a reload (IndexedDB state) and are pushed after it.
  await page.evaluate(() => window.syncPage.setOffline(true));
  await page.evaluate(() => window.syncPage.write(100, 3));
  const pendingBefore = await page.evaluate(() => window.syncPage.flush());
  await page.evaluate(() => window.syncPage.close());
  await page.close();
  page = await openPage(context, { ...options, offline: true });
  info = await page.evaluate(() => window.syncPage.info());
  tap.report('after a reload the page holds its 3 offline commits, still pending', pendingBefore === 3 && info.pending.length === 3 && info.seq === 24, `pending ${pendingBefore} -> ${info.pending.length}, seq ${info.seq}`);
  await page.evaluate(() => window.syncPage.setOffline(false));
  await page.evaluate(() => window.syncPage.synced());
  await node.synced();
  info = await page.evaluate(() => window.syncPage.info());
  const offline = node.db.toDict().collections.notes.data.filter((d) => d.by === 'page' && d.i >= 100).length;
  tap.report('they reach the server and the Node client once', offline === 3 && node.db.seq === 24 && history(info.commits) === history(node.db.commits()), `node seq ${node.db.seq}, ${offline} offline commits there`);
  await page.evaluate(() => window.syncPage.close());
} catch (error) {
  tap.report('sync in chromium', false, String(error?.stack ?? error).slice(0, 600));
} finally {
  await node?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await site?.close().catch(() => {});
  await server?.stop().catch(() => {});
  rmSync(workDir, { recursive: true, force: true });
}
const { failed } = tap.finish();
process.exitCode = failed ? 1 : 0;
