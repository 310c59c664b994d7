/*
 * deno-smoke.mjs: runs smoke-queries.js in Deno against js/index.js, loaded by file URL.
 *
 * Owns: the Deno driver only. The package finds its wasm next to index.js through
 * import.meta.url, as in a browser, so Deno needs --allow-read (and --allow-env for
 * libraries that peek at the environment).
 *
 * Must stay true: runs under Deno, not Node (it uses Deno's globals only to check files);
 * a missing build or failed import is a failed test with a clear message.
 * Usage: node_modules/.bin/deno run --allow-read --allow-env tests/runtimes/deno-smoke.mjs
 */
import { createTapReporter } from './tap.js';
import { runSmoke } from './smoke-queries.js';

const SMOKE_TIMEOUT_MS = 60_000;
const tap = createTapReporter();
const indexUrl = new URL('../../js/index.js', import.meta.url);
const wasmUrl = new URL('../../js/hindsight.wasm', import.meta.url);

function exists(url) {
  try { Deno.statSync(url); return true; } catch { return false; }
}

async function main() {
  if (typeof Deno === 'undefined') {
    tap.report('deno: runtime', false, 'this driver must run under Deno, not Node');
    return;
  }
  const missing = [indexUrl, wasmUrl].filter((u) => !exists(u)).map((u) => u.pathname);
  if (missing.length) {
    tap.report('deno: preflight', false, `missing ${missing.join(', ')}; run "make build" first`);
    return;
  }
  let hindsight;
  try {
    hindsight = await import(indexUrl.href);
  } catch (err) {
    tap.report('deno: import js/index.js', false, err?.message ?? String(err));
    return;
  }
  tap.comment(`deno ${Deno.version.deno}`);
  // A promise that never settles would otherwise end the process silently, with no counts.
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`runSmoke did not finish within ${SMOKE_TIMEOUT_MS} ms`)), SMOKE_TIMEOUT_MS);
  });
  try {
    tap.reportAll(await Promise.race([runSmoke(hindsight, {}), timeout]), 'deno: ');
  } finally {
    clearTimeout(timer);
  }
}

try {
  await main();
} catch (err) {
  tap.report('deno: smoke run', false, `unexpected error: ${err?.stack ?? err}`);
}
const { failed } = tap.finish();
Deno.exitCode = failed ? 1 : 0;
