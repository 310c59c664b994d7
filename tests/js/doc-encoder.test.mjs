/*
 * doc-encoder.test.mjs: a big add's documents cross into wasm in the storage format
 * (js/doc-encoder.js, Engine.#runDocuments, hs_db_execute_docs) or as JSON text; both ways
 * must leave the very same database. Each case is added twice, through an engine that takes
 * documents and through one that has only the text path, and their dumps (documents, commit,
 * record) must be equal byte for byte, or both must refuse with the same message. A spy on
 * hsw_execute_docs says which way each add went, so a case meant for the encoder cannot pass
 * by falling back to text. Beside the listed cases, seeded random documents (any UTF-16 code
 * unit in strings and names, numbers of every magnitude, any nesting) are compared the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../js/engine.js';
import { loadEngine } from '../../js/wasm-loader.js';
import { queryParts } from '../../js/query-checks.js';
import { seededInt } from '../seeded-random.mjs';

const wasm = await loadEngine();
const textOnly = { ...wasm, hsw_execute_docs: undefined };
let docsCalls = 0;
const spied = { ...wasm, hsw_execute_docs: (...args) => { docsCalls++; return wasm.hsw_execute_docs(...args); } };

const MANY = 2100;   // a big add: its documents go in slices or encoded (js/query-checks.js CHUNK_MIN)
const addOf = (addData, extra = {}) => ({ className: 'Query', version: '7', target: 't', type: 'add', addData, ...extra });

/* Runs the add on a fresh engine over exports; its dump, or the message it was refused with. */
function outcome(exports, query) {
  const engine = new Engine(exports, wasm.hsw_db_open());
  try {
    const result = JSON.parse(engine.execute(queryParts(query, 'executeQuery').text, null, () => '{"time":1767225600000}'));
    return { result: result.isSuccess ? 'ok' : result.errorMessage, dump: engine.dumpText() };
  } catch (error) {
    return { thrown: `${error.code}: ${error.message}` };
  } finally {
    engine.close();
  }
}

/* Both ways give the same outcome; returns whether the encoded way was taken. */
function sameBothWays(query, what) {
  const before = docsCalls;
  const encoded = outcome(spied, query);
  const taken = docsCalls > before;
  assert.deepEqual(encoded, outcome(textOnly, query), what);
  return { taken, encoded };
}

const repeat = (make) => Array.from({ length: MANY }, (_, i) => make(i));

class Point { constructor(x) { this.x = x; this.y = -x; } get sum() { return this.x + this.y; } }

const ENCODED_CASES = {
  'strings: escapes, controls, non-ASCII, pairs and lone surrogates': (i) => ({
    i, q: 'a"b\\c/d', ctl: '\u0000\u0001\n\t\u001f', e: `é${i}`, cjk: '漢字', emoji: '😀x', hi: 'a\ud800', lo: '\udc00b', end: 'x\ud83d', '': 'empty key',
    'k"ey\\': 1, 'ключ': 2, bs: 'x\\y', 'only\\back': 3, bell: 'a\u0007', del: '\u007f', ascii: `plain ascii ${i}`,
  }),
  'numbers at every boundary': (i) => ({
    i, z: 0, nz: -0, a: 2147483647, b: -2147483648, c: 2147483648, d: -2147483649, e: 2 ** 53 - 1, f: -(2 ** 53 - 1),
    g: 2 ** 53, h: 2 ** 62, j: -(2 ** 63), k: 2 ** 63, l: 1e21, m: 0.1, n: 5e-324, o: Number.MAX_VALUE, p: -1.5, q: 1e-7, r: 123456789.125,
    t: Date.now() + i,
  }),
  'nesting, empty containers, booleans and null': (i) => ({ i, a: [], o: {}, n: null, t: true, f: false, deep: { a: [1, [2, [3, { b: [i] }]]], c: { d: { e: {} } } } }),
  'dates, left-out members, class instances, null prototypes, key order': (i) => {
    const bare = Object.create(null);
    bare.z = i;
    bare.a = 'bare';
    return { b: 1, 2: 'two', a: 3, 1: 'one', when: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)), bad: new Date(NaN), u: undefined, fn() {}, s: Symbol('x'), point: new Point(i), bare };
  },
  'an object of many members': (i) => Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`k${k}`, k === 0 ? i : `v${k}`])),
  'documents that outgrow the first guess, mid-container': (i) => (i < 2000 ? { i } : { i, big: { list: Array.from({ length: 50 }, (_, k) => `${'é'.repeat(40)}${k}`), s: 'x'.repeat(3000) } }),
};

test('documents the encoder writes leave the same database as their JSON text', () => {
  for (const [what, make] of Object.entries(ENCODED_CASES)) {
    const { taken, encoded } = sameBothWays(addOf(repeat(make)), what);
    assert.equal(encoded.result, 'ok', what);
    assert.ok(taken, `${what}: went through hsw_execute_docs`);
  }
});

test('an add with a serialKey numbers the documents the same both ways, and refuses a document without the key alike', () => {
  const docs = repeat((i) => ({ name: `item${i}`, serialKey: null, s: i % 7 ? 'x' : 'é"\\' }));
  const { taken, encoded } = sameBothWays(addOf(docs, { serialKey: 'serialKey' }), 'serialKey');
  assert.equal(encoded.result, 'ok');
  assert.ok(taken, 'serialKey: went through hsw_execute_docs');
  assert.match(encoded.dump, /"serialKey":2099/);
  const missing = repeat((i) => (i === 1234 ? { name: 'none' } : { name: `item${i}`, serialKey: null }));
  const refused = sameBothWays(addOf(missing, { serialKey: 'serialKey' }), 'serialKey missing');
  assert.equal(refused.encoded.result, 'The target serialKey does not exist');
});

test('at the depth limit: 100 levels are stored, 101 are refused in the same words both ways', () => {
  const nest = (levels) => { let v = 1; for (let k = 1; k < levels; k++) v = [v]; return v; };
  for (const [levels, ok] of [[100, true], [101, false]]) {
    const { encoded } = sameBothWays(addOf(repeat((i) => ({ i, n: i === MANY - 1 ? nest(levels - 1) : 0 }))), `${levels} levels`);
    if (ok) assert.equal(encoded.result, 'ok');
    else assert.match(encoded.result, /Exceeded max allowed nesting depth/);
  }
});

test('what only the text path may write or refuse goes there, with the same outcome', () => {
  const cyclic = { i: 0 };
  cyclic.self = cyclic;
  const cases = {
    'a custom toJSON': (i) => ({ i, v: { toJSON: () => `j${i}` } }),
    'undefined and holes in an array': (i) => ({ i, a: [undefined, () => 1, i] }),
    'a boxed number': (i) => ({ i, n: Object(i) }),
    'NaN, refused with its path': (i) => ({ i, n: i === 1500 ? NaN : i }),
    'a BigInt, refused': (i) => ({ i, n: i === 7 ? 10n : i }),
    'a cycle, refused': (i) => (i === 3 ? cyclic : { i }),
    'a getter that throws': (i) => (i === 9 ? { get boom() { throw new Error('no'); } } : { i }),
    'an item that is not an object': (i) => (i === 2050 ? 'text' : { i }),
    'an array item': (i) => (i === 2 ? [1, 2] : { i }),
  };
  for (const [what, make] of Object.entries(cases)) {
    const { taken } = sameBothWays(addOf(repeat(make)), what);
    assert.equal(taken, false, `${what}: left to the text path`);
  }
});

test('an enumerable member added to Object.prototype is left out, as JSON.stringify leaves it', () => {
  Object.prototype.polluted = 'yes';   // eslint-disable-line no-extend-native
  try {
    const { taken, encoded } = sameBothWays(addOf(repeat((i) => ({ i }))), 'polluted prototype');
    assert.ok(taken);
    assert.ok(!encoded.dump.includes('polluted'));
  } finally {
    delete Object.prototype.polluted;
  }
});

test('a query the engine does not take as a plain add falls back to text, asking the clock once', () => {
  let clockCalls = 0;
  const engine = new Engine(spied, wasm.hsw_db_open());
  try {
    const before = docsCalls;
    // limit is not a member of the plain shape: hs_db_execute_docs answers HS_MISUSE.
    const query = addOf(repeat((i) => ({ i })), { limit: 5 });
    const out = JSON.parse(engine.execute(queryParts(query, 'executeQuery').text, null, () => { clockCalls++; return '{"time":1767225600000}'; }));
    assert.equal(docsCalls, before + 1, 'the documents were tried first');
    assert.equal(out.isSuccess, true);
    assert.equal(out.dbLength, MANY);
    assert.equal(clockCalls, 1);
    assert.equal(engine.seq(), 1, 'one commit');
  } finally {
    engine.close();
  }
});

/* A random JSON-like value: strings of any UTF-16 code units (lone surrogates too), numbers
   from tiny fractions to beyond int64, nested arrays and objects with such names. */
function randomValue(int, depth) {
  // Any code unit in values; names without lone surrogates, which UTF-8 turns into one U+FFFD,
  // so two such names of one object would collide (refused both ways as a duplicate).
  const units = (kinds) => String.fromCharCode(...Array.from({ length: int(12) }, () => [int(0x80), 0x22, 0x5c, int(0x800), int(0xd800), 0xd800 + int(0x800)][int(kinds)]));
  const string = () => units(6);
  const name = () => units(5);
  const number = () => {
    const magnitude = 2 ** (int(140) - 70);
    const x = [int(2 ** 31), -int(2 ** 31), (int(2 ** 30) + int(2 ** 30) / 2 ** 10) * magnitude, int(10) * 2 ** (int(70)), -(2 ** int(64)), (int(1000) - 500) / 8][int(6)];
    return Object.is(x, -0) ? 0 : x;
  };
  switch (depth > 4 ? int(4) : int(7)) {
    case 0: return string();
    case 1: return number();
    case 2: return [true, false, null][int(3)];
    case 3: return new Date(int(2 ** 40));
    case 4: case 5: return Array.from({ length: int(4) }, () => randomValue(int, depth + 1));
    default: return Object.fromEntries(Array.from({ length: int(6) }, () => [name(), randomValue(int, depth + 1)]));
  }
}

test('seeded random documents leave the same database both ways', () => {
  for (let seed = 1; seed <= 4; seed++) {
    const int = seededInt(seed);
    const docs = repeat(() => Object.fromEntries(Array.from({ length: 1 + int(6) }, (_, k) => [`f${int(9)}${k % 2 ? '\u00e9' : ''}`, randomValue(int, 1)])));
    const { taken, encoded } = sameBothWays(addOf(docs), `seed ${seed}`);
    assert.equal(encoded.result, 'ok', `seed ${seed}`);
    assert.ok(taken, `seed ${seed}: went through hsw_execute_docs`);
  }
});
