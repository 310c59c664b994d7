/*
 * node.d.ts: declarations of 'hindsight-db/node' (node/index.js): everything of the main
 * entry, plus Node's file store and folder backups. Hand-written; keep in step with node/.
 */
export * from './index.js';
import type { Store, StoreOpened, StoreRecord, StoreSnapshot, BackupTarget } from './index.js';

/** A database's log and snapshots in one folder; one process at a time holds it (LOCK). */
export declare class FileStore implements Store {
  constructor(options: { path: string; fs?: unknown });
  readonly path: string;
  readonly takesSnapshotBytes: true;
  open(): Promise<StoreOpened>;
  append(records: StoreRecord[]): Promise<void>;
  writeSnapshot(snapshot: StoreSnapshot): Promise<void>;
  readSince(seq: number): Promise<{ snapshot: StoreSnapshot | null; records: StoreRecord[] }>;
  close(): Promise<void>;
}

/** Backup files in a folder, each written atomically. */
export declare class FolderBackupTarget implements BackupTarget {
  constructor(path: string);
  readonly path: string;
  readonly takesSnapshotBytes: true;
  writeFile(name: string, text: string): Promise<void>;
  readFile(name: string): Promise<string | null>;
  list(): Promise<string[]>;
  remove(name: string): Promise<void>;
}
