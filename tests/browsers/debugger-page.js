/*
 * debugger-page.js: the debugger's checks that run inside any browser page (debugger.html, driven
 * in Chromium, Firefox and WebKit by the browser harness).
 *
 * Owns: runDebuggerChecks(host) -> [{ name, ok, detail }]. It writes a small history with
 * causes (documents without an id field, one changed to equal another, a nested
 * change, deletes, a planted "done" task), mounts the debugger, and checks through the page's
 * DOM, as a person would use it: scrubbing shows db.at(seq) exactly; the changed row is matched
 * by row id (a document changed to equal another); rows are in the DOM in row order; removed rows are drawn faded; blame names the
 * commit and cause of each field; bisect finds the planted commit; comparing two points shows
 * db.diff(A, B); a random scrub keeps the rows equal to db.at(seq); and a history longer than
 * the commit list's read chunks (600 commits) shows an old commit, filters and fills every row;
 * with a sync client given (a stand-in with commitStatus), the commit list marks each commit as
 * commitStatus says, in words, follows its changes, and the card shows origin and base.
 * Must stay true: expected values are computed from the database in the page, never
 * hard-coded from a past run; each check is bounded (waits give up after STEP_TIMEOUT_MS).
 */
import { Database } from '/index.js';
import { mountDebugger } from '/debugger/index.js';

const STEP_TIMEOUT_MS = 10_000;
const eq = (field, value) => ({ type: 'equals_', field, value, vType: 'auto_', version: '2' });
const q = (target, type, rest = {}) => ({ className: 'Query', version: '7', target, type, ...rest });
const person = (name, what) => ({ who: { type: 'human', id: name.toLowerCase(), name }, what, why: `${name} wanted it` });
const frame = () => new Promise((r) => requestAnimationFrame(r));

async function until(test, what) {
  const start = performance.now();
  while (!test()) {
    if (performance.now() - start > STEP_TIMEOUT_MS) throw new Error(`timed out waiting for ${what}`);
    await frame();
  }
}

function build(db) {
  const seqs = {};
  const run = (name, query) => { const r = db.executeQuery(query); if (!r.isSuccess) throw new Error(`${name}: ${r.errorMessage}`); seqs[name] = db.seq; };
  run('notes', q('notes', 'add', { addData: [{ text: 'same' }, { text: 'other' }, { text: 'third' }], cause: person('Ann', 'add notes') }));
  run('tasks', q('tasks', 'add', { serialKey: 'id', addData: [1, 2, 3, 4, 5, 6].map((n) => ({ id: -1, title: `task ${n}`, status: 'todo', details: { priority: 'normal' } })), cause: person('Bob', 'add tasks') }));
  // the third note becomes equal to the first: only its row id tells them apart
  run('secondNote', q('notes', 'updateOne', { queryNode: eq('text', 'third'), overrideData: { text: 'same' }, cause: person('Cy', 'edit a note') }));
  for (let i = 0; i < 3; i++) run(`done${i}`, q('tasks', 'updateOne', { queryNode: eq('id', i), overrideData: { status: 'done' }, cause: person('Dee', `finish task ${i}`) }));
  run('nested', q('tasks', 'updateOne', { queryNode: eq('id', 1), overrideData: { details: { priority: 'high' } }, cause: person('Eve', 'raise priority') }));
  run('deleteNote', q('notes', 'deleteOne', { queryNode: eq('text', 'other'), cause: person('Ann', 'delete a note') }));
  run('fourthDone', q('tasks', 'updateOne', { queryNode: eq('id', 4), overrideData: { status: 'done' }, cause: person('Finn', 'the planted fourth done') }));
  for (let i = 0; i < 20; i++) run(`churn${i}`, q('tasks', 'updateOne', { queryNode: eq('id', 5), overrideData: { title: `task 6 v${i}` }, cause: person('Gus', `rename ${i}`) }));
  return seqs;
}

export async function runDebuggerChecks(host) {
  const results = [];
  const check = async (name, fn) => {
    try {
      const outcome = await fn();
      results.push({ name, ok: outcome === true, detail: outcome === true ? '' : String(outcome) });
    } catch (error) {
      results.push({ name, ok: false, detail: `${error?.name}: ${error?.message}` });
    }
  };
  const db = await Database.open();
  const seqs = build(db);
  const handle = mountDebugger(db, { container: host });
  const panel = host.querySelector('.hsd-panel');
  const $ = (sel) => panel.querySelector(sel);
  const $$ = (sel) => [...panel.querySelectorAll(sel)];
  const scrub = async (seq) => {
    const slider = $('.hsd-slider');
    slider.value = String(seq);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    await until(() => panel.dataset.renderedSeq === String(seq), `seq ${seq} to render`);
  };
  const shownCollection = () => $('.hsd-collection').value;
  const drawn = () => $$('.hsd-table .hsd-vt-row').sort((a, b) => a.dataset.index - b.dataset.index).map((r) => ({ index: Number(r.dataset.index), json: r.dataset.json, cls: r.className }));

  await check('debugger: mounted at the head, the slider spans every commit', () => {
    const slider = $('.hsd-slider');
    return (Number(slider.max) === db.seq && panel.dataset.renderedSeq === String(db.seq) && Number(slider.min) === 0) || `slider ${slider.min}..${slider.max}, rendered ${panel.dataset.renderedSeq}`;
  });

  await check('state: a document changed to equal another one is highlighted in its own row (matched by row id)', async () => {
    await scrub(seqs.secondNote);
    if (shownCollection() !== 'notes') return `shows ${shownCollection()}`;
    const changed = drawn().filter((r) => r.cls.includes('changed'));
    const view = db.at(seqs.secondNote);
    const rows = view.rows('notes');
    view.release();
    const changedRowId = db.diff(seqs.secondNote - 1, seqs.secondNote).notes.changed[0].rowId;
    const want = rows.rowIds.indexOf(changedRowId);
    return (changed.length === 1 && want === 2 && changed[0].index === want && JSON.parse(changed[0].json).text === 'same') || `highlighted ${JSON.stringify(changed)}, expected index ${want}`;
  });

  await check('state: a removed document is drawn faded where it was, the rest equals db.at(seq)', async () => {
    await scrub(seqs.deleteNote);
    const rows = drawn();
    const removed = rows.filter((r) => r.cls.includes('removed'));
    const gone = db.diff(seqs.deleteNote - 1, seqs.deleteNote).notes.removed;
    const kept = rows.filter((r) => !r.cls.includes('removed')).map((r) => JSON.parse(r.json));
    const want = db.at(seqs.deleteNote).toDict().collections.notes.data;
    if (removed.length !== 1 || removed[0].json !== JSON.stringify(gone[0])) return `removed rows ${JSON.stringify(removed)}`;
    return JSON.stringify(kept) === JSON.stringify(want) || `kept ${JSON.stringify(kept)} vs ${JSON.stringify(want)}`;
  });

  await check('state: the drawn rows are in the DOM in row order', () => {
    const order = $$('.hsd-table .hsd-vt-row').map((r) => Number(r.dataset.index));
    return order.every((v, i) => i === 0 || v > order[i - 1]) || `DOM order ${order}`;
  });

  await check('diff: a nested change lists only details.priority', async () => {
    await scrub(seqs.nested);
    const paths = $$('.hsd-diff > li.hsd-changed .hsd-paths > li').map((li) => li.dataset.path);
    return JSON.stringify(paths) === '["details.priority"]' || `paths ${JSON.stringify(paths)}`;
  });

  await check('blame: opening a task names, per field, the commit and person of its cause', async () => {
    await scrub(db.seq);
    await until(() => shownCollection() === 'tasks' && $$('.hsd-table .hsd-vt-row').length > 0, 'the tasks table');
    const row = $$('.hsd-table .hsd-vt-row').find((r) => JSON.parse(r.dataset.json).id === 1);
    if (!row) return 'task 1 not drawn';
    row.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    const blame = Object.fromEntries($$('.hsd-doc .hsd-blame tbody tr').map((tr) => [tr.dataset.path, `${tr.dataset.seq} ${tr.querySelector('.who').textContent} ${tr.querySelector('.why').textContent}`]));
    const history = db.history('tasks', eq('id', 1));
    const setBy = (pred) => { const e = history.filter(pred).pop(); return `${e.seq} ${e.cause.who.name} (human) ${e.cause.why}`; };
    const want = {
      id: setBy((e) => e.op === 'I'),
      title: setBy((e) => e.op === 'I'),
      status: setBy((e) => e.doc.status === 'done' && e.cause.what.startsWith('finish')),
      'details.priority': setBy((e) => e.doc.details.priority === 'high'),
    };
    for (const [path, text] of Object.entries(want)) if (blame[path] !== text) return `${path}: shown "${blame[path]}", expected "${text}"`;
    const here = $$('.hsd-doc .hsd-doc-history li').filter((li) => li.querySelector('.hsd-here')).map((li) => li.dataset.seq);
    return JSON.stringify(here) === JSON.stringify([String(history[history.length - 1].seq)]) || `you are here at ${here}`;
  });

  await check('bisect: "search status = done has more than 3 results" finds the planted commit, in O(log n) reads', async () => {
    $('.hsd-query-input').value = JSON.stringify({ target: 'tasks', type: 'search', queryNode: eq('status', 'done') });
    $('.hsd-bisect-kind').value = 'countAbove';
    $('.hsd-bisect-value').value = '3';
    $('.hsd-bisect-run').click();
    // the planted commit, by reading every point (the slow way)
    let first = null;
    for (let s = 1; s <= db.seq && first === null; s++) {
      const r = db.at(s).executeQuery(q('tasks', 'search', { queryNode: eq('status', 'done') }));
      if (r.hitCount > 3) first = s;
    }
    const found = $('.hsd-bisect-result').dataset.seq;
    const steps = $$('.hsd-bisect-steps li').length;
    if (found !== String(first) || first !== seqs.fourthDone) return `bisect found ${found}, reading every point found ${first}, planted ${seqs.fourthDone}`;
    if (steps > 2 + Math.ceil(Math.log2(db.seq))) return `${steps} reads`;
    await until(() => panel.dataset.renderedSeq === found, 'the found commit to be selected');
    return $('.hsd-commit dd.what').textContent === 'the planted fourth done' || `card says ${$('.hsd-commit dd.what').textContent}`;
  });

  await check('compare: points A and B show db.diff(A, B), and the query results at both', async () => {
    const a = seqs.tasks, b = seqs.fourthDone;
    $('.hsd-compare-a').value = String(a);
    $('.hsd-compare-b').value = String(b);
    $('.hsd-compare-run').click();
    const diff = db.diff(a, b);
    let added = 0, removed = 0, changed = 0;
    for (const d of Object.values(diff)) { added += d.added.length; removed += d.removed.length; changed += d.changed.length; }
    const counts = $('.hsd-compare-summary').dataset.counts;
    if (counts !== `${added},${removed},${changed}`) return `summary ${counts}, diff ${added},${removed},${changed}`;
    const items = $$('.hsd-compare-diff > li.hsd-changed').map((li) => li.dataset.rowId).sort().join();
    const want = Object.values(diff).flatMap((d) => d.changed.map((c) => String(c.rowId))).sort().join();
    if (items !== want) return `changed rows ${items}, diff ${want}`;
    const queryCounts = $('.hsd-compare-query').dataset.counts;
    const entered = $$('.hsd-compare-query .hsd-entered').length;
    return (queryCounts === '0,4' && entered === 4) || `query counts ${queryCounts}, entered ${entered}`;
  });

  await check('compare: a point out of range is an error in the panel, and nothing changes', async () => {
    $('.hsd-compare-a').value = String(db.seq + 5);
    const before = $('.hsd-compare-summary').textContent;
    $('.hsd-compare-run').click();
    return ($('.hsd-status').classList.contains('error') && $('.hsd-compare-summary').textContent === before) || `status ${$('.hsd-status').textContent}`;
  });

  await check('scrub: 40 random steps, each showing exactly db.at(seq) for the shown collection', async () => {
    let seed = 7;
    for (let i = 0; i < 40; i++) {
      seed = (seed * 48271) % 2147483647;
      const seq = seed % (db.seq + 1);
      await scrub(seq);
      const name = shownCollection();
      const state = handle.state();
      const view = db.at(seq);
      const want = name ? view.rows(name) : { data: [], rowIds: [] };
      view.release();
      if (state.collection !== (name || null) || JSON.stringify(state.data) !== JSON.stringify(want.data ?? []) || JSON.stringify(state.rowIds) !== JSON.stringify(want.rowIds ?? [])) return `at ${seq}: panel ${JSON.stringify(state)} vs ${JSON.stringify(want)}`;
      const shown = drawn().filter((r) => !r.cls.includes('removed')).map((r) => r.json);
      const all = (want.data ?? []).map((d) => JSON.stringify(d));
      const startAt = all.indexOf(shown[0]);
      if (shown.length && (startAt < 0 || shown.some((j, k) => all[startAt + k] !== j))) return `at ${seq}: drawn rows are not a slice of db.at(seq)`;
    }
    return true;
  });

  handle.destroy();
  await db.close();

  await check('commit list: a history of three chunks opens at the head; an old commit, the filter and, once read, every row match db.commits()', async () => {
    const long = await Database.open();
    long.executeQuery(q('t', 'add', { addData: [{ n: 0 }], cause: person('Old', 'the first commit') }));
    for (let i = 1; i < 600; i++) long.executeQuery(q('t', 'updateOne', { queryNode: eq('n', i - 1), overrideData: { n: i }, cause: person('Zed', `step ${i}`) }));
    const box = document.createElement('div');
    host.append(box);
    const h2 = mountDebugger(long, { container: box });
    try {
      const p2 = box.querySelector('.hsd-panel');
      const commits = long.commits();
      const logRows = () => [...p2.querySelectorAll('.hsd-log .hsd-vt-row')].map((r) => JSON.parse(r.dataset.json));
      if (h2.seq !== long.seq) return `opened at ${h2.seq}, head ${long.seq}`;
      // before the background reads: the filter reads every chunk, so commits of the
      // oldest and the middle chunk are found
      const filter = p2.querySelector('.hsd-filter');
      for (const [text, seq, name] of [['the first commit', 1, 'Old'], ['step 300', 301, 'Zed']]) {
        filter.value = text;
        filter.dispatchEvent(new Event('input'));
        const found = logRows();
        if (found.length !== 1 || found[0].seq !== seq || !found[0].who.startsWith(name)) return `filter "${text}" showed ${JSON.stringify(found)}`;
      }
      filter.value = '';
      filter.dispatchEvent(new Event('input'));
      h2.select(1);
      await until(() => p2.dataset.renderedSeq === '1', 'seq 1');
      if (p2.querySelector('.hsd-commit .what')?.textContent !== 'the first commit') return `commit card at 1: ${p2.querySelector('.hsd-commit')?.textContent}`;
      await h2.commitsLoaded();
      for (const seq of [1, 300, 600]) {
        h2.select(seq);
        await until(() => p2.dataset.renderedSeq === String(seq), `seq ${seq}`);
        await frame();
        const rows = logRows();
        if (!rows.some((r) => r.seq === seq)) return `the log does not show seq ${seq}`;
        for (const r of rows) {
          const c = commits[r.seq - 1];
          if (r.what !== c.cause.what || !r.who.startsWith(c.cause.who.name)) return `log row ${JSON.stringify(r)} vs commit ${JSON.stringify(c.cause)}`;
        }
      }
      return true;
    } finally {
      h2.destroy();
      await long.close();
    }
  });

  await check('sync: with a sync client, each commit is marked pending / acknowledged / rebased in words, as commitStatus says, and the card shows origin and base', async () => {
    const synced = await Database.open();
    for (let i = 0; i < 4; i++) synced.executeQuery(q('t', 'add', { addData: [{ n: i }], cause: person('Sy', `sync ${i}`) }));
    const ids = synced.commits().map((c) => c.id);
    const origin = (id) => id.split('.')[0];
    // A stand-in for SyncClient: the debugger reads only commitStatus and subscribeCommitStatus.
    const statuses = new Map([
      [ids[0], { status: 'acknowledged', serverSeq: 1, base: 0, origin: origin(ids[0]), own: true }],
      [ids[1], { status: 'rebased', serverSeq: 3, base: 1, origin: origin(ids[1]), own: true }],
      [ids[2], { status: 'pending', base: 1, origin: origin(ids[2]), own: true }],
    ]);   // ids[3]: not known to the client
    const listeners = new Set();
    const sync = { commitStatus: (id) => statuses.get(id) ?? null, subscribeCommitStatus: (fn) => { listeners.add(fn); return () => listeners.delete(fn); } };
    const box = document.createElement('div');
    host.append(box);
    const h3 = mountDebugger(synced, { container: box, sync });
    try {
      const p3 = box.querySelector('.hsd-panel');
      const column = () => [...p3.querySelectorAll('.hsd-log .hsd-vt-head span')].map((s) => s.textContent).indexOf('sync');
      const marks = () => new Map([...p3.querySelectorAll('.hsd-log .hsd-vt-row')].map((r) => [JSON.parse(r.dataset.json).seq, r.children[column()]?.textContent]));
      const expected = (seq) => ({ pending: 'pending', acknowledged: 'acknowledged', rebased: 'rebased' })[sync.commitStatus(ids[seq - 1])?.status] ?? '';
      const mismatch = () => {
        if (column() < 0) return 'no sync column in the commit list';
        for (let seq = 1; seq <= ids.length; seq++) {
          const shown = marks().get(seq) ?? '(not drawn)';
          const word = expected(seq);
          if (word ? !shown.includes(word) : shown !== '') return `seq ${seq} shows "${shown}", commitStatus says "${word}"`;
        }
        return null;
      };
      await frame();
      const first = mismatch();
      if (first) return first;
      // The client says a status changed: the pending commit is acknowledged now.
      statuses.set(ids[2], { status: 'acknowledged', serverSeq: 4, base: 1, origin: origin(ids[2]), own: true });
      for (const fn of listeners) fn();
      await until(() => marks().get(3)?.includes('acknowledged'), 'the new mark');
      const after = mismatch();
      if (after) return after;
      h3.select(2);
      await until(() => p3.dataset.renderedSeq === '2', 'seq 2');
      const card = (cls) => p3.querySelector(`.hsd-commit dd.${cls}`)?.textContent;
      if (!card('sync')?.includes('rebased') || card('origin') !== origin(ids[1]) || !card('base')?.includes('1') || card('server-seq') !== '3') {
        return `card: sync ${card('sync')}, origin ${card('origin')}, base ${card('base')}, server seq ${card('server-seq')}`;
      }
      return true;
    } finally {
      h3.destroy();
      await synced.close();
    }
  });

  return results;
}
