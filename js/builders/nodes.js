/*
** nodes.js: search nodes (queryNode), DeltaTraceDB protocol reference §6.
**
** Owns: QueryNode and its 15 subclasses, their toDict() JSON and
** QueryNode.fromDict(). Constructors take fields positionally as in Dart,
** with an options object last.
**
** Invariants: toDict() emits exactly the keys of §6 in that order, with no
** className, and `version` as a string ("2" for the equals family and for
** notIn_, "1" otherwise). Arguments are checked when a node is made, so a bad
** node fails where it is written, not later inside the engine. Children given
** as plain dicts are parsed into nodes at once; every toDict() returns fresh
** data that shares nothing with the node or with the caller's values.
*/
import { EnumValueType, EnumNodeType, isEnumName } from './enums.js';
import { copyJsonable, isPlainObject } from './jsonable.js';
import {
  invalidArgument, checkOptions, isGiven, requireNonEmptyString, requireString,
  requireArray, requireEnumName,
} from './validate.js';

export class QueryNode {
  /* JSON.stringify calls this, so builder objects can be nested in plain dicts. */
  toJSON() { return this.toDict(); }

  /** Returns the node's JSON dict. Every subclass overrides this. */
  toDict() {
    throw invalidArgument(this.constructor.name, 'toDict() is not implemented');
  }

  /**
   * Rebuilds a node (and its children) from its JSON dict, dispatching on
   * `type`. `version` is not checked, as in DeltaTraceDB.
   */
  static fromDict(dict) {
    const where = 'QueryNode.fromDict';
    if (!isPlainObject(dict)) throw invalidArgument(where, 'a node must be a plain object');
    const NodeClass = isEnumName(EnumNodeType, dict.type) ? nodeClassByType[dict.type] : undefined;
    if (NodeClass === undefined) {
      throw invalidArgument(where, `unknown node type ${JSON.stringify(dict.type ?? null)}`);
    }
    return NodeClass.fromDict(dict);
  }
}

/* A node given as an instance is used as is; a plain dict is parsed. */
export function toQueryNode(where, name, value) {
  if (value instanceof QueryNode) return value;
  if (isPlainObject(value)) return QueryNode.fromDict(value);
  throw invalidArgument(where, `'${name}' must be a QueryNode or a node dict`);
}

/*{==== comparison nodes with a vType: equals_ ... lessThanOrEqual_ ====*/

class ValueTypedNode extends QueryNode {
  /**
   * field: dot path; value: any JSON value or a Date; options.vType: an
   * EnumValueType name (default auto_). A Date value forces datetime_, as
   * DeltaTraceDB's constructors do.
   */
  constructor(field, value, options) {
    super();
    const where = `new ${new.target.name}`;
    const { vType } = checkOptions(where, options, ['vType']);
    this.field = requireNonEmptyString(where, 'field', field);
    this.vType = isGiven(vType)
      ? requireEnumName(where, 'vType', vType, EnumValueType) : EnumValueType.auto_;
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw invalidArgument(where, "'value' is an invalid Date");
      this.value = new Date(value.getTime());
      this.vType = EnumValueType.datetime_;
    } else {
      this.value = copyJsonable(value === undefined ? null : value, where, 'value');
    }
  }

  toDict() {
    return {
      type: this.constructor.nodeType,
      field: this.field,
      value: this.value instanceof Date ? this.value.toISOString() : copyJsonable(this.value, this.constructor.name, 'value'),
      vType: this.vType,
      version: '2',
    };
  }

  static fromDict(dict) {
    // A datetime_ string stays a string: re-emitting it unchanged is what keeps logs exact.
    return new this(dict.field, dict.value ?? null, { vType: dict.vType ?? EnumValueType.auto_ });
  }
}

export class FieldEquals extends ValueTypedNode { static nodeType = EnumNodeType.equals_; }
export class FieldNotEquals extends ValueTypedNode { static nodeType = EnumNodeType.notEquals_; }
export class FieldGreaterThan extends ValueTypedNode { static nodeType = EnumNodeType.greaterThan_; }
export class FieldLessThan extends ValueTypedNode { static nodeType = EnumNodeType.lessThan_; }
export class FieldGreaterThanOrEqual extends ValueTypedNode {
  static nodeType = EnumNodeType.greaterThanOrEqual_;
}
export class FieldLessThanOrEqual extends ValueTypedNode {
  static nodeType = EnumNodeType.lessThanOrEqual_;
}

/*}====*/

/*{==== other field nodes ====*/

/* Flags that would change what the pattern matches cannot be sent: the wire has only the source. */
const HARMLESS_REGEX_FLAGS = new Set(['g', 'd']);

export class FieldMatchesRegex extends QueryNode {
  /** pattern: ECMAScript source text, or a RegExp without i/m/s/u/v/y flags. */
  constructor(field, pattern) {
    super();
    const where = 'new FieldMatchesRegex';
    this.field = requireNonEmptyString(where, 'field', field);
    if (pattern instanceof RegExp) {
      const lost = [...pattern.flags].filter((flag) => !HARMLESS_REGEX_FLAGS.has(flag));
      if (lost.length > 0) {
        throw invalidArgument(where,
          `RegExp flag(s) '${lost.join('')}' cannot be expressed in the query; ` +
          'the pattern is sent as source text only');
      }
      this.pattern = pattern.source;
    } else {
      this.pattern = requireString(where, 'pattern', pattern);
      try {
        new RegExp(this.pattern);
      } catch (error) {
        throw invalidArgument(where, `'pattern' is not a valid ECMAScript regex: ${error.message}`);
      }
    }
  }

  toDict() {
    return { type: EnumNodeType.regex_, field: this.field, pattern: this.pattern, version: '1' };
  }

  static fromDict(dict) {
    return new FieldMatchesRegex(dict.field, dict.pattern);
  }
}

export class FieldContains extends QueryNode {
  /** value: a JSON value; matches a list member or a substring of a string field. */
  constructor(field, value) {
    super();
    const where = 'new FieldContains';
    this.field = requireNonEmptyString(where, 'field', field);
    this.value = copyJsonable(value === undefined ? null : value, where, 'value');
  }

  toDict() {
    return {
      type: EnumNodeType.contains_, field: this.field,
      value: copyJsonable(this.value, 'FieldContains', 'value'), version: '1',
    };
  }

  static fromDict(dict) {
    return new FieldContains(dict.field, dict.value ?? null);
  }
}

class ValueListNode extends QueryNode {
  constructor(field, values) {
    super();
    const where = `new ${new.target.name}`;
    this.field = requireNonEmptyString(where, 'field', field);
    this.values = copyJsonable(requireArray(where, 'values', values), where, 'values');
  }

  toDict() {
    return {
      type: this.constructor.nodeType, field: this.field,
      values: copyJsonable(this.values, this.constructor.name, 'values'),
      version: this.constructor.nodeVersion,
    };
  }

  static fromDict(dict) {
    return new this(dict.field, dict.values);
  }
}

export class FieldIn extends ValueListNode {
  static nodeType = EnumNodeType.in_;
  static nodeVersion = '1';
}
export class FieldNotIn extends ValueListNode {
  static nodeType = EnumNodeType.notIn_;
  static nodeVersion = '2';
}

class AffixNode extends QueryNode {
  constructor(field, value) {
    super();
    const where = `new ${new.target.name}`;
    this.field = requireNonEmptyString(where, 'field', field);
    this.value = requireString(where, 'value', value);
  }

  toDict() {
    return { type: this.constructor.nodeType, field: this.field, value: this.value, version: '1' };
  }

  static fromDict(dict) {
    return new this(dict.field, dict.value);
  }
}

export class FieldStartsWith extends AffixNode { static nodeType = EnumNodeType.startsWith_; }
export class FieldEndsWith extends AffixNode { static nodeType = EnumNodeType.endsWith_; }

/*}====*/

/*{==== logical nodes ====*/

class ConditionListNode extends QueryNode {
  /** conditions: an array of QueryNodes or node dicts (empty: and_ is true, or_ false). */
  constructor(conditions) {
    super();
    const where = `new ${new.target.name}`;
    this.conditions = requireArray(where, 'conditions', conditions)
      .map((node, i) => toQueryNode(where, `conditions[${i}]`, node));
  }

  toDict() {
    return {
      type: this.constructor.nodeType,
      conditions: this.conditions.map((node) => node.toDict()),
      version: '1',
    };
  }

  static fromDict(dict) {
    return new this(dict.conditions);
  }
}

export class AndNode extends ConditionListNode { static nodeType = EnumNodeType.and_; }
export class OrNode extends ConditionListNode { static nodeType = EnumNodeType.or_; }

export class NotNode extends QueryNode {
  constructor(condition) {
    super();
    const where = 'new NotNode';
    if (!isGiven(condition)) throw invalidArgument(where, "'condition' is required");
    this.condition = toQueryNode(where, 'condition', condition);
  }

  toDict() {
    return { type: EnumNodeType.not_, condition: this.condition.toDict(), version: '1' };
  }

  static fromDict(dict) {
    return new NotNode(dict.condition);
  }
}

/*}====*/

const nodeClassByType = Object.freeze({
  and_: AndNode, or_: OrNode, not_: NotNode,
  equals_: FieldEquals, notEquals_: FieldNotEquals,
  greaterThan_: FieldGreaterThan, lessThan_: FieldLessThan,
  greaterThanOrEqual_: FieldGreaterThanOrEqual, lessThanOrEqual_: FieldLessThanOrEqual,
  regex_: FieldMatchesRegex, contains_: FieldContains, in_: FieldIn, notIn_: FieldNotIn,
  startsWith_: FieldStartsWith, endsWith_: FieldEndsWith,
});
