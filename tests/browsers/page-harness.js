/*
 * page-harness.js: the in-page half of the browser test protocol, shared by every test page here.
 *
 * Owns: window.__hindsightTest, the one object a browser driver polls. Its shape is
 *   { state: 'running' | 'done' | 'error', results: [{ name, ok, detail }], error: string | null }.
 *
 * Must stay true:
 *   - a page reaches 'done' or 'error' exactly once, and never hangs silently: a failed
 *     import or a thrown error becomes state 'error' with the message;
 *   - results are plain JSON (drivers copy them out with JSON.parse(JSON.stringify(...))).
 */
window.__hindsightTest = { state: 'running', results: [], error: null };

/** Message plus the first few stack frames: enough to find the failing line, short enough to read. */
function describeError(err) {
  if (!(err instanceof Error)) return String(err);
  const frames = String(err.stack ?? '').split('\n').filter((l) => l.trim() && !l.includes(err.message)).slice(0, 3);
  return [`${err.name}: ${err.message}`, ...frames.map((l) => l.trim())].join('\n');
}

function finishWithError(message) {
  if (window.__hindsightTest.state !== 'running') return;
  window.__hindsightTest.state = 'error';
  window.__hindsightTest.error = message;
  document.body.append(`ERROR: ${message}`);
}

// Errors outside runPage's promise (e.g. in a page's own top-level code) still end the run.
window.addEventListener('error', (event) => finishWithError(`uncaught: ${describeError(event.error ?? event.message)}`));
window.addEventListener('unhandledrejection', (event) => finishWithError(`unhandled rejection: ${describeError(event.reason)}`));

/** Imports a module by URL, turning a load failure into a message that names the URL. */
export async function importOrExplain(url) {
  try {
    return await import(url);
  } catch (err) {
    throw new Error(`could not import ${url}: ${err?.message ?? err}`);
  }
}

/**
 * Runs a page's tests. testFn returns (a promise of) [{ name, ok, detail }].
 * The results are also printed into the page, for a person looking at it.
 */
export async function runPage(testFn) {
  try {
    const results = await testFn();
    if (!Array.isArray(results)) throw new Error('the page test returned no results array');
    window.__hindsightTest.results = results.map((r) => ({
      name: String(r.name), ok: r.ok === true, detail: r.detail == null ? '' : String(r.detail),
    }));
    window.__hindsightTest.state = 'done';
    const list = document.createElement('pre');
    list.textContent = window.__hindsightTest.results
      .map((r) => `${r.ok ? 'ok' : 'not ok'} - ${r.name}${r.detail ? ' # ' + r.detail : ''}`).join('\n');
    document.body.append(list);
  } catch (err) {
    finishWithError(describeError(err));
  }
}
