/*
 * file-storage.js: the part of a Durable Object's transactional storage API that
 * sync/object.js uses (get, put, delete, list, transaction), kept in one folder in Node,
 * for the self-hosted sync server (sync/node-server.js).
 *
 * Files: journal.jsonl, one line per write batch ({ put: [[key, value]...], del: [keys] }),
 * appended and fsynced before the call resolves; compacted (the whole map written to a
 * temporary file, fsynced, renamed) when it has grown past what it holds.
 * Must stay true: a batch (a put of several keys, a transaction) reaches the journal as one
 * line, so a crash keeps all of it or none (a torn last line is dropped on load); keys list
 * in order; values are copied as JSON, as structured clone would keep them.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';

const clone = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

export class FileStorage {
  #dir;
  #map = new Map();
  #lines = 0;
  #queue = Promise.resolve();

  constructor(dir) { this.#dir = dir; }

  static async open(dir) {
    const storage = new FileStorage(dir);
    await storage.#load();
    return storage;
  }

  #file(name) { return path.join(this.#dir, name); }

  async #load() {
    await mkdir(this.#dir, { recursive: true });
    let text = '';
    try { text = await readFile(this.#file('journal.jsonl'), 'utf8'); } catch (error) { if (error.code !== 'ENOENT') throw error; }
    for (const line of text.split('\n')) {
      if (!line) continue;
      let batch;
      try { batch = JSON.parse(line); } catch { break; }   // a torn last line
      this.#apply(batch);
      this.#lines++;
    }
  }

  #apply({ put = [], del = [] }) {
    for (const key of del) this.#map.delete(key);
    for (const [key, value] of put) this.#map.set(key, value);
  }

  /* Appends one batch to the journal (fsynced), then applies it. */
  #write(batch) {
    const run = this.#queue.then(async () => {
      const handle = await open(this.#file('journal.jsonl'), 'a');
      try {
        await handle.writeFile(`${JSON.stringify(batch)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      this.#apply(batch);
      if (++this.#lines > 1000 && this.#lines > 2 * this.#map.size) await this.#compact();
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  async #compact() {
    const temporary = this.#file('journal.jsonl.tmp');
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(`${JSON.stringify({ put: [...this.#map] })}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.#file('journal.jsonl'));
    this.#lines = 1;
  }

  async get(keys) {
    await this.#queue;
    if (Array.isArray(keys)) return new Map(keys.filter((k) => this.#map.has(k)).map((k) => [k, clone(this.#map.get(k))]));
    return clone(this.#map.get(keys));
  }

  put(key, value) {
    const entries = typeof key === 'object' ? Object.entries(key) : [[key, value]];
    return this.#write({ put: entries.map(([k, v]) => [k, clone(v)]) });
  }

  delete(keys) {
    return this.#write({ del: Array.isArray(keys) ? keys : [keys] });
  }

  /* { prefix, start, end } as Durable Objects take them (end excluded), in key order. */
  async list({ prefix = '', start, end } = {}) {
    await this.#queue;
    const keys = [...this.#map.keys()].filter((k) => k.startsWith(prefix) && (start === undefined || k >= start) && (end === undefined || k < end)).sort();
    return new Map(keys.map((k) => [k, clone(this.#map.get(k))]));
  }

  /* fn(txn): txn.put / txn.get / txn.delete; the writes reach the journal as one batch when
     fn resolves, none of them when it throws. */
  async transaction(fn) {
    const put = new Map(), del = new Set();
    const txn = {
      get: async (key) => (put.has(key) ? clone(put.get(key)) : del.has(key) ? undefined : this.get(key)),
      put: async (key, value) => { del.delete(key); put.set(key, clone(value)); },
      delete: async (key) => { put.delete(key); del.add(key); },
    };
    const result = await fn(txn);
    await this.#write({ put: [...put], del: [...del] });
    return result;
  }
}
