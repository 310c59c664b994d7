// conformance.test.mjs: runs the data-driven query cases in tests/conformance/*.test.
//
// Owns: parsing the case format (documented in tests/conformance/README.md) and comparing the
// engine's QueryResult / TransactionQueryResult and toDict() collections with each case; for
// time-travel cases, running their `steps` through the public API (executeQuery with a clock,
// undo, redo, revertTo, setRetention) and checking the `call` (at, diff, history, changes,
// undo, redo, revertTo) as { return } or { error: code }. Commit ids are compared as o.N
// (this database's random origin is rewritten to o, the origin the native runner sets).
//
// What must stay true: one node:test test() per case, named by its ID, so a failure points at one
// case; every database is built fresh with Database.fromDict from the case's `before`; a case file
// that does not parse makes the suite fail (it never silently drops cases); the runner adds only
// className/version to queries, never other defaults, so the engine's own defaulting is tested.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

const casesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'conformance');
const knownFields = new Set(['before', 'steps', 'query', 'call', 'permissions', 'expect', 'after', 'keyOrder']);
const requiredFields = ['expect', 'after'];
const idPattern = /^[a-z][a-z0-9]*(-[a-z0-9]+)*-\d+(\.\d+)+$/;

// Splits one file into raw cases: { id, description, line, fields: {name: text} }.
function splitCases(text, fileName, problems) {
  const cases = [];
  let current = null;
  let field = null;
  text.split('\n').forEach((line, index) => {
    const lineNo = index + 1;
    const header = /^### (\S+): (.+)$/.exec(line);
    if (line.startsWith('###')) {
      if (!header) { problems.push(`${fileName}:${lineNo}: malformed case header`); current = null; return; }
      current = { id: header[1], description: header[2].trim(), file: fileName, line: lineNo, fields: {} };
      field = null;
      cases.push(current);
      return;
    }
    if (line.startsWith('#')) { field = null; return; }  // comment ends a field
    if (!current) {
      if (line.trim() !== '') problems.push(`${fileName}:${lineNo}: text outside a case`);
      return;
    }
    const start = /^([A-Za-z]+):(.*)$/.exec(line);
    if (start) {
      field = start[1];
      if (!knownFields.has(field)) problems.push(`${fileName}:${lineNo}: unknown field "${field}"`);
      if (field in current.fields) problems.push(`${fileName}:${lineNo}: field "${field}" given twice`);
      current.fields[field] = start[2];
      return;
    }
    if (line.trim() === '') return;
    if (field === null) { problems.push(`${fileName}:${lineNo}: continuation line without a field`); return; }
    current.fields[field] += '\n' + line;
  });
  return cases;
}

function parseJsonField(raw, name, problems) {
  try { return JSON.parse(raw.fields[name]); } catch (err) {
    problems.push(`${raw.file}:${raw.line} ${raw.id}: field "${name}" is not JSON (${err.message})`);
    return undefined;
  }
}

// Collections shorthand → { name: { data, serialNum } }. `inherit` supplies serialNum for bare lists.
function normalizeCollections(shorthand, inherit) {
  const out = {};
  for (const [name, value] of Object.entries(shorthand)) {
    if (Array.isArray(value)) out[name] = { data: value, serialNum: inherit?.[name]?.serialNum ?? 0 };
    else out[name] = { data: value.data, serialNum: value.serialNum ?? 0 };
  }
  return out;
}

function addQueryClass(query) {
  if (query === null || typeof query !== 'object' || Array.isArray(query)) return query;
  const isTransaction = Array.isArray(query.queries);
  const withClass = 'className' in query ? { ...query }
    : { className: isTransaction ? 'TransactionQuery' : 'Query', version: isTransaction ? '1' : '7', ...query };
  if (isTransaction) withClass.queries = query.queries.map(addQueryClass);
  return withClass;
}

function expandPermissions(perms) {
  const out = {};
  for (const [name, value] of Object.entries(perms)) {
    out[name] = Array.isArray(value) ? { className: 'Permission', version: '1', allows: value } : value;
  }
  return out;
}

// Turns a raw case into the checked form; records problems instead of throwing.
function buildCase(raw, problems) {
  const where = `${raw.file}:${raw.line} ${raw.id}`;
  if (!idPattern.test(raw.id)) problems.push(`${where}: malformed ID`);
  for (const name of requiredFields) {
    if (!(name in raw.fields)) problems.push(`${where}: missing field "${name}"`);
  }
  if (('query' in raw.fields) === ('call' in raw.fields)) problems.push(`${where}: give exactly one of "query" and "call"`);
  const before = 'before' in raw.fields ? parseJsonField(raw, 'before', problems) : {};
  const steps = 'steps' in raw.fields ? parseJsonField(raw, 'steps', problems) : [];
  const call = 'call' in raw.fields ? parseJsonField(raw, 'call', problems) : null;
  if (!Array.isArray(steps) || steps.some((x) => x === null || typeof x !== 'object' || Array.isArray(x))) problems.push(`${where}: "steps" must be a list of objects`);
  if (call !== null && (typeof call !== 'object' || Array.isArray(call) || !CALLS.some((k) => k in call))) problems.push(`${where}: "call" must be an object with one of ${CALLS.join(', ')}`);
  const query = 'query' in raw.fields ? parseJsonField(raw, 'query', problems) : call ? null : undefined;
  const permissions = 'permissions' in raw.fields ? parseJsonField(raw, 'permissions', problems) : undefined;
  const expect = 'expect' in raw.fields ? parseJsonField(raw, 'expect', problems) : undefined;
  let after;
  if ('after' in raw.fields) after = raw.fields.after.trim() === 'unchanged' ? 'unchanged' : parseJsonField(raw, 'after', problems);
  const keyOrder = raw.fields.keyOrder?.trim();
  if (keyOrder !== undefined && keyOrder !== 'strict') problems.push(`${where}: keyOrder must be "strict"`);
  for (const [name, value] of [['before', before], ['after', after === 'unchanged' ? {} : after], ['expect', expect]]) {
    if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      problems.push(`${where}: "${name}" must be a JSON object`);
    }
  }
  if (before === undefined || query === undefined || expect === undefined || after === undefined || steps === undefined || call === undefined) return null;
  const beforeCollections = normalizeCollections(before, null);
  return {
    id: raw.id,
    name: `${raw.id}: ${raw.description}`,
    beforeCollections,
    steps,
    call,
    unchanged: after === 'unchanged',
    query: query === null ? null : addQueryClass(query),
    permissions: permissions === undefined ? undefined : expandPermissions(permissions),
    expect,
    afterCollections: after === 'unchanged' ? beforeCollections : normalizeCollections(after, beforeCollections),
    strictKeyOrder: keyOrder === 'strict',
  };
}

function loadAllCases() {
  const problems = [];
  const cases = [];
  const seen = new Map();
  const files = readdirSync(casesDir).filter((f) => f.endsWith('.test')).sort();
  if (files.length === 0) problems.push(`no *.test files in ${casesDir}`);
  for (const file of files) {
    const text = readFileSync(join(casesDir, file), 'utf8');
    for (const raw of splitCases(text, file, problems)) {
      if (seen.has(raw.id)) problems.push(`${file}:${raw.line}: duplicate ID ${raw.id} (first in ${seen.get(raw.id)})`);
      seen.set(raw.id, `${file}:${raw.line}`);
      const built = buildCase(raw, problems);
      if (built) cases.push(built);
    }
  }
  return { cases, problems };
}

// A JSON round trip strips class prototypes and undefined, so only wire-visible values are compared.
const plain = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

function keyOrderOf(value) {
  if (Array.isArray(value)) return value.map(keyOrderOf);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).map(([k, v]) => [k, keyOrderOf(v)]);
  }
  return value;
}

function checkErrorPrefix(message, prefix) {
  const allowed = Array.isArray(prefix) ? prefix : [prefix];
  const ok = typeof message === 'string'
    && allowed.some((p) => message === p || message.startsWith(p + ': '));
  assert.ok(ok, `errorMessage ${JSON.stringify(message)} should start with one of ${JSON.stringify(allowed)}`);
}

function checkResult(actual, expect, strictKeyOrder, path = 'result') {
  for (const [key, want] of Object.entries(expect)) {
    if (key === 'errorMessagePrefix') { checkErrorPrefix(actual.errorMessage, want); continue; }
    if (key === 'results' && Array.isArray(want) && Array.isArray(actual.results)) {
      assert.equal(actual.results.length, want.length, `${path}.results length`);
      want.forEach((sub, i) => checkResult(actual.results[i], sub, strictKeyOrder, `${path}.results[${i}]`));
      continue;
    }
    assert.deepStrictEqual(actual[key], want, `${path}.${key}`);
    if (strictKeyOrder && key === 'result') {
      assert.deepStrictEqual(keyOrderOf(actual[key]), keyOrderOf(want), `${path}.result key order`);
    }
  }
}

function checkCollections(actualDict, expected, strictKeyOrder) {
  const actual = plain(actualDict.collections);
  assert.ok(actual && typeof actual === 'object', 'toDict().collections is an object');
  assert.deepStrictEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), 'collection names after');
  for (const [name, want] of Object.entries(expected)) {
    assert.deepStrictEqual(actual[name].data, want.data, `collections.${name}.data`);
    assert.deepStrictEqual(actual[name].serialNum, want.serialNum, `collections.${name}.serialNum`);
    if (strictKeyOrder) {
      assert.deepStrictEqual(keyOrderOf(actual[name].data), keyOrderOf(want.data), `collections.${name}.data key order`);
    }
  }
}

function databaseDict(collections) {
  const dict = { className: 'DeltaTraceDatabase', version: '16', collections: {} };
  for (const [name, { data, serialNum }] of Object.entries(collections)) {
    dict.collections[name] = { className: 'Collection', version: '17', data: structuredClone(data), serialNum };
  }
  return dict;
}

const CALLS = ['at', 'rows', 'diff', 'history', 'changes', 'undo', 'redo', 'revertTo'];

/* Every commit id `<origin>.<n>` in value, rewritten to `o.<n>`. */
function withOriginO(value, origin) {
  if (origin === null) return value;
  if (typeof value === 'string') return value.startsWith(origin + '.') && /^\d+$/.test(value.slice(origin.length + 1)) ? `o.${value.slice(origin.length + 1)}` : value;
  if (Array.isArray(value)) return value.map((v) => withOriginO(v, origin));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withOriginO(v, origin)]));
  return value;
}

/* Runs the case's steps, each at its time (a step without one keeps the previous time). */
function runSteps(db, steps, clock) {
  steps.forEach((step, i) => {
    if (step.time !== undefined) clock.now = Date.parse(step.time);
    let made;
    if ('query' in step) {
      const r = db.executeQuery(addQueryClass(structuredClone(step.query)));
      made = r.isSuccess;
    } else if ('undo' in step) made = db.undo(step.cause) !== null;
    else if ('redo' in step) made = db.redo(step.cause) !== null;
    else if ('revertTo' in step) made = db.revertTo(step.revertTo, step.cause) !== null;
    else if ('setRetention' in step) { db.setRetention(step.setRetention); made = true; }
    else throw new Error(`step ${i + 1}: unknown step ${JSON.stringify(step)}`);
    assert.ok(made, `step ${i + 1} (${JSON.stringify(step).slice(0, 80)}) must succeed`);
  });
}

/* The time-travel call's output: { return } or { error: HindsightError code }. */
function runCall(db, call, clock) {
  if (call.time !== undefined) clock.now = Date.parse(call.time);
  try {
    if ('at' in call) {
      const view = db.at(call.at);
      try {
        return { return: Object.fromEntries(Object.entries(view.toDict().collections).map(([n, c]) => [n, { data: c.data, serialNum: c.serialNum }])) };
      } finally {
        view.release();
      }
    }
    if ('rows' in call) {
      const view = db.at(call.rows.at);
      try {
        return { return: view.rows(call.rows.collection) };
      } finally {
        view.release();
      }
    }
    if ('diff' in call) return { return: db.diff(call.diff[0], call.diff[1]) };
    if ('history' in call) {
      const { target, queryNode, ...range } = call.history;
      return { return: db.history(target, queryNode, range) };
    }
    if ('changes' in call) return { return: db.changes(call.changes) };
    if ('undo' in call) return { return: db.undo(call.cause) };
    if ('redo' in call) return { return: db.redo(call.cause) };
    return { return: db.revertTo(call.revertTo, call.cause) };
  } catch (error) {
    if (typeof error?.code !== 'string') throw error;
    return { error: error.code };
  }
}

const { cases, problems } = loadAllCases();

test('conformance case files are well-formed', () => {
  assert.deepStrictEqual(problems, []);
  assert.ok(cases.length > 0, 'at least one case');
});

let enginePromise;
const loadEngine = () => (enginePromise ??= import('../../js/index.js'));

for (const c of cases) {
  test(c.name, async () => {
    const { Database } = await loadEngine();
    const clock = { now: 0 };
    const db = await Database.fromDict(databaseDict(c.beforeCollections), { clock: () => clock.now });
    try {
      runSteps(db, c.steps, clock);
      const afterSteps = db.toDict();
      let result;
      if (c.call) {
        result = runCall(db, c.call, clock);
        const origin = db.commits()[0]?.id.replace(/\.\d+$/, '') ?? null;
        result = plain(withOriginO(result, origin));
        const expect = 'return' in c.expect && 'at' in c.call ? { ...c.expect, return: normalizeCollections(c.expect.return, null) } : c.expect;
        assert.deepStrictEqual(Object.keys(result).sort(), Object.keys(expect).sort(), 'the call returns or fails as expected');
        checkResult(result, expect, c.strictKeyOrder);
      } else {
        const query = structuredClone(c.query);
        const permissions = c.permissions === undefined ? undefined : structuredClone(c.permissions);
        result = await db.executeQueryObject(query, permissions);
        if (result && typeof result.toDict === 'function') result = result.toDict();
        result = plain(result);
        assert.ok(result && typeof result === 'object', 'executeQueryObject returned an object');
        checkResult(result, c.expect, c.strictKeyOrder);
      }
      if (c.steps.length && c.unchanged) assert.deepStrictEqual(plain(db.toDict()), plain(afterSteps), 'unchanged: the state after the steps');
      else checkCollections(db.toDict(), c.afterCollections, c.strictKeyOrder);
    } finally {
      await db.close?.();
    }
  });
}
