/*
 * webkit.mjs: runs the browser test pages in WebKitGTK's MiniBrowser, driven by selenium-webdriver
 * through WebKitWebDriver.
 *
 * Owns: starting WebKitWebDriver on a free 127.0.0.1 port, the MiniBrowser capabilities, and
 * stopping both. MiniBrowser has no headless mode: run this under `xvfb-run -a`.
 *
 * Must stay true: WebKitWebDriver and the browser are stopped on every path; a missing display
 * is reported as a clear failure, not a hang. Usage: xvfb-run -a node tests/browsers/webkit.mjs [page.html ...]
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Builder } from 'selenium-webdriver';
import { runBrowserPages, isMainModule } from './browser-run.mjs';

const WEBDRIVER_PATH = process.env.HINDSIGHT_WEBKITWEBDRIVER ?? '/usr/bin/WebKitWebDriver';
const MINIBROWSER_PATH = process.env.HINDSIGHT_MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => resolve(port)); });
  });
}

async function waitForWebDriver(origin, child, output) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${child.exitCode}: ${output.join('').trim()}`);
    try {
      const res = await fetch(`${origin}/status`);
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`WebKitWebDriver did not answer on ${origin} within 20 s: ${output.join('').trim()}`);
}

export async function launchWebKit() {
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    throw new Error('no display: MiniBrowser needs one, run this under `xvfb-run -a`');
  }
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const output = [];
  const child = spawn(WEBDRIVER_PATH, [`--port=${port}`, '--host=127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => output.push(String(d)));
  child.stderr.on('data', (d) => output.push(String(d)));
  const spawnFailed = new Promise((_, reject) => child.once('error', (err) => reject(new Error(`cannot start ${WEBDRIVER_PATH}: ${err.message}`))));
  const stopWebDriver = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  let driver;
  try {
    await Promise.race([waitForWebDriver(origin, child, output), spawnFailed]);
    driver = await new Builder().usingServer(origin).withCapabilities({
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary: MINIBROWSER_PATH, args: ['--automation'] },
    }).build();
    await driver.manage().setTimeouts({ pageLoad: 30_000, script: 30_000 });
  } catch (err) {
    stopWebDriver();
    throw err;
  }
  return {
    open: (url) => driver.get(url),
    evaluate: (source) => driver.executeScript(`return ${source};`),
    close: async () => {
      try { await driver.quit(); } finally { stopWebDriver(); }
    },
  };
}

if (isMainModule(import.meta.url)) await runBrowserPages('webkit', launchWebKit);
