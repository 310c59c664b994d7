/*
 * attachment.js: a Database's store: which store options.storage means, loading what the
 * store holds at open, and keeping the store up to date afterwards (js/persistence.js).
 *
 * Owns: resolving options.storage (a store object, 'memory', or a kind from
 * js/stores/registry.js, which the package entries fill: js/ imports nothing from web/ or
 * node/), the Persistence of one database, and the page-hidden flush. Invariants: a bare
 * { name } with no persistent store in this runtime is an error, never a silent in-memory
 * database (ARCHITECTURE.md §7); the stored records are the engine's own texts, replayed as
 * they are, and one that does not apply fails the open with CORRUPT and leaves the store as
 * it is; a stored snapshot that cannot be loaded is CORRUPT too.
 */
import { HindsightError, ErrorCode } from './errors.js';
import { Persistence } from './persistence.js';
import { checkStore, MemoryStore } from './stores/store.js';
import { storageFactory, defaultStorageKind } from './stores/registry.js';
import { loadSnapshot, snapshotBytes, snapshotPayload, checkLoads } from './stored-snapshot.js';
import { sharingFor } from './rebase.js';
import { invalid, newOrigin } from './database-core.js';

/* The store for options.storage: null (memory only), or an object implementing
   js/stores/store.js. A bare { name } takes this runtime's persistent store. */
export async function resolveStore(options) {
  const kind = options.storage;
  if (kind && typeof kind === 'object') return checkStore(kind);
  if (kind === 'memory') return new MemoryStore();
  if (kind !== undefined && kind !== null) {
    if (typeof kind !== 'string') throw invalid(`unknown storage ${String(kind)}: use 'memory', 'indexeddb', 'file' or a store object`);
    return checkStore(await storageFactory(kind)(options));
  }
  if (options.name === undefined) return null;
  const fallback = defaultStorageKind();
  if (!fallback) {
    throw invalid(`options.name ${JSON.stringify(options.name)} needs a persistent store, and this runtime has none by default: `
      + "pass storage: 'memory' for an in-memory database, storage: 'file' with a path in Node (import from 'hindsight-db/node'), or a store object");
  }
  return checkStore(await storageFactory(fallback)(options));
}

export class Attachment {
  #onHidden = null;

  constructor(persistence) {
    this.persistence = persistence;
  }

  /* Loads what the store holds (the newest snapshot, then the log after it) into core's
     engine and keeps the store up to date from then on; sets core.attachment. */
  static async attach(core, store) {
    const { snapshot, records, warnings } = await store.open();
    const engine = core.engine;
    if (snapshot) {
      let meta;
      try {
        meta = loadSnapshot(engine, snapshotPayload(snapshot));
      } catch (error) {
        throw new HindsightError(ErrorCode.CORRUPT, `the stored snapshot cannot be loaded: ${error.message}`, { cause: error });
      }
      core.retention.restore(meta);
      engine.setOrigin(newOrigin());
    }
    if (records.length) {
      // Later records could never be appended after one that does not apply: fail the open.
      try {
        engine.replayTexts(records.map((r) => r.text));
      } catch (error) {
        if (!(error instanceof HindsightError) || error.code === ErrorCode.NOMEM) throw error;
        throw new HindsightError(ErrorCode.CORRUPT, `the stored log cannot be replayed: ${error.message}`, { cause: error });
      }
    }
    for (const w of warnings) core.warn(w);
    const options = core.options;
    const attachment = new Attachment(new Persistence(store, {
      durableSeq: engine.seq(),
      snapshotEvery: options.snapshotEvery,
      snapshotBytes: options.snapshotBytes,
      onError: (error) => options.onError?.(error),
      takeSnapshot: () => ({ seq: core.engine.seq(), bytes: snapshotBytes(core.engine, core.retention.state) }),
      verifySnapshot: (textOrBytes) => checkLoads(core.engine.wasm, textOrBytes),
      shared: sharingFor(core, store),
      replayed: { commits: records.length, bytes: records.reduce((n, r) => n + r.text.length, 0) },
    }));
    core.attachment = attachment;
    attachment.#watchHidden(() => (core.engine.handle ? core.persistence?.flush(core.engine.seq()) : undefined));
  }

  /* A page that goes to the background may never come back: write out what is pending. */
  #watchHidden(flush) {
    if (typeof document === 'undefined' || typeof document.addEventListener !== 'function') return;
    this.#onHidden = () => { if (document.visibilityState === 'hidden') flush()?.catch(() => {}); };
    document.addEventListener('visibilitychange', this.#onHidden);
    globalThis.addEventListener?.('pagehide', this.#onHidden);
  }

  /* Flushes, then closes the store; rethrows a flush failure after closing (the commits
     that could not be written are lost with the close). */
  async close(seq) {
    let error = null;
    try { await this.persistence.flush(seq); } catch (e) { error = e; }
    if (this.#onHidden) {
      document.removeEventListener?.('visibilitychange', this.#onHidden);
      globalThis.removeEventListener?.('pagehide', this.#onHidden);
    }
    await this.persistence.close();
    return error;
  }
}
