/*
 * change-feed.js: telling others what each commit changed: the one feed (db.subscribeChanges,
 * for live queries in js/live.js and anyone else inside the library) and the per-collection
 * listeners (db.addListener, DeltaTraceDB's notifications).
 *
 * Owns the set of feed subscribers and the listeners by collection. The Database publishes one
 * report per commit, after the commit is made and recorded, in seq order, including reverts,
 * undo/redo and imports:
 *   { seq, id, changes: { [collection]: { added: [rowId], removed: [rowId], changed: [rowId] } } }
 * (c/history.c hs_db_changes classifies each touched row by whether it was alive before
 * and after the commit, and leaves out rows and collections whose value a reader would see
 * unchanged, as db.diff does: a write of equal values reports changes {}). Applying the reports in order to a map of row ids gives the rows
 * alive now; after each report the state it describes is db.at(report.seq).
 * A multi-tab rebase (js/rebase.js) keeps to the same rule. When this page had commits not
 * yet written, it first publishes one rewind report
 *   { seq: confirmed, id: null, rebased: true, changes }
 * whose changes take those commits back (the state becomes the shared one at seq
 * `confirmed`; later seqs are renumbered), then an ordinary report for every commit after
 * it: the other pages', then its own replayed (same ids, new seqs). Only when row ids cannot
 * be carried over (the state was rebuilt from another page's snapshot) is it one reset
 * report { seq, id: null, rebased: true, changes: null }: "read the state again".
 * Invariants: a subscriber that
 * throws never breaks the write nor the other subscribers (onError gets it); a subscriber
 * added during a publish sees the next commit, not the current one. The same holds for
 * listeners, which get the commit's seq once for each collection it changed.
 */
export class ChangeFeed {
  #subscribers = new Set();
  #onError;

  constructor(onError = (error) => console.error('hindsight change feed subscriber failed:', error)) {
    this.#onError = onError;
  }

  /* Calls fn(commitInfo) after every commit; returns the function that unsubscribes. */
  subscribe(fn) {
    if (typeof fn !== 'function') throw new TypeError('subscribe needs a function');
    this.#subscribers.add(fn);
    return () => { this.#subscribers.delete(fn); };
  }

  get size() { return this.#subscribers.size; }

  publish(info) {
    for (const fn of [...this.#subscribers]) {
      try {
        fn(info);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  clear() { this.#subscribers.clear(); }
}

/* db.addListener's bookkeeping: target -> { unnamed: Set<fn>, named: Map<name, fn> }. */
export class CollectionListeners {
  #byTarget = new Map();
  #onError;

  /* onError(error, target): a listener threw. */
  constructor(onError) {
    this.#onError = onError;
  }

  get size() { return this.#byTarget.size; }

  /* With a name, a later add with the same name replaces the callback. */
  add(target, callback, name) {
    let entry = this.#byTarget.get(target);
    if (!entry) this.#byTarget.set(target, entry = { unnamed: new Set(), named: new Map() });
    if (name === undefined || name === null) entry.unnamed.add(callback);
    else entry.named.set(String(name), callback);
  }

  remove(target, callback, name) {
    const entry = this.#byTarget.get(target);
    if (!entry) return;
    if (name === undefined || name === null) entry.unnamed.delete(callback);
    else entry.named.delete(String(name));
  }

  /* The collection was removed: its listeners go with it. */
  forget(target) { this.#byTarget.delete(target); }

  fire(target, seq) {
    const entry = this.#byTarget.get(target);
    if (!entry) return;
    for (const fn of [...entry.unnamed, ...entry.named.values()]) {
      try {
        fn(seq);
      } catch (error) {
        // A listener's failure must not undo or hide the write that already happened.
        this.#onError(error, target);
      }
    }
  }

  clear() { this.#byTarget.clear(); }
}
