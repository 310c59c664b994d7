/*
 * debugger-path-diff.test.mjs: the path-level diff (js/path-diff.js, used by db.blame and the debugger), the part
 * of "a nested change shows only the changed fields" that needs no browser.
 * Must stay true: expected paths are written out by hand from the inputs below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathDiff, formatPath } from '../../js/path-diff.js';

const paths = (a, b) => pathDiff(a, b).map((p) => formatPath(p.path));

test('an unchanged document has no changed path', () => {
  assert.deepEqual(pathDiff({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2] } }), []);
});

test('a nested change names only the changed leaf, with its before and after', () => {
  const before = { id: 1, title: 't', details: { priority: 'normal', estimate: 2 } };
  const after = { id: 1, title: 't', details: { priority: 'high', estimate: 2 } };
  assert.deepEqual(pathDiff(before, after), [{ path: ['details', 'priority'], before: 'normal', after: 'high' }]);
});

test('array items, added and removed fields get their own paths', () => {
  assert.deepEqual(paths({ tags: ['a', 'b'], gone: 1 }, { tags: ['a', 'c', 'd'], added: true }),
    ['tags[1]', 'tags[2]', 'gone', 'added']);
});

test('a value that changes type is one entry at its path', () => {
  assert.deepEqual(pathDiff({ x: { y: 1 } }, { x: [1] }), [{ path: ['x'], before: { y: 1 }, after: [1] }]);
  assert.equal(formatPath([]), '(whole document)');
});
