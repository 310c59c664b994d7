/*
 * engine.js: one engine handle and the text that crosses the wasm boundary.
 *
 * Owns: the hs_db pointer. Each call encodes its JSON texts into wasm memory, calls C once,
 * and decodes the one JSON text C wrote (snapshots cross as UTF-8 bytes, undecoded; in Node a
 * large all-ASCII output is copied as Latin-1, the same text, instead of decoded; a big add's
 * documents cross as the storage format's bytes, written by js/doc-encoder.js).
 * Invariants: every wasm allocation made here is freed in the same call (try/finally); views
 * over memory are taken after the call, or after the allocation, since either may have grown
 * (and so detached) the old buffer; the output's bytes are changed only while a slice of it is decoded, and put
 * back before anything else can read them (#slicedValue); every engine result code maps to
 * the HindsightError code of the same name (ENGINE_CODES, c/hindsight.h's hs_rc), with the
 * engine's message.
 */
import { HindsightError, ErrorCode } from './errors.js';
import { encodeDocuments, NOT_ENCODED } from './doc-encoder.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/* hs_rc (c/hindsight.h) -> ErrorCode, one to one. */
export const ENGINE_CODES = Object.freeze({
  1: ErrorCode.INVALID_ARGUMENT, 2: ErrorCode.NOMEM, 3: ErrorCode.INTERNAL, 4: ErrorCode.TOO_OLD,
  5: ErrorCode.CORRUPT, 6: ErrorCode.INTERNAL,
});

/* hs_rc HS_MISUSE: hs_db_execute_docs's answer to a query not of the plain add's shape. */
const HS_MISUSE = 3;

/* Node's Buffer (absent in browsers and Deno, so nothing is imported): an ASCII output at
   least LATIN1_COPY_BYTES long becomes a string by a Latin-1 copy, 40x faster than UTF-8
   decoding (same text: ASCII is both). Smaller outputs are not worth the ASCII check. */
const NodeBuffer = globalThis.Buffer;
const LATIN1_COPY_BYTES = 1 << 16;

/* Output larger than this is released after reading, so one huge result does not pin memory. */
const KEEP_OUTPUT_BYTES = 1 << 20;

export class Engine {
  constructor(exports, handle = exports.hsw_db_open()) {
    this.wasm = exports;
    this.handle = handle;
    if (!this.handle) throw new HindsightError(ErrorCode.NOMEM, 'the engine could not allocate a database');
  }

  /* Copies text into wasm memory and runs fn(ptr, len); frees the copy afterwards. text: a
     string, or an iterable of string parts to concatenate, such as queryParts's SlicedText,
     whose parts are made as they are copied (its lengthHint sizes the first allocation). */
  withText(text, fn) {
    return typeof text === 'string' ? this.#withString(text, fn) : this.#withParts(text, fn);
  }

  #withString(text, fn) {
    const w = this.wasm;
    const length = text.length;
    // Most JSON is ASCII: try a tight buffer first and fall back to the UTF-8 worst case.
    let capacity = length + 16;
    for (;;) {
      const ptr = w.hsw_alloc(capacity);
      if (!ptr) throw new HindsightError(ErrorCode.NOMEM, `out of memory allocating ${capacity} bytes for the input`);
      try {
        const { read, written } = encoder.encodeInto(text, new Uint8Array(w.memory.buffer, ptr, capacity));
        if (read === length) return fn(ptr, written);
      } finally {
        w.hsw_free(ptr);
      }
      capacity = length * 3 + 16;
    }
  }

  /* Each part is encoded where the last one ended; a part that does not fit moves what is
     written into an allocation twice as big (or big enough for the part as UTF-8). */
  #withParts(parts, fn) {
    const w = this.wasm;
    let ptr = 0, capacity = 0, written = 0;
    const allocate = (bytes) => {
      ptr = this.#moveInput(ptr, written, bytes);
      capacity = bytes;
    };
    try {
      for (const part of parts) {
        if (!ptr) allocate(Math.max(parts.lengthHint ?? 0, part.length) + 16);
        for (;;) {
          const done = encoder.encodeInto(part, new Uint8Array(w.memory.buffer, ptr + written, capacity - written));
          if (done.read === part.length) { written += done.written; break; }
          allocate(Math.max(capacity * 2, written + part.length * 3 + 16));
        }
      }
      if (!ptr) allocate(16);
      return fn(ptr, written);
    } finally {
      if (ptr) w.hsw_free(ptr);
    }
  }

  /* A new input allocation of `bytes` holding the `written` first bytes of the one at ptr (0:
     none), which is freed. For inputs written as they are made (#withParts, #runDocuments). */
  #moveInput(ptr, written, bytes) {
    const w = this.wasm;
    const bigger = w.hsw_alloc(bytes);
    if (!bigger) throw new HindsightError(ErrorCode.NOMEM, `out of memory allocating ${bytes} bytes for the input`);
    if (ptr) {
      new Uint8Array(w.memory.buffer).copyWithin(bigger, ptr, ptr + written);
      w.hsw_free(ptr);
    }
    return bigger;
  }

  /* Copies bytes (UTF-8 JSON) into wasm memory and runs fn(ptr, len): no decoding or encoding. */
  withBytes(bytes, fn) {
    const w = this.wasm;
    const ptr = w.hsw_alloc(bytes.length + 1);
    if (!ptr) throw new HindsightError(ErrorCode.NOMEM, `out of memory allocating ${bytes.length} bytes for the input`);
    try {
      new Uint8Array(w.memory.buffer, ptr, bytes.length).set(bytes);
      return fn(ptr, bytes.length);
    } finally {
      w.hsw_free(ptr);
    }
  }

  /* The output as UTF-8 bytes after `prefix` (bytes): one copy out of wasm memory, no decoding. */
  outputBytes(prefix) {
    const w = this.wasm;
    const ptr = w.hsw_output_ptr(this.handle), len = w.hsw_output_len(this.handle);
    const bytes = new Uint8Array(prefix.length + len);
    bytes.set(prefix);
    bytes.set(new Uint8Array(w.memory.buffer, ptr, len), prefix.length);
    if (len > KEEP_OUTPUT_BYTES) w.hsw_release_output(this.handle);
    return bytes;
  }

  output() {
    const w = this.wasm;
    const ptr = w.hsw_output_ptr(this.handle), len = w.hsw_output_len(this.handle);
    const text = len >= LATIN1_COPY_BYTES && NodeBuffer && w.hsw_output_ascii(this.handle)
      ? NodeBuffer.from(w.memory.buffer, ptr, len).toString('latin1')
      : decoder.decode(new Uint8Array(w.memory.buffer, ptr, len));
    if (len > KEEP_OUTPUT_BYTES) w.hsw_release_output(this.handle);
    return text;
  }

  check(rc) {
    if (rc === 0) return;
    const text = this.output();
    const code = ENGINE_CODES[rc] ?? ErrorCode.INTERNAL;
    let message = null;
    try { message = JSON.parse(text).error ?? null; } catch { /* not an {"error"} text */ }
    // Out of memory can strike after a result was written (a failed transaction's): one message.
    if (typeof message !== 'string' || !message) message = code === ErrorCode.NOMEM ? 'the engine ran out of memory; the database is unchanged' : text;
    throw new HindsightError(code, message);
  }

  /* Runs texts (null entries are passed as (0, 0)) in wasm memory: fn(ptr0, len0, ptr1, len1, ...). */
  withTexts(texts, fn, args = []) {
    if (args.length === texts.length * 2) return fn(...args);
    const text = texts[args.length / 2];
    if (text === null || text === undefined) return this.withTexts(texts, fn, [...args, 0, 0]);
    return this.withText(text, (p, l) => this.withTexts(texts, fn, [...args, p, l]));
  }

  /* metaText: {"time", "cause", "id"} of the commit the query may make (c/commits.c), or a
     function giving it, called once the query's text is in wasm memory (a big add's
     documents are checked as they are copied: a refused one never gets as far as the
     caller's clock). Returns the result's JSON text. */
  execute(queryText, permissionsText, metaText = null) {
    this.#run(queryText, permissionsText, metaText);
    return this.output();
  }

  /* The same, returning the parsed result (see outputValue). */
  executeValue(queryText, permissionsText, metaText = null) {
    this.#run(queryText, permissionsText, metaText);
    return this.outputValue();
  }

  #run(queryText, permissionsText, metaText) {
    const w = this.wasm;
    // A read without permissions (the common query): one copy and one call, no argument lists.
    if (permissionsText === null && metaText === null) this.withText(queryText, (qp, ql) => this.check(w.hsw_execute(this.handle, qp, ql, 0, 0, 0, 0)));
    else {
      if (permissionsText === null && queryText.documents !== undefined) {
        const sent = this.#runDocuments(queryText, metaText);
        if (sent === true) return;
        metaText = sent;   // the meta it asked for, or metaText as it was
      }
      this.withText(queryText, (qp, ql) => this.withTexts([permissionsText, typeof metaText === 'function' ? metaText() : metaText],
        (pp, pl, mp, ml) => this.check(w.hsw_execute(this.handle, qp, ql, pp, pl, mp, ml))));
    }
  }

  /* A big plain add, with or without a serialKey (SlicedText's documents and zeroText,
     js/query-checks.js), whose documents cross in the engine's storage format
     (js/doc-encoder.js), not as JSON text: an add of
     100,000 speed-test documents skips a JSON.stringify of 15 MB, its UTF-8 encoding and the
     engine's parse. Returns true when it ran, or else the meta to send with the text (the
     string metaText gave if it was asked, so the caller's clock is asked once): the
     documents hold something only the text path may write or refuse, or the engine found the
     query not to be of the plain shape (HS_MISUSE, nothing changed). */
  #runDocuments(sliced, metaText) {
    const w = this.wasm;
    if (typeof w.hsw_execute_docs !== 'function') return metaText;
    const items = sliced.documents;
    let ptr = 0, capacity = 0;
    /* Room for needed more bytes: 256 kB first, then twice as much, or what the share written
       so far says the whole will take (so a big add moves its first 256 kB once, not its
       megabytes), whichever is more. */
    const grow = (used, needed, fractionDone) => {
      const written = ptr ? used - ptr : 0;
      const forecast = fractionDone > 0.01 ? Math.ceil(written / fractionDone * 1.15) : 0;
      const bytes = Math.max(capacity * 2, written + needed + 4096, forecast, ptr ? 0 : 1 << 18);
      ptr = this.#moveInput(ptr, written, bytes);
      capacity = bytes;
      // Views after the allocation, which may have grown (and so detached) the memory.
      return [new Uint8Array(w.memory.buffer), new DataView(w.memory.buffer), ptr + written, ptr + capacity];
    };
    try {
      const end = encodeDocuments(items, [...grow(0, 0, 0), grow]);
      if (end === NOT_ENCODED) return metaText;
      const meta = typeof metaText === 'function' ? metaText() : metaText;
      const rc = this.withTexts([sliced.zeroText, meta], (qp, ql, mp, ml) => w.hsw_execute_docs(this.handle, qp, ql, mp, ml, ptr, end - ptr));
      if (rc === HS_MISUSE) return meta;
      this.check(rc);
      return true;
    } finally {
      if (ptr) w.hsw_free(ptr);
    }
  }

  /* The last execute's output as a JS value: JSON.parse of its text, except for a result with
     many documents, which the engine marks (hs_db_output_marks: the result array's brackets
     and every 256th comma between documents). Those documents are decoded and parsed a slice
     at a time: V8 parses one 15 MB text 1.2x (Node 20) to 2.7x (Chromium) slower than the
     same bytes in slices, which stay small strings in the young generation. Same value: a
     slice ends at a comma between two documents, never inside a string or a UTF-8 sequence.
     Each slice is parsed as the array it becomes when its two bounding marks are read as
     '[' and ']': those two bytes are set in the output, decoded, and put back, so no slice
     is copied into a bracketed string (bench/crossing-ab.mjs measures both ways). */
  outputValue() {
    const w = this.wasm;
    const n = w.hsw_output_marks_count(this.handle);
    return n < 2 ? JSON.parse(this.output()) : this.#slicedValue(n);
  }

  /* outputValue's slices, apart: its loop gets optimized (on stack) by V8, and a small
     result then arriving in that optimized code deoptimized it, a 3-6 ms stall measured on
     the next searchOne (node --trace-deopt). */
  #slicedValue(n) {
    const w = this.wasm;
    const ptr = w.hsw_output_ptr(this.handle), len = w.hsw_output_len(this.handle);
    const marks = new Uint32Array(w.memory.buffer, w.hsw_output_marks_ptr(this.handle), n).slice();
    const bytes = new Uint8Array(w.memory.buffer, ptr, len);
    // Marks that do not sit on the brackets and commas they name would cut a document: read the
    // text whole instead (never an error here: a write's commit is already made).
    if (bytes[marks[0]] !== 0x5b || bytes[marks[n - 1]] !== 0x5d || !marks.every((at, k) => k === 0 || k === n - 1 || bytes[at] === 0x2c)) {
      return JSON.parse(this.output());
    }
    const latin1 = NodeBuffer && w.hsw_output_ascii(this.handle) ? NodeBuffer.from(w.memory.buffer, ptr, len) : null;
    const text = (from, to) => (latin1 ? latin1.latin1Slice(from, to) : decoder.decode(bytes.subarray(from, to)));
    const value = JSON.parse(text(0, marks[0] + 1) + text(marks[n - 1], len));
    const docs = value.result;
    for (let k = 0; k + 1 < n; k++) {
      const from = marks[k], to = marks[k + 1];
      const opening = bytes[from], closing = bytes[to];
      let slice;
      try {
        bytes[from] = 0x5b;   // [
        bytes[to] = 0x5d;     // ]
        slice = text(from, to + 1);
      } finally {
        bytes[from] = opening;
        bytes[to] = closing;
      }
      const parsed = JSON.parse(slice);
      for (let i = 0; i < parsed.length; i++) docs.push(parsed[i]);
    }
    if (len > KEEP_OUTPUT_BYTES) w.hsw_release_output(this.handle);
    return value;
  }

  toDictText() {
    this.check(this.wasm.hsw_to_dict(this.handle));
    return this.output();
  }

  fromDictText(text) {
    this.withText(text, (ptr, len) => this.check(this.wasm.hsw_from_dict(this.handle, ptr, len)));
  }

  /* ---- time travel ---- */
  seq() { return this.wasm.hsw_seq(this.handle) >>> 0; }
  oldest() { return this.wasm.hsw_oldest(this.handle) >>> 0; }

  toDictTextAt(seq) {
    this.check(this.wasm.hsw_to_dict_at(this.handle, seq));
    return this.output();
  }

  /* One collection at seq with its row ids (hs_db_rows_at); name null: the names only. */
  rowsAtText(seq, name) {
    if (name === null) this.check(this.wasm.hsw_rows_at(this.handle, seq, 0, 0));
    else this.withText(name, (ptr, len) => this.check(this.wasm.hsw_rows_at(this.handle, seq, ptr, len)));
    return this.output();
  }

  setBase(seq) { this.check(this.wasm.hsw_set_base(this.handle, seq)); }
  setBaseTime(ms) { this.check(this.wasm.hsw_set_base_time(this.handle, ms ?? NaN)); }

  historyText(target, nodeText, from, to) {
    const run = (tp, tl, np, nl) => this.check(this.wasm.hsw_history(this.handle, tp, tl, np, nl, from, to));
    if (nodeText === null) this.withText(target, (tp, tl) => run(tp, tl, 0, 0));
    else this.withText(target, (tp, tl) => this.withText(nodeText, (np, nl) => run(tp, tl, np, nl)));
    return this.output();
  }

  diffText(a, b) {
    this.check(this.wasm.hsw_diff(this.handle, a, b));
    return this.output();
  }

  /* permissionsText (or null): the revert must be allowed to replace every collection it
     changes (c/access.c); refused with nothing changed. */
  revert(seq, metaText = null, permissionsText = null) {
    const w = this.wasm;
    if (permissionsText === null) this.withTexts([metaText], (mp, ml) => this.check(w.hsw_revert(this.handle, seq, mp, ml)));
    else this.withTexts([metaText, permissionsText], (mp, ml, pp, pl) => this.check(w.hsw_revert_for(this.handle, seq, mp, ml, pp, pl)));
    return this.seq();
  }

  /* Undo / redo as a new commit; the seq made, or null when there is nothing to do. */
  undo(metaText, permissionsText = null) { return this.#undoRedo('undo', metaText, permissionsText); }

  redo(metaText, permissionsText = null) { return this.#undoRedo('redo', metaText, permissionsText); }

  #undoRedo(which, metaText, permissionsText) {
    const w = this.wasm;
    if (permissionsText === null) this.withTexts([metaText], (mp, ml) => this.check(w[`hsw_${which}`](this.handle, mp, ml)));
    else this.withTexts([metaText, permissionsText], (mp, ml, pp, pl) => this.check(w[`hsw_${which}_for`](this.handle, mp, ml, pp, pl)));
    return JSON.parse(this.output()).seq;
  }

  /* ---- the commit table (c/commits.c) ---- */
  setOrigin(origin) { this.withText(origin, (p, l) => this.check(this.wasm.hsw_set_origin(this.handle, p, l))); }

  /* JSON text of [{ seq, id, time, cause, query }]; each element is also a store log record. */
  commitsText(from, to, limit) {
    this.check(this.wasm.hsw_commits(this.handle, from, to, limit));
    return this.output();
  }

  /* JSON text of [{ seq, id, time, cause }]. */
  commitInfoText(from, to) {
    this.check(this.wasm.hsw_commit_info(this.handle, from, to));
    return this.output();
  }

  seqAtTime(ms) {
    this.check(this.wasm.hsw_seq_at_time(this.handle, ms));
    return JSON.parse(this.output()).seq;
  }

  timeOf(seq) {
    this.check(this.wasm.hsw_time_of(this.handle, seq));
    return JSON.parse(this.output()).time;
  }

  /* JSON text of [{ seq, id, changes: { [collection]: { added, removed, changed } } }]. */
  changesText(since, until) {
    this.check(this.wasm.hsw_changes(this.handle, since, until));
    return this.output();
  }

  /* The whole engine state, history included, as JSON text (c/snapshot.c). */
  dumpText() {
    this.check(this.wasm.hsw_dump(this.handle));
    return this.output();
  }

  loadText(text) {
    this.withText(text, (ptr, len) => this.check(this.wasm.hsw_load(this.handle, ptr, len)));
  }

  /* dumpText's bytes (UTF-8) after prefix, and loadText from such bytes: snapshots stay bytes
     from the dump to the store and back (js/stored-snapshot.js). */
  dumpBytes(prefix = new Uint8Array(0)) {
    this.check(this.wasm.hsw_dump(this.handle));
    return this.outputBytes(prefix);
  }

  loadBytes(bytes) {
    this.withBytes(bytes, (ptr, len) => this.check(this.wasm.hsw_load(this.handle, ptr, len)));
  }

  /* Applies a JSON list of commit records ({ seq, id, time, cause, query }), each as the
     next commit with its id, time and cause. Throws CORRUPT naming the first that fails. */
  replay(text) {
    this.withText(text, (ptr, len) => this.check(this.wasm.hsw_replay(this.handle, ptr, len)));
    return this.seq();
  }

  /* The same for records given one text each (a store's log): they are written into wasm
     memory one by one, as the list [a,b,...], without joining them into one string first
     (joining and then encoding 100,000 records cost more than replaying them). */
  replayTexts(texts) {
    const w = this.wasm;
    let total = 2 + texts.length;   // the brackets and commas
    for (const t of texts) total += t.length;
    // Most records are ASCII: try a tight buffer first, then the UTF-8 worst case.
    for (let capacity = total; ; capacity = 3 * total) {
      const ptr = w.hsw_alloc(capacity);
      if (!ptr) throw new HindsightError(ErrorCode.NOMEM, `out of memory allocating ${capacity} bytes for the log`);
      try {
        const bytes = new Uint8Array(w.memory.buffer, ptr, capacity);
        let at = 0, fits = true;
        bytes[at++] = 0x5b;   // [
        for (let i = 0; i < texts.length && fits; i++) {
          if (i) bytes[at++] = 0x2c;   // ,
          const { read, written } = encoder.encodeInto(texts[i], bytes.subarray(at, capacity - 1));
          fits = read === texts[i].length;
          at += written;
        }
        if (fits) {
          bytes[at++] = 0x5d;   // ]
          this.check(w.hsw_replay(this.handle, ptr, at));
          return this.seq();
        }
      } finally {
        w.hsw_free(ptr);
      }
    }
  }

  /* Applies src's commits from..to (at most limit; src another Engine over the same wasm) as
     this engine's next commits, each keeping its id, time and cause (hs_db_replay_from);
     stops before a revert or a commit that does not apply again. Returns one text per commit
     made: '' when its record is src's but for the seq, else its record (as commitsText
     writes it). */
  replayFrom(src, from, to, limit) {
    const before = this.seq();
    this.check(this.wasm.hsw_replay_from(this.handle, src.handle, from, to, limit));
    const text = this.output();
    const made = this.seq() - before;
    const records = made === 0 ? [] : made === 1 ? [text] : text.split('\n');
    if (records.length !== made) throw new HindsightError(ErrorCode.INTERNAL, 'replayFrom: the records do not match the commits made');
    return records;
  }

  /* The same for the list given as UTF-8 bytes (importHistory's records). */
  replayBytes(bytes) {
    this.withBytes(bytes, (ptr, len) => this.check(this.wasm.hsw_replay(this.handle, ptr, len)));
    return this.seq();
  }

  /* A new Engine over a new handle holding the history up to seq. */
  fork(seq) {
    const handle = this.wasm.hsw_fork(this.handle, seq);
    if (!handle) throw new HindsightError(ErrorCode.NOMEM, 'fork: out of memory');
    return new Engine(this.wasm, handle);
  }

  setHorizon(seq) { this.check(this.wasm.hsw_set_horizon(this.handle, seq)); }

  stats() {
    this.check(this.wasm.hsw_stats(this.handle));
    return JSON.parse(this.output());
  }

  /* ---- live queries (c/live.h); each handle must be closed before this engine ---- */
  liveOpen(queryText) {
    const handle = this.withText(queryText, (ptr, len) => this.wasm.hsw_live_open(this.handle, ptr, len));
    if (handle) return handle;
    let message = null;
    try { message = JSON.parse(this.output()).error ?? null; } catch { /* not an error text: out of memory */ }
    if (message === null) throw new HindsightError(ErrorCode.NOMEM, 'the engine ran out of memory opening a live query');
    throw new HindsightError(ErrorCode.INVALID_ARGUMENT, message);
  }

  /* What changed in the live query since its last call, as live.h describes; null when
     nothing did (the output is then {"seq":S}, which has no comma: not worth decoding). */
  liveUpdate(handle) {
    const w = this.wasm;
    this.check(w.hsw_live_update(handle));
    const len = w.hsw_output_len(this.handle);
    if (len <= 24 && !new Uint8Array(w.memory.buffer, w.hsw_output_ptr(this.handle), len).includes(44)) return null;
    return JSON.parse(this.output());
  }

  /* The first output after liveOpen. */
  liveOutput() { return JSON.parse(this.output()); }

  liveClose(handle) { this.wasm.hsw_live_close(handle); }

  /* ---- planner (c/plan.h) ---- */
  /* Declares an index on field of collection target (need not exist yet); kept in dumpText.
     Returns true when it was new. */
  createIndex(target, field) {
    this.withTexts([target, field], (tp, tl, fp, fl) => this.check(this.wasm.hsw_create_index(this.handle, tp, tl, fp, fl)));
    return JSON.parse(this.output()).created;
  }

  /* The plan queryText would run with now, without running it:
     { plan: 'scan'|'equalityIndex'|'rangeIndex'|'none', field, asOf, sort: 'none'|'all'|'topK', k? }. */
  explain(queryText) {
    this.withText(queryText, (p, l) => this.check(this.wasm.hsw_explain(this.handle, p, l)));
    return JSON.parse(this.output());
  }

  heapUsed() { return this.wasm.hsw_heap_used(); }
  /* Payload bytes by part (c/hindsight.h hs_db_memory_parts); O(rows + commits). */
  memoryParts() {
    this.check(this.wasm.hsw_memory_parts(this.handle));
    return JSON.parse(this.output());
  }
  memoryBytes() { return this.wasm.memory.buffer.byteLength; }

  close() {
    if (this.handle) this.wasm.hsw_db_close(this.handle);
    this.handle = 0;
  }
}
