/*
** builders/index.js: the public surface of the pure-JS query builders.
**
** Owns nothing itself: it re-exports every builder class, enum and helper a
** user may need, so js/index.js can do `export * from './builders/index.js'`.
** Keep it free of side effects and of runtime-specific imports.
*/
export { EnumQueryType, EnumValueType, EnumNodeType, EnumActorType } from './enums.js';
export { copyJsonable, MAX_JSON_DEPTH } from './jsonable.js';
export {
  QueryNode, FieldEquals, FieldNotEquals, FieldGreaterThan, FieldLessThan,
  FieldGreaterThanOrEqual, FieldLessThanOrEqual, FieldMatchesRegex, FieldContains,
  FieldIn, FieldNotIn, FieldStartsWith, FieldEndsWith, AndNode, OrNode, NotNode,
} from './nodes.js';
export { AbstractSort, SingleSort, MultiSort } from './sorts.js';
export { Permission } from './permission.js';
export { Actor } from './actor.js';
export { TimestampNode, TemporalTrace } from './temporal_trace.js';
export { Cause } from './cause.js';
export { MergeQueryParams } from './merge_query_params.js';
export { QueryBuilder, RawQueryBuilder, QUERY_KEYS } from './query_builder.js';
export { TransactionQuery } from './transaction_query.js';
