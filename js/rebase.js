/*
 * rebase.js: many pages, one history: this page's unwritten commits put back on top of what
 * other pages wrote. The coordinator that decides when (the writer's lock and the broadcast
 * channel) is js/persistence.js's sharing; it calls rebase(got, confirmed) through the
 * interface sharingFor() builds, and knows nothing of engines.
 *
 * Owns: the choice of whether a store is shared (Web Locks and BroadcastChannel, or the
 * options' own), and rebuilding the core's engine as the shared history plus this page's
 * own commits after `confirmed`. Invariants: rebased commits get new seqs but keep their ids,
 * times and causes, so undo/redo (which name ids) still take back the right commits; a
 * commit that no longer applies is dropped with a storage warning, never half applied; live
 * queries move to the new engine before the old one closes; listeners of every collection
 * touched on either side hear of it, and the feed publishes one { rebased: true } info.
 */
import { Engine } from './engine.js';
import { applyMemoryBudget, maxMemoryMB } from './memory-budget.js';
import { loadSnapshot, snapshotPayload } from './stored-snapshot.js';
import { MAX_SEQ, REVERT_CLASS, newOrigin, recordText } from './database-core.js';

/* Writers take turns when the store can be shared and the runtime has Web Locks and
   BroadcastChannel (or the options bring their own); null otherwise. */
export function sharingFor(core, store) {
  const o = core.options;
  const locks = o.locks ?? globalThis.navigator?.locks;
  if (o.shared === false || typeof store.readSince !== 'function' || !locks || typeof BroadcastChannel === 'undefined') return null;
  const name = `hindsight:${o.name ?? 'default'}`;
  return { locks, lockName: name, channel: new BroadcastChannel(name), rebase: (got, confirmed) => rebase(core, got, confirmed) };
}

/* The collections changed by engine's commits after from. */
function touchedSince(engine, from, touched) {
  for (const info of JSON.parse(engine.changesText(Math.max(from, engine.oldest()), engine.seq()))) {
    for (const name of Object.keys(info.changes)) touched.add(name);
  }
}

/* Another page wrote commits after `confirmed`: rebuild this page's state as the shared
   history (the store's records, or its snapshot) plus this page's own commits that were not
   written yet, applied again on top. Returns them as the records to write, and the seq of
   the shared history. */
export function rebase(core, { snapshot, records }, confirmed) {
  const old = core.engine;
  const ours = JSON.parse(old.commitsText(confirmed + 1, MAX_SEQ, MAX_SEQ));
  const touched = new Set();
  touchedSince(old, confirmed, touched);
  let engine;
  if (snapshot) {
    engine = new Engine(old.wasm);
    applyMemoryBudget(engine, maxMemoryMB(core.options));
    try {
      loadSnapshot(engine, snapshotPayload(snapshot));
    } catch (error) {
      engine.close();
      throw error;
    }
    engine.setOrigin(newOrigin());   // the snapshot holds another page's origin and counter
  } else {
    engine = old.fork(confirmed);
  }
  if (records.length) engine.replay(`[${records.map((r) => r.text).join(',')}]`);
  const sharedSeq = engine.seq();
  const pending = [];
  for (const c of ours) {
    const before = engine.seq();
    const q = c.query;
    const keep = `{"time":${c.time},"cause":${JSON.stringify(c.cause)},"id":${JSON.stringify(c.id)}`;
    try {
      if (q?.className === REVERT_CLASS && !q.state) {
        const ref = q.undo !== undefined ? `,"undo":${JSON.stringify(q.undo)}` : q.redo !== undefined ? `,"redo":${JSON.stringify(q.redo)}` : '';
        engine.revert(q.toSeq, `${keep}${ref}}`);
      } else {
        engine.execute(JSON.stringify(q), null, `${keep}}`);
      }
    } catch { /* reported below as not applying */ }
    if (engine.seq() === before) {
      core.warn(`commit ${c.id} (seq ${c.seq}) made in this page no longer applies after another page's commits; it was dropped`);
      continue;
    }
    pending.push({ seq: engine.seq(), text: recordText(engine, engine.seq()) });
  }
  core.engine = engine;
  core.liveQueries?.rebuilt(engine);   // live queries hook: reopen on the new engine while the old one lives
  old.close();
  if (engine.seq() > confirmed) {
    touchedSince(engine, confirmed, touched);
    core.feed.publish({ seq: engine.seq(), id: null, rebased: true, changes: null });
    for (const target of touched) core.listeners.fire(target, engine.seq());
  }
  return { pending, seq: sharedSeq };
}
