/*
 * node-sigkill.mjs: kills writers with SIGKILL at random moments and checks nothing durable
 * was lost. Phase "file": file-store-child.mjs appends to a FileStore; phase "database":
 * database-child.mjs commits through Database.open({ storage: 'file', path }) and db.flush().
 * Each phase runs ROUNDS rounds on one folder (each round recovers what the last one left),
 * killing the child 0-250 ms after it is ready (or, in one round of eight, while it starts and
 * recovers). After each kill the folder is opened again, which must not throw, and must hold a
 * dense prefix of the known records (or commits, with the documents the model predicts) that
 * includes every seq the child ever reported durable.
 * Usage: node tests/crash/node-sigkill.mjs [file] [database]   (default: both)
 *   env CRASH_ROUNDS (default 50), CRASH_SEED (default 20240601). Prints TAP-like "ok N - ..."
 *   lines, "# pass N" and "# fail N"; exits non-zero if anything failed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileStore } from '../../node/file-store.js';
import { Database } from '../../node/index.js';
import { mulberry32, recordText, snapshotText, expectedItems } from './crash-data.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 50);
const SEED = Number(process.env.CRASH_SEED ?? 20240601);
const CHILD_TIMEOUT_MS = 20_000;

let testNumber = 0, passed = 0, failed = 0;
function report(ok, name, problems = []) {
  testNumber++;
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok' : 'not ok'} ${testNumber} - ${name}`);
  for (const p of problems) console.log(`#   ${p}`);
}

/* Starts a child, kills it (SIGKILL) killAfterMs after its "ready" line, or after spawning when
   beforeReady, and collects what it reported. */
function runChild(script, folder, seed, { killAfterMs, beforeReady }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(here, script), folder, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '', stderr = '', ready = null, durable = 0, killedAt = null, timedOut = false;
    const kill = () => { if (killedAt === null) { killedAt = Date.now(); child.kill('SIGKILL'); } };
    const started = Date.now();
    if (beforeReady) setTimeout(kill, killAfterMs);
    const guard = setTimeout(() => { timedOut = true; kill(); }, CHILD_TIMEOUT_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      pending += chunk;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const [word, value] = pending.slice(0, nl).split(' ');
        pending = pending.slice(nl + 1);
        if (word === 'ready') {
          ready = Number(value);
          if (!beforeReady) setTimeout(kill, killAfterMs);
        } else if (word === 'durable') {
          durable = Math.max(durable, Number(value));
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ ready, durable, code, signal, stderr, timedOut, ranMs: (killedAt ?? Date.now()) - started });
    });
  });
}

/* Opens the folder as a FileStore: { seq, problems, warnings }. */
async function checkFileStore(folder) {
  const problems = [];
  const store = new FileStore({ path: folder });
  let opened;
  try {
    opened = await store.open();
  } catch (error) {
    return { seq: null, problems: [`open threw: ${error.stack ?? error}`], warnings: [] };
  } finally {
    await store.close();
  }
  const snapshotSeq = opened.snapshot?.seq ?? 0;
  if (opened.snapshot && opened.snapshot.text !== snapshotText(snapshotSeq)) problems.push(`snapshot ${snapshotSeq} has the wrong text`);
  let expected = snapshotSeq + 1;
  for (const record of opened.records) {
    if (record.seq !== expected) { problems.push(`record seq ${record.seq} where ${expected} belongs`); break; }
    if (record.text !== recordText(record.seq)) { problems.push(`record ${record.seq} has the wrong text`); break; }
    expected++;
  }
  return { seq: expected - 1, problems, warnings: opened.warnings };
}

/* Opens the folder as a Database: its seq must carry exactly the documents the model predicts. */
async function checkDatabase(folder) {
  let db;
  try {
    db = await Database.open({ storage: 'file', path: folder });
  } catch (error) {
    return { seq: null, problems: [`Database.open threw: ${error.stack ?? error}`], warnings: [] };
  }
  try {
    const seq = db.seq;
    const items = db.toDict().collections.items?.data ?? [];
    const want = expectedItems(seq);
    const problems = JSON.stringify(items) === JSON.stringify(want) ? [] : [`the documents at seq ${seq} differ from the model (${items.length} vs ${want.length} items)`];
    return { seq, problems, warnings: [] };
  } finally {
    await db.close();
  }
}

async function runPhase(label, script, check) {
  const folder = await mkdtemp(path.join(os.tmpdir(), `hindsight-crash-${label}-`));
  const random = mulberry32(SEED ^ label.length);
  let everDurable = 0, recovered = 0, warned = 0, phaseFailed = false;
  const started = Date.now();
  for (let round = 1; round <= ROUNDS; round++) {
    const beforeReady = round % 8 === 0;
    const killAfterMs = beforeReady ? 20 + Math.floor(random() * 80) : Math.floor(random() * 250);
    const run = await runChild(script, folder, SEED + round, { killAfterMs, beforeReady });
    const problems = [];
    if (run.timedOut) problems.push(`the child ran past ${CHILD_TIMEOUT_MS} ms`);
    if (run.signal !== 'SIGKILL') {
      // Node exits with 13 when a top-level await can never settle: a write promise that hangs.
      const hint = run.code === 13 ? ' (a top-level await never settled: an append or flush promise hung)' : '';
      problems.push(`the child ended by itself with code ${run.code}${hint}: ${run.stderr.trim().slice(0, 500)}`);
    }
    if (run.ready !== null && run.ready !== recovered) problems.push(`the child opened at seq ${run.ready}, the last check at ${recovered}`);
    everDurable = Math.max(everDurable, run.durable);
    const result = await check(folder);
    problems.push(...result.problems);
    if (result.seq !== null && result.seq < everDurable) problems.push(`recovered up to seq ${result.seq}, but seq ${everDurable} was reported durable`);
    if (result.seq !== null && result.seq < recovered) problems.push(`recovered up to seq ${result.seq}, less than the ${recovered} recovered before`);
    if (result.warnings.length) warned++;
    recovered = result.seq ?? recovered;
    const how = beforeReady ? `killed ${killAfterMs} ms after spawn` : `killed ${killAfterMs} ms after ready`;
    report(problems.length === 0, `${label} round ${round}: ${how}; durable ${run.durable}, recovered ${result.seq}${result.warnings.length ? `, warnings: ${result.warnings.join(' | ').slice(0, 200)}` : ''}`, problems);
    if (problems.length) phaseFailed = true;
  }
  console.log(`# ${label}: ${ROUNDS} kills in ${((Date.now() - started) / 1000).toFixed(1)} s, ${recovered} seqs recovered at the end, ${warned} reopenings dropped a torn tail`);
  if (phaseFailed) console.log(`# ${label}: folder kept for inspection: ${folder}`);
  else await rm(folder, { recursive: true, force: true });
}

const phases = process.argv.slice(2).length ? process.argv.slice(2) : ['file', 'database'];
for (const phase of phases) {
  if (phase === 'file') await runPhase('file', 'file-store-child.mjs', checkFileStore);
  else if (phase === 'database') await runPhase('database', 'database-child.mjs', checkDatabase);
  else report(false, `unknown phase ${phase}: use file or database`);
}
console.log(`# pass ${passed}`);
console.log(`# fail ${failed}`);
process.exitCode = failed ? 1 : 0;
