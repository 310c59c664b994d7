/*
** merge_query_params.js: MergeQueryParams, the parameters of a merge query
** (DeltaTraceDB protocol reference §10).
**
** Invariants: toDict() emits className "MergeQueryParams", version "1", base,
** source, relationKey, sourceKeys, dslTmp, output, serialBase, serialKey, in
** that order. Only types are checked here. Semantic checks (source and
** sourceKeys of equal length, collections existing) stay with the engine,
** so it can report DeltaTraceDB's own error strings.
*/
import { copyJsonable, isPlainObject } from './jsonable.js';
import {
  invalidArgument, checkOptions, requireString, optionalString, requirePlainObject,
  requireStringArray,
} from './validate.js';

const MERGE_OPTIONS = [
  'base', 'source', 'relationKey', 'sourceKeys', 'dslTmp', 'output', 'serialBase', 'serialKey',
];

export class MergeQueryParams {
  /* JSON.stringify calls this, so builder objects can be nested in plain dicts. */
  toJSON() { return this.toDict(); }

  /**
   * options: { base, source: [names], relationKey, sourceKeys: [paths],
   * dslTmp: template object, output, serialBase = null, serialKey = null }.
   */
  constructor(options) {
    const where = 'new MergeQueryParams';
    const o = checkOptions(where, options, MERGE_OPTIONS);
    this.base = requireString(where, 'base', o.base);
    this.source = requireStringArray(where, 'source', o.source);
    this.relationKey = requireString(where, 'relationKey', o.relationKey);
    this.sourceKeys = requireStringArray(where, 'sourceKeys', o.sourceKeys);
    this.dslTmp = copyJsonable(requirePlainObject(where, 'dslTmp', o.dslTmp), where, 'dslTmp');
    this.output = requireString(where, 'output', o.output);
    this.serialBase = optionalString(where, 'serialBase', o.serialBase);
    this.serialKey = optionalString(where, 'serialKey', o.serialKey);
  }

  toDict() {
    return {
      className: 'MergeQueryParams',
      version: '1',
      base: this.base,
      source: [...this.source],
      relationKey: this.relationKey,
      sourceKeys: [...this.sourceKeys],
      dslTmp: copyJsonable(this.dslTmp, 'MergeQueryParams', 'dslTmp'),
      output: this.output,
      serialBase: this.serialBase,
      serialKey: this.serialKey,
    };
  }

  static fromDict(dict) {
    if (!isPlainObject(dict)) throw invalidArgument('MergeQueryParams.fromDict', 'expected a plain object');
    const options = {};
    for (const key of MERGE_OPTIONS) options[key] = dict[key];
    return new MergeQueryParams(options);
  }
}
