/*
 * app.js: the demo page's entry: opens an in-memory Hindsight database and wires the query
 * console, the "simulate an app" button and the time-travel panel together.
 *
 * Owns: the one Database of the page and window.hindsightDemo, the handle tests and curious
 * visitors use: { db, console, timeline, lastSimulation, ready, error }.
 *
 * Must stay true: every write made by the page tells the time-travel panel which collections
 * to follow; a failure to start is shown in the page (and in window.hindsightDemo.error), never
 * left as an uncaught error.
 */
import { Database } from '../js/index.js';
import { el, replaceChildren, describeError } from './dom.js';
import { createConsole } from './console.js';
import { createTimeline } from './timeline.js';
import { runTodoAppSimulation } from './seed.js';

window.hindsightDemo = { db: null, ready: false, error: null, lastSimulation: null };

/* The collections a Query or TransactionQuery dict writes to. */
function targetsOf(query) {
  if (query?.className === 'TransactionQuery' && Array.isArray(query.queries)) return query.queries.flatMap(targetsOf);
  return [query?.target, query?.mergeQueryParams?.output].filter((t) => typeof t === 'string');
}

function setStatus(node, kind, text) {
  node.className = `status ${kind}`;
  node.textContent = text;
}

function describeSimulation(summary, seqBefore, seqAfter) {
  const range = typeof seqAfter === 'number' ? ` (seq ${seqBefore} → ${seqAfter})` : '';
  const failed = summary.failedAsExpected.map((what) => `"${what}"`).join(', ');
  return `Simulated ${summary.committed} commits${range}. ` +
    `${summary.failedAsExpected.length} step failed as planned and changed nothing: ${failed}.`;
}

function wireSimulation(button, statusNode, db, timeline) {
  button.addEventListener('click', () => {
    button.disabled = true;
    const seqBefore = db.seq;
    try {
      const summary = runTodoAppSimulation(db, (index, step, result, query) => {
        // Follow each collection from its first commit on; the listener then tracks later ones.
        if (result.isSuccess) for (const target of targetsOf(query)) timeline.watch(target);
      });
      timeline.sync();
      window.hindsightDemo.lastSimulation = summary;
      if (summary.unexpected.length) {
        setStatus(statusNode, 'error', `The simulation went wrong: ${summary.unexpected.map((u) => `"${u.what}": ${u.errorMessage}`).join('; ')}`);
      } else {
        setStatus(statusNode, 'ok', describeSimulation(summary, seqBefore, db.seq));
      }
    } catch (error) {
      setStatus(statusNode, 'error', `The simulation failed: ${describeError(error)}`);
    } finally {
      button.disabled = false;
    }
  });
}

async function start() {
  const appStatus = document.getElementById('app-status');
  try {
    const db = await Database.open();
    window.hindsightDemo.db = db;
    const timeline = createTimeline(document.getElementById('time-travel'), { db });
    const queryConsole = createConsole(document.getElementById('console'), {
      db,
      onExecuted: (query, result) => {
        if (result.isSuccess) for (const target of targetsOf(query)) timeline.watch(target);
        timeline.sync();
      },
    });
    wireSimulation(document.getElementById('simulate'), document.getElementById('simulate-status'), db, timeline);
    Object.assign(window.hindsightDemo, { console: queryConsole, timeline, ready: true });
    replaceChildren(appStatus, timeline.available
      ? 'Ready: an empty in-memory database. Simulate an app, or write your own queries.'
      : 'Ready: an empty in-memory database (time travel is not available in this build).');
    appStatus.className = 'status ok';
  } catch (error) {
    window.hindsightDemo.error = describeError(error);
    replaceChildren(appStatus, el('strong', { text: 'The database could not start. ' }), describeError(error),
      ' Was the package built (make build) and is the page served over http://127.0.0.1?');
    appStatus.className = 'status error';
  }
}

start();
