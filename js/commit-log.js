/*
 * commit-log.js: what Hindsight remembers about each commit beside the engine's versions:
 * its time, its cause and the query that made it, and how a point in time maps to a seq.
 *
 * Owns the array of commit records, kept in seq order and dense: entries[i].seq is
 * firstSeq + i. Invariants: times never go backwards (a clock that does is clamped to the
 * previous time); records at or before the retention horizon are dropped together with
 * the engine's history, and the base (the state at the horizon) keeps its own time.
 */
import { HindsightError, ErrorCode } from './errors.js';


export class CommitLog {
  constructor(clock, baseSeq = 0, baseTime = null) {
    this.clock = clock;
    this.baseSeq = baseSeq;      // the state every kept commit builds on
    this.baseTime = baseTime;    // ms, or null when unknown (a new database: "the beginning")
    this.entries = [];           // { seq, time, causeText, queryText }
    this.lastTime = baseTime ?? -Infinity;
  }

  /* The time for a new commit: the clock, but never before the previous commit. */
  nextTime() {
    const now = Number(this.clock());
    // A clock that fails (throws is left to the caller; NaN, Infinity) counts as "no time
    // passed": the commit has already happened in the engine and must be recorded.
    if (Number.isFinite(now)) this.lastTime = Math.max(now, this.lastTime);
    if (!Number.isFinite(this.lastTime)) this.lastTime = 0;
    return this.lastTime;
  }

  /* Records a commit. The cause is kept as JSON text: a copy the caller cannot change later. */
  append(seq, cause, queryText, time = this.nextTime()) {
    this.lastTime = Math.max(this.lastTime, time);
    this.entries.push({ seq, time, causeText: cause === null || cause === undefined ? null : JSON.stringify(cause), queryText });
  }

  get length() { return this.entries.length; }

  /* The store's record of commit seq (persistence.js): its time, cause and query, as JSON
     text assembled from the texts already kept, without parsing them again. */
  recordText(seq) {
    const e = this.entry(seq);
    return `{"seq":${seq},"time":${e.time},"cause":${e.causeText ?? 'null'},"query":${e.queryText}}`;
  }

  entry(seq) {
    const first = this.entries.length ? this.entries[0].seq : this.baseSeq + 1;
    return this.entries[seq - first];
  }

  timeOf(seq) {
    if (seq === this.baseSeq) return this.baseTime;
    return this.entry(seq)?.time ?? null;
  }

  causeOf(seq) {
    const text = this.entry(seq)?.causeText;
    return text ? JSON.parse(text) : null;
  }

  list({ from = -Infinity, to = Infinity, limit = Infinity } = {}) {
    const out = [];
    for (const e of this.entries) {
      if (e.seq < from) continue;
      if (e.seq > to || out.length >= limit) break;
      out.push(this.toPublic(e));
    }
    return out;
  }

  toPublic(e) {
    return { seq: e.seq, time: new Date(e.time).toISOString(), cause: e.causeText ? JSON.parse(e.causeText) : null, query: JSON.parse(e.queryText) };
  }

  /* The seq of the last commit at or before timeMs (binary search over nondecreasing times). */
  seqAtTime(timeMs) {
    let lo = 0, hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].time <= timeMs) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) return this.entries[lo - 1].seq;
    // Before every kept commit: the base, when it is known to be that old.
    if (this.baseTime === null ? this.baseSeq === 0 : timeMs >= this.baseTime) return this.baseSeq;
    throw new HindsightError(ErrorCode.TOO_OLD, `${new Date(timeMs).toISOString()} is older than the kept history`);
  }

  /* Forgets the commits at or before seq h, which becomes the base. */
  dropThrough(h) {
    if (h <= this.baseSeq) return;
    const time = this.timeOf(h);
    const first = this.entries.length ? this.entries[0].seq : h + 1;
    this.entries.splice(0, Math.max(0, h - first + 1));
    this.baseSeq = h;
    this.baseTime = time;
  }

  /* What a snapshot keeps of the log (persistence.js). */
  toJSON() {
    return { baseSeq: this.baseSeq, baseTime: this.baseTime, lastTime: Number.isFinite(this.lastTime) ? this.lastTime : null,
      entries: this.entries.map((e) => [e.seq, e.time, e.causeText, e.queryText]) };
  }

  static fromJSON(clock, json) {
    const log = new CommitLog(clock, json.baseSeq, json.baseTime);
    log.entries = json.entries.map(([seq, time, causeText, queryText]) => ({ seq, time, causeText, queryText }));
    if (json.lastTime !== null && json.lastTime !== undefined) log.lastTime = json.lastTime;
    return log;
  }

  /* A copy holding the commits up to seq s (for fork). */
  sliceThrough(s) {
    const copy = new CommitLog(this.clock, this.baseSeq, this.baseTime);
    copy.entries = this.entries.filter((e) => e.seq <= s);
    copy.lastTime = copy.entries.length ? copy.entries[copy.entries.length - 1].time : (this.baseTime ?? -Infinity);
    return copy;
  }
}
