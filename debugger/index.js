/*
 * debugger/index.js: the 'hindsight-db/debugger' entry: a time-travel debugger any page can mount.
 *
 *   mountDebugger(db, { container?, hotkey?, title?, onSelect?, pageKeys?, hashLink?, rereadRows?, sync? })
 *       attaches to a live Database (rereadRows: re-read the shown collection at every step
 *       instead of applying diffs to the rows held; for speed comparisons only; sync: the
 *       SyncClient whose db this is: the commit list marks pending, acknowledged and rebased
 *       commits, the card shows origin and base; taken as an option, never imported)
 *   openDebugger({ name } | { history }, { container?, hotkey? })   opens one by IndexedDB name
 *       (read-only: no writer lock, no write; read-only.js) or from an exported history
 *       (Database.importHistory, an in-memory copy), then mounts the panel on it
 *   blame(db, collection, { rowId, doc?, at? }), documentHistory(...)   who set each field:
 *       thin doors to db.blame (js/blame.js), kept for code written against this entry
 *   bisect(db, query, { condition?, from?, to? }), conditions(spec)   first commit where a
 *       condition on a query's result became true: doors to db.bisect and bisectCondition
 *       (js/bisect.js)
 *
 * Owns: where the panel goes (the container, or a fixed overlay toggled by the hotkey) and the
 * handle given back. The panel itself is panel.js.
 * Must stay true: imports from the package's public entry only (../index.js), has no runtime
 * dependency, and does nothing to the page until called.
 */
import { Database, HindsightError, ErrorCode } from '../index.js';
import { createPanel } from './panel.js';
import { installStyle } from './style.js';
import { openReadOnly } from './read-only.js';

/* Blame and bisect are Database methods (js/blame.js, js/bisect.js); these keep the names
   this entry exported first. */
export const blame = (db, collection, options) => db.blame(collection, options);
export const bisect = (db, query, options) => db.bisect(query, options);
export { bisectCondition as conditions } from '../index.js';

/* Every kept version of one row up to `to`, oldest first ([] when none is kept). */
export function documentHistory(db, collection, { rowId, doc, to } = {}) {
  try {
    return db.blame(collection, { rowId, doc, at: to }).history;
  } catch (error) {
    if (error?.code === ErrorCode.INVALID_ARGUMENT && /no kept version/.test(error.message)) return [];
    throw error;
  }
}

function checkDatabase(db) {
  if (!db || typeof db.at !== 'function' || typeof db.subscribeChanges !== 'function') {
    throw new HindsightError(ErrorCode.INVALID_ARGUMENT, 'mountDebugger needs a Hindsight Database');
  }
}

/* True when the key event matches a hotkey such as "Alt+Shift+D" or "F9". */
function matchesHotkey(event, hotkey) {
  const parts = hotkey.split('+').map((p) => p.trim().toLowerCase());
  const key = parts.pop();
  const mods = { alt: event.altKey, shift: event.shiftKey, ctrl: event.ctrlKey, meta: event.metaKey };
  for (const [name, down] of Object.entries(mods)) if (parts.includes(name) !== down) return false;
  return event.key.toLowerCase() === key || event.code.toLowerCase() === `key${key}`;
}

export function mountDebugger(db, { container, hotkey = 'Alt+Shift+D', title, onSelect, readOnly = false, pageKeys = false, hashLink = false, rereadRows = false, sync = null } = {}) {
  checkDatabase(db);
  installStyle();
  let host = container;
  let overlay = null;
  if (!host) {
    overlay = document.createElement('div');
    overlay.className = 'hsd-overlay';
    overlay.hidden = true;
    document.body.append(overlay);
    host = overlay;
  }
  // A fork, or an imported history file, shown in a panel of its own inside this one.
  const mountChild = (child, childHost, childTitle) => {
    const inner = mountDebugger(child, { container: childHost, title: childTitle });
    return { destroy() { inner.destroy(); child.close().catch(() => {}); }, handle: inner, db: child };
  };
  const importHistory = (text) => Database.importHistory(JSON.parse(text));
  const panel = createPanel(host, db, { readOnly, title, onSelect, mountChild, importHistory, pageKeys, hashLink, rereadRows, sync });
  const onKey = (event) => {
    if (overlay && hotkey && matchesHotkey(event, hotkey)) { overlay.hidden = !overlay.hidden; event.preventDefault(); }
  };
  if (overlay) document.addEventListener('keydown', onKey);
  return Object.assign(panel, {
    db,
    overlay,
    toggle(show) { if (overlay) overlay.hidden = show === undefined ? !overlay.hidden : !show; },
    destroy: ((destroyPanel) => () => {
      destroyPanel();
      document.removeEventListener('keydown', onKey);
      overlay?.remove();
    })(panel.destroy),
  });
}

/* Opens a database by name (read-only) or from an exported history, and mounts the debugger on it. */
export async function openDebugger(source = {}, mountOptions = {}) {
  let db;
  if (source.history !== undefined) {
    const history = typeof source.history === 'string' ? JSON.parse(source.history) : source.history;
    db = await Database.importHistory(history);
  } else {
    db = await openReadOnly({ name: source.name });
  }
  const readOnly = source.history === undefined;
  const handle = mountDebugger(db, { title: readOnly ? `${source.name} (read-only)` : 'Imported history', ...mountOptions, readOnly });
  const destroy = handle.destroy;
  // A read-only database never writes: a close that would flush a write made on it anyway
  // (through handle.db) fails with the read-only refusal, which is what read-only means.
  handle.destroy = () => { destroy(); return db.close().catch((error) => { if (!readOnly) throw error; }); };
  return handle;
}
