/*
 * bench/crossing-ab.mjs: the JS <-> wasm crossing of big texts, whole against in slices, in one
 * process, alternating, so the machine's swings hit both alike. Not part of make bench (it
 * measures two ways of doing the same thing, to decide between them).
 *
 * - output: getAll of N speed-test documents. Whole: JSON.parse(engine.execute(...)), one
 *   string of ~15 MB. Sliced: engine.executeValue(...), the engine's marks (hs_db_output_marks)
 *   cut it into slices of 256 documents, each decoded and parsed apart (js/engine.js), in
 *   place. Concat: the same slices, each decoded without its bounding marks and parsed as
 *   `[${slice}]` (the way before the slices were parsed in place).
 * - input: an add of the same N documents into a fresh engine (one wasm instance, so no fresh
 *   memory's page faults). Whole: engine.execute(JSON.stringify(query)). Sliced: the text parts
 *   queryParts makes (js/query-checks.js), on an engine without hsw_execute_docs. Encoded: the
 *   same query as the package sends it, its documents in the storage format (js/doc-encoder.js).
 * Runs in Node and, with --browser, in headless Chromium (the page served cross-origin isolated
 * for fine timers). Prints per-variant medians and the sliced / whole ratio; never pass/fail.
 * Usage: node bench/crossing-ab.mjs [--browser] [N=100000] [ROUNDS=9]
 */
const args = process.argv.slice(2);
const browser = args.includes('--browser');
const [N = 100000, ROUNDS = 9] = args.filter((a) => !a.startsWith('--')).map(Number);

/* Runs in Node or in the page: Engine, loadEngine, queryParts and makeUsers are passed in. */
async function crossing({ Engine, loadEngine, queryParts, makeUsers }, n, rounds) {
  const users = makeUsers(n);
  const add = { className: 'Query', version: '7', target: 'users', type: 'add', addData: users };
  const getAll = JSON.stringify({ className: 'Query', version: '7', target: 'users', type: 'getAll' });
  const wasm = await loadEngine();
  const reader = new Engine(wasm);
  reader.execute(JSON.stringify(add), null);
  const times = { outputWhole: [], outputSliced: [], outputConcat: [], inputWhole: [], inputSliced: [], inputEncoded: [] };
  const textOnly = { ...wasm, hsw_execute_docs: undefined };   // Engine then sends the documents as text
  const time = (key, f) => { const t = performance.now(); const r = f(); times[key].push(performance.now() - t); return r; };
  const decoder = new TextDecoder();
  const concat = () => {
    reader.withText(getAll, (p, l) => reader.check(wasm.hsw_execute(reader.handle, p, l, 0, 0, 0, 0)));
    const count = wasm.hsw_output_marks_count(reader.handle);
    if (count < 2) return JSON.parse(reader.output()).result;   // under 4096 documents: no marks
    const marks = new Uint32Array(wasm.memory.buffer, wasm.hsw_output_marks_ptr(reader.handle), count).slice();
    const bytes = new Uint8Array(wasm.memory.buffer, wasm.hsw_output_ptr(reader.handle), wasm.hsw_output_len(reader.handle));
    const docs = [];
    for (let k = 0; k + 1 < count; k++) {
      const slice = JSON.parse(`[${decoder.decode(bytes.subarray(marks[k] + 1, marks[k + 1]))}]`);
      for (let i = 0; i < slice.length; i++) docs.push(slice[i]);
    }
    return docs;
  };
  const output = { Whole: () => JSON.parse(reader.execute(getAll, null)).result, Sliced: () => reader.executeValue(getAll, null).result, Concat: concat };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? ['Sliced', 'Whole'] : ['Whole', 'Sliced'];
    for (const way of [...order, 'Concat'].sort(() => (r % 3) - 1)) {
      const docs = time(`output${way}`, output[way]);
      if (docs.length !== n || docs[n - 1].nestedObj.num !== n - 1) throw new Error(`output ${way}: wrong result`);
    }
    for (const way of [...order, 'Encoded'].sort(() => (r % 3) - 1)) {
      const writer = new Engine(way === 'Sliced' ? textOnly : wasm, wasm.hsw_db_open());
      try {
        const out = time(`input${way}`, () => writer.execute(way === 'Whole' ? JSON.stringify(add) : queryParts(add, 'add').text, null, () => null));
        if (JSON.parse(out).dbLength !== n) throw new Error(`input ${way}: wrong result`);
      } finally {
        writer.close();
      }
    }
  }
  reader.close();
  return times;
}

let times, where;
if (!browser) {
  const [{ Engine }, { loadEngine }, { queryParts }, { makeUsers }] = await Promise.all([
    import('../js/engine.js'), import('../js/wasm-loader.js'), import('../js/query-checks.js'), import('./speed-steps.js')]);
  times = await crossing({ Engine, loadEngine, queryParts, makeUsers }, N, ROUNDS);
  where = `Node ${process.version}`;
} else {
  const { chromium } = await import('playwright-core');
  const path = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const { startStaticServer } = await import('../scripts/static-server.mjs');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const served = await startStaticServer({ rootDir: root, headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } });
  const chrome = await chromium.launch({ executablePath: process.env.HINDSIGHT_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await chrome.newPage();
    await page.goto(`${served.origin}/bench/speed-browser.html`);
    times = await page.evaluate(async ([source, n, rounds]) => {
      const [{ Engine }, { loadEngine }, { queryParts }, { makeUsers }] = await Promise.all([
        import('/js/engine.js'), import('/js/wasm-loader.js'), import('/js/query-checks.js'), import('/bench/speed-steps.js')]);
      // eslint-disable-next-line no-new-func
      return (0, eval)(`(${source})`)({ Engine, loadEngine, queryParts, makeUsers }, n, rounds);
    }, [crossing.toString(), N, ROUNDS]);
    where = `Chromium ${chrome.version()}${await page.evaluate(() => (crossOriginIsolated ? ' (cross-origin isolated)' : ''))}`;
  } finally {
    await chrome.close();
    await served.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`${where}: ${N} speed-test documents, ${ROUNDS} rounds alternating, median ms (all rounds)`);
const list = (xs) => xs.map((x) => x.toFixed(0)).join(' ');
for (const what of ['output', 'input']) {
  const whole = times[`${what}Whole`], sliced = times[`${what}Sliced`];
  console.log(`${what === 'output' ? 'getAll -> objects' : 'add (text into wasm + engine)'}: whole ${median(whole).toFixed(1)} (${list(whole)}), sliced ${median(sliced).toFixed(1)} (${list(sliced)}), sliced / whole = ${(median(sliced) / median(whole)).toFixed(2)}`);
}
const encoded = times.inputEncoded;
console.log(`add, documents in the storage format: ${median(encoded).toFixed(1)} (${list(encoded)}), encoded / sliced = ${(median(encoded) / median(times.inputSliced)).toFixed(2)}, encoded / whole = ${(median(encoded) / median(times.inputWhole)).toFixed(2)}`);
const concat = times.outputConcat;
console.log(`getAll -> objects, slices as \`[\${slice}]\`: ${median(concat).toFixed(1)} (${list(concat)}), sliced in place / concatenated = ${(median(times.outputSliced) / median(concat)).toFixed(2)}`);
