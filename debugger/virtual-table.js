/*
 * virtual-table.js: a table of documents that draws only the rows in view, so 5,000 or
 * 100,000 rows cost the same to show as 20 (the debugger's state view).
 *
 * Owns: createVirtualTable(host, { onOpen, label }) -> { setRows(rows, columns, marks, { focus }), applyScroll() }.
 * marks: Map(index -> 'added' | 'changed' | 'removed' | 'selected'). Rows are fixed height (ROW_HEIGHT px); a spacer
 * gives the scroll area its full height and the drawn rows are translated into place.
 * Must stay true: at most the visible rows plus OVERSCAN on each side exist in the DOM; every
 * drawn row carries data-index and data-json (its document), and the mark as a class; rows
 * are in the DOM in row order; a row
 * is redrawn only when its document object, mark or columns changed (callers give a new
 * object for a changed document); the table scrolls inside its own box (never widens the page);
 * from the keyboard, ↑/↓ move an active row (class hsd-active, aria-current) and Enter or
 * Space opens it (onOpen), as a click does.
 */
import { h, cellText } from './dom.js';

export const ROW_HEIGHT = 26;
const OVERSCAN = 3;   // rows drawn beyond the view on each side: fewer rows, less layout per step
const MAX_COLUMNS = 8;

/* Column names: the keys of a sample of rows (the first ones and the marked ones), in order of first appearance. */
export function columnsOf(rows, marks) {
  const seen = new Set();
  const add = (doc) => { if (doc && typeof doc === 'object') for (const k of Object.keys(doc)) seen.add(k); };
  for (let i = 0; i < Math.min(rows.length, 50); i++) add(rows[i]);
  for (const i of marks?.keys?.() ?? []) add(rows[i]);
  return [...seen].slice(0, MAX_COLUMNS);
}

export function createVirtualTable(host, { onOpen, label = 'documents' } = {}) {
  const head = h('div', { class: 'hsd-vt-head', role: 'row' });
  const spacer = h('div', { class: 'hsd-vt-spacer' });
  const body = h('div', { class: 'hsd-vt-body', role: 'rowgroup' });
  const scroller = h('div', { class: 'hsd-vt-scroll', tabindex: '0', role: 'table', 'aria-label': label }, head, spacer);
  spacer.append(body);
  host.append(scroller);
  let rows = [], columns = [], marks = new Map(), drawnRange = '';
  let columnsKey = '';
  let drawn = new Map();   // index -> { row, doc, mark, template } of the rows in the DOM
  let pending = false;
  let active = -1;         // the row ↑/↓ moved to (keyboard), opened with Enter
  // Sizes are cached (ResizeObserver, scroll events) so drawing never forces a layout.
  let viewHeight = 300, scrollTop = 0, pendingScroll = null;
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver((entries) => {
      const height = entries[0]?.contentRect?.height;
      if (height > 0 && height !== viewHeight) { viewHeight = height; drawnRange = ''; draw(); }
    }).observe(scroller);
  }

  /* Row elements that left the view, kept to be filled again: a step that scrolls the table
     to another changed row reuses them instead of making new ones (less garbage per step). */
  const spare = [];
  const MAX_SPARE = 200;

  /* A row element (reused or new) showing doc at index i with mark. */
  function rowFor(i, doc, mark) {
    const row = spare.pop() ?? h('div', { role: 'row' });
    row.className = `hsd-vt-row${mark ? ` ${mark}` : ''}`;
    row.removeAttribute('aria-current');
    row.dataset.index = String(i);
    row.dataset.json = JSON.stringify(doc);
    row.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
    while (row.childElementCount > columns.length) row.lastElementChild.remove();
    while (row.childElementCount < columns.length) row.append(h('span', { role: 'cell' }));
    let k = 0;
    for (const span of row.children) span.textContent = cellText(doc?.[columns[k++]]);
    return row;
  }

  /* Draws the rows in view. A row element already drawn for the same index, document object,
     mark and columns is kept as it is, so a step that changes a few rows touches only those;
     the others are refilled from the rows that left the view. */
  function draw() {
    pending = false;
    const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((scrollTop + viewHeight) / ROW_HEIGHT) + OVERSCAN);
    const key = `${first}:${last}`;
    if (key === drawnRange) return;
    drawnRange = key;
    const template = columnsKey;
    const next = new Map();
    for (let i = first; i < last; i++) {
      const old = drawn.get(i);
      if (old && old.doc === rows[i] && old.mark === marks.get(i) && old.template === template) { next.set(i, old); drawn.delete(i); }
    }
    for (const old of drawn.values()) { old.row.remove(); if (spare.length < MAX_SPARE) spare.push(old.row); }
    let fresh = 0;
    for (let i = first; i < last; i++) {
      if (next.has(i)) continue;
      const doc = rows[i], mark = marks.get(i);
      next.set(i, { row: rowFor(i, doc, mark), doc, mark, template });
      fresh++;
    }
    drawn = next;
    markActive();
    if (!fresh) return;
    // DOM order = row order (screen readers read it); kept rows are already in order.
    let cursor = body.firstChild;
    for (let i = first; i < last; i++) {
      const { row } = next.get(i);
      if (row === cursor) cursor = cursor.nextSibling;
      else body.insertBefore(row, cursor);
    }
  }

  // One click listener for every row, drawn now or later (rows are reused).
  if (onOpen) {
    body.addEventListener('click', (event) => {
      const row = event.target instanceof Element ? event.target.closest('.hsd-vt-row') : null;
      if (!row || !body.contains(row)) return;
      const i = Number(row.dataset.index);
      if (i >= 0 && i < rows.length) onOpen(rows[i], i);
    });
  }

  function markActive() {
    for (const [i, { row }] of drawn) {
      const on = i === active;
      if (row.classList.contains('hsd-active') !== on) { row.classList.toggle('hsd-active', on); if (on) row.setAttribute('aria-current', 'true'); else row.removeAttribute('aria-current'); }
    }
  }

  /* Keyboard: ↑/↓ move the active row (scrolled into view), Enter or Space opens it. */
  function onKey(event) {
    if (!rows.length || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      const from = active >= 0 ? active : Math.floor(scrollTop / ROW_HEIGHT) - (event.key === 'ArrowDown' ? 1 : 0);
      active = Math.min(rows.length - 1, Math.max(0, from + (event.key === 'ArrowDown' ? 1 : -1)));
      const y = active * ROW_HEIGHT;
      if (y < scrollTop) scrollTop = y;
      else if (y + 2 * ROW_HEIGHT > scrollTop + viewHeight) scrollTop = Math.max(0, y + 2 * ROW_HEIGHT - viewHeight);
      scroller.scrollTop = scrollTop;
      drawnRange = '';
      draw();
      event.preventDefault();
    } else if ((event.key === 'Enter' || event.key === ' ') && active >= 0 && active < rows.length && onOpen) {
      event.preventDefault();
      onOpen(rows[active], active);
    }
  }
  scroller.addEventListener('keydown', onKey);

  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(draw);
  }
  scroller.addEventListener('scroll', () => { scrollTop = scroller.scrollTop; schedule(); }, { passive: true });

  return {
    element: scroller,
    /* Shows rows; with focus (a row index) scrolls it into view (centred when it was out of
       view). The new scroll position is applied by applyScroll(), so a page with several
       tables makes all its DOM changes first and lays out once. */
    setRows(nextRows, nextColumns, nextMarks, { focus } = {}) {
      if (nextRows !== rows) active = -1;   // another list: the keyboard starts again from the view
      rows = nextRows;
      marks = nextMarks ?? new Map();
      const nextKey = nextColumns.join('\u0000');
      if (nextKey !== columnsKey) {
        columns = nextColumns;
        columnsKey = nextKey;
        head.replaceChildren(...columns.map((c) => h('span', { role: 'columnheader', text: c })));
      }
      spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
      const maxTop = Math.max(0, (rows.length + 1) * ROW_HEIGHT - viewHeight);
      let top = Math.min(scrollTop, maxTop);
      if (focus !== undefined && focus >= 0) {
        const y = focus * ROW_HEIGHT;
        if (y < top || y + 2 * ROW_HEIGHT > top + viewHeight) top = Math.min(maxTop, Math.max(0, Math.round(y - viewHeight / 2)));
      }
      if (top !== scrollTop) { scrollTop = top; pendingScroll = top; }
      drawnRange = '';
      draw();
    },
    applyScroll() {
      if (pendingScroll === null) return;
      scroller.scrollTop = pendingScroll;
      pendingScroll = null;
    },
    get rowCount() { return rows.length; },
  };
}
