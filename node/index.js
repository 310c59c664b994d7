/*
 * node/index.js: the 'hindsight-db/node' entry. Everything the main entry has, plus Node's
 * file store and folder backups.
 *
 * Also exports the sync client's folder state (sync/state-file.js) and the self-hosted sync
 * server (sync/node-server.js), which need node:fs and node:http.
 * Owns: registering the file store as { storage: 'file', path } and folder paths as backup
 * targets. A bare { name } stays an error in Node (ARCHITECTURE.md §7): the file store is
 * used only when asked for, with a folder path.
 * Must stay true: this is the only way js/ reaches node: modules; the main entry never
 * imports this file.
 */
import { registerStorage, registerFolderBackupTarget, HindsightError, ErrorCode } from '../index.js';
import { FileStore } from './file-store.js';
import { FolderBackupTarget } from './folder-backup-target.js';

export * from '../index.js';
export { FileStore } from './file-store.js';
export { FolderBackupTarget } from './folder-backup-target.js';
export { FileSyncState, fileSyncState } from '../sync/state-file.js';   // a sync client's state kept in a folder
export { startSyncServer } from '../sync/node-server.js';                // the self-hosted sync server

registerStorage('file', (options) => {
  const path = options.path ?? options.name;
  if (typeof path !== 'string' || !path) {
    throw new HindsightError(ErrorCode.INVALID_ARGUMENT, "storage 'file' needs options.path (a folder)");
  }
  return new FileStore({ path });
});
registerFolderBackupTarget((path) => new FolderBackupTarget(path));
