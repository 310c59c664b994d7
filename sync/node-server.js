/*
 * node-server.js: the self-hosted sync server: the same Worker (sync/worker.js) and Durable
 * Object (sync/object.js) code, run in Node over a folder per database (sync/file-storage.js),
 * speaking the same protocol (sync/protocol.js) on HTTP, with the WebSocket poke done here
 * (the handshake and server-to-client text frames: no runtime dependency). Exported to users
 * from 'hindsight-db/node' as startSyncServer.
 *
 * Owns: the HTTP server, turning Node requests into fetch Requests and back, one object per
 * database name (created on first use, its storage in <dir>/<name>), and the connected
 * sockets of each database (the object pokes them through ctx.getWebSockets()).
 * Must stay true: every request goes through the Worker's authenticate before an object sees
 * it (a WebSocket too: the object answers the Worker's forwarded request, and only then is
 * the upgrade done); it listens where it is told (127.0.0.1 by default); close() ends every
 * socket it accepted.
 */
import http from 'node:http';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { createSyncWorker } from './worker.js';
import { syncObjectClass } from './object.js';
import { FileStorage } from './file-storage.js';
import { MAX_BODY_BYTES, errorBody } from './protocol.js';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEAD_HEADER = 'x-hindsight-ws-head';
const DRAIN_BYTES = 4 * MAX_BODY_BYTES;   // how much of a refused oversized body is read and dropped

/* One server-to-client text frame (unmasked, as servers send them). */
function textFrame(text) {
  const payload = Buffer.from(text);
  const n = payload.length;
  let head;
  if (n < 126) head = Buffer.from([0x81, n]);
  else if (n < 65536) { head = Buffer.alloc(4); head[0] = 0x81; head[1] = 126; head.writeUInt16BE(n, 2); }
  else { head = Buffer.alloc(10); head[0] = 0x81; head[1] = 127; head.writeBigUInt64BE(BigInt(n), 2); }
  return Buffer.concat([head, payload]);
}

/* Reads the client's frames: answers close and ping; clients send nothing else we need. */
function listen(socket, onClose) {
  let buf = Buffer.alloc(0);
  socket.on('data', (data) => {
    buf = Buffer.concat([buf, data]);
    while (buf.length >= 2) {
      const op = buf[0] & 15, masked = buf[1] & 128;
      let len = buf[1] & 127, off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      const start = off + (masked ? 4 : 0);
      if (len > 1 << 20) { socket.destroy(); return; }
      if (buf.length < start + len) return;
      const payload = Buffer.from(buf.subarray(start, start + len));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= buf[off + (i & 3)];
      buf = buf.subarray(start + len);
      if (op === 8) { socket.end(Buffer.from([0x88, 0])); onClose(); return; }
      if (op === 9 && payload.length < 126) socket.write(Buffer.concat([Buffer.from([0x8a, payload.length]), payload]));
    }
  });
  socket.on('close', onClose);
  socket.on('error', () => {});
}

/* options: dir (the folder the databases live in), authenticate(request) as createSyncWorker
   takes it, port (default 0: any free port), host (default 127.0.0.1), wasm (default: the
   package's hindsight.wasm), settings(name) -> { snapshotEvery, keepCommits } for a database
   (syncObjectClass's options), allowOrigins (CORS, as createSyncWorker takes it). Resolves
   to { url, port, close() }. */
export async function startSyncServer({ dir, authenticate, port = 0, host = '127.0.0.1', wasm, settings = () => ({}), allowOrigins = [] }) {
  if (typeof dir !== 'string' || !dir) throw new TypeError('startSyncServer needs dir, the folder its databases live in');
  const databases = new Map();   // name -> Promise<{ object, sockets }>
  const databaseFor = (name) => {
    if (!databases.has(name)) {
      databases.set(name, (async () => {
        const storage = await FileStorage.open(path.join(dir, name));
        const sockets = new Set();
        const Sync = syncObjectClass({ wasm, ...settings(name) });
        const object = new Sync({ storage, getWebSockets: () => [...sockets] });
        return { object, sockets };
      })());
    }
    return databases.get(name);
  };
  const namespace = {
    idFromName: (name) => name,
    get: (name) => ({
      async fetch(request) {
        const { object } = await databaseFor(name);
        const url = new URL(request.url);
        if (!url.pathname.endsWith('/ws')) return object.fetch(request);
        // A WebSocket: the Worker has authenticated it; the upgrade itself is done by the server.
        url.pathname = url.pathname.replace(/\/ws$/, '/pull');
        url.search = '?after=4294967295';
        const answer = await object.fetch(new Request(url, { headers: request.headers }));
        const body = await answer.json();
        if (!answer.ok) return Response.json(body, { status: answer.status });
        return new Response(null, { status: 200, headers: { [HEAD_HEADER]: String(body.head) } });
      },
    }),
  };
  const env = { HINDSIGHT_SYNC: namespace };
  const worker = createSyncWorker({ authenticate, allowOrigins });
  const open = new Set();
  let origin;

  const toRequest = (req, body) => new Request(`${origin}${req.url}`, {
    method: req.method, headers: Object.entries(req.headers).filter(([, v]) => typeof v === 'string'), body,
  });

  const server = http.createServer(async (req, res) => {
    try {
      const chunks = [];
      let size = 0, refused = false;
      for await (const chunk of req) {
        size += chunk.length;
        if (refused) {
          // The rest is read and dropped, so the client gets to read the 413 (a connection cut
          // while it still sends is all it would see); past DRAIN_BYTES it is cut anyway.
          if (size > DRAIN_BYTES) { req.destroy(); return; }
          continue;
        }
        if (size > MAX_BODY_BYTES + 1024) {
          refused = true;
          res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify(errorBody('TOO_LARGE', `a push is at most ${MAX_BODY_BYTES} bytes`)));
          continue;
        }
        chunks.push(chunk);
      }
      if (refused) return;
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      const response = await worker.fetch(toRequest(req, hasBody ? Buffer.concat(chunks) : undefined), env);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(errorBody('INTERNAL', String(error?.message ?? error))));
    }
  });

  server.on('upgrade', async (req, socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
    try {
      const response = await worker.fetch(toRequest(req), env);
      const head = response.headers.get(HEAD_HEADER);
      const key = req.headers['sec-websocket-key'];
      if (response.status !== 200 || head === null || !key) {
        const text = await response.text();
        socket.end(`HTTP/1.1 ${response.status === 200 ? 400 : response.status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
        return;
      }
      const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      const name = decodeURIComponent(new URL(req.url, origin).pathname.split('/')[2]);
      const { sockets } = await databaseFor(name);
      const ws = { send: (text) => { if (!socket.destroyed) socket.write(textFrame(text)); } };
      sockets.add(ws);
      listen(socket, () => sockets.delete(ws));
      ws.send(JSON.stringify({ type: 'poke', head: Number(head) }));
    } catch {
      socket.destroy();
    }
  });

  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve); });
  const bound = server.address().port;
  origin = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  return {
    url: origin,
    port: bound,
    async close() {
      for (const socket of open) socket.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
