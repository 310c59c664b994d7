/*
 * path-diff.js: the changed JSON paths between two versions of one document: what db.blame
 * follows field by field (js/blame.js) and what the debugger's diff view shows ("a nested change
 * shows the changed fields only"). Public: exported by the package entry.
 *
 * Owns: pathDiff(before, after) -> [{ path, before, after }] and formatPath(path).
 * Must stay true: pure functions over JSON values; an unchanged subtree yields nothing; a value
 * that changes type (object -> array, number -> object) is one entry at that path; a missing
 * field is `undefined` on its side (added or removed field).
 */

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/* Every leaf-most path where before and after differ. */
export function pathDiff(before, after, path = [], out = []) {
  if (before === after) return out;
  if (isObject(before) && isObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of keys) pathDiff(before[key], after[key], [...path, key], out);
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length; i++) pathDiff(before[i], after[i], [...path, i], out);
    return out;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) out.push({ path, before, after });
  return out;
}

/* ["meta", "tags", 1] -> "meta.tags[1]"; [] -> "(whole document)". */
export function formatPath(path) {
  if (!path.length) return '(whole document)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
