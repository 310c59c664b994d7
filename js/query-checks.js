/*
 * query-checks.js: what the JS API checks on a caller's query, permissions and history
 * bounds before anything reaches the engine.
 *
 * Owns: turning a query (dict or builder) into one plain dict and its JSON text, the shape
 * check of collectionPermissions, the refusal of non-finite numbers in raw query dicts, and
 * the range check of seq bounds. Invariants: every refusal is a HindsightError
 * INVALID_ARGUMENT (never a raw TypeError from a caller's toJSON/build); permissions that
 * are given but are not a map of collection name -> Permission are refused, never read as
 * "allow everything" (fail closed); a seq bound is an integer 0..2^32-1, never cut to 32
 * bits. The engine checks the same things again; these give the caller a clearer message.
 */
import { HindsightError, ErrorCode } from './errors.js';

const MAX_SEQ = 0xffffffff;

function invalid(message, cause) {
  return new HindsightError(ErrorCode.INVALID_ARGUMENT, message, cause === undefined ? undefined : { cause });
}

/* Calls a caller's toJSON/build; anything it throws becomes INVALID_ARGUMENT. */
function callCaller(fn, what, method) {
  try {
    return fn();
  } catch (error) {
    if (error instanceof HindsightError) throw error;
    throw invalid(`${what}: the query's ${method}() threw: ${error?.message ?? String(error)}`, error);
  }
}

/* The path of the first number that JSON would write as null (NaN, ±Infinity), or null.
   One iterative walk; objects with toJSON are walked as what toJSON returns. */
function firstNonFinite(root) {
  const stack = [root], paths = [''];
  while (stack.length) {
    let v = stack.pop();
    const path = paths.pop();
    if (typeof v === 'number') {
      if (v - v !== 0) return path || '(the query)';   // NaN and ±Infinity only
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (typeof v.toJSON === 'function') {
      v = v.toJSON();
      if (v === null || typeof v !== 'object') { if (typeof v === 'number') { stack.push(v); paths.push(path); } continue; }
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x === 'number') { if (x - x !== 0) return `${path}[${i}]`; } else if (x !== null && typeof x === 'object') { stack.push(x); paths.push(`${path}[${i}]`); }
      }
    } else {
      for (const key in v) {
        if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
        const x = v[key];
        if (typeof x === 'number') { if (x - x !== 0) return `${path}.${key}`; } else if (x !== null && typeof x === 'object') { stack.push(x); paths.push(`${path}.${key}`); }
      }
    }
  }
  return null;
}

/* A query (dict, or builder with toJSON/build) as { plain, text }: the dict the engine gets
   and its JSON text. Non-finite numbers are refused: JSON would turn them into null, and a
   query about null is not the query the caller wrote. */
export function queryParts(query, what) {
  if (query === null || typeof query !== 'object' || Array.isArray(query)) {
    throw invalid(`${what} must be a Query or TransactionQuery object, got ${query === null ? 'null' : Array.isArray(query) ? 'an array' : typeof query}`);
  }
  let plain = query;
  if (typeof query.toJSON === 'function') plain = callCaller(() => query.toJSON(), what, 'toJSON');
  else if (typeof query.build === 'function') plain = callCaller(() => query.build(), what, 'build');
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    throw invalid(`${what}: the query's ${plain === query ? 'value' : 'toJSON()/build() result'} must be a Query or TransactionQuery object, got ${plain === null ? 'null' : Array.isArray(plain) ? 'an array' : typeof plain}`);
  }
  const bad = firstNonFinite(plain);
  if (bad !== null) throw invalid(`${what}: ${bad} is not a finite number (NaN and Infinity cannot be written as JSON)`);
  let text;
  try {
    text = JSON.stringify(plain);
  } catch (error) {
    throw invalid(`${what} cannot be written as JSON: ${error.message}`, error);
  }
  if (typeof text !== 'string') throw invalid(`${what} cannot be written as JSON`);
  return { plain, text };
}

/* The JSON text of collectionPermissions, or null for "allow everything" (undefined/null).
   Anything else must become a plain object of name -> { allows: [type names] }. */
export function permissionsText(permissions, what = 'collectionPermissions') {
  if (permissions === undefined || permissions === null) return null;
  const shape = 'must be an object of collection names to Permission';
  if (typeof permissions !== 'object' || Array.isArray(permissions)) throw invalid(`${what} ${shape}`);
  let text;
  try {
    text = JSON.stringify(permissions);
  } catch (error) {
    throw invalid(`${what} cannot be written as JSON: ${error.message}`, error);
  }
  const map = typeof text === 'string' ? JSON.parse(text) : undefined;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) throw invalid(`${what} ${shape} (its JSON form is ${text === undefined ? 'undefined' : text})`);
  for (const [name, p] of Object.entries(map)) {
    if (p === null || typeof p !== 'object' || !Array.isArray(p.allows) || !p.allows.every((a) => typeof a === 'string')) {
      throw invalid(`${what}: '${name}' must be a Permission ({ allows: [query types] })`);
    }
  }
  return text;
}

/* A seq bound given by a caller: an integer 0..2^32-1, or undefined. */
export function checkSeqBound(value, what) {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > MAX_SEQ) throw invalid(`${what} must be an integer seq from 0 to ${MAX_SEQ}, got ${String(value)}`);
  return value;
}
