/*
 * persist-workload.mjs: the in-page half of the persistence tests (persist-*.html), shared by
 * the reload and crash pages.
 *
 * Owns: the deterministic commit sequence (commit i is always the same query, so any prefix
 * of it can be rebuilt and compared), opening a database on IndexedDB, describing its state
 * ({ seq, dict, commits }), and checking that a reopened database is exactly a prefix of the
 * sequence (same state and same commit queries as commits 1..seq replayed in memory).
 *
 * Must stay true: every commit i succeeds and makes exactly one commit (seq i), so seq and
 * i agree; nothing here reads the expected state back from the database under test.
 */

/* Commit i (from 1): mostly adds, every tenth a delete of an item added earlier, every tenth
   (offset 5) an update with a cause, so every kind of record is replayed. */
export function commitQuery(hindsight, i) {
  const { QueryBuilder, FieldEquals, Cause, Actor, TemporalTrace, TimestampNode } = hindsight;
  if (i % 10 === 0) return QueryBuilder.delete({ target: 'items', queryNode: new FieldEquals('n', i - 3) }).build();
  if (i % 10 === 5) {
    const cause = new Cause({
      who: new Actor({ type: 'human', id: 'tester', createdAt: new Date(0) }),
      when: new TemporalTrace({ nodes: [new TimestampNode({ timestamp: new Date(i * 1000), location: 'persist test' })] }),
      what: `edit item ${i - 1}`, why: 'persistence test', from: 'persist-workload',
    });
    return QueryBuilder.update({ target: 'items', queryNode: new FieldEquals('n', i - 1), overrideData: { edited: i, note: 'é✓ 日本' }, cause }).build();
  }
  return QueryBuilder.add({ target: i % 10 === 8 ? 'logs' : 'items', addData: [{ id: -1, n: i, text: `item ${i} ${'·'.repeat(i % 40)}` }], serialKey: 'id' }).build();
}

/* Runs commit i on db; throws unless it succeeded and made commit i. */
export function commit(hindsight, db, i) {
  const result = db.executeQuery(commitQuery(hindsight, i));
  if (!result.isSuccess) throw new Error(`commit ${i} failed: ${result.errorMessage}`);
  if (db.seq !== i) throw new Error(`commit ${i} gave seq ${db.seq}`);
}

/* Opens name on IndexedDB through the public API, collecting warnings and errors. */
export async function openOnIndexedDb(hindsight, name, options = {}) {
  const warnings = [];
  const errors = [];
  const db = await hindsight.Database.open({
    name, storage: 'indexeddb', durability: 'relaxed',
    onWarning: (w) => warnings.push(String(w?.message ?? w)),
    onError: (e) => errors.push(`${e?.code ?? ''} ${e?.message ?? e}`),
    ...options,
  });
  if (typeof db.flush !== 'function') throw new Error('Database has no flush(): the IndexedDB integration is missing');
  return { db, warnings, errors };
}

/* A watchdog for an await that might never settle: unless disarmed (clearTimeout) within ms,
   it throws from a timer, which page-harness.js turns into the page's error. The await itself
   stays exactly as a user writes it, since wrapping it in Promise.race changes its timing. */
export function watchdog(what, ms = 10_000) {
  return setTimeout(() => { throw new Error(`${what} did not settle within ${ms} ms`); }, ms);
}

/* The parts of a database a reload must keep. */
export function describe(db) {
  return { seq: db.seq, dict: db.toDict(), commits: db.commits() };
}

/* Problems (strings) with db as a prefix of the sequence: its state and its commit queries
   must equal commits 1..db.seq replayed on a fresh in-memory database. */
export async function prefixProblems(hindsight, db) {
  const problems = [];
  const seq = db.seq;
  const expected = await hindsight.Database.open();
  try {
    for (let i = 1; i <= seq; i++) commit(hindsight, expected, i);
    if (JSON.stringify(db.toDict()) !== JSON.stringify(expected.toDict())) problems.push(`the state at seq ${seq} differs from commits 1..${seq} replayed`);
    const got = db.commits().map((c) => JSON.stringify(c.query));
    const want = expected.commits().map((c) => JSON.stringify(c.query));
    if (got.length !== want.length) problems.push(`${got.length} commits kept, expected ${want.length}`);
    else {
      const first = got.findIndex((q, k) => q !== want[k]);
      if (first >= 0) problems.push(`commit ${first + 1} has a different query: ${got[first].slice(0, 200)}`);
    }
  } finally {
    await expected.close();
  }
  return problems;
}

/* Deletes the IndexedDB database behind a Hindsight name. */
export async function forget(name) {
  const { IndexedDbStore } = await import('/web/indexeddb-store.js');
  await IndexedDbStore.deleteDatabase({ name });
}

/* Query-string parameters of the page, with defaults. */
export function pageParams(defaults) {
  const params = new URLSearchParams(location.search);
  const out = { ...defaults };
  for (const [key, value] of Object.entries(defaults)) {
    if (params.has(key)) out[key] = typeof value === 'number' ? Number(params.get(key)) : params.get(key);
  }
  return out;
}
