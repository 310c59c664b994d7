/*
 * doc-encoder.js: writes a big add's documents straight in the engine's storage format
 * (c/value.h), so they cross into wasm as bytes the engine stores as they are: no JSON text
 * of 15 MB to make and encode, and no parse on the engine's side.
 *
 * Owns: the encoding of plain JS values. Must stay true: the bytes written for a document are
 * exactly what the engine's JSON parser builds from JSON.stringify of it (the engine checks
 * their structure, c/value_check.c; what they mean is this file's promise, and
 * tests/js/doc-encoder.test.mjs compares the two on every case below):
 * - members in Object.keys order (for...in on an object whose prototype is Object.prototype,
 *   which has no enumerable member), a member whose value is undefined, a function or a symbol
 *   left out;
 * - a number that is an integer within int64 stored as an integer (int32 when it fits, -0 as
 *   0), any other finite number as a double;
 * - a string's UTF-16 as UTF-8, a lone surrogate as U+FFFD (what the engine reads "\ud800"
 *   as), with the escaping flag set when a byte is below 0x20, '"' or '\\';
 * - a Date as its toJSON() (an invalid date as null).
 * Anything else (another toJSON, NaN or an infinity, a BigInt, a boxed primitive, a raw JSON
 * object, undefined or a function in an array, nesting deeper than a document may, a cycle,
 * a getter that throws) makes encodeDocuments return NOT_ENCODED: the caller then sends the
 * JSON text, whose path gives all of those their JSON.stringify meaning and errors.
 */

/* Returned when the caller must send the documents as JSON text instead. */
export const NOT_ENCODED = -1;

const T_NULL = 0, T_FALSE = 1, T_TRUE = 2, T_INT64 = 3, T_INT32 = 4, T_DOUBLE = 5, T_STR = 6, T_STRX = 7, T_ARR = 8, T_OBJ = 9;
/* A document nests at most 100 levels (c/value.h); deeper, and cycles, go to the text path. */
const MAX_DEPTH = 101;
const TWO_32 = 4294967296, TWO_53 = 9007199254740992, TWO_63 = 9223372036854775808;
const KEY_CACHE_MAX = 4096;

/* Thrown inside the writer to leave it at once; never seen outside. */
const notEncoded = Object.freeze({ notEncoded: true });

/* The writer's state for one encodeDocuments call (module-level: the hot paths stay monomorphic). */
let bytes = null, view = null, pos = 0, limit = 0, grow = null, done = 0, total = 1;
/* How far grow has moved what was written: a place kept across writes (a container's header)
   is kept as place - moved and found again as that + moved. */
let moved = 0;
/* What grow threw (the engine out of memory): passed on, never read as "send text". */
let growError = null;
/* Member names as their encoded bytes (u32 length with the escaping flag, then UTF-8). */
const keyBytes = new Map();

function reserve(n) {
  if (pos + n <= limit) return;
  try {
    const from = pos;
    [bytes, view, pos, limit] = grow(pos, n, done / total);
    moved += pos - from;
  } catch (error) {
    growError = error;
    throw error;
  }
}

/* The string's UTF-8 at pos + headSize, its header (a value's tag and length, or a key's
   length and flag) at pos. */
function putString(s, asKey) {
  const n = s.length;
  if (pos + 5 + n * 3 > limit) reserve(5 + n * 3);
  const b = bytes;   // a local: the loop reads no module slot
  const head = pos;
  let o = pos + (asKey ? 4 : 5), plain = true, i = 0;
  // Most strings are ASCII with nothing to escape: one test per character while they last.
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7f || c === 0x22 || c === 0x5c) break;
    b[o++] = c;
  }
  for (; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c <= 0x5c && (c < 0x20 || c === 0x22 || c === 0x5c)) plain = false;   // letters pass at the first test
      b[o++] = c;
    } else if (c < 0x800) {
      b[o++] = 0xc0 | (c >> 6); b[o++] = 0x80 | (c & 63);
    } else if (c < 0xd800 || c > 0xdfff) {
      b[o++] = 0xe0 | (c >> 12); b[o++] = 0x80 | ((c >> 6) & 63); b[o++] = 0x80 | (c & 63);
    } else {
      const d = c < 0xdc00 && i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        b[o++] = 0xf0 | (c >> 18); b[o++] = 0x80 | ((c >> 12) & 63); b[o++] = 0x80 | ((c >> 6) & 63); b[o++] = 0x80 | (c & 63);
      } else {
        b[o++] = 0xef; b[o++] = 0xbf; b[o++] = 0xbd;   /* U+FFFD */
      }
    }
  }
  if (asKey) view.setUint32(head, plain ? o - head - 4 : (o - head - 4) + 0x80000000, true);
  else { b[head] = plain ? T_STR : T_STRX; view.setUint32(head + 1, o - head - 5, true); }
  pos = o;
}

/* The last name seen at each member place (depth and index, hashed): documents of one shape
   find their names here by identity (property names are interned strings), without the Map. */
const PLACES = 256;
const placeName = new Array(PLACES).fill(null), placeBytes = new Array(PLACES).fill(null);

function putKey(key, place) {
  let encoded = placeName[place] === key ? placeBytes[place] : keyBytes.get(key);
  if (encoded === undefined) {   // a name not seen before: written, then kept
    const start = pos - moved;
    putString(key, true);
    encoded = bytes.slice(start + moved, pos);
    if (keyBytes.size < KEY_CACHE_MAX) keyBytes.set(key, encoded);
    return;
  }
  placeName[place] = key;
  placeBytes[place] = encoded;
  const n = encoded.length;
  if (pos + n > limit) reserve(n);
  const b = bytes, at = pos;
  for (let k = 0; k < n; k++) b[at + k] = encoded[k];
  pos = at + n;
}

function putNumber(x) {
  if (Number.isInteger(x)) {
    if (x >= -2147483648 && x <= 2147483647) { bytes[pos] = T_INT32; view.setInt32(pos + 1, x, true); pos += 5; return; }
    if (x >= -TWO_63 && x < TWO_63) {
      bytes[pos] = T_INT64;
      if (x > -TWO_53 && x < TWO_53) {
        const high = Math.floor(x / TWO_32);
        view.setUint32(pos + 1, x - high * TWO_32, true);
        view.setInt32(pos + 5, high, true);
      } else {
        view.setBigInt64(pos + 1, BigInt(x), true);
      }
      pos += 9;
      return;
    }
  } else if (x - x !== 0) {
    throw notEncoded;   // NaN, ±Infinity: refused on the text path, with the path in the message
  }
  bytes[pos] = T_DOUBLE; view.setFloat64(pos + 1, x, true); pos += 9;
}

/* A container's header: tag, count, payload bytes, filled in when its elements are written. */
function endContainer(kept, tag, count) {
  const at = kept + moved;
  bytes[at] = tag;
  view.setUint32(at + 1, count, true);
  view.setUint32(at + 5, pos - at - 9, true);
}

/* Writes v; false when v is a member JSON leaves out (undefined, a function, a symbol). */
function putValue(v, depth) {
  if (pos + 9 > limit) reserve(9);
  switch (typeof v) {
    case 'string': putString(v, false); return true;
    case 'number': putNumber(v); return true;
    case 'boolean': bytes[pos++] = v ? T_TRUE : T_FALSE; return true;
    case 'object':
      if (v === null) { bytes[pos++] = T_NULL; return true; }
      if (depth > MAX_DEPTH) throw notEncoded;
      if (v.toJSON !== undefined) return putJSONOf(v, depth);
      if (Array.isArray(v)) { putArray(v, depth); return true; }
      putObject(v, depth);
      return true;
    case 'undefined': case 'function': case 'symbol': return false;
    default: throw notEncoded;   // bigint: the text path reports it
  }
}

function putArray(a, depth) {
  const at = pos - moved, n = a.length;
  pos += 9;
  for (let i = 0; i < n; i++) if (!putValue(a[i], depth + 1)) throw notEncoded;   // JSON writes null: rare, left to it
  endContainer(at, T_ARR, n);
}

let objectPrototypeIsBare = true;

function putObject(o, depth) {
  const at = pos - moved;
  pos += 9;
  let count = 0;
  if (Object.getPrototypeOf(o) === Object.prototype && objectPrototypeIsBare) {
    for (const key in o) {
      const start = pos - moved;
      putKey(key, (depth * 16 + count) & (PLACES - 1));
      if (putValue(o[key], depth + 1)) count++;
      else pos = start + moved;
    }
  } else {
    if (JSON.isRawJSON?.(o) || o instanceof Number || o instanceof String || o instanceof Boolean) throw notEncoded;
    for (const key of Object.keys(o)) {
      const start = pos - moved;
      putKey(key, (depth * 16 + count) & (PLACES - 1));
      if (putValue(o[key], depth + 1)) count++;
      else pos = start + moved;
    }
  }
  endContainer(at, T_OBJ, count);
}

/* A value with a toJSON: a Date's is its ISO text (null when invalid); any other goes to the
   text path, which calls it with the argument JSON.stringify gives. */
function putJSONOf(v, depth) {
  if (!(v instanceof Date) || v.toJSON !== Date.prototype.toJSON) throw notEncoded;
  return putValue(v.toJSON(), depth);
}

/* Writes the items (an add's documents) one after another, from start = [bytes, view, pos,
   limit, grow]: bytes and view over the space, pos where writing starts, limit where the room
   ends. grow(used, needed, fractionDone) must return a new [bytes, view, pos, limit] with room
   for needed more bytes after the used ones, which it keeps (pos: where writing goes on).
   Returns the end position, or NOT_ENCODED. Reads the items only, as JSON.stringify would. */
export function encodeDocuments(items, start) {
  [bytes, view, pos, limit, grow] = start;
  moved = 0;
  done = 0;
  total = Math.max(items.length, 1);
  growError = null;
  try {
    objectPrototypeIsBare = true;
    for (const key in Object.prototype) { objectPrototypeIsBare = false; break; }   // someone added an enumerable member
    for (; done < items.length; done++) {
      const item = items[done];
      // Only objects are stored: anything else is the text path's to refuse, in its words.
      if (item === null || typeof item !== 'object' || Array.isArray(item) || !putValue(item, 1)) return NOT_ENCODED;
    }
    return pos;
  } catch (error) {
    if (error === growError) throw error;
    // notEncoded, or a caller's getter or toJSON threw: the text path runs it again and reports it.
    return NOT_ENCODED;
  } finally {
    bytes = view = grow = growError = null;
  }
}
