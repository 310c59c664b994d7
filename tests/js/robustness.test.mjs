/*
** robustness.test.mjs: bad input never crashes the engine or corrupts its state.
**
** Covers: non-object queries, bad fields of every kind, bad nodes and regexes, runaway
** regexes, non-object documents, deep nesting, 50 MB values, malformed JSON text sent
** straight to the engine (through the internal Engine class), Unicode and number edge
** cases. What must stay true: after every refused call the database's toDict() text is
** byte for byte what it was and a normal query still answers; a refusal is either a
** HindsightError INVALID_ARGUMENT or a failed QueryResult whose errorMessage starts with
** "execute_query ArgumentError" or "execute_query Unexpected Error" (conformance README).
** Expected values come from the protocol reference and ARCHITECTURE.md, never from the
** engine's output. Run: node --test tests/js/robustness.test.mjs
*/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Database, HindsightError, QueryBuilder } from '../../js/index.js';
import { Engine } from '../../js/engine.js';
import { loadEngine } from '../../js/wasm-loader.js';

const ERROR_PREFIX = /^execute_query (ArgumentError|Unexpected Error)(: |$)/;
const USERS = [{ id: 1, name: 'Ann', tags: ['a'] }, { id: 2, name: 'Bob', tags: [] }];
const SEED = { collections: { users: { data: USERS, serialNum: 2 }, logs: { data: [{ m: 'x' }], serialNum: 0 } } };

const openSeeded = () => Database.fromDict(SEED);

/* The normal query every test runs after a refusal, to show the database still works. */
function assertStillWorks(db) {
  const r = db.executeQuery(QueryBuilder.search({ target: 'users', queryNode: { type: 'equals_', field: 'id', value: 2 } }));
  assert.equal(r.isSuccess, true);
  assert.deepEqual(r.result, [USERS[1]]);
  assert.equal(r.dbLength, 2);
}

/* A short label for failure messages; some test queries are too deep for JSON.stringify. */
function describe(query) {
  try {
    return String(JSON.stringify(query)).slice(0, 120);
  } catch {
    return `${query?.type} query (too deep to print)`;
  }
}

/* Runs query on db; it must be refused cleanly and leave db exactly as it was. */
function assertRefused(db, query, detail, label = describe(query)) {
  const before = db.toJSONText();
  let result;
  try {
    result = db.executeQuery(query);
  } catch (error) {
    assert.ok(error instanceof HindsightError, `${label}: threw ${error}`);
    assert.equal(error.code, 'INVALID_ARGUMENT', label);
  }
  if (result !== undefined) {
    assert.equal(result.isSuccess, false, `${label} succeeded`);
    assert.deepEqual(result.result, [], label);
    assert.match(result.errorMessage, ERROR_PREFIX, label);
    if (detail) assert.match(result.errorMessage, detail, label);
  }
  assert.equal(db.toJSONText(), before, `${label} changed the database`);
  assertStillWorks(db);
  return result;
}

/* nestedObjects(n): a document n objects deep counting itself ({a:{a:...{}}}). */
function nestedObjects(n) {
  let doc = {};
  for (let i = 1; i < n; i++) doc = { a: doc };
  return doc;
}

/*{==== the JS entry points ====*/

test('executeQuery and executeQueryObject refuse non-objects with INVALID_ARGUMENT', async () => {
  const db = await openSeeded();
  const before = db.toJSONText();
  for (const bad of [42, null, 'text', [], [{ type: 'count', target: 'users' }], undefined, true, () => {}]) {
    for (const call of [() => db.executeQuery(bad), () => db.executeQueryObject(bad)]) {
      assert.throws(call, (error) => error instanceof HindsightError && error.code === 'INVALID_ARGUMENT');
    }
  }
  const count = { type: 'count', target: 'users' };
  for (const badPermissions of [[], 'users', 5, true]) {
    assert.throws(() => db.executeQueryObject(count, badPermissions),
      (error) => error instanceof HindsightError && error.code === 'INVALID_ARGUMENT');
  }
  // Values JSON cannot hold are refused before they reach the engine.
  assert.throws(() => db.executeQuery({ type: 'add', target: 'users', addData: [{ n: 1n }] }),
    (error) => error instanceof HindsightError && error.code === 'INVALID_ARGUMENT');
  const cyclic = { type: 'add', target: 'users', addData: [{}] };
  cyclic.addData[0].self = cyclic.addData[0];
  assert.throws(() => db.executeQuery(cyclic), (error) => error instanceof HindsightError && error.code === 'INVALID_ARGUMENT');
  assert.equal(db.toJSONText(), before);
  assertStillWorks(db);
  await db.close();
});

/*}====*/
/*{==== bad query fields ====*/

test('bad envelope fields fail the query, name the problem and change nothing', async () => {
  const db = await openSeeded();
  const node = { type: 'equals_', field: 'id', value: 1 };
  const cases = [
    [{ type: 'upsert', target: 'users', addData: [{ id: 3 }] }, /upsert/],
    [{ type: 'getAll' }, /target/],
    [{ type: 'count', target: 5 }, /target/],
    [{ target: 'users' }, /type/],
    [{ type: 7, target: 'users' }, /type/],
    [{ type: 'add', target: 'users', addData: { id: 3 } }, /addData/],
    [{ type: 'add', target: 'users', addData: 'x' }, /addData/],
    [{ type: 'add', target: 'users' }, /addData/],
    [{ type: 'update', target: 'users', queryNode: node, overrideData: [1] }, /overrideData/],
    [{ type: 'update', target: 'users', queryNode: node, overrideData: 'x' }, /overrideData/],
    [{ type: 'getAll', target: 'users', limit: 1.5 }, /limit/],
    [{ type: 'getAll', target: 'users', limit: '5' }, /limit/],
    [{ type: 'getAll', target: 'users', limit: -1 }, /limit/],
    [{ type: 'getAll', target: 'users', offset: 'one' }, /offset/],
    [{ type: 'add', target: 'users', addData: [{ id: 3 }], returnData: 'yes' }, /returnData/],
    [{ type: 'add', target: 'users', addData: [{ id: 3 }], mustAffectAtLeastOne: 1 }, /mustAffectAtLeastOne/],
    [{ type: 'add', target: 'users', addData: [{ id: 3 }], serialKey: 5 }, /serialKey/],
    [{ type: 'clear', target: 'users', resetSerial: 'no' }, /resetSerial/],
    [{ type: 'conformToTemplate', target: 'users', template: [1] }, /template/],
    [{ type: 'renameField', target: 'users', renameBefore: 1, renameAfter: 'x' }, /renameBefore/],
    [{ type: 'getAll', target: 'users', startAfter: [1] }, /startAfter/],
    [{ type: 'getAll', target: 'users', sortObj: 5 }, /sort/i],
    [{ type: 'search', target: 'users' }, null],
    [{ type: 'search', target: 'users', queryNode: 'id = 1' }, /queryNode/],
    [{ type: 'search', target: 'users', queryNode: [node] }, /queryNode/],
    [{ type: 'delete', target: 'users', queryNode: 7 }, /queryNode/],
  ];
  for (const [query, detail] of cases) assertRefused(db, query, detail);
  await db.close();
});

test('bad query nodes fail the query, name the problem and change nothing', async () => {
  const db = await openSeeded();
  const search = (queryNode) => ({ type: 'search', target: 'users', queryNode });
  const del = (queryNode) => ({ type: 'delete', target: 'users', queryNode });
  const cases = [
    [search({ type: 'like_', field: 'name', value: 'A' }), /like_/],
    [del({ type: 'or_', conditions: [{ type: 'equals_', field: 'id', value: 1 }, { type: 'fuzzy_', field: 'id' }] }), /fuzzy_/],
    [search({ field: 'id', value: 1 }), /type/],
    [search({ type: 'equals_', value: 1 }), /field/],
    [search({ type: 'equals_', field: 5, value: 1 }), /field/],
    [search({ type: 'equals_', field: 'id', value: 1, vType: 'decimal_' }), /decimal_/],
    [search({ type: 'and_', conditions: { type: 'equals_', field: 'id', value: 1 } }), /conditions/],
    [search({ type: 'in_', field: 'id', values: 1 }), /values/],
    [del({ type: 'not_' }), /condition/],
    [search({ type: 'regex_', field: 'name' }), /pattern/],
    [search({ type: 'regex_', field: 'name', pattern: 5 }), /pattern/],
  ];
  for (const [query, detail] of cases) assertRefused(db, query, detail);
  await db.close();
});

test('invalid regex patterns fail with ArgumentError and delete nothing', async () => {
  const db = await openSeeded();
  for (const pattern of ['(', '[a-', 'a{2,1}', '(?<=x)', '*a', '[z-a]', '(?P<x>a)', 'a)', '\\']) {
    for (const type of ['search', 'delete', 'update']) {
      const query = { type, target: 'users', queryNode: { type: 'regex_', field: 'name', pattern }, overrideData: type === 'update' ? { x: 1 } : null };
      const r = assertRefused(db, query, /regex|lookbehind/i, `${type} /${pattern}/`);
      assert.match(r.errorMessage, /^execute_query ArgumentError/, `/${pattern}/`);
    }
  }
  await db.close();
});

test('a runaway regex on a long subject fails cleanly and quickly, and deletes nothing', async () => {
  const db = await openSeeded();
  const subject = 'a'.repeat(30000) + '!';
  db.executeQuery({ type: 'add', target: 'users', addData: [{ id: 3, name: subject }] });
  db.executeQuery({ type: 'deleteOne', target: 'users', queryNode: { type: 'equals_', field: 'id', value: 3 } });
  const withLong = db.toJSONText();
  db.executeQuery({ type: 'add', target: 'logs', addData: [{ s: subject }] });
  const before = db.toJSONText();
  // Backreferences and lookahead need a backtracker: these would run for ages without a step budget.
  for (const pattern of ['^(a*)*\\1$', '(?=(a+)+b)', '^(a+)+(?!x)$']) {
    for (const type of ['search', 'delete']) {
      const started = performance.now();
      const r = db.executeQuery({ type, target: 'logs', queryNode: { type: 'regex_', field: 's', pattern } });
      assert.ok(performance.now() - started < 3000, `/${pattern}/ took ${performance.now() - started} ms`);
      assert.equal(r.isSuccess, false, `/${pattern}/ ${type}`);
      assert.match(r.errorMessage, ERROR_PREFIX);
      assert.match(r.errorMessage, /regex|backtrack/i);
      assert.equal(db.toJSONText(), before);
    }
  }
  // Nested quantifiers without backreferences: a correct "no match" or the same clean error, in bounded time.
  for (const pattern of ['^(a+)+$', '^(a|a)*$', '(a*)*b']) {
    const started = performance.now();
    const r = db.executeQuery({ type: 'search', target: 'logs', queryNode: { type: 'regex_', field: 's', pattern } });
    assert.ok(performance.now() - started < 3000, `/${pattern}/ took ${performance.now() - started} ms`);
    if (r.isSuccess) assert.equal(r.hitCount, 0, `/${pattern}/ cannot match a subject ending in '!'`);
    else assert.match(r.errorMessage, ERROR_PREFIX);
  }
  assert.equal(db.toJSONText(), before);
  assert.notEqual(withLong, before);
  assertStillWorks(db);
  await db.close();
});

test('documents that are not objects are refused and nothing is added', async () => {
  const db = await openSeeded();
  const bads = [[1], ['text'], [null], [[1, 2]], [true], [{ id: 3 }, 5], [{ id: 3 }, [{ id: 4 }]]];
  for (const addData of bads) {
    assertRefused(db, { type: 'add', target: 'users', addData }, /addData|object/);
    assertRefused(db, { type: 'clearAdd', target: 'users', addData }, /addData|object/);
    assertRefused(db, { type: 'add', target: 'fresh', addData }, /addData|object/);
  }
  assert.equal('fresh' in db.toDict().collections, false);
  await db.close();
});

/*}====*/
/*{==== nesting ====*/

test('a document 100 levels deep is accepted and 101 levels is refused', async () => {
  const db = await openSeeded();
  for (const doc of [nestedObjects(100), { a: JSON.parse('['.repeat(99) + ']'.repeat(99)) }]) {
    const r = db.executeQuery({ type: 'add', target: 'deep', addData: [doc], returnData: true });
    assert.equal(r.isSuccess, true, r.errorMessage);
    assert.equal(JSON.stringify(r.result[0]), JSON.stringify(doc));
  }
  assert.equal(db.executeQuery({ type: 'removeCollection', target: 'deep' }).isSuccess, true);
  for (const doc of [nestedObjects(101), { a: JSON.parse('['.repeat(100) + ']'.repeat(100)) }]) {
    assertRefused(db, { type: 'add', target: 'users', addData: [doc] }, /Exceeded max allowed nesting depth/);
    assertRefused(db, { type: 'update', target: 'users', queryNode: { type: 'equals_', field: 'id', value: 1 }, overrideData: { x: doc.a } },
      /Exceeded max allowed nesting depth/);
  }
  await assert.rejects(() => Database.fromDict({ collections: { deep: { data: [nestedObjects(101)] } } }),
    (error) => error instanceof HindsightError && error.code === 'INVALID_ARGUMENT' && /nesting depth/.test(error.message));
  await db.close();
});

test('a document nested 10,000 levels deep is refused without a crash', async () => {
  const db = await openSeeded();
  const deepText = '{"a":'.repeat(10000) + '1' + '}'.repeat(10000);
  // Through the public API JSON.stringify may give up first (INVALID_ARGUMENT); otherwise the engine refuses it.
  assertRefused(db, { type: 'add', target: 'users', addData: [JSON.parse(deepText)] }, /nesting depth/);
  const engine = new Engine(await loadEngine());
  try {
    engine.fromDictText(JSON.stringify(SEED));
    const before = engine.toDictText();
    const r = JSON.parse(engine.execute(`{"className":"Query","type":"add","target":"users","addData":[${deepText}]}`, null));
    assert.equal(r.isSuccess, false);
    assert.match(r.errorMessage, /^execute_query ArgumentError: .*Exceeded max allowed nesting depth/);
    assert.equal(engine.toDictText(), before);
    assert.throws(() => engine.fromDictText(`{"collections":{"deep":{"data":[${deepText}]}}}`),
      (error) => error instanceof HindsightError && error.code === 'INVALID_ARGUMENT');
  } finally {
    engine.close();
  }
  assertStillWorks(db);
  await db.close();
});

function nestedAndText(levels) {
  return '{"type":"and_","conditions":['.repeat(levels) + '{"type":"equals_","field":"id","value":1}' + ']}'.repeat(levels);
}

test('a queryNode nested 10,000 levels deep fails with a clear error', async () => {
  const db = await openSeeded();
  // A moderately nested node still works.
  const fifty = db.executeQuery({ type: 'search', target: 'users', queryNode: JSON.parse(nestedAndText(50)) });
  assert.equal(fifty.isSuccess, true, fifty.errorMessage);
  assert.deepEqual(fifty.result, [USERS[0]]);
  for (const levels of [200, 10000]) {
    assertRefused(db, { type: 'delete', target: 'users', queryNode: JSON.parse(nestedAndText(levels)) }, /nest|deep|depth/i, `and_ x${levels}`);
  }
  await db.close();
});

test('a queryNode nested beyond the JSON parser limit is reported as too deep, not as invalid JSON', async () => {
  // The text is valid JSON (JSON.parse takes it), so "invalid JSON near byte N" misleads the user.
  const engine = new Engine(await loadEngine());
  try {
    engine.fromDictText(JSON.stringify(SEED));
    const before = engine.toDictText();
    for (const levels of [600, 10000]) {
      const text = `{"className":"Query","type":"search","target":"users","queryNode":${nestedAndText(levels)}}`;
      assert.doesNotThrow(() => JSON.parse(text));
      const r = JSON.parse(engine.execute(text, null));
      assert.equal(r.isSuccess, false);
      assert.match(r.errorMessage, /^execute_query ArgumentError: /);
      assert.match(r.errorMessage, /nest|deep|depth/i, `and_ x${levels}: ${r.errorMessage}`);
      assert.equal(engine.toDictText(), before);
    }
  } finally {
    engine.close();
  }
});

/*}====*/
/*{==== huge values ====*/

test('a 50 MB string value is stored, read back, searched by regex and deleted', async () => {
  const db = await openSeeded();
  const size = 50 * 1024 * 1024;
  const big = 'a'.repeat(size / 2 - 3) + 'é'.repeat(1) + 'b'.repeat(size / 2) + 'xyz';
  const added = db.executeQuery({ type: 'add', target: 'big', addData: [{ id: 1, s: big }] });
  assert.equal(added.isSuccess, true, added.errorMessage);
  const back = db.executeQuery({ type: 'getAll', target: 'big' }).result[0].s;
  assert.equal(back.length, big.length);
  for (const at of [0, size / 2 - 4, size / 2 - 3, size / 2 - 2, big.length - 1]) assert.equal(back[at], big[at], `char ${at}`);
  assert.ok(back === big);
  // The 50 MB string as a regex subject.
  const hit = db.executeQuery({ type: 'search', target: 'big', queryNode: { type: 'regex_', field: 's', pattern: 'éb+xyz$' } });
  assert.equal(hit.isSuccess, true, hit.errorMessage);
  assert.equal(hit.hitCount, 1);
  const miss = db.executeQuery({ type: 'search', target: 'big', queryNode: { type: 'regex_', field: 's', pattern: 'xyzq' } });
  assert.equal(miss.isSuccess, true, miss.errorMessage);
  assert.equal(miss.hitCount, 0);
  const deleted = db.executeQuery({ type: 'delete', target: 'big', queryNode: { type: 'equals_', field: 'id', value: 1 } });
  assert.equal(deleted.isSuccess, true);
  assert.equal(deleted.dbLength, 0);
  assert.deepEqual(db.toDict().collections.big.data, []);
  assertStillWorks(db);
  await db.close();
});

/*}====*/
/*{==== malformed JSON text straight to the engine ====*/

const COUNT_TEXT = '{"className":"Query","type":"count","target":"users"}';

/* Sends text to a raw engine handle: must be refused, leave the state alone, keep the handle usable. */
function assertEngineRefuses(engine, text, label) {
  const before = engine.toDictText();
  let result;
  try {
    result = JSON.parse(engine.execute(text, null));
  } catch (error) {
    assert.ok(error instanceof HindsightError, `${label}: threw ${error}`);
  }
  if (result !== undefined) {
    assert.equal(result.isSuccess, false, `${label} was accepted`);
    assert.match(result.errorMessage, ERROR_PREFIX, label);
  }
  assert.equal(engine.toDictText(), before, `${label} changed the state`);
  assert.equal(JSON.parse(engine.execute(COUNT_TEXT, null)).dbLength, 2, `${label} broke the handle`);
}

async function withEngine(fn) {
  const engine = new Engine(await loadEngine());
  try {
    engine.fromDictText(JSON.stringify(SEED));
    await fn(engine);
  } finally {
    engine.close();
  }
}

const add = (docText) => `{"className":"Query","type":"add","target":"users","addData":[${docText}]}`;

test('malformed JSON texts are refused and the handle keeps working', () => withEngine((engine) => {
  const texts = {
    'empty text': '',
    'whitespace only': '   \n',
    'truncated object': add('{"a":1}').slice(0, -2),
    'truncated in a string': add('{"a":"abc'),
    'truncated in an escape': add('{"a":"\\u00'),
    'unclosed everything': '{"className":"Query","type":"add","target":"users","addData":[{"a":[1,{"b":',
    'invalid escape \\q': add('{"a":"\\q"}'),
    'invalid escape \\x41': add('{"a":"\\x41"}'),
    'bad \\u digits': add('{"a":"\\u12G4"}'),
    'raw NUL in a string': add('{"a":"x\u0000y"}'),
    'raw newline in a string': add('{"a":"x\ny"}'),
    'number 1e400': add('{"a":1e400}'),
    'number -1e400': add('{"a":-1e400}'),
    'NaN literal': add('{"a":NaN}'),
    'Infinity literal': add('{"a":Infinity}'),
    'leading zero': add('{"a":012}'),
    'bare minus': add('{"a":-}'),
    'duplicate keys in a document': add('{"a":1,"a":2}'),
    'duplicate keys deeper in a document': add('{"o":{"k":1,"k":1}}'),
    'trailing comma in an object': add('{"a":1,}'),
    'trailing comma in addData': add('{"a":1},'),
    'single quotes': add("{'a':1}"),
    'unquoted key': add('{a:1}'),
    'comment': add('/* c */{"a":1}'),
    'top-level null': 'null',
    'top-level number': '42',
    'top-level array': '[]',
    'top-level string': '"query"',
  };
  for (const [label, text] of Object.entries(texts)) assertEngineRefuses(engine, text, label);
  // After all of that, a write still works.
  const r = JSON.parse(engine.execute(add('{"id":3}'), null));
  assert.equal(r.isSuccess, true);
  assert.equal(r.dbLength, 3);
}));

test('text after the JSON value is refused, not silently ignored', () => withEngine((engine) => {
  // RFC 8259 allows only whitespace around the one value; JSON.parse refuses all of these.
  const valid = add('{"id":3}');
  const texts = {
    'trailing garbage': `${valid} xyz`,
    'a second object': `${valid}${valid}`,
    'an extra closing brace': `${valid}}`,
    'a NUL and garbage': `${valid}\u0000garbage`,
  };
  for (const [label, text] of Object.entries(texts)) {
    assert.throws(() => JSON.parse(text), SyntaxError);
    assertEngineRefuses(engine, text, label);
  }
}));

test('escaped NUL bytes are valid JSON and round-trip in values, keys and query nodes', async () => {
  const db = await openSeeded();
  const doc = { 'nul\u0000key': 'x\u0000y', s: '\u0000', t: 'x', nul: 'q' };
  const r = db.executeQuery({ type: 'add', target: 'nul', addData: [doc], returnData: true });
  assert.equal(r.isSuccess, true, r.errorMessage);
  assertSameJson(r.result, [doc]);
  assertSameJson(db.toDict().collections.nul.data, [doc]);
  const hits = (field, value) => db.executeQuery({ type: 'search', target: 'nul', queryNode: { type: 'equals_', field, value } }).hitCount;
  // A string is its whole length: a NUL inside a query value or field name must not end it early.
  assert.equal(hits('s', '\u0000'), 1, "equals_ '\\u0000' misses the document holding it");
  assert.equal(hits('nul\u0000key', 'x\u0000y'), 1, 'a field name or value with a NUL misses its document');
  assert.equal(hits('t', 'x\u0000zzz'), 0, "'x\\u0000zzz' matched 'x': the query value was cut at its NUL");
  assert.equal(hits('nul\u0000key', 'q'), 0, "field 'nul\\u0000key' read field 'nul': the path was cut at its NUL");
  await db.close();
});

test('lone surrogates are refused or replaced by U+FFFD, never stored as invalid text', () => withEngine((engine) => {
  const cases = [['"\\ud800"', '\ufffd'], ['"\\udc00x"', '\ufffdx'], ['"\\ud800\\u0041"', '\ufffdA'], ['"a\\udfff"', 'a\ufffd']];
  for (const [literal, replaced] of cases) {
    const before = engine.toDictText();
    let result;
    try {
      result = JSON.parse(engine.execute(add(`{"lone":${literal}}`), null));
    } catch (error) {
      assert.ok(error instanceof HindsightError, `${literal}: threw ${error}`);
    }
    if (result && result.isSuccess) {
      const data = JSON.parse(engine.toDictText()).collections.users.data;
      assert.equal(data.at(-1).lone, replaced, literal);
      engine.fromDictText(before); // restore for the next case
    } else if (result) {
      assert.match(result.errorMessage, ERROR_PREFIX, literal);
    }
    assert.equal(engine.toDictText(), before, literal);
  }
  // A valid surrogate pair is one astral character.
  const r = JSON.parse(engine.execute(add('{"pair":"\\ud83d\\ude00"}'), null));
  assert.equal(r.isSuccess, true);
  assert.equal(JSON.parse(engine.toDictText()).collections.users.data.at(-1).pair, '😀');
}));

/*}====*/
/*{==== Unicode and numbers ====*/

function assertSameJson(actual, expected, message) {
  assert.equal(JSON.stringify(actual), JSON.stringify(expected), message);
}

test('Unicode values and awkward keys round-trip exactly through add, getAll and toDict', async () => {
  const db = await Database.open();
  const docs = [
    { emoji: '😀👍🏽🇯🇵', family: '👨‍👩‍👧‍👦', cjk: '漢字かなカナ', rtl: 'שלום مرحبا', cyr: 'ключ' },
    { composed: 'é', decomposed: 'e\u0301', angstrom: 'Å', ring: 'A\u030A', zwj: 'a\u200Db', bom: '\uFEFF' },
    { controls: '\u0001\u001f\u007f\u0080\u009f', separators: '\u2028\u2029', tab: '\t', nl: '\r\n', max: '\u{10FFFF}', priv: '\uE000' },
    { 'a.b': 1, 'q"k': 2, 'back\\slash': 3, '': 4, ' ': 5, '😀': 6, 'ключ': 7, 'line\nbreak': 8, '/': 9, 'a.b.c': { 'x.y': 'z' } },
    { s: '"quoted" \\ back \\\\ double / slash \\u0041 not an escape' },
  ];
  const r = db.executeQuery({ type: 'add', target: 'u', addData: docs, returnData: true });
  assert.equal(r.isSuccess, true, r.errorMessage);
  assertSameJson(r.result, docs);
  assertSameJson(db.executeQuery({ type: 'getAll', target: 'u' }).result, docs);
  assertSameJson(db.toDict().collections.u.data, docs);
  const again = await Database.fromJSONText(db.toJSONText());
  assertSameJson(again.toDict().collections.u.data, docs);
  await again.close();
  // No normalisation: precomposed and decomposed forms are different strings.
  const composed = db.executeQuery({ type: 'search', target: 'u', queryNode: { type: 'equals_', field: 'composed', value: 'e\u0301' } });
  assert.equal(composed.hitCount, 0);
  const decomposed = db.executeQuery({ type: 'search', target: 'u', queryNode: { type: 'equals_', field: 'decomposed', value: 'e\u0301' } });
  assert.equal(decomposed.hitCount, 1);
  const emoji = db.executeQuery({ type: 'search', target: 'u', queryNode: { type: 'equals_', field: 'family', value: '👨‍👩‍👧‍👦' } });
  assert.equal(emoji.hitCount, 1);
  await db.close();
});

test('numbers: 1 and 1.0 are equal, -0 equals 0', async () => {
  const db = await Database.fromJSONText('{"collections":{"n":{"data":[{"i":0,"v":1},{"i":1,"v":1.0},{"i":2,"v":1e0},{"i":3,"v":-0},{"i":4,"v":-0.0},{"i":5,"v":0},{"i":6,"v":"1"},{"i":7,"v":true}]}}}');
  const ids = (value) => db.executeQuery({ type: 'search', target: 'n', queryNode: { type: 'equals_', field: 'v', value } }).result.map((d) => d.i);
  assert.deepEqual(ids(1), [0, 1, 2]);
  assert.deepEqual(ids(0), [3, 4, 5]);
  assert.deepEqual(ids(-0), [3, 4, 5]);
  const values = db.toDict().collections.n.data.map((d) => d.v);
  assert.deepEqual(values.slice(0, 3), [1, 1, 1]);
  for (const v of values.slice(3, 6)) assert.ok(v === 0, `${v} is not zero`);
  // Through the JS API -0 is sent as 0 (JSON.stringify(-0) is "0"): still zero either way.
  const r = db.executeQuery({ type: 'add', target: 'z', addData: [{ v: -0 }], returnData: true });
  assert.ok(r.result[0].v === 0);
  await db.close();
});

test('numbers: 2**53 + 1 cannot be a JS number; the engine reads one literal as one value', async () => {
  // The caveat: in JS, 2**53 + 1 is 2**53, so that is what gets stored and read back.
  assert.equal(2 ** 53 + 1, 2 ** 53);
  const db = await Database.open();
  db.executeQuery({ type: 'add', target: 'n', addData: [{ v: 2 ** 53 + 1 }, { v: Number.MAX_SAFE_INTEGER }] });
  assert.deepEqual(db.toDict().collections.n.data, [{ v: 9007199254740992 }, { v: 9007199254740991 }]);
  assert.equal(db.executeQuery({ type: 'search', target: 'n', queryNode: { type: 'equals_', field: 'v', value: 2 ** 53 } }).hitCount, 1);
  assert.equal(db.executeQuery({ type: 'search', target: 'n', queryNode: { type: 'equals_', field: 'v', value: Number.MAX_SAFE_INTEGER } }).hitCount, 1);
  await db.close();
  // Text from another client (Python) can carry the exact literal 9007199254740993. Whatever
  // precision the engine keeps, the same literal in a document and in a query is the same value.
  await withEngine((engine) => {
    engine.fromDictText('{"collections":{"n":{"data":[{"i":0,"v":9007199254740993},{"i":1,"v":9007199254740992}]}}}');
    const text = engine.toDictText();
    assert.match(text, /"v":900719925474099[23]\b/);
    const search = (literal) => JSON.parse(engine.execute(
      `{"className":"Query","type":"search","target":"n","queryNode":{"type":"equals_","field":"v","value":${literal}}}`, null)).result.map((d) => d.i);
    assert.ok(search('9007199254740993').includes(0), 'a query for 9007199254740993 misses the document holding 9007199254740993');
    assert.ok(search('9007199254740992').includes(1));
  });
});

test('numbers: very small, very large and awkward doubles round-trip exactly', async () => {
  const values = [
    5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308, -1.7976931348623157e308,
    0.1, 0.2 + 0.1, 1 / 3, Math.PI, -Math.E, 123456789.12345679, 1e21, 1e-7, 1.5e300, 4.35, 0.000001,
    2 ** 53, -(2 ** 53), 2 ** 63, 2 ** 64, 2 ** 31, -(2 ** 31), 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 32, 1e15 + 0.3,
    Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, Number.EPSILON, 1 + Number.EPSILON, 0,
  ];
  const docs = values.map((v, i) => ({ i, v }));
  const db = await Database.open();
  const r = db.executeQuery({ type: 'add', target: 'd', addData: docs, returnData: true });
  assert.equal(r.isSuccess, true, r.errorMessage);
  assertSameJson(r.result, docs);
  assertSameJson(db.executeQuery({ type: 'getAll', target: 'd' }).result, docs);
  const again = await Database.fromJSONText(db.toJSONText());
  assertSameJson(again.toDict().collections.d.data, docs);
  await again.close();
  for (const [i, v] of values.entries()) {
    const found = db.executeQuery({ type: 'search', target: 'd', queryNode: { type: 'equals_', field: 'v', value: v } });
    assert.ok(found.result.some((d) => d.i === i), `equals_ ${v} misses its document`);
  }
  await db.close();
});

/*}====*/
