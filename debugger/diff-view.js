/*
 * diff-view.js: draws a diff (db.diff(a, b)) as a list, down to the changed JSON paths; used
 * for the selected commit and for the comparison of two points.
 *
 * Owns: diffItems(diff, { onOpen, max, emptyText }) -> <li> elements.
 * Must stay true: every item carries data-collection and, for removed and changed
 * documents, data-row-id (the engine's row id); at most `max` items per kind and collection
 * are drawn and the rest are counted; text goes in as text.
 */
import { h, shortJson, idFieldOf } from './dom.js';
import { pathDiff, formatPath } from './path-diff.js';

export function diffItems(diff, { onOpen, max = 50, emptyText = 'No document changed here.' } = {}) {
  const items = [];
  for (const [name, d] of Object.entries(diff)) {
    d.added.slice(0, max).forEach((doc, i) => items.push(h('li', { class: 'hsd-added', dataset: { collection: name, rowId: String(d.addedIds?.[i] ?? '') } },
      `+ ${name}: `, h('code', { text: shortJson(doc) }))));
    d.removed.slice(0, max).forEach((doc, i) => items.push(h('li', { class: 'hsd-removed', dataset: { collection: name, rowId: String(d.removedIds?.[i] ?? '') } },
      `− ${name}: `, h('code', { text: shortJson(doc, 60) }), ' ',
      onOpen ? h('button', { type: 'button', class: 'hsd-open-removed', text: 'open', on: { click: () => onOpen(name, doc, d.removedIds[i], true) } }) : null)));
    for (const ch of d.changed.slice(0, max)) {
      const paths = pathDiff(ch.before, ch.after);
      const idField = idFieldOf(ch.after);
      items.push(h('li', { class: 'hsd-changed', dataset: { collection: name, rowId: String(ch.rowId ?? '') } },
        `~ ${name}${idField ? ` ${idField}=${JSON.stringify(ch.after[idField])}` : ''}: `,
        h('ul', { class: 'hsd-paths' }, paths.map((p) => h('li', { dataset: { path: formatPath(p.path) } },
          h('code', { class: 'hsd-path', text: formatPath(p.path) }), ' ',
          h('span', { class: 'hsd-before', text: shortJson(p.before, 60) }), ' → ',
          h('span', { class: 'hsd-after', text: shortJson(p.after, 60) }))))));
    }
    for (const [kind, list] of [['added', d.added], ['removed', d.removed], ['changed', d.changed]]) {
      if (list.length > max) items.push(h('li', { class: 'hsd-more', text: `… and ${list.length - max} more ${kind} in ${name}` }));
    }
  }
  if (!items.length) items.push(h('li', { class: 'hsd-empty', text: emptyText }));
  return items;
}
