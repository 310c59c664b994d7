/*
 * bisect.js: db.bisect: the first commit where a condition on a read query's result became
 * true, in O(log n) as-of reads (db.at(seq).executeQuery), with the steps it took.
 *
 * Owns: bisect(db, query, { condition, from, to }) -> { seq, commit, steps, reads } or
 * { seq: null, reason, steps, reads }; steps is [{ seq, holds, count }] in the order read.
 * condition is a function (result, seq) -> boolean given the QueryResult, or a plain
 * description (bisectCondition): { kind: 'changes' } (the default: the result differs from
 * the result at from), { kind: 'countAbove', n }, { kind: 'countBelow', n },
 * { kind: 'contains', text }, { kind: 'empty' }, { kind: 'nonEmpty' }. The count compared is
 * hitCount (a search's matches before paging, a count's collection length), else the number
 * of results.
 * Must stay true: the answer assumes the condition is false at from and true at to (both are
 * read and checked first; otherwise seq is null with the reason); between them it halves the
 * range, so it reads at most 2 + ceil(log2(to - from)) points, and on a condition that flips
 * only once it returns exactly the commit where it flipped; every view is released; reads
 * only, through the Database's public methods; bad input throws HindsightError
 * INVALID_ARGUMENT before anything is read (a from older than the kept history: TOO_OLD, as
 * db.at gives), and a query that fails at a point throws INVALID_ARGUMENT naming the seq.
 */
import { HindsightError, ErrorCode } from './errors.js';

const invalid = (message) => new HindsightError(ErrorCode.INVALID_ARGUMENT, `bisect: ${message}`);
const READ_TYPES = new Set(['search', 'searchOne', 'getAll', 'count']);

const countOf = (r) => (typeof r.hitCount === 'number' ? r.hitCount : Array.isArray(r.result) ? r.result.length : 0);
const resultText = (r) => JSON.stringify({ ok: r.isSuccess, count: countOf(r), result: r.result, error: r.errorMessage ?? null });

/* A condition function from a plain description; null for 'changes' (the default). */
export function bisectCondition(spec = { kind: 'changes' }) {
  if (spec === null || typeof spec !== 'object') throw invalid('a condition description must be an object such as { kind: "countAbove", n: 3 }');
  const needsNumber = spec.kind === 'countAbove' || spec.kind === 'countBelow';
  const n = Number(spec.n);
  if (needsNumber && (spec.n === undefined || spec.n === null || spec.n === '' || !Number.isFinite(n))) throw invalid(`condition ${spec.kind} needs a number n`);
  switch (spec.kind) {
    case 'changes': return null;
    case 'countAbove': return (r) => countOf(r) > n;
    case 'countBelow': return (r) => countOf(r) < n;
    case 'contains': return (r) => JSON.stringify(r.result).includes(String(spec.text ?? ''));
    case 'empty': return (r) => countOf(r) === 0;
    case 'nonEmpty': return (r) => countOf(r) > 0;
    default: throw invalid(`unknown condition kind ${JSON.stringify(spec.kind)}`);
  }
}

export function bisect(db, query, options = {}) {
  if (!query || typeof query !== 'object' || Array.isArray(query) || !READ_TYPES.has(query.type)) {
    throw invalid('query must be a read query object (type search, searchOne, getAll or count)');
  }
  if (options === null || typeof options !== 'object') throw invalid('options must be an object { condition?, from?, to? }');
  const { condition, from, to } = options;
  let holds;
  if (typeof condition === 'function') holds = condition;
  else if (condition === undefined || condition === null) holds = null;
  else if (typeof condition === 'object') holds = bisectCondition(condition);
  else throw invalid('condition must be a function (result, seq) -> boolean or a description such as { kind: "countAbove", n: 3 }');
  const oldest = db.stats().oldestSeq;
  const lo0 = from ?? oldest, hi0 = to ?? db.seq;
  if (!Number.isInteger(lo0) || !Number.isInteger(hi0) || hi0 > db.seq || lo0 >= hi0) {
    throw invalid(`from (${lo0}) and to (${hi0}) must be integer seqs with from < to <= ${db.seq} (the oldest kept point is ${oldest})`);
  }
  const steps = [];
  const read = (seq) => {
    const view = db.at(seq);
    try {
      const result = view.executeQuery(query);
      if (!result.isSuccess) throw invalid(`the query failed at seq ${seq}: ${result.errorMessage}`);
      return result;
    } finally { view.release(); }
  };
  const first = read(lo0);
  if (!holds) {
    const startText = resultText(first);
    holds = (r) => resultText(r) !== startText;
  }
  const check = (seq, result = read(seq)) => {
    const value = Boolean(holds(result, seq));
    steps.push({ seq, holds: value, count: countOf(result) });
    return value;
  };
  if (check(lo0, first)) return { seq: null, reason: `the condition already holds at seq ${lo0}`, steps, reads: steps.length };
  if (!check(hi0)) return { seq: null, reason: `the condition does not hold at seq ${hi0}`, steps, reads: steps.length };
  let lo = lo0, hi = hi0;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (check(mid)) hi = mid; else lo = mid;
  }
  return { seq: hi, commit: db.commits({ from: hi, to: hi })[0] ?? null, steps, reads: steps.length };
}
