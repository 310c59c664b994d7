/*
 * demo.test.mjs: drives the demo (demo/index.html: a task board on IndexedDB with the debugger
 * of hindsight-db/debugger beside it) in Debian's Chromium through playwright-core.
 *
 * Owns: what needs a real browser driver, in Chromium (the end-to-end checks of the demo run
 * in Chromium, Firefox and WebKit from an in-page harness: pages/demo-e2e.html and
 * demo-e2e-page.js, run by the same suite): / and /demo lead to the page (server redirects);
 * the page opens its IndexedDB database and mounts the debugger; openDebugger({ name }) in a
 * top-level page with no writer follows the writer read-only (no Web Lock, no readwrite
 * transaction) and refuses an unknown name; the overlay's hotkey pressed on a real keyboard;
 * screenshots at 1366x768 and 390x844 (build/artifacts/); and a scrub-speed figure at 10,000
 * commits (printed, not asserted).
 *
 * Must stay true: expected values are computed in the page from the database itself
 * (window.hindsightDemo.db), never hard-coded from a past run; each run uses a fresh database
 * name; the server listens on 127.0.0.1 only; the browser and server are closed on every path.
 * Prints "ok N - name" lines and "# pass"/"# fail"; exits non-zero on failure.
 * Usage: node tests/browsers/demo.test.mjs
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { createTapReporter } from '../runtimes/tap.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM_PATH = process.env.HINDSIGHT_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const STEP_TIMEOUT_MS = 15_000;
const ARTIFACTS = path.join(repoRoot, 'build/artifacts');   // screenshots, kept after the run
const SPEED_COMMITS = 10_000;
const SPEED_DOCS = 5_000;
const SPEED_STEPS = 100;

const tap = createTapReporter();

async function check(name, fn) {
  try {
    const outcome = await fn();
    tap.report(name, outcome === true, outcome === true ? '' : String(outcome || 'returned false'));
    return outcome === true;
  } catch (error) {
    tap.report(name, false, error?.message ?? String(error));
    return false;
  }
}

const PANEL = '#debugger .hsd-panel';

async function waitReady(page) {
  await page.waitForFunction(() => window.hindsightDemo?.ready || window.hindsightDemo?.error, null, { timeout: 30_000 });
  const state = await page.evaluate(() => ({ ready: window.hindsightDemo.ready, error: window.hindsightDemo.error }));
  if (!state.ready) throw new Error(`start failed: ${state.error}`);
}

async function addTaskByUi(page, who, title, tags) {
  await page.selectOption('#who', who);
  await page.fill('#new-title', title);
  await page.fill('#new-tags', tags);
  await page.click('#add-task');
  await page.waitForFunction((t) => [...document.querySelectorAll('.task-title')].some((n) => n.textContent === t), title, { timeout: STEP_TIMEOUT_MS });
}

/* Gives the board something to show: three tasks through the form, then a short history. */
async function seedBoard(page) {
  await addTaskByUi(page, 'u-alice', 'Write the release notes', 'docs, release');
  await addTaskByUi(page, 'u-bob', 'Fix the login timeout', 'bug');
  await addTaskByUi(page, 'planner-bot', 'Plan the next sprint', 'planning');
  await page.evaluate(async () => {
    const { fillHistory } = await import('/demo/board.js');
    fillHistory(window.hindsightDemo.db, 60);
    await window.hindsightDemo.db.flush();
  });
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.renderedSeq === String(window.hindsightDemo.db.seq), PANEL, { timeout: STEP_TIMEOUT_MS });
}

async function main() {
  const missing = ['js/hindsight.wasm', 'demo/index.html', 'debugger/index.js'].filter((f) => !existsSync(path.join(repoRoot, f)));
  if (missing.length) {
    tap.report('demo: preflight', false, `missing ${missing.join(', ')}; run "make build" first`);
    return;
  }
  const served = await startStaticServer({ rootDir: repoRoot, redirects: { '/': '/demo/' } });
  let browser = null;
  const problems = [];
  const dbName = `demo-test-${process.pid}-${Date.now()}`;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const watch = (p, label) => {
      p.on('console', (msg) => { if (msg.type() === 'error') problems.push(`${label} console.error: ${msg.text()}`); });
      p.on('pageerror', (err) => problems.push(`${label} pageerror: ${err.message}`));
    };
    watch(page, 'tab1');

    await check('serve: / and /demo (no slash) both lead to the demo page', async () => {
      for (const from of ['/', '/demo']) {
        const response = await fetch(`${served.origin}${from}`, { redirect: 'manual' });
        if (response.status !== 301 || response.headers.get('location') !== '/demo/') return `${from}: ${response.status} ${response.headers.get('location')}`;
      }
      return true;
    });
    const loaded = await check('demo: the page at /demo opens its IndexedDB database and mounts the debugger', async () => {
      await page.goto(`${served.origin}/demo?db=${dbName}`, { waitUntil: 'load', timeout: 30_000 });
      await waitReady(page);
      return page.evaluate((name) => (location.pathname === '/demo/' && window.hindsightDemo.name === name &&
        document.querySelector('#debugger .hsd-panel') !== null) || `at ${location.pathname}, database ${window.hindsightDemo.name}`, dbName);
    });
    if (!loaded) return;
    await seedBoard(page);

    await check('openDebugger({ name }): a page with no writer opens the database read-only, follows another tab, takes no lock and writes nothing', async () => {
      const reader = await context.newPage();
      watch(reader, 'reader');
      try {
        await reader.goto(`${served.origin}/tests/browsers/pages/blank.html`, { waitUntil: 'load' });   // no writer in this page
        const opened = await reader.evaluate(async (name) => {
          // Spy on the two ways a page could get in the writers' way: the Web Lock and a readwrite transaction.
          window.lockRequests = 0;
          window.transactionModes = [];
          const request = navigator.locks.request.bind(navigator.locks);
          navigator.locks.request = (...args) => { window.lockRequests++; return request(...args); };
          const transaction = IDBDatabase.prototype.transaction;
          IDBDatabase.prototype.transaction = function (names, mode, ...rest) { window.transactionModes.push(mode ?? 'readonly'); return transaction.call(this, names, mode, ...rest); };
          const { openDebugger } = await import('/debugger/index.js');
          const host = document.createElement('div');
          document.body.append(host);
          window.readOnlyDebugger = await openDebugger({ name }, { container: host });
          return { head: window.readOnlyDebugger.head, revertDisabled: host.querySelector('.hsd-revert').disabled };
        }, dbName);
        const writerSeq = await page.evaluate(() => window.hindsightDemo.db.seq);
        if (opened.head !== writerSeq || !opened.revertDisabled) return `read-only head ${opened.head}, writer ${writerSeq}, revert disabled ${opened.revertDisabled}`;
        await addTaskByUi(page, 'planner-bot', 'Seen by the read-only debugger', 'sync');
        await page.evaluate(() => window.hindsightDemo.db.flush());
        await reader.waitForFunction((s) => window.readOnlyDebugger.head === s + 1 &&
          document.querySelector('.hsd-panel').dataset.renderedSeq === String(s + 1), writerSeq, { timeout: STEP_TIMEOUT_MS });
        return await reader.evaluate(async () => {
          const shown = window.readOnlyDebugger.db.toDict().collections.tasks.data.some((t) => t.title === 'Seen by the read-only debugger');
          const refused = window.readOnlyDebugger.db.executeQuery({ className: 'Query', target: 'tasks', type: 'clear' }) &&
            await window.readOnlyDebugger.db.flush().then(() => 'flushed', (e) => e.code);
          await window.readOnlyDebugger.destroy();
          const writes = window.transactionModes.filter((m) => m !== 'readonly');
          if (!shown) return 'the new task is not in the read-only database';
          if (window.lockRequests !== 0) return `${window.lockRequests} Web Lock requests`;
          if (writes.length) return `transactions ${writes.join(',')}`;
          return refused !== 'flushed' || 'a write of the read-only database reached the store';
        });
      } finally {
        await reader.close();
      }
    });
    await check('openDebugger({ name }): an unknown name is refused with a HindsightError and creates nothing', () => page.evaluate(async () => {
      const { openDebugger } = await import('/debugger/index.js');
      const name = `no-such-db-${Date.now()}`;
      const error = await openDebugger({ name }).then(() => null, (e) => e);
      const list = await indexedDB.databases();
      return (error?.name === 'HindsightError' && error.code === 'INVALID_ARGUMENT' && !list.some((d) => d.name.endsWith(name))) || `error ${error?.name} ${error?.code}`;
    }));

    await check('mountDebugger without a container: a hidden overlay that the hotkey toggles', async () => {
      await page.evaluate(async () => {
        const { mountDebugger } = await import('/debugger/index.js');
        window.overlayDebugger = mountDebugger(window.hindsightDemo.db, { hotkey: 'Alt+Shift+H' });
      });
      const hiddenAtFirst = await page.evaluate(() => window.overlayDebugger.overlay.hidden);
      await page.keyboard.press('Alt+Shift+KeyH');
      const shown = await page.evaluate(() => !window.overlayDebugger.overlay.hidden &&
        window.overlayDebugger.element.dataset.renderedSeq === String(window.hindsightDemo.db.seq));
      await page.keyboard.press('Alt+Shift+KeyH');
      const hiddenAgain = await page.evaluate(() => window.overlayDebugger.overlay.hidden);
      await page.evaluate(() => { window.overlayDebugger.destroy(); });
      const gone = await page.evaluate(() => document.querySelectorAll('.hsd-overlay').length === 0);
      return (hiddenAtFirst && shown && hiddenAgain && gone) || `hidden ${hiddenAtFirst}, shown ${shown}, hidden again ${hiddenAgain}, removed ${gone}`;
    });
    await check(`screenshots: the board and the debugger at 1366x768 and 390x844, saved in ${path.relative(repoRoot, ARTIFACTS)}`, async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      const sizes = [];
      for (const [width, height] of [[1366, 768], [390, 844]]) {
        await page.setViewportSize({ width, height });
        await page.waitForTimeout(100);
        const file = path.join(ARTIFACTS, `demo-${width}x${height}.png`);
        await page.screenshot({ path: file });
        sizes.push(statSync(file).size);
      }
      // a blank page compresses to a few kB; the drawn board and debugger do not
      return sizes.every((bytes) => bytes > 20_000) || `screenshot sizes ${sizes.join(', ')} bytes`;
    });
    await check(`speed: scrubbing ${SPEED_COMMITS} commits over ${SPEED_DOCS} documents (figure printed)`, async () => {
      const speed = await page.evaluate(async ({ commits, docs, steps }) => {
        const { scrubWorkload } = await import('/bench/debugger-workload.js');   // what make bench times
        return scrubWorkload({ commits, docs, steps, peer: false });
      }, { commits: SPEED_COMMITS, docs: SPEED_DOCS, steps: SPEED_STEPS });
      tap.comment(`scrub speed at ${SPEED_COMMITS} commits / ${SPEED_DOCS} docs: median ${speed.median.toFixed(1)} ms per slider step ` +
        `(input to painted frame; worst ${speed.max.toFixed(1)} ms; render itself median ${speed.renderMedian.toFixed(1)} ms; mount ${speed.mountMs.toFixed(0)} ms; ${speed.drawnRows} rows drawn; make bench prints the ratio to a peer)`);
      return (speed.highlighted === 1 && speed.drawnRows < 60) || `highlighted ${speed.highlighted}, rows drawn ${speed.drawnRows}`;
    });

    await check('demo: no errors reached the browser console', () => problems.length === 0 || problems.join(' | '));
  } catch (error) {
    tap.report('demo: driver', false, error?.message ?? String(error));
  } finally {
    if (browser) await browser.close().catch((err) => tap.comment(`closing the browser failed: ${err.message}`));
    await served.close();
  }
}

await main();
const { failed } = tap.finish();
process.exitCode = failed ? 1 : 0;
