/*
 * users.js: the sync suite's stand-in for an app's auth: a fixed table of bearer tokens, used
 * by the workerd test app (tests/sync/worker.js) and the Node server under test alike.
 * Must stay true: imports nothing (workerd loads it as a plain module).
 */
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

export function authenticate(request) {
  return USERS[tokenOf(request)] ?? null;
}

/* The retention settings the suite's retain-* databases run with (both servers). */
export const RETAIN = { snapshotEvery: 20, keepCommits: 30 };
/* The big-* databases of the bootstrap test (workerd): 100,000 commits, two snapshots. */
export const RETAIN_BIG = { snapshotEvery: 50_000, keepCommits: 1_000 };
