/*
 * debugger-scrub.mjs: the debugger's scrub speed in Chromium and Firefox (make bench), with a peer in the
 * same page for a ratio.
 *
 * Owns: building a database of 10,000 commits over 5,000 documents in the page, mounting the
 * debugger (hindsight-db/debugger) on it, and timing 100 slider steps from the input event to
 * the painted frame (a requestAnimationFrame after the panel shows the seq, plus the layout
 * it caused). The peer is what a step cost before the debugger kept its rows: re-reading the
 * whole state at the same seqs (db.at(seq).toDict()), timed alone in the same page. It also
 * prints the worst step, the panel's own render time and the time to first paint on mount.
 * Then it opens the debugger on a larger database (100,000 documents, 10,000 commits by
 * default) and prints the time from mountDebugger to the first painted frame (performance
 * marks; the target is 500 ms).
 * With --profile (Chromium) it prints the functions with the most self time over the steps (CDP
 * profiler); with --browser firefox it runs the same workload in Firefox ESR (puppeteer-core).
 *
 * Must stay true: figures are printed, never asserted; the server listens on 127.0.0.1 only;
 * the browser and the server are closed on every path.
 * Usage: node bench/debugger-scrub.mjs [--browser chromium|firefox] [--profile] [--commits N] [--docs N] [--steps N]
 *          [--open-docs N] [--open-commits N] [--only scrub|open]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { startStaticServer } from '../scripts/static-server.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM_PATH = process.env.HINDSIGHT_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const args = process.argv.slice(2);
const option = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : dflt; };
const PROFILE = args.includes('--profile');
const BROWSER = args.includes('--browser') ? args[args.indexOf('--browser') + 1] : 'chromium';
const FIREFOX_PATH = process.env.HINDSIGHT_FIREFOX ?? '/usr/bin/firefox-esr';
const COMMITS = option('commits', 10_000), DOCS = option('docs', 5_000), STEPS = option('steps', 100);
const OPEN_COMMITS = option('open-commits', 10_000), OPEN_DOCS = option('open-docs', 100_000);
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const sizes = { commits: COMMITS, docs: DOCS, steps: STEPS, openCommits: OPEN_COMMITS, openDocs: OPEN_DOCS, only: ONLY };

/* Runs in the page: builds the database, mounts the debugger, and times the steps and the
   peer; then the first paint on the larger database. */
async function scrubInPage({ commits, docs, steps, openCommits, openDocs, only }) {
  const { scrubWorkload, firstPaintWorkload } = await import('/bench/debugger-workload.js');
  const scrub = only === 'open' ? null : await scrubWorkload({ commits, docs, steps });
  const open = only === 'scrub' ? null : await firstPaintWorkload({ commits: openCommits, docs: openDocs });
  return { ...scrub, open };
}

function summarise(profile, top = 15) {
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
  }
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
}

/* Firefox through puppeteer-core over WebDriver BiDi (as tests/browsers/firefox.mjs does). */
async function runInFirefox(origin) {
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX_PATH, headless: true, timeout: 60_000 });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1366, height: 900 });
    await page.goto(`${origin}/tests/browsers/pages/blank.html`, { waitUntil: 'load' });
    return await page.evaluate(scrubInPage, sizes);
  } finally {
    await browser.close().catch(() => {});
  }
}

const served = await startStaticServer({ rootDir: repoRoot });
let browser = null;
try {
  let r;
  if (BROWSER === 'firefox') {
    r = await runInFirefox(served.origin);
  } else {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await page.goto(`${served.origin}/tests/browsers/pages/blank.html`, { waitUntil: 'load' });
    let cdp = null;
    if (PROFILE) {
      cdp = await page.context().newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      // the profile covers the steps, or with --only open the opening
      await page.exposeFunction(ONLY === 'open' ? '__profileOpenStart' : '__profileStart', () => cdp.send('Profiler.start'));
    }
    r = await page.evaluate(scrubInPage, sizes);
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      console.log(`# self time over the ${ONLY === 'open' ? 'opening' : 'steps'} (ms):`);
      for (const [name, ms] of summarise(profile)) console.log(`#   ${ms.toFixed(1).padStart(8)}  ${name}`);
    }
  }
  const f = (x) => x.toFixed(1);
  const name = BROWSER === 'firefox' ? 'Firefox' : 'Chromium';
  if (ONLY !== 'open') {
    console.log(`debugger scrub (${name}), ${COMMITS} commits over ${DOCS} documents, ${STEPS} slider steps:`);
    console.log(`  step, input to painted frame: median ${f(r.median)} ms, worst ${f(r.max)} ms (target 16 / 50)`);
    console.log(`  the panel's render alone:     median ${f(r.renderMedian)} ms`);
    console.log(`  peer, re-reading the rows:    median ${f(r.peerMedian)} ms, worst ${f(r.peerMax)} ms (same panel, rereadRows, steps alternated)`);
    console.log(`  ratio step / peer:            ${f(r.median / r.peerMedian)}x (below 1: applying the diff beats re-reading)`);
    console.log(`  db.at(seq).toDict() alone:    median ${f(r.toDictMedian)} ms at the same seqs`);
    console.log(`  mount to first paint:         ${f(r.mountMs)} ms; rows drawn ${r.drawnRows}; highlighted ${r.highlighted}`);
    console.log(`  worst steps (step#, seq: total = panel render + rest of the frame: style, layout, paint, GC, other tasks):`);
    for (const w of r.worstSteps) console.log(`    #${w.step} seq ${w.seq}: ${f(w.ms)} = ${f(w.renderMs)} render + ${f(w.ms - w.scriptMs)} after the input handler`);
  }
  if (r.open) {
    console.log(`debugger open (${name}), ${OPEN_COMMITS} commits over ${OPEN_DOCS} documents:`);
    console.log(`  mountDebugger to first paint: ${f(r.open.firstPaintMs)} ms (target 500; performance measure hsd-first-paint); mountDebugger returned after ${f(r.open.mountReturnedMs)} ms; rows drawn ${r.open.drawnRows}`);
  }
} finally {
  if (browser) await browser.close().catch(() => {});
  await served.close();
}
