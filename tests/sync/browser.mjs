/*
 * browser.mjs: the sync client in a real browser (Chromium through playwright-core) against
 * the sync Worker and Durable Object on workerd, beside a Node client: a page and Node
 * converge to one history; the page hears a Node commit over the WebSocket; the page's
 * commits made offline survive a reload in its IndexedDB state (sync/state-indexeddb.js)
 * and are pushed after it. Then the convergence workload: three Node clients, a Chromium
 * page and a Firefox page (puppeteer-core over WebDriver BiDi, as tests/browsers/firefox.mjs)
 * write concurrently under a seeded schedule, go offline and back, and restart (a Node
 * client reopens with its folder state, each page reloads with its IndexedDB state); at the
 * end all five and the server hold one history (ids, order, states), every commit once.
 * The page is tests/sync/pages/client.html, served from another local port (so CORS is
 * exercised).
 * Must stay true: workerd, the static server and the browser are closed on every path;
 * everything listens on 127.0.0.1; TAP-like output (tests/runtimes/tap.js).
 * Usage: node --experimental-websocket tests/sync/browser.mjs
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { SyncClient } from '../../sync/index.js';
import { fileSyncState } from '../../node/index.js';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { createTapReporter } from '../runtimes/tap.js';
import { repoRoot } from '../browsers/browser-run.mjs';
import { startWorkerd, freePort } from './workerd.mjs';
import { seededInt } from '../seeded-random.mjs';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const add = (doc) => ({ className: 'Query', version: '6', target: 'notes', type: 'add', addData: [doc] });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const history = (commits) => JSON.stringify(commits.map((c) => ({ id: c.id, time: c.time, cause: c.cause, query: c.query })));

const tap = createTapReporter();
const workDir = mkdtempSync(path.join(os.tmpdir(), 'hindsight-sync-browser-'));
let server = null, site = null, browser = null, node = null, firefox = null;
const nodes = [];
const FIREFOX_PATH = process.env.HINDSIGHT_FIREFOX ?? '/usr/bin/firefox-esr';

async function openPage(context, options) {
  const page = await context.newPage();
  await page.goto(`${site.origin}/tests/sync/pages/client.html`, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForFunction('window.syncPageReady === true', null, { timeout: 30_000 });
  if (options.offline) await page.evaluate('window.syncPage.setOffline(true)');
  await page.evaluate((o) => window.syncPage.open(o), options);
  return page;
}


/* A Firefox page with the client page loaded (puppeteer's waitForFunction takes its options second). */
async function openFirefoxPage(options) {
  const page = await firefox.newPage();
  await page.goto(`${site.origin}/tests/sync/pages/client.html`, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForFunction('window.syncPageReady === true', { timeout: 30_000 });
  if (options.offline) await page.evaluate('window.syncPage.setOffline(true)');
  await page.evaluate((o) => window.syncPage.open(o), options);
  return page;
}

/* Three Node clients and two pages (Chromium, Firefox) write at once, go offline and back and
   restart under a seeded schedule; then all hold one history. */
async function convergence(chromiumContext) {
  const random = seededInt(Number(process.env.SYNC_SEED ?? 99));
  const name = `converge-${Date.now()}`;
  const base = { url: server.url, name, keep: true };
  firefox = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX_PATH, headless: true, timeout: 60_000 });
  const pages = [
    { label: 'chromium', open: (offline) => openPage(chromiumContext, { ...base, token: 'token-alice', offline }) },
    { label: 'firefox', open: (offline) => openFirefoxPage({ ...base, token: 'token-bob', offline }) },
  ];
  for (const p of pages) { p.page = await p.open(false); p.offline = false; }
  const openNode = async (n) => {
    n.offline = false;
    n.client = await SyncClient.open({ url: server.url, name, token: n.token, pollMs: 200, state: fileSyncState(n.dir),
      fetch: (u, init) => (n.offline ? Promise.reject(new TypeError('offline')) : fetch(u, init)) });
  };
  for (let k = 0; k < 3; k++) {
    const n = { token: k === 1 ? 'token-bob' : 'token-alice', dir: path.join(workDir, `node-${k}`) };
    await openNode(n);
    nodes.push(n);
  }
  const ROUNDS = 6, PER_ROUND = 3;
  let made = 0, restarts = 0, offlines = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const writes = [];
    for (const [k, n] of nodes.entries()) {
      writes.push((async () => {
        for (let i = 0; i < PER_ROUND; i++) { n.client.db.executeQuery(add({ by: `node${k}`, i: round * PER_ROUND + i })); if (random(2)) await sleep(random(20)); }
        if (random(2)) n.client.sync();
      })());
    }
    for (const p of pages) writes.push(p.page.evaluate(([from, count, by]) => window.syncPage.write(from, count, by), [round * PER_ROUND, PER_ROUND, p.label]));
    await Promise.all(writes);
    made += (nodes.length + pages.length) * PER_ROUND;
    // Offline and back, at random.
    for (const n of nodes) if (random(3) === 0) { n.offline = !n.offline; offlines++; }
    for (const p of pages) if (random(3) === 0) { p.offline = !p.offline; offlines++; await p.page.evaluate((v) => window.syncPage.setOffline(v), p.offline); }
    // Restarts: a Node client reopens with its folder state; a page reloads with its IndexedDB state.
    if (round === 2 || round === 4) {
      const n = nodes[random(3)];
      await n.client.db.flush();
      await n.client.close();
      await openNode(n);
      restarts++;
    }
    if (round === 1 || round === 3) {
      const p = pages[round === 1 ? 1 : 0];
      await p.page.evaluate(() => window.syncPage.flush());
      await p.page.evaluate(() => window.syncPage.close());
      await p.page.close();
      p.page = await p.open(p.offline);
      restarts++;
    }
    await sleep(random(100));
  }
  // Everyone back online; two rounds of sync so each hears everyone else's last commits.
  for (const n of nodes) n.offline = false;
  for (const p of pages) { p.offline = false; await p.page.evaluate(() => window.syncPage.setOffline(false)); }
  for (let round = 0; round < 2; round++) {
    for (const n of nodes) await n.client.synced();
    for (const p of pages) await p.page.evaluate(() => window.syncPage.synced());
  }
  const reference = nodes[0].client.db;
  const expected = history(reference.commits());
  const ids = reference.commits().map((c) => c.id);
  tap.report(`one history of every commit made, each once (${made} commits, ${offlines} offline switches, ${restarts} restarts)`,
    ids.length === made && new Set(ids).size === made, `${ids.length} commits, ${new Set(ids).size} distinct`);
  for (const [k, n] of nodes.entries()) {
    tap.report(`node client ${k} holds the same history and state`, history(n.client.db.commits()) === expected && JSON.stringify(n.client.db.toDict()) === JSON.stringify(reference.toDict()), `seq ${n.client.db.seq}`);
  }
  for (const p of pages) {
    const info = await p.page.evaluate(() => window.syncPage.info());
    tap.report(`the ${p.label} page holds the same history and state`, history(info.commits) === expected && JSON.stringify(info.dict) === JSON.stringify(reference.toDict()) && info.pending.length === 0,
      `seq ${info.seq}, ${info.pending.length} pending`);
    await p.page.evaluate(() => window.syncPage.close());
  }
  const log = await fetch(`${server.url}/v1/${name}/pull?after=0`, { headers: { authorization: 'Bearer token-alice' } }).then((r) => r.json());
  tap.report('the server holds the same order', JSON.stringify(log.commits.map((c) => c.id)) === JSON.stringify(ids), `server head ${log.head}`);
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
  await node.close();
  node = null;

  await convergence(context);
} catch (error) {
  tap.report('sync in chromium and firefox', false, String(error?.stack ?? error).slice(0, 600));
} finally {
  for (const c of nodes) await c.client?.close().catch(() => {});
  await firefox?.close().catch(() => {});
  await node?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await site?.close().catch(() => {});
  await server?.stop().catch(() => {});
  rmSync(workDir, { recursive: true, force: true });
}
const { failed } = tap.finish();
process.exitCode = failed ? 1 : 0;
