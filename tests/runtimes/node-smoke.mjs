/*
 * node-smoke.mjs: runs smoke-queries.js in Node (>= 20) against the package as users import it.
 *
 * Owns: the Node driver only. It imports 'hindsight-db' by name (a package self-reference),
 * so package.json's "exports" map is tested too (Node's condition: dist/node.js, built by
 * make build), and checks that 'hindsight-db/hindsight.wasm' resolves to the built wasm.
 *
 * Must stay true: a missing build or a failed import is reported as a failed test with a
 * clear message, never a crash without "# fail". Usage: node tests/runtimes/node-smoke.mjs
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTapReporter } from './tap.js';
import { runSmoke } from './smoke-queries.js';

const SMOKE_TIMEOUT_MS = 60_000;
const tap = createTapReporter();
const wasmUrl = new URL('../../dist/hindsight.wasm', import.meta.url);
const indexUrl = new URL('../../dist/node.js', import.meta.url);

async function main() {
  const missing = [indexUrl, wasmUrl].filter((u) => !existsSync(u)).map((u) => fileURLToPath(u));
  if (missing.length) {
    tap.report('node: preflight', false, `missing ${missing.join(', ')}; run "make build" first`);
    return;
  }
  let hindsight;
  try {
    hindsight = await import('hindsight-db');
  } catch (err) {
    tap.report("node: import 'hindsight-db'", false, `${err.code ?? ''} ${err.message}`);
    return;
  }
  tap.report("node: import 'hindsight-db' gives dist/node.js", import.meta.resolve('hindsight-db') === indexUrl.href,
    `resolved to ${import.meta.resolve('hindsight-db')}`);
  const resolvedWasm = import.meta.resolve('hindsight-db/hindsight.wasm');
  tap.report("node: 'hindsight-db/hindsight.wasm' resolves to dist/hindsight.wasm", resolvedWasm === wasmUrl.href,
    `resolved to ${resolvedWasm}`);
  // A promise that never settles would otherwise end the process silently, with no counts.
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`runSmoke did not finish within ${SMOKE_TIMEOUT_MS} ms`)), SMOKE_TIMEOUT_MS);
  });
  try {
    tap.reportAll(await Promise.race([runSmoke(hindsight, {}), timeout]), 'node: ');
  } finally {
    clearTimeout(timer);
  }
}

try {
  await main();
} catch (err) {
  tap.report('node: smoke run', false, `unexpected error: ${err?.stack ?? err}`);
}
const { failed } = tap.finish();
process.exitCode = failed ? 1 : 0;
