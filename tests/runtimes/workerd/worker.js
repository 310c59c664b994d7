/*
 * worker.js: a Cloudflare Workers module that runs smoke-queries.js inside workerd and answers
 * every request with the results as JSON: { results: [{ name, ok, detail }] } or { error }.
 *
 * Owns: only the wiring a Workers user would write: the wasm arrives as a compiled
 * WebAssembly.Module (Workers forbid compiling wasm from bytes) and is passed to
 * Database.open({ wasm }).
 *
 * Must stay true: module names match the config written by tests/runtimes/workerd-smoke.mjs
 * (this file is "worker.js"; the package's files keep their js/ paths).
 */
import hindsightWasm from './hindsight.wasm';
import * as hindsight from './js/index.js';
import { runSmoke } from './smoke-queries.js';

export default {
  async fetch() {
    try {
      const results = await runSmoke(hindsight, { wasm: hindsightWasm });
      return Response.json({ results });
    } catch (err) {
      return Response.json({ error: String(err?.stack ?? err) }, { status: 500 });
    }
  },
};
