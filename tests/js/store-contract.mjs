/*
 * store-contract.mjs: the promises of js/stores/store.js, as tests any store must pass.
 *
 * Usage: storeContract(test, makeStore, { label }) where test is node:test's (or any
 * test(name, async fn) runner) and makeStore() returns (or resolves to) { newStore, cleanup? }:
 * newStore() gives a new store object over one fresh, empty place (a folder, an IndexedDB
 * name); every call for the same place must see what the earlier ones wrote and closed.
 * A store that lives in its object (MemoryStore) may return the same object each time.
 *
 * Must stay true: runtime-agnostic (no node: imports, no assert module) so the IndexedDB
 * store can run it under fake-indexeddb or in a browser; only the interface is used; every
 * expected value is written out here, never read back from the store under test.
 */

class ContractFailure extends Error {}

function check(condition, message) {
  if (!condition) throw new ContractFailure(message);
}

function sameJSON(actual, expected, what) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  check(a === e, `${what}: expected ${e.length > 400 ? `${e.slice(0, 400)}...` : e}, got ${a.length > 400 ? `${a.slice(0, 400)}...` : a}`);
}

/* The text of record seq: varied lengths and characters, so framing and UTF-8 are exercised. */
export function contractText(seq) {
  const kinds = [
    () => JSON.stringify({ type: 'add', target: 'users', addData: [{ n: seq }] }),
    () => '',
    () => `é✓ 日本 \u{1F600} ${seq}`,
    () => `quote " backslash \\ newline \n tab \t nul \u0000 ${seq}`,
    () => 'x'.repeat((seq * 37) % 3000),
  ];
  return kinds[seq % kinds.length]();
}

const recordsFrom = (first, last) => Array.from({ length: last - first + 1 }, (_, i) => ({ seq: first + i, text: contractText(first + i) }));

function checkOpened(opened, { snapshot, first, last }, what) {
  check(opened && typeof opened === 'object', `${what}: open() must resolve to an object`);
  check(Array.isArray(opened.records), `${what}: open().records must be an array`);
  check(Array.isArray(opened.warnings), `${what}: open().warnings must be an array`);
  sameJSON(opened.warnings, [], `${what}: warnings`);
  sameJSON(opened.snapshot ?? null, snapshot ?? null, `${what}: snapshot`);
  check(opened.records.length === (last >= first ? last - first + 1 : 0),
    `${what}: expected records ${first}..${last}, got ${opened.records.length} records (seqs ${opened.records.slice(0, 3).map((r) => r.seq)}...)`);
  opened.records.forEach((record, i) => {
    check(record.seq === first + i, `${what}: record ${i} has seq ${record.seq}, expected ${first + i}`);
    check(record.text === contractText(first + i), `${what}: record ${record.seq} has the wrong text`);
  });
}

export function storeContract(test, makeStore, { label = 'store' } = {}) {
  /* Runs body with a fresh place; closes every store it handed out, then cleans up. */
  const withPlace = (name, body) => test(`${label} contract: ${name}`, async () => {
    const place = await makeStore();
    const opened = [];
    const newStore = () => {
      const store = place.newStore();
      opened.push(store);
      return store;
    };
    try {
      await body(newStore);
    } finally {
      for (const store of opened) await store.close();
      await place.cleanup?.();
    }
  });

  withPlace('implements open, append, writeSnapshot and close', async (newStore) => {
    const store = newStore();
    for (const method of ['open', 'append', 'writeSnapshot', 'close']) {
      check(typeof store[method] === 'function', `store.${method} must be a function`);
    }
  });

  withPlace('an empty store opens as nothing, with no warnings', async (newStore) => {
    const opened = await newStore().open();
    sameJSON(opened, { snapshot: null, records: [], warnings: [] }, 'empty open');
  });

  withPlace('appended records come back in order with their exact texts', async (newStore) => {
    const store = newStore();
    await store.open();
    await store.append(recordsFrom(1, 1));
    await store.append(recordsFrom(2, 40));
    await store.append([]);
    await store.append(recordsFrom(41, 45));
    await store.close();
    checkOpened(await newStore().open(), { first: 1, last: 45 }, 'after reopen');
  });

  withPlace('appends continue after a reopen', async (newStore) => {
    let store = newStore();
    await store.open();
    await store.append(recordsFrom(1, 10));
    await store.close();
    store = newStore();
    checkOpened(await store.open(), { first: 1, last: 10 }, 'first reopen');
    await store.append(recordsFrom(11, 20));
    await store.close();
    checkOpened(await newStore().open(), { first: 1, last: 20 }, 'second reopen');
  });

  withPlace('a large batch and a large text survive', async (newStore) => {
    const store = newStore();
    await store.open();
    await store.append(recordsFrom(1, 2000));
    const big = 'é'.repeat(300_000) + '\u{1F600}'.repeat(100_000);
    await store.append([{ seq: 2001, text: big }]);
    await store.close();
    const opened = await newStore().open();
    check(opened.records.length === 2001, `expected 2001 records, got ${opened.records.length}`);
    check(opened.records[1999].text === contractText(2000), 'record 2000 has the wrong text');
    check(opened.records[2000].seq === 2001 && opened.records[2000].text === big, 'the large text did not come back whole');
  });

  withPlace('changing a record object after append changes nothing stored', async (newStore) => {
    const store = newStore();
    await store.open();
    const batch = recordsFrom(1, 3);
    await store.append(batch);
    batch[0].text = 'changed';
    batch[1].seq = 99;
    batch.length = 0;
    await store.close();
    checkOpened(await newStore().open(), { first: 1, last: 3 }, 'after mutating the batch');
  });

  withPlace('a snapshot replaces the records it covers', async (newStore) => {
    const store = newStore();
    await store.open();
    await store.append(recordsFrom(1, 10));
    await store.writeSnapshot({ seq: 10, text: 'state at 10' });
    await store.append(recordsFrom(11, 15));
    await store.close();
    checkOpened(await newStore().open(), { snapshot: { seq: 10, text: 'state at 10' }, first: 11, last: 15 }, 'snapshot then log');
  });

  withPlace('a snapshot behind the log keeps the records after it', async (newStore) => {
    const store = newStore();
    await store.open();
    await store.append(recordsFrom(1, 12));
    await store.writeSnapshot({ seq: 7, text: 'state at 7' });
    await store.close();
    checkOpened(await newStore().open(), { snapshot: { seq: 7, text: 'state at 7' }, first: 8, last: 12 }, 'snapshot behind the log');
  });

  withPlace('the newest snapshot wins, and appends go on after it', async (newStore) => {
    let store = newStore();
    await store.open();
    await store.append(recordsFrom(1, 5));
    await store.writeSnapshot({ seq: 5, text: 'state at 5' });
    await store.append(recordsFrom(6, 9));
    await store.writeSnapshot({ seq: 9, text: '{"className":"DeltaTraceDatabase","é":"✓"}' });
    await store.close();
    store = newStore();
    checkOpened(await store.open(), { snapshot: { seq: 9, text: '{"className":"DeltaTraceDatabase","é":"✓"}' }, first: 10, last: 9 }, 'two snapshots');
    await store.append(recordsFrom(10, 14));
    await store.close();
    checkOpened(await newStore().open(), { snapshot: { seq: 9, text: '{"className":"DeltaTraceDatabase","é":"✓"}' }, first: 10, last: 14 }, 'appends after the snapshot');
  });

  withPlace('a large snapshot survives', async (newStore) => {
    const store = newStore();
    await store.open();
    await store.append(recordsFrom(1, 3));
    const text = JSON.stringify({ data: Array.from({ length: 20_000 }, (_, i) => ({ i, name: `名前 ${i}` })) });
    await store.writeSnapshot({ seq: 3, text });
    await store.close();
    const opened = await newStore().open();
    check(opened.snapshot?.seq === 3 && opened.snapshot.text === text, 'the large snapshot did not come back whole');
    check(opened.records.length === 0, `no records expected after the snapshot, got ${opened.records.length}`);
  });

  withPlace('open twice in a row gives the same answer', async (newStore) => {
    const store = newStore();
    await store.open();
    await store.append(recordsFrom(1, 4));
    await store.close();
    const first = newStore();
    const a = await first.open();
    await first.close();   // a store may hold its place until closed (FileStore: one writer per folder)
    const b = await newStore().open();
    sameJSON(a, b, 'two opens');
  });

  withPlace('a snapshot that verify() refuses is not kept; one it accepts is', async (newStore) => {
    const store = newStore();
    await store.open();
    await store.append(recordsFrom(1, 6));
    await store.writeSnapshot({ seq: 3, text: 'state at 3' });
    let refused = null;
    try {
      await store.writeSnapshot({ seq: 6, text: 'state at 6', verify: () => { throw new Error('would not load'); } });
    } catch (error) {
      refused = error;
    }
    check(refused?.code === 'CORRUPT', `a refused snapshot must reject with CORRUPT, got ${refused}`);
    let seen = null;
    await store.writeSnapshot({ seq: 5, text: 'state at 5', verify: (text) => { seen = text; } });
    check(seen === 'state at 5', `verify must get the snapshot's text, got ${seen}`);
    await store.close();
    checkOpened(await newStore().open(), { snapshot: { seq: 5, text: 'state at 5' }, first: 6, last: 6 }, 'after a refused snapshot');
  });

  withPlace('close is idempotent', async (newStore) => {
    const store = newStore();
    await store.open();
    await store.close();
    await store.close();
  });
}
