/*
 * view.js: a read-only view of a database as it was at one commit (db.at(point)).
 *
 * Owns its seq and its pin (js/retention.js): every read goes to the live database with
 * asOf { seq }, so making a view costs nothing whatever the length of the history, and until
 * the view is released retention keeps seq readable. Invariants: a view never writes; a
 * write query gets isSuccess false, like any refused query; after release() (idempotent)
 * every read throws HindsightError CLOSED. Permissions, when given, are enforced by the
 * engine as for any query (executeQueryObject, toDict).
 */
import { HindsightError, ErrorCode } from './errors.js';

const READ_TYPES = new Set(['search', 'searchOne', 'getAll', 'count']);

export class DatabaseView {
  #read;
  #toDict;
  #rows;
  #unpin;                   // gives the pin back; null once released
  #released = false;

  /* read(query, seq, permissions), toDict(seq, permissions) and rows(seq, name) read the
     database; pin(view, seq) pins seq for this view and returns the function that unpins it. */
  constructor(seq, read, toDict, pin, rows) {
    this.seq = seq;
    this.#read = read;
    this.#toDict = toDict;
    this.#rows = rows;
    this.#unpin = pin(this, seq);
  }

  /* Lets retention free the versions this view reads; later reads throw CLOSED. */
  release() {
    if (this.#released) return;
    this.#released = true;
    const unpin = this.#unpin;
    this.#unpin = null;
    unpin?.();
  }

  #check() {
    if (this.#released) throw new HindsightError(ErrorCode.CLOSED, `the view of seq ${this.seq} was released`);
  }

  /* Runs a read query (search, searchOne, getAll, count) against the state at this.seq. */
  executeQuery(query) { return this.#run(query, undefined); }

  /* The same, limited by collectionPermissions as Database.executeQueryObject is. */
  executeQueryObject(query, collectionPermissions) { return this.#run(query, collectionPermissions ?? undefined); }

  #run(query, permissions) {
    this.#check();
    const dict = typeof query?.build === 'function' && typeof query.toJSON !== 'function' ? query.build() : query;
    const plain = dict && typeof dict.toJSON === 'function' ? dict.toJSON() : dict;
    if (plain && typeof plain === 'object' && !READ_TYPES.has(plain.type)) {
      return {
        className: 'QueryResult', version: '6', isSuccess: false, target: String(plain.target ?? ''), type: String(plain.type ?? ''),
        result: [], dbLength: -1, updateCount: 0, hitCount: 0,
        errorMessage: `a view of seq ${this.seq} is read-only: ${plain.type ?? 'this query'} is a write`,
      };
    }
    return this.#read(plain, this.seq, permissions);
  }

  /* The state at this.seq as a dict; with collectionPermissions, only the readable collections. */
  toDict({ collectionPermissions } = {}) {
    this.#check();
    return this.#toDict(this.seq, collectionPermissions);
  }

  /* One collection at this.seq with the engine's row ids, for following rows by identity
     (diff gives rowId, addedIds and removedIds): { collections: the names at this.seq,
     rowIds: ascending, data: the documents in the same order as toDict }. rowIds and data
     are null when the collection does not exist at this.seq; rows(null) gives the names only.
     Unrestricted: it takes no collectionPermissions. */
  rows(collection) {
    this.#check();
    if (collection !== null && typeof collection !== 'string') throw new HindsightError(ErrorCode.INVALID_ARGUMENT, 'rows(collection): collection must be a string or null');
    return this.#rows(this.seq, collection);
  }
}
