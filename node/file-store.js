/*
 * file-store.js: the Node file store (js/stores/store.js's interface), one folder per database.
 *
 * Files in the folder (seqs in names have 20 digits so names sort):
 *   log-<first seq>.hlog      append-only log segments, each a dense run of record frames
 *   snapshot-<seq>.hsnap      the whole database at seq, one frame
 *   MANIFEST                  one frame whose payload is JSON naming the current snapshot and its CRC
 *   LOCK                      the owner record of the store holding the folder (see "The lock")
 *   *.tmp                     unfinished writes (removed by the next open that succeeds)
 *   LOCK.<nonce>.new, LOCK.reap-<id>   a lock being taken / a stale lock being removed (a
 *                             .new file outlives only a contender that crashed; it is inert)
 *   *.dropped                 damaged log bytes kept for a human, never read
 * Records, snapshots and the manifest are frames (LE):
 *   OFFSET SIZE DESCRIPTION
 *   0      4    magic: 'HSR1' log record, 'HSS1' snapshot, 'HSM1' manifest
 *   4      4    CRC-32 (crc32.js) of bytes 8 .. 20+n: seq, length and payload
 *   8      8    seq (u64)
 *   16     4    n, the payload's length in bytes
 *   20     n    payload: UTF-8 text
 * Folders written by earlier versions have the same layout (their LOCK holds a bare pid).
 *
 * Must stay true:
 *   - an append is one write + one fdatasync, cut off again if it fails, so a log is a dense
 *     run of frames;
 *   - a snapshot is written to a temp file and fsynced (the caller's verify(textOrBytes),
 *     which loads it into a scratch engine, runs meanwhile), read back and compared byte for
 *     byte with what was written, and only when both pass renamed into place and named by
 *     the manifest (temp file, fsync, rename, folder fsync);
 *   - two snapshots are kept: the current one and the one before it (the one this store
 *     opened from, or wrote before the current one), with every log segment holding a record
 *     after the older one. So a snapshot that is later damaged, deleted or unreadable is never
 *     the only copy: the older one plus the log rebuild it. Older files go only after the new
 *     snapshot is verified and named by a durable manifest;
 *   - open reads everything before it changes anything. It uses the newest intact snapshot
 *     from which the log continues without a gap up to the newest seq that any snapshot
 *     (named by the manifest or present as a file) says was durable; if no snapshot (or the
 *     empty start) can, open fails with HindsightError CORRUPT and leaves every byte as it was.
 *     Only after choosing does it repair the log (a torn tail is cut; damaged bytes inside it
 *     are copied to *.dropped first; segments after a break are renamed *.dropped);
 *   - one store at a time holds a folder (two writers would interleave their logs).
 *
 * The lock. In this process a folder (by its real path) is held by at most one open store: a
 * second open is refused with LOCKED. Across processes the LOCK file says who holds it:
 *   { format: 'hindsight-lock', version: 2, hostname, bootId (/proc/sys/kernel/random/boot_id),
 *     pidNamespace (/proc/self/ns/pid), pid, startTime (field 22 of /proc/<pid>/stat), nonce }
 * Taking it: the record is written to LOCK.<nonce>.new and fsynced, then link()ed to LOCK,
 * which fails if LOCK exists; so LOCK never exists without its whole record. (Where link() is
 * not supported, LOCK is created with O_EXCL and written; an empty or unreadable LOCK is then
 * taken for one being written, and refused.) An existing LOCK is taken over only when provably
 * stale: written on this host, this boot and this pid namespace, by a process that is not
 * running (no such pid, a zombie, or a pid now used by a process with another start time), or
 * by this very process for a store that no longer holds it. A record from another host, boot
 * or container, or from a live process, is refused with LOCKED naming the holder; an empty
 * or unparseable LOCK is refused too (delete it by hand if no process uses the folder). A
 * bare-pid LOCK (earlier versions) is stale when that pid is not running here.
 * Removing a stale LOCK: its remover first claims LOCK.reap-<crc of the stale record> with the
 * same link(); only the claimant re-reads LOCK and unlinks it if it is still the same record,
 * then competes for LOCK like everyone else. A claim left by a dead claimant is stale in turn.
 * close() unlinks LOCK only while it still holds this store's record. A full disk while taking
 * the lock fails open with QUOTA; the folder is never used unlocked.
 */
import * as nodeFs from 'node:fs/promises';
import { constants as FS, readFileSync, readlinkSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { HindsightError, ErrorCode } from '../js/errors.js';
import { crc32 } from '../js/crc32.js';

const HEADER_BYTES = 20;
const MAGIC_RECORD = 0x31525348;   // 'HSR1' as a little-endian u32
const MAGIC_SNAPSHOT = 0x31535348; // 'HSS1'
const MAGIC_MANIFEST = 0x314d5348; // 'HSM1'
const MANIFEST = 'MANIFEST';
const LOCK = 'LOCK';
const LOCK_FORMAT = 'hindsight-lock';
const LOCK_TAKE_MS = 3000;          // how long open keeps trying while a live process removes a stale LOCK
const READ_CHUNK = 4 << 20;
const QUOTA_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const NO_LINK_CODES = new Set(['ENOSYS', 'ENOTSUP', 'EOPNOTSUPP', 'EPERM', 'EXDEV']);
const SEGMENT_NAME = /^log-(\d{20})\.hlog$/;
const SNAPSHOT_NAME = /^snapshot-(\d{20})\.hsnap$/;
const TWO_32 = 2 ** 32;

const seqName = (seq) => String(seq).padStart(20, '0');
const segmentName = (firstSeq) => `log-${seqName(firstSeq)}.hlog`;
const snapshotName = (seq) => `snapshot-${seqName(seq)}.hsnap`;
const snapshotSeqOf = (name) => Number(SNAPSHOT_NAME.exec(name)[1]);

function invalid(message) { return new HindsightError(ErrorCode.INVALID_ARGUMENT, message); }

/* A full disk becomes QUOTA; other I/O errors travel unchanged (they are not the caller's). */
function mapError(error, doing) {
  if (QUOTA_CODES.has(error?.code)) {
    return new HindsightError(ErrorCode.QUOTA, `no space left while ${doing} (${error.code})`, { cause: error });
  }
  return error;
}

function checkSeq(seq, what) {
  if (!Number.isSafeInteger(seq) || seq < 0) throw invalid(`${what} must be a non-negative integer, got ${seq}`);
}

/* ---- who holds a folder ---- */

/* Real paths of the folders held by open stores of this process, and the nonces of their LOCK
   records: a LOCK written by this process is live exactly when its nonce is in heldNonces.
   Kept on globalThis, so that two copies of this module in one process (two bundles, two
   paths to the file) still share them. */
const held = (globalThis[Symbol.for('hindsight.file-store.held')] ??= { folders: new Map(), nonces: new Set() });
const heldFolders = held.folders;   // real path -> store
const heldNonces = held.nonces;

function readProc(file) {
  try { return readFileSync(file, 'utf8').trim(); } catch { return null; }
}

/* Fields 3 (state) and 22 (start time in clock ticks after boot) of /proc/<pid>/stat, or null.
   The command name (field 2) may hold spaces and parentheses: fields are read after the last ')'. */
function procStat(pid) {
  const text = readProc(`/proc/${pid}/stat`);
  if (!text) return null;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], startTime: fields[19] ?? null };
}

let identity = null;
/* What tells this process apart beyond its pid (null parts: the platform has no /proc). */
export function processIdentity() {
  if (!identity) {
    let pidNamespace = null;
    try { pidNamespace = readlinkSync('/proc/self/ns/pid'); } catch { /* not Linux */ }
    identity = {
      hostname: os.hostname(), bootId: readProc('/proc/sys/kernel/random/boot_id'), pidNamespace,
      pid: process.pid, startTime: procStat('self')?.startTime ?? null,
    };
  }
  return identity;
}

function ownerRecordText(nonce, folder) {
  return `${JSON.stringify({ format: LOCK_FORMAT, version: 2, ...processIdentity(), nonce, folder, since: new Date().toISOString() })}\n`;
}

/* The owner in a LOCK text: a version-2 record, { legacyPid } for an earlier version's bare
   pid, or null when it cannot be read (empty: being written where link() is unavailable). */
function parseOwner(text) {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { legacyPid: Number(trimmed) };
  try {
    const record = JSON.parse(trimmed);
    if (record?.format === LOCK_FORMAT && Number.isSafeInteger(record.pid) && typeof record.nonce === 'string') return record;
  } catch { /* unreadable */ }
  return null;
}

/* False only when it is certain that pid (in this pid namespace) no longer runs the process
   that started at startTime: no such pid, a zombie, or another process's start time. */
function isRunning(pid, startTime) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error?.code === 'ESRCH') return false;   // EPERM: it runs, as another user
  }
  const stat = procStat(pid);
  if (stat === null) return processIdentity().startTime === null;   // /proc exists but not this pid: gone
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return startTime == null || stat.startTime === startTime;
}

function describeOwner(owner) {
  if (!owner) return 'an empty or unreadable LOCK (a store may be writing it)';
  if (owner.legacyPid !== undefined) return `process ${owner.legacyPid} (a lock from an earlier version)`;
  return `process ${owner.pid} on host ${owner.hostname}${owner.since ? ` since ${owner.since}` : ''}`;
}

/* { stale, why }: stale only when the holder provably cannot be using the folder any more. */
function judgeOwner(owner) {
  const me = processIdentity();
  if (!owner) return { stale: false, why: 'it is empty or unreadable' };
  if (owner.legacyPid !== undefined) {
    const stale = owner.legacyPid === me.pid || !isRunning(owner.legacyPid, null);
    return { stale, why: stale ? 'its pid is not running here' : 'that pid is running here' };
  }
  if (owner.hostname !== me.hostname) return { stale: false, why: `it was written on host ${owner.hostname}` };
  if (owner.bootId !== me.bootId) return { stale: false, why: 'it was written in another boot or on another machine' };
  if (owner.pidNamespace !== me.pidNamespace) return { stale: false, why: 'it was written in another pid namespace (another container)' };
  if (owner.pid === me.pid && owner.startTime === me.startTime) {
    const stale = !heldNonces.has(owner.nonce);
    return { stale, why: stale ? 'this process wrote it and no longer holds it' : 'another store in this process holds it' };
  }
  const stale = !isRunning(owner.pid, owner.startTime);
  return { stale, why: stale ? 'that process is not running' : 'that process is running' };
}

function lockedError(folder, owner, why) {
  return new HindsightError(ErrorCode.LOCKED, `${folder} is in use by ${describeOwner(owner)} (${why}); one store at a time may hold a folder. If no process uses it, delete ${path.join(folder, LOCK)}`);
}

function corrupt(message) { return new HindsightError(ErrorCode.CORRUPT, message); }

/* One buffer holding a frame per item: the whole batch goes to disk in one write. */
function encodeFrames(magic, items) {
  const lengths = new Array(items.length);
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    lengths[i] = Buffer.byteLength(items[i].text, 'utf8');
    total += HEADER_BYTES + lengths[i];
  }
  const buffer = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < items.length; i++) {
    const { seq, text } = items[i];
    const end = at + HEADER_BYTES + lengths[i];
    buffer.writeUInt32LE(magic, at);
    buffer.writeUInt32LE(seq % TWO_32, at + 8);
    buffer.writeUInt32LE(Math.floor(seq / TWO_32), at + 12);
    buffer.writeUInt32LE(lengths[i], at + 16);
    buffer.write(text, at + HEADER_BYTES, lengths[i], 'utf8');
    buffer.writeUInt32LE(crc32(buffer.subarray(at + 8, end)), at + 4);
    at = end;
  }
  return buffer;
}

/* One frame around payload (UTF-8 bytes, not copied twice): a snapshot's bytes go to disk as
   they came from the engine. */
function encodeFrameOfBytes(magic, seq, payload) {
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  buffer.writeUInt32LE(magic, 0);
  buffer.writeUInt32LE(seq % TWO_32, 8);
  buffer.writeUInt32LE(Math.floor(seq / TWO_32), 12);
  buffer.writeUInt32LE(payload.length, 16);
  buffer.set(payload, HEADER_BYTES);
  buffer.writeUInt32LE(crc32(buffer.subarray(8)), 4);
  return buffer;
}

/* Checks the frame at buffer[at..]: { ok, seq, length, crc } or { ok: false, torn, problem }.
   `available`: the bytes of the file from `at`, all in buffer up to the frame's end. */
function decodeFrame(buffer, at, available, magic) {
  if (available < HEADER_BYTES) return { ok: false, torn: true, problem: `a torn header (${available} of ${HEADER_BYTES} bytes)` };
  if (buffer.readUInt32LE(at) !== magic) return { ok: false, problem: 'a bad magic number' };
  const seq = buffer.readUInt32LE(at + 12) * TWO_32 + buffer.readUInt32LE(at + 8);
  const length = buffer.readUInt32LE(at + 16);
  if (available < HEADER_BYTES + length) {
    return { ok: false, torn: true, seq, length, problem: `a torn payload (${available - HEADER_BYTES} of ${length} bytes)` };
  }
  const crc = buffer.readUInt32LE(at + 4);
  if (crc32(buffer.subarray(at + 8, at + HEADER_BYTES + length)) !== crc) return { ok: false, seq, length, problem: 'a bad checksum' };
  return { ok: true, seq, length, crc };
}

/* Reads a file of frames in chunks, so a large log never needs one huge buffer. */
class FrameReader {
  #handle; #size; #buffer = Buffer.alloc(0); #start = 0;
  constructor(handle, size) { this.#handle = handle; this.#size = size; }

  /* Makes bytes [at, at + want) (clipped to the file) readable; returns [buffer, offset]. */
  async view(at, want) {
    const end = Math.min(this.#size, at + want);
    if (at < this.#start || end > this.#start + this.#buffer.length) {
      const length = Math.min(this.#size - at, Math.max(want, READ_CHUNK));
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await this.#handle.read(buffer, filled, length - filled, at + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      this.#buffer = buffer.subarray(0, filled);
      this.#start = at;
    }
    return [this.#buffer, at - this.#start];
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class FileStore {
  #dir;
  #fs;
  #segments = [];        // [{ name, firstSeq }], ascending: the log files in use
  #active = null;        // { name, firstSeq, size, handle } the segment appends go to, or null
  #nextSeq = 1;          // the seq the next append must start with
  #snapshotSeq = 0;      // the seq of the current snapshot (0: none)
  #snapshotName = null;  // its file (null: none, the database starts empty)
  #previous = null;      // { name, seq }: the snapshot kept with the current one (null: the empty start)
  #tailDirty = false;    // a failed append may have left bytes past #active.size
  #state = 'new';        // 'new' | 'open' | 'closed'
  #queue = Promise.resolve();
  #lock = null;          // { text, nonce, realDir } while this store holds the folder

  /* path: the folder (created if missing). fs: node:fs/promises or a stand-in with its open,
     mkdir, readdir, readFile, rename, unlink, link and (optionally) realpath (tests inject
     faults such as a full disk). */
  constructor({ path: folder, fs = nodeFs } = {}) {
    if (typeof folder !== 'string' || !folder) throw invalid('FileStore needs { path }: a folder');
    this.#dir = path.resolve(folder);
    this.#fs = fs;
  }

  get path() { return this.#dir; }

  /* Calls run one at a time even if a caller forgets to await. */
  #serial(fn) {
    const result = this.#queue.then(fn);
    this.#queue = result.catch(() => {});
    return result;
  }

  open() {
    return this.#serial(async () => {
      await this.#releaseHandle();
      await this.#takeLock();
      try {
        const opened = await this.#recover();
        this.#state = 'open';
        return opened;
      } catch (error) {
        await this.#releaseLock();
        throw error;
      }
    });
  }

  append(records) {
    return this.#serial(async () => {
      await this.#ready();
      if (!Array.isArray(records)) throw invalid('append needs an array of { seq, text }');
      if (records.length === 0) return;
      records.forEach((record, i) => {
        checkSeq(record?.seq, 'a record seq');
        if (record.seq !== this.#nextSeq + i) {
          throw invalid(`records must continue the log densely: expected seq ${this.#nextSeq + i}, got ${record.seq}`);
        }
      });
      const first = records[0].seq, last = records[records.length - 1].seq;
      const bytes = encodeFrames(MAGIC_RECORD, records.map((r) => ({ seq: r.seq, text: String(r.text) })));
      const doing = `appending records ${first}..${last} to ${this.#dir}`;
      let segment;
      try {
        segment = await this.#activeSegment(first);
        if (this.#tailDirty) {
          await segment.handle.truncate(segment.size); // what a failed append left goes first
          this.#tailDirty = false;
        }
      } catch (error) {
        throw mapError(error, doing);
      }
      try {
        await writeAll(segment.handle, bytes, segment.size);
        await segment.handle.datasync();
      } catch (error) {
        // Cut off whatever part of the batch reached the file; if even that fails, the next
        // append cuts it first, and an open in between drops it as a torn tail.
        this.#tailDirty = true;
        try {
          await segment.handle.truncate(segment.size);
          this.#tailDirty = false;
        } catch { /* retried before the next write */ }
        throw mapError(error, doing);
      }
      segment.size += bytes.length;
      this.#nextSeq = last + 1;
    });
  }

  /* The snapshot may come as text or as its UTF-8 bytes (bytes: no transcoding on the way). */
  get takesSnapshotBytes() { return true; }

  /* verify (optional): async (textOrBytes) => void, given the snapshot as the caller gave it
     (text or bytes); it throws when the snapshot would not load (the Database loads it into
     a scratch engine). It runs while the file is written and synced; the file is then read
     back and must equal, byte for byte, what was written (so what verify accepted is what
     the file holds). A snapshot that fails either is never named by the manifest, and
     nothing it covers is deleted.
     replacesHistory: the state was replaced (fromDict), so no older snapshot or log can stand
     in for this one: they are deleted once it is in place, before the manifest names it. */
  writeSnapshot({ seq, text, bytes: payload, verify, replacesHistory = false } = {}) {
    return this.#serial(async () => {
      await this.#ready();
      checkSeq(seq, 'a snapshot seq');
      if (seq < this.#snapshotSeq) throw invalid(`snapshot seq ${seq} is older than the current snapshot (${this.#snapshotSeq})`);
      if (verify !== undefined && typeof verify !== 'function') throw invalid('writeSnapshot: verify must be a function');
      if (payload !== undefined && !(payload instanceof Uint8Array)) throw invalid('writeSnapshot: bytes must be a Uint8Array');
      const name = snapshotName(seq);
      const given = payload ?? String(text);
      const bytes = encodeFrameOfBytes(MAGIC_SNAPSHOT, seq, payload ?? Buffer.from(given, 'utf8'));
      const manifest = { format: 'hindsight-file-store', version: 1, snapshot: { file: name, seq, bytes: bytes.length, crc: bytes.readUInt32LE(4) } };
      const doing = `writing the snapshot at seq ${seq} to ${this.#dir}`;
      const replacesCurrent = name === this.#snapshotName;
      let renamed = false;
      try {
        await this.#writeVerified(name, bytes, seq, verify && (() => verify(given)));
        renamed = true;
        if (replacesHistory) await this.#dropHistoryBefore(name, seq);
        await this.#writeDurably(MANIFEST, encodeFrames(MAGIC_MANIFEST, [{ seq, text: JSON.stringify(manifest) }]));
      } catch (error) {
        // Without a manifest a complete snapshot is still usable, but on a full disk its
        // space matters more; the log alone still holds every commit. (Not so when it replaced
        // the current snapshot of the same seq: then it is the only one.)
        if (renamed && !replacesCurrent && !replacesHistory) await this.#fs.unlink(this.#file(name)).catch(() => {});
        throw mapError(error, doing);
      }
      // Verified and named: the current snapshot becomes the one kept with it.
      if (replacesHistory) this.#previous = null;
      else if (!replacesCurrent) this.#previous = this.#snapshotName ? { name: this.#snapshotName, seq: this.#snapshotSeq } : null;
      this.#snapshotSeq = seq;
      this.#snapshotName = name;
      this.#nextSeq = Math.max(this.#nextSeq, seq + 1);
      // The next append starts a new segment, so segments end where snapshots do and can go
      // whole. Not while a failed append's bytes are still there: a later segment would make
      // them look like part of the log.
      if (await this.#cutDirtyTail()) await this.#releaseHandle();
      await this.#dropOlder();
    });
  }

  close() {
    return this.#serial(async () => {
      await this.#releaseHandle();
      await this.#releaseLock();
      this.#state = 'closed';
    });
  }

  /* ---- the folder lock (see the header) ---- */

  async #takeLock() {
    if (this.#lock) return;
    const doing = `locking ${this.#dir}`;
    let realDir;
    try {
      await this.#fs.mkdir(this.#dir, { recursive: true });
      realDir = await (this.#fs.realpath ?? nodeFs.realpath)(this.#dir);
    } catch (error) {
      throw mapError(error, doing);
    }
    const holder = heldFolders.get(realDir);
    if (holder && holder !== this) {
      throw new HindsightError(ErrorCode.LOCKED, `${this.#dir} is already open in this process${realDir !== this.#dir ? ` (as ${realDir})` : ''}; close that store or Database first`);
    }
    heldFolders.set(realDir, this);   // before any await: a concurrent open in this process sees it
    const nonce = randomBytes(16).toString('hex');
    heldNonces.add(nonce);
    const text = ownerRecordText(nonce, realDir);
    const temp = `${LOCK}.${nonce}.new`;
    try {
      await this.#writeSynced(temp, text);
      await this.#placeLock(temp, text);
      this.#lock = { text, nonce, realDir };
    } catch (error) {
      heldNonces.delete(nonce);
      if (heldFolders.get(realDir) === this) heldFolders.delete(realDir);
      throw mapError(error, doing);
    } finally {
      await this.#fs.unlink(this.#file(temp)).catch(() => {});
    }
  }

  /* Links the record at temp to LOCK; while LOCK exists, takes it over if provably stale. */
  async #placeLock(temp, text) {
    const deadline = Date.now() + LOCK_TAKE_MS;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && Date.now() > deadline) {
        const current = await this.#readText(LOCK);
        const owner = current === null ? null : parseOwner(current);
        throw lockedError(this.#dir, owner, 'it kept changing while this store tried to take it');
      }
      try {
        await this.#fs.link(this.#file(temp), this.#file(LOCK));
        return;
      } catch (error) {
        if (NO_LINK_CODES.has(error?.code)) {
          if (await this.#createExclusive(LOCK, text)) return;
        } else if (error?.code !== 'EEXIST') {
          throw error;
        }
      }
      const current = await this.#readText(LOCK);
      if (current === null) continue;   // released meanwhile: try again
      const owner = parseOwner(current);
      const { stale, why } = judgeOwner(owner);
      if (!stale) throw lockedError(this.#dir, owner, why);
      if (!(await this.#removeStale(LOCK, current, temp, 0))) await sleep(5 + Math.random() * 20); // another process is taking it over
    }
  }

  /* Where link() is unavailable: O_EXCL create, then the record. False when LOCK exists. */
  async #createExclusive(name, text) {
    let handle;
    try {
      handle = await this.#fs.open(this.#file(name), 'wx');
    } catch (error) {
      if (error?.code === 'EEXIST') return false;
      throw error;
    }
    try {
      await writeAll(handle, Buffer.from(text, 'utf8'), 0);
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => {});
      handle = null;
      await this.#fs.unlink(this.#file(name)).catch(() => {});
      throw error;
    } finally {
      await handle?.close();
    }
    return true;
  }

  /* Removes `name` if it still holds staleText, by first claiming LOCK.reap-<id> (a link of our
     record at temp), so that of all the processes that found it stale exactly one removes it,
     and never a LOCK written after it. True when it is gone; false when another claimant is at
     work (or was, and died: its claim is then removed in turn, and the caller tries again). */
  async #removeStale(name, staleText, temp, depth) {
    const marker = `${LOCK}.reap-${crc32(staleText).toString(16).padStart(8, '0')}${staleText.length.toString(16)}`;
    try {
      await this.#fs.link(this.#file(temp), this.#file(marker));
    } catch (error) {
      if (NO_LINK_CODES.has(error?.code)) {
        if ((await this.#readText(name)) === staleText) await this.#fs.unlink(this.#file(name)).catch(() => {});
        return true;
      }
      if (error?.code !== 'EEXIST') throw error;
      const claim = await this.#readText(marker);
      if (claim !== null && depth < 2 && judgeOwner(parseOwner(claim)).stale) await this.#removeStale(marker, claim, temp, depth + 1);
      return false;
    }
    try {
      if ((await this.#readText(name)) === staleText) await this.#fs.unlink(this.#file(name));
    } finally {
      await this.#fs.unlink(this.#file(marker)).catch(() => {});
    }
    return true;
  }

  async #releaseLock() {
    const lock = this.#lock;
    if (!lock) return;
    this.#lock = null;
    try {
      if ((await this.#readText(LOCK)) === lock.text) await this.#fs.unlink(this.#file(LOCK));
    } catch { /* left behind: stale once this store is closed, taken over by the next open */ }
    heldNonces.delete(lock.nonce);
    if (heldFolders.get(lock.realDir) === this) heldFolders.delete(lock.realDir);
  }

  /* The file's text, or null when it does not exist. */
  async #readText(name) {
    try {
      return String(await this.#fs.readFile(this.#file(name), 'utf8'));
    } catch (error) {
      if (error?.code === 'ENOENT') return null;
      throw error;
    }
  }

  /* A new file (never an existing one) holding text, fsynced, closed even when a step fails. */
  async #writeSynced(name, text) {
    const handle = await this.#fs.open(this.#file(name), 'wx');
    try {
      await writeAll(handle, Buffer.from(text, 'utf8'), 0);
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => {});
      await this.#fs.unlink(this.#file(name)).catch(() => {});
      throw error;
    }
    await handle.close();
  }

  /* ---- internals ---- */

  #file(name) { return path.join(this.#dir, name); }

  async #ready() {
    if (this.#state === 'closed') throw new HindsightError(ErrorCode.CLOSED, `the file store at ${this.#dir} is closed`);
    if (this.#state === 'new') {
      await this.#takeLock();
      try {
        await this.#recover();
      } catch (error) {
        await this.#releaseLock();
        throw error;
      }
      this.#state = 'open';
    }
  }

  /* Cuts what a failed append left past the intact log; true when the tail is clean. */
  async #cutDirtyTail() {
    if (!this.#tailDirty) return true;
    try {
      await this.#active.handle.truncate(this.#active.size);
      this.#tailDirty = false;
    } catch { /* still dirty: the next append tries again first */ }
    return !this.#tailDirty;
  }

  async #releaseHandle() {
    const handle = this.#active?.handle;
    if (handle) await this.#cutDirtyTail(); // if it cannot, open treats the bytes as a crash's
    this.#active = null;
    this.#tailDirty = false;
    if (handle) await handle.close().catch(() => {});
  }

  /* The segment that holds seq `first` next, opened for writing; a new one after a snapshot. */
  async #activeSegment(first) {
    if (!this.#active) {
      const name = segmentName(first);
      const handle = await this.#fs.open(this.#file(name), FS.O_RDWR | FS.O_CREAT);
      this.#active = { name, firstSeq: first, size: 0, handle };
      this.#segments.push({ name, firstSeq: first });
      await this.#syncDir(); // the new file's name must survive a crash too
    } else if (!this.#active.handle) {
      this.#active.handle = await this.#fs.open(this.#file(this.#active.name), FS.O_RDWR);
    }
    return this.#active;
  }

  /* Temp file, fsync, rename into place, fsync the folder: the name never shows a partial file. */
  async #writeDurably(name, bytes) {
    return this.#writeVerified(name, bytes, null, undefined, false);
  }

  /* #writeDurably, and before the rename (when check): verify() runs while the temp file is
     written and synced (its CPU work overlaps the I/O), then the file is read back and must
     equal bytes. Failures leave no temp file. */
  async #writeVerified(name, bytes, seq, verify, check = true) {
    const temp = `${name}.tmp`;
    let handle;
    try {
      handle = await this.#fs.open(this.#file(temp), 'w');
      const opened = handle;
      const written = writeAll(opened, bytes, 0).then(() => opened.sync());
      written.catch(() => {});   // awaited below; not an unhandled rejection while verify runs
      if (check && verify) {
        try {
          await verify();
        } catch (error) {
          await written.catch(() => {});
          throw new HindsightError(ErrorCode.CORRUPT, `the snapshot at seq ${seq} would not load back (${error?.message ?? error}); it was not kept, and the log still holds every commit`, { cause: error });
        }
      }
      await written;
      await handle.close();
      handle = null;
      if (check) {
        const back = await this.#fs.readFile(this.#file(temp));
        if (!sameBytes(back, bytes)) throw corrupt(`the snapshot at seq ${seq} read back differently from what was written to ${this.#dir}; it was not kept`);
      }
      await this.#fs.rename(this.#file(temp), this.#file(name));
    } catch (error) {
      if (handle) await handle.close().catch(() => {});
      await this.#fs.unlink(this.#file(temp)).catch(() => {});
      throw error;
    }
    await this.#syncDir();
  }

  async #syncDir() {
    if (process.platform === 'win32') return; // Windows cannot open a folder to fsync it
    const handle = await this.#fs.open(this.#dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /* After a verified snapshot is named by the manifest: deletes every snapshot but the current
     and the previous one, and the segments whose every record is <= the previous one's seq
     (all of the log is kept while the previous is the empty start). Failures only leave
     files that the next pass deletes. */
  async #dropOlder() {
    let names;
    try {
      names = await this.#fs.readdir(this.#dir);
    } catch {
      return;
    }
    const keep = new Set([this.#snapshotName, this.#previous?.name]);
    for (const name of names) {
      if (SNAPSHOT_NAME.test(name) && !keep.has(name)) await this.#fs.unlink(this.#file(name)).catch(() => {});
    }
    const base = this.#previous?.seq ?? 0;
    const kept = [];
    for (let i = 0; i < this.#segments.length; i++) {
      const segment = this.#segments[i];
      const lastSeq = i + 1 < this.#segments.length ? this.#segments[i + 1].firstSeq - 1 : this.#nextSeq - 1;
      const isActive = this.#active?.name === segment.name;
      if (lastSeq <= base && !isActive) await this.#fs.unlink(this.#file(segment.name)).catch(() => {});
      else kept.push(segment);
    }
    this.#segments = kept;
  }

  /* The old history under a snapshot that replaced it: every other snapshot, and the log
     segments whose records are all <= seq (appends go to a new segment after it). */
  async #dropHistoryBefore(current, seq) {
    await this.#releaseHandle();
    for (const name of await this.#fs.readdir(this.#dir)) {
      if (SNAPSHOT_NAME.test(name) && name !== current) await this.#fs.unlink(this.#file(name));
    }
    const kept = [];
    for (let i = 0; i < this.#segments.length; i++) {
      const segment = this.#segments[i];
      const lastSeq = i + 1 < this.#segments.length ? this.#segments[i + 1].firstSeq - 1 : this.#nextSeq - 1;
      if (lastSeq <= seq) await this.#fs.unlink(this.#file(segment.name));
      else kept.push(segment);
    }
    this.#segments = kept;
    await this.#syncDir();
  }

  /* Reads the folder back: the newest intact snapshot from which the log reaches every seq
     known to have been durable, and the log after it; or CORRUPT, changing nothing. Then
     repairs what a crash leaves (temp files, a torn tail) so later appends start clean. */
  async #recover() {
    this.#segments = [];
    this.#active = null;
    this.#nextSeq = 1;
    this.#snapshotSeq = 0;
    this.#snapshotName = null;
    this.#previous = null;
    await this.#fs.mkdir(this.#dir, { recursive: true });
    const names = (await this.#fs.readdir(this.#dir)).sort();
    const warnings = [];
    const manifest = names.includes(MANIFEST) ? await this.#readManifest(warnings) : null;
    const snapshotNames = names.filter((n) => SNAPSHOT_NAME.test(n)).reverse();
    const segments = names.filter((n) => SEGMENT_NAME.test(n)).map((name) => ({ name, firstSeq: Number(SEGMENT_NAME.exec(name)[1]) }));
    // Every snapshot, damaged or not, and the manifest say how far the history reached.
    const claimed = Math.max(manifest?.seq ?? 0, ...snapshotNames.map(snapshotSeqOf));

    let chosen = null;
    for (const name of [...snapshotNames, null]) {
      const snapshot = name === null ? { name: null, seq: 0, text: null } : await this.#readSnapshot(name, warnings);
      if (!snapshot) continue;
      const from = name === null ? 'the start of the log' : name;
      const log = await this.#readLog(segments, snapshot.seq);
      const reached = Math.max(snapshot.seq, log.records.at(-1)?.seq ?? 0);
      if (log.gap) {
        warnings.push(`from ${from}: ${log.gap}`);
      } else if (name === null && reached === 0 && (names.includes(MANIFEST) || snapshotNames.length)) {
        warnings.push('a snapshot existed, and there is no log to rebuild it from');
      } else if (reached < claimed) {
        warnings.push(`${from} and the log after it reach seq ${reached}, but seq ${claimed} was durable`);
      } else {
        chosen = { snapshot, log };
        break;
      }
    }
    if (!chosen) {
      throw corrupt(`${this.#dir} cannot be opened without losing commits, so nothing in it was changed: ${warnings.join('; ')}`);
    }
    const { snapshot, log } = chosen;
    if (manifest && manifest.file !== snapshot.name && !(snapshot.seq > manifest.seq)) {
      warnings.push(`the manifest names ${manifest.file}, which is missing or damaged; opened from ${snapshot.name ?? 'the start of the log'} and the log after it`);
    }
    const offset = warnings.length;
    warnings.push(...log.warnings);
    for (const repair of log.repairs) await repair(warnings, offset);
    for (const name of names.filter((n) => n.endsWith('.tmp'))) await this.#fs.unlink(this.#file(name)).catch(() => {});

    this.#snapshotSeq = snapshot.seq;
    this.#snapshotName = snapshot.name;
    this.#segments = log.segments;
    this.#active = log.active;
    this.#nextSeq = Math.max(snapshot.seq, log.records.at(-1)?.seq ?? 0) + 1;
    return { snapshot: snapshot.name && { seq: snapshot.seq, text: snapshot.text }, records: log.records, warnings };
  }

  async #readManifest(warnings) {
    try {
      const bytes = await this.#fs.readFile(this.#file(MANIFEST));
      const frame = decodeFrame(bytes, 0, bytes.length, MAGIC_MANIFEST);
      if (!frame.ok) throw new Error(frame.problem);
      const { snapshot } = JSON.parse(bytes.toString('utf8', HEADER_BYTES, HEADER_BYTES + frame.length));
      if (!SNAPSHOT_NAME.test(snapshot?.file) || snapshot.seq !== frame.seq) throw new Error('it names no snapshot');
      return { file: snapshot.file, seq: snapshot.seq, crc: snapshot.crc };
    } catch (error) {
      warnings.push(`the manifest is damaged (${error.message}); using the newest intact snapshot`);
      return null;
    }
  }

  /* A snapshot file whose frame is whole and whose seq matches its name, or null (with a
     warning). A complete file the manifest does not name yet (a crash between the two
     renames), or whose CRC differs from the manifest's (a same-seq snapshot replaced just
     before a crash), was verified before its rename: its own checksum vouches for it. */
  async #readSnapshot(name, warnings) {
    let bytes;
    try {
      bytes = await this.#fs.readFile(this.#file(name));
    } catch (error) {
      warnings.push(`snapshot ${name} cannot be read (${error.code ?? error.message}); skipped`);
      return null;
    }
    const frame = decodeFrame(bytes, 0, bytes.length, MAGIC_SNAPSHOT);
    const seq = snapshotSeqOf(name);
    let problem = frame.ok ? null : frame.problem;
    if (!problem && frame.seq !== seq) problem = `seq ${frame.seq} inside`;
    if (!problem && bytes.length !== HEADER_BYTES + frame.length) problem = 'extra bytes after the snapshot';
    if (problem) {
      warnings.push(`snapshot ${name} is damaged (${problem}); skipped`);
      return null;
    }
    return { name, seq, text: bytes.toString('utf8', HEADER_BYTES, HEADER_BYTES + frame.length) };
  }

  /* Reads, without changing anything, every intact record after base: { records, warnings,
     repairs, gap, segments, active }. A gap right after base (the log does not go on from
     it) is `gap`. Otherwise the first bad frame ends the log: `repairs` (run only if this
     reading is used) cut its segment there and set later segments aside. */
  async #readLog(segments, base) {
    const records = [], warnings = [], repairs = [], kept = [];
    let active = null, gap = null;
    let expected = null; // the seq the next frame must carry (null: the first segment sets it)
    const logEnd = () => Math.max(base, records.at(-1)?.seq ?? 0) + 1;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i];
      const lastSeq = i + 1 < segments.length ? segments[i + 1].firstSeq - 1 : Infinity;
      if (lastSeq <= base) {
        kept.push(segment); // covered by base: not read, deleted once a later snapshot allows
        continue;
      }
      const firstBreak = expected === null ? segment.firstSeq > base + 1 : segment.firstSeq !== expected;
      if (firstBreak && (await this.#sizeOf(segment.name)) === 0) {
        repairs.push(() => this.#fs.unlink(this.#file(segment.name)).catch(() => {})); // an empty file from a crash
        continue;
      }
      if (firstBreak && expected === null) {
        gap = `the log goes on at seq ${segment.firstSeq}: records ${base + 1}..${segment.firstSeq - 1} are missing`;
        break;
      }
      if (firstBreak) {
        warnings.push(`log segment ${segment.name} does not continue seq ${expected - 1}`);
        repairs.push((w) => this.#setAside(segments.slice(i), w));
        break;
      }
      const read = await this.#readSegment(segment, base, records);
      if (read.end === 0 && read.size === 0 && segment.firstSeq !== logEnd()) {
        repairs.push(() => this.#fs.unlink(this.#file(segment.name)).catch(() => {}));
        continue;
      }
      kept.push(segment);
      active = { name: segment.name, firstSeq: segment.firstSeq, size: read.end, handle: null };
      expected = read.next;
      if (read.problem) {
        const slot = warnings.push(`log ${segment.name}: the record at byte ${read.end} (seq ${read.next}) has ${read.problem}; it and the ${read.size - read.end} bytes from there were dropped`) - 1;
        repairs.push((w, offset) => this.#cutSegment(segment.name, read.end, read.size, !read.tornTail, w, offset + slot));
        // A damaged end is the end of the log, unless the next segment goes on exactly where
        // the intact records stop (the bad bytes were a failed append's, left before a new segment).
        if (segments[i + 1] && segments[i + 1].firstSeq !== read.next) {
          repairs.push((w) => this.#setAside(segments.slice(i + 1), w));
          break;
        }
      }
    }
    // Appends go on in the last segment only if it ends where the log ends.
    if (active && expected !== logEnd()) active = null;
    return { records, warnings, repairs, gap, segments: kept, active };
  }

  async #sizeOf(name) {
    try {
      const handle = await this.#fs.open(this.#file(name), 'r');
      try { return (await handle.stat()).size; } finally { await handle.close(); }
    } catch {
      return -1;
    }
  }

  /* Reads one segment's intact frames into records: { end, size, next, problem, tornTail }. */
  async #readSegment(segment, base, records) {
    const handle = await this.#fs.open(this.#file(segment.name), 'r');
    try {
      const { size } = await handle.stat();
      const reader = new FrameReader(handle, size);
      let at = 0, seq = segment.firstSeq, problem = null, torn = false;
      while (at < size) {
        // The header says how long the frame is; only then can the whole frame be in view.
        let [buffer, offset] = await reader.view(at, HEADER_BYTES);
        if (size - at >= HEADER_BYTES) {
          const frameBytes = HEADER_BYTES + buffer.readUInt32LE(offset + 16);
          if (frameBytes <= size - at) [buffer, offset] = await reader.view(at, frameBytes);
        }
        const frame = decodeFrame(buffer, offset, size - at, MAGIC_RECORD);
        if (!frame.ok) { problem = frame.problem; torn = frame.torn === true; break; }
        if (frame.seq !== seq) { problem = `seq ${frame.seq} where ${seq} belongs`; break; }
        if (seq > base) records.push({ seq, text: buffer.toString('utf8', offset + HEADER_BYTES, offset + HEADER_BYTES + frame.length) });
        at += HEADER_BYTES + frame.length;
        seq += 1;
      }
      const tornTail = problem !== null && (torn || (await this.#onlyZerosOrOneFrame(reader, at, size)));
      return { end: at, size, next: seq, problem, tornTail };
    } finally {
      await handle.close();
    }
  }

  /* Cuts a segment at `at`; corruption inside the log (not a torn tail) is copied aside first. */
  async #cutSegment(name, at, size, keepAside, warnings, slot) {
    const handle = await this.#fs.open(this.#file(name), 'r+');
    try {
      if (keepAside) {
        const kept = await this.#keepDropped(name, new FrameReader(handle, size), at, size);
        warnings[slot] += kept;
      }
      await handle.truncate(at);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /* True when the bytes from `at` are a crash's leftovers: zeros, or one frame reaching EOF. */
  async #onlyZerosOrOneFrame(reader, at, size) {
    const [header, offset] = await reader.view(at, HEADER_BYTES);
    if (size - at >= HEADER_BYTES && header.readUInt32LE(offset) === MAGIC_RECORD && at + HEADER_BYTES + header.readUInt32LE(offset + 16) === size) return true;
    for (let from = at; from < size; from += READ_CHUNK) {
      const [buffer, start] = await reader.view(from, Math.min(READ_CHUNK, size - from));
      const end = start + Math.min(READ_CHUNK, size - from);
      for (let i = start; i < end; i++) if (buffer[i] !== 0) return false;
    }
    return true;
  }

  /* The cut bytes go to a side file, not away. */
  async #keepDropped(name, reader, at, size) {
    const side = `${name}.${at}.dropped`;
    try {
      const handle = await this.#fs.open(this.#file(side), 'w');
      try {
        for (let from = at; from < size; from += READ_CHUNK) {
          const length = Math.min(READ_CHUNK, size - from);
          const [buffer, start] = await reader.view(from, length);
          await writeAll(handle, buffer.subarray(start, start + length), from - at);
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      return ` (kept in ${side})`;
    } catch (error) {
      return ` (could not keep them: ${error.code ?? error.message})`;
    }
  }

  /* Whole segments after a break in the log: renamed, never deleted. */
  async #setAside(segments, warnings) {
    for (const segment of segments) {
      const side = `${segment.name}.dropped`;
      try {
        await this.#fs.rename(this.#file(segment.name), this.#file(side));
        warnings.push(`log segment ${segment.name} comes after a break in the log; renamed to ${side}`);
      } catch (error) {
        warnings.push(`log segment ${segment.name} comes after a break in the log and could not be renamed (${error.code ?? error.message})`);
      }
    }
  }
}

/* True when a (a Buffer or Uint8Array read back) holds exactly the bytes of b; no copies. */
function sameBytes(a, b) {
  const view = Buffer.isBuffer(a) ? a : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return view.equals(b);
}

/* FileHandle.write may write less than asked; loops until the whole buffer is at `position`. */
async function writeAll(handle, buffer, position) {
  let done = 0;
  while (done < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, done, buffer.length - done, position + done);
    if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    done += bytesWritten;
  }
}
