/*
 * store.js: the storage interface every Hindsight store implements, and the memory store.
 *
 * A store keeps one database's commit log and its snapshots, as opaque UTF-8 texts the
 * Database gives it. The Database calls it from one JS thread and never overlaps calls
 * (each is awaited before the next). Persistence is log first: a commit is durable once its
 * record is appended; a snapshot only makes opening faster.
 *
 *   await store.open()
 *       -> { snapshot: { seq, text } | null, records: [{ seq, text }], warnings: [string] }
 *       The newest complete snapshot, then every intact record with seq > snapshot.seq, in
 *       seq order and dense (snapshot.seq + 1, + 2, ...). A torn or corrupt record, and
 *       everything after it, is dropped and reported in warnings: open never fails because
 *       of a bad tail. An empty store gives { snapshot: null, records: [], warnings: [] }.
 *   await store.append(records)       records: [{ seq, text }], seqs dense and increasing.
 *       Durable when the promise resolves; one batch is one write (one IndexedDB transaction,
 *       one append + fsync). A full disk or quota rejects with HindsightError code QUOTA and
 *       writes nothing of the batch (or a torn tail that the next open drops).
 *   await store.writeSnapshot({ seq, text })
 *       Complete and durable when it resolves; records with seq <= seq may be dropped after.
 *   await store.close()
 *   await store.readSince(seq)   (optional: needed to share one store between pages)
 *       -> { snapshot: { seq, text } | null, records: [{ seq, text }] }: the records with
 *       seq > seq; when the log no longer holds seq + 1 (another writer snapshotted past it),
 *       the newest snapshot too, and the records after it.
 * Optional: store.durability = 'strict' | 'relaxed' (IndexedDB), store.estimate(), store.persist().
 *
 * Each record and snapshot carries a checksum written by the store (crc32.js) and verified
 * when read; the texts themselves are the Database's business.
 */
import { HindsightError, ErrorCode } from '../errors.js';

const REQUIRED = ['open', 'append', 'writeSnapshot', 'close'];

/* Throws INVALID_ARGUMENT unless value looks like a store. */
export function checkStore(value) {
  const missing = REQUIRED.filter((m) => typeof value?.[m] !== 'function');
  if (missing.length) {
    throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `a storage object must implement ${REQUIRED.join(', ')}; missing: ${missing.join(', ')}`);
  }
  return value;
}

/* Keeps everything in this process: the default outside browsers, and the model the other
   stores are tested against. Copies texts so later changes by the caller cannot leak in. */
export class MemoryStore {
  #snapshot = null;
  #records = [];

  async open() {
    return { snapshot: this.#snapshot && { ...this.#snapshot }, records: this.#records.map((r) => ({ ...r })), warnings: [] };
  }

  async append(records) {
    for (const r of records) this.#records.push({ seq: r.seq, text: String(r.text) });
  }

  async writeSnapshot({ seq, text }) {
    this.#snapshot = { seq, text: String(text) };
    this.#records = this.#records.filter((r) => r.seq > seq);
  }

  async readSince(seq) {
    const after = this.#records.filter((r) => r.seq > seq).map((r) => ({ ...r }));
    const gap = this.#snapshot && this.#snapshot.seq > seq && (after.length === 0 || after[0].seq !== seq + 1);
    return gap ? { snapshot: { ...this.#snapshot }, records: after.filter((r) => r.seq > this.#snapshot.seq) } : { snapshot: null, records: after };
  }

  async close() {}
}
