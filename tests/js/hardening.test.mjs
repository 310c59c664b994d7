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
      base: 'base', source: ['src'], relationKey: 'id', sourceKeys: ['id'], dslTmp: deepTemplate(3), output: 'out', serialBase: null, serialKey: null,
    },
  });
  assert.equal(r.isSuccess, true, r.errorMessage);
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
