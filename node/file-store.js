/*
 * file-store.js: the Node file store (js/stores/store.js's interface), one folder per database:
 * log-<first seq>.hlog append-only segments, snapshot-<seq>.hsnap, MANIFEST (names the current
 * snapshot), *.tmp (unfinished writes), *.dropped (damaged log bytes kept for a human); seqs in
 * names have 20 digits so names sort. Records, snapshots and the manifest are frames (LE):
 *   OFFSET SIZE DESCRIPTION
 *   0      4    magic: 'HSR1' log record, 'HSS1' snapshot, 'HSM1' manifest
 *   4      4    CRC-32 (crc32.js) of bytes 8 .. 20+n: seq, length and payload
 *   8      8    seq (u64)
 *   16     4    n, the payload's length in bytes
 *   20     n    payload: UTF-8 text (for the manifest, JSON naming the snapshot and its CRC)
 * Must stay true: an append is one write + one fdatasync, cut off again if it fails, so a log
 * is a dense run of frames; a snapshot and then the manifest are each temp file, fsync, rename,
 * folder fsync; older segments and snapshots are deleted only after the manifest is durable;
 * one store at a time holds a folder (LOCK holds the owner's pid; a dead owner's lock is taken
 * over), since two writers would interleave their logs.
 */
import * as nodeFs from 'node:fs/promises';
import { constants as FS } from 'node:fs';
import { Buffer } from 'node:buffer';
import path from 'node:path';
import { HindsightError, ErrorCode } from '../js/errors.js';
import { crc32 } from '../js/crc32.js';

const HEADER_BYTES = 20;
const MAGIC_RECORD = 0x31525348;   // 'HSR1' as a little-endian u32
const MAGIC_SNAPSHOT = 0x31535348; // 'HSS1'
const MAGIC_MANIFEST = 0x314d5348; // 'HSM1'
const MANIFEST = 'MANIFEST';
const READ_CHUNK = 4 << 20;
const QUOTA_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const SEGMENT_NAME = /^log-(\d{20})\.hlog$/;
const SNAPSHOT_NAME = /^snapshot-(\d{20})\.hsnap$/;
const TWO_32 = 2 ** 32;

const seqName = (seq) => String(seq).padStart(20, '0');
const segmentName = (firstSeq) => `log-${seqName(firstSeq)}.hlog`;
const snapshotName = (seq) => `snapshot-${seqName(seq)}.hsnap`;

function invalid(message) { return new HindsightError(ErrorCode.INVALID_ARGUMENT, message); }

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error?.code === 'EPERM';   // alive, but not ours to signal
  }
}

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

export class FileStore {
  #dir;
  #fs;
  #segments = [];        // [{ name, firstSeq }], ascending: the log files in use
  #active = null;        // { name, firstSeq, size, handle } the segment appends go to, or null
  #nextSeq = 1;          // the seq the next append must start with
  #snapshotSeq = 0;      // the seq of the durable snapshot (0: none)
  #tailDirty = false;    // a failed append may have left bytes past #active.size
  #state = 'new';        // 'new' | 'open' | 'closed'
  #queue = Promise.resolve();

  /* path: the folder (created if missing). fs: node:fs/promises or a stand-in with its open,
     mkdir, readdir, readFile, rename and unlink (tests inject faults such as a full disk). */
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
      await this.#lock();
      const opened = await this.#recover();
      this.#state = 'open';
      return opened;
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

  writeSnapshot({ seq, text } = {}) {
    return this.#serial(async () => {
      await this.#ready();
      checkSeq(seq, 'a snapshot seq');
      if (seq < this.#snapshotSeq) throw invalid(`snapshot seq ${seq} is older than the current snapshot (${this.#snapshotSeq})`);
      const name = snapshotName(seq);
      const bytes = encodeFrames(MAGIC_SNAPSHOT, [{ seq, text: String(text) }]);
      const manifest = { format: 'hindsight-file-store', version: 1, snapshot: { file: name, seq, bytes: bytes.length, crc: bytes.readUInt32LE(4) } };
      const doing = `writing the snapshot at seq ${seq} to ${this.#dir}`;
      let renamed = false;
      try {
        await this.#writeDurably(name, bytes);
        renamed = true;
        await this.#writeDurably(MANIFEST, encodeFrames(MAGIC_MANIFEST, [{ seq, text: JSON.stringify(manifest) }]));
      } catch (error) {
        // Without a manifest a complete snapshot is still usable, but on a full disk its
        // space matters more; the log alone still holds every commit. (Not so when it replaced
        // the current snapshot of the same seq: then it is the only one.)
        if (renamed && seq !== this.#snapshotSeq) await this.#fs.unlink(this.#file(name)).catch(() => {});
        throw mapError(error, doing);
      }
      this.#snapshotSeq = seq;
      this.#nextSeq = Math.max(this.#nextSeq, seq + 1);
      // The next append starts a new segment, so this one can go once a snapshot covers it
      // (at once when this snapshot already does). Not while a failed append's bytes are still
      // there: a later segment would make them look like part of the log.
      if (await this.#cutDirtyTail()) await this.#releaseHandle();
      await this.#dropCovered(name);
    });
  }

  close() {
    return this.#serial(async () => {
      await this.#releaseHandle();
      await this.#unlock();
      this.#state = 'closed';
    });
  }

  /* ---- the folder lock ---- */

  #locked = false;

  async #lock() {
    if (this.#locked) return;
    await this.#fs.mkdir(this.#dir, { recursive: true });
    const file = this.#file('LOCK');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await this.#fs.open(file, 'wx');
        await handle.writeFile(String(process.pid));
        await handle.close();
        this.#locked = true;
        return;
      } catch (error) {
        if (error?.code !== 'EEXIST') return;   // a file system without O_EXCL: go on unlocked
      }
      const owner = Number(String(await this.#fs.readFile(file).catch(() => '')).trim());
      // Only another live process is refused: in one process the Database never opens a folder
      // twice, and a store object abandoned without close() (tests simulating a crash) must not
      // lock its successor out.
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new HindsightError(ErrorCode.LOCKED, `${this.#dir} is in use by process ${owner}; one store at a time may hold a folder`);
      }
      await this.#fs.unlink(file).catch(() => {});   // its owner died: take the folder over
    }
  }

  async #unlock() {
    if (!this.#locked) return;
    this.#locked = false;
    await this.#fs.unlink(this.#file('LOCK')).catch(() => {});
  }

  /* ---- internals ---- */

  #file(name) { return path.join(this.#dir, name); }

  async #ready() {
    if (this.#state === 'closed') throw new HindsightError(ErrorCode.CLOSED, `the file store at ${this.#dir} is closed`);
    if (this.#state === 'new') {
      await this.#recover();
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
    const temp = `${name}.tmp`;
    let handle;
    try {
      handle = await this.#fs.open(this.#file(temp), 'w');
      await writeAll(handle, bytes, 0);
      await handle.sync();
      await handle.close();
      handle = null;
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

  /* After the manifest names `current`: deletes older snapshots and the segments whose every
     record is <= the snapshot seq. Failures only leave files that the next pass deletes. */
  async #dropCovered(current) {
    let names;
    try {
      names = await this.#fs.readdir(this.#dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (SNAPSHOT_NAME.test(name) && name !== current) await this.#fs.unlink(this.#file(name)).catch(() => {});
    }
    const keep = [];
    for (let i = 0; i < this.#segments.length; i++) {
      const segment = this.#segments[i];
      const lastSeq = i + 1 < this.#segments.length ? this.#segments[i + 1].firstSeq - 1 : this.#nextSeq - 1;
      const isActive = this.#active?.name === segment.name;
      if (lastSeq <= this.#snapshotSeq && !isActive) await this.#fs.unlink(this.#file(segment.name)).catch(() => {});
      else keep.push(segment);
    }
    this.#segments = keep;
  }

  /* Reads the folder back: the newest complete snapshot and the intact log after it. Repairs
     what a crash leaves (temp files, a torn tail) so later appends start clean. */
  async #recover() {
    const warnings = [];
    this.#segments = [];
    this.#active = null;
    this.#nextSeq = 1;
    this.#snapshotSeq = 0;
    await this.#fs.mkdir(this.#dir, { recursive: true });
    const names = (await this.#fs.readdir(this.#dir)).sort();
    for (const name of names.filter((n) => n.endsWith('.tmp'))) await this.#fs.unlink(this.#file(name)).catch(() => {});

    const manifest = names.includes(MANIFEST) ? await this.#readManifest(warnings) : null;
    const snapshotNames = names.filter((n) => SNAPSHOT_NAME.test(n)).reverse();
    let snapshot = null;
    for (const name of snapshotNames) {
      snapshot = await this.#readSnapshot(name, manifest, warnings);
      if (snapshot) break;
    }
    const snapshotSeq = snapshot?.seq ?? 0;
    this.#snapshotSeq = snapshotSeq;
    if (manifest && manifest.file !== snapshot?.name && !(snapshot && snapshot.seq > manifest.seq)) {
      warnings.push(`the manifest names ${manifest.file}, which is missing or damaged; using ${snapshot ? snapshot.name : 'no snapshot'}`);
    }

    const segments = names.filter((n) => SEGMENT_NAME.test(n)).map((name) => ({ name, firstSeq: Number(SEGMENT_NAME.exec(name)[1]) }));
    const records = await this.#readLog(segments, snapshotSeq, warnings);
    this.#nextSeq = Math.max(snapshotSeq, records.length ? records[records.length - 1].seq : 0) + 1;

    // The durable manifest names this very snapshot (name and CRC): what it covers can go.
    if (snapshot?.confirmed) await this.#dropCovered(snapshot.name);
    return { snapshot: snapshot && { seq: snapshot.seq, text: snapshot.text }, records, warnings };
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
     warning). A complete file the manifest does not name yet is a crash between the two
     renames: it is whole (fsynced before its rename), so it is used, but only a confirmed one
     (named by the manifest, with its CRC) lets open delete what it covers. */
  async #readSnapshot(name, manifest, warnings) {
    let bytes;
    try {
      bytes = await this.#fs.readFile(this.#file(name));
    } catch (error) {
      warnings.push(`snapshot ${name} cannot be read (${error.code ?? error.message}); skipped`);
      return null;
    }
    const frame = decodeFrame(bytes, 0, bytes.length, MAGIC_SNAPSHOT);
    const seq = Number(SNAPSHOT_NAME.exec(name)[1]);
    let problem = frame.ok ? null : frame.problem;
    if (!problem && frame.seq !== seq) problem = `seq ${frame.seq} inside`;
    if (!problem && bytes.length !== HEADER_BYTES + frame.length) problem = 'extra bytes after the snapshot';
    // A whole frame whose CRC differs from the manifest's is a same-seq snapshot replaced just
    // before a crash: its own checksum vouches for it.
    if (problem) {
      warnings.push(`snapshot ${name} is damaged (${problem}); skipped`);
      return null;
    }
    const confirmed = manifest?.file === name && manifest.crc === frame.crc;
    return { name, seq, confirmed, text: bytes.toString('utf8', HEADER_BYTES, HEADER_BYTES + frame.length) };
  }

  /* Every intact record after snapshotSeq, dense. The first bad frame ends the log: its segment
     is truncated there and later segments are set aside, each reported in warnings. */
  async #readLog(segments, snapshotSeq, warnings) {
    const records = [];
    let expected = null; // the seq the next frame must carry (null: the first segment sets it)
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i];
      const lastSeq = i + 1 < segments.length ? segments[i + 1].firstSeq - 1 : Infinity;
      if (lastSeq <= snapshotSeq) {
        this.#segments.push(segment); // covered by the snapshot: not read, deleted once the manifest allows
        continue;
      }
      if (expected === null && segment.firstSeq > snapshotSeq + 1) {
        warnings.push(`the log starts at seq ${segment.firstSeq} but the snapshot ends at ${snapshotSeq}: records ${snapshotSeq + 1}..${segment.firstSeq - 1} are missing`);
        await this.#setAside(segments.slice(i), warnings);
        break;
      }
      if (expected !== null && segment.firstSeq !== expected) {
        warnings.push(`log segment ${segment.name} does not continue seq ${expected - 1}`);
        await this.#setAside(segments.slice(i), warnings);
        break;
      }
      const { end, size, next, damaged } = await this.#readSegment(segment, snapshotSeq, records, warnings);
      if (end === 0 && size === 0 && segment.firstSeq !== Math.max(snapshotSeq, records.at(-1)?.seq ?? 0) + 1) {
        await this.#fs.unlink(this.#file(segment.name)).catch(() => {}); // an empty file from a crash
        continue;
      }
      this.#segments.push(segment);
      this.#active = { name: segment.name, firstSeq: segment.firstSeq, size: end, handle: null };
      expected = next;
      // A damaged end is the end of the log, unless the next segment goes on exactly where the
      // intact records stop (the bad bytes were a failed append's, left before a new segment).
      if (damaged && segments[i + 1]?.firstSeq !== next) {
        await this.#setAside(segments.slice(i + 1), warnings);
        break;
      }
    }
    // Appends go on in the last segment only if it ends where the log ends.
    const logEnd = Math.max(snapshotSeq, records.at(-1)?.seq ?? 0) + 1;
    if (this.#active && expected !== logEnd) this.#active = null;
    return records;
  }

  /* Reads one segment into records; cuts it at its first bad frame. */
  async #readSegment(segment, snapshotSeq, records, warnings) {
    const file = this.#file(segment.name);
    const handle = await this.#fs.open(file, 'r+');
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
        if (seq > snapshotSeq) records.push({ seq, text: buffer.toString('utf8', offset + HEADER_BYTES, offset + HEADER_BYTES + frame.length) });
        at += HEADER_BYTES + frame.length;
        seq += 1;
      }
      if (problem) {
        const tornTail = torn || (await this.#onlyZerosOrOneFrame(reader, at, size));
        let kept = '';
        if (!tornTail) kept = await this.#keepDropped(segment.name, reader, at, size);
        await handle.truncate(at);
        await handle.datasync();
        warnings.push(`log ${segment.name}: the record at byte ${at} (seq ${seq}) has ${problem}; it and the ${size - at} bytes from there were dropped${kept}`);
      }
      return { end: at, size, next: seq, damaged: problem !== null };
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

  /* Corruption inside the log (not a torn tail): the cut bytes go to a side file, not away. */
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

/* FileHandle.write may write less than asked; loops until the whole buffer is at `position`. */
async function writeAll(handle, buffer, position) {
  let done = 0;
  while (done < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, done, buffer.length - done, position + done);
    if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    done += bytesWritten;
  }
}
