/*
** cause.js: Cause, the audit metadata a query may carry (DeltaTraceDB
** protocol reference §13). The engine stores it with the commit and never
** interprets it.
**
** Invariants: toDict() emits className "Cause", version "1", serial,
** chainParentSerial, who, when, what, why, from, context, confidenceScore,
** in that order. confidenceScore defaults to 1.0; JavaScript writes it as 1,
** which every DeltaTraceDB reader accepts (DART >= 0.1.6 reads int or double).
*/
import { copyJsonable, isPlainObject } from './jsonable.js';
import { Actor } from './actor.js';
import { TemporalTrace } from './temporal_trace.js';
import {
  invalidArgument, checkOptions, isGiven, requireString, optionalString,
  optionalPlainObject, requireFiniteNumber,
} from './validate.js';

const CAUSE_OPTIONS = [
  'who', 'when', 'what', 'why', 'from', 'serial', 'chainParentSerial', 'context',
  'confidenceScore',
];

function toInstance(where, name, value, Class) {
  if (value instanceof Class) return value;
  if (isPlainObject(value)) return Class.fromDict(value);
  if (!isGiven(value)) throw invalidArgument(where, `'${name}' is required`);
  throw invalidArgument(where, `'${name}' must be ${Class.name === 'Actor' ? 'an' : 'a'} ${Class.name}`);
}

export class Cause {
  /* JSON.stringify calls this, so builder objects can be nested in plain dicts. */
  toJSON() { return this.toDict(); }

  /**
   * options: { who: Actor, when: TemporalTrace, what, why, from: strings,
   * serial, chainParentSerial, context, confidenceScore = 1.0 }.
   */
  constructor(options) {
    const where = 'new Cause';
    const o = checkOptions(where, options, CAUSE_OPTIONS);
    this.who = toInstance(where, 'who', o.who, Actor);
    this.when = toInstance(where, 'when', o.when, TemporalTrace);
    this.what = requireString(where, 'what', o.what);
    this.why = requireString(where, 'why', o.why);
    this.from = requireString(where, 'from', o.from);
    this.serial = optionalString(where, 'serial', o.serial);
    this.chainParentSerial = optionalString(where, 'chainParentSerial', o.chainParentSerial);
    this.context = isGiven(o.context)
      ? copyJsonable(optionalPlainObject(where, 'context', o.context), where, 'context') : null;
    this.confidenceScore = isGiven(o.confidenceScore)
      ? requireFiniteNumber(where, 'confidenceScore', o.confidenceScore) : 1.0;
  }

  toDict() {
    return {
      className: 'Cause',
      version: '1',
      serial: this.serial,
      chainParentSerial: this.chainParentSerial,
      who: this.who.toDict(),
      when: this.when.toDict(),
      what: this.what,
      why: this.why,
      from: this.from,
      context: this.context === null ? null : copyJsonable(this.context, 'Cause', 'context'),
      confidenceScore: this.confidenceScore,
    };
  }

  static fromDict(dict) {
    if (!isPlainObject(dict)) throw invalidArgument('Cause.fromDict', 'expected a plain object');
    const options = {};
    for (const key of CAUSE_OPTIONS) options[key] = dict[key];
    return new Cause(options);
  }
}
