/*
 * worker.js: the test app for the sync suite: the sync Worker and Durable Object as a user
 * deploys them, with a fixed table of bearer tokens standing in for the app's auth, and a
 * second object class with small snapshot and retention settings for databases named retain-*,
 * and a third with large ones for databases named big-* (the 100,000-commit bootstrap test).
 *
 * Must stay true: module names match the config sync.test.mjs writes (this file is
 * "worker.js"; the package's files keep their js/ and sync/ paths).
 */
import hindsightWasm from './hindsight.wasm';
import { createSyncWorker, syncObjectClass } from './sync/index.js';

import { authenticate, RETAIN, RETAIN_BIG } from './users.js';

// Any origin: the browser test's pages come from another local port.
const plain = createSyncWorker({ binding: 'SYNC', authenticate, allowOrigins: '*' });
// Databases named retain-*: a snapshot every 20 commits, and only the latest 30 kept.
const retaining = createSyncWorker({ binding: 'SYNC_RETAIN', authenticate });
// Databases named big-*: RETAIN_BIG.
const big = createSyncWorker({ binding: 'SYNC_BIG', authenticate });

export default {
  fetch(request, env) {
    const { pathname } = new URL(request.url);
    return (pathname.startsWith('/v1/retain-') ? retaining : pathname.startsWith('/v1/big-') ? big : plain).fetch(request, env);
  },
};
export const HindsightSyncObject = syncObjectClass({ wasm: hindsightWasm });
export const HindsightSyncObjectRetain = syncObjectClass({ wasm: hindsightWasm, ...RETAIN });
export const HindsightSyncObjectBig = syncObjectClass({ wasm: hindsightWasm, ...RETAIN_BIG });
