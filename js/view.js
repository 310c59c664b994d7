/*
 * view.js: a read-only view of a database as it was at one commit (db.at(point)).
 *
 * Owns nothing but its seq: every read goes to the live database with asOf { seq }, so
 * making a view costs nothing whatever the length of the history. Invariant: a view never
 * writes; a write query gets isSuccess false, like any refused query. Permissions, when
 * given, are enforced by the engine as for any query (executeQueryObject, toDict).
 */
const READ_TYPES = new Set(['search', 'searchOne', 'getAll', 'count']);

export class DatabaseView {
  #read;
  #toDict;

  constructor(seq, read, toDict) {
    this.seq = seq;
    this.#read = read;
    this.#toDict = toDict;
  }

  /* Runs a read query (search, searchOne, getAll, count) against the state at this.seq. */
  executeQuery(query) { return this.#run(query, undefined); }

  /* The same, limited by collectionPermissions as Database.executeQueryObject is. */
  executeQueryObject(query, collectionPermissions) { return this.#run(query, collectionPermissions ?? undefined); }

  #run(query, permissions) {
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
  toDict({ collectionPermissions } = {}) { return this.#toDict(this.seq, collectionPermissions); }
}
