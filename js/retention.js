/*
 * retention.js: how much history a database keeps: the retention policy, the horizon it
 * sets, and the pins of the views (db.at) that still read older commits.
 *
 * Owns: the policy { maxCommits, maxAgeMs } (or null: keep everything), the horizon (the
 * oldest seq the policy lets a reader see), and the pinned seqs with their counts. The
 * engine frees versions only when told (setHorizon), and only this file tells it.
 * Invariants (LMDB's reader pins, STYLE.md principle 8): the horizon is never after the
 * oldest pinned seq, so the engine never frees a version a live view reads; a pin is
 * released once, by view.release() or, as a safety net, by a FinalizationRegistry when the
 * view is garbage-collected unreleased; releasing moves the horizon at once (freeing memory
 * waits for a batch, as after a commit). Reads before oldest() are TOO_OLD.
 */
import { HindsightError, ErrorCode } from './errors.js';

function invalid(message) { return new HindsightError(ErrorCode.INVALID_ARGUMENT, message); }

export class Retention {
  #engine;                  // () => the database's current engine (a rebase replaces it)
  #policy = null;
  #horizon = 0;             // the horizon as the policy says; the engine prunes up to it in batches
  #pins = new Map();        // seq -> number of live views pinning it
  #finalizer = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry((pin) => this.#unpin(pin)) : null;

  constructor(engine) {
    this.#engine = engine;
  }

  /* What a snapshot keeps: { retention, horizon }. */
  get state() { return { retention: this.#policy, horizon: this.#horizon }; }

  /* Takes a snapshot's state back (the pins are this instance's own). */
  restore({ retention, horizon }) {
    this.#policy = retention ?? null;
    this.#horizon = horizon ?? 0;
  }

  /* Bounds the history: keep at most maxCommits commits and none older than maxAgeMs. */
  setPolicy(policy) {
    if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) throw invalid('setRetention needs an object { maxCommits, maxAgeMs }');
    const { maxCommits, maxAgeMs } = policy;
    for (const [name, v] of [['maxCommits', maxCommits], ['maxAgeMs', maxAgeMs]]) {
      if (v !== undefined && v !== null && !(Number.isFinite(v) && v >= 0)) throw invalid(`setRetention: ${name} must be a non-negative number`);
    }
    this.#policy = { maxCommits: maxCommits ?? null, maxAgeMs: maxAgeMs ?? null };
    this.apply(true);
  }

  /* Moves the horizon. Pruning walks every row, so after a commit it runs only once the
     horizon has moved far enough to be worth it (amortized); now: at once (setRetention). */
  apply(now) {
    const r = this.#policy;
    if (!r) return;
    const engine = this.#engine();
    const seq = engine.seq(), oldest = engine.oldest();
    let h = oldest;
    if (r.maxCommits !== null) h = Math.max(h, seq - Math.floor(r.maxCommits));
    if (r.maxAgeMs !== null && seq > oldest) {
      // The last commit older than the cutoff (times are whole ms unless a clock says otherwise).
      const cutoff = engine.timeOf(seq) - r.maxAgeMs;
      try { h = Math.max(h, engine.seqAtTime(Number.isInteger(cutoff) ? cutoff - 1 : cutoff - 1e-6)); } catch { /* nothing that old */ }
    }
    this.#horizon = h = Math.min(h, seq, this.#oldestPin());
    // Reads before the horizon are TOO_OLD at once; freeing memory waits for a batch.
    const step = Math.max(64, Math.floor((r.maxCommits ?? 0) / 8));
    if (h <= oldest || (!now && h - oldest < step)) return;
    engine.setHorizon(h);
  }

  /* The oldest readable seq. */
  oldest() { return Math.max(this.#engine().oldest(), this.#horizon); }

  /* Keeps seq readable until the returned release() is called or view is garbage-collected.
     seq must be readable now (the caller checked it against oldest()). */
  pin(view, seq) {
    const pin = { seq, released: false };
    this.#pins.set(seq, (this.#pins.get(seq) ?? 0) + 1);
    this.#finalizer?.register(view, pin, pin);
    return () => {
      if (pin.released) return;
      this.#finalizer?.unregister(pin);
      this.#unpin(pin);
    };
  }

  #unpin(pin) {
    if (pin.released) return;
    pin.released = true;
    const left = this.#pins.get(pin.seq) - 1;
    if (left > 0) this.#pins.set(pin.seq, left);
    else this.#pins.delete(pin.seq);
    // The horizon may move now; not on a closed database (a view collected after close).
    // A failure to prune here (no memory) is retried by the next commit's apply.
    if (this.#engine().handle) try { this.apply(false); } catch { /* retried after the next commit */ }
  }

  #oldestPin() {
    let min = Infinity;
    for (const seq of this.#pins.keys()) if (seq < min) min = seq;
    return min;
  }
}
