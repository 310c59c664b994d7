/*
 * lock-child.mjs: one contender in store-file.test.mjs's lock races. It opens a FileStore on a
 * folder at an agreed moment, reports the outcome, holds what it got until its stdin closes,
 * then closes the store.
 *
 * Usage: node lock-child.mjs <folder> <start at, ms since the epoch>
 * Stdout: "opened" or the HindsightError code (for example "LOCKED"), then "closed" at the end.
 * Must stay true: the outcome line is written while the store is still held, so a parent that
 * waits for every contender's line sees them all at one moment.
 */
import { FileStore } from '../../node/file-store.js';

const [folder, startAt] = process.argv.slice(2);
const store = new FileStore({ path: folder });
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
let outcome;
try {
  await store.open();
  outcome = 'opened';
} catch (error) {
  outcome = error?.code ?? String(error);
}
process.stdout.write(`${outcome}\n`);
process.stdin.resume();
await new Promise((resolve) => process.stdin.on('end', resolve));
await store.close();
process.stdout.write('closed\n');
