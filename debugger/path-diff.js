/*
 * path-diff.js: the debugger's door to the changed JSON paths of one document (the logic is
 * js/path-diff.js, exported by the package entry, which db.blame uses too).
 * Must stay true: no logic here; imports from the package's public entry only.
 */
export { pathDiff, formatPath } from '../index.js';
