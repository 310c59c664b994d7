/*
 * node.d.ts: declarations of 'hindsight-db/node' (node/index.js): everything of the main
 * entry, plus Node's file store and folder backups, the sync client's folder state and the
 * self-hosted sync server. Hand-written; keep in step with node/ and sync/.
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
  close(): Promise<void>;
}

/** Backup files in a folder, each written atomically. */
export declare class FolderBackupTarget implements BackupTarget {
  constructor(path: string);
  readonly path: string;
  writeFile(name: string, text: string): Promise<void>;
  readFile(name: string): Promise<string | null>;
  list(): Promise<string[]>;
  remove(name: string): Promise<void>;
}

import type { SyncStateStore, SyncAuth, SyncObjectSettings } from './sync.js';

/** A Node sync client's state (pulled commits, cursor, pending commits) kept in a folder. */
export declare function fileSyncState(dir: string): SyncStateStore;
export declare class FileSyncState implements SyncStateStore {
  constructor(dir: string);
  load(): ReturnType<SyncStateStore['load']>;
  saveServer(commits: unknown[], cursor: number, pending: unknown[], base?: { seq: number; db: unknown }): Promise<void>;
  savePending(pending: unknown[], cursor: number): Promise<void>;
  close(): Promise<void>;
}

/** The self-hosted sync server: the same protocol as the Worker and Durable Object, over a
 *  folder per database, with the WebSocket poke (no dependency). */
export declare function startSyncServer(options: {
  dir: string;
  authenticate: (request: Request) => SyncAuth | null | Promise<SyncAuth | null>;
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  wasm?: WebAssembly.Module | BufferSource | URL | string;
  settings?: (name: string) => SyncObjectSettings;
  allowOrigins?: string[] | '*';
}): Promise<{ url: string; port: number; close(): Promise<void> }>;
