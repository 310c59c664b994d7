/*
 * indexeddb-store.js: IndexedDbStore, a browser's persistence for one Hindsight database
 * (the interface is js/stores/store.js; ARCHITECTURE.md §4).
 *
 * Owns the IndexedDB database `hindsight:<name>` and its three object stores:
 *   log        key last seq     -> { first, texts: [string], crc }  one appended batch: records
 *                                   first .. first + texts.length - 1 (= the key)
 *   snapshots  key seq          -> { bytes, crc } or { text, crc }  the whole database at seq
 *                                   (its UTF-8 bytes, as the Database gives them; text from
 *                                   earlier versions and from callers that pass text)
 *   meta       key 'manifest'   -> { format: 1, snapshotSeq }       names the current snapshot
 * A snapshot's crc is crc32 of its bytes (or text: the same value); a batch's is crc32 of
 * "first:count|" then "length:text" for each text (js/crc32.js), checked on every read. Open
 * reads only the batches after the snapshot it tries. One row per batch, not per record: Chromium
 * spends ~70 us on each put, which would cap commits at ~14,000/s; keying by the last seq lets
 * one range delete drop exactly the batches a snapshot covers.
 *
 * Must stay true:
 *   - one append is one readwrite transaction, and it resolves on `complete`, never before;
 *   - a snapshot is verified (the caller's verify(textOrBytes) loads it), written in a strict
 *     transaction, read back and compared, and only then named by the manifest, in one strict
 *     transaction that also deletes what is no longer needed: every snapshot but the new one
 *     and the previous current one, and the batches wholly covered by that previous one. So
 *     a snapshot damaged later is never the only copy: the previous one plus the log rebuild
 *     it (a snapshot that replaced the history, replacesHistory, deletes everything older);
 *   - open() reads everything first. It uses the newest intact snapshot (or the empty start)
 *     from which the log goes on without a gap to the newest seq that the manifest or any
 *     snapshot row says was durable; if none can, it rejects with CORRUPT and changes nothing.
 *     Otherwise it returns a dense, checked prefix (snapshot.seq + 1, + 2, ...) and deletes
 *     what follows a gap or a bad checksum later in the log, so later appends are never
 *     followed by stale records (reported as warnings), and points the manifest at the
 *     snapshot in use;
 *   - a full quota, however the browser names or wraps it, rejects with HindsightError QUOTA.
 */
import { HindsightError, ErrorCode } from '../js/errors.js';
import { crc32 } from '../js/crc32.js';

const DATABASE_PREFIX = 'hindsight:';
const LOG = 'log';
const SNAPSHOTS = 'snapshots';
const META = 'meta';
const OBJECT_STORES = [LOG, SNAPSHOTS, META];
const MANIFEST_KEY = 'manifest';
const FORMAT = 1;
const DURABILITIES = ['strict', 'relaxed'];

/* A storage failure that is not a full quota (a broken connection, a browser I/O error): the
   error list has no I/O code, so INTERNAL, as js/persistence.js uses; the browser's error is the cause. */
const STORAGE_FAILED = ErrorCode.INTERNAL;

/* How browsers name a full quota: the standard name, old WebKit's constant name, Firefox's
   internal names; DOMException code 22 is QUOTA_EXCEEDED_ERR, 1014 Firefox's quota code. */
const QUOTA_NAMES = new Set(['QuotaExceededError', 'QUOTA_EXCEEDED_ERR', 'NS_ERROR_DOM_QUOTA_REACHED',
  'NS_ERROR_DOM_QUOTA_EXCEEDED_ERR', 'NS_ERROR_FILE_NO_DEVICE_SPACE']);
const QUOTA_CODES = new Set([22, 1014]);
const QUOTA_MESSAGE = /quota|no space left|disk (is )?full|not enough (disk )?space/i;

/* True when error says the origin or the disk is full, directly or through its cause. */
export function isQuotaError(error, depth = 0) {
  if (!error || typeof error !== 'object' || depth > 3) return false;
  if (QUOTA_NAMES.has(error.name)) return true;
  if (QUOTA_CODES.has(error.code) && typeof error.name === 'string') return true;
  // Chrome and Safari have reported a full disk as an AbortError or UnknownError whose only hint is the text.
  if ((error.name === 'AbortError' || error.name === 'UnknownError') && QUOTA_MESSAGE.test(String(error.message))) return true;
  return isQuotaError(error.cause ?? error.inner, depth + 1);
}

/* Turns what IndexedDB reported (any of the candidates may be null) into one HindsightError. */
function failure(what, ...candidates) {
  const errors = candidates.filter(Boolean);
  const quota = errors.find((e) => isQuotaError(e));
  if (quota) return new HindsightError(ErrorCode.QUOTA, `${what}: the browser's storage quota is full (${quota.name}: ${quota.message})`, { cause: quota });
  const first = errors[0];
  if (first instanceof HindsightError) return first;
  const text = first ? `${first.name ?? 'Error'}: ${first.message ?? first}` : 'the transaction was aborted';
  return new HindsightError(STORAGE_FAILED, `${what} failed in IndexedDB: ${text}`, { cause: first });
}

function invalid(message) { return new HindsightError(ErrorCode.INVALID_ARGUMENT, message); }

function checkDurability(value) {
  if (!DURABILITIES.includes(value)) throw invalid(`durability must be 'strict' or 'relaxed', got ${JSON.stringify(value)}`);
  return value;
}

function isSeq(value) { return Number.isSafeInteger(value) && value >= 0; }

/* The checksum of a batch row: its first seq, its count, and each text framed by its length,
   so neither a shifted boundary nor a wrong key can pass. One string, one crc32 call. */
function batchChecksum(first, texts) {
  let framed = `${first}:${texts.length}|`;
  for (const text of texts) framed += `${text.length}:${text}`;
  return crc32(framed);   // encoded in chunks into a reused buffer (js/crc32.js), not copied whole
}

/* The texts of an intact batch row stored under key, or null. */
function intactBatch(key, row) {
  if (!row || !isSeq(row.first) || !Array.isArray(row.texts) || typeof row.crc !== 'number') return null;
  if (row.texts.length === 0 || row.first + row.texts.length - 1 !== key) return null;
  if (!row.texts.every((t) => typeof t === 'string')) return null;
  return batchChecksum(row.first, row.texts) === row.crc ? row.texts : null;
}

/* A request's result as a promise (a rejected request also aborts its transaction). */
function settled(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/* Resolves on complete; on abort rejects with the most telling error: the transaction's, the
   first failed request's (request errors bubble to the transaction), or the abort event's. */
function finished(tx) {
  return new Promise((resolve, reject) => {
    let firstRequestError = null;
    tx.addEventListener('error', (event) => { firstRequestError ??= event.target?.error ?? null; });
    tx.addEventListener('complete', () => resolve());
    tx.addEventListener('abort', (event) => {
      const errors = [tx.error, firstRequestError, event.target?.error];
      reject(errors.find((e) => isQuotaError(e)) ?? errors.find(Boolean) ?? null);
    });
  });
}

/* The content of an intact snapshot row, { bytes, crc } (UTF-8) or { text, crc }, or null. */
function intactSnapshot(row) {
  if (!row || typeof row.crc !== 'number') return null;
  const payload = row.bytes instanceof Uint8Array ? row.bytes : typeof row.text === 'string' ? row.text : null;
  return payload !== null && crc32(payload) === row.crc ? payload : null;
}

/* The snapshot of a row as open() and readSince() give it: { seq, bytes } or { seq, text }. */
function snapshotOf(seq, payload) {
  return typeof payload === 'string' ? { seq, text: payload } : { seq, bytes: payload };
}

/* True when a row read back holds exactly payload (a string, or bytes compared in 4-byte words). */
function holds(row, payload) {
  if (typeof payload === 'string') return row?.text === payload;
  const back = row?.bytes;
  if (!(back instanceof Uint8Array) || back.length !== payload.length) return false;
  const n = payload.length;
  let i = 0;
  if (back.byteOffset % 4 === 0 && payload.byteOffset % 4 === 0) {
    const a = new Int32Array(back.buffer, back.byteOffset, n >>> 2), b = new Int32Array(payload.buffer, payload.byteOffset, n >>> 2);
    for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
    i = a.length * 4;
  }
  for (; i < n; i++) if (back[i] !== payload[i]) return false;
  return true;
}

function validManifest(value) {
  return value && typeof value === 'object' && value.format === FORMAT && isSeq(value.snapshotSeq) ? value : null;
}

export class IndexedDbStore {
  #factory;
  #keyRange;
  #storage;
  #durability;
  #connection = null;     // the open IDBDatabase, or null until the next call needs it
  #connecting = null;     // the promise of the connection being opened
  #closed = false;

  /**
   * name: the Hindsight database's name; durability: 'strict' (flush to disk before complete)
   * or 'relaxed' (complete once the browser has the data; survives a tab or browser crash, not
   * always a power cut). indexedDB and IDBKeyRange default to the browser's (pass both from
   * fake-indexeddb in Node); storageManager defaults to navigator.storage.
   */
  constructor({ name, durability = 'relaxed', indexedDB = globalThis.indexedDB,
    IDBKeyRange = globalThis.IDBKeyRange, storageManager = globalThis.navigator?.storage } = {}) {
    if (typeof name !== 'string' || name === '') throw invalid('IndexedDbStore needs a non-empty string name');
    if (!indexedDB || typeof indexedDB.open !== 'function') throw invalid('IndexedDB is not available here; pass { indexedDB } or use another store');
    if (typeof IDBKeyRange?.lowerBound !== 'function') throw invalid('IDBKeyRange is not available; pass { IDBKeyRange } from the same implementation as indexedDB');
    this.name = name;
    this.databaseName = DATABASE_PREFIX + name;
    this.#factory = indexedDB;
    this.#keyRange = IDBKeyRange;
    this.#storage = storageManager ?? null;
    this.#durability = checkDurability(durability);
  }

  get durability() { return this.#durability; }
  set durability(value) { this.#durability = checkDurability(value); }

  /* True when this browser honours the durability option (Chrome 83+, Firefox 126+, Safari 15+). */
  static get durabilitySupported() {
    return typeof IDBTransaction === 'undefined' || 'durability' in IDBTransaction.prototype;
  }

  /* Deletes the IndexedDB database behind a Hindsight name (for tests and "forget me" buttons). */
  static deleteDatabase({ name, indexedDB = globalThis.indexedDB }) {
    return new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase(DATABASE_PREFIX + name);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(failure('deleteDatabase', request.error));
    });
  }

  /* ---- the connection ---- */

  #database() {
    if (this.#closed) return Promise.reject(new HindsightError(ErrorCode.CLOSED, `the IndexedDB store ${this.name} is closed`));
    if (this.#connection) return Promise.resolve(this.#connection);
    this.#connecting ??= this.#connect().then((db) => {
      if (this.#closed) { db.close(); throw new HindsightError(ErrorCode.CLOSED, `the IndexedDB store ${this.name} is closed`); }
      this.#connection = db;
      return db;
    }).finally(() => { this.#connecting = null; });
    return this.#connecting;
  }

  /* Opens at the current version (creating the database at version 1); if an object store is
     missing, for example after another program changed the database, upgrades to add it. */
  async #connect() {
    let db = await this.#openRequest();
    if (OBJECT_STORES.some((s) => !db.objectStoreNames.contains(s))) {
      const version = db.version + 1;
      db.close();
      db = await this.#openRequest(version);
    }
    // Another tab wants to upgrade or delete the database: step aside; reopen on the next call.
    db.onversionchange = () => { db.close(); this.#forget(db); };
    // The browser closed the connection (storage cleared, I/O error): reopen on the next call.
    db.onclose = () => this.#forget(db);
    return db;
  }

  #openRequest(version) {
    return new Promise((resolve, reject) => {
      let request;
      try {
        request = version === undefined ? this.#factory.open(this.databaseName) : this.#factory.open(this.databaseName, version);
      } catch (error) {
        reject(failure(`opening ${this.databaseName}`, error));
        return;
      }
      request.onupgradeneeded = () => {
        const db = request.result;
        for (const s of OBJECT_STORES) if (!db.objectStoreNames.contains(s)) db.createObjectStore(s);
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(failure(`opening ${this.databaseName}`, request.error));
      // onblocked: an older connection in another tab has not closed yet; its versionchange
      // handler closes it, and then this request proceeds.
    });
  }

  #forget(db) {
    if (this.#connection === db) this.#connection = null;
  }

  /* Starts a transaction and runs body(tx) in the same tick, while it is active. A connection
     that was closed under us (InvalidStateError) is reopened once. Returns { result, done }. */
  async #begin(what, names, mode, durability, body) {
    for (let attempt = 0; ; attempt++) {
      const db = await this.#database();
      let tx;
      try {
        tx = durability ? db.transaction(names, mode, { durability }) : db.transaction(names, mode);
      } catch (error) {
        this.#forget(db);
        if (error?.name !== 'InvalidStateError' || attempt > 0) throw failure(what, error);
        try { db.close(); } catch { /* already closing */ }
        continue;
      }
      const done = finished(tx).catch((error) => { throw failure(what, error); });
      let result;
      try {
        result = body(tx);
      } catch (error) {
        done.catch(() => {});
        try { tx.abort(); } catch { /* already finished */ }
        throw failure(what, error);
      }
      return { result, done };
    }
  }

  /* ---- the store interface ---- */

  async open() {
    const warnings = [];
    const range = this.#keyRange;
    const { result, done } = await this.#begin('open', OBJECT_STORES, 'readonly', null, (tx) => this.#read(tx, warnings));
    let found;
    try {
      [found] = await Promise.all([result, done]);
    } catch (error) {
      throw failure('open', error);
    }
    if (found.repair) await this.#repair(found.repair, warnings, range);
    return { snapshot: found.snapshot, records: found.records, warnings };
  }

  /* Reads, without changing anything, the newest intact snapshot from which the log goes on
     without a gap up to the newest seq any snapshot (or the manifest) says was durable, and
     the log after it; the empty start (seq 0) is the last candidate. Throws CORRUPT when none
     can: then nothing is repaired or deleted. */
  async #read(tx, warnings) {
    const snapshots = tx.objectStore(SNAPSHOTS);
    const log = tx.objectStore(LOG);
    const [manifestValue, snapshotKeys] = await Promise.all([settled(tx.objectStore(META).get(MANIFEST_KEY)), settled(snapshots.getAllKeys())]);
    const manifest = validManifest(manifestValue);
    if (manifestValue !== undefined && !manifest) warnings.push('the snapshot manifest is unreadable; using the newest intact snapshot');
    if (manifest && !snapshotKeys.includes(manifest.snapshotSeq)) warnings.push(`the snapshot at seq ${manifest.snapshotSeq} named by the manifest is missing`);
    const claimed = Math.max(manifest?.snapshotSeq ?? 0, ...snapshotKeys);

    // Each snapshot, newest first, then the empty start (null).
    for (const key of [...snapshotKeys].reverse().concat([null])) {
      let snapshot = null;
      if (key !== null) {
        const payload = intactSnapshot(await settled(snapshots.get(key)));
        if (payload === null) {
          warnings.push(`the snapshot at seq ${key} is corrupt (checksum mismatch); skipped`);
          continue;
        }
        snapshot = snapshotOf(key, payload);
      }
      const seq = key ?? 0;
      // Only the batches after this candidate: those before it are kept for an older snapshot.
      const after = key === null ? undefined : this.#keyRange.lowerBound(key, true);
      const [logKeys, rows] = await Promise.all([settled(log.getAllKeys(after)), settled(log.getAll(after))]);
      const found = this.#logAfter(seq, logKeys, rows);
      const reached = Math.max(seq, found.records.at(-1)?.seq ?? 0);
      const from = snapshot ? `the snapshot at seq ${seq}` : 'the start of the log';
      if (found.gapAtStart) {
        warnings.push(`from ${from}: the log goes on at seq ${found.gapAtStart}, so seqs ${seq + 1}..${found.gapAtStart - 1} are missing`);
        continue;
      }
      if (reached < claimed) {
        warnings.push(`${from} and the log after it reach seq ${reached}, but seq ${claimed} was durable`);
        continue;
      }
      if (!snapshot && reached === 0 && (manifestValue !== undefined || snapshotKeys.length)) {
        warnings.push('a snapshot existed, and there is no log to rebuild it from');
        continue;
      }
      warnings.push(...found.warnings);
      // Point the manifest at the snapshot in use, so the next snapshot keeps it as the previous one.
      const manifestSeq = (manifest?.snapshotSeq ?? null) === (snapshot?.seq ?? null) ? undefined : (snapshot?.seq ?? null);
      const repair = found.tailFrom !== null || manifestSeq !== undefined ? { tailFrom: found.tailFrom, manifestSeq } : null;
      return { snapshot, records: found.records, repair };
    }
    throw new HindsightError(ErrorCode.CORRUPT, `the IndexedDB database ${this.databaseName} cannot be opened without losing commits, so nothing in it was changed: ${warnings.join('; ')}`);
  }

  /* The dense, checked records after base from the log rows: { records, warnings, tailFrom,
     gapAtStart }. Batches ending at or before base are skipped (kept for an older snapshot). */
  #logAfter(base, logKeys, rows) {
    const records = [], warnings = [];
    let tailFrom = null, gapAtStart = null;
    for (let i = 0; i < logKeys.length; i++) {
      if (logKeys[i] <= base) continue;
      const next = base + 1 + records.length;
      const texts = intactBatch(logKeys[i], rows[i]);
      if (texts === null) {
        warnings.push(`the log batch ending at seq ${logKeys[i]} is torn or corrupt (checksum mismatch); records from seq ${next} on were dropped`);
        tailFrom = logKeys[i];
        break;
      }
      if (rows[i].first > next) {
        if (records.length === 0) { gapAtStart = rows[i].first; break; }
        warnings.push(`the log has a gap: seq ${next} is missing; records ${rows[i].first} to ${logKeys.at(-1)} were dropped`);
        tailFrom = logKeys[i];
        break;
      }
      // The first batch may start before base (base covered part of it).
      for (let k = next - rows[i].first; k < texts.length; k++) records.push({ seq: rows[i].first + k, text: texts[k] });
    }
    return { records, warnings, tailFrom, gapAtStart };
  }

  /* Deletes the log after a bad batch or a gap, so later appends are never followed by stale
     records, and points the manifest at the snapshot in use. A failure here is only a warning. */
  async #repair({ tailFrom, manifestSeq }, warnings, range) {
    try {
      const { done } = await this.#begin('repair', OBJECT_STORES, 'readwrite', 'strict', (tx) => {
        if (tailFrom !== null) tx.objectStore(LOG).delete(range.lowerBound(tailFrom));
        if (manifestSeq === null) tx.objectStore(META).delete(MANIFEST_KEY);
        else if (manifestSeq !== undefined) tx.objectStore(META).put({ format: FORMAT, snapshotSeq: manifestSeq }, MANIFEST_KEY);
      });
      await done;
    } catch (error) {
      warnings.push(`could not delete the unusable records: ${error.message}`);
    }
  }

  /* What other writers (pages sharing this database) stored after seq: the records after it,
     or, when the log no longer holds seq + 1 because a snapshot covered it, the newest
     snapshot and the records after that. Read-only: it stops at a gap or a bad checksum
     and leaves the repair to open(). */
  async readSince(seq) {
    if (!isSeq(seq)) throw invalid('readSince needs an integer seq');
    const { result, done } = await this.#begin('readSince', OBJECT_STORES, 'readonly', null, async (tx) => {
      const log = tx.objectStore(LOG);
      const after = this.#keyRange.lowerBound(seq, true);
      const [manifestValue, keys, rows] = await Promise.all([settled(tx.objectStore(META).get(MANIFEST_KEY)),
        settled(log.getAllKeys(after)), settled(log.getAll(after))]);
      const manifest = validManifest(manifestValue);
      const holdsNext = keys.length > 0 && rows[0]?.first <= seq + 1;
      let snapshot = null;
      if (manifest && manifest.snapshotSeq > seq && !holdsNext) {
        const payload = intactSnapshot(await settled(tx.objectStore(SNAPSHOTS).get(manifest.snapshotSeq)));
        if (payload === null) throw new HindsightError(ErrorCode.CORRUPT, `the snapshot at seq ${manifest.snapshotSeq} is missing or corrupt`);
        snapshot = snapshotOf(manifest.snapshotSeq, payload);
      }
      // the same dense, checked prefix open() reads; its warnings and repair points are unused here
      return { snapshot, records: this.#logAfter(snapshot ? snapshot.seq : seq, keys, rows).records };
    });
    try {
      const [found] = await Promise.all([result, done]);
      return found;
    } catch (error) {
      throw failure('readSince', error);
    }
  }

  async append(records) {
    if (!Array.isArray(records)) throw invalid('append needs an array of { seq, text } records');
    if (records.length === 0) return;
    const first = records[0]?.seq;
    const texts = records.map((r, i) => {
      if (!isSeq(r?.seq)) throw invalid(`append: record ${i} has no valid seq`);
      if (r.seq !== first + i) throw invalid(`append: seqs must be dense, ${records[i - 1].seq} is followed by ${r.seq}`);
      return String(r.text);
    });
    const row = { first, texts, crc: batchChecksum(first, texts) };
    const { done } = await this.#begin('append', [LOG], 'readwrite', this.#durability, (tx) => {
      tx.objectStore(LOG).put(row, first + texts.length - 1);
      tx.commit?.();   // no more requests: let the browser commit without waiting for a tick
    });
    await done;
  }

  /* The snapshot may come as text or as its UTF-8 bytes (kept as bytes: no transcoding). */
  get takesSnapshotBytes() { return true; }

  /* verify (optional): async (textOrBytes) => void, throws when the snapshot would not load.
     The snapshot is verified, written (strict), read back and compared with what was given,
     and only then named by the manifest; the same transaction deletes what the previous
     snapshot covers (with replacesHistory, everything older: the state was replaced and the
     log cannot rebuild it). */
  async writeSnapshot({ seq, text, bytes, verify, replacesHistory = false } = {}) {
    if (!isSeq(seq)) throw invalid('writeSnapshot needs an integer seq');
    if (verify !== undefined && typeof verify !== 'function') throw invalid('writeSnapshot: verify must be a function');
    if (bytes !== undefined && !(bytes instanceof Uint8Array)) throw invalid('writeSnapshot: bytes must be a Uint8Array');
    // A view of a larger buffer would store all of that buffer: keep exactly the snapshot.
    if (bytes && (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength)) bytes = bytes.slice();
    const payload = bytes ?? String(text);
    if (verify) {
      try {
        await verify(payload);
      } catch (error) {
        throw new HindsightError(ErrorCode.CORRUPT, `the snapshot at seq ${seq} would not load back (${error?.message ?? error}); it was not kept, and the log still holds every commit`, { cause: error });
      }
    }
    const crc = crc32(payload);
    const row = bytes ? { bytes, crc } : { text: payload, crc };
    const written = await this.#begin('writeSnapshot', [SNAPSHOTS, META], 'readwrite', 'strict', (tx) => {
      const request = tx.objectStore(META).get(MANIFEST_KEY);
      request.onsuccess = () => {
        // Never over the current snapshot: a same-seq rewrite goes in only once verified below.
        if (validManifest(request.result)?.snapshotSeq !== seq) tx.objectStore(SNAPSHOTS).put(row, seq);
      };
    });
    await written.done;
    const back = await this.#begin('verifying the snapshot', [SNAPSHOTS], 'readonly', null, (tx) => settled(tx.objectStore(SNAPSHOTS).get(seq)));
    const [stored] = await Promise.all([back.result, back.done]).catch((error) => { throw failure('verifying the snapshot', error); });
    const range = this.#keyRange;
    const named = await this.#begin('naming the snapshot', OBJECT_STORES, 'readwrite', 'strict', (tx) => {
      const request = tx.objectStore(META).get(MANIFEST_KEY);
      request.onsuccess = () => {
        const current = validManifest(request.result)?.snapshotSeq ?? null;
        if (current === seq) {
          tx.objectStore(SNAPSHOTS).put(row, seq);   // verified (above), replaces it in one step
        } else if (!holds(stored, payload)) {
          tx.objectStore(SNAPSHOTS).delete(seq);
          return;
        }
        // The current snapshot becomes the previous one, kept with the log after it; what the
        // previous one covered, and every other snapshot, goes.
        const previous = current !== null && current < seq && !replacesHistory ? current : null;
        const snapshotStore = tx.objectStore(SNAPSHOTS);
        if (replacesHistory) {
          // The state was replaced (fromDict): no older snapshot or log can stand in for it.
          tx.objectStore(LOG).delete(range.upperBound(seq));
          snapshotStore.delete(range.upperBound(seq, true));
        } else if (previous === null) {
          snapshotStore.delete(range.upperBound(seq, true));
        } else {
          tx.objectStore(LOG).delete(range.upperBound(previous));
          snapshotStore.delete(range.upperBound(previous, true));
          if (seq - previous > 1) snapshotStore.delete(range.bound(previous, seq, true, true));
        }
        snapshotStore.delete(range.lowerBound(seq, true));
        tx.objectStore(META).put({ format: FORMAT, snapshotSeq: seq }, MANIFEST_KEY);
      };
    });
    await named.done;
    if (seq !== (await this.#manifestSeq())) {
      throw new HindsightError(ErrorCode.CORRUPT, `the snapshot at seq ${seq} read back differently from what was written; it was not kept`);
    }
  }

  async #manifestSeq() {
    const { result, done } = await this.#begin('reading the manifest', [META], 'readonly', null, (tx) => settled(tx.objectStore(META).get(MANIFEST_KEY)));
    const [value] = await Promise.all([result, done]);
    return validManifest(value)?.snapshotSeq ?? null;
  }

  async close() {
    this.#closed = true;
    const db = this.#connection;
    this.#connection = null;
    db?.close();
  }

  /* navigator.storage.estimate(): { usage, quota, ... } in bytes, or null where unavailable. */
  async estimate() {
    if (typeof this.#storage?.estimate !== 'function') return null;
    return this.#storage.estimate();
  }

  /* Asks the browser not to evict this origin's data; true when granted, false if not or unavailable. */
  async persist() {
    if (typeof this.#storage?.persist !== 'function') return false;
    return Boolean(await this.#storage.persist());
  }
}
