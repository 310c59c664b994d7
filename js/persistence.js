/*
 * persistence.js: keeps a database durable in its store (js/stores/store.js): the commit
 * log first, snapshots for fast opening.
 *
 * Owns: the records not yet written, the flush waiters, retries, when to snapshot, and,
 * when several pages share one store, the turn-taking between them.
 * Invariants: records reach the store in seq order, each exactly once, in batches (one
 * store.append per batch); durableSeq only grows, and every commit <= durableSeq is in the
 * store; a failed write keeps its records and is retried (never after close()), with the error
 * delivered to onError and to the flush() promises waiting on it (QUOTA for a full disk or quota); the
 * in-memory database is never rolled back because a write failed.
 * Snapshots: the records a snapshot holds are appended before it is written (the store keeps
 * the log from its previous snapshot on, so a damaged newest snapshot never costs a commit),
 * and the store keeps it only after verifySnapshot accepts it and it read back as written.
 * Snapshots go to stores that declare takesSnapshotBytes as UTF-8 bytes (never decoded),
 * to other stores as text.
 * Sharing (many tabs, one history): one writer at a time holds a lock (Web Locks); before
 * writing it reads what other writers added since its durableSeq and, if anything, has the
 * database rebase its own not-yet-written commits on top through shared.rebase (js/rebase.js;
 * given their records; they get new seqs and keep their ids); after writing
 * it announces the new seq (BroadcastChannel) so the others catch up from the store.
 */
import { HindsightError, ErrorCode } from './errors.js';

const SNAPSHOT_MAGIC = 'HSNAP1';
const textDecoder = new TextDecoder();
const MAX_RETRY_MS = 30_000;

/* A snapshot is the engine's dump plus the JS-side metadata, framed so that opening parses
   the metadata without parsing the (large) dump twice: "HSNAP1 <meta length>\n<meta><dump>".
   The meta is written as ASCII (\u escapes), so its length counts characters and bytes alike
   and the framing reads the same in a text and in its UTF-8 bytes. */
function metaAscii(meta) {
  return JSON.stringify(meta).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function encodeSnapshot(meta, dumpText) {
  return `${snapshotHeader(meta)}${dumpText}`;
}

/* Everything before the dump, as text; its UTF-8 bytes are its characters (ASCII). */
export function snapshotHeader(meta) {
  const metaText = metaAscii(meta);
  return `${SNAPSHOT_MAGIC} ${metaText.length}\n${metaText}`;
}

function notASnapshot() {
  return new HindsightError(ErrorCode.INVALID_ARGUMENT, 'the stored snapshot is not a Hindsight snapshot');
}

export function decodeSnapshot(text) {
  const nl = text.indexOf('\n');
  const head = nl > 0 ? text.slice(0, nl).split(' ') : [];
  const length = Number(head[1]);
  if (head[0] !== SNAPSHOT_MAGIC || !Number.isInteger(length) || nl + 1 + length > text.length) throw notASnapshot();
  return { meta: JSON.parse(text.slice(nl + 1, nl + 1 + length)), dumpText: text.slice(nl + 1 + length) };
}

const HEADER_SCAN = 40;   // "HSNAP1 " and a length fit well within this
const asciiDecoder = new TextDecoder();

/* decodeSnapshot for the snapshot's UTF-8 bytes: { meta, dumpBytes } (a view, not a copy), or
   null when its meta is not ASCII (written as text by an earlier version: decode it as text). */
export function decodeSnapshotBytes(bytes) {
  let nl = -1;
  for (let i = 0; i < Math.min(bytes.length, HEADER_SCAN); i++) if (bytes[i] === 10) { nl = i; break; }
  const head = nl > 0 ? asciiDecoder.decode(bytes.subarray(0, nl)).split(' ') : [];
  const length = Number(head[1]);
  if (head[0] !== SNAPSHOT_MAGIC || !Number.isInteger(length) || length < 0 || nl + 1 + length > bytes.length) throw notASnapshot();
  const metaBytes = bytes.subarray(nl + 1, nl + 1 + length);
  for (let i = 0; i < metaBytes.length; i++) if (metaBytes[i] > 0x7f) return null;
  return { meta: JSON.parse(asciiDecoder.decode(metaBytes)), dumpBytes: bytes.subarray(nl + 1 + length) };
}

/* A QuotaExceededError, however the runtime wraps it, becomes HindsightError QUOTA. */
export function toStoreError(error) {
  if (error instanceof HindsightError) return error;
  const inner = error?.target?.error ?? error?.cause ?? error?.inner;
  const names = [error?.name, inner?.name, error?.code];
  if (names.some((n) => n === 'QuotaExceededError' || n === 'NS_ERROR_DOM_QUOTA_REACHED' || n === 'ENOSPC' || n === 'EDQUOT')) {
    return new HindsightError(ErrorCode.QUOTA, `storage is full: ${error?.message ?? error}`, { cause: error });
  }
  return new HindsightError(ErrorCode.INTERNAL, `storage write failed: ${error?.message ?? error}`, { cause: error });
}

export class Persistence {
  #store;
  #pending = [];          // { seq, text } not yet written
  #waiters = [];          // { seq, resolve, reject }
  #writing = null;        // the promise of the write in progress
  #retryTimer = null;
  #failures = 0;
  #sinceSnapshot = { commits: 0, bytes: 0 };
  #takeSnapshot;          // () => { seq, bytes } (UTF-8) or { seq, text }
  #onError;
  #shared;                // { locks, lockName, channel, rebase } or null
  #needSync = false;
  #again = false;         // more work arrived while a drain was running
  #closed = false;        // no retry is planned after close
  #lastSnapshotBytes = 0;
  #verifySnapshot;        // (textOrBytes) => void, throws when a snapshot would not load; or undefined

  constructor(store, { durableSeq, snapshotEvery = 1000, snapshotBytes = 8 << 20, onError, takeSnapshot, verifySnapshot, shared = null, replayed = { commits: 0, bytes: 0 } }) {
    this.#store = store;
    this.#verifySnapshot = verifySnapshot;
    // The log records replayed at open count toward the next snapshot, so processes that
    // never live long enough to reach snapshotEvery still keep the log short.
    this.#sinceSnapshot = { ...replayed };
    this.#shared = shared;
    if (shared?.channel) {
      shared.channel.onmessage = (event) => {
        // Another page committed: catch up from the store (and rebase our pending commits).
        if (event?.data?.type === 'commit' && event.data.seq > this.durableSeq) this.sync();
      };
    }
    this.durableSeq = durableSeq;
    this.snapshotEvery = snapshotEvery;
    this.snapshotBytes = snapshotBytes;
    this.#onError = onError;
    this.#takeSnapshot = takeSnapshot;
    this.lastError = null;
  }

  get store() { return this.#store; }

  /* A commit happened: its record goes out with the next batch. */
  committed(seq, text) {
    this.#pending.push({ seq, text });
    this.#sinceSnapshot.commits++;
    this.#sinceSnapshot.bytes += text.length;
    this.#schedule(0);
  }

  /* Resolves once every commit <= seq is in the store. */
  flush(seq) {
    if (this.durableSeq >= seq) return Promise.resolve(this.durableSeq);
    const promise = new Promise((resolve, reject) => this.#waiters.push({ seq, resolve, reject }));
    this.#kick();
    return promise;
  }

  /* Soon (after the current tick, so that a burst of commits goes out as one batch). */
  #schedule(delayMs) {
    if (this.#writing) { this.#again = true; return; }
    if (this.#retryTimer) return;   // a retry is already planned (after a failure: with backoff)
    this.#retryTimer = setTimeout(() => { this.#retryTimer = null; this.#kick(); }, delayMs);
  }

  #kick() {
    if (this.#writing) { this.#again = true; return this.#writing; }
    if (this.#retryTimer) { clearTimeout(this.#retryTimer); this.#retryTimer = null; }
    this.#writing = this.#run().finally(() => { this.#writing = null; });
    return this.#writing;
  }

  /* Drains until nothing is pending; after a failure, plans a retry with backoff. */
  async #run() {
    let ok;
    do {
      this.#again = false;
      ok = await this.#drain();
    } while (ok && (this.#again || this.#pending.length || this.#needSync));
    if (!ok && !this.#closed) {
      const delay = Math.min(MAX_RETRY_MS, 100 * 2 ** Math.min(this.#failures, 9));
      this.#retryTimer = setTimeout(() => { this.#retryTimer = null; this.#kick(); }, delay);
    }
  }

  /* Brings in what other pages wrote (a no-op without sharing). */
  sync() {
    if (!this.#shared) return Promise.resolve();
    this.#needSync = true;
    return this.#kick();
  }

  #withTurn(fn) {
    const s = this.#shared;
    return s ? s.locks.request(s.lockName, fn) : fn();
  }

  /* Under the lock: read the records other pages wrote after ours and rebase onto them. */
  async #catchUp() {
    if (!this.#shared || !this.#store.readSince) return;
    this.#needSync = false;
    const got = await this.#store.readSince(this.durableSeq);
    if (!got.snapshot && !got.records.length) return;
    const { pending, seq } = this.#shared.rebase(got, this.durableSeq, this.#pending);
    this.#pending = pending;
    this.#durable(seq);
  }

  async #drain() {
    while (this.#pending.length || this.#needSync) {
      let failure = null, wrote = 0;
      await this.#withTurn(async () => {
        try {
          await this.#catchUp();
        } catch (raw) {
          failure = toStoreError(raw);
          return;
        }
        const batch = this.#pending.splice(0);
        if (!batch.length) return;
        try {
          await this.#store.append(batch);
        } catch (raw) {
          this.#pending.unshift(...batch);   // nothing is lost: the batch is written again later
          failure = toStoreError(raw);
          return;
        }
        wrote = batch[batch.length - 1].seq;
        this.#durable(wrote);
        if (this.#snapshotDue()) {
          await this.#writeSnapshot().catch(() => {});   // reported; the log still holds everything
        }
      });
      if (failure) { this.#failed(failure); return false; }
      this.#failures = 0;
      this.lastError = null;
      if (wrote) this.#shared?.channel?.postMessage({ type: 'commit', seq: wrote });
    }
    return true;
  }

  #durable(seq) {
    if (seq > this.durableSeq) this.durableSeq = seq;
    const ready = this.#waiters.filter((w) => w.seq <= this.durableSeq);
    this.#waiters = this.#waiters.filter((w) => w.seq > this.durableSeq);
    for (const w of ready) w.resolve(this.durableSeq);
  }

  #failed(error) {
    this.lastError = error;
    this.#failures++;
    const waiters = this.#waiters.splice(0);
    for (const w of waiters) w.reject(error);
    this.#onError?.(error);
    // #run retries with backoff: when space returns, the records go out and nothing is lost.
  }

  /* A snapshot holds the whole kept history, so it grows with it: besides snapshotEvery /
     snapshotBytes, wait until the log written since the last one is at least half its size,
     which keeps the bytes spent on snapshots proportional to the bytes of the log. */
  #snapshotDue() {
    const since = this.#sinceSnapshot;
    return (since.commits >= this.snapshotEvery || since.bytes >= this.snapshotBytes) && since.bytes * 2 >= this.#lastSnapshotBytes;
  }

  /* Writes a snapshot of the current state now (taking the writer's turn when shared).
     replacesHistory: the state was replaced (fromDict), so the log before it cannot rebuild it
     and the store keeps nothing older. */
  async snapshot({ replacesHistory = false } = {}) {
    if (this.#writing) await this.#writing;
    return this.#withTurn(() => this.#writeSnapshot(replacesHistory));
  }

  /* The records go to the log before the snapshot that holds them, so the log always holds
     every commit after the store's previous snapshot: should the new snapshot ever be
     damaged or fail to load, the previous one plus the log still give them all. The store
     keeps a snapshot only once verifySnapshot accepts it and it read back as written. */
  async #writeSnapshot(replacesHistory = false) {
    try {
      if (this.#shared) await this.#catchUp();
      const batch = this.#pending.splice(0);
      if (batch.length) {
        try {
          await this.#store.append(batch);
        } catch (raw) {
          this.#pending.unshift(...batch);
          throw raw;
        }
        this.#durable(batch[batch.length - 1].seq);
      }
    } catch (raw) {
      const error = toStoreError(raw);
      this.lastError = error;
      this.#onError?.(error);
      throw error;
    }
    const { seq, bytes, text } = this.#takeSnapshot();
    const size = bytes ? bytes.length : text.length;
    const covered = { ...this.#sinceSnapshot };   // commits made while it is written count toward the next one
    try {
      // Stores that say so take the snapshot's UTF-8 bytes as they are; others get its text.
      const request = bytes && this.#store.takesSnapshotBytes === true ? { seq, bytes } : { seq, text: text ?? textDecoder.decode(bytes) };
      if (this.#verifySnapshot) request.verify = this.#verifySnapshot;
      if (replacesHistory) request.replacesHistory = true;
      await this.#store.writeSnapshot(request);
    } catch (raw) {
      const error = toStoreError(raw);
      this.lastError = error;
      this.#onError?.(error);
      // The next try comes after another snapshotEvery commits, not after every batch: a
      // snapshot that fails (a full disk, one the engine would not load) costs no commit.
      this.#sinceSnapshot = this.#since(covered);
      throw error;
    }
    this.#sinceSnapshot = this.#since(covered);
    this.#lastSnapshotBytes = size;
    this.#pending = this.#pending.filter((r) => r.seq > seq);   // none: they were appended first
    this.#durable(seq);
  }

  /* What was committed after the counts in `covered` were taken. */
  #since(covered) {
    return { commits: this.#sinceSnapshot.commits - covered.commits, bytes: this.#sinceSnapshot.bytes - covered.bytes };
  }

  async close() {
    // A write failing while it closes must not plan a retry that outlives it (it kept the
    // store busy, and a Node process alive, for ever).
    this.#closed = true;
    if (this.#retryTimer) { clearTimeout(this.#retryTimer); this.#retryTimer = null; }
    await this.#writing;   // a drain that fails from here on plans no retry (#closed)
    if (this.#shared?.channel) { this.#shared.channel.onmessage = null; this.#shared.channel.close(); }
    await this.#store.close();
  }
}
