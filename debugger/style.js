/*
 * style.js: the debugger's look, added to the page once as a <style> element.
 *
 * Owns: every rule for .hsd-* classes (the panel, the overlay, the virtual table). Rules are
 * scoped under .hsd-* so the host app's styles are not touched.
 * Must stay true: nothing makes the page wider than the viewport (long text wraps or scrolls
 * inside its own box), diff colours are never the only signal (+, − and ~ signs too).
 */
const CSS = `
.hsd-panel { --hsd-line: #d9dee5; --hsd-muted: #5d6773; font: 13px/1.4 system-ui, sans-serif; color: #1d232b;
  background: #fff; border: 1px solid var(--hsd-line); border-radius: 8px; padding: 0.6rem; box-sizing: border-box;
  min-width: 0; max-width: 100%; overflow-wrap: anywhere; display: flex; flex-direction: column; gap: 0.4rem; }
.hsd-panel * { box-sizing: border-box; }
.hsd-panel h3 { font-size: 0.9rem; margin: 0.3rem 0 0; }
.hsd-panel button { font: inherit; padding: 0.2rem 0.55rem; border: 1px solid var(--hsd-line); border-radius: 5px; background: #f4f6f9; cursor: pointer; }
.hsd-panel button:disabled { opacity: 0.5; cursor: default; }
.hsd-head { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: baseline; }
.hsd-status { color: var(--hsd-muted); }
.hsd-storage { margin: 0; color: var(--hsd-muted); font-size: 12px; }
.hsd-status.error { color: #a3262a; font-weight: 600; }
.hsd-timeline, .hsd-actions, .hsd-state-head { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; }
.hsd-slider { flex: 1 1 10rem; min-width: 0; }
.hsd-position { font-variant-numeric: tabular-nums; color: var(--hsd-muted); }
.hsd-card { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.1rem 0.6rem; margin: 0; }
.hsd-card dt { color: var(--hsd-muted); }
.hsd-card dd { margin: 0; }
.hsd-query pre, .hsd-doc-json { max-height: 12rem; overflow: auto; background: #f6f7f9; padding: 0.4rem; margin: 0.2rem 0; white-space: pre-wrap; font-size: 12px; }
.hsd-diff, .hsd-paths, .hsd-doc-history { margin: 0; padding-left: 1.1rem; max-height: 14rem; overflow: auto; }
.hsd-diff code, .hsd-paths code { font-size: 12px; }
.hsd-added { color: #17663a; } .hsd-removed { color: #a3262a; } .hsd-changed { color: #7a5300; }
.hsd-before { text-decoration: line-through; color: #a3262a; } .hsd-after { color: #17663a; }
.hsd-table { min-width: 0; }
.hsd-vt-scroll { height: 16rem; overflow: auto; border: 1px solid var(--hsd-line); border-radius: 5px; position: relative; contain: strict; }
.hsd-vt-head { position: sticky; top: 0; z-index: 1; display: block; white-space: nowrap; background: #eef1f5; font-weight: 600; min-width: 100%; width: max-content; }
.hsd-vt-spacer { position: relative; min-width: 100%; }
/* The drawn rows on a layer of their own: a step repaints them, not the panel around them. */
.hsd-vt-body { will-change: transform; }
/* Rows are blocks of fixed-width inline cells with their layout contained: a grid per row made
   each slider step's layout several times dearer (measured in Chromium). */
.hsd-vt-row { position: absolute; top: 0; left: 0; min-width: 100%; width: max-content; height: 26px; display: block; white-space: nowrap; contain: layout style; cursor: pointer; border-bottom: 1px solid #f0f2f5; }
.hsd-vt-head span, .hsd-vt-row span { display: inline-block; vertical-align: top; width: 9rem; padding: 0.2rem 0.4rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.hsd-vt-row.added { background: #e3f6e8; box-shadow: inset 3px 0 #17663a; }
.hsd-vt-row.changed { background: #fff3d6; box-shadow: inset 3px 0 #7a5300; }
.hsd-vt-row.removed { background: #fbe9ea; color: #8a5a5c; opacity: 0.6; text-decoration: line-through; box-shadow: inset 3px 0 #a3262a; }
.hsd-vt-row.selected { background: #e4ebfb; box-shadow: inset 3px 0 #2d5bd7; font-weight: 600; }
.hsd-log .hsd-vt-scroll { height: 10rem; }
.hsd-log-head { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; }
.hsd-filter { flex: 1 1 8rem; min-width: 0; font: inherit; }
.hsd-vt-row:hover { outline: 1px solid #2d5bd7; }
.hsd-vt-row.hsd-active { outline: 2px solid #2d5bd7; outline-offset: -2px; }
.hsd-vt-scroll:focus-visible { outline: 2px solid #2d5bd7; outline-offset: 1px; }
.hsd-doc { border: 1px solid var(--hsd-line); border-radius: 5px; padding: 0.4rem; }
.hsd-doc-head { display: flex; justify-content: space-between; gap: 0.5rem; }
.hsd-doc[data-deleted="true"] .hsd-doc-json { color: #a3262a; }
.hsd-link { border: none !important; background: none !important; color: #2d5bd7; padding: 0 !important; text-decoration: underline; }
.hsd-fork-area:empty { display: none; }
.hsd-open-file { display: inline-flex; flex-wrap: wrap; gap: 0.3rem; align-items: center; max-width: 100%; }
.hsd-open-file input { max-width: 100%; min-width: 0; font: inherit; }
.hsd-fork-area { border-left: 3px solid #2d5bd7; padding-left: 0.4rem; }
.hsd-blame { border-collapse: collapse; font-size: 12px; display: block; max-width: 100%; overflow: auto; max-height: 14rem; }
.hsd-blame th, .hsd-blame td { text-align: left; padding: 0.1rem 0.4rem; border-bottom: 1px solid #f0f2f5; vertical-align: top; }
.hsd-panel h4 { font-size: 0.85rem; margin: 0.3rem 0 0; }
.hsd-compare-form, .hsd-bisect-form { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; }
.hsd-compare-form input { width: 6rem; font: inherit; }
.hsd-bisect-form select { max-width: 100%; font: inherit; }
.hsd-query-label { display: flex; flex-direction: column; gap: 0.2rem; }
.hsd-query-input { width: 100%; font: 12px ui-monospace, monospace; }
.hsd-bisect-steps { margin: 0; padding-left: 1.4rem; max-height: 10rem; overflow: auto; }
.hsd-overlay { position: fixed; right: 0; top: 0; bottom: 0; width: min(34rem, 100vw); overflow: auto; z-index: 2147483000; box-shadow: -4px 0 16px rgba(0,0,0,.15); background: #fff; }
.hsd-overlay[hidden] { display: none; }
`;

export function installStyle(doc = document) {
  if (doc.getElementById('hindsight-debugger-style')) return;
  const style = doc.createElement('style');
  style.id = 'hindsight-debugger-style';
  style.textContent = CSS;
  doc.head.append(style);
}
