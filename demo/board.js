/*
 * board.js: the demo app: a team task board (tasks with title, status, assignee, tags and a
 * nested `details` object) whose every action is one Hindsight commit with a Cause.
 *
 * Owns: the board's queries (addTask, moveTask, assignTask, retagTask, deleteTask, fillHistory)
 * and renderBoard(host, tasks, { readOnly, actions }).
 * Must stay true: every write carries a Cause (who from the "I am" picker, what, why); the board
 * is drawn from a list of tasks only, so it can show the present or any past state read-only.
 */
import { QueryBuilder, FieldEquals, TransactionQuery } from '../index.js';

export const TASKS = 'tasks';
export const STATUSES = ['todo', 'doing', 'done'];
export const PEOPLE = [
  { type: 'human', id: 'u-alice', name: 'Alice' },
  { type: 'human', id: 'u-bob', name: 'Bob' },
  { type: 'ai', id: 'planner-bot', name: 'Planner (AI)' },
];

export function cause(who, what, why) {
  return { who, what, why, from: 'team board demo' };
}

export function addTask(db, who, { title, tags = [], assignee = who.id, status = 'todo' }) {
  return db.executeQuery(QueryBuilder.add({
    target: TASKS, serialKey: 'id', returnData: true,
    addData: [{ id: -1, title, status, assignee, tags, details: { estimate: 1, priority: 'normal' } }],
    cause: cause(who, `Add "${title}"`, 'new work came in'),
  }).build());
}

function updateTask(db, id, fields, c) {
  return db.executeQuery(QueryBuilder.updateOne({ target: TASKS, queryNode: new FieldEquals('id', id), overrideData: fields, cause: c }).build());
}

export const moveTask = (db, who, task, status) =>
  updateTask(db, task.id, { status }, cause(who, `Move "${task.title}" to ${status}`, status === 'done' ? 'finished it' : 'started on it'));
export const assignTask = (db, who, task, assignee) =>
  updateTask(db, task.id, { assignee }, cause(who, `Assign "${task.title}" to ${assignee}`, 'balancing the work'));
export const setPriority = (db, who, task, priority) =>
  updateTask(db, task.id, { details: { ...task.details, priority } }, cause(who, `Set priority of "${task.title}" to ${priority}`, 'triage'));
export const deleteTask = (db, who, task) =>
  db.executeQuery(QueryBuilder.deleteOne({ target: TASKS, queryNode: new FieldEquals('id', task.id), cause: cause(who, `Delete "${task.title}"`, 'no longer needed') }).build());

/* Archives every done task in one transaction (one commit). */
export function archiveDone(db, who, tasks) {
  const done = tasks.filter((t) => t.status === 'done');
  if (!done.length) return null;
  const c = cause(who, `Archive ${done.length} done task${done.length === 1 ? '' : 's'}`, 'weekly clean-up');
  const queries = done.map((t) => QueryBuilder.deleteOne({ target: TASKS, queryNode: new FieldEquals('id', t.id), cause: c }).build());
  return db.executeQuery({ ...new TransactionQuery({ queries }).toDict(), cause: c });
}

/* A long, realistic history: several people adding, moving, assigning, re-prioritising and deleting. */
export function fillHistory(db, commits = 2000) {
  let rnd = 12345;
  const random = (n) => { rnd = (rnd * 1103515245 + 12345) % 2147483648; return rnd % n; };
  const words = ['invoice', 'login', 'search', 'export', 'onboarding', 'billing', 'report', 'sync', 'mobile', 'docs'];
  const verbs = ['Fix', 'Design', 'Review', 'Test', 'Ship', 'Document'];
  const tags = ['bug', 'feature', 'ux', 'backend', 'urgent'];
  const start = db.seq;
  while (db.seq - start < commits) {
    const who = PEOPLE[random(PEOPLE.length)];
    const tasks = db.toDict().collections[TASKS]?.data ?? [];
    const roll = random(10);
    const task = tasks.length ? tasks[random(tasks.length)] : null;
    if (!task || roll < 3) addTask(db, who, { title: `${verbs[random(verbs.length)]} ${words[random(words.length)]} #${db.seq + 1}`, tags: [tags[random(tags.length)]], assignee: PEOPLE[random(PEOPLE.length)].id });
    else if (roll < 6) moveTask(db, who, task, STATUSES[(STATUSES.indexOf(task.status) + 1) % STATUSES.length]);
    else if (roll < 8) assignTask(db, who, task, PEOPLE[random(PEOPLE.length)].id);
    else if (roll < 9) setPriority(db, who, task, ['low', 'normal', 'high'][random(3)]);
    else deleteTask(db, who, task);
  }
  return db.seq - start;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'class') node.className = v;
    else if (k === 'on') for (const [e, fn] of Object.entries(v)) node.addEventListener(e, fn);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

/* Draws the board. actions: { move(task, status), assign(task, id), remove(task), archive() }. */
export function renderBoard(host, tasks, { readOnly = false, actions = {} } = {}) {
  const columns = STATUSES.map((status) => {
    const mine = tasks.filter((t) => t.status === status);
    return el('div', { class: 'board-column', dataset: { status } },
      el('h3', { text: `${status} (${mine.length})` }),
      ...mine.slice(0, 200).map((task) => el('article', { class: 'task', dataset: { id: String(task.id) } },
        el('div', { class: 'task-title', text: task.title }),
        el('div', { class: 'task-meta', text: `${task.assignee ?? 'nobody'} · ${(task.tags ?? []).join(', ') || 'no tags'} · ${task.details?.priority ?? ''}` }),
        readOnly ? null : el('div', { class: 'task-actions' },
          STATUSES.indexOf(status) > 0 ? el('button', { type: 'button', class: 'move-left', 'aria-label': `move ${task.title} back`, text: '←', on: { click: () => actions.move(task, STATUSES[STATUSES.indexOf(status) - 1]) } }) : null,
          STATUSES.indexOf(status) < 2 ? el('button', { type: 'button', class: 'move-right', 'aria-label': `move ${task.title} on`, text: '→', on: { click: () => actions.move(task, STATUSES[STATUSES.indexOf(status) + 1]) } }) : null,
          el('select', { class: 'assign', 'aria-label': `assignee of ${task.title}`, on: { change: (e) => actions.assign(task, e.target.value) } },
            ...PEOPLE.map((p) => { const o = el('option', { value: p.id, text: p.name }); o.selected = p.id === task.assignee; return o; })),
          el('button', { type: 'button', class: 'delete', 'aria-label': `delete ${task.title}`, text: '✕', on: { click: () => actions.remove(task) } })))),
      mine.length > 200 ? el('p', { class: 'more', text: `… and ${mine.length - 200} more` }) : null);
  });
  host.replaceChildren(...columns,
    readOnly ? null : el('button', { type: 'button', id: 'archive-done', text: 'Archive done tasks', on: { click: () => actions.archive() } }));
}
