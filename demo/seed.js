/*
 * seed.js: "simulate an app": writes a small todo app's history into a database.
 *
 * Owns: the script of the simulation (TODO_APP_SCRIPT) and runTodoAppSimulation(), which runs it.
 * Two people and an AI assistant add todos (serialKey "id"), mark them done, rename, reprioritise
 * and delete them; one transaction fails on purpose and must change nothing.
 *
 * Must stay true: the script makes exactly EXPECTED_COMMITS commits (one per successful step) and
 * exactly one failed step; every write carries a Cause. Todos are referred to by script keys and
 * their ids are read back from the add results, so the script also works on a non-empty database.
 */
import { QueryBuilder, TransactionQuery, FieldEquals, AndNode } from '../js/index.js';
import { ALICE, BOB, PLANNER_BOT, causeDict } from './causes.js';

export const TODOS = 'todos';
export const USERS = 'users';
export const EXPECTED_COMMITS = 50;

/* The simulated clock: the story starts on a Monday morning and each step comes 41 minutes later. */
const STORY_START = Date.parse('2025-03-03T08:30:00Z');
const STEP_MINUTES = 41;

const OWNER_OF = new Map([[ALICE, 'alice'], [BOB, 'bob']]);

/* Step makers. Each returns { who, what, why, build(ctx) } where build returns a query dict. */
function addTodos(who, why, items) {
  const titles = items.map((i) => `"${i.title}"`).join(', ');
  return {
    who, why, what: `Add ${titles}`,
    build: (ctx) => QueryBuilder.add({
      target: TODOS, serialKey: 'id', returnData: true, cause: ctx.cause,
      addData: items.map((i) => ({
        id: -1, title: i.title, done: false, owner: i.owner ?? OWNER_OF.get(who),
        priority: 'normal', createdAt: ctx.at.toISOString(),
      })),
    }).build(),
    keys: items.map((i) => i.key),
  };
}

function byId(ctx, key) {
  if (!ctx.ids.has(key)) throw new Error(`simulation script: todo "${key}" was never added`);
  return new FieldEquals('id', ctx.ids.get(key));
}

function updateTodo(who, what, why, key, fields) {
  return {
    who, what, why,
    build: (ctx) => QueryBuilder.updateOne({
      target: TODOS, queryNode: byId(ctx, key), overrideData: fields(ctx), cause: ctx.cause,
    }).build(),
  };
}

const markDone = (who, key, title, why) =>
  updateTodo(who, `Mark "${title}" done`, why, key, (ctx) => ({ done: true, doneAt: ctx.at.toISOString() }));
const rename = (who, key, before, after, why) =>
  updateTodo(who, `Rename "${before}" to "${after}"`, why, key, () => ({ title: after }));
const setFields = (who, key, title, fields, why) =>
  updateTodo(who, `Set ${Object.keys(fields).join(', ')} of "${title}"`, why, key, () => fields);

function deleteTodo(who, key, title, why) {
  return {
    who, why, what: `Delete "${title}"`,
    build: (ctx) => QueryBuilder.deleteOne({ target: TODOS, queryNode: byId(ctx, key), cause: ctx.cause }).build(),
  };
}

/*
 * A TransactionQuery dict signed with ctx.cause. DeltaTraceDB's TransactionQuery has no cause of
 * its own, so each query carries it, and so does the transaction as a Hindsight extra key, which
 * Hindsight records as the commit's cause (DeltaTraceDB readers ignore unknown keys).
 */
function transaction(ctx, queries) {
  return { ...new TransactionQuery({ queries }).toDict(), cause: ctx.cause };
}

/* The story. Steps marked expectFailure must fail and leave the database as it was. */
export const TODO_APP_SCRIPT = [
  {
    who: ALICE, what: 'Create accounts for the household', why: 'Set up a shared todo list',
    build: (ctx) => QueryBuilder.add({
      target: USERS, serialKey: 'id', cause: ctx.cause,
      addData: [
        { id: -1, name: 'Alice', kind: 'human' }, { id: -1, name: 'Bob', kind: 'human' },
        { id: -1, name: 'Planner', kind: 'ai' },
      ],
    }).build(),
  },
  addTodos(ALICE, 'Out of milk', [{ key: 'milk', title: 'Buy oat milk' }]),
  addTodos(ALICE, 'Tooth has been aching', [{ key: 'dentist', title: 'Book dentist appointment' }]),
  addTodos(BOB, 'Passport expires in May', [{ key: 'passport', title: 'Renew passport' }]),
  addTodos(ALICE, 'Due at the end of the month', [{ key: 'report', title: 'Write quarterly report' }]),
  addTodos(BOB, 'Kitchen tap drips all night', [{ key: 'tap', title: 'Fix leaking tap' }]),
  addTodos(ALICE, 'Team asked for an offsite', [{ key: 'offsite', title: 'Plan team offsite' }]),
  addTodos(BOB, 'Her birthday was on Sunday', [{ key: 'grandma', title: 'Call grandma' }]),
  addTodos(BOB, 'Reminder letter arrived', [{ key: 'bill', title: 'Pay electricity bill' }]),
  addTodos(PLANNER_BOT, 'Broke "Plan team offsite" into smaller steps', [
    { key: 'venue', title: 'Book venue for offsite', owner: 'alice' },
    { key: 'survey', title: 'Send offsite survey', owner: 'bob' },
  ]),
  markDone(ALICE, 'milk', 'Buy oat milk', 'Bought two cartons'),
  rename(BOB, 'report', 'Write quarterly report', 'Write Q3 report', 'Be specific about the quarter'),
  addTodos(BOB, 'Colleague asked for a review', [{ key: 'pr', title: 'Review pull request #42' }]),
  markDone(ALICE, 'grandma', 'Call grandma', 'Talked for an hour'),
  setFields(PLANNER_BOT, 'dentist', 'Book dentist appointment', { priority: 'high' },
    'Appointment slots fill up two weeks ahead'),
  deleteTodo(BOB, 'tap', 'Fix leaking tap', 'The landlord\'s plumber fixed it'),
  addTodos(ALICE, 'Going away for the weekend', [{ key: 'plants', title: 'Water the plants' }]),
  markDone(ALICE, 'bill', 'Pay electricity bill', 'Paid by bank transfer'),
  {
    who: BOB, what: 'Mark "Book venue for offsite" done and add the invoice follow-up',
    why: 'The venue confirmation email arrived',
    build: (ctx) => transaction(ctx, [
      QueryBuilder.updateOne({
        target: TODOS, queryNode: byId(ctx, 'venue'), cause: ctx.cause,
        overrideData: { done: true, doneAt: ctx.at.toISOString() },
      }),
      QueryBuilder.add({
        target: TODOS, serialKey: 'id', returnData: true, cause: ctx.cause,
        addData: [{ id: -1, title: 'Collect offsite venue invoice', done: false, owner: 'bob', priority: 'normal', createdAt: ctx.at.toISOString() }],
      }),
    ]),
    keys: ['invoice'],
  },
  rename(PLANNER_BOT, 'pr', 'Review pull request #42', 'Review pull request #42 (tests first)',
    'CI is failing, so the tests need a look first'),
  addTodos(ALICE, 'Board meeting on Monday', [{ key: 'slides', title: 'Prepare slides for Monday' }]),
  markDone(BOB, 'report', 'Write Q3 report', 'Sent to the finance team'),
  addTodos(ALICE, 'Sam turns 30 next week', [{ key: 'gift', title: 'Order birthday present for Sam' }]),
  {
    who: PLANNER_BOT, what: 'Close "Renew passport" and delete its reminder',
    why: 'An email looked like the renewal was final', expectFailure: true,
    // The reminder does not exist (no todo has id -1), so the delete affects nothing,
    // the transaction fails, and the passport todo must stay open.
    build: (ctx) => transaction(ctx, [
      QueryBuilder.updateOne({
        target: TODOS, queryNode: byId(ctx, 'passport'), cause: ctx.cause,
        overrideData: { done: true, doneAt: ctx.at.toISOString() },
      }),
      QueryBuilder.deleteOne({ target: TODOS, queryNode: new FieldEquals('id', -1), cause: ctx.cause }),
    ]),
  },
  markDone(BOB, 'passport', 'Renew passport', 'Picked up the new passport'),
  setFields(PLANNER_BOT, 'slides', 'Prepare slides for Monday', { priority: 'high', due: '2025-03-10' },
    'The meeting is in three days'),
  addTodos(ALICE, 'Laptop is three years old', [{ key: 'backup', title: 'Back up laptop' }]),
  markDone(ALICE, 'plants', 'Water the plants', 'Neighbour did it'),
  addTodos(BOB, 'Trial ends on Friday', [{ key: 'gym', title: 'Cancel gym trial' }]),
  addTodos(PLANNER_BOT, 'Suggested from free slots in the calendar', [
    { key: 'blog', title: 'Draft blog post on time travel', owner: 'alice' },
    { key: 'fridge', title: 'Clean the fridge', owner: 'bob' },
  ]),
  markDone(BOB, 'gym', 'Cancel gym trial', 'Cancelled online'),
  rename(ALICE, 'gift', 'Order birthday present for Sam', 'Order birthday present for Sam (a book)',
    'Decided on a book'),
  deleteTodo(BOB, 'fridge', 'Clean the fridge', 'Not this week, and the AI should not decide chores'),
  markDone(BOB, 'survey', 'Send offsite survey', 'Sent to the whole team'),
  addTodos(ALICE, 'Rent increase letter', [{ key: 'landlord', title: 'Reply to landlord' }]),
  {
    who: PLANNER_BOT, what: 'Flag every open todo of Alice as reminded', why: 'Daily digest at 6 pm',
    build: (ctx) => QueryBuilder.update({
      target: TODOS, cause: ctx.cause,
      queryNode: new AndNode([new FieldEquals('owner', 'alice'), new FieldEquals('done', false)]),
      overrideData: { reminded: true },
    }).build(),
  },
  markDone(ALICE, 'landlord', 'Reply to landlord', 'Agreed on a smaller increase'),
  markDone(BOB, 'pr', 'Review pull request #42 (tests first)', 'Approved after the test fix'),
  addTodos(ALICE, 'A recruiter called', [{ key: 'cv', title: 'Update CV' }]),
  markDone(ALICE, 'slides', 'Prepare slides for Monday', 'Rehearsed twice'),
  rename(PLANNER_BOT, 'blog', 'Draft blog post on time travel', 'Draft blog post: debugging with time travel',
    'A more concrete title gets more readers'),
  markDone(BOB, 'invoice', 'Collect offsite venue invoice', 'Forwarded to accounting'),
  markDone(ALICE, 'dentist', 'Book dentist appointment', 'Booked for Thursday'),
  {
    who: PLANNER_BOT, what: 'Archive (delete) every completed todo', why: 'Keep the list short; the history keeps them',
    build: (ctx) => QueryBuilder.delete({ target: TODOS, queryNode: new FieldEquals('done', true), cause: ctx.cause }).build(),
  },
  addTodos(BOB, 'Hallway light went out', [{ key: 'bulbs', title: 'Buy light bulbs' }]),
  markDone(ALICE, 'gift', 'Order birthday present for Sam (a book)', 'Ordered, arrives Wednesday'),
  rename(BOB, 'bulbs', 'Buy light bulbs', 'Buy LED light bulbs', 'They last longer'),
  addTodos(ALICE, 'Deadline is mid-April', [{ key: 'taxes', title: 'File tax return' }]),
  setFields(PLANNER_BOT, 'taxes', 'File tax return', { priority: 'high', due: '2025-04-15' },
    'Penalties start the day after the deadline'),
  markDone(BOB, 'bulbs', 'Buy LED light bulbs', 'Bought a pack of six'),
  markDone(ALICE, 'backup', 'Back up laptop', 'Backed up to the external disk'),
];

/* The ids an add assigned, in order: from the result documents (returnData) of a Query or a transaction. */
function addedIds(result) {
  const results = result.className === 'TransactionQueryResult' ? result.results : [result];
  return results.filter((r) => r.type === 'add').flatMap((r) => r.result.map((doc) => doc.id));
}

/**
 * Runs the script against db. onStep(index, step, result, query) is called after each step.
 * Returns { committed, failedAsExpected: [what], unexpected: [{ what, errorMessage }] }: a step that
 * fails when it should not (or succeeds when it should fail) is listed in unexpected, and the run goes on.
 */
export function runTodoAppSimulation(db, onStep = () => {}) {
  const ids = new Map();
  const summary = { committed: 0, failedAsExpected: [], unexpected: [] };
  TODO_APP_SCRIPT.forEach((step, index) => {
    const at = new Date(STORY_START + index * STEP_MINUTES * 60_000);
    const ctx = { ids, at, cause: causeDict(step.who, step.what, step.why, at) };
    let query = null;
    let result;
    try {
      query = step.build(ctx);
      result = db.executeQuery(query);
    } catch (error) {
      result = { isSuccess: false, errorMessage: `threw ${error?.name}: ${error?.message}` };
    }
    if (result.isSuccess) {
      summary.committed++;
      if (step.keys) addedIds(result).forEach((id, i) => ids.set(step.keys[i], id));
    }
    if (result.isSuccess === !step.expectFailure) {
      if (step.expectFailure) summary.failedAsExpected.push(step.what);
    } else {
      summary.unexpected.push({ what: step.what, errorMessage: result.errorMessage ?? 'succeeded but should have failed' });
    }
    onStep(index, step, result, query);
  });
  return summary;
}
