/*
 * change-feed.js: the one feed of what each commit changed, for listeners, live queries
 * (js/live.js) and anyone else inside the library.
 *
 * Owns the set of subscribers. The Database publishes one CommitInfo per commit, after the
 * commit is made and recorded, in seq order, including reverts, undo/redo and imports:
 *   { seq, id, changes: { [collection]: { added: [rowId], removed: [rowId], changed: [rowId] } } }
 * (c/history.c hs_db_changes classifies each touched row by whether it was alive before
 * and after the commit). After a multi-tab rebase, one info with rebased: true and
 * changes: null says "the state was rebuilt: read it again". Invariants: a subscriber that
 * throws never breaks the write nor the other subscribers (onError gets it); a subscriber
 * added during a publish sees the next commit, not the current one.
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
