/*
 * run-all.mjs: runs every test suite, streams its output, counts passes and failures, and ends
 * with exactly one summary line: "SUMMARY: P passed, F failed".
 *
 * Owns: the suite list (c, js, fuzz, valgrind, soak, chromium, firefox, webkit, node, deno,
 * workerd, package, ...), how each is
 * started, its time limit, and the counting. Suites are built beforehand by `make build`.
 * Usage: node tests/run-all.mjs [suite | browsers | runtimes ...]   (no argument: all suites)
 *
 * Must stay true:
 *   - counts come from each program's last "# pass N" / "# fail N" lines (node --test's TAP
 *     reporter and our drivers print them); "# cancelled N" counts as failed;
 *   - a program that crashes, times out, exits non-zero, or prints no counts adds a failure;
 *     a suite that finds nothing to run is a failure too, so "green" always means tests ran;
 *   - the exit code is non-zero whenever anything failed; the SUMMARY line is printed last.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MINUTE = 60_000;
const bin = (name) => path.join(repoRoot, 'node_modules/.bin', name);

/** Files in dir (repo-relative) whose names match pattern, recursively, sorted. */
function findFiles(dir, pattern) {
  const abs = path.join(repoRoot, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findFiles(rel, pattern);
    return pattern.test(entry.name) ? [rel] : [];
  }).sort();
}

/*
 * Each suite lists its jobs: { label, command, args, timeoutMs } or { label, error } when it
 * cannot even start. A suite's counts are the sum of its jobs' counts.
 */
const SUITES = {
  c: () => {
    const sources = findFiles('tests/c', /^test_.*\.c$/);
    if (!sources.length) return [{ label: 'c', error: 'no tests/c/test_*.c files found' }];
    return sources.map((src) => {
      const binary = `build/tests/${path.basename(src, '.c')}`;
      return existsSync(path.join(repoRoot, binary))
        ? { label: binary, command: path.join(repoRoot, binary), args: [], timeoutMs: 5 * MINUTE }
        : { label: binary, error: `${binary} is not built; run "make build"` };
    });
  },
  js: () => {
    const files = findFiles('tests/js', /\.test\.m?js$/);
    if (!files.length) return [{ label: 'js', error: 'no tests/js/*.test.mjs files found' }];
    return [{ label: 'node --test tests/js', command: process.execPath,
      args: ['--test', '--test-reporter=tap', ...files], timeoutMs: 20 * MINUTE }];
  },
  // Each libFuzzer target for 15 s from its seed corpus (make fuzz runs them longer).
  fuzz: () => [{ label: 'fuzz', command: process.execPath, args: ['tests/fuzz/run-fuzz.mjs', '--seconds', '15'], timeoutMs: 6 * MINUTE }],
  // Every fuzz seed corpus, run by a build without sanitizers under valgrind: no invalid access,
  // no uninitialised read, no leak (valgrind's own exit code 1 fails the job).
  valgrind: () => findFiles('tests/fuzz', /^fuzz_\w+\.c$/).map((src) => {
    const name = path.basename(src, '.c').slice('fuzz_'.length);
    const binary = `build/valgrind/corpus_${name}`;
    return existsSync(path.join(repoRoot, binary))
      ? { label: `valgrind ${binary}`, command: 'valgrind',
          args: ['-q', '--error-exitcode=1', '--leak-check=full', '--errors-for-leak-kinds=definite,indirect,possible',
            binary, `tests/fuzz/corpus/${name}`], timeoutMs: 5 * MINUTE }
      : { label: binary, error: `${binary} is not built; run "make build"` };
  }),
  // 50,000 commits with retention through the Database API; memory must stay bounded.
  soak: () => [{ label: 'soak', command: process.execPath, args: ['--expose-gc', 'tests/soak/soak.mjs', '--commits', '50000'], timeoutMs: 5 * MINUTE }],
  chromium: () => [{ label: 'chromium', command: process.execPath, args: ['tests/browsers/chromium.mjs'], timeoutMs: 5 * MINUTE }],
  firefox: () => [{ label: 'firefox', command: process.execPath, args: ['tests/browsers/firefox.mjs'], timeoutMs: 5 * MINUTE }],
  // MiniBrowser has no headless mode, so WebKit gets a virtual X display of its own.
  webkit: () => [{ label: 'webkit', command: 'xvfb-run', args: ['-a', process.execPath, 'tests/browsers/webkit.mjs'], timeoutMs: 5 * MINUTE }],
  // The demo: end to end in the three browsers (an in-page harness driving the demo in
  // iframes), then what needs Playwright (redirects, read-only open, hotkey, screenshots, speed).
  demo: () => [
    { label: 'demo e2e chromium', command: process.execPath, args: ['tests/browsers/chromium.mjs', 'tests/browsers/pages/demo-e2e.html'], timeoutMs: 3 * MINUTE },
    { label: 'demo e2e firefox', command: process.execPath, args: ['tests/browsers/firefox.mjs', 'tests/browsers/pages/demo-e2e.html'], timeoutMs: 3 * MINUTE },
    { label: 'demo e2e webkit', command: 'xvfb-run', args: ['-a', process.execPath, 'tests/browsers/webkit.mjs', 'tests/browsers/pages/demo-e2e.html'], timeoutMs: 3 * MINUTE },
    { label: 'demo', command: process.execPath, args: ['tests/browsers/demo.test.mjs'], timeoutMs: 5 * MINUTE },
  ],
  // Write, flush, reload, find everything, in the three browsers (WebKit needs a display).
  reload: () => [{ label: 'reload', command: 'xvfb-run', args: ['-a', process.execPath, 'tests/browsers/persist-reload.mjs'], timeoutMs: 5 * MINUTE }],
  // Two real top-level tabs writing at once (Chromium, Firefox).
  tabs: () => [{ label: 'tabs', command: process.execPath, args: ['tests/browsers/multitab-tabs.mjs'], timeoutMs: 5 * MINUTE }],
  // Chromium killed 20 times in the middle of a burst of commits.
  'browser-crash': () => [{ label: 'browser-crash', command: process.execPath, args: ['tests/browsers/persist-crash.mjs'], timeoutMs: 10 * MINUTE }],
  // Sync: the Worker and Durable Object in real workerd on 127.0.0.1, clients in Node.
  sync: () => [{ label: 'sync', command: process.execPath, args: [...(Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-websocket'] : []), '--test', 'tests/sync/client-store.test.mjs', 'tests/sync/sync.test.mjs', 'tests/sync/node-server.test.mjs', 'tests/sync/faults.test.mjs', 'tests/sync/bootstrap.test.mjs', 'tests/sync/group-commit.test.mjs', 'tests/sync/history.test.mjs'], timeoutMs: 4 * MINUTE }],
  // The sync client in Chromium and Firefox against workerd, beside Node clients (convergence with restarts and offline spells).
  'sync-browser': () => [{ label: 'sync-browser', command: process.execPath, args: [...(Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-websocket'] : []), 'tests/sync/browser.mjs'], timeoutMs: 3 * MINUTE }],
  node: () => [{ label: 'node', command: process.execPath, args: ['tests/runtimes/node-smoke.mjs'], timeoutMs: 3 * MINUTE }],
  deno: () => [{ label: 'deno', command: bin('deno'),
    args: ['run', '--allow-read', '--allow-env', '--no-prompt', 'tests/runtimes/deno-smoke.mjs'], timeoutMs: 3 * MINUTE }],
  workerd: () => [{ label: 'workerd', command: process.execPath, args: ['tests/runtimes/workerd-smoke.mjs'], timeoutMs: 3 * MINUTE }],
  // The packed tarball installed into fresh folders: Node, require, the CLI, Deno, workerd, tsc,
  // and Vite (build + dev server), webpack, esbuild and Rollup apps opened in Chromium.
  package: () => [{ label: 'package', command: process.execPath, args: ['tests/package/run.mjs'], timeoutMs: 8 * MINUTE }],
  // 50 SIGKILLs of a process writing through the file store, then 50 through the Database.
  crash: () => [{ label: 'crash', command: process.execPath, args: ['tests/crash/node-sigkill.mjs'], timeoutMs: 10 * MINUTE }],
};
const GROUPS = { browsers: ['chromium', 'firefox', 'webkit', 'demo', 'reload', 'tabs', 'browser-crash', 'sync-browser'], runtimes: ['node', 'deno', 'workerd'] };

/** Expands the command line into suite names, rejecting unknown ones. */
function selectedSuites(argv) {
  if (!argv.length) return Object.keys(SUITES);
  const names = argv.flatMap((a) => GROUPS[a] ?? [a]);
  const unknown = names.filter((n) => !SUITES[n]);
  if (unknown.length) {
    console.error(`run-all: unknown suite(s) ${unknown.join(', ')}; known: ${[...Object.keys(SUITES), ...Object.keys(GROUPS)].join(', ')}`);
    process.exit(2);
  }
  return [...new Set(names)];
}

/*
 * Stops a job's process group: SIGTERM first, so a driver can close the browser it started
 * (browsers run in process groups of their own), then SIGKILL for whatever is left.
 */
function stopGroup(pgid, graceMs = 3000) {
  const signalGroup = (sig) => { try { process.kill(-pgid, sig); return true; } catch { return false; } };
  if (!signalGroup('SIGTERM')) return Promise.resolve();
  return new Promise((resolve) => setTimeout(() => { signalGroup('SIGKILL'); resolve(); }, graceMs));
}

// Jobs run in their own process groups, so Ctrl-C must be passed on by hand.
let runningGroup = null;
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    stopping = true;
    console.log(`\nrun-all: stopped by ${signal}`);
    if (runningGroup) await stopGroup(runningGroup);
    process.exit(130);
  });
}

/** Runs one job, streaming its output, and resolves to { passed, failed, problem }. */
function runJob(job) {
  return new Promise((resolve) => {
    const counts = { pass: null, fail: null, cancelled: 0 };
    const env = {
      ...process.env,
      // Any undefined behaviour must fail the C test, not just print a warning.
      UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? 'halt_on_error=1:print_stacktrace=1',
      ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'detect_leaks=1',
      NO_COLOR: '1',
    };
    let child;
    try {
      // detached: the job gets its own process group, so a timeout can stop its children too.
      child = spawn(job.command, job.args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (err) {
      resolve({ passed: 0, failed: 1, problem: `could not start: ${err.message}` });
      return;
    }
    runningGroup = child.pid;
    let pending = '';
    const scan = (line) => {
      const m = /^# (pass|fail|cancelled) (\d+)\s*$/.exec(line);
      if (m) counts[m[1]] = Number(m[2]);
    };
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      lines.forEach(scan);
    });
    child.stderr.on('data', (chunk) => process.stderr.write(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stopGroup(child.pid);
    }, job.timeoutMs);
    let startError = null;
    child.on('error', (err) => { startError = err; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      runningGroup = null;
      scan(pending);
      // Children left behind (e.g. a browser) must not outlive the job.
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* none left */ }
      const passed = counts.pass ?? 0;
      let failed = (counts.fail ?? 0) + counts.cancelled;
      let problem = null;
      if (startError) problem = `could not start ${job.command}: ${startError.message}`;
      else if (timedOut) problem = `timed out after ${job.timeoutMs / 1000} s`;
      else if (signal) problem = `killed by ${signal}`;
      else if (counts.pass === null || counts.fail === null) problem = `exited with ${code} without printing "# pass N" and "# fail N"`;
      else if (code !== 0 && failed === 0) problem = `exited with ${code} although it reported no failures (sanitizer or leak report?)`;
      if (problem) failed += 1;
      resolve({ passed, failed, problem });
    });
  });
}

const suiteNames = selectedSuites(process.argv.slice(2));
const totals = [];
const problems = [];
for (const name of suiteNames) {
  if (stopping) break;
  const jobs = SUITES[name]();
  const suite = { name, passed: 0, failed: 0, ms: 0 };
  const started = Date.now();
  for (const job of jobs) {
    if (stopping) break;
    console.log(`\n=== ${name}: ${job.label} ===`);
    const outcome = job.error
      ? { passed: 0, failed: 1, problem: job.error }
      : await runJob(job);
    suite.passed += outcome.passed;
    suite.failed += outcome.failed;
    if (outcome.problem) {
      problems.push(`${name}: ${job.label}: ${outcome.problem}`);
      console.log(`=== ${name}: ${job.label}: PROBLEM: ${outcome.problem} ===`);
    }
  }
  if (suite.passed + suite.failed === 0) {
    suite.failed = 1;
    problems.push(`${name}: ran no tests`);
  }
  suite.ms = Date.now() - started;
  console.log(`=== ${name}: ${suite.passed} passed, ${suite.failed} failed (${(suite.ms / 1000).toFixed(1)} s) ===`);
  totals.push(suite);
}

const passed = totals.reduce((n, s) => n + s.passed, 0);
const failed = totals.reduce((n, s) => n + s.failed, 0);
console.log('\n=== results by suite (passed/failed) ===');
console.log(totals.map((s) => `${s.name}: ${s.passed}/${s.failed} in ${(s.ms / 1000).toFixed(1)} s`).join(', '));
for (const p of problems) console.log(`problem: ${p}`);
// The CI reads the closing line; "SUMMARY: N passed, N failed" must stay alone on it.
console.log(`SUMMARY: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
