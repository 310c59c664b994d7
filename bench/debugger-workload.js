/*
 * debugger-workload.js: the scrub workload of the debugger, run inside a browser page (imported
 * by bench/debugger-scrub.mjs and by the demo suite's speed check, so both time the same thing).
 *
 * Owns: scrubWorkload({ commits, docs, steps }) -> figures. It builds an in-memory database of
 * `docs` documents (in batches of 500) and then single-document updates up to `commits`
 * commits, mounts the debugger, and moves the slider `steps` times around the middle (+3, −1,
 * ...), timing each step from the input event (given in a frame callback, as Chromium gives a
 * drag's input aligned to frames) until the frame that shows the seq is painted (a message
 * posted from a frame callback runs after that frame's paint): performance marks
 * hsd-step-input and hsd-step-painted, measure hsd-step. worstSteps splits the five worst
 * steps into the panel's render (its own timing), the input handler and the rest of the
 * frame (style, layout, paint, and whatever else ran: GC, other tasks). The peer is a second panel on
 * the same database with rereadRows (the shown collection re-read at every step, no diff
 * applied), stepped alternately with the first so both see the same load; db.at(seq).toDict()
 * at the same seqs is timed too.
 * firstPaintWorkload({ commits, docs }) -> figures: the same database, built larger, and the time
 * from mountDebugger to the first painted frame that shows the latest commit (performance marks).
 * Must stay true: nothing is asserted here; everything it creates is removed and closed.
 */
import { Database } from '../index.js';
import { mountDebugger } from '../debugger/index.js';

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const nextFrame = () => new Promise((r) => requestAnimationFrame(r));
/* Resolves after the frame being drawn is painted: a message posted from a frame callback is
   handled after that frame's style, layout and paint. */
const afterThisFrame = () => new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = () => r(); c.port2.postMessage(0); });

export async function buildScrubDatabase({ commits, docs }) {
  const db = await Database.open();
  const batch = 500;
  for (let i = 0; i < docs; i += batch) {
    db.executeQuery({ className: 'Query', version: '7', target: 'items', type: 'add', serialKey: 'id',
      addData: Array.from({ length: Math.min(batch, docs - i) }, (_, k) => ({ id: -1, title: `item ${i + k}`, n: 0, meta: { owner: `u${k % 7}` } })) });
  }
  while (db.seq < commits) {
    const id = (db.seq * 7919) % docs;
    db.executeQuery({ className: 'Query', version: '7', target: 'items', type: 'updateOne',
      queryNode: { type: 'equals_', field: 'id', value: id, vType: 'auto_', version: '2' }, overrideData: { n: db.seq },
      cause: { who: { type: 'human', id: `u${db.seq % 5}`, name: `User ${db.seq % 5}` }, what: `bump ${id}`, why: 'speed test' } });
  }
  return db;
}

/* Times one slider step of the panel in host: input given in a frame callback, until the
   frame that shows it is painted. */
async function step(host, slider, seq) {
  await nextFrame();   // after the last step's frame: the input comes in a frame, as a drag's does
  let start = 0, handled = 0;
  await new Promise((r) => requestAnimationFrame(() => {
    performance.mark('hsd-step-input');
    start = performance.now();
    slider.value = String(seq);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    handled = performance.now();   // the panel renders in the input handler (see panel.js)
    r();
  }));
  while (host.firstElementChild.dataset.renderedSeq !== String(seq)) await nextFrame();
  await afterThisFrame();
  performance.mark('hsd-step-painted');
  const total = performance.measure('hsd-step', 'hsd-step-input', 'hsd-step-painted').duration;
  return { total, script: handled - start };
}

async function mount(db, options, row) {
  const host = document.createElement('div');
  host.style.cssText = 'flex: 1 1 0; min-width: 0';
  row.append(host);
  const t0 = performance.now();
  const handle = mountDebugger(db, { container: host, ...options });
  await nextFrame();
  await afterThisFrame();
  const mountMs = performance.now() - t0;
  await handle.commitsLoaded();   // the steps are timed once the whole commit list is read
  return { host, handle, slider: host.querySelector('.hsd-slider'), mountMs };
}

export async function scrubWorkload({ commits, docs, steps, peer = true }) {
  const db = await buildScrubDatabase({ commits, docs });
  const row = document.createElement('div');   // the two panels side by side, both in view
  row.style.cssText = 'display: flex; gap: 4px';
  document.body.prepend(row);
  const main = await mount(db, {}, row);
  // The peer: the same panel re-reading the shown collection at every step; steps alternate
  // between the two so that both see the same load.
  const other = peer ? await mount(db, { rereadRows: true }, row) : null;
  const seqs = [];
  let s = Math.floor(commits / 2);
  for (let i = 0; i < steps; i++) { s += (i % 2 ? -1 : 3); seqs.push(s); }
  await globalThis.__profileStart?.();
  const times = [], peerTimes = [], worst = [];
  for (const [i, seq] of seqs.entries()) {
    const t = await step(main.host, main.slider, seq);
    times.push(t.total);
    worst.push({ step: i, seq, ms: t.total, renderMs: main.handle.timings().at(-1), scriptMs: t.script });
    if (other) peerTimes.push((await step(other.host, other.slider, seq)).total);
  }
  worst.sort((a, b) => b.ms - a.ms);
  const highlighted = main.host.querySelectorAll('.hsd-vt-row.changed').length;
  const drawnRows = main.host.querySelectorAll('.hsd-vt-row').length;
  const renders = main.handle.timings().slice(-steps);
  const toDictTimes = [];
  for (const seq of seqs) {
    const start = performance.now();
    const view = db.at(seq);
    view.toDict();
    view.release();
    toDictTimes.push(performance.now() - start);
  }
  for (const m of [main, other]) m?.handle.destroy();
  row.remove();
  await db.close();
  return { median: median(times), max: Math.max(...times), renderMedian: median(renders),
    peerMedian: peer ? median(peerTimes) : null, peerMax: peer ? Math.max(...peerTimes) : null,
    toDictMedian: median(toDictTimes), mountMs: main.mountMs, highlighted, drawnRows, worstSteps: worst.slice(0, 5) };
}

/* Opening the debugger on a large database: from mountDebugger to the first painted frame
   that shows the latest seq, as performance marks (hsd-open-start, hsd-first-paint; the
   measure hsd-first-paint). The database is built first and not timed. */
export async function firstPaintWorkload({ commits, docs }) {
  const db = await buildScrubDatabase({ commits, docs });
  const host = document.createElement('div');
  document.body.prepend(host);
  await nextFrame();
  await globalThis.__profileOpenStart?.();
  performance.mark('hsd-open-start');
  const handle = mountDebugger(db, { container: host });
  const mountReturnedMs = performance.now() - performance.getEntriesByName('hsd-open-start').at(-1).startTime;
  do await nextFrame(); while (host.firstElementChild?.dataset.renderedSeq !== String(db.seq));
  await afterThisFrame();   // posted from a frame callback: runs after that frame is painted
  performance.mark('hsd-first-paint');
  const firstPaintMs = performance.measure('hsd-first-paint', 'hsd-open-start', 'hsd-first-paint').duration;
  const drawnRows = host.querySelectorAll('.hsd-vt-row').length;
  handle.destroy();
  host.remove();
  const seq = db.seq;
  await db.close();
  return { firstPaintMs, mountReturnedMs, drawnRows, seq };
}
