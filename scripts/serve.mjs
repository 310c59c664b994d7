/*
 * serve.mjs: `make demo` entry; serves the repository on 127.0.0.1 and prints the demo's URL.
 *
 * Owns: the command line only (port choice, the printed URL, request logging).
 * The file serving itself lives in scripts/static-server.mjs.
 *
 * Must stay true: listens on 127.0.0.1 only; prints one URL, the demo's; / leads to the demo;
 * runs until interrupted (Ctrl-C).
 * Usage: node scripts/serve.mjs [port]   (default 8080; HINDSIGHT_PORT also works; 0 = any free port)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from './static-server.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const requestedPort = Number(process.argv[2] ?? process.env.HINDSIGHT_PORT ?? 8080);
if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
  console.error(`serve: invalid port "${process.argv[2] ?? process.env.HINDSIGHT_PORT}"`);
  process.exit(2);
}

let served;
try {
  served = await startStaticServer({
    rootDir: repoRoot,
    port: requestedPort,
    redirects: { '/': '/demo/' },
    onRequest: (method, urlPath, status) => { if (status !== 200 && status !== 301) console.log(`${status} ${method} ${urlPath}`); },
  });
} catch (err) {
  console.error(`serve: cannot listen on 127.0.0.1:${requestedPort}: ${err.message}` +
    (err.code === 'EADDRINUSE' ? ' (pick another port: make demo PORT=8081)' : ''));
  process.exit(1);
}
console.log(`Hindsight demo: ${served.origin}/demo/  (serving ${repoRoot}; Ctrl-C stops it)`);
const stop = () => served.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
