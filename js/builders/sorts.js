/*
** sorts.js: sort objects (sortObj), DeltaTraceDB protocol reference §7.
**
** Owns: AbstractSort (with fromDict dispatch on className), SingleSort and
** MultiSort.
**
** Invariants: SingleSort.toDict() is {className, version "5", field, reversed,
** vType} and MultiSort.toDict() is {className, version "1", sortOrders}, in
** that key order. On read, reversed defaults to false and vType to auto_;
** an unknown vType or className is an INVALID_ARGUMENT error (stricter than
** PY, which silently falls back to auto_).
*/
import { EnumValueType } from './enums.js';
import { isPlainObject } from './jsonable.js';
import {
  invalidArgument, checkOptions, isGiven, requireNonEmptyString, optionalBoolean,
  requireArray, requireEnumName,
} from './validate.js';

export class AbstractSort {
  /* JSON.stringify calls this, so builder objects can be nested in plain dicts. */
  toJSON() { return this.toDict(); }

  toDict() {
    throw invalidArgument(this.constructor.name, 'toDict() is not implemented');
  }

  /** Rebuilds a SingleSort or MultiSort from its dict. */
  static fromDict(dict) {
    const where = 'AbstractSort.fromDict';
    if (!isPlainObject(dict)) throw invalidArgument(where, 'a sort must be a plain object');
    if (dict.className === 'SingleSort') return SingleSort.fromDict(dict);
    if (dict.className === 'MultiSort') return MultiSort.fromDict(dict);
    throw invalidArgument(where, `Unknown sort class ${JSON.stringify(dict.className ?? null)}`);
  }
}

/* A sort given as an instance is used as is; a plain dict is parsed. */
export function toSort(where, name, value) {
  if (value instanceof AbstractSort) return value;
  if (isPlainObject(value)) return AbstractSort.fromDict(value);
  throw invalidArgument(where, `'${name}' must be a SingleSort, a MultiSort or a sort dict`);
}

export class SingleSort extends AbstractSort {
  /** field: dot path; options: { reversed = false, vType = 'auto_' }. */
  constructor(field, options) {
    super();
    const where = 'new SingleSort';
    const { reversed, vType } = checkOptions(where, options, ['reversed', 'vType']);
    this.field = requireNonEmptyString(where, 'field', field);
    this.reversed = optionalBoolean(where, 'reversed', reversed, false);
    this.vType = isGiven(vType)
      ? requireEnumName(where, 'vType', vType, EnumValueType) : EnumValueType.auto_;
  }

  toDict() {
    return {
      className: 'SingleSort', version: '5',
      field: this.field, reversed: this.reversed, vType: this.vType,
    };
  }

  static fromDict(dict) {
    return new SingleSort(dict.field, { reversed: dict.reversed, vType: dict.vType });
  }
}

export class MultiSort extends AbstractSort {
  /** sortOrders: SingleSorts (or their dicts), tried in order until one differs. */
  constructor(sortOrders) {
    super();
    const where = 'new MultiSort';
    this.sortOrders = requireArray(where, 'sortOrders', sortOrders).map((sort, i) => {
      const parsed = sort instanceof SingleSort ? sort
        : isPlainObject(sort) ? SingleSort.fromDict(sort) : null;
      if (parsed === null) throw invalidArgument(where, `'sortOrders[${i}]' must be a SingleSort`);
      return parsed;
    });
  }

  toDict() {
    return {
      className: 'MultiSort', version: '1',
      sortOrders: this.sortOrders.map((sort) => sort.toDict()),
    };
  }

  static fromDict(dict) {
    return new MultiSort(dict.sortOrders);
  }
}
