/*
 * chromium.mjs: runs the browser test pages in Debian's Chromium, driven by playwright-core.
 *
 * Owns: launching /usr/bin/chromium headless with the flags that work on this machine, and
 * collecting its console output for failure reports. Everything else is in browser-run.mjs.
 *
 * Must stay true: uses the system Chromium (no Playwright browser download); the browser is
 * closed on every path. Usage: node tests/browsers/chromium.mjs [page.html ...]
 */
import { chromium } from 'playwright-core';
import { runBrowserPages, isMainModule } from './browser-run.mjs';

const CHROMIUM_PATH = process.env.HINDSIGHT_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function launchChromium() {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
  const page = await browser.newPage();
  const lines = [];
  page.on('console', (msg) => lines.push(`${msg.type()}: ${msg.text()}`));
  page.on('pageerror', (err) => lines.push(`pageerror: ${err.message}`));
  return {
    open: async (url) => { lines.length = 0; await page.goto(url, { waitUntil: 'load', timeout: 30_000 }); },
    evaluate: (source) => page.evaluate(source),
    consoleLines: () => lines,
    close: () => browser.close(),
  };
}

if (isMainModule(import.meta.url)) await runBrowserPages('chromium', launchChromium);
