/*
 * app.js: the demo page's entry: opens the board's database in IndexedDB (so a reload keeps
 * everything and other tabs follow), draws the board, and mounts the debugger beside it.
 *
 * Owns: the page's one Database and window.hindsightDemo = { db, debugger, ready, error, name },
 * the handle tests and curious visitors use.
 * Must stay true: the board redraws from the change feed (its own writes, other tabs' writes
 * and the debugger's reverts alike); when the debugger shows a past commit the board shows that
 * state read-only; a failure is shown in the page, never left uncaught.
 */
import { Database } from '../index.js';
import { mountDebugger } from '../debugger/index.js';
import { TASKS, PEOPLE, renderBoard, addTask, moveTask, assignTask, deleteTask, archiveDone, fillHistory } from './board.js';

export const DATABASE_NAME = new URLSearchParams(location.search).get('db') || 'hindsight-demo-board';
window.hindsightDemo = { db: null, debugger: null, ready: false, error: null, name: DATABASE_NAME };

const $ = (id) => document.getElementById(id);

function setStatus(kind, text) {
  const node = $('app-status');
  node.className = `status ${kind}`;
  node.textContent = text;
}

function currentUser() {
  return PEOPLE.find((p) => p.id === $('who').value) ?? PEOPLE[0];
}

function describe(error) { return error?.message ? `${error.code ?? error.name}: ${error.message}` : String(error); }

async function start() {
  const db = await Database.open({ name: DATABASE_NAME, onError: (e) => setStatus('error', `Storage: ${describe(e)}`) });
  window.hindsightDemo.db = db;
  $('who').replaceChildren(...PEOPLE.map((p) => Object.assign(document.createElement('option'), { value: p.id, textContent: p.name })));

  let viewing = null;   // null: the present; else { seq, tasks } from the debugger
  const tasksNow = () => db.toDict().collections[TASKS]?.data ?? [];
  const act = (fn) => {
    try {
      const result = fn();
      const ok = result === null || result?.isSuccess !== false;
      setStatus(ok ? 'ok' : 'error', ok ? `Saved as commit ${db.seq}` : `Not saved: ${result.errorMessage}`);
    } catch (error) { setStatus('error', describe(error)); }
  };
  const actions = {
    move: (task, status) => act(() => moveTask(db, currentUser(), task, status)),
    assign: (task, id) => act(() => assignTask(db, currentUser(), task, id)),
    remove: (task) => act(() => deleteTask(db, currentUser(), task)),
    archive: () => act(() => archiveDone(db, currentUser(), tasksNow())),
  };
  function draw() {
    const past = viewing !== null && viewing.seq !== db.seq;
    $('past-banner').hidden = !past;
    $('past-banner').textContent = past ? `Showing the board as it was at commit ${viewing.seq} (read-only). Move the slider to the end to edit.` : '';
    renderBoard($('board'), past ? viewing.tasks : tasksNow(), { readOnly: past, actions });
  }

  $('add-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const title = $('new-title').value.trim();
    if (!title) return;
    const tags = $('new-tags').value.split(',').map((t) => t.trim()).filter(Boolean);
    act(() => addTask(db, currentUser(), { title, tags }));
    $('new-title').value = '';
  });
  $('fill-history').addEventListener('click', () => {
    $('fill-history').disabled = true;
    setStatus('ok', 'Filling in history…');
    setTimeout(() => {
      try {
        const made = fillHistory(db, 2000);
        setStatus('ok', `Filled in ${made} commits by ${PEOPLE.length} people; latest is ${db.seq}`);
      } catch (error) { setStatus('error', describe(error)); }
      $('fill-history').disabled = false;
    }, 0);
  });

  // One redraw per frame however many commits arrive (the long-history button makes thousands).
  let drawQueued = false;
  db.subscribeChanges(() => {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => { drawQueued = false; if (viewing === null || viewing.seq === db.seq) { viewing = null; draw(); } });
  });
  const debuggerHandle = mountDebugger(db, {
    container: $('debugger'),
    title: `Debugger: ${DATABASE_NAME}`,
    pageKeys: true,
    hashLink: true,
    onSelect: (seq, state) => { viewing = seq === db.seq ? null : { seq, tasks: state.rows(TASKS) }; draw(); },
  });
  window.hindsightDemo.debugger = debuggerHandle;
  draw();
  window.hindsightDemo.ready = true;
  setStatus('ok', db.seq ? `Loaded ${db.seq} commits from IndexedDB` : 'A new, empty board in IndexedDB: add a task, or fill in a long history');
}

start().catch((error) => {
  window.hindsightDemo.error = describe(error);
  setStatus('error', `The database could not start: ${describe(error)}. Was the package built (make build) and is the page served over http://127.0.0.1?`);
});
