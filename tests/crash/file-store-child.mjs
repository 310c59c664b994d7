/*
 * file-store-child.mjs: the process node-sigkill.mjs kills. It appends batches of records
 * (texts from crash-data.mjs) to a FileStore as fast as it can, snapshotting now and then.
 *
 * Usage: node file-store-child.mjs <folder> <seed>
 * Stdout protocol, one line each, written only after the promise it reports has resolved:
 *   "ready <seq>"     the store opened; its log ends at seq
 *   "durable <seq>"   an append resolved: every record <= seq is on disk
 * Must stay true: a line is written after, never before, what it reports; stdout to a pipe is
 * synchronous in Node on Linux, so a reported line has left the process before any kill.
 */
import { FileStore } from '../../node/file-store.js';
import { mulberry32, recordText, snapshotText } from './crash-data.mjs';

const [folder, seedText] = process.argv.slice(2);
const random = mulberry32(Number(seedText));
const store = new FileStore({ path: folder });
const opened = await store.open();
let seq = Math.max(opened.snapshot?.seq ?? 0, opened.records.at(-1)?.seq ?? 0);
process.stdout.write(`ready ${seq}\n`);

for (;;) {
  // Mostly small and medium batches, sometimes a large one (a few MB) so kills land mid-write.
  const size = random() < 0.1 ? 5000 + Math.floor(random() * 15000) : 1 + Math.floor(random() * 1500);
  const batch = [];
  for (let i = 1; i <= size; i++) batch.push({ seq: seq + i, text: recordText(seq + i) });
  await store.append(batch);
  seq += size;
  process.stdout.write(`durable ${seq}\n`);
  if (random() < 0.08) {
    // Sometimes behind the log's end, so a segment straddling the snapshot is kept and read.
    const at = seq - Math.floor(random() * Math.min(size, 50));
    await store.writeSnapshot({ seq: at, text: snapshotText(at) });
  }
}
