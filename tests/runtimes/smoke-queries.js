/*
 * smoke-queries.js: one short, real session with Hindsight, run unchanged in every runtime
 * (Node, Deno, workerd, Chromium, Firefox, WebKit).
 *
 * Owns: runSmoke(hindsight, openOptions), which opens a database through the public API,
 * runs a dozen queries (add with serialKey, search with node + sort + limit, searchOne,
 * update, delete, count, a failing write, transactions, toDict/fromDict, a big add and result
 * crossing in slices, close), checks every result, and returns [{ name, ok, detail }].
 *
 * Must stay true:
 *   - runtime-agnostic: a plain ES module using no runtime APIs (no node:, no fetch, no DOM);
 *   - every check compares with values computed here, so a broken engine fails it;
 *   - one failing step never hides the others: each step reports on its own, and the
 *     database is closed on every path.
 */

/** Compares two JSON values structurally, including key order (the wire format fixes it). */
function sameJson(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The message and the first stack frame that is not inside this file's helpers. */
function describeError(err) {
  if (!(err instanceof Error)) return `thrown non-Error: ${show(err)}`;
  const frame = String(err.stack ?? '').split('\n').map((l) => l.trim())
    .find((l) => l && !l.includes(err.message) && !/expect(Equal|True|Result)/.test(l));
  return `${err.name}${err.code ? ` [${err.code}]` : ''}: ${err.message}${frame ? ` (${frame})` : ''}`;
}

function show(value) {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 300 ? text.slice(0, 300) + '...' : text;
}

function expectEqual(actual, expected, what) {
  if (!sameJson(actual, expected)) throw new Error(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

function expectTrue(condition, what) {
  if (!condition) throw new Error(what);
}

/** Checks the QueryResult envelope and the counters every step cares about. */
function expectResult(r, { type, target, isSuccess = true, dbLength, updateCount, hitCount }) {
  expectEqual(r?.className, 'QueryResult', 'className');
  expectEqual(r.version, '6', 'version');
  expectEqual(r.type, type, 'type');
  expectEqual(r.target, target, 'target');
  expectEqual(r.isSuccess, isSuccess, `isSuccess (errorMessage ${show(r.errorMessage)})`);
  expectTrue(Array.isArray(r.result), `result is not an array: ${show(r.result)}`);
  if (isSuccess) expectEqual(r.errorMessage, null, 'errorMessage');
  if (dbLength !== undefined) expectEqual(r.dbLength, dbLength, 'dbLength');
  if (updateCount !== undefined) expectEqual(r.updateCount, updateCount, 'updateCount');
  if (hitCount !== undefined) expectEqual(r.hitCount, hitCount, 'hitCount');
}

const PEOPLE = [
  { id: -1, name: 'Alice', age: 30, tags: ['admin'] },
  { id: -1, name: 'Bob', age: 25, tags: [] },
  { id: -1, name: 'Carol', age: 35, tags: ['ops'] },
  { id: -1, name: 'Dave', age: 17, tags: [] },
  { id: -1, name: 'Eve', age: 42, tags: ['admin', 'ops'] },
];

export async function runSmoke(hindsight, openOptions = {}) {
  const results = [];
  const step = async (name, body) => {
    try {
      await body();
      results.push({ name, ok: true, detail: '' });
      return true;
    } catch (err) {
      results.push({ name, ok: false, detail: describeError(err) });
      return false;
    }
  };

  const {
    Database, HindsightError, QueryBuilder, TransactionQuery, FieldEquals, FieldGreaterThanOrEqual,
    FieldLessThan, FieldIn, FieldStartsWith, AndNode, SingleSort, MultiSort,
  } = hindsight;

  const exportsOk = await step('exports the public API', () => {
    const names = ['Database', 'HindsightError', 'QueryBuilder', 'RawQueryBuilder', 'TransactionQuery',
      'FieldEquals', 'AndNode', 'SingleSort', 'MultiSort', 'Cause', 'Actor', 'Permission'];
    const missing = names.filter((n) => typeof hindsight[n] !== 'function');
    expectTrue(missing.length === 0, `missing exports: ${missing.join(', ')}`);
  });
  if (!exportsOk) return results;

  let db = null;
  let db2 = null;
  const opened = await step('Database.open()', async () => {
    db = await Database.open(openOptions);
    expectTrue(db && typeof db.executeQuery === 'function', 'open() did not return a Database');
  });
  if (!opened) return results;

  const run = (builder) => db.executeQuery(builder.build());

  try {
    await step('add with serialKey assigns ids 0..4', () => {
      const r = run(QueryBuilder.add({ target: 'users', addData: PEOPLE, serialKey: 'id', returnData: true }));
      expectResult(r, { type: 'add', target: 'users', dbLength: 5, updateCount: 5, hitCount: 0 });
      expectEqual(r.result.map((d) => d.id), [0, 1, 2, 3, 4], 'assigned ids');
      expectEqual(r.result[4], { id: 4, name: 'Eve', age: 42, tags: ['admin', 'ops'] }, 'returned document');
    });

    await step('add continues the serial', () => {
      const r = run(QueryBuilder.add({ target: 'users', addData: [{ id: -1, name: 'Frank', age: 30, tags: [] }], serialKey: 'id', returnData: true }));
      expectResult(r, { type: 'add', target: 'users', dbLength: 6, updateCount: 1 });
      expectEqual(r.result, [{ id: 5, name: 'Frank', age: 30, tags: [] }], 'result');
    });

    await step('search: node + reversed sort + limit', () => {
      const r = run(QueryBuilder.search({
        target: 'users', queryNode: new FieldGreaterThanOrEqual('age', 30),
        sortObj: new SingleSort('age', { reversed: true }), limit: 2,
      }));
      // Alice 30, Carol 35, Eve 42, Frank 30 match; hitCount counts them before the limit.
      expectResult(r, { type: 'search', target: 'users', dbLength: 6, updateCount: 0, hitCount: 4 });
      expectEqual(r.result.map((d) => d.name), ['Eve', 'Carol'], 'names');
    });

    await step('search: AndNode + MultiSort', () => {
      const r = run(QueryBuilder.search({
        target: 'users',
        queryNode: new AndNode([new FieldIn('age', [25, 30]), new FieldLessThan('age', 100)]),
        sortObj: new MultiSort([new SingleSort('age'), new SingleSort('name', { reversed: true })]),
      }));
      expectResult(r, { type: 'search', target: 'users', hitCount: 3 });
      expectEqual(r.result.map((d) => d.name), ['Bob', 'Frank', 'Alice'], 'names');
    });

    await step('searchOne finds one document', () => {
      const r = run(QueryBuilder.searchOne({ target: 'users', queryNode: new FieldEquals('name', 'Carol') }));
      expectResult(r, { type: 'searchOne', target: 'users', hitCount: 1 });
      expectEqual(r.result, [{ id: 2, name: 'Carol', age: 35, tags: ['ops'] }], 'result');
    });

    await step('update changes only the matches', () => {
      const r = run(QueryBuilder.update({
        target: 'users', queryNode: new FieldEquals('name', 'Alice'), overrideData: { age: 31 }, returnData: true,
      }));
      expectResult(r, { type: 'update', target: 'users', updateCount: 1, hitCount: 1 });
      expectEqual(r.result, [{ id: 0, name: 'Alice', age: 31, tags: ['admin'] }], 'result');
      const check = run(QueryBuilder.search({ target: 'users', queryNode: new FieldEquals('age', 30) }));
      expectEqual(check.result.map((d) => d.name), ['Frank'], 'age 30 afterwards');
    });

    await step('delete removes the matches', () => {
      const r = run(QueryBuilder.delete({ target: 'users', queryNode: new FieldLessThan('age', 20), returnData: true }));
      expectResult(r, { type: 'delete', target: 'users', dbLength: 5, updateCount: 1, hitCount: 1 });
      expectEqual(r.result.map((d) => d.name), ['Dave'], 'deleted');
    });

    await step('count', () => {
      const r = run(QueryBuilder.count({ target: 'users' }));
      expectResult(r, { type: 'count', target: 'users', dbLength: 5, updateCount: 0, hitCount: 5 });
      expectEqual(r.result, [], 'result');
    });

    await step('a write that matches nothing fails and changes nothing', () => {
      const before = db.toDict();
      const r = run(QueryBuilder.update({ target: 'users', queryNode: new FieldEquals('name', 'Nobody'), overrideData: { age: 1 } }));
      expectResult(r, { type: 'update', target: 'users', isSuccess: false, updateCount: 0 });
      expectTrue(typeof r.errorMessage === 'string' && r.errorMessage.length > 0, `errorMessage: ${show(r.errorMessage)}`);
      expectEqual(db.toDict(), before, 'database after the failed write');
    });

    await step('text round-trips (non-ASCII, quotes, escapes)', () => {
      const doc = { id: -1, name: 'Zoë "Ω" 日本 🚀 \\ \n tab\t', age: 1.5, nested: { deep: [null, true, false, -0.25] } };
      const r = run(QueryBuilder.add({ target: 'unicode', addData: [doc], serialKey: 'id' }));
      expectResult(r, { type: 'add', target: 'unicode', updateCount: 1 });
      const found = run(QueryBuilder.searchOne({ target: 'unicode', queryNode: new FieldStartsWith('name', 'Zoë') }));
      expectEqual(found.result, [{ ...doc, id: 0 }], 'document read back');
    });

    await step('executeQueryObject: a TransactionQuery commits all its queries', () => {
      const tx = new TransactionQuery({
        queries: [
          QueryBuilder.add({ target: 'orders', addData: [{ id: -1, user: 1, total: 9.5 }], serialKey: 'id' }),
          QueryBuilder.update({ target: 'users', queryNode: new FieldEquals('name', 'Bob'), overrideData: { age: 26 } }),
        ],
      });
      const r = db.executeQueryObject(tx.toDict());
      expectEqual(r?.className, 'TransactionQueryResult', 'className');
      expectEqual(r.isSuccess, true, `isSuccess (errorMessage ${show(r.errorMessage)})`);
      expectEqual(r.results.map((q) => [q.type, q.isSuccess, q.updateCount]), [['add', true, 1], ['update', true, 1]], 'results');
      const bob = run(QueryBuilder.searchOne({ target: 'users', queryNode: new FieldEquals('name', 'Bob') }));
      expectEqual(bob.result[0]?.age, 26, "Bob's age");
      expectEqual(run(QueryBuilder.count({ target: 'orders' })).hitCount, 1, 'orders count');
    });

    await step('executeQueryObject: a failing TransactionQuery rolls back everything', () => {
      const before = db.toDict();
      const tx = new TransactionQuery({
        queries: [
          QueryBuilder.add({ target: 'ghost', addData: [{ x: 1 }] }),
          QueryBuilder.update({ target: 'users', queryNode: new FieldEquals('name', 'Carol'), overrideData: { age: 99 } }),
          QueryBuilder.delete({ target: 'users', queryNode: new FieldEquals('name', 'Nobody') }),
        ],
      });
      const r = db.executeQueryObject(tx.toDict());
      expectEqual(r?.className, 'TransactionQueryResult', 'className');
      expectEqual([r.isSuccess, r.results, r.errorMessage], [false, [], 'Transaction failed'], 'result');
      expectEqual(db.toDict(), before, 'database after the rollback');
    });

    let dict = null;
    await step('toDict has the DeltaTraceDB shape', () => {
      dict = db.toDict();
      expectEqual([dict?.className, dict?.version], ['DeltaTraceDatabase', '16'], 'className/version');
      const users = dict.collections?.users;
      expectEqual([users?.className, users?.version, users?.serialNum], ['Collection', '17', 6], 'users collection');
      expectEqual(users.data.map((d) => d.name), ['Alice', 'Bob', 'Carol', 'Eve', 'Frank'], 'users in insertion order');
      expectEqual(Object.keys(dict.collections).sort(), ['orders', 'unicode', 'users'], 'collections');
    });

    await step('Database.fromDict round-trips toDict', async () => {
      expectTrue(dict !== null, 'no dict from the previous step');
      db2 = await Database.fromDict(dict, openOptions);
      expectEqual(db2.toDict(), dict, 'toDict of the loaded database');
      const r = db2.executeQuery(QueryBuilder.add({ target: 'users', addData: [{ id: -1, name: 'Gina', age: 50 }], serialKey: 'id', returnData: true }).build());
      expectEqual(r.result[0]?.id, 6, 'serial continues after fromDict');
      expectEqual(run(QueryBuilder.count({ target: 'users' })).hitCount, 5, 'the original is untouched');
    });

    await step('a big add and a big result cross in slices exactly (non-ASCII, separators in strings)', () => {
      // 5000 documents: the add is written 256 at a time as it is copied, the result read in
      // slices of 256 parsed in place (js/query-checks.js, js/engine.js).
      const docs = Array.from({ length: 5000 }, (_, i) => ({ i, s: i % 3 ? `],[{"i":${i}},` : `naïve 日本 😀 ${i}`, nested: [{ a: '[' }, ']'] }));
      const r = run(QueryBuilder.add({ target: 'sliced', addData: docs }));
      expectEqual(r.dbLength, 5000, 'dbLength after the big add');
      const all = run(QueryBuilder.getAll({ target: 'sliced' }));
      expectTrue(sameJson(all.result, docs), 'getAll gives back exactly the documents added');
      const bad = docs.map((d, i) => (i === 4999 ? { ...d, n: NaN } : d));
      let thrown = null;
      // A raw query dict: the builder refuses NaN itself, before any slice is made.
      try { db.executeQuery({ className: 'Query', version: '7', target: 'sliced', type: 'add', addData: bad }); } catch (err) { thrown = err; }
      expectTrue(thrown instanceof HindsightError && /addData\[4999\]\.n is not a finite number/.test(thrown.message), `a NaN in the last slice is refused, got ${show(String(thrown))}`);
      expectEqual(run(QueryBuilder.count({ target: 'sliced' })).hitCount, 5000, 'the refused add changed nothing');
    });

    await step('many documents (memory growth)', () => {
      const many = Array.from({ length: 20000 }, (_, i) => ({ id: -1, n: i, pad: 'x'.repeat(64) }));
      const r = run(QueryBuilder.add({ target: 'bulk', addData: many, serialKey: 'id' }));
      expectResult(r, { type: 'add', target: 'bulk', dbLength: 20000, updateCount: 20000 });
      const s = run(QueryBuilder.search({ target: 'bulk', queryNode: new FieldGreaterThanOrEqual('n', 19990), sortObj: new SingleSort('n', { reversed: true }), limit: 3 }));
      expectEqual(s.result.map((d) => d.id), [19999, 19998, 19997], 'ids of the last three');
      expectEqual(s.hitCount, 10, 'hitCount');
    });
  } finally {
    await step('close() is idempotent and later queries throw HindsightError', async () => {
      await db.close();
      await db.close();
      if (db2) await db2.close();
      let thrown = null;
      try { db.executeQuery(QueryBuilder.count({ target: 'users' }).build()); } catch (err) { thrown = err; }
      expectTrue(thrown instanceof HindsightError, `expected a HindsightError, got ${show(String(thrown))}`);
    });
  }
  return results;
}
