/*
** builders.test.mjs: the query builders must emit DeltaTraceDB's JSON exactly.
**
** Checks the Query envelope (21 keys, order, defaults) for every query type,
** every search node, sort, Permission/Actor/TemporalTrace/Cause and
** MergeQueryParams against the text of reference/deltatracedb-protocol.md,
** and that bad arguments throw HindsightError INVALID_ARGUMENT naming the
** field. Run: node --test tests/js/builders.test.mjs
*/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  QueryBuilder, RawQueryBuilder, TransactionQuery, QUERY_KEYS, QueryNode,
  FieldEquals, FieldNotEquals, FieldGreaterThan, FieldLessThan,
  FieldGreaterThanOrEqual, FieldLessThanOrEqual, FieldMatchesRegex, FieldContains,
  FieldIn, FieldNotIn, FieldStartsWith, FieldEndsWith, AndNode, OrNode, NotNode,
  AbstractSort, SingleSort, MultiSort, Permission, Actor, TimestampNode,
  TemporalTrace, Cause, MergeQueryParams, EnumQueryType, EnumValueType,
  EnumActorType, copyJsonable,
} from '../../js/builders/index.js';
import { HindsightError, ErrorCode } from '../../js/errors.js';

/* The reference prints its examples over several lines; JSON.stringify does not. */
const compact = (text) => text.replace(/\n\s*/g, '');

function assertInvalid(fn, fieldPattern) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof HindsightError, `expected HindsightError, got ${error}`);
    assert.equal(error.code, 'INVALID_ARGUMENT');
    assert.match(error.message, fieldPattern);
    return true;
  });
}

/*{==== errors.js ====*/

test('HindsightError carries name, code, message and cause', () => {
  const underlying = new TypeError('low level');
  const error = new HindsightError(ErrorCode.TOO_OLD, 'seq 3 is before the horizon', { cause: underlying });
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'HindsightError');
  assert.equal(error.code, 'TOO_OLD');
  assert.equal(error.message, 'seq 3 is before the horizon');
  assert.equal(error.cause, underlying);
  assert.match(String(error), /^HindsightError: seq 3/);
});

test('ErrorCode is frozen and lists the agreed codes', () => {
  assert.ok(Object.isFrozen(ErrorCode));
  for (const code of ['CLOSED', 'INVALID_ARGUMENT', 'TOO_OLD', 'QUOTA', 'WASM_LOAD', 'NOMEM', 'INTERNAL']) {
    assert.equal(ErrorCode[code], code);
  }
});

/*}====*/
/*{==== Query envelope ====*/

const SEARCH_EXAMPLE = compact(`{"className":"Query","version":"7","target":"users","type":"search","addData":null,"overrideData":null,"template":null,
 "queryNode":{"type":"and_","conditions":[
   {"type":"equals_","field":"nestedObj.a","value":"test","vType":"auto_","version":"2"},
   {"type":"not_","condition":{"type":"in_","field":"age","values":[1,2],"version":"1"},"version":"1"}],"version":"1"},
 "sortObj":{"className":"MultiSort","version":"1","sortOrders":[
   {"className":"SingleSort","version":"5","field":"age","reversed":true,"vType":"auto_"},
   {"className":"SingleSort","version":"5","field":"createdAt","reversed":false,"vType":"datetime_"}]},
 "offset":null,"startAfter":null,"endBefore":null,"renameBefore":null,"renameAfter":null,"limit":10,
 "returnData":false,"mustAffectAtLeastOne":true,"serialKey":null,"resetSerial":false,"mergeQueryParams":null,"cause":null}`);

test('search builds the reference §2 example byte for byte', () => {
  const query = QueryBuilder.search({
    target: 'users',
    queryNode: new AndNode([
      new FieldEquals('nestedObj.a', 'test'),
      new NotNode(new FieldIn('age', [1, 2])),
    ]),
    sortObj: new MultiSort([
      new SingleSort('age', { reversed: true }),
      new SingleSort('createdAt', { vType: 'datetime_' }),
    ]),
    limit: 10,
  }).build();
  assert.equal(JSON.stringify(query), SEARCH_EXAMPLE);
});

test('nodes and sorts given as dicts give the same search JSON', () => {
  const example = JSON.parse(SEARCH_EXAMPLE);
  const query = QueryBuilder.search({
    target: 'users', queryNode: example.queryNode, sortObj: example.sortObj, limit: 10,
  }).build();
  assert.equal(JSON.stringify(query), SEARCH_EXAMPLE);
});

test('QUERY_KEYS is the 21 keys of the reference in order', () => {
  assert.deepEqual(QUERY_KEYS, Object.keys(JSON.parse(SEARCH_EXAMPLE)));
  assert.equal(QUERY_KEYS.length, 21);
});

const node = new FieldEquals('id', 1);
const nodeDict = node.toDict();
const mergeParams = {
  base: 'users', source: ['orders'], relationKey: 'id', sourceKeys: ['userId'],
  dslTmp: { id: 'base.id', total: '0.total' }, output: 'joined',
};

/* For each type: the options given, and the fields expected to differ from the defaults. */
const CASES = [
  ['add', { target: 't', addData: [{ a: 1 }] }, { addData: [{ a: 1 }] }],
  ['add', { target: 't', addData: [], returnData: true, mustAffectAtLeastOne: false, serialKey: 'id' },
    { addData: [], returnData: true, mustAffectAtLeastOne: false, serialKey: 'id' }],
  ['update', { target: 't', queryNode: node, overrideData: { b: 2 } },
    { queryNode: nodeDict, overrideData: { b: 2 } }],
  ['update', { target: 't', queryNode: node, overrideData: {}, returnData: true, sortObj: new SingleSort('b') },
    { queryNode: nodeDict, overrideData: {}, returnData: true, sortObj: new SingleSort('b').toDict() }],
  ['updateOne', { target: 't', queryNode: node, overrideData: { b: 2 } },
    { queryNode: nodeDict, overrideData: { b: 2 } }],
  ['delete', { target: 't', queryNode: node, sortObj: new SingleSort('b'), returnData: true },
    { queryNode: nodeDict, sortObj: new SingleSort('b').toDict(), returnData: true }],
  ['deleteOne', { target: 't', queryNode: node }, { queryNode: nodeDict }],
  ['search', { target: 't', queryNode: node, offset: 2, startAfter: { id: 1 }, endBefore: { id: 9 }, limit: 3 },
    { queryNode: nodeDict, offset: 2, startAfter: { id: 1 }, endBefore: { id: 9 }, limit: 3 }],
  ['searchOne', { target: 't', queryNode: node }, { queryNode: nodeDict }],
  ['getAll', { target: 't' }, {}],
  ['getAll', { target: 't', sortObj: new SingleSort('a'), offset: 0, limit: 0 },
    { sortObj: new SingleSort('a').toDict(), offset: 0, limit: 0 }],
  ['conformToTemplate', { target: 't', template: { a: 0, b: 'x' } }, { template: { a: 0, b: 'x' } }],
  ['renameField', { target: 't', renameBefore: 'a', renameAfter: 'b', returnData: true },
    { renameBefore: 'a', renameAfter: 'b', returnData: true }],
  ['count', { target: 't' }, {}],
  ['clear', { target: 't', resetSerial: true, mustAffectAtLeastOne: false },
    { resetSerial: true, mustAffectAtLeastOne: false }],
  ['clearAdd', { target: 't', addData: [{ a: 1 }], serialKey: 'id', resetSerial: true },
    { addData: [{ a: 1 }], serialKey: 'id', resetSerial: true }],
  ['removeCollection', { target: 't' }, {}],
  ['merge', { mergeQueryParams: mergeParams },
    { target: 'users', mergeQueryParams: new MergeQueryParams(mergeParams).toDict() }],
];

function defaultQuery(type) {
  return {
    className: 'Query', version: '7', target: 't', type,
    addData: null, overrideData: null, template: null, queryNode: null, sortObj: null,
    offset: null, startAfter: null, endBefore: null, renameBefore: null, renameAfter: null,
    limit: null, returnData: false, mustAffectAtLeastOne: true, serialKey: null,
    resetSerial: false, mergeQueryParams: null, cause: null,
  };
}

test('every query type has the 21 keys in order, with PY defaults', () => {
  const typesSeen = new Set();
  for (const [type, options, changed] of CASES) {
    typesSeen.add(type);
    const query = QueryBuilder[type](options).build();
    assert.deepEqual(Object.keys(query), QUERY_KEYS, type);
    assert.deepEqual(query, { ...defaultQuery(type), ...changed }, type);
  }
  assert.deepEqual([...typesSeen].sort(), Object.keys(EnumQueryType).sort());
  assert.equal(Object.keys(EnumQueryType).length, 15);
});

test('each builder rejects options its DeltaTraceDB builder does not take', () => {
  assertInvalid(() => QueryBuilder.searchOne({ target: 't', queryNode: node, sortObj: new SingleSort('a') }),
    /QueryBuilder\.searchOne: unknown option 'sortObj'/);
  assertInvalid(() => QueryBuilder.updateOne({ target: 't', queryNode: node, overrideData: {}, sortObj: new SingleSort('a') }),
    /unknown option 'sortObj'/);
  assertInvalid(() => QueryBuilder.count({ target: 't', returnData: true }), /unknown option 'returnData'/);
  assertInvalid(() => QueryBuilder.search({ target: 't', query_node: node }), /unknown option 'query_node'/);
  assertInvalid(() => QueryBuilder.merge({ target: 'x', mergeQueryParams: mergeParams }), /unknown option 'target'/);
});

test('required options are enforced and named', () => {
  assertInvalid(() => QueryBuilder.count({}), /QueryBuilder\.count: 'target' is required/);
  assertInvalid(() => QueryBuilder.count(), /'target' is required/);
  assertInvalid(() => QueryBuilder.count({ target: '' }), /'target' must not be empty/);
  assertInvalid(() => QueryBuilder.count({ target: 5 }), /'target' must be a string/);
  assertInvalid(() => QueryBuilder.add({ target: 't' }), /'addData' is required/);
  assertInvalid(() => QueryBuilder.search({ target: 't' }), /'queryNode' is required/);
  assertInvalid(() => QueryBuilder.update({ target: 't', queryNode: node }), /'overrideData' is required/);
  assertInvalid(() => QueryBuilder.conformToTemplate({ target: 't' }), /'template' is required/);
  assertInvalid(() => QueryBuilder.renameField({ target: 't', renameBefore: 'a' }), /'renameAfter' is required/);
  assertInvalid(() => QueryBuilder.merge({}), /'mergeQueryParams' is required/);
  assertInvalid(() => QueryBuilder.count('users'), /one options object/);
});

test('wrong option types are rejected with the field name', () => {
  const base = { target: 't', queryNode: node };
  assertInvalid(() => QueryBuilder.search({ ...base, limit: 1.5 }), /'limit' must be an integer/);
  assertInvalid(() => QueryBuilder.search({ ...base, offset: '2' }), /'offset' must be an integer/);
  assertInvalid(() => QueryBuilder.search({ ...base, startAfter: [1] }), /'startAfter' must be a plain object/);
  assertInvalid(() => QueryBuilder.search({ ...base, sortObj: 'age' }), /'sortObj'/);
  assertInvalid(() => QueryBuilder.search({ target: 't', queryNode: 'age == 3' }), /'queryNode'/);
  assertInvalid(() => QueryBuilder.search({ target: 't', queryNode: { type: 'like_' } }), /unknown node type "like_"/);
  assertInvalid(() => QueryBuilder.add({ target: 't', addData: { a: 1 } }), /'addData' must be an array/);
  assertInvalid(() => QueryBuilder.add({ target: 't', addData: [[1]] }), /'addData\[0\]'/);
  assertInvalid(() => QueryBuilder.add({ target: 't', addData: [{}], returnData: 'yes' }), /'returnData' must be a boolean/);
  assertInvalid(() => QueryBuilder.add({ target: 't', addData: [{}], serialKey: 1 }), /'serialKey' must be a string/);
  assertInvalid(() => QueryBuilder.update({ ...base, overrideData: new Map() }), /'overrideData' must be a plain object/);
  assertInvalid(() => QueryBuilder.count({ target: 't', cause: 'because' }), /'cause'/);
});

test('null means "not given" for optional fields', () => {
  const query = QueryBuilder.search({
    target: 't', queryNode: node, sortObj: null, offset: null, limit: undefined, cause: null,
  }).build();
  assert.deepEqual(query, { ...defaultQuery('search'), queryNode: nodeDict });
});

class User {
  constructor(id, name) { this.id = id; this.name = name; }
  toDict() { return { id: this.id, name: this.name, tags: ['a'] }; }
}

test('add calls toDict() on objects and deep-copies plain ones', () => {
  const plain = { id: 2, nested: { list: [1, { x: true }] } };
  const builder = QueryBuilder.add({ target: 'users', addData: [new User(1, 'A'), plain] });
  const first = builder.build();
  assert.deepEqual(first.addData, [{ id: 1, name: 'A', tags: ['a'] }, plain]);
  plain.nested.list[1].x = false;
  assert.equal(first.addData[1].nested.list[1].x, true, 'build() output must not share the input');
  assert.equal(builder.build().addData[1].nested.list[1].x, false, 'build() reads the data at build time');
  assert.notEqual(builder.build().addData, builder.build().addData);
});

test('addData that is not JSON is rejected at build() with its path', () => {
  assertInvalid(() => QueryBuilder.add({ target: 't', addData: [{ f: () => 1 }] }).build(), /addData\[0\]\.f is a function/);
  assertInvalid(() => QueryBuilder.add({ target: 't', addData: [{ n: NaN }] }).build(), /addData\[0\]\.n is NaN/);
  assertInvalid(() => QueryBuilder.add({ target: 't', addData: [{ m: new Map() }] }).build(), /addData\[0\]\.m is a Map/);
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  assertInvalid(() => QueryBuilder.add({ target: 't', addData: [cyclic] }).build(), /nested deeper than 100/);
  assertInvalid(() => QueryBuilder.add({ target: 't', addData: [{ toDict: () => [1] }] }).build(), /did not turn into an object/);
});

test('copyJsonable keeps a literal __proto__ key and drops undefined members', () => {
  const input = JSON.parse('{"__proto__":{"polluted":1},"u":2}');
  input.gone = undefined;
  const copy = copyJsonable(input, 'test', 'input');
  assert.equal(JSON.stringify(copy), '{"__proto__":{"polluted":1},"u":2}');
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.equal({}.polluted, undefined);
  assert.equal(copyJsonable(new Date(Date.UTC(2025, 0, 2)), 'test', 'd'), '2025-01-02T00:00:00.000Z');
});

test('RawQueryBuilder takes rawAddData and emits the same JSON', () => {
  const raw = RawQueryBuilder.clearAdd({ target: 't', rawAddData: [{ a: 1 }], serialKey: 'id' }).build();
  const typed = QueryBuilder.clearAdd({ target: 't', addData: [{ a: 1 }], serialKey: 'id' }).build();
  assert.equal(JSON.stringify(raw), JSON.stringify(typed));
  assert.ok(RawQueryBuilder.add({ target: 't', rawAddData: [] }) instanceof RawQueryBuilder);
  assertInvalid(() => RawQueryBuilder.add({ target: 't', addData: [] }), /RawQueryBuilder\.add: unknown option 'addData'/);
  assertInvalid(() => RawQueryBuilder.add({ target: 't' }), /'rawAddData' is required/);
  assert.deepEqual(RawQueryBuilder.count({ target: 't' }).build(), defaultQuery('count'));
});

test('fluent paging setters return the builder and change build()', () => {
  const builder = QueryBuilder.getAll({ target: 't', limit: 5 });
  assert.equal(builder.setOffset(10), builder);
  assert.equal(builder.setStartAfter({ id: 1 }), builder);
  assert.equal(builder.setEndBefore({ id: 9 }), builder);
  assert.equal(builder.setLimit(20), builder);
  const query = builder.build();
  assert.equal(query.offset, 10);
  assert.deepEqual(query.startAfter, { id: 1 });
  assert.deepEqual(query.endBefore, { id: 9 });
  assert.equal(query.limit, 20);
  const cleared = builder.setOffset(null).setStartAfter(null).setEndBefore(null).setLimit(null).build();
  assert.deepEqual(cleared, defaultQuery('getAll'));
  assertInvalid(() => builder.setLimit('3'), /setLimit: 'limit' must be an integer/);
  assertInvalid(() => builder.setStartAfter(5), /setStartAfter: 'startAfter' must be a plain object/);
});

test('merge sets target to mergeQueryParams.base and emits §10 key order', () => {
  const params = new MergeQueryParams({ ...mergeParams, serialKey: 'sid' });
  const query = QueryBuilder.merge({ mergeQueryParams: params, mustAffectAtLeastOne: false }).build();
  assert.equal(query.target, 'users');
  assert.equal(query.type, 'merge');
  assert.equal(query.mustAffectAtLeastOne, false);
  assert.equal(JSON.stringify(query.mergeQueryParams),
    '{"className":"MergeQueryParams","version":"1","base":"users","source":["orders"],"relationKey":"id",' +
    '"sourceKeys":["userId"],"dslTmp":{"id":"base.id","total":"0.total"},"output":"joined",' +
    '"serialBase":null,"serialKey":"sid"}');
  assert.deepEqual(MergeQueryParams.fromDict(query.mergeQueryParams).toDict(), query.mergeQueryParams);
  assertInvalid(() => new MergeQueryParams({ ...mergeParams, source: 'orders' }), /'source' must be an array/);
  assertInvalid(() => new MergeQueryParams({ ...mergeParams, dslTmp: undefined }), /'dslTmp' is required/);
  assertInvalid(() => new MergeQueryParams({ ...mergeParams, sourceKeys: [1] }), /'sourceKeys\[0\]' must be a string/);
});

/*}====*/
/*{==== nodes ====*/

test('every node emits the §6 JSON exactly', () => {
  const expected = [
    [new FieldEquals('a', 1), '{"type":"equals_","field":"a","value":1,"vType":"auto_","version":"2"}'],
    [new FieldNotEquals('a', 'x', { vType: 'string_' }), '{"type":"notEquals_","field":"a","value":"x","vType":"string_","version":"2"}'],
    [new FieldGreaterThan('a', 1.5, { vType: 'floatStrict_' }), '{"type":"greaterThan_","field":"a","value":1.5,"vType":"floatStrict_","version":"2"}'],
    [new FieldLessThan('a', 3, { vType: 'int_' }), '{"type":"lessThan_","field":"a","value":3,"vType":"int_","version":"2"}'],
    [new FieldGreaterThanOrEqual('a', 0), '{"type":"greaterThanOrEqual_","field":"a","value":0,"vType":"auto_","version":"2"}'],
    [new FieldLessThanOrEqual('a', null), '{"type":"lessThanOrEqual_","field":"a","value":null,"vType":"auto_","version":"2"}'],
    [new FieldMatchesRegex('name', '^sa.*\\d$'), '{"type":"regex_","field":"name","pattern":"^sa.*\\\\d$","version":"1"}'],
    [new FieldContains('tags', 'x'), '{"type":"contains_","field":"tags","value":"x","version":"1"}'],
    [new FieldIn('age', [1, 'b', null]), '{"type":"in_","field":"age","values":[1,"b",null],"version":"1"}'],
    [new FieldNotIn('age', []), '{"type":"notIn_","field":"age","values":[],"version":"2"}'],
    [new FieldStartsWith('name', 'sam'), '{"type":"startsWith_","field":"name","value":"sam","version":"1"}'],
    [new FieldEndsWith('name', 'ple'), '{"type":"endsWith_","field":"name","value":"ple","version":"1"}'],
    [new AndNode([]), '{"type":"and_","conditions":[],"version":"1"}'],
    [new OrNode([new FieldEquals('a', true)]), '{"type":"or_","conditions":[{"type":"equals_","field":"a","value":true,"vType":"auto_","version":"2"}],"version":"1"}'],
    [new NotNode(new FieldEndsWith('b', 'z')), '{"type":"not_","condition":{"type":"endsWith_","field":"b","value":"z","version":"1"},"version":"1"}'],
  ];
  const typesSeen = new Set();
  for (const [queryNode, json] of expected) {
    assert.equal(JSON.stringify(queryNode.toDict()), json);
    assert.ok(queryNode instanceof QueryNode);
    typesSeen.add(queryNode.toDict().type);
  }
  assert.equal(typesSeen.size, 15);
});

test('a Date value forces datetime_ and serialises with toISOString()', () => {
  const when = new Date(Date.UTC(2025, 9, 11, 9, 30, 0, 123));
  for (const NodeClass of [FieldEquals, FieldNotEquals, FieldGreaterThan, FieldLessThan,
    FieldGreaterThanOrEqual, FieldLessThanOrEqual]) {
    const dict = new NodeClass('createdAt', when, { vType: 'int_' }).toDict();
    assert.equal(dict.vType, 'datetime_');
    assert.equal(dict.value, '2025-10-11T09:30:00.123Z');
  }
  when.setUTCFullYear(2000);
  assert.equal(new FieldEquals('c', new Date(Date.UTC(2025, 0, 1))).toDict().value, '2025-01-01T00:00:00.000Z');
  assertInvalid(() => new FieldEquals('c', new Date(NaN)), /invalid Date/);
});

test('node values are copied when the node is made', () => {
  const values = [1, { a: [2] }];
  const inNode = new FieldIn('x', values);
  values[1].a.push(3);
  assert.deepEqual(inNode.toDict().values, [1, { a: [2] }]);
  const dict = inNode.toDict();
  dict.values.push(9);
  assert.equal(inNode.toDict().values.length, 2);
});

test('FieldMatchesRegex takes a RegExp source and refuses flags it would lose', () => {
  assert.equal(new FieldMatchesRegex('n', /^a\/b+$/).toDict().pattern, '^a\\/b+$');
  assert.equal(new FieldMatchesRegex('n', /x/g).toDict().pattern, 'x');
  assertInvalid(() => new FieldMatchesRegex('n', /x/i), /flag\(s\) 'i'/);
  assertInvalid(() => new FieldMatchesRegex('n', '(unclosed'), /'pattern' is not a valid ECMAScript regex/);
  assertInvalid(() => new FieldMatchesRegex('n', 5), /'pattern' must be a string/);
});

test('node arguments are checked', () => {
  assertInvalid(() => new FieldEquals('', 1), /new FieldEquals: 'field' must not be empty/);
  assertInvalid(() => new FieldEquals(3, 1), /'field' must be a string/);
  assertInvalid(() => new FieldEquals('a', 1, { vType: 'float_' }), /'vType' must be one of/);
  assertInvalid(() => new FieldEquals('a', 1, { type: 'int_' }), /unknown option 'type'/);
  assertInvalid(() => new FieldEquals('a', () => 1), /value is a function/);
  assertInvalid(() => new FieldIn('a', 'abc'), /new FieldIn: 'values' must be an array/);
  assertInvalid(() => new FieldNotIn('a'), /'values' is required/);
  assertInvalid(() => new FieldStartsWith('a', 26), /'value' must be a string/);
  assertInvalid(() => new AndNode(new FieldEquals('a', 1)), /new AndNode: 'conditions' must be an array/);
  assertInvalid(() => new OrNode([{ field: 'a' }]), /unknown node type null/);
  assertInvalid(() => new OrNode([42]), /'conditions\[0\]' must be a QueryNode/);
  assertInvalid(() => new NotNode(), /new NotNode: 'condition' is required/);
});

test('QueryNode.fromDict rebuilds every node and round-trips its JSON', () => {
  const tree = new AndNode([
    new OrNode([new FieldEquals('a', 1, { vType: 'int_' }), new FieldNotEquals('b', 'x')]),
    new NotNode(new FieldGreaterThan('c', 2)),
    new FieldLessThan('d', 3), new FieldGreaterThanOrEqual('e', 4), new FieldLessThanOrEqual('f', 5),
    new FieldMatchesRegex('g', '^x'), new FieldContains('h', [1]), new FieldIn('i', [1]),
    new FieldNotIn('j', [2]), new FieldStartsWith('k', 'p'), new FieldEndsWith('l', 's'),
    new FieldEquals('m', '2025-01-01T00:00:00+00:00', { vType: 'datetime_' }),
  ]);
  const dict = tree.toDict();
  const rebuilt = QueryNode.fromDict(dict);
  assert.ok(rebuilt instanceof AndNode);
  assert.ok(rebuilt.conditions[1] instanceof NotNode);
  assert.ok(rebuilt.conditions[1].condition instanceof FieldGreaterThan);
  assert.equal(JSON.stringify(rebuilt.toDict()), JSON.stringify(dict));
});

test('QueryNode.fromDict fills read defaults and rejects unknown types', () => {
  assert.equal(JSON.stringify(QueryNode.fromDict({ type: 'equals_', field: 'a' }).toDict()),
    '{"type":"equals_","field":"a","value":null,"vType":"auto_","version":"2"}');
  assert.ok(QueryNode.fromDict({ type: 'notIn_', field: 'a', values: [] }) instanceof FieldNotIn);
  assertInvalid(() => QueryNode.fromDict({ type: 'toString' }), /QueryNode\.fromDict: unknown node type "toString"/);
  assertInvalid(() => QueryNode.fromDict({ type: 'equals' }), /unknown node type "equals"/);
  assertInvalid(() => QueryNode.fromDict(null), /plain object/);
  assertInvalid(() => QueryNode.fromDict({ type: 'in_', field: 'a' }), /'values' is required/);
});

test('EnumValueType lists the 8 vTypes and is frozen', () => {
  assert.deepEqual(Object.keys(EnumValueType), ['auto_', 'datetime_', 'int_', 'floatStrict_',
    'floatEpsilon12_', 'boolean_', 'string_', 'stringIgnoreCase_']);
  assert.ok(Object.isFrozen(EnumValueType) && Object.isFrozen(EnumQueryType));
  for (const [key, value] of Object.entries(EnumQueryType)) assert.equal(key, value);
});

/*}====*/
/*{==== sorts ====*/

test('SingleSort and MultiSort emit the §7 JSON and parse with defaults', () => {
  assert.equal(JSON.stringify(new SingleSort('a').toDict()),
    '{"className":"SingleSort","version":"5","field":"a","reversed":false,"vType":"auto_"}');
  assert.equal(JSON.stringify(new SingleSort('a', { reversed: true, vType: 'stringIgnoreCase_' }).toDict()),
    '{"className":"SingleSort","version":"5","field":"a","reversed":true,"vType":"stringIgnoreCase_"}');
  assert.equal(JSON.stringify(new MultiSort([new SingleSort('a'), { className: 'SingleSort', field: 'b' }]).toDict()),
    '{"className":"MultiSort","version":"1","sortOrders":[' +
    '{"className":"SingleSort","version":"5","field":"a","reversed":false,"vType":"auto_"},' +
    '{"className":"SingleSort","version":"5","field":"b","reversed":false,"vType":"auto_"}]}');
  const parsed = AbstractSort.fromDict({ className: 'SingleSort', field: 'x', reversed: null });
  assert.ok(parsed instanceof SingleSort);
  assert.deepEqual(parsed.toDict(), new SingleSort('x').toDict());
  assert.ok(AbstractSort.fromDict({ className: 'MultiSort', sortOrders: [] }) instanceof MultiSort);
  assertInvalid(() => AbstractSort.fromDict({ className: 'Sorter' }), /Unknown sort class "Sorter"/);
  assertInvalid(() => new SingleSort('a', { reversed: 'yes' }), /'reversed' must be a boolean/);
  assertInvalid(() => new SingleSort('a', { vType: 'date' }), /'vType' must be one of/);
  assertInvalid(() => new MultiSort([new MultiSort([])]), /'sortOrders\[0\]' must be a SingleSort/);
});

/*}====*/
/*{==== cause and friends ====*/

const CAUSE_EXAMPLE = compact(`{"className":"Cause","version":"1","serial":null,"chainParentSerial":null,
 "who":{"className":"Actor","version":"6","type":"human","id":"u1",
        "collectionPermissions":{"users":{"className":"Permission","version":"1","allows":["search"]}},
        "context":null,"name":null,"email":null,"createdAt":"2025-01-01T00:00:00+00:00","updatedAt":"2025-01-01T00:00:00+00:00",
        "lastAccess":null,"lastAccessDay":null,"operationInDay":null,"deviceIds":null},
 "when":{"className":"TemporalTrace","version":"1","nodes":[
        {"className":"TimestampNode","version":"1","timestamp":"2025-01-01T12:00:00+00:00","location":"client","context":{}}]},
 "what":"w","why":"y","from":"f","context":null,"confidenceScore":1.0}`)
  // JavaScript has one number type and writes 1.0 as 1; DeltaTraceDB readers accept both.
  .replace('"confidenceScore":1.0}', '"confidenceScore":1}');

function exampleCause() {
  return new Cause({
    who: new Actor({
      type: 'human', id: 'u1',
      collectionPermissions: { users: new Permission(['search']) },
      createdAt: '2025-01-01T00:00:00+00:00',
    }),
    when: new TemporalTrace({
      nodes: [new TimestampNode({ timestamp: '2025-01-01T12:00:00+00:00', location: 'client' })],
    }),
    what: 'w', why: 'y', from: 'f',
  });
}

test('Cause builds the reference §13 example', () => {
  assert.equal(JSON.stringify(exampleCause().toDict()), CAUSE_EXAMPLE);
});

test('Cause.fromDict round-trips the §13 example and goes into Query.cause', () => {
  const dict = JSON.parse(CAUSE_EXAMPLE);
  assert.equal(JSON.stringify(Cause.fromDict(dict).toDict()), CAUSE_EXAMPLE);
  const query = QueryBuilder.count({ target: 'users', cause: exampleCause() }).build();
  assert.equal(JSON.stringify(query.cause), CAUSE_EXAMPLE);
  const fromDictCause = QueryBuilder.count({ target: 'users', cause: dict }).build();
  assert.equal(JSON.stringify(fromDictCause.cause), CAUSE_EXAMPLE);
  assert.notEqual(fromDictCause.cause, dict);
});

test('Actor with Dates writes ISO strings and fills every optional key', () => {
  const created = new Date(Date.UTC(2025, 0, 1));
  const actor = new Actor({
    type: EnumActorType.ai, id: 'bot', context: { model: 'x' }, name: 'Bot', email: 'b@x',
    createdAt: created, updatedAt: new Date(Date.UTC(2025, 0, 2)),
    lastAccess: new Date(Date.UTC(2025, 0, 3, 6)), lastAccessDay: new Date(Date.UTC(2025, 0, 3, 5)),
    operationInDay: 4, deviceIds: ['d1'],
  });
  created.setUTCFullYear(1999);
  assert.equal(JSON.stringify(actor.toDict()),
    '{"className":"Actor","version":"6","type":"ai","id":"bot","collectionPermissions":null,' +
    '"context":{"model":"x"},"name":"Bot","email":"b@x","createdAt":"2025-01-01T00:00:00.000Z",' +
    '"updatedAt":"2025-01-02T00:00:00.000Z","lastAccess":"2025-01-03T06:00:00.000Z",' +
    '"lastAccessDay":"2025-01-03T05:00:00.000Z","operationInDay":4,"deviceIds":["d1"]}');
});

test('Actor.createdAt defaults to now, updatedAt to createdAt, and stays fixed', () => {
  const before = Date.now();
  const actor = new Actor({ type: 'system', id: 's' });
  const after = Date.now();
  const dict = actor.toDict();
  const created = Date.parse(dict.createdAt);
  assert.ok(created >= before && created <= after, dict.createdAt);
  assert.equal(dict.updatedAt, dict.createdAt);
  assert.equal(JSON.stringify(actor.toDict()), JSON.stringify(dict));
});

test('Actor, Permission, TimestampNode and Cause check their arguments', () => {
  assertInvalid(() => new Actor({ type: 'robot', id: 'x' }), /new Actor: 'type' must be one of human, ai, system/);
  assertInvalid(() => new Actor({ type: 'human' }), /'id' is required/);
  assertInvalid(() => new Actor({ type: 'human', id: 'x', createdAt: 'yesterday' }), /'createdAt' must be a Date or an ISO 8601 string/);
  assertInvalid(() => new Actor({ type: 'human', id: 'x', collectionPermissions: { u: ['search'] } }),
    /'collectionPermissions\.u' must be a Permission/);
  assertInvalid(() => new Actor({ type: 'human', id: 'x', deviceIds: 'd' }), /'deviceIds' must be an array/);
  assertInvalid(() => new Actor({ type: 'human', id: 'x', operationInDay: 1.5 }), /'operationInDay' must be an integer/);
  assertInvalid(() => new Permission(['search', 'upsert']), /new Permission: 'allows\[1\]' must be one of/);
  assertInvalid(() => new TimestampNode({ timestamp: new Date(), location: 3 }), /'location' must be a string/);
  assertInvalid(() => new TimestampNode({ location: 'x' }), /'timestamp' is required/);
  const who = new Actor({ type: 'human', id: 'u' });
  const when = new TemporalTrace({ nodes: [] });
  assertInvalid(() => new Cause({ who, when, what: 'w', why: 'y' }), /new Cause: 'from' is required/);
  assertInvalid(() => new Cause({ when, what: 'w', why: 'y', from: 'f' }), /'who' is required/);
  assertInvalid(() => new Cause({ who: 'u', when, what: 'w', why: 'y', from: 'f' }), /'who' must be an Actor/);
  assertInvalid(() => new Cause({ who, when, what: 'w', why: 'y', from: 'f', confidenceScore: '1' }),
    /'confidenceScore' must be a finite number/);
  const cause = new Cause({ who, when, what: 'w', why: 'y', from: 'f', confidenceScore: 0.5, serial: 's2', chainParentSerial: 's1', context: { k: 1 } });
  const dict = cause.toDict();
  assert.deepEqual(Object.keys(dict), ['className', 'version', 'serial', 'chainParentSerial', 'who', 'when',
    'what', 'why', 'from', 'context', 'confidenceScore']);
  assert.equal(dict.confidenceScore, 0.5);
  assert.equal(dict.serial, 's2');
  assert.deepEqual(dict.context, { k: 1 });
});

test('Permission and TemporalTrace emit their §12/§13 JSON', () => {
  assert.equal(JSON.stringify(new Permission(['add', 'search']).toDict()),
    '{"className":"Permission","version":"1","allows":["add","search"]}');
  assert.equal(JSON.stringify(Permission.fromDict({ allows: [] }).toDict()),
    '{"className":"Permission","version":"1","allows":[]}');
  const trace = new TemporalTrace({ nodes: [new TimestampNode({
    timestamp: new Date(Date.UTC(2025, 5, 1)), location: 'server', context: { hop: 1 } })] });
  assert.equal(JSON.stringify(trace.toDict()),
    '{"className":"TemporalTrace","version":"1","nodes":[{"className":"TimestampNode","version":"1",' +
    '"timestamp":"2025-06-01T00:00:00.000Z","location":"server","context":{"hop":1}}]}');
  assert.equal(JSON.stringify(TemporalTrace.fromDict(trace.toDict()).toDict()), JSON.stringify(trace.toDict()));
});

/*}====*/
/*{==== TransactionQuery ====*/

test('TransactionQuery wraps built queries in the §2.2 envelope', () => {
  const add = QueryBuilder.add({ target: 'a', addData: [{ x: 1 }] });
  const built = QueryBuilder.count({ target: 'b' }).build();
  const transaction = new TransactionQuery({ queries: [add, built] });
  const dict = transaction.toDict();
  assert.deepEqual(Object.keys(dict), ['className', 'version', 'queries']);
  assert.equal(dict.className, 'TransactionQuery');
  assert.equal(dict.version, '1');
  assert.deepEqual(dict.queries, [add.build(), built]);
  built.target = 'changed';
  add.setLimit(4);
  assert.equal(transaction.toDict().queries[1].target, 'b', 'queries are snapshotted');
  assert.equal(transaction.toDict().queries[0].limit, null);
  assert.equal(JSON.stringify(TransactionQuery.fromDict(JSON.parse(JSON.stringify(dict))).toDict()), JSON.stringify(dict));
  assertInvalid(() => new TransactionQuery({ queries: [{ target: 'x', type: 'count' }] }), /'queries\[0\]' must be a Query dict/);
  assertInvalid(() => new TransactionQuery({}), /new TransactionQuery: 'queries' is required/);
  assertInvalid(() => new TransactionQuery({ queries: [], extra: 1 }), /unknown option 'extra'/);
});

/*}====*/
