/*
 * static-server.mjs: a tiny read-only HTTP file server for the demo and the browser tests.
 *
 * Owns: mapping URL paths to files under one root folder, and the MIME types browsers need
 * (application/wasm for streaming compilation, text/javascript for ES modules).
 *
 * Must stay true:
 *   - it listens on 127.0.0.1 only;
 *   - it never serves a file outside its root (no "..", no symlink escape);
 *   - it only answers GET and HEAD, and sends no-store so tests always see fresh builds;
 *   - a folder asked for without its trailing slash (/demo) is redirected to /demo/, so the
 *     page's relative URLs resolve inside it; `redirects` maps exact paths (such as /) elsewhere.
 */
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat, realpath } from 'node:fs/promises';
import path from 'node:path';

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

export function mimeTypeFor(filePath) {
  return MIME_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/** Resolves a URL path to a file inside rootDir, or null when it would leave the root. */
async function resolveInsideRoot(rootDir, urlPath) {
  let decoded;
  try { decoded = decodeURIComponent(urlPath); } catch { return null; }
  if (decoded.includes('\0')) return null;
  let candidate = path.join(rootDir, path.normalize('/' + decoded));
  let info;
  try { info = await stat(candidate); } catch { return null; }
  if (info.isDirectory() && !urlPath.endsWith('/') && !urlPath.startsWith('//')) return { redirect: `${urlPath}/` };
  if (info.isDirectory()) {
    candidate = path.join(candidate, 'index.html');
    try { info = await stat(candidate); } catch { return null; }
  }
  if (!info.isFile()) return null;
  const real = await realpath(candidate);
  if (real !== rootDir && !real.startsWith(rootDir + path.sep)) return null; // symlink escape
  return { filePath: real, size: info.size };
}

/**
 * Starts serving rootDir. port 0 picks a free port.
 * Returns { server, port, origin, close() }. onRequest(method, urlPath, status) is an optional log hook.
 * headers: extra response headers for every file (bench/speed-browser.mjs sends COOP/COEP, so
 * its page is cross-origin isolated and gets fine-grained timers).
 */
export async function startStaticServer({ rootDir, port = 0, onRequest = () => {}, redirects = {}, headers = {} }) {
  const root = await realpath(rootDir);
  const server = createServer(async (req, res) => {
    const { pathname: urlPath, search } = new URL(req.url, 'http://127.0.0.1');
    const reply = (status, text) => {
      onRequest(req.method, urlPath, status);
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    const found = Object.hasOwn(redirects, urlPath) ? { redirect: redirects[urlPath] } : await resolveInsideRoot(root, urlPath);
    if (!found) return reply(404, `not found: ${urlPath}\n`);
    if (found.redirect) {
      onRequest(req.method, urlPath, 301);
      res.writeHead(301, { Location: found.redirect + search, 'Cache-Control': 'no-store' });
      return res.end();
    }
    onRequest(req.method, urlPath, 200);
    res.writeHead(200, {
      'Content-Type': mimeTypeFor(found.filePath),
      'Content-Length': found.size,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...headers,
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(found.filePath).on('error', () => res.destroy()).pipe(res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actualPort = server.address().port;
  return {
    server,
    port: actualPort,
    origin: `http://127.0.0.1:${actualPort}`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
