/*
 * doc-view.js: a document's story in the debugger: the document, the commit, person and cause
 * that last set each of its fields (blame), and every kept version with a "you are here" marker.
 *
 * Owns: renderDocument(container, { db, collection, doc, rowId, deleted, at, select, who }).
 * Must stay true: the row is followed by its row id (db.blame, js/blame.js); what is shown is the row as
 * it was at `at` (the seq the panel shows; a deleted row: its last version); every seq shown
 * is a button that selects it; text goes in as text.
 */
import { h, clear, shortJson } from './dom.js';

const OPS = { I: 'inserted', U: 'updated', D: 'deleted' };

export function renderDocument(container, { db, collection, doc, rowId, deleted = false, at, select, who }) {
  const story = db.blame(collection, { rowId, doc, at });
  const history = story.history.length && story.history[story.history.length - 1].seq >= at
    ? story.history : db.blame(collection, { rowId, doc }).history;   // versions after `at` too
  let here = -1;
  history.forEach((e, i) => { if (e.seq <= at) here = i; });
  const seqButton = (seq) => h('button', { type: 'button', class: 'hsd-link', text: `seq ${seq}`, on: { click: () => select(seq) } });
  container.hidden = false;
  container.dataset.collection = collection;
  container.dataset.rowId = String(rowId);
  container.dataset.deleted = String(deleted || story.deleted);
  clear(container,
    h('div', { class: 'hsd-doc-head' }, h('strong', { text: `${deleted || story.deleted ? 'Deleted document' : 'Document'} in ${collection} (row ${rowId})` }),
      h('button', { type: 'button', class: 'hsd-doc-close', text: 'Close', on: { click: () => { container.hidden = true; } } })),
    h('pre', { class: 'hsd-doc-json', text: JSON.stringify(story.doc ?? doc, null, 2) }),
    h('h4', { text: `Blame at seq ${at}: who last set each field` }),
    h('table', { class: 'hsd-blame' },
      h('thead', {}, h('tr', {}, ['field', 'value', 'set at', 'who', 'what', 'why'].map((t) => h('th', { text: t })))),
      h('tbody', {}, story.fields.map((f) => h('tr', { dataset: { path: f.path, seq: String(f.seq) } },
        h('td', {}, h('code', { text: f.path })), h('td', { text: shortJson(f.value, 40) }), h('td', {}, seqButton(f.seq)),
        h('td', { class: 'who', text: who(f.cause) }), h('td', { class: 'what', text: f.cause?.what ?? '' }), h('td', { class: 'why', text: f.cause?.why ?? '' }))))),
    story.deletedBy ? h('p', { class: 'hsd-deleted-by' }, 'Deleted at ', seqButton(story.deletedBy.seq), ` by ${who(story.deletedBy.cause)}${story.deletedBy.cause?.what ? `: ${story.deletedBy.cause.what}` : ''}`) : null,
    h('h4', { text: 'History' }),
    h('ol', { class: 'hsd-doc-history' }, history.map((e, i) => h('li', { dataset: { seq: String(e.seq), op: e.op } },
      seqButton(e.seq),
      ` ${OPS[e.op] ?? e.op} by ${who(e.cause)}${e.cause?.what ? `: ${e.cause.what}` : ''}`,
      i === here ? h('span', { class: 'hsd-here', text: ' ← you are here' }) : null))));
  container.scrollIntoView?.({ block: 'nearest' });
  return story;
}
