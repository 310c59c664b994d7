/*
 * store-indexeddb.test.mjs: fast unit tests of web/indexeddb-store.js on npm fake-indexeddb.
 *
 * Owns: the shared store contract (tests/js/store-contract.mjs) run on IndexedDbStore, and the
 * IndexedDB-specific cases: torn, corrupt and gapped log tails and bad snapshots written
 * straight into the object stores, the repairs open() makes, damaged or deleted snapshots
 * (issue 10 item 2: the previous snapshot plus the log, or CORRUPT with every row unchanged),
 * verified snapshots, quota errors in every disguise
 * (a wrapper factory whose transactions abort the way browsers do), durability options,
 * versionchange and unexpected close, and the navigator.storage wrappers.
 *
 * Must stay true: every store gets its own IDBFactory (no state shared between tests);
 * corruption is written with raw IndexedDB calls, never through the store under test. Real
 * browsers are the judge of IndexedDB itself (tests/browsers/persist-*.mjs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { IndexedDbStore, isQuotaError } from '../../web/indexeddb-store.js';
import { HindsightError } from '../../js/errors.js';
import { crc32 } from '../../js/crc32.js';
import { storeContract } from './store-contract.mjs';

// Each contract test gets its own factory: a fresh, empty place that its stores share.
storeContract(test, () => {
  const indexedDB = new IDBFactory();
  return { newStore: () => new IndexedDbStore({ name: 'contract', indexedDB, IDBKeyRange }) };
}, { label: 'IndexedDbStore' });

/* ---- raw IndexedDB helpers: they write behind the store's back ---- */

function request(req) {
  return new Promise((resolve, reject) => { req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });
}

async function rawOpen(factory, name) {
  return request(factory.open(`hindsight:${name}`));
}

/* Runs fn(objectStores) in one readwrite transaction of the raw database and waits for it. */
async function rawWrite(factory, name, fn) {
  const db = await rawOpen(factory, name);
  try {
    const tx = db.transaction(['log', 'snapshots', 'meta'], 'readwrite');
    fn({ log: tx.objectStore('log'), snapshots: tx.objectStore('snapshots'), meta: tx.objectStore('meta') });
    await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onabort = () => reject(tx.error); });
  } finally {
    db.close();
  }
}

async function rawKeys(factory, name, storeName) {
  const db = await rawOpen(factory, name);
  try {
    return await request(db.transaction(storeName).objectStore(storeName).getAllKeys());
  } finally {
    db.close();
  }
}

const row = (text) => ({ text, crc: crc32(text) });

/* A log batch row as the store's header documents it: key = last seq, crc32 of
   "first:count|" then "length:text" per text. Written out here, independently of the store. */
function batch(first, texts, crc) {
  const framed = `${first}:${texts.length}|` + texts.map((t) => `${t.length}:${t}`).join('');
  return { first, texts, crc: crc ?? crc32(framed) };
}
const putBatch = (log, first, texts, crc) => log.put(batch(first, texts, crc), first + texts.length - 1);
const textsOf = (from, to) => records(from, to).map((r) => r.text);
const records = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, text: `record ${from + i} é` }));
const texts = (rs) => rs.map((r) => `${r.seq}:${r.text}`);

/* A store over a fresh factory, and a helper to reopen it (a new store, as after a reload). */
function fixture(name = 'db', options = {}) {
  const factory = options.indexedDB ?? new IDBFactory();
  const make = () => new IndexedDbStore({ name, indexedDB: factory, IDBKeyRange, ...options });
  return { factory, name, store: make(), reopen: make };
}

async function reopened(fx) {
  const store = fx.reopen();
  try {
    return await store.open();
  } finally {
    await store.close();
  }
}

/* Every row of the three object stores, as text: what "nothing changed" compares. */
async function rawDump(factory, name) {
  const db = await rawOpen(factory, name);
  try {
    const dump = {};
    for (const storeName of ['log', 'snapshots', 'meta']) {
      const store = db.transaction(storeName).objectStore(storeName);
      dump[storeName] = JSON.stringify([await request(store.getAllKeys()), await request(store.getAll())]);
    }
    return dump;
  } finally {
    db.close();
  }
}

const isCorrupt = (error) => {
  assert.ok(error instanceof HindsightError, `expected HindsightError, got ${error?.stack ?? error}`);
  assert.equal(error.code, 'CORRUPT', error.message);
  return true;
};

/* open() must reject with CORRUPT and leave every row as it was, twice in a row. */
async function assertCorruptUntouched(fx, what) {
  const before = await rawDump(fx.factory, fx.name);
  for (let i = 0; i < 2; i++) {
    const store = fx.reopen();
    await assert.rejects(store.open(), isCorrupt, what);
    await store.close();
    assert.deepEqual(await rawDump(fx.factory, fx.name), before, `${what}: open changed the database`);
  }
}

/* ---- torn and corrupt tails ---- */

test('a batch with a bad checksum ends the log: it and what follows are dropped, reported and deleted', async () => {
  const fx = fixture();
  await fx.store.open();
  await fx.store.append(records(1, 3));
  await fx.store.append(records(4, 6));
  await fx.store.append(records(7, 7));
  await fx.store.close();
  assert.deepEqual(await rawKeys(fx.factory, fx.name, 'log'), [3, 6, 7], 'one row per batch, keyed by its last seq');
  const good = batch(4, textsOf(4, 6));
  await rawWrite(fx.factory, fx.name, ({ log }) => log.put({ ...good, texts: [good.texts[0], 'record 5 flipped', good.texts[2]] }, 6));

  const first = await reopened(fx);
  assert.deepEqual(texts(first.records), texts(records(1, 3)));
  assert.equal(first.warnings.length, 1);
  assert.match(first.warnings[0], /batch ending at seq 6 is torn or corrupt.*from seq 4 on/);
  assert.deepEqual(await rawKeys(fx.factory, fx.name, 'log'), [3], 'the bad tail is deleted');

  const second = fx.reopen();
  const again = await second.open();
  assert.deepEqual(again.warnings, [], 'the second open finds a clean log');
  await second.append(records(4, 5));
  await second.close();
  assert.deepEqual(texts((await reopened(fx)).records), texts(records(1, 5)), 'new appends continue the clean prefix');
});

test('torn rows of every shape are rejected', async () => {
  const shapes = [
    { crc: 5 }, { first: 3, texts: ['x'] }, 'just a string', null, batch(3, []),
    { ...batch(3, ['42']), texts: [42] },
    batch(2, ['x', 'y']),                       // a row whose records do not end at its key
    { ...batch(3, ['ab', 'c']), texts: ['a', 'bc'] },   // same bytes, shifted boundary
  ];
  for (const bad of shapes) {
    const fx = fixture();
    await fx.store.open();
    await fx.store.append(records(1, 2));
    await fx.store.append(records(3, 4));
    await fx.store.close();
    await rawWrite(fx.factory, fx.name, ({ log }) => log.put(bad, 4));
    const opened = await reopened(fx);
    assert.deepEqual(texts(opened.records), texts(records(1, 2)), JSON.stringify(bad));
    assert.equal(opened.warnings.length, 1);
  }
});

test('a gap in the log ends it: the records after the gap are dropped and deleted', async () => {
  const fx = fixture();
  await fx.store.open();
  await fx.store.append(records(1, 5));
  await fx.store.close();
  await rawWrite(fx.factory, fx.name, ({ log }) => { putBatch(log, 8, ['stray 8', 'stray 9']); putBatch(log, 10, ['stray 10']); });
  const opened = await reopened(fx);
  assert.deepEqual(texts(opened.records), texts(records(1, 5)));
  assert.match(opened.warnings.join('\n'), /gap: seq 6 is missing/);
  assert.deepEqual(await rawKeys(fx.factory, fx.name, 'log'), [5]);
});

test('without a snapshot the log must start at seq 1: else CORRUPT, and nothing is deleted', async () => {
  const fx = fixture();
  await fx.store.open();
  await fx.store.close();
  await rawWrite(fx.factory, fx.name, ({ log }) => putBatch(log, 2, ['two', 'three']));
  await assertCorruptUntouched(fx, 'the log starts at 2');
});

/* ---- snapshots ---- */

test('writeSnapshot keeps one snapshot and the batches not wholly covered by it; open gives the rest', async () => {
  const fx = fixture();
  await fx.store.open();
  await fx.store.append(records(1, 3));
  await fx.store.append(records(4, 8));
  await fx.store.append(records(9, 10));
  await fx.store.writeSnapshot({ seq: 4, text: 'state at 4' });
  assert.deepEqual(await rawKeys(fx.factory, fx.name, 'log'), [3, 8, 10], 'the first snapshot keeps the whole log (its previous is the empty start)');
  await fx.store.writeSnapshot({ seq: 7, text: 'state at 7' });
  assert.deepEqual(await rawKeys(fx.factory, fx.name, 'snapshots'), [4, 7], 'the previous snapshot is kept');
  assert.deepEqual(await rawKeys(fx.factory, fx.name, 'log'), [8, 10], 'the batch 1..3 is covered by the previous snapshot; 4..8 is not wholly');
  await fx.store.close();
  const opened = await reopened(fx);
  assert.deepEqual(opened.snapshot, { seq: 7, text: 'state at 7' });
  assert.deepEqual(texts(opened.records), texts(records(8, 10)));
  assert.deepEqual(opened.warnings, []);
});

test('a corrupt snapshot falls back to the newest intact older one, and the manifest is repaired', async () => {
  const fx = fixture();
  await fx.store.open();
  await fx.store.close();
  // As if the trim after the snapshot at 5 never ran, then the snapshot at 9 was damaged.
  await rawWrite(fx.factory, fx.name, ({ log, snapshots, meta }) => {
    snapshots.put(row('state at 3'), 3);
    snapshots.put(row('state at 5'), 5);
    snapshots.put({ text: 'state at 9', crc: 0 }, 9);
    meta.put({ format: 1, snapshotSeq: 9 }, 'manifest');
    putBatch(log, 1, textsOf(1, 3));
    putBatch(log, 4, textsOf(4, 7));
    putBatch(log, 8, textsOf(8, 11));
  });
  const opened = await reopened(fx);
  assert.deepEqual(opened.snapshot, { seq: 5, text: 'state at 5' });
  assert.deepEqual(texts(opened.records), texts(records(6, 11)));
  assert.match(opened.warnings.join('\n'), /snapshot at seq 9 is corrupt/);
  assert.deepEqual(await rawKeys(fx.factory, fx.name, 'snapshots'), [3, 5, 9], 'open deletes no snapshot');
  assert.deepEqual(await rawKeys(fx.factory, fx.name, 'log'), [3, 7, 11], 'open deletes no covered batch');
  const again = fx.reopen();
  const second = await again.open();
  assert.equal(second.snapshot.seq, 5);
  assert.deepEqual(texts(second.records), texts(records(6, 11)));
  // The next snapshot keeps the one opened from as its previous, and only then trims.
  await again.writeSnapshot({ seq: 11, text: 'state at 11' });
  await again.close();
  assert.deepEqual(await rawKeys(fx.factory, fx.name, 'snapshots'), [5, 11]);
  assert.deepEqual(await rawKeys(fx.factory, fx.name, 'log'), [7, 11]);
  const third = await reopened(fx);
  assert.deepEqual(third.snapshot, { seq: 11, text: 'state at 11' });
  assert.deepEqual(third.warnings, []);
});

test('a missing manifest still finds the newest intact snapshot', async () => {
  const fx = fixture();
  await fx.store.open();
  await fx.store.close();
  await rawWrite(fx.factory, fx.name, ({ log, snapshots }) => {
    snapshots.put(row('state at 2'), 2);
    putBatch(log, 3, ['record 3']);
  });
  const opened = await reopened(fx);
  assert.deepEqual(opened.snapshot, { seq: 2, text: 'state at 2' });
  assert.deepEqual(opened.records, [{ seq: 3, text: 'record 3' }]);
});

test('no intact snapshot left: CORRUPT, and nothing is replayed or deleted', async () => {
  const fx = fixture();
  await fx.store.open();
  await fx.store.close();
  await rawWrite(fx.factory, fx.name, ({ log, snapshots, meta }) => {
    snapshots.put({ text: 'state at 4', crc: 1 }, 4);
    meta.put({ format: 1, snapshotSeq: 4 }, 'manifest');
    putBatch(log, 5, ['record 5']);
  });
  await assertCorruptUntouched(fx, 'the only snapshot is corrupt');
});

/* ---- readSince (pages sharing one database) ---- */

test('readSince returns later records, or the snapshot when the log was trimmed past the seq', async () => {
  const fx = fixture();
  await fx.store.open();
  await fx.store.append(records(1, 3));
  await fx.store.append(records(4, 6));
  assert.deepEqual(await fx.store.readSince(3), { snapshot: null, records: records(4, 6) });
  assert.deepEqual(await fx.store.readSince(1), { snapshot: null, records: records(2, 6) }, 'from inside a batch');
  assert.deepEqual(await fx.store.readSince(6), { snapshot: null, records: [] });
  await fx.store.writeSnapshot({ seq: 3, text: 'state at 3' });
  await fx.store.writeSnapshot({ seq: 5, text: 'state at 5' });   // trims what the snapshot at 3 covers
  assert.deepEqual(await fx.store.readSince(2), { snapshot: { seq: 5, text: 'state at 5' }, records: records(6, 6) });
  assert.deepEqual(await fx.store.readSince(3), { snapshot: null, records: records(4, 6) });
  assert.deepEqual(await fx.store.readSince(5), { snapshot: null, records: records(6, 6) });
  await fx.store.close();
});

/* ---- append arguments and close ---- */

test('append rejects seqs that are not dense and writes nothing of that batch', async () => {
  const fx = fixture();
  await fx.store.open();
  await assert.rejects(fx.store.append([{ seq: 1, text: 'a' }, { seq: 3, text: 'c' }]), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(fx.store.append([{ seq: -1, text: 'a' }]), { code: 'INVALID_ARGUMENT' });
  assert.deepEqual(await rawKeys(fx.factory, fx.name, 'log'), []);
  await fx.store.close();
});

test('after close every call rejects with CLOSED, and close is idempotent', async () => {
  const fx = fixture();
  await fx.store.open();
  await fx.store.close();
  await fx.store.close();
  await assert.rejects(fx.store.append(records(1, 1)), { code: 'CLOSED' });
  await assert.rejects(fx.store.open(), { code: 'CLOSED' });
});

test('constructor arguments are checked', () => {
  assert.throws(() => new IndexedDbStore({ name: '', indexedDB: new IDBFactory(), IDBKeyRange }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => new IndexedDbStore({ name: 'x', indexedDB: undefined, IDBKeyRange }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => new IndexedDbStore({ name: 'x', indexedDB: new IDBFactory(), IDBKeyRange: undefined }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => new IndexedDbStore({ name: 'x', indexedDB: new IDBFactory(), IDBKeyRange, durability: 'fast' }), { code: 'INVALID_ARGUMENT' });
  const store = new IndexedDbStore({ name: 'x', indexedDB: new IDBFactory(), IDBKeyRange });
  assert.throws(() => { store.durability = 'sometimes'; }, { code: 'INVALID_ARGUMENT' });
});

/* ---- a factory that lets a test watch and break transactions ---- */

/* Wraps a fake IDBFactory: every connection's transaction() goes through onTransaction(real,
   names, mode, options), and connections are listed so a test can close them under the store. */
function instrumentedFactory(onTransaction) {
  const real = new IDBFactory();
  const connections = [];
  const wrap = (db) => {
    if (connections.includes(db)) return;
    connections.push(db);
    const transaction = db.transaction.bind(db);
    db.transaction = (names, mode, options) => onTransaction(transaction, names, mode, options);
  };
  const factory = {
    open(...args) {
      const req = real.open(...args);
      let handler = null;
      Object.defineProperty(req, 'onsuccess', {
        get: () => handler && ((event) => { wrap(req.result); return handler.call(req, event); }),
        set: (fn) => { handler = fn; },
      });
      return req;
    },
    deleteDatabase: (name) => real.deleteDatabase(name),
  };
  return { factory, real, connections };
}

/* A readwrite transaction that aborts the way a browser does when the quota is full:
   a request error that bubbles, then abort, with the errors given. */
class AbortingTransaction extends EventTarget {
  constructor({ txError = null, requestError = null }) {
    super();
    this.error = null;
    this.puts = 0;
    queueMicrotask(() => {
      if (requestError) {
        const event = new Event('error');
        Object.defineProperty(event, 'target', { value: { error: requestError } });
        this.dispatchEvent(event);
      }
      this.error = txError;
      this.dispatchEvent(new Event('abort'));
    });
  }

  objectStore() { return { put: () => { this.puts++; }, delete: () => {} }; }
  commit() {}
  abort() {}
}

const dom = (name, message = `${name} happened`) => new DOMException(message, name);

const QUOTA_DISGUISES = [
  ['Chrome/Firefox: the transaction error is QuotaExceededError', { txError: dom('QuotaExceededError') }],
  ['Dexie #776: AbortError on the transaction, QuotaExceededError on the request', { txError: dom('AbortError', 'Transaction aborted'), requestError: dom('QuotaExceededError') }],
  ['only the request knows (event.target.error)', { requestError: dom('QuotaExceededError') }],
  ['Firefox internal name NS_ERROR_DOM_QUOTA_REACHED', { txError: dom('NS_ERROR_DOM_QUOTA_REACHED') }],
  ['old WebKit QUOTA_EXCEEDED_ERR', { txError: dom('QUOTA_EXCEEDED_ERR') }],
  ['UnknownError whose message says the disk is full', { txError: dom('UnknownError', 'Write failed: no space left on device') }],
];

for (const [label, errors] of QUOTA_DISGUISES) {
  test(`quota in disguise -> HindsightError QUOTA: ${label}`, async () => {
    let failNext = false;
    const { factory } = instrumentedFactory((transaction, names, mode, options) => {
      if (failNext && mode === 'readwrite') { failNext = false; return new AbortingTransaction(errors); }
      return transaction(names, mode, options);
    });
    const fx = fixture('quota', { indexedDB: factory });
    await fx.store.open();
    await fx.store.append(records(1, 2));
    failNext = true;
    const error = await fx.store.append(records(3, 5)).then(() => null, (e) => e);
    assert.ok(error instanceof HindsightError, String(error));
    assert.equal(error.code, 'QUOTA', error.message);
    assert.ok(error.cause, 'the browser error travels as cause');
    await fx.store.append(records(3, 4));   // space came back: the store still works
    await fx.store.close();
    assert.deepEqual(texts((await reopened(fx)).records), texts(records(1, 4)));
  });
}

test('a non-quota abort is not reported as QUOTA', async () => {
  let failNext = false;
  const { factory } = instrumentedFactory((transaction, names, mode, options) => {
    if (failNext && mode === 'readwrite') { failNext = false; return new AbortingTransaction({ txError: dom('UnknownError', 'Internal error committing transaction') }); }
    return transaction(names, mode, options);
  });
  const fx = fixture('io', { indexedDB: factory });
  await fx.store.open();
  failNext = true;
  const error = await fx.store.append(records(1, 1)).then(() => null, (e) => e);
  assert.ok(error instanceof HindsightError);
  assert.notEqual(error.code, 'QUOTA');
  assert.match(error.message, /Internal error committing/);
  await fx.store.close();
});

test('isQuotaError recognises the disguises and nothing else', () => {
  assert.equal(isQuotaError(dom('QuotaExceededError')), true);
  assert.equal(isQuotaError({ name: 'Error', code: 22 }), true);
  assert.equal(isQuotaError(new Error('wrapped', { cause: dom('QuotaExceededError') })), true);
  assert.equal(isQuotaError(dom('AbortError', 'Transaction aborted')), false);
  assert.equal(isQuotaError(dom('ConstraintError')), false);
  assert.equal(isQuotaError(new Error('quota')), false, 'a plain Error is not trusted on its message');
  assert.equal(isQuotaError(null), false);
});

/* ---- durability, versionchange, unexpected close ---- */

test('append uses the store durability; snapshots are always strict', async () => {
  const seen = [];
  const { factory } = instrumentedFactory((transaction, names, mode, options) => {
    if (mode === 'readwrite') seen.push(`${[names].flat().join('+')}:${options?.durability}`);
    return transaction(names, mode, options);
  });
  const fx = fixture('durability', { indexedDB: factory });
  await fx.store.open();
  await fx.store.append(records(1, 1));
  fx.store.durability = 'strict';
  await fx.store.append(records(2, 2));
  fx.store.durability = 'relaxed';
  await fx.store.writeSnapshot({ seq: 2, text: 'two' });
  await fx.store.close();
  assert.deepEqual(seen, ['log:relaxed', 'log:strict', 'snapshots+meta:strict', 'log+snapshots+meta:strict']);
});

test('versionchange: the store steps aside for another tab\'s upgrade, then reopens by itself', { timeout: 5000 }, async () => {
  const fx = fixture('upgrade');
  await fx.store.open();
  await fx.store.append(records(1, 2));
  // Would stay blocked forever if the store kept its connection open.
  const other = await request(fx.factory.open('hindsight:upgrade', 7));
  assert.equal(other.version, 7);
  other.close();
  await fx.store.append(records(3, 4));
  await fx.store.close();
  assert.deepEqual(texts((await reopened(fx)).records), texts(records(1, 4)));
});

test('a connection closed under the store (onclose, or closed without an event) is reopened on the next call', async () => {
  const { factory, connections } = instrumentedFactory((transaction, names, mode, options) => transaction(names, mode, options));
  const fx = fixture('closed', { indexedDB: factory });
  await fx.store.open();
  await fx.store.append(records(1, 1));
  const first = connections.at(-1);
  first.close();
  first.onclose?.();        // what a browser fires when it closes a connection itself
  await fx.store.append(records(2, 2));
  const second = connections.at(-1);
  assert.notEqual(second, first, 'a new connection was opened');
  second.close();           // no event: the next transaction() throws InvalidStateError
  await fx.store.append(records(3, 3));
  await fx.store.close();
  assert.deepEqual(texts((await reopened(fx)).records), texts(records(1, 3)));
});

/* ---- navigator.storage ---- */

test('estimate() and persist() wrap navigator.storage, and degrade when it is missing', async () => {
  const storageManager = { estimate: async () => ({ usage: 10, quota: 100 }), persist: async () => true };
  const withStorage = new IndexedDbStore({ name: 's', indexedDB: new IDBFactory(), IDBKeyRange, storageManager });
  assert.deepEqual(await withStorage.estimate(), { usage: 10, quota: 100 });
  assert.equal(await withStorage.persist(), true);
  const without = new IndexedDbStore({ name: 's', indexedDB: new IDBFactory(), IDBKeyRange, storageManager: null });
  assert.equal(await without.estimate(), null);
  assert.equal(await without.persist(), false);
});

test('deleteDatabase removes everything stored under a name', async () => {
  const fx = fixture('gone');
  await fx.store.open();
  await fx.store.append(records(1, 3));
  await fx.store.close();
  await IndexedDbStore.deleteDatabase({ name: 'gone', indexedDB: fx.factory });
  assert.deepEqual(await reopened(fx), { snapshot: null, records: [], warnings: [] });
});

/* ---- damaged snapshots never cost a commit (issue 10, item 2) ---- */

/* What an earlier version leaves after a snapshot at 10 and records 11..15: the snapshot, the
   manifest naming it and the log after it. */
function earlierVersion({ log, snapshots, meta }, snapshotRow = row('state at 10')) {
  snapshots.put(snapshotRow, 10);
  meta.put({ format: 1, snapshotSeq: 10 }, 'manifest');
  putBatch(log, 11, textsOf(11, 15));
}

test('an earlier version\'s database opens: its snapshot and the log after it', async () => {
  const fx = fixture();
  await reopened(fx);   // creates the object stores
  await rawWrite(fx.factory, fx.name, (stores) => earlierVersion(stores));
  const opened = await reopened(fx);
  assert.deepEqual(opened.snapshot, { seq: 10, text: 'state at 10' });
  assert.deepEqual(texts(opened.records), texts(records(11, 15)));
  assert.deepEqual(opened.warnings, []);
});

test('the only snapshot flipped, cut short or deleted: open fails with CORRUPT and changes nothing', async () => {
  const good = row('state at 10');
  const damages = {
    'one bit flipped in the text': { ...good, text: 'state at 11' },
    'one bit flipped in the crc': { ...good, crc: good.crc ^ 1 },
    'cut short': { ...good, text: 'state at ' },
    'not a row': 'state at 10',
  };
  for (const [what, damaged] of Object.entries(damages)) {
    const fx = fixture();
    await reopened(fx);
    await rawWrite(fx.factory, fx.name, (stores) => earlierVersion(stores, damaged));
    await assertCorruptUntouched(fx, what);
  }
  const fx = fixture();
  await reopened(fx);
  await rawWrite(fx.factory, fx.name, (stores) => { earlierVersion(stores); stores.snapshots.delete(10); });
  await assertCorruptUntouched(fx, 'snapshot deleted');
  await rawWrite(fx.factory, fx.name, ({ meta }) => meta.delete('manifest'));
  await assertCorruptUntouched(fx, 'snapshot and manifest deleted');
  await rawWrite(fx.factory, fx.name, ({ snapshots }) => snapshots.put(good, 10));
  const opened = await reopened(fx);
  assert.deepEqual(opened.snapshot, { seq: 10, text: 'state at 10' }, 'putting the snapshot back makes it whole again');
  assert.deepEqual(texts(opened.records), texts(records(11, 15)));
});

test('a snapshot of a replaced state (fromDict) at seq 0, corrupt: CORRUPT, not an empty database', async () => {
  const fx = fixture();
  await fx.store.open();
  await fx.store.writeSnapshot({ seq: 0, text: 'imported', replacesHistory: true });
  await fx.store.close();
  await rawWrite(fx.factory, fx.name, ({ snapshots }) => snapshots.put({ ...row('imported'), crc: 7 }, 0));
  await assertCorruptUntouched(fx, 'seq 0');
});

test('the current snapshot corrupt or deleted: the previous one plus the log give every record', async () => {
  for (const damage of ['corrupt', 'deleted']) {
    const fx = fixture();
    await fx.store.open();
    await fx.store.append(records(1, 5));
    await fx.store.writeSnapshot({ seq: 5, text: 'state at 5' });
    await fx.store.append(records(6, 10));
    await fx.store.writeSnapshot({ seq: 10, text: 'state at 10' });
    await fx.store.append(records(11, 20));
    await fx.store.close();
    await rawWrite(fx.factory, fx.name, ({ snapshots }) => (damage === 'deleted' ? snapshots.delete(10) : snapshots.put({ ...row('state at 10'), text: 'state at 1O' }, 10)));
    const store = fx.reopen();
    const opened = await store.open();
    assert.deepEqual(opened.snapshot, { seq: 5, text: 'state at 5' }, damage);
    assert.deepEqual(texts(opened.records), texts(records(6, 20)), damage);
    assert.ok(opened.warnings.some((w) => /seq 10/.test(w)), opened.warnings.join('\n'));
    await store.append(records(21, 22));
    await store.writeSnapshot({ seq: 22, text: 'state at 22' });
    await store.close();
    const again = await reopened(fx);
    assert.deepEqual(again.snapshot, { seq: 22, text: 'state at 22' }, damage);
    assert.deepEqual(again.warnings, [], damage);
    assert.deepEqual(await rawKeys(fx.factory, fx.name, 'snapshots'), [5, 22], `${damage}: the damaged snapshot went once a newer one was kept`);
  }
});

test('a snapshot that verify() refuses is not kept, and nothing it covers is deleted', async () => {
  const fx = fixture();
  await fx.store.open();
  await fx.store.append(records(1, 5));
  await fx.store.writeSnapshot({ seq: 5, text: 'state at 5' });
  await fx.store.append(records(6, 10));
  await fx.store.writeSnapshot({ seq: 10, text: 'state at 10' });
  await fx.store.append(records(11, 15));
  const before = await rawDump(fx.factory, fx.name);
  const refuse = () => { throw new Error('Exceeded max allowed nesting depth'); };
  await assert.rejects(fx.store.writeSnapshot({ seq: 15, text: 'state at 15', verify: refuse }), (e) => isCorrupt(e) && /would not load/.test(e.message));
  await assert.rejects(fx.store.writeSnapshot({ seq: 10, text: 'state at 10 again', verify: refuse }), isCorrupt);
  assert.deepEqual(await rawDump(fx.factory, fx.name), before);
  await assert.rejects(fx.store.writeSnapshot({ seq: 15, text: '', verify: 'yes' }), (e) => e.code === 'INVALID_ARGUMENT');
  await fx.store.writeSnapshot({ seq: 15, text: 'state at 15', verify: (text) => assert.equal(text, 'state at 15') });
  await fx.store.close();
  const opened = await reopened(fx);
  assert.deepEqual(opened.snapshot, { seq: 15, text: 'state at 15' });
});

test('a snapshot given as UTF-8 bytes is kept as bytes: open and readSince give them back; a flipped byte falls back to the previous snapshot', async () => {
  const fx = fixture();
  assert.equal(fx.store.takesSnapshotBytes, true);
  await fx.store.open();
  await fx.store.append(records(1, 5));
  await fx.store.writeSnapshot({ seq: 5, text: 'state at 5' });
  await fx.store.append(records(6, 10));
  const bytes = new TextEncoder().encode('state at 10 é \u{1F600}');
  let seen = null;
  const before = await rawDump(fx.factory, fx.name);
  await assert.rejects(fx.store.writeSnapshot({ seq: 10, bytes, verify: (given) => { seen = given; throw new Error('would not load'); } }), isCorrupt);
  assert.equal(seen, bytes, 'verify gets the bytes given');
  assert.deepEqual(await rawDump(fx.factory, fx.name), before, 'a refused snapshot changes nothing');
  await assert.rejects(fx.store.writeSnapshot({ seq: 10, bytes: [1, 2] }), (e) => e.code === 'INVALID_ARGUMENT');
  // A view into a larger buffer keeps only its own bytes.
  const padded = new Uint8Array(bytes.length + 8);
  padded.set(bytes, 4);
  await fx.store.writeSnapshot({ seq: 10, bytes: padded.subarray(4, 4 + bytes.length), verify: () => {} });
  await fx.store.append(records(11, 12));
  const since = await fx.reopen().readSince(3);
  assert.deepEqual([...since.snapshot.bytes], [...bytes]);
  assert.equal(since.snapshot.seq, 10);
  await fx.store.close();
  const opened = await reopened(fx);
  assert.equal(opened.snapshot.seq, 10);
  assert.ok(opened.snapshot.bytes instanceof Uint8Array && opened.snapshot.bytes.buffer.byteLength === bytes.length, 'exactly the snapshot was stored');
  assert.deepEqual([...opened.snapshot.bytes], [...bytes]);
  assert.equal(opened.snapshot.text, undefined);
  assert.deepEqual(texts(opened.records), texts(records(11, 12)));
  // A flipped byte: the checksum catches it; the previous snapshot and the log give every record.
  const db = await rawOpen(fx.factory, fx.name);
  const stored = await request(db.transaction('snapshots').objectStore('snapshots').get(10));
  db.close();
  assert.equal(stored.crc, crc32(bytes), 'the crc is the one of the bytes (the same as of the text)');
  stored.bytes[3] ^= 1;
  await rawWrite(fx.factory, fx.name, ({ snapshots }) => snapshots.put(stored, 10));
  const fallback = await reopened(fx);
  assert.deepEqual(fallback.snapshot, { seq: 5, text: 'state at 5' });
  assert.deepEqual(texts(fallback.records), texts(records(6, 12)));
  assert.match(fallback.warnings.join('\n'), /snapshot at seq 10 is corrupt/);
});

test('open reads only the batches after the snapshot it uses, and all of them when it falls back', async () => {
  const fx = fixture();
  await fx.store.open();
  await fx.store.close();
  await rawWrite(fx.factory, fx.name, ({ log, snapshots, meta }) => {
    snapshots.put(row('state at 4'), 4);
    snapshots.put(row('state at 9'), 9);
    meta.put({ format: 1, snapshotSeq: 9 }, 'manifest');
    putBatch(log, 1, textsOf(1, 4));
    putBatch(log, 5, textsOf(5, 8));
    putBatch(log, 9, textsOf(9, 12));
    // A batch before the snapshot in use, damaged: not read, so no warning and no repair.
    log.put({ first: 1, texts: ['damaged'], crc: 1 }, 4);
  });
  const opened = await reopened(fx);
  assert.deepEqual(opened.snapshot, { seq: 9, text: 'state at 9' });
  assert.deepEqual(texts(opened.records), texts(records(10, 12)));
  assert.deepEqual(opened.warnings, []);
  assert.deepEqual(await rawKeys(fx.factory, fx.name, 'log'), [4, 8, 12]);
});
