/*
** hardening.test.mjs: regression tests for the limits and security defects of issue 10
** (items 1, 4-10, 13): write paths that built what readers refuse, names aliased through
** U+0000, permissions that failed open or were not asked for, regex scans without one
** budget per query, memory without a per-database budget, numbers cut to 32 bits or
** turned into null, and misuse that surfaced as raw TypeErrors.
**
** What must stay true: every refusal is a HindsightError with a code or a failed
** QueryResult, and leaves the database byte for byte as it was; nothing a caller may not
** read is reachable through any read path. Expected values come from the issue and the
** protocol reference, never from the engine's output. Run:
** node --test tests/js/hardening.test.mjs
*/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Database, HindsightError } from '../../js/index.js';
import { Engine } from '../../js/engine.js';
import { loadEngine } from '../../js/wasm-loader.js';
import { MemoryStore } from '../../js/stores/store.js';

/* A document nested `levels` deep, counted as the JSON readers count (a scalar is a level). */
function nested(levels) {
  let v = 'leaf';
  for (let i = 1; i < levels; i++) v = { d: v };
  return v;
}

/* A dslTmp that puts "base.doc" `levels` deep. */
function deepTemplate(levels) {
  let v = 'base.doc';
  for (let i = 1; i < levels; i++) v = { t: v };
  return v;
}

function assertHindsightError(fn, code, pattern, label) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof HindsightError, `${label ?? ''}: threw ${error?.name}: ${error?.message}`);
    if (code) assert.equal(error.code, code, label);
    if (pattern) assert.match(error.message, pattern, label);
    return true;
  });
}

/* ---- 1: no write builds a document a reader refuses ---- */

test('1: a merge that would nest deeper than 100 levels fails and changes nothing', async () => {
  const db = await Database.fromDict({ collections: { base: { data: [{ id: 1, doc: nested(98) }], serialNum: 0 }, src: { data: [], serialNum: 0 } } });
  const before = db.toJSONText();
  const r = db.executeQuery({
    type: 'merge', target: 'base', mergeQueryParams: {
      base: 'base', source: ['src'], relationKey: 'id', sourceKeys: ['id'], dslTmp: deepTemplate(90), output: 'out', serialBase: null, serialKey: null,
    },
  });
  assert.equal(r.isSuccess, false);
  assert.match(r.errorMessage, /deeper than 100/);
  assert.equal(db.toJSONText(), before);
  assert.equal(db.seq, 0);
});

test('1: everything a write accepted reads back through fromDict and a snapshot load', async () => {
  const store = new MemoryStore();
  const db = await Database.open({ storage: store, snapshotEvery: 1 });
  db.executeQuery({ type: 'add', target: 'base', addData: [{ id: 1, doc: nested(97) }] });
  db.executeQuery({ type: 'add', target: 'src', addData: [{ id: 2 }] });
  // The deepest merge output a reader accepts: the document itself is 100 levels.
  const r = db.executeQuery({
    type: 'merge', target: 'base', mergeQueryParams: {
      base: 'base', source: ['src'], relationKey: 'id', sourceKeys: ['id'], dslTmp: deepTemplate(4), output: 'out', serialBase: null, serialKey: null,
    },
  });
  assert.equal(r.isSuccess, true, r.errorMessage);
  // One level deeper: a write may refuse it, but whatever it accepts must read back below.
  db.executeQuery({
    type: 'merge', target: 'base', mergeQueryParams: {
      base: 'base', source: ['src'], relationKey: 'id', sourceKeys: ['id'], dslTmp: deepTemplate(5), output: 'out2', serialBase: null, serialKey: null,
    },
  });
  // Writes of every kind at the limit.
  for (const q of [
    { type: 'add', target: 'w', addData: [{ a: nested(99) }] },
    { type: 'update', target: 'w', queryNode: { type: 'equals_', field: 'z', value: null }, overrideData: { b: nested(99) }, mustAffectAtLeastOne: false },
    { type: 'conformToTemplate', target: 'w', template: { a: 1, b: 1, c: nested(99) } },
    { type: 'renameField', target: 'w', renameBefore: 'c', renameAfter: 'e' },
  ]) assert.equal(db.executeQuery(q).isSuccess, true, JSON.stringify(q).slice(0, 80));
  const text = db.toJSONText();
  const copy = await Database.fromDict(db.toDict());
  assert.equal(copy.toJSONText(), text);
  const imported = await Database.importHistory(db.exportHistory());
  assert.equal(imported.toJSONText(), text);
  await db.close();
  const reopened = await Database.open({ storage: store });
  assert.equal(reopened.toJSONText(), text);
  assert.deepEqual(reopened.stats().storageWarnings, []);
  await Promise.all([copy.close(), imported.close(), reopened.close()]);
});

/* ---- 5: permissions fail closed ---- */

const PROTECTED = { collections: { secret: { data: [{ id: 1 }], serialNum: 0 }, open: { data: [{ id: 2 }], serialNum: 0 } } };

test('5: permissions whose JSON form is not a map of Permission are refused, and clear does nothing', async () => {
  const db = await Database.fromDict(PROTECTED);
  const before = db.toJSONText();
  const bogus = [
    { toJSON: () => null },
    { toJSON: () => undefined },
    { toJSON: () => [] },
    { toJSON: () => 'secret' },
    { secret: null },
    { secret: { allows: 'clear' } },
    { secret: { allows: [1] } },
    { secret: 'clear' },
  ];
  for (const perms of bogus) {
    assertHindsightError(() => db.executeQueryObject({ type: 'clear', target: 'secret' }, perms), 'INVALID_ARGUMENT', /collectionPermissions/, String(perms.toJSON ?? JSON.stringify(perms)));
  }
  assert.equal(db.toJSONText(), before);
});

test('5: the engine refuses permissions text that is not an object instead of allowing everything', async () => {
  const engine = new Engine(await loadEngine());
  try {
    engine.fromDictText(JSON.stringify(PROTECTED));
    const before = engine.toDictText();
    for (const text of ['null', '[]', '"x"', '1', 'true', '{"secret": null}', '{"secret": {"allows": "clear"}}']) {
      assert.throws(() => engine.execute('{"type":"clear","target":"secret"}', text), /collectionPermissions/, text);
      assert.equal(engine.toDictText(), before, text);
    }
  } finally {
    engine.close();
  }
});

/* ---- 9: offset, limit and history bounds are not cut to 32 bits ---- */

test('9: offset and limit past 32 bits, or negative, are errors', async () => {
  const db = await Database.fromDict(PROTECTED);
  for (const extra of [{ offset: 2 ** 32 }, { limit: 2 ** 32 }, { offset: -1 }, { limit: -1 }, { offset: 2 ** 53 }]) {
    const r = db.executeQuery({ type: 'getAll', target: 'secret', ...extra });
    assert.equal(r.isSuccess, false, JSON.stringify(extra));
    assert.match(r.errorMessage, /^execute_query ArgumentError: '(offset|limit)' must be an integer/);
  }
});

test('9: history bounds outside 0..2^32-1 or not integers are errors', async () => {
  const db = await Database.open();
  db.executeQuery({ type: 'add', target: 't', addData: [{ a: 1 }] });
  db.executeQuery({ type: 'add', target: 't', addData: [{ a: 2 }] });
  for (const bounds of [{ from: 2 ** 32 + 1 }, { to: -1 }, { from: NaN }, { to: NaN }, { from: 1.5 }, { to: 2 ** 32 }, { from: '1' }]) {
    assertHindsightError(() => db.history('t', null, bounds), 'INVALID_ARGUMENT', /history: (from|to)/, String(Object.entries(bounds)));
  }
  assert.equal(db.history('t', null, { from: 2 }).length, 1);
  assertHindsightError(() => db.history('t', null, null), 'INVALID_ARGUMENT');
});

/* ---- 10: non-finite numbers in a raw query dict ---- */

test('10: NaN and Infinity anywhere in a raw query are errors, and a delete of score == NaN deletes nothing', async () => {
  const db = await Database.fromDict({ collections: { t: { data: [{ id: 1, score: null }, { id: 2 }, { id: 3, score: 5 }], serialNum: 0 } } });
  const before = db.toJSONText();
  const queries = [
    { type: 'delete', target: 't', queryNode: { type: 'equals_', field: 'score', value: NaN } },
    { type: 'delete', target: 't', queryNode: { type: 'or_', conditions: [{ type: 'equals_', field: 'score', value: -Infinity }] } },
    { type: 'add', target: 't', addData: [{ id: 4, score: Infinity }] },
    { type: 'update', target: 't', queryNode: { type: 'equals_', field: 'id', value: 1 }, overrideData: { score: [1, NaN] } },
    { type: 'getAll', target: 't', limit: Infinity },
    // A real null beside the NaN: the text holds "null", so the walk runs and finds the NaN.
    { type: 'update', target: 't', queryNode: { type: 'equals_', field: 'score', value: null }, overrideData: { score: NaN } },
    { type: 'search', target: 't', queryNode: { type: 'equals_', field: 'score', value: { toJSON: () => Infinity } } },
    { className: 'TransactionQuery', queries: [{ type: 'delete', target: 't', queryNode: { type: 'equals_', field: 'score', value: NaN } }] },
  ];
  for (const q of queries) assertHindsightError(() => db.executeQuery(q), 'INVALID_ARGUMENT', /not a finite number/, JSON.stringify(q));
  assert.equal(db.toJSONText(), before);
});

/* ---- 13: misuse is a HindsightError with a code ---- */

test('13: setRetention(null), a toJSON that returns undefined and a build() that throws are HindsightErrors', async () => {
  const db = await Database.open();
  for (const bad of [null, 5, 'x']) assertHindsightError(() => db.setRetention(bad), 'INVALID_ARGUMENT', /setRetention/);
  assertHindsightError(() => db.executeQuery({ toJSON: () => undefined }), 'INVALID_ARGUMENT');
  assertHindsightError(() => db.executeQuery({ toJSON: () => null }), 'INVALID_ARGUMENT');
  assertHindsightError(() => db.executeQuery({ build: () => { throw new TypeError('broken builder'); } }), 'INVALID_ARGUMENT', /broken builder/);
  assertHindsightError(() => db.executeQuery({ toJSON: () => { throw new RangeError('no'); } }), 'INVALID_ARGUMENT', /no/);
  assert.equal(db.seq, 0);
});

/* ---- 4: U+0000 never makes one name alias another ---- */

test('4: a name with U+0000 never reaches the name it starts with', async () => {
  const db = await Database.fromDict({ collections: { 'notes:bob': { data: [{ text: 'private', 'k\u0000': 1 }], serialNum: 0 } } });
  const before = db.toJSONText();
  const nul = 'notes:bob\u0000';
  const own = { [nul]: { allows: ['getAll', 'search', 'clear', 'add', 'renameField', 'merge'] } };
  for (const q of [{ type: 'getAll', target: nul }, { type: 'clear', target: nul }]) {
    const r = db.executeQueryObject(q, own);
    assert.equal(r.isSuccess, false, q.type);
    assert.deepEqual(r.result, []);
    assert.match(r.errorMessage, /U\+0000/);
  }
  // A permission key with U+0000 never grants the shorter name.
  assertHindsightError(() => db.executeQueryObject({ type: 'clear', target: 'notes:bob' }, own), 'INVALID_ARGUMENT', /U\+0000/);
  for (const q of [
    { type: 'renameField', target: 'notes:bob', renameBefore: 'text\u0000', renameAfter: 'x' },
    { type: 'add', target: 'notes:bob', addData: [{ a: 1 }], serialKey: 'a\u0000' },
    { type: 'merge', target: 'notes:bob', mergeQueryParams: { base: 'notes:bob', source: [], relationKey: 'text', sourceKeys: [], dslTmp: { t: 'base.text' }, output: 'copy\u0000', serialBase: null, serialKey: null } },
  ]) {
    const r = db.executeQuery(q);
    assert.equal(r.isSuccess, false, q.type);
    assert.match(r.errorMessage, /U\+0000/);
  }
  assertHindsightError(() => db.history(nul), 'INVALID_ARGUMENT', /U\+0000/);
  // Field names inside documents and nodes stay whole: 'k' is not 'k\u0000'.
  assert.deepEqual(db.executeQuery({ type: 'search', target: 'notes:bob', queryNode: { type: 'equals_', field: 'k', value: 1 } }).result, []);
  assert.equal(db.executeQuery({ type: 'search', target: 'notes:bob', queryNode: { type: 'equals_', field: 'k\u0000', value: 1 } }).result.length, 1);
  assert.equal(db.toJSONText(), before);
  await assert.rejects(Database.fromDict({ collections: { a: { data: [] }, 'a\u0000': { data: [{ x: 1 }] } } }), (e) => e instanceof HindsightError && /U\+0000/.test(e.message));
});

/* ---- 7: one regex budget per query ---- */

/* Runs a regex_ search over docs and returns [milliseconds, result]. */
async function timedRegexSearch(docs, pattern) {
  const db = await Database.fromDict({ collections: { t: { data: docs, serialNum: 0 } } });
  const t0 = performance.now();
  const r = db.executeQuery({ type: 'search', target: 't', queryNode: { type: 'regex_', field: 's', pattern } });
  const ms = performance.now() - t0;
  await db.close();
  return [ms, r];
}

const aaa = (n) => Array.from({ length: n }, (_, i) => ({ s: `${'a'.repeat(20 + (i % 11))}!` }));
const pathologicalCases = [
  ['^(?=a)(a+)+$ over 2,000 docs of 20-30 a + !', aaa(2000), '^(?=a)(a+)+$'],
  ['^(?=a)(a+)+$ over 100,000 docs', aaa(100000), '^(?=a)(a+)+$'],
  ['(?:a?){500}a{500} over 10,000 docs of 300 chars', Array.from({ length: 10000 }, () => ({ s: 'a'.repeat(300) })), '(?:a?){500}a{500}'],
  ['(?:a?){500}a{500} over 100,000 docs of 300 chars', Array.from({ length: 100000 }, () => ({ s: 'a'.repeat(300) })), '(?:a?){500}a{500}'],
];
for (const [label, docs, pattern] of pathologicalCases) {
  /* The engine's guarantee is a step budget, which takes about a second here; the wall-clock
     bound is ten times that, so a loaded machine does not fail it, while a backtracking blow-up
     (which runs for hours on these inputs) still does. */
  test(`7: ${label} fails (or finishes) within the regex budget`, async () => {
    const [ms, r] = await timedRegexSearch(docs, pattern);
    if (!r.isSuccess) assert.match(r.errorMessage, /regex budget/);
    assert.ok(ms < 15000, `${label}: took ${ms.toFixed(0)} ms`);
    console.log(`# ${label}: ${r.isSuccess ? 'finished' : 'failed'} in ${ms.toFixed(0)} ms`);
  });
}

test('7: an ordinary regex over 100,000 documents still answers', async () => {
  const docs = Array.from({ length: 100000 }, (_, i) => ({ s: `user-${i}@example.org, joined ${2000 + (i % 25)}-01-01` }));
  const [ms, r] = await timedRegexSearch(docs, '^user-\\d*7@example\\.(org|com), joined 20(0|1)\\d');
  assert.equal(r.isSuccess, true, r.errorMessage);
  assert.equal(r.result.length, docs.filter((d) => /^user-\d*7@example\.(org|com), joined 20(0|1)\d/.test(d.s)).length);
  console.log(`# ordinary regex over 100,000 docs: ${ms.toFixed(0)} ms`);
});

/* ---- 8: a memory budget per database ---- */

/* The "single 10 KB update": every document gets the same 10 KB value, so the
   update's output is documents x 10 KB. */
function multiplyingUpdate() {
  return { type: 'update', target: 't', queryNode: { type: 'greaterThanOrEqual_', field: 'id', value: 0 }, overrideData: { big: 'x'.repeat(10000) } };
}
const manyDocs = (n) => ({ collections: { t: { data: Array.from({ length: n }, (_, id) => ({ id })), serialNum: 0 } } });

test('8: an update past maxMemoryMB fails with NOMEM, changes nothing, and other databases keep working', async () => {
  const other = await Database.fromDict(manyDocs(100), { maxMemoryMB: 64 });
  const db = await Database.fromDict(manyDocs(20000), { maxMemoryMB: 64 });   // 20,000 x 10 KB = 200 MB
  const before = db.toJSONText();
  assertHindsightError(() => db.executeQuery(multiplyingUpdate()), 'NOMEM', /out of memory/);
  assert.equal(db.toJSONText(), before);
  assert.equal(db.seq, 0);
  // The same in a transaction: the same error and code, not "Transaction failed".
  assertHindsightError(() => db.executeQuery({ className: 'TransactionQuery', queries: [multiplyingUpdate()] }), 'NOMEM', /out of memory/);
  assert.equal(db.toJSONText(), before);
  // Both databases still answer, and the other one can write.
  assert.equal(db.executeQuery({ type: 'count', target: 't' }).hitCount, 20000);
  const r = other.executeQuery(multiplyingUpdate());
  assert.equal(r.isSuccess, true, r.errorMessage);
  assert.equal(other.executeQuery({ type: 'getAll', target: 't' }).result[5].big.length, 10000);
  await Promise.all([db.close(), other.close()]);
});

test('8: without maxMemoryMB the default budget (1024 MB) still stops a runaway update', async () => {
  const db = await Database.fromDict(manyDocs(120000));   // 120,000 x 10 KB = 1.2 GB
  const other = await Database.fromDict(manyDocs(10));
  assertHindsightError(() => db.executeQuery(multiplyingUpdate()), 'NOMEM');
  assert.equal(db.seq, 0);
  assert.equal(other.executeQuery(multiplyingUpdate()).isSuccess, true);
  assert.equal(other.toDict().collections.t.data.length, 10);
  await Promise.all([db.close(), other.close()]);
});

test('8: maxMemoryMB must be an integer from 1 to 2048', async () => {
  for (const bad of [0, -1, 1.5, NaN, 4096, '64']) {
    await assert.rejects(Database.open({ maxMemoryMB: bad }), (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT', String(bad));
  }
});

/* ---- 6: views and the time-travel API take collectionPermissions ---- */

/* A history touching 'secret' and 'open'; the caller may read and replace only 'open'. */
async function twoTenantHistory() {
  const db = await Database.open();
  db.executeQuery({ type: 'add', target: 'secret', addData: [{ pin: 1234 }] });        // 1
  db.executeQuery({ type: 'add', target: 'open', addData: [{ note: 'hello' }] });      // 2
  db.executeQuery({ type: 'update', target: 'secret', queryNode: { type: 'equals_', field: 'pin', value: 1234 }, overrideData: { pin: 9999 } }); // 3
  db.executeQuery({ type: 'add', target: 'open', addData: [{ note: 'again' }] });      // 4
  db.revertTo(2);                                                                      // 5: changes both
  return db;
}
const OPEN_ONLY = { open: { allows: ['search', 'getAll', 'clearAdd'] } };
const leaks = (value) => /pin|secret|1234|9999/.test(JSON.stringify(value));

test('6: views, history, diff, commits and toDict-at show nothing the caller may not read', async () => {
  const db = await twoTenantHistory();
  const view = db.at(3);
  assert.equal(typeof view.executeQueryObject, 'function');
  const denied = view.executeQueryObject({ type: 'getAll', target: 'secret' }, OPEN_ONLY);
  assert.equal(denied.isSuccess, false);
  assert.deepEqual(denied.result, []);
  assert.equal(view.executeQueryObject({ type: 'getAll', target: 'open' }, OPEN_ONLY).result.length, 1);
  assert.ok(!leaks(view.toDict({ collectionPermissions: OPEN_ONLY })));
  assert.deepEqual(Object.keys(view.toDict({ collectionPermissions: OPEN_ONLY }).collections), ['open']);
  assertHindsightError(() => db.history('secret', null, { collectionPermissions: OPEN_ONLY }), 'INVALID_ARGUMENT', /not permitted/);
  assert.equal(db.history('open', null, { collectionPermissions: OPEN_ONLY }).length, 3);
  const d = db.diff(0, 5, { collectionPermissions: OPEN_ONLY });
  assert.ok(!leaks(d));
  assert.deepEqual(Object.keys(d), ['open']);
  const visible = db.commits({ collectionPermissions: OPEN_ONLY });
  assert.ok(!leaks(visible), JSON.stringify(visible));
  assert.deepEqual(visible.map((c) => c.seq), [2, 4]);
  // A permission key must not reach anything through bad permissions either.
  assertHindsightError(() => db.diff(0, 5, { collectionPermissions: { toJSON: () => null } }), 'INVALID_ARGUMENT');
  // Without permissions everything is still there.
  assert.ok(leaks(db.diff(0, 5)));
});

test('6: revertTo, undo and fork need permission on every collection they touch', async () => {
  const db = await twoTenantHistory();
  const before = db.toJSONText(), seq = db.seq;
  assertHindsightError(() => db.revertTo(3, null, { collectionPermissions: OPEN_ONLY }), 'INVALID_ARGUMENT', /not permitted.*secret/);
  assertHindsightError(() => db.undo(null, { collectionPermissions: OPEN_ONLY }), 'INVALID_ARGUMENT', /not permitted.*secret/);
  assertHindsightError(() => db.fork(3, { collectionPermissions: OPEN_ONLY }), 'INVALID_ARGUMENT', /not permitted.*secret/);
  assert.equal(db.toJSONText(), before);
  assert.equal(db.seq, seq);
  // A revert that only changes readable-and-replaceable collections is allowed.
  db.executeQuery({ type: 'add', target: 'open', addData: [{ note: 'third' }] });
  assert.equal(db.undo(null, { collectionPermissions: OPEN_ONLY }), seq + 2);
  assert.equal(db.revertTo(seq + 1, null, { collectionPermissions: OPEN_ONLY }), seq + 3);
  // With read permission on everything, fork works.
  const all = { open: { allows: ['getAll'] }, secret: { allows: ['search'] } };
  const copy = db.fork(3, { collectionPermissions: all });
  assert.equal(copy.seq, 3);
  await copy.close();
});

test('8: results read and released do not count against the budget afterwards', async () => {
  // 100 reads of a 3 MB result under a 64 MB budget: each result is freed after reading.
  const db = await Database.fromDict({ collections: { t: { data: Array.from({ length: 300 }, (_, id) => ({ id, s: 'y'.repeat(10000) })), serialNum: 0 } } }, { maxMemoryMB: 64 });
  for (let i = 0; i < 100; i++) assert.equal(db.executeQuery({ type: 'getAll', target: 't' }).result.length, 300);
  assert.equal(db.toDict().collections.t.data.length, 300);
  await db.close();
});
