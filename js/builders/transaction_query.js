/*
** transaction_query.js: TransactionQuery, several queries that commit or
** fail together (DeltaTraceDB protocol reference §2.2 and §9).
**
** Invariants: toDict() is {className "TransactionQuery", version "1",
** queries} and every entry is a Query dict (className "Query"). Queries are
** snapshotted when the TransactionQuery is made, so changing a builder later
** does not change the transaction. Which types may run in a transaction
** (not removeCollection, not merge) is the engine's decision, not this file's.
*/
import { copyJsonable, isPlainObject } from './jsonable.js';
import { QueryBuilder } from './query_builder.js';
import { invalidArgument, checkOptions, requireArray } from './validate.js';

function toQueryDict(where, query, i) {
  const name = `queries[${i}]`;
  const dict = query instanceof QueryBuilder ? query.build()
    : isPlainObject(query) ? copyJsonable(query, where, name) : null;
  if (dict === null || dict.className !== 'Query') {
    throw invalidArgument(where, `'${name}' must be a Query dict (className "Query") or a QueryBuilder`);
  }
  return dict;
}

export class TransactionQuery {
  /* JSON.stringify calls this, so builder objects can be nested in plain dicts. */
  toJSON() { return this.toDict(); }

  /** options: { queries: Query dicts (from build()) or QueryBuilders }. */
  constructor(options) {
    const where = 'new TransactionQuery';
    const { queries } = checkOptions(where, options, ['queries']);
    this.queries = requireArray(where, 'queries', queries).map((q, i) => toQueryDict(where, q, i));
  }

  toDict() {
    return {
      className: 'TransactionQuery',
      version: '1',
      queries: this.queries.map((q, i) => copyJsonable(q, 'TransactionQuery', `queries[${i}]`)),
    };
  }

  static fromDict(dict) {
    if (!isPlainObject(dict)) throw invalidArgument('TransactionQuery.fromDict', 'expected a plain object');
    return new TransactionQuery({ queries: dict.queries });
  }
}
