/*
 * virtual-table.js: a table of documents that draws only the rows in view, so 5,000 or
 * 100,000 rows cost the same to show as 20 (the debugger's state view).
 *
 * Owns: createVirtualTable(host, { onOpen }) -> { setRows(rows, columns, marks), scrollToIndex(i) }.
 * marks: Map(index -> 'added' | 'changed'). Rows are fixed height (ROW_HEIGHT px); a spacer
 * gives the scroll area its full height and the drawn rows are translated into place.
 * Must stay true: at most the visible rows plus OVERSCAN on each side exist in the DOM; every
 * drawn row carries data-index and data-json (its document), and the mark as a class; the
 * table scrolls inside its own box (never widens the page).
 */
import { h, cellText } from './dom.js';

export const ROW_HEIGHT = 26;
const OVERSCAN = 6;
const MAX_COLUMNS = 8;

/* Column names: the keys of a sample of rows (the first ones and the marked ones), in order of first appearance. */
export function columnsOf(rows, marks) {
  const seen = new Set();
  const add = (doc) => { if (doc && typeof doc === 'object') for (const k of Object.keys(doc)) seen.add(k); };
  for (let i = 0; i < Math.min(rows.length, 50); i++) add(rows[i]);
  for (const i of marks?.keys?.() ?? []) add(rows[i]);
  return [...seen].slice(0, MAX_COLUMNS);
}

export function createVirtualTable(host, { onOpen } = {}) {
  const head = h('div', { class: 'hsd-vt-head', role: 'row' });
  const spacer = h('div', { class: 'hsd-vt-spacer' });
  const body = h('div', { class: 'hsd-vt-body', role: 'rowgroup' });
  const scroller = h('div', { class: 'hsd-vt-scroll', tabindex: '0', role: 'table', 'aria-label': 'documents' }, head, spacer);
  spacer.append(body);
  host.append(scroller);
  let rows = [], columns = [], marks = new Map(), drawnRange = '';
  let pending = false;

  function gridTemplate() { return `repeat(${Math.max(columns.length, 1)}, minmax(6rem, 1fr))`; }

  function draw() {
    pending = false;
    const viewHeight = scroller.clientHeight || 300;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((scroller.scrollTop + viewHeight) / ROW_HEIGHT) + OVERSCAN);
    const key = `${first}:${last}`;
    if (key === drawnRange) return;
    drawnRange = key;
    const template = gridTemplate();
    const fragment = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const doc = rows[i];
      const mark = marks.get(i);
      const row = h('div', { class: `hsd-vt-row${mark ? ` ${mark}` : ''}`, role: 'row', dataset: { index: String(i), json: JSON.stringify(doc) } });
      row.style.gridTemplateColumns = template;
      row.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
      for (const c of columns) row.append(h('span', { role: 'cell', text: cellText(doc?.[c]) }));
      if (onOpen) row.addEventListener('click', () => onOpen(doc, i));
      fragment.append(row);
    }
    body.replaceChildren(fragment);
  }

  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(draw);
  }
  scroller.addEventListener('scroll', schedule, { passive: true });

  return {
    element: scroller,
    setRows(nextRows, nextColumns, nextMarks) {
      rows = nextRows;
      marks = nextMarks ?? new Map();
      const columnsKey = nextColumns.join('\u0000');
      if (columnsKey !== columns.join('\u0000')) {
        columns = nextColumns;
        head.style.gridTemplateColumns = gridTemplate();
        head.replaceChildren(...columns.map((c) => h('span', { role: 'columnheader', text: c })));
      }
      spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
      drawnRange = '';
      draw();
    },
    /* Brings row i into view (centred when it was out of view) and draws at once. */
    scrollToIndex(i) {
      const top = i * ROW_HEIGHT, view = scroller.clientHeight || 300;
      const headHeight = head.offsetHeight || ROW_HEIGHT;
      if (top < scroller.scrollTop || top + ROW_HEIGHT + headHeight > scroller.scrollTop + view) {
        scroller.scrollTop = Math.max(0, top - view / 2);
      }
      drawnRange = '';
      draw();
    },
    get rowCount() { return rows.length; },
  };
}
