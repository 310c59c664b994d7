/* wasm.d.ts: 'hindsight-db/hindsight.wasm'. What an import gives depends on the tool: a
   WebAssembly.Module in workerd and wrangler, a URL string with Vite's ?url, etc. */
declare const wasm: WebAssembly.Module | string;
export default wasm;
