/*
 * rebase.js: many pages, one history: this page's unwritten commits put back on top of what
 * other pages wrote. The coordinator that decides when (the writer's lock and the broadcast
 * channel) is js/persistence.js's sharing; it calls rebase(got, confirmed, own) through the
 * interface sharingFor() builds (own: the records of this page's commits not written yet),
 * and knows nothing of engines.
 *
 * Owns: the choice of whether a store is shared (Web Locks and BroadcastChannel, or the
 * options' own), and rebuilding the core's engine as the shared history plus this page's
 * own commits after `confirmed`: the engine replays them from the old engine in runs
 * (Engine.replayFrom); a revert, or one that no longer applies, goes one at a time (replayOne).
 * A rebased commit's record is its engine's record; when that is the old one but for the seq,
 * the old text with the seq changed. Invariants: rebased commits get new seqs but keep their ids,
 * times and causes, so undo/redo (which name ids) still take back the right commits, and a
 * plain revert goes back to the same commit, found again by id; a
 * commit that no longer applies is dropped with a storage warning, never half applied; live
 * queries move to the new engine before the old one closes. What the change feed publishes
 * (feedReports, format in js/change-feed.js): the reports that take a subscriber from the old
 * state to the new one: one { rebased: true } rewind report that takes back this page's
 * unwritten commits (only when there were any), then one ordinary { seq, id, changes } report
 * per commit after `confirmed` (the incoming ones, then ours replayed), exactly as
 * db.changes({ since: confirmed }) lists them; each report also reaches the listeners of the
 * collections it changed. Only when row ids cannot be carried over (the new state came from
 * another page's snapshot, or retention dropped `confirmed`) is it one reset report,
 * { rebased: true, changes: null }, for every collection touched on either side.
 * The options' onRebase({ sharedSeq, kept, dropped }) hook (types/index.d.ts) is told, after
 * each rebase, which of this page's commits were put back (kept: [{ id, seq }]) and which no
 * longer applied (dropped: [{ id, seq, reason }]); the sync client relies on it.
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
  return { locks, lockName: name, channel: new BroadcastChannel(name), rebase: (got, confirmed, own) => rebase(core, got, confirmed, own) };
}

/* The collections changed by engine's commits after from. */
function touchedSince(engine, from, touched) {
  for (const info of JSON.parse(engine.changesText(Math.max(from, engine.oldest()), engine.seq()))) {
    for (const name of Object.keys(info.changes)) touched.add(name);
  }
}

/* The changes that take old's state back to its state at seq `to`, by row id, in the feed's
   shape ({} when the rows are the same). Read from the old engine before it closes. */
function rewindChanges(old, to) {
  const changes = {};
  for (const [name, d] of Object.entries(JSON.parse(old.diffText(old.seq(), to)))) {
    changes[name] = { added: d.addedIds, removed: d.removedIds, changed: d.changed.map((c) => c.rowId) };
  }
  return changes;
}

/* The feed's reports for a rebase (see the header), computed while the old engine lives;
   publish() sends them once the new engine is in place. */
function feedReports(core, old, fromSnapshot, confirmed, hadOwn) {
  if (core.feed.size === 0 && core.listeners.size === 0) return { publish() {} };
  const reset = fromSnapshot || confirmed < old.oldest();
  if (reset) {
    const touched = new Set();
    touchedSince(old, confirmed, touched);
    return {
      publish(engine) {
        if (engine.seq() <= confirmed && !hadOwn) return;
        touchedSince(engine, confirmed, touched);
        send(core, { seq: engine.seq(), id: null, rebased: true, changes: null }, touched);
      },
    };
  }
  const rewind = hadOwn ? rewindChanges(old, confirmed) : null;
  return {
    publish(engine) {
      if (rewind) send(core, { seq: confirmed, id: null, rebased: true, changes: rewind }, Object.keys(rewind));
      for (const info of JSON.parse(engine.changesText(confirmed, engine.seq()))) send(core, info, Object.keys(info.changes));
    },
  };
}

function send(core, info, targets) {
  core.feed.publish(info);
  for (const target of targets) core.listeners.fire(target, info.seq);
}

/* A plain revert names its target by seq, and the rebase may move that commit: its seq on
   the new engine, found by id (kept: this page's commits put back so far); null when it was
   one of this page's commits that is gone (a shared one no longer kept stays where it was).
   (Undo and redo name their commit's id, which the engine follows itself.) */
function movedTarget(old, engine, toSeq, kept, confirmed) {
  if (toSeq === 0 || toSeq < old.oldest()) return toSeq;
  const id = JSON.parse(old.commitInfoText(toSeq, toSeq))[0]?.id;
  if (!id) return toSeq;
  const mine = kept.find((k) => k.id === id);
  if (mine) return mine.seq;
  const found = JSON.parse(engine.commitInfoText(Math.max(1, engine.oldest()), engine.seq())).find((x) => x.id === id);
  return found ? found.seq : toSeq <= confirmed ? toSeq : null;
}

/* One of this page's commits c ({ seq, id, time, cause, query }) applied again on engine,
   keeping its id, time and cause: a revert (its target moved if it was one of ours), or a
   query the engine's replay did not apply (then it is dropped, with why). */
function replayOne(core, old, engine, c, confirmed, pending, kept, dropped) {
  const before = engine.seq();
  const q = c.query;
  let failure = null;
  const keep = `{"time":${c.time},"cause":${JSON.stringify(c.cause)},"id":${JSON.stringify(c.id)}`;
  try {
    if (q?.className === REVERT_CLASS && !q.state) {
      const ref = q.undo !== undefined ? `,"undo":${JSON.stringify(q.undo)}` : q.redo !== undefined ? `,"redo":${JSON.stringify(q.redo)}` : '';
      const toSeq = ref ? q.toSeq : movedTarget(old, engine, q.toSeq, kept, confirmed);
      if (toSeq === null) throw new Error('the commit this revert goes back to is gone');
      engine.revert(toSeq, `${keep}${ref}}`);
    } else {
      const out = engine.execute(JSON.stringify(q), null, `${keep}}`);
      if (engine.seq() === before) failure = { message: JSON.parse(out)?.errorMessage || 'the query made no commit' };
    }
  } catch (error) { failure = error; /* reported below as not applying */ }
  if (engine.seq() === before) {
    core.warn(`commit ${c.id} (seq ${c.seq}) made in this page no longer applies after another page's commits; it was dropped`);
    dropped.push({ id: c.id, seq: c.seq, reason: String(failure?.message ?? 'it made no change on the new state') });
    return;
  }
  kept.push({ id: c.id, seq: engine.seq() });
  pending.push({ seq: engine.seq(), text: recordText(engine, engine.seq()) });
}

/* This page's commits are replayed by the engine from the old engine, this many at a time
   (their records come back as ~200 bytes each: under engine.js's 1 MiB kept output). */
const REPLAY_CHUNK = 4096;

/* The id in a record text as the engine writes it ({"seq":N,"id":"...", ...; an id holds no
   quote or backslash), looked for from index `from`. */
function recordId(text, from = 0) {
  const at = text.indexOf('"id":"', from) + 6;
  return text.slice(at, text.indexOf('"', at));
}

/* Puts commit `seq`, made from own commit `was` whose record is the same but for the seq, into
   kept and pending: the text written for it at commit time (own: this page's unwritten
   records, { seq, text } in seq order) with the seq changed, or the engine's when own lacks
   it. Changing the seq instead of reading the record from the engine saves decoding its
   text; the id is read from the old text (the new one is a concatenation, which reading
   would flatten). No object per commit beyond the two kept: this runs once per rebased commit. */
function keepMoved(engine, own, was, seq, kept, pending) {
  const text = own.length ? own[was - own[0].seq]?.text : undefined;
  // {"seq":<was>, starts it: 7 characters, the digits, the comma
  const comma = typeof text === 'string' ? text.indexOf(',') : -1;
  if (comma > 7 && text.startsWith('{"seq":') && +text.slice(7, comma) === was) {
    kept.push({ id: recordId(text, comma), seq });
    pending.push({ seq, text: `{"seq":${seq}${text.slice(comma)}` });
    return;
  }
  const made = recordText(engine, seq);
  kept.push({ id: recordId(made), seq });
  pending.push({ seq, text: made });
}

/* Another page wrote commits after `confirmed`: rebuild this page's state as the shared
   history (the store's records, or its snapshot) plus this page's own commits that were not
   written yet, applied again on top. Returns them as the records to write, and the seq of
   the shared history. */
export function rebase(core, { snapshot, records }, confirmed, own = []) {
  const old = core.engine;
  // This page's commits: the kept ones after confirmed.
  const first = Math.max(confirmed, old.oldest()) + 1, last = old.seq();
  const reports = feedReports(core, old, Boolean(snapshot), confirmed, last >= first);
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
  let sharedSeq;
  const pending = [], kept = [], dropped = [];
  try {
    if (records.length) engine.replayTexts(records.map((r) => r.text));
    sharedSeq = engine.seq();
    for (let s = first; s <= last;) {
      // The engine replays them in runs; it stops before a revert or one that no longer
      // applies, which replayOne then takes (and says why it is dropped).
      const before = engine.seq();
      const texts = engine.replayFrom(old, s, last, REPLAY_CHUNK);
      for (let i = 0; i < texts.length; i++) {
        const seq = before + i + 1, text = texts[i];
        if (!text) keepMoved(engine, own, s + i, seq, kept, pending);
        else {
          kept.push({ id: recordId(text), seq });
          pending.push({ seq, text });
        }
      }
      s += texts.length;
      if (texts.length === REPLAY_CHUNK || s > last) continue;
      const c = JSON.parse(old.commitsText(s, s, 1))[0];
      s++;
      if (c) replayOne(core, old, engine, c, confirmed, pending, kept, dropped);
    }
  } catch (error) {
    engine.close();
    throw error;
  }
  core.engine = engine;
  core.liveQueries?.rebuilt(engine);   // live queries hook: reopen on the new engine while the old one lives
  old.close();
  reports.publish(engine);
  if (core.options.onRebase) {
    try {
      core.options.onRebase({ sharedSeq, kept, dropped });
    } catch (error) {
      (core.options.onListenerError ?? ((e) => console.error('hindsight onRebase failed:', e)))(error, null);
    }
  }
  return { pending, seq: sharedSeq };
}
