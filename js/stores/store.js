/*
 * store.js: the storage interface every Hindsight store implements, and the memory store.
 *
 * A store keeps one database's commit log and its snapshots, as opaque UTF-8 texts the
 * Database gives it (a snapshot as its UTF-8 bytes to a store that declares
 * takesSnapshotBytes: true, which spares megabytes of decoding and encoding per snapshot). The Database calls it from one JS thread and never overlaps calls
 * (each is awaited before the next). Persistence is log first: a commit is durable once its
 * record is appended; a snapshot only makes opening faster.
 *
 *   await store.open()
 *       -> { snapshot: { seq, text } | { seq, bytes } | null, records: [{ seq, text }], warnings: [string] }
 *       The newest intact snapshot, then every intact record with seq > snapshot.seq, in
 *       seq order and dense (snapshot.seq + 1, + 2, ...). A torn or corrupt record, and
 *       everything after it, is dropped and reported in warnings: open never fails because
 *       of a bad tail. A damaged or missing snapshot falls back to an older snapshot (or the
 *       empty start) plus the log, when the log reaches every seq the damaged one held;
 *       otherwise open rejects with HindsightError CORRUPT and changes nothing stored. An
 *       empty store gives { snapshot: null, records: [], warnings: [] }. A store may hold its
 *       place exclusively until close() (FileStore: LOCKED for any other store).
 *   await store.append(records)       records: [{ seq, text }], seqs dense and increasing.
 *       Durable when the promise resolves; one batch is one write (one IndexedDB transaction,
 *       one append + fsync). A full disk or quota rejects with HindsightError code QUOTA and
 *       writes nothing of the batch (or a torn tail that the next open drops).
 *   await store.writeSnapshot({ seq, text | bytes, verify?, replacesHistory? })
 *       Complete and durable when it resolves. bytes (a Uint8Array of the UTF-8 text) comes
 *       only to a store whose takesSnapshotBytes is true; open and readSince may give it back
 *       as bytes or as text. verify(textOrBytes), when given, is called with what was given
 *       and throws if the snapshot would not load: then it rejects with CORRUPT and keeps
 *       nothing of it. A store keeps a snapshot only once verify accepted it and what it
 *       stored reads back equal to what was given.
 *       Persistent stores keep the previous snapshot and the records after it until a newer
 *       snapshot is kept, so that one damaged snapshot never costs a commit; with
 *       replacesHistory (a replaced state, from fromDict) older snapshots and records go.
 *   await store.close()
 *   await store.readSince(seq)   (optional: needed to share one store between pages)
 *       -> { snapshot: { seq, text } | { seq, bytes } | null, records: [{ seq, text }] }: the records with
 *       seq > seq; when the log no longer holds seq + 1 (another writer snapshotted past it),
 *       the newest snapshot too, and the records after it.
 * Optional: store.takesSnapshotBytes (true: snapshots may come as bytes), store.durability =
 * 'strict' | 'relaxed' (IndexedDB), store.estimate(), store.persist().
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

  async writeSnapshot({ seq, text, verify }) {
    text = String(text);
    if (verify) {
      try {
        await verify(text);
      } catch (error) {
        throw new HindsightError(ErrorCode.CORRUPT, `the snapshot at seq ${seq} would not load back (${error?.message ?? error}); it was not kept`, { cause: error });
      }
    }
    this.#snapshot = { seq, text };
    this.#records = this.#records.filter((r) => r.seq > seq);
  }

  async readSince(seq) {
    const after = this.#records.filter((r) => r.seq > seq).map((r) => ({ ...r }));
    const gap = this.#snapshot && this.#snapshot.seq > seq && (after.length === 0 || after[0].seq !== seq + 1);
    return gap ? { snapshot: { ...this.#snapshot }, records: after.filter((r) => r.seq > this.#snapshot.seq) } : { snapshot: null, records: after };
  }

  async close() {}
}
