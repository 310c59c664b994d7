/*
** backup.test.mjs: BackupManager and restoreBackup (js/backup.js) against the real hindsight.wasm,
** with MemoryBackupTarget, FolderBackupTarget (a temp folder under os.tmpdir()) and a fake-document
** DownloadBackupTarget. Covers: full + deltas round trip (present state, every at(s), commits),
** toSeq restores, corrupt / missing / out-of-chain files, writes interleaved with a backup,
** maxDeltasBeforeFull, the minIntervalMs throttle, failure counting, start/stop on fake timers,
** collection creation and removal in deltas, rotation (deletes only after the manifest), names.
** Expected states come from the source database itself (db.toDict(), db.at(s)), never from the
** backup code; sizes and CRC-32s are recomputed with node:zlib, not with js/crc32.js. No test sleeps:
** timers are injected.
** Run: node --test tests/js/backup.test.mjs
*/
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { mkdtemp, readdir, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, HindsightError, FolderBackupTarget } from '../../node/index.js';
import {
  BackupManager, restoreBackup, MemoryBackupTarget, DownloadBackupTarget, MANIFEST_NAME,
} from '../../js/backup.js';

const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);
const query = (target, type, extra = {}) => ({ className: 'Query', version: '7', target, type, ...extra });
const equals = (field, value) => ({ type: 'equals_', field, value, vType: 'auto_', version: '2' });
const add = (target, addData) => query(target, 'add', { addData });

function write(db, q) {
  const r = db.executeQueryObject(q);
  assert.equal(r.isSuccess, true, `write failed: ${JSON.stringify(r)}`);
  return db.seq;
}

/* Fake timers and clock: advance(ms) runs every due callback in time order. */
function fakeTimers(start = T0) {
  const t = { now: start, pending: new Map(), nextId: 1 };
  t.setTimeout = (fn, ms) => { const id = t.nextId++; t.pending.set(id, { fn, at: t.now + ms }); return id; };
  t.clearTimeout = (id) => { t.pending.delete(id); };
  t.read = () => t.now;
  t.advance = (ms) => {
    const end = t.now + ms;
    for (;;) {
      const due = [...t.pending].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      t.pending.delete(due[0]);
      t.now = due[1].at;
      due[1].fn();
    }
    t.now = end;
  };
  return t;
}

/* A MemoryBackupTarget that records every operation and can fail or run a hook on writes. */
class RecordingTarget extends MemoryBackupTarget {
  ops = [];
  failWrites = 0;          // the next N writeFile calls throw
  failManifest = false;    // writes of the manifest throw
  beforeDataWrite = null;  // called (sync) before a backup file is stored
  async writeFile(name, text) {
    if (this.failWrites > 0) { this.failWrites--; throw new Error(`disk full writing ${name}`); }
    if (name === MANIFEST_NAME && this.failManifest) throw new Error('manifest write refused');
    if (name !== MANIFEST_NAME) this.beforeDataWrite?.(name);
    this.ops.push({ op: 'write', name, listed: name === MANIFEST_NAME ? JSON.parse(text).files.map((f) => f.name) : null });
    return super.writeFile(name, text);
  }
  async remove(name) {
    this.ops.push({ op: 'remove', name });
    return super.remove(name);
  }
  dataWrites() { return this.ops.filter((o) => o.op === 'write' && o.name !== MANIFEST_NAME).map((o) => o.name); }
}

const manifestOf = async (target) => JSON.parse(await target.readFile(MANIFEST_NAME));
const silent = () => {};

const opened = [];
async function openDb(options) {
  const db = await Database.open(options);
  opened.push(db);
  return db;
}
async function restore(source, options) {
  const db = await restoreBackup(source, options);
  opened.push(db);
  return db;
}
after(async () => { for (const db of opened) await db.close(); });

/* Restored equals original now, at every seq from base, and in its commit log. */
function assertSameHistory(restored, db, base = 0) {
  assert.equal(restored.seq, db.seq);
  assert.equal(JSON.stringify(restored.toDict()), JSON.stringify(db.toDict()));
  for (let s = base; s <= db.seq; s++) {
    assert.equal(JSON.stringify(restored.at(s).toDict()), JSON.stringify(db.at(s).toDict()), `state at seq ${s}`);
  }
  assert.deepEqual(restored.commits({ from: base + 1 }), db.commits({ from: base + 1 }));
}

/* Five writes per call, with an update, a delete and a new collection along the way. */
function someWrites(db, round) {
  write(db, add('users', [{ id: round * 10 + 1, name: `u${round}a` }, { id: round * 10 + 2, name: `u${round}b` }]));
  write(db, query('users', 'update', { queryNode: equals('id', round * 10 + 1), overrideData: { seen: round } }));
  write(db, query('users', 'delete', { queryNode: equals('id', round * 10 + 2) }));
  write(db, add(`logs${round}`, [{ round }]));
  write(db, add('users', [{ id: round * 10 + 3, tags: ['x', round] }]));
}

test('full + deltas round trip: present state, every at(s), commit log; manifest sizes and CRC-32s are right', async () => {
  const db = await openDb();
  const target = new MemoryBackupTarget();
  const manager = new BackupManager(db, { target, onBackupFailure: silent });
  someWrites(db, 1);
  const full = await manager.backupNow();
  assert.equal(full.kind, 'full');
  assert.deepEqual([full.fromSeq, full.toSeq], [0, 5]);
  const kinds = [];
  for (let round = 2; round <= 4; round++) {
    someWrites(db, round);
    const entry = await manager.backupNow();
    kinds.push([entry.kind, entry.fromSeq, entry.toSeq]);
  }
  assert.deepEqual(kinds, [['delta', 6, 10], ['delta', 11, 15], ['delta', 16, 20]]);
  assert.equal(manager.deltasSinceFull, 3);
  assert.equal(await manager.backupNow(), null, 'nothing changed: no file');

  const manifest = await manifestOf(target);
  assert.equal(manifest.className, 'HindsightBackupManifest');
  assert.deepEqual(manifest.files.map((f) => f.kind), ['full', 'delta', 'delta', 'delta']);
  for (const f of manifest.files) {
    const text = await target.readFile(f.name);
    assert.equal(f.bytes, Buffer.byteLength(text, 'utf8'), f.name);
    assert.equal(f.crc32, zlibCrc32(text).toString(16).padStart(8, '0'), f.name);
    assert.equal(f.chain, full.name);
  }
  assert.equal(JSON.parse(await target.readFile(full.name)).className, 'HindsightHistory');

  const restored = await restore(target);
  assertSameHistory(restored, db);
});

test('a folder target: sortable names, atomic writes leave no temp files, restore from the path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hindsight-backup-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = await openDb();
  const clock = fakeTimers(Date.UTC(2025, 0, 2, 3, 4, 5, 67));
  const manager = new BackupManager(db, { target: join(dir, 'nested'), now: clock.read, onBackupFailure: silent });
  const written = [];
  for (let round = 1; round <= 3; round++) {
    someWrites(db, round);
    written.push((await manager.backupNow()).name);
  }
  for (let i = 0; i < 12; i++) write(db, add('bulk', [{ i }]));   // seqs 16..27: a two-digit seq
  written.push((await manager.backupNow()).name);
  assert.deepEqual(written, [
    'hindsight-full-000000000005-20250102T030405067Z.json',
    'hindsight-delta-000000000006-000000000010.json',
    'hindsight-delta-000000000011-000000000015.json',
    'hindsight-delta-000000000016-000000000027.json',
  ]);
  const names = await readdir(join(dir, 'nested'));
  assert.deepEqual(names.sort(), [...written, MANIFEST_NAME].sort(), 'only backups and the manifest: no temp files');
  const deltas = written.slice(1);
  assert.deepEqual([...deltas].sort(), deltas, 'delta names sort in seq order');

  assertSameHistory(await restore(join(dir, 'nested')), db);
  const target = new FolderBackupTarget(join(dir, 'nested'));
  assert.equal(await target.readFile('hindsight-none.json'), null);
  await assert.rejects(target.readFile('../escape.json'), (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT');
  await assert.rejects(target.writeFile('a/b.json', '{}'), (e) => e instanceof HindsightError);
});

test('restore at toSeq replays only commits <= toSeq; before the base or after the end is an error', async () => {
  const db = await openDb();
  const target = new MemoryBackupTarget();
  const manager = new BackupManager(db, { target, onBackupFailure: silent });
  someWrites(db, 1);
  await manager.backupNow();
  someWrites(db, 2);
  await manager.backupNow();
  write(db, query('logs1', 'removeCollection'));
  await manager.backupNow();
  for (let s = 0; s <= db.seq; s++) {
    const restored = await restore(target, { toSeq: s });
    assert.equal(restored.seq, s);
    assert.equal(JSON.stringify(restored.toDict()), JSON.stringify(db.at(s).toDict()), `toSeq ${s}`);
    await restored.close();
  }
  await assert.rejects(restoreBackup(target, { toSeq: db.seq + 1 }), (e) => e.code === 'INVALID_ARGUMENT' && /after the last backed-up commit \(seq 11/.test(e.message));

  // A database with retention: its full backup's base is past 0.
  const kept = await openDb();
  someWrites(kept, 1);
  someWrites(kept, 2);
  kept.setRetention({ maxCommits: 4 });
  const target2 = new MemoryBackupTarget();
  const entry = await new BackupManager(kept, { target: target2, onBackupFailure: silent }).backupNow();
  assert.deepEqual([entry.fromSeq, entry.toSeq], [6, 10]);
  await assert.rejects(restoreBackup(target2, { toSeq: 5 }), (e) => e instanceof HindsightError && e.code === 'TOO_OLD' && /seq 6/.test(e.message));
  const atBase = await restore(target2, { toSeq: 6 });
  assert.equal(JSON.stringify(atBase.toDict()), JSON.stringify(kept.at(6).toDict()));
  assertSameHistory(await restore(target2), kept, 6);
});

test('a corrupt delta or full is a HindsightError naming the file', async () => {
  const db = await openDb();
  const target = new MemoryBackupTarget();
  const manager = new BackupManager(db, { target, onBackupFailure: silent });
  someWrites(db, 1);
  const full = await manager.backupNow();
  someWrites(db, 2);
  const delta = await manager.backupNow();
  someWrites(db, 3);
  await manager.backupNow();

  const good = await target.readFile(delta.name);
  // One character changed, same length: only the checksum can tell.
  await target.writeFile(delta.name, good.replace('"u2a"', '"u2z"'));
  await assert.rejects(restoreBackup(target), (e) => e instanceof HindsightError && e.code === 'CORRUPT'
    && e.message.includes(delta.name) && /CRC-32/.test(e.message));
  // Restoring before the damaged delta still works: it is not read.
  const early = await restore(target, { toSeq: 5 });
  assert.equal(JSON.stringify(early.toDict()), JSON.stringify(db.at(5).toDict()));
  await target.writeFile(delta.name, good);

  const fullText = await target.readFile(full.name);
  await target.writeFile(full.name, fullText.slice(0, fullText.length - 7));   // torn
  await assert.rejects(restoreBackup(target), (e) => e.code === 'CORRUPT' && e.message.includes(full.name));
  await target.writeFile(full.name, fullText);

  await target.writeFile(MANIFEST_NAME, '{"className":"HindsightBackupManifest","files":[');
  await assert.rejects(restoreBackup(target), (e) => e.code === 'CORRUPT' && e.message.includes(MANIFEST_NAME));
  await assert.rejects(restoreBackup(new MemoryBackupTarget()), (e) => e.code === 'INVALID_ARGUMENT' && /missing/.test(e.message));
});

test('a missing delta file, or a gap in the chain, is an error naming the files and the missing seqs', async () => {
  const db = await openDb();
  const target = new MemoryBackupTarget();
  const manager = new BackupManager(db, { target, onBackupFailure: silent });
  const entries = [];
  for (let round = 1; round <= 4; round++) {
    someWrites(db, round);
    entries.push(await manager.backupNow());
  }
  const missing = entries[2];   // seqs 11..15
  const text = await target.readFile(missing.name);
  await target.remove(missing.name);
  await assert.rejects(restoreBackup(target), (e) => e.code === 'CORRUPT' && e.message.includes(missing.name) && /missing/.test(e.message));
  await target.writeFile(missing.name, text);

  const manifest = await manifestOf(target);
  manifest.files = manifest.files.filter((f) => f.name !== missing.name);
  await target.writeFile(MANIFEST_NAME, JSON.stringify(manifest));
  await assert.rejects(restoreBackup(target), (e) => e.code === 'CORRUPT' && e.message.includes(entries[1].name)
    && e.message.includes(entries[3].name) && e.message.includes('11..15'));
  const before = await restore(target, { toSeq: 10 });
  assert.equal(JSON.stringify(before.toDict()), JSON.stringify(db.at(10).toDict()));
});

test('writes during a backup: the backup is the state at its capture, and the next delta has the rest', async () => {
  const db = await openDb();
  const target = new RecordingTarget();
  const manager = new BackupManager(db, { target, onBackupFailure: silent });
  someWrites(db, 1);
  let interleave = 3;
  target.beforeDataWrite = () => {
    // Between the capture and the manifest write, the application keeps writing.
    for (let i = 0; i < interleave; i++) write(db, add('late', [{ i, at: db.seq }]));
  };
  const full = await manager.backupFull();
  assert.equal(full.toSeq, 5);
  assert.equal(db.seq, 8);
  let restored = await restore(target);
  assert.equal(restored.seq, 5, 'a consistent prefix: exactly the captured seq');
  assert.equal(JSON.stringify(restored.toDict()), JSON.stringify(db.at(5).toDict()));

  interleave = 2;
  const delta = await manager.backupDelta();      // captures 6..8, then 9..10 land
  assert.deepEqual([delta.kind, delta.fromSeq, delta.toSeq], ['delta', 6, 8]);
  restored = await restore(target);
  assert.equal(JSON.stringify(restored.toDict()), JSON.stringify(db.at(8).toDict()));

  target.beforeDataWrite = null;
  const last = await manager.backupDelta();
  assert.deepEqual([last.fromSeq, last.toSeq], [9, 10], 'the writes that landed during the backup are not lost');
  assertSameHistory(await restore(target), db);
});

test('maxDeltasBeforeFull: N deltas, then a full backup starts a new chain', async () => {
  const db = await openDb();
  const target = new MemoryBackupTarget();
  const manager = new BackupManager(db, { target, maxDeltasBeforeFull: 2, onBackupFailure: silent });
  const seen = [];
  for (let round = 1; round <= 6; round++) {
    write(db, add('t', [{ round }]));
    const entry = await manager.backupNow();
    seen.push(`${entry.kind}:${manager.deltasSinceFull}`);
  }
  assert.deepEqual(seen, ['full:0', 'delta:1', 'delta:2', 'full:0', 'delta:1', 'delta:2']);
  const manifest = await manifestOf(target);
  const fulls = manifest.files.filter((f) => f.kind === 'full');
  assert.deepEqual(manifest.files.filter((f) => f.kind === 'delta').map((f) => f.chain), [fulls[0].name, fulls[0].name, fulls[1].name, fulls[1].name]);
  assertSameHistory(await restore(target), db);

  const plain = new BackupManager(db, { target: new MemoryBackupTarget(), incremental: false, onBackupFailure: silent });
  assert.equal((await plain.backupNow()).kind, 'full');
  write(db, add('t', [{ round: 7 }]));
  assert.equal((await plain.backupNow()).kind, 'full', 'incremental: false makes every backup full');
  assert.equal(await plain.backupNow(), null, 'and none when nothing changed');
});

test('minIntervalMs throttles notifyChange; a throttled change is backed up when the interval ends', async () => {
  const db = await openDb();
  const clock = fakeTimers();
  const target = new RecordingTarget();
  const manager = new BackupManager(db, {
    target, minIntervalMs: 1000, now: clock.read, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, onBackupFailure: silent,
  });
  write(db, add('t', [{ n: 1 }]));
  manager.notifyChange();
  await manager.idle();
  assert.equal(target.dataWrites().length, 1, 'the first notification backs up at once');

  clock.advance(100);
  write(db, add('t', [{ n: 2 }]));
  manager.notifyChange();
  clock.advance(100);
  write(db, add('t', [{ n: 3 }]));
  manager.notifyChange();
  await manager.idle();
  assert.equal(target.dataWrites().length, 1, 'throttled');
  assert.equal(clock.pending.size, 1, 'one trailing backup is scheduled, not one per call');

  clock.advance(799);
  await manager.idle();
  assert.equal(target.dataWrites().length, 1);
  clock.advance(1);
  await manager.idle();
  assert.deepEqual(target.dataWrites(), ['hindsight-full-000000000001-20250301T120000000Z.json', 'hindsight-delta-000000000002-000000000003.json']);
  assertSameHistory(await restore(target), db);

  clock.advance(5000);
  manager.notifyChange();   // nothing changed since: no file
  await manager.idle();
  assert.equal(target.dataWrites().length, 2);
});

test('failures call onBackupFailure with an incrementing count, are not silent, and reset after a success', async (t) => {
  const logged = t.mock.method(console, 'error', () => {});
  const db = await openDb();
  const clock = fakeTimers();
  const target = new RecordingTarget();
  const calls = [];
  const manager = new BackupManager(db, {
    target, minIntervalMs: 1000, now: clock.read, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout,
    onBackupFailure: (error, n) => { calls.push([error.message, n]); if (n === 2) throw new Error('a callback that throws'); },
  });
  someWrites(db, 1);
  await manager.backupNow();
  someWrites(db, 2);
  target.failWrites = 2;
  await assert.rejects(manager.backupNow(), /disk full/);
  assert.equal(manager.consecutiveFailures, 1);
  clock.advance(1000);
  manager.notifyChange();                          // a triggered backup fails without an unhandled rejection
  await manager.idle();
  assert.equal(manager.consecutiveFailures, 2);
  target.failManifest = true;                      // the full file is written but never listed
  await assert.rejects(manager.backupFull(), /manifest write refused/);
  assert.deepEqual(calls.map(([, n]) => n), [1, 2, 3]);
  assert.match(calls[0][0], /disk full/);
  assert.equal(logged.mock.calls.length, 1, 'a callback that throws is logged, not lost');
  assert.match(String(logged.mock.calls[0].arguments[1]), /a callback that throws/);
  assert.equal(manager.consecutiveFailures, 3);
  const orphan = target.dataWrites().at(-1);
  assert.match(orphan, /^hindsight-full-000000000010-/);
  assert.notEqual(await target.readFile(orphan), null);
  let restored = await restore(target);
  assert.equal(restored.seq, 5, 'a failed backup leaves the previous manifest valid');

  target.failManifest = false;
  const entry = await manager.backupNow();
  assert.deepEqual([entry.kind, entry.fromSeq, entry.toSeq], ['delta', 6, 10]);
  assert.equal(manager.consecutiveFailures, 0);
  assert.equal(calls.length, 3);
  restored = await restore(target);
  assertSameHistory(restored, db);
  const listed = (await manifestOf(target)).files.map((f) => f.name);
  assert.equal((await target.list()).includes(orphan), false, 'the unlisted file of the failed backup was swept');
  for (const name of await target.list()) assert.ok(name === MANIFEST_NAME || listed.includes(name), `unlisted ${name}`);

  // Without a callback, failures are logged with their count.
  const quiet = new BackupManager(db, {
    target: { writeFile: async () => { throw new Error('read-only'); }, readFile: async () => null, list: async () => [], remove: async () => {} },
  });
  await assert.rejects(quiet.backupNow(), /read-only/);
  assert.match(String(logged.mock.calls.at(-1).arguments[0]), /1 consecutive/);

  await db.close();
  await assert.rejects(manager.backupNow(), (e) => e instanceof HindsightError && e.code === 'CLOSED');
  assert.equal(manager.consecutiveFailures, 1);
});

test('start/stop with injected timers: periodic backups, no overlap, a final backup on stop, restartable', async () => {
  const db = await openDb();
  const clock = fakeTimers();
  const target = new RecordingTarget();
  const failures = [];
  const manager = new BackupManager(db, {
    target, intervalMs: 10_000, now: clock.read, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout,
    onBackupFailure: (e, n) => failures.push(n),
  });
  await new BackupManager(db, { target: new MemoryBackupTarget() }).stop({ finalBackup: false });   // stop before start is fine

  manager.start();
  manager.start();
  assert.equal(clock.pending.size, 1, 'start is idempotent');
  write(db, add('t', [{ n: 1 }]));
  clock.advance(9_999);
  await manager.idle();
  assert.equal(target.dataWrites().length, 0, 'the first periodic backup comes one interval after start');
  clock.advance(1);
  await manager.idle();
  assert.equal(target.dataWrites().length, 1);

  write(db, add('t', [{ n: 2 }]));
  clock.advance(10_000);
  await manager.idle();
  clock.advance(10_000);   // nothing changed: no file
  await manager.idle();
  assert.equal(target.dataWrites().length, 2);

  write(db, add('t', [{ n: 3 }]));
  const final = await manager.stop();
  assert.deepEqual([final.kind, final.fromSeq, final.toSeq], ['delta', 3, 3], 'stop backs up what was not backed up');
  assert.equal(clock.pending.size, 0, 'stop cancels the timer');
  write(db, add('t', [{ n: 4 }]));
  manager.notifyChange();
  clock.advance(100_000);
  await manager.idle();
  assert.equal(target.dataWrites().length, 3, 'nothing runs after stop');

  manager.start();
  clock.advance(10_000);
  await manager.idle();
  assert.equal(target.dataWrites().length, 4, 'started again');
  assert.equal(await manager.stop(), null, 'nothing left to back up');
  assert.deepEqual(failures, []);
  assertSameHistory(await restore(target), db);

  // Backups never overlap: a slow write holds the next backup until it is done.
  const slow = new RecordingTarget();
  let active = 0, maxActive = 0;
  const original = slow.writeFile.bind(slow);
  slow.writeFile = async (name, text) => {
    active++; maxActive = Math.max(maxActive, active);
    await new Promise((resolve) => setImmediate(resolve));
    active--;
    return original(name, text);
  };
  const overlapping = new BackupManager(db, { target: slow, onBackupFailure: silent });
  const first = overlapping.backupFull();
  while (active === 0) await new Promise((resolve) => setImmediate(resolve));
  write(db, add('t', [{ n: 5 }]));                 // lands while the first backup is being written
  const results = [first, overlapping.backupNow(), overlapping.backupFull()];
  const settled = await Promise.all(results);
  assert.equal(maxActive, 1);
  assert.deepEqual(settled.map((e) => e && e.kind), ['full', 'delta', 'full']);
  assertSameHistory(await restore(slow), db);
});

test('deltas carry collection creation and removal, and exact re-added documents', async () => {
  const db = await openDb();
  const target = new MemoryBackupTarget();
  const manager = new BackupManager(db, { target, onBackupFailure: silent });
  write(db, add('old', [{ id: 1, x: 1, y: 2 }]));
  write(db, add('keep', [{ id: 1 }]));
  await manager.backupNow();
  write(db, add('created', [{ id: 7 }]));                       // a collection created after the full
  write(db, query('old', 'delete', { queryNode: equals('id', 1) }));
  write(db, add('old', [{ id: 1, x: 9 }]));                      // re-added with fewer fields
  assert.equal((await manager.backupNow()).kind, 'delta');
  write(db, query('keep', 'removeCollection'));                  // a collection removed after the full
  assert.equal((await manager.backupNow()).kind, 'delta');

  const restored = await restore(target);
  const collections = restored.toDict().collections;
  assert.deepEqual(Object.keys(collections).sort(), ['created', 'old']);
  assert.deepEqual(collections.old.data, [{ id: 1, x: 9 }]);
  assert.deepEqual(collections.created.data, [{ id: 7 }]);
  const found = restored.executeQuery(query('old', 'search', { queryNode: equals('x', 9) }));
  assert.deepEqual(found.result, [{ id: 1, x: 9 }]);
  assertSameHistory(restored, db);
});

test('rotation keeps the last keepFull chains and deletes older files only after the manifest is written', async () => {
  const db = await openDb();
  const target = new RecordingTarget();
  const manager = new BackupManager(db, { target, keepFull: 2, onBackupFailure: silent });
  const chains = [];
  for (let round = 1; round <= 4; round++) {
    write(db, add('t', [{ round }]));
    const full = await manager.backupFull();
    write(db, add('t', [{ round, delta: true }]));
    const delta = await manager.backupDelta();
    chains.push([full.name, delta.name]);
  }
  const listed = (await manifestOf(target)).files.map((f) => f.name);
  assert.deepEqual(listed, [...chains[2], ...chains[3]]);
  assert.deepEqual(await target.list(), [...chains[2], ...chains[3], MANIFEST_NAME].sort());

  const removed = target.ops.filter((o) => o.op === 'remove').map((o) => o.name);
  assert.deepEqual(removed.sort(), [...chains[0], ...chains[1]].sort());
  for (const name of removed) {
    const index = target.ops.findIndex((o) => o.op === 'remove' && o.name === name);
    const lastManifest = target.ops.slice(0, index).findLast((o) => o.name === MANIFEST_NAME);
    assert.ok(lastManifest && !lastManifest.listed.includes(name), `${name} deleted only after a manifest without it was written`);
  }
  assertSameHistory(await restore(target), db);
  const older = await restore(target, { toSeq: 5 });
  assert.equal(JSON.stringify(older.toDict()), JSON.stringify(db.at(5).toDict()));
});

test('a chain whose last commit was rewritten under it (a multi-page rebase) restarts with a full backup', async () => {
  const db = await openDb();
  let rewritten = false;
  // The database as the manager sees it, with commit 2 replaced after it was backed up.
  const seen = {
    get seq() { return db.seq; },
    get closed() { return db.closed; },
    exportHistory: () => db.exportHistory(),
    commits: (range) => db.commits(range).map((c) => (rewritten && c.seq === 2 ? { ...c, time: '2000-01-01T00:00:00.000Z' } : c)),
  };
  const manager = new BackupManager(seen, { target: new MemoryBackupTarget(), onBackupFailure: silent });
  write(db, add('t', [{ n: 1 }]));
  write(db, add('t', [{ n: 2 }]));
  assert.equal((await manager.backupNow()).kind, 'full');
  write(db, add('t', [{ n: 3 }]));
  rewritten = true;
  const entry = await manager.backupNow();
  assert.deepEqual([entry.kind, entry.fromSeq, entry.toSeq], ['full', 0, 3], 'commit 2 changed: a delta from 3 would not fit');
  write(db, add('t', [{ n: 4 }]));
  assert.equal((await manager.backupNow()).kind, 'delta', 'the new chain goes on with deltas');
  assertSameHistory(await restore(manager.target), db);
});

test('names never collide, and a new manager keeps the chains already on the target', async () => {
  const db = await openDb();
  const clock = fakeTimers();
  const target = new MemoryBackupTarget();
  const manager = new BackupManager(db, { target, now: clock.read, onBackupFailure: silent });
  write(db, add('t', [{ n: 1 }]));
  const a = await manager.backupFull();
  const b = await manager.backupFull();    // same seq, same millisecond
  assert.equal(a.name, 'hindsight-full-000000000001-20250301T120000000Z.json');
  assert.equal(b.name, 'hindsight-full-000000000001-20250301T120000000Z-2.json');
  assert.notEqual(await target.readFile(a.name), null);

  write(db, add('t', [{ n: 2 }]));
  const again = new BackupManager(db, { target, now: clock.read, onBackupFailure: silent });
  const first = await again.backupNow();
  assert.equal(first.kind, 'full', 'a new manager starts its own chain');
  const listed = (await manifestOf(target)).files.map((f) => f.name);
  assert.deepEqual(listed, [a.name, b.name, first.name]);
  assertSameHistory(await restore(target), db);
});

test('DownloadBackupTarget hands each file to the page as a download, the manifest last', async () => {
  const clicks = [];
  const revoked = [];
  const timers = fakeTimers();
  const fakeDocument = {
    body: { appendChild: (el) => { el.attached = true; } },
    createElement: (tag) => ({ tag, style: {}, click() { clicks.push({ name: this.download, href: this.href, attached: this.attached }); }, remove() { this.attached = false; } }),
  };
  const blobs = new Map();
  const fakeURL = {
    createObjectURL: (blob) => { const url = `blob:${blobs.size}`; blobs.set(url, blob); return url; },
    revokeObjectURL: (url) => revoked.push(url),
  };
  const target = new DownloadBackupTarget({ document: fakeDocument, URL: fakeURL, setTimeout: timers.setTimeout });
  const db = await openDb();
  write(db, add('t', [{ n: 1 }]));
  const entry = await new BackupManager(db, { target, onBackupFailure: silent }).backupNow();
  assert.deepEqual(clicks.map((c) => c.name), [entry.name, MANIFEST_NAME]);
  assert.ok(clicks.every((c) => c.attached));
  assert.equal(await blobs.get(clicks[0].href).text(), JSON.stringify(db.exportHistory()));
  assert.deepEqual(revoked, []);
  timers.advance(60_000);
  assert.deepEqual(revoked, ['blob:0', 'blob:1']);

  // The downloaded files restore through a MemoryBackupTarget built from them.
  const picked = {};
  for (const c of clicks) picked[c.name] = await blobs.get(c.href).text();
  assertSameHistory(await restore(new MemoryBackupTarget(picked)), db);
  assert.throws(() => new DownloadBackupTarget({ document: null }), HindsightError);
});

test('bad options and targets are refused with INVALID_ARGUMENT', async () => {
  const db = await openDb();
  const bad = (options) => assert.throws(() => new BackupManager(db, options), (e) => e instanceof HindsightError && e.code === 'INVALID_ARGUMENT');
  bad({});
  bad({ target: { writeFile() {} } });
  bad({ target: new MemoryBackupTarget(), intervalMs: 0 });
  bad({ target: new MemoryBackupTarget(), keepFull: 0 });
  bad({ target: new MemoryBackupTarget(), maxDeltasBeforeFull: 1.5 });
  bad({ target: new MemoryBackupTarget(), onBackupFailure: 'log' });
  assert.throws(() => new BackupManager({}, { target: new MemoryBackupTarget() }), HindsightError);
  await assert.rejects(restoreBackup(null), (e) => e.code === 'INVALID_ARGUMENT');
  await assert.rejects(restoreBackup(new MemoryBackupTarget(), { toSeq: -1 }), (e) => e.code === 'INVALID_ARGUMENT');
});

test('a folder backup survives a file damaged on disk: the error names it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hindsight-backup-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = await openDb();
  const manager = new BackupManager(db, { target: new FolderBackupTarget(dir), onBackupFailure: silent });
  someWrites(db, 1);
  await manager.backupNow();
  someWrites(db, 2);
  const delta = await manager.backupNow();
  const path = join(dir, delta.name);
  const bytes = await readFile(path);
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  await writeFile(path, bytes);
  await assert.rejects(restoreBackup(dir), (e) => e.code === 'CORRUPT' && e.message.includes(delta.name));
});
