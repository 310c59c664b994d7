/*
 * object.js: the sync Durable Object: one per database, it keeps the one true order of the
 * database's commits (protocol.js) in the object's transactional storage.
 *
 * Owns: the server engine (the same hindsight.wasm, holding the log replayed), the id -> seq
 * map, the snapshots and retention, and the connected WebSockets (hibernation API). Storage
 * keys: "c:<seq, 10 digits>" -> the engine's record text of that commit, "head" -> the latest
 * seq, "snapshot" -> { seq, chunks, horizon } and "s:<seq>:<i>" -> the chunks of the engine's
 * dump at seq (its state and the history it keeps, after horizon), and the ids of the commits
 * older than the kept history: "o:<origin>" -> [[from, to]...], the ranges of the counters of
 * that origin's ids ("<origin>.<counter>", the engine's form), "i:<id>" -> true for any other,
 * and "b:<seq, 10 digits>" -> the commit's base (the server seq its client had pulled when it
 * made it: the commit's own base, else its push's), written in the same transaction as
 * "c:<seq>" and kept past snapshots until retention drops the commit (a log stored before
 * bases were kept has none: its commits are pulled without base).
 * Must stay true: pushes are applied one at a time, in arrival order; a pushed commit is
 * executed with its own id, time and cause and the pushing user's permissions; the commits a
 * push accepts are appended in one storage transaction before the answer (group commit: the
 * pushes that queued while the previous transaction was being stored share the next one, and
 * each is answered only after it), and if that write fails every push of the group fails
 * and the engine is dropped and rebuilt from storage; a pull or poke never reaches past what storage holds; a pull sends only the
 * commits every collection of which the user may read; a known id is never applied twice,
 * even once retention has dropped its record (the ids of trimmed commits are stored before
 * the trim, and answered 'duplicate' without a content check); a snapshot is stored
 * whole before "snapshot" names it, and only then is the log it covers deleted; a pull from
 * before the kept history is refused (TOO_OLD), never answered with a gap.
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
const READ_TYPES_LIST = ['search', 'searchOne', 'getAll', 'count'];
const READ_TYPES = new Set(READ_TYPES_LIST);
const MAX_GROUP_PUSHES = 256;                   // pushes applied and stored together, at most
const CHUNK_CHARS = 30_000;                      // a stored value stays under 128 KiB, even in 4-byte UTF-8
const chunkKey = (seq, i) => `s:${String(seq).padStart(10, '0')}:${String(i).padStart(6, '0')}`;
const idsOf = (engine) => new Map(JSON.parse(engine.commitInfoText(engine.oldest() + 1, MAX_SEQ)).map((c) => [c.id, c.seq]));
const originKey = (origin) => `o:${origin}`;
const looseKey = (id) => `i:${id}`;
const baseKey = (seq) => `b:${String(seq).padStart(10, '0')}`;
/* A push's or commit's base, when it is one (a seq), else null. */
const baseOf = (value) => (Number.isSafeInteger(value) && value >= 0 ? value : null);

/* An engine id is origin "." counter: [origin, counter], or null for any other id. */
function splitId(id) {
  const m = /^(.+)\.(0|[1-9][0-9]{0,15})$/.exec(id);
  if (!m) return null;
  const counter = Number(m[2]);
  return Number.isSafeInteger(counter) ? [m[1], counter] : null;
}

/* ranges ([[from, to]...], sorted, apart) with counters added, merged again. */
function addCounters(ranges, counters) {
  const all = [...ranges.map(([a, b]) => [a, b]), ...counters.map((c) => [c, c])].sort((x, y) => x[0] - y[0]);
  const merged = [];
  for (const [a, b] of all) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b); else merged.push([a, b]);
  }
  return merged;
}

function inRanges(ranges, counter) {
  let lo = 0, hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (counter < ranges[mid][0]) hi = mid - 1; else if (counter > ranges[mid][1]) lo = mid + 1; else return true;
  }
  return false;
}

class BadRequest extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

/* The Durable Object class for hindsight.wasm given as wasm (a WebAssembly.Module in
   Workers). Export it from the Worker module under the class name wrangler.toml names.
   snapshotEvery: a snapshot of the state (and the kept history) every that many commits
   (default 5000; the log it covers is then deleted); keepCommits: how many of the latest
   commits the server keeps (default: all). A pull from before what is kept answers 410
   TOO_OLD and the client starts again from GET snapshot. */
export function syncObjectClass({ wasm, snapshotEvery = 5000, keepCommits = null }) {
  if (!Number.isInteger(snapshotEvery) || snapshotEvery < 1) throw new TypeError('snapshotEvery must be a positive integer');
  if (keepCommits !== null && (!Number.isInteger(keepCommits) || keepCommits < 0)) throw new TypeError('keepCommits must be a count of commits, or null (keep all)');
  return class HindsightSyncObject {
    #ctx;
    #engine = null;
    #snapshotSeq = 0;          // the seq of the stored snapshot (0: none)
    #loading = null;
    #ids = new Map();          // commit id -> its server seq, for the kept history
    #bases = new Map();        // server seq -> the base its commit was made on, for the kept history
    #forgotten = new Map();    // origin -> ranges of the counters of its ids older than the kept history
    #forgottenLoose = new Set(); // the other ids older than the kept history (not origin.counter)
    #durableHead = 0;          // the last seq in storage: pulls and pokes never go past it
    #waiting = [];             // pushes not yet applied: { body, permissions, resolve, reject }
    #draining = false;         // a group of pushes is being applied and stored

    constructor(ctx) { this.#ctx = ctx; }

    async fetch(request) {
      try {
        const auth = JSON.parse(request.headers.get(AUTH_HEADER) ?? 'null');
        if (!auth) throw new BadRequest(401, 'UNAUTHORIZED', 'the request did not come through the sync Worker');
        const verb = new URL(request.url).pathname.split('/').pop();
        const engine = await this.#load();
        if (verb === 'ws') return this.#accept(request, engine);
        if (verb === 'pull') return Response.json(this.#pull(engine, new URL(request.url).searchParams, auth.permissions));
        if (verb === 'snapshot') return Response.json(this.#snapshotFor(engine, auth.permissions));
        if (verb === 'push') {
          if (request.method !== 'POST') throw new BadRequest(400, 'BAD_REQUEST', 'push is a POST');
          const body = await this.#body(request);
          const answer = new Promise((resolve, reject) => this.#waiting.push({ body, permissions: auth.permissions, resolve, reject }));
          if (!this.#draining) this.#drain();
          return Response.json(await answer);
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
        const storage = this.#ctx.storage;
        const snapshot = await storage.get('snapshot');
        if (snapshot) {
          const chunks = [];
          for (let i = 0; i < snapshot.chunks; i += 128) {
            const got = await storage.get(Array.from({ length: Math.min(128, snapshot.chunks - i) }, (_, k) => chunkKey(snapshot.seq, i + k)));
            for (let k = i; k < Math.min(i + 128, snapshot.chunks); k++) chunks.push(got.get(chunkKey(snapshot.seq, k)));
          }
          engine.loadText(chunks.join(''));
          engine.setOrigin('server');
          this.#snapshotSeq = snapshot.seq;
        }
        const stored = await storage.list({ prefix: 'c:', start: key(this.#snapshotSeq + 1) });
        const texts = [...stored.values()];
        engine.replayTexts(texts);
        this.#ids = idsOf(engine);
        this.#bases = new Map([...(await storage.list({ prefix: 'b:', start: baseKey(engine.oldest() + 1) }))].map(([k, base]) => [Number(k.slice(2)), base]));
        this.#forgotten = new Map([...(await storage.list({ prefix: 'o:' }))].map(([k, ranges]) => [k.slice(2), ranges]));
        this.#forgottenLoose = new Set([...(await storage.list({ prefix: 'i:' })).keys()].map((k) => k.slice(2)));
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

    /* Group commit: the pushes that arrived while the last group was being stored are
       applied together, in arrival order, and stored in one transaction (one fsync on the
       Node server); each is answered only once that transaction is durable. */
    async #drain() {
      this.#draining = true;
      try {
        while (this.#waiting.length) {
          const group = this.#waiting.splice(0, MAX_GROUP_PUSHES);
          try {
            const answers = await this.#push(group);
            group.forEach((p, i) => p.resolve(answers[i]));
          } catch (error) {
            for (const p of group) p.reject(error);
          }
        }
      } finally {
        this.#draining = false;
      }
    }

    /* Applies each push's commits in order on the current state, then appends every accepted
       commit of the group in one storage transaction; one answer per push. */
    async #push(group) {
      const engine = await this.#load();
      const answers = [], appended = [];
      const seen = new Map();   // id -> seq, for the commits this group accepted
      const bases = new Map();   // seq -> base, for the commits this group accepted
      for (const { body, permissions } of group) {
        const results = [];
        for (const commit of body.commits) {
          const result = this.#one(engine, commit, permissions, seen, appended);
          if (result.status === 'accepted') bases.set(result.seq, baseOf(commit.base) ?? baseOf(body.base));
          results.push(result);
        }
        answers.push(results);
      }
      if (appended.length) {
        const records = JSON.parse(`[${engine.commitsText(appended[0], appended[appended.length - 1], MAX_SEQ).slice(1, -1)}]`);
        const texts = appended.map((seq, i) => [seq, JSON.stringify(records[i])]);
        try {
          await this.#ctx.storage.transaction(async (txn) => {
            for (const [seq, text] of texts) {
              await txn.put(key(seq), text);
              if (bases.get(seq) !== null) await txn.put(baseKey(seq), bases.get(seq));
            }
            await txn.put('head', appended[appended.length - 1]);
          });
        } catch (error) {
          // The engine holds commits storage does not: drop it, the next request reloads.
          engine.close();
          this.#engine = null;
          throw error;
        }
        for (const [id, seq] of seen) this.#ids.set(id, seq);
        for (const [seq, base] of bases) if (base !== null) this.#bases.set(seq, base);
        this.#durableHead = engine.seq();
        this.#poke(engine.seq());
        if (this.#durableHead - this.#snapshotSeq >= snapshotEvery) {
          // The log stays the truth when this fails: the next push tries again.
          await this.#writeSnapshot(engine).catch(() => {});
        }
      }
      return answers.map((results) => ({ protocol: PROTOCOL_VERSION, head: this.#durableHead, results }));
    }

    /* One pushed commit's result; an accepted one's seq goes to appended (and seen). */
    #one(engine, commit, permissions, seen, appended) {
      const problem = commitProblem(commit);
      if (problem) return { id: String(commit?.id ?? ''), status: 'rejected', code: 'BAD_COMMIT', reason: problem };
      const known = this.#ids.get(commit.id) ?? seen.get(commit.id);
      if (known === undefined && this.#isForgotten(commit.id)) {
        // Accepted long ago, its record no longer kept: a retry (its content cannot be compared).
        return { id: commit.id, status: 'duplicate', seq: engine.oldest() };
      }
      if (known !== undefined) {
        const record = JSON.parse(engine.commitsText(known, known, 1))[0];
        return this.#contentOf(engine, record, true) === this.#contentOf(engine, commit, false)
          ? { id: commit.id, status: 'duplicate', seq: known }
          : { id: commit.id, status: 'rejected', code: 'ID_REUSED', reason: `id ${commit.id} is already in the log (seq ${known}) with other content` };
      }
      const verdict = this.#apply(engine, commit, permissions, seen);
      if (verdict.seq) { appended.push(verdict.seq); seen.set(commit.id, verdict.seq); }
      return { id: commit.id, ...verdict };
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

    /* True when id was accepted before the kept history starts (so it is no longer in #ids). */
    #isForgotten(id) {
      const split = splitId(id);
      if (!split) return this.#forgottenLoose.has(id);
      const ranges = this.#forgotten.get(split[0]);
      return ranges !== undefined && inRanges(ranges, split[1]);
    }

    /* Before the kept history moves past them: the ids of the commits after the current
       start up to horizon are stored as forgotten ids (per origin, ranges of counters), so a
       retry of any of them is still known. Stored before the trim, so a failure trims nothing. */
    async #rememberIds(engine, horizon) {
      const byOrigin = new Map(), loose = [];
      for (const { id } of JSON.parse(engine.commitInfoText(engine.oldest() + 1, horizon))) {
        const split = splitId(id);
        if (!split) { loose.push(id); continue; }
        if (!byOrigin.has(split[0])) byOrigin.set(split[0], []);
        byOrigin.get(split[0]).push(split[1]);
      }
      const entries = Object.fromEntries(loose.map((id) => [looseKey(id), true]));
      const merged = new Map();
      for (const [origin, counters] of byOrigin) {
        merged.set(origin, addCounters(this.#forgotten.get(origin) ?? [], counters));
        entries[originKey(origin)] = merged.get(origin);
      }
      const keys = Object.keys(entries);
      for (let i = 0; i < keys.length; i += 128) {
        await this.#ctx.storage.put(Object.fromEntries(keys.slice(i, i + 128).map((k) => [k, entries[k]])));
      }
      for (const [origin, ranges] of merged) this.#forgotten.set(origin, ranges);
      for (const id of loose) this.#forgottenLoose.add(id);
    }

    /* Trims the kept history to keepCommits (remembering the ids it drops), stores the state
       (and the kept history) at the head in chunks, then deletes the previous snapshot and
       the log it covers. */
    async #writeSnapshot(engine) {
      const storage = this.#ctx.storage;
      const head = engine.seq();
      if (keepCommits !== null && head - keepCommits > engine.oldest()) {
        await this.#rememberIds(engine, head - keepCommits);
        engine.setHorizon(head - keepCommits);
        this.#ids = idsOf(engine);
        for (const seq of this.#bases.keys()) if (seq <= engine.oldest()) this.#bases.delete(seq);
      }
      const text = engine.dumpText();
      const chunks = [];
      for (let i = 0; i < text.length; i += CHUNK_CHARS) chunks.push(text.slice(i, i + CHUNK_CHARS));
      for (let i = 0; i < chunks.length; i += 128) {
        const entries = {};
        for (let k = i; k < Math.min(i + 128, chunks.length); k++) entries[chunkKey(head, k)] = chunks[k];
        await storage.put(entries);
      }
      const previous = await storage.get('snapshot');
      await storage.put('snapshot', { seq: head, chunks: chunks.length, horizon: engine.oldest() });
      this.#snapshotSeq = head;
      const covered = [...(await storage.list({ prefix: 'c:', end: key(head + 1) })).keys()];
      if (previous) for (let k = 0; k < previous.chunks; k++) covered.push(chunkKey(previous.seq, k));
      // The bases of the commits retention dropped go with the log, once the snapshot is stored.
      covered.push(...(await storage.list({ prefix: 'b:', end: baseKey(engine.oldest() + 1) })).keys());
      for (let i = 0; i < covered.length; i += 128) await storage.delete(covered.slice(i, i + 128));
    }

    /* GET snapshot: the state where the kept history starts, as a DeltaTraceDB dict holding
       only the collections the user may read; a new client starts there and pulls after it
       (so every revert the server accepts, which goes back no further, replays there too).
       seq 0 (and db null): the whole log is kept, pull from the start. */
    #snapshotFor(engine, permissions) {
      const seq = engine.oldest();
      if (seq === 0) return { protocol: PROTOCOL_VERSION, seq: 0, head: this.#durableHead, db: null };
      const db = JSON.parse(engine.toDictTextAt(seq));
      if (permissions !== null) {
        const perms = JSON.parse(permissions);
        for (const name of Object.keys(db.collections ?? {})) {
          const allows = Object.prototype.hasOwnProperty.call(perms, name) ? perms[name].allows : [];
          if (!READ_TYPES_LIST.some((t) => allows.includes(t))) delete db.collections[name];
        }
      }
      return { protocol: PROTOCOL_VERSION, seq, head: this.#durableHead, db };
    }

    #pull(engine, params, permissions) {
      const after = Number(params.get('after') ?? 0);
      const limit = Math.min(MAX_PULL_COMMITS, Number(params.get('limit') ?? MAX_PULL_COMMITS));
      if (!Number.isInteger(after) || after < 0 || !Number.isInteger(limit) || limit < 1) throw new BadRequest(400, 'BAD_REQUEST', 'after must be a seq and limit a positive integer');
      // A push may be between applying and storing its commits: what is not stored is not sent.
      const head = this.#durableHead;
      if (after < engine.oldest()) throw new BadRequest(410, 'TOO_OLD', `the server keeps the commits after seq ${engine.oldest()} only; start again from GET snapshot`);
      if (after >= head) return { protocol: PROTOCOL_VERSION, head, cursor: Math.min(after, head), more: false, commits: [] };
      const page = JSON.parse(engine.commitsText(after + 1, head, limit));
      const cursor = page.length ? page[page.length - 1].seq : head;
      const commits = visibleCommits(engine, page, permissions).map((c) => (this.#bases.has(c.seq) ? { ...c, base: this.#bases.get(c.seq) } : c));
      return { protocol: PROTOCOL_VERSION, head, cursor, more: cursor < head, commits };
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
