/*
 * worker.js: the sync Worker: checks each request with the app's authenticate function and
 * hands it to the database's Durable Object (one object per database name).
 *
 * Must stay true: no request reaches an object without authenticate's answer; the answer
 * travels in the x-hindsight-auth header, which the Worker always overwrites (a client can
 * never forge it) and the Authorization header does not travel on; cross-origin pages are
 * answered (CORS, preflight included) only for the origins the app allows. Protocol:
 * protocol.js.
 */
import { DB_NAME, errorBody } from './protocol.js';
import { permissionsText } from '../js/query-checks.js';

export const AUTH_HEADER = 'x-hindsight-auth';

function fail(status, code, message) {
  return Response.json(errorBody(code, message), { status });
}

/* authenticate(request, env) -> { user, collectionPermissions } | null (may be async).
   binding: the name of the Durable Object namespace binding in env. allowOrigins: the web
   origins whose pages may call the server from another origin (CORS; a list, or '*'), none
   by default. */
export function createSyncWorker({ authenticate, binding = 'HINDSIGHT_SYNC', allowOrigins = [] }) {
  if (typeof authenticate !== 'function') throw new TypeError('createSyncWorker needs authenticate(request, env)');
  const allowed = (origin) => Boolean(origin) && (allowOrigins === '*' || (Array.isArray(allowOrigins) && allowOrigins.includes(origin)));
  const handle = (request, env) => route(request, env, authenticate, binding);
  return {
    async fetch(request, env) {
      const origin = request.headers.get('origin');
      if (!allowed(origin)) return handle(request, env);
      const cors = { 'access-control-allow-origin': origin, vary: 'origin' };
      if (request.method === 'OPTIONS') {
        return new Response(null, { status: 204, headers: { ...cors, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'authorization, content-type', 'access-control-max-age': '600' } });
      }
      const response = await handle(request, env);
      if (response.status === 101) return response;
      const headed = new Response(response.body, response);
      for (const [k, v] of Object.entries(cors)) headed.headers.set(k, v);
      return headed;
    },
  };
}

/* The request, authenticated, handed to its database's object. */
async function route(request, env, authenticate, binding) {
  const url = new URL(request.url);
  const m = /^\/v1\/([^/]+)\/(push|pull|ws|snapshot)$/.exec(url.pathname);
  if (!m) return fail(404, 'NOT_FOUND', `no sync endpoint at ${url.pathname}; use /v1/<database>/push, pull, snapshot or ws`);
  if (!DB_NAME.test(m[1])) return fail(400, 'BAD_REQUEST', 'the database name must be 1 to 128 of A-Z a-z 0-9 _ . -');
  let auth;
  try {
    auth = await authenticate(request, env);
  } catch (error) {
    return fail(401, 'UNAUTHORIZED', `authentication failed: ${error?.message ?? error}`);
  }
  if (!auth) return fail(401, 'UNAUTHORIZED', 'not authenticated');
  let perms;
  try {
    perms = permissionsText(auth.collectionPermissions);
  } catch (error) {
    return fail(500, 'INTERNAL', `authenticate returned bad collectionPermissions: ${error.message}`);
  }
  const namespace = env[binding];
  if (!namespace) return fail(500, 'INTERNAL', `no Durable Object binding named ${binding}`);
  const headers = new Headers(request.headers);
  headers.delete('authorization');
  headers.set(AUTH_HEADER, JSON.stringify({ user: auth.user ?? null, permissions: perms }));
  const stub = namespace.get(namespace.idFromName(m[1]));
  return stub.fetch(new Request(request, { headers }));
}
