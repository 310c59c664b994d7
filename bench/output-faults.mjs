/*
 * bench/output-faults.mjs: getAll of N speed-test documents turned into objects
 * (Engine.executeValue) beside JSON.parse of the same documents' text, in headless Chromium,
 * each with the minor page faults the page's renderer took meanwhile (read from /proc, so
 * Linux only). Not part of make bench: it explains the ratio make bench prints, which swings
 * from round to round with how much fresh memory V8 happens to touch.
 *
 * First it prices one page fault on this machine: a fresh 256 MB buffer written one byte per
 * 4 kB page, in Node (the minor faults counted by process.resourceUsage). On the 2-core VMs
 * these benches run on (a PVM guest) a fault costs ~11 µs, some 40x what bare hardware pays,
 * so runs that touch fresh memory are dominated by it. Prints figures, never pass/fail.
 * Usage: node bench/output-faults.mjs [N=100000] [ROUNDS=8]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startStaticServer } from '../scripts/static-server.mjs';

const [N = 100000, ROUNDS = 8] = process.argv.slice(2).map(Number);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function faultCostMicroseconds() {
  const pages = 65536, before = process.resourceUsage().minorPageFault, t = performance.now();
  const buffer = new Uint8Array(pages * 4096);
  for (let i = 0; i < buffer.length; i += 4096) buffer[i] = 1;
  const ms = performance.now() - t, faults = process.resourceUsage().minorPageFault - before;
  return { us: (ms * 1000) / Math.max(faults, 1), faults };
}
const cost = faultCostMicroseconds();
console.log(`one minor page fault here: ${cost.us.toFixed(2)} µs (${cost.faults} faults writing a fresh 256 MB buffer)`);

const served = await startStaticServer({ rootDir: root, headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } });
const browser = await chromium.launch({ executablePath: process.env.HINDSIGHT_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage();
  await page.goto(`${served.origin}/bench/speed-browser.html`);
  await page.evaluate(async (n) => {
    const [{ Engine }, { loadEngine }, { makeUsers }] = await Promise.all([import('/js/engine.js'), import('/js/wasm-loader.js'), import('/bench/speed-steps.js')]);
    const users = makeUsers(n);
    const engine = new Engine(await loadEngine());
    engine.execute(JSON.stringify({ className: 'Query', version: '7', target: 'users', type: 'add', addData: users }), null);
    const query = JSON.stringify({ className: 'Query', version: '7', target: 'users', type: 'getAll' });
    const text = JSON.stringify(users);
    const timed = (f) => { const t = performance.now(); window.kept = f(); return performance.now() - t; };
    window.steps = { getAll: () => timed(() => engine.executeValue(query, null).result), 'JSON.parse': () => timed(() => JSON.parse(text)) };
  }, N);
  const renderers = execFileSync('pgrep', ['-f', '--', '--type=renderer']).toString().trim().split('\n');
  const minorFaults = () => renderers.reduce((sum, pid) => {
    try { return sum + Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[7]); } catch { return sum; }
  }, 0);
  console.log(`Chromium ${browser.version()}: ${N} documents, getAll -> objects and JSON.parse of their text, alternating`);
  for (let r = 0; r < ROUNDS; r++) {
    for (const step of r % 2 ? ['JSON.parse', 'getAll'] : ['getAll', 'JSON.parse']) {
      const before = minorFaults();
      const ms = await page.evaluate((s) => window.steps[s](), step);
      const faults = minorFaults() - before;
      console.log(`${step.padEnd(10)} ${ms.toFixed(1).padStart(6)} ms  ${String(faults).padStart(6)} minor faults (${((faults * cost.us) / 1000).toFixed(0)} ms at the price above, had they all been on the timed thread)`);
    }
  }
} finally {
  await browser.close();
  await served.close();
}
