/*
 * database-child.mjs: the process node-sigkill.mjs kills in its Database phase. It opens
 * Database.open({ storage: 'file', path }) and makes bursts of commits (crash-data.mjs's
 * commitFor(seq)), awaiting db.flush() after each burst.
 *
 * Usage: node database-child.mjs <folder> <seed>
 * Stdout protocol, one line each, written only after what it reports:
 *   "ready <seq>"     the database opened at seq
 *   "durable <seq>"   db.flush() resolved; db.durableSeq is seq
 * Must stay true: every commit is the one commitFor gives for its seq (checked here: a commit
 * that did not move db.seq by one is an error that ends the child with a non-zero exit).
 */
import { Database, QueryBuilder, FieldEquals } from '../../node/index.js';
import { mulberry32, commitFor } from './crash-data.mjs';

const [folder, seedText] = process.argv.slice(2);
const random = mulberry32(Number(seedText));
const db = await Database.open({ storage: 'file', path: folder, snapshotEvery: 1500 });
// Snapshots carry the kept history: retention keeps them (and each round's reopening) small.
db.setRetention({ maxCommits: 3000 });
process.stdout.write(`ready ${db.seq}\n`);

for (;;) {
  const burst = 1 + Math.floor(random() * 600);
  for (let i = 0; i < burst; i++) {
    const k = db.seq + 1;
    const result = db.executeQuery(commitFor(k, { QueryBuilder, FieldEquals }));
    if (!result.isSuccess || db.seq !== k) {
      process.stderr.write(`commit ${k} failed: ${JSON.stringify(result)}\n`);
      process.exit(3);
    }
  }
  await db.flush();
  process.stdout.write(`durable ${db.durableSeq}\n`);
}
