/*
** errors.js: the one error class that every Hindsight JS module throws.
**
** Owns: HindsightError and the frozen ErrorCode list of its string codes.
**
** Invariants: code is a string (normally one of ErrorCode's values), name is
** always 'HindsightError', and nothing in the library throws strings or bare Errors
** for conditions a caller can meet (STYLE.md principle 14). An underlying
** failure travels in the standard `cause` option so stack traces survive.
** No runtime-specific APIs: this file loads in Node, browsers, Deno and workerd.
*/

export const ErrorCode = Object.freeze({
  CLOSED: 'CLOSED',                     // the database or view was closed
  INVALID_ARGUMENT: 'INVALID_ARGUMENT', // a caller passed a bad value or type
  TOO_OLD: 'TOO_OLD',                   // an as-of read before the retention horizon
  QUOTA: 'QUOTA',                       // the storage backend is out of space
  CORRUPT: 'CORRUPT',                   // stored data (a backup file, a snapshot) failed its checksum or shape checks
  LOCKED: 'LOCKED',                     // another store (process) holds the database's folder
  WASM_LOAD: 'WASM_LOAD',               // the wasm module could not be fetched or instantiated
  NOMEM: 'NOMEM',                       // the engine ran out of memory
  INTERNAL: 'INTERNAL',                 // a broken invariant: a bug in Hindsight
});

export class HindsightError extends Error {
  /**
   * code: one of ErrorCode's values; message: human-readable text;
   * options: { cause } as for the standard Error constructor.
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'HindsightError';
    this.code = String(code);
  }
}
