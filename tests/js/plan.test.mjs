/*
 * plan.test.mjs: the planner through js/engine.js (createIndex, explain): declared indexes
 * are used at the first search, reported by explain, kept by dumpText/loadText, and never
 * change an answer: the same random range, between and equality searches (present and
 * as of past commits, with sort + limit) give identical results on an engine with declared
 * indexes and on one without any: numbers and strings (mixed on one field, and missing),
 * or_ of ranges, and sort + limit read off the index (ties, both directions, offsets, counts). Bad input is a HindsightError that changes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HindsightError } from '../../js/index.js';
import { Engine } from '../../js/engine.js';
import { loadEngine } from '../../js/wasm-loader.js';

const q = (extra) => JSON.stringify({ className: 'Query', version: '7', target: 'users', ...extra });
const gt = (field, value) => ({ type: 'greaterThan_', field, value, vType: 'auto_', version: '2' });

function seeded(seed) {
  let s = seed >>> 0;
  return (n) => { s = (s * 1664525 + 1013904223) >>> 0; return s % n; };
}

function fill(engine, n, rnd) {
  // age: numbers, every 11th a string, every 17th missing; name: strings, every 13th a number.
  const docs = Array.from({ length: n }, (_, i) => {
    const d = { id: i, age: i % 11 === 0 ? String(i) : rnd(1000), nested: { v: rnd(500) / 4 }, name: i % 13 === 0 ? rnd(9) : `u${rnd(50)}` };
    if (i % 17 === 3) delete d.age;
    return d;
  });
  engine.execute(q({ type: 'add', addData: docs }), null);
}

test('explain reports a scan, then the declared range index, and as-of reads scan', async () => {
  const engine = new Engine(await loadEngine());
  try {
    fill(engine, 2000, seeded(1));
    engine.execute(q({ type: 'updateOne', queryNode: gt('age', 500), overrideData: { age: 1 } }), null);
    const search = { type: 'search', queryNode: gt('age', 990) };
    assert.deepEqual(engine.explain(q(search)), { plan: 'scan', field: null, asOf: false, sort: 'none' });
    assert.equal(engine.createIndex('users', 'age'), true);
    assert.equal(engine.createIndex('users', 'age'), false, 'declaring twice is a no-op');
    assert.deepEqual(engine.explain(q(search)), { plan: 'rangeIndex', field: 'age', asOf: false, sort: 'none' });
    assert.equal(engine.explain(q({ ...search, asOf: { seq: 1 } })).plan, 'scan');
    // Sorted by the range's own field: the page is read off the index; by another field: top k.
    const sorted = { ...search, sortObj: { className: 'SingleSort', version: '5', field: 'age' }, limit: 5, offset: 2 };
    assert.deepEqual(engine.explain(q(sorted)), { plan: 'rangeIndex', field: 'age', asOf: false, sort: 'index', k: 7 });
    const byId = { ...sorted, sortObj: { className: 'SingleSort', version: '5', field: 'id' } };
    assert.deepEqual(engine.explain(q(byId)), { plan: 'rangeIndex', field: 'age', asOf: false, sort: 'topK', k: 7 });
    assert.equal(engine.explain(q({ ...sorted, asOf: { seq: 1 } })).sort, 'topK', 'as-of reads never walk the index');
    assert.equal(engine.explain(q({ type: 'add', addData: [{}] })).plan, 'none');
  } finally {
    engine.close();
  }
});

test('createIndex and explain refuse bad input with INVALID_ARGUMENT and change nothing', async () => {
  const engine = new Engine(await loadEngine());
  try {
    fill(engine, 100, seeded(2));
    const before = engine.dumpText();
    for (const [target, field] of [['', 'age'], ['users', ''], ['us\u0000ers', 'age']]) {
      assert.throws(() => engine.createIndex(target, field), (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT', JSON.stringify([target, field]));
    }
    for (const text of ['{', '[]', JSON.stringify({ type: 'nope', target: 'users' })]) {
      assert.throws(() => engine.explain(text), (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT', text);
    }
    assert.equal(engine.dumpText(), before);
  } finally {
    engine.close();
  }
});

test('declared indexes survive dumpText/loadText', async () => {
  const wasm = await loadEngine();
  const a = new Engine(wasm), b = new Engine(wasm);
  try {
    fill(a, 500, seeded(3));
    a.createIndex('users', 'nested.v');
    a.createIndex('later', 'x');
    const dump = a.dumpText();
    assert.deepEqual(JSON.parse(dump).indexes, [['users', 'nested.v'], ['later', 'x']]);
    b.loadText(dump);
    assert.equal(b.explain(q({ type: 'search', queryNode: { type: 'lessThan_', field: 'nested.v', value: 3 } })).plan, 'rangeIndex');
    assert.equal(b.dumpText(), dump);
  } finally {
    a.close();
    b.close();
  }
});

test('model: indexed and unindexed engines answer every random search identically, present and past', async () => {
  const wasm = await loadEngine();
  const indexed = new Engine(wasm), plain = new Engine(wasm);
  const rnd = seeded(4);
  const ops = ['greaterThan_', 'greaterThanOrEqual_', 'lessThan_', 'lessThanOrEqual_'];
  // A bound for field: numbers, strings (ordered by code points), both for the mixed age.
  const bound = (field) => {
    if (field === 'name') return rnd(5) ? `u${rnd(55)}` : rnd(2) ? 'u' : rnd(10);
    if (field === 'age' && rnd(4) === 0) return String(rnd(3000));
    return rnd(1100) - 50 + (rnd(2) ? 0.5 : 0);
  };
  const range = (field) => {
    const a = bound(field);
    if (rnd(3)) return { type: ops[rnd(4)], field, value: a };
    const b = typeof a === 'string' ? (rnd(2) ? `${a}~` : bound(field)) : a + rnd(40);
    return { type: 'and_', conditions: [{ type: ops[rnd(2)], field, value: a }, { type: ops[2 + rnd(2)], field, value: b }] };
  };
  const fields = ['age', 'nested.v', 'name'];
  const sortFields = ['id', 'nested.v', 'age', 'name'];
  try {
    for (const e of [indexed, plain]) fill(e, 3000, seeded(5));
    indexed.createIndex('users', 'age');
    indexed.createIndex('users', 'nested.v');
    indexed.createIndex('users', 'name');
    let used = 0, walked = 0, ors = 0;
    for (let round = 0; round < 30; round++) {
      for (let k = 0; k < 30; k++) {
        const field = fields[rnd(3)];
        const kind = rnd(8);
        const node = kind === 0 ? { type: 'equals_', field: 'name', value: `u${rnd(50)}` }
          : kind === 1 ? { type: 'or_', conditions: Array.from({ length: 2 + rnd(2) }, () => range(rnd(2) ? field : fields[rnd(3)])) }
          : range(field);
        const query = { type: rnd(6) ? 'search' : 'searchOne', queryNode: node };
        const r = rnd(4);
        // Sort by the range's own field most often (the page off the index), else another.
        if (r) Object.assign(query, { sortObj: { className: 'SingleSort', version: '5', field: r === 3 ? sortFields[rnd(4)] : field, reversed: !!rnd(2) }, limit: rnd(15) });
        else if (rnd(2)) query.limit = 0;   // a count
        if (query.limit !== undefined && rnd(3) === 0) query.offset = rnd(20);
        const seq = plain.seq();
        if (seq > 1 && rnd(4) === 0) query.asOf = { seq: 1 + rnd(seq) };
        const plan = indexed.explain(q(query));
        if (plan.plan !== 'scan') used++;
        if (plan.sort === 'index') walked++;
        if (plan.plan !== 'scan' && node.type === 'or_') ors++;
        const [x, y] = [indexed, plain].map((e) => { try { return e.execute(q(query), null); } catch (err) { return String(err); } });
        assert.equal(x, y, `${q(query)} (seq ${seq})`);
      }
      // Writes that move rows in and out of the indexes, many at a time, numbers and strings.
      const lo = rnd(1000), w = 1 + rnd(round % 5 === 0 ? 1000 : 60);
      const write = [
        { type: 'update', queryNode: { type: 'and_', conditions: [gt('age', lo), { type: 'lessThan_', field: 'age', value: lo + w }] }, overrideData: { age: rnd(1000), nested: { v: rnd(500) / 4 } } },
        { type: 'update', queryNode: { type: 'equals_', field: 'name', value: `u${rnd(50)}` }, overrideData: { name: rnd(3) ? `u${rnd(50)}` : rnd(9), age: rnd(4) ? rnd(1000) : `${rnd(1000)}` } },
        { type: 'delete', queryNode: { type: 'equals_', field: 'name', value: `u${rnd(50)}` } },
        { type: 'add', addData: Array.from({ length: 1 + rnd(30) }, (_, i) => ({ id: 5000 + round * 100 + i, age: rnd(1000), name: `u${rnd(50)}`, nested: { v: rnd(500) / 4 } })) },
      ][rnd(4)];
      for (const e of [indexed, plain]) e.execute(q(write), null);
    }
    assert.ok(used > 150, `the indexes answered ${used} searches`);
    assert.ok(walked > 60, `the page was read off the index for ${walked} searches`);
    assert.ok(ors > 10, `an or_ was answered by the indexes ${ors} times`);
  } finally {
    indexed.close();
    plain.close();
  }
});

test('the column caches answer comparisons from the first query, as a filter over the documents would', async () => {
  // No index: fields seen as ints or strings get columns at add (c/column.h). Kinds mix (floats,
  // nulls, strings among ints, ints among strings), so some rows fall back to their documents.
  const engine = new Engine(await loadEngine());
  try {
    const rnd = seeded(9);
    const docs = Array.from({ length: 3000 }, (_, i) => ({ id: i, n: [rnd(100), rnd(100), 2.5, null, String(rnd(9))][i % 7 < 4 ? 0 : i % 7 - 3], s: i % 11 === 5 ? rnd(40) : `v${rnd(40)}` }));
    engine.execute(q({ type: 'add', addData: docs }), null);
    const cmp = { greaterThan_: (a, b) => a > b, lessThan_: (a, b) => a < b, greaterThanOrEqual_: (a, b) => a >= b, lessThanOrEqual_: (a, b) => a <= b, equals_: (a, b) => a === b, notEquals_: (a, b) => a !== b };
    for (let k = 0; k < 60; k++) {
      const op = Object.keys(cmp)[rnd(6)], v = rnd(100);
      const node = { type: 'or_', conditions: [{ type: op, field: 'n', value: v }, { type: 'equals_', field: 's', value: `v${rnd(40)}` }] };
      // The first queries read the columns; after three equalities on s its adaptive index answers.
      if (k < 2) assert.equal(engine.explain(q({ type: 'search', queryNode: node })).plan, 'columns');
      const got = JSON.parse(engine.execute(q({ type: 'search', queryNode: node }), null)).result.map((d) => d.id);
      // What DeltaTraceDB's auto_ does on these kinds: numbers compare with numbers, a string
      // equals only the same string, and every other pair is false (notEquals_: true).
      const want = docs.filter((d) => {
        const n = d.n;
        const first = typeof n === 'number' ? cmp[op](n, v) : op === 'notEquals_';
        return first || d.s === node.conditions[1].value;
      }).map((d) => d.id);
      assert.deepEqual(got, want, JSON.stringify(node));
      const top = { type: 'search', queryNode: { type: 'greaterThan_', field: 'id', value: v * 10 }, sortObj: { className: 'SingleSort', version: '5', field: 'id', reversed: !!rnd(2) }, limit: 1 + rnd(9) };
      const ids = docs.map((d) => d.id).filter((id) => id > v * 10).sort((a, b) => (top.sortObj.reversed ? b - a : a - b)).slice(0, top.limit);
      assert.deepEqual(JSON.parse(engine.execute(q(top), null)).result.map((d) => d.id), ids, JSON.stringify(top));
    }
  } finally {
    engine.close();
  }
});

test('a read under a tight memory budget does without columns it cannot build (a scan, not NOMEM)', async () => {
  // A loaded dump builds its columns at the first query (6 int columns of 120,000 rows, ~6 MB).
  // After the load, padding documents take the budget until an add fails; then 1 MiB more:
  // room for a scan but not for the columns, and the search must answer, by a scan.
  const wasm = await loadEngine();
  const source = new Engine(wasm);
  const n = 120000;
  const docs = Array.from({ length: n }, (_, i) => ({ a: i, b: i % 7, c: i % 11, d: i % 13, e: i % 17, f: i % 19 }));
  source.execute(q({ type: 'add', addData: docs }), null);
  const dump = source.dumpBytes();
  source.close();
  const engine = new Engine(wasm);
  try {
    assert.equal(wasm.hsw_set_memory_limit(engine.handle, 64), 0);
    engine.loadBytes(dump);
    const pad = JSON.stringify({ className: 'Query', version: '7', target: 'pad', type: 'add', addData: [{ p: 'x'.repeat(16000) }] });
    let full = false;
    for (let i = 0; i < 20000 && !full; i++) {
      try { engine.execute(pad, null); } catch (error) { assert.equal(error.code, 'NOMEM'); full = true; }
    }
    assert.ok(full, 'the padding fills the budget');
    assert.equal(wasm.hsw_set_memory_limit(engine.handle, 65), 0);   // 1 MiB more: room for a scan, not for the columns
    const search = q({ type: 'search', queryNode: gt('a', n - 101) });
    assert.equal(engine.explain(search).plan, 'scan', 'no room for the columns: the plan is a scan');
    const found = JSON.parse(engine.execute(search, null));
    assert.deepEqual(found.result.map((d) => d.a), Array.from({ length: 100 }, (_, i) => n - 100 + i));
  } finally {
    engine.close();
  }
});

test('an equality the column block summaries answer builds no adaptive index; one they cannot narrow does', async () => {
  // Building the hash index costs milliseconds at 100,000 rows (a spike on the third query);
  // where the block summaries already skip almost every block (values laid out in order, as
  // ids and counters are) it would never pay back. Random values fill every block: there
  // the index is built after three equalities, as before.
  const engine = new Engine(await loadEngine());
  try {
    const rnd = seeded(3);
    const docs = Array.from({ length: 20000 }, (_, i) => ({ ordered: i, scattered: rnd(1000) }));
    engine.execute(q({ type: 'add', addData: docs }), null);
    const eq = (field, value) => ({ type: 'searchOne', queryNode: { type: 'equals_', field, value, vType: 'auto_', version: '2' } });
    for (let k = 0; k < 6; k++) {
      const v = 7 + k * 3001;
      assert.equal(JSON.parse(engine.execute(q(eq('ordered', v)), null)).result[0].ordered, v);
      assert.equal(engine.explain(q(eq('ordered', v))).plan, 'columns', `search ${k + 1} on the ordered field`);
    }
    for (let k = 0; k < 3; k++) {
      assert.equal(engine.explain(q(eq('scattered', 500 + k))).plan, 'columns', `before search ${k + 1} on the scattered field`);
      const got = JSON.parse(engine.execute(q(eq('scattered', 500 + k)), null)).result;
      assert.deepEqual(got, docs.filter((d) => d.scattered === 500 + k).slice(0, 1));
    }
    assert.equal(engine.explain(q(eq('scattered', 5))).plan, 'equalityIndex', 'after three wide equalities: the adaptive index');
  } finally {
    engine.close();
  }
});
