/*
 * engine.js: one engine handle and the text that crosses the wasm boundary.
 *
 * Owns: the hs_db pointer and the input buffer it reuses. Each call encodes one JSON text
 * into wasm memory, calls C once, and decodes the one JSON text C wrote. Invariants: every
 * wasm allocation made here is freed in the same call (try/finally); views over memory are
 * taken after the call, since the call may have grown (and so detached) the old buffer.
 */
import { HindsightError, ErrorCode } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/* Output larger than this is released after reading, so one huge result does not pin memory. */
const KEEP_OUTPUT_BYTES = 1 << 20;

export class Engine {
  constructor(exports, handle = exports.hsw_db_open()) {
    this.wasm = exports;
    this.handle = handle;
    if (!this.handle) throw new HindsightError(ErrorCode.NOMEM, 'the engine could not allocate a database');
  }

  /* Copies text into wasm memory and runs fn(ptr, len); frees the copy afterwards. */
  withText(text, fn) {
    const w = this.wasm;
    // Most JSON is ASCII: try a tight buffer first and fall back to the UTF-8 worst case.
    let capacity = text.length + 16;
    for (;;) {
      const ptr = w.hsw_alloc(capacity);
      if (!ptr) throw new HindsightError(ErrorCode.NOMEM, `out of memory allocating ${capacity} bytes for the input`);
      try {
        const { read, written } = encoder.encodeInto(text, new Uint8Array(w.memory.buffer, ptr, capacity));
        if (read === text.length) return fn(ptr, written);
      } finally {
        w.hsw_free(ptr);
      }
      capacity = text.length * 3 + 16;
    }
  }

  output() {
    const w = this.wasm;
    const ptr = w.hsw_output_ptr(this.handle), len = w.hsw_output_len(this.handle);
    const text = decoder.decode(new Uint8Array(w.memory.buffer, ptr, len));
    if (len > KEEP_OUTPUT_BYTES) w.hsw_release_output(this.handle);
    return text;
  }

  check(rc) {
    if (rc === 0) return;
    const text = this.output();
    if (rc === 2) throw new HindsightError(ErrorCode.NOMEM, 'the engine ran out of memory; the database is unchanged');
    let message = text;
    try { message = JSON.parse(text).error ?? text; } catch { /* keep the raw text */ }
    throw new HindsightError(ErrorCode.INVALID_ARGUMENT, message);
  }

  execute(queryText, permissionsText) {
    const run = (qp, ql, pp, pl) => this.check(this.wasm.hsw_execute(this.handle, qp, ql, pp, pl));
    if (permissionsText === null) this.withText(queryText, (qp, ql) => run(qp, ql, 0, 0));
    else this.withText(queryText, (qp, ql) => this.withText(permissionsText, (pp, pl) => run(qp, ql, pp, pl)));
    return this.output();
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

  setBase(seq) { this.check(this.wasm.hsw_set_base(this.handle, seq)); }

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

  revert(seq) {
    this.check(this.wasm.hsw_revert(this.handle, seq));
    return this.seq();
  }

  /* The whole engine state, history included, as JSON text (c/snapshot.c). */
  dumpText() {
    this.check(this.wasm.hsw_dump(this.handle));
    return this.output();
  }

  loadText(text) {
    this.withText(text, (ptr, len) => this.check(this.wasm.hsw_load(this.handle, ptr, len)));
  }

  /* Applies a JSON list of exported commit queries, each as the next commit. */
  replay(text) {
    this.withText(text, (ptr, len) => this.check(this.wasm.hsw_replay(this.handle, ptr, len)));
    return this.seq();
  }

  applyState(text) {
    this.withText(text, (ptr, len) => this.check(this.wasm.hsw_apply_state(this.handle, ptr, len)));
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

  heapUsed() { return this.wasm.hsw_heap_used(); }
  memoryBytes() { return this.wasm.memory.buffer.byteLength; }

  close() {
    if (this.handle) this.wasm.hsw_db_close(this.handle);
    this.handle = 0;
  }
}
