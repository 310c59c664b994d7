/*
** enums.js: the name lists of DeltaTraceDB's enums, as frozen objects.
**
** Owns: EnumQueryType (the 15 query types), EnumValueType (vType of nodes
** and sorts), EnumNodeType (the `type` of search nodes) and EnumActorType.
**
** Invariant: each value equals its key and is exactly the `.name` string that
** DeltaTraceDB writes into JSON (protocol reference §2.1, §6, §13). Nothing
** here may be added that DeltaTraceDB does not know, except stringIgnoreCase_,
** which only DART >= 0.1.4 knows and which we support on purpose.
*/

function nameEnum(names) {
  const result = {};
  for (const name of names) result[name] = name;
  return Object.freeze(result);
}

export const EnumQueryType = nameEnum([
  'add', 'update', 'updateOne', 'delete', 'deleteOne', 'search', 'searchOne',
  'getAll', 'conformToTemplate', 'renameField', 'count', 'clear', 'clearAdd',
  'removeCollection', 'merge',
]);

export const EnumValueType = nameEnum([
  'auto_', 'datetime_', 'int_', 'floatStrict_', 'floatEpsilon12_', 'boolean_',
  'string_', 'stringIgnoreCase_',
]);

export const EnumNodeType = nameEnum([
  'and_', 'or_', 'not_', 'equals_', 'notEquals_', 'greaterThan_', 'lessThan_',
  'greaterThanOrEqual_', 'lessThanOrEqual_', 'regex_', 'contains_', 'in_',
  'notIn_', 'startsWith_', 'endsWith_',
]);

export const EnumActorType = nameEnum(['human', 'ai', 'system']);

/* True when `name` is an own key of the enum (so 'toString' is not a type). */
export function isEnumName(enumObject, name) {
  return typeof name === 'string' && Object.hasOwn(enumObject, name);
}
