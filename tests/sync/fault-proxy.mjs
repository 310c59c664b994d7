/*
 * fault-proxy.mjs: an HTTP proxy on 127.0.0.1 between the sync clients of the fault tests
 * (faults.test.mjs) and the sync server, which breaks connections on purpose.
 *
 * For each request, decide({ verb, n, url }) (verb: push, pull, snapshot, ws; n: how many
 * requests of that verb came before) says what to do with it:
 *   'pass'    forward it and hand back the answer;
 *   'drop'    forward it, wait for the server's whole answer, then cut the client's connection
 *             without answering (the server has done the work; the client never hears of it);
 *   'refuse'  cut the client's connection without forwarding anything;
 *   'twice'   forward it twice at once (a retried request racing the first), answer with the
 *             second answer;
 *   'again'   forward it, then once more after the first answer, answer with the second;
 *   { rewind: k }  (a pull) ask the server for k commits before the client's cursor, as if an
 *             earlier pull's answer were delivered again, so the answer holds commits the
 *             client already has.
 * A server that cannot be reached (killed) cuts the client's connection too. WebSocket
 * upgrades are piped through unchanged (ws; 'refuse' cuts them).
 * Must stay true: listens on 127.0.0.1 only; close() ends every connection it holds.
 */
import http from 'node:http';
import net from 'node:net';

export async function startFaultProxy(targetUrl, decide = () => 'pass') {
  const target = new URL(targetUrl);
  const counts = new Map();
  const sockets = new Set();
  const stats = { broken: 0 };   // requests the server did not answer (it was down, or died)
  const next = (verb) => { const n = counts.get(verb) ?? 0; counts.set(verb, n + 1); return n; };
  const verbOf = (url) => new URL(url, 'http://x').pathname.split('/').pop();

  const forward = async (req, url, body) => {
    const headers = {};
    for (const name of ['authorization', 'content-type']) if (req.headers[name]) headers[name] = req.headers[name];
    const response = await fetch(new URL(url, target), { method: req.method, headers, body: req.method === 'POST' ? body : undefined });
    return { status: response.status, type: response.headers.get('content-type') ?? 'application/json', body: Buffer.from(await response.arrayBuffer()) };
  };

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const verb = verbOf(req.url);
    const action = decide({ verb, n: next(verb), url: req.url }) ?? 'pass';
    try {
      let url = req.url;
      if (action?.rewind) {
        const u = new URL(req.url, 'http://x');
        u.searchParams.set('after', String(Math.max(0, Number(u.searchParams.get('after') ?? 0) - action.rewind)));
        url = u.pathname + u.search;
      }
      if (action === 'refuse') { req.socket.destroy(); return; }
      let answer;
      if (action === 'twice') answer = (await Promise.all([forward(req, url, body), forward(req, url, body)]))[1];
      else if (action === 'again') { await forward(req, url, body); answer = await forward(req, url, body); }
      else answer = await forward(req, url, body);
      if (action === 'drop') { req.socket.destroy(); return; }
      res.writeHead(answer.status, { 'content-type': answer.type, 'content-length': answer.body.length });
      res.end(answer.body);
    } catch {
      stats.broken++;
      req.socket.destroy();   // the server could not be reached: the client sees a broken connection
    }
  });
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });

  server.on('upgrade', (req, socket, head) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (decide({ verb: 'ws', n: next('ws'), url: req.url }) === 'refuse') { socket.destroy(); return; }
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    upstream.on('close', () => { sockets.delete(upstream); socket.destroy(); });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('connect', () => {
      let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) text += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      upstream.write(`${text}\r\n`);
      if (head.length) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
  });

  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve); });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    counts,
    stats,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
