/*
 * differential.test.mjs: runs thousands of seeded random queries (adds, searches with nodes,
 * sorts and paging, updates, deletes, counts, clears, renames, templates, transactions,
 * permissions) on the engine (through the public Database API) and on a plain JS reference
 * implementation of the query semantics (tests/js/reference/query-engine.mjs), and compares every
 * result and the whole toDict (collection order included) after every query.
 *
 * A difference is first matched against the KNOWN engine findings (each one reported, each with
 * a reference variant or a precise predicate); a known one is counted, the reference is resynced
 * to the engine's state and the seed goes on. Any other difference stops its seed (the states
 * have diverged) and fails the main test with the seed, the query index and the replayable query.
 * Each known finding has its own test, marked todo while the engine still shows it: it starts
 * passing (and its todo mark should go) once the engine is fixed.
 *
 * Must stay true: deterministic (seeds 1..SEEDS, tests/js/reference/generator.mjs); under ~30 s;
 * the reference shares no code with js/ or c/. DIFF_SEEDS=N overrides the seed count;
 * DIFF_VERBOSE=1 prints every difference, known ones included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Database } from '../../js/index.js';
import { ReferenceDb } from './reference/query-engine.mjs';
import { makeGenerator } from './reference/generator.mjs';

const SEEDS = Number(process.env.DIFF_SEEDS ?? 300);
const QUERIES_PER_SEED = 40;
const RESULT_KEYS = ['className', 'isSuccess', 'target', 'type', 'result', 'dbLength', 'updateCount', 'hitCount'];

/* errorMessage: the reference's text, or the engine's text with a ": detail" after it. */
const sameMessage = (engine, ref) => engine === ref || (typeof engine === 'string' && typeof ref === 'string' && engine.startsWith(`${ref}: `));

/* The first field in which two results differ, or null. */
function resultDifference(engine, ref) {
  if (ref.className === 'TransactionQueryResult') {
    for (const k of ['className', 'isSuccess']) if (engine[k] !== ref[k]) return k;
    if (!sameMessage(engine.errorMessage, ref.errorMessage)) return 'errorMessage';
    if (engine.results?.length !== ref.results.length) return 'results.length';
    for (let i = 0; i < ref.results.length; i++) {
      const d = resultDifference(engine.results[i], ref.results[i]);
      if (d) return `results[${i}].${d}`;
    }
    return null;
  }
  for (const k of RESULT_KEYS) {
    if (JSON.stringify(engine[k]) !== JSON.stringify(ref[k])) return k;
  }
  if (!sameMessage(engine.errorMessage, ref.errorMessage)) return 'errorMessage';
  return null;
}

/* toDict with collections in name order: collection order is compared on its own. */
const byName = (dict) => Object.fromEntries(Object.entries(dict.collections).sort(([a], [b]) => (a < b ? -1 : 1)));

/* The first difference between the engine and a reference after one query, or null. */
function compare(db, engineResult, ref, refResult) {
  const field = resultDifference(engineResult, refResult);
  if (field) return { field, engine: engineResult, reference: refResult };
  const engineDict = db.toDict(), refDict = ref.toDict();
  if (JSON.stringify(byName(engineDict)) !== JSON.stringify(byName(refDict))) {
    return { field: 'toDict', engine: byName(engineDict), reference: byName(refDict) };
  }
  const engineOrder = Object.keys(engineDict.collections), refOrder = Object.keys(refDict.collections);
  if (JSON.stringify(engineOrder) !== JSON.stringify(refOrder)) return { field: 'collection order', engine: engineOrder, reference: refOrder };
  return null;
}

const queriesOf = (q) => (q.className === 'TransactionQuery' ? q.queries : [q]);

/* The reference's switches, all off: our semantics (README, Differences: a write that writes
   nothing, such as an add of [] or a clear of a missing collection, creates nothing). */
const SEMANTICS = {};

/*
 * Engine findings that were fixed, each recognised by re-running the query on a reference
 * variant (the state before the query, with the old deviation switched on) or by a predicate.
 * Each is now a regression test: any occurrence fails it.
 */
const KNOWN = [
  {
    id: 'empty-write-creates',
    what: 'add of [] / clear / clearAdd / conformToTemplate / renameField with mustAffectAtLeastOne false on a missing collection '
      + 'created it, while update/delete did not (README rule 2: a write that writes nothing changes nothing)',
    variant: { emptyWriteCreates: true },
  },
  {
    id: 'float-reads-bool',
    what: 'floatStrict_ converts true/false to 1/0; Python float(str(True)) fails, so no match (issue 10, "floatStrict_ ... read true as 1")',
    variant: { floatReadsBool: true },
  },
  {
    id: 'tx-recreate-order',
    what: 'a collection removed earlier and re-created inside a transaction goes back to its old place in toDict order '
      + '(after the transaction), instead of after the collections created before it (outside a transaction it goes last)',
    matches: (query, diff) => diff.field === 'collection order' && query.className === 'TransactionQuery',
  },
];

/* With indexed set: 40 starting documents in each collection (indexes answer only collections of 32 rows or
   more) and an index declared on every field the generator ranges over or sorts by, so the
   planner's index plans (range and equality, or_ of ranges, pages read off a range index)
   meet the reference too. */
const INDEXED_FIELDS = ['n', 's', 'o.k', 'o.w', 'm', 'b', 'id'];

async function runSeed(seed, tally, { indexed = false } = {}) {
  const gen = makeGenerator(seed);
  const db = await Database.open({ clock: () => 0 });
  if (indexed) for (const t of ['a', 'b', 'c']) for (const f of INDEXED_FIELDS) await db.createIndex(t, f);
  let ref = new ReferenceDb(undefined, SEMANTICS);
  const steps = (indexed ? ['a', 'b', 'c'] : ['a']).map((target) => ({ className: 'Query', version: '7', type: 'add', target, addData: Array.from({ length: indexed ? 40 : 6 }, () => gen.doc()) }));
  const initial = steps.length;
  for (let i = 0; i < QUERIES_PER_SEED; i++) steps.push(gen.query());
  try {
    for (let i = 0; i < steps.length; i++) {
      const q = steps[i];
      const perms = i < initial ? undefined : gen.permissions(q);
      const before = ref.toDict();
      const engine = perms === undefined ? db.executeQuery(q) : db.executeQueryObject(q, perms);
      const diff = compare(db, engine, ref, ref.executeQuery(q, perms));
      tally.queries++;
      tally[engine.isSuccess ? 'succeeded' : 'failed']++;
      if (!diff) continue;
      const where = { seed, index: i, query: q, permissions: perms, ...diff };
      const known = KNOWN.find((k) => {
        if (k.matches) return k.matches(q, diff);
        const variant = new ReferenceDb(before, { ...SEMANTICS, ...k.variant });
        return compare(db, engine, variant, variant.executeQuery(q, perms)) === null;
      });
      if (!known) return where;
      (tally.known[known.id] ??= []).push(where);
      ref = new ReferenceDb(db.toDict(), SEMANTICS);   // resync: the next queries are compared from here
    }
    return null;
  } finally {
    await db.close();
  }
}

const show = (d) => `seed ${d.seed} query ${d.index} differs in ${d.field}\n  query: ${JSON.stringify(d.query)}` +
  (d.permissions ? `\n  permissions: ${JSON.stringify(d.permissions)}` : '') +
  `\n  engine:    ${JSON.stringify(d.engine).slice(0, 1500)}\n  reference: ${JSON.stringify(d.reference).slice(0, 1500)}`;

const tally = { queries: 0, succeeded: 0, failed: 0, known: {} };
const differences = [];
for (let seed = 1; seed <= SEEDS; seed++) {
  const d = await runSeed(seed, tally);
  if (d) differences.push(d);
}
console.log(`# differential: ${tally.queries} queries compared over ${SEEDS} seeds (${tally.succeeded} succeeded, ${tally.failed} failed); ${differences.length} seeds with an unknown difference; known findings: ${
  KNOWN.map((k) => `${k.id} ${tally.known[k.id]?.length ?? 0}`).join(', ')}`);
if (process.env.DIFF_VERBOSE) for (const d of [...differences, ...Object.values(tally.known).flat()]) console.log(show(d));

const INDEXED_SEEDS = Number(process.env.DIFF_INDEXED_SEEDS ?? 60);
const indexedTally = { queries: 0, succeeded: 0, failed: 0, known: {} };
const indexedDifferences = [];
for (let seed = 1; seed <= INDEXED_SEEDS; seed++) {
  const d = await runSeed(10000 + seed, indexedTally, { indexed: true });
  if (d) indexedDifferences.push(d);
}

test(`with declared indexes, engine and reference agree on ${INDEXED_SEEDS} seeds (known findings aside)`, () => {
  assert.ok(indexedTally.queries >= INDEXED_SEEDS * QUERIES_PER_SEED, `every query ran (${indexedTally.queries})`);
  assert.equal(indexedDifferences.length, 0, `engine and reference differ:\n${indexedDifferences.slice(0, 5).map(show).join('\n')}`);
});

test(`engine and reference agree on ${SEEDS} seeds x ${QUERIES_PER_SEED + 1} random queries (known findings aside)`, () => {
  assert.ok(tally.queries >= SEEDS * QUERIES_PER_SEED, `every query ran (${tally.queries})`);
  assert.equal(differences.length, 0, `engine and reference differ:\n${differences.slice(0, 5).map(show).join('\n')}`);
});

for (const k of KNOWN) {
  const seen = tally.known[k.id] ?? [];
  test(`fixed engine finding ${k.id} stays fixed: ${k.what}`, () => {
    assert.equal(seen.length, 0, seen.slice(0, 2).map(show).join('\n'));
  });
}
