/*
** jsonable.js: deep copies of caller data into plain JSON values.
**
** Owns: copyJsonable(), the single gate every user-supplied document, value
** or context passes before it goes into a query dict.
**
** Invariants: the copy shares nothing with the input, and contains only
** null, booleans, finite numbers, strings, arrays and plain objects, nested
** at most MAX_JSON_DEPTH deep (DeltaTraceDB's UtilCopy limit, which also
** stops cycles). An object with a toDict() method is replaced by its dict
** (DeltaTraceDB's CloneableFile convention); a Date becomes toISOString().
** Like JSON.stringify, an undefined object member is left out. Anything else
** (Map, Set, class instances, functions, NaN, bigint) throws INVALID_ARGUMENT.
*/
import { HindsightError, ErrorCode } from '../errors.js';

export const MAX_JSON_DEPTH = 100;

function reject(where, path, what) {
  throw new HindsightError(ErrorCode.INVALID_ARGUMENT,
    `${where}: ${path} ${what}`);
}

/* Plain means created by {} or JSON.parse, possibly in another realm. */
export function isPlainObject(value) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function copyValue(value, where, path, depth) {
  if (depth > MAX_JSON_DEPTH) reject(where, path, `is nested deeper than ${MAX_JSON_DEPTH} levels`);
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) reject(where, path, `is ${value}, which JSON cannot hold`);
      return value;
    case 'object':
      break;
    default:
      reject(where, path, `is a ${typeof value}, which is not JSON`);
  }
  if (value === null) return null;
  if (Array.isArray(value)) {
    return value.map((item, i) => {
      if (item === undefined) reject(where, `${path}[${i}]`, 'is undefined');
      return copyValue(item, where, `${path}[${i}]`, depth + 1);
    });
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) reject(where, path, 'is an invalid Date');
    return value.toISOString();
  }
  if (typeof value.toDict === 'function') {
    return copyValue(value.toDict(), where, path, depth);
  }
  if (!isPlainObject(value)) {
    const kind = value.constructor?.name ?? 'object';
    reject(where, path, `is a ${kind}; pass a plain object or something with toDict()`);
  }
  const out = {};
  for (const key of Object.keys(value)) {
    const member = value[key];
    if (member === undefined) continue;
    // defineProperty keeps a literal "__proto__" key a key, not a prototype swap.
    Object.defineProperty(out, key, {
      value: copyValue(member, where, `${path}.${key}`, depth + 1),
      enumerable: true, writable: true, configurable: true,
    });
  }
  return out;
}

/**
 * Deep-copies `value` into plain JSON data. `where` and `path` name the
 * caller and the argument in error messages ("QueryBuilder.add: addData[2].x
 * is a function, which is not JSON").
 */
export function copyJsonable(value, where, path) {
  if (value === undefined) reject(where, path, 'is undefined');
  return copyValue(value, where, path, 0);
}
