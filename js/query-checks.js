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

/* Containers deeper than this are left to the engine, which refuses them (a document may
   nest 100 levels, a query envelope 1000); the bound also ends the walk on a cycle. */
const WALK_MAX_DEPTH = 1100;

/* True when v holds a number that JSON would write as null (NaN, ±Infinity). One recursive
   walk without allocation: on a 100,000-document add it costs about 3% of the add (see
   the report in issue 10), so queryParts runs it only when the JSON text holds "null".
   Objects with toJSON are walked as what toJSON returns. */
function hasNonFinite(v, depth) {
  if (depth > WALK_MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === 'number') { if (x - x !== 0) return true; } else if (x !== null && typeof x === 'object' && hasNonFinite(x, depth + 1)) return true;
    }
    return false;
  }
  if (typeof v.toJSON === 'function') {
    const j = v.toJSON();
    return typeof j === 'number' ? j - j !== 0 : j !== null && typeof j === 'object' && j !== v && hasNonFinite(j, depth + 1);
  }
  for (const key in v) {
    const x = v[key];
    if (typeof x === 'number') { if (x - x !== 0) return true; } else if (x !== null && typeof x === 'object' && hasNonFinite(x, depth + 1)) return true;
  }
  return false;
}

/* The path of the first such number, for the message (only called after a hit). */
function nonFinitePath(v, path, depth) {
  if (typeof v === 'number') return v - v !== 0 ? path || '(the query)' : null;
  if (v === null || typeof v !== 'object' || depth > WALK_MAX_DEPTH) return null;
  if (!Array.isArray(v) && typeof v.toJSON === 'function') {
    const j = v.toJSON();
    return j === v ? null : nonFinitePath(j, path, depth + 1);
  }
  for (const key of Array.isArray(v) ? v.keys() : Object.keys(v)) {
    const found = nonFinitePath(v[key], Array.isArray(v) ? `${path}[${key}]` : `${path}.${key}`, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

/* A big top-level array (an add's addData) is written as JSON a slice of CHUNK_ITEMS at a
   time, into text parts whose concatenation is the JSON text. One JSON.stringify of 100,000
   documents makes a 15 MB string that V8 must allocate whole and flatten before it can be
   encoded (~45 ms of a ~140 ms add, bench/speed.mjs); slices stay small strings in the young
   generation. The parts are made as the engine's copy reads them (SlicedText), so each dies
   young: kept until the copy, the 15 MB of them outlived collections and cost Node a third of
   the add and of the step after it. Only arrays of CHUNK_MIN items or more, in a plain query
   object. */
const CHUNK_MIN = 2048;
const CHUNK_ITEMS = 256;
/* Stands where the array goes in the query's JSON; a string no caller's query holds. */
const SLOT = '\u0000hindsight: array written in slices\u0000';
const SLOT_JSON = JSON.stringify(SLOT);

function bigArrayKey(plain) {
  if (Object.getPrototypeOf(plain) !== Object.prototype) return null;
  for (const key of Object.keys(plain)) {
    const v = plain[key];
    if (Array.isArray(v) && v.length >= CHUNK_MIN && Object.getPrototypeOf(v) === Array.prototype && typeof v.toJSON !== 'function') return key;
  }
  return null;
}

/* JSON.stringify(value), with what it throws (a cycle, a BigInt, a caller's toJSON) as INVALID_ARGUMENT. */
function jsonOf(value, what) {
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw invalid(`${what} cannot be written as JSON: ${error.message}`, error);
  }
}

function refuseNonFinite(plain, what) {
  return invalid(`${what}: ${nonFinitePath(plain, '', 0) ?? 'a number'} is not a finite number (NaN and Infinity cannot be written as JSON)`);
}

/* The JSON text of a query with a big array, as the parts it is made of: iterating yields
   them, anew each time (a live query runs its text again). Their concatenation is
   JSON.stringify(plain): a slice writes holes, undefined and functions as null as the whole
   array does, and calls each item's toJSON (with the item's index in its slice as the key
   argument, where the whole array would pass its index in the array). Each slice is checked
   for non-finite numbers as it is made, so a refusal comes before the engine sees any of it.
   lengthHint: a guess at the text's length from the first slice, set before the first part
   is yielded (Engine.withText sizes its first allocation by it). */
export class SlicedText {
  #plain; #items; #head; #tail; #what;

  constructor(plain, key, shell, at, what) {
    this.#plain = plain;
    this.#items = plain[key];
    this.#head = `${shell.slice(0, at)}[`;
    this.#tail = `]${shell.slice(at + SLOT_JSON.length)}`;
    this.#what = what;
    this.lengthHint = 0;
    // A plain add's documents may cross without text (Engine.#runDocuments): the query's text
    // with the number 0 for addData, which the engine then takes from the documents.
    if (key === 'addData' && plain.type === 'add') {
      this.documents = this.#items;
      this.zeroText = `${shell.slice(0, at)}0${shell.slice(at + SLOT_JSON.length)}`;
    }
  }

  #slice(i) {
    const slice = this.#items.slice(i, i + CHUNK_ITEMS);
    const text = jsonOf(slice, this.#what);
    if (text.includes('null') && hasNonFinite(slice, 1)) throw refuseNonFinite(this.#plain, this.#what);
    return text;
  }

  *[Symbol.iterator]() {
    const items = this.#items;
    let text = this.#slice(0);
    this.lengthHint = this.#head.length + this.#tail.length + Math.ceil((text.length + 1) * 1.1) * Math.ceil(items.length / CHUNK_ITEMS);
    yield this.#head;
    yield text.slice(1, -1);
    for (let i = CHUNK_ITEMS; i < items.length; i += CHUNK_ITEMS) {
      text = this.#slice(i);
      yield ',';
      yield text.slice(1, -1);
    }
    yield this.#tail;
  }
}

/* The query's text with its big array left to SlicedText, or null to write it whole. */
function slicedJSON(plain, what) {
  const key = bigArrayKey(plain);
  if (key === null) return null;
  const shell = jsonOf({ ...plain, [key]: SLOT }, what);
  const at = shell.indexOf(SLOT_JSON);
  if (at < 0 || shell.indexOf(SLOT_JSON, at + 1) >= 0) return null;
  if (shell.includes('null') && hasNonFinite({ ...plain, [key]: [] }, 0)) throw refuseNonFinite(plain, what);
  return new SlicedText(plain, key, shell, at, what);
}

/* A query (dict, or builder with toJSON/build) as { plain, text }: the dict the engine gets
   and its JSON text (a string, or for a big add a SlicedText, which Engine.withText takes as
   well). Non-finite numbers are refused: JSON would turn them into null, and a query about
   null is not the query the caller wrote (a SlicedText's documents when its parts are made). */
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
  const sliced = slicedJSON(plain, what);
  if (sliced !== null) return { plain, text: sliced };
  const text = jsonOf(plain, what);
  if (typeof text !== 'string') throw invalid(`${what} cannot be written as JSON`);
  // JSON writes NaN and ±Infinity as null: a text without "null" holds none, and the walk
  // (the slow part of a small query's checks) is only needed when it does.
  if (text.includes('null') && hasNonFinite(plain, 0)) throw refuseNonFinite(plain, what);
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
