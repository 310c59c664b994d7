/*
 * build-dist.mjs: builds dist/, the files the npm package ships: one ESM file per package
 * entry, made by esbuild (a dev dependency pinned in package-lock.json), and hindsight.wasm.
 *
 *   dist/index.js      the main entry (index.js): js/ + the IndexedDB store; no node: module
 *   dist/node.js       'hindsight-db/node' (node/index.js): imports ./index.js, adds the file store
 *   dist/indexeddb.js  'hindsight-db/indexeddb' (web/index.js): re-exports from ./index.js
 *   dist/cli.js        the `hindsight` command (node/cli.js): imports ./node.js
 *   dist/debugger.js   'hindsight-db/debugger' (debugger/index.js): imports ./index.js, adds the panel
 *   dist/sync.js       'hindsight-db/sync' (sync/index.js): the sync Worker, Durable Object and
 *                      client; imports the Database from ./index.js
 *   dist/hindsight.wasm  js/hindsight.wasm, found by new URL('./hindsight.wasm', import.meta.url)
 *
 * Must stay true: the classes with identity (Database, HindsightError, the store registry)
 * exist once: every entry but the main one imports them from ./index.js instead of bundling a
 * second copy, so a store registered by dist/node.js is seen by the Database of dist/index.js
 * and `instanceof HindsightError` holds across entries. dist/index.js contains no "node:"
 * import (checked here). Output is not minified: apps' bundlers minify, and readable dist
 * files are easier to debug. Usage: node scripts/build-dist.mjs  (from `make dist`).
 */
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const fromRoot = (rel) => path.join(root, rel);

/* Modules that must not be copied into a secondary entry: what they export is re-exported
   by the main entry, which the secondary entry imports as ./index.js at run time. */
const SHARED_WITH_MAIN = new Map([
  [fromRoot('index.js'), './index.js'],
  [fromRoot('js/index.js'), './index.js'],
  [fromRoot('js/errors.js'), './index.js'],
  [fromRoot('js/stores/registry.js'), './index.js'],
  [fromRoot('js/database.js'), './index.js'],
  [fromRoot('web/indexeddb-store.js'), './index.js'],
]);

function externalShared(extra) {
  const shared = new Map([...SHARED_WITH_MAIN, ...extra]);
  return {
    name: 'hindsight-shared-modules',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const target = shared.get(path.resolve(args.resolveDir, args.path));
        return target ? { path: target, external: true } : undefined;
      });
    },
  };
}

const common = { bundle: true, format: 'esm', target: 'es2022', logLevel: 'warning', legalComments: 'inline' };

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await build({ ...common, entryPoints: [fromRoot('index.js')], outfile: path.join(dist, 'index.js'), platform: 'neutral' });
await build({ ...common, entryPoints: [fromRoot('web/index.js')], outfile: path.join(dist, 'indexeddb.js'), platform: 'neutral',
  plugins: [externalShared([])] });
await build({ ...common, entryPoints: [fromRoot('node/index.js')], outfile: path.join(dist, 'node.js'), platform: 'node',
  plugins: [externalShared([])] });
await build({ ...common, entryPoints: [fromRoot('node/cli.js')], outfile: path.join(dist, 'cli.js'), platform: 'node',
  plugins: [externalShared([[fromRoot('node/index.js'), './node.js']])] });
await build({ ...common, entryPoints: [fromRoot('debugger/index.js')], outfile: path.join(dist, 'debugger.js'), platform: 'browser',
  plugins: [externalShared([])] });
await build({ ...common, entryPoints: [fromRoot('sync/index.js')], outfile: path.join(dist, 'sync.js'), platform: 'neutral',
  plugins: [externalShared([])] });
await copyFile(fromRoot('js/hindsight.wasm'), path.join(dist, 'hindsight.wasm'));

const mainText = await readFile(path.join(dist, 'index.js'), 'utf8');
if (/["']node:/.test(mainText)) throw new Error('dist/index.js mentions a node: module; the main entry must reach none');
for (const name of ['index.js', 'node.js', 'indexeddb.js', 'cli.js', 'debugger.js', 'sync.js', 'hindsight.wasm']) {
  console.log(`dist/${name}: ${(await stat(path.join(dist, name))).size} bytes`);
}
