/*
 * bench/speed.mjs: DeltaTraceDB's speed-test steps (shared/anchors/README.md) on Hindsight
 * and on LokiJS, side by side in one Node process. `make bench` runs it. The steps and the
 * table are in bench/speed-steps.js, shared with bench/speed-browser.mjs (Chromium).
 *
 * Prints medians of several rounds and ratios, never a pass/fail: machines are shared and
 * noisy, so compare ratios, not absolute times. Each step includes turning results into
 * JS objects. Usage: node bench/speed.mjs [N=100000] [rounds=3]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import loki from 'lokijs';
import { Database } from '../js/index.js';
import { hindsightRound, lokiRound, reportLines } from './speed-steps.js';

const N = +(process.argv[2] || 100000);
const ROUNDS = +(process.argv[3] || 3);

const hs = [], lokiClone = [], lokiRef = [];
for (let i = 0; i < ROUNDS; i++) {
  hs.push(await hindsightRound(Database, N));
  lokiClone.push(lokiRound(loki, N, true, { env: 'NODEJS' }));
  lokiRef.push(lokiRound(loki, N, false, { env: 'NODEJS' }));
}
for (const line of reportLines({ N, ROUNDS, hs, lokiClone, lokiRef })) console.log(line);
const wasmPath = new URL('../js/hindsight.wasm', import.meta.url);
// The wasm and every JS source file of the package (builders included), comments and all: a
// figure to watch from one round to the next. What an app ships (the package minified by a
// bundler, gzipped) is measured by tests/package with Vite, against its own tripwire.
const jsDir = new URL('../js/', import.meta.url);
const jsFiles = readdirSync(jsDir, { recursive: true }).filter((f) => f.endsWith('.js'));
const jsBytes = jsFiles.map((f) => readFileSync(new URL(f, jsDir)));
const gz = gzipSync(Buffer.concat([readFileSync(wasmPath), ...jsBytes]), { level: 9 }).length;
console.log(`wasm ${statSync(wasmPath).size} bytes; wasm + all ${jsFiles.length} JS files gzipped: ${(gz / 1024).toFixed(1)} kB (sources, comments included; what a Vite app loads: tests/package)`);
