/*
 * worker.js: the test app for the sync suite: the sync Worker and Durable Object as a user
 * deploys them, with a fixed table of bearer tokens standing in for the app's auth, and a
 * second object class with small snapshot and retention settings for databases named retain-*.
 *
 * Must stay true: module names match the config sync.test.mjs writes (this file is
 * "worker.js"; the package's files keep their js/ and sync/ paths).
 */
import hindsightWasm from './hindsight.wasm';
import { createSyncWorker, syncObjectClass } from './sync/index.js';

import { authenticate, RETAIN } from './users.js';

// Any origin: the browser test's pages come from another local port.
const plain = createSyncWorker({ binding: 'SYNC', authenticate, allowOrigins: '*' });
// Databases named retain-*: a snapshot every 20 commits, and only the latest 30 kept.
const retaining = createSyncWorker({ binding: 'SYNC_RETAIN', authenticate });

export default {
  fetch(request, env) {
    return (new URL(request.url).pathname.startsWith('/v1/retain-') ? retaining : plain).fetch(request, env);
  },
};
export const HindsightSyncObject = syncObjectClass({ wasm: hindsightWasm });
export const HindsightSyncObjectRetain = syncObjectClass({ wasm: hindsightWasm, ...RETAIN });
