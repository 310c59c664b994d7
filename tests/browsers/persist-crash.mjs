/*
 * persist-crash.mjs: kill Chromium with SIGKILL while a page commits to IndexedDB, relaunch it
 * on the same profile, and check what the reopened database holds. Runs 20 times by default.
 *
 * Owns: spawning /usr/bin/chromium ourselves (its own process group, --user-data-dir on a temp
 * profile, DevTools on 127.0.0.1) so the whole browser can be SIGKILLed, not closed; connecting
 * playwright-core over CDP; collecting the "hindsight-durable N" lines the page prints after each
 * awaited flush; killing at a random moment after the first of them; and the checks. Each launch
 * checks the previous run's database (persist-crash.html?phase=check), then starts the next burst.
 *
 * Must stay true: after every kill, opening never throws, the database is exactly commits 1..seq
 * (a prefix) and seq >= every durable seq the page reported; the static server keeps one port so
 * the origin (and its IndexedDB) stays the same; only processes this script started are killed,
 * by their ids; the profile folder is removed at the end.
 * Usage: node tests/browsers/persist-crash.mjs [runs]   (HINDSIGHT_CRASH_RUNS also sets runs)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { createTapReporter } from '../runtimes/tap.js';
import { repoRoot } from './browser-run.mjs';

const CHROMIUM_PATH = process.env.HINDSIGHT_CHROMIUM ?? '/usr/bin/chromium';
const RUNS = Number(process.argv[2] ?? process.env.HINDSIGHT_CRASH_RUNS ?? 20);
const PAGE = 'tests/browsers/persist-crash.html';
const BURST_START_TIMEOUT_MS = 20_000;
const KILL_WINDOW_MS = 1_500;       // the kill falls uniformly in this window after the first durable report
const CHECK_TIMEOUT_MS = 60_000;

const tap = createTapReporter();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/* A deadline that does not keep the process alive once everything else is done. */
const deadline = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/* Starts Chromium in its own process group and connects to it. Resolves to { child, browser, page }. */
async function launch(profile) {
  const child = spawn(CHROMIUM_PATH, [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--no-default-browser-check', '--remote-debugging-address=127.0.0.1',
    '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank',
  ], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  const endpoint = await new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`Chromium printed no DevTools endpoint within 30 s: ${text.slice(-500)}`)), 30_000);
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`Chromium exited with ${code}: ${text.slice(-500)}`)); });
    child.stderr.on('data', (chunk) => {
      text += chunk;
      const found = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (found) { clearTimeout(timer); resolve(found[1]); }
    });
  });
  child.stderr.resume();
  const browser = await chromium.connectOverCDP(endpoint, { timeout: 30_000 });
  const context = browser.contexts()[0];
  const page = context.pages()[0] ?? await context.newPage();
  return { child, browser, page };
}

/* The processes left from this profile (a helper Chromium forked into another group). */
function profileProcesses(profile) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(profile)) pids.push(Number(entry));
    } catch { /* gone already */ }
  }
  return pids;
}

/* SIGKILLs the browser's process group, then any process of ours still using the profile. */
async function killHard({ child, browser }, profile) {
  const exited = new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve)));
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
  await exited;
  for (let attempt = 0; attempt < 20; attempt++) {
    const left = profileProcesses(profile);
    if (!left.length) break;
    for (const pid of left) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    await sleep(50);
  }
  await browser.close().catch(() => {});   // only drops the dead connection
}

async function closeGracefully(session, profile) {
  await session.browser.close().catch(() => {});
  await killHard(session, profile);
}

/* Loads the check page for name and reports. */
async function checkRun(page, origin, run) {
  await page.goto(`${origin}/${PAGE}?phase=check&name=${run.name}`, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForFunction(() => ['done', 'error'].includes(window.__hindsightTest?.state), null, { timeout: CHECK_TIMEOUT_MS });
  const { test, persist } = await page.evaluate(() => ({ test: window.__hindsightTest, persist: window.__persist ?? null }));
  const label = `crash ${run.index + 1}/${RUNS} (killed ${run.killAfterMs} ms into the burst, ${run.durable.length} durable reports, last ${run.maxDurable})`;
  if (test.state === 'error') {
    tap.report(`${label}: reopening did not throw`, false, test.error);
    return;
  }
  const failed = test.results.filter((r) => !r.ok);
  const covers = persist.seq >= run.maxDurable;
  tap.report(`${label}: reopened at seq ${persist.seq}, a prefix holding every reported durable commit`,
    failed.length === 0 && covers && run.problems.length === 0,
    [...failed.map((r) => `${r.name}: ${r.detail}`), covers ? '' : `seq ${persist.seq} < reported durable ${run.maxDurable}`, ...run.problems].filter(Boolean).join('; '));
  if (persist.warnings.length) tap.comment(`warnings after crash ${run.index + 1}: ${persist.warnings.join(' | ')}`);
}

/* Starts a burst and kills the browser at a random moment. Returns what the page reported. */
async function burstAndKill(session, origin, index, profile) {
  const run = { index, name: `crash-${Date.now()}-${index}`, durable: [], maxDurable: 0, problems: [], killAfterMs: 0 };
  let started;
  const burstStarted = new Promise((resolve) => { started = resolve; });
  session.page.on('console', (msg) => {
    const text = msg.text();
    const durable = /^hindsight-durable (\d+)$/.exec(text);
    // The kill window opens at the first durable report, so every run has a claim to test.
    if (durable) started();
    if (durable) { run.durable.push(Number(durable[1])); run.maxDurable = Math.max(run.maxDurable, Number(durable[1])); }
    if (text.startsWith('hindsight-page-error')) run.problems.push(text);
  });
  await session.page.goto(`${origin}/${PAGE}?phase=burst&name=${run.name}&seed=${index + 1}`, { waitUntil: 'load', timeout: 30_000 });
  const begun = await Promise.race([burstStarted.then(() => true), deadline(BURST_START_TIMEOUT_MS).then(() => false)]);
  if (!begun) run.problems.push('the burst never reported a durable seq');
  run.killAfterMs = Math.floor(Math.random() * KILL_WINDOW_MS);
  await sleep(run.killAfterMs);
  const state = await session.page.evaluate(() => window.__hindsightTest?.state).catch(() => null);
  if (state === 'error') run.problems.push(`the burst page failed before the kill: ${await session.page.evaluate(() => window.__hindsightTest.error)}`);
  await killHard(session, profile);
  return run;
}

const profile = mkdtempSync(path.join(tmpdir(), 'hindsight-crash-'));
const served = await startStaticServer({ rootDir: repoRoot });
const started = Date.now();
let session = null;
try {
  let previous = null;
  for (let index = 0; index <= RUNS; index++) {
    session = await launch(profile);
    if (previous) await checkRun(session.page, served.origin, previous);
    if (index === RUNS) break;
    previous = await burstAndKill(session, served.origin, index, profile);
    session = null;
  }
  tap.comment(`${RUNS} crashes in ${Math.round((Date.now() - started) / 1000)} s`);
} catch (error) {
  tap.report('crash test: driver', false, error?.stack ?? String(error));
} finally {
  if (session) await closeGracefully(session, profile);
  await served.close();
  rmSync(profile, { recursive: true, force: true });
  const { failed } = tap.finish();
  process.exitCode = failed ? 1 : 0;
}
