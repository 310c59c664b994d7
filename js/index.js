/*
 * index.js: the runtime-agnostic API of hindsight-db. Re-exports the public API and nothing
 * else; it reaches no node: module and nothing in web/ or node/.
 * The package entries build on it: ../index.js (the main entry: + the IndexedDB store) and
 * ../node/index.js (+ the file store, folder backups). Stores plug in through registerStorage.
 */
export { Database } from './database.js';
export { HindsightError, ErrorCode } from './errors.js';
export { pathDiff, formatPath } from './path-diff.js';
export { bisectCondition } from './bisect.js';
export * from './builders/index.js';
export { MemoryStore, checkStore } from './stores/store.js';
export { registerStorage, registerFolderBackupTarget } from './stores/registry.js';
export { BackupManager, restoreBackup, MemoryBackupTarget, DownloadBackupTarget } from './backup.js';
