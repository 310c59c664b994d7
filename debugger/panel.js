/*
 * panel.js: the debugger panel: timeline slider, commit card, diff, state table, document
 * viewer and actions (export, fork, revert, undo, redo, play), storage figures, attached to one
 * live Database.
 *
 * Owns: createPanel(host, db, options) -> handle. The panel's root carries data-rendered-seq
 * (the seq it shows) so pages and tests can wait for it.
 * Must stay true:
 *   - everything shown is read from the database at the selected seq (view.rows(name),
 *     db.diff, db.commits(), db.changes()) and equals db.at(seq): collections are discovered,
 *     never listed by hand; the commit list (virtual, filterable) marks the selected commit;
 *     it is read in chunks: at open only the chunks of the shown and the latest commit, the
 *     rest in background timeouts, newest first (handle.commitsLoaded() resolves after), so
 *     the first paint does not wait for a long history; a filter reads every chunk first;
 *     removed rows are drawn faded where they were; a document opens with its blame and
 *     history (doc-view.js); compare and bisect are tools.js;
 *   - the first slider input in a frame renders at once and later ones in that frame are
 *     coalesced into one render in the next frame; a step reads only the commit's diff and
 *     the diff from the shown seq (row-cache.js: rows followed by row id, never by a field),
 *     and the tables draw only the rows in view, redrawing only rows that changed
 *     (virtual-table.js), so a step costs the same at 10,000 commits;
 *   - the panel follows the database through db.subscribeChanges: a new commit extends the
 *     slider (and moves it when it stood at the head); a rebase re-reads the commit list;
 *   - errors are shown in the panel's status line, never thrown out of an event handler;
 *   - with pageKeys, ←/→/Home/End move the timeline from anywhere but a form field; with
 *     hashLink, #seq=N in the address opens that point and follows the selection;
 *   - writes (revert, undo, redo: each a new commit) carry a Cause, revert asks first; a
 *     read-only panel offers none;
 *   - with a sync client (options.sync), each commit's mark (pending / acknowledged / rebased)
 *     and card rows (origin, base, server seq) come from sync-status.js, re-read when it says;
 *   - the storage line shows db.stats() (commits, versions, bytes) and the browser's estimate
 *     and persistence state, refreshed after commits;
 *   - a fork or an opened history file (button or drop) is a separate in-memory database in a
 *     nested panel; it never touches the database this panel is attached to.
 */
import { h, clear, describeError } from './dom.js';
import { renderDocument } from './doc-view.js';
import { createTools } from './tools.js';
import { diffItems } from './diff-view.js';
import { createVirtualTable, columnsOf } from './virtual-table.js';
import { createRowCache } from './row-cache.js';
import { createSyncView } from './sync-status.js';

const DEBUGGER_ACTOR = { type: 'human', id: 'hindsight-debugger', name: 'Hindsight debugger' };
const PLAY_INTERVAL_MS = 120;
const MAX_DIFF_ITEMS = 50;   // per kind and collection; the rest is counted, not drawn
const MAX_MARKS = 1000;      // highlighted rows located per kind

function who(cause) {
  const w = cause?.who;
  if (!w) return '(no cause recorded)';
  return `${w.name ?? w.id ?? '?'}${w.type ? ` (${w.type})` : ''}`;
}

/* A commit's query type for the list: "updateOne", or "transaction: deleteOne ×3". */
function queryType(query) {
  if (!query) return '';
  if (Array.isArray(query.queries)) {
    const types = [...new Set(query.queries.map((q) => q?.type).filter(Boolean))];
    return `transaction: ${types.join(', ')} ×${query.queries.length}`;
  }
  return query.type ?? query.className ?? '';
}

/* Keys typed into a form field belong to it, not to the timeline. */
function typingIn(target) {
  return target instanceof Element && (target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null);
}

export function createPanel(host, db, { readOnly = false, title = 'Hindsight debugger', onSelect, mountChild, importHistory, pageKeys = false, hashLink = false, rereadRows = false, sync = null } = {}) {
  const ui = {};
  const root = h('section', { class: 'hsd-panel', 'aria-label': title },
    h('header', { class: 'hsd-head' },
      h('strong', { text: title }),
      ui.status = h('span', { class: 'hsd-status', role: 'status', text: 'Loading…' })),
    h('div', { class: 'hsd-timeline' },
      ui.back = h('button', { type: 'button', class: 'hsd-step-back', 'aria-label': 'previous commit', text: '◀' }),
      ui.slider = h('input', { type: 'range', class: 'hsd-slider', min: '0', max: '0', value: '0', step: '1', 'aria-label': 'commit timeline' }),
      ui.forward = h('button', { type: 'button', class: 'hsd-step-forward', 'aria-label': 'next commit', text: '▶' }),
      ui.play = h('button', { type: 'button', class: 'hsd-play', text: 'Play' }),
      ui.position = h('span', { class: 'hsd-position' })),
    h('div', { class: 'hsd-actions' },
      ui.exportButton = h('button', { type: 'button', class: 'hsd-export', text: 'Export history' }),
      ui.forkButton = h('button', { type: 'button', class: 'hsd-fork', text: 'Fork at this point' }),
      ui.revertButton = h('button', { type: 'button', class: 'hsd-revert', text: 'Revert to this point', disabled: readOnly }),
      ui.undoButton = h('button', { type: 'button', class: 'hsd-undo', text: 'Undo', 'aria-label': 'undo the latest commit (a new commit)', disabled: readOnly }),
      ui.redoButton = h('button', { type: 'button', class: 'hsd-redo', text: 'Redo', 'aria-label': 'redo the latest undone commit (a new commit)', disabled: readOnly }),
      h('label', { class: 'hsd-open-file' }, 'Open a history file ',
        ui.importInput = h('input', { type: 'file', accept: '.json,application/json', class: 'hsd-history-file' }))),
    ui.storage = h('p', { class: 'hsd-storage', 'aria-label': 'storage figures' }),
    h('div', { class: 'hsd-log-head' },
      h('h3', { text: 'Commits' }),
      ui.filter = h('input', { type: 'search', class: 'hsd-filter', placeholder: 'filter: who, what, collection, query type', 'aria-label': 'filter commits' }),
      ui.logCount = h('span', { class: 'hsd-count' })),
    ui.log = h('div', { class: 'hsd-log' }),
    ui.commit = h('div', { class: 'hsd-commit' }),
    h('h3', { text: 'Changes in this commit' }),
    ui.diff = h('ul', { class: 'hsd-diff' }),
    h('div', { class: 'hsd-state-head' },
      h('h3', { text: 'State at this point' }),
      h('label', {}, 'Collection ', ui.collection = h('select', { class: 'hsd-collection' })),
      ui.count = h('span', { class: 'hsd-count' })),
    ui.table = h('div', { class: 'hsd-table' }),
    ui.doc = h('div', { class: 'hsd-doc', hidden: true }),
    ui.tools = h('div', { class: 'hsd-tools' }),
    ui.fork = h('div', { class: 'hsd-fork-area' }));
  host.append(root);

  const rows = createRowCache(db, { reread: rereadRows });
  const tools = createTools(ui.tools, { db, selected: () => selected, select, onError: (error) => setStatus('error', describeError(error)), currentCollection: () => ui.collection.value });
  let shownIds = [];
  let shownState = { rowIds: [], data: [] };       // the row ids of the rows in the state table, same order
  const table = createVirtualTable(ui.table, { onOpen: (doc, i) => openDocument(ui.collection.value, doc, shownIds[i]) });
  const log = createVirtualTable(ui.log, { onOpen: (row) => select(row.seq), label: 'commits' });
  const syncView = createSyncView(sync, () => {
    try {
      logRows = syncView.relabel(logRows, (r) => commits[r.seq - base - 1]?.id);
      applyFilter();
      requestRender();
    } catch (error) {
      setStatus('error', describeError(error));
    }
  });
  const LOG_COLUMNS = ['seq', 'time', 'who', 'what', 'collections', 'changes', 'query', ...syncView.columns];
  let logRows = [];        // one row per commit, same order as commits
  let shownLog = [];       // logRows after the filter
  let commits = [];      // every kept commit, ascending seq; commits[i].seq === base + 1 + i;
                         // read in chunks (loadChunk): undefined until its chunk is read
  let loadedChunks = new Set();   // chunk numbers read (chunk k: commits[k * COMMIT_CHUNK ...])
  let backfillTimer = 0;          // the next background chunk read (a timeout, or { cancel } before the first frame)
  let base = 0;          // the oldest kept point (the state before commits[0])
  let head = 0;
  let selected = 0;
  let frame = 0;
  let playTimer = null;
  let followHead = true;
  const timings = [];
  let lastStatusKind = '';

  function setStatus(kind, text) {
    lastStatusKind = kind;
    ui.status.className = `hsd-status ${kind}`;
    ui.status.textContent = text;
  }

  /* One commit-list row: seq, time, who, what, the collections it touched and +added −removed ~changed. */
  function logRow(commit, info) {
    const changes = info?.changes ?? {};
    let added = 0, removed = 0, changed = 0;
    for (const c of Object.values(changes)) { added += c.added.length; removed += c.removed.length; changed += c.changed.length; }
    return { seq: commit.seq, time: commit.time?.replace('T', ' ').slice(0, 19), who: who(commit.cause), what: commit.cause?.what ?? commit.query?.type ?? '',
      collections: Object.keys(changes).join(', '), changes: `+${added} −${removed} ~${changed}`, query: queryType(commit.query), ...syncView.fields(commit.id) };
  }

  /* The commit list is read in chunks so that opening a long history paints at once: the
     chunk of the shown commit now, the rest in the background, newest first (a commit's query
     can be large: an import of thousands of documents). Rows of chunks not yet read show the
     seq only. */
  const COMMIT_CHUNK = 256;
  const placeholder = (seq) => ({ seq, time: '', who: '', what: '…', collections: '', changes: '', query: '' });

  function loadChunk(k) {
    if (loadedChunks.has(k)) return;
    const start = k * COMMIT_CHUNK, end = Math.min(commits.length, start + COMMIT_CHUNK);   // [start, end)
    if (start >= end) return;
    const from = base + 1 + start, to = base + end;
    const read = db.commits({ from, to });
    const infos = db.changes({ since: from - 1, until: to });
    const infoBySeq = new Map(infos.map((info) => [info.seq, info]));
    for (const c of read) {
      const i = c.seq - base - 1;
      commits[i] = c;
      logRows[i] = logRow(c, infoBySeq.get(c.seq) ?? null);
    }
    loadedChunks.add(k);
  }

  function loadAllCommits() {
    for (let k = Math.ceil(commits.length / COMMIT_CHUNK) - 1; k >= 0; k--) loadChunk(k);
  }

  function backfillCommits() {
    backfillTimer = 0;
    try {
      for (let k = Math.ceil(commits.length / COMMIT_CHUNK) - 1; k >= 0; k--) {
        if (loadedChunks.has(k)) continue;
        loadChunk(k);
        if (!ui.filter.value.trim()) renderLog(selected, { focus: false });
        backfillTimer = setTimeout(backfillCommits, 0);
        return;
      }
      finishBackfill?.();
    } catch (error) {
      setStatus('error', describeError(error));
    }
  }
  let finishBackfill = null;
  let backfillDone = Promise.resolve();

  const stopBackfill = () => { if (backfillTimer?.cancel) backfillTimer.cancel(); else clearTimeout(backfillTimer); backfillTimer = 0; };

  function loadCommits() {
    stopBackfill();
    head = db.seq;
    base = db.stats().oldestSeq;
    const count = head - base;
    commits = new Array(count);
    logRows = Array.from({ length: count }, (_, i) => placeholder(base + 1 + i));
    loadedChunks = new Set();
    const shown = followHead ? head : Math.min(Math.max(selected, base + 1), head);
    if (count) loadChunk(Math.floor((shown - base - 1) / COMMIT_CHUNK));
    if (count) loadChunk(Math.floor((count - 1) / COMMIT_CHUNK));
    backfillDone = new Promise((resolve) => { finishBackfill = () => { finishBackfill = null; resolve(); }; });
    // after the next frame: the first paint does not wait for the background reads
    const frameId = requestAnimationFrame(() => { backfillTimer = setTimeout(backfillCommits, 0); });
    backfillTimer = { cancel: () => cancelAnimationFrame(frameId) };
    applyFilter();
    updateSlider();
  }

  function applyFilter() {
    const text = ui.filter.value.trim().toLowerCase();
    if (text) loadAllCommits();   // the filter reads every row
    shownLog = text ? logRows.filter((r) => `${r.who}\u0000${r.what}\u0000${r.collections}\u0000${r.query}`.toLowerCase().includes(text)) : logRows;
    ui.logCount.textContent = text ? `${shownLog.length} of ${logRows.length}` : `${logRows.length}`;
  }

  /* The commit list in step with the slider: the selected commit marked and scrolled into view. */
  function renderLog(seq, { focus = true } = {}) {
    let lo = 0, hi = shownLog.length - 1, at = -1;
    while (lo <= hi) { const mid = (lo + hi) >> 1; if (shownLog[mid].seq === seq) { at = mid; break; } if (shownLog[mid].seq < seq) lo = mid + 1; else hi = mid - 1; }
    log.setRows(shownLog, LOG_COLUMNS, at >= 0 ? new Map([[at, 'selected']]) : new Map(), { focus: focus ? at : undefined });
  }

  function updateSlider() {
    ui.slider.min = String(base);
    ui.slider.max = String(head);
    if (followHead) selected = head;
    selected = Math.min(Math.max(selected, base), head);
    ui.slider.value = String(selected);
  }

  const commitAt = (seq) => {
    const i = seq - base - 1;
    if (i < 0 || i >= commits.length) return null;
    if (!commits[i]) loadChunk(Math.floor(i / COMMIT_CHUNK));
    return commits[i] ?? null;
  };

  /* The first request in a frame renders at once (input arrives aligned to frames, so the
     step is painted in the same frame); any more requests before the next frame are
     coalesced into one render in that frame. */
  let renderedThisFrame = false;
  let frameReset = 0;
  function markRendered() {
    renderedThisFrame = true;
    if (!frameReset) frameReset = requestAnimationFrame(() => { frameReset = 0; renderedThisFrame = false; });
  }
  function requestRender() {
    if (frame) return;
    if (!renderedThisFrame) { render(); return; }
    frame = requestAnimationFrame(() => { frame = 0; render(); });
  }

  function select(seq) {
    selected = Math.min(Math.max(Number(seq), base), head);
    followHead = selected === head;
    ui.slider.value = String(selected);
    requestRender();
  }

  function render() {
    const t0 = performance.now();
    markRendered();
    try {
      const seq = selected;
      const names = rows.names(seq);
      const diff = seq > base ? db.diff(seq - 1, seq) : {};
      const commit = commitAt(seq);
      renderCommit(seq, commit);
      renderDiff(diff);
      const shown = renderState(seq, names, diff);
      renderLog(seq);
      ui.slider.setAttribute('aria-valuetext', `commit ${seq} of ${head}${commit?.cause?.what ? `: ${commit.cause.what}` : ''}`);
      ui.position.textContent = `seq ${seq} of ${head}`;
      if (hashLink && location.hash !== `#seq=${seq}`) history.replaceState(history.state, '', `#seq=${seq}`);
      if (lastStatusKind !== 'error') setStatus('ok', seq === head ? `Live: at the latest commit (${head})` : `Viewing seq ${seq}; latest is ${head}`);
      table.applyScroll();   // after every DOM change of this render: one layout, not one per table
      log.applyScroll();
      root.dataset.renderedSeq = String(seq);
      onSelect?.(seq, stateAt(seq, names, shown));
    } catch (error) {
      setStatus('error', describeError(error));
    }
    timings.push(performance.now() - t0);
    if (timings.length > 200) timings.shift();
  }

  /* What onSelect gets: the state at seq, read lazily (the shown collection from the row cache). */
  function stateAt(seq, names, shown) {
    return {
      seq,
      collections: names,
      rows(name) {
        if (name === shown.name && rows.seq === seq) return shown.data.slice();   // the cache's array changes with the next step
        if (!names.includes(name)) return [];
        const view = db.at(seq);
        try { return view.rows(name).data ?? []; } finally { view.release(); }
      },
    };
  }

  /* The commit card is built once and its fields rewritten at each step (fewer DOM nodes made
     and dropped per step: less work for the garbage collector); the query's JSON is written
     only while its <details> is open. */
  let card = null;
  function buildCard() {
    const dd = {};
    const row = (label, cls) => [h('dt', { text: label }), dd[cls] = h('dd', { class: cls })];
    const summary = h('summary');
    const pre = h('pre');
    const details = h('details', { class: 'hsd-query' }, summary, pre);
    const syncCard = h('dl', { class: 'hsd-card hsd-sync-card' });   // rebuilt per step: only with a sync client
    const built = { dd, summary, pre, details, syncCard, query: null };
    details.addEventListener('toggle', () => { pre.textContent = details.open ? JSON.stringify(built.query, null, 2) : ''; });
    clear(ui.commit, h('dl', { class: 'hsd-card' }, row('seq', 'seq'), row('id', 'id'), row('time', 'time'), row('who', 'who'), row('what', 'what'), row('why', 'why')), syncCard, details);
    return built;
  }

  function renderCommit(seq, commit) {
    ui.commit.dataset.seq = String(seq);
    if (!commit) {
      card = null;
      clear(ui.commit, h('p', { class: 'hsd-empty', text: seq === 0 ? 'seq 0: the empty database, before any commit.' : `seq ${seq}: the oldest kept state.` }));
      return;
    }
    card ??= buildCard();
    const c = commit.cause;
    const values = { seq: String(commit.seq), id: commit.id, time: commit.time, who: who(c), what: c?.what, why: c?.why };
    for (const [cls, value] of Object.entries(values)) card.dd[cls].textContent = value ?? '—';
    clear(card.syncCard, syncView.cardRows(commit.id, (label, cls, value) => [h('dt', { text: label }), h('dd', { class: cls, text: value ?? '—' })]));
    card.query = commit.query;
    card.summary.textContent = `Query: ${commit.query?.className ?? ''} ${commit.query?.type ?? ''} ${commit.query?.target ?? ''}`;
    card.pre.textContent = card.details.open ? JSON.stringify(commit.query, null, 2) : '';
  }

  function renderDiff(diff) {
    clear(ui.diff, diffItems(diff, { onOpen: openDocument, max: MAX_DIFF_ITEMS }));
  }

  /* The state table: the collection the commit changed (or the one picked), its rows from
     the row cache, matched to the diff by row id; removed rows are drawn faded in place. */
  function renderState(seq, names, diff) {
    const current = ui.collection.value;
    const changedNames = Object.keys(diff).filter((n) => names.includes(n));
    // Follow the commit: show the collection it changed unless the person picked one it also changed.
    const wanted = changedNames.length && !changedNames.includes(current) ? changedNames[0] : (names.includes(current) ? current : names[0]);
    if ([...ui.collection.options].map((o) => o.value).join('\u0000') !== names.join('\u0000')) {
      clear(ui.collection, names.map((n) => h('option', { value: n, text: n })));
    }
    if (wanted !== undefined) ui.collection.value = wanted;
    const state = rows.moveTo(seq, wanted ?? null, names);
    let shownRows = state.data;
    shownIds = state.rowIds;
    const marks = new Map();
    const d = diff[wanted];
    if (d) {
      for (const id of d.addedIds.slice(0, MAX_MARKS)) { const i = rows.indexOf(id); if (i >= 0) marks.set(i, 'added'); }
      for (const ch of d.changed.slice(0, MAX_MARKS)) { const i = rows.indexOf(ch.rowId); if (i >= 0) marks.set(i, 'changed'); }
      if (d.removed.length && d.removed.length <= MAX_MARKS) shownRows = withRemoved(state, d, marks);
    }
    ui.count.textContent = `${state.data.length} document${state.data.length === 1 ? '' : 's'}${d ? ` · +${d.added.length} −${d.removed.length} ~${d.changed.length}` : ''}`;
    const firstMark = Math.min(...marks.keys());
    table.setRows(shownRows, columnsOf(shownRows, marks), marks, { focus: Number.isFinite(firstMark) ? firstMark : undefined });
    shownState = state;
    return { name: wanted, data: state.data };
  }

  /* The rows with the removed documents put back where their row ids were, marked 'removed';
     marks (by index in state.data) are moved to the new indexes. */
  function withRemoved(state, d, marks) {
    const ghosts = d.removedIds.map((id, k) => ({ id, doc: d.removed[k] })).sort((a, b) => a.id - b.id);
    const out = [], ids = [];
    const moved = new Map();
    let g = 0;
    for (let i = 0; i <= state.data.length; i++) {
      while (g < ghosts.length && (i === state.data.length || ghosts[g].id < state.rowIds[i])) { moved.set(out.length, 'removed'); ids.push(ghosts[g].id); out.push(ghosts[g++].doc); }
      if (i === state.data.length) break;
      if (marks.has(i)) moved.set(out.length, marks.get(i));
      ids.push(state.rowIds[i]);
      out.push(state.data[i]);
    }
    shownIds = ids;
    marks.clear();
    for (const [i, mark] of moved) marks.set(i, mark);
    return out;
  }

  /* Shows one document (a deleted one too), its blame and its whole kept history (doc-view.js). */
  function openDocument(collection, doc, rowId, deleted = false) {
    try {
      return renderDocument(ui.doc, { db, collection, doc, rowId, deleted, at: selected, select, who });
    } catch (error) {
      setStatus('error', describeError(error));
      return null;
    }
  }

  function exportHistory() {
    try {
      const text = JSON.stringify(db.exportHistory());
      const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      const link = h('a', { href: url, download: `hindsight-history-seq${head}.json` });
      root.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setStatus('ok', `Exported ${commits.length} commits (${Math.round(text.length / 1024)} KiB)`);
      return text;
    } catch (error) {
      setStatus('error', describeError(error));
      return null;
    }
  }

  let forkHandle = null;
  function forkHere() {
    try {
      const seq = selected;
      const fork = db.fork(seq);
      forkHandle?.destroy();
      forkHandle = mountChild?.(fork, ui.fork, `Fork of seq ${seq} (in memory)`) ?? null;
      setStatus('ok', `Forked at seq ${seq} into a new in-memory database (shown below)`);
      return fork;
    } catch (error) {
      setStatus('error', describeError(error));
      return null;
    }
  }

  /* An exported history file (chosen or dropped) opens in memory in a panel below this one. */
  async function openHistoryFile(file) {
    if (!file || !importHistory || !mountChild) return null;
    try {
      setStatus('ok', `Opening ${file.name}…`);
      const imported = await importHistory(await file.text());
      forkHandle?.destroy();
      forkHandle = mountChild(imported, ui.fork, `History file ${file.name} (in memory)`);
      setStatus('ok', `Opened ${file.name}: ${imported.seq} commits, shown below`);
      return imported;
    } catch (error) {
      setStatus('error', `${file.name} is not a Hindsight history file: ${describeError(error)}`);
      return null;
    }
  }

  function revertHere({ confirmed = false } = {}) {
    const seq = selected;
    if (readOnly) return null;
    if (!confirmed && !globalThis.confirm?.(`Revert the database to seq ${seq}? This adds one new commit; nothing is lost.`)) return null;
    try {
      const cause = { who: DEBUGGER_ACTOR, what: `Revert to seq ${seq}`, why: 'chosen in the Hindsight debugger', from: 'hindsight debugger' };
      followHead = true;
      const made = db.revertTo(seq, cause);
      return made;
    } catch (error) {
      setStatus('error', describeError(error));
      return null;
    }
  }

  /* Undo / redo: each is a new commit (db.undo / db.redo), signed by the debugger. */
  function undoRedo(which) {
    if (readOnly) return null;
    try {
      const cause = { who: DEBUGGER_ACTOR, what: which === 'undo' ? 'Undo' : 'Redo', why: 'chosen in the Hindsight debugger', from: 'hindsight debugger' };
      followHead = true;
      const made = which === 'undo' ? db.undo(cause) : db.redo(cause);
      if (made === null) setStatus('ok', which === 'undo' ? 'Nothing to undo' : 'Nothing to redo');
      return made;
    } catch (error) {
      setStatus('error', describeError(error));
      return null;
    }
  }

  /* Storage figures: what the database keeps (db.stats()) and what the browser says
     (db.storageEstimate(), navigator.storage.persisted()); refreshed at open and after commits,
     at most once a second (the browser's figures are asynchronous). */
  let storageTimer = 0;
  const kib = (bytes) => (bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${Math.max(0, Math.round(bytes / 1024))} KiB`);
  async function refreshStorage() {
    storageTimer = 0;
    try {
      const st = db.stats();
      const kept = `${st.commits} commits kept (from seq ${st.oldestSeq}), ${st.versions} versions, ${kib(st.historyBytes)} of history`;
      ui.storage.dataset.commits = String(st.commits);
      ui.storage.dataset.versions = String(st.versions);
      ui.storage.textContent = kept;
      const [estimate, persisted] = await Promise.all([
        typeof db.storageEstimate === 'function' ? db.storageEstimate().catch(() => null) : null,
        globalThis.navigator?.storage?.persisted ? navigator.storage.persisted().catch(() => null) : null]);
      const browser = estimate && Number.isFinite(estimate.usage)
        ? `browser storage: ${kib(estimate.usage)} used${Number.isFinite(estimate.quota) ? ` of ${kib(estimate.quota)}` : ''}`
        : 'browser storage: no estimate';
      const persistence = persisted === null ? 'persistence unknown' : persisted ? 'persistent (not evicted under pressure)' : 'not persistent (the browser may evict it)';
      ui.storage.dataset.usage = estimate?.usage ?? '';
      ui.storage.dataset.persisted = persisted === null ? '' : String(persisted);
      ui.storage.textContent = `${kept} · ${browser} · ${persistence}`;
    } catch (error) {
      ui.storage.textContent = `Storage figures unavailable: ${describeError(error)}`;
    }
  }
  const scheduleStorage = () => { if (!storageTimer) storageTimer = setTimeout(refreshStorage, 1000); };

  function togglePlay() {
    if (playTimer) { clearInterval(playTimer); playTimer = null; ui.play.textContent = 'Play'; return; }
    if (selected >= head) select(base);
    ui.play.textContent = 'Pause';
    playTimer = setInterval(() => {
      if (selected >= head) { togglePlay(); return; }
      select(selected + 1);
    }, PLAY_INTERVAL_MS);
  }

  ui.slider.addEventListener('input', () => select(ui.slider.value));
  ui.back.addEventListener('click', () => select(selected - 1));
  ui.forward.addEventListener('click', () => select(selected + 1));
  ui.play.addEventListener('click', togglePlay);
  ui.collection.addEventListener('change', () => { render(); });
  ui.filter.addEventListener('input', () => { applyFilter(); renderLog(selected); log.applyScroll(); });
  ui.exportButton.addEventListener('click', exportHistory);
  ui.forkButton.addEventListener('click', forkHere);
  ui.revertButton.addEventListener('click', () => revertHere());
  ui.undoButton.addEventListener('click', () => undoRedo('undo'));
  ui.redoButton.addEventListener('click', () => undoRedo('redo'));
  ui.importInput.addEventListener('change', () => { openHistoryFile(ui.importInput.files?.[0]); ui.importInput.value = ''; });
  root.addEventListener('dragover', (event) => { if (event.dataTransfer?.types?.includes('Files')) event.preventDefault(); });
  root.addEventListener('drop', (event) => {
    const file = event.dataTransfer?.files?.[0];
    if (!file) return;
    event.preventDefault();
    openHistoryFile(file);
  });

  // ←/→ step, Home/End jump, from anywhere on the page (not while typing in a field).
  const onPageKey = (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || typingIn(event.target)) return;
    const to = { ArrowLeft: selected - 1, ArrowRight: selected + 1, Home: base, End: head }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    select(to);
  };
  // #seq=N: a link to one point in history.
  const fromHash = () => {
    const m = /^#seq=(\d+)$/.exec(location.hash);
    if (m) select(Number(m[1]));
  };
  if (pageKeys) document.addEventListener('keydown', onPageKey);
  if (hashLink) globalThis.addEventListener('hashchange', fromHash);

  const unsubscribe = db.subscribeChanges((info) => {
    try {
      // A rebase's reports after its rewind ({ rebased: true }) are already in the reloaded list.
      if (!info.rebased && commits.length && info.seq <= head && head === db.seq) return;
      if (info.rebased || commits.length === 0 || info.seq !== head + 1) {
        if (info.rebased) rows.reset();   // the rows held may belong to a rewritten history
        loadCommits();
      } else {
        const added = db.commits({ from: info.seq, to: info.seq });
        commits.push(...added);   // into the last chunk, or a new one that loadChunk may read again (same rows)
        logRows.push(...added.map((c) => logRow(c, info)));
        applyFilter();
        head = info.seq;
        updateSlider();
      }
      lastStatusKind = '';
      scheduleStorage();
      requestRender();
    } catch (error) {
      setStatus('error', describeError(error));
    }
  });

  loadCommits();
  refreshStorage();
  if (hashLink) {
    const m = /^#seq=(\d+)$/.exec(location.hash);
    if (m) { selected = Math.min(Math.max(Number(m[1]), base), head); followHead = selected === head; ui.slider.value = String(selected); }
  }
  render();

  return {
    element: root,
    get seq() { return selected; },
    get head() { return head; },
    select,
    render,
    /* Compares two points (the "Compare" button); reruns bisect from the form ("Bisect"). */
    compare: tools.compare,
    bisect: tools.runBisect,
    /* Opens the document story (blame, history) of one row of a collection. */
    openDocument: (collection, rowId, deleted = false) => openDocument(collection, undefined, rowId, deleted),
    exportHistory,
    fork: forkHere,
    revert: (options) => revertHere(options),
    undo: () => undoRedo('undo'),
    redo: () => undoRedo('redo'),
    /* Re-reads the storage figures now (they refresh by themselves after commits). */
    refreshStorage,
    togglePlay,
    get playing() { return playTimer !== null; },
    openHistoryFile,
    /* The database of the last "Fork at this point" or opened history file, or null. */
    get forked() { return forkHandle?.db ?? null; },
    /* Resolves when the whole commit list has been read (it is read in the background after
       the first paint). */
    commitsLoaded: () => backfillDone,
    /* The last render times in ms (most recent last), for speed figures. */
    timings: () => [...timings],
    /* The shown collection at the shown seq, as the panel holds it (copies): it equals
       db.at(seq).rows(collection) (tests check this). */
    state: () => ({ seq: rows.seq === -1 ? selected : rows.seq, collection: rows.name, rowIds: [...shownState.rowIds], data: [...shownState.data] }),
    destroy() {
      unsubscribe();
      syncView.destroy();
      document.removeEventListener('keydown', onPageKey);
      globalThis.removeEventListener('hashchange', fromHash);
      if (playTimer) clearInterval(playTimer);
      clearTimeout(storageTimer);
      if (frame) cancelAnimationFrame(frame);
      if (frameReset) cancelAnimationFrame(frameReset);
      stopBackfill();
      finishBackfill?.();
      forkHandle?.destroy();
      root.remove();
    },
  };
}
