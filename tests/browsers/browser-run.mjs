/*
 * browser-run.mjs: the Node half of the browser test protocol, shared by the three browser drivers.
 *
 * Owns: the preflight checks (built package present), the 127.0.0.1 static server over the
 * repository, the list of test pages, polling each page's window.__hindsightTest, timeouts,
 * and the TAP-like report.
 *
 * Must stay true:
 *   - a page that errors, never loads its harness, or runs too long is a failed test, never a hang;
 *   - the browser and the server are always shut down, even on failure;
 *   - pages are given as paths relative to the repo root; with none, every tests/browsers/*.html runs.
 * A driver calls runBrowserPages(browserName, launch, options?), where launch() resolves to
 * { open(url), evaluate(expressionSource), consoleLines(), close() }.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { createTapReporter } from '../runtimes/tap.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PAGE_TIMEOUT_MS = Number(process.env.HINDSIGHT_PAGE_TIMEOUT_MS ?? 60_000);
const HARNESS_GRACE_MS = 15_000; // a page that has not created window.__hindsightTest by then is broken
const REQUIRED_FILES = ['js/index.js', 'js/hindsight.wasm', 'tests/runtimes/smoke-queries.js'];

/** Returns the page list from argv, or every .html page in tests/browsers. */
export function pagesFromArgs(argv = process.argv.slice(2)) {
  if (argv.length) return argv.map((p) => p.replace(/^\.?\//, ''));
  return readdirSync(path.join(repoRoot, 'tests/browsers'))
    .filter((f) => f.endsWith('.html')).sort().map((f) => `tests/browsers/${f}`);
}

/** Lists the files (relative to rootDir) that are needed but absent, so the run fails fast naming them. */
function missingFiles(rootDir, files) {
  return files.filter((f) => !existsSync(path.join(rootDir, f)));
}

/** True when the module at moduleUrl is the script node was started with (not imported). */
export function isMainModule(moduleUrl) {
  return Boolean(process.argv[1]) && moduleUrl === pathToFileURL(path.resolve(process.argv[1])).href;
}

const READ_STATE = 'JSON.stringify(window.__hindsightTest === undefined ? null : window.__hindsightTest)';

async function runOnePage(session, url) {
  const started = Date.now();
  await session.open(url);
  for (;;) {
    const raw = await session.evaluate(READ_STATE);
    const state = raw ? JSON.parse(raw) : null;
    const waited = Date.now() - started;
    if (state && state.state === 'done') return { results: state.results };
    if (state && state.state === 'error') return { error: state.error };
    if (!state && waited > HARNESS_GRACE_MS) return { error: 'the page never started page-harness.js (did a script fail to load?)' };
    if (waited > PAGE_TIMEOUT_MS) return { error: `timed out after ${PAGE_TIMEOUT_MS} ms; partial state: ${raw}` };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Runs every page in one browser and prints the TAP-like report. Sets process.exitCode.
 * rootDir and requiredFiles exist so the pipeline can be tried on a scratch folder.
 */
export async function runBrowserPages(browserName, launch,
  { pages = pagesFromArgs(), rootDir = repoRoot, requiredFiles = REQUIRED_FILES } = {}) {
  const tap = createTapReporter();
  const missing = missingFiles(rootDir, [...requiredFiles, ...pages]);
  if (missing.length) {
    tap.report(`${browserName}: preflight`, false,
      `missing ${missing.join(', ')}; run "make build" first (js/hindsight.wasm comes from the C build)`);
    tap.finish();
    process.exitCode = 1;
    return;
  }
  const notFound = [];
  const served = await startStaticServer({
    rootDir,
    onRequest: (method, urlPath, status) => { if (status === 404 && urlPath !== '/favicon.ico') notFound.push(urlPath); },
  });
  let session = null;
  try {
    try {
      session = await launch();
    } catch (err) {
      tap.report(`${browserName}: launch`, false, err.message);
      return;
    }
    for (const page of pages) {
      notFound.length = 0;
      const url = `${served.origin}/${page}`;
      tap.comment(`${browserName}: ${url}`);
      let outcome;
      try {
        outcome = await runOnePage(session, url);
      } catch (err) {
        outcome = { error: `driver error: ${err.message}` };
      }
      const label = `${browserName} ${path.basename(page)}`;
      if (outcome.error) {
        const extra = notFound.length ? ` (404s: ${[...new Set(notFound)].join(', ')})` : '';
        tap.report(`${label}: page ran`, false, outcome.error + extra);
        for (const line of session.consoleLines?.() ?? []) tap.comment(`console: ${line}`);
        continue;
      }
      if (outcome.results.length === 0) tap.report(`${label}: page ran`, false, 'the page reported no results');
      tap.reportAll(outcome.results, `${label}: `);
    }
  } finally {
    if (session) await session.close().catch((err) => tap.comment(`closing the browser failed: ${err.message}`));
    await served.close();
    const { failed } = tap.finish();
    if (failed) process.exitCode = 1;
  }
}
