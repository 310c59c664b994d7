/*
 * index.js: hindsight-db/sync, the sync entry: the server part (createSyncWorker, the Worker
 * that authenticates; syncObjectClass, the Durable Object that keeps the one order) and the
 * client part (SyncClient / openSyncedDatabase). The protocol is protocol.js's.
 * Must stay true: no runtime dependencies beyond the package's own js/.
 */
export { createSyncWorker } from './worker.js';
export { syncObjectClass } from './object.js';
export { SyncClient, openSyncedDatabase } from './client.js';
export { PROTOCOL_VERSION } from './protocol.js';
