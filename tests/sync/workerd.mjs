/*
 * workerd.mjs: starts and stops the sync suite's workerd (tests/sync/worker.js with the sync
 * Worker and Durable Object) on 127.0.0.1, with its Durable Object storage in a folder that
 * survives a restart.
 *
 * Must stay true: listens on loopback only; stop() ends the process it started (SIGTERM, then
 * SIGKILL), kill() ends it at once (SIGKILL, as a crash would), and only that one; a start
 * that fails shows workerd's own output.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const workerdBin = path.join(repoRoot, 'node_modules/.bin/workerd');

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => resolve(port)); });
  });
}

function jsFilesUnder(dir) {
  return readdirSync(path.join(repoRoot, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return jsFilesUnder(rel);
    return entry.name.endsWith('.js') ? [rel] : [];
  }).sort();
}

/* Writes the config into workDir; storage lives in workDir/storage. */
export function writeConfig(workDir, port) {
  const embed = (repoPath) => JSON.stringify(path.relative(workDir, path.join(repoRoot, repoPath)));
  const modules = [
    `    (name = "worker.js", esModule = embed ${embed('tests/sync/worker.js')}),`,
    `    (name = "users.js", esModule = embed ${embed('tests/sync/users.js')}),`,
    `    (name = "hindsight.wasm", wasm = embed ${embed('js/hindsight.wasm')}),`,
    // Node-only files (the self-hosted server, the folder state) are not Workers modules.
    ...[...jsFilesUnder('js'), ...jsFilesUnder('sync')].filter((f) => !/from 'node:/.test(readFileSync(path.join(repoRoot, f), 'utf8'))).map((f) => `    (name = ${JSON.stringify(f)}, esModule = embed ${embed(f)}),`),
  ];
  const storage = path.join(workDir, 'storage');
  mkdirSync(storage, { recursive: true });
  const template = readFileSync(path.join(repoRoot, 'tests/sync/config.template.capnp'), 'utf8');
  const config = template.replaceAll('@ADDRESS@', `127.0.0.1:${port}`).replaceAll('@STORAGE@', storage).replaceAll('@MODULES@', modules.join('\n'));
  const configPath = path.join(workDir, 'config.capnp');
  writeFileSync(configPath, config);
  return configPath;
}

/* Starts workerd and waits until it answers; returns { url, stop, kill, output }. */
export async function startWorkerd(workDir, port) {
  const configPath = writeConfig(workDir, port);
  const output = [];
  const child = spawn(workerdBin, ['serve', configPath], { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => output.push(String(d)));
  child.stderr.on('data', (d) => output.push(String(d)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    let timer;
    const done = await Promise.race([exited.then(() => true), new Promise((r) => { timer = setTimeout(() => r(false), 5000); })]);
    clearTimeout(timer);
    if (!done) { child.kill('SIGKILL'); await exited; }
  };
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`workerd exited: ${output.join('').slice(-3000)}`);
    if (Date.now() > deadline) { await stop(); throw new Error(`workerd did not answer: ${output.join('').slice(-3000)}`); }
    try {
      await fetch(`${url}/`);
      return { url, stop, kill, output };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
