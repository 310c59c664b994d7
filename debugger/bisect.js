/*
 * bisect.js: finds the first commit where a condition on a query's result became true, in
 * O(log n) as-of reads (db.at(seq).executeQuery), and keeps the steps it took.
 *
 * Owns: bisect(db, query, { condition, from, to }) -> { seq, commit, steps, reads } or
 * { seq: null, reason, steps, reads }. condition(result, seq) -> boolean gets the QueryResult;
 * without one the condition is "the result differs from the result at from". conditions(spec)
 * builds the usual ones: { kind: 'changes' }, { kind: 'countAbove', n }, { kind: 'countBelow', n },
 * { kind: 'contains', text }, { kind: 'empty' }, { kind: 'nonEmpty' }.
 * Must stay true: the answer assumes the condition is false at from and true at to (both are
 * read and checked first; otherwise seq is null with the reason); between them it halves the
 * range, so it reads at most 2 + ceil(log2(to - from)) points, and on a condition that flips
 * only once it returns exactly the commit where it flipped; every view is released; uses only
 * the public API (no DOM).
 */
import { HindsightError, ErrorCode } from '../index.js';

/* The number a condition compares: hitCount (a search's matches before paging, a count's
   collection length), else the number of results. */
const countOf = (r) => (typeof r.hitCount === 'number' ? r.hitCount : Array.isArray(r.result) ? r.result.length : 0);
const resultText = (r) => JSON.stringify({ ok: r.isSuccess, count: countOf(r), result: r.result, error: r.errorMessage ?? null });

/* A condition from a plain description (what the debugger's form gives). */
export function conditions(spec = { kind: 'changes' }) {
  const n = Number(spec.n);
  switch (spec.kind) {
    case 'changes': return null;
    case 'countAbove': return (r) => countOf(r) > n;
    case 'countBelow': return (r) => countOf(r) < n;
    case 'contains': return (r) => JSON.stringify(r.result).includes(String(spec.text ?? ''));
    case 'empty': return (r) => countOf(r) === 0;
    case 'nonEmpty': return (r) => countOf(r) > 0;
    default: throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `bisect: unknown condition kind ${JSON.stringify(spec.kind)}`);
  }
}

export function bisect(db, query, { condition, from, to } = {}) {
  if (!query || typeof query !== 'object') throw new HindsightError(ErrorCode.INVALID_ARGUMENT, 'bisect: query must be a read query object (search, searchOne, getAll or count)');
  if (condition !== undefined && condition !== null && typeof condition !== 'function') throw new HindsightError(ErrorCode.INVALID_ARGUMENT, 'bisect: condition must be a function (result, seq) -> boolean');
  const oldest = (db.commits({ limit: 1 })[0]?.seq ?? db.seq + 1) - 1;
  const lo0 = from ?? oldest, hi0 = to ?? db.seq;
  if (!Number.isInteger(lo0) || !Number.isInteger(hi0) || lo0 >= hi0) throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `bisect: from (${lo0}) must be an integer seq before to (${hi0})`);
  const steps = [];
  const read = (seq) => {
    const view = db.at(seq);
    try {
      const result = view.executeQuery(query);
      if (!result.isSuccess) throw new HindsightError(ErrorCode.INVALID_ARGUMENT, `bisect: the query failed at seq ${seq}: ${result.errorMessage}`);
      return result;
    } finally { view.release(); }
  };
  const first = read(lo0);
  const startText = resultText(first);
  const holds = condition ?? ((r) => resultText(r) !== startText);
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
