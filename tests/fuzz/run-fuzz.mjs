/*
 * run-fuzz.mjs: runs every libFuzzer target (build/fuzz/fuzz_<name>, from tests/fuzz/fuzz_<name>.c)
 * for a bounded time from its seed corpus, and reports executions and executions per second.
 *
 * Usage: node tests/fuzz/run-fuzz.mjs [--seconds S] [--keep] [name ...]
 *   --seconds S  time per target (default 15: the slice `make test` runs; `make fuzz` passes 300)
 *   --keep       keep build/fuzz/work/<name> between runs, so long runs build on each other
 * Must stay true: each target is one test ("ok"/"not ok"), and the run ends with "# pass N" and
 * "# fail N" lines (tests/run-all.mjs counts them); a crash, leak, timeout or sanitizer report fails
 * the target and its input is kept in build/fuzz/crashes/ (commit it into tests/fuzz/corpus/<name>/
 * once the bug is fixed, so every later run replays it); the repository's corpus is only read.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
let seconds = 15, keep = false;
const names = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--seconds') seconds = Number(args[++i]);
  else if (args[i] === '--keep') keep = true;
  else names.push(args[i]);
}
if (!(Number.isInteger(seconds) && seconds > 0)) {
  console.error('run-fuzz: --seconds needs a positive whole number');
  process.exit(2);
}
const all = readdirSync(path.join(root, 'tests/fuzz')).filter((f) => /^fuzz_\w+\.c$/.test(f)).map((f) => f.slice(5, -2)).sort();
const targets = names.length ? names : all;

function runTarget(name) {
  const binary = path.join(root, 'build/fuzz', `fuzz_${name}`);
  const seeds = path.join(root, 'tests/fuzz/corpus', name);
  if (!existsSync(binary)) return Promise.resolve({ ok: false, why: `${binary} is not built; run "make fuzz-targets"` });
  if (!existsSync(seeds) || readdirSync(seeds).length === 0) return Promise.resolve({ ok: false, why: `no seed corpus in ${seeds}` });
  const work = path.join(root, 'build/fuzz/work', name);
  if (!keep) rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const crashes = path.join(root, 'build/fuzz/crashes');
  mkdirSync(crashes, { recursive: true });
  const flags = [
    `-max_total_time=${seconds}`, '-timeout=30', '-rss_limit_mb=2048', '-max_len=16384',
    '-print_final_stats=1', `-artifact_prefix=${crashes}/${name}-`,
  ];
  return new Promise((resolve) => {
    // New inputs go to the work folder (first); the seeds (second) are read only.
    const child = spawn(binary, [...flags, work, seeds], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const keepTail = (chunk) => { log = (log + chunk).slice(-200_000); };
    child.stdout.on('data', keepTail);
    child.stderr.on('data', keepTail);
    // libFuzzer stops by itself; this is only a guard against a wedged process.
    const guard = setTimeout(() => child.kill('SIGKILL'), (seconds + 120) * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      const stat = (key) => Number(new RegExp(`stat::${key}:\\s+(\\d+)`).exec(log)?.[1] ?? NaN);
      const execs = stat('number_of_executed_units');
      const perSecond = stat('average_exec_per_sec');
      const corpus = readdirSync(work).length;
      const artifact = /Test unit written to (\S+)/.exec(log)?.[1] ?? null;
      if (code === 0 && !signal) resolve({ ok: true, execs, perSecond, corpus });
      else resolve({ ok: false, execs, perSecond, why: `exit ${code ?? signal}${artifact ? `, input kept in ${artifact}` : ''}`, tail: log.slice(-6000) });
    });
  });
}

let pass = 0, fail = 0, n = 0;
const rows = [];
console.log(`1..${targets.length}`);
for (const name of targets) {
  const started = Date.now();
  const r = await runTarget(name);
  n++;
  const figures = Number.isFinite(r.execs) ? `${r.execs} executions, ${r.perSecond} exec/s` : 'no statistics';
  if (r.ok) {
    pass++;
    console.log(`ok ${n} - fuzz_${name}: ${figures}, ${r.corpus} new corpus inputs, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } else {
    fail++;
    if (r.tail) console.log(r.tail.split('\n').map((l) => `# ${l}`).join('\n'));
    console.log(`not ok ${n} - fuzz_${name}: ${r.why} (${figures})`);
  }
  rows.push(`# fuzz_${name.padEnd(10)} ${String(r.execs).padStart(10)} executions ${String(r.perSecond).padStart(7)} exec/s`);
}
console.log(`# ${seconds} s per target`);
console.log(rows.join('\n'));
console.log(`# pass ${pass}`);
console.log(`# fail ${fail}`);
process.exitCode = fail ? 1 : 0;
