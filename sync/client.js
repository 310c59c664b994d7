/*
 * client.js: the sync client: a Database whose commits go to a sync server (protocol.js) and
 * whose state follows the server's one order, with local commits pending on top.
 *
 * Owns: the push/pull loop (a pull the server refuses as TOO_OLD starts the mirror again from
 * its snapshot), reconnection with backoff, the WebSocket that tells it to pull, and the
 * state (offline, connecting, pulling, pushing, in sync, error). The cursor is the store's.
 * The Database is opened here over a SyncStore (client-store.js), which is how pulled commits
 * and rebases reach it: the state becomes server commits + pending commits replayed, ids,
 * times and causes kept.
 * Commit statuses (commitStatus, subscribeCommitStatus): what the store knows of each commit
 * (client-store.js statusOf), and 'acknowledged' for a pending commit the server has accepted
 * but this client has not pulled back yet; listeners hear of a change after the round (or
 * the local commit) that made it.
 * Must stay true: a commit leaves pending only when the server answers for it (rejected:
 * reported through onRejected, and the state rebuilt without it) or when it comes back in a
 * pull; the cursor moves only after the pulled commits are in the mirror, and only forward (a
 * pulled commit at or below it is one the mirror has: skipped); one loop runs at a time.
 */
import { Database } from '../js/database.js';
import { Engine } from '../js/engine.js';
import { loadEngine } from '../js/wasm-loader.js';
import { HindsightError, ErrorCode } from '../js/errors.js';
import { SyncStore } from './client-store.js';
import { PROTOCOL_VERSION, DB_NAME } from './protocol.js';

const MAX_BACKOFF_MS = 5000;

class SyncHttpError extends Error {
  constructor(status, body) { super(body?.error?.message ?? `HTTP ${status}`); this.status = status; this.code = body?.error?.code ?? 'HTTP'; }
}

export class SyncClient {
  db = null;
  state = 'connecting';
  #url; #name; #token; #options;
  #store; #channel; #socket = null;
  #running = null; #again = false; #timer = null; #failures = 0; #closed = false;
  #needRebuild = false;
  #acked = new Map();         // id -> server seq, for commits the server accepted but this client may not read back
  #statusListeners = new Set();
  #statusSeen = -1;           // the store's statusVersion + #ackedVersion when listeners last heard
  #ackedVersion = 0;

  /* options: url (the Worker's origin), name (the database), token, wasm, pushBatch,
     onRejected({ id, code, reason, query }), onStateChange(state), onError(error),
     onCommitStatus() (as subscribeCommitStatus),
     WebSocket (a constructor; default globalThis.WebSocket; none: HTTP polling only),
     pollMs (the HTTP fallback period, default 5000), fetch (default globalThis.fetch),
     database: extra Database.open options, state: where the sync state (pulled commits,
     cursor, pending commits) is kept between runs, a SyncState: fileSyncState(dir) from
     'hindsight-db/node', or await indexedDBSyncState(name); without it, a closed client
     forgets its pending commits.
     A SyncState: load() -> { cursor, serverCommits, pending } | null; saveServer(commits,
     cursor, pending) (appends, atomically with the cursor); savePending(pending, cursor);
     close(). */
  static async open(options) {
    const client = new SyncClient(options);
    await client.#open();
    return client;
  }

  constructor(options) {
    if (!options || typeof options.url !== 'string') throw new HindsightError(ErrorCode.INVALID_ARGUMENT, 'sync needs { url, name, token }');
    if (!DB_NAME.test(options.name ?? '')) throw new HindsightError(ErrorCode.INVALID_ARGUMENT, 'sync: name must be 1 to 128 of A-Z a-z 0-9 _ . -');
    this.#url = options.url.replace(/\/$/, '');
    this.#name = options.name;
    this.#token = options.token ?? '';
    this.#options = options;
  }

  async #open() {
    const mirror = new Engine(await loadEngine(this.#options.wasm));
    mirror.setOrigin('mirror');
    // Each client gets its own channel name: the Database's catch-up is triggered through it.
    const localName = `sync:${this.#name}:${Math.random().toString(36).slice(2)}`;
    this.#store = new SyncStore(mirror, {
      onAppend: () => { this.#notifyStatus(); this.#kick(); },
      onDropped: (p, error) => this.#reject({ id: p.id, code: 'NO_LONGER_APPLIES', reason: error.message, query: p.query }),
      state: this.#options.state ?? null,
    });
    await this.#store.restore();
    this.db = await Database.open({
      ...this.#options.database, wasm: this.#options.wasm, name: localName, storage: this.#store,
      locks: { request: (_name, fn) => fn() }, snapshotEvery: 2 ** 31, snapshotBytes: 2 ** 50,
      onRebase: (report) => {
        // A local commit the Database had not written yet that no longer applies on the server's order.
        for (const d of report.dropped) this.#reject({ id: d.id, code: 'NO_LONGER_APPLIES', reason: d.reason });
        this.#options.database?.onRebase?.(report);
      },
    });
    this.#store.db = this.db;
    if (this.#options.onCommitStatus) this.#statusListeners.add(this.#options.onCommitStatus);
    this.#statusSeen = this.#statusVersion();
    this.#channel = new BroadcastChannel(`hindsight:${localName}`);
    this.#connectSocket();
    this.#kick();
  }

  get pending() { return this.#store.pending.map((p) => p.id); }

  /* Where commit id stands, or null when this client does not know it (never seen, rejected,
     or older than what it keeps): { status, serverSeq?, base, origin, own }.
     status: 'pending' (not acknowledged by the server yet), 'acknowledged' (in the server's
     order: serverSeq), 'rebased' (acknowledged, and between its base and its serverSeq lies
     a commit of someone else: it landed after commits its maker had not seen; known once
     this client has pulled it back). base: the server seq its maker had pulled when it was
     made (its original parent; null when the server did not say), origin: its id's origin,
     own: made by this client. Kept with the sync state: a reopened client answers the same. */
  commitStatus(id) {
    const status = this.#store.statusOf(id);
    if (status?.status === 'pending' && this.#acked.has(id)) return { ...status, status: 'acknowledged', serverSeq: this.#acked.get(id) };
    return status;
  }

  /* listener() runs whenever commit statuses may have changed; returns the unsubscribe. */
  subscribeCommitStatus(listener) {
    if (typeof listener !== 'function') throw new HindsightError(ErrorCode.INVALID_ARGUMENT, 'subscribeCommitStatus needs a function');
    this.#statusListeners.add(listener);
    return () => { this.#statusListeners.delete(listener); };
  }

  #statusVersion() { return this.#store.statusVersion + this.#ackedVersion; }

  #notifyStatus() {
    const version = this.#statusVersion();
    if (version === this.#statusSeen) return;
    this.#statusSeen = version;
    for (const listener of [...this.#statusListeners]) {
      try { listener(); } catch (error) { this.#options.onError?.(error); }
    }
  }

  /* The last server seq pulled (examined). */
  get cursor() { return this.#store?.cursor ?? 0; }

  #setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.#options.onStateChange?.(state);
  }

  #reject(info) {
    try { this.#options.onRejected?.(info); } catch (error) { this.#options.onError?.(error); }
  }

  async #request(path, init = {}) {
    const response = await (this.#options.fetch ?? fetch)(`${this.#url}/v1/${this.#name}/${path}`, {
      ...init, headers: { authorization: `Bearer ${this.#token}`, 'content-type': 'application/json', ...init.headers },
    });
    const body = await response.json().catch(() => null);
    if (!response.ok || !body || body.error) throw new SyncHttpError(response.status, body);
    return body;
  }

  /* Runs the loop now (or once more after the running one). Resolves when it has run. */
  #kick() {
    if (this.#closed) return Promise.resolve();
    if (this.#running) { this.#again = true; return this.#running; }
    if (this.#timer) { clearTimeout(this.#timer); this.#timer = null; }
    this.#running = this.#loop().finally(() => { this.#running = null; });
    return this.#running;
  }

  async #loop() {
    try {
      await this.#rounds();
    } finally {
      this.#notifyStatus();
    }
  }

  async #rounds() {
    do {
      this.#again = false;
      try {
        await this.db.flush();               // the Database's unwritten commits reach pending
        let rebuild = false;
        if (this.#store.pending.length) rebuild = (await this.#push()) || rebuild;
        rebuild = (await this.#pull()) || rebuild;
        if (rebuild) this.#needRebuild = true;   // kept until done: a failed round must not forget it
        if (this.#needRebuild) { await this.#rebuild(); this.#needRebuild = false; }
        this.#failures = 0;
      } catch (error) {
        if (this.#closed) return;
        this.#failures++;
        this.#setState(error instanceof SyncHttpError && error.status < 500 ? 'error' : 'offline');
        this.#options.onError?.(error);
        this.#schedule(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.#failures, 6)));
        return;
      }
    } while (this.#again && !this.#closed);
    if (this.#inSync()) {
      this.#setState('in sync');
    }
    this.#schedule(this.#options.pollMs ?? 5000);
  }

  /* Nothing pending and the Database holds exactly the server commits it may read. */
  #inSync() { return !this.#store.pending.length && this.db.seq === this.#store.mirrorSeq; }

  #schedule(ms) {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => { this.#timer = null; this.#kick(); if (!this.#socket) this.#connectSocket(); }, ms);
  }

  /* Sends the pending commits; true when the state must be rebuilt (a rejection). */
  async #push() {
    this.#setState('pushing');
    const batch = this.#store.pending.slice(0, this.#options.pushBatch ?? 500);
    const body = await this.#request('push', { method: 'POST', body: JSON.stringify({ protocol: PROTOCOL_VERSION, base: this.cursor, commits: batch }) });
    const rejected = [];
    for (const r of body.results) {
      if (r.status === 'rejected') {
        rejected.push(r.id);
        this.#reject({ id: r.id, code: r.code, reason: r.reason, query: batch.find((c) => c.id === r.id)?.query });
      } else {
        this.#acked.set(r.id, r.seq);
        this.#ackedVersion++;
      }
    }
    await this.#store.dropPending(rejected);
    return rejected.length > 0;
  }

  /* Brings the commits after the cursor into the mirror; true when the state must be rebuilt. */
  async #pull() {
    this.#setState('pulling');
    let rebuild = false;
    for (;;) {
      let body;
      try {
        body = await this.#request(`pull?after=${this.cursor}`);
      } catch (error) {
        if (!(error instanceof SyncHttpError && error.code === 'TOO_OLD')) throw error;
        // The server no longer keeps the commits after our cursor (or we are new and it
        // keeps only the latest): start again from its snapshot, pending kept on top.
        const snapshot = await this.#request('snapshot');
        await this.#store.startFrom({ seq: snapshot.seq, db: snapshot.db });
        rebuild = true;
        continue;
      }
      // An answer delivered again (a duplicated or replayed pull) may hold commits the
      // mirror already has: only those after the cursor are new, and the cursor never goes back.
      const commits = body.commits.filter((c) => c.seq > this.cursor);
      const ids = commits.map((c) => c.id);
      this.#store.addServerCommits(commits);
      if (!this.#store.takeAcknowledgedPrefix(ids)) {
        this.#store.dropPending(ids);   // kept by pulled() just below
        rebuild = true;
      }
      for (const id of ids) this.#acked.delete(id);
      await this.#store.pulled(commits, Math.max(this.cursor, body.cursor));
      if (!body.more) break;
    }
    // Accepted commits this user may not read never come back: they leave pending here.
    const unseen = [...this.#acked].filter(([, seq]) => seq <= this.cursor).map(([id]) => id);
    if (unseen.length) {
      for (const id of unseen) this.#acked.delete(id);
      await this.#store.dropPending(unseen);
      rebuild = true;
    }
    return rebuild;
  }

  async #rebuild() {
    const taken = this.#store.requestRebuild();
    this.#channel.postMessage({ type: 'commit', seq: Number.MAX_SAFE_INTEGER });
    await taken;
  }

  #connectSocket() {
    const WS = this.#options.WebSocket === undefined ? globalThis.WebSocket : this.#options.WebSocket;
    if (!WS || this.#closed) return;
    const url = `${this.#url.replace(/^http/, 'ws')}/v1/${this.#name}/ws?token=${encodeURIComponent(this.#token)}`;
    let socket;
    try { socket = new WS(url); } catch { return; }
    this.#socket = socket;
    socket.onmessage = (event) => {
      let message = null;
      try { message = JSON.parse(String(event.data)); } catch { /* not ours */ }
      if (message?.type === 'poke' && message.head > this.cursor) this.#kick();
    };
    socket.onclose = () => {
      if (this.#socket === socket) this.#socket = null;
      this.#schedule(Math.min(MAX_BACKOFF_MS, 200 * 2 ** Math.min(this.#failures, 5)));
    };
    socket.onerror = () => {};
  }

  /* Resolves when nothing is pending and the last pull brought nothing new (retrying while
     the server cannot be reached). */
  async synced() {
    for (;;) {
      await this.sync();
      if (this.#closed || (this.state === 'in sync' && this.#inSync())) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /* Pushes and pulls now; resolves when that round has run. */
  sync() { this.#again = true; return this.#kick(); }

  async close() {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    try { this.#socket?.close(); } catch { /* already closed */ }
    await this.#running;
    this.#channel?.close();
    await this.db?.close();
  }
}

/* The Database of a synced client: SyncClient.open(options), with options as there. */
export function openSyncedDatabase(options) {
  return SyncClient.open(options);
}
