/*
 * sync.d.ts: declarations of 'hindsight-db/sync' (sync/index.js): the sync Worker, the
 * Durable Object class and the client. Hand-written; keep in step with sync/ (protocol:
 * sync/protocol.js).
 */
import type { Database } from './index.js';

export declare const PROTOCOL_VERSION: 1;

export interface SyncAuth {
  user?: unknown;
  /** As executeQueryObject takes them; omitted or null: every collection, every query. */
  collectionPermissions?: Record<string, { allows: string[] }> | null;
}

/** The Worker: authenticate runs before any request reaches the database's object. */
export declare function createSyncWorker(options: {
  authenticate: (request: Request, env: any) => SyncAuth | null | Promise<SyncAuth | null>;
  /** The Durable Object namespace binding in env (default HINDSIGHT_SYNC). */
  binding?: string;
  /** Web origins whose pages may call the server from another origin (CORS), or '*'. */
  allowOrigins?: string[] | '*';
}): { fetch(request: Request, env: any): Promise<Response> };

export interface SyncObjectSettings {
  /** A snapshot every that many commits (default 5000); the log it covers is then dropped. */
  snapshotEvery?: number;
  /** How many of the latest commits the server keeps (default null: all). */
  keepCommits?: number | null;
}

/** The Durable Object class; export it under the class name your wrangler.toml names. */
export declare function syncObjectClass(options: { wasm: WebAssembly.Module } & SyncObjectSettings): new (ctx: any, env: any) => {
  fetch(request: Request): Promise<Response>;
};

/** Where a client keeps its sync state between runs (pulled commits, cursor, pending commits). */
export interface SyncStateStore {
  load(): Promise<{ cursor: number; serverCommits: unknown[]; pending: unknown[]; base?: { seq: number; db: unknown } | null } | null>;
  saveServer(commits: unknown[], cursor: number, pending: unknown[], base?: { seq: number; db: unknown }): Promise<void>;
  savePending(pending: unknown[], cursor: number): Promise<void>;
  close(): Promise<void>;
}

/** A browser client's sync state in the IndexedDB database `name`. */
export declare function indexedDBSyncState(name: string, factory?: IDBFactory): Promise<SyncStateStore>;
export declare class IndexedDBSyncState implements SyncStateStore {
  static open(name: string, factory?: IDBFactory): Promise<IndexedDBSyncState>;
  load(): ReturnType<SyncStateStore['load']>;
  saveServer(commits: unknown[], cursor: number, pending: unknown[], base?: { seq: number; db: unknown }): Promise<void>;
  savePending(pending: unknown[], cursor: number): Promise<void>;
  close(): Promise<void>;
}

export type SyncState = 'offline' | 'connecting' | 'pulling' | 'pushing' | 'in sync' | 'error';

export interface SyncRejection { id: string; code: string; reason: string; query?: unknown }

/** Where a commit stands, as SyncClient.commitStatus tells it. */
export interface SyncCommitStatus {
  /** 'pending': not acknowledged by the server yet; 'acknowledged': in the server's order;
   *  'rebased': acknowledged, and a commit of someone else lies between its base and its
   *  serverSeq (it landed after commits its maker had not seen). */
  status: 'pending' | 'acknowledged' | 'rebased';
  /** Its seq in the server's order (not for pending commits). */
  serverSeq?: number;
  /** The server seq its maker had pulled when it was made (its original parent); null when unknown. */
  base: number | null;
  /** The origin of its id ("<origin>.<counter>"); null for another form of id. */
  origin: string | null;
  /** Made by this client. */
  own: boolean;
}

export interface SyncOptions {
  /** The Worker's origin, e.g. https://sync.example.com */
  url: string;
  /** The database's name on the server: 1 to 128 of A-Z a-z 0-9 _ . - */
  name: string;
  token?: string;
  wasm?: WebAssembly.Module | BufferSource | URL | string;
  pushBatch?: number;
  pollMs?: number;
  WebSocket?: typeof WebSocket | null;
  fetch?: typeof fetch;
  onRejected?: (rejection: SyncRejection) => void;
  onStateChange?: (state: SyncState) => void;
  onError?: (error: Error) => void;
  /** Runs whenever commit statuses may have changed (as subscribeCommitStatus). */
  onCommitStatus?: () => void;
  database?: Record<string, unknown>;
  /** Keeps pending commits and the cursor across a reopen: fileSyncState(dir) from
   *  'hindsight-db/node', or await indexedDBSyncState(name). */
  state?: SyncStateStore | null;
}

export declare class SyncClient {
  static open(options: SyncOptions): Promise<SyncClient>;
  readonly db: Database;
  readonly state: SyncState;
  /** The last server seq pulled. */
  readonly cursor: number;
  /** Ids of local commits the server has not acknowledged. */
  readonly pending: string[];
  /** Where commit id stands; null when this client does not know it. */
  commitStatus(id: string): SyncCommitStatus | null;
  /** listener runs whenever commit statuses may have changed; returns the unsubscribe. */
  subscribeCommitStatus(listener: () => void): () => void;
  synced(): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export declare function openSyncedDatabase(options: SyncOptions): Promise<SyncClient>;
