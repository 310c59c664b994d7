/*
 * node-server.test.mjs: the sync suite (sync.test.mjs) once more, against the self-hosted
 * Node server (sync/node-server.js over sync/file-storage.js) on 127.0.0.1 instead of workerd:
 * the same protocol, the same checks.
 * Usage: node --experimental-websocket --test tests/sync/node-server.test.mjs
 */
process.env.SYNC_SERVER = 'node';
await import('./sync.test.mjs');
