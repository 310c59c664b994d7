# config.template.capnp: workerd for the sync suite, filled in by tests/sync/sync.test.mjs:
#   ADDRESS  127.0.0.1:<port> (loopback only); STORAGE  the folder the Durable Objects keep
#   their storage in (kept across a restart of workerd); MODULES  worker.js, hindsight.wasm,
#   and every js/**/*.js and sync/*.js file under its repository path.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .syncWorker),
    (name = "storage", disk = (path = "@STORAGE@", writable = true)),
  ],
  sockets = [ (name = "http", address = "@ADDRESS@", http = (), service = "main") ],
);

const syncWorker :Workerd.Worker = (
  modules = [
@MODULES@
  ],
  compatibilityDate = "2025-01-01",
  durableObjectNamespaces = [
    (className = "HindsightSyncObject", uniqueKey = "hindsight-sync-test"),
    (className = "HindsightSyncObjectRetain", uniqueKey = "hindsight-sync-test-retain"),
    (className = "HindsightSyncObjectBig", uniqueKey = "hindsight-sync-test-big"),
  ],
  durableObjectStorage = (localDisk = "storage"),
  bindings = [
    (name = "SYNC", durableObjectNamespace = "HindsightSyncObject"),
    (name = "SYNC_RETAIN", durableObjectNamespace = "HindsightSyncObjectRetain"),
    (name = "SYNC_BIG", durableObjectNamespace = "HindsightSyncObjectBig"),
  ],
);
