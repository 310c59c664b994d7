/*
** database.test.mjs: the public Database API against the real hindsight.wasm.
**
** Covers: open/fromDict/fromJSONText/toDict round trips (serialNum and document key
** order included) and their INVALID_ARGUMENT errors; executeQuery with dicts, build()
** output and builder objects, and the exact QueryResult key order; executeQueryObject
** with transactions (commit and rollback) and collectionPermissions; listeners
** (protocol reference §11); close(); independence of two databases; memoryUsage();
** a 20,000-document round trip.
** Expected values come from reference/deltatracedb-protocol.md and ARCHITECTURE.md,
** never from the engine's output. Key order is checked by comparing JSON.stringify
** texts, because assert.deepStrictEqual ignores it.
** Run: node --test tests/js/database.test.mjs
*/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Database, HindsightError, QueryBuilder, RawQueryBuilder, TransactionQuery, Permission,
  FieldEquals,
} from '../../js/index.js';

const RESULT_KEYS = ['className', 'version', 'isSuccess', 'target', 'type', 'result',
  'dbLength', 'updateCount', 'hitCount', 'errorMessage'];

const NOT_PERMITTED = 'Operation not permitted.';

/* A DeltaTraceDatabase dict written out in full, with awkward key orders and values. */
function sampleDict() {
  return {
    className: 'DeltaTraceDatabase',
    version: '16',
    collections: {
      users: {
        className: 'Collection',
        version: '17',
        data: [
          { zeta: 1, alpha: 'A', mid: { y: 2, b: [3, { k: null }] } },
          { id: 7, name: 'Bob', tags: [], extra: {}, ok: true, no: false, nothing: null, f: 2.5 },
        ],
        serialNum: 42,
      },
      empty: { className: 'Collection', version: '17', data: [], serialNum: 0 },
      aaa: { className: 'Collection', version: '17', data: [{ b: 1, a: 2 }], serialNum: 3 },
    },
  };
}

/* Compares values and key order. */
function assertSameJson(actual, expected, message) {
  assert.equal(JSON.stringify(actual), JSON.stringify(expected), message);
}

function assertHindsightError(fn, code) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof HindsightError, `expected HindsightError, got ${error}`);
    assert.equal(error.code, code);
    return true;
  });
}

async function assertRejectsWith(promiseFactory, code) {
  await assert.rejects(promiseFactory, (error) => {
    assert.ok(error instanceof HindsightError, `expected HindsightError, got ${error}`);
    assert.equal(error.code, code);
    return true;
  });
}

async function withUsers(docs = [{ id: 1, name: 'A' }, { id: 2, name: 'B' }], options = {}) {
  return Database.fromDict({ collections: { users: { data: docs, serialNum: 0 } } }, options);
}

/*{==== open, fromDict, fromJSONText, toDict ====*/

test('Database.open() gives an empty database', async () => {
  const db = await Database.open();
  assertSameJson(db.toDict(), { className: 'DeltaTraceDatabase', version: '16', collections: {} });
  assert.equal(db.closed, false);
  await db.close();
});

test('fromDict round-trips toDict exactly, serialNum and key order included', async () => {
  const dict = sampleDict();
  const db = await Database.fromDict(dict);
  assertSameJson(db.toDict(), dict);
  assertSameJson(JSON.parse(db.toJSONText()), dict);
  // The input is not kept by reference: changing it later changes nothing.
  dict.collections.users.data[0].zeta = 999;
  assert.equal(db.toDict().collections.users.data[0].zeta, 1);
  await db.close();
});

test('fromJSONText round-trips, and a second round trip gives the same text', async () => {
  const text = JSON.stringify(sampleDict());
  const db = await Database.fromJSONText(text);
  assertSameJson(db.toDict(), sampleDict());
  const again = await Database.fromJSONText(db.toJSONText());
  assert.equal(again.toJSONText(), db.toJSONText());
  await db.close();
  await again.close();
});

test('fromDict applies the Python defaults: missing serialNum is 0, missing data is []', async () => {
  const db = await Database.fromDict({ collections: { a: { data: [{ x: 1 }] }, b: { serialNum: 5 } } });
  const { collections } = db.toDict();
  assert.deepEqual(collections.a.data, [{ x: 1 }]);
  assert.equal(collections.a.serialNum, 0);
  assert.deepEqual(collections.b.data, []);
  assert.equal(collections.b.serialNum, 5);
  await db.close();
});

test('the serial counter restored by fromDict continues where it was', async () => {
  const db = await Database.fromDict(sampleDict());
  const r = db.executeQuery(QueryBuilder.add({ target: 'users', addData: [{ id: -1 }], serialKey: 'id', returnData: true }).build());
  assert.equal(r.isSuccess, true);
  assert.deepEqual(r.result, [{ id: 42 }]);
  assert.equal(db.toDict().collections.users.serialNum, 43);
  await db.close();
});

test('fromDict and fromJSONText reject bad input with INVALID_ARGUMENT and change nothing', async () => {
  const witness = await Database.fromDict(sampleDict());
  const witnessText = witness.toJSONText();
  const heapBefore = witness.memoryUsage().heapUsed;
  const badDicts = [
    { collections: [] },
    { collections: 'users' },
    { collections: null },
    { collections: { users: { data: { a: 1 } } } },
    { collections: { users: { data: 'x' } } },
    { collections: { users: { data: [{ a: 1 }, 5] } } },
    { collections: { users: { data: [null] } } },
    { collections: { users: { data: [[{ a: 1 }]] } } },
    { collections: { users: { data: ['text'] } } },
    { collections: { users: [{ a: 1 }] } },
    { collections: { good: { data: [{ a: 1 }] }, bad: { data: [true] } } },
  ];
  for (const bad of badDicts) {
    await assertRejectsWith(() => Database.fromDict(bad), 'INVALID_ARGUMENT');
  }
  await assertRejectsWith(() => Database.fromDict(null), 'INVALID_ARGUMENT');
  await assertRejectsWith(() => Database.fromDict('{}'), 'INVALID_ARGUMENT');
  for (const text of ['{"collections":', '', 'not json', '{"collections":{"u":{"data":[{"a":1,}]}}}', '[1,2']) {
    await assertRejectsWith(() => Database.fromJSONText(text), 'INVALID_ARGUMENT');
  }
  await assertRejectsWith(() => Database.fromJSONText(42), 'INVALID_ARGUMENT');
  await assertRejectsWith(() => Database.fromJSONText(null), 'INVALID_ARGUMENT');
  assert.equal(witness.toJSONText(), witnessText);
  // Each failure frees what it built: repeated failures do not grow the shared heap.
  for (let i = 0; i < 50; i++) {
    await Database.fromDict({ collections: { users: { data: [{ a: i }, 5] } } }).catch(() => {});
  }
  assert.ok(witness.memoryUsage().heapUsed - heapBefore < 64 * 1024, 'failed fromDict calls leak memory');
  await witness.close();
});

test('fromJSONText rejects text with trailing garbage after the dict', async () => {
  // JSON.parse refuses it, and fromJSONText promises the same result as fromDict(JSON.parse(text)).
  assert.throws(() => JSON.parse('{"collections":{}} x'));
  await assertRejectsWith(() => Database.fromJSONText('{"collections":{}} x'), 'INVALID_ARGUMENT');
  await assertRejectsWith(() => Database.fromJSONText('{"collections":{}}}'), 'INVALID_ARGUMENT');
});

/*}====*/
/*{==== executeQuery ====*/

test('executeQuery accepts a plain dict, build() output and a builder object alike', async () => {
  const db = await Database.open();
  const plain = { className: 'Query', version: '7', target: 'users', type: 'add', addData: [{ n: 1 }] };
  const built = QueryBuilder.add({ target: 'users', addData: [{ n: 2 }] }).build();
  const builder = QueryBuilder.add({ target: 'users', addData: [{ n: 3 }] });
  const raw = RawQueryBuilder.add({ target: 'users', rawAddData: [{ n: 4 }] });
  for (const [i, query] of [plain, built, builder, raw].entries()) {
    const r = db.executeQuery(query);
    assert.equal(r.isSuccess, true, `query ${i}: ${r.errorMessage}`);
    assert.equal(r.dbLength, i + 1);
  }
  const all = db.executeQuery(QueryBuilder.getAll({ target: 'users' }));
  assert.deepEqual(all.result, [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
  const found = db.executeQuery(QueryBuilder.search({ target: 'users', queryNode: new FieldEquals('n', 3) }));
  assert.deepEqual(found.result, [{ n: 3 }]);
  await db.close();
});

test('a QueryResult has exactly the protocol keys, in order, with the right values', async () => {
  const db = await withUsers();
  const count = db.executeQuery(QueryBuilder.count({ target: 'users' }));
  assert.deepEqual(Object.keys(count), RESULT_KEYS);
  assertSameJson(count, {
    className: 'QueryResult', version: '6', isSuccess: true, target: 'users', type: 'count',
    result: [], dbLength: 2, updateCount: 0, hitCount: 2, errorMessage: null,
  });
  const add = db.executeQuery(QueryBuilder.add({ target: 'users', addData: [{ id: 3 }], returnData: true }));
  assertSameJson(add, {
    className: 'QueryResult', version: '6', isSuccess: true, target: 'users', type: 'add',
    result: [{ id: 3 }], dbLength: 3, updateCount: 1, hitCount: 0, errorMessage: null,
  });
  const failed = db.executeQuery(QueryBuilder.delete({ target: 'users', queryNode: new FieldEquals('id', 99) }));
  assert.deepEqual(Object.keys(failed), RESULT_KEYS);
  assertSameJson(failed, {
    className: 'QueryResult', version: '6', isSuccess: false, target: 'users', type: 'delete',
    result: [], dbLength: 3, updateCount: 0, hitCount: 0,
    errorMessage: 'No data matched the condition (mustAffectAtLeastOne=True)',
  });
  await db.close();
});

test('results are fresh objects: changing one does not change the database', async () => {
  const db = await withUsers();
  const r = db.executeQuery(QueryBuilder.getAll({ target: 'users' }));
  r.result[0].name = 'changed';
  assert.equal(db.executeQuery(QueryBuilder.getAll({ target: 'users' })).result[0].name, 'A');
  await db.close();
});

/*}====*/
/*{==== executeQueryObject: transactions and permissions ====*/

test('a TransactionQuery (class or dict) commits every query and returns every result', async () => {
  const db = await withUsers();
  const queries = [
    QueryBuilder.add({ target: 'users', addData: [{ id: 3, name: 'C' }] }),
    QueryBuilder.update({ target: 'users', queryNode: new FieldEquals('id', 1), overrideData: { name: 'A2' } }),
    QueryBuilder.add({ target: 'logs', addData: [{ msg: 'x' }] }),
  ];
  const r = db.executeQueryObject(new TransactionQuery({ queries }));
  assert.deepEqual(Object.keys(r), ['className', 'version', 'isSuccess', 'results', 'errorMessage']);
  assert.equal(r.className, 'TransactionQueryResult');
  assert.equal(r.version, '3');
  assert.equal(r.isSuccess, true);
  assert.equal(r.errorMessage, null);
  assert.deepEqual(r.results.map((x) => [x.type, x.target, x.isSuccess, x.dbLength, x.updateCount]), [
    ['add', 'users', true, 3, 1], ['update', 'users', true, 3, 1], ['add', 'logs', true, 1, 1],
  ]);
  assert.deepEqual(db.toDict().collections.users.data, [{ id: 1, name: 'A2' }, { id: 2, name: 'B' }, { id: 3, name: 'C' }]);
  assert.deepEqual(db.toDict().collections.logs.data, [{ msg: 'x' }]);

  const asDict = {
    className: 'TransactionQuery', version: '1',
    queries: [QueryBuilder.delete({ target: 'logs', queryNode: new FieldEquals('msg', 'x') }).build()],
  };
  const r2 = db.executeQueryObject(asDict);
  assert.equal(r2.isSuccess, true);
  assert.equal(r2.results.length, 1);
  assert.deepEqual(db.toDict().collections.logs.data, []);
  // executeQuery takes a transaction too.
  const r3 = db.executeQuery(new TransactionQuery({ queries: [QueryBuilder.add({ target: 'logs', addData: [{ msg: 'y' }] })] }));
  assert.equal(r3.className, 'TransactionQueryResult');
  assert.equal(r3.isSuccess, true);
  await db.close();
});

test('a failed transaction rolls back everything and removes collections it created', async () => {
  const db = await withUsers();
  const before = db.toJSONText();
  const queries = [
    QueryBuilder.add({ target: 'users', addData: [{ id: -1 }], serialKey: 'id' }),
    QueryBuilder.clear({ target: 'users' }),
    QueryBuilder.add({ target: 'brandNew', addData: [{ a: 1 }] }),
    QueryBuilder.update({ target: 'users', queryNode: new FieldEquals('id', 404), overrideData: { x: 1 } }),
  ];
  for (const tx of [new TransactionQuery({ queries }), new TransactionQuery({ queries }).toDict()]) {
    const r = db.executeQueryObject(tx);
    assertSameJson(r, {
      className: 'TransactionQueryResult', version: '3', isSuccess: false, results: [], errorMessage: 'Transaction failed',
    });
    assert.equal(db.toJSONText(), before);
    assert.equal('brandNew' in db.toDict().collections, false);
  }
  const notAllowed = new TransactionQuery({ queries: [QueryBuilder.add({ target: 'users', addData: [{ id: 9 }] }),
    QueryBuilder.removeCollection({ target: 'users' })] });
  const r = db.executeQueryObject(notAllowed);
  assert.equal(r.isSuccess, false);
  assert.equal(r.errorMessage, 'The query contains a type that is not permitted to be executed within a transaction.');
  assert.equal(db.toJSONText(), before);
  await db.close();
});

test('collectionPermissions: Permission instances and plain dicts allow and deny', async () => {
  const db = await withUsers();
  const before = db.toJSONText();
  const search = QueryBuilder.search({ target: 'users', queryNode: new FieldEquals('id', 1) });
  const add = QueryBuilder.add({ target: 'users', addData: [{ id: 3 }] });
  const asInstance = { users: new Permission(['search', 'count']) };
  const asDict = { users: { className: 'Permission', version: '1', allows: ['search', 'count'] } };
  for (const perms of [asInstance, asDict]) {
    const allowed = db.executeQueryObject(search, perms);
    assert.equal(allowed.isSuccess, true);
    assert.deepEqual(allowed.result, [{ id: 1, name: 'A' }]);
    const denied = db.executeQueryObject(add, perms);
    assertSameJson(denied, {
      className: 'QueryResult', version: '6', isSuccess: false, target: 'users', type: 'add', result: [],
      dbLength: -1, updateCount: 0, hitCount: 0, errorMessage: NOT_PERMITTED,
    });
    assert.equal(db.toJSONText(), before);
    // A collection missing from the map is denied, and the denial creates nothing.
    const other = db.executeQueryObject(QueryBuilder.count({ target: 'other' }), perms);
    assert.equal(other.errorMessage, NOT_PERMITTED);
    assert.equal(other.dbLength, -1);
    assert.equal('other' in db.toDict().collections, false);
  }
  // {} denies everything, reads included.
  for (const q of [search, add, QueryBuilder.count({ target: 'users' }), QueryBuilder.getAll({ target: 'users' })]) {
    const r = db.executeQueryObject(q, {});
    assert.equal(r.isSuccess, false);
    assert.equal(r.errorMessage, NOT_PERMITTED);
    assert.equal(r.dbLength, -1);
  }
  // No permissions argument (undefined or null) allows everything.
  assert.equal(db.executeQueryObject(add).isSuccess, true);
  assert.equal(db.executeQueryObject(QueryBuilder.count({ target: 'users' }), null).dbLength, 3);
  await db.close();
});

test('a transaction with a denied query fails as a whole and changes nothing', async () => {
  const db = await withUsers();
  const before = db.toJSONText();
  const tx = new TransactionQuery({ queries: [
    QueryBuilder.add({ target: 'users', addData: [{ id: 3 }] }),
    QueryBuilder.add({ target: 'logs', addData: [{ m: 1 }] }),
  ] });
  const r = db.executeQueryObject(tx, { users: new Permission(['add']) });
  assert.equal(r.isSuccess, false);
  assert.deepEqual(r.results, []);
  assert.equal(db.toJSONText(), before);
  const ok = db.executeQueryObject(tx, { users: new Permission(['add']), logs: { allows: ['add'] } });
  assert.equal(ok.isSuccess, true);
  assert.equal(db.toDict().collections.logs.data.length, 1);
  await db.close();
});

/*}====*/
/*{==== listeners ====*/

/* Counts calls per listener name, so a test can assert exactly which fired. */
function makeCounter() {
  const calls = [];
  return { calls, listener: (name) => () => calls.push(name) };
}

test('listeners fire after successful add, clearAdd, clear, conformToTemplate and renameField', async () => {
  const db = await withUsers();
  const { calls, listener } = makeCounter();
  db.addListener('users', listener('u'));
  db.addListener('other', listener('o'));
  const writes = [
    QueryBuilder.add({ target: 'users', addData: [{ id: 3, name: 'C' }] }),
    QueryBuilder.conformToTemplate({ target: 'users', template: { id: 0, name: '', age: 0 } }),
    QueryBuilder.renameField({ target: 'users', renameBefore: 'age', renameAfter: 'years' }),
    QueryBuilder.clearAdd({ target: 'users', addData: [{ id: 10 }] }),
    QueryBuilder.clear({ target: 'users' }),
  ];
  for (const [i, q] of writes.entries()) {
    const r = db.executeQuery(q);
    assert.equal(r.isSuccess, true, `${q.type}: ${r.errorMessage}`);
    assert.equal(calls.length, i + 1, `after ${q.type}`);
  }
  assert.deepEqual(calls, ['u', 'u', 'u', 'u', 'u']);
  // clear of an already empty collection still notifies when it succeeds.
  assert.equal(db.executeQuery(QueryBuilder.clear({ target: 'users', mustAffectAtLeastOne: false })).isSuccess, true);
  assert.equal(calls.length, 6);
  await db.close();
});

test('update, updateOne, delete and deleteOne notify only when something changed', async () => {
  const db = await withUsers();
  const { calls, listener } = makeCounter();
  db.addListener('users', listener('u'));
  const none = new FieldEquals('id', 404);
  const noChange = [
    QueryBuilder.update({ target: 'users', queryNode: none, overrideData: { x: 1 }, mustAffectAtLeastOne: false }),
    QueryBuilder.updateOne({ target: 'users', queryNode: none, overrideData: { x: 1 }, mustAffectAtLeastOne: false }),
    QueryBuilder.delete({ target: 'users', queryNode: none, mustAffectAtLeastOne: false }),
    QueryBuilder.deleteOne({ target: 'users', queryNode: none, mustAffectAtLeastOne: false }),
  ];
  for (const q of noChange) {
    const r = db.executeQuery(q);
    assert.equal(r.isSuccess, true);
    assert.equal(r.updateCount, 0);
  }
  assert.equal(calls.length, 0);
  const one = new FieldEquals('id', 1);
  const changes = [
    QueryBuilder.update({ target: 'users', queryNode: one, overrideData: { x: 1 } }),
    QueryBuilder.updateOne({ target: 'users', queryNode: one, overrideData: { x: 2 } }),
    QueryBuilder.deleteOne({ target: 'users', queryNode: one }),
    QueryBuilder.delete({ target: 'users', queryNode: new FieldEquals('id', 2) }),
  ];
  for (const [i, q] of changes.entries()) {
    assert.equal(db.executeQuery(q).isSuccess, true);
    assert.equal(calls.length, i + 1, `after ${q.type}`);
  }
  await db.close();
});

test('reads and failed writes never notify', async () => {
  const db = await withUsers();
  const { calls, listener } = makeCounter();
  db.addListener('users', listener('u'));
  const reads = [
    QueryBuilder.search({ target: 'users', queryNode: new FieldEquals('id', 1) }),
    QueryBuilder.searchOne({ target: 'users', queryNode: new FieldEquals('id', 1) }),
    QueryBuilder.getAll({ target: 'users' }),
    QueryBuilder.count({ target: 'users' }),
  ];
  for (const q of reads) assert.equal(db.executeQuery(q).isSuccess, true);
  const failures = [
    QueryBuilder.add({ target: 'users', addData: [] }),
    QueryBuilder.add({ target: 'users', addData: [{ name: 'no id' }], serialKey: 'id' }),
    QueryBuilder.delete({ target: 'users', queryNode: new FieldEquals('id', 404) }),
    QueryBuilder.renameField({ target: 'users', renameBefore: 'missing', renameAfter: 'x' }),
    { type: 'search', target: 'users', queryNode: { type: 'regex_', field: 'name', pattern: '(' } },
    { type: 'delete', target: 'users', queryNode: { type: 'regex_', field: 'name', pattern: '(' } },
  ];
  for (const q of failures) assert.equal(db.executeQuery(q).isSuccess, false);
  assert.equal(db.executeQueryObject(QueryBuilder.add({ target: 'users', addData: [{ id: 3 }] }), {}).isSuccess, false);
  assert.equal(calls.length, 0);
  await db.close();
});

test('named listeners replace each other by name; removeListener stops listeners', async () => {
  const db = await withUsers();
  const { calls, listener } = makeCounter();
  const unnamed = listener('unnamed');
  db.addListener('users', unnamed);
  db.addListener('users', unnamed); // the same function twice is one listener
  db.addListener('users', listener('first'), 'ui');
  db.addListener('users', listener('second'), 'ui');
  db.addListener('users', listener('other'), 'log');
  const add = () => db.executeQuery(QueryBuilder.add({ target: 'users', addData: [{ id: 9 }] }));
  add();
  assert.deepEqual(calls.sort(), ['other', 'second', 'unnamed']);
  calls.length = 0;
  db.removeListener('users', unnamed);
  db.removeListener('users', null, 'ui');
  add();
  assert.deepEqual(calls, ['other']);
  calls.length = 0;
  db.removeListener('users', undefined, 'log');
  db.removeListener('nobody', unnamed); // removing what was never added is harmless
  add();
  assert.deepEqual(calls, []);
  await db.close();
});

test('a transaction notifies each changed collection once, after commit, and never when rolled back', async () => {
  const db = await withUsers();
  const seen = [];
  db.addListener('users', () => seen.push(['users', db.toDict().collections.users.data.length, db.toDict().collections.logs?.data.length]));
  db.addListener('logs', () => seen.push(['logs', db.toDict().collections.users.data.length, db.toDict().collections.logs.data.length]));
  db.addListener('quiet', () => seen.push(['quiet']));
  const tx = new TransactionQuery({ queries: [
    QueryBuilder.add({ target: 'users', addData: [{ id: 3 }] }),
    QueryBuilder.add({ target: 'logs', addData: [{ m: 1 }] }),
    QueryBuilder.add({ target: 'users', addData: [{ id: 4 }] }),
    QueryBuilder.update({ target: 'quiet', queryNode: new FieldEquals('a', 1), overrideData: { b: 1 }, mustAffectAtLeastOne: false }),
  ] });
  assert.equal(db.executeQueryObject(tx).isSuccess, true);
  // Once per changed collection, and each listener already sees every write of the transaction.
  assert.deepEqual(seen.sort(), [['logs', 4, 1], ['users', 4, 1]]);
  seen.length = 0;
  const failing = new TransactionQuery({ queries: [
    QueryBuilder.add({ target: 'users', addData: [{ id: 5 }] }),
    QueryBuilder.add({ target: 'logs', addData: [{ m: 2 }] }),
    QueryBuilder.delete({ target: 'users', queryNode: new FieldEquals('id', 404) }),
  ] });
  assert.equal(db.executeQueryObject(failing).isSuccess, false);
  assert.deepEqual(seen, []);
  await db.close();
});

test('a throwing listener does not break the write or the other listeners', async () => {
  const captured = [];
  const db = await withUsers(undefined, { onListenerError: (error, target) => captured.push([error.message, target]) });
  let others = 0;
  db.addListener('users', () => { throw new Error('listener boom'); });
  db.addListener('users', () => { others++; }, 'after');
  const r = db.executeQuery(QueryBuilder.add({ target: 'users', addData: [{ id: 3 }], returnData: true }));
  assert.equal(r.isSuccess, true);
  assert.deepEqual(r.result, [{ id: 3 }]);
  assert.equal(db.toDict().collections.users.data.length, 3);
  assert.deepEqual(captured, [['listener boom', 'users']]);
  assert.equal(others, 1);
  // The database keeps working after the failed listener.
  assert.equal(db.executeQuery(QueryBuilder.count({ target: 'users' })).dbLength, 3);
  await db.close();
});

test('removeCollection drops the collection and its listeners without notifying them', async () => {
  const db = await withUsers();
  const { calls, listener } = makeCounter();
  db.addListener('users', listener('u'));
  db.addListener('users', listener('named'), 'n');
  const r = db.executeQuery(QueryBuilder.removeCollection({ target: 'users' }));
  assert.equal(r.isSuccess, true);
  assert.equal('users' in db.toDict().collections, false);
  assert.deepEqual(calls, []);
  assert.equal(db.executeQuery(QueryBuilder.add({ target: 'users', addData: [{ id: 1 }] })).isSuccess, true);
  assert.deepEqual(calls, []);
  await db.close();
});

test('addListener rejects a non-string target and a non-function callback', async () => {
  const db = await Database.open();
  assert.throws(() => db.addListener(42, () => {}), (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT');
  assert.throws(() => db.addListener('users', 'not a function'), (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT');
  await db.close();
});

/*}====*/
/*{==== close, independence, memory, size ====*/

test('close() is idempotent and every method afterwards throws CLOSED', async () => {
  const db = await withUsers();
  assert.equal(db.closed, false);
  await db.close();
  assert.equal(db.closed, true);
  await db.close();
  assert.equal(db.closed, true);
  const count = QueryBuilder.count({ target: 'users' });
  const calls = [
    () => db.executeQuery(count),
    () => db.executeQuery(42), // CLOSED wins over a bad argument
    () => db.executeQueryObject(count),
    () => db.executeQueryObject(count, {}),
    () => db.toDict(),
    () => db.toJSONText(),
    () => db.memoryUsage(),
    () => db.addListener('users', () => {}),
    () => db.removeListener('users', () => {}),
  ];
  for (const call of calls) assertHindsightError(call, 'CLOSED');
});

test('two databases in one process are independent', async () => {
  const a = await withUsers([{ id: 1 }]);
  const b = await withUsers([{ id: 100 }, { id: 200 }]);
  let aNotified = 0;
  a.addListener('users', () => aNotified++);
  b.executeQuery(QueryBuilder.add({ target: 'users', addData: [{ id: 300 }] }));
  b.executeQuery(QueryBuilder.add({ target: 'onlyB', addData: [{ x: 1 }] }));
  assert.deepEqual(a.toDict().collections.users.data, [{ id: 1 }]);
  assert.equal('onlyB' in a.toDict().collections, false);
  assert.equal(aNotified, 0);
  assert.deepEqual(b.toDict().collections.users.data, [{ id: 100 }, { id: 200 }, { id: 300 }]);
  await a.close();
  assert.equal(b.executeQuery(QueryBuilder.count({ target: 'users' })).dbLength, 3);
  assertHindsightError(() => a.toDict(), 'CLOSED');
  await b.close();
});

test('memoryUsage() returns positive byte counts', async () => {
  const db = await withUsers();
  const usage = db.memoryUsage();
  assert.deepEqual(Object.keys(usage).sort(), ['heapUsed', 'wasmMemory']);
  assert.ok(Number.isInteger(usage.heapUsed) && usage.heapUsed > 0, `heapUsed ${usage.heapUsed}`);
  assert.ok(Number.isInteger(usage.wasmMemory) && usage.wasmMemory > 0, `wasmMemory ${usage.wasmMemory}`);
  assert.equal(usage.wasmMemory % 65536, 0, 'wasm memory is whole 64 KiB pages');
  assert.ok(usage.heapUsed <= usage.wasmMemory);
  await db.close();
});

test('20,000 documents round-trip through add and getAll unchanged', async () => {
  const db = await Database.open();
  const docs = Array.from({ length: 20000 }, (_, i) => ({
    id: i, name: `user${i}`, score: i / 7, tags: ['t', i % 13], nested: { even: i % 2 === 0, note: i % 5 ? null : 'five' },
  }));
  const added = db.executeQuery(QueryBuilder.add({ target: 'many', addData: docs }));
  assert.equal(added.isSuccess, true);
  assert.equal(added.dbLength, 20000);
  assert.equal(added.updateCount, 20000);
  const all = db.executeQuery(QueryBuilder.getAll({ target: 'many' }));
  assert.equal(all.hitCount, 20000);
  assert.equal(all.result.length, 20000);
  assertSameJson(all.result, docs);
  assertSameJson(db.toDict().collections.many.data, docs);
  await db.close();
});

/*}====*/
