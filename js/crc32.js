/*
 * crc32.js: CRC-32 (IEEE 802.3, the zlib/PNG polynomial 0xEDB88320, reflected) of bytes or text.
 *
 * Owns: crc32(bytesOrString, previous = 0) -> uint32. Strings are checksummed as their UTF-8
 * bytes. `previous` continues a running checksum, so crc32(b, crc32(a)) === crc32(a + b).
 * The stores use it to detect torn and corrupt records; crc32('123456789') is 0xCBF43926.
 *
 * Must stay true: no runtime-specific API (this file loads in Node, browsers, Deno and
 * workerd); the result is always an unsigned 32-bit integer. Slicing-by-8: eight 256-entry
 * tables let the loop consume 8 bytes per step, which is what keeps a 1,000-record append
 * cheap next to its fsync.
 */
import { HindsightError, ErrorCode } from './errors.js';

const POLYNOMIAL = 0xedb88320;

/* TABLES[k][b]: the CRC of byte b followed by k zero bytes. TABLES[0] is the classic table. */
const TABLES = (() => {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    tables[0][b] = c;
  }
  for (let k = 1; k < 8; k++) {
    for (let b = 0; b < 256; b++) {
      const prev = tables[k - 1][b];
      tables[k][b] = (prev >>> 8) ^ tables[0][prev & 0xff];
    }
  }
  return tables;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES;

function asBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `crc32 needs a Uint8Array or a string, got ${data === null ? 'null' : typeof data}`);
}

/* The running (inverted) CRC over bytes[0 .. n). */
function crcOfBytes(bytes, n, crc) {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const low = crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    crc = T7[low & 0xff] ^ T6[(low >>> 8) & 0xff] ^ T5[(low >>> 16) & 0xff] ^ T4[low >>> 24]
      ^ T3[bytes[i + 4]] ^ T2[bytes[i + 5]] ^ T1[bytes[i + 6]] ^ T0[bytes[i + 7]];
  }
  for (; i < n; i++) crc = (crc >>> 8) ^ T0[(crc ^ bytes[i]) & 0xff];
  return crc;
}

const utf8 = new TextEncoder();
const TEXT_CHUNK = 1 << 14;                   // characters per encodeInto; 3 bytes each at most
const scratch = new Uint8Array(3 * TEXT_CHUNK);

/* The running CRC over text's UTF-8 bytes, encoded chunk by chunk into one reused buffer: no
   allocation per text (a batch checksums a thousand small texts; a snapshot is megabytes).
   A chunk never ends between the two halves of a surrogate pair. */
function crcOfText(text, crc) {
  for (let at = 0; at < text.length;) {
    let end = Math.min(text.length, at + TEXT_CHUNK);
    if (end < text.length) {
      const last = text.charCodeAt(end - 1);
      if (last >= 0xd800 && last <= 0xdbff) end--;
    }
    const { written } = utf8.encodeInto(at === 0 && end === text.length ? text : text.slice(at, end), scratch);
    crc = crcOfBytes(scratch, written, crc);
    at = end;
  }
  return crc;
}

export function crc32(bytesOrString, previous = 0) {
  const start = ~(previous >>> 0);
  if (typeof bytesOrString === 'string') return ~crcOfText(bytesOrString, start) >>> 0;
  const bytes = asBytes(bytesOrString);
  return ~crcOfBytes(bytes, bytes.length, start) >>> 0;
}
