/*
 * timeline.js: the time-travel panel: a slider from seq 0 to db.seq that scrubs through past
 * states, the commit and diff at the chosen point, a clicked document's history, and the
 * Restore / Undo / Redo buttons.
 *
 * Owns: the panel's state (chosen seq, chosen collection, open history) and every call to the
 * time-travel API (db.seq, commits, at, diff, history, revertTo, undo, redo, addListener).
 * Rendering itself is in views.js.
 *
 * Must stay true: the panel never pretends. When the database lacks the time-travel API it says
 * so and does nothing else. Scrubbing renders at most once per animation frame, and only the
 * chosen collection. Every failure is shown in the panel's status line and is never thrown.
 */
import { FieldEquals } from '../js/index.js';
import { el, replaceChildren, describeError, idFieldOf, cellText } from './dom.js';
import { renderStateTable, renderCommit, renderDiff, renderHistory } from './views.js';
import { DEMO_USER, causeDict } from './causes.js';

export const TIME_TRAVEL_METHODS = ['at', 'commits', 'diff', 'history', 'revertTo', 'undo', 'redo'];
const LISTENER_NAME = 'hindsight-demo-timeline';

/* The time-travel members db lacks ([] when the API is complete). */
export function missingTimeTravelApi(db) {
  const missing = TIME_TRAVEL_METHODS.filter((name) => typeof db[name] !== 'function');
  if (typeof db.seq !== 'number') missing.unshift('seq');
  return missing;
}

/* What the panel shows when the API is missing: a note, and a no-op controller. */
function createUnavailablePanel(root, missing) {
  replaceChildren(root, el('p', { id: 'time-travel-unavailable', class: 'note unavailable' },
    'Time travel is unavailable: this build of hindsight-db does not have ',
    el('code', { text: missing.map((m) => `db.${m}`).join(', ') }),
    ' yet. The query console and the simulation still work.'));
  return { available: false, watch() {}, sync() {}, moveTo() {} };
}

/**
 * Builds the panel inside root for db. Returns { available, watch(target), sync(), moveTo(seq) }:
 * watch() follows a collection's commits live; sync() re-reads db.seq after writes made elsewhere.
 */
export function createTimeline(root, { db }) {
  const missing = missingTimeTravelApi(db);
  if (missing.length) return createUnavailablePanel(root, missing);

  const slider = el('input', {
    id: 'timeline-slider', type: 'range', min: '0', max: String(db.seq), step: '1', value: String(db.seq),
    'aria-label': 'Commit sequence number',
  });
  const label = el('output', { id: 'timeline-label', class: 'seq-label' });
  const status = el('div', { id: 'timeline-status', class: 'status', role: 'status' });
  const collectionSelect = el('select', { id: 'collection-select', 'aria-label': 'Collection' });
  const tableArea = el('div', { id: 'state-area' });
  const commitArea = el('div', { id: 'commit-area' });
  const diffArea = el('div', { id: 'diff-area' });
  const historyArea = el('div', { id: 'history-area' },
    el('p', { class: 'empty', text: 'Click a row of the table to see that document\'s history.' }));
  const button = (id, text, onClick, title) => el('button', { type: 'button', id, text, title, on: { click: onClick } });
  const restoreButton = button('restore', 'Restore this point', restore,
    'Make a new commit that brings the whole database back to the chosen point');

  const state = { selectedCollection: null, pendingSeq: null, frame: 0, history: null };
  const watched = new Set();

  function showStatus(kind, text) {
    status.className = `status ${kind}`;
    status.textContent = text;
  }

  const head = () => db.seq;
  const chosenSeq = () => Number(slider.value);

  function updateLabel() {
    const s = chosenSeq();
    label.textContent = `seq ${s} of ${head()}`;
    restoreButton.disabled = s === head();
  }

  /* The commit record of seq s. The bounds are padded by one so inclusive/exclusive ends both work. */
  function commitAt(s) {
    return db.commits({ from: Math.max(1, s - 1), to: s + 1 }).find((c) => c.seq === s) ?? null;
  }

  /* Rows of the chosen collection that commit s wrote, keyed by their JSON, to highlight them. */
  function highlightsFor(diffAtSeq, name) {
    const marks = new Map();
    const d = diffAtSeq[name];
    if (!d) return marks;
    for (const doc of d.added) marks.set(JSON.stringify(doc), 'added');
    for (const { after } of d.changed) marks.set(JSON.stringify(after), 'changed');
    return marks;
  }

  function syncCollectionOptions(names) {
    const current = [...collectionSelect.options].map((o) => o.value);
    if (current.join('\n') !== names.join('\n')) {
      replaceChildren(collectionSelect, names.map((n) => el('option', { value: n, text: n })));
    }
    return names;
  }

  /* Picks the collection to show: the user's choice if it exists at this point, else the largest. */
  function chooseCollection(collections) {
    const names = Object.keys(collections);
    if (names.includes(state.selectedCollection)) return state.selectedCollection;
    let best = names[0] ?? null;
    for (const n of names) if (collections[n].data.length > collections[best].data.length) best = n;
    return best;
  }

  function render(s) {
    try {
      const view = db.at(s);
      let dict;
      try { dict = view.toDict(); } finally { view.close?.(); }
      const collections = dict.collections ?? {};
      const diffAtSeq = s > 0 ? db.diff(s - 1, s) : {};
      const name = chooseCollection(collections);
      state.selectedCollection = name ?? state.selectedCollection;
      syncCollectionOptions(Object.keys(collections));
      if (name) collectionSelect.value = name;
      collectionSelect.disabled = !name;
      replaceChildren(tableArea, name
        ? renderStateTable(name, collections[name].data, { highlight: highlightsFor(diffAtSeq, name), onRowClick: (doc) => openHistory(name, doc) })
        : el('p', { class: 'empty', text: 'No collections at this point.' }));
      replaceChildren(commitArea, renderCommit(s, s > 0 ? commitAt(s) : null));
      replaceChildren(diffArea, s > 0 ? renderDiff(diffAtSeq) : el('p', { class: 'empty', text: 'Nothing before seq 0.' }));
      root.dataset.renderedSeq = String(s);
      root.dataset.renderedCollection = name ?? '';
      delete root.dataset.renderError;
    } catch (error) {
      root.dataset.renderError = describeError(error);
      showStatus('error', `Could not show seq ${s}: ${describeError(error)}`);
    }
    updateLabel();
  }

  /* Coalesces slider events: however fast the user scrubs, one render per frame. */
  function scheduleRender(s) {
    state.pendingSeq = s;
    delete root.dataset.renderedSeq;
    if (state.frame) return;
    state.frame = requestAnimationFrame(() => {
      state.frame = 0;
      render(state.pendingSeq);
    });
  }

  function moveTo(s) {
    const clamped = Math.max(0, Math.min(head(), Math.trunc(Number(s))));
    slider.value = String(clamped);
    scheduleRender(clamped);
  }

  /* After commits made anywhere: the slider's max follows db.seq; a slider at the end stays at the end. */
  function sync() {
    const wasAtHead = Number(slider.value) === Number(slider.max);
    slider.max = String(head());
    if (wasAtHead && chosenSeq() !== head()) moveTo(head());
    else updateLabel();
    if (state.history) refreshHistory();
  }

  function watch(target) {
    if (typeof target !== 'string' || watched.has(target)) return;
    watched.add(target);
    db.addListener(target, () => sync(), LISTENER_NAME);
  }

  function openHistory(collection, doc) {
    const field = idFieldOf(doc);
    if (!field) {
      replaceChildren(historyArea, el('p', { class: 'empty', text: 'This document has no field to identify it by.' }));
      return;
    }
    state.history = { collection, field, value: doc[field] };
    refreshHistory();
  }

  function refreshHistory() {
    const { collection, field, value } = state.history;
    try {
      const node = new FieldEquals(field, value).toDict();
      const entries = db.history(collection, node);
      replaceChildren(historyArea,
        el('h4', { text: `History of ${collection} where ${field} = ${cellText(value)} (${entries.length} versions)` }),
        renderHistory(entries, moveTo));
      historyArea.dataset.collection = collection;
      historyArea.dataset.field = field;
      historyArea.dataset.value = JSON.stringify(value);
    } catch (error) {
      replaceChildren(historyArea, el('p', { class: 'status error', text: `History failed: ${describeError(error)}` }));
    }
  }

  /* Runs one of the buttons' writes; a new seq moves the timeline there, null means nothing to do. */
  function act(name, write, done) {
    try {
      const seq = write();
      if (seq === null || seq === undefined) {
        showStatus('fail', `Nothing to ${name.toLowerCase()}.`);
        return;
      }
      sync();
      moveTo(seq);
      showStatus('ok', done(seq));
    } catch (error) {
      showStatus('error', `${name} failed: ${describeError(error)}`);
    }
  }

  function restore() {
    const s = chosenSeq();
    act('Restore', () => db.revertTo(s, causeDict(DEMO_USER, `Restore the database to seq ${s}`,
      'Clicked "Restore this point" in the time-travel panel')),
    (seq) => `Restored seq ${s} as the new commit ${seq}.`);
  }

  function undo() {
    act('Undo', () => db.undo(causeDict(DEMO_USER, 'Undo', 'Clicked Undo in the time-travel panel')),
      (seq) => `Undone as the new commit ${seq}.`);
  }

  function redo() {
    act('Redo', () => db.redo(causeDict(DEMO_USER, 'Redo', 'Clicked Redo in the time-travel panel')),
      (seq) => `Redone as the new commit ${seq}.`);
  }

  slider.addEventListener('input', () => scheduleRender(chosenSeq()));
  collectionSelect.addEventListener('change', () => {
    state.selectedCollection = collectionSelect.value;
    scheduleRender(chosenSeq());
  });

  replaceChildren(root,
    el('div', { class: 'toolbar timeline-bar' },
      button('step-back', '◀', () => moveTo(chosenSeq() - 1), 'One commit back'),
      slider,
      button('step-forward', '▶', () => moveTo(chosenSeq() + 1), 'One commit forward'),
      button('step-latest', 'Latest', () => moveTo(head()), 'Jump to the latest commit'),
      label),
    el('div', { class: 'toolbar' },
      restoreButton,
      button('undo', 'Undo', undo, 'Undo the latest change with a new commit'),
      button('redo', 'Redo', redo, 'Redo what the last Undo took back, with a new commit'),
      status),
    el('div', { class: 'tt-grid' },
      el('section', { class: 'tt-commit' }, el('h3', { text: 'Commit at this point' }), commitArea),
      el('section', { class: 'tt-diff' }, el('h3', { text: 'What it changed (diff from the previous seq)' }), diffArea)),
    el('section', { class: 'tt-state' }, el('h3', {}, 'State at this point ', collectionSelect), tableArea),
    el('section', { class: 'tt-history' }, el('h3', { text: 'Document history' }), historyArea));

  moveTo(head());
  return { available: true, watch, sync, moveTo };
}
