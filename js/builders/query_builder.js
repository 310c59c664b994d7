/*
** query_builder.js: QueryBuilder and RawQueryBuilder, which make Query dicts
** (DeltaTraceDB protocol reference §2 and §3.1).
**
** Owns: QUERY_KEYS, the per-type option lists and build().
**
** Invariants: build() returns a fresh plain object with all 21 Query keys in
** QUERY_KEYS order, className "Query", version "7", and the PY defaults
** (returnData false, mustAffectAtLeastOne true, resetSerial false, the rest
** null). Each static method accepts only the options DeltaTraceDB's builder
** of that name accepts; any other key is an INVALID_ARGUMENT error, and the
** fields it does not accept stay at their defaults. Nodes, sorts and merge
** params given as dicts are parsed (and so validated) when the builder is
** made; documents are deep-copied at build() time, as in DeltaTraceDB.
*/
import { EnumQueryType } from './enums.js';
import { copyJsonable, isPlainObject } from './jsonable.js';
import { toQueryNode } from './nodes.js';
import { toSort } from './sorts.js';
import { Cause } from './cause.js';
import { MergeQueryParams } from './merge_query_params.js';
import {
  invalidArgument, checkOptions, isGiven, requireNonEmptyString, requireString,
  optionalString, optionalBoolean, optionalInteger, requirePlainObject,
  optionalPlainObject, requireArray,
} from './validate.js';

export const QUERY_KEYS = Object.freeze([
  'className', 'version', 'target', 'type', 'addData', 'overrideData', 'template',
  'queryNode', 'sortObj', 'offset', 'startAfter', 'endBefore', 'renameBefore',
  'renameAfter', 'limit', 'returnData', 'mustAffectAtLeastOne', 'serialKey',
  'resetSerial', 'mergeQueryParams', 'cause',
]);

/*
** The options each builder method takes, from DART's QueryBuilder named
** constructors. 'addData' is renamed 'rawAddData' for RawQueryBuilder.
*/
const PAGING = ['sortObj', 'offset', 'startAfter', 'endBefore', 'limit'];
const OPTIONS_BY_TYPE = Object.freeze({
  add: ['target', 'addData', 'returnData', 'mustAffectAtLeastOne', 'serialKey', 'cause'],
  update: ['target', 'queryNode', 'overrideData', 'returnData', 'sortObj', 'mustAffectAtLeastOne', 'cause'],
  updateOne: ['target', 'queryNode', 'overrideData', 'returnData', 'mustAffectAtLeastOne', 'cause'],
  delete: ['target', 'queryNode', 'returnData', 'sortObj', 'mustAffectAtLeastOne', 'cause'],
  deleteOne: ['target', 'queryNode', 'returnData', 'mustAffectAtLeastOne', 'cause'],
  search: ['target', 'queryNode', ...PAGING, 'cause'],
  searchOne: ['target', 'queryNode', 'cause'],
  getAll: ['target', ...PAGING, 'cause'],
  conformToTemplate: ['target', 'template', 'mustAffectAtLeastOne', 'cause'],
  renameField: ['target', 'renameBefore', 'renameAfter', 'returnData', 'mustAffectAtLeastOne', 'cause'],
  count: ['target', 'cause'],
  clear: ['target', 'mustAffectAtLeastOne', 'resetSerial', 'cause'],
  clearAdd: ['target', 'addData', 'returnData', 'mustAffectAtLeastOne', 'serialKey', 'resetSerial', 'cause'],
  removeCollection: ['target', 'mustAffectAtLeastOne', 'cause'],
  merge: ['mergeQueryParams', 'mustAffectAtLeastOne', 'cause'],
});

/* Options that DeltaTraceDB marks `required` for the types that take them. */
const REQUIRED_OPTIONS = new Set([
  'target', 'addData', 'queryNode', 'overrideData', 'template', 'renameBefore',
  'renameAfter', 'mergeQueryParams',
]);

function checkDocument(where, name, value) {
  if (isPlainObject(value)) return value;
  if (typeof value === 'object' && value !== null && typeof value.toDict === 'function') return value;
  throw invalidArgument(where, `'${name}' must be a plain object or have a toDict() method`);
}

function toCause(where, value) {
  if (!isGiven(value)) return null;
  if (value instanceof Cause) return value;
  // A cause dict is metadata the engine never reads, so it is kept as given.
  if (isPlainObject(value)) return copyJsonable(value, where, 'cause');
  throw invalidArgument(where, "'cause' must be a Cause or a Cause dict");
}

function toMergeQueryParams(where, value) {
  if (value instanceof MergeQueryParams) return value;
  if (isPlainObject(value)) return MergeQueryParams.fromDict(value);
  throw invalidArgument(where, "'mergeQueryParams' must be a MergeQueryParams or its dict");
}

export class QueryBuilder {
  /* JSON.stringify calls this, so builder objects can be nested in plain dicts. */
  toJSON() { return this.build(); }

  /* The option name that carries the documents to add. */
  static addDataOption = 'addData';

  /* Use the static methods (QueryBuilder.search({...}) etc.), not this constructor. */
  constructor(type, options) {
    const builderName = this.constructor.name;
    const where = `${builderName}.${type}`;
    if (!Object.hasOwn(OPTIONS_BY_TYPE, type)) {
      throw invalidArgument(builderName, `unknown query type '${type}'`);
    }
    const addDataOption = this.constructor.addDataOption;
    const allowed = OPTIONS_BY_TYPE[type].map((key) => (key === 'addData' ? addDataOption : key));
    const o = checkOptions(where, options, allowed);
    const accepts = (key) => OPTIONS_BY_TYPE[type].includes(key);
    for (const key of OPTIONS_BY_TYPE[type]) {
      const optionName = key === 'addData' ? addDataOption : key;
      if (REQUIRED_OPTIONS.has(key) && !isGiven(o[optionName])) {
        throw invalidArgument(where, `'${optionName}' is required`);
      }
    }

    this.type = type;
    this.addData = null;
    if (accepts('addData')) {
      this.addData = requireArray(where, addDataOption, o[addDataOption])
        .map((item, i) => checkDocument(where, `${addDataOption}[${i}]`, item));
    }
    this.mergeQueryParams = accepts('mergeQueryParams')
      ? toMergeQueryParams(where, o.mergeQueryParams) : null;
    this.target = this.mergeQueryParams !== null
      ? this.mergeQueryParams.base : requireNonEmptyString(where, 'target', o.target);
    this.overrideData = accepts('overrideData')
      ? requirePlainObject(where, 'overrideData', o.overrideData) : null;
    this.template = accepts('template') ? requirePlainObject(where, 'template', o.template) : null;
    this.queryNode = accepts('queryNode') ? toQueryNode(where, 'queryNode', o.queryNode) : null;
    this.sortObj = isGiven(o.sortObj) ? toSort(where, 'sortObj', o.sortObj) : null;
    this.offset = optionalInteger(where, 'offset', o.offset);
    this.startAfter = optionalPlainObject(where, 'startAfter', o.startAfter);
    this.endBefore = optionalPlainObject(where, 'endBefore', o.endBefore);
    this.renameBefore = accepts('renameBefore') ? requireString(where, 'renameBefore', o.renameBefore) : null;
    this.renameAfter = accepts('renameAfter') ? requireString(where, 'renameAfter', o.renameAfter) : null;
    this.limit = optionalInteger(where, 'limit', o.limit);
    this.returnData = optionalBoolean(where, 'returnData', o.returnData, false);
    this.mustAffectAtLeastOne = optionalBoolean(where, 'mustAffectAtLeastOne', o.mustAffectAtLeastOne, true);
    this.serialKey = optionalString(where, 'serialKey', o.serialKey);
    this.resetSerial = optionalBoolean(where, 'resetSerial', o.resetSerial, false);
    this.cause = toCause(where, o.cause);
  }

  static add(options) { return new this(EnumQueryType.add, options); }
  static update(options) { return new this(EnumQueryType.update, options); }
  static updateOne(options) { return new this(EnumQueryType.updateOne, options); }
  static delete(options) { return new this(EnumQueryType.delete, options); }
  static deleteOne(options) { return new this(EnumQueryType.deleteOne, options); }
  static search(options) { return new this(EnumQueryType.search, options); }
  static searchOne(options) { return new this(EnumQueryType.searchOne, options); }
  static getAll(options) { return new this(EnumQueryType.getAll, options); }
  static conformToTemplate(options) { return new this(EnumQueryType.conformToTemplate, options); }
  static renameField(options) { return new this(EnumQueryType.renameField, options); }
  static count(options) { return new this(EnumQueryType.count, options); }
  static clear(options) { return new this(EnumQueryType.clear, options); }
  static clearAdd(options) { return new this(EnumQueryType.clearAdd, options); }
  static removeCollection(options) { return new this(EnumQueryType.removeCollection, options); }
  /** options: { mergeQueryParams, mustAffectAtLeastOne, cause }; target = mergeQueryParams.base. */
  static merge(options) { return new this(EnumQueryType.merge, options); }

  /* Paging setters, as in DeltaTraceDB: any builder accepts them; null clears. */
  setOffset(offset) {
    this.offset = optionalInteger(`${this.constructor.name}.setOffset`, 'offset', offset);
    return this;
  }

  setStartAfter(startAfter) {
    this.startAfter = optionalPlainObject(`${this.constructor.name}.setStartAfter`, 'startAfter', startAfter);
    return this;
  }

  setEndBefore(endBefore) {
    this.endBefore = optionalPlainObject(`${this.constructor.name}.setEndBefore`, 'endBefore', endBefore);
    return this;
  }

  setLimit(limit) {
    this.limit = optionalInteger(`${this.constructor.name}.setLimit`, 'limit', limit);
    return this;
  }

  /** Returns the Query dict: all 21 keys, fresh data sharing nothing with the inputs. */
  build() {
    const where = `${this.constructor.name}.build`;
    const copy = (value, name) => (value === null ? null : copyJsonable(value, where, name));
    const addDataOption = this.constructor.addDataOption;
    return {
      className: 'Query',
      version: '7',
      target: this.target,
      type: this.type,
      addData: this.addData === null ? null : this.addData.map((item, i) => {
        const dict = copyJsonable(item, where, `${addDataOption}[${i}]`);
        if (!isPlainObject(dict)) {
          throw invalidArgument(where, `'${addDataOption}[${i}]' did not turn into an object`);
        }
        return dict;
      }),
      overrideData: copy(this.overrideData, 'overrideData'),
      template: copy(this.template, 'template'),
      queryNode: this.queryNode === null ? null : this.queryNode.toDict(),
      sortObj: this.sortObj === null ? null : this.sortObj.toDict(),
      offset: this.offset,
      startAfter: copy(this.startAfter, 'startAfter'),
      endBefore: copy(this.endBefore, 'endBefore'),
      renameBefore: this.renameBefore,
      renameAfter: this.renameAfter,
      limit: this.limit,
      returnData: this.returnData,
      mustAffectAtLeastOne: this.mustAffectAtLeastOne,
      serialKey: this.serialKey,
      resetSerial: this.resetSerial,
      mergeQueryParams: this.mergeQueryParams === null ? null : this.mergeQueryParams.toDict(),
      cause: this.cause instanceof Cause ? this.cause.toDict() : copy(this.cause, 'cause'),
    };
  }
}

/* The same builder, for documents that are already plain dicts (DART RawQueryBuilder). */
export class RawQueryBuilder extends QueryBuilder {
  static addDataOption = 'rawAddData';
}
