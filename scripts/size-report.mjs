/*
 * size-report.mjs: where the bytes of what a browser app loads go (tests/package's size budget
 * counts the same two things: the app's JS chunk and the wasm, gzipped).
 *   - JS: bundles a minimal app (Database, QueryBuilder, FieldEquals from the main entry, as
 *     tests/package/fixtures/web/app.js) from the sources with esbuild, minified, and prints each
 *     source module's minified bytes, largest first, and the gzipped total;
 *   - wasm: each section's bytes and gzipped bytes, and, when the file has a name section (a build
 *     with emcc --profiling-funcs), the largest functions with their deflated size.
 * Usage: node scripts/size-report.mjs [path/to/file.wasm] [--top N]   (after make build)
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

function wasmReport(bytes) {
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
}

await jsReport();
wasmReport(await readFile(wasmPath));
