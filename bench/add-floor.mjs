/*
 * bench/add-floor.mjs: what an add of N speed-test documents costs at the least in a database
 * that copies them, against LokiJS's insert by reference, which copies nothing. Alternating in
 * one process (Node, then headless Chromium), fresh documents each round, a collection first
 * when the runtime lets us (Node's --expose-gc; Chromium's --js-flags=--expose-gc).
 * Not part of make bench: it says whether issue 14's "add no slower than LokiJS by reference"
 * can be met by a design that copies documents out of the caller's objects.
 *
 * - encode: js/doc-encoder.js writing the documents in the storage format into a buffer, the
 *   cheapest read of every field we have (0.5-0.8x JSON.stringify); nothing else.
 * - stringify: JSON.stringify of the documents, V8's own reader of every field.
 * - add: the whole add through the package (Database.executeQuery), encoder and engine.
 * - loki: LokiJS insert({ clone: false }): it stamps $loki and meta on the caller's objects
 *   and keeps them, so the caller's later changes to them change what is stored.
 * Prints medians and ratios to loki; never pass/fail. Usage: node --expose-gc bench/add-floor.mjs [N] [ROUNDS]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [N = 100000, ROUNDS = 11] = process.argv.slice(2).map(Number);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/* Runs in Node or in the page: the modules are passed in. */
async function floor({ encodeDocuments, Database, loki, makeUsers }, n, rounds) {
  const times = { encode: [], stringify: [], add: [], loki: [] };
  const space = new ArrayBuffer(n * 400);
  const ways = {
    encode: (docs) => encodeDocuments(docs, [new Uint8Array(space), new DataView(space), 0, space.byteLength, () => { throw new Error('room'); }]),
    stringify: (docs) => JSON.stringify(docs).length,
    add: async (docs, db) => db.executeQuery({ className: 'Query', version: '7', target: 'users', type: 'add', addData: docs }).dbLength,
    loki: (docs) => new loki('floor').addCollection('users', { clone: false }).insert(docs).length,
  };
  const order = Object.keys(ways);
  for (let r = 0; r < rounds; r++) {
    for (const way of order.map((_, k) => order[(k + r) % order.length])) {
      const docs = makeUsers(n);
      const db = way === 'add' ? await Database.open() : null;
      globalThis.gc?.();
      const t = performance.now();
      const done = await ways[way](docs, db);
      times[way].push(performance.now() - t);
      if (!done) throw new Error(`${way} did nothing`);
      await db?.close();
    }
  }
  return times;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
function report(where, times) {
  const loki = median(times.loki);
  console.log(`${where}: ${N} speed-test documents, ${ROUNDS} rounds alternating, median ms (ratio to LokiJS insert by reference)`);
  for (const [way, xs] of Object.entries(times)) console.log(`  ${way.padEnd(9)} ${median(xs).toFixed(1).padStart(7)}  (${(median(xs) / loki).toFixed(2)}x)  rounds: ${xs.map((x) => x.toFixed(0)).join(' ')}`);
}

{
  const [{ encodeDocuments }, { Database }, { default: loki }, { makeUsers }] = await Promise.all([
    import('../js/doc-encoder.js'), import('../js/index.js'), import('lokijs'), import('./speed-steps.js')]);
  report(`Node ${process.version}${globalThis.gc ? ', gc before each' : ''}`, await floor({ encodeDocuments, Database, loki, makeUsers }, N, ROUNDS));
}
{
  const { chromium } = await import('playwright-core');
  const { startStaticServer } = await import('../scripts/static-server.mjs');
  const served = await startStaticServer({ rootDir: root, headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } });
  const chrome = await chromium.launch({ executablePath: process.env.HINDSIGHT_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--js-flags=--expose-gc'] });
  try {
    const page = await chrome.newPage();
    await page.goto(`${served.origin}/bench/speed-browser.html`);
    const times = await page.evaluate(async ([source, n, rounds]) => {
      const [{ encodeDocuments }, { Database }, { makeUsers }] = await Promise.all([import('/js/doc-encoder.js'), import('/js/index.js'), import('/bench/speed-steps.js')]);
      // eslint-disable-next-line no-new-func
      return (0, eval)(`(${source})`)({ encodeDocuments, Database, loki: globalThis.loki, makeUsers }, n, rounds);
    }, [floor.toString(), N, ROUNDS]);
    report(`Chromium ${chrome.version()}, gc before each`, times);
  } finally {
    await chrome.close();
    await served.close();
  }
}
