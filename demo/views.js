/*
 * views.js: pure renderers for the time-travel panel: a collection as a table, one commit's card,
 * a diff between two points, and one document's history.
 *
 * Owns: the DOM shape of those four pieces, including the data-* attributes tests read
 * (data-json on table rows and diff items, data-kind on diff items, data-seq on history rows).
 *
 * Must stay true: each function only turns data into elements (no database calls, no state);
 * tables show at most MAX_TABLE_ROWS rows and say so when they cut, so scrubbing stays fast.
 */
import { el, cellText, shortJson, prettyJson, docLabel, columnsOf } from './dom.js';

export const MAX_TABLE_ROWS = 500;
const MAX_DIFF_ITEMS = 200;

const OP_NAMES = { I: 'inserted', U: 'updated', D: 'deleted' };

function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/* "Alice (human)", or a plain note when the commit carries no cause. */
function whoText(cause) {
  const who = cause?.who;
  if (!who) return 'unknown (no cause recorded)';
  return `${who.name ?? who.id ?? 'unnamed'} (${who.type ?? 'unknown'})`;
}

/**
 * A collection's documents as a table. highlight: Map of JSON text -> 'added' | 'changed', for the
 * rows the current commit wrote; onRowClick(doc) is called when a row is clicked.
 */
export function renderStateTable(name, docs, { highlight = new Map(), onRowClick } = {}) {
  if (docs.length === 0) return el('p', { class: 'empty', text: `"${name}" is empty at this point.` });
  const shown = docs.slice(0, MAX_TABLE_ROWS);
  const columns = columnsOf(shown);
  const rows = shown.map((doc) => {
    const json = JSON.stringify(doc);
    return el('tr', {
      class: highlight.get(json) ?? null, dataset: { json }, tabindex: 0,
      title: 'Click to see this document\'s history',
      on: {
        click: () => onRowClick?.(doc),
        keydown: (event) => { if (event.key === 'Enter') onRowClick?.(doc); },
      },
    }, columns.map((column) => el('td', { text: cellText(doc[column]) })));
  });
  return el('div', { class: 'table-wrap' },
    el('table', { class: 'state-table', dataset: { collection: name } },
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', { text: c })))),
      el('tbody', {}, rows)),
    docs.length > shown.length
      ? el('p', { class: 'note row-cap', text: `Showing the first ${shown.length} of ${docs.length} documents.` })
      : null);
}

/* The commit that made point seq: when, who, what, why, from, and the query as executed. */
export function renderCommit(seq, commit) {
  if (seq === 0) return el('p', { class: 'empty', text: 'Seq 0 is the empty database, before the first commit.' });
  if (!commit) return el('p', { class: 'empty', text: `No commit record for seq ${seq} (outside the retained history?).` });
  const cause = commit.cause;
  const row = (label, value, cls) => [el('dt', { text: label }), el('dd', { class: cls, text: value ?? '—' })];
  return el('div', { class: 'commit-card', dataset: { seq: String(commit.seq) } },
    el('dl', {},
      row('seq', String(commit.seq)),
      row('time', formatTime(commit.time), 'time'),
      row('when (cause)', formatTime(cause?.when?.nodes?.at(-1)?.timestamp), 'when'),
      row('who', whoText(cause), `who ${cause?.who?.type ?? ''}`),
      row('what', cause?.what, 'what'),
      row('why', cause?.why, 'why'),
      row('from', cause?.from, 'from')),
    el('details', { class: 'commit-query' },
      el('summary', { text: `Query: ${[commit.query?.className, commit.query?.type].filter(Boolean).join(' ') || 'unknown'}` }),
      el('pre', { text: prettyJson(commit.query) })));
}

/* The top-level fields whose values differ between two versions of a document. */
function changedFields(before, after) {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...keys].filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k]));
}

function renderChange({ before, after }) {
  const fields = changedFields(before, after).map((key) => el('span', { class: 'field-change' },
    `${key}: `,
    el('del', { text: Object.hasOwn(before ?? {}, key) ? cellText(before[key]) : '(absent)' }),
    ' → ',
    el('ins', { text: Object.hasOwn(after ?? {}, key) ? cellText(after[key]) : '(absent)' })));
  return el('li', {
    class: 'diff-item changed', dataset: { kind: 'changed', before: JSON.stringify(before), after: JSON.stringify(after) },
    title: `before: ${JSON.stringify(before)}\nafter: ${JSON.stringify(after)}`,
  }, el('span', { class: 'sign', text: '~' }), el('span', { class: 'label', text: docLabel(after ?? before) }), fields);
}

function renderWhole(kind, sign, doc) {
  const json = JSON.stringify(doc);
  return el('li', { class: `diff-item ${kind}`, dataset: { kind, json }, title: json },
    el('span', { class: 'sign', text: sign }), el('span', { class: 'doc', text: shortJson(doc) }));
}

/* Caps a list of rendered items, adding a note item when some were left out. */
function capped(items) {
  if (items.length <= MAX_DIFF_ITEMS) return items;
  return [...items.slice(0, MAX_DIFF_ITEMS), el('li', { class: 'note', text: `… and ${items.length - MAX_DIFF_ITEMS} more` })];
}

/* A diff as returned by db.diff(): per collection, added (+), removed (−) and changed (~) documents. */
export function renderDiff(diff) {
  const sections = Object.entries(diff ?? {})
    .filter(([, d]) => d.added.length + d.removed.length + d.changed.length > 0)
    .map(([name, d]) => el('section', { class: 'diff-collection', dataset: { collection: name } },
      el('h4', { text: `${name}: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed` }),
      el('ul', {}, capped([
        ...d.added.map((doc) => renderWhole('added', '+', doc)),
        ...d.removed.map((doc) => renderWhole('removed', '−', doc)),
        ...d.changed.map(renderChange),
      ]))));
  return sections.length ? sections : [el('p', { class: 'empty', text: 'No document changed.' })];
}

/**
 * One document's versions, oldest first: entries from db.history(). onJump(seq) moves the
 * timeline to a version's commit.
 */
export function renderHistory(entries, onJump) {
  if (entries.length === 0) return el('p', { class: 'empty', text: 'No recorded versions.' });
  return el('div', { class: 'table-wrap' }, el('table', { class: 'history-table' },
    el('thead', {}, el('tr', {}, ['seq', 'time', 'op', 'who', 'what', 'document'].map((h) => el('th', { text: h })))),
    el('tbody', {}, entries.map((entry) => el('tr', { class: `op-${entry.op}`, dataset: { seq: String(entry.seq), op: entry.op } },
      el('td', {}, el('button', {
        type: 'button', class: 'link', text: String(entry.seq), title: 'Move the timeline here',
        on: { click: () => onJump(entry.seq) },
      })),
      el('td', { text: formatTime(entry.time) }),
      el('td', { class: 'op', text: OP_NAMES[entry.op] ?? entry.op }),
      el('td', { text: whoText(entry.cause) }),
      el('td', { text: entry.cause?.what ?? '' }),
      el('td', { class: 'doc', text: shortJson(entry.doc), title: JSON.stringify(entry.doc) }))))));
}
