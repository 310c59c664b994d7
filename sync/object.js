/*
 * object.js: the sync Durable Object: one per database, it keeps the one true order of the
 * database's commits (protocol.js) in the object's transactional storage.
 *
 * Owns: the server engine (the same hindsight.wasm, holding the log replayed), the id -> seq
 * map, and the connected WebSockets (hibernation API). Storage keys: "c:<seq, 10 digits>" ->
 * the engine's record text of that commit, "head" -> the latest seq.
 * Must stay true: pushes run one at a time; a pushed commit is executed with its own id, time
 * and cause and the pushing user's permissions; the commits a push accepts are appended in
 * one storage transaction before the answer, and if that write fails the engine is dropped
 * and rebuilt from storage; a pull or poke never reaches past what storage holds; a pull sends only the
 * commits every collection of which the user may read; a known id is never applied twice.
 */
import { Engine } from '../js/engine.js';
import { loadEngine } from '../js/wasm-loader.js';
import { visibleCommits } from '../js/time-travel-access.js';
import { AUTH_HEADER } from './worker.js';
import {
  PROTOCOL_VERSION, MAX_BODY_BYTES, MAX_PUSH_COMMITS, MAX_PULL_COMMITS, REVERT_CLASS, commitProblem, commitContent, errorBody,
} from './protocol.js';

const MAX_SEQ = 0xffffffff;
const key = (seq) => `c:${String(seq).padStart(10, '0')}`;
const READ_TYPES = new Set(['search', 'searchOne', 'getAll', 'count']);

class BadRequest extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

/* The Durable Object class for hindsight.wasm given as wasm (a WebAssembly.Module in
   Workers). Export it from the Worker module under the class name wrangler.toml names. */
export function syncObjectClass({ wasm }) {
  return class HindsightSyncObject {
    #ctx;
    #engine = null;
    #loading = null;
    #ids = new Map();          // commit id -> its server seq
    #durableHead = 0;          // the last seq in storage: pulls and pokes never go past it
    #turn = Promise.resolve(); // pushes, one at a time

    constructor(ctx) { this.#ctx = ctx; }

    async fetch(request) {
      try {
        const auth = JSON.parse(request.headers.get(AUTH_HEADER) ?? 'null');
        if (!auth) throw new BadRequest(401, 'UNAUTHORIZED', 'the request did not come through the sync Worker');
        const verb = new URL(request.url).pathname.split('/').pop();
        const engine = await this.#load();
        if (verb === 'ws') return this.#accept(request, engine);
        if (verb === 'pull') return Response.json(this.#pull(engine, new URL(request.url).searchParams, auth.permissions));
        if (verb === 'push') {
          if (request.method !== 'POST') throw new BadRequest(400, 'BAD_REQUEST', 'push is a POST');
          const body = await this.#body(request);
          const run = this.#turn.then(() => this.#push(body, auth.permissions));
          this.#turn = run.catch(() => {});
          return Response.json(await run);
        }
        throw new BadRequest(404, 'NOT_FOUND', `no verb ${verb}`);
      } catch (error) {
        if (error instanceof BadRequest) return Response.json(errorBody(error.code, error.message), { status: error.status });
        return Response.json(errorBody('INTERNAL', String(error?.message ?? error)), { status: 500 });
      }
    }

    /* The engine with the whole stored log replayed (once per object instance). */
    #load() {
      if (this.#engine) return Promise.resolve(this.#engine);
      this.#loading ??= (async () => {
        const engine = new Engine(await loadEngine(wasm));
        engine.setOrigin('server');
        const ids = new Map();
        const stored = await this.#ctx.storage.list({ prefix: 'c:' });
        const texts = [...stored.values()];
        for (let i = 0; i < texts.length; i += 1000) engine.replay(`[${texts.slice(i, i + 1000).join(',')}]`);
        for (const c of JSON.parse(engine.commitInfoText(1, MAX_SEQ))) ids.set(c.id, c.seq);
        this.#ids = ids;
        this.#durableHead = engine.seq();
        this.#engine = engine;
        return engine;
      })().finally(() => { this.#loading = null; });
      return this.#loading;
    }

    async #body(request) {
      const text = await request.text();
      if (text.length > MAX_BODY_BYTES) throw new BadRequest(413, 'TOO_LARGE', `a push is at most ${MAX_BODY_BYTES} bytes`);
      let body;
      try { body = JSON.parse(text); } catch { throw new BadRequest(400, 'BAD_REQUEST', 'the body is not JSON'); }
      if (body?.protocol !== PROTOCOL_VERSION) throw new BadRequest(400, 'BAD_REQUEST', `this server speaks protocol ${PROTOCOL_VERSION}`);
      if (!Array.isArray(body.commits)) throw new BadRequest(400, 'BAD_REQUEST', 'commits must be a list');
      if (body.commits.length > MAX_PUSH_COMMITS) throw new BadRequest(413, 'TOO_LARGE', `a push holds at most ${MAX_PUSH_COMMITS} commits`);
      return body;
    }

    /* Applies each commit in order on the current state; appends the accepted ones at once. */
    async #push(body, permissions) {
      const engine = await this.#load();
      const results = [], appended = [];
      const seen = new Map();
      for (const commit of body.commits) {
        const problem = commitProblem(commit);
        if (problem) { results.push({ id: String(commit?.id ?? ''), status: 'rejected', code: 'BAD_COMMIT', reason: problem }); continue; }
        const known = this.#ids.get(commit.id) ?? seen.get(commit.id);
        if (known !== undefined) {
          const record = JSON.parse(engine.commitsText(known, known, 1))[0];
          results.push(this.#contentOf(engine, record, true) === this.#contentOf(engine, commit, false)
            ? { id: commit.id, status: 'duplicate', seq: known }
            : { id: commit.id, status: 'rejected', code: 'ID_REUSED', reason: `id ${commit.id} is already in the log (seq ${known}) with other content` });
          continue;
        }
        const verdict = this.#apply(engine, commit, permissions, seen);
        if (verdict.seq) { appended.push(verdict.seq); seen.set(commit.id, verdict.seq); }
        results.push({ id: commit.id, ...verdict });
      }
      if (appended.length) {
        const records = JSON.parse(`[${engine.commitsText(appended[0], appended[appended.length - 1], MAX_SEQ).slice(1, -1)}]`);
        const texts = appended.map((seq, i) => [seq, JSON.stringify(records[i])]);
        try {
          await this.#ctx.storage.transaction(async (txn) => {
            for (const [seq, text] of texts) await txn.put(key(seq), text);
            await txn.put('head', appended[appended.length - 1]);
          });
        } catch (error) {
          // The engine holds commits storage does not: drop it, the next request reloads.
          engine.close();
          this.#engine = null;
          throw error;
        }
        for (const [id, seq] of seen) this.#ids.set(id, seq);
        this.#durableHead = engine.seq();
        this.#poke(engine.seq());
      }
      return { protocol: PROTOCOL_VERSION, head: this.#durableHead, results };
    }

    /* { status: 'accepted', seq } or { status: 'rejected', code, reason }. */
    #apply(engine, commit, permissions, seen) {
      const q = commit.query;
      if (q.className === REVERT_CLASS) return this.#applyRevert(engine, commit, permissions, seen);
      if (READ_TYPES.has(q.type) && !Array.isArray(q.queries)) return { status: 'rejected', code: 'NOT_A_WRITE', reason: `a ${q.type} query is a read, not a commit` };
      const meta = `{"time":${commit.time ?? null},"cause":${JSON.stringify(commit.cause ?? null)},"id":${JSON.stringify(commit.id)}}`;
      const before = engine.seq();
      let result;
      try {
        result = JSON.parse(engine.execute(JSON.stringify(q), permissions, meta));
      } catch (error) {
        return { status: 'rejected', code: 'QUERY_FAILED', reason: String(error?.message ?? error) };
      }
      if (engine.seq() === before + 1) return { status: 'accepted', seq: engine.seq() };
      const message = result?.errorMessage || 'the query made no commit on the server';
      // DeltaTraceDB's refusal is "Operation not permitted."; say whose permissions refused it.
      if (/not permitted|permission/i.test(message)) {
        return { status: 'rejected', code: 'PERMISSION_DENIED', reason: `${message} The user's collection permissions do not allow this commit (${q.type ?? 'transaction'} on ${q.target ?? 'several collections'}).` };
      }
      return { status: 'rejected', code: 'QUERY_FAILED', reason: message };
    }

    /* A revert, undo or redo: its target is named by id (toId; undo/redo by their commit's id
       too), never by the client's seq, and found in the server's order. */
    #applyRevert(engine, commit, permissions, seen) {
      const q = commit.query;
      if (q.state !== undefined) return { status: 'rejected', code: 'UNSUPPORTED', reason: 'a revert that carries a whole state (an imported history\'s form) does not sync' };
      const seqOf = (id) => this.#ids.get(id) ?? seen.get(id);
      const ref = q.undo !== undefined ? ['undo', q.undo] : q.redo !== undefined ? ['redo', q.redo] : null;
      if (ref && (typeof ref[1] !== 'string' || seqOf(ref[1]) === undefined)) {
        return { status: 'rejected', code: 'NO_TARGET', reason: `the commit this ${ref[0]} takes back (${ref[1]}) is not in the server's log` };
      }
      let target;
      if (commit.toId === null || commit.toId === undefined) {
        if (q.toSeq !== 0 && !ref) return { status: 'rejected', code: 'BAD_COMMIT', reason: 'a revert names the commit it goes back to by toId (null: back to the empty state, toSeq 0)' };
        target = 0;
      } else {
        target = seqOf(commit.toId);
        if (target === undefined) return { status: 'rejected', code: 'NO_TARGET', reason: `the commit this revert goes back to (${commit.toId}) is not in the server's log` };
      }
      const refText = ref ? `,${JSON.stringify(ref[0])}:${JSON.stringify(ref[1])}` : '';
      const meta = `{"time":${commit.time ?? null},"cause":${JSON.stringify(commit.cause ?? null)},"id":${JSON.stringify(commit.id)}${refText}}`;
      const before = engine.seq();
      try {
        engine.revert(target, meta, permissions);
      } catch (error) {
        const message = String(error?.message ?? error);
        if (/not permitted|permission/i.test(message)) return { status: 'rejected', code: 'PERMISSION_DENIED', reason: `${message} The user's collection permissions do not allow this revert.` };
        return { status: 'rejected', code: 'QUERY_FAILED', reason: message };
      }
      if (engine.seq() === before + 1) return { status: 'accepted', seq: engine.seq() };
      return { status: 'rejected', code: 'QUERY_FAILED', reason: 'the revert made no commit on the server' };
    }

    /* The text a pushed commit and a logged one are compared by (idempotent retries). A
       revert's logged toSeq is a server seq: compare the id it names instead. */
    #contentOf(engine, commit, logged) {
      const q = commit.query;
      if (q?.className !== REVERT_CLASS || q.state !== undefined) return commitContent(commit);
      let toId = commit.toId ?? null;
      if (logged) toId = q.toSeq > 0 ? JSON.parse(engine.commitInfoText(q.toSeq, q.toSeq))[0]?.id ?? null : null;
      const ref = q.undo ?? q.redo;
      return JSON.stringify([commit.time ?? null, commit.cause ?? null, q.undo ?? null, q.redo ?? null, ref === undefined ? toId : null]);
    }

    #pull(engine, params, permissions) {
      const after = Number(params.get('after') ?? 0);
      const limit = Math.min(MAX_PULL_COMMITS, Number(params.get('limit') ?? MAX_PULL_COMMITS));
      if (!Number.isInteger(after) || after < 0 || !Number.isInteger(limit) || limit < 1) throw new BadRequest(400, 'BAD_REQUEST', 'after must be a seq and limit a positive integer');
      // A push may be between applying and storing its commits: what is not stored is not sent.
      const head = this.#durableHead;
      if (after >= head) return { protocol: PROTOCOL_VERSION, head, cursor: Math.min(after, head), more: false, commits: [] };
      const page = JSON.parse(engine.commitsText(after + 1, head, limit));
      const cursor = page.length ? page[page.length - 1].seq : head;
      return { protocol: PROTOCOL_VERSION, head, cursor, more: cursor < head, commits: visibleCommits(engine, page, permissions) };
    }

    #accept(request, engine) {
      if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') throw new BadRequest(400, 'BAD_REQUEST', 'ws needs a WebSocket upgrade');
      const [client, server] = Object.values(new WebSocketPair());
      this.#ctx.acceptWebSocket(server);
      server.send(JSON.stringify({ type: 'poke', head: this.#durableHead }));
      return new Response(null, { status: 101, webSocket: client });
    }

    #poke(head) {
      const text = JSON.stringify({ type: 'poke', head });
      for (const ws of this.#ctx.getWebSockets()) {
        try { ws.send(text); } catch { /* closing: it will pull when it reconnects */ }
      }
    }

    webSocketMessage() { /* clients only listen */ }

    webSocketClose(ws, code) {
      try { ws.close(code === 1005 ? 1000 : code, 'bye'); } catch { /* already closed */ }
    }
  };
}
