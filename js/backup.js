/*
 * backup.js: backups of a Database to a target (see backup-targets.js), and restoreBackup.
 *
 * Owns: the BackupManager (when and what to back up, the manifest, rotation, failure
 * counting) and restoreBackup (read, verify, replay). A full backup is the database's
 * HindsightHistory (exportHistory()); a delta is the commits (seq range fromSeq..toSeq) since
 * the previous file of its chain, as db.commits() gives them. The manifest
 * (hindsight-manifest.json) lists every file: { name, kind, fromSeq, toSeq, bytes, crc32,
 * chain, time }, where crc32 is 8 hex digits of the UTF-8 bytes and chain names the full.
 * Must stay true: a file is written before the manifest that lists it, and a file is deleted
 * only after a manifest that no longer lists it is written, so the manifest on the target
 * always describes complete files. Capturing a backup is synchronous (one seq); only the
 * writes are asynchronous. At most one backup runs at a time. This file loads in browsers,
 * Deno and workerd: a folder path as a target is Node's (node/folder-backup-target.js, found
 * through js/stores/registry.js).
 */
/*
 * What each choice fixes in DictDB's BackupManager (shared/reference/time-travel-and-backups.md §1.3):
 * - Deltas are commits, not post-images: collection creation and removal are commits, so a
 *   collection created after the full is restored and a removed one stays removed, and a
 *   document re-added with fewer fields has exactly those fields (replay, never merge).
 *   Replay goes through the engine, so indexes are rebuilt, not bypassed.
 * - Seq watermarks instead of dirty sets: a backup captures db.seq and the data for it in
 *   one synchronous step and moves the watermark to that seq, so a write that lands while
 *   the file is being written is in the next delta (DictDB cleared it and lost it), and
 *   nothing grows without bound between backups (DictDB's never-cleared dirty sets). A
 *   delta is only made when it fits its chain (no commits lost to retention, no revert
 *   before the base, the last backed-up commit unchanged); otherwise a full one is.
 * - Full backups are one consistent seq across all collections (exportHistory).
 * - Atomic writes (FolderBackupTarget), sizes and CRC-32s in a manifest written last, and a
 *   restore that checks every file it reads and that seq ranges are contiguous: a torn or
 *   corrupt file is a HindsightError naming it, never a silently wrong database.
 * - Names carry zero-padded seqs (and a UTC stamp for fulls), sort as numbers do, and get a
 *   -2, -3 suffix instead of overwriting a listed file: no collisions, no year-2286 limit.
 * - Rotation keeps the last keepFull chains; files are deleted after the manifest is written.
 * - Failures are never silent: every one calls onBackupFailure(error, consecutiveFailures)
 *   (default: console.error) and explicit calls also reject; throttling counts attempts,
 *   not successes, so a failing target is not hammered on every change.
 * - notifyChange has no check-then-act gap (the throttle is set synchronously) and a change
 *   it throttles is backed up when the interval ends, not left until the next period.
 * - stop() is safe before start(), waits for a running backup, makes a final backup of what
 *   is not yet backed up, and the manager can be started again.
 * - Restore is an API with toSeq, and it picks the chain itself (no glob of "latest").
 */
import { Database } from './database.js';
import { HindsightError, ErrorCode } from './errors.js';
import { crc32 } from './crc32.js';
import { MemoryBackupTarget, DownloadBackupTarget } from './backup-targets.js';
import { folderBackupTarget } from './stores/registry.js';
import { HISTORY_CLASS } from './history-export.js';
import { REVERT_CLASS } from './database-core.js';

export { MemoryBackupTarget, DownloadBackupTarget };

export const MANIFEST_NAME = 'hindsight-manifest.json';
const MANIFEST_CLASS = 'HindsightBackupManifest';
const DELTA_CLASS = 'HindsightBackupDelta';
const SEQ_DIGITS = 12;
/* Files a sweep may delete when no manifest lists them: only names this module makes. */
const BACKUP_FILE = /^hindsight-(full|delta)-[0-9]+-[0-9A-Z]+(-[0-9]+)?\.json$/;
/* ErrorCode has no entry for damaged backups yet; the string code is stable either way. */
const CORRUPT = ErrorCode.CORRUPT ?? 'CORRUPT';

/* The defaults, as documented in the README. */
export const BACKUP_DEFAULTS = Object.freeze({
  intervalMs: 5 * 60_000,      // a periodic backup every 5 minutes after start()
  minIntervalMs: 5_000,        // notifyChange backs up at most once per 5 s (trailing edge)
  incremental: true,           // deltas between fulls: they are exact and small
  maxDeltasBeforeFull: 10,     // the 11th periodic backup of a chain is a full one
  keepFull: 3,                 // chains (a full and its deltas) kept on the target
  unrefTimers: true,           // in Node, timers do not keep the process alive
});

function invalid(message) { return new HindsightError(ErrorCode.INVALID_ARGUMENT, message); }
function corrupt(message, cause) { return new HindsightError(CORRUPT, message, cause ? { cause } : undefined); }
function noop() {}

const encoder = new TextEncoder();

function measure(text) {
  const bytes = encoder.encode(text);
  return { bytes: bytes.length, crc32: (crc32(bytes) >>> 0).toString(16).padStart(8, '0') };
}

const padSeq = (seq) => String(seq).padStart(SEQ_DIGITS, '0');
/* 2025-03-01T12:00:00.123Z -> 20250301T120000123Z */
const compactUtc = (ms) => new Date(ms).toISOString().replace(/[-:.]/g, '');
const isSeq = (v) => Number.isInteger(v) && v >= 0;
const commitKey = (c) => `${c.seq} ${c.time} ${JSON.stringify(c.query)}`;

function checkTarget(target) {
  if (typeof target === 'string') return folderBackupTarget(target);
  const missing = ['writeFile', 'readFile', 'list', 'remove'].filter((m) => typeof target?.[m] !== 'function');
  if (missing.length) throw invalid(`a backup target needs writeFile, readFile, list and remove; missing: ${missing.join(', ')}`);
  return target;
}

/* The manifest's entries, each checked, or CORRUPT naming the manifest. */
function parseManifest(text) {
  let manifest;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw corrupt(`backup manifest ${MANIFEST_NAME} is not valid JSON: ${error.message}`, error);
  }
  if (manifest?.className !== MANIFEST_CLASS || !Array.isArray(manifest.files)) {
    throw corrupt(`backup manifest ${MANIFEST_NAME} is not a ${MANIFEST_CLASS}`);
  }
  for (const f of manifest.files) {
    const ok = f && typeof f.name === 'string' && (f.kind === 'full' || f.kind === 'delta') && isSeq(f.fromSeq)
      && isSeq(f.toSeq) && f.fromSeq <= f.toSeq && isSeq(f.bytes) && /^[0-9a-f]{8}$/.test(f.crc32) && typeof f.chain === 'string';
    if (!ok) throw corrupt(`backup manifest ${MANIFEST_NAME} has a malformed entry: ${JSON.stringify(f)}`);
  }
  return manifest.files;
}

function manifestText(files, nowMs) {
  return JSON.stringify({ className: MANIFEST_CLASS, version: '1', written: new Date(nowMs).toISOString(), files }, null, 1);
}

/* The last keepFull chains, in manifest order. */
function rotate(files, keepFull) {
  const fulls = files.filter((f) => f.kind === 'full').slice(-keepFull).map((f) => f.name);
  const kept = new Set(fulls);
  return files.filter((f) => kept.has(f.chain));
}

export class BackupManager {
  #db;
  #options;
  #target;
  #ready = null;            // the promise that loads the manifest once
  #files = [];              // the manifest's entries as last written
  #chain = null;            // { name, fromSeq } of the full that deltas extend, or null
  #lastSeq = null;          // the last seq the current chain holds
  #lastKey = null;          // that commit's seq, time and query, to notice a rewritten history
  #deltasSinceFull = 0;
  #consecutiveFailures = 0;
  #needsSweep = false;      // a write failed: unlisted files may be left on the target
  #tail = Promise.resolve();
  #started = false;
  #stopped = false;
  #periodicTimer = null;
  #trailingTimer = null;
  #lastTriggerAt = -Infinity;

  /* options: { target, intervalMs, minIntervalMs, incremental, maxDeltasBeforeFull, keepFull,
     onBackupFailure(error, consecutiveFailures), setTimeout, clearTimeout, now, unrefTimers }.
     target: a backup target object, or a folder path (Node). Defaults: BACKUP_DEFAULTS. */
  constructor(db, options = {}) {
    if (typeof db?.exportHistory !== 'function' || typeof db?.commits !== 'function') throw invalid('BackupManager needs a Database');
    if (options === null || typeof options !== 'object') throw invalid('BackupManager options must be an object');
    const o = { ...BACKUP_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    if (!(Number.isFinite(o.intervalMs) && o.intervalMs > 0)) throw invalid('intervalMs must be a positive number of milliseconds');
    if (!(Number.isFinite(o.minIntervalMs) && o.minIntervalMs >= 0)) throw invalid('minIntervalMs must be a non-negative number of milliseconds');
    if (!(Number.isInteger(o.maxDeltasBeforeFull) && o.maxDeltasBeforeFull >= 0)) throw invalid('maxDeltasBeforeFull must be a non-negative integer');
    if (!(Number.isInteger(o.keepFull) && o.keepFull >= 1)) throw invalid('keepFull must be an integer >= 1');
    for (const name of ['onBackupFailure', 'setTimeout', 'clearTimeout', 'now']) {
      if (o[name] !== undefined && typeof o[name] !== 'function') throw invalid(`${name} must be a function`);
    }
    this.#target = checkTarget(o.target);
    this.#db = db;
    this.#options = {
      ...o,
      incremental: Boolean(o.incremental),
      setTimeout: o.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms)),
      clearTimeout: o.clearTimeout ?? ((handle) => globalThis.clearTimeout(handle)),
      now: o.now ?? Date.now,
      onBackupFailure: o.onBackupFailure ?? ((error, n) => console.error(`hindsight backup failed (${n} consecutive):`, error)),
    };
  }

  get consecutiveFailures() { return this.#consecutiveFailures; }
  get deltasSinceFull() { return this.#deltasSinceFull; }
  get target() { return this.#target; }

  /* A delta, or a full one when incremental is off, no chain exists yet, or the chain has
     maxDeltasBeforeFull deltas. Resolves to the manifest entry written, or null when nothing
     changed since the last backup; rejects (after onBackupFailure) when the backup fails. */
  backupNow() { return this.#enqueue('auto'); }

  /* A full backup, always (a new chain). */
  backupFull() { return this.#enqueue('full'); }

  /* A delta; a full one instead when there is no chain yet, or when the commits since the
     chain's last file cannot be replayed from it (retention dropped some, or a revert reaches
     before its base). Null when nothing changed. */
  backupDelta() { return this.#enqueue('delta'); }

  /* Tells the manager the database changed: backs up now, or, within minIntervalMs of the
     previous backup, once when that interval ends. Ignored after stop() until start(). */
  notifyChange() {
    if (this.#stopped) return;
    const wait = this.#lastTriggerAt + this.#options.minIntervalMs - this.#options.now();
    if (wait <= 0) {
      this.#clearTrailing();
      this.#enqueue('auto').catch(noop);
    } else if (this.#trailingTimer === null) {
      this.#trailingTimer = this.#setTimer(() => {
        this.#trailingTimer = null;
        if (!this.#stopped) this.#enqueue('auto').catch(noop);
      }, wait);
    }
  }

  /* Backs up every intervalMs (the first one intervalMs after start). Idempotent. */
  start() {
    this.#stopped = false;
    if (this.#started) return;
    this.#started = true;
    this.#schedulePeriodic();
  }

  /* Cancels the timers, waits for a running backup, then (unless finalBackup is false)
     backs up what is not backed up yet. Safe before start(); start() works again after. */
  async stop({ finalBackup = true } = {}) {
    this.#started = false;
    this.#stopped = true;
    if (this.#periodicTimer !== null) this.#options.clearTimeout(this.#periodicTimer);
    this.#periodicTimer = null;
    this.#clearTrailing();
    await this.idle();
    if (!finalBackup || this.#db.closed) return null;
    return this.#enqueue('auto');
  }

  /* Resolves when no backup is running or queued. */
  async idle() {
    let tail;
    do {
      tail = this.#tail;
      await tail;
    } while (tail !== this.#tail);
  }

  #setTimer(fn, ms) {
    const handle = this.#options.setTimeout(fn, ms);
    if (this.#options.unrefTimers) handle?.unref?.();
    return handle;
  }

  #clearTrailing() {
    if (this.#trailingTimer !== null) this.#options.clearTimeout(this.#trailingTimer);
    this.#trailingTimer = null;
  }

  /* The next tick is scheduled when this one's backup ends, so ticks never pile up. */
  #schedulePeriodic() {
    this.#periodicTimer = this.#setTimer(() => {
      this.#periodicTimer = null;
      this.#enqueue('auto').catch(noop).finally(() => {
        if (this.#started && this.#periodicTimer === null) this.#schedulePeriodic();
      });
    }, this.#options.intervalMs);
  }

  /* Backups run one after another: each waits for the previous one to settle. */
  #enqueue(kind) {
    this.#lastTriggerAt = this.#options.now();
    const run = this.#tail.then(() => this.#attempt(kind));
    this.#tail = run.then(noop, noop);
    return run;
  }

  async #attempt(kind) {
    try {
      const entry = await this.#backup(kind);
      if (entry) this.#consecutiveFailures = 0;
      return entry;
    } catch (error) {
      const n = ++this.#consecutiveFailures;
      this.#needsSweep = true;
      try {
        this.#options.onBackupFailure(error, n);
      } catch (callbackError) {
        console.error('hindsight onBackupFailure threw:', callbackError);
      }
      throw error;
    }
  }

  #loadManifest() {
    if (!this.#ready) {
      this.#ready = (async () => {
        const text = await this.#target.readFile(MANIFEST_NAME);
        this.#files = text === null || text === undefined ? [] : parseManifest(text);
      })();
      this.#ready.catch(() => { this.#ready = null; });   // retried by the next backup
    }
    return this.#ready;
  }

  async #backup(kind) {
    await this.#loadManifest();
    const seq = this.#db.seq;   // throws CLOSED on a closed database
    const chainUsable = this.#chain !== null && this.#lastSeq <= seq;
    if (kind !== 'full' && chainUsable && seq === this.#lastSeq) return null;
    const o = this.#options;
    const full = kind === 'full' || !chainUsable
      || (kind === 'auto' && (!o.incremental || this.#deltasSinceFull >= o.maxDeltasBeforeFull));
    // Capture is synchronous: what is written is the state at one seq, whatever happens
    // to the database while the writes below are awaited.
    const file = (full ? null : this.#captureDelta(seq)) ?? this.#captureFull();
    return this.#write(file);
  }

  #captureDelta(seq) {
    // A page that rebases its commits under another page's (multi-page sharing) renumbers
    // them: if the chain's last commit is no longer what was backed up, start a new chain.
    const [last] = this.#db.commits({ from: this.#lastSeq, to: this.#lastSeq });
    if (last && this.#lastKey !== null && commitKey(last) !== this.#lastKey) return null;
    const fromSeq = this.#lastSeq + 1;
    const commits = this.#db.commits({ from: fromSeq, to: seq });
    if (commits.length !== seq - this.#lastSeq || commits[0].seq !== fromSeq) return null;
    const base = this.#chain.fromSeq;
    if (commits.some((c) => c.query?.className === REVERT_CLASS && c.query.toSeq < base && !c.query.state)) return null;
    const chain = this.#chain.name;
    const body = { className: DELTA_CLASS, version: '1', chain, fromSeq, toSeq: seq, commits };
    const name = this.#freeName(`hindsight-delta-${padSeq(fromSeq)}-${padSeq(seq)}`);
    return { kind: 'delta', name, fromSeq, toSeq: seq, chain, lastKey: commitKey(commits[commits.length - 1]), text: JSON.stringify(body) };
  }

  #captureFull() {
    const history = this.#db.exportHistory();
    const fromSeq = history.base.seq;
    const last = history.commits.length ? history.commits[history.commits.length - 1] : null;
    const toSeq = last ? last.seq : fromSeq;
    const name = this.#freeName(`hindsight-full-${padSeq(toSeq)}-${compactUtc(this.#options.now())}`);
    return { kind: 'full', name, fromSeq, toSeq, chain: name, lastKey: last ? commitKey(last) : null, text: JSON.stringify(history) };
  }

  /* stem.json, or stem-2.json, -3 ... when the manifest already lists that name. */
  #freeName(stem) {
    const taken = new Set(this.#files.map((f) => f.name));
    let name = `${stem}.json`;
    for (let n = 2; taken.has(name); n++) name = `${stem}-${n}.json`;
    return name;
  }

  async #write(file) {
    const { bytes, crc32: crc } = measure(file.text);
    await this.#target.writeFile(file.name, file.text);
    const entry = {
      name: file.name, kind: file.kind, fromSeq: file.fromSeq, toSeq: file.toSeq, bytes, crc32: crc,
      chain: file.chain, time: new Date(this.#options.now()).toISOString(),
    };
    const files = [...this.#files, entry];
    const kept = file.kind === 'full' ? rotate(files, this.#options.keepFull) : files;
    await this.#target.writeFile(MANIFEST_NAME, manifestText(kept, this.#options.now()));
    // The manifest on the target now lists the new file: only now does the chain move.
    this.#files = kept;
    if (file.kind === 'full') {
      this.#chain = { name: file.name, fromSeq: file.fromSeq };
      this.#deltasSinceFull = 0;
    } else {
      this.#deltasSinceFull++;
    }
    this.#lastSeq = file.toSeq;
    this.#lastKey = file.lastKey;
    if (file.kind === 'full' || this.#needsSweep) await this.#sweep(kept);
    return { ...entry };
  }

  /* Deletes backup files the manifest no longer lists: rotated chains, and files left by
     failed attempts. A failed delete is retried by the next sweep; restore never reads
     an unlisted file, so it is only disk space meanwhile. */
  async #sweep(kept) {
    this.#needsSweep = false;
    const listed = new Set(kept.map((f) => f.name));
    let names;
    try {
      names = await this.#target.list();
    } catch {
      this.#needsSweep = true;
      return;
    }
    for (const name of names) {
      if (!BACKUP_FILE.test(name) || listed.has(name)) continue;
      try {
        await this.#target.remove(name);
      } catch {
        this.#needsSweep = true;
      }
    }
  }
}

/* Reads a listed file and checks it against its manifest entry and its own shape. */
async function readChecked(target, entry, checkBody) {
  let text;
  try {
    text = await target.readFile(entry.name);
  } catch (error) {
    throw corrupt(`backup file ${entry.name} cannot be read: ${error?.message ?? error}`, error);
  }
  if (text === null || text === undefined) throw corrupt(`backup file ${entry.name} is listed in the manifest but missing`);
  const { bytes, crc32: crc } = measure(String(text));
  if (bytes !== entry.bytes || crc !== entry.crc32) {
    throw corrupt(`backup file ${entry.name} is corrupt: ${bytes} bytes with CRC-32 ${crc}, the manifest says ${entry.bytes} bytes with CRC-32 ${entry.crc32}`);
  }
  let body;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw corrupt(`backup file ${entry.name} is not valid JSON: ${error.message}`, error);
  }
  const problem = checkBody(body, entry);
  if (problem) throw corrupt(`backup file ${entry.name} ${problem}`);
  return body;
}

/* The commits must be exactly first..last, in order. */
function denseProblem(commits, first, last) {
  if (!Array.isArray(commits)) return 'has no commits array';
  if (commits.length !== last - first + 1) return `holds ${commits.length} commits where seqs ${first}..${last} need ${last - first + 1}`;
  const i = commits.findIndex((c, k) => c?.seq !== first + k);
  return i < 0 ? null : `has commit ${commits[i]?.seq} where seq ${first + i} belongs`;
}

function fullProblem(body, entry) {
  if (body?.className !== HISTORY_CLASS || !body.base) return `is not a ${HISTORY_CLASS}`;
  if (body.base.seq !== entry.fromSeq) return `has base seq ${body.base.seq}, the manifest says ${entry.fromSeq}`;
  return denseProblem(body.commits, entry.fromSeq + 1, entry.toSeq);
}

function deltaProblem(body, entry) {
  if (body?.className !== DELTA_CLASS) return `is not a ${DELTA_CLASS}`;
  if (body.fromSeq !== entry.fromSeq || body.toSeq !== entry.toSeq || body.chain !== entry.chain) {
    return `says seqs ${body.fromSeq}..${body.toSeq} of ${body.chain}, the manifest says ${entry.fromSeq}..${entry.toSeq} of ${entry.chain}`;
  }
  return denseProblem(body.commits, entry.fromSeq, entry.toSeq);
}

/* Rebuilds a Database from a backup target (or a folder path in Node): the newest full
   backup whose base is at or before toSeq, then its deltas in seq order, each checked
   against the manifest's size and CRC-32 and for contiguous seqs. options.toSeq stops the
   replay there (default: the last backed-up commit); other options go to Database.open
   (wasm, clock, ...). Errors: CORRUPT (a damaged, missing or out-of-order file, named),
   TOO_OLD (toSeq before every full backup's base), INVALID_ARGUMENT (no manifest, toSeq
   after the last backed-up commit). */
export async function restoreBackup(source, options = {}) {
  if (options === null || typeof options !== 'object') throw invalid('restoreBackup options must be an object');
  const { toSeq, ...databaseOptions } = options;
  if (toSeq !== undefined && !isSeq(toSeq)) throw invalid(`toSeq must be a non-negative integer, got ${toSeq}`);
  const target = typeof source === 'string' ? folderBackupTarget(source) : source;
  if (typeof target?.readFile !== 'function') throw invalid('restoreBackup needs a backup target (an object with readFile) or a folder path');

  const manifest = await target.readFile(MANIFEST_NAME);
  if (manifest === null || manifest === undefined) throw invalid(`no backup here: ${MANIFEST_NAME} is missing`);
  const files = parseManifest(String(manifest));
  const fulls = files.filter((f) => f.kind === 'full');
  if (!fulls.length) throw corrupt(`backup manifest ${MANIFEST_NAME} lists no full backup`);
  const full = toSeq === undefined ? fulls[fulls.length - 1] : fulls.findLast((f) => f.fromSeq <= toSeq);
  if (!full) {
    const oldest = Math.min(...fulls.map((f) => f.fromSeq));
    throw new HindsightError(ErrorCode.TOO_OLD, `toSeq ${toSeq} is before the base of every full backup (the oldest is seq ${oldest})`);
  }

  const history = await readChecked(target, full, fullProblem);
  const commits = history.commits;
  const stopAt = toSeq ?? Infinity;
  let end = full.toSeq, previous = full.name;
  const deltas = files.filter((f) => f.kind === 'delta' && f.chain === full.name).sort((a, b) => a.fromSeq - b.fromSeq);
  for (const delta of deltas) {
    if (end >= stopAt) break;
    if (delta.fromSeq !== end + 1) {
      throw corrupt(`backup chain of ${full.name} is broken: ${previous} ends at seq ${end} but the next file, ${delta.name}, starts at seq ${delta.fromSeq}`
        + (delta.fromSeq > end + 1 ? ` (commits ${end + 1}..${delta.fromSeq - 1} are missing)` : ' (overlapping files)'));
    }
    const body = await readChecked(target, delta, deltaProblem);
    for (const c of body.commits) commits.push(c);
    end = delta.toSeq;
    previous = delta.name;
  }
  if (toSeq !== undefined && toSeq > end) throw invalid(`toSeq ${toSeq} is after the last backed-up commit (seq ${end}, in ${previous})`);

  const kept = toSeq === undefined ? commits : commits.filter((c) => c.seq <= toSeq);
  try {
    return await Database.importHistory({ className: HISTORY_CLASS, version: history.version ?? '1', base: history.base, commits: kept }, databaseOptions);
  } catch (error) {
    throw new HindsightError(error?.code ?? ErrorCode.INTERNAL, `restoreBackup: replaying ${full.name} and its deltas failed: ${error?.message ?? error}`, { cause: error });
  }
}
