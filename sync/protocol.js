/*
 * protocol.js: the sync protocol, written down once (version 1), and the checks both ends
 * share. The server part (sync/worker.js, sync/object.js) and the client (sync/client.js)
 * speak exactly this.
 *
 * Every request goes to /v1/<database name>/<verb>; the name is 1..128 of [A-Za-z0-9_.-].
 * Auth: "Authorization: Bearer <token>" (or ?token= for the WebSocket, which browsers cannot
 * give headers). The Worker hands the request to the app's authenticate(request, env), which
 * returns { user, collectionPermissions } (collectionPermissions as executeQueryObject takes
 * them; null/undefined = everything) or null (401). The object never sees the token.
 *
 *   POST /v1/<db>/push   { protocol: 1, base, commits: [{ id, time, cause, query, toId?, base? }] }
 *       base: the last server seq the client had pulled; a commit's own base: the last server
 *       seq its client had pulled when it made it (its original parent; default the push's).
 *       Both are records, not conditions: the server applies each commit, in order, on its
 *       current state, with the user's permissions, and keeps each accepted commit's base.
 *       Reverts, undo and redo (query.className 'HindsightRevert') sync too. Their query's
 *       toSeq is the client's own seq, so a revert also names its target by id: toId, the
 *       id of the commit whose state it goes back to (null: the empty state, toSeq 0); an
 *       undo or redo names its commit in query.undo / query.redo. The server finds them in
 *       its order and logs the revert with its own toSeq; a pulled revert's toSeq is a server
 *       seq (the client maps it onto its own). A revert is a state commit: on the server it
 *       goes back to its target's state in the server's order, so it also takes back other
 *       clients' commits that landed after that target.
 *       -> 200 { protocol: 1, head, results: [{ id, status, seq?, code?, reason? }] }
 *       status 'accepted' (seq: its server seq), 'duplicate' (already in the log, by id, with
 *       the same content; seq: where; for an id older than the kept history, whose content
 *       is no longer kept to compare, seq is where the kept history starts: it is at or before
 *       it), 'rejected' (code + reason; the log is unchanged by it).
 *       The accepted commits of one push are appended in one storage transaction.
 *   GET  /v1/<db>/pull?after=<seq>&limit=<n>
 *       -> 200 { protocol: 1, head, cursor, more, commits: [{ seq, id, time, cause, query, base? }] }
 *       The commits with seq > after, in server order, that the user may read (every
 *       collection a commit writes must be readable); cursor is the last seq examined, so
 *       the next pull starts after it even when the last commits were left out.
 *       base: where the commit was first made (its original parent, a server seq), absent
 *       for commits stored before bases were kept. With the id's origin ("<origin>.<counter>")
 *       it says where a commit came from: a commit whose seq > base + 1, with commits of
 *       others between base and seq, was rebased (its time and cause are its own, kept).
 *       A pull from before what the server keeps (after < the kept history's start) is
 *       refused with 410 TOO_OLD: the client starts again from GET snapshot.
 *   GET  /v1/<db>/snapshot
 *       -> 200 { protocol: 1, seq, head, db }: the state at seq, where the server's kept
 *       history starts, as a DeltaTraceDB dict with only the collections the user may read;
 *       the client starts its mirror there and pulls after seq. seq 0, db null: the whole
 *       log is kept, pull from 0. Retention (the server's keepCommits) bounds the kept
 *       history; the server stores a snapshot every snapshotEvery commits and then drops
 *       the log it covers (sync/object.js). A new client starts from this snapshot.
 *   GET  /v1/<db>/ws (WebSocket upgrade)
 *       The server sends { type: 'poke', head } at once and whenever commits are appended;
 *       the client then pulls. Polling the pull endpoint is the fallback.
 *   Errors: { protocol: 1, error: { code, message } } with HTTP 400 BAD_REQUEST, 401
 *   UNAUTHORIZED, 404 NOT_FOUND, 410 TOO_OLD, 413 TOO_LARGE, 500 INTERNAL.
 *   Rejection codes: PERMISSION_DENIED / QUERY_FAILED (the engine refused the query, its
 *   message is the reason), NOT_A_WRITE, NO_TARGET (a revert's toId, undo or redo names a
 *   commit the server does not have), UNSUPPORTED (a revert carrying a whole state, the form
 *   an imported history uses), ID_REUSED (an id already in the log with other content),
 *   BAD_COMMIT.
 * A retried push is idempotent, however old: the server keeps the ids of the commits that
 * retention dropped (sync/object.js). A client skips pulled commits at or below its cursor (a
 * pull answer delivered twice changes nothing).
 * Compatibility: base on commits (push and pull) was added within version 1: an older
 * server ignores a commit's base and sends none; an older client sends none (the push's
 * base stands for its commits) and ignores a pulled one. Nothing else changes, so both
 * ends keep speaking protocol 1.
 */
export const PROTOCOL_VERSION = 1;
export const MAX_BODY_BYTES = 4 << 20;
export const MAX_PUSH_COMMITS = 1000;
export const MAX_PULL_COMMITS = 1000;
export const DB_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
export const REVERT_CLASS = 'HindsightRevert';
const DATE_MAX_MS = 8.64e15;

/* null when commit is a well-formed pushed commit, else why not. */
export function commitProblem(commit) {
  if (commit === null || typeof commit !== 'object' || Array.isArray(commit)) return 'a commit must be an object { id, time, cause, query }';
  const { id, time, query } = commit;
  if (typeof id !== 'string' || !/^[\x20-\x7e]{1,128}$/.test(id) || /["\\]/.test(id)) return 'id must be a printable string of 1 to 128 characters without quotes or backslashes';
  if (time !== null && (typeof time !== 'number' || !Number.isFinite(time) || Math.abs(time) > DATE_MAX_MS)) return 'time must be milliseconds in the Date range, or null';
  if (query === null || typeof query !== 'object' || Array.isArray(query)) return 'query must be an object';
  const { toId } = commit;
  if (toId !== undefined && toId !== null && (typeof toId !== 'string' || toId.length > 128)) return 'toId must be a commit id or null';
  const { base } = commit;
  if (base !== undefined && base !== null && !(Number.isSafeInteger(base) && base >= 0)) return 'base must be a server seq (the last one its client had pulled), or absent';
  return null;
}

/* The text a commit is compared by when its id comes again (idempotent retries). */
export function commitContent({ time, cause, query }) {
  return JSON.stringify([time ?? null, cause ?? null, query]);
}

export function errorBody(code, message) {
  return { protocol: PROTOCOL_VERSION, error: { code, message } };
}
