/*
 * query-engine.mjs: a plain JavaScript reference implementation of Hindsight's query semantics,
 * written only for the differential test (tests/js/differential.test.mjs). It is deliberately
 * simple (linear scans, whole-state copies, no indexes, no history) so that it is easy to check
 * by reading against the specification: /work/shared/reference/deltatracedb-protocol.md (the
 * DeltaTraceDB Query protocol, Python behaviour) with the four deliberate differences of
 * ARCHITECTURE.md §2 / README "Differences from DeltaTraceDB", and the rules written at the top of
 * each tests/conformance/*.test file.
 *
 * Owns: ReferenceDb (executeQuery, toDict) for the subset of the protocol the differential
 * generator produces: add, update, updateOne, delete, deleteOne, search, searchOne, getAll,
 * count, clear, clearAdd, removeCollection, conformToTemplate, renameField, TransactionQuery and
 * collectionPermissions; nodes and/or/not, equals/notEquals, the four orderings (vType auto_,
 * int_, floatStrict_, string_), in/notIn, contains, startsWith/endsWith, regex; SingleSort and
 * MultiSort (auto_); offset/startAfter/endBefore/limit. merge, datetime_ and the other vTypes are
 * not modelled. Must stay true: shares no code with js/ or c/; a query that fails leaves the
 * state exactly as it was and creates no collection; reads never create a collection.
 */

const WRITE_TYPES = new Set(['add', 'update', 'updateOne', 'delete', 'deleteOne', 'conformToTemplate', 'renameField',
  'clear', 'clearAdd', 'removeCollection', 'merge']);

/* The types whose empty writes the engine was seen to create a missing collection for (variant only). */
const EMPTY_WRITES_THAT_CREATE = new Set(['add', 'clear', 'clearAdd', 'conformToTemplate', 'renameField']);

const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
const kind = (v) => (v === null || v === undefined ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'map' : typeof v);

/* Equality, Hindsight §2: numbers by value, kinds never equal across, null == missing, lists and
   maps deeply (map key order ignored). */
export function equal(a, b) {
  const ka = kind(a), kb = kind(b);
  if (ka !== kb) return false;
  if (ka === 'null') return true;
  if (ka === 'list') return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (ka === 'map') {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
  }
  return a === b;
}

/* Python's str() of a JSON value, as far as the generator uses it. */
function pyStr(v) {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === 'string') return v;
  return null;   // lists and maps: not generated
}

/* Dot path over maps only (§1). */
function fieldValue(doc, path) {
  let v = doc;
  for (const key of path.split('.')) {
    if (kind(v) !== 'map' || !Object.hasOwn(v, key)) return null;
    v = v[key];
  }
  return v ?? null;
}

const cmpCodePoints = (a, b) => {
  const x = [...a].map((c) => c.codePointAt(0)), y = [...b].map((c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length - y.length < 0 ? -1 : x.length === y.length ? 0 : 1;
};

/* A vType conversion; undefined means "cannot convert" (the comparison is then false).
   options.floatReadsBool models a known engine deviation (issue 10): float(true) = 1. */
function convert(v, vType, options = {}) {
  switch (vType ?? 'auto_') {
    case 'auto_': return v;
    case 'int_': {
      const s = typeof v === 'number' && !Number.isInteger(v) ? pyStr(v) : pyStr(v);
      if (s === null || !/^\s*[+-]?\d+\s*$/.test(s)) return undefined;
      return Number.parseInt(s, 10);
    }
    case 'floatStrict_': {
      if (options.floatReadsBool && typeof v === 'boolean') return Number(v);
      const s = pyStr(v);
      if (s === null || !/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(s)) return undefined;
      return Number.parseFloat(s);
    }
    case 'string_': return pyStr(v) ?? undefined;
    default: throw new Error(`reference: vType ${vType} is not modelled`);
  }
}

/* -1, 0, 1 for two non-null values of one comparable kind, else null (not comparable). */
function order(a, b) {
  const ka = kind(a), kb = kind(b);
  if (ka !== kb) return null;
  if (ka === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (ka === 'string') return cmpCodePoints(a, b);
  if (ka === 'boolean') return Number(a) - Number(b);
  return null;
}

function compareNode(node, doc, options) {
  const raw = fieldValue(doc, node.field);
  const rawV = node.value ?? null;
  const vType = node.vType ?? 'auto_';
  const ordering = node.type !== 'equals_' && node.type !== 'notEquals_';
  if (ordering && (raw === null || rawV === null)) return false;
  let f = raw, v = rawV;
  if (vType !== 'auto_') {
    f = convert(raw, vType, options);
    v = convert(rawV, vType, options);
    if (f === undefined || v === undefined) return false;
  }
  if (node.type === 'equals_') return equal(f, v);
  if (node.type === 'notEquals_') return !equal(f, v);
  const o = order(f, v);
  if (o === null) return false;
  switch (node.type) {
    case 'greaterThan_': return o > 0;
    case 'lessThan_': return o < 0;
    case 'greaterThanOrEqual_': return o >= 0;
    case 'lessThanOrEqual_': return o <= 0;
  }
  throw new Error(`reference: node ${node.type}`);
}

export function matches(node, doc, options = {}) {
  switch (node.type) {
    case 'and_': return node.conditions.every((c) => matches(c, doc, options));
    case 'or_': return node.conditions.some((c) => matches(c, doc, options));
    case 'not_': return !matches(node.condition, doc, options);
    case 'equals_': case 'notEquals_': case 'greaterThan_': case 'lessThan_':
    case 'greaterThanOrEqual_': case 'lessThanOrEqual_':
      return compareNode(node, doc, options);
    case 'in_': return node.values.some((x) => equal(fieldValue(doc, node.field), x));
    case 'notIn_': return !node.values.some((x) => equal(fieldValue(doc, node.field), x));
    case 'contains_': {
      const f = fieldValue(doc, node.field);
      if (Array.isArray(f)) return f.some((x) => equal(x, node.value));
      if (typeof f === 'string' && typeof node.value === 'string') return f.includes(node.value);
      return false;
    }
    case 'startsWith_': case 'endsWith_': {
      const f = fieldValue(doc, node.field);
      if (f === null) return false;
      const s = pyStr(f);
      return node.type === 'startsWith_' ? s.startsWith(node.value) : s.endsWith(node.value);
    }
    case 'regex_': {
      const f = fieldValue(doc, node.field);
      if (f === null) return false;
      return new RegExp(node.pattern, 'u').test(pyStr(f));
    }
  }
  throw new Error(`reference: node ${node.type} is not modelled`);
}

/* A stable sort; throws SortError when two values it must compare are of different kinds. */
class SortError extends Error {}
function sortDocs(docs, sortObj) {
  if (!sortObj) return docs;
  const keys = sortObj.className === 'MultiSort' ? sortObj.sortOrders : [sortObj];
  // Hindsight checks the sort keys of every document up front (tests/conformance/sort.test).
  for (const k of keys) {
    const kinds = new Set(docs.map((d) => kind(fieldValue(d, k.field))).filter((x) => x !== 'null'));
    if (kinds.has('list') || kinds.has('map') || kinds.size > 1) throw new SortError(`mixed kinds on ${k.field}`);
  }
  const one = (a, b, k) => {
    const x = fieldValue(a, k.field), y = fieldValue(b, k.field);
    let c;
    if (x === null && y === null) c = 0;
    else if (x === null) c = 1;        // nulls last ascending (first descending, once reversed)
    else if (y === null) c = -1;
    else c = order(x, y);
    return k.reversed ? -c : c;
  };
  return docs.map((d, i) => [d, i]).sort(([a, i], [b, j]) => {
    for (const k of keys) {
      const c = one(a, b, k);
      if (c) return c;
    }
    return i - j;
  }).map(([d]) => d);
}

/* Position then limit (§8, with Hindsight's decisions in tests/conformance/paging.test). */
function page(docs, q) {
  let r = docs;
  const offset = q.offset ?? null, startAfter = q.startAfter ?? null, endBefore = q.endBefore ?? null;
  if (offset !== null) {
    if (offset > 0) r = r.slice(offset);
  } else if (startAfter !== null) {
    const i = r.findIndex((d) => equal(d, startAfter));
    if (i >= 0) r = r.slice(i + 1);
  } else if (endBefore !== null) {
    const i = r.findIndex((d) => equal(d, endBefore));
    if (i >= 0) r = r.slice(0, i);
  }
  const limit = q.limit ?? null;
  if (limit !== null) {
    if (offset === null && startAfter === null && endBefore !== null) r = limit === 0 ? [] : r.slice(-limit);
    else r = r.slice(0, limit);
  }
  return r;
}

function allowed(q, permissions) {
  if (permissions === undefined || permissions === null) return true;
  const p = Object.hasOwn(permissions, q.target) ? permissions[q.target] : null;
  return !!p && Array.isArray(p.allows) && p.allows.includes(q.type);
}

const resultOf = (q, fields) => ({
  className: 'QueryResult', version: '6', isSuccess: true, target: q.target, type: q.type, result: [],
  dbLength: 0, updateCount: 0, hitCount: 0, errorMessage: null, ...fields,
});
const failure = (q, dbLength, errorMessage, extra = {}) => resultOf(q, { isSuccess: false, dbLength, errorMessage, ...extra });

export class ReferenceDb {
  /* options (each off by default) turn on a known engine deviation, so the differential test can
     tell a known finding from a new one: floatReadsBool (floatStrict_ reads true as 1),
     emptyWriteCreates (a write that writes nothing still creates its missing collection). */
  constructor(dict = { collections: {} }, options = {}) {
    this.options = options;
    this.collections = new Map();   // name -> { data, serialNum }, in creation order
    for (const [name, c] of Object.entries(dict.collections ?? {})) {
      this.collections.set(name, { data: clone(c.data ?? []), serialNum: c.serialNum ?? 0 });
    }
  }

  toDict() {
    const collections = {};
    for (const [name, c] of this.collections) {
      collections[name] = { className: 'Collection', version: '17', data: clone(c.data), serialNum: c.serialNum };
    }
    return { className: 'DeltaTraceDatabase', version: '16', collections };
  }

  /* Runs a Query or TransactionQuery; the state changes only when it succeeds. */
  executeQuery(query, permissions) {
    const saved = clone([...this.collections]);
    const result = query.className === 'TransactionQuery' ? this.#transaction(query, permissions) : this.#one(query, permissions);
    if (!result.isSuccess) this.collections = new Map(saved);
    return result;
  }

  #transaction(t, permissions) {
    if (t.queries.some((q) => q.type === 'removeCollection' || q.type === 'merge')) {
      return { className: 'TransactionQueryResult', version: '3', isSuccess: false, results: [],
        errorMessage: 'The query contains a type that is not permitted to be executed within a transaction.' };
    }
    const results = [];
    for (const q of t.queries) {
      const r = this.#one(q, permissions);
      if (!r.isSuccess) return { className: 'TransactionQueryResult', version: '3', isSuccess: false, results: [], errorMessage: 'Transaction failed' };
      results.push(r);
    }
    return { className: 'TransactionQueryResult', version: '3', isSuccess: true, results, errorMessage: null };
  }

  #one(q, permissions) {
    if (!allowed(q, permissions)) return failure(q, -1, 'Operation not permitted.');
    const saved = clone([...this.collections]);
    let r;
    try {
      r = this.#dispatch(q);
    } catch (e) {
      if (!(e instanceof SortError)) throw e;
      r = failure(q, -1, 'execute_query Unexpected Error');
    }
    if (r.isSuccess && WRITE_TYPES.has(q.type) && (q.mustAffectAtLeastOne ?? true) && r.updateCount === 0) {
      this.collections = new Map(saved);
      const c = this.collections.get(q.target);
      r = failure(q, c ? c.data.length : 0, 'No data matched the condition (mustAffectAtLeastOne=True)', { hitCount: r.hitCount });
    }
    if (!r.isSuccess) this.collections = new Map(saved);
    // A write that wrote nothing changes nothing: it does not create its collection either
    // (ARCHITECTURE §2; issue 10: "a failed or empty write changes nothing").
    if (r.isSuccess && this.options.emptyWriteCreates && EMPTY_WRITES_THAT_CREATE.has(q.type)) this.#col(q.target);
    const created = this.collections.get(q.target);
    if (r.isSuccess && !this.options.emptyWriteCreates && created && !saved.some(([name]) => name === q.target) && created.data.length === 0) {
      this.collections.delete(q.target);
    }
    return r;
  }

  /* The collection for a write, created if missing (dropped again if the write fails). */
  #col(name) {
    if (!this.collections.has(name)) this.collections.set(name, { data: [], serialNum: 0 });
    return this.collections.get(name);
  }

  #serialAdd(q, col, items) {
    const key = q.serialKey ?? null;
    if (key !== null && !items.every((d) => Object.hasOwn(d, key))) return false;
    for (const d of items) {
      if (key !== null) d[key] = col.serialNum++;
      col.data.push(d);
    }
    return true;
  }

  #dispatch(q) {
    const existing = this.collections.get(q.target) ?? null;
    const data = existing ? existing.data : [];
    const returned = (docs) => (q.returnData ? clone(docs) : []);
    switch (q.type) {
      case 'add': {
        const items = clone(q.addData);
        const col = this.#col(q.target);
        if (!this.#serialAdd(q, col, items)) return failure(q, existing ? existing.data.length : 0, 'The target serialKey does not exist');
        return resultOf(q, { result: returned(items), dbLength: col.data.length, updateCount: items.length });
      }
      case 'update': case 'updateOne': {
        const changed = [];
        for (const d of data) {
          if (q.type === 'updateOne' && changed.length) break;
          if (!matches(q.queryNode, d, this.options)) continue;
          Object.assign(d, clone(q.overrideData));
          changed.push(d);
        }
        const result = q.returnData ? sortDocs(clone(changed), q.sortObj) : [];
        return resultOf(q, { result, dbLength: data.length, updateCount: changed.length, hitCount: changed.length });
      }
      case 'delete': case 'deleteOne': {
        const removed = [];
        const kept = [];
        for (const d of data) {
          if (matches(q.queryNode, d, this.options) && !(q.type === 'deleteOne' && removed.length)) removed.push(d);
          else kept.push(d);
        }
        if (existing) existing.data = kept;
        let result = [];
        if (q.type === 'deleteOne') result = clone(removed);   // Python: even without returnData
        else if (q.returnData) result = sortDocs(clone(removed), q.sortObj);
        return resultOf(q, { result, dbLength: kept.length, updateCount: removed.length, hitCount: removed.length });
      }
      case 'search': {
        const hits = data.filter((d) => matches(q.queryNode, d, this.options));
        return resultOf(q, { result: clone(page(sortDocs(hits, q.sortObj), q)), dbLength: data.length, hitCount: hits.length });
      }
      case 'searchOne': {
        const hit = data.find((d) => matches(q.queryNode, d, this.options));
        return resultOf(q, { result: hit ? [clone(hit)] : [], dbLength: data.length, hitCount: hit ? 1 : 0 });
      }
      case 'getAll':
        return resultOf(q, { result: clone(page(sortDocs(data, q.sortObj), q)), dbLength: data.length, hitCount: data.length });
      case 'count':
        return resultOf(q, { dbLength: data.length, hitCount: data.length });
      case 'clear': {
        const n = data.length;
        if (existing) {
          existing.data = [];
          if (q.resetSerial) existing.serialNum = 0;
        }
        return resultOf(q, { dbLength: 0, updateCount: n, hitCount: n });
      }
      case 'clearAdd': {
        const n = data.length;
        const items = clone(q.addData);
        if ((q.serialKey ?? null) !== null && !items.every((d) => Object.hasOwn(d, q.serialKey))) {
          return failure(q, data.length, 'The target serialKey does not exist');
        }
        const col = this.#col(q.target);
        col.data = [];
        if (q.resetSerial) col.serialNum = 0;
        this.#serialAdd(q, col, items);
        return resultOf(q, { result: returned(items), dbLength: col.data.length, updateCount: n, hitCount: n });
      }
      case 'removeCollection': {
        this.collections.delete(q.target);
        return resultOf(q, { updateCount: existing ? 1 : 0 });
      }
      case 'conformToTemplate': {
        for (const d of data) {
          for (const k of Object.keys(d)) if (!Object.hasOwn(q.template, k)) delete d[k];
          for (const [k, v] of Object.entries(q.template)) if (!Object.hasOwn(d, k)) d[k] = clone(v);
        }
        return resultOf(q, { dbLength: data.length, updateCount: data.length, hitCount: data.length });
      }
      case 'renameField': {
        // Each item in order, both checks per item (rename-template-1.x: the first offending item
        // decides the message); failures report the collection's length.
        for (const d of data) {
          if (!Object.hasOwn(d, q.renameBefore)) return failure(q, data.length, 'The renameBefore key does not exist');
          if (Object.hasOwn(d, q.renameAfter)) return failure(q, data.length, 'An existing key was specified as the new key');
        }
        for (const d of data) {
          const v = d[q.renameBefore];
          delete d[q.renameBefore];
          d[q.renameAfter] = v;
        }
        return resultOf(q, { result: returned(data), dbLength: data.length, updateCount: data.length, hitCount: data.length });
      }
    }
    throw new Error(`reference: query type ${q.type} is not modelled`);
  }
}
