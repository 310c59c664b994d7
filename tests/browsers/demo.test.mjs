/*
 * demo.test.mjs: drives the demo page (demo/index.html) in Debian's Chromium through playwright-core.
 *
 * Owns: the end-to-end checks of the demo: it loads, "simulate" makes the planned commits, the
 * timeline slider shows exactly db.at(s).toDict(), the diff panel shows a known commit's change,
 * a row click shows db.history(), Restore / Undo / Redo make one commit each with the right state,
 * the slider follows commits made elsewhere, and the query console shows results and errors.
 *
 * Must stay true: expected values are computed in the page from the database itself (window.hindsightDemo.db),
 * never hard-coded from a past run; the server listens on 127.0.0.1 only; the browser and server are
 * closed on every path. Prints "ok N - name" lines and "# pass"/"# fail"; exits non-zero on failure.
 * Usage: node tests/browsers/demo.test.mjs
 */
import { existsSync } from 'node:fs';
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
const SIMULATED_COMMITS = 50; // demo/seed.js EXPECTED_COMMITS; checked against the page's own count too

const tap = createTapReporter();

/* Runs one named check. fn returns true, or a string/false describing the failure, or throws. */
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

/* Moves the timeline slider the way a user's drag does, and waits until the panel shows that seq. */
async function moveSlider(page, seq) {
  await page.evaluate((s) => {
    const slider = document.getElementById('timeline-slider');
    slider.value = String(s);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
  }, seq);
  await waitRendered(page, seq);
}

async function waitRendered(page, seq) {
  await page.waitForFunction((s) => document.getElementById('time-travel').dataset.renderedSeq === String(s),
    seq, { timeout: STEP_TIMEOUT_MS });
}

/* Installs window.canonState(dict) in the page: the canonical text of a database dict, so two states compare exactly. */
async function installCanonState(page) {
  await page.evaluate(() => {
    window.canonState = (dict) => JSON.stringify(Object.keys(dict.collections).sort()
      .map((name) => [name, dict.collections[name].data, dict.collections[name].serialNum]));
  });
}

async function seqOfCommit(page, what) {
  return page.evaluate((w) => {
    const found = window.hindsightDemo.db.commits().find((c) => c.cause?.what === w);
    return found ? found.seq : null;
  }, what);
}

/* The rows the table shows for the current seq, checked against db.at(seq) computed in the page. */
async function tableMatchesView(page) {
  return page.evaluate(() => {
    const { db } = window.hindsightDemo;
    const panel = document.getElementById('time-travel');
    const seq = Number(panel.dataset.renderedSeq);
    const view = db.at(seq);
    const dict = view.toDict();
    view.close?.();
    const names = Object.keys(dict.collections);
    const options = [...document.querySelectorAll('#collection-select option')].map((o) => o.value);
    if (JSON.stringify(options) !== JSON.stringify(names)) return `collection options ${JSON.stringify(options)} != ${JSON.stringify(names)}`;
    const name = document.getElementById('collection-select').value;
    const expected = dict.collections[name].data.slice(0, 500);
    const rows = [...document.querySelectorAll('#state-area tbody tr')];
    const shown = rows.map((tr) => JSON.parse(tr.dataset.json));
    if (JSON.stringify(shown) !== JSON.stringify(expected)) {
      return `seq ${seq} ${name}: table has ${shown.length} rows, db.at has ${expected.length}; first difference near ${JSON.stringify(shown.find((d, i) => JSON.stringify(d) !== JSON.stringify(expected[i])))}`;
    }
    // The visible cells must show the same values, column by column.
    const columns = [...document.querySelectorAll('#state-area thead th')].map((th) => th.textContent);
    const asCell = (v) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
    for (let i = 0; i < rows.length; i++) {
      const cells = [...rows[i].children].map((td) => td.textContent);
      const want = columns.map((c) => asCell(expected[i][c]));
      if (JSON.stringify(cells) !== JSON.stringify(want)) return `row ${i} shows ${JSON.stringify(cells)}, expected ${JSON.stringify(want)}`;
    }
    return rows.length > 0 ? true : `seq ${seq}: "${name}" rendered no rows`;
  });
}

async function runTimeTravelChecks(page) {
  await check('simulate: db.seq and db.commits() count the planned commits, each with a Cause', () => page.evaluate((n) => {
    const { db, lastSimulation } = window.hindsightDemo;
    const commits = db.commits();
    if (db.seq !== n) return `db.seq is ${db.seq}, expected ${n}`;
    if (lastSimulation.committed !== n) return `the page counted ${lastSimulation.committed} commits`;
    if (commits.length !== n) return `db.commits() returned ${commits.length}`;
    if (commits.some((c, i) => c.seq !== i + 1)) return `seqs are not 1..${n}: ${commits.map((c) => c.seq).join(',')}`;
    const bad = commits.find((c) => !['human', 'ai'].includes(c.cause?.who?.type) || !c.cause.what || !c.cause.why);
    if (bad) return `commit ${bad.seq} has cause ${JSON.stringify(bad.cause)}`;
    if (commits.some((c) => Number.isNaN(Date.parse(c.time)))) return 'a commit time is not an ISO date';
    return true;
  }, SIMULATED_COMMITS));

  await check('simulate: the failed transaction left no trace in the passport todo\'s history', () => page.evaluate(() => {
    const { db } = window.hindsightDemo;
    const passport = db.commits().find((c) => c.cause?.what === 'Add "Renew passport"');
    if (!passport) return 'no commit added the passport todo';
    const doc = db.at(passport.seq).executeQuery({ className: 'Query', target: 'todos', type: 'searchOne',
      queryNode: { type: 'equals_', field: 'title', value: 'Renew passport', vType: 'auto_', version: '2' } }).result[0];
    const versions = db.history('todos', { type: 'equals_', field: 'id', value: doc.id, vType: 'auto_', version: '2' });
    const failedWhat = window.hindsightDemo.lastSimulation.failedAsExpected[0];
    if (versions.some((v) => v.cause?.what === failedWhat)) return 'a version was made by the failed transaction';
    if (db.commits().some((c) => c.cause?.what === failedWhat)) return 'the failed transaction was committed';
    const updates = versions.filter((v) => v.op === 'U');
    if (versions[0]?.op !== 'I' || updates.length !== 1) return `ops are "${versions.map((v) => v.op).join('')}", expected one insert then one update`;
    return updates[0].cause?.who?.id === 'u-bob' || `marked done by ${JSON.stringify(updates[0].cause?.who?.id)}, expected Bob`;
  }));

  await check('timeline: the slider spans 0..db.seq and starts at the latest commit', () => page.evaluate(() => {
    const slider = document.getElementById('timeline-slider');
    const { db } = window.hindsightDemo;
    return (slider.min === '0' && Number(slider.max) === db.seq && Number(slider.value) === db.seq) ||
      `slider min ${slider.min} max ${slider.max} value ${slider.value}, db.seq ${db.seq}`;
  }));

  const middle = Math.floor(SIMULATED_COMMITS / 2);
  await check(`timeline: at seq ${middle} the table equals db.at(${middle}).toDict()`, async () => {
    await moveSlider(page, middle);
    return tableMatchesView(page);
  });
  await check(`timeline: at seq ${middle} the past state differs from the present`, () => page.evaluate((s) => {
    const { db } = window.hindsightDemo;
    const past = db.at(s).toDict().collections.todos.data;
    const now = db.toDict().collections.todos.data;
    return JSON.stringify(past) !== JSON.stringify(now) || 'seq s shows the same todos as now';
  }, middle));
  await check('timeline: switching to "users" shows db.at(s) users', async () => {
    await page.selectOption('#collection-select', 'users', { timeout: STEP_TIMEOUT_MS });
    await waitRendered(page, middle);
    return tableMatchesView(page);
  });
  await check('timeline: switching back to "todos" shows db.at(s) todos', async () => {
    await page.selectOption('#collection-select', 'todos', { timeout: STEP_TIMEOUT_MS });
    await waitRendered(page, middle);
    return tableMatchesView(page);
  });
  await check('timeline: the commit card shows the commit at the chosen seq', () => page.evaluate((s) => {
    const commit = window.hindsightDemo.db.commits().find((c) => c.seq === s);
    const card = document.querySelector('#commit-area .commit-card');
    if (!card || card.dataset.seq !== String(s)) return `card is for seq ${card?.dataset.seq}`;
    const what = card.querySelector('dd.what').textContent;
    const who = card.querySelector('dd.who').textContent;
    return (what === commit.cause.what && who.startsWith(commit.cause.who.name)) || `card shows ${who} / ${what}`;
  }, middle));
  await check('timeline: the step-back button moves one commit and re-renders', async () => {
    await page.click('#step-back');
    await waitRendered(page, middle - 1);
    return tableMatchesView(page);
  });

  const renameWhat = 'Rename "Write quarterly report" to "Write Q3 report"';
  const renameSeq = await seqOfCommit(page, renameWhat);
  await check('diff: the rename commit shows one changed todo, title before -> after', async () => {
    if (renameSeq === null) return 'no commit with that cause';
    await moveSlider(page, renameSeq);
    return page.evaluate((s) => {
      const items = [...document.querySelectorAll('#diff-area .diff-item')];
      if (items.length !== 1 || items[0].dataset.kind !== 'changed') return `diff items: ${items.map((i) => i.dataset.kind).join(',')}`;
      const before = JSON.parse(items[0].dataset.before), after = JSON.parse(items[0].dataset.after);
      if (before.title !== 'Write quarterly report' || after.title !== 'Write Q3 report') return `before ${before.title} after ${after.title}`;
      const d = window.hindsightDemo.db.diff(s - 1, s).todos;
      if (JSON.stringify(d.changed[0]) !== JSON.stringify({ before, after })) return `db.diff says ${JSON.stringify(d)}`;
      const row = [...document.querySelectorAll('#state-area tbody tr')].find((tr) => tr.dataset.json === JSON.stringify(after));
      return row?.classList.contains('changed') || 'the renamed row is not highlighted as changed';
    }, renameSeq);
  });
  await check('diff: the archive commit lists every removed (done) todo', async () => {
    const seq = await seqOfCommit(page, 'Archive (delete) every completed todo');
    if (seq === null) return 'no archive commit';
    await moveSlider(page, seq);
    return page.evaluate((s) => {
      const removed = [...document.querySelectorAll('#diff-area .diff-item.removed')].map((li) => JSON.parse(li.dataset.json));
      const expected = window.hindsightDemo.db.diff(s - 1, s).todos.removed;
      if (removed.length < 2) return `only ${removed.length} removed items shown`;
      if (JSON.stringify(removed) !== JSON.stringify(expected)) return `shown ${removed.length}, db.diff has ${expected.length}`;
      if (document.querySelectorAll('#diff-area .diff-item:not(.removed)').length) return 'non-removed items in a delete commit';
      return removed.every((d) => d.done === true) || 'a removed todo was not done';
    }, seq);
  });

  await check('history: clicking a row shows db.history for that document', async () => {
    if (renameSeq === null) return 'no rename commit';
    await moveSlider(page, renameSeq);
    await page.click('#state-area tbody tr.changed');
    return page.evaluate(() => {
      const area = document.getElementById('history-area');
      const value = JSON.parse(area.dataset.value);
      const expected = window.hindsightDemo.db.history('todos', { type: 'equals_', field: 'id', value, vType: 'auto_', version: '2' });
      const shown = [...area.querySelectorAll('tbody tr')].map((tr) => `${tr.dataset.seq}${tr.dataset.op}`);
      const want = expected.map((e) => `${e.seq}${e.op}`);
      if (JSON.stringify(shown) !== JSON.stringify(want)) return `shown ${shown}, db.history ${want}`;
      return (area.dataset.field === 'id' && want[0]?.endsWith('I') && want.length >= 3) || `history ${want} for ${area.dataset.field}`;
    });
  });

  const point = middle;
  await installCanonState(page);
  const before = await page.evaluate(() => {
    const { db } = window.hindsightDemo;
    return { head: db.seq, headState: window.canonState(db.toDict()) };
  });
  await check(`restore: "Restore this point" at seq ${point} adds one commit whose state equals seq ${point}`, async () => {
    await moveSlider(page, point);
    await page.click('#restore');
    await waitRendered(page, before.head + 1);
    return page.evaluate(({ point, head }) => {
      const canon = window.canonState;
      const { db } = window.hindsightDemo;
      if (db.seq !== head + 1) return `db.seq is ${db.seq}, expected ${head + 1}`;
      if (canon(db.toDict()) !== canon(db.at(point).toDict())) return 'the state after restore differs from the chosen point';
      const last = db.commits().at(-1);
      if (last.cause?.who?.id !== 'demo-visitor' || !/Restore/.test(last.cause.what)) return `restore commit cause: ${JSON.stringify(last.cause)}`;
      const slider = document.getElementById('timeline-slider');
      return (Number(slider.max) === db.seq && Number(slider.value) === db.seq) || `slider max ${slider.max} value ${slider.value}`;
    }, { point, head: before.head });
  });
  await check('undo: Undo adds one commit and brings back the state before the restore', async () => {
    await page.click('#undo');
    await waitRendered(page, before.head + 2);
    return page.evaluate(({ head, headState }) => {
      const canon = window.canonState;
      const { db } = window.hindsightDemo;
      if (db.seq !== head + 2) return `db.seq is ${db.seq}, expected ${head + 2}`;
      return canon(db.toDict()) === headState || 'the state after undo is not the state before the restore';
    }, before);
  });
  await check('redo: Redo adds one commit and brings the restored state back', async () => {
    await page.click('#redo');
    await waitRendered(page, before.head + 3);
    return page.evaluate(({ point, head }) => {
      const canon = window.canonState;
      const { db } = window.hindsightDemo;
      if (db.seq !== head + 3) return `db.seq is ${db.seq}, expected ${head + 3}`;
      const status = document.getElementById('timeline-status');
      if (!status.classList.contains('ok')) return `status: ${status.textContent}`;
      return canon(db.toDict()) === canon(db.at(point).toDict()) || 'the state after redo is not the restored point';
    }, { point, head: before.head });
  });

  await check('live: a commit made outside the page moves the slider\'s max (listener)', async () => {
    const seq = await page.evaluate(() => {
      const { db } = window.hindsightDemo;
      db.executeQuery({ className: 'Query', target: 'todos', type: 'add', serialKey: 'id',
        addData: [{ id: -1, title: 'Written from the test', done: false }] });
      return db.seq;
    });
    await waitRendered(page, seq);
    return page.evaluate((s) => Number(document.getElementById('timeline-slider').max) === s || 'slider max did not follow', seq);
  });
}

async function runConsoleChecks(page) {
  const runExample = async (id) => {
    await page.click(`button.example[data-example="${id}"]`);
    await page.click('#run-query');
    return page.evaluate(() => ({
      status: document.getElementById('query-status').className,
      text: document.getElementById('query-result').textContent,
      query: document.getElementById('query-input').value,
    }));
  };
  await check('console: the "search + sort" example shows the same result as db.executeQuery', async () => {
    const shown = await runExample('search');
    const expected = await page.evaluate((q) => window.hindsightDemo.db.executeQuery(JSON.parse(q)), shown.query);
    const result = JSON.parse(shown.text);
    if (!shown.status.includes('ok')) return `status class ${shown.status}`;
    return (result.type === 'search' && result.result.length > 0 &&
      JSON.stringify(result.result) === JSON.stringify(expected.result)) || `shown ${shown.text.slice(0, 200)}`;
  });
  for (const id of ['add', 'update', 'transaction', 'delete']) {
    await check(`console: the "${id}" example runs and succeeds`, async () => {
      const shown = await runExample(id);
      const result = JSON.parse(shown.text);
      return (shown.status.includes('ok') && result.isSuccess === true) || `${shown.status}: ${shown.text.slice(0, 200)}`;
    });
  }
  await check('console: invalid JSON is shown as an error in the page', async () => {
    await page.fill('#query-input', '{ "className": "Query", "target": ');
    await page.click('#run-query');
    const status = await page.$eval('#query-status', (n) => ({ cls: n.className, text: n.textContent }));
    return (status.cls.includes('error') && status.text.startsWith('Not valid JSON')) || JSON.stringify(status);
  });
  await check('console: a query the API rejects (an array) is shown as an error', async () => {
    await page.fill('#query-input', '[1, 2]');
    await page.click('#run-query');
    const status = await page.$eval('#query-status', (n) => ({ cls: n.className, text: n.textContent }));
    return (status.cls.includes('error') && /HindsightError/.test(status.text)) || JSON.stringify(status);
  });
  await check('console: a write that matches nothing shows isSuccess false and its message', async () => {
    await page.fill('#query-input', JSON.stringify({ className: 'Query', version: '7', target: 'todos', type: 'deleteOne',
      queryNode: { type: 'equals_', field: 'id', value: -12345, vType: 'auto_', version: '2' } }));
    await page.click('#run-query');
    const shown = await page.evaluate(() => ({
      cls: document.getElementById('query-status').className, text: document.getElementById('query-result').textContent,
    }));
    const result = JSON.parse(shown.text);
    return (shown.cls.includes('fail') && result.isSuccess === false && typeof result.errorMessage === 'string') || JSON.stringify(shown).slice(0, 300);
  });
}

async function main() {
  const missing = ['js/index.js', 'js/hindsight.wasm', 'demo/index.html'].filter((f) => !existsSync(path.join(repoRoot, f)));
  if (missing.length) {
    tap.report('demo: preflight', false, `missing ${missing.join(', ')}; run "make build" first`);
    return;
  }
  const served = await startStaticServer({ rootDir: repoRoot });
  let browser = null;
  const problems = [];
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`); });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));

    const loaded = await check('demo: the page loads and opens a database', async () => {
      await page.goto(`${served.origin}/demo/index.html`, { waitUntil: 'load', timeout: 30_000 });
      await page.waitForFunction(() => window.hindsightDemo?.ready || window.hindsightDemo?.error, null, { timeout: 30_000 });
      const state = await page.evaluate(() => ({ ready: window.hindsightDemo.ready, error: window.hindsightDemo.error }));
      return state.ready === true || `start failed: ${state.error}`;
    });
    if (!loaded) return;

    const timeTravel = await page.evaluate(() => typeof window.hindsightDemo.db.at === 'function');
    await check('simulate: the button runs the todo app script without unexpected failures', async () => {
      await page.click('#simulate');
      await page.waitForFunction(() => window.hindsightDemo.lastSimulation !== null, null, { timeout: STEP_TIMEOUT_MS });
      return page.evaluate((n) => {
        const { lastSimulation: s, db } = window.hindsightDemo;
        if (s.unexpected.length) return `unexpected: ${JSON.stringify(s.unexpected)}`;
        if (s.committed !== n || s.failedAsExpected.length !== 1) return `committed ${s.committed}, failed ${s.failedAsExpected.length}`;
        const status = document.getElementById('simulate-status');
        if (!status.classList.contains('ok')) return `status: ${status.textContent}`;
        const todos = db.toDict().collections.todos.data;
        return todos.length > 0 || 'no todos after the simulation';
      }, SIMULATED_COMMITS);
    });

    if (timeTravel) {
      await check('time travel: the panel is live (no "unavailable" note)', () => page.evaluate(() =>
        document.getElementById('time-travel-unavailable') === null || 'the unavailable note is shown'));
      await runTimeTravelChecks(page);
    } else {
      await check('time travel: without db.at the page says time travel is unavailable', () => page.evaluate(() =>
        document.getElementById('time-travel-unavailable') !== null || 'no unavailable note'));
      tap.report('time travel: the database has the time-travel API (db.at)', false,
        'typeof db.at is not "function": the time-travel checks cannot run yet');
    }
    await runConsoleChecks(page);
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
