/*
 * wasm-loader.js: finds, compiles and instantiates hindsight.wasm in any runtime.
 *
 * Owns: the one compiled module per source and its instance. The wasm is a standalone
 * Emscripten reactor: we supply its few imports ourselves (no Emscripten JS glue), call
 * _initialize once, and hand out the exports. Invariant: views over memory are re-read
 * after every call that may grow memory, never cached (see engine.js).
 * How the bytes are found: an explicit `wasm` option (Module, bytes, URL or Response)
 * first; otherwise Node reads the file beside this one, and browsers and Deno fetch
 * new URL('./hindsight.wasm', import.meta.url) (a pattern Vite, webpack and Rollup rewrite).
 * Must stay true: no node: import, static or dynamic, so bundlers never see one.
 */
import { HindsightError, ErrorCode } from './errors.js';

let defaultInstance = null;

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof Deno === 'undefined';

/* Node's fetch cannot read file: URLs, so Node reads the file. process.getBuiltinModule
   (Node >= 20.16) keeps this file free of any node: import, which bundlers for browsers
   and Workers would otherwise have to resolve. */
/* Vite's dev server pre-bundles dependencies into node_modules/.vite/deps/, where
   ./hindsight.wasm does not exist (the server answers with index.html), while the package's
   own file is still served from node_modules/hindsight-db/dist/. The path is a variable so
   bundlers do not take it for an asset of their own. */
const VITE_DEPS = /\/node_modules\/\.vite\/deps(_[^/]*)?\/[^/]*$/;
const FROM_VITE_DEPS = '../../hindsight-db/dist/hindsight.wasm';

function defaultUrl() {
  const here = new URL(import.meta.url);
  if (VITE_DEPS.test(here.pathname)) return new URL(FROM_VITE_DEPS, here);
  return new URL('./hindsight.wasm', import.meta.url);
}

async function readDefaultBytes() {
  const url = defaultUrl();
  if (isNode && url.protocol === 'file:') {
    const fs = process.getBuiltinModule?.('fs');
    if (!fs) throw new Error(`Node ${process.version} is too old to read ${url} (Node >= 20.19 is needed), or pass open({ wasm })`);
    return fs.promises.readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url} gave HTTP ${response.status}`);
  return response.arrayBuffer();
}

async function compile(source) {
  if (source instanceof WebAssembly.Module) return source;
  if (source === undefined) source = await readDefaultBytes();
  else if (typeof source === 'string' || source instanceof URL) {
    const response = await fetch(source);
    if (!response.ok) throw new Error(`fetching ${source} gave HTTP ${response.status}`);
    source = await response.arrayBuffer();
  } else if (typeof Response !== 'undefined' && source instanceof Response) {
    source = await source.arrayBuffer();
  }
  return WebAssembly.compile(source);
}

/* Every import the module declares gets a function: the memory-growth notice is a no-op
   because views are re-read per call; anything else (WASI stubs the linker kept) fails loudly. */
function makeImports(module) {
  const imports = {};
  for (const { module: ns, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== 'function') continue;
    imports[ns] ??= {};
    imports[ns][name] = name === 'emscripten_notify_memory_growth'
      ? () => {}
      : () => { throw new HindsightError(ErrorCode.INTERNAL, `hindsight.wasm called the unexpected import ${ns}.${name}`); };
  }
  return imports;
}

async function instantiate(source) {
  try {
    const module = await compile(source);
    const instance = await WebAssembly.instantiate(module, makeImports(module));
    instance.exports._initialize?.();
    return instance.exports;
  } catch (error) {
    if (error instanceof HindsightError) throw error;
    throw new HindsightError(ErrorCode.WASM_LOAD, `could not load hindsight.wasm: ${error.message}`, { cause: error });
  }
}

/* The default instance is shared by every database that does not bring its own wasm: one heap. */
export function loadEngine(source) {
  if (source !== undefined) return instantiate(source);
  defaultInstance ??= instantiate(undefined).catch((error) => { defaultInstance = null; throw error; });
  return defaultInstance;
}
