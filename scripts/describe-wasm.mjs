/*
 * describe-wasm.mjs: prints a one-glance summary of a built wasm file (size, imports, export count).
 *
 * Owns: a build-time report only; it never changes the file. The portable build is meant to
 * import nothing but env.emscripten_notify_memory_growth, so any other import is flagged as a
 * warning (a runtime such as workerd must then be given that import too).
 * Usage: node scripts/describe-wasm.mjs js/hindsight.wasm
 */
import { readFileSync } from 'node:fs';

const EXPECTED_IMPORTS = new Set(['env.emscripten_notify_memory_growth']);
const file = process.argv[2];
let module;
try {
  module = new WebAssembly.Module(readFileSync(file));
} catch (err) {
  console.error(`describe-wasm: ${file} is not a valid wasm module: ${err.message}`);
  process.exit(1);
}
const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`);
const exportCount = WebAssembly.Module.exports(module).length;
const kib = (readFileSync(file).length / 1024).toFixed(1);
console.log(`${file}: ${kib} KiB, ${exportCount} exports, imports: ${imports.join(', ') || '(none)'}`);
const unexpected = imports.filter((name) => !EXPECTED_IMPORTS.has(name));
if (unexpected.length) {
  console.warn(`describe-wasm: warning: unexpected imports ${unexpected.join(', ')} (stdio or clock calls in the engine?)`);
}
