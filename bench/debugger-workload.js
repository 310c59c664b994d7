/*
 * debugger-workload.js: the scrub workload of the debugger, run inside a browser page (imported
 * by bench/debugger-scrub.mjs and by the demo suite's speed check, so both time the same thing).
 *
 * Owns: scrubWorkload({ commits, docs, steps }) -> figures. It builds an in-memory database of
 * `docs` documents (in batches of 500) and then single-document updates up to `commits`
 * commits, mounts the debugger, and moves the slider `steps` times around the middle (+3, −1,
 * ...), timing each step from the input event until the panel shows the seq and the frame is
 * laid out. The peer is db.at(seq).toDict() at the same seqs, timed alone afterwards.
 * Must stay true: nothing is asserted here; everything it creates is removed and closed.
 */
import { Database } from '../index.js';
import { mountDebugger } from '../debugger/index.js';

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const nextFrame = () => new Promise((r) => requestAnimationFrame(r));

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

export async function scrubWorkload({ commits, docs, steps }) {
  const db = await buildScrubDatabase({ commits, docs });
  const host = document.createElement('div');
  document.body.prepend(host);
  const t0 = performance.now();
  const handle = mountDebugger(db, { container: host });
  void host.offsetHeight;
  await nextFrame();
  const mountMs = performance.now() - t0;
  const slider = host.querySelector('.hsd-slider');
  const seqs = [];
  let s = Math.floor(commits / 2);
  for (let i = 0; i < steps; i++) { s += (i % 2 ? -1 : 3); seqs.push(s); }
  await globalThis.__profileStart?.();
  const times = [];
  for (const seq of seqs) {
    const start = performance.now();
    slider.value = String(seq);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    while (host.firstElementChild.dataset.renderedSeq !== String(seq)) await nextFrame();
    void host.offsetHeight;   // the layout the step caused
    times.push(performance.now() - start);
  }
  const highlighted = host.querySelectorAll('.hsd-vt-row.changed').length;
  const drawnRows = host.querySelectorAll('.hsd-vt-row').length;
  const renders = handle.timings().slice(-steps);
  const peer = [];
  for (const seq of seqs) {
    const start = performance.now();
    const view = db.at(seq);
    view.toDict();
    view.release();
    peer.push(performance.now() - start);
  }
  handle.destroy();
  host.remove();
  await db.close();
  return { median: median(times), max: Math.max(...times), renderMedian: median(renders), peerMedian: median(peer), mountMs, highlighted, drawnRows };
}
