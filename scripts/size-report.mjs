/*
 * size-report.mjs: where the bytes of what a browser app loads go (tests/package's size budget
 * counts the same two things: the app's JS chunk and the wasm, gzipped).
 *   - JS: bundles a minimal app (Database, QueryBuilder, FieldEquals from the main entry, as
 *     tests/package/fixtures/web/app.js) from the sources with esbuild, minified, and prints each
 *     source module's minified bytes, largest first, and the gzipped total;
 *   - wasm: each section's bytes and gzipped bytes, and, when the file has a name section (a build
 *     with emcc --profiling-funcs), the largest functions with their deflated size; with
 *     --by-file, the code per C source file: a function's file is the native object
 *     (build/native/*.o, from make native-tests) that defines its name, and each file gets its
 *     bytes, its functions gzipped alone, and its marginal share (the code section's gzipped
 *     size minus the same without that file's functions: what leaving the file out would save).
 *     Functions of c/wasm.c, libc and emmalloc have no native object and are listed as "(other)";
 *     wasm.c's exports inline much of the engine, so group those by hand when it matters.
 * Usage: node scripts/size-report.mjs [path/to/file.wasm] [--top N] [--by-file]   (after make build)
 * Must stay true: reads only; writes nothing outside a temporary folder it removes; the module
 * sizes are esbuild's, so Vite's figure (Rollup or Rolldown, its own minifier) differs by a few %.
 */
import { build } from 'esbuild';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : 30;
const byFileIndex = args.indexOf('--by-file');
const byFile = byFileIndex >= 0 && args.splice(byFileIndex, 1).length > 0;
const wasmPath = path.resolve(args[0] ?? path.join(root, 'js/hindsight.wasm'));
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const pad = (v, n = 7) => String(v).padStart(n);

async function jsReport() {
  const out = await mkdtemp(path.join(tmpdir(), 'hindsight-size-'));
  try {
    // ignoreAnnotations: package.json's sideEffects names dist files only, so without it esbuild
    // would drop the source index.js's registerStorage('indexeddb') call that dist/index.js keeps.
    const result = await build({
      stdin: { contents: "import { Database, QueryBuilder, FieldEquals } from './index.js'; globalThis.app = [Database, QueryBuilder, FieldEquals];", resolveDir: root },
      bundle: true, format: 'esm', minify: true, platform: 'browser', ignoreAnnotations: true, metafile: true, write: false,
      outdir: out, logLevel: 'silent',
    });
    const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
    const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.js'))[1];
    const inputs = Object.entries(output.inputs)
      .map(([file, info]) => [file, info.bytesInOutput]).filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1]);
    console.log(`JS (esbuild, minified): ${js.contents.length} B, ${gz(js.contents)} B gzipped`);
    console.log(`${pad('bytes')}  module`);
    for (const [file, bytes] of inputs) console.log(`${pad(bytes)}  ${file}`);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount'];

async function wasmReport(bytes) {
  let p = 8;
  const leb = () => { let r = 0, s = 0, x; do { x = bytes[p++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return r >>> 0; };
  const skipName = () => { const n = leb(); p += n; };
  let imported = 0;
  const bodies = [];
  const names = new Map();
  console.log(`\nwasm ${path.relative(root, wasmPath)}: ${bytes.length} B, ${gz(bytes)} B gzipped`);
  console.log(`${pad('bytes')} ${pad('gzipped')}  section`);
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    const start = p;
    const end = p + size;
    let label = SECTION_NAMES[id] ?? `#${id}`;
    if (id === 0) {
      const n = leb();
      const name = bytes.subarray(p, p + n).toString();
      p += n;
      label = `custom "${name}"`;
      if (name === 'name') {
        while (p < end) {
          const sub = bytes[p++];
          const subEnd = leb() + p;
          if (sub === 1) for (let i = leb(); i > 0; i--) { const index = leb(); const n2 = leb(); names.set(index, bytes.subarray(p, p + n2).toString()); p += n2; }
          p = subEnd;
        }
      }
    } else if (id === 2) {
      for (let i = leb(); i > 0; i--) {
        skipName(); skipName();
        const kind = bytes[p++];
        if (kind === 0) { leb(); imported++; } else if (kind === 1) { p++; if (leb() & 1) leb(); leb(); } else if (kind === 2) { if (leb() & 1) leb(); leb(); } else p += 2;
      }
    } else if (id === 10) {
      for (let i = leb(); i > 0; i--) { const n = leb(); bodies.push([p, n]); p += n; }
    }
    console.log(`${pad(size)} ${pad(gz(bytes.subarray(start, end)))}  ${label}`);
    p = end;
  }
  if (!names.size) {
    console.log('(no name section: build with emcc --profiling-funcs and pass that file to list functions)');
    return;
  }
  const rows = bodies.map(([offset, size], i) => [names.get(i + imported) ?? `function ${i + imported}`, size,
    deflateRawSync(bytes.subarray(offset, offset + size), { level: 9 }).length]).sort((a, b) => b[1] - a[1]);
  console.log(`\n${rows.length} functions; the ${Math.min(top, rows.length)} largest:\n${pad('bytes')} ${pad('deflated')}  function`);
  for (const [name, size, deflated] of rows.slice(0, top)) console.log(`${pad(size)} ${pad(deflated)}  ${name}`);
  if (byFile) await reportByFile(bytes, bodies.map(([offset, size], i) => [names.get(i + imported) ?? '', offset, size]));
}

/* The code per C source file (see the header): the defining object of each function name. */
async function fileOfSymbol() {
  const { execFileSync } = await import('node:child_process');
  const { readdir } = await import('node:fs/promises');
  const dir = path.join(root, 'build/native');
  const map = new Map();
  for (const object of (await readdir(dir)).filter((f) => f.endsWith('.o'))) {
    for (const line of execFileSync('nm', ['--defined-only', path.join(dir, object)]).toString().split('\n')) {
      const m = /^\S+ [tT] (\S+)$/.exec(line);
      if (m) map.set(m[1], object.replace(/\.o$/, '.c'));
    }
  }
  return map;
}

async function reportByFile(bytes, functions) {
  const fileOf = await fileOfSymbol();
  if (!fileOf.size) { console.log('\n--by-file needs build/native/*.o (make native-tests)'); return; }
  const code = (list) => gz(Buffer.concat(list.map(([, offset, size]) => bytes.subarray(offset, offset + size))));
  const groups = new Map();
  for (const f of functions) {
    // wasm-opt and clang rename a static function's copies to name.1, name.2...
    const file = fileOf.get(f[0].replace(/\.\d+$/, '')) ?? '(other)';
    groups.set(file, [...(groups.get(file) ?? []), f]);
  }
  const whole = code(functions);
  console.log(`\ncode by C source file (code section's functions gzipped together: ${whole} B)\n${pad('bytes')} ${pad('alone')} ${pad('marginal', 8)}  file`);
  const rows = [...groups].map(([file, list]) => [file, list.reduce((n, f) => n + f[2], 0), code(list),
    whole - code(functions.filter((f) => !list.includes(f)))]).sort((a, b) => b[1] - a[1]);
  for (const [file, size, alone, marginal] of rows) console.log(`${pad(size)} ${pad(alone)} ${pad(marginal, 8)}  ${file}`);
}

await jsReport();
await wasmReport(await readFile(wasmPath));
