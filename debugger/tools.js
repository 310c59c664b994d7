/*
 * tools.js: the debugger's comparison of two points and its bisect form.
 *
 * Owns: createTools(host, { db, selected, select, onError, currentCollection }) -> { compare(a, b),
 * runBisect() }. Compare: points A and B (typed, or "A = here" / "B = here"), the diff of the
 * whole state from A to B (db.diff, down to the JSON paths), and, when a query is given, its
 * results at A and at B and which documents entered or left them. Bisect: a read query and a
 * condition (db.bisect, js/bisect.js); the steps it took, and the commit it found with a button to go there.
 * Must stay true: reads only (db.diff, db.bisect, db.at(seq).executeQuery); bad input (a seq out of
 * range, a query that is not JSON or fails) is reported through onError and changes nothing;
 * every point shown is a button that selects it.
 */
import { h, clear, shortJson, describeError } from './dom.js';
import { diffItems } from './diff-view.js';

const MAX_COMPARE_ITEMS = 100;

/* A query from the form's JSON: className and version are filled in when missing. */
export function parseQuery(text, fallbackTarget) {
  const trimmed = text.trim();
  const query = trimmed ? JSON.parse(trimmed) : { target: fallbackTarget, type: 'count' };
  if (!query || typeof query !== 'object' || Array.isArray(query)) throw new TypeError('the query must be a JSON object such as {"target": "tasks", "type": "count"}');
  return { className: 'Query', version: '7', ...query };
}

function resultAt(db, seq, query) {
  const view = db.at(seq);
  try {
    const r = view.executeQuery(query);
    if (!r.isSuccess) throw new Error(`the query failed at seq ${seq}: ${r.errorMessage}`);
    return r;
  } finally { view.release(); }
}

export function createTools(host, { db, selected, select, onError, currentCollection }) {
  const ui = {};
  const seqButton = (seq) => h('button', { type: 'button', class: 'hsd-link', text: `seq ${seq}`, on: { click: () => select(seq) } });
  host.append(
    h('h3', { text: 'Compare two points' }),
    h('div', { class: 'hsd-compare-form' },
      h('label', {}, 'A ', ui.a = h('input', { type: 'number', min: '0', class: 'hsd-compare-a', 'aria-label': 'point A (seq)' })),
      h('button', { type: 'button', class: 'hsd-set-a', text: 'A = here', on: { click: () => { ui.a.value = String(selected()); } } }),
      h('label', {}, 'B ', ui.b = h('input', { type: 'number', min: '0', class: 'hsd-compare-b', 'aria-label': 'point B (seq)' })),
      h('button', { type: 'button', class: 'hsd-set-b', text: 'B = here', on: { click: () => { ui.b.value = String(selected()); } } }),
      ui.compareButton = h('button', { type: 'button', class: 'hsd-compare-run', text: 'Compare' })),
    ui.compareSummary = h('p', { class: 'hsd-compare-summary', role: 'status' }),
    ui.compareQuery = h('div', { class: 'hsd-compare-query' }),
    ui.compareDiff = h('ul', { class: 'hsd-diff hsd-compare-diff' }),
    h('h3', { text: 'Query, and bisect on it' }),
    h('label', { class: 'hsd-query-label' }, 'Query (JSON; empty: count of the shown collection) ',
      ui.query = h('textarea', { class: 'hsd-query-input', rows: '2', spellcheck: 'false', placeholder: '{"target": "tasks", "type": "search", "queryNode": {"type": "equals_", "field": "status", "value": "done", "vType": "auto_", "version": "2"}}' })),
    h('div', { class: 'hsd-bisect-form' },
      h('label', {}, 'first commit where ', ui.kind = h('select', { class: 'hsd-bisect-kind', 'aria-label': 'condition' },
        h('option', { value: 'changes', text: 'the result changes (from A, or the oldest point)' }),
        h('option', { value: 'countAbove', text: 'count / results >' }),
        h('option', { value: 'countBelow', text: 'count / results <' }),
        h('option', { value: 'contains', text: 'the results contain the text' }),
        h('option', { value: 'nonEmpty', text: 'the results are not empty' }),
        h('option', { value: 'empty', text: 'the results are empty' }))),
      ui.value = h('input', { type: 'text', class: 'hsd-bisect-value', 'aria-label': 'condition value', size: '8' }),
      ui.bisectButton = h('button', { type: 'button', class: 'hsd-bisect-run', text: 'Bisect' })),
    ui.bisectResult = h('p', { class: 'hsd-bisect-result', role: 'status' }),
    ui.bisectSteps = h('ol', { class: 'hsd-bisect-steps' }));

  const point = (input, name) => {
    const n = Number(input.value);
    if (input.value.trim() === '' || !Number.isInteger(n) || n < 0 || n > db.seq) throw new RangeError(`${name} must be a seq from 0 to ${db.seq}`);
    return n;
  };

  function compare(givenA, givenB) {
    try {
      const a = givenA ?? point(ui.a, 'A'), b = givenB ?? point(ui.b, 'B');
      ui.a.value = String(a);
      ui.b.value = String(b);
      const diff = db.diff(a, b);
      let added = 0, removed = 0, changed = 0;
      for (const d of Object.values(diff)) { added += d.added.length; removed += d.removed.length; changed += d.changed.length; }
      clear(ui.compareSummary, 'From ', seqButton(a), ' to ', seqButton(b), `: +${added} −${removed} ~${changed}`);
      ui.compareSummary.dataset.counts = `${added},${removed},${changed}`;
      clear(ui.compareDiff, diffItems(diff, { max: MAX_COMPARE_ITEMS, emptyText: 'The two points hold the same documents.' }));
      clear(ui.compareQuery);
      if (ui.query.value.trim()) {
        const query = parseQuery(ui.query.value, currentCollection());
        const ra = resultAt(db, a, query), rb = resultAt(db, b, query);
        const texts = (r) => (Array.isArray(r.result) ? r.result.map((d) => JSON.stringify(d)) : []);
        const ta = new Set(texts(ra)), tb = new Set(texts(rb));
        const entered = [...tb].filter((t) => !ta.has(t)), left = [...ta].filter((t) => !tb.has(t));
        const count = (r) => (typeof r.hitCount === 'number' ? r.hitCount : r.result.length);
        ui.compareQuery.dataset.counts = `${count(ra)},${count(rb)}`;
        ui.compareQuery.append(h('p', { text: `Query ${query.type} on ${query.target}: ${count(ra)} at A, ${count(rb)} at B` }),
          h('ul', { class: 'hsd-diff' },
            entered.slice(0, MAX_COMPARE_ITEMS).map((t) => h('li', { class: 'hsd-added hsd-entered' }, '+ in the result at B: ', h('code', { text: shortJson(JSON.parse(t)) }))),
            left.slice(0, MAX_COMPARE_ITEMS).map((t) => h('li', { class: 'hsd-removed hsd-left' }, '− only in the result at A: ', h('code', { text: shortJson(JSON.parse(t)) })))));
      }
      return diff;
    } catch (error) {
      onError(error);
      return null;
    }
  }

  function runBisect() {
    try {
      const query = parseQuery(ui.query.value, currentCollection());
      const kind = ui.kind.value;
      const spec = { kind, n: Number(ui.value.value), text: ui.value.value };
      if ((kind === 'countAbove' || kind === 'countBelow') && (ui.value.value.trim() === '' || !Number.isFinite(spec.n))) throw new RangeError('give the count to compare with');
      const from = ui.a.value.trim() === '' ? undefined : point(ui.a, 'A');
      const to = ui.b.value.trim() === '' ? undefined : point(ui.b, 'B');
      const found = db.bisect(query, { condition: spec, from, to });
      clear(ui.bisectSteps, found.steps.map((s) => h('li', { dataset: { seq: String(s.seq), holds: String(s.holds) } },
        seqButton(s.seq), ` ${s.holds ? 'holds' : 'does not hold'} (count ${s.count})`)));
      ui.bisectResult.dataset.seq = found.seq === null ? '' : String(found.seq);
      if (found.seq === null) clear(ui.bisectResult, `Not found: ${found.reason} (${found.reads} reads).`);
      else {
        const c = found.commit?.cause;
        clear(ui.bisectResult, 'First commit where it holds: ', seqButton(found.seq),
          ` by ${c?.who?.name ?? c?.who?.id ?? '(no cause)'}${c?.what ? `: ${c.what}` : ''} (${found.reads} reads)`);
        select(found.seq);
      }
      return found;
    } catch (error) {
      onError(error);
      clear(ui.bisectResult, `Bisect failed: ${describeError(error)}`);
      ui.bisectResult.dataset.seq = '';
      return null;
    }
  }

  ui.compareButton.addEventListener('click', () => compare());
  ui.bisectButton.addEventListener('click', runBisect);
  return { compare: (a, b) => compare(a, b), runBisect, elements: ui };
}
