/*
 * index.js: the package entry of hindsight-db. Re-exports the public API and nothing else,
 * so every runtime (Node, browsers, Deno, workerd) loads the same module graph.
 */
export { Database } from './database.js';
export { HindsightError, ErrorCode } from './errors.js';
export * from './builders/index.js';
export { MemoryStore, checkStore } from './stores/store.js';
export { BackupManager, restoreBackup, FolderBackupTarget, MemoryBackupTarget, DownloadBackupTarget } from './backup.js';
