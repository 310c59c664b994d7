/*
** timetravel-model.test.mjs: a model-based test of Hindsight's time travel against the real
** hindsight.wasm. A seeded PRNG (fixed seed, so every run is the same) drives ~3,000 commits
** over three collections: every write type, transactions of 2-4 queries, failing queries and
** failing transactions (which must not commit), reads, and revertTo/undo/redo. After each commit
** the test keeps a copy of db.toDict() (as JSON text, so key order counts); then it checks the
** past against the copies: at(s).toDict(), diff(s-1, s), asOf reads by seq and by time, commits(),
** history(), exportHistory/importHistory, fork, and retention.
** Diff matching rule: documents are compared as multisets of their JSON texts per collection.
** The engine matches by row identity, so its answer must (1) take its "before" side (removed,
** changed[].before) from the earlier copy and its "after" side (added, changed[].after) from the
** later copy, and (2) account exactly for the net change: for every document text, count(after)
** - count(before) = count(added + changed.after) - count(removed + changed.before). A changed
** entry never has before equal to after, and a listed collection is never empty of changes.
*/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Database, HindsightError } from '../../js/index.js';
import { mulberry32 } from '../seeded-random.mjs';

const SEED = 0x5eed2026;
const TARGET_COMMITS = 3000;
const COLLECTIONS = ['users', 'items', 'logs'];
const START_MS = Date.UTC(2025, 0, 1);

const prng = mulberry32;

const rand = prng(SEED);
const int = (n) => Math.floor(rand() * n);
const pick = (list) => list[int(list.length)];
const chance = (p) => rand() < p;

/* The clock has its own PRNG so how often the library reads it cannot change the queries. It
   mostly moves forward (sometimes by 0 ms, so commits share a time) and sometimes goes back. */
const clockRand = prng(SEED ^ 0x9e3779b9);
let clockNow = START_MS;
let lastClockValue = null;
function fakeClock() {
  const r = clockRand();
  if (r < 0.08) clockNow -= 1 + Math.floor(clockRand() * 5000);
  else if (r < 0.2) clockNow += 0;
  else clockNow += 1 + Math.floor(clockRand() * 2000);
  lastClockValue = clockNow;
  return clockNow;
}

/* ---- query helpers (plain DeltaTraceDB dicts) ---- */

const query = (target, type, extra = {}) => ({ className: 'Query', version: '7', target, type, ...extra });
const equals = (field, value) => ({ type: 'equals_', field, value, vType: 'auto_', version: '2' });
const transaction = (queries) => ({ className: 'TransactionQuery', version: '1', queries });

function randomDoc(withSerialKey) {
  const doc = {};
  if (withSerialKey) doc.id = -1;
  doc.n = int(6);
  if (chance(0.85)) doc.s = pick(['a', 'b', 'c']);
  if (chance(0.3)) doc.nest = { k: int(3), list: [int(3), 'x'] };
  if (chance(0.1)) doc.f = 0.5 * int(5);
  if (chance(0.05)) doc.t = null;
  return doc;
}

/* add data for a serialKey add: sometimes one item lacks the key, which must fail the add. */
function randomAddData(count, serialKey) {
  const docs = [];
  for (let i = 0; i < count; i++) docs.push(randomDoc(serialKey && !chance(0.08)));
  return docs;
}

function randomCause() {
  if (!chance(0.15)) return null;
  return {
    className: 'Cause', version: '1', serial: null, chainParentSerial: null,
    who: { className: 'Actor', version: '6', type: 'human', id: `u${int(5)}` },
    when: null, what: pick(['edit', 'import', 'fix']), why: `r${int(100)}`, from: 'model', context: null, confidenceScore: 1.0,
  };
}

/* One random write query. sizes: collection -> current length (undefined when missing). */
function randomWrite(sizes, inTransaction) {
  const target = pick(COLLECTIONS);
  const size = sizes[target] ?? 0;
  const lax = chance(0.15) ? { mustAffectAtLeastOne: false } : {};
  const cause = randomCause();
  const extra = (more) => ({ ...more, ...lax, ...(cause ? { cause } : {}) });
  const kinds = ['add', 'addSerial', 'update', 'updateOne', 'delete', 'deleteOne', 'conformToTemplate',
    'renameField', 'clear', 'clearAdd'];
  if (!inTransaction) kinds.push('removeCollection', 'merge');
  let kind = pick(kinds);
  if (size > 30 && (kind === 'add' || kind === 'addSerial')) kind = 'delete';
  switch (kind) {
    case 'add':
      return query(target, 'add', extra({ addData: randomAddData(1 + int(3), false), returnData: chance(0.2) }));
    case 'addSerial':
      return query(target, 'add', extra({ addData: randomAddData(1 + int(3), true), serialKey: 'id' }));
    case 'update':
    case 'updateOne': {
      const overrideData = pick([{ n: int(6) }, { s: pick(['a', 'b', 'c']), m: int(3) }, { nest: { k: int(3) } }]);
      return query(target, kind, extra({ queryNode: equals('n', int(6)), overrideData }));
    }
    case 'delete':
    case 'deleteOne':
      return query(target, kind, extra({ queryNode: chance(0.7) ? equals('n', int(6)) : equals('s', pick(['a', 'b', 'c'])) }));
    case 'conformToTemplate':
      return query(target, 'conformToTemplate', extra({
        template: pick([{ id: -1, n: 0, s: 'z', nest: { k: 0, list: [] } }, { n: 0, s: 'z', extra: [] }, { n: 1, label: 'q' }]),
      }));
    case 'renameField': {
      const [renameBefore, renameAfter] = pick([['s', 'label'], ['label', 's'], ['m', 'mm'], ['mm', 'm']]);
      return query(target, 'renameField', extra({ renameBefore, renameAfter }));
    }
    case 'clear':
      return query(target, 'clear', extra({ resetSerial: chance(0.5) }));
    case 'clearAdd': {
      const serialKey = chance(0.5) ? 'id' : null;
      return query(target, 'clearAdd', extra({ addData: randomAddData(int(4), serialKey), serialKey, resetSerial: chance(0.5) }));
    }
    case 'removeCollection':
      return query(target, 'removeCollection', extra({}));
    case 'merge': {
      const serialBase = chance(0.3) ? 'users' : null;
      return query('users', 'merge', extra({
        mergeQueryParams: {
          className: 'MergeQueryParams', version: '1', base: 'users', source: ['items'], relationKey: 'n', sourceKeys: ['n'],
          dslTmp: { n: 'base.n', s: '0.s', from: 'str(merge)' }, output: 'logs', serialBase, serialKey: null,
        },
      }));
    }
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}

function randomRead() {
  const target = pick([...COLLECTIONS, 'ghost']);
  return pick([
    query(target, 'search', { queryNode: equals('n', int(6)) }),
    query(target, 'searchOne', { queryNode: equals('n', int(6)) }),
    query(target, 'getAll', {}),
    query(target, 'count', {}),
  ]);
}

/* ---- the copies ---- */

const dictText = (dict) => JSON.stringify(dict);

/* read(view) for a view of db at point, released afterwards: an unreleased view pins its seq
   (js/retention.js), and the retention test below shares this database. */
function readAt(db, point, read) {
  const view = db.at(point);
  try {
    return read(view);
  } finally {
    view.release();
  }
}
function sizesOf(text) {
  const sizes = {};
  for (const [name, c] of Object.entries(JSON.parse(text).collections)) sizes[name] = c.data.length;
  return sizes;
}

/* Everything the later tests need, filled in by the first test. */
const H = {
  db: null,
  copies: [],          // copies[s]: JSON text of db.toDict() right after commit s (copies[0]: empty db)
  expectedTimes: [],   // expectedTimes[s]: the commit's expected time in ms
  causes: [],          // causes[s]: the cause given with commit s (null when none)
  kinds: [],           // kinds[s]: what made commit s (a query type, 'transaction', 'revertTo', 'undo', 'redo')
  feed: [],            // the change feed's reports, in the order they came
  counts: { clockWentBack: 0, failedWrites: 0, failedTransactions: 0, reads: 0, nullUndo: 0, nullRedo: 0 },
};

function requireHistory() {
  assert.ok(H.db && H.copies.length > TARGET_COMMITS, 'needs the history built by the first test');
  return H;
}

test(`${TARGET_COMMITS} random commits: a commit for each successful write, none for failures and reads; revertTo, undo and redo reach the right states`, async () => {
  const db = await Database.open({ clock: fakeClock });
  H.db = db;
  db.subscribeChanges((info) => H.feed.push(info));
  H.copies.push(dictText(db.toDict()));
  H.expectedTimes.push(null);
  H.causes.push(null);
  H.kinds.push(null);
  assert.equal(db.seq, 0);
  let undoStack = [];   // seqs undo() can take back, newest last (the model of the spec's rule)
  let redoStack = [];

  const committed = (kind, cause, seqBefore) => {
    const s = db.seq;
    assert.equal(s, seqBefore + 1, `${kind} at seq ${seqBefore} must make exactly one commit`);
    H.copies.push(dictText(db.toDict()));
    const previous = H.expectedTimes[s - 1] ?? -Infinity;
    if (lastClockValue < previous) H.counts.clockWentBack++;
    H.expectedTimes.push(Math.max(previous, lastClockValue));
    H.causes.push(cause ?? null);
    H.kinds.push(kind);
    return s;
  };
  const unchanged = (what, seqBefore) => {
    assert.equal(db.seq, seqBefore, `${what} must not commit`);
    assert.equal(dictText(db.toDict()), H.copies[seqBefore], `${what} must not change the state`);
  };

  let steps = 0;
  while (db.seq < TARGET_COMMITS) {
    steps++;
    assert.ok(steps < TARGET_COMMITS * 4, 'the generator stopped producing commits');
    const seqBefore = db.seq;
    const sizes = sizesOf(H.copies[seqBefore]);
    const r = rand();
    if (r < 0.06) {
      const q = randomRead();
      const result = db.executeQuery(q);
      assert.equal(result.isSuccess, true, `read ${JSON.stringify(q)}: ${result.errorMessage}`);
      H.counts.reads++;
      unchanged(`read ${q.type} on ${q.target}`, seqBefore);
    } else if (r < 0.18) {
      const queries = [];
      for (let i = 2 + int(3); i > 0; i--) queries.push(randomWrite(sizes, true));
      // Not permitted inside a transaction, so the whole transaction must fail untouched.
      if (chance(0.08)) queries.splice(int(queries.length + 1), 0, query(pick(COLLECTIONS), 'removeCollection'));
      const result = db.executeQueryObject(transaction(queries));
      assert.equal(result.className, 'TransactionQueryResult');
      if (result.isSuccess) {
        assert.equal(result.results.length, queries.length);
        committed('transaction', null, seqBefore);
        undoStack.push(db.seq);
        redoStack = [];
      } else {
        assert.deepEqual(result.results, []);
        H.counts.failedTransactions++;
        unchanged('a failed transaction', seqBefore);
      }
    } else if (r < 0.21) {
      const point = int(seqBefore + 1);
      const cause = chance(0.5) ? `revert to ${point}` : undefined;
      const s = db.revertTo(point, cause);
      assert.equal(s, committed('revertTo', cause, seqBefore));
      assert.equal(H.copies[s], H.copies[point], `revertTo(${point}) at seq ${s}: state must equal the state at ${point}`);
      undoStack.push(s);
      redoStack = [];
    } else if (r < 0.25) {
      const s = db.undo();
      if (undoStack.length === 0) {
        assert.equal(s, null, 'undo with nothing to undo returns null');
        H.counts.nullUndo++;
        unchanged('undo with nothing to undo', seqBefore);
      } else {
        const undone = undoStack.pop();
        assert.equal(s, committed('undo', null, seqBefore));
        assert.equal(H.copies[s], H.copies[undone - 1], `undo at seq ${s} takes back commit ${undone}`);
        redoStack.push(undone);
      }
    } else if (r < 0.28) {
      const s = db.redo();
      if (redoStack.length === 0) {
        assert.equal(s, null, 'redo with nothing to redo returns null');
        H.counts.nullRedo++;
        unchanged('redo with nothing to redo', seqBefore);
      } else {
        const redone = redoStack.pop();
        assert.equal(s, committed('redo', null, seqBefore));
        assert.equal(H.copies[s], H.copies[redone], `redo at seq ${s} reapplies commit ${redone}`);
        undoStack.push(redone);
      }
    } else {
      const q = randomWrite(sizes, false);
      const result = db.executeQuery(q);
      assert.equal(result.className, 'QueryResult');
      if (result.isSuccess) {
        committed(q.type, q.cause, seqBefore);
        undoStack.push(db.seq);
        redoStack = [];
      } else {
        H.counts.failedWrites++;
        unchanged(`failed ${q.type} (${result.errorMessage})`, seqBefore);
      }
    }
  }
  assert.equal(db.seq, TARGET_COMMITS);
  assert.equal(H.copies.length, TARGET_COMMITS + 1);
  // The run must really have exercised every kind of commit and of failure.
  const made = new Set(H.kinds);
  for (const kind of ['add', 'update', 'updateOne', 'delete', 'deleteOne', 'conformToTemplate', 'renameField', 'clear',
    'clearAdd', 'removeCollection', 'merge', 'transaction', 'revertTo', 'undo', 'redo']) {
    assert.ok(made.has(kind), `the run made no ${kind} commit`);
  }
  // (undo always has something to take back in a run this long; the unit tests cover the null case.)
  for (const name of ['clockWentBack', 'failedWrites', 'failedTransactions', 'reads', 'nullRedo']) {
    assert.ok(H.counts[name] > 0, `the run had no ${name}`);
  }
});

test('commits(): one record per commit, seq 1..N, times from the clock that never go backwards, causes as given', () => {
  const { db, expectedTimes, causes, kinds } = requireHistory();
  const list = db.commits();
  assert.equal(list.length, TARGET_COMMITS);
  let sharedTimes = 0;
  for (let s = 1; s <= TARGET_COMMITS; s++) {
    const c = list[s - 1];
    assert.equal(c.seq, s);
    assert.equal(c.time, new Date(expectedTimes[s]).toISOString(), `time of commit ${s}`);
    if (s > 1) assert.ok(Date.parse(c.time) >= Date.parse(list[s - 2].time), `commit ${s} is earlier than commit ${s - 1}`);
    if (kinds[s] !== 'transaction') assert.deepEqual(c.cause, causes[s], `cause of commit ${s}`);
    if (s > 1 && expectedTimes[s] === expectedTimes[s - 1]) sharedTimes++;
  }
  assert.ok(sharedTimes > 0, 'the clock never made two commits share a time');
  assert.deepEqual(db.commits({ from: 10, to: 19 }).map((c) => c.seq), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  assert.deepEqual(db.commits({ from: 100, limit: 3 }).map((c) => c.seq), [100, 101, 102]);
});

test('at(s).toDict() equals the copy taken right after commit s, for every s', () => {
  const { db, copies } = requireHistory();
  for (let s = 0; s <= TARGET_COMMITS; s++) {
    readAt(db, s, (view) => {
      assert.equal(view.seq, s);
      assert.equal(dictText(view.toDict()), copies[s], `at(${s}).toDict()`);
    });
  }
  assert.equal(dictText(db.toDict()), copies[TARGET_COMMITS]);
});

/* Multiset helpers over documents' JSON texts. */
function countTexts(docs, sign, into = new Map()) {
  for (const d of docs) {
    const k = JSON.stringify(d);
    into.set(k, (into.get(k) ?? 0) + sign);
  }
  return into;
}
const nonZero = (m) => new Map([...m].filter(([, v]) => v !== 0));
function assertContained(part, whole, message) {
  const left = countTexts(whole, 1);
  countTexts(part, -1, left);
  for (const [k, v] of left) assert.ok(v >= 0, `${message}: ${k} is not there (or not that many times)`);
}

/* Checks a diff answer between two copies with the rule in the header. */
function checkDiff(answer, beforeText, afterText, label) {
  const before = JSON.parse(beforeText).collections, after = JSON.parse(afterText).collections;
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const name of Object.keys(answer)) assert.ok(names.has(name), `${label}: unknown collection ${name}`);
  for (const name of names) {
    const b = before[name]?.data ?? [], a = after[name]?.data ?? [];
    const net = nonZero(countTexts(b, -1, countTexts(a, 1)));
    const entry = answer[name];
    if (!entry) {
      assert.equal(net.size, 0, `${label}: ${name} changed but is not in the diff`);
      continue;
    }
    const { added, removed, changed } = entry;
    assert.ok(Array.isArray(added) && Array.isArray(removed) && Array.isArray(changed), `${label}: ${name} has the three lists`);
    assert.ok(added.length + removed.length + changed.length > 0, `${label}: ${name} is listed with no change`);
    for (const c of changed) assert.notEqual(JSON.stringify(c.before), JSON.stringify(c.after), `${label}: ${name} changed entry with before = after`);
    const beforeSide = [...removed, ...changed.map((c) => c.before)];
    const afterSide = [...added, ...changed.map((c) => c.after)];
    assertContained(beforeSide, b, `${label}: ${name} removed/changed.before`);
    assertContained(afterSide, a, `${label}: ${name} added/changed.after`);
    const reported = nonZero(countTexts(beforeSide, -1, countTexts(afterSide, 1)));
    assert.deepEqual(reported, net, `${label}: ${name} net change`);
  }
}

test('diff(s-1, s) agrees with the copies for every s; random spans and reversed spans too', () => {
  const { db, copies } = requireHistory();
  for (let s = 1; s <= TARGET_COMMITS; s++) checkDiff(db.diff(s - 1, s), copies[s - 1], copies[s], `diff(${s - 1}, ${s})`);
  const spanRand = prng(SEED + 1);
  for (let i = 0; i < 200; i++) {
    const a = Math.floor(spanRand() * (TARGET_COMMITS + 1)), b = Math.floor(spanRand() * (TARGET_COMMITS + 1));
    const forward = db.diff(a, b);
    checkDiff(forward, copies[a], copies[b], `diff(${a}, ${b})`);
    // Reversing the arguments swaps the sides.
    const backward = db.diff(b, a);
    assert.deepEqual(Object.keys(backward).sort(), Object.keys(forward).sort(), `diff(${b}, ${a}) collections`);
    for (const [name, e] of Object.entries(forward)) {
      const r = backward[name];
      assert.deepEqual(nonZero(countTexts(r.added, 1)), nonZero(countTexts(e.removed, 1)), `diff(${b}, ${a}).${name}.added`);
      assert.deepEqual(nonZero(countTexts(r.removed, 1)), nonZero(countTexts(e.added, 1)), `diff(${b}, ${a}).${name}.removed`);
      assert.deepEqual(countTexts(r.changed.map((c) => [c.before, c.after]), 1), countTexts(e.changed.map((c) => [c.after, c.before]), 1),
        `diff(${b}, ${a}).${name}.changed`);
    }
  }
  for (const s of [0, 1, 1500, TARGET_COMMITS]) assert.deepEqual(db.diff(s, s), {}, `diff(${s}, ${s})`);
});

test('the change feed: one report per commit, and each equals the difference of the copies before and after it', () => {
  const { db, copies, feed } = requireHistory();
  assert.deepEqual(feed.map((f) => f.seq), Array.from({ length: TARGET_COMMITS }, (_, i) => i + 1), 'one report per commit, in order');
  assert.deepEqual(db.changes({ since: 0, until: TARGET_COMMITS }), feed, 'db.changes lists the same reports');
  const ids = db.commits().map((c) => c.id);
  const liveCount = (text, name) => JSON.parse(text).collections[name]?.data.length ?? 0;
  for (let s = 1; s <= TARGET_COMMITS; s++) {
    const info = feed[s - 1];
    assert.equal(info.id, ids[s - 1], `report ${s} names its commit`);
    const d = db.diff(s - 1, s);   // checked against the copies by the diff test
    const names = new Set([...Object.keys(info.changes), ...Object.keys(d)]);
    for (const name of names) {
      const c = info.changes[name] ?? { added: [], removed: [], changed: [] };
      const e = d[name] ?? { addedIds: [], removedIds: [], changed: [] };
      assert.deepEqual([...c.added].sort(), [...e.addedIds].sort(), `commit ${s} ${name}: added rows`);
      assert.deepEqual([...c.removed].sort(), [...e.removedIds].sort(), `commit ${s} ${name}: removed rows`);
      assert.deepEqual([...c.changed].sort(), e.changed.map((x) => x.rowId).sort(), `commit ${s} ${name}: changed rows`);
      // Straight from the model: added minus removed is how the collection's size moved.
      assert.equal(c.added.length - c.removed.length, liveCount(copies[s], name) - liveCount(copies[s - 1], name), `commit ${s} ${name}: net rows`);
    }
    // Every collection whose documents differ between the copies is reported.
    const before = JSON.parse(copies[s - 1]).collections, after = JSON.parse(copies[s]).collections;
    for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (JSON.stringify(before[name]?.data ?? []) !== JSON.stringify(after[name]?.data ?? [])) assert.ok(name in info.changes, `commit ${s}: ${name} changed and is reported`);
    }
  }
});

/* The reads a copy predicts: getAll, count, and a search on n (every value of n is an int). */
function expectedReads(copyText, target, n) {
  const data = JSON.parse(copyText).collections[target]?.data ?? [];
  return { all: data, count: data.length, matches: data.filter((d) => d.n === n) };
}

function checkReadsAt(read, copyText, label) {
  for (const target of [...COLLECTIONS, 'ghost']) {
    const n = (label.length + target.length) % 6;
    const want = expectedReads(copyText, target, n);
    const all = read(query(target, 'getAll'));
    assert.equal(all.isSuccess, true, `${label} getAll ${target}: ${all.errorMessage}`);
    assert.equal(JSON.stringify(all.result), JSON.stringify(want.all), `${label} getAll ${target}`);
    const count = read(query(target, 'count'));
    assert.equal(count.isSuccess, true, `${label} count ${target}`);
    assert.equal(count.hitCount, want.count, `${label} count ${target}`);
    const search = read(query(target, 'search', { queryNode: equals('n', n) }));
    assert.equal(search.isSuccess, true, `${label} search ${target}`);
    assert.deepEqual(search.result, want.matches, `${label} search ${target} n=${n}`);
    assert.equal(search.hitCount, want.matches.length, `${label} search ${target} hitCount`);
    const one = read(query(target, 'searchOne', { queryNode: equals('n', n) }));
    assert.deepEqual(one.result, want.matches.slice(0, 1), `${label} searchOne ${target} n=${n}`);
  }
}

test('asOf { seq } reads (getAll, count, search, searchOne) and view reads agree with the copies for every s', () => {
  const { db, copies } = requireHistory();
  for (let s = 0; s <= TARGET_COMMITS; s++) {
    if (s % 2 === 0) checkReadsAt((q) => db.executeQuery({ ...q, asOf: { seq: s } }), copies[s], `asOf seq ${s}`);
    else readAt(db, s, (view) => checkReadsAt((q) => view.executeQuery(q), copies[s], `at(${s})`));
  }
  assert.equal(db.seq, TARGET_COMMITS, 'reads of the past made no commit');
  assert.equal(dictText(db.toDict()), copies[TARGET_COMMITS], 'reads of the past created no collection');
});

test('asOf { time } and at(Date | ISO) resolve to the last commit at or before the time', () => {
  const { db, copies, expectedTimes } = requireHistory();
  const lastAtOrBefore = (ms) => {
    let s = 0;
    for (let i = 1; i <= TARGET_COMMITS; i++) if (expectedTimes[i] <= ms) s = i;
    return s;
  };
  const timeRand = prng(SEED + 2);
  for (let i = 0; i < 150; i++) {
    const s = 1 + Math.floor(timeRand() * TARGET_COMMITS);
    for (const ms of [expectedTimes[s], expectedTimes[s] + 1, expectedTimes[s] - 1]) {
      const want = lastAtOrBefore(ms);
      const iso = new Date(ms).toISOString();
      assert.equal(readAt(db, new Date(ms), (v) => v.seq), want, `at(Date ${iso})`);
      assert.equal(readAt(db, iso, (v) => v.seq), want, `at('${iso}')`);
      checkReadsAt((q) => db.executeQuery({ ...q, asOf: { time: iso } }), copies[want], `asOf time ${iso}`);
    }
  }
  assert.equal(readAt(db, new Date(START_MS - 3_600_000), (v) => v.seq), 0, 'before the first commit is seq 0');
  assert.equal(readAt(db, new Date(expectedTimes[TARGET_COMMITS] + 3_600_000), (v) => v.seq), TARGET_COMMITS);
});

test('history(target): each version is in the diff of its commit (I = added, D = removed, U = changed after)', () => {
  const { db } = requireHistory();
  for (const target of COLLECTIONS) {
    const versions = db.history(target);
    assert.ok(versions.length > 100, `${target} has a history`);
    const bySeq = new Map();
    let lastSeq = 0;
    for (const v of versions) {
      assert.ok(v.seq >= lastSeq, `${target}: history is oldest first`);
      lastSeq = v.seq;
      assert.ok(['I', 'U', 'D'].includes(v.op), `${target}: op ${v.op}`);
      if (!bySeq.has(v.seq)) bySeq.set(v.seq, { I: [], U: [], D: [] });
      bySeq.get(v.seq)[v.op].push(v.doc);
    }
    for (let s = 1; s <= TARGET_COMMITS; s++) {
      const entry = db.diff(s - 1, s)[target] ?? { added: [], removed: [], changed: [] };
      const ops = bySeq.get(s) ?? { I: [], U: [], D: [] };
      assert.deepEqual(countTexts(ops.I, 1), countTexts(entry.added, 1), `${target} seq ${s}: inserted versions = added`);
      assert.deepEqual(countTexts(ops.D, 1), countTexts(entry.removed, 1), `${target} seq ${s}: deleted versions = removed`);
      assertContained(entry.changed.map((c) => c.after), ops.U, `${target} seq ${s}: changed documents have U versions`);
    }
  }
});

test('importHistory(exportHistory()) rebuilds every past state, the commits and the seq', async () => {
  const { db, copies } = requireHistory();
  const exported = JSON.parse(JSON.stringify(db.exportHistory()));
  assert.equal(exported.className, 'HindsightHistory');
  assert.equal(exported.version, '2');
  assert.equal(exported.base.seq, 0);
  assert.equal(exported.commits.length, TARGET_COMMITS);
  const copy = await Database.importHistory(exported);
  try {
    assert.equal(copy.seq, TARGET_COMMITS);
    assert.deepEqual(copy.commits(), db.commits());
    for (let s = 0; s <= TARGET_COMMITS; s++) assert.equal(dictText(copy.at(s).toDict()), copies[s], `imported at(${s})`);
    // Serial counters came back too: the next serial add numbers the same way in both.
    const add = query('users', 'add', { addData: [{ id: -1 }], serialKey: 'id', returnData: true });
    const fork = db.fork(TARGET_COMMITS);
    try {
      assert.deepEqual(copy.executeQuery(add).result, fork.executeQuery(add).result);
    } finally {
      await fork.close();
    }
  } finally {
    await copy.close();
  }
});

test('fork(s) holds the state and history up to s, and its writes leave the original alone', async () => {
  const { db, copies } = requireHistory();
  const forkRand = prng(SEED + 3);
  const points = [0, 1, TARGET_COMMITS - 1, TARGET_COMMITS];
  for (let i = 0; i < 4; i++) points.push(1 + Math.floor(forkRand() * (TARGET_COMMITS - 1)));
  for (const s of points) {
    const fork = db.fork(s);
    try {
      assert.equal(fork.seq, s);
      assert.equal(dictText(fork.toDict()), copies[s], `fork(${s}).toDict()`);
      for (const p of [0, Math.floor(s / 2), s]) assert.equal(dictText(fork.at(p).toDict()), copies[p], `fork(${s}).at(${p})`);
      assert.equal(fork.commits().length, s);
      const r = fork.executeQuery(query('users', 'add', { addData: [{ forked: s }] }));
      assert.equal(r.isSuccess, true);
      assert.equal(fork.seq, s + 1);
      fork.revertTo(0);
      assert.equal(fork.seq, s + 2);
      assert.equal(db.seq, TARGET_COMMITS, 'the original did not commit');
      assert.equal(dictText(db.toDict()), copies[TARGET_COMMITS], 'the original state is unchanged');
      if (s + 1 <= TARGET_COMMITS) assert.equal(readAt(db, s + 1, (v) => dictText(v.toDict())), copies[s + 1], 'the original past is unchanged');
      // A fork's own history exports and imports like any database's.
      const imported = await Database.importHistory(JSON.parse(JSON.stringify(fork.exportHistory())));
      try {
        assert.equal(dictText(imported.at(s).toDict()), copies[s], `import of fork(${s}) at(${s})`);
        assert.equal(dictText(imported.toDict()), dictText(fork.toDict()), `import of fork(${s})`);
      } finally {
        await imported.close();
      }
    } finally {
      await fork.close();
    }
  }
  db.executeQuery(query('items', 'add', { addData: [{ afterFork: true }] }));
  assert.equal(db.seq, TARGET_COMMITS + 1);
  H.copies.push(dictText(db.toDict()));
  const again = db.fork(TARGET_COMMITS);
  try {
    assert.equal(dictText(again.toDict()), copies[TARGET_COMMITS], 'a fork taken after the original moved on');
  } finally {
    await again.close();
  }
});

test('retention on the long history: kept states intact, older ones TOO_OLD, export/import of the kept part', async () => {
  const { db, copies } = requireHistory();
  const keep = 500;
  const latest = db.seq;
  db.setRetention({ maxCommits: keep });
  const stats = db.stats();
  assert.equal(stats.seq, latest);
  assert.equal(stats.oldestSeq, latest - keep);
  assert.equal(stats.commits, keep);
  const oldest = stats.oldestSeq;
  for (let s = oldest; s <= latest; s++) assert.equal(dictText(db.at(s).toDict()), copies[s], `at(${s}) after retention`);
  assert.throws(() => db.at(oldest - 1), (e) => e instanceof HindsightError && e.code === 'TOO_OLD');
  const r = db.executeQuery({ ...query('users', 'getAll'), asOf: { seq: oldest - 1 } });
  assert.equal(r.isSuccess, false);
  assert.match(r.errorMessage, /older than the kept history/);
  const exported = JSON.parse(JSON.stringify(db.exportHistory()));
  assert.equal(exported.base.seq, oldest);
  assert.equal(exported.commits.length, keep);
  const copy = await Database.importHistory(exported);
  try {
    assert.equal(copy.seq, latest);
    assert.equal(copy.stats().oldestSeq, oldest);
    for (let s = oldest; s <= latest; s++) assert.equal(dictText(copy.at(s).toDict()), copies[s], `imported at(${s}) after retention`);
    assert.throws(() => copy.at(oldest - 1), (e) => e instanceof HindsightError && e.code === 'TOO_OLD');
  } finally {
    await copy.close();
    await db.close();
  }
});
