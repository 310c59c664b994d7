/*
 * stored-snapshot.js: the snapshot text a store keeps, made from and loaded into an engine.
 *
 * Owns: the JS meta beside the engine's dump ({ format: 2, seq, retention, horizon }; the
 * framing is js/persistence.js's encodeSnapshot), made and loaded as UTF-8 bytes (a text
 * snapshot, from a store that keeps text, loads too), loading a snapshot into an engine, and
 * reading the snapshots written before the engine owned the commits (format 1: a JS
 * meta.log beside an engine dump without commit records), which are converted, never written.
 * Invariants: a snapshot a store keeps is one that loads (checkLoads runs on a scratch
 * engine first); loading changes only the engine it is given.
 */
import { Engine } from './engine.js';
import { snapshotHeader, decodeSnapshot, decodeSnapshotBytes } from './persistence.js';
import { REVERT_CLASS } from './database-core.js';

/* An old snapshot (JS meta.log beside an engine dump of version 1) as a dump the engine
   reads: the log's entries become the dump's commit records (c/snapshot.c's table). */
function convertLegacyDump(meta, dumpText) {
  const log = meta.log;
  const commits = log.entries.map(([seq, time, causeText, queryText]) => {
    const id = JSON.stringify(`legacy.${seq}`);
    if (queryText.includes(`"${REVERT_CLASS}"`)) {
      const q = JSON.parse(queryText);
      if (q?.className === REVERT_CLASS && !q.state) return `[${seq},${id},${time},${causeText ?? 'null'},2,${q.toSeq}]`;
      return `[${seq},${id},${time},${causeText ?? 'null'},5,${queryText}]`;
    }
    return `[${seq},${id},${time},${causeText ?? 'null'},0,${queryText}]`;
  });
  const end = dumpText.lastIndexOf('}');
  const baseTime = Number.isFinite(log.baseTime) ? log.baseTime : null;
  return `${dumpText.slice(0, end)},"baseTime":${baseTime},"commits":[${commits.join(',')}]}`;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/* A stored snapshot's content: its UTF-8 bytes (the stores of this package) or its text
   (stores that keep text: custom stores, older rows). */
export function snapshotPayload(snapshot) {
  return snapshot.bytes ?? snapshot.text;
}

/* Loads a stored snapshot (text or UTF-8 bytes) into engine; returns its JS meta
   ({ retention, horizon }). Bytes go into the engine as they are, never decoded. */
export function loadSnapshot(engine, textOrBytes) {
  if (typeof textOrBytes !== 'string') {
    const decoded = decodeSnapshotBytes(textOrBytes);
    if (decoded && !decoded.meta.log) {
      engine.loadBytes(decoded.dumpBytes);
      return decoded.meta;
    }
    textOrBytes = fromUtf8.decode(textOrBytes);   // a format-1 snapshot, or a non-ASCII meta: rare
  }
  const { meta, dumpText } = decodeSnapshot(textOrBytes);
  engine.loadText(meta.log ? convertLegacyDump(meta, dumpText) : dumpText);
  return meta;
}

/* The snapshot of engine now, with the retention state ({ retention, horizon }), as UTF-8
   bytes: the dump is copied once out of wasm memory and never decoded. */
export function snapshotBytes(engine, retentionState) {
  const meta = { format: 2, seq: engine.seq(), retention: retentionState.retention, horizon: retentionState.horizon };
  return engine.dumpBytes(utf8.encode(snapshotHeader(meta)));
}

/* The same as text (for stores that keep text). */
export function snapshotText(engine, retentionState) {
  return fromUtf8.decode(snapshotBytes(engine, retentionState));
}

/* Throws unless the snapshot (text or bytes) loads as this database's snapshots do (a
   scratch engine on the same wasm): the store keeps a snapshot, and drops what it covers,
   only once this passes. */
export function checkLoads(wasm, textOrBytes) {
  const scratch = new Engine(wasm);
  try {
    loadSnapshot(scratch, textOrBytes);
  } finally {
    scratch.close();
  }
}
