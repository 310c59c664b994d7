/*
 * persist-reload.mjs: a database on IndexedDB survives a page reload, in Chromium, Firefox and
 * WebKit; and in Chromium, a full quota is reported as QUOTA and nothing is lost once it is lifted.
 *
 * Owns the driver side of persist-reload.html: per browser, load ?phase=write (n commits,
 * flushed), then load the page again with ?phase=verify in the same tab, and compare the two
 * descriptions (same seq, same toDict(), same commits()). The quota check shrinks the origin's
 * quota with the DevTools protocol (Storage.overrideQuotaForOrigin) and lifts it again.
 *
 * Must stay true: the server listens on 127.0.0.1 only; browsers and server are closed on every
 * path; a page that errors or hangs is a failure. WebKit needs a display: run under `xvfb-run -a`.
 * Usage: xvfb-run -a node tests/browsers/persist-reload.mjs [chromium] [firefox] [webkit] [quota]
 */
import { chromium } from 'playwright-core';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { createTapReporter } from '../runtimes/tap.js';
import { repoRoot } from './browser-run.mjs';
import { launchChromium } from './chromium.mjs';
import { launchFirefox } from './firefox.mjs';
import { launchWebKit } from './webkit.mjs';

const PAGE = 'tests/browsers/persist-reload.html';
const COMMITS = 600;
const PHASE_TIMEOUT_MS = 60_000;
const LAUNCHERS = { chromium: launchChromium, firefox: launchFirefox, webkit: launchWebKit };

const tap = createTapReporter();
const READ = 'JSON.stringify({ test: window.__hindsightTest ?? null, persist: window.__persist ?? null })';

/* Loads url in the session and waits for the page harness: { results, persist } or { error }. */
async function runPhase(session, url) {
  const started = Date.now();
  await session.open(url);
  for (;;) {
    let raw = null;
    try { raw = JSON.parse(await session.evaluate(READ)); } catch { /* navigating */ }
    const state = raw?.test;
    if (state?.state === 'done') return { results: state.results, persist: raw.persist };
    if (state?.state === 'error') return { error: state.error };
    if (Date.now() - started > PHASE_TIMEOUT_MS) return { error: `timed out after ${PHASE_TIMEOUT_MS} ms` };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/* Reports a phase's own results, or its error; true when the phase ran. */
function reportPhase(label, outcome) {
  if (outcome.error) {
    tap.report(`${label}: page ran`, false, outcome.error);
    return false;
  }
  tap.reportAll(outcome.results, `${label}: `);
  return true;
}

function firstDifference(a, b) {
  if (a.seq !== b.seq) return `seq ${a.seq} before the reload, ${b.seq} after`;
  if (JSON.stringify(a.dict) !== JSON.stringify(b.dict)) return 'toDict() differs';
  if (a.commits.length !== b.commits.length) return `${a.commits.length} commits before, ${b.commits.length} after`;
  const k = a.commits.findIndex((c, i) => JSON.stringify(c) !== JSON.stringify(b.commits[i]));
  return k < 0 ? null : `commit ${k + 1} differs: ${JSON.stringify(a.commits[k]).slice(0, 200)} vs ${JSON.stringify(b.commits[k]).slice(0, 200)}`;
}

async function reloadTest(browserName, origin) {
  let session;
  try {
    session = await LAUNCHERS[browserName]();
  } catch (error) {
    tap.report(`${browserName}: launch`, false, error.message);
    return;
  }
  try {
    const name = `reload-${browserName}-${Date.now()}`;
    const started = Date.now();
    const written = await runPhase(session, `${origin}/${PAGE}?phase=write&name=${name}&n=${COMMITS}`);
    if (!reportPhase(`${browserName} reload`, written)) return;
    const verified = await runPhase(session, `${origin}/${PAGE}?phase=verify&name=${name}`);
    if (!reportPhase(`${browserName} reload`, verified)) return;
    const difference = firstDifference(written.persist, verified.persist);
    tap.report(`${browserName} reload: after the reload, seq, toDict() and commits() are the same as before (${written.persist.seq} commits)`,
      difference === null, difference);
    tap.comment(`${browserName}: write + reload + verify took ${Date.now() - started} ms`);
  } catch (error) {
    tap.report(`${browserName} reload: driver`, false, error.message);
  } finally {
    await session.close().catch((error) => tap.comment(`closing ${browserName} failed: ${error.message}`));
  }
}

async function quotaTest(origin) {
  const browser = await chromium.launch({ executablePath: process.env.HINDSIGHT_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 400_000 });
    const session = { open: (url) => page.goto(url, { waitUntil: 'load' }), evaluate: (source) => page.evaluate(source) };
    const outcome = await runPhase(session, `${origin}/${PAGE}?phase=quota&name=quota-${Date.now()}`);
    if (!reportPhase('chromium quota', outcome)) return;
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });   // no quotaSize: the real quota again
    const finished = await page.evaluate(() => window.finishQuota());
    tap.report('chromium quota: once the quota is lifted, flush writes every commit kept in memory',
      finished.durable === finished.seq && finished.seq === outcome.persist.seq, JSON.stringify({ ...finished, before: outcome.persist }));
  } catch (error) {
    tap.report('chromium quota: driver', false, error.message);
  } finally {
    await browser.close();
  }
}

const wanted = process.argv.slice(2);
const browsers = wanted.length ? wanted.filter((w) => LAUNCHERS[w]) : Object.keys(LAUNCHERS);
const served = await startStaticServer({ rootDir: repoRoot });
try {
  for (const browserName of browsers) {
    if (browserName === 'webkit' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
      tap.report('webkit reload: launch', false, 'no display: run this under `xvfb-run -a`');
      continue;
    }
    await reloadTest(browserName, served.origin);
  }
  if (!wanted.length || wanted.includes('quota')) await quotaTest(served.origin);
} finally {
  await served.close();
  const { failed } = tap.finish();
  process.exitCode = failed ? 1 : 0;
}
