/*
 * make-corpus.mjs: writes the seed corpora of the libFuzzer targets (tests/fuzz/corpus/<name>/)
 * from the conformance cases (tests/conformance/*.test, read through to-jsonl.mjs), a few
 * hand-made edge cases, and engine dumps made with the wasm build (js/hindsight.wasm).
 *
 * Usage (from the repository root, after `make wasm`): node tests/fuzz/make-corpus.mjs [NAME...]
 * (NAME: only those corpora).
 * Inputs named crash-* in a corpus are fuzzer finds committed by hand; this script keeps them.
 * Must stay true: deterministic (no clock, no randomness: the same sources give the same files);
 * each corpus stays small (at most a few hundred files of a few kB), since `make test` replays
 * every seed before it starts fuzzing; the input formats are the ones each fuzz_<name>.c header
 * describes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEngine } from '../../js/wasm-loader.js';
import { Engine } from '../../js/engine.js';
import { encodeDocuments, NOT_ENCODED } from '../../js/doc-encoder.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpusDir = path.join(root, 'tests/fuzz/corpus');
const NUL = '\u0000';

/* The conformance cases, as test_engine reads them. */
function conformanceCases() {
  const out = path.join(tmpdir(), `hs-corpus-${process.pid}.jsonl`);
  execFileSync(process.execPath, [path.join(root, 'tests/conformance/to-jsonl.mjs'), out], { stdio: 'ignore' });
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  rmSync(out);
  // Cases of several steps (a history) have no single query: the seeds take the one-query cases.
  return lines.slice(1).map((l) => JSON.parse(l)).filter((c) => typeof c.query === 'string');
}

/* Replaces a corpus's generated seeds; inputs named crash-* (committed after a fuzzer found them)
   are kept, so every later run replays them. */
const only = process.argv.slice(2);
function writeCorpus(name, files) {
  if (only.length && !only.includes(name)) return;
  const dir = path.join(corpusDir, name);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (!f.startsWith('crash-')) rmSync(path.join(dir, f));
  for (const [file, text] of files) writeFileSync(path.join(dir, file), text);
  console.log(`${name}: ${files.size} seeds`);
}

const cases = conformanceCases();
const fileOf = (c) => c.id.replace(/-\d+(\.\d+)+$/, '');
const byFile = new Map();
for (const c of cases) byFile.set(fileOf(c), [...(byFile.get(fileOf(c)) ?? []), c]);

/* ---- execute: QUERY [NUL PERMISSIONS [NUL QUERY2 ...]] ---- */
const execute = new Map();
for (const [file, list] of byFile) {
  // Every permission case, and every third case of the other files.
  list.forEach((c, i) => {
    if (c.permissions === null && i % 3 !== 0) return;
    execute.set(`${c.id}.json`, c.permissions === null ? c.query : c.query + NUL + c.permissions);
  });
  // One multi-query seed per file: its first queries in a row, allow all.
  execute.set(`${file}-chain.txt`, [list[0].query, '', ...list.slice(1, 6).map((c) => c.query)].join(NUL));
}
execute.set('empty', '');
execute.set('not-json', '{"type":"search","target":');
writeCorpus('execute', execute);

/* ---- from_dict: a DeltaTraceDatabase dict ---- */
const fromDict = new Map();
const seen = new Set();
for (const c of cases) {
  if (!c.before || seen.has(c.before)) continue;
  seen.add(c.before);
  if (seen.size % 3 === 1) fromDict.set(`dict-${seen.size}.json`, c.before);   // a third is plenty
}
fromDict.set('empty-collections.json', '{"collections":{}}');
fromDict.set('missing-data.json', '{"collections":{"a":{"serialNum":7}}}');
fromDict.set('deep.json', `{"collections":{"d":{"data":[${'{"a":'.repeat(99)}1${'}'.repeat(99)}],"serialNum":0}}}`);
fromDict.set('unicode-names.json', '{"collections":{"\\u00e9t\\u00e9":{"data":[{"\\ud83d\\ude00":"x"}]},"a\\u0000b":{"data":[]}}}');
fromDict.set('bad-collections.json', '{"collections":[]}');
writeCorpus('from_dict', fromDict);

/* ---- replay: [BASE NEWLINE] JSON list of commit queries ---- */
const replay = new Map();
for (const [file, list] of byFile) {
  const queries = list.slice(0, 12).map((c) => c.query);
  replay.set(`${file}.json`, `[${queries.join(',')}]`);
}
const add = (target, data) => JSON.stringify({ className: 'Query', version: '7', type: 'add', target, addData: data });
replay.set('revert.json', `[${add('a', [{ x: 1 }])},${add('a', [{ x: 2 }])},{"className":"HindsightRevert","toSeq":1}]`);
replay.set('revert-state.txt', `4\n[${add('b', [{ y: 1 }])},{"className":"HindsightRevert","toSeq":2,"state":{"collections":{"b":{"data":[{"y":0}],"serialNum":3},"c":null},"order":["b"]}}]`);
replay.set('base.txt', `7\n[${add('a', [{ x: 1 }])}]`);
replay.set('transaction.json', `[{"className":"TransactionQuery","version":"1","queries":[${add('a', [{ n: 1 }])},${add('b', [{ n: 2 }])}]}]`);
replay.set('empty.json', '[]');
writeCorpus('replay', replay);

/* ---- load: engine dumps (hs_db_dump) after real histories ---- */
const engine = new Engine(await loadEngine());
const load = new Map();
for (const [file, list] of byFile) {
  engine.loadText(JSON.stringify({ className: 'HindsightEngineState', version: '1', seq: 0, oldest: 0, collections: [], changes: [] }));
  const before = list.find((c) => c.before)?.before;
  if (before) engine.fromDictText(before);
  for (const c of list.slice(0, 10)) {
    try { engine.execute(c.query, c.permissions); } catch { /* refused input: part of the history anyway */ }
  }
  if (engine.seq() >= 2) engine.revert(1);
  if (engine.seq() >= 4) engine.setHorizon(engine.seq() - 2);
  load.set(`${file}.json`, engine.dumpText());
}
engine.close();
writeCorpus('load', load);

/* ---- regex: PATTERN [NUL SUBJECT] ---- */
const regex = new Map();
const patterns = new Set();
for (const c of cases) {
  for (const m of c.query.matchAll(/"pattern":("(?:[^"\\]|\\.)*")/g)) patterns.add(JSON.parse(m[1]));
}
const handMade = [
  ['^(?=a)(a+)+$', 'aaaaaaaaaaaaaaaaaaaaaaaa!'], ['(?:a?){30}a{30}', 'a'.repeat(30)], ['(a|b)*c\\1', 'ababcb'],
  ['[\\d\\s-]+\\b\\w', '12 - x'], ['(?!x)[^\\]a-z]{2,5}?$', 'ABC]'], ['\\u00e9.\\uD83D\\uDE00', 'é😀😀'],
  ['^.$', '😀'], ['[\\u{1F600}-\\u{1F64F}]', '😃'], ['x*?y+?z??', 'xxyyz'], ['(?:)|||', ''],
  ['\\bfoo\\B', 'foob'], ['^$', ''], ['a{2,}b{0,1}c{3}', 'aaabccc'], ['(((((((((((a)))))))))))\\11', 'aa'],
  ['[\\w--]', '-'], ['\\cA\\x41\\0\\t\\n\\v\\f\\r', '\u0001A\u0000\t\n\u000b\f\r'],
];
for (const p of patterns) regex.set(`conformance-${regex.size}.txt`, p);
handMade.forEach(([p, s], i) => regex.set(`handmade-${i}.txt`, p + NUL + s));
regex.set('invalid-utf8.bin', Buffer.from([0x5e, 0xc3, 0x28, 0x2e, 0xff, 0x00, 0xc3, 0x28, 0xff, 0x61]));
writeCorpus('regex', regex);

/* ---- add_docs: documents in the storage format, as js/doc-encoder.js writes them ---- */
const addDocs = new Map();
const encoded = (docs) => {
  const space = new ArrayBuffer(1 << 16);
  const end = encodeDocuments(docs, [new Uint8Array(space), new DataView(space), 0, space.byteLength, () => { throw new Error('a seed outgrew 64 kB'); }]);
  if (end === NOT_ENCODED) throw new Error(`the encoder refused a seed: ${JSON.stringify(docs)}`);
  return Buffer.from(space, 0, end);
};
const docSets = [
  [{ id: 1, name: 'Ann', age: 31, tags: ['a', 'b'], p: { city: 'Oslo', zip: '0150' } }, { id: 2, name: 'bob', age: 25.5, ok: true, n: null }],
  [{ s: 'q"uote\\back\nline', u: 'é€😀\ud800', k: { '': 0, 'a"b': [[], {}, [null]] } }],
  [{ big: 2 ** 40, neg: -(2 ** 40), huge: 2 ** 62, f: 0.1, tiny: 5e-324, max: Number.MAX_VALUE, minInt: -2147483648, over: 2147483648 }],
  [{ d: new Date(0), bad: new Date(NaN), skip: undefined, deep: { a: { b: { c: { d: [1, [2, [3]]] } } } } }],
  [{}],
];
docSets.forEach((docs, i) => addDocs.set(`docs-${i}.bin`, encoded(docs)));
for (const [file, list] of byFile) {
  // Documents of each conformance file's adds, up to 20 per seed.
  const docs = list.flatMap((c) => { try { const q = JSON.parse(c.query); return q.type === 'add' && Array.isArray(q.addData) ? q.addData : []; } catch { return []; } })
    .filter((d) => d !== null && typeof d === 'object' && !Array.isArray(d)).slice(0, 20);
  if (docs.length) { try { addDocs.set(`${file}.bin`, encoded(docs)); } catch { /* a seed the encoder leaves to text */ } }
}
addDocs.set('not-an-object.bin', Buffer.from([4, 1, 0, 0, 0]));
addDocs.set('truncated.bin', encoded([{ a: 'text' }]).subarray(0, 12));
addDocs.set('empty', Buffer.alloc(0));
writeCorpus('add_docs', addDocs);
