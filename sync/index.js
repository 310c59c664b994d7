/*
 * index.js: hindsight-db/sync, the sync entry: the server part (createSyncWorker, the Worker
 * that authenticates; syncObjectClass, the Durable Object that keeps the one order) and the
 * client part (SyncClient / openSyncedDatabase, and indexedDBSyncState to keep a browser
 * client's state; Node's folder state is fileSyncState in 'hindsight-db/node'). The protocol is protocol.js's.
 * Must stay true: no runtime dependencies beyond the package's own js/.
 */
export { createSyncWorker } from './worker.js';
export { syncObjectClass } from './object.js';
export { SyncClient, openSyncedDatabase } from './client.js';
export { IndexedDBSyncState, indexedDBSyncState } from './state-indexeddb.js';   // a browser client's kept state
export { PROTOCOL_VERSION } from './protocol.js';
