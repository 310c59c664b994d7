/*
** temporal_trace.js: TimestampNode and TemporalTrace, the "when" of a Cause
** (DeltaTraceDB protocol reference §13).
**
** Invariants: TimestampNode.toDict() is {className "TimestampNode", version
** "1", timestamp, location, context} with context defaulting to {} (as in PY);
** TemporalTrace.toDict() is {className "TemporalTrace", version "1", nodes}.
** A Date timestamp is written with toISOString(); an ISO string is kept as is.
*/
import { copyJsonable, isPlainObject } from './jsonable.js';
import {
  invalidArgument, checkOptions, isGiven, requireString, requirePlainObject,
  requireArray, requireDateTime, dateTimeToJson,
} from './validate.js';

export class TimestampNode {
  /* JSON.stringify calls this, so builder objects can be nested in plain dicts. */
  toJSON() { return this.toDict(); }

  /** options: { timestamp: Date | ISO string, location: string, context = {} }. */
  constructor(options) {
    const where = 'new TimestampNode';
    const o = checkOptions(where, options, ['timestamp', 'location', 'context']);
    this.timestamp = requireDateTime(where, 'timestamp', o.timestamp);
    this.location = requireString(where, 'location', o.location);
    this.context = isGiven(o.context)
      ? copyJsonable(requirePlainObject(where, 'context', o.context), where, 'context') : {};
  }

  toDict() {
    return {
      className: 'TimestampNode',
      version: '1',
      timestamp: dateTimeToJson(this.timestamp),
      location: this.location,
      context: copyJsonable(this.context, 'TimestampNode', 'context'),
    };
  }

  static fromDict(dict) {
    if (!isPlainObject(dict)) throw invalidArgument('TimestampNode.fromDict', 'expected a plain object');
    return new TimestampNode({ timestamp: dict.timestamp, location: dict.location, context: dict.context });
  }
}

export class TemporalTrace {
  /* JSON.stringify calls this, so builder objects can be nested in plain dicts. */
  toJSON() { return this.toDict(); }

  /** options: { nodes: TimestampNodes (or their dicts), oldest first }. */
  constructor(options) {
    const where = 'new TemporalTrace';
    const { nodes } = checkOptions(where, options, ['nodes']);
    this.nodes = (isGiven(nodes) ? requireArray(where, 'nodes', nodes) : []).map((node, i) => {
      if (node instanceof TimestampNode) return node;
      if (isPlainObject(node)) return TimestampNode.fromDict(node);
      throw invalidArgument(where, `'nodes[${i}]' must be a TimestampNode`);
    });
  }

  toDict() {
    return {
      className: 'TemporalTrace',
      version: '1',
      nodes: this.nodes.map((node) => node.toDict()),
    };
  }

  static fromDict(dict) {
    if (!isPlainObject(dict)) throw invalidArgument('TemporalTrace.fromDict', 'expected a plain object');
    return new TemporalTrace({ nodes: dict.nodes });
  }
}
