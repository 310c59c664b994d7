// to-jsonl.mjs: converts the conformance cases (tests/conformance/*.test) into one JSON Lines
// file for the native runner tests/c/test_engine.c.  Usage: node tests/conformance/to-jsonl.mjs OUT
//
// Owns: a second, independent reading of the case format in README.md (the JS runner
// tests/js/conformance.test.mjs has its own; both must agree on every rule: fields, comments,
// className/version defaults, permission shorthand, after: unchanged, bare lists and serialNum).
//
// Output: line 1 is {"cases": N, "problems": [...]}; then one line per case:
//   {"id", "name", "before": TEXT, "query": TEXT|null, "permissions": TEXT|null, "expect": {...},
//    "after": {name: {"data": [...], "serialNum": n}}, "keyOrder": bool}
// before/query/permissions are the exact JSON texts the JS wrapper would send (JSON.stringify),
// so the C side passes the same bytes; `after` is already resolved ("unchanged" = before).
// Time-travel cases (README.md) add what the JS API works out before it calls the engine:
//   "steps": [{"query": TEXT, "time": ms|absent, "cause": JSON (the commit's cause, as
//              database.js causeOf reads it from the query)} | {"undo"|"redo": true, "time",
//              "cause"} | {"revertTo": POINT, "time", "cause"} | {"setRetention": {...}}],
//   "call": the call with its points resolved and "time" in ms, or null,
//   "asOfTime": ms when the query reads asOf a time, "afterUnchanged": true when `after` is
//   "unchanged" and there are steps (then the state after the steps is compared),
// where a POINT is a seq or {"time": ms}; an `at` call's expected return is resolved like
// `after`.
// Must stay true: a case file that does not parse is reported in "problems" (test_engine then
// fails), never silently dropped; the file is always written, even when there are problems.

import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

const casesDir = dirname(fileURLToPath(import.meta.url));
const FIELDS = ['before', 'steps', 'query', 'call', 'permissions', 'expect', 'after', 'keyOrder'];
const REQUIRED = ['expect', 'after'];
const CALLS = ['at', 'rows', 'diff', 'history', 'changes', 'undo', 'redo', 'revertTo'];
const ID_SHAPE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*-\d+(\.\d+)+$/;

// One file -> raw cases {id, description, where, fields}; every odd line becomes a problem.
function readCases(text, file, problems) {
  const cases = [];
  let current = null;
  let field = null;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    const where = `${file}:${n + 1}`;
    if (line.startsWith('###')) {
      const m = /^### (\S+): (.+)$/.exec(line);
      current = m ? { id: m[1], description: m[2].trim(), where, fields: {} } : null;
      field = null;
      if (m) cases.push(current);
      else problems.push(`${where}: malformed case header`);
      continue;
    }
    if (line.startsWith('#')) { field = null; continue; }
    if (current === null) {
      if (line.trim() !== '') problems.push(`${where}: text outside a case`);
      continue;
    }
    const m = /^([A-Za-z]+):(.*)$/.exec(line);
    if (m) {
      field = m[1];
      if (!FIELDS.includes(field)) problems.push(`${where}: unknown field "${field}"`);
      if (Object.hasOwn(current.fields, field)) problems.push(`${where}: field "${field}" given twice`);
      current.fields[field] = m[2];
    } else if (line.trim() !== '') {
      if (field === null) problems.push(`${where}: continuation line without a field`);
      else current.fields[field] += '\n' + line;
    }
  }
  return cases;
}

const isDict = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// {"name": [docs]} or {"name": {"data", "serialNum"}} -> {name: {data, serialNum}}.
function collections(shorthand, serialsFrom) {
  const out = {};
  for (const [name, v] of Object.entries(shorthand)) {
    out[name] = Array.isArray(v)
      ? { data: v, serialNum: serialsFrom?.[name]?.serialNum ?? 0 }
      : { data: v.data, serialNum: v.serialNum ?? 0 };
  }
  return out;
}

// Adds className/version when absent, to the query and to each query of a transaction.
function withClass(q) {
  if (!isDict(q)) return q;
  const tx = Array.isArray(q.queries);
  const out = Object.hasOwn(q, 'className') ? { ...q }
    : { className: tx ? 'TransactionQuery' : 'Query', version: tx ? '1' : '7', ...q };
  if (tx) out.queries = q.queries.map(withClass);
  return out;
}

function permissionsFrom(shorthand) {
  const out = {};
  for (const [name, v] of Object.entries(shorthand)) {
    out[name] = Array.isArray(v) ? { className: 'Permission', version: '1', allows: v } : v;
  }
  return out;
}

function databaseText(colls) {
  const dict = { className: 'DeltaTraceDatabase', version: '16', collections: {} };
  for (const [name, { data, serialNum }] of Object.entries(colls)) {
    dict.collections[name] = { className: 'Collection', version: '17', data, serialNum };
  }
  return JSON.stringify(dict);
}

// A raw case -> the line object, or null (with problems recorded) when it cannot run.
function convert(raw, file, problems) {
  const where = `${raw.where} ${raw.id}`;
  if (!ID_SHAPE.test(raw.id)) problems.push(`${where}: malformed ID`);
  for (const f of REQUIRED) if (!Object.hasOwn(raw.fields, f)) problems.push(`${where}: missing field "${f}"`);
  if (Object.hasOwn(raw.fields, 'query') === Object.hasOwn(raw.fields, 'call')) problems.push(`${where}: give exactly one of "query" and "call"`);
  const json = (name) => {
    try { return JSON.parse(raw.fields[name]); } catch (e) {
      problems.push(`${where}: field "${name}" is not JSON (${e.message})`);
      return undefined;
    }
  };
  const has = (f) => Object.hasOwn(raw.fields, f);
  const before = has('before') ? json('before') : {};
  const query = has('query') ? json('query') : has('call') ? null : undefined;
  const steps = has('steps') ? json('steps') : [];
  const call = has('call') ? json('call') : null;
  if (!Array.isArray(steps) || !steps.every(isDict)) { problems.push(`${where}: "steps" must be a list of objects`); return null; }
  if (call !== null && !(isDict(call) && CALLS.some((k) => Object.hasOwn(call, k)))) { problems.push(`${where}: "call" must be an object with one of ${CALLS.join(', ')}`); return null; }
  const permissions = has('permissions') ? json('permissions') : undefined;
  const expect = has('expect') ? json('expect') : undefined;
  const unchanged = has('after') && raw.fields.after.trim() === 'unchanged';
  const after = !has('after') ? undefined : unchanged ? {} : json('after');
  const keyOrder = raw.fields.keyOrder?.trim();
  if (keyOrder !== undefined && keyOrder !== 'strict') problems.push(`${where}: keyOrder must be "strict"`);
  for (const [name, v] of [['before', before], ['after', after], ['expect', expect]]) {
    if (v !== undefined && !isDict(v)) problems.push(`${where}: "${name}" must be a JSON object`);
  }
  if ([before, query, expect, after].includes(undefined)) return null;
  if (permissions !== undefined && !isDict(permissions)) {
    problems.push(`${where}: "permissions" must be a JSON object`);
    return null;
  }
  const beforeColls = collections(before, null);
  const tt = timeTravelParts(steps, call, query, expect);
  return {
    ...tt,
    afterUnchanged: unchanged && steps.length > 0,
    id: raw.id,
    name: `${raw.id}: ${raw.description}`,
    before: databaseText(beforeColls),
    query: query === null ? null : JSON.stringify(withClass(query)),
    permissions: permissions === undefined ? null : JSON.stringify(permissionsFrom(permissions)),
    expect,
    after: unchanged ? beforeColls : collections(after, beforeColls),
    keyOrder: keyOrder === 'strict',
  };
}

/* A commit's cause as database.js causeOf reads it: the query's, or a transaction's first. */
function causeOf(q) {
  if (!isDict(q)) return null;
  if (q.cause) return q.cause;
  if (Array.isArray(q.queries)) return q.queries.find((x) => x?.cause)?.cause ?? null;
  return null;
}

/* A point in history: a seq stays a number, an ISO 8601 time becomes {"time": ms}. */
const point = (p) => (typeof p === 'string' ? { time: Date.parse(p) } : p);
const withTime = (x) => (x.time === undefined ? {} : { time: Date.parse(x.time) });

function timeTravelParts(steps, call, query, expect) {
  const out = {};
  if (steps.length) {
    out.steps = steps.map((st) => {
      if (Object.hasOwn(st, 'query')) return { query: JSON.stringify(withClass(st.query)), ...withTime(st), cause: causeOf(st.query) };
      if (Object.hasOwn(st, 'revertTo')) return { revertTo: point(st.revertTo), ...withTime(st), cause: st.cause ?? null };
      if (Object.hasOwn(st, 'undo') || Object.hasOwn(st, 'redo')) return { ...st, ...withTime(st), cause: st.cause ?? null };
      return st;
    });
  }
  if (call) {
    const c = { ...call, ...withTime(call), cause: call.cause ?? null };
    if (Object.hasOwn(c, 'at')) c.at = point(c.at);
    if (isDict(c.rows)) c.rows = { ...c.rows, at: point(c.rows.at) };
    if (Object.hasOwn(c, 'revertTo')) c.revertTo = point(c.revertTo);
    if (Array.isArray(c.diff)) c.diff = c.diff.map(point);
    out.call = c;
    if (Object.hasOwn(call, 'at') && isDict(expect?.return)) expect.return = collections(expect.return, null);
  }
  if (isDict(query) && isDict(query.asOf) && typeof query.asOf.time === 'string') out.asOfTime = Date.parse(query.asOf.time);
  return out;
}

function main() {
  const outPath = process.argv[2];
  if (!outPath) { console.error('usage: node tests/conformance/to-jsonl.mjs OUT.jsonl'); process.exit(2); }
  const problems = [];
  const lines = [];
  const firstSeen = new Map();
  const files = readdirSync(casesDir).filter((f) => f.endsWith('.test')).sort();
  if (files.length === 0) problems.push(`no *.test files in ${casesDir}`);
  for (const file of files) {
    for (const raw of readCases(readFileSync(join(casesDir, file), 'utf8'), file, problems)) {
      if (firstSeen.has(raw.id)) problems.push(`${raw.where}: duplicate ID ${raw.id} (first at ${firstSeen.get(raw.id)})`);
      else firstSeen.set(raw.id, raw.where);
      const line = convert(raw, file, problems);
      if (line) lines.push(JSON.stringify(line));
    }
  }
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, [JSON.stringify({ cases: lines.length, problems }), ...lines].join('\n') + '\n');
  console.log(`${outPath}: ${lines.length} cases${problems.length ? `, ${problems.length} problem(s)` : ''}`);
}

main();
