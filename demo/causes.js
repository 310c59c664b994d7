/*
 * causes.js: the people and the assistant who act in the demo, and the Cause dicts they sign.
 *
 * Owns: the demo's Actor objects (two humans, one AI, and the person using the page) and
 * causeDict(), which wraps who/what/why/from/when into a DeltaTraceDB Cause using the package's
 * own Cause, Actor, TemporalTrace and TimestampNode builders.
 *
 * Must stay true: actors have fixed createdAt dates, so a replayed simulation writes the same
 * cause JSON; a cause is metadata only, the engine never reads it.
 */
import { Actor, Cause, TemporalTrace, TimestampNode } from '../js/index.js';

const ACCOUNTS_CREATED = new Date('2025-01-06T08:00:00Z');

export const ALICE = new Actor({ type: 'human', id: 'u-alice', name: 'Alice', createdAt: ACCOUNTS_CREATED });
export const BOB = new Actor({ type: 'human', id: 'u-bob', name: 'Bob', createdAt: ACCOUNTS_CREATED });
export const PLANNER_BOT = new Actor({ type: 'ai', id: 'planner-bot', name: 'Planner (AI assistant)', createdAt: ACCOUNTS_CREATED });
export const DEMO_USER = new Actor({ type: 'human', id: 'demo-visitor', name: 'You (demo page)', createdAt: ACCOUNTS_CREATED });

/* Where each actor's writes come from, as the Cause `from` field. */
const ORIGIN = new Map([
  [ALICE, 'todo-app web client'],
  [BOB, 'todo-app mobile client'],
  [PLANNER_BOT, 'planner-bot task service'],
  [DEMO_USER, 'hindsight demo page'],
]);

/**
 * Returns a Cause dict. who: one of the actors above; what/why: short human text;
 * at: when the actor acted (a Date; defaults to now).
 */
export function causeDict(who, what, why, at = new Date()) {
  const when = new TemporalTrace({ nodes: [new TimestampNode({ timestamp: at, location: 'client' })] });
  return new Cause({ who, when, what, why, from: ORIGIN.get(who) ?? 'unknown' }).toDict();
}
