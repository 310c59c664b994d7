/*
 * client-store.js: the store (js/stores/store.js) a synced Database writes to, and the way
 * the sync client changes that Database's state without touching js/database.js.
 *
 * Owns: the mirror (an engine holding exactly the server commits this client may read, in
 * server order, with their ids, times and causes), the pending list (the local commits the
 * server has not acknowledged, as the Database's own record texts, in order), the cursor, and
 * keeping all three between runs through a SyncState (sync/state-file.js in Node,
 * sync/state-indexeddb.js in browsers) when the client has one: a reopened client starts as
 * the kept mirror plus the kept pending commits, and pushes those. The mirror may start from
 * a server snapshot (startFrom: a new client, or a cursor older than the server keeps).
 * How a rebase reaches the Database: the Database is opened as a shared store's writer (its
 * multi-tab machinery, js/persistence.js); when the client asks for a rebuild, the next
 * readSince answers with a snapshot of the mirror plus the pending records that still apply on
 * it, and the Database's #rebase replays its own unwritten commits on top, ids kept. When
 * nothing is pending and the Database holds exactly the mirror's first commits, the answer is
 * only the mirror's newer records (no snapshot: the Database forks itself and replays them).
 * Where each commit was made and how it landed (statusOf): a pending commit records its base
 * (the cursor when it was made: its original parent) and pushes it; a server commit keeps the
 * base the server sends, whether this client made it ("own", kept with it), and whether it
 * was rebased: acknowledged, and between its base and its server seq lies a commit of
 * someone else (for this client's own commits: any commit it did not make; for others':
 * any commit of another origin, since this client cannot tell their devices apart; a
 * commit this client cannot read, or older than its mirror, counts as someone else's).
 * Must stay true: every local commit is either in pending, acknowledged by the server, or
 * reported as dropped; the Database's append resolves only once pending is kept; the cursor
 * is kept only with (after) the pulled commits it passes; readSince never returns records that do not replay (each is tried on a
 * fork of the mirror first); the Database's durableSeq only grows, so commits it has not
 * written yet but whose seq is at or below it are taken into pending here (the rebase would
 * not see them).
 */
import { encodeSnapshot } from '../js/persistence.js';
import { Engine } from '../js/engine.js';
import { REVERT_CLASS } from './protocol.js';

const isSeqRevert = (q) => q?.className === REVERT_CLASS && q.state === undefined;
/* The origin of an engine id ("<origin>.<counter>"), or null for any other id. */
export const originOf = (id) => /^(.+)\.(0|[1-9][0-9]*)$/.exec(id)?.[1] ?? null;
const recordText = (seq, r) => JSON.stringify({ seq, id: r.id, time: r.time ?? null, cause: r.cause ?? null, query: r.query });

export class SyncStore {
  #mirror;
  #rebuild = false;
  #writtenSeq = 0;          // the seq of the last record the Database appended (after a rebuild: what it holds)
  #alignedSeq = 0;          // the Database's commits 1..alignedSeq are the mirror's 1..alignedSeq
  #onAppend;
  #onDropped;
  #rebuilt = [];            // resolvers waiting for the next rebuild to be taken
  #serverSeqs = [];         // the server seq of each mirror commit (mirror seq i + 1), ascending
  #mirrorIds = new Map();   // commit id -> mirror seq
  #serverMeta = [];         // { id, own, origin, originRun, ownRun } of each mirror commit, beside #serverSeqs
                            // (originRun / ownRun: the index where its run of one origin / of own commits starts)
  #landed = new Map();      // commit id -> { serverSeq, base, own, rebased }, for the mirror's commits
  statusVersion = 0;        // grows whenever a commit's status may have changed
  pending = [];             // [{ id, time, cause, query, toId? }] (toId: a revert's target, by id)
  db = null;                // set once the Database is open

  cursor = 0;               // the last server seq pulled (examined)
  #state;                   // where the sync state is kept between runs (SyncState), or null

  constructor(mirror, { onAppend, onDropped, state = null }) {
    this.#mirror = mirror;
    this.#onAppend = onAppend;
    this.#onDropped = onDropped;
    this.#state = state;
  }

  /* Takes back the kept sync state (before the Database opens over this store). */
  async restore() {
    const kept = await this.#state?.load();
    if (!kept) return;
    if (kept.base) this.#startMirror(kept.base);
    this.addServerCommits(kept.serverCommits);
    this.cursor = kept.cursor;
    this.pending = kept.pending;
  }

  /* The Database opens as the mirror plus the pending commits (restored ones, or none). */
  async open() {
    if (!this.#mirror.seq() && !this.pending.length) return { snapshot: null, records: [], warnings: [] };
    const { snapshot, records } = this.#mirrorPlusPending();
    await this.#savePending();
    return { snapshot, records, warnings: [] };
  }

  /* The mirror starts again as the server's snapshot (GET snapshot: { seq, db }); pending
     stays, and the Database must be rebuilt. Kept before it returns. */
  async startFrom(base) {
    this.#startMirror(base);
    this.#alignedSeq = -1;   // the Database holds none of the new mirror: a whole rebuild
    await this.#state?.saveServer([], base.seq, this.pending, base);
    this.cursor = base.seq;
  }

  #startMirror({ seq, db }) {
    const mirror = new Engine(this.#mirror.wasm);
    try {
      mirror.setOrigin('mirror');
      mirror.fromDictText(JSON.stringify(db));
      mirror.setBase(seq);
    } catch (error) {
      mirror.close();
      throw error;
    }
    this.#mirror.close();
    this.#mirror = mirror;
    this.#serverSeqs = [];
    this.#serverMeta = [];
    this.#mirrorIds = new Map();
    this.#landed = new Map();
    this.statusVersion++;
  }

  #savePending() { return this.#state ? this.#state.savePending(this.pending, this.cursor) : Promise.resolve(); }

  /* After a pull: the pulled commits are in the mirror (addServerCommits) and pending has
     been trimmed; keeps both with the new cursor, then moves the cursor. */
  async pulled(commits, cursor) {
    await this.#state?.saveServer(commits, cursor, this.pending);
    this.cursor = cursor;
  }

  async append(records) {
    for (const { seq, text } of records) {
      const r = JSON.parse(text);
      const record = this.#pendingRecord(r);
      const at = this.pending.findIndex((p) => p.id === r.id);
      if (at >= 0) record.base = this.pending[at].base;   // where it was first made stays
      if (at >= 0) this.pending[at] = record; else this.pending.push(record);
      this.statusVersion++;
      this.#writtenSeq = seq;
    }
    await this.#savePending();   // the Database's flush resolves once its commits are kept
    this.#onAppend();
  }

  /* A local commit as it is pushed: a revert also names its target by id (protocol.js). */
  #pendingRecord({ id, time, cause, query }) {
    const record = { id, time: time ?? null, cause: cause ?? null, query, base: this.cursor };
    if (isSeqRevert(query)) record.toId = query.toSeq > 0 ? this.db?.commits({ from: query.toSeq, to: query.toSeq })[0]?.id ?? null : null;
    return record;
  }

  async writeSnapshot() { /* the mirror and pending are the state; nothing else to keep */ }

  async close() {
    this.#mirror.close();
    await this.#state?.close();
  }

  get mirrorSeq() { return this.#mirror.seq(); }

  /* Appends server commits (in server order) to the mirror. A commit still pending here is
     this client's own: it is marked so (c.own = true, kept with it by the SyncState). */
  addServerCommits(commits) {
    if (!commits.length) return;
    const pendingIds = new Set(this.pending.map((p) => p.id));
    for (const c of commits) if (pendingIds.has(c.id)) c.own = true;
    this.statusVersion++;
    const base = this.#mirror.seq();
    const texts = commits.map((c, i) => {
      // A revert's toSeq is a server seq: the mirror holds only what this user may read.
      const query = isSeqRevert(c.query) ? { ...c.query, toSeq: this.#mirrorSeqAt(c.query.toSeq) } : c.query;
      this.#land(c);
      this.#serverSeqs.push(c.seq);
      this.#serverMeta.push(this.#metaOf(c));
      this.#mirrorIds.set(c.id, base + i + 1);
      return recordText(base + i + 1, { ...c, query });
    });
    this.#mirror.replayTexts(texts);
  }

  /* Records how server commit c landed (before it joins #serverSeqs: the commits before it are there). */
  #land(c) {
    const base = Number.isSafeInteger(c.base) ? c.base : null;
    let rebased = false;
    if (base !== null && c.seq > base + 1) {
      const from = this.#indexAfter(base), to = this.#indexAfter(c.seq - 1);   // mirror commits in (base, seq)
      if (to - from < c.seq - base - 1) {
        rebased = true;   // some commit between is not in the mirror: not readable here, or older than it
      } else if (to > from) {
        // Someone else's commit lies between unless the run that ends at to - 1 (of own
        // commits, or of c's origin) reaches back to from: O(1), not a walk of the span.
        const last = this.#serverMeta[to - 1];
        rebased = c.own === true ? !(last.own && last.ownRun <= from) : !(last.origin === originOf(c.id) && last.originRun <= from);
      }
    }
    this.#landed.set(c.id, { serverSeq: c.seq, base, own: c.own === true, rebased });
  }

  /* The #serverMeta entry of server commit c, appended after the entries before it. */
  #metaOf(c) {
    const i = this.#serverMeta.length, prev = this.#serverMeta[i - 1];
    const own = c.own === true, origin = originOf(c.id);
    return {
      id: c.id, own, origin,
      originRun: prev && prev.origin === origin ? prev.originRun : i,
      ownRun: own && prev?.own ? prev.ownRun : i,
    };
  }

  /* The index in #serverSeqs of the first server seq above seq. */
  #indexAfter(seq) {
    let lo = 0, hi = this.#serverSeqs.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.#serverSeqs[mid] <= seq) lo = mid + 1; else hi = mid; }
    return lo;
  }

  /* Where commit id stands: { status: 'pending' | 'acknowledged' | 'rebased', serverSeq?, base,
     origin, own } (base: the server seq it was made on, null when unknown), or null for an id
     this client does not know (never seen, rejected, or older than its mirror). */
  statusOf(id) {
    const landed = this.#landed.get(id);
    if (landed) return { status: landed.rebased ? 'rebased' : 'acknowledged', serverSeq: landed.serverSeq, base: landed.base, origin: originOf(id), own: landed.own };
    const p = this.pending.find((c) => c.id === id);
    if (p) return { status: 'pending', base: Number.isSafeInteger(p.base) ? p.base : null, origin: originOf(id), own: true };
    return null;
  }

  /* The mirror seq whose state is the server's at serverSeq (as far as this user sees it). */
  #mirrorSeqAt(serverSeq) {
    let lo = 0, hi = this.#serverSeqs.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.#serverSeqs[mid] <= serverSeq) lo = mid + 1; else hi = mid; }
    return this.#mirror.oldest() + lo;   // oldest: the snapshot the mirror started from (0: none)
  }

  /* True when the first pending commits are exactly `ids` (our own, acknowledged in order):
     the Database already holds that state, so they leave pending without a rebuild. */
  takeAcknowledgedPrefix(ids) {
    if (ids.length > this.pending.length || ids.some((id, i) => this.pending[i].id !== id)) return false;
    this.pending.splice(0, ids.length);
    this.statusVersion++;
    if (this.#alignedSeq === this.#mirror.seq() - ids.length) this.#alignedSeq = this.#mirror.seq();
    return true;
  }

  /* Removes ids from pending; resolves when that is kept. */
  dropPending(ids) {
    if (!ids.length) return Promise.resolve();
    const gone = new Set(ids);
    this.pending = this.pending.filter((p) => !gone.has(p.id));
    this.statusVersion++;
    return this.#savePending();
  }

  /* Asks that the Database be rebuilt as mirror + pending at its next catch-up. Resolves once
     readSince has handed the rebuild over (the rebase runs right after). */
  requestRebuild() {
    this.#rebuild = true;
    return new Promise((resolve, reject) => this.#rebuilt.push({ resolve, reject }));
  }

  async readSince(seq) {
    if (!this.#rebuild) return { snapshot: null, records: [] };
    this.#rebuild = false;
    try {
      return await this.#rebuildAnswer(seq);
    } catch (error) {
      // The waiters fail with it (the client retries), rather than wait for ever.
      for (const { reject } of this.#rebuilt.splice(0)) reject(error);
      throw error;
    }
  }

  async #rebuildAnswer(seq) {
    if (seq > this.#writtenSeq && this.db) {
      // Unwritten local commits at or below the Database's durableSeq: the rebase skips them.
      for (const c of this.db.commits({ from: this.#writtenSeq + 1, to: seq })) {
        if (!this.pending.some((p) => p.id === c.id)) this.pending.push(this.#pendingRecord({ id: c.id, time: Date.parse(c.time), cause: c.cause, query: c.query }));
      }
    }
    const mirror = this.#mirror;
    if (!this.pending.length && seq === this.#writtenSeq && seq === this.#alignedSeq) {
      // The Database holds exactly the mirror's first seq commits: the new ones are enough.
      const records = JSON.parse(mirror.commitsText(seq + 1, 0xffffffff, 0xffffffff)).map((c) => ({ seq: c.seq, text: JSON.stringify(c) }));
      this.#writtenSeq = this.#alignedSeq = mirror.seq();
      this.#handedOver();
      return { snapshot: null, records };
    }
    const answer = this.#mirrorPlusPending();
    await this.#savePending();
    this.#handedOver();
    return answer;
  }

  /* The state as a snapshot of the mirror plus the pending records that still apply on it
     (the others are reported dropped and leave pending). */
  #mirrorPlusPending() {
    const mirror = this.#mirror;
    const scratch = mirror.fork(mirror.seq());
    const records = [], kept = [];
    try {
      const keptSeqs = new Map();   // id -> seq on the scratch, for the pending commits kept so far
      for (const p of this.pending) {
        if (isSeqRevert(p.query)) {
          // Its target moves with the rebase: find it again by id.
          const toSeq = p.toId === null || p.toId === undefined ? 0 : keptSeqs.get(p.toId) ?? this.#mirrorIds.get(p.toId);
          if (toSeq === undefined) { this.#onDropped(p, new Error(`the commit this revert goes back to (${p.toId}) is gone`)); continue; }
          p.query = { ...p.query, toSeq };
        }
        const text = recordText(scratch.seq() + 1, p);
        try {
          scratch.replay(`[${text}]`);
        } catch (error) {
          this.#onDropped(p, error);
          continue;
        }
        kept.push(p);
        keptSeqs.set(p.id, scratch.seq());
        records.push({ seq: scratch.seq(), text });
      }
    } finally {
      scratch.close();
    }
    if (kept.length !== this.pending.length) this.statusVersion++;
    this.pending = kept;
    this.#writtenSeq = mirror.seq() + kept.length;
    this.#alignedSeq = mirror.seq();
    const snapshot = { seq: mirror.seq(), text: encodeSnapshot({ format: 2, seq: mirror.seq(), retention: null, horizon: 0 }, mirror.dumpText()) };
    return { snapshot, records };
  }

  /* The rebase runs as soon as readSince's answer is taken: wake the waiters just after. */
  #handedOver() {
    const waiting = this.#rebuilt.splice(0);
    setTimeout(() => { for (const { resolve } of waiting) resolve(); }, 0);
  }
}
