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

const READ = ['search', 'searchOne', 'getAll', 'count'];
const WRITE = ['add', 'update', 'updateOne', 'delete', 'deleteOne', 'clear', 'clearAdd', 'merge', 'removeCollection', 'renameField', 'conformToTemplate'];
const USERS = {
  'token-alice': { user: 'alice' },
  'token-bob': { user: 'bob' },
  // may read notes but not write them
  'token-carol': { user: 'carol', collectionPermissions: { notes: { allows: READ } } },
  // may read and write notes, and nothing of secret
  'token-dave': { user: 'dave', collectionPermissions: { notes: { allows: [...READ, ...WRITE] } } },
};

function tokenOf(request) {
  const header = request.headers.get('authorization') ?? '';
  if (header.startsWith('Bearer ')) return header.slice(7);
  return new URL(request.url).searchParams.get('token');
}

const authenticate = (request) => USERS[tokenOf(request)] ?? null;
const plain = createSyncWorker({ binding: 'SYNC', authenticate });
// Databases named retain-*: a snapshot every 20 commits, and only the latest 30 kept.
const retaining = createSyncWorker({ binding: 'SYNC_RETAIN', authenticate });

export default {
  fetch(request, env) {
    return (new URL(request.url).pathname.startsWith('/v1/retain-') ? retaining : plain).fetch(request, env);
  },
};
export const HindsightSyncObject = syncObjectClass({ wasm: hindsightWasm });
export const HindsightSyncObjectRetain = syncObjectClass({ wasm: hindsightWasm, snapshotEvery: 20, keepCommits: 30 });
