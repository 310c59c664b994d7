/*
** validate.js: argument checks shared by every builder class.
**
** Owns: the INVALID_ARGUMENT errors for bad options. Every message starts
** with the caller ("QueryBuilder.search: ...") and names the field, so a
** user can find the mistake without a debugger.
**
** Conventions: `undefined` and `null` both mean "not given" for optional
** fields, so spreading partial option objects works. Unknown option keys are
** errors: a misspelt `sortObject` must not silently produce an unsorted query.
*/
import { HindsightError, ErrorCode } from '../errors.js';
import { isPlainObject } from './jsonable.js';
import { isEnumName } from './enums.js';

export function invalidArgument(where, message) {
  return new HindsightError(ErrorCode.INVALID_ARGUMENT, `${where}: ${message}`);
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  return `a ${typeof value}`;
}

/**
 * Returns `options` (or {} when omitted) after checking that it is a plain
 * object whose keys are all in `allowedKeys`.
 */
export function checkOptions(where, options, allowedKeys) {
  if (options === undefined) return {};
  if (!isPlainObject(options)) {
    throw invalidArgument(where, `expected one options object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowedKeys.includes(key)) {
      throw invalidArgument(where,
        `unknown option '${key}' (allowed: ${allowedKeys.join(', ')})`);
    }
  }
  return options;
}

export function isGiven(value) {
  return value !== undefined && value !== null;
}

export function requireString(where, name, value) {
  if (!isGiven(value)) throw invalidArgument(where, `'${name}' is required`);
  if (typeof value !== 'string') {
    throw invalidArgument(where, `'${name}' must be a string, got ${describe(value)}`);
  }
  return value;
}

export function requireNonEmptyString(where, name, value) {
  requireString(where, name, value);
  if (value.length === 0) throw invalidArgument(where, `'${name}' must not be empty`);
  return value;
}

export function optionalString(where, name, value) {
  return isGiven(value) ? requireString(where, name, value) : null;
}

export function optionalBoolean(where, name, value, fallback) {
  if (!isGiven(value)) return fallback;
  if (typeof value !== 'boolean') {
    throw invalidArgument(where, `'${name}' must be a boolean, got ${describe(value)}`);
  }
  return value;
}

export function optionalInteger(where, name, value) {
  if (!isGiven(value)) return null;
  if (!Number.isSafeInteger(value)) {
    throw invalidArgument(where, `'${name}' must be an integer, got ${
      typeof value === 'number' ? value : describe(value)}`);
  }
  return value;
}

export function requireFiniteNumber(where, name, value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidArgument(where, `'${name}' must be a finite number, got ${describe(value)}`);
  }
  return value;
}

export function requirePlainObject(where, name, value) {
  if (!isGiven(value)) throw invalidArgument(where, `'${name}' is required`);
  if (!isPlainObject(value)) {
    throw invalidArgument(where, `'${name}' must be a plain object, got ${describe(value)}`);
  }
  return value;
}

export function optionalPlainObject(where, name, value) {
  return isGiven(value) ? requirePlainObject(where, name, value) : null;
}

export function requireArray(where, name, value) {
  if (!isGiven(value)) throw invalidArgument(where, `'${name}' is required`);
  if (!Array.isArray(value)) {
    throw invalidArgument(where, `'${name}' must be an array, got ${describe(value)}`);
  }
  return value;
}

export function requireStringArray(where, name, value) {
  requireArray(where, name, value);
  value.forEach((item, i) => requireString(where, `${name}[${i}]`, item));
  return [...value];
}

export function requireEnumName(where, name, value, enumObject) {
  requireString(where, name, value);
  if (!isEnumName(enumObject, value)) {
    throw invalidArgument(where,
      `'${name}' must be one of ${Object.keys(enumObject).join(', ')}, got '${value}'`);
  }
  return value;
}

/*
** Datetimes: a Date is kept as a Date and written with toISOString() (DART's
** toIso8601String form for UTC); a string is kept verbatim, so a dict read
** from PY ("...+00:00") round-trips byte for byte.
*/
const ISO_DATE_PREFIX = /^[+-]?\d{4,6}-\d{2}-\d{2}/;

export function requireDateTime(where, name, value) {
  if (!isGiven(value)) throw invalidArgument(where, `'${name}' is required`);
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalidArgument(where, `'${name}' is an invalid Date`);
    return new Date(value.getTime());
  }
  if (typeof value === 'string' && ISO_DATE_PREFIX.test(value)) return value;
  throw invalidArgument(where,
    `'${name}' must be a Date or an ISO 8601 string, got ${
      typeof value === 'string' ? `'${value}'` : describe(value)}`);
}

export function optionalDateTime(where, name, value) {
  return isGiven(value) ? requireDateTime(where, name, value) : null;
}

export function dateTimeToJson(value) {
  if (value === null) return null;
  return value instanceof Date ? value.toISOString() : value;
}
