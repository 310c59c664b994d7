/*
 * registry.js: where runtime-specific parts plug into the runtime-agnostic js/ layer.
 *
 * Owns: the table of storage kinds (a name such as 'indexeddb' or 'file' -> a factory that
 * makes a store from Database.open's options) and the one folder backup target factory.
 * The package entries fill it: the main entry registers the IndexedDB store, the node entry
 * registers the file store and the folder target. js/ never imports web/ or node/; it only
 * asks this table (ARCHITECTURE.md §1).
 * Must stay true: registering is idempotent (the same kind registered twice keeps the
 * latest factory); a kind that is not registered is reported with what to import or pass,
 * never silently replaced by memory.
 */
import { HindsightError, ErrorCode } from '../errors.js';

/* kind -> { create(options) -> store, available() -> boolean, hint } */
const storageKinds = new Map();
let folderTargetFactory = null;

/* How to get each kind the package knows about, for errors when it is not registered. */
const HOW_TO_GET = {
  file: "the file store is Node-only: import { Database } from 'hindsight-db/node' and pass { storage: 'file', path }",
  indexeddb: "the IndexedDB store needs a runtime with globalThis.indexedDB (a browser window or worker) and the main 'hindsight-db' entry",
};

/* Makes `kind` usable as Database.open({ storage: kind }). create(options) returns a store
   (js/stores/store.js); available() says whether this runtime can give the kind as the
   default for a bare { name } (only the first available kind, in registration order, is). */
export function registerStorage(kind, create, { available = () => false } = {}) {
  if (typeof kind !== 'string' || !kind) throw new HindsightError(ErrorCode.INVALID_ARGUMENT, 'registerStorage needs a kind name');
  if (typeof create !== 'function') throw new HindsightError(ErrorCode.INVALID_ARGUMENT, 'registerStorage needs a factory function');
  storageKinds.set(kind, { create, available });
}

/* The factory registered for kind, or an INVALID_ARGUMENT error saying how to get one. */
export function storageFactory(kind) {
  const entry = storageKinds.get(kind);
  if (entry) return entry.create;
  const known = ['memory', ...storageKinds.keys()].map((k) => `'${k}'`).join(', ');
  const how = HOW_TO_GET[kind] ? `: ${HOW_TO_GET[kind]}` : `; known here: ${known}, or a store object`;
  throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `storage '${kind}' is not available${how}`);
}

/* The kind a bare { name } means in this runtime: the first registered kind whose
   available() is true (IndexedDB wherever globalThis.indexedDB exists), else null. */
export function defaultStorageKind() {
  for (const [kind, entry] of storageKinds) if (entry.available()) return kind;
  return null;
}

/* Lets a string be a backup target (a folder path); the node entry registers it. */
export function registerFolderBackupTarget(create) {
  folderTargetFactory = create;
}

/* A folder backup target for path, or an INVALID_ARGUMENT error outside Node. */
export function folderBackupTarget(path) {
  if (!folderTargetFactory) {
    throw new HindsightError(ErrorCode.INVALID_ARGUMENT,
      "a folder path as a backup target needs Node: import from 'hindsight-db/node', or pass a target object (MemoryBackupTarget, DownloadBackupTarget)");
  }
  return folderTargetFactory(path);
}
