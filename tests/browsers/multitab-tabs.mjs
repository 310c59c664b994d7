/*
 * multitab-tabs.mjs: many tabs, one history, with two real top-level tabs of one browser
 * (Chromium through playwright-core, Firefox through puppeteer-core). Both tabs write 25
 * commits at the same time; both must end with the same 50 commits in one order, one serial
 * sequence, and each must hear the other's commit (its listener fires); each tab's change feed,
 * rebases included, must lead to the rows it holds (pages/multitab-tab.html keeps the row ids
 * from the reports alone); the latency is printed, and
 * the 2 s bound is only a hang guard (shared machines make timed assertions flaky).
 * (tests/browsers/multitab.html runs the same with a page and an iframe in all three browsers.)
 *
 * Must stay true: browsers and the server are closed on every path; TAP-like output.
 * Usage: node tests/browsers/multitab-tabs.mjs [chromium] [firefox]
 */
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { createTapReporter } from '../runtimes/tap.js';
import { repoRoot } from './browser-run.mjs';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

const browsers = {
  async chromium() {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 60_000 });
    const context = await browser.newContext();
    return { newTab: () => context.newPage(), close: () => browser.close() };
  },
  async firefox() {
    const browser = await puppeteer.launch({ browser: 'firefox', executablePath: '/usr/bin/firefox-esr', headless: true, timeout: 60_000 });
    return { newTab: () => browser.newPage(), close: () => browser.close() };
  },
};

const tap = createTapReporter();

async function runIn(name, origin) {
  const b = await browsers[name]();
  try {
    const db = `tabs-${name}-${Date.now()}`;
    const [a, c] = [await b.newTab(), await b.newTab()];
    for (const tab of [a, c]) {
      await tab.goto(`${origin}/tests/browsers/pages/multitab-tab.html?name=${db}`, { waitUntil: 'load', timeout: 30_000 });
      await tab.waitForFunction('window.tabReady === true', { timeout: 30_000 });
    }
    const [wa, wc] = await Promise.all([a.evaluate('window.tab.write(25, "A")'), c.evaluate('window.tab.write(25, "B")')]);
    tap.report(`${name}: both tabs wrote and flushed`, wa.durable >= 25 && wc.durable >= 25, `${wa.durable} / ${wc.durable}`);
    let sa, sc;
    for (let k = 0; k < 100; k++) {
      [sa, sc] = await Promise.all([a.evaluate('window.tab.state()'), c.evaluate('window.tab.state()')]);
      if (sa.seq === 50 && sc.seq === 50) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    tap.report(`${name}: both tabs reach seq 50`, sa.seq === 50 && sc.seq === 50, `${sa.seq} / ${sc.seq}`);
    tap.report(`${name}: both tabs hold the same state and commits`, JSON.stringify(sa.dict) === JSON.stringify(sc.dict) && sa.commits === 50 && sc.commits === 50, '');
    const data = sa.dict.collections.todos?.data ?? [];
    tap.report(`${name}: 50 documents, one serial sequence 0..49`, data.length === 50 && data.every((d, i) => d.id === i), JSON.stringify(data.map((d) => d.id)));
    tap.report(`${name}: 25 from each tab, each tab's in its own order`, ['A', 'B'].every((by) => {
      const xs = data.filter((d) => d.by === by).map((d) => d.i);
      return xs.length === 25 && xs.every((x, i) => x === i);
    }), '');
    for (const [label, tab] of [['A', a], ['B', c]]) {
      const f = await tab.evaluate('window.tab.feed()');
      // No snapshot is written at 50 commits, so no reset: every rebase reports row by row.
      tap.report(`${name}: tab ${label}'s change feed leads to the rows it holds`, f.resets === 0 && f.problems.length === 0 && JSON.stringify(f.held) === JSON.stringify(f.alive) && f.reports >= 50,
        `${f.reports} reports, ${f.rewinds} rewinds, ${f.resets} resets ${f.problems.join('; ')}`);
    }
    const before = (await c.evaluate('window.tab.heard()')).length;
    const w = await a.evaluate('window.tab.write(1, "A")');
    let heard = [];
    for (let k = 0; k < 400 && heard.length <= before; k++) {
      heard = await c.evaluate('window.tab.heard()');
      if (heard.length <= before) await new Promise((r) => setTimeout(r, 10));
    }
    const at = heard.length > before ? heard[heard.length - 1].at : Infinity;
    tap.report(`${name}: the other tab's listener fires after the write`, at - w.started < 2000, `${at - w.started} ms`);
  } finally {
    await b.close();
  }
}

const server = await startStaticServer({ rootDir: repoRoot });
try {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(browsers);
  for (const name of names) {
    try {
      await runIn(name, server.origin);
    } catch (error) {
      tap.report(`${name}: two-tab run`, false, String(error?.stack ?? error).slice(0, 400));
    }
  }
} finally {
  await server.close();
}
const { failed } = tap.finish();
process.exitCode = failed ? 1 : 0;
