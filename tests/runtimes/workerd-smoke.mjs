/*
 * workerd-smoke.mjs: runs smoke-queries.js inside Cloudflare's workerd and reports TAP-like.
 *
 * Owns: writing build/workerd/config.capnp from workerd/config.template.capnp (the module list
 * follows whatever js/**\/*.js holds), starting `workerd serve` on a free 127.0.0.1 port,
 * fetching the worker's JSON results, and stopping workerd.
 *
 * Must stay true: workerd is stopped on every path; a startup error (bad config, a module
 * that does not load in Workers) is a failed test that shows workerd's own message.
 * Usage: node tests/runtimes/workerd-smoke.mjs
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTapReporter } from './tap.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const workDir = path.join(repoRoot, 'build/workerd');
const workerdBin = path.join(repoRoot, 'node_modules/.bin/workerd');
const STARTUP_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 120_000;
const tap = createTapReporter();

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => resolve(port)); });
  });
}

/** Every .js file under dir, as repo-relative paths with forward slashes. */
function jsFilesUnder(dir) {
  return readdirSync(path.join(repoRoot, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return jsFilesUnder(rel);
    return entry.name.endsWith('.js') ? [rel] : [];
  }).sort();
}

function writeConfig(address) {
  const embed = (repoPath) => JSON.stringify(path.relative(workDir, path.join(repoRoot, repoPath)));
  const modules = [
    `    (name = "worker.js", esModule = embed ${embed('tests/runtimes/workerd/worker.js')}),`,
    `    (name = "hindsight.wasm", wasm = embed ${embed('js/hindsight.wasm')}),`,
    `    (name = "smoke-queries.js", esModule = embed ${embed('tests/runtimes/smoke-queries.js')}),`,
    ...jsFilesUnder('js').map((f) => `    (name = ${JSON.stringify(f)}, esModule = embed ${embed(f)}),`),
  ];
  const template = readFileSync(path.join(repoRoot, 'tests/runtimes/workerd/config.template.capnp'), 'utf8');
  if (!template.includes('@ADDRESS@') || !template.includes('@MODULES@')) throw new Error('config template lost its @ADDRESS@/@MODULES@ markers');
  const config = template.replaceAll('@ADDRESS@', address).replaceAll('@MODULES@', modules.join('\n'));
  mkdirSync(workDir, { recursive: true });
  const configPath = path.join(workDir, 'config.capnp');
  writeFileSync(configPath, config);
  return configPath;
}

async function fetchWithTimeout(url, ms) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try { return await fetch(url, { signal: controller.signal }); } finally { clearTimeout(timer); }
}

async function main() {
  const missing = ['js/index.js', 'js/hindsight.wasm'].filter((f) => !existsSync(path.join(repoRoot, f)));
  if (missing.length) {
    tap.report('workerd: preflight', false, `missing ${missing.join(', ')}; run "make build" first`);
    return;
  }
  if (!existsSync(workerdBin)) {
    tap.report('workerd: preflight', false, 'node_modules/.bin/workerd is missing; run "make setup"');
    return;
  }
  const port = await freePort();
  const configPath = writeConfig(`127.0.0.1:${port}`);
  const output = [];
  const child = spawn(workerdBin, ['serve', configPath], { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => output.push(String(d)));
  child.stderr.on('data', (d) => output.push(String(d)));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.once('error', (err) => output.push(`spawn error: ${err.message}`));
  const workerdSaid = () => output.join('').trim().slice(-3000) || '(no output)';
  try {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    let response = null;
    while (!response) {
      if (child.exitCode !== null || child.signalCode !== null) {
        tap.report('workerd: serve starts', false, `workerd exited (${child.exitCode ?? child.signalCode}): ${workerdSaid()}`);
        return;
      }
      if (Date.now() > deadline) {
        tap.report('workerd: serve starts', false, `no answer on 127.0.0.1:${port} within ${STARTUP_TIMEOUT_MS} ms: ${workerdSaid()}`);
        return;
      }
      try {
        response = await fetchWithTimeout(`http://127.0.0.1:${port}/`, REQUEST_TIMEOUT_MS);
      } catch (err) {
        if (err.name === 'AbortError') throw new Error(`the smoke request took over ${REQUEST_TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, 200)); // not listening yet
      }
    }
    const text = await response.text();
    let body;
    try { body = JSON.parse(text); } catch { body = { error: `not JSON (HTTP ${response.status}): ${text.slice(0, 2000)}` }; }
    if (body.error || !Array.isArray(body.results)) {
      tap.report('workerd: smoke run', false, `${body.error ?? 'no results'} | workerd: ${workerdSaid()}`);
      return;
    }
    tap.reportAll(body.results, 'workerd: ');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    let timer;
    const stopped = await Promise.race([exited, new Promise((r) => { timer = setTimeout(() => r(null), 5000); })]);
    clearTimeout(timer);
    if (!stopped) child.kill('SIGKILL');
  }
}

try {
  await main();
} catch (err) {
  tap.report('workerd: smoke run', false, `unexpected error: ${err?.stack ?? err}`);
}
const { failed } = tap.finish();
process.exitCode = failed ? 1 : 0;
