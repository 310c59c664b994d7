/*
 * console.js: the query console: a JSON editor for a Query or TransactionQuery, example buttons,
 * Run (or Ctrl/Cmd+Enter), and the QueryResult pretty-printed underneath.
 *
 * Owns: the console's DOM inside the element it is given, and turning every failure (bad JSON,
 * a HindsightError, a result with isSuccess false) into visible text in the page.
 *
 * Must stay true: nothing the user types can throw out of this module or reach the browser
 * console; after every executed query, onExecuted(query, result) is called, so the rest of the
 * page (the time-travel panel) can follow the writes.
 */
import { el, replaceChildren, prettyJson, describeError } from './dom.js';
import { EXAMPLES } from './examples.js';

/* Results longer than this are cut in the page (the full result is still in the database). */
const MAX_SHOWN_CHARS = 200_000;

/* A JSON.parse message plus the line and column, when the engine of this browser reports a position. */
function describeJsonError(text, error) {
  const match = /position (\d+)/.exec(error.message);
  if (!match) return `Not valid JSON: ${error.message}`;
  const before = text.slice(0, Number(match[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `Not valid JSON (line ${line}, column ${column}): ${error.message}`;
}

/* A one-line summary of a QueryResult or TransactionQueryResult. */
function summarize(result, ms) {
  const time = `${ms.toFixed(2)} ms`;
  if (!result.isSuccess) return `isSuccess: false · ${result.errorMessage ?? 'no error message'} · ${time}`;
  if (result.className === 'TransactionQueryResult') return `isSuccess: true · ${result.results.length} queries committed together · ${time}`;
  return `isSuccess: true · ${result.type} · updateCount ${result.updateCount} · hitCount ${result.hitCount} · dbLength ${result.dbLength} · ${time}`;
}

/**
 * Builds the console inside root. db: an open Database; onExecuted(query, result): called after
 * each query that reached the engine. Returns { run(), load(exampleId) } for the page and tests.
 */
export function createConsole(root, { db, onExecuted = () => {} }) {
  const editor = el('textarea', {
    id: 'query-input', class: 'query-input', spellcheck: 'false', rows: 16,
    'aria-label': 'Query or TransactionQuery JSON',
  });
  const status = el('div', { id: 'query-status', class: 'status', role: 'status' });
  const output = el('pre', { id: 'query-result', class: 'result', 'aria-label': 'Query result' });

  function show(kind, summary, body) {
    status.className = `status ${kind}`;
    status.textContent = summary;
    output.className = `result ${kind}`;
    output.textContent = body.length > MAX_SHOWN_CHARS
      ? `${body.slice(0, MAX_SHOWN_CHARS)}\n… (${body.length - MAX_SHOWN_CHARS} more characters not shown)` : body;
  }

  function load(exampleId) {
    const example = EXAMPLES.find((e) => e.id === exampleId);
    if (!example) return;
    editor.value = prettyJson(example.query);
    show('idle', `Example "${example.label}" loaded; press Run (Ctrl+Enter).`, '');
  }

  function run() {
    const text = editor.value;
    let query;
    try {
      query = JSON.parse(text);
    } catch (error) {
      show('error', describeJsonError(text, error), '');
      return null;
    }
    let result;
    const started = performance.now();
    try {
      result = db.executeQuery(query);
    } catch (error) {
      show('error', describeError(error), '');
      return null;
    }
    const ms = performance.now() - started;
    show(result.isSuccess ? 'ok' : 'fail', summarize(result, ms), prettyJson(result));
    try {
      onExecuted(query, result);
    } catch (error) {
      show('error', `The query ran, but updating the page failed: ${describeError(error)}`, prettyJson(result));
    }
    return result;
  }

  editor.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); run(); }
  });

  const exampleButtons = EXAMPLES.map((e) => el('button', {
    type: 'button', class: 'example', dataset: { example: e.id }, text: e.label, on: { click: () => load(e.id) },
  }));
  replaceChildren(root,
    el('div', { class: 'toolbar' }, el('span', { class: 'hint', text: 'Examples:' }), exampleButtons),
    editor,
    el('div', { class: 'toolbar' },
      el('button', { type: 'button', id: 'run-query', class: 'primary', text: 'Run', on: { click: run } }),
      el('span', { class: 'hint', text: 'Ctrl+Enter runs too. Keys left out take DeltaTraceDB\'s defaults.' })),
    status,
    output);
  load('search');
  return { run, load };
}
