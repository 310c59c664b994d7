/*
 * history-export.js: the history as one JSON-able object (db.exportHistory) and back
 * (Database.importHistory).
 *
 * Owns the export format: { className: 'HindsightHistory', version, base: { seq, time, db },
 * commits: [{ seq, id, time, cause, query }] }. Version 2 is written; versions 1 (no commit
 * ids) and 2 are read. A revert to a state older than the base travels with the collections
 * it changed (query.state), since the base cannot replay it. Invariants: an import refuses,
 * with INVALID_ARGUMENT and before any database exists, what no real history holds (seqs
 * out of order, reverts outside 0..seq-1, times going backwards in commits without an id
 * (a commit with an id keeps its time, as synced and rebased ones do) or outside the Date range,
 * empty transactions, duplicate or unprintable ids, causes that are not JSON); a record the
 * engine cannot replay is INVALID_ARGUMENT too, and the half-built database is closed.
 */
import { HindsightError, ErrorCode } from './errors.js';
import { invalid, REVERT_CLASS, MAX_SEQ, DATE_MAX_MS } from './database-core.js';
import { commits } from './time-travel.js';

export const HISTORY_CLASS = 'HindsightHistory';
const HISTORY_VERSION = '2';
const READABLE_VERSIONS = new Set(['1', '2']);

/* A time given as ms or an ISO string, checked: a Date-range number. */
function timeMs(value, what) {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms) || Math.abs(ms) > DATE_MAX_MS) throw invalid(`${what}: time ${String(value)} is not a time in the Date range`);
  return ms;
}

/* ms of a time string, as Date.parse reads it. ISO strings as toISOString writes them
   (YYYY-MM-DDTHH:MM:SS.sssZ) mostly share their second with the one before: then only the
   milliseconds are read (Date.parse per commit was a few percent of an import). */
let parsedPrefix = '', parsedSecondMs = NaN;
function parseTime(s) {
  if (s.length === 24 && s.charCodeAt(23) === 90 && s.charCodeAt(19) === 46) {
    const d0 = s.charCodeAt(20) - 48, d1 = s.charCodeAt(21) - 48, d2 = s.charCodeAt(22) - 48;
    if (d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) {
      const ms = d0 * 100 + d1 * 10 + d2;
      if (parsedPrefix !== '' && s.startsWith(parsedPrefix)) return parsedSecondMs + ms;
      const t = Date.parse(s);
      if (Number.isFinite(t)) { parsedPrefix = s.slice(0, 20); parsedSecondMs = t - ms; }
      return t;
    }
  }
  return Date.parse(s);
}

/* The history of core's database from its oldest kept commit. */
export function exportHistory(core) {
  const engine = core.live();
  const base = core.oldest();
  const baseTime = engine.timeOf(base);
  return {
    className: HISTORY_CLASS,
    version: HISTORY_VERSION,
    base: { seq: base, time: baseTime === null ? null : new Date(baseTime).toISOString(), db: JSON.parse(engine.toDictTextAt(base)) },
    commits: commits(core, { from: base + 1 }).map((c) => exportable(engine, c, base)),
  };
}

/* A revert to a state older than the exported base cannot be replayed from the base, so
   it travels with the collections it changed, as they were after it. */
function exportable(engine, commit, base) {
  const q = commit.query;
  if (q?.className !== REVERT_CLASS || q.toSeq >= base || q.state) return commit;
  const before = JSON.parse(engine.toDictTextAt(commit.seq - 1)).collections;
  const after = JSON.parse(engine.toDictTextAt(commit.seq)).collections;
  const state = Object.create(null);   // keyed by user data: a collection may be named __proto__
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[name]) !== JSON.stringify(after[name])) {
      state[name] = after[name] ? { data: after[name].data, serialNum: after[name].serialNum } : null;
    }
  }
  return { ...commit, query: { ...q, state: { collections: state, order: Object.keys(after) } } };
}

const PRINTABLE_ID = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,128}$/;   // printable ASCII but '"' and '\\'

/* Which ids were seen. Most ids are origin "." counter, the counter rising per origin
   (js/database-core.js): while every id so far is such an id with a higher counter than its
   origin's last, all are different and no set is needed (a set of 100,000 ids cost a
   third of the import's checks). The first id that is not builds the set of all before it. */
class IdCheck {
  constructor() {
    this.all = null;                 // Set of every id so far, once an id broke the pattern
    this.lastCounter = new Map();    // origin -> its last counter, while none has
    this.origin = '';                // the last id's origin and counter (a cache of the map)
    this.counter = -1;
  }

  /* Whether id (commits[at].id) is not among the ids of commits[0..at). */
  isNew(id, commits, at) {
    if (this.all === null) {
      // The counter: the digits after the last '.' (an id gives one counter, so different
      // counters mean different ids, leading zeros or not).
      let k = id.length - 1, counter = 0, scale = 1;
      for (let code = id.charCodeAt(k); k >= 0 && code >= 48 && code <= 57; code = id.charCodeAt(--k)) {
        counter += (code - 48) * scale;
        scale *= 10;
      }
      const digits = id.length - 1 - k;
      if (k >= 1 && id.charCodeAt(k) === 46 && digits > 0 && digits <= 15) {
        if (k === this.origin.length && id.startsWith(this.origin)) {
          if (counter > this.counter) { this.counter = counter; return true; }
        } else {
          const origin = id.slice(0, k);
          if (this.origin !== '') this.lastCounter.set(this.origin, this.counter);
          if (counter > (this.lastCounter.get(origin) ?? -1)) { this.origin = origin; this.counter = counter; return true; }
        }
      }
      this.all = new Set();
      for (let j = 0; j < at; j++) if (commits[j].id !== undefined) this.all.add(commits[j].id);
    }
    const size = this.all.size;
    this.all.add(id);
    return this.all.size !== size;
  }
}

/* The exported commits as the engine's records lists, UTF-8 bytes for engine.replayBytes
   (versions 1 and 2: an id is kept when given). One pass checks each commit and writes
   pieces of RECORDS_PER_TEXT records, each with one JSON.stringify (a stringify and a
   template per commit cost more than the engine's replay of it), encoded at once: a piece's
   record objects and text die young instead of 100,000 of them outliving scavenges until
   the replay (that promotion was most of the import's garbage collection). The lists are
   about LIST_BYTES each: one list of 100,000 records grew the wasm memory by its ~20 MB
   (page faults) and was a 25 MB buffer in JS. */
const RECORDS_PER_TEXT = 128;
const LIST_BYTES = 1 << 20;
const encoder = new TextEncoder();
function importRecords(history, baseSeq) {
  const commitList = history.commits;
  if (!commitList.length) return null;
  const lists = [];
  let list = new RecordBytes(LIST_BYTES + (LIST_BYTES >> 2));
  const piece = [];
  const ids = new IdCheck();
  let expected = baseSeq + 1, last = -Infinity;
  for (let i = 0; i < commitList.length; i++) {
    const c = commitList[i];
    if (c === null || typeof c !== 'object') throw invalid(`importHistory: commit ${expected} is not an object`);
    if (c.seq !== expected) throw invalid(`importHistory: commit ${expected}: expected seq ${expected}, found ${c.seq}`);
    const q = c.query;
    if (q === null || typeof q !== 'object' || Array.isArray(q)) throw invalid(`importHistory: commit ${expected}: query must be an object`);
    if (Array.isArray(q.queries) && q.queries.length === 0) throw invalid(`importHistory: commit ${expected}: a transaction with no queries is not a commit`);
    if (q.className === REVERT_CLASS && !q.state) {
      if (!Number.isInteger(q.toSeq) || q.toSeq < 0 || q.toSeq >= c.seq) throw invalid(`importHistory: commit ${expected}: a revert must go back to a seq from 0 to ${c.seq - 1}, got ${q.toSeq}`);
    }
    let time = null;
    const given = c.time;
    if (given !== null && given !== undefined) {
      time = typeof given === 'number' ? given : typeof given === 'string' ? parseTime(given) : NaN;
      if (!Number.isFinite(time) || Math.abs(time) > DATE_MAX_MS) timeMs(given, `importHistory: commit ${expected}`);   // throws the message
      // A commit with an id keeps the time it was made at, as the engine does on replay: a
      // synced or rebased history may go back in time (time lookups use the running latest).
      if (time < last && c.id === undefined) throw invalid(`importHistory: commit ${expected}: its time ${new Date(time).toISOString()} is before the previous commit's`);
      if (time > last) last = time;
    }
    const id = c.id;
    if (id !== undefined) {
      if (typeof id !== 'string' || !PRINTABLE_ID.test(id)) throw invalid(`importHistory: commit ${expected}: id must be a printable string`);
      if (!ids.isNew(id, commitList, i)) throw invalid(`importHistory: commit ${expected}: id ${id} appears twice`);
    }
    // No seq (checked above; the engine applies records in order) and no null cause (the
    // engine reads a missing one as null): less to write and to read back per record.
    piece.push({ id, time, cause: c.cause ?? undefined, query: q });
    expected++;
    if (piece.length === RECORDS_PER_TEXT || i === commitList.length - 1) {
      list.append(pieceText(piece));
      piece.length = 0;
      if (list.at >= LIST_BYTES && i < commitList.length - 1) {
        lists.push(list.finish());
        list = new RecordBytes(LIST_BYTES + (LIST_BYTES >> 2));
      }
    }
  }
  lists.push(list.finish());
  return lists;
}

/* The list [piece,piece,...] as UTF-8 bytes, each piece encoded as soon as it is written, so
   its text dies young (100,000 records' texts kept until the replay were promoted and copied
   by the garbage collector: more than encoding them twice). */
class RecordBytes {
  constructor(capacity) {
    this.bytes = new Uint8Array(capacity);
    this.at = 0;
  }

  append(text) {
    const need = this.at + 3 * text.length + 2;   // a comma or bracket, the UTF-8 worst case, ']'
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.bytes.length));
      grown.set(this.bytes.subarray(0, this.at));
      this.bytes = grown;
    }
    this.bytes[this.at] = this.at === 0 ? 0x5b : 0x2c;   // '[' before the first, ',' between
    this.at++;
    this.at += encoder.encodeInto(text, this.bytes.subarray(this.at)).written;
  }

  finish() {
    this.bytes[this.at++] = 0x5d;   // ]
    return this.bytes.subarray(0, this.at);
  }
}

/* One piece's records as JSON without the brackets; a cause that cannot be written (it is
   the caller's data) is refused naming its commit. */
function pieceText(piece) {
  try {
    return JSON.stringify(piece).slice(1, -1);
  } catch (error) {
    for (const r of piece) {
      try { JSON.stringify(r.cause); } catch (e) { throw invalid(`importHistory: commit ${r.seq}: cause cannot be written as JSON: ${e.message}`); }
    }
    throw error;
  }
}

/* Checks an exported history: { baseDict, baseSeq, baseTime, records } to build it from
   (records: the engine's records lists, in order, as bytes for engine.replayBytes, or null
   when there are no commits). */
export function readHistory(history) {
  if (!history || history.className !== HISTORY_CLASS || !history.base || typeof history.base !== 'object' || !Array.isArray(history.commits)) {
    throw invalid(`importHistory needs a ${HISTORY_CLASS} object (from exportHistory)`);
  }
  if (!READABLE_VERSIONS.has(history.version)) throw invalid(`importHistory reads versions 1 and 2, not ${history.version}`);
  const { base } = history;
  const baseSeq = base.seq ?? 0;
  if (!Number.isInteger(baseSeq) || baseSeq < 0 || baseSeq + history.commits.length > MAX_SEQ) throw invalid(`importHistory: base.seq must be a seq, got ${base.seq}`);
  const baseTime = base.time === null || base.time === undefined ? null : timeMs(base.time, 'importHistory: base');
  const records = importRecords(history, baseSeq);
  const first = history.commits[0];
  if (baseTime !== null && first && first.time !== null && first.time !== undefined && timeMs(first.time, 'importHistory') < baseTime) {
    throw invalid('importHistory: the first commit is older than the base');
  }
  return { baseDict: base.db ?? { collections: {} }, baseSeq, baseTime, records };
}

/* Puts the checked history's commits on top of core's database, which holds its base
   state; the caller closes the database when this throws. */
export async function applyHistory(core, { baseSeq, baseTime, records }) {
  const engine = core.engine;
  if (baseSeq) engine.setBase(baseSeq);
  engine.setBaseTime(baseTime);
  if (records !== null) {
    try {
      for (const list of records) engine.replayBytes(list);
    } catch (error) {
      if (error instanceof HindsightError && error.code === ErrorCode.CORRUPT) throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `importHistory: ${error.message}`, { cause: error });
      throw error;
    }
  }
  await core.persistence?.snapshot();
}
