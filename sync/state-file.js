/*
 * state-file.js: where a Node sync client keeps its sync state between runs (the SyncState
 * interface of sync/client.js): the server commits it pulled, its cursor, and its pending
 * commits, in a folder of its own. Exported to users from 'hindsight-db/node' (it needs
 * node:fs, so sync/index.js, which Workers and browsers load, does not import it).
 *
 * Files: server.jsonl, one pulled server commit a line ({ seq, id, time, cause, query, base?,
 * own? }: base as the server sent it, own: made by this client; lines without them load),
 * appended; state.json, { cursor, pending, base }, replaced whole (written to a temporary
 * file, fsynced, renamed); base: the server snapshot ({ seq, db }) the mirror started from.
 * Must stay true: pulled commits reach server.jsonl (fsynced) before state.json names a
 * cursor past them, so a crash between the two leaves lines after the cursor, which load()
 * drops (and a torn last line); saves run one at a time, in the order they were asked for.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { keptCommit } from './state-indexeddb.js';

export class FileSyncState {
  #dir;
  #queue = Promise.resolve();
  #base = null;              // the server snapshot the mirror started from ({ seq, db }), or null

  constructor(dir) { this.#dir = dir; }

  #file(name) { return path.join(this.#dir, name); }

  /* Runs fn after every save asked for before it. */
  #turn(fn) {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  /* { cursor, serverCommits, pending }, or null when nothing was kept yet. */
  async load() {
    await mkdir(this.#dir, { recursive: true });
    let state;
    try {
      state = JSON.parse(await readFile(this.#file('state.json'), 'utf8'));
    } catch (error) {
      if (error.code === 'ENOENT') return null;
      throw error;
    }
    let lines = [];
    try {
      lines = (await readFile(this.#file('server.jsonl'), 'utf8')).split('\n');
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
    this.#base = state.base ?? null;
    const serverCommits = [];
    let clean = true;
    for (const line of lines) {
      if (!line) continue;
      let commit = null;
      try { commit = JSON.parse(line); } catch { /* a torn last line */ }
      if (!commit || commit.seq > state.cursor) { clean = false; break; }
      if (this.#base && commit.seq <= this.#base.seq) { clean = false; continue; }   // before a newer base
      serverCommits.push(commit);
    }
    if (!clean) await this.#rewrite(serverCommits);
    return { cursor: state.cursor, serverCommits, pending: state.pending ?? [], base: this.#base };
  }

  async #rewrite(commits) {
    await this.#replace('server.jsonl', commits.map((c) => `${JSON.stringify(c)}\n`).join(''));
  }

  async #replace(name, text) {
    const temporary = this.#file(`${name}.tmp`);
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.#file(name));
  }

  /* Appends pulled commits, then records the cursor past them (with the pending list). With
     base (a server snapshot the mirror starts again from): state.json names it first, then
     the older commits go (load skips any left at or before base.seq). */
  saveServer(commits, cursor, pending, base) {
    return this.#turn(async () => {
      if (base) {
        this.#base = base;
        await this.#replace('state.json', this.#stateText(cursor, pending));
        await this.#rewrite([]);
      }
      if (commits.length) {
        const handle = await open(this.#file('server.jsonl'), 'a');
        try {
          await handle.writeFile(commits.map((c) => `${JSON.stringify(keptCommit(c))}\n`).join(''));
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
      await this.#replace('state.json', this.#stateText(cursor, pending));
    });
  }

  #stateText(cursor, pending) { return JSON.stringify({ cursor, pending, base: this.#base }); }

  /* Replaces the pending list, keeping the cursor. */
  savePending(pending, cursor) {
    return this.#turn(() => this.#replace('state.json', this.#stateText(cursor, pending)));
  }

  async close() { await this.#queue; }
}

/* A FileSyncState in dir (created when missing). */
export function fileSyncState(dir) {
  if (typeof dir !== 'string' || !dir) throw new TypeError('fileSyncState needs a folder path');
  return new FileSyncState(dir);
}
