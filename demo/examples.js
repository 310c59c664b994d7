/*
 * examples.js: the example queries the console offers (add, search with sort, update, delete,
 * a transaction), all against the simulated todo app's "todos" collection.
 *
 * Owns: EXAMPLES, a list of { id, label, query } where query is a plain Query or
 * TransactionQuery dict, made with the package's own builders so it is always well formed.
 *
 * Must stay true: the dicts are compacted for reading (null keys and default flags left out);
 * a DeltaTraceDB reader fills in the same defaults, so compacting never changes a query's meaning.
 */
import {
  QueryBuilder, TransactionQuery, FieldEquals, FieldStartsWith, AndNode, SingleSort, MultiSort,
} from '../js/index.js';

/* Flags whose value here is the protocol's default, so leaving them out changes nothing. */
const DEFAULT_FLAGS = { returnData: false, mustAffectAtLeastOne: true, resetSerial: false };

/* Drops null keys and default flags from a Query dict (and from each query of a transaction). */
export function compactQuery(dict) {
  if (dict.className === 'TransactionQuery') return { ...dict, queries: dict.queries.map(compactQuery) };
  const compact = {};
  for (const [key, value] of Object.entries(dict)) {
    if (value === null || DEFAULT_FLAGS[key] === value) continue;
    compact[key] = value;
  }
  return compact;
}

const todo = (title, owner) => ({ id: -1, title, done: false, owner, priority: 'normal' });

export const EXAMPLES = [
  {
    id: 'add',
    label: 'add',
    query: QueryBuilder.add({
      target: 'todos', serialKey: 'id', returnData: true,
      addData: [todo('Try time travel in Hindsight', 'alice')],
    }).build(),
  },
  {
    id: 'search',
    label: 'search + sort',
    query: QueryBuilder.search({
      target: 'todos',
      queryNode: new FieldEquals('done', false),
      sortObj: new MultiSort([new SingleSort('priority'), new SingleSort('title')]),
      limit: 20,
    }).build(),
  },
  {
    id: 'update',
    label: 'update',
    query: QueryBuilder.update({
      target: 'todos', returnData: true,
      queryNode: new FieldStartsWith('title', 'Buy'),
      overrideData: { priority: 'high' },
    }).build(),
  },
  {
    id: 'delete',
    label: 'delete',
    query: QueryBuilder.delete({
      target: 'todos', returnData: true,
      queryNode: new FieldEquals('done', true),
      sortObj: new SingleSort('id'),
    }).build(),
  },
  {
    id: 'transaction',
    label: 'transaction',
    query: new TransactionQuery({
      queries: [
        QueryBuilder.add({ target: 'todos', serialKey: 'id', addData: [todo('Return library books', 'bob')] }),
        QueryBuilder.update({
          target: 'todos',
          queryNode: new AndNode([new FieldEquals('owner', 'bob'), new FieldEquals('done', false)]),
          overrideData: { reminded: true },
        }),
      ],
    }).toDict(),
  },
].map((example) => ({ ...example, query: compactQuery(example.query) }));
