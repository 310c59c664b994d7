/*
 * firefox.mjs: runs the browser test pages in Debian's Firefox ESR, driven by puppeteer-core.
 *
 * Owns: launching /usr/bin/firefox-esr headless over WebDriver BiDi (Playwright's Firefox needs
 * its own patched build, which cannot be downloaded here), and collecting console output.
 *
 * Must stay true: uses the system Firefox (no browser download); the browser is closed on every
 * path. Usage: node tests/browsers/firefox.mjs [page.html ...]
 */
import puppeteer from 'puppeteer-core';
import { runBrowserPages, isMainModule } from './browser-run.mjs';

const FIREFOX_PATH = process.env.HINDSIGHT_FIREFOX ?? '/usr/bin/firefox-esr';

export async function launchFirefox() {
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX_PATH, headless: true, timeout: 60_000 });
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

if (isMainModule(import.meta.url)) await runBrowserPages('firefox', launchFirefox);
