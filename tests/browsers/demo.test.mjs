/*
 * demo.test.mjs: drives the demo (demo/index.html: a task board on IndexedDB with the debugger
 * of hindsight-db/debugger beside it) in Debian's Chromium through playwright-core.
 *
 * Owns: the end-to-end checks of the demo and the debugger: /demo and / lead to the page; board
 * actions make commits with causes; the debugger mounts, scrubs to a commit and shows its cause,
 * its highlighted row and the board as it was; a nested change shows only the changed path; a
 * deleted document opens; export / import, fork and revert; a reload keeps the data; a second
 * tab follows; openDebugger({ name }) follows the writers read-only; the overlay's hotkey; the
 * page keys and #seq=N links; screenshots at 1366x768 and 390x844 (build/artifacts/); no
 * sideways scroll at 390px;
 * and a scrub-speed figure at 10,000 commits (printed, not asserted).
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

/* Moves the slider as a drag does and waits until the panel shows that seq. */
async function scrub(page, seq) {
  await page.evaluate(({ s, sel }) => {
    const slider = document.querySelector(`${sel} .hsd-slider`);
    slider.value = String(s);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
  }, { s: seq, sel: PANEL });
  await page.waitForFunction(({ s, sel }) => document.querySelector(sel)?.dataset.renderedSeq === String(s), { s: seq, sel: PANEL }, { timeout: STEP_TIMEOUT_MS });
}

const seqOf = (page, what) => page.evaluate((w) => window.hindsightDemo.db.commits().find((c) => c.cause?.what === w)?.seq ?? null, what);

async function addTaskByUi(page, who, title, tags) {
  await page.selectOption('#who', who);
  await page.fill('#new-title', title);
  await page.fill('#new-tags', tags);
  await page.click('#add-task');
  await page.waitForFunction((t) => [...document.querySelectorAll('.task-title')].some((n) => n.textContent === t), title, { timeout: STEP_TIMEOUT_MS });
}

async function runBoardAndDebuggerChecks(page) {
  await check('board: adding three tasks through the form makes three commits signed by the chosen person', async () => {
    const before = await page.evaluate(() => window.hindsightDemo.db.seq);
    await addTaskByUi(page, 'u-alice', 'Write the release notes', 'docs, release');
    await addTaskByUi(page, 'u-bob', 'Fix the login timeout', 'bug');
    await addTaskByUi(page, 'planner-bot', 'Plan the next sprint', 'planning');
    return page.evaluate((b) => {
      const { db } = window.hindsightDemo;
      const made = db.commits({ from: b + 1 });
      if (made.length !== 3) return `${made.length} commits`;
      const who = made.map((c) => c.cause?.who?.id).join(',');
      return who === 'u-alice,u-bob,planner-bot' || `signed by ${who}`;
    }, before);
  });
  await check('board: move, assign and delete through the buttons each make one commit', async () => {
    const before = await page.evaluate(() => window.hindsightDemo.db.seq);
    await page.click('.task[data-id] .move-right >> nth=0');
    await page.waitForFunction((b) => window.hindsightDemo.db.seq === b + 1, before);
    const bobTask = await page.evaluate(() => window.hindsightDemo.db.toDict().collections.tasks.data.find((t) => t.title === 'Fix the login timeout').id);
    await page.selectOption(`.task[data-id="${bobTask}"] select.assign`, 'u-alice');
    await page.waitForFunction((b) => window.hindsightDemo.db.seq === b + 2, before);
    const planId = await page.evaluate(() => window.hindsightDemo.db.toDict().collections.tasks.data.find((t) => t.title === 'Plan the next sprint').id);
    await page.click(`.task[data-id="${planId}"] .delete`);
    await page.waitForFunction((b) => window.hindsightDemo.db.seq === b + 3, before);
    return page.evaluate(() => {
      const tasks = window.hindsightDemo.db.toDict().collections.tasks.data;
      const shown = [...document.querySelectorAll('.task')].length;
      if (shown !== tasks.length) return `board shows ${shown} cards, db has ${tasks.length} tasks`;
      if (tasks.some((t) => t.title === 'Plan the next sprint')) return 'deleted task still there';
      return tasks.find((t) => t.title === 'Fix the login timeout').assignee === 'u-alice' || 'assign did not stick';
    });
  });
  // A nested change: only details.priority changes.
  await page.evaluate(async () => {
    const { db } = window.hindsightDemo;
    const { setPriority, PEOPLE } = await import('/demo/board.js');
    const task = db.toDict().collections.tasks.data.find((t) => t.title === 'Write the release notes');
    setPriority(db, PEOPLE[1], task, 'high');
  });

  await check('debugger: mounted beside the app, slider spans the kept history, at the head', () => page.evaluate((sel) => {
    const { db } = window.hindsightDemo;
    const slider = document.querySelector(`${sel} .hsd-slider`);
    if (!slider) return 'no panel';
    return (Number(slider.max) === db.seq && Number(slider.value) === db.seq && Number(slider.min) === db.commits()[0].seq - 1) ||
      `slider ${slider.min}..${slider.max} @${slider.value}, db.seq ${db.seq}`;
  }, PANEL));

  const moveWhat = await page.evaluate(() => window.hindsightDemo.db.commits().find((c) => c.cause?.what?.startsWith('Move '))?.cause.what);
  const moveSeq = await seqOf(page, moveWhat);
  await check('debugger: scrubbing to the move commit shows its seq, id, who, what, why and query', async () => {
    await scrub(page, moveSeq);
    return page.evaluate(({ s, sel }) => {
      const commit = window.hindsightDemo.db.commits({ from: s, to: s })[0];
      const card = document.querySelector(`${sel} .hsd-commit`);
      const text = (cls) => card.querySelector(`dd.${cls}`)?.textContent;
      if (card.dataset.seq !== String(s) || text('seq') !== String(s) || text('id') !== commit.id) return `card seq ${text('seq')} id ${text('id')}`;
      if (text('what') !== commit.cause.what || text('why') !== commit.cause.why || !text('who').startsWith(commit.cause.who.name)) return `card ${text('who')} / ${text('what')} / ${text('why')}`;
      const query = JSON.parse(card.querySelector('.hsd-query pre').textContent);
      return JSON.stringify(query) === JSON.stringify(commit.query) || 'query differs';
    }, { s: moveSeq, sel: PANEL });
  });
  await check('debugger: the commit list marks the selected commit, filters by person, and a click selects', async () => {
    const marked = await page.evaluate(({ s, sel }) => {
      const rows = [...document.querySelectorAll(`${sel} .hsd-log .hsd-vt-row.selected`)];
      return rows.length === 1 && JSON.parse(rows[0].dataset.json).seq === s;
    }, { s: moveSeq, sel: PANEL });
    if (!marked) return 'the selected commit is not marked in the list';
    await page.fill(`${PANEL} .hsd-filter`, 'Bob');
    const filtered = await page.evaluate((sel) => {
      const shown = [...document.querySelectorAll(`${sel} .hsd-log .hsd-vt-row`)].map((r) => JSON.parse(r.dataset.json).seq);
      const bobs = window.hindsightDemo.db.commits().filter((c) => c.cause?.who?.name === 'Bob').map((c) => c.seq);
      return JSON.stringify(shown) === JSON.stringify(bobs) ? bobs : `list ${shown}, Bob's commits ${bobs}`;
    }, PANEL);
    if (!Array.isArray(filtered)) return filtered;
    await page.click(`${PANEL} .hsd-log .hsd-vt-row >> nth=0`);
    await page.waitForFunction(({ s, sel }) => document.querySelector(sel).dataset.renderedSeq === String(s), { s: filtered[0], sel: PANEL }, { timeout: STEP_TIMEOUT_MS });
    await page.fill(`${PANEL} .hsd-filter`, '');
    await scrub(page, moveSeq);
    return true;
  });
  await check('debugger: the moved row is highlighted as changed, and the board shows that past state read-only', () => page.evaluate(({ s, sel }) => {
    const { db } = window.hindsightDemo;
    const d = db.diff(s - 1, s).tasks;
    const rows = [...document.querySelectorAll(`${sel} .hsd-vt-row.changed`)];
    if (rows.length !== 1 || rows[0].dataset.json !== JSON.stringify(d.changed[0].after)) return `highlighted ${rows.map((r) => r.dataset.json).join(' ')}`;
    if (document.getElementById('past-banner').hidden) return 'no past banner';
    const past = db.at(s).toDict().collections.tasks.data;
    const cards = [...document.querySelectorAll('#board .task')].map((n) => Number(n.dataset.id)).sort();
    if (JSON.stringify(cards) !== JSON.stringify(past.map((t) => t.id).sort())) return `board cards ${cards} vs at(s) ${past.map((t) => t.id)}`;
    return document.querySelectorAll('#board .task .delete').length === 0 || 'past board still has buttons';
  }, { s: moveSeq, sel: PANEL }));

  const nestedSeq = await page.evaluate(() => window.hindsightDemo.db.seq);
  await check('debugger: a nested change lists only the changed path (details.priority)', async () => {
    await scrub(page, nestedSeq);
    return page.evaluate((sel) => {
      const items = [...document.querySelectorAll(`${sel} .hsd-diff > li.hsd-changed`)];
      if (items.length !== 1) return `${items.length} changed items`;
      const paths = [...items[0].querySelectorAll('.hsd-paths > li')].map((li) => `${li.dataset.path}:${li.querySelector('.hsd-before').textContent}->${li.querySelector('.hsd-after').textContent}`);
      return JSON.stringify(paths) === JSON.stringify(['details.priority:"normal"->"high"']) || `paths ${JSON.stringify(paths)}`;
    }, PANEL);
  });

  const deleteSeq = await seqOf(page, 'Delete "Plan the next sprint"');
  await check('debugger: the deleted document opens, with its history ending in a delete', async () => {
    await scrub(page, deleteSeq);
    await page.click(`${PANEL} .hsd-diff li.hsd-removed .hsd-open-removed`);
    return page.evaluate(({ s, sel }) => {
      const removed = window.hindsightDemo.db.diff(s - 1, s).tasks.removed[0];
      const doc = document.querySelector(`${sel} .hsd-doc`);
      if (doc.hidden || doc.dataset.deleted !== 'true') return 'document viewer not open as deleted';
      if (JSON.stringify(JSON.parse(doc.querySelector('.hsd-doc-json').textContent)) !== JSON.stringify(removed)) return 'shown JSON differs';
      const ops = [...doc.querySelectorAll('.hsd-doc-history li')].map((li) => li.dataset.op).join('');
      return (ops.startsWith('I') && ops.endsWith('D')) || `history ops ${ops}`;
    }, { s: deleteSeq, sel: PANEL });
  });

  await check('debugger: Play steps forward through the commits by itself, and Pause stops it', async () => {
    await scrub(page, 1);
    await page.click(`${PANEL} .hsd-play`);
    await page.waitForFunction((sel) => Number(document.querySelector(sel).dataset.renderedSeq) >= 3, PANEL, { timeout: STEP_TIMEOUT_MS });
    await page.click(`${PANEL} .hsd-play`);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));   // the last step's render
    const stopped = await page.evaluate((sel) => ({ seq: document.querySelector(sel).dataset.renderedSeq, label: document.querySelector(`${sel} .hsd-play`).textContent, playing: window.hindsightDemo.debugger.playing }), PANEL);
    await page.waitForTimeout(400);
    const later = await page.evaluate((sel) => document.querySelector(sel).dataset.renderedSeq, PANEL);
    return (!stopped.playing && stopped.label === 'Play' && later === stopped.seq) || `after pause: ${JSON.stringify(stopped)}, 400 ms later at ${later}`;
  });
  await check('debugger: export gives a history that imports (openDebugger({ history })) to the same state', () => page.evaluate(async (sel) => {
    const { db, debugger: handle } = window.hindsightDemo;
    const text = handle.exportHistory();
    if (!document.querySelector(`${sel} .hsd-status`).textContent.startsWith('Exported')) return 'no export status';
    const { openDebugger } = await import('/debugger/index.js');
    const host = document.createElement('div');
    document.body.append(host);
    const imported = await openDebugger({ history: text }, { container: host });
    const same = JSON.stringify(imported.db.toDict()) === JSON.stringify(db.toDict()) && imported.head === db.seq;
    const commitsSame = JSON.stringify(imported.db.commits().map((c) => c.cause)) === JSON.stringify(db.commits().map((c) => c.cause));
    await imported.destroy();
    host.remove();
    return (same && commitsSame) || `imported head ${imported.head} vs ${db.seq}, state same ${same}, causes same ${commitsSame}`;
  }, PANEL));

  await check('debugger: "Open a history file" shows an exported file in a panel of its own; a bad file is an error in the panel', async () => {
    const text = await page.evaluate(() => JSON.stringify(window.hindsightDemo.db.exportHistory()));
    await page.setInputFiles(`${PANEL} .hsd-history-file`, { name: 'board-history.json', mimeType: 'application/json', buffer: Buffer.from(text) });
    await page.waitForSelector(`${PANEL} .hsd-fork-area .hsd-panel`, { timeout: STEP_TIMEOUT_MS });
    const opened = await page.evaluate(() => {
      const { db, debugger: handle } = window.hindsightDemo;
      return (handle.forked && handle.forked !== db && JSON.stringify(handle.forked.toDict()) === JSON.stringify(db.toDict()) &&
        handle.forked.seq === db.seq) || `opened seq ${handle.forked?.seq}, db ${db.seq}`;
    });
    if (opened !== true) return opened;
    await page.setInputFiles(`${PANEL} .hsd-history-file`, { name: 'not-history.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
    await page.waitForFunction((sel) => document.querySelector(`${sel} > .hsd-head .hsd-status`).classList.contains('error'), PANEL, { timeout: STEP_TIMEOUT_MS });
    return page.evaluate((sel) => /not-history\.json is not a Hindsight history file/.test(document.querySelector(`${sel} > .hsd-head .hsd-status`).textContent) || 'wrong message', PANEL);
  });
  await check('debugger: "Fork at this point" shows a new in-memory database equal to that point', async () => {
    await scrub(page, moveSeq);
    await page.click(`${PANEL} .hsd-fork`);
    await page.waitForSelector(`${PANEL} .hsd-fork-area .hsd-panel`, { timeout: STEP_TIMEOUT_MS });
    return page.evaluate(({ s, sel }) => {
      const { db, debugger: handle } = window.hindsightDemo;
      const fork = handle.forked;
      if (!fork || fork === db) return 'no fork';
      if (JSON.stringify(fork.toDict()) !== JSON.stringify(db.at(s).toDict())) return 'fork state differs from db.at(s)';
      const inner = document.querySelector(`${sel} .hsd-fork-area .hsd-panel`);
      return inner.dataset.renderedSeq === String(fork.seq) || `fork panel at ${inner.dataset.renderedSeq}, fork seq ${fork.seq}`;
    }, { s: moveSeq, sel: PANEL });
  });

  await check('debugger: "Revert to this point" asks first, then adds one commit equal to that point', async () => {
    const head = await page.evaluate(() => window.hindsightDemo.db.seq);
    await scrub(page, moveSeq);
    let asked = '';
    page.once('dialog', (dialog) => { asked = dialog.message(); dialog.accept(); });
    await page.click(`${PANEL} .hsd-revert`);
    await page.waitForFunction(({ h, sel }) => document.querySelector(sel).dataset.renderedSeq === String(h + 1), { h: head, sel: PANEL }, { timeout: STEP_TIMEOUT_MS });
    return page.evaluate(({ s, h, asked }) => {
      const { db } = window.hindsightDemo;
      if (!asked.includes(String(s))) return `confirm said "${asked}"`;
      if (db.seq !== h + 1) return `db.seq ${db.seq}`;
      const strip = (d) => JSON.stringify(d.collections.tasks.data);
      if (strip(db.toDict()) !== strip(db.at(s).toDict())) return 'state differs from the point';
      const last = db.commits({ from: db.seq })[0];
      if (last.cause?.what !== `Revert to seq ${s}`) return `cause ${JSON.stringify(last.cause)}`;
      return document.getElementById('past-banner').hidden || 'board still shows the past after the revert';
    }, { s: moveSeq, h: head, asked });
  });
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
    await runBoardAndDebuggerChecks(page);

    await check('keys: ←, Home and End move the timeline from anywhere on the page; the address follows (#seq=N)', async () => {
      const head = await page.evaluate(() => { document.activeElement?.blur(); return window.hindsightDemo.db.seq; });
      const seen = [];
      for (const [key, want] of [['ArrowLeft', head - 1], ['Home', 0], ['End', head]]) {
        await page.keyboard.press(key);
        await page.waitForFunction(({ w, sel }) => document.querySelector(sel).dataset.renderedSeq === String(w), { w: want, sel: PANEL }, { timeout: STEP_TIMEOUT_MS });
        seen.push(await page.evaluate(() => location.hash));
      }
      return JSON.stringify(seen) === JSON.stringify([`#seq=${head - 1}`, '#seq=0', `#seq=${head}`]) || `hashes ${seen}`;
    });
    await check('link: opening the page at #seq=N shows that commit, and the board as it was', async () => {
      const point = await page.evaluate(() => window.hindsightDemo.db.commits().find((c) => c.cause?.what?.startsWith('Assign ')).seq);
      await page.goto(`${served.origin}/demo/?db=${dbName}#seq=${point}`, { waitUntil: 'load' });
      await page.reload({ waitUntil: 'load' });   // a fresh start from the link, not a same-page hash change
      await waitReady(page);
      await page.waitForFunction(({ p, sel }) => document.querySelector(sel)?.dataset.renderedSeq === String(p), { p: point, sel: PANEL }, { timeout: STEP_TIMEOUT_MS });
      return page.evaluate((p) => {
        const past = window.hindsightDemo.db.at(p).toDict().collections.tasks.data.map((t) => t.id).sort().join();
        const cards = [...document.querySelectorAll('#board .task')].map((n) => Number(n.dataset.id)).sort().join();
        return (!document.getElementById('past-banner').hidden && cards === past) || `cards ${cards}, at(p) ${past}`;
      }, point);
    });
    await page.goto(`${served.origin}/demo/?db=${dbName}`, { waitUntil: 'load' });
    await page.reload({ waitUntil: 'load' });
    await waitReady(page);

    const saved = await page.evaluate(async () => {
      await window.hindsightDemo.db.flush();
      return { seq: window.hindsightDemo.db.seq, state: JSON.stringify(window.hindsightDemo.db.toDict().collections) };
    });
    await check('reload: the board, its history and the debugger come back from IndexedDB', async () => {
      await page.reload({ waitUntil: 'load' });
      await waitReady(page);
      return page.evaluate(({ seq, state }) => {
        const { db } = window.hindsightDemo;
        if (db.seq !== seq) return `seq ${db.seq} after reload, ${seq} before`;
        if (JSON.stringify(db.toDict().collections) !== state) return 'state differs after reload';
        const slider = document.querySelector('#debugger .hsd-slider');
        return (Number(slider.max) === seq && document.querySelectorAll('#board .task').length > 0) || `slider max ${slider.max}`;
      }, saved);
    });

    const tab2 = await context.newPage();
    watch(tab2, 'tab2');
    await check('tabs: a second tab sees the data, and the first tab follows its writes (board and slider)', async () => {
      await tab2.goto(`${served.origin}/demo/?db=${dbName}`, { waitUntil: 'load' });
      await waitReady(tab2);
      const seq2 = await tab2.evaluate(() => window.hindsightDemo.db.seq);
      if (seq2 !== saved.seq) return `tab 2 opened at ${seq2}, expected ${saved.seq}`;
      await addTaskByUi(tab2, 'u-bob', 'Written in tab two', 'sync');
      await tab2.evaluate(() => window.hindsightDemo.db.flush());
      await page.waitForFunction(() => [...document.querySelectorAll('#board .task-title')].some((n) => n.textContent === 'Written in tab two'), null, { timeout: STEP_TIMEOUT_MS });
      return page.evaluate((s) => {
        const slider = document.querySelector('#debugger .hsd-slider');
        return (Number(slider.max) === window.hindsightDemo.db.seq && window.hindsightDemo.db.seq === s + 1) || `slider max ${slider.max}, seq ${window.hindsightDemo.db.seq}`;
      }, saved.seq);
    });

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
        const writerSeq = await tab2.evaluate(() => window.hindsightDemo.db.seq);
        if (opened.head !== writerSeq || !opened.revertDisabled) return `read-only head ${opened.head}, writer ${writerSeq}, revert disabled ${opened.revertDisabled}`;
        await addTaskByUi(tab2, 'planner-bot', 'Seen by the read-only debugger', 'sync');
        await tab2.evaluate(() => window.hindsightDemo.db.flush());
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
    await check('layout: at 390x844 the page does not scroll sideways (board and debugger)', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(100);
      return page.evaluate(() => {
        const root = document.documentElement;
        return root.scrollWidth <= root.clientWidth || `scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}`;
      });
    });
    await tab2.close();

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
