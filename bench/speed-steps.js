/*
 * bench/speed-steps.js: DeltaTraceDB's speed-test steps (shared/anchors/README.md) on Hindsight
 * and on LokiJS, and the table that shows them, shared by bench/speed.mjs (Node) and
 * bench/speed-browser.mjs (headless Chromium, through bench/speed-browser.html).
 *
 * Must stay true: imports nothing (no node: module, no package), so a page can load it as an
 * ES module; Database and loki are passed in by the runner. Every step includes turning results
 * into JS objects, and sanity checks make a wrong result an error, never a fast number.
 *
 * The floor for the steps that hand 100k objects to JS (getAll, the sorted search) is
 * JSON.parse of the step's own output text (the documents' JSON, made before the step and
 * checked, untimed, to be what the step returned), timed beside the step: just before it in
 * odd rounds, just after it in even ones. Whichever runs first pays for the garbage the
 * round's earlier steps left (an add of 100k leaves plenty), so a fixed order would charge
 * it to one side only. Each round's ratio is its own; the report gives their median. The
 * older floor, JSON.parse of a fresh text of the documents at the end of the round (less
 * live data), is still printed beside it.
 */

/* DeltaTraceDB Python 0.1.3 on this project's machines (anchors/README.md), for the 10x target. */
export const PYTHON_MS = { add: 377, getAll: 904, save: 741, load: 854, search: 1017, searchLimit: 683, searchOne: 34, update: 80, updateOne: 14, conform: 72, deleteHalf: 686, deleteOne: 21, addSerial: 99 };
/* Steps issue 14 names that DeltaTraceDB's test lacks: no Python figure. */
export const STEPS = [
  ['add', 'add 100k'], ['getAll', 'getAll (+ to objects)'], ['save', 'save (to JSON text)'], ['load', 'load (from JSON text)'],
  ['search', 'search startsWith + sort age (100k hits)'], ['searchLimit', 'same, limit 50k'], ['searchOne', 'searchOne age == N-1'],
  ['countGt', 'count age > N/2 (hitCount, limit 0)'], ['topGt', 'search age > N/2 + sort age desc + limit 10'],
  ['update', 'update 2 docs (or of two equals)'], ['updateOne', 'updateOne'], ['conform', 'conformToTemplate'],
  ['deleteHalf', 'delete half, sorted, returned'], ['deleteOne', 'deleteOne'], ['addSerial', 'add 100k with serialKey'],
];

const stamp = new Date().toISOString();
/** The speed test's documents (id, name, age, createdAt, updatedAt, nestedObj.num), also used by
    the other benches that time its steps (crossing-ab, output-faults, wasm-ab). */
export const makeUsers = (N) => Array.from({ length: N }, (_, i) => ({ id: String(i), name: `sample${i}`, age: i, createdAt: stamp, updatedAt: stamp, nestedObj: { num: i } }));
const makeItems = (N) => Array.from({ length: N }, (_, i) => ({ serialKey: null, name: `item${i}` }));

function time(f) { const t = performance.now(); const r = f(); return [performance.now() - t, r]; }
async function timeAsync(f) { const t = performance.now(); const r = await f(); return [performance.now() - t, r]; }
function expect(cond, what) { if (!cond) throw new Error(`benchmark sanity check failed: ${what}`); }

const q = (target, type, extra = {}) => ({ className: 'Query', version: '7', target, type, ...extra });
const eq = (field, value) => ({ type: 'equals_', field, value, vType: 'auto_', version: '2' });

let hindsightRounds = 0;

/** One round of every step on Hindsight; Database is the package's Database class. */
export async function hindsightRound(Database, N) {
  const t = {};
  const users = makeUsers(N), items = makeItems(N);
  const floorFirst = hindsightRounds++ % 2 === 1;
  const usersText = JSON.stringify(users);   // getAll's output, and the sorted search's
  const db = await Database.open();
  let r;
  [t.add, r] = time(() => db.executeQuery(q('users', 'add', { addData: users })));
  expect(r.isSuccess && r.dbLength === N, 'add');
  const heapAfterAdd = db.memoryUsage();
  const floor = {};
  [t.getAll, r, floor.getAll] = besideFloor(() => db.executeQuery(q('users', 'getAll')).result, usersText, floorFirst);
  expect(r.length === N && r[N - 1].nestedObj.num === N - 1, 'getAll');
  let text;
  [t.save, text] = time(() => db.toJSONText());
  let db2;
  [t.load, db2] = await timeAsync(() => Database.fromJSONText(text));
  const searchNode = { type: 'startsWith_', field: 'name', value: 'sample', version: '1' };
  const byAge = { className: 'SingleSort', version: '5', field: 'age', reversed: false, vType: 'auto_' };
  [t.search, r, floor.search] = besideFloor(() => db.executeQuery(q('users', 'search', { queryNode: searchNode, sortObj: byAge })).result, usersText, floorFirst);
  expect(r.length === N && r[0].age === 0, 'search');
  [t.searchLimit, r] = time(() => db.executeQuery(q('users', 'search', { queryNode: searchNode, sortObj: byAge, limit: N / 2 })).result);
  expect(r.length === N / 2, 'search limit');
  [t.searchOne, r] = time(() => db.executeQuery(q('users', 'searchOne', { queryNode: eq('age', N - 1) })).result);
  expect(r.length === 1 && r[0].age === N - 1, 'searchOne');
  const gtHalf = { type: 'greaterThan_', field: 'age', value: N / 2, vType: 'auto_', version: '2' };
  [t.countGt, r] = time(() => db.executeQuery(q('users', 'search', { queryNode: gtHalf, limit: 0 })).hitCount);
  expect(r === N / 2 - 1, 'count gt');
  [t.topGt, r] = time(() => db.executeQuery(q('users', 'search', { queryNode: gtHalf, sortObj: { ...byAge, reversed: true }, limit: 10 })).result);
  expect(r.length === 10 && r[0].age === N - 1 && r[9].age === N - 10, 'top 10');
  [t.update, r] = time(() => db.executeQuery(q('users', 'update', { queryNode: { type: 'or_', conditions: [eq('name', `sample${N / 2 - 1}`), eq('name', `sample${N - 1}`)], version: '1' }, overrideData: { age: N + 1 } })));
  expect(r.updateCount === 2, 'update');
  [t.updateOne, r] = time(() => db.executeQuery(q('users', 'updateOne', { queryNode: eq('name', `sample${N / 2 - 1}`), overrideData: { age: N } })));
  expect(r.updateCount === 1, 'updateOne');
  [t.conform, r] = time(() => db2.executeQuery(q('users', 'conformToTemplate', { template: { id: 'None', name: 'None', age: -1, nestedObj: { num: -1 }, gender: 'None' } })));
  expect(r.updateCount === N, 'conformToTemplate');
  [t.deleteHalf, r] = time(() => db.executeQuery(q('users', 'delete', { queryNode: { type: 'greaterThan_', field: 'age', value: N / 2, vType: 'auto_', version: '2' }, sortObj: { ...byAge, field: 'id' }, returnData: true })).result);
  expect(r.length >= N / 2 - 1, 'delete half');
  [t.deleteOne, r] = time(() => db.executeQuery(q('users', 'deleteOne', { queryNode: eq('age', N / 2), returnData: true })).result);
  expect(r.length === 1, 'deleteOne');
  [t.addSerial, r] = time(() => db.executeQuery(q('items', 'add', { addData: items, serialKey: 'serialKey' })));
  expect(r.dbLength === N, 'add with serialKey');
  // The floor for steps that hand 100k objects to JS: JSON.parse of the same text.
  const allText = JSON.stringify(makeUsers(N));
  const [parseMs] = time(() => JSON.parse(allText).length);
  await db.close();
  await db2.close();
  return { t, heapAfterAdd, parseMs, textBytes: allText.length, floor };
}

/* [step's ms, its result, JSON.parse of text's ms], the parse just before or just after the
   step (see the header); text must be the step's result as JSON. */
function besideFloor(step, text, floorFirst) {
  const parse = () => time(() => JSON.parse(text).length)[0];
  const before = floorFirst ? parse() : null;
  const [ms, result] = time(step);
  const floorMs = floorFirst ? before : parse();
  expect(JSON.stringify(result) === text, 'the floor parses the text the step returned');
  return [ms, result, floorMs];
}

/** One round on LokiJS; clone: its clone option (copies in and out) or by reference.
    lokiOptions: what the runtime needs (Node: { env: 'NODEJS' }). */
export function lokiRound(loki, N, clone, lokiOptions = {}) {
  const t = {};
  const users = makeUsers(N), items = makeItems(N);
  const db = new loki('bench', lokiOptions);
  const c = db.addCollection('users', { clone, cloneMethod: 'parse-stringify' });
  [t.add] = time(() => c.insert(users));
  [t.getAll] = time(() => c.find().map((o) => ({ ...o, nestedObj: { ...o.nestedObj } })).length);
  let s;
  [t.save, s] = time(() => db.serialize());
  [t.load] = time(() => { const d2 = new loki('b2', lokiOptions); d2.loadJSON(s); return d2; });
  [t.search] = time(() => c.chain().find({ name: { $regex: /^sample/ } }).simplesort('age').data().length);
  [t.searchLimit] = time(() => c.chain().find({ name: { $regex: /^sample/ } }).simplesort('age').limit(N / 2).data().length);
  [t.searchOne] = time(() => c.findOne({ age: N - 1 }));
  [t.countGt] = time(() => c.count({ age: { $gt: N / 2 } }));
  [t.topGt] = time(() => c.chain().find({ age: { $gt: N / 2 } }).simplesort('age', true).limit(10).data().length);
  [t.update] = time(() => c.chain().find({ $or: [{ name: `sample${N / 2 - 1}` }, { name: `sample${N - 1}` }] }).update((o) => { o.age = N + 1; }));
  [t.updateOne] = time(() => { const o = c.findOne({ name: `sample${N / 2 - 1}` }); o.age = N; c.update(o); });
  [t.conform] = time(() => c.updateWhere(() => true, (o) => { delete o.createdAt; delete o.updatedAt; o.gender = o.gender ?? 'None'; return o; }));
  [t.deleteHalf] = time(() => { const r = c.chain().find({ age: { $gt: N / 2 } }).simplesort('id'); const d = r.data(); r.remove(); return d.length; });
  [t.deleteOne] = time(() => c.findAndRemove({ age: N / 2 }));
  const it = db.addCollection('items');
  [t.addSerial] = time(() => it.insert(items));
  return { t };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function medians(rounds) {
  const out = {};
  for (const [key] of STEPS) out[key] = median(rounds.map((r) => r.t[key]));
  return out;
}
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

/** The printed report of the rounds (arrays of what the *Round functions return), as lines:
    heading, table, the JSON.parse floor and the wasm heap. heading prefixes the title. */
export function reportLines({ N, ROUNDS, hs, lokiClone, lokiRef, heading = '' }) {
  const H = medians(hs), LC = medians(lokiClone), LR = medians(lokiRef);
  const parseMs = median(hs.map((r) => r.parseMs));
  const lines = [`\n${heading}DeltaTraceDB speed test, ${N} documents, median of ${ROUNDS} rounds (ms; ratio = Hindsight / peer, below 1 is faster)\n`,
    '| step | Hindsight | LokiJS clone | ratio | LokiJS by ref | ratio | DTDB Python* | ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const [key, label] of STEPS) {
    lines.push(`| ${label} | ${fmt(H[key])} | ${fmt(LC[key])} | ${ratio(H[key], LC[key])} | ${fmt(LR[key])} | ${ratio(H[key], LR[key])} | ${PYTHON_MS[key] ?? '-'} | ${PYTHON_MS[key] ? ratio(H[key], PYTHON_MS[key]) : '-'} |`);
  }
  lines.push(`\n*DeltaTraceDB Python 0.1.3 figures measured on this project's machines (shared/anchors), not run here.`);
  lines.push(`JSON.parse of the ${(hs[0].textBytes / 1e6).toFixed(1)} MB of ${N} documents at the end of the round: ${fmt(parseMs)} ms. ` +
    `getAll / it = ${(H.getAll / parseMs).toFixed(2)}, search / it = ${(H.search / parseMs).toFixed(2)}`);
  const own = (key) => {
    const ratios = hs.map((r) => r.t[key] / r.floor[key]);
    return `${key} / JSON.parse of its output = ${median(ratios).toFixed(2)} (rounds: ${ratios.map((x) => x.toFixed(2)).join(', ')}; parse ${fmt(median(hs.map((r) => r.floor[key])))} ms)`;
  };
  lines.push(`Beside the step (its JSON.parse just before it in odd rounds, just after in even ones): ${own('getAll')}; ${own('search')} (target <= 1.1)`);
  const heap = hs[0].heapAfterAdd;
  lines.push(`wasm heap after adding ${N} documents: ${(heap.heapUsed / 1048576).toFixed(1)} MiB live (target <= 30 MB); wasm memory size ${(heap.wasmMemory / 1048576).toFixed(1)} MiB`);
  return lines;
}
