/*
 * demo-e2e-page.js: the demo's end-to-end checks, run inside a page of the test server in
 * Chromium, Firefox and WebKit (pages/demo-e2e.html, driven by chromium.mjs, firefox.mjs and
 * webkit.mjs through browser-run.mjs).
 *
 * Owns: runDemoEndToEnd(hostElement) -> [{ name, ok, detail }]. It loads the demo
 * (/demo/?db=<fresh name>) in a same-origin iframe and uses it as a person would, through real
 * DOM events only: the board's form, buttons and selects; the debugger's slider (input and
 * change, as a drag gives them), keys, buttons, file input, filter, query form; a reload of the
 * frame is "reload", a second iframe on the same database is "a second tab" (same origin: one
 * IndexedDB, Web Locks and BroadcastChannel). It checks that what the page shows (the board's
 * cards and the debugger's state table, commit card and list) equals db.at(seq) at every
 * commit, and restore, undo/redo, fork, reload, the second tab, export/import, bisect, blame,
 * the storage line, the filters, play, the labels and the 390px layout.
 * Must stay true: expected values are computed from the frame's own database
 * (window.hindsightDemo.db: db.at, db.diff, db.commits) or from the actions the test took,
 * never hard-coded from a past run and never read back from the panel's own state; each wait
 * gives up after STEP_TIMEOUT_MS; the database is deleted at the end.
 */
const STEP_TIMEOUT_MS = 15_000;
const PANEL = '#debugger > .hsd-panel';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cell = (v) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const eq = (field, value) => ({ type: 'equals_', field, value, vType: 'auto_', version: '2' });

async function until(test, what) {
  const start = Date.now();
  for (;;) {
    const value = test();
    if (value) return value;
    if (Date.now() - start > STEP_TIMEOUT_MS) throw new Error(`timed out after ${STEP_TIMEOUT_MS} ms waiting for ${what}`);
    await sleep(15);
  }
}

/* One demo page in an iframe: its window, document, database and debugger panel. */
class DemoFrame {
  constructor(iframe, label) { this.iframe = iframe; this.label = label; this.errors = []; }
  get win() { return this.iframe.contentWindow; }
  get doc() { return this.iframe.contentDocument; }
  get db() { return this.win.hindsightDemo.db; }
  get handle() { return this.win.hindsightDemo.debugger; }
  $(selector) { return this.doc.querySelector(selector); }
  $$(selector) { return [...this.doc.querySelectorAll(selector)]; }
  get panel() { return this.$(PANEL); }
  /* Panel parts, not those of a nested fork panel. */
  part(selector) { return this.panel.querySelector(`:scope > ${selector}`); }

  /* Navigates (or reloads) the frame and waits until the demo says it is ready. */
  async open(url) {
    const loaded = new Promise((resolve) => this.iframe.addEventListener('load', resolve, { once: true }));
    if (url === undefined) this.win.location.reload();
    else this.iframe.src = url;
    await loaded;
    const state = await until(() => this.win.hindsightDemo && (this.win.hindsightDemo.ready || this.win.hindsightDemo.error) && this.win.hindsightDemo, `${this.label} to start`);
    if (!state.ready) throw new Error(`${this.label} failed to start: ${state.error}`);
    // errors of the frame are collected for the last check
    this.win.addEventListener('error', (e) => this.errors.push(`error: ${e.message}`));
    this.win.addEventListener('unhandledrejection', (e) => this.errors.push(`unhandled: ${e.reason?.message ?? e.reason}`));
    const consoleError = this.win.console.error.bind(this.win.console);
    this.win.console.error = (...args) => { this.errors.push(`console.error: ${args.join(' ')}`); consoleError(...args); };
  }

  event(target, type, init = {}) {
    const Ctor = type.startsWith('key') ? this.win.KeyboardEvent : this.win.Event;
    target.dispatchEvent(new Ctor(type, { bubbles: true, cancelable: true, ...init }));
  }
  click(selector) {
    const node = typeof selector === 'string' ? this.$(selector) : selector;
    if (!node) throw new Error(`${this.label}: nothing matches ${selector}`);
    node.click();
  }
  type(node, text) { node.value = text; this.event(node, 'input'); }
  choose(node, value) { node.value = value; this.event(node, 'change'); }

  /* Drags the slider to seq (input, then change when let go) and waits until the panel shows it. */
  async drag(seq) {
    const slider = this.part('.hsd-timeline .hsd-slider') ?? this.panel.querySelector('.hsd-slider');
    // A notice still queued from the step before (a commit's report, a hash change; WebKit
    // delivers them late) may move the panel back after the first drag: drag again, as a user
    // would, a few times before calling it a failure.
    for (let attempt = 1; ; attempt++) {
      slider.value = String(seq);
      this.event(slider, 'input');
      this.event(slider, 'change');
      if (attempt === 3) return this.shown(seq);
      const settled = Date.now() + 2000;
      while (Date.now() < settled && this.panel?.dataset.renderedSeq !== String(seq)) await sleep(15);
      await sleep(100);
      if (this.panel?.dataset.renderedSeq === String(seq)) return true;
    }
  }
  shown(seq) { return until(() => this.panel?.dataset.renderedSeq === String(seq), `${this.label}'s debugger to show seq ${seq} (it shows ${this.panel?.dataset.renderedSeq})`); }
  async key(key) { this.event(this.doc.body, 'keydown', { key }); }

  async addTask(whoId, title, tags = '') {
    const seq = this.db.seq;
    this.$('#who').value = whoId;
    this.type(this.$('#new-title'), title);
    this.type(this.$('#new-tags'), tags);
    this.click('#add-task');
    await until(() => this.db.seq === seq + 1 && this.cardOf(title), `${this.label}: "${title}" on the board`);
    return this.db.seq;
  }
  cardOf(title) { return this.$$('#board .task').find((n) => n.querySelector('.task-title')?.textContent === title) ?? null; }
  taskNow(title) { return this.db.toDict().collections.tasks.data.find((t) => t.title === title); }
  async act(fn, what) {
    const seq = this.db.seq;
    await fn();
    await until(() => this.db.seq === seq + 1, `${this.label}: one commit for ${what}`);
    await until(() => this.boardMatches(this.db.toDict().collections.tasks?.data ?? []) === true, `${this.label}: the board redrawn after ${what}`);
    return this.db.seq;
  }

  /* The board's cards, column by column, against a list of tasks: true or what differs. */
  boardMatches(tasks) {
    for (const column of this.$$('#board .board-column')) {
      const status = column.dataset.status;
      const cards = [...column.querySelectorAll('.task')].map((n) => `${n.dataset.id}:${n.querySelector('.task-title').textContent}`).sort();
      const want = tasks.filter((t) => t.status === status).map((t) => `${t.id}:${t.title}`).sort();
      if (!sameJson(cards, want)) return `column ${status}: board ${cards.join(' | ')}; expected ${want.join(' | ')}`;
    }
    return true;
  }

  /* What the debugger shows at seq (state table, count, commit card, slider label) against the
     database itself: true or what differs. */
  debuggerMatches(seq) {
    const { db } = this;
    const table = this.part('.hsd-table');
    const collection = this.part('.hsd-state-head .hsd-collection').value;
    if (collection === '') {   // nothing to show: the state has no collection at all
      const names = (() => { const v = db.at(seq); try { return v.rows(null).collections; } finally { v.release(); } })();
      return (names.length === 0 && table.querySelectorAll('.hsd-vt-row').length === 0) || `no collection picked at ${seq}, db.at has ${names.join(', ')}`;
    }
    const view = db.at(seq);
    let rows;
    try { rows = view.rows(collection); } finally { view.release(); }
    if (!rows.data) return `the table shows "${collection}", which does not exist at ${seq}`;
    // the rows shown: the state at seq, and the documents this commit removed, faded, where their row ids were
    const removed = seq > db.stats().oldestSeq ? db.diff(seq - 1, seq)[collection] : null;
    const expected = rows.rowIds.map((id, i) => ({ id, doc: rows.data[i], removed: false }));
    removed?.removedIds.forEach((id, k) => expected.push({ id, doc: removed.removed[k], removed: true }));
    expected.sort((a, b) => a.id - b.id);
    const columns = [...table.querySelectorAll('.hsd-vt-head span')].map((n) => n.textContent);
    const drawn = [...table.querySelectorAll('.hsd-vt-row')];
    if (rows.data.length && !drawn.length) return `no rows drawn at ${seq}`;
    for (const row of drawn) {
      const want = expected[Number(row.dataset.index)];
      if (!want) return `row ${row.dataset.index} drawn at ${seq}, but there are ${expected.length} rows`;
      if (row.dataset.json !== JSON.stringify(want.doc)) return `row ${row.dataset.index} at ${seq}: shows ${row.dataset.json}, db.at(${seq}) has ${JSON.stringify(want.doc)}`;
      const cells = [...row.querySelectorAll('span')].map((n) => n.textContent);
      const wantCells = columns.map((c) => cell(want.doc?.[c]));
      if (!sameJson(cells, wantCells)) return `row ${row.dataset.index} at ${seq}: cells ${JSON.stringify(cells)}, expected ${JSON.stringify(wantCells)}`;
      if (row.classList.contains('removed') !== want.removed) return `row ${row.dataset.index} at ${seq}: faded ${row.classList.contains('removed')}, removed here ${want.removed}`;
    }
    const count = this.part('.hsd-state-head .hsd-count').textContent;
    if (!count.startsWith(`${rows.data.length} document`)) return `count "${count}" at ${seq}, db.at has ${rows.data.length}`;
    const changed = seq > db.stats().oldestSeq ? db.diff(seq - 1, seq)[collection]?.changed ?? [] : [];
    const marked = drawn.filter((r) => r.classList.contains('changed')).map((r) => r.dataset.json);
    if (changed.length === 1 && !sameJson(marked, [JSON.stringify(changed[0].after)])) return `highlighted ${marked.join(' ')} at ${seq}, the commit changed ${JSON.stringify(changed[0].after)}`;
    const card = this.part('.hsd-commit');
    const commit = db.commits({ from: seq, to: seq })[0];
    if (commit) {
      const dd = (cls) => card.querySelector(`dd.${cls}`)?.textContent;
      if (dd('seq') !== String(seq) || dd('id') !== commit.id || dd('what') !== (commit.cause?.what ?? '—') || dd('why') !== (commit.cause?.why ?? '—')) return `commit card at ${seq}: ${dd('seq')} ${dd('id')} ${dd('what')} / ${dd('why')}`;
      if (commit.cause?.who && !dd('who').startsWith(commit.cause.who.name)) return `commit card who ${dd('who')} at ${seq}`;
    }
    const label = this.part('.hsd-timeline .hsd-slider').getAttribute('aria-valuetext') ?? '';
    if (!label.startsWith(`commit ${seq} of ${db.seq}`)) return `slider aria-valuetext "${label}" at ${seq}`;
    return true;
  }

  /* The board as the page shows it at seq: the past read-only with a banner, the present editable. */
  pastBoardMatches(seq) {
    const { db } = this;
    const view = db.at(seq);
    let tasks;
    try { tasks = view.rows('tasks').data ?? []; } finally { view.release(); }
    const board = this.boardMatches(tasks);
    if (board !== true) return `at ${seq}: ${board}`;
    const past = seq !== db.seq;
    if (this.$('#past-banner').hidden === past) return `past banner hidden=${this.$('#past-banner').hidden} at ${seq} (head ${db.seq})`;
    if (past && this.$$('#board .task .delete').length) return `the board at ${seq} still has edit buttons`;
    return true;
  }
}

export async function runDemoEndToEnd(host) {
  const results = [];
  const check = async (name, fn) => {
    try {
      const outcome = await fn();
      results.push({ name, ok: outcome === true, detail: outcome === true ? '' : String(outcome || 'returned false') });
    } catch (error) {
      results.push({ name, ok: false, detail: `${error?.name}: ${error?.message}` });
    }
  };
  const dbName = `demo-e2e-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const url = `/demo/?db=${dbName}`;
  const makeFrame = (label, style) => {
    const iframe = document.createElement('iframe');
    iframe.title = label;
    iframe.style.cssText = `position: fixed; top: 0; border: 0; background: #fff; ${style}`;
    host.append(iframe);
    return new DemoFrame(iframe, label);
  };
  const a = makeFrame('tab 1', 'left: 0; width: 62vw; height: 100vh');
  const frames = [a];
  let b = null;
  try {
    await a.open(url);
    const ALICE = 'u-alice', BOB = 'u-bob', BOT = 'planner-bot';
    const made = {};

    await check('app: adding three tasks through the form makes three commits, each signed by the person picked', async () => {
      const before = a.db.seq;
      made.notes = await a.addTask(ALICE, 'Write the release notes', 'docs, release');
      made.login = await a.addTask(BOB, 'Fix the login timeout', 'bug');
      made.plan = await a.addTask(BOT, 'Plan the next sprint', 'planning');
      const commits = a.db.commits({ from: before + 1 });
      const who = commits.map((c) => c.cause?.who?.id).join(',');
      if (who !== `${ALICE},${BOB},${BOT}`) return `signed by ${who}`;
      const tags = a.taskNow('Write the release notes').tags;
      return sameJson(tags, ['docs', 'release']) || `tags ${JSON.stringify(tags)}`;
    });
    await check('app: move, assign and delete through the card buttons each make one commit, and the board shows the result', async () => {
      a.$('#who').value = BOB;
      const notes = a.taskNow('Write the release notes');
      made.move = await a.act(() => a.click(`.task[data-id="${notes.id}"] .move-right`), 'move');
      const login = a.taskNow('Fix the login timeout');
      a.$('#who').value = ALICE;
      made.assign = await a.act(() => a.choose(a.$(`.task[data-id="${login.id}"] select.assign`), ALICE), 'assign');
      const plan = a.taskNow('Plan the next sprint');
      made.remove = await a.act(() => a.click(`.task[data-id="${plan.id}"] .delete`), 'delete');
      const tasks = a.db.toDict().collections.tasks.data;
      if (a.taskNow('Write the release notes').status !== 'doing') return 'the move did not stick';
      if (a.taskNow('Fix the login timeout').assignee !== ALICE) return 'the assign did not stick';
      if (tasks.some((t) => t.title === 'Plan the next sprint')) return 'the deleted task is still there';
      const causes = a.db.commits({ from: made.move }).map((c) => `${c.cause?.who?.id}:${c.cause?.what}`);
      return sameJson(causes, [`${BOB}:Move "Write the release notes" to doing`, `${ALICE}:Assign "Fix the login timeout" to ${ALICE}`, `${ALICE}:Delete "Plan the next sprint"`]) || `causes ${causes.join(' | ')}`;
    });
    // More history: a few dozen commits by several people (the board's own generator), a
    // nested change, and the planted commit bisect must find.
    const { fillHistory, setPriority, PEOPLE } = await import('/demo/board.js');
    fillHistory(a.db, 40);
    setPriority(a.db, PEOPLE[1], a.taskNow('Write the release notes'), 'high');
    made.nested = a.db.seq;
    fillHistory(a.db, 10);
    made.planted = await a.addTask(BOT, 'Planted needle', 'bisect');
    fillHistory(a.db, 10);
    await a.shown(a.db.seq);

    await check('debugger: at the head the slider spans the kept history and the board is editable', () => {
      const slider = a.part('.hsd-timeline .hsd-slider');
      if (Number(slider.max) !== a.db.seq || Number(slider.value) !== a.db.seq || Number(slider.min) !== a.db.stats().oldestSeq) return `slider ${slider.min}..${slider.max} @${slider.value}, db.seq ${a.db.seq}`;
      return a.pastBoardMatches(a.db.seq);
    });
    await check('scrub: dragging the slider to every commit shows the board and the state table equal to db.at(seq)', async () => {
      const head = a.db.seq;
      const order = [];
      for (let s = head - 1; s >= 0; s -= 1) order.push(s);       // back through every commit
      order.push(Math.floor(head / 2), 3, head - 2, 1, head);      // and some jumps
      for (const s of order) {
        await a.drag(s);
        const shown = a.debuggerMatches(s);
        if (shown !== true) return shown;
        await until(() => a.pastBoardMatches(s) === true || null, `the board at ${s}`).catch(() => null);
        const board = a.pastBoardMatches(s);
        if (board !== true) return board;
      }
      return true;
    });
    await check('debugger: a nested change lists only the changed JSON path (details.priority)', async () => {
      await a.drag(made.nested);
      const items = [...a.part('.hsd-diff').querySelectorAll(':scope > li.hsd-changed')];
      if (items.length !== 1) return `${items.length} changed items`;
      const paths = [...items[0].querySelectorAll('.hsd-paths > li')].map((li) => `${li.dataset.path}:${li.querySelector('.hsd-before').textContent}->${li.querySelector('.hsd-after').textContent}`);
      const { before, after } = a.db.diff(made.nested - 1, made.nested).tasks.changed[0];
      const want = `details.priority:${JSON.stringify(before.details.priority)}->${JSON.stringify(after.details.priority)}`;
      return sameJson(paths, [want]) || `paths ${JSON.stringify(paths)}, expected ${want}`;
    });
    await check('debugger: the deleted task opens from the commit that removed it, with its history ending in the delete', async () => {
      await a.drag(made.remove);
      a.click(a.part('.hsd-diff').querySelector('li.hsd-removed .hsd-open-removed'));
      const doc = a.part('.hsd-doc');
      if (doc.hidden || doc.dataset.deleted !== 'true') return 'the document view is not open on a deleted document';
      const removed = a.db.diff(made.remove - 1, made.remove).tasks.removed[0];
      if (!sameJson(JSON.parse(doc.querySelector('.hsd-doc-json').textContent), removed)) return 'the shown document differs from the removed one';
      const ops = [...doc.querySelectorAll('.hsd-doc-history li')].map((li) => `${li.dataset.op}${li.dataset.seq}`);
      return (ops[0] === `I${made.plan}` && ops.at(-1) === `D${made.remove}`) || `history ${ops.join(' ')}`;
    });
    await check('blame: a task opened from the state table names, per field, the commit, person and cause that last set it', async () => {
      await a.drag(a.db.seq);
      const notes = a.taskNow('Write the release notes');
      // the field's last change, found by reading every point (not by blame)
      const lastSet = (field, upTo) => {
        for (let s = upTo; s > 0; s--) {
          const at = (p) => { const v = a.db.at(p); try { return v.toDict().collections.tasks?.data.find((t) => t.id === notes.id); } finally { v.release(); } };
          if (JSON.stringify(at(s)?.[field]) !== JSON.stringify(at(s - 1)?.[field])) return a.db.commits({ from: s, to: s })[0];
        }
        return null;
      };
      const table = a.part('.hsd-table');
      await a.drag(made.nested);   // the task is the changed row here, so it is drawn
      const row = [...table.querySelectorAll('.hsd-vt-row')].find((r) => JSON.parse(r.dataset.json).id === notes.id);
      if (!row) return 'the task is not drawn in the state table';
      row.click();
      const doc = a.part('.hsd-doc');
      for (const field of ['status', 'title']) {
        const want = lastSet(field, made.nested);
        const tr = doc.querySelector(`.hsd-blame tr[data-path="${field}"]`);
        if (!tr) return `no blame row for ${field}`;
        const got = `${tr.dataset.seq} ${tr.querySelector('.who').textContent} ${tr.querySelector('.why').textContent}`;
        if (tr.dataset.seq !== String(want.seq) || !tr.querySelector('.who').textContent.startsWith(want.cause.who.name) || tr.querySelector('.why').textContent !== want.cause.why) return `${field}: blame says ${got}, the last change was ${want.seq} by ${want.cause.who.name} (${want.cause.why})`;
      }
      return true;
    });
    await check('bisect: the query form finds the commit that planted the needle, and the slider goes there', async () => {
      const tools = a.part('.hsd-tools');
      const query = { target: 'tasks', type: 'search', queryNode: eq('title', 'Planted needle') };
      a.type(tools.querySelector('.hsd-query-input'), JSON.stringify(query));
      a.choose(tools.querySelector('.hsd-bisect-kind'), 'nonEmpty');
      a.click(tools.querySelector('.hsd-bisect-run'));
      // the first point where the search finds it, by reading every point
      let first = null;
      for (let s = 0; s <= a.db.seq && first === null; s++) {
        const v = a.db.at(s);
        try { if (v.executeQuery({ className: 'Query', version: '7', ...query }).result.length) first = s; } finally { v.release(); }
      }
      const found = tools.querySelector('.hsd-bisect-result').dataset.seq;
      if (found !== String(first) || first !== made.planted) return `bisect found ${found}, reading every point ${first}, planted at ${made.planted}`;
      await a.shown(first);
      const steps = tools.querySelectorAll('.hsd-bisect-steps li').length;
      return steps <= Math.ceil(Math.log2(a.db.seq + 1)) + 2 || `${steps} steps for ${a.db.seq} commits`;
    });
    await check('keys: ←, →, Home and End move the timeline from anywhere in the page, and the address follows (#seq=N)', async () => {
      await a.drag(a.db.seq);
      a.doc.activeElement?.blur();
      const head = a.db.seq, seen = [];
      for (const [key, want] of [['ArrowLeft', head - 1], ['ArrowLeft', head - 2], ['ArrowRight', head - 1], ['Home', a.db.stats().oldestSeq], ['End', head]]) {
        await a.key(key);
        await a.shown(want);
        seen.push(a.win.location.hash);
      }
      return sameJson(seen, [`#seq=${head - 1}`, `#seq=${head - 2}`, `#seq=${head - 1}`, `#seq=${a.db.stats().oldestSeq}`, `#seq=${head}`]) || `hashes ${seen.join(' ')}`;
    });
    await check('keys: in the commit list ↓↓ and Enter select that commit; in the state table ↓ and Enter open that document', async () => {
      await a.drag(made.nested);
      const ROW = 26;
      const log = a.part('.hsd-log .hsd-vt-scroll');
      log.focus();
      await a.event(log, 'keydown', { key: 'ArrowDown' });
      await a.event(log, 'keydown', { key: 'ArrowDown' });
      const logIndex = Math.floor(log.scrollTop / ROW) + 1;
      const wantSeq = a.db.commits()[logIndex].seq;
      const activeRow = log.querySelector('.hsd-vt-row.hsd-active');
      if (activeRow?.dataset.index !== String(logIndex)) return `the active list row is ${activeRow?.dataset.index}, expected ${logIndex}`;
      a.event(log, 'keydown', { key: 'Enter' });
      await a.shown(wantSeq);
      await a.drag(made.nested);
      const table = a.part('.hsd-table .hsd-vt-scroll');
      table.focus();
      a.event(table, 'keydown', { key: 'ArrowDown' });
      const index = Math.floor(table.scrollTop / ROW);
      a.event(table, 'keydown', { key: 'Enter' });
      const v = a.db.at(made.nested);
      let rowId;
      try { rowId = v.rows('tasks').rowIds[index]; } finally { v.release(); }
      const doc = a.part('.hsd-doc');
      return (!doc.hidden && doc.dataset.rowId === String(rowId)) || `document view hidden=${doc.hidden} on row ${doc.dataset.rowId}, expected row ${rowId}`;
    });
    await check('filters: the commit list filtered by person, by query type and by collection shows exactly those commits', async () => {
      const filter = a.part('.hsd-log-head .hsd-filter');
      const count = a.part('.hsd-log-head .hsd-count');
      const all = a.db.commits();
      // a commit matches when the text is in its person, what, collections or query type
      const haystack = (c) => [c.cause?.who?.name, c.cause?.what, Object.keys(a.db.diff(c.seq - 1, c.seq)).join(','),
        c.query?.type, ...(c.query?.queries ?? []).map((q) => q.type)].join('\n').toLowerCase();
      for (const text of ['Bob', 'deleteOne', 'Planner']) {
        a.type(filter, text);
        const want = all.filter((c) => haystack(c).includes(text.toLowerCase())).map((c) => c.seq);
        if (!want.length) return `no commit matches "${text}": the history is too short for this check`;
        if (count.textContent !== `${want.length} of ${all.length}`) return `filter "${text}": count "${count.textContent}", expected ${want.length} of ${all.length}`;
        const drawn = [...a.part('.hsd-log').querySelectorAll('.hsd-vt-row')].map((r) => JSON.parse(r.dataset.json).seq);
        if (!drawn.length || !drawn.every((s, i) => s === want[i + Number(a.part('.hsd-log').querySelector('.hsd-vt-row').dataset.index)])) return `filter "${text}": drawn ${drawn.join(',')}, expected among ${want.join(',')}`;
      }
      a.type(filter, 'tasks');
      const inTasks = all.filter((c) => a.db.diff(c.seq - 1, c.seq).tasks).length;
      const got = count.textContent;
      a.type(filter, '');
      return got === `${inTasks} of ${all.length}` || `filter "tasks": count "${got}", expected ${inTasks} of ${all.length}`;
    });
    await check('restore: "Revert to this point" asks first, then adds one commit whose state equals that point', async () => {
      const head = a.db.seq;
      await a.drag(made.move);
      let asked = '';
      a.win.confirm = (message) => { asked = message; return true; };
      a.click(a.part('.hsd-actions .hsd-revert'));
      await a.shown(head + 1);
      const tasks = (p) => { const v = a.db.at(p); try { return JSON.stringify(v.rows('tasks').data); } finally { v.release(); } };
      if (!asked.includes(String(made.move))) return `confirm said "${asked}"`;
      if (a.db.seq !== head + 1 || tasks(a.db.seq) !== tasks(made.move)) return `seq ${a.db.seq}: state differs from ${made.move}`;
      if (a.db.commits({ from: a.db.seq })[0].cause?.what !== `Revert to seq ${made.move}`) return 'the revert has no cause';
      return await until(() => a.pastBoardMatches(a.db.seq) === true, 'the board after the revert') && true;
    });
    await check('undo and redo: each button adds a commit; undo brings back the state before the last commit, redo the one after', async () => {
      await a.addTask(ALICE, 'Undo me', '');
      const head = a.db.seq;
      const tasks = (p) => { const v = a.db.at(p); try { return JSON.stringify(v.rows('tasks').data); } finally { v.release(); } };
      a.click(a.part('.hsd-actions .hsd-undo'));
      await a.shown(head + 1);
      if (tasks(head + 1) !== tasks(head - 1)) return 'after undo the state is not the one before the last commit';
      await until(() => !a.cardOf('Undo me'), 'the undone task to leave the board');
      a.click(a.part('.hsd-actions .hsd-redo'));
      await a.shown(head + 2);
      if (tasks(head + 2) !== tasks(head)) return 'after redo the state is not the one after the commit';
      await until(() => a.cardOf('Undo me'), 'the redone task back on the board');
      const causes = a.db.commits({ from: head + 1 }).map((c) => c.cause?.what).join(',');
      return causes === 'Undo,Redo' || `causes ${causes}`;
    });
    await check('fork: "Fork at this point" shows, beside, a new database equal to db.at(seq), and the app\'s database is unchanged', async () => {
      const head = a.db.seq;
      await a.drag(made.assign);
      a.click(a.part('.hsd-actions .hsd-fork'));
      const inner = await until(() => a.part('.hsd-fork-area')?.querySelector('.hsd-panel'), 'the fork panel');
      const fork = a.handle.forked;
      const v = a.db.at(made.assign);
      let same;
      try { same = sameJson(fork.toDict().collections, v.toDict().collections); } finally { v.release(); }
      if (!same) return 'the fork differs from db.at(seq)';
      await until(() => inner.dataset.renderedSeq === String(fork.seq), 'the fork panel to show its head');
      return a.db.seq === head || `the app's database moved to ${a.db.seq}`;
    });
    await check('export and import: "Export history" gives a file that "Open a history file" opens to the same state and causes', async () => {
      const links = [];
      const anchorClick = a.win.HTMLAnchorElement.prototype.click;
      a.win.HTMLAnchorElement.prototype.click = function () { links.push({ href: this.href, name: this.download }); };
      try { a.click(a.part('.hsd-actions .hsd-export')); } finally { a.win.HTMLAnchorElement.prototype.click = anchorClick; }
      if (links.length !== 1 || !/^hindsight-history-seq\d+\.json$/.test(links[0].name)) return `download links ${JSON.stringify(links)}`;
      const text = await (await a.win.fetch(links[0].href)).text();
      const input = a.part('.hsd-actions .hsd-history-file');
      const files = new a.win.DataTransfer();
      files.items.add(new a.win.File([text], links[0].name, { type: 'application/json' }));
      input.files = files.files;
      a.event(input, 'change');
      await until(() => a.part('.hsd-head .hsd-status').textContent.startsWith(`Opened ${links[0].name}`) || a.part('.hsd-head .hsd-status').classList.contains('error'), 'the file to open');
      const opened = a.handle.forked;
      if (!opened || opened === a.db) return `status "${a.part('.hsd-head .hsd-status').textContent}"`;
      if (!sameJson(opened.toDict().collections, a.db.toDict().collections) || opened.seq !== a.db.seq) return `opened at ${opened.seq} (db ${a.db.seq}) or with another state`;
      if (!sameJson(opened.commits().map((c) => c.cause), a.db.commits().map((c) => c.cause))) return 'the causes differ';
      // a file that is not a history is an error in the panel, and the database is untouched
      const head = a.db.seq;
      const bad = new a.win.DataTransfer();
      bad.items.add(new a.win.File(['{"hello": 1}'], 'not-history.json', { type: 'application/json' }));
      input.files = bad.files;
      a.event(input, 'change');
      const status = a.part('.hsd-head .hsd-status');
      await until(() => status.classList.contains('error'), 'the bad file to be refused');
      return (/not-history\.json is not a Hindsight history file/.test(status.textContent) && a.db.seq === head) || `status "${status.textContent}", seq ${a.db.seq}`;
    });
    await check('play: Play steps forward through the commits by itself, and Pause stops it', async () => {
      await a.drag(1);
      const play = a.part('.hsd-timeline .hsd-play');
      a.click(play);
      await until(() => Number(a.panel.dataset.renderedSeq) >= 4, 'play to reach seq 4');
      a.click(play);
      const stopped = a.panel.dataset.renderedSeq;
      await sleep(400);
      if (a.handle.playing || play.textContent !== 'Play' || a.panel.dataset.renderedSeq !== stopped) return `after pause: playing ${a.handle.playing}, label ${play.textContent}, at ${stopped} then ${a.panel.dataset.renderedSeq}`;
      return a.debuggerMatches(Number(stopped));
    });
    await check('storage: the panel shows the commits and versions kept (db.stats()) and the browser\'s estimate and persistence state', async () => {
      a.handle.refreshStorage();
      const line = a.part('.hsd-storage');
      await until(() => line.textContent.includes('persist'), 'the storage line');
      const stats = a.db.stats();
      if (line.dataset.commits !== String(stats.commits) || line.dataset.versions !== String(stats.versions)) return `storage line ${line.dataset.commits} commits, ${line.dataset.versions} versions; stats ${stats.commits}, ${stats.versions}`;
      const persisted = a.win.navigator.storage?.persisted ? String(await a.win.navigator.storage.persisted()) : '';
      if (line.dataset.persisted !== persisted) return `persisted ${line.dataset.persisted}, the browser says ${persisted}`;
      const estimate = await a.db.storageEstimate();
      return (estimate ? /used/.test(line.textContent) : /no estimate/.test(line.textContent)) || `"${line.textContent}" with estimate ${JSON.stringify(estimate)}`;
    });
    await check('labels: the slider names the commit (aria-valuetext); every control of the panel and the board has an accessible name', () => {
      const unnamed = a.$$('#debugger button, #debugger input, #debugger select, #debugger textarea, #board button, #board select, #add-form input, #add-form select')
        .filter((n) => !(n.getAttribute('aria-label') || n.textContent.trim() || n.closest('label') || n.labels?.length))
        .map((n) => n.outerHTML.slice(0, 80));
      if (unnamed.length) return `no name: ${unnamed.join(' | ')}`;
      const focusable = a.part('.hsd-table .hsd-vt-scroll')?.tabIndex === 0 && a.part('.hsd-log .hsd-vt-scroll')?.tabIndex === 0;
      return focusable || 'the tables cannot be reached with the keyboard';
    });

    const saved = { seq: a.db.seq, state: JSON.stringify(a.db.toDict().collections), shown: a.panel.dataset.renderedSeq };
    await a.db.flush();
    await check('reload: after a reload the board, its history and the debugger come back from IndexedDB', async () => {
      await a.open();
      if (a.db.seq !== saved.seq) return `seq ${a.db.seq} after the reload, ${saved.seq} before`;
      if (JSON.stringify(a.db.toDict().collections) !== saved.state) return 'the state differs after the reload';
      await a.shown(saved.shown);   // the point shown before (the address keeps #seq=N)
      const slider = a.part('.hsd-timeline .hsd-slider');
      if (Number(slider.max) !== saved.seq) return `slider max ${slider.max}`;
      await a.drag(made.planted);
      return a.debuggerMatches(made.planted) === true && a.pastBoardMatches(made.planted);
    });
    await check('link: opening the demo at #seq=N shows that commit, and the board as it was', async () => {
      await a.open(`${url}&from=link#seq=${made.assign}`);   // another address: a fresh page load, not a hash change
      await a.shown(made.assign);
      const shown = a.debuggerMatches(made.assign);
      return shown === true ? a.pastBoardMatches(made.assign) : shown;
    });
    await check('second tab: a second page on the database sees everything, and the first follows its writes (board, slider, list)', async () => {
      await a.open(url);
      b = makeFrame('tab 2', 'left: 62vw; width: 38vw; height: 100vh');
      frames.push(b);
      await b.open(url);
      if (b.db.seq !== a.db.seq || JSON.stringify(b.db.toDict().collections) !== JSON.stringify(a.db.toDict().collections)) return `tab 2 opened at ${b.db.seq}, tab 1 is at ${a.db.seq}`;
      const written = await b.addTask(BOB, 'Written in tab two', 'sync');
      await b.db.flush();
      await until(() => a.cardOf('Written in tab two'), 'tab 1 to show the task written in tab 2');
      await a.shown(written);
      const slider = a.part('.hsd-timeline .hsd-slider');
      if (a.db.seq !== written || Number(slider.max) !== written) return `tab 1 at ${a.db.seq}, slider max ${slider.max}, written at ${written}`;
      const lastRow = JSON.parse([...a.part('.hsd-log').querySelectorAll('.hsd-vt-row.selected')].at(-1)?.dataset.json ?? 'null');
      return (lastRow?.seq === written && lastRow.who.startsWith('Bob')) || `the list's selected row ${JSON.stringify(lastRow)}`;
    });
    await check('layout: at 390x844 the demo (board and debugger) does not scroll sideways', async () => {
      a.iframe.style.width = '390px';
      a.iframe.style.height = '844px';
      await until(() => a.doc.documentElement.clientWidth <= 390, 'the frame to narrow');
      await sleep(100);
      const root = a.doc.documentElement;
      return root.scrollWidth <= root.clientWidth || `scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}`;
    });
    await check('no errors reached either page', () => {
      const errors = frames.flatMap((f) => f.errors.map((e) => `${f.label} ${e}`));
      const shownError = frames.map((f) => f.panel?.querySelector('.hsd-status.error')?.textContent).filter(Boolean);
      return (!errors.length && !shownError.length) || [...errors, ...shownError].join(' | ');
    });
  } finally {
    for (const f of frames) f.iframe.remove();
    await new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(dbName);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    });
    try {
      for (const d of await indexedDB.databases?.() ?? []) if (d.name?.endsWith(dbName)) indexedDB.deleteDatabase(d.name);
    } catch { /* listing databases is optional */ }
  }
  return results;
}
