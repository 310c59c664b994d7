/*
 * bench/speed-browser.mjs: the table of bench/speed.mjs (DeltaTraceDB's speed-test steps on
 * Hindsight and on LokiJS, clone and by reference) run in headless Chromium: both in one page
 * (bench/speed-browser.html), the same steps (bench/speed-steps.js), the same order of rounds.
 *
 * Prints medians and ratios, never a pass/fail (machines are shared and noisy); fails only on a
 * broken page or a failed sanity check. The size line of speed.mjs is Node-only and left out.
 * The page is served cross-origin isolated (COOP + COEP): otherwise Chromium rounds
 * performance.now() to 100 µs, coarser than the sub-millisecond steps it times.
 * Usage: node bench/speed-browser.mjs [N=100000] [rounds=3]
 */
import { chromium } from 'playwright-core';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../scripts/static-server.mjs';
import { reportLines } from './speed-steps.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = +(process.argv[2] || 100000);
const ROUNDS = +(process.argv[3] || 3);

const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const served = await startStaticServer({ rootDir: repoRoot, headers: isolation });
const browser = await chromium.launch({
  executablePath: process.env.HINDSIGHT_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(`${served.origin}/bench/speed-browser.html`, { waitUntil: 'load', timeout: 60_000 });
  await page.waitForFunction(() => window.__speed?.ready || window.__speed?.error, null, { timeout: 60_000, polling: 100 });
  const loadError = await page.evaluate(() => window.__speed.error);
  if (loadError) throw new Error(`speed-browser.html: ${loadError}`);
  const round = (system) => page.evaluate(([s, n]) => window.__speed.round(s, n), [system, N]);
  const hs = [], lokiClone = [], lokiRef = [];
  for (let i = 0; i < ROUNDS; i++) {
    hs.push(await round('hindsight'));
    lokiClone.push(await round('loki-clone'));
    lokiRef.push(await round('loki-ref'));
  }
  const isolated = await page.evaluate(() => globalThis.crossOriginIsolated === true);
  const heading = `Chromium ${browser.version()}, headless, one page${isolated ? ' (cross-origin isolated: fine timers)' : ' (NOT isolated: timers rounded to 0.1 ms)'}: `;
  for (const line of reportLines({ N, ROUNDS, hs, lokiClone, lokiRef, heading })) console.log(line);
} finally {
  await browser.close();
  await served.close();
}
