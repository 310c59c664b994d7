/*
 * entries.test.mjs: the package entries and the layer rule behind them (ARCHITECTURE.md §1, §7).
 *   - js/ imports nothing from web/, node/, sync/, debugger/ and no node: module;
 *   - debugger/ imports only the package's public entry (index.js) and its own files;
 *   - the main entry (index.js) reaches no node: module, following static and dynamic imports;
 *   - a bare { name } is never a silent in-memory database: an error where no persistent store
 *     exists (Node), IndexedDB wherever globalThis.indexedDB exists (also without `window`);
 *   - the node entry adds { storage: 'file' } and folder backup targets.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/* Every module specifier in a file: static imports, re-exports and import('...'). */
function specifiers(source) {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');   // comments name modules too
  const found = [];
  for (const m of text.matchAll(/(?:^|[^.\w])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]/g)) found.push(m[1]);
  for (const m of text.matchAll(/(?:^|[^.\w])import\s*['"]([^'"]+)['"]/g)) found.push(m[1]);
  for (const m of text.matchAll(/(?:^|[^.\w])import\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]);
  return found;
}

async function jsFiles(dir) {
  const entries = await readdir(path.join(repoRoot, dir), { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.js')).map((e) => path.join(e.parentPath ?? e.path, e.name));
}

test('js/ imports nothing from web/, node/, sync/, debugger/ and no node: module', async () => {
  const offenders = [];
  for (const file of await jsFiles('js')) {
    for (const spec of specifiers(await readFile(file, 'utf8'))) {
      const target = spec.startsWith('.') ? path.relative(repoRoot, path.resolve(path.dirname(file), spec)) : spec;
      if (/^(web|node|sync|debugger)\//.test(target) || spec.startsWith('node:')) offenders.push(`${path.relative(repoRoot, file)} -> ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('debugger/ imports only the public entry (index.js) and its own files: no runtime dependency', async () => {
  const offenders = [];
  const files = await jsFiles('debugger');
  assert.ok(files.length > 0, 'no debugger/ files');
  for (const file of files) {
    for (const spec of specifiers(await readFile(file, 'utf8'))) {
      const target = spec.startsWith('.') ? path.relative(repoRoot, path.resolve(path.dirname(file), spec)) : spec;
      if (target !== 'index.js' && !/^debugger\/[\w-]+\.js$/.test(target)) offenders.push(`${path.relative(repoRoot, file)} -> ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('the main entry reaches no node: module, through static or dynamic imports', async () => {
  const seen = new Set();
  const nodeImports = [];
  const visit = async (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of specifiers(await readFile(file, 'utf8'))) {
      if (spec.startsWith('node:')) nodeImports.push(`${path.relative(repoRoot, file)} -> ${spec}`);
      else if (spec.startsWith('.')) await visit(path.resolve(path.dirname(file), spec));
    }
  };
  await visit(path.join(repoRoot, 'index.js'));
  assert.ok(seen.size > 10, `walked only ${seen.size} modules`);
  assert.deepEqual(nodeImports, []);
});

test('Node: a bare { name } is an error that says what to pass, not an in-memory database', async () => {
  const { Database } = await import('../../index.js');
  assert.equal(globalThis.indexedDB, undefined);
  await assert.rejects(Database.open({ name: 'app' }), (e) => e.code === 'INVALID_ARGUMENT'
    && /storage: 'memory'/.test(e.message) && /storage: 'file'/.test(e.message));
  await assert.rejects(Database.open({ storage: 'nonsense' }), (e) => e.code === 'INVALID_ARGUMENT');
  const memory = await Database.open({ name: 'app', storage: 'memory' });
  await memory.close();
});

test('where globalThis.indexedDB exists (a worker: no window), a bare { name } is IndexedDB and survives a reopen', async () => {
  const { Database, QueryBuilder } = await import('../../index.js');
  assert.equal(typeof globalThis.window, 'undefined');
  globalThis.indexedDB = new IDBFactory();
  globalThis.IDBKeyRange = IDBKeyRange;
  try {
    const db = await Database.open({ name: 'entries-worker' });
    db.executeQuery(QueryBuilder.add({ target: 'notes', addData: [{ text: 'kept' }] }).build());
    await db.close();
    const again = await Database.open({ name: 'entries-worker' });
    const result = again.executeQuery(QueryBuilder.getAll({ target: 'notes' }).build()).result;
    await again.close();
    assert.deepEqual(result, [{ text: 'kept' }]);
  } finally {
    delete globalThis.indexedDB;
    delete globalThis.IDBKeyRange;
  }
});

test('the node entry: { storage: "file", path } persists, and a folder path is a backup target', async () => {
  const { Database, QueryBuilder, BackupManager, restoreBackup } = await import('../../node/index.js');
  const folder = await mkdtemp(path.join(tmpdir(), 'hindsight-entries-'));
  try {
    const db = await Database.open({ storage: 'file', path: path.join(folder, 'db') });
    db.executeQuery(QueryBuilder.add({ target: 't', addData: [{ x: 1 }] }).build());
    const manager = new BackupManager(db, { target: path.join(folder, 'backups') });
    await manager.backupFull();
    await manager.stop({ finalBackup: false });
    await db.close();
    const reopened = await Database.open({ storage: 'file', path: path.join(folder, 'db') });
    assert.equal(reopened.seq, 1);
    await reopened.close();
    const restored = await restoreBackup(path.join(folder, 'backups'));
    assert.equal(restored.seq, 1);
    await restored.close();
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
