/*
 * store-file.test.mjs: node/file-store.js and js/crc32.js.
 *
 * Covers: CRC-32 against known values and a bit-by-bit reference; the store contract
 * (store-contract.mjs) on FileStore and on MemoryStore (the model); the frame layout on disk;
 * torn tails (the log cut at every byte of its last record, every byte of it flipped, zeros,
 * a wrong seq, damage mid-log) each reopening with the intact prefix and a warning; snapshot
 * plus log and what gets deleted; a crash at every file-system step of writeSnapshot and of
 * append (simulated by failing that step and every later one); leftover temp files, a damaged
 * manifest or snapshot; damaged, cut or deleted snapshots (issue 10 item 2): a fallback to the
 * previous snapshot plus the log, or CORRUPT with every byte left as it was, snapshots kept only
 * once verified; the lock (item 3): one store per folder in a process, the owner record, which
 * LOCK records are stale and which are not, processes racing for one folder (40 trials, each
 * exactly one winner), a full disk while locking; a full disk (ENOSPC, EDQUOT, EFBIG) rejecting
 * with QUOTA and leaving the store usable; and a throughput figure (printed, not asserted).
 * Run: node --test tests/js/store-file.test.mjs
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as realFs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { crc32 } from '../../js/crc32.js';
import { FileStore, processIdentity } from '../../node/file-store.js';
import { MemoryStore } from '../../js/stores/store.js';
import { HindsightError } from '../../js/errors.js';
import { storeContract, contractText } from './store-contract.mjs';

/* The folder's data files (LOCK, the owner record, is not data). */
async function dataFiles(dir) { return (await realFs.readdir(dir)).filter((n) => !n.startsWith('LOCK')); }

const LOG_1 = 'log-00000000000000000001.hlog';
const seqName = (seq) => String(seq).padStart(20, '0');

async function tempDir() {
  return realFs.mkdtemp(path.join(os.tmpdir(), 'hindsight-file-store-'));
}

async function withDir(body) {
  const dir = await tempDir();
  try {
    return await body(dir);
  } finally {
    await realFs.rm(dir, { recursive: true, force: true });
  }
}

const recordsFrom = (first, last) => Array.from({ length: last - first + 1 }, (_, i) => ({ seq: first + i, text: contractText(first + i) }));

function assertRecords(records, first, last, what = 'records') {
  assert.deepEqual(records.map((r) => r.seq), Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i), `${what}: seqs`);
  for (const r of records) assert.equal(r.text, contractText(r.seq), `${what}: text of ${r.seq}`);
}

async function openFresh(dir) {
  const store = new FileStore({ path: dir });
  try {
    return await store.open();
  } finally {
    await store.close();
  }
}

async function writeStore(dir, batches) {
  const store = new FileStore({ path: dir });
  await store.open();
  for (const [first, last] of batches) await store.append(recordsFrom(first, last));
  await store.close();
}

/* The frame layout of file-store.js's header table, written independently of the store. */
function frame(magic, seq, text) {
  const payload = Buffer.from(text, 'utf8');
  const bytes = Buffer.alloc(20 + payload.length);
  bytes.write(magic, 0, 'latin1');
  bytes.writeBigUInt64LE(BigInt(seq), 8);
  bytes.writeUInt32LE(payload.length, 16);
  payload.copy(bytes, 20);
  bytes.writeUInt32LE(crc32(bytes.subarray(8)), 4);
  return bytes;
}

/* A file system that fails on demand: control.plan(op, detail) returns null or { code, partial }.
   Real handles are tracked so a "crashed" store's files can be closed afterwards. */
function faultyFs() {
  const control = { plan: null, handles: new Set() };
  const fault = (op, detail) => control.plan?.(op, detail) ?? null;
  const injected = (op, code) => Object.assign(new Error(`injected ${code} in ${op}`), { code });
  const wrap = (handle, file) => ({
    async write(buffer, offset, length, position) {
      const f = fault('write', file);
      if (f?.partial && length > 1) await handle.write(buffer, offset, Math.floor(length / 2), position);
      if (f) throw injected('write', f.code);
      return handle.write(buffer, offset, length, position);
    },
    async read(...args) { const f = fault('read', file); if (f) throw injected('read', f.code); return handle.read(...args); },
    async stat() { const f = fault('stat', file); if (f) throw injected('stat', f.code); return handle.stat(); },
    async datasync() { const f = fault('datasync', file); if (f) throw injected('datasync', f.code); return handle.datasync(); },
    async sync() { const f = fault('sync', file); if (f) throw injected('sync', f.code); return handle.sync(); },
    async truncate(n) { const f = fault('truncate', file); if (f) throw injected('truncate', f.code); return handle.truncate(n); },
    async close() {
      control.handles.delete(handle);
      await handle.close();
      const f = fault('close', file);
      if (f) throw injected('close', f.code);
    },
  });
  const fs = {
    async open(file, flags, mode) {
      const f = fault('open', file);
      if (f) throw injected('open', f.code);
      const handle = await realFs.open(file, flags, mode);
      control.handles.add(handle);
      return wrap(handle, file);
    },
  };
  for (const name of ['mkdir', 'readdir', 'rename', 'unlink', 'readFile', 'link', 'realpath']) {
    fs[name] = async (...args) => {
      const f = fault(name, args[0]);
      if (f) throw injected(name, f.code);
      return realFs[name](...args);
    };
  }
  control.fs = fs;
  control.closeAll = async () => {
    for (const handle of control.handles) await handle.close().catch(() => {});
    control.handles.clear();
  };
  return control;
}

const isQuota = (error) => {
  assert.ok(error instanceof HindsightError, `expected HindsightError, got ${error}`);
  assert.equal(error.code, 'QUOTA');
  return true;
};

/*{==== crc32.js ====*/

/* Bit by bit, straight from the definition: the reference the table-driven code must match. */
function crc32Reference(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

test('crc32 gives the standard check values', () => {
  assert.equal(crc32('123456789'), 0xcbf43926);
  assert.equal(crc32(''), 0);
  assert.equal(crc32('a'), 0xe8b7be43);
  assert.equal(crc32('The quick brown fox jumps over the lazy dog'), 0x414fa339);
  assert.equal(crc32(new Uint8Array(32)), 0x190a55ad);
});

test('crc32 matches a bit-by-bit reference at every length and alignment', () => {
  const bytes = new Uint8Array(300);
  let x = 12345;
  for (let i = 0; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  for (let start = 0; start < 9; start++) {
    for (let length = 0; length + start <= bytes.length; length += 7) {
      const part = bytes.subarray(start, start + length);
      assert.equal(crc32(part), crc32Reference(part), `start ${start} length ${length}`);
    }
  }
});

test('crc32 of a string is the crc32 of its UTF-8 bytes, and it can continue', () => {
  const text = 'é✓ 日本 \u{1F600}';
  assert.equal(crc32(text), crc32Reference(new TextEncoder().encode(text)));
  assert.equal(crc32('world', crc32('hello ')), crc32('hello world'));
  assert.equal(crc32(new Uint16Array([1, 2])), crc32(new Uint8Array([1, 0, 2, 0])));
  assert.throws(() => crc32(42), (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT');
});

test('crc32 of a long string (encoded in chunks) is the crc32 of its UTF-8 bytes: pairs across chunk ends, lone surrogates', () => {
  const utf8 = new TextEncoder();
  // Chunks hold 16,384 characters: shift a pair across every position near the boundaries.
  for (let shift = 0; shift < 4; shift++) {
    const text = 'a'.repeat(16380 + shift) + '\u{1F600}é\ud800x\udc00'.repeat(6000) + 'z';
    assert.equal(crc32(text), crc32(utf8.encode(text)), `shift ${shift}`);
    assert.equal(crc32(text, 7), crc32(utf8.encode(text), 7), `shift ${shift}, continued`);
  }
  const endsHigh = 'b'.repeat(16383) + '\ud83d';
  assert.equal(crc32(endsHigh), crc32(utf8.encode(endsHigh)), 'a lone high surrogate at the very end');
});

/*{==== the contract ====*/

storeContract(test, () => {
  const store = new MemoryStore();
  return { newStore: () => store };
}, { label: 'MemoryStore' });

storeContract(test, async () => {
  const dir = await tempDir();
  return { newStore: () => new FileStore({ path: dir }), cleanup: () => realFs.rm(dir, { recursive: true, force: true }) };
}, { label: 'FileStore' });

/*{==== layout, arguments, lifecycle ====*/

test('the log on disk is the documented frames, one file per segment', () => withDir(async (dir) => {
  await writeStore(dir, [[1, 2], [3, 3]]);
  const bytes = await realFs.readFile(path.join(dir, LOG_1));
  const expected = Buffer.concat([1, 2, 3].map((seq) => frame('HSR1', seq, contractText(seq))));
  assert.ok(bytes.equals(expected), 'log bytes differ from the documented frame layout');
  assert.deepEqual(await dataFiles(dir), [LOG_1]);
}));

test('a missing folder is an empty store, created on open', () => withDir(async (dir) => {
  const folder = path.join(dir, 'a', 'b');
  assert.deepEqual(await openFresh(folder), { snapshot: null, records: [], warnings: [] });
  assert.ok((await realFs.stat(folder)).isDirectory());
}));

test('append refuses seqs that do not continue the log, and writes nothing of them', () => withDir(async (dir) => {
  const store = new FileStore({ path: dir });
  await store.open();
  await store.append(recordsFrom(1, 3));
  const invalid = (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT';
  await assert.rejects(store.append(recordsFrom(5, 6)), invalid);
  await assert.rejects(store.append([{ seq: 4, text: 'a' }, { seq: 6, text: 'b' }]), invalid);
  await assert.rejects(store.append([{ seq: 4.5, text: 'a' }]), invalid);
  await assert.rejects(store.append('no'), invalid);
  await assert.rejects(store.writeSnapshot({ seq: -1, text: '' }), invalid);
  await store.append(recordsFrom(4, 4));
  await store.writeSnapshot({ seq: 4, text: 's' });
  await assert.rejects(store.writeSnapshot({ seq: 3, text: 'older' }), invalid);
  await store.close();
  const opened = await openFresh(dir);
  assert.deepEqual(opened.snapshot, { seq: 4, text: 's' });
  assertRecords(opened.records, 5, 4);
  assert.throws(() => new FileStore({}), (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT');
}));

test('a closed store refuses writes; open() reopens it; close is idempotent', () => withDir(async (dir) => {
  const store = new FileStore({ path: dir });
  await store.open();
  await store.append(recordsFrom(1, 2));
  await store.close();
  await store.close();
  await assert.rejects(store.append(recordsFrom(3, 3)), (e) => e instanceof HindsightError && e.code === 'CLOSED');
  await assert.rejects(store.writeSnapshot({ seq: 2, text: '' }), (e) => e instanceof HindsightError && e.code === 'CLOSED');
  assertRecords((await store.open()).records, 1, 2);
  await store.append(recordsFrom(3, 3));
  await store.close();
  assertRecords((await openFresh(dir)).records, 1, 3);
}));

test('append before open recovers the folder first', () => withDir(async (dir) => {
  await writeStore(dir, [[1, 5]]);
  const store = new FileStore({ path: dir });
  await store.append(recordsFrom(6, 7));
  await store.close();
  assertRecords((await openFresh(dir)).records, 1, 7);
}));

/*{==== torn and corrupt logs ====*/

test('the log cut at every byte of its last record reopens with the prefix and a warning', () => withDir(async (dir) => {
  await writeStore(dir, [[1, 3], [4, 4], [5, 5]]);
  const full = await realFs.readFile(path.join(dir, LOG_1));
  const lastStart = full.length - frame('HSR1', 5, contractText(5)).length;
  let checkedAppend = 0;
  for (let cut = lastStart; cut < full.length; cut++) {
    await withDir(async (copy) => {
      await realFs.writeFile(path.join(copy, LOG_1), full.subarray(0, cut));
      const store = new FileStore({ path: copy });
      const opened = await store.open();
      assertRecords(opened.records, 1, 4, `cut at ${cut}`);
      assert.equal(opened.snapshot, null);
      assert.equal(opened.warnings.length, cut > lastStart ? 1 : 0, `cut at ${cut}: ${opened.warnings}`);
      if (cut > lastStart) assert.match(opened.warnings[0], /torn/);
      assert.equal((await realFs.stat(path.join(copy, LOG_1))).size, lastStart, `cut at ${cut}: the torn bytes are truncated`);
      assert.deepEqual(await dataFiles(copy), [LOG_1], 'a torn tail is not kept aside');
      // After the repair, appends go on cleanly (checked for a few cuts: each costs fsyncs).
      if (cut % 9 === 0 || cut === full.length - 1) {
        checkedAppend++;
        await store.append(recordsFrom(5, 6));
        await store.close();
        const again = await openFresh(copy);
        assertRecords(again.records, 1, 6, `cut at ${cut}, appended`);
        assert.deepEqual(again.warnings, []);
      }
      await store.close();
    });
  }
  assert.ok(checkedAppend >= 2);
}));

test('any byte of the last record flipped drops that record with a warning', () => withDir(async (dir) => {
  await writeStore(dir, [[1, 4], [5, 5]]);
  const full = await realFs.readFile(path.join(dir, LOG_1));
  const lastStart = full.length - frame('HSR1', 5, contractText(5)).length;
  for (let at = lastStart; at < full.length; at++) {
    await withDir(async (copy) => {
      const damaged = Buffer.from(full);
      damaged[at] ^= 0x5a;
      await realFs.writeFile(path.join(copy, LOG_1), damaged);
      const opened = await openFresh(copy);
      assertRecords(opened.records, 1, 4, `flip at ${at}`);
      assert.equal(opened.warnings.length, 1, `flip at ${at}: ${opened.warnings}`);
      assert.equal((await realFs.stat(path.join(copy, LOG_1))).size, lastStart);
    });
  }
}));

test('a zero-filled tail is dropped as torn, without a side file', () => withDir(async (dir) => {
  await writeStore(dir, [[1, 3]]);
  const file = path.join(dir, LOG_1);
  const size = (await realFs.stat(file)).size;
  await realFs.appendFile(file, Buffer.alloc(4096));
  const opened = await openFresh(dir);
  assertRecords(opened.records, 1, 3);
  assert.equal(opened.warnings.length, 1);
  assert.deepEqual(await dataFiles(dir), [LOG_1]);
  assert.equal((await realFs.stat(file)).size, size);
}));

test('damage in the middle of the log ends it there; the cut bytes are kept aside', () => withDir(async (dir) => {
  await writeStore(dir, [[1, 10]]);
  const file = path.join(dir, LOG_1);
  const full = await realFs.readFile(file);
  const start4 = Buffer.concat([1, 2, 3].map((s) => frame('HSR1', s, contractText(s)))).length;
  const damaged = Buffer.from(full);
  damaged[start4 + 21] ^= 1;
  await realFs.writeFile(file, damaged);
  const opened = await openFresh(dir);
  assertRecords(opened.records, 1, 3);
  assert.equal(opened.warnings.length, 1);
  assert.match(opened.warnings[0], /checksum/);
  const side = `${LOG_1}.${start4}.dropped`;
  assert.ok((await realFs.readFile(path.join(dir, side))).equals(damaged.subarray(start4)), 'the dropped bytes are kept exactly');
  // The store goes on from seq 4.
  await writeStore(dir, [[4, 5]]);
  assertRecords((await openFresh(dir)).records, 1, 5);
}));

test('a record with the wrong seq ends the log', () => withDir(async (dir) => {
  const bytes = Buffer.concat([frame('HSR1', 1, 'a'), frame('HSR1', 2, 'b'), frame('HSR1', 4, 'd'), frame('HSR1', 5, 'e')]);
  await realFs.writeFile(path.join(dir, LOG_1), bytes);
  const opened = await openFresh(dir);
  assert.deepEqual(opened.records, [{ seq: 1, text: 'a' }, { seq: 2, text: 'b' }]);
  assert.equal(opened.warnings.length, 1);
  assert.match(opened.warnings[0], /seq 4 where 3 belongs/);
}));

test('segments after a break are renamed aside, not read', () => withDir(async (dir) => {
  await realFs.writeFile(path.join(dir, LOG_1), Buffer.concat([frame('HSR1', 1, 'a'), frame('HSR1', 2, 'b').subarray(0, 15)]));
  const second = `log-${seqName(3)}.hlog`;
  await realFs.writeFile(path.join(dir, second), frame('HSR1', 3, 'c'));
  const opened = await openFresh(dir);
  assert.deepEqual(opened.records, [{ seq: 1, text: 'a' }]);
  assert.equal(opened.warnings.length, 2, String(opened.warnings));
  assert.deepEqual((await dataFiles(dir)).sort(), [LOG_1, `${second}.dropped`].sort());
}));

test('a torn segment end followed by a segment that goes on densely: the log goes on', () => withDir(async (dir) => {
  await realFs.writeFile(path.join(dir, LOG_1), Buffer.concat([frame('HSR1', 1, 'a'), frame('HSR1', 2, 'b'), frame('HSR1', 3, 'c').subarray(0, 9)]));
  await realFs.writeFile(path.join(dir, `log-${seqName(3)}.hlog`), Buffer.concat([frame('HSR1', 3, 'C'), frame('HSR1', 4, 'D')]));
  const opened = await openFresh(dir);
  assert.deepEqual(opened.records, [{ seq: 1, text: 'a' }, { seq: 2, text: 'b' }, { seq: 3, text: 'C' }, { seq: 4, text: 'D' }]);
  assert.equal(opened.warnings.length, 1);
  await writeStore(dir, [[5, 5]]);
  assert.deepEqual((await dataFiles(dir)).sort(), [LOG_1, `log-${seqName(3)}.hlog`]);
  assert.equal((await openFresh(dir)).records.length, 5);
}));

/*{==== snapshots ====*/

test('a snapshot starts a new segment; the previous snapshot and the log after it are kept', () => withDir(async (dir) => {
  const snap = (seq) => `snapshot-${seqName(seq)}.hsnap`;
  const store = new FileStore({ path: dir });
  await store.open();
  await store.append(recordsFrom(1, 10));
  await store.writeSnapshot({ seq: 10, text: 'S10' });
  // The first snapshot's previous is the empty start: the whole log stays.
  assert.deepEqual((await dataFiles(dir)).sort(), [LOG_1, 'MANIFEST', snap(10)].sort());
  await store.append(recordsFrom(11, 15));
  await store.writeSnapshot({ seq: 12, text: 'S12' }); // now S10 is the previous: what it covers goes
  assert.deepEqual((await dataFiles(dir)).sort(), [`log-${seqName(11)}.hlog`, 'MANIFEST', snap(10), snap(12)].sort());
  await store.append(recordsFrom(16, 20)); // after a snapshot, appends start a new segment
  assert.deepEqual((await dataFiles(dir)).sort(), [`log-${seqName(11)}.hlog`, `log-${seqName(16)}.hlog`, 'MANIFEST', snap(10), snap(12)].sort());
  await store.close();
  const opened = await openFresh(dir);
  assert.deepEqual(opened.snapshot, { seq: 12, text: 'S12' });
  assertRecords(opened.records, 13, 20);
  assert.deepEqual(opened.warnings, []);
  assert.ok((await realFs.readFile(path.join(dir, snap(12)))).equals(frame('HSS1', 12, 'S12')), 'snapshot file layout');
  // After a reopen, the snapshot it opened from is the previous one of the next snapshot.
  const again = new FileStore({ path: dir });
  await again.open();
  await again.writeSnapshot({ seq: 17, text: 'S17' });
  await again.append(recordsFrom(21, 21));
  await again.close();
  assert.deepEqual((await dataFiles(dir)).sort(), [`log-${seqName(11)}.hlog`, `log-${seqName(16)}.hlog`, `log-${seqName(21)}.hlog`, 'MANIFEST', snap(12), snap(17)].sort());
  const last = await openFresh(dir);
  assert.deepEqual(last.snapshot, { seq: 17, text: 'S17' });
  assertRecords(last.records, 18, 21);
}));

test('a snapshot ahead of the log: the next append starts after it', () => withDir(async (dir) => {
  const store = new FileStore({ path: dir });
  await store.open();
  await store.append(recordsFrom(1, 3));
  await store.writeSnapshot({ seq: 100, text: 'imported' });
  await assert.rejects(store.append(recordsFrom(4, 4)), (e) => e.code === 'INVALID_ARGUMENT');
  await store.append(recordsFrom(101, 102));
  await store.close();
  const opened = await openFresh(dir);
  assert.deepEqual(opened.snapshot, { seq: 100, text: 'imported' });
  assertRecords(opened.records, 101, 102);
}));

test('leftover temp files are ignored and removed', () => withDir(async (dir) => {
  const store = new FileStore({ path: dir });
  await store.open();
  await store.append(recordsFrom(1, 5));
  await store.writeSnapshot({ seq: 3, text: 'S3' });
  await store.close();
  await realFs.writeFile(path.join(dir, `snapshot-${seqName(5)}.hsnap.tmp`), frame('HSS1', 5, 'S5').subarray(0, 25));
  await realFs.writeFile(path.join(dir, 'MANIFEST.tmp'), 'half a manifest');
  const opened = await openFresh(dir);
  assert.deepEqual(opened.snapshot, { seq: 3, text: 'S3' });
  assertRecords(opened.records, 4, 5);
  assert.deepEqual(opened.warnings, []);
  assert.ok(!(await dataFiles(dir)).some((n) => n.endsWith('.tmp')));
}));

test('a complete snapshot without its manifest (a crash between the renames) is used', () => withDir(async (dir) => {
  const store = new FileStore({ path: dir });
  await store.open();
  await store.append(recordsFrom(1, 5));
  await store.writeSnapshot({ seq: 2, text: 'S2' });
  await store.close();
  await realFs.writeFile(path.join(dir, `snapshot-${seqName(5)}.hsnap`), frame('HSS1', 5, 'S5'));
  const opened = await openFresh(dir);
  assert.deepEqual(opened.snapshot, { seq: 5, text: 'S5' });
  assertRecords(opened.records, 6, 5);
  assert.deepEqual(opened.warnings, []);
  assert.ok((await dataFiles(dir)).includes(LOG_1), 'nothing is deleted on the word of a snapshot the manifest does not name');
}));

test('a snapshot of the same seq replaced just before a crash is still used', () => withDir(async (dir) => {
  const store = new FileStore({ path: dir });
  await store.open();
  await store.append(recordsFrom(1, 4));
  await store.writeSnapshot({ seq: 4, text: 'first S4' });
  await store.append(recordsFrom(5, 6));
  await store.close();
  // The second writeSnapshot({ seq: 4 }) renamed its file into place; the manifest still has the old CRC.
  await realFs.writeFile(path.join(dir, `snapshot-${seqName(4)}.hsnap`), frame('HSS1', 4, 'second S4'));
  const opened = await openFresh(dir);
  assert.deepEqual(opened.snapshot, { seq: 4, text: 'second S4' });
  assertRecords(opened.records, 5, 6);
  assert.deepEqual(opened.warnings, []);
}));

test('a same-seq snapshot whose manifest cannot be written keeps a usable snapshot', () => withDir(async (dir) => {
  const control = faultyFs();
  const store = new FileStore({ path: dir, fs: control.fs });
  await store.open();
  await store.append(recordsFrom(1, 4));
  await store.writeSnapshot({ seq: 4, text: 'first S4' });
  control.plan = (op, file) => (op === 'write' && file.endsWith('MANIFEST.tmp') ? { code: 'ENOSPC' } : null);
  await assert.rejects(store.writeSnapshot({ seq: 4, text: 'second S4' }), isQuota);
  control.plan = null;
  await store.close();
  const opened = await openFresh(dir);
  assert.equal(opened.snapshot?.seq, 4, 'the only snapshot (the log before it is gone) must survive');
  assert.ok(['first S4', 'second S4'].includes(opened.snapshot.text));
  assert.deepEqual(opened.warnings, []);
}));

test('a failed append whose tail could not be cut, then a snapshot: nothing is lost', () => withDir(async (dir) => {
  for (const truncateWorksLater of [true, false]) {
    const folder = path.join(dir, String(truncateWorksLater));
    const control = faultyFs();
    const store = new FileStore({ path: folder, fs: control.fs });
    await store.open();
    await store.append(recordsFrom(1, 5));
    control.plan = (op) => (op === 'write' ? { code: 'ENOSPC', partial: true } : op === 'truncate' ? { code: 'EIO' } : null);
    await assert.rejects(store.append(recordsFrom(6, 20)), isQuota);
    control.plan = truncateWorksLater ? null : (op) => (op === 'truncate' ? { code: 'EIO' } : null);
    await store.writeSnapshot({ seq: 3, text: 'S3' }); // behind the log: the old segment stays
    control.plan = null;
    // A new segment only if the bad bytes are gone; otherwise this append cuts them first.
    await store.append(recordsFrom(6, 8));
    await store.close();
    const opened = await openFresh(folder);
    assert.deepEqual(opened.snapshot, { seq: 3, text: 'S3' });
    assertRecords(opened.records, 4, 8, `truncateWorksLater ${truncateWorksLater}`);
    assert.deepEqual(opened.warnings, []);
    const logs = (await dataFiles(folder)).filter((n) => n.startsWith('log-'));
    assert.deepEqual(logs, truncateWorksLater ? [LOG_1, `log-${seqName(6)}.hlog`] : [LOG_1]);
  }
}));

test('a damaged manifest: the newest intact snapshot is used, with a warning', () => withDir(async (dir) => {
  const store = new FileStore({ path: dir });
  await store.open();
  await store.append(recordsFrom(1, 5));
  await store.writeSnapshot({ seq: 5, text: 'S5' });
  await store.append(recordsFrom(6, 7));
  await store.close();
  const manifest = await realFs.readFile(path.join(dir, 'MANIFEST'));
  manifest[manifest.length - 3] ^= 0xff;
  await realFs.writeFile(path.join(dir, 'MANIFEST'), manifest);
  const opened = await openFresh(dir);
  assert.deepEqual(opened.snapshot, { seq: 5, text: 'S5' });
  assertRecords(opened.records, 6, 7);
  assert.equal(opened.warnings.length, 1);
  assert.match(opened.warnings[0], /manifest/);
}));

test('a damaged newest snapshot: an older one plus the log still give every record', () => withDir(async (dir) => {
  const store = new FileStore({ path: dir });
  await store.open();
  await store.append(recordsFrom(1, 10));
  await store.writeSnapshot({ seq: 5, text: 'S5' });
  const keep = {};
  for (const name of [LOG_1, `snapshot-${seqName(5)}.hsnap`]) keep[name] = await realFs.readFile(path.join(dir, name));
  await store.writeSnapshot({ seq: 10, text: 'S10' });
  await store.append(recordsFrom(11, 12));
  await store.close();
  for (const [name, bytes] of Object.entries(keep)) await realFs.writeFile(path.join(dir, name), bytes);
  const newest = path.join(dir, `snapshot-${seqName(10)}.hsnap`);
  const bytes = await realFs.readFile(newest);
  bytes[bytes.length - 1] ^= 1;
  await realFs.writeFile(newest, bytes);
  const opened = await openFresh(dir);
  assert.deepEqual(opened.snapshot, { seq: 5, text: 'S5' });
  assertRecords(opened.records, 6, 12);
  assert.ok(opened.warnings.some((w) => /snapshot-0+10\.hsnap is damaged/.test(w)), String(opened.warnings));
}));

/*{==== damaged snapshots never cost a commit (issue 10, item 2) ====*/

/* Every data file of the folder and its bytes (LOCK files are not data). */
async function folderBytes(dir) {
  const files = {};
  for (const name of (await dataFiles(dir)).sort()) files[name] = (await realFs.readFile(path.join(dir, name))).toString('base64');
  return files;
}

const isCorrupt = (error) => {
  assert.ok(error instanceof HindsightError, `expected HindsightError, got ${error?.stack ?? error}`);
  assert.equal(error.code, 'CORRUPT', String(error.message));
  return true;
};

/* Opening must fail with CORRUPT and leave every byte as it was, twice in a row. */
async function assertCorruptUntouched(dir, what) {
  const before = await folderBytes(dir);
  for (let i = 0; i < 2; i++) {
    const store = new FileStore({ path: dir });
    await assert.rejects(store.open(), isCorrupt, what);
    await store.close();
    assert.deepEqual(await folderBytes(dir), before, `${what}: open changed the folder`);
  }
}

/* A folder as the store of an earlier version leaves it after a snapshot at 10 and records
   11..15: the snapshot, the manifest naming it, the log after it, nothing older. */
async function earlierVersionFolder(dir, snapshotBytes = frame('HSS1', 10, 'S10')) {
  const good = frame('HSS1', 10, 'S10'); // what the manifest was written for
  const manifest = { format: 'hindsight-file-store', version: 1, snapshot: { file: `snapshot-${seqName(10)}.hsnap`, seq: 10, bytes: good.length, crc: good.readUInt32LE(4) } };
  await realFs.writeFile(path.join(dir, `snapshot-${seqName(10)}.hsnap`), snapshotBytes);
  await realFs.writeFile(path.join(dir, 'MANIFEST'), frame('HSM1', 10, JSON.stringify(manifest)));
  await realFs.writeFile(path.join(dir, `log-${seqName(11)}.hlog`), Buffer.concat([11, 12, 13, 14, 15].map((q) => frame('HSR1', q, contractText(q)))));
}

test('a folder written by an earlier version opens: its snapshot and the log after it', () => withDir(async (dir) => {
  await earlierVersionFolder(dir);
  await realFs.writeFile(path.join(dir, 'LOCK'), '999999999'); // its LOCK held a bare pid (of a process long gone)
  const opened = await openFresh(dir);
  assert.deepEqual(opened.snapshot, { seq: 10, text: 'S10' });
  assertRecords(opened.records, 11, 15);
  assert.deepEqual(opened.warnings, []);
}));

test('the only snapshot flipped, cut short or deleted: open fails with CORRUPT and changes nothing', () => withDir(async (root) => {
  const good = frame('HSS1', 10, 'S10');
  const damages = {
    'one bit flipped in the payload': () => { const b = Buffer.from(good); b[22] ^= 0x04; return b; },
    'one bit flipped in the CRC': () => { const b = Buffer.from(good); b[5] ^= 0x80; return b; },
    'one bit flipped in the seq': () => { const b = Buffer.from(good); b[8] ^= 0x01; return b; },
    'cut short': () => good.subarray(0, good.length - 1),
    'cut to nothing': () => Buffer.alloc(0),
  };
  for (const [what, damaged] of Object.entries(damages)) {
    const dir = path.join(root, what.replaceAll(' ', '-'));
    await realFs.mkdir(dir);
    await earlierVersionFolder(dir, damaged());
    await assertCorruptUntouched(dir, what);
  }
  // Deleted, with the manifest naming it; and deleted together with the manifest (the log
  // starting at 11 still says that 1..10 existed).
  const deleted = path.join(root, 'deleted');
  await realFs.mkdir(deleted);
  await earlierVersionFolder(deleted);
  await realFs.unlink(path.join(deleted, `snapshot-${seqName(10)}.hsnap`));
  await assertCorruptUntouched(deleted, 'snapshot deleted');
  await realFs.unlink(path.join(deleted, 'MANIFEST'));
  await assertCorruptUntouched(deleted, 'snapshot and manifest deleted');
  // Putting the snapshot back makes the folder whole again: nothing was lost meanwhile.
  await realFs.writeFile(path.join(deleted, `snapshot-${seqName(10)}.hsnap`), good);
  const opened = await openFresh(deleted);
  assert.deepEqual(opened.snapshot, { seq: 10, text: 'S10' });
  assertRecords(opened.records, 11, 15);
}));

test('Database.open of a folder whose only snapshot is damaged rejects with CORRUPT', () => withDir(async (dir) => {
  const { Database } = await import('../../node/index.js');
  await earlierVersionFolder(dir, Buffer.from(frame('HSS1', 10, 'S10')).fill(0x41, 21, 22));
  const before = await folderBytes(dir);
  await assert.rejects(Database.open({ storage: 'file', path: dir }), isCorrupt);
  assert.deepEqual(await folderBytes(dir), before);
  // The failed open let go of the folder: once the snapshot is restored, it opens in this process.
  await realFs.writeFile(path.join(dir, `snapshot-${seqName(10)}.hsnap`), frame('HSS1', 10, 'S10'));
  const store = new FileStore({ path: dir });
  assert.equal((await store.open()).records.length, 5);
  await store.close();
}));

/* A store with snapshots at 5 and 10 and records 1..20 (what the store keeps: S5, S10 and
   the log after 5). */
async function twoSnapshotFolder(dir) {
  const store = new FileStore({ path: dir });
  await store.open();
  await store.append(recordsFrom(1, 5));
  await store.writeSnapshot({ seq: 5, text: 'S5' });
  await store.append(recordsFrom(6, 10));
  await store.writeSnapshot({ seq: 10, text: 'S10' });
  await store.append(recordsFrom(11, 20));
  await store.close();
}

test('the current snapshot flipped, cut or deleted: the previous one plus the log give every record', () => withDir(async (root) => {
  const current = `snapshot-${seqName(10)}.hsnap`;
  const damages = {
    flipped: async (file) => { const b = await realFs.readFile(file); b[b.length - 2] ^= 0x10; await realFs.writeFile(file, b); },
    'cut short': async (file) => { const b = await realFs.readFile(file); await realFs.writeFile(file, b.subarray(0, b.length - 2)); },
    deleted: (file) => realFs.unlink(file),
  };
  for (const [what, damage] of Object.entries(damages)) {
    const dir = path.join(root, what.replaceAll(' ', '-'));
    await twoSnapshotFolder(dir);
    await damage(path.join(dir, current));
    const store = new FileStore({ path: dir });
    const opened = await store.open();
    assert.deepEqual(opened.snapshot, { seq: 5, text: 'S5' }, what);
    assertRecords(opened.records, 6, 20, what);
    assert.ok(opened.warnings.some((w) => /snapshot-0+10\.hsnap/.test(w)), `${what}: ${opened.warnings}`);
    // The next snapshot replaces the damaged one; nothing is lost on the way.
    await store.append(recordsFrom(21, 22));
    await store.writeSnapshot({ seq: 22, text: 'S22' });
    await store.append(recordsFrom(23, 23));
    await store.close();
    const again = await openFresh(dir);
    assert.deepEqual(again.snapshot, { seq: 22, text: 'S22' }, what);
    assertRecords(again.records, 23, 23, what);
    assert.deepEqual(again.warnings, [], what);
    assert.ok(!(await dataFiles(dir)).includes(current), `${what}: the damaged snapshot went once a newer one was verified`);
  }
}));

test('both snapshots damaged: CORRUPT, and nothing changes', () => withDir(async (dir) => {
  await twoSnapshotFolder(dir);
  for (const seq of [5, 10]) {
    const file = path.join(dir, `snapshot-${seqName(seq)}.hsnap`);
    const b = await realFs.readFile(file);
    b[21] ^= 1;
    await realFs.writeFile(file, b);
  }
  await assertCorruptUntouched(dir, 'both snapshots flipped');
}));

test('the log after the fallback snapshot cut short of the damaged snapshot: CORRUPT, nothing changes', () => withDir(async (dir) => {
  await twoSnapshotFolder(dir);
  const file = path.join(dir, `snapshot-${seqName(10)}.hsnap`);
  const b = await realFs.readFile(file);
  b[b.length - 1] ^= 1;
  await realFs.writeFile(file, b);
  // Record 8 damaged: S5 and the log reach seq 7, less than the 10 that S10 held.
  const log = path.join(dir, `log-${seqName(6)}.hlog`);
  const bytes = await realFs.readFile(log);
  const at8 = Buffer.concat([6, 7].map((q) => frame('HSR1', q, contractText(q)))).length;
  bytes[at8 + 22] ^= 1;
  await realFs.writeFile(log, bytes);
  await assertCorruptUntouched(dir, 'fallback log too short');
}));

test('a snapshot that replaced the history (fromDict) is never stood in for by the old history', () => withDir(async (root) => {
  for (const seq of [0, 6]) {
    const dir = path.join(root, String(seq));
    const store = new FileStore({ path: dir });
    await store.open();
    if (seq) {
      await store.append(recordsFrom(1, 3));
      await store.writeSnapshot({ seq: 3, text: 'S3' });
      await store.append(recordsFrom(4, 6));
    }
    await store.writeSnapshot({ seq, text: 'imported', replacesHistory: true });
    await store.close();
    assert.deepEqual(await dataFiles(dir), ['MANIFEST', `snapshot-${seqName(seq)}.hsnap`], `seq ${seq}: the old history is gone`);
    const opened = await openFresh(dir);
    assert.deepEqual(opened.snapshot, { seq, text: 'imported' });
    const file = path.join(dir, `snapshot-${seqName(seq)}.hsnap`);
    const bytes = await realFs.readFile(file);
    bytes[bytes.length - 1] ^= 2;
    await realFs.writeFile(file, bytes);
    await assertCorruptUntouched(dir, `replaced at seq ${seq}`);
  }
}));

test('a snapshot is kept only once it reads back and verify() accepts it; until then nothing is deleted', () => withDir(async (dir) => {
  const control = faultyFs();
  const store = new FileStore({ path: dir, fs: control.fs });
  await store.open();
  await store.append(recordsFrom(1, 5));
  await store.writeSnapshot({ seq: 5, text: 'S5' });
  await store.append(recordsFrom(6, 10));
  await store.writeSnapshot({ seq: 10, text: 'S10' });
  await store.append(recordsFrom(11, 15));
  const before = await folderBytes(dir);
  let seen = null;
  const refuse = (text) => { seen = text; throw new Error('Exceeded max allowed nesting depth'); };
  await assert.rejects(store.writeSnapshot({ seq: 15, text: 'S15', verify: refuse }), (e) => isCorrupt(e) && /would not load back/.test(e.message));
  assert.equal(seen, 'S15', 'verify gets the text as read back');
  assert.deepEqual(await folderBytes(dir), before, 'a refused snapshot changes nothing');
  // Bytes that read back differently (a bad disk or a bad cache) are refused the same way.
  const realRead = control.fs.readFile;
  control.fs.readFile = async (file, ...rest) => {
    const bytes = await realRead(file, ...rest);
    if (String(file).endsWith('.hsnap.tmp')) bytes[bytes.length - 1] ^= 1;
    return bytes;
  };
  await assert.rejects(store.writeSnapshot({ seq: 15, text: 'S15' }), (e) => isCorrupt(e) && /read back/.test(e.message));
  control.fs.readFile = realRead;
  assert.deepEqual(await folderBytes(dir), before, 'a snapshot that reads back wrong changes nothing');
  await store.writeSnapshot({ seq: 15, text: 'S15', verify: async (text) => assert.equal(text, 'S15') });
  await store.close();
  const opened = await openFresh(dir);
  assert.deepEqual(opened.snapshot, { seq: 15, text: 'S15' });
  assert.deepEqual(opened.records, []);
  await assert.rejects(new FileStore({ path: dir }).writeSnapshot({ seq: 16, text: '', verify: 'yes' }), (e) => e.code === 'INVALID_ARGUMENT');
}));

test('a snapshot given as UTF-8 bytes: verify gets those bytes, the file frames them, open gives the text; refused or read back wrong, nothing changes', () => withDir(async (dir) => {
  const control = faultyFs();
  const store = new FileStore({ path: dir, fs: control.fs });
  assert.equal(store.takesSnapshotBytes, true);
  await store.open();
  await store.append(recordsFrom(1, 5));
  await store.writeSnapshot({ seq: 5, text: 'S5' });
  await store.append(recordsFrom(6, 10));
  const text = 'S10 é \u{1F600}';
  const bytes = new TextEncoder().encode(text);
  const before = await folderBytes(dir);
  let seen = null;
  await assert.rejects(store.writeSnapshot({ seq: 10, bytes, verify: (given) => { seen = given; throw new Error('would not load'); } }), isCorrupt);
  assert.equal(seen, bytes, 'verify gets the bytes given, which are what the file must read back as');
  assert.deepEqual(await folderBytes(dir), before, 'a refused snapshot changes nothing');
  const realRead = control.fs.readFile;
  control.fs.readFile = async (file, ...rest) => {
    const back = await realRead(file, ...rest);
    if (String(file).endsWith('.hsnap.tmp')) back[back.length - 1] ^= 1;
    return back;
  };
  await assert.rejects(store.writeSnapshot({ seq: 10, bytes, verify: () => {} }), (e) => isCorrupt(e) && /read back/.test(e.message));
  control.fs.readFile = realRead;
  assert.deepEqual(await folderBytes(dir), before, 'bytes that read back wrong change nothing');
  await assert.rejects(store.writeSnapshot({ seq: 10, bytes: 'not bytes' }), (e) => e.code === 'INVALID_ARGUMENT');
  await store.writeSnapshot({ seq: 10, bytes, verify: () => {} });
  await store.close();
  assert.ok((await realFs.readFile(path.join(dir, `snapshot-${seqName(10)}.hsnap`))).equals(frame('HSS1', 10, text)), 'the same frame as the text would have');
  const opened = await openFresh(dir);
  assert.deepEqual(opened.snapshot, { seq: 10, text });
  assert.deepEqual(opened.records, []);
}));

test('verify runs while the snapshot is written: a write that fails meanwhile leaves no temp file, and a verify that fails waits for the write', () => withDir(async (dir) => {
  const control = faultyFs();
  const store = new FileStore({ path: dir, fs: control.fs });
  await store.open();
  await store.append(recordsFrom(1, 5));
  const before = await folderBytes(dir);
  const slowly = (fail) => async () => { await new Promise((resolve) => setTimeout(resolve, 30)); if (fail) throw new Error('would not load'); };
  control.plan = (op, file) => (op === 'write' && String(file).endsWith('.hsnap.tmp') ? { code: 'ENOSPC', partial: true } : null);
  await assert.rejects(store.writeSnapshot({ seq: 5, text: 'S5', verify: slowly(false) }), (e) => e.code === 'QUOTA');
  await assert.rejects(store.writeSnapshot({ seq: 5, text: 'S5', verify: slowly(true) }), isCorrupt);
  control.plan = (op, file) => (op === 'sync' && String(file).endsWith('.hsnap.tmp') ? { code: 'EIO' } : null);
  await assert.rejects(store.writeSnapshot({ seq: 5, text: 'S5', verify: slowly(false) }), (e) => e.code === 'EIO');
  control.plan = null;
  assert.deepEqual(await folderBytes(dir), before, 'no temp file and nothing else left behind');
  let verified = false;
  await store.writeSnapshot({ seq: 5, text: 'S5', verify: async () => { await slowly(false)(); verified = true; } });
  assert.ok(verified, 'the snapshot is named only after verify resolved');
  await store.close();
  assert.deepEqual((await openFresh(dir)).snapshot, { seq: 5, text: 'S5' });
}));

/* Fails file-system step k of `action` and every step after it, like a process killed there,
   then reopens the folder with the real file system. Returns the number of steps it tried. */
async function crashAtEveryStep(setup, action, checkReopened) {
  let k = 1;
  for (;; k++) {
    const finished = await withDir(async (dir) => {
      await setup(dir);
      const control = faultyFs();
      const store = new FileStore({ path: dir, fs: control.fs });
      await store.open();
      let steps = 0;
      control.plan = () => (++steps >= k ? { code: 'EIO' } : null);
      let completed = true;
      try {
        await action(store);
      } catch (error) {
        completed = false;
        assert.equal(error.code, 'EIO', `step ${k}: ${error}`);
      }
      await control.closeAll(); // the "killed" process's files close with it
      await store.close();      // every step fails: only this process's claim on the folder goes
      const opened = await openFresh(dir);
      await checkReopened(opened, { step: k, completed });
      // Whatever the crash left, the store goes on.
      const store2 = new FileStore({ path: dir });
      const again = await store2.open();
      const next = Math.max(again.snapshot?.seq ?? 0, again.records.at(-1)?.seq ?? 0) + 1;
      await store2.append(recordsFrom(next, next + 1));
      await store2.writeSnapshot({ seq: next, text: `S${next}` });
      await store2.close();
      const last = await openFresh(dir);
      assert.deepEqual(last.snapshot, { seq: next, text: `S${next}` }, `step ${k}: snapshot after going on`);
      assertRecords(last.records, next + 1, next + 1, `step ${k}: after going on`);
      assert.deepEqual(last.warnings, []);
      return steps < k;
    });
    if (finished) return k;
  }
}

test('a crash at any step of writeSnapshot leaves the old or the new snapshot, never less', async () => {
  const setup = async (dir) => {
    const store = new FileStore({ path: dir });
    await store.open();
    await store.append(recordsFrom(1, 6));
    await store.writeSnapshot({ seq: 3, text: 'S3' });
    await store.append(recordsFrom(7, 9));
    await store.close();
  };
  const steps = await crashAtEveryStep(setup, (store) => store.writeSnapshot({ seq: 9, text: 'S9' }), (opened, { step, completed }) => {
    assert.deepEqual(opened.warnings, [], `step ${step}`);
    const seq = opened.snapshot?.seq;
    assert.ok(seq === 3 || seq === 9, `step ${step}: snapshot ${seq}`);
    assert.equal(opened.snapshot.text, `S${seq}`);
    if (completed) assert.equal(seq, 9, `step ${step}: a resolved writeSnapshot is durable`);
    assertRecords(opened.records, seq + 1, 9, `step ${step}`);
  });
  assert.ok(steps > 10, `writeSnapshot took ${steps} steps`);
});

test('a crash at any step of append leaves the log before or after the batch, never torn', async () => {
  const setup = (dir) => writeStore(dir, [[1, 4]]);
  const steps = await crashAtEveryStep(setup, (store) => store.append(recordsFrom(5, 8)), (opened, { step, completed }) => {
    assert.deepEqual(opened.warnings, [], `step ${step}`);
    const last = opened.records.at(-1).seq;
    assert.ok(last === 4 || last === 8, `step ${step}: last seq ${last}`);
    if (completed) assert.equal(last, 8);
    assertRecords(opened.records, 1, last, `step ${step}`);
  });
  assert.ok(steps >= 2);
});

test('a write cut short by a crash reopens as a dense prefix of the batch', () => withDir(async (dir) => {
  await writeStore(dir, [[1, 4]]);
  const control = faultyFs();
  const store = new FileStore({ path: dir, fs: control.fs });
  await store.open();
  let dead = false; // dies in the middle of the write: nothing after it happens
  control.plan = (op) => {
    if (op === 'write' && !dead) { dead = true; return { code: 'EIO', partial: true }; }
    return dead ? { code: 'EIO' } : null;
  };
  await assert.rejects(store.append(recordsFrom(5, 30)));
  await control.closeAll();
  await store.close();
  const opened = await openFresh(dir);
  const last = opened.records.at(-1).seq;
  assert.ok(last >= 4 && last < 30, `last ${last}`);
  assertRecords(opened.records, 1, last);
  assert.equal(opened.warnings.length, 1, 'the torn record is reported');
}));

/*{==== a full disk ====*/

for (const code of ['ENOSPC', 'EDQUOT', 'EFBIG']) {
  test(`${code} in the middle of an append rejects with QUOTA; after space returns the retry succeeds`, () => withDir(async (dir) => {
    const control = faultyFs();
    const store = new FileStore({ path: dir, fs: control.fs });
    await store.open();
    await store.append(recordsFrom(1, 5));
    const size = (await realFs.stat(path.join(dir, LOG_1))).size;
    control.plan = (op) => (op === 'write' ? { code, partial: true } : null);
    await assert.rejects(store.append(recordsFrom(6, 10)), isQuota);
    assert.equal((await realFs.stat(path.join(dir, LOG_1))).size, size, 'nothing of the batch stays');
    await assert.rejects(store.append(recordsFrom(6, 10)), isQuota);
    control.plan = null;
    await store.append(recordsFrom(6, 10)); // the same seqs: the store did not move on
    await store.append(recordsFrom(11, 11));
    await store.close();
    const opened = await openFresh(dir);
    assertRecords(opened.records, 1, 11);
    assert.deepEqual(opened.warnings, []);
  }));
}

test('ENOSPC at fdatasync rejects with QUOTA and the batch is taken back', () => withDir(async (dir) => {
  const control = faultyFs();
  const store = new FileStore({ path: dir, fs: control.fs });
  await store.open();
  await store.append(recordsFrom(1, 2));
  control.plan = (op) => (op === 'datasync' ? { code: 'ENOSPC' } : null);
  await assert.rejects(store.append(recordsFrom(3, 4)), isQuota);
  control.plan = null;
  await store.append(recordsFrom(3, 4));
  await store.close();
  const opened = await openFresh(dir);
  assertRecords(opened.records, 1, 4);
  assert.deepEqual(opened.warnings, []);
}));

test('ENOSPC when even the truncation fails: the next append cuts the tail first', () => withDir(async (dir) => {
  const control = faultyFs();
  const store = new FileStore({ path: dir, fs: control.fs });
  await store.open();
  await store.append(recordsFrom(1, 2));
  control.plan = (op) => (op === 'write' ? { code: 'ENOSPC', partial: true } : op === 'truncate' ? { code: 'EIO' } : null);
  await assert.rejects(store.append(recordsFrom(3, 9)), isQuota);
  assert.ok((await realFs.stat(path.join(dir, LOG_1))).size > frame('HSR1', 1, contractText(1)).length * 2, 'the torn bytes are still there');
  control.plan = null;
  await store.append(recordsFrom(3, 4));
  await store.close();
  const opened = await openFresh(dir);
  assertRecords(opened.records, 1, 4);
  assert.deepEqual(opened.warnings, []);
}));

test('ENOSPC creating a new segment or writing a snapshot rejects with QUOTA and keeps the old state', () => withDir(async (dir) => {
  const control = faultyFs();
  const store = new FileStore({ path: dir, fs: control.fs });
  await store.open();
  await store.append(recordsFrom(1, 3));
  await store.writeSnapshot({ seq: 3, text: 'S3' });
  control.plan = (op, file) => (op === 'open' && file.endsWith('.hlog') ? { code: 'ENOSPC' } : null);
  await assert.rejects(store.append(recordsFrom(4, 5)), isQuota);
  control.plan = null;
  await store.append(recordsFrom(4, 5));
  for (const target of ['.hsnap.tmp', 'MANIFEST.tmp']) {
    control.plan = (op, file) => (op === 'write' && file.endsWith(target) ? { code: 'ENOSPC', partial: true } : null);
    await assert.rejects(store.writeSnapshot({ seq: 5, text: 'S5' }), isQuota);
    control.plan = null;
    const names = await dataFiles(dir);
    assert.ok(!names.some((n) => n.endsWith('.tmp')), `no temp file left (${target})`);
    assert.ok(!names.includes(`snapshot-${seqName(5)}.hsnap`), `no unnamed snapshot left (${target})`);
    await store.close();   // one store at a time holds the folder
    const opened = await openFresh(dir);
    assert.deepEqual(opened.snapshot, { seq: 3, text: 'S3' });
    assertRecords(opened.records, 4, 5);
    await store.open();
  }
  await store.writeSnapshot({ seq: 5, text: 'S5' });
  await store.close();
  assert.deepEqual((await openFresh(dir)).snapshot, { seq: 5, text: 'S5' });
}));

test('other I/O errors are not mistaken for a full disk', () => withDir(async (dir) => {
  const control = faultyFs();
  const store = new FileStore({ path: dir, fs: control.fs });
  await store.open();
  control.plan = (op) => (op === 'write' ? { code: 'EIO' } : null);
  await assert.rejects(store.append(recordsFrom(1, 1)), (e) => e.code === 'EIO');
  control.plan = null;
  await store.append(recordsFrom(1, 1));
  await store.close();
}));

/*{==== speed ====*/

test('throughput: single-record commits appended 1,000 per batch (printed, not asserted)', (t) => withDir(async (dir) => {
  const store = new FileStore({ path: dir });
  await store.open();
  const text = (seq) => JSON.stringify({ className: 'Query', target: 'users', type: 'updateOne', queryNode: { field: 'id', value: seq }, overrideData: { age: seq % 100 } });
  const batches = 100, perBatch = 1000;
  let seq = 0;
  const started = performance.now();
  for (let b = 0; b < batches; b++) {
    const batch = [];
    for (let i = 0; i < perBatch; i++) { seq++; batch.push({ seq, text: text(seq) }); }
    await store.append(batch);
  }
  const appendMs = performance.now() - started;
  const single = performance.now();
  for (let i = 0; i < 50; i++) { seq++; await store.append([{ seq, text: text(seq) }]); }
  const singleMs = performance.now() - single;
  await store.close();
  const opening = performance.now();
  const opened = await openFresh(dir);
  const openMs = performance.now() - opening;
  assert.equal(opened.records.length, seq);
  t.diagnostic(`append: ${Math.round((batches * perBatch) / (appendMs / 1000))} commits/s in batches of ${perBatch} (${(appendMs / batches).toFixed(2)} ms per batch incl. fdatasync)`);
  t.diagnostic(`append: ${(singleMs / 50).toFixed(2)} ms per one-record append (one fdatasync each)`);
  t.diagnostic(`open: ${seq} records in ${openMs.toFixed(0)} ms`);
}));

/*{==== one writer per folder (issue 10, item 3) ====*/

const isLocked = (error) => {
  assert.ok(error instanceof HindsightError, `expected HindsightError, got ${error?.stack ?? error}`);
  assert.equal(error.code, 'LOCKED', String(error.message));
  return true;
};

const lockChild = fileURLToPath(new URL('../crash/lock-child.mjs', import.meta.url));

/* Starts `count` processes that open dir at the same moment; resolves to their outcomes once
   every one has reported (the winner still holds the folder then), and lets them close. */
async function race(dir, count) {
  const startAt = Date.now() + 400;
  const children = Array.from({ length: count }, () => spawn(process.execPath, [lockChild, dir, String(startAt)], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const outcomes = await Promise.all(children.map((child) => new Promise((resolve, reject) => {
    let out = '', err = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => { out += chunk; if (out.includes('\n')) resolve(out.split('\n')[0]); });
    child.stderr.on('data', (chunk) => { err += chunk; });
    child.on('exit', (code) => reject(new Error(`contender exited early (${code}): ${err}`)));
  })));
  await Promise.all(children.map((child) => new Promise((resolve) => { child.on('close', resolve); child.stdin.end(); })));
  return outcomes;
}

/* The identity of a process that has exited: a LOCK record it left is provably stale. */
function deadProcessIdentity() {
  const storeUrl = new URL('../../node/file-store.js', import.meta.url).href;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e',
    `import { processIdentity } from ${JSON.stringify(storeUrl)}; console.log(JSON.stringify(processIdentity()));`], { encoding: 'utf8' });
  return JSON.parse(child.stdout);
}

const lockRecord = (fields) => `${JSON.stringify({ format: 'hindsight-lock', version: 2, nonce: 'f'.repeat(32), ...fields })}\n`;

test('a second open of the same folder in one process is refused, by any path to it', () => withDir(async (dir) => {
  const store = new FileStore({ path: dir });
  await store.open();
  await store.append(recordsFrom(1, 3));
  await realFs.symlink(dir, `${dir}-link`);
  try {
    for (const other of [dir, `${dir}/`, `${dir}/./`, path.relative(process.cwd(), dir), `${dir}-link`]) {
      const second = new FileStore({ path: other });
      await assert.rejects(second.open(), isLocked, other);
      await assert.rejects(second.append(recordsFrom(4, 4)), isLocked, `${other}: append`);
      await second.close();
    }
  } finally {
    await realFs.unlink(`${dir}-link`);
  }
  // A second copy of the module (another bundle, another URL of the file) shares the registry.
  const { FileStore: CopiedFileStore } = await import(`${new URL('../../node/file-store.js', import.meta.url).href}?second-copy`);
  assert.notEqual(CopiedFileStore, FileStore);
  await assert.rejects(new CopiedFileStore({ path: dir }).open(), isLocked, 'a second module copy');
  await store.append(recordsFrom(4, 5)); // the holder is unaffected
  await store.close();
  const opened = await openFresh(dir);    // and once it is closed the folder opens
  assertRecords(opened.records, 1, 5);
}));

test('two Database.open of one folder in one process: the second is refused and no commit is lost', () => withDir(async (dir) => {
  const { Database } = await import('../../node/index.js');
  const add = (n) => ({ className: 'Query', version: '7', target: 'c', type: 'add', addData: [{ n }] });
  const first = await Database.open({ storage: 'file', path: dir });
  await assert.rejects(Database.open({ storage: 'file', path: dir }), isLocked);
  for (let n = 1; n <= 10; n++) first.executeQuery(add(n));
  await first.flush();
  await first.close();
  const again = await Database.open({ storage: 'file', path: dir });
  assert.equal(again.seq, 10);
  assert.equal(again.toDict().collections.c.data.length, 10);
  await again.close();
}));

test('LOCK holds the whole owner record: host, boot, pid namespace, pid, start time, nonce', () => withDir(async (dir) => {
  const store = new FileStore({ path: dir });
  await store.open();
  const record = JSON.parse(await realFs.readFile(path.join(dir, 'LOCK'), 'utf8'));
  assert.equal(record.format, 'hindsight-lock');
  assert.equal(record.pid, process.pid);
  assert.equal(record.hostname, os.hostname());
  if (process.platform === 'linux') {
    assert.equal(record.bootId, (await realFs.readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim());
    assert.equal(record.pidNamespace, await realFs.readlink('/proc/self/ns/pid'));
    assert.match(String(record.startTime), /^\d+$/);
  }
  assert.match(record.nonce, /^[0-9a-f]{32}$/);
  assert.deepEqual((await realFs.readdir(dir)).filter((n) => n.startsWith('LOCK')), ['LOCK'], 'no temp file is left');
  await store.close();
  assert.deepEqual(await realFs.readdir(dir), [], 'close removes LOCK');
}));

test('a folder held by another live process is refused with LOCKED', () => withDir(async (dir) => {
  const store = new FileStore({ path: dir });
  await store.open();
  const [outcome] = await race(dir, 1);
  assert.equal(outcome, 'LOCKED');
  await store.close();
  const [later] = await race(dir, 1);
  assert.equal(later, 'opened');
}));

test('LOCK records that are not provably stale are refused and left as they are', { skip: process.platform !== 'linux' && 'needs /proc' }, () => withDir(async (dir) => {
  const me = deadProcessIdentity();
  const running = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const runningStart = (await realFs.readFile(`/proc/${running.pid}/stat`, 'utf8')).split(') ')[1].split(' ')[19];
    const cases = {
      'pid 1 of another container (other pid namespace)': lockRecord({ ...me, pid: 1, pidNamespace: 'pid:[1]' }),
      'pid 1 on another boot': lockRecord({ ...me, pid: 1, bootId: '00000000-0000-0000-0000-000000000000' }),
      'a dead pid on another boot': lockRecord({ ...me, bootId: '00000000-0000-0000-0000-000000000000' }),
      'a dead pid in another container': lockRecord({ ...me, pidNamespace: 'pid:[1]' }),
      'a dead pid on another host': lockRecord({ ...me, hostname: `${me.hostname}-other` }),
      'a running process': lockRecord({ ...me, pid: running.pid, startTime: runningStart }),
      'an empty LOCK (one being written)': '',
      'an unreadable LOCK': '{"format":"hindsight-lock","pid":',
    };
    for (const [what, text] of Object.entries(cases)) {
      await realFs.writeFile(path.join(dir, 'LOCK'), text);
      const store = new FileStore({ path: dir });
      await assert.rejects(store.open(), (e) => isLocked(e) && (what.startsWith('an ') || /process \d+ on host/.test(e.message)), what);
      await store.close();
      assert.equal(await realFs.readFile(path.join(dir, 'LOCK'), 'utf8'), text, `${what}: LOCK unchanged`);
    }
  } finally {
    running.kill();
  }
}));

test('provably stale LOCK records are taken over', { skip: process.platform !== 'linux' && 'needs /proc' }, () => withDir(async (dir) => {
  const dead = deadProcessIdentity();
  const me = processIdentity();
  const cases = {
    'a process that exited': lockRecord(dead),
    'a pid now used by another process (another start time)': lockRecord({ ...dead, pid: process.pid, startTime: '1' }),
    'this process, for a store that was never closed': lockRecord({ ...me, nonce: 'e'.repeat(32) }),
    'a bare pid from an earlier version, not running': String(dead.pid),
  };
  for (const [what, text] of Object.entries(cases)) {
    await realFs.writeFile(path.join(dir, 'LOCK'), text);
    // A claim on it left by a remover that died is stale too.
    const marker = `LOCK.reap-${crc32(text).toString(16).padStart(8, '0')}${text.length.toString(16)}`;
    await realFs.writeFile(path.join(dir, marker), lockRecord({ ...dead, nonce: 'd'.repeat(32) }));
    const store = new FileStore({ path: dir });
    await store.open();
    const record = JSON.parse(await realFs.readFile(path.join(dir, 'LOCK'), 'utf8'));
    assert.equal(record.pid, process.pid, what);
    assert.deepEqual((await realFs.readdir(dir)).filter((n) => n.startsWith('LOCK')), ['LOCK'], `${what}: no claim left`);
    await store.close();
  }
}));

test('processes opening one folder at once: exactly one wins, every time (40 trials)', { timeout: 300_000 }, () => withDir(async (dir) => {
  const dead = deadProcessIdentity();
  const contenders = 5;
  const tally = {};
  for (let trial = 0; trial < 40; trial++) {
    const folder = path.join(dir, String(trial));
    await realFs.mkdir(folder);
    // Half the trials start from a stale LOCK that they all try to take over at once.
    if (trial % 2) await realFs.writeFile(path.join(folder, 'LOCK'), lockRecord({ ...dead, nonce: String(trial).padStart(32, '0') }));
    const outcomes = await race(folder, contenders);
    const winners = outcomes.filter((o) => o === 'opened').length;
    for (const o of outcomes) tally[o] = (tally[o] ?? 0) + 1;
    assert.equal(winners, 1, `trial ${trial}: ${outcomes}`);
    assert.deepEqual(outcomes.filter((o) => o !== 'opened'), Array(contenders - 1).fill('LOCKED'), `trial ${trial}`);
    assert.deepEqual(await realFs.readdir(folder), [], `trial ${trial}: the winner's close left nothing`);
  }
  assert.deepEqual(tally, { opened: 40, LOCKED: 40 * (contenders - 1) });
}));

test('a full disk while taking the lock: QUOTA, no LOCK, no leaked handle, and the folder opens later', () => withDir(async (dir) => {
  for (const op of ['write', 'sync', 'link']) {
    const control = faultyFs();
    const store = new FileStore({ path: dir, fs: control.fs });
    control.plan = (o, file) => (o === op && path.basename(String(file)).startsWith('LOCK') ? { code: 'ENOSPC' } : null);
    await assert.rejects(store.open(), isQuota, op);
    assert.equal(control.handles.size, 0, `${op}: a file handle leaked`);
    assert.deepEqual(await realFs.readdir(dir), [], `${op}: nothing is left`);
    await store.close();
    control.plan = null;
    const later = new FileStore({ path: dir, fs: control.fs });
    await later.open();
    await later.append(recordsFrom(1, 1));
    await later.close();
    await realFs.rm(path.join(dir, LOG_1));
  }
}));
